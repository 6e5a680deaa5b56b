//! Starting a traced program's pieces: its output terminals and their
//! readers, its path on PATH, and the kill at the end.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{Mutex, mpsc};

use std::collections::BTreeMap;

use super::decode::Sc;
use super::tracer::{Line, os};
use crate::error::Error;
use crate::live::capture::now_ns;

/// SIGKILL every process in `live` (the run is over, or a caller gave up
/// on the programs).
pub fn kill_all(live: &Mutex<Vec<i32>>) {
    for pid in live.lock().map(|l| l.clone()).unwrap_or_default() {
        // SAFETY: kill(2) on a pid we traced.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

/// A pseudo-terminal for a program's stdout or stderr: programs buffer
/// their output line by line on a terminal, so each line comes when it is
/// printed. Raw mode, so the bytes are the program's own.
pub(super) fn pty() -> Result<(OwnedFd, OwnedFd), Error> {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two descriptors.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    if rc < 0 {
        return Err(os(
            "opening a pseudo-terminal for the program's output",
            io::Error::last_os_error(),
        ));
    }
    // SAFETY: both are fresh descriptors we own.
    let (m, s) = unsafe {
        use std::os::fd::FromRawFd;
        (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave))
    };
    // SAFETY: termios is plain data; cfmakeraw edits it.
    unsafe {
        let mut tio: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(s.as_raw_fd(), &mut tio) == 0 {
            libc::cfmakeraw(&mut tio);
            libc::tcsetattr(s.as_raw_fd(), libc::TCSANOW, &tio);
        }
        libc::fcntl(m.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC);
        libc::fcntl(s.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC);
    }
    Ok((m, s))
}

pub(super) fn reader(
    master: OwnedFd,
    program: usize,
    stderr: bool,
    tx: mpsc::Sender<Line>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut file = std::fs::File::from(master);
        let mut pending: Vec<u8> = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            let n = match io::Read::read(&mut file, &mut buf) {
                Ok(0) | Err(_) => break, // EIO once every writer is gone
                Ok(n) => n,
            };
            let ts = now_ns();
            pending.extend_from_slice(&buf[..n]);
            while let Some(i) = pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = pending.drain(..=i).collect();
                let text = String::from_utf8_lossy(&line[..line.len() - 1])
                    .trim_end_matches('\r')
                    .to_string();
                let _ = tx.send(Line {
                    program,
                    stderr,
                    timestamp_ns: ts,
                    text,
                });
            }
            // A line longer than this is shown in pieces.
            if pending.len() > 4096 {
                let text = String::from_utf8_lossy(&pending).into_owned();
                pending.clear();
                let _ = tx.send(Line {
                    program,
                    stderr,
                    timestamp_ns: ts,
                    text,
                });
            }
        }
        if !pending.is_empty() {
            let text = String::from_utf8_lossy(&pending).into_owned();
            let _ = tx.send(Line {
                program,
                stderr,
                timestamp_ns: now_ns(),
                text,
            });
        }
    })
}

/// The path `execve` needs for `name`, searched in PATH as a shell would.
pub(super) fn resolve(name: &str) -> Option<CString> {
    if name.contains('/') {
        return CString::new(name).ok();
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find_map(|dir| {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join(name);
        let m = std::fs::metadata(&p).ok()?;
        (m.is_file() && m.permissions().mode() & 0o111 != 0)
            .then(|| CString::new(p.into_os_string().into_encoded_bytes()).ok())?
    })
}

/// The seccomp filter: SECCOMP_RET_TRACE (a stop for the tracer) for the
/// calls in `table`, every other call runs untouched.
pub(super) fn filter(table: &[(i64, Sc)]) -> Result<seccompiler::BpfProgram, Error> {
    let rules: BTreeMap<i64, Vec<seccompiler::SeccompRule>> =
        table.iter().map(|(n, _)| (*n, Vec::new())).collect();
    #[cfg(target_arch = "x86_64")]
    let arch = seccompiler::TargetArch::x86_64;
    #[cfg(target_arch = "aarch64")]
    let arch = seccompiler::TargetArch::aarch64;
    let f = seccompiler::SeccompFilter::new(
        rules,
        seccompiler::SeccompAction::Allow,
        seccompiler::SeccompAction::Trace(0),
        arch,
    )
    .map_err(|e| {
        os(
            "building the seccomp filter",
            io::Error::other(e.to_string()),
        )
    })?;
    f.try_into().map_err(|e: seccompiler::BackendError| {
        os(
            "compiling the seccomp filter",
            io::Error::other(e.to_string()),
        )
    })
}

//! What the tracer reads of a traced process besides its registers: a
//! `msghdr`'s data and address, a socket's own and peer addresses (through a
//! copy of its descriptor), and names for poll bits and signals.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use super::decode::{self, Addr, Sc};
use super::regs;
use super::tracer::DATA_CAP;

pub(super) fn poll_bits(v: i16) -> String {
    let mut s = Vec::new();
    for (bit, name) in [
        (libc::POLLIN, "POLLIN"),
        (libc::POLLOUT, "POLLOUT"),
        (libc::POLLERR, "POLLERR"),
        (libc::POLLHUP, "POLLHUP"),
    ] {
        if v & bit != 0 {
            s.push(name);
        }
    }
    if s.is_empty() {
        "0".into()
    } else {
        s.join("|")
    }
}

/// The data and address of a `struct msghdr` (64-bit layout), the data cut
/// to `len` bytes.
pub(super) fn msghdr(pid: i32, addr: u64, len: usize) -> (Vec<u8>, Option<Addr>) {
    let h = regs::read_mem(pid, addr, 56);
    if h.len() < 56 {
        return (Vec::new(), None);
    }
    let u = |i: usize| u64::from_ne_bytes(h[i..i + 8].try_into().unwrap_or([0; 8]));
    let name_ptr = u(0);
    let name_len = u32::from_ne_bytes(h[8..12].try_into().unwrap_or([0; 4]));
    let (iov, iovlen) = (u(16), u(24).min(64));
    let name = (name_ptr != 0 && name_len > 0)
        .then(|| decode::sockaddr(&regs::read_mem(pid, name_ptr, (name_len as usize).min(128))))
        .flatten();
    let mut data = Vec::new();
    let vecs = regs::read_mem(pid, iov, iovlen as usize * 16);
    for v in vecs.chunks_exact(16) {
        let want = len.min(DATA_CAP).saturating_sub(data.len());
        if want == 0 {
            break;
        }
        let base = u64::from_ne_bytes(v[..8].try_into().unwrap_or([0; 8]));
        let l = u64::from_ne_bytes(v[8..].try_into().unwrap_or([0; 8])) as usize;
        data.extend(regs::read_mem(pid, base, l.min(want)));
    }
    (data, name)
}

/// A pidfd of process `pid`, or with `libc::O_EXCL` (PIDFD_THREAD,
/// Linux 6.9) of thread `pid`.
pub(super) fn pidfd_open(pid: i32, flags: i32) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, flags) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a new descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// A copy of descriptor `fd` of the process (or thread) behind `pidfd`
/// (we are its tracer, so we may).
pub(super) fn pidfd_getfd(pidfd: &OwnedFd, fd: i32) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_getfd returns a new descriptor or -1.
    let copy = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), fd, 0) };
    if copy < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a new descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(copy as i32) })
}

/// The local and peer address of descriptor `fd` of thread `pid` (of
/// process `tgid`), read through a copy of it. The thread's own
/// descriptor table where the kernel gives pidfds of threads (6.9): a
/// thread may have a table of its own.
pub(super) fn names(pid: i32, tgid: i32, fd: i64) -> (Option<SocketAddr>, Option<SocketAddr>) {
    pidfd_open(pid, libc::O_EXCL)
        .or_else(|_| pidfd_open(tgid, 0))
        .and_then(|pidfd| pidfd_getfd(&pidfd, fd as i32))
        .map_or((None, None), |copy| names_of(copy.as_raw_fd()))
}

/// The local and peer address of a socket descriptor of ours.
pub(super) fn names_of(fd: i32) -> (Option<SocketAddr>, Option<SocketAddr>) {
    let get = |f: unsafe extern "C" fn(i32, *mut libc::sockaddr, *mut libc::socklen_t) -> i32| {
        // SAFETY: the kernel writes at most `len` bytes of address into st.
        unsafe {
            let mut st: libc::sockaddr_storage = std::mem::zeroed();
            let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            if f(
                fd,
                (&mut st as *mut libc::sockaddr_storage).cast(),
                &mut len,
            ) != 0
            {
                return None;
            }
            let bytes = std::slice::from_raw_parts(
                (&st as *const libc::sockaddr_storage).cast::<u8>(),
                (len as usize).min(std::mem::size_of::<libc::sockaddr_storage>()),
            );
            decode::sockaddr(bytes).and_then(|a| a.ip())
        }
    };
    (get(libc::getsockname), get(libc::getpeername))
}

pub(super) fn write_file(path: &std::ffi::CStr, data: &[u8]) {
    // SAFETY: async-signal-safe open/write/close on a literal path.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY);
        if fd >= 0 {
            libc::write(fd, data.as_ptr().cast(), data.len());
            libc::close(fd);
        }
    }
}

pub fn signal_name(sig: i32) -> String {
    match sig {
        libc::SIGKILL => "SIGKILL".into(),
        libc::SIGTERM => "SIGTERM".into(),
        libc::SIGINT => "SIGINT".into(),
        libc::SIGSEGV => "SIGSEGV".into(),
        libc::SIGABRT => "SIGABRT".into(),
        libc::SIGPIPE => "SIGPIPE".into(),
        other => other.to_string(),
    }
}

/// A call as it is about to run (step mode): what its arguments say before
/// the kernel has done anything.
pub(super) fn entry_text(pid: i32, sc: Sc, a: &[u64; 6]) -> String {
    let fd = a[0] as i32;
    let addr = |ptr: u64, len: u64| {
        decode::sockaddr(&regs::read_mem(pid, ptr, (len as usize).min(128)))
            .map_or("None".to_string(), |x| x.to_string())
    };
    let data = |ptr: u64, len: u64| {
        let bytes = regs::read_mem(pid, ptr, (len as usize).min(DATA_CAP));
        decode::bytes_text(&bytes, len as usize)
    };
    match sc {
        Sc::Socket | Sc::Socketpair => format!(
            "{}({}, {}, {})",
            sc.name(),
            decode::family_name(a[0] as i32),
            decode::type_name(a[1] as i32),
            a[2] as i32
        ),
        Sc::Bind | Sc::Connect => format!("{}({fd}, {})", sc.name(), addr(a[1], a[2])),
        Sc::Listen => format!("listen({fd}, {})", a[1] as i32),
        Sc::Sendto => format!(
            "sendto({fd}, {}, {}, {:#x}, {})",
            data(a[1], a[2]),
            a[2],
            a[3],
            if a[4] == 0 {
                "None".into()
            } else {
                addr(a[4], a[5])
            }
        ),
        Sc::Write => format!("write({fd}, {}, {})", data(a[1], a[2]), a[2]),
        Sc::Sendmsg => {
            let (bytes, name) = msghdr(pid, a[1], DATA_CAP);
            format!(
                "sendmsg({fd}, {}, {})",
                decode::bytes_text(&bytes, bytes.len()),
                name.map_or("None".to_string(), |n| n.to_string())
            )
        }
        Sc::Recvfrom | Sc::Read | Sc::Recvmsg => format!("{}({fd}, {})", sc.name(), a[2]),
        Sc::Shutdown => format!("shutdown({fd}, {})", decode::shutdown_how(a[1])),
        Sc::Accept | Sc::Accept4 | Sc::Close | Sc::Getsockname | Sc::Getpeername => {
            format!("{}({fd})", sc.name())
        }
        _ => format!("{}({fd}, …)", sc.name()),
    }
}

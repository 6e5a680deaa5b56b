//! The private network a lesson runs in: a fresh user + network namespace
//! with its own `lo`, entered before any thread exists.
//!
//! `unshare(CLONE_NEWUSER)` fails in a multi-threaded process, so `main`
//! calls `enter` before anything could spawn a thread.

use std::io;

use crate::error::Error;

/// What a learner should know about the sandbox's network.
pub const NETWORK_NOTE: &str = "A private network namespace made for this run: only `lo` (127.0.0.1 and ::1) exists, no other program's traffic is seen, and nothing leaves the machine. `lo` has no network card, so every MAC address is 00:00:00:00:00:00.";

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum NetMode {
    /// A private user + network namespace: no root, no interference.
    Sandbox,
    /// The current network namespace (needs CAP_NET_RAW).
    Host,
}

impl NetMode {
    pub fn as_str(self) -> &'static str {
        match self {
            NetMode::Sandbox => "sandbox",
            NetMode::Host => "host",
        }
    }
}

/// Enter a private network namespace and bring its `lo` up.
pub fn enter() -> Result<(), Error> {
    if let Some(n) = thread_count()
        && n > 1
    {
        return Err(Error::Sandbox {
            what: "the process already runs several threads".into(),
            reason: format!(
                "{n} threads; the kernel only lets a single-threaded process create a user namespace"
            ),
            hint: "this is a netcourse bug: the sandbox must be entered first thing in `main`"
                .into(),
        });
    }
    // SAFETY: getuid/getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    // SAFETY: unshare only changes this (single-threaded) process's namespaces.
    let rc = unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET) };
    if rc != 0 {
        let err = io::Error::last_os_error();
        // Root may be refused a user namespace (e.g. by a container's seccomp
        // policy) yet still be allowed a plain network namespace.
        // SAFETY: as above.
        if uid == 0 && unsafe { libc::unshare(libc::CLONE_NEWNET) } == 0 {
            return bring_lo_up();
        }
        return Err(explain_unshare_failure(&err));
    }
    write_proc("/proc/self/setgroups", "deny", true)?;
    write_proc("/proc/self/uid_map", &format!("0 {uid} 1"), false)?;
    write_proc("/proc/self/gid_map", &format!("0 {gid} 1"), false)?;
    bring_lo_up()
}

fn thread_count() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
}

fn write_proc(path: &str, content: &str, may_be_missing: bool) -> Result<(), Error> {
    match std::fs::write(path, content) {
        Ok(()) => Ok(()),
        Err(e) if may_be_missing && e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::Sandbox {
            what: format!("writing `{path}`"),
            reason: e.to_string(),
            hint: "the kernel created the namespace but refused the id mapping; run with sudo, or use `--net host`".into(),
        }),
    }
}

fn read_sysctl(path: &str) -> Option<i64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Say which kernel setting forbids user namespaces, and what the user can do.
fn explain_unshare_failure(err: &io::Error) -> Error {
    let alternatives = "run it with sudo; or use `--net host` with CAP_NET_RAW (`sudo setcap cap_net_raw+ep $(command -v netcourse)`); or step through a saved transcript with `netcourse replay FILE`, which needs no privileges";
    let (reason, hint) = if read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")
        == Some(1)
    {
        (
            "AppArmor forbids unprivileged user namespaces (`kernel.apparmor_restrict_unprivileged_userns = 1`, the Ubuntu 24.04 default)".to_string(),
            format!("allow them with `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`; or {alternatives}"),
        )
    } else if read_sysctl("/proc/sys/user/max_user_namespaces") == Some(0) {
        (
            "user namespaces are disabled (`user.max_user_namespaces = 0`)".to_string(),
            format!(
                "allow them with `sudo sysctl user.max_user_namespaces=15000`; or {alternatives}"
            ),
        )
    } else if read_sysctl("/proc/sys/kernel/unprivileged_userns_clone") == Some(0) {
        (
            "unprivileged user namespaces are disabled (`kernel.unprivileged_userns_clone = 0`)"
                .to_string(),
            format!(
                "allow them with `sudo sysctl kernel.unprivileged_userns_clone=1`; or {alternatives}"
            ),
        )
    } else if err.raw_os_error() == Some(libc::ENOSPC) {
        (
            "the limit on user namespaces is reached (`user.max_user_namespaces`)".to_string(),
            format!("raise it with sudo sysctl; or {alternatives}"),
        )
    } else {
        (
            format!(
                "the kernel refused `unshare(CLONE_NEWUSER | CLONE_NEWNET)`: {err} (inside a container, its seccomp profile may forbid it)"
            ),
            alternatives.to_string(),
        )
    };
    Error::Sandbox {
        what: "creating a user + network namespace".into(),
        reason,
        hint,
    }
}

/// `ip link set lo up`, without the `ip` binary: SIOCGIFFLAGS / SIOCSIFFLAGS.
fn bring_lo_up() -> Result<(), Error> {
    let fail = |what: &str, e: io::Error| Error::Sandbox {
        what: what.into(),
        reason: e.to_string(),
        hint: "run with sudo, or use `--net host`".into(),
    };
    // SAFETY: a plain datagram socket used only for interface ioctls.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(fail("opening a control socket", io::Error::last_os_error()));
    }
    // SAFETY: ifreq is plain data; zeroed is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(b"lo\0") {
        *dst = *src as libc::c_char;
    }
    // SAFETY: fd is open and req is a valid ifreq naming `lo`.
    let result = unsafe {
        if libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut req) < 0 {
            Err(fail(
                "reading the flags of `lo`",
                io::Error::last_os_error(),
            ))
        } else {
            req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            if libc::ioctl(fd, libc::SIOCSIFFLAGS, &req) < 0 {
                Err(fail("bringing `lo` up", io::Error::last_os_error()))
            } else {
                Ok(())
            }
        }
    };
    // SAFETY: fd is ours.
    unsafe { libc::close(fd) };
    result
}

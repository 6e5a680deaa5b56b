//! The fast path for sends (on by default; `trace --no-fast-sends` turns
//! it off): a datagram `sendto` with an address (the calls a UDP sender
//! makes in a loop) stops the program once, as a seccomp user
//! notification, instead of twice under ptrace, and netcourse makes the
//! send itself on a copy of the program's own socket and returns the
//! kernel's answer to it.
//!
//! Why: each ptrace stop of a program wakes it again from another CPU, and
//! on a virtual machine whose idle CPUs halt, that wake-up costs more than
//! the call itself (4.9× for 10,000 sendto). A notification listener that
//! asks for synchronous wake-ups (Linux 6.6) runs on the program's CPU
//! while the program waits: 2.5× in the same benchmark.
//!
//! What stays the same: an IP datagram socket's send depends on the socket
//! (its namespace, addresses, options, buffers), so the frame, the result
//! and the socket afterwards are the ones the program's own call makes.
//! Only such sends are taken, and only when they cannot wait: IPv4/IPv6
//! datagram or raw sockets, with an address, readable data, and, on a
//! blocking socket, nothing already in its send buffer (no room to wait
//! for, no datagram being built with MSG_MORE or UDP_CORK that a failed
//! attempt would discard). Anything else the program makes itself, and the
//! transcript says that call's result was not seen.
//!
//! Signals: a signal that arrives after the program asked and before
//! netcourse took the notification ends the wait, and the kernel would
//! answer EINTR to a handler without SA_RESTART. The tracer sees that at
//! the signal's stop and makes the send there (`send_interrupted`), so the
//! program sees what an untraced send gives. It cannot tell that case
//! from a blocking send of the same thread with the same arguments that
//! netcourse left to the program just before (a Unix socket's, a TCP
//! socket's, or one with no room), which may really have waited, and then
//! leaves the kernel's answer. Linux 6.18 at least: before it a signal
//! could still interrupt a notification netcourse had answered.
//!
//! What changes: the send's CPU time is netcourse's; security modules
//! check netcourse, not the program; a program cannot install a
//! notification listener of its own (EBUSY); each signal stops the
//! program while the tracer reads its registers, which a program whose
//! timer fires every few tens of microseconds feels; and a datagram being
//! built by calls the tracer does not see (splice with SPLICE_F_MORE) is
//! not known to be (appending to one allocates without waiting, so a send
//! netcourse makes fails as the program's own would).

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, mpsc};

use super::tracee::{pidfd_getfd, pidfd_open};
use crate::live::capture::now_ns;

/// The listener's descriptor number in a child that made one, read by the
/// tracer from the child's memory (the same address after fork).
pub(super) static LISTENER: AtomicI32 = AtomicI32::new(-1);

const SECCOMP_RET_TRACE: u32 = 0x7ff0_0000;
const SECCOMP_RET_USER_NOTIF: u32 = 0x7fc0_0000;
pub(super) const FLAG_NEW_LISTENER: libc::c_ulong = 1 << 3;
pub(super) const FLAG_WAIT_KILLABLE_RECV: libc::c_ulong = 1 << 5;
const USER_NOTIF_FLAG_CONTINUE: u32 = 1;
const USER_NOTIF_FD_SYNC_WAKE_UP: u64 = 1;
/// The tag the filter is built with before its returns become
/// notifications (seccompiler knows no notification action).
const TAG: u32 = 0x6e63;

#[repr(C)]
#[derive(Default)]
struct Data {
    nr: i32,
    arch: u32,
    instruction_pointer: u64,
    args: [u64; 6],
}

#[repr(C)]
#[derive(Default)]
struct Notif {
    id: u64,
    pid: u32,
    flags: u32,
    data: Data,
}

#[repr(C)]
#[derive(Default)]
struct Resp {
    id: u64,
    val: i64,
    error: i32,
    flags: u32,
}

const fn ioc(dir: u64, nr: u64, size: usize) -> u64 {
    (dir << 30) | ((size as u64) << 16) | ((b'!' as u64) << 8) | nr
}
const IOCTL_RECV: u64 = ioc(3, 0, std::mem::size_of::<Notif>());
const IOCTL_SEND: u64 = ioc(3, 1, std::mem::size_of::<Resp>());
const IOCTL_ID_VALID: u64 = ioc(1, 2, 8);
const IOCTL_SET_FLAGS: u64 = ioc(1, 4, 8);

/// Whether the fast path can run here, or why not: x86_64, Linux 6.18
/// (see below), and `pidfd_getfd` allowed (a container's seccomp profile
/// may deny it).
pub(super) fn available() -> Result<(), String> {
    if cfg!(not(target_arch = "x86_64")) {
        // A send a signal interrupts before netcourse takes it is made at
        // the signal's stop by setting the return register, which the
        // kernel reads after that stop on x86_64 only.
        return Err("it is built for x86_64 only".into());
    }
    // SAFETY: uname fills the struct.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: u is a valid destination.
    if unsafe { libc::uname(&mut u) } != 0 {
        return Err("uname failed".into());
    }
    // SAFETY: the kernel NUL-terminates the release.
    let release = unsafe { std::ffi::CStr::from_ptr(u.release.as_ptr()) }.to_string_lossy();
    // 6.9: pidfds of threads. 6.18: a notification netcourse has answered
    // is never also interrupted by a signal (kernel commit cce436aafc2a;
    // before it the send could be made twice).
    if !release_at_least(&release, (6, 18)) {
        return Err(format!(
            "it needs Linux 6.18 or later, and this is {release}"
        ));
    }
    let me = pidfd_open(std::process::id() as i32, 0).map_err(|e| format!("pidfd_open: {e}"))?;
    pidfd_getfd(&me, me.as_raw_fd()).map_err(|e| format!("pidfd_getfd: {e}"))?;
    Ok(())
}

fn release_at_least(release: &str, want: (u32, u32)) -> bool {
    let mut parts = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor) >= want,
        _ => false,
    }
}

/// The second filter, stacked on the tracing one: a notification for
/// `sendto` with an IPv4 or IPv6 sized address (16 or 28 bytes); every
/// other call is left to the first filter. A notification outranks a
/// trace stop when both filters answer.
pub(super) fn filter() -> Option<seccompiler::BpfProgram> {
    #[cfg(target_arch = "x86_64")]
    let arch = seccompiler::TargetArch::x86_64;
    #[cfg(target_arch = "aarch64")]
    let arch = seccompiler::TargetArch::aarch64;
    let len_is = |n| {
        seccompiler::SeccompCondition::new(
            5,
            seccompiler::SeccompCmpArgLen::Qword,
            seccompiler::SeccompCmpOp::Eq,
            n,
        )
        .and_then(|c| seccompiler::SeccompRule::new(vec![c]))
        .ok()
    };
    let rules = [(libc::SYS_sendto, vec![len_is(16)?, len_is(28)?])]
        .into_iter()
        .collect();
    let f = seccompiler::SeccompFilter::new(
        rules,
        seccompiler::SeccompAction::Allow,
        seccompiler::SeccompAction::Trace(TAG),
        arch,
    )
    .ok()?;
    let mut prog: seccompiler::BpfProgram = f.try_into().ok()?;
    let tagged = SECCOMP_RET_TRACE | TAG;
    let mut changed = 0;
    for i in prog.iter_mut() {
        if i.code == (libc::BPF_RET | libc::BPF_K) as u16 && i.k == tagged {
            i.k = SECCOMP_RET_USER_NOTIF;
            changed += 1;
        }
    }
    (changed > 0).then_some(prog)
}

/// A `sendto` made through the fast path, for the tracer to record.
pub(super) struct Sent {
    pub pid: i32,
    pub args: [u64; 6],
    pub start_ns: u64,
    pub end_ns: u64,
    /// The kernel's answer; `None` when the program made the call itself.
    pub ret: Option<i64>,
    pub data: Vec<u8>,
    pub to: Vec<u8>,
    pub local: Option<SocketAddr>,
    pub peer: Option<SocketAddr>,
    /// Left to the program, as a call that may wait (a signal may then
    /// interrupt it as any of its own).
    pub may_wait: bool,
}

/// Pidfds of sending threads kept at most.
const PIDFDS_KEPT: usize = 64;

/// Largest send taken on the fast path (a datagram is at most 64 KiB; a
/// larger one fails the same way, EMSGSIZE, through the fast path too).
const SEND_CAP: usize = 256 * 1024;

/// Serve the notifications of one program's listener until no task uses
/// its filter any more (or `done`).
pub(super) fn serve(
    listener: OwnedFd,
    tx: mpsc::Sender<Sent>,
    done: Arc<AtomicBool>,
    corked: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    // SAFETY: an ioctl on our listener; failure only means slower wake-ups.
    unsafe {
        libc::ioctl(
            listener.as_raw_fd(),
            IOCTL_SET_FLAGS as _,
            USER_NOTIF_FD_SYNC_WAKE_UP,
        )
    };
    std::thread::spawn(move || {
        let mut pidfds: HashMap<u32, OwnedFd> = HashMap::new();
        let fd = listener.as_raw_fd();
        while !done.load(Ordering::Relaxed) {
            let mut p = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            let n = unsafe { libc::poll(&mut p, 1, 50) };
            if n <= 0 {
                continue;
            }
            if p.revents & libc::POLLIN == 0 {
                if p.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
                    return;
                }
                continue;
            }
            let mut req = Notif::default();
            // SAFETY: RECV fills a zeroed seccomp_notif.
            if unsafe { libc::ioctl(fd, IOCTL_RECV as _, &mut req) } != 0 {
                continue;
            }
            let start_ns = now_ns();
            // A bounded number of threads' pidfds (a program that starts
            // thousands of threads must not exhaust our descriptors).
            if pidfds.len() >= PIDFDS_KEPT {
                pidfds.clear();
            }
            // SAFETY: ID_VALID reads a u64.
            let waiting = || unsafe { libc::ioctl(fd, IOCTL_ID_VALID as _, &req.id) } == 0;
            let answer = send(req.pid, req.data.args, &mut pidfds, &corked, waiting);
            let Some(sent) = answer.sent(req.pid as i32, req.data.args, start_ns) else {
                continue;
            };
            let ret = sent.ret;
            // Recorded before the program goes on, so the tracer has it
            // before any later stop of the same program.
            let _ = tx.send(sent);
            respond(fd, req.id, ret.unwrap_or(0), ret.is_none());
        }
    })
}

fn respond(listener: RawFd, id: u64, ret: i64, itself: bool) {
    let mut resp = Resp {
        id,
        ..Default::default()
    };
    if itself {
        resp.flags = USER_NOTIF_FLAG_CONTINUE;
    } else if (-4095..0).contains(&ret) {
        resp.error = ret as i32;
    } else {
        resp.val = ret;
    }
    // SAFETY: SEND reads a seccomp_notif_resp; a program that died since
    // makes it fail with ENOENT, which is fine.
    unsafe { libc::ioctl(listener, IOCTL_SEND as _, &resp) };
}

enum Answer {
    Done {
        ret: i64,
        data: Vec<u8>,
        to: Vec<u8>,
        local: Option<SocketAddr>,
        peer: Option<SocketAddr>,
    },
    /// The call is no longer waiting (its thread was killed): nothing to
    /// answer or record.
    Gone,
    /// Not ours to make: the program makes the call itself.
    Itself {
        data: Vec<u8>,
        to: Vec<u8>,
        /// The program's own call may wait (a blocking send), so a signal
        /// may interrupt it.
        may_wait: bool,
    },
}

impl Answer {
    /// What the tracer records (`None`: nothing, the call is gone).
    fn sent(self, pid: i32, args: [u64; 6], start_ns: u64) -> Option<Sent> {
        let (ret, mut data, to, local, peer, may_wait) = match self {
            Answer::Done {
                ret,
                data,
                to,
                local,
                peer,
            } => (Some(ret), data, to, local, peer, false),
            Answer::Itself { data, to, may_wait } => (None, data, to, None, None, may_wait),
            Answer::Gone => return None,
        };
        data.truncate(super::tracer::DATA_CAP);
        Some(Sent {
            pid,
            args,
            start_ns,
            end_ns: now_ns(),
            ret,
            data,
            to,
            local,
            peer,
            may_wait,
        })
    }
}

/// A `sendto` whose notification a signal ended before netcourse took it,
/// seen by the tracer at the signal's delivery stop (`pid` stopped there,
/// `args` its call): made now, as netcourse would have made it. `None`
/// when it is not ours to make (the tracer has the program make it again).
pub(super) fn send_interrupted(pid: i32, args: [u64; 6], corked: &AtomicBool) -> Option<Sent> {
    let start_ns = now_ns();
    let answer = send(pid as u32, args, &mut HashMap::new(), corked, || true);
    match answer {
        Answer::Done { .. } => answer.sent(pid, args, start_ns),
        Answer::Itself { .. } | Answer::Gone => None,
    }
}

fn sendto(fd: RawFd, data: &[u8], flags: i32, to: &[u8]) -> i64 {
    // SAFETY: buffers are ours and live across the call.
    let n = unsafe {
        libc::sendto(
            fd,
            data.as_ptr().cast(),
            data.len(),
            flags,
            to.as_ptr().cast(),
            to.len() as libc::socklen_t,
        )
    };
    if n < 0 {
        -(io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO) as i64)
    } else {
        n as i64
    }
}

fn sockopt(fd: RawFd, level: i32, name: i32) -> Option<i32> {
    let mut v: i32 = 0;
    let mut len = 4 as libc::socklen_t;
    // SAFETY: an int-sized option into an int.
    let rc = unsafe { libc::getsockopt(fd, level, name, (&mut v as *mut i32).cast(), &mut len) };
    (rc == 0).then_some(v)
}

/// Make thread `pid`'s `sendto` (`a`, its arguments) for it, if it is
/// ours to make; `waiting` says whether the call still waits for an
/// answer (checked last, before anything is sent). `corked`: a program
/// of this run may have a datagram being built (it sent with MSG_MORE or
/// set UDP_CORK).
fn send(
    pid: u32,
    a: [u64; 6],
    pidfds: &mut HashMap<u32, OwnedFd>,
    corked: &AtomicBool,
    waiting: impl FnOnce() -> bool,
) -> Answer {
    let flags = a[3] as i32;
    if flags & libc::MSG_MORE != 0 {
        corked.store(true, Ordering::SeqCst);
    }
    // Until the socket is known, only the flags say it cannot wait.
    let may_wait = flags & libc::MSG_DONTWAIT == 0;
    let (len, addr_len) = (a[2] as usize, a[5] as usize);
    let (data, to) = super::regs::read_two(pid as i32, (a[1], len.min(SEND_CAP)), (a[4], addr_len));
    // What the kernel would check before the data (flags, the address, an
    // implicit bind) or answer otherwise than with the data (a NULL
    // address on a connected socket): the program's own call.
    if len > SEND_CAP || a[4] == 0 || data.len() != len || to.len() != addr_len {
        return Answer::Itself { data, to, may_wait };
    }
    let failed = |errno: i32, data: Vec<u8>, to: Vec<u8>| Answer::Done {
        ret: -(errno as i64),
        data,
        to,
        local: None,
        peer: None,
    };
    // The calling thread's own descriptor table (a thread may have one of
    // its own), through a pidfd of that thread. Kept for its next calls
    // (opening one costs more than the send): while the thread lives its
    // id is its own, and once it is gone (reaped: its id may be reused)
    // the kept pidfd answers ESRCH and a new one is opened.
    let mut copy = Err(io::Error::from_raw_os_error(libc::ESRCH));
    for _ in 0..2 {
        let pidfd = match pidfds.entry(pid) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                match pidfd_open(pid as i32, libc::O_EXCL) {
                    Ok(p) => e.insert(p),
                    Err(_) => return Answer::Itself { data, to, may_wait },
                }
            }
        };
        copy = pidfd_getfd(pidfd, a[0] as i32);
        if !matches!(&copy, Err(e) if e.raw_os_error() == Some(libc::ESRCH)) {
            break;
        }
        pidfds.remove(&pid);
    }
    // The notification must still be the live call of that thread (not of
    // another that took its id) before anything is answered for it.
    if !waiting() {
        return Answer::Gone;
    }
    // (The copy is closed when this returns: the program's socket is the
    // program's.)
    let copy = match copy {
        Ok(c) => c,
        // Not a descriptor of the program: the kernel's own answer.
        Err(e) if e.raw_os_error() == Some(libc::EBADF) => {
            return failed(libc::EBADF, data, to);
        }
        Err(_) => return Answer::Itself { data, to, may_wait },
    };
    let ours = copy.as_raw_fd();
    let domain = sockopt(ours, libc::SOL_SOCKET, libc::SO_DOMAIN);
    if domain.is_none() && io::Error::last_os_error().raw_os_error() == Some(libc::ENOTSOCK) {
        return failed(libc::ENOTSOCK, data, to);
    }
    let stype = sockopt(ours, libc::SOL_SOCKET, libc::SO_TYPE);
    // SAFETY: F_GETFL on our copy reads the shared file's flags.
    let nonblocking =
        !may_wait || unsafe { libc::fcntl(ours, libc::F_GETFL) } & libc::O_NONBLOCK != 0;
    let may_wait = !nonblocking;
    if !matches!(domain, Some(libc::AF_INET | libc::AF_INET6))
        || !matches!(stype, Some(libc::SOCK_DGRAM | libc::SOCK_RAW))
    {
        return Answer::Itself { data, to, may_wait };
    }
    if !nonblocking
        && (flags & libc::MSG_MORE != 0
            || (queued(ours) != Some(0)
                && (corked.load(Ordering::SeqCst)
                    || (sockopt(ours, libc::IPPROTO_UDP, libc::UDP_CORK) != Some(0)
                        && stype == Some(libc::SOCK_DGRAM)))))
    {
        // A blocking socket's send that fails for want of room (tried
        // without waiting) discards the datagram being built with MSG_MORE
        // or UDP_CORK, where the program's own call would wait for room:
        // the program's own call when one may be being built and the
        // buffer is not empty. (Bytes queued behind an ARP request, say,
        // leave room, or the send answers EAGAIN and is left, below.)
        return Answer::Itself { data, to, may_wait };
    }
    let ret = sendto(ours, &data, flags | libc::MSG_DONTWAIT, &to);
    if ret == -(libc::EAGAIN as i64) && !nonblocking {
        // No room (another thread, or queued datagrams, filled the
        // buffer): nothing was sent, and the program's own call waits for
        // room, as it would.
        return Answer::Itself { data, to, may_wait };
    }
    let (local, peer) = super::tracee::names_of(ours);
    Answer::Done {
        ret,
        data,
        to,
        local,
        peer,
    }
}

/// Bytes in a socket's send buffer (SIOCOUTQ): queued, or being corked.
fn queued(fd: RawFd) -> Option<i32> {
    let mut n: libc::c_int = 0;
    // SAFETY: SIOCOUTQ writes an int.
    (unsafe { libc::ioctl(fd, libc::TIOCOUTQ, &mut n) } == 0).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases() {
        assert!(release_at_least("6.18.44-fc-v1147", (6, 9)));
        assert!(release_at_least("6.9.0", (6, 9)));
        assert!(!release_at_least("6.17.9", (6, 18)));
        assert!(release_at_least("7.0", (6, 9)));
        assert!(!release_at_least("6.8.12-generic", (6, 9)));
        assert!(!release_at_least("5.15.0", (6, 9)));
        assert!(!release_at_least("weird", (6, 9)));
    }

    #[test]
    fn ioctl_numbers_are_the_kernels() {
        // From <linux/seccomp.h> on x86_64 and aarch64.
        assert_eq!(IOCTL_RECV, 0xc050_2100);
        assert_eq!(IOCTL_SEND, 0xc018_2101);
        assert_eq!(IOCTL_ID_VALID, 0x4008_2102);
        assert_eq!(IOCTL_SET_FLAGS, 0x4008_2104);
    }

    #[test]
    fn the_filter_notifies_and_traces_nothing() {
        let prog = filter().expect("a filter");
        let rets: Vec<u32> = prog
            .iter()
            .filter(|i| i.code == (libc::BPF_RET | libc::BPF_K) as u16)
            .map(|i| i.k)
            .collect();
        assert!(rets.contains(&SECCOMP_RET_USER_NOTIF));
        assert!(rets.iter().all(|k| k & 0xffff_0000 != SECCOMP_RET_TRACE));
    }
}

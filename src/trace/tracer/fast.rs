//! The fast path for datagram sends (see `notify`), on the tracer's side:
//! taking each program's listener, recording the sends its server made or
//! left, and finishing a send whose wait a signal ended.

use super::*;

/// The kernel's restart codes (never seen by a program).
const ERESTARTSYS: i32 = 512;
const ERESTARTNOINTR: i32 = 513;

/// The fast path's state (see `notify`): the filter stacked on the
/// tracing one, the children whose listener is still to be taken, one
/// server thread per listener, and what they sent.
pub(super) struct Fast {
    pub(super) filter: seccompiler::BpfProgram,
    pub(super) listening: HashSet<i32>,
    pub(super) servers: Vec<std::thread::JoinHandle<()>>,
    pub(super) tx: mpsc::Sender<notify::Sent>,
    pub(super) rx: mpsc::Receiver<notify::Sent>,
    pub(super) done: Arc<std::sync::atomic::AtomicBool>,
    /// Per thread: the arguments of its last `sendto` left to the program
    /// (that call may still be running, and may be interrupted as any
    /// call of the program's own), until the thread is seen again.
    pub(super) continued: HashMap<i32, [u64; 6]>,
    /// Sends made by netcourse, of them made at a signal's stop, and sends
    /// left to the programs (`NETCOURSE_TRACE_STATS` prints them).
    pub(super) made: u64,
    pub(super) after_signal: u64,
    pub(super) left: u64,
    /// A program sent with MSG_MORE or set UDP_CORK: a datagram may be
    /// being built (see `notify::send`).
    pub(super) corked: Arc<std::sync::atomic::AtomicBool>,
}

impl Fast {
    pub(super) fn new(filter: seccompiler::BpfProgram) -> Fast {
        let (tx, rx) = mpsc::channel();
        Fast {
            filter,
            listening: HashSet::new(),
            servers: Vec::new(),
            tx,
            rx,
            done: Arc::default(),
            continued: HashMap::new(),
            made: 0,
            after_signal: 0,
            left: 0,
            corked: Arc::default(),
        }
    }

    /// With `NETCOURSE_TRACE_STATS` set (tests, benchmarks): what the fast
    /// path did, on stderr.
    pub(super) fn print_stats(&self) {
        if std::env::var_os("NETCOURSE_TRACE_STATS").is_some() {
            eprintln!(
                "trace: fast sends: {} made by netcourse ({} at a signal's stop), {} left to the programs",
                self.made, self.after_signal, self.left
            );
        }
    }
}

impl Tracer {
    /// The fast path, at a signal's delivery stop: a signal that came while
    /// a `sendto` waited for netcourse to take it ended that wait
    /// (ERESTARTSYS) before anything was sent, and the kernel would answer
    /// EINTR to a handler installed without SA_RESTART, which an untraced
    /// datagram send never meets. netcourse makes that send now, and the
    /// handler runs after it, as after an untraced send; one it does not
    /// make is restarted after the handler whatever its flags, as if the
    /// signal had come just before the call. A blocking send the program
    /// made itself (`continued`, the same arguments) may really have
    /// waited, and keeps the kernel's answer.
    pub(super) fn finish_unanswered_send(&mut self, pid: i32, continued: Option<[u64; 6]>) {
        let Some(f) = &mut self.fast else { return };
        if self.pending.contains_key(&pid) {
            return;
        }
        let Ok(r) = regs::read(pid) else { return };
        if r.nr != libc::SYS_sendto
            || r.ret != -(ERESTARTSYS as i64)
            || !matches!(r.args[5], 16 | 28)
        {
            return;
        }
        if continued == Some(r.args) {
            // Still that call, at each stop until the thread goes on (a
            // second signal in the same delivery, a group stop).
            f.continued.insert(pid, r.args);
            return;
        }
        match notify::send_interrupted(pid, r.args, &f.corked) {
            Some(sent) if regs::set_ret(pid, sent.ret.unwrap_or(0)).is_ok() => {
                f.made += 1;
                f.after_signal += 1;
                if let Err(e) = self.record_sent(sent) {
                    self.failed.get_or_insert(e);
                }
            }
            // Not one netcourse makes: the program makes it again.
            _ => {
                let _ = regs::set_ret(pid, -(ERESTARTNOINTR as i64));
            }
        }
    }

    /// Record the fast path's calls so far (each was sent before its
    /// program went on, so all of a program's earlier calls are here
    /// before any later stop of it is handled).
    pub(super) fn drain_fast(&mut self) -> Result<(), Error> {
        loop {
            let Some(f) = &mut self.fast else {
                return Ok(());
            };
            let Ok(s) = f.rx.try_recv() else {
                return Ok(());
            };
            // A later call of the thread: the one it made itself is over.
            f.continued.remove(&s.pid);
            if s.ret.is_some() {
                f.made += 1;
            } else {
                f.left += 1;
                if s.may_wait {
                    f.continued.insert(s.pid, s.args);
                }
            }
            self.record_sent(s)?;
        }
    }

    /// Record a `sendto` the fast path made or left to the program.
    pub(super) fn record_sent(&mut self, s: notify::Sent) -> Result<(), Error> {
        let r = Regs {
            nr: libc::SYS_sendto,
            args: s.args,
            ret: s.ret.unwrap_or(-(libc::ENOSYS as i64)),
        };
        let p = Pending {
            sc: Sc::Sendto,
            args: s.args,
            start_ns: s.start_ns,
            taken: Some(Taken {
                data: s.data,
                to: s.to,
                local: s.local,
                peer: s.peer,
            }),
        };
        let unseen = s.ret.is_none().then_some(
                "the program made this call itself (netcourse makes only IPv4/IPv6 datagram sends with readable data and address that cannot wait, and stops at others only with --no-fast-sends); its result was not seen",
            );
        self.record(s.pid, p, &r, s.end_ns, unseen)
    }

    /// At a SIGSTOP of a program just spawned with the fast path: copy its
    /// notification listener (its number is in the child's memory at the
    /// address of `notify::LISTENER`) and serve it.
    pub(super) fn take_listener(&mut self, pid: i32) -> bool {
        let Some(f) = &mut self.fast else {
            return false;
        };
        if !f.listening.remove(&pid) {
            return false;
        }
        let at = &notify::LISTENER as *const _ as u64;
        let listener = match regs::read_u32(pid, at) {
            Some(fd) => pidfd_open(pid, 0).and_then(|pidfd| pidfd_getfd(&pidfd, fd as i32)),
            None => Err(io::Error::last_os_error()),
        };
        let listener = match listener {
            Ok(l) => l,
            Err(e) => {
                // Unserved, its datagram sends would fail (ENOSYS).
                self.failed
                    .get_or_insert(os("taking the program's seccomp listener", e));
                kill_all(&self.live);
                return true;
            }
        };
        f.servers.push(notify::serve(
            listener,
            f.tx.clone(),
            f.done.clone(),
            f.corked.clone(),
        ));
        true
    }
}

/// Whether call `sc` may start building a datagram that a later send ends
/// (MSG_MORE, or UDP_CORK set).
pub(super) fn corks(sc: Sc, args: &[u64; 6]) -> bool {
    let flags = match sc {
        Sc::Sendto | Sc::Sendmmsg => args[3],
        Sc::Sendmsg => args[2],
        Sc::Setsockopt => {
            return args[1] == libc::IPPROTO_UDP as u64 && args[2] == libc::UDP_CORK as u64;
        }
        _ => return false,
    };
    flags as i32 & libc::MSG_MORE != 0
}

//! Run programs under ptrace with a seccomp-BPF filter that stops them only
//! at socket-related system calls (as `strace --seccomp-bpf` does), follow
//! every process and thread they start, and record each socket call with
//! its decoded arguments, data and result.

use std::collections::{HashMap, HashSet};
use std::ffi::CString;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

pub use super::spawn::kill_all;

use super::decode::{self, Addr, Sc};
use super::notify;
use super::ready::Ready;
use super::regs::{self, Regs};
use super::spawn::{filter, pty, reader, resolve};
use super::tracee::{msghdr, names, pidfd_getfd, pidfd_open, poll_bits, signal_name, write_file};
use super::watch::{FIRED_NOT_READY, FIRED_TIMEOUT, Watch, watchdog};
pub use super::watch::{Options, Stepped, Stepper};
use crate::error::Error;
use crate::live::capture::now_ns;

mod fast;
mod record;

use fast::{Fast, corks};

/// Bytes of a call's data kept in the transcript.
pub const DATA_CAP: usize = 64 * 1024;

pub struct Program {
    pub argv: Vec<String>,
    /// What the user wrote, for names.
    pub label: String,
    pub stdin: Option<OwnedFd>,
    /// The network namespace it runs in (a lesson's host), as an open
    /// namespace file; the sandbox's own when `None`.
    pub netns: Option<std::os::fd::RawFd>,
}

/// One recorded socket call.
#[derive(Debug, Clone)]
pub struct Call {
    pub pid: i32,
    pub program: usize,
    pub sc: Sc,
    pub fd: i64,
    pub args: String,
    pub result: String,
    pub ok: bool,
    pub ret: i64,
    pub start_ns: u64,
    pub end_ns: u64,
    pub data: Option<Vec<u8>>,
    pub local: Option<SocketAddr>,
    pub peer: Option<SocketAddr>,
    pub transport: Option<&'static str>,
}

/// A line a program wrote to its stdout or stderr.
#[derive(Debug, Clone)]
pub struct Line {
    pub program: usize,
    pub stderr: bool,
    pub timestamp_ns: u64,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Exit {
    pub program: usize,
    pub pid: i32,
    pub timestamp_ns: u64,
    /// `exited with status 0`, `killed by signal 9`.
    pub how: String,
    pub ok: bool,
    /// The status it exited with (None: killed by a signal).
    pub status: Option<i32>,
}

#[derive(Default)]
pub struct Outcome {
    pub calls: Vec<Call>,
    pub lines: Vec<Line>,
    pub exits: Vec<Exit>,
    /// The timeout struck: these programs were killed.
    pub timed_out: bool,
    /// (pid, program) of every process seen.
    pub processes: Vec<(i32, usize)>,
    /// A `--ready` condition never met: what did not happen; the programs
    /// after it were not started and the others were killed.
    pub not_ready: Option<String>,
}

#[derive(Clone, Copy)]
struct Sock {
    family: i32,
    stype: i32,
    local: Option<SocketAddr>,
    peer: Option<SocketAddr>,
}

struct Pending {
    sc: Sc,
    args: [u64; 6],
    start_ns: u64,
    /// What the fast path read and answered (a `sendto` made by us).
    taken: Option<Taken>,
}

/// A fast-path `sendto`'s data, address and the socket's names after it.
struct Taken {
    data: Vec<u8>,
    to: Vec<u8>,
    local: Option<SocketAddr>,
    peer: Option<SocketAddr>,
}

struct Tracer {
    programs: Vec<Program>,
    started: usize,
    /// pid → (tgid, program).
    tasks: HashMap<i32, (i32, usize)>,
    /// Spawned programs whose first stop has not come yet.
    fresh: HashSet<i32>,
    mains: HashMap<i32, usize>,
    pending: HashMap<i32, Pending>,
    sockets: HashMap<(i32, i64), Sock>,
    table: HashMap<i64, Sc>,
    filter: seccompiler::BpfProgram,
    out: Outcome,
    lines_tx: mpsc::Sender<Line>,
    readers: Vec<std::thread::JoinHandle<()>>,
    live: Arc<Mutex<Vec<i32>>>,
    /// Printed bytes not yet ending a line, per (process, stderr).
    printing: HashMap<(i32, bool), Vec<u8>>,
    /// Per program: the paths of its stdout and stderr terminals.
    ttys: Vec<[std::path::PathBuf; 2]>,
    observer: Option<mpsc::Sender<Call>>,
    cwd: Option<CString>,
    /// A program printed the line its `--ready` waits for (seen at a stop
    /// where nothing may be started yet).
    pending_met: Option<usize>,
    options: Options,
    watch: mpsc::Sender<Watch>,
    /// Set by the watchdog when it kills (FIRED_*).
    fired: Arc<AtomicU8>,
    /// An error met while settling other tasks (step mode), for the loop.
    failed: Option<Error>,
    /// The program whose `--ready` condition the next one waits for.
    waiting: Option<usize>,
    /// The fast path for datagram sends, when this kernel has it (never in
    /// step mode, where every call stops).
    fast: Option<Fast>,
}

pub(super) fn os(what: &str, e: io::Error) -> Error {
    Error::Usage {
        message: format!("tracing: {what}: {e}"),
        hint: "tracing uses ptrace and seccomp inside the sandbox; a container may forbid them (docker: --cap-add SYS_PTRACE, or its seccomp profile)".into(),
    }
}

/// Run `programs` in order, each next one once the previous has bound a
/// datagram socket, is listening, or has exited; kill whatever still runs
/// after `timeout`.
pub fn run(programs: Vec<Program>, timeout: Duration) -> Result<Outcome, Error> {
    run_with(programs, timeout, Options::default())
}

/// `run`, each next program started when the previous one meets its
/// `options.ready` condition (`Ready::Auto` for those not given); a wait
/// longer than `options.ready_timeout`, or a program that exits before it
/// meets its condition, ends the run with `Outcome::not_ready` saying so.
/// A caller acting while the programs run (a lesson's program actor) gets
/// each call as it returns through `options.calls`.
pub fn run_with(
    programs: Vec<Program>,
    timeout: Duration,
    options: Options,
) -> Result<Outcome, Error> {
    let table = decode::table();
    let (lines_tx, lines_rx) = mpsc::channel();
    let cwd = options.cwd_c()?;
    let live = options.live();
    let (watch_tx, watch_rx) = mpsc::channel::<Watch>();
    let fired = Arc::new(AtomicU8::new(0));
    let t_calls = options.calls.clone();
    // Unless `--no-fast-sends`, and never in step mode (every call
    // stops there) nor when calls are watched as they return (grade): the
    // tracer thread records a fast call only at the next stop, which is
    // soon enough for a transcript built after.
    let fast = (options.fast_sends && options.step.is_none() && options.calls.is_none())
        .then(notify::filter)
        .flatten()
        .map(Fast::new);
    let mut t = Tracer {
        fast,
        fired: fired.clone(),
        failed: None,
        options,
        watch: watch_tx.clone(),
        waiting: None,
        pending_met: None,
        filter: filter(&table)?,
        table: table.into_iter().collect(),
        programs,
        started: 0,
        tasks: HashMap::new(),
        fresh: HashSet::new(),
        mains: HashMap::new(),
        pending: HashMap::new(),
        sockets: HashMap::new(),
        out: Outcome::default(),
        lines_tx,
        readers: Vec::new(),
        live: live.clone(),
        printing: HashMap::new(),
        ttys: Vec::new(),
        observer: t_calls,
        cwd,
    };
    // The watchdog: bounded waits (the whole run, each --ready wait), then
    // SIGKILL for whatever still runs.
    let watchdog = watchdog(watch_rx, timeout, live.clone(), fired.clone());
    let result = t.start_next().and_then(|()| t.wait_loop());
    if let Some(f) = &mut t.fast {
        f.done.store(true, Ordering::Relaxed);
        for s in f.servers.drain(..) {
            let _ = s.join();
        }
    }
    let sent = t.drain_fast();
    let result = result.and(sent);
    if let Some(f) = &t.fast {
        f.print_stats();
    }
    let _ = watch_tx.send(Watch::Done);
    let _ = watchdog.join();
    match fired.load(Ordering::SeqCst) {
        FIRED_TIMEOUT => t.out.timed_out = true,
        FIRED_NOT_READY => {
            if let Some(p) = t.waiting {
                let s = t.options.ready_timeout.as_secs_f64();
                t.not_ready(p, format!("{} within --ready-timeout {s} s", t.ready(p)));
            }
        }
        _ => {}
    }
    drop(t.lines_tx);
    for r in t.readers.drain(..) {
        let _ = r.join();
    }
    // Lines seen on the terminals are the fallback for output that did not
    // come through write(2) on descriptor 1 or 2 (writev, a copy of it).
    let traced: HashSet<usize> = t.out.lines.iter().map(|l| l.program).collect();
    t.out.lines.extend(
        lines_rx
            .into_iter()
            .filter(|l| !traced.contains(&l.program)),
    );
    for ((tgid, stderr), rest) in std::mem::take(&mut t.printing) {
        if !rest.is_empty() {
            let program = t.tasks.get(&tgid).map_or(0, |x| x.1);
            let text = String::from_utf8_lossy(&rest).into_owned();
            t.out.lines.push(Line {
                program,
                stderr,
                timestamp_ns: now_ns(),
                text,
            });
        }
    }
    result?;
    Ok(t.out)
}

impl Tracer {
    /// Program `p`'s `--ready` condition.
    fn ready(&self, p: usize) -> Ready {
        self.options.ready.get(p).cloned().unwrap_or_default()
    }

    /// Program `p`'s condition can no longer be met (`what` did not
    /// happen): start nothing more, kill what runs.
    fn not_ready(&mut self, p: usize, what: String) {
        self.waiting = None;
        self.started = self.programs.len();
        let label = |i: usize| {
            self.programs.get(i).map_or("?".into(), |x| {
                crate::text::printable(&x.label).into_owned()
            })
        };
        self.out.not_ready.get_or_insert_with(|| {
            format!(
                "`{}` was not started: `{}` {what} (--ready {})",
                label(p + 1),
                label(p),
                match self.options.ready.get(p) {
                    Some(Ready::Output(t)) => format!("'output:{t}'"),
                    Some(Ready::Bound) => "bound".into(),
                    Some(Ready::Listening) => "listening".into(),
                    Some(Ready::Exited) => "exited".into(),
                    Some(Ready::Auto) | None => "auto".into(),
                }
            )
        });
        kill_all(&self.live);
    }

    /// Program `p` met its condition: start the next one.
    fn met(&mut self, p: usize) -> Result<(), Error> {
        if self.waiting != Some(p) {
            return Ok(());
        }
        self.waiting = None;
        let _ = self.watch.send(Watch::Met);
        self.start_next()
    }

    fn start_next(&mut self) -> Result<(), Error> {
        let Some(p) = self.programs.get_mut(self.started) else {
            return Ok(());
        };
        let index = self.started;
        self.started += 1;
        let label = p.label.clone();
        let path = resolve(&p.argv[0]).ok_or_else(|| Error::Usage {
            message: format!(
                "cannot run `{}`: `{}` is not a program on PATH",
                crate::text::printable(&label),
                crate::text::printable(&p.argv[0])
            ),
            hint: "give the program's path, e.g. `python3 ./server.py`".into(),
        })?;
        let argv: Vec<CString> = p
            .argv
            .iter()
            .map(|a| CString::new(a.as_bytes()))
            .collect::<Result<_, _>>()
            .map_err(|_| Error::Usage {
                message: format!(
                    "`{}` has a NUL byte in an argument",
                    crate::text::printable(&label)
                ),
                hint: "remove it".into(),
            })?;
        let mut argv_ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
        argv_ptrs.push(std::ptr::null());
        // SAFETY: getuid/getgid cannot fail.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        // Inside the sandbox we are uid 0; the program gets a user namespace
        // of its own where it is the user again (outside uid, no capability
        // over the network), so it runs as it would outside.
        let real_uid = std::fs::read_to_string("/proc/self/uid_map")
            .ok()
            .and_then(|m| {
                m.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<u32>().ok())
            })
            .unwrap_or(uid);
        let real_gid = std::fs::read_to_string("/proc/self/gid_map")
            .ok()
            .and_then(|m| {
                m.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<u32>().ok())
            })
            .unwrap_or(gid);
        let uid_map = format!("{real_uid} {uid} 1");
        let gid_map = format!("{real_gid} {gid} 1");
        let (out_m, out_s) = pty()?;
        let (err_m, err_s) = pty()?;
        let stdin = p.stdin.take();
        let devnull = std::fs::File::open("/dev/null").map_err(|e| os("opening /dev/null", e))?;
        let stdin_fd = stdin.as_ref().map(|f| f.as_raw_fd());
        let fprog = libc::sock_fprog {
            len: self.filter.len() as u16,
            filter: self.filter.as_ptr() as *mut libc::sock_filter,
        };
        let fast = self.fast.as_ref().map(|f| libc::sock_fprog {
            len: f.filter.len() as u16,
            filter: f.filter.as_ptr() as *mut libc::sock_filter,
        });
        let netns = p.netns;
        let last = index + 1 == self.programs.len();
        let cwd = self.cwd.as_ref().map(|c| c.as_ptr());
        // SAFETY: after fork the child calls only async-signal-safe
        // functions (raw system calls) on data prepared before the fork.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(os("fork", io::Error::last_os_error()));
        }
        if pid == 0 {
            // SAFETY: see above.
            unsafe {
                let input = match stdin_fd {
                    Some(fd) => fd,
                    None if last => 0,
                    None => devnull.as_raw_fd(),
                };
                if input != 0 {
                    libc::dup2(input, 0);
                }
                libc::dup2(out_s.as_raw_fd(), 1);
                libc::dup2(err_s.as_raw_fd(), 2);
                if let Some(dir) = cwd
                    && libc::chdir(dir) != 0
                {
                    let msg = b"netcourse: cannot enter the programs' directory\n";
                    libc::write(2, msg.as_ptr().cast(), msg.len());
                    libc::_exit(127);
                }
                // The host's network, while still the sandbox's root (the
                // user namespace below may not enter it).
                if let Some(ns) = netns
                    && libc::setns(ns, libc::CLONE_NEWNET) != 0
                {
                    let msg = b"netcourse trace: cannot enter the program's host\n";
                    libc::write(2, msg.as_ptr().cast(), msg.len());
                    libc::_exit(126);
                }
                libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0);
                libc::raise(libc::SIGSTOP);
                if libc::unshare(libc::CLONE_NEWUSER) == 0 {
                    write_file(c"/proc/self/setgroups", b"deny");
                    write_file(c"/proc/self/uid_map", uid_map.as_bytes());
                    write_file(c"/proc/self/gid_map", gid_map.as_bytes());
                    libc::setresgid(real_gid, real_gid, real_gid);
                    libc::setresuid(real_uid, real_uid, real_uid);
                }
                libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                if libc::syscall(libc::SYS_seccomp, 1 /* SET_MODE_FILTER */, 0, &fprog) != 0 {
                    libc::_exit(126);
                }
                if let Some(fast) = &fast {
                    let flags = notify::FLAG_NEW_LISTENER | notify::FLAG_WAIT_KILLABLE_RECV;
                    let l = libc::syscall(libc::SYS_seccomp, 1, flags, fast);
                    if l >= 0 {
                        // The tracer takes a copy of the listener at this
                        // stop (it closes at exec).
                        notify::LISTENER.store(l as i32, Ordering::Relaxed);
                        libc::raise(libc::SIGSTOP);
                    }
                }
                libc::execv(path.as_ptr(), argv_ptrs.as_ptr());
                let msg = b"netcourse trace: cannot execute the program\n";
                libc::write(2, msg.as_ptr().cast(), msg.len());
                libc::_exit(127);
            }
        }
        let tty = |fd: &OwnedFd| {
            std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap_or_default()
        };
        self.ttys.push([tty(&out_s), tty(&err_s)]);
        drop((out_s, err_s, stdin, devnull));
        self.readers
            .push(reader(out_m, index, false, self.lines_tx.clone()));
        self.readers
            .push(reader(err_m, index, true, self.lines_tx.clone()));
        if index + 1 < self.programs.len() {
            self.waiting = Some(index);
            let _ = self
                .watch
                .send(Watch::Wait(Instant::now() + self.options.ready_timeout));
        }
        self.fresh.insert(pid);
        if let Some(f) = &mut self.fast {
            f.listening.insert(pid);
        }
        self.mains.insert(pid, index);
        self.tasks.insert(pid, (pid, index));
        self.out.processes.push((pid, index));
        if let Ok(mut l) = self.live.lock() {
            l.push(pid);
        }
        Ok(())
    }

    /// Whether descriptor 1 or 2 of `pid` is still the terminal we gave its
    /// program (a shell's `$(…)` points it at a pipe instead).
    fn is_terminal(&self, pid: i32, program: usize, fd: u64) -> bool {
        let Some(ttys) = self.ttys.get(program) else {
            return false;
        };
        std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).is_ok_and(|p| ttys.contains(&p))
    }

    fn task(&mut self, pid: i32) -> (i32, usize) {
        if let Some(t) = self.tasks.get(&pid) {
            return *t;
        }
        // A process or thread we have not met: its Tgid and parent say whose.
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let field = |k: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(k))
                .and_then(|v| v.trim().parse::<i32>().ok())
        };
        let tgid = field("Tgid:").unwrap_or(pid);
        let ppid = field("PPid:").unwrap_or(0);
        let program = self
            .tasks
            .get(&tgid)
            .or_else(|| self.tasks.get(&ppid))
            .map_or(0, |t| t.1);
        self.tasks.insert(pid, (tgid, program));
        if tgid == pid {
            self.out.processes.push((pid, program));
        }
        if let Ok(mut l) = self.live.lock() {
            l.push(pid);
        }
        (tgid, program)
    }

    /// A forked process's descriptors are copies of its parent's, sockets
    /// included.
    fn inherit_sockets(&mut self, parent: i32, child: i32) {
        let inherited: Vec<((i32, i64), Sock)> = self
            .sockets
            .iter()
            .filter(|((tgid, _), _)| *tgid == parent)
            .map(|(&(_, fd), s)| ((child, fd), *s))
            .collect();
        self.sockets.extend(inherited);
    }

    fn wait_loop(&mut self) -> Result<(), Error> {
        loop {
            let mut status = 0;
            let pid = wait_any(&mut status);
            if pid < 0 {
                let e = io::Error::last_os_error();
                match e.raw_os_error() {
                    Some(libc::EINTR) => continue,
                    Some(libc::ECHILD) => {
                        if self.started < self.programs.len() && self.waiting.is_none() {
                            self.start_next()?;
                            continue;
                        }
                        return Ok(());
                    }
                    _ => return Err(os("waitpid", e)),
                }
            }
            self.handle(pid, status)?;
            if let Some(e) = self.failed.take() {
                return Err(e);
            }
        }
    }

    /// One stop or end of a traced task.
    fn handle(&mut self, pid: i32, status: i32) -> Result<(), Error> {
        self.drain_fast()?;
        let continued = self.fast.as_mut().and_then(|f| f.continued.remove(&pid));
        {
            if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
                self.pending.remove(&pid);
                if let Some(program) = self.mains.remove(&pid) {
                    let how = if libc::WIFEXITED(status) {
                        format!("exited with status {}", libc::WEXITSTATUS(status))
                    } else {
                        format!(
                            "was killed by signal {}",
                            signal_name(libc::WTERMSIG(status))
                        )
                    };
                    let exit = Exit {
                        program,
                        pid,
                        timestamp_ns: now_ns(),
                        ok: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
                        status: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
                        how: how.clone(),
                    };
                    if self.options.step.is_some() {
                        self.hold(Stepped::Exit(exit.clone()));
                    }
                    self.out.exits.push(exit);
                    let killed = self.fired.load(Ordering::SeqCst) != 0;
                    if self.waiting == Some(program) && !killed {
                        if self.ready(program).met_by_exit() {
                            self.met(program)?;
                        } else {
                            let what = format!("{}: it {how} first", self.ready(program));
                            self.not_ready(program, what);
                        }
                    }
                }
                return Ok(());
            }
            if !libc::WIFSTOPPED(status) {
                return Ok(());
            }
            let sig = libc::WSTOPSIG(status);
            let event = status >> 16;
            let mut inject = 0;
            let mut resume = libc::PTRACE_CONT;
            if self.fresh.remove(&pid) {
                let opts = libc::PTRACE_O_TRACESYSGOOD
                    | libc::PTRACE_O_TRACECLONE
                    | libc::PTRACE_O_TRACEFORK
                    | libc::PTRACE_O_TRACEVFORK
                    | libc::PTRACE_O_TRACEEXEC
                    | libc::PTRACE_O_TRACESECCOMP
                    | libc::PTRACE_O_EXITKILL;
                // SAFETY: pid is our stopped tracee.
                unsafe { libc::ptrace(libc::PTRACE_SETOPTIONS, pid, 0, opts) };
            } else if event == libc::PTRACE_EVENT_SECCOMP {
                if self.entry(pid) {
                    resume = libc::PTRACE_SYSCALL;
                }
                if let Some(p) = self.pending_met.take() {
                    self.met(p)?;
                }
            } else if sig == libc::SIGTRAP | 0x80 {
                self.exit(pid)?;
            } else if event == libc::PTRACE_EVENT_FORK || event == libc::PTRACE_EVENT_VFORK {
                // The new process holds copies of its parent's sockets (a
                // server that forks for each client): known from now on.
                let mut child: libc::c_ulong = 0;
                // SAFETY: pid is our tracee, stopped at a fork event; the
                // kernel writes the new pid into `child`.
                let rc = unsafe { libc::ptrace(libc::PTRACE_GETEVENTMSG, pid, 0, &mut child) };
                if rc == 0 {
                    let parent = self.task(pid).0;
                    self.inherit_sockets(parent, child as i32);
                }
            } else if event == libc::PTRACE_EVENT_EXEC {
                if let Some(f) = &mut self.fast {
                    f.listening.remove(&pid);
                }
            } else if event != 0 {
                // clone: the new task is found at its first stop.
            } else if sig == libc::SIGSTOP && self.take_listener(pid) {
                // The fast path's listener, taken.
            } else if sig == libc::SIGSTOP && !self.tasks.contains_key(&pid) {
                // A new task's first stop.
                self.task(pid);
            } else if sig != libc::SIGTRAP {
                inject = sig;
                self.finish_unanswered_send(pid, continued);
            }
            // SAFETY: pid is our stopped tracee.
            unsafe { libc::ptrace(resume, pid, 0, inject) };
        }
        Ok(())
    }

    /// Step mode, before holding `pid` at a call: take the stops already
    /// waiting of every other task in a call (waitpid picks among stopped
    /// children in no time order), so that a call that returned is shown
    /// as done before the next one is announced.
    fn settle(&mut self, pid: i32) {
        let others: Vec<i32> = self.pending.keys().copied().filter(|&p| p != pid).collect();
        for other in others {
            let mut status = 0;
            // SAFETY: waitpid on our tracee, without blocking.
            let got = unsafe { libc::waitpid(other, &mut status, libc::__WALL | libc::WNOHANG) };
            if got == other
                && let Err(e) = self.handle(other, status)
            {
                self.failed.get_or_insert(e);
            }
        }
    }

    /// At a seccomp stop: decide whether this call is recorded (then its
    /// exit is wanted too).
    fn entry(&mut self, pid: i32) -> bool {
        let start_ns = now_ns();
        let Ok(r) = regs::read(pid) else { return false };
        let Some(&sc) = self.table.get(&r.nr) else {
            return false;
        };
        if let Some(f) = &self.fast
            && corks(sc, &r.args)
        {
            f.corked.store(true, Ordering::SeqCst);
        }
        let (tgid, program) = self.task(pid);
        // A write to the program's own terminal is what it prints: taken
        // here, at the moment it printed, and never stopped at again.
        if sc == Sc::Write
            && matches!(r.args[0], 1 | 2)
            && self.is_terminal(pid, program, r.args[0])
        {
            let data = regs::read_mem(pid, r.args[1], (r.args[2] as usize).min(DATA_CAP));
            let stderr = r.args[0] == 2;
            let waiting_for_line = (self.waiting == Some(program)).then(|| self.ready(program));
            let buf = self.printing.entry((tgid, stderr)).or_default();
            buf.extend_from_slice(&data);
            while let Some(i) = buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = buf.drain(..=i).collect();
                let text = String::from_utf8_lossy(&line[..line.len() - 1])
                    .trim_end_matches('\r')
                    .to_string();
                let met = waiting_for_line
                    .as_ref()
                    .is_some_and(|r| r.met_by_line(&text));
                let line = Line {
                    program,
                    stderr,
                    timestamp_ns: start_ns,
                    text,
                };
                if let Some(step) = &self.options.step {
                    let _ = step.tx.send(Stepped::Line(line.clone()));
                }
                self.out.lines.push(line);
                if met {
                    self.pending_met = Some(program);
                }
            }
            return false;
        }
        if sc.only_on_sockets() && !self.sockets.contains_key(&(tgid, r.args[0] as i64)) {
            return false;
        }
        if sc.is_wait() && !self.sockets.keys().any(|(t, _)| *t == tgid) {
            return false;
        }
        self.pending.insert(
            pid,
            Pending {
                sc,
                args: r.args,
                start_ns,
                taken: None,
            },
        );
        if self.options.step.is_some() {
            let call = super::tracee::entry_text(pid, sc, &r.args);
            self.hold(Stepped::About {
                pid,
                program,
                name: sc.name(),
                call,
            });
            if let Some(p) = self.pending.get_mut(&pid) {
                // The call starts when the student lets it.
                p.start_ns = now_ns();
            }
        }
        true
    }

    /// Step mode: say what happened; for a call about to run, wait for the
    /// go (the program stays stopped). A student who quit stops them all.
    fn hold(&mut self, what: Stepped) {
        if self.options.step.is_none() {
            return;
        }
        let about = matches!(what, Stepped::About { .. });
        if let Stepped::About { pid, .. } = &what {
            let pid = *pid;
            self.settle(pid);
        }
        let Some(step) = &self.options.step else {
            return;
        };
        if step.tx.send(what).is_err() {
            self.options.step = None;
            kill_all(&self.live);
            return;
        }
        if about {
            let _ = self.watch.send(Watch::Pause);
            let go = step.go.recv();
            let _ = self.watch.send(Watch::Resume);
            if go.is_err() {
                self.options.step = None;
                kill_all(&self.live);
            }
        }
    }

    fn exit(&mut self, pid: i32) -> Result<(), Error> {
        let Some(p) = self.pending.remove(&pid) else {
            return Ok(());
        };
        let end_ns = now_ns();
        let Ok(r) = regs::read(pid) else {
            return Ok(());
        };
        self.record(pid, p, &r, end_ns, None)
    }

    /// `pid`'s call `p` ended with `r`; `unseen` says why its result is
    /// not known (a fast-path call the program made itself).
    fn record(
        &mut self,
        pid: i32,
        p: Pending,
        r: &Regs,
        end_ns: u64,
        unseen: Option<&str>,
    ) -> Result<(), Error> {
        let (tgid, program) = self.task(pid);
        let mut call = self.decode(pid, tgid, program, &p, r, end_ns);
        if let Some(why) = unseen {
            call.ok = false;
            call.result = format!("not seen: {why}");
        }
        let ready = call.ok
            && self.waiting == Some(program)
            && self
                .ready(program)
                .met_by_call(call.sc, self.sockets.get(&(tgid, call.fd)).map(|s| s.stype));
        if self.options.step.is_some() {
            self.hold(Stepped::Done(call.clone()));
        }
        if let Some(o) = &self.observer {
            let _ = o.send(call.clone());
        }
        self.out.calls.push(call);
        if ready {
            self.met(program)?;
        }
        Ok(())
    }
}

/// How long the tracer keeps looking for the next stop before it sleeps.
/// A traced call stops the program twice; if the tracer sleeps, each stop
/// is a wakeup of another CPU, which costs tens of microseconds on a
/// virtual machine (measured: 50 µs here against 2.5 µs on one CPU), more
/// than the call itself. A program between socket calls for longer than
/// this finds the tracer asleep, as before.
const SPIN: Duration = Duration::from_micros(200);

/// `waitpid(-1)` over all our tracees: first without blocking while `SPIN`
/// lasts (when there is another CPU for the program to run on), then
/// blocking.
fn wait_any(status: &mut i32) -> i32 {
    static SEVERAL_CPUS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let spin = *SEVERAL_CPUS
        .get_or_init(|| std::thread::available_parallelism().is_ok_and(|n| n.get() > 1));
    let start = Instant::now();
    while spin && start.elapsed() < SPIN {
        // SAFETY: waitpid on our tracees, without blocking.
        let pid = unsafe { libc::waitpid(-1, status, libc::__WALL | libc::WNOHANG) };
        if pid != 0 {
            return pid;
        }
        // Yielding, so that the capture thread gets this CPU when it needs it.
        // SAFETY: plain sched_yield(2).
        unsafe { libc::sched_yield() };
    }
    // SAFETY: waitpid on our tracees.
    unsafe { libc::waitpid(-1, status, libc::__WALL) }
}

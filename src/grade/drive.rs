//! A lesson whose actor is a program: the program runs under the tracer
//! (its own thread: a tracer must be the thread that forked) in the same
//! sandbox as the lesson's scripted actors, which run their steps here.
//!
//! When it starts: before the first step that reaches it (a `sendto` or
//! `connect` to it), once it has bound its UDP port or listens on its TCP
//! port; else before the first step that waits (an `accept`, a `recv`),
//! so a scripted server is bound and listening first; else after the
//! steps. When the steps are over it is given until the timeout to end on
//! its own; a run that stopped early stops it at once.

use std::cell::RefCell;
use std::os::fd::{FromRawFd, OwnedFd};
use std::rc::Rc;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use super::submission::Programs;
use crate::error::Error;
use crate::live::sandbox::NetMode;
use crate::plan::{Call, Peer, Plan, Transport};
use crate::run::LiveRun;
use crate::trace::decode::Sc;
use crate::trace::tracer::{self, Options};
use crate::transcript::{CallDetail, Event, EventKind, Notes, Outcome, Transcript, to_hex};

/// Longest a program may take to bind or listen before the steps that
/// reach it run.
pub const READY_BOUND: Duration = Duration::from_secs(5);

/// What the program did.
pub struct ProgramRun {
    pub actor: usize,
    /// The actor's name.
    pub name: String,
    pub slot: String,
    pub command: String,
    /// `binds UDP port 5000`: what the steps waited for, if they did.
    pub ready_text: Option<String>,
    /// Why the wait for it ran out (then the steps did not run).
    pub not_ready: Option<String>,
    pub traced: Option<tracer::Outcome>,
    /// Stopped because the lesson's run stopped early.
    pub stopped_early: bool,
}

pub struct Graded {
    pub transcript: Transcript,
    /// What stopped the lesson's steps, if anything did.
    pub failure: Option<Error>,
    pub program: ProgramRun,
    /// The events from here on came after the steps (the program ending).
    pub tail_start: usize,
}

/// The calls the tracer reported so far.
struct Seen {
    rx: mpsc::Receiver<tracer::Call>,
    calls: Vec<tracer::Call>,
    named: usize,
    /// Calls already added to the transcript.
    shown: usize,
    ended: bool,
}

impl Seen {
    fn pull(&mut self) {
        loop {
            match self.rx.try_recv() {
                Ok(c) => self.calls.push(c),
                Err(mpsc::TryRecvError::Empty) => return,
                Err(mpsc::TryRecvError::Disconnected) => {
                    self.ended = true;
                    return;
                }
            }
        }
    }
}

/// Which step the program starts before, and whether that step waits
/// until it is bound or listening.
fn start_point(plan: &Plan, actor: usize) -> (usize, bool) {
    let reaches = plan.steps.iter().position(|s| {
        matches!(&s.call, Call::Connect { to: Peer::Actor(a) } | Call::SendTo { to: Peer::Actor(a), .. } if *a == actor)
    });
    let waits = plan
        .steps
        .iter()
        .position(|s| crate::sockets::blocks(&s.call, Some(plan.actors[s.actor].transport)));
    match (reaches, waits) {
        (Some(r), Some(w)) if w < r => (w, false),
        (Some(r), _) => (r, true),
        (None, Some(w)) => (w, false),
        (None, None) => (plan.steps.len(), false),
    }
}

/// The program's standard input: a pipe holding the lesson's `stdin:`
/// (at most 16 KiB, less than a pipe holds, so writing never waits).
fn stdin_pipe(data: &[u8]) -> Result<OwnedFd, Error> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(Error::Io {
            path: "a pipe for the program's input".into(),
            action: "create",
            reason: std::io::Error::last_os_error().to_string(),
        });
    }
    // SAFETY: both are fresh descriptors we own.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let mut w = std::fs::File::from(write);
    std::io::Write::write_all(&mut w, data).map_err(|e| Error::Io {
        path: "the program's input".into(),
        action: "write",
        reason: e.to_string(),
    })?;
    Ok(read)
}

/// What a lesson with a program slot needs and was not given.
pub fn missing(plan: &Plan, programs: &Programs, lesson_arg: &str) -> Option<Error> {
    let (actor, slot) = plan
        .programs()
        .find(|(_, s)| !programs.commands.contains_key(&s.slot))?;
    let a = &plan.actors[actor];
    let role = match plan.program_ready_text(actor) {
        Some(r) => format!(" — a program that {r}"),
        None => format!(" — a {} program", a.transport.as_str().to_uppercase()),
    };
    Some(Error::Usage {
        message: format!(
            "lesson `{}` needs a program for its slot `{}` (actor `{}`{role}); it never runs a command by itself",
            plan.name, slot.slot, a.name
        ),
        hint: format!(
            "give the command: netcourse run lesson {lesson_arg} --program {}='python3 your_program.py', or grade a submission directory whose {} names it: netcourse grade {lesson_arg} --submission DIR",
            slot.slot,
            super::submission::MANIFEST
        ),
    })
}

/// What `run` calls with each step's events.
pub type Show<'a> = dyn FnMut(&Transcript, Option<usize>, &[Event]) + 'a;

/// Run `plan` with its program; `show` gets each step's events as they
/// happen (`None` for the events after the last step).
pub fn run(
    plan: &Plan,
    programs: &Programs,
    timeout: Duration,
    show: &mut Show<'_>,
) -> Result<Graded, Error> {
    let (actor, slot) = plan.programs().next().ok_or_else(|| Error::Usage {
        message: format!("lesson `{}` has no program slot", plan.name),
        hint: "leave out --program and --submission, or add `program: SLOT` to an actor".into(),
    })?;
    let Some(command) = programs.commands.get(&slot.slot).cloned() else {
        return Err(missing(plan, programs, &plan.name).unwrap_or(Error::Usage {
            message: format!("no command for program slot `{}`", slot.slot),
            hint: format!("--program {}='python3 your_program.py'", slot.slot),
        }));
    };
    let argv = crate::trace::split_words(&command).map_err(|why| Error::Usage {
        message: format!(
            "the command for slot `{}` (`{}`): {why}",
            slot.slot,
            crate::text::printable(&command)
        ),
        hint: "write it as you would in a shell, e.g. python3 server.py".into(),
    })?;
    if argv.is_empty() {
        return Err(Error::Usage {
            message: format!("the command for slot `{}` is empty", slot.slot),
            hint: "e.g. --program server='python3 server.py'".into(),
        });
    }
    let name = plan.actors[actor].name.clone();
    let (start_at, wait) = start_point(plan, actor);
    let ready_text = if wait {
        plan.program_ready_text(actor)
    } else {
        None
    };
    let (tx, rx) = mpsc::channel();
    let seen = Rc::new(RefCell::new(Seen {
        rx,
        calls: Vec::new(),
        named: 0,
        shown: 0,
        ended: false,
    }));
    let mut tx = Some(tx);
    let pids: Arc<Mutex<Vec<i32>>> = Arc::default();

    let mut live = LiveRun::start(plan, NetMode::Sandbox)?;
    {
        let seen = seen.clone();
        let name = name.clone();
        let pids = pids.clone();
        live.set_namer(Box::new(move |unknown| {
            let mut s = seen.borrow_mut();
            s.pull();
            let start = s.named;
            s.named = s.calls.len();
            let mut names: Vec<_> = s.calls[start..]
                .iter()
                .filter_map(|c| c.local.map(|a| (a, name.clone())))
                .collect();
            // The tracer reports a call when it returns, which may be after
            // the step that saw its frame: the sockets it holds say it now.
            let live_pids = pids.lock().map(|p| p.clone()).unwrap_or_default();
            names.extend(
                super::procnet::addresses(&live_pids)
                    .into_iter()
                    .map(|a| (a, name.clone())),
            );
            // In the sandbox only the lesson's sockets and the program's
            // exist: a peer no scripted actor holds (the sender of a
            // datagram, the client of an accepted connection) is the
            // program's, even if it has closed that socket since.
            names.extend(unknown.iter().map(|a| (*a, name.clone())));
            names
        }));
    }
    let mut tracer_thread = None;
    // On a lesson's host, in that host's network.
    let netns = plan.actors[actor].host.and_then(|h| live.host_netns(h));
    let start = |tx: mpsc::Sender<tracer::Call>| -> Result<_, Error> {
        let program = tracer::Program {
            argv: argv.clone(),
            label: command.clone(),
            stdin: Some(stdin_pipe(&slot.stdin)?),
            netns,
        };
        let options = Options {
            calls: Some(tx),
            pids: Some(pids.clone()),
            cwd: programs.dir.clone(),
            ..Options::default()
        };
        Ok(std::thread::spawn(move || {
            tracer::run_with(vec![program], timeout, options)
        }))
    };
    let mut not_ready = None;
    let mut capture_error = None;
    while let Some(index) = live.upcoming() {
        if index >= start_at
            && let Some(tx) = tx.take()
        {
            tracer_thread = Some(start(tx)?);
            if wait && let Err(why) = wait_ready(&seen, plan, actor) {
                not_ready = Some(why);
                break;
            }
        }
        match live.step() {
            Ok(mut events) => {
                let step = plan.steps[index].number;
                events.extend(program_events(&mut live, &seen, &name, step));
                show(live.transcript(), Some(index + 1), &events)
            }
            Err(e) => {
                capture_error = Some(e);
                break;
            }
        }
    }
    if let Some(tx) = tx.take()
        && not_ready.is_none()
        && capture_error.is_none()
        && live.transcript().complete
    {
        tracer_thread = Some(start(tx)?);
    }
    let stopped_early = !live.transcript().complete;
    if stopped_early {
        tracer::kill_all(&pids);
    }
    let traced = match tracer_thread.map(|t| t.join()) {
        Some(Ok(Ok(outcome))) => Some(outcome),
        Some(Ok(Err(e))) => return Err(e),
        Some(Err(_)) => {
            return Err(Error::Usage {
                message: "tracing the program failed unexpectedly".into(),
                hint: "run it with `netcourse trace` to see what it does".into(),
            });
        }
        None => None,
    };
    let tail_start = live.transcript().events.len();
    if capture_error.is_none() {
        let last = live.transcript().events.last().map_or(0, |e| e.step);
        match live.tail() {
            Ok(mut events) => {
                // The calls it made after the steps, until it ended.
                events.extend(program_events(&mut live, &seen, &name, last));
                if !events.is_empty() {
                    show(live.transcript(), None, &events);
                }
            }
            Err(e) => capture_error = Some(e),
        }
    }
    let (mut transcript, failure) = live.finish();
    if let Some(why) = &not_ready {
        transcript.outcome = Outcome {
            passed: false,
            failure: Some(format!("program `{name}` ({command}) {why}")),
        };
    }
    Ok(Graded {
        transcript,
        failure: capture_error.or(failure),
        program: ProgramRun {
            actor,
            name: name.clone(),
            slot: slot.slot.clone(),
            command,
            ready_text,
            not_ready,
            traced,
            stopped_early,
        },
        tail_start,
    })
}

/// The program's calls the tracer reported since last asked, as events of
/// the transcript (numbered with step `step`, the one running or just run).
fn program_events(
    live: &mut LiveRun<'_>,
    seen: &Rc<RefCell<Seen>>,
    name: &str,
    step: usize,
) -> Vec<Event> {
    let calls: Vec<tracer::Call> = {
        let mut s = seen.borrow_mut();
        s.pull();
        let from = s.shown;
        s.shown = s.calls.len();
        s.calls[from..].to_vec()
    };
    calls
        .into_iter()
        .map(|c| {
            live.add_event(c.start_ns, |index, time_ns| {
                let mut e = Event::new(
                    index,
                    EventKind::Call,
                    step,
                    name.to_string(),
                    time_ns,
                    c.start_ns,
                );
                e.summary = format!("{name} (program): {} → {}", c.args, c.result);
                e.notes = Notes {
                    syntax: format!(
                        "{}(): the system call as the program made it, traced (ptrace), with its arguments decoded; the result is what the kernel returned.",
                        c.sc.name()
                    ),
                    semantics: format!("{name} {}", c.sc.meaning()),
                    timing: format!(
                        "The call took {}.",
                        crate::annotate::fmt_ns(c.end_ns.saturating_sub(c.start_ns))
                    ),
                };
                e.call = Some(CallDetail {
                    name: c.sc.name().to_string(),
                    args: c.args.clone(),
                    ok: c.ok,
                    result: c.result.clone(),
                    local: c.local.map(|a| a.to_string()),
                    peer: c.peer.map(|a| a.to_string()),
                    data_hex: c.data.as_ref().map(|d| to_hex(d)),
                });
                e
            })
        })
        .collect()
}

/// Wait until the program has bound its UDP port or listens on its TCP
/// port, bounded; why not, if it did not.
fn wait_ready(seen: &Rc<RefCell<Seen>>, plan: &Plan, actor: usize) -> Result<(), String> {
    let a = &plan.actors[actor];
    let port = a.addr.port();
    let is_ready = |c: &tracer::Call| {
        c.ok && c.local.is_some_and(|l| l.port() == port)
            && match a.transport {
                Transport::Udp => c.sc == Sc::Bind && c.transport == Some("udp"),
                Transport::Tcp => c.sc == Sc::Listen,
            }
    };
    let want = plan.program_ready_text(actor).unwrap_or_default();
    let deadline = Instant::now() + READY_BOUND;
    let mut s = seen.borrow_mut();
    loop {
        if s.calls.iter().any(is_ready) {
            return Ok(());
        }
        if s.ended {
            return Err(format!("ended before it {want}"));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match s.rx.recv_timeout(left) {
            Ok(c) => s.calls.push(c),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(format!(
                    "did not {} within {} s",
                    want.replacen("binds", "bind", 1)
                        .replacen("listens", "listen", 1),
                    READY_BOUND.as_secs()
                ));
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => s.ended = true,
        }
    }
}

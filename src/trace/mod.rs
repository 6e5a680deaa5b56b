//! `netcourse trace -- CMD ARGS` and `netcourse trace --run CMD --run CMD`:
//! run a student's own programs inside the sandbox and explain each socket
//! call they made and each frame those calls put on the wire.
//!
//! The calls come from ptrace (stopping only at socket calls, through a
//! seccomp filter), the frames from a capture on the sandbox's `lo` (or,
//! with `--lesson`, from the wire between the lesson's hosts: `frames`,
//! `hosts`), the printed lines from the programs' own terminals. A frame
//! belongs to the call that put it on the wire (`owners`); a frame no call
//! sent, the kernel sent on its own (a timer, an answer, a router).

pub mod decode;
pub mod frames;
pub mod hosts;
mod notify;
mod owners;
pub mod ready;
pub mod regs;
mod spawn;
pub mod step;
pub mod tracee;
pub mod tracer;
mod watch;
pub mod wire;

use std::io::Write;
use std::os::fd::OwnedFd;
use std::process::ExitCode;
use std::time::Duration;

use crate::annotate::{Annotator, fmt_ns};
use crate::cli::TraceArgs;
use crate::dissect::Dissection;
use crate::error::Error;
use crate::live::capture::CapturedFrame;
use crate::render::{self, terminal};
use crate::timers::CallSpan;
use crate::transcript::{
    ActorInfo, CallDetail, Event, EventKind, LessonInfo, NetworkInfo, Notes, Outcome, StepInfo,
    Transcript, to_hex,
};
use decode::Sc;
use frames::Frames;
use owners::{How, Owner, owners, unowned_note};
use tracer::{Call, Outcome as Traced};

/// Split a `--run` command line into words: spaces separate, single and
/// double quotes group, a backslash escapes the next character.
pub fn split_words(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') | (None, '\\') => {
                cur.push(chars.next().ok_or("a backslash at the end")?);
                in_word = true;
            }
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err("a quote is not closed".into());
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// The programs to run, from `--run` and/or `-- CMD ARGS`.
fn programs(args: &TraceArgs) -> Result<Vec<tracer::Program>, Error> {
    let mut out = Vec::new();
    for r in &args.run {
        let argv = split_words(r).map_err(|why| Error::Usage {
            message: format!("--run `{}`: {why}", crate::text::printable(r)),
            hint: "quote the whole command once for the shell, e.g. --run 'python3 server.py'"
                .into(),
        })?;
        if argv.is_empty() {
            return Err(Error::Usage {
                message: "--run was given an empty command".into(),
                hint: "e.g. --run 'python3 server.py'".into(),
            });
        }
        out.push(tracer::Program {
            argv,
            label: r.clone(),
            stdin: None,
            netns: None,
        });
    }
    if !args.command.is_empty() {
        out.push(tracer::Program {
            argv: args.command.clone(),
            label: args.command.join(" "),
            stdin: None,
            netns: None,
        });
    }
    if out.is_empty() {
        return Err(Error::Usage {
            message: "nothing to trace".into(),
            hint: "netcourse trace -- python3 client.py, or --run 'python3 server.py' --run 'python3 client.py'".into(),
        });
    }
    if let Some(path) = &args.stdin {
        let f = std::fs::File::open(path).map_err(|e| Error::Io {
            path: path.clone(),
            action: "open",
            reason: e.to_string(),
        })?;
        if let Some(last) = out.last_mut() {
            last.stdin = Some(OwnedFd::from(f));
        }
    }
    Ok(out)
}

/// `netcourse trace`.
pub fn command(args: &TraceArgs) -> Result<ExitCode, Error> {
    let mut programs = programs(args)?;
    let labels: Vec<String> = programs.iter().map(|p| p.label.clone()).collect();
    let placed = hosts::plan(args, &labels)?;
    let mut options = tracer::Options {
        ready: ready::Ready::for_programs(&args.ready, programs.len()).map_err(|why| {
            Error::Usage {
                message: format!("--ready: {why}"),
                hint: "e.g. --run 'python3 server.py' --run 'python3 client.py' --ready listening, or --ready 'output:ready' once per --run".into(),
            }
        })?,
        ready_timeout: Duration::from_secs_f64(args.ready_timeout.clamp(0.01, 3600.0)),
        ..tracer::Options::default()
    };
    if args.step {
        return stepped(args, programs, options, placed);
    }
    // Whether this machine can (checked once, here, for the tracer and the
    // capture alike).
    options.fast_sends = !args.no_fast_sends
        && match notify::available() {
            Ok(()) => true,
            Err(why) => {
                if args.fast_sends {
                    eprintln!(
                        "note: --fast-sends is off ({why}): every call stops the program, as with --no-fast-sends"
                    );
                }
                false
            }
        };
    let exports = args.exports.plan(args.detail)?;
    // Before any thread: the sandbox, then the capture (or the lesson's
    // network and its wire), then the programs.
    crate::live::sandbox::enter()?;
    let frames_from = Frames::start(placed, &mut programs, options.fast_sends)?;
    let started_at = crate::live::capture::now_ns();
    let traced = tracer::run_with(
        programs,
        Duration::from_secs_f64(args.timeout.max(0.1)),
        options,
    );
    let finished = frames_from.finish();
    let traced = traced?;
    let f = finished?;
    let mut t = build(
        &labels,
        traced,
        f.frames,
        f.dissections,
        f.dropped,
        started_at,
        args.timeout,
        f.placement.as_ref(),
    );
    t.say_held_back(f.held_back);
    if !args.quiet {
        let mut out = std::io::stdout().lock();
        let _ = terminal::render(&t, terminal::View::new(args.detail), &mut out);
        let _ = out.flush();
    }
    render::write_exports(&exports, &t)?;
    let code = if t.outcome.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    // The process ends now: freeing tens of thousands of events one by one
    // would only delay the exit.
    std::mem::forget(t);
    Ok(code)
}

/// `netcourse trace --step`: the tracer on a thread of its own, the step
/// loop here; the programs read /dev/null unless --stdin says otherwise
/// (the keyboard is the student's).
fn stepped(
    args: &TraceArgs,
    mut programs: Vec<tracer::Program>,
    mut options: tracer::Options,
    placed: Option<(crate::plan::Plan, Vec<usize>)>,
) -> Result<ExitCode, Error> {
    let labels: Vec<String> = programs.iter().map(|p| p.label.clone()).collect();
    let exports = args.exports.plan(args.detail)?;
    if let Some(last) = programs.last_mut()
        && last.stdin.is_none()
    {
        let null = std::fs::File::open("/dev/null").map_err(|e| Error::Io {
            path: "/dev/null".into(),
            action: "open",
            reason: e.to_string(),
        })?;
        last.stdin = Some(OwnedFd::from(null));
    }
    crate::live::sandbox::enter()?;
    let mut frames_from = match placed {
        None => Frames::Lo(wire::Wire::start_live()?),
        Some(placed) => Frames::start(Some(placed), &mut programs, false)?,
    };
    let started_at = crate::live::capture::now_ns();
    let (tx, rx) = std::sync::mpsc::channel();
    let (go_tx, go_rx) = std::sync::mpsc::channel();
    let live = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    options.step = Some(tracer::Stepper {
        tx,
        go: go_rx,
        live: live.clone(),
    });
    let timeout = Duration::from_secs_f64(args.timeout.max(0.1));
    let tracer = std::thread::spawn(move || tracer::run_with(programs, timeout, options));
    let view = terminal::View::new(args.detail);
    let mut out = std::io::stdout().lock();
    let ending = {
        let mut source = step::TraceSteps::new(
            &labels,
            &mut frames_from,
            rx,
            go_tx,
            started_at,
            args.timeout,
        );
        crate::stepmode::step_through(&mut source, view, &mut out)
    };
    // A quit or a signal: stop the programs now, held or running (the
    // tracer then reaps them and ends).
    if !matches!(ending, Ok(crate::stepmode::Ending::Finished)) {
        spawn::kill_all(&live);
    }
    let traced = tracer.join().map_err(|_| Error::Usage {
        message: "tracing: the tracer thread panicked".into(),
        hint: "this is a netcourse bug; please report it".into(),
    })?;
    let f = frames_from.finish()?;
    let ending = ending?;
    let mut t = build(
        &labels,
        traced?,
        f.frames,
        Vec::new(),
        f.dropped,
        started_at,
        args.timeout,
        f.placement.as_ref(),
    );
    t.say_held_back(f.held_back);
    if ending != crate::stepmode::Ending::Finished {
        t.complete = false;
    }
    let _ = terminal::footer(&t, view, &mut out);
    let _ = out.flush();
    render::write_exports(&exports, &t)?;
    Ok(match ending {
        crate::stepmode::Ending::Finished if !t.outcome.passed => ExitCode::from(1),
        e => e.exit_code(),
    })
}

/// One thing that happened, in time order.
enum Item {
    Call(usize),
    Line(usize),
    Frame(usize),
    Exit(usize),
}

fn actor_name(labels: &[String], program: usize, pid: i32) -> String {
    format!("{}[{pid}]", labels.get(program).map_or("?", String::as_str))
}

fn call_notes(c: &Call, name: &str, took: u64, host: Option<&str>) -> Notes {
    let syntax = match c.sc {
        decode::Sc::Sendto | decode::Sc::Write | decode::Sc::Sendmsg => format!(
            "{}(): {} byte{} of data handed to the kernel{}.",
            c.sc.name(),
            c.data.as_ref().map_or(0, Vec::len),
            if c.data.as_ref().map_or(0, Vec::len) == 1 {
                ""
            } else {
                "s"
            },
            c.peer.map(|p| format!(", for {p}")).unwrap_or_default()
        ),
        _ => format!(
            "{}(): the system call as the program made it, with its arguments decoded; the result is what the kernel returned.",
            c.sc.name()
        ),
    };
    let mut semantics = format!("{name} {}", c.sc.meaning());
    if !c.ok {
        semantics.push_str(&format!(
            " It failed: {}.",
            c.result.trim_start_matches("-1 ")
        ));
    }
    if let Some(host) = host
        && let Some(peer) = c.peer.filter(|p| p.ip().to_canonical().is_loopback())
        && matches!(c.sc, Sc::Sendto | Sc::Sendmsg | Sc::Connect)
    {
        semantics.push_str(&format!(
            " {} is {host}'s own loopback address: what goes there stays inside {host} and crosses no link, so the wire never sees it. To reach another host, use one of its addresses (see the network above).",
            peer.ip()
        ));
    }
    Notes {
        syntax,
        semantics,
        timing: format!("The call took {}.", fmt_ns(took)),
    }
}

/// Build the transcript: calls, printed lines, frames and exits in time
/// order, frames annotated as a lesson's are.
pub fn transcript(
    labels: &[String],
    traced: Traced,
    frames: Vec<CapturedFrame>,
    dropped: u64,
    started_at: u64,
    timeout: f64,
) -> Transcript {
    build(
        labels,
        traced,
        frames,
        Vec::new(),
        dropped,
        started_at,
        timeout,
        None,
    )
}

/// `transcript`, with the frames' dissections when the capture made them
/// (one per frame, in the same order; else each is dissected here), and
/// for programs on a lesson's hosts, where each ran.
#[allow(clippy::too_many_arguments)]
pub fn build(
    labels: &[String],
    traced: Traced,
    frames: Vec<CapturedFrame>,
    dissections: Vec<Dissection>,
    dropped: u64,
    started_at: u64,
    timeout: f64,
    placement: Option<&hosts::Placement>,
) -> Transcript {
    let mut dissections: Vec<Option<Dissection>> = if dissections.len() == frames.len() {
        dissections.into_iter().map(Some).collect()
    } else {
        Vec::new()
    };
    let Traced {
        mut calls,
        lines,
        exits,
        timed_out,
        processes,
        not_ready,
    } = traced;
    // Recorded as each returned; numbered as each was made.
    calls.sort_by_key(|c| c.start_ns);
    let owner = owners(&calls, &frames, placement);
    let mut items: Vec<(u64, u8, Item)> =
        Vec::with_capacity(calls.len() + frames.len() + lines.len() + exits.len());
    items.extend(
        calls
            .iter()
            .enumerate()
            .map(|(i, c)| (c.start_ns, 0, Item::Call(i))),
    );
    items.extend(
        frames
            .iter()
            .enumerate()
            .map(|(i, f)| (f.timestamp_ns, 1, Item::Frame(i))),
    );
    items.extend(
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| (l.timestamp_ns, 2, Item::Line(i))),
    );
    items.extend(
        exits
            .iter()
            .enumerate()
            .map(|(i, e)| (e.timestamp_ns, 3, Item::Exit(i))),
    );
    items.sort_by_key(|(ts, order, _)| (*ts, *order));

    let network = placement.map_or_else(lo_network, |p| {
        let mut info = p.info.clone();
        info.note = format!(
            "{} Each program runs on the host given with --host, as you, in a user namespace of its own.",
            info.note
        );
        info
    });
    let mut annotator = Annotator::without_plan(false);
    annotator.set_start(started_at);
    let mut timers = crate::timers::Tracker::default();
    for c in &calls {
        let name = actor_name(labels, c.program, c.pid);
        for a in [c.local].into_iter().flatten() {
            annotator.name_endpoint(a, &name);
        }
    }
    let mut actors: Vec<ActorInfo> = Vec::new();
    // The processes that took part: a program's own, and any other that
    // used an IP socket (not the helpers a launcher such as pyenv's shim
    // runs first, which may only ask nscd over a Unix socket, and would
    // each be a lane of the ladder).
    let took_part = |pid: i32| {
        exits.iter().any(|x| x.pid == pid)
            || calls
                .iter()
                .any(|c| processes_share(c, pid) && (c.local.is_some() || c.peer.is_some()))
    };
    for (pid, program) in processes.iter().filter(|(pid, _)| took_part(*pid)) {
        let mine = calls
            .iter()
            .filter(|c| c.pid == *pid || processes_share(c, *pid));
        // An IP socket's: the C library may first ask a local daemon
        // (nscd) over a Unix socket.
        let transport = mine
            .clone()
            .filter(|c| c.local.is_some())
            .find_map(|c| c.transport)
            .or_else(|| mine.clone().find_map(|c| c.transport))
            .unwrap_or("-");
        let address = mine
            .clone()
            .find_map(|c| c.local)
            .map_or_else(|| "-".to_string(), |a| a.to_string());
        actors.push(ActorInfo {
            name: actor_name(labels, *program, *pid),
            transport: transport.into(),
            address,
            host: placement
                .and_then(|p| p.host_of_program(*program))
                .map(str::to_string),
        });
    }
    let steps: Vec<StepInfo> = calls
        .iter()
        .enumerate()
        .map(|(i, c)| StepInfo {
            number: i + 1,
            id: None,
            actor: actor_name(labels, c.program, c.pid),
            call: c.sc.name().to_string(),
            say: None,
            connection: None,
        })
        .collect();

    let mut events: Vec<Event> = Vec::with_capacity(items.len());
    let mut call_event = vec![0usize; calls.len()];
    let mut last_step = 0;
    for (ts, _, item) in items {
        match item {
            Item::Call(i) => {
                let c = &calls[i];
                let (index, time_ns) = annotator.reserve(ts);
                call_event[i] = index;
                last_step = i + 1;
                let name = actor_name(labels, c.program, c.pid);
                // Under the name its socket's frames carry (a forked child
                // answers on its parent's socket).
                let socket_name = c.local.and_then(|l| annotator.endpoint_name(l));
                timers.call(CallSpan {
                    index,
                    actor: socket_name.unwrap_or_else(|| name.clone()),
                    start_ns: c.start_ns,
                    end_ns: c.end_ns,
                    closes: matches!(c.sc, Sc::Close | Sc::Shutdown),
                    sends: c.sc.sends_data(),
                });
                let mut e = Event::new(index, EventKind::Call, i + 1, name.clone(), time_ns, ts);
                e.summary = format!("{name}: {} → {}", c.args, c.result);
                e.notes = call_notes(
                    c,
                    &name,
                    c.end_ns.saturating_sub(c.start_ns),
                    placement.and_then(|p| p.host_of_program(c.program)),
                );
                e.call = Some(CallDetail {
                    name: c.sc.name().to_string(),
                    args: c.args.clone(),
                    ok: c.ok,
                    result: c.result.clone(),
                    local: c.local.map(|a| a.to_string()),
                    peer: c.peer.map(|a| a.to_string()),
                    data_hex: c.data.as_ref().map(|d| to_hex(d)),
                });
                events.push(e);
            }
            Item::Frame(i) => {
                let f = &frames[i];
                let step = owner[i].map_or(0, |o| o.call + 1);
                let d = dissections
                    .get_mut(i)
                    .and_then(Option::take)
                    .unwrap_or_else(|| crate::dissect::dissect(&f.data));
                let tcp = d.tcp.is_some();
                let mut e =
                    crate::run::with_crossing(annotator.frame_dissected(step, f, d), f, &network);
                // A kernel timer, or data held back after its call: what the
                // analysis says replaces the running call's account.
                let explained = tcp && crate::run::track_frame(&mut timers, &mut e, &network);
                let cause = match owner[i] {
                    _ if explained => String::new(),
                    Some(Owner { call: c, how }) => {
                        let call = &calls[c];
                        if e.follows.is_none() {
                            e.follows = Some(call_event[c]);
                        }
                        let who = actor_name(labels, call.program, call.pid);
                        let (name, event) = (call.sc.name(), call_event[c]);
                        match how {
                            How::Sent => format!(
                                " Captured while {who}'s {name}() (event #{event}) ran: that call put it on the wire."
                            ),
                            How::Queued => format!(
                                " It is the datagram of {who}'s {name}() (event #{event}), which had already returned: the kernel kept it until it could send it (as it does while ARP asks for the receiver's MAC address)."
                            ),
                            How::Answered => format!(
                                " Captured while {who}'s {name}() (event #{event}) ran: the other end's kernel sent it in answer, by itself."
                            ),
                        }
                    }
                    None => unowned_note(f, placement),
                };
                e.notes.timing.push_str(&cause);
                events.push(e);
            }
            Item::Line(i) => {
                let l = &lines[i];
                let (index, time_ns) = annotator.reserve(ts);
                let pid = processes
                    .iter()
                    .find(|p| p.1 == l.program)
                    .map_or(0, |p| p.0);
                let name = actor_name(labels, l.program, pid);
                let stream = if l.stderr { "stderr" } else { "stdout" };
                let mut e =
                    Event::new(index, EventKind::Call, last_step, name.clone(), time_ns, ts);
                e.summary = format!("{name} printed: {}", l.text);
                e.notes = Notes {
                    syntax: format!("A line the program wrote to its {stream}."),
                    semantics: "The program's own output, shown where it happened among its socket calls: what it printed is what it made of the data it sent or received.".into(),
                    timing: String::new(),
                };
                e.call = Some(CallDetail {
                    name: "print".into(),
                    args: format!("{stream}: {}", crate::text::printable(&l.text)),
                    ok: !l.stderr,
                    result: "printed".into(),
                    local: None,
                    peer: None,
                    data_hex: None,
                });
                events.push(e);
            }
            Item::Exit(i) => {
                let x = &exits[i];
                let (index, time_ns) = annotator.reserve(ts);
                let name = actor_name(labels, x.program, x.pid);
                // Ending, a process closes every socket it held.
                timers.call(CallSpan {
                    index,
                    actor: name.clone(),
                    start_ns: ts,
                    end_ns: ts,
                    closes: true,
                    sends: false,
                });
                let mut e =
                    Event::new(index, EventKind::Call, last_step, name.clone(), time_ns, ts);
                e.summary = format!("{name} {}", x.how);
                e.notes.semantics = "The process ended; the kernel closes every socket it still held, which for a TCP connection sends a FIN (or a RST if data was left unread).".into();
                e.call = Some(CallDetail {
                    name: "exit".into(),
                    args: "exit".into(),
                    ok: x.ok,
                    result: x.how.clone(),
                    local: None,
                    peer: None,
                    data_hex: None,
                });
                events.push(e);
            }
        }
    }
    let failed: Vec<String> = exits
        .iter()
        .filter(|x| !x.ok)
        .map(|x| format!("`{}` {}", actor_name(labels, x.program, x.pid), x.how))
        .collect();
    let complete = !timed_out && not_ready.is_none();
    let failure = if let Some(why) = not_ready {
        Some(why)
    } else if timed_out {
        Some(format!(
            "the programs were still running after --timeout {timeout} s and were killed (SIGKILL){}",
            if failed.is_empty() {
                String::new()
            } else {
                format!(": {}", failed.join(", "))
            }
        ))
    } else if !failed.is_empty() {
        Some(failed.join(", "))
    } else {
        None
    };
    let comparison = crate::transcript::compare::compare(&events);
    let mut t = Transcript::begin(
        LessonInfo {
            name: "trace".into(),
            title: labels.join(" + "),
            summary: if placement.is_some() {
                "Your own programs, traced on a lesson's hosts: each socket call they made (from ptrace), each frame on the links between the hosts (carried by netcourse's wire), and the lines they printed.".into()
            } else {
                "Your own programs, traced: each socket call they made (from ptrace), each frame those calls put on the wire (captured on the sandbox's lo), and the lines they printed.".into()
            },
            intro: None,
            outro: None,
        },
        network,
    );
    t.source = crate::transcript::Source::Trace;
    t.complete = complete;
    t.dropped = dropped;
    t.started_at_ns = started_at;
    t.outcome = Outcome {
        passed: failure.is_none(),
        failure,
    };
    t.actors = actors;
    t.steps = steps;
    t.events = events;
    t.comparison = comparison;
    t
}

/// The sandbox's `lo`, where programs run without --lesson.
fn lo_network() -> NetworkInfo {
    NetworkInfo {
        mode: "sandbox".into(),
        interface: "lo".into(),
        note: format!(
            "{} The programs run as you, in a user namespace of their own.",
            crate::live::sandbox::NETWORK_NOTE
        ),
        left_out: None,
        links: Vec::new(),
        ends: Vec::new(),
        link_type: None,
    }
}

fn processes_share(c: &Call, pid: i32) -> bool {
    c.pid == pid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_still_held_at_the_end_make_the_transcript_incomplete() {
        let mut t = transcript(&[], tracer::Outcome::default(), Vec::new(), 0, 0, 10.0);
        assert!(t.complete);
        t.say_held_back(0);
        assert!(t.complete);
        t.say_held_back(2);
        assert!(!t.complete);
        assert!(t.lesson.summary.ends_with(
            " 2 frames still held by the lesson's wire rules when the run ended are not shown."
        ));
    }

    #[test]
    fn words_split_like_a_shell() {
        assert_eq!(
            split_words("python3 udp_send.py 'hello world'").unwrap(),
            ["python3", "udp_send.py", "hello world"]
        );
        assert_eq!(
            split_words(r#"a "b \"c\"" d\ e"#).unwrap(),
            ["a", "b \"c\"", "d e"]
        );
        assert_eq!(split_words("x ''").unwrap(), ["x", ""]);
        assert!(split_words("'open").is_err());
        assert!(split_words("").unwrap().is_empty());
    }
}

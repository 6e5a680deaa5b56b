//! Paused step mode (`--step`): walk through a lesson one event at a time.
//!
//! Before each step the student sees its number, the actor, the socket call
//! about to be made and the narration; the step runs only when they ask. Its
//! frames are then revealed one at a time. `d` opens the current frame
//! (fields, bytes by layer, header diagrams), `c` runs to the end, `q` stops —
//! the transcript so far is kept and exported, marked `"complete": false`.
//!
//! One loop (`step_loop`) reads one kind of command (`Input`, from keys or
//! lines) and consumes one kind of source (`EventSource`: a live run, or a
//! saved transcript replayed), so `run lesson --step` and `replay --step`
//! behave the same.
//!
//! Pausing never distorts the exchange: a pause falls between two
//! `EventSource::step` calls, that is between two socket calls, never inside
//! one. All steps run one after another on one thread, so while the student
//! reads no call is blocked waiting for a peer, and no peer is waiting for us:
//! what was sent sits in the kernel (receive queue, listen backlog) until the
//! step that reads it. A step's timeout only counts while its own call runs.
//! TCP's own timers do not matter either: loopback data is acknowledged at
//! once, so nothing is left to retransmit, and keep-alive starts after hours.
//! When a pause before a waiting call (accept, connect, recv, recvfrom) was
//! longer than that call's timeout, a dim note says why nothing timed out.
//! Only the clock sees pauses: timestamps are real, so gaps between steps
//! include reading time, and a closing note says so after long sessions.

pub mod details;
pub mod input;
pub mod pager;
pub mod screen;
pub mod source;
pub mod term;

use std::collections::VecDeque;
use std::io::{self, IsTerminal, Write};
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use colored::Colorize;

use crate::error::Error;
use crate::render::terminal::{self, View};
use crate::transcript::{Checkpoint, Event, Transcript};

pub use crate::plan::call_text;
pub use input::{Input, InputSource};
use screen::{Screen, Tone};
pub use source::{EventSource, Preview, Replay};

/// How a step-mode session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Every step ran (or the lesson stopped on a failed step).
    Finished,
    /// The student quit (`q`, Ctrl-C as a key).
    Quit,
    /// SIGINT, SIGTERM or SIGHUP arrived; the session stopped like a quit.
    Signal(i32),
}

impl Ending {
    /// 0 for the end and for a quit the student asked for; 128 + the signal
    /// number when a signal stopped us, as a shell reports it.
    pub fn exit_code(self) -> ExitCode {
        match self {
            Ending::Finished | Ending::Quit => ExitCode::SUCCESS,
            Ending::Signal(s) => ExitCode::from((128 + s.clamp(0, 127)) as u8),
        }
    }
}

/// Whoever else follows the session (class mode, `netcourse serve`): told
/// what the teacher's screen shows, as it shows it. The loop stays the one
/// loop; an audience only listens, answers checkpoints instead of the
/// teacher, and adds lines (the tally) to the teacher's screen.
pub trait Audience {
    /// The step about to run, as previewed.
    fn previewed(&mut self, _t: &Transcript, _p: &Preview) {}
    /// An event was just shown on the teacher's screen.
    fn shown(&mut self, _t: &Transcript, _e: &Event) {}
    /// A checkpoint's question, before anything that answers it is shown.
    /// True when the audience answers it (then the teacher is not asked).
    fn open_checkpoint(&mut self, _step: usize, _question: &str) -> bool {
        false
    }
    /// The open checkpoint's answer was captured (event `index`): grade
    /// what the audience answered. Returns the lines for the teacher.
    fn reveal(&mut self, _cp: &Checkpoint, _index: usize) -> Vec<String> {
        Vec::new()
    }
    /// A few words for the legend while a checkpoint is open ("12 answered").
    fn status(&self) -> Option<String> {
        None
    }
}

/// No one else: plain step mode.
pub struct Nobody;
impl Audience for Nobody {}

/// Step through `source`, reading commands from stdin: single keys when it
/// is a terminal, one command per line otherwise. On a terminal (input and
/// output) each pause is one screen; otherwise the session scrolls. Prints
/// the lesson's header first; the caller prints the footer after (as a
/// plain run does) and writes the exports from whatever `source` holds then.
pub fn step_through(
    source: &mut dyn EventSource,
    view: View,
    out: &mut dyn Write,
) -> Result<Ending, Error> {
    step_through_with(source, view, out, &mut Nobody)
}

/// `step_through`, followed by `audience` (class mode).
pub fn step_through_with(
    source: &mut dyn EventSource,
    view: View,
    out: &mut dyn Write,
    audience: &mut dyn Audience,
) -> Result<Ending, Error> {
    let io_err = |e: io::Error| Error::Io {
        path: "stdin".into(),
        action: "set up step mode on",
        reason: e.to_string(),
    };
    let signals = term::Signals::install().map_err(io_err)?;
    let stdin = io::stdin();
    let fd = stdin.as_raw_fd();
    let stdout_tty = io::stdout().is_terminal();
    if stdin.is_terminal() {
        // Dropped on every way out of this function, unwinding included.
        let _raw = term::RawMode::enter(fd).map_err(io_err)?;
        let mut keys = input::Keys::new(fd, signals.wake_fd());
        let mut screen = Screen::new(out, view, stdout_tty, stdout_tty);
        session(source, &mut keys, &mut screen, audience)
    } else {
        let mut lines = input::Lines::new(fd, signals.wake_fd());
        let mut screen = Screen::new(out, view, false, stdout_tty);
        session(source, &mut lines, &mut screen, audience)
    }
}

/// `replay FILE --step`: header, the stepped events of a saved transcript,
/// footer.
pub fn step_through_transcript(
    t: &Transcript,
    view: View,
    out: &mut dyn Write,
) -> Result<Ending, Error> {
    let ending = step_through(&mut Replay::new(t), view, out)?;
    let _ = terminal::footer(t, view, &mut &mut *out);
    let _ = out.flush();
    Ok(ending)
}

/// `netcourse replay FILE --step`: the saved transcript, stepped through.
/// Exports are of the file as loaded (a replay changes nothing in it), even
/// when the student quits early.
pub fn replay(args: &crate::cli::ReplayArgs) -> Result<ExitCode, Error> {
    let exports = crate::render::plan_exports(
        &args.exports.export,
        args.exports.export_format,
        args.detail,
    )?;
    let t = crate::replay::load(&args.file)?;
    let mut out = io::stdout().lock();
    let ending = step_through_transcript(&t, View::new(args.detail), &mut out)?;
    crate::render::write_exports(&exports, &t)?;
    Ok(ending.exit_code())
}

/// `3/9`; `3` when the number of steps is not known ahead (0: a traced
/// program's calls).
pub(crate) fn numbered(n: usize, total: usize) -> String {
    if total == 0 {
        n.to_string()
    } else {
        format!("{n}/{total}")
    }
}

/// What a pause ended with.
enum Pause {
    Go,
    Stop(Ending),
}

/// Wait at one pause until the student moves on: the keys that only look
/// (details, help, levels) keep the pause.
fn pause(
    source: &mut dyn EventSource,
    input: &mut dyn InputSource,
    screen: &mut Screen<'_>,
    audience: &dyn Audience,
    next: &str,
    continuing: &mut bool,
) -> Result<Pause, Error> {
    let io_err = |e: io::Error| Error::Io {
        path: "stdin".into(),
        action: "read step-mode commands from",
        reason: e.to_string(),
    };
    let started = Instant::now();
    let result = loop {
        let status = audience.status();
        screen.pause(source.transcript(), next, status.as_deref());
        match input.next().map_err(io_err)? {
            Input::Next | Input::Down => break Pause::Go,
            Input::Continue | Input::Eof => {
                *continuing = true;
                break Pause::Go;
            }
            Input::Details => {
                if let Some(s) = screen.details(source.transcript(), input).map_err(io_err)? {
                    break Pause::Stop(Ending::Signal(s));
                }
            }
            Input::Help => {
                if let Some(s) = screen.help(input.is_keys(), input).map_err(io_err)? {
                    break Pause::Stop(Ending::Signal(s));
                }
            }
            Input::More => screen.set_detail(screen.printer.view.detail.more()),
            Input::Less => screen.set_detail(screen.printer.view.detail.less()),
            Input::Quit => break Pause::Stop(Ending::Quit),
            Input::Signal(s) => break Pause::Stop(Ending::Signal(s)),
            Input::Redraw | Input::Up | Input::PageUp | Input::PageDown => {}
            Input::Unknown(what) => {
                let kind = if input.is_keys() { "key" } else { "command" };
                screen.message(
                    &format!(
                        "Unknown {kind} `{}`: press ? for help.",
                        crate::text::printable(&what.chars().take(40).collect::<String>())
                    ),
                    Tone::Dim,
                );
            }
        }
    };
    screen.paused += started.elapsed();
    Ok(result)
}

/// Ask a checkpoint's question. `Ok(None)`: skipped or answered (the answer
/// in `given`); `Ok(Some(ending))`: the student or a signal stopped.
fn ask(
    source: &mut dyn EventSource,
    input: &mut dyn InputSource,
    screen: &mut Screen<'_>,
    prompt: &str,
    given: &mut Option<String>,
) -> Result<Option<Ending>, Error> {
    let io_err = |e: io::Error| Error::Io {
        path: "stdin".into(),
        action: "read step-mode commands from",
        reason: e.to_string(),
    };
    let started = Instant::now();
    let answer = loop {
        screen.prompt(source.transcript(), prompt);
        match input.read_answer().map_err(io_err)? {
            // Stopped and resumed (Ctrl-Z, `fg`): ask again on a new screen.
            Err(Input::Redraw) => continue,
            answer => break answer,
        }
    };
    let stop = match answer {
        Ok(text) => {
            if !input.is_keys() {
                screen.echo(&crate::text::printable(&text));
            }
            *given = Some(text);
            None
        }
        Err(Input::Eof) => {
            screen.echo("");
            *given = Some(String::new());
            None
        }
        Err(Input::Signal(s)) => Some(Ending::Signal(s)),
        Err(_) => Some(Ending::Quit),
    };
    screen.paused += started.elapsed();
    Ok(stop)
}

/// The loop, scrolling into `out` at the normal level, 80 columns (for a
/// script of commands; `erase_legend` as on a terminal).
pub fn step_loop(
    source: &mut dyn EventSource,
    input: &mut dyn InputSource,
    out: &mut dyn Write,
    erase_legend: bool,
) -> Result<Ending, Error> {
    let view = View {
        width: terminal::WIDTH,
        detail: crate::render::Detail::Normal,
    };
    let mut screen = Screen::new(out, view, false, erase_legend);
    session(source, input, &mut screen, &mut Nobody)
}

/// The loop: show, pause, act. Pauses come before each step (after its
/// preview) and before each frame of a step (after the event before it).
fn session(
    source: &mut dyn EventSource,
    input: &mut dyn InputSource,
    screen: &mut Screen<'_>,
    audience: &mut dyn Audience,
) -> Result<Ending, Error> {
    screen.header(source.transcript());
    // Events of the last step run that are not shown yet (its frames).
    let mut pending: VecDeque<Event> = VecDeque::new();
    // (frames of the last step, how many shown) for the legend.
    let mut frames = (0usize, 0usize);
    let mut previewed: Option<usize> = None;
    // Steps whose checkpoint was asked before they ran.
    let mut asked: std::collections::HashSet<usize> = std::collections::HashSet::new();
    let mut continuing = false;
    // The audience's tally of a checkpoint, shown with the frame it is about.
    let mut tally: Option<(usize, Vec<String>)> = None;
    let ending = 'run: loop {
        let preview = if pending.is_empty() {
            match source.upcoming() {
                Some(p) => Some(p),
                None => {
                    // On one screen per pause, the last event stays until a key.
                    if screen.is_paged() && !continuing {
                        match pause(source, input, screen, audience, "finish", &mut continuing)? {
                            Pause::Go => {}
                            Pause::Stop(ending) => break 'run stop(screen, &pending, ending),
                        }
                    }
                    break 'run Ending::Finished;
                }
            }
        } else {
            None
        };
        if let Some(p) = &preview
            && previewed != Some(p.number)
        {
            screen.preview(source.transcript(), p);
            audience.previewed(source.transcript(), p);
            previewed = Some(p.number);
        }
        let next = match &preview {
            Some(p) => format!("run step {}", numbered(p.number, p.total)),
            None => format!("frame {}/{} of this step", frames.1 + 1, frames.0),
        };
        let before = screen.paused;
        if continuing {
            // Still stoppable: a `q`, Ctrl-C or signal between events.
            match input.poll_now() {
                Some(Input::Signal(s)) => break 'run stop(screen, &pending, Ending::Signal(s)),
                Some(Input::Quit) => break 'run stop(screen, &pending, Ending::Quit),
                _ => {}
            }
        } else {
            match pause(source, input, screen, audience, &next, &mut continuing)? {
                Pause::Go => {}
                Pause::Stop(ending) => break 'run stop(screen, &pending, ending),
            }
        }
        let paused = screen.paused - before;
        match preview {
            Some(p) => {
                // On a screen, said under the call it is about (a new
                // event clears the screen's messages).
                let mut pause_note = long_pause_note(&p, paused);
                if !screen.is_paged()
                    && let Some(note) = pause_note.take()
                {
                    screen.message(&note, Tone::Dim);
                }
                // A checkpoint is asked before the step runs: once the call
                // and its result are on screen, they would give it away.
                let mut early_answer = None;
                let mut class_asked = false;
                if !continuing
                    && let Some(question) = &p.question
                    && audience.open_checkpoint(p.number, question)
                {
                    // The class answers; the teacher closes the answers by
                    // running the step.
                    screen.message(
                        &format!("Checkpoint for the class: {question}"),
                        Tone::Plain,
                    );
                    let next = format!(
                        "close the answers and run step {}",
                        numbered(p.number, p.total)
                    );
                    match pause(source, input, screen, audience, &next, &mut continuing)? {
                        Pause::Go => {}
                        Pause::Stop(ending) => break 'run stop(screen, &pending, ending),
                    }
                    asked.insert(p.number);
                    class_asked = true;
                } else if !continuing && let Some(question) = &p.question {
                    let prompt = format!(
                        "Checkpoint: {question} (type your answer and press Enter; an empty line skips)"
                    );
                    if let Some(ending) = ask(source, input, screen, &prompt, &mut early_answer)? {
                        break 'run stop(screen, &pending, ending);
                    }
                    asked.insert(p.number);
                }
                let mut step_events = match source.step() {
                    Ok(events) => events,
                    // A signal that cut a blocking call short stops the
                    // session like one between steps: the call it broke is
                    // not the lesson's failure.
                    Err(_) if term::pending_signal().is_some() => {
                        let s = term::pending_signal().unwrap_or(libc::SIGINT);
                        break 'run stop(screen, &pending, Ending::Signal(s));
                    }
                    Err(e) => return Err(e),
                };
                if let Some(given) = early_answer.filter(|g| !g.trim().is_empty())
                    && let Some(e) = step_events.iter_mut().find(|e| e.checkpoint.is_some())
                {
                    if let Some(cp) = e.checkpoint.as_mut() {
                        cp.record(&given);
                    }
                    source.answer_checkpoint(e.index, &given);
                }
                if class_asked
                    && let Some(e) = step_events.iter().find(|e| e.checkpoint.is_some())
                    && let Some(cp) = &e.checkpoint
                {
                    tally = Some((e.index, audience.reveal(cp, e.index)));
                }
                let mut events = step_events.into_iter();
                if let Some(first) = events.next() {
                    screen.event(source.transcript(), &first, p.say.as_deref());
                    audience.shown(source.transcript(), &first);
                    screen.set_current(&first);
                    if let Some(note) = pause_note.take() {
                        screen.message(&note, Tone::Dim);
                    }
                    // The question was about a frame the step never caused:
                    // the call carries it, and says why it cannot be graded.
                    if asked.contains(&first.step)
                        && let Some(cp) = first.checkpoint.as_ref()
                    {
                        show_verdict(screen, cp);
                        show_tally(screen, &mut tally, first.index);
                    }
                }
                pending.extend(events);
                frames = (pending.len(), 0);
            }
            None => {
                if let Some(mut e) = pending.pop_front() {
                    // A lesson's checkpoint: its question comes before the
                    // frame that answers it, graded against that frame.
                    let mut verdict = None;
                    if asked.contains(&e.step)
                        && let Some(cp) = e.checkpoint.as_ref()
                    {
                        // Asked before the step ran: now the frame answers it.
                        verdict = Some(cp.clone());
                    } else if !continuing
                        && let Some(cp) = e.checkpoint.as_ref()
                        && audience.open_checkpoint(e.step, &cp.question)
                    {
                        let question = format!("Checkpoint for the class: {}", cp.question);
                        screen.message(&question, Tone::Plain);
                        let next = "close the answers and show the frame";
                        match pause(source, input, screen, audience, next, &mut continuing)? {
                            Pause::Go => {}
                            Pause::Stop(ending) => {
                                pending.push_front(e);
                                break 'run stop(screen, &pending, ending);
                            }
                        }
                        tally = Some((e.index, audience.reveal(cp, e.index)));
                        verdict = Some(cp.clone());
                    } else if !continuing && let Some(cp) = e.checkpoint.as_mut() {
                        let mut given = None;
                        if let Some(ending) = ask(source, input, screen, &cp.prompt(), &mut given)?
                        {
                            pending.push_front(e);
                            break 'run stop(screen, &pending, ending);
                        }
                        if let Some(given) = given.filter(|g| !g.trim().is_empty()) {
                            cp.record(&given);
                            source.answer_checkpoint(e.index, &given);
                        }
                        verdict = Some(cp.clone());
                    }
                    // The verdict, then the frame that answers it; a screen
                    // shows the frame first and the verdict under it.
                    if !screen.is_paged()
                        && let Some(cp) = &verdict
                    {
                        show_verdict(screen, cp);
                        show_tally(screen, &mut tally, e.index);
                    }
                    screen.event(source.transcript(), &e, None);
                    audience.shown(source.transcript(), &e);
                    screen.set_current(&e);
                    if screen.is_paged()
                        && let Some(cp) = verdict
                    {
                        show_verdict(screen, &cp);
                        show_tally(screen, &mut tally, e.index);
                    }
                    frames.1 += 1;
                }
            }
        }
    };
    screen.close();
    if source.is_live() && screen.paused >= TIMES_NOTE_AFTER {
        let note = format!(
            "You spent {:.1} s paused in all. The timestamps are the real clock, so the gaps between steps include it; frames within a step are as fast as ever. For the network's own timing, run without --step.",
            screen.paused.as_secs_f64()
        );
        screen.message(&note, Tone::Dim);
    }
    Ok(ending)
}

/// Right in green; wrong, skipped or ungradable in yellow.
fn show_verdict(screen: &mut Screen<'_>, cp: &Checkpoint) {
    let tone = if cp.correct == Some(true) {
        Tone::Good
    } else {
        Tone::Warn
    };
    screen.message(&cp.verdict(), tone);
}

/// The audience's tally, under the verdict of the event it is about.
fn show_tally(screen: &mut Screen<'_>, tally: &mut Option<(usize, Vec<String>)>, index: usize) {
    if tally.as_ref().is_some_and(|(i, _)| *i == index)
        && let Some((_, lines)) = tally.take()
    {
        for line in lines {
            screen.message(&line, Tone::Plain);
        }
    }
}

/// Pauses shorter than this in all leave the timestamps meaningful enough.
const TIMES_NOTE_AFTER: Duration = Duration::from_secs(1);

/// Stop early: say so (after leaving the screen, so it stays in sight),
/// and what was captured but not shown.
fn stop(screen: &mut Screen, pending: &VecDeque<Event>, ending: Ending) -> Ending {
    let why = match ending {
        Ending::Signal(s) => format!("Stopped by signal {s} ({}).", signal_name(s)),
        _ => "Stopped at your request.".to_string(),
    };
    let unseen = match pending.len() {
        0 => String::new(),
        1 => " 1 more frame of this step was captured but not shown; it is in the transcript."
            .to_string(),
        n => format!(
            " {n} more frames of this step were captured but not shown; they are in the transcript."
        ),
    };
    screen.close();
    screen.message("", Tone::Plain);
    screen.message(
        &format!("{why}{unseen} Nothing after this point is shown."),
        Tone::Warn,
    );
    ending
}

fn signal_name(s: i32) -> &'static str {
    match s {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        _ => "signal",
    }
}

/// The call event as shown right after its preview: the narration was just
/// printed above it, so it is not repeated in the semantics note.
pub(crate) fn without_narration(e: &Event, say: Option<&str>) -> Event {
    let mut e = e.clone();
    if let Some(say) = say
        && let Some(rest) = e.notes.semantics.strip_prefix(say)
    {
        e.notes.semantics = rest.trim_start().to_string();
    }
    e
}

/// A note when the student paused before a waiting call for longer than the
/// call's own timeout: nothing timed out, and why.
pub fn long_pause_note(p: &Preview, paused: Duration) -> Option<String> {
    let timeout = p.timeout?;
    if paused <= timeout {
        return None;
    }
    let held = match p.call_name.as_str() {
        "recv" => "the bytes already sent sat in the kernel's receive buffer",
        "recvfrom" => "any datagram already sent sat in the kernel's receive queue",
        "accept" => {
            "the kernel completed the handshake by itself and kept the connection in the listen backlog"
        }
        "connect" => {
            "connect starts its wait only now, and the listener's kernel answers it by itself"
        }
        _ => "the kernel held what was sent",
    };
    Some(format!(
        "You paused {:.1} s, longer than this {}'s {} ms timeout — and nothing timed out: steps run one at a time, so no call was waiting while you read; {held}.",
        paused.as_secs_f64(),
        p.call_name,
        timeout.as_millis()
    ))
}

fn help(keys: bool, width: usize, w: &mut dyn Write) -> io::Result<()> {
    let (title, rows): (&str, &[(&str, &str)]) = if keys {
        (
            "Step mode keys (no Enter needed):",
            &[
                (
                    "Enter, Space, n",
                    "next: run the next step, or show the next frame it caused",
                ),
                (
                    "d",
                    "details of the event on screen: every note, every field, its bytes, header diagrams (j/k, PgUp/PgDn to scroll, < > sideways, q back)",
                ),
                ("+ / -", "more or less detail: brief, normal, full"),
                ("c", "continue to the end without pausing (q still stops)"),
                (
                    "q, Ctrl-C",
                    "quit; the transcript so far is kept and exported, \"complete\": false",
                ),
                (
                    "Ctrl-Z",
                    "stop for now, back to the shell; `fg` comes back here",
                ),
                ("?", "this help"),
            ],
        )
    } else {
        (
            "Step mode commands, one per line:",
            &[
                (
                    "(empty line), n",
                    "next: run the next step, or show the next frame it caused",
                ),
                (
                    "d",
                    "details of the last event shown: every note, every field, its bytes, header diagrams",
                ),
                ("+ / -", "more or less detail: brief, normal, full"),
                (
                    "c",
                    "continue to the end without pausing (so does the end of input)",
                ),
                (
                    "q",
                    "quit; the transcript so far is kept and exported, \"complete\": false",
                ),
                ("?", "this help"),
            ],
        )
    };
    writeln!(w)?;
    writeln!(w, "{}", terminal::wrap(title, width, "", 0).bold())?;
    for (key, what) in rows {
        writeln!(
            w,
            "{}",
            terminal::wrap(what, width, &format!("  {key:<17} "), 20)
        )?;
    }
    writeln!(w, "{}", terminal::wrap("Pauses fall between socket calls, never inside one, so reading slowly changes nothing on the wire.", width, "", 0).dimmed())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preview(call: &str, timeout_ms: Option<u64>) -> Preview {
        Preview {
            number: 3,
            total: 9,
            actor: "receiver".into(),
            call_name: call.into(),
            call: format!("{call}(1024)"),
            say: None,
            timeout: timeout_ms.map(Duration::from_millis),
            question: None,
        }
    }

    #[test]
    fn long_pauses_before_waiting_calls_get_a_note() {
        let p = preview("recvfrom", Some(2000));
        assert_eq!(long_pause_note(&p, Duration::from_millis(1500)), None);
        let note = long_pause_note(&p, Duration::from_secs(30)).unwrap();
        assert!(
            note.contains("30.0 s")
                && note.contains("2000 ms")
                && note.contains("nothing timed out"),
            "{note}"
        );
        assert!(note.contains("receive queue"), "{note}");
        // Calls that do not wait (or a replay, which has no timeout) get none.
        assert_eq!(
            long_pause_note(&preview("sendto", None), Duration::from_secs(600)),
            None
        );
        assert!(
            long_pause_note(&preview("accept", Some(10)), Duration::from_secs(1))
                .unwrap()
                .contains("backlog")
        );
    }

    #[test]
    fn exit_codes() {
        assert_eq!(Ending::Quit.exit_code(), ExitCode::SUCCESS);
        assert_eq!(Ending::Finished.exit_code(), ExitCode::SUCCESS);
        assert_eq!(Ending::Signal(15).exit_code(), ExitCode::from(143));
    }

    #[test]
    fn narration_is_not_repeated() {
        let json = r#"{"index":1,"kind":"call","step":1,"actor":"a","time_ns":0,"timestamp_ns":0,"layer":"application","summary":"s",
            "notes":{"syntax":"x","semantics":"Say this.\n\nbind() attaches.","timing":"t"}}"#;
        let e: Event = serde_json::from_str(json).unwrap();
        assert_eq!(
            without_narration(&e, Some("Say this.")).notes.semantics,
            "bind() attaches."
        );
        assert_eq!(
            without_narration(&e, Some("Other.")).notes.semantics,
            e.notes.semantics
        );
        assert_eq!(without_narration(&e, None), e);
    }
}

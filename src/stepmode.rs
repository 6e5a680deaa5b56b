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
pub mod source;
pub mod term;

use std::collections::VecDeque;
use std::io::{self, IsTerminal, Write};
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use colored::Colorize;

use crate::error::Error;
use crate::render::terminal;
use crate::transcript::{Checkpoint, Event, Transcript};

pub use crate::plan::call_text;
pub use input::{Input, InputSource};
pub use source::{EventSource, Preview, Replay};

const WIDTH: usize = terminal::WIDTH;

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

/// Step through `source`, reading commands from stdin: single keys when it
/// is a terminal, one command per line otherwise. The caller prints the
/// header before and the footer after (as a plain run does) and writes the
/// exports from whatever `source` holds then.
pub fn step_through(source: &mut dyn EventSource, out: &mut dyn Write) -> Result<Ending, Error> {
    let io_err = |e: io::Error| Error::Io {
        path: "stdin".into(),
        action: "set up step mode on",
        reason: e.to_string(),
    };
    let signals = term::Signals::install().map_err(io_err)?;
    let stdin = io::stdin();
    let fd = stdin.as_raw_fd();
    let erase_legend = io::stdout().is_terminal();
    if stdin.is_terminal() {
        // Dropped on every way out of this function, unwinding included.
        let _raw = term::RawMode::enter(fd).map_err(io_err)?;
        let mut keys = input::Keys::new(fd, signals.wake_fd());
        step_loop(source, &mut keys, out, erase_legend)
    } else {
        let mut lines = input::Lines::new(fd, signals.wake_fd());
        step_loop(source, &mut lines, out, erase_legend)
    }
}

/// `replay FILE --step`: header, the stepped events of a saved transcript,
/// footer.
pub fn step_through_transcript(t: &Transcript, out: &mut dyn Write) -> Result<Ending, Error> {
    let _ = terminal::header(t, &mut &mut *out);
    let ending = step_through(&mut Replay::new(t), out)?;
    let _ = terminal::footer(t, &mut &mut *out);
    let _ = out.flush();
    Ok(ending)
}

/// `netcourse replay FILE --step`: the saved transcript, stepped through.
/// Exports are of the file as loaded (a replay changes nothing in it), even
/// when the student quits early.
pub fn replay(args: &crate::cli::ReplayArgs) -> Result<ExitCode, Error> {
    let exports = crate::render::plan_exports(&args.exports.export, args.exports.export_format)?;
    let t = crate::replay::load(&args.file)?;
    let mut out = io::stdout().lock();
    let ending = step_through_transcript(&t, &mut out)?;
    crate::render::write_exports(&exports, &t)?;
    Ok(ending.exit_code())
}

/// The output, with the one-line key legend kept under the last thing shown.
/// On a terminal the legend is erased before anything else is printed, so it
/// is always the bottom line and never piles up; elsewhere it is a line.
struct Screen<'w> {
    out: &'w mut dyn Write,
    erase: bool,
    legend_up: bool,
}

impl Screen<'_> {
    fn w(&mut self) -> &mut dyn Write {
        self.clear_legend();
        &mut *self.out
    }

    fn clear_legend(&mut self) {
        if self.legend_up && self.erase {
            let _ = write!(self.out, "\r\x1b[2K");
        }
        self.legend_up = false;
    }

    fn legend(&mut self, next: &str) {
        self.clear_legend();
        let mut text = format!("[n]ext: {next} · [d]etails · [c]ontinue · [q]uit · [?]help");
        if self.erase {
            // One line only, or erasing it would leave the wrapped part behind.
            let cols = term::width(io::stdout().as_raw_fd()).unwrap_or(WIDTH);
            if text.chars().count() >= cols {
                text = text
                    .chars()
                    .take(cols.saturating_sub(2))
                    .chain(['…'])
                    .collect();
            }
        }
        let text = text.dimmed();
        let _ = if self.erase {
            write!(self.out, "{text}")
        } else {
            writeln!(self.out, "{text}")
        };
        let _ = self.out.flush();
        self.legend_up = true;
    }
}

/// The loop: show, pause, act. Pauses come before each step (after its
/// preview) and before each frame of a step (after the event before it).
pub fn step_loop(
    source: &mut dyn EventSource,
    input: &mut dyn InputSource,
    out: &mut dyn Write,
    erase_legend: bool,
) -> Result<Ending, Error> {
    let mut screen = Screen {
        out,
        erase: erase_legend,
        legend_up: false,
    };
    let io_err = |e: io::Error| Error::Io {
        path: "stdin".into(),
        action: "read step-mode commands from",
        reason: e.to_string(),
    };
    // Events of the last step run that are not shown yet (its frames).
    let mut pending: VecDeque<Event> = VecDeque::new();
    // (frames of the last step, how many shown) for the legend.
    let mut frames = (0usize, 0usize);
    // The frame `d` details: the last one shown.
    let mut current: Option<Event> = None;
    let mut previewed: Option<usize> = None;
    // Steps whose checkpoint was asked before they ran.
    let mut asked: std::collections::HashSet<usize> = std::collections::HashSet::new();
    let mut continuing = false;
    // All the time spent waiting for the student, for the closing note.
    let mut waited = Duration::ZERO;
    let ending = 'run: loop {
        let preview = if pending.is_empty() {
            match source.upcoming() {
                Some(p) => Some(p),
                None => break 'run Ending::Finished,
            }
        } else {
            None
        };
        if let Some(p) = &preview
            && previewed != Some(p.number)
        {
            show_preview(source.transcript(), p, screen.w());
            previewed = Some(p.number);
        }
        let next = match &preview {
            Some(p) => format!("run step {}/{}", p.number, p.total),
            None => format!("frame {}/{} of this step", frames.1 + 1, frames.0),
        };
        let mut paused = Duration::ZERO;
        if continuing {
            // Still stoppable: a `q`, Ctrl-C or signal between events.
            match input.poll_now() {
                Some(Input::Signal(s)) => break 'run stop(&mut screen, &pending, Some(s)),
                Some(Input::Quit) => break 'run stop(&mut screen, &pending, None),
                _ => {}
            }
        } else {
            let started = Instant::now();
            loop {
                screen.legend(&next);
                match input.next().map_err(io_err)? {
                    Input::Next => break,
                    Input::Continue | Input::Eof => {
                        continuing = true;
                        break;
                    }
                    Input::Details => match &current {
                        Some(e) => {
                            let _ = details::render(e, screen.w());
                        }
                        None => {
                            let _ = writeln!(
                                screen.w(),
                                "{}",
                                "No frame shown yet: `d` details the last frame shown.".dimmed()
                            );
                        }
                    },
                    Input::Help => {
                        let _ = help(input.is_keys(), screen.w());
                    }
                    Input::Quit => {
                        waited += started.elapsed();
                        break 'run stop(&mut screen, &pending, None);
                    }
                    Input::Signal(s) => {
                        waited += started.elapsed();
                        break 'run stop(&mut screen, &pending, Some(s));
                    }
                    Input::Unknown(what) => {
                        let kind = if input.is_keys() { "key" } else { "command" };
                        let _ = writeln!(
                            screen.w(),
                            "{}",
                            format!(
                                "Unknown {kind} `{}`: press ? for help.",
                                crate::text::printable(&what.chars().take(40).collect::<String>())
                            )
                            .dimmed()
                        );
                    }
                }
            }
            paused = started.elapsed();
            waited += paused;
        }
        match preview {
            Some(p) => {
                if let Some(note) = long_pause_note(&p, paused) {
                    let _ = writeln!(
                        screen.w(),
                        "{}",
                        terminal::wrap(&note, WIDTH, "      ", 6).dimmed()
                    );
                }
                // A checkpoint is asked before the step runs: once the call
                // and its result are on screen, they would give it away.
                let mut early_answer = None;
                if !continuing && let Some(question) = &p.question {
                    let prompt = format!(
                        "Checkpoint: {question} (type your answer and press Enter; an empty line skips)"
                    );
                    let _ = writeln!(
                        screen.w(),
                        "{}",
                        terminal::wrap(&prompt, WIDTH, "", 0).bold()
                    );
                    let _ = write!(screen.w(), "> ");
                    let _ = screen.out.flush();
                    match input.read_answer().map_err(io_err)? {
                        Ok(given) => {
                            if !input.is_keys() {
                                let _ = writeln!(screen.w(), "{}", crate::text::printable(&given));
                            }
                            early_answer = Some(given);
                        }
                        Err(Input::Eof) => {
                            let _ = writeln!(screen.w());
                            early_answer = Some(String::new());
                        }
                        Err(Input::Signal(s)) => break 'run stop(&mut screen, &pending, Some(s)),
                        Err(_) => break 'run stop(&mut screen, &pending, None),
                    }
                    asked.insert(p.number);
                }
                let mut step_events = source.step()?;
                if let Some(given) = early_answer.filter(|g| !g.trim().is_empty())
                    && let Some(e) = step_events.iter_mut().find(|e| e.checkpoint.is_some())
                {
                    if let Some(cp) = e.checkpoint.as_mut() {
                        cp.record(&given);
                    }
                    source.answer_checkpoint(e.index, &given);
                }
                let mut events = step_events.into_iter();
                if let Some(first) = events.next() {
                    let _ = terminal::event(
                        &without_narration(&first, p.say.as_deref()),
                        &mut screen.w(),
                    );
                    // The question was about a frame the step never caused:
                    // the call carries it, and says why it cannot be graded.
                    if asked.contains(&first.step)
                        && let Some(cp) = first.checkpoint.as_ref()
                    {
                        show_verdict(&mut screen, cp);
                    }
                    if first.is_frame() {
                        current = Some(first);
                    }
                }
                pending.extend(events);
                frames = (pending.len(), 0);
            }
            None => {
                if let Some(mut e) = pending.pop_front() {
                    // A lesson's checkpoint: its question comes before the
                    // frame that answers it, graded against that frame.
                    if asked.contains(&e.step)
                        && let Some(cp) = e.checkpoint.as_ref()
                    {
                        // Asked before the step ran: now the frame answers it.
                        show_verdict(&mut screen, cp);
                    } else if !continuing && let Some(cp) = e.checkpoint.as_mut() {
                        let _ = writeln!(
                            screen.w(),
                            "{}",
                            terminal::wrap(&cp.prompt(), WIDTH, "", 0).bold()
                        );
                        let _ = write!(screen.w(), "> ");
                        let _ = screen.out.flush();
                        let stopped = match input.read_answer().map_err(io_err)? {
                            Ok(given) => {
                                if !input.is_keys() {
                                    let _ =
                                        writeln!(screen.w(), "{}", crate::text::printable(&given));
                                }
                                if !given.trim().is_empty() {
                                    cp.record(&given);
                                    source.answer_checkpoint(e.index, &given);
                                }
                                None
                            }
                            Err(Input::Eof) => {
                                let _ = writeln!(screen.w());
                                None
                            }
                            Err(Input::Signal(s)) => Some(Some(s)),
                            Err(_) => Some(None),
                        };
                        if let Some(signal) = stopped {
                            pending.push_front(e);
                            break 'run stop(&mut screen, &pending, signal);
                        }
                        show_verdict(&mut screen, cp);
                    }
                    let _ = terminal::event(&e, &mut screen.w());
                    frames.1 += 1;
                    if e.is_frame() {
                        current = Some(e);
                    }
                }
            }
        }
        let _ = screen.out.flush();
    };
    screen.clear_legend();
    if source.is_live() && waited >= TIMES_NOTE_AFTER {
        let note = format!(
            "Timestamps are the real clock, so the gaps between steps include the {:.1} s you spent reading (a measured \"time\" includes them too). What happened on the wire did not change: frames within a step are as fast as ever. For the network's own timing, run without --step.",
            waited.as_secs_f64()
        );
        let _ = writeln!(
            screen.w(),
            "\n{}",
            terminal::wrap(&note, WIDTH, "", 0).dimmed()
        );
    }
    let _ = screen.out.flush();
    Ok(ending)
}

/// Right in green; wrong, skipped or ungradable in yellow.
fn show_verdict(screen: &mut Screen<'_>, cp: &Checkpoint) {
    let verdict = terminal::wrap(&cp.verdict(), WIDTH, "", 0);
    let _ = writeln!(
        screen.w(),
        "{}",
        if cp.correct == Some(true) {
            verdict.green()
        } else {
            verdict.yellow()
        }
    );
}

/// Pauses shorter than this in all leave the timestamps meaningful enough.
const TIMES_NOTE_AFTER: Duration = Duration::from_secs(1);

/// Stop early: say so, and what was captured but not shown.
fn stop(screen: &mut Screen, pending: &VecDeque<Event>, signal: Option<i32>) -> Ending {
    let why = match signal {
        Some(s) => format!("Stopped by signal {s} ({}).", signal_name(s)),
        None => "Stopped at your request.".to_string(),
    };
    let unseen = match pending.len() {
        0 => String::new(),
        1 => " 1 more frame of this step was captured but not shown; it is in the transcript."
            .to_string(),
        n => format!(
            " {n} more frames of this step were captured but not shown; they are in the transcript."
        ),
    };
    let w = screen.w();
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "{}",
        terminal::wrap(
            &format!("{why}{unseen} Nothing after this point is shown."),
            WIDTH,
            "",
            0
        )
        .yellow()
    );
    let _ = w.flush();
    match signal {
        Some(s) => Ending::Signal(s),
        None => Ending::Quit,
    }
}

fn signal_name(s: i32) -> &'static str {
    match s {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        _ => "signal",
    }
}

/// The step's header, the call about to be made, and the narration.
fn show_preview(t: &Transcript, p: &Preview, w: &mut dyn Write) {
    let _ = terminal::step_header(t, p.number, &mut &mut *w);
    if t.steps.iter().all(|s| s.number != p.number) {
        // A transcript without step info still gets a header.
        let _ = writeln!(
            w,
            "{}",
            format!(
                "━━ Step {}/{} · {} · {}",
                p.number, p.total, p.actor, p.call_name
            )
            .blue()
            .bold()
        );
    }
    let _ = writeln!(
        w,
        "{}",
        terminal::wrap(
            &format!("{} is about to call {}", p.actor, p.call.yellow()),
            WIDTH,
            "      ",
            6
        )
    );
    if let Some(say) = &p.say {
        let _ = writeln!(w, "{}", terminal::wrap(say, WIDTH, "      ", 6));
    }
}

/// The call event as shown right after its preview: the narration was just
/// printed above it, so it is not repeated in the semantics note.
fn without_narration(e: &Event, say: Option<&str>) -> Event {
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

fn help(keys: bool, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w)?;
    if keys {
        writeln!(w, "{}", "Step mode keys (no Enter needed):".bold())?;
        writeln!(
            w,
            "  Enter, Space, n   next: run the next step, or show the next frame it caused"
        )?;
        writeln!(
            w,
            "  d                 details of the last frame shown: every field, its bytes, header diagrams"
        )?;
        writeln!(
            w,
            "  c                 continue to the end without pausing (q still stops)"
        )?;
        writeln!(
            w,
            "  q, Ctrl-C         quit; the transcript so far is kept and exported, \"complete\": false"
        )?;
        writeln!(w, "  ?                 this help")?;
    } else {
        writeln!(w, "{}", "Step mode commands, one per line:".bold())?;
        writeln!(
            w,
            "  (empty line), n   next: run the next step, or show the next frame it caused"
        )?;
        writeln!(
            w,
            "  d                 details of the last frame shown: every field, its bytes, header diagrams"
        )?;
        writeln!(
            w,
            "  c                 continue to the end without pausing (so does the end of input)"
        )?;
        writeln!(
            w,
            "  q                 quit; the transcript so far is kept and exported, \"complete\": false"
        )?;
        writeln!(w, "  ?                 this help")?;
    }
    writeln!(w, "{}", terminal::wrap("Pauses fall between socket calls, never inside one, so reading slowly changes nothing on the wire.", WIDTH, "", 0).dimmed())
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

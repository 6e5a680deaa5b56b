//! `netcourse trace --step`: the lessons' step mode over a traced program.
//! The program stops before each socket call (the tracer holds it at the
//! call's seccomp stop) until the student runs it; the frames that call
//! put on the wire are then shown one at a time.
//!
//! The tracer runs on a thread of its own (the one that forked the
//! programs, as ptrace requires) and reports each call it holds, each call
//! it recorded, each printed line and each exit; this source turns them
//! into steps. What the screen shows is rebuilt from everything seen so far
//! after each step; the exported transcript is built once at the end, as
//! without `--step`.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::mpsc;
use std::time::Duration;

use super::frames::Frames;
use super::tracer::{Call, Exit, Line, Outcome, Stepped};
use crate::error::Error;
use crate::live::capture::CapturedFrame;
use crate::stepmode::term::pending_signal;
use crate::stepmode::{EventSource, Preview};
use crate::transcript::{Event, Transcript};

/// How long a step waits for its frames to be read from the capture.
const SYNC_WITHIN: Duration = Duration::from_secs(1);

/// How often a wait for the tracer looks for a signal.
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// A call the tracer holds, not run yet.
struct About {
    number: usize,
    actor: String,
    name: &'static str,
    call: String,
}

#[derive(Default)]
struct Seen {
    calls: Vec<Call>,
    lines: Vec<Line>,
    exits: Vec<Exit>,
    processes: Vec<(i32, usize)>,
}

struct State {
    rx: mpsc::Receiver<Stepped>,
    about: Option<About>,
    /// Calls let run so far.
    approved: usize,
    seen: Seen,
}

pub struct TraceSteps<'a> {
    labels: &'a [String],
    wire: &'a mut Frames,
    go: Option<mpsc::Sender<()>>,
    state: RefCell<State>,
    frames: Vec<CapturedFrame>,
    started_at: u64,
    timeout: f64,
    t: Transcript,
    /// Events of `t` already handed to the step loop, by time and summary
    /// (a call that waited is recorded after later ones: a rebuilt
    /// transcript puts it before them).
    shown: HashSet<(u64, String)>,
}

impl State {
    /// Take what the tracer says until it holds the next call or is done.
    fn advance(&mut self, labels: &[String]) {
        if self.about.is_some() {
            return;
        }
        loop {
            // Bounded, to notice Ctrl-C while a program waits (a recvfrom
            // no one answers) and none is held.
            let m = match self.rx.recv_timeout(SIGNAL_CHECK) {
                Ok(m) => m,
                Err(mpsc::RecvTimeoutError::Timeout) if pending_signal().is_none() => continue,
                Err(_) => return,
            };
            match m {
                Stepped::About {
                    pid,
                    program,
                    name,
                    call,
                } => {
                    if !self.seen.processes.iter().any(|p| p.0 == pid) {
                        self.seen.processes.push((pid, program));
                    }
                    self.about = Some(About {
                        number: self.approved + 1,
                        actor: format!(
                            "{}[{pid}]",
                            labels.get(program).map_or("?", String::as_str)
                        ),
                        name,
                        call,
                    });
                    return;
                }
                Stepped::Done(c) => self.seen.calls.push(c),
                Stepped::Line(l) => self.seen.lines.push(l),
                Stepped::Exit(x) => self.seen.exits.push(x),
            }
        }
    }
}

impl<'a> TraceSteps<'a> {
    pub fn new(
        labels: &'a [String],
        wire: &'a mut Frames,
        rx: mpsc::Receiver<Stepped>,
        go: mpsc::Sender<()>,
        started_at: u64,
        timeout: f64,
    ) -> TraceSteps<'a> {
        let state = RefCell::new(State {
            rx,
            about: None,
            approved: 0,
            seen: Seen::default(),
        });
        let placement = wire.placement().cloned();
        let t = rebuild(
            labels,
            &state.borrow().seen,
            &[],
            started_at,
            timeout,
            placement.as_ref(),
        );
        TraceSteps {
            labels,
            wire,
            go: Some(go),
            state,
            frames: Vec::new(),
            started_at,
            timeout,
            t,
            shown: HashSet::new(),
        }
    }
}

/// The transcript of what was seen so far.
fn rebuild(
    labels: &[String],
    seen: &Seen,
    frames: &[CapturedFrame],
    started_at: u64,
    timeout: f64,
    placement: Option<&super::hosts::Placement>,
) -> Transcript {
    let traced = Outcome {
        calls: seen.calls.clone(),
        lines: seen.lines.clone(),
        exits: seen.exits.clone(),
        timed_out: false,
        processes: seen.processes.clone(),
        not_ready: None,
    };
    super::build(
        labels,
        traced,
        frames.to_vec(),
        Vec::new(),
        0,
        started_at,
        timeout,
        placement,
    )
}

impl EventSource for TraceSteps<'_> {
    fn transcript(&self) -> &Transcript {
        &self.t
    }

    fn upcoming(&self) -> Option<Preview> {
        let mut st = self.state.borrow_mut();
        st.advance(self.labels);
        st.about.as_ref().map(|a| Preview {
            number: a.number,
            // Unknown ahead: the program decides.
            total: 0,
            actor: a.actor.clone(),
            call_name: a.name.to_string(),
            call: a.call.clone(),
            say: None,
            timeout: None,
            question: None,
        })
    }

    fn step(&mut self) -> Result<Vec<Event>, Error> {
        {
            let mut st = self.state.borrow_mut();
            st.advance(self.labels);
            if st.about.take().is_some() {
                st.approved += 1;
                if let Some(go) = &self.go {
                    let _ = go.send(());
                }
            }
            // Until the call returns and the program stops at its next one
            // (or another program does, while this call waits).
            st.advance(self.labels);
        }
        if let Some(sig) = pending_signal() {
            // The step loop stops on it, like a signal between steps.
            return Err(Error::Usage {
                message: format!("stopped by signal {sig} while a traced program ran"),
                hint: String::new(),
            });
        }
        self.frames.extend(self.wire.sync(SYNC_WITHIN));
        self.t = rebuild(
            self.labels,
            &self.state.borrow().seen,
            &self.frames,
            self.started_at,
            self.timeout,
            self.wire.placement(),
        );
        let mut new = Vec::new();
        for e in &self.t.events {
            if self.shown.insert((e.timestamp_ns, e.summary.clone())) {
                new.push(e.clone());
            }
        }
        Ok(new)
    }

    fn is_live(&self) -> bool {
        true
    }
}

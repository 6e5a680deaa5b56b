//! Where step mode's events come from: a live run (`LiveRun`) or a saved
//! transcript (`Replay`). The loop cannot tell them apart.

use std::time::Duration;

use crate::error::Error;
use crate::plan::call_text;
use crate::run::LiveRun;
use crate::transcript::{Event, EventKind, Transcript};

/// What the student sees before a step runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// 1-based step number, and how many steps the lesson has.
    pub number: usize,
    pub total: usize,
    pub actor: String,
    /// The call's name, e.g. `recvfrom`.
    pub call_name: String,
    /// The call as the transcript writes it, e.g. `sendto(b"hello", ("127.0.0.1", 5000))`.
    pub call: String,
    /// The narration.
    pub say: Option<String>,
    /// How long the call may block, for calls that wait (live runs only).
    pub timeout: Option<Duration>,
    /// The step's checkpoint question, asked before the step runs so that
    /// nothing on screen gives the answer away.
    pub question: Option<String>,
}

/// A source of transcript events, one step at a time.
pub trait EventSource {
    /// The transcript so far (lesson, steps; events of the steps run).
    fn transcript(&self) -> &Transcript;
    /// The step that runs next, if any.
    fn upcoming(&self) -> Option<Preview>;
    /// Run (or replay) that step: its events, the call first, then its frames.
    fn step(&mut self) -> Result<Vec<Event>, Error>;
    /// True when steps really run now (so pauses show in the timestamps).
    fn is_live(&self) -> bool {
        false
    }
    /// Record the student's answer to the checkpoint on event `event_index`
    /// in the transcript that is exported (live runs; a replay keeps the
    /// saved transcript as it was).
    fn answer_checkpoint(&mut self, _event_index: usize, _given: &str) {}
}

/// Calls that block until something arrives (or the step's timeout).
pub fn waits(call: &str) -> bool {
    matches!(call, "accept" | "connect" | "recv" | "recvfrom")
}

impl EventSource for LiveRun<'_> {
    fn transcript(&self) -> &Transcript {
        LiveRun::transcript(self)
    }

    fn upcoming(&self) -> Option<Preview> {
        let index = LiveRun::upcoming(self)?;
        let plan = self.plan();
        let step = &plan.steps[index];
        let call_name = step.call.name().to_string();
        Some(Preview {
            number: step.number,
            total: plan.steps.len(),
            actor: plan.actors[step.actor].name.clone(),
            timeout: waits(&call_name).then_some(step.timeout),
            call_name,
            call: call_text(plan, step),
            say: step.say.clone(),
            question: step.checkpoint.as_ref().map(|c| c.ask.clone()),
        })
    }

    fn step(&mut self) -> Result<Vec<Event>, Error> {
        LiveRun::step(self)
    }

    fn is_live(&self) -> bool {
        true
    }

    fn answer_checkpoint(&mut self, event_index: usize, given: &str) {
        LiveRun::answer_checkpoint(self, event_index, given);
    }
}

/// A saved transcript, step by step: its events grouped by the step that
/// caused them. Steps that never ran (the run stopped early) are not shown.
pub struct Replay<'t> {
    transcript: &'t Transcript,
    /// (step number, event range), in transcript order.
    groups: Vec<(usize, std::ops::Range<usize>)>,
    next: usize,
}

impl<'t> Replay<'t> {
    pub fn new(transcript: &'t Transcript) -> Replay<'t> {
        let mut groups: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
        for (i, e) in transcript.events.iter().enumerate() {
            match groups.last_mut() {
                Some((step, range)) if *step == e.step => range.end = i + 1,
                _ => groups.push((e.step, i..i + 1)),
            }
        }
        Replay {
            transcript,
            groups,
            next: 0,
        }
    }
}

impl EventSource for Replay<'_> {
    fn transcript(&self) -> &Transcript {
        self.transcript
    }

    fn upcoming(&self) -> Option<Preview> {
        let (number, range) = self.groups.get(self.next)?;
        let t = self.transcript;
        let info = t.steps.iter().find(|s| s.number == *number);
        let call = t.events[range.clone()]
            .iter()
            .find(|e| e.kind == EventKind::Call)
            .and_then(|e| e.call.as_ref());
        let call_name = info
            .map(|s| s.call.clone())
            .or(call.map(|c| c.name.clone()))
            .unwrap_or_default();
        Some(Preview {
            number: *number,
            total: t.steps.len(),
            actor: info.map(|s| s.actor.clone()).unwrap_or_default(),
            call: call
                .map(|c| c.args.clone())
                .unwrap_or_else(|| format!("{call_name}(…)")),
            call_name,
            say: info.and_then(|s| s.say.clone()),
            timeout: None,
            question: t.events[range.clone()]
                .iter()
                .find_map(|e| e.checkpoint.as_ref().map(|c| c.question.clone())),
        })
    }

    fn step(&mut self) -> Result<Vec<Event>, Error> {
        let Some((_, range)) = self.groups.get(self.next) else {
            return Ok(Vec::new());
        };
        self.next += 1;
        Ok(self.transcript.events[range.clone()].to_vec())
    }
}

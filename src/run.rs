//! A live run: exec → capture → dissect → annotate, one step at a time, so
//! the plain run and step mode drive the same machinery.

use crate::annotate::Annotator;
use crate::error::Error;
use crate::live::capture::{self, Capture, CapturedFrame};
use crate::live::exec::Runner;
use crate::live::sandbox::NetMode;
use crate::plan::Plan;
use crate::transcript::{ActorInfo, Event, LessonInfo, NetworkInfo, Outcome, StepInfo, Transcript};

pub struct LiveRun<'a> {
    runner: Runner<'a>,
    annotator: Annotator<'a>,
    next_step: usize,
    transcript: Transcript,
    failure: Option<Error>,
}

/// The transcript skeleton for a plan: everything but the events.
pub fn empty_transcript(plan: &Plan, mode: NetMode, interface: &str) -> Transcript {
    let mut t = Transcript::begin(
        LessonInfo {
            name: plan.name.clone(),
            title: plan.title.clone(),
            summary: plan.summary.clone(),
            intro: plan.intro.clone(),
            outro: plan.outro.clone(),
        },
        NetworkInfo {
            mode: mode.as_str().to_string(),
            interface: interface.to_string(),
            note: match mode {
                NetMode::Sandbox => crate::live::sandbox::NETWORK_NOTE.to_string(),
                NetMode::Host => "The machine's own network namespace: frames are read from its `lo`, beside whatever else uses it. Only frames between the lesson's own sockets are kept (a kernel filter passes only frames on the lesson's ports; those that still belong to other programs are counted, never shown), and each call may reach only a socket the lesson holds at that moment. `lo` has no network card, so every MAC address is 00:00:00:00:00:00.".to_string(),
            },
            left_out: (mode == NetMode::Host).then_some(0),
            link_type: None,
        },
    );
    t.actors = plan
        .actors
        .iter()
        .map(|a| ActorInfo {
            name: a.name.clone(),
            transport: a.transport.as_str().to_string(),
            address: a.addr.to_string(),
        })
        .collect();
    t.steps = plan
        .steps
        .iter()
        .map(|s| StepInfo {
            number: s.number,
            id: s.id.clone(),
            actor: plan.actors[s.actor].name.clone(),
            call: s.call.name().to_string(),
            say: s.say.clone(),
        })
        .collect();
    t
}

impl<'a> LiveRun<'a> {
    /// Start capturing; returns once the capture is provably listening.
    pub fn start(plan: &'a Plan, mode: NetMode) -> Result<LiveRun<'a>, Error> {
        let interface = "lo";
        let capture = Capture::start(interface, mode == NetMode::Host)?;
        let mut transcript = empty_transcript(plan, mode, interface);
        transcript.started_at_ns = capture::now_ns();
        let mut annotator = Annotator::new(plan, crate::annotate::KernelSettings::read());
        annotator.set_start(transcript.started_at_ns);
        Ok(LiveRun {
            runner: Runner::new(plan, capture, mode == NetMode::Host),
            annotator,
            next_step: 0,
            transcript,
            failure: None,
        })
    }

    pub fn plan(&self) -> &Plan {
        self.runner.plan()
    }

    pub fn transcript(&self) -> &Transcript {
        &self.transcript
    }

    /// Record a student's answer to the checkpoint on event `event_index`
    /// (step mode); whether it was right, None if that event has none.
    pub fn answer_checkpoint(&mut self, event_index: usize, given: &str) -> Option<bool> {
        self.transcript.answer_checkpoint(event_index, given)
    }

    /// The step that runs next (0-based), if any.
    pub fn upcoming(&self) -> Option<usize> {
        (self.failure.is_none() && self.next_step < self.plan().steps.len())
            .then_some(self.next_step)
    }

    /// Run the next step; returns its events (the call, then its frames).
    pub fn step(&mut self) -> Result<Vec<Event>, Error> {
        let Some(index) = self.upcoming() else {
            return Ok(Vec::new());
        };
        self.next_step += 1;
        let record = match self.runner.run_step(index) {
            Ok(record) => record,
            Err(e @ Error::Interrupted { .. }) => {
                // Stopped as the signal asked: not a failure of the lesson.
                self.transcript.dropped = self.runner.dropped();
                return Err(e);
            }
            Err(e) => {
                // The run stops here; the transcript says why, with the
                // kernel's true drop count.
                self.transcript.dropped = self.runner.dropped();
                if let Some(n) = &mut self.transcript.network.left_out {
                    *n = self.runner.left_out();
                }
                self.transcript.outcome = Outcome {
                    passed: false,
                    failure: Some(format!("the run stopped at step {}: {e}", index + 1)),
                };
                self.runner.abort_connections();
                return Err(e);
            }
        };
        self.annotator.learn_endpoints(&self.runner.endpoints());
        // The lesson's frames, each once (in `--net host` mode the capture
        // already left out other programs' frames, and counted them).
        let frames: Vec<&CapturedFrame> = record.frames.iter().collect();
        if let Some(n) = &mut self.transcript.network.left_out {
            *n = self.runner.left_out();
        }
        let (before, after): (Vec<&CapturedFrame>, Vec<&CapturedFrame>) = frames
            .into_iter()
            .partition(|f| f.timestamp_ns < record.call.start_ns);
        let mut events: Vec<Event> = before
            .iter()
            .map(|f| self.annotator.frame_before_call(record.call.step, f))
            .collect();
        events.push(self.annotator.call(&record.call));
        for frame in after {
            events.push(self.annotator.frame(record.call.step, frame));
        }
        self.annotator.finish_step(record.call.step, &mut events);
        self.transcript.events.extend(events.iter().cloned());
        self.transcript.dropped = self.runner.dropped();
        if let Some(f) = record.failure {
            self.transcript.outcome = Outcome {
                passed: false,
                failure: Some(f.to_string()),
            };
            self.runner.abort_connections();
            self.failure = Some(f);
        } else if self.next_step == self.plan().steps.len() {
            self.transcript.complete = true;
            self.transcript.outcome = Outcome {
                passed: true,
                failure: None,
            };
        }
        Ok(events)
    }

    /// The transcript so far, and the failure that stopped the lesson, if any.
    pub fn finish(mut self) -> (Transcript, Option<Error>) {
        self.transcript.comparison = crate::transcript::compare::compare(&self.transcript.events);
        (self.transcript, self.failure)
    }
}

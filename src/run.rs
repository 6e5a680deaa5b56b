//! A live run: exec → capture → dissect → annotate, one step at a time, so
//! the plain run and step mode drive the same machinery.

use crate::annotate::Annotator;
use crate::error::Error;
use crate::live::capture::{self, CapturedFrame};
use crate::live::exec::{CallRecord, Runner};
use crate::live::net::FrameSource;
use crate::live::sandbox::NetMode;
use crate::plan::{Call, LoopTurn, Plan};
use crate::timers::{self, CallSpan, Seg, Tracker};
use crate::transcript::{
    ActorInfo, Crossing, Event, EventKind, LessonInfo, LinkEndInfo, NetworkInfo, Outcome, StepInfo,
    TimerInfo, Transcript,
};
use crate::wire::Network;
use std::time::{Duration, Instant};

pub struct LiveRun<'a> {
    runner: Runner<'a>,
    annotator: Annotator<'a>,
    next_step: usize,
    transcript: Transcript,
    failure: Option<Error>,
    /// Which frames the kernel's timers sent, and what is still owed.
    timers: Tracker,
    /// The loop whose `until` was met, ending with its iteration.
    loop_ending: Option<usize>,
    /// Names for sockets no actor's steps hold (a traced program's),
    /// asked for after each call, before its frames are annotated.
    namer: Option<Namer<'a>>,
}

/// Gives `(address, actor name)` pairs learnt since it was last asked,
/// told the peers the step's call met that no actor is known to hold.
pub type Namer<'a> =
    Box<dyn FnMut(&[std::net::SocketAddr]) -> Vec<(std::net::SocketAddr, String)> + 'a>;

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
            links: Vec::new(),
            ends: Vec::new(),
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
            host: a
                .host
                .zip(plan.network.as_ref())
                .and_then(|(h, n)| n.hosts.get(h))
                .map(|h| h.name.clone()),
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
            connection: s.conn.clone().filter(|c| !c.is_empty()),
        })
        .collect();
    t
}

impl<'a> LiveRun<'a> {
    /// Start capturing; returns once the capture is provably listening.
    pub fn start(plan: &'a Plan, mode: NetMode) -> Result<LiveRun<'a>, Error> {
        if mode == NetMode::Host && plan.network.is_some() {
            return Err(Error::Usage {
                message: format!(
                    "lesson `{}` has its own hosts and links, which exist only in the sandbox",
                    plan.name
                ),
                hint: "run it without `--net host`".into(),
            });
        }
        let source = FrameSource::start(plan, mode == NetMode::Host)?;
        let mut transcript = empty_transcript(plan, mode, source.interface());
        if let Some(network) = source.network() {
            describe_network(&mut transcript.network, network);
        }
        transcript.started_at_ns = capture::now_ns();
        let mut kernel = crate::annotate::KernelSettings::read();
        if let Some(network) = source.network() {
            for host in &network.hosts {
                for i in &host.interfaces {
                    let read = host.run(|| {
                        Ok(crate::annotate::KernelSettings::read_base_reachable_ms(
                            &i.name,
                        ))
                    });
                    if let Ok(Some(ms)) = read {
                        kernel
                            .base_reachable_ms
                            .push((host.name.clone(), i.name.clone(), ms));
                    }
                }
            }
        }
        let mut annotator = Annotator::new(plan, kernel);
        annotator.set_start(transcript.started_at_ns);
        Ok(LiveRun {
            runner: Runner::new(plan, source, mode == NetMode::Host),
            annotator,
            next_step: 0,
            transcript,
            failure: None,
            timers: Tracker::default(),
            loop_ending: None,
            namer: None,
        })
    }

    /// The open namespace file of the lesson's host `host` (a program actor
    /// runs there).
    pub fn host_netns(&self, host: usize) -> Option<std::os::fd::RawFd> {
        self.runner.host_netns(host)
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
        let mut record = record;
        if let Some(end) = self.loop_turn(index, &mut record.call) {
            // The iterations `until` cut off never run (the transcript
            // still lists them as planned, with no events).
            self.next_step = end;
        }
        self.annotator.learn_endpoints(&self.runner.endpoints());
        // Only a peer something came from: someone holds it.
        let heard = record.call.ok && matches!(record.call.call, "recv" | "recvfrom" | "accept");
        let unknown: Vec<std::net::SocketAddr> = record
            .call
            .peer
            .filter(|p| heard && !self.annotator.knows(*p))
            .into_iter()
            .collect();
        self.learn_names(&unknown);
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
            .map(|f| {
                let e = self.annotator.frame_before_call(record.call.step, f);
                with_crossing(e, f, &self.transcript.network)
            })
            .collect();
        events.push(self.annotator.call(&record.call));
        for frame in after {
            events.push(self.frame_event(record.call.step, frame));
        }
        self.annotator.finish_step(record.call.step, &mut events);
        for e in &mut events {
            self.track(e, Some(&record.call));
        }
        self.followed(&mut events);
        // The run ends here: first the frames the kernel still owes.
        if record.failure.is_some() || self.next_step == self.plan().steps.len() {
            self.settle(record.call.step, &mut events)?;
        }
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

    /// What step `index`'s call did to its loop, from the data it really
    /// moved: the call's result says when `until` is met; returns where the
    /// run goes on when the loop ends here.
    fn loop_turn(&mut self, index: usize, call: &mut CallRecord) -> Option<usize> {
        let step = &self.runner.plan().steps[index];
        let mark = step.looping.clone()?;
        let read = matches!(step.call, Call::Recv { .. } | Call::RecvFrom { .. });
        match mark.turn(call.ok, read, call.data.as_deref()) {
            LoopTurn::EndsNow => {
                call.result
                    .push_str("; `until: eof` is met: the loop ends here");
                self.loop_ending = None;
                return Some(mark.end);
            }
            LoopTurn::EndsAfterIteration if !mark.last_in_iteration => {
                call.result.push_str(&format!(
                    "; `until` is met: the loop ends after this iteration ({})",
                    mark.iteration
                ));
                self.loop_ending = Some(mark.id);
            }
            LoopTurn::EndsAfterIteration => {
                call.result.push_str("; `until` is met: the loop ends here");
                self.loop_ending = Some(mark.id);
            }
            LoopTurn::Continue => {}
        }
        (self.loop_ending == Some(mark.id) && mark.last_in_iteration).then(|| {
            self.loop_ending = None;
            mark.end
        })
    }

    /// Name the sockets of actors that make their own calls (a traced
    /// program): `namer` says who holds which address.
    pub fn set_namer(&mut self, namer: Namer<'a>) {
        self.namer = Some(namer);
    }

    /// `unknown`: the peers this step's call met that no actor of the
    /// lesson is known to hold.
    fn learn_names(&mut self, unknown: &[std::net::SocketAddr]) {
        if let Some(namer) = &mut self.namer {
            for (addr, name) in namer(unknown) {
                self.annotator.name_endpoint(addr, &name);
            }
        }
    }

    /// Add an event made outside the lesson's steps (a traced program's
    /// call): `make` gets its index and its time since the start, in the
    /// run's one sequence.
    pub fn add_event(&mut self, ts: u64, make: impl FnOnce(usize, u64) -> Event) -> Event {
        let (index, time_ns) = self.annotator.reserve(ts);
        let e = make(index, time_ns);
        self.transcript.events.push(e.clone());
        e
    }

    /// After the last step ran (or the run stopped): the frames that came
    /// since — a traced program's, as it finished — as the last step's,
    /// then those the kernel still owes. They join the transcript.
    pub fn tail(&mut self) -> Result<Vec<Event>, Error> {
        let Some(step) = self
            .next_step
            .checked_sub(1)
            .map(|i| self.plan().steps[i].number)
        else {
            return Ok(Vec::new());
        };
        self.learn_names(&[]);
        let frames = self.runner.drain_now()?;
        let mut events = Vec::new();
        for f in &frames {
            let mut e = self.frame_event(step, f);
            self.track(&mut e, None);
            events.push(e);
        }
        self.settle(step, &mut events)?;
        self.transcript.events.extend(events.iter().cloned());
        self.transcript.dropped = self.runner.dropped();
        Ok(events)
    }

    /// A frame's event at `step`, with the link it crossed (a lesson with
    /// hosts).
    fn frame_event(&mut self, step: usize, frame: &CapturedFrame) -> Event {
        let e = self.annotator.frame(step, frame);
        with_crossing(e, frame, &self.transcript.network)
    }

    /// Feed one event to the timer analysis; a frame a timer sent says so.
    fn track(&mut self, e: &mut Event, call: Option<&CallRecord>) {
        if e.kind == EventKind::Call {
            // A sleep makes no call: frames during it are the timers'.
            let Some(call) = call.filter(|c| c.call != "sleep") else {
                return;
            };
            // A background sendall runs on after its step: data its
            // thread sends later is still that call's, not held back.
            let background = self
                .plan()
                .steps
                .get(call.step.wrapping_sub(1))
                .is_some_and(|s| s.background);
            self.timers.call(CallSpan {
                index: e.index,
                actor: e.actor.clone(),
                start_ns: call.start_ns,
                end_ns: if background { u64::MAX } else { call.end_ns },
                closes: matches!(call.call, "close" | "shutdown"),
                sends: matches!(call.call, "send" | "sendall"),
            });
            return;
        }
        track_frame(&mut self.timers, e, &self.transcript.network);
    }

    /// Each data segment or FIN of the step says what followed it in the
    /// step: the frame that acknowledged it, or that none has yet.
    fn followed(&self, events: &mut [Event]) {
        let indices: Vec<usize> = events.iter().map(|e| e.index).collect();
        for e in events.iter_mut() {
            let Some(tcp) = &e.tcp else { continue };
            let fin = tcp.flags.iter().any(|f| f == "FIN");
            let syn_or_rst = tcp.flags.iter().any(|f| f == "SYN" || f == "RST");
            if (tcp.len == 0 && !fin) || syn_or_rst {
                continue;
            }
            let acked = self.timers.acked_by(e.index);
            let in_step = acked.is_some_and(|a| indices.contains(&a.by));
            let to = e.to.clone().unwrap_or_else(|| "kernel".into());
            e.notes.timing = format!(
                "{} {}",
                e.notes.timing,
                timers::explain_followed(acked, in_step, &to)
            );
        }
    }

    /// Before the run ends, wait for the frames still owed (an ACK held by
    /// a delayed-ACK timer, data or a FIN not yet acknowledged) — bounded by
    /// the kernel's own limits: the delayed-ACK maximum (200 ms) or the
    /// sockets' current retransmission timeout, whichever is longer. A run
    /// that owes nothing does not wait at all.
    fn settle(&mut self, step: usize, events: &mut Vec<Event>) -> Result<(), Error> {
        if self.timers.owed().is_empty() {
            return Ok(());
        }
        let bound = Duration::from_nanos(timers::DELACK_MAX_NS).max(self.runner.max_rto())
            + Duration::from_millis(5);
        let deadline = Instant::now() + bound;
        while !self.timers.owed().is_empty() {
            let frames = self.runner.frames_until(deadline)?;
            if frames.is_empty() {
                break;
            }
            for f in &frames {
                let mut e = self.frame_event(step, f);
                self.track(&mut e, None);
                events.push(e);
            }
        }
        Ok(())
    }

    /// The transcript so far, and the failure that stopped the lesson, if any.
    pub fn finish(mut self) -> (Transcript, Option<Error>) {
        self.transcript.say_held_back(self.runner.held_back());
        self.transcript.comparison = crate::transcript::compare::compare(&self.transcript.events);
        (self.transcript, self.failure)
    }
}

/// What the timer analysis says of a frame, in its notes: the timer that
/// sent it, what held it back after its call, or the duplicate ACK it is.
/// Returns whether the analysis explained it (then no call sent it).
pub(crate) fn track_frame(timers: &mut Tracker, e: &mut Event, network: &NetworkInfo) -> bool {
    let d = crate::dissect::dissect(&e.bytes());
    let Some(seg) = Seg::from_dissection(e.index, e.timestamp_ns, &e.actor, &d) else {
        return false;
    };
    // Across a lesson's wire it reached its receiver later than it left,
    // or never.
    let seg = match &e.crossing {
        Some(c) => match c.transit_ns {
            Some(transit) => seg.arriving_at(e.timestamp_ns.saturating_add(transit)),
            None => seg.lost(),
        },
        None => seg,
    };
    if forwarded(e, network) {
        timers.forwarded(&seg);
        return false;
    }
    let verdict = timers.frame(&seg);
    if let Some(held) = verdict.held {
        // Its call had returned: what let it go replaces "caused by step N".
        e.notes.timing = format!(
            "{} It left at {} since the lesson began.",
            timers::explain_held(&held, &e.actor),
            crate::annotate::fmt_ns(e.time_ns)
        );
    }
    if let Some(dup) = verdict.dup_ack
        && let Some(tcp) = &e.tcp
    {
        let to = e.to.clone().unwrap_or_else(|| "kernel".into());
        let (what, next) = timers::explain_dup_ack(&dup, tcp.ack_rel, &e.actor, &to);
        e.notes.semantics = format!("{what} {}", e.notes.semantics);
        e.notes.timing = format!(
            "{next} It left at {} since the lesson began.",
            crate::annotate::fmt_ns(e.time_ns)
        );
    }
    if let Some(cause) = verdict.timer {
        // No call caused it: the timer's account replaces "caused by step N".
        e.notes.timing = format!(
            "{} It left at {} since the lesson began.",
            timers::explain(&cause, &e.actor),
            crate::annotate::fmt_ns(e.time_ns)
        );
        e.timer = Some(TimerInfo {
            kind: cause.timer.as_str().to_string(),
            armed_by: cause.armed_by,
            delay_ns: cause.delay_ns,
        });
    }
    verdict.timer.is_some() || verdict.held.is_some() || verdict.dup_ack.is_some()
}

/// A packet a router passed on: its IP source is no address of the host
/// that put it on this link (a host may answer from the address of another
/// of its interfaces).
fn forwarded(e: &Event, network: &NetworkInfo) -> bool {
    let (Some(c), Some(ip)) = (&e.crossing, &e.ip) else {
        return false;
    };
    let Some(host) = network.ends.get(c.from_end).map(|end| &end.host) else {
        return false;
    };
    !network
        .ends
        .iter()
        .filter(|end| &end.host == host)
        .flat_map(|end| &end.addresses)
        .any(|a| a.split('/').next() == Some(ip.src.as_str()))
}

/// The lesson's own network, as the transcript tells it.
pub(crate) fn describe_network(info: &mut NetworkInfo, network: &Network) {
    info.links = network.links.clone();
    info.ends = network
        .ends
        .iter()
        .map(|e| {
            let host = &network.hosts[e.host];
            let iface = &host.interfaces[e.interface];
            LinkEndInfo {
                host: host.name.clone(),
                interface: iface.name.clone(),
                link: network.links[e.link].clone(),
                mac: iface.mac.to_string(),
                mtu: iface.mtu,
                addresses: iface.addresses.iter().map(|a| a.to_string()).collect(),
            }
        })
        .collect();
    info.note = format!(
        "The lesson's own network, private to this run: {} host(s), each a network namespace with real Ethernet interfaces, joined by {} link(s) that netcourse carries itself. Every frame is seen once, on the link it crossed, at the time it reached the wire; nothing leaves the machine.",
        network.hosts.len(),
        network.links.len()
    );
}

/// A frame's event, with the link it crossed and what the wire did to it.
pub(crate) fn with_crossing(
    mut event: Event,
    frame: &CapturedFrame,
    network: &NetworkInfo,
) -> Event {
    let Some(c) = &frame.crossing else {
        return event;
    };
    if let Some(note) = &c.note {
        let reached = if c.to_ends.is_empty() {
            " It never reached the other end of the link.".to_string()
        } else {
            String::new()
        };
        event.notes.semantics = format!(
            "{} The wire (as the lesson asked): {note}.{reached}",
            event.notes.semantics
        )
        .trim()
        .to_string();
    }
    event.crossing = Some(Crossing {
        link: network.links.get(c.link).cloned().unwrap_or_default(),
        from_end: c.from_end,
        to_ends: c.to_ends.clone(),
        wire: c.note.clone(),
        transit_ns: c
            .delivered_ns
            .map(|at| at.saturating_sub(frame.timestamp_ns)),
    });
    // Which link, like a capture's interface column.
    event.summary = format!(
        "[{}] {}",
        network.links.get(c.link).map_or("?", |l| l.as_str()),
        event.summary
    );
    event
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::{Crossing, LinkEndInfo, Pair};

    fn network() -> NetworkInfo {
        let end = |host: &str, interface: &str, link: &str, address: &str| LinkEndInfo {
            host: host.into(),
            interface: interface.into(),
            link: link.into(),
            mac: String::new(),
            mtu: 1500,
            addresses: vec![address.into()],
        };
        NetworkInfo {
            mode: "sandbox".into(),
            interface: "wire".into(),
            note: String::new(),
            left_out: None,
            links: vec!["left".into(), "right".into()],
            ends: vec![
                end("alice", "eth0", "left", "10.0.1.1/24"),
                end("router", "eth0", "left", "10.0.1.254/24"),
                end("router", "eth1", "right", "10.0.2.254/24"),
                end("bob", "eth0", "right", "10.0.2.1/24"),
            ],
            link_type: None,
        }
    }

    fn frame(from_end: usize, src: &str) -> Event {
        let mut e = Event::new(1, EventKind::Frame, 1, "x".into(), 0, 0);
        e.crossing = Some(Crossing {
            link: String::new(),
            from_end,
            to_ends: Vec::new(),
            wire: None,
            transit_ns: None,
        });
        e.ip = Some(Pair {
            src: src.into(),
            dst: "10.0.2.1".into(),
        });
        e
    }

    #[test]
    fn a_packet_is_forwarded_when_its_source_is_no_address_of_the_sending_host() {
        let net = network();
        assert!(!forwarded(&frame(0, "10.0.1.1"), &net));
        // alice's packet, put on the right link by the router.
        assert!(forwarded(&frame(2, "10.0.1.1"), &net));
        // The router's own, from the address of its other interface.
        assert!(!forwarded(&frame(2, "10.0.1.254"), &net));
    }
}

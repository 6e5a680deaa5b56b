//! Turn calls and dissected frames into transcript events with the three
//! protocol elements: syntax (format and actual values), semantics (what it
//! means here and what it causes) and timing (when, after what, what follows).
//!
//! The annotator is fed events in order and keeps the little history that
//! explanations need: which socket belongs to which actor, and the state of
//! each TCP connection.

mod app;
/// The step number of `actor`'s background sendall still running at
/// `step`: started before it, and not yet waited for by a later step of
/// the same actor (that step waits at its start, so it still counts).
fn background_running(plan: &Plan, step: usize, actor: &str) -> Option<usize> {
    let b = plan
        .steps
        .iter()
        .rev()
        .filter(|s| s.number < step && s.background)
        .find(|s| plan.actors[s.actor].name == actor)?;
    let joined = plan
        .steps
        .iter()
        .find(|s| s.number > b.number && s.actor == b.actor)
        .map_or(usize::MAX, |s| s.number);
    (step <= joined).then_some(b.number)
}

/// Most bytes of a call's data kept in its event (`data_hex`): a `recv` or
/// `sendall` may move a megabyte.
pub const MAX_CALL_DATA_HEX: usize = 64 * 1024;
mod catalog;
mod kernel;
mod neighbour;
mod notes;
pub mod rules;
pub mod tcp;

pub use kernel::KernelSettings;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;

use crate::dissect::{self, Dissection, LayerKind};
use crate::live::capture::CapturedFrame;
use crate::live::exec::CallRecord;
use crate::plan::{Call, Plan, Transport};
use crate::recent::Recent;
use crate::sockets::{Accepted, Closed, ConnName, Connections};
use crate::text::spare_copy;
use crate::transcript::{CallDetail, Event, EventKind, Notes, Pair, to_hex};

pub struct Annotator<'a> {
    plan: &'a Plan,
    start_ns: Option<u64>,
    prev: Option<(usize, u64)>,
    next_index: usize,
    /// Socket addresses seen so far and their owners; never forgotten, so
    /// frames after a close are still attributed.
    endpoints: HashMap<SocketAddr, String>,
    tcp: tcp::Tracker,
    /// The last UDP datagram per (src, dst), for linking ICMP errors to it.
    udp_last: Recent<(SocketAddr, SocketAddr), usize>,
    /// Per step: whether its frames have a call event to follow.
    last_call: Option<usize>,
    /// Frames seen per step.
    frames_in_step: HashMap<usize, usize>,
    /// The frame whose notes explained loopback's quirks in full.
    loopback_explained_at: Option<usize>,
    /// IP versions whose network layer a frame has explained: 4 and/or 6.
    network_explained: Vec<u8>,
    /// Each built-in call explanation already shown, and the event that
    /// showed it: a repeat points back instead of saying it again.
    call_explained_at: HashMap<String, usize>,
    /// The kernel settings the notes quote, read before the run began.
    kernel: KernelSettings,
    /// The application layer: streams, requests waiting for answers.
    app: app::AppTracker,
    /// With no plan (`explain`): an address no one claimed is named by itself.
    name_by_address: bool,
    /// Per actor, the peers of the connections `accept` gave it, walked
    /// through the socket model as `exec` walked the real sockets.
    connections: Vec<Connections<Option<SocketAddr>>>,
    /// Frames' events are only printed at brief or normal detail, never
    /// kept: leave out what those never show (see `for_printing_only`).
    printing_only: bool,
}

/// The plan of a run that has no lesson (`explain`, `trace`): no actors,
/// no steps, no rules.
static NO_PLAN: Plan = Plan {
    name: String::new(),
    title: String::new(),
    summary: String::new(),
    intro: None,
    outro: None,
    actors: Vec::new(),
    steps: Vec::new(),
    rules: Vec::new(),
    network: None,
    wire_rules: Vec::new(),
    peer_names: Vec::new(),
};

impl<'a> Annotator<'a> {
    pub fn new(plan: &'a Plan, kernel: KernelSettings) -> Annotator<'a> {
        Annotator {
            plan,
            start_ns: None,
            prev: None,
            next_index: 1,
            endpoints: HashMap::new(),
            tcp: tcp::Tracker::default(),
            udp_last: Recent::default(),
            last_call: None,
            frames_in_step: HashMap::new(),
            loopback_explained_at: None,
            network_explained: Vec::new(),
            call_explained_at: HashMap::new(),
            kernel,
            app: app::AppTracker::default(),
            name_by_address: false,
            connections: plan.actors.iter().map(|_| Connections::default()).collect(),
            printing_only: false,
        }
    }

    /// Frame events without the syntax note and the frame's bytes
    /// (`data_hex`): for events printed at brief or normal detail and then
    /// dropped, as `explain` without exports does. Those levels show a
    /// frame's fields from its layers, never the note or the bytes, and
    /// writing both took about a fifth of explain's time.
    pub fn for_printing_only(mut self) -> Self {
        self.printing_only = true;
        self
    }

    /// What the socket model says this call did to the actor's connections:
    /// for an `accept`, whether it dropped the one the actor held (and
    /// that one's peer), unless that connection had already been reset —
    /// then dropping it sends nothing to explain.
    fn hold(
        &mut self,
        rec: &CallRecord,
        call: &Call,
        transport: Transport,
    ) -> Option<Accepted<SocketAddr>> {
        let held = &mut self.connections[rec.actor];
        let name = ConnName::of(
            self.plan
                .steps
                .get(rec.step.wrapping_sub(1))
                .and_then(|s| s.conn.as_deref())
                .unwrap_or(""),
        );
        match call {
            Call::Accept if rec.ok => match held.accept(name, rec.peer) {
                Accepted::Replaced(Some(old))
                    if rec.local.and_then(|l| self.tcp.state_at(l, Some(old)))
                        != Some(tcp::State::Closed) =>
                {
                    Some(Accepted::Replaced(old))
                }
                _ => Some(Accepted::Added),
            },
            Call::Close { listener }
                if rec.ok
                    && crate::sockets::close_takes(
                        Some(transport),
                        *listener,
                        held.get(&name).is_some(),
                    ) == Closed::Connection =>
            {
                held.take(&name);
                None
            }
            _ => None,
        }
    }

    /// Frames with no lesson behind them (a capture file, a traced
    /// program): events have step 0 unless the caller says otherwise, and
    /// names come from `name_endpoint`, else from the address itself when
    /// `name_by_address`, else `kernel`.
    pub fn without_plan(name_by_address: bool) -> Annotator<'static> {
        // Nothing ran here: no kernel setting is known, and none is quoted.
        let mut a = Annotator::new(&NO_PLAN, KernelSettings::default());
        a.name_by_address = name_by_address;
        a
    }

    /// Number an event made outside the annotator (a traced call, a
    /// printed line) in the same sequence as the frames: its index and its
    /// time since the start.
    pub fn reserve(&mut self, ts: u64) -> (usize, u64) {
        let (t, _) = self.timing_prefix(ts);
        (self.push_common(ts), t)
    }

    /// Say who owns a socket address (a traced process).
    pub fn name_endpoint(&mut self, addr: SocketAddr, name: &str) {
        self.endpoints.insert(addr, name.to_string());
    }

    /// Who frames from or to this socket address are said to be.
    pub fn endpoint_name(&self, addr: SocketAddr) -> Option<String> {
        self.owner(&addr.ip().to_string(), addr.port())
    }

    /// Whether it knows who holds this socket address.
    pub fn knows(&self, addr: SocketAddr) -> bool {
        self.owner(&addr.ip().to_string(), addr.port()).is_some()
    }

    pub fn set_start(&mut self, ns: u64) {
        self.start_ns.get_or_insert(ns);
    }

    /// Learn who owns which socket address (called after every step).
    pub fn learn_endpoints(&mut self, endpoints: &[(SocketAddr, usize)]) {
        for (addr, actor) in endpoints {
            self.endpoints
                .insert(*addr, self.plan.actors[*actor].name.clone());
        }
    }

    /// Whose socket has this address. A socket that never bound reports the
    /// wildcard address (0.0.0.0 or ::) with its port.
    fn owner(&self, ip: &str, port: u16) -> Option<String> {
        let ip: std::net::IpAddr = ip.parse().ok()?;
        let wildcard: std::net::IpAddr = if ip.is_ipv4() {
            std::net::Ipv4Addr::UNSPECIFIED.into()
        } else {
            std::net::Ipv6Addr::UNSPECIFIED.into()
        };
        self.endpoints
            .get(&SocketAddr::new(ip, port))
            .or_else(|| self.endpoints.get(&SocketAddr::new(wildcard, port)))
            .cloned()
            .or_else(|| {
                self.name_by_address.then(|| {
                    let mut s = crate::text::spare(21);
                    crate::text::push_socket_addr(&mut s, SocketAddr::new(ip, port));
                    s
                })
            })
    }

    fn timing_prefix(&mut self, ts: u64) -> (u64, String) {
        let start = *self.start_ns.get_or_insert(ts);
        let t = ts.saturating_sub(start);
        let text = match self.prev {
            Some((i, prev_ts)) if ts < prev_ts => {
                catalog::timing::before(&fmt_ns(t), &fmt_ns(prev_ts - ts), &i)
            }
            Some((i, prev_ts)) => catalog::timing::after(&fmt_ns(t), &fmt_ns(ts - prev_ts), &i),
            None => catalog::timing::first(&fmt_ns(t)),
        };
        (t, text)
    }

    fn push_common(&mut self, ts: u64) -> usize {
        let index = self.next_index;
        self.next_index += 1;
        self.prev = Some((index, ts));
        index
    }

    /// The event for one socket call.
    pub fn call(&mut self, rec: &CallRecord) -> Event {
        let step = &self.plan.steps[rec.step - 1];
        let actor = self.plan.actors[rec.actor].name.clone();
        let (time_ns, when) = self.timing_prefix(rec.start_ns);
        let index = self.push_common(rec.start_ns);
        self.last_call = Some(index);
        self.tcp.set_unanswered_from(
            rec.local
                .filter(|_| matches!(step.call, Call::Connect { .. }) && rec.timed_out),
        );
        let transport = self.plan.actors[rec.actor].transport;
        let accepted = self.hold(rec, &step.call, transport);
        let listens = self
            .plan
            .steps
            .iter()
            .any(|s| s.actor == rec.actor && matches!(s.call, Call::Listen { .. }));
        let ctx = notes::CallContext {
            tcp_state: rec.local.and_then(|l| self.tcp.state_at(l, rec.peer)),
            closes_listener: matches!(step.call, Call::Close { listener: true })
                || (matches!(step.call, Call::Close { .. })
                    && rec.peer.is_none()
                    && listens
                    && rec.local.and_then(|l| self.tcp.state_at(l, rec.peer))
                        != Some(tcp::State::Closed)),
            kernel: &self.kernel,
            accepted,
        };
        let built_in = notes::call_notes(rec, transport, &ctx, self.plan);
        // A pointer is only worth it in place of a paragraph.
        let explained = match self.call_explained_at.get(&built_in.semantics) {
            Some(first) if built_in.semantics.len() > 120 => {
                catalog::call::explained_before(&rec.call, first)
            }
            Some(_) => built_in.semantics,
            None => {
                self.call_explained_at
                    .insert(built_in.semantics.clone(), index);
                built_in.semantics
            }
        };
        let semantics = match &step.say {
            Some(say) => format!("{say}\n\n{explained}"),
            None => explained,
        };
        let took = rec.end_ns.saturating_sub(rec.start_ns);
        let timing = catalog::timing::call(
            &rec.step,
            &self.plan.steps.len(),
            &when,
            &fmt_ns(took),
            &built_in.timing,
        );
        let mut event = Event {
            summary: format!("{actor}: {} → {}", rec.args, rec.result),
            notes: Notes {
                syntax: built_in.syntax,
                semantics,
                timing,
            },
            call: Some(CallDetail {
                name: rec.call.to_string(),
                args: rec.args.clone(),
                ok: rec.ok,
                result: rec.result.clone(),
                local: rec.local.map(|a| a.to_string()),
                peer: rec.peer.map(|a| a.to_string()),
                // A megabyte's hex would be one string larger than replay
                // reads; `result` says how many bytes there were in all.
                data_hex: rec
                    .data
                    .as_ref()
                    .map(|d| to_hex(&d[..d.len().min(MAX_CALL_DATA_HEX)])),
            }),
            crossing: None,
            timer: None,
            ..Event::new(
                index,
                EventKind::Call,
                rec.step,
                actor.clone(),
                time_ns,
                rec.start_ns,
            )
        };
        event.checkpoint = rules::checkpoint_on_call(self.plan, &event, rec);
        event
    }

    /// After a step's events are built: a checkpoint about a frame the step
    /// never caused is shown on its call, saying so.
    pub fn finish_step(&self, step: usize, events: &mut [Event]) {
        let frames = self.frames_in_step.get(&step).copied().unwrap_or(0);
        // A TCP send whose bytes did not leave in its step says so, instead
        // of promising the segment below.
        let caller = events
            .iter()
            .find(|e| e.kind == EventKind::Call)
            .map(|e| (e.actor.clone(), e.index));
        // Data sent before the call ran (a timer's, or released by an ACK)
        // is not the call's.
        let sent_data = events.iter().any(|e| {
            e.kind == EventKind::Frame
                && caller
                    .as_ref()
                    .is_some_and(|(actor, index)| &e.actor == actor && e.index > *index)
                && e.tcp.as_ref().is_some_and(|t| t.len > 0)
        });
        let sent_fin = events.iter().any(|e| {
            e.kind == EventKind::Frame
                && caller
                    .as_ref()
                    .is_some_and(|(actor, index)| &e.actor == actor && e.index > *index)
                && e.tcp
                    .as_ref()
                    .is_some_and(|t| t.flags.iter().any(|f| f == "FIN"))
        });
        if let Some(call) = events.iter_mut().find(|e| e.kind == EventKind::Call) {
            for (left, promise, held) in [
                (
                    sent_data,
                    catalog::call::send_tcp_timing(),
                    catalog::call::send_tcp_held(),
                ),
                (
                    sent_fin,
                    catalog::call::close_connected_timing(),
                    catalog::call::close_connected_held(),
                ),
            ] {
                if !left && let Some(rest) = call.notes.timing.strip_suffix(promise.as_str()) {
                    call.notes.timing = format!("{rest}{held}");
                }
            }
        }
        if events.iter().any(|e| e.checkpoint.is_some()) {
            return;
        }
        if let Some(call) = events.iter_mut().find(|e| e.kind == EventKind::Call) {
            call.checkpoint = rules::checkpoint_without_frame(self.plan, call, frames);
        }
    }

    /// A frame read at `step`'s drain but sent before its call ran: the
    /// kernel sent it on its own (a timer, or an ACK it had been holding).
    pub fn frame_before_call(&mut self, step: usize, frame: &CapturedFrame) -> Event {
        let mut event = self.frame(step, frame);
        event.notes.timing = catalog::timing::before_call(&step, &event.notes.timing);
        event
    }

    /// The event for one captured frame, caused by `step` (1-based).
    pub fn frame(&mut self, step: usize, frame: &CapturedFrame) -> Event {
        self.frame_dissected(step, frame, dissect::dissect(&frame.data))
    }

    /// `frame`, for a frame already dissected (another link type than
    /// Ethernet, read from a capture file).
    pub fn frame_dissected(
        &mut self,
        step: usize,
        frame: &CapturedFrame,
        mut d: Dissection,
    ) -> Event {
        self.frame_from(step, frame, &mut d, None)
    }

    /// `frame_dissected`, leaving in `d` what the event does not take (its
    /// layers it does), for the caller to free on the thread that
    /// dissected it; with the frame's `FrameText` if the caller wrote it.
    pub fn frame_from(
        &mut self,
        step: usize,
        frame: &CapturedFrame,
        d: &mut Dissection,
        text: Option<FrameText>,
    ) -> Event {
        let (time_ns, when) = self.timing_prefix(frame.timestamp_ns);
        let index = self.push_common(frame.timestamp_ns);
        *self.frames_in_step.entry(step).or_default() += 1;

        // A frame no socket of the lesson sent, or none receives, is the
        // kernel's.
        let from = match (&d.ip_src, d.src_port()) {
            (Some(ip), Some(port)) => self.owner(ip, port),
            _ => None,
        };
        let from_known = from.is_some();
        let from = from.unwrap_or_else(|| "kernel".to_string());
        let mut to = match (&d.ip_dst, d.dst_port()) {
            (Some(ip), Some(port)) => self.owner(ip, port),
            _ => None,
        };
        // An ICMP error goes to whoever sent the datagram it quotes.
        if let Some(q) = d.icmp.as_ref().and_then(|i| i.quoted.as_ref())
            && let Some(p) = q.src_port
        {
            to = self.owner(&q.src_ip, p);
        }
        let to_known = to.is_some();
        let to = to.unwrap_or_else(|| "kernel".to_string());

        let carries_data = d.tcp.as_ref().is_some_and(|t| t.payload_len > 0);
        let cause = match self.plan.steps.get(step.wrapping_sub(1)) {
            Some(s) => match background_running(self.plan, step, &from).filter(|_| carries_data) {
                Some(b) => catalog::timing::cause_background(
                    &from,
                    &b,
                    &step,
                    &self.plan.actors[s.actor].name,
                    &s.call.name(),
                ),
                None => {
                    catalog::timing::cause(&step, &self.plan.actors[s.actor].name, &s.call.name())
                }
            },
            None => String::new(),
        };

        let mut follows = None;
        let observation = d.tcp.as_ref().and_then(|t| {
            let src = tcp::End {
                addr: sock(&d.ip_src, t.src_port)?,
                name: &from,
                known: from_known,
            };
            let dst = tcp::End {
                addr: sock(&d.ip_dst, t.dst_port)?,
                name: &to,
                known: to_known,
            };
            Some(self.tcp.observe(index, frame.timestamp_ns, src, dst, t))
        });
        if let Some(o) = &observation {
            follows = o.answers;
        }
        if let (Some(u), Some(src), Some(dst)) = (&d.udp, d.ip_src.as_ref(), d.ip_dst.as_ref())
            && let (Some(s), Some(t)) = (
                sock(&Some(src.clone()), u.src_port),
                sock(&Some(dst.clone()), u.dst_port),
            )
        {
            self.udp_last.insert((s, t), index);
        }
        if let Some(q) = d.icmp.as_ref().and_then(|i| i.quoted.as_ref())
            && let (Some(s), Some(t)) = (
                q.src_port.and_then(|p| sock(&Some(q.src_ip.clone()), p)),
                q.dst_port.and_then(|p| sock(&Some(q.dst_ip.clone()), p)),
            )
        {
            follows = self.udp_last.peek(&(s, t)).copied();
        }
        let follows = follows.or(self.last_call);

        let app = self.app.frame(&app::FrameIn {
            d,
            frame: &frame.data,
            index,
            ts: frame.timestamp_ns,
            from: &from,
            to: &to,
            plan: self.plan,
        });
        // The application layer's own syntax lines stand for the payload's.
        let d_notes;
        let d_for_notes = match &app {
            Some(a) if !a.layers.is_empty() => {
                let mut c = d.clone();
                c.layers.retain(|l| l.protocol != "Payload");
                d_notes = c;
                &d_notes
            }
            _ => d,
        };
        // The payload as Python shows it is in the notes and on the event.
        let FrameText {
            mut summary,
            payload,
        } = text.unwrap_or_else(|| FrameText::of(d, &frame.data));
        let ctx = notes::FrameContext {
            d: d_for_notes,
            frame: &frame.data,
            from: &from,
            to: &to,
            from_known,
            to_known,
            tcp: observation.as_ref(),
            follows,
            plan: self.plan,
            step,
            loopback_explained_at: self.loopback_explained_at,
            network_explained: ip_version(d).is_some_and(|v| self.network_explained.contains(&v)),
            first_in_step: self.frames_in_step.get(&step) == Some(&1),
            kernel: &self.kernel,
            syntax: !self.printing_only,
            payload: payload.as_deref(),
        };
        let mut n = notes::frame_notes(&ctx);
        let version = ip_version(d);
        let zero_macs = notes::zero_macs(d, &frame.data);
        let inner = main_layer(d);
        // Moved, not cloned: nothing below reads the dissection's layers.
        let mut layers = std::mem::take(&mut d.layers);
        let mut stopped = d.stopped.as_ref().map(ToString::to_string);
        let mut follows = follows;
        let mut reassembled = Vec::new();
        if let Some(a) = app {
            // The application layers take the place of the payload's.
            if !a.layers.is_empty()
                && let Some(at) = layers.iter().position(|l| l.protocol == "Payload")
            {
                layers.splice(at..=at, a.layers);
            }
            join_into(&mut n.syntax, &a.syntax, "\n");
            // What the message means comes first: it is what the frame is for.
            if !a.semantics.is_empty() {
                let transport = std::mem::take(&mut n.semantics);
                n.semantics = a.semantics.join(" ");
                join_into(&mut n.semantics, &[transport], "\n\n");
            }
            join_into(&mut n.timing, &a.timing, " ");
            if !a.summary.is_empty() {
                summary = a.summary.join(" · ");
            }
            stopped = stopped.or(a.stopped);
            follows = a.follows.or(follows);
            reassembled = a.reassembled;
        }
        if let Some(v) = version
            && !self.network_explained.contains(&v)
        {
            self.network_explained.push(v);
        }
        if self.loopback_explained_at.is_none() && zero_macs {
            self.loopback_explained_at = Some(index);
        }
        let timing = catalog::timing::frame(&capitalize(&n.timing_lead), &when, &cause, &n.timing);

        let layer = if layers
            .iter()
            .any(|l| l.layer == LayerKind::Application && l.protocol != "Payload")
        {
            LayerKind::Application
        } else {
            inner
        };
        let mut event = Event {
            index,
            kind: EventKind::Frame,
            step,
            actor: from,
            time_ns,
            timestamp_ns: frame.timestamp_ns,
            layer,
            summary,
            notes: Notes {
                syntax: n.syntax,
                semantics: n.semantics,
                timing,
            },
            from_lesson: Notes::default(),
            follows,
            call: None,
            to: Some(to),
            data_hex: (!self.printing_only).then(|| to_hex(&frame.data)),
            length: Some(frame.data.len()),
            mac: match (&d.mac_src, &d.mac_dst) {
                (Some(s), Some(t)) => Some(Pair {
                    src: spare_copy(s),
                    dst: spare_copy(t),
                }),
                _ => None,
            },
            ip: match (&d.ip_src, &d.ip_dst) {
                (Some(s), Some(t)) => Some(Pair {
                    src: spare_copy(s),
                    dst: spare_copy(t),
                }),
                _ => None,
            },
            port: match (d.src_port(), d.dst_port()) {
                (Some(s), Some(t)) => Some(Pair { src: s, dst: t }),
                _ => None,
            },
            payload,
            layers,
            stopped,
            tcp: observation.map(|o| o.view),
            timer: None,
            checkpoint: None,
            reassembled,
            crossing: None,
        };
        // The lesson's own rules and checkpoint, on top of the built-in notes.
        let nth = self.frames_in_step.get(&step).copied().unwrap_or(1);
        rules::apply(self.plan, &mut event, &frame.data, nth);
        event
    }
}

/// What a frame's event says that follows from its bytes and dissection
/// alone: its summary, and its payload as Python shows it. `explain` writes
/// it on the thread that dissects, beside the one that annotates.
pub struct FrameText {
    pub summary: String,
    pub payload: Option<String>,
}

impl FrameText {
    /// The texts of `d`, a dissection of `frame`, in strings from the
    /// thread's spares (see `text::keep`).
    pub fn of(d: &Dissection, frame: &[u8]) -> FrameText {
        let payload = d.payload.filter(|(_, len)| *len > 0).map(|(off, len)| {
            let data = frame.get(off..off + len).unwrap_or_default();
            let mut s = crate::text::spare(crate::text::py_bytes_len(data));
            crate::text::py_bytes_into(&mut s, data);
            s
        });
        FrameText {
            summary: d.summary(),
            payload,
        }
    }
}

/// Appends `more` to a note, each piece after `sep`.
fn join_into(note: &mut String, more: &[String], sep: &str) {
    for piece in more {
        if !note.is_empty() {
            note.push_str(sep);
        }
        note.push_str(piece);
    }
}

fn sock(ip: &Option<String>, port: u16) -> Option<SocketAddr> {
    Some(SocketAddr::new(ip.as_ref()?.parse().ok()?, port))
}

/// The layer a frame is mainly about: the innermost protocol header.
fn ip_version(d: &Dissection) -> Option<u8> {
    d.layers.iter().find_map(|l| match l.protocol.as_str() {
        "IPv4" => Some(4),
        "IPv6" => Some(6),
        _ => None,
    })
}

fn main_layer(d: &Dissection) -> LayerKind {
    if d.tcp.is_some() || d.udp.is_some() {
        LayerKind::Transport
    } else if d.icmp.is_some() || d.ip_src.is_some() {
        LayerKind::Network
    } else {
        LayerKind::Link
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// `0.183 ms`, `12 µs`, `1.204 s`.
pub fn fmt_ns(ns: u64) -> String {
    let (scale, decimals, unit) = if ns < 1_000 {
        (0, 0, " ns")
    } else if ns < 1_000_000 {
        (3, 1, " µs")
    } else if ns < 1_000_000_000 {
        (6, 3, " ms")
    } else {
        (9, 3, " s")
    };
    let mut s = String::with_capacity(16);
    // Two of these for every frame: in integers where that is exact.
    if !crate::text::push_fixed(&mut s, ns, scale, decimals) {
        let _ = write!(
            s,
            "{:.*}",
            decimals as usize,
            ns as f64 / 10f64.powi(scale as i32)
        );
    }
    s.push_str(unit);
    s
}

#[cfg(test)]
mod app_tests;
#[cfg(test)]
mod tests;

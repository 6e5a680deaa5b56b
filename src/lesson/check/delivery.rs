//! What each receiving step will get. Steps run one after another, so the
//! bytes and datagrams waiting for an actor at each step are known before
//! the run: an `expect` that the data the lesson sends can never meet is an
//! error here, not a failed run later.
//!
//! The model follows only what it is sure of. Where the kernel could do
//! something it does not follow (a reset, a small receive buffer, a full
//! backlog, a destination it cannot name) the actor's receives are left
//! unjudged; a lesson with its own network (routers, a wire that drops) is
//! left to the run.

use std::collections::VecDeque;

use super::*;
use crate::text::bytes_differ;

/// One send's bytes not yet read.
#[derive(Debug)]
struct Piece {
    data: Vec<u8>,
    step: usize,
    line: u64,
    /// Kept back by the sender's Nagle algorithm: an earlier send is not
    /// acknowledged yet (the receiver may be delaying its ACK).
    held: bool,
}

/// What one end of a connection has sent and the other not yet read.
#[derive(Debug, Default)]
struct Stream {
    pieces: VecDeque<Piece>,
    /// The sender shut down its sending side or closed: end of stream
    /// after the data.
    fin: Option<(usize, u64)>,
    sent_any: bool,
    /// Data went out that the receiver may not have acknowledged yet.
    unacked: bool,
    /// Sends that arrived: past a few, the receiver leaves quick-ACK mode.
    segments: usize,
}

impl Stream {
    fn len(&self) -> usize {
        self.pieces.iter().map(|p| p.data.len()).sum()
    }

    fn bytes(&self, held_too: bool) -> Vec<u8> {
        self.pieces
            .iter()
            .filter(|p| held_too || !p.held)
            .flat_map(|p| p.data.iter().copied())
            .collect()
    }

    /// Everything kept back goes out (an ACK came, or a FIN pushes it).
    fn release(&mut self) {
        for p in &mut self.pieces {
            p.held = false;
        }
    }

    /// Take `n` bytes from the front; the sends they came from.
    fn consume(&mut self, mut n: usize) -> Vec<(usize, u64)> {
        let mut from = Vec::new();
        while n > 0 {
            let Some(front) = self.pieces.front_mut() else {
                break;
            };
            from.push((front.step, front.line));
            let take = front.data.len().min(n);
            front.data.drain(..take);
            n -= take;
            if front.data.is_empty() {
                self.pieces.pop_front();
            }
        }
        from
    }
}

/// A TCP connection: `ends[0]` connected to `ends[1]`; `streams[i]` is what
/// `ends[i]` sends.
struct Conn {
    ends: [usize; 2],
    streams: [Stream; 2],
}

/// Segments a new connection's receiver acknowledges at once (quick-ACK
/// mode) before it may start delaying ACKs; Linux allows up to 16, fewer
/// on a small window.
const QUICK_ACKS: usize = 8;

struct Datagram {
    data: Vec<u8>,
    from: usize,
    step: usize,
    line: u64,
}

#[derive(Default)]
struct ActorState {
    /// Past what the model follows: its receives are not judged.
    unsure: bool,
    // UDP.
    /// Has an address: bound, or given an ephemeral port by a send.
    addressed: bool,
    /// Bound to its own address and port: datagrams to them reach it.
    bound: bool,
    closed: bool,
    peer: Option<usize>,
    queue: VecDeque<Datagram>,
    queued_bytes: usize,
    /// Datagrams sent to it before it had an address: dropped.
    lost: Vec<(usize, u64)>,
    last_from: Option<usize>,
    // TCP.
    listening: Option<(usize, u64, u32)>,
    pending: VecDeque<usize>,
    conn: Option<usize>,
    /// TCP_NODELAY: Nagle's algorithm keeps nothing back.
    nodelay: bool,
}

/// Datagrams (and their bookkeeping) a receive queue holds before the
/// model stops being sure none was dropped for want of buffer space.
const SURE_QUEUE_BYTES: usize = 64 * 1024;

/// Follow the plan's steps; the first receive whose `expect` cannot be met
/// is reported (the run would stop there, so later ones would not run).
pub(super) fn check_delivery(plan: &Plan, file: &LessonFile, problems: &mut Vec<Problem>) {
    if plan.network.is_some() || !plan.wire_rules.is_empty() {
        return;
    }
    // Named connections, answers computed at run time, saved peers and
    // loops the run may cut short are past what this model follows.
    let beyond = |s: &PlannedStep| {
        s.conn.as_deref().is_some_and(|c| !c.is_empty())
            || s.answer.is_some()
            || s.read_until.is_some()
            || s.background
            || s.save_as.is_some()
            || s.looping.is_some()
    };
    // A program's own calls are graded against what it did, not followed.
    if plan.steps.iter().any(beyond) || plan.actors.iter().any(|a| a.program.is_some()) {
        return;
    }
    let specs: HashMap<u64, &StepSpec> = file
        .steps
        .iter()
        .map(|s| (s.call.referenced.line(), s))
        .collect();
    let mut f = Flow {
        plan,
        actors: (0..plan.actors.len())
            .map(|_| ActorState::default())
            .collect(),
        conns: Vec::new(),
        astray: None,
    };
    for step in &plan.steps {
        let spec = specs.get(&step.line).copied();
        if let Some(p) = f.step(step, spec) {
            problems.push(p);
            return;
        }
    }
}

struct Flow<'a> {
    plan: &'a Plan,
    actors: Vec<ActorState>,
    conns: Vec<Conn>,
    /// The first datagram sent to an address no actor binds: (step,
    /// line, address).
    astray: Option<(usize, u64, String)>,
}

impl Flow<'_> {
    fn name(&self, a: usize) -> String {
        self.plan.actors[a].name.clone()
    }

    fn udp(&self, a: usize) -> bool {
        self.plan.actors[a].transport == Transport::Udp
    }

    /// The actor a destination names, when the model can tell.
    fn resolve(&self, from: usize, to: Peer) -> Option<usize> {
        match to {
            Peer::Actor(t) => Some(t),
            Peer::Reply => self.actors[from].last_from,
            Peer::Saved(_) => None,
            Peer::Addr(addr) => self.plan.actors.iter().position(|a| {
                a.addr.port() == addr.port()
                    && a.addr.port() != 0
                    && (a.addr.ip() == addr.ip() || a.addr.ip().is_unspecified())
            }),
        }
    }

    /// A datagram from `from` to actor `to`: to its own address and port,
    /// or (`reply`) to wherever its socket is.
    fn deliver(
        &mut self,
        from: usize,
        to: Option<usize>,
        reply: bool,
        data: &[u8],
        step: &PlannedStep,
    ) {
        let Some(t) = to else { return };
        // Two open sockets on one address and port (`reuseaddr`): the
        // kernel picks which one gets the datagram.
        let addr = self.plan.actors[t].addr;
        let sharing: Vec<usize> = (0..self.actors.len())
            .filter(|&o| {
                self.udp(o)
                    && self.plan.actors[o].addr == addr
                    && addr.port() != 0
                    && self.actors[o].bound
                    && !self.actors[o].closed
            })
            .collect();
        if sharing.len() > 1 {
            for o in sharing {
                self.actors[o].unsure = true;
            }
            return;
        }
        let peer = self.actors[t].peer;
        let st = &mut self.actors[t];
        if st.closed || peer.is_some_and(|p| p != from) {
            return;
        }
        if !(st.bound || reply && st.addressed) {
            st.lost.push((step.number, step.line));
            return;
        }
        st.queued_bytes += data.len() + 1024;
        if st.queued_bytes > SURE_QUEUE_BYTES {
            st.unsure = true;
        }
        st.queue.push_back(Datagram {
            data: data.to_vec(),
            from,
            step: step.number,
            line: step.line,
        });
    }

    /// Which stream of the actor's connection it reads, and which it sends.
    fn sides(&self, a: usize) -> Option<(usize, usize, usize)> {
        let c = self.actors[a].conn?;
        let me = if self.conns[c].ends[0] == a { 0 } else { 1 };
        Some((c, 1 - me, me))
    }

    /// A FIN goes out after the data, and pushes what Nagle kept back.
    fn fin(&mut self, a: usize, step: &PlannedStep) {
        if let Some((c, _, out)) = self.sides(a) {
            let s = &mut self.conns[c].streams[out];
            s.release();
            s.fin.get_or_insert((step.number, step.line));
        }
    }

    /// A data segment from `ends[out]`: kept back by Nagle while its
    /// earlier data may be unacknowledged; one that leaves carries the ACK
    /// of what the other end sent, which lets the other end's kept-back
    /// data go.
    fn send_stream(&mut self, a: usize, c: usize, out: usize, data: &[u8], step: &PlannedStep) {
        // Sending no bytes on a stream sends nothing.
        if data.is_empty() {
            return;
        }
        let nodelay = self.actors[a].nodelay;
        let conn = &mut self.conns[c];
        // The receiver delays ACKs once it answers (interactive) or has
        // left quick-ACK mode.
        let delays = conn.streams[1 - out].sent_any || conn.streams[out].segments >= QUICK_ACKS;
        let s = &mut conn.streams[out];
        let held = !nodelay && (s.unacked || s.pieces.iter().any(|p| p.held));
        s.pieces.push_back(Piece {
            data: data.to_vec(),
            step: step.number,
            line: step.line,
            held,
        });
        s.sent_any = true;
        if !held {
            s.segments += 1;
            s.unacked = delays;
            let back = &mut conn.streams[1 - out];
            back.unacked = false;
            if back.pieces.iter().any(|p| p.held) {
                back.release();
                back.segments += 1;
                back.unacked = true;
            }
        }
    }

    /// Closing with unread data, or a listener with connections waiting,
    /// sends RST: what the peer then reads is past this model.
    fn reset_peers(&mut self, conns: &[usize], a: usize) {
        for &c in conns {
            for end in self.conns[c].ends {
                if end != a {
                    self.actors[end].unsure = true;
                }
            }
        }
    }

    fn step(&mut self, step: &PlannedStep, spec: Option<&StepSpec>) -> Option<Problem> {
        let a = step.actor;
        let e = &step.expect;
        let at = |pick: fn(&ExpectSpec) -> Option<(u64, u64)>| -> (u64, u64) {
            spec.and_then(|s| s.expect.as_ref())
                .map(|x| pick(&x.value).unwrap_or((x.referenced.line(), x.referenced.column())))
                .unwrap_or((step.line, step.column))
        };
        let error_at = at(|x| x.error.as_ref().map(pos));
        let cannot = |error: ExpectedError, why: Never| {
            Some(Problem::at(
                Kind::ErrorCannotHappen {
                    error: error.as_str(),
                    why,
                },
                error_at.0,
                error_at.1,
            ))
        };
        let udp = self.udp(a);
        if udp && let Some(err @ ExpectedError::Reset) = e.error {
            return cannot(err, Never::UdpReset);
        }
        match &step.call {
            Call::Bind | Call::Listen { .. } | Call::SetOpt { .. } | Call::Sleep { .. } => {
                if let Some(err) = e.error {
                    return cannot(
                        err,
                        Never::CallNeverFails {
                            call: step.call.name(),
                        },
                    );
                }
                match &step.call {
                    Call::Bind => {
                        self.actors[a].addressed = true;
                        self.actors[a].bound = true;
                    }
                    Call::Listen { backlog } => {
                        self.actors[a].listening = Some((step.number, step.line, *backlog))
                    }
                    Call::SetOpt {
                        option: SockOpt::RcvBuf(_) | SockOpt::SndBuf(_),
                        ..
                    } => self.actors[a].unsure = true,
                    Call::SetOpt {
                        option: SockOpt::NoDelay,
                        value,
                    } => self.actors[a].nodelay = *value,
                    _ => {}
                }
            }
            Call::Accept => {
                if e.error.is_some() {
                    self.actors[a].unsure = true;
                    return None;
                }
                let Some(c) = self.actors[a].pending.pop_front() else {
                    self.actors[a].unsure = true;
                    return None;
                };
                // An actor holds one connection: the earlier one is closed
                // (RST when data is left unread in it).
                match self.sides(a) {
                    Some((old, inb, _)) if !self.conns[old].streams[inb].pieces.is_empty() => {
                        self.reset_peers(&[old], a)
                    }
                    _ => self.fin(a, step),
                }
                self.actors[a].conn = Some(c);
            }
            Call::Connect { to } => {
                let target = self.resolve(a, *to);
                self.actors[a].addressed = true;
                if udp {
                    match target {
                        Some(t) => self.actors[a].peer = Some(t),
                        None => self.actors[a].unsure = true,
                    }
                    return None;
                }
                let listening = target.and_then(|t| {
                    self.actors[t]
                        .listening
                        .map(|(number, line, backlog)| (t, number, line, backlog))
                });
                match (listening, e.error) {
                    (Some((t, number, line, _)), Some(err @ ExpectedError::Refused)) => {
                        return cannot(
                            err,
                            Never::Listening {
                                server: self.name(t),
                                step: number,
                                line,
                            },
                        );
                    }
                    (Some((t, _, _, backlog)), None) => {
                        let c = self.conns.len();
                        self.conns.push(Conn {
                            ends: [a, t],
                            streams: [Stream::default(), Stream::default()],
                        });
                        self.actors[t].pending.push_back(c);
                        // Linux queues backlog + 1; past that a SYN waits.
                        if self.actors[t].pending.len() > backlog as usize + 1 {
                            self.actors[a].unsure = true;
                            self.actors[t].unsure = true;
                        }
                        self.actors[a].conn = Some(c);
                    }
                    _ => self.actors[a].unsure = true,
                }
            }
            Call::Send { data, .. } => {
                if udp {
                    let peer = self.actors[a].peer;
                    self.deliver(a, peer, false, data, step);
                } else if let Some((c, _, out)) = self.sides(a) {
                    let peer = self.conns[c].ends[1 - out];
                    let peer_gone = self.actors[peer].conn != Some(c)
                        && !self.actors[peer].pending.contains(&c);
                    self.send_stream(a, c, out, data, step);
                    if peer_gone || self.conns[c].streams[out].len() > SURE_QUEUE_BYTES {
                        self.actors[peer].unsure = true;
                        self.actors[a].unsure = true;
                    }
                }
            }
            Call::SendTo { to, data } => {
                if let Some(err) = e.error
                    && self.actors[a].peer.is_none()
                {
                    return cannot(err, Never::SendtoUnconnected);
                }
                let target = self.resolve(a, *to);
                if let (None, Peer::Addr(addr)) = (target, to) {
                    self.astray
                        .get_or_insert((step.number, step.line, addr.to_string()));
                }
                self.actors[a].addressed = true;
                self.deliver(a, target, matches!(to, Peer::Reply), data, step);
            }
            Call::Recv { max } | Call::RecvFrom { max } => {
                if self.actors[a].unsure {
                    return None;
                }
                return if udp {
                    self.receive_datagram(step, spec, *max as usize)
                } else {
                    self.receive_stream(step, spec, *max as usize)
                };
            }
            Call::Shutdown { how } => {
                if matches!(how, ShutdownHow::Write | ShutdownHow::Both) {
                    self.fin(a, step);
                }
            }
            Call::Close { listener } => {
                if udp {
                    self.actors[a].closed = true;
                } else if let Some((c, inb, _)) = self.sides(a).filter(|_| !*listener) {
                    if self.conns[c].streams[inb].pieces.is_empty() {
                        self.fin(a, step);
                    } else {
                        self.reset_peers(&[c], a);
                    }
                    self.actors[a].conn = None;
                } else {
                    // The listening socket: connections still waiting in its
                    // queue are reset.
                    let waiting: Vec<usize> = self.actors[a].pending.drain(..).collect();
                    self.reset_peers(&waiting, a);
                    self.actors[a].listening = None;
                }
            }
        }
        None
    }

    fn receive_datagram(
        &mut self,
        step: &PlannedStep,
        spec: Option<&StepSpec>,
        max: usize,
    ) -> Option<Problem> {
        let a = step.actor;
        let e = &step.expect;
        let ex = spec.and_then(|s| s.expect.as_ref());
        let data_at = ex
            .and_then(|x| x.value.text.as_ref().or(x.value.hex.as_ref()).map(pos))
            .or(ex.map(pos))
            .unwrap_or((step.line, step.column));
        let error_at = ex
            .and_then(|x| x.value.error.as_ref().map(pos))
            .unwrap_or(data_at);
        let connected = self.actors[a].peer.is_some();
        let Some(d) = self.actors[a].queue.pop_front() else {
            return match e.error {
                Some(ExpectedError::Timeout) => None,
                // A connected socket hears of ICMP errors: past this model.
                Some(_) if connected => None,
                Some(err) => Some(Problem::at(
                    Kind::ErrorCannotHappen {
                        error: err.as_str(),
                        why: Never::UdpUnconnected,
                    },
                    error_at.0,
                    error_at.1,
                )),
                None => Some(Problem::at(
                    Kind::NothingArrives {
                        actor: self.name(a),
                        lost: self.actors[a].lost.first().copied(),
                        read_before: false,
                        astray: self.astray.clone(),
                    },
                    data_at.0,
                    data_at.1,
                )),
            };
        };
        self.actors[a].queued_bytes = self.actors[a]
            .queued_bytes
            .saturating_sub(d.data.len() + 1024);
        self.actors[a].last_from = Some(d.from);
        if let Some(err) = e.error {
            return Some(Problem::at(
                Kind::ErrorCannotHappen {
                    error: err.as_str(),
                    why: Never::DataWaiting {
                        bytes: d.data.len(),
                    },
                },
                error_at.0,
                error_at.1,
            ));
        }
        let got = &d.data[..d.data.len().min(max)];
        if let Some(want) = &e.data
            && want.as_slice() != got
        {
            let (expected, got_text) = bytes_differ(want, got);
            return Some(Problem::at(
                Kind::ExpectedDataDiffers {
                    actor: self.name(a),
                    expected,
                    got: got_text,
                    from: vec![(d.step, d.line)],
                    hint: data_hint(want, &d.data, max, 1, false),
                },
                data_at.0,
                data_at.1,
            ));
        }
        if let Some(want) = e.from
            && want != d.from
        {
            let from_at = ex
                .and_then(|x| x.value.from.as_ref().map(pos))
                .unwrap_or(data_at);
            return Some(Problem::at(
                Kind::WrongSender {
                    actor: self.name(a),
                    expected: self.name(want),
                    got: self.name(d.from),
                    step: d.step,
                    line: d.line,
                },
                from_at.0,
                from_at.1,
            ));
        }
        None
    }

    fn receive_stream(
        &mut self,
        step: &PlannedStep,
        spec: Option<&StepSpec>,
        max: usize,
    ) -> Option<Problem> {
        let a = step.actor;
        let e = &step.expect;
        let ex = spec.and_then(|s| s.expect.as_ref());
        let key_at = |pick: fn(&ExpectSpec) -> Option<(u64, u64)>| {
            ex.map(|x| pick(&x.value).unwrap_or(pos(x)))
                .unwrap_or((step.line, step.column))
        };
        let data_at = key_at(|x| x.text.as_ref().or(x.hex.as_ref()).map(pos));
        let eof_at = key_at(|x| x.eof.as_ref().map(pos));
        let error_at = key_at(|x| x.error.as_ref().map(pos));
        let (c, inb, _) = self.sides(a)?;
        let peer = self.conns[c].ends[inb];
        let stream = &mut self.conns[c].streams[inb];
        let problem = |kind: Kind, at: (u64, u64)| Some(Problem::at(kind, at.0, at.1));
        if !stream.pieces.is_empty() {
            let waiting = stream.len();
            let kept_back = stream.pieces.iter().any(|p| p.held);
            if let Some(err) = e.error {
                // A short timeout may end before a delayed ACK lets kept-back
                // data go.
                if kept_back && stream.bytes(false).is_empty() {
                    self.actors[a].unsure = true;
                    return None;
                }
                return problem(
                    Kind::ErrorCannotHappen {
                        error: err.as_str(),
                        why: Never::DataWaiting { bytes: waiting },
                    },
                    error_at,
                );
            }
            if e.eof {
                return problem(
                    Kind::EofButData {
                        actor: self.plan.actors[a].name.clone(),
                        bytes: waiting,
                    },
                    eof_at,
                );
            }
            // What this read returns: the bytes that arrived, or, when the
            // sender kept some back and a delayed ACK may come first, those
            // too. With nothing arrived it waits for that ACK.
            let all = stream.bytes(true);
            let arrived = stream.bytes(false);
            let mut outcomes: Vec<Vec<u8>> = Vec::new();
            for o in [arrived, all.clone()] {
                let o = o[..o.len().min(max)].to_vec();
                if !o.is_empty() && !outcomes.contains(&o) {
                    outcomes.push(o);
                }
            }
            if outcomes.is_empty() {
                self.actors[a].unsure = true;
                return None;
            }
            let got = match &e.data {
                Some(want) => match outcomes.iter().find(|o| *o == want) {
                    Some(o) => o.clone(),
                    None => {
                        let first = &outcomes[0];
                        let from = {
                            let mut copy: Vec<(usize, u64)> = Vec::new();
                            let mut left = first.len();
                            for p in &stream.pieces {
                                if left == 0 {
                                    break;
                                }
                                copy.push((p.step, p.line));
                                left = left.saturating_sub(p.data.len());
                            }
                            copy
                        };
                        let (expected, got_text) = bytes_differ(want, first);
                        return problem(
                            Kind::ExpectedDataDiffers {
                                actor: self.plan.actors[a].name.clone(),
                                expected,
                                got: got_text,
                                hint: data_hint(want, &all, max, from.len(), true),
                                from,
                            },
                            data_at,
                        );
                    }
                },
                None if outcomes.len() > 1 => {
                    self.actors[a].unsure = true;
                    return None;
                }
                None => outcomes[0].clone(),
            };
            if got.len() > stream.bytes(false).len() {
                stream.release();
            }
            stream.consume(got.len());
            return None;
        }
        if let Some((number, line)) = stream.fin {
            if let Some(err) = e.error {
                return problem(
                    Kind::ErrorCannotHappen {
                        error: err.as_str(),
                        why: Never::EndOfStream {
                            peer: self.plan.actors[peer].name.clone(),
                            step: number,
                            line,
                        },
                    },
                    error_at,
                );
            }
            if let Some(want) = &e.data {
                return problem(
                    Kind::ExpectedDataDiffers {
                        actor: self.plan.actors[a].name.clone(),
                        expected: crate::text::py_bytes(want),
                        got: "end of stream".into(),
                        from: vec![(number, line)],
                        hint: DataHint::EndOfStream,
                    },
                    data_at,
                );
            }
            return None;
        }
        if e.error.is_some() {
            return None;
        }
        let sent_before = stream.sent_any;
        if e.eof {
            return problem(
                Kind::EofNeverComes {
                    actor: self.plan.actors[a].name.clone(),
                    peer: self.plan.actors[peer].name.clone(),
                },
                eof_at,
            );
        }
        problem(
            Kind::NothingArrives {
                actor: self.plan.actors[a].name.clone(),
                lost: None,
                read_before: sent_before,
                astray: None,
            },
            data_at,
        )
    }
}

/// Why the data that arrives is not the data expected, when a common
/// mistake explains it.
fn data_hint(want: &[u8], sent: &[u8], max: usize, sends: usize, stream: bool) -> DataHint {
    if want.len() > max {
        return DataHint::MaxCut { max };
    }
    if stream && sends > 1 && sent.starts_with(want) {
        return DataHint::Glued { sends };
    }
    let got = &sent[..sent.len().min(max)];
    if got.strip_suffix(b"\n") == Some(want) {
        return DataHint::TrailingNewline;
    }
    let literal = |d: &[u8]| {
        String::from_utf8_lossy(d)
            .replace("\\r", "\r")
            .replace("\\n", "\n")
            .replace("\\t", "\t")
    };
    if got != want && (literal(got).as_bytes() == want || literal(want).as_bytes() == got) {
        return DataHint::Escapes;
    }
    DataHint::None
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "format: 1\nname: t\ntitle: t\nsummary: s\nactors:\n  - { name: server, transport: tcp, port: 50007 }\n  - { name: client, transport: tcp }\nsteps:\n  - { actor: server, call: bind }\n  - { actor: server, call: listen }\n  - { actor: client, call: connect, to: server }\n  - { actor: server, call: accept }\n";

    fn problems(steps: &str) -> Vec<Kind> {
        let text = format!("{HEAD}{steps}");
        let file = crate::lesson::load::parse(&text).unwrap();
        let (_, problems) = check_source(&file, &text);
        problems.into_iter().map(|p| p.kind).collect()
    }

    #[test]
    fn two_sends_to_a_new_connection_arrive_together() {
        let found = problems(
            "  - { actor: client, call: sendall, text: ab }\n  - { actor: client, call: sendall, text: cd }\n  - { actor: server, call: recv, expect: { text: ab } }\n",
        );
        assert!(
            matches!(
                found.as_slice(),
                [Kind::ExpectedDataDiffers { got, hint: DataHint::Glued { sends: 2 }, .. }] if got == "b\"abcd\""
            ),
            "{found:?}"
        );
        assert!(problems(
            "  - { actor: client, call: sendall, text: ab }\n  - { actor: client, call: sendall, text: cd }\n  - { actor: server, call: recv, expect: { text: abcd } }\n",
        )
        .is_empty());
    }

    /// Once the server has answered, it delays its ACKs: Nagle may keep the
    /// client's second small send back, so a read may get the first alone
    /// (tcp-nagle) or both.
    #[test]
    fn a_send_nagle_may_keep_back_allows_either_read() {
        let warm = "  - { actor: client, call: sendall, text: q }\n  - { actor: server, call: recv, expect: { text: q } }\n  - { actor: server, call: sendall, text: a }\n  - { actor: client, call: recv, expect: { text: a } }\n  - { actor: client, call: sendall, text: ab }\n  - { actor: client, call: sendall, text: cd }\n";
        for expect in ["ab", "abcd"] {
            let found = problems(&format!(
                "{warm}  - {{ actor: server, call: recv, expect: {{ text: {expect} }} }}\n"
            ));
            assert!(found.is_empty(), "{expect}: {found:?}");
        }
        let found = problems(&format!(
            "{warm}  - {{ actor: server, call: recv, expect: {{ text: cd }} }}\n"
        ));
        assert!(
            matches!(found.as_slice(), [Kind::ExpectedDataDiffers { .. }]),
            "{found:?}"
        );
        // With TCP_NODELAY nothing is kept back.
        let found = problems(&format!(
            "  - {{ actor: client, call: setsockopt, option: nodelay }}\n{warm}  - {{ actor: server, call: recv, expect: {{ text: ab }} }}\n"
        ));
        assert!(
            matches!(found.as_slice(), [Kind::ExpectedDataDiffers { .. }]),
            "{found:?}"
        );
    }

    /// A socket that sent before it bound has an ephemeral port: a
    /// datagram to the actor's own port finds nobody.
    #[test]
    fn a_datagram_to_a_port_not_yet_bound_is_lost() {
        let text = "format: 1\nname: t\ntitle: t\nsummary: s\nactors:\n  - { name: r, transport: udp, port: 5000 }\n  - { name: s, transport: udp, port: 5001 }\nsteps:\n  - { actor: s, call: bind }\n  - { actor: r, call: sendto, to: s, text: x }\n  - { actor: s, call: sendto, to: r, text: y }\n  - { actor: r, call: recvfrom, expect: { text: y } }\n";
        let file = crate::lesson::load::parse(text).unwrap();
        let (_, found) = check_source(&file, text);
        assert!(
            matches!(
                found.as_slice(),
                [Problem {
                    kind: Kind::NothingArrives {
                        lost: Some((3, 11)),
                        ..
                    },
                    ..
                }]
            ),
            "{found:?}"
        );
        // `to: reply` answers the port it came from.
        let reply = text
            .replace("to: r, text: y", "to: reply, text: y")
            .replace(
                "  - { actor: s, call: sendto",
                "  - { actor: s, call: recvfrom }\n  - { actor: s, call: sendto",
            );
        let file = crate::lesson::load::parse(&reply).unwrap();
        let (_, found) = check_source(&file, &reply);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn a_read_takes_bytes_across_sends() {
        let mut s = Stream::default();
        for (i, d) in [&b"abc"[..], b"de", b"f"].iter().enumerate() {
            s.pieces.push_back(Piece {
                data: d.to_vec(),
                step: i + 1,
                line: 10 + i as u64,
                held: false,
            });
        }
        assert_eq!(s.consume(4), vec![(1, 10), (2, 11)]);
        assert_eq!(s.bytes(true), b"ef");
        assert_eq!(s.consume(5), vec![(2, 11), (3, 12)]);
        assert_eq!(s.len(), 0);
    }

    #[test]
    fn hints_name_the_common_causes() {
        assert_eq!(
            data_hint(b"hello", b"hello", 3, 1, true),
            DataHint::MaxCut { max: 3 }
        );
        assert_eq!(
            data_hint(b"hi", b"hi\n", 100, 1, true),
            DataHint::TrailingNewline
        );
        assert_eq!(
            data_hint(b"a\r\n", b"a\\r\\n", 100, 1, true),
            DataHint::Escapes
        );
        assert_eq!(data_hint(b"x", b"y", 100, 1, false), DataHint::None);
    }
}

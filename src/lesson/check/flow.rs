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

/// Bytes one actor has sent on a stream and the other not yet read, with
/// the steps that sent them.
#[derive(Debug, Default)]
struct Stream {
    data: VecDeque<u8>,
    /// (step, line, bytes not yet read) of each send, oldest first.
    sends: VecDeque<(usize, u64, usize)>,
    /// The sender shut down its sending side or closed: end of stream
    /// after the data.
    fin: Option<(usize, u64)>,
    sent_any: bool,
}

impl Stream {
    fn push(&mut self, data: &[u8], step: usize, line: u64) {
        self.data.extend(data);
        self.sends.push_back((step, line, data.len()));
        self.sent_any = true;
    }

    /// Read up to `max` bytes, and the sends they came from.
    fn read(&mut self, max: usize) -> (Vec<u8>, Vec<(usize, u64)>) {
        let n = self.data.len().min(max);
        let got: Vec<u8> = self.data.drain(..n).collect();
        let mut from = Vec::new();
        let mut left = n;
        while left > 0 {
            let Some(front) = self.sends.front_mut() else {
                break;
            };
            from.push((front.0, front.1));
            let take = front.2.min(left);
            front.2 -= take;
            left -= take;
            if front.2 == 0 {
                self.sends.pop_front();
            }
        }
        (got, from)
    }
}

/// A TCP connection: `ends[0]` connected to `ends[1]`; `streams[i]` is what
/// `ends[i]` sends.
struct Conn {
    ends: [usize; 2],
    streams: [Stream; 2],
}

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
    addressed: bool,
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
}

/// Datagrams (and their bookkeeping) a receive queue holds before the
/// model stops being sure none was dropped for want of buffer space.
const SURE_QUEUE_BYTES: usize = 64 * 1024;

/// Follow the plan's steps; the first receive whose `expect` cannot be met
/// is reported (the run would stop there, so later ones would not run).
pub(super) fn check_flow(plan: &Plan, file: &LessonFile, problems: &mut Vec<Problem>) {
    if plan.network.is_some() || !plan.wire_rules.is_empty() {
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
            Peer::Addr(addr) => self.plan.actors.iter().position(|a| {
                a.addr.port() == addr.port()
                    && a.addr.port() != 0
                    && (a.addr.ip() == addr.ip() || a.addr.ip().is_unspecified())
            }),
        }
    }

    fn deliver(&mut self, from: usize, to: Option<usize>, data: &[u8], step: &PlannedStep) {
        let Some(t) = to else { return };
        let peer = self.actors[t].peer;
        let st = &mut self.actors[t];
        if st.closed || peer.is_some_and(|p| p != from) {
            return;
        }
        if !st.addressed {
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

    fn fin(&mut self, a: usize, step: &PlannedStep) {
        if let Some((c, _, out)) = self.sides(a) {
            self.conns[c].streams[out]
                .fin
                .get_or_insert((step.number, step.line));
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
                    Call::Bind => self.actors[a].addressed = true,
                    Call::Listen { backlog } => {
                        self.actors[a].listening = Some((step.number, step.line, *backlog))
                    }
                    Call::SetOpt {
                        option: SockOpt::RcvBuf(_) | SockOpt::SndBuf(_),
                        ..
                    } => self.actors[a].unsure = true,
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
                // An actor holds one connection: the earlier one is closed.
                self.fin(a, step);
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
                    self.deliver(a, peer, data, step);
                } else if let Some((c, _, out)) = self.sides(a) {
                    let peer = self.conns[c].ends[1 - out];
                    let peer_gone = self.actors[peer].conn != Some(c)
                        && !self.actors[peer].pending.contains(&c);
                    self.conns[c].streams[out].push(data, step.number, step.line);
                    if peer_gone || self.conns[c].streams[out].data.len() > SURE_QUEUE_BYTES {
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
                self.actors[a].addressed = true;
                self.deliver(a, target, data, step);
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
                } else if *listener {
                    let waiting: Vec<usize> = self.actors[a].pending.drain(..).collect();
                    self.reset_peers(&waiting, a);
                    self.actors[a].listening = None;
                } else if let Some((c, inb, _)) = self.sides(a) {
                    if self.conns[c].streams[inb].data.is_empty() {
                        self.fin(a, step);
                    } else {
                        self.reset_peers(&[c], a);
                    }
                    self.actors[a].conn = None;
                } else {
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
        if !stream.data.is_empty() {
            let waiting = stream.data.len();
            if let Some(err) = e.error {
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
            let all: Vec<u8> = stream.data.iter().copied().collect();
            let (got, from) = stream.read(max);
            if let Some(want) = &e.data
                && *want != got
            {
                let (expected, got_text) = bytes_differ(want, &got);
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

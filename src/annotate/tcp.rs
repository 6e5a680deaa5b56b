//! TCP connection tracking for annotations: relative sequence numbers (as
//! Wireshark shows them), scaled windows, and the state of both ends as each
//! frame passes.

use std::net::SocketAddr;

use crate::dissect::TcpInfo;
use crate::recent::Recent;
use crate::text::spare_copy;
use crate::transcript::{ActorState, TcpOptionView, TcpView};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Closed => "CLOSED",
            State::Listen => "LISTEN",
            State::SynSent => "SYN-SENT",
            State::SynReceived => "SYN-RECEIVED",
            State::Established => "ESTABLISHED",
            State::FinWait1 => "FIN-WAIT-1",
            State::FinWait2 => "FIN-WAIT-2",
            State::CloseWait => "CLOSE-WAIT",
            State::Closing => "CLOSING",
            State::LastAck => "LAST-ACK",
            State::TimeWait => "TIME-WAIT",
        }
    }
}

/// What a segment does in its connection's life, as the transcript names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Reset,
    Syn,
    SynRetransmitted,
    SynAck,
    HandshakeDone,
    DataFin,
    Fin,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Reset => "reset",
            Role::Syn => "handshake 1/3",
            Role::SynRetransmitted => "handshake 1/3, retransmitted",
            Role::SynAck => "handshake 2/3",
            Role::HandshakeDone => "handshake 3/3",
            Role::DataFin => "teardown: data + FIN",
            Role::Fin => "teardown: FIN",
        }
    }
}

struct Conn {
    /// `Tracker::born` when its first frame came.
    born: usize,
    ends: [SocketAddr; 2],
    names: [String; 2],
    base: [Option<u32>; 2],
    window_scale: [Option<u8>; 2],
    syn_end: [Option<u32>; 2],
    fin_end: [Option<u32>; 2],
    state: [State; 2],
    /// Segments that used sequence space and are not yet acknowledged:
    /// (direction, end seq, event index).
    segments: Vec<(usize, u32, usize)>,
    last_answered: [usize; 2],
    syn_ns: Option<u64>,
    synack_ns: Option<u64>,
    syn_index: Option<usize>,
    /// The right edge of the window each side last announced: its highest
    /// ACK plus its latest (scaled) window, as Wireshark reckons it.
    edge: [Option<(u32, u32)>; 2],
}

/// What the annotator learns from one TCP frame.
pub struct Observation {
    pub view: TcpView,
    /// The event this frame answers (a SYN+ACK answers the SYN, an ACK the segment it acknowledges).
    pub answers: Option<usize>,
    /// SYN → SYN+ACK round trip, known from the third handshake frame on.
    pub handshake_rtt_ns: Option<u64>,
    /// Both directions agreed on window scaling.
    pub scaling_active: bool,
    /// The sender's and receiver's states before this segment.
    pub sender_state_before: State,
    pub receiver_state_before: State,
    /// Their states after it.
    pub sender_state_after: State,
    pub receiver_state_after: State,
    /// What the segment does in the connection's life.
    pub role: Option<Role>,
    /// This segment acknowledges the receiver's FIN.
    pub acks_fin: bool,
    /// The earlier event this SYN repeats (same sequence number).
    pub retransmission_of: Option<usize>,
    /// The sender's window-scale shift, when scaling is in use.
    pub sender_shift: Option<u8>,
    /// A SYN that its connect() never got an answer to: the listener dropped it.
    pub unanswered: bool,
    /// Data that reaches exactly the right edge of the window the receiver
    /// last announced (Wireshark's "TCP Window Full").
    pub window_full: bool,
    /// For a pure ACK: how many of the peer's segments it acknowledges
    /// that no earlier ACK did.
    pub covers: usize,
}

/// One end of a frame, as `Tracker::observe` takes it.
#[derive(Debug, Clone, Copy)]
pub struct End<'a> {
    pub addr: SocketAddr,
    /// The actor's name, or "kernel".
    pub name: &'a str,
    /// A socket of the lesson owns `addr`.
    pub known: bool,
}

#[derive(Default)]
pub struct Tracker {
    /// By the connection's two ends, the lower first.
    conns: Recent<(SocketAddr, SocketAddr), Conn>,
    /// Frames observed so far: a connection's `born` is the count when it
    /// began, so the latest begun has the highest.
    born: usize,
    /// The client address whose connect() just timed out: its SYNs in this
    /// step were never answered, so the listener never left LISTEN for them.
    unanswered_from: Option<SocketAddr>,
    /// Room for the segment ends an ACK covers, kept from ACK to ACK.
    ends: Vec<u32>,
}

impl Tracker {
    /// The state of the connection end at `local`: of the connection with
    /// `peer` when it is known (a server's port has one per client), else of
    /// the latest connection there.
    pub fn state_at(&self, local: SocketAddr, peer: Option<SocketAddr>) -> Option<State> {
        self.conns
            .values()
            .filter_map(|c| {
                let i = c.ends.iter().position(|e| *e == local)?;
                match peer {
                    Some(p) if c.ends[1 - i] != p => None,
                    _ => Some((c.born, c.state[i])),
                }
            })
            .max_by_key(|&(born, _)| born)
            .map(|(_, state)| state)
    }

    /// The SYNs `from` sends next went unanswered (its connect timed out);
    /// `None` once the next call runs.
    pub fn set_unanswered_from(&mut self, from: Option<SocketAddr>) {
        self.unanswered_from = from;
    }

    /// Record one frame from `from` to `to`. Whether a socket of the lesson
    /// owns `to` matters: a SYN to a port nobody owns meets a closed port.
    pub fn observe(
        &mut self,
        index: usize,
        ts: u64,
        from: End<'_>,
        to: End<'_>,
        t: &TcpInfo,
    ) -> Observation {
        let (src, dst) = (from.addr, to.addr);
        let key = if src <= dst { (src, dst) } else { (dst, src) };
        let unanswered =
            t.has(TcpInfo::SYN) && !t.has(TcpInfo::ACK) && self.unanswered_from == Some(src);
        self.born += 1;
        let born = self.born;
        let c = self.conns.get_or_insert_with(key, || Conn {
            born,
            ends: [src, dst],
            names: [from.name.to_string(), to.name.to_string()],
            base: [None, None],
            window_scale: [None, None],
            syn_end: [None, None],
            fin_end: [None, None],
            state: [
                if t.has(TcpInfo::SYN) {
                    State::Closed
                } else {
                    State::Established
                },
                if to.known {
                    State::Listen
                } else {
                    State::Closed
                },
            ],
            segments: Vec::new(),
            last_answered: [0, 0],
            syn_ns: None,
            syn_index: None,
            synack_ns: None,
            edge: [None, None],
        });
        let mut ends = std::mem::take(&mut self.ends);
        let s = if c.ends[0] == src { 0 } else { 1 };
        let r = 1 - s;
        let before = (c.state[s], c.state[r]);
        let syn = t.has(TcpInfo::SYN);
        let fin = t.has(TcpInfo::FIN);
        let ack = t.has(TcpInfo::ACK);
        let rst = t.has(TcpInfo::RST);
        // A new connection on the same ends (not its SYN again): what the
        // old one sent, acknowledged and closed says nothing about it.
        if syn && !ack && c.syn_end[s] != Some(t.seq.wrapping_add(1)) {
            c.edge = [None, None];
            c.segments.clear();
            c.last_answered = [0, 0];
            c.fin_end = [None, None];
        }

        // Wireshark's relative numbers: the first sequence number seen in a
        // direction is its base (the ISN when that frame is a SYN).
        let base = *c.base[s].get_or_insert(if syn { t.seq } else { t.seq.wrapping_sub(1) });
        if syn {
            c.base[s] = Some(t.seq);
            for o in &t.options {
                if let Some(ws) = o.window_scale {
                    c.window_scale[s] = Some(ws.min(14));
                }
            }
        }
        let base = if syn { t.seq } else { base };
        let seq_rel = t.seq.wrapping_sub(base);
        let ack_rel = if ack {
            c.base[r].map(|b| t.ack.wrapping_sub(b)).unwrap_or(t.ack)
        } else {
            0
        };
        let scaling_active = c.window_scale[0].is_some() && c.window_scale[1].is_some();
        let window_scaled = if syn || !scaling_active {
            u32::from(t.window)
        } else {
            u32::from(t.window) << c.window_scale[s].unwrap_or(0)
        };

        let window_full = t.payload_len > 0
            && !syn
            && !fin
            && !rst
            && c.edge[r].is_some_and(|(a, w)| {
                t.seq.wrapping_add(t.payload_len as u32) == a.wrapping_add(w)
            });
        let after = |a: u32, b: u32| (a.wrapping_sub(b) as i32) > 0;
        let covers = match c.edge[s] {
            Some((prev, _)) if ack && t.payload_len == 0 && !syn && !fin && !rst => {
                ends.clear();
                ends.extend(
                    c.segments
                        .iter()
                        .filter(|(d, end, _)| *d == r && after(*end, prev) && !after(*end, t.ack))
                        .map(|x| x.1),
                );
                ends.sort_unstable();
                ends.dedup();
                ends.len()
            }
            _ => 0,
        };
        let mut advanced = None;
        if ack {
            let highest = match c.edge[s] {
                Some((a, _)) if (t.ack.wrapping_sub(a) as i32) < 0 => a,
                _ => t.ack,
            };
            if c.edge[s].is_none_or(|(a, _)| a != highest) {
                advanced = Some(highest);
            }
            c.edge[s] = Some((highest, window_scaled));
        }

        // What this frame answers.
        let mut answers = None;
        if ack
            && let Some(&(_, _, idx)) = c
                .segments
                .iter()
                .rev()
                .find(|(dir, end, idx)| *dir == r && *end == t.ack && *idx > c.last_answered[s])
        {
            answers = Some(idx);
            c.last_answered[s] = idx;
        }
        // What the highest ACK covers is settled: forgetting it keeps the
        // list to what is in flight, however long the connection runs.
        if let Some(highest) = advanced {
            c.segments
                .retain(|(d, end, _)| *d != r || after(*end, highest));
        }
        let used = t.payload_len as u32 + u32::from(syn) + u32::from(fin);
        if used > 0 {
            c.segments.push((s, t.seq.wrapping_add(used), index));
        }

        let mut role = None;
        let mut rtt = None;
        let acks_fin = ack && c.fin_end[r] == Some(t.ack);
        let mut retransmission_of = None;
        if rst {
            c.state = [State::Closed, State::Closed];
            role = Some(Role::Reset);
        } else if syn && !ack && c.syn_end[s] == Some(t.seq.wrapping_add(1)) {
            // The same SYN again: its answer did not come in time.
            retransmission_of = c.syn_index;
            role = Some(Role::SynRetransmitted);
            // The first try went unanswered: whether this one starts a
            // connection shows only when (if) a SYN+ACK follows.
        } else if syn && !ack {
            c.syn_index = Some(index);
            c.state[s] = State::SynSent;
            // A dropped SYN starts nothing at the listener.
            if c.state[r] == State::Listen && !unanswered {
                c.state[r] = State::SynReceived;
            }
            c.syn_end[s] = Some(t.seq.wrapping_add(1));
            c.syn_ns = Some(ts);
            role = Some(Role::Syn);
        } else {
            if ack {
                if c.state[r] == State::SynReceived && !syn && Some(t.ack) == c.syn_end[r] {
                    c.state[r] = State::Established;
                    if c.state[s] == State::Established
                        && before.0 == State::Established
                        && t.payload_len == 0
                    {
                        role = Some(Role::HandshakeDone);
                        rtt = c.syn_ns.zip(c.synack_ns).map(|(a, b)| b.saturating_sub(a));
                    }
                }
                if c.fin_end[r] == Some(t.ack) {
                    c.state[r] = match c.state[r] {
                        State::FinWait1 => State::FinWait2,
                        State::Closing => State::TimeWait,
                        State::LastAck => State::Closed,
                        other => other,
                    };
                }
            }
            if syn && ack {
                c.syn_end[s] = Some(t.seq.wrapping_add(1));
                c.state[s] = State::SynReceived;
                if c.state[r] == State::SynSent {
                    c.state[r] = State::Established;
                }
                c.synack_ns = Some(ts);
                role = Some(Role::SynAck);
            }
            if fin {
                c.fin_end[s] = Some(t.seq.wrapping_add(t.payload_len as u32 + 1));
                c.state[s] = match c.state[s] {
                    State::Established | State::SynReceived => State::FinWait1,
                    State::CloseWait => State::LastAck,
                    other => other,
                };
                c.state[r] = match c.state[r] {
                    State::Established => State::CloseWait,
                    State::FinWait1 => State::Closing,
                    State::FinWait2 => State::TimeWait,
                    other => other,
                };
                role = Some(if t.payload_len > 0 {
                    Role::DataFin
                } else {
                    Role::Fin
                });
            }
        }

        // Its strings are spares: explain keeps them again once printed.
        let view = TcpView {
            flags: crate::dissect::flag_order(t.flags)
                .map(spare_copy)
                .collect(),
            seq: t.seq,
            ack: t.ack,
            seq_rel,
            ack_rel,
            window: t.window,
            window_scaled,
            len: t.payload_len,
            options: t
                .options
                .iter()
                .map(|o| TcpOptionView {
                    kind: o.kind,
                    name: spare_copy(&o.name),
                    value: spare_copy(&o.value),
                    offset: o.offset,
                    length: o.length,
                })
                .collect(),
            states: vec![
                ActorState {
                    actor: spare_copy(&c.names[s]),
                    state: spare_copy(c.state[s].name()),
                },
                ActorState {
                    actor: spare_copy(&c.names[r]),
                    state: spare_copy(c.state[r].name()),
                },
            ],
            role: role.map(|r| spare_copy(r.name())),
        };
        self.ends = ends;
        Observation {
            view,
            answers,
            handshake_rtt_ns: rtt,
            scaling_active,
            sender_state_before: before.0,
            receiver_state_before: before.1,
            sender_state_after: c.state[s],
            receiver_state_after: c.state[r],
            role,
            acks_fin,
            retransmission_of,
            sender_shift: if scaling_active {
                c.window_scale[s]
            } else {
                None
            },
            unanswered,
            window_full,
            covers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: &str = "10.0.0.1:40000";
    const SERVER: &str = "10.0.0.2:8080";

    fn segment(seq: u32, ack: u32, flags: u16, len: usize) -> TcpInfo {
        TcpInfo {
            src_port: 0,
            dst_port: 0,
            seq,
            ack,
            header_len: 20,
            flags,
            window: 1000,
            checksum: 0,
            urgent: 0,
            options: Vec::new(),
            payload_len: len,
        }
    }

    /// Tracker fed one direction's segments and the other's ACKs.
    struct Conversation {
        tracker: Tracker,
        index: usize,
    }

    impl Conversation {
        fn new() -> Conversation {
            let mut c = Conversation {
                tracker: Tracker::default(),
                index: 0,
            };
            c.send(true, segment(100, 0, TcpInfo::SYN, 0));
            c.send(false, segment(500, 101, TcpInfo::SYN | TcpInfo::ACK, 0));
            c.send(true, segment(101, 501, TcpInfo::ACK, 0));
            c
        }

        fn send(&mut self, from_client: bool, t: TcpInfo) -> Observation {
            let (c, s) = (CLIENT.parse().unwrap(), SERVER.parse().unwrap());
            let client = End {
                addr: c,
                name: "client",
                known: true,
            };
            let server = End {
                addr: s,
                name: "server",
                known: true,
            };
            let (from, to) = if from_client {
                (client, server)
            } else {
                (server, client)
            };
            self.index += 1;
            self.tracker
                .observe(self.index, self.index as u64, from, to, &t)
        }
    }

    #[test]
    fn an_ack_covers_the_segments_it_acknowledges_first() {
        let mut c = Conversation::new();
        for i in 0..4 {
            c.send(true, segment(101 + i * 100, 501, TcpInfo::ACK, 100));
        }
        let first = c.send(false, segment(501, 301, TcpInfo::ACK, 0));
        assert_eq!(first.covers, 2);
        assert_eq!(first.answers, Some(5));
        // The same ACK again covers nothing new and answers nothing.
        let again = c.send(false, segment(501, 301, TcpInfo::ACK, 0));
        assert_eq!((again.covers, again.answers), (0, None));
        let rest = c.send(false, segment(501, 501, TcpInfo::ACK, 0));
        assert_eq!((rest.covers, rest.answers), (2, Some(7)));
    }

    #[test]
    fn a_long_connection_keeps_only_what_is_in_flight() {
        let mut c = Conversation::new();
        let mut seq = 101u32;
        for _ in 0..10_000 {
            for _ in 0..2 {
                c.send(true, segment(seq, 501, TcpInfo::ACK, 1448));
                seq = seq.wrapping_add(1448);
            }
            let ack = c.send(false, segment(501, seq, TcpInfo::ACK, 0));
            assert_eq!(ack.covers, 2);
        }
        assert!(c.tracker.conns.values().all(|c| c.segments.is_empty()));
        assert_eq!(c.tracker.conns.len(), 1);
    }

    #[test]
    fn a_new_connection_on_the_same_ends_starts_afresh() {
        let mut c = Conversation::new();
        c.send(true, segment(101, 501, TcpInfo::ACK, 100));
        c.send(false, segment(501, 3_000_000_000, TcpInfo::ACK, 0));
        // The same ports again, with an ISN before the old connection's
        // highest ACK: nothing of the old one is taken for the new one.
        c.send(true, segment(50, 0, TcpInfo::SYN, 0));
        c.send(false, segment(900, 51, TcpInfo::SYN | TcpInfo::ACK, 0));
        c.send(true, segment(51, 901, TcpInfo::ACK, 0));
        let a = c.send(true, segment(51, 901, TcpInfo::ACK, 10)).view;
        assert_eq!(a.seq_rel, 1);
        let b_index = c.index + 1;
        c.send(true, segment(61, 901, TcpInfo::ACK, 10));
        let ack_a = c.send(false, segment(901, 61, TcpInfo::ACK, 0));
        assert_eq!((ack_a.covers, ack_a.answers), (1, Some(b_index - 1)));
        let ack_b = c.send(false, segment(901, 71, TcpInfo::ACK, 0));
        assert_eq!((ack_b.covers, ack_b.answers), (1, Some(b_index)));
    }

    #[test]
    fn one_way_data_is_kept_until_acknowledged() {
        // A capture of one direction: nothing acknowledges the data, and
        // its own ACK field never moves, so no frame prunes (or scans).
        let mut c = Conversation::new();
        for i in 0..1000u32 {
            c.send(true, segment(101 + i * 100, 501, TcpInfo::ACK, 100));
        }
        let conn = c.tracker.conns.values().next().unwrap();
        assert_eq!(conn.segments.len(), 1000);
    }

    #[test]
    fn a_retransmission_is_answered_by_the_ack_that_follows_it() {
        let mut c = Conversation::new();
        c.send(true, segment(101, 501, TcpInfo::ACK, 100));
        c.send(true, segment(101, 501, TcpInfo::ACK, 100));
        let ack = c.send(false, segment(501, 201, TcpInfo::ACK, 0));
        // The later copy (event 5) is the one the ACK answers.
        assert_eq!((ack.covers, ack.answers), (1, Some(5)));
    }
}

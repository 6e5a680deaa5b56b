//! Frames the kernel sends on its own timers, told apart from the frames a
//! call caused, and what a run still owes (an ACK not yet sent, data or a FIN
//! not yet acknowledged). Pure: it reads only the ordered TCP frames of a run
//! (their header fields and kernel timestamps) and the spans of the calls.
//!
//! How a frame's cause is decided, from the capture alone:
//! - a segment that repeats sequence space already sent (data, SYN or FIN)
//!   is a retransmission: on `lo` nothing is lost, so only a timer resends;
//! - a segment at `snd_una - 1` carrying nothing new is a probe: a
//!   zero-window probe (persist timer) when the peer's window is 0, else a
//!   keepalive;
//! - a pure ACK that acknowledges something new is immediate when it left
//!   right after what it acknowledges arrived (within `IMMEDIATE_NS`), is the
//!   application's when its owner was in a call that started after that
//!   arrival (recv freeing the window, `setsockopt(TCP_QUICKACK)`), and is
//!   otherwise the delayed-ACK timer's, armed by the first segment it covers;
//! - a FIN that leaves while its sender makes no call, after it closed, left
//!   after a lingering close (its data had to wait for the peer's window).

use crate::dissect::{Dissection, TcpInfo};

mod dupack;
use dupack::{AckSeen, DupAcks};
pub use dupack::{DupAck, explain_dup_ack};
use dupack::{dup_acks, micros};

/// Longest gap between a segment's arrival and an ACK the kernel sends in
/// answer to it at once (same softirq on `lo`: microseconds; a busy machine
/// may defer it to ksoftirqd). Far below the 40 ms delayed-ACK minimum.
pub const IMMEDIATE_NS: u64 = 2_000_000;
/// Linux's delayed-ACK bounds (TCP_DELACK_MIN / TCP_DELACK_MAX).
pub const DELACK_MIN_NS: u64 = 40_000_000;
/// The arrival time of a segment the wire dropped.
const NEVER: u64 = u64::MAX;
/// Sooner than this after the first segment it covers arrived, a pure ACK
/// is no delayed-ACK timer's but an immediate one that left late (a busy
/// machine): that timer waits at least `DELACK_MIN_NS`, counted in clock
/// ticks, so it may fire up to one tick (at most 10 ms) before that.
pub const DELACK_FLOOR_NS: u64 = 30_000_000;
pub const DELACK_MAX_NS: u64 = 200_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    DelayedAck,
    Retransmission,
    /// Not a timer: the duplicate ACKs made the sender resend at once.
    FastRetransmit,
    SynRetransmission,
    SynAckRetransmission,
    ZeroWindowProbe,
    Keepalive,
    FinAfterClose,
}

impl Timer {
    /// The name the transcript uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Timer::DelayedAck => "delayed-ack",
            Timer::Retransmission => "retransmission",
            Timer::FastRetransmit => "fast-retransmit",
            Timer::SynRetransmission => "syn-retransmission",
            Timer::SynAckRetransmission => "syn-ack-retransmission",
            Timer::ZeroWindowProbe => "zero-window-probe",
            Timer::Keepalive => "keepalive",
            Timer::FinAfterClose => "fin-after-close",
        }
    }
}

/// A frame the kernel sent on a timer: which one, the event that armed it,
/// and how long after that event the frame left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerCause {
    pub timer: Timer,
    pub armed_by: usize,
    pub delay_ns: u64,
    /// A resent segment: the copy it repeats, and how long after it it left.
    pub copy: Option<(usize, u64)>,
    /// Duplicate ACKs that had asked for the resent bytes.
    pub dup_acks: u32,
}

/// One TCP segment as the capture shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seg {
    /// The event's index in the transcript.
    pub index: usize,
    /// Kernel timestamp, ns: when it left its sender (reached the wire).
    pub time_ns: u64,
    /// When it reached the receiving host: later than `time_ns` by what
    /// the wire took to carry it (a `delay` rule, a busy machine); the
    /// same on `lo`. "Left the moment X arrived" is measured from this.
    pub arrived_ns: u64,
    /// It reached its receiver (a lesson's wire may drop it): a frame that
    /// never arrived told the other end nothing.
    pub delivered: bool,
    pub src: (String, u16),
    pub dst: (String, u16),
    /// The actor whose socket sent it (`kernel` when none).
    pub actor: String,
    pub flags: u16,
    pub seq: u32,
    pub ack: u32,
    pub len: u32,
    /// The raw window field (0 means zero whatever the scale).
    pub window: u16,
}

impl Seg {
    pub fn from_dissection(index: usize, time_ns: u64, actor: &str, d: &Dissection) -> Option<Seg> {
        let t = d.tcp.as_ref()?;
        Some(Seg {
            index,
            time_ns,
            arrived_ns: time_ns,
            delivered: true,
            src: (d.ip_src.clone()?, t.src_port),
            dst: (d.ip_dst.clone()?, t.dst_port),
            actor: actor.to_string(),
            flags: t.flags,
            seq: t.seq,
            ack: t.ack,
            len: t.payload_len as u32,
            window: t.window,
        })
    }

    /// The same segment, never delivered (the wire dropped it).
    pub fn lost(self) -> Seg {
        Seg {
            delivered: false,
            ..self
        }
    }

    /// The same segment, delivered to its receiver at `ns`.
    pub fn arriving_at(self, ns: u64) -> Seg {
        Seg {
            arrived_ns: ns.max(self.time_ns),
            ..self
        }
    }

    fn has(&self, flag: u16) -> bool {
        self.flags & flag != 0
    }

    /// Sequence space it uses: its data, plus one each for SYN and FIN.
    fn space(&self) -> u32 {
        self.len + u32::from(self.has(TcpInfo::SYN)) + u32::from(self.has(TcpInfo::FIN))
    }
}

/// A call as it ran: who, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSpan {
    pub index: usize,
    pub actor: String,
    pub start_ns: u64,
    pub end_ns: u64,
    /// `close` or `shutdown`: later FINs of this actor may be its.
    pub closes: bool,
    /// `send` or `sendall`: later data of this actor may be its.
    pub sends: bool,
}

/// New data that left after its send() returned, and what let it go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    /// The send call that queued it.
    pub call: usize,
    /// The frame whose arrival released it (an ACK, or a window update).
    pub released_by: usize,
    /// From the end of that call to this frame, in nanoseconds.
    pub held_ns: u64,
    /// The peer's window was 0 (else: Nagle waited for an ACK, or, for a
    /// full-sized segment, the sender waited for room to send more).
    pub window: bool,
    /// Smaller than the largest segment its sender sent before: only such
    /// a segment can be Nagle's.
    pub small: bool,
}

/// What the analysis says about one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Verdict {
    pub timer: Option<TimerCause>,
    pub held: Option<Held>,
    /// A pure ACK repeating the one before it while data is outstanding.
    pub dup_ack: Option<DupAck>,
}

/// What a run still owes on one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owed {
    /// The actor whose kernel owes an ACK.
    pub by: String,
    /// The first segment not yet acknowledged.
    pub since: usize,
    pub since_ns: u64,
}

/// One direction of a connection: what `src` sent and `dst` acknowledged.
#[derive(Debug, Default)]
struct Half {
    /// Sequence number after the last byte sent so far (`snd_nxt` as seen).
    next: Option<u32>,
    /// Highest ACK the other side sent for this direction (`snd_una`).
    acked: Option<u32>,
    /// Segments that used sequence space: (start, end, index, time it
    /// left, time it arrived).
    sent: Vec<(u32, u32, usize, u64, u64)>,
    /// The last frame of this direction that said window 0, if the latest
    /// did (its index and arrival).
    zero_window: Option<(usize, u64)>,
    /// The peer's window was 0 at some point since this side last sent data.
    peer_window_was_zero: bool,
    /// The last segment of this direction (its index and arrival).
    last: Option<(usize, u64)>,
    /// A RST ended the connection.
    reset: bool,
    /// The actor on this direction's sending end.
    actor: String,
    /// The ACKs this direction's sender sent, for counting duplicates.
    dups: DupAcks,
}

#[derive(Debug)]
struct Conn {
    ends: [(String, u16); 2],
    /// half[i]: what ends[i] sent.
    half: [Half; 2],
}

/// Follows a run's TCP frames and calls in order.
#[derive(Debug, Default)]
pub struct Tracker {
    conns: Vec<Conn>,
    calls: Vec<CallSpan>,
    /// Segments that used sequence space and the frame that first
    /// acknowledged them: (index, connection, direction, end, acked by).
    acks: Vec<(usize, usize, usize, u32, Option<Acked>)>,
}

/// The frame that acknowledged a segment, and whether it was a pure ACK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acked {
    pub by: usize,
    pub pure: bool,
}

/// `a` is before `b` in sequence space (RFC 1982 style).
fn before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

impl Tracker {
    pub fn call(&mut self, span: CallSpan) {
        self.calls.push(span);
    }

    /// Record one frame; says which timer sent it, if one did, or what held
    /// it back after its call.
    pub fn frame(&mut self, s: &Seg) -> Verdict {
        let pos = self.conns.iter().position(|c| {
            (c.ends[0] == s.src && c.ends[1] == s.dst) || (c.ends[0] == s.dst && c.ends[1] == s.src)
        });
        let pos = match pos {
            Some(p) => p,
            None => {
                self.conns.push(Conn {
                    ends: [s.src.clone(), s.dst.clone()],
                    half: [Half::default(), Half::default()],
                });
                self.conns.len() - 1
            }
        };
        // A new connection on the same ports (a SYN after a RST or a close)
        // starts afresh.
        if s.has(TcpInfo::SYN) && !s.has(TcpInfo::ACK) {
            let c = &self.conns[pos];
            let me = usize::from(c.ends[0] != s.src);
            if c.half[me].next.is_some_and(|n| n != s.seq.wrapping_add(1)) || c.half[me].reset {
                self.conns[pos].half = [Half::default(), Half::default()];
                self.acks.retain(|a| a.1 != pos);
            }
        }
        let me = usize::from(self.conns[pos].ends[0] != s.src);
        let timer = self.classify(pos, me, s);
        let held = if timer.is_none() {
            self.held(pos, me, s)
        } else {
            None
        };
        let dup_ack = self.dup_ack(pos, me, s);
        self.update(pos, me, s);
        Verdict {
            timer,
            held,
            dup_ack,
        }
    }

    /// A router passed a segment already seen on an earlier link on to the
    /// next: the same segment, not a new one (no timer sent it). It reaches
    /// its receiver only now, and answers are timed from then.
    pub fn forwarded(&mut self, s: &Seg) {
        let Some(c) = self.conns.iter_mut().find(|c| {
            (c.ends[0] == s.src && c.ends[1] == s.dst) || (c.ends[0] == s.dst && c.ends[1] == s.src)
        }) else {
            return;
        };
        let me = usize::from(c.ends[0] != s.src);
        let half = &mut c.half[me];
        let end = s.seq.wrapping_add(s.space());
        if let Some(sent) = half
            .sent
            .iter_mut()
            .rev()
            .find(|(start, stop, ..)| *start == s.seq && *stop == end)
        {
            sent.4 = sent.4.max(s.arrived_ns);
        }
        if let Some(last) = &mut half.last {
            last.1 = last.1.max(s.arrived_ns);
        }
        if let Some(zero) = &mut half.zero_window {
            zero.1 = zero.1.max(s.arrived_ns);
        }
        half.dups.arrived(s.ack, s.arrived_ns);
    }

    fn dup_ack(&mut self, pos: usize, me: usize, s: &Seg) -> Option<DupAck> {
        // A SYN+ACK's window is never scaled: no row starts there. A lost
        // ACK duplicates nothing the sender saw.
        if !s.delivered || !s.has(TcpInfo::ACK) || s.has(TcpInfo::RST) || s.has(TcpInfo::SYN) {
            return None;
        }
        let c = &mut self.conns[pos];
        let outstanding = c.half[1 - me].next.is_some_and(|n| before(s.ack, n));
        c.half[me].dups.ack(&AckSeen {
            index: s.index,
            time_ns: s.arrived_ns,
            ack: s.ack,
            window: s.window,
            pure: s.space() == 0,
            outstanding,
        })
    }

    /// New data sent while its sender made no call: queued by an earlier
    /// send and let go by the frame that just arrived from the peer.
    fn held(&self, pos: usize, me: usize, s: &Seg) -> Option<Held> {
        let c = &self.conns[pos];
        let (mine, theirs) = (&c.half[me], &c.half[1 - me]);
        if s.len == 0 || s.has(TcpInfo::SYN) || self.in_call(&s.actor, s.time_ns) {
            return None;
        }
        let call = self
            .calls
            .iter()
            .rev()
            .find(|c| c.actor == s.actor && c.sends && c.end_ns <= s.time_ns)?;
        let (by, at) = theirs.last?;
        if s.time_ns.saturating_sub(at) >= IMMEDIATE_NS || at < call.end_ns {
            return None;
        }
        let largest = mine
            .sent
            .iter()
            .map(|(start, end, ..)| end.wrapping_sub(*start))
            .max()
            .unwrap_or(0);
        Some(Held {
            call: call.index,
            released_by: by,
            held_ns: s.time_ns.saturating_sub(call.end_ns),
            window: mine.peer_window_was_zero,
            small: s.len < largest,
        })
    }

    fn classify(&self, pos: usize, me: usize, s: &Seg) -> Option<TimerCause> {
        let c = &self.conns[pos];
        let mine = &c.half[me];
        let theirs = &c.half[1 - me];
        if s.has(TcpInfo::RST) {
            return None;
        }
        let space = s.space();
        // Resending sequence space already sent.
        if space > 0
            && let Some(next) = mine.next
            && before(s.seq, next)
        {
            let earlier = mine
                .sent
                .iter()
                .rev()
                .find(|(start, end, ..)| !before(s.seq, *start) && before(s.seq, *end))?;
            let copy = Some((earlier.2, s.time_ns.saturating_sub(earlier.3)));
            let asked = theirs.dups.asking_for(s.seq);
            let timer = if s.has(TcpInfo::SYN) && s.has(TcpInfo::ACK) {
                Timer::SynAckRetransmission
            } else if s.has(TcpInfo::SYN) {
                Timer::SynRetransmission
            } else if s.len <= 1 && mine.acked.is_some_and(|una| s.seq == una.wrapping_sub(1)) {
                // Linux's probes reuse the last acknowledged byte.
                return Some(self.probe(mine, theirs, s));
            } else if let Some((dups, dup, at)) = asked
                && s.time_ns.saturating_sub(at) < IMMEDIATE_NS
            {
                // Left the moment a duplicate ACK arrived: the ACKs sent it.
                return Some(TimerCause {
                    timer: Timer::FastRetransmit,
                    armed_by: dup,
                    delay_ns: s.time_ns.saturating_sub(at),
                    copy,
                    dup_acks: dups,
                });
            } else {
                Timer::Retransmission
            };
            return Some(TimerCause {
                timer,
                armed_by: earlier.2,
                delay_ns: s.time_ns.saturating_sub(earlier.3),
                copy,
                dup_acks: asked.map_or(0, |a| a.0),
            });
        }
        // A probe: one below snd_una, nothing new.
        if space == 0
            && let Some(una) = mine.acked
            && mine.next == Some(una)
            && s.seq == una.wrapping_sub(1)
        {
            return Some(self.probe(mine, theirs, s));
        }
        // A FIN that left while its sender made no call, after it closed.
        if s.has(TcpInfo::FIN) && !self.in_call(&s.actor, s.time_ns) {
            let close = self
                .calls
                .iter()
                .rev()
                .find(|c| c.actor == s.actor && c.closes && c.end_ns <= s.time_ns)?;
            // Sent as close() returned (the softirq may run just after).
            if s.time_ns.saturating_sub(close.end_ns) < IMMEDIATE_NS {
                return None;
            }
            return Some(TimerCause {
                timer: Timer::FinAfterClose,
                armed_by: close.index,
                delay_ns: s.time_ns.saturating_sub(close.start_ns),
                copy: None,
                dup_acks: 0,
            });
        }
        // A pure ACK that acknowledges something new.
        let pure = s.flags & !(TcpInfo::ACK | TcpInfo::PSH) == 0 && s.len == 0;
        if pure && s.has(TcpInfo::ACK) {
            // Their segments this ACK acknowledges for the first time.
            let newly: Vec<&(u32, u32, usize, u64, u64)> = theirs
                .sent
                .iter()
                .filter(|(_, end, _, _, arrived)| {
                    *arrived != NEVER
                        && !before(s.ack, *end)
                        && theirs.acked.is_none_or(|a| before(a, *end))
                })
                .collect();
            let (Some(first), Some(latest)) = (newly.first(), newly.last()) else {
                return None;
            };
            // Measured from when they reached this host; an ACK sooner
            // than the timer's shortest wait is a late immediate one.
            let waited = s.time_ns.saturating_sub(latest.4);
            if waited < IMMEDIATE_NS || s.time_ns.saturating_sub(first.4) < DELACK_FLOOR_NS {
                return None;
            }
            if self.in_call(&s.actor, s.time_ns) {
                return None;
            }
            return Some(TimerCause {
                timer: Timer::DelayedAck,
                armed_by: first.2,
                delay_ns: s.time_ns.saturating_sub(first.4),
                copy: None,
                dup_acks: 0,
            });
        }
        None
    }

    fn probe(&self, mine: &Half, theirs: &Half, s: &Seg) -> TimerCause {
        match theirs.zero_window {
            Some((index, at)) => TimerCause {
                timer: Timer::ZeroWindowProbe,
                armed_by: mine.last.filter(|(_, t)| *t > at).unwrap_or((index, at)).0,
                delay_ns: s
                    .time_ns
                    .saturating_sub(mine.last.filter(|(_, t)| *t > at).map_or(at, |(_, t)| t)),
                copy: None,
                dup_acks: 0,
            },
            None => {
                let last = [mine.last, theirs.last]
                    .into_iter()
                    .flatten()
                    .max_by_key(|(_, t)| *t)
                    .unwrap_or((s.index, s.time_ns));
                TimerCause {
                    timer: Timer::Keepalive,
                    armed_by: last.0,
                    delay_ns: s.time_ns.saturating_sub(last.1),
                    copy: None,
                    dup_acks: 0,
                }
            }
        }
    }

    /// A call of `actor` sent a frame at `at`: it was running and had not
    /// been waiting (a recv blocked for 40 ms did not send the delayed ACK
    /// that fired meanwhile; a recv that found data, a setsockopt, a close
    /// act within microseconds of their start).
    fn in_call(&self, actor: &str, at: u64) -> bool {
        self.calls.iter().any(|c| {
            c.actor == actor
                && c.start_ns <= at
                && at <= c.end_ns.saturating_add(IMMEDIATE_NS)
                && at - c.start_ns < IMMEDIATE_NS
        })
    }

    /// The frame that acknowledged the segment of event `index` (data, SYN
    /// or FIN), if one has so far.
    pub fn acked_by(&self, index: usize) -> Option<Acked> {
        self.acks.iter().find(|a| a.0 == index).and_then(|a| a.4)
    }

    fn update(&mut self, pos: usize, me: usize, s: &Seg) {
        // An ACK the wire dropped acknowledged nothing the other end saw.
        if s.delivered && s.has(TcpInfo::ACK) && !s.has(TcpInfo::RST) {
            let pure = s.space() == 0;
            for a in &mut self.acks {
                if a.1 == pos && a.2 != me && a.4.is_none() && !before(s.ack, a.3) {
                    a.4 = Some(Acked { by: s.index, pure });
                }
            }
        }
        if s.space() > 0 && !s.has(TcpInfo::RST) {
            self.acks
                .push((s.index, pos, me, s.seq.wrapping_add(s.space()), None));
        }
        let c = &mut self.conns[pos];
        if s.has(TcpInfo::RST) {
            c.half[0].reset = true;
            c.half[1].reset = true;
            return;
        }
        let mine = &mut c.half[me];
        mine.actor = s.actor.clone();
        let space = s.space();
        let end = s.seq.wrapping_add(space);
        if space > 0 {
            if mine.next.is_none_or(|n| before(n, end)) {
                mine.next = Some(end);
            }
            // A segment that never arrived arms no timer at the receiver.
            let arrived = if s.delivered { s.arrived_ns } else { NEVER };
            mine.sent.push((s.seq, end, s.index, s.time_ns, arrived));
        } else if mine.next.is_none() {
            mine.next = Some(s.seq);
        }
        if !s.delivered {
            // What the other end never received changes nothing it knows.
            return;
        }
        mine.zero_window =
            (s.window == 0 && !s.has(TcpInfo::SYN)).then_some((s.index, s.arrived_ns));
        mine.last = Some((s.index, s.arrived_ns));
        if s.len > 0 {
            mine.peer_window_was_zero = false;
        }
        if s.has(TcpInfo::ACK) {
            let theirs = &mut c.half[1 - me];
            if s.window == 0 {
                theirs.peer_window_was_zero = true;
            }
            if theirs.acked.is_none_or(|a| before(a, s.ack)) {
                theirs.acked = Some(s.ack);
            }
        }
    }

    /// What is still owed: per direction, sequence space sent and not yet
    /// acknowledged (an ACK the other end's kernel holds or has yet to send).
    pub fn owed(&self) -> Vec<Owed> {
        let mut out = Vec::new();
        for c in &self.conns {
            for me in 0..2 {
                let h = &c.half[me];
                if h.reset {
                    continue;
                }
                let first = h
                    .sent
                    .iter()
                    .find(|(_, end, ..)| h.acked.is_none_or(|a| before(a, *end)));
                if let Some(&(_, _, index, sent, arrived)) = first {
                    let at = if arrived == NEVER { sent } else { arrived };
                    let by = c.half[1 - me].actor.clone();
                    out.push(Owed {
                        by: if by.is_empty() { "kernel".into() } else { by },
                        since: index,
                        since_ns: at,
                    });
                }
            }
        }
        out
    }
}

/// The sentence a timer-caused frame's timing note gets.
pub fn explain(cause: &TimerCause, actor: &str) -> String {
    let ms = cause.delay_ns as f64 / 1e6;
    let armed = cause.armed_by;
    match cause.timer {
        Timer::DelayedAck => format!(
            "Sent by {actor}'s delayed-ACK timer, armed when #{armed} arrived: {actor}'s kernel held the ACK hoping to send it with data of its own, none came, and after {ms:.1} ms the timer sent it alone. (Linux's delayed-ACK timer waits 40 ms at least, 200 ms at most.)"
        ),
        Timer::Retransmission if cause.dup_acks > 0 => format!(
            "Sent by {actor}'s retransmission timer: this repeats sequence space first sent in #{armed}, which was not acknowledged in time; it left {ms:.1} ms after that copy. {} had asked for these bytes, but it did not leave as one arrived: not a fast retransmit.",
            dup_acks(cause.dup_acks)
        ),
        Timer::Retransmission => format!(
            "Sent by {actor}'s retransmission timer: this repeats sequence space first sent in #{armed}, which was not acknowledged in time; it left {ms:.1} ms after that copy (the RTO, or a tail-loss probe)."
        ),
        Timer::FastRetransmit => {
            let (copy, since_copy) = cause.copy.unwrap_or((armed, cause.delay_ns));
            let threshold = if cause.dup_acks >= 3 {
                "three duplicate ACKs are the signal RFC 5681 waits for: one or two could be mere reordering".to_string()
            } else {
                format!(
                    "only {}, fewer than the classic three: Linux also weighs which later segments SACK says arrived, and when they were sent (RACK), and judged this one lost",
                    cause.dup_acks
                )
            };
            format!(
                "Sent by {actor}'s kernel in answer to the duplicate ACKs, not by a timer: a fast retransmit. {} (the last, #{armed}) asked again for these bytes while their SACK blocks said later ones had arrived; {threshold}. It left {} after #{armed}, {} after the lost copy #{copy} — far sooner than a retransmission timeout (200 ms at least on Linux).",
                dup_acks(cause.dup_acks),
                micros(cause.delay_ns),
                micros(since_copy)
            )
        }
        Timer::SynRetransmission => format!(
            "Sent by {actor}'s SYN retransmission timer: the SYN of #{armed} got no answer, so the kernel sends it again, {ms:.1} ms later (1 s on Linux, doubling each time)."
        ),
        Timer::SynAckRetransmission => format!(
            "Sent by the listener's SYN-ACK retransmission timer: the SYN+ACK of #{armed} was not acknowledged, so it is sent again, {ms:.1} ms later."
        ),
        Timer::ZeroWindowProbe => format!(
            "Sent by {actor}'s persist timer, {ms:.1} ms after #{armed}: the peer's window is 0, so {actor} may not send data, and probes with a segment the peer must answer, to learn when the window opens."
        ),
        Timer::Keepalive => format!(
            "Sent by {actor}'s keepalive timer, {ms:.1} ms after the connection's last frame #{armed}: it asks the peer to answer, to learn whether it is still there."
        ),
        Timer::FinAfterClose => format!(
            "Left {ms:.1} ms after {actor}'s close() (#{armed}) returned: close() does not wait, and the FIN goes out only behind the data still queued, as the peer's window lets it."
        ),
    }
}

/// What followed a data segment or FIN within its own step: the frame that
/// acknowledged it, or that none did yet (`in_step`: whether `acked` is one
/// of the step's frames).
pub fn explain_followed(acked: Option<Acked>, in_step: bool, to: &str) -> String {
    match acked {
        Some(a) if in_step && a.pure => {
            format!(
                "In this capture #{} acknowledged it, a pure ACK of its own.",
                a.by
            )
        }
        Some(a) if in_step => format!(
            "In this capture the ACK rode on #{}, which carries data or a FIN of its own.",
            a.by
        ),
        _ => format!(
            "In this capture no frame of this step acknowledges it: {to}'s kernel is holding the ACK."
        ),
    }
}

/// The sentence for new data that waited after its send() returned.
pub fn explain_held(h: &Held, actor: &str) -> String {
    let ms = h.held_ns as f64 / 1e6;
    if h.window {
        format!(
            "Queued by {actor}'s send() (#{}) and held {ms:.1} ms after it returned: the peer's receive window was full (0), and #{} opened it again.",
            h.call, h.released_by
        )
    } else if !h.small {
        format!(
            "Queued by {actor}'s send() (#{}) and sent {ms:.1} ms after it returned, the moment #{} arrived: each acknowledgement lets a sender put more unacknowledged data in flight (how much is bounded by the receiver's window and by the sender's congestion window).",
            h.call, h.released_by
        )
    } else {
        format!(
            "Queued by {actor}'s send() (#{}) and held {ms:.1} ms after it returned: Nagle's algorithm keeps a small segment back while earlier data is unacknowledged, and #{} acknowledged it — this segment left the moment it arrived.",
            h.call, h.released_by
        )
    }
}

#[cfg(test)]
mod tests;

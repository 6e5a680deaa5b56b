//! TCP streams, not only segments: each direction's bytes put back in
//! sequence order (retransmitted and overlapping bytes taken once, a segment
//! that arrives early held until the gap fills), cut into application
//! messages where the protocol says they end. A message is decoded at the
//! segment that completes it; every segment that carried part of it is
//! remembered, as Wireshark's "reassembled PDU".
//!
//! Pure and bounded: no I/O, and a direction holds at most `MAX_HELD` bytes
//! waiting for a message's end (past that the bytes are given up on).

use std::collections::BTreeMap;
use std::net::SocketAddr;

use super::app::{self, Dialogue, Framing, Message, Protocol, Side};
use crate::recent::Recent;

/// Bytes one direction may hold for an unfinished message or a gap.
pub const MAX_HELD: usize = 1 << 20;
/// Segments one direction may hold after a gap.
const MAX_EARLY: usize = 256;

/// One TCP segment, as the reassembler needs it.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
    /// Where the payload starts in the frame.
    pub payload_offset: usize,
    /// The transcript event of the frame (1-based).
    pub event: usize,
}

/// A part of a message: `len` bytes from event `event`, at `frame_offset`
/// in that frame and `at` in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub event: usize,
    pub frame_offset: usize,
    pub at: usize,
    pub len: usize,
}

/// A message decoded from bytes of more than one segment (or completed by
/// the connection's end): its layer's offsets count from the message's
/// first byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reassembled {
    pub message: Message,
    pub bytes: Vec<u8>,
    pub parts: Vec<Part>,
}

/// What one segment brought.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    /// Whole messages inside this segment, offsets in the frame, in order.
    pub messages: Vec<Message>,
    /// Messages this segment completed that began in earlier ones.
    pub reassembled: Vec<Reassembled>,
    /// Bytes of this segment that belong to a message not complete yet:
    /// (frame offset, length, bytes of that message so far).
    pub pending: Option<(usize, usize, usize)>,
    /// Bytes of this segment that were already received (a retransmission
    /// or an overlap), taken once.
    pub repeated: usize,
    /// Bytes held because an earlier segment is missing.
    pub early: usize,
    /// Bytes given up on: more than `MAX_HELD` without a message's end.
    pub dropped: usize,
}

#[derive(Debug, Default)]
struct Direction {
    /// The raw sequence number of the next byte expected.
    next: Option<u32>,
    /// Bytes in order, not yet cut into messages, and where they came from.
    buf: Vec<u8>,
    parts: Vec<Part>,
    /// Segments that came before a gap: raw sequence number → (bytes,
    /// event, frame offset).
    early: BTreeMap<u32, (Vec<u8>, usize, usize)>,
    ended: bool,
}

#[derive(Debug)]
struct Connection {
    protocol: Protocol,
    /// Index 0: client → server, 1: server → client.
    dirs: [Direction; 2],
    dialogue: Dialogue,
}

/// Every connection's reassembly, keyed by (client, server): of the most
/// recently active ones (see `recent::FLOWS`).
#[derive(Debug, Default)]
pub struct Streams {
    conns: Recent<(SocketAddr, SocketAddr), Connection>,
}

impl Streams {
    /// Feeds one segment of a connection whose server side (the well-known
    /// or lesson-declared port) is `server` and which carries `protocol`.
    pub fn segment(
        &mut self,
        protocol: Protocol,
        server: SocketAddr,
        seg: &Segment<'_>,
    ) -> Outcome {
        let side = if seg.dst == server {
            Side::Client
        } else {
            Side::Server
        };
        let key = match side {
            Side::Client => (seg.src, seg.dst),
            Side::Server => (seg.dst, seg.src),
        };
        let conn = self.conns.get_or_insert_with(key, || Connection {
            protocol,
            dirs: Default::default(),
            dialogue: Dialogue::default(),
        });
        // A new connection on the same addresses (after the old one ended).
        if seg.syn && conn.dirs.iter().any(|d| d.ended) {
            *conn = Connection {
                protocol,
                dirs: Default::default(),
                dialogue: Dialogue::default(),
            };
        }
        let d = usize::from(side == Side::Server);
        conn.feed(d, side, seg)
    }
}

impl Connection {
    fn feed(&mut self, d: usize, side: Side, seg: &Segment<'_>) -> Outcome {
        let mut out = Outcome::default();
        let dir = &mut self.dirs[d];
        let data_seq = if seg.syn {
            seg.seq.wrapping_add(1)
        } else {
            seg.seq
        };
        let next = *dir.next.get_or_insert(data_seq);
        let mut payload = seg.payload;
        let mut frame_offset = seg.payload_offset;
        // Bytes before `next` were had already.
        let behind = next.wrapping_sub(data_seq) as i32;
        if behind > 0 {
            let skip = (behind as usize).min(payload.len());
            out.repeated = skip;
            payload = &payload[skip..];
            frame_offset += skip;
        } else if behind < 0 && !payload.is_empty() {
            // A gap: hold the segment until the bytes before it arrive.
            let held: usize = dir.early.values().map(|v| v.0.len()).sum();
            if held + payload.len() > MAX_HELD || dir.early.len() >= MAX_EARLY {
                out.dropped = payload.len();
            } else {
                dir.early
                    .insert(data_seq, (payload.to_vec(), seg.event, frame_offset));
                out.early = payload.len();
            }
            return out;
        }
        let own_start = dir.buf.len();
        if !payload.is_empty() {
            dir.append(payload, seg.event, frame_offset);
            dir.next = Some(next.wrapping_add(payload.len() as u32));
        }
        dir.fill_from_early();
        let own_end = own_start + payload.len();
        if seg.fin || seg.rst {
            dir.ended = true;
        }
        self.cut(d, side, seg.event, own_start..own_end, &mut out);
        let dir = &mut self.dirs[d];
        if dir.buf.len() > MAX_HELD {
            out.dropped += dir.buf.len();
            dir.buf.clear();
            dir.parts.clear();
        }
        out
    }

    /// Cuts the whole messages off the front of direction `d`'s bytes.
    /// `own` is the range of the buffer this segment brought.
    fn cut(
        &mut self,
        d: usize,
        side: Side,
        event: usize,
        own: core::ops::Range<usize>,
        out: &mut Outcome,
    ) {
        let mut taken = 0usize;
        loop {
            let dir = &self.dirs[d];
            let rest = &dir.buf[taken..];
            if rest.is_empty() {
                break;
            }
            let n = match app::next_len(self.protocol, side, rest, &self.dialogue, true) {
                Framing::Complete(n) => n.clamp(1, rest.len()),
                // The connection's end completes what is left.
                Framing::NeedMore if dir.ended => rest.len(),
                Framing::NeedMore => break,
            };
            let range = taken..taken + n;
            let parts = parts_of(&dir.parts, range.clone());
            let bytes = dir.buf[range.clone()].to_vec();
            let inside = range.start >= own.start
                && range.end <= own.end
                && parts.len() == 1
                && parts[0].event == event;
            if inside {
                let base = parts[0].frame_offset;
                let m = app::decode(self.protocol, side, &bytes, base, &mut self.dialogue, true);
                out.messages.push(m);
            } else {
                let m = app::decode(self.protocol, side, &bytes, 0, &mut self.dialogue, true);
                out.reassembled.push(Reassembled {
                    message: m,
                    bytes,
                    parts,
                });
            }
            taken += n;
        }
        let dir = &mut self.dirs[d];
        dir.buf.drain(..taken);
        dir.parts = dir
            .parts
            .iter()
            .filter(|p| p.at + p.len > taken)
            .map(|p| {
                let cut = taken.saturating_sub(p.at);
                Part {
                    event: p.event,
                    frame_offset: p.frame_offset + cut,
                    at: p.at + cut - taken,
                    len: p.len - cut,
                }
            })
            .collect();
        // This segment's bytes still waiting for their message's end.
        if let Some(p) = dir.parts.iter().find(|p| p.event == event) {
            out.pending = Some((p.frame_offset, p.len, dir.buf.len()));
        }
    }
}

impl Direction {
    fn append(&mut self, bytes: &[u8], event: usize, frame_offset: usize) {
        self.parts.push(Part {
            event,
            frame_offset,
            at: self.buf.len(),
            len: bytes.len(),
        });
        self.buf.extend_from_slice(bytes);
    }

    /// Takes held segments that now follow on, trimming what overlaps.
    fn fill_from_early(&mut self) {
        loop {
            let Some(next) = self.next else { return };
            let ready = self
                .early
                .iter()
                .find(|(seq, _)| (seq.wrapping_sub(next) as i32) <= 0)
                .map(|(seq, _)| *seq);
            let Some(seq) = ready else { return };
            let Some((bytes, event, off)) = self.early.remove(&seq) else {
                return;
            };
            let skip = next.wrapping_sub(seq) as usize;
            if let Some(tail) = bytes.get(skip..).filter(|t| !t.is_empty()) {
                self.append(tail, event, off + skip);
                self.next = Some(next.wrapping_add(tail.len() as u32));
            }
        }
    }
}

/// The parts of `parts` (buffer positions) inside `range`, re-based to the range.
fn parts_of(parts: &[Part], range: core::ops::Range<usize>) -> Vec<Part> {
    parts
        .iter()
        .filter(|p| p.at < range.end && p.at + p.len > range.start)
        .map(|p| {
            let start = p.at.max(range.start);
            let end = (p.at + p.len).min(range.end);
            Part {
                event: p.event,
                frame_offset: p.frame_offset + (start - p.at),
                at: start - range.start,
                len: end - start,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: &str = "127.0.0.1:40000";
    const SERVER: &str = "127.0.0.1:80";

    fn seg<'a>(from_client: bool, seq: u32, payload: &'a [u8], event: usize) -> Segment<'a> {
        let (c, s) = (CLIENT.parse().unwrap(), SERVER.parse().unwrap());
        Segment {
            src: if from_client { c } else { s },
            dst: if from_client { s } else { c },
            seq,
            syn: false,
            fin: false,
            rst: false,
            payload,
            payload_offset: 66,
            event,
        }
    }

    fn feed(st: &mut Streams, s: Segment<'_>) -> Outcome {
        st.segment(Protocol::Http, SERVER.parse().unwrap(), &s)
    }

    #[test]
    fn two_messages_in_one_segment_and_one_in_two() {
        let mut st = Streams::default();
        let mut syn = seg(true, 999, b"", 1);
        syn.syn = true;
        feed(&mut st, syn);
        let two = b"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
        let o = feed(&mut st, seg(true, 1000, two, 2));
        assert_eq!(o.messages.len(), 2);
        assert_eq!(o.messages[0].layer.offset, 66);
        assert_eq!(o.messages[1].layer.offset, 66 + 19);
        assert_eq!(o.pending, None);
        // One request in two segments.
        let o = feed(&mut st, seg(true, 1038, b"GET /c HT", 3));
        assert!(o.messages.is_empty());
        assert_eq!(o.pending, Some((66, 9, 9)));
        let o = feed(&mut st, seg(true, 1047, b"TP/1.1\r\n\r\n", 4));
        assert_eq!(o.reassembled.len(), 1);
        let r = &o.reassembled[0];
        assert_eq!(r.bytes, b"GET /c HTTP/1.1\r\n\r\n");
        assert_eq!(
            r.parts,
            [
                Part {
                    event: 3,
                    frame_offset: 66,
                    at: 0,
                    len: 9
                },
                Part {
                    event: 4,
                    frame_offset: 66,
                    at: 9,
                    len: 10
                }
            ]
        );
        assert_eq!(r.message.layer.value("request.URI"), Some("/c"));
        assert_eq!(r.message.layer.offset, 0);
    }

    #[test]
    fn retransmissions_overlaps_and_gaps() {
        let mut st = Streams::default();
        let o = feed(&mut st, seg(true, 1, b"GET /a HT", 1));
        assert_eq!(o.pending, Some((66, 9, 9)));
        // The same bytes again, then an overlap carrying the rest.
        let o = feed(&mut st, seg(true, 1, b"GET /a HT", 2));
        assert_eq!(o.repeated, 9);
        let o = feed(&mut st, seg(true, 6, b"a HTTP/1.1\r\n\r\n", 3));
        assert_eq!(o.repeated, 4);
        let r = &o.reassembled[0];
        assert_eq!(r.bytes, b"GET /a HTTP/1.1\r\n\r\n");
        assert_eq!(
            r.parts[1],
            Part {
                event: 3,
                frame_offset: 70,
                at: 9,
                len: 10
            }
        );
        // A segment after a gap waits for the bytes before it.
        let o = feed(&mut st, seg(true, 32, b"1.1\r\n\r\n", 4));
        assert_eq!(o.early, 7);
        assert!(o.reassembled.is_empty() && o.messages.is_empty());
        let o = feed(&mut st, seg(true, 20, b"GET /b HTTP/", 5));
        assert_eq!(o.reassembled.len(), 1);
        assert_eq!(o.reassembled[0].bytes, b"GET /b HTTP/1.1\r\n\r\n");
        assert_eq!(o.reassembled[0].parts[1].event, 4);
    }

    #[test]
    fn a_syn_after_the_end_starts_a_new_stream() {
        let mut st = Streams::default();
        let mut fin = seg(true, 1, b"GET /a HT", 1);
        fin.fin = true;
        // The end completes the message the same segment carries.
        assert_eq!(feed(&mut st, fin).messages.len(), 1);
        // The same ports again, new sequence numbers: nothing of the old
        // stream is left.
        let mut syn = seg(true, 5000, b"", 2);
        syn.syn = true;
        feed(&mut st, syn);
        let o = feed(&mut st, seg(true, 5001, b"GET /b HTTP/1.1\r\n\r\n", 3));
        assert_eq!(o.messages.len(), 1);
        assert_eq!(o.messages[0].layer.value("request.URI"), Some("/b"));
    }

    #[test]
    fn the_end_of_the_connection_completes_a_response_without_length() {
        let mut st = Streams::default();
        let o = feed(&mut st, seg(false, 1, b"HTTP/1.0 200 OK\r\n\r\nbody", 1));
        assert!(o.messages.is_empty());
        let mut fin = seg(false, 26, b"", 2);
        fin.fin = true;
        let o = feed(&mut st, fin);
        assert_eq!(o.reassembled.len(), 1);
        assert_eq!(
            o.reassembled[0].message.layer.value("body"),
            Some("\"body\"")
        );
        assert_eq!(o.reassembled[0].parts[0].event, 1);
    }
}

//! Seeded, bounded fuzzing in `cargo test`: the real frames, lessons and
//! transcripts of the corpus, mutated (bit flips, truncations, length-field
//! tweaks, splices, …) by a small deterministic PRNG, through the properties
//! of fuzz/oracle.rs (no panic; every field inside its layer; layers do not
//! overlap; check, plan and replay agree).
//!
//! By default each target runs a fixed number of inputs from a fixed seed, so
//! a failure reproduces. For a long run (docs/fuzzing.md):
//!
//!     NETCOURSE_FUZZ_SECONDS=3600 cargo test --test fuzz -- --nocapture
//!
//! runs each target for that long, from a seed taken from the clock unless
//! `NETCOURSE_FUZZ_SEED` gives one. Every failing input is saved (the path
//! is printed) to be replayed with `NETCOURSE_FUZZ_REPLAY=FILE`.

#[path = "../fuzz/oracle.rs"]
mod oracle;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// xorshift64*: deterministic, no crate needed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// 0..n (0 when n is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Values that sit on the edges length and type fields are checked against.
const EDGE_BYTES: &[u8] = &[
    0, 1, 2, 3, 4, 5, 6, 8, 0x0f, 0x10, 0x14, 0x28, 0x3c, 0x7f, 0x80, 0xfe, 0xff,
];

/// Byte mutations, for frames and (as raw bytes) for text files.
fn mutate_bytes(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    let len = input.len();
    match rng.below(9) {
        // Bit flips.
        0 => {
            for _ in 0..=rng.below(4) {
                if len > 0 {
                    let i = rng.below(len);
                    input[i] ^= 1 << rng.below(8);
                }
            }
        }
        // A byte set to an edge value or noise.
        1 => {
            if len > 0 {
                let i = rng.below(len);
                input[i] = if rng.chance(2) {
                    *rng.pick(EDGE_BYTES)
                } else {
                    rng.next() as u8
                };
            }
        }
        // Truncation, often in the headers.
        2 => {
            let cut = if rng.chance(2) {
                rng.below(len.min(80) + 1)
            } else {
                rng.below(len + 1)
            };
            input.truncate(cut);
        }
        // A length field tweak: a 16-bit (or 8-bit) field in the headers set
        // to an edge, or to a length this very input makes meaningful.
        3 | 4 => {
            if len >= 2 {
                let at = rng.below(len.min(80) - 1);
                let edges = [0, 1, 7, 8, 19, 20, 39, 40, len - at, len, len + 1, 0xffff];
                let v = (*rng.pick(&edges)).min(0xffff) as u16;
                if rng.chance(3) {
                    input[at] = v as u8;
                } else {
                    input[at..at + 2].copy_from_slice(&v.to_be_bytes());
                }
            }
        }
        // Splice: this input's head, another's tail.
        5 => {
            let other = rng.pick(corpus);
            let head = rng.below(len + 1);
            let tail = rng.below(other.len() + 1);
            input.truncate(head);
            input.extend_from_slice(&other[tail..]);
        }
        // Bytes inserted (noise, or a run copied from elsewhere in the input).
        6 => {
            let at = rng.below(len + 1);
            let n = 1 + rng.below(16);
            let bytes: Vec<u8> = if len > 0 && rng.chance(2) {
                let from = rng.below(len);
                input[from..(from + n).min(len)].to_vec()
            } else {
                (0..n).map(|_| rng.next() as u8).collect()
            };
            input.splice(at..at, bytes);
        }
        // Bytes removed.
        7 => {
            if len > 0 {
                let at = rng.below(len);
                let n = 1 + rng.below(16);
                input.drain(at..(at + n).min(len));
            }
        }
        // A 32-bit field set to an edge.
        _ => {
            if len >= 4 {
                let at = rng.below(len - 3);
                let v: u32 = *rng.pick(&[0, 1, 0x7fff_ffff, 0x8000_0000, u32::MAX]);
                input[at..at + 4].copy_from_slice(&v.to_be_bytes());
            }
        }
    }
}

/// Tokens that mean something to YAML, JSON, the lesson format or a terminal.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    "'",
    ": ",
    "- ",
    "\n",
    "\t",
    "#",
    "&a ",
    "*a",
    "<<: ",
    "!!binary ",
    "~",
    "null",
    "true",
    "0x",
    "-1",
    "1e999",
    "NaN",
    ".inf",
    "\u{202e}",
    "\u{200b}",
    "\u{1b}[2J",
    "\u{1b}]52;c;aGk=\u{7}",
    "\u{0}",
    "é",
    "{{",
    "}}",
    "{{x}}",
    "reply",
    "repeat: 3",
    "- call: recv",
];

/// Numbers on the edges of what a lesson or transcript checks.
const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "255",
    "256",
    "65535",
    "65536",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999",
    "0.5",
    "1e308",
];

/// Text-aware mutations: numbers, lines and tokens; falls back to bytes.
fn mutate_text(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    match rng.below(6) {
        // A number replaced by an edge.
        0 => {
            let digits: Vec<usize> = (0..input.len())
                .filter(|&i| {
                    input[i].is_ascii_digit() && (i == 0 || !input[i - 1].is_ascii_digit())
                })
                .collect();
            if !digits.is_empty() {
                let start = *rng.pick(&digits);
                let end = (start..input.len())
                    .find(|&i| !input[i].is_ascii_digit())
                    .unwrap_or(input.len());
                input.splice(start..end, rng.pick(NUMBERS).bytes());
            }
        }
        // A line deleted, duplicated, or taken from another file.
        1 | 2 => {
            let mut lines: Vec<Vec<u8>> =
                input.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
            let i = rng.below(lines.len());
            match rng.below(3) {
                0 => {
                    lines.remove(i);
                }
                1 => {
                    let line = lines[i].clone();
                    for _ in 0..=rng.below(3) {
                        lines.insert(i, line.clone());
                    }
                }
                _ => {
                    let other = rng.pick(corpus);
                    let theirs: Vec<&[u8]> = other.split(|&b| b == b'\n').collect();
                    lines.insert(i, rng.pick(&theirs).to_vec());
                }
            }
            *input = lines.join(&b'\n');
        }
        // A token inserted.
        3 => {
            let at = rng.below(input.len() + 1);
            input.splice(at..at, rng.pick(TOKENS).bytes());
        }
        _ => mutate_bytes(rng, input, corpus),
    }
}

/// Numbers on the edges of what a transcript's fields hold.
const JSON_NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "255",
    "65536",
    "4294967296",
    "9007199254740993",
    "18446744073709551615",
    "-9223372036854775808",
    "1e300",
    "0.5",
];

/// A transcript mutated as data, so it stays well-formed and reaches the
/// renderers: one node somewhere in the tree changed, written back as JSON
/// (which YAML reads too). False when `input` is neither JSON nor YAML.
fn mutate_json(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) -> bool {
    let parsed = serde_json::from_slice::<serde_json::Value>(input)
        .ok()
        .or_else(|| {
            let text = std::str::from_utf8(input).ok()?;
            serde_saphyr::from_str::<serde_json::Value>(text).ok()
        });
    let Some(mut v) = parsed else {
        return false;
    };
    mutate_node(rng, &mut v, corpus);
    *input = serde_json::to_vec_pretty(&v).expect("a Value serializes");
    true
}

fn mutate_node(rng: &mut Rng, v: &mut serde_json::Value, corpus: &[Vec<u8>]) {
    use serde_json::Value;
    // Walk down to a random node, stopping early now and then.
    match v {
        Value::Array(items) if !items.is_empty() && !rng.chance(10) => {
            let i = rng.below(items.len());
            return mutate_node(rng, &mut items[i], corpus);
        }
        Value::Object(map) if !map.is_empty() && !rng.chance(10) => {
            let key = map.keys().nth(rng.below(map.len())).cloned();
            if let Some(child) = key.and_then(|k| map.get_mut(&k)) {
                return mutate_node(rng, child, corpus);
            }
        }
        _ => {}
    }
    match v {
        Value::Array(items) => match rng.below(3) {
            0 if !items.is_empty() => {
                items.remove(rng.below(items.len()));
            }
            1 if !items.is_empty() => {
                let i = rng.below(items.len());
                let copy = items[i].clone();
                items.insert(i, copy);
            }
            _ => items.reverse(),
        },
        Value::Object(map) => {
            let key = map.keys().nth(rng.below(map.len().max(1))).cloned();
            match key {
                Some(k) if rng.chance(3) => {
                    map.remove(&k);
                }
                Some(k) => {
                    map.insert(k, Value::Null);
                }
                None => {
                    map.insert("x".into(), Value::Null);
                }
            }
        }
        Value::String(text) => {
            let is_hex = !text.is_empty()
                && text.len() % 2 == 0
                && text.bytes().all(|b| b.is_ascii_hexdigit());
            if is_hex && !rng.chance(4) {
                // Frame bytes: mutated as a frame.
                let mut bytes: Vec<u8> = (0..text.len() / 2)
                    .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap_or(0))
                    .collect();
                mutate_bytes(rng, &mut bytes, corpus);
                *text = oracle::hex(&bytes);
            } else {
                let mut bytes = text.clone().into_bytes();
                mutate_text(rng, &mut bytes, corpus);
                *text = String::from_utf8_lossy(&bytes).into_owned();
            }
        }
        Value::Number(_) | Value::Null => {
            let number: &str = JSON_NUMBERS[rng.below(JSON_NUMBERS.len())];
            *v = serde_json::from_str(number).unwrap_or(Value::Null);
        }
        Value::Bool(b) => *b = !*b,
    }
}

/// A capture file cut into its records, to be changed as data and written
/// back: a pcap's file header and records, or a pcapng's blocks. A
/// record's frame is kept apart from the numbers around it, so a frame can
/// be mutated as a frame and its lengths written to match.
struct Capture {
    /// A pcap's 24-byte file header; empty for a pcapng.
    head: Vec<u8>,
    records: Vec<Record>,
}

#[derive(Clone)]
struct Record {
    /// Its numbers are big-endian.
    big: bool,
    /// The pcapng block type; `None` in a pcap.
    block: Option<u32>,
    /// What comes before the frame: a pcap record header (16 bytes), an
    /// Enhanced or Packet block's first 20 bytes, a Simple block's 4; any
    /// other block's whole body.
    head: Vec<u8>,
    frame: Vec<u8>,
    /// A packet block's options, after the frame's padding.
    tail: Vec<u8>,
}

const PCAPNG_SHB: u32 = 0x0a0d_0d0a;

fn get_u32(b: &[u8], at: usize, big: bool) -> Option<u32> {
    let v: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(if big {
        u32::from_be_bytes(v)
    } else {
        u32::from_le_bytes(v)
    })
}

fn put_u32(b: &mut [u8], at: usize, v: u32, big: bool) {
    if let Some(field) = b.get_mut(at..at + 4) {
        field.copy_from_slice(&if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        });
    }
}

impl Capture {
    /// `None` unless `bytes` is a whole, consistent pcap or pcapng file.
    fn parse(bytes: &[u8]) -> Option<Capture> {
        let magic = bytes.get(..4)?;
        if get_u32(bytes, 0, true)? == PCAPNG_SHB {
            return Capture::parse_pcapng(bytes);
        }
        let big = match magic {
            [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => true,
            [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => false,
            _ => return None,
        };
        let mut c = Capture {
            head: bytes.get(..24)?.to_vec(),
            records: Vec::new(),
        };
        let mut at = 24;
        while at < bytes.len() {
            let caplen = get_u32(bytes, at + 8, big)? as usize;
            let frame = bytes.get(at + 16..(at + 16).checked_add(caplen)?)?;
            c.records.push(Record {
                big,
                block: None,
                head: bytes[at..at + 16].to_vec(),
                frame: frame.to_vec(),
                tail: Vec::new(),
            });
            at += 16 + caplen;
        }
        Some(c)
    }

    fn parse_pcapng(bytes: &[u8]) -> Option<Capture> {
        let mut c = Capture {
            head: Vec::new(),
            records: Vec::new(),
        };
        let (mut at, mut big) = (0, false);
        while at < bytes.len() {
            let kind = get_u32(bytes, at, true)?;
            if kind == PCAPNG_SHB {
                big = get_u32(bytes, at + 8, true)? == 0x1a2b_3c4d;
            }
            let kind = get_u32(bytes, at, big)?;
            let len = get_u32(bytes, at + 4, big)? as usize;
            if len < 12
                || !len.is_multiple_of(4)
                || get_u32(bytes, (at + len).checked_sub(4)?, big)? != len as u32
            {
                return None;
            }
            let body = bytes.get(at + 8..at + len - 4)?;
            let split = match kind {
                2 | 6 => {
                    let caplen = get_u32(body, 12, big)? as usize;
                    (caplen <= body.len().checked_sub(20)?).then_some((20, caplen))?
                }
                3 => {
                    let orig = get_u32(body, 0, big)? as usize;
                    (4, orig.min(body.len().checked_sub(4)?))
                }
                _ => (body.len(), 0),
            };
            let (head, frame) = (split.0, split.1);
            let padded = (head + frame).next_multiple_of(4).min(body.len());
            c.records.push(Record {
                big,
                block: Some(kind),
                head: body[..head].to_vec(),
                frame: body[head..head + frame].to_vec(),
                tail: body[padded..].to_vec(),
            });
            at += len;
        }
        Some(c)
    }

    /// The file, each frame's lengths made to match it (a truncated frame
    /// stays as much shorter than its length on the wire); and where each
    /// length field in it is, with its byte order.
    fn write(&self) -> (Vec<u8>, Vec<(usize, bool)>) {
        let mut out = self.head.clone();
        let mut lengths = Vec::new();
        for r in &self.records {
            let start = out.len();
            let mut head = r.head.clone();
            // (caplen, original length) offsets in the head, if it has them.
            let fields = match r.block {
                None => Some((Some(8), 12)),
                Some(2 | 6) => Some((Some(12), 16)),
                Some(3) => Some((None, 0)),
                Some(_) => None,
            };
            if let Some((cap_at, orig_at)) = fields {
                let old_orig = get_u32(&head, orig_at, r.big).unwrap_or(0);
                // A Simple block has no captured length: its original
                // length is its frame's.
                let old_cap = cap_at.map_or(old_orig, |c| get_u32(&head, c, r.big).unwrap_or(0));
                let new_cap = r.frame.len() as u32;
                let orig = new_cap.saturating_add(old_orig.saturating_sub(old_cap));
                if let Some(c) = cap_at {
                    put_u32(&mut head, c, new_cap, r.big);
                }
                put_u32(&mut head, orig_at, orig, r.big);
            }
            let Some(kind) = r.block else {
                lengths.extend([(start + 8, r.big), (start + 12, r.big)]);
                out.extend_from_slice(&head);
                out.extend_from_slice(&r.frame);
                continue;
            };
            let mut body = head;
            body.extend_from_slice(&r.frame);
            body.resize(body.len().next_multiple_of(4), 0);
            body.extend_from_slice(&r.tail);
            body.resize(body.len().next_multiple_of(4), 0);
            let len = body.len() as u32 + 12;
            out.extend_from_slice(&[0; 8]);
            put_u32(&mut out, start, kind, r.big);
            put_u32(&mut out, start + 4, len, r.big);
            out.extend_from_slice(&body);
            out.extend_from_slice(&[0; 4]);
            put_u32(&mut out, start + len as usize - 4, len, r.big);
            lengths.extend([(start + 4, r.big), (start + len as usize - 4, r.big)]);
            if let Some((cap_at, orig_at)) = fields {
                lengths.extend(cap_at.map(|c| (start + 8 + c, r.big)));
                lengths.push((start + 8 + orig_at, r.big));
            }
        }
        (out, lengths)
    }
}

/// Link types explain reads (and two it does not), for the file's or an
/// interface's link type.
const LINK_TYPES: &[u32] = &[0, 1, 2, 12, 14, 101, 108, 113, 228, 229, 276, 0xffff];

/// A capture file mutated as data, so its frames get past the reader: one
/// frame mutated as a frame, a timestamp or a link type set to an edge,
/// records removed, repeated, swapped or taken from another file; now and
/// then one length field set to an edge, for the reader. False when `input`
/// is not a whole pcap or pcapng file.
fn mutate_capture(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) -> bool {
    let Some(mut c) = Capture::parse(input) else {
        return false;
    };
    let n = c.records.len();
    let framed: Vec<usize> = (0..n)
        .filter(|&i| matches!(c.records[i].block, None | Some(2 | 3 | 6)))
        .collect();
    let mut length_edge = false;
    match rng.below(10) {
        // One frame, mutated as a frame.
        0..=3 if !framed.is_empty() => {
            let r = &mut c.records[*rng.pick(&framed)];
            mutate_bytes(rng, &mut r.frame, corpus);
        }
        // A timestamp (seconds, fraction, or a pcapng stamp's half) set to
        // an edge: time that stands still, jumps or runs backwards.
        4 if !framed.is_empty() => {
            let r = &mut c.records[*rng.pick(&framed)];
            let at = match r.block {
                None => rng.below(2) * 4,
                Some(3) => return false,
                Some(_) => 4 + rng.below(2) * 4,
            };
            let v = *rng.pick(&[
                0,
                1,
                999_999,
                1_000_000,
                999_999_999,
                1_000_000_000,
                u32::MAX,
            ]);
            put_u32(&mut r.head, at, v, r.big);
        }
        // A record removed, repeated, or two swapped.
        5 if n > 0 => {
            let (i, j) = (rng.below(n), rng.below(n));
            match rng.below(3) {
                0 => {
                    c.records.remove(i);
                }
                1 => {
                    let copy = c.records[i].clone();
                    c.records.insert(j, copy);
                }
                _ => c.records.swap(i, j),
            }
        }
        // A record of another file (of another link type, perhaps), where
        // its byte order and kind fit.
        6 => {
            let Some(other) = Capture::parse(rng.pick(corpus).as_slice()) else {
                return false;
            };
            let theirs: Vec<Record> = other
                .records
                .into_iter()
                .filter(|r| {
                    c.records.first().is_some_and(|ours| ours.big == r.big)
                        && r.block.is_some() == c.head.is_empty()
                        && r.block != Some(PCAPNG_SHB)
                })
                .collect();
            if theirs.is_empty() {
                return false;
            }
            let k = rng.below(theirs.len());
            let at = rng.below(n + 1);
            c.records.insert(at, theirs.into_iter().nth(k).unwrap());
        }
        // The link type: the pcap file's or an interface's.
        7 => {
            let v = *rng.pick(LINK_TYPES);
            let idbs: Vec<usize> = (0..n).filter(|&i| c.records[i].block == Some(1)).collect();
            if c.head.len() == 24 {
                let big = c.head[0] == 0xa1;
                put_u32(&mut c.head, 20, v, big);
            } else if !idbs.is_empty() {
                let r = &mut c.records[*rng.pick(&idbs)];
                let bytes = if r.big {
                    (v as u16).to_be_bytes()
                } else {
                    (v as u16).to_le_bytes()
                };
                if r.head.len() >= 2 {
                    r.head[..2].copy_from_slice(&bytes);
                }
            }
        }
        _ => length_edge = true,
    }
    let (mut out, lengths) = c.write();
    // One length field (a record's, a block's, its closing copy, a frame's
    // captured or original length) set to an edge, the rest left as is.
    if length_edge && !lengths.is_empty() {
        let (at, big) = *rng.pick(&lengths);
        let cur = get_u32(&out, at, big).unwrap_or(0);
        let v = *rng.pick(&[
            0,
            1,
            4,
            11,
            12,
            13,
            20,
            28,
            cur.wrapping_sub(4),
            cur.wrapping_sub(1),
            cur.wrapping_add(1),
            cur.wrapping_add(4),
            out.len() as u32,
            (1 << 20) - 1,
            1 << 20,
            (1 << 20) + 1,
            (1 << 20) + 76,
            (1 << 20) + 80,
            0xffff,
            u32::MAX,
        ]);
        put_u32(&mut out, at, v, big);
    }
    *input = out;
    true
}

/// How a target's inputs are mutated.
#[derive(Clone, Copy, PartialEq)]
enum Input {
    /// As bytes (`mutate_bytes`).
    Bytes,
    /// As text, and as data when JSON or YAML (`mutate_text`, `mutate_json`).
    Text,
    /// As a capture file: mostly record by record (`mutate_capture`).
    Capture,
}

struct Target {
    name: &'static str,
    corpus: Vec<(PathBuf, Vec<u8>)>,
    input: Input,
    /// Inputs in a default (bounded) run.
    inputs: usize,
    /// Runs one input; true when it got past the first checks (a frame read
    /// to the end, a lesson that passes `check`, a transcript replay accepts).
    run: fn(&Path, &[u8], &Path) -> bool,
    /// What `run` returning true means, for the summary line.
    deep: &'static str,
}

fn read_dir(dir: &Path, ext: &[&str]) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| ext.contains(&x))
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, bytes)
        })
        .collect()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The file's extension, as the transcript target needs it (`json`, `yaml`).
fn extension(p: &Path) -> &str {
    p.extension().and_then(|x| x.to_str()).unwrap_or("json")
}

fn dissect_target() -> Target {
    Target {
        name: "dissect",
        corpus: read_dir(&root().join("fuzz/corpus/dissect"), &["bin"]),
        input: Input::Bytes,
        inputs: 20_000,
        run: |_, bytes, _| oracle::frame(bytes),
        deep: "read to the end",
    }
}

/// One application protocol's dissector: its corpus is the messages of
/// the built-in lesson for it, plus hand-made ones (fuzz/corpus/app-NAME).
fn app_target(name: &'static str, run: fn(&Path, &[u8], &Path) -> bool) -> Target {
    Target {
        name,
        corpus: read_dir(&root().join(format!("fuzz/corpus/{name}")), &["bin"]),
        input: Input::Bytes,
        inputs: 3_000,
        run,
        deep: "decoded without a stop",
    }
}

fn lesson_target() -> Target {
    Target {
        name: "lesson",
        // The lessons netcourse ships are the corpus.
        corpus: read_dir(&root().join("lessons"), &["yaml"]),
        input: Input::Text,
        inputs: 1_500,
        run: |_, bytes, scratch| oracle::lesson(bytes, scratch),
        deep: "passed check",
    }
}

fn replay_target() -> Target {
    Target {
        name: "replay",
        corpus: read_dir(&root().join("fuzz/corpus/replay"), &["json", "yaml"]),
        input: Input::Text,
        inputs: 400,
        run: |seed_path, bytes, scratch| oracle::transcript(bytes, extension(seed_path), scratch),
        deep: "accepted by replay",
    }
}

/// How long one `netcourse explain` of a small capture may take before it
/// counts as a hang (a run takes tens of milliseconds in a debug build).
const CHILD_TIMEOUT: Duration = Duration::from_secs(30);

/// `netcourse ARGS` (`args[0]` is the program's name) as a child, as a user
/// runs it: stdout thrown away, stderr kept (in a file in `scratch`, so a
/// child that writes much cannot block on a pipe). A child still running
/// after `CHILD_TIMEOUT` is killed and fails the input as a hang.
fn netcourse_child(args: &[std::ffi::OsString], scratch: &Path) -> oracle::Ran {
    use std::process::{Command, Stdio};
    let err_path = scratch.join("stderr.txt");
    let err = std::fs::File::create(&err_path).expect("create the child's stderr file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_netcourse"))
        .args(&args[1..])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err)
        .spawn()
        .expect("start netcourse");
    // Waiting for the exit itself; a watchdog kills by pid a child that
    // outlives the bound (one that exits in that very instant may be reaped
    // first; pids are handed out in turn, so not reused that soon).
    let pid = child.id() as libc::pid_t;
    let (exited, exit_seen) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        let hung = exit_seen.recv_timeout(CHILD_TIMEOUT)
            == Err(std::sync::mpsc::RecvTimeoutError::Timeout);
        if hung {
            // SAFETY: kill(2) on our own child's pid.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        hung
    });
    let status = child.wait().expect("wait for netcourse");
    drop(exited);
    let hung = watchdog.join().expect("the watchdog");
    assert!(
        !hung,
        "netcourse {:?} did not finish within {} s: a hang",
        &args[1..],
        CHILD_TIMEOUT.as_secs()
    );
    oracle::Ran {
        code: status.code(),
        stderr: String::from_utf8_lossy(&std::fs::read(&err_path).unwrap_or_default()).into_owned(),
    }
}

/// `netcourse explain` on capture files: its corpus is small pcap and
/// pcapng files of every link type explain reads (fuzz/corpus/explain).
/// Each input starts a child, so there are few of them.
fn explain_target() -> Target {
    Target {
        name: "explain",
        corpus: read_dir(&root().join("fuzz/corpus/explain"), &["pcap", "pcapng"]),
        input: Input::Capture,
        inputs: 150,
        run: |seed_path, bytes, scratch| {
            oracle::explain(bytes, extension(seed_path), scratch, |args| {
                netcourse_child(args, scratch)
            })
        },
        deep: "explained a frame and exited 0",
    }
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    let parsed = match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => v.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={v} is not a number")))
}

/// Runs `input` through the target; on a failure saves it and fails with where.
fn check_one(t: &Target, seed_path: &Path, input: &[u8], scratch: &Path, what: &str) -> bool {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        (t.run)(seed_path, input, scratch)
    }));
    if let Ok(deep) = outcome {
        return deep;
    }
    let dir = std::env::temp_dir().join("netcourse-fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let file = dir.join(format!("{}-{hash:016x}.{}", t.name, extension(seed_path)));
    let saved = match std::fs::write(&file, input) {
        Ok(()) => format!(
            "the input is saved in {0}: replay it with NETCOURSE_FUZZ_REPLAY={0}",
            file.display()
        ),
        Err(e) => format!(
            "the input could not be saved in {} ({e}); as hex: {}",
            file.display(),
            oracle::hex(input)
        ),
    };
    panic!(
        "fuzz target `{}` failed on {what} (mutated from {}); {saved}",
        t.name,
        seed_path.display()
    );
}

/// Every seed as it is, then mutants until the input count (or, with
/// NETCOURSE_FUZZ_SECONDS, the time) is used up. Returns the inputs run.
fn fuzz(t: Target) -> u64 {
    assert!(
        !t.corpus.is_empty(),
        "the `{}` corpus is empty: the fuzz test would test nothing",
        t.name
    );
    let scratch = oracle::scratch_dir().join(t.name);
    std::fs::create_dir_all(&scratch).unwrap();
    let seconds = env_u64("NETCOURSE_FUZZ_SECONDS");
    let seed = env_u64("NETCOURSE_FUZZ_SEED").unwrap_or_else(|| match seconds {
        Some(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
        None => 0x6e65_7463_6f75_7273,
    });
    // A saved failure, replayed: just that input, by the target that made it.
    if let Ok(file) = std::env::var("NETCOURSE_FUZZ_REPLAY") {
        let path = PathBuf::from(file);
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(t.name))
        {
            let input = std::fs::read(&path).unwrap();
            check_one(&t, &path, &input, &scratch, "the replayed input");
            return 1;
        }
        return 0;
    }
    let deadline = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    // NETCOURSE_FUZZ_INPUTS: this many inputs per target instead of the default.
    let inputs = env_u64("NETCOURSE_FUZZ_INPUTS").unwrap_or(t.inputs as u64);
    let all: Vec<Vec<u8>> = t.corpus.iter().map(|(_, b)| b.clone()).collect();
    let mut rng = Rng::new(seed ^ t.name.len() as u64);
    let (mut count, mut deep) = (0u64, 0u64);
    for (path, bytes) in &t.corpus {
        deep += u64::from(check_one(
            &t,
            path,
            bytes,
            &scratch,
            "a corpus file as it is",
        ));
        count += 1;
    }
    let started = Instant::now();
    loop {
        let done = match deadline {
            Some(d) => Instant::now() >= d,
            None => count >= inputs,
        };
        if done {
            break;
        }
        let (path, seed_bytes) = rng.pick(&t.corpus);
        let mut input = seed_bytes.clone();
        // A JSON file is mostly changed as data (so it stays JSON and gets
        // past the parser), now and then as text; a capture file mostly
        // record by record (so the frames get past the reader), now and
        // then as bytes.
        let as_data = t.input != Input::Bytes && !rng.chance(4);
        for _ in 0..=rng.below(4) {
            match t.input {
                Input::Bytes => mutate_bytes(&mut rng, &mut input, &all),
                Input::Text => {
                    if !(as_data && mutate_json(&mut rng, &mut input, &all)) {
                        mutate_text(&mut rng, &mut input, &all);
                    }
                }
                Input::Capture => {
                    if !(as_data && mutate_capture(&mut rng, &mut input, &all)) {
                        mutate_bytes(&mut rng, &mut input, &all);
                    }
                }
            }
        }
        let what = format!("input {count} of seed {seed:#x}");
        deep += u64::from(check_one(&t, path, &input, &scratch, &what));
        count += 1;
    }
    let _ = std::fs::remove_dir_all(&scratch);
    // The per-process directory goes with the last target to finish.
    if let Some(parent) = scratch.parent() {
        let _ = std::fs::remove_dir(parent);
    }
    eprintln!(
        "fuzz {}: {count} inputs ({deep} {}) from seed {seed:#x} in {:.1} s, no failure",
        t.name,
        t.deep,
        started.elapsed().as_secs_f64()
    );
    count
}

/// Inputs were run (none only when replaying another target's failure).
fn ran(count: u64) -> bool {
    count > 0 || std::env::var_os("NETCOURSE_FUZZ_REPLAY").is_some()
}

#[test]
fn dissector_keeps_every_field_inside_its_layer() {
    assert!(ran(fuzz(dissect_target())));
}

#[test]
fn app_dns_never_panics_and_keeps_fields_inside() {
    assert!(ran(fuzz(app_target("app-dns", |_, b, _| oracle::app(
        "dns", b
    )))));
}

#[test]
fn app_http_never_panics_and_keeps_fields_inside() {
    assert!(ran(fuzz(app_target("app-http", |_, b, _| oracle::app(
        "http", b
    )))));
}

#[test]
fn app_smtp_never_panics_and_keeps_fields_inside() {
    assert!(ran(fuzz(app_target("app-smtp", |_, b, _| oracle::app(
        "smtp", b
    )))));
}

#[test]
fn app_ftp_never_panics_and_keeps_fields_inside() {
    assert!(ran(fuzz(app_target("app-ftp", |_, b, _| oracle::app(
        "ftp", b
    )))));
}

#[test]
fn app_telnet_never_panics_and_keeps_fields_inside() {
    assert!(ran(fuzz(app_target("app-telnet", |_, b, _| oracle::app(
        "telnet", b
    )))));
}

#[test]
fn lesson_check_and_plan_agree_and_never_panic() {
    assert!(ran(fuzz(lesson_target())));
}

#[test]
fn replay_accepts_what_it_exports_and_never_panics() {
    assert!(ran(fuzz(replay_target())));
}

#[test]
fn explain_never_panics_and_names_where_a_file_is_damaged() {
    assert!(ran(fuzz(explain_target())));
}

#[test]
fn captures_are_written_back_as_they_were_read() {
    let corpus = explain_target().corpus;
    for (path, bytes) in &corpus {
        let c = Capture::parse(bytes).unwrap_or_else(|| panic!("{} parses", path.display()));
        assert!(c.records.len() > 1, "{}", path.display());
        assert!(
            c.write().0 == *bytes,
            "{} is written back byte for byte",
            path.display()
        );
    }
    // Most mutations as data apply (the others fall back to bytes), and
    // change the file, the same way from the same seed.
    let all: Vec<Vec<u8>> = corpus.iter().map(|(_, b)| b.clone()).collect();
    let run = || {
        let mut rng = Rng::new(7);
        (0..300)
            .map(|i| {
                let mut input = all[i % all.len()].clone();
                mutate_capture(&mut rng, &mut input, &all).then_some(input)
            })
            .collect::<Vec<_>>()
    };
    let mutants = run();
    assert!(mutants == run());
    let applied = mutants.iter().flatten().count();
    let changed = (0..300)
        .filter(|&i| {
            mutants[i]
                .as_ref()
                .is_some_and(|m| *m != all[i % all.len()])
        })
        .count();
    assert!(
        applied > 250 && changed > 200,
        "{applied} of 300 applied, {changed} changed"
    );
}

#[test]
fn the_prng_and_mutations_are_deterministic() {
    let corpus = vec![b"abc: 12\nx: 3".to_vec(), vec![0u8; 60]];
    let run = || {
        let mut rng = Rng::new(42);
        let mut out = Vec::new();
        for i in 0..200 {
            let mut input = corpus[i % 2].clone();
            mutate_text(&mut rng, &mut input, &corpus);
            mutate_bytes(&mut rng, &mut input, &corpus);
            out.push(input);
        }
        out
    };
    let (a, b) = (run(), run());
    assert_eq!(a, b);
    // The mutations do change inputs.
    assert!(a.iter().filter(|m| !corpus.contains(m)).count() > 150);
}

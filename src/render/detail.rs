//! Levels of detail: what the outputs that print prose keep of an event's
//! notes. The transcript always carries everything; a level only chooses.
//!
//! - `brief`: a line per event, the narration, the lesson's own notes.
//! - `normal`: brief, plus the first sentences of the semantics, the timing
//!   that matters (what the event answers, what must follow), and the
//!   syntax of the fields that matter or changed. A header's every field is
//!   listed the first time it appears, and referred to after that.
//! - `full`: every note, as written.
//!
//! The notes are prose written by the annotator (and the lesson's rules);
//! this module picks from them by structure — paragraphs, sentences, the
//! dissected fields — never by matching their wording.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::recent::Recent;
use crate::text::push_u64;

use crate::transcript::{Event, EventKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, clap::ValueEnum)]
pub enum Detail {
    Brief,
    #[default]
    Normal,
    Full,
}

impl Detail {
    pub fn more(self) -> Detail {
        match self {
            Detail::Brief => Detail::Normal,
            _ => Detail::Full,
        }
    }
    pub fn less(self) -> Detail {
        match self {
            Detail::Full => Detail::Normal,
            _ => Detail::Brief,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Detail::Brief => "brief",
            Detail::Normal => "normal",
            Detail::Full => "full",
        }
    }
}

/// The paragraphs of a note (split at blank lines).
pub fn paragraphs(text: &str) -> Vec<&str> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// The sentences of `text`: a sentence ends at `.`, `!` or `?` (after any
/// closing quote or bracket) followed by a space and a capital letter, a
/// digit, a quote or a bracket — so `0.101 ms`, `e.g. this` and
/// `(RFC 6528), so` stay whole.
pub fn sentences(text: &str) -> Vec<&str> {
    sentence_iter(text).collect()
}

/// `sentences`, found one at a time: a caller that wants the first few
/// does not scan the rest of the note.
fn sentence_iter(text: &str) -> impl Iterator<Item = &str> {
    // Byte positions: every mark looked for is ASCII except the closing
    // quotes, whose lengths are added whole, so each index stays on a
    // character boundary. Every frame's notes pass through here.
    let b = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    std::iter::from_fn(move || {
        while let Some(at) = next_mark(b, i) {
            i = at;
            let mut j = i + 1;
            loop {
                let rest = &text[j..];
                if rest.starts_with(['"', ')']) {
                    j += 1;
                } else if rest.starts_with(['”', '’']) {
                    j += '”'.len_utf8();
                } else {
                    break;
                }
            }
            if b.get(j) == Some(&b' ')
                && text[j + 1..].chars().next().is_some_and(|n| {
                    n.is_uppercase() || n.is_ascii_digit() || matches!(n, '"' | '(' | '`' | '“')
                })
            {
                let word_before = text[start..i].rsplit(' ').next().unwrap_or("");
                let abbreviation = ["e.g", "i.e", "vs", "etc"]
                    .iter()
                    .any(|a| word_before.eq_ignore_ascii_case(a));
                if !abbreviation {
                    let sentence = text[start..j].trim();
                    start = j + 1;
                    i = j + 1;
                    return Some(sentence);
                }
            }
            i += 1;
        }
        if start < b.len() {
            let rest = text[start..].trim();
            start = b.len();
            if !rest.is_empty() {
                return Some(rest);
            }
        }
        None
    })
}

/// Where the next `.`, `!` or `?` is in `b` from `i` on: eight bytes at a
/// time (a frame's notes are a few hundred bytes, read for every frame).
fn next_mark(b: &[u8], mut i: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A high bit in every byte of `x` equal to `c`; a false one only above
    // a true one, so the lowest marked byte is the first that is `c`.
    let equal = |x: u64, c: u8| {
        let y = x ^ (ONES * u64::from(c));
        y.wrapping_sub(ONES) & !y & HIGH
    };
    while let Some(chunk) = b.get(i..i + 8) {
        let x = u64::from_le_bytes(chunk.try_into().ok()?);
        let found = equal(x, b'.') | equal(x, b'!') | equal(x, b'?');
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?
        .iter()
        .position(|c| matches!(c, b'.' | b'!' | b'?'))
        .map(|p| i + p)
}

/// At most `n` sentences of `text`, and no more than `max` characters
/// (always at least the first sentence).
pub fn first_sentences(text: &str, n: usize, max: usize) -> String {
    let mut out = String::new();
    first_sentences_into(&mut out, text, n, max);
    out
}

/// `first_sentences`, appended to `out`.
fn first_sentences_into(out: &mut String, text: &str, n: usize, max: usize) {
    let start = out.len();
    for s in sentence_iter(text).take(n) {
        let len = out.len() - start;
        if len > 0 && len + 1 + s.len() > max {
            break;
        }
        if len > 0 {
            out.push(' ');
        }
        out.push_str(s);
    }
}

/// The built-in semantics of a call without the step's narration (which
/// the lesson put first).
pub fn call_semantics<'a>(e: &'a Event, say: Option<&str>) -> &'a str {
    let text = e.notes.semantics.as_str();
    match say.and_then(|s| text.strip_prefix(s.trim_end())) {
        Some(rest) => rest.trim_start(),
        None => text,
    }
}

/// The built-in part of a note: `note` without what the lesson's rules
/// appended to it (the rules' text is shown on its own).
fn built_in<'a>(note: &'a str, from_lesson: &str) -> &'a str {
    if from_lesson.is_empty() {
        return note;
    }
    note.strip_suffix(from_lesson)
        .map(str::trim_end)
        .unwrap_or(note)
}

/// The semantics worth a line at `normal`: one or two sentences of the
/// first paragraph of the built-in notes.
pub fn short_semantics(e: &Event, say: Option<&str>) -> String {
    let mut out = String::new();
    short_semantics_into(&mut out, e, say);
    out
}

/// `short_semantics`, appended to `out`.
pub fn short_semantics_into(out: &mut String, e: &Event, say: Option<&str>) {
    let text = match e.kind {
        EventKind::Call => call_semantics(e, say),
        EventKind::Frame => e.notes.semantics.as_str(),
    };
    let text = built_in(text, &e.from_lesson.semantics);
    first_sentences_into(out, first_paragraph(text), 2, 130);
}

/// `paragraphs(text)[0]`, or "": found by the newlines alone (memchr),
/// as a frame's semantics are long.
fn first_paragraph(text: &str) -> &str {
    let mut rest = text;
    loop {
        let bytes = rest.as_bytes();
        let mut from = 0;
        let end = loop {
            match rest[from..].find('\n') {
                Some(i) if bytes.get(from + i + 1) == Some(&b'\n') => break Some(from + i),
                Some(i) => from += i + 1,
                None => break None,
            }
        };
        let paragraph = rest[..end.unwrap_or(rest.len())].trim();
        match end {
            _ if !paragraph.is_empty() => return paragraph,
            Some(end) => rest = &rest[end + 2..],
            None => return "",
        }
    }
}

/// The timing that matters at `normal`: for a frame, what must follow (the
/// note's closing sentences after when and why it was sent); for a call,
/// what it put on the wire. The clock itself is on the event's first line.
pub fn short_timing(e: &Event) -> String {
    let mut out = String::new();
    short_timing_into(&mut out, e);
    out
}

/// `short_timing`, appended to `out`.
pub fn short_timing_into(out: &mut String, e: &Event) {
    let text = built_in(&e.notes.timing, &e.from_lesson.timing);
    // A frame's timing opens with when it was sent and which step caused
    // it; a call's with its step and how long it took. What follows comes
    // after those sentences: the one after the first "Caused by step", or
    // else the second.
    let mut all = sentence_iter(text);
    let mut second = None;
    let mut shown = None;
    let mut i = 0;
    while let Some(s) = all.next() {
        if i == 1 {
            second = Some(s);
            if e.kind == EventKind::Call {
                break;
            }
        }
        if e.kind == EventKind::Frame && s.starts_with("Caused by step") {
            shown = Some(all.next());
            break;
        }
        i += 1;
    }
    if let Some(s) = shown.unwrap_or(second) {
        push_short_clause(out, s, 90);
    }
}

/// A long sentence cut after its first clause (at `;`, `:` or `, `) that
/// ends before `max` characters, with a full stop.
pub fn short_clause(sentence: &str, max: usize) -> String {
    let mut out = String::new();
    push_short_clause(&mut out, sentence, max);
    out
}

/// `short_clause`, appended to `out`.
fn push_short_clause(out: &mut String, sentence: &str, max: usize) {
    if sentence.chars().count() <= max {
        out.push_str(sentence);
        return;
    }
    let cut = sentence
        .char_indices()
        .filter(|&(i, c)| i >= 30 && i < max && matches!(c, ';' | ','))
        .map(|(i, _)| i)
        .next_back();
    match cut {
        Some(i) => {
            out.push_str(sentence[..i].trim_end());
            out.push('.');
        }
        None => out.push_str(sentence),
    }
}

/// Which headers a renderer has already shown, and the values each
/// sender's last one had, so later frames show only what changed.
#[derive(Debug, Clone)]
pub struct Seen {
    /// sender → protocol → the field values its last frame had: one lookup
    /// by the sender per frame (whose key a capture file chooses, so the
    /// map keeps its DoS-resistant hasher); its protocols, a few names of
    /// our dissectors', in a list.
    /// A capture may have a sender per connection: only the `SENDERS` to
    /// `2 × SENDERS` latest are remembered. One not seen for that long is
    /// shown as a new sender is.
    last: Recent<String, Vec<Kept>>,
    /// Protocols already introduced, with the event that did.
    introduced: Vec<(String, usize)>,
    /// The line being written.
    line: String,
}

/// Senders per generation of `Seen`'s memory (a sender's last frame
/// takes a few KiB).
const SENDERS: usize = 1024;

/// A protocol's fields as a sender's last frame had them (the names as the
/// dissector gave them: nearly always literals, so nothing is copied).
#[derive(Debug, Clone)]
struct Kept {
    protocol: String,
    fields: Vec<(Cow<'static, str>, String)>,
    /// No two fields have the same name: a field is then found by its
    /// place when that place has its name (frames repeat their shape).
    distinct: bool,
    /// `noise` of each field's name.
    noise: Vec<bool>,
}

/// The same name, by the dissector's literal: cheaper than comparing.
fn same_literal(a: &str, b: &str) -> bool {
    a.as_ptr() == b.as_ptr() && a.len() == b.len()
}

/// The fields that introduce a header the first time it appears.
fn introduces(protocol: &str, field: &str) -> bool {
    match protocol {
        "Ethernet" => field == "type",
        "IPv4" => matches!(field, "source" | "destination" | "TTL" | "protocol"),
        "IPv6" => matches!(
            field,
            "source" | "destination" | "hop limit" | "next header"
        ),
        "TCP" => {
            matches!(field, "source port" | "destination port" | "data offset")
                || (field.starts_with("option.") && !noise(field))
        }
        "UDP" => matches!(field, "source port" | "destination port" | "length"),
        "ICMP" | "ICMPv6" => matches!(field, "type" | "code"),
        "Payload" => false,
        _ => true,
    }
}

/// Fields the frame's own line already shows (TCP flags, numbers, window;
/// the payload), or that change in every packet and mean nothing from one
/// to the next (checksums, identification, timestamps).
fn noise(field: &str) -> bool {
    // `contains("checksum")`, without a string searcher for each of a
    // frame's forty fields.
    let checksum = u64::from_ne_bytes(*b"checksum");
    field
        .as_bytes()
        .windows(8)
        .any(|w| w.try_into().ok().map(u64::from_ne_bytes) == Some(checksum))
        || field.starts_with("flags.")
        || matches!(
            field,
            "identification"
                | "total length"
                | "payload length"
                | "option.TS"
                | "option.NOP"
                | "sequence number"
                | "acknowledgment number"
                | "window"
                | "data"
                | "flags"
                | "length"
        )
}

impl Default for Seen {
    fn default() -> Self {
        Seen {
            last: Recent::new(SENDERS),
            introduced: Vec::new(),
            line: String::new(),
        }
    }
}

impl Seen {
    /// The syntax of a frame at `normal`: a header the first time it
    /// appears by its main fields, later only the fields that changed since
    /// the same sender's previous frame (what the frame's line shows, and
    /// what changes in every packet, left out). Every field: `d`, or `full`.
    pub fn syntax(&mut self, e: &Event) -> Vec<String> {
        let mut out = Vec::new();
        self.walk(e, true, |line| out.push(line.to_string()));
        out
    }

    /// `syntax`, its lines appended to `out` with `sep` between them.
    pub fn syntax_into(&mut self, e: &Event, out: &mut String, sep: &str) {
        let start = out.len();
        self.walk(e, true, |line| {
            if out.len() > start {
                out.push_str(sep);
            }
            out.push_str(line);
        });
    }

    /// Take in a frame shown elsewhere, as `syntax` does, without writing
    /// its lines.
    pub fn remember(&mut self, e: &Event) {
        self.walk(e, false, |_| {});
    }

    /// Each line of `syntax` to `emit` (when `show`), remembering the
    /// frame's headers either way.
    fn walk(&mut self, e: &Event, show: bool, mut emit: impl FnMut(&str)) {
        let Seen {
            last,
            introduced,
            line,
        } = self;
        let mut kept = if e.layers.is_empty() {
            None
        } else if let Some(k) = last.get_mut(e.actor.as_str()) {
            Some(k)
        } else {
            Some(last.get_or_insert_with(e.actor.clone(), Vec::new))
        };
        for layer in &e.layers {
            let kept = kept
                .as_deref_mut()
                .expect("a frame with layers has a sender");
            let at = kept.iter().position(|k| k.protocol == layer.protocol);
            line.clear();
            let mut shown = 0;
            let mut field = |line: &mut String, f: &crate::dissect::Field| {
                line.push_str(if shown == 0 { ": " } else { "; " });
                line.push_str(&f.name);
                line.push_str(" = ");
                line.push_str(&f.value);
                shown += 1;
            };
            if introduced.iter().any(|(p, _)| *p == layer.protocol) {
                if let Some(k) = at.map(|i| &kept[i]).filter(|_| show) {
                    let before = &k.fields;
                    for (i, f) in layer.fields.iter().enumerate() {
                        let at_place = before.get(i).filter(|(n, _)| same_literal(n, &f.name));
                        let noisy = match at_place {
                            Some(_) => k.noise[i],
                            None => noise(&f.name),
                        };
                        if noisy {
                            continue;
                        }
                        // The first kept field of this name, as `find` has it.
                        let same = at_place
                            .or_else(|| before.get(i).filter(|(n, _)| *n == f.name))
                            .filter(|_| k.distinct)
                            .or_else(|| before.iter().find(|(n, _)| *n == f.name));
                        if same.is_none_or(|(_, v)| *v != f.value) {
                            field(line, f);
                        }
                    }
                }
            } else {
                introduced.push((layer.protocol.clone(), e.index));
                if show {
                    for f in &layer.fields {
                        if introduces(&layer.protocol, &f.name) {
                            field(line, f);
                        }
                    }
                    let more = layer.fields.len() - shown;
                    if more > 0 && shown > 0 {
                        let _ = write!(line, "; +{more} more");
                    }
                }
            }
            if shown > 0 {
                line.insert_str(0, &layer.protocol);
                emit(line);
            }
            keep(kept, at, &layer.protocol, &layer.fields);
        }
        if show && let Some(reason) = &e.stopped {
            line.clear();
            let _ = write!(line, "Parsing stopped: {reason}");
            emit(line);
        }
    }
}

/// Keep `fields` as the last values of `protocol` (at `at` in `kept`, if
/// there), reusing the strings kept before (most frames repeat the last
/// one's shape).
fn keep(kept: &mut Vec<Kept>, at: Option<usize>, protocol: &str, fields: &[crate::dissect::Field]) {
    let k = match at {
        Some(i) => &mut kept[i],
        None => {
            kept.push(Kept {
                protocol: protocol.to_string(),
                fields: Vec::new(),
                distinct: true,
                noise: Vec::new(),
            });
            kept.last_mut().expect("pushed above")
        }
    };
    // The same names as the last frame's, as the dissector's literals?
    let mut reshaped = k.fields.len() != fields.len();
    k.fields.truncate(fields.len());
    for (i, f) in fields.iter().enumerate() {
        match k.fields.get_mut(i) {
            Some((name, value)) => {
                if !same_literal(name, &f.name) {
                    name.clone_from(&f.name);
                    reshaped = true;
                }
                value.clone_from(&f.value);
            }
            None => k.fields.push((f.name.clone(), f.value.clone())),
        }
    }
    if reshaped {
        k.distinct = k
            .fields
            .iter()
            .enumerate()
            .all(|(i, (n, _))| k.fields[..i].iter().all(|(m, _)| m != n));
        k.noise = k.fields.iter().map(|(n, _)| noise(n)).collect();
    }
}

/// The one line that says what a frame is, from its dissection: for TCP
/// with relative numbers, as a student follows them
/// (`TCP [SYN] seq=0 win=65495 MSS=65495`), for UDP its ports, length and
/// data; anything else by its summary.
pub fn frame_line(e: &Event) -> String {
    let mut out = String::new();
    frame_line_into(&mut out, e);
    out
}

/// `frame_line`, appended to `out`.
pub fn frame_line_into(out: &mut String, e: &Event) {
    // An application message is shown by what it says (`· HTTP GET /`).
    let payload = |out: &mut String| {
        if e.layer == crate::dissect::LayerKind::Application {
            out.push_str(" · ");
            out.push_str(&e.summary);
        } else if let Some(p) = e.payload.as_deref() {
            out.push(' ');
            super::quoted_payload_into(out, p, 24);
        }
    };
    if let Some(t) = &e.tcp {
        out.push_str("TCP [");
        for (i, f) in t.flags.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(f);
        }
        out.push_str("] seq=");
        push_u64(out, t.seq_rel.into());
        if t.flags.iter().any(|f| f == "ACK") {
            out.push_str(" ack=");
            push_u64(out, t.ack_rel.into());
        }
        if !t.flags.iter().any(|f| f == "RST") {
            out.push_str(" win=");
            push_u64(out, t.window_scaled.into());
        }
        if t.len > 0 {
            out.push_str(" len=");
            push_u64(out, t.len as u64);
        }
        for o in &t.options {
            match o.name.as_str() {
                "MSS" => {
                    out.push_str(" MSS=");
                    out.push_str(&o.value);
                }
                "WS" => {
                    out.push_str(" WS=");
                    out.push_str(o.value.split(' ').next().unwrap_or(""));
                }
                "SACK_PERM" => out.push_str(" SACK_PERM"),
                _ => {}
            }
        }
        payload(out);
        return;
    }
    let icmp = e.layers.iter().any(|l| l.protocol.starts_with("ICMP"));
    if let (Some(p), false) = (&e.port, icmp)
        && e.layers.iter().any(|l| l.protocol == "UDP")
    {
        let n: usize = e
            .layers
            .iter()
            .filter(|l| l.layer == crate::dissect::LayerKind::Application)
            .map(|l| l.length)
            .sum();
        let _ = write!(out, "UDP {} → {} len={n}", p.src, p.dst);
        payload(out);
        return;
    }
    out.push_str(&e.summary);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_where_a_reader_would() {
        let s = sentences(
            "Handshake 1/3: client asks. SYN (\"synchronize\") announces 3736403740 — relative 0. It took 0.101 ms, e.g. Fast. The ISN (RFC 6528), so others cannot. \"Quoted.\" Last one",
        );
        assert_eq!(
            s,
            [
                "Handshake 1/3: client asks.",
                "SYN (\"synchronize\") announces 3736403740 — relative 0.",
                "It took 0.101 ms, e.g. Fast.",
                "The ISN (RFC 6528), so others cannot.",
                "\"Quoted.\"",
                "Last one"
            ]
        );
        assert_eq!(sentences(""), Vec::<&str>::new());
        assert_eq!(sentences("No stop"), ["No stop"]);
    }

    #[test]
    fn marks_are_found_where_a_byte_search_finds_them() {
        let text = b"ab.cdefghij!klmnopqrstu?vwxyz.0123456789 no marks at all here, none";
        for from in 0..=text.len() {
            for end in from..=text.len() {
                let b = &text[..end];
                let naive = b[from..]
                    .iter()
                    .position(|c| matches!(c, b'.' | b'!' | b'?'))
                    .map(|p| from + p);
                assert_eq!(next_mark(b, from), naive, "{from}..{end}");
            }
        }
        // Bytes next to a mark's value (borrows in the word test) are no marks.
        assert_eq!(next_mark(b"-/>@ \x00\xff-/>@..", 0), Some(11));
    }

    #[test]
    fn first_sentences_keep_at_least_one() {
        assert_eq!(first_sentences("A b. C d. E f.", 2, 100), "A b. C d.");
        assert_eq!(first_sentences("A b. C d. E f.", 2, 5), "A b.");
        assert_eq!(
            first_sentences("A long sentence here.", 1, 3),
            "A long sentence here."
        );
    }

    /// A UDP datagram over Ethernet from 10.x.y.z:5001 to 10.255.0.1:5000.
    fn datagram(sender: u32) -> crate::live::capture::CapturedFrame {
        let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0];
        let [_, a, b, c] = sender.to_be_bytes();
        f.extend([
            0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, 10, a, b, c, 10, 255, 0, 1,
        ]);
        f.extend([0x13, 0x89, 0x13, 0x88, 0, 12, 0, 0, b'd', b'a', b't', b'a']);
        crate::live::capture::CapturedFrame {
            data: f,
            timestamp_ns: 1_000 + u64::from(sender),
            crossing: None,
        }
    }

    #[test]
    fn seen_remembers_the_latest_senders_only() {
        let mut annotator = crate::annotate::Annotator::without_plan(true);
        let mut seen = Seen::default();
        let first = annotator.frame(1, &datagram(1));
        seen.remember(&first);
        // A changed header of the same sender shows what changed.
        let mut again = first.clone();
        again.layers[1]
            .fields
            .iter_mut()
            .find(|f| f.name == "TTL")
            .unwrap()
            .value = "63".into();
        assert_eq!(seen.syntax(&again), ["IPv4: TTL = 63"]);
        for sender in 2..(3 * SENDERS as u32) {
            seen.remember(&annotator.frame(1, &datagram(sender)));
        }
        assert!(seen.last.len() <= 2 * SENDERS);
        // Sender 1 is long forgotten: shown as a new sender is, with nothing
        // to compare.
        assert!(seen.syntax(&again).is_empty());
    }

    #[test]
    fn levels_step() {
        assert_eq!(Detail::Brief.more(), Detail::Normal);
        assert_eq!(Detail::Full.more(), Detail::Full);
        assert_eq!(Detail::Full.less(), Detail::Normal);
        assert_eq!(Detail::Brief.less(), Detail::Brief);
        assert_eq!(Detail::default(), Detail::Normal);
    }
}

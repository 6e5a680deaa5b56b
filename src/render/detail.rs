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

use std::collections::HashMap;

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
        while i < b.len() {
            if matches!(b[i], b'.' | b'!' | b'?') {
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

/// At most `n` sentences of `text`, and no more than `max` characters
/// (always at least the first sentence).
pub fn first_sentences(text: &str, n: usize, max: usize) -> String {
    let mut out = String::new();
    for s in sentence_iter(text).take(n) {
        if !out.is_empty() && out.len() + 1 + s.len() > max {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(s);
    }
    out
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
    let text = match e.kind {
        EventKind::Call => call_semantics(e, say),
        EventKind::Frame => e.notes.semantics.as_str(),
    };
    let text = built_in(text, &e.from_lesson.semantics);
    let first = paragraphs(text).into_iter().next().unwrap_or("");
    first_sentences(first, 2, 130)
}

/// The timing that matters at `normal`: for a frame, what must follow (the
/// note's closing sentences after when and why it was sent); for a call,
/// what it put on the wire. The clock itself is on the event's first line.
pub fn short_timing(e: &Event) -> String {
    let text = built_in(&e.notes.timing, &e.from_lesson.timing);
    let all = sentences(text);
    // A frame's timing opens with when it was sent and which step caused
    // it; a call's with its step and how long it took. What follows comes
    // after those sentences.
    let skip = match e.kind {
        EventKind::Frame => all
            .iter()
            .position(|s| s.starts_with("Caused by step"))
            .map_or(1, |i| i + 1),
        EventKind::Call => 1,
    };
    all.into_iter()
        .skip(skip)
        .take(1)
        .map(|s| short_clause(s, 90))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A long sentence cut after its first clause (at `;`, `:` or `, `) that
/// ends before `max` characters, with a full stop.
pub fn short_clause(sentence: &str, max: usize) -> String {
    if sentence.chars().count() <= max {
        return sentence.to_string();
    }
    let cut = sentence
        .char_indices()
        .filter(|&(i, c)| i >= 30 && i < max && matches!(c, ';' | ','))
        .map(|(i, _)| i)
        .last();
    match cut {
        Some(i) => format!("{}.", sentence[..i].trim_end()),
        None => sentence.to_string(),
    }
}

/// Which headers a renderer has already shown, and the values each
/// sender's last one had, so later frames show only what changed.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// protocol → sender → the field values its last frame had (nested,
    /// so that a lookup by borrowed names allocates nothing).
    layers: HashMap<String, HashMap<String, Vec<(String, String)>>>,
    /// Protocols already introduced, with the event that did.
    introduced: HashMap<String, usize>,
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
    field.contains("checksum")
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

impl Seen {
    /// The syntax of a frame at `normal`: a header the first time it
    /// appears by its main fields, later only the fields that changed since
    /// the same sender's previous frame (what the frame's line shows, and
    /// what changes in every packet, left out). Every field: `d`, or `full`.
    pub fn syntax(&mut self, e: &Event) -> Vec<String> {
        let mut out = Vec::new();
        for layer in &e.layers {
            let before = self
                .layers
                .get(&layer.protocol)
                .and_then(|senders| senders.get(&e.actor));
            let shown: Vec<String> = if self.introduced.contains_key(&layer.protocol) {
                layer
                    .fields
                    .iter()
                    .filter(|f| {
                        !noise(&f.name)
                            && before.is_some_and(|b| {
                                b.iter()
                                    .find(|(n, _)| *n == f.name)
                                    .is_none_or(|(_, v)| *v != f.value)
                            })
                    })
                    .map(|f| format!("{} = {}", f.name, f.value))
                    .collect()
            } else {
                self.introduced.insert(layer.protocol.clone(), e.index);
                let mut main: Vec<String> = layer
                    .fields
                    .iter()
                    .filter(|f| introduces(&layer.protocol, &f.name))
                    .map(|f| format!("{} = {}", f.name, f.value))
                    .collect();
                let more = layer.fields.len() - main.len();
                if more > 0 && !main.is_empty() {
                    main.push(format!("+{more} more"));
                }
                main
            };
            if !shown.is_empty() {
                out.push(format!("{}: {}", layer.protocol, shown.join("; ")));
            }
            self.remember(&layer.protocol, &e.actor, &layer.fields);
        }
        if let Some(reason) = &e.stopped {
            out.push(format!("Parsing stopped: {reason}"));
        }
        out
    }

    /// Keep `fields` as the last values of `protocol` from `sender`,
    /// reusing the strings kept before (most frames repeat the last one's
    /// shape).
    fn remember(&mut self, protocol: &str, sender: &str, fields: &[crate::dissect::Field]) {
        if !self.layers.contains_key(protocol) {
            self.layers.insert(protocol.to_string(), HashMap::new());
        }
        let senders = self.layers.get_mut(protocol).expect("inserted above");
        if !senders.contains_key(sender) {
            senders.insert(sender.to_string(), Vec::new());
        }
        let kept = senders.get_mut(sender).expect("inserted above");
        kept.truncate(fields.len());
        for (i, f) in fields.iter().enumerate() {
            match kept.get_mut(i) {
                Some((name, value)) => {
                    name.clear();
                    name.push_str(&f.name);
                    value.clone_from(&f.value);
                }
                None => kept.push((f.name.to_string(), f.value.clone())),
            }
        }
    }
}

/// The one line that says what a frame is, from its dissection: for TCP
/// with relative numbers, as a student follows them
/// (`TCP [SYN] seq=0 win=65495 MSS=65495`), for UDP its ports, length and
/// data; anything else by its summary.
pub fn frame_line(e: &Event) -> String {
    // An application message is shown by what it says (`· HTTP GET /`).
    let payload = if e.layer == crate::dissect::LayerKind::Application {
        Some(format!("· {}", e.summary))
    } else {
        e.payload.as_deref().map(|p| super::quoted_payload(p, 24))
    };
    let with_payload = |mut s: String| {
        if let Some(p) = &payload {
            s.push(' ');
            s.push_str(p);
        }
        s
    };
    if let Some(t) = &e.tcp {
        let mut s = format!("TCP [{}] seq={}", t.flags.join(", "), t.seq_rel);
        if t.flags.iter().any(|f| f == "ACK") {
            s.push_str(&format!(" ack={}", t.ack_rel));
        }
        if !t.flags.iter().any(|f| f == "RST") {
            s.push_str(&format!(" win={}", t.window_scaled));
        }
        if t.len > 0 {
            s.push_str(&format!(" len={}", t.len));
        }
        for o in &t.options {
            match o.name.as_str() {
                "MSS" => s.push_str(&format!(" MSS={}", o.value)),
                "WS" => s.push_str(&format!(" WS={}", o.value.split(' ').next().unwrap_or(""))),
                "SACK_PERM" => s.push_str(" SACK_PERM"),
                _ => {}
            }
        }
        return with_payload(s);
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
        return with_payload(format!("UDP {} → {} len={n}", p.src, p.dst));
    }
    e.summary.clone()
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
    fn first_sentences_keep_at_least_one() {
        assert_eq!(first_sentences("A b. C d. E f.", 2, 100), "A b. C d.");
        assert_eq!(first_sentences("A b. C d. E f.", 2, 5), "A b.");
        assert_eq!(
            first_sentences("A long sentence here.", 1, 3),
            "A long sentence here."
        );
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

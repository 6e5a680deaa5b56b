//! A lesson's own annotation rules and checkpoints, applied to frame events
//! after the built-in notes.
//!
//! A rule matches frames (by protocol, TCP flags, direction, step and payload)
//! and appends to or replaces their notes with a template. Templates quote the
//! values of the captured frame: `{port.src}`, `{tcp.seq_rel}`, `{payload}`…
//! A checkpoint asks a question whose right answer is one of those same values,
//! read from the real capture, never from the lesson file.

use super::catalog::{self, checkpoint as says};
use crate::plan::{Plan, Rule, RuleMode};
use crate::transcript::{Checkpoint, Event, Transcript};
use std::collections::HashMap;

pub use crate::plan::template::{
    MISSING, PLACEHOLDERS, Piece, TemplateError, describe, is_placeholder, parse_template,
    placeholder_names,
};

/// The payload bytes of a frame event: the `Payload` layer of its dissection.
pub fn payload_of<'f>(event: &Event, frame: &'f [u8]) -> &'f [u8] {
    // The application layers (or the `Payload` layer) are the payload:
    // from the first one's start to the last one's end.
    let app = event
        .layers
        .iter()
        .filter(|l| l.layer == crate::dissect::LayerKind::Application);
    let start = app.clone().map(|l| l.offset).min();
    let end = app.map(|l| l.offset + l.length).max();
    match (start, end) {
        (Some(a), Some(b)) => frame.get(a..b).unwrap_or_default(),
        _ => &[],
    }
}

/// Payload bytes as text, escaped as the payload line of a frame writes
/// them (`\r`, `\n`, `\t`, `\"`, `\\`, other control characters and bytes
/// that are not UTF-8 as `\xNN`); long payloads are cut at 200 characters.
pub fn payload_text(data: &[u8]) -> String {
    // At most 200 characters are shown, and a character is at most 4 bytes:
    // a 16 KiB payload need not be escaped in full.
    let whole = data;
    let data = &data[..data.len().min(800)];
    // Only a cut made here may split a character; a payload that ends
    // mid-character is shown as it is (escaped).
    let data = match std::str::from_utf8(data) {
        Err(e) if e.error_len().is_none() && whole.len() > data.len() => &data[..e.valid_up_to()],
        _ => data,
    };
    let text: String = match std::str::from_utf8(data) {
        Ok(s) => s.chars().map(escaped).collect(),
        Err(_) => data
            .iter()
            .map(|&b| {
                if b.is_ascii() {
                    escaped(b as char)
                } else {
                    format!("\\x{b:02x}")
                }
            })
            .collect(),
    };
    if text.chars().count() > 200 || data.len() < whole.len() {
        let cut: String = text.chars().take(200).collect();
        format!("{cut}… ({} bytes)", whole.len())
    } else {
        text
    }
}

/// One character as the payload line shows it (see `dissect::payload`).
fn escaped(c: char) -> String {
    match c {
        '\n' => "\\n".into(),
        '\r' => "\\r".into(),
        '\t' => "\\t".into(),
        '"' => "\\\"".into(),
        '\\' => "\\\\".into(),
        c if c.is_control() => {
            let mut buf = [0u8; 4];
            c.encode_utf8(&mut buf)
                .bytes()
                .map(|b| format!("\\x{b:02x}"))
                .collect()
        }
        c => c.to_string(),
    }
}

/// A field of the frame's first (outermost) `protocol` header, its leading
/// token: `0x1a2b` of `0x1a2b (6699)`.
fn header_field(event: &Event, protocol: &str, field: &str) -> Option<String> {
    let layer = event.layers.iter().find(|l| l.protocol == protocol)?;
    Some(layer.value(field)?.split_whitespace().next()?.to_string())
}

/// Payload bytes in hex, `68 65 6c 6c 6f`: the first 64, then how many in
/// all.
pub fn payload_hex(data: &[u8]) -> String {
    let hex: Vec<String> = data.iter().take(64).map(|b| format!("{b:02x}")).collect();
    let hex = hex.join(" ");
    if data.len() > 64 {
        format!("{hex} … ({} bytes)", data.len())
    } else {
        hex
    }
}

/// The captured value `name` of a frame event, if the frame has it.
pub fn value(name: &str, event: &Event, payload: &[u8]) -> Option<String> {
    let tcp = event.tcp.as_ref();
    Some(match name {
        "ip.src" => event.ip.as_ref()?.src.clone(),
        "ip.dst" => event.ip.as_ref()?.dst.clone(),
        "port.src" => event.port.as_ref()?.src.to_string(),
        "port.dst" => event.port.as_ref()?.dst.to_string(),
        "mac.src" => event.mac.as_ref()?.src.clone(),
        "mac.dst" => event.mac.as_ref()?.dst.clone(),
        "tcp.seq" => tcp?.seq.to_string(),
        "tcp.ack" => tcp?.ack.to_string(),
        "tcp.seq_rel" => tcp?.seq_rel.to_string(),
        "tcp.ack_rel" => tcp?.ack_rel.to_string(),
        "tcp.flags" => {
            let flags = &tcp?.flags;
            if flags.is_empty() {
                "none".to_string()
            } else {
                flags.join("+")
            }
        }
        "tcp.window" => tcp?.window.to_string(),
        "tcp.len" => tcp?.len.to_string(),
        "payload" => {
            if payload.is_empty() {
                return None;
            }
            payload_text(payload)
        }
        "payload.hex" => {
            if payload.is_empty() {
                return None;
            }
            payload_hex(payload)
        }
        "ip.ttl" => header_field(event, "IPv4", "TTL")?,
        "ip.id" => header_field(event, "IPv4", "identification")?,
        "ip.hop_limit" => header_field(event, "IPv6", "hop limit")?,
        "udp.len" => header_field(event, "UDP", "length")?,
        "length" => event.length?.to_string(),
        "step" => event.step.to_string(),
        "from" => event.actor.clone(),
        "to" => event.to.clone()?,
        other => {
            let field = other.strip_prefix(crate::plan::template::APP_PREFIX)?;
            // This frame's application layers first, then a message it
            // completed.
            event
                .layers
                .iter()
                .chain(event.reassembled.iter().map(|r| &r.layer))
                .filter(|l| l.layer == crate::dissect::LayerKind::Application)
                .find_map(|l| l.value(field))?
                .to_string()
        }
    })
}

/// Fill a template with the frame's values. A template that does not parse
/// (the checker refuses those) is returned as written.
pub fn expand(template: &str, event: &Event, payload: &[u8]) -> String {
    let Ok(pieces) = parse_template(template) else {
        return template.to_string();
    };
    // Each value is read once, and the text stops growing past what any
    // note may take: a template may quote a long payload hundreds of times.
    let mut values: HashMap<&str, String> = HashMap::new();
    let mut out = String::new();
    for piece in &pieces {
        if out.len() > MAX_EXPANSION {
            break;
        }
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Value(name) => out.push_str(values.entry(name).or_insert_with(|| {
                value(name, event, payload).unwrap_or_else(|| MISSING.to_string())
            })),
        }
    }
    out
}

/// Longer than any note a rule may write (see `MAX_RULE_TEXT_PER_NOTE`),
/// so cutting an expansion here never changes what is shown.
const MAX_EXPANSION: usize = 2 * MAX_RULE_TEXT_PER_NOTE;

fn has_protocol(event: &Event, protocol: &str) -> bool {
    let reassembled = event.reassembled.iter().map(|r| &r.layer);
    event.layers.iter().chain(reassembled).any(|l| {
        let p = l.protocol.to_ascii_lowercase();
        match protocol {
            "ip" => p == "ipv4" || p == "ipv6",
            "icmp" => p == "icmp" || p == "icmpv6",
            other => p == other,
        }
    })
}

/// Does `rule` match this frame event? Every key the rule has must match.
pub fn matches(rule: &Rule, event: &Event, payload: &[u8]) -> bool {
    if !event.is_frame() {
        return false;
    }
    if let Some(p) = &rule.protocol
        && !has_protocol(event, p)
    {
        return false;
    }
    if !rule.flags.is_empty() {
        let Some(tcp) = &event.tcp else { return false };
        if !rule
            .flags
            .iter()
            .all(|f| tcp.flags.iter().any(|g| g.eq_ignore_ascii_case(f)))
        {
            return false;
        }
    }
    if rule.from.as_ref().is_some_and(|f| *f != event.actor) {
        return false;
    }
    if rule
        .to
        .as_ref()
        .is_some_and(|t| Some(t) != event.to.as_ref())
    {
        return false;
    }
    if rule
        .steps
        .as_ref()
        .is_some_and(|s| !s.contains(&event.step))
    {
        return false;
    }
    if let Some(needle) = &rule.payload
        && (needle.is_empty()
            || !payload
                .windows(needle.len())
                .any(|w| w == needle.as_slice()))
    {
        return false;
    }
    true
}

/// Most characters a lesson's rules may add to one note of one frame: rules
/// and templates are bounded one by one, but a hostile lesson can make many
/// of them match the same frame, each quoting a long payload.
const MAX_RULE_TEXT_PER_NOTE: usize = 8 * 1024;

fn add_note(note: &mut String, text: String, mode: RuleMode) {
    let room = MAX_RULE_TEXT_PER_NOTE.saturating_sub(note.len());
    let text = if text.len() > room {
        let mut cut = room;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        // Appending nothing but the notice that it was cut adds nothing.
        if cut == 0 && mode == RuleMode::Append {
            return;
        }
        says::rules_cut(&&text[..cut], &MAX_RULE_TEXT_PER_NOTE)
    } else {
        text
    };
    match mode {
        RuleMode::Replace => *note = text,
        RuleMode::Append if note.is_empty() => *note = text,
        RuleMode::Append => {
            note.push_str("\n\n");
            note.push_str(&text);
        }
    }
}

/// Apply the lesson's rules (in order) and its checkpoint to a frame event
/// whose built-in notes are already written. `frame` is the captured bytes;
/// `frame_in_step` counts the step's frames from 1.
pub fn apply(plan: &Plan, event: &mut Event, frame: &[u8], frame_in_step: usize) {
    let payload = payload_of(event, frame);
    for rule in &plan.rules {
        if !matches(rule, event, payload) {
            continue;
        }
        // A note already at its limit takes no more appended text.
        let full =
            |note: &String| rule.mode == RuleMode::Append && note.len() >= MAX_RULE_TEXT_PER_NOTE;
        let [syntax, semantics, timing] = [
            (&rule.syntax, full(&event.notes.syntax)),
            (&rule.semantics, full(&event.notes.semantics)),
            (&rule.timing, full(&event.notes.timing)),
        ]
        .map(|(t, full)| {
            t.as_ref()
                .filter(|_| !full)
                .map(|t| expand(t, event, payload))
        });
        // Kept apart too, for renderers that shorten the built-in notes.
        let own = &mut event.from_lesson;
        for (t, note, mine) in [
            (syntax, &mut event.notes.syntax, &mut own.syntax),
            (semantics, &mut event.notes.semantics, &mut own.semantics),
            (timing, &mut event.notes.timing, &mut own.timing),
        ] {
            if let Some(t) = t {
                add_note(mine, t.clone(), RuleMode::Append);
                add_note(note, t, rule.mode);
            }
        }
    }
    if let Some(cp) = checkpoint_for(plan, event, payload, frame_in_step) {
        event.checkpoint = Some(cp);
    }
}

/// The checkpoint this frame answers, if its step has one about this frame.
pub fn checkpoint_for(
    plan: &Plan,
    event: &Event,
    payload: &[u8],
    frame_in_step: usize,
) -> Option<Checkpoint> {
    let step = plan.steps.get(event.step.checked_sub(1)?)?;
    let cp = step.checkpoint.as_ref()?;
    if cp.frame != frame_in_step || cp.answer.starts_with(CALL_PREFIX) {
        return None;
    }
    let answer = value(&cp.answer, event, payload).unwrap_or_else(|| MISSING.to_string());
    let explain = match &cp.explain {
        Some(e) => expand(e, event, payload),
        None => says::read_from_capture(
            &describe(&cp.answer).map_or_else(says::the_value, str::to_string),
            &event.index,
            &event.step,
            &cp.frame,
            &answer,
        ),
    };
    Some(Checkpoint {
        question: expand(&cp.ask, event, payload),
        answer,
        value: cp.answer.clone(),
        explain: Some(explain),
        given: None,
        correct: None,
    })
}

/// Checkpoint answers read from what a receiving call returned
/// (`call.from`, `call.data`, `call.bytes`) rather than from a frame.
pub const CALL_PREFIX: &str = "call.";

/// A step's checkpoint answered by its call (`answer: call.from`): the
/// address or data the real call returned.
pub fn checkpoint_on_call(
    plan: &Plan,
    call: &Event,
    rec: &crate::live::exec::CallRecord,
) -> Option<Checkpoint> {
    let step = plan.steps.get(call.step.checked_sub(1)?)?;
    let cp = step.checkpoint.as_ref()?;
    if !cp.answer.starts_with(CALL_PREFIX) {
        return None;
    }
    let data = rec.data.as_deref().filter(|_| rec.ok);
    let answer = match cp.answer.as_str() {
        "call.from" => rec.peer.filter(|_| rec.ok).map(|a| a.to_string()),
        "call.data" => data.map(|d| {
            if d.is_empty() {
                "b\"\"".to_string()
            } else {
                payload_text(d)
            }
        }),
        "call.bytes" => data.map(|d| d.len().to_string()),
        _ => None,
    };
    let answer = answer.unwrap_or_else(|| MISSING.to_string());
    let explain = match &cp.explain {
        Some(e) => expand(e, call, data.unwrap_or_default()),
        None => says::from_call(&call.step, &rec.call, &answer),
    };
    Some(Checkpoint {
        question: expand(&cp.ask, call, &[]),
        answer,
        value: cp.answer.clone(),
        explain: Some(explain),
        given: None,
        correct: None,
    })
}

/// A step's checkpoint about a frame the step never put on the wire: the
/// question stays in the transcript, on the step's call, and says why there
/// is nothing to grade — never an answer made up from the lesson.
pub fn checkpoint_without_frame(plan: &Plan, call: &Event, frames: usize) -> Option<Checkpoint> {
    let step = plan.steps.get(call.step.checked_sub(1)?)?;
    let cp = step.checkpoint.as_ref()?;
    if cp.frame <= frames {
        return None;
    }
    Some(Checkpoint {
        question: expand(&cp.ask, call, &[]),
        answer: MISSING.to_string(),
        value: cp.answer.clone(),
        explain: Some(says::no_frame(
            &call.step,
            &if frames == 1 {
                catalog::count::frame_one(&frames)
            } else {
                catalog::count::frame_other(&frames)
            },
            &cp.frame,
        )),
        given: None,
        correct: None,
    })
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    let s = s
        .strip_prefix('b')
        .filter(|r| r.starts_with('"') || r.starts_with('\''))
        .unwrap_or(s);
    for q in ['"', '\'', '`'] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return s[1..s.len() - 1].trim();
        }
    }
    s
}

fn number(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok().map(|n| n as f64);
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn flag_set(s: &str) -> Option<Vec<String>> {
    let mut flags: Vec<String> = s
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '+' | '/' | '|' | '[' | ']'))
        .filter(|t| !t.is_empty())
        .map(|t| t.to_ascii_lowercase())
        .collect();
    let known = |f: &String| {
        crate::plan::TCP_FLAGS
            .iter()
            .any(|n| n.eq_ignore_ascii_case(f))
    };
    if flags.is_empty() || !flags.iter().all(known) {
        return None;
    }
    flags.sort();
    flags.dedup();
    Some(flags)
}

/// Grade a student's answer against the captured one: numbers compare as
/// numbers (`05000` is `5000`, `0x1388` too), TCP flag lists as sets
/// (`ack, syn` is `SYN+ACK`), anything else as text, trimmed, without
/// surrounding quotes, with runs of spaces as one, and case-insensitive.
pub fn grade(answer_given: &str, correct: &str) -> bool {
    let (given, correct) = (unquote(answer_given), unquote(correct));
    if given.is_empty() {
        return false;
    }
    // A value with its meaning, `200 (OK)` or `24 (Terminal Type)`: either
    // half is a right answer too.
    if let Some((value, meaning)) = correct.split_once(" (")
        && let Some(meaning) = meaning.strip_suffix(')')
        && (grade(given, value) || grade(given, meaning))
    {
        return true;
    }
    if let (Some(a), Some(b)) = (number(given), number(correct)) {
        return a == b;
    }
    if let (Some(a), Some(b)) = (flag_set(given), flag_set(correct)) {
        return a == b;
    }
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    norm(given) == norm(correct)
}

impl Checkpoint {
    /// Record what the student answered; returns whether it was right.
    pub fn record(&mut self, given: &str) -> bool {
        // What a student typed is shown again later: no control codes.
        self.given = Some(crate::text::printable(given.trim()).into_owned());
        if !self.gradable() {
            return false;
        }
        let correct = grade(given, &self.answer);
        self.correct = Some(correct);
        correct
    }

    /// Whether the capture held the frame the question is about.
    pub fn gradable(&self) -> bool {
        self.answer != MISSING
    }

    /// The prompt step mode shows before the frame: the question, and how to
    /// answer it.
    pub fn prompt(&self) -> String {
        says::prompt(&self.question)
    }

    /// What step mode says after the student answered (or skipped): right or
    /// not, the captured answer, and why.
    pub fn verdict(&self) -> String {
        let why = self
            .explain
            .as_deref()
            .map(|e| format!(" {e}"))
            .unwrap_or_default();
        let verdict = match (self.correct, self.given.as_deref()) {
            (Some(true), _) => says::right(&self.answer),
            (Some(false), Some(given)) => says::not_quite(&given, &self.answer),
            _ if !self.gradable() => match self.given.as_deref() {
                Some(given) => says::not_graded_given(&given),
                None => says::not_graded(),
            },
            _ => says::frame_says(&self.answer),
        };
        verdict + &why
    }
}

impl Transcript {
    /// Record a student's answer to the checkpoint on event `event_index`
    /// (1-based, as in the transcript). Returns whether it was right, or None
    /// when that event has no checkpoint. For step mode, which collects the
    /// answers while the run goes on and records them before exporting.
    pub fn answer_checkpoint(&mut self, event_index: usize, given: &str) -> Option<bool> {
        let event = self.events.iter_mut().find(|e| e.index == event_index)?;
        Some(event.checkpoint.as_mut()?.record(given))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grade_numbers_numerically() {
        assert!(grade("5000", "5000"));
        assert!(grade(" 05000 ", "5000"));
        assert!(grade("5000.0", "5000"));
        assert!(grade("0x1388", "5000"));
        assert!(!grade("5001", "5000"));
        assert!(!grade("", "5000"));
        assert!(!grade("   ", ""));
    }

    #[test]
    fn grade_text_trimmed_and_case_insensitive() {
        assert!(grade("  Hello ", "hello"));
        assert!(grade("\"hello\"", "hello"));
        assert!(grade("b\"hello\"", "hello"));
        assert!(grade("how  are   you?", "how are you?"));
        assert!(grade("Sender", "sender"));
        assert!(grade("127.0.0.1", "127.0.0.1"));
        assert!(!grade("127.0.0.2", "127.0.0.1"));
        assert!(!grade("hell", "hello"));
        assert!(grade("200", "200 (OK)"));
        assert!(grade("terminal type", "24 (Terminal Type)"));
        assert!(grade("200 (OK)", "200 (OK)"));
        assert!(!grade("404", "200 (OK)"));
    }

    #[test]
    fn grade_flags_as_sets() {
        assert!(grade("syn, ack", "SYN+ACK"));
        assert!(grade("ACK SYN", "SYN+ACK"));
        assert!(grade("[SYN, ACK]", "SYN+ACK"));
        assert!(!grade("SYN", "SYN+ACK"));
        assert!(!grade("FIN+ACK", "SYN+ACK"));
    }

    #[test]
    fn templates_parse_and_report_every_mistake() {
        let pieces = parse_template("port {port.src} and {{literal}} {tcp.seq_rel}").unwrap();
        assert_eq!(
            pieces,
            vec![
                Piece::Text("port ".into()),
                Piece::Value("port.src".into()),
                Piece::Text(" and {literal} ".into()),
                Piece::Value("tcp.seq_rel".into())
            ]
        );
        let errors = parse_template("{port.srk} then {bogus} then { unclosed").unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert_eq!(errors[0].message, "unknown placeholder `{port.srk}`");
        assert!(
            errors[0].hint.contains("did you mean `{port.src}`"),
            "{}",
            errors[0].hint
        );
        assert_eq!(errors[0].needle.as_deref(), Some("{port.srk}"));
        assert!(errors[2].message.contains("not closed"));
        assert!(parse_template("a } b").is_err());
        assert_eq!(parse_template("").unwrap(), vec![]);
    }

    #[test]
    fn recording_an_answer() {
        let mut cp = Checkpoint {
            question: "Which port?".into(),
            answer: "5000".into(),
            value: "port.dst".into(),
            explain: Some("The receiver bound it.".into()),
            given: None,
            correct: None,
        };
        assert_eq!(cp.verdict(), "The frame says 5000. The receiver bound it.");
        assert!(!cp.record(" 5001 "));
        assert_eq!(
            (cp.given.as_deref(), cp.correct),
            (Some("5001"), Some(false))
        );
        assert_eq!(
            cp.verdict(),
            "Not quite: you said 5001, the frame says 5000. The receiver bound it."
        );
        assert!(cp.record("5000"));
        assert_eq!(cp.verdict(), "Right: 5000. The receiver bound it.");
        assert!(cp.prompt().starts_with("Checkpoint: Which port?"));
    }

    #[test]
    fn payload_text_escapes_as_the_payload_line_does() {
        for text in [
            &b"GET / HTTP/1.0\r\n\r\n"[..],
            b"a\tb \"quoted\" back\\slash",
            "héllo, world\u{1}".as_bytes(),
        ] {
            assert_eq!(
                format!("\"{}\"", payload_text(text)),
                crate::dissect::payload::display(text),
                "{text:?}"
            );
        }
        assert_eq!(payload_text(b"hi\r\n"), "hi\\r\\n");
    }

    #[test]
    fn payload_text_escapes_binary() {
        assert_eq!(payload_text(b"hello"), "hello");
        assert_eq!(payload_text(&[0x68, 0x00, 0xff]), "h\\x00\\xff");
        assert!(payload_text(&[b'a'; 300]).ends_with("… (300 bytes)"));
    }

    #[test]
    fn a_long_payload_is_cut_before_it_is_escaped() {
        let big = vec![b'x'; 16384];
        assert_eq!(
            payload_text(&big),
            format!("{}… (16384 bytes)", "x".repeat(200))
        );
        // A multi-byte character cut at the 800-byte mark is not an error.
        let mut text = "é".repeat(600).into_bytes();
        text.truncate(801);
        assert!(payload_text(&text).starts_with("éé"));
        assert!(payload_text(&text).ends_with("… (801 bytes)"));
        // A short payload that ends mid-character is escaped, not cut.
        assert_eq!(payload_text(&[0x68, 0xc3]), "h\\xc3");
    }

    #[test]
    fn an_expansion_stops_growing_past_what_a_note_may_take() {
        let event: Event = serde_json::from_str(
            r#"{"index": 1, "kind": "frame", "step": 1, "actor": "a", "time_ns": 0, "timestamp_ns": 0, "summary": "",
                "layer": "transport", "notes": {"syntax": "", "semantics": "", "timing": ""}}"#,
        )
        .unwrap();
        let template = "{payload}".repeat(444);
        let out = expand(&template, &event, &[b'x'; 16384]);
        assert!(out.len() <= MAX_EXPANSION + 300, "{}", out.len());
        assert!(out.starts_with("xxx"));
    }
}

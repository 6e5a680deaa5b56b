//! Generated data (`bytes:`), `recv` loops (`until_eof`, `until_bytes`),
//! `background: true` sendalls and answers read from a receiving call
//! (`call.from`, `call.data`, `call.bytes`): their checks and their words.

use std::fmt::{self, Display, Formatter};

use super::*;
use crate::plan::data::{DEFAULT_PATTERN, Generated, ReadUntil};

/// The most a UDP datagram can carry over IPv4 (65535 − 20 − 8): the
/// kernel refuses a bigger one with EMSGSIZE.
pub const MAX_UDP_PAYLOAD: usize = 65_507;

/// Answers a checkpoint reads from the call rather than a frame.
pub const CALL_ANSWERS: &[(&str, &str)] = &[
    (
        "call.from",
        "the address (`IP:PORT`) a `recvfrom` or `accept` returned",
    ),
    (
        "call.data",
        "the data a `recv` or `recvfrom` returned, as text (other bytes as \\xNN)",
    ),
    (
        "call.bytes",
        "how many bytes a `recv` or `recvfrom` returned",
    ),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataFault {
    SizeOutOfRange { size: i64, limit: usize },
    UdpTooBig { size: usize },
    PatternLength { len: usize, limit: usize },
    BytesWithText,
    TooMuchData { total: usize, limit: usize },
    UntilBoth,
    UntilBytesOutOfRange { bytes: i64, limit: usize },
    UntilOnUdp { actor: String },
    EofWithUntil,
    BackgroundOnUdp { actor: String },
    BackgroundRepeated,
    BackgroundNotJoined { actor: String },
    CallAnswerNotReceiving { answer: String, call: String },
    CallFromWithoutAddress { call: String },
}

impl Display for DataFault {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        use DataFault::*;
        match self {
            SizeOutOfRange { size, limit } => write!(
                f,
                "`size: {size}` is out of range: 1 to {limit} bytes (limit `max_bytes`)"
            ),
            UdpTooBig { size } => write!(
                f,
                "a UDP datagram carries at most {MAX_UDP_PAYLOAD} bytes, not {size}"
            ),
            PatternLength { len, limit } => write!(
                f,
                "a pattern of {len} bytes: it must be 1 to {limit} bytes long"
            ),
            BytesWithText => f.write_str("a step sends `bytes`, `text` or `hex`, only one of them"),
            TooMuchData { total, limit } => write!(
                f,
                "the lesson's sends carry {total} bytes so far, more than the limit of {limit} (limit `max_total_payload`)"
            ),
            UntilBoth => f.write_str("`until_eof` and `until_bytes` both end the loop; keep one"),
            UntilBytesOutOfRange { bytes, limit } => write!(
                f,
                "`until_bytes: {bytes}` is out of range: 1 to {limit} (limit `max_total_payload`)"
            ),
            UntilOnUdp { actor } => write!(
                f,
                "`{actor}` is a UDP actor: each recv returns one datagram, and there is no end of stream to read until"
            ),
            EofWithUntil => f.write_str(
                "`expect: {eof: true}` asks for a recv that returns 0 bytes, but this recv loops and returns what it gathered",
            ),
            BackgroundOnUdp { actor } => write!(
                f,
                "`background` is for a TCP `sendall`; `{actor}` is a UDP actor, whose sends never wait for the receiver"
            ),
            BackgroundRepeated => f.write_str("a `background` sendall cannot `repeat`"),
            BackgroundNotJoined { actor } => write!(
                f,
                "nothing waits for this background sendall: `{actor}` has no later step"
            ),
            CallAnswerNotReceiving { answer, call } => write!(
                f,
                "`{answer}` is what a receiving call returned, and `{call}` receives nothing"
            ),
            CallFromWithoutAddress { call } => write!(
                f,
                "`{call}` returns no address; `call.from` is for `recvfrom` and `accept`"
            ),
        }
    }
}

impl DataFault {
    pub fn hint(&self) -> Option<String> {
        use DataFault::*;
        Some(match self {
            SizeOutOfRange { .. } => "e.g. `bytes: {size: 1000000, pattern: \"0123456789\"}`; docs/lesson-format.md lists the limits".into(),
            UdpTooBig { .. } => "send it over TCP, or in several datagrams (`repeat:`)".into(),
            PatternLength { .. } => format!("e.g. `pattern: \"{DEFAULT_PATTERN}\"` (the default)"),
            BytesWithText => "keep one of them".into(),
            TooMuchData { .. } => "send less, or split the lesson in two".into(),
            UntilBoth => "`until_eof: true` reads until the peer closes; `until_bytes: N` stops after N bytes".into(),
            UntilBytesOutOfRange { .. } => "e.g. `until_bytes: 1000000`".into(),
            UntilOnUdp { .. } => "use one `recvfrom` per datagram (`repeat:`)".into(),
            EofWithUntil => "drop `eof`: the loop itself says whether it ended at end of stream".into(),
            BackgroundOnUdp { .. } => "drop `background`".into(),
            BackgroundRepeated => "send once, with a larger `bytes: {size}`".into(),
            BackgroundNotJoined { actor } => format!(
                "add a step of `{actor}` after it (its `close`, say): that step first waits for the sendall to finish"
            ),
            CallAnswerNotReceiving { .. } => {
                "put the checkpoint on a `recv`, `recvfrom` or `accept`, or ask about a frame (`answer: port.src`)".into()
            }
            CallFromWithoutAddress { .. } => {
                "a connection's peer does not change; ask `call.data` or `call.bytes`, or a frame's `ip.src`".into()
            }
        })
    }
}

/// `bytes: {size, pattern}` of a send: checked, or `None` (with the problem).
pub(super) fn check_generated(
    spec: &StepSpec,
    transport: Option<Transport>,
    problems: &mut Vec<Problem>,
) -> Option<Generated> {
    let b = spec.bytes.as_ref()?;
    if let Some(other) = spec.text.as_ref().or(spec.hex.as_ref()) {
        problems.push(Problem::new(Kind::Data(DataFault::BytesWithText), other));
        return None;
    }
    let pattern = match &b.value.pattern {
        Some(p) if p.value.is_empty() || p.value.len() > limits::MAX_PATTERN => {
            problems.push(Problem::new(
                Kind::Data(DataFault::PatternLength {
                    len: p.value.len(),
                    limit: limits::MAX_PATTERN,
                }),
                p,
            ));
            return None;
        }
        Some(p) => p.value.as_bytes().to_vec(),
        None => DEFAULT_PATTERN.as_bytes().to_vec(),
    };
    let size = &b.value.size;
    if size.value < 1 || size.value as u64 > limits::MAX_BYTES as u64 {
        problems.push(Problem::new(
            Kind::Data(DataFault::SizeOutOfRange {
                size: size.value,
                limit: limits::MAX_BYTES,
            }),
            size,
        ));
        return None;
    }
    let size_bytes = size.value as usize;
    if transport == Some(Transport::Udp) && size_bytes > MAX_UDP_PAYLOAD {
        problems.push(Problem::new(
            Kind::Data(DataFault::UdpTooBig { size: size_bytes }),
            size,
        ));
        return None;
    }
    Some(Generated {
        size: size_bytes,
        pattern,
    })
}

/// `until_eof` / `until_bytes` of a `recv`.
pub(super) fn check_read_until(
    spec: &StepSpec,
    transport: Option<Transport>,
    problems: &mut Vec<Problem>,
) -> Option<ReadUntil> {
    let eof = spec.until_eof.as_ref().filter(|e| e.value);
    let until = match (eof, &spec.until_bytes) {
        (Some(_), Some(n)) => {
            problems.push(Problem::new(Kind::Data(DataFault::UntilBoth), n));
            return None;
        }
        (Some(_), None) => ReadUntil::Eof,
        (None, Some(n)) if n.value < 1 || n.value as u64 > limits::MAX_TOTAL_PAYLOAD as u64 => {
            problems.push(Problem::new(
                Kind::Data(DataFault::UntilBytesOutOfRange {
                    bytes: n.value,
                    limit: limits::MAX_TOTAL_PAYLOAD,
                }),
                n,
            ));
            return None;
        }
        (None, Some(n)) => ReadUntil::Bytes(n.value as usize),
        (None, None) => return None,
    };
    let at = spec
        .until_bytes
        .as_ref()
        .map(pos)
        .or(spec.until_eof.as_ref().map(pos))
        .unwrap_or_else(|| pos(&spec.call));
    if transport == Some(Transport::Udp) {
        problems.push(Problem::at(
            Kind::Data(DataFault::UntilOnUdp {
                actor: spec.actor.value.clone(),
            }),
            at.0,
            at.1,
        ));
        return None;
    }
    if let Some(eof) = spec
        .expect
        .as_ref()
        .and_then(|e| e.value.eof.as_ref())
        .filter(|e| e.value)
    {
        problems.push(Problem::new(Kind::Data(DataFault::EofWithUntil), eof));
        return None;
    }
    Some(until)
}

/// `background: true` of a `sendall`.
pub(super) fn check_background(
    spec: &StepSpec,
    transport: Option<Transport>,
    problems: &mut Vec<Problem>,
) -> bool {
    let Some(b) = spec.background.as_ref().filter(|b| b.value) else {
        return false;
    };
    if transport == Some(Transport::Udp) {
        problems.push(Problem::new(
            Kind::Data(DataFault::BackgroundOnUdp {
                actor: spec.actor.value.clone(),
            }),
            b,
        ));
        return false;
    }
    if let Some(r) = &spec.repeat {
        problems.push(Problem::new(Kind::Data(DataFault::BackgroundRepeated), r));
        return false;
    }
    true
}

/// A background sendall is waited for by the actor's next step; without
/// one, nothing would ever see whether it finished.
pub(super) fn check_background_joined(steps: &[StepSpec], problems: &mut Vec<Problem>) {
    for (i, s) in steps.iter().enumerate() {
        if let Some(b) = s.background.as_ref().filter(|b| b.value)
            && !steps[i + 1..]
                .iter()
                .any(|l| l.actor.value == s.actor.value)
        {
            problems.push(Problem::new(
                Kind::Data(DataFault::BackgroundNotJoined {
                    actor: s.actor.value.clone(),
                }),
                b,
            ));
        }
    }
}

/// A checkpoint answer read from the call (`call.*`): is it a name we
/// know, and does this call return it? `None` when `answer` is not one.
pub(super) fn check_call_answer(answer: &str, call: &str) -> Option<Option<DataFault>> {
    if !is_call_answer(answer) {
        return None;
    }
    Some(match (answer, call) {
        (_, "recv" | "recvfrom") if answer != "call.from" || call == "recvfrom" => None,
        ("call.from", "accept" | "recvfrom") => None,
        ("call.from", "recv") => Some(DataFault::CallFromWithoutAddress { call: call.into() }),
        _ => Some(DataFault::CallAnswerNotReceiving {
            answer: answer.into(),
            call: call.into(),
        }),
    })
}

pub fn is_call_answer(name: &str) -> bool {
    CALL_ANSWERS.iter().any(|(n, _)| *n == name)
}

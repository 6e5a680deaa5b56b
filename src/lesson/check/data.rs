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

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::tests::run;
    const TCP: &str = "actors:\n  - {name: srv, transport: tcp, port: 50007}\n  - {name: cli, transport: tcp}\nsteps:\n  - {actor: srv, call: bind}\n  - {actor: srv, call: listen}\n  - {actor: cli, call: connect, to: srv}\n  - {actor: srv, call: accept}\n";
    const UDP: &str = "actors:\n  - {name: r, transport: udp, port: 5000}\n  - {name: s, transport: udp}\nsteps:\n  - {actor: r, call: bind}\n";

    /// The first error: its kind, line, column and message.
    fn error(body: &str) -> (Kind, u64, u64, String) {
        let (plan, problems) = run(body);
        assert!(plan.is_none(), "{problems:#?}");
        let p = problems.iter().find(|p| p.is_error()).expect("an error");
        (p.kind.clone(), p.line, p.column, p.message())
    }

    #[test]
    fn a_megabyte_is_one_line_and_the_call_is_written_as_python_would() {
        let (plan, problems) = run(&format!(
            "{TCP}  - {{actor: cli, call: sendall, bytes: {{size: 1000000}}}}\n  - {{actor: srv, call: recv, max: 65536, until_bytes: 1000000}}\n  - {{actor: cli, call: close}}\n  - {{actor: srv, call: recv, until_eof: true}}\n"
        ));
        let plan = plan.unwrap_or_else(|| panic!("{problems:#?}"));
        let send = &plan.steps[4];
        let Call::Send { data, all: true } = &send.call else {
            panic!("{:?}", send.call)
        };
        assert_eq!(data.len(), 1_000_000);
        assert_eq!(&data[..12], b"012345678901");
        assert_eq!(
            crate::plan::call_text(&plan, send),
            "sendall(b\"0123456789\" * 100000)"
        );
        assert_eq!(plan.steps[5].read_until, Some(ReadUntil::Bytes(1_000_000)));
        assert_eq!(plan.steps[7].read_until, Some(ReadUntil::Eof));
        assert!(
            crate::plan::call_text(&plan, &plan.steps[7])
                .starts_with("while chunk := conn.recv(1024)")
        );
    }

    #[test]
    fn generated_data_is_bounded_per_call_per_datagram_and_per_lesson() {
        let (kind, line, column, message) = error(&format!(
            "{TCP}  - {{actor: cli, call: sendall, bytes: {{size: 2000000}}}}\n"
        ));
        assert!(matches!(kind, Kind::Data(DataFault::SizeOutOfRange { .. })));
        assert_eq!((line, column), (13, 47));
        assert_eq!(
            message,
            "`size: 2000000` is out of range: 1 to 1048576 bytes (limit `max_bytes`)"
        );
        let (kind, ..) = error(&format!(
            "{UDP}  - {{actor: s, call: sendto, to: r, bytes: {{size: 70000}}}}\n"
        ));
        assert_eq!(kind, Kind::Data(DataFault::UdpTooBig { size: 70000 }));
        let (kind, ..) = error(&format!(
            "{TCP}  - {{actor: cli, call: sendall, bytes: {{size: 1048576}}, repeat: 5}}\n"
        ));
        assert!(matches!(
            kind,
            Kind::Data(DataFault::TooMuchData { total: 5242880, .. })
        ));
        let (kind, ..) = error(&format!(
            "{TCP}  - {{actor: cli, call: sendall, text: hi, bytes: {{size: 3}}}}\n"
        ));
        assert_eq!(kind, Kind::Data(DataFault::BytesWithText));
        let (kind, ..) = error(&format!(
            "{TCP}  - {{actor: cli, call: sendall, bytes: {{size: 3, pattern: \"\"}}}}\n"
        ));
        assert!(matches!(kind, Kind::Data(DataFault::PatternLength { .. })));
    }

    #[test]
    fn recv_loops_are_for_tcp_one_way_at_a_time() {
        let (kind, ..) = error(&format!(
            "{TCP}  - {{actor: srv, call: recv, until_eof: true, until_bytes: 5}}\n"
        ));
        assert_eq!(kind, Kind::Data(DataFault::UntilBoth));
        let (kind, ..) = error(&format!(
            "{TCP}  - {{actor: srv, call: recv, until_bytes: 0}}\n"
        ));
        assert!(matches!(
            kind,
            Kind::Data(DataFault::UntilBytesOutOfRange { bytes: 0, .. })
        ));
        let (kind, ..) = error(&format!(
            "{TCP}  - {{actor: srv, call: recv, until_eof: true, expect: {{eof: true}}}}\n"
        ));
        assert_eq!(kind, Kind::Data(DataFault::EofWithUntil));
        let (kind, ..) = error(&format!(
            "{UDP}  - {{actor: s, call: connect, to: r}}\n  - {{actor: s, call: recv, until_eof: true}}\n"
        ));
        assert!(matches!(kind, Kind::Data(DataFault::UntilOnUdp { .. })));
        let (kind, ..) = error(&format!(
            "{UDP}  - {{actor: r, call: recvfrom, until_eof: true}}\n"
        ));
        assert!(matches!(
            kind,
            Kind::KeyWithoutMeaning {
                key: "until_eof",
                ..
            }
        ));
    }

    #[test]
    fn a_background_sendall_needs_a_later_step_that_waits_for_it() {
        let (kind, line, ..) = error(&format!(
            "{TCP}  - {{actor: cli, call: sendall, bytes: {{size: 10}}, background: true}}\n  - {{actor: srv, call: recv}}\n"
        ));
        assert_eq!(
            kind,
            Kind::Data(DataFault::BackgroundNotJoined {
                actor: "cli".into()
            })
        );
        assert_eq!(line, 13);
        let (kind, ..) = error(&format!(
            "{TCP}  - {{actor: cli, call: sendall, text: x, background: true, repeat: 2}}\n  - {{actor: cli, call: close}}\n"
        ));
        assert_eq!(kind, Kind::Data(DataFault::BackgroundRepeated));
        let (kind, ..) = error(&format!(
            "{TCP}  - {{actor: cli, call: send, text: x, background: true}}\n  - {{actor: cli, call: close}}\n"
        ));
        assert!(matches!(
            kind,
            Kind::KeyWithoutMeaning {
                key: "background",
                ..
            }
        ));
        let (plan, problems) = run(&format!(
            "{TCP}  - {{actor: cli, call: sendall, bytes: {{size: 10}}, background: true}}\n  - {{actor: srv, call: recv, until_bytes: 10}}\n  - {{actor: cli, call: close}}\n"
        ));
        let plan = plan.unwrap_or_else(|| panic!("{problems:#?}"));
        assert!(plan.steps[4].background);
        assert!(crate::plan::call_text(&plan, &plan.steps[4]).starts_with("threading.Thread("));
    }

    #[test]
    fn call_answers_belong_to_receiving_calls() {
        let cp = |answer: &str| format!("checkpoint: {{ask: q, answer: {answer}}}");
        let ok = run(&format!(
            "{UDP}  - {{actor: s, call: sendto, to: r, text: hi}}\n  - {{actor: r, call: recvfrom, {}}}\n",
            cp("call.from")
        ));
        assert!(ok.0.is_some(), "{:#?}", ok.1);
        let (kind, ..) = error(&format!(
            "{TCP}  - {{actor: cli, call: sendall, text: hi}}\n  - {{actor: srv, call: recv, {}}}\n",
            cp("call.from")
        ));
        assert!(matches!(
            kind,
            Kind::Data(DataFault::CallFromWithoutAddress { .. })
        ));
        let (kind, ..) = error(&format!(
            "{TCP}  - {{actor: cli, call: sendall, text: hi, {}}}\n",
            cp("call.data")
        ));
        assert!(matches!(
            kind,
            Kind::Data(DataFault::CallAnswerNotReceiving { .. })
        ));
        // A near miss is refused with a did-you-mean, as any answer is.
        let (plan, problems) = run(&format!(
            "{UDP}  - {{actor: s, call: sendto, to: r, text: hi, {}}}\n",
            cp("ip.tll")
        ));
        assert!(plan.is_none());
        let hint = problems[0].hint().unwrap_or_default();
        assert!(hint.contains("did you mean `ip.ttl`?"), "{hint}");
    }

    #[test]
    fn new_placeholders_are_known_and_near_misses_get_a_did_you_mean() {
        for name in ["udp.len", "ip.ttl", "ip.id", "ip.hop_limit", "payload.hex"] {
            assert!(crate::plan::template::is_placeholder(name), "{name}");
        }
        let errors = crate::plan::template::parse_template("{udp.length}").unwrap_err();
        assert!(
            errors[0].hint.contains("did you mean `{udp.len}`?"),
            "{errors:?}"
        );
    }
}

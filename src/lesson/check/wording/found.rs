//! What the YAML reader's plain-words problems and the step-by-step
//! follow of the data (check::delivery) say, and their hints.

use std::fmt::{self, Formatter};

use crate::lesson::check::kind::{DataHint, Kind, Never};

/// The kinds worded in this file, as one pattern: `wording.rs` sends them
/// here, and its matches stay exhaustive.
macro_rules! found_kinds {
    () => {
        Kind::TabIndent
            | Kind::Misindented { .. }
            | Kind::DuplicateKey { .. }
            | Kind::NumberOutOfRange { .. }
            | Kind::NumberWithUnit { .. }
            | Kind::NotWholeNumber { .. }
            | Kind::BracesReadAsMapping { .. }
            | Kind::ColonInValue { .. }
            | Kind::MissingColon { .. }
            | Kind::ExpectedDataDiffers { .. }
            | Kind::NothingArrives { .. }
            | Kind::WrongSender { .. }
            | Kind::EofNeverComes { .. }
            | Kind::EofButData { .. }
            | Kind::ErrorCannotHappen { .. }
            | Kind::ExpectNotIndented { .. }
    };
}
pub(super) use found_kinds;

/// `step 5 (line 22)`, `steps 5 (line 22) and 6 (line 25)`.
fn steps(from: &[(usize, u64)]) -> String {
    let each: Vec<String> = from
        .iter()
        .map(|(s, l)| format!("{s} (line {l})"))
        .collect();
    match each.as_slice() {
        [] => "an earlier step".into(),
        [one] => format!("step {one}"),
        [rest @ .., last] => format!("steps {} and {last}", rest.join(", ")),
    }
}

/// The message of a kind in `found_kinds!`.
pub(super) fn message(kind: &Kind, f: &mut Formatter<'_>) -> fmt::Result {
    use Kind::*;
    match kind {
        TabIndent => f.write_str("this line is indented with a tab"),
        Misindented {
            key,
            found,
            want,
            list: false,
            ..
        } => write!(
            f,
            "`{key}` is indented {found} spaces, but the keys beside it are indented {want}"
        ),
        Misindented { found, want, .. } => write!(
            f,
            "this `-` is indented {found} spaces, but the other items of its list are indented {want}"
        ),
        DuplicateKey { key, first_line } => write!(
            f,
            "`{key}` appears twice in this mapping: here and on line {first_line}"
        ),
        NumberOutOfRange {
            key,
            text,
            negative: true,
            ..
        } => write!(f, "`{key}: {text}` cannot be negative"),
        NumberOutOfRange { key, text, .. } => {
            write!(f, "`{key}: {text}` is too large for `{key}`")
        }
        NumberWithUnit { key, text, .. } => write!(
            f,
            "`{key}` is a number of milliseconds without a unit, not `{text}`"
        ),
        NotWholeNumber {
            key,
            text,
            millis: true,
        } => write!(f, "`{key}` is a whole number of milliseconds, not `{text}`"),
        NotWholeNumber { key, text, .. } => {
            write!(f, "`{key}` is a whole number, not `{text}`")
        }
        BracesReadAsMapping { key, value, .. } => write!(
            f,
            "`{key}: {value}`: YAML reads a value that starts with `{{` as a mapping"
        ),
        ColonInValue { key, .. } => write!(
            f,
            "the value of `{key}` holds `: `, which YAML reads as the start of another key"
        ),
        MissingColon {
            key,
            value,
            space: true,
        } => write!(f, "`{key}:{value}` needs a space after the colon"),
        MissingColon { key, value, .. } => {
            write!(f, "`{key} {value}` has no colon after its key")
        }
        ExpectedDataDiffers {
            actor,
            expected,
            got,
            from,
            hint: DataHint::EndOfStream,
        } => write!(
            f,
            "`{actor}` expects {expected}, but {got} arrives here: its peer closed in {}",
            steps(from)
        ),
        ExpectedDataDiffers {
            actor,
            expected,
            got,
            from,
            ..
        } => write!(
            f,
            "`{actor}` expects {expected}, but what arrives here is {got}, sent in {}",
            steps(from)
        ),
        NothingArrives {
            actor,
            lost: Some((step, line)),
            ..
        } => write!(
            f,
            "nothing reaches `{actor}` here: the datagram of step {step} (line {line}) was sent before it bound its port, and the kernel dropped it"
        ),
        NothingArrives {
            actor,
            read_before: true,
            ..
        } => write!(
            f,
            "nothing is waiting for `{actor}` here: earlier reads took everything sent to it"
        ),
        NothingArrives {
            actor,
            astray: Some((step, line, addr)),
            ..
        } => write!(
            f,
            "nothing is sent to `{actor}` before this step: the datagram of step {step} (line {line}) goes to {addr}, which no actor binds"
        ),
        NothingArrives { actor, .. } => {
            write!(f, "nothing is sent to `{actor}` before this step")
        }
        WrongSender {
            actor,
            expected,
            got,
            step,
            line,
        } => write!(
            f,
            "`{actor}` expects a datagram from `{expected}`, but the one that arrives here is from `{got}` (step {step}, line {line})"
        ),
        EofNeverComes { actor, peer } => write!(
            f,
            "`{actor}` expects end of stream, but `{peer}` has not closed or shut down its side by this step"
        ),
        EofButData { actor, bytes } => write!(
            f,
            "`{actor}` expects end of stream, but {} still wait to be read",
            crate::text::plural(*bytes, "byte")
        ),
        ErrorCannotHappen { error, why } => {
            write!(f, "`error: {error}` cannot happen here: ")?;
            match why {
                Never::Listening { server, step, line } => write!(
                    f,
                    "`{server}` listens since step {step} (line {line}), so the connection is made"
                ),
                Never::UdpUnconnected => {
                    f.write_str("an unconnected UDP socket is never told of ICMP errors")
                }
                Never::SendtoUnconnected => f.write_str(
                    "`sendto` on an unconnected UDP socket hands the datagram to the kernel and returns",
                ),
                Never::UdpReset => f.write_str("UDP has no connection to reset"),
                Never::CallNeverFails { call } => {
                    write!(f, "`{call}` does not wait for or hear from a peer")
                }
                Never::DataWaiting { bytes } => write!(
                    f,
                    "{} already wait for this call",
                    crate::text::plural(*bytes, "byte")
                ),
                Never::EndOfStream { peer, step, line } => write!(
                    f,
                    "`{peer}` closed its side in step {step} (line {line}), so this call returns end of stream"
                ),
            }
        }
        ExpectNotIndented { key, expect_line } => write!(
            f,
            "`{key}` is a key of this step, not of its `expect:` (line {expect_line}), which is empty"
        ),
        _ => unreachable!("found::message is only called for found_kinds!"),
    }
}

/// The hint of a kind in `found_kinds!`.
pub(super) fn hint(kind: &Kind) -> Option<String> {
    use Kind::*;
    let s = |t: &str| Some(t.to_string());
    match kind {
        TabIndent => s("YAML does not allow tabs in indentation: indent with spaces"),
        Misindented {
            key,
            want,
            with_key,
            with_line,
            list: false,
            ..
        } => Some(format!(
            "line `{key}:` up with `{with_key}:` on line {with_line} ({want} spaces), or indent it under the key it belongs to"
        )),
        Misindented {
            want, with_line, ..
        } => Some(format!(
            "line this `-` up with the `-` on line {with_line} ({want} spaces)"
        )),
        DuplicateKey { key, first_line } => Some(format!(
            "a key may appear once in the same mapping: keep one `{key}:` (this one, or line {first_line}'s)"
        )),
        NumberOutOfRange { range: Some(r), .. } => Some(r.clone()),
        NumberOutOfRange { .. } => s("no number in a lesson is that large; docs/lesson-format.md gives each key's range"),
        NumberWithUnit { key, ms, .. } => Some(format!("write `{key}: {ms}`")),
        NotWholeNumber {
            key, millis: true, ..
        } => Some(format!(
            "write digits only, e.g. `{key}: 1500` for a second and a half"
        )),
        NotWholeNumber { key, .. } => Some(match crate::lesson::yaml::number_range(key) {
            Some(r) => format!("write digits only: {r}"),
            None => "write digits only".into(),
        }),
        BracesReadAsMapping {
            key,
            placeholder: true,
            inner,
            ..
        } if key == "answer" => Some(format!(
            "drop the braces: `answer: {inner}` (braces are for templates, `answer` names the value)"
        )),
        BracesReadAsMapping { key, value, .. } => Some(format!(
            "put the whole value in quotes: `{key}: \"{value}\"`"
        )),
        ColonInValue { key, value } => Some(format!(
            "put the value in quotes: `{key}: \"{}\"`",
            value.replace('"', "\\\"")
        )),
        MissingColon { key, value, .. } => Some(format!(
            "a key, a colon, a space, then the value: `{key}: {value}`"
        )),
        ExpectedDataDiffers { hint, .. } => Some(match hint {
            DataHint::MaxCut { max } => format!(
                "`max: {max}` reads at most {max} bytes; raise `max` to the length you expect"
            ),
            DataHint::Glued { sends } => format!(
                "TCP is a byte stream that keeps no message boundaries: one `recv` returns everything that has arrived, here {sends} sends at once; expect all of it, or receive after each send"
            ),
            DataHint::TrailingNewline => "a `|` block keeps its last newline, and it is sent too: write `|-` to leave it out, or expect the newline (`\"…\\n\"`)".into(),
            DataHint::Escapes => "escapes such as `\\r\\n` work only in double quotes; in single quotes or plain text they are two characters each: write `\"…\\r\\n\"` on both sides".into(),
            DataHint::EndOfStream => "move the `close` after the step that sends, or expect `eof: true`".into(),
            DataHint::None => "steps run in order, so what arrives is known before the run: expect what the sending step sends, or change that step".into(),
        }),
        NothingArrives { lost: Some(_), actor, .. } => Some(format!(
            "a datagram to a port nobody holds is dropped: move `{actor}`'s `bind` before the step that sends"
        )),
        NothingArrives {
            actor,
            astray: Some(_),
            ..
        } => Some(format!(
            "name the receiver (`to: {actor}`) rather than its address, or give the address and port `{actor}` binds"
        )),
        NothingArrives { .. } => s(
            "steps run one after another, so this call would wait its `timeout_ms` and fail: put the step that sends before it, or expect `error: timeout`",
        ),
        WrongSender { got, .. } => Some(format!(
            "`from` names the actor whose socket sent the datagram: write `from: {got}`, or make the other actor send it first"
        )),
        EofNeverComes { peer, .. } => Some(format!(
            "add a step before this one where `{peer}` calls `close` (or `shutdown` with `how: write`)"
        )),
        EofButData { .. } => s("end of stream comes after the data: read it first with another `recv`"),
        ErrorCannotHappen { why, .. } => s(match why {
            Never::Listening { .. } => "remove the `expect`, or leave out the server's `listen` to show a refusal",
            Never::UdpUnconnected => "an unconnected `recvfrom` can only time out (`error: timeout`); to see a refusal, `connect` the socket and `recv` (as the lesson udp-unreachable does)",
            Never::SendtoUnconnected => "remove the `expect`; to see a refusal, `connect` the socket, `send`, then `recv` (as the lesson udp-unreachable does)",
            Never::UdpReset => "`reset` is a TCP error (an RST); a UDP socket may expect `refused` or `timeout`",
            Never::CallNeverFails { .. } => "`refused`, `reset` and `timeout` come from connecting, sending and receiving; remove the `expect`",
            Never::DataWaiting { .. } => "the call returns them at once: expect them (`text:` or `hex:`) instead",
            Never::EndOfStream { .. } => "expect `eof: true`",
        }),
        ExpectNotIndented { key, .. } => Some(format!(
            "indent `{key}:` two spaces more, under `expect:`"
        )),
        _ => None,
    }
}

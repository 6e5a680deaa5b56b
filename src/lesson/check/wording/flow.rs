//! What the problems of named connections (`as:`, `on:`), answer tables,
//! saved peers (`save_as:`) and loops say, and their hints.

use std::fmt::{self, Formatter};

use crate::lesson::check::kind::Kind;
use crate::lesson::limits;

/// The kinds worded in this file, as one pattern: `wording.rs` sends them
/// here, and its matches stay exhaustive.
macro_rules! flow_kinds {
    () => {
        Kind::KeyOnlyOn { .. }
            | Kind::BadFlowName { .. }
            | Kind::UnknownConnection { .. }
            | Kind::ConnectionClosed { .. }
            | Kind::ConnectionNameInUse { .. }
            | Kind::WhichConnection { .. }
            | Kind::OnWithListener
            | Kind::AcceptNamedForAnother { .. }
            | Kind::SaveAsIsActor { .. }
            | Kind::PeerNotSaved { .. }
            | Kind::AnswerWithoutDefault
            | Kind::AnswerToAnError
            | Kind::AnswerTableEmpty
            | Kind::LoopWithoutMax
            | Kind::LoopMaxOutOfRange { .. }
            | Kind::LoopStepsOutOfRange { .. }
            | Kind::NestedLoop { .. }
            | Kind::UnknownUntil { .. }
            | Kind::UntilBadHex { .. }
            | Kind::UntilEofWithoutRead
            | Kind::EmptyLines
            | Kind::LinesBeyondMax { .. }
            | Kind::LineWithoutLines
    };
}
pub(super) use flow_kinds;

fn list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn message(kind: &Kind, f: &mut Formatter<'_>) -> fmt::Result {
    use Kind::*;
    match kind {
        KeyOnlyOn { key, call } => write!(f, "`{key}:` has no meaning for `{call}`"),
        BadFlowName { key, name } => write!(f, "`{key}: {name}` is not a usable name"),
        UnknownConnection { actor, name, .. } => {
            write!(f, "`{actor}` holds no connection named `{name}`")
        }
        ConnectionClosed {
            actor,
            name,
            step,
            line,
        } => write!(
            f,
            "`{actor}` closed its connection `{name}` in step {step} (line {line})"
        ),
        ConnectionNameInUse {
            actor,
            name,
            step,
            line,
        } => write!(
            f,
            "`{actor}` already holds a connection named `{name}`, accepted in step {step} (line {line})"
        ),
        WhichConnection { actor, held } => write!(
            f,
            "`{actor}` holds several connections ({}): this step does not say which it uses",
            list(held)
        ),
        OnWithListener => {
            f.write_str("`on:` names a connection, but `socket: listener` closes the listener")
        }
        AcceptNamedForAnother { name, client } => write!(
            f,
            "`as: {name}` names an actor, but this accept takes `{client}`'s connection (accept takes connections in the order they were made)"
        ),
        SaveAsIsActor { name } => write!(
            f,
            "`save_as: {name}` is also an actor's name, so `to: {name}` could mean either"
        ),
        PeerNotSaved { actor, name } => write!(
            f,
            "`to: {name}`: `{actor}` has saved no sender under that name before this step"
        ),
        AnswerWithoutDefault => {
            f.write_str("`answer:` has no `default:` for data the table does not hold")
        }
        AnswerTableEmpty => f.write_str("`answer:` has an empty `table:`"),
        AnswerToAnError => f.write_str(
            "`answer:` on a read that is expected to fail: nothing would be read to answer",
        ),
        LoopWithoutMax => f.write_str("`loop:` has no `max:`: every loop needs a bound"),
        LoopMaxOutOfRange { max, limit } => {
            write!(
                f,
                "`max: {max}` is out of range: a loop runs 1 to {limit} times"
            )
        }
        LoopStepsOutOfRange { steps, left } => write!(
            f,
            "`steps: {steps}` is out of range: this loop may span 1 to {left} steps (this one and those after it)"
        ),
        NestedLoop { outer_line } => write!(
            f,
            "a loop inside the loop of line {outer_line}: loops do not nest"
        ),
        UnknownUntil { word } => write!(f, "`until: {word}` is not a condition"),
        UntilBadHex { error } => write!(f, "`until: {{hex: ...}}` is not hex: {error}"),
        UntilEofWithoutRead => {
            f.write_str("`until: eof` can never be met: no step of the loop is a `recv`")
        }
        EmptyLines => f.write_str("`lines:` is empty"),
        LinesBeyondMax { lines, max } => write!(
            f,
            "`lines:` has {lines} lines but the loop runs at most {max} times"
        ),
        LineWithoutLines => f.write_str("`{line}` is used outside a loop that has `lines:`"),
        _ => unreachable!("flow_kinds!() lists the kinds worded here"),
    }
}

pub(super) fn hint(kind: &Kind) -> Option<String> {
    use Kind::*;
    let s = |t: &str| Some(t.to_string());
    match kind {
        KeyOnlyOn { key, .. } => Some(match *key {
            "as" => "`as:` names the connection an `accept` returns; remove it here".into(),
            "on" => "`on:` picks an accepted connection for send, sendall, recv, shutdown, close or setsockopt; remove it here".into(),
            "answer" => "`answer:` replies to what a `recv` or `recvfrom` received; put it on the receiving step".into(),
            _ => "`save_as:` keeps the sender of a `recvfrom`; put it on that step".into(),
        }),
        BadFlowName { .. } => s(
            "use letters, digits, `-` and `_` (e.g. `alice`); `reply` and `listener` are taken",
        ),
        UnknownConnection { held, .. } if held.is_empty() => s(
            "name the connection where it is accepted: `call: accept` with `as: NAME`",
        ),
        UnknownConnection { held, .. } => Some(format!(
            "it holds {}; or accept one with `as:` that name first",
            list(held)
        )),
        ConnectionClosed { name, .. } => Some(format!(
            "move this step before that `close`, or accept again with `as: {name}`"
        )),
        ConnectionNameInUse { name, .. } => Some(format!(
            "give this connection another name, or close `{name}` first (`call: close`, `on: {name}`)"
        )),
        WhichConnection { held, .. } => Some(format!(
            "add `on:` with one of {} (or `socket: listener` to close the listener)",
            list(held)
        )),
        OnWithListener => s("remove `on:` to close the listener, or `socket: listener` to close the connection"),
        AcceptNamedForAnother { client, .. } => Some(format!(
            "name it `{client}`, or move `{client}`'s connect after the other's"
        )),
        SaveAsIsActor { name } => Some(format!(
            "give the address another name, e.g. `{name}_addr`"
        )),
        PeerNotSaved { name, .. } => Some(format!(
            "save it first: `call: recvfrom` with `save_as: {name}` by this actor"
        )),
        AnswerWithoutDefault => s("add `default: \"no\"` (the tutorial's `words.get(data, 'no')`)"),
        AnswerToAnError => s("remove `answer:`, or the `expect: {error: ...}`"),
        AnswerTableEmpty => s("add rows `request: reply`, e.g. `table: {\"how are u\": \"fine\"}`"),
        LoopWithoutMax => Some(format!(
            "add `max:` (1 to {}), the most times the loop may run",
            limits::MAX_LOOP
        )),
        LoopMaxOutOfRange { .. } => Some(format!(
            "a lesson is bounded: use 1 to {}, or split the exchange into two loops",
            limits::MAX_LOOP
        )),
        LoopStepsOutOfRange { .. } => s(
            "`steps:` counts this step and the ones after it that repeat together",
        ),
        NestedLoop { .. } => s("end the outer loop before this step (`steps:` of the outer loop), or unroll one of them"),
        UnknownUntil { .. } => s("use `until: eof` or `until: {text: \"bye\"}`"),
        UntilBadHex { .. } => s("write bytes as hex pairs, e.g. `62 79 65`"),
        UntilEofWithoutRead => s("add a `recv` to the loop, or use `until: {text: ...}`"),
        EmptyLines => s("give one line per iteration, e.g. `lines: [\"how are u\", \"bye\"]`"),
        LinesBeyondMax { lines, .. } => Some(format!(
            "raise `max:` to {lines}, or remove the lines that would never be sent"
        )),
        LineWithoutLines => s(
            "put the step in a `loop:` with `lines:`, or write the text itself",
        ),
        _ => unreachable!("flow_kinds!() lists the kinds worded here"),
    }
}

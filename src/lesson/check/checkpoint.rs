//! Checkpoints: a question about one of a step's frames.

use super::*;

/// Calls that put no frame on the wire by themselves, so a checkpoint about
/// their frames would have nothing to read.
pub(super) fn frameless(call: &str, transport: Option<Transport>, spec: &StepSpec) -> bool {
    match call {
        "bind" | "listen" | "accept" | "setsockopt" | "recv" | "recvfrom" | "sleep" => true,
        "connect" | "shutdown" => transport == Some(Transport::Udp),
        "close" => {
            transport == Some(Transport::Udp)
                || spec.socket.as_ref().is_some_and(|s| s.value == "listener")
        }
        _ => false,
    }
}

pub(super) fn check_checkpoint(
    spec: &StepSpec,
    transport: Option<Transport>,
    source: &str,
    problems: &mut Vec<Problem>,
) -> Option<CheckpointPlan> {
    let cp = spec.checkpoint.as_ref()?;
    let c = &cp.value;
    let before = problems.len();
    let call = spec.call.value.as_str();
    if frameless(call, transport, spec) {
        problems.push(Problem::error(
            cp,
            format!("`{call}` puts no frame on the wire here, so this checkpoint has nothing to ask about"),
            Some("put the checkpoint on a step that sends: sendto, send, sendall, a TCP connect, close or shutdown".into()),
        ));
    }
    if c.ask.value.trim().is_empty() {
        problems.push(Problem::error(
            &c.ask,
            "the question is empty",
            Some("e.g. `ask: \"Which port will the datagram come from?\"`".into()),
        ));
    }
    let ask = check_template(&c.ask, "the question", source, problems);
    let answer = c.answer.value.trim();
    if answer.starts_with('{')
        && answer.ends_with('}')
        && crate::plan::template::is_placeholder(answer[1..answer.len() - 1].trim())
    {
        problems.push(Problem::error(
            &c.answer,
            format!(
                "write `answer: {}` without braces",
                answer[1..answer.len() - 1].trim()
            ),
            Some("`answer` names a captured value; braces are for templates".into()),
        ));
    } else if !crate::plan::template::is_placeholder(answer) {
        problems.push(Problem::error(
            &c.answer,
            format!("`{answer}` is not a captured value"),
            Some(match did_you_mean(answer, crate::plan::template::placeholder_names()) {
                Some(m) => format!("did you mean `{m}`? The right answer is read from the captured frame, so `answer` names a value, not the value itself"),
                None => format!(
                    "the right answer is read from the captured frame, so `answer` names a value: one of {}",
                    crate::plan::template::placeholder_names().collect::<Vec<_>>().join(", ")
                ),
            }),
        ));
    } else if answer.starts_with("tcp.") && transport == Some(Transport::Udp) {
        problems.push(Problem::error(
            &c.answer,
            format!(
                "`{answer}` is TCP's, but `{}` is a UDP actor",
                spec.actor.value
            ),
            Some("ask about `port.src`, `port.dst`, `ip.src`, `payload` or `length`".into()),
        ));
    }
    let frame = match &c.frame {
        Some(f) if f.value < 1 || f.value as u64 > limits::MAX_CHECKPOINT_FRAME as u64 => {
            problems.push(Problem::error(
                f,
                format!(
                    "frame {} is out of range (limit `max_checkpoint_frame`)",
                    f.value
                ),
                Some(format!(
                    "frames of a step count from 1 to {}",
                    limits::MAX_CHECKPOINT_FRAME
                )),
            ));
            1
        }
        Some(f) if f.value > 2 && transport == Some(Transport::Udp) => {
            problems.push(Problem::warning(
                f,
                format!("a UDP `{}` makes one datagram, and at most an ICMP error comes back: there is no frame {}", spec.call.value, f.value),
                Some("ask about `frame: 1` (the datagram) or `frame: 2` (an ICMP error, when nobody listens)".into()),
            ));
            f.value as usize
        }
        Some(f) => f.value as usize,
        None => 1,
    };
    let explain = c
        .explain
        .as_ref()
        .and_then(|e| check_template(e, "the explanation", source, problems));
    if problems[before..]
        .iter()
        .any(|p| p.severity == Severity::Error)
    {
        return None;
    }
    Some(CheckpointPlan {
        ask: ask?,
        answer: answer.to_string(),
        frame,
        explain,
    })
}

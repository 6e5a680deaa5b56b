//! Checkpoints: a question about one of a step's frames.

use super::*;

/// `on_network`: the actor is on a host of the lesson's own network, where
/// ARP and routers add frames a step on `lo` would not have.
pub(super) fn check_checkpoint(
    spec: &StepSpec,
    transport: Option<Transport>,
    on_network: bool,
    source: &str,
    problems: &mut Vec<Problem>,
) -> Option<CheckpointPlan> {
    let cp = spec.checkpoint.as_ref()?;
    let c = &cp.value;
    let before = problems.len();
    // A read with `answer:` asks about the reply it sends.
    let call = match spec.call.value.as_str() {
        "recv" if spec.answer.is_some() => "sendall",
        "recvfrom" if spec.answer.is_some() => "sendto",
        call => call,
    };
    let listener = spec.socket.as_ref().is_some_and(|s| s.value == "listener");
    let answer = c.answer.value.trim();
    // `call.*` answers come from what the call returned, not from a frame.
    let from_call = super::data::check_call_answer(answer, call);
    if let Some(Some(fault)) = &from_call {
        problems.push(Problem::new(Kind::Data(fault.clone()), &c.answer));
    }
    if from_call.is_none() && !crate::sockets::puts_frames(call, transport, listener) {
        let (line, column) = key_of_block(source, pos(cp), "checkpoint");
        problems.push(Problem::at(
            Kind::FramelessCheckpoint {
                call: call.to_string(),
            },
            line,
            column,
        ));
    }
    if c.ask.value.trim().is_empty() {
        problems.push(Problem::new(Kind::EmptyQuestion, &c.ask));
    }
    let ask = check_template(&c.ask, "the question", source, problems);
    if from_call.is_some() {
        // Checked above, against the call.
    } else if answer.starts_with('{')
        && answer.ends_with('}')
        && crate::plan::template::is_placeholder(answer[1..answer.len() - 1].trim())
    {
        problems.push(Problem::new(
            Kind::AnswerInBraces {
                name: answer[1..answer.len() - 1].trim().to_string(),
            },
            &c.answer,
        ));
    } else if !crate::plan::template::is_placeholder(answer) {
        problems.push(Problem::new(
            Kind::AnswerNotCaptured {
                answer: answer.to_string(),
            },
            &c.answer,
        ));
    } else if answer.starts_with("tcp.") && transport == Some(Transport::Udp) {
        problems.push(Problem::new(
            Kind::TcpAnswerOnUdp {
                answer: answer.to_string(),
                actor: spec.actor.value.clone(),
            },
            &c.answer,
        ));
    }
    let frame = match &c.frame {
        Some(f) if f.value < 1 || f.value as u64 > limits::MAX_CHECKPOINT_FRAME as u64 => {
            problems.push(Problem::new(
                Kind::CheckpointFrameOutOfRange {
                    frame: f.value,
                    limit: limits::MAX_CHECKPOINT_FRAME,
                },
                f,
            ));
            1
        }
        Some(f) if f.value > 2 && transport == Some(Transport::Udp) && !on_network => {
            problems.push(Problem::new(
                Kind::NoSuchUdpFrame {
                    call: spec.call.value.clone(),
                    frame: f.value,
                },
                f,
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
    if problems[before..].iter().any(Problem::is_error) {
        return None;
    }
    Some(CheckpointPlan {
        ask: ask?,
        answer: answer.to_string(),
        frame,
        explain,
    })
}

/// Where `key:` is written, for a problem about the whole of its block
/// mapping: the reader places the value at its first key, on the line
/// below.
pub(super) fn key_of_block(source: &str, at: (u64, u64), key: &str) -> (u64, u64) {
    let lines: Vec<&str> = source.lines().collect();
    let above = (at.0 as usize)
        .checked_sub(2)
        .and_then(|i| lines.get(..=i))
        .and_then(|ls| {
            ls.iter()
                .enumerate()
                .rev()
                .find(|(_, l)| !l.trim().is_empty())
        });
    match above {
        Some((i, l)) if l.trim_end().ends_with(&format!("{key}:")) => {
            let col = l.find(&format!("{key}:")).unwrap_or(0);
            (i as u64 + 1, l[..col].chars().count() as u64 + 1)
        }
        _ => at,
    }
}

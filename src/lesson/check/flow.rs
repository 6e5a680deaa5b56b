//! The step keys that reach past one call: named connections (`as:`,
//! `on:`), answers computed from what was received (`answer:`), senders
//! kept by name (`save_as:`), and loops (`loop:`).

use super::*;
use crate::lesson::model::{AnswerSpec, UntilSpec};
use crate::plan::{Answer, LoopMark, Until};
use crate::sockets::ConnName;

/// The calls that may use an accepted connection (`on:`).
const ON_CALLS: &[&str] = &["send", "sendall", "recv", "shutdown", "close", "setsockopt"];

/// A name `as:` or `save_as:` may give: letters, digits, `-`, `_`.
fn usable(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !matches!(name, "reply" | "listener" | "kernel")
}

/// `as:`, `on:`, `answer:` and `save_as:` on a call that takes none.
pub(super) fn check_flow_keys(spec: &StepSpec, problems: &mut Vec<Problem>) {
    let call = spec.call.value.as_str();
    let allowed = keys_for(call);
    let present = [
        ("as", spec.as_.as_ref().map(pos)),
        ("on", spec.on.as_ref().map(pos)),
        ("answer", spec.answer.as_ref().map(pos)),
        ("save_as", spec.save_as.as_ref().map(pos)),
    ];
    for (key, at) in present {
        if let Some((line, column)) = at
            && !allowed.contains(&key)
        {
            problems.push(Problem::at(
                Kind::KeyOnlyOn {
                    key,
                    call: call.to_string(),
                },
                line,
                column,
            ));
        }
    }
}

/// The connection a step's call uses (`Some("")` the unnamed one), or for
/// an `accept` the name the new one is held under.
pub(super) fn connection(
    spec: &StepSpec,
    transport: Option<Transport>,
    actor: &str,
    st: &ActorSockets,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let call = spec.call.value.as_str();
    let listener = spec.socket.as_ref().is_some_and(|s| s.value == "listener");
    if call == "accept" {
        let Some(name) = &spec.as_ else {
            return Some(String::new());
        };
        if !usable(&name.value) {
            problems.push(Problem::new(
                Kind::BadFlowName {
                    key: "as",
                    name: name.value.clone(),
                },
                name,
            ));
        } else if let Some((step, line)) = st.connections.get(&ConnName::of(&name.value)) {
            problems.push(Problem::new(
                Kind::ConnectionNameInUse {
                    actor: actor.to_string(),
                    name: name.value.clone(),
                    step: *step,
                    line: *line,
                },
                name,
            ));
        }
        return Some(name.value.clone());
    }
    if !ON_CALLS.contains(&call) || transport == Some(Transport::Udp) && spec.on.is_none() {
        return None;
    }
    let named: Vec<String> = st
        .connections
        .names()
        .filter(|n| n.is_named())
        .map(|n| n.0.clone())
        .collect();
    let Some(on) = &spec.on else {
        if st.connections.get(&ConnName::default()).is_some() && !listener {
            return Some(String::new());
        }
        if !named.is_empty() && !listener {
            problems.push(Problem::new(
                Kind::WhichConnection {
                    actor: actor.to_string(),
                    held: named,
                },
                &spec.call,
            ));
        }
        return None;
    };
    if listener {
        problems.push(Problem::new(Kind::OnWithListener, on));
        return None;
    }
    let name = ConnName::of(&on.value);
    if st.connections.get(&name).is_none() {
        let kind = match st.closed_names.iter().rev().find(|(n, _)| *n == name) {
            Some((_, (step, line))) => Kind::ConnectionClosed {
                actor: actor.to_string(),
                name: on.value.clone(),
                step: *step,
                line: *line,
            },
            None => Kind::UnknownConnection {
                actor: actor.to_string(),
                name: on.value.clone(),
                held: named,
            },
        };
        problems.push(Problem::new(kind, on));
    }
    Some(on.value.clone())
}

/// The names `save_as:` gives in the whole lesson, and which of them each
/// actor has saved by the step being checked.
pub(super) struct Peers {
    pub names: Vec<String>,
    saved_by: Vec<Vec<usize>>,
}

impl Peers {
    pub fn new(file: &LessonFile) -> Peers {
        let mut names: Vec<String> = Vec::new();
        for s in &file.steps {
            if let Some(n) = &s.save_as
                && !names.contains(&n.value)
            {
                names.push(n.value.clone());
            }
        }
        Peers {
            names,
            saved_by: vec![Vec::new(); file.actors.len()],
        }
    }

    /// `save_as:` on a `recvfrom`: the name's index, once checked.
    pub fn save(
        &mut self,
        spec: &StepSpec,
        actor: usize,
        actors: &[&str],
        problems: &mut Vec<Problem>,
    ) -> Option<usize> {
        let name = spec.save_as.as_ref()?;
        if !usable(&name.value) {
            problems.push(Problem::new(
                Kind::BadFlowName {
                    key: "save_as",
                    name: name.value.clone(),
                },
                name,
            ));
            return None;
        }
        if actors.contains(&name.value.as_str()) {
            problems.push(Problem::new(
                Kind::SaveAsIsActor {
                    name: name.value.clone(),
                },
                name,
            ));
            return None;
        }
        let i = self.names.iter().position(|n| *n == name.value)?;
        if let Some(saved) = self.saved_by.get_mut(actor)
            && !saved.contains(&i)
        {
            saved.push(i);
        }
        Some(i)
    }

    /// `to:` naming a saved sender: `Some(peer)` when it does (`None`
    /// inside after a problem), `None` when `to:` is not such a name.
    pub fn resolve(
        &self,
        spec: &StepSpec,
        actor: usize,
        actor_name: &str,
        problems: &mut Vec<Problem>,
    ) -> Option<Option<Peer>> {
        let to = spec.to.as_ref()?;
        let i = self.names.iter().position(|n| *n == to.value)?;
        if self.saved_by.get(actor).is_some_and(|s| s.contains(&i)) {
            return Some(Some(Peer::Saved(i)));
        }
        problems.push(Problem::new(
            Kind::PeerNotSaved {
                actor: actor_name.to_string(),
                name: to.value.clone(),
            },
            to,
        ));
        Some(None)
    }
}

/// An `answer:` table, checked.
pub(super) fn check_answer(a: &Spanned<AnswerSpec>, problems: &mut Vec<Problem>) -> Option<Answer> {
    let before = problems.len();
    let rows = &a.value.table.value.0;
    if rows.is_empty() {
        problems.push(Problem::new(Kind::AnswerTableEmpty, &a.value.table));
    }
    let too_large = |s: &Spanned<String>, problems: &mut Vec<Problem>| {
        if s.value.len() > limits::MAX_PAYLOAD {
            problems.push(Problem::new(
                Kind::PayloadTooLarge {
                    bytes: s.value.len(),
                    limit: limits::MAX_PAYLOAD,
                },
                s,
            ));
        }
    };
    // A row written twice is a duplicate key, which the YAML reader refuses.
    for (_, reply) in rows {
        too_large(reply, problems);
    }
    match &a.value.default {
        Some(d) => too_large(d, problems),
        None => problems.push(Problem::new(Kind::AnswerWithoutDefault, a)),
    }
    (problems.len() == before).then(|| Answer {
        table: rows
            .iter()
            .map(|(k, v)| (k.value.as_bytes().to_vec(), v.value.as_bytes().to_vec()))
            .collect(),
        default: a
            .value
            .default
            .as_ref()
            .map(|d| d.value.as_bytes().to_vec())
            .unwrap_or_default(),
    })
}

/// The reply a checked answer step sends: a send on the receiving step's
/// connection (TCP) or a `sendto` to whoever the datagram came from.
pub(super) fn answer_step(recv: &PlannedStep, answer: Answer, at: (u64, u64)) -> PlannedStep {
    let call = match recv.call {
        Call::RecvFrom { .. } => Call::SendTo {
            to: Peer::Reply,
            data: Vec::new(),
        },
        _ => Call::Send {
            data: Vec::new(),
            all: true,
        },
    };
    PlannedStep {
        number: recv.number + 1,
        id: recv.id.clone(),
        actor: recv.actor,
        call,
        say: None,
        timeout: recv.timeout,
        expect: Expect::default(),
        checkpoint: None,
        line: at.0,
        column: at.1,
        conn: recv.conn.clone(),
        answer: Some(answer),
        save_as: None,
        looping: None,
        generated: None,
        read_until: None,
        background: false,
    }
}

/// One `loop:` of the lesson, checked.
pub(super) struct LoopPlan {
    /// The index of its first step in the file, and how many steps it spans.
    pub start: usize,
    pub len: usize,
    pub iterations: usize,
    pub until: Option<Until>,
    /// One line per iteration, for `{line}`.
    pub lines: Option<Vec<String>>,
}

/// Every `loop:` of the lesson, and `{line}` used outside one with `lines:`.
pub(super) fn check_loops(file: &LessonFile, problems: &mut Vec<Problem>) -> Vec<LoopPlan> {
    let mut loops: Vec<LoopPlan> = Vec::new();
    for (i, spec) in file.steps.iter().enumerate() {
        let Some(l) = &spec.loop_ else { continue };
        if let Some(outer) = loops.iter().find(|o| i < o.start + o.len) {
            problems.push(Problem::new(
                Kind::NestedLoop {
                    outer_line: file.steps[outer.start]
                        .loop_
                        .as_ref()
                        .map(|o| o.referenced.line())
                        .unwrap_or(0),
                },
                l,
            ));
            continue;
        }
        let left = file.steps.len() - i;
        let len = match &l.value.steps {
            Some(n) if n.value < 1 || n.value as u64 > left as u64 => {
                problems.push(Problem::new(
                    Kind::LoopStepsOutOfRange {
                        steps: n.value,
                        left,
                    },
                    n,
                ));
                1
            }
            Some(n) => n.value as usize,
            None => 1,
        };
        let mut iterations = match &l.value.max {
            Some(m) if m.value < 1 || m.value as u64 > limits::MAX_LOOP as u64 => {
                problems.push(Problem::new(
                    Kind::LoopMaxOutOfRange {
                        max: m.value,
                        limit: limits::MAX_LOOP,
                    },
                    m,
                ));
                1
            }
            Some(m) => m.value as usize,
            None => {
                problems.push(Problem::new(Kind::LoopWithoutMax, l));
                1
            }
        };
        let until = match l.value.until.as_ref().map(|u| (u, &u.value)) {
            None => None,
            Some((u, UntilSpec::Eof)) => {
                if !file.steps[i..i + len]
                    .iter()
                    .any(|s| s.call.value == "recv")
                {
                    problems.push(Problem::new(Kind::UntilEofWithoutRead, u));
                }
                Some(Until::Eof)
            }
            Some((_, UntilSpec::Text(t))) => Some(Until::Data(t.as_bytes().to_vec())),
            Some((u, UntilSpec::Hex(h))) => match parse_hex(h) {
                Ok(b) => Some(Until::Data(b)),
                Err(error) => {
                    problems.push(Problem::new(Kind::UntilBadHex { error }, u));
                    None
                }
            },
            Some((u, UntilSpec::Other(word))) => {
                problems.push(Problem::new(Kind::UnknownUntil { word: word.clone() }, u));
                None
            }
        };
        let lines = l.value.lines.as_ref().map(|lines| {
            if lines.value.is_empty() {
                problems.push(Problem::new(Kind::EmptyLines, lines));
            } else if lines.value.len() > iterations && l.value.max.is_some() {
                problems.push(Problem::new(
                    Kind::LinesBeyondMax {
                        lines: lines.value.len(),
                        max: iterations,
                    },
                    lines,
                ));
            }
            for line in &lines.value {
                if line.value.len() > limits::MAX_PAYLOAD {
                    problems.push(Problem::new(
                        Kind::PayloadTooLarge {
                            bytes: line.value.len(),
                            limit: limits::MAX_PAYLOAD,
                        },
                        line,
                    ));
                }
            }
            lines
                .value
                .iter()
                .map(|s| s.value.clone())
                .collect::<Vec<_>>()
        });
        if let Some(lines) = &lines
            && !lines.is_empty()
        {
            iterations = iterations.min(lines.len());
        }
        loops.push(LoopPlan {
            start: i,
            len,
            iterations,
            until,
            lines,
        });
    }
    for (i, spec) in file.steps.iter().enumerate() {
        if let Some(t) = &spec.text
            && t.value.contains("{line}")
            && !loops
                .iter()
                .any(|l| l.lines.is_some() && (l.start..l.start + l.len).contains(&i))
        {
            problems.push(Problem::new(Kind::LineWithoutLines, t));
        }
    }
    loops
}

/// One step as the lesson runs it: the file's step, and its place in a
/// loop (the loop's index, the iteration from 1, and whether it ends the
/// iteration).
pub(super) struct Scheduled {
    pub spec: usize,
    pub place: Option<(usize, usize, bool)>,
}

/// The file's steps in the order they run, loops unrolled to their bound.
pub(super) fn schedule(steps: usize, loops: &[LoopPlan]) -> Vec<Scheduled> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < steps {
        match loops.iter().position(|l| l.start == i) {
            Some(n) => {
                let l = &loops[n];
                for iteration in 1..=l.iterations {
                    for k in 0..l.len {
                        out.push(Scheduled {
                            spec: i + k,
                            place: Some((n, iteration, k + 1 == l.len)),
                        });
                    }
                }
                i += l.len;
            }
            None => {
                out.push(Scheduled {
                    spec: i,
                    place: None,
                });
                i += 1;
            }
        }
    }
    out
}

/// The loop marks of planned steps, once every step is planned: each
/// knows where its loop ends.
pub(super) fn mark_loops(steps: &mut [PlannedStep]) {
    let mut ends: HashMap<usize, usize> = HashMap::new();
    for (i, s) in steps.iter().enumerate() {
        if let Some(m) = &s.looping {
            ends.insert(m.id, i + 1);
        }
    }
    for s in steps.iter_mut() {
        if let Some(m) = &mut s.looping {
            m.end = ends.get(&m.id).copied().unwrap_or(0);
        }
    }
}

/// The loop mark of a planned step.
pub(super) fn mark(loops: &[LoopPlan], n: usize, iteration: usize, last: bool) -> LoopMark {
    LoopMark {
        id: n + 1,
        iteration,
        last_in_iteration: last,
        until: loops[n].until.clone(),
        end: 0,
    }
}

/// `{line}` in sent text, replaced by this iteration's line.
pub(super) fn fill_line(call: &mut Call, line: &str) {
    if let Call::Send { data, .. } | Call::SendTo { data, .. } = call {
        let text = String::from_utf8_lossy(data).replace("{line}", line);
        *data = text.into_bytes();
    }
}

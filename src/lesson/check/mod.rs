//! The lesson checker: from a parsed `LessonFile` to a runnable `Plan`, or to
//! every problem at once, each with its line, column and a hint.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use serde_saphyr::Spanned;

mod actors;
mod addresses;
mod app;
mod checkpoint;
mod data;
mod delivery;
mod expect;
mod flow;
mod kind;
mod network;
mod problem;
mod program;
mod rules;
mod sockets;
mod step;
mod wording;

use crate::sockets::{Accepted, ActorSockets, Closed, IpVersion, MadeFor};
use actors::*;
use addresses::*;
use checkpoint::*;
use data::*;
pub use data::{CALL_ANSWERS, DataFault, is_call_answer};
use delivery::*;
use expect::*;
use flow::*;
pub use kind::{DataHint, Destination, Kind, NameFault, Never, Use, YamlFault};
use network::*;
pub use problem::{Problem, Severity};
use rules::*;
use sockets::*;
use step::*;
use wording::*;

use super::limits;
use super::model::{ActorSpec, ExpectSpec, FieldSpec, LessonFile, RuleSpec, StepSpec};
use crate::plan::{
    CALLS, Call, CheckpointPlan, Expect, ExpectedError, Peer, Plan, PlannedActor, PlannedStep,
    RULE_PROTOCOLS, Rule, RuleMode, ShutdownHow, SockOpt, TCP_FLAGS, Transport, keys_for,
};
use crate::text::{parse_hex, prose};

/// The actors' names, for hints that list them.
pub(super) fn owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// Check a parsed lesson. Returns the plan when there are no errors (warnings
/// may still be present), and every problem found. Without the source text,
/// a mistake inside a template is placed at the start of the template.
pub fn check(file: &LessonFile) -> (Option<Plan>, Vec<Problem>) {
    check_source(file, "")
}

/// Check a parsed lesson, with the text it was parsed from so that a mistake
/// inside a template (an unknown `{placeholder}`) points at its own column.
pub fn check_source(file: &LessonFile, source: &str) -> (Option<Plan>, Vec<Problem>) {
    let mut problems = Vec::new();

    if file.format.value != 1 {
        problems.push(Problem::new(
            Kind::UnsupportedFormat {
                format: file.format.value,
            },
            &file.format,
        ));
    }
    let name_ok = !file.name.value.is_empty()
        && file
            .name
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !name_ok {
        problems.push(Problem::new(
            Kind::BadLessonName {
                name: file.name.value.clone(),
            },
            &file.name,
        ));
    }

    let network = check_network(file, &mut problems);
    let wire_rules = check_wire_rules(file, &mut problems);
    let actors = check_actors(&file.actors, &file.hosts, network.as_ref(), &mut problems);
    let names: Vec<&str> = file.actors.iter().map(|a| a.name.value.as_str()).collect();
    program::check_program_uses(file, &mut problems);

    if file.steps.is_empty() {
        problems.push(Problem::new(Kind::NoSteps, &file.format));
    }
    if file.steps.len() > limits::MAX_STEPS {
        problems.push(Problem::new(
            Kind::TooManySteps {
                steps: file.steps.len(),
                limit: limits::MAX_STEPS,
            },
            &file.steps[limits::MAX_STEPS].actor,
        ));
    }

    // What each actor's sockets hold as the steps run; where each first
    // listens is known up front, for "connects before it listens".
    let mut sockets = vec![ActorSockets::default(); file.actors.len()];
    for (i, s) in file.steps.iter().enumerate() {
        if s.call.value == "listen"
            && let Some(a) = names.iter().position(|n| *n == s.actor.value)
        {
            sockets[a]
                .first_listen
                .get_or_insert((i + 1, s.call.referenced.line()));
        }
    }

    program::assume_program_sockets(file, &mut sockets);

    let mut ids: HashMap<String, u64> = HashMap::new();
    // Step id → the numbers its step runs as (more than one with `repeat`).
    let mut id_numbers: HashMap<String, Vec<usize>> = HashMap::new();
    let mut used = HashSet::new();
    let mut steps = Vec::new();
    // The number the next step runs as: steps count once per repeat.
    let mut number = 1usize;
    let mut steps_reported = file.steps.len() > limits::MAX_STEPS;
    let mut total_wait_ms: u64 = 0;
    let mut wait_reported = false;
    let mut total_payload: usize = 0;
    let mut payload_reported = false;

    let loops = check_loops(file, &mut problems);
    let mut peers = Peers::new(file);
    for entry in schedule(file.steps.len(), &loops) {
        let i = entry.spec;
        if i >= limits::MAX_STEPS {
            continue;
        }
        let spec = &file.steps[i];
        let iteration = entry.place.map_or(1, |p| p.1);
        // Past the step limit the lesson is refused anyway: a loop's later
        // iterations would only repeat the work (and its problems).
        if iteration > 1 && number > limits::MAX_STEPS {
            continue;
        }
        let repeat = check_repeat(spec, &mut problems);
        // A receiving step with `answer:` runs as two: the read, then the reply.
        let answers =
            spec.answer.is_some() && matches!(spec.call.value.as_str(), "recv" | "recvfrom");
        let group = 1 + usize::from(answers);
        let first = number;
        number += repeat * group;
        if number - 1 > limits::MAX_STEPS && !steps_reported {
            steps_reported = true;
            let at = spec
                .repeat
                .as_ref()
                .map(pos)
                .unwrap_or_else(|| pos(&spec.actor));
            problems.push(Problem::at(
                Kind::TooManyRepeatedSteps {
                    limit: limits::MAX_STEPS,
                },
                at.0,
                at.1,
            ));
        }
        if let Some(id) = &spec.id
            && iteration > 1
        {
            // A later iteration of a loop: the same id names these numbers too.
            id_numbers
                .entry(id.value.clone())
                .or_default()
                .extend(first..number);
        } else if let Some(id) = &spec.id {
            if let Some(first_line) = ids.insert(id.value.clone(), id.referenced.line()) {
                problems.push(Problem::new(
                    Kind::DuplicateStepId {
                        id: id.value.clone(),
                        first_line,
                    },
                    id,
                ));
            } else {
                id_numbers.insert(id.value.clone(), (first..number).collect());
            }
            if id.value.trim().is_empty() {
                problems.push(Problem::new(Kind::EmptyStepId, id));
            } else if id.value.trim().parse::<u64>().is_ok() {
                problems.push(Problem::new(
                    Kind::NumericStepId {
                        id: id.value.clone(),
                    },
                    id,
                ));
            }
        }
        let actor = match names.iter().position(|n| *n == spec.actor.value) {
            Some(a) => a,
            None => {
                problems.push(Problem::new(
                    Kind::UnknownActor {
                        step: i + 1,
                        name: spec.actor.value.clone(),
                        actors: owned(&names),
                    },
                    &spec.actor,
                ));
                continue;
            }
        };
        used.insert(actor);
        let transport = actors
            .get(actor)
            .and_then(|a: &Option<PlannedActor>| a.as_ref())
            .map(|a| a.transport);
        if let Some(step) = check_step(
            first,
            spec,
            actor,
            transport,
            &names,
            &actors,
            &mut sockets,
            &mut peers,
            source,
            &mut problems,
        ) {
            if let Call::Send { data, .. } | Call::SendTo { data, .. } = &step.call {
                total_payload += data.len() * repeat;
                if total_payload > limits::MAX_TOTAL_PAYLOAD && !payload_reported {
                    payload_reported = true;
                    problems.push(Problem::new(
                        Kind::Data(DataFault::TooMuchData {
                            total: total_payload,
                            limit: limits::MAX_TOTAL_PAYLOAD,
                        }),
                        &spec.call,
                    ));
                }
            }
            let wait = match step.call {
                Call::Sleep { ms } => ms,
                // The actor's next step waits for it, at most this long.
                _ if step.background => step.timeout.as_millis() as u64,
                _ if crate::sockets::blocks(&step.call, transport) => {
                    step.timeout.as_millis() as u64
                }
                _ => 0,
            };
            if wait > 0 {
                total_wait_ms += wait * repeat as u64;
                if total_wait_ms > limits::MAX_TOTAL_WAIT_MS && !wait_reported {
                    wait_reported = true;
                    let at = spec
                        .timeout_ms
                        .as_ref()
                        .map(pos)
                        .unwrap_or_else(|| pos(&spec.call));
                    problems.push(Problem::at(
                        Kind::TooMuchWaiting {
                            total_ms: total_wait_ms,
                            limit_ms: limits::MAX_TOTAL_WAIT_MS,
                            default_ms: limits::DEFAULT_TIMEOUT_MS,
                        },
                        at.0,
                        at.1,
                    ));
                }
            }
            let mut step = step;
            if let Some((n, _, _)) = entry.place {
                if let (Some(lines), Some(t)) = (&loops[n].lines, &spec.text)
                    && t.value.contains("{line}")
                    && let Some(line) = lines.get(iteration - 1)
                {
                    fill_line(&mut step.call, line);
                }
                step.looping = Some(mark(&loops, n, iteration, false));
                if iteration > 1 {
                    // Narration and questions belong to the first time round.
                    step.say = None;
                    step.checkpoint = None;
                }
            }
            if answers
                && let (Some(a), Some(Call::Recv { .. } | Call::RecvFrom { .. })) =
                    (&spec.answer, Some(&step.call))
                && step.expect.error.is_some()
            {
                problems.push(Problem::new(Kind::AnswerToAnError, a));
            }
            let mut group_steps = vec![step];
            if answers
                && let Some(a) = &spec.answer
                && let Some(answer) = check_answer(a, &mut problems)
            {
                let recv = &mut group_steps[0];
                let mut reply = answer_step(recv, answer, pos(a));
                // The read puts no frame on the wire: a question is about the reply's.
                reply.checkpoint = recv.checkpoint.take();
                reply.looping = recv.looping.clone();
                group_steps.push(reply);
            }
            let last_of_iteration = entry.place.is_some_and(|p| p.2);
            for k in 0..repeat {
                for (j, step) in group_steps.iter().enumerate() {
                    if first + k * group + j > limits::MAX_STEPS {
                        break;
                    }
                    let mut copy = step.clone();
                    copy.number = first + k * group + j;
                    if k > 0 {
                        copy.checkpoint = None;
                    }
                    if let Some(m) = &mut copy.looping {
                        m.last_in_iteration =
                            last_of_iteration && k + 1 == repeat && j + 1 == group_steps.len();
                    }
                    steps.push(copy);
                }
            }
        }
    }
    mark_loops(&mut steps);
    // A loop's later iterations find the same mistakes again: say each once.
    let mut seen = HashSet::new();
    problems.retain(|p| seen.insert((p.line, p.column, p.message())));

    for (i, a) in file.actors.iter().enumerate() {
        // A program makes its own calls: it has no steps to be used by.
        if !used.contains(&i)
            && a.program.is_none()
            && !file
                .steps
                .iter()
                .any(|s| s.to.as_ref().is_some_and(|t| t.value == a.name.value))
        {
            problems.push(Problem::new(
                Kind::UnusedActor {
                    name: a.name.value.clone(),
                },
                &a.name,
            ));
        }
    }

    app::check_http_lengths(file, &actors, &mut problems);
    check_background_joined(&file.steps, &mut problems);

    let rules = check_rules(
        &file.rules,
        &names,
        &id_numbers,
        number - 1,
        source,
        &mut problems,
    );

    let has_errors = problems.iter().any(Problem::is_error);
    let mut plan = (!has_errors).then(|| Plan {
        name: file.name.value.clone(),
        title: prose(&file.title),
        summary: prose(&file.summary),
        intro: file.intro.as_deref().map(prose),
        outro: file.outro.as_deref().map(prose),
        actors: actors.into_iter().flatten().collect(),
        steps,
        rules,
        network,
        wire_rules,
        peer_names: peers.names,
    });
    // Only a lesson that would run can be followed step by step.
    if let Some(p) = &plan {
        let before = problems.len();
        check_delivery(p, file, &mut problems);
        if problems[before..].iter().any(Problem::is_error) {
            plan = None;
        }
    }
    problems.sort_by_key(|p| (p.line, p.column));
    (plan, problems)
}

pub(super) fn check_repeat(spec: &StepSpec, problems: &mut Vec<Problem>) -> usize {
    let Some(r) = &spec.repeat else { return 1 };
    if !REPEATABLE.contains(&spec.call.value.as_str()) {
        problems.push(Problem::new(
            Kind::CannotRepeat {
                call: spec.call.value.clone(),
            },
            r,
        ));
        return 1;
    }
    if r.value < 1 || r.value as u64 > limits::MAX_REPEAT as u64 {
        problems.push(Problem::new(
            Kind::RepeatOutOfRange {
                repeat: r.value,
                limit: limits::MAX_REPEAT,
            },
            r,
        ));
        return 1;
    }
    r.value as usize
}

#[cfg(test)]
#[macro_use]
mod tests;
#[cfg(test)]
mod tests_flow;

//! Program slots: an actor with `program:`, its `stdin:` and its `expect:`
//! list, and what the steps may do with it.

use super::*;
use crate::lesson::model::ProgramExpectSpec;
use crate::plan::{ProgramExpect, ProgramSlot};

/// The actor's program slot, if it is one; Err when it is wrong.
pub(super) fn check_program(
    spec: &ActorSpec,
    problems: &mut Vec<Problem>,
) -> Result<Option<ProgramSlot>, ()> {
    let actor = &spec.name.value;
    let Some(slot) = &spec.program else {
        for (key, at) in [
            ("stdin", spec.stdin.as_ref().map(pos)),
            ("expect", spec.expect.as_ref().map(pos)),
        ] {
            if let Some((line, column)) = at {
                let kind = Kind::ProgramKeyWithoutProgram {
                    actor: actor.clone(),
                    key,
                };
                problems.push(Problem::at(kind, line, column));
            }
        }
        return Ok(None);
    };
    let before = problems.len();
    let name = &slot.value;
    if name.is_empty()
        || name.chars().count() > 32
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        problems.push(Problem::new(Kind::BadSlotName { slot: name.clone() }, slot));
    }
    let stdin = spec
        .stdin
        .as_ref()
        .map(|s| s.value.as_bytes().to_vec())
        .unwrap_or_default();
    if stdin.len() > limits::MAX_PAYLOAD
        && let Some(at) = &spec.stdin
    {
        let kind = Kind::ProgramStdinTooLarge {
            bytes: stdin.len(),
            limit: limits::MAX_PAYLOAD,
        };
        problems.push(Problem::new(kind, at));
    }
    let mut expects = Vec::new();
    if let Some(list) = &spec.expect {
        if list.value.len() > limits::MAX_PROGRAM_EXPECTS {
            let kind = Kind::TooManyProgramExpects {
                count: list.value.len(),
                limit: limits::MAX_PROGRAM_EXPECTS,
            };
            problems.push(Problem::new(kind, list));
        }
        for item in &list.value {
            if let Some(e) = program_expect(item, problems) {
                expects.push(e);
            }
        }
    }
    if problems.len() > before {
        return Err(());
    }
    Ok(Some(ProgramSlot {
        slot: name.clone(),
        stdin,
        expects,
    }))
}

fn program_expect(
    item: &Spanned<ProgramExpectSpec>,
    problems: &mut Vec<Problem>,
) -> Option<ProgramExpect> {
    let e = &item.value;
    let found = [
        e.prints.is_some(),
        e.sends.is_some(),
        e.receives.is_some(),
        e.exits.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if found != 1 {
        problems.push(Problem::new(Kind::ProgramExpectKeys { found }, item));
        return None;
    }
    if let Some(t) = &e.prints {
        return Some(ProgramExpect::Prints(t.value.clone()));
    }
    if let Some(t) = &e.sends {
        return Some(ProgramExpect::Sends(t.value.as_bytes().to_vec()));
    }
    if let Some(t) = &e.receives {
        return Some(ProgramExpect::Receives(t.value.as_bytes().to_vec()));
    }
    let status = e.exits.as_ref()?;
    if !(0..=255).contains(&status.value) {
        let kind = Kind::ExitStatusOutOfRange {
            status: status.value,
        };
        problems.push(Problem::new(kind, status));
        return None;
    }
    Some(ProgramExpect::Exits(status.value as i32))
}

/// What the steps may not do with a program actor, and one program per
/// lesson: its steps are the program's own, its address is its own choice
/// (`from:`), and a step can reach it only on a port it is told to use.
pub(super) fn check_program_uses(file: &LessonFile, problems: &mut Vec<Problem>) {
    let programs: Vec<usize> = (0..file.actors.len())
        .filter(|&i| file.actors[i].program.is_some())
        .collect();
    if let Some(first) = programs.first() {
        let first_line = file.actors[*first].name.referenced.line();
        for &i in &programs[1..] {
            if let Some(p) = &file.actors[i].program {
                problems.push(Problem::new(Kind::SecondProgram { first_line }, p));
            }
        }
    }
    for &i in &programs {
        let actor = &file.actors[i].name.value;
        let mut addressed = false;
        for (n, s) in file.steps.iter().enumerate() {
            if s.actor.value == *actor {
                let kind = Kind::StepByProgram {
                    step: n + 1,
                    actor: actor.clone(),
                };
                problems.push(Problem::new(kind, &s.actor));
            }
            addressed |= s.to.as_ref().is_some_and(|t| t.value == *actor);
            if let Some(from) = s.expect.as_ref().and_then(|e| e.value.from.as_ref())
                && from.value == *actor
            {
                let kind = Kind::ExpectFromProgram {
                    actor: actor.clone(),
                };
                problems.push(Problem::new(kind, from));
            }
        }
        let port = file.actors[i].port.as_ref().map_or(0, |p| p.value);
        if addressed && port == 0 {
            let kind = Kind::ProgramWithoutPort {
                actor: actor.clone(),
            };
            problems.push(Problem::new(kind, &file.actors[i].name));
        }
    }
}

/// What the socket model assumes of a program, whose calls are its own: a
/// program with a port has bound it (and listens, over TCP) before any
/// step reaches it — the run waits until it has; a TCP program without a
/// port is a client that may connect to any scripted listener once.
pub(super) fn assume_program_sockets(file: &LessonFile, sockets: &mut [ActorSockets]) {
    for (i, a) in file.actors.iter().enumerate() {
        if a.program.is_none() {
            continue;
        }
        let tcp = a.transport.value == "tcp";
        if a.port.as_ref().is_some_and(|p| p.value != 0) {
            sockets[i].bound = true;
            sockets[i].listening = tcp;
        } else if tcp {
            for (j, s) in sockets.iter_mut().enumerate() {
                if j != i {
                    s.maybe_waiting += 1;
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "program_tests.rs"]
mod tests;

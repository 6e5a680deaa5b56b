//! What the problems of program slots say (`program:`, `stdin:` and
//! `expect:` on an actor), and their hints.

use std::fmt::{self, Formatter};

use crate::lesson::check::kind::Kind;

/// The kinds worded in this file, as one pattern: `wording.rs` sends them
/// here, and its matches stay exhaustive.
macro_rules! program_kinds {
    () => {
        Kind::BadSlotName { .. }
            | Kind::ProgramKeyWithoutProgram { .. }
            | Kind::ProgramStdinTooLarge { .. }
            | Kind::TooManyProgramExpects { .. }
            | Kind::ProgramExpectKeys { .. }
            | Kind::ExitStatusOutOfRange { .. }
            | Kind::SecondProgram { .. }
            | Kind::StepByProgram { .. }
            | Kind::ExpectFromProgram { .. }
            | Kind::ProgramWithoutPort { .. }
    };
}
pub(super) use program_kinds;

/// The keys of one program expectation.
pub const PROGRAM_EXPECT_KEYS: &str = "`prints`, `sends`, `receives` or `exits`";

/// The message of a kind in `program_kinds!`.
pub(super) fn message(kind: &Kind, f: &mut Formatter<'_>) -> fmt::Result {
    use Kind::*;
    match kind {
        BadSlotName { slot } => write!(f, "`{slot}` cannot name a program slot"),
        ProgramKeyWithoutProgram { actor, key } => write!(
            f,
            "actor `{actor}` has `{key}` but is no program (it has no `program:`)"
        ),
        ProgramStdinTooLarge { bytes, limit } => write!(
            f,
            "`stdin` holds {bytes} bytes, more than {limit} (limit `max_payload`)"
        ),
        TooManyProgramExpects { count, limit } => write!(
            f,
            "the program has {count} expectations, more than {limit} (limit `max_program_expects`)"
        ),
        ProgramExpectKeys { found: 0 } => {
            write!(f, "this expectation says nothing to check")
        }
        ProgramExpectKeys { found } => {
            write!(f, "this expectation has {found} keys; it takes one")
        }
        ExitStatusOutOfRange { status } => {
            write!(f, "exit status {status} is out of range")
        }
        SecondProgram { first_line } => write!(
            f,
            "a second program slot; the lesson already has one (line {first_line})"
        ),
        StepByProgram { step, actor } => write!(
            f,
            "step {step} is made by `{actor}`, a program: its calls are the program's own"
        ),
        ExpectFromProgram { actor } => write!(
            f,
            "`from: {actor}` names a program, whose address is its own choice"
        ),
        ProgramWithoutPort { actor } => write!(
            f,
            "steps reach program `{actor}`, but it has no `port` to be reached on"
        ),
        _ => unreachable!("wording.rs sends only program_kinds here"),
    }
}

/// The hint of a kind in `program_kinds!`.
pub(super) fn hint(kind: &Kind) -> Option<String> {
    use Kind::*;
    let s = |t: &str| Some(t.to_string());
    match kind {
        BadSlotName { .. } => s(
            "a slot name is what `--program NAME=CMD` and a submission's manifest write: letters, digits, `-` and `_`, at most 32",
        ),
        ProgramKeyWithoutProgram { key, .. } => Some(format!(
            "add `program: SLOT` to the actor, or move `{key}` to a step (a step's `expect:` is a map)"
        )),
        ProgramStdinTooLarge { .. } => s("shorten it: a few lines test a program"),
        TooManyProgramExpects { .. } => s("keep the expectations that grade what matters"),
        ProgramExpectKeys { .. } => Some(format!(
            "write each as one of {PROGRAM_EXPECT_KEYS}, e.g. `- receives: \"hello\"`"
        )),
        ExitStatusOutOfRange { .. } => s("an exit status is a number from 0 to 255"),
        SecondProgram { .. } => s(
            "a lesson grades one program: make the other actor scripted, or write a lesson per program",
        ),
        StepByProgram { .. } => s(
            "give the step to a scripted actor (the program's counterpart), and say what the program must do in its actor's `expect:` list",
        ),
        ExpectFromProgram { .. } => s(
            "leave out `from:`; say what the program sends in its actor's `expect:` (`- sends: TEXT`)",
        ),
        ProgramWithoutPort { .. } => {
            s("give the program actor the `port` it must bind or listen on, e.g. `port: 5000`")
        }
        _ => None,
    }
}

//! One error type for the whole tool, printed in one place (`main`) as a short
//! lowercase sentence with names in backticks, then a hint.

use std::fmt;
use std::path::PathBuf;

/// A position in a lesson file, 1-based like an editor shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePos {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for SourcePos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

#[derive(Debug)]
pub enum Error {
    /// No lesson by that name or path.
    LessonNotFound {
        name: String,
        suggestion: Option<String>,
        searched: Vec<String>,
    },
    /// The lesson path exists but could not be read as a file.
    LessonUnreadable { path: PathBuf, reason: String },
    /// The lesson file is not a valid lesson; `problems` are already formatted
    /// as `file:line:column: message` blocks with a snippet.
    LessonInvalid { file: String, problems: Vec<String> },
    /// The sandbox could not be entered.
    Sandbox {
        what: String,
        reason: String,
        hint: String,
    },
    /// Capture could not start or broke.
    Capture {
        what: String,
        reason: String,
        hint: String,
    },
    /// A socket call failed in a way the lesson did not expect.
    StepFailed {
        step: usize,
        actor: String,
        call: String,
        reason: String,
        hint: Option<String>,
    },
    /// An expectation was not met.
    ExpectationFailed {
        step: usize,
        actor: String,
        expected: String,
        got: String,
    },
    /// An export or a saved transcript could not be written or read.
    Io {
        path: PathBuf,
        action: &'static str,
        reason: String,
    },
    /// More than one export could not be written (each an `Io`).
    Exports { failures: Vec<Error> },
    /// The user asked for something we do not do.
    Usage { message: String, hint: String },
    /// A saved transcript we cannot read.
    Transcript {
        path: PathBuf,
        reason: String,
        hint: String,
    },
    /// A signal (Ctrl-C, SIGTERM) cut a waiting call short: not the
    /// lesson's failure; the run stops as the signal asked.
    Interrupted { step: usize },
    /// A failed step, with the place in the lesson file that wrote it.
    AtStep {
        /// `file:line:column` of the step's `call`.
        at: String,
        error: Box<Error>,
    },
}

impl Error {
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::AtStep { error, .. } => error.hint(),
            Error::LessonNotFound { suggestion: Some(s), .. } => {
                Some(format!("did you mean `{s}`? `netcourse lessons` lists every lesson"))
            }
            Error::LessonNotFound { searched, .. } => Some(format!(
                "`netcourse lessons` lists every lesson; a path to a `.yaml` file works too{}",
                if searched.is_empty() { String::new() } else { format!(" (searched: {})", searched.join(", ")) }
            )),
            Error::LessonUnreadable { .. } => Some("give the path of a lesson `.yaml` file".into()),
            Error::LessonInvalid { .. } => Some("`netcourse check FILE` lists every problem; docs/lesson-format.md describes each key".into()),
            Error::Sandbox { hint, .. } | Error::Capture { hint, .. } => Some(hint.clone()),
            Error::StepFailed { hint, .. } => hint.clone(),
            Error::ExpectationFailed { .. } => Some("the lesson's `expect` did not match what really happened; the transcript (above, or in the `--export` file) shows every frame".into()),
            Error::Io { .. } | Error::Interrupted { .. } => None,
            Error::Exports { .. } => Some("each export that failed holds what it held before, or does not exist; the others were written".into()),
            Error::Usage { hint, .. } | Error::Transcript { hint, .. } => Some(hint.clone()),
        }
    }

    /// Process exit code: 1 when the lesson ran and failed, 2 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::AtStep { error, .. } => error.exit_code(),
            Error::StepFailed { .. }
            | Error::ExpectationFailed { .. }
            | Error::LessonInvalid { .. } => 1,
            Error::Interrupted { .. } => 130,
            _ => 2,
        }
    }
}

impl Error {
    /// A step's failure, pointed at the step in the lesson file.
    pub fn at_step(self, file: &str, plan: &crate::plan::Plan) -> Error {
        let step = match &self {
            Error::StepFailed { step, .. } | Error::ExpectationFailed { step, .. } => *step,
            _ => return self,
        };
        match plan.steps.iter().find(|s| s.number == step) {
            Some(s) => Error::AtStep {
                at: format!("{file}:{}:{}", s.line, s.column),
                error: Box::new(self),
            },
            None => self,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::AtStep { at, error } => write!(f, "{error}\n  --> {at}"),
            Error::Interrupted { step } => {
                write!(f, "a signal interrupted step {step} while its call waited")
            }
            Error::LessonNotFound { name, .. } => write!(f, "no lesson named `{name}`"),
            Error::LessonUnreadable { path, reason } => {
                write!(f, "cannot read lesson `{}`: {reason}", path.display())
            }
            Error::LessonInvalid { file, problems } => {
                write!(
                    f,
                    "lesson `{file}` is not valid ({} problem{})",
                    problems.len(),
                    if problems.len() == 1 { "" } else { "s" }
                )?;
                for p in problems {
                    write!(f, "\n{p}")?;
                }
                Ok(())
            }
            Error::Sandbox { what, reason, .. } => {
                write!(f, "cannot enter the network sandbox: {what}: {reason}")
            }
            Error::Capture { what, reason, .. } => {
                write!(f, "cannot capture frames: {what}: {reason}")
            }
            Error::StepFailed {
                step,
                actor,
                call,
                reason,
                ..
            } => {
                write!(f, "step {step}: `{actor}` `{call}` failed: {reason}")
            }
            Error::ExpectationFailed {
                step,
                actor,
                expected,
                got,
            } => {
                write!(
                    f,
                    "step {step}: `{actor}` expected {expected}, but got {got}"
                )
            }
            Error::Io {
                path,
                action,
                reason,
            } => write!(f, "cannot {action} `{}`: {reason}", path.display()),
            Error::Exports { failures } => {
                write!(f, "{} exports could not be written:", failures.len())?;
                for e in failures {
                    write!(f, "\n  {e}")?;
                }
                Ok(())
            }
            Error::Usage { message, .. } => f.write_str(message),
            Error::Transcript { path, reason, .. } => {
                write!(f, "cannot replay `{}`: {reason}", path.display())
            }
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

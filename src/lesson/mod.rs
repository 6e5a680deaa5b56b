//! Lessons: the YAML an instructor writes (`model`), where lessons come from
//! (`load`), and the checker that turns a file into a runnable `Plan` or a list
//! of problems with file:line:column (`check`).

pub mod check;
pub mod load;
pub mod model;

pub use check::{Plan, PlannedStep, Call, Problem, Severity};
pub use load::{LessonSource, Origin};

/// Limits a lesson cannot exceed: a lesson is someone else's file.
pub mod limits {
    /// Largest payload of one send/sendto, in bytes.
    pub const MAX_PAYLOAD: usize = 16 * 1024;
    /// Most bytes one recv may ask for.
    pub const MAX_RECV: u32 = 64 * 1024;
    /// Most steps in a lesson.
    pub const MAX_STEPS: usize = 200;
    /// Most actors in a lesson.
    pub const MAX_ACTORS: usize = 16;
    /// Longest a single call may wait, in milliseconds.
    pub const MAX_TIMEOUT_MS: u64 = 10_000;
    /// The wait a call gets when the lesson does not say.
    pub const DEFAULT_TIMEOUT_MS: u64 = 2_000;
    /// Largest lesson file, in bytes.
    pub const MAX_FILE_BYTES: usize = 256 * 1024;
    /// Largest listen backlog.
    pub const MAX_BACKLOG: u32 = 128;
}

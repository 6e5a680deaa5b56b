//! Lessons: the YAML an instructor writes (`model`), where lessons come from
//! (`load`), and the checker that turns a file into a runnable `Plan` or a list
//! of problems with file:line:column (`check`).

pub mod check;
pub mod load;
pub mod model;
pub mod narration;
pub mod yaml;

pub use check::{Kind as ProblemKind, Problem, Severity};
pub use load::{LessonSource, Origin};

/// Limits a lesson cannot exceed: a lesson is someone else's file. Each is
/// reported by its name (the constant's name in lower case, e.g.
/// `max_payload`) when a lesson exceeds it; docs/lesson-format.md lists them.
pub mod limits {
    /// Largest payload of one send/sendto written out (`text`, `hex`), in
    /// bytes.
    pub const MAX_PAYLOAD: usize = 16 * 1024;
    /// Largest payload one send/sendall generates (`bytes: {size}`), in
    /// bytes: a megabyte lesson is a few lines.
    pub const MAX_BYTES: usize = 1024 * 1024;
    /// Most data all the sends of a lesson carry, repeats counted, and the
    /// most one `recv` loop (`until_eof`, `until_bytes`) reads.
    pub const MAX_TOTAL_PAYLOAD: usize = crate::plan::data::MAX_TOTAL_PAYLOAD;
    /// Largest `bytes:` pattern, in bytes.
    pub const MAX_PATTERN: usize = 256;
    /// Most bytes one recv may ask for.
    pub const MAX_RECV: u32 = 64 * 1024;
    /// Most steps in a lesson.
    pub const MAX_STEPS: usize = 200;
    /// Most actors in a lesson.
    pub const MAX_ACTORS: usize = 16;
    /// Longest a single call may wait, in milliseconds.
    pub const MAX_TIMEOUT_MS: u64 = 10_000;
    /// Largest `size` for setsockopt `rcvbuf` / `sndbuf`, in bytes.
    pub const MAX_SOCKET_BUFFER: u32 = 4 * 1024 * 1024;
    /// Longest one `sleep` step may pause, in milliseconds.
    pub const MAX_SLEEP_MS: u64 = 5_000;
    /// The wait a call gets when the lesson does not say.
    pub const DEFAULT_TIMEOUT_MS: u64 = 2_000;
    /// Largest lesson file, in bytes.
    pub const MAX_FILE_BYTES: usize = 256 * 1024;
    /// Largest listen backlog.
    pub const MAX_BACKLOG: u32 = 128;
    /// Most times one step may be repeated (`repeat:`).
    pub const MAX_REPEAT: usize = 50;
    /// Most iterations of one `loop:` (its `max:`).
    pub const MAX_LOOP: usize = 50;
    /// Most the blocking calls of a whole lesson may wait, added up, in
    /// milliseconds (each blocking call counts its `timeout_ms`).
    pub const MAX_TOTAL_WAIT_MS: u64 = 300_000;
    /// Most annotation rules in a lesson.
    pub const MAX_RULES: usize = 64;
    /// Longest note template, question or explanation, in characters.
    pub const MAX_TEXT: usize = 4_000;
    /// Most hosts in a lesson's network (each is a network namespace).
    pub const MAX_HOSTS: usize = 8;
    /// Most links, interfaces per host, addresses per interface, routes per
    /// host and wire rules.
    pub const MAX_LINKS: usize = 8;
    pub const MAX_INTERFACES: usize = 4;
    pub const MAX_ADDRESSES: usize = 4;
    pub const MAX_ROUTES: usize = 8;
    pub const MAX_WIRE_RULES: usize = 16;
    /// Longest a wire rule may delay or hold a frame, in milliseconds.
    pub const MAX_WIRE_DELAY_MS: u64 = 5_000;
    /// Highest frame a checkpoint may ask about (`frame:`).
    pub const MAX_CHECKPOINT_FRAME: usize = 32;
    /// Longest `title`, in characters.
    pub const MAX_TITLE: usize = 200;
    /// Longest `summary`, in characters.
    pub const MAX_SUMMARY: usize = 1_000;
    /// Longest `intro` or `outro`, in characters.
    pub const MAX_INTRO: usize = 4_000;
    /// Longest `say` of one step, in characters.
    pub const MAX_SAY: usize = 2_000;
    /// Most `expect:` items on a program actor.
    pub const MAX_PROGRAM_EXPECTS: usize = 32;
    /// Most narration in a lesson, in characters: title, summary, intro,
    /// outro and every `say`, a repeated step's `say` counted each time.
    pub const MAX_NARRATION: usize = 40_000;
}

//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::live::sandbox::NetMode;
use crate::render::Format;

#[derive(Debug, Parser)]
#[command(
    name = "netcourse",
    version,
    about = "Run the classic socket exchanges on a private loopback network and explain every frame they put on the wire.",
    after_help = "Examples:\n  netcourse lessons\n  netcourse run lesson udp-basics\n  netcourse run lesson udp-basics --export udp.json\n  netcourse check my-lesson.yaml"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every lesson netcourse can find.
    #[command(
        after_help = "Examples:\n  netcourse lessons\n  netcourse lessons --lessons ./my-lessons"
    )]
    Lessons {
        /// Also look for lessons in this directory (repeatable).
        #[arg(long = "lessons", value_name = "DIR")]
        dirs: Vec<PathBuf>,
    },
    /// Run something: `netcourse run lesson NAME`.
    Run {
        #[command(subcommand)]
        what: RunWhat,
    },
    /// Check lesson files without running them.
    #[command(
        after_help = "Examples:\n  netcourse check my-lesson.yaml\n  netcourse check lessons/*.yaml"
    )]
    Check {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Create something: `netcourse new lesson NAME`.
    New {
        #[command(subcommand)]
        what: NewWhat,
    },
    /// Print a saved transcript as the live run printed it; no network, no privileges.
    #[command(
        after_help = "Examples:\n  netcourse replay tcp.json\n  netcourse replay tcp.yaml --color never\n  netcourse replay tcp.json --export tcp.html --export tcp.pcapng"
    )]
    Replay(ReplayArgs),
}

/// `--export` and `--export-format`, the same for `run lesson` and `replay`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write the transcript to FILE; the extension picks the format. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub export: Vec<PathBuf>,
    /// Use this format for every --export, whatever its extension.
    #[arg(long, value_name = "FORMAT")]
    pub export_format: Option<Format>,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A transcript saved with `--export` (.json or .yaml; other names are sniffed).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub exports: ExportArgs,
    /// When to colour the output (NO_COLOR is honoured by `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Walk through the saved events one at a time, as `run lesson --step` does.
    #[arg(long)]
    pub step: bool,
}

#[derive(Debug, Subcommand)]
pub enum NewWhat {
    /// Write NAME.yaml here: a commented lesson that passes `check` and runs.
    #[command(
        after_help = "Examples:\n  netcourse new lesson my-first-lesson\n  netcourse new lesson handshake --transport tcp\n  netcourse check handshake.yaml && netcourse run lesson ./handshake.yaml"
    )]
    Lesson(crate::new_lesson::NewLessonArgs),
}

#[derive(Debug, Subcommand)]
pub enum RunWhat {
    /// Run a lesson and print its annotated transcript.
    #[command(
        after_help = "Examples:\n  netcourse run lesson udp-basics\n  netcourse run lesson udp-basics --export udp.json\n  netcourse run lesson ./my-lesson.yaml --color never\n  sudo netcourse run lesson udp-basics --net host"
    )]
    Lesson(RunArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// A lesson name (see `netcourse lessons`) or the path of a lesson file.
    #[arg(value_name = "NAME|PATH")]
    pub lesson: String,
    #[command(flatten)]
    pub exports: ExportArgs,
    /// When to colour the output (NO_COLOR is honoured by `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Where the lesson runs: a private sandbox, or the host's own loopback.
    #[arg(long, value_enum, default_value_t = NetMode::Sandbox)]
    pub net: NetMode,
    /// Also look for lessons in this directory (repeatable).
    #[arg(long = "lessons", value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Print only errors; for benchmarks and scripts that just want the export.
    #[arg(long, short)]
    pub quiet: bool,
    /// Pause before each step and each frame; keys: n(ext) d(etails) c(ontinue) q(uit) ?(help).
    /// Without a terminal, one command per line (empty line: next; end of input: continue).
    #[arg(long, conflicts_with = "quiet")]
    pub step: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

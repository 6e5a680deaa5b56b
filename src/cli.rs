//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::live::sandbox::NetMode;
use crate::render::{Detail, Format};

/// The exit codes, as every command's help lists them.
macro_rules! exit_codes {
    () => {
        "Exit codes:\n  0  the lesson passed (or you quit step mode); the command did what it was asked\n  1  a step or an expectation failed, or a lesson is invalid\n  2  anything else: a bad command line, a file that cannot be read or written, no sandbox\n  128+N  stopped by signal N (130 for Ctrl-C)"
    };
}
pub const EXIT_CODES: &str = exit_codes!();

#[derive(Debug, Parser)]
#[command(
    name = "netcourse",
    version,
    about = "Run the classic socket exchanges on a private loopback network and explain every frame they put on the wire.",
    after_help = concat!(
        "Examples, in the order a newcomer uses them:\n",
        "  netcourse lessons\n",
        "  netcourse run lesson udp-basics\n",
        "  netcourse run lesson tcp-basics --step\n",
        "  netcourse run lesson udp-basics --export udp.json\n",
        "  netcourse replay udp.json --step\n",
        "  netcourse new lesson my-lesson\n",
        "  netcourse check my-lesson.yaml\n",
        "\n",
        exit_codes!()
    )
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
        after_help = "A built-in lesson has no file of its own: `netcourse show lesson udp-basics > udp-basics.yaml` writes one to read, change and check.\n\nExamples:\n  netcourse check my-lesson.yaml\n  netcourse check lessons/*.yaml"
    )]
    Check {
        /// A lesson file (YAML, format 1) to check: its keys, actors, calls,
        /// addresses and limits, each problem reported as file:line:column.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Print something: `netcourse show lesson NAME` prints a lesson's YAML.
    Show {
        #[command(subcommand)]
        what: ShowWhat,
    },
    /// Print a shell completion script: `netcourse completions bash > ~/.local/share/bash-completion/completions/netcourse`.
    #[command(
        after_help = "Examples:\n  netcourse completions bash > ~/.local/share/bash-completion/completions/netcourse\n  netcourse completions zsh > ~/.zfunc/_netcourse\n  netcourse completions fish > ~/.config/fish/completions/netcourse.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `netcourse man | man -l -`.
    #[command(
        after_help = "Examples:\n  netcourse man | man -l -\n  netcourse man > ~/.local/share/man/man1/netcourse.1"
    )]
    Man,
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
    /// Explain every frame of a capture file (pcap or pcapng) made by any tool.
    #[command(
        after_help = "Examples:\n  netcourse explain capture.pcapng\n  netcourse explain any.pcap --export any.html --quiet"
    )]
    Explain(ExplainArgs),
    /// Teach a class: step through a lesson while students follow in their browsers and answer its checkpoints.
    Serve {
        #[command(subcommand)]
        what: ServeWhat,
    },
    /// Run your own programs in the sandbox and explain each socket call and frame.
    #[command(
        after_help = "Examples:\n  netcourse trace -- python3 udp_send.py hello\n  netcourse trace --run 'python3 udp_recv.py' --run 'python3 udp_send.py hello'\n  netcourse trace --run 'python3 dict_server.py' --run 'python3 dict_client.py' --stdin questions.txt\n  netcourse trace --lesson arp-basics --host bob --run 'python3 udp_recv.py' --host alice --run 'python3 udp_send.py --to 10.0.0.2'"
    )]
    Trace(TraceArgs),
    /// Grade a program against a lesson whose actor is a program slot: a report per expectation, JUnit XML for autograders.
    #[command(
        after_help = concat!(
            "The lesson's scripted actors play the program's counterpart; the program runs traced in the same sandbox. A submission directory holds the programs and a netcourse.yaml naming the command for each slot:\n  programs:\n    server: python3 dict_server.py\n\n",
            "Examples:\n",
            "  netcourse grade examples/assignments/dict-server.yaml --submission examples/tutorial\n",
            "  netcourse grade examples/assignments/udp-receiver.yaml --program receiver='python3 udp_recv.py' --junit report.xml\n",
            "\n",
            "Exit codes:\n  0  every expectation passed\n  1  an expectation failed, or the lesson is invalid\n  2  anything else: a bad command line, a missing program, a file that cannot be read or written, no sandbox"
        )
    )]
    Grade(GradeArgs),
}

#[derive(Debug, Args)]
pub struct GradeArgs {
    /// A lesson name or the path of a lesson file with a program slot (`program:` on an actor).
    #[arg(value_name = "NAME|PATH")]
    pub lesson: String,
    /// A directory holding the programs and a netcourse.yaml naming the command for each slot; they run in it.
    #[arg(long, value_name = "DIR")]
    pub submission: Option<PathBuf>,
    /// The command for a program slot, as one shell-quoted string (repeatable; wins over the manifest's).
    #[arg(long = "program", value_name = "SLOT=CMD")]
    pub programs: Vec<String>,
    /// Also write the report as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Kill the program if it is still running this many seconds after it started.
    #[arg(long, value_name = "S", default_value_t = 10.0)]
    pub timeout: f64,
    /// Also look for lessons in this directory (repeatable).
    #[arg(long = "lessons", value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    #[command(flatten)]
    pub exports: ExportArgs,
    /// When to colour the output (NO_COLOR is honoured by `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only errors (with --junit: just write the file).
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// A program to run, as one shell-quoted string (repeatable): each next one
    /// starts once the previous is ready (see --ready).
    #[arg(long, value_name = "CMD")]
    pub run: Vec<String>,
    /// When a program is ready for the next to start: auto (it bound a UDP
    /// socket, is listening, or exited), bound, listening, exited, or
    /// output:TEXT (it printed a line containing TEXT). Once for every
    /// program, or once per --run in order.
    #[arg(long, value_name = "COND")]
    pub ready: Vec<String>,
    /// Give up when a program is not ready after this many seconds.
    #[arg(long, value_name = "S", default_value_t = 5.0)]
    pub ready_timeout: f64,
    /// Run the programs on the hosts of this lesson (a name or a lesson
    /// file with `hosts:`): its hosts, links and wire rules, not its steps.
    /// Without it, the programs share a sandbox's `lo`.
    #[arg(long, value_name = "NAME|PATH")]
    pub lesson: Option<String>,
    /// With --lesson: the host a program runs on. Once for every program,
    /// or once per --run in order (needed when the lesson has several hosts).
    #[arg(long, value_name = "HOST", requires = "lesson")]
    pub host: Vec<String>,
    /// Also look for lessons in this directory (repeatable).
    #[arg(long = "lessons", value_name = "DIR", requires = "lesson")]
    pub dirs: Vec<PathBuf>,
    /// Pause before each socket call and after each frame, like a debugger
    /// for the network (keys, or one command per line when stdin is not a
    /// terminal; ? for help). The programs read /dev/null unless --stdin.
    #[arg(long)]
    pub step: bool,
    /// Stop at datagram sends with ptrace too. By default netcourse makes
    /// IPv4/IPv6 datagram sends with an address (a UDP sender's sendto)
    /// for the program, on its own socket, stopping it once instead of
    /// twice (a UDP sender's loop in about half the time; Linux 6.18+ on
    /// x86_64; never in step mode).
    #[arg(long)]
    pub no_fast_sends: bool,
    /// The default; with it, a note says why when this machine cannot.
    #[arg(long, conflicts_with_all = ["step", "no_fast_sends"])]
    pub fast_sends: bool,
    /// Feed this file to the last program's standard input (else it reads the terminal).
    #[arg(long, value_name = "FILE")]
    pub stdin: Option<PathBuf>,
    /// Kill the programs still running after this many seconds.
    #[arg(long, value_name = "S", default_value_t = 10.0)]
    pub timeout: f64,
    #[command(flatten)]
    pub exports: ExportArgs,
    /// When to colour the output (NO_COLOR is honoured by `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// How much of each event's notes to print (also in Markdown and pcapng
    /// exports): brief (a line per event), normal, or full (every note).
    #[arg(long, value_enum, default_value_t = Detail::Normal)]
    pub detail: Detail,
    /// The program to run, after `--`.
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A pcap or pcapng file: Ethernet, Linux cooked (SLL, SLL2), raw IP or loopback frames.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub exports: ExportArgs,
    /// When to colour the output (NO_COLOR is honoured by `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only errors (with --export: just write the files).
    #[arg(long, short)]
    pub quiet: bool,
    /// How much of each event's notes to print (also in Markdown and pcapng
    /// exports): brief (a line per event), normal, or full (every note).
    #[arg(long, value_enum, default_value_t = Detail::Normal)]
    pub detail: Detail,
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

impl ExportArgs {
    /// The exports asked for, each path tried before anything runs (nothing
    /// is left at a path until there is a transcript to put there).
    pub fn plan(&self, detail: Detail) -> Result<Vec<crate::render::Export>, crate::error::Error> {
        let exports = crate::render::plan_exports(&self.export, self.export_format, detail)?;
        crate::render::check_export_paths(&exports)?;
        Ok(exports)
    }
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
    /// Step through it with a class following in their browsers, as `serve lesson` does.
    #[arg(long, conflicts_with = "step")]
    pub serve: bool,
    /// With --serve: where the class page listens (loopback by default; `0.0.0.0:8080` for the class).
    #[arg(
        long,
        value_name = "ADDR:PORT",
        default_value = "127.0.0.1:8080",
        requires = "serve"
    )]
    pub listen: std::net::SocketAddr,
    /// How much of each event's notes to print (also in Markdown and pcapng exports).
    #[arg(long, value_enum, default_value_t = Detail::Normal)]
    pub detail: Detail,
}

#[derive(Debug, Subcommand)]
pub enum ShowWhat {
    /// Print a lesson's YAML (a built-in one, or one found by name or path).
    #[command(
        after_help = "Examples:\n  netcourse show lesson udp-basics\n  netcourse show lesson tcp-basics > my-tcp.yaml && netcourse check my-tcp.yaml"
    )]
    Lesson {
        /// A lesson name (see `netcourse lessons`) or the path of a lesson file.
        #[arg(value_name = "NAME|PATH")]
        lesson: String,
        /// Also look for lessons in this directory (repeatable).
        #[arg(long = "lessons", value_name = "DIR")]
        dirs: Vec<PathBuf>,
    },
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
        after_help = concat!(
            "Examples:\n",
            "  netcourse run lesson udp-basics\n",
            "  netcourse run lesson tcp-basics --step\n",
            "  netcourse run lesson udp-basics --detail full --export udp.json\n",
            "  netcourse run lesson ./my-lesson.yaml --color never\n",
            "  sudo netcourse run lesson udp-basics --net host\n",
            "\n",
            exit_codes!()
        )
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
    /// Pause before each step and each frame; keys: n(ext) d(etails) +/- (detail) c(ontinue) q(uit) ?(help).
    /// Without a terminal, one command per line (empty line: next; end of input: continue).
    #[arg(long, conflicts_with = "quiet")]
    pub step: bool,
    /// How much of each event's notes to print (also in Markdown and pcapng
    /// exports): brief (a line per event), normal, or full (every note).
    #[arg(long, value_enum, default_value_t = Detail::Normal)]
    pub detail: Detail,
    /// The command for the lesson's program slot, e.g. --program server='python3 server.py' (repeatable).
    #[arg(long = "program", value_name = "SLOT=CMD")]
    pub programs: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum ServeWhat {
    /// Run a lesson in step mode and serve a page the class follows and answers on.
    #[command(
        after_help = "The teacher's keys are those of `run lesson --step`. Students open the printed address (or scan the QR code); it needs the join code it carries. At a checkpoint the class answers on the page; the next key closes the answers and the tally is shown with the frame.\n\nExamples:\n  netcourse serve lesson tcp-basics\n  netcourse serve lesson tcp-basics --listen 0.0.0.0:8080 --export class.json\n  netcourse replay tcp.json --serve --listen 0.0.0.0:8080"
    )]
    Lesson(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A lesson name (see `netcourse lessons`) or the path of a lesson file.
    #[arg(value_name = "NAME|PATH")]
    pub lesson: String,
    /// Where the class page listens: loopback by default; `0.0.0.0:8080` opens it to the class.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Also write the class's answers (counts, no names) beside each export, as NAME.class.json.
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
    /// How much of each event's notes the teacher's screen shows.
    #[arg(long, value_enum, default_value_t = Detail::Normal)]
    pub detail: Detail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

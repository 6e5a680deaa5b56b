use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use netcourse::cli::{Cli, ColorChoice, Command, RunArgs, RunWhat, ShowWhat};
use netcourse::error::Error;
use netcourse::lesson;
use netcourse::live::sandbox::{self, NetMode};
use netcourse::render::{self, terminal};
use netcourse::run::LiveRun;
use netcourse::stepmode::term::{Signals, pending_signal};
use netcourse::transcript::{Outcome, Transcript};

fn main() -> ExitCode {
    // Parsing arguments starts no thread; the sandbox is entered in `run`
    // before anything else could.
    let cli = Cli::try_parse().unwrap_or_else(|e| {
        let _ = e.print();
        let args: Vec<String> = std::env::args().collect();
        if let Some(fix) = missing_lesson_word(&args).or_else(|| lesson_as_command(&args)) {
            eprintln!("\nhint: to run a lesson, write `{fix}`");
        }
        std::process::exit(e.exit_code());
    });
    let result = match cli.command {
        Command::Lessons { dirs } => list_lessons(&dirs),
        Command::Run {
            what: RunWhat::Lesson(args),
        } => run_lesson(args),
        Command::Check { files } => check(&files),
        Command::Show {
            what: ShowWhat::Lesson { lesson, dirs },
        } => show_lesson(&lesson, &dirs),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "netcourse", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => man_page(),
        Command::New {
            what: netcourse::cli::NewWhat::Lesson(args),
        } => netcourse::new_lesson::command(&args),
        Command::Trace(args) => {
            set_color(args.color);
            netcourse::trace::command(&args)
        }
        Command::Grade(args) => {
            set_color(args.color);
            netcourse::grade::command(&args)
        }
        Command::Explain(args) => {
            set_color(args.color);
            netcourse::explain::command(&args)
        }
        Command::Serve {
            what: netcourse::cli::ServeWhat::Lesson(args),
        } => {
            set_color(args.color);
            netcourse::serve::lesson(&args)
        }
        Command::Replay(args) => {
            set_color(args.color);
            if args.serve {
                netcourse::serve::replay(&args)
            } else if args.step {
                netcourse::stepmode::replay(&args)
            } else {
                netcourse::replay::run(&args)
            }
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            report(&e);
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// `netcourse run udp-basics` means `netcourse run lesson udp-basics`: the
/// command line with the missing word, to suggest it.
fn missing_lesson_word(args: &[String]) -> Option<String> {
    // Only as the subcommand: `netcourse run …`.
    let run = 1;
    if args.get(run).map(String::as_str) != Some("run") {
        return None;
    }
    let next = args.get(run + 1)?;
    if next.starts_with('-') || matches!(next.as_str(), "lesson" | "help") {
        return None;
    }
    let mut fixed = vec!["netcourse".to_string()];
    fixed.extend(args[1..=run].iter().cloned());
    fixed.push("lesson".into());
    fixed.extend(args[run + 1..].iter().cloned());
    Some(fixed.join(" "))
}

/// `netcourse udp-basics` means `netcourse run lesson udp-basics`, when
/// udp-basics is a lesson netcourse knows.
fn lesson_as_command(args: &[String]) -> Option<String> {
    let word = args.get(1)?;
    let known = lesson::load::BUILTIN.iter().any(|(name, _)| name == word)
        || word.ends_with(".yaml")
        || word.ends_with(".yml");
    known.then(|| {
        let mut fixed = vec!["netcourse".to_string(), "run".into(), "lesson".into()];
        fixed.extend(args[1..].iter().cloned());
        fixed.join(" ")
    })
}

fn report(e: &Error) {
    let mut err = std::io::stderr().lock();
    // Messages may quote someone else's file (a lesson, a transcript): no
    // control code in it reaches the terminal.
    let _ = writeln!(err, "error: {}", netcourse::text::printable(&e.to_string()));
    if let Some(hint) = e.hint() {
        let _ = writeln!(err, "hint: {}", netcourse::text::printable(&hint));
    }
}

fn set_color(choice: ColorChoice) {
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    colored::control::set_override(on);
}

fn list_lessons(dirs: &[std::path::PathBuf]) -> Result<ExitCode, Error> {
    use netcourse::render::terminal::{WIDTH, wrap};
    let wrap = |text: &str, first: &str| wrap(text, WIDTH, first, 17);
    let _ = lesson::load::print_listing(dirs, &mut std::io::stdout().lock(), &wrap);
    Ok(ExitCode::SUCCESS)
}

/// `netcourse show lesson NAME`: the lesson's YAML as netcourse reads it.
fn show_lesson(name: &str, dirs: &[std::path::PathBuf]) -> Result<ExitCode, Error> {
    let source = lesson::load::find(name, dirs)?;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(source.text.as_bytes());
    let _ = out.flush();
    Ok(ExitCode::SUCCESS)
}

/// `netcourse man`: the manual page, made from the same definition as `--help`.
fn man_page() -> Result<ExitCode, Error> {
    let cmd = <Cli as clap::CommandFactory>::command();
    let mut page = Vec::new();
    let man = clap_mangen::Man::new(cmd);
    let rendered = man.render(&mut page).map(|_| page);
    match rendered {
        Ok(page) => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(&page);
            let _ = out.flush();
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Err(Error::Io {
            path: "stdout".into(),
            action: "write the manual page to",
            reason: e.to_string(),
        }),
    }
}

fn check(files: &[std::path::PathBuf]) -> Result<ExitCode, Error> {
    // A built-in lesson's name is not a file: say how to get one.
    for f in files {
        let name = f.to_string_lossy();
        if !f.exists() && lesson::load::BUILTIN.iter().any(|(n, _)| *n == name) {
            eprintln!(
                "hint: `{name}` is a built-in lesson, not a file here; `netcourse show lesson {name} > {name}.yaml` writes its file, to read, change and check"
            );
        }
    }
    let ok = lesson::load::check_files(
        files,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn run_lesson(args: RunArgs) -> Result<ExitCode, Error> {
    set_color(args.color);
    // Everything that can be wrong with the request is found before the
    // network is touched.
    let source = lesson::load::find(&args.lesson, &args.dirs)?;
    let plan = source.plan()?;
    // A program slot: the program runs traced beside the scripted actors.
    if plan.programs().next().is_some() || !args.programs.is_empty() {
        return netcourse::grade::run_lesson(&args, &plan);
    }
    // Export paths are tried before the sandbox, so a bad one fails before
    // the lesson runs; nothing is left at them until the run has a transcript.
    let exports = args.exports.plan(args.detail)?;
    if args.net == NetMode::Host
        && let Some(reason) = plan.reaches_beyond_itself()
    {
        return Err(Error::Usage {
                message: format!("lesson `{}` cannot run with `--net host`: {reason}", plan.name),
                hint: "on the host's loopback that port may belong to another program; run it in the default sandbox, where only the lesson's own sockets exist".into(),
            });
    }
    if args.net == NetMode::Sandbox {
        sandbox::enter()?;
    }
    // A plain run stops on SIGINT, SIGTERM or SIGHUP like step mode does:
    // the steps that ran are exported, marked incomplete. (Step mode installs
    // its own, for its input loop.) A blocking call the signal interrupts
    // returns at once; one that retries (TCP connect) ends by its timeout.
    let signals = if args.step {
        None
    } else {
        Some(Signals::install().map_err(|e| Error::Io {
            path: "signal handlers".into(),
            action: "install",
            reason: e.to_string(),
        })?)
    };

    let mut live = LiveRun::start(&plan, args.net)?;
    let mut out = std::io::stdout().lock();
    let mut printer = terminal::Printer::new(terminal::View::new(args.detail));
    // Beside the transcript, not in it: a replay of it shows the same
    // header, and this says where the run found the lesson.
    if let Some(line) = lesson_file_line(&args.lesson, &args.dirs, &source)
        && !args.quiet
    {
        eprintln!("note: {line}");
    }
    if !args.quiet && !args.step {
        let _ = printer.header(live.transcript(), &mut out);
    }
    let mut capture_error = None;
    // --step: the same run, paused between steps; a quit ends the loop early
    // and falls through to the footer and the exports below.
    let mut step_ending = None;
    if args.step {
        match netcourse::stepmode::step_through(&mut live, printer.view, &mut out) {
            Ok(ending) => step_ending = Some(ending),
            Err(e) => capture_error = Some(e),
        }
    }
    let mut interrupted = None;
    while !args.step
        && let Some(index) = live.upcoming()
    {
        if let Some(signal) = pending_signal() {
            interrupted = Some((signal, index + 1, false));
            break;
        }
        let result = live.step();
        // The signal cut the step's call short: the step is not recorded.
        if let Err(Error::Interrupted { step }) = &result {
            let signal = pending_signal().unwrap_or(libc::SIGINT);
            interrupted = Some((signal, *step, true));
            break;
        }
        // A signal after the last step finished stops nothing.
        if let Some(signal) = pending_signal()
            && !(result.is_ok() && live.transcript().complete)
        {
            // What the interrupted step did is kept; its failure (EINTR)
            // is the signal's doing, not the lesson's.
            interrupted = Some((signal, index + 1, true));
            if let Ok(events) = &result
                && !args.quiet
            {
                let _ = printer.step_header(live.transcript(), index + 1, &mut out);
                for e in events {
                    let _ = printer.event(live.transcript(), e, &mut out);
                }
            }
            break;
        }
        match result {
            Ok(events) => {
                if !args.quiet {
                    let _ = printer.step_header(live.transcript(), index + 1, &mut out);
                    for e in &events {
                        let _ = printer.event(live.transcript(), e, &mut out);
                    }
                }
            }
            Err(e) => {
                capture_error = Some(e);
                break;
            }
        }
    }
    let (mut transcript, failure) = live.finish();
    if let Some((signal, step, during)) = interrupted {
        let why = stopped_by(signal, step, during, &mut transcript);
        let _ = out.flush();
        eprintln!("{why}");
    }
    if !args.quiet {
        let _ = printer.footer(&transcript, &mut out);
    }
    let _ = out.flush();
    render::write_exports(&exports, &transcript)?;
    drop(signals);
    if let Some((signal, _, _)) = interrupted {
        return Ok(ExitCode::from((128 + signal.clamp(0, 127)) as u8));
    }
    match capture_error.or(failure) {
        Some(e) => Err(e.at_step(&source.display_name(), &plan)),
        None => Ok(step_ending.map_or(ExitCode::SUCCESS, |e| e.exit_code())),
    }
}

/// When a lesson was asked for by name and a file answered, which file, and
/// what it wins over: a `./lessons/tcp-basics.yaml` in the current directory
/// replaces the built-in `tcp-basics`, and the run says so, as `lessons` does.
fn lesson_file_line(
    arg: &str,
    dirs: &[std::path::PathBuf],
    source: &lesson::LessonSource,
) -> Option<String> {
    let lesson::Origin::File(path) = &source.origin else {
        return None;
    };
    if arg != source.name {
        return None; // asked for by path: the user named the file
    }
    let listed = lesson::load::listing(dirs)
        .into_iter()
        .find(|l| l.source.name == source.name && l.source.origin == source.origin);
    let mut line = format!("lesson `{}` from {}", source.name, path.display());
    if let Some(l) = listed {
        line.push_str(&format!(" ({}", l.place.describe()));
        if !l.hides.is_empty() {
            let hidden: Vec<String> = l.hides.iter().map(|(o, _)| o.to_string()).collect();
            line.push_str(&format!("; wins over {}", hidden.join(", ")));
        }
        line.push(')');
    }
    Some(netcourse::text::printable(&line).into_owned())
}

/// Mark `t` as stopped by `signal` during (or before) step `step` (1-based):
/// incomplete, not passed, and why. Returns the line that says so.
fn stopped_by(signal: i32, step: usize, during: bool, t: &mut Transcript) -> String {
    let name = match signal {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        _ => "a signal",
    };
    let why = if during {
        format!("stopped by signal {signal} ({name}) during step {step}")
    } else {
        format!("stopped by signal {signal} ({name}) before step {step}")
    };
    t.complete = false;
    t.outcome = Outcome {
        passed: false,
        failure: Some(format!("{why}; what ran until then is kept")),
    };
    format!("note: {why}; the transcript so far is exported, marked `\"complete\": false`")
}

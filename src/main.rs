use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use netcourse::cli::{Cli, ColorChoice, Command, RunArgs, RunWhat};
use netcourse::error::Error;
use netcourse::lesson::{self, Severity};
use netcourse::render::{self, terminal};
use netcourse::run::LiveRun;
use netcourse::sandbox::{self, NetMode};

fn main() -> ExitCode {
    // Parsing arguments starts no thread; the sandbox is entered in `run`
    // before anything else could.
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Lessons { dirs } => list_lessons(&dirs),
        Command::Run { what: RunWhat::Lesson(args) } => run_lesson(args),
        Command::Check { files } => check(&files),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            report(&e);
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

fn report(e: &Error) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "error: {e}");
    if let Some(hint) = e.hint() {
        let _ = writeln!(err, "hint: {hint}");
    }
}

fn set_color(choice: ColorChoice) {
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal(),
    };
    colored::control::set_override(on);
}

fn list_lessons(dirs: &[std::path::PathBuf]) -> Result<ExitCode, Error> {
    let all = lesson::load::all_lessons(dirs);
    let mut seen = std::collections::HashSet::new();
    let mut out = std::io::stdout().lock();
    for l in &all {
        let shadowed = !seen.insert(l.name.clone());
        let (title, summary) = match lesson::load::parse(&l.text) {
            Ok(f) => (f.title, f.summary),
            Err(p) => ("(invalid lesson)".to_string(), format!("line {}: {}", p.line, p.message)),
        };
        let _ = writeln!(out, "{:<16} {}{}", l.name, title, if shadowed { "  [shadowed]" } else { "" });
        let _ = writeln!(out, "{:<16} {}", "", summary);
        let _ = writeln!(out, "{:<16} from {}", "", l.origin);
    }
    Ok(ExitCode::SUCCESS)
}

fn check(files: &[std::path::PathBuf]) -> Result<ExitCode, Error> {
    let mut failed = false;
    let mut err = std::io::stderr().lock();
    for f in files {
        let source = match lesson::load::read_path(f) {
            Ok(s) => s,
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                failed = true;
                continue;
            }
        };
        let (_, problems) = source.check();
        for p in &problems {
            let _ = writeln!(err, "{}\n", p.render(&source.display_name(), &source.text));
        }
        let errors = problems.iter().filter(|p| p.severity == Severity::Error).count();
        if errors > 0 {
            failed = true;
        } else {
            let _ = writeln!(std::io::stdout(), "{}: ok", source.display_name());
        }
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn run_lesson(args: RunArgs) -> Result<ExitCode, Error> {
    set_color(args.color);
    // Everything that can be wrong with the request is found before the
    // network is touched.
    let source = lesson::load::find(&args.lesson, &args.dirs)?;
    let plan = source.plan()?;
    let exports = render::plan_exports(&args.export, args.export_format)?;
    if args.net == NetMode::Sandbox {
        sandbox::enter()?;
    }

    let mut live = LiveRun::start(&plan, args.net)?;
    let mut out = std::io::stdout().lock();
    if !args.quiet {
        let _ = terminal::header(live.transcript(), &mut out);
    }
    let mut capture_error = None;
    while let Some(index) = live.upcoming() {
        match live.step() {
            Ok(events) => {
                if !args.quiet {
                    let _ = terminal::step_header(live.transcript(), index + 1, &mut out);
                    for e in &events {
                        let _ = terminal::event(e, &mut out);
                    }
                }
            }
            Err(e) => {
                capture_error = Some(e);
                break;
            }
        }
    }
    let (transcript, failure) = live.finish();
    if !args.quiet {
        let _ = terminal::footer(&transcript, &mut out);
    }
    let _ = out.flush();
    for export in &exports {
        render::write_export(export, &transcript)?;
    }
    match capture_error.or(failure) {
        Some(e) => Err(e),
        None => Ok(ExitCode::SUCCESS),
    }
}

//! Lessons whose actor is a program, and grading it: `netcourse grade
//! LESSON --submission DIR` and `netcourse run lesson LESSON --program
//! SLOT=CMD`.
//!
//! A lesson is someone else's file and never names a command: the person
//! running it fills each program slot (`submission`). The program runs
//! traced beside the lesson's scripted actors (`drive`); the report gives
//! each expectation with its evidence (`report`), also as JUnit XML
//! (`junit`).

pub mod drive;
pub mod junit;
mod procnet;
pub mod report;
pub mod submission;

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::cli::{GradeArgs, RunArgs};
use crate::error::Error;
use crate::live::sandbox::{self, NetMode};
use crate::plan::Plan;
use crate::render::{self, terminal};

/// How long `run lesson` gives a program before it is killed.
const RUN_TIMEOUT: Duration = Duration::from_secs(10);

fn no_slot(plan: &Plan) -> Error {
    Error::Usage {
        message: format!(
            "lesson `{}` has no program slot (no actor with `program:`)",
            plan.name
        ),
        hint: "a program is graded against a lesson written for it, e.g. examples/assignments/udp-receiver.yaml; run this one without --program".into(),
    }
}

fn timeout(seconds: f64) -> Result<Duration, Error> {
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 600.0) {
        return Err(Error::Usage {
            message: format!("--timeout {seconds} is not a number of seconds from 0 to 600"),
            hint: "e.g. --timeout 10".into(),
        });
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// `netcourse grade`.
pub fn command(args: &GradeArgs) -> Result<ExitCode, Error> {
    let source = crate::lesson::load::find(&args.lesson, &args.dirs)?;
    let plan = source.plan()?;
    if plan.programs().next().is_none() {
        return Err(no_slot(&plan));
    }
    let programs = submission::gather(args.submission.as_deref(), &args.programs)?;
    if let Some(e) = drive::missing(&plan, &programs, &args.lesson) {
        return Err(e);
    }
    let timeout = timeout(args.timeout)?;
    let exports = args.exports.plan(crate::render::detail::Detail::Normal)?;
    if let Some(path) = &args.junit {
        crate::files::try_replace(path).map_err(|e| Error::Io {
            path: path.clone(),
            action: "write the JUnit report to",
            reason: e.to_string(),
        })?;
    }
    sandbox::enter()?;
    let began = Instant::now();
    let mut graded = drive::run(&plan, &programs, timeout, &mut |_, _, _| {})?;
    let report = report::grade(&plan, &graded);
    settle_outcome(&mut graded, &report);
    if !args.quiet {
        let mut out = std::io::stdout().lock();
        let _ = report::render(&report, &mut out);
        let _ = out.flush();
    }
    if let Some(path) = &args.junit {
        let xml = junit::render(&report, began.elapsed().as_secs_f64());
        write_file(path, xml.as_bytes())?;
    }
    render::write_exports(&exports, &graded.transcript)?;
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The transcript's outcome is the grade's: steps that all passed do not
/// make a run whose program failed its expectations pass.
fn settle_outcome(graded: &mut drive::Graded, report: &report::Report) {
    let o = &mut graded.transcript.outcome;
    if o.passed && !report.passed() {
        o.passed = false;
        o.failure = Some(format!(
            "{} of {} expectations failed; the grade's report names them",
            report.failures(),
            report.items.len()
        ));
    }
}

fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::Io {
        path: path.to_path_buf(),
        action: "write the JUnit report to",
        reason: e.to_string(),
    };
    let mut r = crate::files::Replacement::create(path).map_err(io)?;
    r.file().write_all(bytes).map_err(io)?;
    r.commit().map_err(io)
}

/// `netcourse run lesson LESSON --program SLOT=CMD`: the transcript as a
/// plain run prints it, then the report.
pub fn run_lesson(args: &RunArgs, plan: &Plan) -> Result<ExitCode, Error> {
    if plan.programs().next().is_none() {
        return Err(no_slot(plan));
    }
    let programs = submission::gather(None, &args.programs)?;
    if let Some(e) = drive::missing(plan, &programs, &args.lesson) {
        return Err(e);
    }
    if args.step || args.net == NetMode::Host {
        return Err(Error::Usage {
            message: format!(
                "lesson `{}` has a program slot, which runs only in a plain run in the sandbox (not with {})",
                plan.name,
                if args.step { "--step" } else { "--net host" }
            ),
            hint: "leave it out; `netcourse trace` runs programs with --step-free tracing of their own".into(),
        });
    }
    let exports = args.exports.plan(args.detail)?;
    sandbox::enter()?;
    let mut out = std::io::stdout().lock();
    let mut printer = terminal::Printer::new(terminal::View::new(args.detail));
    let mut header = false;
    let quiet = args.quiet;
    let graded = drive::run(plan, &programs, RUN_TIMEOUT, &mut |t, step, events| {
        if quiet {
            return;
        }
        if !header {
            header = true;
            let _ = printer.header(t, &mut out);
        }
        if let Some(n) = step {
            let _ = printer.step_header(t, n, &mut out);
        }
        for e in events {
            let _ = printer.event(t, e, &mut out);
        }
    })?;
    let mut graded = graded;
    let report = report::grade(plan, &graded);
    settle_outcome(&mut graded, &report);
    if !quiet {
        if !header {
            let _ = printer.header(&graded.transcript, &mut out);
        }
        let _ = printer.footer(&graded.transcript, &mut out);
        let _ = writeln!(out);
        let _ = report::render(&report, &mut out);
    }
    let _ = out.flush();
    render::write_exports(&exports, &graded.transcript)?;
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

//! The grade: one item per expectation — the steps' `expect:` and
//! checkpoints (what the scripted side saw of the program), whether the
//! program became reachable, and the program's own `expect:` list (from its
//! traced calls, printed lines and exit) — each with the evidence: the
//! transcript's events, annotated, or the program's calls.

use std::io::{self, Write};

use super::drive::Graded;
use crate::error::Error;
use crate::plan::{Expect, Plan, ProgramExpect};
use crate::text::{printable, py_bytes};
use crate::trace::decode::Sc;
use crate::trace::tracer;
use crate::transcript::{Event, EventKind, Transcript};

#[derive(Debug, Clone)]
pub struct Item {
    pub name: String,
    pub passed: bool,
    /// Why it failed.
    pub message: Option<String>,
    /// What shows it: events of the transcript, or the program's calls.
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub lesson: String,
    pub title: String,
    /// `receiver: python3 udp_recv.py`, and how it ended.
    pub program: String,
    pub items: Vec<Item>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.items.iter().all(|i| i.passed)
    }

    pub fn failures(&self) -> usize {
        self.items.iter().filter(|i| !i.passed).count()
    }
}

/// Most lines of one kind of evidence shown (what a program printed, sent…).
const MAX_EVIDENCE: usize = 12;

fn describe_expect(e: &Expect, plan: &Plan) -> String {
    let mut parts = Vec::new();
    if let Some(d) = &e.data {
        parts.push(format!("receives {}", py_bytes(d)));
    }
    if e.eof {
        parts.push("end of stream".to_string());
    }
    if let Some(err) = e.error {
        parts.push(format!("fails with `{}`", err.as_str()));
    }
    if let Some(from) = e.from {
        parts.push(format!("from `{}`", plan.actors[from].name));
    }
    parts.join(", ")
}

/// An event as evidence: its summary, and for a frame what it means.
/// (The first sentence of its semantics: the rest is in the transcript.)
fn event_lines(e: &Event) -> Vec<String> {
    if e.kind != EventKind::Frame {
        return vec![format!("#{} {}", e.index, printable(&e.summary))];
    }
    let to = e.to.as_deref().unwrap_or("kernel");
    let mut out = vec![format!(
        "#{} {} → {to} {}",
        e.index,
        e.actor,
        printable(&e.summary)
    )];
    let first = first_sentence(&e.notes.semantics);
    if !first.is_empty() {
        out.push(format!("    {}", printable(first)));
    }
    out
}

/// Up to the first `. ` (or the end of the first line).
fn first_sentence(text: &str) -> &str {
    let line = text.lines().next().unwrap_or("");
    match line.find(". ") {
        Some(i) => &line[..=i],
        None => line,
    }
}

/// A step's events, without those after the steps (the program ending,
/// numbered as the last step's).
fn step_events(g: &Graded, step: usize) -> Vec<String> {
    g.transcript.events[..g.tail_start.min(g.transcript.events.len())]
        .iter()
        .filter(|e| e.step == step)
        .flat_map(event_lines)
        .collect()
}

/// A step's evidence: its events, and the frames that carried what its
/// call received when an earlier step's drain caught them (a program
/// answers while the scripted side is still between calls).
fn step_evidence(g: &Graded, step: usize) -> Vec<String> {
    let mut lines = step_events(g, step);
    let received = g
        .transcript
        .events
        .iter()
        .filter(|e| e.step == step && e.kind == EventKind::Call)
        .filter(|e| e.actor != g.program.name)
        .filter_map(|e| e.call.as_ref()?.data_hex.as_deref())
        .map(|h| crate::text::parse_hex(h).unwrap_or_default())
        .find(|d| !d.is_empty());
    if let Some(data) = received {
        let carried = frames_carrying(&g.transcript, &data);
        if !carried.iter().any(|l| lines.contains(l)) {
            lines.extend(carried);
        }
    }
    lines
}

/// Frames whose payload is exactly `data`.
fn frames_carrying(t: &Transcript, data: &[u8]) -> Vec<String> {
    t.events
        .iter()
        .filter(|e| e.kind == EventKind::Frame)
        .filter(|e| {
            let bytes = e.bytes();
            let d = crate::dissect::dissect(&bytes);
            d.payload
                .and_then(|(off, len)| bytes.get(off..off + len))
                .is_some_and(|p| p == data)
        })
        .flat_map(event_lines)
        .collect()
}

fn call_line(c: &tracer::Call) -> String {
    format!("{} → {}", printable(&c.args), printable(&c.result))
}

/// The step the run stopped at, and why.
fn stop(g: &Graded) -> Option<(usize, String)> {
    let f = g.failure.as_ref()?;
    let step = match f {
        Error::StepFailed { step, .. } | Error::ExpectationFailed { step, .. } => *step,
        _ => g
            .transcript
            .events
            .iter()
            .filter(|e| e.kind == EventKind::Call)
            .map(|e| e.step)
            .max()
            .unwrap_or(1),
    };
    Some((step, f.to_string()))
}

pub fn grade(plan: &Plan, g: &Graded) -> Report {
    let p = &g.program;
    let actor = &plan.actors[p.actor].name;
    let mut items = Vec::new();
    let stopped = stop(g);
    // A step ran when its scripted call did (the program's calls are
    // numbered with the step they came in).
    let ran = |n: usize| {
        g.transcript
            .events
            .iter()
            .any(|e| e.kind == EventKind::Call && e.step == n && e.actor != *actor)
    };
    let not_reached = || match (&p.not_ready, &stopped) {
        (Some(why), _) => format!("not run: program `{actor}` {why}"),
        (None, Some((step, _))) => format!("not reached: the run stopped at step {step}"),
        (None, None) => "not reached".to_string(),
    };
    let traced = p.traced.as_ref();

    if let Some(ready) = &p.ready_text {
        let binds: Vec<String> = traced
            .map(|t| {
                t.calls
                    .iter()
                    .filter(|c| matches!(c.sc, Sc::Bind | Sc::Listen))
                    .map(call_line)
                    .collect()
            })
            .unwrap_or_default();
        let mut evidence = binds;
        if evidence.is_empty() {
            evidence.push("it made no bind or listen call".into());
        }
        if p.not_ready.is_some() {
            evidence.extend(printed(traced).into_iter().map(|l| format!("printed: {l}")));
        }
        items.push(Item {
            name: format!("program `{actor}` {ready}"),
            passed: p.not_ready.is_none(),
            message: p.not_ready.as_ref().map(|w| format!("it {w}")),
            evidence,
        });
    }

    for s in &plan.steps {
        let head = format!(
            "step {} · {} {}",
            s.number,
            plan.actors[s.actor].name,
            s.call.name()
        );
        let failed_here = stopped.as_ref().filter(|(n, _)| *n == s.number);
        let has_expect = s.expect != Expect::default();
        if has_expect {
            let (passed, message) = match failed_here {
                Some((_, why)) => (false, Some(why.clone())),
                None if ran(s.number) => (true, None),
                None => (false, Some(not_reached())),
            };
            items.push(Item {
                name: format!("{head}: expects {}", describe_expect(&s.expect, plan)),
                passed,
                message,
                evidence: step_evidence(g, s.number),
            });
        } else if let Some((_, why)) = failed_here {
            items.push(Item {
                name: head.clone(),
                passed: false,
                message: Some(why.clone()),
                evidence: step_evidence(g, s.number),
            });
        }
        if let Some(c) = &s.checkpoint {
            let answered = g.transcript.events.iter().find(|e| {
                e.step == s.number && e.kind == EventKind::Frame && e.checkpoint.is_some()
            });
            let (passed, message, evidence) = match answered {
                Some(e) => {
                    let cp = e.checkpoint.as_ref();
                    let mut ev = vec![format!(
                        "answer: {} ({})",
                        printable(cp.map_or("", |c| c.answer.as_str())),
                        cp.map_or("", |c| c.value.as_str())
                    )];
                    ev.extend(event_lines(e));
                    (true, None, ev)
                }
                None if ran(s.number) => (
                    false,
                    Some(format!(
                        "frame {} of step {} was not captured: nothing answers the question",
                        c.frame, s.number
                    )),
                    step_events(g, s.number),
                ),
                None => (false, Some(not_reached()), Vec::new()),
            };
            items.push(Item {
                name: format!("step {} checkpoint: {}", s.number, printable(&c.ask)),
                passed,
                message,
                evidence,
            });
        }
    }
    // A run that stopped for a reason no step owns (the capture failed).
    if let Some((_, why)) = &stopped
        && !items.iter().any(|i| !i.passed)
    {
        items.push(Item {
            name: "the lesson runs to its end".into(),
            passed: false,
            message: Some(why.clone()),
            evidence: Vec::new(),
        });
    }

    if let Some(slot) = plan.actors[p.actor].program.as_ref() {
        for e in &slot.expects {
            items.push(program_item(e, actor, g, traced));
        }
    }
    Report {
        lesson: plan.name.clone(),
        title: plan.title.clone(),
        program: format!(
            "`{}` (slot `{}`): {} — {}",
            actor,
            p.slot,
            printable(&p.command),
            ending(g)
        ),
        items,
    }
}

/// How the program ended, in words.
fn ending(g: &Graded) -> String {
    let p = &g.program;
    let Some(t) = &p.traced else {
        return "never started (the run stopped before its turn)".into();
    };
    let how = main_exit(t).map_or("did not end".to_string(), |x| x.how.clone());
    if t.timed_out {
        format!("{how}: it was still running at the timeout")
    } else if p.stopped_early {
        format!("{how}: stopped because the run stopped early")
    } else {
        how
    }
}

fn main_exit(t: &tracer::Outcome) -> Option<&tracer::Exit> {
    let first = t.processes.first().map(|p| p.0);
    t.exits.iter().find(|x| Some(x.pid) == first)
}

fn printed(t: Option<&tracer::Outcome>) -> Vec<String> {
    t.map(|t| {
        t.lines
            .iter()
            .map(|l| {
                format!(
                    "{}{}",
                    if l.stderr { "(stderr) " } else { "" },
                    printable(&l.text)
                )
            })
            .collect()
    })
    .unwrap_or_default()
}

fn capped(mut lines: Vec<String>, what: &str) -> Vec<String> {
    if lines.len() > MAX_EVIDENCE {
        let more = lines.len() - MAX_EVIDENCE;
        lines.truncate(MAX_EVIDENCE);
        lines.push(format!("… and {more} more {what}"));
    }
    lines
}

fn program_item(
    e: &ProgramExpect,
    actor: &str,
    g: &Graded,
    traced: Option<&tracer::Outcome>,
) -> Item {
    let name = format!("program `{actor}` {}", e.title());
    let Some(t) = traced else {
        return Item {
            name,
            passed: false,
            message: Some(match &g.program.not_ready {
                Some(why) => format!("it {why}"),
                None => "the program never ran: the run stopped before its turn".into(),
            }),
            evidence: Vec::new(),
        };
    };
    let data_calls = |sends: bool| -> Vec<&tracer::Call> {
        t.calls
            .iter()
            .filter(|c| {
                c.ok && c.data.is_some()
                    && if sends {
                        matches!(c.sc, Sc::Sendto | Sc::Write | Sc::Sendmsg)
                    } else {
                        matches!(c.sc, Sc::Recvfrom | Sc::Read | Sc::Recvmsg)
                    }
            })
            .collect()
    };
    let (passed, message, evidence) = match e {
        ProgramExpect::Prints(text) => {
            let lines = printed(Some(t));
            match t.lines.iter().find(|l| l.text.contains(text.as_str())) {
                Some(l) => (true, None, vec![format!("printed: {}", printable(&l.text))]),
                None => (
                    false,
                    Some(if lines.is_empty() {
                        "it printed nothing".into()
                    } else {
                        format!("no line it printed contains {text:?}")
                    }),
                    capped(
                        lines.into_iter().map(|l| format!("printed: {l}")).collect(),
                        "lines",
                    ),
                ),
            }
        }
        ProgramExpect::Sends(want) | ProgramExpect::Receives(want) => {
            let sends = matches!(e, ProgramExpect::Sends(_));
            let calls = data_calls(sends);
            let verb = if sends { "sent" } else { "received" };
            match calls
                .iter()
                .find(|c| c.data.as_deref() == Some(want.as_slice()))
            {
                Some(c) => {
                    let mut ev = vec![call_line(c)];
                    ev.extend(frames_carrying(&g.transcript, want));
                    (true, None, ev)
                }
                None => {
                    let mut ev: Vec<String> = calls.iter().map(|c| call_line(c)).collect();
                    if ev.is_empty() {
                        ev.push(format!("it {verb} no data on a socket"));
                    }
                    (
                        false,
                        Some(format!(
                            "no socket call of the program {verb} {}",
                            py_bytes(want)
                        )),
                        capped(ev, "calls"),
                    )
                }
            }
        }
        ProgramExpect::Exits(status) => {
            let exit = main_exit(t);
            let passed = exit.is_some_and(|x| x.status == Some(*status)) && !t.timed_out;
            let mut ev = vec![ending(g)];
            if !passed {
                ev.extend(
                    printed(Some(t))
                        .into_iter()
                        .filter(|l| l.starts_with("(stderr)"))
                        .map(|l| format!("printed: {l}")),
                );
            }
            (
                passed,
                (!passed).then(|| format!("it {}", ending(g))),
                capped(ev, "lines"),
            )
        }
    };
    Item {
        name,
        passed,
        message,
        evidence,
    }
}

/// The report as the terminal shows it.
pub fn render(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    use colored::Colorize;
    writeln!(out, "grade: {} — {}", r.lesson, printable(&r.title))?;
    writeln!(out, "program {}", r.program)?;
    writeln!(out)?;
    for i in &r.items {
        let mark = if i.passed {
            "PASS".green().bold()
        } else {
            "FAIL".red().bold()
        };
        writeln!(out, "{mark}  {}", i.name)?;
        if let Some(m) = &i.message {
            writeln!(out, "      {}", printable(m))?;
        }
        for line in &i.evidence {
            writeln!(out, "      │ {line}")?;
        }
    }
    writeln!(out)?;
    let passed = r.items.len() - r.failures();
    let line = format!(
        "{passed} of {} expectation{} passed",
        r.items.len(),
        if r.items.len() == 1 { "" } else { "s" }
    );
    if r.passed() {
        writeln!(out, "{}", line.green())
    } else {
        writeln!(out, "{}", line.red())
    }
}

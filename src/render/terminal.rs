//! The terminal transcript: a block per step with its frames under it,
//! readable at 80 columns. Colour comes from `colored`, switched on or off once
//! in `main`.

use std::io::{self, Write};

use colored::Colorize;

use crate::transcript::{Event, EventKind, Transcript};

pub const WIDTH: usize = 80;

/// Word-wrap `text` to `width`, the first line after `first`, the rest
/// indented by `indent` spaces. Single line breaks are spaces (YAML block
/// text); a blank line starts a new paragraph.
pub fn wrap(text: &str, width: usize, first: &str, indent: usize) -> String {
    let mut out = String::new();
    let pad = " ".repeat(indent);
    let mut line = String::from(first);
    let mut line_len = first.chars().count();
    let mut at_start = true;
    for (pi, paragraph) in paragraphs(text).iter().enumerate() {
        if pi > 0 {
            out.push_str(&line);
            out.push('\n');
            line = pad.clone();
            line_len = indent;
            at_start = true;
        }
        for word in paragraph.split_whitespace() {
            let wl = word.chars().count();
            if !at_start && line_len + 1 + wl > width {
                out.push_str(&line);
                out.push('\n');
                line = pad.clone();
                line_len = indent;
                at_start = true;
            }
            if !at_start {
                line.push(' ');
                line_len += 1;
            }
            line.push_str(word);
            line_len += wl;
            at_start = false;
        }
    }
    out.push_str(&line);
    out
}

/// Paragraphs of `text`: lines joined, split at blank lines, and at the
/// breaks our own notes put between layers.
fn paragraphs(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        // A line that starts with a protocol name (our syntax notes) stays a line.
        if !current.is_empty() && starts_like_a_layer(line) {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(line.trim());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn starts_like_a_layer(line: &str) -> bool {
    [
        "Ethernet,",
        "ARP,",
        "IPv4,",
        "IPv6,",
        "ICMP,",
        "ICMPv6,",
        "UDP,",
        "TCP,",
        "Payload,",
        "Parsing stopped",
    ]
    .iter()
    .any(|p| line.starts_with(p))
}

pub fn header(t: &Transcript, w: &mut impl Write) -> io::Result<()> {
    writeln!(
        w,
        "{} {} — {}",
        "netcourse".bold(),
        t.lesson.name.cyan().bold(),
        t.lesson.title.bold()
    )?;
    writeln!(w, "{}", wrap(&t.lesson.summary, WIDTH, "", 0))?;
    writeln!(
        w,
        "{}",
        wrap(
            &format!(
                "network: {} on `{}`. {}",
                t.network.mode, t.network.interface, t.network.note
            ),
            WIDTH,
            "",
            0
        )
        .dimmed()
    )?;
    if let Some(intro) = &t.lesson.intro {
        writeln!(w)?;
        writeln!(w, "{}", wrap(intro, WIDTH, "", 0))?;
    }
    Ok(())
}

/// The line that opens a step's block.
pub fn step_header(t: &Transcript, number: usize, w: &mut impl Write) -> io::Result<()> {
    let Some(step) = t.steps.iter().find(|s| s.number == number) else {
        return Ok(());
    };
    let title = format!(
        "━━ Step {}/{} · {} · {} ",
        number,
        t.steps.len(),
        step.actor,
        step.call
    );
    let fill = WIDTH.saturating_sub(title.chars().count());
    writeln!(w)?;
    writeln!(
        w,
        "{}",
        format!("{title}{}", "━".repeat(fill)).blue().bold()
    )
}

fn layer_tag(e: &Event) -> String {
    format!("[{}]", e.layer).dimmed().to_string()
}

pub fn event(e: &Event, w: &mut impl Write) -> io::Result<()> {
    let t = format!("+{:.3} ms", e.time_ns as f64 / 1e6);
    match e.kind {
        EventKind::Call => {
            let call = e.call.as_ref();
            let ok = call.is_some_and(|c| c.ok);
            let head = format!(
                "#{:<3} {t:>11}  {} {}",
                e.index,
                e.actor.bold(),
                "call".yellow()
            );
            writeln!(w, "{head} {}", layer_tag(e))?;
            if let Some(c) = call {
                let result = if ok {
                    c.result.green().to_string()
                } else {
                    c.result.red().to_string()
                };
                writeln!(
                    w,
                    "{}",
                    wrap(&format!("{} → {}", c.args, result), WIDTH, "      ", 6)
                )?;
            }
        }
        EventKind::Frame => {
            let to = e.to.as_deref().unwrap_or("?");
            let head = format!(
                "#{:<3} {t:>11}  {} → {} {}",
                e.index,
                e.actor.bold(),
                to.bold(),
                "frame".magenta()
            );
            writeln!(w, "{head} {}", layer_tag(e))?;
            writeln!(w, "{}", wrap(&e.summary, WIDTH, "      ", 6).magenta())?;
            if let Some(m) = &e.mac {
                writeln!(w, "      {}  {} → {}", "MAC ".dimmed(), m.src, m.dst)?;
            }
            if let Some(ip) = &e.ip {
                writeln!(w, "      {}  {} → {}", "IP  ".dimmed(), ip.src, ip.dst)?;
            }
            if let Some(p) = &e.port {
                writeln!(w, "      {}  {} → {}", "port".dimmed(), p.src, p.dst)?;
            }
            if let Some(tcp) = &e.tcp {
                writeln!(
                    w,
                    "      {}  [{}] seq={} ack={} win={} len={}",
                    "tcp ".dimmed(),
                    tcp.flags.join(", "),
                    tcp.seq_rel,
                    tcp.ack_rel,
                    tcp.window_scaled,
                    tcp.len
                )?;
                writeln!(
                    w,
                    "      {}  seq={} ack={} window field={}",
                    "raw ".dimmed(),
                    tcp.seq,
                    tcp.ack,
                    tcp.window
                )?;
                let states: Vec<String> = tcp
                    .states
                    .iter()
                    .map(|s| format!("{} {}", s.actor, s.state))
                    .collect();
                writeln!(w, "      {}  {}", "state".dimmed(), states.join(" · "))?;
            }
        }
    }
    note(w, "syntax", &e.notes.syntax)?;
    note(w, "semantics", &e.notes.semantics)?;
    note(w, "timing", &e.notes.timing)?;
    if let Some(c) = &e.checkpoint {
        let verdict = match (&c.given, c.correct) {
            (Some(given), Some(true)) => format!(" You answered {given}: right."),
            (Some(given), Some(false)) => format!(" You answered {given}: not quite."),
            (Some(given), None) => format!(" You answered {given}: not graded."),
            _ => String::new(),
        };
        let why = c
            .explain
            .as_deref()
            .map(|x| format!(" {x}"))
            .unwrap_or_default();
        note(
            w,
            "question",
            &format!(
                "{} Answer, from the capture: {} ({}).{verdict}{why}",
                c.question, c.answer, c.value
            ),
        )?;
    }
    Ok(())
}

fn note(w: &mut impl Write, label: &str, text: &str) -> io::Result<()> {
    if text.is_empty() {
        return Ok(());
    }
    let first = format!("      {:<10} ", label);
    let wrapped = wrap(text, WIDTH, &first, 17);
    // Colour the label only, after wrapping, so widths stay right.
    let coloured = wrapped.replacen(label, &label.cyan().to_string(), 1);
    writeln!(w, "{coloured}")
}

pub fn footer(t: &Transcript, w: &mut impl Write) -> io::Result<()> {
    writeln!(w)?;
    let frames = t.events.iter().filter(|e| e.is_frame()).count();
    let calls = t.events.len() - frames;
    if !t.comparison.is_empty() {
        writeln!(w, "{}", "Measured on the wire:".bold())?;
        writeln!(
            w,
            "  {:<10} {:>7} {:>13} {:>14} {:>12} {:>11}",
            "transport", "frames", "header bytes", "payload bytes", "total bytes", "time"
        )?;
        for c in &t.comparison {
            writeln!(
                w,
                "  {:<10} {:>7} {:>13} {:>14} {:>12} {:>11}",
                c.transport.to_uppercase(),
                c.frames,
                c.header_bytes,
                c.payload_bytes,
                c.total_bytes,
                crate::annotate::fmt_ns(c.duration_ns)
            )?;
        }
        writeln!(w)?;
    }
    // The outro tells what happened; only a run that happened may say it.
    if let Some(outro) = t.lesson.outro.as_ref().filter(|_| t.outcome.passed) {
        writeln!(w, "{}", wrap(outro, WIDTH, "", 0))?;
        writeln!(w)?;
    }
    let status = if t.outcome.passed {
        "lesson passed".green().bold().to_string()
    } else if t.complete {
        "lesson failed".red().bold().to_string()
    } else {
        "lesson stopped early".yellow().bold().to_string()
    };
    writeln!(
        w,
        "{status}: {}, {} captured, {} dropped by the kernel.",
        crate::exec::plural(calls, "socket call"),
        crate::exec::plural(frames, "frame"),
        t.dropped
    )?;
    if let Some(n) = t.network.left_out {
        let line = format!(
            "{} on the shared `{}` belonged to other programs and {} left out.",
            crate::exec::plural(n as usize, "other frame"),
            t.network.interface,
            if n == 1 { "was" } else { "were" }
        );
        writeln!(w, "{}", wrap(&line, WIDTH, "", 0))?;
    }
    if let Some(f) = &t.outcome.failure {
        writeln!(w, "{}", wrap(f, WIDTH, "  ", 2).red())?;
    }
    Ok(())
}

/// The whole transcript, as a live run prints it.
pub fn render(t: &Transcript, w: &mut impl Write) -> io::Result<()> {
    header(t, w)?;
    let mut current = 0;
    for e in &t.events {
        if e.step != current {
            current = e.step;
            step_header(t, current, w)?;
        }
        event(e, w)?;
    }
    footer(t, w)
}

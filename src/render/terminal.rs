//! The terminal transcript: a block per step with its frames under it,
//! wrapped to the terminal's width. Colour comes from `colored`, switched
//! on or off once in `main`. How much of each event's notes is printed
//! depends on the level of detail (`detail.rs`); `full` prints every note.

use std::io::{self, Write};

use colored::Colorize;

use super::detail::{self, Detail, Seen};
use crate::transcript::{Event, EventKind, Transcript};

/// The width when the output is not a terminal and `COLUMNS` is not set.
pub const WIDTH: usize = 80;
/// Narrower than this, nothing is readable: lines are wrapped at this width.
pub const MIN_WIDTH: usize = 40;

/// The width to wrap to: the terminal's own (stdout), else `COLUMNS`, else
/// 80; never below `MIN_WIDTH`.
pub fn width() -> usize {
    use std::os::fd::AsRawFd;
    let tty = tty_width(io::stdout().as_raw_fd());
    let env = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0);
    tty.or(env).unwrap_or(WIDTH).max(MIN_WIDTH)
}

/// Columns of the terminal on `fd`, if it is one.
pub fn tty_width(fd: std::os::fd::RawFd) -> Option<usize> {
    let mut ws = std::mem::MaybeUninit::<libc::winsize>::uninit();
    // SAFETY: TIOCGWINSZ fills a winsize on success.
    if unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, ws.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: initialised by the successful ioctl.
    let cols = unsafe { ws.assume_init() }.ws_col as usize;
    (cols > 0).then_some(cols)
}

/// How many columns `s` takes: escape sequences (colour) take none.
pub fn visible_len(s: &str) -> usize {
    if !s.as_bytes().contains(&0x1b) {
        return s.chars().count();
    }
    let mut n = 0;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: ESC [ … final byte in @–~.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) && c != '[' {
                    break;
                }
            }
            continue;
        }
        n += 1;
    }
    n
}

/// Word-wrap `text` to `width`, the first line after `first`, the rest
/// indented by `indent` spaces. Single line breaks are spaces (YAML block
/// text); a blank line starts a new paragraph. Words are never split,
/// except one that alone is wider than the room a line has (a long hex
/// string), which is cut at the edge.
pub fn wrap(text: &str, width: usize, first: &str, indent: usize) -> String {
    wrap_paragraphs(text, width, first, indent, false)
}

/// As `wrap`, with a blank line between paragraphs (prose the lesson wrote,
/// like an intro, keeps its paragraphs apart).
pub fn wrap_blank(text: &str, width: usize, first: &str, indent: usize) -> String {
    wrap_paragraphs(text, width, first, indent, true)
}

fn wrap_paragraphs(text: &str, width: usize, first: &str, indent: usize, blank: bool) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8 + first.len() + 16);
    let indent = indent.min(width / 2);
    let pad = " ".repeat(indent);
    let mut line = String::from(first);
    let mut line_len = visible_len(first);
    let mut at_start = true;
    // The line so far goes to `out`, and the next starts with the indent.
    let break_line = |out: &mut String, line: &mut String| {
        out.push_str(line);
        out.push('\n');
        line.clear();
        line.push_str(&pad);
    };
    for (pi, paragraph) in paragraphs(text).iter().enumerate() {
        if pi > 0 {
            break_line(&mut out, &mut line);
            if blank {
                // The blank line goes before the indented line begun above.
                out.push('\n');
            }
            line_len = indent;
            at_start = true;
        }
        for mut word in paragraph.split_whitespace() {
            let mut wl = visible_len(word);
            if !at_start && line_len + 1 + wl > width {
                break_line(&mut out, &mut line);
                line_len = indent;
                at_start = true;
            }
            // A word wider than a whole line: cut it at the edge.
            while at_start && line_len + wl > width && width > line_len && !word.contains('\x1b') {
                let room = width - line_len;
                let cut = word.char_indices().nth(room).map_or(word.len(), |(i, _)| i);
                line.push_str(&word[..cut]);
                break_line(&mut out, &mut line);
                line_len = indent;
                word = &word[cut..];
                wl = visible_len(word);
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
        "DNS,",
        "HTTP,",
        "SMTP,",
        "FTP,",
        "FTP-DATA,",
        "TELNET,",
        "Parsing stopped",
    ]
    .iter()
    .any(|p| line.starts_with(p))
}

/// How the terminal prints: the width to wrap to and the level of detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct View {
    pub width: usize,
    pub detail: Detail,
}

impl View {
    /// The terminal's width (see `width`) at `detail`.
    pub fn new(detail: Detail) -> View {
        View {
            width: width(),
            detail,
        }
    }
}

/// Prints a transcript event by event, remembering what it has shown: which
/// headers were listed in full, and when each step's call ran.
#[derive(Debug, Clone)]
pub struct Printer {
    pub view: View,
    seen: Seen,
    /// (step, time of its call), for times relative to the call.
    call_at: Option<(usize, u64)>,
}

impl Printer {
    pub fn new(view: View) -> Printer {
        Printer {
            view,
            seen: Seen::default(),
            call_at: None,
        }
    }

    pub fn header(&self, t: &Transcript, w: &mut impl Write) -> io::Result<()> {
        header(t, self.view, w)
    }

    pub fn step_header(&self, t: &Transcript, number: usize, w: &mut impl Write) -> io::Result<()> {
        step_header(t, number, self.view, w)?;
        if self.view.detail < Detail::Full
            && let Some(say) = t
                .steps
                .iter()
                .find(|s| s.number == number)
                .and_then(|s| s.say.as_deref())
        {
            writeln!(w, "{}", wrap(say, self.view.width, "", 0))?;
        }
        Ok(())
    }

    pub fn footer(&self, t: &Transcript, w: &mut impl Write) -> io::Result<()> {
        footer(t, self.view, w)
    }

    /// Remember an event without printing it (one shown elsewhere, such as
    /// step mode's screens), so later events refer to it right.
    pub fn note_shown(&mut self, e: &Event) {
        if e.kind == EventKind::Call {
            self.call_at = Some((e.step, e.time_ns));
        } else {
            self.seen.syntax(e);
        }
    }

    /// Time since the step's call, for a frame of that step.
    pub fn since_call(&self, e: &Event) -> Option<u64> {
        match self.call_at {
            Some((step, at)) if step == e.step && e.is_frame() => {
                Some(e.time_ns.saturating_sub(at))
            }
            _ => None,
        }
    }

    /// One event at this printer's level. `say` is the step's narration,
    /// already printed under the step's header at brief and normal.
    pub fn event(&mut self, t: &Transcript, e: &Event, w: &mut impl Write) -> io::Result<()> {
        if self.view.detail == Detail::Full {
            self.note_shown(e);
            return event(e, self.view.width, w);
        }
        let width = self.view.width;
        writeln!(w, "{}", self.event_line(e))?;
        let say = t
            .steps
            .iter()
            .find(|s| s.number == e.step)
            .and_then(|s| s.say.as_deref());
        // A call's narration, under the step's header, says what it means
        // in this lesson; the built-in sentence is for steps without one.
        if self.view.detail == Detail::Normal && (e.is_frame() || say.is_none()) {
            let semantics = detail::short_semantics(e, say);
            note(w, width, "semantics", &semantics)?;
            let mut timing = Vec::new();
            if let Some(ns) = self.since_call(e) {
                let mut s = format!("{} after the call", crate::annotate::fmt_ns(ns));
                if let Some(f) = e.follows.filter(|f| Some(*f) != self.call_index(t, e)) {
                    s.push_str(&format!(", answering #{f}"));
                }
                timing.push(format!("{s}."));
            }
            let next = detail::short_timing(e);
            if !next.is_empty() {
                timing.push(next);
            }
            note(w, width, "timing", &timing.join(" "))?;
            let lines = self.seen.syntax(e);
            note(w, width, "syntax", &lines.join("\n\n"))?;
        } else {
            self.note_shown(e);
        }
        if e.kind == EventKind::Call {
            self.call_at = Some((e.step, e.time_ns));
        }
        let own = &e.from_lesson;
        for (label, text) in [
            ("lesson", &own.semantics),
            ("lesson", &own.timing),
            ("lesson", &own.syntax),
        ] {
            note(w, width, label, text)?;
        }
        checkpoint(e, width, w)
    }

    fn call_index(&self, t: &Transcript, e: &Event) -> Option<usize> {
        t.events
            .iter()
            .find(|c| c.step == e.step && c.kind == EventKind::Call)
            .map(|c| c.index)
    }

    /// The event's first line at brief and normal: number, time, who, what.
    pub fn event_line(&self, e: &Event) -> String {
        let t = super::offset_ms(e);
        let width = self.view.width;
        match e.kind {
            EventKind::Call => {
                let head = format!("#{:<3} {t:>11}  ", e.index);
                let Some(c) = &e.call else {
                    return wrap(&format!("{} {}", e.actor, e.summary), width, &head, 6);
                };
                let result = if c.ok {
                    c.result.green().to_string()
                } else {
                    c.result.red().to_string()
                };
                wrap(
                    &format!("{} {} → {result}", e.actor.bold(), c.args),
                    width,
                    &head,
                    6,
                )
            }
            EventKind::Frame => {
                let head = format!("#{:<3} {t:>11}  ", e.index);
                let to = e.to.as_deref().unwrap_or("?");
                wrap(
                    &format!(
                        "{} → {} {}",
                        e.actor.bold(),
                        to.bold(),
                        detail::frame_line(e).magenta()
                    ),
                    width,
                    &head,
                    6,
                )
            }
        }
    }

    /// The whole transcript, as a live run prints it.
    pub fn render(&mut self, t: &Transcript, w: &mut impl Write) -> io::Result<()> {
        self.header(t, w)?;
        let mut current = 0;
        for e in &t.events {
            if e.step != current {
                current = e.step;
                self.step_header(t, current, w)?;
            }
            self.event(t, e, w)?;
        }
        self.footer(t, w)
    }
}

pub fn header(t: &Transcript, view: View, w: &mut impl Write) -> io::Result<()> {
    let width = view.width;
    writeln!(
        w,
        "{}",
        wrap(
            &format!(
                "{} {} — {}",
                "netcourse".bold(),
                t.lesson.name.cyan().bold(),
                t.lesson.title.bold()
            ),
            width,
            "",
            0
        )
    )?;
    writeln!(w, "{}", wrap(&t.lesson.summary, width, "", 0))?;
    writeln!(
        w,
        "{}",
        wrap(
            &format!(
                "network: {} on `{}`. {}",
                t.network.mode, t.network.interface, t.network.note
            ),
            width,
            "",
            0
        )
        .dimmed()
    )?;
    if let Some(intro) = &t.lesson.intro {
        writeln!(w)?;
        writeln!(w, "{}", wrap_blank(intro, width, "", 0))?;
    }
    Ok(())
}

/// The line that opens a step's block.
pub fn step_header(
    t: &Transcript,
    number: usize,
    view: View,
    w: &mut impl Write,
) -> io::Result<()> {
    let Some(step) = t.steps.iter().find(|s| s.number == number) else {
        return Ok(());
    };
    // The rule line itself separates steps; full keeps its blank line too.
    if view.detail == Detail::Full {
        writeln!(w)?;
    }
    writeln!(
        w,
        "{}",
        rule_line(
            &format!(
                "━━ Step {}/{} · {} · {} ",
                number,
                t.steps.len(),
                step.actor,
                step.call
            ),
            '━',
            view.width
        )
        .blue()
        .bold()
    )
}

/// `title` filled with `fill` to `width`; a title too long for one line is
/// wrapped, its last line filled.
pub fn rule_line(title: &str, fill: char, width: usize) -> String {
    let wrapped = wrap(title.trim_end(), width, "", 0);
    let last = wrapped.lines().last().unwrap_or("");
    let used = visible_len(last);
    let pad = if used < width {
        format!(" {}", fill.to_string().repeat(width - used - 1))
    } else {
        String::new()
    };
    format!("{wrapped}{pad}")
}

/// An event's first line with its columns kept when it fits, else wrapped.
fn head_line(head: &str, tag: &str, width: usize) -> String {
    let line = format!("{head} {tag}");
    if visible_len(&line) <= width {
        line
    } else {
        wrap(&line, width, "", 6)
    }
}

fn layer_tag(e: &Event) -> String {
    format!("[{}]", e.layer).dimmed().to_string()
}

/// Every note of one event, as written (the `full` level).
pub fn event(e: &Event, width: usize, w: &mut impl Write) -> io::Result<()> {
    let t = super::offset_ms(e);
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
            writeln!(w, "{}", head_line(&head, &layer_tag(e), width))?;
            if let Some(c) = call {
                let result = if ok {
                    c.result.green().to_string()
                } else {
                    c.result.red().to_string()
                };
                writeln!(
                    w,
                    "{}",
                    wrap(&format!("{} → {}", c.args, result), width, "      ", 6)
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
            writeln!(w, "{}", head_line(&head, &layer_tag(e), width))?;
            writeln!(w, "{}", wrap(&e.summary, width, "      ", 6).magenta())?;
            let pair = |label: &str, text: String| {
                wrap(&text, width, &format!("      {}  ", label.dimmed()), 12)
            };
            if let Some(m) = &e.mac {
                writeln!(w, "{}", pair("MAC ", format!("{} → {}", m.src, m.dst)))?;
            }
            if let Some(ip) = &e.ip {
                writeln!(w, "{}", pair("IP  ", format!("{} → {}", ip.src, ip.dst)))?;
            }
            if let Some(p) = &e.port {
                writeln!(w, "{}", pair("port", format!("{} → {}", p.src, p.dst)))?;
            }
            if let Some(tcp) = &e.tcp {
                let line = format!(
                    "[{}] seq={} ack={} win={} len={}",
                    tcp.flags.join(", "),
                    tcp.seq_rel,
                    tcp.ack_rel,
                    tcp.window_scaled,
                    tcp.len
                );
                writeln!(w, "{}", pair("tcp ", line))?;
                let raw = format!(
                    "seq={} ack={} window field={}",
                    tcp.seq, tcp.ack, tcp.window
                );
                writeln!(w, "{}", pair("raw ", raw))?;
                let states: Vec<String> = tcp
                    .states
                    .iter()
                    .map(|s| format!("{} {}", s.actor, s.state))
                    .collect();
                writeln!(
                    w,
                    "{}",
                    wrap(
                        &states.join(" · "),
                        width,
                        &format!("      {}  ", "state".dimmed()),
                        13
                    )
                )?;
            }
        }
    }
    note(w, width, "syntax", &e.notes.syntax)?;
    note(w, width, "semantics", &e.notes.semantics)?;
    note(w, width, "timing", &e.notes.timing)?;
    checkpoint(e, width, w)
}

fn checkpoint(e: &Event, width: usize, w: &mut impl Write) -> io::Result<()> {
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
            width,
            "question",
            &format!(
                "{} Answer, from the capture: {} ({}).{verdict}{why}",
                c.question, c.answer, c.value
            ),
        )?;
    }
    Ok(())
}

fn note(w: &mut impl Write, width: usize, label: &str, text: &str) -> io::Result<()> {
    if text.is_empty() {
        return Ok(());
    }
    let first = format!("      {:<10} ", label);
    let wrapped = wrap(text, width, &first, 17);
    // Colour the label only, after wrapping, so widths stay right.
    let coloured = wrapped.replacen(label, &label.cyan().to_string(), 1);
    writeln!(w, "{coloured}")
}

pub fn footer(t: &Transcript, view: View, w: &mut impl Write) -> io::Result<()> {
    let width = view.width;
    writeln!(w)?;
    let frames = t.events.iter().filter(|e| e.is_frame()).count();
    let calls = t.events.len() - frames;
    if !t.comparison.is_empty() {
        writeln!(w, "{}", "Measured on the wire:".bold())?;
        let table = |a: &str, b: &str, c: &str, d: &str, e: &str, f: &str| {
            format!("  {a:<10} {b:>7} {c:>13} {d:>14} {e:>12} {f:>11}")
        };
        let head = table(
            "transport",
            "frames",
            "header bytes",
            "payload bytes",
            "total bytes",
            "time",
        );
        // The table when it fits; one wrapped line per transport when not.
        let fits = visible_len(&head) <= width;
        if fits {
            writeln!(w, "{head}")?;
        }
        for c in &t.comparison {
            let time = crate::annotate::fmt_ns(c.duration_ns);
            if fits {
                writeln!(
                    w,
                    "{}",
                    table(
                        &c.transport.to_uppercase(),
                        &c.frames.to_string(),
                        &c.header_bytes.to_string(),
                        &c.payload_bytes.to_string(),
                        &c.total_bytes.to_string(),
                        &time
                    )
                )?;
            } else {
                let line = format!(
                    "{}: {} frames, {} header bytes, {} payload bytes, {} total bytes, {time}",
                    c.transport.to_uppercase(),
                    c.frames,
                    c.header_bytes,
                    c.payload_bytes,
                    c.total_bytes
                );
                writeln!(w, "{}", wrap(&line, width, "  ", 4))?;
            }
        }
        writeln!(w)?;
    }
    // The outro tells what happened; only a run that happened may say it.
    if let Some(outro) = t.lesson.outro.as_ref().filter(|_| t.outcome.passed) {
        writeln!(w, "{}", wrap_blank(outro, width, "", 0))?;
        writeln!(w)?;
    }
    let status = if t.outcome.passed {
        "lesson passed".green().bold().to_string()
    } else if t.complete {
        "lesson failed".red().bold().to_string()
    } else {
        "lesson stopped early".yellow().bold().to_string()
    };
    let line = format!(
        "{status}: {}, {} captured, {} dropped by the kernel.",
        crate::text::plural(calls, "socket call"),
        crate::text::plural(frames, "frame"),
        t.dropped
    );
    writeln!(w, "{}", wrap(&line, width, "", 0))?;
    if let Some(n) = t.network.left_out {
        let line = format!(
            "{} on the shared `{}` belonged to other programs and {} left out.",
            crate::text::plural(n as usize, "other frame"),
            t.network.interface,
            if n == 1 { "was" } else { "were" }
        );
        writeln!(w, "{}", wrap(&line, width, "", 0))?;
    }
    if let Some(f) = &t.outcome.failure {
        writeln!(w, "{}", wrap(f, width, "  ", 2).red())?;
    }
    Ok(())
}

/// The whole transcript at `view`, as a live run prints it.
pub fn render(t: &Transcript, view: View, w: &mut impl Write) -> io::Result<()> {
    Printer::new(view).render(t, w)
}

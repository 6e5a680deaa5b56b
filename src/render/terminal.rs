//! The terminal transcript: a block per step with its frames under it,
//! wrapped to the terminal's width. Colour comes from `colored`, switched
//! on or off once in `main`. How much of each event's notes is printed
//! depends on the level of detail (`detail.rs`); `full` prints every note.

use std::fmt::Write as _;
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
        return if s.is_ascii() {
            s.len()
        } else {
            s.chars().count()
        };
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
    let mut out = String::with_capacity(text.len() + text.len() / 8 + first.len() + 16);
    wrap_into(&mut out, text, width, first, indent);
    out
}

/// As `wrap`, appended to `out`: the printer reuses one buffer for every
/// note of every frame.
pub fn wrap_into(out: &mut String, text: &str, width: usize, first: &str, indent: usize) {
    out.push_str(first);
    wrap_after(out, text, width, visible_len(first), indent, false);
}

/// As `wrap`, with a blank line between paragraphs (prose the lesson wrote,
/// like an intro, keeps its paragraphs apart).
pub fn wrap_blank(text: &str, width: usize, first: &str, indent: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8 + first.len() + 16);
    out.push_str(first);
    wrap_after(&mut out, text, width, visible_len(first), indent, true);
    out
}

/// The wrapping itself, into `out`, which already holds the first line's
/// start (`used` columns of it). Paragraphs: lines joined, split at blank
/// lines and at the lines our own notes start with a layer's name (see
/// `starts_like_a_layer`); found line by line, so nothing is copied but
/// the words into `out`.
fn wrap_after(out: &mut String, text: &str, width: usize, used: usize, indent: usize, blank: bool) {
    let indent = indent.min(width / 2);
    let mut line_len = used;
    let mut at_start = true;
    // The line so far is done, and the next starts with the indent.
    let break_line = |out: &mut String| {
        out.push('\n');
        push_spaces(out, indent);
    };
    // Whether a paragraph was begun, and whether one is open (has a line).
    let mut begun = false;
    let mut open = false;
    for text_line in text.lines() {
        if text_line.trim().is_empty() {
            open = false;
            continue;
        }
        // A line that starts with a protocol name (our syntax notes) stays a line.
        if open && starts_like_a_layer(text_line) {
            open = false;
        }
        if !open {
            if begun {
                out.push('\n');
                if blank {
                    out.push('\n');
                }
                push_spaces(out, indent);
                line_len = indent;
                at_start = true;
            }
            begun = true;
            open = true;
        }
        for (mut word, mut wl) in words(text_line) {
            if !at_start && line_len + 1 + wl > width {
                break_line(out);
                line_len = indent;
                at_start = true;
            }
            // A word wider than a whole line: cut it at the edge. One with a
            // column for each byte (ASCII, no escapes: a payload's bytes)
            // is cut by counting bytes.
            let ascii = wl == word.len();
            while at_start
                && line_len + wl > width
                && width > line_len
                && (ascii || !word.contains('\x1b'))
            {
                let room = width - line_len;
                let cut = if ascii {
                    room
                } else {
                    word.char_indices().nth(room).map_or(word.len(), |(i, _)| i)
                };
                out.push_str(&word[..cut]);
                break_line(out);
                line_len = indent;
                word = &word[cut..];
                wl = if ascii { wl - cut } else { visible_len(word) };
            }
            if !at_start {
                out.push(' ');
                line_len += 1;
            }
            out.push_str(word);
            line_len += wl;
            at_start = false;
        }
    }
}

/// `n` spaces onto `out`.
fn push_spaces(out: &mut String, mut n: usize) {
    const SPACES: &str = "                                ";
    while n > 0 {
        let k = n.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        n -= k;
    }
}

/// The words of `line`, as `split_whitespace` finds them, each with its
/// `visible_len`, in one pass over the bytes: an ASCII byte is tested as
/// it is (every frame's notes are mostly ASCII), anything else decoded.
fn words(line: &str) -> impl Iterator<Item = (&str, usize)> {
    // `char::is_whitespace` for ASCII: space and \t \n \x0b \x0c \r.
    let ascii_space = |b: u8| b == b' ' || (b'\t'..=b'\r').contains(&b);
    let bytes = line.as_bytes();
    let mut i = 0;
    // The character at `i` (not ASCII): whether it is a space, and its length.
    let wide = move |i: usize| {
        let c = line[i..].chars().next().unwrap_or(' ');
        (c.is_whitespace(), c.len_utf8())
    };
    std::iter::from_fn(move || {
        while let Some(&b) = bytes.get(i) {
            match b {
                _ if b.is_ascii() && ascii_space(b) => i += 1,
                _ if b.is_ascii() => break,
                _ => match wide(i) {
                    (true, len) => i += len,
                    (false, _) => break,
                },
            }
        }
        let start = i;
        let mut columns = 0;
        let mut escape = false;
        loop {
            // A run of printable ASCII, one column a byte: nearly every word.
            let run = bytes[i..]
                .iter()
                .take_while(|&&b| b > b' ' && b < 0x80)
                .count();
            i += run;
            columns += run;
            let Some(&b) = bytes.get(i) else { break };
            if b.is_ascii() {
                if ascii_space(b) {
                    break;
                }
                escape |= b == 0x1b;
                i += 1;
            } else {
                match wide(i) {
                    (true, _) => break,
                    (false, len) => i += len,
                }
            }
            columns += 1;
        }
        let word = &line[start..i];
        (i > start).then(|| (word, if escape { visible_len(word) } else { columns }))
    })
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
    /// Buffers every event reuses: the text of a note or line, and the
    /// same wrapped (`explain` prints a hundred thousand frames).
    text: String,
    wrapped: String,
}

impl Printer {
    pub fn new(view: View) -> Printer {
        Printer {
            view,
            seen: Seen::default(),
            call_at: None,
            text: String::new(),
            wrapped: String::new(),
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
            self.seen.remember(e);
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
        self.wrapped.clear();
        self.event_line_into(e);
        self.wrapped.push('\n');
        w.write_all(self.wrapped.as_bytes())?;
        let say = t
            .steps
            .iter()
            .find(|s| s.number == e.step)
            .and_then(|s| s.say.as_deref());
        // A call's narration, under the step's header, says what it means
        // in this lesson; the built-in sentence is for steps without one.
        if self.view.detail == Detail::Normal && (e.is_frame() || say.is_none()) {
            self.text.clear();
            detail::short_semantics_into(&mut self.text, e, say);
            note_buf(w, width, "semantics", &self.text, &mut self.wrapped)?;
            self.text.clear();
            if let Some(ns) = self.since_call(e) {
                let _ = write!(self.text, "{} after the call", crate::annotate::fmt_ns(ns));
                if let Some(f) = e.follows.filter(|f| Some(*f) != self.call_index(t, e)) {
                    let _ = write!(self.text, ", answering #{f}");
                }
                self.text.push('.');
            }
            let had_since = !self.text.is_empty();
            let before_next = self.text.len();
            if had_since {
                self.text.push(' ');
            }
            detail::short_timing_into(&mut self.text, e);
            // No space after the time since the call when nothing follows.
            if self.text.len() == before_next + usize::from(had_since) {
                self.text.truncate(before_next);
            }
            note_buf(w, width, "timing", &self.text, &mut self.wrapped)?;
            self.text.clear();
            self.seen.syntax_into(e, &mut self.text, "\n\n");
            note_buf(w, width, "syntax", &self.text, &mut self.wrapped)?;
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
            note_buf(w, width, label, text, &mut self.wrapped)?;
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
        if e.kind == EventKind::Frame {
            let mut p = Printer::new(self.view);
            p.event_line_into(e);
            return p.wrapped;
        }
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
            EventKind::Frame => unreachable!("frames are written by event_line_into"),
        }
    }

    /// `event_line`, appended to `self.wrapped`; a frame's (every line
    /// `explain` prints) allocates nothing once the buffers have grown.
    fn event_line_into(&mut self, e: &Event) {
        if e.kind == EventKind::Call {
            let line = self.event_line(e);
            self.wrapped.push_str(&line);
            return;
        }
        // The head: `#12   +3.204 ms  `, as `format!("#{:<3} {t:>11}  ")`
        // with `t` = `offset_ms`.
        let head_at = self.wrapped.len();
        let _ = write!(self.wrapped, "#{:<3} ", e.index);
        let t_at = self.wrapped.len();
        super::push_offset_ms(&mut self.wrapped, e.time_ns);
        let t_len = self.wrapped.len() - t_at;
        if t_len < 11 {
            self.wrapped.insert_str(t_at, &"           "[..11 - t_len]);
        }
        self.wrapped.push_str("  ");
        let used = visible_len(&self.wrapped[head_at..]);
        let to = e.to.as_deref().unwrap_or("?");
        self.text.clear();
        push_styled(&mut self.text, &e.actor, |s| s.bold());
        self.text.push_str(" → ");
        push_styled(&mut self.text, to, |s| s.bold());
        self.text.push(' ');
        if colour() {
            let line = detail::frame_line(e);
            push_styled(&mut self.text, &line, |s| s.magenta());
        } else {
            detail::frame_line_into(&mut self.text, e);
        }
        wrap_after(
            &mut self.wrapped,
            &self.text,
            self.view.width,
            used,
            6,
            false,
        );
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
    note_buf(w, width, label, text, &mut String::new())
}

/// `note`, wrapped in `buf`: the printer's own, reused for every note.
fn note_buf(
    w: &mut impl Write,
    width: usize,
    label: &str,
    text: &str,
    buf: &mut String,
) -> io::Result<()> {
    if text.is_empty() {
        return Ok(());
    }
    // `format!("      {:<10} ", label)`, then the text wrapped after it.
    buf.clear();
    buf.push_str("      ");
    buf.push_str(label);
    push_spaces(buf, 10usize.saturating_sub(label.chars().count()));
    buf.push(' ');
    let used = visible_len(buf);
    wrap_after(buf, text, width, used, 17, false);
    buf.push('\n');
    // Colour the label only, after wrapping, so widths stay right.
    if colour() {
        let (indent, rest) = buf.split_at(6);
        let rest = rest.strip_prefix(label).unwrap_or(rest);
        write!(w, "{indent}{}{rest}", label.cyan())
    } else {
        w.write_all(buf.as_bytes())
    }
}

/// Whether colour is on (`colored`'s switch, set once in `main`).
fn colour() -> bool {
    colored::control::SHOULD_COLORIZE.should_colorize()
}

/// `text` in a style, appended to `out`; without colour it is the text
/// itself, and nothing is allocated for it.
fn push_styled(out: &mut String, text: &str, style: impl FnOnce(&str) -> colored::ColoredString) {
    if colour() {
        let _ = write!(out, "{}", style(text));
    } else {
        out.push_str(text);
    }
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
    let status = super::status(t);
    let status = if t.outcome.passed {
        status.green().bold().to_string()
    } else if t.complete {
        status.red().bold().to_string()
    } else {
        status.yellow().bold().to_string()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_split_whitespace_with_their_widths() {
        for line in [
            "",
            "   ",
            "one",
            "  two  words ",
            "tab\tvt\u{b}ff\u{c}cr\rend",
            "nbsp\u{a0}ideographic\u{3000}em\u{2003}nel\u{85}x",
            "→ arrows — dashes … b\"\\x96\\xc0\"… (1448 bytes)",
            "\u{1b}[1mbold\u{1b}[0m plain \u{1b}[36mcyan\u{1b}[0m",
            "\u{1c}\u{1f} not spaces",
        ] {
            let ours: Vec<(&str, usize)> = words(line).collect();
            let std: Vec<(&str, usize)> = line
                .split_whitespace()
                .map(|w| (w, visible_len(w)))
                .collect();
            assert_eq!(ours, std, "{line:?}");
        }
    }

    #[test]
    fn wrapping_keeps_paragraphs_and_cuts_long_words() {
        assert_eq!(wrap("a b c\nd\n\ne f", 5, "> ", 2), "> a b\n  c d\n  e f");
        assert_eq!(wrap_blank("a\n\nb", 10, "", 0), "a\n\nb");
        assert_eq!(wrap("TCP: x\nIPv4, y", 40, "", 0), "TCP: x\nIPv4, y");
        assert_eq!(wrap("abcdefghij", 6, "", 2), "abcdef\n  ghij");
    }
}

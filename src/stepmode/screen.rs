//! What step mode shows, in one of two ways.
//!
//! - **Scrolling** (output or input is not a terminal: a pipe, a file, a
//!   script): everything is printed in order, and a one-line key legend
//!   stays under the last thing shown.
//! - **One screen per pause** (a terminal, for a class): each pause redraws
//!   the alternate screen — a status line (lesson, step n/N, level, time
//!   paused), the current event's line at the top with its notes at the
//!   current level, then what comes next, then the legend. Nothing scrolls
//!   away; `d` opens the details in a scrollable view (`pager`).

use std::io::{self, Write};
use std::time::Duration;

use colored::Colorize;

use super::source::Preview;
use super::{details, term};
use crate::render::Detail;
use crate::render::terminal::{self, Printer, View, visible_len, wrap};
use crate::transcript::{Event, Transcript};

/// How a message is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Dim,
    Bold,
    Good,
    Warn,
}

fn tone(text: &str, tone: Tone) -> String {
    match tone {
        Tone::Plain => text.to_string(),
        Tone::Dim => text.dimmed().to_string(),
        Tone::Bold => text.bold().to_string(),
        Tone::Good => text.green().to_string(),
        Tone::Warn => text.yellow().to_string(),
    }
}

/// The times, said once at the top of a session.
pub const TIMES_NOTE: &str = "Times: each frame shows how long after its step's call it left — the network's own timing — and every event shows its time since the lesson began, which includes the time spent paused between steps; that pause is counted apart, on the status line and under each event.";

pub struct Screen<'w> {
    out: &'w mut dyn Write,
    /// One screen per pause (a terminal), or scrolling.
    paged: bool,
    /// Scrolling on a terminal: the legend is erased before the next output.
    erase: bool,
    legend_up: bool,
    pub printer: Printer,
    /// The event on screen, and the printer as it was before showing it
    /// (so it can be drawn again at another level or width).
    current: Option<(Event, Printer)>,
    /// The last frame shown: what `d` details.
    frame: Option<Event>,
    /// The step about to run, shown under the current event.
    next: Option<Preview>,
    messages: Vec<(String, Tone)>,
    /// Time spent paused so far, and when the current event was shown.
    pub paused: Duration,
    paused_at_event: Duration,
}

impl<'w> Screen<'w> {
    pub fn new(out: &'w mut dyn Write, view: View, paged: bool, erase: bool) -> Screen<'w> {
        if paged {
            let _ = out.flush();
            term::enter_alt_screen();
        }
        Screen {
            out,
            paged,
            erase,
            legend_up: false,
            printer: Printer::new(view),
            current: None,
            frame: None,
            next: None,
            messages: Vec::new(),
            paused: Duration::ZERO,
            paused_at_event: Duration::ZERO,
        }
    }

    pub fn is_paged(&self) -> bool {
        self.paged
    }

    fn width(&self) -> usize {
        self.printer.view.width
    }

    /// The writer for scrolling output, with the legend erased first.
    fn w(&mut self) -> &mut dyn Write {
        if self.legend_up && self.erase {
            let _ = write!(self.out, "\r\x1b[2K");
        }
        self.legend_up = false;
        &mut *self.out
    }

    /// Back to the shell's screen, for what is printed after the session.
    pub fn close(&mut self) {
        if self.legend_up && self.erase {
            let _ = write!(self.out, "\r\x1b[2K");
            self.legend_up = false;
        }
        let _ = self.out.flush();
        if self.paged {
            term::leave_alt_screen();
            self.paged = false;
        }
    }

    /// The lesson's header and the note on times, before the first step.
    pub fn header(&mut self, t: &Transcript) {
        if !self.paged {
            let width = self.width();
            let mut buf = Vec::new();
            let _ = self.printer.header(t, &mut buf);
            let _ = self.w().write_all(&buf);
            let _ = writeln!(self.w(), "\n{}", wrap(TIMES_NOTE, width, "", 0).dimmed());
        }
    }

    /// The step about to run.
    pub fn preview(&mut self, t: &Transcript, p: &Preview) {
        if self.paged {
            self.next = Some(p.clone());
            return;
        }
        let lines = preview_lines(t, p, self.printer.view);
        let _ = writeln!(self.w());
        for l in lines {
            let _ = writeln!(self.w(), "{l}");
        }
    }

    /// An event, as it happens.
    pub fn event(&mut self, t: &Transcript, e: &Event, say: Option<&str>) {
        if self.paged {
            self.current = Some((e.clone(), self.printer.clone()));
            self.printer.note_shown(e);
            self.messages.clear();
            self.next = None;
            self.paused_at_event = self.paused;
            return;
        }
        let e = if self.printer.view.detail == Detail::Full {
            super::without_narration(e, say)
        } else {
            e.clone()
        };
        let mut buf = Vec::new();
        let _ = self.printer.event(t, &e, &mut buf);
        let _ = self.w().write_all(&buf);
    }

    pub fn message(&mut self, text: &str, how: Tone) {
        if self.paged {
            self.messages.push((text.to_string(), how));
            return;
        }
        let width = self.width();
        let _ = writeln!(self.w(), "{}", tone(&wrap(text, width, "", 0), how));
    }

    pub fn set_detail(&mut self, detail: Detail) {
        self.printer.view.detail = detail;
        let message = format!("Detail: {} (+ more, - less).", detail.name());
        if !self.paged {
            self.message(&message, Tone::Dim);
        }
    }

    /// A pause: the legend (scrolling), or the whole screen drawn again.
    /// `status` is the audience's few words (class mode: the answer count).
    pub fn pause(&mut self, t: &Transcript, next: &str, status: Option<&str>) {
        if self.paged {
            self.resize();
            self.draw(t, Some((next, status)), None);
            return;
        }
        if self.legend_up && self.erase {
            let _ = write!(self.out, "\r\x1b[2K");
        }
        let cols = self.width();
        let mut text = legend_text(next, status, cols.saturating_sub(1));
        if self.erase {
            // One line only, or erasing it would leave the wrapped part behind.
            if text.chars().count() >= cols {
                text = text
                    .chars()
                    .take(cols.saturating_sub(2))
                    .chain(['…'])
                    .collect();
            }
        }
        let text = text.dimmed();
        let _ = if self.erase {
            write!(self.out, "{text}")
        } else {
            writeln!(self.out, "{text}")
        };
        let _ = self.out.flush();
        self.legend_up = true;
    }

    /// A question: the prompt and `> `, the cursor left there for the answer.
    pub fn prompt(&mut self, t: &Transcript, question: &str) {
        if self.paged {
            self.resize();
            self.draw(t, None, Some(question));
            return;
        }
        let width = self.width();
        let _ = writeln!(self.w(), "{}", wrap(question, width, "", 0).bold());
        let _ = write!(self.w(), "> ");
        let _ = self.out.flush();
    }

    /// Print a line the student typed (scrolling only: a terminal echoed it).
    pub fn echo(&mut self, text: &str) {
        if !self.paged {
            let _ = writeln!(self.w(), "{text}");
        }
    }

    fn resize(&mut self) {
        use std::os::fd::AsRawFd;
        if let Some(cols) = terminal::tty_width(io::stdout().as_raw_fd()) {
            self.printer.view.width = cols.max(terminal::MIN_WIDTH);
        }
    }

    fn rows(&self) -> usize {
        use std::os::fd::AsRawFd;
        term::height(io::stdout().as_raw_fd()).unwrap_or(24).max(8)
    }

    /// The current event's lines at the current level.
    fn event_block(&self, t: &Transcript, e: &Event, before: &Printer) -> Vec<String> {
        let mut p = before.clone();
        p.view = self.printer.view;
        let say = t
            .steps
            .iter()
            .find(|s| s.number == e.step)
            .and_then(|s| s.say.as_deref());
        let e = if p.view.detail == Detail::Full {
            super::without_narration(e, say)
        } else {
            e.clone()
        };
        let mut buf = Vec::new();
        let _ = p.event(t, &e, &mut buf);
        String::from_utf8_lossy(&buf)
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// One screen: status, the current event (or the lesson's header), what
    /// comes next, the legend (or a question's prompt).
    fn draw(&mut self, t: &Transcript, next: Option<(&str, Option<&str>)>, question: Option<&str>) {
        let width = self.width();
        let rows = self.rows();
        let mut top: Vec<String> = Vec::new();
        let step = self
            .current
            .as_ref()
            .map(|(e, _)| e.step)
            .or(self.next.as_ref().map(|p| p.number))
            .unwrap_or(0);
        let (name, n, detail, paused) = (
            &t.lesson.name,
            t.steps.len(),
            self.printer.view.detail.name(),
            self.paused.as_secs_f64(),
        );
        // Narrower screens drop words, not the numbers.
        let status = [
            format!(
                " netcourse {name} · step {step}/{n} · detail {detail} · paused {paused:.1} s "
            ),
            format!(" {name} · step {step}/{n} · {detail} · paused {paused:.1} s "),
            format!(" {name} · {step}/{n} · {detail} · {paused:.1} s paused "),
        ]
        .into_iter()
        .find(|s| s.chars().count() <= width)
        .unwrap_or_else(|| format!(" {name} · {step}/{n} · {paused:.1} s "));
        top.push(clip(&status, width).reversed().to_string());
        match &self.current {
            Some((e, before)) => {
                let mut times = format!(
                    "#{}: {} since the lesson began",
                    e.index,
                    crate::annotate::fmt_ns(e.time_ns)
                );
                if let Some(ns) = before.since_call(e) {
                    times = format!(
                        "#{}: {} after its step's call · {} since the lesson began",
                        e.index,
                        crate::annotate::fmt_ns(ns),
                        crate::annotate::fmt_ns(e.time_ns)
                    );
                }
                if !self.paused_at_event.is_zero() {
                    times.push_str(&format!(
                        ", {:.1} s of it paused",
                        self.paused_at_event.as_secs_f64()
                    ));
                }
                let block = self.event_block(t, e, before);
                // The event's own line first (all of it, when it wraps),
                // always on screen; its times under it.
                let head = if self.printer.view.detail == Detail::Full {
                    1
                } else {
                    let mut p = before.clone();
                    p.view = self.printer.view;
                    p.event_line(e).lines().count().max(1)
                };
                top.extend(block.iter().take(head).cloned());
                top.extend(dim_lines(&wrap(&times, width, "      ", 6)));
                top.extend(block.into_iter().skip(head));
            }
            None => {
                let mut buf = Vec::new();
                let _ = self.printer.header(t, &mut buf);
                top.extend(String::from_utf8_lossy(&buf).lines().map(str::to_string));
                top.push(String::new());
                top.extend(dim_lines(&wrap(TIMES_NOTE, width, "", 0)));
            }
        }
        let mut bottom: Vec<String> = Vec::new();
        for (text, how) in &self.messages {
            bottom.extend(
                tone(&wrap(text, width, "", 0), *how)
                    .lines()
                    .map(str::to_string),
            );
        }
        if let Some(p) = &self.next {
            bottom.extend(preview_lines(t, p, self.printer.view));
        }
        if let Some(q) = question {
            bottom.extend(
                wrap(q, width, "", 0)
                    .bold()
                    .to_string()
                    .lines()
                    .map(str::to_string),
            );
        }
        // Rows: everything but the legend (or the prompt's line).
        let room = rows.saturating_sub(1);
        // Keep the event's first lines and what comes next; cut the notes
        // between them when they do not fit.
        let bottom_max = room.saturating_sub(4.min(top.len()));
        if bottom.len() > bottom_max {
            bottom.drain(..bottom.len() - bottom_max);
        }
        let top_room = room.saturating_sub(bottom.len() + 1);
        if top.len() > top_room {
            top.truncate(top_room.saturating_sub(1).max(1));
            top.push(
                clip("      … more: d shows it all; - shows less", width)
                    .dimmed()
                    .to_string(),
            );
        }
        let mut screen = String::from("\x1b[H\x1b[2J");
        for line in top {
            screen.push_str(&clip(&line, width));
            screen.push_str("\r\n");
        }
        screen.push_str("\r\n");
        for line in bottom {
            screen.push_str(&clip(&line, width));
            screen.push_str("\r\n");
        }
        match (question, next) {
            (Some(_), _) => screen.push_str("\x1b[?25h> "),
            (None, Some((next, status))) => {
                screen.push_str(&format!("\x1b[{rows};1H\x1b[?25l"));
                screen.push_str(
                    &clip(
                        &legend_text(next, status, width.saturating_sub(1)),
                        width.saturating_sub(1),
                    )
                    .dimmed()
                    .to_string(),
                );
            }
            (None, None) => {}
        }
        let _ = self.out.write_all(screen.as_bytes());
        let _ = self.out.flush();
    }

    /// `d`: the current frame's details (every note, every field, the
    /// bytes, the header diagrams), scrollable on a terminal.
    pub fn details(
        &mut self,
        t: &Transcript,
        input: &mut dyn super::InputSource,
    ) -> io::Result<Option<i32>> {
        let Some(e) = self.frame.clone() else {
            self.message(
                "No frame shown yet: `d` details the last frame shown.",
                Tone::Dim,
            );
            return Ok(None);
        };
        let width = self.width();
        if !self.paged {
            if e.is_frame() {
                let _ = details::render(&e, width, self.w());
            } else {
                let _ = terminal::event(&e, width, &mut self.w());
            }
            return Ok(None);
        }
        let mut buf = Vec::new();
        let _ = terminal::event(&e, width, &mut buf);
        if e.is_frame() {
            let _ = details::render(&e, width, &mut buf);
        }
        let lines: Vec<String> = String::from_utf8_lossy(&buf)
            .lines()
            .map(str::to_string)
            .collect();
        let title = format!("details of #{} ({})", e.index, t.lesson.name);
        let rows = self.rows();
        let got = super::pager::show(&mut *self.out, &title, &lines, width, rows, input)?;
        Ok(got)
    }

    /// `?`: the keys.
    pub fn help(
        &mut self,
        keys: bool,
        input: &mut dyn super::InputSource,
    ) -> io::Result<Option<i32>> {
        let width = self.width();
        let mut buf = Vec::new();
        let _ = super::help(keys, width, &mut buf);
        if !self.paged {
            let _ = self.w().write_all(&buf);
            return Ok(None);
        }
        let lines: Vec<String> = String::from_utf8_lossy(&buf)
            .lines()
            .map(str::to_string)
            .collect();
        let rows = self.rows();
        super::pager::show(&mut *self.out, "help", &lines, width, rows, input)
    }

    /// Remember the last frame shown: `d` details it.
    pub fn set_current(&mut self, e: &Event) {
        if e.is_frame() {
            self.frame = Some(e.clone());
        }
    }
}

impl Drop for Screen<'_> {
    fn drop(&mut self) {
        self.close();
    }
}

/// The keys, in one line of at most `width` columns when it can be: on a
/// narrow screen shorter forms keep every key, `[q]uit` included, in sight.
/// The audience's `status` (class mode: how many answered) is kept longer
/// than the words of what comes next: the teacher waits on that count.
fn legend_text(next: &str, status: Option<&str>, width: usize) -> String {
    let label = match status {
        Some(status) => format!("{next} ({status})"),
        None => next.to_string(),
    };
    let keys = [
        "[n]ext · [d]etails · [+/-] · [c]ontinue · [q]uit · [?]help",
        "[n]ext [d] [+/-] [c] [q]uit [?]help",
        "[n] [d] [+/-] [c] [q]uit [?]",
    ];
    let with_next = [
        format!("[n]ext: {label} · [d]etails · [+/-] detail · [c]ontinue · [q]uit · [?]help"),
        format!("[n]ext: {label} · [d]etails · [+/-] · [c]ontinue · [q]uit · [?]"),
        format!("[n]ext: {label} · [d] [+/-] [c] [q]uit [?]help"),
        format!("[n]ext: {label} · [d] [+/-] [c] [q]uit [?]"),
    ];
    let with_status = status
        .into_iter()
        .flat_map(|status| keys.map(|k| format!("{status} · {k}")));
    with_next
        .into_iter()
        .chain(with_status)
        .chain(keys.map(str::to_string))
        .find(|l| l.chars().count() <= width)
        .unwrap_or_else(|| keys[2].to_string())
}

/// Wrapped text as lines, each dimmed on its own (a line is drawn, and
/// cut, one at a time).
fn dim_lines(text: &str) -> Vec<String> {
    text.lines().map(|l| l.dimmed().to_string()).collect()
}

/// `line` cut to `width` columns (colour codes kept whole), `…` at a cut.
pub fn clip(line: &str, width: usize) -> String {
    if visible_len(line) <= width {
        return line.to_string();
    }
    let mut out = String::new();
    let mut n = 0;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            out.push(c);
            for c in chars.by_ref() {
                out.push(c);
                if ('@'..='~').contains(&c) && c != '[' {
                    break;
                }
            }
            continue;
        }
        if n + 1 >= width {
            out.push('…');
            break;
        }
        out.push(c);
        n += 1;
    }
    out.push_str("\x1b[0m");
    out
}

/// The step about to run: its header, the call, the narration.
pub fn preview_lines(t: &Transcript, p: &Preview, view: View) -> Vec<String> {
    let width = view.width;
    let mut buf = Vec::new();
    if t.steps.iter().any(|s| s.number == p.number) {
        let _ = terminal::step_header(t, p.number, view, &mut buf);
    } else {
        // A transcript without step info still gets a header.
        let title = format!(
            "━━ Step {} · {} · {} ",
            crate::stepmode::numbered(p.number, p.total),
            p.actor,
            p.call_name
        );
        let _ = writeln!(
            buf,
            "{}",
            terminal::rule_line(&title, '━', width).blue().bold()
        );
    }
    let mut lines: Vec<String> = String::from_utf8_lossy(&buf)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    lines.extend(
        wrap(
            &format!("{} is about to call {}", p.actor, p.call.yellow()),
            width,
            "      ",
            6,
        )
        .lines()
        .map(str::to_string),
    );
    if let Some(say) = &p.say {
        lines.extend(wrap(say, width, "      ", 6).lines().map(str::to_string));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legend_fits_from_40_columns_and_keeps_quit() {
        for next in ["run step 12/24", "frame 2/3 of this step", "the end"] {
            for status in [None, Some("12 answered, 30 following")] {
                for width in 39..=120 {
                    let l = legend_text(next, status, width);
                    assert!(l.chars().count() <= width, "{width}: {l}");
                    assert!(l.contains("[q]uit"), "{width}: {l}");
                }
            }
            assert!(
                legend_text(next, None, 99).starts_with(&format!("[n]ext: {next} · [d]etails"))
            );
        }
    }

    #[test]
    fn the_class_count_stays_in_the_legend_down_to_60_columns() {
        let next = "close the answers and run step 3/13";
        let status = Some("12 answered, 30 following");
        // 100 columns (99 for the legend): the whole label, count included.
        assert!(legend_text(next, status, 99).contains(&format!("{next} (12 answered")));
        for width in 59..=120 {
            let l = legend_text(next, status, width);
            assert!(l.contains("12 answered, 30 following"), "{width}: {l}");
        }
    }
}

//! A scrollable view on the alternate screen, for what is longer than one
//! screen (a frame's details, the help): j/k or ↑ a line, PgUp/PgDn (or
//! Space, Enter, n) a page, `<` / `>` sideways when a line (a header
//! diagram) is wider than the screen, `q`, `d` or Esc back.

use std::io::{self, Write};

use colored::Colorize;

use super::input::{Input, InputSource};
use super::screen::clip;
use crate::render::terminal::visible_len;

/// How far `<` and `>` move the view.
const SIDEWAYS: usize = 16;

/// Show `lines` until the student goes back. `Some(signal)` when a signal
/// asked to stop meanwhile.
pub fn show(
    out: &mut dyn Write,
    title: &str,
    lines: &[String],
    width: usize,
    rows: usize,
    input: &mut dyn InputSource,
) -> io::Result<Option<i32>> {
    let page = rows.saturating_sub(2).max(1);
    let last_top = lines.len().saturating_sub(page);
    let widest = lines.iter().map(|l| visible_len(l)).max().unwrap_or(0);
    let last_left = widest.saturating_sub(width);
    let mut top = 0usize;
    let mut left = 0usize;
    loop {
        let end = (top + page).min(lines.len());
        let mut status = format!(
            " {title} · lines {}–{end} of {} ",
            (top + 1).min(end),
            lines.len()
        );
        if left > 0 {
            // Moved sideways: said even when the lines must give way.
            let from = format!("from column {} ", left + 1);
            if visible_len(&status) + 2 + from.len() > width {
                status = format!(" {title} · ");
            } else {
                status.push_str("· ");
            }
            status.push_str(&from);
        }
        let mut screen = String::from("\x1b[H\x1b[2J");
        screen.push_str(&clip(&status, width).reversed().to_string());
        screen.push_str("\r\n");
        for line in &lines[top..end] {
            screen.push_str(&clip(&skip_columns(line, left), width));
            screen.push_str("\r\n");
        }
        screen.push_str(&format!("\x1b[{rows};1H"));
        let keys = if last_left > 0 {
            "j/k ↑ line · PgUp/PgDn Space page · < > sideways · q back"
        } else {
            "j/k ↑ line · PgUp/PgDn Space page · q back"
        };
        screen.push_str(&clip(keys, width.saturating_sub(1)).dimmed().to_string());
        out.write_all(screen.as_bytes())?;
        out.flush()?;
        match input.next()? {
            Input::Down => top = (top + 1).min(last_top),
            Input::Up => top = top.saturating_sub(1),
            Input::Next | Input::PageDown => top = (top + page).min(last_top),
            Input::PageUp => top = top.saturating_sub(page),
            Input::Signal(s) => return Ok(Some(s)),
            Input::Quit | Input::Details | Input::Eof | Input::Continue => return Ok(None),
            Input::Unknown(k) if k == "Esc" => return Ok(None),
            Input::Unknown(k) if k == ">" => left = (left + SIDEWAYS).min(last_left),
            Input::Unknown(k) if k == "<" => left = left.saturating_sub(SIDEWAYS),
            _ => {}
        }
    }
}

/// `line` without its first `n` columns; colour codes are kept (they take
/// no column), so what follows keeps its colour.
fn skip_columns(line: &str, n: usize) -> String {
    if n == 0 {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len());
    let mut skipped = 0;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            out.push(c);
            for c in chars.by_ref() {
                out.push(c);
                if ('@'..='~').contains(&c) && c != '[' {
                    break;
                }
            }
        } else if skipped < n {
            skipped += 1;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipping_columns_keeps_colour_codes() {
        assert_eq!(skip_columns("abcdef", 2), "cdef");
        assert_eq!(
            skip_columns("\x1b[31mabc\x1b[0mdef", 4),
            "\x1b[31m\x1b[0mef"
        );
        assert_eq!(skip_columns("ab", 5), "");
    }
}

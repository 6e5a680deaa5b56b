//! A scrollable view on the alternate screen, for what is longer than one
//! screen (a frame's details, the help): j/k or ↑ a line, PgUp/PgDn (or
//! Space, Enter, n) a page, `q`, `d` or Esc back.

use std::io::{self, Write};

use colored::Colorize;

use super::input::{Input, InputSource};
use super::screen::clip;

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
    let mut top = 0usize;
    loop {
        let end = (top + page).min(lines.len());
        let status = format!(
            " {title} · lines {}–{end} of {} ",
            (top + 1).min(end),
            lines.len()
        );
        let mut screen = String::from("\x1b[H\x1b[2J");
        screen.push_str(&clip(&status, width).reversed().to_string());
        screen.push_str("\r\n");
        for line in &lines[top..end] {
            screen.push_str(&clip(line, width));
            screen.push_str("\r\n");
        }
        screen.push_str(&format!("\x1b[{rows};1H"));
        screen.push_str(
            &clip(
                "j/k ↑ line · PgUp/PgDn Space page · q back",
                width.saturating_sub(1),
            )
            .dimmed()
            .to_string(),
        );
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
            _ => {}
        }
    }
}

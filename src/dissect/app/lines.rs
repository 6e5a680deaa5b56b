//! Lines of the text protocols (HTTP, SMTP, FTP): each ends with LF,
//! usually CR LF. Replies of SMTP and FTP: a 3-digit code per line, and
//! `CODE-` on every line of a multi-line reply but the last (`CODE `).

use super::Framing;

/// A complete line: `start..end` is its text without the line end; the
/// next line starts at `next`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub start: usize,
    pub end: usize,
    pub next: usize,
}

impl Line {
    pub fn text<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        buf.get(self.start..self.end).unwrap_or_default()
    }
}

/// The line starting at `at`, if its end is in `buf`.
pub fn line_at(buf: &[u8], at: usize) -> Option<Line> {
    let rest = buf.get(at..)?;
    let lf = rest.iter().position(|&b| b == b'\n')?;
    let mut end = at + lf;
    if lf > 0 && rest[lf - 1] == b'\r' {
        end -= 1;
    }
    Some(Line {
        start: at,
        end,
        next: at + lf + 1,
    })
}

/// The complete lines of `buf` from `at` on.
pub fn lines_from(buf: &[u8], at: usize) -> impl Iterator<Item = Line> + '_ {
    let mut pos = at;
    core::iter::from_fn(move || {
        let l = line_at(buf, pos)?;
        pos = l.next;
        Some(l)
    })
}

/// The 3-digit code a reply line starts with.
pub fn reply_code(line: &[u8]) -> Option<u16> {
    let d = line.get(..3)?;
    if !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let code = d.iter().fold(0u16, |a, &c| a * 10 + u16::from(c - b'0'));
    match line.get(3) {
        None | Some(b' ') | Some(b'-') => Some(code),
        _ => None,
    }
}

/// Whether the reply line is its reply's last: `CODE ` or just `CODE`.
fn is_last(line: &[u8], code: u16) -> bool {
    reply_code(line) == Some(code) && line.get(3) != Some(&b'-')
}

/// Where the reply at the start of `buf` ends: after its first line when
/// that is a one-line reply (or not a reply line at all), else after the
/// line that repeats the code with a space.
pub fn reply_len(buf: &[u8]) -> Framing {
    let Some(first) = line_at(buf, 0) else {
        return Framing::NeedMore;
    };
    let text = first.text(buf);
    let Some(code) = reply_code(text).filter(|_| text.get(3) == Some(&b'-')) else {
        return Framing::Complete(first.next);
    };
    match lines_from(buf, first.next).find(|l| is_last(l.text(buf), code)) {
        Some(last) => Framing::Complete(last.next),
        None => Framing::NeedMore,
    }
}

/// Where the one-line command at the start of `buf` ends.
pub fn command_len(buf: &[u8]) -> Framing {
    match line_at(buf, 0) {
        Some(l) => Framing::Complete(l.next),
        None => Framing::NeedMore,
    }
}

/// A command line split into its verb and argument (`MAIL`, `FROM:<a@b>`):
/// the ranges inside the line's text.
pub fn split_command(text: &[u8]) -> (core::ops::Range<usize>, Option<core::ops::Range<usize>>) {
    match text.iter().position(|&b| b == b' ') {
        Some(sp) => (0..sp, Some(sp + 1..text.len()).filter(|r| !r.is_empty())),
        None => (0..text.len(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_with_lf_or_crlf() {
        let buf = b"ab\r\ncd\nef";
        let ls: Vec<_> = lines_from(buf, 0).collect();
        assert_eq!(ls.len(), 2);
        assert_eq!(ls[0].text(buf), b"ab");
        assert_eq!(ls[1].text(buf), b"cd");
        assert_eq!(ls[1].next, 7);
        assert_eq!(line_at(b"\n", 0).map(|l| (l.start, l.end)), Some((0, 0)));
    }

    #[test]
    fn replies_end_on_the_line_repeating_the_code() {
        assert_eq!(reply_len(b"220 hi\r\n"), Framing::Complete(8));
        assert_eq!(reply_len(b"250-a\r\n250-b\r\n"), Framing::NeedMore);
        assert_eq!(reply_len(b"250-a\r\n250 b\r\nxx"), Framing::Complete(14));
        // FTP: middle lines need no code.
        assert_eq!(
            reply_len(b"211-a\r\n text\r\n211 end\r\n"),
            Framing::Complete(23)
        );
        assert_eq!(reply_len(b"nonsense\r\n"), Framing::Complete(10));
        assert_eq!(reply_len(b"220 no end"), Framing::NeedMore);
        assert_eq!(reply_code(b"2x0 "), None);
        assert_eq!(reply_code(b"250"), Some(250));
    }

    #[test]
    fn commands_split() {
        assert_eq!(split_command(b"MAIL FROM:<a>"), (0..4, Some(5..13)));
        assert_eq!(split_command(b"QUIT"), (0..4, None));
        assert_eq!(split_command(b"NOOP "), (0..4, None));
        assert_eq!(command_len(b"QUIT\r\nNOOP"), Framing::Complete(6));
    }
}

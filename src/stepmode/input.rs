//! Where step mode's commands come from: single keys in a terminal, or one
//! command per line from a pipe or a file. Both yield the same `Input`.

use std::io;
use std::os::fd::RawFd;

use super::term::{self, Woke};

/// Ctrl-Z: cbreak mode turns keys' signals off, so the key arrives as a byte.
const CTRL_Z: u8 = 0x1a;

/// One command from the student.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Enter, Space, `n` (or an empty line): run the next step / show the next frame.
    Next,
    /// `d`: every field, the bytes and the header diagrams of the current frame.
    Details,
    /// `c`: run to the end without pausing.
    Continue,
    /// `q`, Ctrl-C, Ctrl-D: stop here; what happened so far is kept.
    Quit,
    /// `?`: what the keys do.
    Help,
    /// `+`: more detail; `-`: less.
    More,
    Less,
    /// In the details view: a line up or down (k/↑, j), a page (PgUp/PgDn).
    Up,
    Down,
    PageUp,
    PageDown,
    /// Resumed after a stop, or the terminal was resized: draw again.
    Redraw,
    /// No more input (a pipe or a file ended): continue to the end.
    Eof,
    /// SIGINT, SIGTERM or SIGHUP from outside: stop like `q`.
    Signal(i32),
    /// A key or word we do not know.
    Unknown(String),
}

pub trait InputSource {
    /// Block until the next command.
    fn next(&mut self) -> io::Result<Input>;
    /// A command already typed, without waiting (used while continuing, so
    /// `q` or Ctrl-C still stops a long run).
    fn poll_now(&mut self) -> Option<Input> {
        None
    }
    /// Whether commands are single keys (a terminal) or lines.
    fn is_keys(&self) -> bool;
    /// A line of text (a checkpoint's answer), even when commands are single
    /// keys. `Err` carries what came instead: a quit (Ctrl-C, Ctrl-D), a
    /// signal, or the end of input.
    fn read_answer(&mut self) -> io::Result<Result<String, Input>> {
        Ok(Err(Input::Eof))
    }
}

/// The command a key stands for. `bytes` starts at a key; returns the command
/// and how many bytes the key took (escape sequences are one key).
pub fn parse_key(bytes: &[u8]) -> (Input, usize) {
    let Some(&b) = bytes.first() else {
        return (Input::Eof, 0);
    };
    if b == 0x1b {
        // ESC [ params final: arrow keys and friends. → and ↓ mean next.
        if bytes.get(1) == Some(&b'[') {
            let end = bytes[2..]
                .iter()
                .position(|c| (0x40..=0x7e).contains(c))
                .map(|i| i + 3)
                .unwrap_or(bytes.len());
            let input = match (&bytes[2..end.min(bytes.len())], end) {
                (b"B" | b"C", 3) => Input::Next,
                (b"A", 3) => Input::Up,
                (b"5~", 4) => Input::PageUp,
                (b"6~", 4) => Input::PageDown,
                _ => Input::Unknown("escape sequence".into()),
            };
            return (input, end);
        }
        return (Input::Unknown("Esc".into()), 1);
    }
    let input = match b {
        b'\r' | b'\n' | b' ' | b'n' | b'N' => Input::Next,
        b'd' | b'D' => Input::Details,
        b'c' | b'C' => Input::Continue,
        b'q' | b'Q' | 0x03 | 0x04 | 0x1c => Input::Quit,
        b'?' | b'h' | b'H' => Input::Help,
        b'+' | b'=' => Input::More,
        b'-' | b'_' => Input::Less,
        b'j' => Input::Down,
        b'k' => Input::Up,
        0x20..=0x7e => Input::Unknown((b as char).to_string()),
        _ => Input::Unknown(format!("0x{b:02x}")),
    };
    (input, 1)
}

/// The command a line stands for: the key's letter or the whole word.
pub fn parse_line(line: &str) -> Input {
    match line.trim().to_ascii_lowercase().as_str() {
        "" | "n" | "next" => Input::Next,
        "d" | "details" => Input::Details,
        "c" | "continue" => Input::Continue,
        "q" | "quit" | "exit" => Input::Quit,
        "?" | "h" | "help" => Input::Help,
        "+" | "more" => Input::More,
        "-" | "less" => Input::Less,
        other => Input::Unknown(other.to_string()),
    }
}

/// Single keys from a terminal in cbreak mode (see `term::RawMode`).
pub struct Keys {
    fd: RawFd,
    wake_fd: RawFd,
    pending: Vec<u8>,
}

impl Keys {
    pub fn new(fd: RawFd, wake_fd: RawFd) -> Keys {
        Keys {
            fd,
            wake_fd,
            pending: Vec::new(),
        }
    }

    fn fill(&mut self) -> io::Result<bool> {
        let mut buf = [0u8; 64];
        match term::read_some(self.fd, &mut buf) {
            // A terminal that hangs up (or fails) cannot be asked anything more.
            Ok(0) | Err(_) => Ok(false),
            Ok(n) => {
                self.pending.extend_from_slice(&buf[..n]);
                Ok(true)
            }
        }
    }

    fn take_key(&mut self) -> Option<Input> {
        if self.pending.is_empty() {
            return None;
        }
        if self.pending[0] == CTRL_Z {
            // Stops here until `fg`; then the screen is drawn again.
            self.pending.remove(0);
            term::suspend();
            return Some(Input::Redraw);
        }
        let (input, used) = parse_key(&self.pending);
        self.pending.drain(..used.max(1));
        Some(input)
    }
}

impl InputSource for Keys {
    fn next(&mut self) -> io::Result<Input> {
        loop {
            if let Some(k) = self.take_key() {
                return Ok(k);
            }
            match term::wait_readable(self.fd, self.wake_fd)? {
                Woke::Signal(s) => return Ok(Input::Signal(s)),
                Woke::Redraw => return Ok(Input::Redraw),
                Woke::Readable => {
                    if !self.fill()? {
                        return Ok(Input::Quit);
                    }
                }
            }
        }
    }

    fn poll_now(&mut self) -> Option<Input> {
        if let Some(s) = term::pending_signal() {
            return Some(Input::Signal(s));
        }
        term::suspend_if_asked();
        while term::readable_now(self.fd) {
            if !self.fill().unwrap_or(false) {
                break;
            }
        }
        // Only a stop counts while continuing; other keys are dropped.
        while let Some(k) = self.take_key() {
            if k == Input::Quit {
                return Some(k);
            }
        }
        None
    }

    fn is_keys(&self) -> bool {
        true
    }

    /// Read a line in cbreak mode: echo what is typed, Backspace erases,
    /// Enter ends it; keys typed ahead count.
    fn read_answer(&mut self) -> io::Result<Result<String, Input>> {
        use std::io::Write;
        let mut line: Vec<u8> = Vec::new();
        let mut out = io::stdout();
        loop {
            while !self.pending.is_empty() {
                let b = self.pending.remove(0);
                match b {
                    b'\r' | b'\n' => {
                        let _ = writeln!(out);
                        return Ok(Ok(String::from_utf8_lossy(&line).into_owned()));
                    }
                    0x03 | 0x04 | 0x1c => {
                        let _ = writeln!(out);
                        return Ok(Err(Input::Quit));
                    }
                    CTRL_Z => {
                        // After `fg` the question is asked again.
                        term::suspend();
                        return Ok(Err(Input::Redraw));
                    }
                    0x7f | 0x08 => {
                        // Erase one character (all of its UTF-8 bytes).
                        while let Some(c) = line.pop() {
                            if c & 0xc0 != 0x80 {
                                break;
                            }
                        }
                        let _ = write!(out, "\x08 \x08");
                    }
                    0x1b => {
                        // An escape sequence (arrow keys…) is ignored whole.
                        self.pending.insert(0, b);
                        let (_, used) = parse_key(&self.pending);
                        self.pending.drain(..used.max(1));
                    }
                    b if b >= 0x20 => {
                        line.push(b);
                        let _ = out.write_all(&[b]);
                    }
                    _ => {}
                }
                let _ = out.flush();
            }
            match term::wait_readable(self.fd, self.wake_fd)? {
                Woke::Signal(s) => return Ok(Err(Input::Signal(s))),
                Woke::Redraw => {}
                Woke::Readable => {
                    if !self.fill()? {
                        return Ok(Err(Input::Quit));
                    }
                }
            }
        }
    }
}

/// One command per line from a pipe or a file.
pub struct Lines {
    fd: RawFd,
    wake_fd: RawFd,
    buf: Vec<u8>,
    eof: bool,
}

impl Lines {
    pub fn new(fd: RawFd, wake_fd: RawFd) -> Lines {
        Lines {
            fd,
            wake_fd,
            buf: Vec::new(),
            eof: false,
        }
    }
}

impl Lines {
    /// Longest command or answer line; a longer one is cut there, so input
    /// without newlines (binary garbage, /dev/zero) keeps memory bounded.
    const MAX_LINE: usize = 4096;

    fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() > Self::MAX_LINE && !self.buf.contains(&b'\n') {
            self.buf.truncate(Self::MAX_LINE);
            self.buf.push(b'\n');
        }
    }
}

impl InputSource for Lines {
    fn next(&mut self) -> io::Result<Input> {
        loop {
            if let Some(nl) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=nl).collect();
                return Ok(parse_line(&String::from_utf8_lossy(&line)));
            }
            if self.eof {
                if self.buf.is_empty() {
                    return Ok(Input::Eof);
                }
                // A last line without its newline still counts.
                let line = std::mem::take(&mut self.buf);
                return Ok(parse_line(&String::from_utf8_lossy(&line)));
            }
            match term::wait_readable(self.fd, self.wake_fd)? {
                Woke::Signal(s) => return Ok(Input::Signal(s)),
                Woke::Redraw => {}
                Woke::Readable => {
                    let mut chunk = [0u8; 4096];
                    match term::read_some(self.fd, &mut chunk) {
                        Ok(0) | Err(_) => self.eof = true,
                        Ok(n) => self.push(&chunk[..n]),
                    }
                }
            }
        }
    }

    fn poll_now(&mut self) -> Option<Input> {
        term::pending_signal().map(Input::Signal)
    }

    fn is_keys(&self) -> bool {
        false
    }

    fn read_answer(&mut self) -> io::Result<Result<String, Input>> {
        loop {
            if let Some(nl) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=nl).collect();
                return Ok(Ok(String::from_utf8_lossy(&line)
                    .trim_end_matches(['\r', '\n'])
                    .to_string()));
            }
            if self.eof {
                if self.buf.is_empty() {
                    return Ok(Err(Input::Eof));
                }
                let line = std::mem::take(&mut self.buf);
                return Ok(Ok(String::from_utf8_lossy(&line).into_owned()));
            }
            match term::wait_readable(self.fd, self.wake_fd)? {
                Woke::Signal(s) => return Ok(Err(Input::Signal(s))),
                Woke::Redraw => {}
                Woke::Readable => {
                    let mut chunk = [0u8; 4096];
                    match term::read_some(self.fd, &mut chunk) {
                        Ok(0) | Err(_) => self.eof = true,
                        Ok(n) => self.push(&chunk[..n]),
                    }
                }
            }
        }
    }
}

/// Commands from a list, for tests of the loop.
pub struct Script(pub std::collections::VecDeque<Input>);

impl InputSource for Script {
    fn next(&mut self) -> io::Result<Input> {
        Ok(self.0.pop_front().unwrap_or(Input::Eof))
    }

    fn is_keys(&self) -> bool {
        false
    }

    /// An answer is an `Unknown(text)` (or `Next` for an empty line).
    fn read_answer(&mut self) -> io::Result<Result<String, Input>> {
        Ok(match self.0.pop_front() {
            Some(Input::Unknown(text)) => Ok(text),
            Some(Input::Next) => Ok(String::new()),
            Some(other) => Err(other),
            None => Err(Input::Eof),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        for k in [b"\r".as_slice(), b"\n", b" ", b"n", b"\x1b[C", b"\x1b[B"] {
            assert_eq!(parse_key(k).0, Input::Next, "{k:?}");
        }
        assert_eq!(parse_key(b"d"), (Input::Details, 1));
        assert_eq!(parse_key(b"c"), (Input::Continue, 1));
        assert_eq!(parse_key(b"?"), (Input::Help, 1));
        for k in [b"q".as_slice(), b"\x03", b"\x04"] {
            assert_eq!(parse_key(k).0, Input::Quit, "{k:?}");
        }
        assert_eq!(parse_key(b"x"), (Input::Unknown("x".into()), 1));
        assert_eq!(parse_key(b"+"), (Input::More, 1));
        assert_eq!(parse_key(b"-"), (Input::Less, 1));
        assert_eq!(parse_key(b"\x1b[5~"), (Input::PageUp, 4));
        assert_eq!(parse_key(b"\x1b[6~x"), (Input::PageDown, 4));
        assert_eq!(parse_key(b"\x1b[A"), (Input::Up, 3));
        assert_eq!(parse_key(b"j"), (Input::Down, 1));
        // An escape sequence is one key; the key after it is separate.
        assert_eq!(
            parse_key(b"\x1b[1;5Aq"),
            (Input::Unknown("escape sequence".into()), 6)
        );
    }

    #[test]
    fn lines() {
        assert_eq!(parse_line("\n"), Input::Next);
        assert_eq!(parse_line("  n \n"), Input::Next);
        assert_eq!(parse_line("d"), Input::Details);
        assert_eq!(parse_line("Details"), Input::Details);
        assert_eq!(parse_line("c"), Input::Continue);
        assert_eq!(parse_line("q"), Input::Quit);
        assert_eq!(parse_line("?"), Input::Help);
        assert_eq!(parse_line("hello"), Input::Unknown("hello".into()));
    }

    #[test]
    fn lines_from_a_pipe_then_eof() {
        let mut fds = [0; 2];
        // SAFETY: a fresh pipe.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        let text = b"\nd\nq";
        // SAFETY: writing our buffer to our pipe, then closing it.
        unsafe {
            libc::write(fds[1], text.as_ptr().cast(), text.len());
            libc::close(fds[1]);
        }
        let mut l = Lines::new(fds[0], -1);
        assert_eq!(l.next().unwrap(), Input::Next);
        assert_eq!(l.next().unwrap(), Input::Details);
        assert_eq!(l.next().unwrap(), Input::Quit);
        assert_eq!(l.next().unwrap(), Input::Eof);
        assert_eq!(l.next().unwrap(), Input::Eof);
        // SAFETY: our pipe.
        unsafe { libc::close(fds[0]) };
    }
}

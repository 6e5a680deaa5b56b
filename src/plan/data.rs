//! Big payloads and reads that keep going: data a step generates
//! (`bytes: {size, pattern}`) instead of spelling it out, and a `recv` that
//! calls recv() until end of stream or until N bytes (`until_eof`,
//! `until_bytes`), as a student's `while` loop would.

use crate::text::py_bytes;

/// Most data all the sends of a lesson carry, repeats counted, and the
/// most one `recv` loop reads (limit `max_total_payload`): bounds the
/// frames, and so the transcript, a run writes.
pub const MAX_TOTAL_PAYLOAD: usize = 4 * 1024 * 1024;

/// `bytes: {size, pattern}`: `pattern` repeated and cut to `size` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub size: usize,
    pub pattern: Vec<u8>,
}

/// The pattern when a lesson gives none: digits make offsets easy to read
/// in a hex dump (byte N is the digit N mod 10).
pub const DEFAULT_PATTERN: &str = "0123456789";

impl Generated {
    pub fn bytes(&self) -> Vec<u8> {
        if self.pattern.is_empty() {
            return vec![0; self.size];
        }
        self.pattern
            .iter()
            .copied()
            .cycle()
            .take(self.size)
            .collect()
    }

    /// As Python writes it: `b"0123456789" * 100000`, or cut with a slice
    /// when the size is not a whole number of patterns.
    pub fn python(&self) -> String {
        let p = self.pattern.len().max(1);
        let times = self.size.div_ceil(p);
        let pattern = py_bytes(&self.pattern);
        if self.size.is_multiple_of(p) {
            format!("{pattern} * {times}")
        } else {
            format!("({pattern} * {times})[:{}]", self.size)
        }
    }
}

/// How long a `recv` step keeps calling recv().
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadUntil {
    /// Until a recv() returns 0 bytes: the peer sent FIN.
    Eof,
    /// Until this many bytes have come (never more: each recv() asks for at
    /// most what is still missing).
    Bytes(usize),
}

impl ReadUntil {
    /// The loop as a student writes it in Python.
    /// `on`: the socket the calls are made on, as `conn.` (or nothing).
    pub fn python(self, max: u32, on: &str) -> String {
        match self {
            ReadUntil::Eof => format!("while chunk := {on}recv({max}): data += chunk"),
            ReadUntil::Bytes(n) => {
                format!("while len(data) < {n}: data += {on}recv(min({max}, {n} - len(data)))")
            }
        }
    }

    /// How many bytes the next recv() may ask for, `got` bytes in.
    pub fn ask(self, max: u32, got: usize) -> usize {
        match self {
            ReadUntil::Eof => max as usize,
            ReadUntil::Bytes(n) => (max as usize).min(n.saturating_sub(got)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_bytes_repeat_the_pattern_and_cut_it() {
        let g = Generated {
            size: 7,
            pattern: b"abc".to_vec(),
        };
        assert_eq!(g.bytes(), b"abcabca");
        assert_eq!(g.python(), "(b\"abc\" * 3)[:7]");
        let whole = Generated {
            size: 1_000_000,
            pattern: b"0123456789".to_vec(),
        };
        assert_eq!(whole.bytes().len(), 1_000_000);
        assert_eq!(&whole.bytes()[999_990..], b"0123456789");
        assert_eq!(whole.python(), "b\"0123456789\" * 100000");
    }

    #[test]
    fn reading_until_n_bytes_never_asks_past_n() {
        let r = ReadUntil::Bytes(100_000);
        assert_eq!(r.ask(65536, 0), 65536);
        assert_eq!(r.ask(65536, 65536), 100_000 - 65536);
        assert_eq!(r.ask(65536, 100_000), 0);
        assert_eq!(ReadUntil::Eof.ask(1024, 5_000_000), 1024);
        assert!(
            ReadUntil::Eof
                .python(4096, "conn.")
                .contains("conn.recv(4096)")
        );
    }
}

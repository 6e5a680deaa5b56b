//! Text helpers every stage may use (this module imports nothing of the
//! crate): text from someone else's file made safe to print (a lesson or a
//! saved transcript must not be able to send escape sequences to the
//! terminal), "did you mean", prose, hex, and Python-style bytes and
//! addresses as the tutorial writes them.

use std::borrow::Cow;
use std::net::SocketAddr;

/// `text` with every control character but the newline replaced by U+FFFD.
pub fn printable(text: &str) -> Cow<'_, str> {
    if text.chars().all(|c| c == '\n' || !c.is_control()) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c == '\n' || !c.is_control() {
                    c
                } else {
                    '\u{fffd}'
                }
            })
            .collect(),
    )
}

/// The closest candidate within a small edit distance, for "did you mean":
/// one edit for short words, about one per three letters for longer ones; a
/// swap of two neighbouring letters counts as one edit.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // Names and keys are short; a suggestion for a long word costs
    // len × len and is no use anyway (a hostile file may hold 100 000 chars).
    const LONGEST: usize = 64;
    if word.chars().count() > LONGEST {
        return None;
    }
    let word = word.to_lowercase();
    let limit = ((word.chars().count() + 1) / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        // Lengths that differ by more than the limit cannot be close.
        if c.chars().count() > LONGEST || c.chars().count().abs_diff(word.chars().count()) > limit {
            continue;
        }
        let d = edit_distance(&word, &c.to_lowercase());
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Optimal string alignment distance: insertions, deletions, substitutions
/// and swaps of neighbours each cost one.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// Narration as prose: lines of a YAML block joined with spaces, paragraphs
/// (blank lines) kept as `\n\n`.
pub fn prose(text: &str) -> String {
    // Lesson text reaches the terminal: no escape sequences from it.
    printable(text)
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Bytes written as hex digits (`68 65`, `0x6865`, `68:65`).
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    let digits = digits.strip_prefix("0x").unwrap_or(&digits);
    if !digits.len().is_multiple_of(2) {
        return Err(format!("hex `{text}` has an odd number of digits"));
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| {
            digits
                .get(i..i + 2)
                // from_str_radix alone would accept a sign ("+f").
                .filter(|pair| pair.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| {
                    format!(
                        "`{}` is not a hex byte",
                        digits.get(i..i + 2).unwrap_or("?")
                    )
                })
        })
        .collect()
}

/// `1 byte`, `5 bytes`.
pub fn plural(n: usize, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// `("127.0.0.1", 5000)`, as the tutorial's Python writes an address.
pub fn py_addr(a: SocketAddr) -> String {
    format!("(\"{}\", {})", a.ip(), a.port())
}

/// `b"hello"`, as Python shows bytes.
pub fn py_bytes(data: &[u8]) -> String {
    let mut s = String::with_capacity(2 + 4 * data.len().min(64) + 20);
    s.push_str("b\"");
    for &b in data.iter().take(64) {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(b as char),
            _ => {
                const DIGITS: &[u8; 16] = b"0123456789abcdef";
                s.push_str("\\x");
                s.push(DIGITS[usize::from(b >> 4)] as char);
                s.push(DIGITS[usize::from(b & 15)] as char);
            }
        }
    }
    s.push('"');
    if data.len() > 64 {
        s.push_str(&format!("… ({} bytes)", data.len()));
    }
    s
}

/// Received bytes that are not the expected ones, said so a reader sees
/// where: short data whole, longer data by the first byte that differs,
/// with a few bytes around it from each side.
pub fn bytes_differ(want: &[u8], got: &[u8]) -> (String, String) {
    if want.len().max(got.len()) <= 24 {
        return (py_bytes(want), py_bytes(got));
    }
    let i = want
        .iter()
        .zip(got)
        .position(|(a, b)| a != b)
        .unwrap_or(want.len().min(got.len()));
    let side = |d: &[u8]| {
        let to = (i + 8).min(d.len());
        let from = i.saturating_sub(8).min(to);
        let byte = match d.get(i) {
            Some(&b) if (0x21..=0x7e).contains(&b) => {
                format!("byte {i} = 0x{b:02x} ('{}')", b as char)
            }
            Some(&b) => format!("byte {i} = 0x{b:02x}"),
            None => format!("no byte {i}"),
        };
        format!(
            "{}, {byte}: {}{}{}",
            plural(d.len(), "byte"),
            if from > 0 { "…" } else { "" },
            py_bytes(&d[from..to]),
            if to < d.len() { "…" } else { "" }
        )
    };
    let same = match i {
        0 => String::new(),
        1 => "; byte 0 matches".to_string(),
        _ => format!("; bytes 0–{} match", i - 1),
    };
    (side(want), format!("{}{same}", side(got)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_c1_controls_are_replaced() {
        assert_eq!(printable("ok\nline"), "ok\nline");
        assert_eq!(
            printable("a\u{1b}]52;c;x\u{7}b\u{9b}2J\r"),
            "a\u{fffd}]52;c;x\u{fffd}b\u{fffd}2J\u{fffd}"
        );
        assert!(matches!(printable("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn long_data_that_differs_points_at_the_first_different_byte() {
        let want: Vec<u8> = (0x41..0x41 + 60).collect();
        let mut got = want.clone();
        got[37] = 0;
        let (w, g) = bytes_differ(&got, &want);
        assert_eq!(w, r#"60 bytes, byte 37 = 0x00: …b"^_`abcde\x00ghijklm"…"#);
        assert_eq!(
            g,
            r#"60 bytes, byte 37 = 0x66 ('f'): …b"^_`abcdefghijklm"…; bytes 0–36 match"#
        );
        // One ends early.
        let (w, g) = bytes_differ(&want, &want[..40]);
        assert!(
            w.starts_with("60 bytes, byte 40 = 0x69 ('i'): …b\"abcdefghijklmnop\"…"),
            "{w}"
        );
        assert_eq!(g, r#"40 bytes, no byte 40: …b"abcdefgh"; bytes 0–39 match"#);
        // Short data is shown whole.
        assert_eq!(
            bytes_differ(b"goodbye", b"hello"),
            (r#"b"goodbye""#.to_string(), r#"b"hello""#.to_string())
        );
    }
}

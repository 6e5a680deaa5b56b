//! Text helpers every stage may use (this module imports nothing of the
//! crate): text from someone else's file made safe to print (a lesson or a
//! saved transcript must not be able to send escape sequences to the
//! terminal), "did you mean", prose, hex, and Python-style bytes and
//! addresses as the tutorial writes them; numbers and addresses written
//! without `core::fmt` (every frame has dozens), and a per-thread pool of
//! strings (`spare`, `keep`) for a stage that drops each frame's strings
//! once they are printed.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
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
    let mut s = String::with_capacity(py_bytes_len(data));
    py_bytes_into(&mut s, data);
    s
}

/// Room enough for `py_bytes(data)`.
pub fn py_bytes_len(data: &[u8]) -> usize {
    2 + 4 * data.len().min(64) + 20
}

/// `py_bytes`, appended to `s`.
pub fn py_bytes_into(s: &mut String, data: &[u8]) {
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
        s.push_str("… (");
        push_u64(s, data.len() as u64);
        s.push_str(" bytes)");
    }
}

/// `v` in decimal, appended to `out`, as `{v}` writes it: without the
/// formatting machinery, which every frame's dozens of numbers went through.
pub fn push_u64(out: &mut String, mut v: u64) {
    // Two digits a division, from a table of 00–99.
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    while v >= 100 {
        let pair = 2 * (v % 100) as usize;
        v /= 100;
        at -= 2;
        digits[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if v >= 10 {
        let pair = 2 * v as usize;
        at -= 2;
        digits[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        at -= 1;
        digits[at] = b'0' + v as u8;
    }
    push_ascii(out, &digits[at..]);
}

/// Digits (ASCII) onto `out` without checking them again: numbers are a
/// frame's most common text, and the check cost more than the digits.
fn push_ascii(out: &mut String, digits: &[u8]) {
    assert!(digits.is_ascii());
    // SAFETY: ASCII is UTF-8 (asserted above).
    out.push_str(unsafe { std::str::from_utf8_unchecked(digits) });
}

/// `v` in decimal, as `v.to_string()`, in a string of the right size.
pub fn decimal(v: u64) -> String {
    let mut s = String::with_capacity(20);
    push_u64(&mut s, v);
    s
}

/// An IPv4 address as `Ipv4Addr`'s `Display` writes it (`192.168.1.10`).
pub fn push_ipv4(out: &mut String, a: [u8; 4]) {
    for (i, b) in a.into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        push_u64(out, u64::from(b));
    }
}

/// A socket address as its `Display` writes it (`192.168.1.10:40123`,
/// `[::1]:5000`); IPv4 without the formatting machinery.
pub fn push_socket_addr(out: &mut String, a: SocketAddr) {
    match a {
        SocketAddr::V4(v4) => {
            push_ipv4(out, v4.ip().octets());
            out.push(':');
            push_u64(out, u64::from(v4.port()));
        }
        SocketAddr::V6(_) => {
            use std::fmt::Write;
            let _ = write!(out, "{a}");
        }
    }
}

/// `n / 10^scale` with `decimals` digits after the point, as
/// `format!("{:.decimals$}", n as f64 / 10f64.powi(scale))` writes it, in
/// integers; `false` (nothing written) where the two might differ: an
/// exact tie, which the float may round either way, or `n` at or past
/// 10^15, where the float's error could reach the last digit. Every
/// frame's times (`+3.204 ms`, `12.0 µs`) are written with this.
pub fn push_fixed(out: &mut String, n: u64, scale: u32, decimals: u32) -> bool {
    if decimals > scale || n >= 1_000_000_000_000_000 {
        return false;
    }
    // The f64 quotient is within 2^-53 of n / 10^scale: below 10^15 that is
    // less than a thousandth of the last digit, so rounding it agrees with
    // rounding the exact quotient, unless that is a tie.
    let unit = 10u64.pow(scale - decimals);
    let (q, r) = (n / unit, n % unit);
    if unit > 1 && r * 2 == unit {
        return false;
    }
    let rounded = q + u64::from(unit > 1 && r * 2 > unit);
    let one = 10u64.pow(decimals);
    push_u64(out, rounded / one);
    if decimals > 0 {
        out.push('.');
        // The fraction with its leading zeros.
        let mut frac = rounded % one;
        let mut digits = [b'0'; 20];
        for d in digits[..decimals as usize].iter_mut().rev() {
            *d = b'0' + (frac % 10) as u8;
            frac /= 10;
        }
        push_ascii(out, &digits[..decimals as usize]);
    }
    true
}

thread_local! {
    /// Strings handed back with `keep`, emptied, for the next `spare` on
    /// the same thread: short ones (room for 32 to 64 bytes: nearly every
    /// field value and name) and long ones apart, so that a kept string
    /// rarely has to grow. `explain` hands back every frame's strings
    /// once they are printed: freeing them in batches, then allocating
    /// them again, went past glibc's per-thread cache. A thread that never
    /// calls `keep` allocates as before.
    static SPARE: RefCell<[Vec<String>; 2]> = const { RefCell::new([Vec::new(), Vec::new()]) };
    /// Whether this thread has kept strings: until then `spare` allocates
    /// exactly what is asked (events that are themselves kept, as in a
    /// trace or an export, take no more room than before).
    static KEEPING: Cell<bool> = const { Cell::new(false) };
}

/// Strings kept of each length, and the longest kept (a payload's text
/// takes about 280 bytes).
const SPARE_MAX: usize = 16 * 1024;
const SPARE_LONGEST: usize = 320;
/// Room a new string gets at least, and the most a short kept one has.
const SPARE_SHORT: usize = 32;
const SPARE_SHORT_MOST: usize = 64;

/// An empty string with room for `n` bytes: a kept one if this thread has
/// one, else a new one.
pub fn spare(n: usize) -> String {
    let long = usize::from(n > SPARE_SHORT);
    let kept = SPARE.with(|t| {
        let mut t = t.borrow_mut();
        match t[long].pop() {
            // One too short for this is left for a shorter text.
            Some(s) if s.capacity() < n => {
                t[long].push(s);
                None
            }
            s => s,
        }
    });
    // Most texts are short: a new one has room for any of them, so that
    // once kept it need not grow for the next.
    kept.unwrap_or_else(|| {
        let room = if KEEPING.get() { n.max(SPARE_SHORT) } else { n };
        String::with_capacity(room)
    })
}

/// `text` in a `spare` string.
pub fn spare_copy(text: &str) -> String {
    let mut s = spare(text.len());
    s.push_str(text);
    s
}

/// Keep `texts`, emptied, for this thread's next `spare`s (those of a
/// length worth keeping, while there is room).
pub fn keep(texts: impl IntoIterator<Item = String>) {
    KEEPING.set(true);
    SPARE.with(|t| {
        let mut t = t.borrow_mut();
        for mut text in texts {
            let room = text.capacity();
            if !(SPARE_SHORT..=SPARE_LONGEST).contains(&room) {
                continue;
            }
            let list = usize::from(room > SPARE_SHORT_MOST);
            if t[list].len() < SPARE_MAX {
                text.clear();
                t[list].push(text);
            }
        }
    });
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
    fn numbers_and_addresses_read_as_display_writes_them() {
        for v in [0u64, 7, 10, 99, 100, 65535, 4294967295, u64::MAX] {
            assert_eq!(decimal(v), v.to_string());
        }
        let mut s = String::new();
        push_ipv4(&mut s, [192, 168, 0, 10]);
        assert_eq!(s, "192.168.0.10");
        for a in [
            "10.0.0.1:80",
            "0.0.0.0:0",
            "255.255.255.255:65535",
            "[::1]:5000",
        ] {
            let a: SocketAddr = a.parse().unwrap();
            let mut s = String::new();
            push_socket_addr(&mut s, a);
            assert_eq!(s, a.to_string());
        }
    }

    #[test]
    fn fixed_point_agrees_with_float_formatting() {
        // Every (scale, decimals) the times use, over small values whole and
        // a spread of large ones; where it declines, the float is used.
        let check = |n: u64| {
            for (scale, decimals) in [(3, 1), (6, 3), (9, 3)] {
                let mut s = String::new();
                if push_fixed(&mut s, n, scale, decimals) {
                    let f = n as f64 / 10f64.powi(scale as i32);
                    assert_eq!(s, format!("{f:.*}", decimals as usize), "{n} / 10^{scale}");
                } else {
                    assert!(s.is_empty());
                }
            }
        };
        (0..3_000_000).for_each(check);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..1_000_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            check(x % 2_000_000_000_000_000);
            check(x % 5_000_000_000);
        }
        let mut s = String::new();
        assert!(!push_fixed(&mut s, 1_500, 6, 3), "a tie goes to the float");
        assert!(push_fixed(&mut s, 1_501, 6, 3));
        assert_eq!(s, "0.002");
    }

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

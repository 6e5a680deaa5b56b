//! The bytes a header carries, shown as text when they look like text.

use super::builder::{hex, whole_bytes_field};
use super::{Dissection, Layer, LayerKind};

/// Bytes shown before the value is cut short (offset and length still cover
/// all of the payload).
pub const DISPLAY_LIMIT: usize = 64;

/// Pushes a `Payload` layer for `frame[start..end]` (nothing if empty).
/// `application` marks UDP/TCP data, which is also recorded in `d.payload`.
pub(crate) fn push(frame: &[u8], start: usize, end: usize, d: &mut Dissection, application: bool) {
    let end = end.min(frame.len());
    let Some(bytes) = frame.get(start..end).filter(|b| !b.is_empty()) else {
        return;
    };
    d.layers.push(Layer {
        layer: LayerKind::Application,
        protocol: "Payload".to_string(),
        offset: start,
        length: bytes.len(),
        fields: vec![whole_bytes_field(
            "data",
            display(bytes),
            start,
            bytes.len(),
        )],
    });
    if application {
        d.payload = Some((start, bytes.len()));
    }
}

/// Text in quotes (with `\n`, `\r`, `\t` and `\xNN` escapes) when the bytes
/// are mostly printable UTF-8, else hex; cut after `DISPLAY_LIMIT` bytes with
/// `… (N bytes)`.
pub fn display(bytes: &[u8]) -> String {
    let shown = bytes.get(..DISPLAY_LIMIT).unwrap_or(bytes);
    let mut s = match as_text(bytes, shown) {
        Some(text) => {
            let mut s = String::with_capacity(text.len() + 32);
            s.push('"');
            s.push_str(&text);
            s.push('"');
            s
        }
        None => {
            let mut s = hex(shown);
            s.reserve(32);
            s
        }
    };
    if shown.len() < bytes.len() {
        s.push_str(" … (");
        crate::text::push_u64(&mut s, bytes.len() as u64);
        s.push_str(" bytes)");
    }
    s
}

/// The escaped text of `shown` (a prefix of `all`), if `all` reads as text.
fn as_text(all: &[u8], shown: &[u8]) -> Option<String> {
    // A multi-byte character may be cut by the capture or by our limit:
    // judge and show only the complete part.
    let valid = |b: &[u8]| -> Option<usize> {
        match std::str::from_utf8(b) {
            Ok(s) => Some(s.len()),
            Err(e) if e.error_len().is_none() => Some(e.valid_up_to()),
            Err(_) => None,
        }
    };
    let all_len = valid(all)?;
    let text = std::str::from_utf8(all.get(..all_len)?).ok()?;
    let total = text.chars().count();
    let odd = text
        .chars()
        .filter(|&c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        .count();
    // Mostly-printable text with a stray control byte still reads best as text.
    if total == 0 || odd * 10 > total {
        return None;
    }
    let shown_len = valid(shown)?;
    let shown = std::str::from_utf8(shown.get(..shown_len)?).ok()?;
    let mut out = String::with_capacity(shown.len());
    for c in shown.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\x{b:02x}"));
                }
            }
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_quoted_and_escaped() {
        assert_eq!(display(b"hello"), "\"hello\"");
        assert_eq!(
            display(b"GET / HTTP/1.0\r\n\r\n"),
            "\"GET / HTTP/1.0\\r\\n\\r\\n\""
        );
        assert_eq!(display("héllo\t\"x\"".as_bytes()), "\"héllo\\t\\\"x\\\"\"");
        assert_eq!(display(b"abcdefghij\x01"), "\"abcdefghij\\x01\"");
    }

    #[test]
    fn binary_is_hex() {
        assert_eq!(display(&[0, 1, 2, 0xff]), "00 01 02 ff");
        assert_eq!(display(&[0x80, 0x41]), "80 41");
    }

    #[test]
    fn long_values_are_cut_for_display() {
        let text = display(&[b'A'; 100]);
        assert_eq!(text, format!("\"{}\" … (100 bytes)", "A".repeat(64)));
        let bin: Vec<u8> = (0..100).collect();
        let shown = display(&bin);
        assert!(shown.starts_with("00 01 02"));
        assert!(shown.ends_with("3f … (100 bytes)"));
        // A multi-byte character cut by the limit is left out, not mangled.
        let mut s = "a".repeat(63).into_bytes();
        s.extend_from_slice("é and more".as_bytes());
        assert_eq!(display(&s), format!("\"{}\" … (74 bytes)", "a".repeat(63)));
    }

    #[test]
    fn push_records_offsets() {
        let frame = b"xxxxhello";
        let mut d = Dissection::default();
        push(frame, 4, 100, &mut d, true);
        assert_eq!(d.payload, Some((4, 5)));
        let l = &d.layers[0];
        assert_eq!(
            (l.offset, l.length, l.layer),
            (4, 5, LayerKind::Application)
        );
        assert_eq!(l.fields[0].value, "\"hello\"");
        push(frame, 9, 9, &mut d, true);
        assert_eq!(d.layers.len(), 1);
    }
}

//! A protocol of the lesson's own: byte ranges of the payload the lesson
//! names as fields (`fields: [{name: id, bytes: 0..2, show: hex}, …]`), so
//! a course can teach a made-up protocol the way the built-in ones are.

use super::super::Layer;
use super::super::builder::{be, hex};
use super::super::payload::display;
use super::super::stop::{Header, Stop};
use super::builder;

/// How a field's value is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// `0x0102` (bytes in hex).
    Hex,
    /// A big-endian unsigned number (at most 8 bytes; longer ones in hex).
    Dec,
    /// Text in quotes (other bytes as escapes).
    Text,
}

impl Show {
    pub const NAMES: &[(&str, Show)] =
        &[("hex", Show::Hex), ("dec", Show::Dec), ("text", Show::Text)];

    pub fn from_name(name: &str) -> Option<Show> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, s)| s)
    }
}

/// One field the lesson defines: `bytes: start..end` of the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    pub name: String,
    pub start: usize,
    pub end: usize,
    pub show: Show,
}

fn shown(bytes: &[u8], show: Show) -> String {
    match show {
        Show::Hex => format!("0x{}", hex(bytes).replace(' ', "")),
        Show::Dec if bytes.len() <= 8 => be(bytes).to_string(),
        Show::Dec => hex(bytes),
        Show::Text => display(bytes),
    }
}

/// The payload `msg` as the lesson's protocol `name`; fields past its end
/// are left out and the stop names the first.
pub fn decode(name: &str, msg: &[u8], defs: &[FieldDef]) -> (Layer, Option<Stop>) {
    let mut b = builder(msg, Header::Custom);
    let mut needed = 0;
    for d in defs {
        b.bytes(d.name.clone(), d.start..d.end, |s| shown(s, d.show));
        needed = needed.max(d.end);
    }
    let stop = (needed > msg.len()).then(|| b.truncated(needed));
    let mut layer = b.finish(msg.len());
    layer.protocol = name.to_string();
    (layer, stop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str, r: core::ops::Range<usize>, show: Show) -> FieldDef {
        FieldDef {
            name: name.into(),
            start: r.start,
            end: r.end,
            show,
        }
    }

    #[test]
    fn fields_as_the_lesson_names_them() {
        let defs = [
            def("id", 0..2, Show::Hex),
            def("count", 2..3, Show::Dec),
            def("word", 3..6, Show::Text),
        ];
        let (l, stop) = decode("TOY", b"\x12\x34\x07abc", &defs);
        assert_eq!(stop, None);
        assert_eq!(l.protocol, "TOY");
        assert_eq!(l.value("id"), Some("0x1234"));
        assert_eq!(l.value("count"), Some("7"));
        assert_eq!(l.value("word"), Some("\"abc\""));
        let (l, stop) = decode("TOY", b"\x12\x34\x07a", &defs);
        assert_eq!(l.field("word"), None);
        assert_eq!(
            stop.unwrap().to_string(),
            "custom: the message needs 6 bytes but only 4 were captured (the \"word\" field is cut off)"
        );
    }
}

//! Building a `Layer` field by field from header-relative positions.
//!
//! Every read goes through `slice::get`, so a field whose bytes were not
//! captured is skipped (and remembered, so the stop message can name it)
//! instead of panicking. That is what lets a truncated header still show the
//! fields that did arrive.

use super::stop::{Header, Stop};
use super::{Dissection, Field, Layer, LayerKind};
use core::ops::Range;
use std::borrow::Cow;
use std::cell::RefCell;

/// Big-endian unsigned integer from up to 8 bytes (extra leading bytes are dropped).
pub(crate) fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

pub(crate) fn u8_at(buf: &[u8], at: usize) -> u8 {
    buf.get(at).copied().unwrap_or(0)
}

pub(crate) fn u16_at(buf: &[u8], r: Range<usize>) -> u16 {
    buf.get(r).map(be).unwrap_or(0) as u16
}

pub(crate) fn u32_at(buf: &[u8], r: Range<usize>) -> u32 {
    buf.get(r).map(be).unwrap_or(0) as u32
}

/// `buf[at..at + len]`, or `None` when it is not all there.
pub(crate) fn slice_at(buf: &[u8], at: usize, len: usize) -> Option<&[u8]> {
    buf.get(at..at.checked_add(len)?)
}

/// Bytes as space-separated lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len().saturating_mul(3));
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        push_hex(&mut s, *b);
    }
    s
}

/// Two lowercase hex digits: a table, not format!, since every frame's
/// bytes pass through here.
pub(crate) fn push_hex(s: &mut String, b: u8) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    s.push(DIGITS[usize::from(b >> 4)] as char);
    s.push(DIGITS[usize::from(b & 15)] as char);
}

/// A piece of a field's value (see `value`).
#[derive(Clone, Copy)]
pub(crate) enum Part<'a> {
    /// Text as it is.
    T(&'a str),
    /// A number in decimal, as `{n}`.
    N(u64),
    /// A number in lowercase hex with at least this many digits, as
    /// `{n:0width$x}`.
    Hex(u64, usize),
}

/// A field's value from its pieces, in a string of the right size: what
/// `format!` would write, without the formatting machinery (a frame has
/// dozens of fields).
pub(crate) fn value(parts: &[Part]) -> String {
    let len = parts
        .iter()
        .map(|p| match *p {
            Part::T(t) => t.len(),
            Part::N(n) => decimal_digits(n),
            Part::Hex(n, w) => hex_digits(n).max(w),
        })
        .sum();
    let mut s = crate::text::spare(len);
    for p in parts {
        match *p {
            Part::T(t) => s.push_str(t),
            Part::N(n) => crate::text::push_u64(&mut s, n),
            Part::Hex(n, width) => {
                const DIGITS: &[u8; 16] = b"0123456789abcdef";
                let digits = hex_digits(n);
                s.extend(std::iter::repeat_n('0', width.saturating_sub(digits)));
                for i in (0..digits).rev() {
                    s.push(DIGITS[((n >> (4 * i)) & 15) as usize] as char);
                }
            }
        }
    }
    s
}

/// Digits of `n` in decimal.
fn decimal_digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |l| l as usize + 1)
}

/// Digits of `n` in hex.
fn hex_digits(n: u64) -> usize {
    ((64 - n.leading_zeros() as usize).div_ceil(4)).max(1)
}

/// `n` in decimal, as `n.to_string()`: a field's value (see `value`).
pub(crate) fn decimal(n: u64) -> String {
    let mut s = crate::text::spare(decimal_digits(n));
    crate::text::push_u64(&mut s, n);
    s
}

/// A field for a layer outside a builder (e.g. Ethernet padding found later).
pub(crate) fn whole_bytes_field(
    name: impl Into<Cow<'static, str>>,
    value: String,
    offset: usize,
    length: usize,
) -> Field {
    Field {
        name: name.into(),
        value,
        offset,
        length,
        bit_offset: offset.saturating_mul(8),
        bit_length: length.saturating_mul(8),
    }
}

/// About how many fields a header has, so that the fields' vector is
/// allocated once and no larger than needed: trace keeps every frame's
/// dissection until the program ends, and 32 fields for each layer of
/// 20,000 frames was a quarter of a gigabyte, mostly empty.
fn expected_fields(header: Header) -> usize {
    match header {
        Header::Ethernet | Header::Udp => 4,
        Header::Ipv6 | Header::Icmp | Header::Icmpv6 => 8,
        Header::Arp => 9,
        Header::Ipv4 => 16,
        // With options, about 30.
        Header::Tcp => 32,
        _ => 8,
    }
}

thread_local! {
    /// Field vectors of layers handed back with `recycle`, by size (4–7,
    /// 8–15, 16–31, 32 and more fields), for the next layers this thread
    /// builds: a header's vector is larger than glibc's per-thread cache
    /// holds, and allocating and freeing one for every header was a tenth
    /// of `explain`'s dissecting.
    static SPARE: RefCell<[Vec<Vec<Field>>; 4]> = const { RefCell::new([const { Vec::new() }; 4]) };
}

/// Vectors kept per size: more than the layers of the batches `explain`
/// has in flight.
const SPARE_MAX: usize = 1024;

/// Which of `SPARE`'s lists a vector with room for `n` fields goes in.
fn spare_class(n: usize) -> Option<usize> {
    match n {
        0..4 => None,
        4..8 => Some(0),
        8..16 => Some(1),
        16..32 => Some(2),
        _ => Some(3),
    }
}

/// An empty vector with room for about `n` fields: a recycled one if this
/// thread has one, else a new one.
fn spare_fields(n: usize) -> Vec<Field> {
    spare_class(n)
        .and_then(|c| SPARE.with(|s| s.borrow_mut()[c].pop()))
        .unwrap_or_else(|| Vec::with_capacity(n))
}

/// Hand back layers no one reads any more: their fields' values are kept
/// (`text::keep`), and their vectors for the layers this thread builds
/// next. For a
/// caller that dissects frame after frame and drops each dissection (as
/// `explain` does), on the thread that dissects.
pub fn recycle(layers: impl IntoIterator<Item = Layer>) {
    SPARE.with(|s| {
        let mut s = s.borrow_mut();
        for layer in layers {
            let mut fields = layer.fields;
            crate::text::keep(fields.drain(..).map(|f| f.value));
            if let Some(c) = spare_class(fields.capacity())
                && s[c].len() < SPARE_MAX
            {
                s[c].push(fields);
            }
        }
    });
}

/// Hand back dissections no one reads any more (`recycle` for their
/// layers, and their other text kept as the values are).
pub fn recycle_dissections(ds: impl IntoIterator<Item = Dissection>) {
    let mut texts = Vec::new();
    for d in ds {
        recycle(d.layers);
        texts.extend(
            [d.mac_src, d.mac_dst, d.ip_src, d.ip_dst]
                .into_iter()
                .flatten(),
        );
        for o in d.tcp.into_iter().flat_map(|t| t.options) {
            texts.push(o.name);
            texts.push(o.value);
        }
    }
    crate::text::keep(texts);
}

pub(crate) struct LayerBuilder<'a> {
    frame: &'a [u8],
    /// First byte of the header in the frame.
    start: usize,
    /// End (exclusive) of the bytes this header may use.
    end: usize,
    header: Header,
    layer: Layer,
    /// Name of the first field that did not fit.
    cut: Option<String>,
}

impl<'a> LayerBuilder<'a> {
    /// A builder for a header at `start` that may use bytes up to `end`
    /// (clamped to the frame).
    pub fn new(frame: &'a [u8], kind: LayerKind, header: Header, start: usize, end: usize) -> Self {
        let end = end.min(frame.len());
        let start = start.min(end);
        LayerBuilder {
            frame,
            start,
            end,
            header,
            layer: Layer {
                layer: kind,
                protocol: header.as_str().to_string(),
                offset: start,
                length: 0,
                fields: spare_fields(expected_fields(header)),
            },
            cut: None,
        }
    }

    /// Bytes available to this header.
    pub fn captured(&self) -> usize {
        self.end - self.start
    }

    /// From now on, fields must end by header-relative `end` (and inside
    /// the frame): a header whose own length field ends it early.
    pub fn limit_to(&mut self, end: usize) {
        self.end = self
            .start
            .saturating_add(end)
            .min(self.frame.len())
            .max(self.start);
    }

    /// Header-relative bytes, if all of them were captured.
    pub fn get(&self, r: Range<usize>) -> Option<&'a [u8]> {
        let a = self.start.checked_add(r.start)?;
        let b = self.start.checked_add(r.end)?;
        if a > b || b > self.end {
            return None;
        }
        self.frame.get(a..b)
    }

    /// Adds a whole-byte field; returns its bytes when they were captured.
    pub fn bytes(
        &mut self,
        name: impl Into<Cow<'static, str>>,
        r: Range<usize>,
        fmt: impl FnOnce(&'a [u8]) -> String,
    ) -> Option<&'a [u8]> {
        if r.start >= r.end {
            return None;
        }
        let name = name.into();
        let Some(s) = self.get(r.clone()) else {
            self.note_cut(&name);
            return None;
        };
        let offset = self.start.saturating_add(r.start);
        self.layer
            .fields
            .push(whole_bytes_field(name, fmt(s), offset, s.len()));
        Some(s)
    }

    /// Adds a field `width` bits wide (1..=32) starting `bit` bits into the
    /// header; returns its value when it was captured.
    pub fn bits(
        &mut self,
        name: impl Into<Cow<'static, str>>,
        bit: usize,
        width: usize,
        fmt: impl FnOnce(u32) -> String,
    ) -> Option<u32> {
        let width = width.clamp(1, 32);
        let first = bit / 8;
        let last = bit.saturating_add(width - 1) / 8;
        let name = name.into();
        let Some(s) = self.get(first..last.saturating_add(1)) else {
            self.note_cut(&name);
            return None;
        };
        // At most 5 bytes (bit % 8 + 32 bits), so it fits a u64.
        let total = s.len() * 8;
        let shift = total - (bit % 8) - width;
        let value = ((be(s) >> shift) & ((1u64 << width) - 1)) as u32;
        self.layer.fields.push(Field {
            name,
            value: fmt(value),
            offset: self.start.saturating_add(first),
            length: s.len(),
            bit_offset: self.start.saturating_mul(8).saturating_add(bit),
            bit_length: width,
        });
        Some(value)
    }

    fn note_cut(&mut self, name: &str) {
        if self.cut.is_none() {
            self.cut = Some(name.to_string());
        }
    }

    /// Why the header stops here: it needs `needed` bytes, and names the
    /// first field that was cut off.
    pub fn truncated(&self, needed: usize) -> Stop {
        Stop::Truncated {
            header: self.header,
            needed,
            captured: self.captured(),
            cut: self.cut.clone(),
        }
    }

    /// The layer, `length` bytes long (clamped to what was captured).
    pub fn finish(mut self, length: usize) -> Layer {
        self.layer.length = length.min(self.captured());
        self.layer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_and_bytes() {
        let frame = [0x45u8, 0xc1, 0x12, 0x34];
        let mut b = LayerBuilder::new(&frame, LayerKind::Network, Header::Ipv4, 0, 4);
        assert_eq!(b.bits("v", 0, 4, |v| v.to_string()), Some(4));
        assert_eq!(b.bits("ihl", 4, 4, |v| v.to_string()), Some(5));
        assert_eq!(b.bits("dscp", 8, 6, |v| v.to_string()), Some(0x30));
        assert_eq!(b.bits("ecn", 14, 2, |v| v.to_string()), Some(1));
        assert_eq!(b.bits("x", 12, 12, |v| v.to_string()), Some(0x112));
        assert_eq!(b.bytes("w", 2..4, hex), Some(&frame[2..4]));
        assert_eq!(b.bytes("cut", 3..5, hex), None);
        let l = b.finish(8);
        assert_eq!(l.length, 4);
        let ecn = &l.fields[3];
        assert_eq!(
            (ecn.offset, ecn.length, ecn.bit_offset, ecn.bit_length),
            (1, 1, 14, 2)
        );
        let x = &l.fields[4];
        assert_eq!(
            (x.offset, x.length, x.bit_offset, x.bit_length),
            (1, 2, 12, 12)
        );
    }

    #[test]
    fn values_read_as_format_writes_them() {
        use Part::*;
        for n in [
            0u64,
            1,
            9,
            10,
            15,
            16,
            255,
            256,
            4095,
            65535,
            1 << 40,
            u64::MAX,
        ] {
            assert_eq!(value(&[N(n)]), format!("{n}"));
            assert_eq!(
                value(&[T("0x"), Hex(n, 4), T(" ("), N(n), T(")")]),
                format!("0x{n:04x} ({n})")
            );
            assert_eq!(value(&[Hex(n, 1)]), format!("{n:x}"));
            assert_eq!(value(&[Hex(n, 0)]), format!("{n:x}"));
        }
    }

    #[test]
    fn truncated_message_names_field() {
        let frame = [1u8, 2, 3];
        let mut b = LayerBuilder::new(&frame, LayerKind::Transport, Header::Udp, 0, 3);
        b.bytes("source port", 0..2, hex);
        b.bytes("destination port", 2..4, hex);
        b.bytes("length", 4..6, hex);
        assert_eq!(
            b.truncated(8).to_string(),
            "UDP: the header needs 8 bytes but only 3 were captured (the \"destination port\" field is cut off)"
        );
    }
}

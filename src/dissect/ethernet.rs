//! Ethernet II (DIX) framing: two MAC addresses and an EtherType.
//!
//! Linux's loopback device fakes an Ethernet header with all-zero addresses,
//! which is why every frame captured on `lo` starts with twelve zero bytes.

use super::builder::{LayerBuilder, u16_at, whole_bytes_field};
use super::enums::enum_with_unknown;
use super::stop::{Header, Number, Stop};
use super::{Dissection, LayerKind};
use core::fmt;
use std::fmt::Write as _;

pub mod field {
    use core::ops::Range;
    pub const DESTINATION: Range<usize> = 0..6;
    pub const SOURCE: Range<usize> = 6..12;
    pub const ETHERTYPE: Range<usize> = 12..14;
}

pub const HEADER_LEN: usize = field::ETHERTYPE.end;

/// Ethernet frames shorter than this (without the FCS) get padded by the sender.
pub const MIN_FRAME_LEN: usize = 60;

enum_with_unknown! {
    /// The EtherType: which protocol the payload holds. Values below 0x0600
    /// are an 802.3 length, not a type (see `ethertype_text`).
    pub enum EtherType(u16) {
        Ipv4 = 0x0800 => "IPv4",
        Arp = 0x0806 => "ARP",
        Ipv6 = 0x86dd => "IPv6",
        Vlan = 0x8100 => "802.1Q VLAN",
        Lldp = 0x88cc => "LLDP",
    }
}

/// Values below this are an 802.3 length rather than an EtherType.
const MIN_ETHERTYPE: u16 = 0x0600;

/// `0x0800 (IPv4)`.
pub fn ethertype_text(v: u16) -> String {
    use super::builder::Part::{Hex, T};
    let hex = Hex(v.into(), 4);
    match EtherType::from(v).name() {
        Some(n) => super::builder::value(&[T("0x"), hex, T(" ("), T(n), T(")")]),
        None if v < MIN_ETHERTYPE => super::builder::value(&[T("0x"), hex, T(" (802.3 length)")]),
        None => super::builder::value(&[T("0x"), hex]),
    }
}

/// A MAC address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Address(pub [u8; 6]);

impl Address {
    pub fn from_bytes(b: &[u8]) -> Option<Address> {
        Some(Address(b.try_into().ok()?))
    }
    pub fn is_broadcast(&self) -> bool {
        self.0 == [0xff; 6]
    }
    /// The I/G bit: group (multicast/broadcast) addresses have it set.
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 1 != 0
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // By a table, not six {:02x}: every frame formats two.
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut s = [b':'; 17];
        for (i, b) in self.0.iter().enumerate() {
            s[3 * i] = DIGITS[usize::from(b >> 4)];
            s[3 * i + 1] = DIGITS[usize::from(b & 15)];
        }
        // ASCII digits and colons only.
        f.write_str(std::str::from_utf8(&s).unwrap_or_default())
    }
}

/// Field value for an address: the colon form, plus a word for group addresses.
fn address_text(a: Address) -> String {
    let mut s = crate::text::spare(29);
    let _ = write!(s, "{a}");
    if a.is_broadcast() {
        s.push_str(" (broadcast)");
    } else if a.is_multicast() {
        s.push_str(" (multicast)");
    }
    s
}

/// Zero-copy view of an Ethernet II frame.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    buffer: &'a [u8],
}

impl<'a> Frame<'a> {
    /// `None` if the buffer is shorter than the 14-byte header.
    pub fn new_checked(buffer: &'a [u8]) -> Option<Frame<'a>> {
        (buffer.len() >= HEADER_LEN).then_some(Frame { buffer })
    }
    pub fn dst_addr(&self) -> Address {
        self.buffer
            .get(field::DESTINATION)
            .and_then(Address::from_bytes)
            .unwrap_or_default()
    }
    pub fn src_addr(&self) -> Address {
        self.buffer
            .get(field::SOURCE)
            .and_then(Address::from_bytes)
            .unwrap_or_default()
    }
    pub fn ethertype(&self) -> EtherType {
        EtherType::from(u16_at(self.buffer, field::ETHERTYPE))
    }
    pub fn payload(&self) -> &'a [u8] {
        self.buffer.get(HEADER_LEN..).unwrap_or(&[])
    }
}

fn mac_field(b: &[u8]) -> String {
    Address::from_bytes(b).map(address_text).unwrap_or_default()
}

/// Pushes the Ethernet layer; returns the EtherType to follow.
pub(crate) fn dissect(frame: &[u8], d: &mut Dissection) -> Result<EtherType, Stop> {
    if frame.is_empty() {
        return Err(Stop::EmptyFrame);
    }
    let mut b = LayerBuilder::new(frame, LayerKind::Link, Header::Ethernet, 0, frame.len());
    b.bytes("destination", field::DESTINATION, mac_field);
    b.bytes("source", field::SOURCE, mac_field);
    b.bytes("type", field::ETHERTYPE, |s| {
        ethertype_text(u16_at(s, 0..2))
    });
    let msg = b.truncated(HEADER_LEN);
    d.layers.push(b.finish(HEADER_LEN));
    let eth = Frame::new_checked(frame).ok_or(msg)?;
    let text = |a: Address| {
        let mut s = crate::text::spare(17);
        let _ = write!(s, "{a}");
        s
    };
    d.mac_dst = Some(text(eth.dst_addr()));
    d.mac_src = Some(text(eth.src_addr()));
    let ethertype = eth.ethertype();
    d.ethertype = Some(ethertype.into());
    Ok(ethertype)
}

/// Why we stop at an EtherType this course does not dissect.
pub(crate) fn unsupported(t: EtherType, remaining: usize) -> Stop {
    Stop::NotDissected {
        header: Header::Ethernet,
        number: Number::EtherType(t.into()),
        undecoded: remaining,
    }
}

/// The Ethernet layer's field for bytes after the network packet's end.
pub(crate) const PADDING_FIELD: &str = "padding";

/// Bytes after the network packet's own end are Ethernet padding (frames
/// shorter than 60 bytes are padded) or a trailer: record them on the
/// Ethernet layer so they are not mistaken for payload.
pub(crate) fn note_padding(frame: &[u8], packet_end: usize, d: &mut Dissection) {
    let Some(extra) = frame.get(packet_end..).filter(|e| !e.is_empty()) else {
        return;
    };
    let what = if extra.iter().all(|&b| b == 0) {
        "zero bytes"
    } else {
        "bytes"
    };
    let value = format!("{} {} after the packet's end", extra.len(), what);
    if let Some(eth) = d.layers.first_mut() {
        eth.fields.push(whole_bytes_field(
            PADDING_FIELD,
            value,
            packet_end,
            extra.len(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_reads_loopback_header() {
        let bytes = [0u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x86, 0xdd, 0x60];
        let f = Frame::new_checked(&bytes).unwrap();
        assert_eq!(f.dst_addr().to_string(), "00:00:00:00:00:00");
        assert_eq!(f.ethertype(), EtherType::Ipv6);
        assert_eq!(f.payload(), &[0x60]);
        assert!(Frame::new_checked(&bytes[..13]).is_none());
    }

    #[test]
    fn ethertype_round_trip_and_text() {
        for v in [0x0800u16, 0x0806, 0x86dd, 0x8100, 0x88cc, 0x1234, 0x002e] {
            assert_eq!(u16::from(EtherType::from(v)), v);
        }
        assert_eq!(ethertype_text(0x0800), "0x0800 (IPv4)");
        assert_eq!(ethertype_text(0x002e), "0x002e (802.3 length)");
        assert_eq!(ethertype_text(0x1234), "0x1234");
    }

    #[test]
    fn addresses() {
        assert_eq!(
            address_text(Address([0xff; 6])),
            "ff:ff:ff:ff:ff:ff (broadcast)"
        );
        assert_eq!(
            address_text(Address([0x33, 0x33, 0, 0, 0, 1])),
            "33:33:00:00:00:01 (multicast)"
        );
        assert_eq!(
            address_text(Address([0x02, 0, 0, 0, 0, 1])),
            "02:00:00:00:00:01"
        );
        assert_eq!(
            Address([0x52, 0x54, 0x00, 0xab, 0xcd, 0xef]).to_string(),
            "52:54:00:ab:cd:ef"
        );
    }
}

//! ARP (RFC 826): "who has this IPv4 address? tell me" and the answer.
//! Never seen on `lo` (there is no link to resolve), but on any veth or NIC.

use super::builder::{LayerBuilder, hex, slice_at, u8_at, u16_at};
use super::enums::enum_with_unknown;
use super::ethernet::{Address as MacAddress, ethertype_text};
use super::stop::{Header, Stop};
use super::{Dissection, LayerKind};

pub mod field {
    use core::ops::Range;
    pub const HTYPE: Range<usize> = 0..2;
    pub const PTYPE: Range<usize> = 2..4;
    pub const HLEN: usize = 4;
    pub const PLEN: usize = 5;
    pub const OPER: Range<usize> = 6..8;
    /// Sender hardware address; the other addresses follow at offsets that
    /// depend on HLEN and PLEN.
    pub const SHA_START: usize = 8;
}

/// Fixed part, before the four addresses.
pub const FIXED_LEN: usize = field::SHA_START;

enum_with_unknown! {
    /// The hardware type (IANA "Hardware Types").
    pub enum Hardware(u16) {
        Ethernet = 1 => "Ethernet",
    }
}

enum_with_unknown! {
    /// The opcode.
    pub enum Operation(u16) {
        Request = 1 => "request",
        Reply = 2 => "reply",
    }
}

/// `1 (request)`, or the number alone.
fn number_text(v: u16, name: Option<&str>) -> String {
    match name {
        Some(n) => format!("{v} ({n})"),
        None => v.to_string(),
    }
}

/// Zero-copy view of an ARP packet (any address sizes).
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    buffer: &'a [u8],
}

impl<'a> Packet<'a> {
    /// `None` unless the fixed part and all four addresses are present.
    pub fn new_checked(buffer: &'a [u8]) -> Option<Packet<'a>> {
        let p = Packet { buffer };
        (buffer.len() >= FIXED_LEN && buffer.len() >= p.total_len()).then_some(p)
    }
    pub fn hardware_type(&self) -> Hardware {
        Hardware::from(u16_at(self.buffer, field::HTYPE))
    }
    pub fn protocol_type(&self) -> u16 {
        u16_at(self.buffer, field::PTYPE)
    }
    pub fn hardware_len(&self) -> usize {
        usize::from(u8_at(self.buffer, field::HLEN))
    }
    pub fn protocol_len(&self) -> usize {
        usize::from(u8_at(self.buffer, field::PLEN))
    }
    pub fn operation(&self) -> Operation {
        Operation::from(u16_at(self.buffer, field::OPER))
    }
    /// Fixed part plus the four addresses.
    pub fn total_len(&self) -> usize {
        FIXED_LEN + 2 * (self.hardware_len() + self.protocol_len())
    }
    fn addr(&self, index: usize) -> &'a [u8] {
        let (h, p) = (self.hardware_len(), self.protocol_len());
        let (at, len) = match index {
            0 => (FIXED_LEN, h),
            1 => (FIXED_LEN + h, p),
            2 => (FIXED_LEN + h + p, h),
            _ => (FIXED_LEN + 2 * h + p, p),
        };
        slice_at(self.buffer, at, len).unwrap_or(&[])
    }
    pub fn source_hardware_addr(&self) -> &'a [u8] {
        self.addr(0)
    }
    pub fn source_protocol_addr(&self) -> &'a [u8] {
        self.addr(1)
    }
    pub fn target_hardware_addr(&self) -> &'a [u8] {
        self.addr(2)
    }
    pub fn target_protocol_addr(&self) -> &'a [u8] {
        self.addr(3)
    }
}

/// An address as MAC or IPv4 text when it has that size, else hex.
fn addr_text(b: &[u8]) -> String {
    match b.len() {
        6 => MacAddress::from_bytes(b)
            .map(|a| a.to_string())
            .unwrap_or_default(),
        4 => super::ipv4::addr(b).to_string(),
        _ => hex(b),
    }
}

/// Pushes the ARP layer; returns the frame offset where ARP ends.
pub(crate) fn dissect(frame: &[u8], start: usize, d: &mut Dissection) -> Result<usize, Stop> {
    let mut b = LayerBuilder::new(frame, LayerKind::Link, Header::Arp, start, frame.len());
    b.bytes("hardware type", field::HTYPE, |s| {
        let v = u16_at(s, 0..2);
        number_text(v, Hardware::from(v).name())
    });
    b.bytes("protocol type", field::PTYPE, |s| {
        ethertype_text(u16_at(s, 0..2))
    });
    let h = b.bytes("hardware size", field::HLEN..field::HLEN + 1, |s| {
        u8_at(s, 0).to_string()
    });
    let p = b.bytes("protocol size", field::PLEN..field::PLEN + 1, |s| {
        u8_at(s, 0).to_string()
    });
    b.bytes("opcode", field::OPER, |s| {
        let v = u16_at(s, 0..2);
        number_text(v, Operation::from(v).name())
    });
    let (h, p) = match (h, p) {
        (Some(h), Some(p)) => (usize::from(u8_at(h, 0)), usize::from(u8_at(p, 0))),
        _ => (6, 4),
    };
    let mut at = FIXED_LEN;
    for (name, len) in [
        ("sender MAC", h),
        ("sender IP", p),
        ("target MAC", h),
        ("target IP", p),
    ] {
        b.bytes(name, at..at + len, addr_text);
        at += len;
    }
    let total = FIXED_LEN + 2 * (h + p);
    let rest = frame.get(start..).unwrap_or(&[]);
    let ok = Packet::new_checked(rest).is_some();
    let msg = b.truncated(total);
    d.layers.push(b.finish(total));
    if !ok {
        return Err(msg);
    }
    Ok(start + total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::testdata::*;

    #[test]
    fn view_reads_request() {
        let f = frame(ARP_REQUEST);
        let p = Packet::new_checked(&f[14..]).unwrap();
        assert_eq!(p.hardware_type(), Hardware::Ethernet);
        assert_eq!(p.protocol_type(), 0x0800);
        assert_eq!(p.operation(), Operation::Request);
        assert_eq!(p.total_len(), 28);
        assert_eq!(addr_text(p.source_hardware_addr()), "02:00:00:00:00:01");
        assert_eq!(addr_text(p.source_protocol_addr()), "192.0.2.1");
        assert_eq!(addr_text(p.target_protocol_addr()), "192.0.2.2");
        assert!(Packet::new_checked(&f[14..41]).is_none());
    }
}

//! IPv4 (RFC 791): a 20-byte header plus up to 40 bytes of options.

use super::builder::Part::{Hex, N, T};
use super::builder::{LayerBuilder, decimal, hex, u8_at, u16_at, value};
use super::ip::{Protocol, Upper, protocol_text};
use super::stop::{Header, LengthField, Stop};
use super::{Dissection, LayerKind};
use std::net::Ipv4Addr;

pub mod field {
    use core::ops::Range;
    /// Version (high nibble) and IHL (low nibble, in 32-bit words).
    pub const VER_IHL: usize = 0;
    /// DSCP (6 bits) and ECN (2 bits), once the "type of service".
    pub const DSCP_ECN: usize = 1;
    pub const LENGTH: Range<usize> = 2..4;
    pub const IDENT: Range<usize> = 4..6;
    /// Flags (3 bits) and fragment offset (13 bits, in 8-byte units).
    pub const FLG_OFF: Range<usize> = 6..8;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: Range<usize> = 10..12;
    pub const SRC_ADDR: Range<usize> = 12..16;
    pub const DST_ADDR: Range<usize> = 16..20;
}

/// Header length without options.
pub const HEADER_LEN: usize = field::DST_ADDR.end;

pub const FLAG_RESERVED: u16 = 0x8000;
pub const FLAG_DF: u16 = 0x4000;
pub const FLAG_MF: u16 = 0x2000;

/// Zero-copy view of an IPv4 header (and what follows it in the buffer).
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    buffer: &'a [u8],
}

impl<'a> Packet<'a> {
    /// `None` unless the fixed header is present and IHL is at least 5 and
    /// fits in the buffer.
    pub fn new_checked(buffer: &'a [u8]) -> Option<Packet<'a>> {
        let p = Packet { buffer };
        (buffer.len() >= HEADER_LEN
            && p.header_len() >= HEADER_LEN
            && p.header_len() <= buffer.len())
        .then_some(p)
    }
    pub fn version(&self) -> u8 {
        u8_at(self.buffer, field::VER_IHL) >> 4
    }
    /// Header length in bytes (IHL × 4).
    pub fn header_len(&self) -> usize {
        usize::from(u8_at(self.buffer, field::VER_IHL) & 0x0f) * 4
    }
    pub fn dscp(&self) -> u8 {
        u8_at(self.buffer, field::DSCP_ECN) >> 2
    }
    pub fn ecn(&self) -> u8 {
        u8_at(self.buffer, field::DSCP_ECN) & 0x03
    }
    pub fn total_len(&self) -> u16 {
        u16_at(self.buffer, field::LENGTH)
    }
    pub fn ident(&self) -> u16 {
        u16_at(self.buffer, field::IDENT)
    }
    pub fn dont_frag(&self) -> bool {
        u16_at(self.buffer, field::FLG_OFF) & FLAG_DF != 0
    }
    pub fn more_frags(&self) -> bool {
        u16_at(self.buffer, field::FLG_OFF) & FLAG_MF != 0
    }
    /// Fragment offset in bytes.
    pub fn frag_offset(&self) -> usize {
        usize::from(u16_at(self.buffer, field::FLG_OFF) & 0x1fff) * 8
    }
    pub fn ttl(&self) -> u8 {
        u8_at(self.buffer, field::TTL)
    }
    pub fn protocol(&self) -> Protocol {
        Protocol::from(u8_at(self.buffer, field::PROTOCOL))
    }
    pub fn checksum(&self) -> u16 {
        u16_at(self.buffer, field::CHECKSUM)
    }
    pub fn src_addr(&self) -> Ipv4Addr {
        addr(self.buffer.get(field::SRC_ADDR).unwrap_or(&[0; 4]))
    }
    pub fn dst_addr(&self) -> Ipv4Addr {
        addr(self.buffer.get(field::DST_ADDR).unwrap_or(&[0; 4]))
    }
    pub fn options(&self) -> &'a [u8] {
        self.buffer
            .get(HEADER_LEN..self.header_len())
            .unwrap_or(&[])
    }
}

/// `addr(b).to_string()`, without the formatting machinery: two of
/// these in every IPv4 header.
fn addr_text(b: &[u8]) -> String {
    let mut s = crate::text::spare(15);
    crate::text::push_ipv4(&mut s, addr(b).octets());
    s
}

pub(crate) fn addr(b: &[u8]) -> Ipv4Addr {
    match <[u8; 4]>::try_from(b) {
        Ok(a) => Ipv4Addr::from(a),
        Err(_) => Ipv4Addr::UNSPECIFIED,
    }
}

/// Names for the DiffServ code points a learner may meet.
pub fn dscp_name(v: u8) -> Option<&'static str> {
    Some(match v {
        0 => "CS0, default",
        1 => "LE",
        8 => "CS1",
        10 => "AF11",
        12 => "AF12",
        14 => "AF13",
        16 => "CS2",
        18 => "AF21",
        20 => "AF22",
        22 => "AF23",
        24 => "CS3",
        26 => "AF31",
        28 => "AF32",
        30 => "AF33",
        32 => "CS4",
        34 => "AF41",
        36 => "AF42",
        38 => "AF43",
        40 => "CS5",
        44 => "VOICE-ADMIT",
        46 => "EF",
        48 => "CS6",
        56 => "CS7",
        _ => return None,
    })
}

pub fn ecn_name(v: u8) -> &'static str {
    match v & 3 {
        0 => "Not-ECT",
        1 => "ECT(1)",
        2 => "ECT(0)",
        _ => "CE",
    }
}

/// `8 (CS1)`.
pub(crate) fn dscp_text(v: u8) -> String {
    match dscp_name(v) {
        Some(n) => value(&[N(v.into()), T(" ("), T(n), T(")")]),
        None => decimal(v.into()),
    }
}

pub(crate) fn flag_bit(v: u32) -> String {
    value(&[T(if v != 0 { "1 (set)" } else { "0" })])
}

fn flags_text(v: u32) -> String {
    let names = [
        (4, "Reserved bit"),
        (2, "Don't fragment"),
        (1, "More fragments"),
    ];
    let mut s = value(&[T("0x"), Hex(v.into(), 1)]);
    for (i, (_, name)) in names.iter().filter(|(bit, _)| v & bit != 0).enumerate() {
        s.push_str(if i == 0 { " (" } else { ", " });
        s.push_str(name);
    }
    if v & 7 != 0 {
        s.push(')');
    }
    s
}

/// Names the options in an IPv4 options area (the walk stops at anything malformed).
fn options_text(opts: &[u8]) -> String {
    let mut names = Vec::new();
    let mut i = 0;
    while let Some(&kind) = opts.get(i) {
        let name = match kind {
            0 => "EOL",
            1 => "NOP",
            7 => "Record Route",
            68 => "Timestamp",
            130 => "Security",
            131 => "Loose Source Route",
            137 => "Strict Source Route",
            148 => "Router Alert",
            _ => "",
        };
        let label = if name.is_empty() {
            format!("type {kind}")
        } else {
            name.to_string()
        };
        if kind == 0 {
            names.push(label);
            break;
        }
        if kind == 1 {
            names.push(label);
            i += 1;
            continue;
        }
        match opts.get(i + 1).map(|&l| usize::from(l)) {
            Some(len) if len >= 2 && i + len <= opts.len() => {
                names.push(format!("{label} ({len} bytes)"));
                i += len;
            }
            _ => {
                names.push(format!("{label} (bad length)"));
                break;
            }
        }
    }
    format!("{} ({})", hex(opts), names.join(", "))
}

/// Pushes the IPv4 layer; returns where its payload is.
pub(crate) fn dissect(frame: &[u8], start: usize, d: &mut Dissection) -> Result<Upper, Stop> {
    let mut b = LayerBuilder::new(frame, LayerKind::Network, Header::Ipv4, start, frame.len());
    let version = b.bits("version", 0, 4, |v| decimal(v.into()));
    let ihl = b.bits("header length", 4, 4, |v| {
        value(&[N(v.into()), T(" ("), N(u64::from(v) * 4), T(" bytes)")])
    });
    b.bits("DSCP", 8, 6, |v| dscp_text(v as u8));
    b.bits("ECN", 14, 2, |v| {
        value(&[N(v.into()), T(" ("), T(ecn_name(v as u8)), T(")")])
    });
    b.bytes("total length", field::LENGTH, |s| {
        decimal(u16_at(s, 0..2).into())
    });
    b.bytes("identification", field::IDENT, |s| {
        let v = u16_at(s, 0..2).into();
        value(&[T("0x"), Hex(v, 4), T(" ("), N(v), T(")")])
    });
    b.bits("flags", 48, 3, flags_text);
    b.bits("flags.reserved", 48, 1, flag_bit);
    b.bits("flags.DF", 49, 1, flag_bit);
    b.bits("flags.MF", 50, 1, flag_bit);
    b.bits("fragment offset", 51, 13, |v| {
        if v == 0 {
            "0".to_string()
        } else {
            value(&[N(v.into()), T(" ("), N(u64::from(v) * 8), T(" bytes)")])
        }
    });
    b.bytes("TTL", field::TTL..field::TTL + 1, |s| {
        decimal(u8_at(s, 0).into())
    });
    b.bytes("protocol", field::PROTOCOL..field::PROTOCOL + 1, |s| {
        protocol_text(u8_at(s, 0))
    });
    b.bytes("header checksum", field::CHECKSUM, |s| {
        value(&[T("0x"), Hex(u16_at(s, 0..2).into(), 4)])
    });
    b.bytes("source", field::SRC_ADDR, addr_text);
    b.bytes("destination", field::DST_ADDR, addr_text);

    let captured = b.captured();
    let header_len = ihl.map(|v| v as usize * 4).unwrap_or(HEADER_LEN);
    if let Some(v) = version.filter(|&v| v != 4) {
        d.layers.push(b.finish(HEADER_LEN));
        return Err(Stop::WrongVersion {
            header: Header::Ipv4,
            found: v as u8,
        });
    }
    if captured < HEADER_LEN {
        let msg = b.truncated(HEADER_LEN);
        d.layers.push(b.finish(HEADER_LEN));
        return Err(msg);
    }
    if header_len < HEADER_LEN {
        d.layers.push(b.finish(HEADER_LEN));
        return Err(Stop::BelowMinimum {
            field: LengthField::Ipv4HeaderLength,
            says: header_len,
            minimum: HEADER_LEN,
        });
    }
    if header_len > captured {
        d.layers.push(b.finish(header_len));
        return Err(Stop::BeyondData {
            field: LengthField::Ipv4HeaderLength,
            says: header_len,
            available: captured,
        });
    }
    if header_len > HEADER_LEN {
        b.bytes("options", HEADER_LEN..header_len, options_text);
    }
    d.layers.push(b.finish(header_len));

    let rest = frame.get(start..).unwrap_or(&[]);
    // Checked above: the header is all there and IHL is sane.
    let p = Packet::new_checked(rest).ok_or(Stop::Truncated {
        header: Header::Ipv4,
        needed: header_len,
        captured,
        cut: None,
    })?;
    d.ip_src = Some(addr_text(&p.src_addr().octets()));
    d.ip_dst = Some(addr_text(&p.dst_addr().octets()));
    d.ttl = Some(p.ttl());
    d.ip_id = Some(p.ident());

    let total = usize::from(p.total_len());
    if total < header_len {
        return Err(Stop::BelowMinimum {
            field: LengthField::Ipv4TotalLength,
            says: total,
            minimum: header_len,
        });
    }
    if total > captured {
        return Err(Stop::BeyondData {
            field: LengthField::Ipv4TotalLength,
            says: total,
            available: captured,
        });
    }
    Ok(Upper {
        ip: Header::Ipv4,
        protocol: p.protocol(),
        start: start + header_len,
        end: start + total,
        more_fragments: p.more_frags(),
        fragment_offset: p.frag_offset(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::testdata::*;

    #[test]
    fn view_reads_real_header() {
        // Frame 1 of the loopback capture: UDP 127.0.0.1:53122 → 127.0.0.1:5000.
        let f = frame(UDP4_HELLO);
        let p = Packet::new_checked(&f[14..]).unwrap();
        assert_eq!(p.version(), 4);
        assert_eq!(p.header_len(), 20);
        assert_eq!(p.total_len(), 33);
        assert_eq!(p.ident(), 0x885c);
        assert!(p.dont_frag());
        assert!(!p.more_frags());
        assert_eq!(p.ttl(), 64);
        assert_eq!(p.protocol(), Protocol::Udp);
        assert_eq!(p.checksum(), 0xb46d);
        assert_eq!(p.src_addr(), Ipv4Addr::LOCALHOST);
        assert!(p.options().is_empty());
    }

    #[test]
    fn view_rejects_bad_ihl() {
        let mut f = frame(UDP4_HELLO);
        f[14] = 0x44;
        assert!(Packet::new_checked(&f[14..]).is_none());
        f[14] = 0x4f;
        assert!(Packet::new_checked(&f[14..40]).is_none());
    }

    #[test]
    fn texts() {
        assert_eq!(flags_text(2), "0x2 (Don't fragment)");
        assert_eq!(flags_text(0), "0x0");
        assert_eq!(dscp_text(46), "46 (EF)");
        assert_eq!(dscp_text(5), "5");
        assert_eq!(
            options_text(&[148, 4, 0, 0]),
            "94 04 00 00 (Router Alert (4 bytes))"
        );
        assert_eq!(
            options_text(&[1, 7, 9]),
            "01 07 09 (NOP, Record Route (bad length))"
        );
    }
}

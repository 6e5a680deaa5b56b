//! IPv6 (RFC 8200): a fixed 40-byte header, then a chain of extension
//! headers, each naming the next, until the upper-layer protocol.

use super::builder::{LayerBuilder, hex, u8_at, u16_at, u32_at};
use super::ip::{Protocol, Upper, protocol_text};
use super::ipv4::{dscp_name, ecn_name, flag_bit};
use super::stop::{Extension, Header, LengthField, Stop};
use super::{Dissection, LayerKind};
use std::net::Ipv6Addr;

pub mod field {
    use core::ops::Range;
    /// Version (4 bits), traffic class (8 bits), flow label (20 bits).
    pub const VER_TC_FLOW: Range<usize> = 0..4;
    pub const LENGTH: Range<usize> = 4..6;
    pub const NXT_HDR: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC_ADDR: Range<usize> = 8..24;
    pub const DST_ADDR: Range<usize> = 24..40;
}

pub const HEADER_LEN: usize = field::DST_ADDR.end;

/// Extension headers are walked at most this many times (each is at least
/// 8 bytes, so the walk ends anyway; this only bounds silly chains).
const MAX_EXT_HEADERS: usize = 32;

/// Zero-copy view of an IPv6 header.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    buffer: &'a [u8],
}

impl<'a> Packet<'a> {
    /// `None` if the fixed 40-byte header is not all there.
    pub fn new_checked(buffer: &'a [u8]) -> Option<Packet<'a>> {
        (buffer.len() >= HEADER_LEN).then_some(Packet { buffer })
    }
    fn first_word(&self) -> u32 {
        u32_at(self.buffer, field::VER_TC_FLOW)
    }
    pub fn version(&self) -> u8 {
        (self.first_word() >> 28) as u8
    }
    pub fn traffic_class(&self) -> u8 {
        (self.first_word() >> 20) as u8
    }
    pub fn flow_label(&self) -> u32 {
        self.first_word() & 0x000f_ffff
    }
    pub fn payload_len(&self) -> u16 {
        u16_at(self.buffer, field::LENGTH)
    }
    pub fn next_header(&self) -> Protocol {
        Protocol::from(u8_at(self.buffer, field::NXT_HDR))
    }
    pub fn hop_limit(&self) -> u8 {
        u8_at(self.buffer, field::HOP_LIMIT)
    }
    pub fn src_addr(&self) -> Ipv6Addr {
        addr(self.buffer.get(field::SRC_ADDR).unwrap_or(&[0; 16]))
    }
    pub fn dst_addr(&self) -> Ipv6Addr {
        addr(self.buffer.get(field::DST_ADDR).unwrap_or(&[0; 16]))
    }
}

pub(crate) fn addr(b: &[u8]) -> Ipv6Addr {
    match <[u8; 16]>::try_from(b) {
        Ok(a) => Ipv6Addr::from(a),
        Err(_) => Ipv6Addr::UNSPECIFIED,
    }
}

/// Length in bytes of the extension header `nh` at the start of `bytes`, or
/// `None` if `nh` is not an extension header we walk or its length byte is
/// missing.
pub fn ext_header_len(nh: Protocol, bytes: &[u8]) -> Option<usize> {
    let l = usize::from(*bytes.get(1)?);
    match nh {
        Protocol::HopByHop | Protocol::Ipv6Route | Protocol::Ipv6Opts => Some((l + 1) * 8),
        Protocol::Ipv6Frag => Some(8),
        // AH counts in 32-bit words, minus 2 (RFC 4302).
        Protocol::Ah => Some((l + 2) * 4),
        _ => None,
    }
}

/// Follows extension headers from `nh` at the start of `bytes`; returns the
/// upper-layer protocol and its offset in `bytes`, if the chain fits.
pub fn upper_layer(mut nh: Protocol, bytes: &[u8]) -> Option<(Protocol, usize)> {
    let mut off = 0usize;
    for _ in 0..MAX_EXT_HEADERS {
        let rest = bytes.get(off..)?;
        let Some(len) = ext_header_len(nh, rest) else {
            return Some((nh, off));
        };
        if len > rest.len() {
            return None;
        }
        nh = Protocol::from(*rest.first()?);
        off += len;
    }
    None
}

fn traffic_class_text(v: u32) -> String {
    let dscp = (v >> 2) as u8;
    let dscp = match dscp_name(dscp) {
        Some(n) => n.split(',').next().unwrap_or(n).to_string(),
        None => dscp.to_string(),
    };
    format!("0x{v:02x} (DSCP {dscp}, ECN {})", ecn_name(v as u8))
}

/// Names the TLV options of a Hop-by-Hop or Destination options header.
fn tlv_options_text(opts: &[u8]) -> String {
    let mut names = Vec::new();
    let mut i = 0usize;
    while let Some(&kind) = opts.get(i) {
        if kind == 0 {
            names.push("Pad1".to_string());
            i += 1;
            continue;
        }
        let Some(len) = opts.get(i + 1).map(|&l| usize::from(l) + 2) else {
            names.push(format!("type {kind} (cut off)"));
            break;
        };
        let name = match kind {
            1 => "PadN".to_string(),
            5 => "Router Alert".to_string(),
            194 => "Jumbo Payload".to_string(),
            201 => "Home Address".to_string(),
            other => format!("type {other}"),
        };
        names.push(format!("{name} ({len} bytes)"));
        i += len;
    }
    format!("{} ({})", hex(opts), names.join(", "))
}

fn routing_type_text(v: u8) -> String {
    let name = match v {
        0 => "Source Route, deprecated",
        2 => "Type 2, Mobile IPv6",
        3 => "RPL",
        4 => "Segment Routing",
        _ => return v.to_string(),
    };
    format!("{v} ({name})")
}

/// The extension headers this course walks, with the prefix their fields get.
fn extension(nh: Protocol) -> Option<(Extension, &'static str)> {
    Some(match nh {
        Protocol::HopByHop => (Extension::HopByHop, "hop-by-hop"),
        Protocol::Ipv6Route => (Extension::Routing, "routing"),
        Protocol::Ipv6Frag => (Extension::Fragment, "fragment"),
        Protocol::Ipv6Opts => (Extension::DestinationOptions, "destination options"),
        Protocol::Ah => (Extension::Authentication, "AH"),
        _ => return None,
    })
}

/// Next header, payload length, reserved, SPI and sequence number (RFC 4302).
const AH_FIXED_LEN: usize = 12;

/// Pushes the fields of the extension header at header-relative `off`, `len`
/// bytes long by its length field; returns the fragment offset (in bytes)
/// and M flag when it is a Fragment header that arrived whole.
fn extension_fields(
    b: &mut LayerBuilder,
    ext: Extension,
    prefix: &str,
    off: usize,
    len: usize,
) -> Option<(usize, bool)> {
    b.bytes(format!("{prefix}.next header"), off..off + 1, |s| {
        protocol_text(u8_at(s, 0))
    });
    let bit = off * 8;
    match ext {
        Extension::Fragment => {
            b.bytes("fragment.reserved", off + 1..off + 2, |s| {
                u8_at(s, 0).to_string()
            });
            let fo = b.bits("fragment.offset", bit + 16, 13, |v| {
                if v == 0 {
                    "0".to_string()
                } else {
                    format!("{v} ({} bytes)", v * 8)
                }
            });
            b.bits("fragment.reserved bits", bit + 29, 2, |v| v.to_string());
            let m = b.bits("fragment.more fragments", bit + 31, 1, flag_bit);
            b.bytes("fragment.identification", off + 4..off + 8, |s| {
                format!("0x{:08x}", u32_at(s, 0..4))
            });
            Some((fo? as usize * 8, m? == 1))
        }
        Extension::Authentication => {
            b.bytes("AH.length", off + 1..off + 2, |s| {
                format!("{} ({len} bytes)", u8_at(s, 0))
            });
            b.bytes("AH.reserved", off + 2..off + 4, hex);
            b.bytes("AH.SPI", off + 4..off + 8, |s| {
                format!("0x{:08x}", u32_at(s, 0..4))
            });
            b.bytes("AH.sequence number", off + 8..off + 12, |s| {
                u32_at(s, 0..4).to_string()
            });
            b.bytes("AH.ICV", off + 12..off + len, hex);
            None
        }
        Extension::Routing => {
            b.bytes("routing.length", off + 1..off + 2, |s| {
                format!("{} ({len} bytes)", u8_at(s, 0))
            });
            b.bytes("routing.type", off + 2..off + 3, |s| {
                routing_type_text(u8_at(s, 0))
            });
            b.bytes("routing.segments left", off + 3..off + 4, |s| {
                u8_at(s, 0).to_string()
            });
            b.bytes("routing.data", off + 4..off + len, hex);
            None
        }
        Extension::HopByHop | Extension::DestinationOptions => {
            b.bytes(format!("{prefix}.length"), off + 1..off + 2, |s| {
                format!("{} ({len} bytes)", u8_at(s, 0))
            });
            b.bytes(
                format!("{prefix}.options"),
                off + 2..off + len,
                tlv_options_text,
            );
            None
        }
    }
}

/// Pushes the IPv6 layer (fixed header plus extension headers); returns where
/// the upper-layer data is.
pub(crate) fn dissect(frame: &[u8], start: usize, d: &mut Dissection) -> Result<Upper, Stop> {
    let mut b = LayerBuilder::new(frame, LayerKind::Network, Header::Ipv6, start, frame.len());
    let version = b.bits("version", 0, 4, |v| v.to_string());
    b.bits("traffic class", 4, 8, traffic_class_text);
    b.bits("flow label", 12, 20, |v| format!("0x{v:05x}"));
    b.bytes("payload length", field::LENGTH, |s| {
        u16_at(s, 0..2).to_string()
    });
    b.bytes("next header", field::NXT_HDR..field::NXT_HDR + 1, |s| {
        protocol_text(u8_at(s, 0))
    });
    b.bytes("hop limit", field::HOP_LIMIT..field::HOP_LIMIT + 1, |s| {
        u8_at(s, 0).to_string()
    });
    b.bytes("source", field::SRC_ADDR, |s| addr(s).to_string());
    b.bytes("destination", field::DST_ADDR, |s| addr(s).to_string());

    if let Some(v) = version.filter(|&v| v != 6) {
        d.layers.push(b.finish(HEADER_LEN));
        return Err(Stop::WrongVersion {
            header: Header::Ipv6,
            found: v as u8,
        });
    }
    let captured = b.captured();
    let Some(p) = frame.get(start..).and_then(Packet::new_checked) else {
        let stop = b.truncated(HEADER_LEN);
        d.layers.push(b.finish(HEADER_LEN));
        return Err(stop);
    };
    d.ip_src = Some(p.src_addr().to_string());
    d.ip_dst = Some(p.dst_addr().to_string());
    d.ttl = Some(p.hop_limit());

    let payload_len = usize::from(p.payload_len());
    let after = captured - HEADER_LEN;
    if payload_len > after {
        d.layers.push(b.finish(HEADER_LEN));
        return Err(Stop::BeyondData {
            field: LengthField::Ipv6PayloadLength,
            says: payload_len,
            available: after,
        });
    }
    // Header-relative end of this packet (bytes beyond are Ethernet padding).
    let end = HEADER_LEN + payload_len;

    let mut nh = p.next_header();
    let mut off = HEADER_LEN;
    let mut more_fragments = false;
    let mut fragment_offset = 0usize;
    for _ in 0..MAX_EXT_HEADERS {
        let Some((ext, prefix)) = extension(nh) else {
            break;
        };
        let remain = end - off;
        let field = LengthField::Ipv6Extension {
            header: ext,
            offset: start + off,
        };
        let bytes = b.get(off..end).unwrap_or(&[]);
        let Some(len) = ext_header_len(nh, bytes) else {
            // At most the next-header byte arrived: show it, and stop.
            b.bytes(format!("{prefix}.next header"), off..end, |s| {
                protocol_text(u8_at(s, 0))
            });
            d.layers.push(b.finish(end));
            return Err(Stop::NoLengthByte {
                field,
                available: remain,
            });
        };
        // Fields stay inside this header, and inside the packet.
        let fits = len.min(remain);
        b.limit_to(off + fits);
        let fragment = extension_fields(&mut b, ext, prefix, off, len);
        b.limit_to(end);
        if ext == Extension::Authentication && len < AH_FIXED_LEN {
            d.layers.push(b.finish(off + fits));
            return Err(Stop::BelowMinimum {
                field,
                says: len,
                minimum: AH_FIXED_LEN,
            });
        }
        if len > remain {
            d.layers.push(b.finish(end));
            return Err(Stop::BeyondData {
                field,
                says: len,
                available: remain,
            });
        }
        if let Some((fo, m)) = fragment {
            fragment_offset = fo;
            more_fragments = m;
        }
        nh = Protocol::from(u8_at(bytes, 0));
        off += len;
    }
    d.layers.push(b.finish(off));
    Ok(Upper {
        ip: Header::Ipv6,
        protocol: nh,
        start: start + off,
        end: start + end,
        more_fragments,
        fragment_offset,
    })
}

/// The IPv6 header of a quoted datagram: addresses, upper protocol and the
/// upper header's offset (`None` when the extension chain is cut off).
pub(crate) fn quoted(bytes: &[u8]) -> Option<(Ipv6Addr, Ipv6Addr, Protocol, Option<usize>)> {
    let p = Packet::new_checked(bytes)?;
    let after = bytes.get(HEADER_LEN..).unwrap_or(&[]);
    Some(match upper_layer(p.next_header(), after) {
        Some((proto, off)) => (p.src_addr(), p.dst_addr(), proto, Some(HEADER_LEN + off)),
        None => (p.src_addr(), p.dst_addr(), p.next_header(), None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::dissect;
    use crate::dissect::testdata::*;

    #[test]
    fn view_reads_real_header() {
        // ::1 → ::1 UDP, captured on lo.
        let f = frame(UDP6_HI);
        let p = Packet::new_checked(&f[14..]).unwrap();
        assert_eq!(p.version(), 6);
        assert_eq!(p.traffic_class(), 0);
        assert_eq!(p.flow_label(), 0xc4831);
        assert_eq!(p.payload_len(), 11);
        assert_eq!(p.next_header(), Protocol::Udp);
        assert_eq!(p.hop_limit(), 64);
        assert_eq!(p.src_addr(), Ipv6Addr::LOCALHOST);
        assert!(Packet::new_checked(&f[14..53]).is_none());
    }

    #[test]
    fn walks_extension_chain() {
        // Hop-by-hop (8 bytes, PadN) then UDP.
        let f = frame(UDP6_HOPOPTS);
        assert_eq!(
            upper_layer(Protocol::HopByHop, &f[54..]),
            Some((Protocol::Udp, 8))
        );
        // A chain that claims more bytes than there are.
        assert_eq!(upper_layer(Protocol::HopByHop, &[17, 3, 0, 0]), None);
        assert_eq!(upper_layer(Protocol::Tcp, &[]), Some((Protocol::Tcp, 0)));
    }

    fn ipv6_layer(d: &Dissection) -> &crate::dissect::Layer {
        d.layers.iter().find(|l| l.protocol == "IPv6").unwrap()
    }

    /// `UDP6_HI` with an AH header (payload length byte `ah_len`) before UDP.
    fn udp6_behind_ah(ah_len: u8) -> Vec<u8> {
        let mut f = frame(UDP6_HI);
        let ah = [17, ah_len, 0, 0, 0, 0, 0x10, 0x01, 0, 0, 0, 5];
        f.splice(54..54, ah);
        f[20] = 51;
        f[18..20].copy_from_slice(&(11u16 + 12).to_be_bytes());
        f
    }

    #[test]
    fn extension_header_fields_stay_inside_the_layer() {
        // A well-formed AH (12 bytes) is walked to the UDP behind it.
        let f = udp6_behind_ah(1);
        let d = dissect(&f);
        assert_eq!(d.stopped, None);
        assert_eq!(d.check_layout(f.len()), Ok(()));
        let ip = ipv6_layer(&d);
        assert_eq!((ip.offset, ip.length), (14, 52));
        assert_eq!(ip.value("AH.length"), Some("1 (12 bytes)"));
        assert_eq!(ip.value("AH.sequence number"), Some("5"));
        assert_eq!(d.udp.as_ref().map(|u| u.dst_port), Some(5000));

        // AH length 0 says 8 bytes: too short for its own sequence number, which
        // used to be shown at bytes 62..66, past the layer's end at 62.
        let f = udp6_behind_ah(0);
        let d = dissect(&f);
        assert_eq!(d.check_layout(f.len()), Ok(()));
        assert_eq!(
            d.stopped.as_ref().map(|s| s.to_string()).as_deref(),
            Some(
                "IPv6: the Authentication extension header at offset 54 says 8 bytes, less than the 12 bytes of its fixed fields"
            )
        );
        let ip = ipv6_layer(&d);
        assert_eq!((ip.offset, ip.length), (14, 48));
        assert_eq!(ip.value("AH.SPI"), Some("0x00001001"));
        assert_eq!(ip.field("AH.sequence number"), None);

        // A Hop-by-Hop header longer than the packet: its next-header byte (54)
        // used to be shown in a layer that ended at 54.
        let mut f = frame(UDP6_HOPOPTS);
        f[18..20].copy_from_slice(&5u16.to_be_bytes());
        let d = dissect(&f);
        assert_eq!(d.check_layout(f.len()), Ok(()));
        assert_eq!(
            d.stopped.as_ref().map(|s| s.to_string()).as_deref(),
            Some(
                "IPv6: the Hop-by-Hop options extension header at offset 54 says 8 bytes but only 5 are left in the packet"
            )
        );
        let ip = ipv6_layer(&d);
        assert_eq!((ip.offset, ip.length), (14, 45));
        assert_eq!(ip.value("hop-by-hop.next header"), Some("17 (UDP)"));
        assert_eq!(ip.field("hop-by-hop.options"), None);

        // One byte of a Fragment header: shown, then the stop.
        let mut f = frame(UDP6_HI);
        f[20] = 44;
        f[18..20].copy_from_slice(&1u16.to_be_bytes());
        let d = dissect(&f);
        assert_eq!(d.check_layout(f.len()), Ok(()));
        assert_eq!(
            d.stopped.as_ref().map(|s| s.to_string()).as_deref(),
            Some(
                "IPv6: the Fragment extension header at offset 54 is cut off: only 1 byte left in the packet"
            )
        );
        assert_eq!(ipv6_layer(&d).length, 41);
    }

    #[test]
    fn option_names() {
        assert_eq!(
            tlv_options_text(&[1, 4, 0, 0, 0, 0]),
            "01 04 00 00 00 00 (PadN (6 bytes))"
        );
        assert_eq!(tlv_options_text(&[0, 5]), "00 05 (Pad1, type 5 (cut off))");
        assert_eq!(traffic_class_text(0xb8), "0xb8 (DSCP EF, ECN Not-ECT)");
    }
}

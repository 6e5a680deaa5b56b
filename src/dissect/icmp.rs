//! ICMP (RFC 792) and ICMPv6 (RFC 4443): type, code, checksum, four bytes
//! whose meaning depends on the type, then a body. Error messages quote the
//! start of the datagram that caused them, which is how the sender learns
//! which socket the error belongs to.

use super::builder::{LayerBuilder, hex, slice_at, u8_at, u16_at, u32_at};
use super::enums::enum_with_unknown;
use super::ethernet::Address as MacAddress;
use super::ip::{Protocol, Upper, protocol_text};
use super::ipv4::{self, flag_bit};
use super::stop::{Header, Stop};
use super::{Dissection, IcmpInfo, LayerKind, Quoted, ipv6, payload};

pub mod field {
    use core::ops::Range;
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: Range<usize> = 2..4;
    /// The type-specific "rest of header".
    pub const REST: Range<usize> = 4..8;
    pub const ECHO_IDENT: Range<usize> = 4..6;
    pub const ECHO_SEQNO: Range<usize> = 6..8;
    pub const BODY: usize = 8;
}

pub const HEADER_LEN: usize = field::BODY;

enum_with_unknown! {
    /// ICMP (v4) message types, with Wireshark's wording.
    pub enum Message(u8) {
        EchoReply = 0 => "Echo (ping) reply",
        DstUnreachable = 3 => "Destination unreachable",
        SourceQuench = 4 => "Source quench",
        Redirect = 5 => "Redirect",
        EchoRequest = 8 => "Echo (ping) request",
        RouterAdvert = 9 => "Router advertisement",
        RouterSolicit = 10 => "Router solicitation",
        TimeExceeded = 11 => "Time-to-live exceeded",
        ParamProblem = 12 => "Parameter problem",
        Timestamp = 13 => "Timestamp request",
        TimestampReply = 14 => "Timestamp reply",
    }
}

impl Message {
    /// Error messages quote the offending datagram.
    pub fn is_error(self) -> bool {
        matches!(
            self,
            Message::DstUnreachable
                | Message::SourceQuench
                | Message::Redirect
                | Message::TimeExceeded
                | Message::ParamProblem
        )
    }
    pub fn code_name(self, code: u8) -> Option<&'static str> {
        Some(match (self, code) {
            (Message::DstUnreachable, 0) => "Network unreachable",
            (Message::DstUnreachable, 1) => "Host unreachable",
            (Message::DstUnreachable, 2) => "Protocol unreachable",
            (Message::DstUnreachable, 3) => "Port unreachable",
            (Message::DstUnreachable, 4) => "Fragmentation needed",
            (Message::DstUnreachable, 5) => "Source route failed",
            (Message::DstUnreachable, 6) => "Destination network unknown",
            (Message::DstUnreachable, 7) => "Destination host unknown",
            (Message::DstUnreachable, 8) => "Source host isolated",
            (Message::DstUnreachable, 9) => "Network administratively prohibited",
            (Message::DstUnreachable, 10) => "Host administratively prohibited",
            (Message::DstUnreachable, 11) => "Network unreachable for TOS",
            (Message::DstUnreachable, 12) => "Host unreachable for TOS",
            (Message::DstUnreachable, 13) => "Communication administratively filtered",
            (Message::DstUnreachable, 14) => "Host precedence violation",
            (Message::DstUnreachable, 15) => "Precedence cutoff in effect",
            (Message::Redirect, 0) => "Redirect for network",
            (Message::Redirect, 1) => "Redirect for host",
            (Message::Redirect, 2) => "Redirect for TOS and network",
            (Message::Redirect, 3) => "Redirect for TOS and host",
            (Message::TimeExceeded, 0) => "Time to live exceeded in transit",
            (Message::TimeExceeded, 1) => "Fragment reassembly time exceeded",
            (Message::ParamProblem, 0) => "Pointer indicates the error",
            (Message::ParamProblem, 1) => "Missing a required option",
            (Message::ParamProblem, 2) => "Bad length",
            _ => return None,
        })
    }
}

enum_with_unknown! {
    /// ICMPv6 message types, with Wireshark's wording.
    pub enum Message6(u8) {
        DstUnreachable = 1 => "Destination unreachable",
        PktTooBig = 2 => "Packet too big",
        TimeExceeded = 3 => "Time exceeded",
        ParamProblem = 4 => "Parameter problem",
        EchoRequest = 128 => "Echo (ping) request",
        EchoReply = 129 => "Echo (ping) reply",
        MldQuery = 130 => "Multicast listener query",
        MldReport = 131 => "Multicast listener report",
        RouterSolicit = 133 => "Router solicitation",
        RouterAdvert = 134 => "Router advertisement",
        NeighborSolicit = 135 => "Neighbor solicitation",
        NeighborAdvert = 136 => "Neighbor advertisement",
        Redirect = 137 => "Redirect",
        MldV2Report = 143 => "Multicast listener report v2",
    }
}

impl Message6 {
    /// Types below 128 are errors (RFC 4443 §2.1).
    pub fn is_error(self) -> bool {
        u8::from(self) < 128
    }
    pub fn code_name(self, code: u8) -> Option<&'static str> {
        Some(match (self, code) {
            (Message6::DstUnreachable, 0) => "No route to destination",
            (Message6::DstUnreachable, 1) => "Administratively prohibited",
            (Message6::DstUnreachable, 2) => "Beyond scope of source address",
            (Message6::DstUnreachable, 3) => "Address unreachable",
            (Message6::DstUnreachable, 4) => "Port unreachable",
            (Message6::DstUnreachable, 5) => "Source address failed policy",
            (Message6::DstUnreachable, 6) => "Reject route to destination",
            (Message6::TimeExceeded, 0) => "Hop limit exceeded in transit",
            (Message6::TimeExceeded, 1) => "Fragment reassembly time exceeded",
            (Message6::ParamProblem, 0) => "Erroneous header field",
            (Message6::ParamProblem, 1) => "Unrecognized next header",
            (Message6::ParamProblem, 2) => "Unrecognized IPv6 option",
            _ => return None,
        })
    }
}

/// Type, code and meaning, independent of the IP version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Kind {
    v6: bool,
    ty: u8,
    code: u8,
}

impl Kind {
    fn type_name(self) -> Option<&'static str> {
        if self.v6 {
            Message6::from(self.ty).name()
        } else {
            Message::from(self.ty).name()
        }
    }
    fn code_name(self) -> Option<&'static str> {
        if self.v6 {
            Message6::from(self.ty).code_name(self.code)
        } else {
            Message::from(self.ty).code_name(self.code)
        }
    }
    fn is_error(self) -> bool {
        if self.v6 {
            Message6::from(self.ty).is_error()
        } else {
            Message::from(self.ty).is_error()
        }
    }
    fn is_echo(self) -> bool {
        if self.v6 {
            matches!(
                Message6::from(self.ty),
                Message6::EchoRequest | Message6::EchoReply
            )
        } else {
            matches!(
                Message::from(self.ty),
                Message::EchoRequest | Message::EchoReply
            )
        }
    }
    /// `Destination unreachable: port unreachable`.
    fn description(self) -> String {
        let ty = match self.type_name() {
            Some(n) => n.to_string(),
            None => format!("Type {}", self.ty),
        };
        match self.code_name() {
            Some(c) => format!("{ty}: {}", lower_first(c)),
            None if self.code != 0 => format!("{ty}: code {}", self.code),
            None => ty,
        }
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Zero-copy view of an ICMP or ICMPv6 message.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    buffer: &'a [u8],
}

impl<'a> Packet<'a> {
    /// `None` if the 8-byte header is not all there.
    pub fn new_checked(buffer: &'a [u8]) -> Option<Packet<'a>> {
        (buffer.len() >= HEADER_LEN).then_some(Packet { buffer })
    }
    pub fn msg_type(&self) -> u8 {
        u8_at(self.buffer, field::TYPE)
    }
    pub fn msg_code(&self) -> u8 {
        u8_at(self.buffer, field::CODE)
    }
    pub fn checksum(&self) -> u16 {
        u16_at(self.buffer, field::CHECKSUM)
    }
    pub fn echo_ident(&self) -> u16 {
        u16_at(self.buffer, field::ECHO_IDENT)
    }
    pub fn echo_seq_no(&self) -> u16 {
        u16_at(self.buffer, field::ECHO_SEQNO)
    }
    pub fn rest_of_header(&self) -> u32 {
        u32_at(self.buffer, field::REST)
    }
    pub fn data(&self) -> &'a [u8] {
        self.buffer.get(field::BODY..).unwrap_or(&[])
    }
}

/// The quoted datagram's addresses, protocol and ports, with the offsets (in
/// the quote) of each so they can become fields.
struct QuoteParse {
    q: Quoted,
    /// (name, offset, length, value)
    parts: Vec<(&'static str, usize, usize, String)>,
}

fn parse_quote(bytes: &[u8], v6: bool) -> Option<QuoteParse> {
    let mut parts = Vec::new();
    let (src, dst, proto, l4) = if v6 {
        let (s, d, p, off) = ipv6::quoted(bytes)?;
        parts.push(("original.source", 8, 16, s.to_string()));
        parts.push(("original.destination", 24, 16, d.to_string()));
        parts.push(("original.next header", 6, 1, protocol_text(p.into())));
        (s.to_string(), d.to_string(), p, off)
    } else {
        let h = slice_at(bytes, 0, ipv4::HEADER_LEN)?;
        if u8_at(h, 0) >> 4 != 4 {
            return None;
        }
        let ihl = usize::from(u8_at(h, 0) & 0x0f) * 4;
        let s = ipv4::addr(h.get(12..16)?);
        let d = ipv4::addr(h.get(16..20)?);
        let p = u8_at(h, 9);
        parts.push(("original.protocol", 9, 1, protocol_text(p)));
        parts.push(("original.source", 12, 4, s.to_string()));
        parts.push(("original.destination", 16, 4, d.to_string()));
        (
            s.to_string(),
            d.to_string(),
            Protocol::from(p),
            (ihl >= 20).then_some(ihl),
        )
    };
    let mut q = Quoted {
        src_ip: src,
        dst_ip: dst,
        protocol: proto.into(),
        src_port: None,
        dst_port: None,
    };
    // UDP, TCP and SCTP all start with the two ports.
    let ported = matches!(proto, Protocol::Udp | Protocol::Tcp | Protocol::Sctp);
    if let Some(off) = l4.filter(|_| ported)
        && let Some(ports) = slice_at(bytes, off, 4)
    {
        let (sp, dp) = (u16_at(ports, 0..2), u16_at(ports, 2..4));
        q.src_port = Some(sp);
        q.dst_port = Some(dp);
        parts.push(("original.source port", off, 2, sp.to_string()));
        parts.push(("original.destination port", off + 2, 2, dp.to_string()));
    }
    Some(QuoteParse { q, parts })
}

fn endpoint(ip: &str, port: Option<u16>) -> String {
    match port {
        Some(p) if ip.contains(':') => format!("[{ip}]:{p}"),
        Some(p) => format!("{ip}:{p}"),
        None => ip.to_string(),
    }
}

/// `UDP 127.0.0.1:53123 → 127.0.0.1:5001`.
pub(crate) fn quoted_text(q: &Quoted) -> String {
    let proto = match Protocol::from(q.protocol).name() {
        Some(n) => n.to_string(),
        None => format!("protocol {}", q.protocol),
    };
    format!(
        "{proto} {} → {}",
        endpoint(&q.src_ip, q.src_port),
        endpoint(&q.dst_ip, q.dst_port)
    )
}

/// Names the Neighbor Discovery options (RFC 4861 §4.6), each a multiple of 8 bytes.
fn nd_options_text(opts: &[u8]) -> String {
    let mut names = Vec::new();
    let mut i = 0usize;
    while let Some(&kind) = opts.get(i) {
        let len = usize::from(u8_at(opts, i + 1)) * 8;
        if len == 0 || i + len > opts.len() {
            names.push(format!("type {kind} (bad length)"));
            break;
        }
        let body = opts.get(i + 2..i + len).unwrap_or(&[]);
        names.push(match kind {
            1 | 2 => {
                let which = if kind == 1 { "source" } else { "target" };
                match body.get(0..6).and_then(MacAddress::from_bytes) {
                    Some(a) => format!("{which} link-layer address {a}"),
                    None => format!("{which} link-layer address"),
                }
            }
            3 => "prefix information".to_string(),
            4 => "redirected header".to_string(),
            5 => format!("MTU {}", u32_at(body, 2..6)),
            other => format!("type {other} ({len} bytes)"),
        });
        i += len;
    }
    names.join(", ")
}

pub(crate) fn dissect(frame: &[u8], up: &Upper, d: &mut Dissection, v6: bool) -> Result<(), Stop> {
    let header = if v6 { Header::Icmpv6 } else { Header::Icmp };
    let proto = header.as_str();
    let mut b = LayerBuilder::new(frame, LayerKind::Network, header, up.start, up.end);
    let ty = b.bytes("type", field::TYPE..field::TYPE + 1, |s| {
        let k = Kind {
            v6,
            ty: u8_at(s, 0),
            code: 0,
        };
        match k.type_name() {
            Some(n) => format!("{} ({n})", k.ty),
            None => k.ty.to_string(),
        }
    });
    let ty = ty.map(|s| u8_at(s, 0)).unwrap_or(0);
    b.bytes("code", field::CODE..field::CODE + 1, |s| {
        let k = Kind {
            v6,
            ty,
            code: u8_at(s, 0),
        };
        match k.code_name() {
            Some(n) => format!("{} ({n})", k.code),
            None => k.code.to_string(),
        }
    });
    b.bytes("checksum", field::CHECKSUM, |s| {
        format!("0x{:04x}", u16_at(s, 0..2))
    });

    let captured = b.captured();
    let Some(p) = b.get(0..captured).and_then(Packet::new_checked) else {
        b.bytes("rest of header", field::REST, hex);
        let msg = b.truncated(HEADER_LEN);
        d.layers.push(b.finish(HEADER_LEN));
        return Err(msg);
    };
    let kind = Kind {
        v6,
        ty: p.msg_type(),
        code: p.msg_code(),
    };
    let num = |s: &[u8]| be_text(s);

    // The four type-specific bytes, and how much of the body belongs to the
    // ICMP layer itself (the rest becomes a payload layer).
    let mut layer_len = captured;
    if kind.is_echo() {
        b.bytes("identifier", field::ECHO_IDENT, |s| {
            let v = u16_at(s, 0..2);
            format!("0x{v:04x} ({v})")
        });
        b.bytes("sequence number", field::ECHO_SEQNO, num);
        layer_len = HEADER_LEN;
    } else if v6 {
        match Message6::from(kind.ty) {
            Message6::PktTooBig => {
                b.bytes("MTU", field::REST, num);
            }
            Message6::ParamProblem => {
                b.bytes("pointer", field::REST, num);
            }
            Message6::NeighborAdvert => {
                b.bits("flags.router", 32, 1, flag_bit);
                b.bits("flags.solicited", 33, 1, flag_bit);
                b.bits("flags.override", 34, 1, flag_bit);
                b.bits("reserved", 35, 29, |v| v.to_string());
                b.bytes("target address", 8..24, |s| ipv6::addr(s).to_string());
                b.bytes("options", 24..captured, nd_options_text);
            }
            Message6::NeighborSolicit => {
                b.bytes("reserved", field::REST, num);
                b.bytes("target address", 8..24, |s| ipv6::addr(s).to_string());
                b.bytes("options", 24..captured, nd_options_text);
            }
            Message6::RouterSolicit => {
                b.bytes("reserved", field::REST, num);
                b.bytes("options", 8..captured, nd_options_text);
            }
            m if m.is_error() => {
                b.bytes("unused", field::REST, num);
            }
            _ => {
                b.bytes("rest of header", field::REST, hex);
                b.bytes("message body", field::BODY..captured, hex);
            }
        }
    } else {
        match Message::from(kind.ty) {
            Message::DstUnreachable if kind.code == 4 => {
                b.bytes("unused", 4..6, num);
                b.bytes("MTU", 6..8, num);
            }
            Message::Redirect => {
                b.bytes("gateway", field::REST, |s| ipv4::addr(s).to_string());
            }
            Message::ParamProblem => {
                b.bytes("pointer", 4..5, num);
                b.bytes("unused", 5..8, num);
            }
            m if m.is_error() => {
                b.bytes("unused", field::REST, num);
            }
            Message::Timestamp | Message::TimestampReply => {
                b.bytes("identifier", field::ECHO_IDENT, num);
                b.bytes("sequence number", field::ECHO_SEQNO, num);
                b.bytes("originate timestamp", 8..12, num);
                b.bytes("receive timestamp", 12..16, num);
                b.bytes("transmit timestamp", 16..20, num);
                layer_len = captured.min(20);
            }
            _ => {
                b.bytes("rest of header", field::REST, hex);
                layer_len = HEADER_LEN;
            }
        }
    }

    let mut quoted = None;
    if kind.is_error() {
        let body = p.data();
        match parse_quote(body, v6) {
            Some(qp) => {
                let summary = format!("{} ({} bytes)", quoted_text(&qp.q), body.len());
                b.bytes("original datagram", field::BODY..captured, |_| summary);
                for (name, off, len, value) in qp.parts {
                    let at = field::BODY + off;
                    b.bytes(name, at..at + len, |_| value);
                }
                quoted = Some(qp.q);
            }
            None => {
                let n = body.len();
                b.bytes("original datagram", field::BODY..captured, |_| {
                    format!("{n} bytes (too short to hold the original IP header)")
                });
            }
        }
    }
    d.layers.push(b.finish(layer_len));
    d.icmp = Some(IcmpInfo {
        protocol: proto.to_string(),
        icmp_type: kind.ty,
        code: kind.code,
        description: kind.description(),
        quoted,
    });
    // Echo data and other bodies that are not fields: show them as bytes.
    payload::push(frame, up.start + layer_len, up.end, d, false);
    Ok(())
}

/// Big-endian number as decimal.
fn be_text(s: &[u8]) -> String {
    super::builder::be(s).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_numbers_round_trip() {
        for v in 0..=255u8 {
            assert_eq!(u8::from(Message::from(v)), v);
            assert_eq!(u8::from(Message6::from(v)), v);
        }
    }

    #[test]
    fn descriptions() {
        let k = Kind {
            v6: false,
            ty: 3,
            code: 3,
        };
        assert_eq!(k.description(), "Destination unreachable: port unreachable");
        let k = Kind {
            v6: true,
            ty: 128,
            code: 0,
        };
        assert_eq!(k.description(), "Echo (ping) request");
        let k = Kind {
            v6: false,
            ty: 42,
            code: 7,
        };
        assert_eq!(k.description(), "Type 42: code 7");
        assert!(
            Kind {
                v6: true,
                ty: 1,
                code: 4
            }
            .is_error()
        );
        assert!(
            !Kind {
                v6: true,
                ty: 135,
                code: 0
            }
            .is_error()
        );
    }

    #[test]
    fn nd_options() {
        let opts = [1u8, 1, 0x02, 0, 0, 0, 0, 1];
        assert_eq!(
            nd_options_text(&opts),
            "source link-layer address 02:00:00:00:00:01"
        );
        assert_eq!(nd_options_text(&[1, 0]), "type 1 (bad length)");
    }

    #[test]
    fn quote_text() {
        let q = Quoted {
            src_ip: "::1".into(),
            dst_ip: "::1".into(),
            protocol: 17,
            src_port: Some(1),
            dst_port: Some(2),
        };
        assert_eq!(quoted_text(&q), "UDP [::1]:1 → [::1]:2");
    }
}

//! UDP (RFC 768): four 16-bit fields, then data.

use super::builder::{LayerBuilder, u16_at};
use super::ip::Upper;
use super::stop::{Header, LengthField, Stop};
use super::{Dissection, LayerKind, UdpInfo, payload};

pub mod field {
    use core::ops::Range;
    pub const SRC_PORT: Range<usize> = 0..2;
    pub const DST_PORT: Range<usize> = 2..4;
    /// Header plus data, in bytes.
    pub const LENGTH: Range<usize> = 4..6;
    pub const CHECKSUM: Range<usize> = 6..8;
}

pub const HEADER_LEN: usize = field::CHECKSUM.end;

/// Zero-copy view of a UDP datagram.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    buffer: &'a [u8],
}

impl<'a> Packet<'a> {
    /// `None` if the 8-byte header is not all there.
    pub fn new_checked(buffer: &'a [u8]) -> Option<Packet<'a>> {
        (buffer.len() >= HEADER_LEN).then_some(Packet { buffer })
    }
    pub fn src_port(&self) -> u16 {
        u16_at(self.buffer, field::SRC_PORT)
    }
    pub fn dst_port(&self) -> u16 {
        u16_at(self.buffer, field::DST_PORT)
    }
    /// The length field (header plus data).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u16 {
        u16_at(self.buffer, field::LENGTH)
    }
    pub fn checksum(&self) -> u16 {
        u16_at(self.buffer, field::CHECKSUM)
    }
    /// The data the length field covers, as far as the buffer has it.
    pub fn payload(&self) -> &'a [u8] {
        let end = usize::from(self.len()).clamp(HEADER_LEN, self.buffer.len());
        self.buffer.get(HEADER_LEN..end).unwrap_or(&[])
    }
}

/// Names for well-known ports a learner is likely to see.
pub fn port_name(port: u16) -> Option<&'static str> {
    Some(match port {
        20 => "FTP data",
        21 => "FTP",
        22 => "SSH",
        23 => "Telnet",
        25 => "SMTP",
        53 => "DNS",
        67 => "DHCP server",
        68 => "DHCP client",
        69 => "TFTP",
        80 => "HTTP",
        110 => "POP3",
        123 => "NTP",
        143 => "IMAP",
        161 => "SNMP",
        443 => "HTTPS",
        514 => "syslog",
        546 => "DHCPv6 client",
        547 => "DHCPv6 server",
        853 => "DNS over TLS",
        5353 => "mDNS",
        _ => return None,
    })
}

/// `53 (DNS)` or `5000`.
pub(crate) fn port_text(port: u16) -> String {
    use super::builder::Part::{N, T};
    match port_name(port) {
        Some(n) => super::builder::value(&[N(port.into()), T(" ("), T(n), T(")")]),
        None => super::builder::decimal(port.into()),
    }
}

pub(crate) fn dissect(frame: &[u8], up: &Upper, d: &mut Dissection) -> Result<(), Stop> {
    let mut b = LayerBuilder::new(frame, LayerKind::Transport, Header::Udp, up.start, up.end);
    b.bytes("source port", field::SRC_PORT, |s| {
        port_text(u16_at(s, 0..2))
    });
    b.bytes("destination port", field::DST_PORT, |s| {
        port_text(u16_at(s, 0..2))
    });
    b.bytes("length", field::LENGTH, |s| u16_at(s, 0..2).to_string());
    b.bytes("checksum", field::CHECKSUM, |s| {
        format!("0x{:04x}", u16_at(s, 0..2))
    });
    let available = b.captured();
    let Some(p) = b.get(0..available).and_then(Packet::new_checked) else {
        let msg = b.truncated(HEADER_LEN);
        d.layers.push(b.finish(HEADER_LEN));
        return Err(msg);
    };
    d.layers.push(b.finish(HEADER_LEN));
    d.udp = Some(UdpInfo {
        src_port: p.src_port(),
        dst_port: p.dst_port(),
        length: p.len(),
        checksum: p.checksum(),
    });
    let len = usize::from(p.len());
    if len < HEADER_LEN {
        return Err(Stop::BelowMinimum {
            field: LengthField::UdpLength,
            says: len,
            minimum: HEADER_LEN,
        });
    }
    let data_end = if len > available {
        // The first fragment of a larger datagram carries only part of it.
        if !up.is_fragment() {
            return Err(Stop::BeyondData {
                field: LengthField::UdpLength,
                says: len,
                available,
            });
        }
        available
    } else {
        len
    };
    payload::push(frame, up.start + HEADER_LEN, up.start + data_end, d, true);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::testdata::*;

    #[test]
    fn view_reads_real_datagram() {
        let f = frame(UDP4_HELLO);
        let p = Packet::new_checked(&f[34..]).unwrap();
        assert_eq!(p.src_port(), 53122);
        assert_eq!(p.dst_port(), 5000);
        assert_eq!(p.len(), 13);
        assert_eq!(p.checksum(), 0xfe20);
        assert_eq!(p.payload(), b"hello");
        assert!(Packet::new_checked(&f[34..41]).is_none());
    }

    #[test]
    fn payload_clamps_to_buffer() {
        let bytes = [0u8, 1, 0, 2, 0xff, 0xff, 0, 0, b'x'];
        assert_eq!(Packet::new_checked(&bytes).unwrap().payload(), b"x");
        let bytes = [0u8, 1, 0, 2, 0, 3, 0, 0, b'x'];
        assert_eq!(Packet::new_checked(&bytes).unwrap().payload(), b"");
    }

    #[test]
    fn port_texts() {
        assert_eq!(port_text(53), "53 (DNS)");
        assert_eq!(port_text(5000), "5000");
    }
}

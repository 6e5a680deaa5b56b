//! The link layers a capture file may start its frames with, besides the
//! Ethernet that netcourse captures itself: Linux "cooked" headers (SLL and
//! SLL2, what `tcpdump -i any` writes), raw IP, and BSD loopback (null/loop).
//! Each becomes a `Link` layer with its fields; the packet inside goes to
//! the same IP dissectors as an Ethernet frame's.

use crate::dissect::stop::{Header, Number, Stop};
use crate::dissect::{self, Dissection, Field, Layer, LayerKind};

pub const ETHERNET: u32 = 1;
pub const NULL: u32 = 0;
pub const LOOP: u32 = 108;
pub const RAW: u32 = 101;
/// DLT_RAW as some BSDs number it in files.
pub const RAW_BSD: [u32; 2] = [12, 14];
pub const IPV4: u32 = 228;
pub const IPV6: u32 = 229;
pub const LINUX_SLL: u32 = 113;
pub const LINUX_SLL2: u32 = 276;

/// The name of a link type, for the transcript's header.
pub fn name(link_type: u32) -> String {
    match link_type {
        ETHERNET => "Ethernet".into(),
        NULL => "BSD loopback (null)".into(),
        LOOP => "OpenBSD loopback".into(),
        RAW | 12 | 14 => "raw IP".into(),
        IPV4 => "raw IPv4".into(),
        IPV6 => "raw IPv6".into(),
        LINUX_SLL => "Linux cooked capture (SLL)".into(),
        LINUX_SLL2 => "Linux cooked capture v2 (SLL2)".into(),
        other => format!("link type {other}"),
    }
}

/// Whether `explain` knows how to read frames of this link type.
pub fn supported(link_type: u32) -> bool {
    matches!(
        link_type,
        ETHERNET | NULL | LOOP | RAW | 12 | 14 | IPV4 | IPV6 | LINUX_SLL | LINUX_SLL2
    )
}

/// Dissect one frame of `link_type`.
pub fn dissect(link_type: u32, frame: &[u8]) -> Dissection {
    if link_type == ETHERNET {
        return dissect::dissect(frame);
    }
    let mut d = Dissection::default();
    if let Err(why) = dissect_into(link_type, frame, &mut d) {
        d.stopped = Some(why);
    }
    d
}

/// What follows the link header.
enum Next {
    Ipv4,
    Ipv6,
    Arp,
    Other(Stop),
}

fn dissect_into(link_type: u32, frame: &[u8], d: &mut Dissection) -> Result<(), Stop> {
    let (start, next) = match link_type {
        LINUX_SLL => sll(frame, d)?,
        LINUX_SLL2 => sll2(frame, d)?,
        NULL | LOOP => null(frame, link_type == LOOP, d)?,
        IPV4 => (0, Next::Ipv4),
        IPV6 => (0, Next::Ipv6),
        _ => (0, by_version(frame)?),
    };
    if frame.len() <= start {
        return Ok(());
    }
    let upper = match next {
        Next::Ipv4 => dissect::ipv4::dissect(frame, start, d)?,
        Next::Ipv6 => dissect::ipv6::dissect(frame, start, d)?,
        Next::Arp => {
            dissect::arp::dissect(frame, start, d)?;
            return Ok(());
        }
        Next::Other(why) => return Err(why),
    };
    dissect::ip::dissect_upper(frame, &upper, d)
}

/// Raw IP: the version nibble says which.
fn by_version(frame: &[u8]) -> Result<Next, Stop> {
    match frame.first().map(|b| b >> 4) {
        Some(4) => Ok(Next::Ipv4),
        Some(6) => Ok(Next::Ipv6),
        Some(v) => Err(Stop::NotIp { found: v }),
        None => Err(Stop::EmptyFrame),
    }
}

fn field(name: &'static str, value: String, offset: usize, length: usize) -> Field {
    Field {
        name: name.into(),
        value,
        offset,
        length,
        bit_offset: offset * 8,
        bit_length: length * 8,
    }
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The Linux packet type (`sll_pkttype`).
fn packet_type(v: u16) -> String {
    let name = match v {
        0 => "unicast to us",
        1 => "broadcast",
        2 => "multicast",
        3 => "unicast to another host",
        4 => "sent by us",
        _ => return v.to_string(),
    };
    format!("{v} ({name})")
}

fn hardware_type(v: u16) -> String {
    let name = match v {
        1 => "Ethernet",
        772 => "loopback",
        776 => "IPv6-in-IPv4 tunnel",
        65534 => "no header",
        _ => return v.to_string(),
    };
    format!("{v} ({name})")
}

fn protocol(header: Header, v: u16, undecoded: usize) -> (String, Next) {
    let next = match v {
        0x0800 => Next::Ipv4,
        0x86dd => Next::Ipv6,
        0x0806 => Next::Arp,
        other => Next::Other(Stop::NotDissected {
            header,
            number: Number::EtherType(other),
            undecoded,
        }),
    };
    (dissect::ethernet::ethertype_text(v), next)
}

fn link_address(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn too_short(header: Header, needed: usize, captured: usize) -> Stop {
    Stop::Truncated {
        header,
        needed,
        captured,
        cut: None,
    }
}

/// Linux cooked capture v1: 16 bytes.
fn sll(frame: &[u8], d: &mut Dissection) -> Result<(usize, Next), Stop> {
    const LEN: usize = 16;
    if frame.len() < LEN {
        return Err(too_short(Header::LinuxSll, LEN, frame.len()));
    }
    let halen = usize::from(be16(frame, 4));
    let addr = &frame[6..6 + halen.min(8)];
    let (proto_text, next) = protocol(Header::LinuxSll, be16(frame, 14), frame.len() - LEN);
    d.layers.push(Layer {
        layer: LayerKind::Link,
        protocol: "Linux cooked".into(),
        offset: 0,
        length: LEN,
        fields: vec![
            field("packet type", packet_type(be16(frame, 0)), 0, 2),
            field("hardware type", hardware_type(be16(frame, 2)), 2, 2),
            field("address length", halen.to_string(), 4, 2),
            field("source address", link_address(addr), 6, 8),
            field("protocol", proto_text, 14, 2),
        ],
    });
    if halen == 6 {
        d.mac_src = Some(link_address(addr));
    }
    d.ethertype = Some(be16(frame, 14));
    Ok((LEN, next))
}

/// Linux cooked capture v2: 20 bytes, with the interface index.
fn sll2(frame: &[u8], d: &mut Dissection) -> Result<(usize, Next), Stop> {
    const LEN: usize = 20;
    if frame.len() < LEN {
        return Err(too_short(Header::LinuxSll2, LEN, frame.len()));
    }
    let halen = usize::from(frame[11]);
    let addr = &frame[12..12 + halen.min(8)];
    let (proto_text, next) = protocol(Header::LinuxSll2, be16(frame, 0), frame.len() - LEN);
    d.layers.push(Layer {
        layer: LayerKind::Link,
        protocol: "Linux cooked v2".into(),
        offset: 0,
        length: LEN,
        fields: vec![
            field("protocol", proto_text, 0, 2),
            field("reserved", be16(frame, 2).to_string(), 2, 2),
            field("interface index", be32(frame, 4).to_string(), 4, 4),
            field("hardware type", hardware_type(be16(frame, 8)), 8, 2),
            field("packet type", packet_type(u16::from(frame[10])), 10, 1),
            field("address length", halen.to_string(), 11, 1),
            field("source address", link_address(addr), 12, 8),
        ],
    });
    if halen == 6 {
        d.mac_src = Some(link_address(addr));
    }
    d.ethertype = Some(be16(frame, 0));
    Ok((LEN, next))
}

/// BSD loopback: a 4-byte address family, in the capturing machine's byte
/// order (null) or in network order (loop).
fn null(frame: &[u8], network_order: bool, d: &mut Dissection) -> Result<(usize, Next), Stop> {
    const LEN: usize = 4;
    if frame.len() < LEN {
        return Err(too_short(Header::Loopback, LEN, frame.len()));
    }
    let raw = [frame[0], frame[1], frame[2], frame[3]];
    let be = u32::from_be_bytes(raw);
    // Null: the writer's own byte order; a family is small, so whichever
    // reading is small is the right one.
    let family = if network_order || be < 0x100 {
        be
    } else {
        u32::from_le_bytes(raw)
    };
    let (text, next) = match family {
        2 => ("2 (IPv4)".to_string(), Next::Ipv4),
        24 | 28 | 30 => (format!("{family} (IPv6)"), Next::Ipv6),
        other => (
            other.to_string(),
            Next::Other(Stop::NotDissected {
                header: Header::Loopback,
                number: Number::AddressFamily(other),
                undecoded: frame.len() - LEN,
            }),
        ),
    };
    d.layers.push(Layer {
        layer: LayerKind::Link,
        protocol: if network_order { "Loop" } else { "Null" }.into(),
        offset: 0,
        length: LEN,
        fields: vec![field("family", text, 0, 4)],
    });
    Ok((LEN, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IPv4/UDP 127.0.0.1:1234 → 127.0.0.1:5000, "hi".
    fn udp_packet() -> Vec<u8> {
        let mut p = vec![
            0x45, 0, 0, 30, 0, 1, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
        ];
        p.extend_from_slice(&[0x04, 0xd2, 0x13, 0x88, 0, 10, 0, 0, b'h', b'i']);
        p
    }

    #[test]
    fn each_link_type_reaches_udp() {
        let ip = udp_packet();
        let mut sll = vec![0, 0, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00];
        sll.extend_from_slice(&ip);
        let mut sll2 = vec![
            0x08, 0, 0, 0, 0, 0, 0, 1, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        sll2.extend_from_slice(&ip);
        let mut null = 2u32.to_le_bytes().to_vec();
        null.extend_from_slice(&ip);
        let mut lo = 2u32.to_be_bytes().to_vec();
        lo.extend_from_slice(&ip);
        for (lt, frame) in [
            (LINUX_SLL, sll),
            (LINUX_SLL2, sll2),
            (NULL, null),
            (LOOP, lo),
            (RAW, ip.clone()),
            (IPV4, ip.clone()),
        ] {
            let d = dissect(lt, &frame);
            assert_eq!(d.stopped, None, "{}", name(lt));
            assert_eq!(d.dst_port(), Some(5000), "{}", name(lt));
            assert_eq!(d.ip_src.as_deref(), Some("127.0.0.1"));
        }
    }

    #[test]
    fn short_and_odd_frames_stop_with_a_reason() {
        for (lt, header) in [
            (LINUX_SLL, 16),
            (LINUX_SLL2, 20),
            (NULL, 4),
            (LOOP, 4),
            (RAW, 1),
        ] {
            for len in 0..header {
                let d = dissect(lt, &vec![0x99u8; len]);
                assert!(d.stopped.is_some(), "{} {len}", name(lt));
            }
            // A header and then a protocol nobody dissects.
            let d = dissect(lt, &vec![0x99u8; header + 8]);
            assert!(d.stopped.is_some(), "{}", name(lt));
        }
    }
}

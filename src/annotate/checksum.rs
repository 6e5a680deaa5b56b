//! Does a frame's UDP/TCP checksum add up? (RFC 1071 over the pseudo-header.)

use std::net::IpAddr;

use crate::dissect::Dissection;

fn sum(data: &[u8], mut acc: u32) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        acc += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        acc += u32::from(*last) << 8;
    }
    acc
}

fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// `Some(true)` when the transport checksum verifies, `Some(false)` when it
/// does not, `None` when there is nothing to check (or UDP's "no checksum").
pub fn transport_checksum_ok(frame: &[u8], d: &Dissection) -> Option<bool> {
    let src: IpAddr = d.ip_src.as_ref()?.parse().ok()?;
    let dst: IpAddr = d.ip_dst.as_ref()?.parse().ok()?;
    let (proto, layer) = if d.tcp.is_some() {
        (6u8, d.layers.iter().find(|l| l.protocol == "TCP")?)
    } else if let Some(u) = &d.udp {
        if u.checksum == 0 && src.is_ipv4() {
            return None;
        }
        (17u8, d.layers.iter().find(|l| l.protocol == "UDP")?)
    } else {
        return None;
    };
    let end = match d.payload {
        Some((off, len)) if off >= layer.offset => off + len,
        _ => layer.offset + layer.length,
    };
    let segment = frame.get(layer.offset..end)?;
    let mut acc = 0u32;
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(t)) => {
            acc = sum(&s.octets(), acc);
            acc = sum(&t.octets(), acc);
        }
        (IpAddr::V6(s), IpAddr::V6(t)) => {
            acc = sum(&s.octets(), acc);
            acc = sum(&t.octets(), acc);
        }
        _ => return None,
    }
    acc += u32::from(proto);
    acc += segment.len() as u32;
    acc = sum(segment, acc);
    Some(fold(acc) == 0xffff)
}

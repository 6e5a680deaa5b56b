//! The Internet checksum (RFC 1071) and whether a captured header's checksum
//! verifies.
//!
//! On loopback Linux does not compute UDP/TCP checksums: the socket marks the
//! packet CHECKSUM_PARTIAL, stores only the pseudo-header sum in the field
//! and leaves the rest to "hardware" that `lo` never runs. The capture sees
//! that half-done value, which `ChecksumStatus::Partial` recognises.

use super::builder::{u8_at, u16_at};
use super::{Dissection, Layer};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum ChecksumStatus {
    /// The checksum verifies.
    Good,
    /// The field holds only the pseudo-header sum: the kernel left the rest
    /// for checksum offload (CHECKSUM_PARTIAL), as on loopback.
    Partial,
    /// UDP over IPv4 with checksum 0: the sender chose not to compute one.
    Absent,
    /// The checksum does not verify; `expected` is what the field should hold.
    Bad { expected: u16 },
}

/// One's-complement sum of 16-bit big-endian words (odd length padded with 0),
/// added to `initial`, not yet folded.
pub fn sum_words(data: &[u8], initial: u32) -> u32 {
    let mut sum = u64::from(initial);
    // Four bytes at a time: a 32-bit word adds its two 16-bit halves, since
    // 2^16 is 1 in one's-complement arithmetic (RFC 1071), and the sum of
    // a 1500-byte frame's words stays far below u64's range.
    let mut quads = data.chunks_exact(4);
    for q in &mut quads {
        sum += u64::from(u32::from_be_bytes([q[0], q[1], q[2], q[3]]));
    }
    for pair in quads.remainder().chunks(2) {
        let word = u16::from(u8_at(pair, 0)) << 8 | u16::from(u8_at(pair, 1));
        sum += u64::from(word);
    }
    fold(sum)
}

/// Folds carries back in until the sum fits 16 bits.
fn fold(mut sum: u64) -> u32 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u32
}

/// The checksum a sender would put in the field (the field itself zeroed in `data`).
pub fn checksum(data: &[u8], initial: u32) -> u16 {
    !(sum_words(data, initial) as u16)
}

/// The pseudo-header sum for UDP/TCP/ICMPv6: addresses, protocol and length.
pub fn pseudo_header_sum(src: &[u8], dst: &[u8], protocol: u8, length: usize) -> u32 {
    let mut sum = sum_words(src, 0);
    sum = sum_words(dst, sum);
    let len = length as u64;
    fold(u64::from(sum) + u64::from(protocol) + (len >> 16) + (len & 0xffff))
}

/// The IPv4 or IPv6 layer that carries `d.layers[index]`.
fn carrier(d: &Dissection, index: usize) -> Option<&Layer> {
    d.layers
        .get(..index)?
        .iter()
        .rev()
        .find(|l| l.protocol == "IPv4" || l.protocol == "IPv6")
}

/// IP addresses, packet end, and whether it is a fragment.
struct IpFacts<'a> {
    src: &'a [u8],
    dst: &'a [u8],
    end: usize,
    fragment: bool,
}

fn ip_facts<'a>(frame: &'a [u8], ip: &Layer) -> Option<IpFacts<'a>> {
    let h = frame.get(ip.offset..)?;
    if ip.protocol == "IPv4" {
        let flags_off = u16_at(h, 6..8);
        Some(IpFacts {
            src: h.get(12..16)?,
            dst: h.get(16..20)?,
            end: ip.offset.checked_add(usize::from(u16_at(h, 2..4)))?,
            fragment: flags_off & 0x3fff != 0,
        })
    } else {
        let fragment = ip
            .fields
            .iter()
            .any(|f| f.name == "fragment.identification");
        Some(IpFacts {
            src: h.get(8..24)?,
            dst: h.get(24..40)?,
            end: ip.offset.checked_add(40 + usize::from(u16_at(h, 4..6)))?,
            fragment,
        })
    }
}

/// Whether the checksum of `d.layers[index]` (IPv4, UDP, TCP, ICMP or ICMPv6)
/// verifies against the captured bytes. `None` when the layer has no
/// checksum or it cannot be checked (bytes missing, or an IP fragment, whose
/// checksum covers data in other fragments).
pub fn checksum_status(frame: &[u8], d: &Dissection, index: usize) -> Option<ChecksumStatus> {
    let layer = d.layers.get(index)?;
    let field_at: usize;
    let data: &[u8];
    let mut pseudo: Option<u32> = None;
    match layer.protocol.as_str() {
        "IPv4" => {
            data = frame.get(layer.offset..layer.offset.checked_add(layer.length)?)?;
            if data.len() < 20 {
                return None;
            }
            field_at = 10;
        }
        "UDP" | "TCP" | "ICMP" | "ICMPv6" => {
            let ip = carrier(d, index)?;
            let facts = ip_facts(frame, ip)?;
            if facts.fragment {
                return None;
            }
            data = frame.get(layer.offset..facts.end)?;
            let proto = match layer.protocol.as_str() {
                "UDP" => 17,
                "TCP" => 6,
                "ICMPv6" => 58,
                _ => 1,
            };
            field_at = match proto {
                17 => 6,
                6 => 16,
                _ => 2,
            };
            // ICMP over IPv4 has no pseudo-header; the others do.
            if proto != 1 {
                pseudo = Some(pseudo_header_sum(facts.src, facts.dst, proto, data.len()));
            }
            if proto == 17 && ip.protocol == "IPv4" && u16_at(data, 6..8) == 0 {
                return Some(ChecksumStatus::Absent);
            }
        }
        _ => return None,
    }
    let stored = u16_at(data, field_at..field_at + 2);
    if data.len() < field_at + 2 {
        return None;
    }
    let initial = pseudo.unwrap_or(0);
    if sum_words(data, initial) == 0xffff {
        return Some(ChecksumStatus::Good);
    }
    if pseudo.is_some_and(|p| stored == p as u16) {
        return Some(ChecksumStatus::Partial);
    }
    let mut zeroed = data.to_vec();
    if let Some(f) = zeroed.get_mut(field_at..field_at + 2) {
        f.fill(0);
    }
    let mut expected = checksum(&zeroed, initial);
    // UDP sends a computed 0 as 0xffff, since 0 means "no checksum".
    if layer.protocol == "UDP" && expected == 0 {
        expected = 0xffff;
    }
    Some(ChecksumStatus::Bad { expected })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::dissect;
    use crate::dissect::testdata::*;

    fn status(hex: &str, proto: &str) -> Option<ChecksumStatus> {
        let f = frame(hex);
        let d = dissect(&f);
        let i = d.layers.iter().position(|l| l.protocol == proto)?;
        checksum_status(&f, &d, i)
    }

    #[test]
    fn words_summed_four_bytes_at_a_time_match_two_at_a_time() {
        let by_pairs = |data: &[u8], initial: u32| {
            let mut sum = u64::from(initial);
            for pair in data.chunks(2) {
                sum += u64::from(u16::from(pair[0]) << 8 | u16::from(*pair.get(1).unwrap_or(&0)));
            }
            fold(sum)
        };
        let mut x: u32 = 12345;
        let bytes: Vec<u8> = (0..1600)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (x >> 16) as u8
            })
            .collect();
        for len in (0..40).chain([1499, 1500, 1514, 1600]) {
            for initial in [0, 1, 0xffff, 0x1_fffe] {
                let data = &bytes[..len];
                assert_eq!(sum_words(data, initial), by_pairs(data, initial), "{len}");
            }
        }
        assert_eq!(sum_words(&[0xff; 1500], 0), by_pairs(&[0xff; 1500], 0));
        assert_eq!(sum_words(&[0; 7], 0), 0);
    }

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to 0xddf2.
        assert_eq!(
            sum_words(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7], 0),
            0xddf2
        );
        assert_eq!(
            checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7], 0),
            0x220d
        );
    }

    #[test]
    fn loopback_captures() {
        // IPv4 header checksums are always computed.
        assert_eq!(status(UDP4_HELLO, "IPv4"), Some(ChecksumStatus::Good));
        assert_eq!(status(TCP4_SYN_WS10, "IPv4"), Some(ChecksumStatus::Good));
        // UDP/TCP on lo: only the pseudo-header sum (0xfe20, 0xfe30, 0x001e).
        assert_eq!(status(UDP4_HELLO, "UDP"), Some(ChecksumStatus::Partial));
        assert_eq!(status(TCP4_SYN_WS10, "TCP"), Some(ChecksumStatus::Partial));
        assert_eq!(status(UDP6_HI, "UDP"), Some(ChecksumStatus::Partial));
        // ICMP is computed in software: tshark says "[correct]" too.
        assert_eq!(
            status(ICMP4_PORT_UNREACH, "ICMP"),
            Some(ChecksumStatus::Good)
        );
        assert_eq!(
            status(ICMP4_ECHO_REQUEST, "ICMP"),
            Some(ChecksumStatus::Good)
        );
        assert_eq!(
            status(ICMP6_PORT_UNREACH, "ICMPv6"),
            Some(ChecksumStatus::Good)
        );
        assert_eq!(
            status(ICMP6_ECHO_REQUEST, "ICMPv6"),
            Some(ChecksumStatus::Good)
        );
        // Even the kernel's own RST leaves the sum to "offload" (tshark:
        // 0x001c, should be 0x5423).
        assert_eq!(status(TCP6_RST_ACK, "TCP"), Some(ChecksumStatus::Partial));
        // Fragments cannot be checked alone.
        assert_eq!(status(&ipv4_first_fragment(), "UDP"), None);
        assert_eq!(status(UDP4_HELLO, "Payload"), None);
    }

    #[test]
    fn fixed_up_checksums_verify_and_bad_ones_say_what_is_expected() {
        let mut f = frame(UDP4_HELLO);
        let d = dissect(&f);
        let Some(ChecksumStatus::Bad { expected }) = ({
            f[40] = 0x12;
            checksum_status(&f, &d, 2)
        }) else {
            panic!("expected Bad")
        };
        f[40..42].copy_from_slice(&expected.to_be_bytes());
        assert_eq!(checksum_status(&f, &d, 2), Some(ChecksumStatus::Good));
        f[40..42].copy_from_slice(&[0, 0]);
        assert_eq!(checksum_status(&f, &d, 2), Some(ChecksumStatus::Absent));
        f[24] ^= 0xff;
        assert!(matches!(
            checksum_status(&f, &d, 1),
            Some(ChecksumStatus::Bad { expected: 0xb46d })
        ));
    }
}

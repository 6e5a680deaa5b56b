//! What IPv4 and IPv6 share: the protocol numbers (IPv4 "protocol", IPv6
//! "next header") and the hand-off to the layer above.

use super::enums::enum_with_unknown;
use super::stop::{Header, Number, Stop};
use super::{Dissection, icmp, payload, tcp, udp};

enum_with_unknown! {
    /// An IP protocol number (IANA "Assigned Internet Protocol Numbers").
    pub enum Protocol(u8) {
        HopByHop = 0 => "Hop-by-Hop options",
        Icmp = 1 => "ICMP",
        Igmp = 2 => "IGMP",
        Tcp = 6 => "TCP",
        Udp = 17 => "UDP",
        Ipv6 = 41 => "IPv6",
        Ipv6Route = 43 => "Routing",
        Ipv6Frag = 44 => "Fragment",
        Gre = 47 => "GRE",
        Esp = 50 => "ESP",
        Ah = 51 => "AH",
        Icmpv6 = 58 => "ICMPv6",
        Ipv6NoNxt = 59 => "No next header",
        Ipv6Opts = 60 => "Destination options",
        Ospf = 89 => "OSPF",
        Sctp = 132 => "SCTP",
    }
}

/// `17 (UDP)`.
pub fn protocol_text(v: u8) -> String {
    use super::builder::Part::{N, T};
    match Protocol::from(v).name() {
        Some(n) => super::builder::value(&[N(v.into()), T(" ("), T(n), T(")")]),
        None => super::builder::decimal(v.into()),
    }
}

/// Where the IP layer left off: the upper-layer bytes and how they were fragmented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Upper {
    /// `IPv4` or `IPv6`.
    pub ip: Header,
    pub protocol: Protocol,
    /// Upper-layer bytes: `start..end` of the frame (`end` is the IP packet's end).
    pub start: usize,
    pub end: usize,
    pub more_fragments: bool,
    /// Fragment offset in bytes.
    pub fragment_offset: usize,
}

impl Upper {
    pub fn is_fragment(&self) -> bool {
        self.more_fragments || self.fragment_offset != 0
    }
}

/// Dissects what the IP packet carries.
pub(crate) fn dissect_upper(frame: &[u8], up: &Upper, d: &mut Dissection) -> Result<(), Stop> {
    // A later fragment holds the middle or end of the upper-layer data, with
    // no header of its own: show it as bytes.
    if up.fragment_offset != 0 {
        payload::push(frame, up.start, up.end, d, false);
        return Ok(());
    }
    match up.protocol {
        Protocol::Udp => udp::dissect(frame, up, d),
        Protocol::Tcp => tcp::dissect(frame, up, d),
        Protocol::Icmp => icmp::dissect(frame, up, d, false),
        Protocol::Icmpv6 => icmp::dissect(frame, up, d, true),
        Protocol::Ipv6NoNxt => Ok(()),
        other if up.end > up.start => Err(Stop::NotDissected {
            header: up.ip,
            number: Number::IpProtocol(other.into()),
            undecoded: up.end - up.start,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_numbers_round_trip() {
        for v in 0..=255u8 {
            assert_eq!(u8::from(Protocol::from(v)), v);
        }
        assert_eq!(protocol_text(17), "17 (UDP)");
        assert_eq!(protocol_text(58), "58 (ICMPv6)");
        assert_eq!(protocol_text(253), "253");
    }
}

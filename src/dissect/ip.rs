//! What IPv4 and IPv6 share: the protocol numbers (IPv4 "protocol", IPv6
//! "next header") and the hand-off to the layer above.

use super::{Dissection, icmp, payload, tcp, udp};

/// An IP protocol number (IANA "Assigned Internet Protocol Numbers").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    HopByHop,
    Icmp,
    Igmp,
    Tcp,
    Udp,
    Ipv6,
    Ipv6Route,
    Ipv6Frag,
    Gre,
    Esp,
    Ah,
    Icmpv6,
    Ipv6NoNxt,
    Ipv6Opts,
    Ospf,
    Sctp,
    Unknown(u8),
}

impl From<u8> for Protocol {
    fn from(v: u8) -> Self {
        match v {
            0 => Protocol::HopByHop,
            1 => Protocol::Icmp,
            2 => Protocol::Igmp,
            6 => Protocol::Tcp,
            17 => Protocol::Udp,
            41 => Protocol::Ipv6,
            43 => Protocol::Ipv6Route,
            44 => Protocol::Ipv6Frag,
            47 => Protocol::Gre,
            50 => Protocol::Esp,
            51 => Protocol::Ah,
            58 => Protocol::Icmpv6,
            59 => Protocol::Ipv6NoNxt,
            60 => Protocol::Ipv6Opts,
            89 => Protocol::Ospf,
            132 => Protocol::Sctp,
            other => Protocol::Unknown(other),
        }
    }
}

impl From<Protocol> for u8 {
    fn from(p: Protocol) -> u8 {
        match p {
            Protocol::HopByHop => 0,
            Protocol::Icmp => 1,
            Protocol::Igmp => 2,
            Protocol::Tcp => 6,
            Protocol::Udp => 17,
            Protocol::Ipv6 => 41,
            Protocol::Ipv6Route => 43,
            Protocol::Ipv6Frag => 44,
            Protocol::Gre => 47,
            Protocol::Esp => 50,
            Protocol::Ah => 51,
            Protocol::Icmpv6 => 58,
            Protocol::Ipv6NoNxt => 59,
            Protocol::Ipv6Opts => 60,
            Protocol::Ospf => 89,
            Protocol::Sctp => 132,
            Protocol::Unknown(v) => v,
        }
    }
}

impl Protocol {
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Protocol::HopByHop => "Hop-by-Hop options",
            Protocol::Icmp => "ICMP",
            Protocol::Igmp => "IGMP",
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Ipv6 => "IPv6",
            Protocol::Ipv6Route => "Routing",
            Protocol::Ipv6Frag => "Fragment",
            Protocol::Gre => "GRE",
            Protocol::Esp => "ESP",
            Protocol::Ah => "AH",
            Protocol::Icmpv6 => "ICMPv6",
            Protocol::Ipv6NoNxt => "No next header",
            Protocol::Ipv6Opts => "Destination options",
            Protocol::Ospf => "OSPF",
            Protocol::Sctp => "SCTP",
            Protocol::Unknown(_) => return None,
        })
    }
}

/// `17 (UDP)`.
pub fn protocol_text(v: u8) -> String {
    match Protocol::from(v).name() {
        Some(n) => format!("{v} ({n})"),
        None => v.to_string(),
    }
}

/// Where the IP layer left off: the upper-layer bytes and how they were fragmented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Upper {
    /// `IPv4` or `IPv6`.
    pub ip: &'static str,
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
pub(crate) fn dissect_upper(frame: &[u8], up: &Upper, d: &mut Dissection) -> Result<(), String> {
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
        other if up.end > up.start => {
            let n = up.end - up.start;
            Err(format!(
                "{}: protocol {} is not one this course dissects; {} byte{} left undecoded",
                up.ip,
                protocol_text(other.into()),
                n,
                if n == 1 { "" } else { "s" }
            ))
        }
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

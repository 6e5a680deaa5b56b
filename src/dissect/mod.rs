//! Bytes → layers. Pure functions over captured frames: no sockets, no styling.
//!
//! `dissect` never panics. A truncated or odd frame yields every layer that
//! parsed plus `stopped`, which says which layer and which field made parsing
//! stop (for a learner that message is part of the lesson).

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

// Wire formats, in the style of smoltcp's `wire`: field ranges as consts, a
// zero-copy view per header, protocol numbers as enums with `Unknown(raw)`.
pub mod arp;
pub mod ethernet;
pub mod icmp;
pub mod ip;
pub mod ipv4;
pub mod ipv6;
pub mod tcp;
pub mod udp;

pub mod app;

pub mod checksum;
pub mod diagram;
pub mod hexdump;
pub mod payload;
pub mod stop;
pub mod stream;

mod builder;
mod enums;
mod info;
mod layout;

#[cfg(test)]
mod testdata;
#[cfg(test)]
mod tests;

pub use builder::{recycle, recycle_dissections};
pub use checksum::{ChecksumStatus, checksum_status};
pub use info::flag_order;
pub use layout::LayoutError;
pub use stop::Stop;

/// The layer of the course's model a header belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum LayerKind {
    Link,
    Network,
    Transport,
    Application,
}

impl LayerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LayerKind::Link => "link",
            LayerKind::Network => "network",
            LayerKind::Transport => "transport",
            LayerKind::Application => "application",
        }
    }
}

impl std::fmt::Display for LayerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One header field as it sits in the frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// Short name, e.g. `source port`, `flags.SYN`, `option.MSS`: nearly
    /// always a literal, so not copied to the heap for every frame.
    pub name: Cow<'static, str>,
    /// The value as a learner reads it, e.g. `5000`, `0x0800 (IPv4)`, `127.0.0.1`.
    pub value: String,
    /// Byte offset of the field's first byte in the frame.
    pub offset: usize,
    /// Number of bytes the field touches (at least 1).
    pub length: usize,
    /// Bit offset of the field from the start of the frame.
    pub bit_offset: usize,
    /// Width of the field in bits.
    pub bit_length: usize,
}

/// One parsed header (or the payload).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    pub layer: LayerKind,
    /// `Ethernet`, `IPv4`, `IPv6`, `ICMP`, `ICMPv6`, `UDP`, `TCP`, `ARP`, `Payload`.
    pub protocol: String,
    /// First byte of this header in the frame.
    pub offset: usize,
    /// Bytes of this header (for `Payload`, the payload length).
    pub length: usize,
    pub fields: Vec<Field>,
}

/// A TCP option as parsed from the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpOption {
    /// Kind number (0 EOL, 1 NOP, 2 MSS, 3 WS, 4 SACK_PERM, 5 SACK, 8 TS, other).
    pub kind: u8,
    /// `EOL`, `NOP`, `MSS`, `WS`, `SACK_PERM`, `SACK`, `TS`, or `Unknown(<kind>)`.
    pub name: String,
    /// Value in words, e.g. `65495`, `7 (×128)`, `val=123 ecr=0`, `left=.. right=..`.
    pub value: String,
    /// Offset of the option's first byte in the frame, and its bytes.
    pub offset: usize,
    pub length: usize,
    /// Typed values where the option has them.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mss: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub window_scale: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub timestamps: Option<(u32, u32)>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub sack_blocks: Vec<(u32, u32)>,
}

/// Typed TCP header values (the raw ones; relative numbers are computed later,
/// by `annotate`, because they need the connection's history).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpInfo {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    /// Header length in bytes (data offset × 4).
    pub header_len: u8,
    /// The 9 flag bits (AE CWR ECE URG ACK PSH RST SYN FIN), low bits = FIN.
    pub flags: u16,
    pub window: u16,
    pub checksum: u16,
    pub urgent: u16,
    pub options: Vec<TcpOption>,
    /// Payload bytes in this segment.
    pub payload_len: usize,
}

impl TcpInfo {
    pub const FIN: u16 = 0x001;
    pub const SYN: u16 = 0x002;
    pub const RST: u16 = 0x004;
    pub const PSH: u16 = 0x008;
    pub const ACK: u16 = 0x010;
    pub const URG: u16 = 0x020;
    pub const ECE: u16 = 0x040;
    pub const CWR: u16 = 0x080;
    pub const AE: u16 = 0x100;

    pub fn has(&self, flag: u16) -> bool {
        self.flags & flag != 0
    }

    /// Set flags in the order learners say them: SYN, FIN, RST, PSH, ACK,
    /// URG, ECE, CWR, AE — so a SYN+ACK reads `["SYN", "ACK"]`, a FIN+ACK
    /// `["FIN", "ACK"]`, and an ECN SYN `["SYN", "ECE", "CWR"]` as Wireshark
    /// shows it.
    pub fn flag_names(&self) -> Vec<&'static str> {
        info::flag_names(self.flags)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UdpInfo {
    pub src_port: u16,
    pub dst_port: u16,
    /// The length field (header + payload).
    pub length: u16,
    pub checksum: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IcmpInfo {
    /// `ICMP` or `ICMPv6`.
    pub protocol: String,
    pub icmp_type: u8,
    pub code: u8,
    /// e.g. `Destination unreachable: port unreachable`.
    pub description: String,
    /// For error messages: the quoted original datagram's addresses, protocol and ports, if they parse.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub quoted: Option<Quoted>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quoted {
    pub src_ip: String,
    pub dst_ip: String,
    /// IP protocol number of the quoted datagram (17 UDP, 6 TCP).
    pub protocol: u8,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub src_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub dst_port: Option<u16>,
}

/// Everything `dissect` learned from one frame.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Dissection {
    pub layers: Vec<Layer>,
    /// Why parsing stopped before the end of the frame, naming the layer and
    /// the field; its `Display` reads e.g. `IPv4: total length field says
    /// 1500 bytes but only 46 were captured`.
    pub stopped: Option<Stop>,
    /// Ethernet source / destination, as `aa:bb:cc:dd:ee:ff`.
    pub mac_src: Option<String>,
    pub mac_dst: Option<String>,
    /// `Ethernet`'s EtherType value.
    pub ethertype: Option<u16>,
    /// IP source / destination, as text (`127.0.0.1`, `::1`).
    pub ip_src: Option<String>,
    pub ip_dst: Option<String>,
    /// IPv4 TTL or IPv6 hop limit.
    pub ttl: Option<u8>,
    /// IPv4 header checksum and identification, when IPv4.
    pub ip_id: Option<u16>,
    pub tcp: Option<TcpInfo>,
    pub udp: Option<UdpInfo>,
    pub icmp: Option<IcmpInfo>,
    /// Offset and length of the application payload in the frame (UDP/TCP
    /// data; `None` when there is none). ICMP echo data and later IP
    /// fragments also get a `Payload` layer, but are not recorded here.
    pub payload: Option<(usize, usize)>,
}

impl Dissection {
    pub fn src_port(&self) -> Option<u16> {
        self.tcp
            .as_ref()
            .map(|t| t.src_port)
            .or(self.udp.as_ref().map(|u| u.src_port))
    }
    pub fn dst_port(&self) -> Option<u16> {
        self.tcp
            .as_ref()
            .map(|t| t.dst_port)
            .or(self.udp.as_ref().map(|u| u.dst_port))
    }
}

/// Parse an Ethernet frame (as captured on `lo` or a veth) into its layers.
///
/// Ethernet II → ARP | IPv4 | IPv6 (walking Hop-by-Hop, Routing, Fragment,
/// Destination options and AH headers) → ICMP | ICMPv6 | UDP | TCP → a
/// `Payload` layer for the bytes they carry. Never panics; see `stopped`.
pub fn dissect(frame: &[u8]) -> Dissection {
    let mut d = Dissection::default();
    if let Err(why) = dissect_into(frame, &mut d) {
        d.stopped = Some(why);
    }
    d
}

fn dissect_into(frame: &[u8], d: &mut Dissection) -> Result<(), Stop> {
    use ethernet::EtherType;
    let ethertype = ethernet::dissect(frame, d)?;
    let start = ethernet::HEADER_LEN;
    let upper = match ethertype {
        EtherType::Arp => {
            let end = arp::dissect(frame, start, d)?;
            ethernet::note_padding(frame, end, d);
            return Ok(());
        }
        EtherType::Ipv4 => ipv4::dissect(frame, start, d)?,
        EtherType::Ipv6 => ipv6::dissect(frame, start, d)?,
        other if frame.len() > start => {
            return Err(ethernet::unsupported(other, frame.len() - start));
        }
        _ => return Ok(()),
    };
    ethernet::note_padding(frame, upper.end, d);
    ip::dissect_upper(frame, &upper, d)
}

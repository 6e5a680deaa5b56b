//! Why dissection stopped before the end of a frame: typed (which header,
//! which field, what it said, what was there), and worded in one place, the
//! `Display` below. The wording is part of the lesson (a learner reads it
//! under the frame) and of the transcript (`stopped`), so it is kept stable.

use core::fmt;
use serde::{Deserialize, Serialize};

/// The header a stop is about, named as the `Layer::protocol` it makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Header {
    Ethernet,
    #[serde(rename = "ARP")]
    Arp,
    #[serde(rename = "IPv4")]
    Ipv4,
    #[serde(rename = "IPv6")]
    Ipv6,
    #[serde(rename = "ICMP")]
    Icmp,
    #[serde(rename = "ICMPv6")]
    Icmpv6,
    #[serde(rename = "UDP")]
    Udp,
    #[serde(rename = "TCP")]
    Tcp,
    #[serde(rename = "DNS")]
    Dns,
    #[serde(rename = "HTTP")]
    Http,
    #[serde(rename = "SMTP")]
    Smtp,
    #[serde(rename = "FTP")]
    Ftp,
    #[serde(rename = "FTP-DATA")]
    FtpData,
    #[serde(rename = "TELNET")]
    Telnet,
    /// A protocol a lesson defines with its own `fields:`.
    #[serde(rename = "custom")]
    Custom,
    /// Link headers of captures made elsewhere (`explain`).
    #[serde(rename = "Linux cooked")]
    LinuxSll,
    #[serde(rename = "Linux cooked v2")]
    LinuxSll2,
    #[serde(rename = "loopback")]
    Loopback,
    #[serde(rename = "raw IP")]
    RawIp,
}

impl Header {
    pub fn as_str(self) -> &'static str {
        match self {
            Header::Ethernet => "Ethernet",
            Header::Arp => "ARP",
            Header::Ipv4 => "IPv4",
            Header::Ipv6 => "IPv6",
            Header::Icmp => "ICMP",
            Header::Icmpv6 => "ICMPv6",
            Header::Udp => "UDP",
            Header::Tcp => "TCP",
            Header::Dns => "DNS",
            Header::Http => "HTTP",
            Header::Smtp => "SMTP",
            Header::Ftp => "FTP",
            Header::FtpData => "FTP-DATA",
            Header::Telnet => "TELNET",
            Header::Custom => "custom",
            Header::LinuxSll => "Linux cooked (SLL)",
            Header::LinuxSll2 => "Linux cooked v2 (SLL2)",
            Header::Loopback => "loopback",
            Header::RawIp => "raw IP",
        }
    }

    /// DNS, HTTP, …: a stop there is about a message, not a header.
    pub fn is_application(self) -> bool {
        matches!(
            self,
            Header::Dns
                | Header::Http
                | Header::Smtp
                | Header::Ftp
                | Header::FtpData
                | Header::Telnet
                | Header::Custom
        )
    }

    /// The version an IP header must carry.
    fn ip_version(self) -> u8 {
        if self == Header::Ipv6 { 6 } else { 4 }
    }
}

impl fmt::Display for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An IPv6 extension header this course walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Extension {
    HopByHop,
    Routing,
    Fragment,
    DestinationOptions,
    Authentication,
}

impl Extension {
    pub fn title(self) -> &'static str {
        match self {
            Extension::HopByHop => "Hop-by-Hop options",
            Extension::Routing => "Routing",
            Extension::Fragment => "Fragment",
            Extension::DestinationOptions => "Destination options",
            Extension::Authentication => "Authentication",
        }
    }
}

/// A field that says how long something is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "field")]
pub enum LengthField {
    /// IPv4 IHL (in 32-bit words; stops carry it in bytes).
    Ipv4HeaderLength,
    Ipv4TotalLength,
    Ipv6PayloadLength,
    /// The length of the IPv6 extension header at frame offset `offset`.
    Ipv6Extension {
        header: Extension,
        offset: usize,
    },
    UdpLength,
    /// TCP data offset (in 32-bit words; stops carry it in bytes).
    TcpDataOffset,
    /// The length byte of the TCP option of `kind` at frame offset `offset`.
    TcpOption {
        kind: u8,
        offset: usize,
    },
    /// DNS over TCP: the 2-byte length before each message.
    DnsTcpLength,
    /// A DNS record's data length (RDLENGTH) at message offset `offset`.
    DnsDataLength {
        offset: usize,
    },
}

impl LengthField {
    pub fn header(self) -> Header {
        match self {
            LengthField::Ipv4HeaderLength | LengthField::Ipv4TotalLength => Header::Ipv4,
            LengthField::Ipv6PayloadLength | LengthField::Ipv6Extension { .. } => Header::Ipv6,
            LengthField::UdpLength => Header::Udp,
            LengthField::TcpDataOffset | LengthField::TcpOption { .. } => Header::Tcp,
            LengthField::DnsTcpLength | LengthField::DnsDataLength { .. } => Header::Dns,
        }
    }
}

/// A protocol number this course does not dissect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Number {
    EtherType(u16),
    IpProtocol(u8),
    /// A BSD loopback header's address family.
    AddressFamily(u32),
}

/// Why dissection stopped. `Display` gives the sentence a learner reads,
/// naming the header first, e.g. `IPv4: total length field says 1500 bytes
/// but only 46 were captured`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Stop {
    /// No byte at all.
    EmptyFrame,
    /// The fixed part of a header was not all captured; `cut` is the first
    /// field that did not fit.
    Truncated {
        header: Header,
        needed: usize,
        captured: usize,
        cut: Option<String>,
    },
    /// An IP version field that does not match the EtherType (or next header).
    WrongVersion { header: Header, found: u8 },
    /// A length field says less than its header's own fixed part.
    BelowMinimum {
        field: LengthField,
        says: usize,
        minimum: usize,
    },
    /// A length field says more bytes than there are.
    BeyondData {
        field: LengthField,
        says: usize,
        available: usize,
    },
    /// The length byte itself is missing; `available` bytes were left.
    NoLengthByte {
        field: LengthField,
        available: usize,
    },
    /// A protocol number this course does not dissect, carried by `header`.
    NotDissected {
        header: Header,
        number: Number,
        undecoded: usize,
    },
    /// Raw IP whose version nibble is neither 4 nor 6.
    NotIp { found: u8 },
    /// A capture file's link type that `explain` does not read.
    UnknownLinkType { link_type: u32, name: String },
    /// An application message that breaks its protocol's syntax at
    /// `offset` (counted from the message's first byte).
    Malformed {
        header: Header,
        offset: usize,
        problem: Problem,
    },
}

/// What is wrong with an application message (see `Stop::Malformed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "problem")]
pub enum Problem {
    /// A DNS compression pointer that does not point before the part of the
    /// name it ends: following it could loop (a pointer to itself, or back
    /// to a label before it).
    DnsPointerLoop { target: usize },
    /// A DNS compression pointer to an offset past the message's end.
    DnsPointerOutside { target: usize, length: usize },
    /// A DNS label length byte with the reserved top bits `01` or `10`.
    DnsLabelType { byte: u8 },
    /// A DNS name longer than 255 bytes on the wire (RFC 1035 §2.3.4).
    DnsNameTooLong,
    /// A text protocol's line with no line end before the message's end.
    NoLineEnd,
    /// An HTTP message whose header section never ends with an empty line.
    NoHeaderEnd,
    /// An HTTP start line that is neither `METHOD URI HTTP/x.y` nor
    /// `HTTP/x.y CODE PHRASE`.
    BadStartLine,
    /// An HTTP header line without a `:`.
    BadHeaderLine,
    /// A chunk-size line that is not a hexadecimal number.
    BadChunkSize,
    /// A chunked body cut before its last (zero-size) chunk.
    UnfinishedChunks,
    /// An SMTP or FTP reply line that does not start with a 3-digit code.
    BadReplyCode,
    /// A TELNET `IAC` with no command byte after it, or a negotiation with
    /// no option byte.
    TelnetCut,
    /// A TELNET subnegotiation (`IAC SB`) that has no `IAC SE`.
    TelnetOpenSubnegotiation,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Problem::DnsPointerLoop { target } => write!(
                f,
                "the compression pointer to offset {target} does not point back to an earlier part of the name, so following it could loop forever (refused)"
            ),
            Problem::DnsPointerOutside { target, length } => write!(
                f,
                "the compression pointer points to offset {target}, past the message's {length} bytes"
            ),
            Problem::DnsLabelType { byte } => write!(
                f,
                "label length byte 0x{byte:02x} starts with the reserved bits {:02b}",
                byte >> 6
            ),
            Problem::DnsNameTooLong => f.write_str("the name is longer than 255 bytes"),
            Problem::NoLineEnd => f.write_str("the line has no end (CRLF) before the message ends"),
            Problem::NoHeaderEnd => {
                f.write_str("the header section has no empty line to end it")
            }
            Problem::BadStartLine => f.write_str(
                "the first line is neither a request line (METHOD URI HTTP/x.y) nor a status line (HTTP/x.y CODE PHRASE)",
            ),
            Problem::BadHeaderLine => f.write_str("a header line has no `:`"),
            Problem::BadChunkSize => f.write_str("a chunk size is not a hexadecimal number"),
            Problem::UnfinishedChunks => {
                f.write_str("the chunked body ends before its last, zero-size chunk")
            }
            Problem::BadReplyCode => f.write_str("a reply line does not start with a 3-digit code"),
            Problem::TelnetCut => f.write_str("an IAC command is cut off at the end of the data"),
            Problem::TelnetOpenSubnegotiation => {
                f.write_str("a subnegotiation (IAC SB) is not closed by IAC SE")
            }
        }
    }
}

impl Stop {
    /// The header the stop is about.
    pub fn header(&self) -> Header {
        match self {
            Stop::EmptyFrame => Header::Ethernet,
            Stop::Truncated { header, .. }
            | Stop::WrongVersion { header, .. }
            | Stop::NotDissected { header, .. }
            | Stop::Malformed { header, .. } => *header,
            Stop::NotIp { .. } => Header::RawIp,
            Stop::UnknownLinkType { .. } => Header::Ethernet,
            Stop::BelowMinimum { field, .. }
            | Stop::BeyondData { field, .. }
            | Stop::NoLengthByte { field, .. } => field.header(),
        }
    }
}

fn s(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn were(n: usize) -> &'static str {
    if n == 1 { "was" } else { "were" }
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Stop::UnknownLinkType { ref name, .. } = *self {
            return write!(
                f,
                "{name} is not a link type explain reads (it reads Ethernet, Linux cooked SLL and SLL2, raw IP and BSD loopback)"
            );
        }
        write!(f, "{}: ", self.header())?;
        match *self {
            Stop::EmptyFrame => f.write_str("the frame is empty"),
            Stop::Truncated {
                header,
                needed,
                captured,
                ref cut,
            } => {
                write!(
                    f,
                    "the {} needs {needed} bytes but only {captured} {} captured",
                    if header.is_application() {
                        "message"
                    } else {
                        "header"
                    },
                    were(captured)
                )?;
                match cut {
                    Some(name) => write!(f, " (the \"{name}\" field is cut off)"),
                    None => Ok(()),
                }
            }
            Stop::WrongVersion { header, found } => write!(
                f,
                "version field says {found}, but an {header} header must say {}",
                header.ip_version()
            ),
            Stop::BelowMinimum {
                field,
                says,
                minimum,
            } => match field {
                LengthField::Ipv4HeaderLength => write!(
                    f,
                    "header length field says {says} bytes ({}), less than the {minimum}-byte minimum",
                    says / 4
                ),
                LengthField::TcpDataOffset => write!(
                    f,
                    "data offset field says {says} bytes ({}), less than the {minimum}-byte minimum",
                    says / 4
                ),
                LengthField::Ipv4TotalLength => write!(
                    f,
                    "total length field says {says} bytes, less than the {minimum}-byte header"
                ),
                LengthField::Ipv6PayloadLength => write!(
                    f,
                    "payload length field says {says} bytes, less than the {minimum} bytes its headers need"
                ),
                LengthField::UdpLength => write!(
                    f,
                    "length field says {says} bytes, less than the {minimum}-byte header"
                ),
                LengthField::Ipv6Extension { header, offset } => write!(
                    f,
                    "the {} extension header at offset {offset} says {says} bytes, less than the {minimum} bytes of its fixed fields",
                    header.title()
                ),
                LengthField::TcpOption { kind, offset } => write!(
                    f,
                    "option at offset {offset} (kind {kind}) says {says} bytes, less than the {minimum} bytes of kind and length"
                ),
                LengthField::DnsTcpLength => write!(
                    f,
                    "length prefix says {says} bytes, less than the {minimum}-byte DNS header"
                ),
                LengthField::DnsDataLength { offset } => write!(
                    f,
                    "the record data length at offset {offset} says {says} bytes, less than the {minimum} its type needs"
                ),
            },
            Stop::BeyondData {
                field,
                says,
                available,
            } => match field {
                LengthField::Ipv4HeaderLength => write!(
                    f,
                    "header length field says {says} bytes but only {available} {} captured",
                    were(available)
                ),
                LengthField::Ipv4TotalLength => write!(
                    f,
                    "total length field says {says} bytes but only {available} {} captured",
                    were(available)
                ),
                LengthField::Ipv6PayloadLength => write!(
                    f,
                    "payload length field says {says} bytes but only {available} {} captured after the 40-byte header",
                    were(available)
                ),
                LengthField::UdpLength => write!(
                    f,
                    "length field says {says} bytes but the IP packet holds only {available}"
                ),
                LengthField::TcpDataOffset => write!(
                    f,
                    "data offset field says {says} bytes but the segment has only {available}"
                ),
                LengthField::Ipv6Extension { header, offset } => write!(
                    f,
                    "the {} extension header at offset {offset} says {says} bytes but only {available} {} left in the packet",
                    header.title(),
                    if available == 1 { "is" } else { "are" }
                ),
                LengthField::TcpOption { kind, offset } => write!(
                    f,
                    "option at offset {offset} (kind {kind}) says {says} bytes but only {available} remain{} in the header",
                    if available == 1 { "s" } else { "" }
                ),
                LengthField::DnsTcpLength => write!(
                    f,
                    "length prefix says {says} bytes but only {available} follow{}",
                    if available == 1 { "s" } else { "" }
                ),
                LengthField::DnsDataLength { offset } => write!(
                    f,
                    "the record data length at offset {offset} says {says} bytes but only {available} {} left in the message",
                    if available == 1 { "is" } else { "are" }
                ),
            },
            Stop::NoLengthByte { field, available } => match field {
                LengthField::Ipv6Extension { header, offset } => write!(
                    f,
                    "the {} extension header at offset {offset} is cut off: only {available} byte{} left in the packet",
                    header.title(),
                    s(available)
                ),
                LengthField::TcpOption { kind, offset } => write!(
                    f,
                    "option at offset {offset} (kind {kind}) has no length byte left in the header"
                ),
                other => write!(
                    f,
                    "the {} field is cut off: only {available} byte{} left",
                    other.name(),
                    s(available)
                ),
            },
            Stop::NotDissected {
                number, undecoded, ..
            } => {
                match number {
                    Number::EtherType(v) => write!(
                        f,
                        "type {} is not a protocol this course dissects",
                        super::ethernet::ethertype_text(v)
                    )?,
                    Number::IpProtocol(v) => write!(
                        f,
                        "protocol {} is not one this course dissects",
                        super::ip::protocol_text(v)
                    )?,
                    Number::AddressFamily(v) => {
                        write!(f, "address family {v} is not IPv4 or IPv6")?
                    }
                }
                write!(f, "; {undecoded} byte{} left undecoded", s(undecoded))
            }
            Stop::Malformed {
                offset, problem, ..
            } => write!(f, "at byte {offset} of the message, {problem}"),
            Stop::NotIp { found } => write!(
                f,
                "version {found} is neither 4 nor 6; nothing after it is decoded"
            ),
            Stop::UnknownLinkType { .. } => Ok(()),
        }
    }
}

impl LengthField {
    /// The field's name as the layer shows it.
    pub fn name(self) -> &'static str {
        match self {
            LengthField::Ipv4HeaderLength => "header length",
            LengthField::Ipv4TotalLength => "total length",
            LengthField::Ipv6PayloadLength => "payload length",
            LengthField::Ipv6Extension { .. } => "length",
            LengthField::UdpLength => "length",
            LengthField::TcpDataOffset => "data offset",
            LengthField::TcpOption { .. } => "option length",
            LengthField::DnsTcpLength => "length",
            LengthField::DnsDataLength { .. } => "data length",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_stop_names_its_header_first() {
        let cases = [
            (Stop::EmptyFrame, "Ethernet: the frame is empty"),
            (
                Stop::Truncated {
                    header: Header::Udp,
                    needed: 8,
                    captured: 1,
                    cut: None,
                },
                "UDP: the header needs 8 bytes but only 1 was captured",
            ),
            (
                Stop::WrongVersion {
                    header: Header::Ipv6,
                    found: 4,
                },
                "IPv6: version field says 4, but an IPv6 header must say 6",
            ),
            (
                Stop::BelowMinimum {
                    field: LengthField::Ipv6Extension {
                        header: Extension::Authentication,
                        offset: 54,
                    },
                    says: 8,
                    minimum: 12,
                },
                "IPv6: the Authentication extension header at offset 54 says 8 bytes, less than the 12 bytes of its fixed fields",
            ),
            (
                Stop::NoLengthByte {
                    field: LengthField::Ipv6Extension {
                        header: Extension::Fragment,
                        offset: 54,
                    },
                    available: 1,
                },
                "IPv6: the Fragment extension header at offset 54 is cut off: only 1 byte left in the packet",
            ),
            (
                Stop::NotDissected {
                    header: Header::Ipv6,
                    number: Number::IpProtocol(50),
                    undecoded: 1,
                },
                "IPv6: protocol 50 (ESP) is not one this course dissects; 1 byte left undecoded",
            ),
        ];
        for (stop, text) in cases {
            assert_eq!(stop.to_string(), text);
        }
    }

    #[test]
    fn serializes_as_data() {
        let stop = Stop::BeyondData {
            field: LengthField::TcpOption {
                kind: 8,
                offset: 60,
            },
            says: 16,
            available: 14,
        };
        let json = serde_json::to_string(&stop).unwrap();
        assert_eq!(
            json,
            r#"{"reason":"beyond_data","field":{"field":"tcp_option","kind":8,"offset":60},"says":16,"available":14}"#
        );
        assert_eq!(serde_json::from_str::<Stop>(&json).unwrap(), stop);
    }
}

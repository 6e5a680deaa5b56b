//! The application layer: DNS, HTTP, SMTP, FTP (with its data connection)
//! and TELNET. Pure functions over one message's bytes, like the lower
//! layers: they never panic, never read past the bytes they are given, and
//! stop with a typed `Stop` naming the protocol, the byte and the problem.
//!
//! Over TCP a message may span segments, or a segment carry several: the
//! reassembler (`stream.rs`) asks `next_len` where the next message ends and
//! hands the whole message to `decode`.

use super::builder::LayerBuilder;
use super::stop::{Header, Stop};
use super::{Field, Layer, LayerKind};

pub mod custom;
pub mod dns;
pub mod ftp;
pub mod http;
mod lines;
pub mod smtp;
pub mod telnet;

/// An application protocol netcourse dissects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    Dns,
    Http,
    Smtp,
    Ftp,
    /// The data connection an FTP `PASV`, `EPSV` or `PORT` announced.
    FtpData,
    Telnet,
}

impl Protocol {
    /// Every protocol, with the name a lesson's `protocol:` uses.
    pub const LESSON_NAMES: &[(&str, Protocol)] = &[
        ("dns", Protocol::Dns),
        ("http", Protocol::Http),
        ("smtp", Protocol::Smtp),
        ("ftp", Protocol::Ftp),
        ("ftp-data", Protocol::FtpData),
        ("telnet", Protocol::Telnet),
    ];

    /// The protocol a lesson's `protocol: NAME` means.
    pub fn from_lesson(name: &str) -> Option<Protocol> {
        Self::LESSON_NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, p)| p)
    }

    /// The name a layer shows: `DNS`, `HTTP`, `SMTP`, `FTP`, `FTP-DATA`, `TELNET`.
    pub fn name(self) -> &'static str {
        self.header().as_str()
    }

    pub fn header(self) -> Header {
        match self {
            Protocol::Dns => Header::Dns,
            Protocol::Http => Header::Http,
            Protocol::Smtp => Header::Smtp,
            Protocol::Ftp => Header::Ftp,
            Protocol::FtpData => Header::FtpData,
            Protocol::Telnet => Header::Telnet,
        }
    }

    /// Recognised by a well-known port, as Wireshark does by default:
    /// DNS on 53 (UDP and TCP); over TCP HTTP on 80 and 8080, SMTP on 25,
    /// 587 and 2525, FTP on 21 (its active-mode data on 20), TELNET on 23.
    pub fn by_port(port: u16, tcp: bool) -> Option<Protocol> {
        match (port, tcp) {
            (53, _) => Some(Protocol::Dns),
            (80 | 8080, true) => Some(Protocol::Http),
            (25 | 587 | 2525, true) => Some(Protocol::Smtp),
            (21, true) => Some(Protocol::Ftp),
            (20, true) => Some(Protocol::FtpData),
            (23, true) => Some(Protocol::Telnet),
            _ => None,
        }
    }
}

/// Which end of the dialogue sent the bytes: the client (towards the
/// server's port) or the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Client,
    Server,
}

/// Whether the first bytes of one direction of a connection look like
/// protocol `p` at all. A well-known port alone does not make the bytes
/// that protocol (a lesson may put anything on port 8080): the text
/// protocols must start with their own syntax — an HTTP request or status
/// line, an SMTP or FTP command word (in capitals) or 3-digit reply.
pub fn plausible(p: Protocol, side: Side, first: &[u8]) -> bool {
    // Commands are case-insensitive, but clients send them in capitals;
    // `how are u` is not a command.
    let word = |b: &[u8]| {
        let n = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
        (3..=8).contains(&n) && matches!(b.get(n), None | Some(b' ' | b'\r' | b'\n'))
    };
    let code = |b: &[u8]| {
        b.len() >= 3
            && b[..3].iter().all(u8::is_ascii_digit)
            && matches!(b.get(3), None | Some(b' ' | b'-' | b'\r' | b'\n'))
    };
    match (p, side) {
        (Protocol::Http, _) => http::looks_like_start(first),
        (Protocol::Smtp | Protocol::Ftp, Side::Client) => word(first),
        (Protocol::Smtp | Protocol::Ftp, Side::Server) => code(first),
        (Protocol::Dns | Protocol::FtpData | Protocol::Telnet, _) => true,
    }
}

/// Where the next message ends in a direction's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// The first `n` bytes are a whole message.
    Complete(usize),
    /// The message is not all there yet.
    NeedMore,
}

/// What framing and decoding must remember between the messages of one
/// connection (both directions).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dialogue {
    /// SMTP: the server said 354, so the client's next bytes are the
    /// message, up to the line holding a single dot.
    pub smtp_data: bool,
    /// HTTP: the requests not answered yet, in order; true for a HEAD,
    /// whose response has headers but never a body.
    pub http_requests: std::collections::VecDeque<bool>,
}

impl Dialogue {
    /// Whether the next HTTP response answers a HEAD.
    fn answers_head(&self, side: Side) -> bool {
        side == Side::Server && self.http_requests.front() == Some(&true)
    }
}

/// One decoded application message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub protocol: Protocol,
    /// Offsets count from `base` as given to `decode`.
    pub layer: Layer,
    pub info: Info,
    /// Why decoding stopped before the message's end, if it did.
    pub stopped: Option<Stop>,
}

/// Typed values of a message, for the notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Info {
    Dns(dns::Info),
    Http(http::Info),
    Smtp(smtp::Info),
    Ftp(ftp::Info),
    FtpData { bytes: usize },
    Telnet(telnet::Info),
}

/// Where the next message in `buf` (one direction's bytes not yet taken)
/// ends. `over_tcp` matters for DNS (a 2-byte length prefix).
pub fn next_len(
    p: Protocol,
    side: Side,
    buf: &[u8],
    dialogue: &Dialogue,
    over_tcp: bool,
) -> Framing {
    if buf.is_empty() {
        return Framing::NeedMore;
    }
    match p {
        Protocol::Dns if over_tcp => dns::tcp_len(buf),
        Protocol::Dns | Protocol::FtpData | Protocol::Telnet => Framing::Complete(buf.len()),
        Protocol::Http => http::next_len(buf, dialogue.answers_head(side)),
        Protocol::Smtp => smtp::next_len(side, buf, dialogue),
        Protocol::Ftp => ftp::next_len(side, buf),
    }
}

/// Decodes one whole message; its fields' offsets start at `base` (the
/// message's offset in the frame, or 0 for a reassembled message).
/// `dialogue` learns what the next messages need (SMTP's DATA).
pub fn decode(
    p: Protocol,
    side: Side,
    msg: &[u8],
    base: usize,
    dialogue: &mut Dialogue,
    over_tcp: bool,
) -> Message {
    let (mut layer, info, stopped) = match p {
        Protocol::Dns => {
            let (l, i, s) = dns::decode(msg, over_tcp);
            (l, Info::Dns(i), s)
        }
        Protocol::Http => {
            let (l, i, s) = http::decode(msg, dialogue.answers_head(side));
            match &i.start {
                Some(http::Start::Request { method, .. }) => {
                    dialogue.http_requests.push_back(method == "HEAD");
                }
                // 1xx responses are interim: the final one follows.
                Some(http::Start::Response { code, .. }) if *code >= 200 => {
                    dialogue.http_requests.pop_front();
                }
                _ => {}
            }
            (l, Info::Http(i), s)
        }
        Protocol::Smtp => {
            let (l, i, s) = smtp::decode(side, msg, dialogue);
            (l, Info::Smtp(i), s)
        }
        Protocol::Ftp => {
            let (l, i, s) = ftp::decode(side, msg);
            (l, Info::Ftp(i), s)
        }
        Protocol::FtpData => {
            let mut b = builder(msg, Header::FtpData);
            b.bytes("data", 0..msg.len(), super::payload::display);
            (
                b.finish(msg.len()),
                Info::FtpData { bytes: msg.len() },
                None,
            )
        }
        Protocol::Telnet => {
            let (l, i, s) = telnet::decode(msg);
            (l, Info::Telnet(i), s)
        }
    };
    shift(&mut layer, base);
    Message {
        protocol: p,
        layer,
        info,
        stopped,
    }
}

/// A builder over a whole message (offsets from its first byte).
pub(crate) fn builder(msg: &[u8], header: Header) -> LayerBuilder<'_> {
    LayerBuilder::new(msg, LayerKind::Application, header, 0, msg.len())
}

/// Moves a layer built at offset 0 to `base`.
pub fn shift(layer: &mut Layer, base: usize) {
    layer.offset = layer.offset.saturating_add(base);
    for f in &mut layer.fields {
        shift_field(f, base);
    }
}

fn shift_field(f: &mut Field, base: usize) {
    f.offset = f.offset.saturating_add(base);
    f.bit_offset = f.bit_offset.saturating_add(base.saturating_mul(8));
}

/// Text of a line's bytes as a learner reads it: printable ASCII as is,
/// other bytes as `\xNN`, cut after `max` characters with `…`.
pub(crate) fn text(bytes: &[u8], max: usize) -> String {
    let mut out = String::new();
    for (i, &b) in bytes.iter().enumerate() {
        if i >= max {
            out.push('…');
            break;
        }
        if (0x20..0x7f).contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_names() {
        assert_eq!(Protocol::by_port(53, false), Some(Protocol::Dns));
        assert_eq!(Protocol::by_port(80, false), None);
        assert_eq!(Protocol::by_port(8080, true), Some(Protocol::Http));
        assert_eq!(Protocol::by_port(2525, true), Some(Protocol::Smtp));
        assert_eq!(Protocol::by_port(5000, true), None);
        assert_eq!(Protocol::from_lesson("HTTP"), Some(Protocol::Http));
        assert_eq!(Protocol::from_lesson("gopher"), None);
        assert_eq!(Protocol::FtpData.name(), "FTP-DATA");
    }

    #[test]
    fn bytes_that_do_not_start_like_the_protocol_are_not_it() {
        assert!(plausible(
            Protocol::Http,
            Side::Client,
            b"GET / HTTP/1.1\r\n"
        ));
        assert!(!plausible(Protocol::Http, Side::Client, b"first"));
        assert!(plausible(Protocol::Smtp, Side::Client, b"EHLO a\r\n"));
        assert!(plausible(Protocol::Ftp, Side::Client, b"PASV\r\n"));
        assert!(!plausible(Protocol::Ftp, Side::Client, b"how are u"));
        assert!(plausible(Protocol::Ftp, Side::Server, b"220-hi\r\n"));
        assert!(!plausible(Protocol::Smtp, Side::Server, b"hello"));
        assert!(plausible(Protocol::Telnet, Side::Server, &[255, 253, 24]));
    }

    #[test]
    fn a_response_to_head_has_no_body() {
        let mut d = Dialogue::default();
        let head = b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n";
        decode(Protocol::Http, Side::Client, head, 0, &mut d, true);
        let both = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        // Without the HEAD, the second response would be read as a body.
        assert_eq!(
            next_len(Protocol::Http, Side::Server, both, &d, true),
            Framing::Complete(38)
        );
        let m = decode(Protocol::Http, Side::Server, &both[..38], 0, &mut d, true);
        assert!(matches!(&m.info, Info::Http(i) if i.mismatch.is_none()));
        // With the HEAD answered, a Content-Length of 5 takes 5 bytes of the
        // next response, and the rest, which starts no message, with them.
        assert!(d.http_requests.is_empty());
        assert_eq!(
            next_len(Protocol::Http, Side::Server, both, &d, true),
            Framing::Complete(both.len())
        );
    }

    #[test]
    fn decode_shifts_offsets_to_the_frame() {
        let m = decode(
            Protocol::FtpData,
            Side::Server,
            b"file",
            66,
            &mut Dialogue::default(),
            true,
        );
        assert_eq!((m.layer.offset, m.layer.length), (66, 4));
        assert_eq!(m.layer.fields[0].offset, 66);
        assert_eq!(m.layer.fields[0].bit_offset, 66 * 8);
        assert_eq!(text(b"ab\x01cdef", 4), "ab\\x01c…");
    }
}

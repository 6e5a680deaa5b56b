//! HTTP/1.x (RFC 9112): a start line (request or status), header lines, an
//! empty line, then a body whose length the headers give — Content-Length,
//! or chunked transfer coding. A body that disagrees with its
//! Content-Length is recorded (`Info::mismatch`), for the notes to say so.

use super::super::Layer;
use super::super::builder::LayerBuilder;
use super::super::payload::display;
use super::super::stop::{Header, Problem, Stop};
use super::lines::{Line, line_at, lines_from};
use super::{Framing, builder, text};

/// The start line, as typed values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    Request {
        method: String,
        uri: String,
        version: String,
    },
    Response {
        version: String,
        code: u16,
        phrase: String,
    },
}

/// How the body disagrees with the Content-Length header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mismatch {
    /// What Content-Length says.
    pub says: usize,
    /// The body bytes the sender actually sent before the next message (or
    /// the end of the connection).
    pub sent: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Info {
    pub start: Option<Start>,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    pub content_length: Option<usize>,
    pub chunked: bool,
    /// Bytes of the start line and headers, with the empty line.
    pub header_len: usize,
    /// Bytes of the body (chunked: of the data inside the chunks).
    pub body_len: usize,
    pub mismatch: Option<Mismatch>,
}

impl Info {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// Whether the connection stays open after this message: HTTP/1.1
    /// unless `Connection: close`; HTTP/1.0 only with `keep-alive`.
    pub fn keeps_alive(&self) -> bool {
        let version = match &self.start {
            Some(Start::Request { version, .. } | Start::Response { version, .. }) => version,
            None => return false,
        };
        let conn = self.header("connection").map(str::to_ascii_lowercase);
        match conn.as_deref() {
            Some("close") => false,
            Some("keep-alive") => true,
            _ => version == "HTTP/1.1",
        }
    }
}

/// Whether bytes look like the start of an HTTP message: `HTTP/` or an
/// upper-case method and a space.
pub fn looks_like_start(buf: &[u8]) -> bool {
    if buf.starts_with(b"HTTP/") {
        return true;
    }
    let method_len = buf.iter().take_while(|b| b.is_ascii_uppercase()).count();
    method_len >= 3 && buf.get(method_len) == Some(&b' ')
}

/// The header section's end (after the empty line), if it is all there.
fn header_end(buf: &[u8]) -> Option<usize> {
    lines_from(buf, 0)
        .find(|l| l.start == l.end)
        .map(|l| l.next)
}

struct Heads {
    content_length: Option<usize>,
    chunked: bool,
    response_code: Option<u16>,
}

fn heads(buf: &[u8], end: usize) -> Heads {
    let mut h = Heads {
        content_length: None,
        chunked: false,
        response_code: None,
    };
    let mut first = true;
    for l in lines_from(buf, 0).take_while(|l| l.next <= end && l.start != l.end) {
        let t = l.text(buf);
        if first {
            first = false;
            if t.starts_with(b"HTTP/") {
                h.response_code = t
                    .split(|&b| b == b' ')
                    .nth(1)
                    .and_then(|c| std::str::from_utf8(c).ok()?.parse().ok());
            }
            continue;
        }
        let Some(colon) = t.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = &t[..colon];
        let value = String::from_utf8_lossy(&t[colon + 1..]);
        let value = value.trim();
        if name.eq_ignore_ascii_case(b"content-length") {
            h.content_length = value.parse().ok();
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            h.chunked = value.to_ascii_lowercase().ends_with("chunked");
        }
    }
    h
}

/// Where the chunked body starting at `at` ends (after the last chunk and
/// the trailer), `Err(())` when a chunk size is not a number.
fn chunked_end(buf: &[u8], at: usize) -> Result<Option<usize>, ()> {
    let mut pos = at;
    loop {
        let Some(l) = line_at(buf, pos) else {
            return Ok(None);
        };
        let size = chunk_size(l.text(buf)).ok_or(())?;
        if size == 0 {
            // The trailer: header lines up to an empty line.
            return Ok(lines_from(buf, l.next)
                .find(|t| t.start == t.end)
                .map(|t| t.next));
        }
        let data_end = l.next.saturating_add(size);
        match line_at(buf, data_end) {
            Some(after) if after.start == after.end => pos = after.next,
            Some(_) => return Err(()),
            None if buf.len() > data_end.saturating_add(1) => return Err(()),
            None => return Ok(None),
        }
    }
}

fn chunk_size(line: &[u8]) -> Option<usize> {
    let digits = line.split(|&b| b == b';').next()?;
    let digits = std::str::from_utf8(digits).ok()?.trim();
    if digits.is_empty() || digits.len() > 12 {
        return None;
    }
    usize::from_str_radix(digits, 16).ok()
}

/// Where the next HTTP message ends in one direction's bytes; a response
/// to HEAD (`answers_head`) ends with its headers.
pub fn next_len(buf: &[u8], answers_head: bool) -> Framing {
    let Some(end) = header_end(buf) else {
        return Framing::NeedMore;
    };
    let h = heads(buf, end);
    if answers_head && h.response_code.is_some() {
        return Framing::Complete(end);
    }
    if h.chunked {
        return match chunked_end(buf, end) {
            Ok(Some(n)) => Framing::Complete(n),
            Ok(None) => Framing::NeedMore,
            // Decoding says what is wrong with it.
            Err(()) => Framing::Complete(buf.len()),
        };
    }
    match h.content_length {
        Some(n) => {
            let total = end.saturating_add(n);
            match buf.get(total..) {
                // More bytes than Content-Length, and they do not start a
                // message: they are this message's, and its length is wrong.
                Some(rest) if !rest.is_empty() && !looks_like_start(rest) => {
                    Framing::Complete(buf.len())
                }
                Some(_) => Framing::Complete(total),
                None => Framing::NeedMore,
            }
        }
        None => match h.response_code {
            // A response without a length runs to the connection's end,
            // except those that never have a body.
            Some(c) if !(100..200).contains(&c) && c != 204 && c != 304 => Framing::NeedMore,
            _ => Framing::Complete(end),
        },
    }
}

/// Decodes one message; a response to HEAD (`answers_head`) has no body,
/// whatever its Content-Length says.
pub fn decode(msg: &[u8], answers_head: bool) -> (Layer, Info, Option<Stop>) {
    let mut b = builder(msg, Header::Http);
    let mut info = Info::default();
    let stop = read(&mut b, msg, &mut info).err();
    if answers_head && info.body_len == 0 {
        info.mismatch = None;
    }
    (b.finish(msg.len()), info, stop)
}

fn malformed(offset: usize, problem: Problem) -> Stop {
    Stop::Malformed {
        header: Header::Http,
        offset,
        problem,
    }
}

fn word(s: &[u8]) -> String {
    text(s, 200)
}

fn read(b: &mut LayerBuilder<'_>, msg: &[u8], info: &mut Info) -> Result<(), Stop> {
    let Some(first) = line_at(msg, 0) else {
        return Err(malformed(msg.len(), Problem::NoLineEnd));
    };
    start_line(b, msg, first, info)?;
    let mut pos = first.next;
    let end = loop {
        let Some(l) = line_at(msg, pos) else {
            return Err(malformed(msg.len(), Problem::NoHeaderEnd));
        };
        if l.start == l.end {
            b.bytes("end of headers", l.start..l.next, |_| {
                "empty line (CRLF)".into()
            });
            break l.next;
        }
        let t = l.text(msg);
        let Some(colon) = t.iter().position(|&c| c == b':') else {
            return Err(malformed(l.start, Problem::BadHeaderLine));
        };
        let name = word(&t[..colon]);
        let value = word(&t[colon + 1..]).trim().to_string();
        b.bytes(name.clone(), l.start..l.end, |_| value.clone());
        info.headers.push((name, value));
        pos = l.next;
    };
    info.header_len = end;
    let h = heads(msg, end);
    info.chunked = h.chunked;
    info.content_length = if h.chunked { None } else { h.content_length };
    let body = msg.get(end..).unwrap_or_default();
    if h.chunked {
        return chunks(b, msg, end, info);
    }
    if !body.is_empty() {
        b.bytes("body", end..msg.len(), display);
    }
    info.body_len = body.len();
    if let Some(says) = info.content_length
        && says != body.len()
    {
        info.mismatch = Some(Mismatch {
            says,
            sent: body.len(),
        });
    }
    Ok(())
}

fn start_line(b: &mut LayerBuilder<'_>, msg: &[u8], l: Line, info: &mut Info) -> Result<(), Stop> {
    let t = l.text(msg);
    let parts: Vec<(usize, &[u8])> = {
        let mut v = Vec::new();
        let mut at = 0;
        for (i, piece) in t.splitn(3, |&c| c == b' ').enumerate() {
            v.push((at, piece));
            at += piece.len() + 1;
            if i == 2 {
                break;
            }
        }
        v
    };
    let range = |i: usize| {
        let (at, p): (usize, &[u8]) = parts[i];
        l.start + at..l.start + at + p.len()
    };
    if t.starts_with(b"HTTP/") && parts.len() >= 2 {
        let code = std::str::from_utf8(parts[1].1)
            .ok()
            .and_then(|c| c.parse::<u16>().ok());
        let Some(code) = code.filter(|c| (100..1000).contains(c)) else {
            return Err(malformed(l.start, Problem::BadStartLine));
        };
        let version = word(parts[0].1);
        let phrase = parts.get(2).map(|p| word(p.1)).unwrap_or_default();
        b.bytes("response.version", range(0), |_| version.clone());
        b.bytes("response.code", range(1), |_| match reason(code) {
            Some(r) => format!("{code} ({r})"),
            None => code.to_string(),
        });
        if parts.len() == 3 && !parts[2].1.is_empty() {
            b.bytes("response.phrase", range(2), |_| phrase.clone());
        }
        info.start = Some(Start::Response {
            version,
            code,
            phrase,
        });
        return Ok(());
    }
    let ok = parts.len() == 3
        && !parts[0].1.is_empty()
        && parts[0]
            .1
            .iter()
            .all(|c| c.is_ascii_uppercase() || *c == b'-')
        && !parts[1].1.is_empty()
        && parts[2].1.starts_with(b"HTTP/");
    if !ok {
        return Err(malformed(l.start, Problem::BadStartLine));
    }
    let (method, uri, version) = (word(parts[0].1), word(parts[1].1), word(parts[2].1));
    b.bytes("request.method", range(0), |_| method.clone());
    b.bytes("request.URI", range(1), |_| uri.clone());
    b.bytes("request.version", range(2), |_| version.clone());
    info.start = Some(Start::Request {
        method,
        uri,
        version,
    });
    Ok(())
}

fn chunks(b: &mut LayerBuilder<'_>, msg: &[u8], at: usize, info: &mut Info) -> Result<(), Stop> {
    let mut pos = at;
    loop {
        let Some(l) = line_at(msg, pos) else {
            return Err(malformed(pos, Problem::UnfinishedChunks));
        };
        let Some(size) = chunk_size(l.text(msg)) else {
            return Err(malformed(l.start, Problem::BadChunkSize));
        };
        if size == 0 {
            b.bytes("last chunk", l.start..l.next, |_| {
                "0 (the body ends here)".into()
            });
            // Trailer fields, then the empty line.
            for t in lines_from(msg, l.next) {
                if t.start == t.end {
                    b.bytes("end of trailer", t.start..t.next, |_| {
                        "empty line (CRLF)".into()
                    });
                    return Ok(());
                }
                let line = word(t.text(msg));
                b.bytes("trailer", t.start..t.end, |_| line.clone());
            }
            return Err(malformed(msg.len(), Problem::UnfinishedChunks));
        }
        b.bytes("chunk size", l.start..l.end, |_| {
            format!("0x{size:x} ({size} bytes)")
        });
        let data_end = l.next.saturating_add(size);
        if data_end > msg.len() {
            b.bytes("chunk data", l.next..msg.len(), display);
            info.body_len += msg.len() - l.next;
            return Err(malformed(msg.len(), Problem::UnfinishedChunks));
        }
        b.bytes("chunk data", l.next..data_end, display);
        info.body_len += size;
        match line_at(msg, data_end) {
            Some(after) if after.start == after.end => pos = after.next,
            _ => return Err(malformed(data_end, Problem::BadChunkSize)),
        }
    }
}

/// The reason phrase RFC 9110 gives a status code.
pub fn reason(code: u16) -> Option<&'static str> {
    Some(match code {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const GET: &[u8] = b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n";
    pub const OK: &[u8] =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello";

    #[test]
    fn a_request_field_by_field() {
        let (l, info, stop) = decode(GET, false);
        assert_eq!(stop, None);
        let f = l.field("request.method").unwrap();
        assert_eq!((f.value.as_str(), f.offset, f.length), ("GET", 0, 3));
        let f = l.field("request.URI").unwrap();
        assert_eq!(
            (f.value.as_str(), f.offset, f.length),
            ("/index.html", 4, 11)
        );
        assert_eq!(l.value("request.version"), Some("HTTP/1.1"));
        let f = l.field("Host").unwrap();
        assert_eq!(
            (f.value.as_str(), f.offset, f.length),
            ("localhost", 26, 15)
        );
        assert_eq!(l.field("end of headers").unwrap().offset, 43);
        assert_eq!(info.header("host"), Some("localhost"));
        assert!(info.keeps_alive());
        assert_eq!(next_len(GET, false), Framing::Complete(GET.len()));
    }

    #[test]
    fn a_response_and_its_length() {
        let (l, info, stop) = decode(OK, false);
        assert_eq!(stop, None);
        assert_eq!(l.value("response.code"), Some("200 (OK)"));
        assert_eq!(l.value("response.phrase"), Some("OK"));
        assert_eq!(l.value("Content-Length"), Some("5"));
        assert_eq!(l.value("body"), Some("\"hello\""));
        assert_eq!(
            (info.content_length, info.body_len, info.mismatch),
            (Some(5), 5, None)
        );
        assert_eq!(next_len(OK, false), Framing::Complete(OK.len()));
        assert_eq!(next_len(&OK[..OK.len() - 1], false), Framing::NeedMore);
        // Two messages in one buffer: the first ends where its length says.
        let two = [OK, GET].concat();
        assert_eq!(next_len(&two, false), Framing::Complete(OK.len()));
    }

    #[test]
    fn a_body_longer_than_its_content_length_is_kept_and_flagged() {
        let long = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nhello";
        assert_eq!(next_len(long, false), Framing::Complete(long.len()));
        let (_, info, stop) = decode(long, false);
        assert_eq!(stop, None);
        assert_eq!(info.mismatch, Some(Mismatch { says: 4, sent: 5 }));
        let short = b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhello";
        assert_eq!(next_len(short, false), Framing::NeedMore);
        assert_eq!(
            decode(short, false).1.mismatch,
            Some(Mismatch { says: 9, sent: 5 })
        );
    }

    #[test]
    fn chunked_bodies() {
        let m = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;x=y\r\n!\r\n0\r\n\r\n";
        assert_eq!(next_len(m, false), Framing::Complete(m.len()));
        assert_eq!(next_len(&m[..m.len() - 2], false), Framing::NeedMore);
        let (l, info, stop) = decode(m, false);
        assert_eq!(stop, None);
        assert!(info.chunked);
        assert_eq!(info.body_len, 6);
        assert_eq!(l.value("chunk size"), Some("0x5 (5 bytes)"));
        assert_eq!(l.value("last chunk"), Some("0 (the body ends here)"));
        let bad = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
        assert_eq!(next_len(bad, false), Framing::Complete(bad.len()));
        assert_eq!(
            decode(bad, false).2.unwrap().to_string(),
            "HTTP: at byte 47 of the message, a chunk size is not a hexadecimal number"
        );
    }

    #[test]
    fn garbage_stops_with_a_reason() {
        assert!(matches!(
            decode(b"hello\r\n\r\n", false).2,
            Some(Stop::Malformed {
                problem: Problem::BadStartLine,
                ..
            })
        ));
        assert!(matches!(
            decode(b"GET / HTTP/1.1\r\nHost", false).2,
            Some(Stop::Malformed {
                problem: Problem::NoHeaderEnd,
                ..
            })
        ));
        assert!(matches!(
            decode(b"GET / HTTP/1.1\r\nnocolon\r\n\r\n", false).2,
            Some(Stop::Malformed {
                problem: Problem::BadHeaderLine,
                offset: 16,
                ..
            })
        ));
        assert_eq!(next_len(b"GET / HTTP/1.1\r\n", false), Framing::NeedMore);
        assert!(looks_like_start(b"POST /x"));
        assert!(!looks_like_start(b"!"));
    }
}

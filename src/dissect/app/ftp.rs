//! FTP (RFC 959, RFC 2428): one-line commands and 3-digit replies on the
//! control connection. `PASV` is answered with `227 … (h1,h2,h3,h4,p1,p2)`
//! and `EPSV` with `229 … (|||port|)`: the address where the server waits
//! for the data connection; `PORT h1,h2,h3,h4,p1,p2` names the client's.

use std::net::Ipv4Addr;

use super::super::Layer;
use super::super::builder::LayerBuilder;
use super::super::stop::{Header, Stop};
use super::lines::{command_len, line_at, reply_len};
use super::smtp::{self, Info as LineInfo};
use super::{Framing, Side, builder};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    pub line: LineInfo,
    /// The data connection's address a 227/229 reply or a PORT/EPRT command
    /// announced (no IP for EPSV: the control connection's).
    pub announced: Option<(Option<Ipv4Addr>, u16)>,
}

pub fn next_len(side: Side, buf: &[u8]) -> Framing {
    match side {
        Side::Server => reply_len(buf),
        Side::Client => command_len(buf),
    }
}

pub fn decode(side: Side, msg: &[u8]) -> (Layer, Info, Option<Stop>) {
    let mut b = builder(msg, Header::Ftp);
    let (line, stop) = match side {
        Side::Server => smtp::reply(&mut b, msg, Header::Ftp),
        Side::Client => smtp::command(&mut b, msg, Header::Ftp, false),
    };
    let line = line.unwrap_or(LineInfo::Other);
    let announced = announced(&mut b, msg, &line);
    (b.finish(msg.len()), Info { line, announced }, stop)
}

/// Six comma-separated numbers `h1,h2,h3,h4,p1,p2` at `text[at..]`: the
/// address, the port, and where they end.
fn six(text: &[u8], at: usize) -> Option<(Ipv4Addr, u16, usize)> {
    let mut nums = [0u16; 6];
    let mut pos = at;
    for (i, n) in nums.iter_mut().enumerate() {
        let digits = text
            .get(pos..)?
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 || digits > 3 {
            return None;
        }
        *n = std::str::from_utf8(text.get(pos..pos + digits)?)
            .ok()?
            .parse()
            .ok()?;
        if *n > 255 {
            return None;
        }
        pos += digits;
        if i < 5 {
            if text.get(pos) != Some(&b',') {
                return None;
            }
            pos += 1;
        }
    }
    let ip = Ipv4Addr::new(nums[0] as u8, nums[1] as u8, nums[2] as u8, nums[3] as u8);
    Some((ip, nums[4] * 256 + nums[5], pos))
}

fn announced(
    b: &mut LayerBuilder<'_>,
    msg: &[u8],
    line: &LineInfo,
) -> Option<(Option<Ipv4Addr>, u16)> {
    let l = line_at(msg, 0)?;
    let t = l.text(msg);
    match line {
        LineInfo::Reply { code: 227, .. } => {
            let at = (4..t.len()).find(|&i| !t[i - 1].is_ascii_digit() && six(t, i).is_some())?;
            let (ip, port, end) = six(t, at)?;
            b.bytes("passive IP", l.start + at..l.start + end, |_| {
                ip.to_string()
            });
            b.bytes("passive port", l.start + at..l.start + end, |_| {
                format!("{port} (= {} × 256 + {})", port / 256, port % 256)
            });
            Some((Some(ip), port))
        }
        LineInfo::Reply { code: 229, .. } => {
            // `(|||port|)`: the delimiter may be any character; `|` is usual.
            let open = t.iter().position(|&c| c == b'(')?;
            let d = *t.get(open + 1)?;
            let rest = t.get(open + 4..)?;
            if t.get(open + 2) != Some(&d) || t.get(open + 3) != Some(&d) {
                return None;
            }
            let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
            let port: u16 = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
            let at = l.start + open + 4;
            b.bytes("passive port", at..at + digits, |_| port.to_string());
            Some((None, port))
        }
        LineInfo::Command {
            verb,
            argument: Some(_),
        } if verb.eq_ignore_ascii_case("PORT") => {
            let (ip, port, end) = six(t, 5)?;
            b.bytes("active IP", l.start + 5..l.start + end, |_| ip.to_string());
            b.bytes("active port", l.start + 5..l.start + end, |_| {
                format!("{port} (= {} × 256 + {})", port / 256, port % 256)
            });
            Some((Some(ip), port))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasv_epsv_and_port_announce_the_data_connection() {
        let m = b"227 Entering Passive Mode (127,0,0,1,195,80).\r\n";
        assert_eq!(next_len(Side::Server, m), Framing::Complete(m.len()));
        let (l, info, stop) = decode(Side::Server, m);
        assert_eq!(stop, None);
        assert_eq!(info.announced, Some((Some(Ipv4Addr::LOCALHOST), 50000)));
        assert_eq!(l.value("reply code"), Some("227"));
        assert_eq!(l.value("passive port"), Some("50000 (= 195 × 256 + 80)"));
        let f = l.field("passive IP").unwrap();
        assert_eq!((f.offset, f.length), (27, 16));
        let (_, info, _) = decode(
            Side::Server,
            b"229 Entering Extended Passive Mode (|||6446|)\r\n",
        );
        assert_eq!(info.announced, Some((None, 6446)));
        let (l, info, _) = decode(Side::Client, b"PORT 127,0,0,1,4,1\r\n");
        assert_eq!(info.announced, Some((Some(Ipv4Addr::LOCALHOST), 1025)));
        assert_eq!(l.value("command"), Some("PORT"));
        assert_eq!(l.value("argument"), Some("127,0,0,1,4,1"));
        let (_, info, _) = decode(Side::Server, b"227 (999,0,0,1,1,1)\r\n");
        assert_eq!(info.announced, None);
        let (_, info, _) = decode(Side::Client, b"RETR notes.txt\r\n");
        assert_eq!(
            info.line,
            LineInfo::Command {
                verb: "RETR".into(),
                argument: Some("notes.txt".into())
            }
        );
    }
}

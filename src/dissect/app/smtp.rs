//! SMTP (RFC 5321): the client sends one-line commands (`EHLO`, `MAIL
//! FROM:`, `RCPT TO:`, `DATA`, `QUIT`), the server answers with 3-digit
//! replies, multi-line ones repeating the code with `-`. After the server's
//! 354 the client's bytes are the message itself, up to a line holding only
//! a dot.

use super::super::Layer;
use super::super::builder::LayerBuilder;
use super::super::payload::display;
use super::super::stop::{Header, Problem, Stop};
use super::lines::{command_len, line_at, lines_from, reply_code, reply_len, split_command};
use super::{Dialogue, Framing, Side, builder, text};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Info {
    Command {
        verb: String,
        argument: Option<String>,
    },
    /// The message after DATA: its bytes (without the final dot line) and lines.
    Data {
        bytes: usize,
        lines: usize,
    },
    Reply {
        code: u16,
        lines: Vec<String>,
    },
    /// Bytes that are neither (shown as they are).
    Other,
}

/// The end of the DATA section: CRLF . CRLF (or a dot line first).
fn data_end(buf: &[u8]) -> Option<usize> {
    if buf.starts_with(b".\r\n") {
        return Some(3);
    }
    buf.windows(5)
        .position(|w| w == b"\r\n.\r\n")
        .map(|i| i + 5)
}

pub fn next_len(side: Side, buf: &[u8], dialogue: &Dialogue) -> Framing {
    match side {
        Side::Server => reply_len(buf),
        Side::Client if dialogue.smtp_data => match data_end(buf) {
            Some(n) => Framing::Complete(n),
            None => Framing::NeedMore,
        },
        Side::Client => command_len(buf),
    }
}

pub fn decode(side: Side, msg: &[u8], dialogue: &mut Dialogue) -> (Layer, Info, Option<Stop>) {
    let mut b = builder(msg, Header::Smtp);
    let (info, stop) = match side {
        Side::Server => {
            let (info, stop) = reply(&mut b, msg, Header::Smtp);
            if let Some(Info::Reply { code: 354, .. }) = info {
                dialogue.smtp_data = true;
            }
            (info, stop)
        }
        Side::Client if dialogue.smtp_data => {
            dialogue.smtp_data = false;
            data(&mut b, msg)
        }
        Side::Client => command(&mut b, msg, Header::Smtp, true),
    };
    let info = match info {
        Some(i) => i,
        None => Info::Other,
    };
    (b.finish(msg.len()), info, stop)
}

fn data(b: &mut LayerBuilder<'_>, msg: &[u8]) -> (Option<Info>, Option<Stop>) {
    let Some(end) = data_end(msg) else {
        if !msg.is_empty() {
            b.bytes("message", 0..msg.len(), display);
        }
        let stop = Stop::Malformed {
            header: Header::Smtp,
            offset: msg.len(),
            problem: Problem::NoLineEnd,
        };
        return (
            Some(Info::Data {
                bytes: msg.len(),
                lines: 0,
            }),
            Some(stop),
        );
    };
    let body_end = end - 3;
    if body_end > 0 {
        b.bytes("message", 0..body_end, display);
    }
    b.bytes("end of data", body_end..end, |_| {
        "\".\" alone on a line".into()
    });
    let lines = lines_from(msg, 0)
        .take_while(|l| l.next <= body_end)
        .count();
    (
        Some(Info::Data {
            bytes: body_end,
            lines,
        }),
        None,
    )
}

/// A command line: `command` and `parameter` (SMTP) or `argument` (FTP).
pub(super) fn command(
    b: &mut LayerBuilder<'_>,
    msg: &[u8],
    header: Header,
    smtp: bool,
) -> (Option<Info>, Option<Stop>) {
    let Some(l) = line_at(msg, 0) else {
        if !msg.is_empty() {
            b.bytes("data", 0..msg.len(), display);
        }
        let stop = Stop::Malformed {
            header,
            offset: msg.len(),
            problem: Problem::NoLineEnd,
        };
        return (None, Some(stop));
    };
    let t = l.text(msg);
    let (verb, arg) = split_command(t);
    let verb_text = text(&t[verb.clone()], 64);
    b.bytes("command", verb.clone(), |_| verb_text.clone());
    let arg_text = arg.clone().map(|r| text(&t[r], 200));
    if let (Some(r), Some(a)) = (arg, &arg_text) {
        b.bytes(if smtp { "parameter" } else { "argument" }, r, |_| {
            a.clone()
        });
    }
    let extra = msg.get(l.next..).unwrap_or_default();
    if !extra.is_empty() {
        b.bytes("data", l.next..msg.len(), display);
    }
    (
        Some(Info::Command {
            verb: verb_text,
            argument: arg_text,
        }),
        None,
    )
}

/// A reply: `reply code` and `reply text` per line.
pub(super) fn reply(
    b: &mut LayerBuilder<'_>,
    msg: &[u8],
    header: Header,
) -> (Option<Info>, Option<Stop>) {
    let mut code = None;
    let mut texts = Vec::new();
    let mut stop = None;
    let mut pos = 0;
    for l in lines_from(msg, 0) {
        pos = l.next;
        let t = l.text(msg);
        match reply_code(t) {
            Some(c) => {
                code.get_or_insert(c);
                b.bytes("reply code", l.start..l.start + 3, |_| c.to_string());
                let rest = t.get(4..).unwrap_or_default();
                if !rest.is_empty() {
                    let shown = text(rest, 200);
                    b.bytes("reply text", l.start + 4..l.end, |_| shown.clone());
                    texts.push(shown);
                }
            }
            // FTP lets the middle lines of a multi-line reply be any text.
            None if code.is_some() => {
                let shown = text(t, 200);
                if !t.is_empty() {
                    b.bytes("reply text", l.start..l.end, |_| shown.clone());
                }
                texts.push(shown);
            }
            None => {
                stop.get_or_insert(Stop::Malformed {
                    header,
                    offset: l.start,
                    problem: Problem::BadReplyCode,
                });
                break;
            }
        }
    }
    if stop.is_none() && pos < msg.len() {
        b.bytes("data", pos..msg.len(), display);
        stop = Some(Stop::Malformed {
            header,
            offset: msg.len(),
            problem: Problem::NoLineEnd,
        });
    }
    let info = code.map(|code| Info::Reply { code, lines: texts });
    (info, stop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_replies_and_data() {
        let mut d = Dialogue::default();
        let (l, info, stop) = decode(Side::Client, b"MAIL FROM:<a@b.example>\r\n", &mut d);
        assert_eq!(stop, None);
        assert_eq!(l.value("command"), Some("MAIL"));
        assert_eq!(l.value("parameter"), Some("FROM:<a@b.example>"));
        assert_eq!(
            info,
            Info::Command {
                verb: "MAIL".into(),
                argument: Some("FROM:<a@b.example>".into())
            }
        );
        let ehlo = b"250-mail.example\r\n250-SIZE 1000\r\n250 HELP\r\n";
        assert_eq!(
            next_len(Side::Server, ehlo, &d),
            Framing::Complete(ehlo.len())
        );
        let (l, info, stop) = decode(Side::Server, ehlo, &mut d);
        assert_eq!(stop, None);
        assert_eq!(
            l.fields.iter().filter(|f| f.name == "reply code").count(),
            3
        );
        assert_eq!(l.field("reply text").unwrap().offset, 4);
        assert!(matches!(info, Info::Reply { code: 250, ref lines } if lines.len() == 3));
        assert!(!d.smtp_data);
        decode(Side::Server, b"354 go ahead\r\n", &mut d);
        assert!(d.smtp_data);
        let body = b"Subject: hi\r\n\r\nhello\r\n.\r\nQUIT\r\n";
        assert_eq!(
            next_len(Side::Client, body, &d),
            Framing::Complete(body.len() - 6)
        );
        let (l, info, stop) = decode(Side::Client, &body[..body.len() - 6], &mut d);
        assert_eq!(stop, None);
        assert_eq!(
            info,
            Info::Data {
                bytes: 22,
                lines: 3
            }
        );
        assert_eq!(l.field("end of data").unwrap().offset, 22);
        assert!(!d.smtp_data);
    }

    #[test]
    fn bad_replies_stop() {
        let mut d = Dialogue::default();
        let (_, _, stop) = decode(Side::Server, b"hello\r\n", &mut d);
        assert_eq!(
            stop.unwrap().to_string(),
            "SMTP: at byte 0 of the message, a reply line does not start with a 3-digit code"
        );
        let (_, _, stop) = decode(Side::Client, b"QUIT", &mut d);
        assert!(matches!(
            stop,
            Some(Stop::Malformed {
                problem: Problem::NoLineEnd,
                ..
            })
        ));
    }
}

//! The application layer of a frame: which protocol its bytes carry (the
//! lesson's `protocol:`, a data connection an FTP reply announced, or a
//! well-known port), the messages in them (over TCP, from the reassembled
//! stream), and the three notes about each message. The sentences are the
//! catalog's `app.*` entries; this file picks them and fills them in.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use super::catalog::app as t;
use super::fmt_ns;
use super::notes::bytes;
use crate::dissect::app::{self, Dialogue, Info, Message, Protocol, Side, custom, dns, http};
use crate::dissect::stop::{Problem, Stop};
use crate::dissect::stream::{Outcome, Part, Segment, Streams};
use crate::dissect::{Dissection, Field, Layer, LayerKind, TcpInfo};
use crate::plan::{AppProtocol, Plan};
use crate::recent::Recent;
use crate::transcript::{MessagePart, Reassembled, to_hex};

/// Fields listed in a message's syntax note before `+N more`.
const SYNTAX_FIELDS: usize = 40;

/// What the application layer adds to a frame's event.
#[derive(Debug, Default)]
pub(super) struct AppFrame {
    /// Layers that take the place of the frame's `Payload` layer.
    pub layers: Vec<Layer>,
    pub reassembled: Vec<Reassembled>,
    pub syntax: Vec<String>,
    pub semantics: Vec<String>,
    pub timing: Vec<String>,
    pub summary: Vec<String>,
    pub follows: Option<usize>,
    pub stopped: Option<String>,
}

/// A frame as the application layer needs it.
pub(super) struct FrameIn<'a> {
    pub d: &'a Dissection,
    pub frame: &'a [u8],
    pub index: usize,
    pub ts: u64,
    pub from: &'a str,
    pub to: &'a str,
    pub plan: &'a Plan,
}

/// A connection, as (client, server).
type Conn = (SocketAddr, SocketAddr);

/// A request (or command) waiting for its answer.
#[derive(Debug, Clone)]
struct Asked {
    event: usize,
    ts: u64,
    what: String,
}

#[derive(Debug, Default)]
pub(super) struct AppTracker {
    streams: Streams,
    /// Data connections an FTP reply or command announced: port → event.
    announced: HashMap<u16, usize>,
    /// Requests and commands waiting for an answer, per connection.
    waiting: Recent<Conn, VecDeque<Asked>>,
    /// DNS queries: (client, server, ID) → (event, time).
    dns: Recent<(SocketAddr, SocketAddr, u16), (usize, u64)>,
    /// Messages so far per connection and side; the event of the first.
    counts: Recent<(Conn, Side), (usize, usize)>,
    /// Whether the last HTTP message per connection side gave a length.
    http_length: Recent<(Conn, Side), bool>,
    /// Per connection side recognised by its port only: whether its first
    /// bytes looked like the protocol (if not, it is left as plain data).
    plausible: Recent<(Conn, Side), bool>,
}

fn addr(ip: &Option<String>, port: u16) -> Option<SocketAddr> {
    Some(SocketAddr::new(ip.as_ref()?.parse().ok()?, port))
}

impl AppTracker {
    /// The protocol a frame between `src` and `dst` carries, and the server's address.
    fn choose(
        &self,
        f: &FrameIn,
        src: SocketAddr,
        dst: SocketAddr,
        tcp: bool,
    ) -> Option<(AppProtocol, SocketAddr, bool)> {
        // The lesson's word first: an actor with `protocol:` at either end.
        // An actor with a fixed port is the server; one whose port the OS
        // chose is the client, so the other end is the server.
        for a in f.plan.actors.iter().filter(|a| a.protocol.is_some()) {
            let owns = |x: SocketAddr| {
                a.addr.port() == x.port() && (a.addr.ip() == x.ip() || a.addr.ip().is_unspecified())
            };
            let server = if a.addr.port() != 0 {
                [dst, src].into_iter().find(|&x| owns(x))
            } else if a.name == f.from {
                Some(dst)
            } else if a.name == f.to {
                Some(src)
            } else {
                None
            };
            if let Some(server) = server {
                return Some((a.protocol.clone()?, server, true));
            }
        }
        if tcp {
            for a in [dst, src] {
                if self.announced.contains_key(&a.port()) {
                    return Some((AppProtocol::Builtin(Protocol::FtpData), a, false));
                }
            }
        }
        [dst, src].into_iter().find_map(|a| {
            Some((
                AppProtocol::Builtin(Protocol::by_port(a.port(), tcp)?),
                a,
                false,
            ))
        })
    }

    /// The application layer of one frame, if it carries one.
    pub(super) fn frame(&mut self, f: &FrameIn) -> Option<AppFrame> {
        let d = f.d;
        let (sp, dp) = (d.src_port()?, d.dst_port()?);
        let (src, dst) = (addr(&d.ip_src, sp)?, addr(&d.ip_dst, dp)?);
        let tcp = d.tcp.as_ref();
        let (choice, server, by_lesson) = self.choose(f, src, dst, tcp.is_some())?;
        let side = if dst == server {
            Side::Client
        } else {
            Side::Server
        };
        let conn = match side {
            Side::Client => (src, dst),
            Side::Server => (dst, src),
        };
        let (off, len) = d.payload.unwrap_or((0, 0));
        let payload = f
            .frame
            .get(off..off.saturating_add(len))
            .unwrap_or_default();
        let mut out = AppFrame::default();
        match (choice, tcp) {
            (AppProtocol::Custom { name, fields }, _) => {
                if payload.is_empty() {
                    return None;
                }
                let (mut layer, stop) = custom::decode(&name, payload, &fields);
                app::shift(&mut layer, off);
                let list: Vec<String> = layer
                    .fields
                    .iter()
                    .map(|x| format!("{} = {}", x.name, x.value))
                    .collect();
                let at: Vec<String> = layer
                    .fields
                    .iter()
                    .map(|x| t::syntax_field(&x.name, &x.value, &(x.offset - off), &x.offset))
                    .collect();
                out.syntax.push(t::syntax_message(
                    &name,
                    &f.from,
                    &off,
                    &(off + len - 1),
                    &bytes(len),
                    &at.join("; "),
                ));
                out.semantics
                    .push(t::custom_fields(&name, &list.join(", ")));
                out.summary.push(format!("{name} {}", list.join(" ")));
                out.stopped = stop.map(|s| s.to_string());
                out.layers.push(layer);
            }
            (AppProtocol::Builtin(p), None) => {
                if payload.is_empty() {
                    return None;
                }
                let m = app::decode(p, side, payload, off, &mut Dialogue::default(), false);
                self.explain(f, &m, side, conn, None, &mut out);
                out.layers.push(m.layer);
            }
            (AppProtocol::Builtin(p), Some(t)) => {
                // Recognised by its port alone, a direction must start like
                // the protocol; what the lesson names is taken at its word.
                if !by_lesson {
                    let key = (conn, side);
                    if !payload.is_empty() && self.plausible.get_mut(&key).is_none() {
                        self.plausible.insert(key, app::plausible(p, side, payload));
                    }
                    // Looked up with every segment, so an active connection stays
                    // remembered.
                    if self.plausible.get_mut(&key).map(|v| *v) == Some(false) {
                        return None;
                    }
                }
                let seg = Segment {
                    src,
                    dst,
                    seq: t.seq,
                    syn: t.has(TcpInfo::SYN),
                    fin: t.has(TcpInfo::FIN),
                    rst: t.has(TcpInfo::RST),
                    payload,
                    payload_offset: off,
                    event: f.index,
                };
                let o = self.streams.segment(p, server, &seg);
                self.outcome(f, p, side, conn, o, &mut out);
            }
        }
        let said =
            !out.layers.is_empty() || !out.semantics.is_empty() || !out.reassembled.is_empty();
        said.then_some(out)
    }

    fn outcome(
        &mut self,
        f: &FrameIn,
        p: Protocol,
        side: Side,
        conn: Conn,
        o: Outcome,
        out: &mut AppFrame,
    ) {
        let (off, _) = f.d.payload.unwrap_or((0, 0));
        if o.repeated > 0 {
            out.layers.push(note_layer(
                p,
                "already received",
                off,
                o.repeated,
                format!("{} retransmitted", bytes(o.repeated)),
            ));
            out.semantics.push(t::stream_repeated(&bytes(o.repeated)));
        }
        if o.early > 0 {
            out.semantics.push(t::stream_early());
        }
        if o.dropped > 0 {
            out.semantics.push(t::stream_dropped(&bytes(o.dropped)));
        }
        for r in o.reassembled {
            // This frame's own share of the message.
            if let Some(mine) = r.parts.iter().find(|x| x.event == f.index) {
                let value = format!(
                    "message bytes {}–{} of the {} message reassembled here",
                    mine.at,
                    mine.at + mine.len - 1,
                    p.name()
                );
                out.layers.push(note_layer(
                    p,
                    "reassembled message part",
                    mine.frame_offset,
                    mine.len,
                    value,
                ));
            }
            let parts: Vec<String> = r
                .parts
                .iter()
                .map(|x| t::syntax_part(&x.event, &x.at, &(x.at + x.len.max(1) - 1)))
                .collect();
            let contributors = r.parts.iter().filter(|x| x.event != f.index).count();
            if contributors == 0 || r.parts.len() > 1 {
                out.semantics.push(t::stream_completes(
                    &f.from,
                    &p.name(),
                    &bytes(r.bytes.len()),
                    &r.parts.len(),
                    &parts.join(", "),
                ));
            } else {
                out.semantics.push(t::stream_ended(&f.from, &p.name()));
            }
            self.explain(f, &r.message, side, conn, Some(&r.parts), out);
            out.reassembled.push(Reassembled {
                protocol: p.name().to_string(),
                parts: r
                    .parts
                    .iter()
                    .map(|x| MessagePart {
                        event: x.event,
                        at: x.at,
                        length: x.len,
                    })
                    .collect(),
                data_hex: to_hex(&r.bytes),
                layer: r.message.layer,
            });
        }
        for m in o.messages {
            self.explain(f, &m, side, conn, None, out);
            out.layers.push(m.layer);
        }
        if let Some((at, len, so_far)) = o.pending {
            let from = so_far - len;
            let value = format!(
                "bytes {}–{} of the next {} message (not complete yet)",
                from,
                so_far - 1,
                p.name()
            );
            out.layers
                .push(note_layer(p, "segment of a message", at, len, value));
            out.semantics
                .push(t::stream_pending(&from, &(so_far - 1), &f.from, &p.name()));
            out.summary
                .push(format!("{} [part of a message]", p.name()));
        }
        out.layers.sort_by_key(|l| l.offset);
    }

    /// The notes about one message. `parts`: where a reassembled message's
    /// bytes came from (its layer's offsets are then the message's own).
    fn explain(
        &mut self,
        f: &FrameIn,
        m: &Message,
        side: Side,
        conn: Conn,
        parts: Option<&[Part]>,
        out: &mut AppFrame,
    ) {
        let who = f.from;
        let count = self
            .counts
            .get_or_insert_with((conn, side), || (0, f.index));
        count.0 += 1;
        let (nth, first) = *count;
        let l = &m.layer;
        let name = m.protocol.name();
        // Syntax: where the message lies, and its fields with their offsets.
        let shown: Vec<&Field> = l
            .fields
            .iter()
            .filter(|x| !x.name.starts_with("flags.") || x.value.starts_with('1'))
            .collect();
        let mut fields: Vec<String> = shown
            .iter()
            .take(SYNTAX_FIELDS)
            .map(|x| {
                let at = x.offset - l.offset;
                match parts {
                    None => t::syntax_field(&x.name, &x.value, &at, &x.offset),
                    Some(ps) => {
                        let event = ps
                            .iter()
                            .find(|p| at >= p.at && at < p.at + p.len)
                            .map_or(f.index, |p| p.event);
                        t::syntax_field_elsewhere(&x.name, &x.value, &at, &event)
                    }
                }
            })
            .collect();
        if shown.len() > SYNTAX_FIELDS {
            fields.push(t::syntax_more(&(shown.len() - SYNTAX_FIELDS)));
        }
        let fields = fields.join("; ");
        out.syntax.push(match parts {
            None => t::syntax_message(
                &name,
                &who,
                &l.offset,
                &(l.offset + l.length.max(1) - 1),
                &bytes(l.length),
                &fields,
            ),
            Some(ps) => {
                let list: Vec<String> = ps
                    .iter()
                    .map(|x| t::syntax_part(&x.event, &x.at, &(x.at + x.len.max(1) - 1)))
                    .collect();
                t::syntax_reassembled(&name, &who, &list.join(", "), &bytes(l.length), &fields)
            }
        });
        if let Some(stop) = &m.stopped {
            out.semantics.push(t::stream_stopped(&name, stop));
            out.stopped.get_or_insert(stop.to_string());
        }
        match &m.info {
            Info::Dns(i) => self.dns(f, i, l, side, conn, out),
            Info::Http(i) => self.http(f, m, i, side, conn, (nth, first), parts.is_some(), out),
            Info::Smtp(i) => self.smtp(f, i, side, conn, nth, out),
            Info::Ftp(i) => self.ftp(f, i, side, conn, nth, out),
            Info::FtpData { bytes: n } => {
                let port = conn.1.port();
                match self.announced.get(&port) {
                    Some(&a) => {
                        out.semantics.push(t::ftp_data(&a, &bytes(*n)));
                        out.follows.get_or_insert(a);
                    }
                    None => out.semantics.push(t::ftp_data_unannounced(&bytes(*n))),
                }
                out.summary.push(format!("FTP-DATA {}", bytes(*n)));
            }
            Info::Telnet(i) => telnet(f, i, out),
        }
    }

    fn dns(
        &mut self,
        f: &FrameIn,
        i: &dns::Info,
        l: &Layer,
        side: Side,
        conn: Conn,
        out: &mut AppFrame,
    ) {
        let _ = side;
        let q = i.questions.first();
        let qname = q.map_or("<none>".to_string(), |q| q.name.clone());
        let qtype = q.map_or("?".to_string(), |q| type_name(q.qtype));
        let id = format!("0x{:04x}", i.id);
        if !i.is_response() {
            out.semantics
                .push(t::dns_query(&f.from, &conn.1, &qtype, &qname, &id));
            if i.flags & 0x0100 != 0 {
                out.semantics.push(t::dns_recursion());
            }
            out.timing.push(t::dns_timing_query(&conn.1.port(), &id));
            self.dns.insert((conn.0, conn.1, i.id), (f.index, f.ts));
            out.summary
                .push(format!("DNS standard query {id} {qtype} {qname}"));
            return;
        }
        let answers: Vec<String> = i
            .answers()
            .map(|r| t::dns_record(&r.name, &type_name(r.rtype), &r.data, &r.ttl))
            .collect();
        if answers.is_empty() {
            let rcode = dns::Rcode::from(i.rcode())
                .name()
                .unwrap_or("an unknown reply code");
            out.semantics.push(t::dns_no_answer(&id, &qname, &rcode));
        } else {
            out.semantics.push(t::dns_answer(&id, &answers.join("; ")));
            out.semantics.push(t::dns_resolver());
        }
        if let Some(p) = i.pointers.first() {
            let field = pointed_name(l, p.target);
            out.semantics.push(t::dns_compression(
                &i.pointers.len(),
                &format!("0x{:04x}", 0xc000 | p.target),
                &p.target,
                &field,
            ));
        }
        match self.dns.peek(&(conn.0, conn.1, i.id)) {
            Some(&(q, ts)) => {
                out.timing
                    .push(t::dns_timing_answer(&q, &fmt_ns(f.ts.saturating_sub(ts))));
                out.follows = Some(q);
            }
            None => out.timing.push(t::dns_timing_unasked()),
        }
        let first = i
            .answers()
            .next()
            .map(|r| format!(" {} {}", type_name(r.rtype), r.data))
            .unwrap_or_default();
        out.summary.push(format!(
            "DNS standard query response {id} {qtype} {qname}{first}"
        ));
    }

    #[allow(clippy::too_many_arguments)]
    fn http(
        &mut self,
        f: &FrameIn,
        m: &Message,
        i: &http::Info,
        side: Side,
        conn: Conn,
        (nth, first): (usize, usize),
        reassembled: bool,
        out: &mut AppFrame,
    ) {
        let had_length = self
            .http_length
            .insert((conn, side), i.content_length.is_some() || i.chunked);
        match &i.start {
            Some(http::Start::Request {
                method,
                uri,
                version,
            }) => {
                out.semantics
                    .push(t::http_request(&f.from, uri, method, version));
                if let Some(h) = i.header("host") {
                    out.semantics.push(t::http_host(&h));
                }
                if nth > 1 {
                    out.timing.push(t::http_timing_again(&nth, &first));
                }
                out.timing.push(t::http_timing_request());
                self.waiting
                    .get_or_insert_with(conn, VecDeque::new)
                    .push_back(Asked {
                        event: f.index,
                        ts: f.ts,
                        what: format!("{method} {uri}"),
                    });
                out.summary.push(format!("HTTP {method} {uri} {version}"));
            }
            Some(http::Start::Response {
                version,
                code,
                phrase,
            }) => {
                out.semantics
                    .push(t::http_response(code, phrase, &bytes(i.body_len)));
                if i.chunked {
                    out.semantics.push(t::http_chunked(&bytes(i.body_len)));
                }
                if let Some(asked) = self.waiting.get_mut(&conn).and_then(VecDeque::pop_front) {
                    out.timing.push(t::http_timing_response(
                        &asked.event,
                        &asked.what,
                        &fmt_ns(f.ts.saturating_sub(asked.ts)),
                    ));
                    out.follows = Some(asked.event);
                }
                out.summary.push(format!("HTTP {version} {code} {phrase}"));
            }
            None => {
                let bad_start = matches!(
                    m.stopped,
                    Some(Stop::Malformed {
                        problem: Problem::BadStartLine,
                        ..
                    })
                );
                if bad_start && had_length == Some(true) {
                    out.semantics.push(t::http_after_length());
                }
                out.summary.push("HTTP (not a message start)".to_string());
            }
        }
        if let Some(mm) = i.mismatch {
            if mm.sent > mm.says {
                out.semantics.push(t::http_length_longer(
                    &bytes(mm.says),
                    &bytes(mm.sent),
                    &bytes(mm.sent - mm.says),
                ));
            } else if reassembled {
                out.semantics.push(t::http_length_shorter(
                    &bytes(mm.says),
                    &bytes(mm.sent),
                    &t::http_end_close(),
                    &bytes(mm.says - mm.sent),
                ));
            }
        }
        if i.start.is_some() && side == Side::Server {
            out.semantics.push(if i.keeps_alive() {
                t::http_keep_alive()
            } else {
                t::http_closes()
            });
        }
    }

    fn smtp(
        &mut self,
        f: &FrameIn,
        i: &app::smtp::Info,
        side: Side,
        conn: Conn,
        nth: usize,
        out: &mut AppFrame,
    ) {
        use app::smtp::Info as S;
        match i {
            S::Reply { code, lines } => {
                let text = lines.first().cloned().unwrap_or_default();
                if side == Side::Server && nth == 1 && *code == 220 {
                    out.semantics.push(t::smtp_greeting(code));
                    out.timing.push(t::smtp_timing_greeting());
                } else {
                    out.semantics.push(t::smtp_reply(code, &text));
                    if let Some(asked) = self.waiting.get_mut(&conn).and_then(VecDeque::pop_front) {
                        out.timing
                            .push(t::smtp_timing_reply(&asked.what, &asked.event));
                        out.follows = Some(asked.event);
                    }
                }
                if lines.len() > 1 {
                    out.semantics.push(t::smtp_reply_lines(&lines.len()));
                }
                out.summary.push(format!("SMTP {code} {text}"));
            }
            S::Command { verb, argument } => {
                let arg = argument.clone().unwrap_or_default();
                out.semantics
                    .push(match verb.to_ascii_uppercase().as_str() {
                        "EHLO" | "HELO" => t::smtp_ehlo(&arg),
                        "MAIL" => t::smtp_mail(&arg),
                        "RCPT" => t::smtp_rcpt(&arg),
                        "DATA" => t::smtp_data(),
                        "QUIT" => t::smtp_quit(),
                        _ => t::smtp_command(&f.from, verb),
                    });
                out.timing.push(t::smtp_timing_command());
                self.ask(conn, f, verb.clone());
                out.summary
                    .push(format!("SMTP {verb} {arg}").trim_end().to_string());
            }
            S::Data { bytes: n, lines } => {
                out.semantics.push(t::smtp_message(&bytes(*n), lines));
                out.timing.push(t::smtp_timing_data());
                self.ask(conn, f, "the mail".to_string());
                out.summary.push(format!("SMTP mail, {}", bytes(*n)));
            }
            S::Other => out.summary.push("SMTP".to_string()),
        }
    }

    fn ftp(
        &mut self,
        f: &FrameIn,
        i: &app::ftp::Info,
        side: Side,
        conn: Conn,
        nth: usize,
        out: &mut AppFrame,
    ) {
        use app::smtp::Info as S;
        let address = |a: &(Option<std::net::Ipv4Addr>, u16)| match a.0 {
            Some(ip) => format!("{ip}:{}", a.1),
            None => format!("port {}", a.1),
        };
        match &i.line {
            S::Reply { code, lines } => {
                let text = lines.first().cloned().unwrap_or_default();
                if let Some(a) = &i.announced {
                    out.semantics.push(t::ftp_passive(&address(a)));
                    out.timing.push(t::ftp_timing_passive(&a.1));
                    self.announced.insert(a.1, f.index);
                }
                if side == Side::Server && nth == 1 && *code == 220 {
                    out.semantics.push(t::ftp_greeting(code));
                } else {
                    out.semantics.push(t::ftp_reply(code, &text));
                    // A 1xx reply is preliminary: the command waits for its final one.
                    let queue = self.waiting.get_or_insert_with(conn, VecDeque::new);
                    let asked = if *code < 200 {
                        queue.front().cloned()
                    } else {
                        queue.pop_front()
                    };
                    if let Some(asked) = asked {
                        out.timing
                            .push(t::ftp_timing_reply(&asked.what, &asked.event));
                        out.follows = Some(asked.event);
                    }
                }
                out.summary.push(format!("FTP {code} {text}"));
            }
            S::Command { verb, argument } => {
                let arg = argument.clone().unwrap_or_default();
                out.semantics
                    .push(match verb.to_ascii_uppercase().as_str() {
                        "USER" => t::ftp_user(&arg),
                        "PASS" => t::ftp_pass(),
                        "PASV" => t::ftp_pasv(),
                        "EPSV" => t::ftp_epsv(),
                        "PORT" => t::ftp_port(&i.announced.as_ref().map_or(arg.clone(), address)),
                        "RETR" => t::ftp_retr(&arg),
                        _ => t::ftp_command(&f.from, verb),
                    });
                if let Some(a) = &i.announced {
                    self.announced.insert(a.1, f.index);
                }
                out.timing.push(t::ftp_timing_command());
                self.ask(conn, f, verb.clone());
                out.summary
                    .push(format!("FTP {verb} {arg}").trim_end().to_string());
            }
            _ => out.summary.push("FTP".to_string()),
        }
    }

    fn ask(&mut self, conn: Conn, f: &FrameIn, what: String) {
        self.waiting
            .get_or_insert_with(conn, VecDeque::new)
            .push_back(Asked {
                event: f.index,
                ts: f.ts,
                what,
            });
    }
}

fn telnet(f: &FrameIn, i: &app::telnet::Info, out: &mut AppFrame) {
    use app::telnet::{Command, Item, Opt};
    let opt = |o: u8| Opt::from(o).name().map_or(o.to_string(), str::to_string);
    let mut words = Vec::new();
    for item in &i.items {
        match item {
            Item::Negotiation { command, option } => {
                let o = opt(*option);
                out.semantics.push(match Command::from(*command) {
                    Command::Will => t::telnet_will(&o, &f.from),
                    Command::Wont => t::telnet_wont(&o, &f.from),
                    Command::Do => t::telnet_do(&o, &f.from),
                    _ => t::telnet_dont(&o, &f.from),
                });
                words.push(format!(
                    "{} {o}",
                    Command::from(*command).name().unwrap_or("?")
                ));
            }
            Item::Subnegotiation { option, .. } => {
                out.semantics.push(t::telnet_subnegotiation(&opt(*option)));
                words.push(format!("SB {}", opt(*option)));
            }
            Item::Command(c) => {
                let name = Command::from(*c)
                    .name()
                    .map_or(c.to_string(), str::to_string);
                out.semantics.push(t::telnet_command(&name));
                words.push(name);
            }
            Item::Data(_) => {}
        }
    }
    if i.data_len() > 0 {
        out.semantics.push(t::telnet_data(&bytes(i.data_len())));
        words.push("data".to_string());
    }
    if i.negotiations().next().is_some() {
        out.timing.push(t::telnet_timing());
    }
    out.summary.push(format!("TELNET {}", words.join(", ")));
}

fn type_name(t: u16) -> String {
    dns::RecordType::from(t)
        .name()
        .map_or(t.to_string(), str::to_string)
}

/// The name a DNS compression pointer to `target` stands for, as the
/// pointer's field shows it (`0xc00c → offset 12 (example.com)`).
fn pointed_name(l: &Layer, target: usize) -> String {
    let mark = format!("→ offset {target} (");
    l.fields
        .iter()
        .filter(|x| x.name.ends_with(".pointer"))
        .find_map(|x| {
            let rest = &x.value[x.value.find(&mark)? + mark.len()..];
            Some(rest.strip_suffix(')').unwrap_or(rest).to_string())
        })
        .unwrap_or_else(|| format!("offset {target}"))
}

/// A layer over bytes of a segment that are not a whole message.
fn note_layer(p: Protocol, name: &str, offset: usize, length: usize, value: String) -> Layer {
    Layer {
        layer: LayerKind::Application,
        protocol: p.name().to_string(),
        offset,
        length,
        fields: vec![Field {
            name: name.to_string().into(),
            value,
            offset,
            length,
            bit_offset: offset * 8,
            bit_length: length * 8,
        }],
    }
}

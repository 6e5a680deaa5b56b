//! DNS (RFC 1035): a 12-byte header (ID, flags, four counts), then
//! questions and resource records whose names may be compressed with
//! pointers to an earlier name. Over TCP each message has a 2-byte length
//! before it (RFC 1035 §4.2.2).

use super::super::builder::{LayerBuilder, hex, u16_at, u32_at};
use super::super::enums::enum_with_unknown;
use super::super::stop::{Header, LengthField, Problem, Stop};
use super::super::{Layer, LayerKind};
use super::Framing;

pub const HEADER_LEN: usize = 12;
/// A name is at most 255 bytes on the wire (RFC 1035 §2.3.4).
const MAX_NAME: usize = 255;

enum_with_unknown! {
    /// A resource record type (IANA "DNS Parameters").
    pub enum RecordType(u16) {
        A = 1 => "A",
        Ns = 2 => "NS",
        Cname = 5 => "CNAME",
        Soa = 6 => "SOA",
        Ptr = 12 => "PTR",
        Mx = 15 => "MX",
        Txt = 16 => "TXT",
        Aaaa = 28 => "AAAA",
        Srv = 33 => "SRV",
        Opt = 41 => "OPT",
        Any = 255 => "ANY",
    }
}

enum_with_unknown! {
    /// A record class.
    pub enum Class(u16) {
        In = 1 => "IN",
        Ch = 3 => "CH",
        Hs = 4 => "HS",
        Any = 255 => "ANY",
    }
}

enum_with_unknown! {
    /// The header's opcode.
    pub enum Opcode(u8) {
        Query = 0 => "standard query",
        InverseQuery = 1 => "inverse query",
        Status = 2 => "server status",
        Notify = 4 => "notify",
        Update = 5 => "update",
    }
}

enum_with_unknown! {
    /// The header's response code.
    pub enum Rcode(u8) {
        NoError = 0 => "no error",
        FormatError = 1 => "format error",
        ServerFailure = 2 => "server failure",
        NoSuchName = 3 => "no such name",
        NotImplemented = 4 => "not implemented",
        Refused = 5 => "refused",
    }
}

fn named<T: Copy + Into<u64>>(v: T, name: Option<&str>) -> String {
    match name {
        Some(n) => format!("{} ({n})", v.into()),
        None => v.into().to_string(),
    }
}

/// A question of the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub name: String,
    pub qtype: u16,
}

/// A section holding resource records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Answer,
    Authority,
    Additional,
}

impl Section {
    pub fn field_prefix(self) -> &'static str {
        match self {
            Section::Answer => "answer",
            Section::Authority => "authority",
            Section::Additional => "additional",
        }
    }
}

/// A resource record of the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub section: Section,
    pub name: String,
    pub rtype: u16,
    pub ttl: u32,
    /// The data as a learner reads it (`93.184.216.34`, `10 mail.example`).
    pub data: String,
}

/// A compression pointer met while reading a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pointer {
    /// Message offset of the pointer's 2 bytes, and the offset it points to.
    pub at: usize,
    pub target: usize,
}

/// Typed values of a DNS message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Info {
    pub id: u16,
    pub flags: u16,
    /// Question, answer, authority and additional counts, as the header says.
    pub counts: [u16; 4],
    pub questions: Vec<Question>,
    pub records: Vec<Record>,
    /// Every compression pointer a name of the message used.
    pub pointers: Vec<Pointer>,
    /// Bytes of the message (without a TCP length prefix).
    pub length: usize,
}

impl Info {
    pub fn is_response(&self) -> bool {
        self.flags & 0x8000 != 0
    }
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0xf) as u8
    }
    pub fn rcode(&self) -> u8 {
        (self.flags & 0xf) as u8
    }
    pub fn answers(&self) -> impl Iterator<Item = &Record> {
        self.records.iter().filter(|r| r.section == Section::Answer)
    }
}

/// DNS over TCP: the length prefix and the message it announces.
pub fn tcp_len(buf: &[u8]) -> Framing {
    if buf.len() < 2 {
        return Framing::NeedMore;
    }
    let n = 2 + usize::from(u16_at(buf, 0..2));
    if buf.len() >= n {
        Framing::Complete(n)
    } else {
        Framing::NeedMore
    }
}

/// Decodes one message (with its 2-byte length first when `over_tcp`).
pub fn decode(buf: &[u8], over_tcp: bool) -> (Layer, Info, Option<Stop>) {
    let mut b = LayerBuilder::new(buf, LayerKind::Application, Header::Dns, 0, buf.len());
    let mut info = Info::default();
    let mut base = 0;
    let mut end = buf.len();
    if over_tcp {
        let says = b
            .bytes("length", 0..2, |s| u16_at(s, 0..2).to_string())
            .map(|s| usize::from(u16_at(s, 0..2)));
        let Some(says) = says else {
            let stop = b.truncated(2);
            return (b.finish(buf.len()), info, Some(stop));
        };
        base = 2;
        if says < HEADER_LEN || says > buf.len() - 2 {
            let stop = if says < HEADER_LEN {
                Stop::BelowMinimum {
                    field: LengthField::DnsTcpLength,
                    says,
                    minimum: HEADER_LEN,
                }
            } else {
                Stop::BeyondData {
                    field: LengthField::DnsTcpLength,
                    says,
                    available: buf.len() - 2,
                }
            };
            return (b.finish(buf.len()), info, Some(stop));
        }
        end = 2 + says;
        b.limit_to(end);
    }
    let msg = buf.get(base..end).unwrap_or_default();
    info.length = msg.len();
    let stop = Reader {
        b: &mut b,
        msg,
        base,
        info: &mut info,
    }
    .read()
    .err();
    (b.finish(end), info, stop)
}

struct Reader<'b, 'a> {
    b: &'b mut LayerBuilder<'a>,
    /// The message, without a TCP length prefix; names' pointers count from its start.
    msg: &'a [u8],
    /// Where the message starts in the builder's bytes.
    base: usize,
    info: &'b mut Info,
}

/// A name as read: its text, where its bytes end at its own place, and the
/// first pointer it took.
struct Name {
    text: String,
    end: usize,
    pointer: Option<Pointer>,
}

impl Reader<'_, '_> {
    fn at(&self, r: core::ops::Range<usize>) -> core::ops::Range<usize> {
        self.base + r.start..self.base + r.end
    }

    fn read(&mut self) -> Result<(), Stop> {
        let b = &mut *self.b;
        let base = self.base;
        b.bytes("transaction ID", base..base + 2, |s| {
            format!("0x{:04x}", u16_at(s, 0..2))
        });
        let flags = b.bytes("flags", base + 2..base + 4, |s| {
            let v = u16_at(s, 0..2);
            let opcode = Opcode::from(((v >> 11) & 0xf) as u8);
            let what = opcode.name().unwrap_or("unknown opcode");
            if v & 0x8000 != 0 {
                let rcode = Rcode::from((v & 0xf) as u8);
                format!(
                    "0x{v:04x} ({what} response, {})",
                    rcode.name().unwrap_or("unknown reply code")
                )
            } else {
                format!("0x{v:04x} ({what})")
            }
        });
        let bit = |n: usize| (base + 2) * 8 + n;
        let yes_no = |yes: &'static str, no: &'static str| {
            move |v: u32| format!("{v} ({})", if v == 1 { yes } else { no })
        };
        b.bits("flags.QR", bit(0), 1, yes_no("response", "query"));
        b.bits("flags.opcode", bit(1), 4, |v| {
            named(v, Opcode::from(v as u8).name())
        });
        b.bits(
            "flags.AA",
            bit(5),
            1,
            yes_no("authoritative answer", "not authoritative"),
        );
        b.bits("flags.TC", bit(6), 1, yes_no("truncated", "not truncated"));
        b.bits(
            "flags.RD",
            bit(7),
            1,
            yes_no("recursion desired", "no recursion desired"),
        );
        b.bits(
            "flags.RA",
            bit(8),
            1,
            yes_no("recursion available", "recursion not available"),
        );
        b.bits("flags.Z", bit(9), 1, |v| format!("{v} (reserved)"));
        b.bits(
            "flags.AD",
            bit(10),
            1,
            yes_no("answer authenticated", "not authenticated"),
        );
        b.bits(
            "flags.CD",
            bit(11),
            1,
            yes_no("checking disabled", "checking enabled"),
        );
        b.bits("flags.rcode", bit(12), 4, |v| {
            named(v, Rcode::from(v as u8).name())
        });
        let names = ["questions", "answer RRs", "authority RRs", "additional RRs"];
        let mut counts = [0u16; 4];
        for (i, name) in names.iter().enumerate() {
            let r = base + 4 + 2 * i..base + 6 + 2 * i;
            if let Some(s) = b.bytes(*name, r, |s| u16_at(s, 0..2).to_string()) {
                counts[i] = u16_at(s, 0..2);
            }
        }
        if flags.is_none() || self.msg.len() < HEADER_LEN {
            return Err(self.b.truncated(base + HEADER_LEN));
        }
        self.info.id = u16_at(self.msg, 0..2);
        self.info.flags = u16_at(self.msg, 2..4);
        self.info.counts = counts;

        let mut pos = HEADER_LEN;
        for _ in 0..counts[0] {
            pos = self.question(pos)?;
        }
        let sections = [Section::Answer, Section::Authority, Section::Additional];
        for (i, section) in sections.into_iter().enumerate() {
            for _ in 0..counts[i + 1] {
                pos = self.record(section, pos)?;
            }
        }
        Ok(())
    }

    /// A `Truncated` stop for a field of `needed` message bytes that is cut.
    fn cut(&self, field: &str, needed: usize) -> Stop {
        Stop::Truncated {
            header: Header::Dns,
            needed,
            captured: self.msg.len(),
            cut: Some(field.to_string()),
        }
    }

    /// Reads the name at `at`, adding `NAME` (and `NAME.pointer`) fields.
    fn name(&mut self, field: &str, at: usize) -> Result<Name, Stop> {
        let name = read_name(self.msg, at).map_err(|e| match e {
            NameError::Cut(needed) => self.cut(field, needed),
            NameError::Bad(offset, problem) => Stop::Malformed {
                header: Header::Dns,
                offset,
                problem,
            },
        })?;
        let shown = match name.pointer {
            Some(p) => format!(
                "{} (compressed: ends in a pointer to offset {})",
                name.text, p.target
            ),
            None => name.text.clone(),
        };
        let r = self.at(at..name.end);
        self.b.bytes(field.to_string(), r, |_| shown);
        if let Some(p) = name.pointer {
            let target_name = read_name(self.msg, p.target)
                .map(|n| n.text)
                .unwrap_or_default();
            let r = self.at(p.at..p.at + 2);
            self.b.bytes(format!("{field}.pointer"), r, |s| {
                format!(
                    "0x{:04x} → offset {} ({target_name})",
                    u16_at(s, 0..2),
                    p.target
                )
            });
            self.info.pointers.push(p);
        }
        Ok(name)
    }

    fn question(&mut self, at: usize) -> Result<usize, Stop> {
        let name = self.name("query.name", at)?;
        let pos = name.end;
        let fixed = self
            .msg
            .get(pos..pos + 4)
            .ok_or_else(|| self.cut("query.type", pos + 4))?;
        let qtype = u16_at(fixed, 0..2);
        let r = self.at(pos..pos + 2);
        self.b.bytes("query.type", r, |_| {
            named(qtype, RecordType::from(qtype).name())
        });
        let class = u16_at(fixed, 2..4);
        let r = self.at(pos + 2..pos + 4);
        self.b.bytes("query.class", r, |_| {
            named(class, Class::from(class).name())
        });
        self.info.questions.push(Question {
            name: name.text,
            qtype,
        });
        Ok(pos + 4)
    }

    fn record(&mut self, section: Section, at: usize) -> Result<usize, Stop> {
        let pre = section.field_prefix();
        let name = self.name(&format!("{pre}.name"), at)?;
        let pos = name.end;
        let fixed = self
            .msg
            .get(pos..pos + 10)
            .ok_or_else(|| self.cut(&format!("{pre}.type"), pos + 10))?;
        let rtype = u16_at(fixed, 0..2);
        let class = u16_at(fixed, 2..4);
        let ttl = u32_at(fixed, 4..8);
        let rdlen = usize::from(u16_at(fixed, 8..10));
        let kind = RecordType::from(rtype);
        let r = self.at(pos..pos + 2);
        self.b
            .bytes(format!("{pre}.type"), r, |_| named(rtype, kind.name()));
        let r = self.at(pos + 2..pos + 4);
        if kind == RecordType::Opt {
            // EDNS (RFC 6891): the class is the sender's UDP payload size.
            self.b
                .bytes(format!("{pre}.UDP payload size"), r, |_| class.to_string());
        } else {
            self.b.bytes(format!("{pre}.class"), r, |_| {
                named(class, Class::from(class).name())
            });
        }
        let r = self.at(pos + 4..pos + 8);
        self.b
            .bytes(format!("{pre}.TTL"), r, |_| format!("{ttl} seconds"));
        let r = self.at(pos + 8..pos + 10);
        self.b
            .bytes(format!("{pre}.data length"), r, |_| rdlen.to_string());
        let data_at = pos + 10;
        let data_end = data_at + rdlen;
        if data_end > self.msg.len() {
            return Err(Stop::BeyondData {
                field: LengthField::DnsDataLength { offset: pos + 8 },
                says: rdlen,
                available: self.msg.len() - data_at,
            });
        }
        let data = &self.msg[data_at..data_end];
        let too_short = |minimum: usize| Stop::BelowMinimum {
            field: LengthField::DnsDataLength { offset: pos + 8 },
            says: rdlen,
            minimum,
        };
        let shown = match kind {
            RecordType::A => {
                let Ok(a) = <[u8; 4]>::try_from(data) else {
                    return Err(too_short(4));
                };
                let text = std::net::Ipv4Addr::from(a).to_string();
                let r = self.at(data_at..data_end);
                self.b.bytes(format!("{pre}.A"), r, |_| text.clone());
                text
            }
            RecordType::Aaaa => {
                let Ok(a) = <[u8; 16]>::try_from(data) else {
                    return Err(too_short(16));
                };
                let text = std::net::Ipv6Addr::from(a).to_string();
                let r = self.at(data_at..data_end);
                self.b.bytes(format!("{pre}.AAAA"), r, |_| text.clone());
                text
            }
            RecordType::Cname | RecordType::Ns | RecordType::Ptr => {
                let label = kind.name().unwrap_or("name");
                let n = self.name(&format!("{pre}.{label}"), data_at)?;
                if n.end != data_end {
                    return Err(too_short(n.end - data_at));
                }
                n.text
            }
            RecordType::Mx => {
                if rdlen < 3 {
                    return Err(too_short(3));
                }
                let pref = u16_at(data, 0..2);
                let r = self.at(data_at..data_at + 2);
                self.b
                    .bytes(format!("{pre}.MX preference"), r, |_| pref.to_string());
                let n = self.name(&format!("{pre}.MX exchange"), data_at + 2)?;
                if n.end != data_end {
                    return Err(too_short(n.end - data_at));
                }
                format!("{pref} {}", n.text)
            }
            RecordType::Txt => {
                let mut texts = Vec::new();
                let mut i = 0;
                while i < data.len() {
                    let n = usize::from(data[i]);
                    let Some(s) = data.get(i + 1..i + 1 + n) else {
                        return Err(too_short(i + 1 + n));
                    };
                    let t = super::text(s, 255);
                    let r = self.at(data_at + i..data_at + i + 1 + n);
                    self.b
                        .bytes(format!("{pre}.TXT"), r, |_| format!("\"{t}\""));
                    texts.push(format!("\"{t}\""));
                    i += 1 + n;
                }
                texts.join(" ")
            }
            _ => {
                let r = self.at(data_at..data_end);
                self.b.bytes(format!("{pre}.data"), r, hex);
                hex(data)
            }
        };
        self.info.records.push(Record {
            section,
            name: name.text,
            rtype,
            ttl,
            data: shown,
        });
        Ok(data_end)
    }
}

enum NameError {
    /// The name runs past the message; it needs this many bytes.
    Cut(usize),
    Bad(usize, Problem),
}

/// Reads a (possibly compressed) name at `at`. Every pointer must point
/// before where the part of the name it ends began: so the offsets only go
/// down, and a loop (or a forward jump that could start one) is refused.
fn read_name(msg: &[u8], at: usize) -> Result<Name, NameError> {
    let mut labels: Vec<String> = Vec::new();
    let mut pos = at;
    let mut part_start = at;
    let mut end = None;
    let mut pointer = None;
    let mut wire = 0usize;
    loop {
        let Some(&len) = msg.get(pos) else {
            return Err(NameError::Cut(pos + 1));
        };
        match len >> 6 {
            0 if len == 0 => {
                end.get_or_insert(pos + 1);
                break;
            }
            0 => {
                let n = usize::from(len);
                let Some(label) = msg.get(pos + 1..pos + 1 + n) else {
                    return Err(NameError::Cut(pos + 1 + n));
                };
                wire += n + 1;
                if wire + 1 > MAX_NAME {
                    return Err(NameError::Bad(pos, Problem::DnsNameTooLong));
                }
                labels.push(label_text(label));
                pos += 1 + n;
            }
            3 => {
                let Some(&low) = msg.get(pos + 1) else {
                    return Err(NameError::Cut(pos + 2));
                };
                let target = (usize::from(len & 0x3f) << 8) | usize::from(low);
                if target >= msg.len() {
                    return Err(NameError::Bad(
                        pos,
                        Problem::DnsPointerOutside {
                            target,
                            length: msg.len(),
                        },
                    ));
                }
                if target >= part_start {
                    return Err(NameError::Bad(pos, Problem::DnsPointerLoop { target }));
                }
                if end.is_none() {
                    end = Some(pos + 2);
                    pointer = Some(Pointer { at: pos, target });
                }
                part_start = target;
                pos = target;
            }
            _ => return Err(NameError::Bad(pos, Problem::DnsLabelType { byte: len })),
        }
    }
    let text = if labels.is_empty() {
        "<Root>".to_string()
    } else {
        labels.join(".")
    };
    Ok(Name {
        text,
        end: end.unwrap_or(pos + 1),
        pointer,
    })
}

/// A label as text: letters, digits and most punctuation as they are; a
/// dot inside a label as `\.`, other bytes as `\DDD` (RFC 1035 §5.1).
fn label_text(label: &[u8]) -> String {
    let mut s = String::with_capacity(label.len());
    for &c in label {
        match c {
            b'.' | b'\\' => {
                s.push('\\');
                s.push(c as char);
            }
            0x21..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\{c:03}")),
        }
    }
    s
}

/// Builds a DNS name's wire form (`www.example.com` → `3www7example3com0`),
/// for lessons' tests and the fuzzer's seeds.
pub fn encode_name(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.split('.').filter(|l| !l.is_empty()) {
        out.push(label.len().min(63) as u8);
        out.extend_from_slice(&label.as_bytes()[..label.len().min(63)]);
    }
    out.push(0);
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::dissect::testdata::frame;

    /// A query for example.com A, id 0x1a2b, RD.
    pub const QUERY: &str = "1a2b 0100 0001 0000 0000 0000 076578616d706c6503636f6d00 0001 0001";
    /// Its answer: the question, then example.com (a pointer to 12) A 93.184.216.34
    /// TTL 300, then a CNAME www.example.com → pointer, an MX and a TXT.
    pub const ANSWER: &str = "1a2b 8180 0001 0003 0000 0000 076578616d706c6503636f6d00 0001 0001 \
        c00c 0001 0001 0000012c 0004 5db8d822 \
        03777777c00c 0005 0001 0000012c 0002 c00c \
        c00c 000f 0001 0000012c 0009 000a 046d61696cc00c";

    fn values(l: &Layer) -> Vec<(&str, &str)> {
        l.fields
            .iter()
            .map(|f| (&*f.name, f.value.as_str()))
            .collect()
    }

    #[test]
    fn a_query_field_by_field() {
        let m = frame(QUERY);
        let (l, info, stop) = decode(&m, false);
        assert_eq!(stop, None);
        assert_eq!((l.offset, l.length), (0, m.len()));
        let v = values(&l);
        assert_eq!(v[0], ("transaction ID", "0x1a2b"));
        assert_eq!(v[1], ("flags", "0x0100 (standard query)"));
        assert!(v.contains(&("flags.RD", "1 (recursion desired)")));
        assert!(v.contains(&("flags.QR", "0 (query)")));
        assert!(v.contains(&("query.name", "example.com")));
        assert!(v.contains(&("query.type", "1 (A)")));
        assert!(v.contains(&("query.class", "1 (IN)")));
        assert_eq!(
            info.questions,
            [Question {
                name: "example.com".into(),
                qtype: 1
            }]
        );
        let name = l.field("query.name").unwrap();
        assert_eq!((name.offset, name.length), (12, 13));
        let rd = l.field("flags.RD").unwrap();
        assert_eq!((rd.bit_offset, rd.bit_length), (23, 1));
    }

    #[test]
    fn an_answer_with_compressed_names() {
        let m = frame(ANSWER);
        let (l, info, stop) = decode(&m, false);
        assert_eq!(stop, None, "{l:?}");
        assert!(info.is_response());
        let v = values(&l);
        assert!(v.contains(&("flags", "0x8180 (standard query response, no error)")));
        assert!(v.contains(&(
            "answer.name",
            "example.com (compressed: ends in a pointer to offset 12)"
        )));
        assert!(v.contains(&("answer.name.pointer", "0xc00c → offset 12 (example.com)")));
        assert!(v.contains(&("answer.A", "93.184.216.34")));
        assert!(v.contains(&("answer.TTL", "300 seconds")));
        assert!(v.contains(&(
            "answer.CNAME",
            "example.com (compressed: ends in a pointer to offset 12)"
        )));
        assert!(v.contains(&(
            "answer.name",
            "www.example.com (compressed: ends in a pointer to offset 12)"
        )));
        assert!(v.contains(&(
            "answer.MX exchange",
            "mail.example.com (compressed: ends in a pointer to offset 12)"
        )));
        let data: Vec<_> = info.answers().map(|r| r.data.as_str()).collect();
        assert_eq!(
            data,
            ["93.184.216.34", "example.com", "10 mail.example.com"]
        );
        assert_eq!(info.pointers.len(), 5);
        assert_eq!(l.check_fields_inside(), Ok(()));
    }

    #[test]
    fn over_tcp_the_length_comes_first() {
        let q = frame(QUERY);
        let mut m = (q.len() as u16).to_be_bytes().to_vec();
        m.extend_from_slice(&q);
        assert_eq!(tcp_len(&m), Framing::Complete(m.len()));
        assert_eq!(tcp_len(&m[..10]), Framing::NeedMore);
        let (l, info, stop) = decode(&m, true);
        assert_eq!(stop, None);
        assert_eq!(l.value("length"), Some("29"));
        assert_eq!(l.field("transaction ID").unwrap().offset, 2);
        assert_eq!(info.questions[0].name, "example.com");
        let (_, _, stop) = decode(&m[..20], true);
        assert_eq!(
            stop.unwrap().to_string(),
            "DNS: length prefix says 29 bytes but only 18 follow"
        );
    }

    #[test]
    fn pointer_loops_and_bad_names_are_refused() {
        // A pointer to itself, at offset 12.
        let m = frame("0001 0000 0001 0000 0000 0000 c00c 0001 0001");
        let (_, _, stop) = decode(&m, false);
        assert_eq!(
            stop.unwrap().to_string(),
            "DNS: at byte 12 of the message, the compression pointer to offset 12 does not point back to an earlier part of the name, so following it could loop forever (refused)"
        );
        // A label, then a pointer back to that label: a loop.
        let m = frame("0001 0000 0001 0000 0000 0000 0161 c00c 0001 0001");
        assert!(matches!(
            decode(&m, false).2,
            Some(Stop::Malformed {
                problem: Problem::DnsPointerLoop { target: 12 },
                ..
            })
        ));
        let m = frame("0001 0000 0001 0000 0000 0000 c0ff");
        assert!(matches!(
            decode(&m, false).2,
            Some(Stop::Malformed {
                problem: Problem::DnsPointerOutside { target: 255, .. },
                ..
            })
        ));
        let m = frame("0001 0000 0001 0000 0000 0000 4100");
        assert!(matches!(
            decode(&m, false).2,
            Some(Stop::Malformed {
                problem: Problem::DnsLabelType { byte: 0x41 },
                ..
            })
        ));
        let mut long = frame("0001 0000 0001 0000 0000 0000");
        for _ in 0..5 {
            long.push(63);
            long.extend_from_slice(&[b'a'; 63]);
        }
        long.push(0);
        assert!(matches!(
            decode(&long, false).2,
            Some(Stop::Malformed {
                problem: Problem::DnsNameTooLong,
                ..
            })
        ));
    }

    #[test]
    fn cut_messages_name_the_cut_field() {
        let m = frame(ANSWER);
        for n in 0..m.len() {
            let (l, _, stop) = decode(&m[..n], false);
            assert!(stop.is_some(), "{n} bytes");
            assert!(l.length <= n);
            assert_eq!(l.check_fields_inside(), Ok(()));
        }
        let (_, _, stop) = decode(&m[..20], false);
        assert_eq!(
            stop.unwrap().to_string(),
            "DNS: the message needs 21 bytes but only 20 were captured (the \"query.name\" field is cut off)"
        );
        let (_, _, stop) = decode(&m[..5], false);
        assert_eq!(
            stop.unwrap().to_string(),
            "DNS: the message needs 12 bytes but only 5 were captured (the \"questions\" field is cut off)"
        );
    }

    #[test]
    fn the_header_diagram_draws_the_fixed_header_only() {
        let m = frame(QUERY);
        let (l, _, _) = decode(&m, false);
        let d = crate::dissect::diagram::header_diagram(&m, &l).unwrap();
        assert!(d.contains("0x1a2b"), "{d}");
        assert!(!d.contains("example.com"), "{d}");
        let names: Vec<String> = crate::dissect::diagram::diagram_values(&m, &l)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            names,
            [
                "transaction ID",
                "flags",
                "questions",
                "answer RRs",
                "authority RRs",
                "additional RRs"
            ]
        );
        let (l, _, _) = crate::dissect::app::http::decode(b"GET / HTTP/1.1\r\n\r\n", false);
        assert!(crate::dissect::diagram::header_diagram(b"GET / HTTP/1.1\r\n\r\n", &l).is_none());
    }

    #[test]
    fn names_encode_and_escape() {
        assert_eq!(
            encode_name("www.example.com."),
            frame("03777777076578616d706c6503636f6d00")
        );
        assert_eq!(label_text(b"a.b\x01"), "a\\.b\\001");
    }
}

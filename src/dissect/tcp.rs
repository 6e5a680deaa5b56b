//! TCP (RFC 9293): a 20-byte header, up to 40 bytes of options, then data.

use super::builder::Part::{Hex, N, T};
use super::builder::{LayerBuilder, decimal, hex, u8_at, u16_at, u32_at, value};
use super::enums::enum_with_unknown;
use super::ip::Upper;
use super::ipv4::flag_bit;
use super::stop::{Header, LengthField, Stop};
use super::udp::port_text;
use super::{Dissection, LayerKind, TcpInfo, TcpOption, payload};

pub mod field {
    use core::ops::Range;
    pub const SRC_PORT: Range<usize> = 0..2;
    pub const DST_PORT: Range<usize> = 2..4;
    pub const SEQ_NUM: Range<usize> = 4..8;
    pub const ACK_NUM: Range<usize> = 8..12;
    /// Data offset (4 bits), reserved (3 bits), AE (1 bit: Accurate ECN; once NS, the ECN nonce of RFC 3540, made historic by RFC 8311), then the 8 flag bits.
    pub const FLAGS: Range<usize> = 12..14;
    pub const WIN_SIZE: Range<usize> = 14..16;
    pub const CHECKSUM: Range<usize> = 16..18;
    pub const URGENT: Range<usize> = 18..20;
}

pub const HEADER_LEN: usize = field::URGENT.end;

/// The flag bits in header order (bit 7 of byte 12, then byte 13), with the
/// bit offset of each from the start of the TCP header.
pub const FLAG_BITS: [(&str, u16, usize); 9] = [
    ("AE", TcpInfo::AE, 103),
    ("CWR", TcpInfo::CWR, 104),
    ("ECE", TcpInfo::ECE, 105),
    ("URG", TcpInfo::URG, 106),
    ("ACK", TcpInfo::ACK, 107),
    ("PSH", TcpInfo::PSH, 108),
    ("RST", TcpInfo::RST, 109),
    ("SYN", TcpInfo::SYN, 110),
    ("FIN", TcpInfo::FIN, 111),
];

/// Zero-copy view of a TCP segment.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    buffer: &'a [u8],
}

impl<'a> Packet<'a> {
    /// `None` if the fixed header is missing, the data offset is below 5 or
    /// the header runs past the buffer.
    pub fn new_checked(buffer: &'a [u8]) -> Option<Packet<'a>> {
        let p = Packet { buffer };
        (buffer.len() >= HEADER_LEN
            && p.header_len() >= HEADER_LEN
            && p.header_len() <= buffer.len())
        .then_some(p)
    }
    pub fn src_port(&self) -> u16 {
        u16_at(self.buffer, field::SRC_PORT)
    }
    pub fn dst_port(&self) -> u16 {
        u16_at(self.buffer, field::DST_PORT)
    }
    pub fn seq_number(&self) -> u32 {
        u32_at(self.buffer, field::SEQ_NUM)
    }
    pub fn ack_number(&self) -> u32 {
        u32_at(self.buffer, field::ACK_NUM)
    }
    /// Header length in bytes (data offset × 4).
    pub fn header_len(&self) -> usize {
        usize::from(u8_at(self.buffer, field::FLAGS.start) >> 4) * 4
    }
    /// The 9 flag bits, FIN in bit 0 (as in `TcpInfo::flags`).
    pub fn flags(&self) -> u16 {
        u16_at(self.buffer, field::FLAGS) & 0x01ff
    }
    pub fn window_len(&self) -> u16 {
        u16_at(self.buffer, field::WIN_SIZE)
    }
    pub fn checksum(&self) -> u16 {
        u16_at(self.buffer, field::CHECKSUM)
    }
    pub fn urgent_at(&self) -> u16 {
        u16_at(self.buffer, field::URGENT)
    }
    pub fn options(&self) -> &'a [u8] {
        self.buffer
            .get(HEADER_LEN..self.header_len())
            .unwrap_or(&[])
    }
    pub fn payload(&self) -> &'a [u8] {
        self.buffer.get(self.header_len()..).unwrap_or(&[])
    }
}

enum_with_unknown! {
    /// A TCP option kind, with Wireshark's short name.
    pub enum OptionKind(u8) {
        EndOfList = 0 => "EOL",
        NoOperation = 1 => "NOP",
        MaxSegmentSize = 2 => "MSS",
        WindowScale = 3 => "WS",
        SackPermitted = 4 => "SACK_PERM",
        SackRange = 5 => "SACK",
        Timestamp = 8 => "TS",
    }
}

impl OptionKind {
    /// Wireshark's short name: `MSS`, `WS`, `SACK_PERM`, … or `Unknown(N)`.
    pub fn label(self) -> String {
        match self.name() {
            Some(n) => n.to_string(),
            None => value(&[T("Unknown("), N(u8::from(self).into()), T(")")]),
        }
    }
    /// The only valid total length for fixed-size options.
    fn fixed_len(self) -> Option<usize> {
        match self {
            OptionKind::MaxSegmentSize => Some(4),
            OptionKind::WindowScale => Some(3),
            OptionKind::SackPermitted => Some(2),
            OptionKind::Timestamp => Some(10),
            _ => None,
        }
    }
}

/// The option's field name, `option.<name>`: a literal for the known
/// kinds, which every segment carries.
fn option_field_name(o: &TcpOption) -> std::borrow::Cow<'static, str> {
    match OptionKind::from(o.kind) {
        OptionKind::EndOfList => "option.EOL".into(),
        OptionKind::NoOperation => "option.NOP".into(),
        OptionKind::MaxSegmentSize => "option.MSS".into(),
        OptionKind::WindowScale => "option.WS".into(),
        OptionKind::SackPermitted => "option.SACK_PERM".into(),
        OptionKind::SackRange => "option.SACK".into(),
        OptionKind::Timestamp => "option.TS".into(),
        OptionKind::Unknown(_) => format!("option.{}", o.name).into(),
    }
}

/// Parses the options area. `base` is the frame offset of `opts[0]`.
/// Returns the options that parsed, plus why the walk stopped early (if it did).
pub fn parse_options(opts: &[u8], base: usize) -> (Vec<TcpOption>, Option<Stop>) {
    let mut out = Vec::new();
    let mut i = 0usize;
    while let Some(&k) = opts.get(i) {
        let kind = OptionKind::from(k);
        let at = base.saturating_add(i);
        let len = match kind {
            OptionKind::EndOfList | OptionKind::NoOperation => 1,
            _ => {
                let field = LengthField::TcpOption {
                    kind: k,
                    offset: at,
                };
                let remain = opts.len() - i;
                let Some(&l) = opts.get(i + 1) else {
                    let stop = Stop::NoLengthByte {
                        field,
                        available: remain,
                    };
                    return (out, Some(stop));
                };
                let l = usize::from(l);
                if l < 2 {
                    let stop = Stop::BelowMinimum {
                        field,
                        says: l,
                        minimum: 2,
                    };
                    return (out, Some(stop));
                }
                if l > remain {
                    let stop = Stop::BeyondData {
                        field,
                        says: l,
                        available: remain,
                    };
                    return (out, Some(stop));
                }
                l
            }
        };
        let data = opts.get(i + 2.min(len)..i + len).unwrap_or(&[]);
        out.push(option(kind, at, len, data));
        i += len;
        if kind == OptionKind::EndOfList {
            break;
        }
    }
    (out, None)
}

fn option(kind: OptionKind, offset: usize, length: usize, data: &[u8]) -> TcpOption {
    let mut o = TcpOption {
        kind: kind.into(),
        name: match kind.name() {
            Some(n) => crate::text::spare_copy(n),
            None => kind.label(),
        },
        value: String::new(),
        offset,
        length,
        mss: None,
        window_scale: None,
        timestamps: None,
        sack_blocks: Vec::new(),
    };
    if kind.fixed_len().is_some_and(|l| l != length) {
        o.value = format!("bad length {length}");
        return o;
    }
    match kind {
        OptionKind::EndOfList => o.value = crate::text::spare_copy("end of options"),
        OptionKind::NoOperation => o.value = crate::text::spare_copy("padding"),
        OptionKind::SackPermitted => o.value = crate::text::spare_copy("permitted"),
        OptionKind::MaxSegmentSize => {
            let v = u16_at(data, 0..2);
            o.mss = Some(v);
            o.value = decimal(v.into());
        }
        OptionKind::WindowScale => {
            let v = u8_at(data, 0);
            o.window_scale = Some(v);
            o.value = value(&[N(v.into()), T(" (×"), N(scale_factor(v).into()), T(")")]);
        }
        OptionKind::Timestamp => {
            let (val, ecr) = (u32_at(data, 0..4), u32_at(data, 4..8));
            o.timestamps = Some((val, ecr));
            o.value = value(&[T("val="), N(val.into()), T(" ecr="), N(ecr.into())]);
        }
        OptionKind::SackRange => {
            o.sack_blocks = data
                .chunks_exact(8)
                .map(|c| (u32_at(c, 0..4), u32_at(c, 4..8)))
                .collect();
            o.value = if !data.len().is_multiple_of(8) {
                format!("bad length {length}")
            } else {
                o.sack_blocks
                    .iter()
                    .map(|(l, r)| format!("left={l} right={r}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
        }
        OptionKind::Unknown(_) => {
            o.value = if data.is_empty() {
                format!("{length} bytes")
            } else {
                hex(data)
            };
        }
    }
    o
}

/// The window is multiplied by 2^shift; RFC 7323 caps the shift at 14.
fn scale_factor(shift: u8) -> u32 {
    1u32 << shift.min(14)
}

/// The field value of an option (the `TcpOption::value`, spelled out for WS).
fn option_field_value(o: &TcpOption) -> String {
    match o.window_scale {
        Some(v) if v > 14 => {
            format!("{v} (above the maximum 14; treated as 14, multiply by 16384)")
        }
        Some(v) => value(&[
            N(v.into()),
            T(" (multiply by "),
            N(scale_factor(v).into()),
            T(")"),
        ]),
        None => o.value.clone(),
    }
}

pub(crate) fn dissect(frame: &[u8], up: &Upper, d: &mut Dissection) -> Result<(), Stop> {
    let mut b = LayerBuilder::new(frame, LayerKind::Transport, Header::Tcp, up.start, up.end);
    b.bytes("source port", field::SRC_PORT, |s| {
        port_text(u16_at(s, 0..2))
    });
    b.bytes("destination port", field::DST_PORT, |s| {
        port_text(u16_at(s, 0..2))
    });
    b.bytes("sequence number", field::SEQ_NUM, |s| {
        decimal(u32_at(s, 0..4).into())
    });
    b.bytes("acknowledgment number", field::ACK_NUM, |s| {
        decimal(u32_at(s, 0..4).into())
    });
    let data_off = b.bits("data offset", 96, 4, |v| {
        value(&[N(v.into()), T(" ("), N(u64::from(v) * 4), T(" bytes)")])
    });
    b.bits("reserved", 100, 3, |v| decimal(v.into()));
    // The fields' names, written out: every segment has all nine.
    const FIELDS: [&str; 9] = [
        "flags.AE",
        "flags.CWR",
        "flags.ECE",
        "flags.URG",
        "flags.ACK",
        "flags.PSH",
        "flags.RST",
        "flags.SYN",
        "flags.FIN",
    ];
    for (field, (name, _, bit)) in FIELDS.iter().zip(FLAG_BITS) {
        debug_assert_eq!(field.strip_prefix("flags."), Some(name));
        b.bits(*field, bit, 1, flag_bit);
    }
    b.bytes("window", field::WIN_SIZE, |s| {
        decimal(u16_at(s, 0..2).into())
    });
    b.bytes("checksum", field::CHECKSUM, |s| {
        value(&[T("0x"), Hex(u16_at(s, 0..2).into(), 4)])
    });
    b.bytes("urgent pointer", field::URGENT, |s| {
        decimal(u16_at(s, 0..2).into())
    });

    let segment = b.captured();
    if segment < HEADER_LEN {
        let msg = b.truncated(HEADER_LEN);
        d.layers.push(b.finish(HEADER_LEN));
        return Err(msg);
    }
    let header_len = data_off.unwrap_or(0) as usize * 4;
    if header_len < HEADER_LEN {
        d.layers.push(b.finish(HEADER_LEN));
        return Err(Stop::BelowMinimum {
            field: LengthField::TcpDataOffset,
            says: header_len,
            minimum: HEADER_LEN,
        });
    }
    if header_len > segment {
        d.layers.push(b.finish(HEADER_LEN));
        return Err(Stop::BeyondData {
            field: LengthField::TcpDataOffset,
            says: header_len,
            available: segment,
        });
    }
    let seg = b.get(0..segment).unwrap_or(&[]);
    // Checked above: the header is all there and its length is sane.
    let Some(p) = Packet::new_checked(seg) else {
        let stop = b.truncated(header_len);
        d.layers.push(b.finish(HEADER_LEN));
        return Err(stop);
    };
    let (options, broken) = parse_options(p.options(), up.start + HEADER_LEN);
    let base = up.start;
    for o in &options {
        let rel = o.offset - base;
        b.bytes(option_field_name(o), rel..rel + o.length, |_| {
            option_field_value(o)
        });
    }
    // Bytes after End of Option List are padding up to the data offset.
    let used: usize = options.iter().map(|o| o.length).sum::<usize>() + HEADER_LEN;
    if broken.is_none() && used < header_len {
        b.bytes("options padding", used..header_len, |s| {
            format!("{} bytes", s.len())
        });
    }
    d.layers.push(b.finish(header_len));
    d.tcp = Some(TcpInfo {
        src_port: p.src_port(),
        dst_port: p.dst_port(),
        seq: p.seq_number(),
        ack: p.ack_number(),
        header_len: header_len as u8,
        flags: p.flags(),
        window: p.window_len(),
        checksum: p.checksum(),
        urgent: p.urgent_at(),
        options,
        payload_len: segment - header_len,
    });
    // A broken option does not hide the data: the data offset still says
    // where it starts.
    payload::push(frame, up.start + header_len, up.start + segment, d, true);
    match broken {
        Some(why) => Err(why),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::testdata::*;

    #[test]
    fn view_reads_real_syn() {
        let f = frame(TCP4_SYN_WS10);
        let p = Packet::new_checked(&f[34..]).unwrap();
        assert_eq!(p.src_port(), 53124);
        assert_eq!(p.dst_port(), 50007);
        assert_eq!(p.seq_number(), 1106743305);
        assert_eq!(p.ack_number(), 0);
        assert_eq!(p.header_len(), 40);
        assert_eq!(p.flags(), TcpInfo::SYN);
        assert_eq!(p.window_len(), 65495);
        assert_eq!(p.checksum(), 0xfe30);
        assert_eq!(p.options().len(), 20);
        assert!(p.payload().is_empty());
    }

    #[test]
    fn parses_linux_syn_options() {
        // MSS 1240, SACK_PERM, TS, NOP, WS 7 from a real SYN (lo with MTU 1280).
        let f = frame(TCP4_SYN_ECN);
        let (opts, err) = parse_options(&f[54..74], 54);
        assert_eq!(err, None);
        let names: Vec<_> = opts.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["MSS", "SACK_PERM", "TS", "NOP", "WS"]);
        assert_eq!(opts[0].mss, Some(1240));
        assert_eq!((opts[0].offset, opts[0].length), (54, 4));
        assert_eq!(opts[2].timestamps, Some((1925589033, 0)));
        assert_eq!(opts[2].value, "val=1925589033 ecr=0");
        assert_eq!(opts[4].window_scale, Some(7));
        assert_eq!(opts[4].value, "7 (×128)");
        assert_eq!(option_field_value(&opts[4]), "7 (multiply by 128)");
    }

    #[test]
    fn sack_and_unknown_and_eol() {
        let opts = [1u8, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 34, 2, 0, 0, 0];
        let (o, err) = parse_options(&opts, 100);
        assert_eq!(err, None);
        assert_eq!(o.len(), 5);
        assert_eq!(o[2].sack_blocks, vec![(1, 2)]);
        assert_eq!(o[2].value, "left=1 right=2");
        assert_eq!(o[3].name, "Unknown(34)");
        assert_eq!(o[3].value, "2 bytes");
        assert_eq!((o[4].name.as_str(), o[4].offset), ("EOL", 114));
    }

    #[test]
    fn broken_options_say_where() {
        assert_eq!(
            parse_options(&[1, 1, 8, 10, 0, 0], 54)
                .1
                .map(|s| s.to_string())
                .as_deref(),
            Some("TCP: option at offset 56 (kind 8) says 10 bytes but only 4 remain in the header")
        );
        assert_eq!(
            parse_options(&[2, 0, 1, 1], 54)
                .1
                .map(|s| s.to_string())
                .as_deref(),
            Some(
                "TCP: option at offset 54 (kind 2) says 0 bytes, less than the 2 bytes of kind and length"
            )
        );
        assert_eq!(
            parse_options(&[1, 1, 1, 3], 54)
                .1
                .map(|s| s.to_string())
                .as_deref(),
            Some("TCP: option at offset 57 (kind 3) has no length byte left in the header")
        );
        let (o, _) = parse_options(&[2, 6, 1, 2, 3, 4], 0);
        assert_eq!(o[0].value, "bad length 6");
        assert_eq!(o[0].mss, None);
    }
}

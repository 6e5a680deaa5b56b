//! RFC-style header diagrams (as in RFC 791, 793, 768): 32 bits per row,
//! a bit ruler on top, one box per field holding its name and this frame's
//! value.
//!
//! The diagram is drawn from the layer's `Field`s (their bit offsets and
//! widths), so it shows exactly what the dissector found. A field that covers
//! other fields (IPv4 `flags` over `flags.DF`, ICMP `original datagram` over
//! `original.source`) is drawn as one box. Fields longer than a row continue
//! on the next rows, as RFC 8200 draws IPv6 addresses.

use super::builder::hex;
use super::{Field, Layer};

const ROW_BITS: usize = 32;
/// Rows drawn at most; a longer layer (a big quoted datagram) is cut with a note.
const MAX_ROWS: usize = 128;

/// The diagram of `layer` in `frame`, or `None` for the payload (which is
/// data, not a header) and for empty layers.
pub fn header_diagram(frame: &[u8], layer: &Layer) -> Option<String> {
    layout(frame, layer).map(|l| l.render())
}

/// What the diagram shows in each box: (field name, value shown), in the
/// order the boxes are drawn. The value is the field's value, or its leading
/// token when the box is narrow (`17` for `17 (UDP)`).
pub fn diagram_values(frame: &[u8], layer: &Layer) -> Vec<(String, String)> {
    let Some(l) = layout(frame, layer) else {
        return Vec::new();
    };
    l.cells
        .iter()
        .filter_map(|c| Some((c.name.clone(), c.shown.clone()?)))
        .collect()
}

/// A box in the diagram: a field, or an undescribed gap.
struct Cell {
    name: String,
    /// Header-relative bit range.
    start: usize,
    end: usize,
    /// Text lines, placed in segment `text_segment` (index into `segments`).
    lines: Vec<String>,
    shown: Option<String>,
    /// `(Label)`, written in the narrower parts of a field split across rows.
    aside: Vec<String>,
    /// (row, start bit in row, bits) for each row the cell touches.
    segments: Vec<(usize, usize, usize)>,
    text_segment: usize,
}

struct Layout {
    cells: Vec<Cell>,
    /// For each row, the bits it holds (32 except maybe the last).
    row_bits: Vec<usize>,
    /// Cell index owning each header bit.
    owner: Vec<usize>,
    /// Bits not drawn because of `MAX_ROWS`.
    cut_bits: usize,
}

fn layout(frame: &[u8], layer: &Layer) -> Option<Layout> {
    if layer.protocol == "Payload" || layer.length == 0 {
        return None;
    }
    // Text protocols have no fixed layout to draw; DNS has one for its
    // 12-byte header (and TCP's length before it), not for its names.
    let drawn_len = match layer.protocol.as_str() {
        "HTTP" | "SMTP" | "FTP" | "FTP-DATA" | "TELNET" => return None,
        "DNS" => layer.field("additional RRs").map_or(layer.length, |f| {
            (f.offset + f.length).saturating_sub(layer.offset)
        }),
        _ => layer.length,
    };
    let total_bits = drawn_len.min(layer.length).saturating_mul(8);
    let drawn_bits = total_bits.min(MAX_ROWS * ROW_BITS);
    let base = layer.offset.saturating_mul(8);

    // Outermost fields inside the layer, in bit order.
    let mut chosen: Vec<&Field> = Vec::new();
    for f in &layer.fields {
        let Some(start) = f.bit_offset.checked_sub(base) else {
            continue;
        };
        let end = start.saturating_add(f.bit_length);
        if f.bit_length == 0 || end > drawn_bits {
            continue;
        }
        let covered = chosen.iter().any(|c| {
            let cs = c.bit_offset - base;
            let ce = cs + c.bit_length;
            start < ce && cs < end
        });
        if !covered {
            chosen.push(f);
        }
    }
    chosen.sort_by_key(|f| f.bit_offset);

    // Cells for fields and for the gaps between them.
    let mut cells = Vec::new();
    let mut at = 0usize;
    for f in chosen {
        let start = f.bit_offset - base;
        if start > at {
            cells.push(gap(at, start));
        }
        let label = short_label(&layer.protocol, &f.name);
        cells.push(Cell {
            name: f.name.to_string(),
            start,
            end: start + f.bit_length,
            lines: Vec::new(),
            shown: None,
            aside: Vec::new(),
            segments: Vec::new(),
            text_segment: 0,
        });
        let last = cells.len() - 1;
        if let Some(c) = cells.get_mut(last) {
            c.lines = vec![label, f.value.clone()];
        }
        at = start + f.bit_length;
    }
    if at < drawn_bits {
        cells.push(gap(at, drawn_bits));
    }

    let rows = drawn_bits.div_ceil(ROW_BITS);
    let row_bits: Vec<usize> = (0..rows)
        .map(|r| (drawn_bits - r * ROW_BITS).min(ROW_BITS))
        .collect();
    let mut owner = vec![0usize; drawn_bits];
    for (i, c) in cells.iter_mut().enumerate() {
        for o in owner.get_mut(c.start..c.end).into_iter().flatten() {
            *o = i;
        }
        let mut b = c.start;
        while b < c.end {
            let row = b / ROW_BITS;
            let in_row = b % ROW_BITS;
            let n = (ROW_BITS - in_row).min(c.end - b);
            c.segments.push((row, in_row, n));
            b += n;
        }
        // Put the text in the widest segment (the middle one of equals).
        let widest = c.segments.iter().map(|s| s.2).max().unwrap_or(0);
        let candidates: Vec<usize> = c
            .segments
            .iter()
            .enumerate()
            .filter(|(_, s)| s.2 == widest)
            .map(|(i, _)| i)
            .collect();
        c.text_segment = candidates
            .get((candidates.len().saturating_sub(1)) / 2)
            .copied()
            .unwrap_or(0);
        if let [label, value] = c.lines.as_slice() {
            let narrowest = c.segments.iter().map(|s| s.2).min().unwrap_or(0);
            let aside = format!("({label})");
            if chars(&aside) < narrowest * 2 {
                c.aside = vec![aside];
            }
            let (lines, shown) = fit(label, value, (widest * 2).saturating_sub(1));
            c.lines = lines;
            c.shown = Some(shown);
        } else if c.start % 8 == 0 && c.end % 8 == 0 {
            // Bytes no field describes (the start of a cut-off field): raw hex.
            let from = layer.offset.saturating_add(c.start / 8);
            let to = from.saturating_add((c.end - c.start) / 8);
            if let Some(text) = frame
                .get(from..to)
                .map(hex)
                .filter(|t| chars(t) < widest * 2)
            {
                c.lines = vec![text];
            }
        }
    }
    Some(Layout {
        cells,
        row_bits,
        owner,
        cut_bits: total_bits - drawn_bits,
    })
}

fn gap(start: usize, end: usize) -> Cell {
    Cell {
        name: String::new(),
        start,
        end,
        lines: Vec::new(),
        shown: None,
        aside: Vec::new(),
        segments: Vec::new(),
        text_segment: 0,
    }
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// The lines to write in a box `width` characters wide, and the value shown.
fn fit(label: &str, value: &str, width: usize) -> (Vec<String>, String) {
    let short = value.split_whitespace().next().unwrap_or("").to_string();
    if width == 1 {
        // One-bit boxes read top to bottom, as RFC 793 draws the TCP flags.
        // Labels are padded to three lines so the values line up.
        let mut lines: Vec<String> = label.chars().take(3).map(String::from).collect();
        lines.resize(3, String::new());
        lines.extend(short.chars().take(4).map(String::from));
        return (lines, short.chars().take(4).collect());
    }
    let one = |v: &str| format!("{label} {v}");
    for v in [value, short.as_str()] {
        if chars(&one(v)) <= width {
            return (vec![one(v)], v.to_string());
        }
        if chars(label) <= width && chars(v) <= width {
            return (vec![label.to_string(), v.to_string()], v.to_string());
        }
    }
    for v in [value, short.as_str()] {
        if chars(v) <= width {
            return (vec![v.to_string()], v.to_string());
        }
    }
    let cut: String = if width >= 2 {
        short.chars().take(width - 1).chain(['…']).collect()
    } else {
        short.chars().take(width).collect()
    };
    (vec![cut.clone()], cut)
}

/// The label written in a field's box: RFC-style short names.
fn short_label(protocol: &str, name: &str) -> String {
    let fixed = match (protocol, name) {
        (_, "source port") => "Src Port",
        (_, "destination port") => "Dst Port",
        ("IPv4", "version") | ("IPv6", "version") => "Ver",
        ("IPv4", "header length") => "IHL",
        ("IPv4", "source") | ("IPv6", "source") => "Source Address",
        ("IPv4", "destination") | ("IPv6", "destination") => "Destination Address",
        ("TCP", "data offset") => "DOff",
        ("TCP", "reserved") => "Rsv",
        ("TCP", "options padding") => "Padding",
        ("ICMPv6", "flags.router") => "R",
        ("ICMPv6", "flags.solicited") => "S",
        ("ICMPv6", "flags.override") => "O",
        ("ARP", "hardware size") => "HLen",
        ("ARP", "protocol size") => "PLen",
        ("ARP", "opcode") => "Operation",
        (_, "fragment.more fragments") => "M",
        (_, "fragment.reserved bits") => "Res",
        (_, n) if n.ends_with(".length") && protocol == "IPv6" => "Hdr Ext Len",
        _ => "",
    };
    if !fixed.is_empty() {
        return fixed.to_string();
    }
    // `flags.SYN` → `SYN`, `option.MSS` → `MSS`: already short.
    if let Some(rest) = name
        .strip_prefix("flags.")
        .or_else(|| name.strip_prefix("option."))
    {
        return rest.to_string();
    }
    // Title case, leaving acronyms (DSCP, TTL, MAC) as they are.
    let last = name.rsplit('.').next().unwrap_or(name);
    last.split(' ')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn center(text: &str, width: usize) -> String {
    let text: String = text.chars().take(width).collect();
    let n = chars(&text);
    let left = (width - n) / 2;
    format!(
        "{}{}{}",
        " ".repeat(left),
        text,
        " ".repeat(width - n - left)
    )
}

impl Layout {
    fn owner_at(&self, row: usize, bit: usize) -> Option<usize> {
        if bit >= *self.row_bits.get(row)? {
            return None;
        }
        self.owner.get(row * ROW_BITS + bit).copied()
    }

    /// Segments of `row`: (cell, start bit, bits, lines written there).
    fn row_segments(&self, row: usize) -> Vec<(usize, usize, usize, &[String])> {
        let mut out = Vec::new();
        for (i, c) in self.cells.iter().enumerate() {
            for (k, &(r, start, n)) in c.segments.iter().enumerate() {
                if r == row {
                    let lines: &[String] = if k == c.text_segment {
                        &c.lines
                    } else if n < ROW_BITS {
                        // A part of a split field that is not a whole row
                        // (Ethernet addresses): name it so it still reads.
                        &c.aside
                    } else {
                        &[]
                    };
                    out.push((i, start, n, lines));
                }
            }
        }
        out.sort_by_key(|s| s.1);
        out
    }

    /// A row is elided (drawn as `~`) when it is the blank middle of a box
    /// that fills the rows above and below it.
    fn elidable(&self, row: usize) -> bool {
        let segs = self.row_segments(row);
        let [(cell, 0, ROW_BITS, lines)] = segs.as_slice() else {
            return false;
        };
        lines.is_empty()
            && row > 0
            && self.owner_at(row - 1, 0) == Some(*cell)
            && self.owner_at(row - 1, ROW_BITS - 1) == Some(*cell)
            && self.owner_at(row + 1, 0) == Some(*cell)
    }

    /// The border under `row` (or over row 0 when `row` is `None`).
    fn border(&self, above: Option<usize>, below: Option<usize>) -> String {
        let bits_above = above
            .and_then(|r| self.row_bits.get(r))
            .copied()
            .unwrap_or(0);
        let bits_below = below
            .and_then(|r| self.row_bits.get(r))
            .copied()
            .unwrap_or(0);
        let n = bits_above.max(bits_below);
        let cont = |b: usize| -> Option<usize> {
            let (a, bl) = (above?, below?);
            let x = self.owner_at(a, b)?;
            (self.owner_at(bl, b)? == x).then_some(x)
        };
        let mut s = String::from("+");
        for b in 0..n {
            let here = cont(b);
            s.push(if here.is_some() { ' ' } else { '-' });
            let joined = b + 1 < n && here.is_some() && here == cont(b + 1);
            s.push(if joined { ' ' } else { '+' });
        }
        s
    }

    fn render(&self) -> String {
        let mut out = Vec::new();
        out.push(" 0                   1                   2                   3".to_string());
        out.push(" 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1".to_string());
        out.push(self.border(None, Some(0)));
        let rows = self.row_bits.len();
        let mut r = 0;
        while r < rows {
            // Collapse runs of two or more blank continuation rows.
            let mut run = 0;
            while r + run < rows && self.elidable(r + run) {
                run += 1;
            }
            if run >= 2 {
                out.push(format!("~{}~", " ".repeat(ROW_BITS * 2 - 1)));
                r += run;
                out.push(self.border(Some(r - 1), (r < rows).then_some(r)));
                continue;
            }
            let segs = self.row_segments(r);
            let height = segs.iter().map(|s| s.3.len()).max().unwrap_or(0).max(1);
            for line in 0..height {
                let mut s = String::from("|");
                for &(_, _, n, lines) in &segs {
                    let top = (height - lines.len()) / 2;
                    let text = line
                        .checked_sub(top)
                        .and_then(|i| lines.get(i))
                        .map(String::as_str)
                        .unwrap_or("");
                    s.push_str(&center(text, n * 2 - 1));
                    s.push('|');
                }
                out.push(s);
            }
            out.push(self.border(Some(r), (r + 1 < rows).then_some(r + 1)));
            r += 1;
        }
        if self.cut_bits > 0 {
            out.push(format!("  … {} more bytes not drawn", self.cut_bits / 8));
        }
        out.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::dissect;
    use crate::dissect::testdata::*;

    fn layer_of(f: &[u8], proto: &str) -> Layer {
        dissect(f)
            .layers
            .into_iter()
            .find(|l| l.protocol == proto)
            .unwrap()
    }

    #[test]
    fn fit_prefers_full_text_then_short() {
        assert_eq!(
            fit("Src Port", "53122", 31),
            (vec!["Src Port 53122".to_string()], "53122".to_string())
        );
        assert_eq!(
            fit("Protocol", "17 (UDP)", 15),
            (
                vec!["Protocol".to_string(), "17 (UDP)".to_string()],
                "17 (UDP)".to_string()
            )
        );
        assert_eq!(fit("ECN", "0 (Not-ECT)", 3).1, "0");
        assert_eq!(fit("SYN", "1 (set)", 1).0, ["S", "Y", "N", "1"]);
        assert_eq!(fit("NS", "0", 1).0, ["N", "S", "", "0"]);
        assert_eq!(fit("X", "123456", 3).0, ["12…"]);
    }

    #[test]
    fn udp_diagram() {
        let f = frame(UDP4_HELLO);
        let d = header_diagram(&f, &layer_of(&f, "UDP")).unwrap();
        let expected = [
            " 0                   1                   2                   3",
            " 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1",
            "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
            "|        Src Port 53122         |         Dst Port 5000         |",
            "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
            "|           Length 13           |        Checksum 0xfe20        |",
            "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
        ]
        .join("\n");
        assert_eq!(d, expected);
    }

    #[test]
    fn tcp_diagram_draws_flag_columns_and_options() {
        let f = frame(TCP4_SYN_WS10);
        let d = header_diagram(&f, &layer_of(&f, "TCP")).unwrap();
        let expected = [
            " 0                   1                   2                   3",
            " 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1",
            "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
            "|        Src Port 53124         |        Dst Port 50007         |",
            "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
            "|                  Sequence Number 1106743305                   |",
            "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
            "|                    Acknowledgment Number 0                    |",
            "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
            "|       |     |A|C|E|U|A|P|R|S|F|                               |",
            "|DOff 10|Rsv 0|E|W|C|R|C|S|S|Y|I|         Window 65495          |",
            "|       |     | |R|E|G|K|H|T|N|N|                               |",
            "|       |     |0|0|0|0|0|0|0|1|0|                               |",
            "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
            "|        Checksum 0xfe30        |       Urgent Pointer 0        |",
            "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
            "|                           MSS 65495                           |",
            "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
            "|      SACK_PERM permitted      |             (TS)              |",
            "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +",
            "|                    TS val=1316457025 ecr=0                    |",
            "+                                                               +",
            "|                                                               |",
            "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
            "|  NOP padding  |           WS 10 (multiply by 1024)            |",
            "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
        ]
        .join("\n");
        assert_eq!(d, expected);
    }

    #[test]
    fn ethernet_and_ipv6_rows_continue() {
        let f = frame(UDP6_HI);
        let eth = header_diagram(&f, &layer_of(&f, "Ethernet")).unwrap();
        assert!(eth.contains("Destination 00:00:00:00:00:00"), "{eth}");
        assert!(eth.contains("Type 0x86dd (IPv6)"), "{eth}");
        // Destination's second half and Source's first share a row.
        assert!(
            eth.lines()
                .any(|l| l.starts_with("+                               +-")),
            "{eth}"
        );
        let ip6 = header_diagram(&f, &layer_of(&f, "IPv6")).unwrap();
        assert!(ip6.contains("Source Address ::1"), "{ip6}");
        assert!(ip6.contains("Flow Label 0xc4831"), "{ip6}");
        assert!(ip6.lines().filter(|l| l.starts_with('|')).count() >= 10);
    }

    #[test]
    fn payload_has_no_diagram() {
        let f = frame(UDP4_HELLO);
        assert!(header_diagram(&f, &layer_of(&f, "Payload")).is_none());
        assert!(diagram_values(&f, &layer_of(&f, "Payload")).is_empty());
    }

    #[test]
    fn long_quotes_are_elided() {
        let f = frame(ICMP6_PORT_UNREACH);
        let d = header_diagram(&f, &layer_of(&f, "ICMPv6")).unwrap();
        assert!(d.contains("|    Type 1     |    Code 4     |"), "{d}");
        assert!(
            d.contains("Original Datagram UDP [::1]:53132 → [::1]:5002 (55 bytes)"),
            "{d}"
        );
        assert!(d.lines().any(|l| l.starts_with('~')), "{d}");
        assert!(d.lines().all(|l| l.chars().count() <= 65), "{d}");
    }
}

//! Hex dump lines and which layer each byte belongs to; callers add colour.

use super::Dissection;

pub const BYTES_PER_LINE: usize = 16;
/// Width of the hex part: 16 × "xx " plus the extra space after byte 8, less
/// the trailing space.
pub const HEX_WIDTH: usize = BYTES_PER_LINE * 3;

/// For each of the first `len` bytes, the index in `d.layers` of the
/// innermost layer holding it (`None` for bytes no layer parsed). Bytes a
/// layer owns outside its header range (Ethernet `padding`) count for it.
pub fn byte_layers(d: &Dissection, len: usize) -> Vec<Option<usize>> {
    let mut out = vec![None; len];
    for (i, layer) in d.layers.iter().enumerate() {
        let ranges = std::iter::once((layer.offset, layer.length))
            .chain(layer.fields.iter().map(|f| (f.offset, f.length)));
        for (at, n) in ranges {
            let end = at.saturating_add(n).min(len);
            for slot in out.get_mut(at.min(end)..end).into_iter().flatten() {
                *slot = Some(i);
            }
        }
    }
    out
}

/// Byte `i` (0..16) of a line starts at this column of the hex part.
pub fn hex_column(i: usize) -> usize {
    i * 3 + usize::from(i >= 8)
}

/// `(offset, hex, ascii)` for each 16 bytes: hex as `xx xx … xx  xx …` (an
/// extra space after the eighth byte, padded to `HEX_WIDTH`), ascii with `.`
/// for bytes outside printable ASCII.
pub fn hexdump_lines(frame: &[u8]) -> Vec<(usize, String, String)> {
    frame
        .chunks(BYTES_PER_LINE)
        .enumerate()
        .map(|(n, chunk)| {
            let mut hex = String::with_capacity(HEX_WIDTH);
            for (i, b) in chunk.iter().enumerate() {
                if i == 8 {
                    hex.push(' ');
                }
                if i > 0 {
                    hex.push(' ');
                }
                hex.push_str(&format!("{b:02x}"));
            }
            while hex.len() < HEX_WIDTH {
                hex.push(' ');
            }
            let ascii = chunk
                .iter()
                .map(|&b| {
                    if (0x20..0x7f).contains(&b) {
                        b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            (n * BYTES_PER_LINE, hex, ascii)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::dissect;
    use crate::dissect::testdata::*;

    #[test]
    fn lines_match_tshark_layout() {
        let f = frame(UDP4_HELLO);
        let lines = hexdump_lines(&f);
        assert_eq!(lines.len(), 3);
        // tshark -x: "0000  00 00 00 00 00 00 00 00 00 00 00 00 08 00 45 00   ..............E."
        assert_eq!(lines[0].0, 0);
        assert_eq!(
            lines[0].1,
            "00 00 00 00 00 00 00 00  00 00 00 00 08 00 45 00"
        );
        assert_eq!(lines[0].2, "..............E.");
        assert_eq!(lines[2].0, 32);
        assert_eq!(
            lines[2].1,
            format!("{:<48}", "00 01 cf 82 13 88 00 0d  fe 20 68 65 6c 6c 6f")
        );
        assert_eq!(lines[2].2, "......... hello");
        assert!(lines.iter().all(|l| l.1.len() == HEX_WIDTH));
        assert_eq!(&lines[0].1[hex_column(12)..hex_column(12) + 2], "08");
        assert!(hexdump_lines(&[]).is_empty());
    }

    #[test]
    fn bytes_map_to_innermost_layer() {
        let f = frame(UDP4_HELLO);
        let d = dissect(&f);
        let map = byte_layers(&d, f.len());
        assert_eq!(map[0], Some(0));
        assert_eq!(map[13], Some(0));
        assert_eq!(map[14], Some(1));
        assert_eq!(map[34], Some(2));
        assert_eq!(map[42], Some(3));
        assert_eq!(map[46], Some(3));
        // Longer or shorter than the frame: no panic, extra bytes unowned.
        assert_eq!(byte_layers(&d, 50)[49], None);
        assert_eq!(byte_layers(&d, 3).len(), 3);
    }

    #[test]
    fn padding_belongs_to_ethernet() {
        let f = frame(&padded_udp());
        let d = dissect(&f);
        let map = byte_layers(&d, f.len());
        assert_eq!(f.len(), 60);
        assert_eq!(map[59], Some(0));
        assert_eq!(map[46], Some(3));
        assert_eq!(map[47], Some(0));
    }
}

//! The `d` view of one frame: every field of every layer (name, value,
//! offset, length), a hex dump with each layer's bytes marked, and the
//! RFC-style header diagram of each layer filled with this frame's values.
//!
//! The frame is decoded again from its bytes (`dissect::dissect`), so a
//! replayed transcript shows exactly what a live run shows; its application
//! layers (which need the TCP stream before it) come from the transcript.

use std::io::{self, Write};

use colored::{Color, Colorize};

use crate::dissect::{self, Dissection, diagram, hexdump};
use crate::render::terminal::{visible_len, wrap};
use crate::transcript::Event;

/// One colour per layer, in order (Ethernet, IP, transport, payload …).
const PALETTE: [Color; 6] = [
    Color::Cyan,
    Color::Yellow,
    Color::Green,
    Color::Magenta,
    Color::Blue,
    Color::Red,
];

fn layer_color(i: usize) -> Color {
    PALETTE[i % PALETTE.len()]
}

/// A letter per layer for the marker rows printed under the hex dump when
/// colour is off: the protocol's first letter not already taken.
fn layer_tags(d: &Dissection) -> Vec<char> {
    let mut tags: Vec<char> = Vec::new();
    for layer in &d.layers {
        let tag = layer
            .protocol
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .chain('1'..='9')
            .find(|c| !tags.contains(c))
            .unwrap_or('?');
        tags.push(tag);
    }
    tags
}

fn colour_on() -> bool {
    colored::control::SHOULD_COLORIZE.should_colorize()
}

/// The details of `e` (a frame event).
pub fn render(e: &Event, width: usize, w: &mut dyn Write) -> io::Result<()> {
    let bytes = e.bytes();
    let mut d = dissect::dissect(&bytes);
    let app: Vec<_> = e
        .layers
        .iter()
        .filter(|l| l.layer == dissect::LayerKind::Application && l.protocol != "Payload")
        .cloned()
        .collect();
    if !app.is_empty()
        && let Some(at) = d.layers.iter().position(|l| l.protocol == "Payload")
    {
        d.layers.splice(at..=at, app);
    }
    let to = e.to.as_deref().unwrap_or("?");
    let title = format!(
        "── Details of frame #{} · {} bytes · {} → {} ",
        e.index,
        bytes.len(),
        e.actor,
        to
    );
    let fill = width.saturating_sub(title.chars().count());
    writeln!(w)?;
    writeln!(w, "{}", format!("{title}{}", "─".repeat(fill)).bold())?;
    writeln!(w, "{}", e.summary)?;
    fields(&d, width, w)?;
    reassembled(e, w)?;
    hex(&bytes, &d, width, w)?;
    diagrams(&bytes, &d, width, w)?;
    writeln!(
        w,
        "{}",
        format!(
            "── end of details of frame #{} {}",
            e.index,
            "─".repeat(width.saturating_sub(30))
        )
        .bold()
    )?;
    Ok(())
}

/// A heading, wrapped to the width, in bold (and `colour` if any).
fn heading(text: &str, width: usize, colour: Option<Color>, w: &mut dyn Write) -> io::Result<()> {
    for line in wrap(text, width, "", 0).lines() {
        let line = match colour {
            Some(c) => line.color(c).bold(),
            None => line.bold(),
        };
        writeln!(w, "{line}")?;
    }
    Ok(())
}

/// Columns of the field table before the value: `    offset length  field…`.
const VALUE_COLUMN: usize = 4 + 6 + 1 + 6 + 2 + 24 + 1;

fn fields(d: &Dissection, width: usize, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w)?;
    heading(
        "Fields, layer by layer (offset and length in bytes from the frame's start):",
        width,
        None,
        w,
    )?;
    // Narrow (a projector's large font): each field on lines of its own,
    // `offset length  name = value`, wrapped, rather than a table cut short.
    let narrow = width < VALUE_COLUMN + 24;
    for (i, layer) in d.layers.iter().enumerate() {
        let end = (layer.offset + layer.length).saturating_sub(1);
        let head = format!(
            "{} · {} layer · bytes {}–{} ({} B)",
            layer.protocol, layer.layer, layer.offset, end, layer.length
        );
        for line in wrap(&head, width, "  ", 4).lines() {
            writeln!(w, "{}", line.color(layer_color(i)).bold())?;
        }
        if layer.fields.is_empty() {
            continue;
        }
        let columns = if narrow {
            format!("{:>6} {:>6}  {}", "offset", "length", "field = value")
        } else {
            format!(
                "{:>6} {:>6}  {:<24} {}",
                "offset", "length", "field", "value"
            )
        };
        writeln!(w, "    {}", columns.dimmed())?;
        for f in &layer.fields {
            let bits = if f.bit_offset % 8 != 0 || f.bit_length % 8 != 0 {
                let first = f.bit_offset % 8;
                let which = match f.bit_length {
                    1 => format!("bit {first}"),
                    n => format!("bits {first}–{}", first + n - 1),
                };
                format!("({which} of byte {})", f.offset)
            } else {
                String::new()
            };
            let text = format!(
                "{:>6} {:>6}  {:<24} {}",
                f.offset, f.length, f.name, f.value
            );
            let whole = if bits.is_empty() {
                text.clone()
            } else {
                format!("{text}  {bits}")
            };
            if !narrow && 4 + whole.chars().count() <= width {
                let bits = if bits.is_empty() {
                    String::new()
                } else {
                    format!("  {}", bits.dimmed())
                };
                writeln!(w, "    {text}{bits}")?;
            } else if narrow {
                let first = format!("    {:>6} {:>6}  ", f.offset, f.length);
                let body = format!("{} = {} {bits}", f.name, f.value);
                writeln!(w, "{}", wrap(body.trim_end(), width, &first, 22))?;
            } else {
                // The value wraps under its own column.
                let first = format!("    {:>6} {:>6}  {:<24} ", f.offset, f.length, f.name);
                let body = format!("{} {bits}", f.value);
                writeln!(w, "{}", wrap(body.trim_end(), width, &first, VALUE_COLUMN))?;
            }
        }
    }
    if let Some(why) = &d.stopped {
        writeln!(w, "  {} {why}", "parsing stopped:".red())?;
    }
    Ok(())
}

/// Messages this frame completed, put together from earlier segments.
fn reassembled(e: &Event, w: &mut dyn Write) -> io::Result<()> {
    for r in &e.reassembled {
        let parts: Vec<String> = r
            .parts
            .iter()
            .map(|p| {
                format!(
                    "#{} (bytes {}–{})",
                    p.event,
                    p.at,
                    p.at + p.length.max(1) - 1
                )
            })
            .collect();
        writeln!(w)?;
        writeln!(
            w,
            "{}",
            format!(
                "Reassembled {} message, {} bytes from {} (offsets from the message's start):",
                r.protocol,
                r.layer.length,
                parts.join(", ")
            )
            .bold()
        )?;
        for f in &r.layer.fields {
            writeln!(
                w,
                "    {:>6} {:>6}  {:<24} {}",
                f.offset, f.length, f.name, f.value
            )?;
        }
    }
    Ok(())
}

fn hex(bytes: &[u8], d: &Dissection, width: usize, w: &mut dyn Write) -> io::Result<()> {
    let owners = hexdump::byte_layers(d, bytes.len());
    let tags = layer_tags(d);
    let colour = colour_on();
    writeln!(w)?;
    let how = if colour {
        "each layer's bytes in its colour"
    } else {
        "the row under each line names each byte's layer"
    };
    heading(&format!("Bytes ({how}):"), width, None, w)?;
    // 16 bytes a line (`  0000  ` + hex + 3 + ascii = 74 columns), or 8
    // on a narrow screen.
    let per = if width >= 8 + hexdump::HEX_WIDTH + 2 + 16 {
        16
    } else {
        8
    };
    for (offset, _, ascii) in hexdump::hexdump_lines(bytes) {
        let chunk = &bytes[offset..(offset + hexdump::BYTES_PER_LINE).min(bytes.len())];
        for (part, piece) in chunk.chunks(per).enumerate() {
            let start = offset + part * per;
            let (mut hex_out, mut ascii_out, mut marks) =
                (String::new(), String::new(), String::new());
            for (i, b) in piece.iter().enumerate() {
                if i > 0 {
                    let gap = if i == 8 { "  " } else { " " };
                    hex_out.push_str(gap);
                    marks.push_str(gap);
                }
                let text = format!("{b:02x}");
                let ch = ascii.chars().nth(part * per + i).unwrap_or('.').to_string();
                match owners.get(start + i).copied().flatten() {
                    Some(l) => {
                        hex_out.push_str(&text.color(layer_color(l)).to_string());
                        ascii_out.push_str(&ch.color(layer_color(l)).to_string());
                        let t = tags.get(l).copied().unwrap_or('?');
                        marks.push(t);
                        marks.push(t);
                    }
                    None => {
                        hex_out.push_str(&text);
                        ascii_out.push_str(&ch);
                        marks.push_str("··");
                    }
                }
            }
            // A short last line keeps the ascii column where it is.
            let used = hexdump::hex_column(piece.len()).saturating_sub(1);
            let full = hexdump::hex_column(per).saturating_sub(1);
            let pad = " ".repeat(full.saturating_sub(used));
            writeln!(w, "  {start:04x}  {hex_out}{pad}   {ascii_out}")?;
            if !colour {
                writeln!(w, "        {}", marks.trim_end())?;
            }
        }
    }
    let mut legend: Vec<String> = d
        .layers
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mark = if colour {
                "■".to_string()
            } else {
                format!("{}{}", tags[i], tags[i])
            };
            format!("{} {}", mark, l.protocol)
                .color(layer_color(i))
                .to_string()
        })
        .collect();
    if owners.iter().any(Option::is_none) {
        legend.push("·· not parsed".to_string());
    }
    // As many entries a line as fit.
    let mut line = "  legend:".to_string();
    let mut first = true;
    for entry in legend {
        let gap = if first { " " } else { "  " };
        if !first && visible_len(&line) + gap.len() + visible_len(&entry) > width {
            writeln!(w, "{line}")?;
            line = "         ".to_string();
        }
        line.push_str(if line.trim().is_empty() { " " } else { gap });
        line.push_str(&entry);
        first = false;
    }
    writeln!(w, "{line}")?;
    Ok(())
}

fn diagrams(bytes: &[u8], d: &Dissection, width: usize, w: &mut dyn Write) -> io::Result<()> {
    for (i, layer) in d.layers.iter().enumerate() {
        let Some(diagram) = diagram::header_diagram(bytes, layer) else {
            continue;
        };
        writeln!(w)?;
        let head = format!(
            "{} header, as the RFCs draw it, with this frame's values:",
            layer.protocol
        );
        heading(&head, width, Some(layer_color(i)), w)?;
        let wide = diagram
            .lines()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0)
            + 2;
        if wide > width {
            // 32 bits a row cannot be drawn narrower without cutting its
            // labels: said, and `<` `>` move the view sideways.
            let note = format!(
                "(this drawing needs {wide} columns: in the details view < and > move it sideways; a wider terminal or the HTML export shows it whole)"
            );
            for line in wrap(&note, width, "", 0).lines() {
                writeln!(w, "{}", line.dimmed())?;
            }
        }
        for line in diagram.lines() {
            writeln!(w, "  {line}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::Layer;

    fn layer(protocol: &str) -> Layer {
        Layer {
            layer: crate::dissect::LayerKind::Link,
            protocol: protocol.into(),
            offset: 0,
            length: 0,
            fields: vec![],
        }
    }

    #[test]
    fn tags_are_unique() {
        let d = Dissection {
            layers: ["Ethernet", "IPv4", "ICMP", "IPv4", "UDP", "Payload"]
                .map(layer)
                .to_vec(),
            ..Default::default()
        };
        assert_eq!(layer_tags(&d), ['E', 'I', 'C', 'P', 'U', 'A']);
    }
}

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
    fields(&d, w)?;
    reassembled(e, w)?;
    hex(&bytes, &d, w)?;
    diagrams(&bytes, &d, w)?;
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

fn fields(d: &Dissection, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w)?;
    writeln!(
        w,
        "{}",
        "Fields, layer by layer (offset and length in bytes from the frame's start):".bold()
    )?;
    for (i, layer) in d.layers.iter().enumerate() {
        let end = (layer.offset + layer.length).saturating_sub(1);
        let head = format!(
            "{} · {} layer · bytes {}–{} ({} B)",
            layer.protocol, layer.layer, layer.offset, end, layer.length
        );
        writeln!(w, "  {}", head.color(layer_color(i)).bold())?;
        if layer.fields.is_empty() {
            continue;
        }
        writeln!(
            w,
            "    {}",
            format!(
                "{:>6} {:>6}  {:<24} {}",
                "offset", "length", "field", "value"
            )
            .dimmed()
        )?;
        for f in &layer.fields {
            let bits = if f.bit_offset % 8 != 0 || f.bit_length % 8 != 0 {
                let first = f.bit_offset % 8;
                let which = match f.bit_length {
                    1 => format!("bit {first}"),
                    n => format!("bits {first}–{}", first + n - 1),
                };
                format!("  {}", format!("({which} of byte {})", f.offset).dimmed())
            } else {
                String::new()
            };
            let text = format!(
                "{:>6} {:>6}  {:<24} {}",
                f.offset, f.length, f.name, f.value
            );
            writeln!(w, "    {}{bits}", text)?;
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

fn hex(bytes: &[u8], d: &Dissection, w: &mut dyn Write) -> io::Result<()> {
    let owners = hexdump::byte_layers(d, bytes.len());
    let tags = layer_tags(d);
    let colour = colour_on();
    writeln!(w)?;
    let how = if colour {
        "each layer's bytes in its colour"
    } else {
        "the row under each line names each byte's layer"
    };
    writeln!(w, "{}", format!("Bytes ({how}):").bold())?;
    for (offset, hex, ascii) in hexdump::hexdump_lines(bytes) {
        let chunk = &bytes[offset..(offset + hexdump::BYTES_PER_LINE).min(bytes.len())];
        let mut hex_out = String::new();
        let mut ascii_out = String::new();
        let mut marks = String::new();
        let mut at = 0;
        for (i, _) in chunk.iter().enumerate() {
            let col = hexdump::hex_column(i);
            let owner = owners.get(offset + i).copied().flatten();
            hex_out.push_str(&hex[at..col]);
            marks.push_str(&" ".repeat(col - at));
            let text = &hex[col..col + 2];
            let ch = ascii.chars().nth(i).unwrap_or('.').to_string();
            match owner {
                Some(l) => {
                    hex_out.push_str(&text.color(layer_color(l)).to_string());
                    ascii_out.push_str(&ch.color(layer_color(l)).to_string());
                    let t = tags.get(l).copied().unwrap_or('?');
                    marks.push(t);
                    marks.push(t);
                }
                None => {
                    hex_out.push_str(text);
                    ascii_out.push_str(&ch);
                    marks.push_str("··");
                }
            }
            at = col + 2;
        }
        hex_out.push_str(&hex[at..]);
        writeln!(w, "  {offset:04x}  {hex_out}   {ascii_out}")?;
        if !colour {
            writeln!(w, "        {}", marks.trim_end())?;
        }
    }
    let legend: Vec<String> = d
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
    let unowned = if owners.iter().any(Option::is_none) {
        "  ·· not parsed".to_string()
    } else {
        String::new()
    };
    writeln!(w, "  legend: {}{unowned}", legend.join("  "))?;
    Ok(())
}

fn diagrams(bytes: &[u8], d: &Dissection, w: &mut dyn Write) -> io::Result<()> {
    for (i, layer) in d.layers.iter().enumerate() {
        let Some(diagram) = diagram::header_diagram(bytes, layer) else {
            continue;
        };
        writeln!(w)?;
        let head = format!(
            "{} header, as the RFCs draw it, with this frame's values:",
            layer.protocol
        );
        writeln!(w, "{}", head.color(layer_color(i)).bold())?;
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

//! The pcapng export, for Wireshark: every captured frame with its kernel
//! timestamp and, as the packet comment, netcourse's notes on it.
//!
//! - Section Header Block: a comment with the lesson's name, title and summary.
//! - Interface Description Block: Ethernet, `if_name` the capture interface,
//!   `if_tsresol` = 9 (pcap-file writes nanoseconds; without the option
//!   readers would take them for microseconds). A lesson with its own
//!   network has one per link end (`alice/eth0`, with its MAC and link), and
//!   each frame names the end it was sent from.
//! - An Enhanced Packet Block per frame: its bytes as captured, its
//!   `timestamp_ns`, and an `opt_comment` that leads with the frame in one
//!   line and its semantics, then its timing and syntax (at the level of
//!   detail asked for), then the step. Socket calls are not frames: each one
//!   is told in the comment of the next frame (calls after the last frame, in
//!   the last frame's comment).

use std::borrow::Cow;
use std::io::{self, Write};
use std::time::Duration;

use pcap_file::DataLink;
use pcap_file::Endianness;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};

use super::detail::{self, Detail, Seen};
use crate::transcript::{Event, Transcript};

/// An option's length is a u16; keep well under it.
const MAX_COMMENT: usize = 60_000;
const SNAPLEN: u32 = 262_144;

pub fn write(t: &Transcript, detail: Detail, w: &mut impl Write) -> io::Result<()> {
    let section = SectionHeaderBlock {
        endianness: Endianness::native(),
        options: vec![
            SectionHeaderOption::Comment(Cow::Owned(cap(section_comment(t)))),
            SectionHeaderOption::UserApplication(Cow::Owned(t.generator.clone())),
        ],
        ..Default::default()
    };
    let mut writer = PcapNgWriter::with_section_header(&mut *w, section).map_err(pcap_err)?;
    for interface in interfaces(t) {
        writer.write_pcapng_block(interface).map_err(pcap_err)?;
    }

    for (frame, comment) in frame_comments(t, detail) {
        let data = frame.bytes();
        let original_len = frame.length.unwrap_or(data.len()).max(data.len());
        let block = EnhancedPacketBlock {
            // On the lesson's own network: the link end it was sent from.
            interface_id: frame.crossing.as_ref().map_or(0, |c| c.from_end as u32),
            timestamp: Duration::from_nanos(frame.timestamp_ns),
            original_len: original_len as u32,
            data: Cow::Owned(data),
            options: vec![EnhancedPacketOption::Comment(Cow::Owned(cap(comment)))],
        };
        writer.write_pcapng_block(block).map_err(pcap_err)?;
    }
    Ok(())
}

/// One interface on `lo`; on the lesson's own network one per link end
/// (a host's interface), named `host/interface`, with its MAC address and
/// its link in the description, in the order frames refer to them.
fn interfaces(t: &Transcript) -> Vec<InterfaceDescriptionBlock<'static>> {
    if t.network.ends.is_empty() {
        return vec![InterfaceDescriptionBlock {
            linktype: t
                .network
                .link_type
                .map_or(DataLink::ETHERNET, DataLink::from),
            snaplen: SNAPLEN,
            options: vec![
                InterfaceDescriptionOption::IfName(Cow::Owned(t.network.interface.clone())),
                InterfaceDescriptionOption::Comment(Cow::Owned(cap(format!(
                    "{} network on `{}`. {}",
                    t.network.mode, t.network.interface, t.network.note
                )))),
                InterfaceDescriptionOption::IfTsResol(9),
            ],
        }];
    }
    t.network
        .ends
        .iter()
        .map(|end| {
            let mac: Vec<u8> = end
                .mac
                .split(':')
                .filter_map(|b| u8::from_str_radix(b, 16).ok())
                .collect();
            let mut options = vec![
                InterfaceDescriptionOption::IfName(Cow::Owned(end.name())),
                InterfaceDescriptionOption::IfDescription(Cow::Owned(format!(
                    "link {}, MTU {}, {}",
                    end.link,
                    end.mtu,
                    end.addresses.join(", ")
                ))),
                InterfaceDescriptionOption::IfTsResol(9),
            ];
            if mac.len() == 6 {
                options.push(InterfaceDescriptionOption::IfMacAddr(Cow::Owned(mac)));
            }
            InterfaceDescriptionBlock {
                linktype: DataLink::ETHERNET,
                snaplen: SNAPLEN,
                options,
            }
        })
        .collect()
}

fn pcap_err(e: pcap_file::PcapError) -> io::Error {
    match e {
        pcap_file::PcapError::IoError(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

fn section_comment(t: &Transcript) -> String {
    format!(
        "netcourse: {} — {}\n{}\n{}, started {}; exported by {} (transcript format {} version {}).",
        super::what_ran(t, |n| n.to_string()),
        t.lesson.title,
        t.lesson.summary,
        super::status(t),
        super::utc(t.started_at_ns),
        t.generator,
        t.format,
        t.version
    )
}

/// Each frame with its comment, socket calls folded into the next frame's.
/// Wireshark's packet detail pane shows only the start of a long comment,
/// so each leads with the frame in one line and what it means, then its
/// timing, then its syntax.
pub fn frame_comments(t: &Transcript, detail: Detail) -> Vec<(&Event, String)> {
    let mut out: Vec<(&Event, String)> = Vec::new();
    let mut pending: Vec<&Event> = Vec::new();
    let mut seen = Seen::default();
    let mut call_at: Option<(usize, u64)> = None;
    for e in &t.events {
        if !e.is_frame() {
            call_at = Some((e.step, e.time_ns));
            pending.push(e);
            continue;
        }
        let since_call = call_at
            .filter(|(step, _)| *step == e.step)
            .map(|(_, at)| e.time_ns.saturating_sub(at));
        let mut c = frame_text(t, e, detail, &mut seen, since_call);
        if !pending.is_empty() {
            c.push_str("\n\nSocket calls just before this frame:\n");
            for call in pending.drain(..) {
                c.push_str(&call_line(t, call, detail));
            }
            while c.ends_with('\n') {
                c.pop();
            }
        }
        out.push((e, c));
    }
    if !pending.is_empty()
        && let Some((_, last)) = out.last_mut()
    {
        last.push_str("\n\nSocket calls after this frame:\n");
        for call in pending {
            last.push_str(&call_line(t, call, detail));
        }
        while last.ends_with('\n') {
            last.pop();
        }
    }
    out
}

fn step_text(t: &Transcript, number: usize) -> String {
    match t.steps.iter().find(|s| s.number == number) {
        Some(s) => format!("step {}/{} ({} {})", number, t.steps.len(), s.actor, s.call),
        None => format!("step {number}"),
    }
}

fn say(t: &Transcript, e: &Event) -> Option<String> {
    t.steps
        .iter()
        .find(|s| s.number == e.step)
        .and_then(|s| s.say.clone())
}

fn call_line(t: &Transcript, e: &Event, level: Detail) -> String {
    let mut s = format!("#{} {}: {}\n", e.index, step_text(t, e.step), e.summary);
    let semantics = match level {
        Detail::Full => e.notes.semantics.clone(),
        Detail::Normal => {
            let say = say(t, e);
            let short = detail::short_semantics(e, say.as_deref());
            match say {
                Some(say) => format!("{} {short}", say.trim()),
                None => short,
            }
        }
        Detail::Brief => say(t, e).unwrap_or_default(),
    };
    if !semantics.trim().is_empty() {
        s.push_str(&format!("  semantics: {}\n", semantics.trim()));
    }
    s
}

fn frame_text(
    t: &Transcript,
    e: &Event,
    level: Detail,
    seen: &mut Seen,
    since_call: Option<u64>,
) -> String {
    let mut s = format!(
        "event #{} · {} → {}: {}",
        e.index,
        e.actor,
        e.to.as_deref().unwrap_or("?"),
        detail::frame_line(e)
    );
    let (semantics, timing, syntax) = match level {
        Detail::Full => (
            e.notes.semantics.clone(),
            e.notes.timing.clone(),
            e.notes.syntax.clone(),
        ),
        Detail::Normal => {
            let mut timing = Vec::new();
            if let Some(ns) = since_call {
                timing.push(format!("{} after the call.", crate::annotate::fmt_ns(ns)));
            }
            timing.push(detail::short_timing(e));
            (
                detail::short_semantics(e, None),
                timing.join(" "),
                seen.syntax(e).join("\n"),
            )
        }
        Detail::Brief => (
            e.from_lesson.semantics.clone(),
            e.from_lesson.timing.clone(),
            e.from_lesson.syntax.clone(),
        ),
    };
    for (label, text) in [
        ("semantics", &semantics),
        ("timing", &timing),
        ("syntax", &syntax),
    ] {
        if !text.trim().is_empty() {
            s.push_str(&format!("\n{label}: {}", text.trim()));
        }
    }
    if level < Detail::Full && !e.from_lesson.is_empty() && level > Detail::Brief {
        for text in [
            &e.from_lesson.semantics,
            &e.from_lesson.timing,
            &e.from_lesson.syntax,
        ] {
            if !text.is_empty() {
                s.push_str(&format!("\nlesson: {text}"));
            }
        }
    }
    if let Some(stopped) = &e.stopped {
        s.push_str(&format!("\nparsing stopped: {stopped}"));
    }
    s.push_str(&format!(
        "\n(netcourse {}, {}; {})",
        t.lesson.name,
        step_text(t, e.step),
        e.summary
    ));
    s
}

/// At most `MAX_COMMENT` bytes, cut at a character boundary.
fn cap(mut s: String) -> String {
    if s.len() > MAX_COMMENT {
        let mut end = MAX_COMMENT;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

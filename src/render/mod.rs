//! Renderers: each gets a finished (or partial) transcript and a writer.
//! None of them touches sockets or capture.
//!
//! The helpers here (`lanes`, `arrow_label`, `call_label`, `utc`) are shared by
//! the ladder diagrams of the Markdown and HTML exports, so both draw the
//! same exchange with the same words.

pub mod detail;
pub mod html;
pub mod json;
pub mod markdown;
pub mod pcapng;
pub mod terminal;
pub mod yaml;

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::transcript::{Event, EventKind, Transcript};

pub use detail::Detail;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Yaml,
    Md,
    Html,
    Pcapng,
}

impl Format {
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "yaml" | "yml" => Some(Format::Yaml),
            "md" | "markdown" => Some(Format::Md),
            "html" | "htm" => Some(Format::Html),
            "pcapng" => Some(Format::Pcapng),
            _ => None,
        }
    }
}

/// Where an export goes and in which format, decided before the lesson runs.
#[derive(Debug, Clone)]
pub struct Export {
    pub path: PathBuf,
    pub format: Format,
    /// How much prose the Markdown and pcapng exports carry.
    pub detail: Detail,
}

pub fn plan_exports(
    paths: &[PathBuf],
    forced: Option<Format>,
    detail: Detail,
) -> Result<Vec<Export>, Error> {
    paths
        .iter()
        .map(|p| {
            let format = forced
                .or_else(|| Format::from_path(p))
                .ok_or_else(|| Error::Usage {
                    message: format!(
                        "cannot tell the export format of `{}` from its extension",
                        p.display()
                    ),
                    hint:
                        "use .json, .yaml, .md, .html or .pcapng, or pass `--export-format FORMAT`"
                            .into(),
                })?;
            Ok(Export {
                path: p.clone(),
                format,
                detail,
            })
        })
        .collect()
}

/// Render `t` in `format` to `w`; `detail` picks the prose of Markdown and
/// pcapng (JSON and YAML carry everything, HTML shows it behind clicks).
pub fn render(
    format: Format,
    detail: Detail,
    t: &Transcript,
    w: &mut impl std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => json::write(t, w),
        Format::Yaml => yaml::write(t, w),
        Format::Md => markdown::write(t, detail, w),
        Format::Html => html::write(t, w),
        Format::Pcapng => pcapng::write(t, detail, w),
    }
}

/// Make sure every export can be written now, so a bad path fails before
/// the lesson runs (and before the sandbox is entered: inside the user
/// namespace, root has no say over the host's directories). Nothing is left
/// at any path: a file appears there only when its export is complete.
pub fn check_export_paths(exports: &[Export]) -> Result<(), Error> {
    for export in exports {
        crate::files::try_replace(&export.path).map_err(|e| Error::Io {
            path: export.path.clone(),
            action: "create",
            reason: io_reason(&e),
        })?;
    }
    Ok(())
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::IsADirectory => "it is a directory".into(),
        _ => crate::lesson::load::io_reason(e),
    }
}

/// Write one export all or nothing: to a temporary file beside it, renamed
/// onto it once complete (`files::Replacement`).
pub fn write_export(export: &Export, t: &Transcript) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::Io {
        path: export.path.clone(),
        action: "write",
        reason: io_reason(&e),
    };
    let mut file = crate::files::Replacement::create(&export.path).map_err(io)?;
    let mut w = std::io::BufWriter::new(file.file());
    render(export.format, export.detail, t, &mut w).map_err(io)?;
    std::io::Write::flush(&mut w).map_err(io)?;
    drop(w);
    file.commit().map_err(io)
}

/// Write every export; with more than one, each on its own thread (the
/// renderers only read the transcript). Every failure is reported, in the
/// order the exports were given; the exports that succeeded stay written.
pub fn write_exports(exports: &[Export], t: &Transcript) -> Result<(), Error> {
    let results: Vec<Result<(), Error>> = if exports.len() <= 1 {
        exports.iter().map(|e| write_export(e, t)).collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = exports
                .iter()
                .map(|e| scope.spawn(move || write_export(e, t)))
                .collect();
            handles
                .into_iter()
                .zip(exports)
                .map(|(h, e)| {
                    h.join().unwrap_or_else(|_| {
                        Err(Error::Io {
                            path: e.path.clone(),
                            action: "write",
                            reason: "the renderer panicked".into(),
                        })
                    })
                })
                .collect()
        })
    };
    let mut failures: Vec<Error> = results.into_iter().filter_map(Result::err).collect();
    match failures.len() {
        0 => Ok(()),
        1 => Err(failures.remove(0)),
        _ => Err(Error::Exports { failures }),
    }
}

/// The heading of frames no call sent (step 0 of a traced program's
/// transcript: a timer, an answer, a router); the HTML's script says it
/// too.
pub const NO_CALL: &str = "Sent by no call: the kernel on its own";

/// The lanes of a ladder diagram. A lesson with its own network has one
/// lane per host (in the order the hosts' interfaces are listed; a router
/// is a host like the others): actors are drawn on their host's lane, and
/// a frame from the lane of the host that sent it to the lane of the host
/// that received it on that link. On `lo`: the lesson's actors in order,
/// then `kernel` if some frame comes from or goes to it, then any other
/// name an event uses (a transcript edited by hand), so every event has a
/// lane.
pub fn lanes(t: &Transcript) -> Vec<String> {
    if !t.network.ends.is_empty() {
        let mut hosts: Vec<String> = Vec::new();
        for end in &t.network.ends {
            if !hosts.contains(&end.host) {
                hosts.push(end.host.clone());
            }
        }
        return hosts;
    }
    let mut out: Vec<String> = t.actors.iter().map(|a| a.name.clone()).collect();
    let uses_kernel = t
        .events
        .iter()
        .any(|e| e.is_frame() && (e.actor == "kernel" || e.to.as_deref() == Some("kernel")));
    if uses_kernel && !out.iter().any(|n| n == "kernel") {
        out.push("kernel".into());
    }
    for e in &t.events {
        for name in std::iter::once(e.actor.as_str()).chain(e.to.as_deref()) {
            if !out.iter().any(|n| n == name) {
                out.push(name.to_string());
            }
        }
    }
    out
}

/// The two lanes an event is drawn between (the same lane twice for a
/// call): its actors on `lo`, the hosts at the ends of the link it crossed
/// in a lesson with its own network. A frame the wire dropped goes toward
/// the other end of its link, where it never arrived.
pub fn event_lanes(t: &Transcript, e: &Event) -> (String, String) {
    let actor_lanes = || {
        let from = e.actor.clone();
        let to = if e.is_frame() {
            e.to.clone().unwrap_or_else(|| from.clone())
        } else {
            from.clone()
        };
        (from, to)
    };
    if t.network.ends.is_empty() {
        return actor_lanes();
    }
    let host = |i: usize| t.network.ends.get(i).map(|end| end.host.clone());
    if let Some(c) = &e.crossing {
        let Some(from) = host(c.from_end) else {
            return actor_lanes();
        };
        let to = c
            .to_ends
            .first()
            .copied()
            .or_else(|| {
                // Dropped: the other end of the same link.
                t.network
                    .ends
                    .iter()
                    .position(|end| end.link == c.link && end.host != from)
            })
            .and_then(host)
            .unwrap_or_else(|| from.clone());
        return (from, to);
    }
    let lane = actor_host(t, &e.actor).unwrap_or_else(|| lanes(t).swap_remove(0));
    (lane.clone(), lane)
}

/// The host an actor runs on, as the transcript says, else by its address
/// (each address belongs to one interface), else by the frames it sent.
fn actor_host(t: &Transcript, actor: &str) -> Option<String> {
    let info = t.actors.iter().find(|a| a.name == actor);
    if let Some(host) = info.and_then(|a| a.host.clone()) {
        return Some(host);
    }
    if let Some(ip) = info.and_then(|a| address_ip(&a.address)) {
        let owner = t.network.ends.iter().find(|end| {
            end.addresses
                .iter()
                .any(|a| a.split('/').next() == Some(ip.as_str()))
        });
        if let Some(end) = owner {
            return Some(end.host.clone());
        }
    }
    t.events
        .iter()
        .filter(|e| e.is_frame() && e.actor == actor)
        .find_map(|e| t.network.ends.get(e.crossing.as_ref()?.from_end))
        .map(|end| end.host.clone())
}

/// `10.0.0.1:0` → `10.0.0.1`, `[fd00::1]:80` → `fd00::1`.
fn address_ip(address: &str) -> Option<String> {
    let ip = match address.rsplit_once(':') {
        Some((ip, port)) if port.chars().all(|c| c.is_ascii_digit()) => ip,
        _ => address,
    };
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    (!ip.is_empty()).then(|| ip.to_string())
}

/// The bytes of the frame's `Payload` layer (or the application layers in
/// its place), if it has any.
fn payload_len(e: &Event) -> Option<usize> {
    let app = e
        .layers
        .iter()
        .filter(|l| l.layer == crate::dissect::LayerKind::Application);
    app.clone().next()?;
    Some(app.map(|l| l.length).sum())
}

/// `b"how are u"` → `"how are u"`, cut to `max` characters inside the quotes.
pub fn quoted_payload(payload: &str, max: usize) -> String {
    let mut out = String::new();
    quoted_payload_into(&mut out, payload, max);
    out
}

/// `quoted_payload`, appended to `out`.
pub fn quoted_payload_into(out: &mut String, payload: &str, max: usize) {
    let (text, quoted) = match closing_quote(payload) {
        Some(text) => (text, true),
        None => (payload, false),
    };
    // The first `max` characters; more if there is a character after them.
    let end = text.char_indices().nth(max).map_or(text.len(), |(i, _)| i);
    let more = end < text.len() || (quoted && payload.len() > text.len() + 3);
    if quoted {
        out.push('"');
    }
    out.push_str(&text[..end]);
    if more {
        out.push('…');
    }
    if quoted {
        out.push('"');
    }
}

/// The text between `b"` and its unescaped closing quote.
fn closing_quote(payload: &str) -> Option<&str> {
    let body = payload.strip_prefix("b\"")?;
    // By bytes: the marks are ASCII, and a byte of a wider character ends
    // an escape as the character would.
    let mut escaped = false;
    for (i, b) in body.bytes().enumerate() {
        match b {
            b'\\' if !escaped => escaped = true,
            b'"' if !escaped => return Some(&body[..i]),
            _ => escaped = false,
        }
    }
    None
}

/// The label of a frame's arrow in a ladder diagram, from the transcript:
/// `SYN seq=0`, `SYN, ACK seq=0 ack=1`, `PSH, ACK seq=1 len=9 "how are u"`,
/// `UDP 5 bytes "hello"`; other frames use their one-line summary.
pub fn arrow_label(e: &Event) -> String {
    let payload = e.payload.as_deref().map(|p| quoted_payload(p, 24));
    if let Some(tcp) = &e.tcp {
        let mut s = format!("{} seq={}", tcp.flags.join(", "), tcp.seq_rel);
        if tcp.len > 0 {
            s.push_str(&format!(" len={}", tcp.len));
        } else if tcp.flags.iter().any(|f| f == "ACK") {
            s.push_str(&format!(" ack={}", tcp.ack_rel));
        }
        if let Some(p) = payload {
            s.push(' ');
            s.push_str(&p);
        }
        return s;
    }
    let is_udp = e.layers.iter().any(|l| l.protocol == "UDP")
        && !e.layers.iter().any(|l| l.protocol.starts_with("ICMP"));
    if is_udp {
        let n = payload_len(e).unwrap_or(0);
        let mut s = format!("UDP {n} byte{}", if n == 1 { "" } else { "s" });
        if let Some(p) = payload {
            s.push(' ');
            s.push_str(&p);
        }
        return s;
    }
    e.summary.clone()
}

/// The short label of a socket call in a ladder: its Python form, cut.
pub fn call_label(e: &Event, max: usize) -> String {
    match &e.call {
        Some(c) => shorten(&c.args, max),
        None => shorten(&e.summary, max),
    }
}

/// `text` in at most `max` characters: cut after a space or comma where
/// there is one in the second half (so no number is cut in two), then `…`.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let head: Vec<char> = text.chars().take(max.saturating_sub(1)).collect();
    let cut = head
        .iter()
        .rposition(|&c| c == ' ' || c == ',')
        .filter(|&i| i >= head.len() / 2)
        .map_or(head.len(), |i| i + 1);
    let kept: String = head[..cut].iter().collect();
    format!("{}…", kept.trim_end())
}

/// `+0.810 ms`, as the terminal shows an event's time.
pub fn offset_ms(e: &Event) -> String {
    let mut s = String::with_capacity(16);
    push_offset_ms(&mut s, e.time_ns);
    s
}

/// `offset_ms` of `ns`, appended to `out`.
pub fn push_offset_ms(out: &mut String, ns: u64) {
    out.push('+');
    if !crate::text::push_fixed(out, ns, 6, 3) {
        use std::fmt::Write;
        let _ = write!(out, "{:.3}", ns as f64 / 1e6);
    }
    out.push_str(" ms");
}

/// Nanoseconds since the Unix epoch as `2026-11-28 12:35:25.908 UTC`.
pub fn utc(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    let millis = (ns % 1_000_000_000) / 1_000_000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{millis:03} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Counts for the closing line: (socket calls, frames).
pub fn counts(t: &Transcript) -> (usize, usize) {
    let frames = t
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Frame)
        .count();
    (t.events.len() - frames, frames)
}

/// What ran, for a heading: ``Lesson `udp-basics` ``, `Trace` (the
/// programs are its title), ``Capture `x.pcapng` ``; `code` quotes a name.
pub fn what_ran(t: &Transcript, code: impl Fn(&str) -> String) -> String {
    use crate::transcript::Source;
    match t.source {
        Source::Lesson => format!("Lesson {}", code(&t.lesson.name)),
        Source::Trace => "Trace".into(),
        Source::Capture => format!("Capture {}", code(&t.lesson.name)),
    }
}

/// `lesson passed` / `lesson failed` / `lesson stopped early` (`traced`,
/// `trace failed`, ... for your own programs), as the terminal says it.
pub fn status(t: &Transcript) -> &'static str {
    use crate::transcript::Source;
    match (t.source, t.outcome.passed, t.complete) {
        (Source::Lesson, true, _) => "lesson passed",
        (Source::Lesson, false, true) => "lesson failed",
        (Source::Lesson, false, false) => "lesson stopped early",
        (Source::Trace, true, _) => "traced",
        (Source::Trace, false, true) => "trace failed",
        (Source::Trace, false, false) => "trace stopped early",
        (Source::Capture, true, _) => "capture explained",
        (Source::Capture, false, _) => "capture explained in part",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_actors_address_names_its_ip() {
        assert_eq!(address_ip("10.0.0.1:0").as_deref(), Some("10.0.0.1"));
        assert_eq!(address_ip("[fd00::1]:80").as_deref(), Some("fd00::1"));
        assert_eq!(address_ip("10.0.0.2").as_deref(), Some("10.0.0.2"));
        assert_eq!(address_ip(""), None);
        assert_eq!(address_ip(":"), None);
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00.000 UTC");
        assert_eq!(utc(951_782_400_000_000_000), "2000-02-29 00:00:00.000 UTC");
        assert_eq!(
            utc(1_700_000_000_123_000_000),
            "2023-11-14 22:13:20.123 UTC"
        );
    }

    #[test]
    fn shorten_cuts_between_words() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(
            shorten("sendto(b\"three\", (\"127.0.0.1\", 5000))", 34),
            "sendto(b\"three\", (\"127.0.0.1\",…"
        );
        assert_eq!(shorten("abcdefghij", 5), "abcd…");
    }

    #[test]
    fn payload_quotes() {
        assert_eq!(quoted_payload("b\"hello\"", 24), "\"hello\"");
        assert_eq!(quoted_payload("b\"a\\\"b\"", 24), "\"a\\\"b\"");
        assert_eq!(quoted_payload("b\"abcdef\"", 3), "\"abc…\"");
        assert_eq!(quoted_payload("b\"ab\"… (100 bytes)", 24), "\"ab…\"");
    }
}

//! `netcourse explain FILE.pcap|FILE.pcapng`: annotate a capture made by
//! anyone (Wireshark, tcpdump, ours) with the same dissection and frame
//! notes as a lesson's frames.
//!
//! Streaming: frames are read one at a time, each is dissected, annotated
//! and printed, then forgotten; the three stages run on three threads
//! (`pipeline`). Exports need a whole
//! transcript, so only the first frames (up to `KEEP_BYTES` of events) are
//! kept for them, and the transcript says how many were left out.

pub mod link;
mod pipeline;
pub mod reader;

use std::io::{BufReader, Write};
use std::path::Path;
use std::process::ExitCode;

use crate::error::Error;
use crate::render::{self, terminal};
use crate::transcript::{Event, LessonInfo, NetworkInfo, Outcome, Transcript};

/// What the events kept for exports may take, roughly, in memory.
pub const KEEP_BYTES: usize = 24 << 20;

pub struct Options<'a> {
    pub file: &'a Path,
    pub exports: &'a [render::Export],
    pub quiet: bool,
    pub detail: render::Detail,
}

/// The transcript of a capture file, before any frame.
pub fn skeleton(file: &Path) -> Transcript {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.display().to_string());
    let mut t = Transcript::begin(
        LessonInfo {
            name: crate::text::printable(&name).into_owned(),
            title: "a capture file, explained".into(),
            summary: String::new(),
            intro: None,
            outro: None,
        },
        NetworkInfo {
            mode: "file".into(),
            interface: "capture file".into(),
            note: "Frames read from a capture file made elsewhere: netcourse did not run these programs, so it names each end by its address and knows of no socket call behind a frame.".into(),
            left_out: None,
            links: Vec::new(),
            ends: Vec::new(),
            link_type: None,
        },
    );
    t.source = crate::transcript::Source::Capture;
    t
}

fn usage(file: &Path, offset: u64, reason: &str) -> Error {
    Error::Usage {
        message: format!(
            "`{}` at byte {offset}: {reason}",
            crate::text::printable(&file.display().to_string())
        ),
        hint: "explain reads pcap and pcapng files (Wireshark, tcpdump, dumpcap, `netcourse --export x.pcapng`)".into(),
    }
}

/// Roughly what an event holds in memory.
fn event_size(e: &Event) -> usize {
    let notes = e.notes.syntax.len() + e.notes.semantics.len() + e.notes.timing.len();
    let fields: usize = e
        .layers
        .iter()
        .flat_map(|l| &l.fields)
        .map(|f| f.name.len() + f.value.len() + 64)
        .sum();
    e.data_hex.as_ref().map_or(0, String::len)
        + e.payload.as_ref().map_or(0, String::len)
        + notes
        + fields
        + e.summary.len()
        + 512
}

/// Explain `file`: print each frame's events as it is read, then write the
/// exports.
pub fn run(opts: &Options) -> Result<ExitCode, Error> {
    let file = opts.file;
    let f = std::fs::File::open(file).map_err(|e| Error::Io {
        path: file.to_path_buf(),
        action: "open",
        reason: e.to_string(),
    })?;
    let reader = reader::CaptureReader::new(BufReader::with_capacity(1 << 20, f))
        .map_err(|e| usage(file, e.offset, &e.reason))?;
    let mut t = skeleton(file);
    // Brief and normal never print the syntax note or the bytes; only the
    // exports and full need them.
    let printing_only = opts.exports.is_empty() && opts.detail != render::Detail::Full;
    let pipeline = pipeline::Pipeline::start(reader, printing_only).map_err(|e| Error::Io {
        path: file.to_path_buf(),
        action: "start the threads that read",
        reason: e.to_string(),
    })?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let keep = !opts.exports.is_empty();
    let mut kept_bytes = 0usize;
    let mut total = 0u64;
    let mut left_out = 0u64;
    let mut other_link = 0u64;
    let mut link_types: Vec<u32> = Vec::new();
    let mut printed_header = false;
    let mut printer = terminal::Printer::new(terminal::View::new(opts.detail));
    let mut failure = None;
    for batch in &pipeline.events {
        let mut batch = match batch {
            Ok(batch) => batch,
            Err(e) => {
                failure = Some(usage(file, e.offset, &e.reason));
                break;
            }
        };
        for x in &batch {
            total += 1;
            if !link_types.contains(&x.link_type) {
                link_types.push(x.link_type);
            }
            if !printed_header {
                printed_header = true;
                let first_link = link_types[0];
                t.started_at_ns = x.timestamp_ns;
                t.network.link_type = (first_link != link::ETHERNET).then_some(first_link);
                t.lesson.summary = format!("Frames of {}.", link::name(first_link));
                if !opts.quiet {
                    let _ = printer.header(&t, &mut out);
                }
            }
            if !opts.quiet {
                let _ = printer.event(&t, &x.event, &mut out);
            }
        }
        if keep {
            for x in batch.drain(..) {
                if x.link_type != link_types[0] {
                    other_link += 1;
                } else if kept_bytes < KEEP_BYTES {
                    kept_bytes += event_size(&x.event);
                    t.events.push(x.event);
                } else {
                    left_out += 1;
                }
            }
        }
        pipeline.printed(batch);
    }
    pipeline.finish();
    if !printed_header && !opts.quiet {
        let _ = printer.header(&t, &mut out);
    }
    let kept = t.events.len() as u64;
    let mut summary = format!(
        "{} frame{} read from the file",
        total,
        if total == 1 { "" } else { "s" }
    );
    if let Some(&lt) = link_types.first() {
        summary.push_str(&format!(", of {}", link::name(lt)));
    }
    summary.push('.');
    if keep && (left_out > 0 || other_link > 0) {
        summary.push_str(&format!(" The exports hold {kept} of them: "));
        summary.push_str(&left_out_reasons(left_out, other_link, KEEP_BYTES >> 20));
        summary.push_str("; the terminal showed every frame.");
    }
    t.lesson.summary = summary;
    t.complete = failure.is_none() && left_out == 0 && other_link == 0;
    t.outcome = Outcome {
        passed: failure.is_none(),
        failure: failure.as_ref().map(|e| e.to_string()),
    };
    if !opts.quiet {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            terminal::wrap(&t.lesson.summary, printer.view.width, "", 0)
        );
    }
    let _ = out.flush();
    drop(out);
    render::write_exports(opts.exports, &t)?;
    // The frames before any damage were explained and exported; the
    // error says where reading stopped.
    match failure {
        Some(e) => Err(e),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// `netcourse explain`.
pub fn command(args: &crate::cli::ExplainArgs) -> Result<ExitCode, Error> {
    let exports = args.exports.plan(args.detail)?;
    run(&Options {
        file: &args.file,
        exports: &exports,
        quiet: args.quiet,
        detail: args.detail,
    })
}

/// Why frames are missing from the exports, for the summary: only the
/// reasons that apply.
fn left_out_reasons(left_out: u64, other_link: u64, keep_mib: usize) -> String {
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    let mut reasons = Vec::new();
    if left_out > 0 {
        reasons.push(format!(
            "{left_out} later frame{} did not fit in the {keep_mib} MiB kept for exports",
            plural(left_out)
        ));
    }
    if other_link > 0 {
        reasons.push(format!(
            "{other_link} frame{} of another link type than the first frame's {} left out (an export has one link type)",
            plural(other_link),
            if other_link == 1 { "was" } else { "were" }
        ));
    }
    reasons.join(", and ")
}

#[cfg(test)]
mod tests {
    use super::left_out_reasons;

    #[test]
    fn the_summary_names_only_the_reasons_that_apply() {
        assert_eq!(
            left_out_reasons(3, 0, 24),
            "3 later frames did not fit in the 24 MiB kept for exports"
        );
        assert_eq!(
            left_out_reasons(0, 1, 24),
            "1 frame of another link type than the first frame's was left out (an export has one link type)"
        );
        assert_eq!(
            left_out_reasons(1, 2, 24),
            "1 later frame did not fit in the 24 MiB kept for exports, and 2 frames of another link type than the first frame's were left out (an export has one link type)"
        );
    }
}

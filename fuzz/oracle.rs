// What every fuzz input must satisfy: one file, included (`#[path]`) by the
// cargo-fuzz targets in fuzz/fuzz_targets/ and by the seeded fuzz test in
// tests/fuzz.rs, so both check the same properties. Each function panics
// when a property fails; a panic anywhere inside netcourse fails it too.
//
// Lessons and transcripts go in through the same public entry points the
// `check` and `replay` commands use, as files, so what is fuzzed is what a
// user's file meets. Capture files go through `netcourse explain` itself,
// run by the caller (the built binary as a child in `cargo test`, the
// command's library entry point in cargo-fuzz): explain prints to the
// process's stdout, and a child shows what a user sees (exit code, stderr).

#![allow(dead_code)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use netcourse::dissect::{self, diagram, hexdump};
use netcourse::render::{self, Format, terminal};

/// Bytes as hex, to paste a failing frame into a test.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Dissect `bytes` as a captured frame and use every view of it. Fails when a
/// field lies outside its layer, layers overlap, or a layer leaves the frame.
/// True when the frame was read to the end (no stop).
pub fn frame(bytes: &[u8]) -> bool {
    let d = dissect::dissect(bytes);
    if let Err(e) = d.check_layout(bytes.len()) {
        panic!("layout broken: {e}\nframe: {}", hex(bytes));
    }
    for (i, l) in d.layers.iter().enumerate() {
        let _ = l.to_string();
        let _ = diagram::header_diagram(bytes, l);
        let _ = diagram::diagram_values(bytes, l);
        let _ = dissect::checksum_status(bytes, &d, i);
    }
    let _ = d.summary();
    if let Some(stop) = &d.stopped {
        assert!(
            stop.to_string().starts_with(stop.header().as_str()),
            "a stop names its header first: {stop}"
        );
    }
    assert_eq!(hexdump::byte_layers(&d, bytes.len()).len(), bytes.len());
    assert_eq!(
        hexdump::hexdump_lines(bytes).len(),
        bytes.len().div_ceil(16)
    );
    d.stopped.is_none()
}

/// A directory of our own for the files the entry points read.
pub fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netcourse-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the fuzz scratch directory");
    dir
}

/// `netcourse check FILE` on `bytes`: no panic, and the verdict agrees with
/// what was printed and with what a run would do (a lesson `check` passes
/// compiles to a plan, whose empty transcript renders in every format).
/// True when the lesson passed `check`.
pub fn lesson(bytes: &[u8], scratch: &Path) -> bool {
    use netcourse::lesson::load;
    let path = scratch.join("fuzz.yaml");
    std::fs::write(&path, bytes).expect("write the lesson");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let ok = load::check_files(std::slice::from_ref(&path), &mut out, &mut err);
    let (out, err) = (String::from_utf8_lossy(&out), String::from_utf8_lossy(&err));
    if ok {
        assert!(out.contains(": ok"), "check passed but said: {out}{err}");
        let plan = load::read_path(&path)
            .and_then(|s| s.plan())
            .unwrap_or_else(|e| panic!("check passed but the plan failed: {e}"));
        let t = netcourse::run::empty_transcript(
            &plan,
            netcourse::live::sandbox::NetMode::Sandbox,
            "lo",
        );
        every_rendering(&t);
    } else {
        assert!(err.contains("error"), "check failed but said: {out}{err}");
    }
    ok
}

/// `netcourse replay FILE --export …` on `bytes` (as a `.json` or `.yaml`
/// file): no panic, and what replay accepts renders in every format and
/// exports to a JSON transcript that replay accepts again. True when replay
/// accepted the file.
pub fn transcript(bytes: &[u8], extension: &str, scratch: &Path) -> bool {
    let path = scratch.join(format!("fuzz.{extension}"));
    std::fs::write(&path, bytes).expect("write the transcript");
    let Ok(t) = netcourse::replay::load(&path) else {
        return false;
    };
    every_rendering(&t);
    let again = scratch.join("fuzz-again.json");
    let mut json = Vec::new();
    render::render(Format::Json, render::Detail::Full, &t, &mut json).expect("render JSON");
    std::fs::write(&again, &json).expect("write the JSON export");
    if let Err(e) = netcourse::replay::load(&again) {
        panic!("replay refuses the JSON it exported: {e}");
    }
    true
}

/// How `netcourse ARGS` ended, as the caller of `explain` ran it.
pub struct Ran {
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    pub stderr: String,
}

/// The exports `explain` is asked for besides the JSON, one per input.
const EXPLAIN_EXPORTS: [Option<&str>; 5] =
    [None, Some("yaml"), Some("md"), Some("html"), Some("pcapng")];

/// `netcourse explain FILE --detail D --export out.json [--export out.X]`
/// on `bytes` written as FILE (`extension`: `pcap` or `pcapng`; explain
/// goes by the magic number), run by `netcourse`; the detail level and the
/// second export (none, YAML, Markdown, HTML or pcapng) depend on the bytes.
/// No panic, no signal; exit 0 with nothing on stderr, or exit 2 (the
/// documented code for anything but a failed lesson) with one `error:`
/// line naming a byte offset inside the file, then `hint:` lines. Every
/// JSON export it leaves is accepted by replay and says passed exactly
/// on exit 0 (and, after damage, incomplete); on exit 0 every export was
/// written. True when it exited 0 having explained at least one frame.
pub fn explain(
    bytes: &[u8],
    extension: &str,
    scratch: &Path,
    netcourse: impl FnOnce(&[OsString]) -> Ran,
) -> bool {
    let file = scratch.join(format!("fuzz.{extension}"));
    std::fs::write(&file, bytes).expect("write the capture");
    let h = bytes
        .iter()
        .fold(7usize, |h, &b| h.wrapping_mul(31).wrapping_add(b as usize));
    let detail = ["brief", "normal", "full"][h % 3];
    let json = scratch.join("out.json");
    let other_format = EXPLAIN_EXPORTS[(h / 3) % EXPLAIN_EXPORTS.len()];
    let other = other_format.map(|x| scratch.join(format!("out.{x}")));
    let mut args: Vec<OsString> = vec!["netcourse".into(), "explain".into(), file.into()];
    args.extend(["--detail".into(), detail.into()]);
    for export in std::iter::once(&json).chain(&other) {
        // What an earlier input left must not pass for this one's export.
        let _ = std::fs::remove_file(export);
        args.extend(["--export".into(), export.into()]);
    }
    let ran = netcourse(&args);
    let err = &ran.stderr;
    let what = format!(
        "explain --detail {detail} --export out.json{}",
        other_format.map_or(String::new(), |x| format!(" --export out.{x}"))
    );
    match ran.code {
        Some(101) => panic!("{what} panicked (exit code 101): {err}"),
        _ if err.contains("panicked") => panic!("{what} panicked: {err}"),
        None => panic!("{what} was ended by a signal: {err}"),
        Some(0) => assert!(err.is_empty(), "{what} exited 0 but said on stderr: {err}"),
        Some(2) => {
            let mut lines = err.lines();
            let first = lines.next().unwrap_or_default();
            let offset = first
                .strip_prefix("error: ")
                .and_then(|e| e.split_once(" at byte "))
                .and_then(|(_, rest)| rest.split(':').next()?.parse::<usize>().ok());
            let Some(offset) = offset else {
                panic!("{what} failed without an error naming a byte offset: {err}");
            };
            assert!(
                offset <= bytes.len(),
                "{what}: the error names byte {offset} of a file of {}: {err}",
                bytes.len()
            );
            assert!(
                lines.all(|l| l.starts_with("hint: ")),
                "{what}: more than a one-line error and its hint: {err}"
            );
        }
        Some(code) => panic!("{what} exited {code}, neither 0 nor 2: {err}"),
    }
    let ok = ran.code == Some(0);
    if ok {
        for export in std::iter::once(&json).chain(&other) {
            assert!(
                export.exists(),
                "{what} exited 0 without writing {}",
                export.display()
            );
        }
    }
    if !json.exists() {
        return false;
    }
    let t = netcourse::replay::load(&json)
        .unwrap_or_else(|e| panic!("{what}: replay refuses the JSON explain exported: {e}"));
    // Frames after another link type, or past what exports keep, are left
    // out of a complete read too; damage always makes it incomplete.
    assert!(
        t.outcome.passed == ok && (ok || !t.complete),
        "{what}: the export says passed {} and complete {} for exit code {:?}",
        t.outcome.passed,
        t.complete,
        ran.code
    );
    ok && !t.events.is_empty()
}

fn every_rendering(t: &netcourse::transcript::Transcript) {
    use netcourse::render::Detail;
    for detail in [Detail::Brief, Detail::Normal, Detail::Full] {
        terminal::render(t, terminal::View { width: 50, detail }, &mut Vec::new())
            .expect("render to the terminal");
    }
    for format in [
        Format::Json,
        Format::Yaml,
        Format::Md,
        Format::Html,
        Format::Pcapng,
    ] {
        for detail in [Detail::Normal, Detail::Full] {
            render::render(format, detail, t, &mut Vec::new()).expect("render an export");
        }
    }
    for e in &t.events {
        netcourse::stepmode::details::render(e, 60, &mut Vec::new()).expect("render step details");
    }
}

/// One application protocol's dissector on any bytes as a message (`name`
/// is `dns`, `http`, `smtp`, `ftp` or `telnet`): from both sides, DNS also
/// with TCP's length prefix, SMTP also in its DATA state, HTTP also as
/// the answer to a HEAD; then the bytes as
/// a TCP stream cut into segments (where depends on the bytes) through the
/// reassembler. Fails when a field leaves its layer, a layer leaves the
/// message, a message's length is outside the bytes, a stop does not name
/// its protocol first, or reassembled parts do not add up to the message.
/// True when the whole bytes decoded without a stop.
pub fn app(name: &str, bytes: &[u8]) -> bool {
    use netcourse::dissect::app::{self, Dialogue, Framing, Protocol, Side};
    let p = Protocol::from_lesson(name).expect("a protocol name");
    let mut clean = false;
    for side in [Side::Client, Side::Server] {
        for over_tcp in [true, p == Protocol::Dns] {
            // SMTP after 354; HTTP after a HEAD request.
            for state in [false, true] {
                let dialogue = Dialogue {
                    smtp_data: state,
                    http_requests: std::iter::once(state)
                        .filter(|_| p == Protocol::Http)
                        .collect(),
                };
                if let Framing::Complete(n) = app::next_len(p, side, bytes, &dialogue, over_tcp) {
                    assert!(
                        n >= 1 && n <= bytes.len(),
                        "{name}: a message of {n} bytes in {}",
                        bytes.len()
                    );
                }
                let m = app::decode(p, side, bytes, 54, &mut dialogue.clone(), over_tcp);
                let l = &m.layer;
                assert!(
                    l.offset == 54 && l.length <= bytes.len(),
                    "{name}: layer {}+{} outside the message",
                    l.offset,
                    l.length
                );
                if let Err(e) = l.check_fields_inside() {
                    panic!("{name}: {e}\nmessage: {}", hex(bytes));
                }
                let _ = l.to_string();
                let _ = diagram::header_diagram(&[vec![0; 54], bytes.to_vec()].concat(), l);
                match &m.stopped {
                    Some(stop) => assert!(
                        stop.to_string().starts_with(stop.header().as_str()),
                        "a stop names its protocol first: {stop}"
                    ),
                    None => clean = true,
                }
            }
        }
    }
    stream(p, bytes);
    clean
}

/// `bytes` as both directions of a TCP connection, cut into up to 4
/// segments (one sent twice, as a retransmission), through the reassembler.
fn stream(p: netcourse::dissect::app::Protocol, bytes: &[u8]) {
    use netcourse::dissect::stream::{Segment, Streams};
    let client: std::net::SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let server: std::net::SocketAddr = "127.0.0.1:80".parse().unwrap();
    let h = bytes
        .iter()
        .fold(7usize, |h, &b| h.wrapping_mul(31).wrapping_add(b as usize));
    let mut cuts: Vec<usize> = (0..3).map(|i| (h >> (i * 7)) % (bytes.len() + 1)).collect();
    cuts.push(0);
    cuts.push(bytes.len());
    cuts.sort_unstable();
    let mut streams = Streams::default();
    let mut event = 0;
    for from_client in [true, false] {
        let (src, dst) = if from_client {
            (client, server)
        } else {
            (server, client)
        };
        for (i, w) in cuts.windows(2).enumerate() {
            let piece = &bytes[w[0]..w[1]];
            let last = i == cuts.len() - 2;
            for _ in 0..1 + usize::from(i == 1) {
                event += 1;
                let seg = Segment {
                    src,
                    dst,
                    seq: 1000u32.wrapping_add(w[0] as u32),
                    syn: false,
                    fin: last,
                    rst: false,
                    payload: piece,
                    payload_offset: 66,
                    event,
                };
                let o = streams.segment(p, server, &seg);
                for m in &o.messages {
                    let l = &m.layer;
                    assert!(
                        l.offset >= 66 && l.offset + l.length <= 66 + piece.len(),
                        "a message outside its segment"
                    );
                    if let Err(e) = l.check_fields_inside() {
                        panic!("{e}\nstream: {}", hex(bytes));
                    }
                }
                for r in &o.reassembled {
                    let total: usize = r.parts.iter().map(|x| x.len).sum();
                    assert_eq!(total, r.bytes.len(), "parts add up to the message");
                    assert!(r.message.layer.length <= r.bytes.len());
                    if let Err(e) = r.message.layer.check_fields_inside() {
                        panic!("{e}\nstream: {}", hex(bytes));
                    }
                }
                if let Some((at, len, so_far)) = o.pending {
                    assert!(at >= 66 && at + len <= 66 + piece.len() && len <= so_far);
                }
            }
        }
    }
}

// What every fuzz input must satisfy: one file, included (`#[path]`) by the
// cargo-fuzz targets in fuzz/fuzz_targets/ and by the seeded fuzz test in
// tests/fuzz.rs, so both check the same properties. Each function panics
// when a property fails; a panic anywhere inside netcourse fails it too.
//
// Lessons and transcripts go in through the same public entry points the
// `check` and `replay` commands use, as files, so what is fuzzed is what a
// user's file meets.

#![allow(dead_code)]

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

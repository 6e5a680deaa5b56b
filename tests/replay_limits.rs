//! What netcourse writes, `replay` reads; what nothing writes is refused
//! early, in memory that follows what replay keeps.

#[path = "support/biggest_lesson.rs"]
mod biggest_lesson;
mod common;
#[path = "support/wait4.rs"]
mod wait4;
use common::*;

use std::path::Path;
use std::process::{Command, Stdio};

/// Exit code, stderr and peak RSS in KiB (wait4's rusage) of a netcourse run.
fn measured(args: &[&str]) -> (i32, String, u64) {
    let mut child = Command::new(bin())
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    let (status, usage) = wait4::wait4(child);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, err, usage.ru_maxrss as u64)
}

fn size(p: &Path) -> u64 {
    std::fs::metadata(p).unwrap().len()
}

#[test]
fn the_largest_lessons_transcript_replays_in_both_encodings() {
    let dir = scratch("biggest");
    let lesson = dir.join("biggest.yaml");
    std::fs::write(&lesson, biggest_lesson::text()).unwrap();
    netcourse(&["check", lesson.to_str().unwrap()]).run().ok();
    let (json, yaml) = (dir.join("t.json"), dir.join("t.yaml"));
    netcourse(&[
        "run",
        "lesson",
        lesson.to_str().unwrap(),
        "--quiet",
        "--export",
        json.to_str().unwrap(),
        "--export",
        yaml.to_str().unwrap(),
    ])
    .run()
    .ok();
    // Larger than the 32 MiB replay once read whole and refused.
    assert!(size(&json) > 32 * 1024 * 1024, "{} bytes", size(&json));
    let html = dir.join("t.html");
    // To HTML from JSON (the larger file); YAML is read the same way.
    for (t, export) in [(&json, true), (&yaml, false)] {
        let mut args = vec!["replay", t.to_str().unwrap()];
        if export {
            args.extend(["--export", html.to_str().unwrap()]);
        }
        let (code, err, peak_kib) = measured(&args);
        assert_eq!(code, 0, "{}: {err}", t.display());
        // The model, not the file four times over.
        let limit = 4 * size(t) / 1024;
        assert!(
            peak_kib < limit,
            "{}: {peak_kib} KiB peak for {} bytes",
            t.display(),
            size(t)
        );
    }
}

#[test]
fn files_no_run_writes_are_refused_early_and_cheaply() {
    let dir = scratch("hostile-sizes");
    let head = r#"{"format":"netcourse-transcript","version":1,"complete":true,"generator":"x","lesson":{"name":"n","title":"t","summary":"s"},"network":{"mode":"sandbox","interface":"lo","note":""},"dropped":0,"started_at_ns":0,"outcome":{"passed":true},"#;
    // Written piece by piece: a child's peak RSS (wait4) starts from its
    // parent's size when it was spawned, so this process stays small.
    let write = |name: &str, list: &str, item: &str, n: usize| {
        use std::io::Write;
        let path = dir.join(name);
        let mut w = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        w.write_all(head.as_bytes()).unwrap();
        for other in ["actors", "steps", "events"].iter().filter(|k| **k != list) {
            write!(w, r#""{other}":[],"#).unwrap();
        }
        write!(w, r#""{list}":["#).unwrap();
        for i in 0..n {
            if i > 0 {
                w.write_all(b",").unwrap();
            }
            w.write_all(item.as_bytes()).unwrap();
        }
        w.write_all(b"]}").unwrap();
        w.flush().unwrap();
        path
    };
    // 600,000 actors (~33 MB): refused at the 65th.
    let actors = write(
        "actors.json",
        "actors",
        r#"{"name":"a","transport":"udp","address":"127.0.0.1:1"}"#,
        600_000,
    );
    let (code, err, peak_kib) = measured(&["replay", actors.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("it has more than 64 actors"), "{err}");
    assert!(peak_kib < 16 * 1024, "{peak_kib} KiB");

    // 180,000 events (~32 MB): refused at the 20,001st.
    let events = write(
        "events.json",
        "events",
        r#"{"index":1,"kind":"call","step":1,"actor":"a","time_ns":0,"timestamp_ns":0,"layer":"application","summary":"s","notes":{"syntax":"","semantics":"","timing":""}}"#,
        180_000,
    );
    let (code, err, peak_kib) = measured(&["replay", events.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("it has more than 20000 events"), "{err}");
    // 20,000 small events kept before the refusal, not 180,000.
    assert!(peak_kib < 48 * 1024, "{peak_kib} KiB");

    // Past the size cap: refused by its size, whatever it holds.
    let huge = dir.join("huge.json");
    let f = std::fs::File::create(&huge).unwrap();
    f.set_len(65 * 1024 * 1024).unwrap();
    let (code, err, peak_kib) = measured(&["replay", huge.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("larger than 67108864 bytes"), "{err}");
    assert!(peak_kib < 16 * 1024, "{peak_kib} KiB");
}

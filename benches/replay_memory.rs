//! Replay's memory against the size of what it reads: peak RSS (wait4's
//! rusage of the child) of `netcourse replay FILE --export FILE.html` for the
//! largest transcript a lesson can write, and of the refusal of files no
//! run writes. Run with `cargo bench --bench replay_memory`.
//!
//! Goals (issue 16): peak at most 4x the file; a 30 MB transcript to HTML
//! under 150 MiB; 600k actors and 180k events refused early and cheaply.

#[path = "../tests/support/biggest_lesson.rs"]
mod biggest_lesson;
#[path = "../tests/support/wait4.rs"]
mod wait4;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_netcourse")
}

/// Wall ms, peak RSS KiB and exit code of one netcourse run. This process
/// stays small: a child's peak starts from its parent's size at spawn.
fn measure(args: &[&str]) -> (f64, u64, i32) {
    let start = Instant::now();
    let child = Command::new(bin())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let (status, usage) = wait4::wait4(child);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (
        start.elapsed().as_secs_f64() * 1e3,
        usage.ru_maxrss as u64,
        code,
    )
}

/// A transcript whose list `list` holds `n` copies of `item`.
fn hostile(path: &Path, list: &str, item: &str, n: usize) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    write!(w, r#"{{"format":"netcourse-transcript","version":1,"complete":true,"generator":"x","lesson":{{"name":"n","title":"t","summary":"s"}},"network":{{"mode":"sandbox","interface":"lo","note":""}},"dropped":0,"started_at_ns":0,"outcome":{{"passed":true}},"#).unwrap();
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
}

fn main() {
    let dir = std::env::temp_dir().join(format!("netcourse-replay-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = |name: &str| -> PathBuf { dir.join(name) };
    let s = |p: &PathBuf| p.to_str().unwrap().to_string();
    std::fs::write(p("biggest.yaml"), biggest_lesson::text()).unwrap();
    let (ms, _, code) = measure(&[
        "run",
        "lesson",
        &s(&p("biggest.yaml")),
        "--quiet",
        "--export",
        &s(&p("big.json")),
        "--export",
        &s(&p("big.yaml")),
    ]);
    assert_eq!(code, 0, "the largest lesson runs");
    println!("the largest lesson ran in {ms:.0} ms");
    hostile(
        &p("actors.json"),
        "actors",
        r#"{"name":"a","transport":"udp","address":"127.0.0.1:1"}"#,
        600_000,
    );
    hostile(
        &p("events.json"),
        "events",
        r#"{"index":1,"kind":"call","step":1,"actor":"a","time_ns":0,"timestamp_ns":0,"layer":"application","summary":"s","notes":{"syntax":"","semantics":"","timing":""}}"#,
        180_000,
    );
    let html = s(&p("out.html"));
    let cases: Vec<(&str, Vec<String>, i32)> = vec![
        (
            "largest JSON -> terminal",
            vec!["replay".into(), s(&p("big.json"))],
            0,
        ),
        (
            "largest JSON -> HTML",
            vec![
                "replay".into(),
                s(&p("big.json")),
                "--export".into(),
                html.clone(),
            ],
            0,
        ),
        (
            "largest YAML -> terminal",
            vec!["replay".into(), s(&p("big.yaml"))],
            0,
        ),
        (
            "largest YAML -> HTML",
            vec![
                "replay".into(),
                s(&p("big.yaml")),
                "--export".into(),
                html.clone(),
            ],
            0,
        ),
        (
            "600k actors (refused)",
            vec!["replay".into(), s(&p("actors.json"))],
            2,
        ),
        (
            "180k events (refused)",
            vec!["replay".into(), s(&p("events.json"))],
            2,
        ),
    ];
    println!(
        "{:<28} {:>10} {:>10} {:>12} {:>8}",
        "case", "file MB", "wall ms", "peak MiB", "peak/file"
    );
    for (name, args, want) in cases {
        let file = std::fs::metadata(&args[1]).unwrap().len() as f64;
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (ms, kib, code) = measure(&args);
        assert_eq!(code, want, "{name}: exit code");
        let mib = kib as f64 / 1024.0;
        println!(
            "{name:<28} {:>10.1} {ms:>10.0} {mib:>12.1} {:>8.2}",
            file / 1e6,
            kib as f64 * 1024.0 / file
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

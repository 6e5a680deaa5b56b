//! Exports are all or nothing: after a signal or a full disk, every export
//! path holds a complete transcript, a valid incomplete one, or nothing
//! (or what it held before) — never a cut-off file.

mod common;
use common::*;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A receiver waits 10 s for a datagram nobody sends: time to signal it.
const WAITS: &str = "format: 1\nname: waits\ntitle: A long wait\nsummary: A receiver waits for a datagram nobody sends.\nactors:\n  - {name: rx, transport: udp, port: 5000}\nsteps:\n  - {actor: rx, call: bind}\n  - {actor: rx, call: recvfrom, timeout_ms: 10000, expect: {error: timeout}}\n  - {actor: rx, call: close}\n";

const EXPORTS: [&str; 5] = ["a.json", "a.yaml", "a.md", "a.html", "a.pcapng"];

/// Files in `dir` other than `known`: a temporary file left behind.
fn strays(dir: &Path, known: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !known.contains(&n.as_str()))
        .collect()
}

/// Run `waits` with every export, signal it once step 2 (the 10 s recv) has
/// begun, and return its exit code and elapsed time.
fn interrupt_plain_run(dir: &Path, signal: i32) -> (i32, Duration, String) {
    std::fs::write(dir.join("waits.yaml"), WAITS).unwrap();
    let mut cmd = Command::new(bin());
    cmd.args(["run", "lesson", "./waits.yaml"]);
    for e in EXPORTS {
        cmd.args(["--export", e]);
    }
    let mut child = cmd
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    // Ready when step 1's call is printed: step 2 starts right after it.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    let mut line = String::new();
    while stdout.read_line(&mut line).unwrap() > 0 {
        seen.push_str(&line);
        if line.contains("bind((") {
            break;
        }
        line.clear();
    }
    assert!(seen.contains("bind(("), "step 1 never printed: {seen}");
    // Then step 2's recvfrom puts it to sleep (nothing else in a step
    // sleeps before its call): signal it there.
    let stat = format!("/proc/{}/stat", child.id());
    let asleep = || {
        std::fs::read_to_string(&stat)
            .ok()
            .and_then(|s| {
                s.rsplit(')')
                    .next()
                    .map(|r| r.trim_start().starts_with('S'))
            })
            .unwrap_or(false)
    };
    while !asleep() {
        assert!(started.elapsed() < Duration::from_secs(5), "never blocked");
        std::thread::yield_now();
    }
    // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut rest);
        let status = child.wait().unwrap();
        let mut err = String::new();
        let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err);
        let _ = tx.send((status.code().unwrap_or(-1), rest, err));
    });
    let (code, rest, err) = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("netcourse ended after the signal");
    (
        code,
        started.elapsed(),
        format!("{seen}{rest}\n--- stderr\n{err}"),
    )
}

fn assert_incomplete_exports(dir: &Path, signal_name: &str) {
    let t = read_json(&dir.join("a.json"));
    assert_eq!(t["complete"], false);
    assert_eq!(t["outcome"]["passed"], false);
    let failure = t["outcome"]["failure"].as_str().unwrap();
    assert!(failure.contains(signal_name), "{failure}");
    assert!(failure.contains("during step 2"), "{failure}");
    assert_eq!(call_of_step(&t, 1)["call"]["name"], "bind");
    // Each saved form replays, and says the run stopped early.
    for f in ["a.json", "a.yaml"] {
        let ran = netcourse(&["replay", dir.join(f).to_str().unwrap()])
            .run()
            .ok();
        assert!(
            ran.stdout.contains("lesson stopped early"),
            "{f}: {}",
            ran.stdout
        );
    }
    let html = std::fs::read_to_string(dir.join("a.html")).unwrap();
    assert!(html.trim_end().ends_with("</html>"), "cut-off HTML");
    let md = std::fs::read_to_string(dir.join("a.md")).unwrap();
    assert!(md.contains(failure), "the Markdown says why it stopped");
    let pcap = std::fs::read(dir.join("a.pcapng")).unwrap();
    assert_eq!(&pcap[..4], b"\x0a\x0d\x0d\x0a", "a pcapng section header");
    if have("tshark") {
        let out = Command::new("tshark")
            .args(["-r", dir.join("a.pcapng").to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut known = EXPORTS.to_vec();
    known.push("waits.yaml");
    assert_eq!(
        strays(dir, &known),
        Vec::<String>::new(),
        "temporary files left"
    );
}

#[test]
fn sigint_during_a_blocking_call_exports_an_incomplete_transcript() {
    let dir = scratch("sigint-plain");
    let (code, elapsed, out) = interrupt_plain_run(&dir, libc::SIGINT);
    assert_eq!(code, 130, "{out}");
    // The 10 s recv was cut short by the signal, not waited out.
    assert!(elapsed < Duration::from_secs(8), "{elapsed:?}\n{out}");
    assert!(out.contains("lesson stopped early"), "{out}");
    assert!(
        out.contains("stopped by signal 2 (SIGINT) during step 2"),
        "{out}"
    );
    assert_incomplete_exports(&dir, "SIGINT");
}

#[test]
fn sigterm_during_a_blocking_call_exports_an_incomplete_transcript() {
    let dir = scratch("sigterm-plain");
    // Yesterday's files are replaced whole, not truncated and half-written.
    for e in EXPORTS {
        std::fs::write(dir.join(e), "yesterday").unwrap();
    }
    let (code, _, out) = interrupt_plain_run(&dir, libc::SIGTERM);
    assert_eq!(code, 143, "{out}");
    assert_incomplete_exports(&dir, "SIGTERM");
}

/// A transcript to replay into exports.
fn transcript(dir: &Path) -> std::path::PathBuf {
    let t = dir.join("t.json");
    netcourse(&[
        "run",
        "lesson",
        "udp-basics",
        "--export",
        t.to_str().unwrap(),
    ])
    .run()
    .ok();
    t
}

#[test]
fn a_full_disk_leaves_no_partial_export_and_reports_every_failure() {
    assert!(have("unshare"), "util-linux `unshare` makes the small disk");
    let dir = scratch("full-disk");
    let t = transcript(&dir);
    let mnt = dir.join("small");
    let out = dir.join("copied");
    std::fs::create_dir(&mnt).unwrap();
    std::fs::create_dir(&out).unwrap();
    // A private 8 KiB tmpfs in a user + mount namespace: a real full disk
    // with no privilege. One page holds yesterday's `kept.json`; no export
    // fits in the other. What is left on it is copied out before the
    // namespace (and the tmpfs) goes.
    let script = r#"mount -t tmpfs -o size=8k netcourse-test "$1" || exit 99
printf yesterday > "$1/kept.json"
"$2" replay "$3" --export "$1/kept.json" --export "$1/new.html" --export "$4/ok.md" --export "$1/new.md"
echo "rc=$?"
cp -a "$1/." "$4/""#;
    let ran = Command::new("unshare")
        .args([
            "--user",
            "--map-root-user",
            "--mount",
            "sh",
            "-c",
            script,
            "sh",
        ])
        .args([&mnt, Path::new(bin()), &t, &out])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&ran.stdout);
    let stderr = String::from_utf8_lossy(&ran.stderr);
    assert!(stdout.contains("rc=2"), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("error: 3 exports could not be written:"),
        "{stderr}"
    );
    for name in ["kept.json", "new.html", "new.md"] {
        assert!(
            stderr.contains(&format!("{name}`: No space left on device")),
            "{name}: {stderr}"
        );
    }
    // The export that fitted elsewhere is whole; the full disk holds
    // yesterday's file untouched and nothing else.
    let md = std::fs::read_to_string(out.join("ok.md")).unwrap();
    assert!(md.contains("udp-basics"), "{md}");
    assert_eq!(
        std::fs::read_to_string(out.join("kept.json")).unwrap(),
        "yesterday"
    );
    let mut left = strays(&out, &["ok.md"]);
    left.sort();
    assert_eq!(
        left,
        ["kept.json"],
        "partial or temporary files on the full disk"
    );
}

#[test]
fn a_device_export_is_written_in_place_and_its_failure_named() {
    let dir = scratch("dev-full");
    let t = transcript(&dir);
    let ok = dir.join("ok.json");
    let mut replay = netcourse(&[
        "replay",
        t.to_str().unwrap(),
        "--export-format",
        "json",
        "--export",
        "/dev/full",
        "--export",
        ok.to_str().unwrap(),
    ]);
    // Not as root: a device must never be replaced by a file, and should
    // that break, `nobody` cannot do it in /dev.
    if is_root() {
        replay = replay.by_nobody();
    }
    let ran = replay.run().code(2);
    assert!(
        ran.stderr
            .contains("cannot write `/dev/full`: No space left on device"),
        "{}",
        ran.stderr
    );
    assert_eq!(read_json(&ok)["complete"], true);
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::metadata("/dev/full")
            .unwrap()
            .file_type()
            .is_char_device()
    );

    // A FIFO is a stream too: written through, to whoever reads it.
    let fifo = dir.join("pipe.json");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o666) }, 0);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    netcourse(&[
        "replay",
        t.to_str().unwrap(),
        "--export",
        fifo.to_str().unwrap(),
    ])
    .run()
    .ok();
    let json: serde_json::Value = serde_json::from_str(&reader.join().unwrap()).unwrap();
    assert_eq!(json["complete"], true);
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

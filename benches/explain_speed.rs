//! `netcourse explain` against `tshark -V` on a 100 MB pcap of ordinary TCP
//! traffic (tests/support/tcp_pcap.rs): wall time of each, one run each on
//! the same machine, both printing their default text to /dev/null, and
//! explain's peak RSS (wait4's rusage of the child). Run with
//! `cargo bench --bench explain_speed`; `-- --size MB` for another size,
//! `-- --keep FILE` to write the pcap there and keep it.
//!
//! Goal (issue 15): at most 50 MiB peak and at least 5x faster than
//! `tshark -V -r FILE`. Then a second file where every frame is a new flow
//! (`-- --flows N`, 300,000 by default): memory bounded by what is kept for
//! the 32,768 most recent flows, not growing with N.

#[path = "../tests/support/tcp_pcap.rs"]
mod tcp_pcap;
#[path = "../tests/support/wait4.rs"]
mod wait4;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// One run: wall seconds, CPU seconds (user + system), peak RSS KiB and
/// exit code.
struct Run {
    wall: f64,
    cpu: f64,
    kib: u64,
    code: i32,
}

/// One run of `program`, stdout to /dev/null. The CPU time is the fairer
/// figure on a busy machine; the goal is stated for wall time.
fn measure(program: &str, args: &[&str]) -> Run {
    let start = Instant::now();
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
    let (status, usage) = wait4::wait4(child);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Run {
        wall: start.elapsed().as_secs_f64(),
        cpu: secs(usage.ru_utime) + secs(usage.ru_stime),
        kib: usage.ru_maxrss as u64,
        code,
    }
}

/// tshark's expert info on the file with checksum validation on: an
/// ordinary capture has no warnings and no errors.
fn check_with_tshark(file: &Path) {
    let out = Command::new("tshark")
        .args([
            "-n",
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "tcp.check_checksum:TRUE",
            "-q",
            "-z",
            "expert,warn",
            "-r",
        ])
        .arg(file)
        .output()
        .expect("run tshark");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "tshark failed: {text}");
    assert!(
        !text.contains("Warnings (") && !text.contains("Errors ("),
        "tshark finds the generated traffic unusual:\n{text}"
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let size_mb: u64 = opt("--size").map_or(100, |s| s.parse().expect("--size MB"));
    let keep = opt("--keep").map(PathBuf::from);
    let file = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!(
            "netcourse-explain-bench-{}.pcap",
            std::process::id()
        ))
    });
    let start = Instant::now();
    let mut w = std::io::BufWriter::new(std::fs::File::create(&file).expect("create the pcap"));
    let made = tcp_pcap::write(&mut w, size_mb * 1_000_000).expect("write the pcap");
    drop(w);
    println!(
        "{}: {:.1} MB, {} frames, {} TCP connections (written in {:.1} s)",
        file.display(),
        made.bytes as f64 / 1e6,
        made.frames,
        made.connections,
        start.elapsed().as_secs_f64()
    );
    let path = file.to_str().unwrap();
    let has_tshark = Command::new("tshark")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if has_tshark {
        check_with_tshark(&file);
    }
    let ours = measure(env!("CARGO_BIN_EXE_netcourse"), &["explain", path]);
    assert_eq!(ours.code, 0, "netcourse explain failed");
    println!(
        "netcourse explain FILE > /dev/null: {:.2} s wall, {:.2} s CPU, peak RSS {:.1} MiB",
        ours.wall,
        ours.cpu,
        ours.kib as f64 / 1024.0
    );
    if has_tshark {
        let theirs = measure("tshark", &["-V", "-r", path]);
        assert_eq!(theirs.code, 0, "tshark -V failed");
        println!(
            "tshark -V -r FILE > /dev/null:      {:.2} s wall, {:.2} s CPU, peak RSS {:.1} MiB",
            theirs.wall,
            theirs.cpu,
            theirs.kib as f64 / 1024.0
        );
        println!(
            "explain is {:.1}x as fast as tshark -V by wall time, {:.1}x by CPU time (goal: at least 5x, at most 50 MiB)",
            theirs.wall / ours.wall,
            theirs.cpu / ours.cpu
        );
    } else {
        println!("tshark is not installed: no comparison");
    }
    if keep.is_none() {
        let _ = std::fs::remove_file(&file);
    }
    many_flows(opt("--flows").map_or(300_000, |s| s.parse().expect("--flows N")));
}

/// The other bound: a capture with a new flow in every frame (a scan, or
/// hours of DNS). What the annotator keeps per connection and per sender
/// must not grow with it.
fn many_flows(flows: u32) {
    let file = std::env::temp_dir().join(format!(
        "netcourse-explain-flows-{}.pcap",
        std::process::id()
    ));
    let mut w = std::io::BufWriter::new(std::fs::File::create(&file).expect("create the pcap"));
    tcp_pcap::write_flows(&mut w, flows).expect("write the pcap");
    drop(w);
    let ours = measure(
        env!("CARGO_BIN_EXE_netcourse"),
        &["explain", file.to_str().unwrap()],
    );
    assert_eq!(ours.code, 0, "netcourse explain failed");
    println!(
        "{flows} frames, each a new flow: netcourse explain {:.2} s wall, peak RSS {:.1} MiB (bounded: not growing with the number of flows)",
        ours.wall,
        ours.kib as f64 / 1024.0
    );
    let _ = std::fs::remove_file(&file);
}

//! Tracing overhead (issue 15): a Python program making 10,000 UDP sendto
//! calls (examples/bench/sendto_10k.py), timed alone in a fresh sandbox
//! (the same private network namespace `trace` uses, `lo` up) and under
//! `netcourse trace -q`. Interleaved runs; prints the medians and ratios of
//!
//! - the whole command's wall time (sandbox, capture, the program, the
//!   annotated transcript), and
//! - the program's own run, from its start to its exit (under trace: the
//!   exit event's time in the transcript, from the capture's start just
//!   before the program is started).
//!
//! Goal: the program under trace at most 3× slower than alone. Timed both
//! as `trace` runs by default (each sendto one seccomp notification, the
//! send made by netcourse) and with `--no-fast-sends` (every call two
//! ptrace stops); the whole command's time is the default's. A last traced
//! run checks that every one of the 10,000 calls and datagrams was
//! recorded. `NETCOURSE_BENCH_BIN` times another netcourse binary (an
//! older build, for a before/after). Run with
//! `cargo bench --bench trace_overhead`.

use std::ffi::CString;
use std::process::{Command, Stdio};
use std::time::Instant;

const RUNS: usize = 7;

/// The Python interpreter itself, not a wrapper script in front of it
/// (pyenv's shim runs a shell and a dozen programs first, which would be
/// timed too).
fn python() -> String {
    let out = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn program() -> String {
    format!(
        "{}/examples/bench/sendto_10k.py",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn bin() -> String {
    std::env::var("NETCOURSE_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_netcourse").into())
}

/// The program alone: fork, enter a sandbox of our own in the child (it is
/// single-threaded there), exec python3. Wall time from fork to exit.
fn alone(python: &str) -> f64 {
    let python = CString::new(python).unwrap();
    let script = CString::new(program()).unwrap();
    let argv = [python.as_ptr(), script.as_ptr(), std::ptr::null()];
    let start = Instant::now();
    // SAFETY: the bench is single-threaded; the child only enters the
    // sandbox and execs.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork");
    if pid == 0 {
        if let Err(e) = netcourse::live::sandbox::enter() {
            eprintln!("sandbox: {e:?}");
            // SAFETY: leaving the forked child.
            unsafe { libc::_exit(125) };
        }
        // SAFETY: argv is NUL-terminated and outlives the call.
        unsafe {
            libc::execv(python.as_ptr(), argv.as_ptr());
            libc::_exit(127);
        }
    }
    let mut status = 0;
    // SAFETY: waiting for our own child.
    let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
    let wall = start.elapsed().as_secs_f64() * 1e3;
    assert!(
        rc == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the program alone failed (status {status:#x})"
    );
    wall
}

fn traced(python: &str, extra: &[&str], fast: bool) -> f64 {
    let start = Instant::now();
    let out = Command::new(bin())
        .args(["trace", "-q", "--timeout", "60"])
        .args((!fast).then_some("--no-fast-sends"))
        .args(extra)
        .args(["--", python, &program()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("spawn netcourse");
    let wall = start.elapsed().as_secs_f64() * 1e3;
    assert!(
        out.status.success(),
        "netcourse trace failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    wall
}

/// (median, minimum): on a shared machine the minimum is the run least
/// disturbed by others.
fn stats(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (v[v.len() / 2], v[0])
}

fn events(json: &std::path::Path) -> Vec<serde_json::Value> {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    v["events"].as_array().unwrap().clone()
}

fn main() {
    let dir = std::env::temp_dir().join(format!("netcourse-trace-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("t.json");
    let python = python();
    let (mut a, mut t, mut run, mut run_ptrace) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // Warm the page cache and Python's bytecode cache first.
    alone(&python);
    traced(&python, &[], true);
    let program_run = |fast: bool| {
        traced(&python, &["--export", json.to_str().unwrap()], fast);
        let exit = events(&json)
            .into_iter()
            .rev()
            .find(|e| e["call"]["name"] == "exit")
            .expect("the exit event");
        exit["time_ns"].as_f64().unwrap() / 1e6
    };
    for _ in 0..RUNS {
        a.push(alone(&python));
        t.push(traced(&python, &[], true));
        run_ptrace.push(program_run(false));
        run.push(program_run(true));
    }
    let (a, t, run, run_ptrace) = (stats(a), stats(t), stats(run), stats(run_ptrace));
    println!("10,000 sendto ({python}), {RUNS} runs, {}:", bin());
    println!("                                          median      min");
    println!(
        "  alone (fresh sandbox), start to exit   {:>6.1} ms {:>6.1} ms",
        a.0, a.1
    );
    println!(
        "  trace, program start→exit              {:>6.1} ms {:>6.1} ms  ratio {:.2}× median, {:.2}× min (goal ≤ 3×)",
        run.0,
        run.1,
        run.0 / a.0,
        run.1 / a.1
    );
    println!(
        "  trace --no-fast-sends, start→exit      {:>6.1} ms {:>6.1} ms  ratio {:.2}× median, {:.2}× min",
        run_ptrace.0,
        run_ptrace.1,
        run_ptrace.0 / a.0,
        run_ptrace.1 / a.1
    );
    println!(
        "  trace -q, whole command                {:>6.1} ms {:>6.1} ms  ratio {:.2}× median, {:.2}× min",
        t.0,
        t.1,
        t.0 / a.0,
        t.1 / a.1
    );

    // Every call and every datagram is in the transcript.
    let events = events(&json);
    let sends = events
        .iter()
        .filter(|e| e["kind"] == "call" && e["call"]["name"] == "sendto")
        .count();
    let frames = events.iter().filter(|e| e["kind"] == "frame").count();
    println!("  recorded: {sends} sendto calls, {frames} frames");
    assert_eq!(sends, 10_000, "every sendto recorded");
    assert_eq!(frames, 10_000, "every datagram recorded");
    let _ = std::fs::remove_dir_all(&dir);
}

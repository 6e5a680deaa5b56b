//! Tracing overhead (issue 15): a Python program making 10,000 UDP sendto
//! calls (examples/bench/sendto_10k.py), timed alone in a fresh sandbox
//! (the same private network namespace `trace` uses, `lo` up) and under
//! `netcourse trace -q`. Prints the median wall time of each, interleaved
//! runs, and the ratio. Goal: traced ≤ 3× alone. Then one traced run with a
//! JSON export checks that every one of the 10,000 calls and datagrams was
//! recorded. Run with `cargo bench --bench trace_overhead`.

use std::ffi::CString;
use std::process::{Command, Stdio};
use std::time::Instant;

const RUNS: usize = 9;

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

fn traced(python: &str, extra: &[&str]) -> f64 {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_netcourse"))
        .args(["trace", "-q", "--timeout", "60"])
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

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let (mut a, mut t) = (Vec::new(), Vec::new());
    // Warm the page cache and Python's bytecode cache first.
    let python = python();
    alone(&python);
    traced(&python, &[]);
    for _ in 0..RUNS {
        a.push(alone(&python));
        t.push(traced(&python, &[]));
    }
    let (a, t) = (median(a), median(t));
    println!("10,000 sendto ({python}), median of {RUNS} runs:");
    println!("  alone (fresh sandbox)    {a:>8.1} ms");
    println!("  netcourse trace -q       {t:>8.1} ms");
    println!("  ratio                    {:>8.2}× (goal ≤ 3×)", t / a);

    // Every call and every datagram is in the transcript.
    let dir = std::env::temp_dir().join(format!("netcourse-trace-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("t.json");
    traced(&python, &["--export", json.to_str().unwrap()]);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let events = v["events"].as_array().unwrap();
    let sends = events
        .iter()
        .filter(|e| e["kind"] == "call" && e["call"]["name"] == "sendto")
        .count();
    let frames = events.iter().filter(|e| e["kind"] == "frame").count();
    println!(
        "  recorded: {sends} sendto calls, {frames} frames, {} dropped by the kernel",
        v["dropped"]
    );
    assert_eq!(sends, 10_000, "every sendto recorded");
    assert_eq!(frames, 10_000, "every datagram recorded");
    let _ = std::fs::remove_dir_all(&dir);
}

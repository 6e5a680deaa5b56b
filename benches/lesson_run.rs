//! Whole-run benchmark: spawn `netcourse run lesson NAME --export …` many
//! times and report the median wall time and the peak RSS (from wait4's
//! rusage), against the goals in the issues. Run with `cargo bench`.
//!
//! Goals: udp-basics ≤ 50 ms median and ≤ 20 MiB peak RSS; tcp-basics ≤ 60 ms
//! and ≤ 20 MiB; exporting every format adds < 20 ms; the application
//! lessons within 2× of their transport's: dns-query of udp-basics,
//! http-get of tcp-basics.

use std::process::{Command, Stdio};
use std::time::Instant;

const RUNS: usize = 30;

fn measure(args: &[&str]) -> (f64, f64, u64) {
    let bin = env!("CARGO_BIN_EXE_netcourse");
    let mut walls = Vec::with_capacity(RUNS);
    let mut peak_kib = 0i64;
    for _ in 0..RUNS {
        let start = Instant::now();
        let child = Command::new(bin)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let pid = child.id() as libc::pid_t;
        let mut status = 0;
        // SAFETY: rusage is plain data; wait4 fills it for our own child.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        let wall = start.elapsed().as_secs_f64() * 1e3;
        assert!(
            rc == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "netcourse {args:?} failed"
        );
        walls.push(wall);
        peak_kib = peak_kib.max(usage.ru_maxrss);
    }
    walls.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (walls[RUNS / 2], walls[RUNS * 9 / 10], peak_kib as u64)
}

fn main() {
    // `cargo bench` passes --bench; a filter argument picks one case.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let dir = std::env::temp_dir().join(format!("netcourse-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "udp-basics + json",
            vec![
                "run".into(),
                "lesson".into(),
                "udp-basics".into(),
                "--quiet".into(),
                "--export".into(),
                path("u.json"),
            ],
        ),
        (
            "udp-basics, terminal output",
            vec![
                "run".into(),
                "lesson".into(),
                "udp-basics".into(),
                "--color".into(),
                "always".into(),
            ],
        ),
        (
            "tcp-basics + json",
            vec![
                "run".into(),
                "lesson".into(),
                "tcp-basics".into(),
                "--quiet".into(),
                "--export".into(),
                path("t.json"),
            ],
        ),
        (
            "dns-query + json",
            vec![
                "run".into(),
                "lesson".into(),
                "dns-query".into(),
                "--quiet".into(),
                "--export".into(),
                path("d.json"),
            ],
        ),
        (
            "http-get + json",
            vec![
                "run".into(),
                "lesson".into(),
                "http-get".into(),
                "--quiet".into(),
                "--export".into(),
                path("h.json"),
            ],
        ),
        ("tcp-basics + all exports", {
            let mut a: Vec<String> = vec![
                "run".into(),
                "lesson".into(),
                "tcp-basics".into(),
                "--quiet".into(),
            ];
            for ext in ["json", "yaml", "md", "html", "pcapng"] {
                a.push("--export".into());
                a.push(path(&format!("all.{ext}")));
            }
            a
        }),
    ];
    println!(
        "{:<34} {:>12} {:>12} {:>14}",
        "case", "median ms", "p90 ms", "peak RSS MiB"
    );
    for (name, args) in cases {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (median, p90, peak) = measure(&args);
        println!(
            "{name:<34} {median:>12.1} {p90:>12.1} {:>14.1}",
            peak as f64 / 1024.0
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

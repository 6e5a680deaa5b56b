//! The tracer's fast path for datagram sends (src/trace/notify.rs): a
//! program traced with it and without it (`NETCOURSE_TRACE_FAST=off`) has
//! the same calls, arguments and results in its transcript, prints the
//! same, and its datagrams are tied to their sendto.

mod common;

use std::path::PathBuf;

use common::*;
use serde_json::Value;

fn trace(fast: bool, name: &str) -> Value {
    let dir = scratch(name);
    let json = dir.join("t.json");
    let program = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/fast_sends.py");
    netcourse(&[
        "trace",
        "-q",
        "--timeout",
        "20",
        "--export",
        json.to_str().unwrap(),
        "--",
        "python3",
        program.to_str().unwrap(),
    ])
    .env("NETCOURSE_TRACE_FAST", if fast { "on" } else { "off" })
    .run()
    .ok();
    read_json(&json)
}

/// Port numbers and the transcript's own names vary from run to run.
fn normal(s: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    for c in s.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if !digits.is_empty() {
            let n: u64 = digits.parse().unwrap_or(0);
            out.push_str(if n >= 1024 && n != 70000 {
                "N"
            } else {
                &digits
            });
            digits.clear();
        }
        out.push(c);
    }
    out.trim_end().to_string()
}

fn sends(t: &Value) -> Vec<(String, String)> {
    t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "call" && e["call"]["name"] == "sendto")
        .map(|e| {
            (
                normal(e["call"]["args"].as_str().unwrap()),
                normal(e["call"]["result"].as_str().unwrap()),
            )
        })
        .collect()
}

fn printed(t: &Value) -> Vec<String> {
    t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "call" && e["call"]["name"] == "print")
        .map(|e| e["call"]["args"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_fast_path_records_what_ptrace_records() {
    let fast = trace(true, "trace-fast-on");
    let slow = trace(false, "trace-fast-off");
    assert_eq!(printed(&fast), printed(&slow));
    assert_eq!(
        printed(&fast),
        [
            "stdout: one ok",
            "stdout: big 90",
            "stdout: six ok",
            "stdout: first ok",
            "stdout: refused 111",
            "stdout: nodata -1 14",
            "stdout: badfd -1 9",
            "stdout: notsock -1 88",
            "stdout: unix -1 2",
        ]
    );
    let (f, s) = (sends(&fast), sends(&slow));
    assert_eq!(f.len(), 9, "{f:#?}");
    assert_eq!(s.len(), 9, "{s:#?}");
    // Every datagram send but the Unix one's: identical.
    assert_eq!(f[..8], s[..8]);
    let results: Vec<&str> = s
        .iter()
        .map(|(_, r)| r.split(" (").next().unwrap())
        .collect();
    assert_eq!(
        results,
        [
            "3",
            "-1 EMSGSIZE",
            "3",
            "1",
            "-1 ECONNREFUSED",
            "-1 EFAULT",
            "-1 EBADF",
            "-1 ENOTSOCK",
            "-1 ENOENT",
        ]
    );
    // The Unix socket's send is the program's own under the fast path:
    // its arguments are known, its result is not, and the transcript says so.
    assert_eq!(f[8].0, s[8].0);
    assert!(f[8].1.starts_with("not seen: "), "{:?}", f[8]);
    // The datagrams are the same, each tied to the sendto that sent it.
    for t in [&fast, &slow] {
        let udp: Vec<&Value> = frames(t)
            .into_iter()
            .filter(|f| f["layers"].to_string().contains("UDP"))
            .collect();
        let sent: Vec<&Value> = t["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                e["kind"] == "call" && e["call"]["name"] == "sendto" && e["call"]["ok"] == true
            })
            .collect();
        assert!(udp.len() >= 3, "{}", udp.len());
        for (frame, send) in udp.iter().zip(&sent) {
            assert_eq!(frame["follows"], send["index"], "{frame}");
        }
    }
}

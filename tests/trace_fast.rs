//! `trace --fast-sends` (src/trace/notify.rs): a program traced with it
//! and without it has the same calls, arguments and results in its
//! transcript (but for those it leaves to the program, whose results it
//! says it did not see), prints the same, and its datagrams are tied to
//! their sendto.

mod common;

use std::path::PathBuf;

use common::*;
use serde_json::Value;

fn trace(fast: bool, name: &str) -> Value {
    let dir = scratch(name);
    let json = dir.join("t.json");
    let program = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/fast_sends.py");
    let mut args = vec!["trace", "-q", "--timeout", "20"];
    if fast {
        args.push("--fast-sends");
    }
    args.extend(["--export", json.to_str().unwrap(), "--", "python3"]);
    args.push(program.to_str().unwrap());
    netcourse(&args).run().ok();
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
            "stdout: thread sent from its own socket: True",
        ]
    );
    let (f, s) = (sends(&fast), sends(&slow));
    assert_eq!(f.len(), 10, "{f:#?}");
    assert_eq!(s.len(), 10, "{s:#?}");
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
            "6",
        ]
    );
    // The same arguments every time; the same results but where the fast
    // path left the call to the program (unreadable data: the kernel
    // checks other things first; a Unix socket: its send resolves a path
    // as the caller), and says so.
    for (i, (fast, slow)) in f.iter().zip(&s).enumerate() {
        assert_eq!(fast.0, slow.0);
        if [5, 8].contains(&i) {
            assert!(fast.1.starts_with("not seen: "), "{fast:?}");
        } else {
            assert_eq!(fast.1, slow.1);
        }
    }
    // Each datagram is tied to the sendto that sent it.
    for t in [&fast, &slow] {
        let events = t["events"].as_array().unwrap();
        let udp: Vec<&Value> = frames(t)
            .into_iter()
            .filter(|f| f["summary"].as_str().unwrap().starts_with("UDP"))
            .collect();
        assert_eq!(udp.len(), 4, "one, six, a and the thread's: b was refused");
        for frame in udp {
            let call = events
                .iter()
                .find(|e| e["index"] == frame["follows"])
                .unwrap_or_else(|| panic!("{} is tied to no call", frame["summary"]));
            assert_eq!(call["call"]["name"], "sendto", "{}", frame["summary"]);
            assert!(
                frame["data_hex"]
                    .as_str()
                    .unwrap()
                    .ends_with(call["call"]["data_hex"].as_str().unwrap()),
                "{}",
                frame["summary"]
            );
        }
    }
}

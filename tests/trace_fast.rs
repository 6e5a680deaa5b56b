//! The fast path for sends (src/trace/notify.rs, `trace`'s default): a
//! program traced with it and with `--no-fast-sends` has the same calls, arguments and results in its
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
    if !fast {
        args.push("--no-fast-sends");
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
            "stdout: corked b'hello'",
        ]
    );
    let (f, s) = (sends(&fast), sends(&slow));
    assert_eq!(f.len(), 12, "{f:#?}");
    assert_eq!(s.len(), 12, "{s:#?}");
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
            "2",
            "3",
        ]
    );
    // The same arguments every time; the same results but where the fast
    // path left the call to the program (unreadable data: the kernel
    // checks other things first; a Unix socket: its send resolves a path
    // as the caller; a datagram built by two sends on a blocking socket),
    // and says so.
    for (i, (fast, slow)) in f.iter().zip(&s).enumerate() {
        assert_eq!(fast.0, slow.0);
        if [5, 8, 10, 11].contains(&i) {
            assert!(fast.1.starts_with("not seen: "), "{fast:?}");
        } else {
            assert_eq!(fast.1, slow.1);
        }
    }
    // Each datagram is tied to the sendto that sent it.
    // (But for the datagram built by two sends, which is tied to neither:
    // its bytes are not those of one call.)
    for t in [&fast, &slow] {
        let events = t["events"].as_array().unwrap();
        let mut udp: Vec<&Value> = frames(t)
            .into_iter()
            .filter(|f| f["summary"].as_str().unwrap().starts_with("UDP"))
            .collect();
        assert_eq!(
            udp.len(),
            5,
            "one, six, a, the thread's and hello: b was refused"
        );
        let hello = udp.pop().unwrap();
        assert!(hello["data_hex"].as_str().unwrap().ends_with("68656c6c6f"));
        assert!(hello["follows"].is_null(), "{}", hello["follows"]);
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

/// A signal that ends a send's wait before netcourse takes it: the send is
/// made all the same (an untraced datagram send never returns EINTR),
/// while a send the program makes itself and that really waits keeps the
/// kernel's EINTR, also when an ignored signal comes with the handled one
/// (tests/data/signal_sends.py).
#[test]
fn a_signal_does_not_interrupt_a_fast_send() {
    let dir = scratch("trace-fast-signals");
    let json = dir.join("t.json");
    let program = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/signal_sends.py");
    let ran = netcourse(&[
        "trace",
        "-q",
        "--fast-sends",
        "--timeout",
        "30",
        "--export",
        json.to_str().unwrap(),
        "--",
        "python3",
        program.to_str().unwrap(),
    ])
    .env("NETCOURSE_TRACE_STATS", "1")
    .run()
    .ok();
    if ran.stderr.contains("--fast-sends is off") {
        assert!(
            std::env::var_os("CI").is_none(),
            "the fast path is off on this machine: {}",
            ran.stderr
        );
        eprintln!("skipped: {}", ran.stderr);
        return;
    }
    let t = read_json(&json);
    assert_eq!(
        printed(&t),
        [
            "stdout: udp sent 1000 eintr 0 other 0",
            "stdout: tcp blocked send, one signal: -1 EINTR",
            "stdout: tcp blocked send, two signals: -1 EINTR",
        ]
    );
    // Some sends were ended by the timer before netcourse took them (about
    // 4% with a 200 µs timer), and netcourse made them at the signal's stop.
    let stats = ran
        .stderr
        .lines()
        .find(|l| l.starts_with("trace: fast sends: "))
        .unwrap_or_else(|| panic!("no statistics in {}", ran.stderr));
    let numbers: Vec<u64> = stats
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert_eq!(numbers.len(), 3, "{stats}");
    assert_eq!(numbers[0], 1000, "{stats}");
    assert!(numbers[1] > 0, "no send met the timer: {stats}");
    assert_eq!(numbers[2], 2, "{stats}");
    let s = sends(&t);
    let ticks: Vec<&(String, String)> = s.iter().filter(|(a, _)| a.contains("tick")).collect();
    assert_eq!(ticks.len(), 1000, "{:?}", &s[..5]);
    assert!(ticks.iter().all(|(_, r)| r == "4"), "{ticks:?}");
    let more: Vec<&(String, String)> = s.iter().filter(|(a, _)| a.contains("more")).collect();
    assert_eq!(more.len(), 2, "{more:?}");
    assert!(
        more.iter().all(|m| m.1.starts_with("not seen: ")),
        "{more:?}"
    );
}

//! `netcourse trace --run A --run B --ready COND`: each next program starts
//! once the previous one meets its condition, and a condition never met is
//! a clear failure naming what did not happen.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/tutorial")
}

/// Trace in `dir` with these arguments; the exit code and the transcript.
fn trace_in(dir: &Path, args: &[&str], code: i32) -> Value {
    // A directory per call: the tests run in parallel, and `scratch`
    // empties the directory it is given.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let json = scratch(&format!("ready-{n}")).join("t.json");
    let mut all = vec![
        "trace",
        "-q",
        "--timeout",
        "20",
        "--export",
        json.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    netcourse(&all).dir(dir).run().code(code);
    read_json(&json)
}

fn events_of<'a>(t: &'a Value, call: &str) -> Vec<&'a Value> {
    t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["call"]["name"] == call)
        .collect()
}

#[test]
fn the_next_program_starts_after_the_line_it_waits_for() {
    let dir = scratch("ready-output");
    std::fs::write(
        dir.join("server.py"),
        "import socket\n\
         s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
         s.bind(('127.0.0.1', 5000))\n\
         print('receiver up', flush=True)\n\
         print(s.recvfrom(100)[0].decode())\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("client.py"),
        "import socket\n\
         socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'hi', ('127.0.0.1', 5000))\n",
    )
    .unwrap();
    let t = trace_in(
        &dir,
        &[
            "--run",
            "python3 server.py",
            "--run",
            "python3 client.py",
            "--ready",
            "output:receiver up",
        ],
        0,
    );
    assert_eq!(t["outcome"]["passed"], true, "{}", t["outcome"]);
    let printed = events_of(&t, "print");
    let up = printed
        .iter()
        .find(|e| e["call"]["args"] == "stdout: receiver up")
        .expect("the line waited for");
    let send = events_of(&t, "sendto")
        .into_iter()
        .find(|e| {
            e["actor"]
                .as_str()
                .unwrap()
                .starts_with("python3 client.py")
        })
        .expect("the client's sendto");
    assert!(
        send["index"].as_u64() > up["index"].as_u64(),
        "the client sent before the server printed its line"
    );
    assert!(printed.iter().any(|e| e["call"]["args"] == "stdout: hi"));
}

#[test]
fn listening_waits_for_listen_as_a_server_does() {
    let t = trace_in(
        &examples(),
        &[
            "--run",
            "python3 dict_server.py",
            "--ready",
            "listening",
            "--run",
            "python3 dict_client.py",
            "--stdin",
            examples().join("questions.txt").to_str().unwrap(),
        ],
        0,
    );
    assert_eq!(t["outcome"]["passed"], true, "{}", t["outcome"]);
    let listen = events_of(&t, "listen")[0]["index"].as_u64().unwrap();
    let connect = events_of(&t, "connect")
        .into_iter()
        .rfind(|e| !e["call"]["args"].as_str().unwrap().contains("\"/"))
        .unwrap()["index"]
        .as_u64()
        .unwrap();
    assert!(connect > listen);
}

#[test]
fn a_condition_never_met_names_what_did_not_happen() {
    // The UDP receiver binds and waits: it never listens.
    let t = trace_in(
        &examples(),
        &[
            "--run",
            "python3 udp_recv.py",
            "--run",
            "python3 udp_send.py",
            "--ready",
            "listening",
            "--ready-timeout",
            "0.5",
        ],
        1,
    );
    assert_eq!(
        t["outcome"]["failure"],
        "`python3 udp_send.py` was not started: `python3 udp_recv.py` did not listen within --ready-timeout 0.5 s (--ready listening)"
    );
    assert_eq!(events_of(&t, "bind").len(), 1);
    assert!(events_of(&t, "sendto").is_empty());
    assert_eq!(t["complete"], false);
}

#[test]
fn a_program_that_exits_first_is_named_with_how_it_ended() {
    let t = trace_in(
        &examples(),
        &[
            "--run",
            "python3 -c 'import sys; sys.exit(3)'",
            "--run",
            "python3 udp_send.py",
            "--ready",
            "output:ready",
        ],
        1,
    );
    assert_eq!(
        t["outcome"]["failure"],
        "`python3 udp_send.py` was not started: `python3 -c 'import sys; sys.exit(3)'` did not print a line containing \"ready\": it exited with status 3 first (--ready 'output:ready')"
    );
}

#[test]
fn a_bad_condition_or_count_is_a_usage_error() {
    let ran = netcourse(&[
        "trace", "--run", "true", "--run", "true", "--ready", "listen",
    ])
    .run()
    .code(2);
    assert!(
        ran.stderr.contains("`listen` is not a --ready condition")
            && ran.stderr.contains("output:TEXT"),
        "{}",
        ran.stderr
    );
    let ran = netcourse(&[
        "trace", "--run", "true", "--ready", "bound", "--ready", "bound", "--ready", "bound",
    ])
    .run()
    .code(2);
    assert!(
        ran.stderr.contains("3 --ready conditions for 1 program:"),
        "{}",
        ran.stderr
    );
}

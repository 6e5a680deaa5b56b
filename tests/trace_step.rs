//! `netcourse trace --step`: the traced programs stop before each socket
//! call until the student runs it, and each frame it caused is shown before
//! the next; through a pipe (one command per line) and a real terminal.

mod common;

use std::path::PathBuf;

use common::tmux::Tmux;
use common::*;
use serde_json::Value;

fn example(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/tutorial")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

fn sendto_calls(t: &Value) -> Vec<String> {
    t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["call"]["name"] == "sendto")
        .map(|e| e["call"]["args"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn through_a_pipe_each_call_is_announced_before_it_runs() {
    let dir = scratch("trace-step-pipe");
    let json = dir.join("t.json");
    let recv = format!("python3 {}", example("udp_recv.py"));
    let send = format!("python3 {}", example("udp_send.py"));
    let ran = netcourse(&[
        "trace",
        "--step",
        "--color",
        "never",
        "--export",
        json.to_str().unwrap(),
        "--run",
        &recv,
        "--run",
        &send,
    ])
    .stdin("n\n".repeat(40).as_bytes())
    .run()
    .ok();
    // Words as printed, whatever the wrapping.
    let out = &ran.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    // The sendto is announced, with its data and destination, before the
    // call's result and before the datagram it sends.
    let about = out
        .find("is about to call sendto(3, b\"hello\", 5, 0x0, (\"127.0.0.1\", 5000))")
        .unwrap_or_else(|| panic!("{out}"));
    let done = out[about..]
        .find(") → 5")
        .unwrap_or_else(|| panic!("{out}"))
        + about;
    let frame = out[about..]
        .find("len=5 \"hello\"")
        .unwrap_or_else(|| panic!("{out}"))
        + about;
    assert!(about < done && about < frame, "{out}");
    assert!(out.contains("[n]ext: run step"), "{out}");
    // The exported transcript is the same as without --step.
    let t = read_json(&json);
    assert_eq!(t["complete"], true);
    assert_eq!(t["outcome"]["passed"], true, "{}", t["outcome"]);
    assert_eq!(
        sendto_calls(&t),
        [
            "sendto(3, b\"hello\", 5, 0x0, (\"127.0.0.1\", 5000))",
            "sendto(3, b\"stop\", 4, 0x0, (\"127.0.0.1\", 5000))"
        ]
    );
    assert_eq!(frames(&t).len(), 2);
}

#[test]
fn quitting_stops_the_programs_and_keeps_what_ran() {
    let dir = scratch("trace-step-quit");
    let json = dir.join("t.json");
    let send = format!("python3 {}", example("udp_send.py"));
    // Run the socket() call, then quit before the first sendto.
    let ran = netcourse(&[
        "trace",
        "--step",
        "--color",
        "never",
        "--export",
        json.to_str().unwrap(),
        "--run",
        &send,
    ])
    .stdin(b"n\nq\n")
    .run()
    .ok();
    assert!(
        ran.stdout.contains("Stopped at your request"),
        "{}",
        ran.stdout
    );
    let t = read_json(&json);
    assert_eq!(t["complete"], false);
    assert!(sendto_calls(&t).is_empty(), "no sendto ran after q");
    assert!(frames(&t).is_empty());
}

#[test]
#[cfg_attr(missing_tmux, ignore = "tmux is not installed (CI installs it)")]
fn in_a_terminal_keys_step_and_q_restores_the_terminal() {
    let send = example("udp_send.py");
    let args = [
        "trace", "--step", "--export", "t.json", "--", "python3", &send,
    ];
    let Some(tm) = Tmux::start("trace-step-tmux", &args, &[]) else {
        return;
    };
    tm.wait_for_legend();
    let screen = tm.screen();
    assert!(
        screen.contains("is about to call socket(AF_INET"),
        "{screen}"
    );
    assert!(
        !screen.contains("#1 "),
        "a call ran before any key:\n{screen}"
    );
    tm.keys(&["n"]);
    tm.wait("the socket call's result", |t| {
        t.visible().contains("is about to call sendto(3,")
    });
    tm.keys(&["q"]);
    assert_eq!(tm.wait_done(), 0, "{}", tm.screen());
    tm.assert_terminal_restored();
    let t = tm.export();
    assert_eq!(t["complete"], false);
    assert!(sendto_calls(&t).is_empty());
}

#[test]
fn a_program_left_waiting_ends_at_the_timeout() {
    // The receiver alone: its recvfrom waits for a datagram no one sends.
    let dir = scratch("trace-step-wait");
    let json = dir.join("t.json");
    let recv = format!("python3 {}", example("udp_recv.py"));
    let started = std::time::Instant::now();
    netcourse(&[
        "trace",
        "--step",
        "--timeout",
        "1",
        "--export",
        json.to_str().unwrap(),
        "--run",
        &recv,
    ])
    .stdin(b"n\nn\nn\n")
    .run()
    .code(1);
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    let t = read_json(&json);
    assert_eq!(t["complete"], false);
    let failure = t["outcome"]["failure"].as_str().unwrap();
    assert!(failure.contains("--timeout 1 s"), "{failure}");
}

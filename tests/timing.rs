//! Real timing: netcourse puts the frames on the wire that the tutorial's own
//! programs would, and sets no socket option a lesson did not ask for.

mod common;

use std::process::Command;

use common::*;

/// A transcript's TCP frames as `client>server FLAGS LEN`, the reference
/// harness's format.
fn sequence(t: &serde_json::Value) -> Vec<String> {
    frames(t)
        .iter()
        .filter(|f| f["tcp"].is_object())
        .map(|f| {
            let flags: Vec<&str> = f["tcp"]["flags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap())
                .collect();
            format!(
                "{}>{} {} {}",
                f["actor"].as_str().unwrap(),
                f["to"].as_str().unwrap(),
                flags.join(","),
                f["tcp"]["len"]
            )
        })
        .collect()
}

#[test]
fn tcp_basics_puts_the_reference_programs_frames_on_the_wire_every_time() {
    if !have("dumpcap") || !have("unshare") || !have("python3") {
        eprintln!("needs dumpcap, unshare and python3 for the reference capture: skipped");
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/capture.py");
    let out = Command::new("python3")
        .args([script, "tcp-basics"])
        .output()
        .expect("run the reference harness");
    assert!(
        out.status.success(),
        "reference capture failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Its lines end with the gap to the previous frame: leave that out.
    let reference: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.rsplit_once(' ').unwrap().0.to_string())
        .collect();
    assert_eq!(reference.len(), 16, "{reference:?}");
    let dir = scratch("timing-reference");
    let mut stalled = 0;
    for run in 0..20 {
        let json = dir.join(format!("t{run}.json"));
        netcourse(&[
            "run",
            "lesson",
            "tcp-basics",
            "--quiet",
            "--export",
            json.to_str().unwrap(),
        ])
        .run()
        .ok();
        let t = read_json(&json);
        // A run the machine stalled for 30 ms may differ (see `stall`): the
        // kernel's timing depends on how fast the programs answer.
        if let Some(why) = stall(&t) {
            eprintln!("run {run} stalled ({why}): not compared");
            stalled += 1;
            continue;
        }
        assert_eq!(sequence(&t), reference, "run {run}");
    }
    assert!(stalled < 10, "{stalled} of 20 runs stalled");
}

#[test]
fn no_socket_option_on_an_actors_socket_unless_the_lesson_sets_it() {
    if !have("strace") {
        eprintln!("strace not installed: skipped");
        return;
    }
    let out = Command::new("strace")
        .args(["-f", "-e", "trace=setsockopt", "--", bin()])
        .args(["run", "lesson", "tcp-basics", "--quiet"])
        .output()
        .expect("run strace");
    let trace = String::from_utf8_lossy(&out.stderr);
    if trace.contains("PTRACE_TRACEME")
        || trace.contains("Operation not permitted") && !trace.contains("setsockopt(")
    {
        eprintln!("ptrace not allowed here: skipped\n{trace}");
        return;
    }
    assert!(out.status.success(), "{trace}");
    let calls: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains("setsockopt("))
        .collect();
    // The capture's packet socket configures itself; it is the only one.
    let packet_fd = calls
        .iter()
        .find(|l| l.contains("PACKET_IGNORE_OUTGOING"))
        .and_then(|l| l.split("setsockopt(").nth(1))
        .and_then(|r| r.split(',').next())
        .expect("the capture sets PACKET_IGNORE_OUTGOING")
        .to_string();
    for call in &calls {
        assert!(
            call.contains(&format!("setsockopt({packet_fd},")),
            "an option set on a socket other than the capture's: {call}\n{trace}"
        );
    }
}

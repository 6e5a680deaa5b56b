//! Signals in step mode: a signal during a blocking call stops the session
//! like one between steps (128 + N), and is not the lesson's failure.

mod common;
use common::*;

use std::process::{Command, Stdio};

#[test]
fn sigint_during_a_blocking_call_exits_130_without_a_failure() {
    let dir = scratch("sigint-blocking");
    let lesson = dir.join("wait.yaml");
    std::fs::write(
        &lesson,
        "format: 1\nname: wait\ntitle: Wait\nsummary: A receiver waits.\nactors:\n  - { name: receiver, transport: udp, address: 127.0.0.1, port: 5000 }\nsteps:\n  - actor: receiver\n    call: bind\n  - actor: receiver\n    call: recvfrom\n    timeout_ms: 10000\n    expect: { error: timeout }\n",
    )
    .unwrap();
    let export = dir.join("w.json");
    let mut child = Command::new(bin())
        .args([
            "run",
            "lesson",
            lesson.to_str().unwrap(),
            "--step",
            "--export",
        ])
        .arg(&export)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    let mut stdin = child.stdin.take().unwrap();
    // Two pauses (before bind, before recvfrom): the recvfrom then blocks.
    stdin.write_all(b"\n\n").unwrap();
    stdin.flush().unwrap();
    // Wait until the blocking call is under way: the bind's event and the
    // preview of step 2 are printed before it starts.
    let start = std::time::Instant::now();
    let mut out = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    use std::io::Read;
    while !String::from_utf8_lossy(&seen).contains("run step 2/2") {
        let n = out.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "netcourse ended early: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    // Wait (bounded) until the process waits for the datagram, as the
    // kernel reports it: in poll(2), which keeps the step's timeout without
    // setting SO_RCVTIMEO on the actor's socket (or in recvfrom(2) itself).
    // The signal must come while the call waits.
    let syscall = format!("/proc/{}/syscall", child.id());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut waiting = vec![libc::SYS_recvfrom.to_string(), libc::SYS_ppoll.to_string()];
    #[cfg(target_arch = "x86_64")]
    waiting.push(libc::SYS_poll.to_string());
    while !std::fs::read_to_string(&syscall)
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .is_some_and(|n| waiting.contains(&n))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "recvfrom never blocked"
        );
        std::thread::yield_now();
    }
    // SAFETY: our own child, by its id.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    let mut rest = String::new();
    let _ = out.read_to_string(&mut rest);
    assert!(
        start.elapsed().as_secs() < 9,
        "the signal did not cut the wait short"
    );
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(rest.contains("Stopped by signal 2 (SIGINT)"), "{rest}");
    let t = read_json(&export);
    assert_eq!(t["complete"], false);
    assert!(t["outcome"].get("failure").is_none(), "{}", t["outcome"]);
    // The interrupted call is not in the transcript.
    assert_eq!(t["events"].as_array().unwrap().len(), 1);
}

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

#[test]
#[cfg_attr(missing_tmux, ignore = "tmux is not installed (CI installs it)")]
fn ctrl_z_stops_with_the_shells_terminal_and_fg_comes_back_to_single_keys() {
    let Some(tm) = common::tmux::Tmux::shell("tmux-ctrl-z", 100, 40) else {
        return;
    };
    tm.line("stty -g > before");
    let before = tm.file_line("before");
    // `exec` keeps the pid the shell started, written down first.
    tm.line(&format!(
        "sh -c 'echo $$ > pid; exec {} run lesson udp-basics --step --export t.json'",
        bin()
    ));
    tm.wait_for_legend();
    tm.keys(&["n"]);
    let at = |i: usize| {
        move |t: &common::tmux::Tmux| {
            let v = t.visible();
            v.contains("[q]uit") && v.lines().any(|l| l.starts_with(&format!("#{i} ")))
        }
    };
    tm.wait("event #1", at(1));
    let pid = tm.file_line("pid").trim().to_string();

    tm.keys(&["C-z"]);
    tm.wait("the shell to report the stop", |t| {
        t.visible().contains("Stopped")
    });
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let state = stat.rsplit(')').next().unwrap().split_whitespace().next();
    assert_eq!(state, Some("T"), "netcourse is stopped: {stat}");
    // The shell has its terminal as it was, main screen and all.
    tm.line("stty -g > stopped");
    assert_eq!(tm.file_line("stopped"), before, "{}", tm.screen());
    assert!(!tm.visible().contains("[q]uit"), "{}", tm.visible());

    tm.line("fg");
    tm.wait("the step view drawn again", at(1));
    // One key, no Enter: the step view answers, so cbreak mode is back.
    tm.keys(&["n"]);
    tm.wait("event #2", at(2));

    // SIGTSTP from outside does the same at the pause.
    // SAFETY: our own child (via the shell), by its id.
    assert_eq!(
        unsafe { libc::kill(pid.parse().unwrap(), libc::SIGTSTP) },
        0
    );
    tm.wait("the shell to report the second stop", |t| {
        t.screen().matches("Stopped").count() == 2
    });
    tm.line("stty -g > stopped2");
    assert_eq!(tm.file_line("stopped2"), before, "{}", tm.screen());
    tm.line("fg");
    tm.wait("the step view drawn again", at(2));
    tm.keys(&["q"]);
    tm.wait("the end of the session", |t| {
        t.visible().contains("lesson stopped early")
    });
    tm.line("echo $? > rc; stty -g > after");
    assert_eq!(tm.file_line("rc").trim(), "0", "{}", tm.screen());
    assert_eq!(tm.file_line("after"), before, "{}", tm.screen());
    let t = tm.export();
    assert_eq!(t["complete"], false);
    // bind and sendto ran (and sendto's datagram, already captured).
    assert!(t["events"].as_array().unwrap().len() >= 2, "{t}");
}

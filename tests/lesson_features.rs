//! Lesson features found missing by a new instructor: an echo server that
//! answers whoever wrote, and a second connect after a refused one.

mod common;
use common::*;

fn lesson(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn an_echo_server_replies_to_whoever_sent() {
    let dir = scratch("reply");
    let path = lesson(
        &dir,
        "echo.yaml",
        r#"format: 1
name: echo
title: "UDP echo"
summary: "ping, then pong to whoever sent it."
actors:
  - { name: server, transport: udp, port: 7007 }
  - { name: client, transport: udp }
steps:
  - { actor: server, call: bind }
  - { actor: client, call: sendto, to: server, text: "ping" }
  - { actor: server, call: recvfrom, expect: { text: "ping", from: client } }
  - { actor: server, call: sendto, to: reply, text: "pong" }
  - { actor: client, call: recvfrom, expect: { text: "pong", from: server } }
"#,
    );
    let out = dir.join("t.json");
    netcourse(&["check", &path]).run().ok();
    netcourse(&["run", "lesson", &path, "--export", out.to_str().unwrap()])
        .run()
        .ok();
    let t = read_json(&out);
    let frames = frames(&t);
    assert_eq!(frames.len(), 2);
    // The reply goes back to the port the ping came from.
    assert_eq!(frames[1]["port"]["dst"], frames[0]["port"]["src"]);
    let reply = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["call"]["args"] == "sendto(b\"pong\", addr)")
        .expect("the reply call");
    assert!(
        reply["call"]["result"]
            .as_str()
            .unwrap()
            .ends_with(&format!(":{}", frames[0]["port"]["src"]))
    );
}

#[test]
fn reply_needs_sendto_and_a_refused_socket_cannot_connect_again() {
    let dir = scratch("reply-bad");
    let path = lesson(
        &dir,
        "bad.yaml",
        r#"format: 1
name: bad
title: "Two mistakes"
summary: "reply on connect; connecting a refused socket again."
actors:
  - { name: server, transport: tcp, port: 50007 }
  - { name: client, transport: tcp }
steps:
  - { actor: client, call: connect, to: server, expect: { error: refused } }
  - { actor: server, call: bind }
  - { actor: server, call: listen }
  - { actor: client, call: connect, to: server }
  - { actor: server, call: accept }
  - { actor: server, call: connect, to: reply }
"#,
    );
    let ran = netcourse(&["check", &path]).run().code(1);
    assert!(ran.stderr.contains("bad.yaml:12:28: error: `client` connects again, but its connect in step 1 (line 9) fails"), "{}", ran.stderr);
    assert!(ran.stderr.contains("use another actor"), "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("bad.yaml:14:41: error: `to: reply` only works for `sendto`"),
        "{}",
        ran.stderr
    );
}

#[test]
fn checkpoints_show_in_the_handout_and_the_page() {
    let dir = scratch("checkpoint-exports");
    netcourse(&["new", "lesson", "demo"]).dir(&dir).run().ok();
    netcourse(&[
        "run",
        "lesson",
        "./demo.yaml",
        "--quiet",
        "--export",
        "d.md",
        "--export",
        "d.json",
    ])
    .dir(&dir)
    .run()
    .ok();
    let md = std::fs::read_to_string(dir.join("d.md")).unwrap();
    let json = read_json(&dir.join("d.json"));
    let cp = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|e| e.get("checkpoint"))
        .expect("a checkpoint")
        .clone();
    let answer = cp["answer"].as_str().unwrap();
    assert!(
        md.contains(&format!(
            "> **Checkpoint.** {}",
            cp["question"].as_str().unwrap()
        )),
        "{md}"
    );
    assert!(
        md.contains(&format!("answer, from the capture: **{answer}**")),
        "{md}"
    );
}

#[test]
fn a_failed_call_is_explained_as_a_failure() {
    let dir = scratch("failed-call");
    let path = lesson(
        &dir,
        "send-refused.yaml",
        r#"format: 1
name: send-refused
title: "A send that fails"
summary: "the second send on a connected UDP socket reports the first one's ICMP error."
actors:
  - { name: client, transport: udp }
steps:
  - { actor: client, call: connect, to: "127.0.0.1:9" }
  - { actor: client, call: send, text: "one" }
  - { actor: client, call: send, text: "two", expect: { error: refused } }
"#,
    );
    let out = dir.join("t.json");
    netcourse(&["run", "lesson", &path, "--export", out.to_str().unwrap()])
        .run()
        .ok();
    let t = read_json(&out);
    let failed = call_of_step(&t, 3);
    assert_eq!(failed["call"]["ok"], false, "{failed}");
    let semantics = failed["notes"]["semantics"].as_str().unwrap();
    assert!(
        semantics.contains("send() failed: connection refused (ECONNREFUSED). An ICMP port-unreachable about an earlier datagram was waiting on this connected socket"),
        "{semantics}"
    );
    // Nothing claims a datagram left.
    assert!(!semantics.contains("one datagram"), "{semantics}");
    let timing = failed["notes"]["timing"].as_str().unwrap();
    assert!(
        timing.contains("A call that fails sends nothing itself"),
        "{timing}"
    );
    // And the capture agrees: one datagram and its ICMP error, nothing from step 3.
    let kinds: Vec<(u64, &str)> = frames(&t)
        .iter()
        .map(|f| {
            (
                f["step"].as_u64().unwrap(),
                f["layers"][2]["protocol"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(kinds, [(2, "UDP"), (2, "ICMP")], "{kinds:?}");
}

//! Big payloads and what a receiving call returned, as an instructor writes
//! them: `bytes: {size, pattern}`, `recv` loops (`until_bytes`,
//! `until_eof`), a background `sendall`, `call.*` checkpoint answers and the
//! placeholders `ip.ttl`, `ip.id`, `udp.len`, `payload.hex` — run as a
//! subprocess, read back from the JSON export.

mod common;
use common::*;

use serde_json::Value;

fn lesson(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

fn calls(t: &Value) -> Vec<&Value> {
    t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "call")
        .collect()
}

#[test]
fn a_megabyte_lesson_is_a_few_lines_and_runs() {
    let dir = scratch("big-tcp");
    let path = lesson(
        &dir,
        "mega.yaml",
        r#"format: 1
name: mega
title: "A megabyte on lo"
summary: "sendall of 1,000,000 bytes, read in a loop."
actors:
  - { name: server, transport: tcp, port: 8080 }
  - { name: client, transport: tcp }
steps:
  - { actor: server, call: bind }
  - { actor: server, call: listen }
  - { actor: client, call: connect, to: server }
  - { actor: server, call: accept, checkpoint: { ask: "From where?", answer: call.from } }
  - { actor: client, call: sendall, bytes: { size: 1000000, pattern: "0123456789" }, background: true }
  - { actor: server, call: recv, max: 65536, until_bytes: 600000, checkpoint: { ask: "How many?", answer: call.bytes } }
  - { actor: client, call: close }
  - { actor: server, call: recv, max: 65536, until_eof: true }
  - { actor: server, call: close }
"#,
    );
    let out = dir.join("t.json");
    netcourse(&["check", &path]).run().ok();
    netcourse(&[
        "run",
        "lesson",
        &path,
        "--quiet",
        "--export",
        out.to_str().unwrap(),
    ])
    .run()
    .ok();
    let t = read_json(&out);
    let calls = calls(&t);
    let args: Vec<&str> = calls
        .iter()
        .map(|c| c["call"]["args"].as_str().unwrap())
        .collect();
    assert_eq!(
        args[4],
        "threading.Thread(target=sendall, args=(b\"0123456789\" * 100000,)).start()"
    );
    assert_eq!(
        args[5],
        "while len(data) < 600000: data += conn.recv(min(65536, 600000 - len(data)))"
    );
    assert_eq!(args[7], "while chunk := conn.recv(65536): data += chunk");
    let result = |i: usize| calls[i]["call"]["result"].as_str().unwrap();
    // Exactly what was asked for, then the rest and the end of stream.
    assert!(result(5).starts_with("600000 bytes in "), "{}", result(5));
    assert!(result(7).starts_with("400000 bytes in "), "{}", result(7));
    assert!(result(7).contains("end of stream"), "{}", result(7));
    // The background sendall's end is told: in its own step (on lo the
    // buffers take a megabyte at once), during the reads, or by the close
    // that waited for it.
    assert!(
        calls[4..=6].iter().any(|c| c["call"]["result"]
            .as_str()
            .unwrap()
            .contains("background sendall")),
        "{args:?}"
    );
    // The data the loop gathered: the pattern from where the first loop
    // stopped; the event keeps the first 64 KiB of it.
    let hex = calls[7]["call"]["data_hex"].as_str().unwrap();
    assert_eq!(hex.len(), 2 * 65536);
    assert!(
        hex.starts_with(
            &"0123456789"
                .bytes()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        )
    );
    // The checkpoints' answers come from the calls themselves.
    let answers: Vec<&str> = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["checkpoint"]["answer"].as_str())
        .collect();
    let client_port = frames(&t)[0]["port"]["src"].as_u64().unwrap();
    assert_eq!(
        answers,
        [format!("127.0.0.1:{client_port}").as_str(), "600000"]
    );
    // The client's segments cover its stream exactly: a megabyte (a
    // segment the kernel resent, when the window filled, covers nothing new).
    let mut ranges: Vec<(u64, u64)> = frames(&t)
        .iter()
        .filter(|f| f["actor"] == "client" && f["tcp"]["len"].as_u64().unwrap_or(0) > 0)
        .map(|f| {
            let start = f["tcp"]["seq_rel"].as_u64().unwrap();
            (start, start + f["tcp"]["len"].as_u64().unwrap())
        })
        .collect();
    ranges.sort();
    let (mut covered, mut end) = (0, 1);
    for (s, e) in ranges {
        assert!(s <= end, "a gap before {s}");
        if e > end {
            covered += e - s.max(end);
            end = e;
        }
    }
    assert_eq!(covered, 1_000_000);
    assert_eq!(t["outcome"]["passed"], true);
}

#[test]
fn a_recvfrom_checkpoint_and_the_new_placeholders_read_the_real_values() {
    let dir = scratch("big-udp");
    let path = lesson(
        &dir,
        "udp.yaml",
        r#"format: 1
name: udp
title: "What recvfrom returned"
summary: "A generated datagram, and where it came from."
actors:
  - { name: r, transport: udp, port: 5000 }
  - { name: s, transport: udp }
steps:
  - { actor: r, call: bind }
  - { actor: s, call: sendto, to: r, bytes: { size: 3000, pattern: "ab" } }
  - actor: r
    call: recvfrom
    max: 4096
    checkpoint: { ask: "From where?", answer: call.from }
rules:
  - protocol: udp
    syntax: "ttl={ip.ttl} id={ip.id} udp.len={udp.len} hop={ip.hop_limit} hex={payload.hex}"
"#,
    );
    let out = dir.join("t.json");
    netcourse(&[
        "run",
        "lesson",
        &path,
        "--quiet",
        "--export",
        out.to_str().unwrap(),
    ])
    .run()
    .ok();
    let t = read_json(&out);
    let frame = frames(&t)[0];
    let ip = frame["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["protocol"] == "IPv4")
        .unwrap();
    let field = |name: &str| {
        ip["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()["value"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_string()
    };
    let hex = std::iter::repeat_n("61 62", 32)
        .collect::<Vec<_>>()
        .join(" ");
    let want = format!(
        "ttl={} id={} udp.len=3008 hop=(none) hex={hex} … (3000 bytes)",
        field("TTL"),
        field("identification")
    );
    assert!(
        frame["notes"]["syntax"].as_str().unwrap().ends_with(&want),
        "{}",
        frame["notes"]["syntax"]
    );
    let cp = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|e| e["checkpoint"].as_object())
        .expect("the checkpoint");
    assert_eq!(
        cp["answer"].as_str().unwrap(),
        format!("127.0.0.1:{}", frame["port"]["src"])
    );
}

#[test]
fn check_refuses_an_unknown_placeholder_with_a_did_you_mean() {
    let dir = scratch("big-check");
    let path = lesson(
        &dir,
        "typo.yaml",
        r#"format: 1
name: typo
title: "A typo"
summary: "ip.tll"
actors:
  - { name: r, transport: udp, port: 5000 }
  - { name: s, transport: udp }
steps:
  - { actor: r, call: bind }
  - { actor: s, call: sendto, to: r, bytes: { size: 20 } }
rules:
  - { protocol: udp, syntax: "TTL {ip.tll}" }
"#,
    );
    let ran = netcourse(&["check", &path]).run().code(1);
    assert!(
        ran.stderr
            .contains("typo.yaml:12:35: error: unknown placeholder `{ip.tll}`"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("did you mean `{ip.ttl}`?"),
        "{}",
        ran.stderr
    );
}

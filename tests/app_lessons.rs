//! The application layer as a user meets it: the five application lessons
//! run (as an ordinary user too) and explain their messages; a lesson's own
//! protocol (`fields:`); an HTTP Content-Length the lesson gets wrong is
//! pointed out by `check` and in the notes; mistakes in `protocol:` and
//! `fields:` are refused with their place.

mod common;
use common::*;

const LESSONS: &[&str] = &[
    "dns-query",
    "http-get",
    "smtp-hello",
    "ftp-passive",
    "telnet-options",
];

/// The frame events' application layers (their protocol), in order.
fn app_protocols(t: &serde_json::Value) -> Vec<String> {
    frames(t)
        .iter()
        .filter(|e| e["layer"] == "application")
        .flat_map(|e| e["layers"].as_array().unwrap())
        .filter(|l| l["layer"] == "application")
        .map(|l| l["protocol"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn each_application_lesson_runs_as_an_ordinary_user() {
    for lesson in LESSONS {
        // Already an ordinary user (CI reruns this binary as nobody): a
        // plain run is one.
        let cmd = netcourse(&["run", "lesson", lesson, "--quiet"]);
        let r = if is_root() && have("setpriv") {
            cmd.by_nobody()
        } else {
            cmd
        }
        .run();
        assert_eq!(r.status, 0, "{lesson} as nobody:\n{}{}", r.stdout, r.stderr);
    }
}

#[test]
fn dns_query_explains_the_wire_format_and_compression() {
    let dir = scratch("app-dns");
    let t = run_json("dns-query", &dir);
    assert_eq!(t["outcome"]["passed"], true);
    assert_eq!(app_protocols(&t), ["DNS", "DNS"]);
    let f = frames(&t);
    let answer = f
        .iter()
        .find(|e| e["summary"].as_str().unwrap().contains("response"))
        .unwrap();
    let semantics = answer["notes"]["semantics"].as_str().unwrap();
    assert!(
        semantics.contains("example.com A 192.0.2.80"),
        "{semantics}"
    );
    assert!(
        semantics.contains("Compression pointers (3 here)"),
        "{semantics}"
    );
    let timing = answer["notes"]["timing"].as_str().unwrap();
    assert!(timing.contains("This answers the query in #3"), "{timing}");
    let syntax = answer["notes"]["syntax"].as_str().unwrap();
    assert!(
        syntax.contains("transaction ID = 0x1a2b at message byte 0 (frame byte 42)"),
        "{syntax}"
    );
    // The checkpoints read the application layer.
    assert_eq!(f[0]["checkpoint"]["answer"], "0x1a2b");
    assert_eq!(answer["checkpoint"]["answer"], "192.0.2.80");
}

#[test]
fn http_get_reassembles_the_second_request() {
    let dir = scratch("app-http");
    let t = run_json("http-get", &dir);
    let f = frames(&t);
    let completing = f
        .iter()
        .find(|e| e["reassembled"].is_array())
        .expect("a reassembled message");
    let r = &completing["reassembled"][0];
    assert_eq!(r["protocol"], "HTTP");
    let parts = r["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[1]["event"], completing["index"]);
    let uri = r["layer"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "request.URI")
        .unwrap();
    assert_eq!(uri["value"], "/about.html");
    // The first part's frame says it carries part of a message.
    let first = f.iter().find(|e| e["index"] == parts[0]["event"]).unwrap();
    assert!(
        first["notes"]["semantics"]
            .as_str()
            .unwrap()
            .contains("not complete yet"),
        "{}",
        first["notes"]["semantics"]
    );
    let semantics = completing["notes"]["semantics"].as_str().unwrap();
    assert!(semantics.contains("came in 2 segments"), "{semantics}");
    // The second request's answer points back at it, and keep-alive is explained.
    let timing: Vec<&str> = f
        .iter()
        .filter_map(|e| e["notes"]["timing"].as_str())
        .collect();
    assert!(
        timing
            .iter()
            .any(|t| t.contains("Request 2 on a connection kept alive"))
    );
    let semantics: Vec<&str> = f
        .iter()
        .filter_map(|e| e["notes"]["semantics"].as_str())
        .collect();
    assert!(
        semantics
            .iter()
            .any(|s| s.contains("The connection stays open"))
    );
    // Replayed to Markdown, the reassembled message has its own table.
    let md = dir.join("t.md");
    netcourse(&[
        "replay",
        dir.join("t.json").to_str().unwrap(),
        "--export",
        md.to_str().unwrap(),
    ])
    .run()
    .ok();
    let md = std::fs::read_to_string(md).unwrap();
    let from = format!(
        "*HTTP message reassembled from #{}, #{} (45 bytes",
        parts[0]["event"], parts[1]["event"]
    );
    assert!(md.contains(&from), "{from} not in the Markdown");
    assert!(md.contains("| 4 | request.URI | /about.html |"));
}

#[test]
fn smtp_ftp_and_telnet_follow_their_dialogues() {
    let dir = scratch("app-dialogues");
    let t = run_json("smtp-hello", &dir);
    let all = |t: &serde_json::Value, note: &str| -> String {
        frames(t)
            .iter()
            .filter_map(|e| e["notes"][note].as_str().map(str::to_string))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let s = all(&t, "semantics");
    assert!(s.contains("The server greets with 220"), "{s}");
    assert!(s.contains("A reply of 3 lines"), "{s}");
    assert!(s.contains("ended by a line holding only “.”"), "{s}");
    assert!(all(&t, "timing").contains("This answers EHLO in #"));

    let t = run_json("ftp-passive", &dir);
    assert!(app_protocols(&t).contains(&"FTP-DATA".to_string()));
    let s = all(&t, "semantics");
    assert!(
        s.contains("wait for the data connection at 127.0.0.1:50000"),
        "{s}"
    );
    assert!(s.contains("The data connection announced in #"), "{s}");

    let t = run_json("telnet-options", &dir);
    let s = all(&t, "semantics");
    assert!(
        s.contains("IAC DO Terminal Type: server asks the other side to use Terminal Type"),
        "{s}"
    );
    assert!(s.contains("IAC SB Terminal Type"), "{s}");
}

const TOY: &str = r#"format: 1
name: toy
title: "A protocol of our own"
summary: "Two fields of a made-up protocol."
actors:
  - name: server
    transport: udp
    port: 7000
    protocol: TOY
    fields:
      - { name: id, bytes: 0..2, show: hex }
      - { name: count, bytes: 2..3, show: dec }
      - { name: word, bytes: 3..8, show: text }
  - name: client
    transport: udp
steps:
  - actor: server
    call: bind
  - actor: client
    call: sendto
    to: server
    hex: "12 34 07 68 65 6c 6c 6f"
    checkpoint:
      ask: "How many does the count field say?"
      answer: app.count
rules:
  - protocol: udp
    semantics: "The TOY id is {app.id} and the word {app.word}."
"#;

#[test]
fn a_lesson_defines_its_own_protocol() {
    let dir = scratch("app-toy");
    let lesson = dir.join("toy.yaml");
    std::fs::write(&lesson, TOY).unwrap();
    netcourse(&["check", lesson.to_str().unwrap()]).run().ok();
    let out = dir.join("t.json");
    netcourse(&[
        "run",
        "lesson",
        lesson.to_str().unwrap(),
        "--quiet",
        "--export",
        out.to_str().unwrap(),
    ])
    .run()
    .ok();
    let t = read_json(&out);
    let f = frames(&t);
    let toy = f[0]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["protocol"] == "TOY")
        .unwrap();
    let fields: Vec<(&str, &str, u64)> = toy["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["name"].as_str().unwrap(),
                x["value"].as_str().unwrap(),
                x["offset"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("id", "0x1234", 42),
            ("count", "7", 44),
            ("word", "\"hello\"", 45)
        ]
    );
    assert_eq!(f[0]["checkpoint"]["answer"], "7");
    let s = f[0]["notes"]["semantics"].as_str().unwrap();
    assert!(
        s.contains("The TOY id is 0x1234 and the word \"hello\"."),
        "{s}"
    );
}

#[test]
fn a_wrong_content_length_is_warned_about_and_pointed_out() {
    let dir = scratch("app-length");
    let src = std::fs::read_to_string(format!(
        "{}/lessons/http-get.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    // The first page says 46 bytes, but its body is 47.
    let bad = src.replace("Content-Length: 47", "Content-Length: 46");
    assert_ne!(bad, src);
    let lesson = dir.join("bad-length.yaml");
    std::fs::write(&lesson, &bad).unwrap();
    let r = netcourse(&["check", lesson.to_str().unwrap()]).run().ok();
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(
        all.contains(
            "warning: this HTTP message's Content-Length says 46 bytes, but its body is 47 bytes"
        ),
        "{all}"
    );
    let out = dir.join("t.json");
    netcourse(&[
        "run",
        "lesson",
        lesson.to_str().unwrap(),
        "--quiet",
        "--export",
        out.to_str().unwrap(),
    ])
    .run()
    .ok();
    let t = read_json(&out);
    let s: Vec<String> = frames(&t)
        .iter()
        .filter_map(|e| e["notes"]["semantics"].as_str().map(str::to_string))
        .collect();
    assert!(
        s.iter()
            .any(|n| n.contains("Content-Length says 46 bytes but 47 bytes of body were sent")),
        "{s:#?}"
    );
}

#[test]
fn mistakes_in_protocol_and_fields_are_refused_with_their_place() {
    let dir = scratch("app-mistakes");
    let cases = [
        (TOY.replace("protocol: TOY\n    fields:", "protocol: TOY\n    fieldz:"), "fieldz"),
        (TOY.replace("bytes: 2..3", "bytes: 3..2"), "`3..2` is not a byte range"),
        (TOY.replace("show: dec", "show: decimal"), "unknown `show: decimal`"),
        (TOY.replace("protocol: TOY", "protocol: http"), "cannot name the lesson's own protocol"),
        (
            TOY.replace("    protocol: TOY\n    fields:\n      - { name: id, bytes: 0..2, show: hex }\n      - { name: count, bytes: 2..3, show: dec }\n      - { name: word, bytes: 3..8, show: text }\n", "    protocol: htp\n"),
            "unknown protocol `htp`",
        ),
        (
            TOY.replace("    protocol: TOY\n    fields:\n      - { name: id, bytes: 0..2, show: hex }\n      - { name: count, bytes: 2..3, show: dec }\n      - { name: word, bytes: 3..8, show: text }\n", "    protocol: smtp\n"),
            "SMTP runs over TCP, but this actor uses UDP",
        ),
    ];
    for (i, (text, needle)) in cases.iter().enumerate() {
        let lesson = dir.join(format!("bad-{i}.yaml"));
        std::fs::write(&lesson, text).unwrap();
        let r = netcourse(&["check", lesson.to_str().unwrap()])
            .run()
            .code(1);
        let all = format!("{}{}", r.stdout, r.stderr);
        assert!(
            all.contains(needle),
            "case {i}: expected {needle:?} in\n{all}"
        );
        assert!(all.contains("bad-"), "case {i} names the file:\n{all}");
    }
}

//! `netcourse grade` and `run lesson --program`: the example assignments
//! (examples/assignments) against the tutorial's programs (their reference
//! solutions, examples/tutorial with its netcourse.yaml), a deliberately
//! wrong solution, and the JUnit XML read back by a JUnit parser.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn assignment(name: &str) -> String {
    root()
        .join(format!("examples/assignments/{name}.yaml"))
        .display()
        .to_string()
}

fn tutorial() -> String {
    root().join("examples/tutorial").display().to_string()
}

/// The JUnit file as Python's xml.etree reads it (a real XML parser), as
/// JSON: the root's tag and counts, and per testsuite its testcases with
/// their failure, if any. The parser refuses anything that is not
/// well-formed XML.
fn parse_junit(path: &Path) -> Value {
    const SCRIPT: &str = r#"
import json, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = []
for s in root.findall("testsuite"):
    cases = []
    for c in s.findall("testcase"):
        f = c.find("failure")
        cases.append({
            "name": c.get("name"),
            "classname": c.get("classname"),
            "failure": None if f is None else {"message": f.get("message"), "text": f.text or ""},
            "children": [x.tag for x in c],
        })
    suites.append({"name": s.get("name"), "tests": s.get("tests"), "failures": s.get("failures"), "cases": cases})
print(json.dumps({"tag": root.tag, "tests": root.get("tests"), "failures": root.get("failures"), "suites": suites}))
"#;
    let out = Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "xml.etree refused {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The structure every JUnit reader relies on: testsuites > testsuite >
/// testcase, counts that match, a failure exactly where a case failed.
fn check_structure(j: &Value, lesson: &str) -> Vec<Value> {
    assert_eq!(j["tag"], "testsuites");
    let suites = j["suites"].as_array().unwrap();
    assert_eq!(suites.len(), 1);
    let s = &suites[0];
    assert_eq!(s["name"], lesson);
    let cases = s["cases"].as_array().unwrap().clone();
    assert!(!cases.is_empty());
    let failed = cases.iter().filter(|c| !c["failure"].is_null()).count();
    assert_eq!(s["tests"], cases.len().to_string());
    assert_eq!(s["failures"], failed.to_string());
    assert_eq!(j["tests"], s["tests"]);
    assert_eq!(j["failures"], s["failures"]);
    for c in &cases {
        assert_eq!(c["classname"], format!("netcourse.{lesson}"));
        assert!(c["name"].as_str().is_some_and(|n| !n.is_empty()));
    }
    cases
}

#[test]
fn the_reference_solutions_pass_every_assignment() {
    let dir = scratch("grade-reference");
    for (lesson, items) in [
        ("udp-receiver", 7),
        ("udp-sender", 5),
        ("dict-server", 10),
        ("dict-client", 8),
    ] {
        let junit = dir.join(format!("{lesson}.xml"));
        let ran = netcourse(&[
            "grade",
            &assignment(lesson),
            "--submission",
            &tutorial(),
            "--junit",
            junit.to_str().unwrap(),
            "--color",
            "never",
        ])
        .run()
        .ok();
        assert!(
            ran.stdout
                .contains(&format!("{items} of {items} expectations passed")),
            "{lesson}:\n{}",
            ran.stdout
        );
        assert!(!ran.stdout.contains("FAIL"), "{}", ran.stdout);
        let cases = check_structure(&parse_junit(&junit), lesson);
        assert_eq!(cases.len(), items, "{lesson}");
        assert!(cases.iter().all(|c| c["failure"].is_null()));
    }
}

#[test]
fn the_report_names_each_expectation_with_its_evidence() {
    let ran = netcourse(&[
        "grade",
        &assignment("udp-receiver"),
        "--submission",
        &tutorial(),
        "--color",
        "never",
    ])
    .run()
    .ok();
    let out = &ran.stdout;
    // Reachable, with the call that made it so.
    assert!(
        out.contains("PASS  program `receiver` binds UDP port 5000"),
        "{out}"
    );
    assert!(out.contains("bind(3, (\"0.0.0.0\", 5000)) → 0"), "{out}");
    // What it received: the traced call, and the frame that carried it,
    // named for the program and annotated.
    assert!(out.contains("PASS  program `receiver` receives b\"hello\""));
    assert!(
        out.contains("recvfrom(3, 1024, 0x0) → 5 b\"hello\""),
        "{out}"
    );
    assert!(
        out.contains("sender → receiver: one UDP datagram carrying b\"hello\" (5 bytes)."),
        "{out}"
    );
    // What it printed, and the checkpoint answered from its frame.
    assert!(out.contains("printed: hello "), "{out}");
    assert!(out.contains("answer: 5000 (port.dst)"), "{out}");
}

/// A server that answers "how are u" with "good": the report fails the
/// client's expectation at step 3 and shows what came instead.
#[test]
fn a_wrong_solution_fails_with_the_expectation_and_its_evidence() {
    let dir = scratch("grade-wrong");
    let server = std::fs::read_to_string(root().join("examples/tutorial/dict_server.py"))
        .unwrap()
        .replace("\"how are u\": \"fine\"", "\"how are u\": \"good\"");
    assert!(server.contains("\"good\""));
    std::fs::write(dir.join("server.py"), server).unwrap();
    std::fs::write(
        dir.join("netcourse.yaml"),
        "programs:\n  server: python3 server.py\n",
    )
    .unwrap();
    let junit = dir.join("report.xml");
    let ran = netcourse(&[
        "grade",
        &assignment("dict-server"),
        "--submission",
        dir.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "--color",
        "never",
    ])
    .run()
    .code(1);
    let out = &ran.stdout;
    assert!(
        out.contains("FAIL  step 3 · client recv: expects receives b\"fine\""),
        "{out}"
    );
    assert!(
        out.contains("step 3: `client` expected b\"fine\", but got b\"good\""),
        "{out}"
    );
    // The evidence: the client's call and the server's segment carrying it.
    assert!(
        out.contains("client: recv(1024) → 4 bytes: b\"good\""),
        "{out}"
    );
    assert!(
        out.contains("server → client TCP 50007 →") && out.contains("server sends b\"good\""),
        "{out}"
    );
    assert!(
        out.contains("FAIL  program `server` sends b\"fine\""),
        "{out}"
    );
    assert!(
        out.contains("sendto(4, b\"good\", 4, 0x0, None) → 4"),
        "{out}"
    );
    assert!(
        out.contains("not reached: the run stopped at step 3"),
        "{out}"
    );
    // Stopped at once, not left to the timeout.
    assert!(
        out.contains("stopped because the run stopped early"),
        "{out}"
    );
    assert!(out.contains("3 of 10 expectations passed"), "{out}");

    let cases = check_structure(&parse_junit(&junit), "dict-server");
    let step3 = cases
        .iter()
        .find(|c| c["name"] == "step 3 · client recv: expects receives b\"fine\"")
        .expect("a testcase for step 3");
    let f = &step3["failure"];
    assert!(
        f["message"].as_str().unwrap().contains("but got b\"good\""),
        "{f}"
    );
    assert!(
        f["text"]
            .as_str()
            .unwrap()
            .contains("client: recv(1024) → 4 bytes: b\"good\""),
        "{f}"
    );
    assert_eq!(step3["children"], serde_json::json!(["failure"]));
    let passed: Vec<&str> = cases
        .iter()
        .filter(|c| c["failure"].is_null())
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        passed,
        [
            "program `server` listens on TCP port 50007",
            "step 1 checkpoint: Which port does the SYN go to?",
            "program `server` receives b\"how are u\"",
        ]
    );
}

#[test]
fn a_program_that_never_binds_fails_fast_and_says_so() {
    let ran = netcourse(&[
        "grade",
        &assignment("udp-receiver"),
        "--program",
        "receiver=python3 -c 'print(\"no socket\")'",
        "--color",
        "never",
    ])
    .run()
    .code(1);
    let out = &ran.stdout;
    assert!(
        out.contains("FAIL  program `receiver` binds UDP port 5000"),
        "{out}"
    );
    assert!(
        out.contains("it ended before it binds UDP port 5000"),
        "{out}"
    );
    assert!(out.contains("it made no bind or listen call"), "{out}");
    assert!(out.contains("printed: no socket"), "{out}");
    assert!(out.contains("not run: program `receiver` ended before it binds"));
}

#[test]
fn a_lesson_with_a_slot_says_what_it_needs() {
    let ran = netcourse(&["run", "lesson", &assignment("dict-client")])
        .run()
        .code(2);
    assert!(
        ran.stderr
            .contains("needs a program for its slot `client` (actor `client` — a TCP program)"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr
            .contains("--program client='python3 your_program.py'")
    );
    assert!(ran.stderr.contains("--submission DIR"));
    // grade without a submission says the same.
    let ran = netcourse(&["grade", &assignment("udp-receiver")])
        .run()
        .code(2);
    assert!(
        ran.stderr.contains("a program that binds UDP port 5000"),
        "{}",
        ran.stderr
    );
    // Step mode and class mode cannot run a program yet, and say so.
    let ran = netcourse(&[
        "run",
        "lesson",
        &assignment("udp-receiver"),
        "--program",
        "receiver=python3 udp_recv.py",
        "--step",
    ])
    .run()
    .code(2);
    assert!(ran.stderr.contains("not with --step"), "{}", ran.stderr);
    let ran = netcourse(&["serve", "lesson", &assignment("udp-receiver")])
        .run()
        .code(2);
    assert!(
        ran.stderr.contains("class mode cannot run"),
        "{}",
        ran.stderr
    );
    // A lesson without a slot refuses --program.
    let ran = netcourse(&["run", "lesson", "udp-basics", "--program", "x=python3"])
        .run()
        .code(2);
    assert!(ran.stderr.contains("has no program slot"), "{}", ran.stderr);
}

#[test]
fn run_lesson_with_a_program_prints_the_transcript_and_the_grade() {
    let dir = scratch("grade-run");
    let json = dir.join("t.json");
    let ran = netcourse(&[
        "run",
        "lesson",
        &assignment("dict-server"),
        "--program",
        "server=python3 dict_server.py",
        "--color",
        "never",
        "--export",
        json.to_str().unwrap(),
    ])
    .dir(Path::new(&tutorial()))
    .run()
    .ok();
    let out = &ran.stdout;
    assert!(out.contains("━━ Step 1/8 · client · connect"), "{out}");
    assert!(out.contains("server → client TCP 50007 →"), "{out}");
    assert!(out.contains("10 of 10 expectations passed"), "{out}");
    // The transcript: the program's frames are named for its actor, and
    // its FIN after it ended is kept.
    let t = read_json(&json);
    let frames = frames(&t);
    assert!(frames.iter().any(|f| f["actor"] == "server"));
    assert!(
        frames
            .iter()
            .filter(|f| f["actor"] == "server")
            .any(|f| f["tcp"]["flags"]
                .as_array()
                .is_some_and(|fl| fl.iter().any(|x| x == "FIN"))),
        "the server's FIN is in the transcript"
    );
    assert_eq!(t["outcome"]["passed"], true);
    // The program's own calls are events too, as traced.
    let program_calls: Vec<&str> = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "call" && e["actor"] == "server")
        .map(|e| e["call"]["name"].as_str().unwrap())
        .collect();
    for call in ["bind", "listen", "accept4", "recvfrom", "sendto", "close"] {
        assert!(program_calls.contains(&call), "{call} in {program_calls:?}");
    }
    // And the transcript replays.
    let replayed = netcourse(&["replay", json.to_str().unwrap(), "--color", "never"])
        .run()
        .ok();
    assert!(replayed.stdout.contains("server → client TCP"));
}

/// The sender's datagrams are named for it though it closed its socket
/// (and ended) before the receiving steps looked.
#[test]
fn a_programs_frames_are_named_for_its_actor() {
    let dir = scratch("grade-names");
    let json = dir.join("t.json");
    netcourse(&[
        "grade",
        &assignment("udp-sender"),
        "--submission",
        &tutorial(),
        "--quiet",
        "--export",
        json.to_str().unwrap(),
    ])
    .run()
    .ok();
    let t = read_json(&json);
    let frames = frames(&t);
    assert_eq!(frames.len(), 2);
    for f in frames {
        assert_eq!(
            (&f["actor"], &f["to"]),
            (&"sender".into(), &"receiver".into())
        );
    }
}

#[test]
fn the_assignments_pass_check() {
    let mut args = vec!["check".to_string()];
    for l in ["udp-receiver", "udp-sender", "dict-server", "dict-client"] {
        args.push(assignment(l));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let ran = netcourse(&args).run().ok();
    assert_eq!(ran.stdout.matches(": ok").count(), 4, "{}", ran.stdout);
    assert!(ran.stderr.is_empty(), "{}", ran.stderr);
}

/// A program slot on a host of the lesson's own network: the program runs
/// in that host's namespace, and the lesson's sender reaches it across the
/// link (ARP first).
#[test]
fn a_program_runs_on_its_actors_host() {
    let dir = scratch("grade-host");
    let lesson = dir.join("receiver-on-bob.yaml");
    std::fs::write(
        &lesson,
        r#"format: 1
name: receiver-on-bob
title: "A UDP receiver on bob"
summary: "Your receiver runs on bob; alice sends to it across the link."
hosts:
  - name: alice
    interfaces:
      - { name: eth0, link: lan, addresses: [10.0.0.1/24] }
  - name: bob
    interfaces:
      - { name: eth0, link: lan, addresses: [10.0.0.2/24] }
links: [lan]
actors:
  - name: receiver
    program: receiver
    host: bob
    transport: udp
    port: 5000
    expect:
      - receives: "hello"
      - prints: "hello"
      - exits: 0
  - { name: sender, host: alice, transport: udp }
steps:
  - { actor: sender, call: sendto, to: receiver, text: "hello" }
  - { actor: sender, call: sendto, to: receiver, text: "stop" }
  - { actor: sender, call: close }
"#,
    )
    .unwrap();
    let json = dir.join("t.json");
    let ran = netcourse(&[
        "run",
        "lesson",
        lesson.to_str().unwrap(),
        "--program",
        "receiver=python3 udp_recv.py",
        "--color",
        "never",
        "--export",
        json.to_str().unwrap(),
    ])
    .dir(Path::new(&tutorial()))
    .run();
    assert_eq!(ran.status, 0, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stdout.contains("4 of 4 expectations passed"),
        "{}",
        ran.stdout
    );
    let t = read_json(&json);
    let frames = frames(&t);
    let summaries: Vec<&str> = frames
        .iter()
        .map(|f| f["summary"].as_str().unwrap())
        .collect();
    assert!(
        summaries[0].starts_with("[lan] ARP who has 10.0.0.2?"),
        "{summaries:?}"
    );
    let datagrams: Vec<&&Value> = frames.iter().filter(|f| f["port"]["dst"] == 5000).collect();
    assert_eq!(datagrams.len(), 2);
    for d in datagrams {
        assert_eq!(
            (&d["actor"], &d["to"]),
            (&"sender".into(), &"receiver".into())
        );
        assert_eq!(d["ip"]["dst"], "10.0.0.2");
        assert_eq!(d["crossing"]["link"], "lan");
    }
    let receiver = &t["actors"][0];
    assert_eq!(receiver["host"], "bob");
    // The program saw alice's address: it received from it and printed it.
    assert!(
        t["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["actor"] == "receiver"
                && e["call"]["result"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("5 b\"hello\" from (\"10.0.0.1\", "))),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout
            .lines()
            .any(|l| l.contains("printed: hello ") && l.ends_with(" 10.0.0.1")),
        "{}",
        ran.stdout
    );
}

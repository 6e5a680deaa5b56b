//! `netcourse trace` against strace: every call `strace -f -e trace=network`
//! records for the tutorial's programs (run as plain programs in a network
//! namespace of their own, tests/reference/strace_programs.py) is in the
//! transcript of the same programs traced by netcourse, in the same order,
//! with the same descriptor, data, address and result.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;

/// What both tools say about one call, in one shape: the call's name, its
/// descriptor, the data it carried, the address it named or returned (an
/// OS-chosen port as 0: it differs from run to run) and its result.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    name: String,
    fd: String,
    data: Option<String>,
    addr: Option<(String, u16)>,
    result: String,
}

fn ephemeral(port: u16) -> u16 {
    // Linux's default ip_local_port_range is 32768–60999.
    if port >= 32768 { 0 } else { port }
}

/// The text between the first pair of double quotes after `from`.
fn quoted(s: &str) -> Option<String> {
    let start = s.find('"')? + 1;
    let mut end = start;
    let bytes = s.as_bytes();
    while end < bytes.len() && bytes[end] != b'"' {
        end += if bytes[end] == b'\\' { 2 } else { 1 };
    }
    Some(s.get(start..end)?.to_string())
}

fn name_and_fd(call: &str) -> (String, String) {
    let (name, rest) = call.split_once('(').unwrap_or((call, ""));
    let fd = rest
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap_or("")
        .to_string();
    (name.trim().to_string(), fd)
}

/// `sendto(3, "hello", 5, 0, {sa_family=AF_INET, sin_port=htons(5000),
/// sin_addr=inet_addr("127.0.0.1")}, 16) = 5`
fn from_strace(line: &str) -> Seen {
    let (call, result) = line.rsplit_once(" = ").expect(line);
    let (name, fd) = name_and_fd(call);
    let addr = call.find("sin_port=htons(").map(|i| {
        let port: u16 = call[i + 15..].split(')').next().unwrap().parse().unwrap();
        let ip = quoted(&call[call.find("inet_addr(").unwrap()..]).unwrap();
        (ip, ephemeral(port))
    });
    // strace shows the data of a receiving call in its arguments too; a
    // read of nothing (end of stream) as "", which the transcript words.
    let data = call
        .split_once(", ")
        .and_then(|(_, rest)| rest.starts_with('"').then(|| quoted(rest).unwrap()))
        .filter(|d| !d.is_empty());
    Seen {
        name,
        fd,
        data,
        addr,
        result: result.split_whitespace().next().unwrap().to_string(),
    }
}

/// The transcript's call: args `sendto(3, b"hello", 5, 0x0, ("127.0.0.1",
/// 5000))`, result `5 b"hello" from ("127.0.0.1", 55319)`.
fn from_transcript(args: &str, result: &str) -> Seen {
    let (name, fd) = name_and_fd(args);
    let both = format!("{args} {result}");
    let data = both.find("b\"").map(|i| quoted(&both[i..]).unwrap());
    let addr = both.find("(\"").map(|i| {
        let ip = quoted(&both[i..]).unwrap();
        let after = &both[i + ip.len() + 4..];
        let port: u16 = after
            .trim_start_matches([',', ' '])
            .split(')')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        (ip, ephemeral(port))
    });
    Seen {
        name,
        fd,
        data,
        addr,
        result: result.split_whitespace().next().unwrap_or("").to_string(),
    }
}

fn tutorial() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/tutorial")
}

fn strace_reference(scenario: &str) -> Vec<Vec<Seen>> {
    require("strace");
    require("python3");
    let dir = scratch(&format!("strace-{scenario}"));
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/strace_programs.py"
    );
    let out = Command::new("python3")
        .args([script, scenario, dir.to_str().unwrap()])
        .output()
        .expect("run the strace reference");
    assert!(
        out.status.success(),
        "strace reference failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let programs: Vec<Vec<String>> = serde_json::from_slice(&out.stdout).unwrap();
    programs
        .iter()
        .map(|calls| calls.iter().map(|c| from_strace(c)).collect())
        .collect()
}

fn traced(scenario: &str, runs: &[&str], extra: &[&str]) -> Vec<Vec<Seen>> {
    let dir = scratch(&format!("trace-vs-strace-{scenario}"));
    let json = dir.join("t.json");
    let mut args = vec!["trace", "-q", "--timeout", "20"];
    args.extend(["--export", json.to_str().unwrap()]);
    for run in runs {
        args.extend(["--run", run]);
    }
    args.extend_from_slice(extra);
    netcourse(&args).dir(&tutorial()).run().ok();
    let t = read_json(&json);
    runs.iter()
        .map(|run| {
            t["events"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["kind"] == "call")
                .filter(|e| e["actor"].as_str().unwrap().starts_with(&format!("{run}[")))
                .map(|e| {
                    from_transcript(
                        e["call"]["args"].as_str().unwrap(),
                        e["call"]["result"].as_str().unwrap(),
                    )
                })
                .collect()
        })
        .collect()
}

/// Each strace call, in order, is among the transcript's calls of the same
/// program (which also has the ones strace's `network` class leaves out:
/// close, the printed lines, the exit).
fn assert_all_in_order(strace: &[Vec<Seen>], ours: &[Vec<Seen>]) {
    assert_eq!(strace.len(), ours.len());
    for (program, (want, have)) in strace.iter().zip(ours).enumerate() {
        let mut rest = have.iter();
        for call in want {
            assert!(
                rest.any(|c| c == call),
                "program {program}: strace saw {call:?}, not in the transcript (in order):\n{have:#?}"
            );
        }
    }
}

#[test]
#[cfg_attr(missing_strace, ignore = "strace is not installed (CI installs it)")]
fn udp_programs_every_strace_network_call_is_in_the_transcript() {
    let strace = strace_reference("udp");
    assert_eq!(strace[1].iter().filter(|c| c.name == "sendto").count(), 2);
    let ours = traced(
        "udp",
        &["python3 udp_recv.py", "python3 udp_send.py hello stop"],
        &[],
    );
    assert_all_in_order(&strace, &ours);
}

#[test]
#[cfg_attr(missing_strace, ignore = "strace is not installed (CI installs it)")]
fn tcp_dictionary_every_strace_network_call_is_in_the_transcript() {
    let strace = strace_reference("tcp");
    assert!(strace[0].iter().any(|c| c.name == "accept4"));
    let questions = tutorial().join("questions.txt");
    let ours = traced(
        "tcp",
        &["python3 dict_server.py", "python3 dict_client.py"],
        &["--stdin", questions.to_str().unwrap()],
    );
    assert_all_in_order(&strace, &ours);
}

#[test]
fn both_shapes_read_the_same_call_the_same_way() {
    let s = from_strace(
        r#"recvfrom(3, "hello", 1024, 0, {sa_family=AF_INET, sin_port=htons(58974), sin_addr=inet_addr("127.0.0.1")}, [16]) = 5"#,
    );
    let t = from_transcript(
        "recvfrom(3, 1024, 0x0)",
        r#"5 b"hello" from ("127.0.0.1", 55319)"#,
    );
    assert_eq!(s, t);
    assert_eq!(
        s,
        Seen {
            name: "recvfrom".into(),
            fd: "3".into(),
            data: Some("hello".into()),
            addr: Some(("127.0.0.1".into(), 0)),
            result: "5".into(),
        }
    );
    let s = from_strace("listen(3, 1)                      = 0");
    let t = from_transcript("listen(3, 1)", "0");
    assert_eq!(s, t);
}

//! `netcourse trace`: the tutorial's own programs (examples/tutorial),
//! traced in the sandbox; calls, frames, their ties and printed lines.

mod common;

use std::path::PathBuf;

use common::*;
use serde_json::Value;

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/tutorial")
}

fn trace(args: &[&str], name: &str) -> Value {
    let dir = scratch(name);
    let json = dir.join("t.json");
    let mut all = vec![
        "trace",
        "-q",
        "--timeout",
        "20",
        "--export",
        json.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    netcourse(&all).dir(&examples()).run().ok();
    read_json(&json)
}

fn calls<'a>(t: &'a Value, name: &str) -> Vec<&'a Value> {
    t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "call" && e["call"]["name"] == name)
        .collect()
}

/// `calls`, leaving out those on Unix-domain sockets: the C library may
/// ask a local daemon (nscd) for the user's name before the program's own
/// calls, depending on the environment.
fn inet_calls<'a>(t: &'a Value, name: &str) -> Vec<&'a Value> {
    calls(t, name)
        .into_iter()
        .filter(|e| !e["call"]["args"].as_str().unwrap_or("").contains("\"/"))
        .collect()
}

fn printed(t: &Value) -> Vec<String> {
    calls(t, "print")
        .iter()
        .map(|e| e["call"]["args"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn udp_programs_calls_frames_and_prints() {
    let t = trace(
        &[
            "--run",
            "python3 udp_recv.py",
            "--run",
            "python3 udp_send.py hello stop",
        ],
        "trace-udp",
    );
    assert_eq!(t["outcome"]["passed"], true, "{}", t["outcome"]);
    // One actor per program: not the helper processes a launcher runs
    // first (pyenv's `python3` is a shell script that runs a dozen).
    let actors: Vec<&str> = t["actors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(actors.len(), 2, "{actors:?}");
    let sends = calls(&t, "sendto");
    assert_eq!(sends.len(), 2);
    assert!(
        sends[0]["call"]["args"]
            .as_str()
            .unwrap()
            .contains("b\"hello\"")
    );
    assert_eq!(sends[0]["call"]["result"], "5");
    assert_eq!(sends[0]["call"]["data_hex"], "68656c6c6f");
    let frames = frames(&t);
    assert_eq!(frames.len(), 2, "one datagram per sendto");
    for (send, frame) in sends.iter().zip(&frames) {
        // Each datagram is tied to the sendto that sent it.
        assert_eq!(frame["step"], send["step"]);
        assert_eq!(frame["follows"], send["index"]);
        assert_eq!(frame["port"]["dst"], 5000);
    }
    let recvs = calls(&t, "recvfrom");
    assert_eq!(recvs.len(), 2);
    assert!(
        recvs[0]["call"]["result"]
            .as_str()
            .unwrap()
            .starts_with("5 b\"hello\" from (\"127.0.0.1\", ")
    );
    let port = frames[0]["port"]["src"].to_string();
    assert_eq!(
        printed(&t),
        [
            format!("stdout: hello {port} 127.0.0.1"),
            format!("stdout: stop {port} 127.0.0.1")
        ]
    );
}

#[test]
#[cfg_attr(missing_tshark, ignore = "tshark is not installed (CI installs it)")]
fn tcp_dictionary_handshake_on_connect_fin_on_close() {
    let t = trace(
        &[
            "--run",
            "python3 dict_server.py",
            "--run",
            "python3 dict_client.py",
            "--stdin",
            examples().join("questions.txt").to_str().unwrap(),
        ],
        "trace-tcp",
    );
    assert_eq!(t["outcome"]["passed"], true, "{}", t["outcome"]);
    let connect = inet_calls(&t, "connect")[0];
    let frames = frames(&t);
    let flags = |f: &Value| {
        f["tcp"]["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let handshake: Vec<&&Value> = frames.iter().take(3).collect();
    assert_eq!(
        handshake.iter().map(|f| flags(f)).collect::<Vec<_>>(),
        ["SYN", "SYN,ACK", "ACK"]
    );
    for f in handshake {
        assert_eq!(f["step"], connect["step"], "handshake tied to connect");
    }
    let closes = calls(&t, "close");
    let fins: Vec<&&Value> = frames.iter().filter(|f| flags(f).contains("FIN")).collect();
    assert_eq!(fins.len(), 2);
    for fin in fins {
        assert!(
            closes
                .iter()
                .any(|c| c["step"] == fin["step"] && c["actor"] == fin["actor"]),
            "FIN tied to its sender's close: {}",
            fin["summary"]
        );
    }
    assert!(printed(&t).contains(&"stdout: data fine".to_string()));
    assert!(printed(&t).contains(&"stdout: data nicai".to_string()));
    // The frames agree with tshark.
    let dir = scratch("trace-tcp-pcap");
    let pcap = dir.join("t.pcap");
    write_frames_pcap(&pcap, &frames);
    let rows = tshark_fields(&pcap, &["tcp.srcport", "tcp.seq", "tcp.ack", "tcp.len"]);
    for (f, row) in frames.iter().zip(&rows) {
        assert_eq!(f["port"]["src"].to_string(), row[0]);
        assert_eq!(f["tcp"]["seq_rel"].to_string(), row[1]);
        assert_eq!(f["tcp"]["ack_rel"].to_string(), row[2]);
        assert_eq!(f["tcp"]["len"].to_string(), row[3]);
    }
}

#[test]
fn a_hung_program_is_killed_and_the_transcript_says_so() {
    let dir = scratch("trace-hang");
    let json = dir.join("t.json");
    let ran = netcourse(&[
        "trace",
        "-q",
        "--timeout",
        "1",
        "--export",
        json.to_str().unwrap(),
        "--run",
        "python3 udp_recv.py",
    ])
    .dir(&examples())
    .run()
    .code(1);
    let _ = ran;
    let t = read_json(&json);
    let failure = t["outcome"]["failure"].as_str().unwrap();
    assert!(
        failure.contains("--timeout 1 s") && failure.contains("SIGKILL"),
        "{failure}"
    );
    assert_eq!(calls(&t, "bind").len(), 1);
}

#[test]
fn errors_are_named_by_errno() {
    // Nobody listens on 50007: the client's connect is refused.
    let t = {
        let dir = scratch("trace-refused");
        let json = dir.join("t.json");
        netcourse(&[
            "trace",
            "-q",
            "--export",
            json.to_str().unwrap(),
            "--",
            "python3",
            "dict_client.py",
        ])
        .dir(&examples())
        .run()
        .code(1);
        read_json(&json)
    };
    let connect = inet_calls(&t, "connect")[0];
    assert_eq!(connect["call"]["ok"], false);
    assert_eq!(
        connect["call"]["result"],
        "-1 ECONNREFUSED (Connection refused)"
    );
    // The RST that refused it is tied to the connect.
    let rst = frames(&t)
        .into_iter()
        .find(|f| f["summary"].as_str().unwrap().contains("RST"))
        .unwrap();
    assert_eq!(rst["step"], connect["step"]);
}

#[test]
fn a_forked_child_keeps_its_parents_sockets() {
    // A server that forks for its client: the child inherits the accepted
    // socket, answers on it and closes it; its calls and its FIN are its own.
    let dir = scratch("trace-fork");
    std::fs::write(
        dir.join("fork_server.py"),
        "import os, socket\ns = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(('127.0.0.1', 50008))\ns.listen(1)\nconn, addr = s.accept()\npid = os.fork()\nif pid == 0:\n    s.close()\n    conn.sendall(conn.recv(1024).upper())\n    conn.close()\n    os._exit(0)\nconn.close()\nos.waitpid(pid, 0)\ns.close()\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("fork_client.py"),
        "import socket\nc = socket.create_connection(('127.0.0.1', 50008))\nc.sendall(b'hello')\nprint(c.recv(1024).decode())\nc.close()\n",
    )
    .unwrap();
    let json = dir.join("t.json");
    netcourse(&[
        "trace",
        "-q",
        "--export",
        json.to_str().unwrap(),
        "--run",
        "python3 fork_server.py",
        "--run",
        "python3 fork_client.py",
    ])
    .dir(&dir)
    .run()
    .ok();
    let t = read_json(&json);
    assert_eq!(t["outcome"]["passed"], true, "{}", t["outcome"]);
    let events = t["events"].as_array().unwrap();
    // The child: the process that sent "HELLO".
    let send = events
        .iter()
        .find(|e| e["call"]["name"] == "sendto" && e["call"]["data_hex"] == "48454c4c4f")
        .expect("the child's sendto");
    let child = send["actor"].as_str().unwrap();
    assert_eq!(send["call"]["local"], "127.0.0.1:50008");
    let close = events
        .iter()
        .find(|e| {
            e["actor"] == child
                && e["call"]["name"] == "close"
                && e["index"].as_u64() > send["index"].as_u64()
        })
        .expect("the child's close of the connection");
    let fin = frames(&t)
        .into_iter()
        .find(|f| {
            f["port"]["src"] == 50008
                && f["tcp"]["flags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x == "FIN")
        })
        .expect("the server side's FIN");
    // Tied to the child's close (its `follows` may be the client's FIN,
    // when that came first and this one answers it): sent while it ran, or,
    // on a busy machine where the kernel held the FIN behind the data still
    // in its queue (TCP small queues), after it returned.
    let note = fin["notes"]["timing"].as_str().unwrap();
    let during = format!(
        "Captured while {child}'s close() (event #{}) ran: that call put it on the wire.",
        close["index"]
    );
    let after = format!(
        "after {child}'s close() (#{}) returned: close() does not wait, and the FIN goes out only behind the data still queued",
        close["index"]
    );
    assert!(note.contains(&during) || note.contains(&after), "{note}");
}

/// The closing line says what ran: your programs, traced (not a lesson),
/// and so does the transcript's `source`.
#[test]
fn the_closing_line_says_traced_or_trace_failed() {
    let dir = scratch("trace-closing-line");
    let json = dir.join("t.json");
    let md = dir.join("t.md");
    let ok = netcourse(&[
        "trace",
        "--color",
        "never",
        "--export",
        json.to_str().unwrap(),
        "--export",
        md.to_str().unwrap(),
        "--",
        "python3",
        "-c",
        "print('hi')",
    ])
    .run()
    .ok();
    let last = ok.stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("traced: "), "{}", ok.stdout);
    assert_eq!(read_json(&json)["source"], "trace");
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.contains("\nTrace · run "), "{md}");
    assert!(md.contains(" · traced: "), "{md}");
    let failed = netcourse(&[
        "trace",
        "--color",
        "never",
        "--",
        "python3",
        "-c",
        "raise SystemExit(3)",
    ])
    .run()
    .code(1);
    assert!(
        failed.stdout.contains("trace failed: "),
        "{}",
        failed.stdout
    );
}

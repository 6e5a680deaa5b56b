//! `netcourse trace --lesson L --host H`: the tutorial's programs on a
//! lesson's hosts, their frames on the links between them.

mod common;

use std::path::PathBuf;

use common::*;
use serde_json::Value;

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/tutorial")
}

fn trace(args: &[&str], name: &str) -> (Value, PathBuf) {
    let dir = scratch(name);
    let json = dir.join("t.json");
    let pcapng = dir.join("t.pcapng");
    let mut all = vec![
        "trace",
        "-q",
        "--timeout",
        "20",
        "--export",
        json.to_str().unwrap(),
        "--export",
        pcapng.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    netcourse(&all).dir(&examples()).run().ok();
    (read_json(&json), pcapng)
}

/// The tutorial's dictionary server on bob and its client on alice,
/// asking the server at `server` the questions of questions.txt.
fn dictionary(lesson: &str, server: &str, tag: &str) -> (Value, PathBuf) {
    let client = format!("python3 dict_client.py --to {server}");
    let questions = examples().join("questions.txt");
    trace(
        &[
            "--lesson",
            lesson,
            "--host",
            "bob",
            "--run",
            "python3 dict_server.py",
            "--host",
            "alice",
            "--run",
            &client,
            "--stdin",
            questions.to_str().unwrap(),
        ],
        tag,
    )
}

fn link(f: &Value) -> &str {
    f["crossing"]["link"].as_str().unwrap_or("")
}

fn sent_from<'a>(t: &'a Value, f: &Value) -> &'a str {
    let end = f["crossing"]["from_end"].as_u64().unwrap() as usize;
    t["network"]["ends"][end]["host"].as_str().unwrap()
}

#[test]
#[cfg_attr(missing_tshark, ignore = "tshark is not installed (CI installs it)")]
fn udp_programs_on_two_hosts_ask_arp_once_and_tshark_agrees() {
    require("tshark");
    let (t, pcapng) = trace(
        &[
            "--lesson",
            "arp-basics",
            "--host",
            "bob",
            "--run",
            "python3 udp_recv.py",
            "--host",
            "alice",
            "--run",
            "python3 udp_send.py --to 10.0.0.2 hello again stop",
        ],
        "trace-hosts-udp",
    );
    assert_eq!(t["outcome"]["passed"], true, "{}", t["outcome"]);
    assert_eq!(t["network"]["interface"], "wire");
    // Each process is on its program's host: the one that sent on alice,
    // the one that received on bob.
    let host_of = |call: &str| {
        let actor = t["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["call"]["name"] == call)
            .map(|e| e["actor"].clone())
            .unwrap();
        t["actors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == actor)
            .map(|a| a["host"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(
        (host_of("sendto"), host_of("recvfrom")),
        ("alice".into(), "bob".into())
    );
    let frames = frames(&t);
    let kinds: Vec<String> = frames
        .iter()
        .map(|f| {
            f["summary"]
                .as_str()
                .unwrap()
                .split_whitespace()
                .nth(1)
                .unwrap()
                .to_string()
        })
        .collect();
    // One ARP exchange, before the first datagram only (then the cache).
    assert_eq!(kinds, ["ARP", "ARP", "UDP", "UDP", "UDP"], "{kinds:?}");
    for f in &frames {
        assert_eq!(link(f), "lan");
        assert_ne!(f["mac"]["src"], "00:00:00:00:00:00");
    }
    assert_eq!(frames[0]["mac"]["dst"], "ff:ff:ff:ff:ff:ff");
    assert_eq!(sent_from(&t, frames[0]), "alice");
    assert_eq!(sent_from(&t, frames[1]), "bob");
    // The request went out in the sendto that needed it; the reply is bob's
    // kernel's own, whatever bob's program was doing.
    let sends: Vec<&Value> = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["call"]["name"] == "sendto")
        .collect();
    assert_eq!(sends.len(), 3);
    assert_eq!(frames[0]["follows"], sends[0]["index"]);
    assert!(
        frames[1]["notes"]["timing"]
            .as_str()
            .unwrap()
            .contains("No traced call put it on the wire: the kernel answered by itself"),
        "{}",
        frames[1]["notes"]["timing"]
    );
    // Each datagram is its own sendto's, from alice's port.
    for (datagram, send) in frames[2..].iter().zip(&sends) {
        assert_eq!(
            datagram["follows"], send["index"],
            "{}",
            datagram["summary"]
        );
        assert_eq!(sent_from(&t, datagram), "alice");
        assert_eq!(datagram["ip"]["dst"], "10.0.0.2");
    }
    // The receiver printed who sent them: alice's address.
    assert!(t["events"].as_array().unwrap().iter().any(|e| {
        e["call"]["args"]
            .as_str()
            .is_some_and(|a| a.starts_with("stdout: again ") && a.ends_with(" 10.0.0.1"))
    }));
    // tshark reads the same interfaces, MACs, addresses and ports.
    let rows = tshark_fields(
        &pcapng,
        &[
            "frame.interface_name",
            "eth.src",
            "eth.dst",
            "arp.opcode",
            "ip.src",
            "udp.srcport",
        ],
    );
    assert_eq!(rows.len(), frames.len());
    for (row, f) in rows.iter().zip(&frames) {
        assert_eq!(row[0], format!("{}/eth0", sent_from(&t, f)));
        assert_eq!(row[1], f["mac"]["src"].as_str().unwrap());
        assert_eq!(row[2], f["mac"]["dst"].as_str().unwrap());
        if f["ip"].is_object() {
            assert_eq!(row[4], f["ip"]["src"].as_str().unwrap());
            assert_eq!(row[5], f["port"]["src"].to_string());
        } else {
            assert!(["1", "2"].contains(&row[3].as_str()), "{row:?}");
        }
    }
}

#[test]
fn the_dictionary_across_a_router_ttl_drops_and_the_router_forwards() {
    let (t, _) = dictionary("ip-router", "10.0.2.1", "trace-hosts-tcp");
    assert_eq!(t["outcome"]["passed"], true, "{}", t["outcome"]);
    let frames = frames(&t);
    let syns: Vec<&&Value> = frames
        .iter()
        .filter(|f| f["tcp"]["flags"] == serde_json::json!(["SYN"]))
        .collect();
    // The client's SYN on alice's link, then forwarded on bob's: one hop.
    assert_eq!(syns.len(), 2);
    assert_eq!((link(syns[0]), link(syns[1])), ("left", "right"));
    // IPv4's TTL: byte 8 of the header, after 14 bytes of Ethernet.
    let ttl = |f: &Value| hex_to_bytes(f["data_hex"].as_str().unwrap())[22];
    assert_eq!((ttl(syns[0]), ttl(syns[1])), (64, 63));
    assert_ne!(syns[0]["mac"]["src"], syns[1]["mac"]["src"]);
    let connect = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["call"]["name"] == "connect"
                && e["call"]["args"].as_str().unwrap().contains("10.0.2.1")
        })
        .expect("connect");
    assert_eq!(syns[0]["follows"], connect["index"]);
    assert_eq!(sent_from(&t, syns[1]), "router");
    // bob's SYN+ACK is his kernel's answer, not his accept()'s doing.
    let syn_ack = frames
        .iter()
        .find(|f| f["tcp"]["flags"] == serde_json::json!(["SYN", "ACK"]))
        .unwrap();
    assert_eq!(sent_from(&t, syn_ack), "bob");
    let note = syn_ack["notes"]["timing"].as_str().unwrap();
    assert!(
        note.contains("a listening socket's kernel completes the handshake by itself"),
        "{note}"
    );
    // The router's copy is the same SYN passed on, not a resent one.
    for f in &frames {
        let timer = f["timer"]["kind"].as_str().unwrap_or("");
        assert!(
            !timer.contains("retransmission"),
            "{}: {timer}",
            f["summary"]
        );
    }
    let note = syns[1]["notes"]["timing"].as_str().unwrap();
    assert!(
        note.contains("No traced program runs on `router`: its kernel sent it on its own"),
        "{note}"
    );
    let printed: Vec<&str> = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["call"]["name"] == "print")
        .map(|e| e["call"]["args"].as_str().unwrap())
        .collect();
    assert!(printed.contains(&"stdout: data fine"), "{printed:?}");
    assert!(
        printed
            .iter()
            .any(|p| p.starts_with("stdout: addr ('10.0.1.1', ")),
        "{printed:?}"
    );
}

#[test]
fn step_mode_on_hosts_keeps_every_frame() {
    let dir = scratch("trace-hosts-step");
    let json = dir.join("t.json");
    let ran = netcourse(&[
        "trace",
        "--step",
        "--color",
        "never",
        "--export",
        json.to_str().unwrap(),
        "--lesson",
        "arp-basics",
        "--host",
        "bob",
        "--run",
        "python3 udp_recv.py",
        "--host",
        "alice",
        "--run",
        "python3 udp_send.py --to 10.0.0.2",
    ])
    .dir(&examples())
    .stdin("n\n".repeat(40).as_bytes())
    .run()
    .ok();
    let out = ran.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(out.contains("ARP who has 10.0.0.2? tell 10.0.0.1"), "{out}");

    let t = read_json(&json);
    assert_eq!(t["complete"], true);
    let frames = frames(&t);
    assert_eq!(frames.len(), 4, "ARP request and reply, two datagrams");
    assert!(frames.iter().all(|f| link(f) == "lan"));
}

#[test]
fn placing_programs_on_hosts_is_checked_before_anything_runs() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["--lesson", "udp-basics", "--", "true"],
            "error: lesson `udp-basics` has no hosts of its own: its actors share `lo`",
        ),
        (
            &[
                "--lesson",
                "arp-basics",
                "--run",
                "python3 a.py",
                "--run",
                "python3 b.py",
            ],
            "error: lesson `arp-basics` has 2 hosts (alice, bob): say which one each program runs on\nhint: --host once per --run, in order, e.g. --host alice --run 'python3 a.py' --host bob --run 'python3 b.py'",
        ),
        (
            &["--lesson", "arp-basics", "--host", "carol", "--", "true"],
            "error: lesson `arp-basics` has no host `carol`\nhint: its hosts: alice, bob",
        ),
        (
            &[
                "--lesson",
                "arp-basics",
                "--host",
                "alice",
                "--host",
                "bob",
                "--host",
                "bob",
                "--run",
                "x",
                "--run",
                "y",
            ],
            "error: --host was given 3 times for 2 programs",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["trace"];
        all.extend_from_slice(args);
        let ran = netcourse(&all).run().code(2);
        assert!(ran.stderr.contains(expected), "{args:?}:\n{}", ran.stderr);
    }
    // --host means nothing without a lesson's hosts.
    let ran = netcourse(&["trace", "--host", "bob", "--", "true"])
        .run()
        .code(2);
    assert!(
        ran.stderr.contains("--lesson <NAME|PATH>"),
        "{}",
        ran.stderr
    );
}

#[test]
#[cfg_attr(missing_tshark, ignore = "tshark is not installed (CI installs it)")]
fn the_lessons_wire_drops_a_segment_and_the_retransmission_is_the_timers() {
    require("tshark");
    // tcp-loss's wire drops alice's second data segment: the client's
    // second question. Its kernel resends it on its retransmission timer,
    // while the program waits in recv: no call of the program sent it.
    let (t, pcapng) = dictionary("tcp-loss", "10.0.0.2", "trace-hosts-loss");
    assert_eq!(t["outcome"]["passed"], true, "{}", t["outcome"]);
    let frames = frames(&t);
    let dropped: Vec<&&Value> = frames
        .iter()
        .filter(|f| f["crossing"]["wire"] == "dropped by wire rule 1")
        .collect();
    assert_eq!(dropped.len(), 1);
    assert_eq!(dropped[0]["payload"], "b\"how old are u\"");
    let resent: Vec<&&Value> = frames
        .iter()
        .filter(|f| f["timer"]["kind"] == "retransmission")
        .collect();
    assert_eq!(resent.len(), 1);
    assert_eq!(resent[0]["timer"]["armed_by"], dropped[0]["index"]);
    assert!(resent[0]["timer"]["delay_ns"].as_u64().unwrap() >= 200_000_000);
    let note = resent[0]["notes"]["timing"].as_str().unwrap();
    assert!(note.contains("retransmission timer"), "{note}");
    assert!(!note.contains("that call put it on the wire"), "{note}");
    // tshark's TCP analysis flags the same frame, and only it.
    let rows = tshark_fields(&pcapng, &["tcp.analysis.retransmission"]);
    let flagged: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !r[0].is_empty())
        .map(|(i, _)| i)
        .collect();
    let ours: Vec<usize> = frames
        .iter()
        .enumerate()
        .filter(|(_, f)| f["timer"]["kind"] == "retransmission")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(flagged, ours);
}

#[test]
fn a_send_to_loopback_on_a_host_is_explained_not_lost() {
    // The tutorial's sender without --to sends to 127.0.0.1: alice's own
    // loopback. Nothing crosses the link, and the call's note says why.
    let (t, _) = trace(
        &[
            "--lesson",
            "arp-basics",
            "--host",
            "alice",
            "--",
            "python3",
            "udp_send.py",
        ],
        "trace-hosts-loopback",
    );
    assert_eq!(t["outcome"]["passed"], true, "{}", t["outcome"]);
    assert!(frames(&t).is_empty());
    let send = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["call"]["name"] == "sendto")
        .expect("sendto");
    let note = send["notes"]["semantics"].as_str().unwrap();
    assert!(
        note.contains("127.0.0.1 is alice's own loopback address: what goes there stays inside alice and crosses no link"),
        "{note}"
    );
}

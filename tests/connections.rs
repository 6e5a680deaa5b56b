//! Named connections, answer tables, loops and saved peers, run as a user
//! runs them: the binary with a JSON export, read back.

mod common;

use std::collections::HashMap;

use common::{call_of_step, frames, hex_to_bytes, run_json, scratch};
use serde_json::Value;

const LESSONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/lessons_conn");

fn port(addr: &Value) -> u16 {
    addr.as_str()
        .and_then(|a| a.rsplit_once(':'))
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or_else(|| panic!("not an address: {addr}"))
}

fn passed(t: &Value) {
    assert_eq!(t["outcome"]["passed"], true, "{}", t["outcome"]);
}

#[test]
fn every_frame_of_the_concurrent_server_is_on_the_connection_its_step_names() {
    let dir = scratch("conn-concurrent");
    let t = run_json("tcp-concurrent", &dir);
    passed(&t);
    let steps = t["steps"].as_array().unwrap();
    // Each name's client port, from the accept that named it.
    let mut client_port: HashMap<&str, u16> = HashMap::new();
    for s in steps.iter().filter(|s| s["call"] == "accept") {
        let name = s["connection"].as_str().expect("the accepts are named");
        let call = &call_of_step(&t, s["number"].as_u64().unwrap())["call"];
        assert_eq!(port(&call["local"]), 50007);
        client_port.insert(name, port(&call["peer"]));
    }
    assert_eq!(client_port.len(), 2);
    assert_ne!(client_port["alice"], client_port["bob"]);
    // The names match the clients: alice's connect came from alice's port.
    for (actor, name) in [("alice", "alice"), ("bob", "bob")] {
        let connect = steps
            .iter()
            .find(|s| s["actor"] == actor && s["call"] == "connect")
            .unwrap();
        let call = &call_of_step(&t, connect["number"].as_u64().unwrap())["call"];
        assert_eq!(port(&call["local"]), client_port[name]);
    }
    let all = frames(&t);
    let mut tied = 0;
    let mut open_at_once = false;
    for s in steps.iter().filter(|s| s["call"] != "accept") {
        let Some(name) = s["connection"].as_str() else {
            continue;
        };
        let number = s["number"].as_u64().unwrap();
        let call = &call_of_step(&t, number)["call"];
        assert_eq!(
            (port(&call["local"]), port(&call["peer"])),
            (50007, client_port[name]),
            "step {number} on `{name}`"
        );
        // Every frame this step caused is on that connection (a frame a
        // kernel timer sent belongs to no call).
        for f in all
            .iter()
            .filter(|f| f["step"] == number && f["timer"].is_null())
        {
            let mut ports = [
                f["port"]["src"].as_u64().unwrap() as u16,
                f["port"]["dst"].as_u64().unwrap() as u16,
            ];
            ports.sort();
            let mut want = [50007, client_port[name]];
            want.sort();
            assert_eq!(
                ports, want,
                "frame {} of step {number} on `{name}`",
                f["index"]
            );
            tied += 1;
        }
        // alice's and bob's requests are served while both are open.
        if name == "bob" && s["call"] == "recv" && !open_at_once {
            open_at_once = steps.iter().any(|o| {
                o["connection"] == "alice"
                    && o["call"] == "close"
                    && o["number"].as_u64() > Some(number)
            });
        }
    }
    assert!(tied >= 8, "only {tied} frames tied to a named connection");
    assert!(
        open_at_once,
        "bob's request is read while alice's connection is open"
    );
}

/// The reply a table computes: what the server's read before it returned.
fn answers(t: &Value) -> Vec<(Vec<u8>, Vec<u8>, String)> {
    let calls: Vec<&Value> = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "call")
        .collect();
    let mut out = Vec::new();
    for (i, c) in calls.iter().enumerate() {
        let call = &c["call"];
        if !call["args"].as_str().unwrap().contains("table.get(data") {
            continue;
        }
        let read = calls[..i]
            .iter()
            .rev()
            .find(|p| p["actor"] == c["actor"] && p["call"]["name"] == "recv")
            .expect("a read before the answer");
        out.push((
            hex_to_bytes(read["call"]["data_hex"].as_str().unwrap()),
            hex_to_bytes(call["data_hex"].as_str().unwrap()),
            call["result"].as_str().unwrap().to_string(),
        ));
    }
    out
}

#[test]
fn the_dictionary_answers_each_request_from_its_table() {
    let dir = scratch("conn-dictionary");
    let t = run_json("tcp-dictionary", &dir);
    passed(&t);
    let got = answers(&t);
    let pairs: Vec<(&[u8], &[u8])> = got
        .iter()
        .map(|(q, a, _)| (q.as_slice(), a.as_slice()))
        .collect();
    assert_eq!(
        pairs,
        [
            (&b"how are u"[..], &b"fine"[..]),
            (b"how old are u", b"nicai"),
            (b"what is your name", b"no"),
            (b"bye", b"no"),
        ]
    );
    // The transcript says which row chose each reply.
    assert!(
        got[0].2.contains("row 1 of the answer table"),
        "{}",
        got[0].2
    );
    assert!(
        got[1].2.contains("row 2 of the answer table"),
        "{}",
        got[1].2
    );
    assert!(got[2].2.contains("default"), "{}", got[2].2);
}

#[test]
fn until_ends_a_loop_early_and_its_later_steps_never_run() {
    let dir = scratch("conn-loop-until");
    let t = run_json(&format!("{LESSONS}/loop-until.yaml"), &dir);
    passed(&t);
    let calls: Vec<&Value> = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "call")
        .collect();
    // The third line is never sent: the loop ended after "bye".
    let sent: Vec<Vec<u8>> = calls
        .iter()
        .filter(|c| c["actor"] == "client" && c["call"]["name"] == "sendall")
        .map(|c| hex_to_bytes(c["call"]["data_hex"].as_str().unwrap()))
        .collect();
    assert_eq!(sent, [b"how are u".to_vec(), b"bye".to_vec()]);
    let results: Vec<&str> = calls
        .iter()
        .map(|c| c["call"]["result"].as_str().unwrap())
        .collect();
    assert!(
        results
            .iter()
            .any(|r| r.starts_with("3 bytes sent") && r.contains("`until` is met")),
        "{results:#?}"
    );
    // The server's read-until-eof loop ran once: its first read saw the end.
    let server_reads: Vec<&&Value> = calls
        .iter()
        .filter(|c| c["actor"] == "server" && c["call"]["name"] == "recv")
        .collect();
    assert_eq!(server_reads.len(), 3);
    let last = server_reads[2]["call"]["result"].as_str().unwrap();
    assert!(last.contains("`until: eof` is met"), "{last}");
    // Six planned steps never ran: the client loop's third iteration (four
    // with the answer's reply) and two of the server's loop.
    assert_eq!(calls.len(), t["steps"].as_array().unwrap().len() - 6);
}

#[test]
fn a_receiver_answers_two_senders_by_the_names_it_saved() {
    let dir = scratch("conn-udp-peers");
    let t = run_json(&format!("{LESSONS}/udp-peers.yaml"), &dir);
    passed(&t);
    let local_of = |actor: &str| {
        let c = t["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "call" && e["actor"] == actor)
            .unwrap();
        port(&c["call"]["local"])
    };
    let (alice, bob) = (local_of("alice"), local_of("bob"));
    let replies: Vec<(String, u16)> = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "call" && e["actor"] == "receiver")
        .filter(|e| e["call"]["name"] == "sendto")
        .map(|e| {
            (
                e["call"]["args"].as_str().unwrap().to_string(),
                port(&e["call"]["peer"]),
            )
        })
        .collect();
    assert_eq!(
        replies,
        [
            ("sendto(b\"hi bob\", second)".to_string(), bob),
            ("sendto(b\"hi alice\", first)".to_string(), alice),
        ]
    );
}

//! `netcourse run lesson udp-basics`, end to end, as root and as `nobody`.

mod common;
use common::*;

fn check_udp_transcript(json: &serde_json::Value) {
    assert_eq!(json["format"], "netcourse-transcript");
    assert_eq!(json["version"], 1);
    assert_eq!(json["complete"], true);
    assert_eq!(json["lesson"]["name"], "udp-basics");
    assert_eq!(json["network"]["interface"], "lo");
    assert_eq!(json["dropped"], 0);
    let events = json["events"].as_array().unwrap();
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["index"], i + 1);
        assert!(e["layer"].is_string(), "event {} has no layer", i + 1);
        for note in ["syntax", "semantics", "timing"] {
            assert!(
                !e["notes"][note].as_str().unwrap_or("").is_empty(),
                "event {} has no {note} note",
                i + 1
            );
        }
    }
    let frames: Vec<&serde_json::Value> = events.iter().filter(|e| e["kind"] == "frame").collect();
    let payloads: Vec<String> = frames
        .iter()
        .map(|f| f["payload"].as_str().unwrap_or("").to_string())
        .collect();
    // Every datagram exactly once, in order, with the payload as sent.
    assert_eq!(
        payloads,
        ["b\"hello\"", "b\"how are you?\"", "b\"quit\""],
        "frames: {frames:#?}"
    );
    // The sender's real ephemeral port: the one recvfrom reported.
    let recv = events
        .iter()
        .find(|e| e["kind"] == "call" && e["call"]["name"] == "recvfrom")
        .unwrap();
    let peer = recv["call"]["peer"].as_str().unwrap();
    let sender_port: u64 = peer.rsplit(':').next().unwrap().parse().unwrap();
    assert!(sender_port >= 1024 && sender_port != 5000);
    for f in &frames {
        assert_eq!(f["layer"], "transport");
        assert_eq!(f["mac"]["src"], "00:00:00:00:00:00");
        assert_eq!(f["mac"]["dst"], "00:00:00:00:00:00");
        assert_eq!(f["ip"]["src"], "127.0.0.1");
        assert_eq!(f["ip"]["dst"], "127.0.0.1");
        assert_eq!(f["port"]["dst"], 5000);
        assert_eq!(f["port"]["src"], sender_port);
        assert_eq!(f["actor"], "sender");
        assert_eq!(f["to"], "receiver");
        let data = hex_to_bytes(f["data_hex"].as_str().unwrap());
        assert_eq!(data.len() as u64, f["length"].as_u64().unwrap());
        let layers: Vec<&str> = f["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["protocol"].as_str().unwrap())
            .collect();
        assert_eq!(layers, ["Ethernet", "IPv4", "UDP", "Payload"]);
        // The loopback surprises are explained, not hidden.
        let semantics = f["notes"]["semantics"].as_str().unwrap();
        assert!(
            semantics.contains("no network card") || semantics.contains("not a network card"),
            "{semantics}"
        );
    }
    // The frames of a step come after its call, and are tied to that step.
    let send_steps: Vec<u64> = events
        .iter()
        .filter(|e| e["kind"] == "call" && e["call"]["name"] == "sendto")
        .map(|e| e["step"].as_u64().unwrap())
        .collect();
    let frame_steps: Vec<u64> = frames.iter().map(|f| f["step"].as_u64().unwrap()).collect();
    assert_eq!(send_steps, frame_steps);
}

#[test]
fn udp_basics_exports_every_datagram_once() {
    let dir = scratch("udp-json");
    let out = dir.join("t.json");
    let ran = netcourse(&[
        "run",
        "lesson",
        "udp-basics",
        "--export",
        out.to_str().unwrap(),
    ])
    .run()
    .ok();
    assert!(ran.stdout.contains("Step 1/9"), "{}", ran.stdout);
    assert!(ran.stdout.contains("lesson passed"), "{}", ran.stdout);
    check_udp_transcript(&read_json(&out));
}

#[test]
fn udp_basics_runs_as_an_ordinary_user() {
    if !is_root() || !have("setpriv") {
        // Already an ordinary user: the test above covers it.
        return;
    }
    let dir = scratch("udp-nobody");
    let out = dir.join("t.json");
    netcourse(&[
        "run",
        "lesson",
        "udp-basics",
        "--export",
        out.to_str().unwrap(),
    ])
    .by_nobody()
    .run()
    .ok();
    check_udp_transcript(&read_json(&out));
}

#[test]
#[cfg_attr(missing_tshark, ignore = "tshark is not installed (CI installs it)")]
fn our_fields_match_tshark() {
    require("tshark");
    let dir = scratch("udp-tshark");
    let out = dir.join("t.json");
    netcourse(&[
        "run",
        "lesson",
        "udp-basics",
        "--export",
        out.to_str().unwrap(),
    ])
    .run()
    .ok();
    let json = read_json(&out);
    let frames = frames(&json);
    let pcap = dir.join("t.pcap");
    write_frames_pcap(&pcap, &frames);
    let rows = tshark_fields(
        &pcap,
        &[
            "eth.src",
            "eth.dst",
            "ip.src",
            "ip.dst",
            "udp.srcport",
            "udp.dstport",
            "udp.length",
            "data.data",
        ],
    );
    assert_eq!(rows.len(), frames.len());
    for (row, f) in rows.iter().zip(&frames) {
        assert_eq!(row[0], f["mac"]["src"].as_str().unwrap());
        assert_eq!(row[1], f["mac"]["dst"].as_str().unwrap());
        assert_eq!(row[2], f["ip"]["src"].as_str().unwrap());
        assert_eq!(row[3], f["ip"]["dst"].as_str().unwrap());
        assert_eq!(row[4], f["port"]["src"].to_string());
        assert_eq!(row[5], f["port"]["dst"].to_string());
        let udp = f["layers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["protocol"] == "UDP")
            .unwrap();
        let length = udp["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == "length")
            .unwrap();
        assert!(
            length["value"].as_str().unwrap().starts_with(&row[6]),
            "udp.length {} vs {}",
            row[6],
            length["value"]
        );
    }
}

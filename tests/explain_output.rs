//! `netcourse explain` prints the same transcript whichever way it runs:
//! with exports (every note and the bytes kept) or without (events only
//! printed, without what brief and normal never show), at each level of
//! detail, on a capture of ordinary TCP traffic made here.

mod common;
#[path = "support/tcp_pcap.rs"]
mod tcp_pcap;

use common::{netcourse, scratch};

#[test]
fn explain_prints_the_same_with_and_without_exports() {
    let dir = scratch("explain-output");
    let file = dir.join("tcp.pcap");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    // Several connections with responses of a few segments: every phase of
    // a connection (handshake, data, ACKs, close) many times over.
    let made = tcp_pcap::write_with(&mut w, 150_000, (3_000, 12_000)).unwrap();
    drop(w);
    assert!(made.connections >= 10 && made.frames > 100);
    let path = file.to_str().unwrap();
    let json = dir.join("t.json");
    for detail in ["brief", "normal", "full"] {
        let printed = netcourse(&["explain", path, "--detail", detail])
            .run()
            .ok()
            .stdout;
        let exported = netcourse(&[
            "explain",
            path,
            "--detail",
            detail,
            "--export",
            json.to_str().unwrap(),
        ])
        .run()
        .ok()
        .stdout;
        assert_eq!(
            printed, exported,
            "--detail {detail}: explain printed differently with an export"
        );
        // Every frame, in order, then the count.
        let numbers: Vec<u64> = printed
            .lines()
            .filter_map(|l| l.strip_prefix('#'))
            .filter_map(|l| l.split_whitespace().next()?.parse().ok())
            .collect();
        assert_eq!(
            numbers,
            (1..=made.frames).collect::<Vec<_>>(),
            "--detail {detail}"
        );
        assert!(
            printed.contains(&format!("{} frames read from the file", made.frames)),
            "{printed}"
        );
    }
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let events = t["events"].as_array().unwrap();
    assert_eq!(events.len() as u64, made.frames);
    assert!(
        events
            .iter()
            .all(|e| e["data_hex"].as_str().is_some_and(|h| h.len() >= 108)),
        "an export keeps every frame's bytes"
    );
}

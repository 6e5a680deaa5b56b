//! `netcourse explain FILE`: capture files of every link type it reads,
//! made here from the real frames of a lesson run, explained, and checked
//! field by field against tshark reading the same file.

mod common;

use std::path::Path;

use common::*;

/// Real frames: a TCP lesson's and a UDP lesson's, from their pcapng export.
fn real_frames(dir: &Path) -> Vec<(u64, Vec<u8>)> {
    let mut frames = Vec::new();
    for lesson in ["tcp-basics", "udp-basics"] {
        let json = dir.join(format!("{lesson}.json"));
        netcourse(&[
            "run",
            "lesson",
            lesson,
            "-q",
            "--export",
            json.to_str().unwrap(),
        ])
        .run()
        .ok();
        let t = read_json(&json);
        for f in common::frames(&t) {
            frames.push((
                f["timestamp_ns"].as_u64().unwrap(),
                hex_to_bytes(f["data_hex"].as_str().unwrap()),
            ));
        }
    }
    frames
}

/// The same packets behind another link header.
fn relink(link: u32, eth: &[u8]) -> Vec<u8> {
    let ethertype = [eth[12], eth[13]];
    let ip = &eth[14..];
    let mut out = match link {
        1 => return eth.to_vec(),
        // SLL: packet type "unicast to us", ARPHRD_LOOPBACK, 6-byte address.
        113 => vec![
            0,
            0,
            3,
            4,
            0,
            6,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            ethertype[0],
            ethertype[1],
        ],
        // SLL2: protocol, reserved, ifindex 1, ARPHRD_LOOPBACK, outgoing.
        276 => vec![
            ethertype[0],
            ethertype[1],
            0,
            0,
            0,
            0,
            0,
            1,
            3,
            4,
            4,
            6,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
        ],
        0 => 2u32.to_le_bytes().to_vec(),
        108 => 2u32.to_be_bytes().to_vec(),
        101 => Vec::new(),
        _ => unreachable!(),
    };
    out.extend_from_slice(ip);
    out
}

/// A classic pcap, big- or little-endian, micro- or nanosecond stamps.
fn pcap(link: u32, frames: &[(u64, Vec<u8>)], big: bool, nanos: bool) -> Vec<u8> {
    let w32 = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let w16 = |v: u16| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut out = Vec::new();
    out.extend_from_slice(&w32(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
    out.extend_from_slice(&w16(2));
    out.extend_from_slice(&w16(4));
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&w32(262_144));
    out.extend_from_slice(&w32(link));
    for (ts, f) in frames {
        let f = relink(link, f);
        let frac = if nanos {
            ts % 1_000_000_000
        } else {
            ts % 1_000_000_000 / 1000
        };
        out.extend_from_slice(&w32((ts / 1_000_000_000) as u32));
        out.extend_from_slice(&w32(frac as u32));
        out.extend_from_slice(&w32(f.len() as u32));
        out.extend_from_slice(&w32(f.len() as u32));
        out.extend_from_slice(&f);
    }
    out
}

/// A pcapng with one interface of `link`, nanosecond stamps.
fn pcapng(link: u32, frames: &[(u64, Vec<u8>)]) -> Vec<u8> {
    fn block(kind: u32, body: &[u8]) -> Vec<u8> {
        let mut body = body.to_vec();
        while !body.len().is_multiple_of(4) {
            body.push(0);
        }
        let len = (body.len() + 12) as u32;
        let mut b = kind.to_le_bytes().to_vec();
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(&body);
        b.extend_from_slice(&len.to_le_bytes());
        b
    }
    let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&u64::MAX.to_le_bytes());
    let mut out = block(0x0a0d_0d0a, &shb);
    let mut idb = (link as u16).to_le_bytes().to_vec();
    idb.extend_from_slice(&[0, 0]);
    idb.extend_from_slice(&262_144u32.to_le_bytes());
    // if_tsresol = 9 (nanoseconds), then opt_endofopt.
    idb.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
    out.extend(block(1, &idb));
    for (ts, f) in frames {
        let f = relink(link, f);
        let mut epb = 0u32.to_le_bytes().to_vec();
        epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(*ts as u32).to_le_bytes());
        epb.extend_from_slice(&(f.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(f.len() as u32).to_le_bytes());
        epb.extend_from_slice(&f);
        out.extend(block(6, &epb));
    }
    out
}

fn explain(file: &Path, export: &Path) -> serde_json::Value {
    let ran = netcourse(&[
        "explain",
        file.to_str().unwrap(),
        "--export",
        export.to_str().unwrap(),
    ])
    .run()
    .ok();
    assert!(
        ran.stdout.contains("frames read from the file"),
        "{}",
        ran.stdout
    );
    read_json(export)
}

#[test]
#[cfg_attr(missing_tshark, ignore = "tshark is not installed (CI installs it)")]
fn every_link_type_agrees_with_tshark() {
    let dir = scratch("explain-links");
    let frames = real_frames(&dir);
    assert!(frames.len() > 10);
    let cases: Vec<(&str, u32, Vec<u8>)> = vec![
        ("eth.pcap", 1, pcap(1, &frames, false, false)),
        ("eth-be-ns.pcap", 1, pcap(1, &frames, true, true)),
        ("eth.pcapng", 1, pcapng(1, &frames)),
        ("sll.pcap", 113, pcap(113, &frames, false, true)),
        ("sll2.pcapng", 276, pcapng(276, &frames)),
        ("raw.pcap", 101, pcap(101, &frames, false, false)),
        ("null.pcap", 0, pcap(0, &frames, false, false)),
        ("loop.pcapng", 108, pcapng(108, &frames)),
    ];
    let fields = [
        "frame.time_epoch",
        "ip.src",
        "ip.dst",
        "tcp.srcport",
        "tcp.dstport",
        "udp.srcport",
        "udp.dstport",
        "tcp.seq",
        "tcp.ack",
        "tcp.seq_raw",
        "tcp.len",
        "frame.len",
    ];
    for (name, link, bytes) in cases {
        let file = dir.join(name);
        std::fs::write(&file, &bytes).unwrap();
        let t = explain(&file, &dir.join(format!("{name}.json")));
        let ours = common::frames(&t);
        let theirs = tshark_fields(&file, &fields);
        assert_eq!(ours.len(), theirs.len(), "{name}");
        for (i, (e, row)) in ours.iter().zip(&theirs).enumerate() {
            let at = format!("{name} frame {}", i + 1);
            assert!(e["stopped"].is_null(), "{at}: {}", e["stopped"]);
            let secs: f64 = row[0].parse().unwrap();
            let ts = e["timestamp_ns"].as_u64().unwrap();
            assert!(
                (ts as f64 / 1e9 - secs).abs() < 2e-6,
                "{at}: time {ts} vs tshark {secs}"
            );
            assert_eq!(e["ip"]["src"], row[1], "{at}");
            assert_eq!(e["ip"]["dst"], row[2], "{at}");
            let (sport, dport) = if row[3].is_empty() {
                (&row[5], &row[6])
            } else {
                (&row[3], &row[4])
            };
            assert_eq!(e["port"]["src"].to_string(), *sport, "{at}");
            assert_eq!(e["port"]["dst"].to_string(), *dport, "{at}");
            if !row[7].is_empty() {
                assert_eq!(e["tcp"]["seq_rel"].to_string(), row[7], "{at}");
                assert_eq!(e["tcp"]["ack_rel"].to_string(), row[8], "{at}");
                assert_eq!(e["tcp"]["seq"].to_string(), row[9], "{at}");
                assert_eq!(e["tcp"]["len"].to_string(), row[10], "{at}");
            }
            assert_eq!(e["length"].to_string(), row[11], "{at}");
        }
        // The link header is a layer of its own, with tshark's values.
        let first = ours[0];
        match link {
            113 | 276 => {
                let cooked = tshark_fields(&file, &["sll.pkttype", "sll.hatype", "sll.etype"]);
                let layer = &first["layers"][0];
                let value = |n: &str| {
                    layer["fields"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|f| f["name"] == n)
                        .unwrap()["value"]
                        .as_str()
                        .unwrap()
                        .to_string()
                };
                assert!(value("packet type").starts_with(&cooked[0][0]), "{name}");
                assert!(value("hardware type").starts_with(&cooked[0][1]), "{name}");
                assert!(value("protocol").starts_with(&cooked[0][2]), "{name}");
            }
            0 | 108 => {
                let fam = tshark_fields(&file, &["null.family"]);
                let v = first["layers"][0]["fields"][0]["value"].as_str().unwrap();
                assert!(v.starts_with(&fam[0][0]), "{name}: {v} vs {}", fam[0][0]);
            }
            _ => {}
        }
        // The pcapng export keeps the link type: tshark decodes it the same.
        let out = dir.join(format!("{name}.out.pcapng"));
        netcourse(&[
            "explain",
            file.to_str().unwrap(),
            "-q",
            "--export",
            out.to_str().unwrap(),
        ])
        .run()
        .ok();
        let again = tshark_fields(&out, &["ip.src", "tcp.seq_raw", "udp.dstport"]);
        let before = tshark_fields(&file, &["ip.src", "tcp.seq_raw", "udp.dstport"]);
        assert_eq!(again, before, "{name}: exported pcapng");
    }
}

#[test]
fn damaged_and_foreign_files_are_clear_errors() {
    let dir = scratch("explain-bad");
    let not = dir.join("notes.txt");
    std::fs::write(&not, "hello, not a capture").unwrap();
    let ran = netcourse(&["explain", not.to_str().unwrap()]).run().code(2);
    assert!(
        ran.stderr.contains("at byte 0: not a pcap or pcapng file"),
        "{}",
        ran.stderr
    );

    // A real capture cut in the middle of its last frame: the frames before
    // it are explained, then the error names the byte.
    let frames = vec![
        (1_000_000_000u64, relink_sample()),
        (2_000_000_000, relink_sample()),
    ];
    let mut bytes = pcap(1, &frames, false, false);
    bytes.truncate(bytes.len() - 5);
    let cut = dir.join("cut.pcap");
    std::fs::write(&cut, &bytes).unwrap();
    let ran = netcourse(&["explain", cut.to_str().unwrap()]).run();
    assert_ne!(ran.status, 0);
    assert!(ran.stdout.contains("#1 "), "{}", ran.stdout);
    assert!(ran.stderr.contains("cut short"), "{}", ran.stderr);
}

/// An Ethernet frame carrying a UDP datagram, made by hand.
fn relink_sample() -> Vec<u8> {
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(&[
        0x45, 0, 0, 30, 0, 1, 0x40, 0, 64, 17, 0x7c, 0xcd, 127, 0, 0, 1, 127, 0, 0, 1, 0x04, 0xd2,
        0x13, 0x88, 0, 10, 0, 0, b'h', b'i',
    ]);
    f
}

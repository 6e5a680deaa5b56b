//! `--net host`: beside a separate capture of the same `lo` (dumpcap), our
//! frames are byte-identical to what that capture saw — nothing lost,
//! invented or doubled.

mod common;
use common::*;

use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Raw bytes of every frame in a capture file, via tshark.
fn frames_in(path: &std::path::Path) -> Vec<String> {
    let out = Command::new("tshark").arg("-r").arg(path).args(["-T", "fields", "-e", "frame.len", "-x"]).output().unwrap();
    // `-x` prints a hex dump per frame; parse its hex columns back into bytes.
    let text = String::from_utf8_lossy(&out.stdout);
    let mut frames = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                frames.push(std::mem::take(&mut current));
            }
            continue;
        }
        // "0000  00 00 00 ...   ascii"
        let mut parts = line.splitn(2, "  ");
        let (Some(offset), Some(rest)) = (parts.next(), parts.next()) else { continue };
        if offset.len() != 4 || !offset.chars().all(|c| c.is_ascii_hexdigit()) {
            continue;
        }
        for tok in rest.split(' ').take_while(|t| !t.is_empty()) {
            if tok.len() == 2 && tok.chars().all(|c| c.is_ascii_hexdigit()) {
                current.push_str(tok);
            }
        }
    }
    if !current.is_empty() {
        frames.push(current);
    }
    frames
}

#[test]
fn host_mode_matches_a_separate_capture() {
    if !is_root() || !have("dumpcap") || !have("tshark") {
        eprintln!("needs root, dumpcap and tshark: skipped");
        return;
    }
    let dir = scratch("host");
    let pcap = dir.join("lo.pcapng");
    let mut dumpcap = Command::new("dumpcap").args(["-q", "-i", "lo", "-w"]).arg(&pcap).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    // Wait until dumpcap really captures: send probes until one is in its file.
    let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        probe.send_to(b"netcourse-probe", sink.local_addr().unwrap()).unwrap();
        if pcap.exists() && !frames_in(&pcap).is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "dumpcap never started capturing");
        std::thread::yield_now();
    }
    let out = dir.join("t.json");
    netcourse(&["run", "lesson", "tcp-basics", "--net", "host", "--quiet", "--export", out.to_str().unwrap()]).run().ok();
    // Stop dumpcap (SIGINT flushes its file).
    unsafe { libc::kill(dumpcap.id() as i32, libc::SIGINT) };
    dumpcap.wait().unwrap();

    let json = read_json(&out);
    let ours: Vec<String> = json["events"].as_array().unwrap().iter().filter(|e| e["kind"] == "frame").map(|e| e["data_hex"].as_str().unwrap().to_string()).collect();
    let theirs = frames_in(&pcap);
    // The lesson's frames in dumpcap's capture are those on port 50007.
    let port = format!("{:04x}", 50007);
    let theirs_lesson: Vec<&String> = theirs.iter().filter(|f| f.get(68..76).is_some_and(|ports| ports.contains(&port))).collect();
    assert_eq!(ours.len(), 23);
    assert_eq!(theirs_lesson.len(), ours.len(), "dumpcap saw {} lesson frames, we saw {}", theirs_lesson.len(), ours.len());
    for (a, b) in ours.iter().zip(theirs_lesson) {
        assert_eq!(a, b, "a frame differs from dumpcap's copy");
    }
}

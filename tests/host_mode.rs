//! `--net host`: beside a separate capture of the same `lo` (dumpcap), our
//! frames are byte-identical to what that capture saw — nothing lost,
//! invented or doubled.

mod common;
use common::*;

use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use pcap_file::pcapng::{Block, PcapNgReader};

/// Frames dumpcap writes to its stdout, as they come (it flushes every
/// packet when writing to a pipe).
fn dumpcap_frames() -> (std::process::Child, mpsc::Receiver<Vec<u8>>) {
    let mut child = Command::new("dumpcap")
        .args(["-q", "-i", "lo", "-w", "-"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let Ok(mut reader) = PcapNgReader::new(stdout) else {
            return;
        };
        while let Some(Ok(block)) = reader.next_block() {
            if let Block::EnhancedPacket(p) = block
                && tx.send(p.data.to_vec()).is_err()
            {
                return;
            }
        }
    });
    (child, rx)
}

/// Send a probe datagram until dumpcap shows it: proof it is capturing now.
fn sync(rx: &mpsc::Receiver<Vec<u8>>, tag: &[u8]) -> Vec<Vec<u8>> {
    let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut seen = Vec::new();
    for _ in 0..200 {
        probe.send_to(tag, sink.local_addr().unwrap()).unwrap();
        while let Ok(frame) = rx.recv_timeout(Duration::from_millis(50)) {
            if frame.ends_with(tag) {
                return seen;
            }
            seen.push(frame);
        }
    }
    panic!("dumpcap never showed the probe");
}

#[test]
fn host_mode_matches_a_separate_capture() {
    if !is_root() || !have("dumpcap") {
        eprintln!("needs root and dumpcap: skipped");
        return;
    }
    let (mut dumpcap, rx) = dumpcap_frames();
    sync(&rx, b"netcourse-probe-start");
    let dir = scratch("host");
    let out = dir.join("t.json");
    netcourse(&[
        "run",
        "lesson",
        "tcp-basics",
        "--net",
        "host",
        "--quiet",
        "--export",
        out.to_str().unwrap(),
    ])
    .run()
    .ok();
    let theirs = sync(&rx, b"netcourse-probe-end");
    unsafe { libc::kill(dumpcap.id() as i32, libc::SIGINT) };
    let _ = dumpcap.wait();

    let json = read_json(&out);
    let ours: Vec<Vec<u8>> = frames(&json)
        .into_iter()
        .map(|e| hex_to_bytes(e["data_hex"].as_str().unwrap()))
        .collect();
    // The lesson's frames in dumpcap's capture: TCP to or from port 50007.
    let port = 50007u16.to_be_bytes();
    let lesson: Vec<&Vec<u8>> = theirs
        .iter()
        .filter(|f| f.len() > 38 && f[23] == 6 && (f[34..36] == port || f[36..38] == port))
        .collect();
    assert_eq!(ours.len(), 23);
    assert_eq!(
        lesson.len(),
        ours.len(),
        "dumpcap saw {} lesson frames, we saw {}",
        lesson.len(),
        ours.len()
    );
    for (a, b) in ours.iter().zip(lesson) {
        assert_eq!(a, b, "a frame differs from dumpcap's copy");
    }
}

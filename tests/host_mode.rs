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
#[cfg_attr(
    missing_dumpcap,
    ignore = "dumpcap is not installed (CI installs it with tshark)"
)]
fn host_mode_matches_a_separate_capture() {
    let _lo = host_lo();
    if !needs_host_mode() {
        return;
    }
    require("dumpcap");
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
    assert_eq!(ours.len(), 16);
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

/// A lesson written for this test, in a scratch directory.
fn lesson(dir: &std::path::Path, yaml: &str) -> String {
    let path = dir.join("probe.yaml");
    std::fs::write(&path, yaml).unwrap();
    path.to_str().unwrap().to_string()
}

/// The host-mode tests share the machine's `lo`; one of them floods it.
/// They run one at a time, so none sees another's traffic as its own load.
static HOST_LO: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn host_lo() -> std::sync::MutexGuard<'static, ()> {
    HOST_LO.lock().unwrap_or_else(|e| e.into_inner())
}

fn needs_host_mode() -> bool {
    if !is_root() {
        eprintln!("`--net host` needs CAP_NET_RAW: skipped when not root (CI runs it as root)");
        return false;
    }
    true
}

/// Finding 1: a datagram to an actor that binds only later must not reach
/// whatever else holds that port on the machine now.
#[test]
fn host_mode_sends_only_to_the_lessons_own_sockets() {
    let _lo = host_lo();
    if !needs_host_mode() {
        return;
    }
    let other = UdpSocket::bind("127.0.0.1:0").unwrap();
    other.set_nonblocking(true).unwrap();
    let port = other.local_addr().unwrap().port();
    let dir = scratch("host-guard-udp");
    let file = lesson(
        &dir,
        &format!(
            "format: 1\nname: probe\ntitle: t\nsummary: s\nactors:\n  - {{name: victim, transport: udp, address: 127.0.0.1, port: {port}}}\n  - {{name: sender, transport: udp}}\nsteps:\n  - {{actor: sender, call: sendto, to: victim, text: secret}}\n  - {{actor: victim, call: bind}}\n"
        ),
    );
    let ran = netcourse(&["run", "lesson", &file, "--net", "host"])
        .run()
        .code(1);
    assert!(
        ran.stderr.contains(&format!(
            "none of them holds UDP 127.0.0.1:{port} at this step"
        )),
        "{}",
        ran.stderr
    );
    let mut buf = [0u8; 64];
    assert!(
        other.recv_from(&mut buf).is_err(),
        "the other program's socket received the lesson's datagram"
    );
}

/// Finding 1, TCP: a connect that expects `refused` must not complete a
/// handshake with another program's listener.
#[test]
fn host_mode_connects_only_to_the_lessons_own_listeners() {
    let _lo = host_lo();
    if !needs_host_mode() {
        return;
    }
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    other.set_nonblocking(true).unwrap();
    let port = other.local_addr().unwrap().port();
    let dir = scratch("host-guard-tcp");
    let file = lesson(
        &dir,
        &format!(
            "format: 1\nname: probe\ntitle: t\nsummary: s\nactors:\n  - {{name: server, transport: tcp, address: 127.0.0.1, port: {port}}}\n  - {{name: client, transport: tcp}}\nsteps:\n  - {{actor: client, call: connect, to: server, expect: {{error: refused}}}}\n  - {{actor: server, call: bind}}\n"
        ),
    );
    let ran = netcourse(&["run", "lesson", &file, "--net", "host"])
        .run()
        .code(1);
    assert!(
        ran.stderr.contains(&format!(
            "none of them holds TCP 127.0.0.1:{port} at this step"
        )),
        "{}",
        ran.stderr
    );
    assert!(
        other.accept().is_err(),
        "the other program's listener got a connection from the lesson"
    );
}

/// Finding 2: another program's TCP on the port number of a UDP actor is
/// not captured; the transcript counts what it left out.
#[test]
fn host_mode_keeps_only_the_lessons_frames() {
    let _lo = host_lo();
    if !needs_host_mode() {
        return;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = scratch("host-filter");
    let out = dir.join("t.json");
    let file = lesson(
        &dir,
        &format!(
            "format: 1\nname: probe\ntitle: t\nsummary: s\nactors:\n  - {{name: receiver, transport: udp, address: 127.0.0.1, port: {port}}}\n  - {{name: sender, transport: udp}}\nsteps:\n  - {{actor: receiver, call: bind}}\n  - {{actor: sender, call: sendto, to: receiver, text: hi}}\n  - {{actor: receiver, call: recvfrom, expect: {{text: hi}}}}\n  - {{actor: receiver, call: recvfrom, timeout_ms: 300, expect: {{error: timeout}}}}\n"
        ),
    );
    // Another program talks TCP to its own server on the same port number
    // for as long as the lesson runs.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let talker = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            use std::io::{Read, Write};
            let mut sent = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
                let (mut s, _) = listener.accept().unwrap();
                c.write_all(b"AUTH password123\r\n").unwrap();
                let mut buf = [0u8; 64];
                let _ = s.read(&mut buf).unwrap();
                sent += 1;
            }
            sent
        })
    };
    netcourse(&[
        "run",
        "lesson",
        &file,
        "--net",
        "host",
        "--export",
        out.to_str().unwrap(),
    ])
    .run()
    .ok();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let sent = talker.join().unwrap();
    assert!(sent > 0, "the other program never talked during the lesson");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        !text.contains(
            &"password123"
                .bytes()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ),
        "another program's payload reached the transcript"
    );
    let json = read_json(&out);
    for f in frames(&json) {
        assert_eq!(
            f["layers"][2]["protocol"].as_str().unwrap(),
            "UDP",
            "a frame that is not the lesson's UDP: {f}"
        );
    }
    assert_eq!(frames(&json).len(), 1, "only the lesson's one datagram");
    let left_out = json["network"]["left_out"].as_u64().unwrap();
    assert!(left_out > 0, "the other program's frames were not counted");
}

/// Finding 3: a run that stops half-way leaves no port of the lesson in
/// TIME-WAIT, so the next `--net host` run can bind it at once.
#[test]
fn host_mode_failed_run_leaves_no_port_blocked() {
    let _lo = host_lo();
    if !needs_host_mode() {
        return;
    }
    // A free port, released again for the lesson.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = scratch("host-abort");
    let file = lesson(
        &dir,
        &format!(
            "format: 1\nname: probe\ntitle: t\nsummary: s\nactors:\n  - {{name: server, transport: tcp, address: 127.0.0.1, port: {port}}}\n  - {{name: client, transport: tcp}}\nsteps:\n  - {{actor: server, call: bind}}\n  - {{actor: server, call: listen}}\n  - {{actor: client, call: connect, to: server}}\n  - {{actor: server, call: accept}}\n  - {{actor: server, call: close}}\n  - {{actor: client, call: send, text: x}}\n  - {{actor: server, call: recv, expect: {{text: y}}}}\n"
        ),
    );
    for run in 0..2 {
        let ran = netcourse(&["run", "lesson", &file, "--net", "host"]).run();
        assert_eq!(ran.status, 1, "run {run}: {}", ran.stderr);
        assert!(
            !ran.stderr.contains("EADDRINUSE"),
            "run {run}: the port stayed blocked: {}",
            ran.stderr
        );
    }
}

/// Finding 3: under a loopback flood the run completes or stops, and its
/// transcript carries the kernel's drop count either way.
#[test]
fn host_mode_flood_reports_drops() {
    let _lo = host_lo();
    if !needs_host_mode() {
        return;
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let flooders: Vec<_> = (0..2)
        .map(|_| {
            let stop = stop.clone();
            let sent = sent.clone();
            std::thread::spawn(move || {
                let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
                let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
                tx.connect(sink.local_addr().unwrap()).unwrap();
                let data = [0u8; 1200];
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let _ = tx.send(&data);
                    sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            })
        })
        .collect();
    // The flood is on before the lesson starts.
    while sent.load(std::sync::atomic::Ordering::Relaxed) < 10_000 {
        std::thread::yield_now();
    }
    let dir = scratch("host-flood");
    let out = dir.join("t.json");
    let ran = netcourse(&[
        "run",
        "lesson",
        "udp-basics",
        "--net",
        "host",
        "--quiet",
        "--export",
        out.to_str().unwrap(),
    ])
    .dir(&dir)
    .run();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for f in flooders {
        f.join().unwrap();
    }
    let json = read_json(&out);
    assert!(json["dropped"].is_u64());
    assert!(json["network"]["left_out"].is_u64());
    if ran.status == 0 {
        assert_eq!(json["complete"], true);
    } else {
        assert_eq!(ran.status, 2, "{}", ran.stderr);
        assert_eq!(json["complete"], false);
        let why = json["outcome"]["failure"].as_str().unwrap();
        assert!(why.contains("dropped by the kernel"), "{why}");
    }
}

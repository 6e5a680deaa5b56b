//! How fast the wire forwards full-size frames: 200 MB of TCP from one host
//! to another over a 1500-MTU link, every frame read, logged and written by
//! the wire's thread. Goal (issue 11): at least 200 MB/s of frames.
//! Run with `cargo bench --bench wire_rate`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Instant;

use netcourse::wire::{Fate, HostSpec, InterfaceSpec, Network, Topology};

const BYTES: usize = 200 * 1000 * 1000;

fn host(name: &str, addr: &str) -> HostSpec {
    HostSpec {
        name: name.into(),
        interfaces: vec![InterfaceSpec {
            name: "eth0".into(),
            link: 0,
            addresses: vec![addr.parse().unwrap()],
            mtu: 1500,
        }],
        routes: vec![],
        forwarding: false,
    }
}

fn main() {
    netcourse::live::sandbox::enter().expect("sandbox");
    let topology = Topology {
        hosts: vec![host("alice", "10.0.0.1/24"), host("bob", "10.0.0.2/24")],
        links: vec!["lan".into()],
    };
    let mut net = Network::build(&topology).expect("network");
    let wire = net.start(vec![]).expect("wire");
    let listener = net
        .host("bob")
        .unwrap()
        .run(|| TcpListener::bind("10.0.0.2:9000"))
        .unwrap();
    let alice = net.host("alice").unwrap();
    let mut client = alice.run(|| TcpStream::connect("10.0.0.2:9000")).unwrap();
    let (mut server, _) = listener.accept().unwrap();
    let start = Instant::now();
    let reader = std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 20];
        let mut total = 0;
        while total < BYTES {
            let n = server.read(&mut buf).unwrap();
            assert!(n > 0);
            total += n;
        }
    });
    let chunk = vec![0x42u8; 1 << 20];
    let mut sent = 0;
    let (mut frames, mut frame_bytes, mut dropped, mut biggest) = (0u64, 0u64, 0u64, 0usize);
    while sent < BYTES {
        client
            .write_all(&chunk[..(BYTES - sent).min(chunk.len())])
            .unwrap();
        sent += chunk.len().min(BYTES - sent);
        // The log is the consumer's to empty, as a run does after each step.
        for f in wire.take_frames() {
            frames += 1;
            frame_bytes += f.data.len() as u64;
            biggest = biggest.max(f.data.len());
            if !matches!(f.fate, Fate::Delivered(_)) {
                dropped += 1;
            }
        }
    }
    reader.join().unwrap();
    let elapsed = start.elapsed().as_secs_f64();
    let wire_cpu = wire_thread_cpu_seconds();
    let report = wire.sync(std::time::Duration::from_secs(2)).unwrap();
    for f in wire.take_frames() {
        frames += 1;
        frame_bytes += f.data.len() as u64;
        biggest = biggest.max(f.data.len());
    }
    println!(
        "wire: {} MB of TCP data in {:.3} s: {frames} frames (largest {biggest} bytes), {:.0} MB/s of frames, {:.0} frames/s; kernel drops {}, wire drops {dropped}",
        BYTES / 1_000_000,
        elapsed,
        frame_bytes as f64 / elapsed / 1e6,
        frames as f64 / elapsed,
        report.kernel_drops,
    );
    // The machine is shared: the wall-clock rate depends on what else runs.
    // The wire thread's own CPU time says what one idle core would carry.
    if let Some(cpu) = wire_cpu {
        println!(
            "wire thread: {:.3} s on a CPU: {:.0} MB/s, {:.0} frames/s per CPU-second",
            cpu,
            frame_bytes as f64 / cpu / 1e6,
            frames as f64 / cpu
        );
    }
}

/// Time the wire's thread has run on a CPU (schedstat, ns), in seconds.
fn wire_thread_cpu_seconds() -> Option<f64> {
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let path = task.ok()?.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if comm.trim() == "netcourse-wire" {
            let stat = std::fs::read_to_string(path.join("schedstat")).ok()?;
            let ns: f64 = stat.split_whitespace().next()?.parse().ok()?;
            return Some(ns / 1e9);
        }
    }
    None
}

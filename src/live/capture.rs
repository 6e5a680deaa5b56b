//! Frames off `lo`, each exactly once, at full length, with the kernel's
//! receive timestamp — read through pnet's datalink channel on a packet
//! socket we configure ourselves.
//!
//! Draining without sleeping: after each step we send a small marker datagram
//! between two sockets of our own. Loopback delivery is ordered, so once the
//! capture has seen the marker, every frame the step caused has been read.
//! Marker frames never reach the transcript.

use std::io;
use std::net::{Ipv4Addr, UdpSocket};
use std::time::{Duration, Instant};

use pnet_datalink::{Channel, DataLinkReceiver};

use crate::error::Error;
use crate::packet::{PACKET_IGNORE_OUTGOING, set_int};

/// Larger than any frame `lo` can carry (MTU 65536 plus headers, or a GSO
/// super-frame), so nothing is silently cut short.
const READ_BUFFER: usize = 256 * 1024;
/// Kernel-side queue for the packet socket, so a burst is not dropped.
const SOCKET_BUFFER: libc::c_int = 4 * 1024 * 1024;
const MARKER_MAGIC: &[u8] = b"netcourse-marker:";

#[derive(Debug, Clone)]
pub struct CapturedFrame {
    pub data: Vec<u8>,
    /// Kernel receive time, nanoseconds since the Unix epoch.
    pub timestamp_ns: u64,
    /// On the lesson's own network: the link it crossed (`None` on `lo`).
    pub crossing: Option<crate::wire::Crossing>,
}

pub struct Capture {
    rx: Box<dyn DataLinkReceiver>,
    fd: libc::c_int,
    marker_tx: UdpSocket,
    marker_rx: UdpSocket,
    marker_seq: u64,
    dropped: u64,
    /// Frames a `drain_keeping` filter left out (another program's).
    left_out: u64,
    /// Frames read past a marker that belong to the next drain (none on an
    /// ordered loopback, kept for safety).
    pending: Vec<CapturedFrame>,
    /// The last drain's marker carried a kernel timestamp from before it
    /// was read (see `wait_for_timestamps`).
    marker_stamped: bool,
}

impl Drop for Capture {
    /// Closing a packet socket waits for an RCU grace period in the kernel
    /// (synchronize_net: 5–10 ms, a third of a whole lesson). A child process
    /// that holds nothing but a copy of the socket takes the last reference
    /// and pays that wait after we are gone; our own close is then instant.
    fn drop(&mut self) {
        // SAFETY: the child calls only async-signal-safe functions (syscalls
        // and _exit), so forking here is sound even with other threads.
        unsafe {
            if libc::fork() == 0 {
                // Keep no pipe open: whoever reads our output must see EOF
                // when we exit, not when the child does.
                let fd = self.fd as libc::c_uint;
                let below = if fd > 0 {
                    libc::syscall(libc::SYS_close_range, 0u32, fd - 1, 0u32)
                } else {
                    0
                };
                let above = libc::syscall(libc::SYS_close_range, fd + 1, u32::MAX, 0u32);
                if below != 0 || above != 0 {
                    // Before Linux 5.9: one by one.
                    for other in 0..1024 {
                        if other != self.fd {
                            libc::close(other);
                        }
                    }
                }
                libc::_exit(0);
            }
        }
    }
}

fn capture_error(what: &str, e: io::Error) -> Error {
    let hint = if e.raw_os_error() == Some(libc::EPERM) {
        "capturing needs CAP_NET_RAW: use the default `--net sandbox`, run with sudo, or grant it with `sudo setcap cap_net_raw+ep $(command -v netcourse)`".to_string()
    } else {
        "run `netcourse run lesson udp-basics` in the default sandbox mode; if that fails too, please report it".to_string()
    };
    Error::Capture {
        what: what.into(),
        reason: e.to_string(),
        hint,
    }
}

impl Capture {
    /// Open the capture on `interface` and prove it is listening: returns only
    /// after a first marker went through.
    /// With `host`, the kernel hands us only frames that may be the lesson's
    /// (see `keep_ports`): on a shared `lo`, another program's flood then
    /// costs us nothing and cannot push our frames out of the queue.
    pub fn start(interface: &str, host: bool) -> Result<Capture, Error> {
        // Protocol 0: the socket receives nothing until pnet binds it to `lo`
        // with ETH_P_ALL. Opening it with ETH_P_ALL would make that bind
        // unhook a running socket first, which waits for an RCU grace period
        // (synchronize_net, ~10 ms).
        // SAFETY: plain socket(2) call; the fd is handed to pnet, which owns it.
        let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(capture_error(
                "opening a packet socket",
                io::Error::last_os_error(),
            ));
        }
        // Loopback hands every frame to packet sockets twice, once leaving and
        // once arriving; keep only the arriving copy, as libpcap does.
        set_int(fd, libc::SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
            .map_err(|e| capture_error("ignoring outgoing copies", e))?;
        // Not fatal: without root the default size is used.
        if set_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, SOCKET_BUFFER).is_err() {
            let _ = set_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, SOCKET_BUFFER);
        }
        // Asking once turns on kernel receive timestamps for this socket;
        // later asks return the timestamp of the last frame read.
        let _ = last_timestamp(fd);

        let iface = pnet_datalink::interfaces()
            .into_iter()
            .find(|i| i.name == interface)
            .ok_or_else(|| Error::Capture {
                what: format!("finding interface `{interface}`"),
                reason: "no such interface".into(),
                hint: "the sandbox always has `lo`; in `--net host` mode check `ip link`".into(),
            })?;
        let config = pnet_datalink::Config {
            read_buffer_size: READ_BUFFER,
            read_timeout: Some(Duration::from_millis(100)),
            promiscuous: false,
            socket_fd: Some(fd),
            ..Default::default()
        };
        let rx = match pnet_datalink::channel(&iface, config) {
            Ok(Channel::Ethernet(_tx, rx)) => rx,
            Ok(_) => {
                return Err(capture_error(
                    "opening the capture",
                    io::Error::other("pnet returned an unknown channel type"),
                ));
            }
            Err(e) => {
                return Err(capture_error(
                    "binding the packet socket to the interface",
                    e,
                ));
            }
        };

        let marker_rx = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|e| capture_error("opening the marker socket", e))?;
        let marker_tx = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|e| capture_error("opening the marker socket", e))?;
        marker_tx
            .connect(
                marker_rx
                    .local_addr()
                    .map_err(|e| capture_error("marker address", e))?,
            )
            .map_err(|e| capture_error("connecting the marker socket", e))?;
        marker_rx
            .set_nonblocking(true)
            .map_err(|e| capture_error("marker socket", e))?;

        if host {
            let (tx, rx) = (
                marker_tx.local_addr().map(|a| a.port()).unwrap_or(0),
                marker_rx.local_addr().map(|a| a.port()).unwrap_or(0),
            );
            attach_port_filter(fd, &[tx, rx])
                .map_err(|e| capture_error("filtering the capture", e))?;
        }
        let mut capture = Capture {
            rx,
            fd,
            marker_tx,
            marker_rx,
            marker_seq: 0,
            dropped: 0,
            left_out: 0,
            pending: Vec::new(),
            marker_stamped: false,
        };
        // Its drains also throw away whatever arrived before the socket was
        // bound to `lo`: that is not ours.
        capture.wait_for_timestamps(Duration::from_millis(250))?;
        capture.dropped = 0;
        let _ = capture.take_drop_count();
        Ok(capture)
    }

    /// The kernel turns receive timestamps on for the whole system in a
    /// deferred work item (it patches a static key), so for a moment after
    /// the first ask frames carry no timestamp, and SIOCGSTAMPNS then answers
    /// with the time of the ask: the read time, not the arrival time. A step
    /// that waits would show its frames late. Wait, with a bound, until a
    /// marker comes back stamped before it was read. Returns whether it did.
    fn wait_for_timestamps(&mut self, bound: Duration) -> Result<bool, Error> {
        let deadline = Instant::now() + bound;
        loop {
            self.drain(Duration::from_secs(2))?;
            if self.marker_stamped {
                return Ok(true);
            }
            if Instant::now() >= deadline {
                return Ok(false);
            }
            // Let the kernel's worker run.
            std::thread::yield_now();
        }
    }

    /// `--net host`: from now on the kernel passes only TCP and UDP frames
    /// to or from one of `ports` (the lesson's and our markers'), and ICMP
    /// errors. Every frame of the lesson has at least one end that was bound
    /// before the call that sent it (the receiver's, or the listener's), so
    /// none is lost; the exact both-ends rule is applied on what comes in.
    pub fn keep_ports(&mut self, ports: &[u16]) -> Result<(), Error> {
        let (tx, rx) = self.marker_ports();
        let mut all = vec![tx, rx];
        all.extend_from_slice(ports);
        all.sort_unstable();
        all.dedup();
        attach_port_filter(self.fd, &all).map_err(|e| capture_error("filtering the capture", e))
    }

    /// The ports our marker datagrams use, so a host-mode filter can skip them.
    pub fn marker_ports(&self) -> (u16, u16) {
        let tx = self.marker_tx.local_addr().map(|a| a.port()).unwrap_or(0);
        let rx = self.marker_rx.local_addr().map(|a| a.port()).unwrap_or(0);
        (tx, rx)
    }

    /// Wait until a frame can be read or `deadline` passes (poll(2) on the
    /// packet socket: wakes the moment a frame arrives). Returns whether one
    /// can.
    pub fn wait_readable(&mut self, deadline: Instant) -> Result<bool, Error> {
        if !self.pending.is_empty() {
            return Ok(true);
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let mut pfd = libc::pollfd {
                fd: self.fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // Round up: poll's unit is a millisecond, and waking early would
            // only mean polling again.
            let ms = left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
            // SAFETY: one valid pollfd.
            let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
            if rc > 0 {
                return Ok(true);
            }
            if rc < 0 {
                let e = io::Error::last_os_error();
                // A signal (Ctrl-C) ends the wait; the caller stops.
                if e.kind() == io::ErrorKind::Interrupted {
                    return Ok(false);
                }
                return Err(capture_error("waiting for a frame", e));
            }
            if Instant::now() >= deadline {
                return Ok(false);
            }
        }
    }

    /// Every frame seen since the last drain, in order. Sends a marker and
    /// reads until it comes back, waiting at most `bound`.
    pub fn drain(&mut self, bound: Duration) -> Result<Vec<CapturedFrame>, Error> {
        self.drain_keeping(bound, &|_| true)
    }

    /// `drain`, keeping only the frames `keep` accepts; the others are
    /// counted (`left_out`) and their bytes forgotten at once.
    pub fn drain_keeping(
        &mut self,
        bound: Duration,
        keep: &dyn Fn(&[u8]) -> bool,
    ) -> Result<Vec<CapturedFrame>, Error> {
        self.send_marker()?;

        let deadline = Instant::now() + bound;
        let mut frames = std::mem::take(&mut self.pending);
        let (tx_port, rx_port) = self.marker_ports();
        // Any marker from this one on ends the drain: under a flood the
        // kernel may drop the marker's frame with the others, and then a new
        // marker (sent when drops are seen) is what comes back.
        let first_seq = self.marker_seq;
        let mut last_drop_check = Instant::now();
        loop {
            match self.rx.next() {
                Ok(data) => {
                    let data = data.to_vec();
                    let read_at = now_ns();
                    let stamp = last_timestamp(self.fd);
                    let timestamp_ns = stamp.unwrap_or(read_at);
                    if let Some(seq) = marker_seq(&data, tx_port, rx_port) {
                        if seq >= first_seq {
                            // Without a kernel stamp the ioctl answers with
                            // the time of asking, which is after `read_at`.
                            self.marker_stamped = stamp.is_some_and(|ts| ts < read_at);
                            break;
                        }
                        continue; // an older marker
                    }
                    if keep(&data) {
                        frames.push(CapturedFrame {
                            data,
                            timestamp_ns,
                            crossing: None,
                        });
                    } else {
                        self.left_out += 1;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.dropped += self.take_drop_count();
                    return Err(capture_error("reading a frame", e));
                }
            }
            // If the kernel dropped frames, our marker may have been one of
            // them: send another (checked every 20 ms, frames or not).
            if last_drop_check.elapsed() >= Duration::from_millis(20) {
                last_drop_check = Instant::now();
                let drops = self.take_drop_count();
                if drops > 0 {
                    self.dropped += drops;
                    self.send_marker()?;
                }
            }
            if Instant::now() >= deadline {
                self.dropped += self.take_drop_count();
                return Err(Error::Capture {
                    what: "waiting for the end of a step".into(),
                    reason: format!(
                        "the drain marker did not come back within {} ms ({} dropped by the kernel so far)",
                        bound.as_millis(),
                        self.dropped
                    ),
                    hint: "the machine may be overloaded; run the lesson again".into(),
                });
            }
        }
        // The marker datagrams pile up in our sink socket; empty it.
        let mut sink = [0u8; 64];
        while self.marker_rx.recv(&mut sink).is_ok() {}
        self.dropped += self.take_drop_count();
        Ok(frames)
    }

    fn send_marker(&mut self) -> Result<(), Error> {
        self.marker_seq += 1;
        let mut marker = MARKER_MAGIC.to_vec();
        marker.extend_from_slice(self.marker_seq.to_string().as_bytes());
        self.marker_tx
            .send(&marker)
            .map_err(|e| capture_error("sending the drain marker", e))?;
        Ok(())
    }

    /// Frames `drain_keeping` left out, since start.
    pub fn left_out(&self) -> u64 {
        self.left_out
    }

    /// Frames the kernel dropped because our queue was full, since start.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    fn take_drop_count(&self) -> u64 {
        crate::packet::take_drops(self.fd)
    }
}

/// The sequence number of a marker frame (IPv4/UDP between our two ports).
fn marker_seq(frame: &[u8], tx_port: u16, rx_port: u16) -> Option<u64> {
    let eth_type = u16::from_be_bytes([*frame.get(12)?, *frame.get(13)?]);
    if eth_type != 0x0800 {
        return None;
    }
    let ip = frame.get(14..)?;
    let ihl = usize::from(ip.first()? & 0x0f) * 4;
    if *ip.get(9)? != 17 {
        return None;
    }
    let udp = ip.get(ihl..)?;
    let src = u16::from_be_bytes([*udp.first()?, *udp.get(1)?]);
    let dst = u16::from_be_bytes([*udp.get(2)?, *udp.get(3)?]);
    if src != tx_port || dst != rx_port {
        return None;
    }
    let payload = udp.get(8..)?;
    std::str::from_utf8(payload.strip_prefix(MARKER_MAGIC)?)
        .ok()?
        .parse()
        .ok()
}

/// A classic BPF program: accept an IPv4 or IPv6 (no extension header)
/// TCP or UDP frame with either port in `ports`, and every ICMP/ICMPv6 frame;
/// drop the rest. cBPF jumps only forward, at most 255 instructions: more
/// than `MAX_FILTER_PORTS` ports gives a program that accepts everything.
fn port_filter(ports: &[u16]) -> Vec<libc::sock_filter> {
    const LD_H_ABS: u16 = 0x28; // BPF_LD | BPF_H | BPF_ABS
    const LD_B_ABS: u16 = 0x30; // BPF_LD | BPF_B | BPF_ABS
    const LD_H_IND: u16 = 0x48; // BPF_LD | BPF_H | BPF_IND
    const LD_IMM: u16 = 0x00; // BPF_LD | BPF_W | BPF_IMM
    const LDX_MSH: u16 = 0xb1; // BPF_LDX | BPF_B | BPF_MSH: X = 4 * (P[k] & 0xf)
    const ADD_X: u16 = 0x0c; // BPF_ALU | BPF_ADD | BPF_X
    const TAX: u16 = 0x07; // BPF_MISC | BPF_TAX
    const JA: u16 = 0x05; // BPF_JMP | BPF_JA
    const JEQ: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
    const RET: u16 = 0x06; // BPF_RET | BPF_K
    let op = |code, k| libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    };
    if ports.len() > MAX_FILTER_PORTS {
        return vec![op(RET, u32::MAX)];
    }
    let n = ports.len();
    // Labels, by index: see the layout below.
    let (v4, v4x, v6, v6x, port_checks) = (4, 9, 14, 19, 21);
    let accept = port_checks + 2 * (1 + n) + 1;
    let mut prog = vec![
        op(LD_H_ABS, 12), // 0: EtherType
        op(JEQ, 0x0800),  // 1: IPv4 → v4
        op(JEQ, 0x86dd),  // 2: IPv6 → v6
        op(RET, 0),       // 3: anything else: drop
        op(LD_B_ABS, 23), // 4 v4: protocol
        op(JEQ, 1),       // 5: ICMP → accept
        op(JEQ, 6),       // 6: TCP → v4x
        op(JEQ, 17),      // 7: UDP → v4x
        op(RET, 0),       // 8
        op(LDX_MSH, 14),  // 9 v4x: X = IPv4 header length
        op(LD_IMM, 14),   // 10
        op(ADD_X, 0),     // 11: A = 14 + header length
        op(TAX, 0),       // 12: X = start of the transport header
        op(JA, 0),        // 13: → port checks
        op(LD_B_ABS, 20), // 14 v6: next header
        op(JEQ, 58),      // 15: ICMPv6 → accept
        op(JEQ, 6),       // 16: TCP → v6x
        op(JEQ, 17),      // 17: UDP → v6x
        op(RET, 0),       // 18
        op(LD_IMM, 54),   // 19 v6x: 14 + 40
        op(TAX, 0),       // 20
    ];
    for at in [0u32, 2] {
        prog.push(op(LD_H_IND, at)); // source port, then destination port
        prog.extend(ports.iter().map(|&p| op(JEQ, u32::from(p))));
    }
    prog.push(op(RET, 0)); // no port of ours: drop
    prog.push(op(RET, u32::MAX)); // accept: the whole frame
    debug_assert_eq!(prog.len(), accept + 1);
    let rel = |from: usize, to: usize| (to - from - 1) as u8;
    prog[1].jt = rel(1, v4);
    prog[2].jt = rel(2, v6);
    prog[5].jt = rel(5, accept);
    prog[6].jt = rel(6, v4x);
    prog[7].jt = rel(7, v4x);
    prog[13].k = (port_checks - 13 - 1) as u32;
    prog[15].jt = rel(15, accept);
    prog[16].jt = rel(16, v6x);
    prog[17].jt = rel(17, v6x);
    for load in [port_checks, port_checks + 1 + n] {
        for i in 1..=n {
            prog[load + i].jt = rel(load + i, accept);
        }
    }
    prog
}

/// Keeps every jump of `port_filter` within cBPF's 255.
const MAX_FILTER_PORTS: usize = 100;

fn attach_port_filter(fd: libc::c_int, ports: &[u16]) -> io::Result<()> {
    let prog = port_filter(ports);
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: the kernel copies the program during the call.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            (&fprog as *const libc::sock_fprog).cast(),
            std::mem::size_of::<libc::sock_fprog>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// SIOCGSTAMPNS: the kernel's receive time of the last frame read.
fn last_timestamp(fd: libc::c_int) -> Option<u64> {
    const SIOCGSTAMPNS: libc::c_ulong = 0x8907;
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: SIOCGSTAMPNS writes one timespec.
    let rc = unsafe { libc::ioctl(fd, SIOCGSTAMPNS, &mut ts) };
    if rc != 0 || ts.tv_sec <= 0 {
        return None;
    }
    Some(ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

pub fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run a cBPF program the way the kernel does (the subset we emit).
    fn run(prog: &[libc::sock_filter], pkt: &[u8]) -> u32 {
        let (mut a, mut x, mut pc) = (0u32, 0u32, 0usize);
        let half = |at: usize| {
            pkt.get(at..at + 2)
                .map(|b| u32::from(u16::from_be_bytes([b[0], b[1]])))
        };
        loop {
            let i = prog[pc];
            pc += 1;
            match i.code {
                0x28 => match half(i.k as usize) {
                    Some(v) => a = v,
                    None => return 0,
                },
                0x30 => match pkt.get(i.k as usize) {
                    Some(&v) => a = u32::from(v),
                    None => return 0,
                },
                0x48 => match half((x + i.k) as usize) {
                    Some(v) => a = v,
                    None => return 0,
                },
                0x00 => a = i.k,
                0xb1 => match pkt.get(i.k as usize) {
                    Some(&v) => x = 4 * u32::from(v & 0xf),
                    None => return 0,
                },
                0x0c => a = a.wrapping_add(x),
                0x07 => x = a,
                0x05 => pc += i.k as usize,
                0x15 => pc += usize::from(if a == i.k { i.jt } else { i.jf }),
                0x06 => return i.k,
                c => panic!("unexpected opcode {c:#x}"),
            }
        }
    }

    fn v4(proto: u8, sport: u16, dport: u16) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00, 0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, proto, 0, 0]);
        f.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 1]);
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        f.extend_from_slice(&[0; 16]);
        f
    }

    fn v6(next: u8, sport: u16, dport: u16) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x86, 0xdd, 0x60, 0, 0, 0, 0, 8, next, 64]);
        f.extend_from_slice(&[0; 32]);
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        f.extend_from_slice(&[0; 4]);
        f
    }

    #[test]
    fn the_port_filter_keeps_only_frames_that_may_be_the_lessons() {
        let prog = port_filter(&[5000, 40000]);
        assert!(prog.len() <= 255);
        assert_ne!(run(&prog, &v4(17, 33333, 5000)), 0, "to a lesson port");
        assert_ne!(run(&prog, &v4(6, 40000, 80)), 0, "from a lesson port");
        assert_eq!(run(&prog, &v4(17, 33333, 6380)), 0, "another program's");
        assert_ne!(run(&prog, &v4(1, 0, 0)), 0, "ICMP, for its quoted packet");
        assert_ne!(run(&prog, &v6(17, 1, 5000)), 0);
        assert_eq!(run(&prog, &v6(6, 1, 2)), 0);
        assert_ne!(run(&prog, &v6(58, 0, 0)), 0, "ICMPv6");
        let mut arp = v4(17, 0, 5000);
        arp[12..14].copy_from_slice(&[0x08, 0x06]);
        assert_eq!(run(&prog, &arp), 0);
        // An IPv4 header with options moves the ports.
        let mut opts = v4(17, 0, 0);
        opts[14] = 0x46;
        opts[38..40].copy_from_slice(&5000u16.to_be_bytes());
        assert_ne!(run(&prog, &opts), 0);
        let most: Vec<u16> = (1..=MAX_FILTER_PORTS as u16).collect();
        assert_ne!(run(&port_filter(&most), &v4(17, 1, 100)), 0);
        assert_eq!(run(&port_filter(&most), &v4(17, 101, 102)), 0);
        assert_eq!(port_filter(&[1; MAX_FILTER_PORTS + 1]).len(), 1);
    }
}

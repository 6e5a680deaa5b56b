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

/// Larger than any frame `lo` can carry (MTU 65536 plus headers, or a GSO
/// super-frame), so nothing is silently cut short.
const READ_BUFFER: usize = 256 * 1024;
/// Kernel-side queue for the packet socket, so a burst is not dropped.
const SOCKET_BUFFER: libc::c_int = 4 * 1024 * 1024;
const PACKET_IGNORE_OUTGOING: libc::c_int = 23;
const MARKER_MAGIC: &[u8] = b"netcourse-marker:";

#[derive(Debug, Clone)]
pub struct CapturedFrame {
    pub data: Vec<u8>,
    /// Kernel receive time, nanoseconds since the Unix epoch.
    pub timestamp_ns: u64,
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
    pub fn start(interface: &str) -> Result<Capture, Error> {
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
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(capture_error("waiting for a frame", e));
                }
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
                        frames.push(CapturedFrame { data, timestamp_ns });
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
        #[repr(C)]
        #[derive(Default)]
        struct TpacketStats {
            packets: u32,
            drops: u32,
        }
        let mut stats = TpacketStats::default();
        let mut len = std::mem::size_of::<TpacketStats>() as libc::socklen_t;
        // SAFETY: PACKET_STATISTICS fills a tpacket_stats; reading resets it.
        let rc = unsafe {
            libc::getsockopt(
                self.fd,
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&mut stats as *mut TpacketStats).cast(),
                &mut len,
            )
        };
        if rc == 0 { u64::from(stats.drops) } else { 0 }
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

fn set_int(
    fd: libc::c_int,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: the option value is a c_int as the kernel expects.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
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

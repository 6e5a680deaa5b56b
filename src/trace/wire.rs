//! Frames on the sandbox's `lo`, read continuously on a thread of their
//! own (a traced program may send thousands of frames between two of our
//! looks, more than a packet socket's queue holds), each once, with the
//! kernel's receive timestamp.

use std::io;
use std::net::{Ipv4Addr, UdpSocket};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::dissect::{self, Dissection};
use crate::error::Error;
use crate::live::capture::CapturedFrame;
use crate::packet::{PACKET_IGNORE_OUTGOING, set_int, take_drops};

const END_MAGIC: &[u8] = b"netcourse-trace-end";

/// What the capture thread hands back: the frames, their dissections
/// (when asked for), the kernel's drop count.
pub type Caught = (Vec<CapturedFrame>, Vec<Dissection>, u64);

pub struct Wire {
    thread: JoinHandle<Caught>,
    end_tx: UdpSocket,
    end_port: u16,
    /// Step mode: each frame as it is read, and each sync marker seen.
    live: Option<mpsc::Receiver<Option<CapturedFrame>>>,
}

const SYNC_MAGIC: &[u8] = b"netcourse-trace-sync";

/// With the fast path for sends (`notify`) a sender runs with few stops, a frame every
/// few tens of microseconds: a capture thread asleep between two is woken
/// by the sender's own CPU for each (on a virtual machine a costly
/// inter-processor interrupt, charged to the program). While frames keep
/// coming the thread keeps reading instead, on the CPU the blocked tracer
/// leaves free. Measured: the 10,000-sendto loop 280–330 ms against
/// 310–480 ms. Not with ptrace stops, where the tracer spins on that CPU.
const KEEP_READING: Duration = Duration::from_micros(200);

fn fail(what: &str, e: io::Error) -> Error {
    Error::Capture {
        what: what.into(),
        reason: e.to_string(),
        hint: "tracing captures on the sandbox's own `lo`; if the sandbox itself failed, see the error above".into(),
    }
}

fn recv_frame(
    fd: libc::c_int,
    buf: &mut [u8],
    flags: libc::c_int,
) -> io::Result<(usize, Option<u64>)> {
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut control = [0u64; 16];
    // SAFETY: msghdr is plain data.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: every pointer in msg is valid for the call.
    let n = unsafe { libc::recvmsg(fd, &mut msg, flags) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut stamp = None;
    // SAFETY: walking the control messages the kernel wrote into `control`.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_TIMESTAMPNS {
                let ts = std::ptr::read_unaligned(libc::CMSG_DATA(c) as *const libc::timespec);
                stamp = Some(ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64);
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    Ok((n as usize, stamp))
}

fn is_end(frame: &[u8], port: u16, magic: &[u8]) -> bool {
    // Ethernet + IPv4 (20) + UDP to our port carrying the magic.
    frame.len() >= 42 + magic.len()
        && frame[12..14] == [0x08, 0x00]
        && frame[23] == 17
        && frame[36..38] == port.to_be_bytes()
        && frame.ends_with(magic)
}

impl Wire {
    /// Open the capture and start reading; returns once it is provably
    /// listening, with kernel timestamps on.
    pub fn start() -> Result<Wire, Error> {
        Wire::open(false, false, false)
    }

    /// `start`, each frame also handed over as soon as it is read (see
    /// `sync`), for step mode.
    pub fn start_live() -> Result<Wire, Error> {
        Wire::open(false, true, false)
    }

    /// `start`, the capture thread also dissecting each frame as it comes:
    /// that work then runs beside the traced program (which mostly waits
    /// for its tracer) instead of after it. See `finish_dissected`.
    ///
    /// `keep_reading`: after each frame, look for the next one for up to
    /// 200 µs without sleeping (see `KEEP_READING`).
    pub fn start_dissecting(keep_reading: bool) -> Result<Wire, Error> {
        // On one CPU reading on would take the time of the program it waits
        // for (measured: slower).
        let several_cpus = std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
        Wire::open(true, false, keep_reading && several_cpus)
    }

    fn open(dissecting: bool, live: bool, keep_reading: bool) -> Result<Wire, Error> {
        let (live_tx, live_rx) = mpsc::channel();
        let live_rx = live.then_some(live_rx);
        // SAFETY: plain socket(2).
        let fd = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                (libc::ETH_P_ALL as u16).to_be() as libc::c_int,
            )
        };
        if fd < 0 {
            return Err(fail("opening a packet socket", io::Error::last_os_error()));
        }
        // Loopback shows each frame twice (leaving, arriving): keep one.
        set_int(fd, libc::SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
            .map_err(|e| fail("ignoring outgoing copies", e))?;
        if set_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, 16 << 20).is_err() {
            let _ = set_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, 16 << 20);
        }
        set_int(fd, libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, 1)
            .map_err(|e| fail("asking for kernel timestamps", e))?;
        // SAFETY: sockaddr_ll is plain data; bind to `lo`.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
        // SAFETY: the name is a NUL-terminated literal.
        sll.sll_ifindex = unsafe { libc::if_nametoindex(c"lo".as_ptr()) } as i32;
        // SAFETY: sll is a valid sockaddr_ll.
        let rc = unsafe {
            libc::bind(
                fd,
                (&sll as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(fail(
                "binding the packet socket to `lo`",
                io::Error::last_os_error(),
            ));
        }
        let sink = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| fail("end marker", e))?;
        let end_port = sink.local_addr().map_err(|e| fail("end marker", e))?.port();
        let end_tx =
            UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| fail("end marker", e))?;
        end_tx
            .connect((Ipv4Addr::LOCALHOST, end_port))
            .map_err(|e| fail("end marker", e))?;
        let (marker_port, probe_port) =
            (end_tx.local_addr().map(|a| a.port()).unwrap_or(0), end_port);

        // Kernel timestamps are switched on system-wide by deferred work:
        // until then a frame is stamped when read. Wait (bounded) until a
        // probe comes back stamped before it was read.
        let mut buf = vec![0u8; 256 * 1024];
        let deadline = Instant::now() + Duration::from_millis(500);
        setopt_timeout(fd, Duration::from_millis(50));
        loop {
            let _ = end_tx.send(b"probe");
            let mut stamped = false;
            while let Ok((n, stamp)) = recv_frame(fd, &mut buf, 0) {
                let frame = &buf[..n];
                let read_at = crate::live::capture::now_ns();
                if frame.len() >= 42
                    && frame[36..38] == probe_port.to_be_bytes()
                    && frame[34..36] == marker_port.to_be_bytes()
                {
                    stamped = stamp.is_some_and(|s| s < read_at);
                    break;
                }
            }
            if stamped || Instant::now() >= deadline {
                break;
            }
            std::thread::yield_now();
        }
        let mut drain = [0u8; 64];
        sink.set_nonblocking(true)
            .map_err(|e| fail("end marker", e))?;
        while sink.recv(&mut drain).is_ok() {}
        setopt_timeout(fd, Duration::from_millis(200));

        let thread = std::thread::spawn(move || {
            let mut frames = Vec::new();
            let mut dissections = Vec::new();
            let mut last = Instant::now();
            loop {
                let got = if keep_reading && last.elapsed() < KEEP_READING {
                    match recv_frame(fd, &mut buf, libc::MSG_DONTWAIT) {
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            std::hint::spin_loop();
                            continue;
                        }
                        other => other,
                    }
                } else {
                    recv_frame(fd, &mut buf, 0)
                };
                if got.is_ok() {
                    last = Instant::now();
                }
                match got {
                    Ok((n, stamp)) => {
                        let data = &buf[..n];
                        if is_end(data, end_port, END_MAGIC) {
                            break;
                        }
                        if is_end(data, end_port, SYNC_MAGIC) {
                            if live {
                                let _ = live_tx.send(None);
                            }
                            continue;
                        }
                        if data.len() >= 38
                            && data[34..36] == marker_port.to_be_bytes()
                            && data[36..38] == end_port.to_be_bytes()
                        {
                            continue; // a late probe
                        }
                        if dissecting {
                            dissections.push(dissect::dissect(data));
                        }
                        let frame = CapturedFrame {
                            data: data.to_vec(),
                            timestamp_ns: stamp.unwrap_or_else(crate::live::capture::now_ns),
                            crossing: None,
                        };
                        if live {
                            let _ = live_tx.send(Some(frame.clone()));
                        }
                        frames.push(frame);
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock
                                | io::ErrorKind::TimedOut
                                | io::ErrorKind::Interrupted
                        ) => {}
                    Err(_) => break,
                }
            }
            let dropped = take_drops(fd);
            drop(sink);
            // SAFETY: fd is ours and no longer used.
            unsafe { libc::close(fd) };
            (frames, dissections, dropped)
        });
        Ok(Wire {
            thread,
            end_tx,
            end_port,
            live: live_rx,
        })
    }

    /// Stop after every frame sent so far has been read: loopback delivery
    /// is ordered, so the end marker comes after them. Returns the frames
    /// and the kernel's drop count.
    pub fn finish(self) -> (Vec<CapturedFrame>, u64) {
        let (frames, _, dropped) = self.finish_dissected();
        (frames, dropped)
    }

    /// Step mode (`start_live`): every frame sent so far, once read. A
    /// marker goes out after them (loopback delivery is ordered) and the
    /// frames read before it come back; bounded by `within`.
    pub fn sync(&self, within: Duration) -> Vec<CapturedFrame> {
        let mut out = Vec::new();
        let Some(live) = &self.live else {
            return out;
        };
        let mut msg = b"x".to_vec();
        msg.extend_from_slice(SYNC_MAGIC);
        if self.end_tx.send(&msg).is_err() {
            return out;
        }
        let deadline = Instant::now() + within;
        while let Ok(Some(f)) =
            live.recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            out.push(f);
        }
        out
    }

    /// `finish`, with each frame's dissection when the wire was started
    /// with `start_dissecting` (else none).
    pub fn finish_dissected(self) -> Caught {
        let _ = self.end_port;
        let mut msg = b"x".to_vec();
        msg.extend_from_slice(END_MAGIC);
        let _ = self.end_tx.send(&msg);
        self.thread.join().unwrap_or_default()
    }
}

fn setopt_timeout(fd: libc::c_int, d: Duration) {
    let tv = libc::timeval {
        tv_sec: d.as_secs() as _,
        tv_usec: d.subsec_micros() as _,
    };
    // SAFETY: SO_RCVTIMEO takes a timeval.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        );
    }
}

//! The wire itself: one thread that reads every frame a host puts on a link
//! (one packet socket over all link ends, in the wire's own namespace),
//! applies the lesson's impairments, writes the frame to the other ends of
//! the link, and logs it once, with the kernel's time of its arrival.
//!
//! Nothing crosses a link unless this thread forwards it, so it runs on its
//! own: socket calls that block elsewhere (connect, accept, recv) never stall
//! it. A frame a host sends is in the packet socket's queue before the send
//! returns (the kernel hands it across the veth in the sender's own softirq),
//! and a reply the kernel makes to a frame we deliver is queued before our
//! send returns; so after `sync` has seen the queue empty, every frame the
//! last call caused has been forwarded and logged.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::impair::{FrameInfo, Impairments, Rule};
use crate::packet::{PACKET_IGNORE_OUTGOING, set_int};

/// Large enough for any frame a host of ours can send (MTU ≤ 65535).
const READ_BUFFER: usize = 65536 + 64;
const SOCKET_BUFFER: libc::c_int = 8 * 1024 * 1024;

/// A delivery waiting for its time: (time, order, seq, to_end, copy).
type Scheduled = (u64, u64, u64, usize, bool);

/// One frame as it crossed a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireFrame {
    /// Arrival order at the wire, from 0.
    pub seq: u64,
    pub link: usize,
    /// The link end (index into `Network::ends`) it came from.
    pub from_end: usize,
    /// Kernel time of arrival at the wire, ns since the Unix epoch.
    pub at_ns: u64,
    /// The frame as the sending host put it on the link.
    pub data: Vec<u8>,
    pub fate: Fate,
    /// A rule held it back (delay, reorder, rate).
    pub held: bool,
}

impl WireFrame {
    /// Where it went, without the bytes.
    pub fn crossing(&self) -> Crossing {
        let (to_ends, note) = match &self.fate {
            Fate::Delivered(d) => {
                let mut to: Vec<usize> = d
                    .iter()
                    .filter(|d| d.error.is_none())
                    .map(|d| d.to_end)
                    .collect();
                to.dedup();
                let mut notes = Vec::new();
                if d.iter().any(|d| d.duplicate) {
                    notes.push("duplicated by the wire".to_string());
                }
                if let Some((offset, value)) = d.iter().find_map(|d| d.corrupted) {
                    notes.push(format!(
                        "byte {offset} changed to 0x{value:02x} by the wire"
                    ));
                }
                if let Some(first) = d.first()
                    && self.held
                {
                    let held = first.at_ns.saturating_sub(self.at_ns);
                    notes.push(format!("held {:.1} ms by the wire", held as f64 / 1e6));
                }
                if let Some(e) = d.iter().find_map(|d| d.error) {
                    notes.push(format!(
                        "not delivered: {}",
                        std::io::Error::from_raw_os_error(e)
                    ));
                }
                (to, (!notes.is_empty()).then(|| notes.join("; ")))
            }
            Fate::Dropped { rule } => (
                Vec::new(),
                Some(format!("dropped by wire rule {}", rule + 1)),
            ),
            Fate::TooLong { length } => (
                Vec::new(),
                Some(format!(
                    "not forwarded: {length} bytes is more than the wire reads"
                )),
            ),
        };
        let delivered_ns = match &self.fate {
            Fate::Delivered(d) => d
                .iter()
                .filter(|d| d.error.is_none())
                .map(|d| d.at_ns)
                .min(),
            _ => None,
        };
        Crossing {
            link: self.link,
            from_end: self.from_end,
            to_ends,
            note,
            delivered_ns,
        }
    }
}

/// Where a frame crossed: its link, the end it came from, the ends it
/// reached, and what the wire did to it, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crossing {
    pub link: usize,
    pub from_end: usize,
    pub to_ends: Vec<usize>,
    pub note: Option<String>,
    /// When the wire first wrote it to a receiving end.
    pub delivered_ns: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// Written to the other ends of its link.
    Delivered(Vec<Delivery>),
    /// A lesson rule (its index) dropped it.
    Dropped { rule: usize },
    /// Longer than the read buffer: never forwarded.
    TooLong { length: usize },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub to_end: usize,
    /// When the wire wrote it to that end.
    pub at_ns: u64,
    /// A second copy (a `Duplicate` rule).
    pub duplicate: bool,
    /// The byte a `Corrupt` rule changed: offset and new value.
    pub corrupted: Option<(usize, u8)>,
    /// The kernel refused the write (errno), e.g. EMSGSIZE for a frame
    /// larger than the receiving interface's MTU.
    pub error: Option<i32>,
}

/// How the engine reaches one link end.
#[derive(Debug, Clone)]
pub(super) struct EndRoute {
    pub link: usize,
    pub host: usize,
    pub wire_index: u32,
}

enum Command {
    Sync {
        deadline_ns: u64,
        reply: mpsc::Sender<SyncReport>,
    },
    SetRules(Vec<Rule>),
    Stop,
}

/// What `sync` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncReport {
    /// Frames still held by a delay, rate or reorder rule at the deadline.
    pub pending: usize,
    /// Frames the kernel dropped from the wire's queue since the start.
    pub kernel_drops: u64,
}

/// Frames that have left the wire, not yet taken; `arrived` wakes whoever
/// waits for the next one.
#[derive(Default)]
pub(super) struct FrameLog {
    frames: Mutex<Vec<WireFrame>>,
    arrived: std::sync::Condvar,
}

/// The running wire. Dropping it stops the thread.
pub struct Wire {
    commands: mpsc::Sender<Command>,
    wake: OwnedFd,
    thread: Option<std::thread::JoinHandle<OwnedFd>>,
    log: Arc<FrameLog>,
}

impl Wire {
    pub(super) fn start(
        socket: OwnedFd,
        ends: Vec<EndRoute>,
        rules: Vec<Rule>,
    ) -> io::Result<Wire> {
        // SAFETY: eventfd returns a new fd or -1.
        let wake = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if wake < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a fresh fd we own.
        let wake = unsafe { OwnedFd::from_raw_fd(wake) };
        let (commands, rx) = mpsc::channel();
        let log = Arc::new(FrameLog::default());
        let mut engine = Engine::new(socket, wake.try_clone()?, ends, rules, rx, log.clone());
        let thread = std::thread::Builder::new()
            .name("netcourse-wire".into())
            .spawn(move || {
                engine.run();
                engine.socket
            })?;
        Ok(Wire {
            commands,
            wake,
            thread: Some(thread),
            log,
        })
    }

    /// Wait until every frame that reached the wire so far has left it
    /// (delivered or dropped), at most `bound`.
    pub fn sync(&self, bound: Duration) -> io::Result<SyncReport> {
        let (reply, answer) = mpsc::channel();
        let deadline_ns =
            now_ns().saturating_add(u64::try_from(bound.as_nanos()).unwrap_or(u64::MAX));
        self.send(Command::Sync { deadline_ns, reply })?;
        answer
            .recv_timeout(bound + Duration::from_secs(1))
            .map_err(|_| io::Error::other("the wire did not answer"))
    }

    /// Replace the impairment rules (their counters start again at zero).
    pub fn set_rules(&self, rules: Vec<Rule>) -> io::Result<()> {
        self.send(Command::SetRules(rules))
    }

    /// Wait until a frame has left the wire and not been taken yet, at most
    /// until `deadline`; whether one has.
    pub fn wait_frame(&self, deadline: std::time::Instant) -> bool {
        let mut frames = self.log.frames.lock().unwrap_or_else(|e| e.into_inner());
        while frames.is_empty() {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            frames = match self.log.arrived.wait_timeout(frames, left) {
                Ok((f, _)) => f,
                Err(e) => e.into_inner().0,
            };
        }
        true
    }

    /// The frames logged since the last take, in arrival order. A frame
    /// still held by a rule is logged once it has left the wire.
    pub fn take_frames(&self) -> Vec<WireFrame> {
        let mut frames =
            std::mem::take(&mut *self.log.frames.lock().unwrap_or_else(|e| e.into_inner()));
        frames.sort_by_key(|f| f.seq);
        frames
    }

    fn send(&self, command: Command) -> io::Result<()> {
        self.commands
            .send(command)
            .map_err(|_| io::Error::other("the wire has stopped"))?;
        let one: u64 = 1;
        // SAFETY: writes 8 bytes to our eventfd.
        unsafe { libc::write(self.wake.as_raw_fd(), (&one as *const u64).cast(), 8) };
        Ok(())
    }
}

impl Drop for Wire {
    fn drop(&mut self) {
        let _ = self.send(Command::Stop);
        if let Some(thread) = self.thread.take()
            && let Ok(socket) = thread.join()
        {
            super::close_in_background(socket);
        }
    }
}

struct Engine {
    socket: OwnedFd,
    wake: OwnedFd,
    ends: Vec<EndRoute>,
    /// End index by interface index in the wire's namespace.
    by_ifindex: BTreeMap<u32, usize>,
    impairments: Impairments,
    commands: mpsc::Receiver<Command>,
    log: Arc<FrameLog>,
    next_seq: u64,
    /// Frames with deliveries still to make.
    pending: BTreeMap<u64, Pending>,
    /// Deliveries waiting for their time.
    scheduled: BinaryHeap<Reverse<Scheduled>>,
    order: u64,
    /// Frames held back by a reorder rule.
    held: Vec<Held>,
    syncs: Vec<(u64, mpsc::Sender<SyncReport>)>,
    kernel_drops: u64,
    buffer: Vec<u8>,
    stop: bool,
}

impl Engine {
    fn new(
        socket: OwnedFd,
        wake: OwnedFd,
        ends: Vec<EndRoute>,
        rules: Vec<Rule>,
        commands: mpsc::Receiver<Command>,
        log: Arc<FrameLog>,
    ) -> Engine {
        let by_ifindex = ends
            .iter()
            .enumerate()
            .map(|(i, e)| (e.wire_index, i))
            .collect();
        Engine {
            socket,
            wake,
            ends,
            by_ifindex,
            impairments: Impairments::new(rules),
            commands,
            log,
            next_seq: 0,
            pending: BTreeMap::new(),
            scheduled: BinaryHeap::new(),
            order: 0,
            held: Vec::new(),
            syncs: Vec::new(),
            kernel_drops: 0,
            buffer: vec![0; READ_BUFFER],
            stop: false,
        }
    }

    fn run(&mut self) {
        while !self.stop {
            let timeout = self.next_wakeup().map(|at| at.saturating_sub(now_ns()));
            poll2(&self.socket, &self.wake, timeout);
            self.read_all();
            self.release_due();
            self.handle_commands();
            self.answer_syncs();
        }
    }

    /// The earliest time something scheduled, held or waited for is due.
    fn next_wakeup(&self) -> Option<u64> {
        let scheduled = self.scheduled.peek().map(|Reverse(s)| s.0);
        let held = self.held.iter().map(|h| h.until).min();
        let sync = self.syncs.iter().map(|s| s.0).min();
        [scheduled, held, sync].into_iter().flatten().min()
    }

    fn read_all(&mut self) {
        loop {
            match recv_frame(&self.socket, &mut self.buffer) {
                Ok(Some(received)) => self.ingest(received),
                Ok(None) => break,
                Err(_) => break,
            }
        }
    }

    fn ingest(&mut self, r: Received) {
        let Some(&from_end) = self.by_ifindex.get(&r.ifindex) else {
            return; // not a link end (the wire namespace's own `lo`)
        };
        let route = &self.ends[from_end];
        let seq = self.next_seq;
        self.next_seq += 1;
        let mut frame = WireFrame {
            seq,
            link: route.link,
            from_end,
            at_ns: r.at_ns,
            data: self.buffer[..r.length.min(self.buffer.len())].to_vec(),
            fate: Fate::Delivered(Vec::new()),
            held: false,
        };
        if r.length > self.buffer.len() {
            frame.fate = Fate::TooLong { length: r.length };
            return self.finish(frame);
        }
        let verdict = self.impairments.decide(&FrameInfo {
            link: route.link,
            from_host: route.host,
            data: &frame.data,
            at_ns: r.at_ns,
        });
        if let Some(rule) = verdict.dropped_by {
            frame.fate = Fate::Dropped { rule };
            return self.finish(frame);
        }
        let link = route.link;
        let targets: Vec<usize> = (0..self.ends.len())
            .filter(|&e| e != from_end && self.ends[e].link == link)
            .collect();
        frame.held = verdict.hold.is_some() || verdict.depart_ns > r.at_ns;
        let copies = if verdict.duplicate { 2 } else { 1 };
        let remaining = targets.len() * copies;
        if remaining == 0 {
            return self.finish(frame);
        }
        self.pending.insert(
            seq,
            Pending {
                frame,
                remaining,
                corrupt: verdict.corrupt,
            },
        );
        if let Some(hold) = verdict.hold {
            let until = verdict.depart_ns.saturating_add(nanos(hold));
            self.held.push(Held {
                seq,
                link,
                from_end,
                until,
                targets,
                copies,
            });
            return;
        }
        let now = now_ns();
        for &to in &targets {
            for copy in 0..copies {
                if verdict.depart_ns <= now {
                    self.deliver(seq, to, copy == 1);
                } else {
                    self.order += 1;
                    self.scheduled.push(Reverse((
                        verdict.depart_ns,
                        self.order,
                        seq,
                        to,
                        copy == 1,
                    )));
                }
            }
        }
        if verdict.depart_ns <= now {
            self.release_held_after(seq, link, from_end);
        }
    }

    /// Write one copy of frame `seq` to link end `to`.
    fn deliver(&mut self, seq: u64, to: usize, duplicate: bool) {
        let Some(p) = self.pending.get_mut(&seq) else {
            return;
        };
        let mut corrupted_copy;
        let bytes: &[u8] = match p.corrupt {
            Some((offset, value)) => {
                corrupted_copy = p.frame.data.clone();
                if let Some(b) = corrupted_copy.get_mut(offset) {
                    *b = value;
                }
                &corrupted_copy
            }
            None => &p.frame.data,
        };
        let error = send_frame(&self.socket, self.ends[to].wire_index, bytes).err();
        let delivery = Delivery {
            to_end: to,
            at_ns: now_ns(),
            duplicate,
            corrupted: p.corrupt,
            error: error.map(|e| e.raw_os_error().unwrap_or(libc::EIO)),
        };
        if let Fate::Delivered(list) = &mut p.frame.fate {
            list.push(delivery);
        }
        p.remaining -= 1;
        if p.remaining == 0
            && let Some(p) = self.pending.remove(&seq)
        {
            self.finish(p.frame);
        }
    }

    /// A frame went through in the direction (link, from_end): frames held
    /// back to be overtaken (other than `seq` itself) go now.
    fn release_held_after(&mut self, seq: u64, link: usize, from_end: usize) {
        let (go, stay): (Vec<Held>, Vec<Held>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|h| h.seq != seq && h.link == link && h.from_end == from_end);
        self.held = stay;
        for h in go {
            self.deliver_held(h);
        }
    }

    fn deliver_held(&mut self, h: Held) {
        for &to in &h.targets {
            for copy in 0..h.copies {
                self.deliver(h.seq, to, copy == 1);
            }
        }
    }

    /// Deliver what is due: scheduled frames whose time has come, held
    /// frames nothing overtook in time.
    fn release_due(&mut self) {
        let now = now_ns();
        while let Some(Reverse((at, _, seq, to, dup))) = self.scheduled.peek().copied() {
            if at > now {
                break;
            }
            self.scheduled.pop();
            let direction = self
                .pending
                .get(&seq)
                .map(|p| (p.frame.link, p.frame.from_end));
            self.deliver(seq, to, dup);
            if let Some((link, from_end)) = direction {
                self.release_held_after(seq, link, from_end);
            }
        }
        let (due, stay): (Vec<Held>, Vec<Held>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|h| h.until <= now);
        self.held = stay;
        for h in due {
            self.deliver_held(h);
        }
    }

    /// The frame has left the wire: log it.
    fn finish(&mut self, frame: WireFrame) {
        self.log
            .frames
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(frame);
        self.log.arrived.notify_all();
    }

    fn handle_commands(&mut self) {
        let mut count = [0u8; 8];
        // SAFETY: reads 8 bytes from our eventfd (non-blocking).
        unsafe { libc::read(self.wake.as_raw_fd(), count.as_mut_ptr().cast(), 8) };
        while let Ok(command) = self.commands.try_recv() {
            match command {
                Command::Sync { deadline_ns, reply } => {
                    // Frames the senders queued before asking are read first.
                    self.read_all();
                    self.syncs.push((deadline_ns, reply));
                }
                Command::SetRules(rules) => self.impairments = Impairments::new(rules),
                Command::Stop => self.stop = true,
            }
        }
    }

    fn answer_syncs(&mut self) {
        if self.syncs.is_empty() {
            return;
        }
        self.kernel_drops += crate::packet::take_drops(self.socket.as_raw_fd());
        let now = now_ns();
        let pending = self.pending.len();
        let drops = self.kernel_drops;
        self.syncs.retain(|(deadline, reply)| {
            if pending == 0 || *deadline <= now {
                let _ = reply.send(SyncReport {
                    pending,
                    kernel_drops: drops,
                });
                false
            } else {
                true
            }
        });
    }
}

struct Pending {
    frame: WireFrame,
    remaining: usize,
    corrupt: Option<(usize, u8)>,
}

struct Held {
    seq: u64,
    link: usize,
    from_end: usize,
    until: u64,
    targets: Vec<usize>,
    copies: usize,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

pub fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(nanos)
        .unwrap_or(0)
}

/// Wait until the socket or the wake-up fd is readable, or `timeout_ns`.
fn poll2(socket: &OwnedFd, wake: &OwnedFd, timeout_ns: Option<u64>) {
    let mut fds = [
        libc::pollfd {
            fd: socket.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: wake.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    let ts = timeout_ns.map(|ns| libc::timespec {
        tv_sec: (ns / 1_000_000_000) as libc::time_t,
        tv_nsec: (ns % 1_000_000_000) as libc::c_long,
    });
    let ts_ptr = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: two valid pollfds; ts_ptr is null or points at a timespec.
    unsafe { libc::ppoll(fds.as_mut_ptr(), 2, ts_ptr, std::ptr::null()) };
}

struct Received {
    ifindex: u32,
    /// The frame's full length (may exceed what was read).
    length: usize,
    at_ns: u64,
}

/// Read one frame without blocking: `None` when the queue is empty.
fn recv_frame(socket: &OwnedFd, buffer: &mut [u8]) -> io::Result<Option<Received>> {
    // SAFETY: zeroed sockaddr_ll and msghdr are valid values.
    let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    let mut control = [0u64; 16];
    let mut iov = libc::iovec {
        iov_base: buffer.as_mut_ptr().cast(),
        iov_len: buffer.len(),
    };
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_name = (&mut addr as *mut libc::sockaddr_ll).cast();
    msg.msg_namelen = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: msg points at live buffers of the sizes given.
    let n = unsafe {
        libc::recvmsg(
            socket.as_raw_fd(),
            &mut msg,
            libc::MSG_DONTWAIT | libc::MSG_TRUNC,
        )
    };
    if n < 0 {
        let e = io::Error::last_os_error();
        return match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(None),
            _ => Err(e),
        };
    }
    let mut at_ns = None;
    // SAFETY: walking the control messages the kernel wrote into msg.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_TIMESTAMPNS
            {
                let ts: libc::timespec = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast());
                at_ns = Some(ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64);
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    Ok(Some(Received {
        ifindex: addr.sll_ifindex as u32,
        length: n as usize,
        at_ns: at_ns.unwrap_or_else(now_ns),
    }))
}

/// Write one frame out of the link end with interface index `ifindex`.
fn send_frame(socket: &OwnedFd, ifindex: u32, frame: &[u8]) -> io::Result<()> {
    // SAFETY: zeroed sockaddr_ll is valid; fields set below.
    let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    addr.sll_family = libc::AF_PACKET as u16;
    addr.sll_ifindex = ifindex as i32;
    addr.sll_protocol = frame
        .get(12..14)
        .map_or(0, |t| u16::from_ne_bytes([t[0], t[1]]));
    addr.sll_halen = 6;
    if let Some(dst) = frame.get(..6) {
        addr.sll_addr[..6].copy_from_slice(dst);
    }
    // SAFETY: frame and addr are valid for the lengths given.
    let n = unsafe {
        libc::sendto(
            socket.as_raw_fd(),
            frame.as_ptr().cast(),
            frame.len(),
            0,
            (&addr as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Open the wire's packet socket in the calling thread's namespace: every
/// frame arriving on any interface, with kernel timestamps, none of the
/// frames we send ourselves.
pub(super) fn open_socket() -> io::Result<OwnedFd> {
    let protocol = i32::from((libc::ETH_P_ALL as u16).to_be());
    // SAFETY: plain socket(2).
    let fd = unsafe {
        libc::socket(
            libc::AF_PACKET,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            protocol,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh fd we own.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    set_int(
        socket.as_raw_fd(),
        libc::SOL_PACKET,
        PACKET_IGNORE_OUTGOING,
        1,
    )?;
    set_int(
        socket.as_raw_fd(),
        libc::SOL_SOCKET,
        libc::SO_TIMESTAMPNS,
        1,
    )?;
    // Without CAP_NET_ADMIN in the first namespace only `rmem_max` is allowed.
    if set_int(
        socket.as_raw_fd(),
        libc::SOL_SOCKET,
        libc::SO_RCVBUFFORCE,
        SOCKET_BUFFER,
    )
    .is_err()
    {
        let _ = set_int(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            SOCKET_BUFFER,
        );
    }
    Ok(socket)
}

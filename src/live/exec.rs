//! Run a checked lesson: each step is one real socket call made by one actor,
//! followed by a drain of the capture, so every frame is tied to the step that
//! caused it. Steps run one after another on this thread; blocking calls get
//! the step's timeout, so a silent peer fails the lesson instead of hanging it.
//!
//! Ordering is what makes this work without threads: on loopback the kernel
//! completes a TCP handshake into the listen backlog before `accept`, and a
//! datagram waits in the receive queue until `recvfrom`.

use std::io::{self, Read};
use std::mem::MaybeUninit;
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

use socket2::{Protocol, Socket, Type};

use crate::error::Error;
use crate::live::bulk::{self, Background};
use crate::live::capture::{self, CapturedFrame};
use crate::live::host_guard::{self, Endpoints, HeldSocket, NotOwnSocket, Reach};
use crate::live::net::FrameSource;
use crate::plan::data::MAX_TOTAL_PAYLOAD;
use crate::plan::{
    Call, ExpectedError, Peer, Plan, PlannedStep, ShutdownHow, SockOpt, Transport, call_text,
};
use crate::sockets::{ConnName, Connections};
use crate::text::{plural, py_bytes};

/// What one socket call did.
#[derive(Debug, Clone)]
pub struct CallRecord {
    pub step: usize,
    pub actor: usize,
    pub call: &'static str,
    /// The call as a programmer would write it, e.g. `sendto(b"hello", ("127.0.0.1", 5000))`.
    pub args: String,
    pub ok: bool,
    /// What it returned, in words: `5 bytes sent`, `connection refused`.
    pub result: String,
    pub start_ns: u64,
    pub end_ns: u64,
    /// The socket's own address and its peer's, after the call.
    pub local: Option<SocketAddr>,
    pub peer: Option<SocketAddr>,
    /// Bytes sent or received.
    pub data: Option<Vec<u8>>,
    /// The errno of a failed call, for explaining it.
    pub errno: Option<i32>,
    /// The call failed because its wait ran out.
    pub timed_out: bool,
    /// For `close`: bytes the application never read, still in the
    /// receive buffer (they make TCP reset instead of closing).
    pub unread: Option<usize>,
}

pub struct StepRecord {
    pub call: CallRecord,
    pub frames: Vec<CapturedFrame>,
    /// Set when the step failed or its expectation was not met; the lesson stops.
    pub failure: Option<Error>,
}

#[derive(Default)]
struct ActorSockets {
    /// The UDP socket, the TCP client socket, or the TCP listener.
    main: Option<Socket>,
    /// The connections `accept` returned (see `crate::sockets`).
    conns: Connections<Socket>,
    /// Where the last datagram `recvfrom` returned came from, for `to: reply`.
    last_from: Option<SocketAddr>,
    /// Senders `save_as:` kept, by their index in `Plan::peer_names`.
    saved: Vec<(usize, SocketAddr)>,
    /// What its last read returned, for an `answer:` to reply to.
    last_read: Option<Vec<u8>>,
    /// The socket's address after its latest call: still known once it is
    /// closed, for `expect: from:` about a datagram it sent before.
    last_local: Option<SocketAddr>,
}

impl ActorSockets {
    /// The unnamed connection `accept` returned, if it holds one.
    fn conn(&self) -> Option<&Socket> {
        self.conns.get(&ConnName::default())
    }

    /// The socket a step's call uses: the connection it names, else (the
    /// unnamed one or none named) that connection or the actor's own socket.
    fn socket_for(&self, conn: Option<&str>) -> Option<&Socket> {
        match conn {
            Some(name) if !name.is_empty() => self.conns.get(&ConnName::of(name)),
            _ => self.conn().or(self.main.as_ref()),
        }
    }

    /// Every socket it holds, its main one first.
    fn all(&self) -> impl Iterator<Item = &Socket> {
        self.main.iter().chain(self.conns.iter())
    }
}

pub struct Runner<'a> {
    plan: &'a Plan,
    source: FrameSource,
    sockets: Vec<ActorSockets>,
    /// `--net host`: every call may reach only the lesson's own sockets.
    host: bool,
    /// `--net host`: every address the lesson's sockets have held, for
    /// keeping only the lesson's frames.
    endpoints: Endpoints,
    /// `sendall`s running on a second thread (`background: true`).
    background: Vec<Background>,
}

/// Longest we wait for the capture to catch up after a step.
const DRAIN_BOUND: Duration = Duration::from_secs(2);

impl<'a> Runner<'a> {
    pub fn new(plan: &'a Plan, source: FrameSource, host: bool) -> Runner<'a> {
        Runner {
            plan,
            source,
            host,
            endpoints: Endpoints::default(),
            background: Vec::new(),
            sockets: plan
                .actors
                .iter()
                .map(|_| ActorSockets::default())
                .collect(),
        }
    }

    /// The open namespace file of the lesson's host `host`, for a program
    /// that runs there.
    pub fn host_netns(&self, host: usize) -> Option<std::os::fd::RawFd> {
        Some(self.source.network()?.hosts.get(host)?.netns_fd())
    }

    /// Every address an actor's socket has, for telling whose frame is whose.
    pub fn endpoints(&self) -> Vec<(SocketAddr, usize)> {
        let mut out = Vec::new();
        for (i, s) in self.sockets.iter().enumerate() {
            for sock in s.all() {
                if let Some(a) = sock.local_addr().ok().and_then(|a| a.as_socket()) {
                    out.push((a, i));
                }
            }
        }
        out
    }

    fn learn_endpoints(&mut self) {
        if !self.host {
            return;
        }
        for (addr, actor) in self.endpoints() {
            self.endpoints
                .learn(addr, self.plan.actors[actor].transport == Transport::Tcp);
        }
    }

    /// `--net host`: frames on `lo` that were other programs', left out.
    pub fn left_out(&self) -> u64 {
        self.source.left_out()
    }

    /// Every open socket of the lesson, as the `--net host` guard sees it.
    fn held_sockets(&self) -> Vec<HeldSocket> {
        let mut out = Vec::new();
        for s in &self.sockets {
            for sock in s.all() {
                let Some(local) = sock.local_addr().ok().and_then(|a| a.as_socket()) else {
                    continue;
                };
                out.push(HeldSocket {
                    local,
                    tcp: sock.r#type().ok() == Some(Type::STREAM),
                    listening: sock.is_listener().unwrap_or(false),
                    shared: sock.reuse_address().unwrap_or(true)
                        || sock.reuse_port().unwrap_or(true),
                });
            }
        }
        out
    }

    /// An aborted run in `--net host` mode: reset the lesson's TCP
    /// connections instead of closing them, so no port of the lesson stays
    /// in TIME-WAIT and blocks the next run for a minute.
    pub fn abort_connections(&mut self) {
        if !self.host {
            return;
        }
        for s in &mut self.sockets {
            for sock in s.conns.take_all().into_iter().chain(s.main.take()) {
                if sock.r#type().ok() == Some(Type::STREAM) {
                    let _ = sock.set_linger(Some(Duration::ZERO));
                }
            }
        }
    }

    /// Run step `index` (0-based) and collect the frames it caused.
    pub fn run_step(&mut self, index: usize) -> Result<StepRecord, Error> {
        // No option is set on the actors' sockets unless a step asks: the
        // frames are the kernel's own (delayed ACKs included), as the
        // student's programs would put them on the wire.
        self.learn_endpoints();
        if self.host {
            let mut ports: Vec<u16> = self.endpoints.ports().collect();
            ports.extend(
                self.plan
                    .actors
                    .iter()
                    .map(|a| a.addr.port())
                    .filter(|&p| p != 0),
            );
            if let Some(lo) = self.source.lo() {
                lo.keep_ports(&ports)?;
            }
        }
        let start_ns = capture::now_ns();
        // The actor's background sendall ends before its next call, as a
        // program joins its sending thread before going on.
        let actor = self.plan.steps[index].actor;
        let joined = self
            .background
            .iter()
            .position(|b| b.actor == actor)
            .map(|i| {
                let b = self.background.remove(i);
                (b.step, b.finish())
            });
        let (mut record, failure) = self.perform(index);
        // A signal cut a waiting call short (EINTR; a socket timeout makes
        // even SA_RESTART give up): not the lesson's failure, so the step is
        // not recorded and the caller stops as the signal asked.
        if record.errno == Some(libc::EINTR) {
            return Err(Error::Interrupted {
                step: self.plan.steps[index].number,
            });
        }
        record.start_ns = start_ns;
        record.end_ns = capture::now_ns();
        self.learn_endpoints();
        let mut failure = failure.or_else(|| self.check_expectation(index, &record));
        if let Some((step, outcome)) = joined {
            record.result = format!("{}; then {}", joined_words(step, &outcome), record.result);
            if let Err(e) = outcome {
                failure = Some(self.background_failed(step, actor, &e));
            }
        }
        // Another actor's background sendall that ended during this step.
        let mut i = 0;
        while i < self.background.len() {
            match self.background[i].try_finish() {
                Some(outcome) => {
                    let b = self.background.remove(i);
                    record.result = format!(
                        "{}; meanwhile {}",
                        record.result,
                        b.finished_words(&outcome)
                    );
                    if let Err(e) = outcome {
                        failure = failure.or(Some(self.background_failed(b.step, b.actor, &e)));
                    }
                }
                None => i += 1,
            }
        }
        let frames = self.drain()?;
        Ok(StepRecord {
            call: record,
            frames,
            failure,
        })
    }

    fn background_failed(&self, step: usize, actor: usize, e: &io::Error) -> Error {
        Error::StepFailed {
            step,
            actor: self.plan.actors[actor].name.clone(),
            call: "sendall".into(),
            reason: describe_io_error(e),
            hint: Some("the receiver must read what the background sendall sends before the sender's next step: a `recv` with `until_bytes` or `until_eof` reads it all".into()),
        }
    }

    /// Every frame of the lesson's since the last drain.
    fn drain(&mut self) -> Result<Vec<CapturedFrame>, Error> {
        if self.host
            && let Some(lo) = self.source.lo()
        {
            let endpoints = &self.endpoints;
            return lo.drain_keeping(DRAIN_BOUND, &|frame: &[u8]| endpoints.owns_frame(frame));
        }
        self.source.drain(DRAIN_BOUND)
    }

    /// Frames the lesson's wire rules still held at the last drain.
    pub fn held_back(&self) -> usize {
        self.source.held_back()
    }

    /// Every frame since the last drain, now (after a traced program ended).
    pub fn drain_now(&mut self) -> Result<Vec<CapturedFrame>, Error> {
        self.drain()
    }

    /// The frames that arrive before `deadline`, once one has (none if
    /// nothing did): for frames a timer still owes when the steps are over.
    pub fn frames_until(
        &mut self,
        deadline: std::time::Instant,
    ) -> Result<Vec<CapturedFrame>, Error> {
        if !self.source.wait_readable(deadline)? {
            return Ok(Vec::new());
        }
        self.drain()
    }

    /// The longest retransmission timeout (TCP_INFO's `tcpi_rto`) of the
    /// lesson's open TCP sockets: how long data in flight may wait for a
    /// resend. Reading TCP_INFO changes nothing on the socket.
    pub fn max_rto(&self) -> Duration {
        use std::os::fd::AsRawFd;
        let mut most = Duration::ZERO;
        for s in &self.sockets {
            for sock in s.all() {
                // SAFETY: TCP_INFO fills at most `len` bytes of a tcp_info.
                let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
                let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
                let rc = unsafe {
                    libc::getsockopt(
                        sock.as_raw_fd(),
                        libc::IPPROTO_TCP,
                        libc::TCP_INFO,
                        (&mut info as *mut libc::tcp_info).cast(),
                        &mut len,
                    )
                };
                if rc == 0 {
                    most = most.max(Duration::from_micros(u64::from(info.tcpi_rto)));
                }
            }
        }
        most
    }

    fn perform(&mut self, index: usize) -> (CallRecord, Option<Error>) {
        let step = &self.plan.steps[index];
        let actor = &self.plan.actors[step.actor];
        let timeout = step.timeout;
        let mut rec = CallRecord {
            step: step.number,
            actor: step.actor,
            call: step.call.name(),
            args: call_text(self.plan, step),
            ok: true,
            result: String::new(),
            start_ns: 0,
            end_ns: 0,
            local: None,
            peer: None,
            data: None,
            errno: None,
            timed_out: false,
            unread: None,
        };
        let ty = match actor.transport {
            Transport::Udp => Type::DGRAM,
            Transport::Tcp => Type::STREAM,
        };
        let proto = match actor.transport {
            Transport::Udp => Protocol::UDP,
            Transport::Tcp => Protocol::TCP,
        };
        let held = self.host.then(|| self.held_sockets());
        let tcp = actor.transport == Transport::Tcp;
        let guard = |addr: SocketAddr, reach: Reach| -> io::Result<()> {
            match &held {
                Some(held) => host_guard::check(held, addr, tcp, reach).map_err(io::Error::other),
                None => Ok(()),
            }
        };
        let source = &self.source;
        let mut started: Option<Background> = None;
        let outcome: io::Result<String> = (|| {
            let sockets = &mut self.sockets[step.actor];
            match &step.call {
                Call::Bind => {
                    // A socket made earlier by setsockopt keeps its options.
                    if sockets.main.is_none() {
                        sockets.main = Some(source.new_socket(actor.host, actor.addr, ty, proto)?);
                    }
                    sockets
                        .main
                        .as_ref()
                        .ok_or_else(no_socket)?
                        .bind(&actor.addr.into())?;
                    Ok(format!(
                        "bound to {}",
                        local_of(sockets.main.as_ref())
                            .map(|a| a.to_string())
                            .unwrap_or_default()
                    ))
                }
                Call::Listen { backlog } => {
                    sockets
                        .main
                        .as_ref()
                        .ok_or_else(no_socket)?
                        .listen(*backlog as i32)?;
                    Ok(format!(
                        "listening on {}",
                        local_of(sockets.main.as_ref())
                            .map(|a| a.to_string())
                            .unwrap_or_default()
                    ))
                }
                Call::Accept => {
                    let listener = sockets.main.as_ref().ok_or_else(no_socket)?;
                    wait_readable(listener, timeout)?;
                    let (conn, from) = listener.accept()?;
                    let from = from.as_socket();
                    if let Some(from) = from {
                        // Not ours: dropped here, never answered.
                        guard(from, Reach::AcceptFrom)?;
                    }
                    // A connection held under the same name is dropped here,
                    // which closes it.
                    let name = ConnName::of(step.conn.as_deref().unwrap_or(""));
                    drop(sockets.conns.accept(name, conn));
                    rec.peer = from;
                    Ok(format!(
                        "new connection from {}",
                        from.map(|a| a.to_string()).unwrap_or_default()
                    ))
                }
                Call::Connect { to } => {
                    // The checker allows `reply` on sendto only.
                    let to = resolve(self.plan, *to, None, &[])?;
                    guard(to, Reach::Connect)?;
                    if sockets.main.is_none() {
                        sockets.main = Some(source.new_socket(actor.host, to, ty, proto)?);
                    }
                    let sock = sockets.main.as_ref().ok_or_else(no_socket)?;
                    if ty == Type::STREAM {
                        sock.connect_timeout(&to.into(), timeout)?;
                    } else {
                        sock.connect(&to.into())?;
                    }
                    rec.peer = Some(to);
                    Ok(format!(
                        "connected from {} to {to}",
                        local_of(sockets.main.as_ref())
                            .map(|a| a.to_string())
                            .unwrap_or_default()
                    ))
                }
                Call::Send { data, all } => {
                    let (data, chose) = answered(step, data, sockets.last_read.as_deref())?;
                    let sock = sockets
                        .socket_for(step.conn.as_deref())
                        .ok_or_else(no_socket)?;
                    if let Some(peer) = sock.peer_addr().ok().and_then(|a| a.as_socket()) {
                        guard(peer, Reach::Deliver)?;
                    }
                    if step.background {
                        started = Some(Background::start(
                            sock,
                            data.clone(),
                            step.number,
                            step.actor,
                            timeout,
                        )?);
                        rec.data = Some(data.clone());
                        rec.peer = sock.peer_addr().ok().and_then(|a| a.as_socket());
                        return Ok(format!(
                            "a second thread sends {}; the actor's next step waits for it",
                            plural(data.len(), "byte")
                        ));
                    }
                    let sent = send_within(sock, &data, *all, timeout)?;
                    rec.data = Some(data[..sent].to_vec());
                    rec.peer = sock.peer_addr().ok().and_then(|a| a.as_socket());
                    Ok(format!("{} sent{chose}", plural(sent, "byte")))
                }
                Call::SendTo { to, data } => {
                    let (data, chose) = answered(step, data, sockets.last_read.as_deref())?;
                    let to = resolve(self.plan, *to, sockets.last_from, &sockets.saved)?;
                    guard(to, Reach::Deliver)?;
                    if sockets.main.is_none() {
                        sockets.main = Some(source.new_socket(actor.host, to, ty, proto)?);
                    }
                    let sock = sockets.main.as_ref().ok_or_else(no_socket)?;
                    wait_for(sock, libc::POLLOUT, timeout)?;
                    let n = sock.send_to(&data, &to.into())?;
                    rec.data = Some(data[..n].to_vec());
                    rec.peer = Some(to);
                    Ok(format!("{} sent to {to}{chose}", plural(n, "byte")))
                }
                Call::Recv { max } => {
                    // A failed read leaves nothing for an `answer:` to reply to.
                    sockets.last_read = None;
                    let sock = sockets
                        .socket_for(step.conn.as_deref())
                        .ok_or_else(no_socket)?;
                    if let Some(until) = step.read_until {
                        let got = bulk::recv_until(sock, until, *max, timeout, MAX_TOTAL_PAYLOAD)?;
                        rec.peer = sock.peer_addr().ok().and_then(|a| a.as_socket());
                        let result = got.describe();
                        rec.data = Some(got.data);
                        return Ok(result);
                    }
                    wait_readable(sock, timeout)?;
                    let mut buf = vec![0u8; *max as usize];
                    let n = (&*sock).read(&mut buf)?;
                    buf.truncate(n);
                    rec.peer = sock.peer_addr().ok().and_then(|a| a.as_socket());
                    let result = if n == 0 {
                        "0 bytes: end of stream (the peer sent FIN)".to_string()
                    } else {
                        format!("{}: {}", plural(n, "byte"), py_bytes(&buf))
                    };
                    sockets.last_read = Some(buf.clone());
                    rec.data = Some(buf);
                    Ok(result)
                }
                Call::RecvFrom { max } => {
                    sockets.last_read = None;
                    let sock = sockets.main.as_ref().ok_or_else(no_socket)?;
                    wait_readable(sock, timeout)?;
                    let mut buf = vec![MaybeUninit::<u8>::uninit(); *max as usize];
                    let (n, from) = sock.recv_from(&mut buf)?;
                    // SAFETY: recv_from initialised the first n bytes.
                    let data: Vec<u8> = buf[..n]
                        .iter()
                        .map(|b| unsafe { b.assume_init() })
                        .collect();
                    let from = from.as_socket();
                    if let Some(from) = from {
                        guard(from, Reach::ReceiveFrom)?;
                    }
                    rec.peer = from;
                    sockets.last_from = from;
                    sockets.last_read = Some(data.clone());
                    if let (Some(i), Some(from)) = (step.save_as, from) {
                        sockets.saved.retain(|(n, _)| *n != i);
                        sockets.saved.push((i, from));
                    }
                    let result = format!(
                        "{}: {} from {}",
                        plural(n, "byte"),
                        py_bytes(&data),
                        from.map(|a| a.to_string()).unwrap_or_default()
                    );
                    rec.data = Some(data);
                    Ok(result)
                }
                Call::Shutdown { how } => {
                    let how = match how {
                        ShutdownHow::Read => Shutdown::Read,
                        ShutdownHow::Write => Shutdown::Write,
                        ShutdownHow::Both => Shutdown::Both,
                    };
                    let sock = sockets
                        .socket_for(step.conn.as_deref())
                        .ok_or_else(no_socket)?;
                    sock.shutdown(how)?;
                    Ok("done".into())
                }
                Call::Close { listener } => {
                    let name = ConnName::of(step.conn.as_deref().unwrap_or(""));
                    let takes = crate::sockets::close_takes(
                        Some(actor.transport),
                        *listener,
                        sockets.conns.get(&name).is_some(),
                    );
                    let sock = if takes != crate::sockets::Closed::Connection {
                        sockets.main.take()
                    } else {
                        sockets.conns.take(&name)
                    };
                    let sock = sock.ok_or_else(no_socket)?;
                    rec.local = sock.local_addr().ok().and_then(|a| a.as_socket());
                    rec.peer = sock.peer_addr().ok().and_then(|a| a.as_socket());
                    rec.unread = unread_bytes(&sock);
                    drop(sock);
                    // The listener and a connection are different sockets:
                    // the result says which went.
                    Ok(match takes {
                        crate::sockets::Closed::Listener => "closed the listening socket".into(),
                        _ => "closed".into(),
                    })
                }
                Call::Sleep { ms } => {
                    // The lesson asked for this pause (as `time.sleep` in a
                    // program): the kernel's timers fire during it, and the
                    // step's drain reads their frames with their own times.
                    std::thread::sleep(Duration::from_millis(*ms));
                    Ok(format!("slept {ms} ms"))
                }
                Call::SetOpt { option, value } => {
                    if sockets.main.is_none() {
                        sockets.main = Some(source.new_socket(actor.host, actor.addr, ty, proto)?);
                    }
                    let sock = sockets
                        .socket_for(step.conn.as_deref())
                        .ok_or_else(no_socket)?;
                    match option {
                        SockOpt::NoDelay => sock.set_tcp_nodelay(*value)?,
                        SockOpt::QuickAck => sock.set_tcp_quickack(*value)?,
                        SockOpt::ReuseAddr => sock.set_reuse_address(*value)?,
                        SockOpt::Ttl(ttl) => {
                            if actor.addr.is_ipv6() {
                                sock.set_unicast_hops_v6(u32::from(*ttl))?
                            } else {
                                sock.set_ttl_v4(u32::from(*ttl))?
                            }
                        }
                        SockOpt::RcvBuf(n) => sock.set_recv_buffer_size(*n as usize)?,
                        SockOpt::SndBuf(n) => sock.set_send_buffer_size(*n as usize)?,
                        SockOpt::MaxSeg(n) => sock.set_tcp_mss(*n)?,
                    }
                    Ok("set".into())
                }
            }
        })();

        self.background.extend(started);
        let sockets = &mut self.sockets[step.actor];
        if rec.local.is_none() {
            rec.local = match step.conn.as_deref() {
                Some(name) if !name.is_empty() => local_of(sockets.socket_for(Some(name))),
                _ => local_of(sockets.conn()).or_else(|| local_of(sockets.main.as_ref())),
            };
        }
        if rec.local.is_some() {
            sockets.last_local = rec.local;
        }
        match outcome {
            Ok(result) => {
                rec.result = result;
                (rec, None)
            }
            Err(e) => {
                rec.ok = false;
                rec.result = describe_io_error(&e);
                rec.errno = e.raw_os_error();
                rec.timed_out = matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                );
                let expected = step.expect.error;
                if expected.is_some_and(|x| matches_error(x, &e)) {
                    return (rec, None);
                }
                let failure = match expected {
                    Some(x) => Error::ExpectationFailed {
                        step: step.number,
                        actor: actor.name.clone(),
                        expected: format!("the call to fail with `{}`", x.as_str()),
                        got: format!("an error: {}", rec.result),
                    },
                    // A read that was expected to bring something names it.
                    None if step.expect.data.is_some() || step.expect.eof => {
                        Error::ExpectationFailed {
                            step: step.number,
                            actor: actor.name.clone(),
                            expected: match &step.expect.data {
                                Some(d) => py_bytes(d),
                                None => "end of stream (0 bytes)".to_string(),
                            },
                            got: format!("an error: {}", rec.result),
                        }
                    }
                    None => Error::StepFailed {
                        step: step.number,
                        actor: actor.name.clone(),
                        call: rec.call.to_string(),
                        reason: rec.result.clone(),
                        hint: error_hint(&e, self.plan, step),
                    },
                };
                (rec, Some(failure))
            }
        }
    }

    fn check_expectation(&self, index: usize, rec: &CallRecord) -> Option<Error> {
        let step = &self.plan.steps[index];
        let actor = &self.plan.actors[step.actor].name;
        let fail = |expected: String, got: String| {
            Some(Error::ExpectationFailed {
                step: step.number,
                actor: actor.clone(),
                expected,
                got,
            })
        };
        let e = &step.expect;
        if let Some(x) = e.error
            && rec.ok
        {
            return fail(
                format!("the call to fail with `{}`", x.as_str()),
                format!("success: {}", rec.result),
            );
        }
        if let Some(want) = &e.data {
            let got = rec.data.clone().unwrap_or_default();
            if &got != want {
                let (want, got) = crate::text::bytes_differ(want, &got);
                return fail(want, got);
            }
        }
        if e.eof && rec.data.as_ref().is_some_and(|d| !d.is_empty()) {
            return fail(
                "end of stream (0 bytes)".into(),
                py_bytes(rec.data.as_deref().unwrap_or_default()),
            );
        }
        if let Some(from) = e.from {
            // The expected sender's address is whatever its socket is bound to now.
            let sender = &self.sockets[from];
            let want = local_of(sender.main.as_ref())
                .or_else(|| local_of(sender.conn()))
                .or(sender.last_local);
            // An unbound sender's socket reports the wildcard address; the
            // datagram carries the real one, so compare the port and accept either.
            let same = match (rec.peer, want) {
                (Some(p), Some(w)) => {
                    p.port() == w.port() && (p.ip() == w.ip() || w.ip().is_unspecified())
                }
                _ => false,
            };
            if !same {
                return fail(
                    format!(
                        "a datagram from `{}` ({})",
                        self.plan.actors[from].name,
                        match want {
                            // Unbound: the wildcard is not where it sends from.
                            Some(a) if a.ip().is_unspecified() => format!("port {}", a.port()),
                            Some(a) => a.to_string(),
                            None => "no address yet".into(),
                        }
                    ),
                    format!(
                        "one from {}",
                        rec.peer.map(|a| a.to_string()).unwrap_or("nowhere".into())
                    ),
                );
            }
        }
        None
    }

    pub fn dropped(&self) -> u64 {
        self.source.dropped()
    }

    pub fn plan(&self) -> &Plan {
        self.plan
    }
}

/// Where a step's `to` points: an actor's address, a written address, or
/// (`to: reply`) whoever the actor's last `recvfrom` heard from.
fn resolve(
    plan: &Plan,
    peer: Peer,
    last_from: Option<SocketAddr>,
    saved: &[(usize, SocketAddr)],
) -> io::Result<SocketAddr> {
    match peer {
        Peer::Saved(i) => saved
            .iter()
            .find(|(n, _)| *n == i)
            .map(|(_, a)| *a)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!(
                        "`to: {}` needs an earlier `recvfrom` by this actor with `save_as: {0}`",
                        plan.peer_names.get(i).map(String::as_str).unwrap_or("?")
                    ),
                )
            }),
        Peer::Actor(i) => Ok(plan.actors[i].addr),
        Peer::Addr(a) => Ok(a),
        Peer::Reply => crate::sockets::reply_to(last_from).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                "`to: reply` needs an earlier `recvfrom` by this actor, to know whom to answer",
            )
        }),
    }
}

/// The data a send step sends: its own, or with `answer:` the reply the
/// table gives to what the actor's read before it returned, and how the
/// table chose it (for the call's result).
fn answered(
    step: &PlannedStep,
    data: &[u8],
    last_read: Option<&[u8]>,
) -> io::Result<(Vec<u8>, String)> {
    let Some(answer) = &step.answer else {
        return Ok((data.to_vec(), String::new()));
    };
    let received = last_read.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            "the read before this answer returned nothing to answer (it failed)",
        )
    })?;
    let (reply, row) = answer.choose(received);
    let why = match row {
        Some(row) => format!(
            ": {}, row {row} of the answer table ({} → {})",
            py_bytes(reply),
            py_bytes(received),
            py_bytes(reply)
        ),
        None => format!(
            ": {}, the answer table's default ({} is in no row)",
            py_bytes(reply),
            py_bytes(received)
        ),
    };
    Ok((reply.to_vec(), why))
}

/// What a step's result says about the background sendall it waited for.
fn joined_words(step: usize, outcome: &io::Result<usize>) -> String {
    match outcome {
        Ok(n) => format!(
            "waited for step {step}'s background sendall, which returned: {} sent",
            plural(*n, "byte")
        ),
        Err(e) => format!("step {step}'s background sendall failed: {e}"),
    }
}

/// FIONREAD: bytes waiting in the socket's receive buffer.
fn unread_bytes(sock: &Socket) -> Option<usize> {
    use std::os::fd::AsRawFd;
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int.
    let rc = unsafe { libc::ioctl(sock.as_raw_fd(), libc::FIONREAD, &mut n) };
    (rc == 0).then_some(n.max(0) as usize)
}

fn local_of(sock: Option<&Socket>) -> Option<SocketAddr> {
    sock?
        .local_addr()
        .ok()?
        .as_socket()
        .filter(|a| a.port() != 0)
}

fn no_socket() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "this actor has no open socket for that call",
    )
}

// Step timeouts are kept with poll(2), not SO_RCVTIMEO/SO_SNDTIMEO: the
// actors' sockets carry only the options the lesson set.
fn wait_readable(sock: &Socket, timeout: Duration) -> io::Result<()> {
    wait_for(sock, libc::POLLIN, timeout)
}

pub(super) fn wait_for(sock: &Socket, events: libc::c_short, timeout: Duration) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let mut pfd = libc::pollfd {
        fd: sock.as_raw_fd(),
        events,
        revents: 0,
    };
    let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
    {
        // SAFETY: one valid pollfd.
        let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
        // A signal (EINTR) ends the wait: the step reports it, as a
        // blocking call would.
        match rc {
            0 if events == libc::POLLIN => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "nothing arrived before the step's timeout",
            )),
            0 => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the send buffer stayed full until the step's timeout",
            )),
            n if n < 0 => Err(io::Error::last_os_error()),
            _ => Ok(()),
        }
    }
}

/// send(2) until every byte is queued (a blocking send does the same), or
/// for `send` until the timeout with part of it queued; `sendall` that runs
/// out of time fails, as Python's does.
fn send_within(sock: &Socket, data: &[u8], all: bool, timeout: Duration) -> io::Result<usize> {
    let deadline = std::time::Instant::now() + timeout;
    let mut sent = 0;
    while sent < data.len() {
        match sock.send_with_flags(&data[sent..], libc::MSG_DONTWAIT) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => sent += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                match wait_for(sock, libc::POLLOUT, left) {
                    Err(e) if e.kind() == io::ErrorKind::TimedOut && !all && sent > 0 => break,
                    r => r?,
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(sent)
}

fn matches_error(expected: ExpectedError, e: &io::Error) -> bool {
    match expected {
        ExpectedError::Refused => e.kind() == io::ErrorKind::ConnectionRefused,
        ExpectedError::Reset => e.kind() == io::ErrorKind::ConnectionReset,
        ExpectedError::Timeout => matches!(
            e.kind(),
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
        ),
    }
}

fn describe_io_error(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused (ECONNREFUSED)".into(),
        io::ErrorKind::ConnectionReset => "connection reset by peer (ECONNRESET)".into(),
        io::ErrorKind::AddrInUse => "address already in use (EADDRINUSE)".into(),
        // Our own timeouts already say so ("timed out", "nothing arrived…").
        io::ErrorKind::TimedOut if e.to_string().contains("timed out") => e.to_string(),
        io::ErrorKind::TimedOut => format!("timed out: {e}"),
        _ => e.to_string(),
    }
}

fn error_hint(e: &io::Error, plan: &Plan, step: &PlannedStep) -> Option<String> {
    let actor = step.actor;
    if let Some(guard) = e.get_ref().and_then(|i| i.downcast_ref::<NotOwnSocket>()) {
        return Some(match guard.reach {
            Reach::Deliver | Reach::Connect => "on the host's loopback that address may belong to another program; make an actor of the lesson bind (and for TCP, listen on) it in an earlier step, or run the lesson in the default `--net sandbox`, where every socket is the lesson's own".into(),
            Reach::AcceptFrom | Reach::ReceiveFrom => "another program on this machine talked to the lesson's socket; run the lesson in the default `--net sandbox`, where nothing else can reach it".into(),
        });
    }
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            if matches!(step.call, Call::Connect { .. })
                && plan.actors[actor].transport == Transport::Tcp =>
        {
            Some("nothing answered the SYN: a listening server drops SYNs while its accept queue is full (backlog + 1 finished connections that nobody `accept`ed yet); accept earlier, raise `backlog`, or add `expect: {error: timeout}` if that is the lesson".into())
        }
        io::ErrorKind::AddrInUse => Some(format!(
            "another socket holds {}: with `--net host` perhaps another program (the default `--net sandbox` gives every run its own ports); in the sandbox, one of this lesson's own sockets, or a closed connection still in TIME-WAIT (`setsockopt` `reuseaddr` before `bind` allows that)",
            plan.actors[actor].addr
        )),
        io::ErrorKind::TimedOut => Some(
            "the peer never answered: check that an earlier step sends what this one waits for"
                .into(),
        ),
        io::ErrorKind::ConnectionRefused => Some(
            "nobody listens on that port; add `expect: {error: refused}` if that is the lesson"
                .into(),
        ),
        _ => None,
    }
}

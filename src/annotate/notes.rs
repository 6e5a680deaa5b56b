//! The built-in explanations. Every number quoted here comes from the
//! captured frame or the call's real result.

use crate::dissect::{Dissection, Layer, TcpInfo};
use crate::exec::CallRecord;
use crate::lesson::check::{Call, Plan, Transport};

use super::fmt_ns;
use super::tcp::{Observation, State};

pub struct CallNotes {
    pub syntax: String,
    pub semantics: String,
    pub timing: String,
}

/// What the annotator knows about a call's socket beyond the call itself.
pub struct CallContext {
    /// The TCP state of the connection end the socket had, if any.
    pub tcp_state: Option<State>,
    /// The call closed a listening socket.
    pub closes_listener: bool,
}

pub fn call_notes(
    rec: &CallRecord,
    transport: Transport,
    ctx: &CallContext,
    plan: &Plan,
) -> CallNotes {
    let step = &plan.steps[rec.step - 1];
    let family = match rec.local.or(rec.peer) {
        Some(a) if a.is_ipv6() => "AF_INET6",
        _ => "AF_INET",
    };
    let kind = match transport {
        Transport::Udp => "SOCK_DGRAM (UDP)",
        Transport::Tcp => "SOCK_STREAM (TCP)",
    };
    let mut syntax = format!(
        "`{}` on an {family}, {kind} socket → {}",
        rec.args,
        if rec.ok { "ok" } else { "error" }
    );
    if let Some(l) = rec.local {
        syntax.push_str(&format!("; local address {l}"));
    }
    if let Some(p) = rec.peer {
        syntax.push_str(&format!("; peer {p}"));
    }
    syntax.push_str(&format!("; returned: {}", rec.result));

    let local_port = rec.local.map(|a| a.port()).unwrap_or(0);
    let (semantics, timing): (String, String) = match (&step.call, transport) {
        // Reads and TCP connects explain their own failures below.
        (call, _)
            if !rec.ok
                && !matches!(
                    (call, transport),
                    (Call::Recv { .. } | Call::RecvFrom { .. }, _)
                        | (Call::Connect { .. }, Transport::Tcp)
                ) =>
        {
            (
                format!("{}() failed: {}.{}", rec.call, rec.result, errno_meaning(rec.errno)),
                if matches!(step.call, Call::Send { .. }) && transport == Transport::Tcp {
                    "Bytes it handed to the kernel before the failure may still leave; any frame below shows what did.".to_string()
                } else {
                    "A call that fails sends nothing itself: no frame comes from it.".to_string()
                },
            )
        }
        (Call::Bind, Transport::Udp) => (
            format!("bind() attaches the socket to {}: from now on the kernel delivers every datagram that arrives for that address and port to this socket.", rec.local.map(|a| a.to_string()).unwrap_or_default()),
            "Puts nothing on the wire: binding is bookkeeping inside the kernel.".to_string(),
        ),
        (Call::Bind, Transport::Tcp) => (
            format!("bind() gives the socket the local address {}. Once it listens, connection requests to that address arrive here; each accepted connection then gets a socket of its own with the same local port.", rec.local.map(|a| a.to_string()).unwrap_or_default()),
            "Puts nothing on the wire: binding is bookkeeping inside the kernel.".to_string(),
        ),
        (Call::SendTo { .. }, _) => (
            format!(
                "sendto() hands the bytes and a destination to the kernel, which wraps them in UDP, IP and Ethernet headers and transmits them at once. The socket's source port is {local_port}{}.{}",
                match ephemeral_range() {
                    Some((lo, hi)) if (lo..=hi).contains(&local_port) => format!(": the OS picked it from its ephemeral range ({lo}–{hi} here) the first time this unbound socket sent"),
                    _ => String::new(),
                },
                if rec.local.is_some_and(|a| a.ip().is_unspecified()) {
                    " Its local address shows as the wildcard (0.0.0.0 or ::, \"any\"): the socket is not tied to one address, and the kernel picks the source address of each datagram from its route (the frame below shows which)."
                } else {
                    ""
                }
            ),
            "Its datagram follows immediately, below.".to_string(),
        ),
        (Call::RecvFrom { .. }, _) if !rec.ok => (
            format!("recvfrom() gave up: {}. No datagram arrived for this socket within the step's time limit.", rec.result),
            "Nothing is sent by a read.".to_string(),
        ),
        (Call::RecvFrom { .. }, _) => (
            format!(
                "recvfrom() takes the oldest datagram from the socket's receive queue, together with the sender's address ({}). That is how a receiver learns who wrote and where a reply should go.",
                rec.peer.map(|a| a.to_string()).unwrap_or("unknown".into())
            ),
            "Reading puts nothing on the wire: the datagram arrived earlier and waited in the queue.".to_string(),
        ),
        (Call::Close { .. }, Transport::Udp) => (
            "close() releases the socket and its port.".to_string(),
            "No frame: UDP has no connection, so there is nobody to tell.".to_string(),
        ),
        (Call::Listen { backlog }, _) => (
            format!("listen({backlog}) makes the socket passive: the kernel now answers SYNs sent to port {local_port} by itself. Finished handshakes wait in the accept queue until accept(); Linux lets backlog + 1 = {} wait, and when the queue is full it silently drops new SYNs (no RST), so those clients resend their SYN {}.", backlog + 1, syn_retry_schedule()),
            "No frame: the socket only starts waiting.".to_string(),
        ),
        (Call::Accept, _) => match rec.replaced {
            None => (
                format!(
                    "accept() takes a finished connection out of the listen backlog and returns a new socket for it (peer {}); the listening socket stays open for the next client. The handshake itself was done by the kernel, before this call.",
                    rec.peer.map(|a| a.to_string()).unwrap_or_default()
                ),
                "No frame of its own: the kernels do the handshake, usually earlier, during the client's connect().".to_string(),
            ),
            Some(old) => (
                format!(
                    "accept() takes a finished connection out of the listen backlog and returns a new socket for it (peer {}). An actor holds one connection, like a program that keeps it in one variable: the connection with {old} that it held is dropped, and dropping the last reference to a socket closes it.",
                    rec.peer.map(|a| a.to_string()).unwrap_or_default()
                ),
                format!("The closed connection's FIN to {old} follows, below; the handshake is the kernels' work, usually done during the client's connect()."),
            ),
        },
        (Call::Connect { .. }, Transport::Tcp) if rec.ok => (
            format!("connect() makes the kernel run the three-way handshake with {}; it returns when the SYN+ACK has arrived and the final ACK is sent. The client's port {local_port} was chosen by the OS.", rec.peer.map(|a| a.to_string()).unwrap_or_default()),
            "The handshake frames follow, below.".to_string(),
        ),
        (Call::Connect { .. }, Transport::Tcp) if rec.result.contains("refused") => (
            format!("connect() failed: {}. The kernel sent a SYN and the kernel at the destination answered with RST, because no socket listens on that port.", rec.result),
            "The SYN and the RST follow, below.".to_string(),
        ),
        (Call::Connect { .. }, Transport::Tcp) if rec.timed_out => (
            format!("connect() gave up: {}. Its SYN was never answered (for example because the server's accept queue was full, and its kernel dropped the SYN).", rec.result),
            "The SYN follows, below, with any resend the kernel made within the time limit.".to_string(),
        ),
        (Call::Connect { .. }, Transport::Tcp) => (
            format!("connect() failed: {}.", rec.result),
            "Any frames it caused follow, below.".to_string(),
        ),
        (Call::Connect { .. }, Transport::Udp) => (
            "connect() on a UDP socket sends nothing: it only records a default destination, so later send() needs no address and the socket accepts datagrams from that peer only. It also lets the kernel report ICMP errors to this socket.".to_string(),
            "No frame.".to_string(),
        ),
        (Call::Send { .. }, Transport::Tcp) => (
            "send() copies the bytes into the socket's send buffer; TCP numbers every byte, sends them in a segment and keeps a copy until the peer acknowledges it.".to_string(),
            "The data segment and its acknowledgement follow, below.".to_string(),
        ),
        (Call::Send { .. }, Transport::Udp) => (
            "send() on a connected UDP socket: one datagram to the connected peer.".to_string(),
            "Its datagram follows, below.".to_string(),
        ),
        (Call::Recv { .. }, Transport::Tcp) if !rec.ok => (
            format!("recv() failed: {}.{}", rec.result, if rec.result.contains("reset") { " The peer's RST aborted the connection; any data still unread is gone." } else { "" }),
            "Nothing is sent because of a failed read.".to_string(),
        ),
        (Call::Recv { .. }, Transport::Tcp) => (
            if rec.data.as_ref().is_some_and(|d| d.is_empty()) && matches!(ctx.tcp_state, Some(State::TimeWait | State::Closing | State::LastAck | State::Closed)) {
                "recv() returned 0 bytes: end of stream. The peer sent FIN, and this side had already sent its own: both directions are closed now.".to_string()
            } else if rec.data.as_ref().is_some_and(|d| d.is_empty()) {
                "recv() returned 0 bytes: end of stream. The peer sent FIN, so no more data will come from it; this side may still send (a half-closed connection) and closes when it is done.".to_string()
            } else {
                "recv() takes bytes from the receive buffer. TCP is a byte stream: it keeps the order of bytes but not the boundaries between sends.".to_string()
            },
            "Reading usually puts nothing on the wire. If it released an ACK the kernel was holding, that frame follows below.".to_string(),
        ),
        (Call::Recv { .. }, Transport::Udp) => (
            if rec.ok {
                "recv() on a connected UDP socket takes the next datagram from its peer.".to_string()
            } else if rec.timed_out {
                format!("recv() gave up: {}. No datagram arrived from the peer within the step's time limit.", rec.result)
            } else {
                format!("recv() failed: {}.{}", rec.result, errno_meaning(rec.errno))
            },
            "Reading puts nothing on the wire.".to_string(),
        ),
        (Call::Shutdown { .. }, _) => (
            "shutdown() ends one direction of the connection: SHUT_WR sends FIN (no more data from me) while this side can still receive.".to_string(),
            "A FIN follows if the sending side was shut.".to_string(),
        ),
        (Call::Close { .. }, Transport::Tcp) => close_notes(ctx, rec.unread.unwrap_or(0)),
        (Call::SetOpt { .. }, _) => ("setsockopt() changes how the kernel treats this socket.".to_string(), "No frame.".to_string()),
        (Call::Sleep { .. }, _) => ("time.sleep(): the program pauses and makes no call; its sockets stay as they are, and the kernel goes on by itself. A frame sent during the pause was sent by one of the kernel's timers, and says which.".to_string(), "No frame of its own.".to_string()),
    };
    CallNotes {
        syntax,
        semantics,
        timing,
    }
}

/// What a failed call's errno tells a student, as a sentence after the
/// kernel's own message.
fn errno_meaning(errno: Option<i32>) -> &'static str {
    match errno {
        Some(libc::EADDRINUSE) => {
            " Something still holds this address and port: another socket, or a closed connection still in TIME-WAIT. Two sockets may share them only when both set SO_REUSEADDR (or SO_REUSEPORT) first."
        }
        Some(libc::EADDRNOTAVAIL) => {
            " No interface of this host has that address, so a socket cannot be bound to it."
        }
        Some(libc::ENETUNREACH) => {
            " The kernel has no route from this socket to that address; on loopback that usually means the socket is IPv4 and the destination IPv6, or the other way round."
        }
        Some(libc::EAFNOSUPPORT) => {
            " The destination's address family (IPv4 or IPv6) is not the socket's."
        }
        Some(libc::EPIPE) => {
            " This side may no longer send on the connection: it was shut down for writing, or the connection is gone."
        }
        Some(libc::ECONNRESET) => {
            " The peer reset the connection (RST): it is gone, and so is any data not yet read."
        }
        Some(libc::ECONNREFUSED) => {
            " An ICMP port-unreachable about an earlier datagram was waiting on this connected socket, and the kernel reports it on the next call."
        }
        Some(libc::ENOTCONN) => " The socket has no connection, so there is nobody to talk to.",
        Some(libc::EISCONN) => " The socket is already connected; a TCP socket connects once.",
        Some(libc::EINVAL) => {
            " The kernel found the request invalid for the socket's present state (for example binding a socket that already has an address)."
        }
        Some(libc::EAGAIN) => " Nothing could happen within the step's time limit.",
        _ => "",
    }
}

fn close_notes(ctx: &CallContext, unread: usize) -> (String, String) {
    let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
    if ctx.closes_listener {
        return pair(
            "close() on a listening socket releases its port. Connections that finished their handshake but were never accepted are reset (RST); otherwise nothing is sent.",
            "No frame, unless connections were still waiting in the accept queue.",
        );
    }
    if unread > 0
        && matches!(
            ctx.tcp_state,
            Some(
                State::Established
                    | State::SynReceived
                    | State::CloseWait
                    | State::FinWait1
                    | State::FinWait2
            )
        )
    {
        return (
            format!(
                "close() while {} the application never read still wait in the receive buffer: instead of FIN, the kernel sends RST (RFC 1122, 4.2.2.13). A FIN would say \"all went well, I am done\"; the RST tells the peer at once that data was thrown away, and the connection is gone without the FIN exchange or TIME-WAIT.",
                crate::exec::plural(unread, "byte")
            ),
            "The RST follows, below; nothing answers it.".to_string(),
        );
    }
    match ctx.tcp_state {
        Some(State::Established) | Some(State::SynReceived) => pair(
            "close() on a connected TCP socket: the kernel sends FIN after any data still queued (had unread data been waiting in the receive buffer, it would send RST instead). The socket's port stays in use while the connection finishes closing.",
            "The FIN follows, below. The peer acknowledges it (Linux may hold that ACK for a moment) and sends its own FIN when its application closes.",
        ),
        Some(State::CloseWait) => pair(
            "close() after the peer's FIN: the kernel sends this side's FIN, which completes the teardown; this side waits in LAST-ACK for the final ACK.",
            "This FIN and the peer's last ACK follow, below.",
        ),
        Some(State::TimeWait)
        | Some(State::FinWait2)
        | Some(State::LastAck)
        | Some(State::Closing) => pair(
            "This side has already sent its FIN (with shutdown), so close() only frees the descriptor; the kernel finishes the teardown on its own.",
            "No new frame from close() itself.",
        ),
        Some(State::Closed) => pair(
            "The connection was already refused or reset, so there is nothing to close on the wire: close() only frees the socket.",
            "No frame.",
        ),
        _ => pair(
            "close() releases the socket; it never connected, so nothing is sent.",
            "No frame.",
        ),
    }
}

/// The kernel's range for ports it picks itself (`net.ipv4.ip_local_port_range`).
/// When Linux resends an unanswered SYN, in words, from this kernel's
/// settings (recent kernels have `tcp_syn_linear_timeouts`).
fn syn_retry_schedule() -> String {
    let linear = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_syn_linear_timeouts")
        .ok()
        .and_then(|t| t.trim().parse::<u32>().ok());
    match linear {
        Some(n) if n > 0 => format!(
            "after 1 s, and again every 1 s for its first few retries (net.ipv4.tcp_syn_linear_timeouts = {n} here), then with the wait doubling each time"
        ),
        _ => "after 1 s, then 2 s, 4 s… (the wait doubles each time)".to_string(),
    }
}

pub fn ephemeral_range() -> Option<(u16, u16)> {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let mut it = text.split_whitespace().filter_map(|n| n.parse().ok());
    Some((it.next()?, it.next()?))
}

pub struct FrameContext<'a> {
    pub d: &'a Dissection,
    pub frame: &'a [u8],
    pub from: &'a str,
    pub to: &'a str,
    pub tcp: Option<&'a Observation>,
    pub follows: Option<usize>,
    pub plan: &'a Plan,
    pub step: usize,
    /// The earlier event that explained loopback's zero MACs and unfilled
    /// checksums in full; later frames only point back to it.
    pub loopback_explained_at: Option<usize>,
    /// The first frame of its step: short reminders go there only.
    pub first_in_step: bool,
    /// An earlier frame of this IP version already had the network layer
    /// explained; later ones keep to their own layer.
    pub network_explained: bool,
}

pub struct FrameNotes {
    pub syntax: String,
    pub semantics: String,
    pub timing_lead: String,
    pub timing: String,
}

/// `Ethernet, bytes 0–13 (14 B): destination = …; source = …`.
fn layer_syntax(l: &Layer) -> String {
    let fields: Vec<String> = l
        .fields
        .iter()
        .filter(|f| !(f.name.starts_with("flags.") && f.value.starts_with('0')))
        .map(|f| format!("{} = {}", f.name, f.value))
        .collect();
    let end = (l.offset + l.length).saturating_sub(1);
    format!(
        "{}, bytes {}–{} ({} B): {}",
        l.protocol,
        l.offset,
        end,
        l.length,
        fields.join("; ")
    )
}

/// The network layer in words, with this frame's values: said once per IP
/// version, on the first frame that uses it.
fn network_note(c: &FrameContext) -> Option<String> {
    use crate::dissect::{ip::Protocol, ipv4, ipv6};
    let layer =
        c.d.layers
            .iter()
            .find(|l| matches!(l.protocol.as_str(), "IPv4" | "IPv6"))?;
    let bytes = c.frame.get(layer.offset..)?;
    let what = |p: Protocol| match p.name() {
        Some(name) => format!("{} ({name})", u8::from(p)),
        None => u8::from(p).to_string(),
    };
    if layer.protocol == "IPv4" {
        let p = ipv4::Packet::new_checked(bytes)?;
        let mut s = format!(
            "Network layer: the IPv4 header ({} bytes{}) carries the packet from host {} to host {}. TTL {} is a hop budget: every router on the way subtracts 1 and discards the packet at 0 (telling the sender with an ICMP time-exceeded message), so a routing loop cannot keep it forever; on `lo` no router is crossed. Protocol {} names what the payload is.",
            p.header_len(),
            if p.header_len() == ipv4::HEADER_LEN {
                ", no options"
            } else {
                ", with options"
            },
            p.src_addr(),
            p.dst_addr(),
            p.ttl(),
            what(p.protocol()),
        );
        if p.more_frags() || p.frag_offset() > 0 {
            s.push_str(&format!(
                " This packet is a fragment (offset {} bytes{}): the receiver reassembles the pieces that share identification {}.",
                p.frag_offset(),
                if p.more_frags() { ", more follow" } else { ", the last one" },
                p.ident()
            ));
        } else if p.dont_frag() {
            s.push_str(&format!(
                " Don't fragment is set: Linux does path-MTU discovery — rather than have a router split a packet too big for its next link, it wants to be told (ICMP \"fragmentation needed\") and send smaller ones. So identification {}, which would match up the fragments of one packet, has nothing to match.",
                p.ident()
            ));
        }
        s.push_str(" The header checksum covers the IP header only; each router recomputes it after lowering the TTL.");
        Some(s)
    } else {
        let p = ipv6::Packet::new_checked(bytes)?;
        let loopback = if p.src_addr().is_loopback() {
            " (::1 is IPv6's loopback address, as 127.0.0.1 is IPv4's)"
        } else {
            ""
        };
        Some(format!(
            "Network layer: the IPv6 header, a fixed 40 bytes, carries the packet from {} to {} with 128-bit addresses{loopback}. Hop limit {} is IPv4's TTL under a plainer name: each router subtracts 1 and drops the packet at 0. Next header {} names what follows, as IPv4's protocol field does (it could also be an extension header). Payload length {} counts only what follows these 40 bytes. Flow label {:#x} marks the packets of one flow so routers can keep them on one path; Linux picks one per flow and direction. Unlike IPv4 there is no header checksum, so UDP's checksum, optional over IPv4, is mandatory over IPv6: its pseudo-header is what protects the addresses. And routers never fragment: only the sender may, after an ICMPv6 \"packet too big\".",
            p.src_addr(),
            p.dst_addr(),
            p.hop_limit(),
            what(p.next_header()),
            p.payload_len(),
            p.flow_label(),
        ))
    }
}

pub fn zero_macs(d: &Dissection) -> bool {
    d.mac_src.as_deref() == Some("00:00:00:00:00:00")
        && d.mac_dst.as_deref() == Some("00:00:00:00:00:00")
}

const LOOPBACK_MAC: &str = "The MAC addresses are all zero because `lo` is not a network card: there is no hardware address to put there, and the frame never leaves the machine.";

/// How a note names a party: the actor, or for a port no lesson socket owns,
/// the address itself.
fn party(name: &str, ip: Option<&str>, port: Option<u16>) -> String {
    match (name, ip, port) {
        ("kernel", Some(ip), Some(port)) => match ip.parse::<std::net::IpAddr>() {
            Ok(ip) => format!("{} (no socket there)", std::net::SocketAddr::new(ip, port)),
            Err(_) => format!("{ip}:{port} (no socket there)"),
        },
        ("kernel", Some(ip), None) => format!("the kernel at {ip}"),
        _ => name.to_string(),
    }
}

pub fn frame_notes(c: &FrameContext) -> FrameNotes {
    let d = c.d;
    let from_text = party(c.from, d.ip_src.as_deref(), d.src_port());
    let to_text = party(c.to, d.ip_dst.as_deref(), d.dst_port());
    let mut syntax: Vec<String> = d.layers.iter().map(layer_syntax).collect();
    if let Some(reason) = &d.stopped {
        syntax.push(format!("Parsing stopped: {reason}"));
    }
    let syntax = syntax.join("\n");
    let mut semantics = Vec::new();
    let (timing_lead, timing);

    if let Some(t) = &d.tcp {
        let (s, lead, next) = tcp_notes(c, t);
        semantics.push(s);
        timing_lead = lead;
        timing = next;
    } else if let Some(u) = &d.udp {
        let payload = payload_text(c);
        semantics.push(format!(
            "{} → {}: one UDP datagram carrying {payload}. The destination port {} picks the receiving socket ({}); the source port {} identifies {}{}. The IP header carries it from {} to {}. UDP adds only 8 bytes — ports, a length ({} = 8 header + {} data) and a checksum: no sequence number, no acknowledgement, no connection.",
            from_text,
            to_text,
            u.dst_port,
            if c.to == "kernel" { "no socket is bound to it".to_string() } else { c.to.to_string() },
            u.src_port,
            from_text,
            if ephemeral_range().is_some_and(|(lo, hi)| (lo..=hi).contains(&u.src_port)) { ", a port from the OS's ephemeral range" } else { "" },
            d.ip_src.as_deref().unwrap_or("?"),
            d.ip_dst.as_deref().unwrap_or("?"),
            u.length,
            u.length.saturating_sub(8),
        ));
        if let Some(note) = checksum_note(c) {
            semantics.push(note);
        }
        timing_lead = "sent by the kernel the moment sendto()/send() ran,".to_string();
        timing = if c.to == "kernel" {
            "No socket is bound to the destination port, so the receiving kernel answers with an ICMP port-unreachable message.".to_string()
        } else {
            "Nothing must follow at the transport layer: UDP expects no answer. The datagram waits in the receiver's queue until it calls recvfrom/recv.".to_string()
        };
    } else if let Some(i) = &d.icmp {
        let mut s = format!(
            "{} message from the kernel at {} to {}: {} (type {}, code {}).",
            i.protocol,
            d.ip_src.as_deref().unwrap_or("?"),
            c.to,
            i.description,
            i.icmp_type,
            i.code
        );
        if let Some(q) = &i.quoted {
            let addr = |ip: &str, port: Option<u16>| match (ip.parse::<std::net::IpAddr>(), port) {
                (Ok(ip), Some(port)) => std::net::SocketAddr::new(ip, port).to_string(),
                _ => format!("{ip}:{}", port.map(|p| p.to_string()).unwrap_or("?".into())),
            };
            s.push_str(&format!(
                " It quotes the datagram it is about ({} → {}): at least its IP header and first 8 bytes, which hold the ports, so the sender's kernel can find the socket that sent it.",
                addr(&q.src_ip, q.src_port),
                addr(&q.dst_ip, q.dst_port),
            ));
            let port_unreachable = (i.protocol == "ICMP" && i.icmp_type == 3 && i.code == 3)
                || (i.protocol == "ICMPv6" && i.icmp_type == 1 && i.code == 4);
            if port_unreachable {
                s.push_str(&format!(
                    " Nothing is bound to port {} there. A connected UDP socket learns of it as ECONNREFUSED on its next call; an unconnected one is not told (unless it asked with {}).",
                    q.dst_port.map(|p| p.to_string()).unwrap_or("?".into()),
                    if i.protocol == "ICMPv6" { "IPV6_RECVERR" } else { "IP_RECVERR" }
                ));
            }
        }
        semantics.push(s);
        timing_lead = format!(
            "sent by the receiving kernel in answer to {},",
            c.follows
                .map(|f| format!("event #{f}"))
                .unwrap_or("the datagram".into())
        );
        timing = "Nothing follows from it: ICMP errors are never answered.".to_string();
    } else {
        semantics.push(format!(
            "A frame from {} to {}: {}.",
            c.from,
            c.to,
            d.summary()
        ));
        timing_lead = "captured".to_string();
        timing = String::new();
    }
    if let Some(reason) = &d.stopped {
        semantics.push(format!(
            "This frame could not be read to the end: {reason}."
        ));
    }
    // The layers below, in a paragraph of their own.
    let mut below = Vec::new();
    if !c.network_explained
        && let Some(note) = network_note(c)
    {
        below.push(note);
    }
    if zero_macs(d) {
        match c.loopback_explained_at {
            None => below.push(format!(
                "Link layer: an Ethernet header{}. {LOOPBACK_MAC}",
                match d.ethertype {
                    Some(t) => format!(
                        ", whose type {t:#06x} says {} follows",
                        match t {
                            0x0800 => "an IPv4 packet",
                            0x86dd => "an IPv6 packet",
                            0x0806 => "an ARP message",
                            _ => "another protocol",
                        }
                    ),
                    None => String::new(),
                }
            )),
            Some(i) if c.first_in_step => below.push(format!(
                "(MACs all zero: `lo` has no network card — see event #{i}.)"
            )),
            Some(_) => {}
        }
    }
    let mut semantics = semantics.join(" ");
    if !below.is_empty() {
        semantics.push_str("\n\n");
        semantics.push_str(&below.join(" "));
    }
    FrameNotes {
        syntax,
        semantics,
        timing_lead,
        timing,
    }
}

fn payload_text(c: &FrameContext) -> String {
    match c.d.payload {
        Some((off, len)) if len > 0 => {
            let bytes = c.frame.get(off..off + len).unwrap_or_default();
            format!(
                "{} ({len} byte{})",
                crate::exec::py_bytes(bytes),
                if len == 1 { "" } else { "s" }
            )
        }
        _ => "no data".to_string(),
    }
}

fn tcp_notes(c: &FrameContext, t: &TcpInfo) -> (String, String, String) {
    let Some(o) = c.tcp else {
        return (
            format!("A TCP segment from {} to {}.", c.from, c.to),
            "captured".into(),
            String::new(),
        );
    };
    let v = &o.view;
    let from_text = party(c.from, c.d.ip_src.as_deref(), c.d.src_port());
    let to_text = party(c.to, c.d.ip_dst.as_deref(), c.d.dst_port());
    let (from, to) = (from_text.as_str(), to_text.as_str());
    let mut s = String::new();
    let lead;
    let next;
    let answers = c
        .follows
        .map(|f| format!("event #{f}"))
        .unwrap_or_else(|| "the previous segment".into());
    if t.has(TcpInfo::RST) {
        if o.receiver_state_before == State::SynSent || o.sender_state_before == State::Closed {
            s.push_str(&format!(
                "The kernel at {} refuses the connection: no socket listens on port {}, so it answers the SYN with RST (reset). RST+ACK acknowledges the SYN (ack {}) so the client knows which attempt is refused; its connect() fails with ECONNREFUSED, \"connection refused\".",
                c.d.ip_src.as_deref().unwrap_or("?"), t.src_port, v.ack_rel
            ));
        } else {
            s.push_str(&format!("{from} resets the connection: RST aborts it at once, without the FIN exchange; data still in flight is lost and the peer's next call fails with ECONNRESET."));
        }
        lead = format!(
            "sent by {}'s kernel in answer to {answers},",
            if c.from == "kernel" {
                "the receiving host"
            } else {
                c.from
            }
        );
        next = "Nothing follows: a reset is never acknowledged.".to_string();
    } else if t.has(TcpInfo::SYN) && !t.has(TcpInfo::ACK) && o.retransmission_of.is_some() {
        let first = o
            .retransmission_of
            .map(|i| format!("event #{i}"))
            .unwrap_or_default();
        s.push_str(&format!(
            "{from} sends its SYN again (same sequence number {}): a retransmission of {first}, because no SYN+ACK came back in time. Linux resends an unanswered SYN {}.",
            t.seq,
            syn_retry_schedule()
        ));
        lead = "sent by the client's kernel when its retransmission timer expired,".to_string();
        next = if o.unanswered {
            s.push_str(&format!(" This one goes unanswered too: {to}'s kernel drops it like the first (its accept queue is still full)."));
            "Next: nothing; the kernel keeps resending the SYN (at most net.ipv4.tcp_syn_retries times) until it is answered or the socket is closed — connect()'s own time limit only decides how long the call waits."
                .to_string()
        } else {
            format!(
                "Next: {to} answers, or the kernel resends the SYN again (at most net.ipv4.tcp_syn_retries times) until the socket is closed."
            )
        };
    } else if t.has(TcpInfo::SYN) && !t.has(TcpInfo::ACK) {
        s.push_str(&format!(
            "Handshake 1/3: {from} asks {to} to open a connection. SYN (\"synchronize\") announces its initial sequence number {} — shown as relative 0. The ISN is hard to guess (a secret hash of the addresses and ports plus a clock, RFC 6528), so others cannot forge segments and old segments are unlikely to fit this connection. The SYN carries no data but uses up one sequence number. {}",
            t.seq,
            options_text(t)
        ));
        lead = "sent by the client's kernel as soon as connect() ran,".to_string();
        if o.receiver_state_before == State::Closed {
            s.push_str(&format!(
                " No socket listens on port {}: the kernel there will refuse with RST.",
                t.dst_port
            ));
            next =
                "Next: the destination's kernel answers with RST, and connect() fails.".to_string();
        } else {
            if o.unanswered {
                s.push_str(&format!(" Nothing answers it: connect() waited its whole time limit and no SYN+ACK came. {to}'s kernel dropped this SYN without a reply — a listening socket does that when its accept queue is full (the listen backlog is reached and accept() has not taken the waiting connections), so it neither starts a connection nor refuses one. {to} stays in LISTEN."));
                next = format!(
                    "Next: no answer; the client's kernel resends the same SYN {} (at most net.ipv4.tcp_syn_retries times), until it is answered or the socket is closed.",
                    syn_retry_schedule()
                );
            } else {
                s.push_str(" The listening socket stays in LISTEN; the server's kernel starts a new connection for this client, in SYN-RECEIVED.");
                next = format!(
                    "Next: {to} answers with SYN+ACK. connect() blocks until then; without an answer the kernel would resend the SYN {}.",
                    syn_retry_schedule()
                );
            }
        }
    } else if t.has(TcpInfo::SYN) {
        s.push_str(&format!(
            "Handshake 2/3: {from}'s kernel agrees. Its SYN announces its own initial sequence number {} (relative 0), and ACK {} (relative {}) acknowledges the client's SYN: \"I expect your byte 1 next\". {}",
            t.seq,
            t.ack,
            v.ack_rel,
            options_text(t)
        ));
        lead = format!(
            "sent by the server's kernel in answer to {answers} (accept() has not been called),"
        );
        next = "Next: the client's ACK completes the handshake; connect() returns on the client's side.".to_string();
    } else if v.role.as_deref() == Some("handshake 3/3") {
        s.push_str(&format!(
            "Handshake 3/3: {from} acknowledges {to}'s SYN (ack relative {}). Both ends are now ESTABLISHED and either may send data. The connection was completed by the two kernels: it now waits in the server's listen backlog until the server calls accept().",
            v.ack_rel
        ));
        lead = format!("sent by the client's kernel in answer to {answers},");
        next = match o.handshake_rtt_ns {
            Some(rtt) => format!(
                "The handshake's round trip (SYN → SYN+ACK) took {}. Next: data may flow in both directions.",
                fmt_ns(rtt)
            ),
            None => "Next: data may flow in both directions.".to_string(),
        };
    } else if t.payload_len > 0 {
        let first = v.seq_rel;
        let last = v.seq_rel.wrapping_add(t.payload_len as u32).wrapping_sub(1);
        s.push_str(&format!(
            "{from} sends {} of application data: bytes {first}–{last} of its stream (relative sequence numbers). {}The same segment acknowledges every byte of {to}'s stream before relative {} (ACK {}).",
            payload_text(c),
            if t.has(TcpInfo::PSH) { "PSH (\"push\") marks the last segment of one send(); it is only a hint, as Linux makes arriving data readable at once either way. " } else { "" },
            v.ack_rel,
            t.ack,
        ));
        if t.has(TcpInfo::FIN) {
            s.push_str(" FIN rides on this data segment: it is also the sender's last byte.");
        }
        lead = "sent by the kernel when send()/sendall() ran,".to_string();
        next = format!(
            "Next: {to}'s kernel owes an acknowledgement of these bytes (ACK {}).",
            t.seq.wrapping_add(t.payload_len as u32)
        );
    } else if t.has(TcpInfo::FIN) {
        s.push_str(&format!(
            "{from} closes its sending side: FIN says \"no more data from me\". FIN carries no data but uses up one sequence number (relative {}). It also acknowledges every byte of {to}'s stream before relative {}.",
            v.seq_rel, v.ack_rel
        ));
        if o.sender_state_before == State::Established {
            s.push_str(&format!(" {from} closed first, so it will end in TIME-WAIT: it keeps the connection's addresses and ports reserved for a while (2×MSL in the standard, 60 s on Linux) so that a lost final ACK can be resent and stray segments of this connection die out before a new one reuses them."));
        } else {
            s.push_str(&format!(" {to} had closed first; with this FIN {from} waits in LAST-ACK for the final acknowledgement."));
        }
        let step = &c.plan.steps[c.step - 1];
        lead = if c.plan.actors[step.actor].name == c.from
            && matches!(
                step.call,
                crate::lesson::check::Call::Close { .. }
                    | crate::lesson::check::Call::Shutdown { .. }
            ) {
            format!(
                "sent by the kernel when {}'s {}() ran,",
                c.from,
                step.call.name()
            )
        } else {
            "sent by the kernel when the application called close() or shutdown(SHUT_WR),"
                .to_string()
        };
        next = if matches!(o.receiver_state_before, State::FinWait1 | State::FinWait2) {
            format!(
                "Next: {to} sends the last ACK and stays in TIME-WAIT (60 s on Linux); {from} forgets the connection when that ACK arrives."
            )
        } else {
            format!(
                "Next: {to} acknowledges the FIN (Linux may hold that ACK for a moment); {to}'s application reads end of stream (recv returns 0 bytes) and sends its own FIN when it closes."
            )
        };
    } else if o.acks_fin {
        s.push_str(&format!(
            "{from} acknowledges {to}'s FIN: ACK {} (relative {}) covers the FIN and every byte before it. It carries no data.",
            t.ack, v.ack_rel
        ));
        if v.states.iter().any(|st| st.state == "CLOSED") {
            s.push_str(&format!(" This is the last frame of the connection: {to} deletes it, and {from} stays in TIME-WAIT, ready to send this ACK again if the FIN comes again."));
            next = "Nothing follows: ACKs themselves are never acknowledged.".to_string();
        } else {
            let step = &c.plan.steps[c.step - 1];
            s.push_str(&format!(
                " Receiving a FIN switches Linux to delayed ACKs, in the hope of sending its own FIN along with this ACK; this one left on its own, during step {} (`{}` {}).",
                c.step,
                c.plan.actors[step.actor].name,
                step.call.name()
            ));
            next = format!(
                "Next: {from} may still send data; its own FIN comes when its application closes."
            );
        }
        lead = format!("sent by {}'s kernel in answer to {answers},", c.from);
    } else {
        s.push_str(&format!(
            "{from} acknowledges: ACK {} (relative {}) says it has received every byte of {to}'s stream before relative {}. It carries no data.",
            t.ack, v.ack_rel, v.ack_rel
        ));
        lead = format!("sent by {}'s kernel in answer to {answers},", c.from);
        next = format!(
            "Nothing must follow this ACK: {to} may now drop these bytes from its retransmission queue, and ACKs themselves are never acknowledged."
        );
    }
    let win = if t.has(TcpInfo::RST) {
        String::new()
    } else if let (Some(shift), false) = (o.sender_shift, t.has(TcpInfo::SYN)) {
        format!(
            " Window {} × {} ({from}'s shift {shift}, announced in its SYN) = {} bytes {from} can still receive.",
            v.window,
            1u32 << shift.min(14),
            v.window_scaled
        )
    } else {
        format!(
            " Window {} bytes{}.",
            v.window,
            if t.has(TcpInfo::SYN) {
                " (never scaled in a SYN)"
            } else {
                ""
            }
        )
    };
    s.push_str(&win);
    s.push_str(&format!(
        " After this frame: {}.",
        v.states
            .iter()
            .map(|st| format!("{} {}", st.actor, st.state))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if let Some(note) = checksum_note(c) {
        s.push(' ');
        s.push_str(&note);
    }
    (s, lead, next)
}

fn options_text(t: &TcpInfo) -> String {
    if t.options.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = t
        .options
        .iter()
        .filter(|o| o.name != "NOP" && o.name != "EOL")
        .map(|o| match o.name.as_str() {
            "MSS" => match o.mss {
                // lo's MTU is 65536, but an IPv4 packet is at most 65535 bytes.
                Some(65495) => "MSS 65495 (the largest segment payload it accepts: an IPv4 packet is at most 65535 bytes, minus 20 bytes of IP and 20 of TCP header; lo's 65536-byte MTU is not the limit)".to_string(),
                // IPv6 counts its payload length apart from its 40-byte header.
                Some(65476) => "MSS 65476 (the largest segment payload it accepts: lo's 65536-byte MTU minus 40 bytes of IPv6 and 20 of TCP header)".to_string(),
                Some(m) => format!("MSS {m} (the largest segment payload it accepts)"),
                None => format!("MSS {}", o.value),
            },
            "SACK_PERM" => "SACK permitted (it can acknowledge out-of-order blocks)".to_string(),
            "TS" => format!("timestamps {} (to measure round trips and reject old duplicates)", o.value),
            "WS" => format!("window scale {} (its later windows are multiplied by {})", o.window_scale.unwrap_or(0), 1u32 << o.window_scale.unwrap_or(0).min(14)),
            _ => format!("{} {}", o.name, o.value),
        })
        .collect();
    format!("Options: {}.", parts.join("; "))
}

/// On `lo` Linux leaves UDP/TCP checksums to the "card" (checksum offload),
/// and lo has none: the captured field holds only the pseudo-header sum.
fn checksum_note(c: &FrameContext) -> Option<String> {
    use crate::dissect::ChecksumStatus;
    let d = c.d;
    let name = if d.tcp.is_some() { "TCP" } else { "UDP" };
    let index = d.layers.iter().position(|l| l.protocol == name)?;
    match crate::dissect::checksum_status(c.frame, d, index)? {
        ChecksumStatus::Partial => match c.loopback_explained_at {
            Some(i) if c.first_in_step => Some(format!(
                "(The {name} checksum holds only a partial sum on lo, as explained at event #{i}.)"
            )),
            Some(_) => None,
            None => Some(format!(
                "The {name} checksum field holds only a partial sum (the pseudo-header part) — expected on lo: the kernel leaves the final sum to the network card (checksum offload), and lo has no card and needs none, so nobody completes it. Wireshark shows it as unverified, or as wrong when its checksum validation is on; it is not an error here."
            )),
        },
        ChecksumStatus::Bad { expected } => Some(format!(
            "The {name} checksum does not add up: it should be 0x{expected:04x}. On a real network the receiver would drop this segment."
        )),
        ChecksumStatus::Absent => Some(format!(
            "The {name} checksum is 0: the sender chose not to compute one, which UDP over IPv4 allows."
        )),
        ChecksumStatus::Good => None,
    }
}

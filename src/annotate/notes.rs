//! The built-in explanations: which catalog entry fits a call or a frame,
//! and the values it is filled with. Every number quoted comes from the
//! captured frame or the call's real result; the sentences themselves are in
//! notes.en.yaml (see catalog.rs).

use crate::dissect::{Dissection, Field, Layer, TcpInfo};
use crate::live::exec::CallRecord;
use std::borrow::Cow;
use std::net::SocketAddr;

use crate::plan::{Call, Plan, Transport};
use crate::sockets::Accepted;

use super::catalog as t;
use super::fmt_ns;
use super::kernel::KernelSettings;
use super::tcp::{Observation, Role, State};

pub struct CallNotes {
    pub syntax: String,
    pub semantics: String,
    pub timing: String,
}

/// What the annotator knows about a call's socket beyond the call itself.
pub struct CallContext<'a> {
    /// The TCP state of the connection end the socket had, if any.
    pub tcp_state: Option<State>,
    /// The call closed a listening socket.
    pub closes_listener: bool,
    /// The settings of the kernel the lesson ran on.
    pub kernel: &'a KernelSettings,
    /// For an `accept`: what the socket model says it did to the
    /// connection the actor held.
    pub accepted: Option<Accepted<SocketAddr>>,
}

pub fn call_notes(
    rec: &CallRecord,
    transport: Transport,
    ctx: &CallContext,
    plan: &Plan,
) -> CallNotes {
    let family = match rec.local.or(rec.peer) {
        Some(a) if a.is_ipv6() => "AF_INET6",
        _ => "AF_INET",
    };
    let kind = match transport {
        Transport::Udp => "SOCK_DGRAM (UDP)",
        Transport::Tcp => "SOCK_STREAM (TCP)",
    };
    let mut syntax = if rec.ok {
        t::call::syntax_ok(&rec.args, &family, &kind)
    } else {
        t::call::syntax_error(&rec.args, &family, &kind)
    };
    if let Some(l) = rec.local {
        syntax.push_str(&t::call::syntax_local(&l));
    }
    if let Some(p) = rec.peer {
        syntax.push_str(&t::call::syntax_peer(&p));
    }
    syntax.push_str(&t::call::syntax_returned(&rec.result));
    let (semantics, timing) = call_explanation(rec, transport, ctx, &plan.steps[rec.step - 1].call);
    CallNotes {
        syntax,
        semantics,
        timing,
    }
}

/// What the call did and what it put on the wire, chosen by the call, the
/// transport, and how the call ended (its errno, or its time limit).
fn call_explanation(
    rec: &CallRecord,
    transport: Transport,
    ctx: &CallContext,
    call: &Call,
) -> (String, String) {
    use t::call as c;
    let local = rec.local.map(|a| a.to_string()).unwrap_or_default();
    let peer = rec.peer.map(|a| a.to_string()).unwrap_or_default();
    let local_port = rec.local.map(|a| a.port()).unwrap_or(0);
    match (call, transport) {
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
                failed(rec.call, rec),
                if matches!(call, Call::Send { .. }) && transport == Transport::Tcp {
                    c::failed_timing_tcp_send()
                } else {
                    c::failed_timing()
                },
            )
        }
        (Call::Bind, Transport::Udp) => (c::bind_udp(&local), c::bind_timing()),
        (Call::Bind, Transport::Tcp) => (c::bind_tcp(&local), c::bind_timing()),
        (Call::SendTo { .. }, _) => {
            let mut s = vec![c::sendto_semantics()];
            s.push(match ctx.kernel.ephemeral_ports {
                Some((lo, hi)) if (lo..=hi).contains(&local_port) => {
                    c::sendto_port_ephemeral(&local_port, &lo, &hi)
                }
                _ => c::sendto_port(&local_port),
            });
            if rec.local.is_some_and(|a| a.ip().is_unspecified()) {
                s.push(c::sendto_wildcard());
            }
            (s.join(" "), c::sendto_timing())
        }
        (Call::RecvFrom { .. }, _) if rec.timed_out => (
            c::recvfrom_timed_out(&rec.result),
            c::recvfrom_failed_timing(),
        ),
        (Call::RecvFrom { .. }, _) if !rec.ok => {
            (failed(rec.call, rec), c::recvfrom_failed_timing())
        }
        (Call::RecvFrom { .. }, _) => (
            c::recvfrom_semantics(&match rec.peer {
                Some(p) => p.to_string(),
                None => c::recvfrom_unknown_peer(),
            }),
            c::recvfrom_timing(),
        ),
        (Call::Close { .. }, Transport::Udp) => (c::close_udp(), c::close_udp_timing()),
        (Call::Listen { backlog }, _) => (
            c::listen_semantics(
                backlog,
                &local_port,
                &(backlog + 1),
                &syn_resend(ctx.kernel),
            ),
            c::listen_timing(),
        ),
        (Call::Accept, _) => match ctx.accepted {
            None | Some(Accepted::Added) => (c::accept_semantics(&peer), c::accept_timing()),
            Some(Accepted::Replaced(old)) => (
                c::accept_replacing(&peer, &old),
                c::accept_replacing_timing(&old),
            ),
        },
        (Call::Connect { .. }, Transport::Tcp) if rec.ok => {
            (c::connect_tcp(&peer, &local_port), c::connect_tcp_timing())
        }
        (Call::Connect { .. }, Transport::Tcp) if rec.errno == Some(libc::ECONNREFUSED) => {
            (c::connect_refused(&rec.result), c::connect_refused_timing())
        }
        (Call::Connect { .. }, Transport::Tcp) if rec.timed_out => (
            c::connect_timed_out(&rec.result),
            c::connect_timed_out_timing(),
        ),
        (Call::Connect { .. }, Transport::Tcp) => {
            (failed("connect", rec), c::connect_failed_timing())
        }
        (Call::Connect { .. }, Transport::Udp) => (c::connect_udp(), c::no_frame()),
        (Call::Send { .. }, Transport::Tcp) => (c::send_tcp(), c::send_tcp_timing()),
        (Call::Send { .. }, Transport::Udp) => (c::send_udp(), c::send_udp_timing()),
        (Call::Recv { .. }, Transport::Tcp) if !rec.ok => {
            let mut s = c::recv_tcp_failed(&rec.result);
            if rec.errno == Some(libc::ECONNRESET) {
                s.push(' ');
                s.push_str(&c::recv_tcp_reset());
            }
            (s, c::recv_tcp_failed_timing())
        }
        (Call::Recv { .. }, Transport::Tcp) => {
            let end_of_stream = rec.data.as_ref().is_some_and(|d| d.is_empty());
            let semantics = if end_of_stream
                && matches!(
                    ctx.tcp_state,
                    Some(State::TimeWait | State::Closing | State::LastAck | State::Closed)
                ) {
                c::recv_tcp_end_both_closed()
            } else if end_of_stream {
                c::recv_tcp_end()
            } else {
                c::recv_tcp_data()
            };
            (semantics, c::recv_tcp_timing())
        }
        (Call::Recv { .. }, Transport::Udp) => (
            if rec.ok {
                c::recv_udp()
            } else if rec.timed_out {
                c::recv_udp_timed_out(&rec.result)
            } else {
                failed("recv", rec)
            },
            c::recv_udp_timing(),
        ),
        (Call::Shutdown { .. }, _) => (c::shutdown_semantics(), c::shutdown_timing()),
        (Call::Close { .. }, Transport::Tcp) => close_notes(ctx, rec.unread.unwrap_or(0)),
        (Call::SetOpt { .. }, _) => (c::setsockopt(), c::no_frame()),
        (Call::Sleep { .. }, _) => (c::sleep(), c::sleep_timing()),
    }
}

/// `bind() failed: …`, and what the errno tells a student.
fn failed(name: &str, rec: &CallRecord) -> String {
    let mut s = t::call::failed_semantics(&name, &rec.result);
    if let Some(meaning) = errno_meaning(rec.errno) {
        s.push(' ');
        s.push_str(&meaning);
    }
    s
}

/// What a failed call's errno tells a student, as a sentence after the
/// kernel's own message.
fn errno_meaning(errno: Option<i32>) -> Option<String> {
    use t::errno as e;
    Some(match errno? {
        libc::EADDRINUSE => e::eaddrinuse(),
        libc::EADDRNOTAVAIL => e::eaddrnotavail(),
        libc::ENETUNREACH => e::enetunreach(),
        libc::EAFNOSUPPORT => e::eafnosupport(),
        libc::EPIPE => e::epipe(),
        libc::ECONNRESET => e::econnreset(),
        libc::ECONNREFUSED => e::econnrefused(),
        libc::ENOTCONN => e::enotconn(),
        libc::EISCONN => e::eisconn(),
        libc::EINVAL => e::einval(),
        libc::EAGAIN => e::eagain(),
        _ => return None,
    })
}

fn close_notes(ctx: &CallContext, unread: usize) -> (String, String) {
    use t::call as c;
    if ctx.closes_listener {
        return (c::close_listener(), c::close_listener_timing());
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
        return (c::close_unread(&bytes(unread)), c::close_unread_timing());
    }
    match ctx.tcp_state {
        Some(State::Established) | Some(State::SynReceived) => {
            (c::close_connected(), c::close_connected_timing())
        }
        Some(State::CloseWait) => (c::close_after_peer_fin(), c::close_after_peer_fin_timing()),
        Some(State::TimeWait)
        | Some(State::FinWait2)
        | Some(State::LastAck)
        | Some(State::Closing) => (
            c::close_fin_already_sent(),
            c::close_fin_already_sent_timing(),
        ),
        Some(State::Closed) => (c::close_refused_or_reset(), c::no_frame()),
        _ => (c::close_never_connected(), c::no_frame()),
    }
}

/// `1 byte`, `5 bytes`.
pub(super) fn bytes(n: usize) -> String {
    if n == 1 {
        t::count::byte_one(&n)
    } else {
        t::count::byte_other(&n)
    }
}

/// When Linux resends an unanswered SYN, in words, from this kernel's
/// settings (recent kernels have `tcp_syn_linear_timeouts`).
fn syn_resend(kernel: &KernelSettings) -> String {
    match kernel.syn_linear_timeouts {
        Some(n) if n > 0 => t::kernel::syn_resend_linear(&n),
        _ => t::kernel::syn_resend_doubling(),
    }
}

pub struct FrameContext<'a> {
    pub d: &'a Dissection,
    pub frame: &'a [u8],
    /// The actors that sent and receive the frame, or `kernel`.
    pub from: &'a str,
    pub to: &'a str,
    /// Whether a socket of the lesson sent it, and whether one receives it.
    pub from_known: bool,
    pub to_known: bool,
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
    /// The settings of the kernel the lesson ran on.
    pub kernel: &'a KernelSettings,
    /// Whether to write the syntax note (every field of every layer).
    pub syntax: bool,
    /// The application payload (`d.payload` of `frame`) as `py_bytes`
    /// writes it, if there is any: the event shows it too, so it is
    /// written once.
    pub payload: Option<&'a str>,
}

pub struct FrameNotes {
    pub syntax: String,
    pub semantics: String,
    pub timing_lead: String,
    pub timing: String,
}

/// `Ethernet, bytes 0–13 (14 B): destination = …; source = …`. Flags that
/// are not set are left out.
fn layer_syntax(l: &Layer, frame: &[u8]) -> String {
    // One string, not one per field: every field of every frame is here.
    let mut fields = String::with_capacity(l.fields.len() * 24);
    for f in &l.fields {
        if f.name.starts_with("flags.") && bits_are_zero(frame, f) {
            continue;
        }
        if !fields.is_empty() {
            fields.push_str("; ");
        }
        fields.push_str(&f.name);
        fields.push_str(" = ");
        fields.push_str(&f.value);
    }
    let end = (l.offset + l.length).saturating_sub(1);
    t::frame::layer(&l.protocol, &l.offset, &end, &l.length, &fields)
}

/// Whether every bit of a field is 0 in the captured bytes.
fn bits_are_zero(frame: &[u8], f: &Field) -> bool {
    (f.bit_offset..f.bit_offset.saturating_add(f.bit_length)).all(|bit| {
        frame
            .get(bit / 8)
            .is_some_and(|b| b >> (7 - bit % 8) & 1 == 0)
    })
}

/// The network layer in words, with this frame's values: said once per IP
/// version, on the first frame that uses it.
fn network_note(c: &FrameContext) -> Option<String> {
    use crate::dissect::{ip::Protocol, ipv4, ipv6};
    use t::network as n;
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
        let header = if p.header_len() == ipv4::HEADER_LEN {
            n::ipv4_header(&p.header_len())
        } else {
            n::ipv4_header_options(&p.header_len())
        };
        // Between two loopback addresses nothing is routed; on the
        // lesson's own links a router may well be on the way.
        let hops = if p.src_addr().is_loopback() && p.dst_addr().is_loopback() {
            n::hops_lo()
        } else {
            String::new()
        };
        let mut s = vec![n::ipv4(
            &header,
            &p.src_addr(),
            &p.dst_addr(),
            &p.ttl(),
            &hops,
            &what(p.protocol()),
        )];
        if p.more_frags() || p.frag_offset() > 0 {
            s.push(if p.more_frags() {
                n::fragment_more(&p.frag_offset(), &p.ident())
            } else {
                n::fragment_last(&p.frag_offset(), &p.ident())
            });
        } else if p.dont_frag() {
            s.push(if p.protocol() == Protocol::Udp {
                n::dont_fragment_udp(&p.ident())
            } else {
                n::dont_fragment(&p.ident())
            });
        }
        s.push(n::ipv4_checksum());
        Some(s.join(" "))
    } else {
        let p = ipv6::Packet::new_checked(bytes)?;
        let loopback = if p.src_addr().is_loopback() {
            n::ipv6_loopback()
        } else {
            String::new()
        };
        Some(n::ipv6(
            &p.src_addr(),
            &p.dst_addr(),
            &loopback,
            &p.hop_limit(),
            &what(p.next_header()),
            &p.payload_len(),
            &format!("0x{:05x}", p.flow_label()),
        ))
    }
}

/// Both MAC addresses are all zero, as on `lo`.
pub fn zero_macs(d: &Dissection, frame: &[u8]) -> bool {
    d.mac_src.is_some()
        && d.mac_dst.is_some()
        && frame
            .get(..12)
            .is_some_and(|macs| macs.iter().all(|&b| b == 0))
}

/// How a note names a party: the actor, or for a port no lesson socket owns,
/// the address itself.
fn party<'a>(name: &'a str, known: bool, ip: Option<&str>, port: Option<u16>) -> Cow<'a, str> {
    match (known, ip, port) {
        (false, Some(ip), Some(port)) => {
            t::frame::no_socket_there(&match ip.parse::<std::net::IpAddr>() {
                Ok(ip) => std::net::SocketAddr::new(ip, port).to_string(),
                Err(_) => format!("{ip}:{port}"),
            })
            .into()
        }
        (false, Some(ip), None) => t::frame::kernel_at(&ip).into(),
        // Nearly every frame: its name as it is.
        _ => name.into(),
    }
}

/// `event #3`, or what stands in for it.
fn event_or(index: Option<usize>, otherwise: fn() -> String) -> String {
    match index {
        Some(i) => t::frame::event(&i),
        None => otherwise(),
    }
}

pub fn frame_notes(c: &FrameContext) -> FrameNotes {
    let d = c.d;
    let syntax = if c.syntax {
        let mut syntax: Vec<String> = d.layers.iter().map(|l| layer_syntax(l, c.frame)).collect();
        if let Some(reason) = &d.stopped {
            syntax.push(t::frame::parsing_stopped(reason));
        }
        syntax.join("\n")
    } else {
        String::new()
    };
    let mut semantics = Vec::new();
    let (timing_lead, timing);

    if let Some(tcp) = &d.tcp {
        let (s, lead, next) = tcp_notes(c, tcp);
        semantics.push(s);
        timing_lead = lead;
        timing = next;
    } else if let Some(u) = &d.udp {
        semantics.push(t::udp::semantics(
            &party(c.from, c.from_known, d.ip_src.as_deref(), d.src_port()),
            &party(c.to, c.to_known, d.ip_dst.as_deref(), d.dst_port()),
            &d.ip_src.as_deref().unwrap_or("?"),
            &d.ip_dst.as_deref().unwrap_or("?"),
            &u.src_port,
            &u.dst_port,
            &if c.to_known {
                c.to.to_string()
            } else {
                t::udp::no_receiver()
            },
            &if c.kernel.is_ephemeral(u.src_port) {
                t::udp::ephemeral()
            } else {
                String::new()
            },
            &payload_text(c),
            &u.length,
            &u.length.saturating_sub(8),
        ));
        if let Some(note) = checksum_note(c) {
            semantics.push(note);
        }
        timing_lead = t::udp::lead();
        timing = if c.to_known {
            t::udp::next(&c.to)
        } else {
            t::udp::next_unreachable()
        };
    } else if let Some(nb) = super::neighbour::notes(d, c.frame, c.plan.network.as_ref(), c.kernel)
    {
        semantics.push(nb.semantics);
        timing_lead = nb.lead;
        timing = nb.next;
    } else if let Some(i) = &d.icmp {
        let mut s = vec![t::icmp::semantics(
            &i.protocol,
            &d.ip_src.as_deref().unwrap_or("?"),
            &c.to,
            &i.description,
            &i.icmp_type,
            &i.code,
        )];
        if let Some(q) = &i.quoted {
            let addr = |ip: &str, port: Option<u16>| match (ip.parse::<std::net::IpAddr>(), port) {
                (Ok(ip), Some(port)) => std::net::SocketAddr::new(ip, port).to_string(),
                _ => format!("{ip}:{}", port.map(|p| p.to_string()).unwrap_or("?".into())),
            };
            s.push(t::icmp::quotes(
                &addr(&q.src_ip, q.src_port),
                &addr(&q.dst_ip, q.dst_port),
            ));
            let v6 = d.ethertype == Some(0x86dd);
            let port_unreachable =
                (!v6 && i.icmp_type == 3 && i.code == 3) || (v6 && i.icmp_type == 1 && i.code == 4);
            if port_unreachable {
                s.push(t::icmp::port_unreachable(
                    &q.dst_port.map(|p| p.to_string()).unwrap_or("?".into()),
                    &if v6 { "IPV6_RECVERR" } else { "IP_RECVERR" },
                ));
            }
        }
        semantics.push(s.join(" "));
        timing_lead = t::icmp::lead(&event_or(c.follows, t::icmp::the_datagram));
        timing = t::icmp::next();
    } else {
        semantics.push(t::frame::other(&c.from, &c.to, &d.summary()));
        timing_lead = t::frame::captured();
        timing = String::new();
    }
    if let Some(reason) = &d.stopped {
        semantics.push(t::frame::not_read_to_the_end(reason));
    }
    // The layers below, in a paragraph of their own.
    let mut below = Vec::new();
    if !c.network_explained
        && let Some(note) = network_note(c)
    {
        below.push(note);
    }
    if zero_macs(d, c.frame) {
        match c.loopback_explained_at {
            None => {
                let header = match d.ethertype {
                    Some(ethertype) => t::link::ethernet_type(
                        &format!("{ethertype:#06x}"),
                        &match ethertype {
                            0x0800 => t::link::ipv4(),
                            0x86dd => t::link::ipv6(),
                            0x0806 => t::link::arp(),
                            _ => t::link::other(),
                        },
                    ),
                    None => t::link::ethernet(),
                };
                below.push(format!("{header} {}", t::link::zero_macs()));
            }
            Some(i) if c.first_in_step => below.push(t::link::zero_macs_again(&i)),
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
    match (c.d.payload, c.payload) {
        (Some((_, len)), Some(shown)) if len > 0 => {
            if shown.ends_with('"') {
                t::frame::payload(&shown, &bytes(len))
            } else {
                // Cut short, it already ends with its length: `… (74 bytes)`.
                shown.to_string()
            }
        }
        _ => t::frame::no_payload(),
    }
}

/// A TCP segment's semantics, the start of its timing note, and what must
/// follow it.
fn tcp_notes(c: &FrameContext, seg: &TcpInfo) -> (String, String, String) {
    use t::tcp as n;
    let Some(o) = c.tcp else {
        return (
            n::segment(&c.from, &c.to),
            t::frame::captured(),
            String::new(),
        );
    };
    let v = &o.view;
    let from_text = party(c.from, c.from_known, c.d.ip_src.as_deref(), c.d.src_port());
    let to_text = party(c.to, c.to_known, c.d.ip_dst.as_deref(), c.d.dst_port());
    let (from, to) = (&*from_text, &*to_text);
    let mut s = Vec::new();
    let lead;
    let next;
    let answers = event_or(c.follows, n::previous_segment);
    let syn = seg.has(TcpInfo::SYN);
    let ack = seg.has(TcpInfo::ACK);
    let rst = seg.has(TcpInfo::RST);
    if rst {
        if o.receiver_state_before == State::SynSent || o.sender_state_before == State::Closed {
            s.push(n::refused(
                &c.d.ip_src.as_deref().unwrap_or("?"),
                &seg.src_port,
                &v.ack_rel,
            ));
        } else {
            s.push(n::reset(&from));
        }
        let sender = if c.from_known {
            c.from.to_string()
        } else {
            n::receiving_host()
        };
        lead = n::answer_lead(&sender, &answers);
        next = n::reset_next();
    } else if syn
        && !ack
        && let Some(first) = o.retransmission_of
    {
        s.push(n::syn_again(
            &from,
            &seg.seq,
            &t::frame::event(&first),
            &syn_resend(c.kernel),
        ));
        lead = n::syn_again_lead();
        next = if o.unanswered {
            s.push(n::syn_again_unanswered(&to));
            n::syn_again_unanswered_next()
        } else {
            n::syn_again_next(&to)
        };
    } else if syn && !ack {
        s.push(n::syn(&from, &to, &seg.seq));
        s.extend(options_text(seg));
        lead = n::syn_lead();
        next = if o.receiver_state_before == State::Closed {
            s.push(n::syn_closed_port(&seg.dst_port));
            n::syn_closed_port_next()
        } else if o.unanswered {
            s.push(n::syn_dropped(&to));
            n::syn_dropped_next(&syn_resend(c.kernel))
        } else {
            s.push(n::syn_listening());
            n::syn_listening_next(&to, &syn_resend(c.kernel))
        };
    } else if syn {
        s.push(n::syn_ack(&from, &seg.seq, &seg.ack, &v.ack_rel));
        s.extend(options_text(seg));
        lead = n::syn_ack_lead(&answers);
        next = n::syn_ack_next();
    } else if o.role == Some(Role::HandshakeDone) {
        s.push(n::handshake_done(&from, &to, &v.ack_rel));
        lead = n::handshake_done_lead(&answers);
        next = match o.handshake_rtt_ns {
            Some(rtt) => n::handshake_done_rtt_next(&fmt_ns(rtt)),
            None => n::handshake_done_next(),
        };
    } else if seg.payload_len > 0 {
        let first = v.seq_rel;
        let last = v
            .seq_rel
            .wrapping_add(seg.payload_len as u32)
            .wrapping_sub(1);
        s.push(n::data(&from, &payload_text(c), &first, &last));
        if seg.has(TcpInfo::PSH) {
            s.push(n::data_push());
        }
        s.push(n::data_acks(&to, &seg.ack, &v.ack_rel));
        if seg.has(TcpInfo::FIN) {
            s.push(n::data_fin());
        }
        lead = n::data_lead();
        let acked = seg.seq.wrapping_add(seg.payload_len as u32);
        next = n::data_next(&to, &acked);
    } else if seg.has(TcpInfo::FIN) {
        s.push(n::fin(&from, &to, &v.seq_rel, &v.ack_rel));
        s.push(if o.sender_state_before == State::Established {
            let reuse = match c.kernel.tcp_tw_reuse {
                Some(0) => n::tw_reuse_0(),
                Some(1) => n::tw_reuse_1(),
                Some(2) => n::tw_reuse_2(),
                _ => String::new(),
            };
            format!("{} {reuse}", n::fin_first(&from))
                .trim_end()
                .to_string()
        } else {
            n::fin_second(&from, &to)
        });
        let step = c.plan.steps.get(c.step.wrapping_sub(1));
        lead = if let Some(step) = step
            && c.plan.actors[step.actor].name == c.from
            && matches!(step.call, Call::Close { .. } | Call::Shutdown { .. })
        {
            n::fin_lead_call(&c.from, &step.call.name())
        } else {
            n::fin_lead()
        };
        next = if matches!(o.receiver_state_before, State::FinWait1 | State::FinWait2) {
            n::fin_next_last_ack(&from, &to)
        } else {
            n::fin_next(&to)
        };
    } else if o.acks_fin {
        s.push(n::fin_ack(&from, &to, &seg.ack, &v.ack_rel));
        next = if o.sender_state_after == State::Closed || o.receiver_state_after == State::Closed {
            s.push(n::fin_ack_last(&from, &to));
            n::fin_ack_last_next()
        } else {
            if let Some(step) = c.plan.steps.get(c.step.wrapping_sub(1)) {
                s.push(n::fin_ack_alone(
                    &c.step,
                    &c.plan.actors[step.actor].name,
                    &step.call.name(),
                ));
            }
            n::fin_ack_next(&from)
        };
        lead = n::answer_lead(&c.from, &answers);
    } else {
        s.push(n::ack(&from, &to, &seg.ack, &v.ack_rel));
        if o.covers > 1 {
            s.push(n::covers_more(&o.covers));
        }
        lead = n::answer_lead(&c.from, &answers);
        next = n::ack_next(&to);
    }
    s.extend(sack_text(seg, v.ack_rel, from, to));
    if !rst {
        s.push(match o.sender_shift {
            Some(shift) if !syn => n::window_scaled(
                &from,
                &v.window,
                &(1u32 << shift.min(14)),
                &shift,
                &v.window_scaled,
            ),
            _ if syn => n::window_syn(&v.window),
            _ => n::window(&v.window),
        });
        // Wireshark's names, for a student who opens the pcapng.
        if v.window == 0 && !syn && !seg.has(TcpInfo::FIN) {
            s.push(n::zero_window(&from));
        }
        if o.window_full {
            s.push(n::window_full(&to));
        }
    }
    let mut states = String::with_capacity(64);
    for (i, st) in v.states.iter().enumerate() {
        if i > 0 {
            states.push_str(", ");
        }
        states.push_str(&st.actor);
        states.push(' ');
        states.push_str(&st.state);
    }
    s.push(n::states_after(&states));
    s.extend(checksum_note(c));
    (s.join(" "), lead, next)
}

/// `Options: MSS 65495 (…); SACK permitted (…); …`, chosen by option kind.
fn options_text(seg: &TcpInfo) -> Option<String> {
    use t::tcp as n;
    if seg.options.is_empty() {
        return None;
    }
    let parts: Vec<String> = seg
        .options
        .iter()
        // End of options (0) and no-operation (1) are padding.
        .filter(|o| o.kind > 1)
        .map(|o| match (o.kind, o.mss, o.window_scale) {
            // lo's MTU is 65536, but an IPv4 packet is at most 65535 bytes.
            (2, Some(65495), _) => n::option_mss_ipv4_lo(),
            // IPv6 counts its payload length apart from its 40-byte header.
            (2, Some(65476), _) => n::option_mss_ipv6_lo(),
            (2, Some(m), _) => n::option_mss(&m),
            (3, _, shift) => {
                let shift = shift.unwrap_or(0);
                n::option_window_scale(&shift, &(1u32 << shift.min(14)))
            }
            (4, ..) => n::option_sack_permitted(),
            (8, ..) => n::option_timestamps(&o.value),
            _ => format!("{} {}", o.name, o.value),
        })
        .collect();
    Some(n::options(&parts.join("; ")))
}

/// The SACK option's blocks, read from the bytes, in relative numbers as
/// Wireshark shows them (the same base as the acknowledgment number).
fn sack_text(seg: &TcpInfo, ack_rel: u32, from: &str, to: &str) -> Option<String> {
    use t::tcp as n;
    let o = seg
        .options
        .iter()
        .find(|o| o.kind == 5 && !o.sack_blocks.is_empty())?;
    let base = seg.ack.wrapping_sub(ack_rel);
    let blocks: Vec<String> = o
        .sack_blocks
        .iter()
        .map(|&(l, r)| {
            let (left, right) = (l.wrapping_sub(base), r.wrapping_sub(base));
            n::sack_block(&left, &right, &right.wrapping_sub(1), &l, &r)
        })
        .collect();
    let first_left = o.sack_blocks[0].0.wrapping_sub(base);
    if (first_left.wrapping_sub(ack_rel) as i32) < 0 {
        // RFC 2883: a first block below the ACK reports bytes received twice.
        return Some(n::dsack(&blocks.join("; "), &from));
    }
    Some(n::sack(
        &o.offset,
        &(o.offset + o.length - 1),
        &blocks.join("; "),
        &from,
        &to,
        &ack_rel,
        &first_left.wrapping_sub(1),
    ))
}

/// `lo` carries Ethernet frames with all-zero MAC addresses; a real
/// interface never sends from 00:00:00:00:00:00.
fn on_lo(d: &crate::dissect::Dissection) -> bool {
    d.mac_src.as_deref() == Some("00:00:00:00:00:00")
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
            Some(i) if c.first_in_step => Some(t::checksum::partial_again(&name, &i)),
            Some(_) => None,
            None => Some(t::checksum::partial(&name)),
        },
        ChecksumStatus::Bad { expected } => {
            Some(t::checksum::bad(&name, &format!("0x{expected:04x}")))
        }
        ChecksumStatus::Absent => Some(t::checksum::absent(&name)),
        // Frames a socket sends on lo carry a partial sum; a complete one
        // there means the kernel built the frame itself (RST, TIME-WAIT
        // ACK). On a real interface (the lesson's own links, offloads off)
        // every sum is complete: nothing to remark.
        ChecksumStatus::Good if on_lo(d) => Some(t::checksum::complete(&name)),
        ChecksumStatus::Good => None,
    }
}

//! Note selection: given a call's record or a captured frame, which catalog
//! entry the notes choose, and what it renders to.

use std::net::SocketAddr;

use super::catalog as t;
use super::notes::{self, CallContext};
use super::tcp::State;
use super::{Annotator, KernelSettings};
use crate::live::capture::CapturedFrame;
use crate::live::exec::CallRecord;
use crate::plan::Plan;
use crate::plan::Transport;

/// Frames captured on `lo` in a private namespace (the dissector's test
/// frames): UDP 127.0.0.1:53122 → :5000 "hello"; a SYN 53124 → 50007 with
/// window scale 10; an ICMP port unreachable about a datagram 53123 → 5001.
const UDP4_HELLO: &str = "000000000000000000000000080045000021885c40004011b46d7f0000017f000001cf821388000dfe2068656c6c6f";
const TCP4_SYN_WS10: &str = "00000000000000000000000008004500003ce099400040065c207f0000017f000001cf84c35741f7900900000000a002ffd7fe3000000204ffd70402080a4e778a41000000000103030a";
const ICMP4_PORT_UNREACH: &str = "000000000000000000000000080045c0003d76080000400105f67f0000017f0000010303fdf00000000045000021886440004011b4657f0000017f000001cf831389000dfe2070696e673f";

fn bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn plan(actors: &str, steps: &str) -> Plan {
    let text =
        format!("format: 1\nname: t\ntitle: t\nsummary: t\nactors:\n{actors}steps:\n{steps}");
    let file = crate::lesson::load::parse(&text).unwrap_or_else(|p| panic!("{}", p.message()));
    let (plan, problems) = crate::lesson::check::check(&file);
    plan.unwrap_or_else(|| {
        panic!(
            "{:?}",
            problems.iter().map(|p| p.message()).collect::<Vec<_>>()
        )
    })
}

fn udp_plan() -> Plan {
    plan(
        "  - { name: r, transport: udp, port: 5000 }\n  - { name: s, transport: udp }\n",
        "  - { actor: r, call: bind }\n  - { actor: s, call: sendto, to: r, text: hello }\n  - { actor: r, call: recvfrom }\n",
    )
}

/// Steps: 1 c1 connect (refused), 2 server bind, 3 listen, 4 c2 connect,
/// 5 accept, 6 c2 sendall, 7 server recv, 8 server close.
fn tcp_plan() -> Plan {
    plan(
        "  - { name: server, transport: tcp, port: 50007 }\n  - { name: c1, transport: tcp }\n  - { name: c2, transport: tcp }\n",
        "  - { actor: c1, call: connect, to: server, expect: { error: refused } }
  - { actor: server, call: bind }
  - { actor: server, call: listen }
  - { actor: c2, call: connect, to: server }
  - { actor: server, call: accept }
  - { actor: c2, call: sendall, text: hi }
  - { actor: server, call: recv }
  - { actor: server, call: close }
",
    )
}

fn record(step: usize, actor: usize, call: &'static str, args: &str, result: &str) -> CallRecord {
    CallRecord {
        step,
        actor,
        call,
        args: args.to_string(),
        ok: true,
        result: result.to_string(),
        start_ns: 1_000,
        end_ns: 2_000,
        local: None,
        peer: None,
        data: None,
        errno: None,
        timed_out: false,
        unread: None,
    }
}

fn failing(mut rec: CallRecord, errno: Option<i32>, timed_out: bool) -> CallRecord {
    rec.ok = false;
    rec.errno = errno;
    rec.timed_out = timed_out;
    rec
}

fn linux() -> KernelSettings {
    KernelSettings {
        ephemeral_ports: Some((32768, 60999)),
        syn_linear_timeouts: Some(4),
        tcp_tw_reuse: Some(2),
        base_reachable_ms: Vec::new(),
    }
}

fn explain(
    rec: &CallRecord,
    plan: &Plan,
    transport: Transport,
    tcp_state: Option<State>,
    kernel: &KernelSettings,
) -> (String, String) {
    let ctx = CallContext {
        tcp_state,
        closes_listener: false,
        kernel,
        accepted: None,
    };
    let n = notes::call_notes(rec, transport, &ctx, plan);
    (n.semantics, n.timing)
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[test]
fn a_refused_connect_is_known_by_its_errno_not_its_wording() {
    let plan = tcp_plan();
    let kernel = KernelSettings::default();
    let rec = record(1, 1, "connect", "connect(...)", "it did not work");
    let refused = failing(rec, Some(libc::ECONNREFUSED), false);
    assert_eq!(
        explain(&refused, &plan, Transport::Tcp, None, &kernel),
        (
            "connect() failed: it did not work. The kernel sent a SYN and the kernel at the destination answered with RST, because no socket listens on that port.".to_string(),
            "The SYN and the RST follow, below.".to_string()
        )
    );
    // The word "refused" in the message decides nothing.
    let rec = record(1, 1, "connect", "connect(...)", "connection refused");
    let unreachable = failing(rec, Some(libc::ENETUNREACH), false);
    let (semantics, timing) = explain(&unreachable, &plan, Transport::Tcp, None, &kernel);
    assert_eq!(
        semantics,
        format!(
            "connect() failed: connection refused. {}",
            t::errno::enetunreach()
        )
    );
    assert_eq!(timing, t::call::connect_failed_timing());
    let rec = record(1, 1, "connect", "connect(...)", "connection refused");
    let timed_out = failing(rec, None, true);
    assert_eq!(
        explain(&timed_out, &plan, Transport::Tcp, None, &kernel),
        (
            t::call::connect_timed_out(&"connection refused"),
            t::call::connect_timed_out_timing()
        )
    );
}

#[test]
fn a_reset_read_is_known_by_its_errno() {
    let plan = tcp_plan();
    let kernel = KernelSettings::default();
    let reset = failing(
        record(7, 0, "recv", "recv(1024)", "gone"),
        Some(libc::ECONNRESET),
        false,
    );
    let (semantics, _) = explain(&reset, &plan, Transport::Tcp, None, &kernel);
    assert_eq!(
        semantics,
        "recv() failed: gone. The peer's RST aborted the connection; any data still unread is gone."
    );
    let other = failing(
        record(7, 0, "recv", "recv(1024)", "connection reset"),
        None,
        true,
    );
    let (semantics, timing) = explain(&other, &plan, Transport::Tcp, None, &kernel);
    assert_eq!(semantics, "recv() failed: connection reset.");
    assert_eq!(timing, t::call::recv_tcp_failed_timing());
}

#[test]
fn a_failed_call_adds_what_its_errno_means() {
    let plan = udp_plan();
    let kernel = KernelSettings::default();
    let rec = record(
        1,
        0,
        "bind",
        "bind(...)",
        "address already in use (EADDRINUSE)",
    );
    let in_use = failing(rec, Some(libc::EADDRINUSE), false);
    assert_eq!(
        explain(&in_use, &plan, Transport::Udp, None, &kernel),
        (
            "bind() failed: address already in use (EADDRINUSE). Something still holds this address and port: another socket, or a closed connection still in TIME-WAIT. Two sockets may share them only when both set SO_REUSEADDR (or SO_REUSEPORT) first.".to_string(),
            "A call that fails sends nothing itself: no frame comes from it.".to_string()
        )
    );
    // An errno the notes have nothing to say about adds nothing.
    let odd = failing(
        record(1, 0, "bind", "bind(...)", "odd"),
        Some(libc::EIO),
        false,
    );
    assert_eq!(
        explain(&odd, &plan, Transport::Udp, None, &kernel).0,
        "bind() failed: odd."
    );
}

#[test]
fn the_ephemeral_range_is_quoted_only_from_the_runs_kernel_settings() {
    let plan = udp_plan();
    let mut rec = record(2, 1, "sendto", "sendto(...)", "5 bytes sent");
    rec.local = Some(addr("0.0.0.0:53122"));
    rec.peer = Some(addr("127.0.0.1:5000"));
    let (semantics, timing) = explain(&rec, &plan, Transport::Udp, None, &linux());
    assert_eq!(
        semantics,
        "sendto() hands the bytes and a destination to the kernel, which wraps them in UDP, IP and Ethernet headers and transmits them at once. The socket's source port is 53122: the OS picked it from its ephemeral range (32768–60999 here) the first time this unbound socket sent. Its local address shows as the wildcard (0.0.0.0 or ::, \"any\"): the socket is not tied to one address, and the kernel picks the source address of each datagram from its route (the frame below shows which)."
    );
    assert_eq!(timing, t::call::sendto_timing());
    // Without the settings (or outside the range) the note says less.
    let unknown = explain(
        &rec,
        &plan,
        Transport::Udp,
        None,
        &KernelSettings::default(),
    )
    .0;
    assert!(unknown.contains(&t::call::sendto_port(&53122)), "{unknown}");
    assert!(!unknown.contains("ephemeral"), "{unknown}");
    rec.local = Some(addr("127.0.0.1:5001"));
    let bound = explain(&rec, &plan, Transport::Udp, None, &linux()).0;
    assert_eq!(
        bound,
        format!(
            "{} {}",
            t::call::sendto_semantics(),
            t::call::sendto_port(&5001)
        )
    );
}

#[test]
fn the_syn_resend_schedule_follows_the_kernel_settings() {
    let plan = tcp_plan();
    let mut rec = record(3, 0, "listen", "listen(1)", "listening");
    rec.local = Some(addr("127.0.0.1:50007"));
    let (linear, _) = explain(&rec, &plan, Transport::Tcp, None, &linux());
    assert!(
        linear.ends_with("so those clients resend their SYN after 1 s, and again every 1 s for its first few retries (net.ipv4.tcp_syn_linear_timeouts = 4 here), then with the wait doubling each time."),
        "{linear}"
    );
    assert!(linear.starts_with("listen(1) makes the socket passive: the kernel now answers SYNs sent to port 50007 by itself."), "{linear}");
    for kernel in [
        KernelSettings::default(),
        KernelSettings {
            syn_linear_timeouts: Some(0),
            ..linux()
        },
    ] {
        let (doubling, _) = explain(&rec, &plan, Transport::Tcp, None, &kernel);
        assert!(
            doubling.ends_with(
                "resend their SYN after 1 s, then 2 s, 4 s… (the wait doubles each time)."
            ),
            "{doubling}"
        );
    }
}

#[test]
fn a_read_that_timed_out_and_one_that_failed_differ() {
    let plan = udp_plan();
    let kernel = KernelSettings::default();
    let waited = failing(
        record(3, 0, "recvfrom", "recvfrom(1024)", "timed out"),
        None,
        true,
    );
    assert_eq!(
        explain(&waited, &plan, Transport::Udp, None, &kernel),
        (
            t::call::recvfrom_timed_out(&"timed out"),
            t::call::recvfrom_failed_timing()
        )
    );
    let refused = failing(
        record(
            3,
            0,
            "recvfrom",
            "recvfrom(1024)",
            "connection refused (ECONNREFUSED)",
        ),
        Some(libc::ECONNREFUSED),
        false,
    );
    assert_eq!(
        explain(&refused, &plan, Transport::Udp, None, &kernel).0,
        format!(
            "recvfrom() failed: connection refused (ECONNREFUSED). {}",
            t::errno::econnrefused()
        )
    );
}

#[test]
fn close_is_explained_by_the_connections_state_and_unread_bytes() {
    let plan = tcp_plan();
    let kernel = KernelSettings::default();
    let mut rec = record(8, 0, "close", "close()", "closed");
    rec.unread = Some(1);
    let (semantics, timing) = explain(
        &rec,
        &plan,
        Transport::Tcp,
        Some(State::Established),
        &kernel,
    );
    assert!(
        semantics.starts_with("close() while 1 byte the application never read"),
        "{semantics}"
    );
    assert_eq!(timing, t::call::close_unread_timing());
    rec.unread = Some(0);
    let cases = [
        (Some(State::Established), t::call::close_connected()),
        (Some(State::CloseWait), t::call::close_after_peer_fin()),
        (Some(State::FinWait2), t::call::close_fin_already_sent()),
        (Some(State::Closed), t::call::close_refused_or_reset()),
        (None, t::call::close_never_connected()),
    ];
    for (state, expected) in cases {
        assert_eq!(
            explain(&rec, &plan, Transport::Tcp, state, &kernel).0,
            expected,
            "{state:?}"
        );
    }
}

fn frame_event(annotator: &mut Annotator, step: usize, hex: &str) -> crate::transcript::Event {
    annotator.frame(
        step,
        &CapturedFrame {
            data: bytes(hex),
            timestamp_ns: 5_000,
            crossing: None,
        },
    )
}

#[test]
fn a_datagram_names_its_receiver_or_says_nobody_is_bound() {
    let plan = udp_plan();
    let mut a = Annotator::new(&plan, linux());
    a.learn_endpoints(&[(addr("127.0.0.1:5000"), 0), (addr("0.0.0.0:53122"), 1)]);
    let e = frame_event(&mut a, 2, UDP4_HELLO);
    let first = e.notes.semantics.split("\n\n").next().unwrap();
    assert_eq!(
        first,
        "s → r: one UDP datagram carrying b\"hello\" (5 bytes). The destination port 5000 picks the receiving socket (r); the source port 53122 identifies s, a port from the OS's ephemeral range. The IP header carries it from 127.0.0.1 to 127.0.0.1. UDP adds only 8 bytes — ports, a length (13 = 8 header + 5 data) and a checksum: no sequence number, no acknowledgement, no connection. ".to_string() + &t::checksum::partial(&"UDP")
    );
    assert!(
        e.notes
            .timing
            .starts_with("Sent by the kernel the moment sendto()/send() ran, at "),
        "{}",
        e.notes.timing
    );
    // Issue 10: the queue is named after this lesson's receiving actor.
    assert!(
        e.notes
            .timing
            .ends_with("The datagram waits in r's receive queue until it calls recvfrom/recv."),
        "{}",
        e.notes.timing
    );
    assert!(!e.notes.timing.contains("the receiver's queue"));

    // Nobody bound port 5000, and the kernel's range is not known.
    let mut a = Annotator::new(&plan, KernelSettings::default());
    a.learn_endpoints(&[(addr("0.0.0.0:53122"), 1)]);
    let e = frame_event(&mut a, 2, UDP4_HELLO);
    assert!(
        e.notes
            .semantics
            .starts_with("s → 127.0.0.1:5000 (no socket there): one UDP datagram"),
        "{}",
        e.notes.semantics
    );
    assert!(e.notes.semantics.contains("picks the receiving socket (no socket is bound to it); the source port 53122 identifies s. "), "{}", e.notes.semantics);
    assert!(
        e.notes.timing.ends_with(&t::udp::next_unreachable()),
        "{}",
        e.notes.timing
    );
    assert_eq!(e.to.as_deref(), Some("kernel"));
}

#[test]
fn a_syn_meets_a_listener_or_a_closed_port() {
    let plan = tcp_plan();
    // Step 4: c2 connects to the listening server.
    let mut a = Annotator::new(&plan, linux());
    a.learn_endpoints(&[(addr("127.0.0.1:50007"), 0), (addr("127.0.0.1:53124"), 2)]);
    let e = frame_event(&mut a, 4, TCP4_SYN_WS10);
    let s = &e.notes.semantics;
    assert!(
        s.starts_with(&t::tcp::syn(&"c2", &"server", &1106743305u32)),
        "{s}"
    );
    assert!(s.contains(" Options: MSS 65495 (the largest segment payload it accepts: an IPv4 packet is at most 65535 bytes, minus 20 bytes of IP and 20 of TCP header; lo's 65536-byte MTU is not the limit); SACK permitted (it can acknowledge out-of-order blocks); timestamps "), "{s}");
    assert!(
        s.contains("; window scale 10 (its later windows are multiplied by 1024). "),
        "{s}"
    );
    assert!(s.contains(&t::tcp::syn_listening()), "{s}");
    assert!(s.contains(" Window 65495 bytes (never scaled in a SYN). After this frame: c2 SYN-SENT, server SYN-RECEIVED."), "{s}");
    assert!(
        e.notes
            .timing
            .starts_with("Sent by the client's kernel as soon as connect() ran, at "),
        "{}",
        e.notes.timing
    );
    assert!(
        e.notes.timing.ends_with(&t::tcp::syn_listening_next(
            &"server",
            &t::kernel::syn_resend_linear(&4)
        )),
        "{}",
        e.notes.timing
    );
    assert_eq!(
        e.tcp.as_ref().and_then(|v| v.role.as_deref()),
        Some("handshake 1/3")
    );

    // Step 1: c1 connects where nothing listens.
    let mut a = Annotator::new(&plan, KernelSettings::default());
    a.learn_endpoints(&[(addr("127.0.0.1:53124"), 1)]);
    let e = frame_event(&mut a, 1, TCP4_SYN_WS10);
    let s = &e.notes.semantics;
    assert!(
        s.starts_with(
            "Handshake 1/3: c1 asks 127.0.0.1:50007 (no socket there) to open a connection."
        ),
        "{s}"
    );
    assert!(
        s.contains(" No socket listens on port 50007: the kernel there will refuse with RST. "),
        "{s}"
    );
    assert!(
        e.notes.timing.ends_with(&t::tcp::syn_closed_port_next()),
        "{}",
        e.notes.timing
    );
}

#[test]
fn an_icmp_error_is_addressed_to_the_sender_it_quotes() {
    let plan = udp_plan();
    let mut a = Annotator::new(&plan, KernelSettings::default());
    a.learn_endpoints(&[(addr("0.0.0.0:53123"), 1)]);
    let e = frame_event(&mut a, 2, ICMP4_PORT_UNREACH);
    let s = &e.notes.semantics;
    assert!(
        s.starts_with("ICMP message from the kernel at 127.0.0.1 to s: "),
        "{s}"
    );
    assert!(
        s.contains(" It quotes the datagram it is about (127.0.0.1:53123 → 127.0.0.1:5001): "),
        "{s}"
    );
    assert!(
        s.contains(&t::icmp::port_unreachable(&5001, &"IP_RECVERR")),
        "{s}"
    );
    assert!(
        e.notes
            .timing
            .starts_with("Sent by the receiving kernel in answer to the datagram, at "),
        "{}",
        e.notes.timing
    );
    assert!(
        e.notes.timing.ends_with(&t::icmp::next()),
        "{}",
        e.notes.timing
    );
}

#[test]
fn the_first_frame_explains_loopback_and_later_ones_point_back() {
    let plan = udp_plan();
    let mut a = Annotator::new(&plan, KernelSettings::default());
    a.learn_endpoints(&[(addr("127.0.0.1:5000"), 0), (addr("0.0.0.0:53122"), 1)]);
    let first = frame_event(&mut a, 2, UDP4_HELLO);
    assert!(
        first.notes.semantics.ends_with(&format!(
            "{} {}",
            t::link::ethernet_type(&"0x0800", &t::link::ipv4()),
            t::link::zero_macs()
        )),
        "{}",
        first.notes.semantics
    );
    assert!(first.notes.semantics.contains("\n\nNetwork layer: the IPv4 header (20 bytes, no options) carries the packet from host 127.0.0.1 to host 127.0.0.1. TTL 64 "), "{}", first.notes.semantics);
    let again = frame_event(&mut a, 3, UDP4_HELLO);
    assert!(
        again
            .notes
            .semantics
            .ends_with(&format!("\n\n{}", t::link::zero_macs_again(&first.index))),
        "{}",
        again.notes.semantics
    );
    assert!(
        !again.notes.semantics.contains("Network layer"),
        "{}",
        again.notes.semantics
    );
    // Unset flags are left out of the syntax note, set ones shown.
    assert!(
        first.notes.syntax.contains("flags.DF = 1"),
        "{}",
        first.notes.syntax
    );
    assert!(
        !first.notes.syntax.contains("flags.MF"),
        "{}",
        first.notes.syntax
    );
}

/// A UDP datagram from 127.0.0.1:53122 to 127.0.0.1:5000 carrying `payload`
/// (checksums left at zero: no check asks for them here).
fn udp4_frame(payload: &[u8]) -> String {
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&[0x08, 0x00, 0x45, 0x00]);
    f.extend_from_slice(&((28 + payload.len()) as u16).to_be_bytes());
    f.extend_from_slice(&[
        0x88, 0x5c, 0x40, 0x00, 0x40, 0x11, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
    ]);
    f.extend_from_slice(&[0xcf, 0x82, 0x13, 0x88]);
    f.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(payload);
    f.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_long_payload_says_its_length_once() {
    let plan = udp_plan();
    let mut a = Annotator::new(&plan, linux());
    a.learn_endpoints(&[(addr("127.0.0.1:5000"), 0), (addr("0.0.0.0:53122"), 1)]);
    let e = frame_event(&mut a, 2, &udp4_frame(&[b'x'; 74]));
    let s = &e.notes.semantics;
    assert!(
        s.contains(&format!("carrying b\"{}\"… (74 bytes).", "x".repeat(64))),
        "{s}"
    );
    assert_eq!(s.matches("74 bytes").count(), 1, "{s}");
    // A short one says it after the bytes, as before.
    let e = frame_event(&mut a, 2, &udp4_frame(b"hi"));
    assert!(
        e.notes.semantics.contains("carrying b\"hi\" (2 bytes)."),
        "{}",
        e.notes.semantics
    );
}

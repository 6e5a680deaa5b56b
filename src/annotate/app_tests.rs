//! Which `app.*` catalog entries the application layer chooses, on frames
//! built byte by byte (Ethernet, IPv4, UDP or TCP, then the message).

use super::catalog::app as t;
use super::{Annotator, KernelSettings};
use crate::live::capture::CapturedFrame;
use crate::plan::Plan;
use crate::transcript::Event;

fn plan(actors: &str, steps: &str) -> Plan {
    let text =
        format!("format: 1\nname: t\ntitle: t\nsummary: t\nactors:\n{actors}steps:\n{steps}");
    let file = crate::lesson::load::parse(&text).unwrap_or_else(|p| panic!("{}", p.message()));
    crate::lesson::check::check(&file)
        .0
        .expect("the test lesson checks")
}

/// An Ethernet + IPv4 frame on 127.0.0.1 carrying `upper` (protocol `proto`).
fn ipv4(proto: u8, upper: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&[0x08, 0x00, 0x45, 0]);
    f.extend_from_slice(&((20 + upper.len()) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 1, 0x40, 0, 64, proto, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]);
    f.extend_from_slice(upper);
    f
}

fn udp(src: u16, dst: u16, data: &[u8]) -> Vec<u8> {
    let mut u = src.to_be_bytes().to_vec();
    u.extend_from_slice(&dst.to_be_bytes());
    u.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(data);
    ipv4(17, &u)
}

/// A TCP segment with PSH+ACK (or SYN) and `seq`.
fn tcp(src: u16, dst: u16, seq: u32, syn: bool, data: &[u8]) -> Vec<u8> {
    let mut s = src.to_be_bytes().to_vec();
    s.extend_from_slice(&dst.to_be_bytes());
    s.extend_from_slice(&seq.to_be_bytes());
    s.extend_from_slice(&[
        0,
        0,
        0,
        1,
        0x50,
        if syn { 0x02 } else { 0x18 },
        0xff,
        0xff,
        0,
        0,
        0,
        0,
    ]);
    s.extend_from_slice(data);
    ipv4(6, &s)
}

fn feed(a: &mut Annotator, step: usize, data: Vec<u8>, ts: u64) -> Event {
    a.frame(
        step,
        &CapturedFrame {
            data,
            timestamp_ns: ts,
            crossing: None,
        },
    )
}

const QUERY: &str = "1a2b01000001000000000000076578616d706c6503636f6d0000010001";

fn hex(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}

fn dns_plan() -> Plan {
    plan(
        "  - { name: server, transport: udp, port: 53 }\n  - { name: resolver, transport: udp }\n",
        "  - { actor: server, call: bind }\n  - { actor: resolver, call: sendto, to: server, text: q }\n  - { actor: server, call: recvfrom }\n",
    )
}

#[test]
fn a_dns_query_and_its_answer() {
    let plan = dns_plan();
    let mut a = Annotator::new(&plan, KernelSettings::default());
    let q = feed(&mut a, 2, udp(40000, 53, &hex(QUERY)), 1_000);
    assert_eq!(q.layer, crate::dissect::LayerKind::Application);
    assert_eq!(q.summary, "DNS standard query 0x1a2b A example.com");
    assert!(q.layers.iter().any(|l| l.protocol == "DNS"));
    assert!(!q.layers.iter().any(|l| l.protocol == "Payload"));
    assert!(q.notes.semantics.starts_with(&t::dns_query(
        &"kernel",
        &"127.0.0.1:53",
        &"A",
        &"example.com",
        &"0x1a2b"
    )));
    assert!(q.notes.semantics.contains(&t::dns_recursion()));
    assert!(
        q.notes
            .timing
            .contains(&t::dns_timing_query(&53, &"0x1a2b"))
    );
    // The answer: the question again, then example.com (pointer) A 93.184.216.34.
    let answer = format!(
        "1a2b81800001000100000000{}c00c000100010000012c00045db8d822",
        &QUERY[24..]
    );
    let r = feed(&mut a, 2, udp(53, 40000, &hex(&answer)), 3_000);
    assert_eq!(r.follows, Some(q.index));
    assert!(
        r.notes
            .timing
            .contains(&t::dns_timing_answer(&q.index, &"2.0 µs")),
        "{}",
        r.notes.timing
    );
    let record = t::dns_record(&"example.com", &"A", &"93.184.216.34", &300);
    assert!(
        r.notes
            .semantics
            .contains(&t::dns_answer(&"0x1a2b", &record)),
        "{}",
        r.notes.semantics
    );
    assert!(
        r.notes
            .semantics
            .contains(&t::dns_compression(&1, &"0xc00c", &12, &"example.com"))
    );
    // An answer nobody asked for.
    let other = answer.replacen("1a2b", "0bad", 1);
    let r = feed(&mut a, 2, udp(53, 40000, &hex(&other)), 4_000);
    assert!(r.notes.timing.contains(&t::dns_timing_unasked()));
}

#[test]
fn an_http_body_longer_than_its_content_length_is_pointed_out() {
    let plan = plan(
        "  - { name: server, transport: tcp, port: 80 }\n  - { name: client, transport: tcp }\n",
        "  - { actor: server, call: bind }\n  - { actor: server, call: listen }\n  - { actor: client, call: connect, to: server }\n",
    );
    let mut a = Annotator::new(&plan, KernelSettings::default());
    feed(&mut a, 3, tcp(40000, 80, 99, true, b""), 1_000);
    feed(&mut a, 3, tcp(80, 40000, 499, true, b""), 1_100);
    let req = feed(
        &mut a,
        3,
        tcp(40000, 80, 100, false, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
        2_000,
    );
    assert_eq!(req.summary, "HTTP GET / HTTP/1.1");
    assert!(req.notes.timing.contains(&t::http_timing_request()));
    let resp = feed(
        &mut a,
        3,
        tcp(
            80,
            40000,
            500,
            false,
            b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nhello",
        ),
        3_000,
    );
    assert_eq!(resp.follows, Some(req.index));
    assert!(
        resp.notes
            .semantics
            .contains(&t::http_length_longer(&"4 bytes", &"5 bytes", &"1 byte")),
        "{}",
        resp.notes.semantics
    );
    assert!(resp.notes.semantics.contains(&t::http_keep_alive()));
    // The next request, in two segments: pending, then completed.
    let part = feed(&mut a, 3, tcp(40000, 80, 127, false, b"GET /b HT"), 4_000);
    assert!(
        part.notes
            .semantics
            .contains(&t::stream_pending(&0, &8, &"kernel", &"HTTP")),
        "{}",
        part.notes.semantics
    );
    let rest = feed(
        &mut a,
        3,
        tcp(40000, 80, 136, false, b"TP/1.1\r\n\r\n"),
        5_000,
    );
    assert_eq!(rest.reassembled.len(), 1);
    assert_eq!(rest.summary, "HTTP GET /b HTTP/1.1");
    assert!(
        rest.notes
            .timing
            .contains(&t::http_timing_again(&2, &req.index))
    );
}

#[test]
fn a_client_that_names_the_protocol_makes_the_other_end_the_server() {
    let plan = plan(
        "  - { name: server, transport: tcp, port: 5000 }\n  - { name: client, transport: tcp, protocol: ftp }\n",
        "  - { actor: server, call: bind }\n  - { actor: server, call: listen }\n  - { actor: client, call: connect, to: server }\n",
    );
    let mut a = Annotator::new(&plan, KernelSettings::default());
    a.learn_endpoints(&[
        ("127.0.0.1:5000".parse().unwrap(), 0),
        ("127.0.0.1:40000".parse().unwrap(), 1),
    ]);
    let g = feed(
        &mut a,
        3,
        tcp(5000, 40000, 1, false, b"220 ready\r\n"),
        1_000,
    );
    assert!(
        g.notes.semantics.starts_with(&t::ftp_greeting(&220)),
        "{}",
        g.notes.semantics
    );
    let u = feed(&mut a, 3, tcp(40000, 5000, 1, false, b"USER me\r\n"), 2_000);
    assert!(
        u.notes.semantics.starts_with(&t::ftp_user(&"me")),
        "{}",
        u.notes.semantics
    );
}

#[test]
fn a_lesson_protocol_wins_over_the_port() {
    let plan = plan(
        "  - { name: server, transport: tcp, port: 5000, protocol: smtp }\n  - { name: client, transport: tcp }\n",
        "  - { actor: server, call: bind }\n  - { actor: server, call: listen }\n  - { actor: client, call: connect, to: server }\n",
    );
    let mut a = Annotator::new(&plan, KernelSettings::default());
    let g = feed(&mut a, 3, tcp(5000, 40000, 1, false, b"220 hi\r\n"), 1_000);
    assert!(g.notes.semantics.starts_with(&t::smtp_greeting(&220)));
    assert!(g.notes.timing.contains(&t::smtp_timing_greeting()));
    // No protocol on port 5001: a plain payload.
    let p = feed(&mut a, 3, tcp(5001, 40001, 1, false, b"220 hi\r\n"), 2_000);
    assert!(p.layers.iter().any(|l| l.protocol == "Payload"));
}

#[test]
fn dns_over_tcp_has_its_length_first() {
    let plan = plan(
        "  - { name: server, transport: tcp, port: 53 }\n  - { name: client, transport: tcp }\n",
        "  - { actor: server, call: bind }\n  - { actor: server, call: listen }\n  - { actor: client, call: connect, to: server }\n",
    );
    let mut a = Annotator::new(&plan, KernelSettings::default());
    let q = hex(QUERY);
    let mut msg = (q.len() as u16).to_be_bytes().to_vec();
    msg.extend_from_slice(&q);
    // The length and the first bytes in one segment, the rest in another.
    let first = feed(&mut a, 3, tcp(40000, 53, 1, false, &msg[..10]), 1_000);
    assert!(
        first
            .notes
            .semantics
            .contains(&t::stream_pending(&0, &9, &"kernel", &"DNS"))
    );
    let rest = feed(&mut a, 3, tcp(40000, 53, 11, false, &msg[10..]), 2_000);
    assert_eq!(rest.summary, "DNS standard query 0x1a2b A example.com");
    let layer = &rest.reassembled[0].layer;
    assert_eq!(layer.value("length"), Some("29"));
    assert_eq!(layer.field("transaction ID").map(|f| f.offset), Some(2));
}

//! Which traced call put each frame on the wire, by what the frame can
//! have come from: a datagram only from a send on its own socket (in the
//! order they were sent, even when one waited for ARP), a TCP segment from
//! a call on its own connection's socket, the kernel's answers (ARP
//! replies, ICMP errors, a SYN+ACK, an ACK while a call waits) from no
//! call; and only from the host that sent it.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};

use super::decode::Sc;
use super::hosts;
use super::tracer::Call;
use crate::dissect::TcpInfo;
use crate::live::capture::CapturedFrame;

/// Longest a datagram may wait in its sender's kernel after its send
/// returned and still be tied to that send: ARP gives up after about 3 s,
/// and a lesson's wire may hold frames up to 5 s more.
const QUEUED_AT_MOST_NS: u64 = 10_000_000_000;

/// The most sends waiting for a datagram that left late (on a lesson's
/// hosts): enough for any ARP queue, and a bound on the work per frame.
const QUEUED_AT_MOST: usize = 4096;

/// The call a frame belongs to, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Owner {
    pub call: usize,
    pub how: How,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum How {
    /// It left while the call ran, and the call sent it.
    Sent,
    /// A datagram its send had queued: the kernel kept it (for ARP) until
    /// after the send returned.
    Queued,
    /// On `lo`: the other end's kernel answered while this call ran (a
    /// SYN+ACK during connect); the frame is shown with the call.
    Answered,
}

/// Which call each frame belongs to.
pub(super) fn owners(
    calls: &[Call],
    frames: &[CapturedFrame],
    placement: Option<&hosts::Placement>,
) -> Vec<Option<Owner>> {
    // A sweep in time order: the calls running at a frame's time are kept
    // by start (to pick the latest) and by end (to retire them); the UDP
    // sends not yet matched to a datagram wait in `queued`, oldest first.
    use std::cmp::Reverse;
    use std::collections::{BTreeSet, BinaryHeap};
    let mut by_start: Vec<usize> = (0..calls.len()).collect();
    by_start.sort_by_key(|&i| calls[i].start_ns);
    let mut order: Vec<usize> = (0..frames.len()).collect();
    order.sort_by_key(|&i| frames[i].timestamp_ns);
    let mut running: BTreeSet<(u64, usize)> = BTreeSet::new();
    let mut ending: BinaryHeap<Reverse<(u64, u64, usize)>> = BinaryHeap::new();
    // (call, datagrams it may still own).
    let mut queued: VecDeque<(usize, u64)> = VecDeque::new();
    let mut next = 0;
    let mut out = vec![None; frames.len()];
    for f in order {
        let ts = frames[f].timestamp_ns;
        while next < by_start.len() && calls[by_start[next]].start_ns <= ts {
            let i = by_start[next];
            let c = &calls[i];
            running.insert((c.start_ns, i));
            ending.push(Reverse((c.end_ns, c.start_ns, i)));
            if let Some(n) = datagrams_sent(c) {
                queued.push_back((i, n));
            }
            next += 1;
        }
        while let Some(Reverse((end, start, i))) = ending.peek().copied() {
            if end >= ts {
                break;
            }
            ending.pop();
            running.remove(&(start, i));
        }
        // On `lo` a datagram leaves during its send (no ARP, no wire); on
        // a lesson's hosts it may wait for ARP and the wire.
        let wait = if placement.is_some() {
            QUEUED_AT_MOST_NS
        } else {
            0
        };
        queued.retain(|&(i, _)| calls[i].end_ns.saturating_add(wait) >= ts);
        while queued.len() > QUEUED_AT_MOST {
            queued.pop_front();
        }
        // On a lesson's hosts, only a call of a program on the host that
        // sent the frame can have sent it.
        let host = placement.and_then(|p| Some((p, p.frame_host(&frames[f])?)));
        let on_host =
            |i: usize| host.is_none_or(|(p, h)| p.program_host.get(calls[i].program) == Some(&h));
        let is_running = |i: usize| running.contains(&(calls[i].start_ns, i));
        let latest = |pick: &dyn Fn(&Call) -> bool| {
            running
                .iter()
                .rev()
                .map(|&(_, i)| i)
                .find(|&i| on_host(i) && pick(&calls[i]))
        };
        out[f] = match sender_of(&frames[f].data) {
            Sender::Kernel => None,
            // The oldest send not yet matched that can have sent these
            // bytes from this port to this destination.
            Sender::Datagram { src, dst, payload } => {
                let crossed = host.is_some();
                let found = queued.iter().position(|&(i, _)| {
                    on_host(i) && may_have_sent(&calls[i], src, dst, payload, crossed)
                });
                found.map(|q| {
                    let call = queued[q].0;
                    queued[q].1 -= 1;
                    if queued[q].1 == 0 {
                        queued.remove(q);
                    }
                    let how = if is_running(call) {
                        How::Sent
                    } else {
                        How::Queued
                    };
                    Owner { call, how }
                })
            }
            Sender::Segment { src, dst, kind } => {
                // A call on this connection's own socket, of a kind that
                // sends this kind of segment.
                let sent_by = latest(&|c: &Call| {
                    c.transport != Some("udp")
                        && c.local.is_none_or(|l| l.port() == src)
                        && c.peer.is_none_or(|p| p.port() == dst)
                        && sends(c.sc, kind)
                });
                match sent_by {
                    Some(call) => Some(Owner {
                        call,
                        how: How::Sent,
                    }),
                    // On `lo` the answer is shown with the call it answers
                    // (a SYN+ACK with connect); on hosts it is the other
                    // host's kernel's.
                    None if host.is_none() && kind.is_answer() => latest(&|c: &Call| {
                        c.transport != Some("udp")
                            && !matches!(c.sc, Sc::Accept | Sc::Accept4)
                            && c.local.is_some_and(|l| l.port() == dst)
                    })
                    .map(|call| Owner {
                        call,
                        how: How::Answered,
                    }),
                    None => None,
                }
            }
            // An ARP request or neighbour solicitation goes out during the
            // send that needs it; an IP fragment during its send.
            Sender::Latest => {
                latest(&|c: &Call| c.sc.sends_data() || c.sc == Sc::Connect).map(|call| Owner {
                    call,
                    how: How::Sent,
                })
            }
        };
    }
    out
}

/// How many datagrams a successful UDP send put in its kernel's hands.
fn datagrams_sent(c: &Call) -> Option<u64> {
    if !c.ok || !c.sc.sends_data() || c.transport.is_some_and(|t| t != "udp") {
        return None;
    }
    Some(if c.sc == Sc::Sendmmsg {
        u64::try_from(c.ret).unwrap_or(0)
    } else {
        1
    })
    .filter(|&n| n > 0)
}

/// Whether send `c` can have sent a datagram from port `src` to `dst`
/// carrying `payload` (the start of it, in a first fragment). A send to a
/// loopback address stays inside its host: it crosses no link.
fn may_have_sent(c: &Call, src: u16, dst: SocketAddr, payload: &[u8], crossed: bool) -> bool {
    let canonical = |a: SocketAddr| SocketAddr::new(a.ip().to_canonical(), a.port());
    let to = c.peer.map(canonical);
    c.local.is_none_or(|l| l.port() == src)
        && to.is_none_or(|p| p == canonical(dst) || p.ip().is_unspecified())
        && !(crossed && to.is_some_and(|p| p.ip().is_loopback()))
        && c.data.as_ref().is_none_or(|d| {
            let n = d.len().min(payload.len());
            d[..n] == payload[..n]
        })
}

/// Whether a call of kind `sc` puts a segment of this kind on the wire
/// itself: connect its SYN and the handshake's last ACK, a send its data, a
/// close or shutdown its FIN (or a RST, when data was left unread). An ACK
/// of data is the kernel's answer, whatever call runs meanwhile.
fn sends(sc: Sc, kind: SegKind) -> bool {
    match kind {
        SegKind::Syn | SegKind::PureAck => sc == Sc::Connect,
        SegKind::Data => matches!(sc, Sc::Sendto | Sc::Sendmsg | Sc::Sendmmsg | Sc::Write),
        SegKind::Fin | SegKind::Reset => matches!(sc, Sc::Close | Sc::Shutdown),
        SegKind::SynAck => false,
    }
}

/// Why a frame no call owns was sent, as far as the frame and where it
/// came from tell.
pub(super) fn unowned_note(frame: &CapturedFrame, placement: Option<&hosts::Placement>) -> String {
    let host = placement.and_then(|p| {
        let h = p.frame_host(frame)?;
        Some((p.host_names.get(h)?, p.program_host.contains(&h)))
    });
    match (host, sender_of(&frame.data)) {
        (Some((name, false)), _) => format!(
            " No traced program runs on `{name}`: its kernel sent it on its own (a router forwards what arrives for another network, and answers ARP and errors by itself)."
        ),
        (_, Sender::Kernel) => " No traced call put it on the wire: the kernel answered by itself, as it does whatever the programs are doing.".into(),
        (_, Sender::Segment { kind, .. }) if kind.is_answer() => " No traced call put it on the wire: the kernel sent it on its own, answering what arrived (a listening socket's kernel completes the handshake by itself, a closed port answers a SYN with RST, an ACK goes out while the program waits or does something else), or on a timer.".into(),
        _ => " No traced call put it on the wire: the kernel sent it on its own — data a send had queued (Nagle, a full window), on a timer (a retransmission), a datagram that waited for the receiver's MAC address, or the end of a connection after the program exited.".into(),
    }
}

/// Who can have put a frame on the wire.
#[derive(Debug, PartialEq, Eq)]
enum Sender<'a> {
    /// A UDP datagram: only a send on a socket with port `src`, to `dst`,
    /// of these bytes (the start of them, in a first fragment).
    Datagram {
        src: u16,
        dst: SocketAddr,
        payload: &'a [u8],
    },
    /// A TCP segment from port `src` to port `dst`.
    Segment { src: u16, dst: u16, kind: SegKind },
    /// Only the kernel, answering by itself: an ARP reply, an ICMP error
    /// or echo reply, an IPv6 neighbour advertisement.
    Kernel,
    /// The call running when it left: an ARP request, a later fragment.
    Latest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SegKind {
    Syn,
    /// A listening socket's kernel answers a SYN by itself.
    SynAck,
    /// No data, SYN, FIN or RST.
    PureAck,
    /// A close that threw data away, or a kernel refusing a connection.
    Reset,
    Fin,
    Data,
}

impl SegKind {
    /// What a kernel sends by itself in answer to what arrived.
    fn is_answer(self) -> bool {
        matches!(self, SegKind::SynAck | SegKind::PureAck | SegKind::Reset)
    }
}

fn sender_of(frame: &[u8]) -> Sender<'_> {
    use crate::dissect::ethernet::{EtherType, Frame};
    use crate::dissect::{arp, icmp, ip::Protocol, ipv4, ipv6, tcp, udp};
    let Some(eth) = Frame::new_checked(frame) else {
        return Sender::Latest;
    };
    let l3 = eth.payload();
    let (protocol, dst_ip, l4) = match eth.ethertype() {
        EtherType::Arp => {
            return match arp::Packet::new_checked(l3).map(|a| a.operation()) {
                Some(arp::Operation::Reply) => Sender::Kernel,
                _ => Sender::Latest,
            };
        }
        EtherType::Ipv4 => match ipv4::Packet::new_checked(l3) {
            // A later fragment has no header of its own to read.
            Some(ip) if ip.frag_offset() == 0 => (
                ip.protocol(),
                IpAddr::V4(ip.dst_addr()),
                l3.get(ip.header_len()..).unwrap_or(&[]),
            ),
            _ => return Sender::Latest,
        },
        EtherType::Ipv6 => match ipv6::Packet::new_checked(l3) {
            Some(ip) => {
                let rest = l3.get(ipv6::HEADER_LEN..).unwrap_or(&[]);
                let (next, rest) = match ip.next_header() {
                    // A fragment header: the first fragment holds the
                    // datagram's own header, a later one none.
                    Protocol::Ipv6Frag => match rest {
                        [next, _, hi, lo, _, _, _, _, after @ ..]
                            if u16::from_be_bytes([*hi, *lo]) >> 3 == 0 =>
                        {
                            (Protocol::from(*next), after)
                        }
                        _ => return Sender::Latest,
                    },
                    next => (next, rest),
                };
                (next, IpAddr::V6(ip.dst_addr()), rest)
            }
            None => return Sender::Latest,
        },
        _ => return Sender::Latest,
    };
    match protocol {
        Protocol::Udp => match udp::Packet::new_checked(l4) {
            Some(d) => Sender::Datagram {
                src: d.src_port(),
                dst: SocketAddr::new(dst_ip, d.dst_port()),
                payload: d.payload(),
            },
            None => Sender::Latest,
        },
        Protocol::Tcp => match tcp::Packet::new_checked(l4) {
            Some(s) => {
                let flags = s.flags();
                let has = |f: u16| flags & f != 0;
                let kind = if has(TcpInfo::SYN) && has(TcpInfo::ACK) {
                    SegKind::SynAck
                } else if has(TcpInfo::SYN) {
                    SegKind::Syn
                } else if has(TcpInfo::RST) {
                    SegKind::Reset
                } else if !s.payload().is_empty() {
                    SegKind::Data
                } else if has(TcpInfo::FIN) {
                    SegKind::Fin
                } else {
                    SegKind::PureAck
                };
                Sender::Segment {
                    src: s.src_port(),
                    dst: s.dst_port(),
                    kind,
                }
            }
            None => Sender::Latest,
        },
        Protocol::Icmp => match icmp::Packet::new_checked(l4).map(|m| m.msg_type()) {
            // Echo reply, destination unreachable, source quench, redirect,
            // time exceeded, parameter problem.
            Some(0 | 3 | 4 | 5 | 11 | 12) => Sender::Kernel,
            _ => Sender::Latest,
        },
        Protocol::Icmpv6 => match icmp::Packet::new_checked(l4).map(|m| m.msg_type()) {
            // The four errors, echo reply, neighbour advertisement.
            Some(1..=4 | 129 | 136) => Sender::Kernel,
            _ => Sender::Latest,
        },
        _ => Sender::Latest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(sc: Sc, start_ns: u64, end_ns: u64, local: Option<&str>) -> Call {
        Call {
            pid: 1,
            program: 0,
            sc,
            fd: 3,
            args: String::new(),
            result: String::new(),
            ok: true,
            ret: 1,
            start_ns,
            end_ns,
            data: None,
            local: local.map(|l| l.parse().unwrap()),
            peer: None,
            transport: Some("udp"),
        }
    }

    fn with(c: Call, data: &[u8], to: &str) -> Call {
        Call {
            data: Some(data.to_vec()),
            peer: Some(to.parse().unwrap()),
            ..c
        }
    }

    /// An Ethernet frame: IPv4 from 10.0.0.1 to 10.0.0.2 carrying `l4`
    /// (protocol `proto`).
    fn ipv4(proto: u8, l4: &[u8], timestamp_ns: u64) -> CapturedFrame {
        let mut data = vec![0; 12];
        let total = (20 + l4.len()) as u16;
        data.extend([0x08, 0x00, 0x45, 0]);
        data.extend(total.to_be_bytes());
        data.extend([0, 0, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        data.extend(l4);
        CapturedFrame {
            data,
            timestamp_ns,
            crossing: None,
        }
    }

    /// A UDP datagram from port `from` to 10.0.0.2:5000 carrying `payload`.
    fn datagram(from: u16, payload: &[u8], timestamp_ns: u64) -> CapturedFrame {
        let mut l4 = from.to_be_bytes().to_vec();
        l4.extend([0x13, 0x88]);
        l4.extend(((8 + payload.len()) as u16).to_be_bytes());
        l4.extend([0, 0]);
        l4.extend(payload);
        ipv4(17, &l4, timestamp_ns)
    }

    /// A TCP segment from port `from` to port `to` with `flags`, no data.
    fn segment(from: u16, to: u16, flags: u16, timestamp_ns: u64) -> CapturedFrame {
        let mut l4 = from.to_be_bytes().to_vec();
        l4.extend(to.to_be_bytes());
        l4.extend([0; 8]);
        l4.extend((0x5000 | flags).to_be_bytes());
        l4.extend([0xff, 0xff, 0, 0, 0, 0]);
        ipv4(6, &l4, timestamp_ns)
    }

    /// alice (end 0, the program's host) and bob (end 1) on one link.
    fn two_hosts() -> hosts::Placement {
        hosts::Placement {
            info: crate::transcript::NetworkInfo {
                mode: "sandbox".into(),
                interface: "wire".into(),
                note: String::new(),
                left_out: None,
                links: vec!["lan".into()],
                ends: Vec::new(),
                link_type: None,
            },
            program_host: vec![0],
            end_host: vec![0, 1],
            host_names: vec!["alice".into(), "bob".into()],
        }
    }

    /// The frame as alice put it on the link.
    fn crossed(frame: CapturedFrame) -> CapturedFrame {
        CapturedFrame {
            crossing: Some(crate::wire::Crossing {
                link: 0,
                from_end: 0,
                to_ends: vec![1],
                note: None,
                delivered_ns: Some(frame.timestamp_ns + 1),
            }),
            ..frame
        }
    }

    fn calls_of(owners: Vec<Option<Owner>>) -> Vec<Option<usize>> {
        owners.into_iter().map(|o| o.map(|o| o.call)).collect()
    }

    const TO: &str = "10.0.0.2:5000";

    #[test]
    fn a_datagram_belongs_to_its_send_not_to_a_receive() {
        assert_eq!(
            sender_of(&datagram(40000, b"data", 0).data),
            Sender::Datagram {
                src: 40000,
                dst: TO.parse().unwrap(),
                payload: b"data"
            }
        );
        let calls = [
            call(Sc::Sendto, 100, 300, Some("10.0.0.1:40000")),
            // The receiver entered recvfrom after the sendto began.
            call(Sc::Recvfrom, 150, 500, Some("0.0.0.0:5000")),
        ];
        let got = owners(&calls, &[datagram(40000, b"data", 200)], None);
        assert_eq!(
            got,
            [Some(Owner {
                call: 0,
                how: How::Sent
            })]
        );
        // Nothing known about the sockets: the send, not the receive.
        let calls = [
            call(Sc::Recvfrom, 50, 500, None),
            call(Sc::Sendto, 100, 300, None),
        ];
        let got = owners(&calls, &[datagram(40000, b"data", 200)], None);
        assert_eq!(calls_of(got), [Some(1)]);
        // No send of its port: the kernel's.
        let calls = [call(Sc::Recvfrom, 150, 500, Some("0.0.0.0:5000"))];
        let got = owners(&calls, &[datagram(40000, b"data", 200)], None);
        assert_eq!(calls_of(got), [None]);
    }

    #[test]
    fn datagrams_that_waited_for_arp_belong_to_their_sends_in_order() {
        let port = Some("10.0.0.1:40000");
        let calls = [
            with(call(Sc::Sendto, 100, 120, port), b"a", TO),
            with(call(Sc::Sendto, 290, 320, port), b"b", TO),
        ];
        // On a lesson's hosts the ARP reply came at 299: "a" leaves while
        // the send of "b" runs.
        let frames = [
            crossed(datagram(40000, b"a", 300)),
            crossed(datagram(40000, b"b", 301)),
        ];
        let got = owners(&calls, &frames, Some(&two_hosts()));
        assert_eq!(
            got,
            [
                Some(Owner {
                    call: 0,
                    how: How::Queued
                }),
                Some(Owner {
                    call: 1,
                    how: How::Sent
                })
            ]
        );
        // A hundred queued the same way, each to its own send.
        let calls: Vec<Call> = (0..100)
            .map(|i| with(call(Sc::Sendto, 10 * i, 10 * i + 5, port), b"x", TO))
            .collect();
        let frames: Vec<CapturedFrame> = (0..100)
            .map(|i| crossed(datagram(40000, b"x", 5000 + i)))
            .collect();
        let want: Vec<Option<usize>> = (0..100).map(Some).collect();
        assert_eq!(calls_of(owners(&calls, &frames, Some(&two_hosts()))), want);
    }

    #[test]
    fn a_send_that_failed_or_stayed_on_its_host_sent_nothing_here() {
        let port = Some("10.0.0.1:40000");
        let mut failed = with(call(Sc::Sendto, 100, 120, port), b"hello", TO);
        failed.ok = false;
        let loopback = with(call(Sc::Sendto, 130, 140, port), b"hello", "127.0.0.1:5000");
        let other = with(call(Sc::Sendto, 150, 160, port), b"hello", "10.0.0.3:5000");
        let real = with(call(Sc::Sendto, 170, 180, port), b"hello", TO);
        let calls = [failed, loopback, other, real];
        let placement = two_hosts();
        let mut frame = crossed(datagram(40000, b"hello", 300));
        let got = owners(&calls, &[frame.clone()], Some(&placement));
        assert_eq!(calls_of(got), [Some(3)]);
        // Sent from bob's end: no call of alice's program sent it.
        frame.crossing.as_mut().unwrap().from_end = 1;
        assert_eq!(calls_of(owners(&calls, &[frame], Some(&placement))), [None]);
    }

    #[test]
    fn a_sendmmsg_owns_as_many_datagrams_as_it_sent() {
        let mut many = call(Sc::Sendmmsg, 50, 60, None);
        many.ret = 2;
        let calls = [
            many,
            with(
                call(Sc::Sendto, 200, 220, Some("10.0.0.1:40000")),
                b"hello",
                TO,
            ),
        ];
        let frames = [
            datagram(40000, b"one", 55),
            datagram(40000, b"two", 56),
            datagram(40000, b"hello", 210),
        ];
        assert_eq!(
            calls_of(owners(&calls, &frames, None)),
            [Some(0), Some(0), Some(1)]
        );
    }

    #[test]
    fn the_kernels_tcp_answers_are_no_calls_own() {
        const SYN: u16 = TcpInfo::SYN;
        const ACK: u16 = TcpInfo::ACK;
        let tcp = |sc, start, end, local: &str| Call {
            transport: Some("tcp"),
            ..call(sc, start, end, Some(local))
        };
        let calls = [
            tcp(Sc::Accept4, 10, 900, "0.0.0.0:50007"),
            tcp(Sc::Connect, 100, 200, "127.0.0.1:40000"),
            tcp(Sc::Recvfrom, 300, 900, "127.0.0.1:50007"),
        ];
        let frames = [
            segment(40000, 50007, SYN, 110),
            segment(50007, 40000, SYN | ACK, 120),
            segment(40000, 50007, ACK, 130),
            // The server's ACK of data while its recv has waited long.
            segment(50007, 40000, ACK, 5_000_000),
        ];
        let got = owners(&calls, &frames, None);
        let how = |o: &Option<Owner>| o.map(|o| (o.call, o.how));
        assert_eq!(how(&got[0]), Some((1, How::Sent)));
        // On `lo`, the SYN+ACK is shown with the connect it answers; never
        // as accept's: a listening socket's kernel answers by itself.
        assert_eq!(how(&got[1]), Some((1, How::Answered)));
        assert_eq!(how(&got[2]), Some((1, How::Sent)));
        assert_eq!(got[3], None);
    }

    #[test]
    fn a_waiting_receive_sends_neither_acks_nor_data() {
        const ACK: u16 = TcpInfo::ACK;
        const PSH: u16 = TcpInfo::PSH;
        let tcp = |sc, start, end, local: &str, peer: &str| Call {
            transport: Some("tcp"),
            peer: Some(peer.parse().unwrap()),
            ..call(sc, start, end, Some(local))
        };
        let calls = [
            tcp(Sc::Sendto, 100, 120, "127.0.0.1:50007", "127.0.0.1:40000"),
            // The client's recv began 30 µs before the answer arrived.
            tcp(
                Sc::Recvfrom,
                90,
                900_000,
                "127.0.0.1:40000",
                "127.0.0.1:50007",
            ),
        ];
        let mut data = segment(50007, 40000, PSH | ACK, 110);
        data.data.extend(b"fine");
        let frames = [
            data,
            // The client's kernel acknowledges at once.
            segment(40000, 50007, ACK, 115),
            // Data its send queued, let go while only the recv runs.
            segment(50007, 40000, PSH | ACK, 500_000),
        ];
        let mut late = frames[2].clone();
        late.data.extend(b"more");
        let got = owners(&calls, &[frames[0].clone(), frames[1].clone(), late], None);
        let how = |o: &Option<Owner>| o.map(|o| (o.call, o.how));
        assert_eq!(how(&got[0]), Some((0, How::Sent)));
        // Not the recv's doing: shown with the send it answers.
        assert_eq!(how(&got[1]), Some((0, How::Answered)));
        assert_eq!(got[2], None);
    }

    #[test]
    fn a_segment_of_another_connection_on_the_same_port_is_not_this_calls() {
        let tcp = |sc, start, end, peer: &str| Call {
            transport: Some("tcp"),
            peer: Some(peer.parse().unwrap()),
            ..call(sc, start, end, Some("10.0.0.2:50007"))
        };
        // The server closes its second client's connection while its kernel
        // resets the first's.
        let calls = [tcp(Sc::Close, 100, 200, "10.0.0.1:40002")];
        let rst = segment(50007, 40001, TcpInfo::RST, 150);
        assert_eq!(owners(&calls, &[rst], None), [None]);
    }

    #[test]
    fn on_lo_a_lost_frame_shifts_no_later_datagram() {
        let port = Some("127.0.0.1:40000");
        let calls: Vec<Call> = (0..5)
            .map(|i| with(call(Sc::Sendto, 100 * i, 100 * i + 50, port), b"x", TO))
            .collect();
        // The capture lost the first datagram.
        let frames: Vec<CapturedFrame> = (1..5)
            .map(|i| datagram(40000, b"x", 100 * i + 10))
            .collect();
        let got = owners(&calls, &frames, None);
        assert_eq!(calls_of(got.clone()), [Some(1), Some(2), Some(3), Some(4)]);
        assert!(got.iter().all(|o| o.is_some_and(|o| o.how == How::Sent)));
    }

    #[test]
    fn the_first_fragment_of_an_ipv6_datagram_is_read_as_its_datagram() {
        let mut data = vec![0; 12];
        data.extend([0x86, 0xdd, 0x60, 0, 0, 0, 0, 24, 44, 64]);
        data.extend([0; 15]);
        data.push(1); // from ::1
        data.extend([0; 15]);
        data.push(2); // to ::2
        // Fragment header: UDP next, offset 0, more fragments.
        data.extend([17, 0, 0, 1, 0, 0, 0, 7]);
        data.extend(40000u16.to_be_bytes());
        data.extend(5000u16.to_be_bytes());
        data.extend([0, 12, 0, 0, b'd', b'a', b't', b'a']);
        assert_eq!(
            sender_of(&data),
            Sender::Datagram {
                src: 40000,
                dst: "[::2]:5000".parse().unwrap(),
                payload: b"data"
            }
        );
    }
}

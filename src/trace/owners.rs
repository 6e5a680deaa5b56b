//! Which traced call put each frame on the wire: the call running on the
//! host that sent it when it left, by what the frame can have come from.

use super::decode;
use super::hosts;
use super::tracer::Call;
use crate::live::capture::CapturedFrame;

/// Which call each frame belongs to: the one running when the kernel
/// stamped it (the latest started, when several run at once: a server
/// waiting in recv while its client sends), on the host that sent it.
pub(super) fn owners(
    calls: &[Call],
    frames: &[CapturedFrame],
    placement: Option<&hosts::Placement>,
) -> Vec<Option<Owner>> {
    // A sweep in time order: the calls running at a frame's time are kept
    // by start (to pick the latest) and by end (to retire them).
    use std::cmp::Reverse;
    use std::collections::{BTreeSet, BinaryHeap};
    let mut by_start: Vec<usize> = (0..calls.len()).collect();
    by_start.sort_by_key(|&i| calls[i].start_ns);
    let mut order: Vec<usize> = (0..frames.len()).collect();
    order.sort_by_key(|&i| frames[i].timestamp_ns);
    let mut running: BTreeSet<(u64, usize)> = BTreeSet::new();
    let mut ending: BinaryHeap<Reverse<(u64, u64, usize)>> = BinaryHeap::new();
    let mut next = 0;
    let mut out = vec![None; frames.len()];
    // Sends that already have their datagram.
    let mut claimed = std::collections::HashSet::new();
    for f in order {
        let ts = frames[f].timestamp_ns;
        while next < by_start.len() && calls[by_start[next]].start_ns <= ts {
            let c = &calls[by_start[next]];
            running.insert((c.start_ns, by_start[next]));
            ending.push(Reverse((c.end_ns, c.start_ns, by_start[next])));
            next += 1;
        }
        while let Some(Reverse((end, start, i))) = ending.peek().copied() {
            if end >= ts {
                break;
            }
            ending.pop();
            running.remove(&(start, i));
        }
        // On a lesson's hosts, only a call of a program on the host that
        // sent the frame can have sent it.
        let host = placement.and_then(|p| Some((p, p.frame_host(&frames[f])?)));
        let on_host =
            |i: &usize| host.is_none_or(|(p, h)| p.program_host.get(calls[*i].program) == Some(&h));
        let mut candidates = running.iter().rev().map(|&(_, i)| i).filter(on_host);
        let ran = |call: Option<usize>| {
            call.map(|call| Owner {
                call,
                running: true,
            })
        };
        out[f] = match sender_of(&frames[f].data) {
            // The kernel's own answer, whatever call runs meanwhile.
            Sender::Kernel => None,
            // A datagram leaves only through a send on its own socket: not
            // a receiver that entered recvfrom just before it left, nor a
            // call on a socket known to have another local port. One that
            // waited in the kernel (for ARP) left after its send returned:
            // the earliest send of the same bytes from that port not yet
            // matched, among the last few calls.
            Sender::Datagram(port, payload) => {
                let sends = |i: &usize| {
                    let c = &calls[*i];
                    c.sc.sends_data() && c.local.is_none_or(|l| l.port() == port)
                };
                let same_bytes = |i: &usize| {
                    calls[*i].data.as_ref().is_none_or(|d| {
                        let n = d.len().min(payload.len());
                        d[..n] == payload[..n]
                    })
                };
                let during = candidates.find(|i| sends(i));
                let owner = ran(during).or_else(|| {
                    by_start[next.saturating_sub(64)..next]
                        .iter()
                        .copied()
                        .filter(|i| on_host(i) && sends(i) && same_bytes(i))
                        .find(|i| {
                            !claimed.contains(i) && !running.contains(&(calls[*i].start_ns, *i))
                        })
                        .map(|call| Owner {
                            call,
                            running: false,
                        })
                });
                if let Some(o) = owner
                    && calls[o.call].sc != decode::Sc::Sendmmsg
                {
                    claimed.insert(o.call);
                }
                owner
            }
            // TCP frames and the rest: the latest call. The kernel answers a
            // connect's SYN with a SYN+ACK while connect runs, and that is
            // connect's handshake; an ARP request goes out during the send
            // that needs it.
            Sender::Latest => ran(candidates.next()),
        };
    }
    out
}

/// The call a frame belongs to, and whether it still ran when the frame
/// left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Owner {
    pub call: usize,
    pub running: bool,
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
        _ => " No traced call was running on its host when it left: the kernel sent it on its own — on a timer (a delayed ACK, a retransmission), a datagram that waited for the receiver's MAC address, or the end of a connection after the program exited.".into(),
    }
}

/// Who can have put a frame on the wire.
#[derive(Debug, PartialEq, Eq)]
enum Sender<'a> {
    /// Only a send on a socket with this UDP source port, of these bytes
    /// (the start of them, in a first fragment).
    Datagram(u16, &'a [u8]),
    /// Only the kernel, answering by itself: an ARP reply, an ICMP error
    /// or echo reply, an IPv6 neighbour advertisement.
    Kernel,
    /// The call running when it left.
    Latest,
}

fn sender_of(frame: &[u8]) -> Sender<'_> {
    use crate::dissect::ethernet::{EtherType, Frame};
    use crate::dissect::{arp, icmp, ip::Protocol, ipv4, ipv6, udp};
    let Some(eth) = Frame::new_checked(frame) else {
        return Sender::Latest;
    };
    let l3 = eth.payload();
    let (protocol, l4) = match eth.ethertype() {
        EtherType::Arp => {
            return match arp::Packet::new_checked(l3).map(|a| a.operation()) {
                Some(arp::Operation::Reply) => Sender::Kernel,
                _ => Sender::Latest,
            };
        }
        EtherType::Ipv4 => match ipv4::Packet::new_checked(l3) {
            // A later fragment has no header of its own to read.
            Some(ip) if ip.frag_offset() == 0 => {
                (ip.protocol(), l3.get(ip.header_len()..).unwrap_or(&[]))
            }
            _ => return Sender::Latest,
        },
        EtherType::Ipv6 => match ipv6::Packet::new_checked(l3) {
            Some(ip) => (ip.next_header(), l3.get(ipv6::HEADER_LEN..).unwrap_or(&[])),
            None => return Sender::Latest,
        },
        _ => return Sender::Latest,
    };
    match protocol {
        Protocol::Udp => udp::Packet::new_checked(l4).map_or(Sender::Latest, |d| {
            Sender::Datagram(d.src_port(), d.payload())
        }),
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
    use crate::trace::decode::Sc;

    fn call(sc: Sc, start_ns: u64, end_ns: u64, local: Option<&str>) -> Call {
        Call {
            pid: 1,
            program: 0,
            sc,
            fd: 3,
            args: String::new(),
            result: String::new(),
            ok: true,
            ret: 0,
            start_ns,
            end_ns,
            data: None,
            local: local.map(|l| l.parse().unwrap()),
            peer: None,
            transport: Some("udp"),
        }
    }

    /// A UDP datagram on `lo` from port `from` (Ethernet, IPv4, UDP).
    fn datagram(from: u16, timestamp_ns: u64) -> CapturedFrame {
        let mut data = vec![0; 12];
        data.extend([0x08, 0x00, 0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17, 0, 0]);
        data.extend([127, 0, 0, 1, 127, 0, 0, 1]);
        data.extend(from.to_be_bytes());
        data.extend([0x13, 0x88, 0, 12, 0, 0, b'd', b'a', b't', b'a']);
        CapturedFrame {
            data,
            timestamp_ns,
            crossing: None,
        }
    }

    fn calls_of(owners: Vec<Option<Owner>>) -> Vec<Option<usize>> {
        owners.into_iter().map(|o| o.map(|o| o.call)).collect()
    }

    #[test]
    fn a_datagram_belongs_to_its_sender_not_to_a_receive_begun_after() {
        let calls = [
            call(Sc::Sendto, 100, 300, Some("127.0.0.1:40000")),
            // The receiver entered recvfrom after the sendto began.
            call(Sc::Recvfrom, 150, 500, Some("0.0.0.0:5000")),
        ];
        assert_eq!(
            sender_of(&datagram(40000, 0).data),
            Sender::Datagram(40000, b"data")
        );
        assert_eq!(
            calls_of(owners(&calls, &[datagram(40000, 200)], None)),
            [Some(0)]
        );
        // A receive that began first and still waits does not own it either.
        let calls = [
            call(Sc::Recvfrom, 50, 500, Some("0.0.0.0:5000")),
            call(Sc::Sendto, 100, 300, None),
        ];
        assert_eq!(
            calls_of(owners(&calls, &[datagram(40000, 200)], None)),
            [Some(1)]
        );
        // Nothing known about the sockets: the send, not the receive.
        let calls = [
            call(Sc::Sendto, 100, 300, None),
            call(Sc::Recvfrom, 150, 500, None),
        ];
        assert_eq!(
            calls_of(owners(&calls, &[datagram(40000, 200)], None)),
            [Some(0)]
        );
        // No send of its port ran: the kernel's.
        let calls = [call(Sc::Recvfrom, 150, 500, Some("0.0.0.0:5000"))];
        assert_eq!(
            calls_of(owners(&calls, &[datagram(40000, 200)], None)),
            [None]
        );
    }

    #[test]
    fn datagrams_that_waited_for_arp_belong_to_their_sends_in_order() {
        let with = |c: Call, data: &[u8]| Call {
            data: Some(data.to_vec()),
            ..c
        };
        let calls = [
            with(call(Sc::Sendto, 100, 120, Some("10.0.0.1:40000")), b"data"),
            with(call(Sc::Sendto, 130, 150, Some("10.0.0.1:40000")), b"other"),
            with(call(Sc::Sendto, 160, 180, Some("10.0.0.1:40000")), b"data"),
            call(Sc::Recvfrom, 90, 500, Some("0.0.0.0:5000")),
        ];
        // Both "data" datagrams left after their sends returned (the ARP
        // reply came at 300): the first to the first send, the second to
        // the third; never the receive that still runs.
        let owners = owners(&calls, &[datagram(40000, 300), datagram(40000, 301)], None);
        assert_eq!(
            owners,
            [
                Some(Owner {
                    call: 0,
                    running: false
                }),
                Some(Owner {
                    call: 2,
                    running: false
                })
            ]
        );
    }
}

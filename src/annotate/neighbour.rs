//! ARP and IPv6 neighbour discovery in words: who asks, for whom, why the
//! question is broadcast (or multicast), who answers, what is cached, and
//! what waits for the answer. Every value comes from the frame's bytes; the
//! host names from the lesson's topology.

use std::net::IpAddr;

use super::KernelSettings;
use super::catalog::neighbour as n;
use crate::dissect::arp::{Operation, Packet};
use crate::dissect::ethernet::Address as Mac;
use crate::dissect::{Dissection, ipv6};
use crate::wire::{HostSpec, InterfaceSpec, Topology};

/// A neighbour frame's semantics, the start of its timing note, and what
/// follows it.
pub(super) struct NeighbourNotes {
    pub semantics: String,
    pub lead: String,
    pub next: String,
}

/// Which entry fits an ARP frame or an ICMPv6 neighbour solicitation or
/// advertisement; `None` for any other frame (or one too short to read).
pub(super) fn notes(
    d: &Dissection,
    frame: &[u8],
    topology: Option<&Topology>,
    kernel: &KernelSettings,
) -> Option<NeighbourNotes> {
    let dst_mac = Mac::from_bytes(frame.get(0..6)?)?;
    let layer = |name: &str| d.layers.iter().find(|l| l.protocol == name);
    if let Some(l) = layer("ARP") {
        let p = Packet::new_checked(frame.get(l.offset..)?)?;
        if p.hardware_len() != 6 || p.protocol_len() != 4 {
            return None;
        }
        let ip = |b: &[u8]| <[u8; 4]>::try_from(b).ok().map(IpAddr::from);
        let (sha, spa) = (
            Mac::from_bytes(p.source_hardware_addr())?,
            ip(p.source_protocol_addr())?,
        );
        let (tha, tpa) = (
            Mac::from_bytes(p.target_hardware_addr())?,
            ip(p.target_protocol_addr())?,
        );
        return Some(match p.operation() {
            Operation::Request if spa == tpa => NeighbourNotes {
                semantics: n::arp_announce(&who(topology, spa), &spa, &sha),
                lead: n::lead_announce(&who(topology, spa)),
                next: n::next_announce(),
            },
            Operation::Request if dst_mac.is_broadcast() => NeighbourNotes {
                semantics: n::arp_request(&who(topology, spa), &tpa, &spa, &sha, &tha),
                lead: n::lead_ask(&who(topology, spa), &tpa),
                next: n::next_ask(),
            },
            Operation::Request => NeighbourNotes {
                semantics: n::arp_probe(&who(topology, spa), &tpa, &dst_mac),
                lead: n::lead_probe(&who(topology, spa)),
                next: n::next_probe(),
            },
            Operation::Reply => NeighbourNotes {
                semantics: format!(
                    "{} {}",
                    n::arp_reply(&who(topology, spa), &spa, &sha, &tha, &tpa),
                    cache(topology, kernel, tpa)
                ),
                lead: n::lead_answer(&who(topology, spa)),
                next: n::next_answer(&sha),
            },
            Operation::Unknown(_) => return None,
        });
    }
    let l = layer("ICMPv6")?;
    let icmp = frame.get(l.offset..)?;
    let ty = *icmp.first()?;
    if ty != 135 && ty != 136 {
        return None;
    }
    let target = IpAddr::from(ipv6::addr(icmp.get(8..24)?));
    let src: IpAddr = d.ip_src.as_deref()?.parse().ok()?;
    let dst: IpAddr = d.ip_dst.as_deref()?.parse().ok()?;
    let (source_mac, target_mac) = nd_macs(icmp.get(24..).unwrap_or_default());
    if ty == 135 {
        let unspecified = src.is_unspecified();
        let asker = if unspecified {
            who(topology, target)
        } else {
            who(topology, src)
        };
        if unspecified {
            return Some(NeighbourNotes {
                semantics: n::ndp_dad(&target),
                lead: n::lead_dad(&asker, &target),
                next: n::next_dad(),
            });
        }
        let (mut semantics, lead, next) = if dst_mac.is_multicast() {
            (
                n::ndp_solicit(&asker, &target, &dst, &dst_mac),
                n::lead_ask(&asker, &target),
                n::next_ask(),
            )
        } else {
            (
                n::ndp_probe(&asker, &target, &dst_mac),
                n::lead_probe(&asker),
                n::next_probe(),
            )
        };
        if let Some(mac) = source_mac {
            semantics = format!("{semantics} {}", n::ndp_solicit_mac(&mac));
        }
        return Some(NeighbourNotes {
            semantics,
            lead,
            next,
        });
    }
    let answerer = who(topology, src);
    let solicited = icmp.get(4).is_some_and(|b| b & 0x40 != 0);
    let mut s = vec![match target_mac {
        Some(mac) => n::ndp_advert(&answerer, &target, &mac, &dst),
        None => n::ndp_advert_no_mac(&answerer, &target, &dst),
    }];
    if solicited {
        s.push(n::ndp_solicited());
        s.push(cache(topology, kernel, dst));
    } else {
        s.push(n::ndp_unsolicited());
    }
    Some(NeighbourNotes {
        semantics: s.join(" "),
        lead: if solicited {
            n::lead_answer(&answerer)
        } else {
            n::lead_announce(&answerer)
        },
        next: match (solicited, target_mac) {
            (true, Some(mac)) => n::next_answer(&mac),
            (true, None) => String::new(),
            (false, _) => n::next_announce(),
        },
    })
}

/// `alice (10.0.0.1)` when a host of the lesson has the address, else
/// `the host at 10.0.0.1`.
fn who(topology: Option<&Topology>, ip: IpAddr) -> String {
    match owner(topology, ip) {
        Some((h, _)) => n::host(&h.name, &ip),
        None => n::host_unknown(&ip),
    }
}

/// The host of the lesson, and its interface, that has `ip`.
fn owner(topology: Option<&Topology>, ip: IpAddr) -> Option<(&HostSpec, &InterfaceSpec)> {
    topology?.hosts.iter().find_map(|h| {
        h.interfaces
            .iter()
            .find(|i| i.addresses.iter().any(|a| a.addr == ip))
            .map(|i| (h, i))
    })
}

/// What the asker at `asker` caches, and for how long when its kernel's
/// base reachable time was read.
fn cache(topology: Option<&Topology>, kernel: &KernelSettings, asker: IpAddr) -> String {
    owner(topology, asker)
        .and_then(|(h, i)| {
            let ms = kernel.base_reachable_ms(&h.name, &i.name)?;
            Some(n::cache_ms(&ms, &i.name, &h.name))
        })
        .unwrap_or_else(n::cache)
}

/// The source and target link-layer address options (types 1 and 2) of a
/// neighbour discovery message's options.
fn nd_macs(mut opts: &[u8]) -> (Option<Mac>, Option<Mac>) {
    let (mut source, mut target) = (None, None);
    while let [kind, len, ..] = *opts {
        let len = usize::from(len) * 8;
        let Some(body) = opts.get(2..len.max(2)).filter(|_| len > 0) else {
            break;
        };
        let mac = body.get(0..6).and_then(Mac::from_bytes);
        match kind {
            1 => source = source.or(mac),
            2 => target = target.or(mac),
            _ => {}
        }
        opts = opts.get(len..).unwrap_or_default();
    }
    (source, target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::dissect;
    use crate::wire::{HostSpec, InterfaceSpec};

    const ALICE: [u8; 6] = [0x02, 0x7f, 0xc9, 0x03, 0xb7, 0xd9];
    const BOB: [u8; 6] = [0x02, 0x0c, 0x23, 0x22, 0xbd, 0xf0];

    fn topology() -> Topology {
        let host = |name: &str, addrs: &[&str]| HostSpec {
            name: name.into(),
            interfaces: vec![InterfaceSpec {
                name: "eth0".into(),
                link: 0,
                addresses: addrs.iter().map(|a| a.parse().unwrap()).collect(),
                mtu: 1500,
            }],
            routes: vec![],
            forwarding: false,
        };
        Topology {
            hosts: vec![
                host("alice", &["10.0.0.1/24", "fd00::1/64"]),
                host("bob", &["10.0.0.2/24", "fd00::2/64"]),
            ],
            links: vec!["lan".into()],
        }
    }

    fn arp(
        dst: [u8; 6],
        op: u8,
        sha: [u8; 6],
        spa: [u8; 4],
        tha: [u8; 6],
        tpa: [u8; 4],
    ) -> Vec<u8> {
        let mut f = [dst, sha].concat();
        f.extend([0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, op]);
        f.extend(sha);
        f.extend(spa);
        f.extend(tha);
        f.extend(tpa);
        f
    }

    fn notes_of(frame: &[u8]) -> Option<NeighbourNotes> {
        let t = topology();
        let kernel = KernelSettings {
            base_reachable_ms: vec![("alice".into(), "eth0".into(), 30000)],
            ..KernelSettings::default()
        };
        notes(&dissect(frame), frame, Some(&t), &kernel)
    }

    #[test]
    fn a_broadcast_arp_request_says_who_asks_for_whom_and_why_broadcast() {
        let f = arp([0xff; 6], 1, ALICE, [10, 0, 0, 1], [0; 6], [10, 0, 0, 2]);
        let nb = notes_of(&f).unwrap();
        assert_eq!(
            nb.semantics,
            n::arp_request(
                &"alice (10.0.0.1)",
                &"10.0.0.2",
                &"10.0.0.1",
                &"02:7f:c9:03:b7:d9",
                &"00:00:00:00:00:00"
            )
        );
        assert!(
            nb.semantics.contains("ff:ff:ff:ff:ff:ff"),
            "{}",
            nb.semantics
        );
        assert_eq!(nb.lead, n::lead_ask(&"alice (10.0.0.1)", &"10.0.0.2"));
        assert_eq!(nb.next, n::next_ask());
    }

    #[test]
    fn an_arp_reply_says_who_answers_and_what_is_cached() {
        let f = arp(ALICE, 2, BOB, [10, 0, 0, 2], ALICE, [10, 0, 0, 1]);
        let nb = notes_of(&f).unwrap();
        assert!(nb.semantics.starts_with(&n::arp_reply(
            &"bob (10.0.0.2)",
            &"10.0.0.2",
            &"02:0c:23:22:bd:f0",
            &"02:7f:c9:03:b7:d9",
            &"10.0.0.1"
        )));
        assert!(
            nb.semantics
                .ends_with(&n::cache_ms(&30000, &"eth0", &"alice"))
        );
        assert!(nb.semantics.contains("30000 ms for eth0 on alice"));
        assert_eq!(nb.lead, n::lead_answer(&"bob (10.0.0.2)"));
        assert_eq!(nb.next, n::next_answer(&"02:0c:23:22:bd:f0"));
    }

    #[test]
    fn unicast_and_gratuitous_requests_and_strangers_get_their_own_entries() {
        let probe = arp(BOB, 1, ALICE, [10, 0, 0, 1], [0; 6], [10, 0, 0, 2]);
        let nb = notes_of(&probe).unwrap();
        assert_eq!(
            nb.semantics,
            n::arp_probe(&"alice (10.0.0.1)", &"10.0.0.2", &"02:0c:23:22:bd:f0")
        );
        assert_eq!(nb.next, n::next_probe());

        let announce = arp([0xff; 6], 1, BOB, [10, 0, 0, 2], [0; 6], [10, 0, 0, 2]);
        let nb = notes_of(&announce).unwrap();
        assert_eq!(
            nb.semantics,
            n::arp_announce(&"bob (10.0.0.2)", &"10.0.0.2", &"02:0c:23:22:bd:f0")
        );

        // An address no host of the lesson has, and no topology at all.
        let f = arp([0xff; 6], 1, ALICE, [10, 9, 9, 9], [0; 6], [10, 0, 0, 2]);
        let nb = notes(&dissect(&f), &f, None, &KernelSettings::default()).unwrap();
        assert_eq!(nb.lead, n::lead_ask(&"the host at 10.9.9.9", &"10.0.0.2"));
    }

    #[test]
    fn cut_short_or_odd_arp_and_other_frames_get_no_neighbour_note() {
        let f = arp([0xff; 6], 1, ALICE, [10, 0, 0, 1], [0; 6], [10, 0, 0, 2]);
        for len in 0..f.len() {
            assert!(notes_of(&f[..len]).is_none(), "cut at {len}");
        }
        let mut odd = f.clone();
        odd[21] = 9; // opcode 9
        assert!(notes_of(&odd).is_none());
        let mut udp = f.clone();
        udp[12..14].copy_from_slice(&[0x08, 0x00]);
        assert!(notes_of(&udp).is_none());
    }

    fn ndp(
        dst_mac: [u8; 6],
        src: [u8; 16],
        dst: [u8; 16],
        ty: u8,
        flags: u8,
        target: [u8; 16],
        opt: Option<(u8, [u8; 6])>,
    ) -> Vec<u8> {
        let mut icmp = vec![ty, 0, 0, 0, flags, 0, 0, 0];
        icmp.extend(target);
        if let Some((kind, mac)) = opt {
            icmp.extend([kind, 1]);
            icmp.extend(mac);
        }
        let mut f = [dst_mac, ALICE].concat();
        f.extend([0x86, 0xdd, 0x60, 0, 0, 0, 0, icmp.len() as u8, 58, 255]);
        f.extend(src);
        f.extend(dst);
        f.extend(icmp);
        f
    }

    fn v6(s: &str) -> [u8; 16] {
        s.parse::<std::net::Ipv6Addr>().unwrap().octets()
    }

    #[test]
    fn neighbour_solicitation_and_advertisement_are_ipv6s_arp() {
        let ns = ndp(
            [0x33, 0x33, 0xff, 0, 0, 2],
            v6("fd00::1"),
            v6("ff02::1:ff00:2"),
            135,
            0,
            v6("fd00::2"),
            Some((1, ALICE)),
        );
        let nb = notes_of(&ns).unwrap();
        assert_eq!(
            nb.semantics,
            format!(
                "{} {}",
                n::ndp_solicit(
                    &"alice (fd00::1)",
                    &"fd00::2",
                    &"ff02::1:ff00:2",
                    &"33:33:ff:00:00:02"
                ),
                n::ndp_solicit_mac(&"02:7f:c9:03:b7:d9")
            )
        );
        assert_eq!(nb.lead, n::lead_ask(&"alice (fd00::1)", &"fd00::2"));

        let na = ndp(
            ALICE,
            v6("fd00::2"),
            v6("fd00::1"),
            136,
            0x60,
            v6("fd00::2"),
            Some((2, BOB)),
        );
        let nb = notes_of(&na).unwrap();
        assert_eq!(
            nb.semantics,
            [
                n::ndp_advert(
                    &"bob (fd00::2)",
                    &"fd00::2",
                    &"02:0c:23:22:bd:f0",
                    &"fd00::1"
                ),
                n::ndp_solicited(),
                n::cache_ms(&30000, &"eth0", &"alice")
            ]
            .join(" ")
        );
        assert_eq!(nb.lead, n::lead_answer(&"bob (fd00::2)"));
        assert_eq!(nb.next, n::next_answer(&"02:0c:23:22:bd:f0"));

        // Duplicate address detection: from ::, for the asker's own address.
        let dad = ndp(
            [0x33, 0x33, 0xff, 0, 0, 1],
            [0; 16],
            v6("ff02::1:ff00:1"),
            135,
            0,
            v6("fd00::1"),
            None,
        );
        let nb = notes_of(&dad).unwrap();
        assert_eq!(nb.semantics, n::ndp_dad(&"fd00::1"));
        assert_eq!(nb.lead, n::lead_dad(&"alice (fd00::1)", &"fd00::1"));

        // An echo request is not neighbour discovery.
        let echo = ndp(
            BOB,
            v6("fd00::1"),
            v6("fd00::2"),
            128,
            0,
            v6("fd00::2"),
            None,
        );
        assert!(notes_of(&echo).is_none());
    }
}

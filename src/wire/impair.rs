//! What the wire does to frames a lesson wants disturbed: drop, delay,
//! duplicate, reorder, corrupt, or a link's rate. Counting, never chance, so
//! every run of a lesson disturbs the same frames.

use std::time::Duration;

/// Which frames a rule looks at, by what the frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Any,
    Arp,
    Ipv4,
    Ipv6,
    /// ICMP or ICMPv6.
    Icmp,
    Udp,
    Tcp,
    /// TCP segments that carry data (not a bare ACK, SYN or FIN).
    TcpData,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// Only frames on this link (index in the topology); any link if `None`.
    pub link: Option<usize>,
    /// Only frames this host put on the link; any sender if `None`.
    pub from_host: Option<usize>,
    pub protocol: Protocol,
}

impl Filter {
    pub fn matches(&self, frame: &FrameInfo) -> bool {
        self.link.is_none_or(|l| l == frame.link)
            && self.from_host.is_none_or(|h| h == frame.from_host)
            && protocol_matches(self.protocol, frame.data)
    }
}

/// Which of the matching frames a rule acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The n-th matching frame (1 = the first), once.
    Nth(u32),
    /// Every matching frame.
    Every,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Drop,
    Delay(Duration),
    /// Deliver it twice.
    Duplicate,
    /// Hold it back until the next frame in the same direction of the same
    /// link went through (or `at_most` passed), so the two arrive swapped.
    Reorder {
        at_most: Duration,
    },
    /// Flip the bits `xor` in byte `offset` of the frame (counted from the
    /// first byte of the Ethernet header); a frame too short is left alone.
    Corrupt {
        offset: usize,
        xor: u8,
    },
    /// Carry frames at this many bytes per second, one after another (the
    /// time a real link needs to send them); frames that would wait longer
    /// than `queue` are dropped, as a full router queue drops them.
    Rate {
        bytes_per_second: u64,
        queue: Duration,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub filter: Filter,
    pub which: Which,
    pub action: Action,
}

/// The longest the rules can hold one frame: a frame several rules match
/// is held by each of them in turn.
pub fn longest_hold(rules: &[Rule]) -> Duration {
    rules
        .iter()
        .map(|r| match r.action {
            Action::Delay(d) => d,
            Action::Reorder { at_most } => at_most,
            Action::Rate { queue, .. } => queue,
            Action::Drop | Action::Duplicate | Action::Corrupt { .. } => Duration::ZERO,
        })
        .sum()
}

/// The facts about one frame the rules decide on.
pub struct FrameInfo<'a> {
    pub link: usize,
    pub from_host: usize,
    pub data: &'a [u8],
    /// When it reached the wire.
    pub at_ns: u64,
}

/// What happens to one frame.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// The index of the rule that dropped it.
    pub dropped_by: Option<usize>,
    /// When it may leave the wire (≥ its arrival).
    pub depart_ns: u64,
    /// Delivered twice.
    pub duplicate: bool,
    /// Byte offset changed and the byte's new value.
    pub corrupt: Option<(usize, u8)>,
    /// Held back for reordering, at most this long.
    pub hold: Option<Duration>,
}

/// The rules with their counters and each rate-limited direction's
/// timeline.
#[derive(Debug, Default)]
pub struct Impairments {
    rules: Vec<Rule>,
    matched: Vec<u32>,
    /// Per rule, per (link, sending host): when the link is free again.
    busy_until: Vec<Vec<((usize, usize), u64)>>,
}

impl Impairments {
    pub fn new(rules: Vec<Rule>) -> Impairments {
        Impairments {
            matched: vec![0; rules.len()],
            busy_until: vec![Vec::new(); rules.len()],
            rules,
        }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Decide one frame's fate, in rule order; a drop ends the decision.
    pub fn decide(&mut self, frame: &FrameInfo) -> Verdict {
        let mut verdict = Verdict {
            depart_ns: frame.at_ns,
            ..Verdict::default()
        };
        for (i, rule) in self.rules.iter().enumerate() {
            if !rule.filter.matches(frame) {
                continue;
            }
            self.matched[i] = self.matched[i].saturating_add(1);
            let applies = match rule.which {
                Which::Nth(n) => self.matched[i] == n,
                Which::Every => true,
            };
            if !applies {
                continue;
            }
            match &rule.action {
                Action::Drop => {
                    verdict.dropped_by = Some(i);
                    return verdict;
                }
                Action::Delay(d) => {
                    verdict.depart_ns = verdict.depart_ns.saturating_add(nanos(*d));
                }
                Action::Duplicate => verdict.duplicate = true,
                Action::Reorder { at_most } => verdict.hold = Some(*at_most),
                Action::Corrupt { offset, xor } => {
                    if let Some(byte) = frame.data.get(*offset) {
                        verdict.corrupt = Some((*offset, byte ^ xor));
                    }
                }
                Action::Rate {
                    bytes_per_second,
                    queue,
                } => {
                    let key = (frame.link, frame.from_host);
                    let timeline = &mut self.busy_until[i];
                    let free_at = timeline
                        .iter()
                        .find(|(k, _)| *k == key)
                        .map_or(0, |(_, t)| *t);
                    let start = free_at.max(verdict.depart_ns);
                    if start - verdict.depart_ns > nanos(*queue) {
                        verdict.dropped_by = Some(i);
                        return verdict;
                    }
                    let send_ns = (frame.data.len() as u128 * 1_000_000_000
                        / u128::from((*bytes_per_second).max(1)))
                    .min(u128::from(u64::MAX)) as u64;
                    let done = start.saturating_add(send_ns);
                    match timeline.iter_mut().find(|(k, _)| *k == key) {
                        Some(entry) => entry.1 = done,
                        None => timeline.push((key, done)),
                    }
                    verdict.depart_ns = done;
                }
            }
        }
        verdict
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The protocol inside an Ethernet frame: (ethertype, IP protocol or next
/// header, whether a TCP segment carries data).
fn protocol_matches(want: Protocol, frame: &[u8]) -> bool {
    let ethertype = match frame.get(12..14) {
        Some(t) => u16::from_be_bytes([t[0], t[1]]),
        None => return want == Protocol::Any,
    };
    let ip = frame.get(14..).unwrap_or(&[]);
    let (proto, transport, ip_payload_len) = match ethertype {
        0x0800 => {
            let ihl = usize::from(ip.first().map_or(0, |b| b & 0x0f)) * 4;
            let total = ip
                .get(2..4)
                .map_or(0, |t| usize::from(u16::from_be_bytes([t[0], t[1]])));
            (
                ip.get(9).copied(),
                ip.get(ihl..).unwrap_or(&[]),
                total.saturating_sub(ihl),
            )
        }
        0x86dd => {
            let payload = ip
                .get(4..6)
                .map_or(0, |t| usize::from(u16::from_be_bytes([t[0], t[1]])));
            (ip.get(6).copied(), ip.get(40..).unwrap_or(&[]), payload)
        }
        _ => (None, &[][..], 0),
    };
    match want {
        Protocol::Any => true,
        Protocol::Arp => ethertype == 0x0806,
        Protocol::Ipv4 => ethertype == 0x0800,
        Protocol::Ipv6 => ethertype == 0x86dd,
        Protocol::Icmp => matches!(proto, Some(1) | Some(58)),
        Protocol::Udp => proto == Some(17),
        Protocol::Tcp => proto == Some(6),
        Protocol::TcpData => {
            let data_offset = usize::from(transport.get(12).map_or(0, |b| b >> 4)) * 4;
            proto == Some(6) && data_offset >= 20 && ip_payload_len > data_offset
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ethernet + IPv4 + TCP frame with `payload` data bytes.
    fn tcp_frame(payload: usize) -> Vec<u8> {
        let mut f = vec![0u8; 14 + 20 + 20 + payload];
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        f[14] = 0x45;
        f[16..18].copy_from_slice(&((40 + payload) as u16).to_be_bytes());
        f[23] = 6;
        f[34 + 12] = 5 << 4;
        f
    }

    fn arp_frame() -> Vec<u8> {
        let mut f = vec![0u8; 42];
        f[12..14].copy_from_slice(&[0x08, 0x06]);
        f
    }

    fn info(data: &[u8], at_ns: u64) -> FrameInfo<'_> {
        FrameInfo {
            link: 0,
            from_host: 0,
            data,
            at_ns,
        }
    }

    fn rule(protocol: Protocol, which: Which, action: Action) -> Rule {
        Rule {
            filter: Filter {
                link: None,
                from_host: None,
                protocol,
            },
            which,
            action,
        }
    }

    #[test]
    fn drops_exactly_the_nth_matching_frame() {
        let mut imp = Impairments::new(vec![rule(Protocol::TcpData, Which::Nth(2), Action::Drop)]);
        let (ack, data, arp) = (tcp_frame(0), tcp_frame(100), arp_frame());
        let fates: Vec<bool> = [&ack, &data, &arp, &ack, &data, &data]
            .iter()
            .map(|f| imp.decide(&info(f, 0)).dropped_by.is_some())
            .collect();
        // The bare ACKs and the ARP do not count; the second data segment goes.
        assert_eq!(fates, [false, false, false, false, true, false]);
    }

    #[test]
    fn filters_by_link_and_sender() {
        let frame = arp_frame();
        let mut r = rule(Protocol::Arp, Which::Every, Action::Drop);
        r.filter.link = Some(1);
        r.filter.from_host = Some(2);
        let mut imp = Impairments::new(vec![r]);
        let mut f = info(&frame, 0);
        assert!(imp.decide(&f).dropped_by.is_none());
        f.link = 1;
        assert!(imp.decide(&f).dropped_by.is_none());
        f.from_host = 2;
        assert_eq!(imp.decide(&f).dropped_by, Some(0));
    }

    #[test]
    fn the_longest_hold_adds_what_each_rule_may_hold() {
        assert_eq!(longest_hold(&[]), Duration::ZERO);
        let rules = [
            rule(
                Protocol::Any,
                Which::Every,
                Action::Delay(Duration::from_millis(300)),
            ),
            rule(Protocol::Any, Which::Nth(2), Action::Drop),
            rule(
                Protocol::Any,
                Which::Every,
                Action::Reorder {
                    at_most: Duration::from_millis(50),
                },
            ),
            rule(
                Protocol::Any,
                Which::Every,
                Action::Rate {
                    bytes_per_second: 1000,
                    queue: Duration::from_millis(100),
                },
            ),
        ];
        assert_eq!(longest_hold(&rules), Duration::from_millis(450));
    }

    #[test]
    fn delay_duplicate_corrupt_and_reorder_combine() {
        let mut imp = Impairments::new(vec![
            rule(
                Protocol::Any,
                Which::Every,
                Action::Delay(Duration::from_millis(5)),
            ),
            rule(Protocol::Arp, Which::Nth(1), Action::Duplicate),
            rule(
                Protocol::Arp,
                Which::Nth(1),
                Action::Corrupt {
                    offset: 20,
                    xor: 0xff,
                },
            ),
            rule(
                Protocol::Arp,
                Which::Nth(2),
                Action::Reorder {
                    at_most: Duration::from_millis(50),
                },
            ),
        ]);
        let mut frame = arp_frame();
        frame[20] = 0x01;
        let v = imp.decide(&info(&frame, 1_000));
        assert_eq!(v.depart_ns, 1_000 + 5_000_000);
        assert!(v.duplicate);
        assert_eq!(v.corrupt, Some((20, 0xfe)));
        assert_eq!(v.hold, None);
        let v = imp.decide(&info(&frame, 2_000));
        assert!(!v.duplicate);
        assert_eq!(v.hold, Some(Duration::from_millis(50)));
    }

    #[test]
    fn corrupting_past_the_end_changes_nothing() {
        let mut imp = Impairments::new(vec![rule(
            Protocol::Any,
            Which::Every,
            Action::Corrupt {
                offset: 1_000_000,
                xor: 1,
            },
        )]);
        assert_eq!(imp.decide(&info(&arp_frame(), 0)).corrupt, None);
        assert_eq!(imp.decide(&info(&[], 0)).corrupt, None);
    }

    #[test]
    fn rate_spaces_frames_and_drops_past_the_queue() {
        // 1000 bytes per second: a 100-byte frame takes 100 ms.
        let mut imp = Impairments::new(vec![rule(
            Protocol::Any,
            Which::Every,
            Action::Rate {
                bytes_per_second: 1000,
                queue: Duration::from_millis(150),
            },
        )]);
        let frame = vec![0u8; 100];
        let ms = 1_000_000;
        assert_eq!(imp.decide(&info(&frame, 0)).depart_ns, 100 * ms);
        assert_eq!(imp.decide(&info(&frame, 0)).depart_ns, 200 * ms);
        // Waiting 200 ms is more than the 150 ms queue: dropped.
        assert_eq!(imp.decide(&info(&frame, 0)).dropped_by, Some(0));
        // Later, the link is free again.
        assert_eq!(imp.decide(&info(&frame, 500 * ms)).depart_ns, 600 * ms);
        // The other direction has its own timeline.
        let mut back = info(&frame, 0);
        back.from_host = 1;
        assert_eq!(imp.decide(&back).depart_ns, 100 * ms);
    }

    #[test]
    fn classifies_truncated_frames_without_panicking() {
        for len in 0..60 {
            let mut f = tcp_frame(10);
            f.truncate(len);
            for p in [
                Protocol::Any,
                Protocol::Arp,
                Protocol::Ipv4,
                Protocol::Ipv6,
                Protocol::Icmp,
                Protocol::Udp,
                Protocol::Tcp,
                Protocol::TcpData,
            ] {
                let _ = protocol_matches(p, &f);
            }
        }
        assert!(protocol_matches(Protocol::TcpData, &tcp_frame(1)));
        assert!(!protocol_matches(Protocol::TcpData, &tcp_frame(0)));
        assert!(protocol_matches(Protocol::Tcp, &tcp_frame(0)));
        assert!(!protocol_matches(Protocol::Udp, &tcp_frame(0)));
    }
}

//! Duplicate ACKs, as RFC 5681 (section 2) and Wireshark count them: a
//! pure ACK (no data, no SYN, FIN or RST) that repeats the acknowledgment
//! number and the window of the ACK before it from the same end, while the
//! other end has data outstanding. A receiver sends one for every segment
//! that arrives beyond a hole; the sender counts them, and the third makes
//! it resend the missing segment at once (fast retransmit).

/// One duplicate ACK: which one it is in its row, and the ACK it repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DupAck {
    /// 1 for the first repeat, 2 for the second, …
    pub nth: u32,
    /// The acknowledgment number it repeats (raw).
    pub ack: u32,
    /// The event of the ACK that first carried this number.
    pub original: usize,
}

/// What one end has acknowledged so far, for counting its repeats.
#[derive(Debug, Default)]
pub(super) struct DupAcks {
    /// The last acknowledgment number and window this end sent.
    last: Option<(u32, u16)>,
    /// The event that first carried `last`'s number.
    original: usize,
    count: u32,
    /// The latest duplicate: (event, time).
    pub(super) latest: Option<(usize, u64)>,
}

/// A pure ACK as the counter needs it.
pub(super) struct AckSeen {
    pub index: usize,
    pub time_ns: u64,
    pub ack: u32,
    pub window: u16,
    /// No data, no SYN, FIN or RST.
    pub pure: bool,
    /// The other end has sent data beyond `ack`.
    pub outstanding: bool,
}

impl DupAcks {
    /// Count one ACK from this end; a duplicate says which one it is.
    pub(super) fn ack(&mut self, a: &AckSeen) -> Option<DupAck> {
        if a.pure && a.outstanding && self.last == Some((a.ack, a.window)) {
            self.count += 1;
            self.latest = Some((a.index, a.time_ns));
            return Some(DupAck {
                nth: self.count,
                ack: a.ack,
                original: self.original,
            });
        }
        if self.last.is_none_or(|(ack, _)| ack != a.ack) {
            self.original = a.index;
            self.count = 0;
            self.latest = None;
        }
        self.last = Some((a.ack, a.window));
        None
    }

    /// The latest ACK, if it said `ack`, reached the other end only at
    /// `at` (a router passed it on).
    pub(super) fn arrived(&mut self, ack: u32, at: u64) {
        if self.last.is_some_and(|(a, _)| a == ack)
            && let Some(latest) = &mut self.latest
        {
            latest.1 = latest.1.max(at);
        }
    }

    /// How many duplicates asked for `seq`, and the latest of them.
    pub(super) fn asking_for(&self, seq: u32) -> Option<(u32, usize, u64)> {
        let (ack, _) = self.last?;
        let (index, at) = self.latest?;
        (ack == seq && self.count > 0).then_some((self.count, index, at))
    }
}

pub(super) fn dup_acks(n: u32) -> String {
    if n == 1 {
        "One duplicate ACK".into()
    } else {
        format!("{n} duplicate ACKs")
    }
}

/// A short delay in µs, a longer one in ms.
pub(super) fn micros(ns: u64) -> String {
    if ns < 1_000_000 {
        format!("{:.1} µs", ns as f64 / 1e3)
    } else {
        format!("{:.1} ms", ns as f64 / 1e6)
    }
}

/// The sentences a duplicate ACK's notes get: which one it is (semantics),
/// and why it left at once and what follows (timing).
pub fn explain_dup_ack(d: &DupAck, ack_rel: u32, from: &str, to: &str) -> (String, String) {
    let nth = match d.nth {
        1 => "1st".to_string(),
        2 => "2nd".to_string(),
        3 => "3rd".to_string(),
        n => format!("{n}th"),
    };
    let then = match d.nth {
        1 | 2 => format!(
            "Next: {to} counts it; at the third it resends the missing segment without waiting for its retransmission timer (fast retransmit)."
        ),
        3 => format!(
            "Next: this is the third, so {to} resends the missing segment at once, without waiting for its retransmission timer (fast retransmit)."
        ),
        _ => format!(
            "{to} has had three already: it is resending, or has resent, the missing segment."
        ),
    };
    (
        format!(
            "Duplicate ACK: the {nth} duplicate of #{} (ACK relative {ack_rel}). It acknowledges nothing new, with the same window: a receiver sends one for each segment that arrives while the bytes from relative {ack_rel} on are still missing.",
            d.original
        ),
        format!(
            "Sent at once by {from}'s kernel when a segment arrived beyond the hole: while segments are missing, Linux acknowledges each arrival instead of delaying its ACK. {then}"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::{AK, PA, handshake, seg};
    use super::super::{Timer, Tracker, explain};
    use super::*;

    fn seen(index: usize, ack: u32, window: u16, pure: bool) -> AckSeen {
        AckSeen {
            index,
            time_ns: index as u64 * 1000,
            ack,
            window,
            pure,
            outstanding: true,
        }
    }

    #[test]
    fn repeats_of_the_same_ack_and_window_are_numbered() {
        let mut d = DupAcks::default();
        assert_eq!(d.ack(&seen(1, 100, 64, true)), None);
        let first = d.ack(&seen(2, 100, 64, true)).unwrap();
        assert_eq!((first.nth, first.ack, first.original), (1, 100, 1));
        assert_eq!(d.ack(&seen(3, 100, 64, true)).unwrap().nth, 2);
        assert_eq!(d.ack(&seen(4, 100, 64, true)).unwrap().nth, 3);
        assert_eq!(d.asking_for(100), Some((3, 4, 4000)));
        assert_eq!(d.asking_for(200), None);
        // A new acknowledgment number starts a new row.
        assert_eq!(d.ack(&seen(5, 200, 64, true)), None);
        assert_eq!(d.asking_for(200), None);
        assert_eq!(d.ack(&seen(6, 200, 64, true)).unwrap().original, 5);
    }

    #[test]
    fn a_changed_window_data_or_nothing_outstanding_is_no_duplicate() {
        let mut d = DupAcks::default();
        d.ack(&seen(1, 100, 64, true));
        // A window update: same number, other window.
        assert_eq!(d.ack(&seen(2, 100, 65, true)), None);
        assert_eq!(d.ack(&seen(3, 100, 65, true)).unwrap().original, 1);
        // Data with the same ACK is not a duplicate ACK.
        assert_eq!(d.ack(&seen(4, 100, 65, false)), None);
        let mut idle = seen(5, 100, 65, true);
        idle.outstanding = false;
        assert_eq!(d.ack(&idle), None);
    }

    #[test]
    fn three_duplicate_acks_then_an_immediate_resend_is_a_fast_retransmit() {
        let mut t = Tracker::default();
        handshake(&mut t);
        // Four segments of 10 bytes; the second (111..121) is lost.
        for (i, seq) in [101u32, 111, 121, 131].into_iter().enumerate() {
            t.frame(&seg(4 + i, 1.0, true, AK, seq, 501, 10));
        }
        assert_eq!(t.frame(&seg(8, 1.01, false, AK, 501, 111, 0)).dup_ack, None);
        for nth in 1..=3u32 {
            let d = t
                .frame(&seg(8 + nth as usize, 1.02, false, AK, 501, 111, 0))
                .dup_ack
                .unwrap();
            assert_eq!((d.nth, d.ack, d.original), (nth, 111, 8));
        }
        let c = t
            .frame(&seg(12, 1.08, true, AK, 111, 501, 10))
            .timer
            .unwrap();
        assert_eq!(
            (c.timer, c.armed_by, c.delay_ns, c.copy, c.dup_acks),
            (Timer::FastRetransmit, 11, 60_000, Some((5, 80_000)), 3)
        );
        let text = explain(&c, "client");
        assert!(
            text.contains("a fast retransmit. 3 duplicate ACKs (the last, #11)"),
            "{text}"
        );
        assert!(
            text.contains("It left 60.0 µs after #11, 80.0 µs after the lost copy #5"),
            "{text}"
        );
        let (what, next) = explain_dup_ack(
            &DupAck {
                nth: 3,
                ack: 111,
                original: 8,
            },
            10,
            "server",
            "client",
        );
        assert!(
            what.starts_with("Duplicate ACK: the 3rd duplicate of #8 (ACK relative 10)"),
            "{what}"
        );
        assert!(
            next.contains("client resends the missing segment at once"),
            "{next}"
        );
    }

    #[test]
    fn a_resend_long_after_one_duplicate_ack_is_the_timers() {
        let mut t = Tracker::default();
        handshake(&mut t);
        t.frame(&seg(4, 1.0, true, AK, 101, 501, 10));
        t.frame(&seg(5, 1.0, true, AK, 111, 501, 10));
        t.frame(&seg(6, 1.01, false, AK, 501, 101, 0));
        assert_eq!(
            t.frame(&seg(7, 1.02, false, AK, 501, 101, 0))
                .dup_ack
                .unwrap()
                .nth,
            1
        );
        // Data from the peer with the same ACK is no duplicate ACK.
        assert_eq!(t.frame(&seg(8, 1.03, false, PA, 501, 101, 3)).dup_ack, None);
        let c = t
            .frame(&seg(9, 201.0, true, AK, 101, 504, 10))
            .timer
            .unwrap();
        assert_eq!(
            (c.timer, c.armed_by, c.dup_acks),
            (Timer::Retransmission, 4, 1)
        );
        assert!(explain(&c, "client").contains("not a fast retransmit"));
    }
}

//! The timer analysis on hand-made segments: what each rule decides.

use super::*;

pub(super) const A: u16 = 40000;
const B: u16 = 50007;

pub(super) fn seg(
    index: usize,
    ms: f64,
    from_a: bool,
    flags: u16,
    seq: u32,
    ack: u32,
    len: u32,
) -> Seg {
    let a = ("127.0.0.1".to_string(), A);
    let b = ("127.0.0.1".to_string(), B);
    Seg {
        index,
        time_ns: (ms * 1e6) as u64,
        arrived_ns: (ms * 1e6) as u64,
        delivered: true,
        src: if from_a { a.clone() } else { b.clone() },
        dst: if from_a { b } else { a },
        actor: if from_a { "client" } else { "server" }.into(),
        flags,
        seq,
        ack,
        len,
        window: 512,
    }
}

const S: u16 = TcpInfo::SYN;
pub(super) const AK: u16 = TcpInfo::ACK;
pub(super) const PA: u16 = TcpInfo::PSH | TcpInfo::ACK;
const FA: u16 = TcpInfo::FIN | TcpInfo::ACK;

pub(super) fn handshake(t: &mut Tracker) {
    assert_eq!(t.frame(&seg(1, 0.0, true, S, 100, 0, 0)).timer, None);
    assert_eq!(
        t.frame(&seg(2, 0.01, false, S | AK, 500, 101, 0)).timer,
        None
    );
    assert_eq!(t.frame(&seg(3, 0.02, true, AK, 101, 501, 0)).timer, None);
}

#[test]
fn an_ack_sent_at_once_or_riding_on_data_is_no_timers() {
    let mut t = Tracker::default();
    handshake(&mut t);
    assert_eq!(t.frame(&seg(5, 1.0, true, PA, 101, 501, 9)).timer, None);
    assert_eq!(t.frame(&seg(6, 1.005, false, AK, 501, 110, 0)).timer, None);
    assert_eq!(t.frame(&seg(8, 1.2, false, PA, 501, 110, 4)).timer, None);
    assert!(t.owed().iter().any(|o| o.by == "client" && o.since == 8));
    assert_eq!(t.frame(&seg(10, 1.4, true, PA, 110, 505, 3)).timer, None);
    assert!(t.owed().iter().all(|o| o.since != 8), "{:?}", t.owed());
    // What followed each data segment: a pure ACK, then an ACK riding on data.
    assert_eq!(t.acked_by(5), Some(Acked { by: 6, pure: true }));
    assert_eq!(
        t.acked_by(8),
        Some(Acked {
            by: 10,
            pure: false
        })
    );
    assert_eq!(t.acked_by(10), None);
    assert_eq!(
        explain_followed(t.acked_by(5), true, "server"),
        "In this capture #6 acknowledged it, a pure ACK of its own."
    );
    assert_eq!(
        explain_followed(t.acked_by(8), true, "client"),
        "In this capture the ACK rode on #10, which carries data or a FIN of its own."
    );
    assert_eq!(
        explain_followed(None, false, "server"),
        "In this capture no frame of this step acknowledges it: server's kernel is holding the ACK."
    );
}

#[test]
fn an_ack_the_wire_dropped_counts_for_nothing_the_sender_saw() {
    let mut t = Tracker::default();
    handshake(&mut t);
    assert_eq!(t.frame(&seg(5, 1.0, true, PA, 101, 501, 10)).timer, None);
    assert_eq!(t.frame(&seg(6, 1.1, true, PA, 111, 501, 10)).timer, None);
    // The first ACK of #5 is lost: the next one is what acknowledged it.
    t.frame(&seg(7, 1.2, false, AK, 501, 111, 0).lost());
    t.frame(&seg(8, 1.25, false, AK, 501, 111, 0));
    assert_eq!(t.acked_by(5), Some(Acked { by: 8, pure: true }));
    // A duplicate the wire dropped, then one that arrived: the first
    // the sender saw.
    let lost = t.frame(&seg(9, 1.3, false, AK, 501, 111, 0).lost());
    assert_eq!(lost.dup_ack, None);
    let seen = t
        .frame(&seg(10, 1.4, false, AK, 501, 111, 0))
        .dup_ack
        .unwrap();
    assert_eq!(seen.nth, 1);
}

#[test]
fn a_segment_a_router_passed_on_is_no_retransmission() {
    let mut t = Tracker::default();
    // The SYN on alice's link, then the router's copy on bob's.
    assert_eq!(t.frame(&seg(1, 0.0, true, S, 100, 0, 0)).timer, None);
    t.forwarded(&seg(2, 0.05, true, S, 100, 0, 0));
    assert_eq!(
        t.frame(&seg(3, 0.06, false, S | AK, 500, 101, 0)).timer,
        None
    );
    t.forwarded(&seg(4, 0.07, false, S | AK, 500, 101, 0));
    assert_eq!(t.frame(&seg(5, 0.08, true, AK, 101, 501, 0)).timer, None);
    // Data reaches the server only through the router, 30 ms later (a
    // slow hop); its ACK 0.1 ms after that was sent at once.
    assert_eq!(t.frame(&seg(6, 1.0, true, PA, 101, 501, 9)).timer, None);
    t.forwarded(&seg(7, 1.0, true, PA, 101, 501, 9).arriving_at(31_000_000));
    assert_eq!(t.frame(&seg(8, 31.1, false, AK, 501, 110, 0)).timer, None);
    assert_eq!(t.acked_by(6), Some(Acked { by: 8, pure: true }));
}

#[test]
fn an_ack_is_timed_from_when_the_segment_reached_its_receiver() {
    let mut t = Tracker::default();
    handshake(&mut t);
    // A wire `delay` held the data 50 ms: the ACK that left 0.2 ms after
    // it arrived was sent at once, not by the delayed-ACK timer.
    let data = seg(5, 1.0, true, PA, 101, 501, 9).arriving_at(51_000_000);
    assert_eq!(t.frame(&data).timer, None);
    assert_eq!(t.frame(&seg(6, 51.2, false, AK, 501, 110, 0)).timer, None);
    // 5 ms after it arrived (a busy machine): too soon for that timer.
    let data = seg(7, 60.0, true, PA, 110, 501, 3);
    assert_eq!(t.frame(&data).timer, None);
    assert_eq!(t.frame(&seg(8, 65.0, false, AK, 501, 113, 0)).timer, None);
    // 41 ms after it arrived, outside any call: the timer.
    assert_eq!(t.frame(&seg(9, 70.0, true, PA, 113, 501, 3)).timer, None);
    let cause = t
        .frame(&seg(10, 111.0, false, AK, 501, 116, 0))
        .timer
        .unwrap();
    assert_eq!(
        (cause.timer, cause.armed_by, cause.delay_ns),
        (Timer::DelayedAck, 9, 41_000_000)
    );
}

#[test]
fn a_pure_ack_40ms_later_outside_any_call_is_the_delayed_ack_timer() {
    let mut t = Tracker::default();
    handshake(&mut t);
    t.call(CallSpan {
        index: 4,
        actor: "client".into(),
        start_ns: 900_000,
        end_ns: 1_100_000,
        closes: false,
        sends: false,
    });
    assert_eq!(t.frame(&seg(5, 1.0, true, PA, 101, 501, 9)).timer, None);
    assert_eq!(
        t.owed(),
        [Owed {
            by: "server".into(),
            since: 5,
            since_ns: 1_000_000
        }]
    );
    let cause = t
        .frame(&seg(9, 41.3, false, AK, 501, 110, 0))
        .timer
        .unwrap();
    assert_eq!(cause.timer, Timer::DelayedAck);
    assert_eq!(cause.armed_by, 5);
    assert_eq!(cause.delay_ns, 40_300_000);
    assert!(t.owed().is_empty());
    assert!(explain(&cause, "server").contains("armed when #5 arrived"));
}

#[test]
fn a_late_ack_during_its_owners_later_call_is_that_calls() {
    let mut t = Tracker::default();
    handshake(&mut t);
    t.frame(&seg(5, 1.0, true, PA, 101, 501, 9));
    // setsockopt(TCP_QUICKACK) or a recv by the server, 10 ms later.
    t.call(CallSpan {
        index: 6,
        actor: "server".into(),
        start_ns: 10_000_000,
        end_ns: 10_050_000,
        closes: false,
        sends: false,
    });
    assert_eq!(t.frame(&seg(7, 10.02, false, AK, 501, 110, 0)).timer, None);
}

#[test]
fn nagle_a_small_segment_held_until_the_delayed_ack_released_it() {
    let mut t = Tracker::default();
    handshake(&mut t);
    let span = |index, actor: &str, start: f64, end: f64, sends| CallSpan {
        index,
        actor: actor.into(),
        start_ns: (start * 1e6) as u64,
        end_ns: (end * 1e6) as u64,
        closes: false,
        sends,
    };
    // write, write (held by Nagle), read — the server's recv blocks.
    t.call(span(4, "client", 1.0, 1.1, true));
    assert_eq!(
        t.frame(&seg(5, 1.05, true, PA, 101, 501, 8)),
        Verdict::default()
    );
    t.call(span(6, "client", 1.2, 1.25, true));
    t.call(span(7, "server", 1.3, 1.32, false));
    t.call(span(8, "server", 1.4, 42.7, false));
    let v = t.frame(&seg(9, 42.6, false, AK, 501, 109, 0));
    let c = v
        .timer
        .expect("the ACK that fired during a blocked recv is the timer's");
    assert_eq!((c.timer, c.armed_by), (Timer::DelayedAck, 5));
    let v = t.frame(&seg(10, 42.61, true, PA, 109, 501, 5));
    assert_eq!(v.timer, None);
    let h = v.held.unwrap();
    assert_eq!((h.call, h.released_by, h.window), (6, 9, false));
    assert_eq!(h.held_ns, 41_360_000);
    assert!(explain_held(&h, "client").contains("Nagle"));
}

#[test]
fn resent_data_and_syns_are_retransmissions_of_the_first_copy() {
    let mut t = Tracker::default();
    assert_eq!(t.frame(&seg(1, 0.0, true, S, 100, 0, 0)).timer, None);
    let c = t.frame(&seg(2, 1000.0, true, S, 100, 0, 0)).timer.unwrap();
    assert_eq!(
        (c.timer, c.armed_by, c.delay_ns),
        (Timer::SynRetransmission, 1, 1_000_000_000)
    );
    assert_eq!(
        t.frame(&seg(3, 1000.1, false, S | AK, 500, 101, 0)).timer,
        None
    );
    let c = t
        .frame(&seg(4, 1200.1, false, S | AK, 500, 101, 0))
        .timer
        .unwrap();
    assert_eq!((c.timer, c.armed_by), (Timer::SynAckRetransmission, 3));
    t.frame(&seg(5, 1200.2, true, AK, 101, 501, 0));
    t.frame(&seg(6, 1300.0, true, PA, 101, 501, 5));
    let c = t
        .frame(&seg(7, 1500.0, true, PA, 101, 501, 5))
        .timer
        .unwrap();
    assert_eq!(
        (c.timer, c.armed_by, c.delay_ns),
        (Timer::Retransmission, 6, 200_000_000)
    );
}

#[test]
fn probes_below_snd_una_are_persist_or_keepalive() {
    let mut t = Tracker::default();
    handshake(&mut t);
    t.frame(&seg(4, 1.0, true, PA, 101, 501, 9));
    let mut zero = seg(5, 1.001, false, AK, 501, 110, 0);
    zero.window = 0;
    assert_eq!(t.frame(&zero).timer, None);
    let c = t
        .frame(&seg(6, 201.0, true, AK, 109, 501, 0))
        .timer
        .unwrap();
    assert_eq!((c.timer, c.armed_by), (Timer::ZeroWindowProbe, 5));
    // The window opens; much later a keepalive.
    t.frame(&seg(7, 201.01, false, AK, 501, 110, 0));
    let c = t
        .frame(&seg(8, 7_200_000.0, true, AK, 109, 501, 0))
        .timer
        .unwrap();
    assert_eq!((c.timer, c.armed_by), (Timer::Keepalive, 7));
}

#[test]
fn a_fin_after_the_close_returned_left_after_a_lingering_close() {
    let mut t = Tracker::default();
    handshake(&mut t);
    t.call(CallSpan {
        index: 9,
        actor: "client".into(),
        start_ns: 5_000_000,
        end_ns: 5_100_000,
        closes: true,
        sends: false,
    });
    let c = t
        .frame(&seg(12, 30.0, true, FA, 101, 501, 0))
        .timer
        .unwrap();
    assert_eq!(
        (c.timer, c.armed_by, c.delay_ns),
        (Timer::FinAfterClose, 9, 25_000_000)
    );
    // A FIN during the close call is the call's.
    let mut t = Tracker::default();
    handshake(&mut t);
    t.call(CallSpan {
        index: 9,
        actor: "client".into(),
        start_ns: 5_000_000,
        end_ns: 5_100_000,
        closes: true,
        sends: false,
    });
    assert_eq!(t.frame(&seg(12, 5.05, true, FA, 101, 501, 0)).timer, None);
    assert_eq!(t.owed().len(), 1, "the FIN is owed an ACK");
    assert_eq!(t.owed()[0].by, "server");
}

#[test]
fn a_reset_owes_nothing_and_a_new_syn_starts_afresh() {
    let mut t = Tracker::default();
    handshake(&mut t);
    t.frame(&seg(4, 1.0, true, PA, 101, 501, 9));
    t.frame(&seg(5, 1.1, false, TcpInfo::RST | AK, 501, 110, 0));
    assert!(t.owed().is_empty());
    assert_eq!(t.frame(&seg(6, 2.0, true, S, 9000, 0, 0)).timer, None);
}

#[test]
fn odd_input_never_panics() {
    let mut t = Tracker::default();
    for i in 0..200u32 {
        let flags = (i * 37 % 512) as u16;
        let s = seg(
            i as usize,
            f64::from(i),
            i % 3 == 0,
            flags,
            i.wrapping_mul(2_654_435_761),
            i.wrapping_mul(40503),
            i % 7,
        );
        let _ = t.frame(&s);
        let _ = t.owed();
    }
    // A dissection without TCP gives no segment.
    assert!(Seg::from_dissection(1, 0, "x", &crate::dissect::dissect(&[0u8; 3])).is_none());
}

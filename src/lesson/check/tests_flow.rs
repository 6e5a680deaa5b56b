//! The checker on named connections, answer tables, saved peers and loops:
//! each misuse gives its typed problem at its line with a fix, and a good
//! lesson compiles to the steps the run will take.

use super::tests::run;
use super::*;
use crate::plan::call_text;

/// A server with two clients connected (lines 5–8 actors, 9 `steps:`,
/// steps from line 10; the two accepts are lines 14 and 15).
const TWO: &str = "actors:
  - {name: srv, transport: tcp, port: 50007}
  - {name: a, transport: tcp}
  - {name: b, transport: tcp}
steps:
  - {actor: srv, call: bind}
  - {actor: srv, call: listen, backlog: 2}
  - {actor: a, call: connect, to: srv}
  - {actor: b, call: connect, to: srv}
  - {actor: srv, call: accept, as: x}
  - {actor: srv, call: accept, as: y}
";

/// A UDP receiver and two senders (steps from line 9).
const UDP: &str = "actors:
  - {name: r, transport: udp, port: 5000}
  - {name: s, transport: udp}
steps:
  - {actor: r, call: bind}
  - {actor: s, call: sendto, to: r, text: hi}
";

check_error! {
    name: on_names_a_connection_never_accepted,
    input: &format!("{TWO}  - {{actor: srv, call: recv, on: z}}\n"),
    kind: Kind::UnknownConnection { .. },
    line: 16, column: 34,
    message: "`srv` holds no connection named `z`",
}

check_error! {
    name: on_names_a_closed_connection,
    input: &format!("{TWO}  - {{actor: srv, call: close, on: x}}\n  - {{actor: srv, call: recv, on: x}}\n"),
    kind: Kind::ConnectionClosed { step: 7, line: 16, .. },
    line: 17, column: 34,
    message: "`srv` closed its connection `x` in step 7 (line 16)",
}

check_error! {
    name: as_reused_while_open,
    input: &format!("{TWO}  - {{actor: a, call: close}}\n  - {{actor: a, call: connect, to: srv}}\n  - {{actor: srv, call: accept, as: x}}\n"),
    kind: Kind::ConnectionNameInUse { step: 5, line: 14, .. },
    line: 18, column: 36,
    message: "`srv` already holds a connection named `x`, accepted in step 5 (line 14)",
}

check_error! {
    name: a_step_must_say_which_of_several_connections,
    input: &format!("{TWO}  - {{actor: srv, call: sendall, text: hi}}\n"),
    kind: Kind::WhichConnection { .. },
    line: 16, column: 24,
    message: "`srv` holds several connections (`x`, `y`): this step does not say which it uses",
}

check_error! {
    name: as_on_a_call_other_than_accept,
    input: &format!("{TWO}  - {{actor: a, call: sendall, text: hi, as: q}}\n"),
    kind: Kind::KeyOnlyOn { key: "as", .. },
    line: 16, column: 45,
    message: "`as:` has no meaning for `sendall`",
}

check_error! {
    name: answer_on_a_call_that_does_not_receive,
    input: &format!("{TWO}  - {{actor: a, call: sendall, text: hi, answer: {{table: {{a: b}}, default: c}}}}\n"),
    kind: Kind::KeyOnlyOn { key: "answer", .. },
    line: 16, column: 49,
    message: "`answer:` has no meaning for `sendall`",
}

check_error! {
    name: answer_without_default,
    input: &format!("{TWO}  - {{actor: a, call: sendall, text: hi}}\n  - {{actor: srv, call: recv, on: x, answer: {{table: {{hi: yo}}}}}}\n"),
    kind: Kind::AnswerWithoutDefault,
    line: 17, column: 45,
    message: "`answer:` has no `default:` for data the table does not hold",
}

check_error! {
    name: answer_to_a_read_expected_to_fail,
    input: &format!("{TWO}  - {{actor: srv, call: recv, on: x, expect: {{error: timeout}}, answer: {{table: {{hi: yo}}, default: no}}}}\n"),
    kind: Kind::AnswerToAnError,
    line: 16, column: 71,
    message: "`answer:` on a read that is expected to fail: nothing would be read to answer",
}

check_error! {
    name: save_as_clashes_with_an_actor,
    input: &format!("{UDP}  - {{actor: r, call: recvfrom, save_as: s}}\n"),
    kind: Kind::SaveAsIsActor { .. },
    line: 11, column: 41,
    message: "`save_as: s` is also an actor's name, so `to: s` could mean either",
}

check_error! {
    name: sendto_a_name_not_saved_yet,
    input: &format!("{UDP}  - {{actor: r, call: sendto, to: first, text: x}}\n  - {{actor: r, call: recvfrom, save_as: first}}\n"),
    kind: Kind::PeerNotSaved { .. },
    line: 11, column: 34,
    message: "`to: first`: `r` has saved no sender under that name before this step",
}

check_error! {
    name: loop_without_a_bound,
    input: &format!("{TWO}  - {{actor: a, call: sendall, text: hi, loop: {{until: {{text: bye}}}}}}\n"),
    kind: Kind::LoopWithoutMax,
    line: 16, column: 47,
    message: "`loop:` has no `max:`: every loop needs a bound",
}

check_error! {
    name: loop_bound_over_the_limit,
    input: &format!("{TWO}  - {{actor: a, call: sendall, text: hi, loop: {{max: 51}}}}\n"),
    kind: Kind::LoopMaxOutOfRange { max: 51, limit: 50 },
    line: 16, column: 53,
    message: "`max: 51` is out of range: a loop runs 1 to 50 times",
}

check_error! {
    name: loop_spans_more_steps_than_follow,
    input: &format!("{TWO}  - {{actor: a, call: sendall, text: hi, loop: {{max: 2, steps: 3}}}}\n  - {{actor: srv, call: recv, on: x}}\n"),
    kind: Kind::LoopStepsOutOfRange { steps: 3, left: 2 },
    line: 16, column: 63,
    message: "`steps: 3` is out of range: this loop may span 1 to 2 steps (this one and those after it)",
}

check_error! {
    name: loops_do_not_nest,
    input: &format!("{TWO}  - {{actor: a, call: sendall, text: hi, loop: {{max: 2, steps: 2}}}}\n  - {{actor: srv, call: recv, on: x, loop: {{max: 2}}}}\n"),
    kind: Kind::NestedLoop { outer_line: 16 },
    line: 17, column: 43,
    message: "a loop inside the loop of line 16: loops do not nest",
}

check_error! {
    name: until_an_unknown_word,
    input: &format!("{TWO}  - {{actor: srv, call: recv, on: x, loop: {{max: 2, until: eol}}}}\n"),
    kind: Kind::UnknownUntil { .. },
    line: 16, column: 59,
    message: "`until: eol` is not a condition",
}

check_error! {
    name: until_eof_in_a_loop_that_never_reads,
    input: &format!("{TWO}  - {{actor: a, call: sendall, text: hi, loop: {{max: 2, until: eof}}}}\n"),
    kind: Kind::UntilEofWithoutRead,
    line: 16, column: 63,
    message: "`until: eof` can never be met: no step of the loop is a `recv`",
}

check_error! {
    name: line_placeholder_outside_a_loop_with_lines,
    input: &format!("{TWO}  - {{actor: a, call: sendall, text: \"{{line}}\"}}\n"),
    kind: Kind::LineWithoutLines,
    line: 16, column: 37,
    message: "`{line}` is used outside a loop that has `lines:`",
}

check_error! {
    name: more_lines_than_the_loop_runs,
    input: &format!("{TWO}  - {{actor: a, call: sendall, text: \"{{line}}\", loop: {{max: 1, lines: [p, q]}}}}\n"),
    kind: Kind::LinesBeyondMax { lines: 2, max: 1 },
    line: 16, column: 69,
    message: "`lines:` has 2 lines but the loop runs at most 1 times",
}

#[test]
fn named_accepts_hold_two_connections_without_the_drop_warning() {
    let (plan, problems) = run(&format!(
        "{TWO}  - {{actor: srv, call: close, on: y}}\n  - {{actor: srv, call: close, on: x}}\n  - {{actor: srv, call: close, socket: listener}}\n"
    ));
    assert!(problems.is_empty(), "{problems:#?}");
    let plan = plan.expect("a plan");
    let conns: Vec<Option<&str>> = plan.steps.iter().map(|s| s.conn.as_deref()).collect();
    assert_eq!(
        conns,
        [
            None,
            None,
            None,
            None,
            Some("x"),
            Some("y"),
            Some("y"),
            Some("x"),
            None
        ]
    );
    assert_eq!(call_text(&plan, &plan.steps[4]), "x, addr = accept()");
    assert_eq!(call_text(&plan, &plan.steps[6]), "y.close()");
    assert_eq!(call_text(&plan, &plan.steps[8]), "close()");
}

#[test]
fn a_connection_named_after_the_wrong_client_is_a_warning() {
    let (plan, problems) = run("actors:
  - {name: srv, transport: tcp, port: 50007}
  - {name: alice, transport: tcp}
  - {name: bob, transport: tcp}
steps:
  - {actor: srv, call: bind}
  - {actor: srv, call: listen, backlog: 2}
  - {actor: alice, call: connect, to: srv}
  - {actor: bob, call: connect, to: srv}
  - {actor: srv, call: accept, as: bob}
");
    assert!(plan.is_some());
    assert!(
        matches!(
            problems.as_slice(),
            [p] if matches!(&p.kind, Kind::AcceptNamedForAnother { name, client } if name == "bob" && client == "alice")
                && (p.line, p.column) == (14, 36)
                && !p.is_error()
        ),
        "{problems:#?}"
    );
}

#[test]
fn an_unnamed_second_accept_still_warns() {
    let (plan, problems) = run("actors:
  - {name: srv, transport: tcp, port: 50007}
  - {name: a, transport: tcp}
  - {name: b, transport: tcp}
steps:
  - {actor: srv, call: bind}
  - {actor: srv, call: listen, backlog: 2}
  - {actor: a, call: connect, to: srv}
  - {actor: b, call: connect, to: srv}
  - {actor: srv, call: accept}
  - {actor: srv, call: accept}
");
    assert!(plan.is_some());
    assert!(
        matches!(
            problems.as_slice(),
            [p] if matches!(p.kind, Kind::AcceptDropsConnection { .. }) && p.line == 15
        ),
        "{problems:#?}"
    );
}

#[test]
fn an_answer_runs_as_a_reply_step_after_its_read() {
    let (plan, problems) = run(&format!(
        "{TWO}  - {{actor: a, call: sendall, text: hi}}\n  - {{actor: srv, call: recv, on: x, answer: {{table: {{hi: yo}}, default: no}}, checkpoint: {{ask: port?, answer: port.dst}}}}\n  - {{actor: a, call: recv, expect: {{text: yo}}}}\n"
    ));
    assert!(problems.is_empty(), "{problems:#?}");
    let plan = plan.expect("a plan");
    let numbers: Vec<usize> = plan.steps.iter().map(|s| s.number).collect();
    assert_eq!(numbers, (1..=10).collect::<Vec<_>>());
    let reply = &plan.steps[8];
    assert_eq!(reply.conn.as_deref(), Some("x"));
    assert!(matches!(reply.call, Call::Send { all: true, .. }));
    assert_eq!(
        reply.answer.as_ref().map(|a| a.choose(b"hi")),
        Some((&b"yo"[..], Some(1)))
    );
    // The read puts nothing on the wire: the question moved to the reply.
    assert!(plan.steps[7].checkpoint.is_none() && reply.checkpoint.is_some());
    assert_eq!(
        call_text(&plan, reply),
        "x.sendall(table.get(data, b\"no\"))"
    );
}

#[test]
fn a_loop_is_planned_to_its_bound_with_its_lines() {
    let (plan, problems) = run(&format!(
        "{TWO}  - {{actor: a, call: sendall, text: \"q {{line}}\", say: ask, loop: {{steps: 2, max: 5, lines: [one, two, bye], until: {{text: q bye}}}}}}\n  - {{actor: srv, call: recv, on: x}}\n  - {{actor: srv, call: close, on: x}}\n"
    ));
    assert!(problems.is_empty(), "{problems:#?}");
    let plan = plan.expect("a plan");
    // Three lines: three iterations of two steps, then the close.
    assert_eq!(plan.steps.len(), 6 + 6 + 1);
    let sent: Vec<&[u8]> = plan.steps[6..12]
        .iter()
        .filter_map(|s| match &s.call {
            Call::Send { data, .. } => Some(data.as_slice()),
            _ => None,
        })
        .collect();
    assert_eq!(sent, [&b"q one"[..], b"q two", b"q bye"]);
    let marks: Vec<(usize, bool, usize)> = plan.steps[6..12]
        .iter()
        .map(|s| {
            let m = s.looping.as_ref().expect("in the loop");
            (m.iteration, m.last_in_iteration, m.end)
        })
        .collect();
    assert_eq!(
        marks,
        [
            (1, false, 12),
            (1, true, 12),
            (2, false, 12),
            (2, true, 12),
            (3, false, 12),
            (3, true, 12)
        ]
    );
    assert_eq!(
        plan.steps[6].looping.as_ref().and_then(|m| m.until.clone()),
        Some(crate::plan::Until::Data(b"q bye".to_vec()))
    );
    // Narration belongs to the first time round.
    assert!(plan.steps[6].say.is_some() && plan.steps[8].say.is_none());
    assert!(plan.steps[12].looping.is_none());
}

#[test]
fn a_saved_sender_is_a_peer_by_name() {
    let (plan, problems) = run(&format!(
        "{UDP}  - {{actor: r, call: recvfrom, save_as: first}}\n  - {{actor: r, call: sendto, to: first, text: back}}\n"
    ));
    assert!(problems.is_empty(), "{problems:#?}");
    let plan = plan.expect("a plan");
    assert_eq!(plan.peer_names, ["first"]);
    assert_eq!(plan.steps[2].save_as, Some(0));
    assert!(matches!(
        plan.steps[3].call,
        Call::SendTo {
            to: Peer::Saved(0),
            ..
        }
    ));
    assert_eq!(
        call_text(&plan, &plan.steps[2]),
        "data, first = recvfrom(1024)"
    );
    assert_eq!(call_text(&plan, &plan.steps[3]), "sendto(b\"back\", first)");
}

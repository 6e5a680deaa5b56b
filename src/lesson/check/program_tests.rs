//! Program slots in the checker: what a lesson may say about a program
//! actor, and the plan it gives.

use super::super::*;
use crate::plan::{ProgramExpect, ProgramSlot};

use super::super::tests::run;

/// The first error: its kind, line, column and message.
fn first_error(body: &str) -> (Kind, u64, u64, String) {
    let (plan, problems) = run(body);
    assert!(plan.is_none(), "an error must leave no plan: {problems:#?}");
    let p = problems
        .iter()
        .find(|p| p.is_error())
        .unwrap_or_else(|| panic!("no error in {problems:#?}"));
    assert!(p.hint().is_some(), "every program problem has a hint");
    (p.kind.clone(), p.line, p.column, p.message())
}

const SERVER: &str = "actors:
  - name: srv
    program: server
    transport: tcp
    port: 50007
    stdin: \"x\\n\"
    expect:
      - receives: \"how are u\"
      - sends: \"fine\"
      - prints: \"data\"
      - exits: 0
  - {name: cli, transport: tcp}
steps:
  - {actor: cli, call: connect, to: srv}
  - {actor: cli, call: sendall, text: \"how are u\"}
  - {actor: cli, call: recv, expect: {text: \"fine\"}}
  - {actor: cli, call: close}
";

#[test]
fn a_program_server_is_planned_with_its_expectations() {
    let (plan, problems) = run(SERVER);
    assert!(problems.is_empty(), "{problems:#?}");
    let plan = plan.unwrap();
    let programs: Vec<_> = plan.programs().collect();
    assert_eq!(programs.len(), 1);
    assert_eq!(programs[0].0, 0);
    assert_eq!(
        programs[0].1,
        &ProgramSlot {
            slot: "server".into(),
            stdin: b"x\n".to_vec(),
            expects: vec![
                ProgramExpect::Receives(b"how are u".to_vec()),
                ProgramExpect::Sends(b"fine".to_vec()),
                ProgramExpect::Prints("data".into()),
                ProgramExpect::Exits(0),
            ],
        }
    );
    assert_eq!(
        plan.program_ready_text(0).as_deref(),
        Some("listens on TCP port 50007")
    );
    // Its connect reaches a listener it never listens on in the steps:
    // the program listens by itself, so no "never listens".
}

#[test]
fn a_program_client_may_connect_to_a_scripted_listener() {
    let body = "actors:
  - {name: srv, transport: tcp, port: 50007}
  - {name: cli, program: client, transport: tcp}
steps:
  - {actor: srv, call: bind}
  - {actor: srv, call: listen}
  - {actor: srv, call: accept}
  - {actor: srv, call: recv, expect: {text: \"bye\"}}
  - {actor: srv, call: close}
";
    let (plan, problems) = run(body);
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(plan.unwrap().program_ready_text(1), None);
}

#[test]
fn a_step_by_a_program_is_refused() {
    let body = SERVER.replace(
        "  - {actor: cli, call: close}\n",
        "  - {actor: cli, call: close}\n  - {actor: srv, call: close}\n",
    );
    let (kind, line, column, message) = first_error(&body);
    assert!(
        matches!(kind, Kind::StepByProgram { step: 5, .. }),
        "{kind:?}"
    );
    assert_eq!((line, column), (22, 13));
    assert_eq!(
        message,
        "step 5 is made by `srv`, a program: its calls are the program's own"
    );
}

#[test]
fn program_keys_need_a_program() {
    let body = SERVER.replace("    program: server\n", "");
    let (kind, line, column, message) = first_error(&body);
    assert!(matches!(
        kind,
        Kind::ProgramKeyWithoutProgram { key: "stdin", .. }
    ));
    assert_eq!((line, column), (9, 12));
    assert_eq!(
        message,
        "actor `srv` has `stdin` but is no program (it has no `program:`)"
    );
}

#[test]
fn an_expectation_takes_exactly_one_key() {
    let body = SERVER.replace("      - exits: 0\n", "      - {exits: 0, prints: \"x\"}\n");
    let (kind, line, _, message) = first_error(&body);
    assert!(matches!(kind, Kind::ProgramExpectKeys { found: 2 }));
    assert_eq!(line, 15);
    assert_eq!(message, "this expectation has 2 keys; it takes one");
    let body = SERVER.replace("      - exits: 0\n", "      - exits: 300\n");
    let (kind, line, column, _) = first_error(&body);
    assert!(matches!(kind, Kind::ExitStatusOutOfRange { status: 300 }));
    assert_eq!((line, column), (15, 16));
}

#[test]
fn slot_names_from_and_ports_are_checked() {
    let (kind, ..) = first_error(&SERVER.replace("program: server", "program: \"my server\""));
    assert!(matches!(kind, Kind::BadSlotName { .. }), "{kind:?}");
    let (kind, ..) = first_error(&SERVER.replace("    port: 50007\n", ""));
    assert!(matches!(kind, Kind::ProgramWithoutPort { .. }), "{kind:?}");
    let udp = "actors:
  - {name: r, program: receiver, transport: udp, port: 5000}
  - {name: s, transport: udp, port: 6000}
steps:
  - {actor: s, call: bind}
  - {actor: s, call: recvfrom, expect: {from: r}}
";
    let (kind, line, column, _) = first_error(udp);
    assert!(matches!(kind, Kind::ExpectFromProgram { .. }), "{kind:?}");
    assert_eq!((line, column), (10, 47));
}

#[test]
fn one_program_per_lesson() {
    let body = "actors:
  - {name: a, program: one, transport: udp, port: 5000}
  - {name: b, program: two, transport: udp, port: 5001}
  - {name: s, transport: udp}
steps:
  - {actor: s, call: sendto, to: a, text: x}
  - {actor: s, call: sendto, to: b, text: x}
";
    let (kind, line, ..) = first_error(body);
    assert!(
        matches!(kind, Kind::SecondProgram { first_line: 6 }),
        "{kind:?}"
    );
    assert_eq!(line, 7);
}

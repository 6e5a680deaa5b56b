//! The checker, one stage at a time: a lesson in, the problem (its message,
//! line and column) or the compiled plan out.

use super::*;

/// The four head lines every test lesson of the checker starts with.
pub(super) const HEAD: &str = "format: 1\nname: t\ntitle: t\nsummary: s\n";

/// Check a lesson body (line 5 is its first line).
pub(super) fn run(body: &str) -> (Option<Plan>, Vec<Problem>) {
    let text = format!("{HEAD}{body}");
    let file = crate::lesson::load::parse(&text).expect("the test lesson parses");
    check_source(&file, &text)
}

/// `name`, a lesson body (after the four head lines, so line 5 is its
/// first), and the first error it must give: its kind, where, and what it
/// says (in the style of just's `analysis_error!`).
macro_rules! check_error {
    (name: $name:ident, input: $input:expr, kind: $kind:pat, line: $line:expr, column: $column:expr, message: $message:expr $(,)?) => {
        #[test]
        fn $name() {
            let (plan, problems) = run($input);
            assert!(plan.is_none(), "an error must leave no plan");
            let p = problems
                .iter()
                .find(|p| p.is_error())
                .unwrap_or_else(|| panic!("no error in {problems:#?}"));
            assert!(matches!(p.kind, $kind), "{problems:#?}");
            assert_eq!(
                (p.line, p.column, p.message().as_str()),
                ($line, $column, $message),
                "{problems:#?}"
            );
            assert!(p.hint().is_some_and(|h| !h.is_empty()), "no fix: {p:?}");
        }
    };
}

const UDP: &str =
    "actors:\n  - {name: r, transport: udp, port: 5000}\n  - {name: s, transport: udp}\n";
const TCP: &str =
    "actors:\n  - {name: srv, transport: tcp, port: 50007}\n  - {name: cli, transport: tcp}\n";

check_error! {
    name: unknown_call,
    input: &format!("{UDP}steps:\n  - {{actor: r, call: bnd}}\n"),
    kind: Kind::UnknownCall { .. },
    line: 9, column: 22,
    message: "unknown call `bnd`",
}

check_error! {
    name: unknown_actor,
    input: &format!("{UDP}steps:\n  - {{actor: x, call: bind}}\n"),
    kind: Kind::UnknownActor { step: 1, .. },
    line: 9, column: 13,
    message: "step 1 names actor `x`, which the lesson does not declare",
}

check_error! {
    name: key_without_meaning,
    input: &format!("{UDP}steps:\n  - {{actor: r, call: bind, text: hi}}\n"),
    kind: Kind::KeyWithoutMeaning { key: "text", .. },
    line: 9, column: 34,
    message: "`text` has no meaning for `bind`",
}

check_error! {
    name: reply_before_recvfrom,
    input: &format!("{UDP}steps:\n  - {{actor: r, call: bind}}\n  - {{actor: r, call: sendto, to: reply, text: x}}\n"),
    kind: Kind::ReplyWithoutRecvfrom { .. },
    line: 10, column: 34,
    message: "`to: reply` answers whoever `r` last heard from, but it has no `recvfrom` before this step",
}

check_error! {
    name: accept_before_any_connect,
    input: &format!("{TCP}steps:\n  - {{actor: srv, call: bind}}\n  - {{actor: srv, call: listen}}\n  - {{actor: srv, call: accept}}\n"),
    kind: Kind::AcceptWithoutConnect { .. },
    line: 11, column: 24,
    message: "`srv` accepts, but no client has connected to it since its last `accept`",
}

check_error! {
    name: send_after_closing_the_connection,
    input: &format!("{TCP}steps:\n  - {{actor: srv, call: bind}}\n  - {{actor: srv, call: listen}}\n  - {{actor: cli, call: connect, to: srv}}\n  - {{actor: srv, call: accept}}\n  - {{actor: srv, call: close}}\n  - {{actor: srv, call: send, text: x}}\n"),
    kind: Kind::UsedAfterClose { verb: Use::Sends, what: Closed::Connection, step: 5, line: 13, .. },
    line: 14, column: 24,
    message: "`srv` sends after it closed its connection (step 5, line 13)",
}

check_error! {
    name: second_bind_of_a_held_port,
    input: "actors:\n  - {name: a, transport: udp, port: 5000}\n  - {name: b, transport: udp, port: 5000}\nsteps:\n  - {actor: a, call: bind}\n  - {actor: b, call: bind}\n",
    kind: Kind::AddressInUse { step: 1, line: 9, .. },
    line: 10, column: 22,
    message: "`b` binds 127.0.0.1:5000, but `a` already holds 127.0.0.1:5000 (step 1, line 9): this bind would fail with EADDRINUSE",
}

#[test]
fn a_second_accept_warns_that_the_first_connection_closes() {
    let (plan, problems) = run(&format!(
        "{TCP}  - {{name: c2, transport: tcp}}\nsteps:\n  - {{actor: srv, call: bind}}\n  - {{actor: srv, call: listen, backlog: 2}}\n  - {{actor: cli, call: connect, to: srv}}\n  - {{actor: c2, call: connect, to: srv}}\n  - {{actor: srv, call: accept}}\n  - {{actor: srv, call: accept}}\n"
    ));
    assert!(plan.is_some(), "{problems:#?}");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].severity(), Severity::Warning);
    assert!(matches!(&problems[0].kind, Kind::AcceptDropsConnection { actor } if actor == "srv"));
    assert_eq!((problems[0].line, problems[0].column), (15, 24));
    assert!(
        problems[0]
            .message()
            .contains("accepts again while its earlier connection is open")
    );
}

#[test]
fn repeat_expands_into_numbered_steps_and_ids_name_every_copy() {
    let (plan, problems) = run(&format!(
        "{UDP}steps:\n  - {{actor: r, call: bind}}\n  - {{id: burst, actor: s, call: sendto, to: r, text: x, repeat: 3}}\n  - {{actor: r, call: recvfrom}}\nrules:\n  - {{step: burst, semantics: \"one of three\"}}\n"
    ));
    let plan = plan.unwrap_or_else(|| panic!("{problems:#?}"));
    let numbers: Vec<(usize, &str)> = plan
        .steps
        .iter()
        .map(|s| (s.number, s.call.name()))
        .collect();
    assert_eq!(
        numbers,
        [
            (1, "bind"),
            (2, "sendto"),
            (3, "sendto"),
            (4, "sendto"),
            (5, "recvfrom")
        ]
    );
    assert_eq!(plan.rules[0].steps, Some(vec![2, 3, 4]));
    assert!(matches!(
        &plan.steps[1].call,
        Call::SendTo { to: Peer::Actor(0), data } if data == b"x"
    ));
}

#[test]
fn waits_add_up_over_repeats() {
    let (_, problems) = run(&format!(
        "{UDP}steps:\n  - {{actor: r, call: bind}}\n  - {{actor: s, call: sendto, to: r, text: x}}\n  - {{actor: r, call: recvfrom, timeout_ms: 10000, repeat: 50}}\n  - {{actor: r, call: recvfrom, timeout_ms: 10000, repeat: 50}}\n"
    ));
    assert!(
        problems.iter().any(|p| matches!(
            p.kind,
            Kind::TooMuchWaiting {
                limit_ms: limits::MAX_TOTAL_WAIT_MS,
                ..
            }
        ) && p
            .message()
            .starts_with("by this step the lesson's waits add up to")),
        "{problems:#?}"
    );
}

check_error! {
    name: unknown_transport,
    input: "actors:\n  - {name: a, transport: tcpp}\nsteps:\n  - {actor: a, call: bind}\n",
    kind: Kind::UnknownTransport { .. },
    line: 6, column: 26,
    message: "unknown transport `tcpp`",
}

check_error! {
    name: port_out_of_range,
    input: "actors:\n  - {name: a, transport: udp, port: 70000}\nsteps:\n  - {actor: a, call: bind}\n",
    kind: Kind::PortOutOfRange { port: 70000 },
    line: 6, column: 37,
    message: "port 70000 is out of range",
}

check_error! {
    name: address_outside_the_sandbox,
    input: "actors:\n  - {name: a, transport: udp, address: 10.0.0.1}\nsteps:\n  - {actor: a, call: bind}\n",
    kind: Kind::AddressOutsideSandbox { .. },
    line: 6, column: 40,
    message: "address `10.0.0.1` is outside the sandbox",
}

check_error! {
    name: a_tcp_call_on_a_udp_actor,
    input: &format!("{UDP}steps:\n  - {{actor: r, call: listen}}\n"),
    kind: Kind::TcpCallOnUdp { .. },
    line: 9, column: 22,
    message: "`listen` is a TCP call, but `r` is a UDP actor",
}

check_error! {
    name: bind_cannot_be_repeated,
    input: &format!("{UDP}steps:\n  - {{actor: r, call: bind, repeat: 2}}\n"),
    kind: Kind::CannotRepeat { .. },
    line: 9, column: 36,
    message: "`bind` cannot be repeated",
}

check_error! {
    name: connect_to_a_server_that_never_listens,
    input: &format!("{TCP}steps:\n  - {{actor: cli, call: connect, to: srv}}\n"),
    kind: Kind::ConnectNeverListens { .. },
    line: 9, column: 37,
    message: "`cli` connects to `srv`, which never listens",
}

check_error! {
    name: shutdown_before_connecting,
    input: &format!("{TCP}steps:\n  - {{actor: srv, call: bind}}\n  - {{actor: cli, call: shutdown}}\n"),
    kind: Kind::NotConnected { verb: Use::ShutsDown, udp: false, .. },
    line: 10, column: 24,
    message: "`cli` shuts down before it is connected",
}

check_error! {
    name: an_ipv4_socket_sending_to_an_ipv6_actor,
    input: "actors:\n  - {name: r, transport: udp, address: \"::1\", port: 5000}\n  - {name: s, transport: udp, port: 6000}\nsteps:\n  - {actor: r, call: bind}\n  - {actor: s, call: bind}\n  - {actor: s, call: sendto, to: r, text: x}\n",
    kind: Kind::IpVersionMismatch { socket: IpVersion::V4, made: MadeFor::Address(_), destination: Destination::Actor { .. }, .. },
    line: 11, column: 34,
    message: "`s` has an IPv4 socket (made for its address 127.0.0.1), but `r` is at ::1, an IPv6 address",
}

check_error! {
    name: unknown_tcp_flag_in_a_rule,
    input: &format!("{TCP}steps:\n  - {{actor: srv, call: bind}}\nrules:\n  - {{flags: [SYNN], semantics: x}}\n"),
    kind: Kind::UnknownTcpFlag { .. },
    line: 11, column: 14,
    message: "unknown TCP flag `SYNN`",
}

check_error! {
    name: expect_data_and_an_error_at_once,
    input: &format!("{UDP}steps:\n  - {{actor: r, call: bind}}\n  - {{actor: r, call: recvfrom, expect: {{text: a, error: timeout}}}}\n"),
    kind: Kind::ExpectDataAndError,
    line: 10, column: 40,
    message: "`expect` asks for data and for an error at once",
}

/// The hint is the kind's: the same kind gives the same advice wherever it
/// is found.
#[test]
fn hints_come_from_the_kind() {
    let first_error = |body: &str| {
        let (_, problems) = run(body);
        problems.into_iter().find(Problem::is_error).unwrap()
    };
    let p = first_error(&format!("{UDP}steps:\n  - {{actor: r, call: bnd}}\n"));
    assert_eq!(p.hint().as_deref(), Some("did you mean `bind`?"));
    let p = first_error(&format!(
        "{UDP}steps:\n  - {{actor: r, call: bind, text: hi}}\n"
    ));
    assert_eq!(p.hint().as_deref(), Some("`bind` takes no arguments"));
}

#[test]
fn warnings_are_kinds_too_and_leave_a_plan() {
    let (plan, problems) = run(&format!(
        "{UDP}steps:\n  - {{actor: r, call: bind}}\n  - {{actor: s, call: sendto, to: r, text: x}}\nrules:\n  - {{semantics: x}}\n"
    ));
    assert!(plan.is_some(), "{problems:#?}");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(matches!(problems[0].kind, Kind::RuleMatchesEverything));
    assert_eq!(problems[0].severity(), Severity::Warning);
    assert_eq!((problems[0].line, problems[0].column), (12, 5));
}

/// The loader's problems are kinds of the same enum.
#[test]
fn problems_of_the_file_itself() {
    let p = crate::lesson::load::parse("  \n").unwrap_err();
    assert!(matches!(p.kind, Kind::EmptyFile), "{p:#?}");
    let p = crate::lesson::load::parse(&format!("{HEAD}nam: x\n")).unwrap_err();
    assert!(
        matches!(
            p.kind,
            Kind::Yaml {
                fault: YamlFault::UnknownKey,
                ..
            }
        ),
        "{p:#?}"
    );
    assert_eq!(p.line, 5, "{p:#?}");
}

/// Two hosts `a` (10.0.0.1) and `b` (10.0.0.2) on link `lan` (lines 5–12),
/// and a UDP actor on `a`; the test adds `steps:`, `wire:` and whatever else.
const NET: &str = "hosts:\n  - name: a\n    interfaces:\n      - {name: eth0, link: lan, addresses: [10.0.0.1/24]}\n  - name: b\n    interfaces:\n      - {name: eth0, link: lan, addresses: [10.0.0.2/24]}\nlinks: [lan]\nactors:\n  - {name: x, host: a, transport: udp, port: 5000}\nsteps:\n  - {actor: x, call: bind}\n";

check_error! {
    name: wire_rules_need_hosts,
    input: &format!("{UDP}steps:\n  - {{actor: r, call: bind}}\nwire:\n  - {{action: drop}}\n"),
    kind: Kind::WireWithoutNetwork,
    line: 11, column: 14,
    message: "`wire:` rules need the lesson's own network",
}

check_error! {
    name: an_address_two_interfaces_claim,
    input: &NET.replace("10.0.0.2/24", "10.0.0.1/24"),
    kind: Kind::AddressTaken { .. },
    line: 11, column: 45,
    message: "address 10.0.0.1 is already `a/eth0`'s",
}

check_error! {
    name: an_actor_on_an_undeclared_host,
    input: &NET.replace("host: a,", "host: c,"),
    kind: Kind::UndeclaredHost { .. },
    line: 14, column: 21,
    message: "host `c` is not declared",
}

check_error! {
    name: corrupt_without_offset,
    input: &format!("{NET}wire:\n  - {{action: corrupt, link: lan}}\n"),
    kind: Kind::CorruptWithoutOffset,
    line: 18, column: 14,
    message: "`corrupt` needs `offset`",
}

check_error! {
    name: a_wire_delay_over_its_limit,
    input: &format!("{NET}wire:\n  - {{action: delay, ms: 999999}}\n"),
    kind: Kind::WireDelayOutOfRange { ms: 999_999, .. },
    line: 18, column: 25,
    message: "`ms: 999999` is out of range (limit `max_wire_delay_ms`)",
}

check_error! {
    name: ttl_out_of_range,
    input: &format!("{UDP}steps:\n  - {{actor: s, call: setsockopt, option: ttl, ttl: 0}}\n"),
    kind: Kind::TtlOutOfRange { ttl: 0 },
    line: 9, column: 52,
    message: "TTL 0 is out of range",
}

/// Written out rather than with `check_error!`: this kind has no hint
/// (the message says the whole fix).
#[test]
fn ttl_without_option_ttl() {
    let (plan, problems) = run(&format!(
        "{UDP}steps:\n  - {{actor: s, call: setsockopt, option: reuseaddr, ttl: 2}}\n"
    ));
    assert!(plan.is_none(), "an error must leave no plan");
    let p = problems.iter().find(|p| p.is_error()).expect("an error");
    assert!(matches!(p.kind, Kind::TtlWithoutTtlOption), "{problems:#?}");
    assert_eq!(
        (p.line, p.column, p.message().as_str()),
        (9, 58, "`ttl` is only for `option: ttl`"),
        "{problems:#?}"
    );
}

/// The network's kinds carry what their hints quote.
#[test]
fn network_hints_come_from_the_kind() {
    let first_error = |body: &str| {
        let (_, problems) = run(body);
        problems.into_iter().find(Problem::is_error).unwrap()
    };
    let p = first_error(&format!("{NET}wire:\n  - {{action: drop, link: lann}}\n"));
    assert!(matches!(&p.kind, Kind::UndeclaredLink { link, .. } if link == "lann"));
    assert_eq!(p.hint().as_deref(), Some("did you mean `lan`?"));
    let p = first_error(&format!("{NET}wire:\n  - {{action: jitter}}\n"));
    assert_eq!(
        p.hint().as_deref(),
        Some("a wire action is one of: drop, delay, duplicate, reorder, corrupt, rate")
    );
    let p = first_error(&NET.replace("10.0.0.2/24", "8.8.8.8/24"));
    assert!(matches!(p.kind, Kind::AddressOutsidePrivateRanges { .. }));
    assert_eq!(
        p.hint().as_deref(),
        Some(
            "use an address in 10.0.0.0/8, 192.168.0.0/16, fd00::/8 (the sandbox's private ranges), like `10.0.0.1/24`"
        )
    );
}

#[test]
fn a_link_nothing_crosses_is_a_warning() {
    let (plan, problems) = run(&NET.replace("links: [lan]", "links: [lan, spare]"));
    assert!(plan.is_some(), "{problems:#?}");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    let p = &problems[0];
    assert!(matches!(&p.kind, Kind::LinkNotCrossed { link, ends: 0 } if link == "spare"));
    assert_eq!(p.severity(), Severity::Warning);
    assert_eq!((p.line, p.column), (12, 14));
    assert_eq!(
        p.message(),
        "link `spare` has 0 interface(s) on it; nothing can cross it"
    );
    assert_eq!(
        p.hint().as_deref(),
        Some("put interfaces of two hosts on it")
    );
}

//! A corpus of broken lessons, one realistic mistake each (issue 14, item
//! 6): `netcourse check` refuses every one, names the line the mistake is
//! on with a message that says what it is, and suggests a fix. Mistakes of
//! the YAML itself, of keys and values, and expectations the data the
//! lesson sends can never meet (steps run in order, so check knows).

mod common;
use common::*;

use std::path::PathBuf;

/// File (under tests/data/broken) → each problem it must report: the line,
/// and a fragment of the message.
const CORPUS: &[(&str, &[(u64, &str)])] = &[
    // The YAML itself.
    ("tab-indent", &[(15, "indented with a tab")]),
    (
        "key-misindented",
        &[(
            16,
            "`to` is indented 5 spaces, but the keys beside it are indented 4",
        )],
    ),
    (
        "key-dedented",
        &[(
            17,
            "`text` is indented 3 spaces, but the keys beside it are indented 4",
        )],
    ),
    (
        "duplicate-key",
        &[(
            18,
            "`text` appears twice in this mapping: here and on line 17",
        )],
    ),
    (
        "duplicate-top-key",
        &[(
            21,
            "`steps` appears twice in this mapping: here and on line 11",
        )],
    ),
    (
        "port-too-large",
        &[(8, "`port: 500000000000000000000` is too large for `port`")],
    ),
    (
        "timeout-with-unit",
        &[(
            20,
            "`timeout_ms` is a number of milliseconds without a unit, not `2s`",
        )],
    ),
    (
        "timeout-fraction",
        &[(
            20,
            "`timeout_ms` is a whole number of milliseconds, not `1.5`",
        )],
    ),
    (
        "answer-in-braces",
        &[(
            20,
            "`answer: {port.src}`: YAML reads a value that starts with `{`",
        )],
    ),
    (
        "missing-colon",
        &[(13, "`call bind` has no colon after its key")],
    ),
    ("colon-in-text", &[(17, "the value of `text` holds `: `")]),
    (
        "unclosed-quote",
        &[(17, "the quote `\"` opened here is not closed")],
    ),
    ("typo-key", &[(17, "unknown field `txet`")]),
    ("key-at-wrong-level", &[(14, "unknown field `port`")]),
    ("missing-transport", &[(9, "missing field `transport`")]),
    ("steps-not-a-list", &[(12, "expected a list")]),
    // One mistake does not hide the next.
    (
        "unknown-key-and-bad-port",
        &[
            (8, "port 70000 is out of range"),
            (10, "unknown field `adress`"),
        ],
    ),
    (
        "unknown-key-and-bad-call",
        &[(14, "unknown field `sya`"), (20, "unknown call `recieve`")],
    ),
    // Keys and values.
    ("format-two", &[(1, "lesson format 2 is not one")]),
    ("port-out-of-range", &[(8, "port 70000 is out of range")]),
    (
        "address-outside",
        &[(8, "`192.168.1.10` is outside the sandbox")],
    ),
    ("bad-hex", &[(17, "`6g` is not a hex byte")]),
    ("call-typo", &[(19, "unknown call `recieve`")]),
    ("actor-typo", &[(14, "names actor `sendr`")]),
    ("recv-on-udp-style", &[(22, "`sendto` is a UDP call")]),
    (
        "send-after-close",
        &[(24, "`client` sends after it closed")],
    ),
    // Checkpoints.
    ("udp-frame-3", &[(21, "there is no frame 3")]),
    (
        "checkpoint-on-recvfrom",
        &[(21, "puts no frame on the wire")],
    ),
    ("answer-is-value", &[(20, "`5000` is not a captured value")]),
    // Expectations the data the lesson sends can never meet.
    (
        "recv-wrong-text",
        &[(
            26,
            "`server` expects b\"hello\", but what arrives here is b\"hi\"",
        )],
    ),
    (
        "recvfrom-wrong-text",
        &[(20, "expects b\"helo\", but what arrives here is b\"hello\"")],
    ),
    (
        "recvfrom-wrong-sender",
        &[(
            25,
            "expects a datagram from `bob`, but the one that arrives here is from `alice`",
        )],
    ),
    (
        "eof-never-closed",
        &[(29, "`client` has not closed or shut down its side")],
    ),
    ("data-after-close", &[(25, "end of stream arrives here")]),
    (
        "refused-but-listening",
        &[(
            19,
            "`error: refused` cannot happen here: `server` listens since step 2",
        )],
    ),
    (
        "refused-on-sendto",
        &[(
            18,
            "`error: refused` cannot happen here: `sendto` on an unconnected UDP socket",
        )],
    ),
    (
        "reset-on-udp",
        &[(
            20,
            "`error: reset` cannot happen here: UDP has no connection",
        )],
    ),
    (
        "timeout-but-data-waits",
        &[(
            27,
            "`error: timeout` cannot happen here: 4 bytes already wait",
        )],
    ),
    (
        "expect-not-indented",
        &[(
            27,
            "`text` is a key of this step, not of its `expect:` (line 26), which is empty",
        )],
    ),
    ("recv-nothing-sent", &[(23, "nothing is sent to `server`")]),
    (
        "sendto-wrong-port",
        &[(
            20,
            "the datagram of step 2 (line 15) goes to 127.0.0.1:5001, which no actor binds",
        )],
    ),
    (
        "sent-before-bind",
        &[(
            20,
            "the datagram of step 1 (line 13) was sent before it bound its port",
        )],
    ),
    (
        "recv-max-too-small",
        &[(27, "but what arrives here is b\"hello\"")],
    ),
    (
        "stream-glues-sends",
        &[(
            29,
            "but what arrives here is b\"how are ubye\", sent in steps 5 (line 22) and 6 (line 25)",
        )],
    ),
    (
        "datagrams-out-of-order",
        &[(24, "expects b\"two\", but what arrives here is b\"one\"")],
    ),
    (
        "single-quoted-crlf",
        &[(
            26,
            "what arrives here is b\"GET / HTTP/1.0\\\\r\\\\n\\\\r\\\\n\"",
        )],
    ),
    (
        "block-keeps-newline",
        &[(
            28,
            "expects b\"hello\", but what arrives here is b\"hello\\n\"",
        )],
    ),
];

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/broken")
}

#[test]
fn check_refuses_every_broken_lesson_at_its_line_with_a_fix() {
    assert!(CORPUS.len() >= 30, "the corpus holds {}", CORPUS.len());
    let dir = corpus_dir();
    let mut failures = Vec::new();
    for (name, expected) in CORPUS {
        let file = format!("{name}.yaml");
        let ran = netcourse(&["check", &file]).dir(&dir).run();
        if ran.status != 1 {
            failures.push(format!(
                "{file}: exit {} (want 1)\n{}",
                ran.status, ran.stderr
            ));
            continue;
        }
        // Each problem: `file:line:column: error: message`, its snippet,
        // then its hint.
        let blocks: Vec<&str> = ran.stderr.split("\n\n").collect();
        for (line, fragment) in *expected {
            let head = format!("{file}:{line}:");
            let found = blocks.iter().find(|b| {
                b.starts_with(&head)
                    && b.lines()
                        .next()
                        .is_some_and(|l| l.contains(": error: ") && l.contains(fragment))
            });
            match found {
                Some(b) if b.contains("\n  = hint: ") => {}
                Some(b) => failures.push(format!("{file}:{line}: no hint:\n{b}")),
                None => failures.push(format!(
                    "{file}: no error at line {line} saying {fragment:?}:\n{}",
                    ran.stderr
                )),
            }
        }
        let errors = blocks
            .iter()
            .filter(|b| b.starts_with(&format!("{file}:")) && b.contains(": error: "))
            .count();
        if errors != expected.len() {
            failures.push(format!(
                "{file}: {errors} errors, want {}:\n{}",
                expected.len(),
                ran.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_file_of_the_corpus_is_in_the_table() {
    let mut files: Vec<String> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    for f in &files {
        let stem = f.strip_suffix(".yaml").unwrap_or(f);
        assert!(
            CORPUS.iter().any(|(n, _)| *n == stem),
            "{f} is in tests/data/broken but not in the table"
        );
    }
    assert_eq!(files.len(), CORPUS.len());
}

/// A quoted number is the number, for every integer key: the reader
/// accepts `port: "5000"` as `port: 5000`; and `on`/`yes` are `true`
/// (docs/lesson-format.md says so).
#[test]
fn a_quoted_number_is_accepted_wherever_a_number_is() {
    let dir = scratch("quoted-numbers");
    let lesson = dir.join("quoted.yaml");
    std::fs::write(
        &lesson,
        r#"format: "1"
name: quoted
title: t
summary: s
actors:
  - { name: server, transport: tcp, port: "50007" }
  - { name: client, transport: tcp }
steps:
  - { actor: server, call: setsockopt, option: rcvbuf, size: "65536" }
  - { actor: client, call: setsockopt, option: nodelay, value: on }
  - { actor: client, call: setsockopt, option: quickack, value: yes }
  - { actor: server, call: bind }
  - { actor: server, call: listen, backlog: "2" }
  - { actor: client, call: connect, to: server, timeout_ms: "1000", checkpoint: { ask: "Which flags?", answer: tcp.flags, frame: "2" } }
  - { actor: server, call: accept }
  - { actor: client, call: sendall, text: "hi", repeat: "2" }
  - { actor: server, call: recv, max: "4", expect: { text: "hihi" } }
  - { actor: client, call: sleep, ms: "10" }
"#,
    )
    .unwrap();
    let ran = netcourse(&["check", lesson.to_str().unwrap()]).run();
    assert_eq!(ran.status, 0, "{}", ran.stderr);
    assert!(ran.stdout.contains("quoted.yaml: ok"), "{}", ran.stdout);
}

/// The lessons netcourse ships pass the new checks: what check predicts
/// for their receives is what their runs get.
#[test]
fn every_built_in_lesson_passes_check() {
    let lessons = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("lessons");
    for name in builtin_lessons() {
        let file = lessons.join(format!("{name}.yaml"));
        let ran = netcourse(&["check", file.to_str().unwrap()]).run();
        assert_eq!(ran.status, 0, "{name}: {}", ran.stderr);
    }
}

/// What docs/lesson-format.md says of data in `text:`: escapes work in
/// double quotes only, a `|` block keeps its newlines (the last one too),
/// `|-` drops the last. The run compares the received bytes with `hex:`.
#[test]
fn text_data_is_sent_as_the_docs_say() {
    let dir = scratch("text-escapes");
    let lesson = dir.join("escapes.yaml");
    let cases = [
        (
            r#""GET / HTTP/1.0\r\n\r\n""#,
            "474554202f20485454502f312e300d0a0d0a",
        ),
        (r#"'a\r\n'"#, "615c725c6e"),
        (r#"a\tb"#, "615c7462"),
        (r#""a\tb\x00\"""#, "6109620022"),
        ("|\n      hello\n      world", "68656c6c6f0a776f726c640a"),
        ("|-\n      hello", "68656c6c6f"),
    ];
    let mut steps = String::from("  - { actor: r, call: bind }\n");
    for (text, hex) in cases {
        steps.push_str(&format!(
            "  - actor: s\n    call: sendto\n    to: r\n    text: {text}\n  - actor: r\n    call: recvfrom\n    expect: {{ hex: \"{hex}\" }}\n"
        ));
    }
    std::fs::write(
        &lesson,
        format!(
            "format: 1\nname: escapes\ntitle: t\nsummary: s\nactors:\n  - {{ name: r, transport: udp, port: 5000 }}\n  - {{ name: s, transport: udp }}\nsteps:\n{steps}"
        ),
    )
    .unwrap();
    let ran = netcourse(&["run", "lesson", lesson.to_str().unwrap(), "--quiet"]).run();
    assert_eq!(ran.status, 0, "{}", ran.stderr);
}

/// Ports below 1024 work in the sandbox without root (the docs say so).
#[test]
fn a_privileged_port_works_in_the_sandbox() {
    let dir = scratch("low-port");
    let lesson = dir.join("low.yaml");
    std::fs::write(
        &lesson,
        "format: 1\nname: low\ntitle: t\nsummary: s\nactors:\n  - { name: r, transport: udp, port: 7 }\n  - { name: s, transport: udp }\nsteps:\n  - { actor: r, call: bind }\n  - { actor: s, call: sendto, to: r, text: echo }\n  - { actor: r, call: recvfrom, expect: { text: echo, from: s } }\n",
    )
    .unwrap();
    // As an ordinary user (CI reruns this binary as nobody: then a plain
    // run is one).
    let cmd = netcourse(&["run", "lesson", lesson.to_str().unwrap(), "--quiet"]);
    let ran = if is_root() && have("setpriv") {
        cmd.by_nobody()
    } else {
        cmd
    }
    .run();
    assert_eq!(ran.status, 0, "{}", ran.stderr);
}

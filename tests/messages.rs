//! Messages that point at the problem (issue 12, item 7): a long received
//! payload that is not the expected one is shown by its first differing
//! byte, and `replay` of a file that is not a transcript says what the file
//! is before any parser's words.

mod common;
use common::*;

#[test]
fn a_long_hex_expectation_that_fails_points_at_the_first_different_byte() {
    let dir = scratch("msg-hex");
    let sent: Vec<u8> = (0x41..0x41 + 60).collect();
    let mut expected = sent.clone();
    expected[37] = 0;
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let lesson = dir.join("hexx.yaml");
    let text = |first_step: &str| {
        format!(
            "format: 1\nname: hexx\ntitle: t\nsummary: s\nactors:\n  - {{ name: a, transport: udp, address: 127.0.0.1, port: 5000 }}\n  - {{ name: b, transport: udp }}\nsteps:\n  - {first_step}\n  - {{ actor: a, call: bind }}\n  - {{ actor: b, call: sendto, to: a, hex: \"{}\" }}\n  - actor: a\n    call: recvfrom\n    expect:\n      hex: \"{}\"\n",
            hex(&sent),
            hex(&expected)
        )
    };
    // Steps run in order, so `check` already knows what arrives.
    std::fs::write(&lesson, text("{ actor: b, call: sleep, ms: 1 }")).unwrap();
    let ran = netcourse(&["check", lesson.to_str().unwrap()])
        .run()
        .code(1);
    assert!(
        ran.stderr.contains(r#"error: `a` expects 60 bytes, byte 37 = 0x00: …b"^_`abcde\x00ghijklm"…, but what arrives here is 60 bytes, byte 37 = 0x66 ('f'): …b"^_`abcdefghijklm"…; bytes 0–36 match"#),
        "{}",
        ran.stderr
    );
    // A receive buffer of the lesson's own size is one `check` leaves to
    // the run (a small one may drop datagrams), which says the same.
    std::fs::write(
        &lesson,
        text("{ actor: a, call: setsockopt, option: rcvbuf, size: 65536 }"),
    )
    .unwrap();
    let ran = netcourse(&["run", "lesson", lesson.to_str().unwrap(), "--quiet"])
        .run()
        .code(1);
    let error = ran
        .stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("{}", ran.stderr));
    assert_eq!(
        error,
        r#"error: step 4: `a` expected 60 bytes, byte 37 = 0x00: …b"^_`abcde\x00ghijklm"…, but got 60 bytes, byte 37 = 0x66 ('f'): …b"^_`abcdefghijklm"…; bytes 0–36 match"#
    );
    assert!(ran.stderr.contains("hexx.yaml:"), "{}", ran.stderr);
}

#[test]
fn replay_of_a_handout_or_page_says_which_file_to_replay() {
    let dir = scratch("msg-replay");
    let p = |ext: &str| dir.join(format!("t.{ext}"));
    netcourse(&[
        "run",
        "lesson",
        "udp-basics",
        "--quiet",
        "--export",
        p("md").to_str().unwrap(),
        "--export",
        p("html").to_str().unwrap(),
    ])
    .run()
    .ok();
    for (ext, what) in [
        ("md", "the Markdown handout of a run"),
        ("html", "the HTML page of a run"),
    ] {
        let ran = netcourse(&["replay", p(ext).to_str().unwrap()])
            .run()
            .code(2);
        let lines: Vec<&str> = ran.stderr.lines().collect();
        assert_eq!(
            lines,
            [
                format!(
                    "error: cannot replay `{}`: it is {what}, not its transcript",
                    p(ext).display()
                )
                .as_str(),
                "hint: replay the `.json` or `.yaml` exported by the same run (`--export t.json`), or run the lesson again with `--export t.json`"
            ],
            "{}",
            ran.stderr
        );
    }
    // Any other text: what it is not comes first, in one line; the parser's
    // own words after, without the file's lines around them.
    let notes = dir.join("notes.txt");
    std::fs::copy(p("md"), &notes).unwrap();
    let ran = netcourse(&["replay", notes.to_str().unwrap()])
        .run()
        .code(2);
    let first = ran.stderr.lines().next().unwrap();
    assert!(
        first.starts_with(&format!(
            "error: cannot replay `{}`: it is not a netcourse transcript (it is not valid YAML): ",
            notes.display()
        )),
        "{}",
        ran.stderr
    );
    assert_eq!(ran.stderr.lines().count(), 2, "{}", ran.stderr);
    assert!(ran.stderr.lines().nth(1).unwrap().starts_with("hint: "));
}

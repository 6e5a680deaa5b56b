//! Bad input from users and instructors: short errors with hints, never a panic.

mod common;
use common::*;

fn assert_clean_error(ran: &Ran, needle: &str) {
    assert_ne!(ran.status, 0, "should fail: {}", ran.stdout);
    assert!(ran.stderr.starts_with("error: "), "stderr: {}", ran.stderr);
    assert!(
        ran.stderr.contains(needle),
        "expected {needle:?} in:\n{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
}

#[test]
fn misspelt_lesson_name_suggests_the_closest() {
    let ran = netcourse(&["run", "lesson", "udp-basic"]).run();
    assert_clean_error(&ran, "no lesson named `udp-basic`");
    assert!(
        ran.stderr.contains("did you mean `udp-basics`?"),
        "{}",
        ran.stderr
    );
    assert_eq!(ran.status, 2);
}

#[test]
fn missing_file_and_directory() {
    let dir = scratch("bad-paths");
    let ran = netcourse(&["run", "lesson", dir.join("nope.yaml").to_str().unwrap()]).run();
    assert_clean_error(&ran, "no such file");
    let ran = netcourse(&["run", "lesson", &format!("{}/", dir.display())]).run();
    assert_clean_error(&ran, "it is a directory");
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

const BUILTIN: &str = include_str!("../lessons/udp-basics.yaml");

#[test]
fn yaml_syntax_error_names_the_line() {
    let dir = scratch("bad-yaml");
    let broken = BUILTIN.replace("text: \"hello\"", "text: \"hello");
    let path = write(&dir, "broken.yaml", &broken);
    let ran = netcourse(&["run", "lesson", &path]).run();
    assert_clean_error(&ran, "broken.yaml:");
    assert_eq!(ran.status, 1);
}

#[test]
fn unknown_key_names_file_line_column_and_suggests() {
    let dir = scratch("bad-key");
    let broken = BUILTIN.replace("    call: bind\n", "    call: bind\n    bakclog: 1\n");
    let line = broken.lines().position(|l| l.contains("bakclog")).unwrap() + 1;
    let path = write(&dir, "key.yaml", &broken);
    let ran = netcourse(&["run", "lesson", &path]).run();
    assert_clean_error(&ran, &format!("key.yaml:{line}:5:"));
    assert!(ran.stderr.contains("bakclog"), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("did you mean `backlog`"),
        "{}",
        ran.stderr
    );
}

#[test]
fn hostile_lessons_are_refused_before_anything_runs() {
    let dir = scratch("hostile");
    let cases = [
        (
            "port.yaml",
            BUILTIN.replace("port: 5000", "port: 70000"),
            "port 70000 is out of range",
        ),
        (
            "addr.yaml",
            BUILTIN.replace("address: 127.0.0.1", "address: 8.8.8.8"),
            "outside the sandbox",
        ),
        ("empty.yaml", String::new(), "the file is empty"),
        (
            "huge.yaml",
            BUILTIN.replace(
                "text: \"quit\"",
                &format!("text: \"{}\"", "x".repeat(20000)),
            ),
            "larger than the limit",
        ),
        (
            "actor.yaml",
            BUILTIN.replace(
                "- actor: sender\n    call: close",
                "- actor: sendr\n    call: close",
            ),
            "did you mean `sender`",
        ),
        (
            "call.yaml",
            BUILTIN.replace(
                "call: recvfrom\n    max: 1024",
                "call: recvfrm\n    max: 1024",
            ),
            "did you mean `recvfrom`",
        ),
    ];
    for (name, text, needle) in cases {
        let path = write(&dir, name, &text);
        let ran = netcourse(&["run", "lesson", &path]).run();
        assert_clean_error(&ran, needle);
    }
    let random: Vec<u8> = (0..4000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let p = dir.join("random.yaml");
    std::fs::write(&p, random).unwrap();
    let ran = netcourse(&["run", "lesson", p.to_str().unwrap()]).run();
    assert_clean_error(&ran, "random.yaml");
}

#[test]
fn unknown_export_extension_fails_before_running() {
    let ran = netcourse(&["run", "lesson", "udp-basics", "--export", "/tmp/x.docx"]).run();
    assert_clean_error(&ran, "x.docx");
    assert!(ran.stdout.is_empty());
}

#[test]
fn lesson_text_cannot_send_escape_sequences_to_the_terminal() {
    let dir = scratch("escapes");
    let path = write(
        &dir,
        "esc.yaml",
        "format: 1\nname: esc\ntitle: \"Hi\\e]52;c;cHduZWQ=\\a\\e[2J\"\nsummary: \"sum\\e[8mhidden\\r\\nlesson passed\"\nactors: [{name: rx, transport: udp, port: 5000}, {name: tx, transport: udp}]\nsteps:\n  - {actor: rx, call: bind, say: \"\\e]8;;http://x/\\aclick\"}\n  - {actor: tx, call: sendto, to: rx, text: hi}\n",
    );
    let ran = netcourse(&["run", "lesson", &path]).run().ok();
    assert!(
        !ran.stdout.contains('\u{1b}')
            && !ran.stdout.contains('\u{7}')
            && !ran.stdout.contains('\r'),
        "{:?}",
        ran.stdout
    );
    let bad = write(
        &dir,
        "name.yaml",
        "format: 1\nname: n\ntitle: t\nsummary: s\nactors: [{name: \"a\\e[2J\", transport: udp}]\nsteps:\n  - {actor: \"b\\e]0;owned\\a\", call: close}\n",
    );
    let ran = netcourse(&["check", &bad]).run().code(1);
    assert!(
        !ran.stderr.contains('\u{1b}') && !ran.stderr.contains('\u{7}'),
        "{:?}",
        ran.stderr
    );
}

#[test]
fn endless_or_special_files_are_refused_not_read() {
    let dir = scratch("fifo");
    let fifo = dir.join("lesson.yaml");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    // A FIFO with no writer would block an ordinary open; a device never ends.
    for special in ["/dev/zero", fifo.to_str().unwrap()] {
        let ran = netcourse(&["check", special]).run().code(1);
        assert!(
            ran.stderr.contains("not a regular file") || ran.stderr.contains("larger than"),
            "{special}: {}",
            ran.stderr
        );
        let ran = netcourse(&["replay", special]).run();
        assert_ne!(ran.status, 0);
        assert!(
            ran.stderr.contains("not a regular file") || ran.stderr.contains("larger than"),
            "{special}: {}",
            ran.stderr
        );
    }
}

#[test]
fn host_mode_only_reaches_the_lessons_own_sockets() {
    // Refused before any capability is needed: no local service is contacted.
    let ran = netcourse(&["run", "lesson", "tcp-refused", "--net", "host"])
        .run()
        .code(2);
    assert!(
        ran.stderr
            .contains("cannot run with `--net host`: step 1 sends to 127.0.0.1:50008"),
        "{}",
        ran.stderr
    );
}

#[test]
fn an_unwritable_export_fails_before_the_lesson_runs() {
    let ran = netcourse(&[
        "run",
        "lesson",
        "udp-basics",
        "--export",
        "/nonexistent/dir/t.json",
    ])
    .run()
    .code(2);
    assert!(
        ran.stderr
            .contains("cannot create `/nonexistent/dir/t.json`"),
        "{}",
        ran.stderr
    );
    assert!(ran.stdout.is_empty(), "nothing ran: {}", ran.stdout);
}

#[test]
fn impossible_steps_are_refused_by_check() {
    let dir = scratch("impossible");
    let path = write(
        &dir,
        "imp.yaml",
        "format: 1\nname: imp\ntitle: t\nsummary: s\nactors:\n  - {name: server, transport: tcp, port: 50007}\n  - {name: client, transport: tcp}\nsteps:\n  - {actor: server, call: bind}\n  - {actor: server, call: listen}\n  - {actor: client, call: connect, to: server}\n  - {actor: client, call: connect, to: server}\n  - {actor: server, call: accept}\n  - {actor: server, call: recv, expect: {text: a, eof: true}}\n  - {actor: client, call: sendall, hex: \"+f+f\"}\n",
    );
    let ran = netcourse(&["check", &path]).run().code(1);
    assert!(
        ran.stderr
            .contains("imp.yaml:12:27: error: `client` is already connected"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr
            .contains("asks for data and for end of stream at once"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("`+f` is not a hex byte"),
        "{}",
        ran.stderr
    );
}

#[test]
fn one_bad_export_path_touches_no_other_export() {
    let dir = scratch("bad-export-keeps-others");
    std::fs::write(dir.join("kept.json"), "yesterday's transcript").unwrap();
    netcourse(&[
        "run",
        "lesson",
        "udp-basics",
        "--export",
        "kept.json",
        "--export",
        "new.md",
        "--export",
        "/nonexistent/dir/t.json",
    ])
    .dir(&dir)
    .run()
    .code(2);
    assert_eq!(
        std::fs::read_to_string(dir.join("kept.json")).unwrap(),
        "yesterday's transcript"
    );
    assert!(!dir.join("new.md").exists(), "no empty file left behind");
}

#[test]
fn a_forgotten_lesson_word_is_suggested() {
    let ran = netcourse(&["run", "udp-basics", "--step"]).run().code(2);
    assert!(
        ran.stderr
            .contains("hint: to run a lesson, write `netcourse run lesson udp-basics --step`"),
        "{}",
        ran.stderr
    );
    // Only as the subcommand: `run` elsewhere is somebody's word.
    let ran = netcourse(&["check", "--bogus", "run", "x"]).run().code(2);
    assert!(!ran.stderr.contains("to run a lesson"), "{}", ran.stderr);
}

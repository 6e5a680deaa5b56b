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

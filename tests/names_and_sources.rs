//! File names are someone else's text too, and a run says which file it ran.

mod common;
use common::*;

const BUILTIN: &str = include_str!("../lessons/udp-basics.yaml");

/// OSC 52 (write the clipboard), a window title and a clear-screen.
const HOSTILE: &str = "x\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}]0;title\u{7}\u{1b}[2J";

fn no_escapes(what: &str, text: &str) {
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{what} reached the terminal raw: {text:?}"
    );
}

#[test]
fn file_names_with_escape_sequences_are_printed_cleaned() {
    let dir = scratch("hostile-names");
    let good = dir.join(format!("{HOSTILE}.yaml"));
    std::fs::write(&good, BUILTIN).unwrap();
    let ran = netcourse(&["check", good.to_str().unwrap()]).run();
    // The file is named after no lesson: a warning, then `path: ok`.
    assert_eq!(ran.status, 0, "{}", ran.stderr);
    assert!(ran.stdout.contains(": ok"), "{}", ran.stdout);
    assert!(
        ran.stdout.contains("]52;c;"),
        "the name is shown: {}",
        ran.stdout
    );
    no_escapes("check's `path: ok`", &ran.stdout);
    no_escapes("check's warning", &ran.stderr);

    let bad = dir.join(format!("{HOSTILE}-bad.yaml"));
    std::fs::write(&bad, BUILTIN.replace("call: bind", "call: bnid")).unwrap();
    let ran = netcourse(&["check", bad.to_str().unwrap()]).run().code(1);
    assert!(
        ran.stderr.contains("-bad.yaml:"),
        "path:line:col: {}",
        ran.stderr
    );
    no_escapes("check's path:line:col", &ran.stderr);
    let ran = netcourse(&["run", "lesson", bad.to_str().unwrap()])
        .run()
        .code(1);
    no_escapes("run's error", &ran.stderr);

    let missing = dir.join(format!("{HOSTILE}-missing.yaml"));
    let ran = netcourse(&["check", missing.to_str().unwrap()])
        .run()
        .code(1);
    assert!(ran.stderr.contains("no such file"), "{}", ran.stderr);
    no_escapes("check's read error", &ran.stderr);

    let ran = netcourse(&["lessons", "--lessons", missing.to_str().unwrap()])
        .run()
        .ok();
    assert!(ran.stdout.contains("does not exist"), "{}", ran.stdout);
    no_escapes("lessons' missing directory", &ran.stdout);
}

#[test]
fn invisible_characters_in_actor_names_are_refused_with_their_place() {
    let dir = scratch("bidi-names");
    // `sender` declared with a right-to-left override: it would print as
    // something else than it is.
    let text = BUILTIN.replacen("name: sender", "name: \"sen\u{202e}der\"", 1);
    let line = text.lines().position(|l| l.contains('\u{202e}')).unwrap() + 1;
    let column = text.lines().nth(line - 1).unwrap().find('"').unwrap() + 5;
    let path = dir.join("bidi.yaml");
    std::fs::write(&path, &text).unwrap();
    let ran = netcourse(&["check", path.to_str().unwrap()]).run().code(1);
    assert!(
        ran.stderr.contains(&format!(
            "bidi.yaml:{line}:{column}: error: actor name `sender` holds U+202E"
        )),
        "{}",
        ran.stderr
    );
    let zero_width = text.replace('\u{202e}', "\u{200b}");
    std::fs::write(&path, zero_width).unwrap();
    let ran = netcourse(&["run", "lesson", path.to_str().unwrap()])
        .run()
        .code(1);
    assert!(
        ran.stderr
            .contains("U+200B, a character that prints as nothing"),
        "{}",
        ran.stderr
    );
    assert!(ran.stdout.is_empty(), "nothing ran: {}", ran.stdout);
}

#[test]
fn a_run_by_name_says_which_file_answered() {
    let dir = scratch("cwd-lesson");
    std::fs::create_dir(dir.join("lessons")).unwrap();
    std::fs::write(
        dir.join("lessons/udp-basics.yaml"),
        BUILTIN.replace("title: \"", "title: \"Local copy of "),
    )
    .unwrap();
    let ran = netcourse(&["run", "lesson", "udp-basics"])
        .dir(&dir)
        .run()
        .ok();
    assert_eq!(
        ran.stderr,
        "note: lesson `udp-basics` from ./lessons/udp-basics.yaml (./lessons; wins over built-in)\n",
    );
    assert!(
        ran.stdout.starts_with("netcourse udp-basics"),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("Local copy of"), "{}", ran.stdout);
    // The built-in, or a file named by its path, needs no such line.
    let elsewhere = scratch("no-cwd-lessons");
    let ran = netcourse(&["run", "lesson", "udp-basics"])
        .dir(&elsewhere)
        .run()
        .ok();
    assert!(
        ran.stdout.starts_with("netcourse udp-basics"),
        "{}",
        ran.stdout
    );
    let ran = netcourse(&["run", "lesson", "./lessons/udp-basics.yaml"])
        .dir(&dir)
        .run()
        .ok();
    assert!(
        ran.stdout.starts_with("netcourse udp-basics"),
        "{}",
        ran.stdout
    );
}

#[test]
fn narration_over_its_limits_is_refused_by_check_and_run() {
    let dir = scratch("long-narration");
    let long = "word ".repeat(500); // 2,500 characters
    let text = format!(
        "format: 1\nname: long\ntitle: T\nsummary: S\nactors:\n  - {{name: rx, transport: udp, port: 5000}}\n  - {{name: tx, transport: udp}}\nsteps:\n  - actor: rx\n    call: bind\n    say: {long}\n  - {{actor: tx, call: sendto, to: rx, text: hi}}\n  - {{actor: rx, call: recvfrom}}\n"
    );
    let line = 11;
    let path = dir.join("long.yaml");
    std::fs::write(&path, &text).unwrap();
    let ran = netcourse(&["check", path.to_str().unwrap()]).run().code(1);
    assert!(
        ran.stderr
            .contains(&format!("long.yaml:{line}:10: error: `say` is ")),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("(limit `max_say`)"), "{}", ran.stderr);
    let ran = netcourse(&["run", "lesson", path.to_str().unwrap()])
        .run()
        .code(1);
    assert!(ran.stderr.contains("(limit `max_say`)"), "{}", ran.stderr);
    assert!(ran.stdout.is_empty(), "nothing ran: {}", ran.stdout);
}

//! How much the terminal prints: the full level is pinned to the output
//! netcourse printed before levels of detail existed (golden files made from
//! saved transcripts, so the text does not depend on this run's ports).

mod common;
use common::*;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

fn golden(lesson: &str) {
    let json = format!("{DATA}/{lesson}.json");
    let want = std::fs::read_to_string(format!("{DATA}/{lesson}.full.txt")).unwrap();
    let ran = netcourse(&["replay", &json, "--color", "never", "--detail", "full"])
        .env("COLUMNS", "80")
        .run()
        .ok();
    if ran.stdout != want {
        let line = ran
            .stdout
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(want.lines().count().min(ran.stdout.lines().count()));
        panic!(
            "{lesson}: the full output changed at line {}:\n got: {:?}\nwant: {:?}",
            line + 1,
            ran.stdout.lines().nth(line),
            want.lines().nth(line)
        );
    }
}

#[test]
fn full_detail_prints_what_netcourse_always_printed_tcp() {
    golden("tcp-basics");
}

#[test]
fn full_detail_prints_what_netcourse_always_printed_icmp() {
    golden("udp-unreachable");
}

/// Lines of `replay FILE` at a level and width, every line checked: none
/// wider than the width.
fn lines_at(lesson: &str, detail: &str, columns: usize) -> usize {
    let json = format!("{DATA}/{lesson}.json");
    let ran = netcourse(&["replay", &json, "--detail", detail])
        .env("COLUMNS", &columns.to_string())
        .run()
        .ok();
    for line in ran.stdout.lines() {
        assert!(
            line.chars().count() <= columns,
            "{lesson} at {detail}, {columns} columns: a line of {}: {line}",
            line.chars().count()
        );
    }
    ran.stdout.lines().count()
}

#[test]
fn the_default_fits_a_class() {
    // The targets at 80 columns; the timing work will only lower them.
    let tcp = lines_at("tcp-basics", "normal", 80);
    assert!(tcp <= 250, "tcp-basics prints {tcp} lines at normal");
    let brief = lines_at("tcp-basics", "brief", 80);
    assert!(
        brief < tcp,
        "brief ({brief}) is shorter than normal ({tcp})"
    );
    assert!(lines_at("tcp-basics", "full", 80) > tcp);
}

#[test]
fn no_line_is_wider_than_the_terminal_and_no_word_is_split() {
    for lesson in ["tcp-basics", "udp-unreachable"] {
        for detail in ["brief", "normal", "full"] {
            for columns in [40, 60, 100] {
                lines_at(lesson, detail, columns);
            }
        }
        // Words stay whole: every word of the wide output is a word of the
        // narrow one (a word cut in two would be two new words).
        let json = format!("{DATA}/{lesson}.json");
        let words = |cols: &str| {
            let out = netcourse(&["replay", &json, "--detail", "full"])
                .env("COLUMNS", cols)
                .run()
                .ok()
                .stdout;
            let mut w: Vec<String> = out
                .split_whitespace()
                .filter(|w| !w.starts_with('━') && w.chars().count() < 40)
                .map(str::to_string)
                .collect();
            w.sort();
            w
        };
        assert_eq!(
            words("60"),
            words("200"),
            "{lesson}: a word was split at 60 columns"
        );
    }
}

//! How much the terminal prints: the full level is pinned to the output
//! netcourse printed before levels of detail existed (golden files made from
//! saved transcripts, so the text does not depend on this run's ports).

mod common;
use common::*;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

fn golden(lesson: &str) {
    let json = format!("{DATA}/{lesson}.json");
    let want = std::fs::read_to_string(format!("{DATA}/{lesson}.full.txt")).unwrap();
    let ran = netcourse(&["replay", &json, "--color", "never"])
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

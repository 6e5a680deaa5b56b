//! The README is the manual: what it shows must work.

mod common;
use common::*;

const README: &str = include_str!("../README.md");

/// The fenced blocks of a given language, in order.
fn blocks(lang: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in README.lines() {
        match &mut current {
            None if line.trim() == format!("```{lang}") => current = Some(String::new()),
            Some(text) if line.trim() == "```" => {
                out.push(std::mem::take(text));
                current = None;
            }
            Some(text) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {}
        }
    }
    out
}

#[test]
fn the_readme_lesson_checks_and_runs() {
    let yaml = blocks("yaml");
    assert!(!yaml.is_empty(), "the README shows a lesson");
    let dir = scratch("readme");
    for (i, lesson) in yaml.iter().enumerate() {
        let path = dir.join(format!("readme-{i}.yaml"));
        std::fs::write(&path, lesson).unwrap();
        let p = path.to_str().unwrap();
        netcourse(&["check", p]).run().ok();
        let ran = netcourse(&["run", "lesson", p]).run().ok();
        assert!(ran.stdout.contains("lesson passed"), "{}", ran.stdout);
    }
}

#[test]
fn the_readme_commands_exist() {
    for block in blocks("sh") {
        for line in block.lines() {
            let command = line.split('#').next().unwrap().trim();
            let Some(rest) = command.strip_prefix("netcourse ") else {
                continue;
            };
            // `--help` of the same subcommand proves it parses.
            let words: Vec<&str> = rest
                .split_whitespace()
                .take_while(|w| !w.starts_with('-') && !w.contains('.') && !w.contains('/'))
                .collect();
            let sub: Vec<&str> = words
                .iter()
                .take(2)
                .copied()
                .filter(|w| ["lessons", "run", "lesson", "replay", "check", "new"].contains(w))
                .collect();
            let mut args = sub.clone();
            args.push("--help");
            let ran = netcourse(&args).run();
            assert_eq!(
                ran.status,
                0,
                "`netcourse {}` from the README: {}",
                args.join(" "),
                ran.stderr
            );
        }
    }
    assert!(
        README.contains("cargo test"),
        "the README names the test command"
    );
}

/// Text with what changes from run to run made neutral: every number (ports,
/// times, identifications, checksums) becomes `#`, the unit after a number
/// becomes `U`, and line breaks do not count (wrapping depends on widths).
fn neutral(text: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let mut out = String::new();
        let mut chars = word.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '0' && chars.peek() == Some(&'x') {
                chars.next();
                while chars.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                    chars.next();
                }
                out.push_str("0x#");
            } else if c.is_ascii_digit() {
                while chars.peek().is_some_and(|c| c.is_ascii_digit()) {
                    chars.next();
                }
                out.push('#');
            } else {
                out.push(c);
            }
        }
        let after_number = words.last().is_some_and(|w| w.ends_with('#'));
        let unit = out.trim_end_matches(|c: char| c.is_ascii_punctuation());
        if after_number && matches!(unit, "µs" | "ms" | "s") {
            out = format!("U{}", &out[unit.len()..]);
        }
        words.push(out);
    }
    words.join(" ")
}

#[test]
fn the_sample_transcript_is_real_output() {
    let start = README
        .find("## A sample transcript")
        .expect("the README has a sample transcript");
    let fence = start + README[start..].find("```\n").unwrap() + 4;
    let end = fence + README[fence..].find("```\n").unwrap();
    let sample = &README[fence..end];
    let ran = netcourse(&["run", "lesson", "udp-basics", "--color", "never"])
        .run()
        .ok();
    let live = neutral(&ran.stdout);
    let mut chunks = 0;
    for chunk in sample.split("\n...\n") {
        let chunk = neutral(chunk);
        assert!(
            live.contains(&chunk),
            "this part of the README's sample is not what `netcourse run lesson udp-basics` prints:\n{chunk}\n\nlive:\n{live}"
        );
        chunks += 1;
    }
    assert!(
        chunks >= 3,
        "the sample shows the header, a step and the end"
    );
}

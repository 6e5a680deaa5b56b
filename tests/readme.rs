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

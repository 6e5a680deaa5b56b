//! What users expect of a command-line tool: completions, a manual page,
//! exit codes in --help, and hints for the usual first mistakes.

mod common;
use common::*;

use std::process::{Command, Stdio};

/// Run `tool` on `input`; None (with the reason printed) when it is missing,
/// except under CI, where a missing tool fails the test.
fn pipe_into(tool: &str, args: &[&str], input: &str) -> Option<std::process::Output> {
    if !have(tool) {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v != "true"),
            "{tool} is missing and CI=true"
        );
        eprintln!("{tool} not installed: skipped");
        return None;
    }
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    Some(child.wait_with_output().unwrap())
}

#[test]
fn completions_are_scripts_the_shells_accept() {
    let bash = netcourse(&["completions", "bash"]).run().ok().stdout;
    assert!(
        bash.contains("netcourse") && bash.contains("--detail"),
        "{bash}"
    );
    if let Some(out) = pipe_into("bash", &["-n"], &bash) {
        assert!(
            out.status.success(),
            "bash -n: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for shell in ["zsh", "fish"] {
        let script = netcourse(&["completions", shell]).run().ok().stdout;
        assert!(script.contains("lesson"), "{shell}: {script}");
    }
    netcourse(&["completions", "tcsh"]).run().code(2);
}

#[test]
fn the_manual_page_renders() {
    let page = netcourse(&["man"]).run().ok().stdout;
    assert!(
        page.starts_with(".ie") || page.contains(".TH netcourse"),
        "{page}"
    );
    if !tool("man") {
        return;
    }
    let dir = scratch("man");
    let path = dir.join("netcourse.1");
    std::fs::write(&path, &page).unwrap();
    let out = Command::new("man")
        .arg("-l")
        .arg(&path)
        .env("MANPAGER", "cat")
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("NAME") && text.contains("netcourse"),
        "{text}"
    );
    assert!(text.contains("Exit codes"), "{text}");
}

#[test]
fn help_lists_exit_codes_and_the_newcomer_order() {
    let all = netcourse(&["--help"]).run().ok().stdout;
    assert!(all.contains("Exit codes:") && all.contains("130"), "{all}");
    let help = &all[all.find("Examples").expect("examples in --help")..];
    let step = help.find("--step").expect("--step in the examples");
    let replay = help
        .find("netcourse replay")
        .expect("replay in the examples");
    let new = help.find("netcourse new").expect("new in the examples");
    let check = help.find("netcourse check").expect("check in the examples");
    assert!(step < replay && replay < new && new < check, "{help}");
    let run = netcourse(&["run", "lesson", "--help"]).run().ok().stdout;
    assert!(
        run.contains("--detail") && run.contains("Exit codes:"),
        "{run}"
    );
}

#[test]
fn first_mistakes_get_a_hint() {
    let ran = netcourse(&["udp-basics"]).run().code(2);
    assert!(
        ran.stderr.contains("netcourse run lesson udp-basics"),
        "{}",
        ran.stderr
    );
    let dir = scratch("check-builtin");
    let ran = netcourse(&["check", "udp-basics"]).dir(&dir).run().code(1);
    assert!(
        ran.stderr
            .contains("netcourse show lesson udp-basics > udp-basics.yaml"),
        "{}",
        ran.stderr
    );
    let check_help = netcourse(&["check", "--help"]).run().ok().stdout;
    assert!(check_help.contains("file:line:column"), "{check_help}");
    // `show lesson` prints the YAML `check` accepts.
    let yaml = netcourse(&["show", "lesson", "udp-basics"])
        .run()
        .ok()
        .stdout;
    let path = dir.join("udp-basics.yaml");
    std::fs::write(&path, &yaml).unwrap();
    netcourse(&["check", path.to_str().unwrap()]).run().ok();
}

//! `netcourse run lesson NAME --step`: paused step mode, driven through a
//! pipe (one command per line) and through a real terminal (tmux).

mod common;
use common::tmux::Tmux;
use common::*;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

fn calls(t: &Value) -> Vec<&Value> {
    t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "call")
        .collect()
}

/// A frame without its volatile values (ports, ISNs, times).
fn signature(t: &Value) -> Vec<String> {
    frames(t)
        .iter()
        .map(|f| {
            let layers: Vec<&str> = f["layers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["protocol"].as_str().unwrap())
                .collect();
            let tcp = &f["tcp"];
            let tcp = if tcp.is_object() {
                let flags: Vec<&str> = tcp["flags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap())
                    .collect();
                format!(
                    "[{}] seq={} ack={} len={}",
                    flags.join(","),
                    tcp["seq_rel"],
                    tcp["ack_rel"],
                    tcp["len"]
                )
            } else {
                String::new()
            };
            format!(
                "step {} {}>{} {} {} {} {tcp}",
                f["step"],
                f["actor"],
                f["to"],
                layers.join("/"),
                f["length"],
                f["payload"]
            )
        })
        .collect()
}

fn plain_run(lesson: &str, tag: &str) -> Value {
    let dir = scratch(tag);
    let out = dir.join("t.json");
    netcourse(&["run", "lesson", lesson, "--export", out.to_str().unwrap()])
        .run()
        .ok();
    read_json(&out)
}

fn step_run(lesson: &str, tag: &str, stdin: &[u8]) -> (Ran, Value) {
    let dir = scratch(tag);
    let out = dir.join("t.json");
    let ran = netcourse(&[
        "run",
        "lesson",
        lesson,
        "--step",
        "--export",
        out.to_str().unwrap(),
    ])
    .stdin(stdin)
    .run();
    let json = read_json(&out);
    (ran, json)
}

/// Whitespace runs collapsed, so wrapped text compares with unwrapped.
fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn many(line: &str, n: usize) -> Vec<u8> {
    line.repeat(n).into_bytes()
}

#[test]
fn piped_empty_lines_walk_to_the_end() {
    let (ran, t) = step_run("udp-basics", "step-yes", &many("\n", 500));
    let ran = ran.ok();
    assert_eq!(t["complete"], true);
    assert_eq!(t["outcome"]["passed"], true);
    assert!(ran.stdout.contains("lesson passed"), "{}", ran.stdout);
    // Every step is announced before it runs: its header and call come before
    // its call event, whose number follows.
    let out = &ran.stdout;
    let mut at = 0;
    for c in calls(&t) {
        let step = c["step"].as_u64().unwrap();
        let header = format!("Step {step}/9");
        let h = at
            + out[at..]
                .find(&header)
                .unwrap_or_else(|| panic!("no {header} after byte {at}:\n{out}"));
        let index = format!("#{:<3}", c["index"].as_u64().unwrap());
        let e = h + out[h..]
            .find(&index)
            .unwrap_or_else(|| panic!("no {index} after {header}:\n{out}"));
        assert!(
            norm(&out[h..e]).contains(&norm(&format!(
                "is about to call {}",
                c["call"]["args"].as_str().unwrap()
            ))),
            "{}",
            &out[h..e]
        );
        at = e;
    }
    // The legend shows at each pause: before each of 9 steps and each of 3 frames.
    assert_eq!(out.matches("[n]ext:").count(), 12, "{out}");
}

#[test]
fn step_mode_gives_the_same_frames_as_a_plain_run() {
    for lesson in ["udp-basics", "tcp-basics"] {
        let plain = plain_run(lesson, &format!("step-same-plain-{lesson}"));
        let (ran, stepped) = step_run(lesson, &format!("step-same-{lesson}"), &many("\n", 2000));
        ran.ok();
        assert_eq!(stepped["complete"], true);
        assert_eq!(signature(&plain), signature(&stepped), "{lesson}");
        assert_eq!(
            plain["events"].as_array().unwrap().len(),
            stepped["events"].as_array().unwrap().len()
        );
    }
}

#[test]
fn end_of_input_continues_to_the_end() {
    // Nothing at all on stdin (and stdin closed): the run goes on unpaused.
    let (ran, t) = step_run("udp-basics", "step-eof", b"");
    ran.ok();
    assert_eq!(t["complete"], true);
    // Two nexts, then the input ends.
    let (ran, t) = step_run("udp-basics", "step-eof2", b"\n\n");
    ran.ok();
    assert_eq!(t["complete"], true);
    assert_eq!(frames(&t).len(), 3);
}

#[test]
fn piped_quit_keeps_what_happened() {
    let full = plain_run("udp-basics", "step-quit-plain");
    let dir = scratch("step-quit");
    let (json, md) = (dir.join("t.json"), dir.join("t.md"));
    let ran = netcourse(&[
        "run",
        "lesson",
        "udp-basics",
        "--step",
        "--export",
        json.to_str().unwrap(),
        "--export",
        md.to_str().unwrap(),
    ])
    .stdin(b"\n\nq\n")
    .run();
    let ran = ran.ok();
    let t = read_json(&json);
    assert_eq!(t["complete"], false);
    assert_eq!(t["outcome"]["passed"], false);
    let events = t["events"].as_array().unwrap();
    // Step 1 (bind) and step 2 (sendto) ran: two calls and the datagram.
    assert_eq!(events.len(), 3, "{events:#?}");
    assert!(events.len() < full["events"].as_array().unwrap().len());
    assert_eq!(frames(&t).len(), 1);
    assert!(
        ran.stdout
            .contains("Stopped at your request. 1 more frame of this step"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("lesson stopped early"),
        "{}",
        ran.stdout
    );
    // The datagram was captured but never shown.
    assert!(!ran.stdout.contains("#3 "), "{}", ran.stdout);
    // Every export is written, with what happened so far.
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.contains("stopped early"), "{md}");
}

#[test]
fn help_and_unknown_commands() {
    let (ran, t) = step_run("udp-basics", "step-help", b"?\nwhat\nc\n");
    let ran = ran.ok();
    assert_eq!(t["complete"], true);
    assert!(
        ran.stdout.contains("Step mode commands, one per line"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("Unknown command `what`"),
        "{}",
        ran.stdout
    );
    // `c` runs the rest without pausing: one legend, at the first pause only.
    assert_eq!(ran.stdout.matches("[n]ext:").count(), 3, "{}", ran.stdout);
}

/// The `d` blocks of a run's output, by frame index.
fn details_blocks(out: &str) -> Vec<(u64, String)> {
    let mut blocks = Vec::new();
    let mut rest = out;
    while let Some(start) = rest.find("── Details of frame #") {
        let after = &rest[start + "── Details of frame #".len()..];
        let index: u64 = after.split(' ').next().unwrap().parse().unwrap();
        let end_mark = format!("── end of details of frame #{index} ");
        let end = after.find(&end_mark).expect("details block ends");
        blocks.push((index, after[..end].to_string()));
        rest = &after[end..];
    }
    blocks
}

/// The diagram section for `protocol` in a details block.
fn diagram_section<'a>(block: &'a str, protocol: &str) -> &'a str {
    let head = format!("{protocol} header, as the RFCs draw it");
    let start = block
        .find(&head)
        .unwrap_or_else(|| panic!("no {protocol} diagram in:\n{block}"));
    let body = &block[start + head.len()..];
    let end = body
        .find(" header, as the RFCs draw it")
        .map(|e| body[..e].rfind('\n').unwrap_or(e))
        .unwrap_or(body.len());
    &body[..end]
}

/// `d` on every frame of `lesson`: every field of every layer in the table
/// and the diagram showing exactly what `diagram_values` says it shows.
fn check_details(lesson: &str, tag: &str) -> (Value, Vec<(u64, String)>) {
    let (ran, t) = step_run(lesson, tag, &many("d\n\n", 2000));
    let ran = ran.ok();
    let blocks = details_blocks(&ran.stdout);
    let fr = frames(&t);
    assert!(!fr.is_empty());
    // The first `d` comes before any frame.
    assert!(ran.stdout.contains("No frame shown yet"), "{}", ran.stdout);
    for f in &fr {
        let index = f["index"].as_u64().unwrap();
        let (_, block) = blocks
            .iter()
            .find(|(i, _)| *i == index)
            .unwrap_or_else(|| panic!("no details of frame #{index}"));
        let bytes = hex_to_bytes(f["data_hex"].as_str().unwrap());
        let d = netcourse::dissect::dissect(&bytes);
        // Fields: name and value, with offset and length, per layer.
        for layer in &d.layers {
            assert!(
                block.contains(&format!("{} · {} layer", layer.protocol, layer.layer)),
                "{block}"
            );
            for field in &layer.fields {
                let row = format!(
                    "{:>6} {:>6}  {:<24} {}",
                    field.offset, field.length, field.name, field.value
                );
                assert!(
                    block.contains(&row),
                    "frame #{index}: no row {row:?} in\n{block}"
                );
            }
        }
        // Hex dump: each line, marked by layer (NO_COLOR: a row of layer letters), and a legend.
        assert!(
            block.contains(&format!(
                "  0000  {}",
                &netcourse::dissect::hexdump::hexdump_lines(&bytes)[0].1[..23]
            )),
            "{block}"
        );
        assert!(
            block.contains("        EE EE EE EE EE EE EE EE  EE EE EE EE EE EE II II"),
            "{block}"
        );
        assert!(
            block.contains("legend: EE Ethernet  II IPv")
                || block.contains("legend: EE Ethernet  II ARP"),
            "{block}"
        );
        // Diagrams: the RFC ruler, and every value the diagram claims to show.
        for layer in &d.layers {
            let values = netcourse::dissect::diagram::diagram_values(&bytes, layer);
            if values.is_empty() {
                continue;
            }
            let section = diagram_section(block, &layer.protocol);
            assert!(
                section
                    .contains(" 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1"),
                "{section}"
            );
            for (name, value) in values {
                assert!(
                    section.contains(&value),
                    "frame #{index} {} {name}: {value:?} not in\n{section}",
                    layer.protocol
                );
            }
        }
    }
    (t, blocks)
}

#[test]
fn details_show_fields_hexdump_and_diagrams_udp() {
    let (t, blocks) = check_details("udp-basics", "step-details-udp");
    let f = frames(&t)[0];
    let (_, block) = blocks
        .iter()
        .find(|(i, _)| *i == f["index"].as_u64().unwrap())
        .unwrap();
    let (src, dst) = (
        f["port"]["src"].as_u64().unwrap(),
        f["port"]["dst"].as_u64().unwrap(),
    );
    let udp = diagram_section(block, "UDP");
    // The UDP box row: both ports as the fields say.
    assert!(
        udp.contains(&format!("Src Port {src}")) || udp.contains(&src.to_string()),
        "{udp}"
    );
    assert!(udp.contains(&format!("Dst Port {dst}")), "{udp}");
    assert!(
        block.contains(&format!("{:<24} {src}", "source port")),
        "{block}"
    );
    // Bytes 32–46: the end of IPv4, the UDP header, then the payload.
    assert!(
        block.contains("        II II UU UU UU UU UU UU  UU UU PP PP PP PP PP"),
        "{block}"
    );
}

#[test]
fn details_of_a_tcp_frame_show_its_seq_and_ports() {
    let (t, blocks) = check_details("tcp-basics", "step-details-tcp");
    for f in frames(&t) {
        let (_, block) = blocks
            .iter()
            .find(|(i, _)| *i == f["index"].as_u64().unwrap())
            .unwrap();
        let seq = f["tcp"]["seq"].as_u64().unwrap().to_string();
        let ack = f["tcp"]["ack"].as_u64().unwrap().to_string();
        let (src, dst) = (
            f["port"]["src"].as_u64().unwrap().to_string(),
            f["port"]["dst"].as_u64().unwrap().to_string(),
        );
        // In the fields table …
        assert!(
            block.contains(&format!("{:<24} {src}", "source port")),
            "{block}"
        );
        assert!(
            block.contains(&format!("{:<24} {dst}", "destination port")),
            "{block}"
        );
        assert!(
            block.contains(&format!("{:<24} {seq}", "sequence number")),
            "{block}"
        );
        // … and in the TCP diagram, the same numbers.
        let tcp = diagram_section(block, "TCP");
        for v in [&seq, &src, &dst] {
            assert!(tcp.contains(v.as_str()), "{v} not in\n{tcp}");
        }
        if f["tcp"]["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == "ACK")
        {
            assert!(tcp.contains(ack.as_str()), "{ack} not in\n{tcp}");
        }
    }
}

#[test]
fn preview_shows_each_call_as_the_transcript_writes_it() {
    for lesson in builtin_lessons() {
        let (ran, t) = step_run(lesson, &format!("step-preview-{lesson}"), &many("\n", 3000));
        let ran = ran.ok();
        // Without any whitespace: a long bytes literal (dns-query's 33-byte
        // query) is wrapped inside the token.
        let bare = |s: &str| s.split_whitespace().collect::<String>();
        let out = bare(&ran.stdout);
        for c in calls(&t) {
            let want = bare(&format!(
                "{} is about to call {}",
                c["actor"].as_str().unwrap(),
                c["call"]["args"].as_str().unwrap()
            ));
            assert!(out.contains(&want), "{lesson}: no {want:?}");
        }
    }
}

#[test]
fn replay_of_a_saved_transcript_uses_the_same_loop() {
    use netcourse::stepmode::{Ending, Input, Replay, input::Script, step_loop};
    let t = plain_run("tcp-basics", "step-replay");
    let transcript: netcourse::transcript::Transcript = serde_json::from_value(t.clone()).unwrap();
    let total = transcript.events.len();
    // Next all the way: every event, in order, each call after its preview.
    let mut out = Vec::new();
    let mut all = Script(std::iter::repeat_n(Input::Next, 1000).collect());
    let ending = step_loop(&mut Replay::new(&transcript), &mut all, &mut out, false).unwrap();
    assert_eq!(ending, Ending::Finished);
    let text = String::from_utf8(out).unwrap();
    let mut at = 0;
    for e in &transcript.events {
        let head = format!("#{:<3}", e.index);
        at += text[at..]
            .find(&head)
            .unwrap_or_else(|| panic!("event {} missing or out of order", e.index));
    }
    assert_eq!(
        text.matches("[n]ext:").count(),
        transcript.steps.len() + frames(&t).len()
    );
    // Quit after the handshake's first frame: nothing later is shown.
    let mut out = Vec::new();
    let mut script = Script(
        [
            Input::Next,
            Input::Next,
            Input::Next,
            Input::Next,
            Input::Details,
            Input::Quit,
        ]
        .into_iter()
        .collect(),
    );
    assert_eq!(
        step_loop(&mut Replay::new(&transcript), &mut script, &mut out, false).unwrap(),
        Ending::Quit
    );
    let text = String::from_utf8(out).unwrap();
    let syn = frames(&t)[0]["index"].as_u64().unwrap();
    assert!(
        text.contains(&format!("── Details of frame #{syn} ")),
        "{text}"
    );
    assert!(!text.contains(&format!("#{:<3}", total)), "{text}");
}

// ---------------------------------------------------------------------------
// A real terminal: tmux (the harness is in tests/common/tmux.rs).

const STEP_ARGS: &[&str] = &[
    "run",
    "lesson",
    "udp-basics",
    "--step",
    "--export",
    "t.json",
];

#[test]
#[cfg_attr(missing_tmux, ignore = "tmux is not installed (CI installs it)")]
fn tmux_nothing_runs_before_a_key_and_q_quits_at_once() {
    let Some(tm) = Tmux::start("tmux-q", STEP_ARGS, &[]) else {
        return;
    };
    tm.wait_for_legend();
    let screen = tm.screen();
    assert!(screen.contains("Step 1/9"), "{screen}");
    assert!(
        screen.contains("receiver is about to call bind((\"127.0.0.1\", 5000))"),
        "{screen}"
    );
    assert!(
        screen.contains("The receiver asks the operating system for port 5000"),
        "{screen}"
    );
    assert!(
        !screen.contains("#1 "),
        "a step ran before any key:\n{screen}"
    );
    // The export file is created up front (so a bad path fails early) but
    // stays empty until the run ends.
    assert_eq!(
        std::fs::metadata(tm.path("t.json"))
            .map(|m| m.len())
            .unwrap_or(0),
        0
    );
    // One key, no Enter.
    let pressed = Instant::now();
    tm.keys(&["q"]);
    assert_eq!(tm.wait_done(), 0, "{}", tm.screen());
    assert!(pressed.elapsed() < Duration::from_secs(5));
    tm.assert_terminal_restored();
    let t = tm.export();
    assert_eq!(t["complete"], false);
    assert_eq!(t["events"].as_array().unwrap().len(), 0);
    let screen = tm.screen();
    assert!(
        screen.contains("Stopped at your request") && screen.contains("lesson stopped early"),
        "{screen}"
    );
}

#[test]
#[cfg_attr(missing_tmux, ignore = "tmux is not installed (CI installs it)")]
fn tmux_pressing_n_walks_to_the_end_with_the_same_frames() {
    let plain = plain_run("udp-basics", "tmux-n-plain");
    let Some(tm) = Tmux::start("tmux-n", STEP_ARGS, &[]) else {
        return;
    };
    tm.wait_for_legend();
    // One `n` at a time, each waiting for the next pause (the screen moved
    // on and the legend, printed last before waiting, is back) or the end.
    let mut presses = 0;
    while !tm.path("rc").exists() {
        let before = tm.screen();
        tm.keys(&["n"]);
        presses += 1;
        assert!(presses <= 40, "too many presses; screen:\n{before}");
        tm.wait("the next pause or the end", |t| {
            let now = t.screen();
            t.path("rc").exists() || (now != before && t.visible().contains("[q]uit"))
        });
    }
    assert_eq!(tm.wait_done(), 0, "{}", tm.screen());
    assert_eq!(
        presses,
        13,
        "9 steps, 3 frames and the last screen; screen:\n{}",
        tm.screen()
    );
    tm.assert_terminal_restored();
    let t = tm.export();
    assert_eq!(t["complete"], true);
    assert_eq!(signature(&t), signature(&plain));
    let screen = tm.screen();
    assert!(screen.contains("lesson passed"), "{screen}");
    // The legend was erased each time: it is not left in the scrollback.
    assert_eq!(screen.matches("[q]uit").count(), 0, "{screen}");
}

#[test]
#[cfg_attr(missing_tmux, ignore = "tmux is not installed (CI installs it)")]
fn tmux_details_key_shows_the_frame() {
    let Some(tm) = Tmux::start("tmux-d", STEP_ARGS, &[]) else {
        return;
    };
    tm.wait_for_legend();
    // bind, sendto, then the datagram (#3).
    for want in ["#1 ", "#2 ", "#3 "] {
        tm.keys(&["n"]);
        tm.wait(want, |t| t.screen().contains(want));
    }
    tm.keys(&["d"]);
    tm.wait("the details", |t| t.visible().contains("details of #3"));
    // A scrollable view: page down (PgDn) to its end, collecting what it shows.
    let mut seen = tm.visible();
    for _ in 0..40 {
        if seen.contains("end of details of frame #3") {
            break;
        }
        let before = tm.visible();
        tm.keys(&["NPage"]);
        tm.wait("the next page", |t| t.visible() != before);
        seen.push_str(&tm.visible());
    }
    assert!(seen.contains("end of details of frame #3"), "{seen}");
    assert!(seen.contains("UDP header, as the RFCs draw it"), "{seen}");
    assert!(seen.contains("■ Ethernet"), "{seen}");
    // `q` goes back to the step's screen, with the frame's line at its top.
    tm.keys(&["q"]);
    tm.wait("the step's screen", |t| t.visible().contains("[q]uit"));
    tm.keys(&["?"]);
    tm.wait("the help", |t| t.visible().contains("Step mode keys"));
    tm.keys(&["q"]);
    tm.wait("the step's screen", |t| t.visible().contains("[q]uit"));
    tm.keys(&["c"]);
    assert_eq!(tm.wait_done(), 0);
    tm.assert_terminal_restored();
    assert_eq!(tm.export()["complete"], true);
}

#[test]
#[cfg_attr(missing_tmux, ignore = "tmux is not installed (CI installs it)")]
fn tmux_ctrl_c_quits_and_restores() {
    let Some(tm) = Tmux::start("tmux-ctrl-c", STEP_ARGS, &[]) else {
        return;
    };
    tm.wait_for_legend();
    tm.keys(&["n"]);
    tm.wait("step 1", |t| t.screen().contains("#1 "));
    tm.keys(&["C-c"]);
    assert_eq!(tm.wait_done(), 0, "{}", tm.screen());
    tm.assert_terminal_restored();
    let t = tm.export();
    assert_eq!(t["complete"], false);
    assert_eq!(t["events"].as_array().unwrap().len(), 1);
}

#[test]
#[cfg_attr(missing_tmux, ignore = "tmux is not installed (CI installs it)")]
fn tmux_sigterm_quits_keeps_the_export_and_restores() {
    let Some(tm) = Tmux::start("tmux-term", STEP_ARGS, &[]) else {
        return;
    };
    tm.wait_for_legend();
    let pid = tm.pid();
    // SAFETY: our own child (via tmux), by its id.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    assert_eq!(tm.wait_done(), 128 + libc::SIGTERM, "{}", tm.screen());
    tm.assert_terminal_restored();
    assert_eq!(tm.export()["complete"], false);
    assert!(
        tm.screen().contains("Stopped by signal 15 (SIGTERM)"),
        "{}",
        tm.screen()
    );
}

#[test]
#[cfg_attr(missing_tmux, ignore = "tmux is not installed (CI installs it)")]
fn tmux_a_failed_step_restores_the_terminal() {
    require("tmux");
    let lesson_dir = scratch("tmux-fail-lesson");
    let lesson = lesson_dir.join("wrong.yaml");
    // `check` would refuse the wrong `expect`; it leaves an actor that sets
    // its own receive buffer to the run, where the step fails.
    std::fs::write(
        &lesson,
        "format: 1\nname: wrong\ntitle: t\nsummary: s\nactors:\n  - name: a\n    transport: udp\n    address: 127.0.0.1\n    port: 5000\n  - name: b\n    transport: udp\nsteps:\n  - actor: a\n    call: setsockopt\n    option: rcvbuf\n    size: 65536\n  - actor: a\n    call: bind\n  - actor: b\n    call: sendto\n    to: a\n    text: \"hello\"\n  - actor: a\n    call: recvfrom\n    expect:\n      text: \"goodbye\"\n",
    )
    .unwrap();
    let path = lesson.to_str().unwrap();
    let Some(tm) = Tmux::start(
        "tmux-fail",
        &["run", "lesson", path, "--step", "--export", "t.json"],
        &[],
    ) else {
        return;
    };
    tm.wait_for_legend();
    tm.keys(&["c"]);
    assert_eq!(tm.wait_done(), 1, "{}", tm.screen());
    tm.assert_terminal_restored();
    let t = tm.export();
    assert_eq!(t["complete"], false);
    assert_eq!(t["outcome"]["passed"], false);
    let _ = Path::new(path);
}

#[test]
fn replay_step_walks_a_saved_transcript() {
    let dir = scratch("step-replay-cli");
    let saved = dir.join("t.json");
    netcourse(&[
        "run",
        "lesson",
        "udp-basics",
        "--export",
        saved.to_str().unwrap(),
    ])
    .run()
    .ok();
    let t = read_json(&saved);
    // All the way: every event, each step announced with its call.
    let ran = netcourse(&["replay", saved.to_str().unwrap(), "--step"])
        .stdin(&many("\n", 100))
        .run()
        .ok();
    for c in calls(&t) {
        let want = norm(&format!(
            "{} is about to call {}",
            c["actor"].as_str().unwrap(),
            c["call"]["args"].as_str().unwrap()
        ));
        assert!(
            norm(&ran.stdout).contains(&want),
            "no {want:?}:\n{}",
            ran.stdout
        );
    }
    for e in t["events"].as_array().unwrap() {
        assert!(
            ran.stdout
                .contains(&format!("#{:<3}", e["index"].as_u64().unwrap())),
            "{}",
            ran.stdout
        );
    }
    assert_eq!(ran.stdout.matches("[n]ext:").count(), 12, "{}", ran.stdout);
    assert!(ran.stdout.contains("lesson passed"), "{}", ran.stdout);
    // Quit after the first datagram; `d` on it works from the saved bytes.
    let ran = netcourse(&["replay", saved.to_str().unwrap(), "--step"])
        .stdin(b"\n\n\nd\nq\n")
        .run()
        .ok();
    assert!(
        ran.stdout.contains("── Details of frame #3 "),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("UDP header, as the RFCs draw it"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("Stopped at your request"),
        "{}",
        ran.stdout
    );
    assert!(!ran.stdout.contains("#4 "), "{}", ran.stdout);
}

#[test]
#[cfg_attr(missing_tmux, ignore = "tmux is not installed (CI installs it)")]
fn tmux_a_pause_longer_than_the_timeout_times_nothing_out() {
    require("tmux");
    // recvfrom may wait 1 ms; the student takes longer than that to press n.
    let lesson_dir = scratch("tmux-pause-lesson");
    let lesson = lesson_dir.join("short.yaml");
    std::fs::write(
        &lesson,
        "format: 1\nname: short\ntitle: t\nsummary: s\nactors:\n  - name: a\n    transport: udp\n    address: 127.0.0.1\n    port: 5000\n  - name: b\n    transport: udp\nsteps:\n  - actor: a\n    call: bind\n  - actor: b\n    call: sendto\n    to: a\n    text: \"hello\"\n  - actor: a\n    call: recvfrom\n    timeout_ms: 1\n    expect:\n      text: \"hello\"\n",
    )
    .unwrap();
    let args = [
        "run",
        "lesson",
        lesson.to_str().unwrap(),
        "--step",
        "--export",
        "t.json",
    ];
    let Some(tm) = Tmux::start("tmux-pause", &args, &[]) else {
        return;
    };
    tm.wait_for_legend();
    for want in ["#1 ", "#2 ", "#3 "] {
        tm.keys(&["n"]);
        tm.wait(want, |t| t.screen().contains(want));
    }
    tm.wait("the pause before recvfrom", |t| {
        t.visible().contains("run step 3/3")
    });
    tm.keys(&["n"]);
    // Said on the screen of the call it is about.
    tm.wait("the note on the pause", |t| {
        norm(&t.visible()).contains("timeout — and nothing timed out")
    });
    let shown = norm(&tm.visible());
    assert!(
        shown.contains("longer than this recvfrom's 1 ms timeout — and nothing timed out"),
        "{shown}"
    );
    tm.keys(&["n"]);
    assert_eq!(tm.wait_done(), 0, "{}", tm.screen());
    tm.assert_terminal_restored();
    let screen = norm(&tm.screen());
    assert!(screen.contains("lesson passed"), "{screen}");
    assert_eq!(tm.export()["complete"], true);
}

//! Step mode's one screen per pause, in a real terminal (tmux) of the sizes
//! a class uses: at every pause the current event's line is on the screen,
//! and in a narrow pane (a projector's large font) nothing is wider than
//! the pane and no word is cut in two.

mod common;
use common::tmux::Tmux;

use std::collections::HashSet;

use serde_json::Value;

/// Whitespace runs collapsed, so wrapped text compares with unwrapped.
fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The line an event starts with on the step screen, from the transcript's
/// own fields: number, time, who, and what (a call's arguments and result;
/// a TCP frame's flags, relative numbers, window and length).
fn event_line(e: &Value) -> String {
    let ms = format!("+{:.3} ms", e["time_ns"].as_u64().unwrap() as f64 / 1e6);
    let head = format!("#{} {ms} {}", e["index"], e["actor"].as_str().unwrap());
    if e["kind"] == "call" {
        let c = &e["call"];
        return norm(&format!(
            "{head} {} → {}",
            c["args"].as_str().unwrap(),
            c["result"].as_str().unwrap()
        ));
    }
    let mut s = format!("{head} → {}", e["to"].as_str().unwrap());
    let tcp = &e["tcp"];
    if tcp.is_object() {
        let flags: Vec<&str> = tcp["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        s.push_str(&format!(
            " TCP [{}] seq={}",
            flags.join(", "),
            tcp["seq_rel"]
        ));
        if flags.contains(&"ACK") {
            s.push_str(&format!(" ack={}", tcp["ack_rel"]));
        }
        if !flags.contains(&"RST") {
            s.push_str(&format!(" win={}", tcp["window_scaled"]));
        }
        if tcp["len"].as_u64().unwrap() > 0 {
            s.push_str(&format!(" len={}", tcp["len"]));
        }
    }
    norm(&s)
}

/// Press `n` at every pause until the lesson ends; the visible screen at
/// each pause after an event, in order (pause i shows event i).
fn walk(tm: &Tmux) -> Vec<String> {
    tm.wait_for_legend();
    walk_from(tm, 1, &|t: &Tmux| t.visible())
}

#[test]
#[cfg_attr(missing_tmux, ignore = "tmux is not installed (CI installs it)")]
fn every_pause_of_tcp_basics_shows_its_event_line_in_a_100_by_35_pane() {
    let Some(tm) = Tmux::start_sized(
        "screen-every-pause",
        &[
            "run",
            "lesson",
            "tcp-basics",
            "--step",
            "--export",
            "t.json",
        ],
        &[],
        100,
        35,
    ) else {
        return;
    };
    let pauses = walk(&tm);
    assert_eq!(tm.wait_done(), 0, "{}", tm.screen());
    tm.assert_terminal_restored();
    let t = tm.export();
    assert_eq!(t["complete"], true);
    let events = t["events"].as_array().unwrap();
    assert!(events.len() >= 40, "tcp-basics has its events");
    assert_eq!(pauses.len(), events.len(), "a pause per event");
    for (e, screen) in events.iter().zip(&pauses) {
        let want = event_line(e);
        assert!(
            norm(screen).contains(&want),
            "event #{}'s line is not on its screen:\nwant: {want}\nscreen:\n{screen}",
            e["index"]
        );
        // At the top, under the status line.
        let top = screen.lines().nth(1).unwrap_or("");
        assert!(
            top.starts_with(&format!("#{} ", e["index"])),
            "event #{} is not at the top:\n{screen}",
            e["index"]
        );
    }
}

/// Words of every string in a transcript: what a split word is checked against.
fn words_of(v: &Value, out: &mut HashSet<String>) {
    match v {
        Value::String(s) => {
            for w in s.split(|c: char| !c.is_alphanumeric()) {
                if !w.is_empty() {
                    out.insert(w.to_lowercase());
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| words_of(x, out)),
        Value::Object(o) => o.values().for_each(|x| words_of(x, out)),
        _ => {}
    }
}

/// Lines wider than `cols`, and words cut at a line's end: the last word
/// of a line and the first of the next make a word of the transcript while
/// one of the pieces is not a word of it (`a` / `ddress`).
fn layout_problems(screen: &str, cols: usize, words: &HashSet<String>) -> Vec<String> {
    let mut found = Vec::new();
    let lines: Vec<&str> = screen.lines().collect();
    let sideways = screen.contains("< > sideways");
    for l in &lines {
        if l.trim_end().chars().count() > cols {
            found.push(format!("wider than {cols}: {l:?}"));
        }
        // What step mode cuts to the width ends in `…`: nothing should
        // need cutting (the status line and the legend have narrow forms),
        // except a header diagram (32 bits a row) in a view that moves
        // sideways.
        let t = l.trim_start();
        let drawing = t.starts_with(['+', '|']) || t.starts_with("0 ");
        if l.trim_end().ends_with('…') && !(drawing && sideways) {
            found.push(format!("cut to fit: {l:?}"));
        }
    }
    let piece = |s: &str, last: bool| -> String {
        let parts: Vec<&str> = s.split(|c: char| !c.is_alphanumeric()).collect();
        let w = if last { parts.last() } else { parts.first() };
        w.unwrap_or(&"").to_lowercase()
    };
    for pair in lines.windows(2) {
        let (a, b) = (pair[0].trim_end(), pair[1].trim_start());
        let (end, start) = (piece(a, true), piece(b, false));
        // Two numbers on two lines (`= 0` / `46 bytes`) may join into a
        // number the transcript has (`046` in `+0.046`): not a word.
        let number = |w: &str| w.chars().all(|c| c.is_ascii_digit());
        if end.is_empty() || start.is_empty() || (number(&end) && number(&start)) {
            continue;
        }
        let joined = format!("{end}{start}");
        if words.contains(&joined) && (!words.contains(&end) || !words.contains(&start)) {
            found.push(format!("a word cut in two: {a:?} / {b:?}"));
        }
    }
    found
}

#[test]
#[cfg_attr(missing_tmux, ignore = "tmux is not installed (CI installs it)")]
fn a_60_column_pane_has_no_line_wider_than_60_and_no_split_word() {
    let Some(tm) = Tmux::start_sized(
        "screen-60",
        &[
            "run",
            "lesson",
            "tcp-basics",
            "--step",
            "--export",
            "t.json",
        ],
        &[],
        60,
        35,
    ) else {
        return;
    };
    // `-J` joins the lines tmux wrapped itself: a line the program wrote
    // wider than the pane comes back whole.
    let joined = |t: &Tmux| {
        String::from_utf8_lossy(&t.tmux(&["capture-pane", "-p", "-J", "-t", "S"]).stdout)
            .into_owned()
    };
    tm.wait_for_legend();
    let mut screens = vec![joined(&tm)];
    // The first frame (the SYN, event #4) and its details, a page at a time.
    for i in 1..=4 {
        tm.keys(&["n"]);
        let next = format!("#{i} ");
        tm.wait(&format!("event {next}"), |t| {
            let v = t.visible();
            v.contains("[q]uit") && v.lines().any(|l| l.starts_with(&next))
        });
        screens.push(joined(&tm));
    }
    tm.keys(&["d"]);
    tm.wait("the details", |t| t.visible().contains("details of #4"));
    let mut moved = 0;
    for _ in 0..30 {
        let page = joined(&tm);
        screens.push(page.clone());
        if page
            .lines()
            .any(|l| l.trim_start().starts_with('+') && l.ends_with('…'))
        {
            // A diagram cut at the edge: `>` shows the rest, `<` comes back.
            tm.keys(&[">"]);
            tm.wait("the view moved sideways", |t| {
                joined(t)
                    .lines()
                    .next()
                    .is_some_and(|l| l.contains("from column"))
            });
            let shifted = joined(&tm);
            assert!(
                !shifted.lines().any(|l| l.ends_with('…')),
                "still cut after >:\n{shifted}"
            );
            tm.keys(&["<"]);
            tm.wait("the view back", |t| joined(t) == page);
            moved += 1;
        }
        if page.contains("end of details of frame #4") {
            break;
        }
        tm.keys(&["NPage"]);
        tm.wait("the next page", |t| joined(t) != page);
    }
    assert!(
        screens.last().unwrap().contains("end of details"),
        "paged to the end of the details"
    );
    assert!(moved > 0, "the SYN's diagrams are wider than 60 columns");
    tm.keys(&["q"]);
    tm.wait("the step's screen", |t| t.visible().contains("[q]uit"));
    // Then every other pause to the end.
    screens.extend(walk_from(&tm, 5, &joined));
    assert_eq!(tm.wait_done(), 0, "{}", tm.screen());
    tm.assert_terminal_restored();
    let t = tm.export();
    assert_eq!(t["complete"], true);
    let mut words = HashSet::new();
    words_of(&t, &mut words);
    let mut problems = Vec::new();
    for s in &screens {
        for p in layout_problems(s, 60, &words) {
            problems.push(format!("{p}\n{s}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems, the first:\n{}",
        problems.len(),
        problems[0]
    );
    assert!(screens.len() >= 45, "{} screens", screens.len());
}

/// Press `n` at every pause from event `first` on, until the lesson ends,
/// collecting each pause's screen with `capture`. A pause is reached when
/// the legend is drawn and the line of the event it is about starts a line.
fn walk_from(tm: &Tmux, first: usize, capture: &dyn Fn(&Tmux) -> String) -> Vec<String> {
    let mut screens = Vec::new();
    for i in first.. {
        tm.keys(&["n"]);
        let next = format!("#{i} ");
        tm.wait(&format!("the pause at event {next}or the end"), |t| {
            let v = t.visible();
            t.path("rc").exists()
                || (v.contains("[q]uit") && v.lines().any(|l| l.starts_with(&next)))
        });
        if tm.path("rc").exists() {
            break;
        }
        screens.push(capture(tm));
        assert!(i < 200, "too many pauses");
    }
    screens
}

#[test]
fn the_split_word_check_finds_a_cut_word_and_passes_a_line_break() {
    let words: HashSet<String> = ["every", "mac", "address", "is", "a", "in", "to", "into"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let cut = "so every MAC a\nddress is 00:00";
    assert_eq!(layout_problems(cut, 60, &words).len(), 1);
    let fine = "the data goes in\nto the socket";
    assert!(layout_problems(fine, 60, &words).is_empty());
    assert_eq!(layout_problems(&"x".repeat(61), 60, &words).len(), 1);
    assert_eq!(layout_problems(" status · paused …", 60, &words).len(), 1);
    let drawing = "  +-+-+-+…\n  | Src Port …";
    assert_eq!(layout_problems(drawing, 60, &words).len(), 2);
    let drawing = format!("{drawing}\n< > sideways · q back");
    assert!(layout_problems(&drawing, 60, &words).is_empty());
}

//! Exports (JSON, YAML, Markdown, HTML, pcapng) and `netcourse replay`, end
//! to end: the binary runs as a subprocess, as a user would run it.

mod common;
use common::*;

use std::path::Path;
use std::process::Command;

use netcourse::transcript::Transcript;
use serde_json::Value;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

fn frames(t: &Transcript) -> Vec<&netcourse::transcript::Event> {
    t.events.iter().filter(|e| e.is_frame()).collect()
}

// ---------------------------------------------------------------------------
// A small JSON Schema validator for the subset docs/transcript.schema.json
// uses: $ref (to #/$defs/…), type, const, enum, required, properties,
// additionalProperties, items, minimum, maximum. Any other keyword fails the
// test, so the schema cannot quietly grow past what is checked here.

fn schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/transcript.schema.json");
    serde_json::from_str(&read(&path)).expect("the schema is valid JSON")
}

fn validate(root: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(obj) = schema.as_object() else {
        panic!("schema at {at} is not an object");
    };
    for (key, rule) in obj {
        match key.as_str() {
            "$schema" | "$id" | "title" | "description" | "$defs" => {}
            "$ref" => {
                let r = rule.as_str().unwrap();
                let name = r
                    .strip_prefix("#/$defs/")
                    .unwrap_or_else(|| panic!("unsupported $ref {r}"));
                let target = root["$defs"]
                    .get(name)
                    .unwrap_or_else(|| panic!("no $defs/{name}"));
                validate(root, target, value, at, errors);
            }
            "type" => {
                let ok = match rule.as_str().unwrap() {
                    "object" => value.is_object(),
                    "array" => value.is_array(),
                    "string" => value.is_string(),
                    "boolean" => value.is_boolean(),
                    "null" => value.is_null(),
                    "number" => value.is_number(),
                    "integer" => {
                        value.is_u64()
                            || value.is_i64()
                            || value.as_f64().is_some_and(|f| f.fract() == 0.0)
                    }
                    other => panic!("unsupported type {other}"),
                };
                if !ok {
                    errors.push(format!("{at}: expected {rule}, got {value}"));
                }
            }
            "const" => {
                if value != rule {
                    errors.push(format!("{at}: expected {rule}, got {value}"));
                }
            }
            "enum" => {
                if !rule.as_array().unwrap().contains(value) {
                    errors.push(format!("{at}: {value} is not one of {rule}"));
                }
            }
            "minimum" | "maximum" => {
                if let (Some(v), Some(limit)) = (value.as_f64(), rule.as_f64()) {
                    let bad = if key == "minimum" {
                        v < limit
                    } else {
                        v > limit
                    };
                    if bad {
                        errors.push(format!("{at}: {value} is out of range ({key} {rule})"));
                    }
                }
            }
            "required" => {
                if let Some(o) = value.as_object() {
                    for k in rule.as_array().unwrap() {
                        if !o.contains_key(k.as_str().unwrap()) {
                            errors
                                .push(format!("{at}: missing required `{}`", k.as_str().unwrap()));
                        }
                    }
                }
            }
            "properties" => {
                if let Some(o) = value.as_object() {
                    for (k, sub) in rule.as_object().unwrap() {
                        if let Some(v) = o.get(k) {
                            validate(root, sub, v, &format!("{at}.{k}"), errors);
                        }
                    }
                }
            }
            "additionalProperties" => {
                assert_eq!(
                    rule,
                    &Value::Bool(false),
                    "only `additionalProperties: false` is supported"
                );
                if let Some(o) = value.as_object() {
                    let known = obj.get("properties").and_then(Value::as_object);
                    for k in o.keys() {
                        if !known.is_some_and(|p| p.contains_key(k)) {
                            errors.push(format!("{at}: unexpected property `{k}`"));
                        }
                    }
                }
            }
            "items" => {
                if let Some(a) = value.as_array() {
                    for (i, v) in a.iter().enumerate() {
                        validate(root, rule, v, &format!("{at}[{i}]"), errors);
                    }
                }
            }
            other => {
                panic!("schema keyword `{other}` at {at} is not supported by this test's validator")
            }
        }
    }
}

fn schema_errors(value: &Value) -> Vec<String> {
    let root = schema();
    let mut errors = Vec::new();
    validate(&root, &root, value, "$", &mut errors);
    errors
}

#[test]
fn the_schema_validator_catches_mistakes() {
    let good = serde_json::json!({
        "format": "netcourse-transcript", "version": 1, "complete": true, "generator": "x",
        "lesson": {"name": "a", "title": "b", "summary": "c"},
        "network": {"mode": "sandbox", "interface": "lo", "note": "n"},
        "dropped": 0, "started_at_ns": 1, "outcome": {"passed": true},
        "actors": [], "steps": [], "events": []
    });
    assert_eq!(schema_errors(&good), Vec::<String>::new());
    let mut bad = good.clone();
    bad["version"] = 2.into();
    bad["dropped"] = (-1).into();
    bad["extra"] = true.into();
    bad["events"] = serde_json::json!([{"index": 1, "kind": "packet"}]);
    let errors = schema_errors(&bad);
    for want in [
        "$.version",
        "$.dropped",
        "unexpected property `extra`",
        "$.events[0].kind",
        "missing required `notes`",
    ] {
        assert!(
            errors.iter().any(|e| e.contains(want)),
            "no error about {want}: {errors:#?}"
        );
    }
}

#[test]
fn every_lesson_exports_json_and_yaml_that_match_the_schema() {
    let dir = scratch("schema");
    for lesson in builtin_lessons() {
        let json = dir.join(format!("{lesson}.json"));
        let yaml = dir.join(format!("{lesson}.yaml"));
        netcourse(&[
            "run",
            "lesson",
            lesson,
            "--quiet",
            "--export",
            s(&json),
            "--export",
            s(&yaml),
        ])
        .run()
        .ok();
        let from_json: Value = serde_json::from_str(&read(&json)).unwrap();
        let errors = schema_errors(&from_json);
        assert!(
            errors.is_empty(),
            "{lesson}.json does not match docs/transcript.schema.json:\n{}",
            errors.join("\n")
        );
        // As `replay` reads it: tcp-bulk's thousand frames are more nodes
        // than the library's default budget.
        let options = || {
            serde_saphyr::options! {
                budget: serde_saphyr::budget! {
                    max_events: usize::MAX,
                    max_nodes: usize::MAX,
                    max_total_scalar_bytes: 64 * 1024 * 1024,
                },
            }
        };
        let from_yaml: Value = serde_saphyr::from_str_with_options(&read(&yaml), options())
            .expect("the YAML export parses");
        let errors = schema_errors(&from_yaml);
        assert!(
            errors.is_empty(),
            "{lesson}.yaml does not match docs/transcript.schema.json:\n{}",
            errors.join("\n")
        );
        assert_eq!(
            from_yaml, from_json,
            "{lesson}: the YAML export does not hold the JSON's content"
        );
        // And typed: YAML loads back to exactly the JSON's transcript.
        let t_json: Transcript = serde_json::from_str(&read(&json)).unwrap();
        let t_yaml: Transcript =
            serde_saphyr::from_str_with_options(&read(&yaml), options()).unwrap();
        assert_eq!(t_yaml, t_json, "{lesson}: YAML and JSON transcripts differ");
    }
    // Lessons with rules and checkpoints, as `new lesson` writes them.
    for transport in ["udp", "tcp"] {
        let name = format!("demo-{transport}");
        netcourse(&["new", "lesson", &name, "--transport", transport])
            .dir(&dir)
            .run()
            .ok();
        let json = dir.join(format!("{name}.json"));
        let lesson = dir.join(format!("{name}.yaml"));
        netcourse(&["run", "lesson", s(&lesson), "--quiet", "--export", s(&json)])
            .run()
            .ok();
        let value: Value = serde_json::from_str(&read(&json)).unwrap();
        assert!(
            read(&json).contains("\"checkpoint\""),
            "{name} has a checkpoint"
        );
        let errors = schema_errors(&value);
        assert!(
            errors.is_empty(),
            "{name}.json does not match the schema:\n{}",
            errors.join("\n")
        );
    }
}

// ---------------------------------------------------------------------------

/// Every `src=` / `href=` / `url(` / `@import` in the page, with what it points at.
fn outside_references(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    for needle in ["src=", "href=", "url(", "@import", "srcset="] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(needle) {
            let at = from + i + needle.len();
            let target: String = lower[at..]
                .trim_start_matches(['"', '\'', ' '])
                .chars()
                .take(60)
                .collect();
            let local = target.starts_with('#') || target.starts_with("data:");
            if !local || needle == "@import" {
                found.push(format!("{needle}{target}"));
            }
            from = at;
        }
    }
    // Outside the embedded JSON (which is data, and may quote anything), no URL at all.
    let mut code = html.to_string();
    for id in ["transcript", "views"] {
        let open = format!("<script type=\"application/json\" id=\"{id}\">");
        if let Some(start) = code.find(&open) {
            let end = code[start..].find("</script>").map(|e| start + e).unwrap();
            code.replace_range(start + open.len()..end, "");
        }
    }
    for scheme in ["http://", "https://", "ftp://", "//fonts.", "//cdn"] {
        if code.contains(scheme) {
            found.push(format!("`{scheme}` in the page"));
        }
    }
    found
}

/// Headless Chromium's DOM after the page's script ran, and its log; `None`
/// when Chromium is not installed.
fn chromium_dom(html: &Path, name: &str) -> Option<(String, String)> {
    if !tool("chromium") {
        return None;
    }
    let profile = scratch(&format!("chromium-{name}"));
    let out = Command::new("timeout")
        .args([
            "180",
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
        ])
        .args([
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("run chromium");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some((
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    ))
}

fn assert_page_rendered(dom: &str, log: &str, frames: usize) {
    assert!(
        !log.contains("Uncaught"),
        "the page's script failed:\n{log}"
    );
    assert!(
        dom.contains("data-rendered=\"ok\""),
        "the page's script did not finish:\n{}",
        &dom[..dom.len().min(3000)]
    );
    assert_eq!(
        dom.matches("class=\"ev frame").count(),
        frames,
        "one SVG arrow per frame"
    );
    assert!(dom.contains(&format!("data-arrows=\"{frames}\"")));
}

#[test]
fn tcp_basics_exports_every_format_from_one_run() {
    let dir = scratch("all-formats");
    let p = |ext: &str| dir.join(format!("t.{ext}"));
    netcourse(&[
        "run",
        "lesson",
        "tcp-basics",
        "--quiet",
        "--export",
        s(&p("json")),
        "--export",
        s(&p("yaml")),
        "--export",
        s(&p("md")),
        "--export",
        s(&p("html")),
        "--export",
        s(&p("pcapng")),
    ])
    .run()
    .ok();
    let t: Transcript = serde_json::from_str(&read(&p("json"))).unwrap();
    let frames = frames(&t);
    let calls = t.events.len() - frames.len();
    assert!(
        frames.len() >= 16,
        "tcp-basics has its frames: {}",
        frames.len()
    );

    // YAML: the same transcript.
    let y: Transcript = serde_saphyr::from_str(&read(&p("yaml"))).unwrap();
    assert_eq!(y, t);

    // Markdown handout.
    let md = read(&p("md"));
    assert!(
        md.starts_with(&format!("# {}\n", t.lesson.title)),
        "{}",
        &md[..200]
    );
    assert!(md.contains(&format!("> {}", t.lesson.summary.replace('|', "\\|"))));
    assert!(md.contains("```mermaid\nsequenceDiagram\n"));
    assert_eq!(
        md.matches("\n    participant ").count(),
        2,
        "participants = actors"
    );
    let arrows: Vec<&str> = md.lines().filter(|l| l.contains("->>")).collect();
    assert_eq!(arrows.len(), frames.len(), "an arrow per frame");
    assert_eq!(
        md.lines()
            .filter(|l| l.trim_start().starts_with("Note over "))
            .count(),
        calls,
        "a note per socket call"
    );
    assert!(arrows[0].ends_with(": SYN seq=0"), "{}", arrows[0]);
    assert!(
        arrows[1].ends_with(": SYN, ACK seq=0 ack=1"),
        "{}",
        arrows[1]
    );
    assert!(
        arrows
            .iter()
            .any(|a| a.ends_with(": PSH, ACK seq=1 len=9 \"how are u\"")),
        "{arrows:#?}"
    );
    assert!(md.contains("| layer | field | value |"));
    assert!(md.contains(&format!("## Step 1/{} · server · `bind`", t.steps.len())));
    for step in &t.steps {
        if let Some(say) = &step.say {
            let words: String = say.split_whitespace().take(4).collect::<Vec<_>>().join(" ");
            let plain = md.replace('\\', "");
            assert!(
                plain.contains(&words),
                "narration of step {} missing: {words}",
                step.number
            );
        }
    }
    for f in &frames {
        assert!(
            md.contains(&format!("`{}`", f.summary)),
            "frame #{} summary missing",
            f.index
        );
    }
    // At the default level (normal) every frame has its semantics; the
    // field table above is its syntax.
    assert!(
        md.matches("- **Semantics.**").count() >= frames.len(),
        "every frame's notes"
    );
    // Rows of the tables have three cells (no stray `|` from values).
    for row in md
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| ---"))
    {
        let cells = row.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 4, "bad table row: {row}");
    }

    // HTML page: self-contained, its data embedded, drawn by its own script.
    let html = read(&p("html"));
    assert_eq!(
        outside_references(&html),
        Vec::<String>::new(),
        "the page must load nothing from outside"
    );
    assert_eq!(html.matches("<script").count(), 3);
    assert_eq!(html.matches("</script>").count(), 3);
    let start = html
        .find("<script type=\"application/json\" id=\"transcript\">")
        .unwrap();
    let body = &html[start..];
    let json = &body[body.find('>').unwrap() + 1..body.find("</script>").unwrap()];
    let embedded: Transcript = serde_json::from_str(json).expect("the embedded transcript parses");
    assert_eq!(embedded, t, "the page embeds the transcript as it is");
    assert!(html.contains("@media print"));
    if let Some((dom, log)) = chromium_dom(&p("html"), "all-formats") {
        assert_page_rendered(&dom, &log, frames.len());
        assert!(
            dom.contains("PSH, ACK seq=1 len=9 \"how are u\"")
                || dom.contains("PSH, ACK seq=1 len=9 &quot;how are u&quot;")
        );
        // The details panel shows the first event, and the print section every one.
        assert_eq!(
            dom.matches("<article class=\"event\" id=\"event-").count(),
            t.events.len()
        );
        assert!(dom.contains("class=\"hex\""), "hex dumps drawn");
        assert!(dom.contains("class=\"diagram\""), "header diagrams drawn");

        // ←/→ step through the events and a click on an arrow shows its frame:
        // the same page with a script that presses the keys, then clicks.
        let probe = html.replace(
            "</body>",
            "<script>\
             function key(k) { document.dispatchEvent(new KeyboardEvent('keydown', { key: k })); }\
             function shown() { return document.querySelector('#panel h3').textContent.split(' ')[0]; }\
             key('ArrowRight'); key('ArrowRight'); key('ArrowRight'); key('ArrowLeft');\
             var afterKeys = shown();\
             document.querySelector('g.ev[data-index=\"9\"]').dispatchEvent(new MouseEvent('click'));\
             document.body.setAttribute('data-probe', afterKeys + ' ' + shown());\
             </script></body>",
        );
        let probe_path = dir.join("probe.html");
        std::fs::write(&probe_path, probe).unwrap();
        let (dom, log) = chromium_dom(&probe_path, "probe").unwrap();
        assert!(!log.contains("Uncaught"), "{log}");
        assert!(
            dom.contains("data-probe=\"#3 #9\""),
            "keys or click did not select: {}",
            dom.lines().find(|l| l.contains("data-probe")).unwrap_or("")
        );
    }

    // pcapng: what our own reader and Wireshark's see.
    let file = std::fs::File::open(p("pcapng")).unwrap();
    let mut reader = pcap_file::pcapng::PcapNgReader::new(file).expect("a pcapng file");
    let section_comment = reader
        .section()
        .options
        .iter()
        .find_map(|o| match o {
            pcap_file::pcapng::blocks::section_header::SectionHeaderOption::Comment(c) => {
                Some(c.to_string())
            }
            _ => None,
        })
        .expect("a section comment");
    assert!(
        section_comment.contains("tcp-basics") && section_comment.contains(&t.lesson.summary),
        "{section_comment}"
    );
    let mut packets = Vec::new();
    while let Some(block) = reader.next_block() {
        match block.expect("a valid block") {
            pcap_file::pcapng::Block::InterfaceDescription(idb) => {
                assert_eq!(idb.linktype, pcap_file::DataLink::ETHERNET);
                assert!(idb.options.contains(&pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption::IfTsResol(9)));
            }
            pcap_file::pcapng::Block::EnhancedPacket(epb) => packets.push(epb.into_owned()),
            _ => {}
        }
    }
    assert_eq!(packets.len(), frames.len(), "a packet per frame");
    for (pkt, f) in packets.iter().zip(&frames) {
        assert_eq!(
            pkt.data.as_ref(),
            f.bytes().as_slice(),
            "frame #{} bytes",
            f.index
        );
        assert_eq!(
            pkt.timestamp.as_nanos() as u64,
            f.timestamp_ns,
            "frame #{} time",
            f.index
        );
    }

    if !tool("tshark") {
        return;
    }
    let rows = tshark_fields(
        &p("pcapng"),
        &[
            "frame.number",
            "frame.time_epoch",
            "frame.len",
            "frame.comment",
        ],
    );
    assert_eq!(rows.len(), frames.len(), "tshark reads every frame");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for (i, (row, f)) in rows.iter().zip(&frames).enumerate() {
        assert_eq!(row[0], (i + 1).to_string());
        let want = format!(
            "{}.{:09}",
            f.timestamp_ns / 1_000_000_000,
            f.timestamp_ns % 1_000_000_000
        );
        assert_eq!(
            row[1],
            want,
            "frame {} time (if_tsresol must say nanoseconds)",
            i + 1
        );
        let secs = f.timestamp_ns / 1_000_000_000;
        assert!(secs.abs_diff(now) < 3600, "frame {} is dated today", i + 1);
        assert_eq!(row[2], f.length.unwrap().to_string());
        let comment = row.get(3).cloned().unwrap_or_default();
        assert!(
            comment.contains(&f.summary),
            "frame {} comment: {comment}",
            i + 1
        );
        assert!(comment.contains(&format!("event #{}", f.index)));
        assert!(comment.contains(&format!("step {}/", f.step)));
        for label in ["semantics: ", "timing: "] {
            assert!(
                comment.contains(label),
                "frame {} comment has no {label}",
                i + 1
            );
        }
        // Wireshark cuts long comments: the frame and what it means come first.
        let head: String = comment.chars().take(300).collect();
        let first_sentence = f.notes.semantics.split(". ").next().unwrap();
        let first_words: String = first_sentence.chars().take(40).collect();
        assert!(
            head.contains("semantics: ") && head.contains(&first_words),
            "frame {}: no semantics in the first 300 characters: {comment}",
            i + 1
        );
    }
    // Socket calls ride in the next frame's comment: connect() with the SYN,
    // bind() and listen() too; the calls after the last frame in its comment.
    assert!(
        rows[0][3].contains("Socket calls just before this frame")
            && rows[0][3].contains("bind((")
            && rows[0][3].contains("connect((")
    );
    assert!(rows.last().unwrap()[3].contains("Socket calls after this frame"));
}

#[test]
fn replay_prints_exactly_what_the_live_run_printed() {
    let dir = scratch("replay");
    let json = dir.join("t.json");
    let yaml = dir.join("t.yaml");
    let live = netcourse(&[
        "run",
        "lesson",
        "tcp-basics",
        "--export",
        s(&json),
        "--export",
        s(&yaml),
    ])
    .run()
    .ok();
    assert!(live.stdout.contains("lesson passed"));

    let again = dir.join("r.json");
    let mut replay = netcourse(&["replay", s(&json), "--export", s(&again)]);
    if is_root() && have("setpriv") {
        replay = replay.by_nobody();
    }
    let replayed = replay.run().ok();
    assert_eq!(
        replayed.stdout, live.stdout,
        "replay output differs from the live run's"
    );
    let a: Transcript = serde_json::from_str(&read(&json)).unwrap();
    let b: Transcript = serde_json::from_str(&read(&again)).unwrap();
    assert_eq!(a.events, b.events);
    assert_eq!(a, b);

    // From YAML, and from a file whose name says nothing (sniffed).
    let from_yaml = netcourse(&["replay", s(&yaml), "--color", "never"])
        .run()
        .ok();
    assert_eq!(from_yaml.stdout, live.stdout);
    let unnamed = dir.join("transcript");
    std::fs::copy(&yaml, &unnamed).unwrap();
    assert_eq!(
        netcourse(&["replay", s(&unnamed)]).run().ok().stdout,
        live.stdout
    );
    let unnamed_json = dir.join("transcript.txt");
    std::fs::copy(&json, &unnamed_json).unwrap();
    assert_eq!(
        netcourse(&["replay", s(&unnamed_json)]).run().ok().stdout,
        live.stdout
    );
}

#[test]
fn replay_refuses_newer_and_foreign_files() {
    let dir = scratch("replay-refuse");
    let json = dir.join("t.json");
    netcourse(&[
        "run",
        "lesson",
        "udp-basics",
        "--quiet",
        "--export",
        s(&json),
    ])
    .run()
    .ok();
    let mut v = read_json(&json);

    v["version"] = 99.into();
    let newer = dir.join("newer.json");
    std::fs::write(&newer, serde_json::to_string(&v).unwrap()).unwrap();
    let ran = netcourse(&["replay", s(&newer)]).run().code(2);
    assert!(ran.stdout.is_empty());
    assert!(ran.stderr.contains("version 99"), "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains(&format!("reads version {}", netcourse::transcript::VERSION)),
        "{}",
        ran.stderr
    );

    v["version"] = 1.into();
    v["format"] = "something-else".into();
    let foreign = dir.join("foreign.json");
    std::fs::write(&foreign, serde_json::to_string(&v).unwrap()).unwrap();
    let ran = netcourse(&["replay", s(&foreign)]).run().code(2);
    assert!(
        ran.stderr.contains("not a netcourse transcript"),
        "{}",
        ran.stderr
    );

    let ran = netcourse(&["replay", s(&dir.join("missing.json"))])
        .run()
        .code(2);
    assert!(ran.stderr.starts_with("error: "), "{}", ran.stderr);

    // More than a capture ever makes: refused, naming the event and what.
    v["format"] = "netcourse-transcript".into();
    let frame = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e["kind"] == "frame")
        .unwrap();
    let index = v["events"][frame]["index"].clone();
    v["events"][frame]["layers"] =
        serde_json::Value::Array(vec![v["events"][frame]["layers"][0].clone(); 1000]);
    let layered = dir.join("layered.json");
    std::fs::write(&layered, serde_json::to_string(&v).unwrap()).unwrap();
    let ran = netcourse(&["replay", s(&layered)]).run().code(2);
    assert!(ran.stdout.is_empty());
    assert!(
        ran.stderr.contains(&format!(
            "event {index} has more than 16 layers (at most 16), more than any frame netcourse writes"
        )),
        "{}",
        ran.stderr
    );
    // And an escape sequence in a value the parser quotes never reaches the terminal.
    let escaped = dir.join("escaped.json");
    std::fs::write(
        &escaped,
        r#"{"format":"netcourse-transcript","version":1,"events":[{"kind":"\u001b[2J"}]}"#,
    )
    .unwrap();
    let ran = netcourse(&["replay", s(&escaped)]).run().code(2);
    assert!(!ran.stderr.contains('\u{1b}'), "{:?}", ran.stderr);
    assert!(ran.stderr.contains("unknown variant"), "{}", ran.stderr);

    // A bad export is refused before anything is printed.
    let ran = netcourse(&["replay", s(&json), "--export", s(&dir.join("x.docx"))])
        .run()
        .code(2);
    assert!(ran.stdout.is_empty());
    assert!(ran.stderr.contains("x.docx"), "{}", ran.stderr);
}

#[test]
fn hostile_text_in_a_transcript_stays_text() {
    let dir = scratch("hostile");
    let json = dir.join("t.json");
    netcourse(&[
        "run",
        "lesson",
        "udp-basics",
        "--quiet",
        "--export",
        s(&json),
    ])
    .run()
    .ok();
    let mut v = read_json(&json);
    let evil = "</script><script>document.title='pwned'</script><!-- | ` $x$ <b>";
    v["lesson"]["summary"] = evil.into();
    v["steps"][0]["say"] = format!("say {evil}").into();
    let frame = v["events"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["kind"] == "frame")
        .unwrap();
    frame["layers"][0]["fields"][0]["value"] = "x|y\nz </script>".into();
    frame["payload"] = "b\"a;b#c<d>\"".into();
    let edited = dir.join("edited.json");
    std::fs::write(&edited, serde_json::to_string(&v).unwrap()).unwrap();
    let html = dir.join("h.html");
    let md = dir.join("h.md");
    netcourse(&[
        "replay",
        s(&edited),
        "--export",
        s(&html),
        "--export",
        s(&md),
    ])
    .run()
    .ok();

    let page = read(&html);
    assert_eq!(
        page.to_ascii_lowercase().matches("<script").count(),
        3,
        "no script smuggled in"
    );
    assert_eq!(page.to_ascii_lowercase().matches("</script").count(), 3);
    assert!(
        page.contains("&lt;/script&gt;&lt;script&gt;"),
        "the summary is escaped in the header"
    );
    let t: Transcript = serde_json::from_str(&read(&edited)).unwrap();
    if let Some((dom, log)) = chromium_dom(&html, "hostile") {
        assert_page_rendered(&dom, &log, frames(&t).len());
        // The text is shown, never run: the title is still the lesson's.
        assert!(
            !dom.contains("<title>pwned"),
            "a script from the transcript ran"
        );
        assert!(
            dom.contains("document.title='pwned'")
                || dom.contains("document.title=&#39;pwned&#39;")
        );
    }

    let handout = read(&md);
    assert!(
        handout.contains("| destination | x\\|y<br>z &lt;/script&gt; |"),
        "{handout}"
    );
    assert!(
        handout.contains("\"a#59;b#35;c#lt;d#gt;\""),
        "Mermaid text escaped"
    );
    assert!(!handout.contains("<script>"));
}

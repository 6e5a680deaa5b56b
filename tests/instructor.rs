//! Instructor-authored lessons, end to end: the documented format and its
//! schema, `netcourse check`, `netcourse new lesson`, where lessons come from,
//! annotation rules and checkpoints in the exported transcript.

mod common;
use common::*;

use std::path::{Path, PathBuf};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn builtin_paths() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("lessons"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 5, "{paths:?}");
    paths
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    std::fs::write(dir.join(name), text).unwrap();
    name.to_string()
}

fn no_panic(ran: &Ran) {
    assert!(
        !ran.stderr.contains("panicked") && !ran.stdout.contains("panicked"),
        "panic:\n{}",
        ran.stderr
    );
}

/// The lesson inside docs/lesson-format.md, after `<!-- worked-example -->`.
fn worked_example() -> String {
    let doc = std::fs::read_to_string(root().join("docs/lesson-format.md")).unwrap();
    let after = doc
        .split("<!-- worked-example -->")
        .nth(1)
        .expect("worked example marker");
    let start = after.find("```yaml\n").unwrap() + "```yaml\n".len();
    let end = after[start..].find("\n```").unwrap();
    after[start..start + end + 1].to_string()
}

// ---------------------------------------------------------------------------
// A tiny JSON Schema validator for the subset docs/lesson.schema.json uses:
// type, const, enum, properties, required, additionalProperties (false),
// items, minItems, maxItems, minimum, maximum, minLength, maxLength, $ref,
// allOf, anyOf, oneOf, if/then/else. Unknown keywords (description, pattern)
// are ignored.

fn resolve<'a>(root: &'a Value, r: &str) -> &'a Value {
    let path = r
        .strip_prefix("#/")
        .unwrap_or_else(|| panic!("only local refs: {r}"));
    path.split('/').fold(root, |v, k| &v[k])
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        other => panic!("unknown type {other}"),
    }
}

fn validate(root: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(s) = schema.as_object() else { return };
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        validate(root, resolve(root, r), v, at, errors);
    }
    if let Some(t) = s.get("type") {
        let ok = match t {
            Value::String(t) => type_ok(t, v),
            Value::Array(ts) => ts.iter().any(|t| type_ok(t.as_str().unwrap(), v)),
            _ => true,
        };
        if !ok {
            errors.push(format!("{at}: {v} is not of type {t}"));
            return;
        }
    }
    if let Some(c) = s.get("const")
        && c != v
    {
        errors.push(format!("{at}: {v} is not {c}"));
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array)
        && !e.contains(v)
    {
        errors.push(format!("{at}: {v} is not one of {e:?}"));
    }
    if let Some(n) = v.as_f64()
        && (s
            .get("minimum")
            .and_then(Value::as_f64)
            .is_some_and(|m| n < m)
            || s.get("maximum")
                .and_then(Value::as_f64)
                .is_some_and(|m| n > m))
    {
        errors.push(format!("{at}: {n} is out of range"));
    }
    if let Some(text) = v.as_str() {
        let len = text.chars().count() as u64;
        if s.get("minLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| len < m)
            || s.get("maxLength")
                .and_then(Value::as_u64)
                .is_some_and(|m| len > m)
        {
            errors.push(format!("{at}: string of length {len} is out of bounds"));
        }
    }
    if let Some(items) = v.as_array() {
        let n = items.len() as u64;
        if s.get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| n < m)
            || s.get("maxItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| n > m)
        {
            errors.push(format!("{at}: {n} items is out of bounds"));
        }
        if let Some(item_schema) = s.get("items") {
            for (i, item) in items.iter().enumerate() {
                validate(root, item_schema, item, &format!("{at}[{i}]"), errors);
            }
        }
    }
    if let Some(obj) = v.as_object() {
        let props = s.get("properties").and_then(Value::as_object);
        if let Some(req) = s.get("required").and_then(Value::as_array) {
            for k in req {
                if !obj.contains_key(k.as_str().unwrap()) {
                    errors.push(format!("{at}: missing required key {k}"));
                }
            }
        }
        for (k, val) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(ps) => validate(root, ps, val, &format!("{at}.{k}"), errors),
                None if s.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errors.push(format!("{at}: unknown key `{k}`"))
                }
                None => {}
            }
        }
    }
    let passes = |sub: &Value| {
        let mut e = Vec::new();
        validate(root, sub, v, at, &mut e);
        e.is_empty()
    };
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for sub in all {
            validate(root, sub, v, at, errors);
        }
    }
    if let Some(any) = s.get("anyOf").and_then(Value::as_array)
        && !any.iter().any(passes)
    {
        errors.push(format!("{at}: matches none of anyOf"));
    }
    if let Some(one) = s.get("oneOf").and_then(Value::as_array)
        && one.iter().filter(|sub| passes(sub)).count() != 1
    {
        errors.push(format!("{at}: does not match exactly one of oneOf"));
    }
    if let Some(cond) = s.get("if") {
        let branch = if passes(cond) {
            s.get("then")
        } else {
            s.get("else")
        };
        if let Some(b) = branch {
            validate(root, b, v, at, errors);
        }
    }
}

fn schema() -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join("docs/lesson.schema.json")).unwrap())
        .expect("the schema is JSON")
}

fn schema_errors(yaml: &str) -> Vec<String> {
    let value: Value = serde_saphyr::from_str(yaml).expect("YAML");
    let schema = schema();
    let mut errors = Vec::new();
    validate(&schema, &schema, &value, "$", &mut errors);
    errors
}

// ---------------------------------------------------------------------------

#[test]
fn every_builtin_lesson_passes_check_without_warnings() {
    let paths = builtin_paths();
    let args: Vec<String> = std::iter::once("check".to_string())
        .chain(paths.iter().map(|p| p.display().to_string()))
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let ran = netcourse(&args).run().ok();
    assert!(ran.stderr.is_empty(), "{}", ran.stderr);
    assert_eq!(
        ran.stdout.lines().filter(|l| l.ends_with(": ok")).count(),
        paths.len(),
        "{}",
        ran.stdout
    );
}

#[test]
fn every_builtin_lesson_validates_against_the_schema() {
    for path in builtin_paths() {
        let errors = schema_errors(&std::fs::read_to_string(&path).unwrap());
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    }
    // And so do the worked example and both starting lessons.
    assert_eq!(schema_errors(&worked_example()), Vec::<String>::new());
    for t in [
        netcourse::new_lesson::LessonTransport::Udp,
        netcourse::new_lesson::LessonTransport::Tcp,
    ] {
        assert_eq!(
            schema_errors(&netcourse::new_lesson::template("demo", t)),
            Vec::<String>::new(),
            "{t:?}"
        );
    }
}

#[test]
fn the_schema_refuses_what_check_refuses_structurally() {
    let base = std::fs::read_to_string(root().join("lessons/udp-basics.yaml")).unwrap();
    let cases = [
        (
            base.replace("    call: bind\n", "    call: bind\n    bakclog: 1\n"),
            "unknown key `bakclog`",
        ),
        (
            base.replace(
                "      text: \"hello\"\n      from: sender",
                "      txet: \"hello\"\n      from: sender",
            ),
            "unknown key `txet`",
        ),
        (base.replace("port: 5000", "port: 70000"), "out of range"),
        (
            base.replace(
                "call: recvfrom\n    max: 1024",
                "call: recvfrm\n    max: 1024",
            ),
            "is not one of",
        ),
        (base.replace("format: 1", "format: 2"), "is not 1"),
        (
            base.replace(
                "    to: receiver\n    text: \"hello\"",
                "    text: \"hello\"",
            ),
            "missing required key \"to\"",
        ),
        (
            format!("{base}rules:\n  - protocol: udp\n"),
            "matches none of anyOf",
        ),
        (
            format!("{base}rules:\n  - protocol: udp\n    semantics: x\n    mode: merge\n"),
            "is not one of",
        ),
    ];
    for (text, needle) in cases {
        let errors = schema_errors(&text);
        assert!(
            errors.iter().any(|e| e.contains(needle)),
            "expected {needle:?} in {errors:#?}"
        );
    }
}

#[test]
fn the_schema_and_the_docs_know_every_key_of_the_model() {
    let schema = schema();
    let doc = std::fs::read_to_string(root().join("docs/lesson-format.md")).unwrap();
    let props = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        k.sort();
        k
    };
    let defs = &schema["definitions"];
    let by_section = [
        ("the top level", props(&schema)),
        ("an actor", props(&defs["actor"])),
        ("a step", props(&defs["step"])),
        ("`expect:`", props(&defs["expect"])),
        ("`bytes:`", props(&defs["step"]["properties"]["bytes"])),
        ("`checkpoint:`", props(&defs["checkpoint"])),
        ("a rule", props(&defs["rule"])),
        ("`answer:`", props(&defs["answer"])),
        ("`loop:`", props(&defs["loop"])),
    ];
    for (section, keys) in netcourse::lesson::load::SECTIONS {
        let mut model: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        model.sort();
        let schema_keys = &by_section.iter().find(|(s, _)| s == section).unwrap().1;
        assert_eq!(&model, schema_keys, "keys of {section}");
        for k in keys.iter() {
            assert!(
                doc.contains(&format!("| `{k}` |")),
                "docs/lesson-format.md has no table row for `{k}` ({section})"
            );
        }
    }
    for call in netcourse::plan::CALLS {
        assert!(
            doc.contains(&format!("### `{call}`")),
            "no section for `{call}`"
        );
    }
    for (name, _) in netcourse::annotate::rules::PLACEHOLDERS {
        assert!(
            doc.contains(&format!("`{{{name}}}`")),
            "placeholder {name} is not documented"
        );
    }
    let answers: Vec<&str> = defs["placeholder"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let names: Vec<&str> = netcourse::annotate::rules::PLACEHOLDERS
        .iter()
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(answers, names);
    use netcourse::lesson::limits::*;
    for (name, value) in [
        ("max_file_bytes", MAX_FILE_BYTES as u64),
        ("max_actors", MAX_ACTORS as u64),
        ("max_steps", MAX_STEPS as u64),
        ("max_repeat", MAX_REPEAT as u64),
        ("max_loop", MAX_LOOP as u64),
        ("max_payload", MAX_PAYLOAD as u64),
        ("max_recv", MAX_RECV as u64),
        ("max_backlog", MAX_BACKLOG as u64),
        ("max_timeout_ms", MAX_TIMEOUT_MS),
        ("max_total_wait_ms", MAX_TOTAL_WAIT_MS),
        ("max_rules", MAX_RULES as u64),
        ("max_text", MAX_TEXT as u64),
        ("max_checkpoint_frame", MAX_CHECKPOINT_FRAME as u64),
    ] {
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("limit {name} is not documented"));
        assert!(row.contains(&format!("| {value}")), "limit {name}: {row}");
    }
}

/// Broken copies of a built-in lesson: refused by `check` (exit 1) and by
/// `run` (before touching the network), both naming the exact place.
#[test]
fn broken_copies_are_refused_by_check_and_run_at_the_right_place() {
    let base = std::fs::read_to_string(root().join("lessons/udp-basics.yaml")).unwrap();
    let dir = scratch("broken-copies");
    let mut random = Vec::new();
    let mut x: u32 = 1;
    for _ in 0..4000 {
        x = x.wrapping_mul(1103515245).wrapping_add(12345) & 0x7fff_ffff;
        random.push((x >> 16) as u8);
    }
    std::fs::write(dir.join("random.yaml"), &random).unwrap();
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "unknown-key.yaml",
            base.replace("    call: bind\n", "    call: bind\n    bakclog: 1\n"),
            "unknown-key.yaml:22:5: error: unknown field `bakclog`",
            "did you mean `backlog`?",
        ),
        (
            "nested-key.yaml",
            base.replace(
                "      text: \"hello\"\n      from: sender",
                "      txet: \"hello\"\n      from: sender",
            ),
            "nested-key.yaml:41:7: error: unknown field `txet`",
            "did you mean `text`?",
        ),
        (
            "misplaced-key.yaml",
            base.replace("    call: bind\n", "    call: bind\n    eof: true\n"),
            "misplaced-key.yaml:22:5: error: unknown field `eof`",
            "`eof` is a key of `expect:`",
        ),
        (
            "unclosed-quote.yaml",
            base.replace("text: \"hello\"", "text: \"hello"),
            "unclosed-quote.yaml:30:11: error: the quote `\"` opened here is not closed",
            "close it",
        ),
        (
            "port.yaml",
            base.replace("port: 5000", "port: 70000"),
            "port.yaml:15:11: error: port 70000 is out of range",
            "1 to 65535",
        ),
        (
            "address.yaml",
            base.replace("address: 127.0.0.1", "address: 8.8.8.8"),
            "address.yaml:14:14: error: address `8.8.8.8` is outside the sandbox",
            "loopback",
        ),
        (
            "to-address.yaml",
            base.replace(
                "    to: receiver\n    text: \"hello\"",
                "    to: 10.1.2.3:5000\n    text: \"hello\"",
            ),
            "to-address.yaml:29:9: error: address `10.1.2.3` is outside the sandbox",
            "loopback",
        ),
        (
            "empty.yaml",
            String::new(),
            "empty.yaml:1:1: error: the file is empty",
            "netcourse new lesson",
        ),
        (
            "include.yaml",
            base.replace(
                "title: \"UDP: datagrams without a connection\"",
                "title: !include /etc/passwd",
            ),
            "include.yaml:5:8: error: unsupported tag `!include`",
            "can read no other file",
        ),
    ];
    let mut all: Vec<(&str, &str, &str)> = Vec::new();
    for (name, text, _, _) in &cases {
        write(&dir, name, text);
    }
    for (name, _, at, hint) in &cases {
        all.push((name, at, hint));
    }
    all.push((
        "random.yaml",
        "random.yaml:1:1: error: the file is not UTF-8 text",
        "UTF-8",
    ));
    for (name, at, hint) in all {
        let ran = netcourse(&["check", name]).dir(&dir).run();
        no_panic(&ran);
        assert_eq!(ran.status, 1, "check {name}: {}", ran.stderr);
        assert!(
            ran.stderr.starts_with(at),
            "check {name}: expected {at:?} first in:\n{}",
            ran.stderr
        );
        assert!(
            ran.stderr.contains(hint),
            "check {name}: expected hint {hint:?} in:\n{}",
            ran.stderr
        );
        assert!(
            name == "empty.yaml" || ran.stderr.contains("^"),
            "check {name}: no caret:\n{}",
            ran.stderr
        );

        let ran = netcourse(&["run", "lesson", &format!("./{name}")])
            .dir(&dir)
            .run();
        no_panic(&ran);
        assert_eq!(ran.status, 1, "run {name}: {}", ran.stderr);
        assert!(
            ran.stderr.starts_with("error: lesson "),
            "run {name}:\n{}",
            ran.stderr
        );
        assert!(
            ran.stderr.contains(&format!("./{at}")),
            "run {name}: expected ./{at:?} in:\n{}",
            ran.stderr
        );
        assert!(
            ran.stdout.is_empty(),
            "run {name} printed a transcript:\n{}",
            ran.stdout
        );
    }
    // An `!include` never reads the file it names.
    let ran = netcourse(&["check", "include.yaml"]).dir(&dir).run();
    assert!(!ran.stderr.contains("root:"), "{}", ran.stderr);
}

const SEMANTIC: &str = r#"format: 1
name: semantic
title: "Every semantic mistake at once"
summary: "s"
actors:
  - name: receiver
    transport: udp
    port: 5000
  - name: server
    transport: tcp
    port: 50007
  - name: client
    transport: tcp
  - name: lonely
    transport: udp
  - name: far
    transport: udp
    address: 192.168.1.1
    port: 0
steps:
  - id: start
    actor: reciever
    call: bind
  - id: start
    actor: receiver
    call: listen
  - actor: receiver
    call: recvfrom
  - actor: client
    call: connect
    to: server
  - actor: server
    call: recv
  - actor: receiver
    call: bind
  - actor: receiver
    call: sendto
    to: receiver
    text: "hi"
    timeout_ms: 60000
  - actor: server
    call: listen
    backlog: 1000
  - actor: server
    call: bind
  - actor: client
    call: recv
    max: 100000
  - actor: receiver
    call: sendto
    to: receiver
    text: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    repeat: 60
  - actor: receiver
    call: sendto
    to: receiver
    text: "ok"
    checkpoint:
      ask: "Which port, {port.sorce}?"
      answer: port.scr
rules:
  - protocol: udp
    from: reciever
    step: starts
    semantics: "from {ip.source} to {port.dst}"
"#;

/// Every semantic problem of a lesson is reported in one `check`, each at its
/// own line and column; warnings are shown but do not fail a clean lesson.
#[test]
fn check_reports_every_semantic_problem_at_its_line() {
    let dir = scratch("semantic");
    write(&dir, "semantic.yaml", SEMANTIC);
    let ran = netcourse(&["check", "semantic.yaml"]).dir(&dir).run();
    no_panic(&ran);
    assert_eq!(ran.status, 1, "{}", ran.stderr);
    let expected = [
        "semantic.yaml:14:11: warning: actor `lonely` takes no part in any step",
        "semantic.yaml:18:14: error: address `192.168.1.1` is outside the sandbox",
        "semantic.yaml:19:11: error: port 0 is out of range",
        "semantic.yaml:22:12: error: step 1 names actor `reciever`, which the lesson does not declare",
        "semantic.yaml:24:9: error: step id `start` is used twice",
        "semantic.yaml:26:11: error: `listen` is a TCP call, but `receiver` is a UDP actor",
        "semantic.yaml:28:11: error: `receiver` receives before it has an address",
        "semantic.yaml:31:9: error: `client` connects to `server` before it listens",
        "semantic.yaml:33:11: error: `server` receives before it is connected",
        "semantic.yaml:40:17: error: timeout_ms 60000 is out of range (limit `max_timeout_ms`)",
        "semantic.yaml:43:14: error: backlog 1000 is out of range (limit `max_backlog`)",
        "semantic.yaml:42:11: error: `server` listens before it binds",
        "semantic.yaml:48:10: error: max 100000 is out of range (limit `max_recv`)",
        "semantic.yaml:53:13: error: repeat 60 is out of range (limit `max_repeat`)",
        "semantic.yaml:59:25: error: unknown placeholder `{port.sorce}`",
        "semantic.yaml:60:15: error: `port.scr` is not a captured value",
        "semantic.yaml:63:11: error: `from: reciever` is not an actor of this lesson",
        "semantic.yaml:64:11: error: no step has the id `starts`",
        "semantic.yaml:65:22: error: unknown placeholder `{ip.source}`",
    ];
    for e in expected {
        assert!(ran.stderr.contains(e), "expected {e:?} in:\n{}", ran.stderr);
    }
    for hint in [
        "did you mean `receiver`?",
        "did you mean `port.src`?",
        "did you mean `{ip.src}`?",
        "did you mean `start`?",
        "`server` listens in step 8 (line 42)",
    ] {
        assert!(
            ran.stderr.contains(hint),
            "expected hint {hint:?} in:\n{}",
            ran.stderr
        );
    }
}

#[test]
fn more_semantic_problems_and_limits() {
    let dir = scratch("semantic-more");
    let base = std::fs::read_to_string(root().join("lessons/tcp-basics.yaml")).unwrap();
    // A TCP connect to an actor that never listens, a UDP call on a TCP actor.
    let no_listen = base.replace(
        "  - id: server-listens\n    actor: server\n    call: listen\n    backlog: 1\n",
        "  - id: server-listens\n    actor: server\n    call: bind\n",
    );
    write(&dir, "no-listen.yaml", &no_listen);
    let ran = netcourse(&["check", "no-listen.yaml"]).dir(&dir).run();
    assert_eq!(ran.status, 1);
    let to_line = no_listen
        .lines()
        .position(|l| l == "    to: server")
        .unwrap()
        + 1;
    assert!(
        ran.stderr.contains(&format!(
            "no-listen.yaml:{to_line}:9: error: `client` connects to `server`, which never listens"
        )),
        "{}",
        ran.stderr
    );
    let accept_line = no_listen
        .lines()
        .position(|l| l == "    call: accept")
        .unwrap()
        + 1;
    assert!(
        ran.stderr.contains(&format!(
            "no-listen.yaml:{accept_line}:11: error: `server` accepts but never listens"
        )),
        "{}",
        ran.stderr
    );

    let udp_call = base.replace(
        "    call: sendall\n    text: \"how are u\"",
        "    call: sendto\n    to: server\n    text: \"how are u\"",
    );
    write(&dir, "udp-call.yaml", &udp_call);
    let ran = netcourse(&["check", "udp-call.yaml"]).dir(&dir).run();
    let line = udp_call
        .lines()
        .position(|l| l == "    call: sendto")
        .unwrap()
        + 1;
    assert!(
        ran.stderr.contains(&format!(
            "udp-call.yaml:{line}:11: error: `sendto` is a UDP call, but `client` is a TCP actor"
        )),
        "{}",
        ran.stderr
    );

    // Too many steps (counting repeats), too long a total wait.
    let mut many = String::from(
        "format: 1\nname: many\ntitle: t\nsummary: s\nactors:\n  - {name: r, transport: udp, port: 5000}\n  - {name: s, transport: udp}\nsteps:\n  - {actor: r, call: bind}\n",
    );
    for _ in 0..5 {
        many.push_str("  - {actor: s, call: sendto, to: r, text: x, repeat: 50}\n");
    }
    write(&dir, "many.yaml", &many);
    let ran = netcourse(&["check", "many.yaml"]).dir(&dir).run();
    assert_eq!(ran.status, 1);
    assert!(ran.stderr.contains("many.yaml:13:54: error: counting repeats, the lesson runs more than 200 steps by here (limit `max_steps`)"), "{}", ran.stderr);

    let mut waits = String::from(
        "format: 1\nname: waits\ntitle: t\nsummary: s\nactors:\n  - {name: r, transport: udp, port: 5000}\nsteps:\n  - {actor: r, call: bind}\n",
    );
    for _ in 0..31 {
        waits.push_str("  - {actor: r, call: recvfrom, timeout_ms: 10000}\n");
    }
    write(&dir, "waits.yaml", &waits);
    let ran = netcourse(&["check", "waits.yaml"]).dir(&dir).run();
    assert_eq!(ran.status, 1);
    assert!(ran.stderr.contains("waits.yaml:39:44: error: by this step the lesson's waits add up to 310000 ms; the limit is 300000 ms (limit `max_total_wait_ms`)"), "{}", ran.stderr);

    // Payload too large, named by its limit.
    let big = std::fs::read_to_string(root().join("lessons/udp-basics.yaml"))
        .unwrap()
        .replace(
            "text: \"quit\"",
            &format!("text: \"{}\"", "x".repeat(20000)),
        );
    write(&dir, "big.yaml", &big);
    let ran = netcourse(&["check", "big.yaml"]).dir(&dir).run();
    let line = big
        .lines()
        .position(|l| l.starts_with("    text: \"xxx"))
        .unwrap()
        + 1;
    assert!(ran.stderr.contains(&format!("big.yaml:{line}:11: error: payload of 20000 bytes is larger than the limit of 16384 bytes per call (limit `max_payload`)")), "{}", ran.stderr);
}

#[test]
fn sockets_that_cannot_work_are_refused_before_running() {
    let dir = scratch("sockets-that-cannot-work");
    // An IPv6 socket cannot reach an IPv4 address: the run would fail with
    // ENETUNREACH.
    let family = "format: 1\nname: fam\ntitle: t\nsummary: s\nactors:\n  - {name: r, transport: udp, port: 5000}\n  - {name: s, transport: udp, address: \"::1\", port: 6000}\nsteps:\n  - {actor: r, call: bind}\n  - {actor: s, call: bind}\n  - {actor: s, call: sendto, to: r, text: hi}\n  - {actor: s, call: sendto, to: \"[::1]:5000\", text: hi}\n";
    write(&dir, "family.yaml", family);
    for args in [
        &["check", "family.yaml"][..],
        &["run", "lesson", "family.yaml"],
    ] {
        let ran = netcourse(args).dir(&dir).run();
        no_panic(&ran);
        assert_eq!(ran.status, 1, "{}", ran.stderr);
        assert!(ran.stderr.contains("family.yaml:11:34: error: `s` has an IPv6 socket (made for its address ::1), but `r` is at 127.0.0.1, an IPv4 address"), "{}", ran.stderr);
        assert!(
            ran.stderr.contains("hint: a socket speaks one IP version"),
            "{}",
            ran.stderr
        );
        // The IPv6 destination on line 12 is fine.
        assert!(!ran.stderr.contains("family.yaml:12:"), "{}", ran.stderr);
    }
    // A socket with no address takes its version from its first destination.
    let first_dest = "format: 1\nname: fam2\ntitle: t\nsummary: s\nactors:\n  - {name: s, transport: udp}\nsteps:\n  - {actor: s, call: sendto, to: \"[::1]:5000\", text: a}\n  - {actor: s, call: sendto, to: \"127.0.0.1:5000\", text: b}\n";
    write(&dir, "first-dest.yaml", first_dest);
    let ran = netcourse(&["check", "first-dest.yaml"]).dir(&dir).run();
    assert_eq!(ran.status, 1, "{}", ran.stderr);
    assert!(ran.stderr.contains("first-dest.yaml:9:34: error: `s` has an IPv6 socket (made for its first destination, ::1), but 127.0.0.1 is an IPv4 address"), "{}", ran.stderr);

    // Two open sockets on one port: the second bind would fail with EADDRINUSE.
    let clash = "format: 1\nname: clash\ntitle: t\nsummary: s\nactors:\n  - {name: a, transport: udp, port: 5000}\n  - {name: b, transport: udp, port: 5000}\n  - {name: c, transport: tcp, port: 5000}\nsteps:\n  - {actor: a, call: bind}\n  - {actor: b, call: bind}\n  - {actor: c, call: bind}\n";
    write(&dir, "clash.yaml", clash);
    let ran = netcourse(&["check", "clash.yaml"]).dir(&dir).run();
    assert_eq!(ran.status, 1, "{}", ran.stderr);
    assert!(ran.stderr.contains("clash.yaml:11:22: error: `b` binds 127.0.0.1:5000, but `a` already holds 127.0.0.1:5000 (step 1, line 10): this bind would fail with EADDRINUSE"), "{}", ran.stderr);
    // TCP and UDP ports are separate, and so are two loopback addresses.
    let apart = clash.replace(
        "{name: b, transport: udp, port: 5000}",
        "{name: b, transport: udp, address: 127.0.0.2, port: 5000}",
    );
    write(&dir, "apart.yaml", &apart);
    netcourse(&["check", "apart.yaml"]).dir(&dir).run().ok();
    assert!(!ran.stderr.contains("clash.yaml:12:"), "{}", ran.stderr);
    assert!(ran.stderr.contains("clash.yaml: 1 error"), "{}", ran.stderr);

    // Closing the first socket frees the port; so does SO_REUSEADDR on both UDP sockets.
    let freed = "format: 1\nname: freed\ntitle: t\nsummary: s\nactors:\n  - {name: a, transport: udp, port: 5000}\n  - {name: b, transport: udp, port: 5000}\n  - {name: c, transport: udp, port: 5001}\n  - {name: d, transport: udp, port: 5001}\nsteps:\n  - {actor: a, call: bind}\n  - {actor: a, call: close}\n  - {actor: b, call: bind}\n  - {actor: c, call: setsockopt, option: reuseaddr}\n  - {actor: c, call: bind}\n  - {actor: d, call: setsockopt, option: reuseaddr}\n  - {actor: d, call: bind}\n";
    write(&dir, "freed.yaml", freed);
    netcourse(&["check", "freed.yaml"]).dir(&dir).run().ok();
    netcourse(&["run", "lesson", "freed.yaml"])
        .dir(&dir)
        .run()
        .ok();
}

#[test]
fn warnings_alone_do_not_fail() {
    let dir = scratch("warnings");
    let base = std::fs::read_to_string(root().join("lessons/udp-basics.yaml")).unwrap();
    let text = base.replace(
        "  - name: sender\n    transport: udp\n",
        "  - name: sender\n    transport: udp\n  - name: bystander\n    transport: udp\n",
    );
    write(&dir, "warn.yaml", &text);
    let ran = netcourse(&["check", "warn.yaml"]).dir(&dir).run().ok();
    assert!(
        ran.stderr
            .contains("warn.yaml:18:11: warning: actor `bystander` takes no part in any step"),
        "{}",
        ran.stderr
    );
    // Directories are searched by file name: one that differs from `name:` is a warning too.
    assert!(
        ran.stderr.contains(
            "warn.yaml:4:7: warning: the lesson is named `udp-basics`, but its file is `warn`"
        ),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stdout.contains("warn.yaml: ok (2 warnings)"),
        "{}",
        ran.stdout
    );
}

/// Whatever the file holds, `check` answers with problems, never a panic.
#[test]
fn nothing_panics() {
    let dir = scratch("no-panic");
    let base = std::fs::read_to_string(root().join("lessons/tcp-basics.yaml")).unwrap();
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    // Every prefix, cut at 40 places.
    for i in 1..40 {
        let cut = base.len() * i / 40;
        let cut = (0..=cut).rev().find(|c| base.is_char_boundary(*c)).unwrap();
        inputs.push(base.as_bytes()[..cut].to_vec());
    }
    let nasty = [
        "format: 1\nname: x\ntitle: t\nsummary: s\nactors: []\nsteps: []\n",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        "a: &a [*a, *a]\n",
        "x: &x1 [1,2,3,4,5,6,7,8,9,0]\ny: &x2 [*x1,*x1,*x1,*x1,*x1,*x1,*x1,*x1,*x1]\nz: &x3 [*x2,*x2,*x2,*x2,*x2,*x2,*x2,*x2,*x2]\nw: [*x3,*x3,*x3,*x3,*x3,*x3,*x3,*x3,*x3]\n",
        "format: !!binary aGVsbG8=\n",
        "format: 1\nformat: 1\n",
        "format: 1\nname: x\ntitle: t\nsummary: s\nactors: [{name: a, transport: udp, port: 99999999999999999999}]\nsteps: [{actor: a, call: bind}]\n",
        "format: 1\nname: x\ntitle: t\nsummary: s\nactors: [{name: a, transport: tcp}]\nsteps: [{actor: a, call: connect, to: \"[::1]:99999\"}, {actor: a, call: send, hex: \"zz\"}]\nrules: [{semantics: \"{{{}}}{\"}]\n",
        "format: 1\nname: x\ntitle: t\nsummary: s\nactors: [{name: a, transport: udp}]\nsteps: [{actor: a, call: sendto, to: a, text: \"\\xff\", checkpoint: {ask: \"\", answer: \"\", frame: -1}}]\n",
        "\u{feff}format: 1\n",
        "---\n...\n---\n",
        "\t\tformat: 1",
    ];
    for n in nasty {
        inputs.push(n.as_bytes().to_vec());
    }
    inputs.push(vec![0xff; 100]);
    inputs.push(vec![b'a'; 300 * 1024]);
    for (i, input) in inputs.iter().enumerate() {
        let name = format!("in{i}.yaml");
        std::fs::write(dir.join(&name), input).unwrap();
        let ran = netcourse(&["check", &name]).dir(&dir).run();
        no_panic(&ran);
        assert!(
            ran.status == 0 || ran.status == 1,
            "input {i}: exit {}\n{}",
            ran.status,
            ran.stderr
        );
        if ran.status == 1 {
            assert!(ran.stderr.contains(&name), "input {i}: {}", ran.stderr);
        }
    }
}

#[test]
fn new_lesson_writes_a_lesson_that_checks_and_runs() {
    for (transport, dirname) in [("udp", "new-udp"), ("tcp", "new-tcp")] {
        let dir = scratch(dirname);
        let ran = netcourse(&["new", "lesson", "demo", "--transport", transport])
            .dir(&dir)
            .run()
            .ok();
        assert!(ran.stdout.contains("wrote demo.yaml"), "{}", ran.stdout);
        let text = std::fs::read_to_string(dir.join("demo.yaml")).unwrap();
        assert!(
            text.contains("name: demo\n") && text.contains(&format!("transport: {transport}")),
            "{text}"
        );
        assert!(
            text.lines()
                .filter(|l| l.trim_start().starts_with('#'))
                .count()
                >= 10,
            "the lesson should be commented:\n{text}"
        );

        let ran = netcourse(&["check", "demo.yaml"]).dir(&dir).run().ok();
        assert_eq!(ran.stdout.trim(), "demo.yaml: ok", "{}", ran.stderr);
        assert!(ran.stderr.is_empty(), "{}", ran.stderr);

        let ran = netcourse(&["run", "lesson", "./demo.yaml", "--export", "demo.json"])
            .dir(&dir)
            .run()
            .ok();
        assert!(ran.stdout.contains("lesson passed"), "{}", ran.stdout);
        let json = read_json(&dir.join("demo.json"));
        assert_eq!(json["complete"], true);
        let frames = frames(&json);
        let cp: Vec<&Value> = frames
            .iter()
            .filter(|f| f.get("checkpoint").is_some())
            .copied()
            .collect();
        assert_eq!(cp.len(), 1, "one checkpoint: {frames:#?}");
        let (frame, cp) = (cp[0], &cp[0]["checkpoint"]);
        match transport {
            "udp" => {
                assert_eq!(cp["value"], "port.src");
                assert_eq!(cp["answer"], frame["port"]["src"].to_string());
            }
            _ => {
                assert_eq!(cp["value"], "tcp.flags");
                assert_eq!(cp["answer"], "SYN+ACK");
                assert_eq!(frame["tcp"]["flags"], serde_json::json!(["SYN", "ACK"]));
            }
        }

        // Never overwritten.
        let ran = netcourse(&["new", "lesson", "demo"])
            .dir(&dir)
            .run()
            .code(2);
        assert!(
            ran.stderr.contains("`demo.yaml` already exists"),
            "{}",
            ran.stderr
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("demo.yaml")).unwrap(),
            text
        );
    }
    let dir = scratch("new-bad-names");
    for bad in ["../evil", "a/b", "demo.yaml", "-x", "", "a b"] {
        let ran = netcourse(&["new", "lesson", bad]).dir(&dir).run();
        no_panic(&ran);
        assert_eq!(ran.status, 2, "{bad:?}: {}", ran.stderr);
        assert!(
            ran.stderr.contains("is not a simple lesson name") || ran.stderr.contains("error:"),
            "{bad:?}: {}",
            ran.stderr
        );
    }
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "nothing written for bad names"
    );
    assert!(!dir.parent().unwrap().join("evil.yaml").exists());
}

fn titled(name: &str, title: &str) -> String {
    std::fs::read_to_string(root().join("lessons/udp-basics.yaml"))
        .unwrap()
        .replace(
            "title: \"UDP: datagrams without a connection\"",
            &format!("title: \"{title}\""),
        )
        .replace("name: udp-basics", &format!("name: {name}"))
}

/// --lessons > NETCOURSE_LESSONS > ./lessons > built-in, shown by `lessons`
/// and obeyed by `run`.
#[test]
fn lesson_precedence_is_shown_and_obeyed() {
    let dir = scratch("precedence");
    for sub in ["lessons", "env1", "env2", "flag"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    write(
        &dir,
        "lessons/udp-basics.yaml",
        &titled("udp-basics", "from cwd"),
    );
    write(
        &dir,
        "env2/udp-basics.yaml",
        &titled("udp-basics", "from env2"),
    );
    write(&dir, "env1/mine.yaml", &titled("mine", "mine from env1"));
    write(
        &dir,
        "flag/udp-basics.yaml",
        &titled("udp-basics", "from flag"),
    );
    let env = format!(
        "{}:{}",
        dir.join("env1").display(),
        dir.join("env2").display()
    );

    let title_of_run = |extra: &[&str], env: Option<&str>| -> String {
        let out = dir.join("t.json");
        let _ = std::fs::remove_file(&out);
        let mut args = vec![
            "run",
            "lesson",
            "udp-basics",
            "--quiet",
            "--export",
            "t.json",
        ];
        args.extend_from_slice(extra);
        let mut cmd = netcourse(&args).dir(&dir);
        if let Some(e) = env {
            cmd = cmd.env("NETCOURSE_LESSONS", e);
        }
        cmd.run().ok();
        read_json(&out)["lesson"]["title"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        title_of_run(&["--lessons", "flag"], Some(&env)),
        "from flag"
    );
    assert_eq!(title_of_run(&[], Some(&env)), "from env2");
    assert_eq!(title_of_run(&[], None), "from cwd");
    std::fs::remove_file(dir.join("lessons/udp-basics.yaml")).unwrap();
    assert_eq!(
        title_of_run(&[], None),
        "UDP: datagrams without a connection"
    );
    write(
        &dir,
        "lessons/udp-basics.yaml",
        &titled("udp-basics", "from cwd"),
    );

    let ran = netcourse(&["lessons", "--lessons", "flag"])
        .env("NETCOURSE_LESSONS", &env)
        .dir(&dir)
        .run()
        .ok();
    let out = ran.stdout;
    let block = |name: &str| -> String {
        let start = out
            .lines()
            .position(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} not listed:\n{out}"));
        // An entry is its first line and the indented lines under it.
        let lines: Vec<&str> = out.lines().skip(start).collect();
        let len = 1 + lines[1..].iter().take_while(|l| l.starts_with(' ')).count();
        lines[..len].join("\n")
    };
    let udp = block("udp-basics");
    assert!(udp.contains("from flag"), "{udp}");
    assert!(
        udp.contains(&format!(
            "from flag/udp-basics.yaml (--lessons; wins over {}, ./lessons/udp-basics.yaml, built-in)",
            dir.join("env2/udp-basics.yaml").display()
        )),
        "{udp}"
    );
    assert!(
        block("mine").contains(&format!(
            "from {} (NETCOURSE_LESSONS)",
            dir.join("env1/mine.yaml").display()
        )),
        "{out}"
    );
    assert!(block("tcp-basics").ends_with("from built-in"), "{out}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("udp-basics ")).count(),
        1,
        "each name once:\n{out}"
    );

    let ran = netcourse(&["lessons"]).dir(&dir).run().ok();
    assert!(
        ran.stdout
            .contains("from ./lessons/udp-basics.yaml (wins over built-in)"),
        "{}",
        ran.stdout
    );
}

/// A lesson with rules and a checkpoint: the export has the rules' text with
/// the values of the real capture, under the built-in notes, and the
/// checkpoint's answer as captured.
#[test]
fn rules_and_checkpoints_show_up_in_the_export_with_captured_values() {
    let dir = scratch("rules-export");
    write(&dir, "udp-echo.yaml", &worked_example());
    netcourse(&["check", "udp-echo.yaml"]).dir(&dir).run().ok();
    netcourse(&[
        "run",
        "lesson",
        "./udp-echo.yaml",
        "--quiet",
        "--export",
        "echo.json",
    ])
    .dir(&dir)
    .run()
    .ok();
    let json = read_json(&dir.join("echo.json"));
    let frames = frames(&json);
    assert_eq!(frames.len(), 4, "{frames:#?}");
    for (i, f) in frames[..3].iter().enumerate() {
        let step = 3 + i as u64;
        assert_eq!(f["step"], step);
        let semantics = f["notes"]["semantics"].as_str().unwrap();
        let rule = format!(
            "Datagram from client ({}:{}) to server ({}:{}), caused by step {step}.",
            f["ip"]["src"].as_str().unwrap(),
            f["port"]["src"],
            f["ip"]["dst"].as_str().unwrap(),
            f["port"]["dst"]
        );
        assert!(semantics.ends_with(&rule), "frame {i}: {semantics}");
        // The built-in explanation stays, before what the lesson adds.
        assert!(
            semantics.len() > rule.len() + 40 && semantics.contains("\n\n"),
            "{semantics}"
        );
        assert!(
            f["notes"]["syntax"].as_str().unwrap().contains("UDP"),
            "built-in syntax kept"
        );
    }
    assert!(
        frames[0]["notes"]["semantics"]
            .as_str()
            .unwrap()
            .contains("to server (127.0.0.1:7007)")
    );
    // The checkpoint: on the first repeat only, answered from the capture.
    let cp = &frames[0]["checkpoint"];
    assert_eq!(
        cp["question"],
        "How many bytes long is the frame that carries \"ping\"?"
    );
    assert_eq!(cp["value"], "length");
    assert_eq!(cp["answer"], frames[0]["length"].to_string());
    assert_eq!(cp["answer"], "46");
    assert_eq!(
        cp["explain"],
        "14 bytes of Ethernet header, 20 of IPv4, 8 of UDP and 4 of payload: 46."
    );
    assert!(
        cp.get("given").is_none() && cp.get("correct").is_none(),
        "{cp}"
    );
    assert!(frames[1].get("checkpoint").is_none() && frames[2].get("checkpoint").is_none());
    // The `pong` rule appends to the syntax note of the server's answer only.
    let pong = frames[3];
    assert_eq!(pong["actor"], "server");
    assert!(
        pong["notes"]["syntax"]
            .as_str()
            .unwrap()
            .ends_with("The answer: payload \"pong\", 46 bytes in all."),
        "{}",
        pong["notes"]["syntax"]
    );
    assert!(
        !pong["notes"]["semantics"]
            .as_str()
            .unwrap()
            .contains("Datagram from"),
        "the ping rule must not match pong"
    );
}

/// `mode: replace`, flags and the relative TCP numbers, from a TCP run.
#[test]
fn tcp_rules_match_flags_and_quote_tcp_values() {
    let dir = scratch("rules-tcp");
    let base = std::fs::read_to_string(root().join("lessons/tcp-refused.yaml")).unwrap();
    let text = format!(
        "{base}rules:\n  - protocol: tcp\n    flags: [rst]\n    from: kernel\n    to: client\n    semantics: \"Refused: {{tcp.flags}} from port {{port.src}}, ack {{tcp.ack_rel}}, len {{tcp.len}}.\"\n    mode: replace\n  - flags: [SYN]\n    timing: \"SYN seq {{tcp.seq_rel}} (raw {{tcp.seq}}), window {{tcp.window}}, {{{{literal}}}}\"\n"
    );
    write(&dir, "refused.yaml", &text);
    netcourse(&["check", "refused.yaml"]).dir(&dir).run().ok();
    netcourse(&[
        "run",
        "lesson",
        "./refused.yaml",
        "--quiet",
        "--export",
        "r.json",
    ])
    .dir(&dir)
    .run()
    .ok();
    let json = read_json(&dir.join("r.json"));
    let frames = frames(&json);
    let syn = frames
        .iter()
        .find(|f| f["tcp"]["flags"] == serde_json::json!(["SYN"]))
        .expect("a SYN");
    let rst = frames
        .iter()
        .find(|f| {
            f["tcp"]["flags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x == "RST")
        })
        .expect("an RST");
    assert_eq!(
        rst["notes"]["semantics"],
        format!("Refused: RST+ACK from port 50008, ack 1, len 0.")
    );
    let timing = syn["notes"]["timing"].as_str().unwrap();
    assert!(
        timing.ends_with(&format!(
            "SYN seq 0 (raw {}), window {}, {{literal}}",
            syn["tcp"]["seq"], syn["tcp"]["window"]
        )),
        "{timing}"
    );
    assert!(
        !rst["notes"]["timing"].as_str().unwrap().contains("SYN seq"),
        "[SYN] must not match RST+ACK"
    );
}

#[test]
fn check_exits_zero_when_clean_and_one_otherwise() {
    let dir = scratch("exit-codes");
    let good = root().join("lessons/udp-basics.yaml");
    write(&dir, "bad.yaml", "format: 1\n");
    netcourse(&["check", good.to_str().unwrap()]).run().code(0);
    let ran = netcourse(&["check", good.to_str().unwrap(), "bad.yaml", "missing.yaml"])
        .dir(&dir)
        .run()
        .code(1);
    assert!(ran.stdout.contains("udp-basics.yaml: ok"), "{}", ran.stdout);
    assert!(
        ran.stderr.contains("bad.yaml:1:1: error: missing field"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr
            .contains("missing.yaml: error: cannot read lesson `missing.yaml`: no such file"),
        "{}",
        ran.stderr
    );
}

/// Step mode asks a checkpoint's question before its step runs (so neither
/// the call's result nor the frames give it away), grades the typed line
/// against the capture, and the export records it.
#[test]
fn step_mode_asks_checkpoints_and_records_the_answers() {
    let dir = scratch("step-checkpoint");
    netcourse(&["new", "lesson", "hand", "--transport", "tcp"])
        .dir(&dir)
        .run()
        .ok();
    netcourse(&["new", "lesson", "dgram"]).dir(&dir).run().ok();
    // TCP: bind, listen, then the question about the SYN+ACK, asked before
    // connect runs; an answer in other words, then continue.
    let ran = netcourse(&[
        "run",
        "lesson",
        "./hand.yaml",
        "--step",
        "--export",
        "hand.json",
    ])
    .dir(&dir)
    .stdin(b"\n\n\n ack, syn \nc\n")
    .run()
    .ok();
    let ask = ran
        .stdout
        .find("Checkpoint: Which flags will the server's answer to the SYN carry?")
        .expect(&ran.stdout);
    let right = ran
        .stdout
        .find("Right: SYN+ACK. The server's kernel acknowledges the SYN")
        .expect(&ran.stdout);
    let frame = ran.stdout[right..]
        .find("[SYN, ACK]")
        .expect("the frame after the verdict");
    assert!(ask < right && frame > 0);
    assert!(
        !ran.stdout[..ask].contains("connected from"),
        "the call's result must not be shown before the question:\n{}",
        ran.stdout
    );
    assert!(
        !ran.stdout[..right].contains("[SYN, ACK]"),
        "the frame must not be shown before the answer:\n{}",
        ran.stdout
    );
    let json = read_json(&dir.join("hand.json"));
    let cp: Vec<&Value> = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.get("checkpoint"))
        .collect();
    assert_eq!(cp.len(), 1);
    assert_eq!(cp[0]["given"], "ack, syn");
    assert_eq!(cp[0]["correct"], true);

    // UDP: a wrong answer is graded wrong, and the captured port is shown.
    let ran = netcourse(&[
        "run",
        "lesson",
        "./dgram.yaml",
        "--step",
        "--export",
        "dgram.json",
    ])
    .dir(&dir)
    .stdin(b"\n\n0\nc\n")
    .run()
    .ok();
    let json = read_json(&dir.join("dgram.json"));
    let frame = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e.get("checkpoint").is_some())
        .unwrap();
    let port = frame["port"]["src"].to_string();
    assert_eq!(frame["checkpoint"]["answer"], port);
    assert_eq!(frame["checkpoint"]["given"], "0");
    assert_eq!(frame["checkpoint"]["correct"], false);
    assert!(
        ran.stdout
            .contains(&format!("Not quite: you said 0, the frame says {port}.")),
        "{}",
        ran.stdout
    );

    // Skipped with an empty line: shown, not graded.
    let ran = netcourse(&[
        "run",
        "lesson",
        "./dgram.yaml",
        "--step",
        "--export",
        "skip.json",
    ])
    .dir(&dir)
    .stdin(b"\n\n\nc\n")
    .run()
    .ok();
    assert!(ran.stdout.contains("The frame says "), "{}", ran.stdout);
    let json = read_json(&dir.join("skip.json"));
    let frame = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e.get("checkpoint").is_some())
        .unwrap();
    assert!(
        frame["checkpoint"].get("given").is_none() && frame["checkpoint"].get("correct").is_none()
    );
}

#[test]
fn a_checkpoint_about_a_frame_that_never_came_says_so_and_grades_nothing() {
    let dir = scratch("checkpoint-no-frame");
    write(
        &dir,
        "beyond.yaml",
        r#"format: 1
name: beyond
title: "A question about a missing frame"
summary: "One datagram, a question about a second."
actors:
  - { name: r, transport: udp, port: 5000 }
  - { name: s, transport: udp }
steps:
  - { actor: r, call: bind }
  - actor: s
    call: sendto
    to: r
    text: hi
    checkpoint:
      ask: "Which port does the second datagram come from?"
      frame: 2
      answer: port.src
"#,
    );
    let why = "Step 2 put 1 frame on the wire, so there is no frame 2 to read the answer from: this question cannot be graded in this run.";
    // A plain run: the question stays, on the call, with the reason.
    netcourse(&["run", "lesson", "./beyond.yaml", "--export", "plain.json"])
        .dir(&dir)
        .run()
        .ok();
    let json = read_json(&dir.join("plain.json"));
    let with_cp: Vec<&Value> = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e.get("checkpoint").is_some())
        .collect();
    assert_eq!(with_cp.len(), 1);
    assert_eq!(with_cp[0]["kind"], "call");
    assert_eq!(with_cp[0]["checkpoint"]["answer"], "(none)");
    assert_eq!(with_cp[0]["checkpoint"]["explain"], why);
    // Step mode: the answer is recorded, not graded.
    let ran = netcourse(&[
        "run",
        "lesson",
        "./beyond.yaml",
        "--step",
        "--export",
        "step.json",
    ])
    .dir(&dir)
    .stdin(b"\n\n12345\nc\n")
    .run()
    .ok();
    let out = ran.stdout.replace('\n', " ");
    assert!(
        out.contains("Not graded: you said 12345. Step 2 put 1 frame on the wire"),
        "{}",
        ran.stdout
    );
    assert!(!ran.stdout.contains("Not quite"), "{}", ran.stdout);
    let json = read_json(&dir.join("step.json"));
    let cp = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|e| e.get("checkpoint"))
        .unwrap();
    assert_eq!(cp["given"], "12345");
    assert!(cp.get("correct").is_none(), "{cp}");

    // `check` can tell for UDP: a third frame never comes, and the lesson
    // is refused.
    let three = std::fs::read_to_string(dir.join("beyond.yaml"))
        .unwrap()
        .replace("frame: 2", "frame: 3");
    write(&dir, "three.yaml", &three);
    let ran = netcourse(&["check", "three.yaml"]).dir(&dir).run().code(1);
    assert!(ran.stderr.contains("three.yaml:16:14: error: a UDP `sendto` makes one datagram, and at most an ICMP error comes back: there is no frame 3"), "{}", ran.stderr);
}

#[test]
fn calls_on_closed_or_shut_sockets_are_refused_by_check() {
    let dir = scratch("after-close");
    write(
        &dir,
        "closed.yaml",
        r#"format: 1
name: closed
title: "calls after close"
summary: "mistakes"
actors:
  - { name: server, transport: tcp, port: 50007 }
  - { name: alice, transport: tcp }
  - { name: bob, transport: tcp }
  - { name: u, transport: udp }
steps:
  - { actor: server, call: bind }
  - { actor: server, call: listen }
  - { actor: alice, call: connect, to: server }
  - { actor: server, call: accept }
  - { actor: server, call: close, socket: listener }
  - { actor: bob, call: connect, to: server, expect: { error: refused } }
  - { actor: server, call: accept }
  - { actor: alice, call: shutdown, how: write }
  - { actor: alice, call: send, text: "late" }
  - { actor: alice, call: close }
  - { actor: alice, call: recv }
  - { actor: u, call: recv }
"#,
    );
    let ran = netcourse(&["check", "closed.yaml"]).dir(&dir).run();
    assert_eq!(ran.status, 1, "{}", ran.stderr);
    for line in [
        "closed.yaml:17:28: error: `server` accepts after it closed its listening socket (step 5, line 15)",
        "closed.yaml:19:27: error: `alice` sends after it shut down its sending side (step 8, line 18): the call would fail with EPIPE",
        "closed.yaml:21:27: error: `alice` receives after it closed its socket (step 10, line 20)",
        "closed.yaml:22:23: error: `u` receives before it is connected",
        "hint: UDP receives with `recvfrom`, or with `recv` after a `connect` step",
        "closed.yaml: 4 errors",
    ] {
        assert!(
            ran.stderr.contains(line),
            "missing {line:?} in:\n{}",
            ran.stderr
        );
    }
    assert!(!ran.stderr.contains("is a TCP call"), "{}", ran.stderr);

    // `to: reply` before anything was heard has nobody to answer.
    write(
        &dir,
        "reply.yaml",
        "format: 1\nname: reply\ntitle: t\nsummary: s\nactors:\n  - {name: echo, transport: udp, port: 7007}\n  - {name: c, transport: udp}\nsteps:\n  - {actor: echo, call: bind}\n  - {actor: echo, call: sendto, to: reply, text: pong}\n  - {actor: c, call: sendto, to: echo, text: ping}\n  - {actor: echo, call: recvfrom}\n  - {actor: echo, call: sendto, to: reply, text: pong}\n",
    );
    let ran = netcourse(&["check", "reply.yaml"]).dir(&dir).run();
    assert_eq!(ran.status, 1, "{}", ran.stderr);
    assert!(ran.stderr.contains("reply.yaml:10:37: error: `to: reply` answers whoever `echo` last heard from, but it has no `recvfrom` before this step"), "{}", ran.stderr);
    assert!(ran.stderr.contains("reply.yaml: 1 error"), "{}", ran.stderr);
}

/// Lessons that `run` could only fail with a raw errno are refused by
/// `check`, at the step's line (found by a fuzzing review).
#[test]
fn impossible_socket_sequences_are_refused_at_their_line() {
    let dir = scratch("impossible-sequences");
    let head = "format: 1\nname: t\ntitle: t\nsummary: t\nactors:\n  - {name: s, transport: tcp, port: 50007}\n  - {name: c, transport: tcp}\n  - {name: u, transport: udp, port: 5000}\n  - {name: v, transport: udp}\nsteps:\n";
    // (steps, the line of the step at fault (1 = first step), message)
    let cases: &[(&str, usize, &str)] = &[
        (
            "  - {actor: u, call: bind}\n  - {actor: u, call: bind}\n",
            2,
            "`u` binds, but its socket already has an address from its `bind` (step 1, line 11): the kernel answers EINVAL",
        ),
        (
            "  - {actor: u, call: bind}\n  - {actor: v, call: sendto, to: u, text: a}\n  - {actor: v, call: bind}\n",
            3,
            "`v` binds, but its socket already has an address from its `sendto` (step 2, line 12)",
        ),
        (
            "  - {actor: s, call: bind}\n  - {actor: s, call: listen}\n  - {actor: s, call: connect, to: s}\n",
            3,
            "`s` connects, but its socket is listening",
        ),
        (
            "  - {actor: s, call: bind}\n  - {actor: s, call: listen}\n  - {actor: c, call: connect, to: s}\n  - {actor: c, call: listen}\n",
            4,
            "`c` listens, but its socket is connected",
        ),
        (
            "  - {actor: v, call: close}\n",
            1,
            "`v` closes, but has no socket yet",
        ),
        (
            "  - {actor: u, call: bind}\n  - {actor: u, call: close}\n  - {actor: u, call: close}\n",
            3,
            "`u` closes again: it closed its socket in step 2 (line 12)",
        ),
        (
            "  - {actor: s, call: bind}\n  - {actor: s, call: shutdown}\n",
            2,
            "`s` shuts down before it is connected",
        ),
        (
            "  - {actor: s, call: bind}\n  - {actor: s, call: close, socket: listener}\n",
            2,
            "`s` closes its listening socket, but it does not listen",
        ),
        (
            "  - {actor: v, call: sendto, to: \"127.255.255.255:5000\", text: a}\n",
            1,
            "`127.255.255.255` is the broadcast address of 127.0.0.0/8",
        ),
        // The tutorial's order (the server accepts, then the client connects)
        // cannot run one step at a time.
        (
            "  - {actor: s, call: bind}\n  - {actor: s, call: listen}\n  - {actor: s, call: accept}\n  - {actor: c, call: connect, to: s}\n",
            3,
            "`s` accepts, but no client has connected to it since its last `accept`",
        ),
    ];
    for (i, (steps, at, message)) in cases.iter().enumerate() {
        let name = format!("case{i}.yaml");
        write(&dir, &name, &format!("{head}{steps}"));
        let ran = netcourse(&["check", &name]).dir(&dir).run();
        assert_eq!(ran.status, 1, "{name}: {steps}\n{}", ran.stderr);
        let line = 10 + at;
        assert!(
            ran.stderr.contains(&format!("{name}:{line}:")) && ran.stderr.contains(message),
            "{name}: expected {message:?} at line {line} in:\n{}",
            ran.stderr
        );
        assert!(
            ran.stderr.contains(&format!("{name}: 1 error")),
            "{}",
            ran.stderr
        );
    }

    // A datagram checked against a sender that has closed since.
    write(
        &dir,
        "from-closed.yaml",
        &format!(
            "{head}  - {{actor: u, call: bind}}\n  - {{actor: v, call: sendto, to: u, text: hi}}\n  - {{actor: v, call: close}}\n  - {{actor: u, call: recvfrom, expect: {{text: hi, from: v}}}}\n"
        ),
    );
    netcourse(&["run", "lesson", "./from-closed.yaml"])
        .dir(&dir)
        .run()
        .ok();
}

/// Lessons that are right, and that the stricter checks once refused (found
/// by a code review): each passes `check` and runs.
#[test]
fn valid_socket_sequences_still_pass() {
    let dir = scratch("valid-sequences");
    let head = "format: 1\ntitle: t\nsummary: s\n";
    let lessons: &[(&str, &str)] = &[
        (
            "accept-timeout",
            "actors: [{name: server, transport: tcp, port: 50007}]\nsteps:\n  - {actor: server, call: bind}\n  - {actor: server, call: listen}\n  - {actor: server, call: accept, timeout_ms: 100, expect: {error: timeout}}\n",
        ),
        (
            "two-servers",
            "actors:\n  - {name: old, transport: tcp, port: 50007}\n  - {name: new, transport: tcp, port: 50007}\n  - {name: c, transport: tcp}\nsteps:\n  - {actor: old, call: bind}\n  - {actor: old, call: listen}\n  - {actor: old, call: close, socket: listener}\n  - {actor: new, call: bind}\n  - {actor: new, call: listen}\n  - {actor: c, call: connect, to: \"127.0.0.1:50007\"}\n  - {actor: new, call: accept}\n",
        ),
        (
            "refused-retry",
            "actors:\n  - {name: server, transport: tcp, port: 50007}\n  - {name: c, transport: tcp}\nsteps:\n  - {actor: c, call: connect, to: server, expect: {error: refused}}\n  - {actor: c, call: close}\n  - {actor: server, call: bind}\n  - {actor: server, call: listen}\n  - {actor: c, call: connect, to: server}\n  - {actor: server, call: accept}\n",
        ),
        (
            "udp-reopen",
            "actors:\n  - {name: r, transport: udp, port: 5000}\n  - {name: s, transport: udp}\nsteps:\n  - {actor: r, call: bind}\n  - {actor: s, call: sendto, to: r, text: a}\n  - {actor: s, call: close}\n  - {actor: s, call: sendto, to: r, text: b}\n  - {actor: r, call: recvfrom, expect: {text: a}}\n  - {actor: r, call: recvfrom, expect: {text: b}}\n",
        ),
        (
            "half-close",
            "actors:\n  - {name: server, transport: tcp, port: 50007}\n  - {name: c, transport: tcp}\nsteps:\n  - {actor: server, call: bind}\n  - {actor: server, call: listen}\n  - {actor: c, call: connect, to: server}\n  - {actor: server, call: accept}\n  - {actor: c, call: shutdown, how: read}\n  - {actor: c, call: sendall, text: still}\n  - {actor: server, call: recv, expect: {text: still}}\n",
        ),
    ];
    for (name, body) in lessons {
        let file = format!("{name}.yaml");
        write(&dir, &file, &format!("{head}name: {name}\n{body}"));
        let ran = netcourse(&["check", &file]).dir(&dir).run().ok();
        assert!(
            ran.stdout.contains(&format!("{file}: ok")),
            "{}",
            ran.stdout
        );
        netcourse(&["run", "lesson", &format!("./{file}")])
            .dir(&dir)
            .run()
            .ok();
    }

    // A second accept while the first connection is open: allowed, with a
    // warning, and the run explains the FIN that closes the first one.
    write(
        &dir,
        "second-accept.yaml",
        &format!(
            "{head}name: second-accept\nactors:\n  - {{name: server, transport: tcp, port: 50007}}\n  - {{name: a, transport: tcp}}\n  - {{name: b, transport: tcp}}\nsteps:\n  - {{actor: server, call: bind}}\n  - {{actor: server, call: listen}}\n  - {{actor: a, call: connect, to: server}}\n  - {{actor: b, call: connect, to: server}}\n  - {{actor: server, call: accept}}\n  - {{actor: server, call: accept}}\n"
        ),
    );
    let ran = netcourse(&["check", "second-accept.yaml"])
        .dir(&dir)
        .run()
        .ok();
    assert!(ran.stderr.contains("second-accept.yaml:15:27: warning: `server` accepts again while its earlier connection is open"), "{}", ran.stderr);
    netcourse(&[
        "run",
        "lesson",
        "./second-accept.yaml",
        "--export",
        "t.json",
    ])
    .dir(&dir)
    .run()
    .ok();
    let t = read_json(&dir.join("t.json"));
    let events = t["events"].as_array().unwrap();
    let accept = call_of_step(&t, 6);
    assert!(
        accept["notes"]["semantics"]
            .as_str()
            .unwrap()
            .contains("An actor holds one connection")
    );
    let fin = events
        .iter()
        .find(|e| e["kind"] == "frame" && e["step"] == 6)
        .expect("the FIN that closes the first connection");
    assert!(
        fin["tcp"]["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "FIN")
    );
}

#[test]
fn closing_a_connection_leaves_the_listener_holding_its_port() {
    let dir = scratch("listener-holds");
    write(
        &dir,
        "hold.yaml",
        "format: 1\nname: hold\ntitle: t\nsummary: s\nactors:\n  - {name: s, transport: tcp, port: 50007}\n  - {name: c, transport: tcp}\n  - {name: s2, transport: tcp, port: 50007}\nsteps:\n  - {actor: s, call: bind}\n  - {actor: s, call: listen}\n  - {actor: c, call: connect, to: s}\n  - {actor: s, call: accept}\n  - {actor: s, call: close}\n  - {actor: s2, call: bind}\n",
    );
    let ran = netcourse(&["check", "hold.yaml"]).dir(&dir).run();
    assert_eq!(ran.status, 1, "{}", ran.stderr);
    assert!(ran.stderr.contains("hold.yaml:15:23: error: `s2` binds 127.0.0.1:50007, but `s` already holds 127.0.0.1:50007 (step 1, line 10)"), "{}", ran.stderr);
}

//! Golden transcripts: every built-in lesson prints what it printed when the
//! goldens were made, after masking what differs from run to run (ports the
//! OS picks, ISNs and the numbers that follow from them, TCP timestamps, IP
//! identification, checksums, IPv6 flow labels and times); and `check` gives
//! the same problems, at the same lines, on the corpus under
//! tests/golden/check (the broken lessons of the other tests).
//!
//! `NETCOURSE_UPDATE_GOLDEN=1 cargo test --test golden` rewrites the files;
//! review the diff before committing it.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use common::{builtin_lessons, netcourse, scratch};
use serde_json::Value;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn updating() -> bool {
    std::env::var_os("NETCOURSE_UPDATE_GOLDEN").is_some()
}

/// What varies from run to run in one transcript, read from its JSON export.
struct Volatile {
    /// Ports the OS picked, in order of first use.
    ports: Vec<String>,
    /// Raw sequence and acknowledgment numbers and TCP timestamps.
    big: HashSet<String>,
}

fn volatile(t: &Value) -> Volatile {
    let fixed_port: HashSet<(String, bool)> = t["actors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let addr = a["address"].as_str().unwrap();
            (
                a["name"].as_str().unwrap().to_string(),
                addr.ends_with(":0"),
            )
        })
        .collect();
    let mut ports = Vec::new();
    let mut big = HashSet::new();
    for e in t["events"].as_array().unwrap() {
        let picked = fixed_port.contains(&(e["actor"].as_str().unwrap_or("").to_string(), true));
        if e["kind"] == "call"
            && picked
            && let Some(local) = e["call"]["local"].as_str()
        {
            let port = local.rsplit(':').next().unwrap().to_string();
            if !ports.contains(&port) {
                ports.push(port);
            }
        }
        for layer in e["layers"].as_array().into_iter().flatten() {
            for f in layer["fields"].as_array().unwrap() {
                let name = f["name"].as_str().unwrap();
                if matches!(name, "sequence number" | "acknowledgment number")
                    || name.starts_with("option.TS")
                {
                    let value = f["value"].as_str().unwrap();
                    for n in value.split(|c: char| !c.is_ascii_digit()) {
                        if n.len() >= 5 {
                            big.insert(n.to_string());
                        }
                    }
                }
            }
        }
    }
    Volatile { ports, big }
}

/// Words after which a value varies from run to run (raw sequence numbers
/// and timestamps are masked by value instead, so relative ones stay). A
/// space matches any run of whitespace (the terminal wraps lines).
const VARYING_AFTER: &[&str] = &[
    "identification = ",
    "identification ",
    "checksum = ",
    "flow label = ",
    "Flow label ",
];

/// Dissected fields whose value varies from run to run.
const VARYING_FIELDS: &[&str] = &[
    "identification",
    "checksum",
    "header checksum",
    "flow label",
    "sequence number",
    "acknowledgment number",
];

fn match_words(text: &[char], at: usize, words: &str) -> Option<usize> {
    let mut i = at;
    for w in words.chars() {
        if w == ' ' {
            let start = i;
            while i < text.len() && text[i].is_whitespace() {
                i += 1;
            }
            if i == start {
                return None;
            }
        } else if text.get(i) == Some(&w) {
            i += 1;
        } else {
            return None;
        }
    }
    Some(i)
}

/// The end of a number (`123`, `0x1f`) starting at `at`, if one does.
fn number_end(text: &[char], at: usize) -> Option<usize> {
    let mut i = at;
    if text.get(i) == Some(&'0') && text.get(i + 1) == Some(&'x') {
        i += 2;
        while text.get(i).is_some_and(|c| c.is_ascii_hexdigit()) {
            i += 1;
        }
        return (i > at + 2).then_some(i);
    }
    while text.get(i).is_some_and(|c| c.is_ascii_digit()) {
        i += 1;
    }
    (i > at).then_some(i)
}

fn mask(text: &str, v: &Volatile) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    'scan: while i < chars.len() {
        let boundary = i == 0 || !chars[i - 1].is_alphanumeric();
        if boundary {
            for words in VARYING_AFTER {
                if let Some(j) = match_words(&chars, i, words)
                    && let Some(mut end) = number_end(&chars, j)
                {
                    out.extend(&chars[i..j]);
                    out.push_str("<X>");
                    // `0xba79 (47737)`: the same value in decimal.
                    if let Some(k) = match_words(&chars, end, " (")
                        && let Some(e) = number_end(&chars, k)
                        && chars.get(e) == Some(&')')
                    {
                        out.push_str(" (<X>");
                        end = e;
                    }
                    i = end;
                    continue 'scan;
                }
            }
        }
        let prev_word = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '.');
        if !prev_word && chars[i] == '0' && chars.get(i + 1) == Some(&'x') {
            // Hex values are masked only where they vary (above).
            let end = number_end(&chars, i).unwrap_or(i + 2);
            out.extend(&chars[i..end]);
            i = end;
            continue 'scan;
        }
        if !prev_word && (chars[i].is_ascii_digit() || chars[i] == '+') {
            let start = i;
            let mut j = i + usize::from(chars[i] == '+');
            if let Some(end) = number_end(&chars, j) {
                j = end;
                let digits: String = chars[start + usize::from(chars[start] == '+')..j]
                    .iter()
                    .collect();
                // A time: `12.5 µs`, `+0.166 ms`, `1 s`.
                let mut k = j;
                if chars.get(k) == Some(&'.') && number_end(&chars, k + 1).is_some() {
                    k = number_end(&chars, k + 1).unwrap();
                }
                if let Some(u) = match_words(&chars, k, " ") {
                    for unit in ["µs", "ms", "ns", "s"] {
                        if let Some(e) = match_words(&chars, u, unit)
                            && !chars.get(e).is_some_and(|c| c.is_alphanumeric())
                        {
                            out.push_str("<T>");
                            i = e;
                            continue 'scan;
                        }
                    }
                }
                if chars[start] != '+' && chars.get(j) != Some(&'.') {
                    if v.big.contains(&digits) {
                        out.push_str("<N>");
                        i = j;
                        continue 'scan;
                    }
                    if let Some(p) = v.ports.iter().position(|p| *p == digits) {
                        out.push_str(&format!("<port{}>", p + 1));
                        i = j;
                        continue 'scan;
                    }
                }
                out.extend(&chars[start..j]);
                i = j;
                continue 'scan;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// The JSON export with its volatile values masked; keys ending in `_ns`
/// are times, `data_hex` holds every volatile byte at once.
fn mask_json(value: &Value, key: &str, v: &Volatile) -> Value {
    match value {
        Value::Object(m) => {
            // A dissected field whose value varies from run to run.
            let varies = m
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| VARYING_FIELDS.contains(&n) || n.starts_with("option.TS"));
            Value::Object(
                m.iter()
                    .map(|(k, x)| match k.as_str() {
                        "value" if varies => (k.clone(), Value::String("<X>".into())),
                        _ => (k.clone(), mask_json(x, k, v)),
                    })
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| mask_json(x, key, v)).collect()),
        Value::String(s) if key == "data_hex" => Value::String(format!("<{} hex digits>", s.len())),
        Value::String(s) => Value::String(mask(s, v)),
        Value::Number(_) if key.ends_with("_ns") => Value::String("<T>".into()),
        Value::Number(n) => match mask(&n.to_string(), v) {
            m if m == n.to_string() => value.clone(),
            m => Value::String(m),
        },
        _ => value.clone(),
    }
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Where two texts first differ, with some context, for the failure message.
fn first_difference(want: &str, got: &str) -> String {
    if let Some((n, (w, g))) = want
        .lines()
        .zip(got.lines())
        .enumerate()
        .find(|(_, (w, g))| w != g)
    {
        return format!("line {}:\ngolden: {w}\nnow:    {g}", n + 1);
    }
    let at = want
        .chars()
        .zip(got.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let around = |s: &str| -> String { s.chars().skip(at.saturating_sub(120)).take(240).collect() };
    format!("golden:\n…{}…\nnow:\n…{}…", around(want), around(got))
}

/// Compare with a golden file, or write it when updating. Terminal text
/// wraps where the masked values' widths fall, so `loose` compares with
/// whitespace squeezed.
fn compare(path: &Path, got: &str, loose: bool) {
    if let Err(e) = differs(path, got, loose) {
        panic!("{e}");
    }
}

/// Whether `got` equals the golden at `path` (or, when updating, write it).
fn differs(path: &Path, got: &str, loose: bool) -> Result<(), String> {
    if updating() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, got).unwrap();
        return Ok(());
    }
    let want = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; make it with NETCOURSE_UPDATE_GOLDEN=1 cargo test --test golden",
            path.display()
        )
    });
    let (w, g) = if loose {
        (squeeze(&want), squeeze(got))
    } else {
        (want.clone(), got.to_string())
    };
    if w == g {
        Ok(())
    } else {
        Err(format!(
            "{} differs from the golden\n{}",
            path.display(),
            first_difference(&w, &g)
        ))
    }
}

#[test]
fn every_builtin_lesson_prints_its_golden_transcript() {
    let dir = scratch("golden");
    for name in builtin_lessons() {
        if common::VARYING.contains(&name) {
            continue;
        }
        // A lesson with a router may interleave two links' frames in another
        // order from run to run (real concurrency: the router's ARP on one
        // link while the next fragment arrives on the other); a change in
        // what the lesson prints fails every one of three runs.
        let mut attempt = 0;
        loop {
            attempt += 1;
            match lesson_matches_golden(&dir, name) {
                Ok(()) => break,
                Err(e) if attempt < 3 => eprintln!("{name}: {e}\nrunning it again"),
                Err(e) => panic!("{e}"),
            }
        }
    }
}

/// Run `name` once and compare its output and export with the goldens.
fn lesson_matches_golden(dir: &Path, name: &str) -> Result<(), String> {
    {
        let json = dir.join(format!("{name}.json"));
        // Real TCP timing: a run the machine stalled for 30 ms may put other
        // frames on the wire (see `common::stall`); take one that kept pace.
        let mut tries = 0;
        let (ran, t) = loop {
            let ran = netcourse(&[
                "run",
                "lesson",
                name,
                "--color",
                "never",
                // What every run printed before levels of detail existed.
                "--detail",
                "full",
                "--export",
                json.to_str().unwrap(),
            ])
            // Not the repository's own `./lessons`: the built-in lesson.
            .dir(dir)
            .run()
            .ok();
            let t = common::read_json(&json);
            tries += 1;
            match common::stall(&t) {
                Some(why) if tries < 5 => eprintln!("{name}: stalled ({why}), again"),
                _ => break (ran, t),
            }
        };
        assert!(ran.stderr.is_empty(), "{name}: {}", ran.stderr);
        let v = volatile(&t);
        let gold = golden_dir().join("lessons");
        differs(
            &gold.join(format!("{name}.txt")),
            &mask(&ran.stdout, &v),
            true,
        )?;
        let masked = serde_json::to_string_pretty(&mask_json(&t, "", &v)).unwrap() + "\n";
        differs(&gold.join(format!("{name}.json")), &masked, false)
    }
}

#[test]
fn check_gives_the_same_problems_on_the_corpus() {
    let root = golden_dir().join("check");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("ARGS").exists())
        .collect();
    cases.sort();
    assert!(
        cases.len() > 50,
        "the corpus is missing: {}",
        root.display()
    );
    for case in cases {
        let args = std::fs::read_to_string(case.join("ARGS")).unwrap();
        let mut argv = vec!["check"];
        argv.extend(args.lines().filter(|l| !l.is_empty()));
        let ran = netcourse(&argv).dir(&case).run();
        let got = format!(
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            ran.status, ran.stdout, ran.stderr
        );
        compare(&case.join("EXPECTED"), &got, false);
    }
}

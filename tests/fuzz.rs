//! Seeded, bounded fuzzing in `cargo test`: the real frames, lessons and
//! transcripts of the corpus, mutated (bit flips, truncations, length-field
//! tweaks, splices, …) by a small deterministic PRNG, through the properties
//! of fuzz/oracle.rs (no panic; every field inside its layer; layers do not
//! overlap; check, plan and replay agree).
//!
//! By default each target runs a fixed number of inputs from a fixed seed, so
//! a failure reproduces. For a long run (docs/fuzzing.md):
//!
//!     NETCOURSE_FUZZ_SECONDS=3600 cargo test --test fuzz -- --nocapture
//!
//! runs each target for that long, from a seed taken from the clock unless
//! `NETCOURSE_FUZZ_SEED` gives one. Every failing input is saved (the path
//! is printed) to be replayed with `NETCOURSE_FUZZ_REPLAY=FILE`.

#[path = "../fuzz/oracle.rs"]
mod oracle;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// xorshift64*: deterministic, no crate needed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// 0..n (0 when n is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Values that sit on the edges length and type fields are checked against.
const EDGE_BYTES: &[u8] = &[
    0, 1, 2, 3, 4, 5, 6, 8, 0x0f, 0x10, 0x14, 0x28, 0x3c, 0x7f, 0x80, 0xfe, 0xff,
];

/// Byte mutations, for frames and (as raw bytes) for text files.
fn mutate_bytes(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    let len = input.len();
    match rng.below(9) {
        // Bit flips.
        0 => {
            for _ in 0..=rng.below(4) {
                if len > 0 {
                    let i = rng.below(len);
                    input[i] ^= 1 << rng.below(8);
                }
            }
        }
        // A byte set to an edge value or noise.
        1 => {
            if len > 0 {
                let i = rng.below(len);
                input[i] = if rng.chance(2) {
                    *rng.pick(EDGE_BYTES)
                } else {
                    rng.next() as u8
                };
            }
        }
        // Truncation, often in the headers.
        2 => {
            let cut = if rng.chance(2) {
                rng.below(len.min(80) + 1)
            } else {
                rng.below(len + 1)
            };
            input.truncate(cut);
        }
        // A length field tweak: a 16-bit (or 8-bit) field in the headers set
        // to an edge, or to a length this very input makes meaningful.
        3 | 4 => {
            if len >= 2 {
                let at = rng.below(len.min(80) - 1);
                let edges = [0, 1, 7, 8, 19, 20, 39, 40, len - at, len, len + 1, 0xffff];
                let v = (*rng.pick(&edges)).min(0xffff) as u16;
                if rng.chance(3) {
                    input[at] = v as u8;
                } else {
                    input[at..at + 2].copy_from_slice(&v.to_be_bytes());
                }
            }
        }
        // Splice: this input's head, another's tail.
        5 => {
            let other = rng.pick(corpus);
            let head = rng.below(len + 1);
            let tail = rng.below(other.len() + 1);
            input.truncate(head);
            input.extend_from_slice(&other[tail..]);
        }
        // Bytes inserted (noise, or a run copied from elsewhere in the input).
        6 => {
            let at = rng.below(len + 1);
            let n = 1 + rng.below(16);
            let bytes: Vec<u8> = if len > 0 && rng.chance(2) {
                let from = rng.below(len);
                input[from..(from + n).min(len)].to_vec()
            } else {
                (0..n).map(|_| rng.next() as u8).collect()
            };
            input.splice(at..at, bytes);
        }
        // Bytes removed.
        7 => {
            if len > 0 {
                let at = rng.below(len);
                let n = 1 + rng.below(16);
                input.drain(at..(at + n).min(len));
            }
        }
        // A 32-bit field set to an edge.
        _ => {
            if len >= 4 {
                let at = rng.below(len - 3);
                let v: u32 = *rng.pick(&[0, 1, 0x7fff_ffff, 0x8000_0000, u32::MAX]);
                input[at..at + 4].copy_from_slice(&v.to_be_bytes());
            }
        }
    }
}

/// Tokens that mean something to YAML, JSON, the lesson format or a terminal.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    "'",
    ": ",
    "- ",
    "\n",
    "\t",
    "#",
    "&a ",
    "*a",
    "<<: ",
    "!!binary ",
    "~",
    "null",
    "true",
    "0x",
    "-1",
    "1e999",
    "NaN",
    ".inf",
    "\u{202e}",
    "\u{200b}",
    "\u{1b}[2J",
    "\u{1b}]52;c;aGk=\u{7}",
    "\u{0}",
    "é",
    "{{",
    "}}",
    "{{x}}",
    "reply",
    "repeat: 3",
    "- call: recv",
];

/// Numbers on the edges of what a lesson or transcript checks.
const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "255",
    "256",
    "65535",
    "65536",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999",
    "0.5",
    "1e308",
];

/// Text-aware mutations: numbers, lines and tokens; falls back to bytes.
fn mutate_text(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    match rng.below(6) {
        // A number replaced by an edge.
        0 => {
            let digits: Vec<usize> = (0..input.len())
                .filter(|&i| {
                    input[i].is_ascii_digit() && (i == 0 || !input[i - 1].is_ascii_digit())
                })
                .collect();
            if !digits.is_empty() {
                let start = *rng.pick(&digits);
                let end = (start..input.len())
                    .find(|&i| !input[i].is_ascii_digit())
                    .unwrap_or(input.len());
                input.splice(start..end, rng.pick(NUMBERS).bytes());
            }
        }
        // A line deleted, duplicated, or taken from another file.
        1 | 2 => {
            let mut lines: Vec<Vec<u8>> =
                input.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
            let i = rng.below(lines.len());
            match rng.below(3) {
                0 => {
                    lines.remove(i);
                }
                1 => {
                    let line = lines[i].clone();
                    for _ in 0..=rng.below(3) {
                        lines.insert(i, line.clone());
                    }
                }
                _ => {
                    let other = rng.pick(corpus);
                    let theirs: Vec<&[u8]> = other.split(|&b| b == b'\n').collect();
                    lines.insert(i, rng.pick(&theirs).to_vec());
                }
            }
            *input = lines.join(&b'\n');
        }
        // A token inserted.
        3 => {
            let at = rng.below(input.len() + 1);
            input.splice(at..at, rng.pick(TOKENS).bytes());
        }
        _ => mutate_bytes(rng, input, corpus),
    }
}

/// Numbers on the edges of what a transcript's fields hold.
const JSON_NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "255",
    "65536",
    "4294967296",
    "9007199254740993",
    "18446744073709551615",
    "-9223372036854775808",
    "1e300",
    "0.5",
];

/// A transcript mutated as data, so it stays well-formed and reaches the
/// renderers: one node somewhere in the tree changed, written back as JSON
/// (which YAML reads too). False when `input` is neither JSON nor YAML.
fn mutate_json(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) -> bool {
    let parsed = serde_json::from_slice::<serde_json::Value>(input)
        .ok()
        .or_else(|| {
            let text = std::str::from_utf8(input).ok()?;
            serde_saphyr::from_str::<serde_json::Value>(text).ok()
        });
    let Some(mut v) = parsed else {
        return false;
    };
    mutate_node(rng, &mut v, corpus);
    *input = serde_json::to_vec_pretty(&v).expect("a Value serializes");
    true
}

fn mutate_node(rng: &mut Rng, v: &mut serde_json::Value, corpus: &[Vec<u8>]) {
    use serde_json::Value;
    // Walk down to a random node, stopping early now and then.
    match v {
        Value::Array(items) if !items.is_empty() && !rng.chance(10) => {
            let i = rng.below(items.len());
            return mutate_node(rng, &mut items[i], corpus);
        }
        Value::Object(map) if !map.is_empty() && !rng.chance(10) => {
            let key = map.keys().nth(rng.below(map.len())).cloned();
            if let Some(child) = key.and_then(|k| map.get_mut(&k)) {
                return mutate_node(rng, child, corpus);
            }
        }
        _ => {}
    }
    match v {
        Value::Array(items) => match rng.below(3) {
            0 if !items.is_empty() => {
                items.remove(rng.below(items.len()));
            }
            1 if !items.is_empty() => {
                let i = rng.below(items.len());
                let copy = items[i].clone();
                items.insert(i, copy);
            }
            _ => items.reverse(),
        },
        Value::Object(map) => {
            let key = map.keys().nth(rng.below(map.len().max(1))).cloned();
            match key {
                Some(k) if rng.chance(3) => {
                    map.remove(&k);
                }
                Some(k) => {
                    map.insert(k, Value::Null);
                }
                None => {
                    map.insert("x".into(), Value::Null);
                }
            }
        }
        Value::String(text) => {
            let is_hex = !text.is_empty()
                && text.len() % 2 == 0
                && text.bytes().all(|b| b.is_ascii_hexdigit());
            if is_hex && !rng.chance(4) {
                // Frame bytes: mutated as a frame.
                let mut bytes: Vec<u8> = (0..text.len() / 2)
                    .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap_or(0))
                    .collect();
                mutate_bytes(rng, &mut bytes, corpus);
                *text = oracle::hex(&bytes);
            } else {
                let mut bytes = text.clone().into_bytes();
                mutate_text(rng, &mut bytes, corpus);
                *text = String::from_utf8_lossy(&bytes).into_owned();
            }
        }
        Value::Number(_) | Value::Null => {
            let number: &str = JSON_NUMBERS[rng.below(JSON_NUMBERS.len())];
            *v = serde_json::from_str(number).unwrap_or(Value::Null);
        }
        Value::Bool(b) => *b = !*b,
    }
}

struct Target {
    name: &'static str,
    corpus: Vec<(PathBuf, Vec<u8>)>,
    text: bool,
    /// Inputs in a default (bounded) run.
    inputs: usize,
    /// Runs one input; true when it got past the first checks (a frame read
    /// to the end, a lesson that passes `check`, a transcript replay accepts).
    run: fn(&Path, &[u8], &Path) -> bool,
    /// What `run` returning true means, for the summary line.
    deep: &'static str,
}

fn read_dir(dir: &Path, ext: &[&str]) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| ext.contains(&x))
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, bytes)
        })
        .collect()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The file's extension, as the transcript target needs it (`json`, `yaml`).
fn extension(p: &Path) -> &str {
    p.extension().and_then(|x| x.to_str()).unwrap_or("json")
}

fn dissect_target() -> Target {
    Target {
        name: "dissect",
        corpus: read_dir(&root().join("fuzz/corpus/dissect"), &["bin"]),
        text: false,
        inputs: 20_000,
        run: |_, bytes, _| oracle::frame(bytes),
        deep: "read to the end",
    }
}

/// One application protocol's dissector: its corpus is the messages of
/// the built-in lesson for it, plus hand-made ones (fuzz/corpus/app-NAME).
fn app_target(name: &'static str, run: fn(&Path, &[u8], &Path) -> bool) -> Target {
    Target {
        name,
        corpus: read_dir(&root().join(format!("fuzz/corpus/{name}")), &["bin"]),
        text: false,
        inputs: 3_000,
        run,
        deep: "decoded without a stop",
    }
}

fn lesson_target() -> Target {
    Target {
        name: "lesson",
        // The lessons netcourse ships are the corpus.
        corpus: read_dir(&root().join("lessons"), &["yaml"]),
        text: true,
        inputs: 1_500,
        run: |_, bytes, scratch| oracle::lesson(bytes, scratch),
        deep: "passed check",
    }
}

fn replay_target() -> Target {
    Target {
        name: "replay",
        corpus: read_dir(&root().join("fuzz/corpus/replay"), &["json", "yaml"]),
        text: true,
        inputs: 400,
        run: |seed_path, bytes, scratch| oracle::transcript(bytes, extension(seed_path), scratch),
        deep: "accepted by replay",
    }
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    let parsed = match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => v.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={v} is not a number")))
}

/// Runs `input` through the target; on a failure saves it and fails with where.
fn check_one(t: &Target, seed_path: &Path, input: &[u8], scratch: &Path, what: &str) -> bool {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        (t.run)(seed_path, input, scratch)
    }));
    if let Ok(deep) = outcome {
        return deep;
    }
    let dir = std::env::temp_dir().join("netcourse-fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let file = dir.join(format!("{}-{hash:016x}.{}", t.name, extension(seed_path)));
    let saved = match std::fs::write(&file, input) {
        Ok(()) => format!(
            "the input is saved in {0}: replay it with NETCOURSE_FUZZ_REPLAY={0}",
            file.display()
        ),
        Err(e) => format!(
            "the input could not be saved in {} ({e}); as hex: {}",
            file.display(),
            oracle::hex(input)
        ),
    };
    panic!(
        "fuzz target `{}` failed on {what} (mutated from {}); {saved}",
        t.name,
        seed_path.display()
    );
}

/// Every seed as it is, then mutants until the input count (or, with
/// NETCOURSE_FUZZ_SECONDS, the time) is used up. Returns the inputs run.
fn fuzz(t: Target) -> u64 {
    assert!(
        !t.corpus.is_empty(),
        "the `{}` corpus is empty: the fuzz test would test nothing",
        t.name
    );
    let scratch = oracle::scratch_dir().join(t.name);
    std::fs::create_dir_all(&scratch).unwrap();
    let seconds = env_u64("NETCOURSE_FUZZ_SECONDS");
    let seed = env_u64("NETCOURSE_FUZZ_SEED").unwrap_or_else(|| match seconds {
        Some(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
        None => 0x6e65_7463_6f75_7273,
    });
    // A saved failure, replayed: just that input, by the target that made it.
    if let Ok(file) = std::env::var("NETCOURSE_FUZZ_REPLAY") {
        let path = PathBuf::from(file);
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(t.name))
        {
            let input = std::fs::read(&path).unwrap();
            check_one(&t, &path, &input, &scratch, "the replayed input");
            return 1;
        }
        return 0;
    }
    let deadline = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    // NETCOURSE_FUZZ_INPUTS: this many inputs per target instead of the default.
    let inputs = env_u64("NETCOURSE_FUZZ_INPUTS").unwrap_or(t.inputs as u64);
    let all: Vec<Vec<u8>> = t.corpus.iter().map(|(_, b)| b.clone()).collect();
    let mut rng = Rng::new(seed ^ t.name.len() as u64);
    let (mut count, mut deep) = (0u64, 0u64);
    for (path, bytes) in &t.corpus {
        deep += u64::from(check_one(
            &t,
            path,
            bytes,
            &scratch,
            "a corpus file as it is",
        ));
        count += 1;
    }
    let started = Instant::now();
    loop {
        let done = match deadline {
            Some(d) => Instant::now() >= d,
            None => count >= inputs,
        };
        if done {
            break;
        }
        let (path, seed_bytes) = rng.pick(&t.corpus);
        let mut input = seed_bytes.clone();
        // A JSON file is mostly changed as data (so it stays JSON and gets
        // past the parser), now and then as text.
        let as_data = t.text && !rng.chance(4);
        for _ in 0..=rng.below(4) {
            if !t.text {
                mutate_bytes(&mut rng, &mut input, &all);
            } else if !(as_data && mutate_json(&mut rng, &mut input, &all)) {
                mutate_text(&mut rng, &mut input, &all);
            }
        }
        let what = format!("input {count} of seed {seed:#x}");
        deep += u64::from(check_one(&t, path, &input, &scratch, &what));
        count += 1;
    }
    let _ = std::fs::remove_dir_all(&scratch);
    // The per-process directory goes with the last target to finish.
    if let Some(parent) = scratch.parent() {
        let _ = std::fs::remove_dir(parent);
    }
    eprintln!(
        "fuzz {}: {count} inputs ({deep} {}) from seed {seed:#x} in {:.1} s, no failure",
        t.name,
        t.deep,
        started.elapsed().as_secs_f64()
    );
    count
}

/// Inputs were run (none only when replaying another target's failure).
fn ran(count: u64) -> bool {
    count > 0 || std::env::var_os("NETCOURSE_FUZZ_REPLAY").is_some()
}

#[test]
fn dissector_keeps_every_field_inside_its_layer() {
    assert!(ran(fuzz(dissect_target())));
}

#[test]
fn app_dns_never_panics_and_keeps_fields_inside() {
    assert!(ran(fuzz(app_target("app-dns", |_, b, _| oracle::app(
        "dns", b
    )))));
}

#[test]
fn app_http_never_panics_and_keeps_fields_inside() {
    assert!(ran(fuzz(app_target("app-http", |_, b, _| oracle::app(
        "http", b
    )))));
}

#[test]
fn app_smtp_never_panics_and_keeps_fields_inside() {
    assert!(ran(fuzz(app_target("app-smtp", |_, b, _| oracle::app(
        "smtp", b
    )))));
}

#[test]
fn app_ftp_never_panics_and_keeps_fields_inside() {
    assert!(ran(fuzz(app_target("app-ftp", |_, b, _| oracle::app(
        "ftp", b
    )))));
}

#[test]
fn app_telnet_never_panics_and_keeps_fields_inside() {
    assert!(ran(fuzz(app_target("app-telnet", |_, b, _| oracle::app(
        "telnet", b
    )))));
}

#[test]
fn lesson_check_and_plan_agree_and_never_panic() {
    assert!(ran(fuzz(lesson_target())));
}

#[test]
fn replay_accepts_what_it_exports_and_never_panics() {
    assert!(ran(fuzz(replay_target())));
}

#[test]
fn the_prng_and_mutations_are_deterministic() {
    let corpus = vec![b"abc: 12\nx: 3".to_vec(), vec![0u8; 60]];
    let run = || {
        let mut rng = Rng::new(42);
        let mut out = Vec::new();
        for i in 0..200 {
            let mut input = corpus[i % 2].clone();
            mutate_text(&mut rng, &mut input, &corpus);
            mutate_bytes(&mut rng, &mut input, &corpus);
            out.push(input);
        }
        out
    };
    let (a, b) = (run(), run());
    assert_eq!(a, b);
    // The mutations do change inputs.
    assert!(a.iter().filter(|m| !corpus.contains(m)).count() > 150);
}

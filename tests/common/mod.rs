//! A small builder for running the netcourse binary as a user would: as a
//! subprocess (the sandbox must be entered before any thread exists, and the
//! test harness has many).

#![allow(dead_code)]

pub mod chromium;
pub mod tmux;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct Netcourse {
    args: Vec<String>,
    env: Vec<(String, String)>,
    dir: Option<PathBuf>,
    stdin: Option<Vec<u8>>,
    by_nobody: bool,
}

pub struct Ran {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    pub fn ok(self) -> Ran {
        assert_eq!(
            self.status, 0,
            "netcourse failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
    pub fn code(self, code: i32) -> Ran {
        assert_eq!(
            self.status, code,
            "unexpected exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Built-in lessons whose exact frames differ from run to run: a megabyte
/// of real TCP (tcp-bulk) is cut into segments and acknowledged in a
/// pattern that depends on timing. Tests that pin a lesson's frames or
/// transcript skip them; each has a test of what does not vary.
pub const VARYING: &[&str] = &["tcp-bulk"];

/// Every built-in lesson, by name: tests that cover "every lesson" follow
/// the list the binary embeds.
pub fn builtin_lessons() -> Vec<&'static str> {
    netcourse::lesson::load::BUILTIN
        .iter()
        .map(|(name, _)| *name)
        .collect()
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_netcourse")
}

pub fn netcourse(args: &[&str]) -> Netcourse {
    Netcourse {
        args: args.iter().map(|s| s.to_string()).collect(),
        env: vec![],
        dir: None,
        stdin: None,
        by_nobody: false,
    }
}

impl Netcourse {
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }
    pub fn dir(mut self, d: &Path) -> Self {
        self.dir = Some(d.to_path_buf());
        self
    }
    pub fn stdin(mut self, s: &[u8]) -> Self {
        self.stdin = Some(s.to_vec());
        self
    }
    /// Run as the unprivileged user `nobody` (when we are root and setpriv exists).
    pub fn by_nobody(mut self) -> Self {
        self.by_nobody = true;
        self
    }

    pub fn run(self) -> Ran {
        // Not root: already an ordinary user, as `nobody` would be.
        let mut cmd = if self.by_nobody && is_root() {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", bin()]);
            c
        } else {
            Command::new(bin())
        };
        cmd.args(&self.args)
            .env("NO_COLOR", "1")
            .env_remove("NETCOURSE_LESSONS");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        if let Some(d) = &self.dir {
            cmd.current_dir(d);
        }
        cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn netcourse");
        if let Some(input) = &self.stdin {
            use std::io::Write;
            let mut s = child.stdin.take().unwrap();
            let _ = s.write_all(input);
        }
        let Output {
            status,
            stdout,
            stderr,
        } = child.wait_with_output().expect("wait for netcourse");
        Ran {
            status: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into(),
            stderr: String::from_utf8_lossy(&stderr).into(),
        }
    }
}

pub fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A test that cannot run without `tool`: fails when it is missing (such a
/// test is marked ignored at build time when the tool is missing outside CI,
/// see build.rs, so reaching here without it means `CI=true`).
#[allow(dead_code)]
pub fn require(tool: &str) {
    assert!(
        have(tool),
        "`{tool}` is not installed, and this test needs it (CI=true)"
    );
}

/// For the part of a test that needs `tool`: whether to run it. Missing
/// under `CI=true` fails the test; otherwise the skip is said out loud.
#[allow(dead_code)]
pub fn tool(tool: &str) -> bool {
    if have(tool) {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "`{tool}` is not installed, and CI=true: this check must run"
    );
    eprintln!("{tool} not installed: skipped the part of this test that needs it (CI installs it)");
    false
}

pub fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// A scratch directory that everyone (including `nobody`) can write.
/// Under cargo's own `target/tmp`, so test runs leave nothing in /tmp and
/// `cargo clean` removes them.
pub fn scratch(name: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let parent = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&parent).unwrap();
    // Shared by root's and nobody's runs of the same test binaries.
    let _ = std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o1777));
    let dir = parent.join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    dir
}

/// Run `lesson` quietly with a JSON export into `dir`, and read the export.
#[allow(dead_code)]
pub fn run_json(lesson: &str, dir: &Path) -> serde_json::Value {
    let out = dir.join("t.json");
    netcourse(&[
        "run",
        "lesson",
        lesson,
        "--quiet",
        "--export",
        out.to_str().unwrap(),
    ])
    .run()
    .ok();
    read_json(&out)
}

pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(
        &std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display())),
    )
    .expect("valid JSON")
}

pub fn hex_to_bytes(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}

/// The call event of step `step` (1-based).
pub fn call_of_step(t: &serde_json::Value, step: u64) -> &serde_json::Value {
    t["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "call" && e["step"] == step)
        .unwrap_or_else(|| panic!("no call event for step {step}"))
}

/// The frame events of a transcript, in order.
pub fn frames(t: &serde_json::Value) -> Vec<&serde_json::Value> {
    t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "frame")
        .collect()
}

/// The captured bytes of frame events as a pcap tshark can read.
pub fn write_frames_pcap(path: &Path, frames: &[&serde_json::Value]) {
    let bytes: Vec<Vec<u8>> = frames
        .iter()
        .map(|f| hex_to_bytes(f["data_hex"].as_str().unwrap()))
        .collect();
    write_pcap(path, &bytes);
}

/// Write frames as a classic pcap (Ethernet link type) for tshark.
pub fn write_pcap(path: &Path, frames: &[Vec<u8>]) {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&262144u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        out.extend_from_slice(&(i as u32).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(f);
    }
    std::fs::write(path, out).unwrap();
}

/// `tshark -T fields` over a pcap: one Vec per frame, one String per field.
pub fn tshark_fields(pcap: &Path, fields: &[&str]) -> Vec<Vec<String>> {
    let mut cmd = Command::new("tshark");
    cmd.args(["-n", "-o", "tcp.relative_sequence_numbers:TRUE", "-r"])
        .arg(pcap)
        .args(["-T", "fields"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("run tshark");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        // Tab-separated; a value (a packet comment) may hold anything else.
        .map(|l| l.splitn(fields.len(), '\t').map(str::to_string).collect())
        .collect()
}

/// A run of `lesson` that kept pace (see `stall`), as JSON: up to five
/// tries, each in a scratch directory of its own (`tag-N`).
#[allow(dead_code)]
pub fn run_kept_pace(lesson: &str, tag: &str) -> serde_json::Value {
    let mut why = String::new();
    for i in 0..5 {
        let t = run_json(lesson, &scratch(&format!("{tag}-{i}")));
        match stall(&t) {
            None => return t,
            Some(w) => why = w,
        }
    }
    panic!("{lesson}: five runs in a row stalled ({why}): the machine is too busy to measure");
}

/// Where a run stalled: the machine kept the run from making its next call
/// for 30 ms or more. TCP's own timing depends on how fast the programs
/// answer (a reply within the 40 ms delayed-ACK minimum carries the ACK, a
/// slower one does not), so a stalled run may put other, equally real frames
/// on the wire. Counted as a stall: two events 30 ms or more apart, unless
/// the earlier is a `sleep` or the later a frame a timer sent or the
/// protocol held back; and a timer's frame the lesson did not wait for — no
/// `sleep` since the event that armed it, and its step's call did not wait
/// for a frame that came after it. None when the run kept pace.
pub fn stall(t: &serde_json::Value) -> Option<String> {
    let events = t["events"].as_array()?;
    let held = |e: &serde_json::Value| {
        e["notes"]["timing"]
            .as_str()
            .is_some_and(|n| n.contains("held"))
    };
    let sleep_steps: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["call"]["name"] == "sleep")
        .map(|e| &e["step"])
        .collect();
    for pair in events.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let gap = b["time_ns"]
            .as_u64()?
            .saturating_sub(a["time_ns"].as_u64()?);
        if gap >= 30_000_000
            && !sleep_steps.contains(&&a["step"])
            && !b["timer"].is_object()
            && !held(b)
        {
            return Some(format!(
                "{} ms between events #{} and #{}",
                gap / 1_000_000,
                a["index"],
                b["index"]
            ));
        }
    }
    // On `lo` nothing is lost: a segment sent again means its ACK came later
    // than the sender's (few-millisecond, on a fast path) retransmission or
    // probe timer allowed — the machine stalled the receiver.
    if t["network"]["interface"] == "lo"
        && let Some(e) = events.iter().find(|e| {
            e["timer"]["kind"]
                .as_str()
                .is_some_and(|k| k.contains("retransmi"))
        })
    {
        return Some(format!(
            "the kernel sent #{} again ({}): on `lo` only a late ACK explains that",
            e["index"], e["timer"]["kind"]
        ));
    }
    // On a lesson's wire a segment is sent again after a loss the lesson
    // made; one whose first copy crossed, when no answer the other way was
    // dropped, was sent again because its ACK came later than the
    // sender's timer (a tail-loss probe: 10 ms or more) allowed.
    if let Some(e) = events.iter().find(|e| {
        e["timer"]["kind"]
            .as_str()
            .is_some_and(|k| k.contains("retransmission"))
            && e["timer"]["armed_by"].as_u64().is_some_and(|first| {
                let Some(first) = events.iter().find(|x| x["index"].as_u64() == Some(first)) else {
                    return false;
                };
                let from = &first["crossing"]["from_end"];
                let crossed = first["crossing"]["to_ends"]
                    .as_array()
                    .is_some_and(|to| !to.is_empty());
                let answer_dropped = events.iter().any(|x| {
                    x["crossing"]["from_end"] != *from
                        && x["crossing"]["wire"]
                            .as_str()
                            .is_some_and(|w| w.starts_with("dropped"))
                });
                crossed && !answer_dropped
            })
    }) {
        return Some(format!(
            "the kernel sent #{} again ({}) though its first copy crossed: only a late ACK explains that",
            e["index"], e["timer"]["kind"]
        ));
    }
    for (i, e) in events.iter().enumerate() {
        let Some(armed) = e["timer"]["armed_by"].as_u64() else {
            continue;
        };
        // Only the delayed-ACK timer (40 ms) is short enough for a stalled
        // step to let it fire; a retransmission (200 ms or more) is what a
        // lesson that drops a frame is about.
        if e["timer"]["kind"] != "delayed-ack" {
            continue;
        }
        let slept = events[..i]
            .iter()
            .any(|x| x["index"].as_u64() > Some(armed) && x["call"]["name"] == "sleep");
        let waited = events.iter().any(|c| {
            c["kind"] == "call"
                && c["step"] == e["step"]
                && c["call"]["data_hex"].as_str().is_some_and(|d| {
                    !d.is_empty()
                        && events[i + 1..].iter().any(|f| {
                            f["step"] == e["step"]
                                && f["data_hex"].as_str().is_some_and(|h| h.ends_with(d))
                        })
                })
        });
        if !slept && !waited {
            return Some(format!(
                "the {} timer sent #{} though the lesson did not wait for it",
                e["timer"]["kind"], e["index"]
            ));
        }
    }
    None
}

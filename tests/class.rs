//! Class mode (`netcourse serve lesson`, `replay --serve`): the teacher in
//! step mode (piped, or in a real terminal through tmux), students as HTTP
//! clients written here and as headless Chromium pages.

mod common;
use common::*;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A lesson with one checkpoint (step 3: the frame's length, 46 bytes).
const LESSON: &str = include_str!("golden/check/055-instructor/udp-echo.yaml");

fn lesson_in(dir: &Path) -> PathBuf {
    let p = dir.join("udp-echo.yaml");
    std::fs::write(&p, LESSON).unwrap();
    p
}

/// (port, join code) from the URL in `text`.
fn find_url(text: &str) -> Option<(u16, String)> {
    let at = text.find("http://127.0.0.1:")?;
    let rest = &text[at + "http://127.0.0.1:".len()..];
    let port: u16 = rest.split('/').next()?.parse().ok()?;
    let code = rest.split("?code=").nth(1)?;
    let code: String = code
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    (code.len() == 10).then_some((port, code))
}

struct Reply {
    status: u16,
    head: String,
    body: String,
}

/// One HTTP/1.1 request on its own connection.
fn http(port: u16, method: &str, path: &str, cookie: Option<&str>, body: &[u8]) -> Reply {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(c) = cookie {
        req.push_str(&format!("Cookie: netcourse_student={c}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Reply {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

/// A student: the page (and its cookie).
fn join(port: u16, code: &str) -> (String, String) {
    let r = http(port, "GET", &format!("/?code={code}"), None, b"");
    assert_eq!(r.status, 200, "{}", r.head);
    let cookie = r
        .head
        .lines()
        .find_map(|l| l.strip_prefix("Set-Cookie: netcourse_student="))
        .expect("a student cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    (cookie, r.body)
}

/// The messages of an event stream, collected by a thread.
type Log = Arc<Mutex<Vec<(String, String)>>>;

fn follow(port: u16, code: &str) -> Log {
    let log: Log = Arc::default();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET /events?code={code} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    )
    .unwrap();
    let into = log.clone();
    std::thread::spawn(move || {
        let mut event = String::new();
        for line in BufReader::new(s).lines() {
            let Ok(line) = line else { break };
            if let Some(e) = line.strip_prefix("event: ") {
                event = e.to_string();
            } else if let Some(d) = line.strip_prefix("data: ") {
                into.lock().unwrap().push((event.clone(), d.to_string()));
            }
        }
    });
    log
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn count(log: &Log, event: &str) -> usize {
    log.lock()
        .unwrap()
        .iter()
        .filter(|(e, _)| e == event)
        .count()
}

/// The teacher on a pipe: one command per line.
struct Piped {
    child: Child,
    stdin: ChildStdin,
    out: Arc<Mutex<String>>,
    reader: std::thread::JoinHandle<()>,
}

impl Piped {
    fn start(dir: &Path, args: &[&str]) -> Piped {
        let mut child = Command::new(bin())
            .args(args)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let out: Arc<Mutex<String>> = Arc::default();
        let into = out.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                into.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Piped {
            child,
            stdin,
            out,
            reader,
        }
    }

    fn url(&self) -> (u16, String) {
        let mut found = None;
        wait_for("the class URL", || {
            found = find_url(&self.out.lock().unwrap());
            found.is_some()
        });
        found.unwrap()
    }

    fn line(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
    }

    fn output(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    fn finish(self) -> (i32, String, String) {
        let Piped {
            mut child,
            stdin,
            out,
            reader,
        } = self;
        drop(stdin);
        let status = child.wait().unwrap();
        let _ = reader.join();
        let mut err = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut err);
        let out = out.lock().unwrap().clone();
        (status.code().unwrap_or(-1), out, err)
    }
}

#[test]
fn requests_need_the_code_and_answers_are_bounded_cleaned_and_counted() {
    let dir = scratch("class-piped");
    let lesson = lesson_in(&dir);
    let mut t = Piped::start(
        &dir,
        &[
            "serve",
            "lesson",
            lesson.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--export",
            "t.json",
        ],
    );
    let (port, code) = t.url();
    // Without the code, or with a wrong one, nothing.
    for path in [
        "/",
        "/events",
        "/?code=",
        "/?code=aaaaaaaaaa",
        "/events?code=x",
        "/answer?checkpoint=3",
    ] {
        let method = if path.starts_with("/answer") {
            "POST"
        } else {
            "GET"
        };
        let r = http(port, method, path, None, b"5");
        assert_eq!(r.status, 403, "{path}: {}", r.head);
        assert!(
            !r.body.contains("hello") && !r.body.contains("udp-echo"),
            "{}",
            r.body
        );
    }
    assert_eq!(
        http(port, "GET", &format!("/nothing?code={code}"), None, b"").status,
        404
    );
    assert_eq!(
        http(port, "DELETE", &format!("/?code={code}"), None, b"").status,
        405
    );
    let log = follow(port, &code);
    let students: Vec<String> = (0..6).map(|_| join(port, &code).0).collect();
    let answer = |who: &str, text: &[u8]| {
        http(
            port,
            "POST",
            &format!("/answer?code={code}&checkpoint=3"),
            Some(who),
            text,
        )
    };
    // Before the checkpoint is open, no answer counts.
    assert_eq!(answer(&students[0], b"46").status, 409);
    t.line(""); // start
    for _ in 0..3 {
        t.line(""); // run steps 1, 2, then open step 3's checkpoint
    }
    wait_for("the checkpoint", || count(&log, "checkpoint") == 1);
    // What the class has before the reveal holds no answer and no frame.
    let (_, page) = join(port, &code);
    for data in log
        .lock()
        .unwrap()
        .iter()
        .map(|(_, d)| d.clone())
        .chain([page])
    {
        assert!(!data.contains("\"answer\""), "{data}");
        assert!(!data.contains("\"kind\":\"frame\""), "{data}");
    }
    assert_eq!(answer(&students[0], &vec![b'4'; 5000]).status, 413);
    assert_eq!(answer(&students[0], "9".repeat(101).as_bytes()).status, 413);
    assert_eq!(answer("forged", b"46").status, 403);
    assert_eq!(answer(&students[0], b"46").status, 200);
    assert_eq!(answer(&students[0], b"47").status, 409, "one answer each");
    assert_eq!(answer(&students[1], b" 046 ").status, 200);
    assert_eq!(answer(&students[2], b"46").status, 200);
    assert_eq!(
        answer(&students[3], b"\x1b[2J\x1b]0;owned\x07 50").status,
        200
    );
    assert_eq!(answer(&students[4], b"fifty").status, 200);
    t.line(""); // close the answers, run step 3
    // The answers are closed now; the reveal waits for the frame.
    wait_for("step 3's call", || count(&log, "view") == 3);
    assert_eq!(answer(&students[5], b"46").status, 409);
    assert_eq!(count(&log, "reveal"), 0);
    t.line(""); // the frame, with the verdict and the tally
    wait_for("the reveal", || count(&log, "reveal") == 1);
    let reveal = log
        .lock()
        .unwrap()
        .iter()
        .find(|(e, _)| e == "reveal")
        .unwrap()
        .1
        .clone();
    let reveal: serde_json::Value = serde_json::from_str(&reveal).unwrap();
    assert_eq!(reveal["answer"], "46");
    assert_eq!(reveal["answered"], 5);
    assert_eq!(reveal["right"].as_array().unwrap().len(), 3);
    wait_for("the tally", || t.output().contains("Class: "));
    t.line("c");
    t.line(""); // stop serving
    let (rc, out, err) = t.finish();
    assert_eq!(rc, 0, "{out}\n{err}");
    let tally = out.lines().find(|l| l.starts_with("Class: ")).unwrap();
    assert!(tally.contains("3 said 46 (right)"), "{tally}");
    assert!(tally.contains("1 said fifty"), "{tally}");
    assert!(tally.contains("3 of 5 right"), "{tally}");
    // The escape sequences reached the teacher as harmless text.
    assert!(!out.contains('\x1b') && !out.contains('\x07'), "{out:?}");
    let class = read_json(&dir.join("t.class.json"));
    let cp = &class["checkpoints"][0];
    assert_eq!(
        (
            cp["step"].as_u64(),
            cp["answered"].as_u64(),
            cp["right"].as_u64()
        ),
        (Some(3), Some(5), Some(3))
    );
    assert_eq!(cp["groups"][0]["answer"], "46");
    assert_eq!(cp["groups"][0]["count"], 3);
    assert!(!class.to_string().contains(&students[0]), "anonymous");
    assert_eq!(read_json(&dir.join("t.json"))["complete"], true);
}

#[test]
fn floods_are_refused() {
    let dir = scratch("class-flood");
    let lesson = lesson_in(&dir);
    let mut t = Piped::start(
        &dir,
        &[
            "serve",
            "lesson",
            lesson.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
    );
    let (port, code) = t.url();
    // One address, one connection after another, as fast as it goes.
    let mut refused = 0;
    for _ in 0..1300 {
        if http(port, "GET", &format!("/events-none?code={code}"), None, b"").status == 429 {
            refused += 1;
        }
    }
    assert!(refused >= 100, "only {refused} of 1300 refused");
    t.line("q");
    let (rc, out, err) = t.finish();
    assert_eq!(rc, 0, "{out}\n{err}");
}

/// Headless Chromium's DOM of a page once loaded and drawn (it dumps at the
/// load event; the event stream stays open, so `--timeout` only bounds it).
fn chromium_dom(url: &str, name: &str) -> Option<String> {
    if !tool("chromium") {
        return None;
    }
    let profile = scratch(&format!("chromium-class-{name}"));
    let out: Output = Command::new("timeout")
        .args([
            "120",
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
        ])
        .args([
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--timeout=5000")
        .arg("--dump-dom")
        .arg(url)
        .output()
        .expect("run chromium");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        out.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The page's console (an exception in its script) is on stderr.
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        !log.contains("Uncaught"),
        "the class page's script failed:\n{log}"
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn attr(dom: &str, name: &str) -> Option<String> {
    let at = dom.find(&format!("{name}=\""))? + name.len() + 2;
    Some(dom[at..].split('"').next()?.to_string())
}

#[test]
#[cfg_attr(
    missing_chromium,
    ignore = "chromium is not installed (CI installs it)"
)]
fn two_pages_show_what_the_teacher_revealed_and_nothing_later() {
    let dir = scratch("class-chromium");
    let lesson = lesson_in(&dir);
    let mut t = Piped::start(
        &dir,
        &[
            "serve",
            "lesson",
            lesson.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
    );
    let (port, code) = t.url();
    let url = format!("http://127.0.0.1:{port}/?code={code}");
    let log = follow(port, &code);
    t.line("");
    t.line(""); // step 1 runs: its call is shown
    wait_for("step 1's call", || count(&log, "view") == 1);
    let first = chromium_dom(&url, "first");
    t.line(""); // step 2
    t.line(""); // step 3's checkpoint opens
    wait_for("the checkpoint", || count(&log, "checkpoint") == 1);
    let second = chromium_dom(&url, "second");
    if let (Some(first), Some(second)) = (first, second) {
        assert_eq!(
            attr(&first, "data-rendered").as_deref(),
            Some("ok"),
            "{first}"
        );
        assert_eq!(attr(&first, "data-events").as_deref(), Some("1"), "{first}");
        assert!(first.contains("bind"), "{first}");
        assert_eq!(
            attr(&second, "data-events").as_deref(),
            Some("2"),
            "{second}"
        );
        assert_eq!(
            attr(&second, "data-arrows").as_deref(),
            Some("0"),
            "{second}"
        );
        assert!(
            second.contains("How many bytes long is the frame"),
            "{second}"
        );
        // Neither the frame nor its answer is anywhere in the page's data.
        assert!(
            !second.contains("46 (length)") && !second.contains("\"answer\""),
            "{second}"
        );
    }
    t.line(""); // the answers close; step 3 runs
    t.line(""); // its frame
    wait_for("the frame", || count(&log, "view") == 4);
    if let Some(third) = chromium_dom(&url, "third") {
        assert_eq!(attr(&third, "data-arrows").as_deref(), Some("1"), "{third}");
        assert!(third.contains("the frame says 46"), "{third}");
    }
    t.line("q");
    let (rc, out, err) = t.finish();
    assert_eq!(rc, 0, "{out}\n{err}");
}

#[test]
fn replay_serve_asks_again_without_the_recorded_answers() {
    let dir = scratch("class-replay");
    let lesson = lesson_in(&dir);
    let saved = dir.join("saved.json");
    netcourse(&[
        "run",
        "lesson",
        lesson.to_str().unwrap(),
        "--step",
        "--export",
        saved.to_str().unwrap(),
    ])
    .stdin(b"\n\n\n46\nc\n")
    .run()
    .ok();
    let mut t = Piped::start(
        &dir,
        &[
            "replay",
            saved.to_str().unwrap(),
            "--serve",
            "--listen",
            "127.0.0.1:0",
        ],
    );
    let (port, code) = t.url();
    let log = follow(port, &code);
    let (student, _) = join(port, &code);
    t.line("");
    for _ in 0..3 {
        t.line("");
    }
    wait_for("the checkpoint", || count(&log, "checkpoint") == 1);
    let r = http(
        port,
        "POST",
        &format!("/answer?code={code}&checkpoint=3"),
        Some(&student),
        b"45",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    t.line("c");
    wait_for("the end", || count(&log, "end") == 1);
    t.line("");
    let (rc, out, err) = t.finish();
    assert_eq!(rc, 0, "{out}\n{err}");
    assert!(out.contains("Class: 1 said 45"), "{out}");
    // The answer recorded in the file is not this class's.
    for (e, d) in log.lock().unwrap().iter() {
        assert!(!d.contains("\"given\""), "{e}: {d}");
    }
}

/// The teacher's screen once it shows `what`.
fn screen_with(tm: &common::tmux::Tmux, what: &str) -> String {
    tm.wait(&format!("`{what}` on screen"), |t| {
        t.visible().contains(what)
    });
    tm.visible()
}

#[test]
#[cfg_attr(missing_tmux, ignore = "tmux is not installed (CI installs it)")]
fn tmux_teacher_sees_the_count_then_the_tally() {
    let dir = scratch("class-tmux");
    let lesson = lesson_in(&dir);
    let tm = common::tmux::Tmux::start(
        "class-tmux-teacher",
        &[
            "serve",
            "lesson",
            lesson.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--export",
            "t.json",
        ],
        &[],
    )
    .unwrap();
    let screen = screen_with(&tm, "Press Enter to start");
    let (port, code) = find_url(&screen).expect("the URL on screen");
    let log = follow(port, &code);
    let students: Vec<String> = (0..4).map(|_| join(port, &code).0).collect();
    tm.keys(&["Enter"]);
    for step in 1..=3 {
        screen_with(&tm, &format!("run step {step}/13"));
        tm.keys(&["n"]);
    }
    screen_with(&tm, "close the answers and run step 3/13 (0 answered");
    wait_for("the checkpoint", || count(&log, "checkpoint") == 1);
    let post = |who: &str, text: &[u8]| {
        http(
            port,
            "POST",
            &format!("/answer?code={code}&checkpoint=3"),
            Some(who),
            text,
        )
        .status
    };
    assert_eq!(post(&students[0], b"46"), 200);
    // The count on the teacher's screen follows the answers as they come.
    screen_with(&tm, "(1 answered");
    assert_eq!(post(&students[1], b"46"), 200);
    assert_eq!(post(&students[2], b"0x2e"), 200);
    assert_eq!(post(&students[3], b"\x1b[31m42\x1b[0m"), 200);
    screen_with(&tm, "(4 answered");
    tm.keys(&["n"]); // close the answers, run the step
    screen_with(&tm, "frame 1/1");
    tm.keys(&["n"]); // the frame, its verdict, the class's tally
    let screen = screen_with(&tm, "Class: ");
    assert!(screen.contains("3 said 46 (right)"), "{screen}");
    // The escape sequences arrive as plain text: ESC became a space.
    assert!(screen.contains("1 said [31m42 [0m"), "{screen}");
    assert!(screen.contains("3 of 4 right"), "{screen}");
    tm.keys(&["c"]);
    screen_with(&tm, "Press Enter to stop serving");
    tm.keys(&["Enter"]);
    assert_eq!(tm.wait_done(), 0, "{}", tm.visible());
    let class = read_json(&tm.path("t.class.json"));
    assert_eq!(class["checkpoints"][0]["answered"], 4);
    assert_eq!(class["checkpoints"][0]["right"], 3);
}

/// What a student's page shows now, read in the page: the number of events
/// it draws, the latest one's index and text, the open question, the
/// verdict, and everything it holds but its code (the DOM with the JSON
/// data islands, without the scripts).
const PAGE_NOW: &str = r#"(function () {
  function $(id) { return document.getElementById(id); }
  var t = JSON.parse($('transcript').textContent || '{}'), ev = t.events || [];
  var all = $('all'), last = all && all.lastElementChild;
  var copy = document.documentElement.cloneNode(true);
  Array.prototype.forEach.call(copy.querySelectorAll('script:not([type="application/json"])'),
    function (s) { s.parentNode.removeChild(s); });
  return {
    events: Number(document.documentElement.getAttribute('data-events') || -1),
    last_index: ev.length ? ev[ev.length - 1].index : 0,
    last_text: last ? last.textContent : '',
    question: $('ask').hidden ? '' : $('question').textContent,
    verdict: $('verdict').hidden ? '' : $('verdict').textContent,
    now: $('now').textContent,
    data: copy.outerHTML
  };
})()"#;

/// The latest event the teacher's screen shows: (its index, its line).
fn teacher_latest(screen: &str) -> (u64, String) {
    screen
        .lines()
        .filter_map(|l| {
            let n: String = l
                .strip_prefix('#')?
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            l[1 + n.len()..]
                .starts_with(' ')
                .then(|| Some((n.parse().ok()?, l.to_string())))?
        })
        .max_by_key(|(n, _)| *n)
        .unwrap_or((0, String::new()))
}

/// What gives the checkpoint's answer away (the frame of step 3 is 46
/// bytes long): none of it may reach a page before the reveal.
const ANSWER: [&str; 5] = [
    "the frame says 46",
    "46 (length)",
    "payload: 46",
    "\"answer\":",
    "\"kind\":\"frame\"",
];

#[test]
#[cfg_attr(
    missing_chromium,
    ignore = "needs chromium (CI installs it; the test fails there if it is missing)"
)]
#[cfg_attr(
    missing_tmux,
    ignore = "needs tmux (CI installs it; the test fails there if it is missing)"
)]
fn two_live_pages_follow_a_tmux_teacher_key_by_key() {
    require("chromium");
    require("tmux");
    let dir = scratch("class-live");
    let lesson = lesson_in(&dir);
    let teacher = common::tmux::Tmux::start(
        "class-live-teacher",
        &[
            "serve",
            "lesson",
            lesson.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--export",
            "t.json",
        ],
        &[("NO_COLOR", "1")],
    )
    .unwrap();
    teacher.wait("the class URL", |t| {
        t.visible().contains("Press Enter to start")
    });
    let (port, code) = find_url(&teacher.screen()).expect("the URL on screen");
    let url = format!("http://127.0.0.1:{port}/?code={code}");
    // Both pages join before the lesson starts, and follow it live.
    let mut browser = chromium::Browser::start(&dir.join("profile"), &dir.join("chromium.log"));
    let pages: Vec<String> = [(390, 900), (1400, 900)]
        .into_iter()
        .map(|(w, h)| browser.page(w, h, &["Network", "Runtime"]))
        .collect();
    for p in &pages {
        browser.navigate(p, &url);
    }
    // Each teacher key, and the legend it leads to.
    let keys = [
        ("Enter", "[n]ext: run step 1/13"),
        ("n", "[n]ext: run step 2/13"),
        ("n", "[n]ext: run step 3/13"),
        ("n", "[n]ext: close the answers and run step 3/13"),
        ("n", "[n]ext: frame 1/1 of this step"),
        ("n", "[n]ext: run step 4/13"),
        ("n", "[n]ext: frame 1/1 of this step"),
        ("n", "[n]ext: run step 5/13"),
        ("c", "Press Enter to stop serving"),
    ];
    let mut checked_closed = false;
    let mut revealed = false;
    for (key, legend) in keys {
        teacher.keys(&[key]);
        teacher.wait(legend, |t| {
            t.visible()
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .is_some_and(|l| l.contains(legend))
        });
        let screen = teacher.screen();
        let (shown, line) = teacher_latest(&screen);
        let open = screen.contains("[n]ext: close the answers");
        // Once on the teacher's screen, the answer is revealed for good.
        revealed |= screen.contains("The frame says 46");
        let over = legend.starts_with("Press Enter");
        for p in &pages {
            let at = format!("after `{key}` (teacher at #{shown}: {line}), page {p}");
            let now = browser.poll(p, PAGE_NOW, |v| {
                (over || v["events"] == shown)
                    && (!open || v["question"] != "")
                    && (!revealed || v["question"] == "")
                    && (v["verdict"] != "") == revealed
                    && (!over || v["now"] == "The lesson is over.")
            });
            let quiet = |v: &serde_json::Value| {
                let mut v = v.clone();
                v["data"] = "…".into();
                v
            };
            if over {
                // The teacher's screen now holds the summary; the export
                // below says how many events there were.
                assert_eq!(now["now"], "The lesson is over.", "{at}: {}", quiet(&now));
                continue;
            }
            assert_eq!(now["events"], shown, "{at}: {}", quiet(&now));
            assert_eq!(now["last_index"], shown, "{at}: {}", quiet(&now));
            if shown > 0 {
                // The page's latest event is the teacher's: the same index
                // at the same time since the lesson began.
                let time = line.split_whitespace().nth(1).unwrap_or("?");
                let heading = format!("#{shown} · {time} ms · ");
                assert!(
                    now["last_text"].as_str().unwrap().contains(&heading),
                    "{at}: the latest event is not `{heading}`: {}",
                    quiet(&now)
                );
            }
            // The question stays on the page from its opening to the reveal.
            if revealed {
                assert_eq!(now["question"], "", "{at}: {}", quiet(&now));
            }
            if open {
                assert!(
                    now["question"]
                        .as_str()
                        .unwrap()
                        .contains("How many bytes long is the frame"),
                    "{at}: {}",
                    quiet(&now)
                );
            }
            // Everything the page received over its event stream.
            let received: Vec<String> = browser
                .events(p, "Network.eventSourceMessageReceived")
                .iter()
                .map(|m| {
                    let text = |k: &str| m[k].as_str().unwrap_or_default().to_string();
                    format!("{}: {}", text("eventName"), text("data"))
                })
                .collect();
            if revealed {
                let verdict = now["verdict"].as_str().unwrap();
                assert!(
                    verdict.contains("the frame says 46 (length)"),
                    "{at}: {}",
                    quiet(&now)
                );
                assert!(
                    received.iter().any(|m| m.contains("\"answer\":\"46\"")),
                    "{at}: {received:#?}"
                );
            } else {
                assert_eq!(now["verdict"], "", "{at}: {}", quiet(&now));
                let data = now["data"].as_str().unwrap();
                for give_away in ANSWER {
                    assert!(!data.contains(give_away), "{at}: `{give_away}` in\n{data}");
                    for m in &received {
                        assert!(!m.contains(give_away), "{at}: `{give_away}` received: {m}");
                    }
                }
                if open {
                    assert!(
                        received.iter().any(|m| m.starts_with("checkpoint: ")),
                        "{at}: the question came over the stream: {received:#?}"
                    );
                    checked_closed = true;
                }
            }
        }
    }
    assert!(checked_closed, "the open checkpoint was checked");
    for p in &pages {
        let thrown = browser.events(p, "Runtime.exceptionThrown");
        assert!(thrown.is_empty(), "the page's script failed: {thrown:#?}");
    }
    teacher.keys(&["Enter"]);
    assert_eq!(teacher.wait_done(), 0, "{}", teacher.screen());
    // Both pages hold every event of the lesson, the last one last.
    let export = teacher.export();
    let events = export["events"].as_array().unwrap();
    for p in &pages {
        let now = browser.evaluate(p, PAGE_NOW);
        assert_eq!(now["events"], events.len(), "page {p}");
        assert_eq!(
            now["last_index"],
            events.last().unwrap()["index"],
            "page {p}"
        );
    }
}

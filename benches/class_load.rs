//! Class mode under a lecture hall's load, on loopback: 300 pages follow
//! `serve lesson` over Server-Sent Events while 300 students answer its
//! checkpoint. The teacher presses Enter through tcp-basics (with one
//! checkpoint added) on a pipe; for every message we note when each page got
//! it, and report the latency from the key press that caused it (p50, p99,
//! max) and whether every page got every event. Bounded: one session, 300 +
//! 300 clients, at most 20 s per key press. Run with
//! `cargo bench --bench class_load`.
//!
//! Goal (issue 17): p99 ≤ 100 ms for the events, every page gets them all,
//! all 300 answers counted.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

const PAGES: usize = 300;
const ANSWERS: usize = 300;

fn http(port: u16, method: &str, path: &str, cookie: Option<&str>, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n",
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
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, raw)
}

/// (message id, event type, when) for one page.
type Got = Arc<Mutex<Vec<(usize, String, Instant)>>>;

fn page(port: u16, code: &str) -> Got {
    let got: Got = Arc::default();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET /events?code={code} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let into = got.clone();
    std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(move || {
            let (mut id, mut event) = (0, String::new());
            for line in BufReader::new(s).lines() {
                let Ok(line) = line else { break };
                if let Some(i) = line.strip_prefix("id: ") {
                    id = i.parse().unwrap_or(0);
                } else if let Some(e) = line.strip_prefix("event: ") {
                    event = e.to_string();
                } else if line.starts_with("data: ") {
                    into.lock()
                        .unwrap()
                        .push((id, event.clone(), Instant::now()));
                }
            }
        })
        .unwrap();
    got
}

/// How many messages the session has published: the page carries the number.
fn published(port: u16, code: &str, cookie: &str) -> usize {
    let (_, page) = http(port, "GET", &format!("/?code={code}"), Some(cookie), b"");
    let at = page.find("\"from\":").expect("from") + 7;
    page[at..].split(',').next().unwrap().parse().unwrap()
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let bin = env!("CARGO_BIN_EXE_netcourse");
    let dir = std::env::temp_dir().join(format!("netcourse-class-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let yaml = Command::new(bin)
        .args(["show", "lesson", "tcp-basics"])
        .output()
        .unwrap();
    let yaml = String::from_utf8(yaml.stdout).unwrap().replacen(
        "    call: connect\n    to: server\n",
        "    call: connect\n    to: server\n    checkpoint:\n      ask: \"Which port does the first frame go to?\"\n      answer: port.dst\n",
        1,
    );
    let lesson = dir.join("tcp-basics.yaml");
    std::fs::write(&lesson, yaml).unwrap();
    let mut child = Command::new(bin)
        .args([
            "serve",
            "lesson",
            lesson.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut teacher = child.stdin.take().unwrap();
    let out: Arc<Mutex<String>> = Arc::default();
    let mut stdout = child.stdout.take().unwrap();
    let into = out.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            into.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let wait = |what: &str, cond: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !cond() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_micros(200));
        }
    };
    wait("the URL", &|| out.lock().unwrap().contains("?code="));
    let text = out.lock().unwrap().clone();
    let url = text
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap();
    let port: u16 = url["http://127.0.0.1:".len()..]
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let code = url.split("?code=").nth(1).unwrap().to_string();

    let pages: Vec<Got> = (0..PAGES).map(|_| page(port, &code)).collect();
    let students: Vec<String> = (0..ANSWERS)
        .map(|_| {
            let (_, raw) = http(port, "GET", &format!("/?code={code}"), None, b"");
            raw.split("netcourse_student=")
                .nth(1)
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    wait("every page to connect", &|| {
        pages.iter().all(|p| !p.lock().unwrap().is_empty())
    });

    let mut presses: Vec<Instant> = Vec::new();
    let legends = || out.lock().unwrap().matches("[n]ext:").count();
    let mut answer_ms: Vec<f64> = Vec::new();
    let mut answered_ok = 0;
    let mut press = |presses: &mut Vec<Instant>| {
        let before = legends();
        presses.push(Instant::now());
        teacher.write_all(b"\n").unwrap();
        teacher.flush().unwrap();
        before
    };
    // Start, then one key per pause until the lesson ends.
    press(&mut presses);
    wait("the first pause", &|| legends() >= 1);
    loop {
        let n = published(port, &code, &students[0]);
        wait("every page to get everything", &|| {
            pages.iter().all(|p| p.lock().unwrap().len() >= n)
        });
        let got = pages[0].lock().unwrap().clone();
        if got.iter().any(|(_, e, _)| e == "end") {
            break;
        }
        let checkpoint_open = got.iter().any(|(_, e, _)| e == "checkpoint")
            && !got.iter().any(|(_, e, _)| e == "reveal");
        if checkpoint_open && answer_ms.is_empty() {
            // Every student answers at once, while the teacher waits.
            let go = Arc::new(Barrier::new(ANSWERS));
            let handles: Vec<_> = students
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let (s, code, go) = (s.clone(), code.clone(), go.clone());
                    std::thread::spawn(move || {
                        go.wait();
                        let t = Instant::now();
                        let body = if i % 3 == 0 { "80" } else { "50007" };
                        let (status, _) = http(
                            port,
                            "POST",
                            &format!("/answer?code={code}&checkpoint=3"),
                            Some(&s),
                            body.as_bytes(),
                        );
                        (status, t.elapsed().as_secs_f64() * 1e3)
                    })
                })
                .collect();
            for h in handles {
                let (status, ms) = h.join().unwrap();
                answer_ms.push(ms);
                answered_ok += usize::from(status == 200);
            }
        }
        let before = press(&mut presses);
        wait("the next pause", &|| {
            legends() > before || out.lock().unwrap().contains("Press Enter to stop serving")
        });
    }
    teacher.write_all(b"\n").unwrap();
    drop(teacher);
    let _ = child.wait();

    // Latency: from the last key press before a message first arrived.
    let mut first: std::collections::BTreeMap<usize, Instant> = Default::default();
    for p in &pages {
        for (id, _, at) in p.lock().unwrap().iter() {
            let f = first.entry(*id).or_insert(*at);
            if at < f {
                *f = *at;
            }
        }
    }
    let cause = |id: usize| -> Instant {
        let f = first[&id];
        *presses
            .iter()
            .rev()
            .find(|p| **p <= f)
            .unwrap_or(&presses[0])
    };
    let mut lat = Vec::new();
    let events = pages[0]
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, e, _)| e == "event")
        .count();
    let mut complete = 0;
    for p in &pages {
        let got = p.lock().unwrap();
        let mine: Vec<_> = got.iter().filter(|(_, e, _)| e == "event").collect();
        complete += usize::from(mine.len() == events);
        for (id, _, at) in mine {
            lat.push(at.duration_since(cause(*id)).as_secs_f64() * 1e3);
        }
    }
    let text = out.lock().unwrap().clone();
    let tally = text
        .lines()
        .find(|l| l.starts_with("Class: "))
        .unwrap_or("(no tally)");
    println!(
        "class_load: {PAGES} pages, {ANSWERS} answers, tcp-basics + 1 checkpoint, {} key presses",
        presses.len()
    );
    println!(
        "  events: {events} per page; {complete}/{PAGES} pages got every one; latency from the key press: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (goal: p99 ≤ 100 ms)",
        pct(&mut lat, 0.5),
        pct(&mut lat, 0.99),
        pct(&mut lat, 1.0)
    );
    println!(
        "  answers: {answered_ok}/{ANSWERS} accepted; POST latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(&mut answer_ms, 0.5),
        pct(&mut answer_ms, 0.99),
        pct(&mut answer_ms, 1.0)
    );
    println!("  teacher's tally: {tally}");
    let _ = std::fs::remove_dir_all(&dir);
}

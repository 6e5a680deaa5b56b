//! The class's side of a session: what the students have been shown (a log
//! of messages every page replays, so late joiners get everything so far),
//! the checkpoint open for answers, the answers, and their tally.
//!
//! Only what the teacher's screen has shown goes into the log: a frame, and
//! a checkpoint's answer, reach the students when (not before) the teacher
//! reveals them.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;

use crate::annotate::rules::grade;
use crate::stepmode::{Audience, Preview};
use crate::transcript::{Checkpoint, Event, Transcript};

/// Longest answer kept, in characters (longer ones are refused).
pub const MAX_ANSWER_CHARS: usize = 100;
/// Most students (browsers) one session admits.
pub const MAX_STUDENTS: usize = 5000;
/// Most event streams open at once.
pub const MAX_STREAMS: usize = 2000;
/// Requests one address may make in a burst, and how fast that refills:
/// enough for a lecture hall behind one NAT, not for a flood.
pub const BURST: f64 = 1000.0;
pub const REFILL_PER_S: f64 = 50.0;

/// One message of the log: its SSE name and its JSON data.
pub struct Message {
    pub event: &'static str,
    pub data: String,
}

/// Why a request was refused: the HTTP status and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub u16, pub &'static str);

/// What the class answered to one checkpoint: counts only, no names.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Tally {
    /// The step the checkpoint belongs to, and the event holding its answer.
    pub step: usize,
    pub event: usize,
    pub question: String,
    /// The right answer, from the capture.
    pub answer: String,
    pub answered: usize,
    /// How many were right (none when the capture could not grade it).
    pub right: usize,
    pub gradable: bool,
    /// The answers, alike ones together, most frequent first.
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Group {
    pub answer: String,
    pub count: usize,
    pub correct: bool,
}

struct Open {
    step: usize,
    /// Student id → (answer as kept, receipt).
    answers: HashMap<String, (String, String)>,
}

struct State {
    students: HashSet<String>,
    open: Option<Open>,
    tallies: Vec<Tally>,
    buckets: HashMap<IpAddr, (f64, Instant)>,
}

pub struct Class {
    /// The join code every request must carry.
    pub code: String,
    log: Mutex<Vec<Arc<Message>>>,
    grown: Condvar,
    state: Mutex<State>,
    /// Event streams open now.
    pub streams: AtomicUsize,
    /// Called when an answer arrives (wakes the teacher's screen).
    on_answer: Box<dyn Fn() + Send + Sync>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking request thread must not take the class down with it.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// `n` random bytes as lowercase hex, from the kernel.
pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    let mut filled = 0;
    while filled < n {
        // SAFETY: writing into our own buffer, within its length.
        let got = unsafe { libc::getrandom(buf[filled..].as_mut_ptr().cast(), n - filled, 0) };
        if got > 0 {
            filled += got as usize;
        }
    }
    crate::transcript::to_hex(&buf)
}

/// A join code: short enough to type, long enough not to guess (10 letters
/// and digits without look-alikes: about 50 bits).
pub fn join_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let bytes = crate::text::parse_hex(&random_hex(10)).unwrap_or_default();
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

impl Class {
    pub fn new(t: &Transcript, on_answer: Box<dyn Fn() + Send + Sync>) -> Class {
        let class = Class {
            code: join_code(),
            log: Mutex::new(Vec::new()),
            grown: Condvar::new(),
            state: Mutex::new(State {
                students: HashSet::new(),
                open: None,
                tallies: Vec::new(),
                buckets: HashMap::new(),
            }),
            streams: AtomicUsize::new(0),
            on_answer,
        };
        class.publish(
            "hello",
            json!({
                "format": t.format,
                "version": t.version,
                "generator": t.generator,
                "lesson": t.lesson,
                "network": t.network,
                "actors": t.actors,
                "steps": t.steps,
            }),
        );
        class
    }

    /// Append a message to the log and wake every stream.
    pub fn publish(&self, event: &'static str, data: serde_json::Value) {
        let data = data.to_string();
        lock(&self.log).push(Arc::new(Message { event, data }));
        self.grown.notify_all();
    }

    /// The messages from `from` on; waits up to `wait` for one when there
    /// is none yet.
    pub fn messages_from(&self, from: usize, wait: Duration) -> Vec<Arc<Message>> {
        let log = lock(&self.log);
        let (log, _) = self
            .grown
            .wait_timeout_while(log, wait, |log| log.len() <= from)
            .unwrap_or_else(|p| p.into_inner());
        log.get(from..).map(<[_]>::to_vec).unwrap_or_default()
    }

    pub fn log_len(&self) -> usize {
        lock(&self.log).len()
    }

    /// Whether `ip` may make one more request now (a token bucket per address).
    pub fn admit(&self, ip: IpAddr) -> Result<(), Refusal> {
        let mut st = lock(&self.state);
        let now = Instant::now();
        if st.buckets.len() > 100_000 {
            st.buckets.clear();
        }
        let (tokens, at) = st.buckets.entry(ip).or_insert((BURST, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * REFILL_PER_S).min(BURST);
        *at = now;
        if *tokens < 1.0 {
            return Err(Refusal(
                429,
                "too many requests from this address; wait a moment",
            ));
        }
        *tokens -= 1.0;
        Ok(())
    }

    /// The student behind `cookie` if the server gave it out, else a new
    /// one (None: the session is full).
    pub fn student(&self, cookie: Option<&str>) -> Option<(String, bool)> {
        let mut st = lock(&self.state);
        if let Some(id) = cookie
            && st.students.contains(id)
        {
            return Some((id.to_string(), false));
        }
        if st.students.len() >= MAX_STUDENTS {
            return None;
        }
        let id = random_hex(16);
        st.students.insert(id.clone());
        Some((id, true))
    }

    /// A student's answer to checkpoint `step`. Returns its receipt, which
    /// the reveal lists when the answer was right.
    pub fn answer(&self, student: &str, step: usize, text: &str) -> Result<String, Refusal> {
        let answer = clean(text);
        if answer.is_empty() {
            return Err(Refusal(400, "the answer is empty"));
        }
        if answer.chars().count() > MAX_ANSWER_CHARS {
            return Err(Refusal(413, "the answer is too long"));
        }
        let receipt = {
            let mut st = lock(&self.state);
            if !st.students.contains(student) {
                return Err(Refusal(403, "unknown student: open the class page first"));
            }
            let Some(open) = st.open.as_mut().filter(|o| o.step == step) else {
                return Err(Refusal(409, "this checkpoint is not open for answers"));
            };
            if open.answers.contains_key(student) {
                return Err(Refusal(409, "you already answered this checkpoint"));
            }
            let receipt = random_hex(8);
            open.answers
                .insert(student.to_string(), (answer, receipt.clone()));
            receipt
        };
        (self.on_answer)();
        Ok(receipt)
    }

    /// How many answered the open checkpoint, if one is open.
    pub fn answered(&self) -> Option<usize> {
        lock(&self.state).open.as_ref().map(|o| o.answers.len())
    }

    /// Every checkpoint revealed so far.
    pub fn tallies(&self) -> Vec<Tally> {
        lock(&self.state).tallies.clone()
    }

    fn open(&self, step: usize, question: &str) {
        lock(&self.state).open = Some(Open {
            step,
            answers: HashMap::new(),
        });
        self.publish("checkpoint", json!({ "step": step, "question": question }));
    }

    /// Close the open checkpoint and grade it against `cp`: the tally, and
    /// the reveal to publish once event `event` (the frame holding the
    /// answer) is shown to the class, not before.
    fn reveal(&self, cp: &Checkpoint, event: usize) -> (Tally, serde_json::Value) {
        let open = lock(&self.state).open.take();
        let (step, answers) = match open {
            Some(o) => (o.step, o.answers),
            None => (0, HashMap::new()),
        };
        let gradable = cp.gradable();
        let mut right_receipts = Vec::new();
        let mut groups: HashMap<(String, bool), usize> = HashMap::new();
        for (answer, receipt) in answers.values() {
            let correct = gradable && grade(answer, &cp.answer);
            if correct {
                right_receipts.push(receipt.clone());
            }
            let key = if correct {
                cp.answer.clone()
            } else {
                normal(answer)
            };
            *groups.entry((key, correct)).or_default() += 1;
        }
        let mut groups: Vec<Group> = groups
            .into_iter()
            .map(|((answer, correct), count)| Group {
                answer,
                count,
                correct,
            })
            .collect();
        groups.sort_by(|a, b| b.count.cmp(&a.count).then(a.answer.cmp(&b.answer)));
        let tally = Tally {
            step,
            event,
            question: cp.question.clone(),
            answer: cp.answer.clone(),
            answered: answers.len(),
            right: right_receipts.len(),
            gradable,
            groups,
        };
        let reveal = json!({
                "step": step,
                "event": event,
                "question": cp.question,
                "answer": cp.answer,
                "value": cp.value,
                "explain": cp.explain,
                "gradable": gradable,
                "answered": tally.answered,
                "groups": tally.groups,
                "right": right_receipts,
        });
        lock(&self.state).tallies.push(tally.clone());
        (tally, reveal)
    }
}

/// An answer as kept: one line, no control codes, trimmed.
pub fn clean(text: &str) -> String {
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    crate::text::printable(line.trim()).into_owned()
}

/// Alike wrong answers together: case and runs of spaces do not count.
fn normal(answer: &str) -> String {
    answer
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The tally as the teacher reads it: `17 said 5000 (right), 9 said 40000, 2 other`.
pub fn tally_line(t: &Tally) -> String {
    if t.answered == 0 {
        return "Class: nobody answered.".to_string();
    }
    const SHOWN: usize = 5;
    let mut parts: Vec<String> = t
        .groups
        .iter()
        .take(SHOWN)
        .map(|g| {
            let mark = if g.correct { " (right)" } else { "" };
            format!("{} said {}{mark}", g.count, g.answer)
        })
        .collect();
    let other: usize = t.groups.iter().skip(SHOWN).map(|g| g.count).sum();
    if other > 0 {
        parts.push(format!("{other} other"));
    }
    let graded = if t.gradable {
        format!("{} of {} right", t.right, t.answered)
    } else {
        format!("{} answered; the capture cannot grade it", t.answered)
    };
    format!("Class: {} — {graded}.", parts.join(", "))
}

/// The teacher's session, told to the class: step mode's `Audience`.
pub struct Teacher {
    class: Arc<Class>,
    /// What the students have seen: the transcript's events so far (for the
    /// ladder's lanes and the frame numbers).
    seen: Transcript,
    frames: usize,
    /// A closed checkpoint's reveal, held until the event that answers it
    /// is shown (the answers close when its step runs, a frame earlier).
    held: Option<(usize, serde_json::Value)>,
}

impl Teacher {
    pub fn new(class: Arc<Class>, t: &Transcript) -> Teacher {
        let mut seen = t.clone();
        seen.events.clear();
        Teacher {
            class,
            seen,
            frames: 0,
            held: None,
        }
    }

    /// The session ended: say so to the pages.
    pub fn end(&self, t: &Transcript) {
        self.class.publish(
            "end",
            json!({ "complete": t.complete, "passed": t.outcome.passed }),
        );
    }
}

impl Audience for Teacher {
    fn previewed(&mut self, _t: &Transcript, p: &Preview) {
        self.class.publish(
            "step",
            json!({
                "number": p.number,
                "total": p.total,
                "actor": p.actor,
                "call": p.call,
                "say": p.say,
            }),
        );
    }

    fn shown(&mut self, _t: &Transcript, e: &Event) {
        let mut e = e.clone();
        // A saved transcript carries the answer someone gave when it was
        // recorded: not this class's.
        if let Some(cp) = e.checkpoint.as_mut() {
            cp.given = None;
            cp.correct = None;
        }
        if e.is_frame() {
            self.frames += 1;
        }
        let mut view = crate::render::html::event_view(&e, self.frames);
        self.seen.events.push(e.clone());
        crate::render::html::with_lanes(&mut view, &self.seen, &e);
        let lanes = crate::render::lanes(&self.seen);
        self.class.publish(
            "event",
            serde_json::to_value(&e).unwrap_or(serde_json::Value::Null),
        );
        self.class.publish(
            "view",
            json!({ "index": e.index, "lanes": lanes, "view": view }),
        );
        if let Some((_, reveal)) = self.held.take_if(|(at, _)| *at == e.index) {
            self.class.publish("reveal", reveal);
        }
    }

    fn open_checkpoint(&mut self, step: usize, question: &str) -> bool {
        self.class.open(step, question);
        true
    }

    fn reveal(&mut self, cp: &Checkpoint, index: usize) -> Vec<String> {
        let (tally, reveal) = self.class.reveal(cp, index);
        self.held = Some((index, reveal));
        vec![tally_line(&tally)]
    }

    fn status(&self) -> Option<String> {
        let following = self.class.streams.load(Ordering::Relaxed);
        Some(match self.class.answered() {
            Some(n) => format!("{n} answered, {following} following"),
            None => format!("{following} following"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class() -> Class {
        let t: Transcript =
            serde_json::from_str(include_str!("../../tests/data/tcp-basics.json")).unwrap();
        Class::new(&t, Box::new(|| {}))
    }

    fn cp(answer: &str) -> Checkpoint {
        Checkpoint {
            question: "Which port?".into(),
            answer: answer.into(),
            value: "port.dst".into(),
            explain: None,
            given: None,
            correct: None,
        }
    }

    #[test]
    fn answers_are_cleaned_counted_once_and_tallied() {
        let c = class();
        let (a, new) = c.student(None).unwrap();
        assert!(new);
        assert_eq!(c.student(Some(&a)).unwrap(), (a.clone(), false));
        let (b, _) = c.student(None).unwrap();
        let (d, _) = c.student(Some("forged")).unwrap();
        assert_ne!(d, "forged");
        assert_eq!(c.answer(&a, 3, "5000").unwrap_err().0, 409, "not open yet");
        c.open(3, "Which port?");
        c.answer(&a, 3, " 05000 ").unwrap();
        assert_eq!(c.answer(&a, 3, "6000").unwrap_err().0, 409, "once");
        assert_eq!(c.answer("nobody", 3, "1").unwrap_err().0, 403);
        assert_eq!(c.answer(&b, 3, &"9".repeat(500)).unwrap_err().0, 413);
        assert_eq!(c.answer(&b, 3, " \n ").unwrap_err().0, 400);
        c.answer(&b, 3, "\x1b[31mred\x1b]0;title\x07").unwrap();
        c.answer(&d, 3, "RED").unwrap();
        assert_eq!(c.answered(), Some(3));
        let (t, reveal) = c.reveal(&cp("5000"), 7);
        assert_eq!(reveal["answer"], "5000");
        assert_eq!(c.log_len(), 2, "the reveal waits for its event");
        assert_eq!((t.answered, t.right, t.step, t.event), (3, 1, 3, 7));
        let line = tally_line(&t);
        assert!(line.contains("1 said 5000 (right)"), "{line}");
        assert!(!line.contains('\x1b') && !line.contains('\x07'), "{line:?}");
        assert_eq!(c.answered(), None);
        assert_eq!(c.answer(&b, 3, "1").unwrap_err().0, 409, "closed");
    }

    #[test]
    fn the_log_holds_only_what_was_published() {
        let c = class();
        assert_eq!(c.log_len(), 1);
        c.open(2, "Q?");
        let m = c.messages_from(1, Duration::ZERO);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].event, "checkpoint");
        assert!(!m[0].data.contains("answer"), "{}", m[0].data);
        assert!(c.messages_from(2, Duration::from_millis(1)).is_empty());
    }

    #[test]
    fn floods_are_refused() {
        let c = class();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let refused = (0..(BURST as usize + 50))
            .filter(|_| c.admit(ip).is_err())
            .count();
        assert!(refused >= 40, "{refused}");
        assert!(c.admit("192.0.2.8".parse().unwrap()).is_ok());
    }

    #[test]
    fn join_codes_differ() {
        let a = join_code();
        assert_eq!(a.len(), 10);
        assert_ne!(a, join_code());
    }
}

//! The lesson checker: from a parsed `LessonFile` to a runnable `Plan`, or to
//! every problem at once, each with its line, column and a hint.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use serde_saphyr::Spanned;

use super::limits;
use super::model::{ActorSpec, ExpectSpec, LessonFile, RuleSpec, StepSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    pub line: u64,
    pub column: u64,
    pub message: String,
    pub hint: Option<String>,
}

impl Problem {
    fn error<T>(at: &Spanned<T>, message: impl Into<String>, hint: Option<String>) -> Problem {
        Problem::at(
            Severity::Error,
            at.referenced.line(),
            at.referenced.column(),
            message,
            hint,
        )
    }

    fn warning<T>(at: &Spanned<T>, message: impl Into<String>, hint: Option<String>) -> Problem {
        Problem::at(
            Severity::Warning,
            at.referenced.line(),
            at.referenced.column(),
            message,
            hint,
        )
    }

    pub fn at(
        severity: Severity,
        line: u64,
        column: u64,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Problem {
        Problem {
            severity,
            line,
            column,
            message: message.into(),
            hint,
        }
    }

    /// `file:line:column: error: message`, the source line, a caret under the
    /// column, and the hint — the way compilers show it.
    pub fn render(&self, file: &str, source: &str) -> String {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // Messages quote the lesson's own words; they may hold control codes.
        let mut out = format!(
            "{file}:{}:{}: {kind}: {}",
            self.line,
            self.column,
            crate::text::printable(&self.message)
        );
        if let Some(text) = source.lines().nth(self.line.saturating_sub(1) as usize) {
            let number = self.line.to_string();
            let pad = " ".repeat(number.len());
            let text: String = text
                .chars()
                .take(200)
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            let caret_at = (self.column.saturating_sub(1) as usize).min(text.chars().count());
            out.push_str(&format!(
                "\n{pad} |\n{number} | {text}\n{pad} | {}^",
                " ".repeat(caret_at)
            ));
        }
        if let Some(hint) = &self.hint {
            out.push_str(&format!("\n  = hint: {}", crate::text::printable(hint)));
        }
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Udp,
    Tcp,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        }
    }
}

#[derive(Debug, Clone)]
pub struct PlannedActor {
    pub name: String,
    pub transport: Transport,
    /// Address and port it binds; port 0 lets the OS choose.
    pub addr: SocketAddr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    Actor(usize),
    Addr(SocketAddr),
    /// `to: reply`: wherever the actor's last `recvfrom` said the datagram
    /// came from, as an echo server answers `sendto(data, addr)`.
    Reply,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownHow {
    Read,
    Write,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockOpt {
    NoDelay,
    QuickAck,
    ReuseAddr,
    /// SO_RCVBUF / SO_SNDBUF / TCP_MAXSEG, in bytes.
    RcvBuf(u32),
    SndBuf(u32),
    MaxSeg(u32),
}

impl SockOpt {
    /// The options a lesson names, as it names them.
    pub const NAMES: &'static [&'static str] = &[
        "nodelay",
        "quickack",
        "reuseaddr",
        "rcvbuf",
        "sndbuf",
        "maxseg",
    ];

    /// Options that take a `size` rather than an on/off `value`.
    pub fn sized(self) -> bool {
        matches!(
            self,
            SockOpt::RcvBuf(_) | SockOpt::SndBuf(_) | SockOpt::MaxSeg(_)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Bind,
    Listen {
        backlog: u32,
    },
    Accept,
    Connect {
        to: Peer,
    },
    Send {
        data: Vec<u8>,
        all: bool,
    },
    SendTo {
        to: Peer,
        data: Vec<u8>,
    },
    Recv {
        max: u32,
    },
    RecvFrom {
        max: u32,
    },
    Shutdown {
        how: ShutdownHow,
    },
    Close {
        listener: bool,
    },
    SetOpt {
        option: SockOpt,
        value: bool,
    },
    /// The actor's program pauses (`time.sleep`); the kernel's timers run on.
    Sleep {
        ms: u64,
    },
}

impl Call {
    pub fn name(&self) -> &'static str {
        match self {
            Call::Bind => "bind",
            Call::Listen { .. } => "listen",
            Call::Accept => "accept",
            Call::Connect { .. } => "connect",
            Call::Send { all: false, .. } => "send",
            Call::Send { all: true, .. } => "sendall",
            Call::SendTo { .. } => "sendto",
            Call::Recv { .. } => "recv",
            Call::RecvFrom { .. } => "recvfrom",
            Call::Shutdown { .. } => "shutdown",
            Call::Close { .. } => "close",
            Call::SetOpt { .. } => "setsockopt",
            Call::Sleep { .. } => "sleep",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedError {
    Refused,
    Reset,
    Timeout,
}

impl ExpectedError {
    pub fn as_str(self) -> &'static str {
        match self {
            ExpectedError::Refused => "refused",
            ExpectedError::Reset => "reset",
            ExpectedError::Timeout => "timeout",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expect {
    pub data: Option<Vec<u8>>,
    pub eof: bool,
    pub error: Option<ExpectedError>,
    pub from: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct PlannedStep {
    /// 1-based, as students count.
    pub number: usize,
    pub id: Option<String>,
    pub actor: usize,
    pub call: Call,
    pub say: Option<String>,
    pub timeout: Duration,
    pub expect: Expect,
    /// A question about one of this step's frames.
    pub checkpoint: Option<CheckpointPlan>,
    /// Where the step's `call` is written, for errors at run time.
    pub line: u64,
    pub column: u64,
}

/// A checked checkpoint: the answer is the name of a captured value
/// (`port.src`), read from the frame when the lesson runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointPlan {
    pub ask: String,
    pub answer: String,
    /// Which of the step's frames, from 1.
    pub frame: usize,
    pub explain: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RuleMode {
    #[default]
    Append,
    Replace,
}

/// A checked annotation rule. Absent match keys match every frame.
#[derive(Debug, Clone, Default)]
pub struct Rule {
    /// Where the rule is written.
    pub line: u64,
    /// Lower case: `udp`, `tcp`, `icmp`, `ip`…
    pub protocol: Option<String>,
    /// Upper case TCP flag names that must all be set.
    pub flags: Vec<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The step numbers it applies to (an id names every repeat of its step).
    pub steps: Option<Vec<usize>>,
    pub payload: Option<Vec<u8>>,
    pub syntax: Option<String>,
    pub semantics: Option<String>,
    pub timing: Option<String>,
    pub mode: RuleMode,
}

/// A lesson that passed the checker: everything resolved, nothing left to fail
/// but the network itself.
#[derive(Debug, Clone)]
pub struct Plan {
    pub name: String,
    pub title: String,
    pub summary: String,
    pub intro: Option<String>,
    pub outro: Option<String>,
    pub actors: Vec<PlannedActor>,
    pub steps: Vec<PlannedStep>,
    /// The lesson's annotation rules, applied in order to every frame.
    pub rules: Vec<Rule>,
}

impl Plan {
    /// In `--net host` mode the lesson shares the machine's loopback with
    /// every local service: it may only reach sockets it binds itself, never
    /// a raw address (which could be a database or an API on this host).
    /// Returns the first step that would reach further.
    pub fn reaches_beyond_itself(&self) -> Option<String> {
        let binds = |actor: usize| {
            self.steps
                .iter()
                .any(|s| s.actor == actor && matches!(s.call, Call::Bind))
        };
        self.steps.iter().find_map(|s| {
            let to = match &s.call {
                Call::Connect { to } | Call::SendTo { to, .. } => to,
                _ => return None,
            };
            match to {
                Peer::Addr(a) => Some(format!(
                    "step {} sends to {a}, an address no actor of the lesson binds",
                    s.number
                )),
                Peer::Actor(i) if !binds(*i) => Some(format!(
                    "step {} reaches `{}`, which never binds its port",
                    s.number, self.actors[*i].name
                )),
                _ => None,
            }
        })
    }

    pub fn actor_index(&self, name: &str) -> Option<usize> {
        self.actors.iter().position(|a| a.name == name)
    }
}

pub const CALLS: &[&str] = &[
    "bind",
    "listen",
    "accept",
    "connect",
    "send",
    "sendall",
    "sendto",
    "recv",
    "recvfrom",
    "shutdown",
    "close",
    "setsockopt",
    "sleep",
];

/// Which optional keys each call reads; any other key on the step is a mistake.
fn keys_for(call: &str) -> &'static [&'static str] {
    match call {
        "bind" | "accept" => &[],
        "listen" => &["backlog"],
        "connect" => &["to"],
        "send" | "sendall" => &["text", "hex"],
        "sendto" => &["to", "text", "hex"],
        "recv" | "recvfrom" => &["max"],
        "shutdown" => &["how"],
        "close" => &["socket"],
        "setsockopt" => &["option", "value", "size"],
        "sleep" => &["ms"],
        _ => &[],
    }
}

/// The closest candidate within a small edit distance, for "did you mean":
/// one edit for short words, about one per three letters for longer ones; a
/// swap of two neighbouring letters counts as one edit.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // Names and keys are short; a suggestion for a long word costs
    // len × len and is no use anyway (a hostile file may hold 100 000 chars).
    const LONGEST: usize = 64;
    if word.chars().count() > LONGEST {
        return None;
    }
    let word = word.to_lowercase();
    let limit = ((word.chars().count() + 1) / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        // Lengths that differ by more than the limit cannot be close.
        if c.chars().count() > LONGEST || c.chars().count().abs_diff(word.chars().count()) > limit {
            continue;
        }
        let d = edit_distance(&word, &c.to_lowercase());
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Optimal string alignment distance: insertions, deletions, substitutions
/// and swaps of neighbours each cost one.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for j in 0..=b.len() {
        d[0][j] = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

fn hint_mean(word: &str, candidates: &[&str], kind: &str) -> Option<String> {
    match did_you_mean(word, candidates.iter().copied()) {
        Some(s) => Some(format!("did you mean `{s}`?")),
        None => Some(format!("{kind} is one of: {}", candidates.join(", "))),
    }
}

/// Narration as prose: lines of a YAML block joined with spaces, paragraphs
/// (blank lines) kept as `\n\n`.
pub fn prose(text: &str) -> String {
    // Lesson text reaches the terminal: no escape sequences from it.
    crate::text::printable(text)
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Only loopback belongs to the sandbox; anything else would leave the machine
/// in `--net host` mode.
fn is_sandbox_addr(ip: IpAddr) -> bool {
    ip.is_loopback()
}

/// 127.255.255.255 is loopback, but as the broadcast address of 127.0.0.0/8
/// a datagram to it needs SO_BROADCAST (EACCES without).
fn is_broadcast(ip: IpAddr) -> bool {
    ip == IpAddr::V4(Ipv4Addr::new(127, 255, 255, 255))
}

fn broadcast_problem<T>(at: &Spanned<T>) -> Problem {
    Problem::error(
        at,
        "`127.255.255.255` is the broadcast address of 127.0.0.0/8",
        Some("sending to it needs SO_BROADCAST, which lessons do not set; use a host address like `127.0.0.2`".into()),
    )
}

fn parse_ip(s: &Spanned<String>, problems: &mut Vec<Problem>) -> Option<IpAddr> {
    let text = s.value.trim();
    let text = if text == "localhost" {
        "127.0.0.1"
    } else {
        text
    };
    match text.parse::<IpAddr>() {
        Ok(ip) if is_broadcast(ip) => {
            problems.push(broadcast_problem(s));
            None
        }
        Ok(ip) if is_sandbox_addr(ip) => Some(ip),
        Ok(ip) => {
            problems.push(Problem::error(
                s,
                format!("address `{ip}` is outside the sandbox"),
                Some("lessons may only use loopback addresses: 127.0.0.1 (any of 127.0.0.0/8) or ::1".into()),
            ));
            None
        }
        Err(_) => {
            problems.push(Problem::error(
                s,
                format!("`{}` is not an IP address", s.value),
                Some("write an address like `127.0.0.1` or `::1`".into()),
            ));
            None
        }
    }
}

fn check_port(port: &Spanned<i64>, problems: &mut Vec<Problem>) -> Option<u16> {
    match u16::try_from(port.value) {
        Ok(p) if p >= 1 => Some(p),
        _ => {
            problems.push(Problem::error(
                port,
                format!("port {} is out of range", port.value),
                Some(
                    "a port is a number from 1 to 65535; leave `port` out to let the OS pick one"
                        .into(),
                ),
            ));
            None
        }
    }
}

pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    let digits = digits.strip_prefix("0x").unwrap_or(&digits);
    if !digits.len().is_multiple_of(2) {
        return Err(format!("hex `{text}` has an odd number of digits"));
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| {
            digits
                .get(i..i + 2)
                // from_str_radix alone would accept a sign ("+f").
                .filter(|pair| pair.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| {
                    format!(
                        "`{}` is not a hex byte",
                        digits.get(i..i + 2).unwrap_or("?")
                    )
                })
        })
        .collect()
}

/// Check a parsed lesson. Returns the plan when there are no errors (warnings
/// may still be present), and every problem found. Without the source text,
/// a mistake inside a template is placed at the start of the template.
pub fn check(file: &LessonFile) -> (Option<Plan>, Vec<Problem>) {
    check_source(file, "")
}

/// Check a parsed lesson, with the text it was parsed from so that a mistake
/// inside a template (an unknown `{placeholder}`) points at its own column.
pub fn check_source(file: &LessonFile, source: &str) -> (Option<Plan>, Vec<Problem>) {
    let mut problems = Vec::new();

    if file.format.value != 1 {
        problems.push(Problem::error(
            &file.format,
            format!(
                "lesson format {} is not one this netcourse reads",
                file.format.value
            ),
            Some("this netcourse reads `format: 1`".into()),
        ));
    }
    let name_ok = !file.name.value.is_empty()
        && file
            .name
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !name_ok {
        problems.push(Problem::error(
            &file.name,
            format!("lesson name `{}` is not a simple name", file.name.value),
            Some("use letters, digits, `-` and `_`, like `udp-basics`".into()),
        ));
    }

    let actors = check_actors(&file.actors, &mut problems);
    let names: Vec<&str> = file.actors.iter().map(|a| a.name.value.as_str()).collect();

    if file.steps.is_empty() {
        problems.push(Problem::error(
            &file.format,
            "the lesson has no steps",
            Some("add a `steps:` list with at least one step".into()),
        ));
    }
    if file.steps.len() > limits::MAX_STEPS {
        problems.push(Problem::error(
            &file.steps[limits::MAX_STEPS].actor,
            format!(
                "the lesson has {} steps; the limit is {} (limit `max_steps`)",
                file.steps.len(),
                limits::MAX_STEPS
            ),
            Some("split it into several lessons".into()),
        ));
    }

    // Where each actor first listens: (step number as written, line).
    let mut first_listen: HashMap<usize, (usize, u64)> = HashMap::new();
    for (i, s) in file.steps.iter().enumerate() {
        if s.call.value == "listen"
            && let Some(a) = names.iter().position(|n| *n == s.actor.value)
        {
            first_listen
                .entry(a)
                .or_insert((i + 1, s.call.referenced.line()));
        }
    }

    let mut ids: HashMap<String, u64> = HashMap::new();
    // Step id → the numbers its step runs as (more than one with `repeat`).
    let mut id_numbers: HashMap<String, Vec<usize>> = HashMap::new();
    let mut used = HashSet::new();
    let mut steps = Vec::new();
    let mut state = State {
        bound: vec![false; file.actors.len()],
        connected: vec![false; file.actors.len()],
        listening: vec![false; file.actors.len()],
        failed_connect: HashMap::new(),
        first_listen,
        family: vec![None; file.actors.len()],
        holds: vec![None; file.actors.len()],
        reuseaddr: vec![false; file.actors.len()],
        accepted: vec![false; file.actors.len()],
        closed: HashMap::new(),
        shut_write: HashMap::new(),
        heard: vec![false; file.actors.len()],
        addressed: HashMap::new(),
        made: vec![false; file.actors.len()],
        waiting: vec![0; file.actors.len()],
        maybe_waiting: vec![0; file.actors.len()],
    };
    // The number the next step runs as: steps count once per repeat.
    let mut number = 1usize;
    let mut steps_reported = file.steps.len() > limits::MAX_STEPS;
    let mut total_wait_ms: u64 = 0;
    let mut wait_reported = false;

    for (i, spec) in file.steps.iter().enumerate().take(limits::MAX_STEPS) {
        let repeat = check_repeat(spec, &mut problems);
        let first = number;
        number += repeat;
        if number - 1 > limits::MAX_STEPS && !steps_reported {
            steps_reported = true;
            let at = spec
                .repeat
                .as_ref()
                .map(pos)
                .unwrap_or_else(|| pos(&spec.actor));
            problems.push(Problem::at(
                Severity::Error,
                at.0,
                at.1,
                format!("counting repeats, the lesson runs more than {} steps by here (limit `max_steps`)", limits::MAX_STEPS),
                Some("use fewer or smaller `repeat:`s, or split the lesson".into()),
            ));
        }
        if let Some(id) = &spec.id {
            if let Some(first_line) = ids.insert(id.value.clone(), id.referenced.line()) {
                problems.push(Problem::error(
                    id,
                    format!("step id `{}` is used twice", id.value),
                    Some(format!(
                        "it was first used on line {first_line}; step ids must be unique"
                    )),
                ));
            } else {
                id_numbers.insert(id.value.clone(), (first..number).collect());
            }
            if id.value.trim().is_empty() {
                problems.push(Problem::error(
                    id,
                    "a step id cannot be empty",
                    Some("use a word like `first-send`, or leave `id` out".into()),
                ));
            } else if id.value.trim().parse::<u64>().is_ok() {
                problems.push(Problem::error(
                    id,
                    format!("step id `{}` is a number", id.value),
                    Some("rules name a step by its number or its id, so an id must be a word, like `first-send`".into()),
                ));
            }
        }
        let actor = match names.iter().position(|n| *n == spec.actor.value) {
            Some(a) => a,
            None => {
                problems.push(Problem::error(
                    &spec.actor,
                    format!(
                        "step {} names actor `{}`, which the lesson does not declare",
                        i + 1,
                        spec.actor.value
                    ),
                    hint_mean(&spec.actor.value, &names, "an actor"),
                ));
                continue;
            }
        };
        used.insert(actor);
        let transport = actors
            .get(actor)
            .and_then(|a: &Option<PlannedActor>| a.as_ref())
            .map(|a| a.transport);
        if let Some(step) = check_step(
            first,
            spec,
            actor,
            transport,
            &names,
            &actors,
            &mut state,
            source,
            &mut problems,
        ) {
            let timeout = step.timeout.as_millis() as u64;
            let wait = match step.call {
                Call::Sleep { ms } => ms,
                Call::Accept | Call::Recv { .. } | Call::RecvFrom { .. } => timeout,
                Call::Connect { .. } if transport == Some(Transport::Tcp) => timeout,
                _ => 0,
            };
            if wait > 0 {
                total_wait_ms += wait * repeat as u64;
                if total_wait_ms > limits::MAX_TOTAL_WAIT_MS && !wait_reported {
                    wait_reported = true;
                    let at = spec
                        .timeout_ms
                        .as_ref()
                        .map(pos)
                        .unwrap_or_else(|| pos(&spec.call));
                    problems.push(Problem::at(
                        Severity::Error,
                        at.0,
                        at.1,
                        format!(
                            "by this step the lesson's waits add up to {} ms; the limit is {} ms (limit `max_total_wait_ms`)",
                            total_wait_ms,
                            limits::MAX_TOTAL_WAIT_MS
                        ),
                        Some(format!(
                            "every accept, TCP connect, recv and recvfrom may wait its `timeout_ms` (default {} ms), and every sleep its `ms`; give them shorter ones",
                            limits::DEFAULT_TIMEOUT_MS
                        )),
                    ));
                }
            }
            for k in 0..repeat {
                let mut copy = step.clone();
                copy.number = first + k;
                if k > 0 {
                    copy.checkpoint = None;
                }
                steps.push(copy);
            }
        }
    }

    for (i, a) in file.actors.iter().enumerate() {
        if !used.contains(&i)
            && !file
                .steps
                .iter()
                .any(|s| s.to.as_ref().is_some_and(|t| t.value == a.name.value))
        {
            problems.push(Problem::warning(
                &a.name,
                format!("actor `{}` takes no part in any step", a.name.value),
                Some("remove it, or add a step for it".into()),
            ));
        }
    }

    let rules = check_rules(
        &file.rules,
        &names,
        &id_numbers,
        number - 1,
        source,
        &mut problems,
    );

    let has_errors = problems.iter().any(|p| p.severity == Severity::Error);
    let plan = (!has_errors).then(|| Plan {
        name: file.name.value.clone(),
        title: prose(&file.title),
        summary: prose(&file.summary),
        intro: file.intro.as_deref().map(prose),
        outro: file.outro.as_deref().map(prose),
        actors: actors.into_iter().flatten().collect(),
        steps,
        rules,
    });
    problems.sort_by_key(|p| (p.line, p.column));
    (plan, problems)
}

/// What the actors have done so far, as the checker walks the steps in order.
struct State {
    bound: Vec<bool>,
    connected: Vec<bool>,
    listening: Vec<bool>,
    /// The step (number, line) where an actor's TCP connect was expected to fail:
    /// that socket cannot connect again.
    failed_connect: HashMap<usize, (usize, u64)>,
    /// Where each actor first listens: (step number as written, line).
    first_listen: HashMap<usize, (usize, u64)>,
    /// The IP version of each actor's socket once it exists, and what fixed
    /// it (a socket is IPv4 or IPv6 for life).
    family: Vec<Option<(IpVersion, String)>>,
    /// The address each actor holds from its `bind`, with the step number and
    /// line that bound it; cleared by `close`.
    holds: Vec<Option<(SocketAddr, usize, u64)>>,
    /// Actors that set SO_REUSEADDR, which may let two sockets share a port.
    reuseaddr: Vec<bool>,
    /// Actors holding a connection `accept` returned.
    accepted: Vec<bool>,
    /// An actor's latest `close`: step number, line, and what it closed.
    closed: HashMap<usize, (usize, u64, Closed)>,
    /// Where an actor shut down its sending side: no `send` after that.
    shut_write: HashMap<usize, (usize, u64)>,
    /// Actors that have a `recvfrom` before this step, so `to: reply` has
    /// someone to answer.
    heard: Vec<bool>,
    /// Where each actor's socket got its address (step, line, call), while
    /// it is open: a socket is bound once.
    addressed: HashMap<usize, (usize, u64, &'static str)>,
    /// Actors whose socket exists only because `setsockopt` made it.
    made: Vec<bool>,
    /// Finished connections waiting in each listener's queue for `accept`.
    waiting: Vec<usize>,
    /// Connects expected to time out (a full queue): the kernel keeps
    /// resending their SYN, so they may still arrive for a later `accept`.
    maybe_waiting: Vec<usize>,
}

/// Which socket of an actor a `close` took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closed {
    Socket,
    Listener,
    Connection,
}

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Closed::Socket => "its socket",
            Closed::Listener => "its listening socket",
            Closed::Connection => "its connection",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IpVersion {
    V4,
    V6,
}

impl IpVersion {
    fn of(ip: IpAddr) -> IpVersion {
        if ip.is_ipv6() {
            IpVersion::V6
        } else {
            IpVersion::V4
        }
    }
    fn name(self) -> &'static str {
        match self {
            IpVersion::V4 => "IPv4",
            IpVersion::V6 => "IPv6",
        }
    }
}

fn check_repeat(spec: &StepSpec, problems: &mut Vec<Problem>) -> usize {
    let Some(r) = &spec.repeat else { return 1 };
    let repeatable = ["send", "sendall", "sendto", "recv", "recvfrom"];
    if !repeatable.contains(&spec.call.value.as_str()) {
        problems.push(Problem::error(
            r,
            format!("`{}` cannot be repeated", spec.call.value),
            Some(format!("`repeat` is for {}", repeatable.join(", "))),
        ));
        return 1;
    }
    if r.value < 1 || r.value as u64 > limits::MAX_REPEAT as u64 {
        problems.push(Problem::error(
            r,
            format!("repeat {} is out of range (limit `max_repeat`)", r.value),
            Some(format!("repeat a step 1 to {} times", limits::MAX_REPEAT)),
        ));
        return 1;
    }
    r.value as usize
}

/// Line and column of byte `offset` in `source`, 1-based.
fn line_col(source: &str, offset: usize) -> (u64, u64) {
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() as u64 + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() as u64 + 1;
    (line, column)
}

/// Check a note template (or a question, or an explanation): its length and
/// its placeholders. Returns the text as prose when it is fine.
fn check_template(
    t: &Spanned<String>,
    what: &str,
    source: &str,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let mut ok = true;
    if t.value.chars().count() > limits::MAX_TEXT {
        problems.push(Problem::error(
            t,
            format!(
                "{what} is {} characters long; the limit is {} (limit `max_text`)",
                t.value.chars().count(),
                limits::MAX_TEXT
            ),
            Some("say it in fewer words".into()),
        ));
        ok = false;
    }
    if let Err(errors) = crate::annotate::rules::parse_template(&t.value) {
        ok = false;
        // The raw text of the value in the file, to point at each mistake.
        let span = t.referenced.span();
        let raw = span.byte_offset().zip(span.byte_len()).and_then(|(o, l)| {
            let o = o as usize;
            source.get(o..o + l as usize).map(|raw| (o, raw))
        });
        let mut search_from = 0;
        for e in errors {
            let found = raw.and_then(|(o, raw)| {
                let needle = e.needle.as_deref()?;
                let at = raw.get(search_from..)?.find(needle)? + search_from;
                search_from = at + needle.len();
                Some(o + at)
            });
            let (line, column) = match found {
                Some(offset) => line_col(source, offset),
                None => pos(t),
            };
            problems.push(Problem::at(
                Severity::Error,
                line,
                column,
                e.message,
                Some(e.hint),
            ));
        }
    }
    ok.then(|| prose(&t.value))
}

const RULE_PROTOCOLS: &[&str] = &[
    "ethernet", "arp", "ip", "ipv4", "ipv6", "icmp", "icmpv6", "udp", "tcp",
];
const TCP_FLAGS: &[&str] = &["SYN", "ACK", "FIN", "RST", "PSH", "URG", "ECE", "CWR", "NS"];

fn check_rules(
    specs: &[Spanned<RuleSpec>],
    names: &[&str],
    id_numbers: &HashMap<String, Vec<usize>>,
    total_steps: usize,
    source: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Rule> {
    if specs.len() > limits::MAX_RULES {
        problems.push(Problem::error(
            &specs[limits::MAX_RULES],
            format!(
                "the lesson has {} rules; the limit is {} (limit `max_rules`)",
                specs.len(),
                limits::MAX_RULES
            ),
            Some("merge rules that match the same frames".into()),
        ));
    }
    let mut endpoints: Vec<&str> = names.to_vec();
    endpoints.push("kernel");
    let mut ids: Vec<&str> = id_numbers.keys().map(String::as_str).collect();
    ids.sort();
    let mut out = Vec::new();
    for spec in specs.iter().take(limits::MAX_RULES) {
        let r = &spec.value;
        let before = problems.len();
        let mut rule = Rule {
            line: spec.referenced.line(),
            ..Rule::default()
        };

        if let Some(p) = &r.protocol {
            let lower = p.value.trim().to_ascii_lowercase();
            if RULE_PROTOCOLS.contains(&lower.as_str()) {
                rule.protocol = Some(lower);
            } else {
                problems.push(Problem::error(
                    p,
                    format!("unknown protocol `{}`", p.value),
                    hint_mean(&lower, RULE_PROTOCOLS, "`protocol`"),
                ));
            }
        }
        if let Some(flags) = &r.flags {
            if flags.value.is_empty() {
                problems.push(Problem::error(flags, "`flags: []` names no flag", Some("list the flags that must all be set, e.g. `[SYN, ACK]`, or leave `flags` out".into())));
            }
            for f in &flags.value {
                let upper = f.value.trim().to_ascii_uppercase();
                if TCP_FLAGS.contains(&upper.as_str()) {
                    rule.flags.push(upper);
                } else {
                    problems.push(Problem::error(
                        f,
                        format!("unknown TCP flag `{}`", f.value),
                        hint_mean(&upper, TCP_FLAGS, "a TCP flag"),
                    ));
                }
            }
            if let Some(p) = rule.protocol.as_deref().filter(|p| *p != "tcp") {
                problems.push(Problem::error(
                    flags,
                    format!("`flags` are TCP's, but this rule matches `{p}` frames"),
                    Some("use `protocol: tcp`, or leave `protocol` out".into()),
                ));
            }
        }
        for (key, value, slot) in [
            ("from", &r.from, &mut rule.from),
            ("to", &r.to, &mut rule.to),
        ] {
            if let Some(v) = value {
                if endpoints.contains(&v.value.as_str()) {
                    *slot = Some(v.value.clone());
                } else {
                    problems.push(Problem::error(
                        v,
                        format!("`{key}: {}` is not an actor of this lesson", v.value),
                        hint_mean(&v.value, &endpoints, &format!("`{key}`")),
                    ));
                }
            }
        }
        if let Some(s) = &r.step {
            let text = s.value.trim();
            if let Ok(n) = text.parse::<i64>() {
                if n >= 1 && n as u64 <= total_steps as u64 {
                    rule.steps = Some(vec![n as usize]);
                } else {
                    problems.push(Problem::error(
                        s,
                        format!("step {n} does not exist"),
                        Some(format!("the lesson runs steps 1 to {total_steps}")),
                    ));
                }
            } else if let Some(numbers) = id_numbers.get(text) {
                rule.steps = Some(numbers.clone());
            } else {
                problems.push(Problem::error(
                    s,
                    format!("no step has the id `{text}`"),
                    match did_you_mean(text, ids.iter().copied()) {
                        Some(m) => Some(format!("did you mean `{m}`?")),
                        None if ids.is_empty() => {
                            Some("give the step an `id:`, or name it by its number".into())
                        }
                        None => Some(format!("the step ids are: {}", ids.join(", "))),
                    },
                ));
            }
        }
        if let Some(p) = &r.payload {
            if p.value.is_empty() {
                problems.push(Problem::error(
                    p,
                    "`payload: \"\"` matches nothing",
                    Some("give the text the payload must contain, or leave `payload` out".into()),
                ));
            } else if p.value.len() > limits::MAX_PAYLOAD {
                problems.push(Problem::error(
                    p,
                    format!("payload of {} bytes is larger than the limit of {} bytes (limit `max_payload`)", p.value.len(), limits::MAX_PAYLOAD),
                    None,
                ));
            } else {
                rule.payload = Some(p.value.as_bytes().to_vec());
            }
        }
        if let Some(m) = &r.mode {
            match m.value.as_str() {
                "append" => rule.mode = RuleMode::Append,
                "replace" => rule.mode = RuleMode::Replace,
                other => problems.push(Problem::error(
                    m,
                    format!("unknown mode `{other}`"),
                    hint_mean(other, &["append", "replace"], "`mode`"),
                )),
            }
        }
        if r.syntax.is_none() && r.semantics.is_none() && r.timing.is_none() {
            problems.push(Problem::error(
                spec,
                "this rule adds no note",
                Some("give it `syntax:`, `semantics:` or `timing:` text".into()),
            ));
        }
        rule.syntax = r
            .syntax
            .as_ref()
            .and_then(|t| check_template(t, "the `syntax` note", source, problems));
        rule.semantics = r
            .semantics
            .as_ref()
            .and_then(|t| check_template(t, "the `semantics` note", source, problems));
        rule.timing = r
            .timing
            .as_ref()
            .and_then(|t| check_template(t, "the `timing` note", source, problems));

        // Values a matched frame cannot have.
        if let Some(p) = rule.protocol.as_deref().filter(|p| *p != "tcp") {
            for t in [&r.syntax, &r.semantics, &r.timing].into_iter().flatten() {
                if t.value.contains("{tcp.") {
                    problems.push(Problem::warning(
                        t,
                        format!("this rule matches `{p}` frames, which have no TCP header"),
                        Some(format!(
                            "`{{tcp.…}}` will read `{}`",
                            crate::annotate::rules::MISSING
                        )),
                    ));
                }
            }
        }
        if r.protocol.is_none()
            && r.flags.is_none()
            && r.from.is_none()
            && r.to.is_none()
            && r.step.is_none()
            && r.payload.is_none()
        {
            problems.push(Problem::warning(spec, "this rule matches every frame", Some("add `protocol`, `flags`, `from`, `to`, `step` or `payload` to say which frames it is about".into())));
        }
        if !problems[before..]
            .iter()
            .any(|p| p.severity == Severity::Error)
        {
            out.push(rule);
        }
    }
    out
}

/// Calls that put no frame on the wire by themselves, so a checkpoint about
/// their frames would have nothing to read.
fn frameless(call: &str, transport: Option<Transport>, spec: &StepSpec) -> bool {
    match call {
        "bind" | "listen" | "accept" | "setsockopt" | "recv" | "recvfrom" | "sleep" => true,
        "connect" | "shutdown" => transport == Some(Transport::Udp),
        "close" => {
            transport == Some(Transport::Udp)
                || spec.socket.as_ref().is_some_and(|s| s.value == "listener")
        }
        _ => false,
    }
}

fn check_checkpoint(
    spec: &StepSpec,
    transport: Option<Transport>,
    source: &str,
    problems: &mut Vec<Problem>,
) -> Option<CheckpointPlan> {
    let cp = spec.checkpoint.as_ref()?;
    let c = &cp.value;
    let before = problems.len();
    let call = spec.call.value.as_str();
    if frameless(call, transport, spec) {
        problems.push(Problem::error(
            cp,
            format!("`{call}` puts no frame on the wire here, so this checkpoint has nothing to ask about"),
            Some("put the checkpoint on a step that sends: sendto, send, sendall, a TCP connect, close or shutdown".into()),
        ));
    }
    if c.ask.value.trim().is_empty() {
        problems.push(Problem::error(
            &c.ask,
            "the question is empty",
            Some("e.g. `ask: \"Which port will the datagram come from?\"`".into()),
        ));
    }
    let ask = check_template(&c.ask, "the question", source, problems);
    let answer = c.answer.value.trim();
    if answer.starts_with('{')
        && answer.ends_with('}')
        && crate::annotate::rules::is_placeholder(answer[1..answer.len() - 1].trim())
    {
        problems.push(Problem::error(
            &c.answer,
            format!(
                "write `answer: {}` without braces",
                answer[1..answer.len() - 1].trim()
            ),
            Some("`answer` names a captured value; braces are for templates".into()),
        ));
    } else if !crate::annotate::rules::is_placeholder(answer) {
        problems.push(Problem::error(
            &c.answer,
            format!("`{answer}` is not a captured value"),
            Some(match did_you_mean(answer, crate::annotate::rules::placeholder_names()) {
                Some(m) => format!("did you mean `{m}`? The right answer is read from the captured frame, so `answer` names a value, not the value itself"),
                None => format!(
                    "the right answer is read from the captured frame, so `answer` names a value: one of {}",
                    crate::annotate::rules::placeholder_names().collect::<Vec<_>>().join(", ")
                ),
            }),
        ));
    } else if answer.starts_with("tcp.") && transport == Some(Transport::Udp) {
        problems.push(Problem::error(
            &c.answer,
            format!(
                "`{answer}` is TCP's, but `{}` is a UDP actor",
                spec.actor.value
            ),
            Some("ask about `port.src`, `port.dst`, `ip.src`, `payload` or `length`".into()),
        ));
    }
    let frame = match &c.frame {
        Some(f) if f.value < 1 || f.value as u64 > limits::MAX_CHECKPOINT_FRAME as u64 => {
            problems.push(Problem::error(
                f,
                format!(
                    "frame {} is out of range (limit `max_checkpoint_frame`)",
                    f.value
                ),
                Some(format!(
                    "frames of a step count from 1 to {}",
                    limits::MAX_CHECKPOINT_FRAME
                )),
            ));
            1
        }
        Some(f) if f.value > 2 && transport == Some(Transport::Udp) => {
            problems.push(Problem::warning(
                f,
                format!("a UDP `{}` makes one datagram, and at most an ICMP error comes back: there is no frame {}", spec.call.value, f.value),
                Some("ask about `frame: 1` (the datagram) or `frame: 2` (an ICMP error, when nobody listens)".into()),
            ));
            f.value as usize
        }
        Some(f) => f.value as usize,
        None => 1,
    };
    let explain = c
        .explain
        .as_ref()
        .and_then(|e| check_template(e, "the explanation", source, problems));
    if problems[before..]
        .iter()
        .any(|p| p.severity == Severity::Error)
    {
        return None;
    }
    Some(CheckpointPlan {
        ask: ask?,
        answer: answer.to_string(),
        frame,
        explain,
    })
}

/// Why a name cannot name an actor: names appear in every note, in diagrams
/// and in `to:`, where some words already mean something.
fn bad_actor_name(name: &str) -> Option<&'static str> {
    if name.chars().count() > 32 {
        Some("it is longer than 32 characters")
    } else if name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        Some("it holds spaces or control characters")
    } else if name == "kernel" {
        Some("`kernel` stands for frames no socket of the lesson sent")
    } else if name == "reply" {
        Some("`to: reply` means the last sender a `recvfrom` heard from")
    } else if name.parse::<SocketAddr>().is_ok() || name.parse::<IpAddr>().is_ok() {
        Some("it reads as an address")
    } else {
        None
    }
}

fn check_actors(specs: &[ActorSpec], problems: &mut Vec<Problem>) -> Vec<Option<PlannedActor>> {
    let mut seen = HashMap::new();
    if specs.len() > limits::MAX_ACTORS {
        problems.push(Problem::error(
            &specs[limits::MAX_ACTORS].name,
            format!(
                "the lesson declares {} actors; the limit is {} (limit `max_actors`)",
                specs.len(),
                limits::MAX_ACTORS
            ),
            None,
        ));
    }
    specs
        .iter()
        .map(|spec| {
            if let Some(line) = seen.insert(spec.name.value.clone(), spec.name.referenced.line()) {
                problems.push(Problem::error(
                    &spec.name,
                    format!("actor `{}` is declared twice", spec.name.value),
                    Some(format!("the first is on line {line}")),
                ));
            }
            if spec.name.value.is_empty() {
                problems.push(Problem::error(
                    &spec.name,
                    "an actor needs a name",
                    Some("e.g. `name: sender`".into()),
                ));
            } else if let Some(why) = bad_actor_name(&spec.name.value) {
                problems.push(Problem::error(
                    &spec.name,
                    format!(
                        "`{}` cannot be an actor's name: {why}",
                        spec.name.value.chars().take(40).collect::<String>()
                    ),
                    Some("use a short word like `sender`, `server` or `client-2`".into()),
                ));
            }
            let transport = match spec.transport.value.as_str() {
                "udp" => Some(Transport::Udp),
                "tcp" => Some(Transport::Tcp),
                other => {
                    problems.push(Problem::error(
                        &spec.transport,
                        format!("unknown transport `{other}`"),
                        hint_mean(other, &["udp", "tcp"], "a transport"),
                    ));
                    None
                }
            };
            let ip = match &spec.address {
                Some(a) => parse_ip(a, problems),
                None => Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            };
            let port = match &spec.port {
                Some(p) => check_port(p, problems),
                None => Some(0),
            };
            Some(PlannedActor {
                name: spec.name.value.clone(),
                transport: transport?,
                addr: SocketAddr::new(ip?, port?),
            })
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn check_step(
    number: usize,
    spec: &StepSpec,
    actor: usize,
    transport: Option<Transport>,
    names: &[&str],
    actors: &[Option<PlannedActor>],
    state: &mut State,
    source: &str,
    problems: &mut Vec<Problem>,
) -> Option<PlannedStep> {
    let State {
        bound,
        connected,
        listening,
        failed_connect,
        first_listen,
        family,
        holds,
        reuseaddr,
        accepted,
        closed,
        shut_write,
        heard,
        addressed,
        made,
        waiting,
        maybe_waiting,
    } = state;
    let here = (number, spec.call.referenced.line());
    let before = problems.len();
    let call_name = spec.call.value.as_str();
    let actor_name = names[actor];
    if !CALLS.contains(&call_name) {
        problems.push(Problem::error(
            &spec.call,
            format!("unknown call `{call_name}`"),
            hint_mean(call_name, CALLS, "a call"),
        ));
        return None;
    }

    // Keys that mean nothing for this call are mistakes, not decoration.
    let present: [(&str, Option<(u64, u64)>); 11] = [
        ("to", spec.to.as_ref().map(pos)),
        ("text", spec.text.as_ref().map(pos)),
        ("hex", spec.hex.as_ref().map(pos)),
        ("backlog", spec.backlog.as_ref().map(pos)),
        ("max", spec.max.as_ref().map(pos)),
        ("how", spec.how.as_ref().map(pos)),
        ("socket", spec.socket.as_ref().map(pos)),
        ("option", spec.option.as_ref().map(pos)),
        ("value", spec.value.as_ref().map(pos)),
        ("ms", spec.ms.as_ref().map(pos)),
        ("size", spec.size.as_ref().map(pos)),
    ];
    let allowed = keys_for(call_name);
    for (key, at) in present {
        if let Some((line, column)) = at
            && !allowed.contains(&key)
        {
            problems.push(Problem::at(
                Severity::Error,
                line,
                column,
                format!("`{key}` has no meaning for `{call_name}`"),
                Some(if allowed.is_empty() {
                    format!("`{call_name}` takes no arguments")
                } else {
                    format!("`{call_name}` takes: {}", allowed.join(", "))
                }),
            ));
        }
    }

    let tcp_only = ["listen", "accept", "send", "sendall", "recv", "shutdown"];
    let udp_only = ["sendto", "recvfrom"];
    match transport {
        Some(Transport::Udp)
            if tcp_only.contains(&call_name) && !matches!(call_name, "send" | "recv") =>
        {
            problems.push(Problem::error(
                &spec.call,
                format!("`{call_name}` is a TCP call, but `{actor_name}` is a UDP actor"),
                Some(match call_name {
                    "send" | "sendall" => {
                        "UDP sends with `sendto` (or `send` after `connect`)".to_string()
                    }
                    "recv" => {
                        "UDP receives with `recvfrom` (or `recv` after `connect`)".to_string()
                    }
                    _ => "UDP has no connections: no listen, accept or shutdown".to_string(),
                }),
            ));
        }
        Some(Transport::Tcp) if udp_only.contains(&call_name) => {
            problems.push(Problem::error(
                &spec.call,
                format!("`{call_name}` is a UDP call, but `{actor_name}` is a TCP actor"),
                Some(if call_name == "sendto" {
                    "TCP sends with `send` or `sendall` after `connect`/`accept`".into()
                } else {
                    "TCP receives with `recv`".into()
                }),
            ));
        }
        _ => {}
    }

    let timeout = match &spec.timeout_ms {
        Some(t) if t.value < 1 || t.value as u64 > limits::MAX_TIMEOUT_MS => {
            problems.push(Problem::error(
                t,
                format!(
                    "timeout_ms {} is out of range (limit `max_timeout_ms`)",
                    t.value
                ),
                Some(format!(
                    "a wait is 1 to {} milliseconds",
                    limits::MAX_TIMEOUT_MS
                )),
            ));
            limits::DEFAULT_TIMEOUT_MS
        }
        Some(t) => t.value as u64,
        None => limits::DEFAULT_TIMEOUT_MS,
    };

    let data = if matches!(call_name, "send" | "sendall" | "sendto") {
        check_data(spec, problems)
    } else {
        Some(Vec::new())
    };
    let to = if matches!(call_name, "connect" | "sendto") {
        check_peer(spec, names, actors, problems)
    } else {
        None
    };
    if let (Some(Peer::Actor(target)), Some(mine)) = (to, transport)
        && let Some(Some(peer)) = actors.get(target)
        && peer.transport != mine
    {
        problems.push(Problem::error(
                    spec.to.as_ref().unwrap_or(&spec.call),
                    format!("`{actor_name}` is a {} actor, but `{}` is a {} actor", mine.as_str().to_uppercase(), names[target], peer.transport.as_str().to_uppercase()),
                    Some("a socket only talks to sockets of its own transport; give both actors the same `transport`".into()),
                ));
    }
    check_family(spec, call_name, actor, names, actors, to, family, problems);
    let expect = check_expect(spec.expect.as_ref(), call_name, names, problems);

    let call = match call_name {
        "bind" => {
            if let Some((n, line, how)) = addressed.get(&actor) {
                problems.push(Problem::error(
                    &spec.call,
                    format!("`{actor_name}` binds, but its socket already has an address from its `{how}` (step {n}, line {line}): the kernel answers EINVAL"),
                    Some(if *how == "bind" {
                        "a socket is bound once; remove this step".to_string()
                    } else {
                        format!("bind before the `{how}`, so that the socket keeps the port you choose")
                    }),
                ));
            }
            bound[actor] = true;
            addressed.entry(actor).or_insert((here.0, here.1, "bind"));
            Call::Bind
        }
        "listen" => {
            let backlog = match &spec.backlog {
                Some(b) if b.value < 0 || b.value > i64::from(limits::MAX_BACKLOG) => {
                    problems.push(Problem::error(
                        b,
                        format!("backlog {} is out of range (limit `max_backlog`)", b.value),
                        Some(format!("use 0 to {}", limits::MAX_BACKLOG)),
                    ));
                    1
                }
                Some(b) => b.value as u32,
                None => 1,
            };
            if connected[actor] && !accepted[actor] {
                problems.push(Problem::error(
                    &spec.call,
                    format!("`{actor_name}` listens, but its socket is connected"),
                    Some("a socket is either a client (connect) or a server (bind, listen, accept); use another actor for the other role".into()),
                ));
            } else if !bound[actor] {
                problems.push(Problem::error(
                    &spec.call,
                    format!("`{actor_name}` listens before it binds"),
                    Some(
                        "add a `bind` step for it first, so students see which port it listens on"
                            .into(),
                    ),
                ));
            }
            listening[actor] = true;
            Call::Listen { backlog }
        }
        "accept" => {
            if !listening[actor]
                && let Some((n, line, what @ Closed::Listener)) = closed.get(&actor)
            {
                problems.push(Problem::error(
                    &spec.call,
                    format!("`{actor_name}` accepts after it closed {what} (step {n}, line {line})"),
                    Some("accept takes connections from the listening socket; close it after the last `accept`".into()),
                ));
            } else if !listening[actor] {
                problems.push(match first_listen.get(&actor) {
                    Some((n, line)) => Problem::error(
                        &spec.call,
                        format!("`{actor_name}` accepts before it listens"),
                        Some(format!(
                            "its `listen` is step {n} (line {line}); move this `accept` after it"
                        )),
                    ),
                    None => Problem::error(
                        &spec.call,
                        format!("`{actor_name}` accepts but never listens"),
                        Some("add `call: listen` before `accept`".into()),
                    ),
                });
            }
            if listening[actor] && expect.error.is_none() {
                if waiting[actor] == 0 && maybe_waiting[actor] > 0 {
                    maybe_waiting[actor] -= 1;
                } else if waiting[actor] == 0 {
                    problems.push(Problem::error(
                        &spec.call,
                        format!("`{actor_name}` accepts, but no client has connected to it since its last `accept`"),
                        Some("steps run one after another, and accept() waits for a finished connection: put the client's `connect` before this `accept` (the kernel completes the handshake by itself)".into()),
                    ));
                } else {
                    waiting[actor] -= 1;
                }
            }
            if accepted[actor] {
                problems.push(Problem::warning(
                    &spec.call,
                    format!("`{actor_name}` accepts again while its earlier connection is open: that connection is closed here (FIN)"),
                    Some("an actor holds one connection; `close` it first to make that visible, or give each client its own server actor".into()),
                ));
            }
            connected[actor] = true;
            accepted[actor] = true;
            shut_write.remove(&actor);
            Call::Accept
        }
        "connect" => {
            if let Some(Peer::Actor(target)) = to {
                let expects_refusal = expect.error == Some(ExpectedError::Refused);
                let at = spec.to.as_ref().unwrap_or(&spec.call);
                if transport == Some(Transport::Tcp) && !listening[target] && !expects_refusal {
                    problems.push(match first_listen.get(&target) {
                        Some((n, line)) => Problem::error(
                            at,
                            format!("`{actor_name}` connects to `{}` before it listens", names[target]),
                            Some(format!("`{}` listens in step {n} (line {line}); move this `connect` after it", names[target])),
                        ),
                        None => Problem::error(
                            at,
                            format!("`{actor_name}` connects to `{}`, which never listens", names[target]),
                            Some(format!("add `call: listen` for `{}`, or add `expect: {{error: refused}}` if the refusal is the lesson", names[target])),
                        ),
                    });
                }
            }
            if transport == Some(Transport::Tcp)
                && connected[actor]
                && !failed_connect.contains_key(&actor)
            {
                problems.push(Problem::error(
                    &spec.call,
                    format!("`{actor_name}` is already connected"),
                    Some("a TCP socket connects once (a second connect fails with EISCONN); use another actor for a second connection".into()),
                ));
            }
            if transport == Some(Transport::Tcp) {
                if let Some((n, line)) = failed_connect.get(&actor) {
                    problems.push(Problem::error(
                        &spec.call,
                        format!("`{actor_name}` connects again, but its connect in step {n} (line {line}) fails"),
                        Some("a TCP socket whose connect failed cannot connect again (the kernel answers ECONNABORTED); use another actor for the second attempt, as a program would make a new socket".into()),
                    ));
                }
                if expect.error.is_some() {
                    failed_connect.insert(actor, (number, spec.call.referenced.line()));
                }
            }
            if listening[actor] {
                problems.push(Problem::error(
                    &spec.call,
                    format!("`{actor_name}` connects, but its socket is listening"),
                    Some("a listening socket only accepts; let another actor be the client".into()),
                ));
            }
            // A connection that will be made waits for the server's accept.
            let server = match to {
                Some(Peer::Actor(target)) => Some(target),
                // The actor listening there now, if several declare the address.
                Some(Peer::Addr(addr)) => {
                    let at = |i: &usize| {
                        actors[*i]
                            .as_ref()
                            .is_some_and(|a| a.addr == addr && a.transport == Transport::Tcp)
                    };
                    (0..actors.len())
                        .filter(at)
                        .find(|i| listening[*i])
                        .or_else(|| (0..actors.len()).find(at))
                }
                _ => None,
            };
            if let Some(target) = server
                && transport == Some(Transport::Tcp)
                && listening[target]
            {
                match expect.error {
                    None => waiting[target] += 1,
                    Some(ExpectedError::Timeout) => maybe_waiting[target] += 1,
                    Some(_) => {}
                }
            }
            connected[actor] = true;
            bound[actor] = true;
            addressed
                .entry(actor)
                .or_insert((here.0, here.1, "connect"));
            Call::Connect {
                to: to.unwrap_or(Peer::Actor(0)),
            }
        }
        "send" | "sendall" => {
            if !connected[actor] {
                problems.push(not_connected(
                    spec,
                    actor_name,
                    "sends",
                    transport,
                    closed.get(&actor),
                ));
            } else if let Some((n, line)) = shut_write.get(&actor) {
                problems.push(Problem::error(
                    &spec.call,
                    format!("`{actor_name}` sends after it shut down its sending side (step {n}, line {line}): the call would fail with EPIPE"),
                    Some("`shutdown` with `how: write` (or `both`) sends FIN, and nothing more may be sent; move the send before it".into()),
                ));
            }
            Call::Send {
                data: data.clone().unwrap_or_default(),
                all: call_name == "sendall",
            }
        }
        "sendto" => {
            if to == Some(Peer::Reply) && !heard[actor] {
                problems.push(Problem::error(
                    spec.to.as_ref().unwrap_or(&spec.call),
                    format!("`to: reply` answers whoever `{actor_name}` last heard from, but it has no `recvfrom` before this step"),
                    Some("add a `recvfrom` step for it first, or name the destination (`to: ACTOR` or an address)".into()),
                ));
            }
            bound[actor] = true; // the kernel binds an ephemeral port on first send
            addressed.entry(actor).or_insert((here.0, here.1, "sendto"));
            Call::SendTo {
                to: to.unwrap_or(Peer::Actor(0)),
                data: data.clone().unwrap_or_default(),
            }
        }
        "recv" | "recvfrom" => {
            let max = match &spec.max {
                Some(m) if m.value < 1 || m.value > i64::from(limits::MAX_RECV) => {
                    problems.push(Problem::error(
                        m,
                        format!("max {} is out of range (limit `max_recv`)", m.value),
                        Some(format!("read 1 to {} bytes", limits::MAX_RECV)),
                    ));
                    1024
                }
                Some(m) => m.value as u32,
                None => 1024,
            };
            if call_name == "recv" && !connected[actor] {
                problems.push(not_connected(
                    spec,
                    actor_name,
                    "receives",
                    transport,
                    closed.get(&actor),
                ));
            }
            if call_name == "recvfrom" && !bound[actor] {
                problems.push(Problem::error(
                    &spec.call,
                    format!("`{actor_name}` receives before it has an address"),
                    Some("add a `bind` step first, so senders know its port".into()),
                ));
            }
            if call_name == "recv" {
                Call::Recv { max }
            } else {
                heard[actor] = true;
                Call::RecvFrom { max }
            }
        }
        "shutdown" => {
            let how = match spec.how.as_ref().map(|h| (h, h.value.as_str())) {
                None | Some((_, "write")) => ShutdownHow::Write,
                Some((_, "read")) => ShutdownHow::Read,
                Some((_, "both")) => ShutdownHow::Both,
                Some((h, other)) => {
                    problems.push(Problem::error(
                        h,
                        format!("unknown shutdown direction `{other}`"),
                        hint_mean(other, &["read", "write", "both"], "`how`"),
                    ));
                    ShutdownHow::Write
                }
            };
            if !connected[actor] {
                problems.push(not_connected(
                    spec,
                    actor_name,
                    "shuts down",
                    transport,
                    closed.get(&actor),
                ));
            }
            if how != ShutdownHow::Read {
                shut_write.insert(actor, (number, spec.call.referenced.line()));
            }
            Call::Shutdown { how }
        }
        "close" => {
            let listener = match spec.socket.as_ref().map(|s| (s, s.value.as_str())) {
                None | Some((_, "connection")) => false,
                Some((_, "listener")) => true,
                Some((s, other)) => {
                    problems.push(Problem::error(
                        s,
                        format!("unknown socket `{other}`"),
                        hint_mean(other, &["connection", "listener"], "`socket`"),
                    ));
                    false
                }
            };
            let has_socket = bound[actor]
                || connected[actor]
                || listening[actor]
                || accepted[actor]
                || made[actor];
            if !has_socket {
                problems.push(match closed.get(&actor) {
                    Some((n, line, what)) => Problem::error(
                        &spec.call,
                        format!("`{actor_name}` closes again: it closed {what} in step {n} (line {line})"),
                        Some("remove this `close`".into()),
                    ),
                    None => Problem::error(
                        &spec.call,
                        format!("`{actor_name}` closes, but has no socket yet"),
                        Some("its socket comes with its first `bind`, `connect`, `sendto` or `setsockopt`; close after those".into()),
                    ),
                });
            } else if listener
                && !listening[actor]
                && let Some(at) = &spec.socket
            {
                problems.push(Problem::error(
                    at,
                    format!("`{actor_name}` closes its listening socket, but it does not listen"),
                    Some("`socket: listener` is for a server after `listen`; leave `socket` out to close the actor's socket or connection".into()),
                ));
            }
            made[actor] = false;
            // What is gone after this close, as `exec` does it.
            let what = if transport == Some(Transport::Udp) {
                bound[actor] = false;
                connected[actor] = false;
                addressed.remove(&actor);
                Closed::Socket
            } else if listener {
                listening[actor] = false;
                bound[actor] = false;
                waiting[actor] = 0;
                maybe_waiting[actor] = 0;
                addressed.remove(&actor);
                Closed::Listener
            } else if accepted[actor] {
                accepted[actor] = false;
                connected[actor] = false;
                Closed::Connection
            } else {
                bound[actor] = false;
                connected[actor] = false;
                listening[actor] = false;
                addressed.remove(&actor);
                Closed::Socket
            };
            shut_write.remove(&actor);
            // A new socket comes with the next connect: it may connect again.
            failed_connect.remove(&actor);
            closed.insert(actor, (number, spec.call.referenced.line(), what));
            Call::Close { listener }
        }
        "setsockopt" => {
            made[actor] = true;
            let option = match spec.option.as_ref().map(|o| (o, o.value.as_str())) {
                Some((_, "nodelay")) => SockOpt::NoDelay,
                Some((_, "quickack")) => SockOpt::QuickAck,
                Some((_, "reuseaddr")) => SockOpt::ReuseAddr,
                Some((o, name @ ("rcvbuf" | "sndbuf" | "maxseg"))) => {
                    let (low, high) = if name == "maxseg" {
                        (88, 32_767)
                    } else {
                        (1, limits::MAX_SOCKET_BUFFER)
                    };
                    let size = match &spec.size {
                        Some(n) if n.value < i64::from(low) || n.value > i64::from(high) => {
                            problems.push(Problem::error(
                                n,
                                format!(
                                    "`size` {} is out of range for `{name}`{}",
                                    n.value,
                                    if name == "maxseg" {
                                        ""
                                    } else {
                                        " (limit `max_socket_buffer`)"
                                    }
                                ),
                                Some(format!("`{name}` takes {low} to {high} bytes")),
                            ));
                            low
                        }
                        Some(n) => n.value as u32,
                        None => {
                            problems.push(Problem::error(
                                o,
                                format!("`{name}` needs a `size` in bytes"),
                                Some(format!("e.g. `size: 4096` ({low} to {high})")),
                            ));
                            low
                        }
                    };
                    match name {
                        "rcvbuf" => SockOpt::RcvBuf(size),
                        "sndbuf" => SockOpt::SndBuf(size),
                        _ => SockOpt::MaxSeg(size),
                    }
                }
                Some((o, other)) => {
                    problems.push(Problem::error(
                        o,
                        format!("unknown socket option `{other}`"),
                        hint_mean(other, SockOpt::NAMES, "`option`"),
                    ));
                    SockOpt::NoDelay
                }
                None => {
                    problems.push(Problem::error(
                        &spec.call,
                        "`setsockopt` needs an `option`",
                        Some("e.g. `option: nodelay`".into()),
                    ));
                    SockOpt::NoDelay
                }
            };
            if transport == Some(Transport::Udp)
                && !matches!(
                    option,
                    SockOpt::ReuseAddr | SockOpt::RcvBuf(_) | SockOpt::SndBuf(_)
                )
            {
                problems.push(Problem::error(
                    &spec.call,
                    "this option is for TCP sockets",
                    Some("UDP sockets take `reuseaddr`, `rcvbuf` and `sndbuf` here".into()),
                ));
            }
            if option.sized()
                && let Some(v) = &spec.value
            {
                problems.push(Problem::error(
                    v,
                    "this option takes a `size`, not an on/off `value`",
                    Some("e.g. `size: 4096`".into()),
                ));
            }
            if !option.sized()
                && let Some(n) = &spec.size
            {
                problems.push(Problem::error(
                    n,
                    "this option is on or off: it takes `value`, not `size`",
                    Some("e.g. `value: true`".into()),
                ));
            }
            Call::SetOpt {
                option,
                value: spec.value.as_ref().map(|v| v.value).unwrap_or(true),
            }
        }
        "sleep" => match &spec.ms {
            Some(m) if m.value < 1 || m.value as u64 > limits::MAX_SLEEP_MS => {
                problems.push(Problem::error(
                    m,
                    format!(
                        "sleep of {} ms is out of range (limit `max_sleep_ms`)",
                        m.value
                    ),
                    Some(format!(
                        "a sleep is 1 to {} milliseconds",
                        limits::MAX_SLEEP_MS
                    )),
                ));
                Call::Sleep { ms: 1 }
            }
            Some(m) => Call::Sleep { ms: m.value as u64 },
            None => {
                problems.push(Problem::error(
                    &spec.call,
                    "`sleep` needs `ms`",
                    Some("e.g. `ms: 250` pauses the actor for 250 milliseconds".into()),
                ));
                Call::Sleep { ms: 1 }
            }
        },
        _ => unreachable!("checked against CALLS above"),
    };

    // Closing an accepted connection leaves the listener holding the port.
    let keeps_port = matches!(call, Call::Close { .. })
        && closed
            .get(&actor)
            .is_some_and(|(_, _, what)| *what == Closed::Connection);
    if !keeps_port {
        check_port_clash(
            spec, &call, actor, number, names, actors, holds, reuseaddr, problems,
        );
    }
    let checkpoint = check_checkpoint(spec, transport, source, problems);

    if problems[before..]
        .iter()
        .any(|p| p.severity == Severity::Error)
    {
        return None;
    }
    Some(PlannedStep {
        number,
        id: spec.id.as_ref().map(|i| i.value.clone()),
        actor,
        call,
        say: spec.say.as_deref().map(prose),
        timeout: Duration::from_millis(timeout),
        expect,
        checkpoint,
        line: spec.call.referenced.line(),
        column: spec.call.referenced.column(),
    })
}

fn pos<T>(s: &Spanned<T>) -> (u64, u64) {
    (s.referenced.line(), s.referenced.column())
}

fn check_data(spec: &StepSpec, problems: &mut Vec<Problem>) -> Option<Vec<u8>> {
    let data = match (&spec.text, &spec.hex) {
        (Some(_), Some(h)) => {
            problems.push(Problem::error(
                h,
                "a step sends `text` or `hex`, not both",
                Some("keep one of them".into()),
            ));
            return None;
        }
        (Some(t), None) => (t.value.as_bytes().to_vec(), pos(t)),
        (None, Some(h)) => match parse_hex(&h.value) {
            Ok(bytes) => (bytes, pos(h)),
            Err(e) => {
                problems.push(Problem::error(
                    h,
                    e,
                    Some("write bytes as pairs of hex digits, e.g. `68 65 6c 6c 6f`".into()),
                ));
                return None;
            }
        },
        (None, None) => {
            problems.push(Problem::error(
                &spec.call,
                format!("`{}` needs data to send", spec.call.value),
                Some("add `text: \"hello\"` or `hex: \"68656c6c6f\"`".into()),
            ));
            return None;
        }
    };
    if data.0.len() > limits::MAX_PAYLOAD {
        problems.push(Problem::at(
            Severity::Error,
            data.1 .0,
            data.1 .1,
            format!("payload of {} bytes is larger than the limit of {} bytes per call (limit `max_payload`)", data.0.len(), limits::MAX_PAYLOAD),
            Some("send less; a few bytes show the same headers".into()),
        ));
        return None;
    }
    Some(data.0)
}

/// Two sockets of one transport cannot bind the same address and port
/// while both are open: the second
/// bind would fail with EADDRINUSE. SO_REUSEADDR on both may allow it.
#[allow(clippy::too_many_arguments)]
fn check_port_clash(
    spec: &StepSpec,
    call: &Call,
    actor: usize,
    number: usize,
    names: &[&str],
    actors: &[Option<PlannedActor>],
    holds: &mut [Option<(SocketAddr, usize, u64)>],
    reuseaddr: &mut [bool],
    problems: &mut Vec<Problem>,
) {
    match call {
        Call::SetOpt {
            option: SockOpt::ReuseAddr,
            value,
        } => reuseaddr[actor] = *value,
        Call::Close { .. } => holds[actor] = None,
        Call::Bind => {
            let Some(Some(me)) = actors.get(actor) else {
                return;
            };
            if me.addr.port() != 0 {
                // Lessons bind loopback addresses only, never the wildcard.
                let overlaps = |other: SocketAddr| other == me.addr;
                let clash = holds.iter().enumerate().find(|(i, held)| {
                    *i != actor
                        && actors[*i]
                            .as_ref()
                            .is_some_and(|a| a.transport == me.transport)
                        // Linux lets two TCP sockets share a port only while
                        // neither listens: too fragile to allow in a lesson.
                        && !(reuseaddr[*i] && reuseaddr[actor] && me.transport == Transport::Udp)
                        && held.is_some_and(|(addr, _, _)| overlaps(addr))
                });
                if let Some((other, Some((addr, step, line)))) = clash {
                    problems.push(Problem::error(
                        &spec.call,
                        format!(
                            "`{}` binds {}, but `{}` already holds {addr} (step {step}, line {line}): this bind would fail with EADDRINUSE",
                            names[actor], me.addr, names[other]
                        ),
                        Some(format!("give `{}` another `port:`, or close `{}` first", names[actor], names[other])),
                    ));
                    return;
                }
            }
            holds[actor] = Some((me.addr, number, spec.call.referenced.line()));
        }
        _ => {}
    }
}

/// A socket is made for one IP version — from the actor's address when it
/// binds first, else from the first destination — and cannot reach the other.
#[allow(clippy::too_many_arguments)]
fn check_family(
    spec: &StepSpec,
    call_name: &str,
    actor: usize,
    names: &[&str],
    actors: &[Option<PlannedActor>],
    to: Option<Peer>,
    family: &mut [Option<(IpVersion, String)>],
    problems: &mut Vec<Problem>,
) {
    let Some(Some(me)) = actors.get(actor) else {
        return;
    };
    match call_name {
        "bind" | "setsockopt" if family[actor].is_none() => {
            family[actor] = Some((
                IpVersion::of(me.addr.ip()),
                format!("made for its address {}", me.addr.ip()),
            ));
        }
        "close" => family[actor] = None,
        "connect" | "sendto" => {
            let (dest, what) = match to {
                Some(Peer::Actor(i)) => match actors.get(i) {
                    Some(Some(a)) => (a.addr, format!("`{}` is at {}", names[i], a.addr.ip())),
                    _ => return,
                },
                Some(Peer::Addr(a)) => (a, format!("{} is", a.ip())),
                _ => return,
            };
            let version = IpVersion::of(dest.ip());
            match &family[actor] {
                None => {
                    family[actor] = Some((
                        version,
                        format!("made for its first destination, {}", dest.ip()),
                    ));
                }
                Some((mine, why)) if *mine != version => {
                    let what = if what.ends_with(" is") {
                        format!("{what} an {} address", version.name())
                    } else {
                        format!("{what}, an {} address", version.name())
                    };
                    problems.push(Problem::error(
                        spec.to.as_ref().unwrap_or(&spec.call),
                        format!("`{}` has an {} socket ({why}), but {what}", names[actor], mine.name()),
                        Some("a socket speaks one IP version: give both sides addresses of the same version (`127.0.0.1` for IPv4, `::1` for IPv6), or use another actor".into()),
                    ));
                }
                Some(_) => {}
            }
        }
        _ => {}
    }
}

/// A send or receive on an actor without a connection: never made, or
/// closed earlier (which is worth naming).
fn not_connected(
    spec: &StepSpec,
    actor_name: &str,
    verb: &str,
    transport: Option<Transport>,
    closed: Option<&(usize, u64, Closed)>,
) -> Problem {
    if let Some((n, line, what)) = closed {
        return Problem::error(
            &spec.call,
            format!("`{actor_name}` {verb} after it closed {what} (step {n}, line {line})"),
            Some("a closed socket cannot be used again; move this step before the `close`, or the `close` after it".into()),
        );
    }
    Problem::error(
        &spec.call,
        format!("`{actor_name}` {verb} before it is connected"),
        Some(if transport == Some(Transport::Udp) {
            if verb == "sends" {
                "UDP sends with `sendto`, or with `send` after a `connect` step".into()
            } else {
                "UDP receives with `recvfrom`, or with `recv` after a `connect` step".into()
            }
        } else {
            "add a `connect` (client) or `accept` (server) step first".into()
        }),
    )
}

fn check_peer(
    spec: &StepSpec,
    names: &[&str],
    actors: &[Option<PlannedActor>],
    problems: &mut Vec<Problem>,
) -> Option<Peer> {
    let Some(to) = &spec.to else {
        problems.push(Problem::error(
            &spec.call,
            format!("`{}` needs `to`", spec.call.value),
            Some("name an actor (`to: receiver`) or an address (`to: 127.0.0.1:5000`)".into()),
        ));
        return None;
    };
    if to.value == "reply" && !names.contains(&"reply") {
        if spec.call.value != "sendto" {
            problems.push(Problem::error(
                to,
                "`to: reply` only works for `sendto`",
                Some("it answers whoever the actor's last `recvfrom` heard from; `connect` needs an actor or an address".into()),
            ));
            return None;
        }
        return Some(Peer::Reply);
    }
    if let Some(i) = names.iter().position(|n| *n == to.value) {
        if let Some(Some(a)) = actors.get(i)
            && a.addr.port() == 0
        {
            problems.push(Problem::error(
                to,
                format!("`{}` has no fixed port to reach", to.value),
                Some(format!("give actor `{}` a `port:`", to.value)),
            ));
            return None;
        }
        return Some(Peer::Actor(i));
    }
    let written = to.value.trim();
    let written = match written.strip_prefix("localhost:") {
        Some(port) => format!("127.0.0.1:{port}"),
        None => written.to_string(),
    };
    match written.parse::<SocketAddr>() {
        Ok(addr) if is_broadcast(addr.ip()) => {
            problems.push(broadcast_problem(to));
            None
        }
        Ok(addr) if !is_sandbox_addr(addr.ip()) => {
            problems.push(Problem::error(
                to,
                format!("address `{}` is outside the sandbox", addr.ip()),
                Some("lessons may only use loopback addresses: 127.0.0.0/8 or ::1".into()),
            ));
            None
        }
        Ok(addr) if addr.port() == 0 => {
            problems.push(Problem::error(
                to,
                "port 0 cannot be a destination",
                Some("use a port from 1 to 65535".into()),
            ));
            None
        }
        Ok(addr) => Some(Peer::Addr(addr)),
        Err(_) => {
            // `ip:port` with a port that does not fit in 16 bits reads better as a range error.
            if let Some((host, port)) = written.rsplit_once(':')
                && let Ok(n) = port.parse::<i64>()
            {
                if !(1..=65535).contains(&n) {
                    problems.push(Problem::error(
                        to,
                        format!("port {n} is out of range"),
                        Some("a port is a number from 1 to 65535".into()),
                    ));
                    return None;
                }
                // A host name with a port: never looked up.
                if !host.is_empty()
                    && host.parse::<IpAddr>().is_err()
                    && !host.starts_with('[')
                    && !host.contains(':')
                {
                    problems.push(Problem::error(
                            to,
                            format!("host `{host}` is outside the sandbox"),
                            Some("lessons do not look up host names; use a loopback address like `127.0.0.1:5000` or `[::1]:5000`, or an actor's name".into()),
                        ));
                    return None;
                }
            }
            let looks_like_address = to.value.contains(':') || to.value.contains('.');
            problems.push(Problem::error(
                to,
                format!("`{}` is neither an actor nor an address", to.value),
                if looks_like_address {
                    Some("an address is `IP:PORT`, like `127.0.0.1:5000` or `[::1]:5000`".into())
                } else {
                    hint_mean(&to.value, names, "`to`")
                },
            ));
            None
        }
    }
}

fn check_expect(
    expect: Option<&Spanned<ExpectSpec>>,
    call: &str,
    names: &[&str],
    problems: &mut Vec<Problem>,
) -> Expect {
    let Some(spec) = expect else {
        return Expect::default();
    };
    let e = &spec.value;
    let mut out = Expect::default();
    let receives = matches!(call, "recv" | "recvfrom");
    if let Some(t) = &e.text {
        out.data = Some(t.value.as_bytes().to_vec());
    }
    if let Some(h) = &e.hex {
        match parse_hex(&h.value) {
            Ok(b) => out.data = Some(b),
            Err(m) => problems.push(Problem::error(h, m, None)),
        }
    }
    // Expectations that cannot all hold are a mistake, not a choice.
    let wants_data = e.text.is_some() || e.hex.is_some();
    let wants_eof = e.eof.as_ref().is_some_and(|x| x.value);
    if e.text.is_some() && e.hex.is_some() {
        problems.push(Problem::error(
            spec,
            "`expect` has both `text` and `hex`",
            Some("keep one of them".into()),
        ));
    }
    if (wants_data || wants_eof) && e.error.is_some() {
        problems.push(Problem::error(
            spec,
            "`expect` asks for data and for an error at once",
            Some("a call either returns data (or end of stream) or fails; keep one".into()),
        ));
    }
    if wants_data && wants_eof {
        problems.push(Problem::error(
            spec,
            "`expect` asks for data and for end of stream at once",
            Some("end of stream is a read of 0 bytes; keep one".into()),
        ));
    }
    if (e.text.is_some() || e.hex.is_some() || e.eof.is_some()) && !receives {
        problems.push(Problem::error(
            spec,
            format!("only `recv` and `recvfrom` can expect data or end of stream, not `{call}`"),
            Some("put this `expect` on the step where the other side reads what was sent; a sending step may expect only `error`".into()),
        ));
    }
    if let Some(eof) = &e.eof {
        out.eof = eof.value;
    }
    if let Some(err) = &e.error {
        out.error = match err.value.as_str() {
            "refused" => Some(ExpectedError::Refused),
            "reset" => Some(ExpectedError::Reset),
            "timeout" => Some(ExpectedError::Timeout),
            other => {
                problems.push(Problem::error(
                    err,
                    format!("unknown error `{other}`"),
                    hint_mean(other, &["refused", "reset", "timeout"], "`error`"),
                ));
                None
            }
        };
    }
    if let Some(from) = &e.from {
        if call != "recvfrom" {
            problems.push(Problem::error(
                from,
                "`from` only applies to `recvfrom`",
                None,
            ));
        }
        match names.iter().position(|n| *n == from.value) {
            Some(i) => out.from = Some(i),
            None => problems.push(Problem::error(
                from,
                format!("`{}` is not an actor", from.value),
                hint_mean(&from.value, names, "an actor"),
            )),
        }
    }
    out
}

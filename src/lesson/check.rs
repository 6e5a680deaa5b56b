//! The lesson checker: from a parsed `LessonFile` to a runnable `Plan`, or to
//! every problem at once, each with its line, column and a hint.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use serde_saphyr::Spanned;

use super::limits;
use super::model::{ActorSpec, ExpectSpec, LessonFile, StepSpec};

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
        Problem::at(Severity::Error, at.referenced.line(), at.referenced.column(), message, hint)
    }

    fn warning<T>(at: &Spanned<T>, message: impl Into<String>, hint: Option<String>) -> Problem {
        Problem::at(Severity::Warning, at.referenced.line(), at.referenced.column(), message, hint)
    }

    pub fn at(severity: Severity, line: u64, column: u64, message: impl Into<String>, hint: Option<String>) -> Problem {
        Problem { severity, line, column, message: message.into(), hint }
    }

    /// `file:line:column: error: message`, the source line, a caret under the
    /// column, and the hint — the way compilers show it.
    pub fn render(&self, file: &str, source: &str) -> String {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = format!("{file}:{}:{}: {kind}: {}", self.line, self.column, self.message);
        if let Some(text) = source.lines().nth(self.line.saturating_sub(1) as usize) {
            let number = self.line.to_string();
            let pad = " ".repeat(number.len());
            let text: String = text.chars().take(200).map(|c| if c.is_control() { ' ' } else { c }).collect();
            let caret_at = (self.column.saturating_sub(1) as usize).min(text.chars().count());
            out.push_str(&format!("\n{pad} |\n{number} | {text}\n{pad} | {}^", " ".repeat(caret_at)));
        }
        if let Some(hint) = &self.hint {
            out.push_str(&format!("\n  = hint: {hint}"));
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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Bind,
    Listen { backlog: u32 },
    Accept,
    Connect { to: Peer },
    Send { data: Vec<u8>, all: bool },
    SendTo { to: Peer, data: Vec<u8> },
    Recv { max: u32 },
    RecvFrom { max: u32 },
    Shutdown { how: ShutdownHow },
    Close { listener: bool },
    SetOpt { option: SockOpt, value: bool },
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
}

impl Plan {
    pub fn actor_index(&self, name: &str) -> Option<usize> {
        self.actors.iter().position(|a| a.name == name)
    }
}

pub const CALLS: &[&str] = &[
    "bind", "listen", "accept", "connect", "send", "sendall", "sendto", "recv", "recvfrom", "shutdown", "close", "setsockopt",
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
        "setsockopt" => &["option", "value"],
        _ => &[],
    }
}

/// The closest candidate within a small edit distance, for "did you mean".
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(&word.to_lowercase(), &c.to_lowercase());
        if d <= (word.len().max(3) / 3).max(1) + 1 && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
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
    text.split("\n\n")
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

fn parse_ip(s: &Spanned<String>, problems: &mut Vec<Problem>) -> Option<IpAddr> {
    let text = s.value.trim();
    let text = if text == "localhost" { "127.0.0.1" } else { text };
    match text.parse::<IpAddr>() {
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
                Some("a port is a number from 1 to 65535; leave `port` out to let the OS pick one".into()),
            ));
            None
        }
    }
}

pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace() && *c != ':').collect();
    let digits = digits.strip_prefix("0x").unwrap_or(&digits);
    if digits.len() % 2 != 0 {
        return Err(format!("hex `{text}` has an odd number of digits"));
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| {
            digits
                .get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("`{}` is not a hex byte", digits.get(i..i + 2).unwrap_or("?")))
        })
        .collect()
}

/// Check a parsed lesson. Returns the plan when there are no errors (warnings
/// may still be present), and every problem found.
pub fn check(file: &LessonFile) -> (Option<Plan>, Vec<Problem>) {
    let mut problems = Vec::new();

    if file.format.value != 1 {
        problems.push(Problem::error(
            &file.format,
            format!("lesson format {} is not one this netcourse reads", file.format.value),
            Some("this netcourse reads `format: 1`".into()),
        ));
    }
    let name_ok = !file.name.value.is_empty()
        && file.name.value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
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
        problems.push(Problem::error(&file.format, "the lesson has no steps", Some("add a `steps:` list with at least one step".into())));
    }
    if file.steps.len() > limits::MAX_STEPS {
        problems.push(Problem::error(
            &file.steps[limits::MAX_STEPS].actor,
            format!("the lesson has {} steps; the limit is {}", file.steps.len(), limits::MAX_STEPS),
            Some("split it into several lessons".into()),
        ));
    }

    let mut ids = HashMap::new();
    let mut used = HashSet::new();
    let mut steps = Vec::new();
    // What each actor has done so far, for "recv before bind" and friends.
    let mut bound = vec![false; file.actors.len()];
    let mut connected = vec![false; file.actors.len()];
    let listens: HashSet<usize> = file
        .steps
        .iter()
        .filter(|s| s.call.value == "listen")
        .filter_map(|s| names.iter().position(|n| *n == s.actor.value))
        .collect();

    for (i, spec) in file.steps.iter().enumerate().take(limits::MAX_STEPS) {
        if let Some(id) = &spec.id {
            if let Some(first) = ids.insert(id.value.clone(), id.referenced.line()) {
                problems.push(Problem::error(
                    id,
                    format!("step id `{}` is used twice", id.value),
                    Some(format!("it was first used on line {first}; step ids must be unique")),
                ));
            }
        }
        let actor = match names.iter().position(|n| *n == spec.actor.value) {
            Some(a) => a,
            None => {
                problems.push(Problem::error(
                    &spec.actor,
                    format!("step {} names actor `{}`, which the lesson does not declare", i + 1, spec.actor.value),
                    hint_mean(&spec.actor.value, &names, "an actor"),
                ));
                continue;
            }
        };
        used.insert(actor);
        let transport = actors.get(actor).and_then(|a: &Option<PlannedActor>| a.as_ref()).map(|a| a.transport);
        if let Some(step) = check_step(i + 1, spec, actor, transport, &names, &actors, &listens, &mut bound, &mut connected, &mut problems) {
            steps.push(step);
        }
    }

    for (i, a) in file.actors.iter().enumerate() {
        if !used.contains(&i) && !file.steps.iter().any(|s| s.to.as_ref().is_some_and(|t| t.value == a.name.value)) {
            problems.push(Problem::warning(&a.name, format!("actor `{}` takes no part in any step", a.name.value), Some("remove it, or add a step for it".into())));
        }
    }

    let has_errors = problems.iter().any(|p| p.severity == Severity::Error);
    let plan = (!has_errors).then(|| Plan {
        name: file.name.value.clone(),
        title: prose(&file.title),
        summary: prose(&file.summary),
        intro: file.intro.as_deref().map(prose),
        outro: file.outro.as_deref().map(prose),
        actors: actors.into_iter().flatten().collect(),
        steps,
    });
    problems.sort_by_key(|p| (p.line, p.column));
    (plan, problems)
}

fn check_actors(specs: &[ActorSpec], problems: &mut Vec<Problem>) -> Vec<Option<PlannedActor>> {
    let mut seen = HashMap::new();
    if specs.len() > limits::MAX_ACTORS {
        problems.push(Problem::error(
            &specs[limits::MAX_ACTORS].name,
            format!("the lesson declares {} actors; the limit is {}", specs.len(), limits::MAX_ACTORS),
            None,
        ));
    }
    specs
        .iter()
        .map(|spec| {
            if let Some(line) = seen.insert(spec.name.value.clone(), spec.name.referenced.line()) {
                problems.push(Problem::error(&spec.name, format!("actor `{}` is declared twice", spec.name.value), Some(format!("the first is on line {line}"))));
            }
            if spec.name.value.is_empty() {
                problems.push(Problem::error(&spec.name, "an actor needs a name", Some("e.g. `name: sender`".into())));
            }
            let transport = match spec.transport.value.as_str() {
                "udp" => Some(Transport::Udp),
                "tcp" => Some(Transport::Tcp),
                other => {
                    problems.push(Problem::error(&spec.transport, format!("unknown transport `{other}`"), hint_mean(other, &["udp", "tcp"], "a transport")));
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
            Some(PlannedActor { name: spec.name.value.clone(), transport: transport?, addr: SocketAddr::new(ip?, port?) })
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
    listens: &HashSet<usize>,
    bound: &mut [bool],
    connected: &mut [bool],
    problems: &mut Vec<Problem>,
) -> Option<PlannedStep> {
    let before = problems.len();
    let call_name = spec.call.value.as_str();
    let actor_name = names[actor];
    if !CALLS.contains(&call_name) {
        problems.push(Problem::error(&spec.call, format!("unknown call `{call_name}`"), hint_mean(call_name, CALLS, "a call")));
        return None;
    }

    // Keys that mean nothing for this call are mistakes, not decoration.
    let present: [(&str, Option<(u64, u64)>); 9] = [
        ("to", spec.to.as_ref().map(pos)),
        ("text", spec.text.as_ref().map(pos)),
        ("hex", spec.hex.as_ref().map(pos)),
        ("backlog", spec.backlog.as_ref().map(pos)),
        ("max", spec.max.as_ref().map(pos)),
        ("how", spec.how.as_ref().map(pos)),
        ("socket", spec.socket.as_ref().map(pos)),
        ("option", spec.option.as_ref().map(pos)),
        ("value", spec.value.as_ref().map(pos)),
    ];
    let allowed = keys_for(call_name);
    for (key, at) in present {
        if let Some((line, column)) = at {
            if !allowed.contains(&key) {
                problems.push(Problem::at(
                    Severity::Error,
                    line,
                    column,
                    format!("`{key}` has no meaning for `{call_name}`"),
                    Some(if allowed.is_empty() { format!("`{call_name}` takes no arguments") } else { format!("`{call_name}` takes: {}", allowed.join(", ")) }),
                ));
            }
        }
    }

    let tcp_only = ["listen", "accept", "send", "sendall", "recv", "shutdown"];
    let udp_only = ["sendto", "recvfrom"];
    match transport {
        Some(Transport::Udp) if tcp_only.contains(&call_name) && !(matches!(call_name, "send" | "recv") && connected[actor]) => {
            problems.push(Problem::error(
                &spec.call,
                format!("`{call_name}` is a TCP call, but `{actor_name}` is a UDP actor"),
                Some(match call_name {
                    "send" | "sendall" => "UDP sends with `sendto` (or `send` after `connect`)".to_string(),
                    "recv" => "UDP receives with `recvfrom` (or `recv` after `connect`)".to_string(),
                    _ => "UDP has no connections: no listen, accept or shutdown".to_string(),
                }),
            ));
        }
        Some(Transport::Tcp) if udp_only.contains(&call_name) => {
            problems.push(Problem::error(
                &spec.call,
                format!("`{call_name}` is a UDP call, but `{actor_name}` is a TCP actor"),
                Some(if call_name == "sendto" { "TCP sends with `send` or `sendall` after `connect`/`accept`".into() } else { "TCP receives with `recv`".into() }),
            ));
        }
        _ => {}
    }

    let timeout = match &spec.timeout_ms {
        Some(t) if t.value < 1 || t.value as u64 > limits::MAX_TIMEOUT_MS => {
            problems.push(Problem::error(t, format!("timeout_ms {} is out of range", t.value), Some(format!("a wait is 1 to {} milliseconds", limits::MAX_TIMEOUT_MS))));
            limits::DEFAULT_TIMEOUT_MS
        }
        Some(t) => t.value as u64,
        None => limits::DEFAULT_TIMEOUT_MS,
    };

    let data = if matches!(call_name, "send" | "sendall" | "sendto") { check_data(spec, problems) } else { Some(Vec::new()) };
    let to = if matches!(call_name, "connect" | "sendto") { check_peer(spec, names, actors, problems) } else { None };
    let expect = check_expect(spec.expect.as_ref(), call_name, names, problems);

    let call = match call_name {
        "bind" => {
            bound[actor] = true;
            Call::Bind
        }
        "listen" => {
            let backlog = match &spec.backlog {
                Some(b) if b.value < 0 || b.value > i64::from(limits::MAX_BACKLOG) => {
                    problems.push(Problem::error(b, format!("backlog {} is out of range", b.value), Some(format!("use 0 to {}", limits::MAX_BACKLOG))));
                    1
                }
                Some(b) => b.value as u32,
                None => 1,
            };
            if !bound[actor] {
                problems.push(Problem::error(&spec.call, format!("`{actor_name}` listens before it binds"), Some("add a `bind` step for it first, so students see which port it listens on".into())));
            }
            Call::Listen { backlog }
        }
        "accept" => {
            if !listens.contains(&actor) {
                problems.push(Problem::error(&spec.call, format!("`{actor_name}` accepts but never listens"), Some("add `call: listen` before `accept`".into())));
            }
            connected[actor] = true;
            Call::Accept
        }
        "connect" => {
            if let Some(Peer::Actor(target)) = to {
                let expects_refusal = expect.error == Some(ExpectedError::Refused);
                if transport == Some(Transport::Tcp) && !listens.contains(&target) && !expects_refusal {
                    problems.push(Problem::error(
                        spec.to.as_ref().unwrap_or(&spec.call),
                        format!("`{actor_name}` connects to `{}`, which never listens", names[target]),
                        Some(format!("add `call: listen` for `{}`, or add `expect: {{error: refused}}` if the refusal is the lesson", names[target])),
                    ));
                }
            }
            connected[actor] = true;
            bound[actor] = true;
            Call::Connect { to: to.unwrap_or(Peer::Actor(0)) }
        }
        "send" | "sendall" => {
            if !connected[actor] {
                problems.push(Problem::error(&spec.call, format!("`{actor_name}` sends before it is connected"), Some("add a `connect` (client) or `accept` (server) step first".into())));
            }
            Call::Send { data: data.clone().unwrap_or_default(), all: call_name == "sendall" }
        }
        "sendto" => {
            bound[actor] = true; // the kernel binds an ephemeral port on first send
            Call::SendTo { to: to.unwrap_or(Peer::Actor(0)), data: data.clone().unwrap_or_default() }
        }
        "recv" | "recvfrom" => {
            let max = match &spec.max {
                Some(m) if m.value < 1 || m.value > i64::from(limits::MAX_RECV) => {
                    problems.push(Problem::error(m, format!("max {} is out of range", m.value), Some(format!("read 1 to {} bytes", limits::MAX_RECV))));
                    1024
                }
                Some(m) => m.value as u32,
                None => 1024,
            };
            if call_name == "recv" && !connected[actor] {
                problems.push(Problem::error(&spec.call, format!("`{actor_name}` receives before it is connected"), Some("add a `connect` or `accept` step first".into())));
            }
            if call_name == "recvfrom" && !bound[actor] {
                problems.push(Problem::error(&spec.call, format!("`{actor_name}` receives before it has an address"), Some("add a `bind` step first, so senders know its port".into())));
            }
            if call_name == "recv" { Call::Recv { max } } else { Call::RecvFrom { max } }
        }
        "shutdown" => {
            let how = match spec.how.as_ref().map(|h| (h, h.value.as_str())) {
                None | Some((_, "write")) => ShutdownHow::Write,
                Some((_, "read")) => ShutdownHow::Read,
                Some((_, "both")) => ShutdownHow::Both,
                Some((h, other)) => {
                    problems.push(Problem::error(h, format!("unknown shutdown direction `{other}`"), hint_mean(other, &["read", "write", "both"], "`how`")));
                    ShutdownHow::Write
                }
            };
            Call::Shutdown { how }
        }
        "close" => {
            let listener = match spec.socket.as_ref().map(|s| (s, s.value.as_str())) {
                None | Some((_, "connection")) => false,
                Some((_, "listener")) => true,
                Some((s, other)) => {
                    problems.push(Problem::error(s, format!("unknown socket `{other}`"), hint_mean(other, &["connection", "listener"], "`socket`")));
                    false
                }
            };
            Call::Close { listener }
        }
        "setsockopt" => {
            let option = match spec.option.as_ref().map(|o| (o, o.value.as_str())) {
                Some((_, "nodelay")) => SockOpt::NoDelay,
                Some((_, "quickack")) => SockOpt::QuickAck,
                Some((_, "reuseaddr")) => SockOpt::ReuseAddr,
                Some((o, other)) => {
                    problems.push(Problem::error(o, format!("unknown socket option `{other}`"), hint_mean(other, &["nodelay", "quickack", "reuseaddr"], "`option`")));
                    SockOpt::NoDelay
                }
                None => {
                    problems.push(Problem::error(&spec.call, "`setsockopt` needs an `option`", Some("e.g. `option: nodelay`".into())));
                    SockOpt::NoDelay
                }
            };
            if transport == Some(Transport::Udp) && option != SockOpt::ReuseAddr {
                problems.push(Problem::error(&spec.call, "this option is for TCP sockets", Some("UDP sockets only take `reuseaddr` here".into())));
            }
            Call::SetOpt { option, value: spec.value.as_ref().map(|v| v.value).unwrap_or(true) }
        }
        _ => unreachable!("checked against CALLS above"),
    };

    if problems[before..].iter().any(|p| p.severity == Severity::Error) {
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
    })
}

fn pos<T>(s: &Spanned<T>) -> (u64, u64) {
    (s.referenced.line(), s.referenced.column())
}

fn check_data(spec: &StepSpec, problems: &mut Vec<Problem>) -> Option<Vec<u8>> {
    let data = match (&spec.text, &spec.hex) {
        (Some(_), Some(h)) => {
            problems.push(Problem::error(h, "a step sends `text` or `hex`, not both", Some("keep one of them".into())));
            return None;
        }
        (Some(t), None) => (t.value.as_bytes().to_vec(), pos(t)),
        (None, Some(h)) => match parse_hex(&h.value) {
            Ok(bytes) => (bytes, pos(h)),
            Err(e) => {
                problems.push(Problem::error(h, e, Some("write bytes as pairs of hex digits, e.g. `68 65 6c 6c 6f`".into())));
                return None;
            }
        },
        (None, None) => {
            problems.push(Problem::error(&spec.call, format!("`{}` needs data to send", spec.call.value), Some("add `text: \"hello\"` or `hex: \"68656c6c6f\"`".into())));
            return None;
        }
    };
    if data.0.len() > limits::MAX_PAYLOAD {
        problems.push(Problem::at(
            Severity::Error,
            data.1 .0,
            data.1 .1,
            format!("payload of {} bytes is larger than the limit of {} bytes", data.0.len(), limits::MAX_PAYLOAD),
            Some("send less; a few bytes show the same headers".into()),
        ));
        return None;
    }
    Some(data.0)
}

fn check_peer(spec: &StepSpec, names: &[&str], actors: &[Option<PlannedActor>], problems: &mut Vec<Problem>) -> Option<Peer> {
    let Some(to) = &spec.to else {
        problems.push(Problem::error(&spec.call, format!("`{}` needs `to`", spec.call.value), Some("name an actor (`to: receiver`) or an address (`to: 127.0.0.1:5000`)".into())));
        return None;
    };
    if let Some(i) = names.iter().position(|n| *n == to.value) {
        if let Some(Some(a)) = actors.get(i) {
            if a.addr.port() == 0 {
                problems.push(Problem::error(to, format!("`{}` has no fixed port to reach", to.value), Some(format!("give actor `{}` a `port:`", to.value))));
                return None;
            }
        }
        return Some(Peer::Actor(i));
    }
    match to.value.parse::<SocketAddr>() {
        Ok(addr) if !is_sandbox_addr(addr.ip()) => {
            problems.push(Problem::error(to, format!("address `{}` is outside the sandbox", addr.ip()), Some("lessons may only use loopback addresses: 127.0.0.0/8 or ::1".into())));
            None
        }
        Ok(addr) if addr.port() == 0 => {
            problems.push(Problem::error(to, "port 0 cannot be a destination", Some("use a port from 1 to 65535".into())));
            None
        }
        Ok(addr) => Some(Peer::Addr(addr)),
        Err(_) => {
            // `ip:port` with a port that does not fit in 16 bits reads better as a range error.
            if let Some((_, port)) = to.value.rsplit_once(':') {
                if let Ok(n) = port.parse::<i64>() {
                    if !(1..=65535).contains(&n) {
                        problems.push(Problem::error(to, format!("port {n} is out of range"), Some("a port is a number from 1 to 65535".into())));
                        return None;
                    }
                }
            }
            problems.push(Problem::error(to, format!("`{}` is neither an actor nor an address", to.value), hint_mean(&to.value, names, "`to`")));
            None
        }
    }
}

fn check_expect(expect: Option<&Spanned<ExpectSpec>>, call: &str, names: &[&str], problems: &mut Vec<Problem>) -> Expect {
    let Some(spec) = expect else { return Expect::default() };
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
    if (e.text.is_some() || e.hex.is_some() || e.eof.is_some()) && !receives {
        problems.push(Problem::error(spec, format!("only `recv` and `recvfrom` can expect data, not `{call}`"), None));
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
                problems.push(Problem::error(err, format!("unknown error `{other}`"), hint_mean(other, &["refused", "reset", "timeout"], "`error`")));
                None
            }
        };
    }
    if let Some(from) = &e.from {
        if call != "recvfrom" {
            problems.push(Problem::error(from, "`from` only applies to `recvfrom`", None));
        }
        match names.iter().position(|n| *n == from.value) {
            Some(i) => out.from = Some(i),
            None => problems.push(Problem::error(from, format!("`{}` is not an actor", from.value), hint_mean(&from.value, names, "an actor"))),
        }
    }
    out
}

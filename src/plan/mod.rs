//! The checked, compiled lesson: what `lesson::check` produces and every
//! later stage reads. Actors, calls, steps, expectations, checkpoints and
//! rules, with everything resolved; the one list of calls and the keys each
//! reads. Imports only `text` and `wire` (for the network's shape).

use std::net::SocketAddr;
use std::time::Duration;

use crate::text::{py_addr, py_bytes};

pub mod data;
pub mod flow;
pub mod program;
pub mod template;

pub use flow::{Answer, LoopMark, LoopTurn, Until};
pub use program::{ProgramExpect, ProgramSlot};

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
    /// The host of `Plan::network` it runs on.
    pub host: Option<usize>,
    /// The application protocol the lesson says its traffic carries.
    pub protocol: Option<AppProtocol>,
    /// A program slot: the actor is a program run under the tracer.
    pub program: Option<ProgramSlot>,
}

/// An application protocol a lesson names on an actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppProtocol {
    Builtin(crate::dissect::app::Protocol),
    /// The lesson's own, with the fields it defines.
    Custom {
        name: String,
        fields: Vec<crate::dissect::app::custom::FieldDef>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    Actor(usize),
    Addr(SocketAddr),
    /// `to: reply`: wherever the actor's last `recvfrom` said the datagram
    /// came from, as an echo server answers `sendto(data, addr)`.
    Reply,
    /// A sender's address an earlier `recvfrom` of the actor saved
    /// (`save_as:`): an index into `Plan::peer_names`.
    Saved(usize),
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
    /// IP_TTL (IPv6: IPV6_UNICAST_HOPS): how many routers a packet may cross.
    Ttl(u8),
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
        "ttl",
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
    /// The accepted connection the call uses (`Some("")`: the unnamed one,
    /// `on:` names another); `None`: the actor's own socket. For an
    /// `accept`, the name the new connection is held under (`as:`).
    pub conn: Option<String>,
    /// Send the reply this table computes from what the actor's previous
    /// step received, instead of the call's own data.
    pub answer: Option<Answer>,
    /// A `recvfrom` that keeps the sender's address under this name (an
    /// index into `Plan::peer_names`).
    pub save_as: Option<usize>,
    /// The loop the step belongs to, if any.
    pub looping: Option<LoopMark>,
    /// How the data of a send was generated (`bytes:`), to write the call
    /// the way a program would.
    pub generated: Option<data::Generated>,
    /// A `recv` that keeps calling recv() (`until_eof`, `until_bytes`).
    pub read_until: Option<data::ReadUntil>,
    /// A `sendall` that runs on a second thread (`background: true`) while
    /// the next steps run; the actor's next step waits for it.
    pub background: bool,
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

/// Protocols a rule may match (`protocol:`), in lower case.
pub const RULE_PROTOCOLS: &[&str] = &[
    "ethernet", "arp", "ip", "ipv4", "ipv6", "icmp", "icmpv6", "udp", "tcp", "dns", "http", "smtp",
    "ftp", "ftp-data", "telnet",
];

/// TCP flags a rule may require (`flags:`) or a checkpoint answer may name,
/// in upper case.
pub const TCP_FLAGS: &[&str] = &["SYN", "ACK", "FIN", "RST", "PSH", "URG", "ECE", "CWR", "AE"];

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
    /// The lesson's own hosts and links; `None` runs it on `lo`.
    pub network: Option<crate::wire::Topology>,
    /// What the wire does to chosen frames.
    pub wire_rules: Vec<crate::wire::impair::Rule>,
    /// The names `save_as:` gives to senders' addresses (`Peer::Saved`).
    pub peer_names: Vec<String>,
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
pub fn keys_for(call: &str) -> &'static [&'static str] {
    match call {
        "bind" => &[],
        "listen" => &["backlog"],
        "accept" => &["as"],
        "connect" => &["to"],
        "send" => &["text", "hex", "bytes", "on"],
        "sendall" => &["text", "hex", "bytes", "background", "on"],
        "sendto" => &["to", "text", "hex", "bytes"],
        "recv" => &["max", "until_eof", "until_bytes", "on", "answer"],
        "recvfrom" => &["max", "answer", "save_as"],
        "shutdown" => &["how", "on"],
        "close" => &["socket", "on"],
        "setsockopt" => &["option", "value", "size", "ttl", "on"],
        "sleep" => &["ms"],
        _ => &[],
    }
}

/// A planned step's call as the transcript will write it, e.g.
/// `sendto(b"hello", ("127.0.0.1", 5000))` — the same text `exec` records
/// in `CallDetail::args` when the call runs.
pub fn call_text(plan: &Plan, step: &PlannedStep) -> String {
    let written = |d: &[u8]| match &step.generated {
        Some(g) => g.python(),
        None => py_bytes(d),
    };
    let peer = |p: &Peer| match p {
        Peer::Actor(i) => py_addr(plan.actors[*i].addr),
        Peer::Addr(a) => py_addr(*a),
        // As the tutorial's echo server writes it: `data, addr = s.recvfrom(…)`.
        Peer::Reply => "addr".to_string(),
        Peer::Saved(i) => plan.peer_names.get(*i).cloned().unwrap_or_default(),
    };
    // A call on an accepted connection is made on that socket, as the
    // tutorial's server writes `conn.recv(1024)`; the listener's are not.
    let on = match (&step.call, step.conn.as_deref()) {
        (Call::Accept, _) | (_, None) => String::new(),
        (_, Some("")) => "conn.".to_string(),
        (_, Some(name)) => format!("{name}."),
    };
    if let Some(answer) = &step.answer {
        return match &step.call {
            Call::SendTo { to, .. } => format!(
                "sendto(table.get(data, {}), {})",
                py_bytes(&answer.default),
                peer(to)
            ),
            _ => format!(
                "{on}sendall(table.get(data, {}))",
                py_bytes(&answer.default)
            ),
        };
    }
    let text = call_text_of(plan, step, &peer, &written, &on);
    match (&step.call, step.conn.as_deref(), step.save_as) {
        (Call::Accept, Some(""), _) => format!("conn, addr = {text}"),
        (Call::Accept, Some(name), _) => format!("{name}, addr = {text}"),
        (Call::RecvFrom { .. }, _, Some(i)) => format!(
            "data, {} = {text}",
            plan.peer_names.get(i).map(String::as_str).unwrap_or("addr")
        ),
        // These write the socket into the loop or the thread themselves.
        _ if step.read_until.is_some() || step.background => text,
        _ => format!("{on}{text}"),
    }
}

fn call_text_of(
    plan: &Plan,
    step: &PlannedStep,
    peer: &dyn Fn(&Peer) -> String,
    written: &dyn Fn(&[u8]) -> String,
    on: &str,
) -> String {
    match &step.call {
        Call::Bind => format!("bind({})", py_addr(plan.actors[step.actor].addr)),
        Call::Listen { backlog } => format!("listen({backlog})"),
        Call::Accept => "accept()".into(),
        Call::Connect { to } => format!("connect({})", peer(to)),
        // A second thread of the sender's program makes the call.
        Call::Send { data, .. } if step.background => format!(
            "threading.Thread(target={on}sendall, args=({},)).start()",
            written(data)
        ),
        Call::Send { data, all } => format!(
            "{}({})",
            if *all { "sendall" } else { "send" },
            written(data)
        ),
        Call::SendTo { to, data } => format!("sendto({}, {})", written(data), peer(to)),
        Call::Recv { max } => match step.read_until {
            Some(until) => until.python(*max, on),
            None => format!("recv({max})"),
        },
        Call::RecvFrom { max } => format!("recvfrom({max})"),
        Call::Shutdown { how } => format!(
            "shutdown({})",
            match how {
                ShutdownHow::Read => "SHUT_RD",
                ShutdownHow::Write => "SHUT_WR",
                ShutdownHow::Both => "SHUT_RDWR",
            }
        ),
        Call::Close { .. } => "close()".into(),
        Call::Sleep { ms } => format!("time.sleep({})", *ms as f64 / 1000.0),
        Call::SetOpt {
            option: SockOpt::Ttl(ttl),
            ..
        } => format!("setsockopt(IPPROTO_IP, IP_TTL, {ttl})"),
        Call::SetOpt { option, value } => {
            let (name, level, arg) = match option {
                SockOpt::NoDelay => ("TCP_NODELAY", "IPPROTO_TCP", u32::from(*value)),
                SockOpt::QuickAck => ("TCP_QUICKACK", "IPPROTO_TCP", u32::from(*value)),
                SockOpt::ReuseAddr => ("SO_REUSEADDR", "SOL_SOCKET", u32::from(*value)),
                SockOpt::RcvBuf(n) => ("SO_RCVBUF", "SOL_SOCKET", *n),
                SockOpt::SndBuf(n) => ("SO_SNDBUF", "SOL_SOCKET", *n),
                SockOpt::MaxSeg(n) => ("TCP_MAXSEG", "IPPROTO_TCP", *n),
                SockOpt::Ttl(n) => ("IP_TTL", "IPPROTO_IP", u32::from(*n)),
            };
            format!("setsockopt({level}, {name}, {arg})")
        }
    }
}

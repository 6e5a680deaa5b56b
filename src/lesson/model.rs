//! The lesson file as written (format 1). Every value a checker may complain
//! about is `Spanned`, so problems point at file:line:column.

use serde::Deserialize;
use serde_saphyr::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LessonFile {
    /// Lesson format version; this netcourse reads `1`.
    pub format: Spanned<u32>,
    pub name: Spanned<String>,
    pub title: String,
    pub summary: String,
    /// A paragraph shown before the first step.
    #[serde(default)]
    pub intro: Option<String>,
    /// Shown after the last step.
    #[serde(default)]
    pub outro: Option<String>,
    /// The lesson's own network: hosts whose interfaces sit on `links`.
    /// Without it the lesson runs on `lo`.
    #[serde(default)]
    pub hosts: Vec<HostSpec>,
    /// Link names, for the hosts' interfaces to name.
    #[serde(default)]
    pub links: Vec<Spanned<String>>,
    /// What the wire does to chosen frames: drop, delay, duplicate, …
    #[serde(default)]
    pub wire: Vec<WireRuleSpec>,
    pub actors: Vec<ActorSpec>,
    pub steps: Vec<StepSpec>,
    /// Annotation rules: notes the lesson adds to matching frames.
    #[serde(default)]
    pub rules: Vec<Spanned<RuleSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorSpec {
    pub name: Spanned<String>,
    /// `udp` or `tcp`.
    pub transport: Spanned<String>,
    /// The host it runs on (a lesson with `hosts:`).
    #[serde(default)]
    pub host: Option<Spanned<String>>,
    /// Address the actor binds or connects from; default `127.0.0.1`, or
    /// its host's first address.
    #[serde(default)]
    pub address: Option<Spanned<String>>,
    /// Port it binds; absent or 0 lets the OS choose.
    #[serde(default)]
    pub port: Option<Spanned<i64>>,
    /// The application protocol its connections carry (`dns`, `http`,
    /// `smtp`, `ftp`, `ftp-data`, `telnet`), when the port does not say it;
    /// with `fields:`, the name of the lesson's own protocol.
    #[serde(default)]
    pub protocol: Option<Spanned<String>>,
    /// The lesson's own protocol: named byte ranges of each payload.
    #[serde(default)]
    pub fields: Option<Spanned<Vec<FieldSpec>>>,
    /// A program slot: the actor is a program the person running the lesson
    /// names (`--program SLOT=CMD`); the lesson never says the command.
    #[serde(default)]
    pub program: Option<Spanned<String>>,
    /// Text fed to the program's standard input (else it reads nothing).
    #[serde(default)]
    pub stdin: Option<Spanned<String>>,
    /// What the program must do, graded from its traced calls and output.
    #[serde(default)]
    pub expect: Option<Spanned<Vec<Spanned<ProgramExpectSpec>>>>,
}

/// One thing a program actor must do; exactly one key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramExpectSpec {
    /// A line it prints contains this text.
    #[serde(default)]
    pub prints: Option<Spanned<String>>,
    /// One of its socket calls sends exactly this text.
    #[serde(default)]
    pub sends: Option<Spanned<String>>,
    /// One of its socket calls receives exactly this text.
    #[serde(default)]
    pub receives: Option<Spanned<String>>,
    /// It exits with this status.
    #[serde(default)]
    pub exits: Option<Spanned<i64>>,
}

/// One field of a lesson's own protocol: `{name: id, bytes: 0..2, show: hex}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    pub name: Spanned<String>,
    /// `START..END`: payload bytes START up to (not including) END.
    pub bytes: Spanned<String>,
    /// `hex` (default), `dec` or `text`.
    #[serde(default)]
    pub show: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    #[serde(default)]
    pub id: Option<Spanned<String>>,
    pub actor: Spanned<String>,
    /// The socket call: bind, listen, accept, connect, send, sendall, sendto,
    /// recv, recvfrom, shutdown, close, setsockopt, sleep.
    pub call: Spanned<String>,
    /// Peer for connect/sendto: an actor's name or `ip:port`.
    #[serde(default)]
    pub to: Option<Spanned<String>>,
    /// Data to send, as text.
    #[serde(default)]
    pub text: Option<Spanned<String>>,
    /// Data to send, as hex bytes (`68 65 6c 6c 6f` or `68656c6c6f`).
    #[serde(default)]
    pub hex: Option<Spanned<String>>,
    /// Data to send, generated: `{size: 1000000, pattern: "0123456789"}`.
    #[serde(default)]
    pub bytes: Option<Spanned<BytesSpec>>,
    /// For sendall: run it on a second thread while the next steps run.
    #[serde(default)]
    pub background: Option<Spanned<bool>>,
    /// For recv: keep calling recv() until end of stream …
    #[serde(default)]
    pub until_eof: Option<Spanned<bool>>,
    /// … or until this many bytes have come.
    #[serde(default)]
    pub until_bytes: Option<Spanned<i64>>,
    #[serde(default)]
    pub backlog: Option<Spanned<i64>>,
    /// Most bytes recv/recvfrom reads; default 1024.
    #[serde(default)]
    pub max: Option<Spanned<i64>>,
    /// For shutdown: `read`, `write` or `both`.
    #[serde(default)]
    pub how: Option<Spanned<String>>,
    /// For close: `connection` (default when there is one) or `listener`.
    #[serde(default)]
    pub socket: Option<Spanned<String>>,
    /// For setsockopt: `nodelay`, `quickack`, `reuseaddr`, `rcvbuf`,
    /// `sndbuf`, `maxseg`.
    #[serde(default)]
    pub option: Option<Spanned<String>>,
    #[serde(default)]
    pub value: Option<Spanned<bool>>,
    /// For `option: ttl`: the IP time to live (hop limit) of what the
    /// socket sends, 1 to 255.
    #[serde(default)]
    pub ttl: Option<Spanned<i64>>,
    /// For setsockopt `rcvbuf`, `sndbuf` (bytes) and `maxseg` (bytes).
    #[serde(default)]
    pub size: Option<Spanned<i64>>,
    /// Longest the call may wait, in milliseconds.
    #[serde(default)]
    pub timeout_ms: Option<Spanned<i64>>,
    /// For sleep: how long the actor pauses, in milliseconds.
    #[serde(default)]
    pub ms: Option<Spanned<i64>>,
    /// The narration a student reads for this step.
    #[serde(default)]
    pub say: Option<String>,
    #[serde(default)]
    pub expect: Option<Spanned<ExpectSpec>>,
    /// Run this step this many times in a row (send and receive calls only).
    #[serde(default)]
    pub repeat: Option<Spanned<i64>>,
    /// A question for the student, answered from the step's captured frame.
    #[serde(default)]
    pub checkpoint: Option<Spanned<CheckpointSpec>>,
    /// For accept: the name the new connection is held under, so that
    /// several stay open at once.
    #[serde(default, rename = "as")]
    pub as_: Option<Spanned<String>>,
    /// The accepted connection the call uses, by the name `accept` gave it.
    #[serde(default)]
    pub on: Option<Spanned<String>>,
    /// For recv/recvfrom: reply at once with what this table says to the
    /// data received.
    #[serde(default)]
    pub answer: Option<Spanned<AnswerSpec>>,
    /// For recvfrom: keep the sender's address under this name, for a later
    /// `sendto` with `to:` that name.
    #[serde(default)]
    pub save_as: Option<Spanned<String>>,
    /// This step and the next `steps - 1` run again and again, up to `max`
    /// times, until `until` is met.
    #[serde(default, rename = "loop")]
    pub loop_: Option<Spanned<LoopSpec>>,
}

/// `answer: {table: {"how are u": "fine"}, default: "no"}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerSpec {
    /// Request → reply, matched against the exact bytes received.
    pub table: Spanned<Table>,
    /// The reply when no row matches.
    #[serde(default)]
    pub default: Option<Spanned<String>>,
}

/// A mapping kept in the order it is written (the rows of an answer table).
#[derive(Debug, Default)]
pub struct Table(pub Vec<(Spanned<String>, Spanned<String>)>);

impl<'de> Deserialize<'de> for Table {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Table, D::Error> {
        struct Rows;
        impl<'de> serde::de::Visitor<'de> for Rows {
            type Value = Table;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a mapping of request text to reply text")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Table, A::Error> {
                let mut rows = Vec::new();
                while let Some(k) = map.next_key::<Spanned<String>>()? {
                    rows.push((k, map.next_value::<Spanned<String>>()?));
                }
                Ok(Table(rows))
            }
        }
        d.deserialize_map(Rows)
    }
}

/// `loop: {steps: 3, max: 8, until: {text: "bye"}, lines: [...]}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoopSpec {
    /// How many steps, from this one, make one iteration; default 1.
    #[serde(default)]
    pub steps: Option<Spanned<i64>>,
    /// Most iterations (required: every loop is bounded).
    #[serde(default)]
    pub max: Option<Spanned<i64>>,
    /// `eof`, or `{text: ...}` / `{hex: ...}`.
    #[serde(default)]
    pub until: Option<Spanned<UntilSpec>>,
    /// One line per iteration, sent where a step's `text` says `{line}`
    /// (what a user would type; a lesson has no keyboard).
    #[serde(default)]
    pub lines: Option<Spanned<Vec<Spanned<String>>>>,
}

/// When a loop ends: `eof`, `{text: "bye"}` or `{hex: "..."}`.
#[derive(Debug)]
pub enum UntilSpec {
    Eof,
    Text(String),
    Hex(String),
    /// Any other word, reported by the checker.
    Other(String),
}

impl<'de> Deserialize<'de> for UntilSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<UntilSpec, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = UntilSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("`eof`, `{text: ...}` or `{hex: ...}`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<UntilSpec, E> {
                Ok(if v == "eof" {
                    UntilSpec::Eof
                } else {
                    UntilSpec::Other(v.to_string())
                })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<UntilSpec, A::Error> {
                let Some(key) = map.next_key::<String>()? else {
                    return Err(serde::de::Error::invalid_length(0, &self));
                };
                let value = map.next_value::<String>()?;
                let until = match key.as_str() {
                    "text" => UntilSpec::Text(value),
                    "hex" => UntilSpec::Hex(value),
                    other => {
                        return Err(serde::de::Error::unknown_field(other, &["text", "hex"]));
                    }
                };
                if let Some(extra) = map.next_key::<String>()? {
                    return Err(serde::de::Error::custom(format!(
                        "`until` takes one condition; remove `{extra}`"
                    )));
                }
                Ok(until)
            }
        }
        d.deserialize_any(V)
    }
}

/// Generated data: `pattern` repeated to `size` bytes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BytesSpec {
    pub size: Spanned<i64>,
    /// Text repeated; default `0123456789`.
    #[serde(default)]
    pub pattern: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectSpec {
    /// The data received must be exactly this text.
    #[serde(default)]
    pub text: Option<Spanned<String>>,
    /// … or exactly these bytes.
    #[serde(default)]
    pub hex: Option<Spanned<String>>,
    /// recv must report end of stream (0 bytes).
    #[serde(default)]
    pub eof: Option<Spanned<bool>>,
    /// The call must fail with this error: `refused`, `reset`, `timeout`.
    #[serde(default)]
    pub error: Option<Spanned<String>>,
    /// recvfrom must report this actor as the sender.
    #[serde(default)]
    pub from: Option<Spanned<String>>,
}

/// One annotation rule: which frames it matches, and what it adds to their
/// notes. Every match key that is present must match.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// `ethernet`, `arp`, `ip`, `ipv4`, `ipv6`, `icmp`, `icmpv6`, `udp`, `tcp`.
    #[serde(default)]
    pub protocol: Option<Spanned<String>>,
    /// TCP flags that must all be set, e.g. `[SYN, ACK]`.
    #[serde(default)]
    pub flags: Option<Spanned<Vec<Spanned<String>>>>,
    /// The actor whose socket sent the frame (or `kernel`).
    #[serde(default)]
    pub from: Option<Spanned<String>>,
    /// The actor the frame goes to (or `kernel`).
    #[serde(default)]
    pub to: Option<Spanned<String>>,
    /// The step that caused the frame: its number or its id.
    #[serde(default)]
    pub step: Option<Spanned<String>>,
    /// Text the payload must contain.
    #[serde(default)]
    pub payload: Option<Spanned<String>>,
    /// Templates for the three notes.
    #[serde(default)]
    pub syntax: Option<Spanned<String>>,
    #[serde(default)]
    pub semantics: Option<Spanned<String>>,
    #[serde(default)]
    pub timing: Option<Spanned<String>>,
    /// `append` (default) or `replace`.
    #[serde(default)]
    pub mode: Option<Spanned<String>>,
}

/// A question about a step's captured frame.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointSpec {
    /// The question, e.g. "Which port will the sender's datagram come from?".
    pub ask: Spanned<String>,
    /// The captured value that answers it, e.g. `port.src`.
    pub answer: Spanned<String>,
    /// Which of the step's frames (1-based); default the first.
    #[serde(default)]
    pub frame: Option<Spanned<i64>>,
    /// Why the answer is what it is, shown with it.
    #[serde(default)]
    pub explain: Option<Spanned<String>>,
}

/// A host of the lesson's network.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostSpec {
    pub name: Spanned<String>,
    pub interfaces: Vec<InterfaceFileSpec>,
    #[serde(default)]
    pub routes: Vec<RouteFileSpec>,
    /// Forward packets between its interfaces: a router.
    #[serde(default)]
    pub forwarding: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterfaceFileSpec {
    /// e.g. `eth0`.
    pub name: Spanned<String>,
    /// The link it is on.
    pub link: Spanned<String>,
    /// `10.0.0.1/24`, `fd00::1/64`: private ranges only.
    #[serde(default)]
    pub addresses: Vec<Spanned<String>>,
    /// Default 1500.
    #[serde(default)]
    pub mtu: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteFileSpec {
    /// A network (`10.0.2.0/24`) or `default`.
    pub to: Spanned<String>,
    /// The next hop's address, on one of the host's links.
    pub via: Spanned<String>,
}

/// One thing the wire does to frames.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireRuleSpec {
    /// `drop`, `delay`, `duplicate`, `reorder`, `corrupt`, `rate`.
    pub action: Spanned<String>,
    /// Only frames on this link.
    #[serde(default)]
    pub link: Option<Spanned<String>>,
    /// Only frames this host sends.
    #[serde(default)]
    pub from: Option<Spanned<String>>,
    /// `any` (default), `arp`, `ipv4`, `ipv6`, `icmp`, `udp`, `tcp`, `tcp-data`.
    #[serde(default)]
    pub protocol: Option<Spanned<String>>,
    /// Only the n-th matching frame (1 = the first); every one if absent.
    #[serde(default)]
    pub nth: Option<Spanned<i64>>,
    /// For `delay`: how long; for `reorder`: the longest a frame is held;
    /// for `rate`: the longest a frame may queue.
    #[serde(default)]
    pub ms: Option<Spanned<i64>>,
    /// For `corrupt`: which byte of the frame (from 0) and the bits to flip.
    #[serde(default)]
    pub offset: Option<Spanned<i64>>,
    #[serde(default)]
    pub xor: Option<Spanned<i64>>,
    /// For `rate`: bytes per second.
    #[serde(default)]
    pub bytes_per_second: Option<Spanned<i64>>,
}

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
    /// Address the actor binds or connects from; default `127.0.0.1`.
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
    /// recv, recvfrom, shutdown, close, setsockopt.
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
    /// For setsockopt: `nodelay`, `quickack`, `reuseaddr`.
    #[serde(default)]
    pub option: Option<Spanned<String>>,
    #[serde(default)]
    pub value: Option<Spanned<bool>>,
    /// Longest the call may wait, in milliseconds.
    #[serde(default)]
    pub timeout_ms: Option<Spanned<i64>>,
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

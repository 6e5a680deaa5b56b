//! The one data model every renderer reads. Versioned and serializable: a
//! saved transcript can be replayed without a network.

use serde::{Deserialize, Serialize};

use crate::dissect::{Layer, LayerKind};

pub mod compare;

pub const FORMAT: &str = "netcourse-transcript";
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Transcript {
    pub format: String,
    pub version: u32,
    /// True when the lesson ran to its last step.
    pub complete: bool,
    pub generator: String,
    /// What ran: a lesson (the default, left out), your own programs
    /// (`trace`), or a capture file read (`explain`).
    #[serde(default, skip_serializing_if = "Source::is_lesson")]
    pub source: Source,
    pub lesson: LessonInfo,
    pub network: NetworkInfo,
    /// Frames the kernel dropped before we could read them.
    pub dropped: u64,
    /// Wall-clock start of the lesson, nanoseconds since the Unix epoch.
    pub started_at_ns: u64,
    pub outcome: Outcome,
    pub actors: Vec<ActorInfo>,
    pub steps: Vec<StepInfo>,
    pub events: Vec<Event>,
    /// For lessons that use both UDP and TCP: what each cost on the wire.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comparison: Vec<compare::TransportTotals>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    #[default]
    Lesson,
    Trace,
    Capture,
}

impl Source {
    pub fn is_lesson(&self) -> bool {
        *self == Source::Lesson
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LessonInfo {
    pub name: String,
    pub title: String,
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outro: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NetworkInfo {
    /// `sandbox` or `host`.
    pub mode: String,
    pub interface: String,
    /// What the learner should know about this network (e.g. why MACs are zero).
    pub note: String,
    /// `--net host` only: frames on the shared `lo` that belonged to other
    /// programs and were left out of the transcript.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_out: Option<u64>,
    /// A lesson with its own network: its links, and every link end (a
    /// host's interface), in the order frames refer to them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ends: Vec<LinkEndInfo>,
    /// The frames' link type (a pcap LINKTYPE_ number) when it is not
    /// Ethernet: `explain` of a capture with Linux cooked or raw IP frames.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_type: Option<u32>,
}

/// One host interface on a link of the lesson's network.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LinkEndInfo {
    pub host: String,
    pub interface: String,
    pub link: String,
    pub mac: String,
    pub mtu: u32,
    pub addresses: Vec<String>,
}

impl LinkEndInfo {
    /// `alice/eth0`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.host, self.interface)
    }
}

/// Where a frame crossed the lesson's network.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Crossing {
    /// The link's name.
    pub link: String,
    /// The link end it was sent from (index into `NetworkInfo::ends`).
    pub from_end: usize,
    /// The ends it was delivered to (none when the wire dropped it).
    pub to_ends: Vec<usize>,
    /// What the wire did to it, if anything: `dropped by wire rule 1`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wire: Option<String>,
    /// From reaching the wire to being written to the receiving end, in
    /// ns (microseconds, unless a rule held it); none when not delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transit_ns: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Outcome {
    pub passed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ActorInfo {
    pub name: String,
    pub transport: String,
    /// The address it declared (port 0: the OS picks).
    pub address: String,
    /// A lesson with its own network: the host it runs on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepInfo {
    pub number: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub actor: String,
    pub call: String,
    /// The narration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub say: Option<String>,
    /// The accepted connection its call uses (or an `accept` names), by
    /// the name the lesson gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    Call,
    Frame,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Notes {
    pub syntax: String,
    pub semantics: String,
    pub timing: String,
}

impl Notes {
    pub fn is_empty(&self) -> bool {
        self.syntax.is_empty() && self.semantics.is_empty() && self.timing.is_empty()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Pair<T> {
    pub src: T,
    pub dst: T,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CallDetail {
    pub name: String,
    /// The call as written in Python, e.g. `sendto(b"hello", ("127.0.0.1", 5000))`.
    pub args: String,
    pub ok: bool,
    pub result: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_hex: Option<String>,
}

/// The TCP view of a frame, with Wireshark's relative numbers beside the raw.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TcpView {
    pub flags: Vec<String>,
    pub seq: u32,
    pub ack: u32,
    pub seq_rel: u32,
    pub ack_rel: u32,
    pub window: u16,
    pub window_scaled: u32,
    pub len: usize,
    pub options: Vec<TcpOptionView>,
    /// Connection state of each end after this frame, e.g. {"client": "SYN-SENT", "server": "LISTEN"}.
    pub states: Vec<ActorState>,
    /// e.g. `handshake 1/3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TcpOptionView {
    pub kind: u8,
    pub name: String,
    pub value: String,
    pub offset: usize,
    pub length: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ActorState {
    pub actor: String,
    pub state: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Event {
    /// 1-based position in the transcript.
    pub index: usize,
    pub kind: EventKind,
    /// The step that made this event happen.
    pub step: usize,
    /// For a call: who made it. For a frame: whose socket sent it (or `kernel`).
    pub actor: String,
    /// Nanoseconds since the lesson began.
    pub time_ns: u64,
    /// Nanoseconds since the Unix epoch (the kernel's receive time for frames).
    pub timestamp_ns: u64,
    /// The layer this event is mainly about.
    pub layer: LayerKind,
    /// One line, like Wireshark's info column.
    pub summary: String,
    pub notes: Notes,
    /// What the lesson's own rules wrote about this event (already part of
    /// `notes`): shown at every level of detail, where the built-in notes
    /// are shortened.
    #[serde(default, skip_serializing_if = "Notes::is_empty")]
    pub from_lesson: Notes,
    /// The event this one answers or follows from, if any (1-based index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<CallDetail>,
    /// For frames: who it goes to (actor or `kernel`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_hex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<Pair<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<Pair<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<Pair<u16>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<Layer>,
    /// Why dissection stopped early, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpView>,
    /// The payload as text where printable, else hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// For a frame the kernel sent on one of its own timers: which timer,
    /// the event that armed it, and how long it waited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timer: Option<TimerInfo>,
    /// The lesson's question about this frame, with the answer read from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<Checkpoint>,
    /// A lesson with its own network: the link the frame crossed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crossing: Option<Crossing>,
    /// Application messages this frame completed that began in earlier
    /// frames, put together from the TCP stream.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reassembled: Vec<Reassembled>,
}

/// An application message reassembled from the bytes of several segments
/// (or completed by the end of its connection), shown at the frame that
/// completed it, as Wireshark's "reassembled PDU".
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Reassembled {
    pub protocol: String,
    /// The frames that carried it, in order.
    pub parts: Vec<MessagePart>,
    /// The message's bytes, as hex.
    pub data_hex: String,
    /// The message decoded; offsets count from its first byte.
    pub layer: Layer,
}

/// The bytes one frame gave a reassembled message.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct MessagePart {
    /// The frame's event (1-based).
    pub event: usize,
    /// Where its bytes start in the message, and how many.
    pub at: usize,
    pub length: usize,
}

/// What sent a frame that no call did: a kernel timer, measured from the
/// frames.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TimerInfo {
    /// `delayed-ack`, `retransmission`, `fast-retransmit` (not a timer: the
    /// duplicate ACK in `armed_by` made the sender resend), `syn-retransmission`,
    /// `syn-ack-retransmission`, `zero-window-probe`, `keepalive` or
    /// `fin-after-close`.
    pub kind: String,
    /// The event that armed the timer (1-based index).
    pub armed_by: usize,
    /// From that event to this frame, in nanoseconds.
    pub delay_ns: u64,
}

/// A lesson's checkpoint on a frame: the question, and the right answer as
/// captured (never as written in the lesson). In step mode, what the student
/// answered and whether it was right.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Checkpoint {
    pub question: String,
    /// The right answer: the captured value.
    pub answer: String,
    /// Which captured value the answer is, e.g. `port.src`.
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correct: Option<bool>,
}

impl Transcript {
    /// Frames a lesson's wire rule (a rate, a reorder) still held when the
    /// run stopped waiting: the transcript is not the whole story, and
    /// says so.
    pub fn say_held_back(&mut self, held_back: usize) {
        if held_back > 0 {
            self.complete = false;
            self.lesson.summary.push_str(&format!(
                " {held_back} frame{} still held by the lesson's wire rules when the run ended {} not shown.",
                if held_back == 1 { "" } else { "s" },
                if held_back == 1 { "is" } else { "are" }
            ));
        }
    }

    /// A transcript of this version with no actor, step or event yet, not
    /// complete and not passed: what every producer (a lesson run, a trace,
    /// a capture file) starts from.
    pub fn begin(lesson: LessonInfo, network: NetworkInfo) -> Transcript {
        Transcript {
            format: FORMAT.to_string(),
            version: VERSION,
            complete: false,
            generator: format!("netcourse {}", env!("CARGO_PKG_VERSION")),
            source: Source::Lesson,
            lesson,
            network,
            dropped: 0,
            started_at_ns: 0,
            outcome: Outcome {
                passed: false,
                failure: None,
            },
            actors: Vec::new(),
            steps: Vec::new(),
            events: Vec::new(),
            comparison: Vec::new(),
        }
    }
}

impl Event {
    /// An application-layer event with no notes, frame or call yet.
    pub fn new(
        index: usize,
        kind: EventKind,
        step: usize,
        actor: String,
        time_ns: u64,
        timestamp_ns: u64,
    ) -> Event {
        Event {
            index,
            kind,
            step,
            actor,
            time_ns,
            timestamp_ns,
            layer: LayerKind::Application,
            summary: String::new(),
            notes: Notes::default(),
            from_lesson: Notes::default(),
            follows: None,
            call: None,
            to: None,
            data_hex: None,
            length: None,
            mac: None,
            ip: None,
            port: None,
            layers: Vec::new(),
            stopped: None,
            tcp: None,
            payload: None,
            checkpoint: None,
            reassembled: Vec::new(),
            crossing: None,
            timer: None,
        }
    }

    pub fn is_frame(&self) -> bool {
        self.kind == EventKind::Frame
    }

    /// The captured bytes, decoded from `data_hex`.
    pub fn bytes(&self) -> Vec<u8> {
        self.data_hex
            .as_deref()
            .map(|h| crate::text::parse_hex(h).unwrap_or_default())
            .unwrap_or_default()
    }
}

pub fn to_hex(data: &[u8]) -> String {
    // A digit table, not format!: every frame's bytes pass through here.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(data.len() * 2);
    for &b in data {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

#[cfg(test)]
mod hex_tests {
    use super::to_hex;

    #[test]
    fn to_hex_writes_two_lowercase_digits_a_byte() {
        assert_eq!(to_hex(&[]), "");
        assert_eq!(to_hex(&[0x00, 0x0f, 0xa0, 0xff, 0x45]), "000fa0ff45");
        let all: Vec<u8> = (0..=255).collect();
        let want: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(to_hex(&all), want);
        assert_eq!(crate::text::parse_hex(&want).unwrap(), all);
    }
}

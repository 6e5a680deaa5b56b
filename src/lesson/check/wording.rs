//! What each kind of problem says, and the hint that goes with it: the one
//! place the checker's wording lives.

use std::fmt::{self, Display, Formatter};

use super::kind::{Destination, Kind, NameFault, Use, YamlFault};
use crate::plan::{CALLS, RULE_PROTOCOLS, TCP_FLAGS, keys_for, template};
use crate::text::did_you_mean;

mod flow;
mod found;
mod network;
mod program;

use flow::flow_kinds;
use found::found_kinds;
use network::network_kinds;
use program::program_kinds;

/// The calls `repeat:` may copy: one datagram or read per copy.
pub const REPEATABLE: &[&str] = &["send", "sendall", "sendto", "recv", "recvfrom"];
pub const EXPECTED_ERRORS: &[&str] = &["refused", "reset", "timeout"];
pub const TRANSPORTS: &[&str] = &["udp", "tcp"];
pub const SHUTDOWN_HOWS: &[&str] = &["read", "write", "both"];
pub const CLOSE_SOCKETS: &[&str] = &["connection", "listener"];
pub const SOCKET_OPTIONS: &[&str] = crate::plan::SockOpt::NAMES;
pub const RULE_MODES: &[&str] = &["append", "replace"];

/// `did you mean …?`, or the whole list when nothing is close.
fn mean<S: AsRef<str>>(word: &str, candidates: &[S], what: &str) -> String {
    let candidates: Vec<&str> = candidates.iter().map(AsRef::as_ref).collect();
    match did_you_mean(word, candidates.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("{what} is one of: {}", candidates.join(", ")),
    }
}

impl Display for NameFault {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameFault::TooLong => "it is longer than 32 characters",
            NameFault::Blank => "it holds spaces or control characters",
            NameFault::Kernel => "`kernel` stands for frames no socket of the lesson sent",
            NameFault::Reply => "`to: reply` means the last sender a `recvfrom` heard from",
            NameFault::Address => "it reads as an address",
        })
    }
}

impl Display for Use {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Use::Sends => "sends",
            Use::Receives => "receives",
            Use::ShutsDown => "shuts down",
        })
    }
}

impl Display for Kind {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        use Kind::*;
        match self {
            FileTooLarge { bytes, limit } => {
                write!(
                    f,
                    "the file is {bytes} bytes; a lesson may be at most {limit} bytes"
                )
            }
            EmptyFile => f.write_str("the file is empty"),
            network_kinds!() => network::message(self, f),
            flow_kinds!() => flow::message(self, f),
            found_kinds!() => found::message(self, f),
            program_kinds!() => program::message(self, f),
            Data(fault) => fault.fmt(f),
            InvisibleInName {
                visible,
                code,
                bidi,
            } => write!(
                f,
                "actor name `{visible}` holds U+{code:04X}, a character that {}",
                if *bidi {
                    "reorders the text around it"
                } else {
                    "prints as nothing"
                }
            ),
            NarrationTooLong {
                key,
                chars,
                limit,
                limit_name,
            } => write!(
                f,
                "`{key}` is {chars} characters; the limit is {limit} (limit `{limit_name}`)"
            ),
            NarrationTotalTooLong { total, limit } => write!(
                f,
                "the lesson's narration adds up to {total} characters (title, summary, intro, outro and every `say`, repeats counted); the limit is {limit} (limit `max_narration`), passed here"
            ),
            NotUtf8 { byte } => write!(
                f,
                "the file is not UTF-8 text: byte 0x{byte:02x} here is not valid UTF-8"
            ),
            Yaml { message, .. } => f.write_str(message),
            UnclosedQuote { quote, .. } => {
                write!(
                    f,
                    "the quote `{quote}` opened here is not closed on this line"
                )
            }
            FileNameDiffers { name, stem } => {
                write!(f, "the lesson is named `{name}`, but its file is `{stem}`")
            }
            UnsupportedFormat { format } => {
                write!(f, "lesson format {format} is not one this netcourse reads")
            }
            BadLessonName { name } => write!(f, "lesson name `{name}` is not a simple name"),
            NoSteps => f.write_str("the lesson has no steps"),
            TooManySteps { steps, limit } => write!(
                f,
                "the lesson has {steps} steps; the limit is {limit} (limit `max_steps`)"
            ),
            TooManyRepeatedSteps { limit } => write!(
                f,
                "counting repeats, the lesson runs more than {limit} steps by here (limit `max_steps`)"
            ),
            TooMuchWaiting {
                total_ms, limit_ms, ..
            } => write!(
                f,
                "by this step the lesson's waits add up to {total_ms} ms; the limit is {limit_ms} ms (limit `max_total_wait_ms`)"
            ),
            TooManyActors { actors, limit } => write!(
                f,
                "the lesson declares {actors} actors; the limit is {limit} (limit `max_actors`)"
            ),
            TooManyRules { rules, limit } => write!(
                f,
                "the lesson has {rules} rules; the limit is {limit} (limit `max_rules`)"
            ),
            DuplicateActor { name, .. } => write!(f, "actor `{name}` is declared twice"),
            MissingActorName => f.write_str("an actor needs a name"),
            BadActorName { name, fault } => write!(
                f,
                "`{}` cannot be an actor's name: {fault}",
                name.chars().take(40).collect::<String>()
            ),
            UnknownTransport { transport } => write!(f, "unknown transport `{transport}`"),
            UnusedActor { name } => write!(f, "actor `{name}` takes no part in any step"),
            FieldsWithoutProtocol => {
                f.write_str("`fields` need a `protocol:` name for the lesson's own protocol")
            }
            UnknownAppProtocol { protocol } => write!(f, "unknown protocol `{protocol}`"),
            AppProtocolNeedsTcp { protocol } => {
                write!(f, "{protocol} runs over TCP, but this actor uses UDP")
            }
            BadOwnProtocolName { name } => {
                write!(f, "`{name}` cannot name the lesson's own protocol")
            }
            TooManyFields { count, limit } => {
                write!(f, "{count} fields; the limit is {limit}")
            }
            BadFieldName { name } => write!(f, "`{name}` cannot name a field"),
            FieldDefinedTwice { name } => write!(f, "field `{name}` is defined twice"),
            BadByteRange { range, .. } => write!(f, "`{range}` is not a byte range"),
            UnknownShow { show } => write!(f, "unknown `show: {show}`"),
            BodyLongerThanContentLength { says, body } => write!(
                f,
                "this HTTP message's Content-Length says {says} bytes, but its body is {body} bytes"
            ),
            BodyShorterThanContentLength { says, body, actor } => write!(
                f,
                "this HTTP message's Content-Length says {says} bytes, but its body is {body} and `{actor}` sends nothing after it"
            ),
            AddressOutsideSandbox { ip } | DestinationOutsideSandbox { ip } => {
                write!(f, "address `{ip}` is outside the sandbox")
            }
            NotAnIpAddress { text } => write!(f, "`{text}` is not an IP address"),
            PortOutOfRange { port } | DestinationPortOutOfRange { port } => {
                write!(f, "port {port} is out of range")
            }
            BroadcastAddress => {
                f.write_str("`127.255.255.255` is the broadcast address of 127.0.0.0/8")
            }
            DuplicateStepId { id, .. } => write!(f, "step id `{id}` is used twice"),
            EmptyStepId => f.write_str("a step id cannot be empty"),
            NumericStepId { id } => write!(f, "step id `{id}` is a number"),
            UnknownActor { step, name, .. } => write!(
                f,
                "step {step} names actor `{name}`, which the lesson does not declare"
            ),
            CannotRepeat { call } => write!(f, "`{call}` cannot be repeated"),
            RepeatOutOfRange { repeat, .. } => {
                write!(f, "repeat {repeat} is out of range (limit `max_repeat`)")
            }
            UnknownCall { call } => write!(f, "unknown call `{call}`"),
            KeyWithoutMeaning { key, call } => write!(f, "`{key}` has no meaning for `{call}`"),
            TcpCallOnUdp { call, actor } => {
                write!(f, "`{call}` is a TCP call, but `{actor}` is a UDP actor")
            }
            UdpCallOnTcp { call, actor } => {
                write!(f, "`{call}` is a UDP call, but `{actor}` is a TCP actor")
            }
            TimeoutOutOfRange { timeout, .. } => write!(
                f,
                "timeout_ms {timeout} is out of range (limit `max_timeout_ms`)"
            ),
            BacklogOutOfRange { backlog, .. } => {
                write!(f, "backlog {backlog} is out of range (limit `max_backlog`)")
            }
            MaxOutOfRange { max, .. } => write!(f, "max {max} is out of range (limit `max_recv`)"),
            UnknownShutdownHow { how } => write!(f, "unknown shutdown direction `{how}`"),
            UnknownSocket { socket } => write!(f, "unknown socket `{socket}`"),
            UnknownOption { option } => write!(f, "unknown socket option `{option}`"),
            MissingOption => f.write_str("`setsockopt` needs an `option`"),
            TcpOptionOnUdp => f.write_str("this option is for TCP sockets"),
            SizeOutOfRange { option, size, .. } => write!(
                f,
                "`size` {size} is out of range for `{option}`{}",
                if option == "maxseg" {
                    ""
                } else {
                    " (limit `max_socket_buffer`)"
                }
            ),
            MissingSize { option, .. } => write!(f, "`{option}` needs a `size` in bytes"),
            SizeNotValue => f.write_str("this option takes a `size`, not an on/off `value`"),
            ValueNotSize => f.write_str("this option is on or off: it takes `value`, not `size`"),
            SleepOutOfRange { ms, .. } => {
                write!(f, "sleep of {ms} ms is out of range (limit `max_sleep_ms`)")
            }
            MissingSleep => f.write_str("`sleep` needs `ms`"),
            TextAndHex => f.write_str("a step sends `text` or `hex`, not both"),
            DataBadHex { error } | ExpectBadHex { error } => f.write_str(error),
            NeedsData { call } => write!(f, "`{call}` needs data to send"),
            PayloadTooLarge { bytes, limit } => write!(
                f,
                "payload of {bytes} bytes is larger than the limit of {limit} bytes per call (limit `max_payload`)"
            ),
            NeedsDestination { call } => write!(f, "`{call}` needs `to`"),
            ReplyOnlyForSendto => f.write_str("`to: reply` only works for `sendto`"),
            NoFixedPort { actor } => write!(f, "`{actor}` has no fixed port to reach"),
            PortZeroDestination => f.write_str("port 0 cannot be a destination"),
            HostOutsideSandbox { host } => write!(f, "host `{host}` is outside the sandbox"),
            NotActorNorAddress { to, .. } => {
                write!(f, "`{to}` is neither an actor nor an address")
            }
            TransportMismatch {
                actor,
                transport,
                peer,
                peer_transport,
            } => write!(
                f,
                "`{actor}` is a {} actor, but `{peer}` is a {} actor",
                transport.as_str().to_uppercase(),
                peer_transport.as_str().to_uppercase()
            ),
            IpVersionMismatch {
                actor,
                socket,
                made,
                destination,
            } => {
                let version = crate::sockets::IpVersion::of(destination.ip()).name();
                write!(
                    f,
                    "`{actor}` has an {} socket ({made}), but ",
                    socket.name()
                )?;
                match destination {
                    Destination::Actor { name, ip } => {
                        write!(f, "`{name}` is at {ip}, an {version} address")
                    }
                    Destination::Addr(ip) => write!(f, "{ip} is an {version} address"),
                }
            }
            BoundTwice {
                actor,
                step,
                line,
                how,
            } => write!(
                f,
                "`{actor}` binds, but its socket already has an address from its `{how}` (step {step}, line {line}): the kernel answers EINVAL"
            ),
            AddressInUse {
                actor,
                addr,
                other,
                held,
                step,
                line,
            } => write!(
                f,
                "`{actor}` binds {addr}, but `{other}` already holds {held} (step {step}, line {line}): this bind would fail with EADDRINUSE"
            ),
            ListenWhileConnected { actor } => {
                write!(f, "`{actor}` listens, but its socket is connected")
            }
            ListenBeforeBind { actor } => write!(f, "`{actor}` listens before it binds"),
            AcceptAfterClose {
                actor,
                what,
                step,
                line,
            } => write!(
                f,
                "`{actor}` accepts after it closed {what} (step {step}, line {line})"
            ),
            AcceptBeforeListen { actor, .. } => write!(f, "`{actor}` accepts before it listens"),
            AcceptWithoutListen { actor } => write!(f, "`{actor}` accepts but never listens"),
            AcceptWithoutConnect { actor } => write!(
                f,
                "`{actor}` accepts, but no client has connected to it since its last `accept`"
            ),
            AcceptDropsConnection { actor } => write!(
                f,
                "`{actor}` accepts again while its earlier connection is open: that connection is closed here (FIN)"
            ),
            ConnectBeforeListen { actor, server, .. } => {
                write!(f, "`{actor}` connects to `{server}` before it listens")
            }
            ConnectNeverListens { actor, server } => {
                write!(f, "`{actor}` connects to `{server}`, which never listens")
            }
            AlreadyConnected { actor } => write!(f, "`{actor}` is already connected"),
            ConnectAfterFailedConnect { actor, step, line } => write!(
                f,
                "`{actor}` connects again, but its connect in step {step} (line {line}) fails"
            ),
            ConnectWhileListening { actor } => {
                write!(f, "`{actor}` connects, but its socket is listening")
            }
            SendAfterShutdown { actor, step, line } => write!(
                f,
                "`{actor}` sends after it shut down its sending side (step {step}, line {line}): the call would fail with EPIPE"
            ),
            UsedAfterClose {
                actor,
                verb,
                what,
                step,
                line,
            } => write!(
                f,
                "`{actor}` {verb} after it closed {what} (step {step}, line {line})"
            ),
            NotConnected { actor, verb, .. } => {
                write!(f, "`{actor}` {verb} before it is connected")
            }
            ReplyWithoutRecvfrom { actor } => write!(
                f,
                "`to: reply` answers whoever `{actor}` last heard from, but it has no `recvfrom` before this step"
            ),
            ReceiveWithoutAddress { actor } => {
                write!(f, "`{actor}` receives before it has an address")
            }
            CloseAgain {
                actor,
                what,
                step,
                line,
            } => write!(
                f,
                "`{actor}` closes again: it closed {what} in step {step} (line {line})"
            ),
            CloseWithoutSocket { actor } => write!(f, "`{actor}` closes, but has no socket yet"),
            CloseListenerNotListening { actor } => write!(
                f,
                "`{actor}` closes its listening socket, but it does not listen"
            ),
            ExpectTextAndHex => f.write_str("`expect` has both `text` and `hex`"),
            ExpectDataAndError => f.write_str("`expect` asks for data and for an error at once"),
            ExpectDataAndEof => f.write_str("`expect` asks for data and for end of stream at once"),
            ExpectDataNotReceiving { call } => write!(
                f,
                "only `recv` and `recvfrom` can expect data or end of stream, not `{call}`"
            ),
            UnknownExpectedError { error } => write!(f, "unknown error `{error}`"),
            FromOnlyForRecvfrom => f.write_str("`from` only applies to `recvfrom`"),
            FromNotAnActor { name, .. } => write!(f, "`{name}` is not an actor"),
            FramelessCheckpoint { call } => write!(
                f,
                "`{call}` puts no frame on the wire here, so this checkpoint has nothing to ask about"
            ),
            EmptyQuestion => f.write_str("the question is empty"),
            AnswerInBraces { name } => write!(f, "write `answer: {name}` without braces"),
            AnswerNotCaptured { answer } => write!(f, "`{answer}` is not a captured value"),
            TcpAnswerOnUdp { answer, actor } => {
                write!(f, "`{answer}` is TCP's, but `{actor}` is a UDP actor")
            }
            CheckpointFrameOutOfRange { frame, .. } => write!(
                f,
                "frame {frame} is out of range (limit `max_checkpoint_frame`)"
            ),
            NoSuchUdpFrame { call, frame } => write!(
                f,
                "a UDP `{call}` makes one datagram, and at most an ICMP error comes back: there is no frame {frame}"
            ),
            TextTooLong { what, chars, limit } => write!(
                f,
                "{what} is {chars} characters long; the limit is {limit} (limit `max_text`)"
            ),
            Template(e) => f.write_str(&e.message),
            UnknownProtocol { protocol } => write!(f, "unknown protocol `{protocol}`"),
            EmptyFlags => f.write_str("`flags: []` names no flag"),
            UnknownTcpFlag { flag } => write!(f, "unknown TCP flag `{flag}`"),
            FlagsNotTcp { protocol } => write!(
                f,
                "`flags` are TCP's, but this rule matches `{protocol}` frames"
            ),
            RuleEndpointUnknown { key, value, .. } => {
                write!(f, "`{key}: {value}` is not an actor of this lesson")
            }
            NoSuchStep { step, .. } => write!(f, "step {step} does not exist"),
            NoSuchStepId { id, .. } => write!(f, "no step has the id `{id}`"),
            EmptyRulePayload => f.write_str("`payload: \"\"` matches nothing"),
            RulePayloadTooLarge { bytes, limit } => write!(
                f,
                "payload of {bytes} bytes is larger than the limit of {limit} bytes (limit `max_payload`)"
            ),
            UnknownMode { mode } => write!(f, "unknown mode `{mode}`"),
            RuleWithoutNote => f.write_str("this rule adds no note"),
            NoTcpHeader { protocol } => write!(
                f,
                "this rule matches `{protocol}` frames, which have no TCP header"
            ),
            RuleMatchesEverything => f.write_str("this rule matches every frame"),
        }
    }
}

impl Kind {
    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        use Kind::*;
        let s = |t: &str| Some(t.to_string());
        match self {
            FileTooLarge { .. }
            | TooManyActors { .. }
            | ExpectBadHex { .. }
            | FromOnlyForRecvfrom
            | RulePayloadTooLarge { .. } => None,
            EmptyFile => s(
                "a lesson starts with `format: 1`; `netcourse new lesson NAME` writes one to start from",
            ),
            network_kinds!() => network::hint(self),
            flow_kinds!() => flow::hint(self),
            found_kinds!() => found::hint(self),
            program_kinds!() => program::hint(self),
            Data(fault) => fault.hint(),
            InvisibleInName { .. } => s(
                "a name must read the same everywhere it is shown; use visible letters, digits, `-` and `_`",
            ),
            NarrationTooLong { limit, .. } => Some(format!(
                "shorten it to {limit} characters or fewer; a long explanation belongs in the lesson's documentation, not in the run"
            )),
            NarrationTotalTooLong { .. } => s(
                "shorten the narration, or move a `say` off a repeated step (a repeated step shows its `say` every time)",
            ),
            NotUtf8 { .. } => s(
                "a lesson is a YAML text file in UTF-8; `netcourse new lesson NAME` writes one to start from",
            ),
            Yaml { message, fault } => Some(match fault {
                YamlFault::UnknownKey => crate::lesson::load::unknown_key_hint(message),
                YamlFault::MissingKey => crate::lesson::yaml::missing_key_hint(message),
                YamlFault::Tag => "lessons use plain YAML: tags like `!include` are not allowed, and a lesson can read no other file".into(),
                YamlFault::DuplicateKey => "each key may appear once in the same mapping".into(),
                _ if message.starts_with("expected a list") => "start each item on its own line with `- `, e.g. `  - actor: sender`".into(),
                YamlFault::Type => "docs/lesson-format.md gives the type of every key".into(),
                YamlFault::Syntax => "check the YAML syntax around this line: indentation, quotes and colons".into(),
            }),
            UnclosedQuote {
                line,
                column,
                message,
                ..
            } => Some(format!(
                "close it at the end of the value; the YAML reader went on to line {line}, column {column} ({message})"
            )),
            FileNameDiffers { name, stem } => Some(format!(
                "`netcourse lessons` finds it as `{stem}` and its transcript says `{name}`; name the file `{name}.yaml`"
            )),
            UnsupportedFormat { .. } => s("this netcourse reads `format: 1`"),
            BadLessonName { .. } => s("use letters, digits, `-` and `_`, like `udp-basics`"),
            NoSteps => s("add a `steps:` list with at least one step"),
            TooManySteps { .. } => s("split it into several lessons"),
            TooManyRepeatedSteps { .. } => {
                s("use fewer or smaller `repeat:`s, or split the lesson")
            }
            TooMuchWaiting { default_ms, .. } => Some(format!(
                "every accept, TCP connect, recv and recvfrom may wait its `timeout_ms` (default {default_ms} ms), and every sleep its `ms`; give them shorter ones"
            )),
            TooManyRules { .. } => s("merge rules that match the same frames"),
            DuplicateActor { first_line, .. } => Some(format!("the first is on line {first_line}")),
            MissingActorName => s("e.g. `name: sender`"),
            BadActorName { .. } => s("use a short word like `sender`, `server` or `client-2`"),
            UnknownTransport { transport } => Some(mean(transport, TRANSPORTS, "a transport")),
            UnusedActor { .. } => s("remove it, or add a step for it"),
            FieldsWithoutProtocol => s("add e.g. `protocol: TOY` beside `fields:`"),
            UnknownAppProtocol { protocol } => Some(format!(
                "{}; or define your own with `fields:`",
                mean(
                    protocol,
                    &crate::dissect::app::Protocol::LESSON_NAMES
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>(),
                    "a protocol"
                )
            )),
            AppProtocolNeedsTcp { .. } => s("use `transport: tcp`, or `protocol: dns` for UDP"),
            BadOwnProtocolName { .. } => s(
                "use up to 16 letters, digits, `-` or `_`, not a built-in protocol's name (those need no `fields`)",
            ),
            TooManyFields { .. } => s("name only the fields the lesson talks about"),
            BadFieldName { .. } => s("use up to 32 letters, digits, `_`, `-` or `.`, like `id`"),
            FieldDefinedTwice { .. } => s("give each field its own name"),
            BadByteRange { limit, .. } => Some(format!(
                "write START..END, e.g. `0..2` for the first two bytes (END after START, at most {limit})"
            )),
            UnknownShow { show } => Some(mean(
                show,
                &crate::dissect::app::custom::Show::NAMES
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>(),
                "`show`",
            )),
            BodyLongerThanContentLength { says, body } => Some(format!(
                "the receiver stops reading after {says} bytes; make Content-Length {body} (the transcript will point the mismatch out either way)"
            )),
            BodyShorterThanContentLength { says, body, .. } => Some(format!(
                "the receiver would wait for {} more bytes; make Content-Length {body}",
                says - body
            )),
            AddressOutsideSandbox { .. } => s(
                "lessons may only use loopback addresses: 127.0.0.1 (any of 127.0.0.0/8) or ::1",
            ),
            DestinationOutsideSandbox { .. } => {
                s("lessons may only use loopback addresses: 127.0.0.0/8 or ::1")
            }
            NotAnIpAddress { .. } => s("write an address like `127.0.0.1` or `::1`"),
            PortOutOfRange { .. } => s(
                "a port is a number from 1 to 65535; leave `port` out to let the OS pick one",
            ),
            DestinationPortOutOfRange { .. } => s("a port is a number from 1 to 65535"),
            BroadcastAddress => s(
                "sending to it needs SO_BROADCAST, which lessons do not set; use a host address like `127.0.0.2`",
            ),
            DuplicateStepId { first_line, .. } => Some(format!(
                "it was first used on line {first_line}; step ids must be unique"
            )),
            EmptyStepId => s("use a word like `first-send`, or leave `id` out"),
            NumericStepId { .. } => s(
                "rules name a step by its number or its id, so an id must be a word, like `first-send`",
            ),
            UnknownActor { name, actors, .. } | FromNotAnActor { name, actors } => {
                Some(mean(name, actors, "an actor"))
            }
            CannotRepeat { .. } => Some(format!("`repeat` is for {}", REPEATABLE.join(", "))),
            RepeatOutOfRange { limit, .. } => Some(format!("repeat a step 1 to {limit} times")),
            UnknownCall { call } => Some(mean(call, CALLS, "a call")),
            KeyWithoutMeaning { call, .. } => {
                let allowed = keys_for(call);
                Some(if allowed.is_empty() {
                    format!("`{call}` takes no arguments")
                } else {
                    format!("`{call}` takes: {}", allowed.join(", "))
                })
            }
            TcpCallOnUdp { call, .. } => s(match call.as_str() {
                "send" | "sendall" => "UDP sends with `sendto` (or `send` after `connect`)",
                "recv" => "UDP receives with `recvfrom` (or `recv` after `connect`)",
                _ => "UDP has no connections: no listen, accept or shutdown",
            }),
            UdpCallOnTcp { call, .. } => s(if call == "sendto" {
                "TCP sends with `send` or `sendall` after `connect`/`accept`"
            } else {
                "TCP receives with `recv`"
            }),
            TimeoutOutOfRange { limit, .. } => {
                Some(format!("a wait is 1 to {limit} milliseconds"))
            }
            BacklogOutOfRange { limit, .. } => Some(format!("use 0 to {limit}")),
            MaxOutOfRange { limit, .. } => Some(format!("read 1 to {limit} bytes")),
            UnknownShutdownHow { how } => Some(mean(how, SHUTDOWN_HOWS, "`how`")),
            UnknownSocket { socket } => Some(mean(socket, CLOSE_SOCKETS, "`socket`")),
            UnknownOption { option } => Some(mean(option, SOCKET_OPTIONS, "`option`")),
            MissingOption => s("e.g. `option: nodelay`"),
            TcpOptionOnUdp => s("UDP sockets take `reuseaddr`, `rcvbuf`, `sndbuf` and `ttl` here"),
            SizeOutOfRange {
                option, low, high, ..
            } => Some(format!("`{option}` takes {low} to {high} bytes")),
            MissingSize { low, high, .. } => Some(format!("e.g. `size: 4096` ({low} to {high})")),
            SizeNotValue => s("e.g. `size: 4096`"),
            ValueNotSize => s("e.g. `value: true`"),
            SleepOutOfRange { limit, .. } => Some(format!("a sleep is 1 to {limit} milliseconds")),
            MissingSleep => s("e.g. `ms: 250` pauses the actor for 250 milliseconds"),
            TextAndHex | ExpectTextAndHex => s("keep one of them"),
            DataBadHex { .. } => s("write bytes as pairs of hex digits, e.g. `68 65 6c 6c 6f`"),
            NeedsData { .. } => s("add `text: \"hello\"` or `hex: \"68656c6c6f\"`"),
            PayloadTooLarge { .. } => s("send less; a few bytes show the same headers"),
            NeedsDestination { .. } => {
                s("name an actor (`to: receiver`) or an address (`to: 127.0.0.1:5000`)")
            }
            ReplyOnlyForSendto => s(
                "it answers whoever the actor's last `recvfrom` heard from; `connect` needs an actor or an address",
            ),
            NoFixedPort { actor } => Some(format!("give actor `{actor}` a `port:`")),
            PortZeroDestination => s("use a port from 1 to 65535"),
            HostOutsideSandbox { .. } => s(
                "lessons do not look up host names; use a loopback address like `127.0.0.1:5000` or `[::1]:5000`, or an actor's name",
            ),
            NotActorNorAddress { to, actors } => {
                if to.contains(':') || to.contains('.') {
                    s("an address is `IP:PORT`, like `127.0.0.1:5000` or `[::1]:5000`")
                } else {
                    Some(mean(to, actors, "`to`"))
                }
            }
            TransportMismatch { .. } => s(
                "a socket only talks to sockets of its own transport; give both actors the same `transport`",
            ),
            IpVersionMismatch { .. } => s(
                "a socket speaks one IP version: give both sides addresses of the same version (`127.0.0.1` for IPv4, `::1` for IPv6), or use another actor",
            ),
            BoundTwice { how, .. } => Some(if *how == "bind" {
                "a socket is bound once; remove this step".to_string()
            } else {
                format!("bind before the `{how}`, so that the socket keeps the port you choose")
            }),
            AddressInUse { actor, other, .. } => Some(format!(
                "give `{actor}` another `port:`, or close `{other}` first"
            )),
            ListenWhileConnected { .. } => s(
                "a socket is either a client (connect) or a server (bind, listen, accept); use another actor for the other role",
            ),
            ListenBeforeBind { .. } => s(
                "add a `bind` step for it first, so students see which port it listens on",
            ),
            AcceptAfterClose { .. } => s(
                "accept takes connections from the listening socket; close it after the last `accept`",
            ),
            AcceptBeforeListen {
                listen_step,
                listen_line,
                ..
            } => Some(format!(
                "its `listen` is step {listen_step} (line {listen_line}); move this `accept` after it"
            )),
            AcceptWithoutListen { .. } => s("add `call: listen` before `accept`"),
            AcceptWithoutConnect { .. } => s(
                "steps run one after another, and accept() waits for a finished connection: put the client's `connect` before this `accept` (the kernel completes the handshake by itself)",
            ),
            AcceptDropsConnection { .. } => s(
                "an `accept` without `as:` holds one connection; `close` it first to make that visible, or name each connection (`as: alice`, then `on: alice`) to hold several at once",
            ),
            ConnectBeforeListen {
                server,
                listen_step,
                listen_line,
                ..
            } => Some(format!(
                "`{server}` listens in step {listen_step} (line {listen_line}); move this `connect` after it"
            )),
            ConnectNeverListens { server, .. } => Some(format!(
                "add `call: listen` for `{server}`, or add `expect: {{error: refused}}` if the refusal is the lesson"
            )),
            AlreadyConnected { .. } => s(
                "a TCP socket connects once (a second connect fails with EISCONN); use another actor for a second connection",
            ),
            ConnectAfterFailedConnect { .. } => s(
                "a TCP socket whose connect failed cannot connect again (the kernel answers ECONNABORTED); use another actor for the second attempt, as a program would make a new socket",
            ),
            ConnectWhileListening { .. } => {
                s("a listening socket only accepts; let another actor be the client")
            }
            SendAfterShutdown { .. } => s(
                "`shutdown` with `how: write` (or `both`) sends FIN, and nothing more may be sent; move the send before it",
            ),
            UsedAfterClose { .. } => s(
                "a closed socket cannot be used again; move this step before the `close`, or the `close` after it",
            ),
            NotConnected { verb, udp, .. } => s(match (udp, verb) {
                (true, Use::Sends) => "UDP sends with `sendto`, or with `send` after a `connect` step",
                (true, _) => "UDP receives with `recvfrom`, or with `recv` after a `connect` step",
                (false, _) => "add a `connect` (client) or `accept` (server) step first",
            }),
            ReplyWithoutRecvfrom { .. } => s(
                "add a `recvfrom` step for it first, or name the destination (`to: ACTOR` or an address)",
            ),
            ReceiveWithoutAddress { .. } => s("add a `bind` step first, so senders know its port"),
            CloseAgain { .. } => s("remove this `close`"),
            CloseWithoutSocket { .. } => s(
                "its socket comes with its first `bind`, `connect`, `sendto` or `setsockopt`; close after those",
            ),
            CloseListenerNotListening { .. } => s(
                "`socket: listener` is for a server after `listen`; leave `socket` out to close the actor's socket or connection",
            ),
            ExpectDataAndError => {
                s("a call either returns data (or end of stream) or fails; keep one")
            }
            ExpectDataAndEof => s("end of stream is a read of 0 bytes; keep one"),
            ExpectDataNotReceiving { .. } => s(
                "put this `expect` on the step where the other side reads what was sent; a sending step may expect only `error`",
            ),
            UnknownExpectedError { error } => Some(mean(error, EXPECTED_ERRORS, "`error`")),
            FramelessCheckpoint { .. } => s(
                "put the checkpoint on a step that sends: sendto, send, sendall, a TCP connect, close or shutdown",
            ),
            EmptyQuestion => s("e.g. `ask: \"Which port will the datagram come from?\"`"),
            AnswerInBraces { .. } => {
                s("`answer` names a captured value; braces are for templates")
            }
            AnswerNotCaptured { answer } => {
                let call_answers = super::data::CALL_ANSWERS.iter().map(|(n, _)| *n);
                Some(match did_you_mean(answer, template::placeholder_names().chain(call_answers)) {
                    Some(m) => format!(
                        "did you mean `{m}`? The right answer is read from the captured frame, so `answer` names a value, not the value itself"
                    ),
                    None => format!(
                        "the right answer is read from the captured frame, so `answer` names a value: one of {}",
                        template::placeholder_names().collect::<Vec<_>>().join(", ")
                    ),
                })
            }
            TcpAnswerOnUdp { .. } => {
                s("ask about `port.src`, `port.dst`, `ip.src`, `payload` or `length`")
            }
            CheckpointFrameOutOfRange { limit, .. } => {
                Some(format!("frames of a step count from 1 to {limit}"))
            }
            NoSuchUdpFrame { .. } => s(
                "ask about `frame: 1` (the datagram) or `frame: 2` (an ICMP error, when nobody listens)",
            ),
            TextTooLong { .. } => s("say it in fewer words"),
            Template(e) => Some(e.hint.clone()),
            UnknownProtocol { protocol } => Some(mean(
                &protocol.trim().to_ascii_lowercase(),
                RULE_PROTOCOLS,
                "`protocol`",
            )),
            EmptyFlags => s(
                "list the flags that must all be set, e.g. `[SYN, ACK]`, or leave `flags` out",
            ),
            UnknownTcpFlag { flag } => Some(mean(
                &flag.trim().to_ascii_uppercase(),
                TCP_FLAGS,
                "a TCP flag",
            )),
            FlagsNotTcp { .. } => s("use `protocol: tcp`, or leave `protocol` out"),
            RuleEndpointUnknown {
                key,
                value,
                endpoints,
            } => Some(mean(value, endpoints, &format!("`{key}`"))),
            NoSuchStep { total, .. } => Some(format!("the lesson runs steps 1 to {total}")),
            NoSuchStepId { id, ids } => {
                Some(match did_you_mean(id, ids.iter().map(String::as_str)) {
                    Some(m) => format!("did you mean `{m}`?"),
                    None if ids.is_empty() => {
                        "give the step an `id:`, or name it by its number".into()
                    }
                    None => format!("the step ids are: {}", ids.join(", ")),
                })
            }
            EmptyRulePayload => {
                s("give the text the payload must contain, or leave `payload` out")
            }
            UnknownMode { mode } => Some(mean(mode, RULE_MODES, "`mode`")),
            RuleWithoutNote => s("give it `syntax:`, `semantics:` or `timing:` text"),
            NoTcpHeader { .. } => Some(format!("`{{tcp.…}}` will read `{}`", template::MISSING)),
            RuleMatchesEverything => s(
                "add `protocol`, `flags`, `from`, `to`, `step` or `payload` to say which frames it is about",
            ),
        }
    }
}

//! Every kind of mistake `check` (and the loader) can find in a lesson, with
//! the values its message and hint quote. The wording is in `wording.rs`,
//! one `Display` and one `hint` for all kinds; severity follows from the
//! kind.

use std::net::{IpAddr, SocketAddr};

use crate::plan::Transport;
use crate::plan::template::TemplateError;
use crate::sockets::{Closed, IpVersion, MadeFor};
use crate::wire::Cidr;

use super::problem::Severity;

/// Why a word cannot name an actor: names appear in every note, in diagrams
/// and in `to:`, where some words already mean something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameFault {
    TooLong,
    Blank,
    Kernel,
    Reply,
    Address,
}

/// What a step does with a connection it does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    Sends,
    Receives,
    ShutsDown,
}

/// What the YAML reader stumbled on, which picks the hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YamlFault {
    UnknownKey,
    MissingKey,
    Tag,
    DuplicateKey,
    Type,
    Syntax,
}

/// Why an expected error cannot happen at its step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Never {
    /// `refused` on a connect to an actor that listens.
    Listening {
        server: String,
        step: usize,
        line: u64,
    },
    /// Anything but `timeout` on an unconnected UDP receive.
    UdpUnconnected,
    /// Any error on a `sendto` from an unconnected socket.
    SendtoUnconnected,
    UdpReset,
    CallNeverFails {
        call: &'static str,
    },
    DataWaiting {
        bytes: usize,
    },
    EndOfStream {
        peer: String,
        step: usize,
        line: u64,
    },
}

/// What explains data that arrives other than expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataHint {
    None,
    /// `max` is smaller than the data expected.
    MaxCut {
        max: usize,
    },
    /// A stream read takes several sends at once.
    Glued {
        sends: usize,
    },
    /// A `|` block keeps its last newline.
    TrailingNewline,
    /// `\r\n` written in single quotes (or plain) is four characters.
    Escapes,
    EndOfStream,
}

/// The destination a socket of the other IP version cannot reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Actor { name: String, ip: IpAddr },
    Addr(IpAddr),
}

impl Destination {
    pub fn ip(&self) -> IpAddr {
        match self {
            Destination::Actor { ip, .. } | Destination::Addr(ip) => *ip,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    // The file itself (lesson::load).
    FileTooLarge {
        bytes: usize,
        limit: usize,
    },
    EmptyFile,
    // Narration and names (lesson::narration).
    /// An actor name with a character that prints as nothing or reorders
    /// the text around it.
    InvisibleInName {
        visible: String,
        code: u32,
        bidi: bool,
    },
    /// One piece of narration over its own limit.
    NarrationTooLong {
        key: &'static str,
        chars: usize,
        limit: usize,
        limit_name: &'static str,
    },
    /// All the narration together, repeats counted, over `max_narration`.
    NarrationTotalTooLong {
        total: usize,
        limit: usize,
    },
    NotUtf8 {
        byte: u8,
    },
    Yaml {
        message: String,
        fault: YamlFault,
    },
    /// A quote the YAML reader ran past; it stopped at `line`:`column`.
    UnclosedQuote {
        quote: char,
        line: u64,
        column: u64,
        message: String,
    },
    FileNameDiffers {
        name: String,
        stem: String,
    },

    // The lesson's head and its lists.
    UnsupportedFormat {
        format: u32,
    },
    BadLessonName {
        name: String,
    },
    NoSteps,
    /// Generated data, recv loops, background sends, call answers
    /// (`check/data.rs`, which words them).
    Data(super::data::DataFault),
    TooManySteps {
        steps: usize,
        limit: usize,
    },
    TooManyRepeatedSteps {
        limit: usize,
    },
    TooMuchWaiting {
        total_ms: u64,
        limit_ms: u64,
        default_ms: u64,
    },
    TooManyActors {
        actors: usize,
        limit: usize,
    },
    TooManyRules {
        rules: usize,
        limit: usize,
    },

    // Actors.
    DuplicateActor {
        name: String,
        first_line: u64,
    },
    MissingActorName,
    BadActorName {
        name: String,
        fault: NameFault,
    },
    UnknownTransport {
        transport: String,
    },
    UnusedActor {
        name: String,
    },
    // The application layer (check/app.rs).
    FieldsWithoutProtocol,
    UnknownAppProtocol {
        protocol: String,
    },
    AppProtocolNeedsTcp {
        protocol: &'static str,
    },
    BadOwnProtocolName {
        name: String,
    },
    TooManyFields {
        count: usize,
        limit: usize,
    },
    BadFieldName {
        name: String,
    },
    FieldDefinedTwice {
        name: String,
    },
    BadByteRange {
        range: String,
        limit: usize,
    },
    UnknownShow {
        show: String,
    },
    /// An HTTP message in a step's text whose body is longer than its
    /// Content-Length says.
    BodyLongerThanContentLength {
        says: usize,
        body: usize,
    },
    /// …or shorter, and its sender sends nothing after it.
    BodyShorterThanContentLength {
        says: usize,
        body: usize,
        actor: String,
    },
    AddressOutsideSandbox {
        ip: IpAddr,
    },
    NotAnIpAddress {
        text: String,
    },
    PortOutOfRange {
        port: i64,
    },
    BroadcastAddress,

    // Step ids and repeats.
    DuplicateStepId {
        id: String,
        first_line: u64,
    },
    EmptyStepId,
    NumericStepId {
        id: String,
    },
    UnknownActor {
        step: usize,
        name: String,
        actors: Vec<String>,
    },
    CannotRepeat {
        call: String,
    },
    RepeatOutOfRange {
        repeat: i64,
        limit: usize,
    },

    // A step's call and keys.
    UnknownCall {
        call: String,
    },
    KeyWithoutMeaning {
        key: &'static str,
        call: String,
    },
    TcpCallOnUdp {
        call: String,
        actor: String,
    },
    UdpCallOnTcp {
        call: String,
        actor: String,
    },
    TimeoutOutOfRange {
        timeout: i64,
        limit: u64,
    },
    BacklogOutOfRange {
        backlog: i64,
        limit: u32,
    },
    MaxOutOfRange {
        max: i64,
        limit: u32,
    },
    UnknownShutdownHow {
        how: String,
    },
    UnknownSocket {
        socket: String,
    },
    UnknownOption {
        option: String,
    },
    MissingOption,
    TcpOptionOnUdp,
    SizeOutOfRange {
        option: String,
        size: i64,
        low: u32,
        high: u32,
    },
    MissingSize {
        option: String,
        low: u32,
        high: u32,
    },
    SizeNotValue,
    ValueNotSize,
    SleepOutOfRange {
        ms: i64,
        limit: u64,
    },
    MissingSleep,

    // Data a step sends.
    TextAndHex,
    DataBadHex {
        error: String,
    },
    NeedsData {
        call: String,
    },
    PayloadTooLarge {
        bytes: usize,
        limit: usize,
    },

    // Where a step sends to.
    NeedsDestination {
        call: String,
    },
    ReplyOnlyForSendto,
    NoFixedPort {
        actor: String,
    },
    DestinationOutsideSandbox {
        ip: IpAddr,
    },
    PortZeroDestination,
    DestinationPortOutOfRange {
        port: i64,
    },
    HostOutsideSandbox {
        host: String,
    },
    NotActorNorAddress {
        to: String,
        actors: Vec<String>,
    },
    TransportMismatch {
        actor: String,
        transport: Transport,
        peer: String,
        peer_transport: Transport,
    },
    IpVersionMismatch {
        actor: String,
        socket: IpVersion,
        made: MadeFor,
        destination: Destination,
    },

    // What the actor's sockets hold (the socket model's predictions).
    BoundTwice {
        actor: String,
        step: usize,
        line: u64,
        how: &'static str,
    },
    AddressInUse {
        actor: String,
        addr: SocketAddr,
        other: String,
        held: SocketAddr,
        step: usize,
        line: u64,
    },
    ListenWhileConnected {
        actor: String,
    },
    ListenBeforeBind {
        actor: String,
    },
    AcceptAfterClose {
        actor: String,
        what: Closed,
        step: usize,
        line: u64,
    },
    AcceptBeforeListen {
        actor: String,
        listen_step: usize,
        listen_line: u64,
    },
    AcceptWithoutListen {
        actor: String,
    },
    AcceptWithoutConnect {
        actor: String,
    },
    AcceptDropsConnection {
        actor: String,
    },
    ConnectBeforeListen {
        actor: String,
        server: String,
        listen_step: usize,
        listen_line: u64,
    },
    ConnectNeverListens {
        actor: String,
        server: String,
    },
    AlreadyConnected {
        actor: String,
    },
    ConnectAfterFailedConnect {
        actor: String,
        step: usize,
        line: u64,
    },
    ConnectWhileListening {
        actor: String,
    },
    SendAfterShutdown {
        actor: String,
        step: usize,
        line: u64,
    },
    UsedAfterClose {
        actor: String,
        verb: Use,
        what: Closed,
        step: usize,
        line: u64,
    },
    NotConnected {
        actor: String,
        verb: Use,
        udp: bool,
    },
    ReplyWithoutRecvfrom {
        actor: String,
    },
    ReceiveWithoutAddress {
        actor: String,
    },
    CloseAgain {
        actor: String,
        what: Closed,
        step: usize,
        line: u64,
    },
    CloseWithoutSocket {
        actor: String,
    },
    CloseListenerNotListening {
        actor: String,
    },

    // `expect:`.
    ExpectBadHex {
        error: String,
    },
    ExpectTextAndHex,
    ExpectDataAndError,
    ExpectDataAndEof,
    ExpectDataNotReceiving {
        call: String,
    },
    UnknownExpectedError {
        error: String,
    },
    FromOnlyForRecvfrom,
    FromNotAnActor {
        name: String,
        actors: Vec<String>,
    },

    // `checkpoint:`.
    FramelessCheckpoint {
        call: String,
    },
    EmptyQuestion,
    AnswerInBraces {
        name: String,
    },
    AnswerNotCaptured {
        answer: String,
    },
    TcpAnswerOnUdp {
        answer: String,
        actor: String,
    },
    CheckpointFrameOutOfRange {
        frame: i64,
        limit: usize,
    },
    NoSuchUdpFrame {
        call: String,
        frame: i64,
    },

    // Rules and templates.
    TextTooLong {
        what: &'static str,
        chars: usize,
        limit: usize,
    },
    Template(TemplateError),
    UnknownProtocol {
        protocol: String,
    },
    EmptyFlags,
    UnknownTcpFlag {
        flag: String,
    },
    FlagsNotTcp {
        protocol: String,
    },
    RuleEndpointUnknown {
        key: &'static str,
        value: String,
        endpoints: Vec<String>,
    },
    NoSuchStep {
        step: i64,
        total: usize,
    },
    NoSuchStepId {
        id: String,
        ids: Vec<String>,
    },
    EmptyRulePayload,
    RulePayloadTooLarge {
        bytes: usize,
        limit: usize,
    },
    UnknownMode {
        mode: String,
    },
    RuleWithoutNote,
    NoTcpHeader {
        protocol: String,
    },
    RuleMatchesEverything,

    // The lesson's own network: `hosts:`, `links:` (check::network).
    /// More hosts, links, interfaces, addresses, routes or wire rules than
    /// its limit.
    TooManyInNetwork {
        what: &'static str,
        limit: usize,
        limit_name: &'static str,
    },
    LinksWithoutHosts,
    BadLinkName {
        name: String,
    },
    DuplicateLink {
        name: String,
    },
    BadHostName {
        name: String,
    },
    DuplicateHost {
        name: String,
    },
    HostWithoutInterface {
        host: String,
    },
    /// A link with fewer than two interfaces on it.
    LinkNotCrossed {
        link: String,
        ends: usize,
    },
    /// The wire's own check refused a topology the checks above passed.
    TopologyRejected {
        reason: String,
    },
    BadInterfaceName {
        name: String,
    },
    DuplicateInterface {
        host: String,
        interface: String,
    },
    UndeclaredLink {
        link: String,
        links: Vec<String>,
    },
    UndeclaredHost {
        host: String,
        hosts: Vec<String>,
    },
    MtuOutOfRange {
        mtu: i64,
        low: u32,
        high: u32,
    },
    BadInterfaceAddress {
        error: String,
    },
    NetworkAddressForHost {
        cidr: Cidr,
    },
    AddressOutsidePrivateRanges {
        cidr: Cidr,
    },
    /// An address another interface (`host/interface`) already has.
    AddressTaken {
        ip: IpAddr,
        owner: String,
    },
    RouteOutsidePrivateRanges {
        cidr: Cidr,
    },
    BadRouteNetwork {
        error: String,
    },
    NextHopOffLink {
        ip: IpAddr,
        host: String,
    },
    NextHopNotIp {
        text: String,
    },
    RouteVersionMismatch,

    // Actors on hosts (check::actors).
    ActorHostWithoutNetwork {
        actor: String,
        host: String,
    },
    ActorWithoutHost {
        actor: String,
        hosts: Vec<String>,
    },
    NotAddressOfHost {
        address: String,
        host: String,
        own: Vec<IpAddr>,
    },
    HostWithoutAddress {
        host: String,
        actor: String,
    },

    // `wire:` rules (check::network).
    WireWithoutNetwork,
    UnknownWireProtocol {
        protocol: String,
    },
    NthOutOfRange {
        nth: i64,
    },
    CorruptWithoutOffset,
    OffsetOutOfRange {
        offset: i64,
    },
    XorOutOfRange {
        xor: i64,
    },
    RateTooLow {
        bytes_per_second: i64,
        least: i64,
    },
    RateWithoutBytes,
    UnknownWireAction {
        action: String,
    },
    WireDelayOutOfRange {
        ms: i64,
        limit: u64,
    },
    /// `delay` without `ms`.
    WireDelayMissing {
        action: String,
    },

    // `option: ttl` (check::step).
    TtlOutOfRange {
        ttl: i64,
    },
    MissingTtl,
    TtlWithoutTtlOption,

    // Named connections, answers, saved peers, loops (check::flow).
    /// `as:`, `on:`, `answer:` or `save_as:` on a call that has no use for it.
    KeyOnlyOn {
        key: &'static str,
        call: String,
    },
    /// A name `as:` or `save_as:` gives that cannot be one.
    BadFlowName {
        key: &'static str,
        name: String,
    },
    UnknownConnection {
        actor: String,
        name: String,
        held: Vec<String>,
    },
    ConnectionClosed {
        actor: String,
        name: String,
        step: usize,
        line: u64,
    },
    ConnectionNameInUse {
        actor: String,
        name: String,
        step: usize,
        line: u64,
    },
    /// A connection call without `on:` while the actor holds only named
    /// connections.
    WhichConnection {
        actor: String,
        held: Vec<String>,
    },
    OnWithListener,
    /// `as:` names an actor, but the connection accepted is another's.
    AcceptNamedForAnother {
        name: String,
        client: String,
    },
    SaveAsIsActor {
        name: String,
    },
    PeerNotSaved {
        actor: String,
        name: String,
    },
    AnswerWithoutDefault,
    /// `answer:` on a read expected to fail: nothing would be read to answer.
    AnswerToAnError,
    AnswerTableEmpty,
    LoopWithoutMax,
    LoopMaxOutOfRange {
        max: i64,
        limit: usize,
    },
    LoopStepsOutOfRange {
        steps: i64,
        left: usize,
    },
    NestedLoop {
        outer_line: u64,
    },
    UnknownUntil {
        word: String,
    },
    UntilBadHex {
        error: String,
    },
    UntilEofWithoutRead,
    EmptyLines,
    LinesBeyondMax {
        lines: usize,
        max: usize,
    },
    LineWithoutLines,
    // The YAML itself, in plain words (lesson::yaml).
    TabIndent,
    /// A key (or a list's `-`) at column `found` (from 0), where the keys
    /// around it are at `want`, as `with_key` on `with_line`.
    Misindented {
        key: String,
        found: u64,
        want: u64,
        with_key: String,
        with_line: u64,
        list: bool,
    },
    DuplicateKey {
        key: String,
        first_line: u64,
    },
    NumberOutOfRange {
        key: String,
        text: String,
        negative: bool,
        range: Option<String>,
    },
    NumberWithUnit {
        key: String,
        text: String,
        ms: u64,
    },
    NotWholeNumber {
        key: String,
        text: String,
        millis: bool,
    },
    BracesReadAsMapping {
        key: String,
        value: String,
        placeholder: bool,
        inner: String,
    },
    ColonInValue {
        key: String,
        value: String,
    },
    MissingColon {
        key: String,
        value: String,
        space: bool,
    },

    // What a receiving step gets, followed through the steps (check::delivery).
    ExpectedDataDiffers {
        actor: String,
        expected: String,
        got: String,
        /// The steps (number, line) that sent what arrives.
        from: Vec<(usize, u64)>,
        hint: DataHint,
    },
    NothingArrives {
        actor: String,
        /// A datagram sent to it before it bound its port (step, line).
        lost: Option<(usize, u64)>,
        /// Earlier reads took all that was sent to it.
        read_before: bool,
        /// A datagram sent to an address no actor binds (step, line,
        /// address): likely meant for this one.
        astray: Option<(usize, u64, String)>,
    },
    WrongSender {
        actor: String,
        expected: String,
        got: String,
        step: usize,
        line: u64,
    },
    EofNeverComes {
        actor: String,
        peer: String,
    },
    EofButData {
        actor: String,
        bytes: usize,
    },
    ErrorCannotHappen {
        error: &'static str,
        why: Never,
    },
    /// `text:`/`hex:` written under an empty `expect:` but not indented.
    ExpectNotIndented {
        key: &'static str,
        expect_line: u64,
    },

    // Program slots (check::program; worded in wording/program.rs).
    BadSlotName {
        slot: String,
    },
    /// `stdin:` or `expect:` on an actor that is no program.
    ProgramKeyWithoutProgram {
        actor: String,
        key: &'static str,
    },
    ProgramStdinTooLarge {
        bytes: usize,
        limit: usize,
    },
    TooManyProgramExpects {
        count: usize,
        limit: usize,
    },
    /// A program expectation needs exactly one of its keys.
    ProgramExpectKeys {
        found: usize,
    },
    ExitStatusOutOfRange {
        status: i64,
    },
    SecondProgram {
        first_line: u64,
    },
    StepByProgram {
        step: usize,
        actor: String,
    },
    ExpectFromProgram {
        actor: String,
    },
    /// A step reaches a program actor that has no port to be reached on.
    ProgramWithoutPort {
        actor: String,
    },
}

impl Kind {
    /// Warnings leave a runnable plan: the lesson works, but likely not as
    /// its author thinks.
    pub fn severity(&self) -> Severity {
        match self {
            Kind::FileNameDiffers { .. }
            | Kind::UnusedActor { .. }
            | Kind::BodyLongerThanContentLength { .. }
            | Kind::BodyShorterThanContentLength { .. }
            | Kind::AcceptDropsConnection { .. }
            | Kind::AcceptNamedForAnother { .. }
            | Kind::NoTcpHeader { .. }
            | Kind::RuleMatchesEverything
            | Kind::LinkNotCrossed { .. } => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

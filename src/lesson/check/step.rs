//! One step: its call, keys, data and destination, checked against what
//! the actors' sockets hold at that point.

use super::*;

#[allow(clippy::too_many_arguments)]
pub(super) fn check_step(
    number: usize,
    spec: &StepSpec,
    actor: usize,
    transport: Option<Transport>,
    names: &[&str],
    actors: &[Option<PlannedActor>],
    st: &mut [ActorSockets],
    peers: &mut Peers,
    source: &str,
    problems: &mut Vec<Problem>,
) -> Option<PlannedStep> {
    let here = (number, spec.call.referenced.line());
    let before = problems.len();
    let call_name = spec.call.value.as_str();
    let actor_name = names[actor];
    let me = || actor_name.to_string();
    if !CALLS.contains(&call_name) {
        problems.push(Problem::new(
            Kind::UnknownCall {
                call: call_name.to_string(),
            },
            &spec.call,
        ));
        return None;
    }

    // Keys that mean nothing for this call are mistakes, not decoration.
    let present: [(&str, Option<(u64, u64)>); 15] = [
        ("bytes", spec.bytes.as_ref().map(pos)),
        ("background", spec.background.as_ref().map(pos)),
        ("until_eof", spec.until_eof.as_ref().map(pos)),
        ("until_bytes", spec.until_bytes.as_ref().map(pos)),
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
            // `expect:` left empty, its keys not indented under it, reads
            // as keys of the step.
            let empty_expect = matches!(key, "text" | "hex")
                && spec.expect.is_none()
                && matches!(call_name, "recv" | "recvfrom");
            let kind = match empty_expect_above(source, spec.call.referenced.line(), line) {
                Some(expect_line) if empty_expect => Kind::ExpectNotIndented { key, expect_line },
                _ => Kind::KeyWithoutMeaning {
                    key,
                    call: call_name.to_string(),
                },
            };
            problems.push(Problem::at(kind, line, column));
        }
    }

    let tcp_only = ["listen", "accept", "send", "sendall", "recv", "shutdown"];
    let udp_only = ["sendto", "recvfrom"];
    match transport {
        Some(Transport::Udp)
            if tcp_only.contains(&call_name) && !matches!(call_name, "send" | "recv") =>
        {
            problems.push(Problem::new(
                Kind::TcpCallOnUdp {
                    call: call_name.to_string(),
                    actor: actor_name.to_string(),
                },
                &spec.call,
            ));
        }
        Some(Transport::Tcp) if udp_only.contains(&call_name) => {
            problems.push(Problem::new(
                Kind::UdpCallOnTcp {
                    call: call_name.to_string(),
                    actor: actor_name.to_string(),
                },
                &spec.call,
            ));
        }
        _ => {}
    }

    let timeout = match &spec.timeout_ms {
        Some(t) if t.value < 1 || t.value as u64 > limits::MAX_TIMEOUT_MS => {
            problems.push(Problem::new(
                Kind::TimeoutOutOfRange {
                    timeout: t.value,
                    limit: limits::MAX_TIMEOUT_MS,
                },
                t,
            ));
            limits::DEFAULT_TIMEOUT_MS
        }
        Some(t) => t.value as u64,
        None => limits::DEFAULT_TIMEOUT_MS,
    };

    // The calls that send data or reach a peer are the ones that take
    // those keys.
    let generated = if allowed.contains(&"bytes") {
        check_generated(spec, transport, problems)
    } else {
        None
    };
    check_flow_keys(spec, problems);
    let conn = connection(spec, transport, actor_name, &st[actor], problems);
    let data = if !allowed.contains(&"text") {
        Some(Vec::new())
    } else if spec.bytes.is_some() {
        generated.as_ref().map(|g| g.bytes())
    } else {
        check_data(spec, problems)
    };
    let read_until = if allowed.contains(&"until_eof") {
        check_read_until(spec, transport, problems)
    } else {
        None
    };
    let background = allowed.contains(&"background") && check_background(spec, transport, problems);
    let to = if allowed.contains(&"to") {
        match peers.resolve(spec, actor, actor_name, problems) {
            Some(saved) if call_name == "sendto" => saved,
            _ => check_peer(spec, names, actors, problems),
        }
    } else {
        None
    };
    let save_as = if call_name == "recvfrom" {
        peers.save(spec, actor, names, problems)
    } else {
        None
    };
    if let (Some(Peer::Actor(target)), Some(mine)) = (to, transport)
        && let Some(Some(peer)) = actors.get(target)
        && peer.transport != mine
    {
        problems.push(Problem::new(
            Kind::TransportMismatch {
                actor: actor_name.to_string(),
                transport: mine,
                peer: names[target].to_string(),
                peer_transport: peer.transport,
            },
            spec.to.as_ref().unwrap_or(&spec.call),
        ));
    }
    check_family(spec, call_name, actor, names, actors, to, st, problems);
    let expect = check_expect(spec.expect.as_ref(), call_name, names, problems);

    let call = match call_name {
        "bind" => {
            if let Some((step, line, how)) = st[actor].addressed {
                problems.push(Problem::new(
                    Kind::BoundTwice {
                        actor: actor_name.to_string(),
                        step,
                        line,
                        how,
                    },
                    &spec.call,
                ));
            }
            st[actor].bound = true;
            st[actor].addressed.get_or_insert((here.0, here.1, "bind"));
            Call::Bind
        }
        "listen" => {
            let backlog = match &spec.backlog {
                Some(b) if b.value < 0 || b.value > i64::from(limits::MAX_BACKLOG) => {
                    problems.push(Problem::new(
                        Kind::BacklogOutOfRange {
                            backlog: b.value,
                            limit: limits::MAX_BACKLOG,
                        },
                        b,
                    ));
                    1
                }
                Some(b) => b.value as u32,
                None => 1,
            };
            if st[actor].connected && !st[actor].holds_connection() {
                problems.push(Problem::new(
                    Kind::ListenWhileConnected { actor: me() },
                    &spec.call,
                ));
            } else if !st[actor].bound {
                problems.push(Problem::new(
                    Kind::ListenBeforeBind { actor: me() },
                    &spec.call,
                ));
            }
            st[actor].listening = true;
            Call::Listen { backlog }
        }
        "accept" => {
            if !st[actor].listening
                && let Some((step, line, what @ Closed::Listener)) = st[actor].closed
            {
                problems.push(Problem::new(
                    Kind::AcceptAfterClose {
                        actor: me(),
                        what,
                        step,
                        line,
                    },
                    &spec.call,
                ));
            } else if !st[actor].listening {
                let kind = match st[actor].first_listen {
                    Some((listen_step, listen_line)) => Kind::AcceptBeforeListen {
                        actor: me(),
                        listen_step,
                        listen_line,
                    },
                    None => Kind::AcceptWithoutListen { actor: me() },
                };
                problems.push(Problem::new(kind, &spec.call));
            }
            if st[actor].listening && expect.error.is_none() {
                if st[actor].waiting == 0 && st[actor].maybe_waiting > 0 {
                    st[actor].maybe_waiting -= 1;
                } else if st[actor].waiting == 0 {
                    problems.push(Problem::new(
                        Kind::AcceptWithoutConnect { actor: me() },
                        &spec.call,
                    ));
                } else {
                    st[actor].waiting -= 1;
                    let client = (!st[actor].queue.is_empty()).then(|| st[actor].queue.remove(0));
                    // A connection named after an actor should be that actor's.
                    if let (Some(client), Some(name)) = (client, &spec.as_)
                        && let Some(named) = names.iter().position(|n| *n == name.value)
                        && named != client
                    {
                        problems.push(Problem::new(
                            Kind::AcceptNamedForAnother {
                                name: name.value.clone(),
                                client: names[client].to_string(),
                            },
                            name,
                        ));
                    }
                }
            }
            let name = crate::sockets::ConnName::of(conn.as_deref().unwrap_or(""));
            let named = name.is_named();
            if let Accepted::Replaced(_) = st[actor].accept(name, here)
                && !named
            {
                problems.push(Problem::new(
                    Kind::AcceptDropsConnection { actor: me() },
                    &spec.call,
                ));
            }
            Call::Accept
        }
        "connect" => {
            if let Some(Peer::Actor(target)) = to {
                let expects_refusal = expect.error == Some(ExpectedError::Refused);
                let at = spec.to.as_ref().unwrap_or(&spec.call);
                if transport == Some(Transport::Tcp) && !st[target].listening && !expects_refusal {
                    let server = names[target].to_string();
                    let kind = match st[target].first_listen {
                        Some((listen_step, listen_line)) => Kind::ConnectBeforeListen {
                            actor: me(),
                            server,
                            listen_step,
                            listen_line,
                        },
                        None => Kind::ConnectNeverListens {
                            actor: me(),
                            server,
                        },
                    };
                    problems.push(Problem::new(kind, at));
                }
            }
            if transport == Some(Transport::Tcp)
                && st[actor].connected
                && st[actor].failed_connect.is_none()
            {
                problems.push(Problem::new(
                    Kind::AlreadyConnected { actor: me() },
                    &spec.call,
                ));
            }
            if transport == Some(Transport::Tcp) {
                if let Some((step, line)) = st[actor].failed_connect {
                    problems.push(Problem::new(
                        Kind::ConnectAfterFailedConnect {
                            actor: me(),
                            step,
                            line,
                        },
                        &spec.call,
                    ));
                }
                if expect.error.is_some() {
                    st[actor].failed_connect = Some((number, spec.call.referenced.line()));
                }
            }
            if st[actor].listening {
                problems.push(Problem::new(
                    Kind::ConnectWhileListening { actor: me() },
                    &spec.call,
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
                        .find(|i| st[*i].listening)
                        .or_else(|| (0..actors.len()).find(at))
                }
                _ => None,
            };
            if let Some(target) = server
                && transport == Some(Transport::Tcp)
                && st[target].listening
            {
                match expect.error {
                    None => {
                        st[target].waiting += 1;
                        st[target].queue.push(actor);
                    }
                    Some(ExpectedError::Timeout) => st[target].maybe_waiting += 1,
                    Some(_) => {}
                }
            }
            st[actor].connected = true;
            st[actor].bound = true;
            st[actor]
                .addressed
                .get_or_insert((here.0, here.1, "connect"));
            Call::Connect {
                to: to.unwrap_or(Peer::Actor(0)),
            }
        }
        "send" | "sendall" => {
            if !st[actor].connected {
                problems.push(not_connected(
                    spec,
                    actor_name,
                    Use::Sends,
                    transport,
                    st[actor].closed.as_ref(),
                ));
            } else if let Some((step, line)) = match conn.as_deref() {
                Some(name) if !name.is_empty() => st[actor]
                    .shut_names
                    .iter()
                    .find(|(n, _)| n.0 == name)
                    .map(|(_, at)| *at),
                _ => st[actor].shut_write,
            } {
                problems.push(Problem::new(
                    Kind::SendAfterShutdown {
                        actor: me(),
                        step,
                        line,
                    },
                    &spec.call,
                ));
            }
            Call::Send {
                data: data.clone().unwrap_or_default(),
                all: call_name == "sendall",
            }
        }
        "sendto" => {
            if to == Some(Peer::Reply) && !st[actor].heard {
                problems.push(Problem::new(
                    Kind::ReplyWithoutRecvfrom { actor: me() },
                    spec.to.as_ref().unwrap_or(&spec.call),
                ));
            }
            st[actor].bound = true; // the kernel binds an ephemeral port on first send
            st[actor]
                .addressed
                .get_or_insert((here.0, here.1, "sendto"));
            Call::SendTo {
                to: to.unwrap_or(Peer::Actor(0)),
                data: data.clone().unwrap_or_default(),
            }
        }
        "recv" | "recvfrom" => {
            let max = match &spec.max {
                Some(m) if m.value < 1 || m.value > i64::from(limits::MAX_RECV) => {
                    problems.push(Problem::new(
                        Kind::MaxOutOfRange {
                            max: m.value,
                            limit: limits::MAX_RECV,
                        },
                        m,
                    ));
                    1024
                }
                Some(m) => m.value as u32,
                None => 1024,
            };
            if call_name == "recv" && !st[actor].connected {
                problems.push(not_connected(
                    spec,
                    actor_name,
                    Use::Receives,
                    transport,
                    st[actor].closed.as_ref(),
                ));
            }
            if call_name == "recvfrom" && !st[actor].bound {
                problems.push(Problem::new(
                    Kind::ReceiveWithoutAddress { actor: me() },
                    &spec.call,
                ));
            }
            if call_name == "recv" {
                Call::Recv { max }
            } else {
                st[actor].heard = true;
                Call::RecvFrom { max }
            }
        }
        "shutdown" => {
            let how = match spec.how.as_ref().map(|h| (h, h.value.as_str())) {
                None | Some((_, "write")) => ShutdownHow::Write,
                Some((_, "read")) => ShutdownHow::Read,
                Some((_, "both")) => ShutdownHow::Both,
                Some((h, other)) => {
                    problems.push(Problem::new(
                        Kind::UnknownShutdownHow {
                            how: other.to_string(),
                        },
                        h,
                    ));
                    ShutdownHow::Write
                }
            };
            if !st[actor].connected {
                problems.push(not_connected(
                    spec,
                    actor_name,
                    Use::ShutsDown,
                    transport,
                    st[actor].closed.as_ref(),
                ));
            }
            if how != ShutdownHow::Read {
                let at = (number, spec.call.referenced.line());
                match conn.as_deref() {
                    Some(name) if !name.is_empty() => st[actor]
                        .shut_names
                        .push((crate::sockets::ConnName::of(name), at)),
                    _ => st[actor].shut_write = Some(at),
                }
            }
            Call::Shutdown { how }
        }
        "close" => {
            let listener = match spec.socket.as_ref().map(|s| (s, s.value.as_str())) {
                None | Some((_, "connection")) => false,
                Some((_, "listener")) => true,
                Some((s, other)) => {
                    problems.push(Problem::new(
                        Kind::UnknownSocket {
                            socket: other.to_string(),
                        },
                        s,
                    ));
                    false
                }
            };
            let has_socket = st[actor].has_socket();
            if !has_socket {
                let kind = match st[actor].closed {
                    Some((step, line, what)) => Kind::CloseAgain {
                        actor: me(),
                        what,
                        step,
                        line,
                    },
                    None => Kind::CloseWithoutSocket { actor: me() },
                };
                problems.push(Problem::new(kind, &spec.call));
            } else if listener
                && !st[actor].listening
                && let Some(at) = &spec.socket
            {
                problems.push(Problem::new(
                    Kind::CloseListenerNotListening { actor: me() },
                    at,
                ));
            }
            let name = crate::sockets::ConnName::of(conn.as_deref().unwrap_or(""));
            st[actor].close(transport, listener, &name, here);
            Call::Close { listener }
        }
        "setsockopt" => {
            st[actor].made = true;
            let option = match spec.option.as_ref().map(|o| (o, o.value.as_str())) {
                Some((_, "nodelay")) => SockOpt::NoDelay,
                Some((_, "quickack")) => SockOpt::QuickAck,
                Some((_, "reuseaddr")) => SockOpt::ReuseAddr,
                Some((o, "ttl")) => match spec.ttl.as_ref().map(|t| (t, u8::try_from(t.value))) {
                    Some((_, Ok(n))) if n >= 1 => SockOpt::Ttl(n),
                    Some((t, _)) => {
                        problems.push(Problem::new(Kind::TtlOutOfRange { ttl: t.value }, t));
                        SockOpt::Ttl(64)
                    }
                    None => {
                        problems.push(Problem::new(Kind::MissingTtl, o));
                        SockOpt::Ttl(64)
                    }
                },
                Some((o, name @ ("rcvbuf" | "sndbuf" | "maxseg"))) => {
                    let (low, high) = if name == "maxseg" {
                        (88, 32_767)
                    } else {
                        (1, limits::MAX_SOCKET_BUFFER)
                    };
                    let size = match &spec.size {
                        Some(n) if n.value < i64::from(low) || n.value > i64::from(high) => {
                            problems.push(Problem::new(
                                Kind::SizeOutOfRange {
                                    option: name.to_string(),
                                    size: n.value,
                                    low,
                                    high,
                                },
                                n,
                            ));
                            low
                        }
                        Some(n) => n.value as u32,
                        None => {
                            problems.push(Problem::new(
                                Kind::MissingSize {
                                    option: name.to_string(),
                                    low,
                                    high,
                                },
                                o,
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
                    problems.push(Problem::new(
                        Kind::UnknownOption {
                            option: other.to_string(),
                        },
                        o,
                    ));
                    SockOpt::NoDelay
                }
                None => {
                    problems.push(Problem::new(Kind::MissingOption, &spec.call));
                    SockOpt::NoDelay
                }
            };
            if transport == Some(Transport::Udp)
                && !matches!(
                    option,
                    SockOpt::ReuseAddr | SockOpt::RcvBuf(_) | SockOpt::SndBuf(_) | SockOpt::Ttl(_)
                )
            {
                problems.push(Problem::new(Kind::TcpOptionOnUdp, &spec.call));
            }
            if let (Some(t), false) = (&spec.ttl, matches!(option, SockOpt::Ttl(_))) {
                problems.push(Problem::new(Kind::TtlWithoutTtlOption, t));
            }
            if option.sized()
                && let Some(v) = &spec.value
            {
                problems.push(Problem::new(Kind::SizeNotValue, v));
            }
            if !option.sized()
                && !matches!(option, SockOpt::Ttl(_))
                && let Some(n) = &spec.size
            {
                problems.push(Problem::new(Kind::ValueNotSize, n));
            }
            Call::SetOpt {
                option,
                value: spec.value.as_ref().map(|v| v.value).unwrap_or(true),
            }
        }
        "sleep" => match &spec.ms {
            Some(m) if m.value < 1 || m.value as u64 > limits::MAX_SLEEP_MS => {
                problems.push(Problem::new(
                    Kind::SleepOutOfRange {
                        ms: m.value,
                        limit: limits::MAX_SLEEP_MS,
                    },
                    m,
                ));
                Call::Sleep { ms: 1 }
            }
            Some(m) => Call::Sleep { ms: m.value as u64 },
            None => {
                problems.push(Problem::new(Kind::MissingSleep, &spec.call));
                Call::Sleep { ms: 1 }
            }
        },
        _ => unreachable!("checked against CALLS above"),
    };

    // Closing an accepted connection leaves the listener holding the port.
    let keeps_port = matches!(call, Call::Close { .. })
        && st[actor]
            .closed
            .is_some_and(|(_, _, what)| what == Closed::Connection);
    if !keeps_port {
        check_port_clash(spec, &call, actor, number, names, actors, st, problems);
    }
    let on_network = actors
        .get(actor)
        .and_then(|a| a.as_ref())
        .is_some_and(|a| a.host.is_some());
    let checkpoint = check_checkpoint(spec, transport, on_network, source, problems);

    if problems[before..].iter().any(Problem::is_error) {
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
        conn,
        answer: None,
        save_as,
        looping: None,
        generated,
        read_until,
        background,
    })
}

pub(super) fn pos<T>(s: &Spanned<T>) -> (u64, u64) {
    (s.referenced.line(), s.referenced.column())
}

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
    source: &str,
    problems: &mut Vec<Problem>,
) -> Option<PlannedStep> {
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
    check_family(spec, call_name, actor, names, actors, to, st, problems);
    let expect = check_expect(spec.expect.as_ref(), call_name, names, problems);

    let call = match call_name {
        "bind" => {
            if let Some((n, line, how)) = st[actor].addressed.as_ref() {
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
            st[actor].bound = true;
            st[actor].addressed.get_or_insert((here.0, here.1, "bind"));
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
            if st[actor].connected && !st[actor].accepted {
                problems.push(Problem::error(
                    &spec.call,
                    format!("`{actor_name}` listens, but its socket is connected"),
                    Some("a socket is either a client (connect) or a server (bind, listen, accept); use another actor for the other role".into()),
                ));
            } else if !st[actor].bound {
                problems.push(Problem::error(
                    &spec.call,
                    format!("`{actor_name}` listens before it binds"),
                    Some(
                        "add a `bind` step for it first, so students see which port it listens on"
                            .into(),
                    ),
                ));
            }
            st[actor].listening = true;
            Call::Listen { backlog }
        }
        "accept" => {
            if !st[actor].listening
                && let Some((n, line, what @ Closed::Listener)) = st[actor].closed.as_ref()
            {
                problems.push(Problem::error(
                    &spec.call,
                    format!("`{actor_name}` accepts after it closed {what} (step {n}, line {line})"),
                    Some("accept takes connections from the listening socket; close it after the last `accept`".into()),
                ));
            } else if !st[actor].listening {
                problems.push(match st[actor].first_listen.as_ref() {
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
            if st[actor].listening && expect.error.is_none() {
                if st[actor].waiting == 0 && st[actor].maybe_waiting > 0 {
                    st[actor].maybe_waiting -= 1;
                } else if st[actor].waiting == 0 {
                    problems.push(Problem::error(
                        &spec.call,
                        format!("`{actor_name}` accepts, but no client has connected to it since its last `accept`"),
                        Some("steps run one after another, and accept() waits for a finished connection: put the client's `connect` before this `accept` (the kernel completes the handshake by itself)".into()),
                    ));
                } else {
                    st[actor].waiting -= 1;
                }
            }
            if st[actor].accept_drops_connection() {
                problems.push(Problem::warning(
                    &spec.call,
                    format!("`{actor_name}` accepts again while its earlier connection is open: that connection is closed here (FIN)"),
                    Some("an actor holds one connection; `close` it first to make that visible, or give each client its own server actor".into()),
                ));
            }
            st[actor].connected = true;
            st[actor].accepted = true;
            st[actor].shut_write = None;
            Call::Accept
        }
        "connect" => {
            if let Some(Peer::Actor(target)) = to {
                let expects_refusal = expect.error == Some(ExpectedError::Refused);
                let at = spec.to.as_ref().unwrap_or(&spec.call);
                if transport == Some(Transport::Tcp) && !st[target].listening && !expects_refusal {
                    problems.push(match st[target].first_listen.as_ref() {
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
                && st[actor].connected
                && !st[actor].failed_connect.is_some()
            {
                problems.push(Problem::error(
                    &spec.call,
                    format!("`{actor_name}` is already connected"),
                    Some("a TCP socket connects once (a second connect fails with EISCONN); use another actor for a second connection".into()),
                ));
            }
            if transport == Some(Transport::Tcp) {
                if let Some((n, line)) = st[actor].failed_connect.as_ref() {
                    problems.push(Problem::error(
                        &spec.call,
                        format!("`{actor_name}` connects again, but its connect in step {n} (line {line}) fails"),
                        Some("a TCP socket whose connect failed cannot connect again (the kernel answers ECONNABORTED); use another actor for the second attempt, as a program would make a new socket".into()),
                    ));
                }
                if expect.error.is_some() {
                    st[actor].failed_connect = Some((number, spec.call.referenced.line()));
                }
            }
            if st[actor].listening {
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
                    None => st[target].waiting += 1,
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
                    "sends",
                    transport,
                    st[actor].closed.as_ref(),
                ));
            } else if let Some((n, line)) = st[actor].shut_write.as_ref() {
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
            if to == Some(Peer::Reply) && !st[actor].heard {
                problems.push(Problem::error(
                    spec.to.as_ref().unwrap_or(&spec.call),
                    format!("`to: reply` answers whoever `{actor_name}` last heard from, but it has no `recvfrom` before this step"),
                    Some("add a `recvfrom` step for it first, or name the destination (`to: ACTOR` or an address)".into()),
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
            if call_name == "recv" && !st[actor].connected {
                problems.push(not_connected(
                    spec,
                    actor_name,
                    "receives",
                    transport,
                    st[actor].closed.as_ref(),
                ));
            }
            if call_name == "recvfrom" && !st[actor].bound {
                problems.push(Problem::error(
                    &spec.call,
                    format!("`{actor_name}` receives before it has an address"),
                    Some("add a `bind` step first, so senders know its port".into()),
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
                    problems.push(Problem::error(
                        h,
                        format!("unknown shutdown direction `{other}`"),
                        hint_mean(other, &["read", "write", "both"], "`how`"),
                    ));
                    ShutdownHow::Write
                }
            };
            if !st[actor].connected {
                problems.push(not_connected(
                    spec,
                    actor_name,
                    "shuts down",
                    transport,
                    st[actor].closed.as_ref(),
                ));
            }
            if how != ShutdownHow::Read {
                st[actor].shut_write = Some((number, spec.call.referenced.line()));
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
            let has_socket = st[actor].has_socket();
            if !has_socket {
                problems.push(match st[actor].closed.as_ref() {
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
                && !st[actor].listening
                && let Some(at) = &spec.socket
            {
                problems.push(Problem::error(
                    at,
                    format!("`{actor_name}` closes its listening socket, but it does not listen"),
                    Some("`socket: listener` is for a server after `listen`; leave `socket` out to close the actor's socket or connection".into()),
                ));
            }
            st[actor].close(transport, listener, here);
            Call::Close { listener }
        }
        "setsockopt" => {
            st[actor].made = true;
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
        && st[actor]
            .closed
            .is_some_and(|(_, _, what)| what == Closed::Connection);
    if !keeps_port {
        check_port_clash(spec, &call, actor, number, names, actors, st, problems);
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

pub(super) fn pos<T>(s: &Spanned<T>) -> (u64, u64) {
    (s.referenced.line(), s.referenced.column())
}

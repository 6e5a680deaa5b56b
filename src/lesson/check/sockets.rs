//! Socket rules a step must keep: data to send, one port per socket, one IP
//! version per socket, a connection before a send.

use super::*;

pub(super) fn check_data(spec: &StepSpec, problems: &mut Vec<Problem>) -> Option<Vec<u8>> {
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
pub(super) fn check_port_clash(
    spec: &StepSpec,
    call: &Call,
    actor: usize,
    number: usize,
    names: &[&str],
    actors: &[Option<PlannedActor>],
    st: &mut [ActorSockets],
    problems: &mut Vec<Problem>,
) {
    match call {
        Call::SetOpt {
            option: SockOpt::ReuseAddr,
            value,
        } => st[actor].reuseaddr = *value,
        Call::Close { .. } => st[actor].holds = None,
        Call::Bind => {
            let Some(Some(me)) = actors.get(actor) else {
                return;
            };
            if me.addr.port() != 0 {
                // Lessons bind loopback addresses only, never the wildcard.
                let overlaps = |other: SocketAddr| other == me.addr;
                let clash = st.iter().map(|s| s.holds).enumerate().find(|(i, held)| {
                    *i != actor
                        && actors[*i]
                            .as_ref()
                            .is_some_and(|a| a.transport == me.transport)
                        // Linux lets two TCP sockets share a port only while
                        // neither listens: too fragile to allow in a lesson.
                        && !(st[*i].reuseaddr && st[actor].reuseaddr && me.transport == Transport::Udp)
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
            st[actor].holds = Some((me.addr, number, spec.call.referenced.line()));
        }
        _ => {}
    }
}

/// A socket is made for one IP version — from the actor's address when it
/// binds first, else from the first destination — and cannot reach the other.
#[allow(clippy::too_many_arguments)]
pub(super) fn check_family(
    spec: &StepSpec,
    call_name: &str,
    actor: usize,
    names: &[&str],
    actors: &[Option<PlannedActor>],
    to: Option<Peer>,
    st: &mut [ActorSockets],
    problems: &mut Vec<Problem>,
) {
    let Some(Some(me)) = actors.get(actor) else {
        return;
    };
    match call_name {
        "bind" | "setsockopt" if st[actor].family.is_none() => {
            st[actor].family = Some((
                IpVersion::of(me.addr.ip()),
                format!("made for its address {}", me.addr.ip()),
            ));
        }
        "close" => st[actor].family = None,
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
            match &st[actor].family {
                None => {
                    st[actor].family = Some((
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
pub(super) fn not_connected(
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

//! Socket rules a step must keep: data to send, one port per socket, one IP
//! version per socket, a connection before a send.

use super::*;

pub(super) fn check_data(spec: &StepSpec, problems: &mut Vec<Problem>) -> Option<Vec<u8>> {
    let data = match (&spec.text, &spec.hex) {
        (Some(_), Some(h)) => {
            problems.push(Problem::new(Kind::TextAndHex, h));
            return None;
        }
        (Some(t), None) => (t.value.as_bytes().to_vec(), pos(t)),
        (None, Some(h)) => match parse_hex(&h.value) {
            Ok(bytes) => (bytes, pos(h)),
            Err(error) => {
                problems.push(Problem::new(Kind::DataBadHex { error }, h));
                return None;
            }
        },
        (None, None) => {
            problems.push(Problem::new(
                Kind::NeedsData {
                    call: spec.call.value.clone(),
                },
                &spec.call,
            ));
            return None;
        }
    };
    if data.0.len() > limits::MAX_PAYLOAD {
        problems.push(Problem::at(
            Kind::PayloadTooLarge {
                bytes: data.0.len(),
                limit: limits::MAX_PAYLOAD,
            },
            data.1.0,
            data.1.1,
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
                    problems.push(Problem::new(
                        Kind::AddressInUse {
                            actor: names[actor].to_string(),
                            addr: me.addr,
                            other: names[other].to_string(),
                            held: addr,
                            step,
                            line,
                        },
                        &spec.call,
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
            st[actor].family = Some((IpVersion::of(me.addr.ip()), MadeFor::Address(me.addr.ip())));
        }
        "close" => st[actor].family = None,
        "connect" | "sendto" => {
            let destination = match to {
                Some(Peer::Actor(i)) => match actors.get(i) {
                    Some(Some(a)) => Destination::Actor {
                        name: names[i].to_string(),
                        ip: a.addr.ip(),
                    },
                    _ => return,
                },
                Some(Peer::Addr(a)) => Destination::Addr(a.ip()),
                _ => return,
            };
            let version = IpVersion::of(destination.ip());
            match st[actor].family {
                None => {
                    st[actor].family = Some((version, MadeFor::FirstDestination(destination.ip())));
                }
                Some((mine, made)) if mine != version => {
                    problems.push(Problem::new(
                        Kind::IpVersionMismatch {
                            actor: names[actor].to_string(),
                            socket: mine,
                            made,
                            destination,
                        },
                        spec.to.as_ref().unwrap_or(&spec.call),
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
    verb: Use,
    transport: Option<Transport>,
    closed: Option<&(usize, u64, Closed)>,
) -> Problem {
    let actor = actor_name.to_string();
    let kind = match closed {
        Some(&(step, line, what)) => Kind::UsedAfterClose {
            actor,
            verb,
            what,
            step,
            line,
        },
        None => Kind::NotConnected {
            actor,
            verb,
            udp: transport == Some(Transport::Udp),
        },
    };
    Problem::new(kind, &spec.call)
}

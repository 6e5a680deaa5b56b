//! Addresses and ports a lesson writes: only loopback, never a host name,
//! never a port out of range; `to:` as an actor, an address or `reply`.

use super::*;

/// Only loopback belongs to the sandbox; anything else would leave the machine
/// in `--net host` mode.
pub(super) fn is_sandbox_addr(ip: IpAddr) -> bool {
    ip.is_loopback()
}

/// 127.255.255.255 is loopback, but as the broadcast address of 127.0.0.0/8
/// a datagram to it needs SO_BROADCAST (EACCES without).
pub(super) fn is_broadcast(ip: IpAddr) -> bool {
    ip == IpAddr::V4(Ipv4Addr::new(127, 255, 255, 255))
}

pub(super) fn parse_ip(s: &Spanned<String>, problems: &mut Vec<Problem>) -> Option<IpAddr> {
    let text = s.value.trim();
    let text = if text == "localhost" {
        "127.0.0.1"
    } else {
        text
    };
    match text.parse::<IpAddr>() {
        Ok(ip) if is_broadcast(ip) => {
            problems.push(Problem::new(Kind::BroadcastAddress, s));
            None
        }
        Ok(ip) if is_sandbox_addr(ip) => Some(ip),
        Ok(ip) => {
            problems.push(Problem::new(Kind::AddressOutsideSandbox { ip }, s));
            None
        }
        Err(_) => {
            problems.push(Problem::new(
                Kind::NotAnIpAddress {
                    text: s.value.clone(),
                },
                s,
            ));
            None
        }
    }
}

pub(super) fn check_port(port: &Spanned<i64>, problems: &mut Vec<Problem>) -> Option<u16> {
    match u16::try_from(port.value) {
        Ok(p) if p >= 1 => Some(p),
        _ => {
            problems.push(Problem::new(
                Kind::PortOutOfRange { port: port.value },
                port,
            ));
            None
        }
    }
}

pub(super) fn check_peer(
    spec: &StepSpec,
    names: &[&str],
    actors: &[Option<PlannedActor>],
    problems: &mut Vec<Problem>,
) -> Option<Peer> {
    let Some(to) = &spec.to else {
        problems.push(Problem::new(
            Kind::NeedsDestination {
                call: spec.call.value.clone(),
            },
            &spec.call,
        ));
        return None;
    };
    if to.value == "reply" && !names.contains(&"reply") {
        if spec.call.value != "sendto" {
            problems.push(Problem::new(Kind::ReplyOnlyForSendto, to));
            return None;
        }
        return Some(Peer::Reply);
    }
    if let Some(i) = names.iter().position(|n| *n == to.value) {
        if let Some(Some(a)) = actors.get(i)
            && a.addr.port() == 0
        {
            problems.push(Problem::new(
                Kind::NoFixedPort {
                    actor: to.value.clone(),
                },
                to,
            ));
            return None;
        }
        return Some(Peer::Actor(i));
    }
    let written = to.value.trim();
    let written = match written.strip_prefix("localhost:") {
        Some(port) => format!("127.0.0.1:{port}"),
        None => written.to_string(),
    };
    match written.parse::<SocketAddr>() {
        Ok(addr) if is_broadcast(addr.ip()) => {
            problems.push(Problem::new(Kind::BroadcastAddress, to));
            None
        }
        Ok(addr) if !is_sandbox_addr(addr.ip()) => {
            problems.push(Problem::new(
                Kind::DestinationOutsideSandbox { ip: addr.ip() },
                to,
            ));
            None
        }
        Ok(addr) if addr.port() == 0 => {
            problems.push(Problem::new(Kind::PortZeroDestination, to));
            None
        }
        Ok(addr) => Some(Peer::Addr(addr)),
        Err(_) => {
            // `ip:port` with a port that does not fit in 16 bits reads better as a range error.
            if let Some((host, port)) = written.rsplit_once(':')
                && let Ok(n) = port.parse::<i64>()
            {
                if !(1..=65535).contains(&n) {
                    problems.push(Problem::new(
                        Kind::DestinationPortOutOfRange { port: n },
                        to,
                    ));
                    return None;
                }
                // A host name with a port: never looked up.
                if !host.is_empty()
                    && host.parse::<IpAddr>().is_err()
                    && !host.starts_with('[')
                    && !host.contains(':')
                {
                    problems.push(Problem::new(
                        Kind::HostOutsideSandbox {
                            host: host.to_string(),
                        },
                        to,
                    ));
                    return None;
                }
            }
            problems.push(Problem::new(
                Kind::NotActorNorAddress {
                    to: to.value.clone(),
                    actors: owned(names),
                },
                to,
            ));
            None
        }
    }
}

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

pub(super) fn broadcast_problem<T>(at: &Spanned<T>) -> Problem {
    Problem::error(
        at,
        "`127.255.255.255` is the broadcast address of 127.0.0.0/8",
        Some("sending to it needs SO_BROADCAST, which lessons do not set; use a host address like `127.0.0.2`".into()),
    )
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
            problems.push(broadcast_problem(s));
            None
        }
        Ok(ip) if is_sandbox_addr(ip) => Some(ip),
        Ok(ip) => {
            problems.push(Problem::error(
                s,
                format!("address `{ip}` is outside the sandbox"),
                Some("lessons may only use loopback addresses: 127.0.0.1 (any of 127.0.0.0/8) or ::1".into()),
            ));
            None
        }
        Err(_) => {
            problems.push(Problem::error(
                s,
                format!("`{}` is not an IP address", s.value),
                Some("write an address like `127.0.0.1` or `::1`".into()),
            ));
            None
        }
    }
}

pub(super) fn check_port(port: &Spanned<i64>, problems: &mut Vec<Problem>) -> Option<u16> {
    match u16::try_from(port.value) {
        Ok(p) if p >= 1 => Some(p),
        _ => {
            problems.push(Problem::error(
                port,
                format!("port {} is out of range", port.value),
                Some(
                    "a port is a number from 1 to 65535; leave `port` out to let the OS pick one"
                        .into(),
                ),
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
        problems.push(Problem::error(
            &spec.call,
            format!("`{}` needs `to`", spec.call.value),
            Some("name an actor (`to: receiver`) or an address (`to: 127.0.0.1:5000`)".into()),
        ));
        return None;
    };
    if to.value == "reply" && !names.contains(&"reply") {
        if spec.call.value != "sendto" {
            problems.push(Problem::error(
                to,
                "`to: reply` only works for `sendto`",
                Some("it answers whoever the actor's last `recvfrom` heard from; `connect` needs an actor or an address".into()),
            ));
            return None;
        }
        return Some(Peer::Reply);
    }
    if let Some(i) = names.iter().position(|n| *n == to.value) {
        if let Some(Some(a)) = actors.get(i)
            && a.addr.port() == 0
        {
            problems.push(Problem::error(
                to,
                format!("`{}` has no fixed port to reach", to.value),
                Some(format!("give actor `{}` a `port:`", to.value)),
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
            problems.push(broadcast_problem(to));
            None
        }
        Ok(addr) if !is_sandbox_addr(addr.ip()) => {
            problems.push(Problem::error(
                to,
                format!("address `{}` is outside the sandbox", addr.ip()),
                Some("lessons may only use loopback addresses: 127.0.0.0/8 or ::1".into()),
            ));
            None
        }
        Ok(addr) if addr.port() == 0 => {
            problems.push(Problem::error(
                to,
                "port 0 cannot be a destination",
                Some("use a port from 1 to 65535".into()),
            ));
            None
        }
        Ok(addr) => Some(Peer::Addr(addr)),
        Err(_) => {
            // `ip:port` with a port that does not fit in 16 bits reads better as a range error.
            if let Some((host, port)) = written.rsplit_once(':')
                && let Ok(n) = port.parse::<i64>()
            {
                if !(1..=65535).contains(&n) {
                    problems.push(Problem::error(
                        to,
                        format!("port {n} is out of range"),
                        Some("a port is a number from 1 to 65535".into()),
                    ));
                    return None;
                }
                // A host name with a port: never looked up.
                if !host.is_empty()
                    && host.parse::<IpAddr>().is_err()
                    && !host.starts_with('[')
                    && !host.contains(':')
                {
                    problems.push(Problem::error(
                            to,
                            format!("host `{host}` is outside the sandbox"),
                            Some("lessons do not look up host names; use a loopback address like `127.0.0.1:5000` or `[::1]:5000`, or an actor's name".into()),
                        ));
                    return None;
                }
            }
            let looks_like_address = to.value.contains(':') || to.value.contains('.');
            problems.push(Problem::error(
                to,
                format!("`{}` is neither an actor nor an address", to.value),
                if looks_like_address {
                    Some("an address is `IP:PORT`, like `127.0.0.1:5000` or `[::1]:5000`".into())
                } else {
                    hint_mean(&to.value, names, "`to`")
                },
            ));
            None
        }
    }
}

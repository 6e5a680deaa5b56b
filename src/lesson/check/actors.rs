//! The lesson's actors: their names, transports and addresses.

use super::*;

/// Why a name cannot name an actor: names appear in every note, in diagrams
/// and in `to:`, where some words already mean something.
pub(super) fn bad_actor_name(name: &str) -> Option<NameFault> {
    if name.chars().count() > 32 {
        Some(NameFault::TooLong)
    } else if name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        Some(NameFault::Blank)
    } else if name == "kernel" {
        Some(NameFault::Kernel)
    } else if name == "reply" {
        Some(NameFault::Reply)
    } else if name.parse::<SocketAddr>().is_ok() || name.parse::<IpAddr>().is_ok() {
        Some(NameFault::Address)
    } else {
        None
    }
}

pub(super) fn check_actors(
    specs: &[ActorSpec],
    hosts: &[crate::lesson::model::HostSpec],
    network: Option<&crate::wire::Topology>,
    problems: &mut Vec<Problem>,
) -> Vec<Option<PlannedActor>> {
    let mut seen = HashMap::new();
    if specs.len() > limits::MAX_ACTORS {
        problems.push(Problem::new(
            Kind::TooManyActors {
                actors: specs.len(),
                limit: limits::MAX_ACTORS,
            },
            &specs[limits::MAX_ACTORS].name,
        ));
    }
    specs
        .iter()
        .map(|spec| {
            if let Some(line) = seen.insert(spec.name.value.clone(), spec.name.referenced.line()) {
                problems.push(Problem::new(
                    Kind::DuplicateActor {
                        name: spec.name.value.clone(),
                        first_line: line,
                    },
                    &spec.name,
                ));
            }
            if spec.name.value.is_empty() {
                problems.push(Problem::new(Kind::MissingActorName, &spec.name));
            } else if let Some(fault) = bad_actor_name(&spec.name.value) {
                problems.push(Problem::new(
                    Kind::BadActorName {
                        name: spec.name.value.clone(),
                        fault,
                    },
                    &spec.name,
                ));
            }
            let transport = match spec.transport.value.as_str() {
                "udp" => Some(Transport::Udp),
                "tcp" => Some(Transport::Tcp),
                other => {
                    problems.push(Problem::new(
                        Kind::UnknownTransport {
                            transport: other.to_string(),
                        },
                        &spec.transport,
                    ));
                    None
                }
            };
            let (host, ip) = if hosts.is_empty() {
                if let Some(h) = &spec.host {
                    let kind = Kind::ActorHostWithoutNetwork {
                        actor: spec.name.value.clone(),
                        host: h.value.clone(),
                    };
                    problems.push(Problem::new(kind, h));
                }
                let ip = match &spec.address {
                    Some(a) => parse_ip(a, problems),
                    None => Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
                };
                (None, ip)
            } else {
                actor_on_host(spec, hosts, network, problems)
            };
            let port = match &spec.port {
                Some(p) => check_port(p, problems),
                None => Some(0),
            };
            let protocol = super::app::check_protocol(spec, transport, problems);
            let program = super::program::check_program(spec, problems);
            Some(PlannedActor {
                name: spec.name.value.clone(),
                transport: transport?,
                addr: SocketAddr::new(ip?, port?),
                protocol: protocol.ok()?,
                host,
                program: program.ok()?,
            })
        })
        .collect()
}

/// In a lesson with hosts: the actor's host, and its address — one of the
/// host's own, its first IPv4 one unless the lesson says.
fn actor_on_host(
    spec: &ActorSpec,
    hosts: &[crate::lesson::model::HostSpec],
    network: Option<&crate::wire::Topology>,
    problems: &mut Vec<Problem>,
) -> (Option<usize>, Option<IpAddr>) {
    let names: Vec<&str> = hosts.iter().map(|h| h.name.value.as_str()).collect();
    let Some(h) = &spec.host else {
        let kind = Kind::ActorWithoutHost {
            actor: spec.name.value.clone(),
            hosts: owned(&names),
        };
        problems.push(Problem::new(kind, &spec.name));
        return (None, None);
    };
    let Some(index) = names.iter().position(|n| *n == h.value) else {
        let kind = Kind::UndeclaredHost {
            host: h.value.clone(),
            hosts: owned(&names),
        };
        problems.push(Problem::new(kind, h));
        return (None, None);
    };
    // The host itself had errors: they are reported there.
    let Some(host) = network.and_then(|n| n.hosts.get(index)) else {
        return (Some(index), None);
    };
    let own: Vec<IpAddr> = host
        .interfaces
        .iter()
        .flat_map(|i| &i.addresses)
        .map(|c| c.addr)
        .collect();
    let ip = match &spec.address {
        Some(a) => match a.value.trim().parse::<IpAddr>() {
            Ok(ip) if own.contains(&ip) => Some(ip),
            _ => {
                let kind = Kind::NotAddressOfHost {
                    address: a.value.clone(),
                    host: h.value.clone(),
                    own: own.clone(),
                };
                problems.push(Problem::new(kind, a));
                None
            }
        },
        None => match own.iter().find(|i| i.is_ipv4()).or(own.first()) {
            Some(ip) => Some(*ip),
            None => {
                let kind = Kind::HostWithoutAddress {
                    host: h.value.clone(),
                    actor: spec.name.value.clone(),
                };
                problems.push(Problem::new(kind, h));
                None
            }
        },
    };
    (Some(index), ip)
}

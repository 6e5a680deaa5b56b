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
            let ip = match &spec.address {
                Some(a) => parse_ip(a, problems),
                None => Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            };
            let port = match &spec.port {
                Some(p) => check_port(p, problems),
                None => Some(0),
            };
            let protocol = super::app::check_protocol(spec, transport, problems);
            Some(PlannedActor {
                name: spec.name.value.clone(),
                transport: transport?,
                addr: SocketAddr::new(ip?, port?),
                protocol: protocol.ok()?,
            })
        })
        .collect()
}

//! The lesson's actors: their names, transports and addresses.

use super::*;

/// Why a name cannot name an actor: names appear in every note, in diagrams
/// and in `to:`, where some words already mean something.
pub(super) fn bad_actor_name(name: &str) -> Option<&'static str> {
    if name.chars().count() > 32 {
        Some("it is longer than 32 characters")
    } else if name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        Some("it holds spaces or control characters")
    } else if name == "kernel" {
        Some("`kernel` stands for frames no socket of the lesson sent")
    } else if name == "reply" {
        Some("`to: reply` means the last sender a `recvfrom` heard from")
    } else if name.parse::<SocketAddr>().is_ok() || name.parse::<IpAddr>().is_ok() {
        Some("it reads as an address")
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
        problems.push(Problem::error(
            &specs[limits::MAX_ACTORS].name,
            format!(
                "the lesson declares {} actors; the limit is {} (limit `max_actors`)",
                specs.len(),
                limits::MAX_ACTORS
            ),
            None,
        ));
    }
    specs
        .iter()
        .map(|spec| {
            if let Some(line) = seen.insert(spec.name.value.clone(), spec.name.referenced.line()) {
                problems.push(Problem::error(
                    &spec.name,
                    format!("actor `{}` is declared twice", spec.name.value),
                    Some(format!("the first is on line {line}")),
                ));
            }
            if spec.name.value.is_empty() {
                problems.push(Problem::error(
                    &spec.name,
                    "an actor needs a name",
                    Some("e.g. `name: sender`".into()),
                ));
            } else if let Some(why) = bad_actor_name(&spec.name.value) {
                problems.push(Problem::error(
                    &spec.name,
                    format!(
                        "`{}` cannot be an actor's name: {why}",
                        spec.name.value.chars().take(40).collect::<String>()
                    ),
                    Some("use a short word like `sender`, `server` or `client-2`".into()),
                ));
            }
            let transport = match spec.transport.value.as_str() {
                "udp" => Some(Transport::Udp),
                "tcp" => Some(Transport::Tcp),
                other => {
                    problems.push(Problem::error(
                        &spec.transport,
                        format!("unknown transport `{other}`"),
                        hint_mean(other, &["udp", "tcp"], "a transport"),
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

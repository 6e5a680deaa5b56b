//! A lesson's own network: `hosts:` with interfaces on `links:`, and the
//! `wire:` rules. Addresses come only from private ranges (10.0.0.0/8,
//! 192.168.0.0/16, fd00::/8), so nothing a lesson sends could mean a real
//! host; the network exists only inside the sandbox.

use super::*;
use crate::lesson::model::{HostSpec, WireRuleSpec};
use crate::wire::impair::{self, Action, Filter, Which};
use crate::wire::{self, Cidr, HostSpec as WireHost, InterfaceSpec, RouteSpec, Topology};

fn too_many<T>(
    at: &Spanned<T>,
    what: &'static str,
    limit: usize,
    limit_name: &'static str,
    problems: &mut Vec<Problem>,
) {
    let kind = Kind::TooManyInNetwork {
        what,
        limit,
        limit_name,
    };
    problems.push(Problem::new(kind, at));
}

/// A simple name: letters, digits, `-`, `_`, at most `max` bytes.
fn simple_name(name: &str, max: usize) -> bool {
    !name.is_empty()
        && name.len() <= max
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The topology, if the lesson declares hosts (`None` without, or on errors).
pub(super) fn check_network(file: &LessonFile, problems: &mut Vec<Problem>) -> Option<Topology> {
    if file.hosts.is_empty() {
        if let Some(link) = file.links.first() {
            problems.push(Problem::new(Kind::LinksWithoutHosts, link));
        }
        return None;
    }
    let errors_before = problems
        .iter()
        .filter(|p| p.severity() == Severity::Error)
        .count();
    let mut links: Vec<String> = Vec::new();
    for (i, link) in file.links.iter().enumerate() {
        if i == limits::MAX_LINKS {
            too_many(link, "links", limits::MAX_LINKS, "max_links", problems);
        }
        if !simple_name(&link.value, 32) {
            let name = link.value.clone();
            problems.push(Problem::new(Kind::BadLinkName { name }, link));
        } else if links.contains(&link.value) {
            let name = link.value.clone();
            problems.push(Problem::new(Kind::DuplicateLink { name }, link));
        }
        links.push(link.value.clone());
    }
    let link_names: Vec<&str> = links.iter().map(String::as_str).collect();
    let mut hosts = Vec::new();
    let mut all_addresses: Vec<(Cidr, String)> = Vec::new();
    for (h, spec) in file.hosts.iter().enumerate() {
        if h == limits::MAX_HOSTS {
            too_many(
                &spec.name,
                "hosts",
                limits::MAX_HOSTS,
                "max_hosts",
                problems,
            );
        }
        if !simple_name(&spec.name.value, 32) {
            let name = spec.name.value.clone();
            problems.push(Problem::new(Kind::BadHostName { name }, &spec.name));
        } else if file.hosts[..h]
            .iter()
            .any(|o| o.name.value == spec.name.value)
        {
            let name = spec.name.value.clone();
            problems.push(Problem::new(Kind::DuplicateHost { name }, &spec.name));
        }
        if spec.interfaces.is_empty() {
            let host = spec.name.value.clone();
            problems.push(Problem::new(
                Kind::HostWithoutInterface { host },
                &spec.name,
            ));
        }
        hosts.push(check_host(spec, &link_names, &mut all_addresses, problems));
    }
    for (i, name) in links.iter().enumerate() {
        let ends = file
            .hosts
            .iter()
            .flat_map(|h| &h.interfaces)
            .filter(|f| f.link.value == *name)
            .count();
        if ends < 2 && i < file.links.len() {
            let link = name.clone();
            problems.push(Problem::new(
                Kind::LinkNotCrossed { link, ends },
                &file.links[i],
            ));
        }
    }
    let errors_after = problems
        .iter()
        .filter(|p| p.severity() == Severity::Error)
        .count();
    if errors_after > errors_before {
        return None;
    }
    let topology = Topology {
        hosts: hosts.into_iter().flatten().collect(),
        links,
    };
    // Everything above should make this pass; it is the builder's own check.
    if let Err(e) = wire::validate(&topology) {
        let reason = e.to_string();
        problems.push(Problem::new(
            Kind::TopologyRejected { reason },
            &file.hosts[0].name,
        ));
        return None;
    }
    Some(topology)
}

fn check_host(
    spec: &HostSpec,
    links: &[&str],
    all_addresses: &mut Vec<(Cidr, String)>,
    problems: &mut Vec<Problem>,
) -> Option<WireHost> {
    let mut ok = true;
    let mut interfaces = Vec::new();
    for (k, iface) in spec.interfaces.iter().enumerate() {
        if k == limits::MAX_INTERFACES {
            too_many(
                &iface.name,
                "interfaces on one host",
                limits::MAX_INTERFACES,
                "max_interfaces",
                problems,
            );
            ok = false;
        }
        let name_ok = simple_name(&iface.name.value, 15) && iface.name.value != "lo";
        if !name_ok {
            let name = iface.name.value.clone();
            problems.push(Problem::new(Kind::BadInterfaceName { name }, &iface.name));
            ok = false;
        } else if spec.interfaces[..k]
            .iter()
            .any(|o| o.name.value == iface.name.value)
        {
            let kind = Kind::DuplicateInterface {
                host: spec.name.value.clone(),
                interface: iface.name.value.clone(),
            };
            problems.push(Problem::new(kind, &iface.name));
            ok = false;
        }
        let link = links.iter().position(|l| *l == iface.link.value);
        if link.is_none() {
            let kind = Kind::UndeclaredLink {
                link: iface.link.value.clone(),
                links: owned(links),
            };
            problems.push(Problem::new(kind, &iface.link));
            ok = false;
        }
        let mtu = match &iface.mtu {
            None => Some(wire::DEFAULT_MTU),
            Some(m) => match u32::try_from(m.value)
                .ok()
                .filter(|v| wire::MTU_RANGE.contains(v))
            {
                Some(v) => Some(v),
                None => {
                    let kind = Kind::MtuOutOfRange {
                        mtu: m.value,
                        low: *wire::MTU_RANGE.start(),
                        high: *wire::MTU_RANGE.end(),
                    };
                    problems.push(Problem::new(kind, m));
                    None
                }
            },
        };
        let mut addresses = Vec::new();
        if iface.addresses.len() > limits::MAX_ADDRESSES {
            too_many(
                &iface.addresses[limits::MAX_ADDRESSES],
                "addresses on one interface",
                limits::MAX_ADDRESSES,
                "max_addresses",
                problems,
            );
            ok = false;
        }
        for a in &iface.addresses {
            match a.value.trim().parse::<Cidr>() {
                Err(e) => {
                    problems.push(Problem::new(Kind::BadInterfaceAddress { error: e }, a));
                    ok = false;
                }
                Ok(c) if !c.is_private() || c.addr == c.network() => {
                    let kind = if c.addr == c.network() && c.is_private() {
                        Kind::NetworkAddressForHost { cidr: c }
                    } else {
                        Kind::AddressOutsidePrivateRanges { cidr: c }
                    };
                    problems.push(Problem::new(kind, a));
                    ok = false;
                }
                Ok(c) => {
                    if let Some((_, owner)) = all_addresses.iter().find(|(o, _)| o.addr == c.addr) {
                        let kind = Kind::AddressTaken {
                            ip: c.addr,
                            owner: owner.clone(),
                        };
                        problems.push(Problem::new(kind, a));
                        ok = false;
                    }
                    all_addresses.push((c, format!("{}/{}", spec.name.value, iface.name.value)));
                    addresses.push(c);
                }
            }
        }
        if let (Some(link), Some(mtu)) = (link, mtu) {
            interfaces.push(InterfaceSpec {
                name: iface.name.value.clone(),
                link,
                addresses,
                mtu,
            });
        }
    }
    let mut routes = Vec::new();
    for (r, route) in spec.routes.iter().enumerate() {
        if r == limits::MAX_ROUTES {
            too_many(
                &route.to,
                "routes on one host",
                limits::MAX_ROUTES,
                "max_routes",
                problems,
            );
            ok = false;
        }
        let via = route.via.value.trim().parse::<IpAddr>();
        let to = match route.to.value.trim() {
            "default" => match &via {
                Ok(IpAddr::V6(_)) => "::/0".parse::<Cidr>(),
                _ => "0.0.0.0/0".parse::<Cidr>(),
            },
            other => other.parse::<Cidr>(),
        };
        let to = match to {
            Ok(c) if c.is_private() || c.prefix == 0 => Some(c),
            Ok(c) => {
                problems.push(Problem::new(
                    Kind::RouteOutsidePrivateRanges { cidr: c },
                    &route.to,
                ));
                None
            }
            Err(e) => {
                problems.push(Problem::new(Kind::BadRouteNetwork { error: e }, &route.to));
                None
            }
        };
        let on_link = |ip: IpAddr| {
            interfaces
                .iter()
                .flat_map(|i: &InterfaceSpec| &i.addresses)
                .any(|c| c.contains(ip))
        };
        let via = match via {
            Ok(ip) if on_link(ip) => Some(ip),
            Ok(ip) => {
                let host = spec.name.value.clone();
                problems.push(Problem::new(Kind::NextHopOffLink { ip, host }, &route.via));
                None
            }
            Err(_) => {
                let text = route.via.value.clone();
                problems.push(Problem::new(Kind::NextHopNotIp { text }, &route.via));
                None
            }
        };
        match (to, via) {
            (Some(to), Some(via)) if to.addr.is_ipv4() == via.is_ipv4() => {
                routes.push(RouteSpec { to, via })
            }
            (Some(_), Some(_)) => {
                problems.push(Problem::new(Kind::RouteVersionMismatch, &route.via));
                ok = false;
            }
            _ => ok = false,
        }
    }
    ok.then(|| WireHost {
        name: spec.name.value.clone(),
        interfaces,
        routes,
        forwarding: spec.forwarding.as_ref().is_some_and(|f| f.value),
    })
}

/// The `wire:` rules, resolved against the topology.
pub(super) fn check_wire_rules(
    file: &LessonFile,
    problems: &mut Vec<Problem>,
) -> Vec<impair::Rule> {
    let specs = &file.wire;
    let links: Vec<&str> = file.links.iter().map(|l| l.value.as_str()).collect();
    let hosts: Vec<&str> = file.hosts.iter().map(|h| h.name.value.as_str()).collect();
    let mut rules = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        if hosts.is_empty() {
            problems.push(Problem::new(Kind::WireWithoutNetwork, &spec.action));
            return Vec::new();
        };
        if i == limits::MAX_WIRE_RULES {
            too_many(
                &spec.action,
                "wire rules",
                limits::MAX_WIRE_RULES,
                "max_wire_rules",
                problems,
            );
            return Vec::new();
        }
        let link = match &spec.link {
            None => Some(None),
            Some(l) => match links.iter().position(|n| *n == l.value) {
                Some(i) => Some(Some(i)),
                None => {
                    let kind = Kind::UndeclaredLink {
                        link: l.value.clone(),
                        links: owned(&links),
                    };
                    problems.push(Problem::new(kind, l));
                    None
                }
            },
        };
        let from = match &spec.from {
            None => Some(None),
            Some(h) => match hosts.iter().position(|n| *n == h.value) {
                Some(i) => Some(Some(i)),
                None => {
                    let kind = Kind::UndeclaredHost {
                        host: h.value.clone(),
                        hosts: owned(&hosts),
                    };
                    problems.push(Problem::new(kind, h));
                    None
                }
            },
        };
        let protocol = match spec
            .protocol
            .as_ref()
            .map(|p| p.value.as_str())
            .unwrap_or("any")
        {
            "any" => Some(impair::Protocol::Any),
            "arp" => Some(impair::Protocol::Arp),
            "ipv4" => Some(impair::Protocol::Ipv4),
            "ipv6" => Some(impair::Protocol::Ipv6),
            "icmp" => Some(impair::Protocol::Icmp),
            "udp" => Some(impair::Protocol::Udp),
            "tcp" => Some(impair::Protocol::Tcp),
            "tcp-data" => Some(impair::Protocol::TcpData),
            other => {
                if let Some(p) = &spec.protocol {
                    let protocol = other.to_string();
                    problems.push(Problem::new(Kind::UnknownWireProtocol { protocol }, p));
                }
                None
            }
        };
        let which = match &spec.nth {
            None => Some(Which::Every),
            Some(n) => match u32::try_from(n.value)
                .ok()
                .filter(|n| (1..=100_000).contains(n))
            {
                Some(n) => Some(Which::Nth(n)),
                None => {
                    problems.push(Problem::new(Kind::NthOutOfRange { nth: n.value }, n));
                    None
                }
            },
        };
        let action = match spec.action.value.as_str() {
            "drop" => Some(Action::Drop),
            "duplicate" => Some(Action::Duplicate),
            "delay" => wire_ms(spec, None, problems).map(Action::Delay),
            "reorder" => {
                wire_ms(spec, Some(1000), problems).map(|at_most| Action::Reorder { at_most })
            }
            "corrupt" => {
                let offset = spec
                    .offset
                    .as_ref()
                    .and_then(|o| usize::try_from(o.value).ok().filter(|v| *v < 65536));
                let xor = spec.xor.as_ref().map_or(Some(0x01), |x| {
                    u8::try_from(x.value).ok().filter(|v| *v != 0)
                });
                match (&spec.offset, offset, xor) {
                    (None, _, _) => {
                        problems.push(Problem::new(Kind::CorruptWithoutOffset, &spec.action));
                        None
                    }
                    (Some(o), None, _) => {
                        let offset = o.value;
                        problems.push(Problem::new(Kind::OffsetOutOfRange { offset }, o));
                        None
                    }
                    (_, _, None) => {
                        if let Some(x) = &spec.xor {
                            problems.push(Problem::new(Kind::XorOutOfRange { xor: x.value }, x));
                        }
                        None
                    }
                    (_, Some(offset), Some(xor)) => Some(Action::Corrupt { offset, xor }),
                }
            }
            "rate" => {
                let queue = wire_ms(spec, Some(1000), problems);
                match (&spec.bytes_per_second, queue) {
                    (Some(b), Some(queue)) if b.value >= MIN_BYTES_PER_SECOND => {
                        Some(Action::Rate {
                            bytes_per_second: b.value as u64,
                            queue,
                        })
                    }
                    (Some(b), _) => {
                        let kind = Kind::RateTooLow {
                            bytes_per_second: b.value,
                            least: MIN_BYTES_PER_SECOND,
                        };
                        problems.push(Problem::new(kind, b));
                        None
                    }
                    (None, _) => {
                        problems.push(Problem::new(Kind::RateWithoutBytes, &spec.action));
                        None
                    }
                }
            }
            other => {
                let action = other.to_string();
                problems.push(Problem::new(
                    Kind::UnknownWireAction { action },
                    &spec.action,
                ));
                None
            }
        };
        if let (Some(link), Some(from_host), Some(protocol), Some(which), Some(action)) =
            (link, from, protocol, which, action)
        {
            rules.push(impair::Rule {
                filter: Filter {
                    link,
                    from_host,
                    protocol,
                },
                which,
                action,
            });
        }
    }
    rules
}

/// The slowest `rate` a wire rule may set.
const MIN_BYTES_PER_SECOND: i64 = 1000;

/// A rule's `ms`, or `default` when absent (an error if there is none).
fn wire_ms(
    spec: &WireRuleSpec,
    default: Option<u64>,
    problems: &mut Vec<Problem>,
) -> Option<Duration> {
    match &spec.ms {
        Some(m) => match u64::try_from(m.value)
            .ok()
            .filter(|v| *v <= limits::MAX_WIRE_DELAY_MS)
        {
            Some(v) => Some(Duration::from_millis(v)),
            None => {
                let kind = Kind::WireDelayOutOfRange {
                    ms: m.value,
                    limit: limits::MAX_WIRE_DELAY_MS,
                };
                problems.push(Problem::new(kind, m));
                None
            }
        },
        None => match default {
            Some(d) => Some(Duration::from_millis(d)),
            None => {
                let action = spec.action.value.clone();
                problems.push(Problem::new(
                    Kind::WireDelayMissing { action },
                    &spec.action,
                ));
                None
            }
        },
    }
}

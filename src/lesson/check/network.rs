//! A lesson's own network: `hosts:` with interfaces on `links:`, and the
//! `wire:` rules. Addresses come only from private ranges (10.0.0.0/8,
//! 192.168.0.0/16, fd00::/8), so nothing a lesson sends could mean a real
//! host; the network exists only inside the sandbox.

use super::*;
use crate::lesson::model::{HostSpec, WireRuleSpec};
use crate::wire::impair::{self, Action, Filter, Which};
use crate::wire::{self, Cidr, HostSpec as WireHost, InterfaceSpec, RouteSpec, Topology};

fn too_many<T>(at: &Spanned<T>, what: &str, limit: usize, name: &str, problems: &mut Vec<Problem>) {
    problems.push(Problem::error(
        at,
        format!("the lesson declares more than {limit} {what} (limit `{name}`)"),
        Some("keep the lesson's network small: a few hosts on a few links".into()),
    ));
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
            problems.push(Problem::error(
                link,
                "the lesson declares links but no hosts",
                Some("add `hosts:` whose interfaces name these links, or remove `links:`".into()),
            ));
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
            problems.push(Problem::error(
                link,
                format!("`{}` cannot name a link", link.value),
                Some("use letters, digits, `-` and `_`, like `lan` or `left`".into()),
            ));
        } else if links.contains(&link.value) {
            problems.push(Problem::error(
                link,
                format!("link `{}` is declared twice", link.value),
                None,
            ));
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
            problems.push(Problem::error(
                &spec.name,
                format!("`{}` cannot name a host", spec.name.value),
                Some("use letters, digits, `-` and `_`, like `alice` or `router`".into()),
            ));
        } else if file.hosts[..h]
            .iter()
            .any(|o| o.name.value == spec.name.value)
        {
            problems.push(Problem::error(
                &spec.name,
                format!("host `{}` is declared twice", spec.name.value),
                None,
            ));
        }
        if spec.interfaces.is_empty() {
            problems.push(Problem::error(
                &spec.name,
                format!("host `{}` has no interface", spec.name.value),
                Some("give it `interfaces:` with a name, a link and an address".into()),
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
            problems.push(Problem::warning(
                &file.links[i],
                format!("link `{name}` has {ends} interface(s) on it; nothing can cross it"),
                Some("put interfaces of two hosts on it".into()),
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
        problems.push(Problem::error(&file.hosts[0].name, e.to_string(), None));
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
            problems.push(Problem::error(
                &iface.name,
                format!("`{}` cannot name an interface", iface.name.value),
                Some("at most 15 letters, digits, `-` and `_`, not `lo`; e.g. `eth0`".into()),
            ));
            ok = false;
        } else if spec.interfaces[..k]
            .iter()
            .any(|o| o.name.value == iface.name.value)
        {
            problems.push(Problem::error(
                &iface.name,
                format!(
                    "host `{}` has two interfaces named `{}`",
                    spec.name.value, iface.name.value
                ),
                None,
            ));
            ok = false;
        }
        let link = links.iter().position(|l| *l == iface.link.value);
        if link.is_none() {
            problems.push(Problem::error(
                &iface.link,
                format!("link `{}` is not declared", iface.link.value),
                hint_mean(&iface.link.value, links, "a link"),
            ));
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
                    problems.push(Problem::error(
                        m,
                        format!("MTU {} is out of range", m.value),
                        Some(format!(
                            "an MTU is from {} to {} bytes; Ethernet's is 1500",
                            wire::MTU_RANGE.start(),
                            wire::MTU_RANGE.end()
                        )),
                    ));
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
                    problems.push(Problem::error(
                        a,
                        e,
                        Some(
                            "write an address with its prefix, like `10.0.0.1/24` or `fd00::1/64`"
                                .into(),
                        ),
                    ));
                    ok = false;
                }
                Ok(c) if !c.is_private() || c.addr == c.network() => {
                    let why = if c.addr == c.network() && c.is_private() {
                        format!("`{c}` is the network's own address, not a host's")
                    } else {
                        format!("address `{c}` is outside the ranges a lesson's network may use")
                    };
                    problems.push(Problem::error(
                        a,
                        why,
                        Some(format!("use an address in {} (the sandbox's private ranges), like `10.0.0.1/24`", wire::addr::PRIVATE_RANGES.join(", "))),
                    ));
                    ok = false;
                }
                Ok(c) => {
                    if let Some((_, owner)) = all_addresses.iter().find(|(o, _)| o.addr == c.addr) {
                        problems.push(Problem::error(
                            a,
                            format!("address {} is already `{owner}`'s", c.addr),
                            Some("every interface needs its own address".into()),
                        ));
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
                problems.push(Problem::error(
                    &route.to,
                    format!("`{c}` is outside the sandbox's private ranges"),
                    Some(
                        "route to a network of the lesson (e.g. `10.0.2.0/24`) or `default`".into(),
                    ),
                ));
                None
            }
            Err(e) => {
                problems.push(Problem::error(
                    &route.to,
                    e,
                    Some("write a network like `10.0.2.0/24`, or `default`".into()),
                ));
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
                problems.push(Problem::error(
                    &route.via,
                    format!(
                        "next hop {ip} is on none of `{}`'s networks",
                        spec.name.value
                    ),
                    Some("a route goes via a neighbour on one of the host's own links".into()),
                ));
                None
            }
            Err(_) => {
                problems.push(Problem::error(
                    &route.via,
                    format!("`{}` is not an IP address", route.via.value),
                    Some("write the next hop's address, like `10.0.1.254`".into()),
                ));
                None
            }
        };
        match (to, via) {
            (Some(to), Some(via)) if to.addr.is_ipv4() == via.is_ipv4() => {
                routes.push(RouteSpec { to, via })
            }
            (Some(_), Some(_)) => {
                problems.push(Problem::error(
                    &route.via,
                    "the route's network and next hop are not the same IP version",
                    None,
                ));
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

const WIRE_PROTOCOLS: [&str; 8] = [
    "any", "arp", "ipv4", "ipv6", "icmp", "udp", "tcp", "tcp-data",
];
const WIRE_ACTIONS: [&str; 6] = ["drop", "delay", "duplicate", "reorder", "corrupt", "rate"];

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
            problems.push(Problem::error(
                &spec.action,
                "`wire:` rules need the lesson's own network",
                Some(
                    "declare `hosts:` and `links:`; on `lo` nothing is carried by the wire".into(),
                ),
            ));
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
                    problems.push(Problem::error(
                        l,
                        format!("link `{}` is not declared", l.value),
                        hint_mean(&l.value, &links, "a link"),
                    ));
                    None
                }
            },
        };
        let from = match &spec.from {
            None => Some(None),
            Some(h) => match hosts.iter().position(|n| *n == h.value) {
                Some(i) => Some(Some(i)),
                None => {
                    problems.push(Problem::error(
                        h,
                        format!("host `{}` is not declared", h.value),
                        hint_mean(&h.value, &hosts, "a host"),
                    ));
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
                    problems.push(Problem::error(
                        p,
                        format!("unknown protocol `{other}`"),
                        hint_mean(other, &WIRE_PROTOCOLS, "a wire rule's protocol"),
                    ));
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
                    problems.push(Problem::error(
                        n,
                        format!("`nth: {}` is out of range", n.value),
                        Some("1 is the first matching frame".into()),
                    ));
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
                        problems.push(Problem::error(&spec.action, "`corrupt` needs `offset`", Some("the byte of the frame to change, from 0 (the Ethernet header's first byte)".into())));
                        None
                    }
                    (Some(o), None, _) => {
                        problems.push(Problem::error(
                            o,
                            format!("`offset: {}` is out of range", o.value),
                            Some("a byte of the frame, from 0".into()),
                        ));
                        None
                    }
                    (_, _, None) => {
                        if let Some(x) = &spec.xor {
                            problems.push(Problem::error(
                                x,
                                format!("`xor: {}` is not from 1 to 255", x.value),
                                Some("the bits to flip, e.g. `xor: 1`".into()),
                            ));
                        }
                        None
                    }
                    (_, Some(offset), Some(xor)) => Some(Action::Corrupt { offset, xor }),
                }
            }
            "rate" => {
                let queue = wire_ms(spec, Some(1000), problems);
                match (&spec.bytes_per_second, queue) {
                    (Some(b), Some(queue)) if b.value >= 1000 => Some(Action::Rate {
                        bytes_per_second: b.value as u64,
                        queue,
                    }),
                    (Some(b), _) => {
                        problems.push(Problem::error(
                            b,
                            format!("`bytes_per_second: {}` is too low", b.value),
                            Some("at least 1000".into()),
                        ));
                        None
                    }
                    (None, _) => {
                        problems.push(Problem::error(
                            &spec.action,
                            "`rate` needs `bytes_per_second`",
                            Some("e.g. `bytes_per_second: 125000` (1 Mbit/s)".into()),
                        ));
                        None
                    }
                }
            }
            other => {
                problems.push(Problem::error(
                    &spec.action,
                    format!("unknown wire action `{other}`"),
                    hint_mean(other, &WIRE_ACTIONS, "a wire action"),
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
                problems.push(Problem::error(
                    m,
                    format!(
                        "`ms: {}` is out of range (limit `max_wire_delay_ms`)",
                        m.value
                    ),
                    Some(format!("from 0 to {} ms", limits::MAX_WIRE_DELAY_MS)),
                ));
                None
            }
        },
        None => match default {
            Some(d) => Some(Duration::from_millis(d)),
            None => {
                problems.push(Problem::error(
                    &spec.action,
                    format!("`{}` needs `ms`", spec.action.value),
                    Some("e.g. `ms: 50`".into()),
                ));
                None
            }
        },
    }
}

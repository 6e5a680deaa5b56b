//! What the problems of a lesson's own network say (hosts, links, actors on
//! hosts, `wire:` rules, `option: ttl`), and their hints.

use std::fmt::{self, Formatter};

use super::mean;
use crate::lesson::check::kind::Kind;
use crate::wire::addr::PRIVATE_RANGES;

/// A wire rule's `protocol`.
pub const WIRE_PROTOCOLS: [&str; 8] = [
    "any", "arp", "ipv4", "ipv6", "icmp", "udp", "tcp", "tcp-data",
];
/// A wire rule's `action`.
pub const WIRE_ACTIONS: [&str; 6] = ["drop", "delay", "duplicate", "reorder", "corrupt", "rate"];

/// The kinds worded in this file, as one pattern: `wording.rs` sends them
/// here, and its matches stay exhaustive.
macro_rules! network_kinds {
    () => {
        Kind::TooManyInNetwork { .. }
            | Kind::LinksWithoutHosts
            | Kind::BadLinkName { .. }
            | Kind::DuplicateLink { .. }
            | Kind::BadHostName { .. }
            | Kind::DuplicateHost { .. }
            | Kind::HostWithoutInterface { .. }
            | Kind::LinkNotCrossed { .. }
            | Kind::TopologyRejected { .. }
            | Kind::BadInterfaceName { .. }
            | Kind::DuplicateInterface { .. }
            | Kind::UndeclaredLink { .. }
            | Kind::UndeclaredHost { .. }
            | Kind::MtuOutOfRange { .. }
            | Kind::BadInterfaceAddress { .. }
            | Kind::NetworkAddressForHost { .. }
            | Kind::AddressOutsidePrivateRanges { .. }
            | Kind::AddressTaken { .. }
            | Kind::RouteOutsidePrivateRanges { .. }
            | Kind::BadRouteNetwork { .. }
            | Kind::NextHopOffLink { .. }
            | Kind::NextHopNotIp { .. }
            | Kind::RouteVersionMismatch
            | Kind::ActorHostWithoutNetwork { .. }
            | Kind::ActorWithoutHost { .. }
            | Kind::NotAddressOfHost { .. }
            | Kind::HostWithoutAddress { .. }
            | Kind::WireWithoutNetwork
            | Kind::UnknownWireProtocol { .. }
            | Kind::NthOutOfRange { .. }
            | Kind::CorruptWithoutOffset
            | Kind::OffsetOutOfRange { .. }
            | Kind::XorOutOfRange { .. }
            | Kind::RateTooLow { .. }
            | Kind::RateWithoutBytes
            | Kind::UnknownWireAction { .. }
            | Kind::WireDelayOutOfRange { .. }
            | Kind::WireDelayMissing { .. }
            | Kind::TtlOutOfRange { .. }
            | Kind::MissingTtl
            | Kind::TtlWithoutTtlOption
    };
}
pub(super) use network_kinds;

/// The message of a kind in `network_kinds!`.
pub(super) fn message(kind: &Kind, f: &mut Formatter<'_>) -> fmt::Result {
    use Kind::*;
    match kind {
        TooManyInNetwork {
            what,
            limit,
            limit_name,
        } => write!(
            f,
            "the lesson declares more than {limit} {what} (limit `{limit_name}`)"
        ),
        LinksWithoutHosts => f.write_str("the lesson declares links but no hosts"),
        BadLinkName { name } => write!(f, "`{name}` cannot name a link"),
        DuplicateLink { name } => write!(f, "link `{name}` is declared twice"),
        BadHostName { name } => write!(f, "`{name}` cannot name a host"),
        DuplicateHost { name } => write!(f, "host `{name}` is declared twice"),
        HostWithoutInterface { host } => write!(f, "host `{host}` has no interface"),
        LinkNotCrossed { link, ends } => write!(
            f,
            "link `{link}` has {ends} interface(s) on it; nothing can cross it"
        ),
        TopologyRejected { reason } => f.write_str(reason),
        BadInterfaceName { name } => write!(f, "`{name}` cannot name an interface"),
        DuplicateInterface { host, interface } => {
            write!(f, "host `{host}` has two interfaces named `{interface}`")
        }
        UndeclaredLink { link, .. } => write!(f, "link `{link}` is not declared"),
        UndeclaredHost { host, .. } => write!(f, "host `{host}` is not declared"),
        MtuOutOfRange { mtu, .. } => write!(f, "MTU {mtu} is out of range"),
        BadInterfaceAddress { error } | BadRouteNetwork { error } => f.write_str(error),
        NetworkAddressForHost { cidr } => {
            write!(f, "`{cidr}` is the network's own address, not a host's")
        }
        AddressOutsidePrivateRanges { cidr } => write!(
            f,
            "address `{cidr}` is outside the ranges a lesson's network may use"
        ),
        AddressTaken { ip, owner } => write!(f, "address {ip} is already `{owner}`'s"),
        RouteOutsidePrivateRanges { cidr } => {
            write!(f, "`{cidr}` is outside the sandbox's private ranges")
        }
        NextHopOffLink { ip, host } => {
            write!(f, "next hop {ip} is on none of `{host}`'s networks")
        }
        NextHopNotIp { text } => write!(f, "`{text}` is not an IP address"),
        RouteVersionMismatch => {
            f.write_str("the route's network and next hop are not the same IP version")
        }
        ActorHostWithoutNetwork { actor, host } => write!(
            f,
            "actor `{actor}` runs on host `{host}`, but the lesson declares no hosts"
        ),
        ActorWithoutHost { actor, .. } => write!(f, "actor `{actor}` says no `host:`"),
        NotAddressOfHost { address, host, .. } => {
            write!(f, "`{address}` is not an address of host `{host}`")
        }
        HostWithoutAddress { host, actor } => {
            write!(f, "host `{host}` has no address for actor `{actor}` to use")
        }
        WireWithoutNetwork => f.write_str("`wire:` rules need the lesson's own network"),
        UnknownWireProtocol { protocol } => write!(f, "unknown protocol `{protocol}`"),
        NthOutOfRange { nth } => write!(f, "`nth: {nth}` is out of range"),
        CorruptWithoutOffset => f.write_str("`corrupt` needs `offset`"),
        OffsetOutOfRange { offset } => write!(f, "`offset: {offset}` is out of range"),
        XorOutOfRange { xor } => write!(f, "`xor: {xor}` is not from 1 to 255"),
        RateTooLow {
            bytes_per_second, ..
        } => write!(f, "`bytes_per_second: {bytes_per_second}` is too low"),
        RateWithoutBytes => f.write_str("`rate` needs `bytes_per_second`"),
        UnknownWireAction { action } => write!(f, "unknown wire action `{action}`"),
        WireDelayOutOfRange { ms, .. } => {
            write!(f, "`ms: {ms}` is out of range (limit `max_wire_delay_ms`)")
        }
        WireDelayMissing { action } => write!(f, "`{action}` needs `ms`"),
        TtlOutOfRange { ttl } => write!(f, "TTL {ttl} is out of range"),
        MissingTtl => f.write_str("`option: ttl` needs `ttl`"),
        TtlWithoutTtlOption => f.write_str("`ttl` is only for `option: ttl`"),
        // Worded in wording.rs, which sends only `network_kinds!` here.
        other => write!(f, "{other:?}"),
    }
}

/// The hint of a kind in `network_kinds!`.
pub(super) fn hint(kind: &Kind) -> Option<String> {
    use Kind::*;
    let s = |t: &str| Some(t.to_string());
    let private = || {
        Some(format!(
            "use an address in {} (the sandbox's private ranges), like `10.0.0.1/24`",
            PRIVATE_RANGES.join(", ")
        ))
    };
    match kind {
        TooManyInNetwork { .. } => s("keep the lesson's network small: a few hosts on a few links"),
        LinksWithoutHosts => {
            s("add `hosts:` whose interfaces name these links, or remove `links:`")
        }
        BadLinkName { .. } => s("use letters, digits, `-` and `_`, like `lan` or `left`"),
        BadHostName { .. } => s("use letters, digits, `-` and `_`, like `alice` or `router`"),
        DuplicateLink { .. }
        | DuplicateHost { .. }
        | TopologyRejected { .. }
        | DuplicateInterface { .. }
        | RouteVersionMismatch
        | TtlWithoutTtlOption => None,
        HostWithoutInterface { .. } => {
            s("give it `interfaces:` with a name, a link and an address")
        }
        LinkNotCrossed { .. } => s("put interfaces of two hosts on it"),
        BadInterfaceName { .. } => {
            s("at most 15 letters, digits, `-` and `_`, not `lo`; e.g. `eth0`")
        }
        UndeclaredLink { link, links } => Some(mean(link, links, "a link")),
        UndeclaredHost { host, hosts } => Some(mean(host, hosts, "a host")),
        MtuOutOfRange { low, high, .. } => Some(format!(
            "an MTU is from {low} to {high} bytes; Ethernet's is 1500"
        )),
        BadInterfaceAddress { .. } => {
            s("write an address with its prefix, like `10.0.0.1/24` or `fd00::1/64`")
        }
        NetworkAddressForHost { .. } | AddressOutsidePrivateRanges { .. } => private(),
        AddressTaken { .. } => s("every interface needs its own address"),
        RouteOutsidePrivateRanges { .. } => {
            s("route to a network of the lesson (e.g. `10.0.2.0/24`) or `default`")
        }
        BadRouteNetwork { .. } => s("write a network like `10.0.2.0/24`, or `default`"),
        NextHopOffLink { .. } => s("a route goes via a neighbour on one of the host's own links"),
        NextHopNotIp { .. } => s("write the next hop's address, like `10.0.1.254`"),
        ActorHostWithoutNetwork { .. } => {
            s("declare `hosts:` and `links:`, or remove `host:` to run on `lo`")
        }
        ActorWithoutHost { hosts, .. } => Some(format!(
            "in a lesson with hosts every actor runs on one: {}",
            hosts.join(", ")
        )),
        NotAddressOfHost { own, .. } => Some(format!(
            "use one of its own: {}, or leave `address` out",
            own.iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        HostWithoutAddress { .. } => s("give one of its interfaces an address"),
        WireWithoutNetwork => {
            s("declare `hosts:` and `links:`; on `lo` nothing is carried by the wire")
        }
        UnknownWireProtocol { protocol } => Some(mean(
            protocol,
            &WIRE_PROTOCOLS[..],
            "a wire rule's protocol",
        )),
        NthOutOfRange { .. } => s("1 is the first matching frame"),
        CorruptWithoutOffset => {
            s("the byte of the frame to change, from 0 (the Ethernet header's first byte)")
        }
        OffsetOutOfRange { .. } => s("a byte of the frame, from 0"),
        XorOutOfRange { .. } => s("the bits to flip, e.g. `xor: 1`"),
        RateTooLow { least, .. } => Some(format!("at least {least}")),
        RateWithoutBytes => s("e.g. `bytes_per_second: 125000` (1 Mbit/s)"),
        UnknownWireAction { action } => Some(mean(action, &WIRE_ACTIONS[..], "a wire action")),
        WireDelayOutOfRange { limit, .. } => Some(format!("from 0 to {limit} ms")),
        WireDelayMissing { .. } => s("e.g. `ms: 50`"),
        TtlOutOfRange { .. } => s("a time to live is from 1 to 255"),
        MissingTtl => s("e.g. `ttl: 1`: the packet may reach the first router, no further"),
        // Worded in wording.rs, which sends only `network_kinds!` here.
        _ => None,
    }
}

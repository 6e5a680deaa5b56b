//! The sandbox's own small network: hosts joined by links that netcourse
//! carries itself.
//!
//! Each host is a network namespace of the sandbox. Each of its interfaces
//! is one end of a veth pair whose other end sits in a namespace of the
//! wire's own, where one thread (`engine`) reads every frame off every link
//! end and writes it to the other ends of the link. So each frame is seen
//! once, on the link it crossed, with the kernel's time of crossing, and the
//! wire can drop, delay, duplicate, reorder or corrupt it as a lesson asks
//! (`impair`). A link with more than two ends is a hub: every frame goes to
//! every other end.
//!
//! (TAP devices would do the same, but `/dev/net/tun` is often root-only,
//! even inside a user namespace; veth pairs and packet sockets need nothing
//! beyond the sandbox's own namespaces.)
//!
//! Imports nothing of the crate, so the plan can hold a `Topology`.

pub mod addr;
pub mod engine;
pub mod impair;
pub mod netns;
mod rtnl;

use std::io;
use std::net::IpAddr;
use std::os::fd::{AsRawFd, OwnedFd};

pub use addr::{Cidr, Mac};
pub use engine::{Crossing, Delivery, Fate, SyncReport, Wire, WireFrame};
use netns::{Netns, write_sysctl};

/// What a lesson's network looks like.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Topology {
    pub hosts: Vec<HostSpec>,
    /// Link names; interfaces say which link they are on.
    pub links: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSpec {
    pub name: String,
    pub interfaces: Vec<InterfaceSpec>,
    pub routes: Vec<RouteSpec>,
    /// Forward packets between its interfaces (a router).
    pub forwarding: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceSpec {
    /// At most 15 bytes (the kernel's limit), e.g. `eth0`.
    pub name: String,
    /// Index into `Topology::links`.
    pub link: usize,
    pub addresses: Vec<Cidr>,
    pub mtu: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    /// `0.0.0.0/0` for a default route.
    pub to: Cidr,
    pub via: IpAddr,
}

/// How long links may take to come up (a few microseconds when the machine
/// is idle).
const LINK_UP_BOUND: std::time::Duration = std::time::Duration::from_secs(5);

/// Ethernet's usual MTU, what an interface gets unless the lesson says.
pub const DEFAULT_MTU: u32 = 1500;
/// The MTU range an interface may have: IPv4's minimum datagram size to a
/// jumbo frame.
pub const MTU_RANGE: std::ops::RangeInclusive<u32> = 576..=9000;

/// One interface of a built host.
#[derive(Debug, Clone)]
pub struct Interface {
    pub name: String,
    pub mac: Mac,
    pub mtu: u32,
    pub link: usize,
    pub addresses: Vec<Cidr>,
}

/// A built host: its namespace and interfaces.
#[derive(Debug)]
pub struct Host {
    pub name: String,
    pub interfaces: Vec<Interface>,
    netns: Netns,
}

impl Host {
    /// Run `f` inside this host (the calling thread enters it and comes
    /// back), e.g. to create a socket that belongs to it.
    pub fn run<T>(&self, f: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
        self.netns.run(f)
    }

    /// The open namespace file, for a process that `setns`es into this
    /// host before it runs a program there (it stays open while the
    /// network lives).
    pub fn netns_fd(&self) -> std::os::fd::RawFd {
        self.netns.raw_fd()
    }
}

/// One end of a link: a host's interface, as the wire sees it.
#[derive(Debug, Clone)]
pub struct LinkEnd {
    pub link: usize,
    pub host: usize,
    pub interface: usize,
    /// The wire-side veth's name and index in the wire's namespace.
    pub wire_name: String,
    pub wire_index: u32,
}

/// The built network, ready for its wire to start.
pub struct Network {
    pub hosts: Vec<Host>,
    pub links: Vec<String>,
    pub ends: Vec<LinkEnd>,
    /// Opened while building, so the kernel's timestamping is on before
    /// the first frame (turning it on takes effect a moment later).
    socket: Option<OwnedFd>,
    _wire_netns: Netns,
}

/// `e`, saying what we were doing when it happened.
fn sandbox_error(what: String, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

impl Network {
    /// Build the hosts and links of `topology` inside the current sandbox.
    /// Nothing crosses a link until `start`. Errors say what failed, for
    /// the caller to wrap in its own error type.
    pub fn build(topology: &Topology) -> io::Result<Network> {
        validate(topology)?;
        let wire_netns = Netns::create()
            .map_err(|e| sandbox_error("creating the wire's namespace".into(), e))?;
        // The wire's own ends must never speak: no IPv6 (no router
        // solicitations, no DAD), and no IPv4 address.
        wire_netns
            .run(|| {
                write_sysctl("ipv6/conf/all/disable_ipv6", "1")?;
                write_sysctl("ipv6/conf/default/disable_ipv6", "1")
            })
            .map_err(|e| sandbox_error("configuring the wire's namespace".into(), e))?;

        let mut hosts = Vec::new();
        for spec in &topology.hosts {
            let netns = Netns::create()
                .map_err(|e| sandbox_error(format!("creating host `{}`", spec.name), e))?;
            netns
                .run(|| host_sysctls(spec))
                .map_err(|e| sandbox_error(format!("configuring host `{}`", spec.name), e))?;
            let interfaces = spec
                .interfaces
                .iter()
                .map(|i| Interface {
                    name: i.name.clone(),
                    mac: Mac::derive(&format!("{}/{}", spec.name, i.name)),
                    mtu: i.mtu,
                    link: i.link,
                    addresses: i.addresses.clone(),
                })
                .collect();
            hosts.push(Host {
                name: spec.name.clone(),
                interfaces,
                netns,
            });
        }

        // Both ends of every veth are made from the wire's side.
        let mut ends = Vec::new();
        for (h, host) in hosts.iter().enumerate() {
            for (i, iface) in host.interfaces.iter().enumerate() {
                ends.push(LinkEnd {
                    link: iface.link,
                    host: h,
                    interface: i,
                    wire_name: format!("w{}", ends.len()),
                    wire_index: 0,
                });
            }
        }
        // Heard from before any link comes up, so no event is missed.
        let mut wire_events = wire_netns
            .run(rtnl::Rtnl::open_link_events)
            .map_err(|e| sandbox_error("watching the wire's links".into(), e))?;
        let hosts_ref = &hosts;
        let ends = wire_netns
            .run(move || {
                let mut rtnl = rtnl::Rtnl::open()?;
                let mut ends = ends;
                for end in &mut ends {
                    let host = &hosts_ref[end.host];
                    let iface = &host.interfaces[end.interface];
                    let here = rtnl::VethEnd {
                        name: end.wire_name.clone(),
                        mac: Mac::derive(&format!("wire/{}", end.wire_name)).0,
                        // The wire refuses nothing; the receiving host's
                        // MTU decides what it accepts.
                        mtu: 65535,
                    };
                    let peer = rtnl::VethEnd {
                        name: iface.name.clone(),
                        mac: iface.mac.0,
                        mtu: iface.mtu,
                    };
                    rtnl.add_veth(&here, &peer, host.netns.raw_fd())
                        .map_err(|e| {
                            annotate(e, &format!("creating `{}/{}`", host.name, iface.name))
                        })?;
                    end.wire_index = rtnl::if_index(&end.wire_name)?;
                    rtnl.set_up(end.wire_index)?;
                }
                Ok(ends)
            })
            .map_err(|e| sandbox_error("creating the links".into(), e))?;

        let mut up = Vec::new();
        for host in &hosts {
            up.push(
                host.netns
                    .run(|| bring_up(host))
                    .map_err(|e| sandbox_error(format!("bringing host `{}` up", host.name), e))?,
            );
        }
        for ((spec, host), (events, indexes)) in topology.hosts.iter().zip(&hosts).zip(up) {
            host.netns
                .run(|| configure_host(spec, host, events, &indexes))
                .map_err(|e| sandbox_error(format!("configuring host `{}`", spec.name), e))?;
        }
        let wire_indexes: Vec<u32> = ends.iter().map(|e| e.wire_index).collect();
        let socket = wire_netns
            .run(|| {
                wire_events.wait_up(&wire_indexes, LINK_UP_BOUND)?;
                engine::open_socket()
            })
            .map_err(|e| sandbox_error("opening the wire's packet socket".into(), e))?;
        Ok(Network {
            hosts,
            links: topology.links.clone(),
            ends,
            socket: Some(socket),
            _wire_netns: wire_netns,
        })
    }

    /// The host named `name`.
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }

    /// Start carrying frames, with these impairment rules.
    pub fn start(&mut self, rules: Vec<impair::Rule>) -> io::Result<Wire> {
        let socket = self
            .socket
            .take()
            .ok_or_else(|| io::Error::other("the wire was already started"))?;
        let routes = self
            .ends
            .iter()
            .map(|e| engine::EndRoute {
                link: e.link,
                host: e.host,
                wire_index: e.wire_index,
            })
            .collect();
        Wire::start(socket, routes, rules).map_err(|e| sandbox_error("starting the wire".into(), e))
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        if let Some(socket) = self.socket.take() {
            close_in_background(socket);
        }
    }
}

fn annotate(e: io::Error, what: &str) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// Refuse what the kernel would refuse later with a vaguer message.
/// (The lesson checker refuses all of this earlier, with a line and column.)
pub fn validate(topology: &Topology) -> io::Result<()> {
    let bad = |reason: String| io::Error::new(io::ErrorKind::InvalidInput, reason);
    for (n, host) in topology.hosts.iter().enumerate() {
        if topology.hosts[..n].iter().any(|h| h.name == host.name) {
            return Err(bad(format!("two hosts are named `{}`", host.name)));
        }
        for (k, iface) in host.interfaces.iter().enumerate() {
            let name_ok = !iface.name.is_empty()
                && iface.name.len() <= 15
                && iface.name != "lo"
                && iface
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
            if !name_ok || host.interfaces[..k].iter().any(|i| i.name == iface.name) {
                return Err(bad(format!(
                    "host `{}` has an interface name `{}` that is empty, too long (15 bytes at most), `lo`, taken twice, or not made of letters, digits, `-`, `_` and `.`",
                    host.name, iface.name
                )));
            }
            if iface.link >= topology.links.len() {
                return Err(bad(format!(
                    "`{}/{}` is on no known link",
                    host.name, iface.name
                )));
            }
            if !MTU_RANGE.contains(&iface.mtu) {
                return Err(bad(format!(
                    "`{}/{}` has MTU {}, outside {}–{}",
                    host.name,
                    iface.name,
                    iface.mtu,
                    MTU_RANGE.start(),
                    MTU_RANGE.end()
                )));
            }
            if let Some(a) = iface.addresses.iter().find(|a| !a.is_private()) {
                return Err(bad(format!(
                    "`{}/{}` has address {a}, outside the sandbox's private ranges ({})",
                    host.name,
                    iface.name,
                    addr::PRIVATE_RANGES.join(", ")
                )));
            }
        }
    }
    Ok(())
}

/// Per-host kernel settings, written inside the host before its interfaces
/// exist so they inherit them: a host shows only the traffic a lesson is
/// about (no IPv6 chatter on an IPv4-only host, no DAD or router
/// solicitations), and a router forwards.
fn host_sysctls(spec: &HostSpec) -> io::Result<()> {
    let has_v6 = spec
        .interfaces
        .iter()
        .flat_map(|i| &i.addresses)
        .any(|a| a.addr.is_ipv6());
    if has_v6 {
        for conf in ["all", "default"] {
            write_sysctl(&format!("ipv6/conf/{conf}/accept_dad"), "0")?;
            write_sysctl(&format!("ipv6/conf/{conf}/dad_transmits"), "0")?;
            write_sysctl(&format!("ipv6/conf/{conf}/router_solicitations"), "0")?;
            if spec.forwarding {
                write_sysctl(&format!("ipv6/conf/{conf}/forwarding"), "1")?;
            }
        }
    } else {
        write_sysctl("ipv6/conf/all/disable_ipv6", "1")?;
        write_sysctl("ipv6/conf/default/disable_ipv6", "1")?;
    }
    if spec.forwarding {
        write_sysctl("ipv4/ip_forward", "1")?;
    }
    Ok(())
}

/// Inside the host: `lo` and every interface up, first, so that the kernel
/// attaches their queues (asynchronously) while the rest is configured.
fn bring_up(host: &Host) -> io::Result<(rtnl::Rtnl, Vec<u32>)> {
    let mut rtnl = rtnl::Rtnl::open()?;
    let events = rtnl::Rtnl::open_link_events()?;
    rtnl.set_up(rtnl::if_index("lo")?)?;
    for iface in &host.interfaces {
        rtnl.set_up(rtnl::if_index(&iface.name)?)?;
    }
    let indexes = host
        .interfaces
        .iter()
        .map(|i| rtnl::if_index(&i.name))
        .collect::<io::Result<Vec<u32>>>()?;
    Ok((events, indexes))
}

/// Inside the host: offloads off, addresses, then (once its links are up)
/// routes.
fn configure_host(
    spec: &HostSpec,
    host: &Host,
    mut events: rtnl::Rtnl,
    indexes: &[u32],
) -> io::Result<()> {
    let mut rtnl = rtnl::Rtnl::open()?;
    for (iface, &index) in host.interfaces.iter().zip(indexes) {
        rtnl::disable_offloads(&iface.name)
            .map_err(|e| annotate(e, &format!("turning offloads off on `{}`", iface.name)))?;
        for a in &iface.addresses {
            rtnl.add_address(index, a.addr, a.prefix)
                .map_err(|e| annotate(e, &format!("adding {a} to `{}`", iface.name)))?;
        }
    }
    events.wait_up(indexes, LINK_UP_BOUND)?;
    for route in &spec.routes {
        rtnl.add_route(route.to.network(), route.to.prefix, route.via)
            .map_err(|e| {
                annotate(
                    e,
                    &format!("adding the route to {} via {}", route.to, route.via),
                )
            })?;
    }
    Ok(())
}

/// Closing a packet socket waits for an RCU grace period (5–10 ms); let a
/// child process that holds nothing else take the last reference and pay it.
pub(crate) fn close_in_background(socket: OwnedFd) {
    let fd = socket.as_raw_fd();
    // SAFETY: the child calls only async-signal-safe functions (close_range
    // and _exit), so forking here is sound even with other threads.
    unsafe {
        if libc::fork() == 0 {
            let fd = fd as libc::c_uint;
            if fd > 0 {
                libc::syscall(libc::SYS_close_range, 0u32, fd - 1, 0u32);
            }
            libc::syscall(libc::SYS_close_range, fd + 1, u32::MAX, 0u32);
            libc::_exit(0);
        }
    }
    drop(socket);
}

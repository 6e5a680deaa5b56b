//! The few rtnetlink requests the sandbox's network needs, sent on a
//! route-netlink socket of the calling thread's namespace and answered
//! synchronously: create a veth pair, set a link up with an MTU, add an
//! address or a route.

use std::io;
use std::net::IpAddr;

use netlink_packet_core::{
    NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage,
    NetlinkPayload,
};
use netlink_packet_route::address::{AddressAttribute, AddressFlags, AddressMessage};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage, State,
};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

pub struct Rtnl {
    socket: Socket,
    seq: u32,
}

impl Rtnl {
    /// A route-netlink socket in the calling thread's namespace.
    pub fn open() -> io::Result<Rtnl> {
        let mut socket = Socket::new(NETLINK_ROUTE)?;
        socket.bind_auto()?;
        Ok(Rtnl { socket, seq: 0 })
    }

    /// `ip link add NAME address MAC mtu MTU type veth peer name PEER address
    /// PEER_MAC mtu PEER_MTU netns PEER_NS`: `NAME` stays here.
    pub fn add_veth(&mut self, here: &VethEnd, peer: &VethEnd, peer_netns: i32) -> io::Result<()> {
        let mut peer_msg = LinkMessage::default();
        peer_msg.attributes = peer.attributes();
        peer_msg.attributes.push(LinkAttribute::NetNsFd(peer_netns));
        let mut msg = LinkMessage::default();
        msg.attributes = here.attributes();
        msg.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::Veth),
            LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer_msg))),
        ]));
        self.request(RouteNetlinkMessage::NewLink(msg), NLM_F_CREATE | NLM_F_EXCL)
    }

    /// `ip link set dev INDEX up`.
    pub fn set_up(&mut self, index: u32) -> io::Result<()> {
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        msg.header.flags = LinkFlags::Up;
        msg.header.change_mask = LinkFlags::Up;
        self.request(RouteNetlinkMessage::SetLink(msg), 0)
    }

    /// `ip addr add ADDRESS/PREFIX dev INDEX` (IPv6 without DAD: the lesson
    /// owns every address of its network, so none can be taken twice).
    pub fn add_address(&mut self, index: u32, address: IpAddr, prefix: u8) -> io::Result<()> {
        let mut msg = AddressMessage::default();
        msg.header.family = family(address);
        msg.header.prefix_len = prefix;
        msg.header.index = index;
        msg.attributes.push(AddressAttribute::Local(address));
        msg.attributes.push(AddressAttribute::Address(address));
        if address.is_ipv6() {
            msg.attributes
                .push(AddressAttribute::Flags(AddressFlags::Nodad));
        }
        self.request(
            RouteNetlinkMessage::NewAddress(msg),
            NLM_F_CREATE | NLM_F_EXCL,
        )
    }

    /// `ip route add DEST/PREFIX via GATEWAY`.
    pub fn add_route(&mut self, dest: IpAddr, prefix: u8, gateway: IpAddr) -> io::Result<()> {
        let mut msg = RouteMessage::default();
        msg.header.address_family = family(dest);
        msg.header.destination_prefix_length = prefix;
        msg.header.table = libc::RT_TABLE_MAIN;
        msg.header.protocol = RouteProtocol::Static;
        msg.header.scope = RouteScope::Universe;
        msg.header.kind = RouteType::Unicast;
        if prefix > 0 {
            msg.attributes
                .push(RouteAttribute::Destination(RouteAddress::from(dest)));
        }
        msg.attributes
            .push(RouteAttribute::Gateway(RouteAddress::from(gateway)));
        self.request(
            RouteNetlinkMessage::NewRoute(msg),
            NLM_F_CREATE | NLM_F_EXCL,
        )
    }

    /// A socket that hears about every link change in the calling thread's
    /// namespace, to wait for links to come up (`wait_up`).
    pub fn open_link_events() -> io::Result<Rtnl> {
        const RTMGRP_LINK: u32 = 1;
        let mut socket = Socket::new(NETLINK_ROUTE)?;
        socket.bind(&SocketAddr::new(0, RTMGRP_LINK))?;
        Ok(Rtnl { socket, seq: 0 })
    }

    /// Wait until every link in `indexes` is operationally up, at most
    /// `bound`. Bringing a veth up only asks for it: the kernel attaches
    /// the link's queue a moment later (linkwatch), and until then whatever
    /// the host sends is thrown away. Call on a socket from
    /// `open_link_events` opened before the links were set up.
    pub fn wait_up(&mut self, indexes: &[u32], bound: std::time::Duration) -> io::Result<()> {
        let deadline = std::time::Instant::now() + bound;
        let mut waiting: Vec<u32> = Vec::new();
        for &index in indexes {
            if !self.is_up(index)? {
                waiting.push(index);
            }
        }
        let mut buf = vec![0u8; 16384];
        while !waiting.is_empty() {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "links {waiting:?} did not come up within {} ms",
                        bound.as_millis()
                    ),
                ));
            }
            set_timeout(&self.socket, left)?;
            let n = match self.socket.recv(&mut &mut buf[..], 0) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            };
            let mut at = 0;
            while at + 16 <= n {
                let len = u32::from_ne_bytes(buf[at..at + 4].try_into().expect("4 bytes")) as usize;
                if len < 16 || at + len > n {
                    break;
                }
                if let Ok(msg) =
                    NetlinkMessage::<RouteNetlinkMessage>::deserialize(&buf[at..at + len])
                    && let NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(link)) =
                        msg.payload
                    && oper_up(&link)
                {
                    waiting.retain(|&i| i != link.header.index);
                }
                at += (len + 3) & !3;
            }
        }
        Ok(())
    }

    /// Whether link `index` is operationally up now.
    fn is_up(&mut self, index: u32) -> io::Result<bool> {
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        let mut up = false;
        self.exchange(RouteNetlinkMessage::GetLink(msg), 0, |answer| {
            if let RouteNetlinkMessage::NewLink(link) = answer {
                up = oper_up(link);
            }
        })?;
        Ok(up)
    }

    fn request(&mut self, message: RouteNetlinkMessage, flags: u16) -> io::Result<()> {
        self.exchange(message, flags, |_| {})
    }

    /// Send one request and read until its acknowledgement (or error),
    /// handing any answer message to `answer`.
    fn exchange(
        &mut self,
        message: RouteNetlinkMessage,
        flags: u16,
        mut answer: impl FnMut(&RouteNetlinkMessage),
    ) -> io::Result<()> {
        self.seq += 1;
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        header.sequence_number = self.seq;
        let mut packet = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(message));
        packet.finalize();
        let mut buf = vec![0u8; packet.buffer_len()];
        packet.serialize(&mut buf);
        self.socket.send(&buf, 0)?;
        let mut reply = vec![0u8; 32768];
        loop {
            let n = self.socket.recv(&mut &mut reply[..], 0)?;
            let mut at = 0;
            while at + 16 <= n {
                let len =
                    u32::from_ne_bytes(reply[at..at + 4].try_into().expect("4 bytes")) as usize;
                if len < 16 || at + len > n {
                    break;
                }
                let message =
                    NetlinkMessage::<RouteNetlinkMessage>::deserialize(&reply[at..at + len])
                        .map_err(|e| {
                            io::Error::other(format!("unreadable rtnetlink answer: {e}"))
                        })?;
                at += (len + 3) & !3;
                if message.header.sequence_number != self.seq {
                    continue;
                }
                match message.payload {
                    NetlinkPayload::Error(e) if e.code.is_some() => return Err(e.to_io()),
                    NetlinkPayload::Error(_) | NetlinkPayload::Done(_) => return Ok(()),
                    NetlinkPayload::InnerMessage(m) => answer(&m),
                    _ => {}
                }
            }
        }
    }
}

fn oper_up(link: &LinkMessage) -> bool {
    link.attributes
        .iter()
        .any(|a| matches!(a, LinkAttribute::OperState(State::Up)))
}

fn set_timeout(socket: &Socket, timeout: std::time::Duration) -> io::Result<()> {
    let tv = libc::timeval {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_usec: libc::suseconds_t::from(timeout.subsec_micros().max(1)),
    };
    // SAFETY: SO_RCVTIMEO takes one timeval.
    let rc = unsafe {
        libc::setsockopt(
            std::os::fd::AsRawFd::as_raw_fd(socket),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn family(address: IpAddr) -> AddressFamily {
    match address {
        IpAddr::V4(_) => AddressFamily::Inet,
        IpAddr::V6(_) => AddressFamily::Inet6,
    }
}

/// One end of a veth pair as it is created.
pub struct VethEnd {
    pub name: String,
    pub mac: [u8; 6],
    pub mtu: u32,
}

impl VethEnd {
    fn attributes(&self) -> Vec<LinkAttribute> {
        vec![
            LinkAttribute::IfName(self.name.clone()),
            LinkAttribute::Address(self.mac.to_vec()),
            LinkAttribute::Mtu(self.mtu),
        ]
    }
}

/// The index of interface `name` in the calling thread's namespace.
pub fn if_index(name: &str) -> io::Result<u32> {
    let c = std::ffi::CString::new(name).map_err(io::Error::other)?;
    // SAFETY: a valid NUL-terminated name.
    let index = unsafe { libc::if_nametoindex(c.as_ptr()) };
    if index == 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(index)
    }
}

/// Turn off checksum and segmentation offloads on interface `name` (of the
/// calling thread's namespace), so every frame the kernel sends is a real
/// one: at most one MTU long, with its checksums filled in. With offloads on,
/// a veth hands over 64 KiB TCP "frames" and leaves checksums for a NIC that
/// does not exist.
pub fn disable_offloads(name: &str) -> io::Result<()> {
    const SIOCETHTOOL: libc::c_ulong = 0x8946;
    const ETHTOOL_SRXCSUM: u32 = 0x15;
    const ETHTOOL_STXCSUM: u32 = 0x17;
    const ETHTOOL_SSG: u32 = 0x19;
    const ETHTOOL_STSO: u32 = 0x1f;
    const ETHTOOL_SGSO: u32 = 0x24;
    const ETHTOOL_SGRO: u32 = 0x2c;
    #[repr(C)]
    struct EthtoolValue {
        cmd: u32,
        data: u32,
    }
    // SAFETY: a plain datagram socket used only for interface ioctls.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: we own fd from here on.
    let fd = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    for cmd in [
        ETHTOOL_STSO,
        ETHTOOL_SGSO,
        ETHTOOL_SGRO,
        ETHTOOL_SSG,
        ETHTOOL_STXCSUM,
        ETHTOOL_SRXCSUM,
    ] {
        let mut value = EthtoolValue { cmd, data: 0 };
        // SAFETY: ifreq is plain data; zeroed is a valid value.
        let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
        for (dst, src) in req.ifr_name.iter_mut().zip(name.bytes().take(15)) {
            *dst = src as libc::c_char;
        }
        req.ifr_ifru.ifru_data = (&mut value as *mut EthtoolValue).cast();
        // SAFETY: SIOCETHTOOL reads one ethtool_value through ifr_data.
        let rc =
            unsafe { libc::ioctl(std::os::fd::AsRawFd::as_raw_fd(&fd), SIOCETHTOOL, &mut req) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

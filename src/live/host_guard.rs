//! `--net host`: the lesson shares the machine's loopback with every other
//! program on it. A call may reach only a socket the lesson itself holds at
//! that moment, and only the lesson's own frames are kept. In the sandbox
//! nothing else exists, so none of this applies there.

use std::fmt;
use std::net::SocketAddr;

/// What the guard needs to know of one of the lesson's open sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldSocket {
    pub local: SocketAddr,
    pub tcp: bool,
    /// In LISTEN (SO_ACCEPTCONN).
    pub listening: bool,
    /// SO_REUSEADDR or SO_REUSEPORT is set: on UDP another program's socket
    /// may share the address, so it is not the lesson's alone.
    pub shared: bool,
}

/// What a call is about to do with an address that is not the lesson's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// `sendto`, or `send` on a connected socket.
    Deliver,
    /// `connect`.
    Connect,
    /// `accept` returned a connection from this address.
    AcceptFrom,
    /// `recvfrom` returned a datagram from this address.
    ReceiveFrom,
}

/// Refused: the address is not held by one of the lesson's sockets now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotOwnSocket {
    pub reach: Reach,
    pub addr: SocketAddr,
    pub tcp: bool,
    /// Why the nearest candidate did not count, when there was one.
    pub detail: Option<&'static str>,
}

impl fmt::Display for NotOwnSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proto = if self.tcp { "TCP" } else { "UDP" };
        match self.reach {
            Reach::Deliver | Reach::Connect => write!(
                f,
                "with `--net host` a lesson may only reach its own sockets, and none of them holds {proto} {} at this step",
                self.addr
            )?,
            Reach::AcceptFrom => write!(
                f,
                "a connection from {} (not one of this lesson's sockets: another program on this machine) reached the listener; it was closed unread",
                self.addr
            )?,
            Reach::ReceiveFrom => write!(
                f,
                "a datagram from {} (not one of this lesson's sockets: another program on this machine) arrived; its data is not shown",
                self.addr
            )?,
        }
        if let Some(d) = self.detail {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

impl std::error::Error for NotOwnSocket {}

/// Whether `addr` is held right now by one of `held`, for a call of kind
/// `reach` on a socket of the given transport.
pub fn check(
    held: &[HeldSocket],
    addr: SocketAddr,
    tcp: bool,
    reach: Reach,
) -> Result<(), NotOwnSocket> {
    let mut detail = None;
    for s in held
        .iter()
        .filter(|s| s.tcp == tcp && covers(s.local, addr))
    {
        if !tcp && s.shared {
            detail = Some("its socket sets SO_REUSEADDR, so another program may share the port");
            continue;
        }
        if reach == Reach::Connect && tcp && !s.listening {
            detail = Some("the lesson's socket there is not listening");
            continue;
        }
        return Ok(());
    }
    Err(NotOwnSocket {
        reach,
        addr,
        tcp,
        detail,
    })
}

/// A socket bound to the wildcard (0.0.0.0 or ::) receives for every
/// address of its family on that port.
fn covers(local: SocketAddr, addr: SocketAddr) -> bool {
    local.port() == addr.port()
        && (local.ip() == addr.ip()
            || (local.ip().is_unspecified() && local.is_ipv4() == addr.is_ipv4()))
}

/// The lesson's endpoints seen so far, for telling its frames from other
/// programs' on a shared `lo`.
#[derive(Debug, Default, Clone)]
pub struct Endpoints {
    known: Vec<(SocketAddr, bool)>,
}

impl Endpoints {
    pub fn learn(&mut self, addr: SocketAddr, tcp: bool) {
        if addr.port() != 0 && !self.known.contains(&(addr, tcp)) {
            self.known.push((addr, tcp));
        }
    }

    /// Every port the lesson's sockets have held.
    pub fn ports(&self) -> impl Iterator<Item = u16> + '_ {
        self.known.iter().map(|(a, _)| a.port())
    }

    fn holds(&self, ip: &str, port: Option<u16>, tcp: bool) -> bool {
        let (Ok(ip), Some(port)) = (ip.parse::<std::net::IpAddr>(), port) else {
            return false;
        };
        self.holds_addr(SocketAddr::new(ip, port), tcp)
    }

    fn holds_addr(&self, addr: SocketAddr, tcp: bool) -> bool {
        self.known
            .iter()
            .any(|&(local, t)| t == tcp && covers(local, addr))
    }

    /// `owns`, straight from the bytes: the common case (a TCP or UDP frame
    /// with no IPv6 extension header) is decided without a full dissection,
    /// which matters when another program floods the shared `lo`.
    pub fn owns_frame(&self, frame: &[u8]) -> bool {
        use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
        let get = |r: std::ops::Range<usize>| frame.get(r);
        let ends = || -> Option<(IpAddr, IpAddr, u8, usize)> {
            match u16::from_be_bytes(get(12..14)?.try_into().ok()?) {
                0x0800 => {
                    let ihl = usize::from(frame.get(14)? & 0x0f) * 4;
                    let src: [u8; 4] = get(26..30)?.try_into().ok()?;
                    let dst: [u8; 4] = get(30..34)?.try_into().ok()?;
                    let v4 = |a| IpAddr::V4(Ipv4Addr::from(a));
                    Some((v4(src), v4(dst), *frame.get(23)?, 14 + ihl))
                }
                0x86dd => {
                    let src: [u8; 16] = get(22..38)?.try_into().ok()?;
                    let dst: [u8; 16] = get(38..54)?.try_into().ok()?;
                    let v6 = |a| IpAddr::V6(Ipv6Addr::from(a));
                    Some((v6(src), v6(dst), *frame.get(20)?, 54))
                }
                _ => None,
            }
        };
        match ends() {
            Some((src, dst, proto @ (6 | 17), at)) => {
                let port =
                    |i: usize| get(at + i..at + i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
                let (Some(sport), Some(dport)) = (port(0), port(2)) else {
                    return false;
                };
                let tcp = proto == 6;
                self.holds_addr(SocketAddr::new(src, sport), tcp)
                    && self.holds_addr(SocketAddr::new(dst, dport), tcp)
            }
            // ICMP errors, IPv6 extension headers, anything odd: the full
            // dissection decides.
            Some(_) => self.owns(&crate::dissect::dissect(frame)),
            None => false,
        }
    }

    /// A frame is the lesson's when both of its ends are the lesson's
    /// sockets, for the frame's own protocol; an ICMP error is the lesson's
    /// when the packet it quotes is.
    pub fn owns(&self, d: &crate::dissect::Dissection) -> bool {
        let both = |src: &str, sport, dst: &str, dport, proto: u8| match proto {
            6 | 17 => {
                let tcp = proto == 6;
                self.holds(src, sport, tcp) && self.holds(dst, dport, tcp)
            }
            _ => false,
        };
        if let Some(q) = d.icmp.as_ref().and_then(|i| i.quoted.as_ref()) {
            return both(&q.src_ip, q.src_port, &q.dst_ip, q.dst_port, q.protocol);
        }
        let (Some(src), Some(dst)) = (&d.ip_src, &d.ip_dst) else {
            return false;
        };
        let proto = if d.tcp.is_some() {
            6
        } else if d.udp.is_some() {
            17
        } else {
            return false;
        };
        both(src, d.src_port(), dst, d.dst_port(), proto)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sock(addr: &str, tcp: bool, listening: bool, shared: bool) -> HeldSocket {
        HeldSocket {
            local: addr.parse().unwrap(),
            tcp,
            listening,
            shared,
        }
    }

    fn at(a: &str) -> SocketAddr {
        a.parse().unwrap()
    }

    #[test]
    fn a_target_that_binds_later_is_not_held_now() {
        let held = [sock("127.0.0.1:5001", false, false, false)];
        let e = check(&held, at("127.0.0.1:7777"), false, Reach::Deliver).unwrap_err();
        assert_eq!(
            e.to_string(),
            "with `--net host` a lesson may only reach its own sockets, and none of them holds UDP 127.0.0.1:7777 at this step"
        );
    }

    #[test]
    fn protocol_must_match() {
        let held = [sock("127.0.0.1:6380", false, false, false)];
        assert!(check(&held, at("127.0.0.1:6380"), true, Reach::Connect).is_err());
        assert!(check(&held, at("127.0.0.1:6380"), false, Reach::Deliver).is_ok());
    }

    #[test]
    fn connect_needs_a_listener_of_the_lesson() {
        let held = [sock("127.0.0.1:7778", true, false, false)];
        let e = check(&held, at("127.0.0.1:7778"), true, Reach::Connect).unwrap_err();
        assert_eq!(e.detail, Some("the lesson's socket there is not listening"));
        let held = [sock("0.0.0.0:7778", true, true, false)];
        assert!(check(&held, at("127.0.0.1:7778"), true, Reach::Connect).is_ok());
        // The wildcard of the other family does not cover it.
        let held = [sock("[::]:7778", true, true, false)];
        assert!(check(&held, at("127.0.0.1:7778"), true, Reach::Connect).is_err());
    }

    #[test]
    fn a_shared_udp_port_is_not_the_lessons_alone() {
        let held = [sock("127.0.0.1:5000", false, false, true)];
        assert!(check(&held, at("127.0.0.1:5000"), false, Reach::Deliver).is_err());
    }

    /// Ethernet + IPv4 (127.0.0.1 both ways) + a UDP or TCP header.
    fn frame(proto: u8, sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
        let l4 = if proto == 6 { 20 } else { 8 };
        let total = (20 + l4 + payload.len()) as u16;
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(&[
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            1,
            0x40,
            0,
            64,
            proto,
            0,
            0,
        ]);
        f.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 1]);
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        if proto == 6 {
            f.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
        } else {
            f.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
            f.extend_from_slice(&[0, 0]);
        }
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn frames_need_both_ends_and_the_protocol() {
        let mut eps = Endpoints::default();
        eps.learn(at("127.0.0.1:6380"), false);
        eps.learn(at("127.0.0.1:40000"), false);
        let udp = frame(17, 40000, 6380, b"hi");
        // Another program's TCP on the same port numbers is not ours.
        let tcp = frame(6, 40000, 6380, b"");
        // Nor UDP from a port the lesson never held.
        let other = frame(17, 40001, 6380, b"pw");
        for (f, ours) in [(udp, true), (tcp, false), (other, false)] {
            assert_eq!(eps.owns(&crate::dissect::dissect(&f)), ours);
            assert_eq!(eps.owns_frame(&f), ours, "the fast path agrees");
        }
    }
}

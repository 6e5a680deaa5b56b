//! Which system calls are socket calls, and how their arguments and results
//! read: addresses decoded, data as bytes, errors by errno name.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// The system calls a traced program stops at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sc {
    Socket,
    Socketpair,
    Bind,
    Listen,
    Accept,
    Accept4,
    Connect,
    Sendto,
    Recvfrom,
    Sendmsg,
    Recvmsg,
    Sendmmsg,
    Recvmmsg,
    Shutdown,
    Setsockopt,
    Getsockopt,
    Getsockname,
    Getpeername,
    Read,
    Write,
    Close,
    Poll,
    Ppoll,
    Select,
    Pselect6,
    EpollWait,
    EpollPwait,
}

/// Every traced call with its number on this architecture.
pub fn table() -> Vec<(i64, Sc)> {
    use libc::*;
    #[allow(unused_mut)]
    let mut t = vec![
        (SYS_socket, Sc::Socket),
        (SYS_socketpair, Sc::Socketpair),
        (SYS_bind, Sc::Bind),
        (SYS_listen, Sc::Listen),
        (SYS_accept, Sc::Accept),
        (SYS_accept4, Sc::Accept4),
        (SYS_connect, Sc::Connect),
        (SYS_sendto, Sc::Sendto),
        (SYS_recvfrom, Sc::Recvfrom),
        (SYS_sendmsg, Sc::Sendmsg),
        (SYS_recvmsg, Sc::Recvmsg),
        (SYS_sendmmsg, Sc::Sendmmsg),
        (SYS_recvmmsg, Sc::Recvmmsg),
        (SYS_shutdown, Sc::Shutdown),
        (SYS_setsockopt, Sc::Setsockopt),
        (SYS_getsockopt, Sc::Getsockopt),
        (SYS_getsockname, Sc::Getsockname),
        (SYS_getpeername, Sc::Getpeername),
        (SYS_read, Sc::Read),
        (SYS_write, Sc::Write),
        (SYS_close, Sc::Close),
        (SYS_ppoll, Sc::Ppoll),
        (SYS_pselect6, Sc::Pselect6),
        (SYS_epoll_pwait, Sc::EpollPwait),
    ];
    #[cfg(target_arch = "x86_64")]
    t.extend([
        (SYS_poll, Sc::Poll),
        (SYS_select, Sc::Select),
        (SYS_epoll_wait, Sc::EpollWait),
    ]);
    t.into_iter().collect()
}

impl Sc {
    pub fn name(self) -> &'static str {
        match self {
            Sc::Socket => "socket",
            Sc::Socketpair => "socketpair",
            Sc::Bind => "bind",
            Sc::Listen => "listen",
            Sc::Accept => "accept",
            Sc::Accept4 => "accept4",
            Sc::Connect => "connect",
            Sc::Sendto => "sendto",
            Sc::Recvfrom => "recvfrom",
            Sc::Sendmsg => "sendmsg",
            Sc::Recvmsg => "recvmsg",
            Sc::Sendmmsg => "sendmmsg",
            Sc::Recvmmsg => "recvmmsg",
            Sc::Shutdown => "shutdown",
            Sc::Setsockopt => "setsockopt",
            Sc::Getsockopt => "getsockopt",
            Sc::Getsockname => "getsockname",
            Sc::Getpeername => "getpeername",
            Sc::Read => "read",
            Sc::Write => "write",
            Sc::Close => "close",
            Sc::Poll => "poll",
            Sc::Ppoll => "ppoll",
            Sc::Select => "select",
            Sc::Pselect6 => "pselect6",
            Sc::EpollWait => "epoll_wait",
            Sc::EpollPwait => "epoll_pwait",
        }
    }

    /// Calls whose first argument is a socket descriptor; they are recorded
    /// only when it is one (read, write and close are everywhere).
    /// A call that can put a datagram on the wire.
    pub fn sends_data(self) -> bool {
        matches!(self, Sc::Sendto | Sc::Sendmsg | Sc::Sendmmsg | Sc::Write)
    }

    pub fn only_on_sockets(self) -> bool {
        matches!(self, Sc::Read | Sc::Write | Sc::Close)
    }

    pub fn is_wait(self) -> bool {
        matches!(
            self,
            Sc::Poll | Sc::Ppoll | Sc::Select | Sc::Pselect6 | Sc::EpollWait | Sc::EpollPwait
        )
    }

    /// What the call does, in a sentence, for the transcript's semantics.
    pub fn meaning(self) -> &'static str {
        match self {
            Sc::Socket => {
                "creates a socket: an endpoint the kernel keeps for this process. Nothing goes on the wire; the kernel only hands back a descriptor number."
            }
            Sc::Socketpair => {
                "creates two sockets connected to each other inside the kernel; nothing goes on the wire."
            }
            Sc::Bind => {
                "gives the socket its local address and port. Nothing goes on the wire: from now on the kernel delivers what arrives for this port to this socket."
            }
            Sc::Listen => {
                "turns a TCP socket into a listening one: the kernel will answer SYNs to its port and queue finished connections until accept() takes them. Nothing goes on the wire."
            }
            Sc::Accept | Sc::Accept4 => {
                "takes a finished connection from the listening socket's queue (waiting for one if none is there) and returns a new socket for it. The handshake was already done by the kernel."
            }
            Sc::Connect => {
                "on a TCP socket starts the three-way handshake and waits for it to finish; on a UDP socket only records the default peer (nothing is sent)."
            }
            Sc::Sendto | Sc::Sendmsg | Sc::Sendmmsg => {
                "hands data to the kernel: for UDP each call becomes one datagram; for TCP the bytes join the stream and the kernel decides how to cut it into segments."
            }
            Sc::Recvfrom | Sc::Recvmsg | Sc::Recvmmsg => {
                "takes received data from the socket's queue, waiting if it is empty. Nothing goes on the wire for it, though a TCP receiver's kernel may send a window update after it."
            }
            Sc::Shutdown => {
                "ends one or both directions of a connection; shutting down writing sends a FIN."
            }
            Sc::Setsockopt => "changes a socket option; nothing goes on the wire.",
            Sc::Getsockopt => "reads a socket option; nothing goes on the wire.",
            Sc::Getsockname => "asks which local address and port the socket has.",
            Sc::Getpeername => "asks which address the socket is connected to.",
            Sc::Read => "reads from a socket, as recv() with no flags.",
            Sc::Write => "writes to a socket, as send() with no flags.",
            Sc::Close => {
                "releases the descriptor; for a TCP socket that was its last reference the kernel sends a FIN (or a RST if unread data was left)."
            }
            _ => {
                "waits until one of the descriptors is ready (or a timeout): the program sleeps here; nothing goes on the wire."
            }
        }
    }
}

/// `ECONNREFUSED`, or the number when it is not one of these.
pub fn errno_name(e: i32) -> String {
    use libc::*;
    let name = match e {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        EINTR => "EINTR",
        EBADF => "EBADF",
        EAGAIN => "EAGAIN",
        ENOMEM => "ENOMEM",
        EACCES => "EACCES",
        EFAULT => "EFAULT",
        EINVAL => "EINVAL",
        EMFILE => "EMFILE",
        EPIPE => "EPIPE",
        ENOTSOCK => "ENOTSOCK",
        EDESTADDRREQ => "EDESTADDRREQ",
        EMSGSIZE => "EMSGSIZE",
        EPROTOTYPE => "EPROTOTYPE",
        ENOPROTOOPT => "ENOPROTOOPT",
        EPROTONOSUPPORT => "EPROTONOSUPPORT",
        EOPNOTSUPP => "EOPNOTSUPP",
        EAFNOSUPPORT => "EAFNOSUPPORT",
        EADDRINUSE => "EADDRINUSE",
        EADDRNOTAVAIL => "EADDRNOTAVAIL",
        ENETDOWN => "ENETDOWN",
        ENETUNREACH => "ENETUNREACH",
        ECONNABORTED => "ECONNABORTED",
        ECONNRESET => "ECONNRESET",
        ENOBUFS => "ENOBUFS",
        EISCONN => "EISCONN",
        ENOTCONN => "ENOTCONN",
        ETIMEDOUT => "ETIMEDOUT",
        ECONNREFUSED => "ECONNREFUSED",
        EHOSTUNREACH => "EHOSTUNREACH",
        EALREADY => "EALREADY",
        EINPROGRESS => "EINPROGRESS",
        512 => "ERESTARTSYS",
        513 => "ERESTARTNOINTR",
        514 => "ERESTARTNOHAND",
        516 => "ERESTART_RESTARTBLOCK",
        _ => return format!("errno {e}"),
    };
    let text = std::io::Error::from_raw_os_error(e).to_string();
    let text = text.split(" (os error").next().unwrap_or("").to_string();
    if e >= 512 {
        name.to_string()
    } else {
        format!("{name} ({text})")
    }
}

/// A decoded socket address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addr {
    Ip(SocketAddr),
    Unix(String),
    Other(u16),
}

impl Addr {
    pub fn ip(&self) -> Option<SocketAddr> {
        match self {
            Addr::Ip(a) => Some(*a),
            _ => None,
        }
    }
}

impl std::fmt::Display for Addr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Addr::Ip(SocketAddr::V4(a)) => write!(f, "(\"{}\", {})", a.ip(), a.port()),
            Addr::Ip(SocketAddr::V6(a)) => write!(f, "(\"{}\", {})", a.ip(), a.port()),
            Addr::Unix(p) => write!(f, "{p:?}"),
            Addr::Other(fam) => write!(f, "{{family {}}}", family_name(i32::from(*fam))),
        }
    }
}

/// Decode a `struct sockaddr` as the kernel wrote or read it.
pub fn sockaddr(b: &[u8]) -> Option<Addr> {
    let family = u16::from_ne_bytes([*b.first()?, *b.get(1)?]);
    match i32::from(family) {
        libc::AF_INET => {
            let port = u16::from_be_bytes([*b.get(2)?, *b.get(3)?]);
            let ip = Ipv4Addr::new(*b.get(4)?, *b.get(5)?, *b.get(6)?, *b.get(7)?);
            Some(Addr::Ip(SocketAddr::V4(SocketAddrV4::new(ip, port))))
        }
        libc::AF_INET6 => {
            let port = u16::from_be_bytes([*b.get(2)?, *b.get(3)?]);
            let octets: [u8; 16] = b.get(8..24)?.try_into().ok()?;
            let scope = u32::from_ne_bytes(b.get(24..28)?.try_into().ok()?);
            Some(Addr::Ip(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(octets),
                port,
                0,
                scope,
            ))))
        }
        libc::AF_UNIX => {
            let path = b.get(2..).unwrap_or_default();
            let end = path.iter().position(|&c| c == 0).unwrap_or(path.len());
            Some(Addr::Unix(
                String::from_utf8_lossy(&path[..end]).into_owned(),
            ))
        }
        _ => Some(Addr::Other(family)),
    }
}

pub fn family_name(f: i32) -> String {
    match f {
        libc::AF_UNIX => "AF_UNIX".into(),
        libc::AF_INET => "AF_INET".into(),
        libc::AF_INET6 => "AF_INET6".into(),
        libc::AF_NETLINK => "AF_NETLINK".into(),
        libc::AF_PACKET => "AF_PACKET".into(),
        other => other.to_string(),
    }
}

pub fn type_name(t: i32) -> String {
    let mut s = match t & 0xf {
        libc::SOCK_STREAM => "SOCK_STREAM".to_string(),
        libc::SOCK_DGRAM => "SOCK_DGRAM".to_string(),
        libc::SOCK_RAW => "SOCK_RAW".to_string(),
        other => other.to_string(),
    };
    if t & libc::SOCK_CLOEXEC != 0 {
        s.push_str("|SOCK_CLOEXEC");
    }
    if t & libc::SOCK_NONBLOCK != 0 {
        s.push_str("|SOCK_NONBLOCK");
    }
    s
}

pub fn shutdown_how(h: u64) -> &'static str {
    match h as i32 {
        libc::SHUT_RD => "SHUT_RD",
        libc::SHUT_WR => "SHUT_WR",
        libc::SHUT_RDWR => "SHUT_RDWR",
        _ => "?",
    }
}

/// `SOL_SOCKET, SO_REUSEADDR` and friends.
pub fn sockopt_name(level: i32, name: i32) -> String {
    let n = match (level, name) {
        (libc::SOL_SOCKET, libc::SO_REUSEADDR) => "SO_REUSEADDR",
        (libc::SOL_SOCKET, libc::SO_REUSEPORT) => "SO_REUSEPORT",
        (libc::SOL_SOCKET, libc::SO_BROADCAST) => "SO_BROADCAST",
        (libc::SOL_SOCKET, libc::SO_RCVBUF) => "SO_RCVBUF",
        (libc::SOL_SOCKET, libc::SO_SNDBUF) => "SO_SNDBUF",
        (libc::SOL_SOCKET, libc::SO_RCVTIMEO) => "SO_RCVTIMEO",
        (libc::SOL_SOCKET, libc::SO_SNDTIMEO) => "SO_SNDTIMEO",
        (libc::SOL_SOCKET, libc::SO_KEEPALIVE) => "SO_KEEPALIVE",
        (libc::SOL_SOCKET, libc::SO_LINGER) => "SO_LINGER",
        (libc::SOL_SOCKET, libc::SO_ERROR) => "SO_ERROR",
        (libc::SOL_SOCKET, libc::SO_TYPE) => "SO_TYPE",
        (libc::IPPROTO_TCP, libc::TCP_NODELAY) => "TCP_NODELAY",
        (libc::IPPROTO_TCP, libc::TCP_QUICKACK) => "TCP_QUICKACK",
        (libc::IPPROTO_IPV6, libc::IPV6_V6ONLY) => "IPV6_V6ONLY",
        _ => return format!("{level}, {name}"),
    };
    let l = match level {
        libc::SOL_SOCKET => "SOL_SOCKET",
        libc::IPPROTO_TCP => "IPPROTO_TCP",
        libc::IPPROTO_IPV6 => "IPPROTO_IPV6",
        _ => return format!("{level}, {n}"),
    };
    format!("{l}, {n}")
}

/// Bytes as Python writes them, cut at `max` with the full length said.
pub fn bytes_text(data: &[u8], len: usize) -> String {
    let mut s = crate::text::py_bytes(data);
    if len > data.len() {
        s.push_str(&format!("… ({len} bytes)"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_decode() {
        let mut sin = vec![0u8; 16];
        sin[..2].copy_from_slice(&(libc::AF_INET as u16).to_ne_bytes());
        sin[2..4].copy_from_slice(&5000u16.to_be_bytes());
        sin[4..8].copy_from_slice(&[127, 0, 0, 1]);
        assert_eq!(sockaddr(&sin).unwrap().to_string(), "(\"127.0.0.1\", 5000)");
        assert_eq!(sockaddr(&sin[..3]), None);
        let mut sun = (libc::AF_UNIX as u16).to_ne_bytes().to_vec();
        sun.extend_from_slice(b"/tmp/x\0junk");
        assert_eq!(sockaddr(&sun), Some(Addr::Unix("/tmp/x".into())));
        assert!(sockaddr(&[]).is_none());
    }

    #[test]
    fn errno_names() {
        assert_eq!(
            errno_name(libc::ECONNREFUSED),
            "ECONNREFUSED (Connection refused)"
        );
        assert_eq!(errno_name(9999), "errno 9999");
    }

    #[test]
    fn the_table_has_every_socket_call_once() {
        let t = table();
        for (i, (n, _)) in t.iter().enumerate() {
            assert!(t[i + 1..].iter().all(|(m, _)| m != n));
        }
        assert!(t.iter().any(|(_, s)| *s == Sc::Sendto));
    }
}

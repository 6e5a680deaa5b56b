//! One model of what socket calls do to an actor's sockets: which socket a
//! call uses, what a `close` takes, what a second `accept` does, where
//! `to: reply` goes and which calls wait. `lesson::check` walks the plan
//! through it to predict each step; `live::exec` and `annotate` ask it the
//! same questions about the calls they make and explain.
//!
//! The state is one struct per actor (not one vector per fact), so that an
//! actor holding several connections, actors on several hosts, or actors
//! whose calls are observed rather than planned can each get their own
//! socket list here without touching the rules' callers.

use std::net::{IpAddr, SocketAddr};

use crate::plan::{Call, Transport};

/// Where something happened in the lesson: the step number and its line.
pub type At = (usize, u64);

/// Which socket of an actor a `close` took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    Socket,
    Listener,
    Connection,
}

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Closed::Socket => "its socket",
            Closed::Listener => "its listening socket",
            Closed::Connection => "its connection",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpVersion {
    V4,
    V6,
}

impl IpVersion {
    pub fn of(ip: IpAddr) -> IpVersion {
        if ip.is_ipv6() {
            IpVersion::V6
        } else {
            IpVersion::V4
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            IpVersion::V4 => "IPv4",
            IpVersion::V6 => "IPv6",
        }
    }
}

/// What one actor's sockets hold at a point of the lesson.
#[derive(Debug, Clone, Default)]
pub struct ActorSockets {
    /// Its socket has an address (bind, connect, or a first sendto).
    pub bound: bool,
    pub connected: bool,
    pub listening: bool,
    /// Holds a connection `accept` returned (one today; see `accept`).
    pub accepted: bool,
    /// The socket exists only because `setsockopt` made it.
    pub made: bool,
    /// Where its TCP connect was expected to fail: that socket cannot
    /// connect again.
    pub failed_connect: Option<At>,
    /// Where it first listens in the lesson (known before the walk).
    pub first_listen: Option<At>,
    /// The IP version of its socket once it exists, and what fixed it (a
    /// socket is IPv4 or IPv6 for life).
    pub family: Option<(IpVersion, String)>,
    /// The address it holds from its `bind`, with the step that bound it.
    pub holds: Option<(SocketAddr, usize, u64)>,
    /// SO_REUSEADDR is set, which may let two sockets share a port.
    pub reuseaddr: bool,
    /// Its latest `close` and what it took.
    pub closed: Option<(usize, u64, Closed)>,
    /// Where it shut down its sending side: no `send` after that.
    pub shut_write: Option<At>,
    /// It has received with `recvfrom`, so `to: reply` has someone to answer.
    pub heard: bool,
    /// Where its socket got its address (step, line, call), while open: a
    /// socket is bound once.
    pub addressed: Option<(usize, u64, &'static str)>,
    /// Finished connections waiting in its listen queue for `accept`.
    pub waiting: usize,
    /// Connects expected to time out (a full queue): the kernel keeps
    /// resending their SYN, so they may still arrive for a later `accept`.
    pub maybe_waiting: usize,
}

impl ActorSockets {
    /// Whether the actor has any socket open for a `close` to take.
    pub fn has_socket(&self) -> bool {
        self.bound || self.connected || self.listening || self.accepted || self.made
    }

    /// A second `accept` while a connection is held: the actor holds one
    /// connection, so the old one is closed (it sends FIN).
    pub fn accept_drops_connection(&self) -> bool {
        self.accepted
    }

    /// Take what a `close` takes and forget what goes with it.
    pub fn close(&mut self, transport: Option<Transport>, listener: bool, at: At) -> Closed {
        self.made = false;
        let what = close_takes(transport, listener, self.accepted);
        match what {
            Closed::Listener => {
                self.listening = false;
                self.bound = false;
                self.waiting = 0;
                self.maybe_waiting = 0;
                self.addressed = None;
            }
            Closed::Connection => {
                self.accepted = false;
                self.connected = false;
            }
            Closed::Socket => {
                self.bound = false;
                self.connected = false;
                self.listening = false;
                self.addressed = None;
            }
        }
        self.shut_write = None;
        // A new socket comes with the next connect: it may connect again.
        self.failed_connect = None;
        // Closing an accepted connection leaves the listener holding the port.
        if what != Closed::Connection {
            self.holds = None;
        }
        self.closed = Some((at.0, at.1, what));
        what
    }
}

/// What a `close` takes: a UDP actor's only socket; a TCP actor's listener
/// when the step says `socket: listener`; else the connection `accept`
/// returned when it holds one, or its one socket.
pub fn close_takes(transport: Option<Transport>, listener: bool, holds_connection: bool) -> Closed {
    if transport == Some(Transport::Udp) {
        Closed::Socket
    } else if listener {
        Closed::Listener
    } else if holds_connection {
        Closed::Connection
    } else {
        Closed::Socket
    }
}

/// Calls that wait for the network (so they have a timeout, which counts
/// toward the lesson's total wait): accept, receives, and a TCP connect.
pub fn blocks(call: &Call, transport: Option<Transport>) -> bool {
    match call {
        Call::Accept | Call::Recv { .. } | Call::RecvFrom { .. } => true,
        Call::Connect { .. } => transport == Some(Transport::Tcp),
        _ => false,
    }
}

/// Where `to: reply` goes: whoever the actor's last `recvfrom` heard from,
/// as an echo server answers `sendto(data, addr)`.
pub fn reply_to(last_from: Option<SocketAddr>) -> Option<SocketAddr> {
    last_from
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Peer, ShutdownHow};

    #[test]
    fn close_takes_the_connection_first_then_the_socket() {
        assert_eq!(
            close_takes(Some(Transport::Udp), false, false),
            Closed::Socket
        );
        assert_eq!(
            close_takes(Some(Transport::Udp), true, true),
            Closed::Socket
        );
        assert_eq!(
            close_takes(Some(Transport::Tcp), true, true),
            Closed::Listener
        );
        assert_eq!(
            close_takes(Some(Transport::Tcp), false, true),
            Closed::Connection
        );
        assert_eq!(
            close_takes(Some(Transport::Tcp), false, false),
            Closed::Socket
        );
    }

    #[test]
    fn closing_a_connection_keeps_the_listener_and_its_port() {
        let addr: SocketAddr = "127.0.0.1:50007".parse().unwrap();
        let mut s = ActorSockets {
            bound: true,
            listening: true,
            accepted: true,
            connected: true,
            holds: Some((addr, 1, 10)),
            shut_write: Some((4, 14)),
            ..Default::default()
        };
        assert!(s.accept_drops_connection());
        assert_eq!(
            s.close(Some(Transport::Tcp), false, (5, 15)),
            Closed::Connection
        );
        assert!(s.listening && s.bound && !s.connected && !s.accepted);
        assert_eq!(s.holds, Some((addr, 1, 10)));
        assert_eq!(s.shut_write, None);
        assert!(!s.accept_drops_connection());
        assert_eq!(
            s.close(Some(Transport::Tcp), true, (6, 16)),
            Closed::Listener
        );
        assert!(!s.has_socket());
        assert_eq!(s.holds, None);
        assert_eq!(s.closed, Some((6, 16, Closed::Listener)));
    }

    #[test]
    fn a_closed_socket_may_connect_again() {
        let mut s = ActorSockets {
            connected: true,
            bound: true,
            failed_connect: Some((2, 9)),
            ..Default::default()
        };
        assert_eq!(
            s.close(Some(Transport::Tcp), false, (3, 10)),
            Closed::Socket
        );
        assert_eq!(s.failed_connect, None);
        assert!(!s.has_socket());
    }

    #[test]
    fn only_waiting_calls_block() {
        let tcp = Some(Transport::Tcp);
        let udp = Some(Transport::Udp);
        let connect = Call::Connect { to: Peer::Actor(0) };
        assert!(blocks(&Call::Accept, tcp));
        assert!(blocks(&Call::Recv { max: 1 }, tcp));
        assert!(blocks(&Call::RecvFrom { max: 1 }, udp));
        assert!(blocks(&connect, tcp));
        assert!(!blocks(&connect, udp));
        assert!(!blocks(&Call::Bind, tcp));
        assert!(!blocks(
            &Call::Shutdown {
                how: ShutdownHow::Write
            },
            tcp
        ));
        assert!(!blocks(
            &Call::Send {
                data: vec![1],
                all: true
            },
            tcp
        ));
    }

    #[test]
    fn reply_goes_to_the_last_sender_heard() {
        let a: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        assert_eq!(reply_to(Some(a)), Some(a));
        assert_eq!(reply_to(None), None);
    }
}

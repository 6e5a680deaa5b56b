//! One model of what socket calls do to an actor's sockets: which socket a
//! call uses, what a `close` takes, what a second `accept` does, where
//! `to: reply` goes and which calls wait. `lesson::check` walks the plan
//! through it to predict each step; `live::exec` and `annotate` ask it the
//! same questions about the calls they make and explain.
//!
//! The state is one struct per actor (not one vector per fact), and an
//! actor's accepted connections are kept by name (`Connections`), so that an
//! actor holding several connections, actors on several hosts, or actors
//! whose calls are observed rather than planned fit here without touching
//! the rules' callers. An `accept` without `as:` uses the unnamed one, which
//! is why a second such `accept` drops the first; named ones (`as: alice`)
//! stay open side by side, and later calls pick one with `on: alice`.

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

/// The name of one of an actor's accepted connections: what `as:` gave it,
/// or the unnamed one (`ConnName::default()`) of an `accept` without `as:`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnName(pub String);

/// What an `accept` did to the connections its actor held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted<T> {
    /// The new connection is held beside any others.
    Added,
    /// A connection was held under the same name: like a program that keeps
    /// it in one variable, the actor loses its only reference to the old
    /// one, and dropping the last reference to a socket closes it (FIN).
    Replaced(T),
}

/// An actor's accepted connections by name, in the order they were
/// accepted. `T` is what a stage keeps of one: `check` where it was
/// accepted, `exec` the socket, `annotate` the peer's address.
#[derive(Debug, Clone)]
pub struct Connections<T> {
    held: Vec<(ConnName, T)>,
}

impl<T> Default for Connections<T> {
    fn default() -> Self {
        Connections { held: Vec::new() }
    }
}

impl<T> Connections<T> {
    /// Hold `conn` under `name`, and say what became of the one held there.
    pub fn accept(&mut self, name: ConnName, conn: T) -> Accepted<T> {
        match self.held.iter_mut().find(|(n, _)| *n == name) {
            Some((_, slot)) => Accepted::Replaced(std::mem::replace(slot, conn)),
            None => {
                self.held.push((name, conn));
                Accepted::Added
            }
        }
    }

    /// Whether an `accept` under `name` would drop a connection.
    pub fn would_replace(&self, name: &ConnName) -> bool {
        self.get(name).is_some()
    }

    pub fn get(&self, name: &ConnName) -> Option<&T> {
        self.held.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    /// Let go of the connection under `name` (a `close`).
    pub fn take(&mut self, name: &ConnName) -> Option<T> {
        let at = self.held.iter().position(|(n, _)| n == name)?;
        Some(self.held.remove(at).1)
    }

    /// Let go of every connection, oldest first.
    pub fn take_all(&mut self) -> Vec<T> {
        self.held.drain(..).map(|(_, c)| c).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.held.iter().map(|(_, c)| c)
    }

    /// The names held, oldest first.
    pub fn names(&self) -> impl Iterator<Item = &ConnName> {
        self.held.iter().map(|(n, _)| n)
    }
}

impl ConnName {
    /// The name a planned step gives (`PlannedStep::conn`): `""` is the
    /// unnamed connection.
    pub fn of(name: &str) -> ConnName {
        ConnName(name.to_string())
    }

    pub fn is_named(&self) -> bool {
        !self.0.is_empty()
    }
}

/// What fixed a socket's IP version: the address it was bound to, or the
/// first destination it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MadeFor {
    Address(IpAddr),
    FirstDestination(IpAddr),
}

impl std::fmt::Display for MadeFor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MadeFor::Address(ip) => write!(f, "made for its address {ip}"),
            MadeFor::FirstDestination(ip) => write!(f, "made for its first destination, {ip}"),
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
    /// The connections `accept` returned, with where each was accepted.
    pub connections: Connections<At>,
    /// The socket exists only because `setsockopt` made it.
    pub made: bool,
    /// Where its TCP connect was expected to fail: that socket cannot
    /// connect again.
    pub failed_connect: Option<At>,
    /// Where it first listens in the lesson (known before the walk).
    pub first_listen: Option<At>,
    /// The IP version of its socket once it exists, and what fixed it (a
    /// socket is IPv4 or IPv6 for life).
    pub family: Option<(IpVersion, MadeFor)>,
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
    /// The actors whose connections those are, oldest first: `accept`
    /// takes them in that order.
    pub queue: Vec<usize>,
    /// Connects expected to time out (a full queue): the kernel keeps
    /// resending their SYN, so they may still arrive for a later `accept`.
    pub maybe_waiting: usize,
    /// Named connections it closed, with where: `on:` may not use them.
    pub closed_names: Vec<(ConnName, At)>,
    /// Named connections whose sending side it shut down, with where.
    pub shut_names: Vec<(ConnName, At)>,
}

impl ActorSockets {
    /// Whether the actor has any socket open for a `close` to take.
    pub fn has_socket(&self) -> bool {
        self.bound || self.connected || self.listening || !self.connections.is_empty() || self.made
    }

    /// Whether the actor holds a connection `accept` returned.
    pub fn holds_connection(&self) -> bool {
        !self.connections.is_empty()
    }

    /// An `accept` into the connection called `name`: what it does to the
    /// one held there, if any.
    pub fn accept(&mut self, name: ConnName, at: At) -> Accepted<At> {
        self.connected = true;
        if name.is_named() {
            self.closed_names.retain(|(n, _)| *n != name);
            self.shut_names.retain(|(n, _)| *n != name);
        } else {
            self.shut_write = None;
        }
        self.connections.accept(name, at)
    }

    /// Take what a `close` takes (of the connection called `conn`, when it
    /// closes one) and forget what goes with it.
    pub fn close(
        &mut self,
        transport: Option<Transport>,
        listener: bool,
        conn: &ConnName,
        at: At,
    ) -> Closed {
        self.made = false;
        let what = close_takes(transport, listener, self.connections.get(conn).is_some());
        if what == Closed::Connection && conn.is_named() {
            self.connections.take(conn);
            self.connected = !self.connections.is_empty();
            self.shut_names.retain(|(n, _)| n != conn);
            self.closed_names.push((conn.clone(), at));
            self.closed = Some((at.0, at.1, what));
            return what;
        }
        match what {
            Closed::Listener => {
                self.listening = false;
                self.bound = false;
                self.waiting = 0;
                self.queue.clear();
                self.maybe_waiting = 0;
                self.addressed = None;
            }
            Closed::Connection => {
                self.connections.take(&ConnName::default());
                self.connected = !self.connections.is_empty();
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

/// Whether a call puts frames on the wire by itself (so a checkpoint can ask
/// about them): sends, a TCP connect, and a TCP close or shutdown of a
/// connection. Binding, listening, accepting (the kernels did the
/// handshake), options and reads send nothing; nor does anything UDP but a
/// datagram; nor closing a listener (unless connections wait, which a
/// lesson cannot foresee).
pub fn puts_frames(call: &str, transport: Option<Transport>, listener: bool) -> bool {
    match call {
        "bind" | "listen" | "accept" | "setsockopt" | "recv" | "recvfrom" | "sleep" => false,
        "connect" | "shutdown" => transport != Some(Transport::Udp),
        "close" => transport != Some(Transport::Udp) && !listener,
        _ => true,
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
            holds: Some((addr, 1, 10)),
            ..Default::default()
        };
        assert_eq!(s.accept(ConnName::default(), (3, 13)), Accepted::Added);
        s.shut_write = Some((4, 14));
        assert_eq!(
            s.close(Some(Transport::Tcp), false, &ConnName::default(), (5, 15)),
            Closed::Connection
        );
        assert!(s.listening && s.bound && !s.connected && !s.holds_connection());
        assert_eq!(s.holds, Some((addr, 1, 10)));
        assert_eq!(s.shut_write, None);
        assert_eq!(
            s.close(Some(Transport::Tcp), true, &ConnName::default(), (6, 16)),
            Closed::Listener
        );
        assert!(!s.has_socket());
        assert_eq!(s.holds, None);
        assert_eq!(s.closed, Some((6, 16, Closed::Listener)));
    }

    #[test]
    fn a_second_accept_drops_the_connection_it_held() {
        let unnamed = ConnName::default;
        let mut s = ActorSockets::default();
        assert_eq!(s.accept(unnamed(), (3, 13)), Accepted::Added);
        assert_eq!(s.accept(unnamed(), (4, 14)), Accepted::Replaced((3, 13)));
        assert_eq!(s.connections.iter().collect::<Vec<_>>(), [&(4, 14)]);
        // Closing it leaves none to drop.
        s.close(Some(Transport::Tcp), false, &unnamed(), (5, 15));
        assert_eq!(s.accept(unnamed(), (6, 16)), Accepted::Added);
    }

    #[test]
    fn closing_one_named_connection_keeps_the_others() {
        let (a, b) = (ConnName::of("alice"), ConnName::of("bob"));
        let mut s = ActorSockets {
            bound: true,
            listening: true,
            ..Default::default()
        };
        assert_eq!(s.accept(a.clone(), (3, 13)), Accepted::Added);
        assert_eq!(s.accept(b.clone(), (4, 14)), Accepted::Added);
        assert_eq!(
            s.close(Some(Transport::Tcp), false, &a, (5, 15)),
            Closed::Connection
        );
        assert!(s.connected && s.listening);
        assert_eq!(s.connections.names().collect::<Vec<_>>(), [&b]);
        assert_eq!(s.closed_names, [(a.clone(), (5, 15))]);
        // A name closed may be given again by a later accept.
        s.accept(a.clone(), (6, 16));
        assert!(s.closed_names.is_empty());
        s.close(Some(Transport::Tcp), false, &a, (7, 17));
        s.close(Some(Transport::Tcp), false, &b, (8, 18));
        assert!(!s.connected && s.listening);
    }

    #[test]
    fn named_connections_are_held_side_by_side() {
        let a = ConnName("a".into());
        let b = ConnName("b".into());
        let mut held = Connections::default();
        assert_eq!(held.accept(a.clone(), 1), Accepted::Added);
        assert_eq!(held.accept(b.clone(), 2), Accepted::Added);
        assert!(held.would_replace(&a) && !held.would_replace(&ConnName::default()));
        assert_eq!(held.accept(a.clone(), 3), Accepted::Replaced(1));
        assert_eq!(held.take(&b), Some(2));
        assert_eq!(held.get(&a), Some(&3));
        assert_eq!(held.take_all(), [3]);
        assert!(held.is_empty());
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
            s.close(Some(Transport::Tcp), false, &ConnName::default(), (3, 10)),
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
    fn only_sends_and_tcp_connection_calls_put_frames() {
        let tcp = Some(Transport::Tcp);
        let udp = Some(Transport::Udp);
        for call in ["send", "sendall", "sendto"] {
            assert!(puts_frames(call, tcp, false) && puts_frames(call, udp, false));
        }
        assert!(puts_frames("connect", tcp, false) && !puts_frames("connect", udp, false));
        assert!(puts_frames("shutdown", tcp, false));
        assert!(puts_frames("close", tcp, false) && !puts_frames("close", tcp, true));
        assert!(!puts_frames("close", udp, false));
        for call in ["bind", "listen", "accept", "setsockopt", "recv", "recvfrom"] {
            assert!(!puts_frames(call, tcp, false), "{call}");
        }
    }

    #[test]
    fn reply_goes_to_the_last_sender_heard() {
        let a: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        assert_eq!(reply_to(Some(a)), Some(a));
        assert_eq!(reply_to(None), None);
    }
}

//! From the registers at a call's exit to a recorded `Call`: its
//! arguments and data decoded, its result named.

use super::*;

impl Tracer {
    pub(super) fn decode(
        &mut self,
        pid: i32,
        tgid: i32,
        program: usize,
        p: &Pending,
        r: &Regs,
        end_ns: u64,
    ) -> Call {
        let a = p.args;
        let ret = r.ret;
        let ok = !(-4095..0).contains(&ret);
        let fd = a[0] as i32 as i64;
        let mut data = None;
        let mut extra = String::new();
        let addr_at = |ptr: u64, len: u64| -> Option<Addr> {
            if ptr == 0 {
                return None;
            }
            decode::sockaddr(&regs::read_mem(pid, ptr, (len as usize).min(128)))
        };
        let addr_out = |ptr: u64, lenp: u64| -> Option<Addr> {
            if ptr == 0 || lenp == 0 {
                return None;
            }
            let len = regs::read_u32(pid, lenp)?;
            decode::sockaddr(&regs::read_mem(pid, ptr, (len as usize).min(128)))
        };
        let opt = |a: Option<Addr>| a.map_or("None".to_string(), |a| a.to_string());
        let mut sock = self.sockets.get(&(tgid, fd)).copied();
        let mut peer_seen = None;
        let sent = |n: u64| if ok { (ret as u64).min(n) } else { n };
        let args = match p.sc {
            Sc::Socket => {
                if ok {
                    self.sockets.insert(
                        (tgid, ret),
                        Sock {
                            family: a[0] as i32,
                            stype: a[1] as i32,
                            local: None,
                            peer: None,
                        },
                    );
                }
                return self.finish(
                    pid,
                    program,
                    p,
                    ret,
                    end_ns,
                    ret,
                    format!(
                        "socket({}, {}, {})",
                        decode::family_name(a[0] as i32),
                        decode::type_name(a[1] as i32),
                        a[2] as i32
                    ),
                    None,
                    None,
                );
            }
            Sc::Socketpair => {
                let v = regs::read_mem(pid, a[3], 8);
                if ok && v.len() == 8 {
                    for c in v.chunks(4) {
                        let f = i32::from_ne_bytes([c[0], c[1], c[2], c[3]]) as i64;
                        self.sockets.insert(
                            (tgid, f),
                            Sock {
                                family: a[0] as i32,
                                stype: a[1] as i32,
                                local: None,
                                peer: None,
                            },
                        );
                    }
                }
                format!(
                    "socketpair({}, {}, {})",
                    decode::family_name(a[0] as i32),
                    decode::type_name(a[1] as i32),
                    a[2] as i32
                )
            }
            Sc::Bind => format!("bind({fd}, {})", opt(addr_at(a[1], a[2]))),
            Sc::Connect => {
                let to = addr_at(a[1], a[2]);
                peer_seen = to.as_ref().and_then(Addr::ip);
                format!("connect({fd}, {})", opt(to))
            }
            Sc::Listen => format!("listen({fd}, {})", a[1] as i32),
            Sc::Accept | Sc::Accept4 => {
                let from = if ok { addr_out(a[1], a[2]) } else { None };
                if ok {
                    let parent = sock.unwrap_or(Sock {
                        family: libc::AF_INET,
                        stype: libc::SOCK_STREAM,
                        local: None,
                        peer: None,
                    });
                    self.sockets.insert(
                        (tgid, ret),
                        Sock {
                            peer: from.as_ref().and_then(Addr::ip),
                            ..parent
                        },
                    );
                    extra = format!(" {}", opt(from));
                }
                if p.sc == Sc::Accept4 {
                    format!("accept4({fd}, flags={:#x})", a[3])
                } else {
                    format!("accept({fd})")
                }
            }
            Sc::Sendto | Sc::Write => {
                let len = sent(a[2]);
                let want = (len as usize).min(DATA_CAP);
                let (bytes, to) = if let Some(t) = &p.taken {
                    let mut bytes = t.data.clone();
                    bytes.truncate(want);
                    (bytes, decode::sockaddr(&t.to))
                } else if p.sc == Sc::Sendto && a[4] != 0 {
                    let (bytes, addr) =
                        regs::read_two(pid, (a[1], want), (a[4], (a[5] as usize).min(128)));
                    (bytes, decode::sockaddr(&addr))
                } else {
                    (regs::read_mem(pid, a[1], want), None)
                };
                let text = decode::bytes_text(&bytes, len as usize);
                data = Some(bytes);
                peer_seen = to.as_ref().and_then(Addr::ip);
                match (p.sc, to) {
                    (Sc::Write, _) => format!("write({fd}, {text}, {})", a[2]),
                    (_, Some(to)) => format!("sendto({fd}, {text}, {}, {:#x}, {to})", a[2], a[3]),
                    _ => format!("sendto({fd}, {text}, {}, {:#x}, None)", a[2], a[3]),
                }
            }
            Sc::Recvfrom | Sc::Read => {
                if ok && ret > 0 {
                    let bytes = regs::read_mem(pid, a[1], (ret as usize).min(DATA_CAP));
                    extra = format!(" {}", decode::bytes_text(&bytes, ret as usize));
                    data = Some(bytes);
                } else if ok {
                    extra = " (end of stream: the peer closed its side)".into();
                }
                if p.sc == Sc::Read {
                    format!("read({fd}, {})", a[2])
                } else {
                    let from = if ok { addr_out(a[4], a[5]) } else { None };
                    if let Some(f) = &from {
                        extra.push_str(&format!(" from {f}"));
                    }
                    format!("recvfrom({fd}, {}, {:#x})", a[2], a[3])
                }
            }
            Sc::Sendmsg | Sc::Recvmsg => {
                let (bytes, name) = msghdr(pid, a[1], if ok { ret.max(0) as usize } else { 0 });
                let name = name.map(|n| n.to_string()).unwrap_or_else(|| "None".into());
                if p.sc == Sc::Sendmsg {
                    peer_seen = None;
                    let text =
                        decode::bytes_text(&bytes, if ok { ret as usize } else { bytes.len() });
                    data = Some(bytes);
                    format!("sendmsg({fd}, {text}, {name}, {:#x})", a[2])
                } else {
                    if ok {
                        extra =
                            format!(" {} from {name}", decode::bytes_text(&bytes, ret as usize));
                        data = Some(bytes);
                    }
                    format!("recvmsg({fd}, {:#x})", a[2])
                }
            }
            Sc::Sendmmsg => format!("sendmmsg({fd}, vlen={}, {:#x})", a[2], a[3]),
            Sc::Recvmmsg => format!("recvmmsg({fd}, vlen={}, {:#x})", a[2], a[3]),
            Sc::Shutdown => format!("shutdown({fd}, {})", decode::shutdown_how(a[1])),
            Sc::Setsockopt => {
                let v = if a[4] == 4 {
                    regs::read_u32(pid, a[3]).map(|v| v.to_string())
                } else {
                    None
                };
                format!(
                    "setsockopt({fd}, {}, {})",
                    decode::sockopt_name(a[1] as i32, a[2] as i32),
                    v.unwrap_or_else(|| format!("<{} bytes>", a[4]))
                )
            }
            Sc::Getsockopt => {
                if ok && regs::read_u32(pid, a[4]) == Some(4) {
                    extra = format!(" value {}", regs::read_u32(pid, a[3]).unwrap_or(0));
                }
                format!(
                    "getsockopt({fd}, {})",
                    decode::sockopt_name(a[1] as i32, a[2] as i32)
                )
            }
            Sc::Getsockname | Sc::Getpeername => {
                if ok {
                    extra = format!(" {}", opt(addr_out(a[1], a[2])));
                }
                format!("{}({fd})", p.sc.name())
            }
            Sc::Close => {
                self.sockets.remove(&(tgid, fd));
                format!("close({fd})")
            }
            Sc::Poll | Sc::Ppoll => {
                let n = (a[1] as usize).min(64);
                let fds = regs::read_mem(pid, a[0], n * 8);
                let mut shown = Vec::new();
                for c in fds.chunks_exact(8) {
                    let f = i32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
                    let revents = i16::from_ne_bytes([c[6], c[7]]);
                    let events = i16::from_ne_bytes([c[4], c[5]]);
                    shown.push(format!(
                        "{{fd={f}, events={}, revents={}}}",
                        poll_bits(events),
                        poll_bits(revents)
                    ));
                }
                format!("{}([{}], {})", p.sc.name(), shown.join(", "), a[1])
            }
            Sc::Select | Sc::Pselect6 => format!("{}({}, …)", p.sc.name(), a[0] as i32),
            Sc::EpollWait | Sc::EpollPwait => format!(
                "{}({fd}, maxevents={}, timeout={})",
                p.sc.name(),
                a[2] as i32,
                a[3] as i32
            ),
        };
        // Where the socket now is, asked of the kernel through a copy of the
        // program's descriptor (a bind to port 0, an implicit bind on the
        // first sendto, the ephemeral port of a connect). After a bind or a
        // connect the kernel's answer wins: a connect retried after a
        // refusal takes a new port. Port 0 is no address yet (a bind that
        // failed).
        if let Some(s) = sock.as_mut()
            && (s.local.is_none_or(|l| l.port() == 0) || matches!(p.sc, Sc::Bind | Sc::Connect))
            && matches!(
                p.sc,
                Sc::Bind | Sc::Connect | Sc::Sendto | Sc::Sendmsg | Sc::Listen | Sc::Write
            )
            && matches!(s.family, libc::AF_INET | libc::AF_INET6)
        {
            let (local, peer) = match &p.taken {
                Some(t) => (t.local, t.peer),
                None => names(pid, tgid, fd),
            };
            s.local = local.filter(|l| l.port() != 0).or(s.local);
            s.peer = peer.or(s.peer);
            self.sockets.insert((tgid, fd), *s);
        }
        if matches!(p.sc, Sc::Accept | Sc::Accept4) && ok {
            let (local, peer) = names(pid, tgid, ret);
            if let Some(s) = self.sockets.get_mut(&(tgid, ret)) {
                s.local = local.or(s.local);
                s.peer = peer.or(s.peer);
            }
            sock = self.sockets.get(&(tgid, ret)).copied();
        }
        let mut call = self.finish(pid, program, p, ret, end_ns, fd, args, data, sock);
        if !extra.is_empty() && call.ok {
            call.result.push_str(&extra);
        }
        if call.peer.is_none() {
            call.peer = peer_seen;
        }
        call
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn finish(
        &self,
        pid: i32,
        program: usize,
        p: &Pending,
        ret: i64,
        end_ns: u64,
        fd: i64,
        args: String,
        data: Option<Vec<u8>>,
        sock: Option<Sock>,
    ) -> Call {
        let ok = !(-4095..0).contains(&ret);
        let sock = sock.or_else(|| {
            self.sockets
                .get(&(self.tasks.get(&pid).map_or(pid, |t| t.0), fd))
                .copied()
        });
        Call {
            pid,
            program,
            sc: p.sc,
            fd,
            args,
            result: if ok {
                ret.to_string()
            } else {
                format!("-1 {}", decode::errno_name((-ret) as i32))
            },
            ok,
            ret,
            start_ns: p.start_ns,
            end_ns,
            data,
            local: sock.and_then(|s| s.local),
            peer: sock.and_then(|s| s.peer),
            transport: sock.map(|s| match s.stype & 0xf {
                libc::SOCK_STREAM => "tcp",
                libc::SOCK_DGRAM => "udp",
                _ => "other",
            }),
        }
    }
}

//! A pcap file of ordinary TCP traffic, of any size: bulk transfers over
//! Ethernet with a 1500-byte MTU, as a client downloading files from a
//! server would put on the wire. Four connections run at a time, each a
//! handshake (MSS, SACK permitted, timestamps, window scale), a request,
//! a response of 100 KB to 2 MB in 1448-byte segments acknowledged every
//! second segment, and a FIN exchange. Sequence and acknowledgment numbers,
//! TCP timestamps, IP identifications and both checksums are what a Linux
//! sender would write, so tshark reads it as ordinary TCP (no expert
//! warnings). Payload bytes are pseudo-random, like the compressed or
//! encrypted data most transfers carry, on a port no dissector claims (the first byte of each segment below
//! 0x80, which no heuristic dissector of tshark takes for its protocol).

#![allow(dead_code)]

use std::io::{self, Write};

pub const SERVER_PORT: u16 = 40123;
const MSS: usize = 1448;
const CLIENT_MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
const SERVER_MAC: [u8; 6] = [0x52, 0x54, 0x00, 0xab, 0xcd, 0xef];
const CLIENT_IP: [u8; 4] = [192, 168, 1, 20];
const SERVER_IP: [u8; 4] = [192, 168, 1, 10];

/// What was written.
pub struct Written {
    pub bytes: u64,
    pub frames: u64,
    pub connections: u64,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Phase {
    Syn,
    SynAck,
    Ack,
    Request,
    Data,
    FinalAck,
    ServerFin,
    ClientFin,
    LastAck,
    Done,
}

/// One side's sequence state.
struct End {
    seq: u32,
    ip_id: u16,
    ts: u32,
}

struct Conn {
    client_port: u16,
    phase: Phase,
    client: End,
    server: End,
    /// Response bytes still to send, and segments sent since the last ACK.
    left: usize,
    unacked: u32,
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH: u8 = 0x08;
const FIN: u8 = 0x01;

impl Conn {
    fn new(rng: &mut Rng, client_port: u16, ts: u32, responses: (usize, usize)) -> Conn {
        Conn {
            client_port,
            phase: Phase::Syn,
            client: End {
                seq: rng.next() as u32,
                ip_id: rng.next() as u16,
                ts,
            },
            server: End {
                seq: rng.next() as u32,
                ip_id: rng.next() as u16,
                ts: ts.wrapping_add(rng.next() as u32 % 100_000),
            },
            left: responses.0 + (rng.next() % (responses.1 - responses.0).max(1) as u64) as usize,
            unacked: 0,
        }
    }

    /// The next frame of this connection, or false when it is over.
    fn next(&mut self, rng: &mut Rng, ms: u32, out: &mut Vec<u8>) -> bool {
        let mut payload = [0u8; MSS];
        let (from_client, flags, len) = match self.phase {
            Phase::Done => return false,
            Phase::Syn => (true, SYN, 0),
            Phase::SynAck => (false, SYN | ACK, 0),
            Phase::Ack => (true, ACK, 0),
            Phase::Request => (true, PSH | ACK, 120),
            Phase::Data if self.unacked == 2 => (true, ACK, 0),
            Phase::Data => {
                let n = self.left.min(MSS);
                let last = n == self.left;
                (false, if last { PSH | ACK } else { ACK }, n)
            }
            Phase::FinalAck => (true, ACK, 0),
            Phase::ServerFin => (false, FIN | ACK, 0),
            Phase::ClientFin => (true, FIN | ACK, 0),
            Phase::LastAck => (false, ACK, 0),
        };
        rng.fill(&mut payload[..len]);
        // tshark tries heuristic dissectors on a payload no port claims;
        // Thrift's claims a segment starting 0x80 or 0x82.
        if let Some(first) = payload[..len].first_mut() {
            *first &= 0x7f;
        }
        let (me, peer) = if from_client {
            (&mut self.client, &mut self.server)
        } else {
            (&mut self.server, &mut self.client)
        };
        me.ts = me.ts.max(ms);
        let ack = if flags & ACK != 0 { peer.seq } else { 0 };
        let echo = if flags == SYN { 0 } else { peer.ts };
        let (sport, dport) = if from_client {
            (self.client_port, SERVER_PORT)
        } else {
            (SERVER_PORT, self.client_port)
        };
        let (smac, dmac, sip, dip) = if from_client {
            (CLIENT_MAC, SERVER_MAC, CLIENT_IP, SERVER_IP)
        } else {
            (SERVER_MAC, CLIENT_MAC, SERVER_IP, CLIENT_IP)
        };
        let mut opts = Vec::with_capacity(20);
        if flags & SYN != 0 {
            opts.extend_from_slice(&[2, 4, 0x05, 0xb4, 4, 2, 8, 10]);
        } else {
            opts.extend_from_slice(&[1, 1, 8, 10]);
        }
        opts.extend_from_slice(&me.ts.to_be_bytes());
        opts.extend_from_slice(&echo.to_be_bytes());
        if flags & SYN != 0 {
            opts.extend_from_slice(&[1, 3, 3, 7]);
        }
        // Before the handshake completes the window is not scaled.
        let window: u16 = if flags & SYN != 0 { 64240 } else { 501 };
        frame(
            out,
            (smac, dmac),
            (sip, dip),
            me.ip_id,
            (sport, dport),
            (me.seq, ack, flags, window),
            &opts,
            &payload[..len],
        );
        me.ip_id = me.ip_id.wrapping_add(1);
        let used = len as u32 + u32::from(flags & (SYN | FIN) != 0);
        me.seq = me.seq.wrapping_add(used);
        self.phase = match self.phase {
            Phase::Syn => Phase::SynAck,
            Phase::SynAck => Phase::Ack,
            Phase::Ack => Phase::Request,
            Phase::Request => Phase::Data,
            Phase::Data if from_client => {
                self.unacked = 0;
                Phase::Data
            }
            Phase::Data => {
                self.left -= len;
                self.unacked += 1;
                if self.left == 0 {
                    Phase::FinalAck
                } else {
                    Phase::Data
                }
            }
            Phase::FinalAck => Phase::ServerFin,
            Phase::ServerFin => Phase::ClientFin,
            Phase::ClientFin => Phase::LastAck,
            Phase::LastAck | Phase::Done => Phase::Done,
        };
        true
    }
}

fn sum16(mut acc: u32, bytes: &[u8]) -> u32 {
    let mut chunks = bytes.chunks_exact(2);
    for c in &mut chunks {
        acc += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        acc += u32::from(*last) << 8;
    }
    acc
}

fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// An Ethernet + IPv4 + TCP frame with correct checksums.
#[allow(clippy::too_many_arguments)]
fn frame(
    out: &mut Vec<u8>,
    (smac, dmac): ([u8; 6], [u8; 6]),
    (sip, dip): ([u8; 4], [u8; 4]),
    ip_id: u16,
    (sport, dport): (u16, u16),
    (seq, ack, flags, window): (u32, u32, u8, u16),
    opts: &[u8],
    payload: &[u8],
) {
    out.clear();
    out.extend_from_slice(&dmac);
    out.extend_from_slice(&smac);
    out.extend_from_slice(&[0x08, 0x00]);
    let tcp_len = 20 + opts.len() + payload.len();
    let total = 20 + tcp_len;
    let ip = out.len();
    out.extend_from_slice(&[0x45, 0]);
    out.extend_from_slice(&(total as u16).to_be_bytes());
    out.extend_from_slice(&ip_id.to_be_bytes());
    out.extend_from_slice(&[0x40, 0, 64, 6, 0, 0]);
    out.extend_from_slice(&sip);
    out.extend_from_slice(&dip);
    let c = fold(sum16(0, &out[ip..ip + 20]));
    out[ip + 10..ip + 12].copy_from_slice(&c.to_be_bytes());
    let tcp = out.len();
    out.extend_from_slice(&sport.to_be_bytes());
    out.extend_from_slice(&dport.to_be_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&ack.to_be_bytes());
    out.push(((20 + opts.len()) as u8 / 4) << 4);
    out.push(flags);
    out.extend_from_slice(&window.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(opts);
    out.extend_from_slice(payload);
    let mut pseudo = [0u8; 12];
    pseudo[..4].copy_from_slice(&sip);
    pseudo[4..8].copy_from_slice(&dip);
    pseudo[9] = 6;
    pseudo[10..12].copy_from_slice(&(tcp_len as u16).to_be_bytes());
    let c = fold(sum16(sum16(0, &pseudo), &out[tcp..]));
    out[tcp + 16..tcp + 18].copy_from_slice(&c.to_be_bytes());
}

/// Write at least `size` bytes of pcap (microsecond timestamps, Ethernet)
/// to `w`, ending with whole connections.
pub fn write(w: &mut impl Write, size: u64) -> io::Result<Written> {
    write_with(w, size, (100_000, 2_000_000))
}

/// As `write`, with responses of `responses.0` to `responses.1` bytes.
pub fn write_with(w: &mut impl Write, size: u64, responses: (usize, usize)) -> io::Result<Written> {
    write_header(w)?;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // 2026-01-05 09:00:00 UTC, then about 12 µs a frame (1 Gb/s).
    let mut us: u64 = 1_767_603_600_000_000;
    let mut written = Written {
        bytes: 24,
        frames: 0,
        connections: 0,
    };
    let mut next_port: u16 = 49_152;
    let mut conns: Vec<Conn> = Vec::new();
    let mut buf = Vec::with_capacity(1600);
    let mut turn = 0usize;
    loop {
        while written.bytes < size && conns.len() < 4 {
            conns.push(Conn::new(
                &mut rng,
                next_port,
                (us / 1000) as u32,
                responses,
            ));
            next_port = if next_port == u16::MAX {
                49_152
            } else {
                next_port + 1
            };
            written.connections += 1;
        }
        if conns.is_empty() {
            break;
        }
        turn = (turn + 1) % conns.len();
        if !conns[turn].next(&mut rng, (us / 1000) as u32, &mut buf) {
            conns.swap_remove(turn);
            continue;
        }
        write_record(w, us, &buf)?;
        written.bytes += 16 + buf.len() as u64;
        written.frames += 1;
        us += 12;
    }
    Ok(written)
}

/// The pcap file header: microsecond timestamps, Ethernet.
fn write_header(w: &mut impl Write) -> io::Result<()> {
    let mut header = Vec::with_capacity(24);
    header.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&4u16.to_le_bytes());
    header.extend_from_slice(&[0; 8]);
    header.extend_from_slice(&65535u32.to_le_bytes());
    header.extend_from_slice(&1u32.to_le_bytes());
    w.write_all(&header)
}

/// One frame's record, stamped `us` microseconds after the epoch.
fn write_record(w: &mut impl Write, us: u64, frame: &[u8]) -> io::Result<()> {
    let mut rec = Vec::with_capacity(16);
    rec.extend_from_slice(&((us / 1_000_000) as u32).to_le_bytes());
    rec.extend_from_slice(&((us % 1_000_000) as u32).to_le_bytes());
    rec.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    rec.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    w.write_all(&rec)?;
    w.write_all(frame)
}

/// A pcap where each of `flows` frames is a new flow (a scan, or hours of
/// DNS): every other one a TCP SYN to port 80, the others a UDP datagram
/// to port 5000, each from an address and port of its own.
pub fn write_flows(w: &mut impl Write, flows: u32) -> io::Result<()> {
    write_header(w)?;
    let mut buf = Vec::with_capacity(64);
    for i in 0..flows {
        let [_, a, b, c] = i.to_be_bytes();
        let ips = ([10, a, b, c], [10, 255, 0, 1]);
        let port = (1024 + i % 60_000) as u16;
        if i % 2 == 0 {
            frame(
                &mut buf,
                (CLIENT_MAC, SERVER_MAC),
                ips,
                i as u16,
                (port, 80),
                (i, 0, 0x02, 64_240),
                &[],
                &[],
            );
        } else {
            buf.clear();
            buf.extend_from_slice(&SERVER_MAC);
            buf.extend_from_slice(&CLIENT_MAC);
            buf.extend_from_slice(&[0x08, 0x00, 0x45, 0, 0, 32]);
            buf.extend_from_slice(&(i as u16).to_be_bytes());
            buf.extend_from_slice(&[0x40, 0, 64, 17, 0, 0]);
            buf.extend_from_slice(&ips.0);
            buf.extend_from_slice(&ips.1);
            let c = fold(sum16(0, &buf[14..34]));
            buf[24..26].copy_from_slice(&c.to_be_bytes());
            // UDP, no checksum (0: none, as IPv4 allows).
            buf.extend_from_slice(&port.to_be_bytes());
            buf.extend_from_slice(&[0x13, 0x88, 0, 12, 0, 0]);
            buf.extend_from_slice(b"data");
        }
        write_record(w, u64::from(i) * 1000, &buf)?;
    }
    Ok(())
}

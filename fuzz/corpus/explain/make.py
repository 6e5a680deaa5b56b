#!/usr/bin/env python3
"""Writes the capture files of this corpus but tcp-basics.pcapng (see
README.md) from the frames of lesson runs, exported as JSON:

    for l in http-get dns-query ipv6-basics udp-unreachable arp-basics; do
        netcourse run lesson $l -q --export /tmp/x/$l.json
    done
    python3 make.py /tmp/x

Each frame's bytes and timestamp are the run's; only the link header (for
SLL, SLL2, raw IP and null) and the file format around them are made here.
"""

import json
import struct
import sys
from pathlib import Path


def frames(dir, lesson):
    t = json.loads((Path(dir) / f"{lesson}.json").read_text())
    return [
        (e["timestamp_ns"], bytes.fromhex(e["data_hex"]))
        for e in t["events"]
        if e["kind"] == "frame"
    ]


def relink(link, eth):
    """The packet of an Ethernet frame behind another link header."""
    ethertype, ip = eth[12:14], eth[14:]
    if link == 1:
        return eth
    if link == 113:  # SLL: unicast to us, ARPHRD_LOOPBACK, 6-byte address
        return struct.pack(">HHH8s", 0, 772, 6, b"") + ethertype + ip
    if link == 276:  # SLL2: protocol, ifindex 1, ARPHRD_LOOPBACK, outgoing
        return ethertype + struct.pack(">HIHBB8s", 0, 1, 772, 4, 6, b"") + ip
    if link == 101:  # raw IP
        return ip
    if link == 0:  # BSD loopback (null): AF_INET(6) in the writer's order
        family = 2 if ethertype == b"\x08\x00" else 10
        return struct.pack("<I", family) + ip
    if link == 108:  # OpenBSD loop: AF_ in network order
        return struct.pack(">I", 2 if ethertype == b"\x08\x00" else 24) + ip
    raise ValueError(link)


def pcap(link, frames, big=False, nanos=False, snap=None):
    """A classic pcap; `snap` cuts frames longer than it (caplen < len)."""
    o = ">" if big else "<"
    out = struct.pack(
        o + "IHHiIII", 0xA1B23C4D if nanos else 0xA1B2C3D4, 2, 4, 0, 0, 262144, link
    )
    for ts, f in frames:
        f = relink(link, f)
        frac = ts % 10**9 if nanos else ts % 10**9 // 1000
        cap = f[:snap] if snap else f
        out += struct.pack(o + "IIII", ts // 10**9, frac, len(cap), len(f)) + cap
    return out


def block(kind, body):
    body += b"\0" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack("<II", kind, n) + body + struct.pack("<I", n)


def option(code, value):
    return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def shb():
    return block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))


def idb(link, tsresol=None):
    opts = option(9, bytes([tsresol])) + option(0, b"") if tsresol is not None else b""
    return block(1, struct.pack("<HHI", link, 0, 262144) + opts)


def epb(iface, ts, f, comment=None):
    body = struct.pack("<IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(f), len(f)) + f
    body += b"\0" * (-len(body) % 4)
    if comment:
        body += option(1, comment.encode()) + option(0, b"")
    return block(6, body)


def main(dir):
    here = Path(__file__).parent

    # SLL2 in a pcapng with nanosecond stamps: an HTTP GET in two segments.
    out = shb() + idb(276, 9)
    for ts, f in frames(dir, "http-get"):
        out += epb(0, ts, relink(276, f))
    (here / "http-get-sll2.pcapng").write_bytes(out)

    # SLL in a big-endian pcap with nanosecond stamps: DNS over UDP.
    (here / "dns-query-sll.pcap").write_bytes(
        pcap(113, frames(dir, "dns-query"), big=True, nanos=True)
    )

    # Raw IP: IPv6 UDP, ICMPv6 port unreachable, TCP.
    (here / "ipv6-basics-raw.pcap").write_bytes(pcap(101, frames(dir, "ipv6-basics")))

    # BSD loopback (null): UDP and the ICMP port unreachable it caused.
    (here / "udp-unreachable-null.pcap").write_bytes(
        pcap(0, frames(dir, "udp-unreachable"))
    )

    # Ethernet: ARP request and reply, then UDP, every frame cut at 44
    # bytes (the ARP ones are 42, whole; the UDP ones are 47: caplen < len).
    (here / "arp-basics-truncated.pcap").write_bytes(
        pcap(1, frames(dir, "arp-basics"), snap=44)
    )

    # Two interfaces (Ethernet with nanosecond stamps, OpenBSD loop with
    # the default microseconds) and every packet block: Enhanced (with a
    # comment), obsolete Packet, Simple; a Name Resolution Block to skip.
    (udp_ts, udp), (icmp_ts, icmp) = frames(dir, "udp-unreachable")
    out = shb() + idb(1, 9) + idb(108)
    nrb = struct.pack("<HH4s", 1, 16, b"\x7f\0\0\x01") + b"localhost\0\0\0"
    out += block(4, nrb + option(0, b""))
    out += epb(0, udp_ts, udp, "a datagram to a port nobody listens on")
    out += epb(1, icmp_ts // 1000, relink(108, icmp))
    out += block(3, struct.pack("<I", len(udp)) + udp)
    looped, us = relink(108, icmp), icmp_ts // 1000
    pb = struct.pack("<HHIIII", 1, 0, us >> 32, us & 0xFFFFFFFF, len(looped), len(looped))
    out += block(2, pb + looped)
    (here / "two-links.pcapng").write_bytes(out)


if __name__ == "__main__":
    main(sys.argv[1])

#!/usr/bin/env python3
"""Reference captures: the tutorial's programs, run as plain programs in a
fresh network namespace and captured with dumpcap, so a lesson's frames can
be compared with what the same calls do outside netcourse.

    python3 tests/reference/capture.py tcp-basics|tcp-delayed-ack|tcp-nagle [--out ref.pcap] [--json]

Prints one line per TCP frame: `client>server FLAGS LEN +MS` (flags named
FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, AE from the lowest bit up, as
netcourse's transcript lists them; +MS is milliseconds since the previous
frame). With --json, a list of {src, dst, flags, len, time_ns}.

How: the script re-runs itself under `unshare -rn` (a user + network
namespace of its own: no other traffic, and its own port 50007), brings `lo`
up with an ioctl, starts `dumpcap -i lo -w -` and reads its pcap stream live.
It waits, without sleeping, until a marker datagram it sends shows up in the
stream (dumpcap is capturing), runs the server, starts the client once the
server printed that it listens, waits for both to exit, then sends a second
marker and stops dumpcap once that one is read: every frame of the exchange
came before it. Markers are left out of the output and of --out. A frame a
timer sends after both programs exited is not waited for; the scenarios here
owe none (the last frame, the client's ACK of the server's FIN, leaves at
once), and the output would show a missing frame as a difference.
Needs python3, unshare (util-linux) and dumpcap (wireshark-common), and a
kernel that allows unprivileged user namespaces. tshark is not needed."""

import fcntl
import json
import os
import select
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MARKER = b"reference-marker:"

SCENARIOS = {
    # The calls of lessons/tcp-basics.yaml: four questions, the last "bye".
    "tcp-basics": {
        "server": ["dict_server.py"],
        "client": ["dict_client.py"],
        "stdin": "how are u\nhow old are u\nwhat is your name\nbye\n",
        "server_port": 50007,
    },
    # lessons/tcp-delayed-ack.yaml: the same client, a server that pauses.
    "tcp-delayed-ack": {
        "server": ["dack_server.py"],
        "client": ["dict_client.py"],
        "stdin": "how are u\nhow old are u\nwhat is your name\nbye\n",
        "server_port": 50007,
    },
    # lessons/tcp-nagle.yaml: write-write-read, then with TCP_NODELAY.
    "tcp-nagle": {
        "server": ["nagle_server.py"],
        "client": ["nagle_client.py"],
        "stdin": "",
        "server_port": 50007,
    },
}

FLAG_NAMES = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "AE"]


def lo_up():
    """SIOCGIFFLAGS / SIOCSIFFLAGS with IFF_UP on `lo`: no `ip` needed."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    req = struct.pack("16sh14x", b"lo", 0)
    flags = struct.unpack("16sh14x", fcntl.ioctl(s, 0x8913, req))[1]
    fcntl.ioctl(s, 0x8914, struct.pack("16sh14x", b"lo", flags | 0x1))
    s.close()


class PcapStream:
    """Reads dumpcap's pcap output as it arrives."""

    def __init__(self, pipe):
        self.fd = pipe.fileno()
        self.buf = b""
        self.header = None
        self.nanos = False
        self.records = []  # (ts_ns, raw record bytes incl. header, frame)

    def pump(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        chunk = os.read(self.fd, 65536)
        if not chunk:
            return False
        self.buf += chunk
        if self.header is None and len(self.buf) >= 24:
            self.header = self.buf[:24]
            magic = struct.unpack("<I", self.header[:4])[0]
            self.nanos = magic == 0xA1B23C4D
            self.buf = self.buf[24:]
        while self.header is not None and len(self.buf) >= 16:
            sec, frac, incl, _orig = struct.unpack("<IIII", self.buf[:16])
            if len(self.buf) < 16 + incl:
                break
            rec, frame = self.buf[: 16 + incl], self.buf[16 : 16 + incl]
            self.buf = self.buf[16 + incl :]
            ns = sec * 10**9 + (frac if self.nanos else frac * 1000)
            self.records.append((ns, rec, frame))
        return True


def udp_payload(frame):
    """The UDP payload of an Ethernet/IPv4 frame, else None."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
        return None
    ihl = (frame[14] & 0x0F) * 4
    return frame[14 + ihl + 8 :]


def tcp_of(frame):
    """(src port, dst port, flags, payload length) of an Ethernet/IPv4 TCP frame."""
    if len(frame) < 54 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return None
    ihl = (frame[14] & 0x0F) * 4
    total = struct.unpack("!H", frame[16:18])[0]
    tcp = frame[14 + ihl :]
    sport, dport = struct.unpack("!HH", tcp[:4])
    off = (tcp[12] >> 4) * 4
    flags = ((tcp[12] & 0x01) << 8) | tcp[13]
    return sport, dport, flags, total - ihl - off


def wait_for_marker(stream, sink, n, bound=5.0):
    """Send marker n until the capture shows it; True once it did."""
    deadline = time.monotonic() + bound
    want = MARKER + str(n).encode()
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    while time.monotonic() < deadline:
        tx.sendto(want, sink.getsockname())
        # Polls the pipe: returns as soon as dumpcap writes, else after 5 ms
        # sends the marker again (the first may predate the capture).
        stream.pump(0.005)
        if any(udp_payload(f) == want for _, _, f in stream.records):
            tx.close()
            return True
    tx.close()
    return False


def run_inside(name, out):
    sc = SCENARIOS[name]
    lo_up()
    dumpcap = subprocess.Popen(
        ["dumpcap", "-q", "-i", "lo", "-P", "-w", "-"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    stream = PcapStream(dumpcap.stdout)
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    if not wait_for_marker(stream, sink, 1):
        sys.exit("dumpcap did not start capturing within 5 s")
    py = sys.executable
    server = subprocess.Popen(
        [py, os.path.join(HERE, sc["server"][0])] + sc["server"][1:],
        stdout=subprocess.PIPE,
        text=True,
    )
    if not server.stdout.readline().startswith("port"):
        sys.exit("the server did not start listening")
    client = subprocess.run(
        [py, os.path.join(HERE, sc["client"][0])] + sc["client"][1:],
        input=sc["stdin"],
        text=True,
        timeout=10,
    )
    if server.wait(timeout=10) != 0 or client.returncode != 0:
        sys.exit("the server or the client failed")
    if not wait_for_marker(stream, sink, 2):
        sys.exit("the end marker never reached the capture")
    dumpcap.terminate()
    dumpcap.wait()

    frames = []
    kept = []
    for ns, rec, frame in stream.records:
        if udp_payload(frame) is not None and udp_payload(frame).startswith(MARKER):
            continue
        kept.append(rec)
        t = tcp_of(frame)
        if t is None:
            continue
        sport, dport, flags, length = t
        role = lambda p: "server" if p == sc["server_port"] else "client"
        names = [n for i, n in enumerate(FLAG_NAMES) if flags >> i & 1]
        frames.append(
            {
                "src": role(sport),
                "dst": role(dport),
                "flags": ",".join(names),
                "len": length,
                "time_ns": ns,
            }
        )
    if out:
        with open(out, "wb") as f:
            f.write(stream.header + b"".join(kept))
    return frames


def main():
    args = sys.argv[1:]
    as_json = "--json" in args
    out = None
    if "--out" in args:
        out = os.path.abspath(args[args.index("--out") + 1])
    names = [a for a in args if a in SCENARIOS]
    if len(names) != 1:
        sys.exit("usage: capture.py {%s} [--out FILE.pcap] [--json]" % "|".join(SCENARIOS))
    if os.environ.get("REFERENCE_INSIDE") != "1":
        env = dict(os.environ, REFERENCE_INSIDE="1")
        r = subprocess.run(["unshare", "-rn", sys.executable, __file__] + args, env=env)
        sys.exit(r.returncode)
    frames = run_inside(names[0], out)
    if as_json:
        print(json.dumps(frames))
        return
    prev = None
    for f in frames:
        gap = 0.0 if prev is None else (f["time_ns"] - prev) / 1e6
        prev = f["time_ns"]
        print(f"{f['src']}>{f['dst']} {f['flags']} {f['len']} +{gap:.3f}")


if __name__ == "__main__":
    main()

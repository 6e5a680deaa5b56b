"""Sends interrupted by signals (tests/trace_fast.rs).

A timer fires every 200 µs while a loop makes datagram sends through libc
(no retry on EINTR, as in C), with a handler installed without SA_RESTART
(Python's signal.signal): an untraced datagram send never returns EINTR,
so none may under trace. Then a TCP send that really waits (the send
buffer is full and the peer never reads) is interrupted by one alarm: that
one returns EINTR untraced, and must under trace too."""
import ctypes
import signal
import socket
import struct

libc = ctypes.CDLL(None, use_errno=True)
signal.signal(signal.SIGALRM, lambda *_: None)


def sockaddr(port):
    return ctypes.create_string_buffer(
        struct.pack("=H", socket.AF_INET)
        + struct.pack("!H4s8x", port, socket.inet_aton("127.0.0.1")),
        16,
    )


rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.bind(("127.0.0.1", 0))
rx.setblocking(False)
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
to = sockaddr(rx.getsockname()[1])
sent = eintr = other = 0
signal.setitimer(signal.ITIMER_REAL, 0.0002, 0.0002)
for i in range(1000):
    n = libc.sendto(tx.fileno(), b"tick", 4, 0, to, 16)
    if n == 4:
        sent += 1
    elif ctypes.get_errno() == 4:
        eintr += 1
    else:
        other += 1
    if i % 32 == 0:
        try:
            while True:
                rx.recv(16)
        except BlockingIOError:
            pass
signal.setitimer(signal.ITIMER_REAL, 0)
print(f"udp sent {sent} eintr {eintr} other {other}")

server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen()
client = socket.create_connection(server.getsockname())
peer, _ = server.accept()
client.setblocking(False)
try:
    while True:
        client.send(b"x" * 65536)
except BlockingIOError:
    pass
client.setblocking(True)
signal.setitimer(signal.ITIMER_REAL, 0.1)
n = libc.sendto(client.fileno(), b"more", 4, 0, sockaddr(server.getsockname()[1]), 16)
print("tcp blocked send", n, "EINTR" if n < 0 and ctypes.get_errno() == 4 else ctypes.get_errno())

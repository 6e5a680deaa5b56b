"""10,000 sendto calls to a socket of its own: the tracing-overhead benchmark
(`netcourse trace -q -- python3 examples/bench/sendto_10k.py` against the
same program alone)."""
import socket

rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.bind(("127.0.0.1", 0))
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
to = rx.getsockname()
for i in range(10_000):
    tx.sendto(b"x", to)

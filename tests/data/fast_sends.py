"""Datagram sends with an address, of every kind the tracer's fast path
takes or leaves to the program (tests/trace_fast.rs): each prints what it
got, and the transcript must say the same with the fast path and without."""
import ctypes
import os
import socket
import struct

libc = ctypes.CDLL(None, use_errno=True)


def attempt(what, send):
    try:
        send()
        print(what, "ok")
    except OSError as e:
        print(what, e.errno)


def raw(what, fd, data, addr):
    n = libc.sendto(fd, data, 5 if data is None else len(data), 0, addr, len(addr))
    print(what, n, 0 if n >= 0 else ctypes.get_errno())


rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.bind(("127.0.0.1", 0))
to = rx.getsockname()
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
attempt("one", lambda: tx.sendto(b"one", to))
attempt("big", lambda: tx.sendto(b"x" * 70000, to))

rx6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
rx6.bind(("::1", 0))
tx6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
attempt("six", lambda: tx6.sendto(b"six", rx6.getsockname()[:2]))

# A port nobody listens on: the first datagram draws an ICMP port
# unreachable, which the connected socket reports at its next send.
gone = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
gone.bind(("127.0.0.1", 0))
port = gone.getsockname()[1]
gone.close()
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.connect(("127.0.0.1", port))
attempt("first", lambda: c.sendto(b"a", ("127.0.0.1", port)))
attempt("refused", lambda: c.sendto(b"b", ("127.0.0.1", port)))

sin = struct.pack("=H", socket.AF_INET) + struct.pack("!H", to[1])
sin += socket.inet_aton("127.0.0.1") + bytes(8)
raw("nodata", tx.fileno(), None, sin)
raw("badfd", 99, b"x", sin)
with open("/dev/null", "rb") as f:
    raw("notsock", f.fileno(), b"x", sin)

# A Unix socket with a 16-byte address: its send resolves a path, which
# the fast path leaves to the program itself.
u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sun = struct.pack("=H", socket.AF_UNIX) + b"/nonexistent1\0"
raw("unix", u.fileno(), b"u", sun)

# A thread with a descriptor table of its own, where the number of the
# main thread's socket `s1` is another socket: its send leaves from its
# own socket.
import threading

rx2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx2.bind(("127.0.0.1", 0))
s1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s1.bind(("127.0.0.1", 0))


def own_table():
    assert libc.unshare(0x400) == 0  # CLONE_FILES
    number = s1.fileno()
    os.close(number)
    mine = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mine.bind(("127.0.0.1", 0))
    assert mine.fileno() == number
    mine.sendto(b"thread", rx2.getsockname())
    _, addr = rx2.recvfrom(100)
    print("thread sent from its own socket:", addr[1] == mine.getsockname()[1])


t = threading.Thread(target=own_table)
t.start()
t.join()

# A datagram built by two sends on a blocking socket (MSG_MORE, then the
# end): the fast path leaves both to the program (a send it tried without
# waiting and that failed for want of room would discard the first half).
rx3 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx3.bind(("127.0.0.1", 0))
tx3 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
tx3.sendto(b"he", socket.MSG_MORE, rx3.getsockname())
tx3.sendto(b"llo", rx3.getsockname())
print("corked", rx3.recv(100))

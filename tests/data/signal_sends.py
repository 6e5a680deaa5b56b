"""Sends interrupted by signals (tests/trace_fast.rs).

A timer fires every 200 µs while a loop makes datagram sends through libc
(no retry on EINTR, as in C), with a handler installed without SA_RESTART
(Python's signal.signal): an untraced datagram send never returns EINTR,
so none may under trace. Then a TCP send that really waits (the send
buffer is full and the peer never reads) is interrupted by a signal, then
by an ignored one and a handled one at once: it returns EINTR untraced,
and must under trace too."""
import ctypes
import signal
import socket
import struct
import threading
import time

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



def blocked_tcp_send(*signals):
    """A TCP send that waits (the peer never reads), interrupted by
    `signals` sent together once it waits; the result it got."""
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
    me = threading.get_native_id()
    main = threading.main_thread().ident
    done = threading.Event()

    def interrupt():
        # Once the send waits for room in the kernel (sendto is call 44 on
        # x86_64, and TCP waits in wait_woken; not while it waits for
        # netcourse to take its notification, where a signal makes the
        # call start again); after 5 s, drain the peer instead so that
        # nothing hangs.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not done.is_set():
            with open(f"/proc/self/task/{me}/syscall") as f:
                in_sendto = f.read().startswith("44 ")
            with open(f"/proc/self/task/{me}/wchan") as f:
                waiting = f.read() == "wait_woken"
            if in_sendto and waiting:
                for sig in signals:
                    signal.pthread_kill(main, sig)
                return
            time.sleep(0)
        peer.setblocking(False)
        try:
            while True:
                peer.recv(1 << 20)
        except BlockingIOError:
            pass

    helper = threading.Thread(target=interrupt)
    helper.start()
    n = libc.sendto(client.fileno(), b"more", 4, 0, sockaddr(server.getsockname()[1]), 16)
    errno = ctypes.get_errno()
    done.set()
    helper.join()
    return f"{n} EINTR" if n < 0 and errno == 4 else f"{n} {errno}"


signal.signal(signal.SIGUSR1, signal.SIG_IGN)
print("tcp blocked send, one signal:", blocked_tcp_send(signal.SIGALRM))
# An ignored signal first: the tracer stops at both in one delivery.
print("tcp blocked send, two signals:", blocked_tcp_send(signal.SIGUSR1, signal.SIGALRM))

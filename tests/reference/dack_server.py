"""tcp-delayed-ack's server as a plain program: the dictionary, answering the
first two questions at once and the last two after a 100 ms pause, with
TCP_QUICKACK set before the last question (the calls of
lessons/tcp-delayed-ack.yaml, in the same order)."""

import socket
import time

WORDS = {"how are u": "fine", "how old are u": "nicai"}

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 50007))
s.listen(1)
print("port", 50007, flush=True)
conn, addr = s.accept()
for question in range(4):
    data = conn.recv(1024)
    if question >= 2:
        time.sleep(0.1)
    conn.sendall(WORDS.get(data.decode(), "no").encode())
    if question == 2:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
assert conn.recv(1024) == b""
conn.close()
s.close()

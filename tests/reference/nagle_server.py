"""tcp-nagle's server as a plain program: it reads until it has the whole
question, then answers (the calls of lessons/tcp-nagle.yaml)."""

import socket

WORDS = {"how are u": "fine", "how old are u": "nicai"}
QUESTIONS = ["how are u", "how old are u", "what is your name"]

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 50007))
s.listen(1)
print("port", 50007, flush=True)
conn, addr = s.accept()
for question in QUESTIONS:
    data = b""
    while len(data) < len(question):
        data += conn.recv(1024)
    conn.sendall(WORDS.get(data.decode(), "no").encode())
assert conn.recv(1024) == b""
conn.close()
s.close()

"""The tutorial's dictionary server, in our own words: the same socket calls
in the same order as lessons/tcp-basics.yaml (bind, listen, accept, then
recv/sendall until the client closes, close the connection, close the
listener). It binds 127.0.0.1 like the lesson; the tutorial binds '' (every
address of the machine), which puts the same frames on `lo`."""

import socket
import sys

WORDS = {"how are u": "fine", "how old are u": "nicai"}
HOST, PORT = "127.0.0.1", 50007

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind((HOST, PORT))
s.listen(1)
# The harness starts the client when it reads this line: the server listens.
print("port", PORT, flush=True)
conn, addr = s.accept()
while True:
    data = conn.recv(1024)
    if not data:
        break
    conn.sendall(WORDS.get(data.decode(), "no").encode())
conn.close()
s.close()
sys.exit(0)

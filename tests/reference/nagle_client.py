"""tcp-nagle's client as a plain program: one question in one write, then
two questions each written in two pieces (write-write-read), the last with
TCP_NODELAY (the calls of lessons/tcp-nagle.yaml)."""

import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect(("127.0.0.1", 50007))
s.sendall(b"how are u")
s.recv(1024)
s.sendall(b"how old ")
s.sendall(b"are u")
s.recv(1024)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.sendall(b"what is ")
s.sendall(b"your name")
s.recv(1024)
s.close()

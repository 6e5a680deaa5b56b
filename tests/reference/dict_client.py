"""The tutorial's dictionary client, in our own words: connect, then for each
line on stdin sendall it and recv the answer, stop after "bye", close."""

import socket
import sys

HOST, PORT = "127.0.0.1", 50007

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((HOST, PORT))
for line in sys.stdin:
    c = line.rstrip("\n")
    s.sendall(c.encode())
    data = s.recv(1024)
    if c.lower() == "bye":
        break
s.close()

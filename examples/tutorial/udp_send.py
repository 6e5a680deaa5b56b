"""UDP sender: send each argument as one datagram to port 5000.

With no arguments it sends "hello" and then the receiver's stop word.
Written for netcourse from the socket tutorial's description.
"""
import socket
import sys

HOST, PORT = "127.0.0.1", 5000
messages = sys.argv[1:] or ["hello", "stop"]

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for m in messages:
    s.sendto(m.encode(), (HOST, PORT))
s.close()

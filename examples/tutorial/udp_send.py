"""UDP sender: send each argument as one datagram to port 5000.

With no arguments it sends "hello" and then the receiver's stop word.
`--to ADDRESS` first sends to another host than this one (on a lesson's
network: netcourse trace --lesson arp-basics ...).
Written for netcourse from the socket tutorial's description.
"""
import socket
import sys

HOST, PORT = "127.0.0.1", 5000
args = sys.argv[1:]
if args[:1] == ["--to"] and len(args) > 1:
    HOST, args = args[1], args[2:]
messages = args or ["hello", "stop"]

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for m in messages:
    s.sendto(m.encode(), (HOST, PORT))
s.close()

"""UDP receiver: listen on port 5000, show each datagram and who sent it.

Stops when a datagram holds the stop word (default "stop"), so a test can
end it. Written for netcourse from the socket tutorial's description.
"""
import socket
import sys

STOP = sys.argv[1] if len(sys.argv) > 1 else "stop"

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # IPv4, UDP
s.bind(("", 5000))  # "" = every local address of this machine
while True:
    data, addr = s.recvfrom(1024)
    text = data.decode()
    print(text, addr[1], addr[0])
    if text == STOP:
        break
s.close()

"""TCP dictionary client: send each line typed (or read from stdin) to the
server on port 50007 and print its answer; "bye" ends the session.
`--to ADDRESS` connects to a server on another host than this one.

Written for netcourse from the socket tutorial's description.
"""
import socket
import sys

HOST, PORT = "127.0.0.1", 50007
if sys.argv[1:2] == ["--to"] and len(sys.argv) > 2:
    HOST = sys.argv[2]

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.connect((HOST, PORT))
except OSError as e:
    print("cannot connect:", e)
    sys.exit(1)
while True:
    try:
        line = input()
    except EOFError:
        break
    s.sendall(line.encode())
    answer = s.recv(1024).decode()
    print("data", answer)
    if line.lower() == "bye":
        break
s.close()

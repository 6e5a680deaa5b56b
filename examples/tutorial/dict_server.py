"""TCP dictionary server on port 50007: answers a few known questions.

Serves one client; each received message is looked up and the answer
(or "no") sent back, until the client closes. Written for netcourse from
the socket tutorial's description.
"""
import socket

words = {
    "how are u": "fine",
    "how old are u": "nicai",
}
HOST, PORT = "", 50007

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind((HOST, PORT))
s.listen(1)
print("port", PORT)
conn, addr = s.accept()
print("addr", addr)
while True:
    data = conn.recv(1024)
    if not data:
        break
    question = data.decode()
    print("data", question)
    conn.sendall(words.get(question, "no").encode())
conn.close()
s.close()

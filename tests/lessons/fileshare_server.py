"""A student's file-sharing server, the exercise's steps in the protocol
'netkit fileshare get' speaks: accept a client, read the path it asks
for ("GET <path>" and a newline), check that the file exists in the
shared folder, and send it (status line, headers, blank line, bytes), or
send "404" saying that it does not exist. One request per connection.
--port 0: any free port, printed on the first line."""
import argparse
import hashlib
import os
import socket

parser = argparse.ArgumentParser(description="file-sharing server")
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--root", required=True)
args = parser.parse_args()

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", args.port))
listener.listen()
print("file server up on 127.0.0.1 port %d" % listener.getsockname()[1],
      flush=True)
while True:
    conn, peer = listener.accept()
    request = conn.makefile("rb").readline().decode().strip()
    verb, _, path = request.partition(" ")
    path = path.split(" ")[0]
    print("client %s asks for %r" % (peer, path), flush=True)
    full = os.path.join(args.root, path)
    if verb != "GET" or ".." in path.split("/") or not os.path.isfile(full):
        conn.sendall(b"404 %s does not exist\n\n" % path.encode())
        print("no such file: %s" % path, flush=True)
    else:
        with open(full, "rb") as f:
            data = f.read()
        head = ("200 ok\ntype: file\nsize: %d\noffset: 0\nlength: %d\n"
                "sha256: %s\n\n" % (len(data), len(data),
                                    hashlib.sha256(data).hexdigest()))
        conn.sendall(head.encode() + data)
        print("sent %d bytes of %s" % (len(data), path), flush=True)
    conn.close()

"""A student's TCP echo server, the lesson's shape: accept a client, read
once (up to 2048 bytes), send that back, close, wait for the next one.
--port 0 takes any free port; the port is printed on the first line."""
import argparse
import socket

parser = argparse.ArgumentParser(description="TCP echo server (one read)")
parser.add_argument("--port", type=int, required=True)
args = parser.parse_args()

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", args.port))
listener.listen(5)
print("echo server up on 127.0.0.1 port %d" % listener.getsockname()[1],
      flush=True)
while True:
    conn, peer = listener.accept()
    print("client from", peer, flush=True)
    got = conn.recv(2048)
    if got:
        print("got %d bytes: %r" % (len(got), got), flush=True)
        conn.sendall(got)
        print("sent them back", flush=True)
    conn.close()

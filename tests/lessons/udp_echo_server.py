"""A student's UDP echo server, the lesson's shape: recvfrom(2048), send
the datagram back to whoever sent it, forever. --port 0: any free port,
printed on the first line."""
import argparse
import socket

parser = argparse.ArgumentParser(description="UDP echo server")
parser.add_argument("--port", type=int, required=True)
args = parser.parse_args()

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", args.port))
print("udp echo server up on 127.0.0.1 port %d" % sock.getsockname()[1],
      flush=True)
while True:
    data, peer = sock.recvfrom(2048)
    print("%d bytes from %s: %r" % (len(data), peer, data), flush=True)
    if data:
        sent = sock.sendto(data, peer)
        print("%d bytes back to %s" % (sent, peer), flush=True)

"""A student's UDP echo client, the lesson's shape: one sendto, one
recvfrom(2048). Exit 0 when the reply equals the message."""
import argparse
import socket

parser = argparse.ArgumentParser(description="UDP echo client")
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--message", default="Hello, this is a test message!")
args = parser.parse_args()

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(5)
message = args.message.encode()
print("sending %r" % message, flush=True)
sock.sendto(message, ("127.0.0.1", args.port))
data, peer = sock.recvfrom(2048)
print("received %r from %s" % (data, peer), flush=True)
sock.close()
raise SystemExit(0 if data == message else 1)

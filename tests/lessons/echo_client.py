"""A student's TCP echo client, the lesson's shape: send one message,
then recv(16) in a loop until as many bytes came back as were sent.
Exit 0 when the echo equals the message."""
import argparse
import socket

parser = argparse.ArgumentParser(description="TCP echo client, recv(16)")
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--message", default="Test message. This will be echoed")
args = parser.parse_args()

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.settimeout(10)
sock.connect(("127.0.0.1", args.port))
message = args.message.encode()
print("sending %r" % message, flush=True)
sock.sendall(message)
echoed = b""
while len(echoed) < len(message):
    part = sock.recv(16)
    if not part:
        break
    print("received %r" % part, flush=True)
    echoed += part
sock.close()
print("echo matches" if echoed == message else "echo differs", flush=True)
raise SystemExit(0 if echoed == message else 1)

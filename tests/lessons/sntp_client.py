"""A student's raw SNTP client, the lesson's shape: a 48-byte request
whose first byte is 0x1b (version 3, mode 3), recvfrom(1024), unpack
twelve 32-bit words, word 10 is the transmit time's seconds since 1900.
Exit 0 when that time is within a minute of this machine's clock."""
import argparse
import socket
import struct
import time

SINCE_1900 = 2208988800

parser = argparse.ArgumentParser(description="raw SNTP client")
parser.add_argument("--port", type=int, default=123)
args = parser.parse_args()

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(5)
sock.sendto(b"\x1b" + 47 * b"\0", ("127.0.0.1", args.port))
data, peer = sock.recvfrom(1024)
print("answer of %d bytes from %s" % (len(data), peer), flush=True)
words = struct.unpack("!12I", data[:48])
when = words[10] - SINCE_1900
print("time: %s" % time.ctime(when), flush=True)
raise SystemExit(0 if len(data) == 48 and abs(when - time.time()) < 60 else 1)

"""A student's file-sharing client, the exercise's steps against
'netkit fileshare serve': send the path the user names, read the
server's status line, then its headers up to a blank line, then the
file's bytes, and save them where the user said; when the server says
the file does not exist, say so. Exit 0 when saved, 2 when the file
does not exist, 1 on anything else."""
import argparse
import socket

parser = argparse.ArgumentParser(description="file-sharing client")
parser.add_argument("--port", type=int, required=True)
parser.add_argument("path")
parser.add_argument("save_as")
args = parser.parse_args()

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.settimeout(10)
sock.connect(("127.0.0.1", args.port))
sock.sendall(("GET %s\n" % args.path).encode())
reply = sock.makefile("rb")
status = reply.readline().decode().rstrip("\r\n")
print("status: " + status, flush=True)
headers = {}
while True:
    line = reply.readline().decode().rstrip("\r\n")
    if line == "":
        break
    key, _, value = line.partition(": ")
    headers[key] = value
if status.startswith("404"):
    print("file %s does not exist" % args.path, flush=True)
    raise SystemExit(2)
if not status.startswith("200"):
    raise SystemExit(1)
data = reply.read(int(headers["length"]))
with open(args.save_as, "wb") as out:
    out.write(data)
print("saved %d bytes to %s" % (len(data), args.save_as), flush=True)
sock.close()
raise SystemExit(0 if len(data) == int(headers["length"]) else 1)

#!/usr/bin/env python3
"""Loopback peers for tests/cli/test_dest.sh.

  http-slow N      HTTP/1.0 200 with Content-Length N, 100 bytes of body,
                   then nothing (the connection held open): a transfer
                   that is still running when the test signals the client
  fs-get N CUT     a fileshare GET answer for an N-byte file (from the
                   offset asked for) whose body stops after CUT bytes: held open when --hold, else
                   closed (a transfer that breaks mid-way)
  fs-put-507       a fileshare PUT answer: "100 send the data", read
                   64 KiB of the upload, answer "507 no space left on
                   device" and close with the rest unread (the kernel
                   then resets the connection); --hold: keep it open
                   and read no more (a client that only sends waits)

Every server binds 127.0.0.1 on an ephemeral port and prints
"dest_peers: listening on ADDR" on stderr once bound (lib.sh's
nk_start_server waits for it). --log FILE appends one line per
connection with what the request line was. At most 50 connections; a
held connection is kept for 60 s at most. SIGTERM ends with status 0.
"""
import argparse
import hashlib
import signal
import socket
import sys
import threading
import time

MAX_CONNS = 50


def log(args, text):
    if args.log:
        with open(args.log, "a") as f:
            f.write(text + "\n")


def read_until(conn, marks, limit=65536):
    conn.settimeout(5)
    data = b""
    try:
        while not any(m in data for m in marks) and len(data) < limit:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    return data


def hold(conn):
    """Keep the connection open (60 s at most) without reading."""
    def run():
        time.sleep(60)
        conn.close()
    threading.Thread(target=run, daemon=True).start()


def http_slow(args, conn):
    req = read_until(conn, [b"\r\n\r\n", b"\n\n"])
    log(args, req.split(b"\r\n")[0].decode("latin-1"))
    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % args.n
                 + b"x" * 100)
    hold(conn)


def fs_get(args, conn):
    req = read_until(conn, [b"\n"])
    log(args, req.strip().decode("latin-1"))
    words = req.split()
    off = int(words[2]) if len(words) > 2 else 0
    body = bytes(i % 251 for i in range(args.n))
    sha = hashlib.sha256(body).hexdigest()
    conn.sendall(b"200 ok\ntype: file\nsize: %d\noffset: %d\nlength: %d\n"
                 b"sha256: %s\n\n" % (args.n, off, args.n - off, sha.encode())
                 + body[off:off + args.cut])
    if args.hold:
        hold(conn)
    else:
        conn.close()


def fs_put_507(args, conn):
    req = read_until(conn, [b"\n"])
    log(args, req.strip().decode("latin-1"))
    conn.sendall(b"100 send the data\n\n")
    got = 0
    conn.settimeout(5)
    try:
        while got < 65536:
            chunk = conn.recv(65536 - got)
            if not chunk:
                break
            got += len(chunk)
    except OSError:
        pass
    log(args, "received %d" % got)
    conn.sendall(b"507 no space left on device\n\n")
    if args.hold:
        hold(conn)  # open, and never read again: the client must stop
    else:
        conn.close()  # the rest unread: the kernel answers with a reset


def main():
    p = argparse.ArgumentParser(description="loopback peers for test_dest")
    p.add_argument("--log")
    p.add_argument("--hold", action="store_true")
    sub = p.add_subparsers(dest="mode", required=True)
    sub.add_parser("http-slow").add_argument("n", type=int)
    g = sub.add_parser("fs-get")
    g.add_argument("n", type=int)
    g.add_argument("cut", type=int)
    sub.add_parser("fs-put-507")
    args = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    handle = {"http-slow": http_slow, "fs-get": fs_get,
              "fs-put-507": fs_put_507}[args.mode]
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    print("dest_peers: listening on 127.0.0.1:%d" % s.getsockname()[1],
          file=sys.stderr, flush=True)
    for _ in range(MAX_CONNS):
        conn, _peer = s.accept()
        handle(args, conn)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)

#!/usr/bin/env python3
"""Loopback peers for tests/cli/test_httpget.sh.

  www DIR      python's http.server serving DIR (real HTTP/1.0 replies)
  raw FILE     read each request, answer with FILE's bytes as they are
               (a garbage reply, a short body, a huge head...), then close;
               --hold keeps the connection open instead of closing it
  silent       accept, read the request, never answer
  freeport     print a port that was free a moment ago on stdout and exit

Servers bind --bind (default 127.0.0.1) on an ephemeral port and print
"httpget_peers: listening on ADDR" on stderr once bound, as netkit's own
servers do, so the harness (lib.sh nk_start_server) can wait for it.
--log FILE appends every request received (raw and silent modes).
SIGTERM ends a server with status 0. At most 200 connections are served.
"""
import argparse
import functools
import http.server
import signal
import socket
import sys

MAX_CONNS = 200


def addr_text(family, host, port):
    return "[%s]:%d" % (host, port) if family == socket.AF_INET6 else "%s:%d" % (host, port)


def family_of(bind):
    return socket.AF_INET6 if ":" in bind else socket.AF_INET


def ready(family, host, port):
    print("httpget_peers: listening on " + addr_text(family, host, port),
          file=sys.stderr, flush=True)


def read_request(conn, log):
    """Read up to the blank line ending the request (bounded in size and
    time), and log it."""
    conn.settimeout(5)
    data = b""
    try:
        while b"\r\n\r\n" not in data and b"\n\n" not in data and len(data) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    if log:
        with open(log, "ab") as f:
            f.write(data)
    return data


def tcp_server(args, handle):
    family = family_of(args.bind)
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args.bind, 0))
    s.listen(16)
    ready(family, args.bind, s.getsockname()[1])
    held = []
    for _ in range(MAX_CONNS):
        conn, _peer = s.accept()
        if handle(conn):
            held.append(conn)  # kept open until the process ends
        else:
            conn.close()


def raw_mode(args):
    with open(args.file, "rb") as f:
        reply = f.read()

    def handle(conn):
        read_request(conn, args.log)
        conn.sendall(reply)
        if args.hold:
            return True
        conn.shutdown(socket.SHUT_WR)
        return False

    tcp_server(args, handle)


def silent_mode(args):
    def handle(conn):
        read_request(conn, args.log)
        return True

    tcp_server(args, handle)


def www_mode(args):
    family = family_of(args.bind)

    class Server(http.server.ThreadingHTTPServer):
        address_family = family

    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=args.dir)
    httpd = Server((args.bind, 0), handler)
    ready(family, args.bind, httpd.server_address[1])
    httpd.serve_forever()


def freeport_mode(args):
    family = family_of(args.bind)
    s = socket.socket(family, socket.SOCK_STREAM)
    s.bind((args.bind, 0))
    print(s.getsockname()[1])
    s.close()


def main():
    p = argparse.ArgumentParser(description="loopback peers for httpget tests")
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--log")
    p.add_argument("--hold", action="store_true")
    sub = p.add_subparsers(dest="mode", required=True)
    sub.add_parser("www").add_argument("dir")
    sub.add_parser("raw").add_argument("file")
    sub.add_parser("silent")
    sub.add_parser("freeport")
    args = p.parse_args()
    if args.bind not in ("127.0.0.1", "::1"):
        p.error("loopback only: --bind 127.0.0.1 or ::1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    {"www": www_mode, "raw": raw_mode, "silent": silent_mode,
     "freeport": freeport_mode}[args.mode](args)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)

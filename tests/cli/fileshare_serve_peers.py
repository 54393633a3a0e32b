#!/usr/bin/env python3
"""Raw fileshare peers for tests/cli/test_fileshare_serve.sh.

hold PORT N REQUEST READ SECONDS OUT
    Open N connections to 127.0.0.1:PORT, send REQUEST on each (a Python
    escape string; empty: an idle connection that sends nothing), then keep
    them open for at most SECONDS (or until SIGTERM). READ 1: record what
    each connection receives first; READ 0: never read (a slow reader).
    OUT gets "connected N" once every connection is up, then one line per
    connection that received something or was closed: "I DATA|EOF|RESET
    first-line seconds-after-connect".
ask PORT REQUEST
    One connection: send REQUEST, print everything received until close.
put PORT PATH SIZE MODE [READY GO]
    Upload SIZE pseudo-random bytes as PATH. MODE full: send them all, then
    print everything received. MODE pause: send half, touch READY, wait for
    the file GO (30 s at most), send the rest, print the reply. MODE short:
    send 1000 bytes, half-close, print the reply.
mkmany DIR COUNT
    Create COUNT empty files with long names in DIR.
"""
import hashlib
import os
import select
import signal
import socket
import sys
import time

stop = False


def on_term(_sig, _frm):
    global stop
    stop = True


def connect(port, timeout=10):
    return socket.create_connection(("127.0.0.1", int(port)), timeout=timeout)


def hold(port, n, request, read, seconds, out):
    signal.signal(signal.SIGTERM, on_term)
    req = request.encode().decode("unicode_escape").encode("latin-1")
    socks, t0 = [], []
    for _ in range(int(n)):
        s = connect(port)
        if req:
            s.sendall(req)
        s.setblocking(False)
        socks.append(s)
        t0.append(time.monotonic())
    seen = {}

    def dump():
        with open(out + ".tmp", "w") as f:
            f.write("connected %d\n" % len(socks))
            for i in sorted(seen):
                f.write("%d %s\n" % (i, seen[i]))
        os.replace(out + ".tmp", out)

    dump()
    end = time.monotonic() + float(seconds)
    while not stop and time.monotonic() < end:
        live = [s for i, s in enumerate(socks) if i not in seen]
        if read != "1" or not live:
            time.sleep(0.1)
            continue
        r, _, _ = select.select(live, [], [], 0.1)
        for s in r:
            i = socks.index(s)
            try:
                data = s.recv(4096)
                kind = "DATA" if data else "EOF"
            except ConnectionResetError:
                data, kind = b"", "RESET"
            except BlockingIOError:
                continue
            line = data.split(b"\n")[0].decode("latin-1").replace(" ", "_")
            seen[i] = "%s %s %.1f" % (kind, line or "-",
                                      time.monotonic() - t0[i])
            dump()
    for s in socks:
        s.close()


def read_all(s, limit=30):
    s.settimeout(limit)
    got = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
    except (ConnectionResetError, socket.timeout) as e:
        got += ("\n<%s>" % type(e).__name__).encode()
    return got


def ask(port, request):
    s = connect(port)
    s.sendall(request.encode().decode("unicode_escape").encode("latin-1"))
    sys.stdout.write(read_all(s).decode("latin-1"))


def put(port, path, size, mode, ready=None, go=None):
    size = int(size)
    body = (hashlib.sha256(b"seed").digest() * (size // 32 + 1))[:size]
    sha = hashlib.sha256(body).hexdigest()
    s = connect(port, timeout=30)
    s.sendall(("PUT %s %d %s\n" % (path, size, sha)).encode())
    head = b""
    while b"\n\n" not in head:
        d = s.recv(1)
        if not d:
            break
        head += d
    out = head
    try:
        if mode == "full":
            s.sendall(body)
        elif mode == "short":
            s.sendall(body[:1000])
            s.shutdown(socket.SHUT_WR)
        else:
            s.sendall(body[: size // 2])
            open(ready, "w").close()
            end = time.monotonic() + 30
            while not os.path.exists(go) and time.monotonic() < end:
                time.sleep(0.05)
            s.sendall(body[size // 2:])
    except OSError as e:
        out += ("<send: %s>\n" % type(e).__name__).encode()
    out += read_all(s)
    sys.stdout.write(out.decode("latin-1"))


def mkmany(d, count):
    for i in range(int(count)):
        name = "entry-%06d-%s" % (i, "x" * 140)
        os.close(os.open(os.path.join(d, name), os.O_CREAT | os.O_WRONLY))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"hold": hold, "ask": ask, "put": put, "mkmany": mkmany}[cmd](*args)

#!/usr/bin/env python3
"""Raw HTTP peers for tests/cli/test_fileshare_http.sh (loopback only,
every wait bounded).

  raw PORT BYTES          send BYTES (Python escapes, e.g. '\\r\\n'), print
                          what comes back until the server closes (5 s max)
  keepalive PORT N PATH   N GET requests on one connection (http.client);
                          print 'answered K closed-by-server C' where K is
                          the number answered and C 1 if the last answer
                          said Connection: close
  idle PORT PATH          one request, then wait: print the seconds until
                          the server closed the idle connection (30 s max)
  urllib URL [RANGE]      fetch with urllib; print status, the headers
                          Content-Range and Repr-Digest, then the body's
                          sha256
  fake PORTFILE KIND      a server that misbehaves, on 127.0.0.1 (port in
                          PORTFILE), for 30 s at most: every request gets
                          bad206 (206 "bytes 0-4/10" whatever was asked),
                          baddigest (200 "hello" with another file's
                          Repr-Digest), short (Content-Length 100, 10 bytes,
                          close) or loop (302 to itself)
  status URL              one GET with urllib; print 'CODE retry-after=R
                          connection=C' (R and C '-' when absent), error
                          statuses included
  relay PORTFILE PORT S   a TCP relay on 127.0.0.1 (port in PORTFILE) to
                          PORT, for 30 s at most: the first connection's
                          bytes are held S seconds before they go on (a
                          client slower than --header-timeout), the
                          others' at once
"""
import hashlib
import http.client
import os
import select
import socket
import sys
import threading
import time
import urllib.error
import urllib.request


def raw(port, data):
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
    s.sendall(data.encode("latin-1").decode("unicode_escape").encode("latin-1"))
    out = b""
    end = time.time() + 5
    try:
        while time.time() < end:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except socket.timeout:
        pass
    sys.stdout.buffer.write(out)


def keepalive(port, n, path):
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=5)
    answered, closed = 0, 0
    for _ in range(int(n)):
        try:
            c.request("GET", path)
            r = c.getresponse()
            r.read()
        except (OSError, http.client.HTTPException):
            break
        answered += 1
        closed = 1 if r.getheader("Connection", "").lower() == "close" else 0
        if closed:
            break
    print("answered %d closed-by-server %d" % (answered, closed))


def idle(port, path):
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=30)
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
    start = time.time()
    try:
        while time.time() - start < 30:
            if not s.recv(65536):
                break
    except OSError:
        pass
    print("%.1f" % (time.time() - start))


def fetch(url, rng=None):
    req = urllib.request.Request(url)
    if rng:
        req.add_header("Range", rng)
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read()
        print(r.status)
        print(r.headers.get("Content-Range", "-"))
        print(r.headers.get("Repr-Digest", "-"))
        print(hashlib.sha256(body).hexdigest())


def status(url):
    try:
        r = urllib.request.urlopen(url, timeout=10)
        r.read()
    except urllib.error.HTTPError as e:
        r = e
    print("%d retry-after=%s connection=%s" % (
        r.status, r.headers.get("Retry-After", "-"),
        r.headers.get("Connection", "-")))


def listener(portfile):
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)
    ls.settimeout(1)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    return ls


def pipe(c, port, hold):
    u = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
    if hold:
        time.sleep(hold)
    socks, end = [c, u], time.time() + 30
    while socks and time.time() < end:
        r, _, _ = select.select(socks, [], [], 0.5)
        for s in r:
            other = u if s is c else c
            try:
                b = s.recv(65536)
            except OSError:
                b = b""
            if b:
                other.sendall(b)
                continue
            socks.remove(s)
            try:
                other.shutdown(socket.SHUT_WR)
            except OSError:
                pass
    c.close()
    u.close()


def relay(portfile, port, hold):
    ls = listener(portfile)
    end, n = time.time() + 30, 0
    while time.time() < end:
        try:
            c, _ = ls.accept()
        except socket.timeout:
            continue
        threading.Thread(target=pipe, daemon=True,
                         args=(c, port, float(hold) if n == 0 else 0)).start()
        n += 1


def fake(portfile, kind):
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)
    ls.settimeout(1)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(ls.getsockname()[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    other = "sha-256=:" + "A" * 43 + "=:"
    answers = {
        "bad206": "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-4/10"
                  "\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
        "baddigest": "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nRepr-Digest: "
                     + other + "\r\nConnection: close\r\n\r\nhello",
        "short": "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
                 "Connection: close\r\n\r\n0123456789",
        "loop": "HTTP/1.1 302 Found\r\nLocation: /again\r\n"
                "Content-Length: 0\r\nConnection: close\r\n\r\n",
    }
    end = time.time() + 30
    while time.time() < end:
        try:
            c, _ = ls.accept()
        except socket.timeout:
            continue
        c.settimeout(5)
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                b = c.recv(4096)
                if not b:
                    break
                data += b
            c.sendall(answers[kind].encode())
        except OSError:
            pass
        c.close()


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"raw": raw, "keepalive": keepalive, "idle": idle, "urllib": fetch,
     "fake": fake, "status": status, "relay": relay}[cmd](
        *args)

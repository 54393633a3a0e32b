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
"""
import hashlib
import http.client
import socket
import sys
import time
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


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"raw": raw, "keepalive": keepalive, "idle": idle, "urllib": fetch}[cmd](
        *args)

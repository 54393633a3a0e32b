"""Peers for tests/cli/test_ping.sh, run inside the test's network namespace.

responder MODE FAMILY: a raw-socket ICMP echo responder (the namespace's
kernel is told to ignore echo requests, so this is the only one). MODE:
  dup      every reply sent twice
  late     every reply sent 0.8 s after the request
  foreign  first a reply with another identifier, one with another run's
           nonce, one whose send time is not the probe's, then the real
           reply
  corrupt  the reply with its last data byte altered
  ttl      an ICMP time exceeded from 127.0.0.2 quoting the request
  ttl7     a reply only to requests whose IPv4 TTL is 7 (checks --ttl)
FAMILY 4 or 6. Prints the harness's "listening on" line once ready.

listen: a TCP listener on 127.0.0.1, port 0, never accepting (the kernel
completes handshakes into the backlog).
"""
import signal
import socket
import sys
import time

signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum((b[i] << 8) | b[i + 1] for i in range(0, len(b), 2))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def finish(msg, v6):
    msg = bytearray(msg)
    msg[2:4] = b"\0\0"
    if not v6:  # the kernel fills ICMPv6 checksums in
        c = checksum(bytes(msg))
        msg[2:4] = bytes([c >> 8, c & 0xFF])
    return bytes(msg)


def responder(mode, fam):
    v6 = fam == "6"
    if v6:
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    err = None
    if mode == "ttl":
        err = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        err.bind(("127.0.0.2", 0))
    sys.stderr.write("responder: listening on %s:0\n" % ("::1" if v6 else "127.0.0.1"))
    sys.stderr.flush()
    pending = []
    while True:
        now = time.monotonic()
        for due, msg, dst in [p for p in pending if p[0] <= now]:
            s.sendto(msg, dst)
        pending = [p for p in pending if p[0] > now]
        s.settimeout(min([p[0] for p in pending], default=now + 1) - now + 0.001)
        try:
            data, addr = s.recvfrom(65536)
        except socket.timeout:
            continue
        ip = b""
        if not v6:
            ip = data[: (data[0] & 15) * 4]
            data = data[len(ip):]
        if len(data) < 8 or data[0] != (128 if v6 else 8):
            continue
        dst = (addr[0], 0)
        reply = bytearray(data)
        reply[0] = 129 if v6 else 0
        if mode == "dup":
            s.sendto(finish(reply, v6), dst)
            s.sendto(finish(reply, v6), dst)
        elif mode == "late":
            pending.append((time.monotonic() + 0.8, finish(reply, v6), dst))
        elif mode == "foreign":
            other = bytearray(reply)
            other[4] ^= 0x55  # another identifier: another process's ping
            s.sendto(finish(other, v6), dst)
            other = bytearray(reply)
            other[8 + 8] ^= 1  # another run's nonce
            s.sendto(finish(other, v6), dst)
            other = bytearray(reply)
            other[8 + 7] ^= 1  # not the send time recorded for this seq
            s.sendto(finish(other, v6), dst)
            s.sendto(finish(reply, v6), dst)
        elif mode == "corrupt":
            reply[-1] ^= 0xFF
            s.sendto(finish(reply, v6), dst)
        elif mode == "ttl7":
            if ip[8] == 7:
                s.sendto(finish(reply, v6), dst)
        elif mode == "ttl":
            quoted = ip + bytes(data)
            e = bytearray([11, 0, 0, 0, 0, 0, 0, 0]) + quoted
            err.sendto(finish(e, False), dst)


def listen():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    sys.stderr.write("listen: listening on 127.0.0.1:%d\n" % s.getsockname()[1])
    sys.stderr.flush()
    time.sleep(120)


if __name__ == "__main__":
    if sys.argv[1] == "responder":
        responder(sys.argv[2], sys.argv[3])
    else:
        listen()

"""Slow echo clients for tests/cli/test_echo_partial.sh.

usage: echo_slow_clients.py HOST PORT CLIENTS BYTES

One thread per client sends BYTES (SHA-256 of seed and counter, 32 bytes
at a time: no two clients and no two offsets look alike) and half-closes.
Its receive and send buffers are 16 KiB, so what the server
has not echoed yet piles up in the server's buffers, not the client's.
After the first byte back (it is being served), the client stops reading
until its sender has all but stopped (less than 256 KiB in 0.25 s, where
it sends tens of MiB/s while the server reads): the server's send buffer
is full and the server has stopped reading it, because it holds an echo
the kernel would not take (what the sender still gets out trickles into
the server's receive buffer). Then it reads 16 KiB at a time, slower than
the server echoes, so the server's send buffer fills again and again.
Every byte that comes back is compared with what was sent. Prints one line per client; exits 0 only if every client got all
its bytes back in order, then the server's close, and saw the server hold
an echo back at least once. Bounded: 60 s in all, 15 s per receive.
"""
import hashlib
import socket
import sys
import threading
import time

host, port = sys.argv[1], int(sys.argv[2])
nclients, size = int(sys.argv[3]), int(sys.argv[4])
deadline = time.monotonic() + 60
STALL, TRICKLE = 0.25, 256 * 1024


def pattern(seed, n):
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(b"%d:%d" % (seed, i)).digest()
        i += 1
    return bytes(out[:n])


class Client:
    def __init__(self, k):
        self.k, self.data = k, pattern(k, size)
        self.sent, self.last, self.done = 0, time.monotonic(), False
        self.err, self.got, self.stalls = None, 0, 0
        self.s = None

    def sender(self):
        try:
            while self.sent < size:
                end = self.sent + 16384
                self.sent += self.s.send(self.data[self.sent:end])
                self.last = time.monotonic()
            self.s.shutdown(socket.SHUT_WR)
        except OSError as e:
            self.err = "send: %s" % e
        self.done = True

    def recv(self, n):
        """Receive up to n bytes and compare them; False at the end."""
        b = self.s.recv(n)
        if not b:
            return False
        want = self.data[self.got:self.got + len(b)]
        if b != want:
            i = next((j for j in range(len(b))
                      if j >= len(want) or b[j] != want[j]), 0)
            raise ValueError("byte %d differs (got %s, sent %s)" % (
                self.got + i, b[i:i + 8].hex(), want[i:i + 8].hex()))
        self.got += len(b)
        return True

    def wait_stall(self):
        """Wait (5 s at most) until the sender gets less than TRICKLE bytes
        out in STALL seconds."""
        t0 = time.monotonic()
        while not self.done and time.monotonic() < min(t0 + 5, deadline):
            before = self.sent
            time.sleep(STALL)
            if not self.done and self.sent - before < TRICKLE:
                self.stalls += 1
                return

    def run(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # before connect, so the window is small from the start
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
        self.s.settimeout(15)
        t = None
        try:
            self.s.connect((host, port))
            t = threading.Thread(target=self.sender, daemon=True)
            t.start()
            # the first byte back: being served (iterative: others wait),
            # so a stall from here on is the server holding back
            more = self.recv(1)
            self.wait_stall()
            while more:
                more = self.recv(16384)
                if time.monotonic() > deadline:
                    return "too slow: %d bytes back in 60 s" % self.got
            t.join(5)
            if self.err:
                return self.err
            if more or self.got != size:
                return "%d of %d bytes back" % (self.got, size)
            if self.stalls == 0:
                return "the server never held an echo back (precondition)"
            return None
        except (OSError, ValueError) as e:
            return "%s after %d bytes back" % (e, self.got)
        finally:
            self.s.close()


def main():
    clients = [Client(k) for k in range(nclients)]
    res = {}
    threads = [threading.Thread(target=lambda c=c: res.__setitem__(c.k,
                                                                   c.run()))
               for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()) + 1)
    bad = 0
    for c in clients:
        r = res.get(c.k, "did not finish")
        bad += r is not None
        print("client %d: %s (server held back %d times)"
              % (c.k, r or "%d bytes back intact" % size, c.stalls))
    return 1 if bad else 0


sys.exit(main())

#!/usr/bin/env bash
# Manual benchmark (not run by ctest): messages delivered per second in a
# room of CLIENTS clients, netkit chat serve against Debian's `ncat --chat`
# in the same run. A python3 driver connects every client; then the
# clients take turns sending one line each (one send per line, as people
# type), MSGS rounds, reading what has arrived between rounds; the clock
# stops when every client has received every other client's lines. Deliveries = CLIENTS * (CLIENTS-1) * MSGS.
# Medians of RUNS runs. Loopback only, ephemeral ports, bounded in time.
#
# usage: tests/bench/chat_bench.sh [path/to/netkit] [CLIENTS] [MSGS] [RUNS]
set -u
NK=${1:-build/h-chat-rel/netkit}
CLIENTS=${2:-100}
MSGS=${3:-200}
RUNS=${4:-5}
PY=/usr/bin/python3
command -v ncat >/dev/null || { echo "ncat is missing (apt-get install ncat)"; exit 1; }
[ -x "$NK" ] || { echo "no netkit at $NK"; exit 1; }

exec "$PY" - "$NK" "$CLIENTS" "$MSGS" "$RUNS" <<'PY'
import os, re, selectors, socket, statistics, subprocess, sys, time

NK, N, M, RUNS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]
    s.close(); return p

def start(kind):
    if kind == "netkit":
        p = subprocess.Popen(["timeout", "120", NK, "chat", "serve", "--port",
                              "0", "--bind", "127.0.0.1", "--no-console"],
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        line = b""
        while b"listening on" not in line:
            line = p.stderr.readline()
            if not line:
                raise SystemExit("netkit did not start")
        return p, int(re.search(rb":(\d+)\s*$", line).group(1))
    port = free_port()
    p = subprocess.Popen(["timeout", "120", "ncat", "--chat", "-l", "-m",
                          str(N + 10), "127.0.0.1", str(port)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    time.sleep(0.2)
    return p, port

def one_run(kind):
    srv, port = start(kind)
    try:
        sel = selectors.DefaultSelector()
        socks = []
        for i in range(N):
            s = socket.create_connection(("127.0.0.1", port), 10)
            if kind == "netkit":
                s.sendall(b"/nick c%d\n" % i)
            socks.append(s)
        time.sleep(1.0)           # joins settle; drain their notices
        for s in socks:
            s.setblocking(False)
            try:
                while s.recv(1 << 20):
                    pass
            except BlockingIOError:
                pass
        got = {s: 0 for s in socks}
        tail = {s: b"" for s in socks}
        want = (N - 1) * M
        for s in socks:
            sel.register(s, selectors.EVENT_READ)
        def receive(timeout):
            nonlocal done
            for key, _ in sel.select(timeout):
                s = key.fileobj
                try:
                    c = s.recv(1 << 20)
                except BlockingIOError:
                    continue
                if not c:
                    sel.unregister(s); done += 1; continue
                b = tail[s] + c
                got[s] += b.count(b"@@\n")
                tail[s] = b[-2:]
                if got[s] >= want:
                    sel.unregister(s); done += 1
        done = 0
        t0 = time.perf_counter()
        # Chat-like traffic: one line per send, the clients taking turns,
        # reading whatever has arrived between rounds.
        for k in range(M):
            for i, s in enumerate(socks):
                line = b"m%d.%d @@\n" % (i, k)
                while True:
                    try:
                        s.send(line)
                        break
                    except BlockingIOError:
                        receive(0.01)
            receive(0)
        end = time.time() + 60
        while done < N and time.time() < end:
            receive(1.0)
        dt = time.perf_counter() - t0
        delivered = sum(min(g, want) for g in got.values())
        for s in socks:
            s.close()
        return delivered / dt, delivered, N * want
    finally:
        srv.terminate()
        try:
            srv.wait(10)
        except subprocess.TimeoutExpired:
            srv.kill()

res = {"netkit": [], "ncat": []}
full = {"netkit": True, "ncat": True}
for r in range(RUNS):
    for kind in ("netkit", "ncat"):
        rate, got, exp = one_run(kind)
        full[kind] = full[kind] and got == exp
        res[kind].append(rate)
        print("run %d %-6s %10.0f msg/s  (%d of %d delivered)" %
              (r + 1, kind, rate, got, exp), flush=True)
mk, mn = statistics.median(res["netkit"]), statistics.median(res["ncat"])
print()
print("room of %d clients, %d lines each, %d runs (medians)" % (N, M, RUNS))
print("%-14s %14s %s" % ("server", "deliveries/s", "all delivered"))
print("%-14s %14.0f %s" % ("netkit chat", mk, "yes" if full["netkit"] else "no"))
print("%-14s %14.0f %s" % ("ncat --chat", mn, "yes" if full["ncat"] else "no"))
print("%-14s %14.2f" % ("ratio", mk / mn if mn else float("inf")))
PY

#!/usr/bin/env python3
"""Compare netkit's --trace=json with strace's view of the same run.

usage: trace_compare.py STRACE_FILE NETKIT_JSONL

For each thread, the sequence of socket calls on socket descriptors as
(call, fd, result, errno) must be the same on both sides, in the same
order. strace names glibc's send()/recv() by their system calls (sendto,
recvfrom); descriptors count as sockets from the socket()/accept() that
made them (AF_INET/AF_INET6 only: glibc's own AF_UNIX/AF_NETLINK sockets
inside getaddrinfo are not netkit's calls) to their close() in the same
process: a forked child closing its copy of the listener leaves the
parent's open (netkit's events carry their pid, which also tells which of
strace's thread ids belong to one process). Threads are paired by their
kernel thread id, which both sides record.
Exit 0 when they agree; else prints the first difference per thread."""
import json
import re
import sys

CALLS = {"socket", "bind", "listen", "connect", "accept", "accept4",
         "getsockname", "getpeername", "setsockopt", "getsockopt",
         "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
         "shutdown", "close", "read", "write", "sendfile"}
# netkit's names for the calls glibc makes through another system call
ALIAS = {"send": "sendto", "recv": "recvfrom",
         "recvmsg(MSG_ERRQUEUE)": "recvmsg"}

LINE = re.compile(r"^(\d+)\s+(.*)$")
CALL = re.compile(r"^([a-z0-9_]+)\((.*)$")
RESUMED = re.compile(r"^<\.\.\. ([a-z0-9_]+) resumed>(.*)$")
RESULT = re.compile(r"\)\s+=\s+(-?\d+)(?:\s+(E[A-Z0-9]+))?")


def first_int(args):
    m = re.match(r"\s*(-?\d+)", args)
    return int(m.group(1)) if m else None


def strace_events(path):
    pending = {}  # pid -> (call, fd, args) of an <unfinished ...> call
    out = []
    for raw in open(path, encoding="utf-8", errors="replace"):
        m = LINE.match(raw.rstrip("\n"))
        if not m:
            continue
        pid, rest = int(m.group(1)), m.group(2)
        r = RESUMED.match(rest)
        if r:
            if pid not in pending:
                continue
            call, fd, args = pending.pop(pid)
            args = args + r.group(2)
            tail = r.group(2)
        else:
            c = CALL.match(rest)
            if not c:
                continue
            call, args = c.group(1), c.group(2)
            fd = first_int(args)
            if "<unfinished ...>" in rest:
                pending[pid] = (call, fd, args)
                continue
            tail = rest
        if call not in CALLS:
            continue
        res = list(RESULT.finditer(tail))
        if not res:
            continue  # "= ?": the process ended inside the call
        rc = int(res[-1].group(1))
        err = res[-1].group(2) if rc < 0 else None
        out.append({"tid": pid, "call": call, "fd": fd, "rc": rc,
                    "errno": err, "args": args})
    return out


def netkit_events(path):
    out = []
    for raw in open(path, encoding="utf-8", errors="replace"):
        raw = raw.strip()
        if not raw.startswith("{"):
            continue
        ev = json.loads(raw)
        call = ALIAS.get(ev["call"], ev["call"])
        if call not in CALLS:
            continue
        fd = ev["args"].get("fd")
        out.append({"tid": ev["tid"], "pid": ev.get("pid", ev["tid"]),
                    "call": call, "fd": fd,
                    "rc": ev["result"], "errno": ev["errno"],
                    "family": ev["args"].get("family")})
    return out


def socket_calls(events, is_inet, pid_of):
    """The events on descriptors that are sockets at the time, per tid.
    A socket made in any process counts in all (a forked child inherits
    its parent's); a close takes it away only in the process closing."""
    socks = set()
    closed = {}  # pid -> fds closed there since they were last made
    per = {}

    def is_sock(pid, fd):
        return fd in socks and fd not in closed.get(pid, set())

    def made(pid, fd):
        socks.add(fd)
        for c in closed.values():
            c.discard(fd)

    for ev in events:
        call, fd, rc = ev["call"], ev["fd"], ev["rc"]
        pid = pid_of(ev["tid"])
        key = None
        if call == "socket":
            if rc >= 0 and is_inet(ev):
                made(pid, rc)
                key = (call, rc, rc, ev["errno"])
        elif call in ("accept", "accept4"):
            if is_sock(pid, fd):
                if rc >= 0:
                    made(pid, rc)
                key = ("accept", fd, rc if rc < 0 else "fd", ev["errno"])
        elif is_sock(pid, fd):
            key = (call, fd, rc, ev["errno"])
            if call == "close":
                closed.setdefault(pid, set()).add(fd)
        if key is not None:
            per.setdefault(ev["tid"], []).append(key)
    return per


def main():
    nk_events = netkit_events(sys.argv[2])
    pids = {ev["tid"]: ev["pid"] for ev in nk_events}

    def pid_of(tid):
        return pids.get(tid, tid)

    st = socket_calls(strace_events(sys.argv[1]),
                      lambda ev: re.match(r"\s*AF_INET6?\b", ev["args"]),
                      pid_of)
    nk = socket_calls(nk_events,
                      lambda ev: ev["family"] in ("AF_INET", "AF_INET6"),
                      pid_of)
    bad = 0
    for tid in sorted(set(st) | set(nk)):
        a, b = st.get(tid, []), nk.get(tid, [])
        if a == b:
            continue
        bad += 1
        i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]),
                 min(len(a), len(b)))
        print(f"thread {tid}: strace {len(a)} calls, netkit {len(b)}; "
              f"first difference at #{i}:")
        print(f"  strace: {a[i] if i < len(a) else '(none)'}")
        print(f"  netkit: {b[i] if i < len(b) else '(none)'}")
    total = sum(len(v) for v in nk.values())
    if total == 0:
        print("no socket calls seen in netkit's trace")
        return 1
    if bad == 0:
        print(f"{total} socket calls agree in {len(nk)} thread(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

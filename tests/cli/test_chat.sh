#!/usr/bin/env bash
# netkit chat through the real binary: the one-to-one chat of the lesson
# (operator console on a pipe, one netkit client), bye words, a room of
# three, an nc client, a client that never reads, long and binary lines,
# clients killed mid-line, nick clashes, a full room, SIGTERM, the JSON
# transcript, and an interactive check under tmux. Python drives the
# multi-client scenes (scenes.py below); every server listens on 127.0.0.1
# port 0 under timeout(1) and is killed on the way out.
. "$(dirname "$0")/lib.sh" "$@"

# Every netkit this script starts runs from a path of its own, so that a
# process left behind is found by pgrep (and only ours): checked after
# each scene and at the end.
mkdir -p "$NK_TMP/bin"
ln -s "$(realpath "$NK")" "$NK_TMP/bin/netkit"
NK=$NK_TMP/bin/netkit
SCENES=$NK_TMP/scenes.py
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# --- options ------------------------------------------------------------

run_nk chat --help
check_eq "--help exit 0" "$RC" 0
check_contains "--help usage" "$OUT" "usage: netkit chat serve|connect"
run_nk help chat
check_contains "help chat" "$OUT" "usage: netkit chat"
run_nk chat serve
check_eq "serve without --port: 64" "$RC" 64
check_contains "serve without --port: says so" "$ERR" "netkit chat serve: --port is required"
run_nk chat connect 127.0.0.1
check_eq "connect without --port: 64" "$RC" 64
run_nk chat connect 127.0.0.1 --port 1 --name 'bad nick'
check_eq "connect bad --name: 64" "$RC" 64
run_nk chat connect nosuch.invalid --port 1
check_eq "connect unknown host: 68" "$RC" 68

# A refused connection: a port that was just free.
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run_nk chat connect 127.0.0.1 --port "$PORT" </dev/null
check_eq "connect refused: 69" "$RC" 69
check_contains "connect refused: says so" "$ERR" "connection refused"

# nk_no_leftovers WHAT: no process runs from this script's netkit path (a
# server or client that outlived its scene); any found is a failed check,
# and is killed by its pid so it does not outlive the test either.
nk_no_leftovers() {
    local left pid
    left=$(pgrep -f "$NK_TMP/bin/netkit")
    if [ -z "$left" ]; then
        return 0
    fi
    nk_not_ok "$1: no process left behind" \
        "$(ps -o pid=,args= -p "$(echo $left | tr ' ' ,)" | head -n 5)"
    for pid in $left; do kill -KILL "$pid" 2>/dev/null; done
}

# --- the scenes ----------------------------------------------------------

cat >"$SCENES" <<'PY'
import json, os, re, select, signal, socket, subprocess, sys, threading
import time

NK = sys.argv[1]
procs = []
# timeout(1) from the harness ends a scene with SIGTERM: run the finally
# below, which kills what the scene started.
signal.signal(signal.SIGTERM, lambda sig, frame: sys.exit(143))

def spawn(cmd, **kw):
    """Every child leads a process group of its own (timeout(1) and the
    netkit under it share it), so kill_group ends both: killing only the
    timeout wrapper would leave netkit running with no time limit."""
    p = subprocess.Popen(cmd, start_new_session=True, **kw)
    procs.append(p)
    return p

def kill_group(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    p.wait()

def start_server(*args, console=False, out=False, nofile=None):
    """The transcript is read only when asked for (console or out): a
    stdout pipe nobody reads would fill and stall the room, as any log.
    nofile: the room's limit of open files."""
    import resource
    stdin = subprocess.PIPE if console else subprocess.DEVNULL
    stdout = subprocess.PIPE if console or out else subprocess.DEVNULL
    def limit():
        if nofile:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    p = spawn(["timeout", "-k", "5", "120", NK, "chat", "serve",
               "--port", "0", "--bind", "127.0.0.1"] + list(args),
              stdin=stdin, stdout=stdout, stderr=subprocess.PIPE,
              preexec_fn=limit)
    end = time.time() + 10
    err = b""
    while time.time() < end:
        r, _, _ = select.select([p.stderr], [], [], 0.5)
        if r:
            c = os.read(p.stderr.fileno(), 4096)
            if not c:
                break
            err += c
            m = re.search(rb"netkit chat: listening on 127\.0\.0\.1:(\d+)", err)
            if m:
                p.port = int(m.group(1))
                # The log is read on in a thread: a pipe nobody reads
                # would fill and stall the room (a big room logs a lot).
                p.errlog = [err]
                threading.Thread(target=lambda: [p.errlog.append(c) for c in
                                 iter(lambda: os.read(p.stderr.fileno(),
                                                      65536), b"")],
                                 daemon=True).start()
                return p
    raise SystemExit("server not ready: %r" % err)

def stop(p, sig=signal.SIGTERM):
    """Signal netkit itself (timeout(1)'s child), wait, return status."""
    kids = subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True,
                          text=True).stdout.split()
    try:
        os.kill(int(kids[0]) if kids else p.pid, sig)
    except ProcessLookupError:
        pass
    try:
        return p.wait(10)
    except subprocess.TimeoutExpired:
        kill_group(p)
        return p.returncode

def connect_nk(*args, nick=None):
    cmd = ["timeout", "-k", "5", "60", NK, "chat", "connect", "127.0.0.1"]
    cmd += list(args)
    if nick:
        cmd += ["--name", nick]
    return spawn(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE)

class Raw:
    """A line client on a plain socket, as nc would be."""
    def __init__(self, port, nick=None, rcvbuf=None):
        self.s = socket.socket()
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.connect(("127.0.0.1", port))
        self.buf = b""
        self.lines = []
        if nick:
            self.send("/nick " + nick)
            self.expect("* you are now known as ")
    def send(self, line):
        if isinstance(line, str):
            line = line.encode()
        self.s.sendall(line + b"\n")
    def pump(self, timeout=0.2):
        r, _, _ = select.select([self.s], [], [], timeout)
        if not r:
            return True
        try:
            c = self.s.recv(65536)
        except ConnectionError:
            c = b""
        if not c:
            return False
        self.buf += c
        while b"\n" in self.buf:
            l, self.buf = self.buf.split(b"\n", 1)
            self.lines.append(l)
        return True
    def expect(self, text, timeout=10):
        """Wait for a line that contains text; returns it."""
        t = text.encode() if isinstance(text, str) else text
        end = time.time() + timeout
        i = 0
        while True:
            while i < len(self.lines):
                if t in self.lines[i]:
                    return self.lines[i]
                i += 1
            if time.time() > end or not self.pump():
                raise AssertionError("no line with %r in %r" %
                                     (t, self.lines[-8:]))
    def until_closed(self, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if not self.pump():
                return True
        return False

def read_until(p, text, timeout=10):
    """Read a process's stdout until a line contains text."""
    end = time.time() + timeout
    out = getattr(p, "acc", b"")
    while text.encode() not in out:
        if time.time() > end:
            raise AssertionError("no %r in %r" % (text, out[-400:]))
        r, _, _ = select.select([p.stdout], [], [], 0.2)
        if r:
            c = os.read(p.stdout.fileno(), 65536)
            if not c:
                raise AssertionError("eof before %r in %r" % (text, out[-400:]))
            out += c
    p.acc = out
    return out.decode(errors="replace")

def drain(p, timeout=10):
    out = getattr(p, "acc", b"")
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([p.stdout], [], [], 0.2)
        if r:
            c = os.read(p.stdout.fileno(), 65536)
            if not c:
                break
            out += c
    p.acc = out
    return out.decode(errors="replace")

def say(p, line):
    p.stdin.write(line.encode() + b"\n")
    p.stdin.flush()

# ---------------------------------------------------------------- scenes

def one_to_one():
    srv = start_server("--name", "op", console=True)
    cli = connect_nk("--port", str(srv.port), nick="alice")
    read_until(srv, "* alice joined")
    say(cli, "hello op")
    read_until(srv, "alice: hello op")
    say(srv, "hi alice, how are you")
    read_until(cli, "op: hi alice, how are you")
    say(cli, "fine")
    read_until(srv, "alice: fine")
    say(cli, "Bye")                      # the client's bye word ends its talk
    read_until(srv, "* alice left")
    assert cli.wait(10) == 0, "client exit %s" % cli.returncode
    out = drain(cli, 1)
    assert "* bye, alice" in out, out
    # A second client; the operator's bye closes the room.
    cli2 = connect_nk("--port", str(srv.port), nick="bob")
    read_until(srv, "* bob joined")
    say(srv, "  See You ")
    read_until(cli2, "op:   See You")
    read_until(cli2, "* op closed the room")
    assert cli2.wait(10) == 0, "client2 exit %s" % cli2.returncode
    assert srv.wait(10) == 0, "server exit %s" % srv.returncode
    return "both ways, client bye, operator bye closes the room"

def bye_words():
    srv = start_server()
    words = ["bye", "byebye", "bubye", "bye bye", "tata", "see you",
             "  BYE  ", "Tata\r", "SEE YOU"]
    watcher = Raw(srv.port, "watcher")
    for i, w in enumerate(words):
        c = Raw(srv.port, "b%d" % i)
        c.send(w)
        c.expect("* bye, b%d" % i)
        assert c.until_closed(), "not closed after %r" % w
        watcher.expect("* b%d left" % i)
    # Not bye words: the talk goes on.
    c = Raw(srv.port, "stay")
    for w in ["goodbye", "bye!", "bye  bye", "see you later"]:
        c.send(w)
        watcher.expect("stay: " + w)
    c.send("/quit")
    c.expect("* bye, stay")
    assert c.until_closed()
    watcher.expect("* stay left")
    assert stop(srv) == 0
    return "%d bye words close, 4 near misses do not" % len(words)

def room_of_three():
    srv = start_server("--no-console")
    cs = [Raw(srv.port, n) for n in ("ann", "ben", "cat")]
    n = 30
    for i in range(n):
        for c, name in zip(cs, ("ann", "ben", "cat")):
            c.send("%s line %d" % (name, i))
    for c, me in zip(cs, ("ann", "ben", "cat")):
        for other in ("ann", "ben", "cat"):
            if other != me:
                c.expect("%s: %s line %d" % (other, other, n - 1))
        for other in ("ann", "ben", "cat"):
            got = [l for l in c.lines if l.startswith(other.encode() + b": ")]
            want = [("%s: %s line %d" % (other, other, i)).encode()
                    for i in range(n)] if other != me else []
            assert got == want, "%s saw %s: %r" % (me, other, got[:3])
    cs[0].send("/who")
    who = cs[0].expect("* in the room:")
    assert b"ann" in who and b"ben" in who and b"cat" in who, who
    cs[0].send("/help")
    cs[0].expect("/nick NAME")
    cs[0].send("/frob")
    cs[0].expect("* unknown command /frob")
    assert stop(srv) == 0
    for c in cs:
        c.expect("* the room is closing (SIGTERM)")
        assert c.until_closed()
    return "3 x %d lines, each in order, own lines not echoed" % n

def nc_client():
    srv = start_server("--no-console")
    raw = Raw(srv.port, "raw")
    nc = spawn(["timeout", "20", "nc", "127.0.0.1", str(srv.port)],
               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    say(nc, "/nick ncuser")
    raw.expect("* ncuser joined")
    say(nc, "hello from nc")
    raw.expect("ncuser: hello from nc")
    raw.send("hi nc")
    read_until(nc, "raw: hi nc")
    say(nc, "/quit")
    read_until(nc, "* bye, ncuser")
    nc.stdin.close()
    assert nc.wait(10) == 0
    raw.expect("* ncuser left")
    # nc without a nick: a guest, joined at its first line.
    nc2 = spawn(["timeout", "20", "nc", "127.0.0.1", str(srv.port)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    read_until(nc2, "* welcome")
    say(nc2, "anyone?")
    line = raw.expect(b": anyone?").decode()
    assert re.match(r"guest\d+: anyone\?$", line), line
    nc2.stdin.close()
    raw.expect("left")
    assert stop(srv) == 0
    return "nc joins, talks both ways, /quit; a guest nc"

def stuck_client():
    srv = start_server("--no-console", "--drop-after", "2")
    stuck = Raw(srv.port, "stuck", rcvbuf=4096)
    a = Raw(srv.port, "talker")
    b = Raw(srv.port, "listener")
    n, body = 600, "x" * 1500
    t0 = time.time()
    heard = 0
    for i in range(n):
        a.send("%d %s" % (i, body))
        # The listener stays within 32 lines (48 KB) of the talker, so
        # only the stuck client can fall past the room's 256 KiB bound,
        # however the scheduler treats this process on a loaded machine.
        end = time.time() + 30
        while heard < i - 32 and time.time() < end:
            if not b.pump(0.2):
                break
            heard = sum(1 for l in b.lines if l.startswith(b"talker: "))
        b.pump(0)
        a.pump(0)
    b.expect("talker: %d " % (n - 1), timeout=30)
    got = [l for l in b.lines if l.startswith(b"talker: ")]
    assert len(got) == n, len(got)
    b.expect("* stuck left (too slow", timeout=10)
    a.expect("* stuck left (too slow", timeout=10)
    # The stuck one finds the notice at the end of what it had queued.
    stuck.s.setblocking(False)
    tail = b""
    end = time.time() + 10
    while time.time() < end:
        try:
            c = stuck.s.recv(1 << 20)
        except BlockingIOError:
            time.sleep(0.05)
            continue
        except ConnectionError:
            break
        if not c:
            break
        tail += c
    # The notice is a line of its own, never glued onto a half-sent one.
    last = tail.rstrip(b"\n").split(b"\n")[-1]
    assert last.startswith(b"* disconnected: too slow"), tail[-200:]
    a.send("still here")
    b.expect("talker: still here")
    dt = time.time() - t0
    assert stop(srv) == 0
    return "%d x 1.5 KB lines delivered in %.1f s, stuck reader dropped" % (n, dt)

def paced_reader(r, total_lines, rate, deadline):
    """Read r at most `rate` bytes/s until it has total_lines lines from
    the flooder, the connection ends, or the deadline; returns the
    flooder's line numbers in arrival order."""
    got, nbytes, t0 = [], 0, time.time()
    r.t_stuck = None
    r.s.settimeout(0.5)
    while len(got) < total_lines and time.time() < deadline:
        ahead = t0 + nbytes / rate - time.time()
        if ahead > 0:
            time.sleep(ahead)
        try:
            c = r.s.recv(65536)
        except socket.timeout:
            continue
        except ConnectionError:
            break
        if not c:
            break
        nbytes += len(c)
        r.buf += c
        while b"\n" in r.buf:
            l, r.buf = r.buf.split(b"\n", 1)
            r.lines.append(l)
            if l.startswith(b"flood: "):
                got.append(int(l[7:13]))
            elif l.startswith(b"* stuck left") and r.t_stuck is None:
                r.t_stuck = time.time() - t0
    return got

def flood_scene(opts, nlines, stuck_bound):
    """A flooder sends nlines 1 KB lines as fast as it can; a reader takes
    10 MB/s and must never be dropped; another never reads and must be
    dropped after stuck_bound seconds. Returns (the flooder's line numbers
    as the reader got them, seconds until it had them all)."""
    srv = start_server("--no-console", *opts)
    stuck = Raw(srv.port, "stuck", rcvbuf=4096)
    fast = Raw(srv.port, "fast")
    fl = Raw(srv.port, "flood")
    fast.expect("* flood joined")
    data = b"".join(b"%06d %s\n" % (i, b"f" * 1016) for i in range(nlines))
    t0 = time.time()
    th = threading.Thread(target=lambda: fl.s.sendall(data), daemon=True)
    th.start()
    got = paced_reader(fast, nlines, 10e6, t0 + 60)
    total = time.time() - t0
    th.join(10)
    assert not th.is_alive(), "the flooder never got its lines out"
    t_stuck = fast.t_stuck
    fast.expect("* stuck left (too slow")
    if t_stuck is None:
        t_stuck = time.time() - t0
    # Dropped within the bound (a generous margin for a loaded machine),
    # and not before: it was the room's duty to wait that long.
    assert stuck_bound - 0.2 <= t_stuck <= stuck_bound + 10, \
        "stuck reader dropped after %.1f s" % t_stuck
    assert not any(l.startswith(b"* disconnected") for l in fast.lines), \
        "the fast reader was dropped"
    fast.send("/who")
    who = fast.expect("* in the room:")
    assert b"fast" in who and b"flood" in who, who
    # The stuck one gets its notice as a line of its own, then the end.
    stuck.s.setblocking(False)
    tail, end = b"", time.time() + 15
    while time.time() < end:
        try:
            c = stuck.s.recv(1 << 20)
        except BlockingIOError:
            time.sleep(0.05)
            continue
        except ConnectionError:
            break
        if not c:
            break
        tail += c
    last = tail.rstrip(b"\n").split(b"\n")[-1]
    assert last.startswith(b"* disconnected: too slow"), tail[-200:]
    assert stop(srv) == 0
    return got, total

def flood():
    """Back-pressure: with no rate limit the flood is far faster than the
    reader; the room stops reading the flooder instead of dropping the
    reader, and drops the one that never reads after --drop-after."""
    n = 3072
    srv_opts = ["--rate", "0", "--drop-after", "3"]
    got, total = flood_scene(srv_opts, n, 3)
    assert got == list(range(n)), "got %d lines, first gap at %r" % (
        len(got), next((i for i, v in enumerate(got) if v != i), None))
    return "3 MB flood: the 10 MB/s reader got all %d lines in order " \
           "(%.1f s), the stuck one dropped" % (n, total)

def flood_default():
    """The same flood against the default options (--rate 1 MiB/s): the
    fast reader is never pressed, the stuck one still dropped."""
    n = 3072
    got, total = flood_scene(["--drop-after", "3"], n, 3)
    assert got == list(range(n)), "got %d lines" % len(got)
    return "3 MB flood at the default rate: all %d lines in order (%.1f s)" \
        % (n, total)

def rate_limit():
    """--rate: a sender past its budget is read more slowly (TCP back-
    pressure), its lines all arrive, in order, later; others are not held
    up by it."""
    rate, n = 200000, 1000
    srv = start_server("--no-console", "--rate", str(rate))
    rd = Raw(srv.port, "reader")
    fl = Raw(srv.port, "flood")
    other = Raw(srv.port, "other")
    rd.expect("* other joined")
    # The flooder and the other client read all they get (in threads): a
    # reader that stops would hold the room, which is another scene.
    def keep_reading(c, end=time.time() + 60):
        while time.time() < end and c.pump(1):
            pass
    for c in (fl, other):
        threading.Thread(target=keep_reading, args=(c,), daemon=True).start()
    data = b"".join(b"%06d %s\n" % (i, b"f" * 1016) for i in range(n))
    t0 = time.time()
    th = threading.Thread(target=lambda: fl.s.sendall(data), daemon=True)
    th.start()
    rd.expect("flood: 000200 ", timeout=30)   # being limited now, with 4 s
                                              # of flood still to come
    other.send("still talking")
    rd.expect("other: still talking", timeout=10)
    t_other = time.time() - t0
    rd.expect("flood: %06d " % (n - 1), timeout=30)
    dt = time.time() - t0
    th.join(10)
    got = [int(l[7:13]) for l in rd.lines if l.startswith(b"flood: ")]
    assert got == list(range(n)), "lines lost or out of order"
    # 1 MB at 200 KB/s after a 200 KB burst: 4 s at least (a loaded
    # machine is only ever slower).
    assert dt >= 3.8, "1 MB in %.2f s: not limited" % dt
    # The other's line came before the flood was over: a limited sender
    # holds up nobody else.
    assert b"other: still talking" in rd.lines[:rd.lines.index(
        [l for l in rd.lines if l.startswith(b"flood: %06d " % (n - 1))][0])]
    assert not any(l.startswith(b"* ") and b"left" in l for l in rd.lines)
    assert stop(srv) == 0
    return "1 MB at --rate 200000 took %.1f s, all in order; another " \
           "client was heard after %.1f s" % (dt, t_other)

def who_many():
    """/who in a big room: every participant is listed or counted in
    "and N more", never cut off silently."""
    import resource
    n = 600                          # more than 16 lines of 31-byte nicks
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 2 * n + 64                # the room and this script, inherited
    if soft < want:
        assert hard == resource.RLIM_INFINITY or hard >= want, \
            "RLIMIT_NOFILE hard limit %d < %d" % (hard, want)
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    srv = start_server("--no-console", "--name", "op")
    nicks = ["w%03d%s" % (i, "x" * 27) for i in range(n)]
    cs = []
    for nk in nicks:
        c = Raw(srv.port)
        c.send("/nick " + nk)
        cs.append(c)
    watch = Raw(srv.port, "watch")
    cs[-1].expect("* you are now known as " + nicks[-1], timeout=30)
    quiet = Raw(srv.port)            # connected, never spoke: listening
    quiet.expect("* welcome")
    watch.send("/who")
    watch.send("/whoend")            # the reply to this marks the end
    watch.expect("* unknown command /whoend", timeout=30)
    i = next(i for i, l in enumerate(watch.lines)
             if l.startswith(b"* in the room: "))
    listed, more, listening, nlines = [], 0, 0, 0
    for l in watch.lines[i:]:
        if l.startswith(b"* unknown command /whoend"):
            break
        nlines += 1
        t = l.decode()
        m = re.search(r" \(and (\d+) listening\)$", t)
        if m:
            listening = int(m.group(1))
            t = t[:m.start()]
        m = re.match(r"\* and (\d+) more$", t)
        if m:
            more = int(m.group(1))
            continue
        t = re.sub(r"^\* in the room: |^\*   ", "", t)
        listed += [x for x in t.split(", ") if x]
    assert nlines <= 17, "%d lines" % nlines
    assert more > 0, "the count of the rest was not tested"
    everyone = ["op (away)", "watch"] + nicks
    assert len(set(listed)) == len(listed), "listed twice"
    assert set(listed) <= set(everyone), set(listed) - set(everyone)
    assert len(listed) + more == len(everyone), \
        "%d listed + %d more != %d" % (len(listed), more, len(everyone))
    assert listening == 1, listening
    assert stop(srv) == 0
    return "%d listed on %d lines, %d more, 1 listening" % (len(listed),
                                                           nlines, more)

def full_no_fds():
    """Out of file descriptors, the room still tells a newcomer it is
    full (a spare descriptor is given up to accept it), rather than
    leave it waiting in the backlog with no word."""
    srv = start_server("--no-console", nofile=16)
    cs, welcomed, full = [], 0, 0
    for i in range(14):
        c = socket.create_connection(("127.0.0.1", srv.port))
        c.settimeout(10)
        cs.append(c)
        try:
            first = c.recv(1000)
        except socket.timeout:
            raise AssertionError("client %d: no word from the room in 10 s "
                                 "(%d welcomed, %d told full)"
                                 % (i, welcomed, full))
        if first.startswith(b"* welcome"):
            welcomed += 1
        elif first == b"* the room is full\n":
            full += 1
            assert c.recv(1000) == b"", "not closed after 'full'"
        else:
            raise AssertionError("client %d got %r" % (i, first))
    assert welcomed >= 3 and full >= 3, (welcomed, full)
    # Room again once someone leaves.
    cs[0].close()
    end = time.time() + 15
    while time.time() < end:
        c = socket.create_connection(("127.0.0.1", srv.port))
        c.settimeout(10)
        if c.recv(1000).startswith(b"* welcome"):
            break
        c.close()
        time.sleep(0.2)
    else:
        raise AssertionError("no room after a client left")
    assert stop(srv) == 0
    return "%d welcomed, %d told the room is full (16 fds)" % (welcomed, full)

def dropped_exit():
    """A client the room drops exits non-zero; a client turned away from a
    full room too; one whose room closes exits 0."""
    srv = start_server("--no-console", "--drop-after", "1")
    # Nobody reads this client's stdout: once the pipe is full it stops
    # reading the room, as a client stuck on a terminal would.
    talk = Raw(srv.port, "talker")
    slow = connect_nk("--port", str(srv.port), nick="slowpoke")
    talk.expect("* slowpoke joined")
    body, i, end = "x" * 1000, 0, time.time() + 40
    while not any(l.startswith(b"* slowpoke left (too slow")
                  for l in talk.lines):
        assert time.time() < end, "the stuck client was never dropped"
        talk.send("%d %s" % (i, body))
        i += 1
        talk.pump(0)
    drain(slow, 15)              # it reads on, to the end of the stream
    rc = slow.wait(15)
    err = slow.stderr.read().decode()
    assert rc == 74, "dropped client exit %d: %s" % (rc, err)
    assert "dropped by the room" in err or \
        "the server closed the connection" in err, err
    assert stop(srv) == 0
    # A full room: exit 69 with the room's word for it.
    srv = start_server("--no-console", "--max-clients", "1")
    first = Raw(srv.port, "first")
    late = connect_nk("--port", str(srv.port), nick="late")
    rc = late.wait(15)
    err = late.stderr.read().decode()
    assert rc == 69, "turned-away client exit %d: %s" % (rc, err)
    assert "the room is full" in err, err
    # The room closing is no failure: exit 0.
    first.send("/quit")
    assert first.until_closed()
    end = time.time() + 15
    while True:                      # until the room has let first go
        ok = connect_nk("--port", str(srv.port), nick="stayer")
        out = read_until(ok, "* ")
        if "* welcome" in out:
            break
        assert ok.wait(15) == 69 and time.time() < end, out
        time.sleep(0.2)
    read_until(ok, "* you are now known as stayer")
    assert stop(srv) == 0
    rc = ok.wait(15)
    assert rc == 0, "exit %d after the room closed: %s" % (
        rc, ok.stderr.read().decode())
    return "dropped: 74, room full: 69, room closed: 0"

def long_and_binary():
    srv = start_server("--no-console")
    snd = Raw(srv.port, "bin")
    rcv = Raw(srv.port, "rcv")
    snd.send("y" * 10000)
    snd.send("after")
    line = rcv.expect("bin: yyy")
    assert line == b"bin: " + b"y" * 4096, len(line)
    rcv.expect("bin: after")
    snd.expect("* your line was cut to 4096 bytes")
    snd.send(b"esc\x1b[31mred\x00nul\xff\xc3\xa9\xc2\x9b\x07\tok")
    line = rcv.expect("bin: esc")
    want = b"bin: esc\\x1b[31mred\\x00nul\\xff\xc3\xa9\\u009b\\x07\tok"
    assert line == want, line
    snd.send(b"crlf\r")
    line = rcv.expect("bin: crlf")
    assert line == b"bin: crlf", line
    # A megabyte without a newline, then one: cut, memory bounded.
    snd.s.sendall(b"z" * (1 << 20) + b"\nend\n")
    rcv.expect("bin: end")
    for l in rcv.lines:
        assert not re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", l), l[:60]
        l.decode("utf-8")
    assert stop(srv) == 0
    return "10000-byte and 1 MiB lines cut to 4096, controls escaped"

def killed_mid_line():
    srv = start_server("--no-console")
    watch = Raw(srv.port, "watch")
    # A socket reset mid-line: the half line is never delivered.
    v = Raw(srv.port, "victim")
    v.s.sendall(b"half a li")
    time.sleep(0.2)
    v.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                   b"\x01\x00\x00\x00\x00\x00\x00\x00")
    v.s.close()
    watch.expect("* victim left (connection lost)")
    assert not any(b"half a li" in l for l in watch.lines)
    # A netkit client killed with SIGKILL while a line is half typed.
    k = connect_nk("--port", str(srv.port), nick="k9")
    watch.expect("* k9 joined")
    k.stdin.write(b"never finish")
    k.stdin.flush()
    time.sleep(0.2)
    kids = subprocess.run(["pgrep", "-P", str(k.pid)], capture_output=True,
                          text=True).stdout.split()
    os.kill(int(kids[0]), signal.SIGKILL)
    watch.expect("* k9 left")
    assert not any(b"never finish" in l for l in watch.lines)
    watch.send("/who")
    who = watch.expect("* in the room:")
    assert b"k9" not in who and b"victim" not in who, who
    assert stop(srv) == 0
    return "reset and SIGKILL announced as leaves, half lines dropped"

def nicks_and_limits():
    srv = start_server("--no-console", "--max-clients", "3", "--name", "op")
    a = Raw(srv.port, "same")
    b = Raw(srv.port)
    b.send("/nick same")
    b.expect("* you are now known as same2")
    b.send("/nick SAME")
    b.expect("* SAME is taken")
    b.send("/nick op")
    b.expect("* op is taken")
    b.send("/nick bad\x1bnick")
    b.expect("* control byte in nickname")
    b.send("/nick sa\u200bme".encode())
    b.expect("* invisible, space or direction-control character in nickname")
    b.send("/nick \u202eemas".encode())
    b.expect("* invisible, space or direction-control character in nickname")
    b.send("/nick *")
    b.expect("* nickname starts with '*'")
    b.send("/nick renamed")
    a.expect("* same2 is now known as renamed")
    c = Raw(srv.port, "third")
    d = socket.create_connection(("127.0.0.1", srv.port))
    d.settimeout(15)
    assert b"room is full" in d.recv(1000)
    assert stop(srv) == 0
    return "clash suffix at join, refusal at rename, room full"

def json_transcript():
    srv = start_server("--no-console", "--json", out=True)
    a = Raw(srv.port, "jay")
    a.send("quote \" and \x1b")
    a.send("bye")
    a.expect("* bye, jay")
    assert stop(srv) == 0
    ev = [json.loads(l) for l in srv.stdout.read().decode().splitlines()]
    kinds = [e["event"] for e in ev]
    assert kinds == ["join", "message", "message", "leave", "close"], kinds
    assert ev[1]["text"] == "quote \" and \\x1b", ev[1]
    assert ev[4]["reason"] == "SIGTERM", ev[4]
    return "events %s" % ",".join(kinds)

def client_wait():
    srv = start_server("--name", "op", console=True)
    p2 = spawn(["timeout", "30", NK, "chat", "connect", "127.0.0.1",
                "--port", str(srv.port), "--name", "quick", "--wait", "0"],
               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    p2.stdin.write(b"one\ntwo\n")
    p2.stdin.close()                   # --wait 0: leave at the end of input
    assert p2.wait(10) == 0
    out = read_until(srv, "* quick left")
    assert "quick: one" in out and "quick: two" in out, out
    p = spawn(["timeout", "30", NK, "chat", "connect", "127.0.0.1",
               "--port", str(srv.port), "--name", "pipe"],
              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    p.stdin.write(b"question?\n")
    p.stdin.close()                    # end of input: waits for an answer
    read_until(srv, "pipe: question?")
    time.sleep(0.5)
    assert p.poll() is None, "left before the answer"
    say(srv, "answer")
    say(srv, "tata")                   # the operator's bye closes the room
    rc = p.wait(10)
    out = drain(p, 1)
    assert rc == 0, "exit %d: %s" % (rc, out)
    assert "op: answer" in out and "op: tata" in out, out
    assert srv.wait(10) == 0
    return "--wait 0 leaves; a pipe client waits for the answer and a bye"

scenes = {f.__name__: f for f in (one_to_one, bye_words, room_of_three,
          nc_client, stuck_client, long_and_binary, killed_mid_line,
          nicks_and_limits, json_transcript, client_wait, flood,
          flood_default, rate_limit, who_many, full_no_fds, dropped_exit)}
name = sys.argv[2]
try:
    print("PASS " + scenes[name]())
except Exception as e:
    print("FAIL %s: %s" % (type(e).__name__, str(e)[:400]))
finally:
    for p in procs:
        kill_group(p)
PY

for scene in one_to_one bye_words room_of_three nc_client stuck_client \
    long_and_binary killed_mid_line nicks_and_limits json_transcript \
    client_wait flood flood_default rate_limit who_many full_no_fds \
    dropped_exit; do
    res=$(timeout -k 5 90 "$PY" "$SCENES" "$NK" "$scene" 2>&1 | tail -n 1)
    case "$res" in
    PASS*) nk_ok "$scene: ${res#PASS }" ;;
    *) nk_not_ok "$scene" "$res" ;;
    esac
    nk_no_leftovers "$scene"
done

# --- the client's own notice of a cut line --------------------------------

# A piped line longer than 4096 bytes is cut by the client before it is
# sent, and the client says so on stderr (the room never sees the excess,
# so this notice is the only sign of it).
if nk_start_server cutroom "$NK" chat serve --port 0 --bind 127.0.0.1 --no-console; then
    { head -c 5000 /dev/zero | tr '\0' 'q'; printf '\nafter\n'; } |
        timeout -k 5 30 "$NK" chat connect 127.0.0.1 --port "$SERVER_PORT" \
            --name cutter --wait 0 >"$NK_TMP/cut.out" 2>"$NK_TMP/cut.err"
    check_eq "cut line: client exit 0" "$?" 0
    check_contains "cut line: the client says the line was cut" \
        "$(cat "$NK_TMP/cut.err")" "netkit chat: a line was cut to 4096 bytes"
    for i in $(seq 1 200); do
        grep -q '^cutter: after$' "$NK_TMP/cutroom.out" && break
        sleep 0.05
    done
    got=$(grep -m1 '^cutter: q' "$NK_TMP/cutroom.out" | wc -c)
    # "cutter: " (8 bytes), 4096 q's, the newline
    check_eq "cut line: the room got 4096 bytes of it" "$got" 4105
    nk_stop_server "$SERVER_PID"
    check_eq "cut line room: SIGTERM exit 0" "$STOP_STATUS" 0
else
    nk_not_ok "cut line: the room did not start"
fi

# --- interactive: a half-typed line survives incoming lines (tmux) ---------

# wait_for WHAT CMD...: run CMD every 0.1 s until it succeeds, 15 s at most
# (a loaded machine is slow, never fast); false if it never did.
wait_for() {
    local i
    for i in $(seq 1 150); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}
pane_has() { tmux -S "$SOCK" capture-pane -p | grep -qF -- "$1"; }
room_has() { grep -qF -- "$1" "$NK_TMP/tmuxroom.out"; }

SOCK=$NK_TMP/tmux.sock
if ! command -v tmux >/dev/null; then
    echo "# skip: tmux is not installed (interactive check)"
elif ! nk_start_server tmuxroom "$NK" chat serve --port 0 --bind 127.0.0.1 --no-console; then
    nk_not_ok "tmux: the room did not start"
else
    # The tmux server goes on every way out, with the servers.
    trap 'tmux -S "$SOCK" kill-server 2>/dev/null; nk_cleanup' EXIT
    # --foreground: the client must be in the terminal's foreground process
    # group to set its mode (else SIGTTOU stops it).
    tmux -S "$SOCK" new-session -d -x 100 -y 20 \
        "timeout --foreground 60 $NK chat connect 127.0.0.1 --port $SERVER_PORT --name typist; sleep 5"
    # Wait for the prompt, then type half a line without Enter.
    wait_for pane_has 'typist>' && wait_for room_has '* typist joined'
    check_eq "tmux: prompt drawn, client joined" "$?" 0
    tmux -S "$SOCK" send-keys -l 'half typed'
    wait_for pane_has 'typist> half typed'
    check_eq "tmux: typed keys echoed" "$?" 0
    "$PY" - "$SERVER_PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(15)
s.sendall(b"/nick other\n")
for i in range(3):
    s.sendall(b"incoming %d \x1b[2J\n" % i)
s.sendall(b"/quit\n")
buf = b""
while b"* bye, other" not in buf:   # the room has taken all three lines
    c = s.recv(4096)
    if not c:
        break
    buf += c
PY
    wait_for pane_has 'other: incoming 2 \x1b[2J'
    SCREEN=$(tmux -S "$SOCK" capture-pane -p)
    check_contains "tmux: incoming line shown" "$SCREEN" "other: incoming 2 \\x1b[2J"
    LAST=$(printf '%s\n' "$SCREEN" | grep -v '^$' | tail -n 1)
    check_eq "tmux: half-typed line redrawn intact below" "$LAST" "typist> half typed"
    tmux -S "$SOCK" send-keys -l ' line'
    tmux -S "$SOCK" send-keys Enter
    wait_for room_has 'typist: half typed line'
    check_contains "tmux: finished line reached the room" \
        "$(cat "$NK_TMP/tmuxroom.out")" "typist: half typed line"
    tmux -S "$SOCK" send-keys C-d
    wait_for room_has '* typist left'
    check_contains "tmux: Ctrl-D leaves" "$(cat "$NK_TMP/tmuxroom.out")" "* typist left"
    tmux -S "$SOCK" kill-server 2>/dev/null
    nk_stop_server "$SERVER_PID"
    check_eq "tmux room: SIGTERM exit 0" "$STOP_STATUS" 0
fi

nk_no_leftovers "the whole script"
nk_done

#!/usr/bin/env bash
# netkit echo-tcp serve through the real binary, with real peers: socat and
# OpenBSD nc for single streams, python3 for many clients at once, a client
# that never reads, idle clients, a flood beyond the fd limit. Every server
# listens on 127.0.0.1 or ::1, port 0, and is stopped by the harness.
. "$(dirname "$0")/lib.sh" "$@"

field() { awk -v k="$1:" '$1 == k {print $2; exit}' "$2"; }
PEERS=$NK_TMP/peers.py

# --- options ------------------------------------------------------------

run_nk echo-tcp serve --help
check_eq "--help exit 0" "$RC" 0
check_contains "--help usage line" "$OUT" "usage: netkit echo-tcp serve --port P"
check_contains "--help lists the models" "$OUT" "iterative, fork, thread, select, poll, epoll"
run_nk echo-tcp serve
check_eq "no --port: exit 64" "$RC" 64
check_contains "no --port: says so" "$ERR" "netkit echo-tcp serve: --port is required"
run_nk echo-tcp serve --port 0 --model forking
check_eq "unknown model: exit 64" "$RC" 64
check_contains "unknown model named" "$ERR" "unknown model 'forking'"
run_nk echo-tcp serve --port 0 --model fork --workers 2
check_eq "--workers with fork: exit 64" "$RC" 64
run_nk echo-tcp serve --port 0 --idle-timeout -1
check_eq "bad --idle-timeout: exit 64" "$RC" 64

# --- a python client for what socat and nc cannot do ---------------------

cat >"$PEERS" <<'PY'
import os, selectors, socket, sys, threading, time

def connect(host, port):
    s = socket.create_connection((host, port), timeout=10)
    s.setblocking(False)
    return s

def echo(host, port, n, size):
    """n clients at once: each sends size bytes, shuts its write side and
    reads to EOF; what comes back must be what was sent."""
    sel = selectors.DefaultSelector()
    st = {}
    for i in range(n):
        s = connect(host, port)
        st[s] = [os.urandom(size), 0, bytearray()]
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    end, left = time.time() + 40, n
    while left and time.time() < end:
        for key, ev in sel.select(1.0):
            s = key.fileobj
            data, off, back = st[s]
            if ev & selectors.EVENT_WRITE and off < len(data):
                try:
                    off += s.send(data[off:off + 262144])
                except BlockingIOError:
                    pass
                st[s][1] = off
                if off == len(data):
                    s.shutdown(socket.SHUT_WR)
                    sel.modify(s, selectors.EVENT_READ)
            if ev & selectors.EVENT_READ:
                try:
                    chunk = s.recv(262144)
                except BlockingIOError:
                    continue
                if chunk:
                    back += chunk
                else:
                    sel.unregister(s); s.close(); left -= 1
    bad = sum(1 for d, o, b in st.values() if bytes(b) != d)
    print("unfinished=%d mismatched=%d" % (left, bad))
    return 0 if left == 0 and bad == 0 else 1

def roundtrip(s, msg):
    s.setblocking(True); s.settimeout(5)
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        c = s.recv(65536)
        if not c:
            break
        got += c
    return got == msg

def stall(host, port):
    """A sends without ever reading until its sends block; B must still
    get its echoes, promptly."""
    a = connect(host, port)
    sent, end = 0, time.time() + 5
    while time.time() < end:
        try:
            sent += a.send(b"x" * 65536)
        except BlockingIOError:
            # full: stop once the socket stays unwritable for 0.3 s
            sel = selectors.DefaultSelector()
            sel.register(a, selectors.EVENT_WRITE)
            if not sel.select(0.3):
                break
    b = connect(host, port)
    t0 = time.time()
    ok = all(roundtrip(b, os.urandom(1000 + i)) for i in range(20))
    print("hog_sent=%d other_ok=%s other_s=%.2f" % (sent, ok, time.time() - t0))
    return 0 if ok and sent > 0 and time.time() - t0 < 5 else 1

def idle(host, port, timeout):
    """A stays silent, B talks every timeout/6: only A may be closed."""
    a = connect(host, port); a.setblocking(True)
    b = connect(host, port)
    a.settimeout(timeout * 4 + 2)
    res, t0 = {}, time.time()
    def wait_a():
        try:
            res["a"] = a.recv(10)
        except Exception as e:
            res["a"] = e
        res["t"] = time.time() - t0
    th = threading.Thread(target=wait_a); th.start()
    ok = True
    while time.time() - t0 < timeout * 2.5:
        ok = roundtrip(b, b"ping") and ok
        time.sleep(timeout / 6)
    th.join()
    ok = roundtrip(b, b"still here") and ok
    print("idle_closed=%s after=%.1f other_ok=%s" % (res.get("a") == b"", res.get("t", -1), ok))
    return 0 if res.get("a") == b"" and ok else 1

def hold(host, port, n, seconds):
    """n clients, one echo each, then wait for the server's stop to close
    them all (EOF)."""
    socks = [connect(host, port) for _ in range(n)]
    if not all(roundtrip(s, b"hi") for s in socks):
        print("no echo"); return 1
    print("holding %d" % n, flush=True)
    eof = 0
    for s in socks:
        s.settimeout(seconds)
        try:
            eof += s.recv(10) == b""
        except OSError:
            pass
    print("eof=%d" % eof)
    return 0 if eof == n else 1

def flood(host, port, n):
    """n clients at once, one byte each, 3 s for the answers, then all
    closed. Prints how many were echoed, dropped (EOF or reset), waiting."""
    socks = []
    for _ in range(n):
        try:
            socks.append(socket.create_connection((host, port), timeout=5))
        except OSError:
            pass
    sel = selectors.DefaultSelector()
    for s in socks:
        try:
            s.sendall(b"x"); s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
        except OSError:
            pass
    served = dropped = 0
    end = time.time() + 3
    while sel.get_map() and time.time() < end:
        for key, ev in sel.select(0.2):
            s = key.fileobj
            try:
                got = s.recv(1)
            except BlockingIOError:
                continue
            except OSError:
                got = b""
            served += got == b"x"; dropped += got != b"x"
            sel.unregister(s)
    waiting = len(sel.get_map())
    for s in socks:
        s.close()
    print("opened=%d served=%d dropped=%d waiting=%d" % (len(socks), served, dropped, waiting))
    return 0

cmd, host, port, a = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
sys.exit({"echo": lambda: echo(host, port, int(a[0]), int(a[1])),
          "stall": lambda: stall(host, port),
          "idle": lambda: idle(host, port, float(a[0])),
          "hold": lambda: hold(host, port, int(a[0]), float(a[1])),
          "flood": lambda: flood(host, port, int(a[0]))}[cmd]())
PY

peers() { timeout 60 python3 "$PEERS" "$@"; }

# socat_echo HOST PORT FILE: stream FILE, shut the write side at its end
# (socat does on EOF), keep reading until the server closes.
socat_echo() {
    local h=$1
    case $h in *:*) h="[$h]" ;; esac
    timeout 30 socat -t 10 -T 10 - "TCP:$h:$2" <"$3" >"$3.back"
}

head -c 1 /dev/urandom >"$NK_TMP/b1"
head -c 65536 /dev/urandom >"$NK_TMP/b64k"
head -c 10485760 /dev/urandom >"$NK_TMP/b10m"

# stop_check NAME: stop the last server; it must exit 0 with its totals.
stop_check() {
    nk_stop_server "$SERVER_PID"
    check_eq "$1: SIGTERM exits 0" "$STOP_STATUS" 0
    TOTALS=$NK_TMP/$1.out
}

# --- every model: 1 byte, 64 KiB, 10 MiB, 50 clients at once -------------

for model in iterative fork thread select poll epoll default; do
    args=(--model "$model")
    [ "$model" = default ] && args=()
    host=127.0.0.1
    [ "$model" = poll ] || [ "$model" = default ] && host=::1
    if ! nk_start_server "$model" "$NK" echo-tcp serve --port 0 --bind "$host" "${args[@]}"; then
        continue
    fi
    if nk_have "$model: socat peers" socat; then
        for f in b1 b64k b10m; do
            socat_echo "$host" "$SERVER_PORT" "$NK_TMP/$f"
            if cmp -s "$NK_TMP/$f" "$NK_TMP/$f.back"; then nk_ok "$model: $f echoed intact (socat)"
            else nk_not_ok "$model: $f echoed intact (socat)" "$(wc -c <"$NK_TMP/$f.back") bytes back"; fi
        done
    fi
    for size in 1 65536; do
        r=$(peers echo "$host" "$SERVER_PORT" 50 "$size")
        check_eq "$model: 50 clients at once, $size bytes each" "$r" "unfinished=0 mismatched=0"
    done
    if [ "$model" != iterative ]; then
        r=$(peers stall "$host" "$SERVER_PORT")
        check_contains "$model: a client that never reads stalls no one" "$r" "other_ok=True"
    fi
    stop_check "$model"
    # socat 3, python 2 x 50, the hog and its neighbour 2.
    check_eq "$model: every connection counted" "$(field connections "$TOTALS")" \
        "$([ "$model" = iterative ] && echo 103 || echo 105)"
    errors=$(field errors "$TOTALS")
    if [ "$errors" -le 1 ]; then nk_ok "$model: no errors but the hog's reset"
    else nk_not_ok "$model: no errors but the hog's reset" "errors: $errors"; fi
    want=$model
    [ "$model" = default ] && want=epoll
    [ "$(uname)" != Linux ] && [ "$model" = default ] && want=poll
    check_eq "$model: totals name the model" "$(field model "$TOTALS")" "$want"
done
check_contains "default: logs the model and workers" "$(cat "$NK_TMP/default.err")" "model $want, $(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc) worker"
check_contains "log: one line per connection with its bytes" \
    "$(cat "$NK_TMP/epoll.err")" "closed (peer closed): 10485760 bytes in, 10485760 bytes out,"
check_contains "log: IPv4 peers shown as IPv4" "$(cat "$NK_TMP/epoll.err")" "netkit echo-tcp: 127.0.0.1:"

# The default model under heavier load: 50 clients x 10 MiB each.
# SO_REUSEPORT lets any socket of the same user join the listeners' group:
# a second server on a taken port must fail, not silently share clients.
if nk_start_server group "$NK" echo-tcp serve --port 0 --bind 127.0.0.1 \
    --workers 2 --quiet; then
    timeout 5 "$NK" echo-tcp serve --port "$SERVER_PORT" --bind 127.0.0.1 \
        --workers 2 --quiet >/dev/null 2>"$NK_TMP/second.err"
    check_eq "port taken: a second server exits 69" "$?" 69
    check_contains "port taken: why" "$(cat "$NK_TMP/second.err")" \
        "address already in use"
    nk_stop_server "$SERVER_PID"
fi

if nk_start_server heavy "$NK" echo-tcp serve --port 0 --bind 127.0.0.1 --quiet; then
    r=$(peers echo 127.0.0.1 "$SERVER_PORT" 50 10485760)
    check_eq "default: 50 clients x 10 MiB at once" "$r" "unfinished=0 mismatched=0"
    stop_check heavy
    check_eq "default: 500 MiB counted each way" "$(field bytes_out "$TOTALS")" 524288000
    check_eq "--quiet: no connection lines" "$(grep -c connected "$NK_TMP/heavy.err")" 0
fi

# --- real peers: nc with a half-close ----------------------------------------

if nk_start_server nc "$NK" echo-tcp serve --port 0 --bind 127.0.0.1 --model select; then
    if nc -h 2>&1 | grep -q -- '-N.*Shutdown'; then
        r=$(printf 'hello, nc\n' | timeout 10 nc -N 127.0.0.1 "$SERVER_PORT")
        check_eq "nc -N: send, shut write, full echo back" "$r" "hello, nc"
    else
        nk_skip "nc -N: send, shut write, full echo back" \
            "this nc has no -N (package netcat-openbsd has)"
    fi
    if nk_have "socat half-close" socat; then
        # Half-close with data still in flight: all of it comes back.
        timeout 20 socat -t 10 - TCP:127.0.0.1:"$SERVER_PORT",shut-down <"$NK_TMP/b64k" >"$NK_TMP/hc.back"
        if cmp -s "$NK_TMP/b64k" "$NK_TMP/hc.back"; then nk_ok "socat half-close: 64 KiB echoed"
        else nk_not_ok "socat half-close: 64 KiB echoed"; fi
    fi
    stop_check nc
    check_contains "select: log names the peer's bytes" "$(cat "$NK_TMP/nc.err")" "closed (peer closed): 10 bytes in, 10 bytes out"
fi

# --- Ctrl-C with clients open; --json totals ----------------------------------

for model in fork thread epoll; do
    if ! nk_start_server "int-$model" "$NK" echo-tcp serve --port 0 --bind 127.0.0.1 --model "$model" --json; then
        continue
    fi
    : >"$NK_TMP/hold.out"
    peers hold 127.0.0.1 "$SERVER_PORT" 3 5 >"$NK_TMP/hold.out" &
    hpid=$!
    for i in $(seq 200); do grep -q holding "$NK_TMP/hold.out" && break; sleep 0.05; done
    kill -INT "$SERVER_PID"
    wait "$hpid"
    check_eq "$model: SIGINT closes the open clients" "$(tail -1 "$NK_TMP/hold.out")" "eof=3"
    wait "$SERVER_PID"
    check_eq "$model: SIGINT exits 0" "$?" 0
    out=$(cat "$NK_TMP/int-$model.out")
    check_json "$model: --json totals parse" "$out"
    check_eq "$model: closed_at_stop" "$(printf '%s' "$out" | jq .closed_at_stop)" 3
    check_eq "$model: bytes_out" "$(printf '%s' "$out" | jq .bytes_out)" 6
    check_contains "$model: says why it stopped" "$(cat "$NK_TMP/int-$model.err")" "stopping on SIGINT"
done

# --- the idle timeout closes only the idle client ---------------------------
# 1.2 s, the busy client pinging every 0.2 s: a second of margin for a
# loaded machine before its silence could count as idle.

for model in fork select epoll; do
    if nk_start_server "idle-$model" "$NK" echo-tcp serve --port 0 --bind 127.0.0.1 --model "$model" --idle-timeout 1.2; then
        r=$(peers idle 127.0.0.1 "$SERVER_PORT" 1.2)
        check_contains "$model: idle client closed, busy one kept" "$r" "idle_closed=True"
        check_contains "$model: busy client served throughout" "$r" "other_ok=True"
        stop_check "idle-$model"
        check_eq "$model: one idle timeout" "$(field idle_timeouts "$TOTALS")" 1
        check_contains "$model: idle close logged" "$(cat "$NK_TMP/idle-$model.err")" "closed (idle timeout)"
    fi
done

# --- --max-conns ------------------------------------------------------------
# The range is 0 (no limit) to 10000000; a value in it must start a server
# (if it does not, nk_start_server below is a failed check), one past it
# is a usage error.

run_nk echo-tcp serve --port 0 --bind 127.0.0.1 --max-conns 10000001
check_eq "--max-conns 10000001: exit 64" "$RC" 64
check_contains "--max-conns 10000001: names the range" "$ERR" "--max-conns takes 0 to 10000000"
run_nk echo-tcp serve --port 0 --bind 127.0.0.1 --max-conns -1
check_eq "--max-conns -1: exit 64" "$RC" 64
if nk_start_server maxc-top "$NK" echo-tcp serve --port 0 --bind 127.0.0.1 --max-conns 10000000 --quiet; then
    nk_ok "--max-conns 10000000: the top of the range starts"
    nk_stop_server "$SERVER_PID"
fi

if nk_start_server maxc "$NK" echo-tcp serve --port 0 --bind 127.0.0.1 --max-conns 5; then
    r=$(peers flood 127.0.0.1 "$SERVER_PORT" 8)
    check_eq "--max-conns 5: five served, three closed at once" "$r" "opened=8 served=5 dropped=3 waiting=0"
    r=$(peers echo 127.0.0.1 "$SERVER_PORT" 5 1000)
    check_eq "--max-conns: the slots come back" "$r" "unfinished=0 mismatched=0"
    stop_check maxc
    check_eq "--max-conns: rejected counted" "$(field rejected "$TOTALS")" 3
    check_contains "--max-conns: logged" "$(cat "$NK_TMP/maxc.err")" "refused: --max-conns 5 reached"
fi

# --- out of descriptors: EMFILE survived ----------------------------------

for model in epoll thread; do
    if nk_start_server "emfile-$model" bash -c 'ulimit -n 64 && exec "$@"' _ \
        "$NK" echo-tcp serve --port 0 --bind 127.0.0.1 --model "$model" --quiet; then
        r=$(peers flood 127.0.0.1 "$SERVER_PORT" 150)
        served=$(printf '%s' "$r" | sed -n 's/.*served=\([0-9]*\).*/\1/p')
        if [ "${served:-0}" -gt 20 ] && [ "$served" -lt 64 ]; then nk_ok "$model, ulimit -n 64: served up to the limit ($r)"
        else nk_not_ok "$model, ulimit -n 64: served up to the limit" "$r"; fi
        check_contains "$model, ulimit -n 64: the rest dropped, none left hanging" "$r" "waiting=0"
        r=$(peers echo 127.0.0.1 "$SERVER_PORT" 20 65536)
        check_eq "$model: serves again once they close" "$r" "unfinished=0 mismatched=0"
        stop_check "emfile-$model"
        check_contains "$model: the condition is logged, even with --quiet" "$(cat "$NK_TMP/emfile-$model.err")" "out of file descriptors: new clients are closed at once"
    fi
done

# select: descriptors past FD_SETSIZE are refused, never FD_SET.
if nk_start_server fdset bash -c 'ulimit -n 1200 && exec "$@"' _ \
    "$NK" echo-tcp serve --port 0 --bind 127.0.0.1 --model select --quiet; then
    r=$(peers flood 127.0.0.1 "$SERVER_PORT" 1100)
    check_contains "select: 1100 clients, none left hanging" "$r" "waiting=0"
    r=$(peers echo 127.0.0.1 "$SERVER_PORT" 5 1000)
    check_eq "select: serves again after" "$r" "unfinished=0 mismatched=0"
    stop_check fdset
    check_contains "select: FD_SETSIZE refusal logged" "$(cat "$NK_TMP/fdset.err")" "beyond FD_SETSIZE"
fi

# --- errors at start -----------------------------------------------------------

if nk_start_server busy "$NK" echo-tcp serve --port 0 --bind 127.0.0.1 --model iterative; then
    run_nk echo-tcp serve --port "$SERVER_PORT" --bind 127.0.0.1 --model iterative
    check_eq "port in use: exit 69" "$RC" 69
    check_contains "port in use: names the step" "$ERR" "bind 127.0.0.1:$SERVER_PORT: address already in use"
    stop_check busy
fi

nk_done

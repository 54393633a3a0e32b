#!/usr/bin/env bash
# Every server speaks one way (issue 13, item 2; include/netkit/server.h):
# "netkit CMD: listening on ADDR" once bound, "netkit CMD: stopped by
# SIGTERM" when stopped; out of file descriptors the TCP servers shed
# clients through the shared acceptor (net/accept.c): no spinning, and one
# rate-limited log line for many shed clients.
. "$(dirname "$0")/lib.sh" "$@"
NK=$(cd "$(dirname "$NK")" && pwd)/$(basename "$NK")
FS_ROOT=$NK_TMP/root
mkdir -p "$FS_ROOT"

# The server process itself (nk_start_server runs it under timeout(1)).
server_pid() {
    local p
    p=$(pgrep -P "$SERVER_PID" | head -n 1)
    echo "${p:-$SERVER_PID}"
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# --- one announce line, one stop line --------------------------------------
shape() {
    local name=$1 cmd=$2 log lines
    shift 2
    if ! nk_start_server "$name" "$NK" "$@" --port 0 --bind 127.0.0.1; then
        return
    fi
    nk_stop_server "$SERVER_PID"
    log=$(cat "$NK_TMP/$name.err")
    lines=$(grep -c 'listening on' <<<"$log")
    if [ "$lines" = 1 ] && grep -Eq "^netkit $cmd: listening on 127\.0\.0\.1:[1-9][0-9]*\$" <<<"$log"; then
        nk_ok "$name: 'netkit $cmd: listening on ADDR', once"
    else
        nk_not_ok "$name: 'netkit $cmd: listening on ADDR', once" "$log"
    fi
    if grep -Eq "^netkit $cmd: stopped by SIGTERM(: .*)?\$" <<<"$log"; then
        nk_ok "$name: 'netkit $cmd: stopped by SIGTERM'"
    else
        nk_not_ok "$name: 'netkit $cmd: stopped by SIGTERM'" "$log"
    fi
    check_eq "$name: exit status after SIGTERM" "$STOP_STATUS" 0
}
shape echo-tcp echo-tcp echo-tcp serve
shape echo-tcp-fork echo-tcp echo-tcp serve --model fork
shape echo-udp echo-udp echo-udp serve
shape sntp sntp sntp serve
shape chat chat chat serve --no-console
shape fileshare fileshare fileshare serve --root "$FS_ROOT"

# --- out of file descriptors ---------------------------------------------
# A peer that holds HOLD connections (more than the server has fds), then
# opens SHED more one after another, each waiting (3 s at most) for the
# server to close it; prints "shed=N hanging=M" and keeps holding.
cat >"$NK_TMP/fdpeer.py" <<'PY'
import socket, sys, time
port, hold, shed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
held = []
for _ in range(hold):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    held.append(s)
time.sleep(0.5)
closed = hanging = 0
for _ in range(shed):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.settimeout(3)
    try:
        while s.recv(4096):
            pass
        closed += 1
    except socket.timeout:
        hanging += 1
    except OSError:
        closed += 1
    s.close()
print("shed=%d hanging=%d" % (closed, hanging), flush=True)
time.sleep(60)
PY

exhaust() {
    local name=$1 fdline=$2 i peer r spid t0 t1 n0 n1 n tck
    shift 2
    if ! nk_start_server "$name" bash -c 'ulimit -n 32 && exec "$@"' _ \
        "$NK" "$@" --port 0 --bind 127.0.0.1; then
        return
    fi
    spid=$(server_pid)
    python3 "$NK_TMP/fdpeer.py" "$SERVER_PORT" 40 20 >"$NK_TMP/$name.peer" 2>&1 &
    peer=$!
    for i in $(seq 1 300); do
        grep -q '^shed=' "$NK_TMP/$name.peer" && break
        kill -0 "$peer" 2>/dev/null || break
        sleep 0.1
    done
    r=$(cat "$NK_TMP/$name.peer")
    check_contains "$name, ulimit -n 32: every client over the limit closed, none left hanging" "$r" "hanging=0"
    n0=$(grep -c "$fdline" "$NK_TMP/$name.err")
    t0=$(cpu_ticks "$spid")
    sleep 2
    t1=$(cpu_ticks "$spid")
    n1=$(grep -c "$fdline" "$NK_TMP/$name.err")
    tck=$(getconf CLK_TCK)
    if [ $((t1 - t0)) -lt $((tck / 2)) ]; then
        nk_ok "$name: out of fds, no spinning ($((t1 - t0)) ticks in 2 s)"
    else
        nk_not_ok "$name: out of fds, no spinning" "$((t1 - t0)) CPU ticks in 2 s"
    fi
    # Some 30 clients shed within about a second: the shared acceptor's
    # one message a second, not one a client.
    n=$n1
    if [ "$n" -ge 1 ] && [ "$n" -le 4 ]; then
        nk_ok "$name: out of fds logged, rate-limited ($n lines)"
    else
        nk_not_ok "$name: out of fds logged, rate-limited (1 to 4 lines)" \
            "$n lines: $(grep "$fdline" "$NK_TMP/$name.err" | head -n 8)"
    fi
    kill "$peer" 2>/dev/null
    wait "$peer" 2>/dev/null
    nk_stop_server "$SERVER_PID"
}
exhaust chat-fds 'out of file descriptors' chat serve --no-console
exhaust echo-tcp-fds 'out of file descriptors' echo-tcp serve --model epoll --workers 1 --quiet
exhaust fileshare-fds 'out of file descriptors' fileshare serve --root "$FS_ROOT"

nk_done

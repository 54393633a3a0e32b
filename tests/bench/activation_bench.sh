#!/usr/bin/env bash
# What a connection costs in each way a netkit echo server can be run
# (issue 18): its own listener (--port), a listener systemd passed (socket
# activation, Accept=no: one process for every connection), and inetd
# style (systemd-socket-activate -a --inetd: a process exec'd per
# connection). N sequential connections, each one line out and back, from
# one python client; median of RUNS per way, runs alternated so every way
# sees the same machine. Prints figures; never passes or fails on time.
#
# usage: tests/bench/activation_bench.sh NETKIT [N] [RUNS]
set -u
NK=${1:?path to netkit}
N=${2:-300}
RUNS=${3:-3}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/nk_act_bench.XXXXXX")
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

command -v systemd-socket-activate >/dev/null || {
    echo "activation_bench: systemd-socket-activate not installed" >&2
    exit 1
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ms for N connections (connect, one line, its echo, close)
cat >"$TMP/conns.py" <<'EOF'
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
t0 = time.perf_counter()
for i in range(n):
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    c.sendall(b"ping\n")
    got = b""
    while not got.endswith(b"\n"):
        b = c.recv(64)
        if not b:
            sys.exit("connection %d closed early" % i)
        got += b
    c.close()
print("%.1f" % ((time.perf_counter() - t0) * 1000))
EOF

# start WAY PORT: the server, ready for clients
start() {
    case $1 in
    own) "$NK" echo-tcp serve --model epoll --workers 1 --quiet \
        --bind 127.0.0.1 --port "$2" >"$TMP/out" 2>"$TMP/err" & ;;
    passed) systemd-socket-activate -l "127.0.0.1:$2" "$NK" echo-tcp serve \
        --model epoll --workers 1 --quiet >"$TMP/out" 2>"$TMP/err" & ;;
    inetd) systemd-socket-activate -l "127.0.0.1:$2" -a --inetd \
        "$NK" echo-tcp serve --inetd >"$TMP/out" 2>"$TMP/err" & ;;
    esac
    PIDS+=($!)
    for _ in $(seq 1 100); do
        grep -q -i 'listening on' "$TMP/err" && return 0
        sleep 0.05
    done
    echo "activation_bench: $1 never listened: $(cat "$TMP/err")" >&2
    exit 1
}

declare -A ms
for r in $(seq 1 "$RUNS"); do
    for way in own passed inetd; do
        port=$(free_port)
        start "$way" "$port"
        ms[$way]+="$(python3 "$TMP/conns.py" "$port" "$N") "
        kill "${PIDS[-1]}" 2>/dev/null
        wait "${PIDS[-1]}" 2>/dev/null
    done
done
median() { printf '%s\n' $1 | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
echo "connections: $N sequential, one line each; median of $RUNS runs"
for way in own passed inetd; do
    m=$(median "${ms[$way]}")
    printf '%-7s %8s ms  %6.0f us/connection  (runs: %s)\n' "$way" "$m" \
        "$(awk -v m="$m" -v n="$N" 'BEGIN {print m * 1000 / n}')" "${ms[$way]% }"
done

#!/usr/bin/env bash
# SNTP benchmark (a figure, not a test: ctest never runs it): replies per
# second of `netkit sntp serve` against chronyd serving on loopback in the
# same run, both measured by `netkit sntp bench` (every reply validated:
# origin, mode 4, version, transmit, synchronisation) with 1 and with 32
# requests in flight. chronyd runs from a private config in a temp dir
# (local stratum 10, no upstream, no command port, no ratelimit directive:
# NTP rate limiting is off unless configured). The servers take turns run
# by run so machine noise spreads over both; the table shows medians and
# netkit/chronyd ratios. Loopback only, ephemeral ports, bounded in time.
#
# usage: tests/bench/sntp_bench.sh [NETKIT]
#   NETKIT   the binary (default build/h-sntpb/netkit, else build/netkit);
#            use a Release build, not a sanitized one
# environment:
#   DURATION=3      seconds per measurement
#   RUNS=5          runs per server and in-flight count (medians)
#   INFLIGHT="1 32" in-flight counts
set -u
NK=${1:-}
if [ -z "$NK" ]; then
    for c in build/h-sntpb/netkit build/netkit; do
        [ -x "$c" ] && { NK=$c; break; }
    done
fi
[ -n "$NK" ] && [ -x "$NK" ] || { echo "no netkit binary (pass its path)" >&2; exit 1; }
command -v chronyd >/dev/null || { echo "chronyd is missing (apt-get install chrony)" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is missing" >&2; exit 1; }
DURATION=${DURATION:-3}
RUNS=${RUNS:-5}
INFLIGHT=${INFLIGHT:-"1 32"}

TMP=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_udp_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Wait until the server at port $1 answers a client query (at most ~5 s).
wait_answer() {
    for _ in $(seq 1 50); do
        "$NK" sntp --timeout 0.2 --retries 0 --port "$1" 127.0.0.1 \
            >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# Start a server; sets SPID and SPORT.
start_netkit() {
    timeout --kill-after=5 600 "$NK" sntp serve --port 0 --bind 127.0.0.1 \
        --assume-synced >/dev/null 2>"$TMP/nk.err" &
    SPID=$!
    PIDS+=("$SPID")
    for _ in $(seq 1 50); do
        SPORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/nk.err")
        [ -n "$SPORT" ] && break
        sleep 0.1
    done
    [ -n "$SPORT" ] && wait_answer "$SPORT"
}
start_chronyd() {
    SPORT=$(free_udp_port)
    cat >"$TMP/chrony.conf" <<EOF
port $SPORT
bindaddress 127.0.0.1
local stratum 10
allow 127.0.0.1
cmdport 0
pidfile $TMP/chronyd.pid
driftfile $TMP/chronyd.drift
EOF
    rm -f "$TMP/chronyd.pid"
    timeout --kill-after=5 600 chronyd -f "$TMP/chrony.conf" -d -x -u root \
        >"$TMP/chronyd.log" 2>&1 &
    SPID=$!
    PIDS+=("$SPID")
    wait_answer "$SPORT"
}
stop_server() {
    kill "$SPID" 2>/dev/null
    wait "$SPID" 2>/dev/null
}

# measure SERVER INFLIGHT: one run; appends "rps p50 p99 invalid lost" to
# $TMP/SERVER.INFLIGHT.
measure() {
    local out
    if ! "start_$1"; then
        echo "$1 did not start" >&2
        cat "$TMP/nk.err" "$TMP/chronyd.log" 2>/dev/null >&2
        exit 1
    fi
    out=$("$NK" sntp bench --host 127.0.0.1 --port "$SPORT" --inflight "$2" \
        --duration "$DURATION" --json 2>"$TMP/bench.err")
    local rc=$?
    stop_server
    if [ -z "$out" ]; then
        echo "bench against $1 failed (exit $rc): $(cat "$TMP/bench.err")" >&2
        exit 1
    fi
    printf '%s\n' "$out" | jq -r '[.replies_per_s, .latency_p50_us,
        .latency_p99_us, .invalid, .lost] | @tsv' >>"$TMP/$1.$2"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { cut -f"$1" "$2" | median; }
total() { cut -f"$1" "$2" | awk '{ s += $1 } END { print s + 0 }'; }

echo "netkit: $NK; $(chronyd -v | head -1); $(nproc) CPUs"
echo "runs: $RUNS x ${DURATION} s per server and in-flight count (medians)"
for r in $(seq 1 "$RUNS"); do
    for k in $INFLIGHT; do
        measure netkit "$k"
        measure chronyd "$k"
    done
    echo "run $r/$RUNS done" >&2
done

printf '\n%-9s %-8s %12s %9s %9s %8s %6s %16s\n' server inflight replies/s \
    p50_us p99_us invalid lost "vs chronyd"
for k in $INFLIGHT; do
    cr=$(col 1 "$TMP/chronyd.$k")
    for s in netkit chronyd; do
        f=$TMP/$s.$k
        rps=$(col 1 "$f")
        printf '%-9s %-8s %12.0f %9.1f %9.1f %8d %6d %15.2fx\n' "$s" "$k" \
            "$rps" "$(col 2 "$f")" "$(col 3 "$f")" "$(total 4 "$f")" \
            "$(total 5 "$f")" "$(awk -v a="$rps" -v b="$cr" 'BEGIN { print (b > 0 ? a / b : 0) }')"
    done
done
echo "(invalid and lost: totals over all runs; the rest: medians)"

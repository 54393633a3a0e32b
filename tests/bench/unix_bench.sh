#!/usr/bin/env bash
# Echo over a Unix socket against echo over loopback TCP (issue 18): the
# same server (netkit echo-tcp serve, epoll, one worker) on unix:PATH and
# on 127.0.0.1, the same load (netkit echo-tcp bench), runs alternated
# so both see the same machine, median of RUNS each, and the ratio.
# Prints figures; never passes or fails on time.
#
# usage: tests/bench/unix_bench.sh NETKIT [RUNS] [DURATION] [SIZE] [CONNS]
set -u
NK=${1:?path to netkit}
RUNS=${2:-3}
DUR=${3:-2}
SIZE=${4:-64}
CONNS=${5:-10}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/nk_unix_bench.XXXXXX")
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

# start NAME ARGS...: a server; its "listening on" address in $ADDR
start() {
    local name=$1 i
    shift
    timeout 600 "$NK" echo-tcp serve --model epoll --workers 1 --quiet "$@" \
        >"$TMP/$name.out" 2>"$TMP/$name.err" &
    PIDS+=($!)
    for i in $(seq 1 100); do
        ADDR=$(sed -n 's/.*listening on //p' "$TMP/$name.err")
        [ -n "$ADDR" ] && return 0
        sleep 0.05
    done
    echo "server $name did not start: $(cat "$TMP/$name.err")" >&2
    exit 2
}

start unix --bind "unix:$TMP/echo.sock"
UNIX_ADDR=$ADDR
start tcp --bind 127.0.0.1 --port 0
TCP_PORT=${ADDR##*:}

# one RUN: requests per second and p50 latency (us) of one bench
bench() {
    "$NK" --json echo-tcp bench "$@" --port "${TCP_PORT}" --conns "$CONNS" \
        --size "$SIZE" --duration "$DUR" |
        jq -r '"\(.requests_per_s) \(.latency_p50_us)"'
}

median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

: >"$TMP/unix.rps"
: >"$TMP/tcp.rps"
: >"$TMP/unix.p50"
: >"$TMP/tcp.p50"
for r in $(seq 1 "$RUNS"); do
    read -r rps p50 < <(bench --host "$UNIX_ADDR")
    echo "$rps" >>"$TMP/unix.rps"
    echo "$p50" >>"$TMP/unix.p50"
    echo "run $r unix: $rps req/s, p50 $p50 us"
    read -r rps p50 < <(bench --host 127.0.0.1)
    echo "$rps" >>"$TMP/tcp.rps"
    echo "$p50" >>"$TMP/tcp.p50"
    echo "run $r tcp:  $rps req/s, p50 $p50 us"
done
U=$(median <"$TMP/unix.rps")
T=$(median <"$TMP/tcp.rps")
UL=$(median <"$TMP/unix.p50")
TL=$(median <"$TMP/tcp.p50")
echo "conns $CONNS, size $SIZE B, $DUR s, median of $RUNS"
echo "unix: $U req/s, p50 $UL us"
echo "tcp:  $T req/s, p50 $TL us"
awk -v u="$U" -v t="$T" 'BEGIN {printf "ratio unix/tcp: %.2f\n", u / t}'

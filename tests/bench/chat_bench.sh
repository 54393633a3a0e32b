#!/usr/bin/env bash
# Manual benchmark (not run by ctest): messages delivered per second in a
# room of CLIENTS clients, netkit chat serve against Debian's `ncat --chat`
# in the same run, alternating servers run by run.
#
# The load comes from nk_chat_load (tests/bench/chat_load.c, built as
# BUILD/tests/nk_chat_load): one C process on one event loop connects
# every client (netkit's get "/nick cI" first; ncat needs no hello),
# waits for the join notices to stop, then every client sends LINES lines
# of SIZE bytes, one line per send, at most a small window ahead of what
# it has received, while reading everything. The clock runs from the
# first line sent until every client has received every other client's
# lines (deliveries = LINES * CLIENTS * (CLIENTS-1)) or 60 s passed.
# Medians of RUNS runs. Loopback only, ephemeral ports, bounded in time.
#
# usage: tests/bench/chat_bench.sh [path/to/netkit] [CLIENTS] [LINES] [RUNS]
#                                  [SIZE] [path/to/nk_chat_load]
set -u
NK=${1:-build/h-chatb/netkit}
CLIENTS=${2:-100}
LINES=${3:-200}
RUNS=${4:-5}
SIZE=${5:-32}
LOAD=${6:-$(dirname "$NK")/tests/nk_chat_load}
command -v ncat >/dev/null || { echo "ncat is missing (apt-get install ncat)"; exit 1; }
[ -x "$NK" ] || { echo "no netkit at $NK"; exit 1; }
[ -x "$LOAD" ] || { echo "no nk_chat_load at $LOAD (build the tests)"; exit 1; }

TMP=$(mktemp -d)
SRV=""
stop_server() {
    if [ -n "$SRV" ]; then
        kill "$SRV" 2>/dev/null
        wait "$SRV" 2>/dev/null
        SRV=""
    fi
}
trap 'stop_server; rm -rf "$TMP"' EXIT

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Start one server; sets SRV and PORT.
start_server() {
    local kind=$1 i
    : >"$TMP/err"
    if [ "$kind" = netkit ]; then
        timeout 180 "$NK" chat serve --port 0 --bind 127.0.0.1 --no-console \
            </dev/null >/dev/null 2>"$TMP/err" &
        SRV=$!
        for i in $(seq 100); do
            grep -q 'listening on' "$TMP/err" && break
            sleep 0.05
        done
        PORT=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$TMP/err" | head -1)
    else
        PORT=$(free_port)
        timeout 180 ncat --chat -l -m $((CLIENTS + 10)) 127.0.0.1 "$PORT" \
            </dev/null >/dev/null 2>"$TMP/err" &
        SRV=$!
        for i in $(seq 100); do
            ss -ltn 2>/dev/null | grep -q "127.0.0.1:$PORT " && break
            sleep 0.05
        done
    fi
    [ -n "$PORT" ] || { echo "$kind did not start"; cat "$TMP/err"; exit 1; }
}

one_run() {
    local kind=$1 hello=()
    [ "$kind" = netkit ] && hello=(--nick-prefix c)
    start_server "$kind"
    "$LOAD" --host 127.0.0.1 --port "$PORT" --clients "$CLIENTS" \
        --lines "$LINES" --size "$SIZE" --timeout 60 "${hello[@]}" \
        >"$TMP/out" || { echo "load driver failed on $kind"; exit 1; }
    stop_server
    awk -v k="$kind" -F': ' '
        { v[$1] = $2 }
        END { printf "%s %s %s %s %s\n", k, v["deliveries_per_s"],
              v["deliveries"], v["expected"], v["seconds"] }' "$TMP/out"
}

for r in $(seq "$RUNS"); do
    for kind in netkit ncat; do
        one_run "$kind" | tee -a "$TMP/all" | awk -v r="$r" '
            { printf "run %d %-6s %10.0f deliveries/s  (%d of %d in %.3f s)\n",
              r, $1, $2, $3, $4, $5 }'
    done
done

median() {
    awk -v k="$1" '$1 == k { print $2 }' "$TMP/all" | sort -n |
        awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
complete() {
    awk -v k="$1" '$1 == k && $3 != $4 { bad = 1 } END { print bad ? "no" : "yes" }' "$TMP/all"
}
MK=$(median netkit)
MN=$(median ncat)
echo
echo "room of $CLIENTS clients, $LINES lines of $SIZE bytes each, $RUNS runs (medians)"
printf "%-14s %14s %s\n" server deliveries/s "all delivered"
printf "%-14s %14.0f %s\n" "netkit chat" "$MK" "$(complete netkit)"
printf "%-14s %14.0f %s\n" "ncat --chat" "$MN" "$(complete ncat)"
awk -v a="$MK" -v b="$MN" 'BEGIN { printf "%-14s %14.2f\n", "ratio", (b > 0 ? a / b : 0) }'

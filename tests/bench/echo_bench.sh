#!/usr/bin/env bash
# Echo benchmarks: netkit's echo servers against socat's and ncat's, all
# measured by `netkit echo-tcp bench` (and `netkit echo-udp bench`) in the
# same run, on loopback. Figures, not a pass/fail test: ctest never runs
# this. Each measurement starts a fresh server, and the servers take turns
# run by run, so a noisy machine spreads its noise over all of them; the
# table shows medians and ratios to socat.
#
# usage: tests/bench/echo_bench.sh [NETKIT]
#   NETKIT      the binary (default: build/netkit from the README's quick
#               start, else build/check-plain/netkit from scripts/check.sh,
#               else netkit on PATH); use a Release build, not a sanitized
#               one
# environment:
#   DURATION=5   seconds per measurement       RUNS=3   runs per server
#   CONNS=100    ping-pong connections         SIZE=64  ping-pong bytes
#   THREADS="1 2" bench event loops (threads): the ping-pong table is
#                repeated for each (on 2 cores the client competes with
#                the server: 1 loop leaves a core to a 1-loop server)
#   BULK_SIZE=65536 BULK_PIPELINE=16  the bulk test: 1 connection,
#                                     BULK_SIZE*BULK_PIPELINE bytes in flight
#   MODELS="default epoll1 thread fork poll select"  netkit server models
#                (epoll1 = --model epoll --workers 1)
#   IDLE=10000   idle connections held by netkit's default server
#   IDLE_PEER=200 idle connections for socat/ncat (a process each)
#   UDP_CLIENTS=8  UDP_WINDOWS="1 4"  echo-udp section: 8 clients, each
#                                     with 1 (ping-pong), then 4 in flight
#   SKIP=""      any of: pingpong bulk idle udp
#   NO_INSTALL=1 never apt-get install socat/ncat/iperf3
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
NK=${1:-}
if [ -z "$NK" ]; then
    for c in "$root/build/netkit" "$root/build/check-plain/netkit"; do
        [ -x "$c" ] && NK=$c && break
    done
    [ -z "$NK" ] && NK=$(command -v netkit || true)
fi
[ -x "$NK" ] || { echo "echo_bench: no netkit binary (give its path)" >&2; exit 64; }

DURATION=${DURATION:-5}
RUNS=${RUNS:-3}
CONNS=${CONNS:-100}
SIZE=${SIZE:-64}
THREADS=${THREADS:-1 2}
BULK_SIZE=${BULK_SIZE:-65536}
BULK_PIPELINE=${BULK_PIPELINE:-16}
MODELS=${MODELS:-default epoll1 thread fork poll select}
IDLE=${IDLE:-10000}
IDLE_PEER=${IDLE_PEER:-200}
UDP_CLIENTS=${UDP_CLIENTS:-8}
UDP_WINDOWS=${UDP_WINDOWS:-1 4}
SKIP=${SKIP:-}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/nk_bench.XXXXXX")
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    sleep 0.2
    for p in "${PIDS[@]}"; do
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

skipped() { case " $SKIP " in *" $1 "*) return 0 ;; esac; return 1; }
log() { echo "# $*" >&2; }

# ---- tools ----
install_tools() {
    local missing=() t
    for t in socat ncat iperf3 jq python3; do
        command -v "$t" >/dev/null || missing+=("$t")
    done
    [ ${#missing[@]} -eq 0 ] && return
    if [ "${NO_INSTALL:-0}" = 1 ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        log "missing (not installed): ${missing[*]}"
        return
    fi
    log "installing ${missing[*]} with apt-get"
    local pkgs=()
    for t in "${missing[@]}"; do
        case $t in python3) pkgs+=(python3) ;; *) pkgs+=("$t") ;; esac
    done
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null 2>&1 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null 2>&1; } ||
        log "apt-get could not install ${pkgs[*]}"
}
install_tools
command -v jq >/dev/null || { echo "echo_bench: jq is needed" >&2; exit 69; }
command -v python3 >/dev/null || { echo "echo_bench: python3 is needed" >&2; exit 69; }

# 10,000 connections need 10,000 descriptors on each side.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() { # wait_port PORT: until something accepts on 127.0.0.1:PORT
    local i
    for i in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# start_server KIND: sets SPID and SPORT. KIND: netkit:MODEL, socat, ncat,
# netkit-udp, socat-udp.
start_server() {
    local kind=$1 args=() i line
    SPID=
    SPORT=
    case $kind in
    netkit:*)
        case ${kind#netkit:} in
        default) ;;
        epoll1) args=(--model epoll --workers 1) ;;
        *) args=(--model "${kind#netkit:}") ;;
        esac
        "$NK" echo-tcp serve --port 0 --bind 127.0.0.1 --quiet "${args[@]}" \
            >"$TMP/server.out" 2>"$TMP/server.err" &
        SPID=$!
        ;;
    netkit-udp)
        "$NK" echo-udp serve --port 0 --bind 127.0.0.1 --quiet \
            >"$TMP/server.out" 2>"$TMP/server.err" &
        SPID=$!
        ;;
    socat)
        SPORT=$(free_port)
        socat "TCP-LISTEN:$SPORT,bind=127.0.0.1,fork,reuseaddr,backlog=4096" PIPE \
            >/dev/null 2>"$TMP/server.err" &
        SPID=$!
        ;;
    socat-udp)
        SPORT=$(free_port)
        socat "UDP-LISTEN:$SPORT,bind=127.0.0.1,fork,reuseaddr" PIPE \
            >/dev/null 2>"$TMP/server.err" &
        SPID=$!
        ;;
    ncat)
        SPORT=$(free_port)
        ncat -l -k --max-conns 100000 -e /bin/cat 127.0.0.1 "$SPORT" \
            >/dev/null 2>"$TMP/server.err" &
        SPID=$!
        ;;
    esac
    PIDS+=("$SPID")
    if [ -z "$SPORT" ]; then
        for i in $(seq 1 200); do
            line=$(grep -m1 'listening on ' "$TMP/server.err" 2>/dev/null)
            [ -n "$line" ] && SPORT=${line##*:} && return 0
            kill -0 "$SPID" 2>/dev/null || break
            sleep 0.05
        done
        log "$kind did not start: $(cat "$TMP/server.err")"
        return 1
    fi
    case $kind in
    socat-udp) sleep 0.2 ;;
    *) wait_port "$SPORT" || { log "$kind did not start"; return 1; } ;;
    esac
}

stop_server() {
    local i kids
    [ -n "${SPID:-}" ] || return
    kids=$(pgrep -P "$SPID" 2>/dev/null) # socat/ncat per-connection children
    kill -TERM "$SPID" 2>/dev/null
    for i in $(seq 1 100); do
        kill -0 "$SPID" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$SPID" 2>/dev/null
    wait "$SPID" 2>/dev/null
    for i in $kids; do kill -KILL "$i" 2>/dev/null; done
    SPID=
    sleep 0.3 # let TIME_WAIT and the children settle
}

# CPU time (clock ticks) the server has used: the process and its live
# children (socat and ncat fork one per connection; a reaped child's time
# is in the parent's cutime/cstime, fields 16-17 of /proc/PID/stat).
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
server_ticks() {
    local t=0 p v
    for p in $SPID $(pgrep -P "$SPID" 2>/dev/null); do
        v=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null)
        t=$((t + ${v:-0}))
    done
    echo $t
}

# run_measured OUT.json CMD...: runs a bench and writes, beside its JSON,
# OUT.cpu: the server's CPU seconds over the whole run (connecting
# included: forking a process per connection is part of a model's cost).
run_measured() {
    local out=$1 t0 t1
    shift
    t0=$(server_ticks)
    # The bench's own CPU: a subshell's children's times once it has
    # waited for the bench (fields 16-17 of its /proc/PID/stat).
    (
        "$@" >"$out" 2>/dev/null
        awk -v hz="$HZ" '{ printf "%.3f\n", ($16 + $17) / hz }' \
            "/proc/$BASHPID/stat" >"${out%.json}.bcpu"
    )
    t1=$(server_ticks)
    awk -v t=$((t1 - t0)) -v hz="$HZ" 'BEGIN { printf "%.3f\n", t / hz }' \
        >"${out%.json}.cpu"
}

# cpu_us NAME SERVER COUNT-FIELD: the median over runs of the server's CPU
# microseconds per request (or datagram).
cpu_us() {
    local f ext=${4:-cpu}
    for f in "$TMP/$1.${2//:/_}".*.json; do
        [ -s "$f" ] && [ -s "${f%.json}.$ext" ] || continue
        jq -r --argjson cpu "$(cat "${f%.json}.$ext")" \
            "if ($3) > 0 then \$cpu / ($3) * 1e6 * 10 | floor / 10 else empty end" "$f"
    done | median
}

median() { # numbers on stdin -> the median (the lower middle of an even count)
    sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "-"; else print v[int((NR + 1) / 2)]}'
}

ratio() { # ratio A B: A/B with 2 decimals, "-" when either is missing
    awk -v a="$1" -v b="$2" 'BEGIN {if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f\n", a / b}'
}

label() {
    case $1 in
    netkit:default) echo "netkit (default)" ;;
    netkit:epoll1) echo "netkit epoll x1" ;;
    netkit:*) echo "netkit ${1#netkit:}" ;;
    *) echo "$1" ;;
    esac
}

SERVERS=()
for m in $MODELS; do SERVERS+=("netkit:$m"); done
command -v socat >/dev/null && SERVERS+=(socat)
command -v ncat >/dev/null && SERVERS+=(ncat)

# bench_all NAME BENCH-ARGS...: every server, RUNS times each, in turns;
# the JSON results land in $TMP/NAME.<server>.<run>.json.
bench_all() {
    local name=$1 run s
    shift
    for run in $(seq 1 "$RUNS"); do
        for s in "${SERVERS[@]}"; do
            start_server "$s" || continue
            run_measured "$TMP/$name.${s//:/_}.$run.json" \
                "$NK" echo-tcp bench --host 127.0.0.1 --port "$SPORT" --json "$@"
            stop_server
        done
    done
}

med_of() { # med_of NAME SERVER JQ-FIELD
    local f
    for f in "$TMP/$1.${2//:/_}".*.json; do
        [ -s "$f" ] && jq -r "$3 // empty" "$f"
    done | median
}

header() {
    echo
    echo "## $1"
    echo
}

# ---- 1. ping-pong: many connections, small requests ----
pingpong() {
    local t
    for t in $THREADS; do pingpong_threads "$t"; done
}

pingpong_threads() {
    local t=$1 s rq p50 p99 p999 err srq sp99 cpu scpu
    header "ping-pong: $CONNS connections, $SIZE-byte requests, 1 in flight each, bench --threads $t, ${DURATION} s, median of $RUNS runs"
    bench_all "pp$t" --conns "$CONNS" --size "$SIZE" --pipeline 1 \
        --duration "$DURATION" --threads "$t"
    srq=$(med_of "pp$t" socat .requests_per_s)
    sp99=$(med_of "pp$t" socat .latency_p99_us)
    scpu=$(cpu_us "pp$t" socat .requests)
    printf '| %-18s | %10s | %8s | %8s | %9s | %6s | %10s | %9s | %10s | %10s | %10s |\n' \
        server "requests/s" "p50 us" "p99 us" "p99.9 us" errors "x socat" "p99/socat" "CPU us/req" "socat CPU/" "bench us"
    printf '|%s|\n' "--------------------|------------|----------|----------|-----------|--------|------------|-----------|------------|------------|------------"
    for s in "${SERVERS[@]}"; do
        rq=$(med_of "pp$t" "$s" .requests_per_s)
        p50=$(med_of "pp$t" "$s" .latency_p50_us)
        p99=$(med_of "pp$t" "$s" .latency_p99_us)
        p999=$(med_of "pp$t" "$s" .latency_p999_us)
        err=$(med_of "pp$t" "$s" '.errors + .mismatches')
        cpu=$(cpu_us "pp$t" "$s" .requests)
        printf '| %-18s | %10s | %8s | %8s | %9s | %6s | %10s | %9s | %10s | %10s | %10s |\n' \
            "$(label "$s")" "$rq" "$p50" "$p99" "$p999" "$err" \
            "$(ratio "$rq" "$srq")" "$(ratio "$p99" "$sp99")" "$cpu" \
            "$(ratio "$scpu" "$cpu")" "$(cpu_us "pp$t" "$s" .requests bcpu)"
    done
    echo
    echo "CPU us/req: the server's CPU time (all its threads and processes)"
    echo "per request; 'socat CPU/' is socat's divided by this row's: how many"
    echo "times less CPU the server spends per request; 'bench us': the load"
    echo "generator's own CPU per request. On a machine whose CPUs the bench"
    echo "shares, requests/s <= CPUs / (server + bench CPU per request)."
}

# ---- 2. bulk: one connection, large requests ----
iperf_mbs() { # one-direction MB/s of iperf3 over loopback, median of RUNS
    local run port
    command -v iperf3 >/dev/null || { echo -; return; }
    for run in $(seq 1 "$RUNS"); do
        port=$(free_port)
        iperf3 -s -1 -B 127.0.0.1 -p "$port" >/dev/null 2>&1 &
        PIDS+=($!)
        sleep 0.3
        iperf3 -c 127.0.0.1 -p "$port" -t "$DURATION" -J 2>/dev/null |
            jq -r '.end.sum_received.bits_per_second / 8e6 * 10 | floor / 10'
        wait $! 2>/dev/null
    done | median
}

bulk() {
    local s mbs smbs ip
    header "bulk: 1 connection, $BULK_SIZE-byte requests, $BULK_PIPELINE in flight, ${DURATION} s, median of $RUNS runs"
    bench_all bulk --conns 1 --size "$BULK_SIZE" --pipeline "$BULK_PIPELINE" \
        --duration "$DURATION"
    smbs=$(med_of bulk socat .mbytes_per_s)
    ip=$(iperf_mbs)
    printf '| %-18s | %10s | %8s | %10s | %12s |\n' server "MB/s" "p99 us" "x socat" "of iperf3"
    printf '|%s|\n' "--------------------|------------|----------|------------|--------------"
    for s in "${SERVERS[@]}"; do
        mbs=$(med_of bulk "$s" .mbytes_per_s)
        printf '| %-18s | %10s | %8s | %10s | %12s |\n' "$(label "$s")" "$mbs" \
            "$(med_of bulk "$s" .latency_p99_us)" "$(ratio "$mbs" "$smbs")" \
            "$(ratio "$mbs" "$ip")"
    done
    echo
    echo "iperf3 on loopback (one direction, the ceiling): ${ip} MB/s." \
        "MB/s above is echoed bytes received back (one direction; every byte" \
        "also crossed loopback on the way out)."
}

# ---- 3. idle connections: held, then each still echoes ----
cat >"$TMP/idle.py" <<'EOF'
# idle.py PORT N SERVER_PID: open N connections, hold them idle, read the
# server's memory, then send one byte on each and count the echoes.
import json, os, selectors, socket, sys, time

port, n, spid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

def rss_kib(pid):
    # the server and its children (fork-per-connection servers)
    total, pending = 0, [pid]
    while pending:
        p = pending.pop()
        try:
            for line in open(f"/proc/{p}/status"):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for t in os.listdir(f"/proc/{p}/task"):
                kids = open(f"/proc/{p}/task/{t}/children").read().split()
                pending += [int(k) for k in kids]
        except OSError:
            pass
    return total

base = rss_kib(spid)
socks, failed = [], 0
deadline = time.monotonic() + 60
for i in range(n):
    if time.monotonic() > deadline:
        failed += n - i
        break
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    except OSError:
        failed += 1
        s.close()
        continue
    socks.append(s)
# wait for every handshake
sel = selectors.DefaultSelector()
for s in socks:
    sel.register(s, selectors.EVENT_WRITE)
pending, held = len(socks), 0
end = time.monotonic() + 30
while pending and time.monotonic() < end:
    for key, _ in sel.select(1):
        s = key.fileobj
        sel.unregister(s)
        pending -= 1
        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            held += 1
time.sleep(2)  # idle: the server has accepted and holds them
rss = rss_kib(spid)
# every connection still echoes
for key in list(sel.get_map().values()):
    sel.unregister(key.fileobj)
alive = []
for s in socks:
    try:
        s.send(b"x")
        sel.register(s, selectors.EVENT_READ)
        alive.append(s)
    except OSError:
        pass
echoed, end = 0, time.monotonic() + 30
while echoed < len(alive) and time.monotonic() < end:
    for key, _ in sel.select(1):
        s = key.fileobj
        sel.unregister(s)
        try:
            if s.recv(1) == b"x":
                echoed += 1
        except OSError:
            pass
print(json.dumps({"asked": n, "held": held, "echoed": echoed,
                  "rss_kib_before": base, "rss_kib": rss}))
for s in socks:
    s.close()
EOF

idle() {
    local s n out
    header "idle connections: held, then one byte echoed on each"
    printf '| %-18s | %11s | %6s | %7s | %12s | %13s |\n' server connections held echoed "RSS MiB" "KiB per conn"
    printf '|%s|\n' "--------------------|-------------|--------|---------|--------------|---------------"
    for s in netkit:default socat ncat; do
        case $s in netkit:*) n=$IDLE ;; *) n=$IDLE_PEER ;; esac
        case $s in socat | ncat) command -v "$s" >/dev/null || continue ;; esac
        start_server "$s" || continue
        out=$(python3 "$TMP/idle.py" "$SPORT" "$n" "$SPID" 2>"$TMP/idle.err")
        stop_server
        [ -n "$out" ] || { log "idle $s: $(cat "$TMP/idle.err")"; continue; }
        printf '| %-18s | %11s | %6s | %7s | %12s | %13s |\n' "$(label "$s")" "$n" \
            "$(jq -r .held <<<"$out")" "$(jq -r .echoed <<<"$out")" \
            "$(jq -r '(.rss_kib / 1024 * 10 | floor) / 10' <<<"$out")" \
            "$(jq -r 'if .held > 0 then ((.rss_kib - .rss_kib_before) / .held * 10 | floor) / 10 else "-" end' <<<"$out")"
    done
    echo
    echo "RSS is VmRSS of the server process and its children (socat and ncat"
    echo "fork one per connection, so they are measured at $IDLE_PEER connections)."
}

# ---- 4. echo-udp: datagrams per second ----
udp() {
    local w
    for w in $UDP_WINDOWS; do udp_window "$w"; done
}

udp_window() {
    local w=$1 run s f dps loss p99 sdps cpu scpu
    header "echo-udp: $UDP_CLIENTS clients, $SIZE-byte datagrams, $w in flight each (--window), ${DURATION} s, median of $RUNS runs"
    if ! "$NK" echo-udp bench --help >/dev/null 2>&1; then
        echo "(netkit echo-udp bench is not available: skipped)"
        return
    fi
    local userv=(netkit-udp)
    command -v socat >/dev/null && userv+=(socat-udp)
    for run in $(seq 1 "$RUNS"); do
        for s in "${userv[@]}"; do
            start_server "$s" || continue
            run_measured "$TMP/udp$w.$s.$run.json" \
                "$NK" echo-udp bench --host 127.0.0.1 --port "$SPORT" \
                --clients "$UDP_CLIENTS" --size "$SIZE" --duration "$DURATION" \
                --window "$w" --json
            stop_server
        done
    done
    sdps=$(med_of "udp$w" socat-udp .datagrams_per_s)
    scpu=$(cpu_us "udp$w" socat-udp .received)
    printf '| %-18s | %12s | %7s | %8s | %10s | %10s | %10s |\n' server "datagrams/s" "loss %" "p99 us" "x socat" "CPU us/dg" "socat CPU/"
    printf '|%s|\n' "--------------------|--------------|---------|----------|------------|------------|------------"
    for s in "${userv[@]}"; do
        dps=$(med_of "udp$w" "$s" .datagrams_per_s)
        loss=$(med_of "udp$w" "$s" .loss_percent)
        p99=$(med_of "udp$w" "$s" .latency_p99_us)
        cpu=$(cpu_us "udp$w" "$s" .received)
        printf '| %-18s | %12s | %7s | %8s | %10s | %10s | %10s |\n' "$s" "$dps" "$loss" "$p99" \
            "$(ratio "$dps" "$sdps")" "$cpu" "$(ratio "$scpu" "$cpu")"
    done
}

echo "# netkit echo benchmarks"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -sr)," \
    "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "client: netkit echo-tcp bench (ping-pong with --threads $THREADS); servers on 127.0.0.1."
echo "socat: $(command -v socat >/dev/null && socat -V 2>/dev/null | awk '/socat version/ {print $3; exit}' || echo 'not installed')," \
    "ncat: $(command -v ncat >/dev/null && ncat --version 2>&1 | awk '{print $3; exit}' || echo 'not installed')"
skipped pingpong || pingpong
skipped bulk || bulk
skipped idle || idle
skipped udp || udp
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

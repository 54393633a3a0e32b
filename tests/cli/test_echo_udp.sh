#!/usr/bin/env bash
# netkit echo-udp through the real binary: the server echoes 1, 1400 and
# 65507 bytes to netkit's client, socat and python; the client's answers
# to a closed port (69), a black hole (75, exactly 1 + retries datagrams
# sent), a peer that alters bytes (76) and a peer that replies from another
# port (ignored: 75); a ping; a short bench without loss; SIGINT with
# traffic running. Every server listens on 127.0.0.1 or ::1, port 0.
. "$(dirname "$0")/lib.sh" "$@"

field() { printf '%s\n' "$OUT" | awk -v k="$1:" '$1 == k {print $2; exit}'; }
# count_of FILE WANT: the peer's datagram count once it reached WANT (or
# after 5 s): a loaded machine may run the peer after the client is done.
count_of() {
    local i
    for i in $(seq 1 100); do
        [ "$(cat "$1")" = "$2" ] && break
        sleep 0.05
    done
    cat "$1"
}

# A python UDP peer for the misbehaviour tests. MODE: blackhole (never
# answers), alter (answers with every byte flipped), other (answers the
# same bytes from a second socket, so from another port). It counts the
# datagrams it received in COUNTFILE and prints the harness's ready line.
cat >"$NK_TMP/peer.py" <<'EOF'
import signal, socket, sys
mode, countfile = sys.argv[1], sys.argv[2]
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
other.bind(("127.0.0.1", 0))
n = 0
open(countfile, "w").write("0\n")
sys.stderr.write("peer: listening on 127.0.0.1:%d\n" % s.getsockname()[1])
sys.stderr.flush()
s.settimeout(60)
while True:
    data, addr = s.recvfrom(65536)
    n += 1
    open(countfile, "w").write("%d\n" % n)
    if mode == "alter":
        s.sendto(bytes(b ^ 0x20 for b in data), addr)
    elif mode == "other":
        other.sendto(data, addr)
EOF

# ---- usage -----------------------------------------------------------------
run_nk echo-udp serve --help
check_eq "serve --help exit 0" "$RC" 0
check_contains "serve --help synopsis" "$OUT" "usage: netkit echo-udp serve"
run_nk echo-udp client
check_eq "client without --port: 64" "$RC" 64
run_nk echo-udp bench --port 7 --size 1
check_eq "bench --size 1: 64" "$RC" 64
run_nk echo-udp client --host nosuch.invalid --port 7 x
check_eq "unknown host: 68" "$RC" 68

# ---- the server with netkit's client, IPv4 --------------------------------
# With --workers the sockets share the port by SO_REUSEPORT, which any
# socket of the same user could join: a second server must still fail.
if nk_start_server group "$NK" echo-udp serve --port 0 --bind 127.0.0.1 \
    --workers 2 --quiet; then
    timeout 5 "$NK" echo-udp serve --port "$SERVER_PORT" --bind 127.0.0.1 \
        --workers 2 >/dev/null 2>"$NK_TMP/second.err"
    check_eq "port taken: second server with --workers 2 exits 69" "$?" 69
    nk_stop_server "$SERVER_PID"
fi

if nk_start_server udp4 "$NK" echo-udp serve --port 0 --bind 127.0.0.1; then
    P=$SERVER_PORT
    check_contains "listening line" "$SERVER_ADDR" "127.0.0.1:"
    run_nk echo-udp client --host 127.0.0.1 --port "$P" x
    check_eq "1 byte: exit 0" "$RC" 0
    check_eq "1 byte: match" "$(field match)" yes
    check_eq "1 byte: reply shown" "$(field reply)" x
    for size in 1400 65507; do
        run_nk echo-udp client --host 127.0.0.1 --port "$P" --size $size
        check_eq "$size bytes: exit 0" "$RC" 0
        check_eq "$size bytes: reply size" "$(field reply_bytes)" $size
        check_eq "$size bytes: match" "$(field match)" yes
    done
    # A second server on the same port must fail, not share it silently
    # (with SO_REUSEADDR both bind on Linux and only one gets datagrams).
    timeout 5 "$NK" echo-udp serve --port "$P" --bind 127.0.0.1 \
        >/dev/null 2>"$NK_TMP/second.err"
    check_eq "port taken: second server exits 69" "$?" 69
    check_contains "port taken: why" "$(cat "$NK_TMP/second.err")" \
        "address already in use"
    run_nk echo-udp client --host 127.0.0.1 --port "$P" --size 65508
    check_eq "65508 bytes over IPv4: bad data (65)" "$RC" 65
    check_contains "65508: why" "$ERR" "do not fit in one IPv4 datagram (max 65507"
    OUT=$(printf 'from stdin\n' | "$NK" echo-udp client --host 127.0.0.1 \
        --port "$P" --json 2>/dev/null)
    RC=$?
    check_eq "stdin: exit 0" "$RC" 0
    check_json "stdin: --json parses" "$OUT"
    check_eq "stdin: reply keeps its newline" \
        "$(printf '%s' "$OUT" | jq -j .reply | od -An -c | tr -s ' ')" \
        " f r o m s t d i n \n"

    # a 3 s reply timeout: a loaded machine is slow, not lossy, on loopback
    run_nk echo-udp client --host 127.0.0.1 --port "$P" --count 5 \
        --interval 0.05 --size 100 --timeout 3
    check_eq "ping 5: exit 0" "$RC" 0
    check_eq "ping 5: five probe lines" \
        "$(printf '%s\n' "$OUT" | grep -c '^100 bytes from 127.0.0.1:')" 5
    check_eq "ping 5: received" "$(field received)" 5
    check_eq "ping 5: 0% loss" "$(field loss_percent)" 0.0
    min=$(field rtt_min_ms) max=$(field rtt_max_ms)
    check_eq "ping 5: min <= max" \
        "$(awk -v a="$min" -v b="$max" 'BEGIN {print (a <= b && b > 0)}')" 1
    run_nk echo-udp client --host 127.0.0.1 --port "$P" --count 3 \
        --interval 0.02 --timeout 3 --json
    check_json "ping --json parses" "$OUT"
    check_eq "ping --json: 3 probes ok" \
        "$(printf '%s' "$OUT" | jq '[.probes[] | select(.status == "ok")] | length')" 3
    check_eq "ping --json: loss 0" "$(printf '%s' "$OUT" | jq .loss_percent)" 0

    # real peers as clients: socat and python
    if nk_have "socat client gets its echo" socat; then
        got=$(printf 'via socat' | timeout 5 socat -T 2 - UDP:127.0.0.1:"$P")
        check_eq "socat client gets its echo" "$got" "via socat"
    fi
    if nk_have "python client gets its echo" python3; then
        got=$(timeout 5 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(b"via python" * 100, ("127.0.0.1", int(sys.argv[1])))
data, addr = s.recvfrom(65536)
print(len(data), data == b"via python" * 100, addr[1] == int(sys.argv[1]))
' "$P")
        check_eq "python client gets its echo" "$got" "1000 True True"
    fi

    run_nk echo-udp bench --host 127.0.0.1 --port "$P" --clients 4 \
        --rate 2000 --duration 1 --json
    check_eq "bench: exit 0" "$RC" 0
    check_json "bench: --json parses" "$OUT"
    # Loopback loses a datagram only when a socket buffer overflows, which
    # a descheduled server on a loaded machine can cause: at most 1%.
    check_eq "bench: loss at most 1%" \
        "$(printf '%s' "$OUT" | jq '.lost * 100 <= .sent')" true
    check_eq "bench: no mismatch" "$(printf '%s' "$OUT" | jq .mismatches)" 0
    # at most the rate allows (a busy machine may send fewer)
    check_eq "bench: at most 2000/s sent" \
        "$(printf '%s' "$OUT" | jq '.sent >= 500 and .sent <= 2100')" true
    check_eq "bench: received + lost = sent" \
        "$(printf '%s' "$OUT" | jq '.received + .lost == .sent')" true
    check_eq "bench: percentiles ordered" \
        "$(printf '%s' "$OUT" | jq '.latency_p50_us <= .latency_p99_us and .latency_p99_us <= .latency_max_us')" true
    run_nk echo-udp bench --host 127.0.0.1 --port "$P" --duration 0.5
    check_eq "bench closed loop: exit 0" "$RC" 0
    check_eq "bench closed loop: 8 clients" "$(field clients)" 8
    check_eq "bench closed loop: loss at most 1%" \
        "$(awk -v l="$(field lost)" -v s="$(field sent)" 'BEGIN {print (l != "" && s > 0 && l * 100 <= s)}')" 1

    pid=$SERVER_PID
    nk_stop_server "$pid"
    check_eq "server: SIGTERM exits 0" "$STOP_STATUS" 0
    check_contains "server: totals on stderr" "$(cat "$NK_TMP/udp4.err")" \
        "stopped by SIGTERM: "
    check_contains "server: a peer logged" "$(cat "$NK_TMP/udp4.err")" \
        "peer 127.0.0.1:"
    OUT=$(cat "$NK_TMP/udp4.out")
    check_eq "server: totals count every datagram" \
        "$(awk -v d="$(field datagrams)" -v e="$(field echoed)" \
            'BEGIN {print (d > 500 && d == e)}')" 1
    check_eq "server: nothing dropped" "$(field dropped)" 0
fi

# ---- IPv6, several workers, no batching -----------------------------------
if nk_start_server udp6 "$NK" echo-udp serve --port 0 --bind ::1 \
    --workers 2 --no-batch --json; then
    P=$SERVER_PORT
    check_contains "IPv6 listening line" "$SERVER_ADDR" "[::1]:"
    run_nk echo-udp client --host ::1 --port "$P" --size 65527
    check_eq "IPv6: 65527 bytes round-trip" "$RC:$(field reply_bytes)" \
        "0:65527"
    run_nk echo-udp bench --host ::1 --port "$P" --clients 8 --duration 0.5 \
        --json
    check_eq "IPv6 bench: exit 0" "$RC" 0
    check_eq "IPv6 bench: loss at most 1%" \
        "$(printf '%s' "$OUT" | jq '.sent > 0 and .lost * 100 <= .sent')" true
    nk_stop_server "$SERVER_PID"
    check_eq "IPv6 server: SIGTERM exits 0" "$STOP_STATUS" 0
    OUT=$(cat "$NK_TMP/udp6.out")
    check_json "IPv6 server: totals --json" "$OUT"
    check_eq "IPv6 server: 2 workers, no batch" \
        "$(printf '%s' "$OUT" | jq -c '[.workers, .batch]')" '[2,"none"]'
fi

# ---- the client against peers that misbehave ------------------------------
# Nothing listens: Linux answers with ICMP port unreachable, which a
# connected UDP socket reports as ECONNREFUSED.
free_port=$(python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run_nk echo-udp client --host 127.0.0.1 --port "$free_port" \
    --timeout 0.3 --retries 2 x
check_eq "closed port: refused (69)" "$RC" 69
check_contains "closed port: why" "$ERR" "connection refused"
run_nk echo-udp client --host 127.0.0.1 --port "$free_port" --count 2 \
    --interval 0.05 --timeout 0.3
check_eq "closed port ping: every probe refused (69)" "$RC" 69
check_eq "closed port ping: no round trip, no rtt figures" \
    "$(field rtt_min_ms) $(field rtt_avg_ms) $(field rtt_max_ms) $(field rtt_stddev_ms)" "- - - -"
run_nk echo-udp bench --host 127.0.0.1 --port "$free_port" --duration 0.3 \
    --grace 0.1
check_eq "closed port bench: 69" "$RC" 69

if nk_start_server hole python3 "$NK_TMP/peer.py" blackhole \
    "$NK_TMP/hole.count"; then
    t0=$(date +%s%N)
    run_nk echo-udp client --host 127.0.0.1 --port "$SERVER_PORT" \
        --timeout 0.3 --retries 2 ping
    ms=$((($(date +%s%N) - t0) / 1000000))
    check_eq "black hole: gives up with 75" "$RC" 75
    check_contains "black hole: says so" "$ERR" "no reply after 3 attempts"
    check_eq "black hole: within 0.9-4 s" \
        "$([ "$ms" -ge 850 ] && [ "$ms" -le 4000 ] && echo yes || echo "no ($ms ms)")" yes
    check_eq "black hole: exactly 3 datagrams sent" \
        "$(count_of "$NK_TMP/hole.count" 3)" 3
    run_nk echo-udp client --host 127.0.0.1 --port "$SERVER_PORT" \
        --count 3 --interval 0.05 --timeout 0.1 --json
    check_eq "black hole ping: all lost (75)" "$RC" 75
    check_json "black hole ping: --json parses" "$OUT"
    check_eq "black hole ping: 100% loss" \
        "$(printf '%s' "$OUT" | jq .loss_percent)" 100
    nk_stop_server "$SERVER_PID"
fi

if nk_start_server alter python3 "$NK_TMP/peer.py" alter \
    "$NK_TMP/alter.count"; then
    run_nk echo-udp client --host 127.0.0.1 --port "$SERVER_PORT" \
        --timeout 1 hello
    check_eq "altered reply: 76" "$RC" 76
    check_eq "altered reply: match no" "$(field match)" no
    check_contains "altered reply: why" "$ERR" "reply differs"
    run_nk echo-udp client --host 127.0.0.1 --port "$SERVER_PORT" \
        --count 2 --interval 0.05
    check_eq "altered ping: 76" "$RC" 76
    nk_stop_server "$SERVER_PID"
fi

if nk_start_server other python3 "$NK_TMP/peer.py" other \
    "$NK_TMP/other.count"; then
    run_nk echo-udp client --host 127.0.0.1 --port "$SERVER_PORT" \
        --timeout 0.3 --retries 1 hello
    check_eq "reply from another port: ignored (75)" "$RC" 75
    check_eq "reply from another port: the peer did answer twice" \
        "$(count_of "$NK_TMP/other.count" 2)" 2
    nk_stop_server "$SERVER_PID"
fi

# ---- SIGINT with traffic running ------------------------------------------
if nk_start_server busy "$NK" echo-udp serve --port 0 --bind 127.0.0.1 \
    --log-interval 0.2; then
    "$NK" echo-udp bench --host 127.0.0.1 --port "$SERVER_PORT" \
        --duration 3 --grace 0 >/dev/null 2>&1 &
    bench_pid=$!
    # SIGINT once traffic runs and a periodic summary is out (at most 10 s)
    for _ in $(seq 1 200); do
        grep -q ' datagrams (' "$NK_TMP/busy.err" && break
        sleep 0.05
    done
    kill -INT "$SERVER_PID"
    for _ in $(seq 1 100); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    wait "$SERVER_PID"
    check_eq "SIGINT under traffic: exit 0" "$?" 0
    wait "$bench_pid"
    log=$(cat "$NK_TMP/busy.err")
    check_contains "SIGINT: totals" "$log" "stopped by SIGINT: "
    check_contains "SIGINT: a periodic summary" "$log" " datagrams ("
    OUT=$(cat "$NK_TMP/busy.out")
    check_eq "SIGINT: datagrams counted" \
        "$(awk -v d="$(field datagrams)" 'BEGIN {print (d > 100)}')" 1
fi

nk_done

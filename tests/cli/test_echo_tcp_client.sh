#!/usr/bin/env bash
# netkit echo-tcp client and bench against real peers: socat's PIPE echo,
# the harness's nk_test_echo_server, and a python3 asyncio peer that can
# echo, mis-echo (a -> b) or stay silent. Loopback only, ephemeral ports,
# every server stopped by lib.sh's EXIT trap.
. "$(dirname "$0")/lib.sh" "$@"

# A concurrent echo peer. MODE: echo, corrupt (every 'a' comes back as
# 'b'), silent (accepts, reads, never answers, never closes), mute (reads
# to the end, then closes without echoing). Prints the harness's ready
# line once bound, and ends on SIGTERM.
cat >"$NK_TMP/peer.py" <<'EOF'
import asyncio, signal, sys

mode = sys.argv[1]

async def handle(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data and mode == "silent":
                await asyncio.sleep(3600)
            if not data:
                break
            if mode in ("silent", "mute"):
                continue
            if mode == "corrupt":
                data = data.replace(b"a", b"b")
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"peer: listening on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()

asyncio.run(main())
EOF

have_py=0
nk_have "python3 peers (refused port, silent, mute, echo, corrupt)" python3 && have_py=1

# free_port: an ephemeral port, bound then released (for socat, which
# cannot report the port it picked).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_socat NAME ADDRESS2: socat on 127.0.0.1:$port, ready when a
# connection is accepted. Sets SERVER_PID and SERVER_PORT.
start_socat() {
    local name=$1 addr=$2 port i
    port=$(free_port)
    timeout --kill-after=5 300 socat "TCP-LISTEN:$port,bind=127.0.0.1,fork,reuseaddr" "$addr" \
        >/dev/null 2>"$NK_TMP/$name.err" &
    SERVER_PID=$!
    NK_PIDS+=("$SERVER_PID")
    SERVER_PORT=$port
    for i in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    return 1
}

# ---- usage ----
run_nk echo-tcp client --help
check_eq "client --help exits 0" "$RC" 0
check_contains "client --help synopsis" "$OUT" "usage: netkit echo-tcp client"
check_contains "client --help examples" "$OUT" "examples:"
run_nk echo-tcp bench --help
check_contains "bench --help synopsis" "$OUT" "usage: netkit echo-tcp bench"
run_nk echo-tcp client hello
check_eq "client without --port is a usage error" "$RC" 64
check_contains "client without --port says so" "$ERR" "--port is required"
run_nk echo-tcp client --port 7 --count 0
check_eq "client --count 0 is a usage error" "$RC" 64
run_nk echo-tcp client --port 7 --count 2 hello
check_eq "client --count with MESSAGE is a usage error" "$RC" 64
run_nk echo-tcp bench --port 7 --conns 0
check_eq "bench --conns 0 is a usage error" "$RC" 64
run_nk echo-tcp bench --port 7 --duration 0
check_eq "bench --duration 0 is a usage error" "$RC" 64
run_nk echo-tcp bench --port 7 --pipeline x
check_eq "bench --pipeline x is a usage error" "$RC" 64

# ---- the harness's echo server (one client at a time) ----
if nk_start_server helper "$NK_HELPER_SERVER" --bind 127.0.0.1 --port 0; then
    P=$SERVER_PORT
    run_nk echo-tcp client --port "$P" 'Test message. This will be echoed'
    check_eq "message echoed: exit 0" "$RC" 0
    check_eq "message echoed: stdout is the echo" "$OUT" "Test message. This will be echoed"
    check_contains "message echoed: verdict on stderr" "$ERR" "echo verified: 34 bytes from 127.0.0.1:$P"
    # Every address of localhost is tried: ::1 refuses, 127.0.0.1 answers.
    run_nk echo-tcp client --host localhost --port "$P" -N abc
    check_eq "localhost falls back to 127.0.0.1, -n sends no newline" "$RC:$OUT" "0:abc"

    head -c 10485760 /dev/urandom >"$NK_TMP/blob"
    "$NK" echo-tcp client --port "$P" <"$NK_TMP/blob" >"$NK_TMP/blob.back" 2>"$NK_TMP/blob.err"
    check_eq "10 MiB stdin stream: exit 0" "$?" 0
    if cmp -s "$NK_TMP/blob" "$NK_TMP/blob.back"; then nk_ok "10 MiB stdin stream echoed intact to stdout"
    else nk_not_ok "10 MiB stdin stream echoed intact to stdout" "$(wc -c <"$NK_TMP/blob.back") bytes"; fi
    check_contains "10 MiB stream verified" "$(cat "$NK_TMP/blob.err")" "echo verified: 10485760 bytes"

    run_nk echo-tcp client --port "$P" --count 3 --interval 0.05
    check_eq "ping --count 3: exit 0" "$RC" 0
    check_eq "ping --count 3: three probe lines" \
        "$(printf '%s\n' "$OUT" | grep -c "^64 bytes from 127.0.0.1:$P: seq=[123] time=[0-9.]* ms$")" 3
    check_eq "ping summary: received" "$(printf '%s\n' "$OUT" | awk '$1 == "received:" {print $2}')" 3
    check_eq "ping summary: mismatches" "$(printf '%s\n' "$OUT" | awk '$1 == "mismatches:" {print $2}')" 0
    check_contains "ping summary: rtt_stddev_ms" "$OUT" "rtt_stddev_ms: "
    run_nk echo-tcp client --port "$P" --count 2 --interval 0 --size 1000 --json
    check_eq "ping --json: exit 0" "$RC" 0
    check_json "ping --json parses" "$OUT"
    check_eq "ping --json: probes and sizes" \
        "$(printf '%s' "$OUT" | jq -c '[(.probes | length), .probes[0].bytes, .received, .mismatches, .probes[1].match]')" \
        "[2,1000,2,0,true]"
    run_nk echo-tcp client --port "$P" --json 'hi "there"'
    check_json "message --json parses" "$OUT"
    check_eq "message --json fields" \
        "$(printf '%s' "$OUT" | jq -c '[.match, .bytes_sent, .bytes_received, .echo]')" \
        '[true,11,11,"hi \"there\"\n"]'
    pid=$SERVER_PID
    nk_stop_server "$pid"
fi

# ---- netkit's own server (every address of localhost is tried) ----
if nk_start_server serve "$NK" echo-tcp serve --port 0 --bind 127.0.0.1 --quiet; then
    run_nk echo-tcp client --port "$SERVER_PORT" 'to netkit serve'
    check_eq "netkit serve: echo verified" "$RC:$OUT" "0:to netkit serve"
    run_nk echo-tcp bench --port "$SERVER_PORT" --conns 20 --pipeline 2 --duration 1 --json
    check_eq "netkit serve: bench clean" \
        "$RC:$(printf '%s' "$OUT" | jq -c '[.requests > 0, .connected, .errors, .mismatches]')" "0:[true,20,0,0]"
    pid=$SERVER_PID
    nk_stop_server "$pid"
fi

# ---- socat: a real echo server, and one that echoes the wrong bytes ----
if [ "$have_py" = 1 ] && nk_have "socat peers" socat; then
    if start_socat socat-pipe PIPE; then
        run_nk echo-tcp client --host 127.0.0.1 --port "$SERVER_PORT" 'via socat'
        check_eq "socat PIPE: echo verified" "$RC:$OUT" "0:via socat"
        "$NK" echo-tcp client --host 127.0.0.1 --port "$SERVER_PORT" <"$NK_TMP/blob" >/dev/null 2>"$NK_TMP/socat.err"
        check_eq "socat PIPE: 10 MiB stream verified" "$?" 0
        pid=$SERVER_PID
        nk_stop_server "$pid"
    else
        nk_not_ok "socat PIPE ready" "$(cat "$NK_TMP/socat-pipe.err")"
    fi
    if start_socat socat-tr "SYSTEM:tr a b"; then
        run_nk echo-tcp client --host 127.0.0.1 --port "$SERVER_PORT" banana
        check_eq "mis-echo (tr a b): exit 76" "$RC" 76
        check_eq "mis-echo: stdout shows what came back" "$OUT" "bbnbnb"
        check_contains "mis-echo: says where" "$ERR" "echo mismatch at byte 1: sent 0x61 'a', received 0x62 'b'"
        run_nk echo-tcp client --host 127.0.0.1 --port "$SERVER_PORT" --json banana
        check_eq "mis-echo --json: match false" "$RC:$(printf '%s' "$OUT" | jq -c '[.match, .first_difference]')" "76:[false,1]"
        pid=$SERVER_PID
        nk_stop_server "$pid"
    else
        nk_not_ok "socat tr ready" "$(cat "$NK_TMP/socat-tr.err")"
    fi
fi

# ---- failures: refused, unknown host, no answer ----
if [ "$have_py" = 1 ]; then
    port=$(free_port)
    run_nk echo-tcp client --host 127.0.0.1 --port "$port" hi
    check_eq "refused port: exit 69" "$RC" 69
    check_contains "refused port: message" "$ERR" "connect 127.0.0.1:$port: connection refused"
    run_nk echo-tcp bench --host 127.0.0.1 --port "$port" --conns 3 --duration 1
    check_eq "bench, refused port: exit 69" "$RC" 69
    check_eq "bench, refused port: errors counted" "$(printf '%s\n' "$OUT" | awk '$1 == "errors:" {print $2}')" 3
fi
run_nk echo-tcp client --host nosuch.invalid --port 7 hi
check_eq "unknown host: exit 68" "$RC" 68
check_contains "unknown host: message" "$ERR" "nosuch.invalid"

if [ "$have_py" = 0 ]; then # skipped above, visibly
    nk_done
    exit
fi

if nk_start_server silent python3 "$NK_TMP/peer.py" silent; then
    start=$(date +%s%N)
    run_nk echo-tcp client --port "$SERVER_PORT" --timeout 0.5 hi
    took=$((($(date +%s%N) - start) / 1000000))
    check_eq "silent peer, --timeout 0.5: exit 75" "$RC" 75
    check_contains "silent peer: message" "$ERR" "nothing came back within 0.500 s"
    if [ "$took" -lt 3000 ]; then nk_ok "silent peer: gave up in ${took} ms"
    else nk_not_ok "silent peer: gave up in time" "${took} ms"; fi
    run_nk echo-tcp client --port "$SERVER_PORT" --timeout 0.3 --count 2 --interval 0
    check_eq "ping, silent peer: exit 75" "$RC" 75
    check_eq "ping, silent peer: 1 sent, 0 received" \
        "$(printf '%s\n' "$OUT" | awk '$1 == "sent:" || $1 == "received:" {printf "%s ", $2}')" "1 0 "
    pid=$SERVER_PID
    nk_stop_server "$pid"
fi

if nk_start_server mute python3 "$NK_TMP/peer.py" mute; then
    run_nk echo-tcp client --port "$SERVER_PORT" hi
    check_eq "peer closes without echoing: exit 76" "$RC" 76
    check_contains "peer closes without echoing: message" "$ERR" "the peer closed after 0 of 3 bytes"
    pid=$SERVER_PID
    nk_stop_server "$pid"
fi

# ---- bench against a concurrent echo peer, and a mis-echoing one ----
if nk_start_server echo python3 "$NK_TMP/peer.py" echo; then
    run_nk echo-tcp bench --port "$SERVER_PORT" --conns 8 --pipeline 2 --duration 1
    check_eq "bench: exit 0" "$RC" 0
    req=$(printf '%s\n' "$OUT" | awk '$1 == "requests:" {print $2}')
    if [ "${req:-0}" -gt 0 ] 2>/dev/null; then nk_ok "bench: $req requests"
    else nk_not_ok "bench: requests > 0" "$OUT"; fi
    check_eq "bench: all connected, no errors, no mismatches" \
        "$(printf '%s\n' "$OUT" | awk '$1 ~ /^(connected|errors|mismatches):$/ {printf "%s ", $2}')" "8 0 0 "
    check_eq "bench: no progress line when stderr is not a terminal" "$ERR" ""
    run_nk echo-tcp bench --port "$SERVER_PORT" --conns 4 --size 3000 --threads 2 --duration 1 --json
    check_eq "bench --threads 2 --json: exit 0" "$RC" 0
    check_json "bench --json parses" "$OUT"
    check_eq "bench --json: requests > 0, latency ordered, clean" \
        "$(printf '%s' "$OUT" | jq -c '[.requests > 0, .latency_p50_us <= .latency_p99_us, .latency_p99_us <= .latency_max_us, .errors, .mismatches, .threads, .bytes_received >= .requests * 3000]')" \
        "[true,true,true,0,0,2,true]"
    pid=$SERVER_PID
    nk_stop_server "$pid"
fi

if nk_start_server corrupt python3 "$NK_TMP/peer.py" corrupt; then
    run_nk echo-tcp bench --port "$SERVER_PORT" --conns 2 --size 512 --duration 1 --json
    check_eq "bench, mis-echoing peer: exit 76" "$RC" 76
    check_eq "bench, mis-echoing peer: mismatches reported" \
        "$(printf '%s' "$OUT" | jq -c '[.mismatches > 0, .requests > 0, .errors]')" "[true,true,0]"
    pid=$SERVER_PID
    nk_stop_server "$pid"
fi

nk_done

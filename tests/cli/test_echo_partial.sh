#!/bin/bash
# echo-tcp serve keeps what the kernel would not take and sends it later
# (the partial-write path: echo_tcp/models.c, conn_read and conn_flush).
# That path runs only for a client that reads slower than it sends, so
# the clients here send 6 MiB of a pattern that never repeats (an offset
# error shows as different bytes), stop reading until the server has
# filled its send buffer and stopped reading them (each client checks that
# it saw this happen), then read slowly; every byte that comes back is
# compared. Each serve model, three clients at once, so a connection's
# kept bytes must stay its own.
source "$(dirname "$0")/lib.sh" "$@"

if ! command -v python3 >/dev/null; then
    nk_not_ok "python3 is needed for the slow echo clients"
    nk_done
    exit 1
fi

# The clients: echo_slow_clients.py (what they send, how they read).
SLOW=$(dirname "$0")/echo_slow_clients.py

CLIENTS=3
BYTES=$((6 * 1048576 + 17))

# one NAME MODEL [ARGS...]: a server of that model (none: the default);
# the slow clients; a clean stop.
one() {
    local name=$1 model=$2 out rc
    shift 2
    if ! nk_start_server "echo-$name" "$NK" echo-tcp serve --port 0 \
        --bind 127.0.0.1 ${model:+--model "$model"} "$@"; then
        nk_not_ok "$name: server started"
        return
    fi
    out=$(timeout 90 python3 "$SLOW" 127.0.0.1 \
        "$SERVER_PORT" "$CLIENTS" "$BYTES" 2>&1)
    rc=$?
    if [ $rc -eq 0 ]; then
        nk_ok "$name: $CLIENTS slow clients got every byte back in order"
        printf '%s\n' "$out" | sed 's/^/# /'
    else
        nk_not_ok "$name: $CLIENTS slow clients got every byte back in order" \
            "exit $rc" "$out"
    fi
    nk_stop_server "$SERVER_PID"
    check_eq "$name: clean stop" "$STOP_STATUS" 0
    check_eq "$name: the server logged every byte out" \
        "$(grep -c ": $BYTES bytes in, $BYTES bytes out" \
            "$NK_TMP/echo-$name.err")" "$CLIENTS"
}

# The same in a network namespace of our own (unshare -rn) whose TCP
# buffers are small (tcp_wmem max 32 KiB): there the server's send buffer
# is smaller than one 64 KiB read, so a held echo itself goes out in
# pieces (conn_flush from c->off), which the machine's multi-MiB buffers
# never make happen.
if [ -n "${NK_ECHO_SMALLBUF:-}" ]; then
    ip link set lo up &&
        echo "4096 16384 32768" >/proc/sys/net/ipv4/tcp_wmem &&
        echo "4096 16384 65536" >/proc/sys/net/ipv4/tcp_rmem
    check_eq "small buffers: namespace ready" "$?" 0
    BYTES=$((1048576 + 17))
    for m in iterative fork thread select poll epoll; do
        one "small buffers, $m" "$m"
    done
    nk_done
    exit
fi

for m in iterative fork thread select poll epoll; do
    one "$m" "$m"
done
one default "" # epoll, a loop per CPU
one poll-2-workers poll --workers 2

if unshare -rn true 2>/dev/null; then
    inner=$(NK_ECHO_SMALLBUF=1 timeout 110 unshare -rn bash "$0" "$@" 2>&1)
    rc=$?
    printf '%s\n' "$inner" | grep -v '^[0-9]* passed, '
    nk_pass=$((nk_pass + $(printf '%s\n' "$inner" | grep -c '^ok - ')))
    nk_fail=$((nk_fail + $(printf '%s\n' "$inner" | grep -c '^not ok - ')))
    if [ "$rc" -ne 0 ] && ! printf '%s\n' "$inner" | grep -q '^not ok - '; then
        nk_not_ok "small buffers: the namespace run ended" "exit $rc"
    fi
else
    nk_skip "small buffers in a network namespace" \
        "unshare -rn not permitted here (CI runs as root)"
fi

nk_done

#!/usr/bin/env bash
# The integration harness itself: start a server on an ephemeral loopback
# port, learn the port from its ready line, drive it with a real peer (nc
# or socat), and stop it. The server here is the test echo server built on
# the helper layer; netkit's own servers print the same ready line.
. "$(dirname "$0")/lib.sh" "$@"

if [ -z "$NK_HELPER_SERVER" ] || [ ! -x "$NK_HELPER_SERVER" ]; then
    nk_not_ok "helper server given" "$NK_HELPER_SERVER"
    nk_done
    exit
fi

peer() { # peer HOST PORT: send stdin, print the reply (closes after EOF)
    if command -v socat >/dev/null; then
        timeout 10 socat -t 2 - "TCP:$1:$2"
    else
        timeout 10 nc -N "$1" "$2"
    fi
}

for bind in 127.0.0.1 ::1; do
    if ! nk_start_server "echo-$bind" "$NK_HELPER_SERVER" --bind "$bind" --port 0; then
        nk_not_ok "server on $bind ready"
        continue
    fi
    nk_ok "server on $bind ready at $SERVER_ADDR"
    if [ "$SERVER_PORT" -gt 0 ] 2>/dev/null; then nk_ok "ephemeral port $SERVER_PORT"
    else nk_not_ok "ephemeral port" "$SERVER_ADDR"; fi
    host=$bind
    [ "$bind" = ::1 ] && host="[::1]"
    [ "$bind" = ::1 ] && command -v socat >/dev/null || host=$bind
    reply=$(printf 'hello over %s\n' "$bind" | peer "$host" "$SERVER_PORT")
    check_eq "echo through $bind" "$reply" "hello over $bind"
    # A larger transfer survives partial reads and writes intact.
    head -c 300000 /dev/urandom >"$NK_TMP/blob"
    peer "$host" "$SERVER_PORT" <"$NK_TMP/blob" >"$NK_TMP/blob.back"
    if cmp -s "$NK_TMP/blob" "$NK_TMP/blob.back"; then nk_ok "300 kB echoed intact via $bind"
    else nk_not_ok "300 kB echoed intact via $bind" "$(wc -c <"$NK_TMP/blob.back") bytes back"; fi
    pid=$SERVER_PID
    nk_stop_server "$pid"
    check_eq "server on $bind stops cleanly on SIGTERM" "$STOP_STATUS" 0
    if kill -0 "$pid" 2>/dev/null; then nk_not_ok "server gone after stop"; else nk_ok "server gone after stop"; fi
done

# A server that never gets ready is reported, and still cleaned up.
if nk_start_server never sleep 0.3; then nk_not_ok "not-ready server detected"
else nk_ok "not-ready server detected"; fi

nk_done

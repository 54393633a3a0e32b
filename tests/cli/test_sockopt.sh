#!/usr/bin/env bash
# netkit sockopt through the real binary: a fresh socket's settings (TCP,
# UDP, IPv6), each change before/after with the kernel's doubling, bad
# values, the address-reuse lesson against the real kernel, and the
# listen server (timeouts, a real client, SIGTERM).
. "$(dirname "$0")/lib.sh" "$@"

field() { printf '%s\n' "$OUT" | awk -v k="$1:" '$1 == k {sub(/^[^:]*: /, ""); print; exit}'; }
last() { printf '%s\n' "$OUT" | awk -v k="$1:" '$1 == k {v = $2} END {print v}'; }
count() { printf '%s\n' "$OUT" | grep -c -- "$1"; }
# The oracle: python's own socket on this kernel, independent of netkit.
# kernel KIND [OPT VALUE]...: KIND tcp4|udp4|tcp6|udp6; sets each OPT
# (sndbuf, rcvbuf) to VALUE, then prints "sndbuf rcvbuf" as read back.
kernel() {
    python3 - "$@" <<'PY'
import socket, sys
fam = socket.AF_INET6 if sys.argv[1].endswith("6") else socket.AF_INET
typ = socket.SOCK_DGRAM if sys.argv[1].startswith("udp") else socket.SOCK_STREAM
s = socket.socket(fam, typ)
opt = {"sndbuf": socket.SO_SNDBUF, "rcvbuf": socket.SO_RCVBUF}
a = sys.argv[2:]
for name, val in zip(a[::2], a[1::2]):
    s.setsockopt(socket.SOL_SOCKET, opt[name], int(val))
print(s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF),
      s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
PY
}

# --- show ---------------------------------------------------------------
run_nk sockopt
check_eq "show: exit 0" "$RC" 0
check_eq "show: socket" "$(field socket)" "tcp ipv4"
check_eq "show: blocking" "$(field blocking)" yes
check_eq "show: timeout none" "$(field timeout)" none
check_eq "show: so_reuseaddr off" "$(field so_reuseaddr)" no
check_eq "show: tcp_nodelay off" "$(field tcp_nodelay)" no
# The defaults, against python's socket and against the sysctls they come
# from (a TCP socket starts with tcp_wmem's and tcp_rmem's middle value).
read -r k_snd k_rcv <<<"$(kernel tcp4)"
check_eq "show: so_sndbuf/so_rcvbuf as the kernel reports them" \
    "$(field so_sndbuf) $(field so_rcvbuf)" "$k_snd $k_rcv"
if [ -r /proc/sys/net/ipv4/tcp_wmem ]; then
    check_eq "show: TCP buffers are the sysctl defaults (tcp_wmem, tcp_rmem)" \
        "$(field so_sndbuf) $(field so_rcvbuf)" \
        "$(awk '{print $2}' /proc/sys/net/ipv4/tcp_wmem) $(awk '{print $2}' /proc/sys/net/ipv4/tcp_rmem)"
else
    nk_skip_kernel "show: TCP buffers are the sysctl defaults" "no /proc/sys/net/ipv4"
fi
check_eq "show: no ipv6 option on ipv4" "$(field ipv6_v6only)" ""

run_nk sockopt --udp
check_eq "udp: exit 0" "$RC" 0
check_eq "udp: socket" "$(field socket)" "udp ipv4"
check_eq "udp: no tcp_nodelay" "$(count '^tcp_')" 0
check_eq "udp: buffers as the kernel reports them" \
    "$(field so_sndbuf) $(field so_rcvbuf)" "$(kernel udp4)"
if [ -r /proc/sys/net/core/wmem_default ]; then
    check_eq "udp: buffers are the sysctl defaults (wmem_default, rmem_default)" \
        "$(field so_sndbuf) $(field so_rcvbuf)" \
        "$(cat /proc/sys/net/core/wmem_default) $(cat /proc/sys/net/core/rmem_default)"
else
    nk_skip_kernel "udp: buffers are the sysctl defaults" "no /proc/sys/net/core"
fi

run_nk sockopt -6
check_eq "-6: socket" "$(field socket)" "tcp ipv6"
check_eq "-6: v6only shown" "$(field ipv6_v6only)" no
run_nk sockopt show --udp -6 --json
check_eq "udp -6 json: exit 0" "$RC" 0
check_json "udp -6 json parses" "$OUT"
check_eq "json: socket" "$(printf '%s' "$OUT" | jq -r .socket)" "udp ipv6"
check_eq "json: timeout null" "$(printf '%s' "$OUT" | jq .timeout)" null
check_eq "json: blocking bool" "$(printf '%s' "$OUT" | jq .blocking)" true
check_eq "json: no tcp_nodelay" "$(printf '%s' "$OUT" | jq 'has("tcp_nodelay")')" false

# --- changes: before, requested, after ------------------------------------
# What netkit reports after a change is what python reads back after the
# same change; Linux doubles the value asked for (socket(7)), so there the
# note must be there, and nowhere else.
run_nk sockopt --sndbuf 4096 --rcvbuf 4096
check_eq "buffers: exit 0" "$RC" 0
check_eq "buffers before = the kernel's default" \
    "$(field so_sndbuf_before) $(field so_rcvbuf_before)" "$k_snd $k_rcv"
check_eq "sndbuf requested" "$(field so_sndbuf_requested)" 4096
read -r k_snd4k k_rcv4k <<<"$(kernel tcp4 sndbuf 4096 rcvbuf 4096)"
check_eq "buffers after = what the kernel gives python" \
    "$(field so_sndbuf) $(field so_rcvbuf)" "$k_snd4k $k_rcv4k"
got=$(field so_sndbuf)
if [ "$(uname)" = Linux ]; then
    check_eq "Linux doubles: 4096 asked, 8192 got" "$got $(field so_rcvbuf)" "8192 8192"
fi
if [ "$k_snd4k" = 8192 ]; then
    check_contains "doubling note (SO_SNDBUF)" "$OUT" \
        "note: SO_SNDBUF: asked for 4096, got 8192: the kernel doubled it"
    check_contains "doubling note (SO_RCVBUF)" "$OUT" "note: SO_RCVBUF: asked for 4096, got 8192"
else
    check_eq "no doubling claimed when the kernel kept $k_snd4k" "$(count 'doubled')" 0
fi

run_nk sockopt --sndbuf 1
check_contains "tiny sndbuf raised to a minimum" "$OUT" "raised to the kernel's minimum"
check_eq "tiny sndbuf: the kernel's minimum, as python gets it" \
    "$(field so_sndbuf)" "$(kernel tcp4 sndbuf 1 | cut -d' ' -f1)"
run_nk sockopt --udp -6 --rcvbuf 100000
check_eq "udp -6 rcvbuf: what the kernel gives python" \
    "$(field so_rcvbuf)" "$(kernel udp6 rcvbuf 100000 | cut -d' ' -f2)"

run_nk sockopt --sndbuf 4096 --json
check_json "change json parses" "$OUT"
check_eq "json requested" "$(printf '%s' "$OUT" | jq .so_sndbuf_requested)" 4096
check_eq "json after = the kernel's" "$(printf '%s' "$OUT" | jq .so_sndbuf)" "$k_snd4k"
check_eq "json note array" "$(printf '%s' "$OUT" | jq '.note | length')" \
    "$([ "$k_snd4k" = 4096 ] && echo 0 || echo 1)"

run_nk sockopt --timeout 100
check_eq "timeout: before none" "$(field timeout_before)" none
check_eq "timeout: after 100 s" "$(field timeout)" 100.000
run_nk sockopt --timeout 0.5 --json
check_eq "timeout json" "$(printf '%s' "$OUT" | jq .timeout)" 0.5

run_nk sockopt --nonblocking
check_eq "nonblocking: before" "$(field blocking_before)" yes
check_eq "nonblocking: after" "$(field blocking)" no
run_nk sockopt --reuseaddr on
check_eq "reuseaddr: before (recipe's old state 0)" "$(field so_reuseaddr_before)" no
check_eq "reuseaddr: after (new state 1)" "$(field so_reuseaddr)" yes
run_nk sockopt --nodelay on
check_eq "nodelay: before" "$(field tcp_nodelay_before)" no
check_eq "nodelay: after" "$(field tcp_nodelay)" yes
run_nk sockopt --nodelay off --reuseaddr off
check_eq "off values" "$(field tcp_nodelay)/$(field so_reuseaddr)" no/no

# --- bad input: usage errors (64), named on stderr, nothing on stdout -------
bad() { # bad DESC NEEDLE ARGS...
    local desc=$1 needle=$2
    shift 2
    run_nk sockopt "$@"
    check_eq "$desc: exit 64" "$RC" 64
    check_contains "$desc: message" "$ERR" "$needle"
    check_eq "$desc: no stdout" "$OUT" ""
}
bad "sndbuf not a number" "--sndbuf: 'abc' is not a number" --sndbuf abc
bad "sndbuf negative" "'-5' is not a number" --sndbuf -5
bad "sndbuf too big" "too large (max 2147483647)" --rcvbuf 99999999999
bad "timeout junk" "'1s' is not a number of seconds" --timeout 1s
bad "timeout too long" "too long (max 86400)" --timeout 100000
bad "timeout below 1 ms" "below the 1 ms resolution" --timeout 0.0004
bad "on/off strict" "--reuseaddr takes on or off, not 'true'" --reuseaddr true
bad "missing value" "option --nodelay needs a value" --nodelay
bad "nodelay on udp" "--nodelay is a TCP option" --udp --nodelay on
bad "unknown mode" "unknown mode 'resuse'" resuse
bad "stray argument" "unexpected argument 'x'" show x
bad "unknown option" "unknown option: --linger" --linger 5
bad "show has no --port" "--port is not an option of 'sockopt show'" --port 1
bad "reuse has no --udp" "--udp is not an option of 'sockopt reuse'" reuse --udp
bad "listen timeout 0" "listen needs more than 0 s" listen --timeout 0
bad "listen bad port" "is not a port number" listen --port 99999
bad "listen bad count" "--count: '-1' is not a number" listen --count -1

run_nk sockopt --help
check_eq "--help exit 0" "$RC" 0
check_contains "--help example" "$OUT" "examples:
  netkit sockopt"
run_nk help sockopt
check_contains "help sockopt" "$OUT" "usage: netkit sockopt"

# --- reuse: the lesson against the real kernel -----------------------------
run_nk sockopt reuse
check_eq "reuse: exit 0 (as taught)" "$RC" 0
step() { printf '%s\n' "$OUT" | awk -v RS= -v n="$1" -v k="$2:" \
    '$0 ~ "(^|\n)step: " n "\n" { split($0, L, "\n"); for (i in L) if (index(L[i], k " ") == 1) print substr(L[i], length(k) + 2) }'; }
check_eq "reuse step 1 listens" "$(step 1 result)" success
check_eq "reuse step 2 time_wait dance" "$(step 2 result)" success
check_eq "reuse step 3 fails" "$(step 3 result)" error
check_contains "reuse step 3 is EADDRINUSE" "$(step 3 error)" "address already in use"
check_eq "reuse step 4 succeeds" "$(step 4 result)" success
check_eq "reuse as taught" "$(last as_taught)" yes
addr=$(printf '%s\n' "$OUT" | awk '$1 == "address:" {a = $2} END {print a}')
client=$(printf '%s\n' "$OUT" | awk '$1 == "client:" {print $2}')
if nk_have "TIME_WAIT is real" ss; then
    # The server's end of the connection really sits in TIME_WAIT.
    if ss -tan state time-wait | grep -F "$addr" | grep -qF "$client"; then
        nk_ok "TIME_WAIT is real ($addr <- $client)"
    else
        nk_not_ok "TIME_WAIT is real" "$(ss -tan state time-wait | head -5)"
    fi
fi

run_nk sockopt reuse -6 --json
check_eq "reuse -6: exit 0" "$RC" 0
check_json "reuse json parses" "$OUT"
check_eq "reuse json: step 3 error" \
    "$(printf '%s' "$OUT" | jq -r '.steps[2].error' | grep -c 'address already in use')" 1
check_eq "reuse json: step 4 ok" "$(printf '%s' "$OUT" | jq -r '.steps[3].result')" success
check_eq "reuse json: all as taught" "$(printf '%s' "$OUT" | jq '[.steps[].as_taught] | all')" true
check_contains "reuse -6 on ::1" "$(printf '%s' "$OUT" | jq -r .address)" "[::1]:"

# The first listener without SO_REUSEADDR: Linux then refuses step 4 too.
# That differs from the recipe's claim, so it is reported (exit 1, a note).
run_nk sockopt reuse --listener-reuseaddr off
if [ "$(uname)" = Linux ]; then
    check_eq "listener without reuse: exit 1" "$RC" 1
    check_eq "listener without reuse: step 4 refused" "$(step 4 result)" error
    check_contains "listener without reuse: note" "$OUT" "note: step 4: Linux allows the bind only if"
else
    nk_skip_kernel "listener without reuse: step 4 refused" "Linux's rule only"
fi

# A fixed port: reused port number (the earlier lesson's, in TIME_WAIT).
port=${addr##*:}
run_nk sockopt reuse --port "$port"
check_eq "reuse --port (TIME_WAIT from before): exit 0" "$RC" 0
check_eq "reuse --port kept the port" "$(field address)" "127.0.0.1:$port"

# A port held by a live listener: the lesson cannot start; an error, no fake.
if nk_start_server holder "$NK" sockopt listen --timeout 5; then
    run_nk sockopt reuse --port "$SERVER_PORT"
    check_eq "busy port: step 1 fails" "$(step 1 result)" error
    if [ "$RC" -ne 0 ] && [ "$RC" -ne 1 ]; then nk_ok "busy port: error exit ($RC)"
    else nk_not_ok "busy port: error exit" "$RC"; fi
    check_contains "busy port: named on stderr" "$ERR" "step 1: bind 127.0.0.1:$SERVER_PORT: address already in use"
    nk_stop_server "$SERVER_PID"
fi

# --- listen ---------------------------------------------------------------
start=$(date +%s)
run_nk sockopt listen --count 2 --timeout 0.2
check_eq "listen --count 2: exit 0" "$RC" 0
check_eq "listen: two timeouts" "$(count '^message: no connection, waiting$')" 2
check_eq "listen: stopped by count" "$(field stopped_by)" count
check_contains "listen: ready line" "$ERR" "netkit sockopt: listening on 127.0.0.1:"
check_contains "listen: address fact" "$(field address)" "127.0.0.1:"
if [ $(($(date +%s) - start)) -le 5 ]; then nk_ok "listen: bounded time"
else nk_not_ok "listen: bounded time" "$(($(date +%s) - start)) s"; fi

run_nk sockopt listen -6 --count 1 --timeout 0.1 --json
check_eq "listen -6 json: exit 0" "$RC" 0
check_json "listen json parses" "$OUT"
check_eq "listen json: event" "$(printf '%s' "$OUT" | jq -r '.events[0].event')" timeout
check_contains "listen json: ::1" "$(printf '%s' "$OUT" | jq -r .address)" "[::1]:"

# A real client is an event; then SIGTERM ends the server with exit 0.
if nk_start_server listen "$NK" sockopt listen --timeout 0.3; then
    nk_ok "listen: ready at $SERVER_ADDR"
    greeting=$(timeout 5 nc 127.0.0.1 "$SERVER_PORT" </dev/null)
    check_eq "client got the greeting" "$greeting" "thank you for connecting"
    # bash's own client, as a second peer
    (exec 3<>"/dev/tcp/127.0.0.1/$SERVER_PORT" && cat <&3 >/dev/null) 2>/dev/null
    # A client that speaks first (an HTTP request) and reads after the
    # server is done: closing with its request unread would reset the
    # connection (RST) and could destroy the greeting; it must end in a
    # clean end of stream after the greeting.
    got=$(timeout 5 python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
time.sleep(0.3)
data = b""
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
    print(repr(data), "eof")
except OSError as e:
    print(repr(data), type(e).__name__)' "$SERVER_PORT")
    check_eq "a client that spoke first: greeting, then a clean close" \
        "$got" "b'thank you for connecting\\n' eof"
    # a timeout after the last client (0.3 s each; 10 s at most)
    n_before=$(grep -c '^event: timeout$' "$NK_TMP/listen.out")
    for _ in $(seq 1 200); do
        [ "$(grep -c '^event: timeout$' "$NK_TMP/listen.out")" -gt "$n_before" ] && break
        sleep 0.05
    done
    nk_stop_server "$SERVER_PID"
    check_eq "SIGTERM: exit 0" "$STOP_STATUS" 0
    OUT=$(cat "$NK_TMP/listen.out")
    check_eq "listen: three connections" "$(count '^event: connection$')" 3
    check_eq "listen: connections total" "$(field connections)" 3
    check_contains "listen: peer recorded" "$OUT" "message: connection established with 127.0.0.1:"
    check_eq "listen: stopped by sigterm" "$(field stopped_by)" sigterm
    t=$(field timeouts)
    if [ "$t" -ge 1 ] 2>/dev/null; then nk_ok "listen: timeouts between clients ($t)"
    else nk_not_ok "listen: timeouts between clients" "$t"; fi
fi

# SIGINT (Ctrl-C) too, with a long timeout: the loop notices within 100 ms.
if nk_start_server listen-int "$NK" sockopt listen --timeout 60 --json; then
    kill -INT "$SERVER_PID"
    for i in $(seq 1 40); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.05; done
    if kill -0 "$SERVER_PID" 2>/dev/null; then nk_not_ok "SIGINT stops a 60 s wait within 2 s"
    else nk_ok "SIGINT stops a 60 s wait within 2 s"; fi
    wait "$SERVER_PID"
    check_eq "SIGINT: exit 0" "$?" 0
    OUT=$(cat "$NK_TMP/listen-int.out")
    check_json "listen json after SIGINT is complete" "$OUT"
    check_eq "json stopped_by sigint" "$(printf '%s' "$OUT" | jq -r .stopped_by)" sigint
fi

# A --bind name that does not resolve (.invalid: answered locally).
run_nk sockopt listen --bind nosuch.invalid --count 1
check_eq "listen --bind unknown host: exit 68" "$RC" 68
check_contains "listen --bind unknown host: message" "$ERR" "resolve nosuch.invalid"

# Busy port for listen: an error exit, not a hang.
if nk_start_server holder2 "$NK" sockopt listen --timeout 5; then
    run_nk sockopt listen --port "$SERVER_PORT" --count 1
    if [ "$RC" -ne 0 ]; then nk_ok "listen on a busy port fails ($RC)"
    else nk_not_ok "listen on a busy port fails" "$RC"; fi
    check_contains "listen busy: message" "$ERR" "address already in use"
    nk_stop_server "$SERVER_PID"
fi

nk_done

#!/usr/bin/env bash
# Socket activation and inetd mode through the real binary, under
# systemd-socket-activate (Debian's systemd package; no running systemd
# needed): it opens the socket, waits for the first client, then execs the
# server with LISTEN_PID/LISTEN_FDS (or, with --inetd, the connection as
# stdin and stdout). Peers: netkit's own clients, nc, curl and python3
# ntplib. Every socket is on 127.0.0.1.
. "$(dirname "$0")/lib.sh" "$@"

nk_have "systemd-socket-activate" systemd-socket-activate || { nk_done; exit; }

# free_port tcp|udp: a port nobody holds now.
free_port() {
    python3 -c "import socket, sys
t = socket.SOCK_STREAM if sys.argv[1] == 'tcp' else socket.SOCK_DGRAM
s = socket.socket(socket.AF_INET, t); s.bind(('127.0.0.1', 0))
print(s.getsockname()[1])" "$1"
}

# act_start NAME ARGS...: systemd-socket-activate ARGS in the background,
# its stderr (and the server's) in $NK_TMP/NAME.err, its stdout in
# NAME.out; waits until it listens. Sets SERVER_PID (stop it with
# nk_stop_server). Returns 1, a failed check, when it never listens.
act_start() {
    local name=$1 i
    shift
    : >"$NK_TMP/$name.err"
    timeout --kill-after=5 120 systemd-socket-activate "$@" \
        >"$NK_TMP/$name.out" 2>"$NK_TMP/$name.err" &
    SERVER_PID=$!
    NK_PIDS+=("$SERVER_PID")
    for i in $(seq 1 100); do
        grep -q '^Listening on' "$NK_TMP/$name.err" && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    nk_not_ok "$name: systemd-socket-activate listens" \
        "$(head -c 2000 "$NK_TMP/$name.err")"
    return 1
}

# exit_status PID: the status of a server that should exit by itself, at
# most 5 s from now; one still running then is stopped, and 255 stands
# for "did not exit".
exit_status() {
    local i
    for i in $(seq 1 100); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$1" 2>/dev/null; then
        nk_stop_server "$1"
        return 255
    fi
    wait "$1"
}

# wait_line NAME TEXT: wait (5 s at most) for TEXT in NAME's stderr.
wait_line() {
    local i
    for i in $(seq 1 100); do
        grep -qF -- "$2" "$NK_TMP/$1.err" && return 0
        sleep 0.05
    done
    return 1
}

ntplib_query() { # PORT: "version mode stratum" of netkit's reply
    /usr/bin/python3 -c "
import ntplib, sys
r = ntplib.NTPClient().request('127.0.0.1', port=int(sys.argv[1]), version=4, timeout=3)
print(r.version, r.mode, r.stratum)" "$1" 2>&1
}
have_ntplib() {
    [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import ntplib' 2>/dev/null
}

# ------------------------------------------------------------- sntp serve

P=$(free_port udp)
if act_start sntp -d -l "127.0.0.1:$P" "$NK" sntp serve --assume-synced; then
    run_nk sntp --timeout 3 --port "$P" 127.0.0.1
    check_eq "sntp: activated (-d), netkit's client gets the time" "$RC" 0
    wait_line sntp "listening on"
    check_contains "sntp: announces the passed socket" \
        "$(cat "$NK_TMP/sntp.err")" "netkit sntp: listening on 127.0.0.1:$P"
    if have_ntplib; then
        check_eq "sntp: ntplib queries the activated server" \
            "$(ntplib_query "$P")" "4 4 10"
    else
        nk_skip "sntp: ntplib" "python3-ntplib not installed (scripts/deps.sh)"
    fi
    nk_stop_server "$SERVER_PID"
    check_eq "sntp: SIGTERM exits 0" "$STOP_STATUS" 0
    check_contains "sntp: counts on stdout" "$(cat "$NK_TMP/sntp.out")" \
        "answered: "
fi

P=$(free_port udp)
if act_start sntpi -d --inetd -l "127.0.0.1:$P" "$NK" sntp serve --inetd \
    --assume-synced; then
    run_nk sntp --timeout 3 --port "$P" 127.0.0.1
    check_eq "sntp --inetd: the datagrams on stdin are answered" "$RC" 0
    if have_ntplib; then
        check_eq "sntp --inetd: ntplib too" "$(ntplib_query "$P")" "4 4 10"
    fi
    # inetd's wait mode: the server gives the socket back when idle
    for i in $(seq 1 150); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        nk_not_ok "sntp --inetd: exits after 10 s without a request"
        nk_stop_server "$SERVER_PID"
    else
        wait "$SERVER_PID"
        check_eq "sntp --inetd: exits 0 after 10 s without a request" "$?" 0
    fi
    check_eq "sntp --inetd: nothing on stdout (it is the socket)" \
        "$(cat "$NK_TMP/sntpi.out")" ""
    check_contains "sntp --inetd: the summary on stderr" \
        "$(cat "$NK_TMP/sntpi.err")" "answered"
fi

# two sockets: --fdname chooses; without it the server cannot guess
P=$(free_port udp)
P2=$(free_port udp)
if act_start sntpn -d -l "127.0.0.1:$P" -l "127.0.0.1:$P2" --fdname=one:two \
    "$NK" sntp serve --fdname two --assume-synced; then
    run_nk sntp --timeout 3 --port "$P2" 127.0.0.1
    check_eq "sntp --fdname two: the socket named two answers" "$RC" 0
    wait_line sntpn "listening on"
    check_contains "sntp --fdname two: announced" \
        "$(cat "$NK_TMP/sntpn.err")" "listening on 127.0.0.1:$P2"
    nk_stop_server "$SERVER_PID"
fi
P=$(free_port udp)
P2=$(free_port udp)
if act_start sntpa -d -l "127.0.0.1:$P" -l "127.0.0.1:$P2" "$NK" sntp serve; then
    run_nk sntp --timeout 0.3 --retries 1 --port "$P" 127.0.0.1
    wait_line sntpa "choose one"
    check_contains "sntp: two sockets and no --fdname: a clear refusal" \
        "$(cat "$NK_TMP/sntpa.err")" \
        "netkit sntp: systemd passed 2 datagram sockets: choose one with --fdname"
    exit_status "$SERVER_PID"
    check_eq "sntp: ... exit 64" "$?" 64
fi

# a stream socket where a datagram one is needed
P=$(free_port tcp)
if act_start sntpt -l "127.0.0.1:$P" "$NK" sntp serve; then
    (exec 3<>"/dev/tcp/127.0.0.1/$P") 2>/dev/null
    wait_line sntpt "passed no" 
    check_contains "sntp: a stream socket is refused, naming what came" \
        "$(cat "$NK_TMP/sntpt.err")" \
        "systemd passed no listening datagram socket (passed: fd 3 stream)"
    exit_status "$SERVER_PID"
    check_eq "sntp: ... exit 69" "$?" 69
fi

# LISTEN_PID naming another process: the variables are not for us
P=$(free_port udp)
P2=$(free_port udp)
if act_start sntpo -d -l "127.0.0.1:$P" env LISTEN_PID=1 \
    "$NK" sntp serve --bind 127.0.0.1 --port "$P2" --assume-synced; then
    run_nk sntp --timeout 0.3 --retries 1 --port "$P" 127.0.0.1
    wait_line sntpo "listening on"
    check_contains "sntp: LISTEN_PID=1 ignored, its own --port used" \
        "$(cat "$NK_TMP/sntpo.err")" "netkit sntp: listening on 127.0.0.1:$P2"
    run_nk sntp --timeout 3 --port "$P2" 127.0.0.1
    check_eq "sntp: ... and it answers there" "$RC" 0
    nk_stop_server "$SERVER_PID"
fi

run_nk sntp serve --inetd <"$NK_TMP/sntp.err"
check_eq "sntp --inetd with a file on stdin: 64" "$RC" 64
check_contains "sntp --inetd with a file on stdin: says why" "$ERR" \
    "stdin is not a socket"
run_nk sntp serve --fdname x --port 0
check_eq "sntp --fdname without activation: 64" "$RC" 64
check_contains "sntp --fdname without activation: says why" "$ERR" \
    "no sockets were passed"

# ------------------------------------------------------------- echo-tcp

# echo_check NAME PORT: a line through nc comes back
echo_check() {
    check_eq "$1" "$(printf 'hello %s\n' "$2" | timeout 5 nc -N 127.0.0.1 "$2")" \
        "hello $2"
}
for m in default iterative fork thread select poll epoll; do
    P=$(free_port tcp)
    args=()
    [ "$m" = default ] || args=(--model "$m")
    act_start "et_$m" -l "127.0.0.1:$P" "$NK" echo-tcp serve "${args[@]}" ||
        continue
    echo_check "echo-tcp ($m): activated, echoes" "$P"
    wait_line "et_$m" "listening on"
    check_contains "echo-tcp ($m): announces the passed socket" \
        "$(cat "$NK_TMP/et_$m.err")" "netkit echo-tcp: listening on 127.0.0.1:$P"
    echo_check "echo-tcp ($m): a second client" "$P"
    nk_stop_server "$SERVER_PID"
    check_eq "echo-tcp ($m): SIGTERM exits 0" "$STOP_STATUS" 0
done

P=$(free_port tcp)
if act_start eti -l "127.0.0.1:$P" -a --inetd "$NK" echo-tcp serve --inetd; then
    echo_check "echo-tcp --inetd (-a): one process per connection echoes" "$P"
    echo_check "echo-tcp --inetd (-a): and the next" "$P"
    head -c 300000 /dev/urandom | base64 -w 76 >"$NK_TMP/big"
    OUT=$(timeout 10 nc -N 127.0.0.1 "$P" <"$NK_TMP/big" |
        cmp - "$NK_TMP/big" && echo same)
    check_eq "echo-tcp --inetd: 400 kB come back whole" "$OUT" same
    nk_stop_server "$SERVER_PID"
fi

OUT=$(printf 'abc\ndef\n' | "$NK" echo-tcp serve --inetd 2>"$NK_TMP/err")
check_eq "echo-tcp --inetd from a pipe: stdin echoed to stdout" "$OUT" \
    "$(printf 'abc\ndef')"

# inetd proper makes stderr the connection too: --trace's lines (stderr)
# must not reach the client.
cat >"$NK_TMP/inetd.py" <<'EOF'
import socket, subprocess, sys
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
c = socket.create_connection(l.getsockname())
conn, _ = l.accept()
p = subprocess.Popen(sys.argv[1:], stdin=conn, stdout=conn, stderr=conn)
conn.close()
c.sendall(b"ping\n"); c.shutdown(socket.SHUT_WR)
got = b""
c.settimeout(5)
while True:
    b = c.recv(4096)
    if not b: break
    got += b
p.wait(timeout=5)
print(repr(got), p.returncode)
EOF
check_eq "echo-tcp --inetd, stderr the connection: only the echo comes back" \
    "$(python3 "$NK_TMP/inetd.py" "$NK" --trace echo-tcp serve --inetd)" \
    "b'ping\\n' 0"

P=$(free_port tcp)
P2=$(free_port tcp)
if act_start eto -l "127.0.0.1:$P" env LISTEN_PID=1 \
    "$NK" echo-tcp serve --bind 127.0.0.1 --port "$P2"; then
    (exec 3<>"/dev/tcp/127.0.0.1/$P") 2>/dev/null
    wait_line eto "listening on"
    check_contains "echo-tcp: LISTEN_PID=1 ignored, its own --port used" \
        "$(cat "$NK_TMP/eto.err")" "netkit echo-tcp: listening on 127.0.0.1:$P2"
    echo_check "echo-tcp: ... and it echoes there" "$P2"
    nk_stop_server "$SERVER_PID"
fi
# a Unix socket passed (ListenStream=/run/...): served, and left in place
# when the server stops, since systemd made it and removes it
if act_start etu -l "$NK_TMP/echo.sock" "$NK" echo-tcp serve; then
    check_eq "echo-tcp: a passed unix socket, nc -U" \
        "$(printf 'over unix\n' | timeout 5 nc -N -U "$NK_TMP/echo.sock")" \
        "over unix"
    wait_line etu "listening on"
    check_contains "echo-tcp: announced as unix:PATH" \
        "$(cat "$NK_TMP/etu.err")" "listening on unix:$NK_TMP/echo.sock"
    nk_stop_server "$SERVER_PID"
    check_eq "echo-tcp (unix): SIGTERM exits 0" "$STOP_STATUS" 0
    if [ -S "$NK_TMP/echo.sock" ]; then
        nk_ok "echo-tcp (unix): systemd's socket file is left to systemd"
    else
        nk_not_ok "echo-tcp (unix): systemd's socket file is left to systemd"
    fi
fi

# a unit that still says --port: the passed socket wins, and the workers
# share it rather than probe or bind that port for a SO_REUSEPORT group
P=$(free_port tcp)
if act_start etp -l "127.0.0.1:$P" "$NK" echo-tcp serve --port "$P" \
    --model epoll --workers 2; then
    echo_check "echo-tcp --workers 2 --port on the passed socket's port: echoes" "$P"
    echo_check "echo-tcp --workers 2: again" "$P"
    nk_stop_server "$SERVER_PID"
    check_eq "echo-tcp --workers 2: SIGTERM exits 0" "$STOP_STATUS" 0
fi
run_nk echo-tcp serve
check_eq "echo-tcp serve without --port or a passed socket: 64" "$RC" 64

# ------------------------------------------------------------- echo-udp

udp_echo() { # PORT: what one datagram brings back
    printf 'dgram %s' "$1" | timeout 5 socat -t 2 - "UDP:127.0.0.1:$1" 2>&1
}
P=$(free_port udp)
if act_start eu -d -l "127.0.0.1:$P" "$NK" echo-udp serve; then
    check_eq "echo-udp: activated (-d), echoes" "$(udp_echo "$P")" "dgram $P"
    wait_line eu "listening on"
    check_contains "echo-udp: announces the passed socket" \
        "$(cat "$NK_TMP/eu.err")" "netkit echo-udp: listening on 127.0.0.1:$P"
    run_nk echo-udp client --port "$P" --host 127.0.0.1 --timeout 2 hi
    check_eq "echo-udp: netkit's client" "$RC" 0
    nk_stop_server "$SERVER_PID"
    check_eq "echo-udp: SIGTERM exits 0" "$STOP_STATUS" 0
fi
P=$(free_port udp)
if act_start eui -d --inetd -l "127.0.0.1:$P" "$NK" echo-udp serve --inetd; then
    check_eq "echo-udp --inetd: the datagrams on stdin are echoed" \
        "$(udp_echo "$P")" "dgram $P"
    # inetd's wait mode: the server gives the socket back when idle
    for i in $(seq 1 150); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        nk_not_ok "echo-udp --inetd: exits after 10 s without a datagram"
        nk_stop_server "$SERVER_PID"
    else
        wait "$SERVER_PID"
        check_eq "echo-udp --inetd: exits 0 after 10 s without a datagram" "$?" 0
    fi
    check_eq "echo-udp --inetd: nothing on stdout" "$(cat "$NK_TMP/eui.out")" ""
fi

# ------------------------------------------------------------- chat serve

P=$(free_port tcp)
if act_start chat -l "127.0.0.1:$P" "$NK" chat serve --no-console; then
    OUT=$(printf '/nick bob\nhello room\n' | timeout 5 nc -q1 127.0.0.1 "$P")
    check_contains "chat: activated, nc joins the room" "$OUT" \
        "* you are now known as bob"
    wait_line chat "bob disconnected"
    check_contains "chat: announces the passed socket" \
        "$(cat "$NK_TMP/chat.err")" "netkit chat: listening on 127.0.0.1:$P"
    nk_stop_server "$SERVER_PID"
    check_eq "chat: SIGTERM exits 0" "$STOP_STATUS" 0
    check_contains "chat: the transcript has the line" \
        "$(cat "$NK_TMP/chat.out")" "bob: hello room"
fi
ERR=$(timeout 5 "$NK" chat serve --inetd --port 0 --no-console 2>&1)
check_eq "chat --inetd: refused, 64" "$?" 64
check_contains "chat --inetd: says why" "$ERR" "a room needs every member"

# ------------------------------------------------------------- fileshare

mkdir -p "$NK_TMP/pub"
printf 'shared text\n' >"$NK_TMP/pub/a.txt"
fs_get() { # PORT: a.txt through netkit's own client (the line protocol)
    rm -rf "$NK_TMP/got" && mkdir -p "$NK_TMP/got"
    (cd "$NK_TMP/got" && timeout 10 "$NK" fileshare get --port "$1" \
        127.0.0.1 a.txt) >"$NK_TMP/get.log" 2>&1
    cat "$NK_TMP/got/a.txt" 2>&1
}
P=$(free_port tcp)
if act_start fs -l "127.0.0.1:$P" "$NK" fileshare serve --root "$NK_TMP/pub"; then
    check_eq "fileshare: activated, curl fetches over HTTP" \
        "$(curl -s --max-time 5 "http://127.0.0.1:$P/a.txt")" "shared text"
    check_eq "fileshare: netkit's client, the line protocol" "$(fs_get "$P")" \
        "shared text"
    check_contains "fileshare: announces the passed socket" \
        "$(cat "$NK_TMP/fs.err")" "netkit fileshare: listening on 127.0.0.1:$P"
    nk_stop_server "$SERVER_PID"
    check_eq "fileshare: SIGTERM exits 0" "$STOP_STATUS" 0
fi
P=$(free_port tcp)
if act_start fsi -l "127.0.0.1:$P" -a --inetd "$NK" fileshare serve --inetd \
    --root "$NK_TMP/pub"; then
    check_eq "fileshare --inetd (-a): curl fetches over HTTP" \
        "$(curl -s --max-time 5 "http://127.0.0.1:$P/a.txt")" "shared text"
    check_eq "fileshare --inetd: two requests on one keep-alive connection" \
        "$(curl -s --max-time 5 "http://127.0.0.1:$P/a.txt" \
            "http://127.0.0.1:$P/a.txt" | tr '\n' ' ')" "shared text shared text "
    check_eq "fileshare --inetd: netkit's client, the line protocol" \
        "$(fs_get "$P")" "shared text"
    nk_stop_server "$SERVER_PID"
fi
ERR=$(timeout 5 "$NK" fileshare serve --inetd --root "$NK_TMP/pub" \
    <"$NK_TMP/pub/a.txt" 2>&1)
check_eq "fileshare --inetd with a file on stdin: 64" "$?" 64
check_contains "fileshare --inetd with a file on stdin: says why" "$ERR" \
    "stdin is not a socket"

nk_done

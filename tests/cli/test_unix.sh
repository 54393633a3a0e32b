#!/usr/bin/env bash
# AF_UNIX everywhere a host or --bind is taken (issue 18): netkit's servers
# on unix:PATH and unix:@NAME with socat and nc -U (netcat-openbsd) as
# clients, netkit's clients against socat's UNIX-LISTEN, --mode, live and
# stale socket files, a file that is not a socket, and the socket file
# removed when a server is stopped with SIGTERM.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh" "$@"

S=$NK_TMP/s # socket files live here
mkdir -p "$S"
ABS="nk-test-$$" # abstract names carry the pid: runs never collide
UID_NOW=$(id -u)
GID_NOW=$(id -g)

# start_unix NAME ADDR CMD...: start a server on a unix: address; the
# harness's "listening on" line must name that address exactly.
start_unix() {
    local name=$1 want=$2
    shift 2
    nk_start_server "$name" "$@" || return 1
    check_eq "$name: listening on $want" "$SERVER_ADDR" "$want"
}

# ---------------------------------------------------------------- echo-tcp

if nk_have "echo-tcp over unix: with socat and nc -U" socat nc; then
    for model in iterative fork thread select poll epoll; do
        sock=$S/echo-$model.sock
        if start_unix "echo-$model" "unix:$sock" \
            "$NK" echo-tcp serve --bind "unix:$sock" --model "$model"; then
            got=$(printf 'hello %s\n' "$model" |
                timeout 5 socat -t 2 - "UNIX-CONNECT:$sock")
            check_eq "echo-tcp --model $model: socat's line comes back" \
                "$got" "hello $model"
            got=$(printf 'nc %s\n' "$model" | timeout 5 nc -U -N "$sock")
            check_eq "echo-tcp --model $model: nc -U's line comes back" \
                "$got" "nc $model"
            if [ "$model" = epoll ]; then
                run_nk --trace echo-tcp client -H "unix:$sock" traced
                check_contains "--trace names the path connect() got" \
                    "$ERR" ", unix:$sock) = 0"
            fi
            pid=$SERVER_PID
            nk_stop_server "$pid"
            check_eq "echo-tcp --model $model: exit 0 on SIGTERM" \
                "$STOP_STATUS" 0
            [ -e "$sock" ]
            check_eq "echo-tcp --model $model: socket file removed on stop" \
                "$?" 1
            check_contains "echo-tcp --model $model: totals name the address" \
                "$(cat "$NK_TMP/echo-$model.out")" "address: unix:$sock"
        fi
    done
fi

# Peer credentials where a TCP server logs the peer's address.
if nk_have "echo-tcp logs the peer's credentials" python3; then
    sock=$S/cred.sock
    if start_unix cred "unix:$sock" "$NK" echo-tcp serve --bind "unix:$sock"; then
        pid=$(python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1]); s.sendall(b"x"); s.recv(1); print(os.getpid())
' "$sock")
        sleep 0.2
        check_contains "echo-tcp: the log shows pid, uid and gid" \
            "$(cat "$NK_TMP/cred.err")" \
            "pid=$pid,uid=$UID_NOW,gid=$GID_NOW connected"
        nk_stop_server "$SERVER_PID"
    fi
fi

# The abstract namespace, and the totals as JSON.
if nk_have "echo-tcp on unix:@NAME" socat jq; then
    if start_unix abstract "unix:@$ABS-echo" \
        "$NK" --json echo-tcp serve --bind "unix:@$ABS-echo" --model poll; then
        got=$(echo abstract | timeout 5 socat -t 2 - "ABSTRACT-CONNECT:$ABS-echo")
        check_eq "echo-tcp unix:@NAME: socat's line comes back" "$got" abstract
        run_nk --trace echo-tcp client -H "unix:@$ABS-echo" traced
        check_contains "--trace names the abstract address connect() got" \
            "$ERR" ", unix:@$ABS-echo) = 0"
        nk_stop_server "$SERVER_PID"
        out=$(cat "$NK_TMP/abstract.out")
        check_json "echo-tcp unix:@NAME --json: one document" "$out"
        check_eq "echo-tcp unix:@NAME --json: the address" \
            "$(printf '%s' "$out" | jq -r .address)" "unix:@$ABS-echo"
        check_eq "echo-tcp unix:@NAME --json: socat's and the traced client's" \
            "$(printf '%s' "$out" | jq -r .connections)" 2
    fi
fi

# --mode: the socket file's permissions, before any client can connect.
for mode in 0600 0660 0777; do
    sock=$S/mode-$mode.sock
    if start_unix "mode-$mode" "unix:$sock" \
        "$NK" echo-tcp serve --bind "unix:$sock" --mode "$mode"; then
        check_eq "--mode $mode: the socket file's permissions" \
            "$(stat -c %a "$sock")" "${mode#0}"
        check_eq "--mode $mode: a socket file" "$(stat -c %F "$sock")" socket
        nk_stop_server "$SERVER_PID"
    fi
done
run_nk echo-tcp serve --bind 127.0.0.1 --port 0 --mode 0600
check_eq "--mode with a TCP address: usage error" "$RC" 64
check_contains "--mode with a TCP address: says why" "$ERR" "unix:PATH"
run_nk echo-tcp serve --bind "unix:$S/badmode.sock" --mode 0999
check_eq "--mode 0999: not an octal mode, exit 65" "$RC" 65
check_contains "--mode 0999: says so" "$ERR" "not an octal mode"
run_nk echo-tcp serve --bind "unix:@$ABS-m" --mode 0600
check_eq "--mode with an abstract name: refused" "$RC" 65
run_nk echo-tcp serve --bind "unix:"
check_eq "unix: without a path: exit 65" "$RC" 65

# A live socket: refused, exit 69; the first server goes on serving.
sock=$S/live.sock
if nk_have "a live socket file is refused" socat &&
    start_unix live "unix:$sock" "$NK" echo-tcp serve --bind "unix:$sock"; then
    run_nk echo-tcp serve --bind "unix:$sock"
    check_eq "live socket: second server exits 69" "$RC" 69
    check_contains "live socket: in use by another server" "$ERR" \
        "unix:$sock: in use by another server"
    got=$(echo still | timeout 5 socat -t 2 - "UNIX-CONNECT:$sock")
    check_eq "live socket: the first server still answers" "$got" still
    run_nk echo-udp serve --bind "unix:$sock"
    check_eq "live stream socket: a datagram server refuses too" "$RC" 69
    nk_stop_server "$SERVER_PID"
fi

# A stale socket (its server died without removing it): replaced.
sock=$S/stale.sock
if nk_have "a stale socket file is replaced" python3 socat; then
    python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$sock"
    check_eq "stale: the file is there first" "$(stat -c %F "$sock")" socket
    if start_unix stale "unix:$sock" "$NK" echo-tcp serve --bind "unix:$sock"; then
        got=$(echo fresh | timeout 5 socat -t 2 - "UNIX-CONNECT:$sock")
        check_eq "stale: the new server answers" "$got" fresh
        nk_stop_server "$SERVER_PID"
    fi
fi

# A file that is not a socket: refused and left alone.
f=$S/notasocket
printf 'precious\n' >"$f"
run_nk echo-tcp serve --bind "unix:$f"
check_eq "not a socket: exit 69" "$RC" 69
check_contains "not a socket: says so" "$ERR" "not a socket"
check_eq "not a socket: the file is untouched" "$(cat "$f")" precious

# ---------------------------------------------------------------- echo-udp

sock=$S/udp.sock
if nk_have "echo-udp over unix: with socat" socat jq &&
    start_unix udp "unix:$sock" "$NK" --json echo-udp serve --bind "unix:$sock"; then
    got=$(echo datagram | timeout 5 socat -t 1 - \
        "UNIX-SENDTO:$sock,bind=$S/udp-client.sock")
    check_eq "echo-udp unix:: socat's datagram comes back" "$got" datagram
    sleep 0.2
    check_contains "echo-udp unix:: the peer is logged by its path" \
        "$(cat "$NK_TMP/udp.err")" "peer unix:$S/udp-client.sock"
    nk_stop_server "$SERVER_PID"
    [ -e "$sock" ]
    check_eq "echo-udp unix:: socket file removed on stop" "$?" 1
    check_eq "echo-udp unix: --json: the address" \
        "$(jq -r .address "$NK_TMP/udp.out")" "unix:$sock"
fi
run_nk echo-udp serve --bind "unix:$S/w.sock" --workers 2
check_eq "echo-udp unix: --workers 2: usage error" "$RC" 64

# ---------------------------------------------------------------- chat

sock=$S/chat.sock
if nk_have "chat serve over unix: with socat" socat &&
    start_unix chat "unix:$sock" "$NK" chat serve --bind "unix:$sock" \
        --no-console --mode 0600; then
    check_eq "chat --mode 0600" "$(stat -c %a "$sock")" 600
    got=$( (printf '/nick carol\nhello\n'; sleep 0.5) |
        timeout 5 socat -t 1 - "UNIX-CONNECT:$sock")
    check_contains "chat over unix:: the room answers" "$got" \
        "you are now known as carol"
    sleep 0.2
    check_contains "chat over unix:: the log shows the credentials" \
        "$(cat "$NK_TMP/chat.err")" ",uid=$UID_NOW,gid=$GID_NOW joined as"
    nk_stop_server "$SERVER_PID"
    [ -e "$sock" ]
    check_eq "chat unix:: socket file removed on stop" "$?" 1
fi

# ---------------------------------------------------------------- clients

# httpget: curl's --unix-socket and --abstract-unix-socket, and --host
# unix:PATH; the URL's host still goes in the Host header.
if nk_have "httpget over unix:" socat jq; then
    sock=$S/http.sock
    cat >"$S/http.sh" <<'SH'
#!/bin/sh
# one HTTP/1.0 exchange: answer with the request's Host header as the body
while IFS= read -r line; do
    line=$(printf '%s' "$line" | tr -d '\r')
    case $line in Host:*) host=${line#Host: } ;; "") break ;; esac
done
printf 'HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s' "${#host}" "$host"
SH
    chmod +x "$S/http.sh"
    timeout 60 socat "UNIX-LISTEN:$sock,fork" "EXEC:$S/http.sh" &
    SOCAT_PID=$!
    NK_PIDS+=("$SOCAT_PID")
    for i in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.05; done
    run_nk httpget --unix-socket "$sock" http://example.invalid/x
    check_eq "httpget --unix-socket: exit 0" "$RC" 0
    check_eq "httpget --unix-socket: the URL's host in Host" "$OUT" \
        example.invalid
    run_nk --json httpget --unix-socket "$sock" http://a.invalid:8080/
    check_eq "httpget --unix-socket --json: the address" \
        "$(printf '%s' "$OUT" | jq -r .address)" "unix:$sock"
    run_nk httpget --host "unix:$sock" --path /y
    check_eq "httpget --host unix:PATH: Host is localhost" "$OUT" localhost
    nk_stop_server "$SOCAT_PID"
    timeout 60 socat "ABSTRACT-LISTEN:$ABS-http,fork" "EXEC:$S/http.sh" &
    SOCAT_PID=$!
    NK_PIDS+=("$SOCAT_PID")
    sleep 0.3
    run_nk httpget --abstract-unix-socket "$ABS-http" http://b.invalid/
    check_eq "httpget --abstract-unix-socket: the body" "$OUT" b.invalid
    nk_stop_server "$SOCAT_PID"
    run_nk httpget --unix-socket "$S/nobody.sock" http://c.invalid/
    check_eq "httpget --unix-socket to no socket: exit 69" "$RC" 69
    check_contains "httpget --unix-socket to no socket: names it" "$ERR" \
        "unix:$S/nobody.sock"
    run_nk httpget --unix-socket "$sock" --abstract-unix-socket x http://d/
    check_eq "httpget: one of the two socket options" "$RC" 64
fi

# ---------------------------------------------------------------- fileshare

# One listener, both protocols: netkit's own get, list and put (the line
# protocol) and curl --unix-socket (HTTP) against fileshare serve.
sock=$S/fs.sock
mkdir -p "$S/root" "$S/dl"
printf 'shared bytes\n' >"$S/root/a.txt"
if nk_have "fileshare serve over unix:" curl jq &&
    start_unix fs "unix:$sock" "$NK" --json fileshare serve --root "$S/root" \
        --bind "unix:$sock" --allow-upload --mode 0660; then
    check_eq "fileshare --mode 0660" "$(stat -c %a "$sock")" 660
    run_nk fileshare get "unix:$sock" a.txt -o "$S/dl/a.txt"
    check_eq "fileshare get unix:: exit 0" "$RC" 0
    check_eq "fileshare get unix:: the bytes" "$(cat "$S/dl/a.txt")" \
        "shared bytes"
    run_nk --json fileshare list "unix:$sock"
    check_eq "fileshare list unix:: exit 0" "$RC" 0
    check_contains "fileshare list unix:: a.txt" "$OUT" a.txt
    printf 'uploaded\n' >"$S/up.txt"
    run_nk fileshare put "unix:$sock" "$S/up.txt" up.txt
    check_eq "fileshare put unix:: exit 0" "$RC" 0
    check_eq "fileshare put unix:: stored" "$(cat "$S/root/up.txt")" uploaded
    got=$(timeout 5 curl -s --unix-socket "$sock" http://fs.invalid/a.txt)
    check_eq "fileshare HTTP via curl --unix-socket" "$got" "shared bytes"
    sleep 0.2
    check_contains "fileshare: requests logged with the credentials" \
        "$(cat "$NK_TMP/fs.err")" "uid=$UID_NOW,gid=$GID_NOW"
    nk_stop_server "$SERVER_PID"
    [ -e "$sock" ]
    check_eq "fileshare unix:: socket file removed on stop" "$?" 1
    check_eq "fileshare unix: --json: the address" \
        "$(jq -r .address "$NK_TMP/fs.out")" "unix:$sock"
fi

# echo-tcp client and bench against socat's UNIX-LISTEN (a port, if
# given, is ignored for a unix: host).
sock=$S/cat.sock
if nk_have "netkit's clients against socat UNIX-LISTEN" socat jq; then
    timeout 60 socat "UNIX-LISTEN:$sock,fork" EXEC:cat &
    SOCAT_PID=$!
    NK_PIDS+=("$SOCAT_PID")
    for i in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.05; done
    run_nk echo-tcp client --host "unix:$sock" --port 7 'over a socket file'
    check_eq "echo-tcp client unix:: exit 0" "$RC" 0
    check_eq "echo-tcp client unix:: the echo" "$OUT" "over a socket file"
    check_contains "echo-tcp client unix:: the verdict names it" "$ERR" \
        "from unix:$sock"
    run_nk --json echo-tcp client --host "unix:$sock" --port 7 --count 3 \
        --interval 0.01
    check_json "echo-tcp client unix: --json: one document" "$OUT"
    check_eq "echo-tcp client unix: --json: server" \
        "$(printf '%s' "$OUT" | jq -r .server)" "unix:$sock"
    check_eq "echo-tcp client unix: --json: 3 received" \
        "$(printf '%s' "$OUT" | jq -r .received)" 3
    run_nk --json echo-tcp bench --host "unix:$sock" --port 7 --duration 0.5
    check_eq "echo-tcp bench unix:: exit 0" "$RC" 0
    check_eq "echo-tcp bench unix:: no errors" \
        "$(printf '%s' "$OUT" | jq -r .errors)" 0
    nk_stop_server "$SOCAT_PID"
    run_nk echo-tcp client --host "unix:$sock" --port 7 x
    check_eq "echo-tcp client, nobody at the path: exit 69" "$RC" 69
    check_contains "echo-tcp client, nobody at the path: says so" "$ERR" \
        "connect unix:$sock: no such file or directory"
    timeout 60 socat "ABSTRACT-LISTEN:$ABS-cat,fork" EXEC:cat &
    SOCAT_PID=$!
    NK_PIDS+=("$SOCAT_PID")
    sleep 0.3
    run_nk echo-tcp client --host "unix:@$ABS-cat" --port 7 abstract
    check_eq "echo-tcp client unix:@NAME against socat" "$OUT" abstract
    nk_stop_server "$SOCAT_PID"
fi

# echo-udp client against netkit's datagram server, on a path and on an
# abstract name: the client autobinds an abstract name of its own for
# the replies, so it leaves no file behind.
for where in "$S/dg.sock" "@$ABS-dg"; do
    tag=dg-path
    [ "${where:0:1}" = @ ] && tag=dg-abstract
    if nk_have "echo-udp client over unix:$where" jq &&
        start_unix "$tag" "unix:$where" \
            "$NK" echo-udp serve --bind "unix:$where"; then
        run_nk echo-udp client --host "unix:$where" --port 7 datagram
        check_eq "echo-udp client unix:$where: exit 0" "$RC" 0
        check_contains "echo-udp client unix:$where: match" "$OUT" "match: yes"
        run_nk --json echo-udp client --host "unix:$where" --port 7 \
            --count 3 --interval 0.01
        check_eq "echo-udp client unix:$where --json: 3 received" \
            "$(printf '%s' "$OUT" | jq -r .received)" 3
        sleep 0.2
        check_contains "echo-udp client unix:$where: its own address is abstract" \
            "$(cat "$NK_TMP/$tag.err")" "peer unix:@"
        nk_stop_server "$SERVER_PID"
    fi
done
check_eq "echo-udp clients leave no socket file" \
    "$(find "$S" -maxdepth 1 -type s | wc -l)" 0

# chat connect against chat serve, both on a socket file.
sock=$S/room.sock
if start_unix room "unix:$sock" "$NK" chat serve --bind "unix:$sock" \
    --no-console; then
    got=$( (printf '/nick dora\nhi there\n/quit\n') |
        timeout 10 "$NK" chat connect "unix:$sock" --port 1 --wait 2)
    check_contains "chat connect unix:: joined" "$got" \
        "you are now known as dora"
    sleep 0.2
    check_contains "chat connect unix:: the room heard it" \
        "$(cat "$NK_TMP/room.out")" "dora: hi there"
    nk_stop_server "$SERVER_PID"
fi

# Clients need no --port for a unix: host.
sock=$S/noport.sock
if nk_have "clients without --port" socat jq; then
    timeout 60 socat "UNIX-LISTEN:$sock,fork" EXEC:cat &
    SOCAT_PID=$!
    NK_PIDS+=("$SOCAT_PID")
    for i in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.05; done
    run_nk echo-tcp client --host "unix:$sock" 'no port'
    check_eq "echo-tcp client unix: without --port" "$OUT" "no port"
    run_nk --json echo-tcp bench --host "unix:$sock" --duration 0.3
    check_eq "echo-tcp bench unix: without --port" "$RC" 0
    nk_stop_server "$SOCAT_PID"
fi
if start_unix noport-udp "unix:@$ABS-np" "$NK" echo-udp serve \
    --bind "unix:@$ABS-np"; then
    run_nk echo-udp client --host "unix:@$ABS-np" np
    check_contains "echo-udp client unix: without --port" "$OUT" "match: yes"
    run_nk --json echo-udp bench --host "unix:@$ABS-np" --duration 0.3
    check_eq "echo-udp bench unix: without --port" "$RC" 0
    nk_stop_server "$SERVER_PID"
fi
if start_unix noport-chat "unix:$S/np-chat.sock" "$NK" chat serve \
    --bind "unix:$S/np-chat.sock" --no-console; then
    got=$(printf '/nick eve\n/quit\n' |
        timeout 10 "$NK" chat connect "unix:$S/np-chat.sock" --wait 2)
    check_contains "chat connect unix: without --port" "$got" \
        "you are now known as eve"
    nk_stop_server "$SERVER_PID"
fi

nk_done

#!/bin/bash
# Download destinations (issue 12): httpget -o and fileshare get never
# write through a planted link, never touch a user's own FILE.part, give
# each run its own temporary, write devices and FIFOs in place, refuse a
# bad -o before any traffic, and clean up on SIGTERM. Also: fileshare
# get's mid-transfer message keeps its reason, put reports a 507 even
# when the server resets, list escapes names, and httpget's 304,
# fragment, --json note and port message.
source "$(dirname "$0")/lib.sh" "$@"
NK=$(cd "$(dirname "$NK")" && pwd)/$(basename "$NK")
HERE=$(cd "$(dirname "$0")" && pwd)
PEERS=$HERE/httpget_peers.py
DPEERS=$HERE/dest_peers.py

nk_have "python3 peers" python3 || { nk_done; exit; }

# wait_for CMD...: until CMD succeeds, 15 s at most (event, not timing).
wait_for() {
    local i
    for i in $(seq 1 300); do
        "$@" && return 0
        sleep 0.05
    done
    return 1
}

W=$NK_TMP/www
mkdir -p "$W"
printf 'hello from netkit\n' >"$W/hello.txt"
head -c $((9 * 1024 * 1024)) /dev/zero | tr '\0' a >"$W/big.txt"

# ---- httpget: planted link, user's FILE.part, devices, bad -o ----------
if nk_start_server www python3 "$PEERS" www "$W"; then
    base="http://$SERVER_ADDR"
    D=$NK_TMP/h1
    mkdir -p "$D"
    echo "victim data" >"$D/victim"
    ln -s "$D/victim" "$D/dl.part"
    run_nk httpget -o "$D/dl" "$base/hello.txt"
    check_eq "httpget: planted dl.part link: exit 0" "$RC" 0
    check_eq "httpget: link target unchanged" "$(cat "$D/victim")" "victim data"
    if [ -L "$D/dl.part" ]; then nk_ok "httpget: planted link left as it was"; else
        nk_not_ok "httpget: planted link left as it was"; fi
    check_eq "httpget: dl complete" "$(cat "$D/dl")" "hello from netkit"

    run_nk httpget -o "$D/nf" "$base/nosuch"
    check_eq "httpget: 404: 69" "$RC" 69
    check_eq "httpget: 404: no file, no temporary" "$(ls -A "$D" | grep -c nf)" 0

    # A copy of /dev/null first: a broken netkit must not replace the
    # machine's own /dev/null (the tests run as root).
    if mknod "$D/null" c 1 3; then
        run_nk httpget -o "$D/null" "$base/hello.txt"
        check_eq "httpget -o DEVICE: exit 0" "$RC" 0
        check_contains "httpget -o DEVICE: saved" "$OUT" "saved: yes"
        if [ -c "$D/null" ]; then
            nk_ok "httpget -o DEVICE: still a character device"
            run_nk httpget -o /dev/null "$base/hello.txt"
            check_eq "httpget -o /dev/null: exit 0" "$RC" 0
            if [ -c /dev/null ]; then nk_ok "/dev/null is still a character device"; else
                nk_not_ok "/dev/null is still a character device" "$(ls -l /dev/null)"; fi
        else
            nk_not_ok "httpget -o DEVICE: still a character device" "$(ls -l "$D/null")"
        fi
    else
        nk_not_ok "mknod a copy of /dev/null (the tests run as root)"
    fi

    # /dev/stdout is a link to /proc/self/fd/1: a private copy first, so
    # a broken netkit cannot replace the machine's own.
    ln -s /proc/self/fd/1 "$D/stdout"
    got=$("$NK" httpget -o "$D/stdout" "$base/hello.txt" 2>/dev/null | head -n 1)
    check_eq "httpget -o STDOUT-LINK | pipe: the body on stdout" "$got" "hello from netkit"
    "$NK" httpget -o "$D/stdout" "$base/hello.txt" >"$NK_TMP/so.txt" 2>/dev/null
    check_eq "httpget -o STDOUT-LINK > file: body first" \
        "$(head -n 1 "$NK_TMP/so.txt")" "hello from netkit"
    check_contains "httpget -o STDOUT-LINK > file: then the facts" \
        "$(cat "$NK_TMP/so.txt")" "saved: yes"
    if [ -L "$D/stdout" ]; then
        nk_ok "httpget -o STDOUT-LINK: still a link"
        got=$("$NK" httpget -o /dev/stdout "$base/hello.txt" 2>/dev/null | head -n 1)
        check_eq "httpget -o /dev/stdout: the body on stdout" "$got" "hello from netkit"
        if [ -L /dev/stdout ]; then nk_ok "/dev/stdout is still a link"; else
            nk_not_ok "/dev/stdout is still a link"; fi
    else
        nk_not_ok "httpget -o STDOUT-LINK: still a link" "$(ls -l "$D/stdout")"
    fi

    mkfifo "$D/fifo"
    (timeout 10 cat "$D/fifo" >"$NK_TMP/fifo.out") &
    CATP=$!
    run_nk httpget -o "$D/fifo" "$base/hello.txt"
    wait "$CATP"
    check_eq "httpget -o FIFO: exit 0" "$RC" 0
    if [ -p "$D/fifo" ]; then nk_ok "httpget: FIFO still a FIFO"; else
        nk_not_ok "httpget: FIFO still a FIFO"; fi
    check_eq "httpget: FIFO reader got the body" "$(cat "$NK_TMP/fifo.out")" \
        "hello from netkit"

    ln -s "$D/victim" "$D/linkdest"
    run_nk httpget -o "$D/linkdest" "$base/hello.txt"
    check_eq "httpget -o LINK-to-file: refused, 65" "$RC" 65
    check_contains "httpget -o LINK: says why" "$ERR" "is a symbolic link"
    if [ -L "$D/linkdest" ] && [ "$(cat "$D/victim")" == "victim data" ]; then
        nk_ok "httpget -o LINK: link and target untouched"
    else nk_not_ok "httpget -o LINK: link and target untouched"; fi

    # item 15: a --json body over 8 MiB is left out with a note.
    run_nk httpget --json "$base/big.txt"
    check_json "httpget --json big body: valid JSON" "$OUT"
    check_eq "httpget --json big body: body null" \
        "$(printf '%s' "$OUT" | jq -r .body)" null
    check_contains "httpget --json big body: note" \
        "$(printf '%s' "$OUT" | jq -r .note)" "8 MiB"
    check_eq "httpget --json big body: counted" \
        "$(printf '%s' "$OUT" | jq -r .body_bytes)" $((9 * 1024 * 1024))
    nk_stop_server "$SERVER_PID"
fi

# ---- -o '' and -o DIR: refused before any request ----------------------
printf 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok' >"$NK_TMP/ok.reply"
if nk_start_server logged python3 "$PEERS" --log "$NK_TMP/req.log" raw "$NK_TMP/ok.reply"; then
    mkdir -p "$NK_TMP/adir"
    run_nk httpget -o '' "http://$SERVER_ADDR/x"
    check_eq "httpget -o '': 64" "$RC" 64
    run_nk httpget -o "$NK_TMP/adir" "http://$SERVER_ADDR/x"
    check_eq "httpget -o DIR: 64" "$RC" 64
    check_contains "httpget -o DIR: says why" "$ERR" "is a directory"
    run_nk httpget -o "$NK_TMP/no/such/dir/f" "http://$SERVER_ADDR/x"
    check_eq "httpget -o in a missing directory: 74" "$RC" 74
    if [ -s "$NK_TMP/req.log" ]; then
        nk_not_ok "bad -o: no request reached the server" "$(head -c 300 "$NK_TMP/req.log")"
    else nk_ok "bad -o: no request reached the server"; fi
    nk_stop_server "$SERVER_PID"
fi

# ---- a user's own FILE.part survives a download to FILE that breaks ------
printf 'HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\npartial' >"$NK_TMP/short.reply"
if nk_start_server short python3 "$PEERS" raw "$NK_TMP/short.reply"; then
    D=$NK_TMP/h2
    mkdir -p "$D"
    echo "my own notes" >"$D/mine.part"
    run_nk httpget -o "$D/mine" "http://$SERVER_ADDR/x"
    check_eq "httpget: broken download: 74" "$RC" 74
    check_eq "httpget: user's mine.part survives a failure" \
        "$(cat "$D/mine.part" 2>/dev/null)" "my own notes"
    check_eq "httpget: nothing else left" "$(ls -A "$D")" "mine.part"
    nk_stop_server "$SERVER_PID"
fi

# ---- 304 and fragments -------------------------------------------------
printf 'HTTP/1.0 304 Not Modified\r\n\r\n' >"$NK_TMP/304.reply"
if nk_start_server r304 python3 "$PEERS" --log "$NK_TMP/frag.log" raw "$NK_TMP/304.reply"; then
    run_nk httpget --json "http://$SERVER_ADDR/x"
    check_eq "304: exit 0" "$RC" 0
    check_eq "304 is not reported as a redirect" \
        "$(printf '%s' "$OUT" | jq -r .note)" "304 not modified: no body"
    run_nk httpget --host 127.0.0.1 --port "$SERVER_PORT" --path '/x#frag'
    run_nk httpget "http://$SERVER_ADDR/y#frag"
    check_eq "fragment never sent (--path and URL)" \
        "$(grep -a '^GET' "$NK_TMP/frag.log" | tr -d '\r' | tail -n 2 | tr '\n' ' ')" \
        "GET /x HTTP/1.0 GET /y HTTP/1.0 "
    nk_stop_server "$SERVER_PID"
fi

# ---- port: leading zeros, a message that names the value ---------------
run_nk httpget --timeout 2 http://127.0.0.1:09/
check_contains "port 09 is port 9 (RFC 3986 port = *DIGIT)" "$ERR" "127.0.0.1:9"
run_nk httpget http://127.0.0.1:99999/
check_eq "port 99999: 65" "$RC" 65
check_contains "port 99999: named as given" "$ERR" "port 99999 is out of range"
run_nk httpget http://127.0.0.1:018002x/
check_contains "port 018002x: not a number" "$ERR" "port is not a number"

# ---- httpget: two runs to one name, SIGTERM mid-transfer ---------------
if nk_start_server slow python3 "$DPEERS" http-slow 1000000; then
    S=$NK_TMP/slow
    mkdir -p "$S"
    "$NK" httpget -o "$S/dl" "http://$SERVER_ADDR/" >/dev/null 2>"$NK_TMP/s1.err" &
    P1=$!
    "$NK" httpget -o "$S/dl" "http://$SERVER_ADDR/" >/dev/null 2>"$NK_TMP/s2.err" &
    P2=$!
    two() { [ "$(ls -A "$S" | grep -c '\.part$')" -ge 2 ] &&
        [ "$(find "$S" -name '*.part' -size +0c | wc -l)" -ge 2 ]; }
    if wait_for two; then nk_ok "two runs to one name: two temporaries"; else
        nk_not_ok "two runs to one name: two temporaries" "$(ls -lA "$S")"; fi
    kill -TERM "$P1" "$P2"
    wait "$P1"
    R1=$?
    wait "$P2"
    check_eq "SIGTERM mid-transfer: exit 143" "$R1" 143
    check_eq "SIGTERM mid-transfer: no temporary left" "$(ls -A "$S" | wc -l)" 0
    check_contains "SIGTERM: said so" "$(cat "$NK_TMP/s1.err")" "interrupted by SIGTERM"
    "$NK" httpget -o "$S/dl" "http://$SERVER_ADDR/" >/dev/null 2>&1 &
    P1=$!
    one() { [ "$(find "$S" -name '*.part' -size +0c | wc -l)" -ge 1 ]; }
    wait_for one || nk_not_ok "SIGHUP: the transfer started" "$(ls -lA "$S")"
    kill -HUP "$P1"
    wait "$P1"
    check_eq "SIGHUP mid-transfer: exit 129" "$?" 129
    check_eq "SIGHUP: no temporary left" "$(ls -A "$S" | wc -l)" 0
    nk_stop_server "$SERVER_PID"
fi

# ---- fileshare get -----------------------------------------------------
R=$NK_TMP/root
mkdir -p "$R"
printf 'hello, file\n' >"$R/small.txt"
printf 'x' >"$R/$(printf 'c1\x9bname')"
printf 'y' >"$R/$(printf 'esc\x1b[31mred')"
if nk_start_server fs "$NK" fileshare serve --root "$R" --port 0 --bind 127.0.0.1; then
    FP=$SERVER_PORT
    F=$NK_TMP/f1
    mkdir -p "$F"
    echo "victim data" >"$F/victim"
    ln -s "$F/victim" "$F/small.txt.part"
    run_nk fileshare get 127.0.0.1 small.txt --port "$FP" -o "$F/small.txt"
    check_eq "fileshare get: planted .part link: exit 0" "$RC" 0
    check_eq "fileshare get: link target unchanged" "$(cat "$F/victim")" "victim data"
    if [ -L "$F/small.txt.part" ]; then nk_ok "fileshare get: planted link left"; else
        nk_not_ok "fileshare get: planted link left"; fi


    mknod "$F/mynull" c 1 3
    run_nk fileshare get 127.0.0.1 small.txt --port "$FP" -o "$F/mynull" --force
    check_eq "fileshare get -o DEVICE --force: exit 0" "$RC" 0
    if [ -c "$F/mynull" ]; then nk_ok "fileshare get: the device is still a device"; else
        nk_not_ok "fileshare get: the device is still a device" "$(ls -l "$F/mynull")"; fi
    if [ -c "$F/mynull" ]; then # never risk the machine's /dev/null
        run_nk fileshare get 127.0.0.1 small.txt --port "$FP" -o /dev/null
        check_eq "fileshare get -o /dev/null: exit 0" "$RC" 0
        if [ -c /dev/null ]; then nk_ok "fileshare: /dev/null still a device"; else
            nk_not_ok "fileshare: /dev/null still a device"; fi
    fi

    before=$(grep -c 'GET' "$NK_TMP/fs.err")
    run_nk fileshare get 127.0.0.1 small.txt --port "$FP" -o ''
    check_eq "fileshare get -o '': 64" "$RC" 64
    check_eq "fileshare get -o '': no request" "$(grep -c 'GET' "$NK_TMP/fs.err")" "$before"

    # list: control and C1 bytes in names are escaped, as all text output.
    run_nk fileshare list 127.0.0.1 --port "$FP"
    if printf '%s' "$OUT" | LC_ALL=C grep -q "$(printf '[\x1b\x9b]')"; then
        nk_not_ok "list: no raw ESC or 0x9B byte" "$(printf '%s' "$OUT" | od -c | head -5)"
    else nk_ok "list: no raw ESC or 0x9B byte"; fi
    check_contains "list: 0x9B escaped" "$OUT" 'name: c1\x9bname'
    check_contains "list: ESC escaped" "$OUT" 'name: esc\x1b[31mred'
    nk_stop_server "$SERVER_PID"
fi

# A mid-transfer failure names its reason; the data is kept for resume
# (as DEST.part), and no hidden temporary is left.
if nk_start_server fscut python3 "$DPEERS" fs-get 200000 5000; then
    G=$NK_TMP/g1
    mkdir -p "$G"
    run_nk fileshare get 127.0.0.1 f --port "$SERVER_PORT" -o "$G/f"
    check_eq "fileshare get cut short: 74" "$RC" 74
    check_contains "cut short: the reason is in the message" "$ERR" \
        "receive: the server closed the connection after 5000 of 200000 bytes"
    check_eq "cut short: DEST.part kept for --continue" \
        "$(stat -c %s "$G/f.part" 2>/dev/null)" 5000
    check_eq "cut short: nothing else" "$(ls -A "$G")" "f.part"
    # f.part now exists: a second broken run keeps its data elsewhere.
    echo "my own notes" >"$G/f.part"
    run_nk fileshare get 127.0.0.1 f --port "$SERVER_PORT" -o "$G/f"
    check_eq "fileshare get: user's f.part survives" \
        "$(cat "$G/f.part" 2>/dev/null)" "my own notes"
    kept=$(printf '%s' "$ERR" | sed -n 's/.*partial data kept in \(.*\) (resume.*/\1/p')
    check_eq "fileshare get: data kept under its own name" \
        "$(stat -c %s "$kept" 2>/dev/null)" 5000
    # --continue adopts the largest candidate (the 5000-byte one).
    run_nk fileshare get 127.0.0.1 f --port "$SERVER_PORT" -o "$G/f" --continue
    check_contains "--continue: resumed from the kept data" "$ERR" \
        "after 10000 of 200000 bytes"
    nk_stop_server "$SERVER_PID"
fi
if nk_start_server fshold python3 "$DPEERS" --hold fs-get 200000 5000; then
    G=$NK_TMP/g2
    mkdir -p "$G"
    "$NK" fileshare get 127.0.0.1 f --port "$SERVER_PORT" -o "$G/f" \
        >/dev/null 2>"$NK_TMP/g2.err" &
    GP=$!
    got5000() { [ "$(find "$G" -name '.f.*.part' -size 5000c | wc -l)" -eq 1 ]; }
    if wait_for got5000; then nk_ok "fileshare get: a hidden unique temporary"; else
        nk_not_ok "fileshare get: a hidden unique temporary" "$(ls -lA "$G")"; fi
    kill -TERM "$GP"
    wait "$GP"
    check_eq "fileshare get SIGTERM: exit 143" "$?" 143
    check_eq "fileshare get SIGTERM: kept as f.part only" "$(ls -A "$G")" "f.part"
    check_contains "fileshare get SIGTERM: says so" "$(cat "$NK_TMP/g2.err")" \
        "interrupted by SIGTERM after 5000 of 200000 bytes"
    nk_stop_server "$SERVER_PID"
fi

# ---- fileshare put: a 507 from a server that resets --------------------
head -c $((4 * 1024 * 1024)) /dev/urandom >"$NK_TMP/up.bin"
if nk_start_server fs507 python3 "$DPEERS" --log "$NK_TMP/507.log" fs-put-507; then
    run_nk fileshare put 127.0.0.1 "$NK_TMP/up.bin" --port "$SERVER_PORT"
    check_eq "put to a full disk: 74" "$RC" 74
    check_contains "put to a full disk: the server's 507" "$ERR" \
        "507 no space left on device"
    case "$ERR" in
    *"reset by peer"*) nk_not_ok "put to a full disk: not a bare reset" "$ERR" ;;
    *) nk_ok "put to a full disk: not a bare reset" ;;
    esac
    nk_stop_server "$SERVER_PID"
fi
# 64 MiB: more than the socket buffers on both sides can take, so a
# client that did not watch for the answer would wait with data unsent.
truncate -s 64M "$NK_TMP/up64.bin"
if nk_start_server fs507h python3 "$DPEERS" --hold fs-put-507; then
    timeout 30 "$NK" fileshare put 127.0.0.1 "$NK_TMP/up64.bin" --port "$SERVER_PORT" \
        --timeout 20 >/dev/null 2>"$NK_TMP/507h.err"
    check_eq "put, server answers 507 and stops reading: 74 at once" "$?" 74
    check_contains "put, server stops reading: the 507" "$(cat "$NK_TMP/507h.err")" \
        "507 no space left on device"
    nk_stop_server "$SERVER_PID"
fi

nk_done

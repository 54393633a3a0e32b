#!/usr/bin/env bash
# The integration harness itself: start a server on an ephemeral loopback
# port, learn the port from its ready line, drive it with a real peer (nc
# or socat), and stop it. The server here is the test echo server built on
# the helper layer; netkit's own servers print the same ready line. Then
# the harness's bookkeeping: a server that never gets ready is a failed
# check, a skip is visible (exit 77) and is a failure under CI.
. "$(dirname "$0")/lib.sh" "$@"

if [ -z "$NK_HELPER_SERVER" ] || [ ! -x "$NK_HELPER_SERVER" ]; then
    nk_not_ok "helper server given" "$NK_HELPER_SERVER"
    nk_done
    exit
fi

peer() { # peer HOST PORT: send stdin, print the reply (closes after EOF)
    timeout 10 socat -t 2 - "TCP:$1:$2"
}

if nk_have "echo through a real peer" socat; then
    for bind in 127.0.0.1 ::1; do
        if ! nk_start_server "echo-$bind" "$NK_HELPER_SERVER" --bind "$bind" --port 0; then
            continue
        fi
        nk_ok "server on $bind ready at $SERVER_ADDR"
        if [ "$SERVER_PORT" -gt 0 ] 2>/dev/null; then nk_ok "ephemeral port $SERVER_PORT"
        else nk_not_ok "ephemeral port" "$SERVER_ADDR"; fi
        host=$bind
        [ "$bind" = ::1 ] && host="[::1]"
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
fi

# A server that never gets ready is reported, and still cleaned up.
if nk_try_start_server never sleep 0.3; then nk_not_ok "not-ready server detected"
else check_contains "not-ready server detected" "$NK_START_WHY" "exited early"; fi

# ... and nk_start_server counts it as a failed check (in a subshell, so
# the counts here stay true).
r=$( (nk_start_server never2 sleep 0.3 >/dev/null; echo "rc=$? fail=$nk_fail") )
check_eq "a server that never gets ready is a failed check" "$r" "rc=1 fail=$((nk_fail + 1))"
r=$( (nk_start_server never3 sleep 0.3) )
check_contains "... named in a not ok line" "$r" "not ok - server never3 ready"

# Skips: printed as TAP skips, exit 77 for ctest; under CI a skip is a
# failure unless it is the kernel's.
summary() { # summary CI-VALUE FUNCTIONS...: nk_done's status after them
    (
        CI=$1
        shift
        nk_pass=0 nk_fail=0 nk_skips=0 nk_skips_kernel=0
        for f in "$@"; do $f; done >/dev/null
        nk_done >/dev/null
        echo $?
    )
}
one_ok() { nk_ok x; }
one_skip() { nk_skip x "why"; }
one_kernel() { nk_skip_kernel x "why"; }
one_fail() { nk_not_ok x; }
check_eq "all passed: 0" "$(summary "" one_ok)" 0
check_eq "a skip: 77" "$(summary "" one_ok one_skip)" 77
check_eq "a skip and a failure: 1" "$(summary "" one_skip one_fail)" 1
check_eq "a skip under CI=true: 1" "$(summary true one_ok one_skip)" 1
check_eq "a kernel skip under CI=true: 77" "$(summary true one_ok one_kernel)" 77
check_eq "a skip under CI=false: 77" "$(summary false one_skip)" 77
check_eq "skip line is TAP's" "$( (nk_skip "a check" "no frob") )" "ok - a check # SKIP no frob"
check_contains "missing tool: named" "$( (nk_have "a check" nk-no-such-tool) )" "# SKIP not installed: nk-no-such-tool"

# A server under a wrapper that detaches when signalled (strace lets its
# tracee run on) is stopped all the same: nothing below the wrapper may be
# left running after nk_stop_server.
if nk_have "wrapped server stopped" strace; then
    if nk_start_server wrapped strace -f -qq -o /dev/null \
        "$NK_HELPER_SERVER" --bind 127.0.0.1 --port 0; then
        wpid=$SERVER_PID
        below=$(nk_descendants "$wpid")
        nk_stop_server "$wpid"
        # alive = exists and is not a zombie waiting for its new parent
        alive() { [ -r "/proc/$1/stat" ] &&
            [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
        for i in $(seq 1 40); do
            left=""
            for p in $below; do alive "$p" && left="$left $p"; done
            [ -z "$left" ] && break
            sleep 0.05
        done
        check_eq "wrapped server: nothing left running" "$left" ""
        for p in $left; do kill -KILL "$p" 2>/dev/null; done
    fi
fi

nk_done

#!/usr/bin/env bash
# --trace and --hexdump (docs/trace.md). The trace must not lie: each
# command runs under strace and netkit's own --trace=json of the same run
# must show the same socket calls, on the same descriptors, with the same
# results and errnos, in the same order per thread (trace_compare.py).
# Then the text forms: the flags before and after the command name, JSON
# Lines that jq parses, the hexdump layout against hexdump -C, the bound.
source "$(dirname "$0")/lib.sh" "$@"
HERE=$(cd "$(dirname "$0")" && pwd)
COMPARE="$HERE/trace_compare.py"
# LeakSanitizer cannot run under ptrace (an -DNK_SANITIZE=ON build): leaks
# are left to the runs without strace, here and in the other tests.
STRACE=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
    strace -f -qq -e trace=network,close,read,write,sendfile)

have_all=1
for tool in strace python3 jq hexdump; do
    if ! command -v "$tool" >/dev/null; then
        nk_skip "trace checks" "$tool not installed (scripts/deps.sh)"
        have_all=0
    fi
done
[ "$have_all" = 1 ] || { nk_done; exit; }

# compare NAME STRACE_FILE TRACE_FILE
compare() {
    local why
    if why=$(python3 "$COMPARE" "$2" "$3" 2>&1); then
        nk_ok "$1: trace agrees with strace ($why)"
    else
        nk_not_ok "$1: trace agrees with strace" "$why"
    fi
}

# traced_client NAME ARGS...: netkit ARGS under strace with --trace=json
# (after the command name, as a user may put it); stdin from $CLIENT_IN.
CLIENT_IN=/dev/null
traced_client() {
    local name=$1
    shift
    timeout 30 "${STRACE[@]}" -o "$NK_TMP/$name.st" \
        "$NK" "$@" --trace=json <"$CLIENT_IN" >"$NK_TMP/$name.out" \
        2>"$NK_TMP/$name.trace"
    CLIENT_RC=$?
    if [ "$CLIENT_RC" -ne 0 ]; then
        nk_not_ok "$name: exits 0 under strace" "status $CLIENT_RC" \
            "$(head -c 1500 "$NK_TMP/$name.trace")"
        return 1
    fi
    compare "$name" "$NK_TMP/$name.st" "$NK_TMP/$name.trace"
}

# traced_server NAME ARGS...: a server under strace, --trace=json first.
traced_server() {
    local name=$1
    shift
    nk_start_server "$name" "${STRACE[@]}" -o "$NK_TMP/$name.st" \
        "$NK" --trace=json "$@"
}

# stop_traced_server NAME: SIGTERM to netkit itself (strace then ends
# with it), then compare its trace.
stop_traced_server() {
    local name=$1 tracer nkpid i
    tracer=$(pgrep -P "$SERVER_PID" | head -n 1)
    nkpid=$(pgrep -P "${tracer:-0}" | head -n 1)
    kill -TERM "${nkpid:-$SERVER_PID}" 2>/dev/null
    for i in $(seq 1 100); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    nk_stop_server "$SERVER_PID"
    compare "$name" "$NK_TMP/$name.st" "$NK_TMP/$name.err"
}

mkdir -p "$NK_TMP/root"
printf 'the file fileshare serves\n' >"$NK_TMP/root/f.txt"

for fam in 4 6; do
    if [ "$fam" = 4 ]; then lo=127.0.0.1; else lo=::1; fi

    if traced_server "echo-tcp-serve-v$fam" echo-tcp serve --port 0 \
        --bind "$lo"; then
        traced_client "echo-tcp-client-v$fam" echo-tcp client --host "$lo" \
            --port "$SERVER_PORT" hello
        stop_traced_server "echo-tcp-serve-v$fam"
    fi

    if traced_server "echo-udp-serve-v$fam" echo-udp serve --port 0 \
        --bind "$lo"; then
        traced_client "echo-udp-client-v$fam" echo-udp client --host "$lo" \
            --port "$SERVER_PORT" hello
        stop_traced_server "echo-udp-serve-v$fam"
    fi

    if traced_server "sntp-serve-v$fam" sntp serve --port 0 --bind "$lo" \
        --assume-synced; then
        traced_client "sntp-client-v$fam" sntp --port "$SERVER_PORT" "$lo"
        stop_traced_server "sntp-serve-v$fam"
    fi

    if traced_server "chat-serve-v$fam" chat serve --port 0 --bind "$lo" \
        --no-console; then
        printf 'hello\n' >"$NK_TMP/chat.in"
        CLIENT_IN="$NK_TMP/chat.in"
        traced_client "chat-connect-v$fam" chat connect "$lo" \
            --port "$SERVER_PORT" --name bob --wait 0.3
        CLIENT_IN=/dev/null
        stop_traced_server "chat-serve-v$fam"
    fi

    if traced_server "fileshare-serve-v$fam" fileshare serve \
        --root "$NK_TMP/root" --port 0 --bind "$lo"; then
        traced_client "fileshare-get-v$fam" fileshare get "$lo" f.txt \
            --port "$SERVER_PORT" -o "$NK_TMP/got-v$fam.txt"
        stop_traced_server "fileshare-serve-v$fam"
    fi

    # httpget against Python's http.server (a real peer), which says
    # where it listens as netkit's servers do.
    if nk_start_server "http-v$fam" python3 -u -c '
import http.server, socket, sys, os
os.chdir(sys.argv[2])
class S(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
h = http.server.SimpleHTTPRequestHandler
h.log_message = lambda *a: None
s = S((sys.argv[1], 0), h)
print("listening on port:%d" % s.server_address[1], file=sys.stderr, flush=True)
s.serve_forever()' "$lo" "$NK_TMP/root"; then
        if [ "$fam" = 4 ]; then url="http://$lo:$SERVER_PORT/f.txt"
        else url="http://[$lo]:$SERVER_PORT/f.txt"; fi
        traced_client "httpget-v$fam" httpget "$url"
        nk_stop_server "$SERVER_PID"
    fi

    traced_client "sockopt-reuse-v$fam" sockopt reuse -"$fam"
done

# A forked server: strace -f follows the children; their trace lines come
# from another process, and the text form says whose.
if traced_server "echo-tcp-fork" echo-tcp serve --model fork --port 0 \
    --bind 127.0.0.1; then
    traced_client "echo-tcp-fork-client" echo-tcp client --host 127.0.0.1 \
        --port "$SERVER_PORT" hello
    sleep 0.3 # the child's last lines, after the client saw its echo
    stop_traced_server "echo-tcp-fork"
fi
if nk_start_server fork-text "$NK" --trace echo-tcp serve --model fork \
    --port 0 --bind 127.0.0.1; then
    "$NK" echo-tcp client --host 127.0.0.1 --port "$SERVER_PORT" hi \
        >/dev/null 2>&1
    for i in $(seq 1 50); do # the child's close comes after the echo
        grep -Eq '^\[1 pid [0-9]+\] close\(' "$NK_TMP/fork-text.err" && break
        sleep 0.1
    done
    nk_stop_server "$SERVER_PID"
    if grep -Eq '^\[1 pid [0-9]+\] send\(' "$NK_TMP/fork-text.err" &&
        grep -Eq '^\[[0-9]+\] accept4\(' "$NK_TMP/fork-text.err"; then
        nk_ok "--trace: a forked child's lines carry its pid"
    else
        nk_not_ok "--trace: a forked child's lines carry its pid" \
            "$(grep -v '^netkit' "$NK_TMP/fork-text.err" | head -20)"
    fi
fi

# The reuse lesson's EADDRINUSE is a call that returned it.
run_nk --trace sockopt reuse -4
check_contains "sockopt reuse: the second bind's EADDRINUSE is in the trace" \
    "$ERR" "= -1 EADDRINUSE (address already in use)"

# --- the text forms

run_nk sockopt reuse -4
case "$ERR" in
*"bind("*) nk_not_ok "off by default: no trace without --trace" "$ERR" ;;
*) nk_ok "off by default: no trace without --trace" ;;
esac

run_nk --trace=json sockopt reuse -4
bad=$(printf '%s\n' "$ERR" | grep '^{' | while IFS= read -r l; do
    printf '%s\n' "$l" | jq -e 'has("call") and has("args") and
        has("result") and has("errno") and has("t_us") and has("thread")' \
        >/dev/null || echo "$l"; done)
n=$(printf '%s\n' "$ERR" | grep -c '^{')
if [ "$n" -gt 5 ] && [ -z "$bad" ]; then
    nk_ok "--trace=json: $n lines, each parses with jq with its members"
else
    nk_not_ok "--trace=json lines parse with jq" "lines: $n" "bad: $bad"
fi

run_nk sockopt reuse -4 --trace
check_contains "--trace after the command name" "$ERR" "listen("
check_eq "--trace after the command name: the command still succeeds" \
    "$RC" 0
run_nk --trace=bogus sockopt reuse
check_eq "--trace=bogus is a usage error" "$RC" 64
run_nk sockopt reuse --hexdump=bogus
check_eq "--hexdump=bogus after the command is a usage error" "$RC" 64

# The SNTP request: 0x1b and 47 zeros, laid out as hexdump -C -v lays out
# the same bytes.
if traced_server "sntp-hex" sntp serve --port 0 --bind 127.0.0.1; then
    run_nk --hexdump sntp --raw --port "$SERVER_PORT" 127.0.0.1
    got=$(printf '%s\n' "$ERR" | sed -n '/^> /,/^< /p' |
        grep '^[0-9a-f]\{8\}  ')
    want=$( (printf '\033'; head -c 47 /dev/zero) | hexdump -C -v | sed '$d')
    check_eq "--hexdump: the SNTP request is hexdump -C of 1b and 47 zeros" \
        "$got" "$want"
    check_contains "--hexdump: the reply is dumped with its peer" "$ERR" \
        "< fd"
    run_nk --trace=json --hexdump sntp --raw --port "$SERVER_PORT" 127.0.0.1
    got=$(printf '%s\n' "$ERR" | grep '^{' |
        jq -r 'select(.data != null and .result == 48) | .data' | head -n 1)
    check_eq "--trace=json --hexdump: the request's bytes as hex in its event" \
        "$got" "1b$(printf '0%.0s' $(seq 1 94))"
    n=$(printf '%s\n' "$ERR" | grep '^{' | jq -r 'select(.data != null) | .call' |
        wc -l)
    check_eq "--trace=json --hexdump: the request and the reply carry data" \
        "$n" 2
    stop_traced_server "sntp-hex"
fi

# The bound: a 10000-byte echo is cut at 4096 bytes a direction, and says
# so; --hexdump=all shows every line.
if nk_start_server echo-bound "$NK" echo-tcp serve --port 0 \
    --bind 127.0.0.1; then
    head -c 10000 /dev/zero | tr '\0' a >"$NK_TMP/big"
    run_nk echo-tcp client --host 127.0.0.1 --port "$SERVER_PORT" \
        --hexdump "$(cat "$NK_TMP/big")"
    lines=$(printf '%s\n' "$ERR" | grep -c '^[0-9a-f]\{8\}  ')
    check_eq "--hexdump: bounded at 4096 bytes each way (256 lines each)" \
        "$lines" 512
    check_contains "--hexdump: the bound is said" "$ERR" "--hexdump=all"
    run_nk echo-tcp client --host 127.0.0.1 --port "$SERVER_PORT" \
        --trace=json --hexdump "$(cat "$NK_TMP/big")"
    bad=$(printf '%s\n' "$ERR" | grep '^{' | jq -c . 2>&1 >/dev/null | head -3)
    len=$(printf '%s\n' "$ERR" | grep '^{' |
        jq -r 'select(.call == "send") | .data' | head -n 1 | tr -d '\n' |
        wc -c)
    check_eq "--trace=json --hexdump: a big send's event is valid JSON" "$bad" ""
    check_eq "--trace=json --hexdump: its data bounded at 4096 bytes" "$len" \
        8192
    run_nk echo-tcp client --host 127.0.0.1 --port "$SERVER_PORT" \
        --hexdump=all "$(cat "$NK_TMP/big")"
    lines=$(printf '%s\n' "$ERR" | grep -c '^[0-9a-f]\{8\}  ')
    check_eq "--hexdump=all: every byte (626 lines each way)" "$lines" 1252
    nk_stop_server "$SERVER_PID"
fi

nk_done

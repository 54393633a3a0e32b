#!/bin/bash
# Diagnostics and usage errors (issue 12): foreign bytes in a message are
# escaped on every path to stderr; durations, address families, negative
# numbers as operands; the echo clients' mismatch reports; sntp serve's
# one kiss-o'-death per rate-limited source and interval.
source "$(dirname "$0")/lib.sh" "$@"

# The hostile input: an SGR sequence, a newline, a raw C1 CSI (0x9b,
# invalid UTF-8) and a UTF-8-encoded one (U+009B).
H=$'\e[31mX\nY\x9b\xc2\x9bZ'
H_ESC='\x1b[31mX\nY\x9b\u009bZ'

# check_stderr_safe NAME LINES: $NK_TMP/err holds exactly LINES lines, and
# no C0 control but the line ends, no DEL, no C1 (raw or UTF-8 encoded),
# nothing that is not valid UTF-8.
check_stderr_safe() {
    check_file_safe "$1" "$NK_TMP/err" "$2"
}

# check_file_safe NAME FILE LINES: the same for any file.
check_file_safe() {
    local why
    why=$(python3 - "$2" "$3" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
bad = [c for c in b if (c < 0x20 and c != 0x0a) or c == 0x7f]
if bad:
    print("control bytes %r" % bytes(bad)); sys.exit()
try:
    t = b.decode("utf-8")
except UnicodeDecodeError as e:
    print("invalid UTF-8: %s" % e); sys.exit()
if any(0x80 <= ord(ch) <= 0x9f for ch in t):
    print("C1 control in %r" % t); sys.exit()
if b.count(b"\n") != int(sys.argv[2]):
    print("%d lines, want %s: %r" % (b.count(b"\n"), sys.argv[2], t))
EOF
)
    if [ -z "$why" ]; then nk_ok "$1"; else nk_not_ok "$1" "$why"; fi
}

# ---- item 14: every diagnostic escapes what the user gave ----

run_nk byteorder "$H"
check_eq "byteorder hostile: exit 65" "$RC" 65
check_stderr_safe "byteorder hostile: one safe line" 1
check_contains "byteorder hostile: named, escaped" "$ERR" "'$H_ESC' is not"

run_nk service "$H"
check_stderr_safe "service hostile: one safe line" 1
check_contains "service hostile: named, escaped" "$ERR" "$H_ESC"

run_nk hostinfo "$H.invalid"
check_stderr_safe "hostinfo hostile: one safe line" 1
check_contains "hostinfo hostile: named, escaped" "$ERR" "$H_ESC"

run_nk sockopt "$H"
check_eq "sockopt hostile mode: exit 64" "$RC" 64
check_stderr_safe "sockopt hostile mode: message + hint" 2
check_contains "sockopt hostile mode: named, escaped" "$ERR" "'$H_ESC'"

run_nk httpget "http://$H.invalid/"
check_stderr_safe "httpget hostile URL: safe" "$(printf '%s\n' "$ERR" | wc -l)"
check_contains "httpget hostile URL: escaped" "$ERR" '\x1b[31mX\nY'

# The lessons' free-form lines quote input on stdout: escaped as well.
run_nk hostinfo --lesson "$H.invalid"
check_file_safe "hostinfo --lesson hostile: stdout safe" "$NK_TMP/out" 4
check_contains "hostinfo --lesson hostile: escaped" "$OUT" "Remote host: $H_ESC.invalid"

run_nk byteorder "--$H"
check_eq "unknown option with ESC: exit 64" "$RC" 64
check_stderr_safe "unknown option with ESC: message + hint" 2
check_contains "unknown option: escaped" "$ERR" "unknown option: --$H_ESC"

run_nk "--$H"
check_eq "unknown global option: exit 64" "$RC" 64
check_stderr_safe "unknown global option: message + hint" 2

run_nk "$H"
check_eq "unknown command with ESC: exit 64" "$RC" 64
check_stderr_safe "unknown command: message + two hints" 3
check_contains "unknown command: escaped" "$ERR" "'$H_ESC' is not a netkit command"

run_nk echo-tcp "$H"
check_eq "unknown subcommand with ESC: exit 64" "$RC" 64
check_stderr_safe "unknown subcommand: message + hint" 2
check_contains "unknown subcommand: escaped" "$ERR" "'$H_ESC'"

run_nk echo-tcp client 127.0.0.1 --port "$H"
check_stderr_safe "bad option value: message + hint" 2
check_contains "bad option value: escaped" "$ERR" "'$H_ESC'"

# run_nk_bounded ARGS...: run_nk under timeout(1), stdin /dev/null: a
# wait that never ends is a failed check, not a hung test.
run_nk_bounded() {
    timeout 10 "$NK" "$@" >"$NK_TMP/out" 2>"$NK_TMP/err" </dev/null
    RC=$?
    OUT=$(cat "$NK_TMP/out")
    ERR=$(cat "$NK_TMP/err")
}

# ---- item 10: the echo clients' mismatch reports ----

# A TCP peer that answers a read with its first four bytes, the last two
# changed in case, then stalls: sends nothing more and keeps the
# connection open, even after the client's half-close.
cat >"$NK_TMP/wrong_tcp.py" <<'PY'
import socket, sys, threading, time
def serve(c):
    try:
        d = c.recv(65536)
        c.sendall(d[:2] + bytes(b ^ 0x20 for b in d[2:4]))
    except OSError:
        pass
    time.sleep(20)  # the stall: nothing more, not even a close
    c.close()
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
print("wrong-tcp listening on 127.0.0.1:%d" % s.getsockname()[1],
      file=sys.stderr, flush=True)
s.settimeout(60)
while True:
    threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
PY
# A UDP peer that echoes every datagram cut to half its size.
cat >"$NK_TMP/half_udp.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print("half-udp listening on 127.0.0.1:%d" % s.getsockname()[1],
      file=sys.stderr, flush=True)
s.settimeout(60)
while True:
    d, a = s.recvfrom(65536)
    s.sendto(d[: len(d) // 2], a)
PY

if nk_start_server wrong-tcp python3 "$NK_TMP/wrong_tcp.py"; then
    WPORT=$SERVER_PORT
    run_nk_bounded echo-tcp client --host 127.0.0.1 --port "$WPORT" --timeout 1 abcdef
    check_eq "echo-tcp: wrong echo then a stall is a mismatch (76)" "$RC" 76
    check_contains "echo-tcp: the offset of the first difference" "$ERR" \
        "echo mismatch at byte 2: sent 0x63 'c', received 0x43 'C', then nothing more came back within 1.000 s"
    run_nk_bounded --json echo-tcp client --host 127.0.0.1 --port "$WPORT" --timeout 1 abcdef
    check_eq "echo-tcp --json: 76" "$RC" 76
    check_eq "echo-tcp --json: match false, first_difference 2" \
        "$(printf '%s' "$OUT" | jq -c '[.match, .first_difference]')" '[false,2]'
    run_nk_bounded echo-tcp client --host 127.0.0.1 --port "$WPORT" --timeout 1 --count 2 --size 16
    check_eq "echo-tcp --count: wrong probe then a stall is a mismatch (76)" "$RC" 76
    check_contains "echo-tcp --count: the probe and its offset" "$ERR" \
        "probe 1: echo mismatch at byte 2, then nothing more came back within 1.000 s"
    nk_stop_server "$SERVER_PID"
fi

if nk_start_server half-udp python3 "$NK_TMP/half_udp.py"; then
    run_nk_bounded echo-udp client --host 127.0.0.1 --port "$SERVER_PORT" --timeout 2 --count 1 --size 100
    check_eq "echo-udp --count: a short reply is a mismatch (76)" "$RC" 76
    check_contains "echo-udp --count: the reply's size is shown" "$OUT" \
        "mismatch from 127.0.0.1:$SERVER_PORT: seq=0 (50 bytes, 100 sent)"
    nk_stop_server "$SERVER_PID"
fi

for c in "--size 65508" "--size 65508 --count 1"; do
    read -ra extra <<<"$c"
    run_nk_bounded echo-udp client --host 127.0.0.1 --port 9 --timeout 1 "${extra[@]}"
    check_eq "echo-udp $c to IPv4: malformed (65)" "$RC" 65
    check_contains "echo-udp $c to IPv4: names the IPv4 limit" "$ERR" \
        "65508 bytes do not fit in one IPv4 datagram (max 65507; 65527 over IPv6)"
done
head -c 65508 /dev/zero >"$NK_TMP/big"
timeout 10 "$NK" echo-udp client --host 127.0.0.1 --port 9 --timeout 1 \
    <"$NK_TMP/big" >/dev/null 2>"$NK_TMP/err"
check_eq "echo-udp stdin of 65508 bytes to IPv4: 65" "$?" 65
check_contains "echo-udp stdin to IPv4: names the IPv4 limit" "$(cat "$NK_TMP/err")" "max 65507"

# ---- item 15: a nonzero duration under 1 ms is refused everywhere ----
durations=(
    "--timeout|httpget --timeout 0.0005 http://127.0.0.1:9/"
    "--timeout|echo-tcp client --host 127.0.0.1 --port 9 --timeout 0.0005 x"
    "--interval|echo-tcp client --host 127.0.0.1 --port 9 --interval 0.0005 x"
    "--timeout|echo-udp client --host 127.0.0.1 --port 9 --timeout 0.0005 x"
    "--idle-timeout|echo-tcp serve --bind 127.0.0.1 --port 0 --idle-timeout 0.0005"
    "--log-interval|echo-udp serve --bind 127.0.0.1 --port 0 --log-interval 0.0005"
    "--wait|chat connect 127.0.0.1 --port 9 --wait 0.0005"
    "--timeout|sockopt show --timeout 0.0005"
    "--timeout|sntp 127.0.0.1 --port 9 --timeout 0.0005"
    "--timeout|fileshare list 127.0.0.1 --port 9 --timeout 0.0005"
)
for d in "${durations[@]}"; do
    opt=${d%%|*}
    read -ra args <<<"${d#*|}"
    run_nk_bounded "${args[@]}"
    check_eq "${args[0]} $opt 0.0005: usage error (64)" "$RC" 64
    check_contains "${args[0]} $opt 0.0005: says why, naming the value" "$ERR" \
        "$opt: '0.0005' seconds is below the 1 ms resolution"
done
run_nk_bounded httpget --timeout 0.000 http://127.0.0.1:9/
case "$RC" in 64|124) nk_not_ok "httpget --timeout 0.000 is 0, no limit" "rc $RC: $ERR" ;;
*) nk_ok "httpget --timeout 0.000 is 0, no limit" ;; esac

# ---- item 15: a numeric address of the other family is an input error ----

families=(
    "IPv6|IPv4|-4|httpget -4 http://[::1]:9/"
    "IPv4|IPv6|-6|httpget -6 http://127.0.0.1:9/"
    "IPv6|IPv4|-4|sockopt listen --bind ::1 -4"
    "IPv6|IPv4|-4|echo-tcp client --host ::1 -4 --port 9 x"
    "IPv4|IPv6|-6|echo-udp client --host 127.0.0.1 -6 --port 9 x"
    "IPv6|IPv4|-4|echo-tcp bench --host ::1 -4 --port 9"
    "IPv6|IPv4|-4|sntp ::1 -4 --port 9"
    "IPv4|IPv6|-6|echo-udp serve --bind 127.0.0.1 -6 --port 0"
    "IPv6|IPv4|-4|sntp serve --bind ::1 -4 --port 0"
    "IPv6|IPv4|-4|hostinfo -4 ::1"
)
for f in "${families[@]}"; do
    IFS='|' read -r is want flag cmd <<<"$f"
    read -ra args <<<"$cmd"
    run_nk_bounded "${args[@]}"
    check_eq "$cmd: wrong family is malformed input (65)" "$RC" 65
    addr=$(printf '%s\n' "${args[@]}" | grep -oE '::1|127\.0\.0\.1' | head -1)
    check_contains "$cmd: says why" "$ERR" "'$addr' is an $is address, but $flag asks for $want"
done
run_nk_bounded echo-tcp client --host localhost.invalid -4 --port 9 x
check_eq "a name with -4 that does not resolve is still unknown host (68)" "$RC" 68

# ---- item 17: sntp serve sends one KoD per source and interval ----

# 200 requests from one source as fast as they go, then every answer
# collected: prints "SECONDS ANSWERED KODS" (SECONDS: how long sending took).
cat >"$NK_TMP/sntp_flood.py" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.connect(("127.0.0.1", port))
req = bytes([0x23]) + bytes(39) + (12345).to_bytes(8, "big")
t0 = time.monotonic()
for i in range(200):
    s.send(req)
sent_s = time.monotonic() - t0
answered = kods = 0
s.settimeout(1.5)
end = time.monotonic() + 10
while time.monotonic() < end:
    try:
        r = s.recv(512)
    except socket.timeout:
        break
    if len(r) >= 48 and r[1] == 0 and r[12:16] == b"RATE":
        kods += 1
    else:
        answered += 1
print("%.3f %d %d" % (sent_s, answered, kods))
PY
if nk_start_server kod "$NK" sntp serve --port 0 --bind 127.0.0.1 --rate-limit 3 --assume-synced --json; then
    read -r secs answered kods <<<"$(timeout 20 python3 "$NK_TMP/sntp_flood.py" "$SERVER_PORT")"
    # Windows touched while sending: at most ceil(secs) + 1.
    windows=$(python3 -c "import math,sys; print(math.ceil(float(sys.argv[1])) + 1)" "${secs:-0}")
    if [ -z "$kods" ]; then
        nk_not_ok "sntp flood ran" "no result"
    else
        check_eq "sntp --rate-limit 3: some answers came" "$([ "$answered" -ge 3 ] && echo yes)" yes
        check_eq "sntp --rate-limit 3: at most 3 answers per window ($answered in $windows)" \
            "$([ "$answered" -le $((3 * windows)) ] && echo yes)" yes
        check_eq "sntp --rate-limit 3: a KoD came" "$([ "$kods" -ge 1 ] && echo yes)" yes
        check_eq "sntp --rate-limit 3: at most one KoD per window ($kods in $windows)" \
            "$([ "$kods" -le "$windows" ] && echo yes)" yes
    fi
    nk_stop_server "$SERVER_PID"
    check_eq "sntp serve: clean stop" "$STOP_STATUS" 0
    SUM=$(cat "$NK_TMP/kod.out")
    check_eq "sntp serve: the rest counted as dropped_rate" \
        "$(printf '%s' "$SUM" | jq '.dropped_rate > 0 and .dropped_rate + .kod_rate + .answered == 200')" true
fi

# ---- item 16: a negative number is an operand; 16-bit keys kept ----

for c in byteorder service ipconv; do
    run_nk $c -1
    check_eq "$c -1: malformed (65), not an option" "$RC" 65
    check_contains "$c -1: the value is named" "$ERR" "'-1'"
    case "$ERR" in *"unknown option"*) nk_not_ok "$c -1: not an unknown option" "$ERR" ;;
    *) nk_ok "$c -1: not an unknown option" ;; esac
done
run_nk byteorder -7 --bits 16 7
check_eq "byteorder -7 --bits 16 7: one bad of two" "$RC" 1
check_contains "byteorder: --bits after a negative operand applies" "$OUT" "value_hex: 0x0007"
run_nk byteorder -z
check_eq "byteorder -z: still an unknown option" "$RC" 64

run_nk byteorder --json 1234 70000
check_eq "byteorder 1234 70000: exit 0" "$RC" 0
check_eq "byteorder 70000: the same keys as 1234 (note aside)" \
    "$(printf '%s' "$OUT" | jq -c '[(.values[0] | keys_unsorted), (.values[1] | del(.note) | keys_unsorted)] | .[0] == .[1]')" true
check_eq "byteorder 70000: 16-bit keys are null" \
    "$(printf '%s' "$OUT" | jq -c '[.values[1] | .memory16, .htons, .htons_hex, .ntohs, .ntohs_hex, .network16] | unique')" '[null]'

nk_done

#!/usr/bin/env bash
# netkit ping through the real binary, inside network namespaces this
# script creates (loopback only, nothing leaves the machine): replies from
# 127.0.0.1 and ::1 with a raw socket (root) and a datagram socket
# (nobody, ping_group_range including it), the clear 77 when the range
# excludes it, loss made by an nftables rule compared with iputils ping in
# the same namespace, rtt compared with iputils, --tcp and --udp against an
# open, a closed and a silent port, a fake responder (tests/cli/ping_peers.py) for
# duplicates, late replies, foreign replies, corrupted data and ICMP
# errors, unknown host, usage, --json, --json-lines, --lesson, Ctrl-C.
. "$(dirname "$0")/lib.sh" "$@"

PEERS="$(dirname "$0")/ping_peers.py"
NSS=()
ping_cleanup() {
    local ns
    nk_cleanup
    for ns in "${NSS[@]}"; do ip netns del "$ns" 2>/dev/null; done
}
trap ping_cleanup EXIT

# new_ns NAME: a namespace with lo up, remembered for the cleanup.
new_ns() {
    ip netns add "$1" || return 1
    NSS+=("$1")
    ip netns exec "$1" ip link set lo up
}

# in_ns NS CMD...: run as root in NS; as_nobody NS CMD...: as nobody.
in_ns() {
    local ns=$1
    shift
    timeout 60 ip netns exec "$ns" "$@"
}
as_nobody() {
    local ns=$1
    shift
    timeout 60 ip netns exec "$ns" setpriv --reuid=nobody --regid=nogroup \
        --clear-groups "$@"
}

# run_in NS ARGS...: netkit ping in NS as root; OUT, ERR, RC.
run_in() {
    local ns=$1
    shift
    in_ns "$ns" "$BIN" ping "$@" >"$NK_TMP/out" 2>"$NK_TMP/err"
    RC=$?
    OUT=$(cat "$NK_TMP/out")
    ERR=$(cat "$NK_TMP/err")
}
run_nobody() {
    local ns=$1
    shift
    as_nobody "$ns" "$BIN" ping "$@" >"$NK_TMP/out" 2>"$NK_TMP/err"
    RC=$?
    OUT=$(cat "$NK_TMP/out")
    ERR=$(cat "$NK_TMP/err")
}

# loss_of TEXT: the "N% packet loss" figure of an iputils-style summary.
loss_of() { printf '%s\n' "$1" | sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p'; }
# avg_of TEXT: the avg of "rtt min/avg/max/mdev = a/b/c/d ms".
avg_of() { printf '%s\n' "$1" | awk -F'[/ =]+' '/^rtt /{print $7}'; }
# within X LO HI: LO <= X <= HI (decimals).
within() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN{exit !(x != "" && x+0 >= lo && x+0 <= hi)}'; }
lines_with() { printf '%s\n' "$1" | grep -c -- "$2"; }

# --- without namespaces: usage and an unknown host

run_nk ping
check_eq "no HOST: usage (64)" "$RC" 64
run_nk ping --count 0 127.0.0.1
check_eq "--count 0: usage (64)" "$RC" 64
run_nk ping --size 8 127.0.0.1
check_eq "--size below the stamp: usage (64)" "$RC" 64
run_nk ping --json --json-lines 127.0.0.1
check_eq "--json with --json-lines: usage (64)" "$RC" 64
run_nk ping --count 1 nosuch.invalid
check_eq "unknown host: 68" "$RC" 68
check_contains "unknown host named" "$ERR" "nosuch.invalid"
check_eq "unknown host: nothing sent, nothing printed" "$OUT" ""

if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
    nk_skip "namespace checks" "need root and ip(8) to create network namespaces"
    nk_done
    exit $?
fi
nk_have "iputils and nft" ping nft setpriv python3 jq || { nk_done; exit $?; }

# The build directory may not be traversable by nobody: a copy it can run.
BINDIR=$(mktemp -d "$NK_TMP/bin.XXXXXX")
chmod 755 "$NK_TMP" "$BINDIR"
cp "$NK" "$BINDIR/netkit"
chmod 755 "$BINDIR/netkit"
BIN=$BINDIR/netkit

NS=nkping$$
if ! new_ns "$NS"; then
    nk_not_ok "namespace $NS created"
    nk_done
    exit $?
fi

# --- raw socket as root: replies, the summary, JSON

run_in "$NS" --count 3 --interval 0.05 127.0.0.1
check_eq "root, 127.0.0.1: exit 0" "$RC" 0
check_eq "root, 127.0.0.1: three reply lines" \
    "$(lines_with "$OUT" '^64 bytes from 127.0.0.1: icmp_seq=[123] ttl=64 time=[0-9]*\.[0-9][0-9][0-9] ms$')" 3
check_contains "root, 127.0.0.1: summary" "$OUT" \
    "3 packets transmitted, 3 received, 0% packet loss"
check_contains "root, 127.0.0.1: rtt line" "$OUT" "rtt min/avg/max/mdev = "
check_contains "first line as iputils" "$OUT" "PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data."

run_in "$NS" --count 2 --interval 0.05 ::1
check_eq "root, ::1: exit 0" "$RC" 0
check_eq "root, ::1: two reply lines with the hop limit" \
    "$(lines_with "$OUT" '^64 bytes from ::1: icmp_seq=[12] ttl=64 time=')" 2

run_in "$NS" --json --count 2 --interval 0.05 --size 100 127.0.0.1
check_eq "--json: exit 0" "$RC" 0
check_json "--json: one document" "$OUT"
check_eq "--json: keys" "$(printf '%s' "$OUT" | jq -c '[.mode, .transmitted, .received, .loss_pct, (.replies|length), .replies[0].type, .replies[0].bytes, .replies[1].seq, (.rtt_ms.min <= .rtt_ms.max)]')" \
    '["icmp-raw",2,2,0,2,"reply",108,2,true]'

run_in "$NS" --json-lines --count 2 --interval 0.05 ::1
check_eq "--json-lines: exit 0" "$RC" 0
check_eq "--json-lines: a line per reply, then the summary" \
    "$(printf '%s\n' "$OUT" | jq -c -r '.type' | tr '\n' ' ')" "reply reply summary "

run_in "$NS" --lesson --count 2 --interval 0.05 127.0.0.1
check_eq "--lesson: exit 0" "$RC" 0
check_eq "--lesson: the Windows lines" \
    "$(printf '%s\n' "$OUT" | sed 's/time<1ms/time=T/; s/time=[0-9]*ms/time=T/')" \
    "Pinging 127.0.0.1 with 32 bytes of data:
Reply from 127.0.0.1: bytes=32 time=T TTL=64
Reply from 127.0.0.1: bytes=32 time=T TTL=64

Ping statistics for 127.0.0.1:
    Packets: Sent = 2, Received = 2, Lost = 0 (0% loss),
Approximate round trip times in milli-seconds:
    Minimum = 0ms, Maximum = 0ms, Average = 0ms"

start=$(date +%s%N)
run_in "$NS" --deadline 0.5 --interval 0.1 --json 127.0.0.1
took=$((($(date +%s%N) - start) / 1000000))
check_eq "--deadline without --count: exit 0" "$RC" 0
check_eq "--deadline: stops sending at the deadline" \
    "$(printf '%s' "$OUT" | jq -c '[(.transmitted >= 4 and .transmitted <= 6), .received == .transmitted, .elapsed_ms < 1000]')" \
    '[true,true,true]'
if [ "$took" -lt 5000 ]; then nk_ok "--deadline 0.5 ends the run (${took} ms)"; else
    nk_not_ok "--deadline 0.5 ends the run" "took $took ms"; fi

# --- without root: the datagram socket, and the clear refusal

in_ns "$NS" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
run_nobody "$NS" --json --count 2 --interval 0.05 127.0.0.1
check_eq "nobody, range includes it, 127.0.0.1: exit 0" "$RC" 0
check_eq "nobody: a datagram socket, replies with their TTL" \
    "$(printf '%s' "$OUT" | jq -c '[.mode, .received, .replies[0].ttl]')" '["icmp-datagram",2,64]'
run_nobody "$NS" --count 2 --interval 0.05 ::1
check_eq "nobody, ::1: exit 0" "$RC" 0
check_eq "nobody, ::1: hop limit from IPV6_RECVHOPLIMIT" \
    "$(lines_with "$OUT" '^64 bytes from ::1: icmp_seq=[12] ttl=64 time=')" 2

in_ns "$NS" sysctl -qw net.ipv4.ping_group_range="0 100"
run_nobody "$NS" --count 1 127.0.0.1
check_eq "nobody, range excludes it: 77" "$RC" 77
check_contains "77 says which sysctl" "$ERR" 'net.ipv4.ping_group_range, which is "0 100"'
check_contains "77 names the group" "$ERR" "gid 65534"
check_contains "77 says what would allow it" "$ERR" \
    'sysctl -w net.ipv4.ping_group_range="0 65534"'
check_eq "77: nothing on stdout" "$OUT" ""
in_ns "$NS" sysctl -qw net.ipv4.ping_group_range="0 2147483647"

# --- two raw sockets at once: each sees the other's replies too, and
# counts only its own (and iputils beside them)

pids=()
for i in 1 2; do
    in_ns "$NS" "$BIN" ping --json --count 30 --interval 0.01 127.0.0.1 >"$NK_TMP/two$i.out" 2>&1 &
    pids+=($!)
done
in_ns "$NS" ping -n -q -c 30 -i 0.01 127.0.0.1 >/dev/null 2>&1 &
pids+=($!)
wait "${pids[@]}"
for i in 1 2; do
    check_eq "concurrent ping $i: only its own replies" \
        "$(jq -c '[.mode, .received, .duplicates, (.replies|length)]' "$NK_TMP/two$i.out" 2>&1)" \
        '["icmp-raw",30,0,30]'
done

# --- rtt against iputils in the same namespace, no loss

run_in "$NS" --count 20 --interval 0.01 -q 127.0.0.1
nk_avg=$(avg_of "$OUT")
peer=$(in_ns "$NS" ping -n -q -c 20 -i 0.01 127.0.0.1 2>&1)
ip_avg=$(avg_of "$peer")
if within "$nk_avg" 0 "$(awk -v a="$ip_avg" 'BEGIN{print a + 2}')" &&
    within "$ip_avg" 0 "$(awk -v a="$nk_avg" 'BEGIN{print a + 2}')"; then
    nk_ok "rtt avg within 2 ms of iputils' (netkit $nk_avg, iputils $ip_avg)"
else
    nk_not_ok "rtt avg within 2 ms of iputils'" "netkit: $OUT" "iputils: $peer"
fi
check_contains "-q: no reply lines, the summary" "$(lines_with "$OUT" 'bytes from') $OUT" \
    "0 PING"

# --- loss from an nftables rule, compared with iputils

LOSS=nkpingl$$
new_ns "$LOSS"
in_ns "$LOSS" nft -f - <<'EOF'
table inet nkping {
    chain out {
        type filter hook output priority 0;
        icmp type echo-request numgen random mod 100 < 30 drop
        icmpv6 type echo-request numgen random mod 100 < 30 drop
    }
}
EOF
for target in 127.0.0.1 ::1; do
    run_in "$LOSS" --count 200 --interval 0.01 --timeout 0.5 -q "$target"
    nk_loss=$(loss_of "$OUT")
    nk_rc=$RC
    peer=$(in_ns "$LOSS" ping -n -q -c 200 -i 0.01 -W 0.5 "$target" 2>&1)
    ip_loss=$(loss_of "$peer")
    if within "$nk_loss" 18 42; then
        nk_ok "$target: 30% dropped, netkit says ${nk_loss}% (18-42)"
    else
        nk_not_ok "$target: 30% dropped, netkit's loss within 18-42" "$OUT"
    fi
    if within "$ip_loss" 18 42 &&
        within "$(awk -v a="$nk_loss" -v b="$ip_loss" 'BEGIN{d=a-b; print d<0?-d:d}')" 0 20; then
        nk_ok "$target: iputils in the same namespace agrees (${ip_loss}%)"
    else
        nk_not_ok "$target: iputils in the same namespace agrees" "netkit: $nk_loss" "iputils: $peer"
    fi
    check_eq "$target: some lost, some answered: exit 1" "$nk_rc" 1
done

# --- TCP connect ping: open, closed, silent

if nk_start_server listen ip netns exec "$NS" python3 "$PEERS" listen; then
    run_in "$NS" --tcp "$SERVER_PORT" --count 2 --interval 0.05 127.0.0.1
    check_eq "--tcp to a listening port: exit 0" "$RC" 0
    check_eq "--tcp open: two lines" \
        "$(lines_with "$OUT" "^connected to 127.0.0.1 port $SERVER_PORT: seq=[12] time=.* ms (port open)$")" 2
    check_contains "--tcp open: summary" "$OUT" "port $SERVER_PORT: 2 open, 0 closed"
    nk_stop_server "$SERVER_PID"
fi
run_in "$NS" --tcp 9 --count 2 --interval 0.05 --json 127.0.0.1
check_eq "--tcp to a closed port: the host answered, exit 0" "$RC" 0
check_eq "--tcp closed: reported as closed, not lost" \
    "$(printf '%s' "$OUT" | jq -c '[.replies[].type, .received, .closed, .loss_pct]')" '["closed","closed",2,2,0]'
run_in "$NS" --tcp 9 --count 1 ::1
check_contains "--tcp closed, text" "$OUT" "reset from ::1 port 9: seq=1 time="
check_contains "--tcp closed, text says host up" "$OUT" "(port closed, host up)"
in_ns "$NS" nft -f - <<'EOF'
table inet nkpingtcp {
    chain out {
        type filter hook output priority 0;
        tcp dport 9 drop
    }
}
EOF
run_in "$NS" --tcp 9 --count 1 --timeout 0.3 127.0.0.1
check_eq "--tcp to a silent port: none answered, 75" "$RC" 75
check_contains "--tcp silent: a timeout line" "$OUT" "no reply for seq=1 within 0.300 s"
in_ns "$NS" nft delete table inet nkpingtcp

# --- UDP ping: an echo service, a closed port, a silent one

if nk_start_server echo-udp ip netns exec "$NS" "$BIN" echo-udp serve --bind 127.0.0.1 --port 0 --quiet; then
    run_in "$NS" --udp "$SERVER_PORT" --count 2 --interval 0.05 --json 127.0.0.1
    check_eq "--udp to an echo service: exit 0" "$RC" 0
    check_eq "--udp open: a datagram back" \
        "$(printf '%s' "$OUT" | jq -c '[.mode, .replies[].type, .open, .closed]')" '["udp","open","open",2,0]'
    nk_stop_server "$SERVER_PID"
fi
run_in "$NS" --udp 9 --count 2 --interval 0.05 127.0.0.1
check_eq "--udp to a closed port: the host answered, exit 0" "$RC" 0
check_eq "--udp closed: ICMP port unreachable, as closed" \
    "$(lines_with "$OUT" '^port unreachable from 127.0.0.1 port 9: seq=[12] time=.* ms (port closed, host up)$')" 2
in_ns "$NS" nft -f - <<'EOF'
table inet nkpingudp {
    chain in {
        type filter hook input priority 0;
        udp dport 9 drop
    }
}
EOF
run_in "$NS" --udp 9 --count 1 --timeout 0.3 ::1
check_eq "--udp to a silent port: none answered, 75" "$RC" 75
check_contains "--udp silent: a timeout line" "$OUT" "no reply for seq=1 within 0.300 s"
in_ns "$NS" nft delete table inet nkpingudp

# --- a fake responder: duplicates, late, foreign, corrupted, errors

FAKE=nkpingf$$
new_ns "$FAKE"
in_ns "$FAKE" sysctl -qw net.ipv4.icmp_echo_ignore_all=1
in_ns "$FAKE" sysctl -qw net.ipv6.icmp.echo_ignore_all=1
in_ns "$FAKE" sysctl -qw net.ipv4.ping_group_range="0 2147483647"

# fake MODE FAMILY: start the responder (SERVER_PID).
fake() { nk_start_server "fake-$1-$2" ip netns exec "$FAKE" python3 "$PEERS" responder "$1" "$2"; }

if fake dup 4; then
    run_in "$FAKE" --count 3 --interval 0.1 127.0.0.1
    check_eq "duplicates: every probe answered, exit 0" "$RC" 0
    # Once the last probe is answered ping ends, as iputils does: the
    # last one's copy may come too late to be seen.
    dups=$(lines_with "$OUT" 'icmp_seq=[123] ttl=64 time=.* ms (DUP!)$')
    if within "$dups" 2 3; then nk_ok "duplicates: marked (DUP!)"; else
        nk_not_ok "duplicates: marked (DUP!), 2 or 3" "$OUT"; fi
    check_contains "duplicates: counted apart" "$OUT" \
        "3 packets transmitted, 3 received, +$dups duplicates, 0% packet loss"
    run_nobody "$FAKE" --count 3 --interval 0.1 --json 127.0.0.1
    check_eq "duplicates, datagram socket" \
        "$(printf '%s' "$OUT" | jq -c '[.mode, .received, .duplicates >= 2, ([.replies[] | select(.type == "duplicate")] | length) == .duplicates]')" \
        '["icmp-datagram",3,true,true]'
    nk_stop_server "$SERVER_PID"
fi
if fake dup 6; then
    run_in "$FAKE" --count 2 --interval 0.1 --json ::1
    check_eq "duplicates, ICMPv6" \
        "$(printf '%s' "$OUT" | jq -c '[.received, .duplicates >= 1, .replies[1].type]')" '[2,true,"duplicate"]'
    nk_stop_server "$SERVER_PID"
fi
if fake late 4; then
    run_in "$FAKE" --count 2 --interval 1 --timeout 0.3 127.0.0.1
    check_eq "late replies: none in time, exit 75" "$RC" 75
    check_contains "late: the timeout line" "$OUT" "no reply for icmp_seq=1 within 0.300 s"
    check_eq "late: the late reply, with its true time" \
        "$(lines_with "$OUT" '^64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=[89][0-9][0-9]\.[0-9]* ms (late: after the timeout)$')" 1
    check_contains "late: counted as late, not received" "$OUT" \
        "2 packets transmitted, 0 received, +1 late, 100% packet loss"
    nk_stop_server "$SERVER_PID"
fi
if fake foreign 4; then
    run_in "$FAKE" --count 3 --interval 0.1 --json 127.0.0.1
    check_eq "foreign replies ignored (raw socket)" \
        "$(printf '%s' "$OUT" | jq -c '[.received, .duplicates, .corrupted, (.replies|length)]')" '[3,0,0,3]'
    run_nobody "$FAKE" --count 2 --interval 0.1 --json 127.0.0.1
    check_eq "foreign replies ignored (datagram socket)" \
        "$(printf '%s' "$OUT" | jq -c '[.received, .duplicates, (.replies|length)]')" '[2,0,2]'
    nk_stop_server "$SERVER_PID"
fi
if fake ttl7 4; then
    run_in "$FAKE" --count 1 --timeout 0.3 127.0.0.1
    check_eq "--ttl: a request with the default TTL is not 7 (75)" "$RC" 75
    run_in "$FAKE" --count 2 --interval 0.05 --ttl 7 127.0.0.1
    check_eq "--ttl 7 sets the requests' TTL (raw)" "$RC" 0
    run_nobody "$FAKE" --count 2 --interval 0.05 --ttl 7 127.0.0.1
    check_eq "--ttl 7 sets the requests' TTL (datagram)" "$RC" 0
    nk_stop_server "$SERVER_PID"
fi
if fake corrupt 4; then
    run_in "$FAKE" --count 1 --timeout 0.3 127.0.0.1
    check_contains "corrupted data reported" "$OUT" "64 bytes from 127.0.0.1: icmp_seq=1 (corrupted data)"
    check_eq "corrupted: not a reply, exit 75" "$RC" 75
    nk_stop_server "$SERVER_PID"
fi
if fake ttl 4; then
    run_in "$FAKE" --count 1 --timeout 0.5 127.0.0.1
    check_contains "ICMP error with the address that sent it (raw)" "$OUT" \
        "From 127.0.0.2 icmp_seq=1 time to live exceeded"
    check_contains "ICMP error counted" "$OUT" "1 packets transmitted, 0 received, +1 errors, 100% packet loss"
    check_eq "ICMP error: exit 75" "$RC" 75
    run_nobody "$FAKE" --count 1 --timeout 0.5 127.0.0.1
    check_contains "ICMP error through the error queue (datagram)" "$OUT" \
        "From 127.0.0.2 icmp_seq=1 time to live exceeded"
    nk_stop_server "$SERVER_PID"
fi

# --- Ctrl-C prints the summary

for fmt in text json; do
    opt=""
    [ "$fmt" = json ] && opt=--json
    in_ns "$NS" "$BIN" ping $opt --interval 0.05 127.0.0.1 >"$NK_TMP/int.out" 2>"$NK_TMP/int.err" &
    pid=$!
    # Wait (5 s at most) for three replies, then interrupt.
    for i in $(seq 1 100); do
        [ "$(grep -c -e 'bytes from' -e '"type": "reply"' "$NK_TMP/int.out")" -ge 3 ] && break
        sleep 0.05
    done
    kill -INT "$(pgrep -P "$pid" | head -n 1)" 2>/dev/null
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid"
    rc=$?
    if [ "$rc" = 0 ] || [ "$rc" = 1 ]; then nk_ok "Ctrl-C ($fmt): exit $rc"; else
        nk_not_ok "Ctrl-C ($fmt): exit 0 or 1" "got $rc" "$(cat "$NK_TMP/int.err")"; fi
    if [ "$fmt" = text ]; then
        check_contains "Ctrl-C: the summary" "$(cat "$NK_TMP/int.out")" "--- 127.0.0.1 ping statistics ---"
    else
        check_json "Ctrl-C: the JSON document is complete" "$(cat "$NK_TMP/int.out")"
        got=$(jq '.received >= 3 and (.loss_pct != null)' "$NK_TMP/int.out")
        check_eq "Ctrl-C: the JSON summary counts the replies" "$got" true
    fi
done

nk_done

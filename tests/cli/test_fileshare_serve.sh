#!/usr/bin/env bash
# netkit fileshare serve, hardened (issue 12): every request logged with
# the client's address, refusals included; a trailing '/' on a file is
# refused; uploads in progress are invisible and cannot be squatted; a full
# disk's 507 reaches the client; out of file descriptors the server sheds
# clients with 503 instead of spinning; a transfer holds no directory fds;
# idle connections are closed and evicted; LIST memory is bounded.
. "$(dirname "$0")/lib.sh" "$@"
NK=$(cd "$(dirname "$NK")" && pwd)/$(basename "$NK")
PEERS="python3 $(cd "$(dirname "$0")" && pwd)/fileshare_serve_peers.py"

MNTS=()
HOLDERS=()
fs_cleanup() {
    local p m
    for p in "${HOLDERS[@]}"; do kill "$p" 2>/dev/null; done
    nk_cleanup_servers
    for m in "${MNTS[@]}"; do umount "$m" 2>/dev/null; done
    rm -rf "$NK_TMP"
}
nk_cleanup_servers() {
    local pid
    for pid in "${NK_PIDS[@]}"; do nk_stop_server "$pid" >/dev/null 2>&1; done
}
trap fs_cleanup EXIT

# holder NAME PORT N REQUEST READ SECONDS: python peers in the background;
# waits (10 s at most) until every connection is up.
holder() {
    local name=$1 i
    $PEERS hold "$2" "$3" "$4" "$5" "$6" "$NK_TMP/$name.hold" \
        >"$NK_TMP/$name.hold.out" 2>&1 &
    HOLDER_PID=$!
    HOLDERS+=("$HOLDER_PID")
    for i in $(seq 1 100); do
        grep -q '^connected' "$NK_TMP/$name.hold" 2>/dev/null && return 0
        sleep 0.1
    done
    nk_not_ok "$name: holder never connected" "$(cat "$NK_TMP/$name.hold.out")"
    return 1
}
unhold() {
    kill "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

# server_pid: the netkit process under timeout(1) (and bash, which execs).
server_pid() { pgrep -P "$SERVER_PID" | head -n 1; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
rss_kb() { awk '/^VmRSS:/{print $2}' "/proc/$1/status"; }

# wait_for SECONDS COMMAND...: until COMMAND succeeds (polled every 0.1 s).
wait_for() {
    local n=$(($1 * 10)) i
    shift
    for i in $(seq 1 "$n"); do "$@" && return 0; sleep 0.1; done
    return 1
}

R=$NK_TMP/root
mkdir -p "$R/sub" "$NK_TMP/outside"
printf 'hello, file\n' >"$R/hello.txt"
ln -s hello.txt "$R/flink"
# Slow readers fetch 64 MiB (sparse): more than the socket buffers hold,
# so their transfers stay under way until the test lets them go.
truncate -s 64M "$R/big.bin"
deep=$R
for i in $(seq 1 20); do deep=$deep/d$i; done
mkdir -p "$deep"
truncate -s 64M "$deep/big.bin"
DEEP_REL=${deep#"$R"/}/big.bin

# --- every request is logged, refusals included (item 8) ----------------
nk_start_server log "$NK" fileshare serve --root "$R" --port 0 \
    --bind 127.0.0.1 || nk_not_ok "log: server started"
P=$SERVER_PORT
LOG=$NK_TMP/log.err
for req in 'GET ../outside/x\n' 'GET nope.txt\n' 'GET sub\n' \
    'GET hello.txt 999\n' 'LIST hello.txt\n' 'GET a%1Bb%9B\n' \
    'GET hello.txt\n' 'FETCH x\n'; do
    $PEERS ask "$P" "$req" >/dev/null
done
wait_for 5 grep -q 'FETCH\|501' "$LOG"
log=$(cat "$LOG")
check_contains "log 403 with the address" "$log" \
    "127.0.0.1:"
for want in "GET ../outside/x: 403 '..' refused" "GET nope.txt: 404 not found" \
    "GET sub: 409 is a directory" "GET hello.txt: 416 offset beyond" \
    "LIST hello.txt: 409 not a directory" "GET hello.txt: 200 ok, 12 bytes" \
    "501 unknown verb"; do
    check_contains "log: $want" "$log" "$want"
done
if grep -q "^netkit fileshare: 127\.0\.0\.1:[0-9]* GET nope.txt: 404" "$LOG"
then nk_ok "log line shape: address, verb, path, status"
else nk_not_ok "log line shape" "$log"; fi
if LC_ALL=C grep -q "$(printf '[\033\233]')" "$LOG"; then
    nk_not_ok "log: no raw ESC or CSI byte" "$(od -c "$LOG" | head)"
else nk_ok "log: no raw ESC or CSI byte"; fi
check_contains "log: control bytes shown encoded" "$log" "a%1Bb%9B: 400"

# --- a trailing '/' on a file (item 9) ----------------------------------
check_contains "GET file/: 404 not a directory" \
    "$($PEERS ask "$P" 'GET hello.txt/\n')" "404 not a directory"
check_contains "GET link-to-file/: 404" \
    "$($PEERS ask "$P" 'GET flink/\n')" "404 not a directory"
check_contains "GET link to a file still served" \
    "$($PEERS ask "$P" 'GET flink\n')" "200 ok"
check_contains "LIST dir/ still lists" "$($PEERS ask "$P" 'LIST sub/\n')" \
    "200 ok"

# --- a transfer holds no directory fds (item 5) ---------------------------
SP=$(server_pid)
base_fds=$(fd_count "$SP")
holder deep "$P" 10 "GET $DEEP_REL\\n" 0 60
DH=$HOLDER_PID
socks() { [ "$(ls -l "/proc/$SP/fd" | grep -c socket)" -ge 11 ]; }
wait_for 10 socks || nk_not_ok "deep: 10 transfers under way"
sleep 1
fds=$(fd_count "$SP")
if [ "$fds" -le $((base_fds + 10 * 2 + 4)) ]; then
    nk_ok "10 transfers 20 levels deep: $fds fds (2 per transfer)"
else
    nk_not_ok "10 transfers 20 levels deep hold 2 fds each" \
        "fds: $fds, idle: $base_fds" "$(ls -l "/proc/$SP/fd" | tail -n 5)"
fi
unhold "$DH"

# --- uploads in progress are invisible (item 4) -------------------------
U=$NK_TMP/up
mkdir -p "$U"
nk_start_server up "$NK" fileshare serve --root "$U" --port 0 \
    --bind 127.0.0.1 --allow-upload || nk_not_ok "up: server started"
UP=$SERVER_PORT
USP=$(server_pid)
$PEERS put "$UP" new.bin 2000000 pause "$NK_TMP/ready" "$NK_TMP/go" \
    >"$NK_TMP/put.out" 2>&1 &
PUTP=$!
HOLDERS+=("$PUTP")
wait_for 10 test -e "$NK_TMP/ready" || nk_not_ok "upload paused halfway"
tmpname=$(ls -A "$U" | head -n 1)
list=$($PEERS ask "$UP" 'LIST\n')
check_contains "LIST during an upload: 200" "$list" "200 ok"
check_contains "LIST during an upload: no entries" "$list" "entries: 0"
check_contains "GET of the temp file: refused" \
    "$($PEERS ask "$UP" "GET $tmpname\\n" | head -c 300)" "403 reserved name"
check_contains "GET of the old predictable name: refused" \
    "$($PEERS ask "$UP" "GET .nkput-$USP-0.part\\n" | head -c 300)" "403"
if printf '%s\n' "$tmpname" | grep -Eq '^\.nkput-[0-9]+-[0-9]+\.part$'; then
    nk_not_ok "temp name unpredictable" "$tmpname"
else nk_ok "temp name unpredictable ($tmpname)"; fi
touch "$NK_TMP/go"
wait "$PUTP"
check_contains "paused upload stored" "$(cat "$NK_TMP/put.out")" "201 stored"
check_eq "nothing but the upload left" "$(ls -A "$U")" "new.bin"
# Squatting a later temporary name must not break later uploads: this
# PUT would have used sequence 1 and stored itself under sequence 2's name.
check_contains "PUT of a reserved name: 403" \
    "$($PEERS put "$UP" ".nkput-$USP-2.part" 10 full)" "403 reserved name"
check_contains "PUT of a reserved name deep: 403" \
    "$($PEERS put "$UP" "sub/.nkput-x" 10 full)" "403"
check_contains "the next upload works" \
    "$($PEERS put "$UP" second.bin 1000 full)" "201 stored"
check_eq "share holds the two uploads" "$(ls -A "$U" | tr '\n' ' ')" \
    "new.bin second.bin "

# --- a short upload logs what arrived (item 7) --------------------------
$PEERS put "$UP" short.bin 100000 short >/dev/null
wait_for 5 grep -q 'PUT short.bin' "$NK_TMP/up.err"
check_contains "short upload: log says what arrived" \
    "$(cat "$NK_TMP/up.err")" "PUT short.bin: 400"
check_contains "short upload: 1000 of 100000 bytes" \
    "$(grep 'PUT short.bin' "$NK_TMP/up.err")" "1000 of 100000 bytes received"

# --- a full disk: the 507 reaches the client (item 7) -------------------
M=$U/small
mkdir -p "$M"
if mount -t tmpfs -o size=1m tmpfs "$M"; then
    MNTS+=("$M")
    # 40 MB: more than the loopback buffers hold, so a server that
    # closed with the upload unread would reset the sender mid-send
    out=$($PEERS put "$UP" small/f.bin 40000000 full)
    check_contains "full disk: the client reads 507" "$out" \
        "507 no space left on the server"
    case $out in *"<Connection"* | *"<send"*) nk_not_ok "full disk: no reset" "$out" ;;
    *) nk_ok "full disk: no reset" ;; esac
    wait_for 5 grep -q 'PUT small/f.bin' "$NK_TMP/up.err"
    line=$(grep 'PUT small/f.bin' "$NK_TMP/up.err")
    check_contains "full disk: logged 507" "$line" ": 507"
    check_contains "full disk: logged bytes received" "$line" \
        "of 40000000 bytes received"
    check_eq "full disk: nothing left" "$(ls -A "$M" | wc -l)" 0
    check_contains "after a full disk the server still serves" \
        "$($PEERS put "$UP" after.bin 10 full)" "201 stored"
    umount "$M" && MNTS=()
else
    nk_not_ok "mount a 1 MiB tmpfs (needed for the full-disk test)"
fi

# --- idle connections (item 9) -----------------------------------------
nk_start_server idle "$NK" fileshare serve --root "$R" --port 0 \
    --bind 127.0.0.1 --max-clients 3 --timeout 30 ||
    nk_not_ok "idle: server started"
IP=$SERVER_PORT
holder idle "$IP" 3 "" 1 40
IH=$HOLDER_PID
sleep 0.5
run_nk fileshare get 127.0.0.1 hello.txt --port "$IP" -o "$NK_TMP/idle.txt" \
    --timeout 5
check_eq "3 idle connections do not lock out a 4th client" "$RC" 0
wait_for 5 grep -q '^0 ' "$NK_TMP/idle.hold"
# (it sent nothing: the answer is HTTP's, see docs/fileshare.md)
check_contains "the oldest idle connection was evicted with 408" \
    "$(cat "$NK_TMP/idle.hold")" "0 DATA HTTP/1.1_408_Request_Timeout"
unhold "$IH"
holder busy "$IP" 3 'GET big.bin\n' 0 40
BH=$HOLDER_PID
sleep 1
run_nk fileshare get 127.0.0.1 hello.txt --port "$IP" -o "$NK_TMP/busy.txt" \
    --timeout 5
check_contains "3 transfers under way: the 4th gets 503" "$ERR" "503"
unhold "$BH"

nk_start_server hto "$NK" fileshare serve --root "$R" --port 0 \
    --bind 127.0.0.1 --timeout 30 --header-timeout 1 ||
    nk_not_ok "header timeout: server started"
holder hto "$SERVER_PORT" 1 "" 1 20
HH=$HOLDER_PID
wait_for 8 grep -q '^0 ' "$NK_TMP/hto.hold"
got=$(grep '^0 ' "$NK_TMP/hto.hold")
check_contains "--header-timeout 1: a silent connection gets an HTTP 408" \
    "$got" "DATA HTTP/1.1_408_Request_Timeout"
secs=$(printf '%s\n' "$got" | awk '$2 == "DATA" {print int($4)}')
if [ -n "$secs" ] && [ "$secs" -lt 5 ]; then nk_ok "closed within 5 s (${secs} s)"
else nk_not_ok "closed within 5 s" "$got"; fi
check_contains "header timeout logged with the address" \
    "$(cat "$NK_TMP/hto.err")" "127.0.0.1:"
unhold "$HH"
run_nk fileshare serve --root "$R" --port 0 --header-timeout 0
check_eq "--header-timeout 0: usage error" "$RC" 64

# --- LIST memory (item 9) ----------------------------------------------
MANY=$R/many
mkdir -p "$MANY"
$PEERS mkmany "$MANY" 40000
# ASan keeps freed memory in quarantine; that would be counted as RSS.
ASAN_OPTIONS=${ASAN_OPTIONS:-}:quarantine_size_mb=1 \
    nk_start_server list "$NK" fileshare serve --root "$R" --port 0 \
    --bind 127.0.0.1 --timeout 30 || nk_not_ok "list: server started"
LP=$SERVER_PORT
LSP=$(server_pid)
run_nk fileshare list 127.0.0.1 many --port "$LP" --json
check_eq "LIST of 40000 entries: exit 0" "$RC" 0
check_eq "LIST of 40000 entries complete" \
    "$(printf '%s' "$OUT" | jq -r '"\(.count) \(.truncated)"')" "40000 false"
rss0=$(rss_kb "$LSP")
holder slowlist "$LP" 12 'LIST many\n' 0 60
SLH=$HOLDER_PID
max=0
for i in $(seq 1 30); do
    r=$(rss_kb "$LSP")
    [ "$r" -gt "$max" ] && max=$r
    sleep 0.2
done
if [ $((max - rss0)) -lt $((48 * 1024)) ]; then
    nk_ok "12 slow LIST readers: RSS grew $(((max - rss0) / 1024)) MiB"
else
    nk_not_ok "12 slow LIST readers: RSS bounded" \
        "before: $rss0 kB, max: $max kB"
fi
unhold "$SLH"
run_nk fileshare list 127.0.0.1 many --port "$LP" --json
check_eq "LIST after the slow readers: complete" \
    "$(printf '%s' "$OUT" | jq -r '.count')" 40000
rm -rf "$MANY"

# --- out of file descriptors (item 5) ------------------------------------
nk_start_server fdx bash -c "ulimit -n 32; exec \"$NK\" fileshare serve \
    --root \"$R\" --port 0 --bind 127.0.0.1 --timeout 60" ||
    nk_not_ok "fdx: server started"
FP=$SERVER_PORT
FSP=$(server_pid)
holder fdx "$FP" 40 "" 0 60
FH=$HOLDER_PID
sleep 1.5
lines0=$(wc -l <"$NK_TMP/fdx.err")
t0=$(cpu_ticks "$FSP")
sleep 2
t1=$(cpu_ticks "$FSP")
lines1=$(wc -l <"$NK_TMP/fdx.err")
tck=$(getconf CLK_TCK)
if [ $((t1 - t0)) -lt $((tck / 2)) ]; then
    nk_ok "out of fds: CPU over 2 s: $((t1 - t0)) ticks"
else
    nk_not_ok "out of fds: no spinning" "CPU ticks in 2 s: $((t1 - t0))"
fi
if [ $((lines1 - lines0)) -le 4 ]; then
    nk_ok "out of fds: log rate-limited ($((lines1 - lines0)) lines in 2 s)"
else
    nk_not_ok "out of fds: log rate-limited" \
        "$((lines1 - lines0)) lines in 2 s" "$(tail -n 3 "$NK_TMP/fdx.err")"
fi
check_contains "out of fds: a new client gets 503" \
    "$($PEERS ask "$FP" 'GET hello.txt\n')" "503"
check_contains "out of fds: logged, with a count" \
    "$(cat "$NK_TMP/fdx.err")" "out of file descriptors"
# About 15 clients were shed within a second: one line for them all.
nlines=$(grep -c 'out of file descriptors' "$NK_TMP/fdx.err")
if [ "$nlines" -ge 1 ] && [ "$nlines" -le 4 ]; then
    nk_ok "out of fds: $nlines log lines for every shed client"
else
    nk_not_ok "out of fds: at most 4 log lines" \
        "$(grep 'out of file descriptors' "$NK_TMP/fdx.err" | head -n 20)"
fi
unhold "$FH"
fetched() {
    "$NK" fileshare get 127.0.0.1 hello.txt --port "$FP" \
        -o "$NK_TMP/after-fdx.txt" --force >/dev/null 2>&1
}
if wait_for 15 fetched; then nk_ok "out of fds: service resumes"
else nk_not_ok "out of fds: service resumes" "$(tail -n 5 "$NK_TMP/fdx.err")"; fi

# 40 fetches at once with 32 descriptors: each is served (200) or told
# the server is busy (503), whether accept(2) or the file's open(2) ran
# out of descriptors; never "500 lookup failed".
holder fdx2 "$FP" 40 'GET big.bin\n' 1 30
F2=$HOLDER_PID
all40() { [ "$(grep -c '^[0-9]' "$NK_TMP/fdx2.hold")" -ge 40 ]; }
wait_for 20 all40 || nk_not_ok "fdx2: every connection answered" \
    "$(cat "$NK_TMP/fdx2.hold")"
got=$(cat "$NK_TMP/fdx2.hold")
check_eq "40 fetches, 32 fds: none gets 500" \
    "$(grep -c 'DATA 500' "$NK_TMP/fdx2.hold")" 0
check_contains "40 fetches, 32 fds: some served" "$got" "DATA 200"
check_contains "40 fetches, 32 fds: the rest get 503" "$got" "DATA 503"
unhold "$F2"

nk_stop_server "$SERVER_PID"
check_eq "fdx: SIGTERM exit 0" "$STOP_STATUS" 0
nk_done

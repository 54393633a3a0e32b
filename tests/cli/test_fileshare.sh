#!/usr/bin/env bash
# netkit fileshare: files arrive bit-identical (small, empty, sparse,
# 100 MiB), every path rule refuses with its own status, nothing
# complete-looking is left by a failed transfer, resume works, many
# clients at once, uploads only when allowed.
. "$(dirname "$0")/lib.sh" "$@"
# Some steps run from another directory: make the binary's path absolute.
NK=$(cd "$(dirname "$NK")" && pwd)/$(basename "$NK")

MNTS=()
fs_cleanup() {
    local m
    for m in "${MNTS[@]}"; do umount "$m" 2>/dev/null; done
    nk_cleanup
}
trap fs_cleanup EXIT

# raw PORT TEXT: send bytes, print what the server answers (2 s at most).
raw() {
    printf '%b' "$2" | timeout 5 ncat -w 2 127.0.0.1 "$1" 2>/dev/null
}

# --- help and usage ----------------------------------------------------
run_nk fileshare --help
check_eq "help exit" "$RC" 0
check_contains "help usage" "$OUT" "usage: netkit fileshare"
run_nk fileshare get --help
check_contains "get help" "$OUT" "--continue"
run_nk fileshare get
check_eq "get without host: 64" "$RC" 64
run_nk fileshare serve --port 0
check_eq "serve without --root: 64" "$RC" 64
run_nk fileshare serve --root . --port 0 --read-only --allow-upload
check_eq "read-only with upload: 64" "$RC" 64
run_nk fileshare serve --root /nonexistent.nk --port 0
check_eq "missing root: 69" "$RC" 69

# --- the share ---------------------------------------------------------
R=$NK_TMP/root
mkdir -p "$R/sub/deep" "$NK_TMP/outside"
echo "secret" >"$NK_TMP/outside/secret.txt"
printf 'hello, file\n' >"$R/small.txt"
: >"$R/empty"
truncate -s 64M "$R/sparse.img"
printf 'tail' >>"$R/sparse.img"
head -c $((100 * 1024 * 1024)) /dev/urandom >"$R/big.bin"
truncate -s 256M "$R/huge.img"
printf end >>"$R/huge.img"
printf 'nested\n' >"$R/sub/deep/n.txt"
printf 'spaced\n' >"$R/sp ace.txt"
ln -s small.txt "$R/link-in"
ln -s ../sub/deep/n.txt "$R/sub/up-in"
ln -s ../outside/secret.txt "$R/link-out"
ln -s "$NK_TMP/outside/secret.txt" "$R/link-abs"
ln -s ../.. "$R/sub/dir-out"
ln -s loop2 "$R/loop1"
ln -s loop1 "$R/loop2"
mkfifo "$R/fifo"
mknod "$R/null" c 1 3 2>/dev/null
printf 'x' >"$R/$(printf 'ctl\001name')"

nk_start_server fs "$NK" fileshare serve --root "$R" --port 0 \
    --bind 127.0.0.1 --timeout 2 || { nk_done; exit 1; }
P=$SERVER_PORT
SPID=$SERVER_PID
check_contains "listening line" "$(cat "$NK_TMP/fs.err")" \
    "netkit fileshare: listening on 127.0.0.1:"

D=$NK_TMP/dl
mkdir -p "$D"
for f in small.txt empty sparse.img big.bin "sp ace.txt" sub/deep/n.txt; do
    base=${f##*/}
    run_nk fileshare get 127.0.0.1 "$f" --port "$P" -o "$D/"
    check_eq "get $f: exit 0" "$RC" 0
    if cmp -s "$R/$f" "$D/$base"; then nk_ok "get $f: bit-identical"; else
        nk_not_ok "get $f: bit-identical" "$(cmp "$R/$f" "$D/$base" 2>&1)"; fi
done
check_eq "sha256 reported" "$(cd "$D" && printf '%s\n' "$OUT" |
    awk '/^sha256:/{print $2}')" "$(sha256sum "$R/sub/deep/n.txt" | cut -d' ' -f1)"
check_eq "no .part left" "$(ls "$D" | grep -c '\.part$')" 0

# A link inside the root is followed, even one that goes up and back.
run_nk fileshare get 127.0.0.1 link-in --port "$P" -o "$D/li"
check_eq "link inside the root: 0" "$RC" 0
run_nk fileshare get 127.0.0.1 sub/up-in --port "$P" -o "$D/ui"
check_eq "link up and back inside: 0" "$RC" 0
check_eq "link content" "$(cat "$D/ui")" "nested"

# --json
run_nk fileshare get 127.0.0.1 small.txt --port "$P" -o "$D/j.txt" --json
check_json "get --json" "$OUT"
check_eq "get --json verified" "$(printf '%s' "$OUT" | jq -r .verified)" true

# --- not found ---------------------------------------------------------
E=$NK_TMP/empty-dl
mkdir -p "$E"
(cd "$E" && "$NK" fileshare get 127.0.0.1 nope.txt --port "$P" \
    >"$NK_TMP/out" 2>"$NK_TMP/err")
RC=$?
check_eq "not found: 69" "$RC" 69
check_contains "not found message" "$(cat "$NK_TMP/err")" \
    "nope.txt does not exist on 127.0.0.1"
check_eq "not found: no file created" "$(ls -A "$E" | wc -l)" 0

# --- every path rule ---------------------------------------------------
# refuse NAME PATH CODE EXIT
refuse() {
    (cd "$E" && "$NK" fileshare get 127.0.0.1 "$2" --port "$P" \
        >"$NK_TMP/out" 2>"$NK_TMP/err")
    local rc=$?
    check_eq "$1: exit $4" "$rc" "$4"
    check_contains "$1: status $3" "$(cat "$NK_TMP/err")" "$3"
    check_eq "$1: nothing written" "$(ls -A "$E" | wc -l)" 0
    if grep -q secret "$E"/* 2>/dev/null; then nk_not_ok "$1: leaked"; fi
}
refuse "dot-dot" "../outside/secret.txt" "403 '..' refused" 77
refuse "dot-dot inside" "sub/../small.txt" "403 '..' refused" 77
refuse "absolute" "/etc/passwd" "403 absolute path refused" 77
refuse "link out" "link-out" "403 symbolic link leads out of the root" 77
refuse "absolute link" "link-abs" "403 symbolic link leads out" 77
refuse "dir link out" "sub/dir-out/outside/secret.txt" \
    "403 symbolic link leads out of the root" 77
refuse "fifo" "fifo" "403 not a regular file or directory" 77
if [ -c "$R/null" ]; then
    refuse "device" "null" "403 not a regular file or directory" 77
else
    nk_skip "device: 403" "mknod not permitted here (not root?)"
fi
refuse "control byte" "$(printf 'ctl\001name')" \
    "400 control byte in path refused" 65
refuse "link loop" "loop1" "too many symbolic links" 69
refuse "directory" "sub" "409 is a directory" 65

# NUL and raw protocol abuse, straight on the socket.
check_contains "NUL byte: 400" "$(raw "$P" 'GET a%00b\n')" \
    "400 control byte in path refused"
check_contains "raw newline in name impossible: bad encoding" \
    "$(raw "$P" 'GET a%zz\n')" "400 bad path encoding"
check_contains "unknown verb: 501" "$(raw "$P" 'DELETE x\n')" "501 unknown verb"
long=$(head -c 5000 /dev/zero | tr '\0' a)
check_contains "long request line: 414" "$(raw "$P" "GET $long\n")" \
    "414 request line too long"
check_contains "upload not allowed: 403" \
    "$(raw "$P" 'PUT x 1 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n')" \
    "403 uploads are not allowed"

# A client that stops mid-request is dropped (408) without harming others.
(printf 'GET sma' ; sleep 4) | timeout 6 ncat 127.0.0.1 "$P" \
    >"$NK_TMP/stall.out" 2>/dev/null &
STALL=$!
sleep 0.3
run_nk fileshare get 127.0.0.1 small.txt --port "$P" -o "$D/during-stall"
check_eq "get while another client stalls: 0" "$RC" 0
wait "$STALL"
check_contains "stalled client dropped: 408" "$(cat "$NK_TMP/stall.out")" \
    "408 request timeout"

# --- list --------------------------------------------------------------
run_nk fileshare list 127.0.0.1 --port "$P" --json
check_eq "list exit" "$RC" 0
check_json "list --json" "$OUT"
check_eq "list: big.bin size" \
    "$(printf '%s' "$OUT" | jq -r '.entries[] | select(.name=="big.bin") | .size')" \
    $((100 * 1024 * 1024))
check_eq "list: sub is a dir" \
    "$(printf '%s' "$OUT" | jq -r '.entries[] | select(.name=="sub") | .type')" dir
check_eq "list: name with a space" \
    "$(printf '%s' "$OUT" | jq -r '.entries[] | select(.name=="sp ace.txt") | .type')" file
run_nk fileshare list 127.0.0.1 sub/deep --port "$P"
check_eq "list sub/deep: name" "$(printf '%s\n' "$OUT" | awk '/^name:/{print $2}')" n.txt
run_nk fileshare list 127.0.0.1 ../ --port "$P"
check_eq "list ..: 77" "$RC" 77

# --- DEST rules --------------------------------------------------------
echo "keep me" >"$D/exists.txt"
run_nk fileshare get 127.0.0.1 small.txt --port "$P" -o "$D/exists.txt"
check_eq "existing DEST without --force: 65" "$RC" 65
check_eq "existing DEST untouched" "$(cat "$D/exists.txt")" "keep me"
run_nk fileshare get 127.0.0.1 small.txt --port "$P" -o "$D/exists.txt" --force
check_eq "--force replaces" "$(cat "$D/exists.txt")" "hello, file"

# --- concurrent fetches ------------------------------------------------
pids=()
for i in 1 2 3 4; do
    mkdir -p "$NK_TMP/c$i"
    "$NK" fileshare get 127.0.0.1 big.bin --port "$P" -o "$NK_TMP/c$i/" \
        >/dev/null 2>"$NK_TMP/c$i.err" &
    pids+=($!)
done
okc=0
for i in 1 2 3 4; do
    wait "${pids[$((i - 1))]}" && cmp -s "$R/big.bin" "$NK_TMP/c$i/big.bin" &&
        okc=$((okc + 1))
done
check_eq "4 concurrent 100 MiB fetches identical" "$okc" 4
rm -rf "$NK_TMP"/c[1-4]

# --- resume after a killed client --------------------------------------
H=$NK_TMP/huge
mkdir -p "$H"
"$NK" fileshare get 127.0.0.1 huge.img --port "$P" -o "$H/" >/dev/null 2>&1 &
GP=$!
for i in $(seq 1 2000); do
    sz=$(stat -c %s "$H"/.huge.img.*.part 2>/dev/null || echo 0)
    [ "$sz" -gt 1000000 ] && break
    sleep 0.01
done
kill -KILL "$GP" 2>/dev/null
wait "$GP" 2>/dev/null
part=$(stat -c %s "$H"/.huge.img.*.part 2>/dev/null || echo 0)
if [ "$part" -gt 0 ] && [ "$part" -lt $((256 * 1024 * 1024)) ]; then
    nk_ok "killed mid-transfer: partial .part ($part bytes)"
else
    nk_not_ok "killed mid-transfer: partial .part" "size $part"
fi
check_eq "killed: no complete-looking DEST" "$(ls "$H" | grep -cx huge.img)" 0
run_nk fileshare get 127.0.0.1 huge.img --port "$P" -o "$H/" --continue
check_eq "--continue: exit 0" "$RC" 0
resumed=$(printf '%s\n' "$OUT" | awk '/^resumed_from:/{print $2}')
if [ "${resumed:-0}" -gt 0 ]; then nk_ok "--continue resumed from $resumed"; else
    nk_not_ok "--continue resumed" "$OUT"; fi
if cmp -s "$R/huge.img" "$H/huge.img"; then nk_ok "resumed file identical"; else
    nk_not_ok "resumed file identical"; fi
rm -rf "$H"

# --- full disk, read-only DEST -----------------------------------------
M=$NK_TMP/tiny
mkdir -p "$M"
if mount -t tmpfs -o size=1m tmpfs "$M" 2>/dev/null; then
    MNTS+=("$M")
    run_nk fileshare get 127.0.0.1 big.bin --port "$P" -o "$M/"
    check_eq "full disk: 74" "$RC" 74
    check_contains "full disk: message" "$ERR" "no space left on device"
    check_eq "full disk: nothing left" "$(ls -A "$M" | wc -l)" 0
    umount "$M"
    mount -t tmpfs -o ro,size=1m tmpfs "$M"
    run_nk fileshare get 127.0.0.1 small.txt --port "$P" -o "$M/"
    check_eq "read-only DEST: 77" "$RC" 77
    check_contains "read-only DEST: message" "$ERR" "read-only file system"
    umount "$M"
else
    nk_skip "full disk: 74, read-only DEST: 77" \
        "mount -t tmpfs not permitted (not root?): full disk not simulated"
fi

# --- a server that dies mid-transfer -----------------------------------
nk_start_server fs2 "$NK" fileshare serve --root "$R" --port 0 \
    --bind 127.0.0.1 --quiet || { nk_done; exit 1; }
K=$NK_TMP/killed
mkdir -p "$K"
"$NK" fileshare get 127.0.0.1 huge.img --port "$SERVER_PORT" -o "$K/" \
    >/dev/null 2>"$NK_TMP/k.err" &
GP=$!
for i in $(seq 1 2000); do
    sz=$(stat -c %s "$K"/.huge.img.*.part 2>/dev/null || echo 0)
    [ "$sz" -gt 1000000 ] && break
    sleep 0.01
done
kill -KILL "$(pgrep -P "$SERVER_PID" | head -n 1)"
wait "$GP"
check_eq "server killed: client exit 74" "$?" 74
check_contains "server killed: message" "$(cat "$NK_TMP/k.err")" \
    "resume with --continue"
check_eq "server killed: no complete-looking DEST" \
    "$(ls "$K" | grep -cx huge.img)" 0
rm -rf "$K"

# --- uploads -----------------------------------------------------------
U=$NK_TMP/up
mkdir -p "$U/in"
nk_start_server up "$NK" fileshare serve --root "$U" --port 0 \
    --bind ::1 --allow-upload || { nk_done; exit 1; }
UP=$SERVER_PORT
run_nk fileshare put ::1 "$R/big.bin" --port "$UP"
check_eq "put: exit 0" "$RC" 0
if cmp -s "$R/big.bin" "$U/big.bin"; then nk_ok "put: identical (IPv6)"; else
    nk_not_ok "put: identical"; fi
run_nk fileshare put ::1 "$R/empty" in/ --port "$UP" --json
check_json "put --json" "$OUT"
check_eq "put into a directory" "$(stat -c %s "$U/in/empty" 2>/dev/null)" 0
run_nk fileshare put ::1 "$R/small.txt" big.bin --port "$UP"
check_eq "put over an existing file: 65" "$RC" 65
if cmp -s "$R/big.bin" "$U/big.bin"; then nk_ok "existing file kept"; else
    nk_not_ok "existing file kept"; fi
run_nk fileshare put ::1 "$R/small.txt" ../escape.txt --port "$UP"
check_eq "put ..: 77" "$RC" 77
check_eq "put ..: nothing outside" "$(ls "$NK_TMP"/escape.txt 2>/dev/null | wc -l)" 0
check_contains "put with a wrong checksum: 422" \
    "$(printf 'PUT bad.txt 3 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nabc' |
        timeout 5 ncat -w 2 ::1 "$UP" 2>/dev/null)" "422 checksum mismatch"
check_eq "no temp files left" "$(ls -A "$U" "$U/in" | grep -c nkput)" 0
check_eq "bad put not stored" "$(ls "$U" | grep -c bad.txt)" 0

# --- stop --------------------------------------------------------------
nk_stop_server "$SPID"
check_eq "SIGTERM: exit 0" "$STOP_STATUS" 0

# --- serve --json: one JSON document once stopped -------------------------
if nk_start_server js "$NK" fileshare serve --root "$R" --port 0 \
    --bind 127.0.0.1 --quiet --json; then
    JPID=$SERVER_PID
    nk_stop_server "$JPID"
    check_eq "serve --json: exit 0" "$STOP_STATUS" 0
    check_eq "serve --json: root and status" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["root"] == sys.argv[2], d["status"], d["address"].startswith("127.0.0.1:"))
' "$NK_TMP/js.out" "$R" 2>&1)" "True 0 True"
fi
nk_done

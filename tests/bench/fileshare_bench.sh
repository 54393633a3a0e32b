#!/usr/bin/env bash
# Manual benchmark (not in ctest): fetch a 1 GiB file over loopback from
# `netkit fileshare serve` and from nginx (sendfile on) in the same run,
# and watch the fileshare server's memory (VmRSS) during the transfers.
#
#   bash tests/bench/fileshare_bench.sh [path/to/netkit] [size_mib]
#   RUNS=7 bash tests/bench/fileshare_bench.sh ...   (default 5 runs)
#
# Installs nginx with apt-get when it is missing, runs it with its own
# config on 127.0.0.1 and an ephemeral port, in the foreground, and stops
# it (and the fileshare server) at the end. Figures only, never pass/fail.
set -u
NK=${1:-build/h-fileshare-rel/netkit}
MIB=${2:-1024}
RUNS=${RUNS:-5}
W=$(mktemp -d "${TMPDIR:-/tmp}/nk_fsbench.XXXXXX")
OUTDIR=$(mktemp -d /dev/shm/nk_fsbench.XXXXXX) # tmpfs: the disk is not measured
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$W" "$OUTDIR"
}
trap cleanup EXIT

if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    echo "installing nginx..." >&2
    apt-get install -y nginx-light >/dev/null 2>&1 ||
        apt-get install -y nginx >/dev/null 2>&1 || {
        echo "nginx could not be installed" >&2
        exit 1
    }
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
now() { date +%s.%N; }
mibs() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.0f", b / 1048576 / t }'; }

mkdir -p "$W/root" "$W/ngx"
echo "making a ${MIB} MiB file..." >&2
head -c $((MIB * 1048576)) /dev/urandom >"$W/root/big.bin"
cat "$W/root/big.bin" >/dev/null # into the page cache for both servers
BYTES=$((MIB * 1048576))
# The raw client counts the bytes and fails when short (socat quits 0.5 s
# after its stdin ends, so a socat client measured cut transfers).
RAWGET=${RAWGET:-$(dirname "$NK")/tests/nk_fs_rawget}
[ -x "$RAWGET" ] || { echo "no $RAWGET (build the tests)" >&2; exit 1; }

# nginx, foreground, its own everything.
NP=$(free_port)
cat >"$W/ngx/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $W/ngx/nginx.pid;
error_log $W/ngx/error.log;
events { worker_connections 64; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path $W/ngx/body;
    proxy_temp_path $W/ngx/proxy;
    fastcgi_temp_path $W/ngx/fcgi;
    uwsgi_temp_path $W/ngx/uwsgi;
    scgi_temp_path $W/ngx/scgi;
    server {
        listen 127.0.0.1:$NP;
        root $W/root;
    }
}
CONF
"$NGINX" -c "$W/ngx/nginx.conf" -p "$W/ngx" 2>"$W/ngx/stderr" &
PIDS+=($!)

"$NK" fileshare serve --root "$W/root" --port 0 --bind 127.0.0.1 --quiet \
    2>"$W/fs.err" &
FSPID=$!
PIDS+=($FSPID)
for i in $(seq 1 100); do
    grep -q 'listening on' "$W/fs.err" && break
    sleep 0.05
done
FP=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$W/fs.err")
sleep 0.3

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$FSPID/status"; }
RSS0=$(rss)
RSSMAX=$RSS0
watch_rss() {
    while kill -0 "$1" 2>/dev/null; do
        r=$(rss)
        [ "${r:-0}" -gt "$RSSMAX" ] && RSSMAX=$r
        sleep 0.05
    done
}

# The first fetch hashes the file on the server (the digest leads the
# body); it is kept per inode and mtime, so later fetches only sendfile.
t0=$(now)
"$RAWGET" "$FP" big.bin >/dev/null || echo "raw get failed" >&2
t1=$(now)
COLD=$(mibs "$BYTES" "$(echo "$t1 - $t0" | bc -l)")

# The median of the runs: the machine is shared, single runs vary a lot.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ngx=()
ngxraw=()
ngxsum=()
raw=()
get=()
for r in $(seq 1 $RUNS); do
    s=$(curl -s -o /dev/null -w '%{speed_download}' "http://127.0.0.1:$NP/big.bin")
    ngx+=($(awk -v s="$s" 'BEGIN { printf "%.0f", s / 1048576 }'))

    ngxraw+=($("$RAWGET" --http "$NP" big.bin || echo 0))

    # What get does, done with nginx's tools: fetch to a file, then hash.
    rm -f "$OUTDIR/curl.bin"
    t0=$(now)
    curl -s -o "$OUTDIR/curl.bin" "http://127.0.0.1:$NP/big.bin" &&
        sha256sum "$OUTDIR/curl.bin" >/dev/null
    t1=$(now)
    ngxsum+=($(mibs "$BYTES" "$(echo "$t1 - $t0" | bc -l)"))
    rm -f "$OUTDIR/curl.bin"

    "$RAWGET" "$FP" big.bin >"$W/raw.out" &
    c=$!
    watch_rss $c
    wait $c || echo "raw get failed" >&2
    raw+=($(cat "$W/raw.out"))

    rm -f "$OUTDIR/big.bin"
    t0=$(now)
    "$NK" fileshare get 127.0.0.1 big.bin --port "$FP" -o "$OUTDIR/" >/dev/null &
    c=$!
    watch_rss $c
    wait $c || echo "netkit get failed" >&2
    t1=$(now)
    get+=($(mibs "$BYTES" "$(echo "$t1 - $t0" | bc -l)"))
done
cmp -s "$W/root/big.bin" "$OUTDIR/big.bin" || echo "MISMATCH" >&2

NGX=$(printf '%s\n' "${ngx[@]}" | median)
RAW=$(printf '%s\n' "${raw[@]}" | median)
GET=$(printf '%s\n' "${get[@]}" | median)
NGXRAW=$(printf '%s\n' "${ngxraw[@]}" | median)
NGXSUM=$(printf '%s\n' "${ngxsum[@]}" | median)
echo "file: ${MIB} MiB over loopback, median of $RUNS (MiB/s); $(nproc) CPUs"
echo "nginx sendfile, curl -o /dev/null:        $NGX   (runs: ${ngx[*]})"
echo "nginx sendfile, raw client > /dev/null:  $NGXRAW   (runs: ${ngxraw[*]})"
echo "fileshare serve, raw client > /dev/null: $RAW   (runs: ${raw[*]})"
echo "nginx, curl to tmpfs then sha256sum:      $NGXSUM   (runs: ${ngxsum[*]})"
echo "fileshare get (SHA-256 verify, to tmpfs): $GET   (runs: ${get[*]})"
echo "fileshare first fetch (server hashes):    $COLD"
awk -v a="$RAW" -v b="$NGX" -v g="$GET" -v r="$NGXRAW" -v v="$NGXSUM" 'BEGIN {
    printf "server/nginx, same raw client: %.2fx   server (raw) / nginx (curl): %.2fx\n", a / r, a / b
    printf "get/nginx+curl: %.2fx   get / (curl to file + sha256sum): %.2fx\n", g / b, g / v }'
echo "server VmRSS: $RSS0 kB idle, $RSSMAX kB at most during the transfers"

#!/usr/bin/env bash
# Manual benchmark (not in ctest; figures only, never pass/fail): the same
# client, curl -o /dev/null, fetching a 1 GiB file over loopback from
# netkit fileshare serve's HTTP side and from nginx (sendfile on) in the
# same run, alternating, median of RUNS; and the fileshare server's memory
# (VmRSS) while it serves the whole file, a range, and a request of many
# ranges.
#
#   bash tests/bench/fileshare_http_bench.sh [path/to/netkit] [size_mib]
#   RUNS=7 bash tests/bench/fileshare_http_bench.sh ...   (default 5)
#
# nginx runs with its own config on 127.0.0.1 and a free port, in the
# foreground (daemon off, master_process off), logs in the scratch
# directory; both servers are stopped on every way out.
set -u
NK=${1:-build/h-http-rel/netkit}
MIB=${2:-1024}
RUNS=${RUNS:-5}
W=$(mktemp -d "${TMPDIR:-/tmp}/nk_httpbench.XXXXXX")
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "no nginx (scripts/deps.sh installs it)" >&2; exit 1; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
mkdir -p "$W/root" "$W/ngx"
echo "making a ${MIB} MiB file..." >&2
head -c $((MIB * 1048576)) /dev/urandom >"$W/root/big.bin"
cat "$W/root/big.bin" >/dev/null # in the page cache for both servers

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
    server { listen 127.0.0.1:$NP; root $W/root; }
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
for i in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$NP/" && break
    sleep 0.05
done

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
speed() { awk -v s="$1" 'BEGIN { printf "%.0f", s / 1048576 }'; }

# The first fetch hashes the file (Repr-Digest leads the body); the digest
# is cached per inode and mtime, so later fetches are sendfile only.
COLD=$(curl -s -o /dev/null -w '%{speed_download}' "http://127.0.0.1:$FP/big.bin")

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ngx=()
nk=()
for r in $(seq 1 "$RUNS"); do
    ngx+=($(speed "$(curl -s -o /dev/null -w '%{speed_download}' "http://127.0.0.1:$NP/big.bin")"))
    curl -s -o /dev/null -w '%{speed_download}' "http://127.0.0.1:$FP/big.bin" >"$W/s" &
    c=$!
    watch_rss $c
    wait $c
    nk+=($(speed "$(cat "$W/s")"))
done
# Memory with ranges: the second half, and 1000 ranges (answered 200 whole).
curl -s -o /dev/null -r $((MIB * 524288))- "http://127.0.0.1:$FP/big.bin" &
watch_rss $!
many=$(seq 0 2 1998 | awk '{ printf "%s%d-%d", (NR > 1 ? "," : ""), $1, $1 }')
curl -s -o /dev/null -H "Range: bytes=$many" "http://127.0.0.1:$FP/big.bin" &
watch_rss $!

NGX=$(printf '%s\n' "${ngx[@]}" | median)
NKM=$(printf '%s\n' "${nk[@]}" | median)
echo "file: ${MIB} MiB over loopback, curl -o /dev/null, median of $RUNS (MiB/s); $(nproc) CPUs"
echo "nginx (sendfile on):            $NGX   (runs: ${ngx[*]})"
echo "netkit fileshare serve (HTTP):  $NKM   (runs: ${nk[*]})"
echo "netkit first fetch (hashes):    $(speed "$COLD")"
awk -v a="$NKM" -v b="$NGX" 'BEGIN { printf "netkit/nginx: %.2fx\n", a / b }'
echo "server VmRSS: $RSS0 kB idle, $RSSMAX kB at most (whole file, a range, 1000 ranges)"

#!/usr/bin/env bash
# The loop the three load generators share (lib/loadgen.c), through the
# real binary: echo-udp bench and sntp bench wait out their grace period
# for replies still in flight from a slow python peer (and no longer once
# all are in); SIGINT ends each bench (echo-tcp, echo-udp, sntp) at once,
# without grace, with a report; on a terminal each draws the live line
# "netkit NAME bench: S/T s, N sent, M WHAT, R/s" and erases it at the end.
. "$(dirname "$0")/lib.sh" "$@"

ms_now() { echo $(($(date +%s%N) / 1000000)); }
jf() { printf '%s' "$OUT" | jq -r "$1"; }

# A slow peer: MODE echo (UDP echo) or sntp (a valid SNTP server reply),
# each answer sent DELAY seconds after its request came in.
cat >"$NK_TMP/slow.py" <<'PY'
import select, signal, socket, struct, sys, time
mode, delay = sys.argv[1], float(sys.argv[2])
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
sys.stderr.write("slow: listening on 127.0.0.1:%d\n" % s.getsockname()[1])
sys.stderr.flush()
def ntp_now():
    t = time.time() + 2208988800
    return struct.pack(">II", int(t) & 0xFFFFFFFF, int((t % 1) * 2**32))
def answer(req):
    if mode == "echo":
        return req
    if len(req) < 48:
        return None
    vn = (req[0] >> 3) & 7
    now = ntp_now()
    return (bytes([vn << 3 | 4, 2, 6, 0xEC]) + struct.pack(">II", 16, 32)
            + b"\x7f\x00\x00\x01" + now + req[40:48] + now + now)
due = []
while True:
    wait = max(0.0, due[0][0] - time.monotonic()) if due else 1.0
    if select.select([s], [], [], wait)[0]:
        data, addr = s.recvfrom(65536)
        due.append((time.monotonic() + delay, data, addr))
    while due and due[0][0] <= time.monotonic():
        _, data, addr = due.pop(0)
        reply = answer(data)
        if reply is not None:
            s.sendto(reply, addr)
PY

# ---- the grace period ------------------------------------------------------
if nk_start_server slowecho python3 "$NK_TMP/slow.py" echo 0.3; then
    P=$SERVER_PORT
    # Replies come 0.3 s late: at the end of sending, 4 are in flight.
    t0=$(ms_now)
    run_nk echo-udp bench --host 127.0.0.1 --port "$P" --clients 1 \
        --window 4 --duration 0.5 --timeout 2 --grace 5 --json
    took=$(($(ms_now) - t0))
    check_eq "udp grace: exit 0" "$RC" 0
    check_eq "udp grace: the replies in flight came back" \
        "$(jf '[.sent > 0, .received == .sent, .lost]|@tsv')" "true	true	0"
    check_eq "udp grace: ends once all are in, not after 5 s" \
        "$([ "$took" -lt 3500 ] && echo yes || echo "no ($took ms)")" yes
    run_nk echo-udp bench --host 127.0.0.1 --port "$P" --clients 1 \
        --window 4 --duration 0.5 --timeout 2 --grace 0 --json
    check_eq "udp no grace: the replies in flight are lost" \
        "$(jf '.lost >= 1')" true
    # SIGINT: no grace, at once, and still the report
    "$NK" echo-udp bench --host 127.0.0.1 --port "$P" --clients 1 \
        --window 4 --duration 30 --grace 10 --json \
        >"$NK_TMP/int-udp.out" 2>"$NK_TMP/int-udp.err" &
    pid=$!
    sleep 1
    t0=$(ms_now)
    kill -INT "$pid"
    wait "$pid"
    rc=$?
    took=$(($(ms_now) - t0))
    OUT=$(cat "$NK_TMP/int-udp.out")
    check_eq "udp SIGINT: exit 0 with a report" "$rc:$(jf '.sent > 0')" "0:true"
    check_eq "udp SIGINT: stops at once, no grace" \
        "$([ "$took" -lt 2000 ] && echo yes || echo "no ($took ms)")" yes
    check_eq "udp SIGINT: sent for about 1 s, not 30" \
        "$(jf '.duration_s < 5')" true
    nk_stop_server "$SERVER_PID"
fi

if nk_start_server slowsntp python3 "$NK_TMP/slow.py" sntp 0.3; then
    P=$SERVER_PORT
    # sntp bench's grace period is its --timeout
    t0=$(ms_now)
    run_nk sntp bench --host 127.0.0.1 --port "$P" --inflight 2 \
        --duration 0.5 --timeout 4 --json
    took=$(($(ms_now) - t0))
    check_eq "sntp grace: exit 0" "$RC" 0
    check_eq "sntp grace: the replies in flight came back" \
        "$(jf '[.sent > 0, .replies == .sent, .lost, .invalid]|@tsv')" \
        "true	true	0	0"
    check_eq "sntp grace: ends once all are in, not after 4 s" \
        "$([ "$took" -lt 3000 ] && echo yes || echo "no ($took ms)")" yes
    "$NK" sntp bench --host 127.0.0.1 --port "$P" --inflight 2 \
        --duration 30 --timeout 10 --json \
        >"$NK_TMP/int-sntp.out" 2>"$NK_TMP/int-sntp.err" &
    pid=$!
    sleep 1
    t0=$(ms_now)
    kill -INT "$pid"
    wait "$pid"
    rc=$?
    took=$(($(ms_now) - t0))
    OUT=$(cat "$NK_TMP/int-sntp.out")
    check_eq "sntp SIGINT: exit 0 with a report" "$rc:$(jf '.sent > 0')" \
        "0:true"
    check_eq "sntp SIGINT: stops at once, no grace" \
        "$([ "$took" -lt 2000 ] && echo yes || echo "no ($took ms)")" yes
    nk_stop_server "$SERVER_PID"
fi

# ---- echo-tcp bench: the stop ------------------------------------------------
if nk_start_server tcp "$NK" echo-tcp serve --port 0 --bind 127.0.0.1; then
    P=$SERVER_PORT
    "$NK" echo-tcp bench --host 127.0.0.1 --port "$P" --conns 2 \
        --duration 30 --json >"$NK_TMP/int-tcp.out" 2>"$NK_TMP/int-tcp.err" &
    pid=$!
    sleep 1
    t0=$(ms_now)
    kill -INT "$pid"
    wait "$pid"
    rc=$?
    took=$(($(ms_now) - t0))
    OUT=$(cat "$NK_TMP/int-tcp.out")
    check_eq "tcp SIGINT: exit 0 with a report" \
        "$rc:$(jf '.requests > 0 and .duration_s < 5')" "0:true"
    check_eq "tcp SIGINT: stops at once" \
        "$([ "$took" -lt 2000 ] && echo yes || echo "no ($took ms)")" yes
    TCP_PORT=$P
fi

# ---- the live line on a terminal -------------------------------------------
# liveline.py WHAT CMD...: CMD's stderr on a pseudo-terminal; prints what it
# drew after "WHAT", one line per redraw, and whether the last thing on
# the terminal erased the line.
cat >"$NK_TMP/liveline.py" <<'PY'
import os, pty, re, subprocess, sys
what, cmd = sys.argv[1], sys.argv[2:]
master, slave = pty.openpty()
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=slave)
os.close(slave)
data = b""
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
p.wait()
text = data.decode("utf-8", "replace")
pat = re.compile(r"\r(netkit [a-z-]+ bench): (\d+)/(\d+) s, (\d+) sent, "
                 r"(\d+) " + re.escape(what) + r", (\d+)/s\x1b\[K")
lines = pat.findall(text)
print("exit", p.returncode)
print("lines", len(lines) > 0)
print("name", lines[-1][0] if lines else "-")
print("counts", bool(lines) and int(lines[-1][3]) >= int(lines[-1][4]) > 0)
print("erased", text.endswith("\r\x1b[K"))
PY
live() {
    python3 "$NK_TMP/liveline.py" "$@"
}
if [ -n "${TCP_PORT:-}" ]; then
    got=$(live echoed "$NK" echo-tcp bench --host 127.0.0.1 --port "$TCP_PORT" \
        --conns 2 --duration 1.2)
    check_eq "tcp live line" "$got" "exit 0
lines True
name netkit echo-tcp bench
counts True
erased True"
    nk_stop_server "$SERVER_PID"
fi
if nk_start_server udp "$NK" echo-udp serve --port 0 --bind 127.0.0.1; then
    got=$(live received "$NK" echo-udp bench --host 127.0.0.1 \
        --port "$SERVER_PORT" --clients 1 --duration 1.2)
    check_eq "udp live line" "$got" "exit 0
lines True
name netkit echo-udp bench
counts True
erased True"
    nk_stop_server "$SERVER_PID"
fi
if nk_start_server sntp "$NK" sntp serve --port 0 --bind 127.0.0.1 \
    --assume-synced; then
    got=$(live replies "$NK" sntp bench --host 127.0.0.1 \
        --port "$SERVER_PORT" --duration 1.2)
    check_eq "sntp live line" "$got" "exit 0
lines True
name netkit sntp bench
counts True
erased True"
    nk_stop_server "$SERVER_PID"
fi

nk_done

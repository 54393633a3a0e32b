#!/usr/bin/env bash
# netkit sockopt --unix (issue 18): one end of a connected AF_UNIX pair,
# stream and datagram, its options as python3's socket module reads them
# from its own pair on this kernel (the oracle, independent of netkit),
# SO_PEERCRED naming netkit's own process, and the options that do not
# apply to a Unix socket refused.
. "$(dirname "$0")/lib.sh" "$@"

# oracle TYPE [sndbuf N]: python's socketpair of TYPE (stream or dgram),
# sndbuf set if asked; prints the facts netkit prints, "key value" lines.
oracle() {
    python3 - "$@" <<'PY'
import os, socket, struct, sys
typ = socket.SOCK_DGRAM if sys.argv[1] == "dgram" else socket.SOCK_STREAM
a, b = socket.socketpair(socket.AF_UNIX, typ)
if len(sys.argv) > 3:
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, int(sys.argv[3]))
g = lambda o: a.getsockopt(socket.SOL_SOCKET, o)
yn = lambda v: "yes" if v else "no"
pid, uid, gid = struct.unpack("3i", a.getsockopt(socket.SOL_SOCKET,
                                                 socket.SO_PEERCRED, 12))
assert pid == os.getpid()
print("socket unix", sys.argv[1])
print("blocking", yn(a.getblocking()))
print("so_sndbuf", g(socket.SO_SNDBUF))
print("so_rcvbuf", g(socket.SO_RCVBUF))
print("so_reuseaddr", yn(g(socket.SO_REUSEADDR)))
print("so_keepalive", yn(g(socket.SO_KEEPALIVE)))
print("so_broadcast", yn(g(socket.SO_BROADCAST)))
print("so_passcred", yn(g(socket.SO_PASSCRED)))
print("so_peercred_uid", uid)
print("so_peercred_gid", gid)
PY
}

# facts: netkit's text output as "key value" lines, in oracle's keys.
facts() {
    printf '%s\n' "$OUT" | awk '{ k = $1; sub(/:$/, "", k); $1 = ""
        sub(/^ /, ""); v[k] = $0 }
        END { n = split("socket blocking so_sndbuf so_rcvbuf so_reuseaddr " \
                  "so_keepalive so_broadcast so_passcred so_peercred_uid " \
                  "so_peercred_gid", K, " ")
              for (i = 1; i <= n; i++) print K[i], v[K[i]] }'
}

if ! nk_have "python3 for the oracle" python3; then
    nk_done
    exit
fi

for kind in stream dgram; do
    udp=""
    [ "$kind" = dgram ] && udp=--udp
    run_nk sockopt --unix $udp
    check_eq "unix $kind: exit 0" "$RC" 0
    check_eq "unix $kind: every option as python reads its own pair" \
        "$(facts)" "$(oracle "$kind")"
    check_contains "unix $kind: SO_PASSCRED shown" "$OUT" "so_passcred: no"
    if printf '%s\n' "$OUT" | grep -q '^tcp_\|^ipv6_'; then
        nk_not_ok "unix $kind: no tcp_ or ipv6_ item" "$OUT"
    else nk_ok "unix $kind: no tcp_ or ipv6_ item"; fi

    # SO_PEERCRED names the process holding the other end: netkit itself
    # (exec keeps the shell's pid).
    json=$(bash -c 'echo $$; exec "$@"' x "$NK" sockopt --unix $udp --json)
    pid=$(head -n 1 <<<"$json")
    check_eq "unix $kind: so_peercred_pid is netkit's own pid" \
        "$(tail -n +2 <<<"$json" | jq -r .so_peercred_pid)" "$pid"
    check_eq "unix $kind: --json socket" \
        "$(tail -n +2 <<<"$json" | jq -r .socket)" "unix $kind"

    # a change, read back as the kernel kept it
    run_nk sockopt --unix $udp --sndbuf 10000
    check_eq "unix $kind --sndbuf 10000: as python's pair keeps it" \
        "$(facts | grep '^so_sndbuf ')" \
        "$(oracle "$kind" sndbuf 10000 | grep '^so_sndbuf ')"
done

# what does not apply to a Unix socket
run_nk sockopt --unix --nodelay on
check_eq "--unix --nodelay: 64" "$RC" 64
check_contains "--unix --nodelay: named" "$ERR" "--nodelay is a TCP option; drop --unix"
run_nk sockopt --unix -6
check_eq "--unix -6: 64" "$RC" 64
check_contains "--unix -6: named" "$ERR" "has no IP version"
run_nk sockopt listen --unix
check_eq "listen --unix: 64" "$RC" 64
check_contains "listen --unix: whose option" "$ERR" "--unix is not an option of 'sockopt listen'"

nk_done

#!/bin/bash
# fileshare get checks what arrives: a fake server (python3, speaking the
# line protocol of docs/fileshare.md) lies in each way a server or the
# path to it can, and the client must refuse to save the file (exit 76),
# say why, and leave nothing behind: the right bytes with a wrong SHA-256,
# wrong bytes with the right SHA-256, no SHA-256 at all, and a DEST.part
# damaged before --continue. A body cut short (closed or stalled) is a
# broken transfer: no DEST, the bytes kept in DEST.part (docs/fileshare.md)
# and the cause said. The honest fake gives a file equal to the source,
# "verified: yes" and, with --json, "verified": true.
source "$(dirname "$0")/lib.sh" "$@"

if ! command -v python3 >/dev/null; then
    nk_not_ok "python3 is needed for the fake fileshare server"
    nk_done
    exit 1
fi

# The fake server: MODE FILE. Ready line on stderr like netkit's servers;
# one request per connection; every connection gets the same lie.
cat >"$NK_TMP/fake_fs.py" <<'EOF'
import hashlib, signal, socket, sys

mode, path = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
sha = hashlib.sha256(data).hexdigest()
body = data
if mode == "wrong-sha":
    sha = hashlib.sha256(data + b"x").hexdigest()
elif mode == "wrong-bytes":
    # one byte changed past the first MiB: inside the body, not its start
    i = len(data) // 2 + 5
    body = data[:i] + bytes([data[i] ^ 0x20]) + data[i + 1:]
elif mode in ("short", "stall"):
    body = data[: len(data) - 1000]
elif mode not in ("honest", "no-sha", "crlf"):
    sys.exit("unknown mode " + mode)

signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(8)
print("fake fileshare: listening on 127.0.0.1:%d" % ls.getsockname()[1],
      file=sys.stderr, flush=True)
for _ in range(100):
    c, _ = ls.accept()
    c.settimeout(10)
    req = b""
    while not req.endswith(b"\n") and len(req) < 4097:
        b = c.recv(4097)
        if not b:
            break
        req += b
    words = req.split()
    off = int(words[2]) if len(words) > 2 else 0
    print("fake fileshare: %r" % req, file=sys.stderr, flush=True)
    head = ("200 ok\ntype: file\nsize: %d\noffset: %d\nlength: %d\n"
            % (len(data), off, len(data) - off))
    if mode != "no-sha":
        head += "sha256: %s\n" % sha
    head += "\n"
    if mode == "crlf":  # another implementation's line ends
        head = head.replace("\n", "\r\n")
    c.sendall(head.encode() + body[off:])
    if mode != "stall":  # stall: keep the connection open, send no more
        c.shutdown(socket.SHUT_WR)
    try:
        while c.recv(65536):
            pass
    except OSError:
        pass
    c.close()
EOF

# The source: 3 MiB of random bytes (more than one of the client's 1 MiB
# receive slots, so the hash thread's hand-over is in the path).
SRC=$NK_TMP/src.bin
head -c $((3 * 1048576 + 123)) /dev/urandom >"$SRC"
SRC_SHA=$(sha256sum "$SRC" | cut -d' ' -f1)

# fake MODE: start the fake server; sets P.
fake() {
    if nk_start_server "fake-$1" python3 "$NK_TMP/fake_fs.py" "$1" "$SRC"
    then
        P=$SERVER_PORT
        return 0
    fi
    nk_not_ok "$1: fake server started"
    return 1
}

# get DIR [ARGS...]: netkit fileshare get of the file into DIR/file.bin.
get() {
    local d=$1
    shift
    mkdir -p "$d"
    run_nk fileshare get 127.0.0.1 src.bin --port "$P" -o "$d/file.bin" \
        --timeout 10 "$@"
}

# refused NAME DIR WHY: exit 76, no DEST, nothing else in DIR, WHY said.
refused() {
    check_eq "$1: exit 76" "$RC" 76
    check_eq "$1: nothing on stdout" "$OUT" ""
    check_contains "$1: says why" "$ERR" "$3"
    if [ -e "$2/file.bin" ]; then nk_not_ok "$1: no file at DEST"; else
        nk_ok "$1: no file at DEST"; fi
    check_eq "$1: no temporary file left" "$(ls -A "$2")" ""
}

# --- crlf: a head whose lines end in CRLF, as another implementation
# may send it, is read like one ending in LF -----------------------------
if fake crlf; then
    get "$NK_TMP/crlf"
    check_eq "crlf head: exit 0" "$RC" 0
    check_eq "crlf head: verified: yes" \
        "$(printf '%s\n' "$OUT" | awk '/^verified:/{print $2}')" yes
    if cmp -s "$SRC" "$NK_TMP/crlf/file.bin"; then
        nk_ok "crlf head: file equals the source"
    else
        nk_not_ok "crlf head: file equals the source" "$ERR"
    fi
    nk_stop_server "$SERVER_PID"
fi

# --- honest: the bytes and the digest of the file ----------------------
if fake honest; then
    get "$NK_TMP/honest"
    check_eq "honest: exit 0" "$RC" 0
    check_eq "honest: verified: yes" \
        "$(printf '%s\n' "$OUT" | awk '/^verified:/{print $2}')" yes
    check_eq "honest: sha256 is the source's" \
        "$(printf '%s\n' "$OUT" | awk '/^sha256:/{print $2}')" "$SRC_SHA"
    if cmp -s "$SRC" "$NK_TMP/honest/file.bin"; then
        nk_ok "honest: file equals the source"
    else
        nk_not_ok "honest: file equals the source" \
            "$(cmp "$SRC" "$NK_TMP/honest/file.bin" 2>&1)"
    fi
    check_eq "honest: only DEST in the directory" \
        "$(ls -A "$NK_TMP/honest")" "file.bin"

    get "$NK_TMP/honest-json" --json
    check_eq "honest --json: exit 0" "$RC" 0
    check_json "honest --json: valid" "$OUT"
    check_eq "honest --json: verified true" \
        "$(printf '%s' "$OUT" | jq -c '[.verified, .sha256, .received]')" \
        "[true,\"$SRC_SHA\",$(stat -c %s "$SRC")]"
    if cmp -s "$SRC" "$NK_TMP/honest-json/file.bin"; then
        nk_ok "honest --json: file equals the source"
    else
        nk_not_ok "honest --json: file equals the source"
    fi
    HONEST_PID=$SERVER_PID
    nk_stop_server "$HONEST_PID"
fi

# --- the right bytes, a wrong digest ------------------------------------
if fake wrong-sha; then
    get "$NK_TMP/wsha"
    refused "wrong sha256" "$NK_TMP/wsha" "checksum mismatch"
    check_contains "wrong sha256: names the digest it got" "$ERR" "$SRC_SHA"
    get "$NK_TMP/wsha-json" --json
    refused "wrong sha256 --json" "$NK_TMP/wsha-json" "checksum mismatch"
    nk_stop_server "$SERVER_PID"
fi

# --- wrong bytes, the right digest --------------------------------------
if fake wrong-bytes; then
    get "$NK_TMP/wbytes"
    refused "wrong bytes" "$NK_TMP/wbytes" "checksum mismatch"
    check_contains "wrong bytes: names the digest the server said" "$ERR" \
        "server said $SRC_SHA"
    nk_stop_server "$SERVER_PID"
fi

# --- no digest at all: nothing to verify against, so nothing is saved --
if fake no-sha; then
    get "$NK_TMP/nosha"
    refused "no sha256 header" "$NK_TMP/nosha" "response: inconsistent head"
    nk_stop_server "$SERVER_PID"
fi

# --- a short body --------------------------------------------------------
# The connection ends 1000 bytes early. That is a broken transfer, not a
# lie the client can prove: as docs/fileshare.md promises, DEST is not
# created and what came is kept in DEST.part for --continue (exit 74).
if fake short; then
    get "$NK_TMP/short"
    check_eq "short body: exit 74" "$RC" 74
    check_eq "short body: nothing on stdout" "$OUT" ""
    check_contains "short body: says why" "$ERR" \
        "the server closed the connection after $(( $(stat -c %s "$SRC") - 1000 ))"
    check_contains "short body: says where the data is" "$ERR" \
        "partial data kept in $NK_TMP/short/file.bin.part"
    if [ -e "$NK_TMP/short/file.bin" ]; then
        nk_not_ok "short body: no file at DEST"
    else
        nk_ok "short body: no file at DEST"
    fi
    check_eq "short body: only DEST.part in the directory" \
        "$(ls -A "$NK_TMP/short")" "file.bin.part"
    if cmp -s -n $(( $(stat -c %s "$SRC") - 1000 )) "$SRC" \
        "$NK_TMP/short/file.bin.part"; then
        nk_ok "short body: DEST.part holds the bytes that came"
    else
        nk_not_ok "short body: DEST.part holds the bytes that came"
    fi
    nk_stop_server "$SERVER_PID"
fi

# The same when the server stops sending but keeps the connection: the
# client gives up after --timeout, and says so.
if fake stall; then
    get "$NK_TMP/stall" --timeout 1
    check_eq "stalled body: exit 75" "$RC" 75
    check_contains "stalled body: says why" "$ERR" \
        "timed out after $(( $(stat -c %s "$SRC") - 1000 ))"
    check_eq "stalled body: only DEST.part in the directory" \
        "$(ls -A "$NK_TMP/stall")" "file.bin.part"
    nk_stop_server "$SERVER_PID"
fi

# --continue completes it from an honest server, and the digest covers
# the whole file: a DEST.part whose kept bytes were damaged is refused.
if fake honest; then
    get "$NK_TMP/short" --continue
    check_eq "resume after short body: exit 0" "$RC" 0
    check_eq "resume after short body: resumed_from" \
        "$(printf '%s\n' "$OUT" | awk '/^resumed_from:/{print $2}')" \
        $(( $(stat -c %s "$SRC") - 1000 ))
    if cmp -s "$SRC" "$NK_TMP/short/file.bin"; then
        nk_ok "resume after short body: file equals the source"
    else
        nk_not_ok "resume after short body: file equals the source"
    fi

    mkdir -p "$NK_TMP/damaged"
    head -c 2000000 "$SRC" >"$NK_TMP/damaged/file.bin.part"
    python3 -c 'import sys
f = open(sys.argv[1], "r+b"); f.seek(1000); b = f.read(1)
f.seek(1000); f.write(bytes([b[0] ^ 1]))' "$NK_TMP/damaged/file.bin.part"
    get "$NK_TMP/damaged" --continue
    refused "resume over damaged DEST.part" "$NK_TMP/damaged" \
        "checksum mismatch"
    nk_stop_server "$SERVER_PID"
fi

nk_done

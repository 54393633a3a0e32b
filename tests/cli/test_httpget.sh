#!/usr/bin/env bash
# netkit httpget through the real binary, against loopback peers started
# here (tests/cli/httpget_peers.py): python's http.server for real replies,
# and raw peers for the failures (garbage, a short body, silence). Every
# failure must name its step and exit with its own code.
. "$(dirname "$0")/lib.sh" "$@"

PEERS="$(dirname "$0")/httpget_peers.py"
field() { printf '%s\n' "$OUT" | awk -v k="$1:" '$1 == k {print $2; exit}'; }
jqr() { printf '%s' "$OUT" | jq -r "$1"; }
# check_rc NAME WANT: the last run_nk's exit status.
check_rc() { check_eq "$1 (exit $2)" "$RC" "$2"; }
# A raw reply file from printf-style text.
reply() { printf "$2" >"$NK_TMP/$1.reply"; }

if ! nk_have "the loopback peers" python3; then
    nk_done
    exit
fi

# ---- help and usage ----
run_nk httpget --help
check_rc "--help" 0
check_contains "--help synopsis" "$OUT" "usage: netkit httpget"
check_contains "--help example" "$OUT" "examples:"
run_nk help httpget
check_contains "help httpget" "$OUT" "usage: netkit httpget"
run_nk httpget
check_rc "no URL is a usage error" 64
check_contains "no URL said" "$ERR" "netkit httpget: no URL given"
run_nk httpget http://a/ http://b/
check_rc "two URLs" 64
run_nk httpget --host 127.0.0.1 http://a/
check_rc "URL and --host" 64
run_nk httpget --port 80 http://a/
check_rc "--port without --host" 64
run_nk httpget --timeout abc http://a/
check_rc "bad --timeout" 64
run_nk httpget --bogus http://a/
check_rc "unknown option" 64
run_nk httpget --lesson --json http://a/
check_rc "--lesson with --json" 64

# ---- bad input data: 65, before any traffic ----
run_nk httpget https://127.0.0.1/
check_rc "https" 65
check_contains "https explained" "$ERR" "uses https: TLS is out of scope"
run_nk httpget ftp://127.0.0.1/
check_rc "ftp" 65
check_contains "ftp explained" "$ERR" "only http:// is supported"
run_nk httpget not-a-url
check_rc "not a URL" 65
check_contains "not a URL explained" "$ERR" "'not-a-url' is not a valid URL"
run_nk httpget --host 127.0.0.1 --port 99999
check_rc "--port out of range" 65
run_nk httpget --host 127.0.0.1 --port 0
check_rc "--port 0" 65
run_nk httpget --host 127.0.0.1 --path nope
check_rc "--path without /" 65
check_contains "--path explained" "$ERR" "path 'nope' must start with '/'"
run_nk --json httpget https://127.0.0.1/
check_json "bad URL still gives a JSON document" "$OUT"
check_eq "bad URL step in JSON" "$(jqr .step)" url

# ---- a real HTTP server: python's http.server on 127.0.0.1 ----
mkdir -p "$NK_TMP/www/sub"
printf 'hello world\n' >"$NK_TMP/www/hello.txt"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 4)' >"$NK_TMP/www/bin.dat"
head -c 1048576 /dev/urandom >"$NK_TMP/www/big.dat"
printf 'x' >"$NK_TMP/www/sub/a b.txt"

if nk_start_server www python3 "$PEERS" www "$NK_TMP/www"; then
    nk_ok "http.server ready at $SERVER_ADDR"
    WWW=$SERVER_ADDR
    WPORT=$SERVER_PORT
    WPID=$SERVER_PID
    base=http://$WWW

    run_nk httpget "$base/hello.txt"
    check_rc "200" 0
    check_eq "200 body" "$OUT" "hello world"
    check_eq "200: nothing on stderr" "$ERR" ""

    "$NK" httpget "$base/bin.dat" >"$NK_TMP/bin.got" 2>"$NK_TMP/err"
    check_eq "binary body exit" "$?" 0
    if cmp -s "$NK_TMP/www/bin.dat" "$NK_TMP/bin.got"; then nk_ok "binary body byte-identical"
    else nk_not_ok "binary body byte-identical" "$(wc -c <"$NK_TMP/bin.got") bytes"; fi

    run_nk httpget -o "$NK_TMP/big.got" "$base/big.dat"
    check_rc "1 MiB to -o" 0
    if cmp -s "$NK_TMP/www/big.dat" "$NK_TMP/big.got"; then nk_ok "1 MiB byte-identical"
    else nk_not_ok "1 MiB byte-identical"; fi
    check_eq "no .part left after success" "$(ls "$NK_TMP" | grep -c '\.part$')" 0
    check_eq "-o facts: status" "$(field status)" 200
    check_eq "-o facts: body_bytes" "$(field body_bytes)" 1048576
    check_eq "-o facts: content_length" "$(field content_length)" 1048576
    check_eq "-o facts: address" "$(field address)" "$WWW"
    check_eq "-o facts: output" "$(field output)" "$NK_TMP/big.got"
    check_eq "-o facts: saved" "$(field saved)" yes

    "$NK" httpget "$base/big.dat" >"$NK_TMP/big2.got" 2>/dev/null
    if cmp -s "$NK_TMP/www/big.dat" "$NK_TMP/big2.got"; then nk_ok "1 MiB to stdout byte-identical"
    else nk_not_ok "1 MiB to stdout byte-identical"; fi

    # A reader that goes away: exit 74 and the broken pipe said once, not
    # once by httpget and again by nk_main's stdout check.
    "$NK" httpget "$base/big.dat" 2>"$NK_TMP/epipe.err" | head -c 10 >/dev/null
    check_eq "closed stdout exits 74" "${PIPESTATUS[0]}" 74
    check_eq "closed stdout reported once" \
        "$(grep -c 'broken pipe' "$NK_TMP/epipe.err")" 1

    run_nk httpget --include "$base/hello.txt"
    check_rc "-i" 0
    check_eq "-i status line first" "$(printf '%s\n' "$OUT" | head -1)" $'HTTP/1.0 200 OK\r'
    check_contains "-i raw header" "$OUT" $'Content-Length: 12\r'
    check_eq "-i body after the blank line" "$(printf '%s\n' "$OUT" | tail -1)" "hello world"

    run_nk httpget --json "$base/hello.txt"
    check_rc "--json" 0
    check_json "--json parses" "$OUT"
    check_eq "json status" "$(jqr .status)" 200
    check_eq "json reason" "$(jqr .reason)" OK
    check_eq "json address" "$(jqr .address)" "$WWW"
    check_eq "json url" "$(jqr .url)" "$base/hello.txt"
    check_eq "json body" "$(jqr .body)" "hello world"
    check_eq "json body_encoding" "$(jqr .body_encoding)" text
    check_eq "json body_bytes" "$(jqr .body_bytes)" 12
    check_eq "json headers array" \
        "$(jqr '.headers[] | select(.name | ascii_downcase == "content-length") | .value')" 12
    check_eq "json no error key" "$(jqr 'has("error")')" false

    run_nk httpget --json "$base/bin.dat"
    check_json "binary --json parses" "$OUT"
    check_eq "binary body_encoding" "$(jqr .body_encoding)" base64
    jqr .body | base64 -d >"$NK_TMP/bin.b64" 2>/dev/null
    if cmp -s "$NK_TMP/www/bin.dat" "$NK_TMP/bin.b64"; then nk_ok "binary body exact through base64"
    else nk_not_ok "binary body exact through base64"; fi

    run_nk httpget --json -o "$NK_TMP/h.txt" "$base/hello.txt"
    check_json "--json -o parses" "$OUT"
    check_eq "--json -o: body left out" "$(jqr .body)" null
    check_eq "--json -o: output named" "$(jqr .output)" "$NK_TMP/h.txt"
    check_eq "--json -o: saved" "$(jqr .saved)" true
    check_eq "--json -o: file written" "$(cat "$NK_TMP/h.txt")" "hello world"

    run_nk httpget "$base/nosuch"
    check_rc "404" 69
    check_contains "404 named" "$ERR" "server answered 404"
    check_eq "404: no body on stdout" "$OUT" ""
    run_nk httpget -o "$NK_TMP/404.out" "$base/nosuch"
    check_rc "404 with -o" 69
    if [ -e "$NK_TMP/404.out" ] || [ -e "$NK_TMP/404.out.part" ]; then nk_not_ok "404 leaves no file"
    else nk_ok "404 leaves no file"; fi
    run_nk httpget --json "$base/nosuch"
    check_json "404 --json parses" "$OUT"
    check_eq "404 json status" "$(jqr .status)" 404
    check_eq "404 json step" "$(jqr .step)" status

    run_nk httpget --host 127.0.0.1 --port "$WPORT" --path /hello.txt
    check_rc "--host/--port/--path" 0
    check_eq "--host form body" "$OUT" "hello world"
    run_nk httpget --host localhost --port "$WPORT" --path /sub/a%20b.txt
    check_rc "localhost and a %20 path" 0
    check_eq "%20 path body" "$OUT" "x"
    run_nk httpget -o - "http://localhost:$WPORT/hello.txt"
    check_eq "-o - is stdout" "$OUT" "hello world"
    run_nk httpget -6 "http://127.0.0.1:$WPORT/hello.txt"
    check_rc "-6 with an IPv4 address" 65

    run_nk httpget -o "$NK_TMP/no/such/dir/f" "$base/hello.txt"
    check_rc "-o into a missing directory" 74
    check_contains "-o error names the file" "$ERR" "create a temporary file for $NK_TMP/no/such/dir/f: no such file or directory"

    run_nk httpget --lesson "$base/hello.txt"
    check_rc "--lesson" 0
    check_eq "--lesson: raw reply on stdout" "$(printf '%s\n' "$OUT" | head -1)" $'HTTP/1.0 200 OK\r'
    check_contains "--lesson narrates" "$ERR" "connecting to 127.0.0.1 port $WPORT"
    check_contains "--lesson: server closed" "$ERR" "the server closed the connection"

    nk_stop_server "$WPID"
    # The port just closed: nothing listens there now.
    run_nk httpget "$base/hello.txt"
    check_rc "refused port" 69
    check_contains "refused: step and cause" "$ERR" "connect $WWW: connection refused"
    run_nk httpget --lesson "$base/hello.txt"
    check_contains "refused in the recipe's words" "$ERR" "connection error: connect $WWW: connection refused"
fi

# ---- IPv6: http://[::1]:PORT/ ----
if nk_start_server www6 python3 "$PEERS" --bind ::1 www "$NK_TMP/www"; then
    run_nk httpget "http://$SERVER_ADDR/hello.txt"
    check_rc "IPv6 URL" 0
    check_eq "IPv6 body" "$OUT" "hello world"
    run_nk httpget --json --host ::1 --port "$SERVER_PORT" --path /hello.txt
    check_eq "IPv6 address in JSON" "$(jqr .address)" "$SERVER_ADDR"
    nk_stop_server "$SERVER_PID"
fi

# ---- unresolvable name: 68, no DNS traffic (.invalid answered locally) ----
run_nk httpget http://nosuch.invalid/
check_rc "unknown host" 68
check_contains "unknown host named" "$ERR" "resolve nosuch.invalid"
run_nk --json httpget http://nosuch.invalid/
check_eq "unknown host step" "$(jqr .step)" resolve
run_nk httpget --lesson http://nosuch.invalid/
check_contains "unknown host in the recipe's words" "$ERR" "address-related error connecting to server: resolve nosuch.invalid"

# ---- the request on the wire ----
reply ok 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi'
if nk_start_server okraw python3 "$PEERS" --log "$NK_TMP/req.log" raw "$NK_TMP/ok.reply"; then
    run_nk httpget "http://$SERVER_ADDR/p?q=1"
    check_eq "raw peer body" "$OUT" "hi"
    version=$("$NK" --version | awk '{print $2}')
    check_eq "request bytes" "$(cat "$NK_TMP/req.log")" "$(printf 'GET /p?q=1 HTTP/1.0\r\nHost: %s\r\nUser-Agent: netkit/%s\r\nAccept: */*\r\nConnection: close\r\n\r\n' "$SERVER_ADDR" "$version")"
    nk_stop_server "$SERVER_PID"
fi

# ---- failing peers ----
# raw_case NAME REPLY-FILE-NAME EXIT NEEDLE [httpget options]
raw_case() {
    local name=$1 file=$2 want=$3 needle=$4
    shift 4
    nk_start_server "$file" python3 "$PEERS" raw "$NK_TMP/$file.reply" || return
    run_nk httpget "$@" "http://$SERVER_ADDR/x"
    check_rc "$name" "$want"
    check_contains "$name: message" "$ERR" "$needle"
    nk_stop_server "$SERVER_PID"
}
reply garbage 'SSH-2.0-OpenSSH_9.6\r\n'
raw_case "garbage reply" garbage 76 "bogus reply: not an HTTP response (starts 'SSH-2.0-OpenSSH_9.6'"
reply badstatus 'HTTP/1.0 OK\r\n\r\n'
raw_case "status line without a code" badstatus 76 "is not 'HTTP/1.x NNN reason'"
reply http2 'HTTP/2.0 200 OK\r\n\r\n'
raw_case "HTTP/2 status line" http2 76 "unsupported version 'HTTP/2.0'"
reply badcl 'HTTP/1.0 200 OK\r\nContent-Length: 12abc\r\n\r\nhello'
raw_case "bad Content-Length" badcl 76 "content-length '12abc' is not a byte count"
reply twocl 'HTTP/1.0 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello'
raw_case "conflicting Content-Length" twocl 76 "conflicting content-length values 5 and 6"
reply chunked 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'
raw_case "chunked to HTTP/1.0" chunked 76 "transfer-encoding 'chunked'"
reply s700 'HTTP/1.0 700 Odd\r\n\r\n'
raw_case "status 700" s700 76 "status 700 is not a final HTTP status"
reply empty ''
raw_case "empty reply" empty 74 "connection closed before any reply"
reply cuthead 'HTTP/1.0 200 OK\r\nContent-Le'
raw_case "head cut short" cuthead 74 "before the end of the response head"
reply e500 'HTTP/1.0 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops'
raw_case "500" e500 69 "server answered 500 Internal Server Error"
# A server's reason phrase (obs-text allowed, control bytes refused as
# bogus) reaches stderr through netkit's one escaper: UTF-8 text kept, a
# byte that is not UTF-8 (0x9b, a C1 CSI) shown as \x9b.
reply e410 'HTTP/1.0 410 Gone \xc3\x84 \x9b\r\nContent-Length: 0\r\n\r\n'
raw_case "reason phrase escaped" e410 69 'server answered 410 Gone Ä \x9b'
python3 -c 'import sys; sys.stdout.write("HTTP/1.0 200 OK\r\nX-Big: " + "a" * 70000 + "\r\n\r\n")' >"$NK_TMP/bighead.reply"
raw_case "head over 64 KiB" bighead 76 "response head larger than 65536 bytes"

# No Content-Length: the body runs until the server closes (LF-only head).
reply noclen 'HTTP/1.0 200 OK\nX-Folded: a\n  b\n\nuntil close'
if nk_start_server noclen python3 "$PEERS" raw "$NK_TMP/noclen.reply"; then
    run_nk httpget --json "http://$SERVER_ADDR/"
    check_rc "no Content-Length, LF-only head" 0
    check_eq "body until close" "$(jqr .body)" "until close"
    check_eq "folded header joined" "$(jqr '.headers[0].value')" "a b"
    check_eq "content_length null" "$(jqr .content_length)" null
    nk_stop_server "$SERVER_PID"
fi

# A redirect is not followed: exit 0, the body, and a note.
reply redir 'HTTP/1.0 301 Moved\r\nLocation: /new\r\nContent-Length: 5\r\n\r\nmoved'
if nk_start_server redir python3 "$PEERS" raw "$NK_TMP/redir.reply"; then
    run_nk httpget "http://$SERVER_ADDR/"
    check_rc "301" 0
    check_eq "301 body" "$OUT" moved
    check_contains "301 note" "$ERR" "redirect (301) to '/new' not followed"
    nk_stop_server "$SERVER_PID"
fi

# Server closing mid-body: 74, and no -o file (nor .part) left behind.
reply short 'HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\nonly a hundred bytes or so'
if nk_start_server short python3 "$PEERS" raw "$NK_TMP/short.reply"; then
    run_nk httpget -o "$NK_TMP/short.body" "http://$SERVER_ADDR/"
    check_rc "closed mid-body" 74
    check_contains "mid-body: how much arrived" "$ERR" "receive body from $SERVER_ADDR: connection closed after 26 of 1000 bytes"
    if [ -e "$NK_TMP/short.body" ] || [ -e "$NK_TMP/short.body.part" ]; then nk_not_ok "no file left from a broken transfer"
    else nk_ok "no file left from a broken transfer"; fi
    check_eq "mid-body facts: step" "$(field step)" receive
    check_eq "mid-body facts: not saved" "$(field saved)" no
    run_nk --json httpget "http://$SERVER_ADDR/"
    check_json "mid-body --json parses" "$OUT"
    check_eq "mid-body json body_bytes" "$(jqr .body_bytes)" 26
    nk_stop_server "$SERVER_PID"
fi

# A server that stops sending mid-body: 75 within the bound.
reply stall 'HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\npartial'
if nk_start_server stall python3 "$PEERS" --hold raw "$NK_TMP/stall.reply"; then
    run_nk httpget --timeout 0.5 -o "$NK_TMP/stall.body" "http://$SERVER_ADDR/"
    check_rc "stall mid-body" 75
    check_contains "stall: step and cause" "$ERR" "receive body from $SERVER_ADDR: no data within 0.5 s"
    if [ -e "$NK_TMP/stall.body" ] || [ -e "$NK_TMP/stall.body.part" ]; then nk_not_ok "no file left after a stall"
    else nk_ok "no file left after a stall"; fi
    nk_stop_server "$SERVER_PID"
fi

# A server that accepts and never answers: 75, within a bounded time.
if nk_start_server silent python3 "$PEERS" silent; then
    t0=$(date +%s%N)
    run_nk httpget --timeout 0.5 "http://$SERVER_ADDR/"
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    check_rc "never answers" 75
    check_contains "never answers: step and cause" "$ERR" "receive response head from $SERVER_ADDR: no data within 0.5 s"
    if [ "$ms" -ge 400 ] && [ "$ms" -lt 5000 ]; then nk_ok "timeout took ${ms} ms (0.4-5 s)"
    else nk_not_ok "timeout within bounds" "took ${ms} ms"; fi
    run_nk httpget --lesson --timeout 0.3 "http://$SERVER_ADDR/"
    check_rc "never answers, lesson" 75
    check_contains "timeout in the recipe's words" "$ERR" "error receiving data: receive reply from $SERVER_ADDR: no data within 0.3 s"
    nk_stop_server "$SERVER_PID"
fi

nk_done

#!/usr/bin/env bash
# netkit fileshare serve speaks HTTP/1.1 on its own port (issue 17): real
# clients (curl, wget, python's urllib) fetch files with Range, resume and
# the Repr-Digest; directories are indexed (HTML, JSON) and redirected;
# every path rule of the line protocol refuses over HTTP too; keep-alive,
# limits, methods and logging are bounded and stated.
. "$(dirname "$0")/lib.sh" "$@"
NK=$(cd "$(dirname "$NK")" && pwd)/$(basename "$NK")
PEER="python3 $(cd "$(dirname "$0")" && pwd)/fileshare_http_peer.py"

# --- the share ---------------------------------------------------------
R=$NK_TMP/root
mkdir -p "$R/sub/deep" "$NK_TMP/outside"
echo "secret" >"$NK_TMP/outside/secret.txt"
printf 'hello, file\n' >"$R/small.txt" # 12 bytes
: >"$R/empty"
head -c $((3 * 1024 * 1024 + 7)) /dev/urandom >"$R/big.bin"
printf 'nested\n' >"$R/sub/deep/n.txt"
printf 'spaced\n' >"$R/sp ace.txt"
printf 'odd\n' >"$R/a <b>&\"q'.txt"
printf '{}\n' >"$R/data.json"
ln -s small.txt "$R/link-in"
ln -s ../outside/secret.txt "$R/link-out"
ln -s "$NK_TMP/outside/secret.txt" "$R/link-abs"
ln -s ../.. "$R/sub/dir-out"
ln -s loop2 "$R/loop1"
ln -s loop1 "$R/loop2"
mkfifo "$R/fifo"
mknod "$R/null" c 1 3 2>/dev/null
printf 'x' >"$R/.nkput-squat.part"

b64sha() {
    python3 -c 'import hashlib,base64,sys
print(base64.b64encode(hashlib.sha256(open(sys.argv[1],"rb").read()).digest()).decode())' "$1"
}
# hdr NAME FILE: a header's value from a saved head (case-insensitive).
hdr() { tr -d '\r' <"$2" | awk -v k="$1" 'BEGIN{k=tolower(k)}
    { n=index($0,":"); if (n && tolower(substr($0,1,n-1))==k) { print substr($0,n+2); exit } }'; }
# get NAME CURL-ARGS...: curl into $NK_TMP/NAME.body, head in NAME.head;
# sets CODE.
get() {
    local n=$1
    shift
    CODE=$(curl -sS --max-time 20 -o "$NK_TMP/$n.body" -D "$NK_TMP/$n.head" \
        -w '%{http_code}' "$@" 2>"$NK_TMP/$n.curlerr")
}

if ! nk_start_server fs "$NK" fileshare serve --root "$R" --port 0 \
    --bind 127.0.0.1 --header-timeout 2; then
    nk_done
    exit
fi
P=$SERVER_PORT
FS_PID=$SERVER_PID
U=http://127.0.0.1:$P
D=$NK_TMP/dl
mkdir -p "$D"

# --- GET and HEAD --------------------------------------------------------
get small "$U/small.txt"
check_eq "GET: 200" "$CODE" 200
check_eq "GET: the bytes" "$(cat "$NK_TMP/small.body")" "hello, file"
check_eq "GET: Content-Length" "$(hdr content-length "$NK_TMP/small.head")" 12
check_eq "GET: Content-Type from the name" \
    "$(hdr content-type "$NK_TMP/small.head")" "text/plain; charset=utf-8"
check_eq "GET: Repr-Digest is the file's sha-256" \
    "$(hdr repr-digest "$NK_TMP/small.head")" "sha-256=:$(b64sha "$R/small.txt"):"
check_contains "GET: Last-Modified" "$(hdr last-modified "$NK_TMP/small.head")" " GMT"
check_contains "GET: ETag is quoted" "$(hdr etag "$NK_TMP/small.head")" '"'
check_eq "GET: Accept-Ranges" "$(hdr accept-ranges "$NK_TMP/small.head")" bytes
check_eq "GET: HTTP/1.1 status line" \
    "$(head -n1 "$NK_TMP/small.head" | tr -d '\r')" "HTTP/1.1 200 OK"
ETAG=$(hdr etag "$NK_TMP/small.head")
LASTMOD=$(hdr last-modified "$NK_TMP/small.head")

# --- conditional GET (RFC 9110 13.1.2, 13.1.3, 15.4.5) ----------------------
get inm -H "If-None-Match: $ETAG" "$U/small.txt"
check_eq "If-None-Match with the ETag: 304, no body" \
    "$CODE $(cat "$NK_TMP/inm.body" 2>/dev/null | wc -c)" "304 0"
check_eq "... the 304 carries the ETag" "$(hdr etag "$NK_TMP/inm.head")" "$ETAG"
check_eq "... and no digest (nothing hashed)" "$(hdr repr-digest "$NK_TMP/inm.head")" ""
get inmw -H "If-None-Match: \"nope\", W/$ETAG" "$U/small.txt"
check_eq "If-None-Match: a list, weak comparison: 304" "$CODE" 304
get inms -H 'If-None-Match: *' "$U/small.txt"
check_eq "If-None-Match: *: 304" "$CODE" 304
get inmo -H 'If-None-Match: "nope"' "$U/small.txt"
check_eq "If-None-Match another tag: 200 and the bytes" \
    "$CODE $(cat "$NK_TMP/inmo.body")" "200 hello, file"
get inmh -I -H "If-None-Match: $ETAG" "$U/small.txt"
check_eq "HEAD with a matching If-None-Match: 304" "$CODE" 304
get inmr -r 0-3 -H "If-None-Match: $ETAG" "$U/small.txt"
check_eq "a Range with a matching If-None-Match: 304" "$CODE" 304
get ims --time-cond "$R/small.txt" "$U/small.txt"
# (curl reports 304 for a 200 older than the date too: read the head)
check_eq "curl --time-cond the file (If-Modified-Since): the server's 304" \
    "$(head -n1 "$NK_TMP/ims.head" | tr -d '\r') $(cat "$NK_TMP/ims.body" 2>/dev/null | wc -c)" \
    "HTTP/1.1 304 Not Modified 0"
get imso --time-cond "Sat, 01 Jan 2000 00:00:00 GMT" "$U/small.txt"
check_eq "If-Modified-Since an older date: 200" "$CODE" 200
get imsb -H "If-Modified-Since: yesterday" "$U/small.txt"
check_eq "If-Modified-Since not a date: ignored, 200" "$CODE" 200
get inmwins -H 'If-None-Match: "nope"' -H "If-Modified-Since: $LASTMOD" "$U/small.txt"
check_eq "If-None-Match wins over If-Modified-Since (200)" "$CODE" 200
get inmwins2 -H "If-None-Match: $ETAG" \
    -H "If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT" "$U/small.txt"
check_eq "If-None-Match wins over If-Modified-Since (304)" "$CODE" 304
curl -sS --max-time 20 -o /dev/null -o "$NK_TMP/ka304.body" -v \
    -H "If-None-Match: $ETAG" "$U/small.txt" "$U/sub/deep/n.txt" \
    2>"$NK_TMP/ka304.err"
check_eq "a 304 keeps the connection: the next request on it is served" \
    "$(grep -c 'e-using existing connection' "$NK_TMP/ka304.err") $(cat "$NK_TMP/ka304.body")" \
    "1 nested"

get big "$U/big.bin"
check_eq "GET 3 MiB: identical" "$(cmp -s "$NK_TMP/big.body" "$R/big.bin" && echo same)" same
check_eq "GET 3 MiB: digest" "$(hdr repr-digest "$NK_TMP/big.head")" \
    "sha-256=:$(b64sha "$R/big.bin"):"
get j "$U/data.json"
check_eq "GET data.json: Content-Type" "$(hdr content-type "$NK_TMP/j.head")" application/json

get head -I "$U/big.bin"
check_eq "HEAD: 200" "$CODE" 200
$PEER raw "$P" 'HEAD /big.bin HTTP/1.0\r\n\r\n' >"$NK_TMP/rawhead"
check_eq "HEAD: no body after the head" "$(wc -c <"$NK_TMP/rawhead")" \
    "$(python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); print(d.find(b"\r\n\r\n")+4)' "$NK_TMP/rawhead")"
check_eq "HEAD: Content-Length of the file" "$(hdr content-length "$NK_TMP/head.head")" \
    "$(stat -c %s "$R/big.bin")"
check_eq "HEAD: the same digest" "$(hdr repr-digest "$NK_TMP/head.head")" \
    "sha-256=:$(b64sha "$R/big.bin"):"

get empty "$U/empty"
check_eq "GET empty: 200, 0 bytes" "$CODE $(wc -c <"$NK_TMP/empty.body")" "200 0"
check_eq "GET empty: digest of nothing" "$(hdr repr-digest "$NK_TMP/empty.head")" \
    "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"

get nodig -H 'Want-Repr-Digest: sha-256=0' "$U/small.txt"
check_eq "Want-Repr-Digest sha-256=0: no digest" "$(hdr repr-digest "$NK_TMP/nodig.head")" ""
get wantdig -H 'Want-Repr-Digest: sha-256=5, sha-512=3' "$U/small.txt"
check_eq "Want-Repr-Digest sha-256=5: digest" "$(hdr repr-digest "$NK_TMP/wantdig.head")" \
    "sha-256=:$(b64sha "$R/small.txt"):"

# Compression is never applied: the bytes are the file's, digest intact.
get gz --compressed "$U/small.txt"
check_eq "Accept-Encoding gzip: identity" \
    "$(hdr content-encoding "$NK_TMP/gz.head")|$(cat "$NK_TMP/gz.body")" "|hello, file"

get sp "$U/sp%20ace.txt"
check_eq "percent-encoded name" "$CODE $(cat "$NK_TMP/sp.body")" "200 spaced"
get li "$U/link-in"
check_eq "link inside the root followed" "$CODE $(cat "$NK_TMP/li.body")" "200 hello, file"

# --- Range ---------------------------------------------------------------
# rng NAME RANGE WANT-CODE WANT-CONTENT-RANGE WANT-BODY [FILE]
rng() {
    local f=${6:-small.txt}
    get "r$1" -H "Range: $2" "$U/$f"
    check_eq "Range $1 ($2): status" "$CODE" "$3"
    check_eq "Range $1: Content-Range" "$(hdr content-range "$NK_TMP/r$1.head")" "$4"
    check_eq "Range $1: body" "$(od -An -c "$NK_TMP/r$1.body" | tr -s ' ')" \
        "$(printf '%b' "$5" | od -An -c | tr -s ' ')"
}
rng 0-0 "bytes=0-0" 206 "bytes 0-0/12" "h"
rng last "bytes=11-11" 206 "bytes 11-11/12" '\n'
rng mid "bytes=7-10" 206 "bytes 7-10/12" "file"
rng open "bytes=7-" 206 "bytes 7-11/12" 'file\n'
rng suffix "bytes=-5" 206 "bytes 7-11/12" 'file\n'
rng suffix-long "bytes=-100" 206 "bytes 0-11/12" 'hello, file\n'
rng end-past "bytes=5-999" 206 "bytes 5-11/12" ', file\n'
rng start-past "bytes=12-" 416 "bytes */12" '416 Range Not Satisfiable\n'
rng start-far "bytes=500-600" 416 "bytes */12" '416 Range Not Satisfiable\n'
rng suffix-0 "bytes=-0" 416 "bytes */12" '416 Range Not Satisfiable\n'
rng empty-file "bytes=0-0" 416 "bytes */0" '416 Range Not Satisfiable\n' empty
rng many "bytes=0-0,5-6" 200 "" 'hello, file\n'
rng overlap "bytes=0-5,3-8,0-" 200 "" 'hello, file\n'
rng bad-syntax "bytes=x-1" 200 "" 'hello, file\n'
rng reversed "bytes=5-2" 200 "" 'hello, file\n'
rng other-unit "items=0-1" 200 "" 'hello, file\n'
get r206d -H "Range: bytes=0-0" "$U/small.txt"
check_eq "206 carries the whole file's digest" "$(hdr repr-digest "$NK_TMP/r206d.head")" \
    "sha-256=:$(b64sha "$R/small.txt"):"
get rbig -r 1000000-2999999 "$U/big.bin"
check_eq "Range in a large file: exact bytes" \
    "$(cmp -s "$NK_TMP/rbig.body" <(tail -c +1000001 "$R/big.bin" | head -c 2000000) && echo same)" same

# If-Range: the range only for the copy the client has.
get ir1 -H "Range: bytes=0-0" -H "If-Range: $ETAG" "$U/small.txt"
check_eq "If-Range with the ETag: 206" "$CODE" 206
get ir2 -H "Range: bytes=0-0" -H 'If-Range: "other"' "$U/small.txt"
check_eq "If-Range with another ETag: 200 whole" "$CODE $(wc -c <"$NK_TMP/ir2.body")" "200 12"
get ir3 -H "Range: bytes=0-0" -H "If-Range: $LASTMOD" "$U/small.txt"
check_eq "If-Range with the date: 206" "$CODE" 206
get ir4 -H "Range: bytes=0-0" -H "If-Range: Thu, 01 Jan 1970 00:00:00 GMT" "$U/small.txt"
check_eq "If-Range with another date: 200" "$CODE" 200

# --- resume: curl -C - and wget -c ------------------------------------------
head -c 1000000 "$R/big.bin" >"$D/c.bin"
curl -sS --max-time 20 -C - -o "$D/c.bin" "$U/big.bin" 2>"$NK_TMP/c.err"
check_eq "curl -C -: exit 0" "$?" 0
check_eq "curl -C -: identical" "$(cmp -s "$D/c.bin" "$R/big.bin" && echo same)" same
check_contains "curl -C -: the server sent a 206" "$(cat "$NK_TMP/fs.err")" \
    "HTTP GET /big.bin: 206 Partial Content, $((3 * 1024 * 1024 + 7 - 1000000)) bytes sent"
curl -sS --max-time 20 -C - -o "$D/c.bin" "$U/big.bin" 2>"$NK_TMP/c2.err"
check_eq "curl -C - on a complete file: exit 0" "$?" 0
check_eq "curl -C - on a complete file: unchanged" \
    "$(cmp -s "$D/c.bin" "$R/big.bin" && echo same)" same

if nk_have "wget -c" wget; then
    head -c 777 "$R/big.bin" >"$D/big.bin"
    (cd "$D" && timeout 30 wget -q -c "$U/big.bin" 2>"$NK_TMP/w.err")
    check_eq "wget -c: exit 0" "$?" 0
    check_eq "wget -c: identical" "$(cmp -s "$D/big.bin" "$R/big.bin" && echo same)" same
    (cd "$D" && timeout 30 wget -c "$U/big.bin" >"$NK_TMP/w2.out" 2>&1)
    check_eq "wget -c on a complete file: exit 0" "$?" 0
    check_contains "wget -c on a complete file: nothing to do" \
        "$(cat "$NK_TMP/w2.out")" "already fully retrieved"
    check_eq "wget -c on a complete file: unchanged" \
        "$(cmp -s "$D/big.bin" "$R/big.bin" && echo same)" same
fi

# --- python urllib -------------------------------------------------------
out=$($PEER urllib "$U/big.bin" 2>&1)
check_eq "urllib: 200, bytes and digest" "$out" "$(printf '200\n-\nsha-256=:%s:\n%s' \
    "$(b64sha "$R/big.bin")" "$(sha256sum "$R/big.bin" | cut -d' ' -f1)")"
out=$($PEER urllib "$U/small.txt" "bytes=-4" 2>&1)
check_eq "urllib Range: 206" "$out" "$(printf '206\nbytes 8-11/12\nsha-256=:%s:\n%s' \
    "$(b64sha "$R/small.txt")" "$(printf 'ile\n' | sha256sum | cut -d' ' -f1)")"

# --- directories -----------------------------------------------------------
get idx "$U/"
check_eq "index: 200 text/html" "$CODE $(hdr content-type "$NK_TMP/idx.head")" \
    "200 text/html; charset=utf-8"
IDX=$(cat "$NK_TMP/idx.body")
check_contains "index: a file link" "$IDX" '<a href="./small.txt">small.txt</a>'
check_contains "index: size" "$IDX" '<td>12</td>'
check_contains "index: a directory link" "$IDX" '<a href="./sub/">sub/</a>'
check_contains "index: name escaped, link encoded" "$IDX" \
    '<a href="./a%20%3Cb%3E%26%22q%27.txt">a &lt;b&gt;&amp;&quot;q&#39;.txt</a>'
check_contains "index: space encoded" "$IDX" 'href="./sp%20ace.txt"'
check_eq "index: no script" "$(grep -ci '<script' <<<"$IDX")" 0
check_eq "index: uploads in progress hidden" "$(grep -c nkput <<<"$IDX")" 0
check_contains "index: scripts forbidden by policy" \
    "$(hdr content-security-policy "$NK_TMP/idx.head")" "default-src 'none'"
get sidx "$U/sub/"
check_contains "subdirectory index: parent link" "$(cat "$NK_TMP/sidx.body")" 'href="../"'
check_contains "subdirectory index: its entry" "$(cat "$NK_TMP/sidx.body")" 'href="./deep/"'

get json -H 'Accept: application/json' "$U/"
check_eq "JSON index: content type" "$(hdr content-type "$NK_TMP/json.head")" application/json
check_json "JSON index: valid" "$(cat "$NK_TMP/json.body")"
check_eq "JSON index: small.txt's size" \
    "$(jq -r '.entries[] | select(.name=="small.txt") | .size' "$NK_TMP/json.body")" 12
check_eq "JSON index: odd name intact" \
    "$(jq -r '.entries[] | select(.href=="./a%20%3Cb%3E%26%22q%27.txt") | .name' "$NK_TMP/json.body")" \
    "a <b>&\"q'.txt"
check_eq "JSON index: sub is a dir" \
    "$(jq -r '.entries[] | select(.name=="sub") | .type' "$NK_TMP/json.body")" dir
check_eq "JSON index: Content-Length matches" "$(hdr content-length "$NK_TMP/json.head")" \
    "$(wc -c <"$NK_TMP/json.body")"

# The deepest, most escaped directory path: its index head is the largest
# piece the server builds (each '"' is 6 bytes, twice).
q=$(printf '"%.0s' $(seq 1 200))
mkdir -p "$R/deepq/$q/$q/$q/$q"
e=$(printf '%%22%.0s' $(seq 1 200))
get qidx "$U/deepq/$e/$e/$e/$e/"
check_eq "index of a long escaped path: 200, whole" \
    "$CODE $(hdr content-length "$NK_TMP/qidx.head")" "200 $(wc -c <"$NK_TMP/qidx.body")"
check_contains "index of a long escaped path: its title" "$(cat "$NK_TMP/qidx.body")" \
    "<title>Index of /deepq/$(for i in 1 2 3 4; do printf '&quot;%.0s' $(seq 1 200); printf /; done)</title>"
check_contains "index of a long escaped path: complete" "$(cat "$NK_TMP/qidx.body")" "</html>"
get qjson -H 'Accept: application/json' "$U/deepq/$e/$e/$e/$e/"
check_json "JSON index of a long escaped path" "$(cat "$NK_TMP/qjson.body")"

get redir "$U/sub/deep"
check_eq "directory without '/': 301" "$CODE" 301
check_eq "301 Location" "$(hdr location "$NK_TMP/redir.head")" "/sub/deep/"
get follow -L "$U/sub/deep"
check_contains "curl -L lands on the index" "$(cat "$NK_TMP/follow.body")" 'href="./n.txt"'
get slashfile "$U/small.txt/"
check_eq "a file with a trailing '/': 404" "$CODE" 404

# --- every path rule over HTTP (tests/cli/test_fileshare.sh's cases) --------
# refuse NAME TARGET CODE REASON
refuse() {
    get ref --path-as-is "$U$2"
    check_eq "$1: $3" "$CODE" "$3"
    check_contains "$1: reason" "$(cat "$NK_TMP/ref.body")" "$4"
    check_eq "$1: nothing leaked" "$(grep -c secret "$NK_TMP/ref.body")" 0
}
refuse "dot-dot" "/../outside/secret.txt" 403 "'..' refused"
refuse "dot-dot inside" "/sub/../small.txt" 403 "'..' refused"
refuse "encoded dot-dot" "/%2e%2e/outside/secret.txt" 403 "'..' refused"
refuse "encoded dot-dot upper" "/%2E%2E/outside/secret.txt" 403 "'..' refused"
refuse "encoded slash dot-dot" "/sub%2f..%2f..%2foutside%2fsecret.txt" 403 "'..' refused"
refuse "double slash: absolute" "//etc/passwd" 403 "absolute path refused"
refuse "encoded absolute" "/%2fetc/passwd" 403 "absolute path refused"
refuse "link out" "/link-out" 403 "symbolic link leads out of the root"
refuse "absolute link" "/link-abs" 403 "symbolic link leads out"
refuse "dir link out" "/sub/dir-out/outside/secret.txt" 403 "symbolic link leads out"
refuse "fifo" "/fifo" 403 "not a regular file or directory"
if [ -c "$R/null" ]; then
    refuse "device" "/null" 403 "not a regular file or directory"
else
    nk_skip "device: 403" "mknod not permitted here (not root?)"
fi
refuse "control byte" "/ctl%01name" 400 "control byte in path refused"
refuse "NUL byte" "/a%00b" 400 "control byte in path refused"
refuse "bad encoding" "/a%zz" 400 "bad path encoding"
refuse "link loop" "/loop1" 404 "too many symbolic links"
refuse "reserved name" "/.nkput-squat.part" 403 "reserved name"
refuse "not found" "/nope.txt" 404 "not found"
get fifoidx "$U/"
check_contains "the server still answers after every refusal" "$CODE" 200

# --- methods, limits ---------------------------------------------------------
get post -X POST -d x "$U/small.txt"
check_eq "POST: 405" "$CODE" 405
check_eq "405 names what is allowed" "$(hdr allow "$NK_TMP/post.head")" "GET, HEAD"
get put -X PUT -d x "$U/new.txt"
check_eq "PUT without --allow-upload: 405" "$CODE" 405
check_eq "PUT stored nothing" "$(ls "$R"/new.txt 2>/dev/null | wc -l)" 0
get brew -X BREW "$U/small.txt"
check_eq "an unknown method: 501" "$CODE" 501
out=$($PEER raw "$P" 'GET /small.txt HTTP/1.1\r\n\r\n')
check_contains "HTTP/1.1 without Host: 400" "$out" "HTTP/1.1 400 Bad Request"
out=$($PEER raw "$P" 'GET /small.txt HTTP/1.0\r\n\r\n')
check_contains "HTTP/1.0: answered" "$out" "hello, file"
check_contains "HTTP/1.0: closed after" "$out" "Connection: close"
long=$(head -c 9000 /dev/zero | tr '\0' a)
out=$($PEER raw "$P" "GET /small.txt HTTP/1.1\\r\\nHost: x\\r\\nX-Big: $long\\r\\n\\r\\n")
check_contains "head over 8 KiB: 431" "$out" "HTTP/1.1 431 Request Header Fields Too Large"
t=$(head -c 4010 /dev/zero | tr '\0' b)
get longtarget "$U/$t"
check_eq "target over 4000 bytes: 414" "$CODE" 414
t=$(head -c 5000 /dev/zero | tr '\0' b)
get longline "$U/$t"
check_eq "request line over 4 KiB: an HTTP 414" "$CODE" 414
out=$($PEER raw "$P" 'GET /small.txt HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n')
check_contains "folded header: 400" "$out" "HTTP/1.1 400 Bad Request"

# --- keep-alive --------------------------------------------------------------
curl -sS --max-time 20 -o /dev/null -o /dev/null -v "$U/small.txt" "$U/empty" \
    2>"$NK_TMP/ka.err"
check_contains "curl reuses the connection" "$(cat "$NK_TMP/ka.err")" "e-using existing connection"
out=$($PEER keepalive "$P" 150 /small.txt)
check_eq "at most 100 requests on one connection" "$out" "answered 100 closed-by-server 1"
out=$($PEER idle "$P" /small.txt)
check_eq "an idle keep-alive connection is closed (--header-timeout 2)" \
    "$(awk -v s="$out" 'BEGIN{print (s >= 1.5 && s < 10) ? "bounded" : s}')" bounded

# At --max-clients, a connection idle between requests makes room for a
# new client instead of the new client getting 503.
if nk_start_server full "$NK" fileshare serve --root "$R" --port 0 \
    --bind 127.0.0.1 --max-clients 1; then
    FULLP=$SERVER_PORT
    $PEER idle "$FULLP" /small.txt >"$NK_TMP/full.idle" 2>&1 &
    IDLE_PID=$!
    for i in $(seq 1 100); do
        grep -q 'HTTP GET /small.txt: 200' "$NK_TMP/full.err" && break
        sleep 0.1
    done
    get full -H 'Connection: close' "http://127.0.0.1:$FULLP/small.txt"
    check_eq "--max-clients 1, one keep-alive idle: a new client is served" "$CODE" 200
    wait "$IDLE_PID"
    check_eq "... and the idle one was closed for it (well before 5 s)" \
        "$(awk -v s="$(cat "$NK_TMP/full.idle")" 'BEGIN{print (s < 3) ? "early" : s}')" early
    nk_stop_server "$SERVER_PID"
    SERVER_PID=$FS_PID
fi

# --- refusals in HTTP: 503 at --max-clients, 408 on silence ----------------
# A client past --max-clients is answered once its request line is in, in
# its own protocol: curl and urllib read an HTTP 503 with Retry-After.
if nk_start_server busy "$NK" fileshare serve --root "$R" --port 0 \
    --bind 127.0.0.1 --max-clients 1 --header-timeout 6; then
    BP=$SERVER_PORT
    # The one slot: a request whose head never ends (a busy thread). The
    # holder writes "connected 1" once its bytes are sent, then records
    # the first line it receives.
    python3 "$(dirname "$0")/fileshare_serve_peers.py" hold "$BP" 1 \
        'GET /small.txt HTTP/1.1\r\nHost: x\r\n' 1 20 "$NK_TMP/busy.hold" \
        >/dev/null 2>&1 &
    HOLD_PID=$!
    for i in $(seq 1 100); do
        grep -q '^connected' "$NK_TMP/busy.hold" 2>/dev/null && break
        sleep 0.1
    done
    # (the main thread hands the line to a thread at once; allow a slow
    # machine a few tries before the slot counts as taken)
    for i in $(seq 1 20); do
        get busy503 "http://127.0.0.1:$BP/small.txt"
        [ "$CODE" = 503 ] && break
        sleep 0.2
    done
    check_eq "at --max-clients: curl gets an HTTP 503" "$CODE" 503
    check_eq "... with Retry-After: 1" "$(hdr retry-after "$NK_TMP/busy503.head")" 1
    check_eq "... and Connection: close" "$(hdr connection "$NK_TMP/busy503.head")" close
    check_eq "at --max-clients: python urllib reads a 503" \
        "$($PEER status "http://127.0.0.1:$BP/small.txt")" \
        "503 retry-after=1 connection=close"
    run_nk fileshare get 127.0.0.1 small.txt --port "$BP" -o "$D/busy.txt"
    check_contains "at --max-clients: the line protocol still gets its 503" \
        "$ERR" "503 too many clients"
    for i in $(seq 1 150); do
        grep -q '^0 ' "$NK_TMP/busy.hold" 2>/dev/null && break
        sleep 0.1
    done
    check_contains "the unfinished head got an HTTP 408" \
        "$(cat "$NK_TMP/busy.hold")" "0 DATA HTTP/1.1_408_Request_Timeout"
    kill "$HOLD_PID" 2>/dev/null
    wait "$HOLD_PID" 2>/dev/null
    check_contains "refusals logged" "$(cat "$NK_TMP/busy.err")" \
        "refused: 503 too many clients"
    nk_stop_server "$SERVER_PID"
fi

# A connection that sends nothing within --header-timeout gets an HTTP 408
# (not the line protocol's, which curl reads as HTTP/0.9): curl shows it,
# and curl --retry retries it. The relay holds the request back 2 s.
relay() {
    rm -f "$NK_TMP/relay.port"
    $PEER relay "$NK_TMP/relay.port" "$1" 2 &
    RELAY_PID=$!
    for i in $(seq 1 100); do [ -s "$NK_TMP/relay.port" ] && break; sleep 0.1; done
    RU=http://127.0.0.1:$(cat "$NK_TMP/relay.port" 2>/dev/null)
}
unrelay() { kill "$RELAY_PID" 2>/dev/null; wait "$RELAY_PID" 2>/dev/null; }
if nk_start_server hto "$NK" fileshare serve --root "$R" --port 0 \
    --bind 127.0.0.1 --header-timeout 1; then
    relay "$SERVER_PORT"
    get late "$RU/small.txt"
    check_eq "silent past --header-timeout: curl reads an HTTP 408" "$CODE" 408
    check_eq "... Connection: close" "$(hdr connection "$NK_TMP/late.head")" close
    unrelay
    relay "$SERVER_PORT"
    get lateretry --retry 1 --retry-delay 1 "$RU/small.txt"
    check_eq "curl --retry retries the 408, and the retry is served" \
        "$CODE $(cat "$NK_TMP/lateretry.body")" "200 hello, file"
    unrelay
    relay "$SERVER_PORT"
    check_eq "silent past --header-timeout: urllib reads a 408" \
        "$($PEER status "$RU/small.txt")" "408 retry-after=- connection=close"
    unrelay
    nk_stop_server "$SERVER_PID"
fi
SERVER_PID=$FS_PID

# --- the line protocol on the same port ------------------------------------
run_nk fileshare get 127.0.0.1 small.txt --port "$P" -o "$D/lp.txt"
check_eq "line protocol unchanged on the same port" "$RC $(cat "$D/lp.txt")" "0 hello, file"

# --- logging -------------------------------------------------------------------
LOG=$(cat "$NK_TMP/fs.err")
check_contains "log: a GET" "$LOG" "HTTP GET /small.txt: 200 OK, 12 bytes sent"
check_contains "log: a HEAD" "$LOG" "HTTP HEAD /big.bin: 200 OK"
check_contains "log: a refusal" "$LOG" "HTTP GET /../outside/secret.txt: 403 '..' refused"
check_contains "log: an encoded name" "$LOG" "HTTP GET /sp%20ace.txt: 200 OK"
check_contains "log: a 416" "$LOG" "HTTP GET /small.txt: 416 Range Not Satisfiable"
check_eq "log: no raw control byte" "$(grep -c "$(printf '\001')" "$NK_TMP/fs.err")" 0

# --- a browser: headless Chromium shows the index, a click downloads -------
# (Debian's python3 is the one with python3-websocket.)
BPY=/usr/bin/python3
if nk_have "browser: index and a click" chromium tesseract &&
    { $BPY -c 'import websocket' 2>/dev/null ||
        { nk_skip "browser: index and a click" "python3-websocket not installed"; false; }; }; then
    B=$NK_TMP/browser
    mkdir -p "$B"
    timeout 120 $BPY "$(dirname "$0")/fileshare_http_browser.py" \
        "$(command -v chromium)" "$U/" "$B" big.bin >"$B/out" 2>&1
    check_eq "browser: the page loaded, the link clicked, the file came" \
        "$(awk '{print $1}' "$B/out" | tr '\n' ' ')" "screenshot clicked downloaded "
    # What the screenshot shows, read back with OCR (spaces ignored: OCR
    # splits "small.txt" as "small. txt" at times).
    tesseract "$B/index.png" "$B/ocr" >/dev/null 2>&1
    OCR=$(tr -d ' ' <"$B/ocr.txt" 2>/dev/null)
    for want in "Indexof/" "big.bin" "small.txt" "data.json" "sub/" "3145735"; do
        check_contains "browser screenshot shows $want" "$OCR" "$want"
    done
    check_eq "browser: the clicked download is the file" \
        "$(cmp -s "$B/dl/big.bin" "$R/big.bin" && echo same)" same
    check_contains "browser: the click's GET logged" "$(cat "$NK_TMP/fs.err")" \
        "HTTP GET /big.bin: 200 OK, 3145735 bytes sent"
    # A reload (F5) revalidates the cached file: the server answers 304.
    mkdir -p "$B/reload"
    timeout 120 $BPY "$(dirname "$0")/fileshare_http_browser.py" \
        "$(command -v chromium)" "$U/sub/deep/n.txt" "$B/reload" --reload \
        >"$B/reload.out" 2>&1
    check_eq "browser: the page shown, then reloaded" \
        "$(tr '\n' ' ' <"$B/reload.out")" "status 200 status 200 "
    check_eq "browser: the reload was answered 304 Not Modified" \
        "$(grep -c 'HTTP GET /sub/deep/n.txt: 304 Not Modified' "$NK_TMP/fs.err")" 1
fi

# --- the client: netkit fileshare get http://... ----------------------------
C=$NK_TMP/client
mkdir -p "$C"
run_nk fileshare get "$U/big.bin" -o "$C/"
check_eq "get http:// from netkit: exit 0" "$RC" 0
check_eq "get http://: identical" "$(cmp -s "$C/big.bin" "$R/big.bin" && echo same)" same
check_contains "get http://: verified against Repr-Digest" "$OUT" "verified: yes"
run_nk fileshare get "$U/sp%20ace.txt" -o "$C/" --json
check_eq "get http:// encoded name: saved decoded" "$RC $(cat "$C/sp ace.txt")" "0 spaced"
check_eq "get http:// --json verified" "$(jq -r .verified <<<"$OUT")" true
head -c 123456 "$R/big.bin" >"$C/big2.bin.part"
run_nk fileshare get "$U/big.bin" -o "$C/big2.bin" --continue
check_eq "get http:// --continue: exit 0" "$RC" 0
check_eq "get http:// --continue: identical" \
    "$(cmp -s "$C/big2.bin" "$R/big.bin" && echo same)" same
check_contains "get http:// --continue: resumed" "$OUT" "resumed_from: 123456"
check_contains "get http:// --continue: the server sent only the rest" \
    "$(cat "$NK_TMP/fs.err")" "206 Partial Content, $((3 * 1024 * 1024 + 7 - 123456)) bytes sent"
cp "$R/small.txt" "$C/done.txt.part"
run_nk fileshare get "$U/small.txt" -o "$C/done.txt" --continue
check_eq "get http:// --continue of a complete file: exit 0, same bytes" \
    "$RC $(cat "$C/done.txt")" "0 hello, file"
check_contains "... and says it could not verify" "$ERR" "not verified"
printf 'hello, file\nmore than the file' >"$C/long.txt.part"
run_nk fileshare get "$U/small.txt" -o "$C/long.txt" --continue
check_eq "get http:// --continue, partial longer than the file: starts over" \
    "$RC $(cat "$C/long.txt")" "0 hello, file"
run_nk fileshare get "$U/sub/deep" -o "$C/deep.html"
check_eq "get http:// follows a 301" "$RC" 0
check_contains "get http:// 301: the index" "$(cat "$C/deep.html")" 'href="./n.txt"'
run_nk fileshare get "$U/nope.txt" -o "$C/"
check_eq "get http:// 404: exit 69" "$RC" 69
check_contains "get http:// 404: said" "$ERR" "/nope.txt does not exist on 127.0.0.1"
check_eq "get http:// 404: nothing written" "$(ls "$C" | grep -c nope)" 0
run_nk fileshare get "$U/link-out" -o "$C/"
check_eq "get http:// 403: exit 77" "$RC" 77
run_nk fileshare get "https://127.0.0.1:$P/small.txt" -o "$C/"
check_eq "get https://: usage error" "$RC" 64
run_nk fileshare get "$U/small.txt" extra -o "$C/"
check_eq "get URL PATH: usage error" "$RC" 64

# list http://: the index's links, names decoded, directories marked.
run_nk fileshare list "$U/" --json
check_eq "list http:// netkit: exit 0" "$RC" 0
check_json "list http:// --json" "$OUT"
check_eq "list http://: an odd name decoded" \
    "$(jq -r '.entries[] | select(.name=="a <b>&\"q'"'"'.txt") | .type' <<<"$OUT")" file
check_eq "list http://: a directory" "$(jq -r '.entries[] | select(.name=="sub") | .type' <<<"$OUT")" dir
check_eq "list http://: every entry, no parent link" "$(jq -r .count <<<"$OUT")" \
    "$(ls -A "$R" | grep -vc '^\.nkput-')"
run_nk fileshare list "$U/sub"
check_contains "list http:// without '/': redirected, deep listed" "$OUT" "name: deep"
run_nk fileshare list "$U/nope/"
check_eq "list http:// 404: 69" "$RC" 69

# Misbehaving servers: a 206 for another range, a lying digest, a cut.
fake() {
    rm -f "$NK_TMP/fake.port"
    $PEER fake "$NK_TMP/fake.port" "$1" &
    FAKE_PID=$!
    for i in $(seq 1 100); do [ -s "$NK_TMP/fake.port" ] && break; sleep 0.1; done
    FP=$(cat "$NK_TMP/fake.port" 2>/dev/null)
}
unfake() { kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null; }
fake bad206
printf 'hello' >"$C/w.bin.part"
run_nk fileshare get "http://127.0.0.1:$FP/w.bin" -o "$C/w.bin" --continue
check_eq "a 206 for another range: refused (76)" "$RC" 76
check_contains "a 206 for another range: said" "$ERR" "refusing to splice"
check_eq "a 206 for another range: no w.bin" "$(ls "$C" | grep -c '^w.bin$')" 0
check_eq "a 206 for another range: the partial data kept" "$(cat "$C/w.bin.part" 2>/dev/null)" hello
unfake
fake baddigest
run_nk fileshare get "http://127.0.0.1:$FP/d.bin" -o "$C/"
check_eq "a Repr-Digest that does not match: 76" "$RC" 76
check_contains "... checksum mismatch said" "$ERR" "checksum mismatch"
check_eq "... nothing saved" "$(ls -A "$C" | grep -c 'd\.bin')" 0
unfake
fake short
run_nk fileshare get "http://127.0.0.1:$FP/s.bin" -o "$C/"
check_eq "a body cut short: 74" "$RC" 74
check_eq "a body cut short: kept as s.bin.part" "$(cat "$C/s.bin.part" 2>/dev/null)" 0123456789
unfake
fake loop
run_nk fileshare get "http://127.0.0.1:$FP/l.bin" -o "$C/"
check_eq "a redirect loop: bounded, 76" "$RC" 76
check_contains "a redirect loop: said" "$ERR" "more than 5 redirects"
unfake

nk_stop_server "$SERVER_PID"
check_eq "server stops cleanly" "$STOP_STATUS" 0

# --- PUT with --allow-upload: the line protocol's rules and digest check ----
UR=$NK_TMP/upload
mkdir -p "$UR/in"
if nk_start_server up "$NK" fileshare serve --root "$UR" --port 0 \
    --bind 127.0.0.1 --allow-upload; then
    UU=http://127.0.0.1:$SERVER_PORT
    DG="sha-256=:$(b64sha "$R/big.bin"):"
    get put1 -T "$R/big.bin" -H "Repr-Digest: $DG" "$UU/in/big.bin"
    check_eq "PUT with its digest: 201" "$CODE" 201
    check_eq "PUT: stored identical" "$(cmp -s "$UR/in/big.bin" "$R/big.bin" && echo same)" same
    check_eq "PUT: the stored file's digest answered" "$(hdr repr-digest "$NK_TMP/put1.head")" "$DG"
    get put2 -T "$R/small.txt" -H "Content-Digest: $DG" "$UU/in/s.txt"
    check_eq "PUT with another file's digest: 422" "$CODE" 422
    check_eq "PUT 422: nothing stored, no temporary left" "$(ls -A "$UR/in" | tr '\n' ' ')" "big.bin "
    get put3 -T "$R/small.txt" "$UU/in/s.txt"
    check_eq "PUT without a digest: 400" "$CODE" 400
    check_contains "PUT without a digest: said" "$(cat "$NK_TMP/put3.body")" "PUT needs Content-Digest"
    get put4 -T "$R/big.bin" -H "Repr-Digest: $DG" "$UU/in/big.bin"
    check_eq "PUT over an existing file: 409" "$CODE" 409
    get put5 --path-as-is -T "$R/small.txt" \
        -H "Repr-Digest: sha-256=:$(b64sha "$R/small.txt"):" "$UU/../escape.txt"
    check_eq "PUT ..: 403" "$CODE" 403
    check_eq "PUT ..: nothing outside" "$(ls "$NK_TMP"/escape.txt 2>/dev/null | wc -l)" 0
    get put6 -T "$R/small.txt" -H "Repr-Digest: sha-256=:$(b64sha "$R/small.txt"):" \
        "$UU/in/.nkput-x.part"
    check_eq "PUT of a reserved name: 403" "$CODE" 403
    get put7 -X POST -d x "$UU/in/p"
    check_eq "POST with --allow-upload: still 405" "$CODE" 405
    check_contains "PUT logged" "$(cat "$NK_TMP/up.err")" \
        "HTTP PUT /in/big.bin: 201 Created, 3145735 of 3145735 bytes received"
    nk_stop_server "$SERVER_PID"
fi

# --- the client against python3 -m http.server ------------------------------
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
PY=$NK_TMP/py
mkdir -p "$PY"
PP=$(free_port)
(cd "$R" && exec timeout 120 python3 -m http.server "$PP" --bind 127.0.0.1 \
    >"$NK_TMP/py.log" 2>&1) &
PYPID=$!
for i in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$PP/" && break
    sleep 0.1
done
run_nk fileshare get "http://127.0.0.1:$PP/big.bin" -o "$PY/"
check_eq "get from python http.server: exit 0" "$RC" 0
check_eq "get from python http.server: identical" \
    "$(cmp -s "$PY/big.bin" "$R/big.bin" && echo same)" same
check_contains "get from python http.server: says it cannot verify" "$ERR" \
    "netkit fileshare get: not verified: 127.0.0.1 sent no Repr-Digest"
check_contains "get from python http.server: verified no" "$OUT" "verified: no"
head -c 5000 "$R/big.bin" >"$PY/b2.bin.part"
run_nk fileshare get "http://127.0.0.1:$PP/big.bin" -o "$PY/b2.bin" --continue
check_eq "python http.server ignores Range: exit 0" "$RC" 0
check_contains "python http.server ignores Range: starts over, said" "$ERR" \
    "ignored the range (200, the whole file): starting over"
check_eq "python http.server ignores Range: identical" \
    "$(cmp -s "$PY/b2.bin" "$R/big.bin" && echo same)" same
run_nk fileshare get "http://127.0.0.1:$PP/sub" -o "$PY/sub.html"
check_eq "python http.server's 301 followed" "$RC" 0
run_nk fileshare list "http://127.0.0.1:$PP/" --json
check_eq "list http:// python: odd name and dir" \
    "$(jq -r '.entries[] | select(.name=="a <b>&\"q'"'"'.txt" or .name=="sub") | .type' <<<"$OUT" | sort | tr '\n' ' ')" \
    "dir file "
kill "$PYPID" 2>/dev/null
wait "$PYPID" 2>/dev/null

# --- the client against nginx ---------------------------------------------------
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if nk_have "get from nginx" "$NGINX"; then
    NG=$NK_TMP/ngx
    mkdir -p "$NG/dl"
    NP=$(free_port)
    cat >"$NG/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $NG/nginx.pid;
error_log $NG/error.log;
events { worker_connections 64; }
http {
    access_log off;
    sendfile on;
    client_body_temp_path $NG/body;
    proxy_temp_path $NG/proxy;
    fastcgi_temp_path $NG/fcgi;
    uwsgi_temp_path $NG/uwsgi;
    scgi_temp_path $NG/scgi;
    types { text/plain txt; }
    server {
        listen 127.0.0.1:$NP;
        root $R;
        autoindex on;
    }
}
CONF
    timeout 120 "$NGINX" -c "$NG/nginx.conf" -p "$NG" 2>"$NG/stderr" &
    NGPID=$!
    for i in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$NP/" && break
        sleep 0.1
    done
    run_nk fileshare get "http://127.0.0.1:$NP/big.bin" -o "$NG/dl/"
    check_eq "get from nginx: exit 0" "$RC" 0
    check_eq "get from nginx: identical" \
        "$(cmp -s "$NG/dl/big.bin" "$R/big.bin" && echo same)" same
    check_contains "get from nginx: says it cannot verify" "$ERR" "not verified"
    head -c 2000000 "$R/big.bin" >"$NG/dl/c.bin.part"
    run_nk fileshare get "http://127.0.0.1:$NP/big.bin" -o "$NG/dl/c.bin" --continue
    check_eq "get --continue from nginx: exit 0" "$RC" 0
    check_contains "get --continue from nginx: resumed (206)" "$OUT" "resumed_from: 2000000"
    check_contains "get --continue from nginx: only the rest came" "$OUT" \
        "received: $((3 * 1024 * 1024 + 7 - 2000000))"
    check_eq "get --continue from nginx: identical" \
        "$(cmp -s "$NG/dl/c.bin" "$R/big.bin" && echo same)" same
    run_nk fileshare get "http://127.0.0.1:$NP/sub" -o "$NG/dl/sub.html"
    check_eq "nginx's 301 (absolute Location) followed" "$RC" 0
    check_contains "nginx's 301: its index" "$(cat "$NG/dl/sub.html")" 'deep/'
    run_nk fileshare list "http://127.0.0.1:$NP/" --json
    check_eq "list http:// nginx: big.bin, sub/" \
        "$(jq -r '.entries[] | select(.name=="big.bin" or .name=="sub") | .type' <<<"$OUT" | sort | tr '\n' ' ')" \
        "dir file "
    kill "$NGPID" 2>/dev/null
    wait "$NGPID" 2>/dev/null
fi
nk_done

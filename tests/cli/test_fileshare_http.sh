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

nk_stop_server "$SERVER_PID"
check_eq "server stops cleanly" "$STOP_STATUS" 0
nk_done

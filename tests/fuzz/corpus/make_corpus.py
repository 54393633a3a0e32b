#!/usr/bin/env python3
"""Write the fuzz targets' seed corpora: tests/fuzz/corpus/<target>/<name>.

Each seed is a small real input of the target's parser (an SNTP reply, a
fileshare request line, an HTTP response head, a chat line, an address, a
URL, a JSON string, a number), so each run starts inside the accepting
paths instead of having to guess its way in. The files are committed; run
this script again after changing a seed here (it rewrites every file and
removes the ones it no longer writes). tests/fuzz/CMakeLists.txt gives the
directories to libFuzzer read-only (the run writes into a scratch dir).
"""
import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def ntp(secs, frac=0):
    return struct.pack(">II", secs & 0xFFFFFFFF, frac)


def sntp(leap=0, version=4, mode=4, stratum=2, poll=6, precision=-20,
         delay=0x10, disp=0x20, refid=b"\xc0\x00\x02\x01", ref=None,
         orig=b"\0" * 8, recv=None, xmit=None):
    """A 48-byte SNTP header, field by field (RFC 5905 figure 8)."""
    t = ntp(0xEC000000, 0x12345678)
    return (bytes([leap << 6 | version << 3 | mode, stratum,
                   poll & 0xFF, precision & 0xFF])
            + struct.pack(">II", delay, disp) + refid
            + (ref or t) + orig + (recv or t) + (xmit or t))


# fuzz_sntp: the first 8 bytes are the origin the client expects (the
# cookie it sent as its transmit timestamp), the packet follows.
COOKIE = bytes.fromhex("8a5c3e1f0b9d2746")
SNTP = {
    "reply-ok": COOKIE + sntp(orig=COOKIE),
    "reply-v3": COOKIE + sntp(version=3, orig=COOKIE),
    "reply-bad-origin": COOKIE + sntp(orig=bytes.fromhex("8a5c3e1f0b9d2747")),
    "reply-origin-zero": COOKIE + sntp(),
    "kod-rate": COOKIE + sntp(leap=3, stratum=0, refid=b"RATE", orig=COOKIE),
    "kod-deny": COOKIE + sntp(leap=3, stratum=0, refid=b"DENY", orig=COOKIE),
    "kod-forged": COOKIE + sntp(leap=3, stratum=0, refid=b"RSTR"),
    "reply-unsync-leap": COOKIE + sntp(leap=3, orig=COOKIE),
    "reply-stratum-16": COOKIE + sntp(stratum=16, orig=COOKIE),
    "reply-no-xmit": COOKIE + sntp(orig=COOKIE, xmit=b"\0" * 8),
    "reply-mode-5": COOKIE + sntp(mode=5, orig=COOKIE),
    "reply-version-0": COOKIE + sntp(version=0, orig=COOKIE),
    "reply-version-5": COOKIE + sntp(version=5, orig=COOKIE),
    "reply-extension": COOKIE + sntp(orig=COOKIE) + bytes(20),
    "short-47": COOKIE + sntp(orig=COOKIE)[:47],
    "request-client": COOKIE + sntp(mode=3, stratum=0, poll=0, precision=0,
                                    delay=0, disp=0, refid=bytes(4),
                                    ref=bytes(8), recv=bytes(8), xmit=COOKIE),
    "request-v1": COOKIE + sntp(version=1, mode=3, stratum=0, xmit=COOKIE),
    "request-control": COOKIE + sntp(mode=6, stratum=0),
    "request-private": COOKIE + sntp(mode=7, stratum=0),
}

SHA = hashlib.sha256(b"a report\n").hexdigest()
# fuzz_fileshare: the request parser (and the reply head reader) see the
# whole input; the resolver takes four NUL-separated link targets (l1, l2,
# l3, a/up), then a path.
FILESHARE = {
    "get": b"GET a/f\n",
    "get-offset": b"GET docs/report.txt 4\n",
    "get-encoded": b"GET sp%20ace.txt\n",
    "list-root": b"LIST\n",
    "list-dir": b"LIST docs\n",
    "put": b"PUT up/new.bin 9 " + SHA.encode() + b"\n",
    "get-dotdot": b"GET ../secret\n",
    "get-absolute": b"GET /etc/passwd\n",
    "get-control": b"GET ctl%01name\n",
    "unknown-verb": b"DELETE a/f\n",
    "resolve-link-in": b"a/f\0b\0../a\0../b/self\0l1",
    "resolve-link-up": b"a\0a/../b\0/etc\0..\0a/up/self/self",
    "resolve-link-out": b"../..\0../../x\0/\0../../..\0l2/f",
    "resolve-deep": b"a\0b\0a\0b\0b/self/self/self/./self/../self",
    # reply heads, as the client reads them
    "reply-get": b"200 ok\ntype: file\nsize: 9\noffset: 0\nlength: 9\n"
                 b"sha256: " + SHA.encode() + b"\n\na report\n",
    "reply-get-crlf": b"200 ok\r\ntype: file\r\nsize: 9\r\noffset: 4\r\n"
                      b"length: 5\r\nsha256: " + SHA.encode() + b"\r\n\r\nport\n",
    "reply-list": b"200 ok\ntype: dir\nentries: 1\nlength: 18\n"
                  b"truncated: no\n\nfile 9 report.txt\n",
    "reply-404": b"404 not found\n\n",
    "reply-100": b"100 send the data\n\n",
}

# fuzz_http: response heads as servers send them (the byte 0 also seeds
# the chunking of the second feed).
HTTP = {
    "200-length": b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                  b"Content-Length: 5\r\n\r\nhello",
    "200-no-length": b"HTTP/1.1 200 OK\r\nServer: test\r\n"
                     b"Connection: close\r\n\r\nbody until close",
    "301": b"HTTP/1.1 301 Moved Permanently\r\n"
           b"Location: http://127.0.0.1:8080/new\r\nContent-Length: 0\r\n\r\n",
    "404": b"HTTP/1.0 404 Not Found\r\n\r\n",
    "bare-lf": b"HTTP/1.0 200 OK\nContent-Length: 2\n\nok",
    "no-reason": b"HTTP/1.1 204 \r\n\r\n",
    "folded": b"HTTP/1.0 200 OK\r\nX-Long: one\r\n two\r\n\r\n",
    "bad-length": b"HTTP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n",
    "two-lengths": b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n"
                   b"Content-Length: 4\r\n\r\n",
    "length-only": b"12345",
}

# fuzz_chat: byte 0 picks the assembler's bound (>= 128: the real one,
# else 1-16 bytes), then the bytes as a client sends them.
CHAT = {
    "lines": b"\x80hello everyone\n/nick bob\n/me waves\n/who\n/help\n",
    "quit": b"\x80see you\n/quit\n",
    "bye": b"\x80bye\nbye bye\ntata\n",
    "utf8": "\x80h\u00e9llo \u2713 \U0001F600\n".encode(),
    "controls": b"\x80a\x1b[31mred\x1b[0m\tb\x7f\xc2\x85\r\n",
    "crlf": b"\x80one\r\ntwo\r\n",
    "slash-slash": b"\x80//not a command\n",
    "nick-bad": b"\x80/nick a b\n/nick \xff\n/nick\n",
    "small-bound": b"\x05a longer line than the bound\nx\n",
    "no-newline": b"\x80unfinished",
}

IPADDR = {
    "v4": b"127.0.0.1",
    "v6-loopback": b"::1",
    "v6-doc": b"2001:db8::1",
    "v6-full": b"2001:0db8:0000:0000:0000:ff00:0042:8329",
    "v6-zone": b"fe80::1%eth0",
    "v4-mapped": b"::ffff:192.0.2.1",
    "v4-compat": b"::192.0.2.1",
    "v4-lax-hex": b"0x7f.1",
    "v4-lax-short": b"10.1",
    "v4-lax-octal": b"0300.0250.01.01",
    "int": b"3232235777",
    "hex4": b"c0a80101",
    "hex16": b"20010db8000000000000000000000001",
    "v6-two-runs": b"1:0:0:2:0:0:0:3",
    "raw16": bytes(range(16)),
}

URL = {
    "http": b"http://example.invalid/",
    "port-path-query": b"http://127.0.0.1:8080/path/to?q=1&r=2",
    "v6": b"http://[::1]:80/x",
    "v6-zone": b"http://[fe80::1%25lo]/",
    "no-path": b"http://h",
    "query-no-path": b"http://h?q",
    "https": b"https://www.example.invalid:443/a%20b",
    "userinfo": b"http://user:pw@h.invalid/",
    "bare": b"example.invalid/path",
    "bad-port": b"http://h:99999/",
}

JSON = {
    "plain": b"plain text",
    "escapes": b'quote " back \\ slash / tab \t nl \n',
    "controls": bytes(range(0, 32)) + b"\x7f",
    "utf8": "h\u00e9llo \u2713 \U0001F600 \u2028".encode(),
    "c1": b"\xc2\x80\xc2\x85\xc2\x9f",
    "invalid": b"\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82 \xff",
    "empty": b"",
}

PARSE = {
    "zero": b"0",
    "port": b"8080",
    "port-max": b"65535",
    "port-over": b"65536",
    "u64-max": b"18446744073709551615",
    "u64-over": b"18446744073709551616",
    "seconds-frac": b"1.5",
    "seconds-ms": b"0.001",
    "seconds-day": b"86400",
    "negative": b"-1",
    "space": b" 7",
    "exp": b"1e3",
    "hex": b"0x10",
    "leading-zero": b"007",
}

# fuzz_http_server: request heads as clients send them, Range specs,
# dates (each input is tried as all three).
HTTP_SERVER = {
    "get": b"GET /a%20b.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=0-0\r\n\r\n",
    "head-10": b"HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "if-range": b"GET /f HTTP/1.1\r\nHost: x\r\nRange: bytes=-5\r\n"
                b"If-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n",
    "json": b"GET /d/ HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n"
            b"Want-Repr-Digest: sha-256=0\r\n\r\n",
    "dotdot": b"GET /%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
    "folded": b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
    "put": b"PUT /n HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n",
    "ranges": b"bytes=0-0,5-6,-3",
    "suffix": b"bytes=-100",
    "date": b"Sun, 06 Nov 1994 08:49:37 GMT",
    "content-range": b"bytes 7-11/12",
    "repr-digest": b"sha-512=:YWJj:, sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:",
    "index": b'<a href="../">../</a><a href="./a%20b">a b</a><a href=\'d/\'>d/</a>',
}

# fuzz_probe: 8 bytes of nonce, 4 of sequence number, then a reply (a
# probe as echo-udp fills it, or bytes that are not one); the same reply
# bytes script the sequence window.
PROBE_NONCE = bytes.fromhex("0123456789abcdef")


def probe(seq, length, nonce=PROBE_NONCE):
    """An echo probe: "NKUE", sequence, nonce, pattern (proto/probe.c)."""
    head = b"NKUE" + struct.pack(">I", seq) + nonce
    body = bytes((i * 31 + seq * 7 + 0x5A) & 0xFF
                 for i in range(len(head), length))
    return (head + body)[:length] if length >= 16 else bytes(
        (i * 31 + seq * 7 + 0x5A) & 0xFF for i in range(length))


PROBE = {
    "probe-16": PROBE_NONCE + struct.pack(">I", 7) + probe(7, 16),
    "probe-64": PROBE_NONCE + struct.pack(">I", 7) + probe(7, 64),
    "probe-short": PROBE_NONCE + struct.pack(">I", 3) + probe(3, 8),
    "other-nonce": PROBE_NONCE + struct.pack(">I", 7)
    + probe(7, 32, bytes(8)),
    "window-script": PROBE_NONCE + struct.pack(">I", 0)
    + bytes([4, 0, 0, 0, 2, 6, 3, 0x83, 2, 0, 0, 0, 0, 0xff]),
}

# fuzz_activate: a count byte, then LISTEN_FDNAMES (and, split at a NUL,
# LISTEN_PID and LISTEN_FDS).
ACTIVATE = {
    "two-names": b"\x02web:ntp",
    "unknown": b"\x01unknown",
    "pid-fds": b"\x0142\x002",
    "too-many": b"\x0142\x0017",
    "empty-name": b"\x03a::b",
}

# fuzz_fileshare_head: the client's response heads (line protocol).
FILESHARE_HEAD = {
    "ok": b"200 ok\nsize: 12\nsha256: " + b"e3b0c44298fc1c149afbf4c8996fb924"
    b"27ae41e4649b934ca495991b7852b855\n\n",
    "crlf": b"206 partial\r\nsize: 100\r\noffset: 10\r\nlength: 90\r\n\r\nbody",
    "list": b"200 listing\nentries: 3\ntruncated: yes\n\n",
    "refused": b"404 not found\n\n",
}

CORPORA = {
    "fuzz_activate": ACTIVATE,
    "fuzz_http_server": HTTP_SERVER,
    "fuzz_sntp": SNTP, "fuzz_fileshare": FILESHARE, "fuzz_http": HTTP,
    "fuzz_chat": CHAT, "fuzz_ipaddr": IPADDR, "fuzz_url": URL,
    "fuzz_json": JSON, "fuzz_parse": PARSE,
    "fuzz_probe": PROBE,
    "fuzz_fileshare_head": FILESHARE_HEAD,
}


def main():
    for target, seeds in CORPORA.items():
        d = os.path.join(HERE, target)
        os.makedirs(d, exist_ok=True)
        for old in os.listdir(d):
            if old not in seeds:
                os.unlink(os.path.join(d, old))
        for name, data in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())

/* HTTP/1.1 server side, pure: request heads, ranges, dates, base64,
 * content types and directory indexes. See include/netkit/http_server.h. */
#include "netkit/http_server.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "netkit/out.h"

#define U63_MAX ((UINT64_C(1) << 63) - 1)

/* --- the request line and header lines ---------------------------------- */

static int is_tchar(unsigned char c);

int
nk_hs_is_http(const char *line, size_t len)
{
    static const char v[] = " HTTP/1.";

    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len < sizeof v)
        return 0;
    line += len - sizeof v;
    return memcmp(line, v, sizeof v - 1) == 0 &&
           (line[sizeof v - 1] == '0' || line[sizeof v - 1] == '1');
}

int
nk_hs_looks_http(const char *buf, size_t len)
{
    size_t i = 0;

    while (i < len && i < 16 && is_tchar((unsigned char)buf[i]))
        i++;
    return i > 0 && i + 1 < len && buf[i] == ' ' && buf[i + 1] == '/';
}

int
nk_hs_build_drop(char *buf, size_t size, int code, const char *why)
{
    int body = snprintf(NULL, 0, "%d %s\n", code, why);
    int n = snprintf(buf, size,
                     "HTTP/1.1 %d %s\r\nServer: netkit\r\n"
                     "Connection: close\r\n"
                     "Content-Type: text/plain; charset=utf-8\r\n%s"
                     "Content-Length: %d\r\n\r\n%d %s\n",
                     code, nk_hs_reason(code),
                     code == 503 ? "Retry-After: 1\r\n" : "", body, code, why);

    return n < 0 || (size_t)n >= size ? -1 : n;
}

size_t
nk_hs_head_end(const char *buf, size_t len)
{
    return nk_fs_head_end(buf, len);
}

static int
bad(char *reason, int code, const char *text)
{
    snprintf(reason, NK_FS_REASON_MAX + 1, "%s", text);
    return code;
}

static int
is_tchar(unsigned char c)
{
    return isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static enum nk_hs_method
method_of(const char *m)
{
    static const char *const known[] = {"POST",    "DELETE", "OPTIONS",
                                        "CONNECT", "TRACE",  "PATCH"};

    if (strcmp(m, "GET") == 0)
        return NK_HS_GET;
    if (strcmp(m, "HEAD") == 0)
        return NK_HS_HEAD;
    if (strcmp(m, "PUT") == 0)
        return NK_HS_PUT;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(m, known[i]) == 0)
            return NK_HS_KNOWN;
    return NK_HS_OTHER;
}

/* The target: origin-form only ("/path[?query]"). */
static int
parse_target(const char *t, size_t n, struct nk_hs_request *r, char *reason)
{
    const char *q = memchr(t, '?', n);
    char dec[NK_FS_PATH_MAX + 2];
    int d;

    if (n > NK_HS_TARGET_MAX)
        return bad(reason, 414, "request target too long");
    if (n == 0 || t[0] != '/')
        return bad(reason, 400, "request target must start with '/'");
    if (q != NULL)
        n = (size_t)(q - t);
    memcpy(r->target, t, n);
    r->target[n] = '\0';
    if (memchr(t, '#', n) != NULL)
        return bad(reason, 400, "fragment in request target");
    d = nk_fs_decode(t, n, dec, sizeof dec);
    if (d < 0)
        return bad(reason, 400, "bad path encoding");
    r->dir_slash = dec[d - 1] == '/';
    if (d == 1) {
        r->path[0] = '.';
        r->path_len = 1;
    } else if ((size_t)d - 1 > NK_FS_PATH_MAX) {
        return bad(reason, 414, "path too long");
    } else {
        memcpy(r->path, dec + 1, (size_t)d - 1);
        r->path_len = (size_t)d - 1;
        r->path[r->path_len] = '\0';
    }
    return 0;
}

static int
parse_request_line(const char *l, size_t n, struct nk_hs_request *r,
                   char *reason)
{
    const char *sp1 = memchr(l, ' ', n), *sp2;
    size_t mlen;

    if (sp1 == NULL)
        return bad(reason, 400, "malformed request line");
    mlen = (size_t)(sp1 - l);
    if (mlen == 0 || mlen >= sizeof r->method_name)
        return bad(reason, mlen == 0 ? 400 : 501, "bad method");
    for (size_t i = 0; i < mlen; i++)
        if (!is_tchar((unsigned char)l[i]))
            return bad(reason, 400, "bad method");
    memcpy(r->method_name, l, mlen);
    r->method_name[mlen] = '\0';
    r->method = method_of(r->method_name);
    if (n < mlen + 11)
        return bad(reason, 400, "malformed request line");
    sp2 = l + n - 9; /* " HTTP/1.x" */
    if (sp2 <= sp1 || *sp2 != ' ' || memcmp(sp2 + 1, "HTTP/1.", 7) != 0)
        return bad(reason, 400, "malformed request line");
    if (sp2[8] != '0' && sp2[8] != '1')
        return bad(reason, 505, "HTTP version not supported");
    r->minor = sp2[8] - '0';
    r->keep_alive = r->minor == 1;
    if (memchr(sp1 + 1, ' ', (size_t)(sp2 - sp1 - 1)) != NULL)
        return bad(reason, 400, "malformed request line");
    return parse_target(sp1 + 1, (size_t)(sp2 - sp1 - 1), r, reason);
}

/* The next member of a comma-separated list v[0..n) from *i: where it
 * starts; *i is left at the first ',' or byte of stop after it. */
static size_t
list_next(const char *v, size_t n, size_t *i, char stop)
{
    size_t s;

    while (*i < n && (v[*i] == ' ' || v[*i] == '\t' || v[*i] == ','))
        (*i)++;
    s = *i;
    while (*i < n && v[*i] != ',' && v[*i] != stop)
        (*i)++;
    return s;
}

/* A comma-separated list holds token tok (case-insensitive). */
static int
list_has(const char *v, size_t n, const char *tok)
{
    size_t tl = strlen(tok), i = 0;

    while (i < n) {
        size_t s = list_next(v, n, &i, ';'), e = i;

        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (e - s == tl && strncasecmp(v + s, tok, tl) == 0)
            return 1;
        while (i < n && v[i] != ',')
            i++;
    }
    return 0;
}

/* Want-Repr-Digest: "sha-256=0" (weight zero) turns the digest off. */
static int
digest_refused(const char *v, size_t n)
{
    for (size_t i = 0; i + 9 <= n; i++) {
        if (strncasecmp(v + i, "sha-256", 7) != 0)
            continue;
        i += 7;
        while (i < n && v[i] == ' ')
            i++;
        if (i < n && v[i] == '=') {
            i++;
            while (i < n && v[i] == ' ')
                i++;
            return i < n && v[i] == '0';
        }
    }
    return 0;
}

static int
keep(char *dst, const char *v, size_t n, char *reason)
{
    if (n > NK_HS_FIELD_MAX)
        return bad(reason, 431, "header field too large");
    memcpy(dst, v, n);
    dst[n] = '\0';
    return 0;
}

/* If-None-Match may come on several lines: one list (RFC 9110 5.3). */
static int
keep_inm(struct nk_hs_request *r, const char *v, size_t n, char *reason)
{
    size_t have = strlen(r->if_none_match), sep = r->has_inm ? 2 : 0;

    if (have + sep + n > NK_HS_INM_MAX)
        return bad(reason, 431, "If-None-Match too large");
    if (sep)
        memcpy(r->if_none_match + have, ", ", 2);
    memcpy(r->if_none_match + have + sep, v, n);
    r->if_none_match[have + sep + n] = '\0';
    r->has_inm = 1;
    return 0;
}

/* If-Modified-Since: ignored unless one valid date (RFC 9110 13.1.3). */
static void
keep_ims(struct nk_hs_request *r, const char *v, size_t n)
{
    time_t t;

    if (r->has_ims != 0 || nk_hs_date_parse(v, n, &t) < 0) {
        r->has_ims = -1;
        return;
    }
    r->has_ims = 1;
    r->ims = t;
}

static int
content_length(const char *v, size_t n, struct nk_hs_request *r, int *seen,
               char *reason)
{
    uint64_t x;

    if (nk_fs_parse_u64(v, n, &x) < 0)
        return bad(reason, 400, "bad Content-Length");
    if (*seen && x != r->content_length)
        return bad(reason, 400, "conflicting Content-Length");
    *seen = 1;
    r->has_length = 1;
    r->content_length = x;
    if (x > 0)
        r->has_body = 1;
    return 0;
}

static int
header(const char *k, size_t kl, const char *v, size_t vl,
       struct nk_hs_request *r, int *cl_seen, int *host, char *reason)
{
#define IS(name) (kl == sizeof name - 1 && strncasecmp(k, name, kl) == 0)
    if (IS("host")) {
        if (*host)
            return bad(reason, 400, "more than one Host");
        *host = 1;
    } else if (IS("range")) {
        return keep(r->range, v, vl, reason);
    } else if (IS("if-range")) {
        return keep(r->if_range, v, vl, reason);
    } else if (IS("if-none-match")) {
        return keep_inm(r, v, vl, reason);
    } else if (IS("if-modified-since")) {
        keep_ims(r, v, vl);
    } else if (IS("accept")) {
        r->want_json = list_has(v, vl, "application/json");
    } else if (IS("want-repr-digest")) {
        r->no_digest = digest_refused(v, vl);
    } else if (IS("connection")) {
        if (list_has(v, vl, "close"))
            r->keep_alive = 0;
        else if (list_has(v, vl, "keep-alive"))
            r->keep_alive = 1;
    } else if (IS("content-digest")) {
        return keep(r->digest, v, vl, reason);
    } else if (IS("repr-digest")) {
        if (r->digest[0] == '\0')
            return keep(r->digest, v, vl, reason);
    } else if (IS("expect")) {
        if (vl == 12 && strncasecmp(v, "100-continue", 12) == 0)
            r->expect_continue = 1;
        else
            return bad(reason, 417, "only Expect: 100-continue");
    } else if (IS("content-length")) {
        return content_length(v, vl, r, cl_seen, reason);
    } else if (IS("transfer-encoding")) {
        r->has_body = 1;
        return bad(reason, 501, "Transfer-Encoding not supported");
    }
    return 0;
#undef IS
}

static int
header_line(const char *l, size_t n, struct nk_hs_request *r, int *cl_seen,
            int *host, char *reason)
{
    const char *colon = memchr(l, ':', n);
    size_t kl, vs, ve;

    if (n > 0 && (l[0] == ' ' || l[0] == '\t'))
        return bad(reason, 400, "folded header line");
    if (colon == NULL || colon == l)
        return bad(reason, 400, "malformed header line");
    kl = (size_t)(colon - l);
    for (size_t i = 0; i < kl; i++)
        if (!is_tchar((unsigned char)l[i]))
            return bad(reason, 400, "malformed header line");
    for (size_t i = kl + 1; i < n; i++) {
        unsigned char c = (unsigned char)l[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return bad(reason, 400, "control byte in header");
    }
    vs = kl + 1;
    ve = n;
    while (vs < ve && (l[vs] == ' ' || l[vs] == '\t'))
        vs++;
    while (ve > vs && (l[ve - 1] == ' ' || l[ve - 1] == '\t'))
        ve--;
    return header(l, kl, l + vs, ve - vs, r, cl_seen, host, reason);
}

int
nk_hs_parse_head(const char *buf, size_t len, struct nk_hs_request *r,
                 char *reason)
{
    size_t pos = 0, end = nk_hs_head_end(buf, len);
    int rc, first = 1, cl_seen = 0, host = 0;

    memset(r, 0, sizeof *r);
    r->method = NK_HS_OTHER;
    if (len > NK_HS_HEAD_MAX || (end == 0 && len == NK_HS_HEAD_MAX))
        return bad(reason, 431, "request head too large");
    if (end == 0)
        return bad(reason, 400, "incomplete request head");
    while (pos < end) {
        const char *nl = memchr(buf + pos, '\n', end - pos);
        size_t n = (size_t)(nl - (buf + pos));
        if (n > 0 && buf[pos + n - 1] == '\r')
            n--;
        if (n == 0)
            break;
        if (memchr(buf + pos, '\0', n) != NULL)
            return bad(reason, 400, "NUL byte in request head");
        rc = first ? parse_request_line(buf + pos, n, r, reason)
                   : header_line(buf + pos, n, r, &cl_seen, &host, reason);
        if (rc != 0)
            return rc;
        first = 0;
        pos = (size_t)(nl - buf) + 1;
    }
    if (first)
        return bad(reason, 400, "malformed request line");
    if (r->minor == 1 && !host)
        return bad(reason, 400, "Host header missing");
    return 0;
}

/* --- conditional GET (RFC 9110 13.1.2, 13.1.3, 13.2.2) ------------------ */

/* An entity-tag's opaque part, W/ skipped: its start and length (quotes
 * included), or 0 if tag is not one. */
static size_t
opaque_tag(const char *tag, const char **start)
{
    const char *end;

    if (tag[0] == 'W' && tag[1] == '/')
        tag += 2;
    if (tag[0] != '"' || (end = strchr(tag + 1, '"')) == NULL)
        return 0;
    *start = tag;
    return (size_t)(end - tag) + 1;
}

int
nk_hs_etag_match(const char *v, const char *etag)
{
    const char *want, *got;
    size_t wl = opaque_tag(etag, &want), i = 0;

    for (;;) {
        size_t gl;
        while (v[i] == ' ' || v[i] == '\t' || v[i] == ',')
            i++;
        if (v[i] == '\0')
            return 0;
        if (v[i] == '*')
            return 1;
        gl = opaque_tag(v + i, &got);
        if (gl == 0)
            return 0; /* malformed: what follows cannot be trusted */
        if (wl > 0 && gl == wl && memcmp(got, want, wl) == 0)
            return 1;
        i = (size_t)(got - v) + gl;
    }
}

int
nk_hs_not_modified(const struct nk_hs_request *r, const char *etag,
                   time_t mtime)
{
    if (r->method != NK_HS_GET && r->method != NK_HS_HEAD)
        return 0;
    if (r->has_inm)
        return nk_hs_etag_match(r->if_none_match, etag);
    return r->has_ims == 1 && mtime <= r->ims;
}

/* --- ranges (RFC 9110 section 14) ---------------------------------------- */

/* digits[pos..) up to a non-digit: 0 with *v and *pos advanced, -1. */
static int
num(const char *s, size_t *pos, uint64_t *v)
{
    size_t i = *pos;
    uint64_t x = 0;

    if (!isdigit((unsigned char)s[i]))
        return -1;
    for (; isdigit((unsigned char)s[i]); i++) {
        uint64_t d = (uint64_t)(s[i] - '0');
        if (x > (U63_MAX - d) / 10)
            return -1;
        x = x * 10 + d;
    }
    *pos = i;
    *v = x;
    return 0;
}

static void
skip_ows(const char *s, size_t *i)
{
    while (s[*i] == ' ' || s[*i] == '\t')
        (*i)++;
}

enum nk_hs_range
nk_hs_range_resolve(const char *spec, uint64_t size, uint64_t *first,
                    uint64_t *last)
{
    size_t i = 0;
    uint64_t a = 0, b = 0;
    int suffix = 0, open = 0;

    skip_ows(spec, &i);
    if (strncasecmp(spec + i, "bytes", 5) != 0)
        return NK_HR_NONE;
    i += 5;
    skip_ows(spec, &i);
    if (spec[i++] != '=')
        return NK_HR_NONE;
    skip_ows(spec, &i);
    if (spec[i] == '-') {
        i++;
        suffix = 1;
        if (num(spec, &i, &b) < 0)
            return NK_HR_NONE;
    } else {
        if (num(spec, &i, &a) < 0 || spec[i++] != '-')
            return NK_HR_NONE;
        if (isdigit((unsigned char)spec[i])) {
            if (num(spec, &i, &b) < 0 || b < a)
                return NK_HR_NONE;
        } else {
            open = 1;
        }
    }
    skip_ows(spec, &i);
    if (spec[i] == ',')
        return NK_HR_MANY;
    if (spec[i] != '\0')
        return NK_HR_NONE;
    if (suffix) {
        if (b == 0 || size == 0)
            return NK_HR_UNSAT;
        *first = b >= size ? 0 : size - b;
        *last = size - 1;
        return NK_HR_ONE;
    }
    if (a >= size)
        return NK_HR_UNSAT;
    *first = a;
    *last = open || b >= size ? size - 1 : b;
    return NK_HR_ONE;
}

/* --- statuses -------------------------------------------------------------
 */

const char *
nk_hs_reason(int code)
{
    static const struct {
        int code;
        const char *text;
    } t[] = {
        {200, "OK"},
        {201, "Created"},
        {204, "No Content"},
        {206, "Partial Content"},
        {301, "Moved Permanently"},
        {304, "Not Modified"},
        {400, "Bad Request"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {408, "Request Timeout"},
        {409, "Conflict"},
        {411, "Length Required"},
        {413, "Content Too Large"},
        {414, "URI Too Long"},
        {416, "Range Not Satisfiable"},
        {417, "Expectation Failed"},
        {422, "Unprocessable Content"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {503, "Service Unavailable"},
        {505, "HTTP Version Not Supported"},
        {507, "Insufficient Storage"},
    };

    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i].code == code)
            return t[i].text;
    return "Unknown";
}

int
nk_hs_from_fs(int fs_code)
{
    /* The line protocol numbers its statuses after HTTP's; 409 on GET
     * (a directory) never reaches here. */
    return fs_code >= 100 && fs_code <= 599 ? fs_code : 500;
}

/* --- base64, content types, dates ---------------------------------------- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
nk_hs_base64(const uint8_t *in, size_t n, char *out, size_t size)
{
    const char *a = b64_alphabet;
    size_t need = (n + 2) / 3 * 4, o = 0;

    if (need + 1 > size)
        return -1;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? a[v & 63] : '=';
    }
    out[o] = '\0';
    return (int)o;
}

/* A base64 digit's value, -1 for any other byte (NUL included). */
static int
b64val(char c)
{
    const char *p = c != '\0' ? strchr(b64_alphabet, c) : NULL;

    return p != NULL ? (int)(p - b64_alphabet) : -1;
}

/* Decode padded base64 s[0..n) into exactly want bytes: 0 or -1. */
static int
b64_decode_exact(const char *s, size_t n, uint8_t *out, size_t want)
{
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;

    if (n % 4 != 0 || n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int v;
        if (s[i] == '=') {
            if (i + 2 < n || (i + 1 < n && s[i + 1] != '='))
                return -1;
            break;
        }
        if ((v = b64val(s[i])) < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o == want)
                return -1;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return o == want ? 0 : -1;
}

int
nk_hs_parse_repr_digest(const char *v, uint8_t sha[32])
{
    size_t i = 0, n = strlen(v);

    while (i < n) {
        size_t s = list_next(v, n, &i, '='), e;
        if (i - s == 7 && strncasecmp(v + s, "sha-256", 7) == 0 && i < n &&
            v[i] == '=') {
            const char *colon;
            if (v[i + 1] != ':')
                return -1;
            colon = strchr(v + i + 2, ':');
            if (colon == NULL)
                return -1;
            e = (size_t)(colon - (v + i + 2));
            return b64_decode_exact(v + i + 2, e, sha, 32) == 0 ? 1 : -1;
        }
        /* skip this member's value, a byte sequence may hold ',' no more
         * than ':' delimits it */
        if (i < n && v[i] == '=' && i + 1 < n && v[i + 1] == ':') {
            const char *colon = strchr(v + i + 2, ':');
            i = colon == NULL ? n : (size_t)(colon - v) + 1;
        }
        while (i < n && v[i] != ',')
            i++;
    }
    return 0;
}

int
nk_hs_parse_content_range(const char *v, uint64_t *first, uint64_t *last,
                          uint64_t *size)
{
    size_t i = 0;
    uint64_t a, b, sz;
    int star = 0;

    if (strncasecmp(v, "bytes ", 6) != 0)
        return -1;
    i = 6;
    if (v[i] == '*') {
        star = 1;
        i++;
    } else if (num(v, &i, &a) < 0 || v[i++] != '-' || num(v, &i, &b) < 0) {
        return -1;
    }
    if (v[i++] != '/' || num(v, &i, &sz) < 0 || v[i] != '\0')
        return -1;
    *size = sz;
    if (star)
        return 1;
    if (b < a || b >= sz)
        return -1;
    *first = a;
    *last = b;
    return 0;
}

/* One href value: 1 if it names one entry (name and *dir set). */
static int
link_entry(const char *v, size_t n, char *name, int *dir)
{
    char raw[3 * NK_FS_NAME_MAX + 8], dec[NK_FS_NAME_MAX + 2];
    size_t r = 0;
    int d;

    /* The only entity an href needs here: "&amp;" for '&'. */
    for (size_t i = 0; i < n; i++) {
        if (r + 1 >= sizeof raw)
            return 0;
        raw[r++] = v[i];
        if (v[i] == '&' && n - i >= 5 && memcmp(v + i, "&amp;", 5) == 0)
            i += 4;
    }
    raw[r] = '\0';
    if (r >= 2 && raw[0] == '.' && raw[1] == '/') {
        memmove(raw, raw + 2, r - 1);
        r -= 2;
    }
    *dir = r > 0 && raw[r - 1] == '/';
    if (*dir)
        raw[--r] = '\0';
    if (r == 0 || strpbrk(raw, "/?#:") != NULL)
        return 0;
    d = nk_fs_decode(raw, r, dec, sizeof dec);
    if (d <= 0 || (size_t)d > NK_FS_NAME_MAX ||
        memchr(dec, '\0', (size_t)d) != NULL || memchr(dec, '/', (size_t)d) ||
        strcmp(dec, ".") == 0 || strcmp(dec, "..") == 0)
        return 0;
    memcpy(name, dec, (size_t)d + 1);
    return 1;
}

int
nk_hs_next_link(const char *html, size_t len, size_t *pos, char *name,
                int *dir)
{
    while (*pos + 6 < len) {
        size_t i = *pos, s, e;
        char q;
        if (strncasecmp(html + i, "href=", 5) != 0) {
            (*pos)++;
            continue;
        }
        i += 5;
        q = html[i];
        if (q != '"' && q != '\'') {
            *pos = i;
            continue;
        }
        s = ++i;
        while (i < len && html[i] != q)
            i++;
        e = i;
        *pos = i < len ? i + 1 : len;
        if (e < len && link_entry(html + s, e - s, name, dir))
            return 1;
    }
    *pos = len;
    return 0;
}

const char *
nk_hs_content_type(const char *name)
{
    static const char *const t[][2] = {
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"txt", "text/plain; charset=utf-8"},
        {"md", "text/markdown; charset=utf-8"},
        {"css", "text/css"},
        {"csv", "text/csv"},
        {"js", "text/javascript"},
        {"json", "application/json"},
        {"xml", "application/xml"},
        {"pdf", "application/pdf"},
        {"zip", "application/zip"},
        {"gz", "application/gzip"},
        {"tar", "application/x-tar"},
        {"xz", "application/x-xz"},
        {"wasm", "application/wasm"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"svg", "image/svg+xml"},
        {"webp", "image/webp"},
        {"ico", "image/vnd.microsoft.icon"},
        {"mp3", "audio/mpeg"},
        {"ogg", "audio/ogg"},
        {"mp4", "video/mp4"},
        {"webm", "video/webm"},
    };
    const char *dot = strrchr(name, '.'), *slash = strrchr(name, '/');

    if (dot == NULL || (slash != NULL && dot < slash) || dot == name)
        return "application/octet-stream";
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcasecmp(dot + 1, t[i][0]) == 0)
            return t[i][1];
    return "application/octet-stream";
}

static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed",
                                "Thu", "Fri", "Sat"};
static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void
nk_hs_date_format(time_t t, char *out)
{
    struct tm tm;
    char tmp[96];

    if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 0 ||
        tm.tm_year + 1900 > 9999)
        memset(&tm, 0, sizeof tm);
    /* unsigned and %.3s: -O2's format-truncation check then sees the
     * exact width (29 bytes) */
    snprintf(tmp, sizeof tmp, "%.3s, %02u %.3s %04u %02u:%02u:%02u GMT",
             days[(unsigned)tm.tm_wday % 7], (unsigned)tm.tm_mday % 100,
             months[(unsigned)tm.tm_mon % 12],
             (unsigned)(tm.tm_year + 1900) % 10000, (unsigned)tm.tm_hour % 100,
             (unsigned)tm.tm_min % 100, (unsigned)tm.tm_sec % 100);
    memcpy(out, tmp, NK_HS_DATE_LEN);
    out[NK_HS_DATE_LEN] = '\0';
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int
digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

int
nk_hs_date_parse(const char *s, size_t len, time_t *t)
{
    int d, y, hh, mm, ss, mon = -1;

    if (len != NK_HS_DATE_LEN || s[3] != ',' || s[4] != ' ' || s[7] != ' ' ||
        s[11] != ' ' || s[16] != ' ' || s[19] != ':' || s[22] != ':' ||
        memcmp(s + 25, " GMT", 4) != 0)
        return -1;
    for (int i = 0; i < 12; i++)
        if (memcmp(s + 8, months[i], 3) == 0)
            mon = i;
    if (mon < 0 || digits(s + 5, 2, &d) || digits(s + 12, 4, &y) ||
        digits(s + 17, 2, &hh) || digits(s + 20, 2, &mm) ||
        digits(s + 23, 2, &ss) || d < 1 || d > 31 || hh > 23 || mm > 59 ||
        ss > 60)
        return -1;
    *t = (time_t)(days_from_civil(y, mon + 1, d) * 86400 + hh * 3600 +
                  mm * 60 + ss);
    return 0;
}

/* --- response heads -------------------------------------------------------
 */

void
nk_hs_buf_init(struct nk_hs_buf *b, char *p, size_t cap)
{
    b->p = p;
    b->cap = cap;
    b->len = 0;
    b->overflow = cap == 0;
    if (cap > 0)
        p[0] = '\0';
}

void
nk_hs_addf(struct nk_hs_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->overflow)
        return;
    va_start(ap, fmt);
    n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len) {
        b->overflow = 1;
        b->p[b->len] = '\0';
        return;
    }
    b->len += (size_t)n;
}

/* --- directory indexes -----------------------------------------------------
 */

/* An appender that measures when it has no room. */
struct out {
    char *p;
    size_t size, len;
};

static void
put(struct out *o, const char *s, size_t n)
{
    if (o->p != NULL && o->len + n < o->size)
        memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void
puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static size_t
done(struct out *o)
{
    if (o->p != NULL && o->len < o->size)
        o->p[o->len] = '\0';
    return o->len;
}

/* HTML's five special characters, each as its entity. */
static void
html_escape(struct out *o, const char *s)
{
    static const char special[] = "<>&\"'";
    static const char *const entity[] = {"&lt;", "&gt;", "&amp;", "&quot;",
                                         "&#39;"};

    for (; *s; s++) {
        const char *e = strchr(special, *s);
        if (e != NULL)
            puts_(o, entity[e - special]);
        else
            put(o, s, 1);
    }
}

/* A JSON string's contents: valid UTF-8 is kept, control bytes and any
 * byte that is not UTF-8 become \u00XX (so the document stays valid). */
static void
json_escape(struct out *o, const char *s)
{
    size_t n = strlen(s);

    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t k = nk_utf8_seq((const unsigned char *)s + i, n - i);
        char e[8];
        if (c == '"' || c == '\\') {
            put(o, "\\", 1);
            put(o, s + i, 1);
            i++;
        } else if (c < 0x20 || c == 0x7f || k == 0) {
            snprintf(e, sizeof e, "\\u%04x", c);
            puts_(o, e);
            i++;
        } else {
            put(o, s + i, k);
            i += k;
        }
    }
}

static void
href(struct out *o, const char *name, int dir)
{
    char enc[3 * NK_FS_NAME_MAX + 1];

    if (nk_fs_encode(name, strlen(name), enc, sizeof enc) < 0)
        enc[0] = '\0';
    /* "./" first: a name such as "a:b" must not read as a scheme. */
    puts_(o, "./");
    puts_(o, enc);
    if (dir)
        puts_(o, "/");
}

size_t
nk_hs_index_head(char *buf, size_t size, int json, const char *dir)
{
    struct out o = {buf, size, 0};
    const char *shown = strcmp(dir, ".") == 0 ? "" : dir;

    if (json) {
        puts_(&o, "{\"path\":\"/");
        json_escape(&o, shown);
        puts_(&o, "\",\"entries\":[");
        return done(&o);
    }
    puts_(&o, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
              "<title>Index of /");
    html_escape(&o, shown);
    puts_(&o, "</title></head>\n<body>\n<h1>Index of /");
    html_escape(&o, shown);
    puts_(&o, "</h1>\n<table>\n<tr><th>Name</th><th>Size</th></tr>\n");
    if (strcmp(dir, ".") != 0)
        puts_(&o, "<tr><td><a href=\"../\">../</a></td><td></td></tr>\n");
    return done(&o);
}

size_t
nk_hs_index_entry(char *buf, size_t size, int json, int first,
                  const char *type, uint64_t bytes, const char *name)
{
    struct out o = {buf, size, 0};
    int dir = strcmp(type, "dir") == 0;
    char num[24];

    snprintf(num, sizeof num, "%" PRIu64, bytes);
    if (json) {
        puts_(&o, first ? "\n{\"name\":\"" : ",\n{\"name\":\"");
        json_escape(&o, name);
        puts_(&o, "\",\"type\":\"");
        puts_(&o, type);
        puts_(&o, "\",\"size\":");
        puts_(&o, num);
        puts_(&o, ",\"href\":\"");
        href(&o, name, dir);
        puts_(&o, "\"}");
        return done(&o);
    }
    puts_(&o, "<tr><td><a href=\"");
    href(&o, name, dir);
    puts_(&o, "\">");
    html_escape(&o, name);
    if (dir)
        puts_(&o, "/");
    puts_(&o, "</a></td><td>");
    puts_(&o, dir ? "-" : num);
    puts_(&o, "</td></tr>\n");
    return done(&o);
}

size_t
nk_hs_index_foot(char *buf, size_t size, int json)
{
    struct out o = {buf, size, 0};

    puts_(&o, json ? "\n]}\n" : "</table>\n</body></html>\n");
    return done(&o);
}

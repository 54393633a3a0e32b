/* The fileshare protocol, pure: no sockets, no file system. The server
 * and the client build and parse their lines here; the path rules and the
 * resolver that keeps every lookup beneath the root live here too, with
 * the file system reached through struct nk_fs_ops, so the fuzz target
 * can drive the resolver over an invented tree full of links. */
#include <stdio.h>
#include <string.h>

#include "netkit/fileshare.h"
#include "netkit/hex.h"

const char *
nk_fs_status_text(int code)
{
    switch (code) {
    case NK_FS_CONTINUE:
        return "send the data";
    case NK_FS_OK:
        return "ok";
    case NK_FS_CREATED:
        return "stored";
    case NK_FS_BAD_REQUEST:
        return "bad request";
    case NK_FS_FORBIDDEN:
        return "forbidden";
    case NK_FS_NOT_FOUND:
        return "not found";
    case NK_FS_TIMEOUT:
        return "request timeout";
    case NK_FS_CONFLICT:
        return "conflict";
    case NK_FS_TOO_LONG:
        return "request line too long";
    case NK_FS_RANGE:
        return "offset beyond the end of the file";
    case NK_FS_MISMATCH:
        return "checksum mismatch";
    case NK_FS_INTERNAL:
        return "server error";
    case NK_FS_UNKNOWN_VERB:
        return "unknown verb";
    case NK_FS_BUSY:
        return "too many clients";
    case NK_FS_NO_SPACE:
        return "no space left on the server";
    default:
        return "error";
    }
}

/* --- percent-encoding ---------------------------------------------------- */

/* Unreserved bytes (RFC 3986 2.3) and '/': nothing that could be a space,
 * a newline or a '%' ever travels raw, so a name cannot break the line. */
static int
is_plain(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '~' || c == '/';
}

int
nk_fs_encode(const char *s, size_t len, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t need = is_plain(c) ? 1 : 3;
        if (o + need >= size)
            return -1;
        if (need == 1) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    if (o >= size)
        return -1;
    out[o] = '\0';
    return (int)o;
}

int
nk_fs_decode(const char *s, size_t len, char *out, size_t size)
{
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x21 || c > 0x7e)
            return -1;
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= len)
                return -1;
            hi = nk_hex_digit((unsigned char)s[i + 1]);
            lo = nk_hex_digit((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        }
        if (o + 1 >= size)
            return -1;
        out[o++] = (char)c;
    }
    if (o >= size)
        return -1;
    out[o] = '\0';
    return (int)o;
}

/* --- numbers ------------------------------------------------------------- */

int
nk_fs_parse_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;

    if (len == 0 || len > 19)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > (uint64_t)INT64_MAX) /* an off_t must hold it */
        return -1;
    *out = v;
    return 0;
}

/* --- request lines ------------------------------------------------------- */

struct tokens {
    const char *p[5];
    size_t n[5];
    int count; /* 5 means "too many" */
};

/* Split on single spaces; an empty token (two spaces, a leading or a
 * trailing one) makes the line malformed. */
static int
split(const char *line, size_t len, struct tokens *t)
{
    size_t s = 0;

    t->count = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && line[i] != ' ')
            continue;
        if (i == s || t->count == 5)
            return -1;
        t->p[t->count] = line + s;
        t->n[t->count++] = i - s;
        s = i + 1;
    }
    return 0;
}

static int
tok_is(const struct tokens *t, int i, const char *word)
{
    return t->n[i] == strlen(word) && memcmp(t->p[i], word, t->n[i]) == 0;
}

static int
bad(char *reason, int code, const char *text)
{
    snprintf(reason, NK_FS_REASON_MAX + 1, "%s", text);
    return code;
}

int
nk_fs_parse_request(const char *line, size_t len, struct nk_fs_request *r,
                    char *reason)
{
    struct tokens t;
    int n;

    memset(r, 0, sizeof *r);
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len + 1 > NK_FS_LINE_MAX)
        return bad(reason, NK_FS_TOO_LONG, "request line too long");
    if (memchr(line, '\n', len) != NULL || memchr(line, '\0', len) != NULL)
        return bad(reason, NK_FS_BAD_REQUEST, "malformed request line");
    if (len == 0 || split(line, len, &t) < 0)
        return bad(reason, NK_FS_BAD_REQUEST, "malformed request line");
    if (tok_is(&t, 0, "GET"))
        r->verb = NK_FS_GET;
    else if (tok_is(&t, 0, "LIST"))
        r->verb = NK_FS_LIST;
    else if (tok_is(&t, 0, "PUT"))
        r->verb = NK_FS_PUT;
    else
        return bad(reason, NK_FS_UNKNOWN_VERB, "unknown verb");

    if ((r->verb == NK_FS_GET && (t.count < 2 || t.count > 3)) ||
        (r->verb == NK_FS_LIST && t.count > 2) ||
        (r->verb == NK_FS_PUT && t.count != 4))
        return bad(reason, NK_FS_BAD_REQUEST, "wrong number of arguments");
    if (t.count == 1) { /* LIST alone: the root */
        r->path[0] = '.';
        r->path_len = 1;
        return 0;
    }
    n = nk_fs_decode(t.p[1], t.n[1], r->path, sizeof r->path);
    if (n < 0)
        return bad(reason, NK_FS_BAD_REQUEST, "bad path encoding");
    r->path_len = (size_t)n;
    if (r->verb == NK_FS_GET && t.count == 3 &&
        nk_fs_parse_u64(t.p[2], t.n[2], &r->offset) < 0)
        return bad(reason, NK_FS_BAD_REQUEST, "bad offset");
    if (r->verb == NK_FS_PUT) {
        char hex[NK_SHA256_HEXLEN + 1];
        if (nk_fs_parse_u64(t.p[2], t.n[2], &r->size) < 0)
            return bad(reason, NK_FS_BAD_REQUEST, "bad size");
        if (t.n[3] != NK_SHA256_HEXLEN)
            return bad(reason, NK_FS_BAD_REQUEST, "bad sha256");
        memcpy(hex, t.p[3], NK_SHA256_HEXLEN);
        hex[NK_SHA256_HEXLEN] = '\0';
        if (nk_sha256_parse_hex(hex, r->sha) < 0)
            return bad(reason, NK_FS_BAD_REQUEST, "bad sha256");
    }
    return 0;
}

static int
build(char *buf, size_t size, const char *verb, const char *path,
      const char *tail)
{
    char enc[NK_FS_LINE_MAX];
    int n;

    if (nk_fs_encode(path, strlen(path), enc, sizeof enc) < 0)
        return -1;
    n = snprintf(buf, size, "%s %s%s\n", verb, enc, tail);
    if (n < 0 || (size_t)n >= size || n > NK_FS_LINE_MAX)
        return -1;
    return n;
}

int
nk_fs_build_get(char *buf, size_t size, const char *path, uint64_t offset)
{
    char tail[32] = "";

    if (offset > 0)
        snprintf(tail, sizeof tail, " %llu", (unsigned long long)offset);
    return build(buf, size, "GET", path, tail);
}

int
nk_fs_build_list(char *buf, size_t size, const char *path)
{
    return build(buf, size, "LIST", path, "");
}

int
nk_fs_build_put(char *buf, size_t size, const char *path, uint64_t len,
                const uint8_t sha[NK_SHA256_LEN])
{
    char hex[NK_SHA256_HEXLEN + 1], tail[100];

    snprintf(tail, sizeof tail, " %llu %s", (unsigned long long)len,
             nk_sha256_hex(sha, hex));
    return build(buf, size, "PUT", path, tail);
}

/* --- response heads ------------------------------------------------------ */

/* The length of a line without its trailing '\r', if any. */
static size_t
strip_cr(const char *line, size_t len)
{
    return len > 0 && line[len - 1] == '\r' ? len - 1 : len;
}

size_t
nk_fs_head_end(const char *buf, size_t len)
{
    /* Each line ends in '\n', maybe after a '\r': the head ends at the
     * first line that is empty once that '\r' is dropped. */
    size_t start = 0;

    for (size_t i = 0; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (i == start || (i == start + 1 && buf[start] == '\r'))
            return start == 0 ? 0 : i + 1;
        start = i + 1;
    }
    return 0;
}

int
nk_fs_parse_status(const char *line, size_t len, int *code, char *text)
{
    size_t tl;

    len = strip_cr(line, len); /* a CRLF status line */
    if (len < 5 || line[3] != ' ')
        return -1;
    for (int i = 0; i < 3; i++)
        if (line[i] < '0' || line[i] > '9')
            return -1;
    if (line[0] == '0')
        return -1;
    *code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    tl = len - 4;
    if (tl > NK_FS_REASON_MAX)
        tl = NK_FS_REASON_MAX;
    memcpy(text, line + 4, tl);
    text[tl] = '\0';
    return 0;
}

int
nk_fs_parse_header(const char *line, size_t len, char key[32],
                   const char **val, size_t *val_len)
{
    size_t k = 0;

    len = strip_cr(line, len); /* a CRLF header line */
    while (k < len && line[k] != ':') {
        char c = line[k];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return -1;
        k++;
    }
    if (k == 0 || k >= 32 || k + 1 >= len || line[k + 1] != ' ')
        return -1;
    memcpy(key, line, k);
    key[k] = '\0';
    *val = line + k + 2;
    *val_len = len - k - 2;
    return 0;
}

/* --- LIST entries -------------------------------------------------------- */

int
nk_fs_build_entry(char *buf, size_t size, const char *type, uint64_t bytes,
                  const char *name)
{
    char enc[3 * NK_FS_NAME_MAX + 1];
    int n;

    if (nk_fs_encode(name, strlen(name), enc, sizeof enc) < 0)
        return -1;
    n = snprintf(buf, size, "%s %llu %s\n", type, (unsigned long long)bytes,
                 enc);
    return n < 0 || (size_t)n >= size ? -1 : n;
}

int
nk_fs_parse_entry(const char *line, size_t len, char type[8], uint64_t *bytes,
                  char *name)
{
    struct tokens t;

    if (split(line, len, &t) < 0 || t.count != 3 || t.n[0] >= 8)
        return -1;
    if (!tok_is(&t, 0, "file") && !tok_is(&t, 0, "dir") &&
        !tok_is(&t, 0, "link") && !tok_is(&t, 0, "other"))
        return -1;
    memcpy(type, t.p[0], t.n[0]);
    type[t.n[0]] = '\0';
    if (nk_fs_parse_u64(t.p[1], t.n[1], bytes) < 0)
        return -1;
    if (nk_fs_decode(t.p[2], t.n[2], name, NK_FS_NAME_MAX + 1) < 0)
        return -1;
    return 0;
}

/* --- path rules ---------------------------------------------------------- */

int
nk_fs_path_status(enum nk_fs_path_err e)
{
    switch (e) {
    case NK_FSP_OK:
        return NK_FS_OK;
    case NK_FSP_EMPTY:
    case NK_FSP_CONTROL:
    case NK_FSP_TOO_LONG:
    case NK_FSP_TOO_DEEP:
        return NK_FS_BAD_REQUEST;
    case NK_FSP_ABSOLUTE:
    case NK_FSP_DOTDOT:
    case NK_FSP_LINK_OUT:
    case NK_FSP_SPECIAL:
    case NK_FSP_RESERVED:
        return NK_FS_FORBIDDEN;
    case NK_FSP_LOOP:
    case NK_FSP_NOT_FOUND:
    case NK_FSP_NOT_DIR:
        return NK_FS_NOT_FOUND;
    default:
        return NK_FS_INTERNAL;
    }
}

const char *
nk_fs_path_reason(enum nk_fs_path_err e)
{
    switch (e) {
    case NK_FSP_OK:
        return "ok";
    case NK_FSP_EMPTY:
        return "empty path or no file name";
    case NK_FSP_ABSOLUTE:
        return "absolute path refused";
    case NK_FSP_DOTDOT:
        return "'..' refused";
    case NK_FSP_CONTROL:
        return "control byte in path refused";
    case NK_FSP_TOO_LONG:
        return "path too long";
    case NK_FSP_TOO_DEEP:
        return "path too deep";
    case NK_FSP_LINK_OUT:
        return "symbolic link leads out of the root";
    case NK_FSP_LOOP:
        return "too many symbolic links";
    case NK_FSP_SPECIAL:
        return "not a regular file or directory";
    case NK_FSP_NOT_FOUND:
        return "not found";
    case NK_FSP_NOT_DIR:
        return "not a directory";
    case NK_FSP_RESERVED:
        return "reserved name (an upload in progress)";
    default:
        return "lookup failed";
    }
}

int
nk_fs_name_reserved(const char *name)
{
    return strncmp(name, NK_FS_RESERVED_PREFIX,
                   sizeof NK_FS_RESERVED_PREFIX - 1) == 0;
}

/* The component path[s..e) starts with the reserved prefix. */
static int
span_reserved(const char *path, size_t s, size_t e)
{
    size_t n = sizeof NK_FS_RESERVED_PREFIX - 1;

    return e - s >= n && memcmp(path + s, NK_FS_RESERVED_PREFIX, n) == 0;
}

enum nk_fs_path_err
nk_fs_path_check(const char *path, size_t len)
{
    size_t s = 0;

    if (len == 0)
        return NK_FSP_EMPTY;
    if (len > NK_FS_PATH_MAX)
        return NK_FSP_TOO_LONG;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c < 0x20 || c == 0x7f)
            return NK_FSP_CONTROL;
    }
    if (path[0] == '/')
        return NK_FSP_ABSOLUTE;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && path[i] != '/')
            continue;
        if (i - s == 2 && path[s] == '.' && path[s + 1] == '.')
            return NK_FSP_DOTDOT;
        if (i - s > NK_FS_NAME_MAX)
            return NK_FSP_TOO_LONG;
        if (span_reserved(path, s, i))
            return NK_FSP_RESERVED;
        s = i + 1;
    }
    return NK_FSP_OK;
}

/* PUT: split off the last real component (trailing '/' and "." skipped);
 * *plen gets the parent's length. */
static enum nk_fs_path_err
split_last(const char *path, size_t len, size_t *plen, char *last)
{
    size_t e = len, s;

    for (;;) {
        while (e > 0 && path[e - 1] == '/')
            e--;
        s = e;
        while (s > 0 && path[s - 1] != '/')
            s--;
        if (e == 0)
            return NK_FSP_EMPTY;
        if (e - s == 1 && path[s] == '.') {
            e = s;
            continue;
        }
        break;
    }
    memcpy(last, path + s, e - s);
    last[e - s] = '\0';
    *plen = s;
    return NK_FSP_OK;
}

/* Make rest = target "/" rest[pos..rlen), the '/' only when the link's
 * name was followed by one: "link" to a file names the file, "link/"
 * asks for a directory. */
static int
splice_link(char *rest, size_t cap, size_t *rlen, size_t pos,
            const char *target, int slash)
{
    size_t tl = strlen(target), tail = *rlen - pos, sl = slash ? 1 : 0;

    if (tl + sl + tail + 1 > cap)
        return -1;
    memmove(rest + tl + sl, rest + pos, tail);
    memcpy(rest, target, tl);
    if (slash)
        rest[tl] = '/';
    *rlen = tl + sl + tail;
    return 0;
}

/* The walk: components are taken from `rest`; a link's target is put in
 * front of what remains, so its components are walked by the same loop
 * and meet the same checks. ".." from a target leaves a directory only
 * while one was entered: at the root it is a way out and is refused. The
 * loop ends: each turn either consumes text from `rest` or follows one of
 * at most NK_FS_LINKS_MAX links, and `rest` is bounded. */
enum nk_fs_path_err
nk_fs_resolve(const char *path, size_t len, const struct nk_fs_ops *ops,
              void *ctx, int want_last, char *last, enum nk_fs_kind *kind,
              int *depth_out)
{
    char rest[2 * NK_FS_PATH_MAX + 2], target[NK_FS_PATH_MAX + 1],
        name[NK_FS_NAME_MAX + 1];
    size_t rlen = len, pos = 0;
    int depth = 0, links = 0;
    enum nk_fs_kind k = NK_FSK_DIR;
    enum nk_fs_path_err e = nk_fs_path_check(path, len);

    if (depth_out != NULL)
        *depth_out = 0;
    if (e != NK_FSP_OK)
        return e;
    if (want_last && (e = split_last(path, len, &rlen, last)) != NK_FSP_OK)
        return e;
    memcpy(rest, path, rlen);
    while (pos < rlen) {
        size_t s = pos, n;
        int slash;
        while (pos < rlen && rest[pos] != '/')
            pos++;
        n = pos - s;
        slash = pos < rlen;
        if (slash)
            pos++;
        if (n == 0 || (n == 1 && rest[s] == '.'))
            continue;
        if (k != NK_FSK_DIR) {
            e = NK_FSP_NOT_DIR;
            break;
        }
        if (n == 2 && rest[s] == '.' && rest[s + 1] == '.') {
            if (depth == 0) {
                e = NK_FSP_LINK_OUT;
                break;
            }
            ops->up(ctx);
            depth--;
            continue;
        }
        if (n > NK_FS_NAME_MAX) {
            e = NK_FSP_TOO_LONG;
            break;
        }
        if (span_reserved(rest, s, s + n)) { /* a link's target, too */
            e = NK_FSP_RESERVED;
            break;
        }
        memcpy(name, rest + s, n);
        name[n] = '\0';
        target[0] = '\0';
        k = ops->step(ctx, name, target);
        if (k == NK_FSK_DIR && ++depth > NK_FS_DEPTH_MAX) {
            e = NK_FSP_TOO_DEEP;
            break;
        }
        if (k == NK_FSK_LINK) {
            target[NK_FS_PATH_MAX] = '\0';
            k = NK_FSK_DIR; /* still where we were */
            if (++links > NK_FS_LINKS_MAX) {
                e = NK_FSP_LOOP;
                break;
            }
            if (target[0] == '\0') {
                e = NK_FSP_NOT_FOUND;
                break;
            }
            if (target[0] == '/') {
                e = NK_FSP_LINK_OUT;
                break;
            }
            if (splice_link(rest, sizeof rest, &rlen, pos, target, slash) <
                0) {
                e = NK_FSP_TOO_LONG;
                break;
            }
            pos = 0;
            continue;
        }
        if (k == NK_FSK_FILE && slash) /* "file/": ENOTDIR, as open(2) */
            e = NK_FSP_NOT_DIR;
        else if (k == NK_FSK_SPECIAL)
            e = NK_FSP_SPECIAL;
        else if (k == NK_FSK_MISSING)
            e = NK_FSP_NOT_FOUND;
        else if (k == NK_FSK_ERROR)
            e = NK_FSP_IO;
        if (e != NK_FSP_OK)
            break;
    }
    if (depth_out != NULL)
        *depth_out = depth;
    if (e == NK_FSP_OK && kind != NULL)
        *kind = k;
    return e;
}

/* --- a response head, the client's side ---------------------------------- */

/* One header of a response head into h: 0, or -1 with *why. */
static int
head_field(struct nk_fs_head *h, const char *key, const char *v, size_t vl,
           const char **why)
{
    char hex[NK_SHA256_HEXLEN + 1];

    if (strcmp(key, "size") == 0 && nk_fs_parse_u64(v, vl, &h->size))
        return *why = "bad size", -1;
    if (strcmp(key, "offset") == 0 && nk_fs_parse_u64(v, vl, &h->offset))
        return *why = "bad offset", -1;
    if (strcmp(key, "entries") == 0)
        (void)nk_fs_parse_u64(v, vl, &h->entries);
    if (strcmp(key, "truncated") == 0)
        h->truncated = vl == 3 && memcmp(v, "yes", 3) == 0;
    if (strcmp(key, "length") == 0) {
        if (nk_fs_parse_u64(v, vl, &h->length))
            return *why = "bad length", -1;
        h->have_length = 1;
    }
    if (strcmp(key, "sha256") == 0) {
        if (vl != NK_SHA256_HEXLEN)
            return *why = "bad sha256", -1;
        memcpy(hex, v, vl);
        hex[vl] = '\0';
        if (nk_sha256_parse_hex(hex, h->sha) < 0)
            return *why = "bad sha256", -1;
        h->have_sha = 1;
    }
    return 0;
}

int
nk_fs_parse_head(const char *buf, size_t len, struct nk_fs_head *h,
                 const char **why)
{
    const char *end, *p, *nl;

    memset(h, 0, sizeof *h);
    if (len < 2 || nk_fs_head_end(buf, len) != len)
        return *why = "incomplete head", -1;
    /* end: the '\n' of the last line before the blank one (a CRLF blank
     * line is two bytes, an LF one one byte) */
    end = buf + len - (buf[len - 2] == '\r' ? 3 : 2);
    nl = memchr(buf, '\n', (size_t)(end - buf) + 1);
    if (nl == NULL ||
        nk_fs_parse_status(buf, (size_t)(nl - buf), &h->code, h->text))
        return *why = "bad status line", -1;
    for (p = nl + 1; p <= end && nl != end; p = nl + 1) {
        char key[32];
        const char *v;
        size_t vl;
        nl = memchr(p, '\n', (size_t)(end - p) + 1);
        if (nl == NULL ||
            nk_fs_parse_header(p, (size_t)(nl - p), key, &v, &vl) < 0)
            return *why = "bad header line", -1;
        if (head_field(h, key, v, vl, why) < 0)
            return -1;
    }
    return 0;
}

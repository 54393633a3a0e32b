/* HTTP/1.0 client protocol: the GET request and an incremental parser for
 * the response head. Bytes in, structs out: no sockets, no clocks.
 *
 * The parser keeps the head exactly as received (for `httpget -i`) and a
 * second buffer of NUL-terminated strings (reason, names, values) that the
 * header table points into. Both are bounded by NK_HTTP_HEAD_MAX, so a
 * hostile server can make it use neither more memory nor more time than
 * one pass over 64 KiB. */
#include "netkit/http.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "netkit/exitcodes.h"

#ifndef NETKIT_VERSION
#define NETKIT_VERSION "0"
#endif

/* Content-Length values above this are refused: no real body is 4 EiB, and
 * the bound keeps every sum of sizes far from overflowing int64_t. */
#define CL_MAX ((INT64_C(1) << 62) - 1)

/* ---- the request ---- */

/* RFC 3986 reg-name and IPv6 literal characters: what may follow "Host:"
 * without breaking the header line. */
static int
host_byte_ok(unsigned char c)
{
    return isalnum(c) || strchr("-._~%:!$&'()*+,;=", c) != NULL;
}

/* Host field value: brackets for IPv6 (a zone's '%' as "%25", RFC 6874),
 * ":port" only when not the default 80 (RFC 9110 7.2). */
static int
host_field(char *buf, size_t size, const char *host, int v6, int port,
           struct nk_err *err)
{
    size_t n = 0;

    if (host[0] == '\0')
        return nk_err_set(err, NK_EX_DATAERR, "empty host name");
    if (v6)
        buf[n++] = '[';
    for (const char *p = host; *p != '\0'; p++) {
        if (!host_byte_ok((unsigned char)*p))
            return nk_err_set(err, NK_EX_DATAERR,
                              "host '%s' has a character not allowed in a "
                              "host name",
                              host);
        if (n + 8 >= size)
            return nk_err_set(err, NK_EX_DATAERR, "host '%s' is too long",
                              host);
        buf[n++] = *p;
        if (*p == '%' && v6) {
            buf[n++] = '2';
            buf[n++] = '5';
        }
    }
    if (v6)
        buf[n++] = ']';
    buf[n] = '\0';
    if (port != 80 &&
        snprintf(buf + n, size - n, ":%d", port) >= (int)(size - n))
        return nk_err_set(err, NK_EX_DATAERR, "host '%s' is too long", host);
    return 0;
}

/* The request target: spaces and control bytes cannot be sent (they would
 * end the request line); bytes above 0x7f are percent-encoded (RFC 3986
 * 2.1) so a UTF-8 path still makes a valid request. */
static int
target(char *buf, size_t size, const char *path, struct nk_err *err)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;

    if (path[0] != '/')
        return nk_err_set(err, NK_EX_DATAERR, "path '%s' must start with '/'",
                          path);
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (*p <= 0x20 || *p == 0x7f)
            return nk_err_set(err, NK_EX_DATAERR,
                              "path '%s' has a space or control byte "
                              "(write a space as %%20)",
                              path);
        if (n + 4 >= size)
            return nk_err_set(err, NK_EX_DATAERR, "path is too long");
        if (*p < 0x80) {
            buf[n++] = (char)*p;
            continue;
        }
        buf[n++] = '%';
        buf[n++] = hex[*p >> 4];
        buf[n++] = hex[*p & 15];
    }
    buf[n] = '\0';
    return 0;
}

int
nk_http_build_get(char *buf, size_t size, const char *host, int host_is_ipv6,
                  int port, const char *path, struct nk_err *err)
{
    char hostf[300], tgt[NK_HTTP_REQUEST_MAX];
    int v6 = host_is_ipv6 || strchr(host, ':') != NULL;
    int n;

    if (port < 1 || port > 65535)
        return nk_err_set(err, NK_EX_DATAERR,
                          "port %d is out of range (1-65535)", port);
    if (host_field(hostf, sizeof hostf, host, v6, port, err) < 0 ||
        target(tgt, sizeof tgt, path, err) < 0)
        return -1;
    /* RFC 1945 5: request line, then header fields, each ending in CRLF,
     * and an empty line. Host is HTTP/1.1's, but 1.0 servers with virtual
     * hosts need it too; Connection: close says the reply ends at EOF. */
    n = snprintf(buf, size,
                 "GET %s HTTP/1.0\r\n"
                 "Host: %s\r\n"
                 "User-Agent: netkit/" NETKIT_VERSION "\r\n"
                 "Accept: */*\r\n"
                 "Connection: close\r\n"
                 "\r\n",
                 tgt, hostf);
    if (n < 0 || (size_t)n >= size)
        return nk_err_set(err, NK_EX_DATAERR, "request for '%s' is too long",
                          path);
    return n;
}

/* ---- the response head ---- */

void
nk_http_head_init(struct nk_http_head *h)
{
    h->version_minor = 0;
    h->status = 0;
    h->reason = NULL;
    h->nheaders = 0;
    h->content_length = -1;
    h->raw_len = 0;
    h->done = 0;
    h->line_start = 0;
    h->text_len = 0;
}

/* Quote up to 40 bytes of s for an error message: printable ASCII as is,
 * anything else as \xNN, so a reply cannot put escape codes on a
 * terminal. */
static const char *
quote(const char *s, size_t n, char *buf, size_t size)
{
    size_t o = 0;

    for (size_t i = 0; i < n && i < 40 && o + 5 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\'')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
    }
    if (n > 40 && o + 4 < size) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

static int bogus(struct nk_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
bogus(struct nk_err *err, const char *fmt, ...)
{
    char why[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return nk_err_set(err, NK_EX_PROTOCOL, "bogus reply: %s", why);
}

/* Field values and the reason phrase may hold HTAB, SP, VCHAR and
 * obs-text (RFC 9110 5.5); any other control byte, a bare CR or a NUL
 * included, makes the reply bogus. */
static int
text_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 0;
    }
    return 1;
}

/* RFC 9110 5.6.2 tchar: what a field name is made of. */
static int
tchar(unsigned char c)
{
    return isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Copy s[0..n) into the text area with a NUL; NULL when full (cannot
 * happen within the head bound, checked anyway). */
static const char *
text_put(struct nk_http_head *h, const char *s, size_t n)
{
    char *dst = h->text + h->text_len;

    if (h->text_len + n + 1 > sizeof h->text)
        return NULL;
    memcpy(dst, s, n);
    dst[n] = '\0';
    h->text_len += n + 1;
    return dst;
}

static void
trim(const char **s, size_t *n)
{
    while (*n > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/* "HTTP/1.x NNN reason" (RFC 9112 4). A missing reason, with or without
 * its space, is accepted: servers in the wild send "HTTP/1.1 200". */
static int
status_line(struct nk_http_head *h, const char *s, size_t n,
            struct nk_err *err)
{
    char q[200];
    const char *reason;
    size_t rn;

    if (n < 12 || s[6] != '.' || !isdigit((unsigned char)s[5]) ||
        !isdigit((unsigned char)s[7]) || s[8] != ' ')
        return bogus(err, "status line '%s' is not 'HTTP/1.x NNN reason'",
                     quote(s, n, q, sizeof q));
    if (s[5] != '1')
        return bogus(err, "unsupported version '%.8s' (expected HTTP/1.x)", s);
    if (s[9] < '1' || s[9] > '9' || !isdigit((unsigned char)s[10]) ||
        !isdigit((unsigned char)s[11]) || (n > 12 && s[12] != ' '))
        return bogus(err, "status line '%s' has no 3-digit status code",
                     quote(s, n, q, sizeof q));
    reason = n > 12 ? s + 13 : s + 12;
    rn = n > 12 ? n - 13 : 0;
    if (!text_ok(reason, rn))
        return bogus(err, "control byte in status line '%s'",
                     quote(s, n, q, sizeof q));
    trim(&reason, &rn);
    h->version_minor = s[7] - '0';
    h->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    h->reason = text_put(h, reason, rn);
    return h->reason ? 0 : bogus(err, "response head too large");
}

/* "name: value" (RFC 9112 5). No whitespace may sit between name and colon
 * (RFC 9112 5.1: such a field must be rejected). */
static int
field_line(struct nk_http_head *h, const char *s, size_t n, struct nk_err *err)
{
    const char *colon = memchr(s, ':', n), *v;
    struct nk_http_header *f;
    char q[200];
    size_t vn;

    if (colon == NULL || colon == s)
        return bogus(err, "header line '%s' is not 'name: value'",
                     quote(s, n, q, sizeof q));
    for (const char *p = s; p < colon; p++)
        if (!tchar((unsigned char)*p))
            return bogus(err, "header name '%s' has a bad character",
                         quote(s, (size_t)(colon - s), q, sizeof q));
    v = colon + 1;
    vn = n - (size_t)(v - s);
    if (!text_ok(v, vn))
        return bogus(err, "control byte in header line '%s'",
                     quote(s, n, q, sizeof q));
    if (h->nheaders == NK_HTTP_HEADERS_MAX)
        return bogus(err, "more than %d header fields", NK_HTTP_HEADERS_MAX);
    trim(&v, &vn);
    f = &h->headers[h->nheaders];
    f->name = text_put(h, s, (size_t)(colon - s));
    f->value = f->name ? text_put(h, v, vn) : NULL;
    if (f->value == NULL)
        return bogus(err, "response head too large");
    h->nheaders++;
    return 0;
}

/* obs-fold (RFC 9112 5.2): a line starting with SP or HTAB continues the
 * previous field; a user agent replaces the fold with a space. The last
 * value is the last string in the text area, so it is extended in place. */
static int
fold_line(struct nk_http_head *h, const char *s, size_t n, struct nk_err *err)
{
    char q[200];

    if (h->nheaders == 0)
        return bogus(err, "continuation line before any header field");
    if (!text_ok(s, n))
        return bogus(err, "control byte in header line '%s'",
                     quote(s, n, q, sizeof q));
    trim(&s, &n);
    if (n == 0)
        return 0;
    h->text_len--; /* drop the value's NUL */
    if (h->headers[h->nheaders - 1].value[0] != '\0')
        h->text[h->text_len++] = ' ';
    return text_put(h, s, n) ? 0 : bogus(err, "response head too large");
}

/* Every Content-Length field must agree (RFC 9110 8.6). */
static int
finish_head(struct nk_http_head *h, struct nk_err *err)
{
    int64_t v;

    for (int i = 0; i < h->nheaders; i++) {
        if (strcasecmp(h->headers[i].name, "content-length") != 0)
            continue;
        if (nk_http_parse_content_length(h->headers[i].value, &v, err) < 0)
            return -1;
        if (h->content_length >= 0 && v != h->content_length)
            return bogus(err,
                         "conflicting content-length values %" PRId64
                         " and %" PRId64,
                         h->content_length, v);
        h->content_length = v;
    }
    h->done = 1;
    return 1;
}

/* One complete line, raw[line_start .. raw_len - 1) before its LF (RFC
 * 9112 2.2: a bare LF ends a line as CRLF does). Returns 1 at the blank
 * line ending the head, 0 to go on, -1 on error. */
static int
end_of_line(struct nk_http_head *h, struct nk_err *err)
{
    const char *s = h->raw + h->line_start;
    size_t n = h->raw_len - 1 - h->line_start;

    if (n > 0 && s[n - 1] == '\r')
        n--;
    if (h->status == 0)
        return status_line(h, s, n, err);
    if (n == 0)
        return finish_head(h, err);
    if (s[0] == ' ' || s[0] == '\t')
        return fold_line(h, s, n, err);
    return field_line(h, s, n, err);
}

/* Garbage is refused at its first byte that cannot begin "HTTP/"; the
 * message quotes what arrived, from the rest of this chunk too. */
static int
check_prefix(const struct nk_http_head *h, const char *rest, size_t nrest,
             struct nk_err *err)
{
    static const char want[] = "HTTP/";
    size_t k = h->raw_len - 1;
    char got[48], q[200];
    size_t n;

    if (k >= 5 || h->raw[k] == want[k])
        return 0;
    n = h->raw_len;
    memcpy(got, h->raw, n);
    for (size_t i = 0;
         i < nrest && n < 41 && rest[i] != '\n' && rest[i] != '\r'; i++)
        got[n++] = rest[i];
    return bogus(err, "not an HTTP response (starts '%s', not 'HTTP/')",
                 quote(got, n, q, sizeof q));
}

int
nk_http_head_feed(struct nk_http_head *h, const void *data, size_t len,
                  size_t *used, struct nk_err *err)
{
    const char *d = data;

    *used = 0;
    if (h->done)
        return 1;
    for (size_t i = 0; i < len; i++) {
        int rc;
        if (h->raw_len == NK_HTTP_HEAD_MAX)
            return bogus(err, "response head larger than %d bytes",
                         NK_HTTP_HEAD_MAX);
        h->raw[h->raw_len++] = d[i];
        if (h->status == 0 && check_prefix(h, d + i + 1, len - i - 1, err) < 0)
            return -1;
        if (d[i] != '\n')
            continue;
        rc = end_of_line(h, err);
        if (rc < 0)
            return -1;
        h->line_start = h->raw_len;
        if (rc == 1) {
            *used = i + 1;
            return 1;
        }
    }
    *used = len;
    return 0;
}

int
nk_http_head_eof(const struct nk_http_head *h, struct nk_err *err)
{
    if (h->raw_len == 0)
        return nk_err_set(err, NK_EX_IOERR,
                          "connection closed before any reply");
    return nk_err_set(err, NK_EX_IOERR,
                      "connection closed after %zu bytes, before the end of "
                      "the response head",
                      h->raw_len);
}

const char *
nk_http_head_get(const struct nk_http_head *h, const char *name)
{
    for (int i = 0; i < h->nheaders; i++)
        if (strcasecmp(h->headers[i].name, name) == 0)
            return h->headers[i].value;
    return NULL;
}

/* One 1*DIGIT item at *p; advances *p. */
static int
cl_item(const char **p, int64_t *out)
{
    int64_t v = 0;
    const char *s = *p;

    if (!isdigit((unsigned char)*s))
        return -1;
    for (; isdigit((unsigned char)*s); s++) {
        if (v > (CL_MAX - (*s - '0')) / 10)
            return -1; /* checked before multiplying: no overflow */
        v = v * 10 + (*s - '0');
    }
    *p = s;
    *out = v;
    return 0;
}

int
nk_http_parse_content_length(const char *value, int64_t *out,
                             struct nk_err *err)
{
    const char *p = value;
    int64_t first = -1, v;
    char q[200];

    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (cl_item(&p, &v) < 0 || (first >= 0 && v != first))
            break;
        first = v;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0') {
            *out = first;
            return 0;
        }
        if (*p++ != ',')
            break;
    }
    return bogus(err, "content-length '%s' is not a byte count",
                 quote(value, strlen(value), q, sizeof q));
}

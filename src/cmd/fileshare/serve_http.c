/* netkit fileshare serve, the HTTP/1.1 side: a connection whose first
 * request line ends in HTTP/1.0 or HTTP/1.1 (serve_req.c hands
 * it here) is served by this thread until it closes, goes idle, or has
 * made KEEPALIVE_MAX requests.
 *
 * Everything a path meets is the line protocol's: fss_resolve's walk
 * beneath the root fd (the same refusals, as HTTP statuses), the digest
 * cache, sendfile in --timeout slices. The head of each request is read
 * into one NK_HS_HEAD_MAX buffer (431 beyond), within --header-timeout;
 * a directory index is built twice from the sorted listing, once to
 * measure it (Content-Length) and once to send it, so it costs the
 * listing and one small buffer. Pure parts: src/proto/http_server.c. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileshare_int.h"
#include "netkit/fileshare.h"
#include "netkit/http_server.h"
#include "netkit/net.h"
#include "netkit/parse.h"
#include "netkit/sha256.h"

#define KEEPALIVE_MAX 100      /* requests on one connection */
#define KEEPALIVE_IDLE_MS 5000 /* wait for the next one at most this long */
#define KA_SLICE_MS 200        /* ... checking for a stop or eviction */
#define RESP_HEAD_MAX 2048
#define INDEX_CHUNK (16u * 1024)
/* The largest index piece: a head whose path (NK_FS_PATH_MAX bytes) is
 * escaped twice at 6 bytes a byte ("&quot;"), and the page's frame. */
#define PIECE_MAX (12u * NK_FS_PATH_MAX + 1024)

/* One connection's state across its requests. */
struct hconn {
    struct client *c;
    char buf[NK_HS_HEAD_MAX];
    size_t have;
    int requests;
};

/* What one request came to, for its log line. */
struct hres {
    int code;
    char why[NK_FS_REASON_MAX + 1];
    char detail[128];
    int close; /* the connection cannot carry another request */
};

/* --- answering ----------------------------------------------------------- */

static void
common_headers(struct nk_hs_buf *b, int code, const struct nk_hs_request *r,
               const struct hres *res)
{
    char date[NK_HS_DATE_LEN + 1];

    nk_hs_date_format(time(NULL), date);
    nk_hs_addf(b, "HTTP/1.1 %d %s\r\nServer: netkit\r\nDate: %s\r\n", code,
               nk_hs_reason(code), date);
    nk_hs_addf(b, "X-Content-Type-Options: nosniff\r\n");
    nk_hs_addf(b, "Connection: %s\r\n",
               res->close || !r->keep_alive ? "close" : "keep-alive");
}

/* An answer without a file: the status, extra header lines (each ending
 * "\r\n", may be NULL), and a one-line text body (none for HEAD). */
static void
status(struct client *c, const struct nk_hs_request *r, struct hres *res,
       int code, const char *why, const char *extra)
{
    char head[RESP_HEAD_MAX], body[NK_FS_REASON_MAX + 64];
    struct nk_hs_buf b;
    int n;

    res->code = code;
    snprintf(res->why, sizeof res->why, "%s", why ? why : nk_hs_reason(code));
    if (code >= 400 && code != 404 && code != 416)
        res->close = 1;
    n = snprintf(body, sizeof body, "%d %s\n", code, res->why);
    nk_hs_buf_init(&b, head, sizeof head);
    common_headers(&b, code, r, res);
    nk_hs_addf(&b,
               "Content-Type: text/plain; charset=utf-8\r\n"
               "Content-Length: %d\r\n%s\r\n",
               n, extra ? extra : "");
    if (b.overflow || fss_send_buf(c, head, b.len) < 0 ||
        (r->method != NK_HS_HEAD && fss_send_buf(c, body, (size_t)n) < 0))
        res->close = 1;
}

/* --- files ------------------------------------------------------------- */

static void
make_etag(const struct stat *st, char *out, size_t size)
{
    snprintf(out, size, "\"%jx-%jx-%lx-%jx\"", (uintmax_t)st->st_ino,
             (uintmax_t)st->st_size, (unsigned long)st->st_mtim.tv_nsec,
             (uintmax_t)st->st_mtim.tv_sec);
}

/* If-Range (RFC 9110 13.1.5): the range applies only while the
 * representation is the one the client has: same ETag, or same date. */
static int
if_range_holds(const struct nk_hs_request *r, const char *etag,
               const struct stat *st)
{
    time_t t;

    if (r->if_range[0] == '\0')
        return 1;
    if (r->if_range[0] == '"')
        return strcmp(r->if_range, etag) == 0;
    return nk_hs_date_parse(r->if_range, strlen(r->if_range), &t) == 0 &&
           t == st->st_mtim.tv_sec;
}

/* 304 (RFC 9110 15.4.5): the ETag the 200 would carry, no body, and no
 * digest to compute; the connection stays usable. */
static void
not_modified(struct client *c, const struct nk_hs_request *r, struct hres *res,
             const char *etag)
{
    char head[RESP_HEAD_MAX];
    struct nk_hs_buf b;

    res->code = 304;
    snprintf(res->why, sizeof res->why, "%s", nk_hs_reason(304));
    nk_hs_buf_init(&b, head, sizeof head);
    common_headers(&b, 304, r, res);
    nk_hs_addf(&b, "ETag: %s\r\n\r\n", etag);
    if (b.overflow || fss_send_buf(c, head, b.len) < 0)
        res->close = 1;
}

static void
send_file(struct client *c, const struct nk_hs_request *r, struct hres *res,
          int fd)
{
    struct stat st;
    char etag[80], date[NK_HS_DATE_LEN + 1], head[RESP_HEAD_MAX];
    char crange[96], b64[48], size_s[24];
    uint8_t sha[NK_SHA256_LEN];
    uint64_t first = 0, last = 0, len, sent = 0;
    enum nk_hs_range kind = NK_HR_NONE;
    struct nk_hs_buf b;
    int code = 200;

    if (fstat(fd, &st) < 0) {
        status(c, r, res, 500, "read failed on the server", NULL);
        return;
    }
    make_etag(&st, etag, sizeof etag);
    if (nk_hs_not_modified(r, etag, st.st_mtim.tv_sec)) {
        not_modified(c, r, res, etag);
        return;
    }
    if (r->range[0] != '\0' && if_range_holds(r, etag, &st))
        kind =
            nk_hs_range_resolve(r->range, (uint64_t)st.st_size, &first, &last);
    if (kind == NK_HR_UNSAT) {
        snprintf(crange, sizeof crange, "Content-Range: bytes */%jd\r\n",
                 (intmax_t)st.st_size);
        status(c, r, res, 416, NULL, crange);
        return;
    }
    if (!r->no_digest && fss_file_digest(c->s, fd, &st, sha) < 0) {
        status(c, r, res, 500, "read failed on the server", NULL);
        return;
    }
    if (kind != NK_HR_ONE) {
        first = 0;
        last = (uint64_t)st.st_size - 1; /* wraps for 0: len is 0 */
    } else {
        code = 206;
    }
    len = st.st_size == 0 ? 0 : last - first + 1;
    nk_hs_buf_init(&b, head, sizeof head);
    common_headers(&b, code, r, res);
    nk_hs_date_format(st.st_mtim.tv_sec, date);
    nk_hs_addf(&b,
               "Content-Type: %s\r\nContent-Length: %" PRIu64 "\r\n"
               "Last-Modified: %s\r\nETag: %s\r\nAccept-Ranges: bytes\r\n",
               nk_hs_content_type(r->path), len, date, etag);
    if (code == 206)
        nk_hs_addf(&b, "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%jd\r\n",
                   first, last, (intmax_t)st.st_size);
    if (!r->no_digest) {
        nk_hs_base64(sha, sizeof sha, b64, sizeof b64);
        nk_hs_addf(&b, "Repr-Digest: sha-256=:%s:\r\n", b64);
    }
    nk_hs_addf(&b, "\r\n");
    res->code = code;
    snprintf(res->why, sizeof res->why, "%s", nk_hs_reason(code));
    snprintf(size_s, sizeof size_s, "%" PRIu64, len);
    if (b.overflow || fss_send_buf(c, head, b.len) < 0) {
        res->close = 1;
        return;
    }
    if (r->method == NK_HS_HEAD)
        return;
    if (fss_send_body(c, fd, (off_t)first, (off_t)(first + len), &sent) == 0) {
        snprintf(res->detail, sizeof res->detail, ", %" PRIu64 " bytes sent",
                 sent);
        return;
    }
    res->close = 1;
    snprintf(res->detail, sizeof res->detail,
             ", aborted after %" PRIu64 " of %s bytes", sent, size_s);
}

/* --- directories --------------------------------------------------------- */

struct chunker {
    struct client *c;
    char *piece; /* one piece is built here (PIECE_MAX) */
    char *buf;
    size_t len;
    int err;
};

static void
chunk_put(struct chunker *k, const char *s, size_t n)
{
    if (k->err)
        return;
    if (k->len + n > INDEX_CHUNK) {
        if (fss_send_buf(k->c, k->buf, k->len) < 0)
            k->err = 1;
        k->len = 0;
    }
    if (n > INDEX_CHUNK) { /* never: one entry is far smaller */
        k->err = 1;
        return;
    }
    memcpy(k->buf + k->len, s, n);
    k->len += n;
}

/* One piece of the index: counted, and sent when sending. */
static void
fsh_emit(struct chunker *k, size_t n, size_t *total)
{
    *total += n;
    if (k == NULL)
        return;
    if (n >= PIECE_MAX) { /* never: PIECE_MAX bounds every piece */
        k->err = 1;
        return;
    }
    chunk_put(k, k->piece, n);
}

/* Measure (k NULL: nothing built) or send (k set) the index: its
 * length, the same both times. */
static size_t
index_pass(const struct listing *l, const struct nk_hs_request *r,
           struct chunker *k)
{
    char *p = k != NULL ? k->piece : NULL;
    size_t size = k != NULL ? PIECE_MAX : 0, total = 0;
    int first = 1;

    fsh_emit(k, nk_hs_index_head(p, size, r->want_json, r->path), &total);
    for (size_t i = 0; i < l->n; i++) {
        char type[8], name[NK_FS_NAME_MAX + 1];
        uint64_t bytes;
        if (nk_fs_parse_entry(l->lines[i], strlen(l->lines[i]) - 1, type,
                              &bytes, name) < 0)
            continue;
        fsh_emit(
            k,
            nk_hs_index_entry(p, size, r->want_json, first, type, bytes, name),
            &total);
        first = 0;
    }
    fsh_emit(k, nk_hs_index_foot(p, size, r->want_json), &total);
    return total;
}

static void
send_index(struct client *c, const struct nk_hs_request *r, struct hres *res,
           int dir_fd)
{
    struct listing l = {.s = c->s};
    struct chunker k = {.c = c};
    char head[RESP_HEAD_MAX];
    struct nk_hs_buf b;
    const char *why;
    size_t total;
    int rc = fss_read_dir(dir_fd, &l);

    if (rc != 0) {
        int code = fss_list_status(rc, &why);
        fss_list_free(&l);
        status(c, r, res, code, why,
               code == 503 ? "Retry-After: 1\r\n" : NULL);
        return;
    }
    total = index_pass(&l, r, NULL);
    nk_hs_buf_init(&b, head, sizeof head);
    common_headers(&b, 200, r, res);
    nk_hs_addf(&b,
               "Content-Type: %s\r\nContent-Length: %zu\r\nVary: Accept\r\n"
               "Cache-Control: no-cache\r\n"
               "Content-Security-Policy: default-src 'none'; "
               "style-src 'unsafe-inline'\r\n\r\n",
               r->want_json ? "application/json" : "text/html; charset=utf-8",
               total);
    res->code = 200;
    snprintf(res->why, sizeof res->why, "OK");
    if (b.overflow || fss_send_buf(c, head, b.len) < 0) {
        res->close = 1;
    } else if (r->method != NK_HS_HEAD) {
        k.buf = malloc(INDEX_CHUNK);
        k.piece = malloc(PIECE_MAX);
        k.err = k.buf == NULL || k.piece == NULL;
        if (!k.err)
            index_pass(&l, r, &k);
        if (!k.err && k.len > 0 && fss_send_buf(c, k.buf, k.len) < 0)
            k.err = 1;
        free(k.piece);
        free(k.buf);
        res->close = k.err;
    }
    snprintf(res->detail, sizeof res->detail, ", %zu entries%s%s", l.n,
             l.truncated ? " (truncated)" : "", res->close ? ", aborted" : "");
    fss_list_free(&l);
}

/* A directory named without its '/': relative links in its index would
 * resolve against the parent, so send the client to the name with it. */
static void
redirect_dir(struct client *c, const struct nk_hs_request *r, struct hres *res)
{
    char loc[NK_HS_TARGET_MAX + 32];

    snprintf(loc, sizeof loc, "Location: %s/\r\n", r->target);
    status(c, r, res, 301, NULL, loc);
}

static void
get_or_head(struct client *c, const struct nk_hs_request *r, struct hres *res)
{
    struct walk w;
    enum nk_fs_kind kind;
    const char *why;
    int code =
        fss_resolve(c->s, r->path, r->path_len, &w, 0, NULL, &kind, &why);

    if (code != 0)
        status(c, r, res, nk_hs_from_fs(code), why,
               code == NK_FS_BUSY ? "Retry-After: 1\r\n" : NULL);
    else if (kind == NK_FSK_DIR && !r->dir_slash)
        redirect_dir(c, r, res);
    else if (kind == NK_FSK_DIR)
        send_index(c, r, res, w.fds[w.n - 1]);
    else {
        fss_walk_keep_file(&w);
        send_file(c, r, res, w.file_fd);
    }
    fss_walk_done(&w);
}

/* --- PUT (with --allow-upload) ------------------------------------------ */

static int
http_continue(struct client *c)
{
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

    return fss_send_buf(c, cont, sizeof cont - 1);
}

static int
no_continue(struct client *c)
{
    (void)c;
    return 0;
}

static void
put_stored(struct hconn *h, const struct nk_hs_request *r, struct hres *res,
           int code, const char *why, const uint8_t *sha, uint64_t *got)
{
    char b64[48], hdr[96];

    if (code < 0) {
        res->code = 400;
        snprintf(res->why, sizeof res->why, "client gone before the data");
    } else if (code != 0) {
        status(h->c, r, res, nk_hs_from_fs(code),
               code == NK_FS_MISMATCH ? "sha-256 differs from the digest"
                                      : why,
               NULL);
        fss_put_drain(h->c, code, r->content_length, got);
    } else {
        nk_hs_base64(sha, NK_SHA256_LEN, b64, sizeof b64);
        snprintf(hdr, sizeof hdr, "Repr-Digest: sha-256=:%s:\r\n", b64);
        res->close = 0;
        status(h->c, r, res, 201, NULL, hdr);
    }
}

/* Store the body as a new file, as the line protocol's PUT does: the
 * same path rules, never over an existing name, and only if the bytes'
 * SHA-256 is the one the client declared (Content-Digest or Repr-Digest:
 * sha-256=:BASE64:). */
static void
put_file(struct hconn *h, const struct nk_hs_request *r, struct hres *res)
{
    struct client *c = h->c;
    struct walk w;
    enum nk_fs_kind kind;
    char name[NK_FS_NAME_MAX + 1];
    uint8_t want[NK_SHA256_LEN], sha[NK_SHA256_LEN];
    uint64_t got = 0;
    struct stat st;
    const char *why;
    int code;

    res->close = 1; /* an upload refused early leaves its body unread */
    if (!r->has_length) {
        status(c, r, res, 411, "PUT needs a Content-Length", NULL);
        return;
    }
    if (nk_hs_parse_repr_digest(r->digest, want) != 1) {
        status(
            c, r, res, 400,
            "PUT needs Content-Digest or Repr-Digest: sha-256=:BASE64:", NULL);
        return;
    }
    code = fss_resolve(c->s, r->path, r->path_len, &w, 1, name, &kind, &why);
    if (code != 0)
        status(c, r, res, nk_hs_from_fs(code), why, NULL);
    else if (kind != NK_FSK_DIR)
        status(c, r, res, 404, "not a directory", NULL);
    else if (fstatat(w.fds[w.n - 1], name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        status(c, r, res, 409, "already exists", NULL);
    else {
        code = fss_put_store(
            c, w.fds[w.n - 1], name, r->content_length, want, h->buf, &h->have,
            r->expect_continue ? http_continue : no_continue, &got, sha, &why);
        put_stored(h, r, res, code, why, sha, &got);
    }
    fss_walk_done(&w);
    snprintf(res->detail, sizeof res->detail,
             ", %" PRIu64 " of %" PRIu64 " bytes received", got,
             r->content_length);
}

static void
dispatch(struct hconn *h, const struct nk_hs_request *r, struct hres *res)
{
    struct client *c = h->c;

    if (r->has_body && r->method != NK_HS_PUT)
        res->close = 1; /* its body is not read: no further request */
    switch (r->method) {
    case NK_HS_GET:
    case NK_HS_HEAD:
        get_or_head(c, r, res);
        break;
    case NK_HS_PUT:
        if (c->s->o.allow_upload) {
            put_file(h, r, res);
            break;
        }
        /* FALLTHROUGH */
    case NK_HS_KNOWN:
        res->close = 1;
        status(c, r, res, 405, NULL, "Allow: GET, HEAD\r\n");
        break;
    default:
        res->close = 1;
        status(c, r, res, 501, "method not implemented", NULL);
    }
}

/* --- the connection ------------------------------------------------------ */

static void
fsh_log_request(const struct client *c, const struct nk_hs_request *r,
                const struct hres *res)
{
    char path[3 * NK_FS_PATH_MAX + 2];

    path[0] = '/';
    if (r->path_len == 1 && r->path[0] == '.')
        path[1] = '\0';
    else if (nk_fs_encode(r->path, r->path_len, path + 1, sizeof path - 1) < 0)
        snprintf(path, sizeof path, "?");
    fss_log(c->s, "%s HTTP %s %s: %d %s%s", c->peer,
            r->method_name[0] ? r->method_name : "?", path, res->code,
            res->why, res->detail);
}

enum { HEAD_OK, HEAD_GONE, HEAD_TIMEOUT, HEAD_TOO_BIG };

/* Read until h->buf holds a whole head (its length in *end), within
 * deadline. */
static int
read_head(struct hconn *h, int64_t deadline, size_t *end)
{
    for (;;) {
        ssize_t n;
        *end = nk_hs_head_end(h->buf, h->have);
        if (*end > 0)
            return HEAD_OK;
        if (h->have == sizeof h->buf)
            return HEAD_TOO_BIG;
        n = nk_recv_nb(h->c->fd, h->buf + h->have, sizeof h->buf - h->have);
        if (n > 0) {
            h->have += (size_t)n;
            continue;
        }
        if (n != NK_IO_AGAIN)
            return HEAD_GONE;
        if (fss_wait_slice(h->c, POLLIN, deadline) <= 0)
            return HEAD_TIMEOUT;
    }
}

/* One request: 1 if the connection may carry another. */
static int
one_request(struct hconn *h, int64_t deadline)
{
    struct nk_hs_request *r = calloc(1, sizeof *r);
    struct hres res = {.code = 500};
    size_t end = 0;
    int got, code, keep;

    if (r == NULL)
        return 0;
    got = read_head(h, deadline, &end);
    r->method = NK_HS_GET; /* an answer to a broken head has a body */
    /* The last request a connection may make is told so. */
    res.close =
        h->requests + 1 >= KEEPALIVE_MAX || atomic_load(&h->c->s->stop);
    if (got == HEAD_OK) {
        char why[NK_FS_REASON_MAX + 1];
        code = nk_hs_parse_head(h->buf, end, r, why);
        memmove(h->buf, h->buf + end, h->have - end);
        h->have -= end;
        if (code != 0) {
            res.close = 1;
            status(h->c, r, &res, code, why, NULL);
        } else {
            dispatch(h, r, &res);
        }
    } else if (got == HEAD_TOO_BIG) {
        res.close = 1;
        status(h->c, r, &res, 431, "request head too large", NULL);
    } else if (h->have > 0 || h->requests == 0) {
        /* A head begun and not finished; silence between requests is the
         * normal end of a keep-alive connection and is not logged. */
        res.close = 1;
        if (got == HEAD_TIMEOUT)
            status(h->c, r, &res, 408, "request head not complete in time",
                   NULL);
        else
            snprintf(res.why, sizeof res.why,
                     "connection closed before a complete request head");
        res.code = got == HEAD_TIMEOUT ? 408 : 400;
    } else {
        free(r);
        return 0;
    }
    fsh_log_request(h->c, r, &res);
    keep = got == HEAD_OK && !res.close && r->keep_alive;
    free(r);
    h->requests++;
    return keep;
}

int
fsh_evict_idle(struct srv *s)
{
    int ev = atomic_load(&s->ka_evict);

    if (ev >= atomic_load(&s->ka_idle))
        return 0; /* every idle one is already asked */
    atomic_fetch_add(&s->ka_evict, 1);
    return 1;
}

/* Between requests: wait for the next one's first bytes, within deadline,
 * in slices that also see a stop and the main thread asking an idle
 * connection to make room. 1 readable, 0 not (close quietly). */
static int
ka_wait(struct hconn *h, int64_t deadline)
{
    struct srv *s = h->c->s;
    int r = 0, ev, idle;

    atomic_fetch_add(&s->ka_idle, 1);
    for (;;) {
        int64_t left = deadline - nk_now_ms();
        ev = atomic_load(&s->ka_evict);
        if (atomic_load(&s->stop) || left <= 0)
            break;
        if (ev > 0 &&
            atomic_compare_exchange_strong(&s->ka_evict, &ev, ev - 1))
            break;
        r = nk_wait_fd(h->c->fd, POLLIN,
                       left < KA_SLICE_MS ? (int)left : KA_SLICE_MS, NULL);
        if (r != 0) {
            r = r > 0;
            break;
        }
    }
    idle = atomic_fetch_sub(&s->ka_idle, 1) - 1;
    /* A request asked of a connection that got busy meanwhile lapses. */
    ev = atomic_load(&s->ka_evict);
    while (ev > idle &&
           !atomic_compare_exchange_weak(&s->ka_evict, &ev, ev - 1))
        ;
    return r;
}

void
fsh_serve(struct client *c)
{
    struct hconn *h = malloc(sizeof *h);
    struct srv *s = c->s;
    int64_t deadline = c->accepted_ms + s->o.header_timeout_ms;
    int idle_ms = s->o.header_timeout_ms < KEEPALIVE_IDLE_MS
                      ? s->o.header_timeout_ms
                      : KEEPALIVE_IDLE_MS;

    if (h == NULL) {
        static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                   "Connection: close\r\n"
                                   "Content-Length: 0\r\n\r\n";
        (void)fss_send_buf(c, busy, sizeof busy - 1);
        return;
    }
    h->c = c;
    h->requests = 0;
    memcpy(h->buf, c->buf, c->have); /* the request line and what followed */
    h->have = c->have;
    while (one_request(h, deadline) && h->requests < KEEPALIVE_MAX &&
           !atomic_load(&s->stop)) {
        if (h->have == 0 && !ka_wait(h, nk_now_ms() + idle_ms))
            break;
        deadline = nk_now_ms() + s->o.header_timeout_ms;
    }
    free(h);
}

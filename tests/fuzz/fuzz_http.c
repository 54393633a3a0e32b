/* libFuzzer: the HTTP response-head parser never crashes, whatever the
 * bytes and however they are split into reads; a parsed head has a status
 * of 100-999, stays within its bounds, and the result does not depend on
 * the chunking. The Content-Length parser and the request builder get the
 * same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netkit/exitcodes.h"
#include "netkit/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct nk_http_head whole, chunked;

/* Feed data[0..n) in pieces of 1-17 bytes drawn from `seed` (0: all at
 * once); returns the last rc and the bytes consumed in *consumed. */
static int
feed(struct nk_http_head *h, const uint8_t *d, size_t n, uint32_t seed,
     size_t *consumed)
{
    struct nk_err err;
    size_t off = 0;
    int rc = 0;

    nk_http_head_init(h);
    *consumed = 0;
    while (off < n && rc == 0) {
        size_t piece = seed == 0 ? n : seed % 17 + 1, used = (size_t)-1;
        seed = seed * 1103515245u + 12345u;
        if (piece > n - off)
            piece = n - off;
        rc = nk_http_head_feed(h, d + off, piece, &used, &err);
        if (rc < 0) {
            if (err.exit_code != NK_EX_PROTOCOL || err.msg[0] == '\0')
                abort();
            return rc;
        }
        if (used > piece || (rc == 0 && used != piece))
            abort();
        *consumed = off + used;
        off += piece;
    }
    if (rc == 0 && (nk_http_head_eof(h, &err) != -1 || err.msg[0] == '\0'))
        abort();
    return rc;
}

static void
check_head(const struct nk_http_head *h, const uint8_t *d, size_t consumed)
{
    if (h->status < 100 || h->status > 999 || h->reason == NULL)
        abort();
    if (h->raw_len > NK_HTTP_HEAD_MAX || h->raw_len != consumed ||
        memcmp(h->raw, d, h->raw_len) != 0)
        abort();
    if (h->nheaders < 0 || h->nheaders > NK_HTTP_HEADERS_MAX ||
        h->content_length < -1)
        abort();
    for (int i = 0; i < h->nheaders; i++)
        if (h->headers[i].name[0] == '\0' || h->headers[i].value == NULL ||
            strpbrk(h->headers[i].value, "\r\n") != NULL)
            abort();
}

static void
check_build(const uint8_t *d, size_t size)
{
    char host[64], path[256], req[NK_HTTP_REQUEST_MAX];
    size_t hn = size < sizeof host - 1 ? size : sizeof host - 1;
    size_t pn = size < sizeof path - 1 ? size : sizeof path - 1;
    struct nk_err err;
    int n;

    memcpy(host, d, hn);
    host[hn] = '\0';
    memcpy(path, d, pn);
    path[pn] = '\0';
    n = nk_http_build_get(req, sizeof req, "h", 0, 80, path, &err);
    if (n < 0)
        n = nk_http_build_get(req, sizeof req, host, 0, 8080, "/", &err);
    if (n < 0)
        return;
    /* a built request is one request: its only bare CR/LF are line ends,
     * and it ends with the blank line */
    if ((size_t)n < 4 || strcmp(req + n - 4, "\r\n\r\n") != 0)
        abort();
    for (int i = 0; i < n; i++)
        if ((req[i] == '\n' && (i == 0 || req[i - 1] != '\r')) ||
            (req[i] == '\r' && req[i + 1] != '\n'))
            abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t seed = 0;
    size_t c1, c2;
    int rc1, rc2;
    char cl[64];
    int64_t v;
    struct nk_err err;

    if (size > 0)
        seed = data[0] * 2654435761u + 1;
    rc1 = feed(&whole, data, size, 0, &c1);
    rc2 = feed(&chunked, data, size, seed, &c2);
    if (rc1 != rc2)
        abort();
    if (rc1 == 1) {
        check_head(&whole, data, c1);
        check_head(&chunked, data, c2);
        if (c1 != c2 || whole.status != chunked.status ||
            whole.nheaders != chunked.nheaders ||
            whole.content_length != chunked.content_length ||
            strcmp(whole.reason, chunked.reason) != 0)
            abort();
    }
    if (size < sizeof cl) {
        memcpy(cl, data, size);
        cl[size] = '\0';
        if (nk_http_parse_content_length(cl, &v, &err) == 0 &&
            (v < 0 || v >= INT64_C(1) << 62))
            abort();
    }
    check_build(data, size);
    return 0;
}

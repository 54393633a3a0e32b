/* libFuzzer: the HTTP server side's parsers and builders (src/proto/
 * http_server.c). Invariants: a request head parses or gets a status of
 * 400-505 with a reason; a parsed path is bounded and the target has no
 * byte that could split a header (CR, LF, NUL); a resolved Range lies
 * inside the file; an index piece measured without a buffer has the
 * length written with one, NUL-terminated; a formatted date parses back
 * to the same time. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netkit/http_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_head(const char *s, size_t n)
{
    static struct nk_hs_request r;
    char why[NK_FS_REASON_MAX + 1];
    int code = nk_hs_parse_head(s, n, &r, why);

    if (code != 0) {
        if (code < 400 || code > 505 || why[0] == '\0')
            abort();
        return;
    }
    if (r.path_len == 0 || r.path_len > NK_FS_PATH_MAX ||
        strlen(r.method_name) >= sizeof r.method_name || r.minor > 1 ||
        strpbrk(r.target, "\r\n") != NULL || r.target[0] != '/' ||
        strlen(r.range) > NK_HS_FIELD_MAX)
        abort();
}

static void
check_range(const char *s, uint64_t fsize)
{
    uint64_t f = 0, l = 0;
    enum nk_hs_range k = nk_hs_range_resolve(s, fsize, &f, &l);

    if (k == NK_HR_ONE && (f > l || l >= fsize))
        abort();
    if (k == NK_HR_UNSAT && fsize != 0 && strchr(s, '-') == NULL)
        abort();
}

static size_t
count(const char *s, char c)
{
    size_t n = 0;

    for (; *s; s++)
        n += *s == c;
    return n;
}

static void
check_index(const char *name, uint64_t bytes, int json)
{
    static char buf[8 * NK_FS_NAME_MAX + 512];
    const char *type = bytes & 1 ? "dir" : "file";
    size_t m =
        nk_hs_index_entry(NULL, 0, json, (int)(bytes & 2), type, bytes, name);
    size_t w = nk_hs_index_entry(buf, sizeof buf, json, (int)(bytes & 2), type,
                                 bytes, name);

    if (m != w || (w < sizeof buf && strlen(buf) != w))
        abort();
    /* The name cannot add markup or end an attribute: the HTML piece
     * has as many '<' and '"' as the same piece for a plain name. */
    if (!json && w < sizeof buf) {
        static char plain[512];
        nk_hs_index_entry(plain, sizeof plain, 0, 0, type, bytes, "x");
        if (count(buf, '<') != count(plain, '<') ||
            count(buf, '"') != count(plain, '"'))
            abort();
    }
    m = nk_hs_index_head(NULL, 0, json, name);
    w = nk_hs_index_head(buf, sizeof buf, json, name);
    if (m != w)
        abort();
}

/* The client's parsers: a Content-Range is consistent, a digest is 32
 * bytes or nothing, index links are single decoded names. */
static void
check_client(const char *s, size_t n)
{
    char name[NK_FS_NAME_MAX + 1];
    uint8_t sha[32];
    uint64_t a = 0, b = 0, size = 0;
    size_t pos = 0, last = 0;
    int dir, k = nk_hs_parse_content_range(s, &a, &b, &size);

    if (k == 0 && (a > b || b >= size))
        abort();
    k = nk_hs_parse_repr_digest(s, sha);
    if (k < -1 || k > 1)
        abort();
    while (nk_hs_next_link(s, n, &pos, name, &dir)) {
        if (pos <= last || pos > n || name[0] == '\0' ||
            strchr(name, '/') != NULL || strcmp(name, "..") == 0 ||
            strcmp(name, ".") == 0)
            abort();
        last = pos;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1), d[NK_HS_DATE_LEN + 1];
    char name[NK_FS_NAME_MAX + 1], b64[128];
    uint64_t fsize = 0;
    time_t t, t2;

    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    check_head(s, size);
    check_client(s, size);
    (void)nk_hs_is_http(s, size);
    (void)nk_hs_looks_http(s, size);
    (void)nk_hs_content_type(s);
    for (size_t i = 0; i < size && i < 8; i++)
        fsize = fsize << 8 | data[i];
    check_range(s, fsize % 100000);
    check_range(s, fsize >> 1);
    if (nk_hs_date_parse(s, size, &t) == 0) {
        nk_hs_date_format(t, d);
        if (nk_hs_date_parse(d, strlen(d), &t2) == 0 && t2 != t)
            abort();
    }
    snprintf(name, sizeof name, "%s", s);
    if (name[0] != '\0') {
        check_index(name, fsize, 0);
        check_index(name, fsize, 1);
    }
    if (nk_hs_base64(data, size < 90 ? size : 90, b64, sizeof b64) !=
        (int)((size < 90 ? size : 90) + 2) / 3 * 4)
        abort();
    free(s);
    return 0;
}

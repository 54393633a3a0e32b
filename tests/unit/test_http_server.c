/* The HTTP server side of fileshare, pure parts: request heads, Range
 * resolution against a size, base64, content types, dates, and the
 * directory index's escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "netkit/http_server.h"

static int
parse(const char *head, struct nk_hs_request *r, char *why)
{
    return nk_hs_parse_head(head, strlen(head), r, why);
}

static void
test_is_http(void **state)
{
    (void)state;
    assert_true(nk_hs_is_http("GET / HTTP/1.1", 14));
    assert_true(nk_hs_is_http("GET / HTTP/1.0\r", 15));
    assert_false(nk_hs_is_http("GET / HTTP/2.0", 14));
    assert_false(nk_hs_is_http("GET a.txt", 9));
    assert_false(nk_hs_is_http("GET a.txt 12", 12));
    assert_false(nk_hs_is_http("HTTP/1.1", 8));
    assert_true(nk_hs_looks_http("GET /aaaa", 9));
    assert_false(nk_hs_looks_http("GET aaaa", 8));
    assert_false(nk_hs_looks_http("", 0));
}

static void
test_parse_ok(void **state)
{
    struct nk_hs_request r;
    char why[NK_FS_REASON_MAX + 1];

    (void)state;
    assert_int_equal(parse("GET /a%20b/c.txt?x=1 HTTP/1.1\r\nHost: h\r\n"
                           "Range: bytes=0-0\r\nIf-Range: \"e\"\r\n"
                           "Accept: text/html, application/json;q=0.9\r\n"
                           "Want-Repr-Digest: sha-256=0\r\n\r\n",
                           &r, why),
                     0);
    assert_int_equal(r.method, NK_HS_GET);
    assert_int_equal(r.minor, 1);
    assert_string_equal(r.path, "a b/c.txt");
    assert_string_equal(r.target, "/a%20b/c.txt");
    assert_string_equal(r.range, "bytes=0-0");
    assert_string_equal(r.if_range, "\"e\"");
    assert_true(r.want_json);
    assert_true(r.no_digest);
    assert_true(r.keep_alive);
    assert_false(r.dir_slash);

    assert_int_equal(parse("HEAD / HTTP/1.0\n\n", &r, why), 0);
    assert_int_equal(r.method, NK_HS_HEAD);
    assert_string_equal(r.path, ".");
    assert_true(r.dir_slash);
    assert_false(r.keep_alive);

    assert_int_equal(
        parse("GET /d/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r, why),
        0);
    assert_true(r.keep_alive);
    assert_true(r.dir_slash);
    assert_int_equal(
        parse("GET /d HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", &r,
              why),
        0);
    assert_false(r.keep_alive);
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: h\r\nWant-Repr-Digest: "
                           "sha-512=3, sha-256=10\r\n\r\n",
                           &r, why),
                     0);
    assert_false(r.no_digest);
    /* The path rules, not the parser, refuse these. */
    assert_int_equal(parse("GET /%2e%2e/x HTTP/1.0\r\n\r\n", &r, why), 0);
    assert_string_equal(r.path, "../x");
    assert_int_equal(parse("GET //etc/passwd HTTP/1.0\r\n\r\n", &r, why), 0);
    assert_string_equal(r.path, "/etc/passwd");
    assert_int_equal(parse("DELETE /x HTTP/1.0\r\n\r\n", &r, why), 0);
    assert_int_equal(r.method, NK_HS_KNOWN);
    assert_int_equal(parse("BREW /x HTTP/1.0\r\n\r\n", &r, why), 0);
    assert_int_equal(r.method, NK_HS_OTHER);
    assert_int_equal(
        parse("PUT /x HTTP/1.0\r\nContent-Length: 5\r\n\r\n", &r, why), 0);
    assert_true(r.has_body);
    assert_int_equal(r.content_length, 5);
}

static void
test_parse_bad(void **state)
{
    static const struct {
        const char *head;
        int code;
    } rows[] = {
        {"GET / HTTP/1.1\r\n\r\n", 400}, /* no Host */
        {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        {"GET x HTTP/1.0\r\n\r\n", 400}, /* not origin-form */
        {"GET / HTTP/1.2\r\n\r\n", 505},
        {"GET  / HTTP/1.0\r\n\r\n", 400},
        {"GET / x HTTP/1.0\r\n\r\n", 400},
        {" / HTTP/1.0\r\n\r\n", 400},
        {"GET /a%zz HTTP/1.0\r\n\r\n", 400},
        {"GET /a#b HTTP/1.0\r\n\r\n", 400},
        {"GET / HTTP/1.0\r\n folded\r\n\r\n", 400},
        {"GET / HTTP/1.0\r\nno colon\r\n\r\n", 400},
        {"GET / HTTP/1.0\r\n: empty name\r\n\r\n", 400},
        {"GET / HTTP/1.0\r\nX: a\x01"
         "b\r\n\r\n",
         400},
        {"GET / HTTP/1.0\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
         400},
        {"GET / HTTP/1.0\r\nContent-Length: -1\r\n\r\n", 400},
        {"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
        {"VERYLONGMETHODNAME / HTTP/1.0\r\n\r\n", 501},
        {"GET / HTTP/1.0\r\n", 400}, /* incomplete */
        {"\r\n\r\n", 400},
    };
    struct nk_hs_request r;
    char why[NK_FS_REASON_MAX + 1];

    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int got = parse(rows[i].head, &r, why);
        if (got != rows[i].code)
            fail_msg("row %zu: got %d want %d", i, got, rows[i].code);
        assert_true(why[0] != '\0');
    }
}

static void
test_parse_limits(void **state)
{
    static char head[NK_HS_HEAD_MAX + 64];
    struct nk_hs_request r;
    char why[NK_FS_REASON_MAX + 1];
    int n;

    (void)state;
    n = snprintf(head, sizeof head, "GET /");
    memset(head + n, 'a', NK_HS_TARGET_MAX);
    n += NK_HS_TARGET_MAX;
    n += snprintf(head + n, sizeof head - (size_t)n, " HTTP/1.0\r\n\r\n");
    assert_int_equal(nk_hs_parse_head(head, (size_t)n, &r, why), 414);
    memset(head, 'x', sizeof head);
    assert_int_equal(nk_hs_parse_head(head, NK_HS_HEAD_MAX, &r, why), 431);
    n = snprintf(head, sizeof head, "GET / HTTP/1.0\r\nRange: ");
    memset(head + n, '1', NK_HS_FIELD_MAX + 1);
    n += NK_HS_FIELD_MAX + 1;
    n += snprintf(head + n, sizeof head - (size_t)n, "\r\n\r\n");
    assert_int_equal(nk_hs_parse_head(head, (size_t)n, &r, why), 431);
}

static void
test_range(void **state)
{
    static const struct {
        const char *spec;
        uint64_t size;
        enum nk_hs_range want;
        uint64_t first, last;
    } rows[] = {
        {"bytes=0-0", 12, NK_HR_ONE, 0, 0},
        {"bytes=11-11", 12, NK_HR_ONE, 11, 11},
        {"bytes=11-", 12, NK_HR_ONE, 11, 11},
        {"bytes=0-", 12, NK_HR_ONE, 0, 11},
        {"bytes=5-999", 12, NK_HR_ONE, 5, 11},
        {"bytes=-5", 12, NK_HR_ONE, 7, 11},
        {"bytes=-12", 12, NK_HR_ONE, 0, 11},
        {"bytes=-100", 12, NK_HR_ONE, 0, 11},
        {"bytes = 2-3 ", 12, NK_HR_ONE, 2, 3},
        {"BYTES=2-3", 12, NK_HR_ONE, 2, 3},
        {"bytes=12-", 12, NK_HR_UNSAT, 0, 0},
        {"bytes=12-20", 12, NK_HR_UNSAT, 0, 0},
        {"bytes=-0", 12, NK_HR_UNSAT, 0, 0},
        {"bytes=0-0", 0, NK_HR_UNSAT, 0, 0},
        {"bytes=-5", 0, NK_HR_UNSAT, 0, 0},
        {"bytes=0-", 0, NK_HR_UNSAT, 0, 0},
        {"bytes=0-0,2-3", 12, NK_HR_MANY, 0, 0},
        {"bytes=0-5, 3-8", 12, NK_HR_MANY, 0, 0},
        {"bytes=5-2", 12, NK_HR_NONE, 0, 0},
        {"bytes=x-1", 12, NK_HR_NONE, 0, 0},
        {"bytes=", 12, NK_HR_NONE, 0, 0},
        {"bytes=-", 12, NK_HR_NONE, 0, 0},
        {"bytes=1", 12, NK_HR_NONE, 0, 0},
        {"items=0-1", 12, NK_HR_NONE, 0, 0},
        {"bytes=0-1x", 12, NK_HR_NONE, 0, 0},
        {"bytes=99999999999999999999-", 12, NK_HR_NONE, 0, 0},
        {"bytes=9223372036854775806-", UINT64_C(9223372036854775807),
         NK_HR_ONE, UINT64_C(9223372036854775806),
         UINT64_C(9223372036854775806)},
    };

    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint64_t f = 0, l = 0;
        enum nk_hs_range got =
            nk_hs_range_resolve(rows[i].spec, rows[i].size, &f, &l);
        if (got != rows[i].want)
            fail_msg("%s: got %d want %d", rows[i].spec, got, rows[i].want);
        if (got == NK_HR_ONE && (f != rows[i].first || l != rows[i].last))
            fail_msg("%s: got %llu-%llu", rows[i].spec, (unsigned long long)f,
                     (unsigned long long)l);
    }
}

static void
test_base64(void **state)
{
    static const struct {
        const char *in, *out;
    } rows[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    char out[16];

    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_int_equal(nk_hs_base64((const uint8_t *)rows[i].in,
                                      strlen(rows[i].in), out, sizeof out),
                         (int)strlen(rows[i].out));
        assert_string_equal(out, rows[i].out);
    }
    assert_int_equal(nk_hs_base64((const uint8_t *)"foo", 3, out, 4), -1);
    assert_int_equal(nk_hs_base64((const uint8_t *)"foo", 3, out, 5), 4);
}

static void
test_content_type(void **state)
{
    (void)state;
    assert_string_equal(nk_hs_content_type("a.txt"),
                        "text/plain; charset=utf-8");
    assert_string_equal(nk_hs_content_type("d/x.PNG"), "image/png");
    assert_string_equal(nk_hs_content_type("d.json"), "application/json");
    assert_string_equal(nk_hs_content_type("noext"),
                        "application/octet-stream");
    assert_string_equal(nk_hs_content_type(".txt"),
                        "application/octet-stream");
    assert_string_equal(nk_hs_content_type("d.txt/x"),
                        "application/octet-stream");
    assert_string_equal(nk_hs_content_type("x.unknown"),
                        "application/octet-stream");
}

static void
test_dates(void **state)
{
    char d[NK_HS_DATE_LEN + 1];
    time_t t;

    (void)state;
    nk_hs_date_format(784111777, d);
    assert_string_equal(d, "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_int_equal(nk_hs_date_parse(d, strlen(d), &t), 0);
    assert_int_equal(t, 784111777);
    nk_hs_date_format(0, d);
    assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 GMT");
    nk_hs_date_format(951782400, d); /* a leap day */
    assert_string_equal(d, "Tue, 29 Feb 2000 00:00:00 GMT");
    assert_int_equal(nk_hs_date_parse(d, strlen(d), &t), 0);
    assert_int_equal(t, 951782400);
    assert_int_equal(
        nk_hs_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", 30, &t), -1);
    assert_int_equal(nk_hs_date_parse("Sun, 06 Xyz 1994 08:49:37 GMT", 29, &t),
                     -1);
    assert_int_equal(nk_hs_date_parse("Sun, 06 Nov 1994 25:49:37 GMT", 29, &t),
                     -1);
    assert_int_equal(nk_hs_date_parse("\"etag\"", 6, &t), -1);
}

static void
test_index(void **state)
{
    char buf[1024];
    size_t n;

    (void)state;
    n = nk_hs_index_entry(buf, sizeof buf, 0, 1, "file", 12, "a <b>&\"'.txt");
    assert_int_equal(n, strlen(buf));
    assert_string_equal(buf, "<tr><td><a href=\"./a%20%3Cb%3E%26%22%27.txt\">"
                             "a &lt;b&gt;&amp;&quot;&#39;.txt</a></td>"
                             "<td>12</td></tr>\n");
    n = nk_hs_index_entry(buf, sizeof buf, 0, 1, "dir", 0, "javascript:x");
    assert_string_equal(buf, "<tr><td><a href=\"./javascript%3Ax/\">"
                             "javascript:x/</a></td><td>-</td></tr>\n");
    n = nk_hs_index_entry(buf, sizeof buf, 1, 1, "file", 3, "q\"\\\x01\xff");
    assert_string_equal(buf, "\n{\"name\":\"q\\\"\\\\\\u0001\\u00ff\","
                             "\"type\":\"file\",\"size\":3,"
                             "\"href\":\"./q%22%5C%01%FF\"}");
    n = nk_hs_index_entry(buf, sizeof buf, 1, 0, "file", 3, "\xc3\xa9");
    assert_string_equal(buf, ",\n{\"name\":\"\xc3\xa9\",\"type\":\"file\","
                             "\"size\":3,\"href\":\"./%C3%A9\"}");
    /* Measuring: no buffer, the same length. */
    assert_int_equal(nk_hs_index_entry(NULL, 0, 1, 0, "file", 3, "\xc3\xa9"),
                     n);
    /* Too small: nothing written past the end, the length still told. */
    memset(buf, 'Z', sizeof buf);
    n = nk_hs_index_entry(buf, 8, 0, 1, "file", 1, "abc");
    assert_true(n > 8);
    assert_int_equal(buf[8], 'Z');
    n = nk_hs_index_head(buf, sizeof buf, 0, "d<x>");
    assert_non_null(strstr(buf, "<title>Index of /d&lt;x&gt;</title>"));
    assert_non_null(strstr(buf, "href=\"../\""));
    assert_null(strstr(buf, "<script"));
    nk_hs_index_head(buf, sizeof buf, 0, ".");
    assert_null(strstr(buf, "href=\"../\""));
    /* The largest head (fileshare/serve_http.c's PIECE_MAX bound): a whole
     * path of bytes escaped six to one, twice. */
    {
        static char path[NK_FS_PATH_MAX + 1];
        memset(path, '"', NK_FS_PATH_MAX);
        assert_true(nk_hs_index_head(NULL, 0, 0, path) <=
                    12 * NK_FS_PATH_MAX + 1024);
        assert_true(nk_hs_index_head(NULL, 0, 0, path) > 12 * NK_FS_PATH_MAX);
    }
    nk_hs_index_head(buf, sizeof buf, 1, ".");
    assert_string_equal(buf, "{\"path\":\"/\",\"entries\":[");
    nk_hs_index_foot(buf, sizeof buf, 1);
    assert_string_equal(buf, "\n]}\n");
}

static void
test_heads(void **state)
{
    char buf[256];
    struct nk_hs_buf b;

    (void)state;
    assert_string_equal(nk_hs_reason(206), "Partial Content");
    assert_string_equal(nk_hs_reason(431), "Request Header Fields Too Large");
    assert_string_equal(nk_hs_reason(999), "Unknown");
    assert_int_equal(nk_hs_from_fs(403), 403);
    assert_int_equal(nk_hs_from_fs(0), 500);
    nk_hs_buf_init(&b, buf, 16);
    nk_hs_addf(&b, "%s", "0123456789");
    nk_hs_addf(&b, "%s", "0123456789");
    assert_true(b.overflow);
    assert_string_equal(buf, "0123456789");
    assert_true(nk_hs_build_drop(buf, sizeof buf, 414, "too long") > 0);
    assert_non_null(strstr(buf, "HTTP/1.1 414 URI Too Long\r\n"));
    assert_non_null(strstr(buf, "Content-Length: 13\r\n\r\n414 too long\n"));
    assert_int_equal(nk_hs_build_drop(buf, 10, 414, "too long"), -1);
}

static void
test_client_fields(void **state)
{
    uint8_t sha[32], want[32];
    uint64_t a = 0, b = 0, n = 0;

    (void)state;
    assert_int_equal(nk_hs_parse_content_range("bytes 0-0/12", &a, &b, &n), 0);
    assert_true(a == 0 && b == 0 && n == 12);
    assert_int_equal(nk_hs_parse_content_range("bytes 7-11/12", &a, &b, &n),
                     0);
    assert_true(a == 7 && b == 11 && n == 12);
    assert_int_equal(nk_hs_parse_content_range("bytes */12", &a, &b, &n), 1);
    assert_true(n == 12);
    assert_int_equal(nk_hs_parse_content_range("bytes 5-4/12", &a, &b, &n),
                     -1);
    assert_int_equal(nk_hs_parse_content_range("bytes 0-12/12", &a, &b, &n),
                     -1);
    assert_int_equal(nk_hs_parse_content_range("bytes 0-1/*", &a, &b, &n), -1);
    assert_int_equal(nk_hs_parse_content_range("items 0-1/2", &a, &b, &n), -1);
    assert_int_equal(nk_hs_parse_content_range("bytes 0-1/2x", &a, &b, &n),
                     -1);

    /* sha-256 of "" */
    memcpy(want,
           "\xe3\xb0\xc4\x42\x98\xfc\x1c\x14\x9a\xfb\xf4\xc8\x99\x6f\xb9\x24"
           "\x27\xae\x41\xe4\x64\x9b\x93\x4c\xa4\x95\x99\x1b\x78\x52\xb8\x55",
           32);
    assert_int_equal(
        nk_hs_parse_repr_digest(
            "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:", sha),
        1);
    assert_memory_equal(sha, want, 32);
    assert_int_equal(
        nk_hs_parse_repr_digest("sha-512=:YWJj:, SHA-256=:47DEQpj8HBSa+/"
                                "TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:",
                                sha),
        1);
    assert_memory_equal(sha, want, 32);
    assert_int_equal(nk_hs_parse_repr_digest("sha-512=:YWJj:", sha), 0);
    assert_int_equal(nk_hs_parse_repr_digest("", sha), 0);
    assert_int_equal(nk_hs_parse_repr_digest("sha-256=:YWJj:", sha), -1);
    assert_int_equal(nk_hs_parse_repr_digest("sha-256=47DEQ", sha), -1);
    assert_int_equal(
        nk_hs_parse_repr_digest(
            "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF!=:", sha),
        -1);
}

static void
test_index_links(void **state)
{
    /* netkit's, nginx's and python's index lines, and what to skip. */
    static const char html[] =
        "<a href=\"../\">../</a><a href=\"./a%20b.txt\">a b.txt</a>"
        "<a href=\"sub/\">sub/</a>\n<a href='q%26x'>q&amp;x</a>"
        "<a href=\"x&amp;y\">x&amp;y</a>"
        "<a href=\"http://evil.invalid/\">x</a><a href=\"/abs\">a</a>"
        "<a href=\"?C=N;O=D\">sort</a><a href=\"a/b\">deep</a>"
        "<a href=\"%2e%2e\">dots</a><a href=\"%00\">nul</a>"
        "<a href=\"unterminated";
    static const struct {
        const char *name;
        int dir;
    } want[] = {{"a b.txt", 0}, {"sub", 1}, {"q&x", 0}, {"x&y", 0}};
    char name[NK_FS_NAME_MAX + 1];
    size_t pos = 0, k = 0;
    int dir;

    (void)state;
    while (nk_hs_next_link(html, sizeof html - 1, &pos, name, &dir)) {
        assert_true(k < sizeof want / sizeof want[0]);
        assert_string_equal(name, want[k].name);
        assert_int_equal(dir, want[k].dir);
        k++;
    }
    assert_int_equal(k, sizeof want / sizeof want[0]);
    assert_int_equal(pos, sizeof html - 1);
}

/* Conditional GET: If-None-Match (weak comparison, lists, "*", several
 * lines) decides alone; If-Modified-Since only without it, and only when
 * it is one valid date (RFC 9110 13.1.2, 13.1.3, 13.2.2). */
static void
test_conditional(void **state)
{
    struct nk_hs_request r;
    char why[NK_FS_REASON_MAX + 1], big[NK_HS_HEAD_MAX];
    const char *tag = "\"a-b\"";
    time_t t;
    int n;

    (void)state;
    assert_true(nk_hs_etag_match("\"a-b\"", tag));
    assert_true(nk_hs_etag_match("W/\"a-b\"", tag));
    assert_true(nk_hs_etag_match("\"a-b\"", "W/\"a-b\""));
    assert_true(nk_hs_etag_match("\"x\", \"y\" ,W/\"a-b\"", tag));
    assert_true(nk_hs_etag_match("*", tag));
    assert_false(nk_hs_etag_match("\"a-bc\"", tag));
    assert_false(nk_hs_etag_match("\"a\"", tag));
    assert_false(nk_hs_etag_match("a-b", tag));               /* unquoted */
    assert_false(nk_hs_etag_match("\"x\", a, \"a-b\"", tag)); /* after junk */
    assert_false(nk_hs_etag_match("\"a-b", tag));
    assert_false(nk_hs_etag_match("", tag));
    assert_false(
        nk_hs_etag_match("w/\"a-b\"", tag)); /* W/ is case-sensitive */

    assert_int_equal(nk_hs_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", 29, &t),
                     0);
    assert_int_equal(
        parse("GET /f HTTP/1.1\r\nHost: h\r\n"
              "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
              "\r\n",
              &r, why),
        0);
    assert_int_equal(r.has_ims, 1);
    assert_true(nk_hs_not_modified(&r, tag, t));
    assert_true(nk_hs_not_modified(&r, tag, t - 1));
    assert_false(nk_hs_not_modified(&r, tag, t + 1));
    r.method = NK_HS_HEAD;
    assert_true(nk_hs_not_modified(&r, tag, t));
    r.method = NK_HS_PUT;
    assert_false(nk_hs_not_modified(&r, tag, t));

    /* If-None-Match wins, whichever way it goes. */
    assert_int_equal(
        parse("GET /f HTTP/1.1\r\nHost: h\r\n"
              "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
              "If-None-Match: \"zz\"\r\n\r\n",
              &r, why),
        0);
    assert_false(nk_hs_not_modified(&r, tag, t - 100));
    assert_int_equal(
        parse("GET /f HTTP/1.1\r\nHost: h\r\n"
              "If-None-Match: \"zz\"\r\n"
              "If-None-Match: W/\"a-b\"\r\n"
              "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
              "\r\n",
              &r, why),
        0);
    assert_string_equal(r.if_none_match, "\"zz\", W/\"a-b\"");
    assert_true(nk_hs_not_modified(&r, tag, t + 100));

    /* If-Modified-Since ignored: not a date, two of them, none at all. */
    assert_int_equal(parse("GET /f HTTP/1.1\r\nHost: h\r\n"
                           "If-Modified-Since: yesterday\r\n\r\n",
                           &r, why),
                     0);
    assert_false(nk_hs_not_modified(&r, tag, 0));
    assert_int_equal(
        parse("GET /f HTTP/1.1\r\nHost: h\r\n"
              "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
              "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
              "\r\n",
              &r, why),
        0);
    assert_int_equal(r.has_ims, -1);
    assert_false(nk_hs_not_modified(&r, tag, 0));
    assert_int_equal(parse("GET /f HTTP/1.1\r\nHost: h\r\n\r\n", &r, why), 0);
    assert_false(nk_hs_not_modified(&r, tag, 0));

    /* A list over NK_HS_INM_MAX: 431. */
    n = snprintf(big, sizeof big,
                 "GET /f HTTP/1.1\r\nHost: h\r\nIf-None-Match: ");
    while (n < NK_HS_INM_MAX + 100)
        n += snprintf(big + n, sizeof big - (size_t)n, "\"%04d\", ", n);
    snprintf(big + n, sizeof big - (size_t)n, "\"e\"\r\n\r\n");
    assert_int_equal(parse(big, &r, why), 431);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_http),
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_content_type),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_index),
        cmocka_unit_test(test_heads),
        cmocka_unit_test(test_client_fields),
        cmocka_unit_test(test_index_links),
        cmocka_unit_test(test_conditional),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* httpget: the request builder and the response-head parser table by
 * table (every head also fed one byte at a time and split at every
 * offset), then the command in-process against a forked loopback peer, so
 * the sanitizers see the whole path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "commands.h"
#include "netkit/dest.h"
#include "netkit/exitcodes.h"
#include "netkit/http.h"
#include "netkit/net.h"

static struct nk_http_head head; /* large: one, reused */

/* ---- the request ---- */

static void
test_build_get(void **state)
{
    static const struct {
        const char *host;
        int v6, port;
        const char *path, *line, *hostf;
    } cases[] = {
        {"example.org", 0, 80, "/", "GET / HTTP/1.0\r\n", "example.org"},
        {"example.org", 0, 8080, "/a?b=c", "GET /a?b=c HTTP/1.0\r\n",
         "example.org:8080"},
        {"::1", 1, 80, "/x", "GET /x HTTP/1.0\r\n", "[::1]"},
        {"::1", 0, 8000, "/x", "GET /x HTTP/1.0\r\n", "[::1]:8000"},
        {"fe80::1%eth0", 1, 80, "/", "GET / HTTP/1.0\r\n", "[fe80::1%25eth0]"},
        {"127.0.0.1", 0, 65535, "/%20", "GET /%20 HTTP/1.0\r\n",
         "127.0.0.1:65535"},
        {"h", 0, 80, "/caf\xc3\xa9", "GET /caf%C3%A9 HTTP/1.0\r\n", "h"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[NK_HTTP_REQUEST_MAX], want[512];
        struct nk_err err;
        int n = nk_http_build_get(buf, sizeof buf, cases[i].host, cases[i].v6,
                                  cases[i].port, cases[i].path, &err);
        if (n < 0)
            fail_msg("case %zu refused: %s", i, err.msg);
        assert_int_equal((size_t)n, strlen(buf));
        snprintf(want, sizeof want,
                 "%sHost: %s\r\nUser-Agent: netkit/" NETKIT_VERSION
                 "\r\nAccept: */*\r\nConnection: close\r\n\r\n",
                 cases[i].line, cases[i].hostf);
        assert_string_equal(buf, want);
    }
}

static void
test_build_get_refusals(void **state)
{
    static const struct {
        const char *host;
        int port;
        const char *path, *msg;
    } cases[] = {
        {"h", 80, "x", "path 'x' must start with '/'"},
        {"h", 80, "", "path '' must start with '/'"},
        {"h", 80, "/a b", "space or control byte"},
        {"h", 80, "/a\r\nX: y", "space or control byte"},
        {"h", 80, "/\x7f", "space or control byte"},
        {"a b", 80, "/", "not allowed in a host name"},
        {"a/b", 80, "/", "not allowed in a host name"},
        {"a\r\nX", 80, "/", "not allowed in a host name"},
        {"", 80, "/", "empty host name"},
        {"h", 0, "/", "port 0 is out of range"},
        {"h", 65536, "/", "out of range"},
    };
    char small[40];
    struct nk_err err;
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[NK_HTTP_REQUEST_MAX];
        if (nk_http_build_get(buf, sizeof buf, cases[i].host, 0, cases[i].port,
                              cases[i].path, &err) >= 0)
            fail_msg("case %zu accepted", i);
        assert_int_equal(err.exit_code, NK_EX_DATAERR);
        if (strstr(err.msg, cases[i].msg) == NULL)
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].msg);
    }
    /* a buffer too small is an error, never a cut request */
    assert_int_equal(
        nk_http_build_get(small, sizeof small, "h", 0, 80, "/", &err), -1);
    assert_non_null(strstr(err.msg, "too long"));
}

/* ---- the response head ---- */

struct good_case {
    const char *in;
    int status, minor, nheaders;
    const char *reason;
    int64_t clen;
    const char *hname, *hvalue; /* one header to look up */
    size_t body_at;             /* where the head ends in `in` */
};

static const struct good_case good[] = {
    {"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello", 200, 0, 1, "OK", 5,
     "content-length", "5", 38},
    {"HTTP/1.1 404 Not Found\r\nServer: x\r\nContent-Type: text/html\r\n\r\n",
     404, 1, 2, "Not Found", -1, "SERVER", "x", 62},
    {"HTTP/1.0 200 OK\n\nbody", 200, 0, 0, "OK", -1, NULL, NULL, 17},
    {"HTTP/1.0 204\r\n\r\n", 204, 0, 0, "", -1, NULL, NULL, 16},
    {"HTTP/1.0 200 \r\n\r\n", 200, 0, 0, "", -1, NULL, NULL, 17},
    {"HTTP/1.0 999 Odd but three digits\r\n\r\n", 999, 0, 0,
     "Odd but three digits", -1, NULL, NULL, 37},
    {"HTTP/1.0 100 Continue\r\n\r\n", 100, 0, 0, "Continue", -1, NULL, NULL,
     25},
    /* value whitespace trimmed, empty value, tab inside */
    {"HTTP/1.0 200 OK\r\nX-A:   spaced\t \r\nX-B:\r\nX-C: a\tb\r\n\r\n", 200,
     0, 3, "OK", -1, "x-a", "spaced", 52},
    {"HTTP/1.0 200 OK\r\nX-C: a\tb\r\n\r\n", 200, 0, 1, "OK", -1, "x-c",
     "a\tb", 29},
    /* obs-fold joined with one space (RFC 9112 5.2) */
    {"HTTP/1.0 200 OK\r\nX-F: one\r\n  two\r\n\tthree\r\n\r\n", 200, 0, 1,
     "OK", -1, "x-f", "one two three", 44},
    {"HTTP/1.0 200 OK\r\nX-E:\r\n more\r\n\r\n", 200, 0, 1, "OK", -1, "x-e",
     "more", 32},
    /* identical Content-Length repeated, or as a list */
    {"HTTP/1.0 200 OK\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\nabc",
     200, 0, 2, "OK", 3, NULL, NULL, 57},
    {"HTTP/1.0 200 OK\r\nContent-Length: 3, 3\r\n\r\n", 200, 0, 1, "OK", 3,
     NULL, NULL, 41},
    {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 200, 0, 1, "OK", 0, NULL,
     NULL, 38},
    /* obs-text in the reason phrase and a value */
    {"HTTP/1.0 200 \xc3\x9c\x62\x65r\r\nX: \xff\r\n\r\n", 200, 0, 1,
     "\xc3\x9c\x62\x65r", -1, "x", "\xff", 28},
    /* mixed line ends */
    {"HTTP/1.0 200 OK\nA: 1\r\nB: 2\n\r\n", 200, 0, 2, "OK", -1, "b", "2", 29},
};

static void
check_good(const struct good_case *c, size_t i, const char *how)
{
    if (head.status != c->status || head.version_minor != c->minor ||
        head.nheaders != c->nheaders || strcmp(head.reason, c->reason) != 0 ||
        head.content_length != c->clen || head.raw_len != c->body_at)
        fail_msg("case %zu (%s): status %d minor %d headers %d reason '%s' "
                 "clen %lld head %zu",
                 i, how, head.status, head.version_minor, head.nheaders,
                 head.reason, (long long)head.content_length, head.raw_len);
    if (memcmp(head.raw, c->in, c->body_at) != 0)
        fail_msg("case %zu (%s): raw head differs", i, how);
    if (c->hname != NULL) {
        const char *v = nk_http_head_get(&head, c->hname);
        if (v == NULL || strcmp(v, c->hvalue) != 0)
            fail_msg("case %zu (%s): %s = '%s'", i, how, c->hname,
                     v ? v : "(none)");
    }
}

/* Feed in[0..split) then the rest; where the head ends must not depend on
 * how the bytes arrived. */
static void
feed_split(const struct good_case *c, size_t i, size_t split)
{
    size_t n = strlen(c->in), used;
    struct nk_err err;
    int rc;

    nk_http_head_init(&head);
    rc = nk_http_head_feed(&head, c->in, split, &used, &err);
    if (rc < 0)
        fail_msg("case %zu split %zu: %s", i, split, err.msg);
    if (rc == 1) {
        assert_int_equal(used, c->body_at);
    } else {
        assert_int_equal(used, split);
        rc = nk_http_head_feed(&head, c->in + split, n - split, &used, &err);
        if (rc != 1)
            fail_msg("case %zu split %zu: rc %d %s", i, split, rc,
                     rc < 0 ? err.msg : "");
        assert_int_equal(split + used, c->body_at);
    }
    check_good(c, i, "split");
}

static void
test_head_good(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        const struct good_case *c = &good[i];
        size_t n = strlen(c->in), used = 0, k;
        struct nk_err err;
        int rc = 0;

        for (size_t split = 0; split <= n; split++)
            feed_split(c, i, split);
        /* one byte at a time */
        nk_http_head_init(&head);
        for (k = 0; k < n && rc == 0; k++)
            rc = nk_http_head_feed(&head, c->in + k, 1, &used, &err);
        assert_int_equal(rc, 1);
        assert_int_equal(k, c->body_at);
        check_good(c, i, "bytewise");
        /* once done, more bytes are the body's, not the head's */
        assert_int_equal(nk_http_head_feed(&head, "xyz", 3, &used, &err), 1);
        assert_int_equal(used, 0);
    }
}

static void
test_head_bad(void **state)
{
    static const struct {
        const char *in, *msg;
    } cases[] = {
        {"SSH-2.0-OpenSSH\r\n", "not an HTTP response (starts 'SSH-2.0-"},
        {"<html>", "not an HTTP response"},
        {"http/1.0 200 OK\r\n\r\n", "not an HTTP response"},
        {"\r\nHTTP/1.0 200 OK\r\n\r\n", "not an HTTP response"},
        {"HTTP/1.0 200OK\r\n\r\n", "no 3-digit status code"},
        {"HTTP/1.0 20 OK\r\n\r\n", "no 3-digit status code"},
        {"HTTP/1.0 099 Low\r\n\r\n", "no 3-digit status code"},
        {"HTTP/1.0 2000 OK\r\n\r\n", "no 3-digit status code"},
        {"HTTP/1.0 abc OK\r\n\r\n", "no 3-digit status code"},
        {"HTTP/1.0  200 OK\r\n\r\n", "no 3-digit status code"},
        {"HTTP/1.0\r\n\r\n", "is not 'HTTP/1.x NNN reason'"},
        {"HTTP/10 200 OK\r\n\r\n", "is not 'HTTP/1.x NNN reason'"},
        {"HTTP/2.0 200 OK\r\n\r\n", "unsupported version 'HTTP/2.0'"},
        {"HTTP/0.9 200 OK\r\n\r\n", "unsupported version"},
        {"HTTP/1.0 200 O\x01K\r\n\r\n", "control byte in status line"},
        {"HTTP/1.0 200 OK\r\nNoColon\r\n\r\n", "is not 'name: value'"},
        {"HTTP/1.0 200 OK\r\n: empty\r\n\r\n", "is not 'name: value'"},
        {"HTTP/1.0 200 OK\r\nBad Name: x\r\n\r\n", "has a bad character"},
        {"HTTP/1.0 200 OK\r\nName : x\r\n\r\n", "has a bad character"},
        {"HTTP/1.0 200 OK\r\nX: a\rb\r\n\r\n", "control byte in header"},
        {"HTTP/1.0 200 OK\r\n folded first\r\n\r\n", "continuation line"},
        {"HTTP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n",
         "content-length '-1' is not a byte count"},
        {"HTTP/1.0 200 OK\r\nContent-Length: 1 2\r\n\r\n", "not a byte count"},
        {"HTTP/1.0 200 OK\r\nContent-Length: 3, 4\r\n\r\n",
         "not a byte count"},
        {"HTTP/1.0 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
         "conflicting content-length values 3 and 4"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].in), used;
        struct nk_err err;
        nk_http_head_init(&head);
        if (nk_http_head_feed(&head, cases[i].in, n, &used, &err) != -1)
            fail_msg("case %zu accepted", i);
        assert_int_equal(err.exit_code, NK_EX_PROTOCOL);
        if (strncmp(err.msg, "bogus reply: ", 13) != 0 ||
            strstr(err.msg, cases[i].msg) == NULL)
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].msg);
    }
    /* a NUL inside a value */
    {
        static const char nul[] = "HTTP/1.0 200 OK\r\nX: a\0b\r\n\r\n";
        struct nk_err err;
        size_t used;
        nk_http_head_init(&head);
        assert_int_equal(
            nk_http_head_feed(&head, nul, sizeof nul - 1, &used, &err), -1);
        assert_non_null(strstr(err.msg, "control byte in header line"));
    }
}

/* Garbage is refused at its first wrong byte, before a line ends: a
 * server that sends junk and keeps the connection open is caught. */
static void
test_garbage_early(void **state)
{
    struct nk_err err;
    size_t used;
    (void)state;
    nk_http_head_init(&head);
    assert_int_equal(nk_http_head_feed(&head, "HTT", 3, &used, &err), 0);
    assert_int_equal(nk_http_head_feed(&head, "X", 1, &used, &err), -1);
    assert_string_equal(err.msg, "bogus reply: not an HTTP response (starts "
                                 "'HTTX', not 'HTTP/')");
    nk_http_head_init(&head);
    assert_int_equal(nk_http_head_feed(&head, "\x1b[2J", 4, &used, &err), -1);
    /* a terminal escape is quoted, never passed through */
    assert_null(strchr(err.msg, '\x1b'));
    assert_non_null(strstr(err.msg, "\\x1b[2J"));
}

static void
test_head_limits(void **state)
{
    static char big[NK_HTTP_HEAD_MAX + 100];
    struct nk_err err;
    size_t used, n;
    int rc = 0;
    (void)state;

    /* exactly NK_HTTP_HEADERS_MAX fields pass, one more fails */
    for (int extra = 0; extra <= 1; extra++) {
        n = (size_t)snprintf(big, sizeof big, "HTTP/1.0 200 OK\r\n");
        for (int i = 0; i < NK_HTTP_HEADERS_MAX + extra; i++)
            n +=
                (size_t)snprintf(big + n, sizeof big - n, "H%d: %d\r\n", i, i);
        n += (size_t)snprintf(big + n, sizeof big - n, "\r\n");
        nk_http_head_init(&head);
        rc = nk_http_head_feed(&head, big, n, &used, &err);
        if (extra == 0) {
            assert_int_equal(rc, 1);
            assert_int_equal(head.nheaders, NK_HTTP_HEADERS_MAX);
            assert_string_equal(nk_http_head_get(&head, "h99"), "99");
        } else {
            assert_int_equal(rc, -1);
            assert_non_null(strstr(err.msg, "more than 100 header fields"));
        }
    }
    /* a head of exactly the bound passes; one byte more does not */
    for (int extra = 0; extra <= 1; extra++) {
        size_t fill = NK_HTTP_HEAD_MAX -
                      strlen("HTTP/1.0 200 OK\r\nX: \r\n\r\n") + (size_t)extra;
        n = (size_t)snprintf(big, sizeof big, "HTTP/1.0 200 OK\r\nX: ");
        memset(big + n, 'a', fill);
        n += fill;
        memcpy(big + n, "\r\n\r\n", 4);
        n += 4;
        nk_http_head_init(&head);
        rc = 0;
        /* in 1000-byte reads, as a socket would deliver it */
        for (size_t off = 0; off < n && rc == 0; off += 1000)
            rc = nk_http_head_feed(&head, big + off,
                                   n - off < 1000 ? n - off : 1000, &used,
                                   &err);
        if (extra == 0) {
            assert_int_equal(rc, 1);
            assert_int_equal(head.raw_len, NK_HTTP_HEAD_MAX);
            assert_int_equal(strlen(nk_http_head_get(&head, "x")), fill);
        } else {
            assert_int_equal(rc, -1);
            assert_string_equal(err.msg, "bogus reply: response head larger "
                                         "than 65536 bytes");
        }
    }
}

static void
test_content_length(void **state)
{
    static const struct {
        const char *in;
        int64_t want; /* -2: refused */
    } cases[] = {
        {"0", 0},
        {"12", 12},
        {"007", 7},
        {"1048576", 1048576},
        {"4611686018427387903", INT64_C(4611686018427387903)},
        {"5, 5", 5},
        {"5,5,5", 5},
        {" 5 ", 5},
        {"", -2},
        {" ", -2},
        {"-1", -2},
        {"+5", -2},
        {"0x10", -2},
        {"5a", -2},
        {"1 2", -2},
        {"5, 6", -2},
        {"5,", -2},
        {",5", -2},
        {"4611686018427387904", -2},
        {"99999999999999999999999", -2},
        {"1e3", -2},
        {"5.0", -2},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nk_err err;
        int64_t v = -1;
        int rc = nk_http_parse_content_length(cases[i].in, &v, &err);
        if (cases[i].want == -2) {
            if (rc != -1)
                fail_msg("'%s' accepted as %lld", cases[i].in, (long long)v);
            assert_int_equal(err.exit_code, NK_EX_PROTOCOL);
        } else {
            if (rc != 0 || v != cases[i].want)
                fail_msg("'%s': rc %d value %lld", cases[i].in, rc,
                         (long long)v);
        }
    }
}

static void
test_head_eof(void **state)
{
    struct nk_err err;
    size_t used;
    (void)state;
    nk_http_head_init(&head);
    assert_int_equal(nk_http_head_eof(&head, &err), -1);
    assert_int_equal(err.exit_code, NK_EX_IOERR);
    assert_string_equal(err.msg, "connection closed before any reply");
    assert_int_equal(
        nk_http_head_feed(&head, "HTTP/1.0 200 OK\r\nA: b", 21, &used, &err),
        0);
    assert_int_equal(nk_http_head_eof(&head, &err), -1);
    assert_string_equal(err.msg, "connection closed after 21 bytes, before "
                                 "the end of the response head");
}

/* ---- the command, in-process ---- */

/* A forked loopback peer: accepts one connection, reads the request,
 * sends `reply` (len bytes) and closes. Returns its pid; *url gets a URL
 * for it. */
static pid_t
peer(const char *reply, size_t len, char *url, size_t size)
{
    struct nk_err err;
    struct nk_addr a;
    char addr[64]; /* 127.0.0.1:PORT: the url buffers hold it */
    int lfd = nk_listen("127.0.0.1", "0", AF_INET, SOCK_STREAM, 4, &err);
    pid_t pid;

    assert_true(lfd >= 0);
    assert_int_equal(nk_local_addr(lfd, &a, &err), 0);
    nk_addr_format((struct sockaddr *)&a.ss, a.len, addr, sizeof addr);
    snprintf(url, size, "http://%s/p", addr);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char req[4096];
        int fd = nk_accept(lfd, NULL, 0, &err);
        if (fd >= 0) {
            alarm(10); /* bounded, whatever happens to the parent */
            (void)read(fd, req, sizeof req);
            (void)nk_send_all(fd, reply, len, 5000, &err);
            nk_close(fd);
        }
        _exit(0);
    }
    nk_close(lfd);
    return pid;
}

static void
reap(pid_t pid)
{
    int st;
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
}

static void
test_command_fetch(void **state)
{
    static const char reply[] = "HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\n"
                                "a\0b\xff\n!";
    char url[128];
    size_t len;
    int rc;
    pid_t pid = peer(reply, sizeof reply - 1, url, sizeof url);
    char *argv[] = {"netkit", "httpget", url, NULL};
    char *out = nk_test_capture(argv, 3, &rc, &len);
    (void)state;
    reap(pid);
    assert_int_equal(rc, NK_EX_OK);
    assert_int_equal(len, 6);
    assert_memory_equal(out, "a\0b\xff\n!", 6);
}

static void
test_command_json_base64(void **state)
{
    static const char reply[] = "HTTP/1.0 200 OK\r\n\r\n\x00\x01\xfe\xff";
    char url[128];
    size_t len;
    int rc;
    pid_t pid = peer(reply, sizeof reply - 1, url, sizeof url);
    char *argv[] = {"netkit", "httpget", "--json", url, NULL};
    char *out = nk_test_capture(argv, 4, &rc, &len);
    (void)state;
    reap(pid);
    assert_int_equal(rc, NK_EX_OK);
    assert_non_null(strstr(out, "\"status\": 200,"));
    assert_non_null(strstr(out, "\"body_bytes\": 4,"));
    assert_non_null(strstr(out, "\"content_length\": null,"));
    assert_non_null(strstr(out, "\"body_encoding\": \"base64\""));
    assert_non_null(strstr(out, "\"body\": \"AAH+/w==\""));
}

static void
test_command_short_body_file(void **state)
{
    static const char reply[] =
        "HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b";
    char url[128], dir[] = "/tmp/nk_test_hg_dir_XXXXXX", file[256], part[300];
    size_t len;
    int rc;
    pid_t pid;
    char *out;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/out", dir);
    snprintf(part, sizeof part, "%s/out.part", dir);
    pid = peer(reply, sizeof reply - 1, url, sizeof url);
    {
        char *argv[] = {"netkit", "httpget", "-o", file, url, NULL};
        out = nk_test_capture(argv, 5, &rc, &len);
    }
    reap(pid);
    assert_int_equal(rc, NK_EX_IOERR);
    assert_non_null(strstr(out, "body_bytes: 10\n"));
    assert_non_null(strstr(out, "step: receive\n"));
    assert_non_null(strstr(out, "connection closed after 10 of 100 bytes"));
    assert_int_equal(access(file, F_OK), -1);
    assert_int_equal(access(part, F_OK), -1);
    rmdir(dir);
}

static void
test_command_refusals(void **state)
{
    static const struct {
        const char *args[4];
        int rc;
    } cases[] = {
        {{NULL}, NK_EX_USAGE},
        {{"http://a/", "http://b/"}, NK_EX_USAGE},
        {{"--path", "/x", "http://a/"}, NK_EX_USAGE},
        {{"--timeout", "-1", "http://a/"}, NK_EX_USAGE},
        {{"--lesson", "--include", "http://a/"}, NK_EX_USAGE},
        {{"https://127.0.0.1/"}, NK_EX_DATAERR},
        {{"gopher://127.0.0.1/"}, NK_EX_DATAERR},
        {{"http://127.0.0.1:0/"}, NK_EX_DATAERR},
        {{"--host", "127.0.0.1", "--path", "rel"}, NK_EX_DATAERR},
        {{"--host", "[]"}, NK_EX_DATAERR},
        {{"http://nosuch.invalid/"}, NK_EX_NOHOST},
        /* the destination is checked before the connect (port 9 would
         * answer 69, refused) */
        {{"-o", "", "http://127.0.0.1:9/"}, NK_EX_USAGE},
        {{"-o", "/tmp", "http://127.0.0.1:9/"}, NK_EX_USAGE},
        {{"--lesson", "http://nosuch.invalid/"}, NK_EX_NOHOST},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[8] = {"netkit", "httpget"};
        int argc = 2, rc;
        size_t len;
        for (int k = 0; k < 4 && cases[i].args[k]; k++)
            argv[argc++] = (char *)cases[i].args[k];
        argv[argc] = NULL;
        nk_test_capture(argv, argc, &rc, &len);
        if (rc != cases[i].rc)
            fail_msg("case %zu: exit %d, want %d", i, rc, cases[i].rc);
    }
}

/* ---- the -o destination (src/lib/dest.c, shared with fileshare get) ---- */

static char ddir[] = "/tmp/nk_test_dest_XXXXXX";

static const char *
dpath(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", ddir, name);
    return buf;
}

static void
put_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void
test_dest_refusals(void **state)
{
    char a[300], b[300];
    struct nk_dest d;
    struct nk_err err;
    struct stat st;
    (void)state;
    assert_non_null(mkdtemp(ddir));
    assert_int_equal(nk_dest_open(&d, "", 0, &err), -1);
    assert_int_equal(err.exit_code, NK_EX_USAGE);
    assert_int_equal(nk_dest_open(&d, ddir, 0, &err), -1);
    assert_int_equal(err.exit_code, NK_EX_USAGE);
    assert_non_null(strstr(err.msg, "is a directory"));
    put_file(dpath(a, sizeof a, "target"), "keep");
    assert_int_equal(symlink(a, dpath(b, sizeof b, "link")), 0);
    assert_int_equal(nk_dest_open(&d, b, 0, &err), -1);
    assert_int_equal(err.exit_code, NK_EX_DATAERR);
    assert_non_null(strstr(err.msg, "is a symbolic link"));
    assert_int_equal(lstat(b, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(symlink("nowhere", dpath(b, sizeof b, "dangling")), 0);
    assert_int_equal(nk_dest_open(&d, b, 0, &err), -1);
    assert_int_equal(err.exit_code, NK_EX_DATAERR);
    assert_int_equal(nk_dest_open(&d, a, NK_DEST_NOCLOBBER, &err), -1);
    assert_non_null(strstr(err.msg, "use --force"));
}

static void
test_dest_temporary(void **state)
{
    char dest[300], planted[300], victim[300], buf[32];
    struct nk_dest d1, d2;
    struct nk_err err;
    struct stat st;
    mode_t um = umask(022);
    FILE *fp;
    (void)state;
    put_file(dpath(victim, sizeof victim, "victim"), "victim");
    assert_int_equal(
        symlink(victim, dpath(planted, sizeof planted, "dl.part")), 0);
    dpath(dest, sizeof dest, "dl");
    assert_int_equal(nk_dest_open(&d1, dest, 0, &err), 0);
    assert_int_equal(nk_dest_open(&d2, dest, 0, &err), 0);
    assert_false(d1.in_place);
    assert_string_not_equal(d1.tmp, d2.tmp); /* one temporary per run */
    assert_non_null(strstr(d1.tmp, "/.dl."));
    assert_int_equal(fstat(d1.fd, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(write(d1.fd, "one", 3), 3);
    assert_int_equal(nk_dest_commit(&d1, 1, &err), 0);
    nk_dest_discard(&d2);
    assert_int_equal(stat(dest, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    fp = fopen(dest, "r");
    assert_non_null(fgets(buf, sizeof buf, fp));
    fclose(fp);
    assert_string_equal(buf, "one");
    fp = fopen(victim, "r");
    assert_non_null(fgets(buf, sizeof buf, fp));
    fclose(fp);
    assert_string_equal(buf, "victim");
    assert_int_equal(lstat(planted, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(access(d2.tmp[0] ? d2.tmp : "/nonexistent", F_OK), -1);
    umask(um);
}

static void
test_dest_keep_and_resume(void **state)
{
    char dest[300], part[300], buf[32];
    struct nk_dest d1, d2;
    struct nk_err err;
    uint64_t have = 99;
    FILE *fp;
    (void)state;
    dpath(dest, sizeof dest, "big");
    dpath(part, sizeof part, "big.part");
    assert_int_equal(nk_dest_open(&d1, dest, 0, &err), 0);
    assert_int_equal(write(d1.fd, "12345", 5), 5);
    /* a live transfer (locked) is never adopted */
    assert_int_equal(nk_dest_resume(&d2, dest, 0, &have, &err), 0);
    assert_int_equal(have, 0);
    nk_dest_discard(&d2);
    /* kept as big.part, then adopted under a fresh name */
    nk_dest_keep(&d1);
    assert_string_equal(d1.kept, part);
    assert_int_equal(nk_dest_resume(&d2, dest, 0, &have, &err), 0);
    assert_int_equal(have, 5);
    assert_int_equal(access(part, F_OK), -1);
    assert_int_equal(write(d2.fd, "678", 3), 3);
    /* big.part of the user's own is never replaced by a keep */
    put_file(part, "mine");
    nk_dest_keep(&d2);
    assert_string_not_equal(d2.kept, part);
    fp = fopen(part, "r");
    assert_non_null(fgets(buf, sizeof buf, fp));
    fclose(fp);
    assert_string_equal(buf, "mine");
    fp = fopen(d2.kept, "r");
    assert_non_null(fgets(buf, sizeof buf, fp));
    fclose(fp);
    assert_string_equal(buf, "12345678");
    unlink(d2.kept);
}

static void
test_dest_fifo_in_place(void **state)
{
    char fifo[300], buf[8] = "";
    struct nk_dest d;
    struct nk_err err;
    struct stat st;
    int rd;
    (void)state;
    assert_int_equal(mkfifo(dpath(fifo, sizeof fifo, "fifo"), 0600), 0);
    rd = open(fifo, O_RDWR); /* a reader, so the open does not block */
    assert_true(rd >= 0);
    assert_int_equal(nk_dest_open(&d, fifo, NK_DEST_NOCLOBBER, &err), 0);
    assert_true(d.in_place);
    assert_string_equal(d.tmp, "");
    assert_int_equal(write(d.fd, "body", 4), 4);
    assert_int_equal(nk_dest_commit(&d, 1, &err), 0);
    assert_int_equal(read(rd, buf, 4), 4);
    assert_memory_equal(buf, "body", 4);
    close(rd);
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", ddir);
        assert_int_equal(system(cmd), 0);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_get),
        cmocka_unit_test(test_build_get_refusals),
        cmocka_unit_test(test_head_good),
        cmocka_unit_test(test_head_bad),
        cmocka_unit_test(test_garbage_early),
        cmocka_unit_test(test_head_limits),
        cmocka_unit_test(test_content_length),
        cmocka_unit_test(test_head_eof),
        cmocka_unit_test(test_command_fetch),
        cmocka_unit_test(test_command_json_base64),
        cmocka_unit_test(test_command_short_body_file),
        cmocka_unit_test(test_command_refusals),
        cmocka_unit_test(test_dest_refusals),
        cmocka_unit_test(test_dest_temporary),
        cmocka_unit_test(test_dest_keep_and_resume),
        cmocka_unit_test(test_dest_fifo_in_place),
    };
    nk_net_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* service: the services-file parser (table-driven, then random lines), the
 * loader on files written here, the lookups and their sources, the
 * built-in table, and the command run in-process with stdout captured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "capture.h"
#include "commands.h"
#include "netkit/exitcodes.h"
#include "netkit/services.h"

static char tmpdir[] = "/tmp/nk_test_service_XXXXXX";

/* Write text to tmpdir/name; returns the path (static buffer per call
 * site is not needed: callers copy or use it at once). */
static const char *
write_file(const char *name, const char *text, size_t len)
{
    static char path[512];
    FILE *fp;

    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
    return path;
}

struct line_case {
    const char *line;
    int rc;
    const char *name, *proto;
    unsigned port;
    size_t n_aliases;
    const char *alias0; /* or the expected error text when rc < 0 */
};

static const struct line_case line_cases[] = {
    {"http\t\t80/tcp\t\twww\t\t# WorldWideWeb HTTP", 1, "http", "tcp", 80, 1,
     "www"},
    {"smtp 25/tcp mail", 1, "smtp", "tcp", 25, 1, "mail"},
    {"domain\t\t53/udp", 1, "domain", "udp", 53, 0, NULL},
    {"kerberos 88/udp kerberos5 krb5 kerberos-sec # v5", 1, "kerberos", "udp",
     88, 3, "kerberos5"},
    {"rtmp\t1/ddp\t# AppleTalk", 1, "rtmp", "ddp", 1, 0, NULL},
    {"top 65535/tcp", 1, "top", "tcp", 65535, 0, NULL},
    {"zero 0/udp", 1, "zero", "udp", 0, 0, NULL},
    {"crlf 7/tcp a\r\n", 1, "crlf", "tcp", 7, 1, "a"},
    {"  lead 9/tcp", 1, "lead", "tcp", 9, 0, NULL},
    {"x 00080/tcp", 1, "x", "tcp", 80, 0, NULL},
    {"nocomment 1/tcp a#comment", 1, "nocomment", "tcp", 1, 1, "a"},
    {"", 0, NULL, NULL, 0, 0, NULL},
    {"   \t  ", 0, NULL, NULL, 0, 0, NULL},
    {"# only a comment", 0, NULL, NULL, 0, 0, NULL},
    {"\t# indented comment 80/tcp", 0, NULL, NULL, 0, 0, NULL},
    {"lonely", -1, NULL, NULL, 0, 0, "no port/protocol after 'lonely'"},
    {"http # 80/tcp", -1, NULL, NULL, 0, 0, "no port/protocol after 'http'"},
    {"http 80", -1, NULL, NULL, 0, 0, "'80' is not port/protocol"},
    {"http /tcp", -1, NULL, NULL, 0, 0, "'/tcp' is not port/protocol"},
    {"http 80/", -1, NULL, NULL, 0, 0, "'80/' is not port/protocol"},
    {"http 8x/tcp", -1, NULL, NULL, 0, 0, "'8x/tcp' is not port/protocol"},
    {"http -1/tcp", -1, NULL, NULL, 0, 0, "'-1/tcp' is not port/protocol"},
    {"http 80/tcp/x", -1, NULL, NULL, 0, 0, "'80/tcp/x' is not port/protocol"},
    {"http 123456/tcp", -1, NULL, NULL, 0, 0,
     "'123456/tcp' is not port/protocol"},
    {"http 65536/tcp", -1, NULL, NULL, 0, 0, "port 65536 out of range"},
    {"ht\001tp 80/tcp", -1, NULL, NULL, 0, 0, "control or non-ASCII byte"},
    {"caf\xc3\xa9 80/tcp", -1, NULL, NULL, 0, 0, "control or non-ASCII byte"},
    {"ok 80/tcp # caf\xc3\xa9 \001", 1, "ok", "tcp", 80, 0, NULL},
};

static void
test_parse_line_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof line_cases / sizeof line_cases[0]; i++) {
        const struct line_case *c = &line_cases[i];
        char buf[256];
        const char *aliases[8];
        struct nk_servent e;
        struct nk_err err;
        int rc;

        snprintf(buf, sizeof buf, "%s", c->line);
        nk_err_clear(&err);
        rc = nk_services_parse_line(buf, &e, aliases, 8, &err);
        if (rc != c->rc)
            fail_msg("line %zu '%s': rc %d, want %d (%s)", i, c->line, rc,
                     c->rc, err.msg);
        if (rc < 0) {
            if (strstr(err.msg, c->alias0) == NULL)
                fail_msg("line %zu: message '%s' lacks '%s'", i, err.msg,
                         c->alias0);
            assert_int_equal(err.exit_code, NK_EX_DATAERR);
            continue;
        }
        if (rc == 0)
            continue;
        assert_string_equal(e.name, c->name);
        assert_string_equal(e.proto, c->proto);
        assert_int_equal(e.port, c->port);
        assert_int_equal(e.n_aliases, c->n_aliases);
        if (c->alias0 != NULL)
            assert_string_equal(e.aliases[0], c->alias0);
    }
}

static void
test_parse_line_alias_cap(void **state)
{
    char buf[256];
    const char *aliases[3];
    struct nk_servent e;
    struct nk_err err;
    (void)state;

    snprintf(buf, sizeof buf, "s 1/tcp a b c");
    assert_int_equal(nk_services_parse_line(buf, &e, aliases, 3, &err), 1);
    assert_int_equal(e.n_aliases, 3);
    assert_string_equal(e.aliases[2], "c");
    snprintf(buf, sizeof buf, "s 1/tcp a b c d");
    assert_int_equal(nk_services_parse_line(buf, &e, aliases, 3, &err), -1);
    assert_string_equal(err.msg, "more than 3 aliases");
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

/* xorshift64: a fixed seed, so a failure replays the same lines. */
static uint64_t
next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Lines built from pieces that look like the format, and raw bytes. */
static size_t
random_line(char *buf, size_t cap)
{
    static const char *const pieces[] = {
        "http", "80",    "/",     "tcp",   "udp", " ", "\t",
        "#",    "65535", "65536", "0",     "a",   "-", "\r",
        ":",    "//",    "99999", "x/y/z", "www"};
    size_t n = 0, parts = next_rand() % 12;

    for (size_t i = 0; i < parts && n + 8 < cap; i++) {
        if (next_rand() % 5 == 0) {
            char c = (char)(next_rand() % 255 + 1); /* never NUL */
            buf[n++] = c;
            continue;
        }
        const char *p = pieces[next_rand() % (sizeof pieces / sizeof *pieces)];
        size_t len = strlen(p);
        memcpy(buf + n, p, len);
        n += len;
    }
    buf[n] = '\0';
    return n;
}

static int
token_ok(const char *s, const char *lo, const char *hi)
{
    if (s < lo || s >= hi || *s == '\0')
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f ||
            *s == '#')
            return 0;
    return 1;
}

/* The parser's contract on arbitrary input: a known return value, every
 * token inside the buffer, printable and free of blanks and '#', a
 * port/protocol that re-parses to the same port, and an error message
 * otherwise. */
static void
test_parse_line_random(void **state)
{
    char buf[160], copy[160];
    const char *aliases[4];
    struct nk_servent e;
    struct nk_err err;
    int seen[3] = {0, 0, 0};
    (void)state;

    for (int i = 0; i < 50000; i++) {
        size_t len = random_line(buf, sizeof buf);
        int rc;

        memcpy(copy, buf, len + 1);
        err.msg[0] = '\0';
        rc = nk_services_parse_line(buf, &e, aliases, 4, &err);
        assert_true(rc >= -1 && rc <= 1);
        seen[rc + 1]++;
        if (rc < 0) {
            assert_true(err.msg[0] != '\0');
            assert_int_equal(err.exit_code, NK_EX_DATAERR);
            continue;
        }
        if (rc == 0)
            continue;
        assert_true(token_ok(e.name, buf, buf + len));
        assert_true(token_ok(e.proto, buf, buf + len));
        assert_true(e.n_aliases <= 4);
        for (size_t a = 0; a < e.n_aliases; a++)
            assert_true(token_ok(e.aliases[a], buf, buf + len));
        /* the port is the digits the line held just before the '/' */
        {
            size_t slash = (size_t)(e.proto - buf) - 1, start = slash;
            while (start > 0 && copy[start - 1] >= '0' &&
                   copy[start - 1] <= '9')
                start--;
            assert_true(slash > start && copy[slash] == '/');
            assert_int_equal(strtoul(copy + start, NULL, 10), e.port);
        }
    }
    /* the generator reached every outcome */
    assert_true(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);
}

static void
test_open_file(void **state)
{
    static const char text[] =
        "# a test services file\n"
        "\n"
        "http\t80/tcp\twww www-http\t# web\n"
        "alt\t80/tcp\t\t# a second name for 80/tcp: never the answer\n"
        "Gopher\t70/tcp\n"
        "bogus line here\n"
        "domain\t53/udp\n"
        "custom\t4242/udp\tmine\n"
        "big\t70000/tcp\n";
    const char *path = write_file("small", text, sizeof text - 1);
    struct nk_services db;
    struct nk_servent e;
    struct nk_err err;
    const char *src;
    char want_src[600];
    (void)state;

    assert_int_equal(nk_services_open(&db, path, &err), 0);
    snprintf(want_src, sizeof want_src, "file %s", path);
    assert_int_equal(db.status, NK_SERVICES_READ);
    assert_string_equal(nk_services_status_name(db.status), "read");
    assert_int_equal(db.n, 5);
    assert_int_equal(db.skipped, 2);
    assert_int_equal(db.first_bad_line, 6);
    assert_string_equal(db.first_bad, "'line' is not port/protocol");

    /* the file's first entry wins, as with getservbyport */
    assert_int_equal(nk_services_by_port(&db, 80, "tcp", &e, &src), 1);
    assert_string_equal(e.name, "http");
    assert_int_equal(e.n_aliases, 2);
    assert_string_equal(e.aliases[1], "www-http");
    assert_string_equal(src, want_src);
    /* names and aliases, ASCII case ignored; the file's spelling kept */
    assert_int_equal(nk_services_by_name(&db, "WWW-HTTP", "TCP", &e, &src), 1);
    assert_int_equal(e.port, 80);
    assert_int_equal(nk_services_by_name(&db, "gopher", "tcp", &e, &src), 1);
    assert_string_equal(e.name, "Gopher");
    assert_int_equal(nk_services_by_name(&db, "mine", "udp", &e, &src), 1);
    assert_int_equal(e.port, 4242);
    /* the protocol must match */
    assert_int_equal(nk_services_by_name(&db, "mine", "tcp", &e, &src), 0);
    assert_int_equal(nk_services_by_port(&db, 4242, "tcp", &e, &src), 0);
    /* the file lacks smtp: the built-in table answers, and says so */
    assert_int_equal(nk_services_by_port(&db, 25, "tcp", &e, &src), 1);
    assert_string_equal(e.name, "smtp");
    assert_string_equal(src, "built-in");
    /* the skipped line's port is nowhere */
    assert_int_equal(nk_services_by_name(&db, "big", "tcp", &e, &src), 0);
    nk_services_close(&db);
}

static void
test_open_odd_files(void **state)
{
    char longline[NK_SERVICES_LINE_MAX + 100];
    static const char nul[] = "a 1/tcp\nb\0x 2/tcp\nc 3/tcp";
    struct nk_services db;
    struct nk_servent e;
    struct nk_err err;
    const char *path, *src;
    (void)state;

    /* an over-long line is skipped whole; the next line still counts */
    memset(longline, 'a', sizeof longline);
    memcpy(longline + sizeof longline - 12, " 5/tcp\nz 6/", 11);
    memcpy(longline + sizeof longline - 1, "t", 1);
    path = write_file("long", longline, sizeof longline);
    assert_int_equal(nk_services_open(&db, path, &err), 0);
    assert_int_equal(db.skipped, 1);
    assert_string_equal(db.first_bad, "line too long");
    assert_int_equal(db.n, 1);
    assert_int_equal(nk_services_by_port(&db, 6, "t", &e, &src), 1);
    assert_string_equal(e.name, "z");
    nk_services_close(&db);

    /* a NUL byte spoils its line only; no newline at the end is fine */
    path = write_file("nul", nul, sizeof nul - 1);
    assert_int_equal(nk_services_open(&db, path, &err), 0);
    assert_int_equal(db.n, 2);
    assert_int_equal(db.skipped, 1);
    assert_int_equal(db.first_bad_line, 2);
    assert_int_equal(nk_services_by_port(&db, 3, "tcp", &e, &src), 1);
    nk_services_close(&db);

    /* empty file: read, nothing in it */
    path = write_file("empty", "", 0);
    assert_int_equal(nk_services_open(&db, path, &err), 0);
    assert_int_equal(db.status, NK_SERVICES_READ);
    assert_int_equal(db.n, 0);
    nk_services_close(&db);
}

static void
test_open_missing_none_dir(void **state)
{
    struct nk_services db;
    struct nk_servent e;
    struct nk_err err;
    const char *src;
    char path[600];
    (void)state;

    snprintf(path, sizeof path, "%s/does-not-exist", tmpdir);
    assert_int_equal(nk_services_open(&db, path, &err), 0);
    assert_int_equal(db.status, NK_SERVICES_MISSING);
    assert_int_equal(nk_services_by_port(&db, 80, "tcp", &e, &src), 1);
    assert_string_equal(src, "built-in");
    nk_services_close(&db);

    assert_int_equal(nk_services_open(&db, "none", &err), 0);
    assert_int_equal(db.status, NK_SERVICES_DISABLED);
    assert_string_equal(nk_services_status_name(db.status), "disabled");
    nk_services_close(&db);
    assert_int_equal(nk_services_open(&db, NULL, &err), 0);
    assert_int_equal(db.status, NK_SERVICES_DISABLED);
    nk_services_close(&db);

    /* a directory opens but cannot be read: an error, built-in still on */
    assert_int_equal(nk_services_open(&db, tmpdir, &err), -1);
    assert_int_equal(db.status, NK_SERVICES_UNREADABLE);
    assert_non_null(strstr(err.msg, "is a directory"));
    assert_int_equal(nk_services_by_name(&db, "ssh", "tcp", &e, &src), 1);
    assert_int_equal(e.port, 22);
    nk_services_close(&db);
}

/* Random files through the loader: no crash, no leak (ASan), and the
 * loader keeps exactly the lines the line parser accepts. */
static void
test_open_random_files(void **state)
{
    char text[4096], line[4096];
    const char *aliases[NK_SERVICES_MAX_ALIASES];
    struct nk_services db;
    struct nk_servent e;
    struct nk_err err;
    const char *path, *src;
    (void)state;

    for (int f = 0; f < 200; f++) {
        size_t n = 0, want_n = 0, want_bad = 0;
        while (n + 200 < sizeof text) {
            n += random_line(text + n, 160);
            text[n++] = '\n';
        }
        /* the expected counts, one line at a time (random bytes may hold
         * '\n' too, so split here the way the loader does) */
        for (size_t a = 0, b; a < n; a = b + 1) {
            b = a;
            while (b < n && text[b] != '\n')
                b++;
            memcpy(line, text + a, b - a);
            line[b - a] = '\0';
            int rc = nk_services_parse_line(line, &e, aliases,
                                            NK_SERVICES_MAX_ALIASES, &err);
            want_n += rc == 1;
            want_bad += rc < 0;
        }
        path = write_file("random", text, n);
        assert_int_equal(nk_services_open(&db, path, &err), 0);
        assert_int_equal(db.n, want_n);
        assert_int_equal(db.skipped, want_bad);
        for (unsigned port = 0; port < 100; port++)
            if (nk_services_by_port(&db, (uint16_t)port, "tcp", &e, &src)) {
                assert_int_equal(e.port, port);
                assert_int_equal(strcasecmp(e.proto, "tcp"), 0);
            }
        nk_services_close(&db);
    }
}

static void
test_builtin_table(void **state)
{
    size_t n;
    const struct nk_servent *t = nk_services_builtin(&n);
    (void)state;

    assert_true(n >= 40 && n <= 120); /* compact, but the common ones */
    for (size_t i = 0; i < n; i++) {
        assert_true(nk_services_name_ok(t[i].name));
        assert_true(strcmp(t[i].proto, "tcp") == 0 ||
                    strcmp(t[i].proto, "udp") == 0);
        for (size_t a = 0; a < t[i].n_aliases; a++)
            assert_true(nk_services_name_ok(t[i].aliases[a]));
        assert_true(t[i].n_aliases == 0 || t[i].aliases != NULL);
        for (size_t j = 0; j < i; j++) /* one answer per port/proto */
            assert_false(t[j].port == t[i].port &&
                         strcmp(t[j].proto, t[i].proto) == 0);
    }
}

/* The recipes' answers, from the built-in table alone. */
static void
test_builtin_recipes(void **state)
{
    static const struct {
        const char *name, *proto;
        unsigned port;
    } want[] = {
        {"http", "tcp", 80},       {"smtp", "tcp", 25},  {"domain", "udp", 53},
        {"https", "tcp", 443},     {"ftp", "tcp", 21},   {"gopher", "tcp", 70},
        {"imap", "tcp", 143},      {"pop3", "tcp", 110}, {"www", "tcp", 80},
        {"postgres", "tcp", 5432},
    };
    struct nk_services db;
    struct nk_servent e;
    struct nk_err err;
    const char *src;
    (void)state;

    nk_services_open(&db, "none", &err);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(
            nk_services_by_name(&db, want[i].name, want[i].proto, &e, &src),
            1);
        assert_int_equal(e.port, want[i].port);
        assert_string_equal(src, "built-in");
    }
    assert_int_equal(nk_services_by_port(&db, 80, "tcp", &e, &src), 1);
    assert_string_equal(e.name, "http");
    assert_int_equal(nk_services_by_port(&db, 25, "tcp", &e, &src), 1);
    assert_string_equal(e.name, "smtp");
    /* netbase has no 80/udp, and neither do we */
    assert_int_equal(nk_services_by_port(&db, 80, "udp", &e, &src), 0);
    nk_services_close(&db);
}

static int
same_service(const struct nk_servent *a, const struct nk_servent *b)
{
    if (strcasecmp(a->name, b->name) == 0)
        return 1;
    for (size_t i = 0; i < a->n_aliases; i++)
        if (strcasecmp(a->aliases[i], b->name) == 0)
            return 1;
    for (size_t i = 0; i < b->n_aliases; i++)
        if (strcasecmp(b->aliases[i], a->name) == 0)
            return 1;
    return 0;
}

/* Falling back must not contradict the system's file: where the file has
 * the built-in entry's port/proto, it names the same service. */
static void
test_builtin_agrees_with_system(void **state)
{
    struct nk_services db;
    struct nk_servent e;
    struct nk_err err;
    const char *src;
    size_t n;
    const struct nk_servent *t = nk_services_builtin(&n);
    (void)state;

    if (nk_services_open(&db, NK_SERVICES_PATH, &err) < 0 ||
        db.status != NK_SERVICES_READ) {
        nk_services_close(&db);
        NK_SKIP("no readable " NK_SERVICES_PATH " (package netbase)");
    }
    for (size_t i = 0; i < n; i++) {
        if (!nk_services_by_port(&db, t[i].port, t[i].proto, &e, &src) ||
            strcmp(src, "built-in") == 0)
            continue;
        if (!same_service(&t[i], &e))
            fail_msg("built-in %s %u/%s vs %s: %s", t[i].name, t[i].port,
                     t[i].proto, NK_SERVICES_PATH, e.name);
    }
    nk_services_close(&db);
}

static void
test_schemes(void **state)
{
    struct nk_services db;
    struct nk_servent e;
    struct nk_err err;
    const char *src;
    (void)state;

    assert_string_equal(nk_services_scheme_alias("wss"), "https");
    assert_string_equal(nk_services_scheme_alias("WS"), "http");
    assert_string_equal(nk_services_scheme_alias("sftp"), "ssh");
    assert_null(nk_services_scheme_alias("http"));
    assert_null(nk_services_scheme_alias("nosuch"));
    nk_services_open(&db, "none", &err);
    assert_int_equal(nk_services_by_scheme(&db, "wss", "tcp", &e, &src), 1);
    assert_int_equal(e.port, 443);
    assert_int_equal(nk_services_by_scheme(&db, "imap", "tcp", &e, &src), 1);
    assert_int_equal(e.port, 143);
    assert_string_equal(e.name, "imap2");
    assert_int_equal(nk_services_by_scheme(&db, "tftp", "tcp", &e, &src), 0);
    assert_int_equal(nk_services_by_scheme(&db, "tftp", "udp", &e, &src), 1);
    assert_int_equal(nk_services_by_scheme(&db, "foo", "tcp", &e, &src), 0);
    nk_services_close(&db);
}

static void
test_name_ok(void **state)
{
    char longname[NK_SERVICES_NAME_MAX + 2];
    (void)state;

    assert_true(nk_services_name_ok("http"));
    assert_true(nk_services_name_ok("kerberos_master"));
    assert_true(nk_services_name_ok("914c/g"));
    assert_false(nk_services_name_ok(""));
    assert_false(nk_services_name_ok("a b"));
    assert_false(nk_services_name_ok("a#b"));
    assert_false(nk_services_name_ok("http:"));
    assert_false(nk_services_name_ok("caf\xc3\xa9"));
    assert_false(nk_services_name_ok("tab\there"));
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_false(nk_services_name_ok(longname));
    longname[NK_SERVICES_NAME_MAX] = '\0';
    assert_true(nk_services_name_ok(longname));
}

static const char small_file[] = "http 80/tcp www\n"
                                 "domain 53/tcp\n"
                                 "domain 53/udp\n"
                                 "tftp 69/udp\n";

static void
test_command_text(void **state)
{
    char path[600];
    char *argv[] = {"netkit", "service", "-f", path, "80", "53", NULL};
    char want[8192];
    int rc;
    char *out;
    (void)state;

    snprintf(path, sizeof path, "%s",
             write_file("cmd", small_file, sizeof small_file - 1));
    out = nk_test_capture(argv, 6, &rc, NULL);
    assert_int_equal(rc, NK_EX_OK);
    snprintf(want, sizeof want,
             "services_file: %s\n"
             "services_file_status: read\n"
             "\n"
             "item: 80\nkind: port\nproto: tcp\nport: 80\nname: http\n"
             "aliases: www\nsource: file %s\n"
             "\n"
             "item: 53\nkind: port\nproto: tcp\nport: 53\nname: domain\n"
             "source: file %s\n"
             "\n"
             "item: 53\nkind: port\nproto: udp\nport: 53\nname: domain\n"
             "source: file %s\n",
             path, path, path, path);
    assert_string_equal(out, want);
}

static void
test_command_urls(void **state)
{
    char *argv[] = {"netkit",         "service",       "-f",       "none",
                    "http://h:8080/", "tftp://h/boot", "WSS://h/", NULL};
    int rc;
    char *out;
    (void)state;

    out = nk_test_capture(argv, 7, &rc, NULL);
    assert_int_equal(rc, NK_EX_OK);
    assert_non_null(strstr(out, "services_file: -\n"
                                "services_file_status: disabled\n"));
    assert_non_null(strstr(out, "item: http://h:8080/\nkind: url\n"
                                "scheme: http\nproto: tcp\nport: 8080\n"
                                "explicit_port: yes\nname: http\n"
                                "aliases: www\nsource: url\n"));
    assert_non_null(strstr(out, "item: tftp://h/boot\nkind: url\n"
                                "scheme: tftp\nproto: udp\nport: 69\n"
                                "explicit_port: no\nname: tftp\n"
                                "source: built-in\n"));
    assert_non_null(strstr(out, "scheme: wss\nproto: tcp\nport: 443\n"));
}

struct cmd_case {
    const char *args[6];
    int rc;
    const char *out; /* a line the output must hold, or NULL */
};

static const struct cmd_case cmd_cases[] = {
    {{"nosuch"}, 1, "error: 'nosuch': no tcp or udp service of that name"},
    {{"9999"},
     1,
     "error: '9999': no tcp or udp service on that port in the "
     "built-in table"},
    {{"-P", "udp", "80"}, 1, "error: '80': no udp service on that port"},
    {{"-P", "UDP", "53"}, 0, "proto: udp\nport: 53\nname: domain\n"},
    {{"70000"}, 65, "error: '70000' is not a port number (0-65535)"},
    {{"--", "-1"}, 65, "error: '-1' is not a port number (0-65535)"},
    {{"http://"}, 65, "error: 'http://' is not a valid URL: no host"},
    {{"http:/x"}, 65, "expected scheme://host"},
    {{"a b"}, 65, "error: 'a b' is not a port, a service name or a URL"},
    {{"foo://h/"}, 1, "error: 'foo://h/': unknown URL scheme 'foo'"},
    {{"foo://h:99/"}, 0, "scheme: foo\nproto: -\nport: 99\n"},
    {{"80", "nosuch"}, 1, "name: http\n"},
    {{"70000", "nosuch"}, 1, NULL},   /* mixed failures: 1 */
    {{"70000", "99999"}, 65, NULL},   /* all malformed: 65 */
    {{"-P", "sctp", "80"}, 64, NULL}, /* usage */
    {{"-P"}, 64, NULL},
    {{"-f", ""}, 64, NULL},
    {{"--lesson", "--json"}, 64, NULL},
    {{"--bogus"}, 64, NULL},
    {{"SMTP"}, 0, "name: smtp\naliases: mail\n"},
    {{"0x50"}, 1, NULL}, /* not a port: a name nobody has */
};

static void
test_command_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cmd_cases / sizeof cmd_cases[0]; i++) {
        char *argv[12] = {"netkit", "service", "-f", "none"};
        int argc = 4, rc;
        char *out;

        for (int a = 0; a < 6 && cmd_cases[i].args[a]; a++)
            argv[argc++] = (char *)cmd_cases[i].args[a];
        argv[argc] = NULL;
        out = nk_test_capture(argv, argc, &rc, NULL);
        if (rc != cmd_cases[i].rc)
            fail_msg("case %zu (%s): exit %d, want %d", i, argv[4], rc,
                     cmd_cases[i].rc);
        if (cmd_cases[i].out && strstr(out, cmd_cases[i].out) == NULL)
            fail_msg("case %zu: '%s' not in:\n%s", i, cmd_cases[i].out, out);
    }
}

static void
test_command_no_items(void **state)
{
    char *argv[] = {"netkit", "service", NULL};
    int rc;
    char *out = nk_test_capture(argv, 2, &rc, NULL);
    (void)state;
    assert_int_equal(rc, NK_EX_USAGE);
    assert_string_equal(out, "");
}

/* Issue 12 #16: "-1" is a malformed port (65), not an unknown option;
 * options after it still apply. */
static void
test_command_negative_port(void **state)
{
    char *argv[] = {"netkit", "service", "-1", "-f", "none", NULL};
    char *mixed[] = {"netkit", "service", "-f", "none", "-1",
                     "53",     "-P",      "udp",  NULL};
    int rc;
    (void)state;
    nk_test_capture(argv, 5, &rc, NULL);
    assert_int_equal(rc, NK_EX_DATAERR);
    assert_non_null(strstr(nk_test_captured_err(), "'-1'"));
    assert_null(strstr(nk_test_captured_err(), "unknown option"));
    nk_test_capture(mixed, 8, &rc, NULL);
    assert_int_equal(rc, NK_EX_PARTIAL);
}

/* The recipes' own lines, from the built-in table alone. */
static void
test_command_lesson(void **state)
{
    char *argv[] = {"netkit", "service", "--lesson", "-f", "none", NULL};
    char *items[] = {"netkit", "service", "-l",  "-f", "none",
                     "53",     "-P",      "udp", NULL};
    int rc;
    char *out = nk_test_capture(argv, 5, &rc, NULL);
    (void)state;

    assert_int_equal(rc, NK_EX_OK);
    assert_string_equal(out, "Port: 80 => service name: http\n"
                             "Port: 25 => service name: smtp\n"
                             "http 80\n"
                             "https 443\n"
                             "ftp 21\n"
                             "gopher 70\n"
                             "smtp 25\n"
                             "imap 143\n"
                             "pop3 110\n");
    out = nk_test_capture(items, 8, &rc, NULL);
    assert_int_equal(rc, NK_EX_OK);
    assert_string_equal(out, "Port: 53 => service name: domain\n");
}

static int
setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
    static const char *const names[] = {"small", "long",   "nul",
                                        "empty", "random", "cmd"};
    char path[600];
    (void)state;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
        unlink(path);
    }
    return rmdir(tmpdir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_line_table),
        cmocka_unit_test(test_parse_line_alias_cap),
        cmocka_unit_test(test_parse_line_random),
        cmocka_unit_test(test_open_file),
        cmocka_unit_test(test_open_odd_files),
        cmocka_unit_test(test_open_missing_none_dir),
        cmocka_unit_test(test_open_random_files),
        cmocka_unit_test(test_builtin_table),
        cmocka_unit_test(test_builtin_recipes),
        cmocka_unit_test(test_builtin_agrees_with_system),
        cmocka_unit_test(test_schemes),
        cmocka_unit_test(test_name_ok),
        cmocka_unit_test(test_command_text),
        cmocka_unit_test(test_command_urls),
        cmocka_unit_test(test_command_cases),
        cmocka_unit_test(test_command_no_items),
        cmocka_unit_test(test_command_negative_port),
        cmocka_unit_test(test_command_lesson),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

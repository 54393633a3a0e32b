/* The fileshare protocol: request parsing, encoding, heads, listing lines,
 * the path rules, and the resolver over an invented tree with links;
 * the progress bar's formatting; the command's usage errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "capture.h"
#include "netkit/fileshare.h"
#include "netkit/progress.h"

#define SHA0 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void
test_parse_request_ok(void **state)
{
    static const struct {
        const char *line;
        enum nk_fs_verb verb;
        const char *path;
        uint64_t offset, size;
    } rows[] = {
        {"GET a.txt", NK_FS_GET, "a.txt", 0, 0},
        {"GET a.txt\r", NK_FS_GET, "a.txt", 0, 0},
        {"GET dir/b%20c 1024", NK_FS_GET, "dir/b c", 1024, 0},
        {"GET x 9223372036854775807", NK_FS_GET, "x", 9223372036854775807ULL,
         0},
        {"LIST", NK_FS_LIST, ".", 0, 0},
        {"LIST sub/", NK_FS_LIST, "sub/", 0, 0},
        {"PUT new%0Aline 3 " SHA0, NK_FS_PUT, "new\nline", 0, 3},
    };
    struct nk_fs_request r;
    char reason[NK_FS_REASON_MAX + 1];

    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_int_equal(nk_fs_parse_request(rows[i].line,
                                             strlen(rows[i].line), &r, reason),
                         0);
        assert_int_equal(r.verb, rows[i].verb);
        assert_string_equal(r.path, rows[i].path);
        assert_int_equal(r.offset, rows[i].offset);
        assert_int_equal(r.size, rows[i].size);
    }
}

static void
test_parse_request_bad(void **state)
{
    static const struct {
        const char *line;
        int code;
        const char *reason;
    } rows[] = {
        {"", 400, "malformed request line"},
        {"GET", 400, "wrong number of arguments"},
        {"GET  a", 400, "malformed request line"},
        {"GET a ", 400, "malformed request line"},
        {" GET a", 400, "malformed request line"},
        {"GET a b", 400, "bad offset"},
        {"GET a -1", 400, "bad offset"},
        {"GET a 9223372036854775808", 400, "bad offset"},
        {"GET a 1 2", 400, "wrong number of arguments"},
        {"GET a%2", 400, "bad path encoding"},
        {"GET a%g0", 400, "bad path encoding"},
        {"GET a\tb", 400, "bad path encoding"},
        {"GET \xc3\xa9", 400, "bad path encoding"},
        {"get a", 501, "unknown verb"},
        {"DELETE a", 501, "unknown verb"},
        {"LIST a b", 400, "wrong number of arguments"},
        {"PUT a 3", 400, "wrong number of arguments"},
        {"PUT a x " SHA0, 400, "bad size"},
        {"PUT a 3 abc", 400, "bad sha256"},
        {"PUT a 3 " SHA0 "0", 400, "bad sha256"},
    };
    struct nk_fs_request r;
    char reason[NK_FS_REASON_MAX + 1];

    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_int_equal(nk_fs_parse_request(rows[i].line,
                                             strlen(rows[i].line), &r, reason),
                         rows[i].code);
        assert_string_equal(reason, rows[i].reason);
    }
}

static void
test_parse_request_limits(void **state)
{
    static char line[NK_FS_LINE_MAX + 10];
    struct nk_fs_request r;
    char reason[NK_FS_REASON_MAX + 1];

    (void)state;
    memset(line, 'a', sizeof line);
    memcpy(line, "GET ", 4);
    assert_int_equal(nk_fs_parse_request(line, NK_FS_LINE_MAX, &r, reason),
                     NK_FS_TOO_LONG);
    /* A NUL inside the line is not a terminator. */
    assert_int_equal(nk_fs_parse_request("GET a\0b", 7, &r, reason),
                     NK_FS_BAD_REQUEST);
    /* %00 decodes; the path rules refuse it later. */
    assert_int_equal(nk_fs_parse_request("GET a%00b", 9, &r, reason), 0);
    assert_int_equal(r.path_len, 3);
    assert_int_equal(nk_fs_path_check(r.path, r.path_len), NK_FSP_CONTROL);
}

static void
test_encode_roundtrip(void **state)
{
    static const char *const rows[][2] = {
        {"plain/name-1.txt", "plain/name-1.txt"},
        {"a b", "a%20b"},
        {"new\nline", "new%0Aline"},
        {"100%", "100%25"},
        {"\xc3\xa9t\xc3\xa9", "%C3%A9t%C3%A9"},
    };
    char enc[64], dec[64];

    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int n = nk_fs_encode(rows[i][0], strlen(rows[i][0]), enc, sizeof enc);
        assert_int_equal(n, (int)strlen(rows[i][1]));
        assert_string_equal(enc, rows[i][1]);
        n = nk_fs_decode(enc, (size_t)n, dec, sizeof dec);
        assert_int_equal(n, (int)strlen(rows[i][0]));
        assert_string_equal(dec, rows[i][0]);
    }
    assert_int_equal(nk_fs_encode("abc", 3, enc, 3), -1);
    assert_int_equal(nk_fs_encode("a b", 3, enc, 5), -1);
}

static void
test_build_lines(void **state)
{
    uint8_t sha[NK_SHA256_LEN] = {0};
    char buf[NK_FS_LINE_MAX + 1];
    static char longpath[NK_FS_LINE_MAX];

    (void)state;
    assert_int_equal(nk_fs_build_get(buf, sizeof buf, "a b", 0), 10);
    assert_string_equal(buf, "GET a%20b\n");
    nk_fs_build_get(buf, sizeof buf, "x", 77);
    assert_string_equal(buf, "GET x 77\n");
    nk_fs_build_list(buf, sizeof buf, ".");
    assert_string_equal(buf, "LIST .\n");
    nk_fs_build_put(buf, sizeof buf, "f", 5, sha);
    assert_string_equal(buf,
                        "PUT f 5 "
                        "0000000000000000000000000000000000000000000000000"
                        "000000000000000\n");
    memset(longpath, ' ', sizeof longpath - 1); /* 3 bytes each encoded */
    assert_int_equal(nk_fs_build_get(buf, sizeof buf, longpath, 0), -1);
}

static void
test_heads_and_entries(void **state)
{
    char text[NK_FS_REASON_MAX + 1], key[32], type[8],
        name[NK_FS_NAME_MAX + 1], line[128];
    const char *v;
    size_t vl;
    uint64_t n;
    int code;

    (void)state;
    assert_int_equal(nk_fs_parse_status("404 not found", 13, &code, text), 0);
    assert_int_equal(code, 404);
    assert_string_equal(text, "not found");
    assert_int_equal(nk_fs_parse_status("40 x", 4, &code, text), -1);
    assert_int_equal(nk_fs_parse_status("abc x", 5, &code, text), -1);
    assert_int_equal(nk_fs_parse_status("200", 3, &code, text), -1);
    assert_int_equal(nk_fs_parse_header("size: 12", 8, key, &v, &vl), 0);
    assert_string_equal(key, "size");
    assert_int_equal(vl, 2);
    assert_int_equal(nk_fs_parse_header("Size: 12", 8, key, &v, &vl), -1);
    assert_int_equal(nk_fs_parse_header("size:12", 7, key, &v, &vl), -1);
    /* Another implementation's CRLF lines parse the same. */
    assert_int_equal(nk_fs_parse_status("200 ok\r", 7, &code, text), 0);
    assert_int_equal(code, 200);
    assert_string_equal(text, "ok");
    assert_int_equal(nk_fs_parse_status("503 busy\r", 9, &code, text), 0);
    assert_string_equal(text, "busy");
    assert_int_equal(nk_fs_parse_status("503 \r", 5, &code, text), -1);
    assert_int_equal(nk_fs_parse_header("size: 12\r", 9, key, &v, &vl), 0);
    assert_int_equal(vl, 2);
    assert_int_equal(nk_fs_parse_u64(v, vl, &n), 0);
    assert_int_equal(n, 12);
    assert_int_equal(nk_fs_parse_u64("0", 1, &n), 0);
    assert_int_equal(nk_fs_parse_u64("", 0, &n), -1);
    assert_int_equal(nk_fs_parse_u64("1x", 2, &n), -1);

    assert_int_equal(nk_fs_build_entry(line, sizeof line, "file", 42, "a b"),
                     14);
    assert_string_equal(line, "file 42 a%20b\n");
    assert_int_equal(nk_fs_parse_entry(line, 13, type, &n, name), 0);
    assert_string_equal(type, "file");
    assert_int_equal(n, 42);
    assert_string_equal(name, "a b");
    assert_int_equal(nk_fs_parse_entry("bogus 1 a", 9, type, &n, name), -1);
    assert_int_equal(nk_fs_parse_entry("file 1", 6, type, &n, name), -1);
}

/* Where a head ends: after "\n\n" or "\r\n\r\n"; 0 while incomplete. */
static void
test_head_end(void **state)
{
    static const struct {
        const char *buf;
        size_t want;
    } rows[] = {
        {"200 ok\nsize: 1\n\nX", 16},       /* LF */
        {"200 ok\r\nsize: 1\r\n\r\nX", 19}, /* CRLF */
        {"200 ok\r\n\r\n", 10},             /* no headers */
        {"404 not found\n\n", 15},          /* a refusal */
        {"200 ok\r\nsize: 1\r\n", 0},       /* incomplete */
        {"200 ok\nsize: 1\n", 0},           /* incomplete */
        {"200 ok\r\n\r", 0},                /* the last LF missing */
        {"", 0},                            /* nothing yet */
    };

    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        assert_int_equal(nk_fs_head_end(rows[i].buf, strlen(rows[i].buf)),
                         rows[i].want);
}

static void
test_path_check(void **state)
{
    static const struct {
        const char *path;
        size_t len; /* 0: strlen */
        enum nk_fs_path_err want;
    } rows[] = {
        {"a.txt", 0, NK_FSP_OK},
        {"a/b/c", 0, NK_FSP_OK},
        {"./a//b/", 0, NK_FSP_OK},
        {"a..b", 0, NK_FSP_OK},
        {"...", 0, NK_FSP_OK},
        {"", 0, NK_FSP_EMPTY},
        {"/etc/passwd", 0, NK_FSP_ABSOLUTE},
        {"..", 0, NK_FSP_DOTDOT},
        {"a/../b", 0, NK_FSP_DOTDOT},
        {"a/..", 0, NK_FSP_DOTDOT},
        {"a\x01", 0, NK_FSP_CONTROL},
        {"a\x7f", 0, NK_FSP_CONTROL},
        {"a\nb", 0, NK_FSP_CONTROL},
        {"a\0b", 3, NK_FSP_CONTROL},
        {".nkput-1-0.part", 0, NK_FSP_RESERVED},
        {"a/.nkput-", 0, NK_FSP_RESERVED},
        {"a/x.nkput-", 0, NK_FSP_OK},
        {".nkput", 0, NK_FSP_OK},
    };

    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        size_t len = rows[i].len ? rows[i].len : strlen(rows[i].path);
        assert_int_equal(nk_fs_path_check(rows[i].path, len), rows[i].want);
    }
    assert_int_equal(nk_fs_path_status(NK_FSP_DOTDOT), 403);
    assert_int_equal(nk_fs_path_status(NK_FSP_CONTROL), 400);
    assert_int_equal(nk_fs_path_status(NK_FSP_NOT_FOUND), 404);
    assert_string_equal(nk_fs_path_reason(NK_FSP_LINK_OUT),
                        "symbolic link leads out of the root");
    assert_int_equal(nk_fs_path_status(NK_FSP_RESERVED), 403);
    assert_int_equal(nk_fs_name_reserved(".nkput-abc"), 1);
    assert_int_equal(nk_fs_name_reserved("nkput-abc"), 0);
}

/* An invented tree: each node a name, a parent, a kind and a link target.
 * Node 0 is the root. */
struct node {
    const char *name;
    int parent;
    enum nk_fs_kind kind;
    const char *target;
};

static const struct node tree[] = {
    {"", -1, NK_FSK_DIR, NULL},                   /* 0 root */
    {"a", 0, NK_FSK_DIR, NULL},                   /* 1 */
    {"f.txt", 1, NK_FSK_FILE, NULL},              /* 2 */
    {"up", 1, NK_FSK_LINK, "../top.txt"},         /* 3 inside */
    {"top.txt", 0, NK_FSK_FILE, NULL},            /* 4 */
    {"out", 1, NK_FSK_LINK, "../../etc/passwd"},  /* 5 leads out */
    {"abs", 0, NK_FSK_LINK, "/etc/passwd"},       /* 6 */
    {"self", 0, NK_FSK_LINK, "self"},             /* 7 loop */
    {"dev", 0, NK_FSK_SPECIAL, NULL},             /* 8 */
    {"adir", 0, NK_FSK_LINK, "a/"},               /* 9 dir link */
    {"dot", 0, NK_FSK_LINK, "."},                 /* 10 */
    {"dangling", 0, NK_FSK_LINK, "nothing"},      /* 11 */
    {"flink", 0, NK_FSK_LINK, "top.txt"},         /* 12 link to a file */
    {"fslash", 0, NK_FSK_LINK, "top.txt/"},       /* 13 ... used as a dir */
    {".nkput-x.part", 0, NK_FSK_FILE, NULL},      /* 14 an upload's temp */
    {"tmplink", 0, NK_FSK_LINK, ".nkput-x.part"}, /* 15 */
};

struct fake {
    int stack[NK_FS_DEPTH_MAX + 2];
    int n;
    int ups_at_root; /* must stay 0 */
};

static enum nk_fs_kind
fake_step(void *ctx, const char *name, char *target)
{
    struct fake *f = ctx;
    int cur = f->stack[f->n - 1];

    for (size_t i = 1; i < sizeof tree / sizeof tree[0]; i++) {
        if (tree[i].parent != cur || strcmp(tree[i].name, name) != 0)
            continue;
        if (tree[i].kind == NK_FSK_DIR)
            f->stack[f->n++] = (int)i;
        if (tree[i].kind == NK_FSK_LINK)
            strcpy(target, tree[i].target);
        return tree[i].kind;
    }
    return NK_FSK_MISSING;
}

static void
fake_up(void *ctx)
{
    struct fake *f = ctx;

    if (f->n <= 1)
        f->ups_at_root++;
    else
        f->n--;
}

static const struct nk_fs_ops fake_ops = {fake_step, fake_up};

static void
test_resolve(void **state)
{
    static const struct {
        const char *path;
        enum nk_fs_path_err want;
        enum nk_fs_kind kind;
        int depth;
    } rows[] = {
        {"top.txt", NK_FSP_OK, NK_FSK_FILE, 0},
        {"a/f.txt", NK_FSP_OK, NK_FSK_FILE, 1},
        {"a/up", NK_FSP_OK, NK_FSK_FILE, 0},
        {"adir/f.txt", NK_FSP_OK, NK_FSK_FILE, 1},
        {"dot/dot/top.txt", NK_FSP_OK, NK_FSK_FILE, 0},
        {".", NK_FSP_OK, NK_FSK_DIR, 0},
        {"a/", NK_FSP_OK, NK_FSK_DIR, 1},
        {"a/out", NK_FSP_LINK_OUT, 0, 0},
        {"abs", NK_FSP_LINK_OUT, 0, 0},
        {"self", NK_FSP_LOOP, 0, 0},
        {"dev", NK_FSP_SPECIAL, 0, 0},
        {"nope", NK_FSP_NOT_FOUND, 0, 0},
        {"dangling", NK_FSP_NOT_FOUND, 0, 0},
        {"top.txt/x", NK_FSP_NOT_DIR, 0, 0},
        {"../x", NK_FSP_DOTDOT, 0, 0},
        {"/top.txt", NK_FSP_ABSOLUTE, 0, 0},
        /* A trailing '/' asks for a directory, as in open(2): ENOTDIR. */
        {"top.txt/", NK_FSP_NOT_DIR, 0, 0},
        {"a/f.txt/", NK_FSP_NOT_DIR, 0, 0},
        {"a/f.txt//.", NK_FSP_NOT_DIR, 0, 0},
        {"a/up/", NK_FSP_NOT_DIR, 0, 0},
        {"flink", NK_FSP_OK, NK_FSK_FILE, 0},
        {"flink/", NK_FSP_NOT_DIR, 0, 0},
        {"fslash", NK_FSP_NOT_DIR, 0, 0},
        {"adir", NK_FSP_OK, NK_FSK_DIR, 1},
        {"adir/", NK_FSP_OK, NK_FSK_DIR, 1},
        /* Uploads in progress are never reachable, not even by a link. */
        {".nkput-x.part", NK_FSP_RESERVED, 0, 0},
        {"tmplink", NK_FSP_RESERVED, 0, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct fake f = {.stack = {0}, .n = 1};
        enum nk_fs_kind kind = NK_FSK_ERROR;
        int depth = -1;
        enum nk_fs_path_err e =
            nk_fs_resolve(rows[i].path, strlen(rows[i].path), &fake_ops, &f, 0,
                          NULL, &kind, &depth);
        assert_int_equal(e, rows[i].want);
        assert_int_equal(f.ups_at_root, 0);
        if (e == NK_FSP_OK) {
            assert_int_equal(kind, rows[i].kind);
            assert_int_equal(depth, rows[i].depth);
        }
    }
}

static void
test_resolve_last(void **state)
{
    struct fake f = {.stack = {0}, .n = 1};
    enum nk_fs_kind kind;
    char last[NK_FS_NAME_MAX + 1];

    (void)state;
    assert_int_equal(
        nk_fs_resolve("a/new.txt", 9, &fake_ops, &f, 1, last, &kind, NULL),
        NK_FSP_OK);
    assert_string_equal(last, "new.txt");
    assert_int_equal(kind, NK_FSK_DIR);
    f.n = 1;
    /* "x/." names x, in the root. */
    assert_int_equal(
        nk_fs_resolve("x/.", 3, &fake_ops, &f, 1, last, &kind, NULL),
        NK_FSP_OK);
    assert_string_equal(last, "x");
    f.n = 1;
    assert_int_equal(
        nk_fs_resolve("nope/x", 6, &fake_ops, &f, 1, last, &kind, NULL),
        NK_FSP_NOT_FOUND);
    f.n = 1;
    assert_int_equal(
        nk_fs_resolve("./", 2, &fake_ops, &f, 1, last, &kind, NULL),
        NK_FSP_EMPTY);
}

static void
test_progress_format(void **state)
{
    char buf[256], b[32];

    (void)state;
    assert_string_equal(nk_progress_bytes(b, sizeof b, 0), "0 B");
    assert_string_equal(nk_progress_bytes(b, sizeof b, 1023), "1023 B");
    assert_string_equal(nk_progress_bytes(b, sizeof b, 1536), "1.5 KiB");
    assert_string_equal(nk_progress_bytes(b, sizeof b, 3.0 * 1073741824),
                        "3.0 GiB");
    /* Half of 20 MiB in 2 s: 5 MiB/s, 2 s to go. */
    nk_progress_format(buf, sizeof buf, 80, 10485760, 20971520, 10485760,
                       2000);
    assert_string_equal(buf, "[================>                ]  "
                             "50%  10.0 MiB/20.0 MiB  5.0 MiB/s  ETA 0:02");
    /* A narrow terminal drops the bar, then cuts the line. */
    nk_progress_format(buf, sizeof buf, 30, 10485760, 20971520, 10485760,
                       2000);
    assert_true(strlen(buf) <= 30);
    assert_int_equal(buf[0], ' ');
    /* Nothing moved yet: no rate, no ETA. */
    nk_progress_format(buf, sizeof buf, 200, 0, 100, 0, 0);
    assert_non_null(strstr(buf, "  0%"));
    assert_non_null(strstr(buf, "ETA --:--"));
    /* Unknown total, and done past total. */
    nk_progress_format(buf, sizeof buf, 80, 2048, 0, 2048, 1000);
    assert_string_equal(buf, "2.0 KiB  2.0 KiB/s");
    nk_progress_format(buf, sizeof buf, 200, 200, 100, 200, 1000);
    assert_non_null(strstr(buf, "100%"));
    /* Resumed: the rate counts moved bytes only; an hour-long ETA. */
    nk_progress_format(buf, sizeof buf, 200, 1048576, 3700ULL * 1048576,
                       1048576, 1000);
    assert_non_null(strstr(buf, "ETA 1:01:39"));
}

static void
run_expect(char **argv, int argc, int want_rc, const char *want_err)
{
    int rc;

    nk_test_capture(argv, argc, &rc, NULL);
    assert_int_equal(rc, want_rc);
    if (want_err != NULL)
        assert_non_null(strstr(nk_test_captured_err(), want_err));
}

static void
test_command_usage(void **state)
{
    char *a1[] = {"netkit", "fileshare", "nosuch"};
    char *a2[] = {"netkit", "fileshare", "get", "localhost"};
    char *a3[] = {"netkit", "fileshare", "serve", "--root", "."};
    char *a4[] = {"netkit", "fileshare", "get", "localhost",
                  "p",      "--port",    "x"};
    char *a5[] = {"netkit", "fileshare", "serve",         "--root", ".",
                  "--port", "0",         "--max-clients", "0"};
    char *a6[] = {"netkit", "fileshare", "list", "--help"};
    char *a7[] = {"netkit", "fileshare", "get", "localhost",
                  "a/.",    "--port",    "1"};
    int rc;
    char *out;

    (void)state;
    run_expect(a1, 3, 64, "unknown subcommand");
    run_expect(a2, 4, 64, "PATH is required");
    run_expect(a3, 5, 64, "--port is required");
    run_expect(a4, 7, 64, "--port");
    run_expect(a5, 9, 64, "--max-clients");
    out = nk_test_capture(a6, 4, &rc, NULL);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "usage: netkit fileshare list"));
    run_expect(a7, 7, 64, "names no file");
}

/* The client's response head: the line protocol's status and headers,
 * LF or CRLF, unknown keys skipped, each malformed field refused. */
static void
test_parse_head(void **state)
{
    struct nk_fs_head h;
    const char *why = NULL;
    static const char ok[] = "200 ok\r\nsize: 12\r\noffset: 2\r\n"
                             "length: 10\r\nsha256: " SHA0 "\r\n"
                             "x_other: ?\r\nentries: 3\r\n"
                             "truncated: yes\r\n\r\n";
    static const struct {
        const char *head, *why;
    } bad[] = {
        {"20 ok\n\n", "bad status line"},
        {"200 ok\nSize: 1\n\n", "bad header line"},
        {"200 ok\nsize: x\n\n", "bad size"},
        {"200 ok\noffset: -1\n\n", "bad offset"},
        {"200 ok\nlength: 1a\n\n", "bad length"},
        {"200 ok\nsha256: abc\n\n", "bad sha256"},
        {"200 ok\nsha256: " SHA0 "\n\n", NULL},
        {"200 ok\nsize: 1\n", "incomplete head"},
    };

    (void)state;
    assert_int_equal(nk_fs_parse_head(ok, sizeof ok - 1, &h, &why), 0);
    assert_int_equal(h.code, 200);
    assert_string_equal(h.text, "ok");
    assert_true(h.size == 12 && h.offset == 2 && h.length == 10);
    assert_true(h.have_length && h.have_sha && h.truncated);
    assert_true(h.entries == 3);
    assert_int_equal(h.sha[0], 0xe3);
    assert_int_equal(h.sha[31], 0x55);
    assert_int_equal(nk_fs_parse_head("404 not found\n\n", 15, &h, &why), 0);
    assert_int_equal(h.code, 404);
    assert_false(h.have_length || h.have_sha || h.truncated);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = nk_fs_parse_head(bad[i].head, strlen(bad[i].head), &h, &why);
        if (bad[i].why == NULL) {
            assert_int_equal(rc, 0);
            continue;
        }
        assert_int_equal(rc, -1);
        assert_string_equal(why, bad[i].why);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_request_ok),
        cmocka_unit_test(test_parse_request_bad),
        cmocka_unit_test(test_parse_request_limits),
        cmocka_unit_test(test_encode_roundtrip),
        cmocka_unit_test(test_build_lines),
        cmocka_unit_test(test_heads_and_entries),
        cmocka_unit_test(test_head_end),
        cmocka_unit_test(test_path_check),
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_resolve_last),
        cmocka_unit_test(test_progress_format),
        cmocka_unit_test(test_command_usage),
        cmocka_unit_test(test_parse_head),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

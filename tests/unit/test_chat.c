/* chat: the pure line protocol (assembly, bye words, nicknames, escaping,
 * commands), table-driven, and the command's option handling run
 * in-process. The network behaviour is tested in tests/cli/test_chat.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "commands.h"
#include "netkit/chat.h"
#include "netkit/exitcodes.h"

/* Feed a whole stream in chunks of `step` bytes; the lines found are
 * joined as "text|" with "~" after a cut one, plus the unterminated end
 * as "text$". */
static void
assemble(const char *in, size_t n, size_t step, size_t cap, char *out,
         size_t outsz)
{
    char buf[64];
    struct nk_chat_asm a;
    struct nk_chat_line ln;
    size_t off = 0, o = 0;
    int got;

    assert_true(cap <= sizeof buf);
    nk_chat_asm_init(&a, buf, cap);
    out[0] = '\0';
    while (off < n) {
        size_t m = n - off < step ? n - off : step;
        size_t k = nk_chat_asm_feed(&a, in + off, m, &ln, &got);
        assert_true(k >= 1 && k <= m);
        off += k;
        if (got)
            o += (size_t)snprintf(out + o, outsz - o, "%.*s%s|", (int)ln.len,
                                  ln.text, ln.cut ? "~" : "");
    }
    if (nk_chat_asm_finish(&a, &ln))
        snprintf(out + o, outsz - o, "%.*s%s$", (int)ln.len, ln.text,
                 ln.cut ? "~" : "");
}

static void
test_assembler(void **state)
{
    static const struct {
        const char *in;
        size_t cap;
        const char *want;
    } t[] = {
        {"hello\n", 16, "hello|"},
        {"a\r\nb\nc", 16, "a|b|c$"},
        {"\n\n", 16, "||"},
        {"x\ry\n", 16, "x\ry|"},
        {"0123456789\n", 8, "01234567~|"},
        {"01234567\r\nz\n", 8, "01234567|z|"},
        {"01234567\rz\n", 8, "01234567~|"},
        {"012345678901234567890123456789\nok\n", 4, "0123~|ok|"},
        {"tail-no-newline", 64, "tail-no-newline$"},
        {"abcdefghij", 4, "abcd~$"},
        {"", 8, ""},
    };
    char got[256];

    (void)state;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        for (size_t step = 1; step <= 7; step += 3) {
            assemble(t[i].in, strlen(t[i].in), step, t[i].cap, got,
                     sizeof got);
            if (strcmp(got, t[i].want) != 0)
                fail_msg("case %zu step %zu: got '%s' want '%s'", i, step, got,
                         t[i].want);
        }
    }
}

/* A gigabyte-long line in 64 KiB chunks: memory stays the buffer. */
static void
test_assembler_bounded(void **state)
{
    static char chunk[65536];
    char buf[NK_CHAT_LINE_MAX];
    struct nk_chat_asm a;
    struct nk_chat_line ln;
    int got;

    (void)state;
    memset(chunk, 'x', sizeof chunk);
    nk_chat_asm_init(&a, buf, sizeof buf);
    for (int i = 0; i < 256; i++) {
        assert_int_equal(nk_chat_asm_feed(&a, chunk, sizeof chunk, &ln, &got),
                         sizeof chunk);
        assert_int_equal(got, 0);
    }
    assert_int_equal(nk_chat_asm_feed(&a, "\r\nnext\n", 7, &ln, &got), 2);
    assert_int_equal(got, 1);
    assert_int_equal(ln.len, NK_CHAT_LINE_MAX);
    assert_int_equal(ln.cut, 1);
    assert_int_equal(nk_chat_asm_feed(&a, "next\n", 5, &ln, &got), 5);
    assert_int_equal(ln.cut, 0);
    assert_int_equal(ln.len, 4);
}

static void
test_bye_words(void **state)
{
    static const struct {
        const char *s;
        int bye;
    } t[] = {
        {"bye", 1},         {"byebye", 1},
        {"bubye", 1},       {"bye bye", 1},
        {"tata", 1},        {"see you", 1},
        {"  BYE  ", 1},     {"See You\r", 1},
        {"\tTaTa\n", 1},    {"bye  bye", 0},
        {"goodbye", 0},     {"bye!", 0},
        {"seeyou", 0},      {"", 0},
        {"by", 0},          {"byebyebye", 0},
        {"bye bye bye", 0}, {"see you later", 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (nk_chat_is_bye(t[i].s, strlen(t[i].s)) != t[i].bye)
            fail_msg("'%s': want %d", t[i].s, t[i].bye);
    assert_int_equal(nk_chat_is_bye("bye\0x", 5), 0);
}

static void
test_nick_check(void **state)
{
    static const struct {
        const char *s;
        size_t n; /* 0: strlen */
        int ok;
    } t[] = {
        {"alice", 0, 1},
        {"Bob_2", 0, 1},
        {"\xc3\xa9lodie", 0, 1},            /* élodie */
        {"\xe5\xb0\x8f\xe6\x98\x8e", 0, 1}, /* 小明 */
        {"12345678901234567890123456789012", 0, 1},
        {"123456789012345678901234567890123", 0, 0},
        {"", 0, 0},
        {"a b", 0, 0},
        {"a:b", 0, 0},
        {"a\tb", 0, 0},
        {"a\x1b[31m", 0, 0},
        {"a\x7f", 0, 0},
        {"a\xc2\x9b", 0, 0}, /* C1 CSI */
        {"a\xff", 0, 0},
        {"a\xc3", 0, 0}, /* truncated */
        {"a\0b", 3, 0},
        /* Invisible (Default_Ignorable_Code_Point) and direction controls
         * (Bidi_Control): "al<ZWSP>ice" would pass for alice. */
        {"al\xe2\x80\x8bice", 0, 0},             /* U+200B ZWSP */
        {"\xe2\x80\xae" "ecila", 0, 0},             /* U+202E RLO */
        {"a\xe2\x80\x8e", 0, 0},                 /* U+200E LRM */
        {"a\xe2\x81\xa6" "b", 0, 0},                /* U+2066 LRI */
        {"a\xe2\x81\xa9" "b", 0, 0},                /* U+2069 PDI */
        {"a\xd8\x9c" "b", 0, 0},                     /* U+061C ALM */
        {"a\xc2\xad" "b", 0, 0},                     /* U+00AD soft hyphen */
        {"a\xcd\x8f" "b", 0, 0},                     /* U+034F CGJ */
        {"a\xe2\x81\xa0" "b", 0, 0},                /* U+2060 WJ */
        {"a\xef\xbb\xbf", 0, 0},                 /* U+FEFF BOM */
        {"a\xef\xb8\x8f", 0, 0},                 /* U+FE0F VS16 */
        {"\xe3\x85\xa4", 0, 0},                  /* U+3164 filler */
        {"a\xef\xbe\xa0", 0, 0},                 /* U+FFA0 filler */
        {"a\xe1\xa0\x8e", 0, 0},                 /* U+180E MVS */
        {"a\xf3\xa0\x81\x81", 0, 0},            /* U+E0041 tag A */
        {"a\xf3\xa0\x84\x80", 0, 0},            /* U+E0100 VS17 */
        {"a\xf0\x9d\x85\xb3", 0, 0},            /* U+1D173 */
        /* Space characters other than ' ' (White_Space). */
        {"a\xc2\xa0" "b", 0, 0},                     /* U+00A0 NBSP */
        {"a\xe3\x80\x80" "b", 0, 0},                /* U+3000 */
        {"a\xe2\x80\x89" "b", 0, 0},                /* U+2009 thin */
        {"a\xe2\x80\xa8" "b", 0, 0},                /* U+2028 LS */
        {"a\xe1\x9a\x80" "b", 0, 0},                /* U+1680 */
        /* What reads as a notice ("* ..."), asterisk lookalikes too. */
        {"*", 0, 0},
        {"*bob", 0, 0},
        {"\xef\xbc\x8a" "bob", 0, 0},               /* U+FF0A fullwidth */
        {"\xe2\x88\x97" "bob", 0, 0},               /* U+2217 operator */
        {"\xef\xb9\xa1" "bob", 0, 0},               /* U+FE61 small */
        {"\xe2\x81\x8e" "bob", 0, 0},               /* U+204E low */
        {"bob*", 0, 1},
        /* Near the ranges but visible: allowed. */
        {"a\xe2\x80\x90" "b", 0, 1},                /* U+2010 hyphen */
        {"a\xe2\x80\xb0", 0, 1},                 /* U+2030 per mille */
        {"a\xe1\x85\xa1", 0, 1},                 /* U+1161 jamo */
        {"\xf0\x9f\x98\x80", 0, 1},             /* U+1F600 emoji */
        {"a\xef\xbf\xbd", 0, 1},                 /* U+FFFD */
    };
    const char *why;

    (void)state;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        size_t n = t[i].n ? t[i].n : strlen(t[i].s);
        why = NULL;
        int rc = nk_chat_nick_check(t[i].s, n, &why);
        if ((rc == 0) != t[i].ok)
            fail_msg("case %zu: rc %d", i, rc);
        if (rc < 0)
            assert_non_null(why);
    }
}

static void
test_sanitize(void **state)
{
    static const struct {
        const char *in;
        size_t n; /* 0: strlen */
        const char *want;
    } t[] = {
        {"plain text", 0, "plain text"},
        {"tab\there", 0, "tab\there"},
        {"\x1b[2Jclear", 0, "\\x1b[2Jclear"},
        {"bell\a", 0, "bell\\x07"},
        {"nul\0x", 5, "nul\\x00x"},
        {"del\x7f", 0, "del\\x7f"},
        {"cr\rx", 0, "cr\\x0dx"},
        {"csi\xc2\x9b"
         "31m",
         0, "csi\\u009b31m"},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 0,
         "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
        {"nbsp\xc2\xa0", 0, "nbsp\xc2\xa0"},
        {"bad\xff\xfe", 0, "bad\\xff\\xfe"},
        {"raw c1 \x9b", 0, "raw c1 \\x9b"},
        {"overlong \xc0\xaf", 0, "overlong \\xc0\\xaf"},
        {"cut \xe2\x82", 0, "cut \\xe2\\x82"},
        {"back\\slash", 0, "back\\slash"},
    };
    char out[128];

    (void)state;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        size_t n = t[i].n ? t[i].n : strlen(t[i].in);
        size_t k = nk_chat_sanitize(t[i].in, n, out, sizeof out);
        assert_int_equal(k, strlen(out));
        if (strcmp(out, t[i].want) != 0)
            fail_msg("case %zu: got '%s' want '%s'", i, out, t[i].want);
    }
    /* Too small a buffer: stops at a whole unit, never overflows. */
    assert_int_equal(nk_chat_sanitize("ab\x1b", 3, out, 5), 2);
    assert_string_equal(out, "ab");
    assert_int_equal(nk_chat_sanitize("abc", 3, out, 1), 0);
}

static void
test_parse(void **state)
{
    static const struct {
        const char *in;
        enum nk_chat_kind kind;
        const char *arg;
    } t[] = {
        {"hello", NK_CHAT_TEXT, "hello"},
        {"  spaced  ", NK_CHAT_TEXT, "  spaced  "},
        {"", NK_CHAT_EMPTY, ""},
        {" \t ", NK_CHAT_EMPTY, ""},
        {"Bye Bye", NK_CHAT_BYE, "Bye Bye"},
        {"/nick  alice ", NK_CHAT_NICK, "alice"},
        {"/NICK bob", NK_CHAT_NICK, "bob"},
        {"/nick", NK_CHAT_NICK, ""},
        {"/who", NK_CHAT_WHO, ""},
        {"/help", NK_CHAT_HELP, ""},
        {"/quit", NK_CHAT_QUIT, ""},
        {" /quit now", NK_CHAT_QUIT, "now"},
        {"/nickname x", NK_CHAT_UNKNOWN, "/nickname"},
        {"/usr/bin is a path", NK_CHAT_UNKNOWN, "/usr/bin"},
        {"//usr/bin is a path", NK_CHAT_TEXT, "/usr/bin is a path"},
        {"/", NK_CHAT_UNKNOWN, "/"},
    };
    struct nk_chat_cmd cmd;

    (void)state;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        nk_chat_parse(t[i].in, strlen(t[i].in), &cmd);
        if (cmd.kind != t[i].kind)
            fail_msg("'%s': kind %d want %d", t[i].in, cmd.kind, t[i].kind);
        if (cmd.arglen != strlen(t[i].arg) ||
            (cmd.arglen > 0 && memcmp(cmd.arg, t[i].arg, cmd.arglen) != 0))
            fail_msg("'%s': arg '%.*s' want '%s'", t[i].in, (int)cmd.arglen,
                     cmd.arg ? cmd.arg : "", t[i].arg);
    }
}

/* The rate limit's budget: refills exactly at low rates read often,
 * caps at the burst, goes into debt, says how long to wait. */
static void
test_bucket(void **state)
{
    struct nk_chat_bucket b;

    (void)state;
    nk_chat_bucket_init(&b, 100, 1000, 5000); /* 100 B/s, 1000 B burst */
    assert_int_equal(nk_chat_bucket_bytes(&b), 1000);
    nk_chat_bucket_spend(&b, 1500);
    assert_int_equal(nk_chat_bucket_bytes(&b), -500);
    assert_int_equal(nk_chat_bucket_wait_ms(&b, 0), 5000);
    assert_int_equal(nk_chat_bucket_wait_ms(&b, 100), 6000);
    /* Read every millisecond for 5 s: 0.1 byte each time adds up. */
    for (long long t = 5001; t <= 10000; t++)
        nk_chat_bucket_refill(&b, t);
    assert_int_equal(nk_chat_bucket_bytes(&b), 0);
    assert_int_equal(nk_chat_bucket_wait_ms(&b, 0), 0);
    nk_chat_bucket_refill(&b, 10000 + 3500);
    assert_int_equal(nk_chat_bucket_bytes(&b), 350);
    /* A long pause fills it to the burst, no further, no overflow. */
    nk_chat_bucket_refill(&b, 10000LL * 1000 * 1000 * 1000);
    assert_int_equal(nk_chat_bucket_bytes(&b), 1000);
    assert_int_equal(nk_chat_bucket_wait_ms(&b, 5000), 0); /* capped */
    /* The clock going back changes nothing. */
    nk_chat_bucket_refill(&b, 0);
    assert_int_equal(nk_chat_bucket_bytes(&b), 1000);
    /* No limit: always the burst, never a wait. */
    nk_chat_bucket_init(&b, 0, 4096, 0);
    nk_chat_bucket_spend(&b, 1 << 30);
    assert_int_equal(nk_chat_bucket_bytes(&b), 4096);
    assert_int_equal(nk_chat_bucket_wait_ms(&b, 4096), 0);
}

/* Options, in-process: help, and usage errors before any socket. */
static void
test_command_options(void **state)
{
    static const struct {
        const char *args[7];
        int rc;
        const char *out; /* in stdout, or NULL */
        const char *err; /* in stderr, or NULL */
    } t[] = {
        {{"chat", "--help"}, 0, "usage: netkit chat serve|connect", NULL},
        {{"chat", "serve", "--help"}, 0, "usage: netkit chat serve", NULL},
        {{"chat", "connect", "-h"}, 0, "usage: netkit chat connect", NULL},
        {{"chat"}, 64, NULL, "usage: netkit chat"},
        {{"chat", "serv"}, 64, NULL, "did you mean 'serve'"},
        {{"chat", "serve"}, 64, NULL, "--port is required"},
        {{"chat", "serve", "--port", "99999"}, 64, NULL, "--port"},
        {{"chat", "serve", "--port", "0", "--name", "a b"},
         64,
         NULL,
         "space in nickname"},
        {{"chat", "serve", "--port", "0", "--max-clients", "x"},
         64,
         NULL,
         "--max-clients"},
        {{"chat", "serve", "--port", "0", "--bogus"}, 64, NULL, NULL},
        {{"chat", "connect", "--port", "1"}, 64, NULL, "a HOST is required"},
        {{"chat", "connect", "localhost"}, 64, NULL, "--port is required"},
        {{"chat", "connect", "h", "--port", "1", "--wait"}, 64, NULL, NULL},
        {{"chat", "connect", "h", "-p", "1", "--name", "x:y"},
         64,
         NULL,
         "':' in nickname"},
        {{"chat", "connect", "nosuch.invalid", "--port", "1"},
         68,
         NULL,
         "nosuch.invalid"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char *argv[8] = {"netkit"};
        int argc = 1, rc;
        const char *out;
        while (argc < 8 && t[i].args[argc - 1] != NULL) {
            argv[argc] = (char *)t[i].args[argc - 1];
            argc++;
        }
        out = nk_test_capture(argv, argc, &rc, NULL);
        if (rc != t[i].rc)
            fail_msg("case %zu: rc %d want %d (%s)", i, rc, t[i].rc,
                     nk_test_captured_err());
        if (t[i].out != NULL && strstr(out, t[i].out) == NULL)
            fail_msg("case %zu: stdout lacks '%s'", i, t[i].out);
        if (t[i].err != NULL &&
            strstr(nk_test_captured_err(), t[i].err) == NULL)
            fail_msg("case %zu: stderr '%s' lacks '%s'", i,
                     nk_test_captured_err(), t[i].err);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assembler),
        cmocka_unit_test(test_assembler_bounded),
        cmocka_unit_test(test_bye_words),
        cmocka_unit_test(test_nick_check),
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_bucket),
        cmocka_unit_test(test_command_options),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

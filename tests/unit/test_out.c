/* The output layer: JSON escaping, UTF-8 validation, text and JSON
 * rendering of one description. Output is captured with open_memstream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netkit/out.h"

struct capture {
    char *buf;
    size_t len;
    FILE *fp;
};

static void
cap_open(struct capture *c)
{
    c->buf = NULL;
    c->len = 0;
    c->fp = open_memstream(&c->buf, &c->len);
    assert_non_null(c->fp);
}

static const char *
cap_close(struct capture *c)
{
    fclose(c->fp);
    return c->buf;
}

static void
test_json_escape_table(void **state)
{
    static const struct {
        const char *in;
        size_t len;
        const char *out;
    } cases[] = {
        {"plain", 5, "\"plain\""},
        {"", 0, "\"\""},
        {"a\"b\\c", 5, "\"a\\\"b\\\\c\""},
        {"\n\t\r\b\f", 5, "\"\\n\\t\\r\\b\\f\""},
        {"\x01\x1f\x0b", 3, "\"\\u0001\\u001f\\u000b\""},
        {"\x7f", 1, "\"\\u007f\""},
        {"nul\0x", 5, "\"nul\\u0000x\""},
        {"caf\xc3\xa9", 5, "\"caf\xc3\xa9\""},            /* valid 2-byte */
        {"\xe2\x82\xac", 3, "\"\xe2\x82\xac\""},          /* euro sign */
        {"\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\""},  /* emoji */
        {"\xff", 1, "\"\\ufffd\""},                       /* never valid */
        {"\xc3", 1, "\"\\ufffd\""},                       /* truncated */
        {"\xc0\xaf", 2, "\"\\ufffd\\ufffd\""},            /* overlong / */
        {"\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""}, /* surrogate */
        {"\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},
        {"a\x80z", 3, "\"a\\ufffdz\""}, /* stray continuation byte */
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct capture c;
        cap_open(&c);
        nk_json_write_str(c.fp, cases[i].in, cases[i].len);
        const char *got = cap_close(&c);
        if (strcmp(got, cases[i].out) != 0)
            fail_msg("case %zu: got %s want %s", i, got, cases[i].out);
        free(c.buf);
    }
}

static void
test_utf8_seq(void **state)
{
    static const struct {
        const char *s;
        size_t n;
        size_t want;
    } cases[] = {
        {"A", 1, 1},
        {"\xc2\x80", 2, 2},
        {"\xc1\xbf", 2, 0}, /* overlong */
        {"\xdf\xbf", 2, 2},
        {"\xe0\x9f\xbf", 3, 0}, /* overlong 3-byte */
        {"\xe0\xa0\x80", 3, 3},
        {"\xed\x9f\xbf", 3, 3}, /* U+D7FF */
        {"\xed\xa0\x80", 3, 0}, /* U+D800 */
        {"\xef\xbf\xbf", 3, 3},
        {"\xf0\x8f\xbf\xbf", 4, 0}, /* overlong 4-byte */
        {"\xf4\x8f\xbf\xbf", 4, 4}, /* U+10FFFF */
        {"\xf4\x90\x80\x80", 4, 0}, /* above U+10FFFF */
        {"\xf5\x80\x80\x80", 4, 0},
        {"\xe2\x82", 2, 0}, /* cut short */
        {"", 0, 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(
            nk_utf8_seq((const unsigned char *)cases[i].s, cases[i].n),
            cases[i].want);
}

/* One description rendered both ways. */
static void
describe(struct nk_out *o)
{
    nk_out_str(o, "name", "a \"quoted\"\nline");
    nk_out_int(o, "neg", -5);
    nk_out_uint(o, "big", UINT64_MAX);
    nk_out_bool(o, "ok", 1);
    nk_out_null(o, "nothing");
    nk_out_double(o, "pi", 3.14159, 2);
    nk_out_arr(o, "addresses");
    nk_out_str(o, NULL, "127.0.0.1");
    nk_out_str(o, NULL, "::1");
    nk_out_close(o);
    nk_out_arr(o, "items");
    nk_out_obj(o, NULL);
    nk_out_int(o, "n", 1);
    nk_out_close(o);
    nk_out_obj(o, NULL);
    nk_out_int(o, "n", 2);
    nk_out_close(o);
    nk_out_close(o);
    nk_out_arr(o, "empty");
    nk_out_close(o);
}

static void
test_render_json(void **state)
{
    struct capture c;
    struct nk_out o;
    (void)state;
    cap_open(&c);
    nk_out_init(&o, c.fp, NK_OUT_JSON, 1);
    describe(&o);
    assert_int_equal(nk_out_finish(&o), 0);
    const char *got = cap_close(&c);
    assert_string_equal(got, "{\n"
                             "  \"name\": \"a \\\"quoted\\\"\\nline\",\n"
                             "  \"neg\": -5,\n"
                             "  \"big\": 18446744073709551615,\n"
                             "  \"ok\": true,\n"
                             "  \"nothing\": null,\n"
                             "  \"pi\": 3.14,\n"
                             "  \"addresses\": [\n"
                             "    \"127.0.0.1\",\n"
                             "    \"::1\"\n"
                             "  ],\n"
                             "  \"items\": [\n"
                             "    {\n"
                             "      \"n\": 1\n"
                             "    },\n"
                             "    {\n"
                             "      \"n\": 2\n"
                             "    }\n"
                             "  ],\n"
                             "  \"empty\": []\n"
                             "}\n");
    free(c.buf);
}

static void
test_render_jsonl(void **state)
{
    struct capture c;
    struct nk_out o;
    (void)state;
    cap_open(&c);
    for (int i = 0; i < 2; i++) {
        nk_out_init(&o, c.fp, NK_OUT_JSONL, 0);
        describe(&o);
        assert_int_equal(nk_out_finish(&o), 0);
    }
    const char *got = cap_close(&c);
    const char *line = "{\"name\": \"a \\\"quoted\\\"\\nline\",\"neg\": -5,"
                       "\"big\": 18446744073709551615,\"ok\": true,"
                       "\"nothing\": null,\"pi\": 3.14,"
                       "\"addresses\": [\"127.0.0.1\",\"::1\"],"
                       "\"items\": [{\"n\": 1},{\"n\": 2}],\"empty\": []}\n";
    assert_int_equal(strlen(got), 2 * strlen(line));
    assert_memory_equal(got, line, strlen(line));
    assert_string_equal(got + strlen(line), line);
    free(c.buf);
}

static void
test_render_text(void **state)
{
    struct capture c;
    struct nk_out o;
    (void)state;
    cap_open(&c);
    /* colour requested but the text must stay plain in JSON; in text mode
     * the caller decides: here 0, as for a pipe. */
    nk_out_init(&o, c.fp, NK_OUT_TEXT, 0);
    describe(&o);
    nk_out_line(&o, "free %d", 7);
    assert_int_equal(nk_out_finish(&o), 0);
    const char *got = cap_close(&c);
    assert_string_equal(got, "name: a \"quoted\"\\nline\n"
                             "neg: -5\n"
                             "big: 18446744073709551615\n"
                             "ok: yes\n"
                             "nothing: -\n"
                             "pi: 3.14\n"
                             "addresses: 127.0.0.1\n"
                             "addresses: ::1\n"
                             "\n"
                             "n: 1\n"
                             "\n"
                             "n: 2\n"
                             "free 7\n");
    free(c.buf);
}

/* Only top-level records get a blank line; nested objects stay inside. */
static void
test_nested_objects_stay_in_record(void **state)
{
    struct capture c;
    struct nk_out o;
    (void)state;
    cap_open(&c);
    nk_out_init(&o, c.fp, NK_OUT_TEXT, 0);
    nk_out_arr(&o, "hosts");
    for (int h = 0; h < 2; h++) {
        nk_out_obj(&o, NULL);
        nk_out_int(&o, "host", h);
        nk_out_arr(&o, "addresses");
        for (int a = 0; a < 2; a++) {
            nk_out_obj(&o, NULL);
            nk_out_int(&o, "address", a);
            nk_out_close(&o);
        }
        nk_out_close(&o);
        nk_out_close(&o);
    }
    nk_out_finish(&o);
    assert_string_equal(cap_close(&c), "host: 0\naddress: 0\naddress: 1\n"
                                       "\n"
                                       "host: 1\naddress: 0\naddress: 1\n");
    free(c.buf);
}

/* A value can never fake a line or reach the terminal as a control. */
static void
test_text_values_escaped(void **state)
{
    struct capture c;
    struct nk_out o;
    (void)state;
    cap_open(&c);
    nk_out_init(&o, c.fp, NK_OUT_TEXT, 0);
    nk_out_str(&o, "input", "a\nb: x");
    nk_out_strn(&o, "ctl", "\t\r\x1b[31m\x7f\0z", 10);
    nk_out_str(&o, "c1", "x\xc2\x85y\xc3\xa9");
    nk_out_str(&o, "path", "C:\\dir");
    nk_out_str(&o, "raw", "a\x9b[2Jb\xff\xe2\x82");
    nk_out_finish(&o);
    assert_string_equal(cap_close(&c), "input: a\\nb: x\n"
                                       "ctl: \\t\\r\\x1b[31m\\x7f\\x00z\n"
                                       "c1: x\\u0085y\xc3\xa9\n"
                                       "path: C:\\dir\n"
                                       "raw: a\\x9b[2Jb\\xff\\xe2\\x82\n");
    free(c.buf);
}

static void
test_line_is_text_only(void **state)
{
    struct capture c;
    struct nk_out o;
    (void)state;
    cap_open(&c);
    nk_out_init(&o, c.fp, NK_OUT_JSON, 0);
    nk_out_line(&o, "lesson line");
    nk_out_finish(&o);
    assert_string_equal(cap_close(&c), "{}\n");
    free(c.buf);
}

/* Free-form lines quote user input too (the lessons' "Remote host: X"):
 * escaped like values, a tab kept (the recipes' own layout). */
static void
test_line_escaped(void **state)
{
    struct capture c;
    struct nk_out o;
    (void)state;
    cap_open(&c);
    nk_out_init(&o, c.fp, NK_OUT_TEXT, 0);
    nk_out_line(&o, "Remote host: %s\tok", "a\x1b[2J\nb\xc2\x9b\x9b\xc3\xa9");
    nk_out_finish(&o);
    assert_string_equal(cap_close(&c), "Remote host: a\\x1b[2J\\nb\\u009b"
                                       "\\x9b\xc3\xa9\tok\n");
    free(c.buf);
}

static void
test_color_only_in_text(void **state)
{
    struct capture c;
    struct nk_out o;
    (void)state;
    cap_open(&c);
    nk_out_init(&o, c.fp, NK_OUT_TEXT, 1);
    nk_out_int(&o, "k", 1);
    nk_out_finish(&o);
    assert_string_equal(cap_close(&c), "\033[1mk:\033[0m 1\n");
    free(c.buf);
}

static void
test_nan_is_null(void **state)
{
    struct capture c;
    struct nk_out o;
    (void)state;
    cap_open(&c);
    nk_out_init(&o, c.fp, NK_OUT_JSON, 0);
    nk_out_double(&o, "x", 0.0 / 0.0, 3);
    nk_out_finish(&o);
    assert_string_equal(cap_close(&c), "{\n  \"x\": null\n}\n");
    free(c.buf);
}

static void
test_unbalanced_close_reported(void **state)
{
    struct capture c;
    struct nk_out o;
    (void)state;
    cap_open(&c);
    nk_out_init(&o, c.fp, NK_OUT_JSON, 0);
    nk_out_close(&o); /* nothing open */
    assert_int_equal(nk_out_finish(&o), -1);
    cap_close(&c);
    free(c.buf);
}

static void
test_finish_closes_open_containers(void **state)
{
    struct capture c;
    struct nk_out o;
    (void)state;
    cap_open(&c);
    nk_out_init(&o, c.fp, NK_OUT_JSON, 0);
    nk_out_arr(&o, "a");
    nk_out_obj(&o, NULL);
    assert_int_equal(nk_out_finish(&o), 0);
    assert_string_equal(cap_close(&c), "{\n  \"a\": [\n    {}\n  ]\n}\n");
    free(c.buf);
}

/* Diagnostics: "netkit CMD: message", one line, even when very long. */
static void
test_diag_lines(void **state)
{
    FILE *tmp = tmpfile();
    int saved = dup(2);
    char buf[8192], big[3000];
    size_t n;
    (void)state;
    assert_non_null(tmp);
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    fflush(stderr);
    dup2(fileno(tmp), 2);
    nk_diag("echo-tcp", "connect %s: %s", "[::1]:7", "connection refused");
    nk_diag(NULL, "plain");
    nk_diag("x", "%s", big);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    n = fread(buf, 1, sizeof buf - 1, tmp);
    buf[n] = '\0';
    fclose(tmp);
    assert_int_equal(strncmp(buf,
                             "netkit echo-tcp: connect [::1]:7: connection "
                             "refused\nnetkit: plain\nnetkit x: xxx",
                             62),
                     0);
    assert_int_equal(buf[n - 1], '\n'); /* the cut line still ends */
    assert_true(n > 2000 && n < 2200);  /* the long line cut near 2 KiB */
}

/* Run fn with stderr captured; returns what it wrote (static buffer). */
static const char *
diag_capture(void (*fn)(void))
{
    static char buf[8192];
    FILE *tmp = tmpfile();
    int saved = dup(2);
    size_t n;

    assert_non_null(tmp);
    fflush(stderr);
    dup2(fileno(tmp), 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    n = fread(buf, 1, sizeof buf - 1, tmp);
    buf[n] = '\0';
    fclose(tmp);
    return buf;
}

static void
diag_hostile(void)
{
    nk_diag("byteorder", "'%s' is not a number",
            "\x1b[31mX\nY\rZ\t\x7f\x9b\xc2\x9b\xff\xc3\xa9\\");
}

/* A diagnostic quoting foreign bytes stays one line and cannot drive the
 * terminal: C0, DEL, raw and UTF-8-encoded C1, invalid UTF-8 escaped;
 * valid UTF-8 and backslashes (already-escaped text) kept. */
static void
test_diag_escapes(void **state)
{
    (void)state;
    assert_string_equal(diag_capture(diag_hostile),
                        "netkit byteorder: '\\x1b[31mX\\nY\\rZ\\t\\x7f"
                        "\\x9b\\u009b\\xff\xc3\xa9\\' is not a number\n");
}

static void
diag_long_escaped(void)
{
    char big[3000];

    memset(big, '\x1b', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    nk_diag("x", "%s", big);
}

/* Escaping makes a message longer: still one line, cut whole escapes. */
static void
test_diag_escaped_cut(void **state)
{
    const char *s;
    size_t n;
    (void)state;
    s = diag_capture(diag_long_escaped);
    n = strlen(s);
    assert_true(n > 2000 && n < 2200);
    assert_int_equal(s[n - 1], '\n');
    assert_null(strchr(s, '\x1b'));
    assert_ptr_equal(strchr(s, '\n'), s + n - 1);
    /* the last escape before the newline is whole */
    assert_memory_equal(s + n - 5, "\\x1b", 4);
}

/* The one escaper, into a buffer: never cuts an escape, always ends. */
static void
test_text_escape_buffer(void **state)
{
    char out[32];
    (void)state;
    assert_int_equal(nk_text_escape("a\x1b\xc2\x85\xfe\xc3\xa9", 7, out,
                                    sizeof out),
                     strlen("a\\x1b\\u0085\\xfe\xc3\xa9"));
    assert_string_equal(out, "a\\x1b\\u0085\\xfe\xc3\xa9");
    assert_int_equal(nk_text_escape("abc\n", 4, out, 5), 3);
    assert_string_equal(out, "abc");
    assert_int_equal(nk_text_escape("x", 1, out, 1), 0);
    assert_string_equal(out, "");
}

static void
test_no_color_env(void **state)
{
    (void)state;
    /* stdin of a test is not a terminal here, and with NO_COLOR set it
     * must be off in any case. */
    setenv("NO_COLOR", "1", 1);
    assert_int_equal(nk_color_wanted(0), 0);
    unsetenv("NO_COLOR");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_escape_table),
        cmocka_unit_test(test_utf8_seq),
        cmocka_unit_test(test_render_json),
        cmocka_unit_test(test_render_jsonl),
        cmocka_unit_test(test_render_text),
        cmocka_unit_test(test_nested_objects_stay_in_record),
        cmocka_unit_test(test_text_values_escaped),
        cmocka_unit_test(test_line_is_text_only),
        cmocka_unit_test(test_line_escaped),
        cmocka_unit_test(test_color_only_in_text),
        cmocka_unit_test(test_nan_is_null),
        cmocka_unit_test(test_unbalanced_close_reported),
        cmocka_unit_test(test_finish_closes_open_containers),
        cmocka_unit_test(test_diag_lines),
        cmocka_unit_test(test_diag_escapes),
        cmocka_unit_test(test_diag_escaped_cut),
        cmocka_unit_test(test_text_escape_buffer),
        cmocka_unit_test(test_no_color_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

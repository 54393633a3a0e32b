/* ipconv: the address parsers and formatters, table-driven, then the
 * command run in-process with stdout captured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture.h"
#include "commands.h"
#include "netkit/byteorder.h"
#include "netkit/exitcodes.h"
#include "netkit/ipaddr.h"

static int little;

/* Strict parsing: family, canonical text and packed hex; NULL text means
 * the input must be refused. */
static const struct {
    const char *in;
    int family;
    const char *text;
    const char *hex;
} strict_cases[] = {
    {"127.0.0.1", AF_INET, "127.0.0.1", "7f000001"},
    {"192.168.0.1", AF_INET, "192.168.0.1", "c0a80001"},
    {"0.0.0.0", AF_INET, "0.0.0.0", "00000000"},
    {"255.255.255.255", AF_INET, "255.255.255.255", "ffffffff"},
    {"::", AF_INET6, "::", "00000000000000000000000000000000"},
    {"::1", AF_INET6, "::1", "00000000000000000000000000000001"},
    {"2001:db8::1", AF_INET6, "2001:db8::1",
     "20010db8000000000000000000000001"},
    {"2001:0db8::0001", AF_INET6, "2001:db8::1",
     "20010db8000000000000000000000001"},
    {"2001:DB8::ABCD", AF_INET6, "2001:db8::abcd",
     "20010db800000000000000000000abcd"},
    {"::ffff:192.0.2.1", AF_INET6, "::ffff:192.0.2.1",
     "00000000000000000000ffffc0000201"},
    {"::FFFF:c000:0201", AF_INET6, "::ffff:192.0.2.1",
     "00000000000000000000ffffc0000201"},
    {"fe80::1%lo", AF_INET6, "fe80::1%lo", "fe800000000000000000000000000001"},
    {"fe80::1%2", AF_INET6, "fe80::1%2", "fe800000000000000000000000000001"},
    {"300.1.2.3", 0, NULL, NULL},
    {"127.1", 0, NULL, NULL},
    {"017.0.0.1", 0, NULL, NULL},
    {"1.2.3.4 ", 0, NULL, NULL},
    {" 1.2.3.4", 0, NULL, NULL},
    {"", 0, NULL, NULL},
    {"1.2.3.4%eth0", 0, NULL, NULL},
    {"fe80::1%", 0, NULL, NULL},
    {"fe80::1%a/b", 0, NULL, NULL},
    {"fe80::1%0123456789abcdef", 0, NULL, NULL},
    {"[::1]", 0, NULL, NULL},
    {"1:2:3:4:5:6:7:8:9", 0, NULL, NULL},
    {"12345::", 0, NULL, NULL},
    {"localhost", 0, NULL, NULL},
};

static void
test_parse_strict(void **state)
{
    struct nk_ipaddr a;
    struct nk_err err;
    char text[NK_IP_TEXT_MAX], hex[NK_IP_HEX_MAX];
    (void)state;
    for (size_t i = 0; i < sizeof strict_cases / sizeof strict_cases[0]; i++) {
        int rc = nk_ip_parse(strict_cases[i].in, 0, &a, &err);
        if (strict_cases[i].text == NULL) {
            if (rc == 0)
                fail_msg("'%s' was accepted", strict_cases[i].in);
            assert_int_equal(err.exit_code, NK_EX_DATAERR);
            continue;
        }
        if (rc != 0)
            fail_msg("'%s' refused: %s", strict_cases[i].in, err.msg);
        assert_int_equal(a.family, strict_cases[i].family);
        assert_int_equal(a.form, NK_IP_FORM_TEXT);
        assert_string_equal(nk_ip_format(&a, text, sizeof text),
                            strict_cases[i].text);
        assert_string_equal(nk_ip_hex(&a, hex), strict_cases[i].hex);
    }
}

/* Error texts name the input, and hint at --lax only when it would do. */
static void
test_parse_errors(void **state)
{
    static const struct {
        const char *in, *msg;
    } cases[] = {
        {"300.1.2.3", "'300.1.2.3' is not an IPv4 or IPv6 address"},
        {"127.1", "'127.1' is not an IPv4 or IPv6 address (try --lax)"},
        {"0x7f.1", "'0x7f.1' is not an IPv4 or IPv6 address (try --lax)"},
        {"1.2.3.4 junk", "'1.2.3.4 junk' is not an IPv4 or IPv6 address"},
        {"[::1]", "'[::1]' is not an IPv4 or IPv6 address (drop the "
                  "brackets)"},
        {"1.2.3.4%eth0", "'1.2.3.4%eth0': a scope id (after %) is for IPv6 "
                         "addresses only"},
        {"fe80::1%", "'fe80::1%' has a bad scope id (1-15 letters, digits, "
                     "'-', '.', '_' or '~' after %)"},
        {"a\nb", "'a\\nb' is not an IPv4 or IPv6 address"},
    };
    struct nk_ipaddr a;
    struct nk_err err;
    char longin[200];
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(nk_ip_parse(cases[i].in, 0, &a, &err), -1);
        assert_string_equal(err.msg, cases[i].msg);
        assert_int_equal(err.exit_code, NK_EX_DATAERR);
    }
    /* A very long input is cut short in the message, not the buffer. */
    memset(longin, '9', sizeof longin - 1);
    longin[sizeof longin - 1] = '\0';
    assert_int_equal(nk_ip_parse(longin, 0, &a, &err), -1);
    assert_non_null(strstr(err.msg, "9999...' is not an IPv4"));
}

/* RFC 5952 section 4 and its corner cases: bytes in (via inet_pton),
 * our text out. */
static void
test_rfc5952(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"2001:db8::1", "2001:db8::1"},
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},    /* 4.2.3 first */
        {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"}, /* 4.2.2 */
        {"2001:0db8::0001", "2001:db8::1"},               /* 4.1 */
        {"2001:DB8::AbCd", "2001:db8::abcd"},             /* 4.3 */
        {"2001:db8:0:0:0:0:2:1", "2001:db8::2:1"},        /* 4.2.1 */
        {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},          /* 4.2.3 longest */
        {"0:0:0:0:0:0:0:0", "::"},
        {"0:0:0:0:0:0:0:1", "::1"},
        {"1:0:0:0:0:0:0:0", "1::"},
        {"0:1:0:1:0:1:0:1", "0:1:0:1:0:1:0:1"},
        {"1:0:0:2:0:0:3:4", "1::2:0:0:3:4"},
        {"1:2:3:4:5:6:0:0", "1:2:3:4:5:6::"},
        {"0:0:1:2:3:4:5:6", "::1:2:3:4:5:6"},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
         "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
        {"::ffff:192.0.2.1", "::ffff:192.0.2.1"}, /* section 5 */
        {"::ffff:0:0", "::ffff:0.0.0.0"},
        /* v4-compatible is deprecated: hex, unlike glibc's inet_ntop */
        {"::192.0.2.1", "::c000:201"},
        {"::ffff:0:192.0.2.1", "::ffff:0:c000:201"},
        {"64:ff9b::192.0.2.1", "64:ff9b::c000:201"},
    };
    uint8_t b[16];
    char text[NK_IP_TEXT_MAX];
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(inet_pton(AF_INET6, cases[i].in, b), 1);
        assert_string_equal(nk_ip6_compressed(b, text, sizeof text),
                            cases[i].out);
    }
}

static void
test_expanded_and_mapped(void **state)
{
    uint8_t b[16];
    char text[NK_IP_TEXT_MAX];
    (void)state;
    assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", b), 1);
    assert_string_equal(nk_ip6_expanded(b, text, sizeof text),
                        "2001:0db8:0000:0000:0000:0000:0000:0001");
    assert_false(nk_ip6_is_v4mapped(b));
    assert_int_equal(inet_pton(AF_INET6, "::ffff:192.0.2.1", b), 1);
    assert_string_equal(nk_ip6_expanded(b, text, sizeof text),
                        "0000:0000:0000:0000:0000:ffff:c000:0201");
    assert_true(nk_ip6_is_v4mapped(b));
    assert_string_equal(nk_ip4_format(b + 12, text, sizeof text), "192.0.2.1");
    assert_int_equal(inet_pton(AF_INET6, "::fffe:192.0.2.1", b), 1);
    assert_false(nk_ip6_is_v4mapped(b));
}

/* The inet_aton forms: what they mean, and that glibc's inet_aton agrees
 * on every one it accepts (we refuse only its trailing junk). */
static void
test_lax(void **state)
{
    static const struct {
        const char *in;
        int parts;
        const char *text;
    } cases[] = {
        {"127.1", 2, "127.0.0.1"},
        {"0x7f.1", 2, "127.0.0.1"},
        {"0X7F.1", 2, "127.0.0.1"},
        {"017.0.0.1", 4, "15.0.0.1"},
        {"1", 1, "0.0.0.1"},
        {"4294967295", 1, "255.255.255.255"},
        {"0xffffffff", 1, "255.255.255.255"},
        {"037777777777", 1, "255.255.255.255"},
        {"1.2.3", 3, "1.2.0.3"},
        {"1.2.65535", 3, "1.2.255.255"},
        {"1.16777215", 2, "1.255.255.255"},
        {"0", 1, "0.0.0.0"},
        {"00", 1, "0.0.0.0"},
        {"127.0.0.1", 4, "127.0.0.1"},
        {"0x00000000000000007f.1", 2, "127.0.0.1"},
        {"4294967296", -1, NULL},
        {"1.2.65536", -1, NULL},
        {"256.1", -1, NULL},
        {"1.2.3.256", -1, NULL},
        {"1.2.3.4.5", -1, NULL},
        {"08", -1, NULL},
        {"0x", -1, NULL},
        {"0x.1", -1, NULL},
        {"1..2", -1, NULL},
        {"1.2.", -1, NULL},
        {".1", -1, NULL},
        {"", -1, NULL},
        {"+1", -1, NULL},
        {"1.-2", -1, NULL},
        {"1.2.3.4 junk", -1, NULL},
        {"1.2.3.4 ", -1, NULL},
        {"1.2.3.4\t", -1, NULL},
        {"0x1g", -1, NULL},
    };
    uint8_t b[4];
    struct in_addr ia;
    char text[NK_IP_TEXT_MAX];
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = nk_ip4_parse_lax(cases[i].in, b);
        if (n != cases[i].parts)
            fail_msg("'%s': %d parts, want %d", cases[i].in, n,
                     cases[i].parts);
        if (n < 0) {
            /* glibc accepts trailing whitespace and junk; nothing else */
            if (strpbrk(cases[i].in, " \t") == NULL)
                assert_int_equal(inet_aton(cases[i].in, &ia), 0);
            continue;
        }
        assert_string_equal(nk_ip4_format(b, text, sizeof text),
                            cases[i].text);
        assert_int_equal(inet_aton(cases[i].in, &ia), 1);
        assert_memory_equal(&ia.s_addr, b, 4);
    }
}

static void
test_lax_explain(void **state)
{
    static const struct {
        const char *in, *note;
    } cases[] = {
        {"127.1", "inet_aton form a.b: a=127, b=1 (the low 24 bits)"},
        {"0x7f.1", "inet_aton form a.b: a=0x7f (hex 127), b=1 (the low 24 "
                   "bits)"},
        {"017.0.0.1", "inet_aton form a.b.c.d: a=017 (octal 15), b=0, c=0, "
                      "d=1"},
        {"1", "inet_aton form a: a=1 (all 32 bits)"},
        {"1.2.0x300", "inet_aton form a.b.c: a=1, b=2, c=0x300 (hex 768) "
                      "(the low 16 bits)"},
    };
    char buf[256];
    struct nk_ipaddr a;
    struct nk_err err;
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_non_null(nk_ip4_lax_explain(cases[i].in, buf, sizeof buf));
        assert_string_equal(buf, cases[i].note);
    }
    assert_null(nk_ip4_lax_explain("1.2.3.4 x", buf, sizeof buf));
    /* a short buffer truncates, never overflows */
    assert_non_null(nk_ip4_lax_explain("017.0.0.1", buf, 10));
    assert_string_equal(buf, "inet_aton");
    /* nk_ip_parse with NK_IP_LAX: strict forms stay "text" */
    assert_int_equal(nk_ip_parse("127.1", NK_IP_LAX, &a, &err), 0);
    assert_int_equal(a.form, NK_IP_FORM_INET_ATON);
    assert_int_equal(a.family, AF_INET);
    assert_int_equal(nk_ip_parse("127.0.0.1", NK_IP_LAX, &a, &err), 0);
    assert_int_equal(a.form, NK_IP_FORM_TEXT);
    assert_int_equal(nk_ip_parse("::1", NK_IP_LAX, &a, &err), 0);
    assert_int_equal(a.family, AF_INET6);
    assert_int_equal(nk_ip_parse("300.1.2.3", NK_IP_LAX, &a, &err), -1);
    assert_string_equal(err.msg, "'300.1.2.3' is not an IPv4 or IPv6 "
                                 "address");
}

static void
test_from_hex(void **state)
{
    static const struct {
        const char *in, *text, *msg;
    } cases[] = {
        {"7f000001", "127.0.0.1", NULL},
        {"0xC0A80001", "192.168.0.1", NULL},
        {"0X7f000001", "127.0.0.1", NULL},
        {"20010db8000000000000000000000001", "2001:db8::1", NULL},
        {"0x00000000000000000000ffffc0000201", "::ffff:192.0.2.1", NULL},
        {"7f00001", NULL,
         "'7f00001' has 7 hex digits, not 8 (IPv4) or 32 "
         "(IPv6)"},
        {"0x", NULL, "'0x' has 0 hex digits, not 8 (IPv4) or 32 (IPv6)"},
        {"", NULL, "'' has 0 hex digits, not 8 (IPv4) or 32 (IPv6)"},
        {"7f00000g", NULL,
         "'7f00000g' is not packed address bytes in hex "
         "(8 or 32 hex digits)"},
        {"7f:00:00:01", NULL,
         "'7f:00:00:01' is not packed address bytes "
         "in hex (8 or 32 hex digits)"},
        {"0x0x7f000001", NULL,
         "'0x0x7f000001' is not packed address bytes "
         "in hex (8 or 32 hex digits)"},
        {"20010db80000000000000000000000010", NULL,
         "'20010db80000000000000000000000010' has 33 hex digits, not 8 "
         "(IPv4) or 32 (IPv6)"},
    };
    struct nk_ipaddr a;
    struct nk_err err;
    char text[NK_IP_TEXT_MAX];
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = nk_ip_from_hex(cases[i].in, &a, &err);
        if (cases[i].text == NULL) {
            assert_int_equal(rc, -1);
            assert_string_equal(err.msg, cases[i].msg);
            assert_int_equal(err.exit_code, NK_EX_DATAERR);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(a.form, NK_IP_FORM_HEX);
        assert_string_equal(nk_ip_format(&a, text, sizeof text),
                            cases[i].text);
    }
}

static void
test_from_int(void **state)
{
    static const struct {
        const char *in, *text;
    } cases[] = {
        {"2130706433", "127.0.0.1"},
        {"3232235521", "192.168.0.1"},
        {"0", "0.0.0.0"},
        {"4294967295", "255.255.255.255"},
        {"0x7f000001", "127.0.0.1"},
        {"4294967296", NULL},
        {"-1", NULL},
        {"1.2", NULL},
        {"", NULL},
        {"0x", NULL},
        {"99999999999999999999", NULL},
    };
    struct nk_ipaddr a;
    struct nk_err err;
    char text[NK_IP_TEXT_MAX], want[128];
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = nk_ip_from_int(cases[i].in, &a, &err);
        if (cases[i].text == NULL) {
            assert_int_equal(rc, -1);
            snprintf(want, sizeof want,
                     "'%s' is not an IPv4 address as a number "
                     "(0-4294967295, decimal or 0x-hex)",
                     cases[i].in);
            assert_string_equal(err.msg, want);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(a.family, AF_INET);
        assert_string_equal(nk_ip_format(&a, text, sizeof text),
                            cases[i].text);
    }
}

/* The number and its network-order twin: 127.0.0.1 is 2130706433 on
 * every host; its packed bytes read natively are 16777343 on
 * little-endian. */
static void
test_ints(void **state)
{
    static const uint8_t lo[4] = {127, 0, 0, 1}, c0[4] = {192, 168, 0, 1};
    uint32_t raw;
    (void)state;
    assert_true(nk_ip4_int(lo) == 2130706433u);
    assert_true(nk_ip4_int(c0) == 3232235521u);
    assert_true(nk_ip4_int_network_order(lo) ==
                (little ? 16777343u : 2130706433u));
    assert_true(nk_ip4_int_network_order(c0) ==
                (little ? 16820416u : 3232235521u));
    assert_int_equal(inet_pton(AF_INET, "192.168.0.1", &raw), 1);
    assert_true(nk_ip4_int_network_order(c0) == raw);
    assert_true(ntohl(raw) == nk_ip4_int(c0));
}

static void
test_command_text(void **state)
{
    char *argv[] = {"netkit",
                    "ipconv",
                    "127.0.0.1",
                    "--from-hex",
                    "20010db8000000000000000000000001",
                    NULL};
    int rc;
    char *out = nk_test_capture(argv, 5, &rc, NULL);
    (void)state;
    assert_int_equal(rc, NK_EX_OK);
    assert_non_null(strstr(out, "input: 127.0.0.1\n"
                                "input_form: text\n"
                                "family: ipv4\n"
                                "address: 127.0.0.1\n"
                                "packed: 7f000001\n"
                                "int: 2130706433\n"));
    assert_non_null(strstr(out, little ? "int_network_order: 16777343\n"
                                       : "int_network_order: 2130706433\n"));
    assert_non_null(strstr(out, "ipv6_mapped: ::ffff:127.0.0.1\n"));
    /* order kept: the hex item comes second */
    assert_non_null(strstr(out, "\n\ninput: 20010db8000000000000000000000001\n"
                                "input_form: hex\n"
                                "family: ipv6\n"
                                "address: 2001:db8::1\n"));
    assert_non_null(strstr(out, "expanded: "
                                "2001:0db8:0000:0000:0000:0000:0000:0001\n"
                                "compressed: 2001:db8::1\n"
                                "scope_id: -\n"
                                "ipv4_mapped: -\n"));
}

static void
test_command_errors(void **state)
{
    char *bad[] = {"netkit", "ipconv", "300.1.2.3", NULL};
    char *mixed[] = {"netkit", "ipconv", "1.2.3.4", "nope", NULL};
    char *lax[] = {"netkit", "ipconv", "--lax", "017.0.0.1", NULL};
    char *none[] = {"netkit", "ipconv", NULL};
    char *lj[] = {"netkit", "ipconv", "--lesson", "--json", NULL};
    char *miss[] = {"netkit", "ipconv", "--from-int", NULL};
    char *badint[] = {"netkit", "ipconv", "-N", "4294967296", NULL};
    int rc;
    char *out;
    (void)state;
    out = nk_test_capture(bad, 3, &rc, NULL);
    assert_int_equal(rc, NK_EX_DATAERR);
    assert_non_null(strstr(out, "input: 300.1.2.3\nerror: '300.1.2.3' is "
                                "not an IPv4 or IPv6 address\n"));
    out = nk_test_capture(mixed, 4, &rc, NULL);
    assert_int_equal(rc, NK_EX_PARTIAL);
    assert_non_null(strstr(out, "address: 1.2.3.4\n"));
    out = nk_test_capture(lax, 4, &rc, NULL);
    assert_int_equal(rc, NK_EX_OK);
    assert_non_null(strstr(out, "input_form: inet_aton\n"));
    assert_non_null(strstr(out, "address: 15.0.0.1\n"));
    assert_non_null(strstr(out, "note: inet_aton form a.b.c.d: a=017 "
                                "(octal 15), b=0, c=0, d=1\n"));
    nk_test_capture(none, 2, &rc, NULL);
    assert_int_equal(rc, NK_EX_USAGE);
    nk_test_capture(lj, 4, &rc, NULL);
    assert_int_equal(rc, NK_EX_USAGE);
    nk_test_capture(miss, 3, &rc, NULL);
    assert_int_equal(rc, NK_EX_USAGE);
    nk_test_capture(badint, 4, &rc, NULL);
    assert_int_equal(rc, NK_EX_DATAERR);
}

static void
test_command_lesson(void **state)
{
    char *argv[] = {"netkit", "ipconv", "--lesson", NULL};
    char *lax[] = {"netkit", "ipconv", "-l", "-a", "127.1", "::1", NULL};
    int rc;
    char *out = nk_test_capture(argv, 3, &rc, NULL);
    (void)state;
    assert_int_equal(rc, NK_EX_OK);
    assert_string_equal(out, "IP Address: 127.0.0.1 => Packed: 7f000001, "
                             "Unpacked: 127.0.0.1\n"
                             "IP Address: 192.168.0.1 => Packed: c0a80001, "
                             "Unpacked: 192.168.0.1\n");
    out = nk_test_capture(lax, 6, &rc, NULL);
    assert_int_equal(rc, NK_EX_OK);
    assert_string_equal(out, "IP Address: 127.1 => Packed: 7f000001, "
                             "Unpacked: 127.0.0.1\n"
                             "IP Address: ::1 => Packed: "
                             "00000000000000000000000000000001, "
                             "Unpacked: ::1\n");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_strict),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_rfc5952),
        cmocka_unit_test(test_expanded_and_mapped),
        cmocka_unit_test(test_lax),
        cmocka_unit_test(test_lax_explain),
        cmocka_unit_test(test_from_hex),
        cmocka_unit_test(test_from_int),
        cmocka_unit_test(test_ints),
        cmocka_unit_test(test_command_text),
        cmocka_unit_test(test_command_errors),
        cmocka_unit_test(test_command_lesson),
    };
    little = nk_host_little_endian();
    return cmocka_run_group_tests(tests, NULL, NULL);
}

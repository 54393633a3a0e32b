/* URL splitting: table-driven, every refusal quoted with its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netkit/exitcodes.h"
#include "netkit/out.h"
#include "netkit/url.h"

static void
test_good(void **state)
{
    static const struct {
        const char *in, *scheme, *host, *port, *path;
        int v6;
    } cases[] = {
        {"http://www.python.org", "http", "www.python.org", "", "/", 0},
        {"HTTP://Example.COM/", "http", "Example.COM", "", "/", 0},
        {"http://h:8080/a/b?q=1#frag", "http", "h", "8080", "/a/b?q=1", 0},
        {"http://h?q", "http", "h", "", "/?q", 0},
        {"http://h#top", "http", "h", "", "/", 0},
        {"http://[::1]:80/x", "http", "::1", "80", "/x", 1},
        {"http://[2001:db8::1]/", "http", "2001:db8::1", "", "/", 1},
        {"ftp://user:pw@files.example:21/pub", "ftp", "files.example", "21",
         "/pub", 0},
        {"gopher://h:", "gopher", "h", "", "/", 0},
        {"svn+ssh://h/r", "svn+ssh", "h", "", "/r", 0},
        {"http://127.0.0.1:65535", "http", "127.0.0.1", "65535", "/", 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nk_url u;
        struct nk_err err;
        if (nk_url_parse(cases[i].in, &u, &err) != 0)
            fail_msg("'%s' refused: %s", cases[i].in, err.msg);
        assert_string_equal(u.scheme, cases[i].scheme);
        assert_string_equal(u.host, cases[i].host);
        assert_string_equal(u.port, cases[i].port);
        assert_string_equal(u.path, cases[i].path);
        assert_int_equal(u.host_is_ipv6, cases[i].v6);
        assert_true(nk_url_like(cases[i].in));
    }
}

static void
test_userinfo_kept_apart(void **state)
{
    struct nk_url u;
    struct nk_err err;
    (void)state;
    assert_int_equal(nk_url_parse("http://a:b@h/", &u, &err), 0);
    assert_string_equal(u.userinfo, "a:b");
    assert_string_equal(u.host, "h");
}

static void
test_bad(void **state)
{
    static const struct {
        const char *in, *why;
    } cases[] = {
        {"www.python.org", "expected scheme://host"},
        {"http:/h", "expected scheme://host"},
        {"://h", "expected scheme://host"},
        {"1http://h", "expected scheme://host"},
        {"http://", "no host"},
        {"http:///path", "no host"},
        {"http://:80/", "no host"},
        {"http://h:65536/", "port 65536 is out of range (0-65535)"},
        {"http://h:123456/", "port 123456 is out of range (0-65535)"},
        {"http://h:0065536/", "port 0065536 is out of range (0-65535)"},
        {"http://h:8o/", "port is not a number"},
        {"http://h:018002x/", "port is not a number"},
        {"http://[::1/", "missing ']' after an IPv6 address"},
        {"http://[::1]x/", "junk after ']'"},
        {"http://h/a b", "control byte or space"},
        {"http://h/\x01", "control byte or space"},
        {"http://h\r\nHost: evil/", "control byte or space"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nk_url u;
        struct nk_err err;
        char want[512];
        if (nk_url_parse(cases[i].in, &u, &err) != -1)
            fail_msg("'%s' accepted", cases[i].in);
        assert_int_equal(err.exit_code, NK_EX_DATAERR);
        snprintf(want, sizeof want, "'%s' is not a valid URL: %s", cases[i].in,
                 cases[i].why);
        assert_string_equal(err.msg, want);
    }
}

/* RFC 3986 3.2.3: port = *DIGIT, so leading zeros are allowed; the
 * value, without them, is what counts. */
static void
test_port_leading_zeros(void **state)
{
    static const struct {
        const char *in, *port;
    } cases[] = {
        {"http://h:018002/", "18002"},
        {"http://h:08080/x", "8080"},
        {"http://h:0000000000000000080/", "80"},
        {"http://h:00/", "0"},
        {"http://[::1]:065535/", "65535"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nk_url u;
        struct nk_err err;
        if (nk_url_parse(cases[i].in, &u, &err) != 0)
            fail_msg("'%s' refused: %s", cases[i].in, err.msg);
        assert_string_equal(u.port, cases[i].port);
    }
}

static void
test_overlong_parts_refused(void **state)
{
    char url[6000];
    struct nk_url u;
    struct nk_err err;
    (void)state;
    /* host of 300 bytes: longer than the buffer, refused not cut */
    snprintf(url, sizeof url, "http://%0300d/", 0);
    assert_int_equal(nk_url_parse(url, &u, &err), -1);
    assert_non_null(strstr(err.msg, "host name too long"));
    memcpy(url, "http://h/", 9);
    memset(url + 9, 'p', 5000);
    url[5009] = '\0';
    assert_int_equal(nk_url_parse(url, &u, &err), -1);
    assert_non_null(strstr(err.msg, "path too long"));
}

static void
test_url_like(void **state)
{
    (void)state;
    assert_true(nk_url_like("https://x"));
    assert_false(nk_url_like("http"));
    assert_false(nk_url_like("80"));
    assert_false(nk_url_like("http:x"));
    assert_false(nk_url_like(""));
}

static void
test_out_raw_binary_safe(void **state)
{
    static const char bytes[] = {'a', '\0', '\xff', '\n'};
    char path[] = "/tmp/nk_test_raw_XXXXXX";
    int fd = mkstemp(path);
    char back[8];
    FILE *fp;
    (void)state;
    assert_true(fd >= 0);
    fflush(stdout);
    assert_non_null(freopen(path, "w", stdout));
    assert_int_equal(nk_out_raw(bytes, sizeof bytes), 0);
    assert_int_equal(nk_out_raw(bytes, 0), 0);
    fflush(stdout);
    fp = fopen(path, "rb");
    assert_int_equal(fread(back, 1, sizeof back, fp), sizeof bytes);
    assert_memory_equal(back, bytes, sizeof bytes);
    fclose(fp);
    unlink(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_userinfo_kept_apart),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_port_leading_zeros),
        cmocka_unit_test(test_overlong_parts_refused),
        cmocka_unit_test(test_url_like),
        cmocka_unit_test(test_out_raw_binary_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Number, port and seconds parsing: table-driven, every refusal named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "netkit/exitcodes.h"
#include "netkit/parse.h"

static void
test_u64_table(void **state)
{
    static const struct {
        const char *in;
        uint64_t max;
        int ok;
        uint64_t want;
        const char *msg;
    } cases[] = {
        {"0", 10, 1, 0, NULL},
        {"1234", UINT64_MAX, 1, 1234, NULL},
        {"0x4d2", UINT64_MAX, 1, 1234, NULL},
        {"0XFFff", UINT64_MAX, 1, 65535, NULL},
        {"18446744073709551615", UINT64_MAX, 1, UINT64_MAX, NULL},
        {"0xffffffffffffffff", UINT64_MAX, 1, UINT64_MAX, NULL},
        {"007", UINT64_MAX, 1, 7, NULL},
        {"18446744073709551616", UINT64_MAX, 0, 0,
         "'18446744073709551616' is too large (max 18446744073709551615)"},
        {"0x10000000000000000", UINT64_MAX, 0, 0, NULL},
        {"65536", 65535, 0, 0, "'65536' is too large (max 65535)"},
        {"", UINT64_MAX, 0, 0, "'' is not a number"},
        {"0x", UINT64_MAX, 0, 0, "'0x' is not a number"},
        {"-1", UINT64_MAX, 0, 0, "'-1' is not a number"},
        {"+1", UINT64_MAX, 0, 0, NULL},
        {" 1", UINT64_MAX, 0, 0, NULL},
        {"1 ", UINT64_MAX, 0, 0, NULL},
        {"12abc", UINT64_MAX, 0, 0, "'12abc' is not a number"},
        {"abc", UINT64_MAX, 0, 0, "'abc' is not a number"},
        {"0x1g", UINT64_MAX, 0, 0, NULL},
        {"1.5", UINT64_MAX, 0, 0, NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nk_err err;
        uint64_t v = 99;
        int rc = nk_parse_u64(cases[i].in, cases[i].max, &v, &err);
        if (cases[i].ok) {
            assert_int_equal(rc, 0);
            assert_true(v == cases[i].want);
            continue;
        }
        if (rc != -1)
            fail_msg("case %zu '%s' accepted", i, cases[i].in);
        assert_int_equal(err.exit_code, NK_EX_DATAERR);
        assert_true(v == 99); /* untouched on failure */
        if (cases[i].msg)
            assert_string_equal(err.msg, cases[i].msg);
    }
}

static void
test_port(void **state)
{
    struct nk_err err;
    uint16_t p;
    (void)state;
    assert_int_equal(nk_parse_port("9999", &p, &err), 0);
    assert_int_equal(p, 9999);
    assert_int_equal(nk_parse_port("0", &p, &err), 0);
    assert_int_equal(nk_parse_port("65535", &p, &err), 0);
    assert_int_equal(p, 65535);
    assert_int_equal(nk_parse_port("65536", &p, &err), -1);
    assert_string_equal(err.msg, "'65536' is not a port number (0-65535)");
    assert_int_equal(nk_parse_port("http", &p, &err), -1);
    assert_int_equal(err.exit_code, NK_EX_DATAERR);
}

static void
test_seconds(void **state)
{
    static const struct {
        const char *in;
        int ok;
        int ms;
    } cases[] = {
        {"0", 1, 0},
        {"2", 1, 2000},
        {"2.5", 1, 2500},
        {"0.25", 1, 250},
        {".5", 1, 500},
        {"1.0009", 1, 1000},
        {"86400", 1, 86400000},
        {"86400.1", 0, 0},
        {"86401", 0, 0},
        {"", 0, 0},
        {"-1", 0, 0},
        {"1.", 0, 0},
        {"1.2.3", 0, 0},
        {"1s", 0, 0},
        {"99999999999999", 0, 0},
        /* issue 12 #15: nonzero but under 1 ms would round to 0, which
         * means "no limit" to every caller */
        {"0.0005", 0, 0},
        {".0009", 0, 0},
        {"0.0000001", 0, 0},
        {"0.000", 1, 0},
        {"0.001", 1, 1},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nk_err err;
        int ms = -7;
        int rc = nk_parse_seconds(cases[i].in, &ms, &err);
        if (cases[i].ok) {
            if (rc != 0)
                fail_msg("case '%s' refused: %s", cases[i].in, err.msg);
            assert_int_equal(ms, cases[i].ms);
        } else {
            if (rc != -1)
                fail_msg("case '%s' accepted as %d", cases[i].in, ms);
            assert_non_null(strstr(err.msg, cases[i].in));
        }
    }
}

/* The refusal says why, naming the value. */
static void
test_seconds_under_resolution_message(void **state)
{
    struct nk_err err;
    int ms;
    (void)state;
    assert_int_equal(nk_parse_seconds("0.0005", &ms, &err), -1);
    assert_string_equal(err.msg, "'0.0005' seconds is below the 1 ms "
                                 "resolution (0 means no limit)");
}

static void
test_now_monotonic(void **state)
{
    int64_t a = nk_now_ms(), b = nk_now_ms();
    (void)state;
    assert_true(b >= a);
    assert_true(a > 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u64_table),
        cmocka_unit_test(test_port),
        cmocka_unit_test(test_seconds),
        cmocka_unit_test(test_seconds_under_resolution_message),
        cmocka_unit_test(test_now_monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

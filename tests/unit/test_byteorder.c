/* byteorder: the pure conversions, and the command run in-process with
 * stdout captured, so the sanitizers see the whole stack. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "commands.h"
#include "netkit/byteorder.h"
#include "netkit/exitcodes.h"

static int little;

static void
test_host_order(void **state)
{
    (void)state;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    assert_int_equal(nk_host_little_endian(), 1);
#elif defined(__BYTE_ORDER__)
    assert_int_equal(nk_host_little_endian(), 0);
#endif
}

/* The recipe's own case: 1234 -> 3523477504 (32) and 53764 (16) on a
 * little-endian host; unchanged on a big-endian one. */
static void
test_recipe_case(void **state)
{
    (void)state;
    if (!little) {
        assert_true(nk_byteswap_conv(1234, 32, 1) == 1234);
        return;
    }
    assert_true(nk_byteswap_conv(1234, 32, 1) == 3523477504u);
    assert_true(nk_byteswap_conv(1234, 32, 0) == 3523477504u);
    assert_true(nk_byteswap_conv(1234, 16, 1) == 53764);
    assert_true(nk_byteswap_conv(1234, 16, 0) == 53764);
    assert_true(nk_byteswap_conv(0x0102030405060708ull, 64, 1) ==
                0x0807060504030201ull);
}

static void
test_round_trip_ranges(void **state)
{
    (void)state;
    for (uint64_t v = 0; v <= 0xffff; v += 257)
        assert_true(nk_byteswap_conv(nk_byteswap_conv(v, 16, 1), 16, 0) == v);
    for (uint64_t v = 1; v <= 0xffffffffu; v = v * 3 + 1)
        assert_true(nk_byteswap_conv(nk_byteswap_conv(v, 32, 1), 32, 0) == v);
}

static void
test_layout(void **state)
{
    uint8_t mem[8];
    char buf[32];
    (void)state;
    nk_mem_layout(1234, 32, mem);
    assert_string_equal(nk_hex_bytes(mem, 4, buf),
                        little ? "d2 04 00 00" : "00 00 04 d2");
    /* a network-order value is big-endian in memory on every host */
    nk_mem_layout(nk_byteswap_conv(1234, 32, 1), 32, mem);
    assert_string_equal(nk_hex_bytes(mem, 4, buf), "00 00 04 d2");
    nk_mem_layout(nk_byteswap_conv(0x0102, 16, 1), 16, mem);
    assert_string_equal(nk_hex_bytes(mem, 2, buf), "01 02");
    nk_mem_layout(nk_byteswap_conv(0x0102030405060708ull, 64, 1), 64, mem);
    assert_string_equal(nk_hex_bytes(mem, 8, buf), "01 02 03 04 05 06 07 08");
}

static void
test_command_text(void **state)
{
    char *argv[] = {"netkit", "byteorder", "1234", "70000", NULL};
    int rc;
    char *out = nk_test_capture(argv, 4, &rc, NULL);
    (void)state;
    assert_int_equal(rc, NK_EX_OK);
    assert_non_null(strstr(out, little ? "host_order: little-endian\n"
                                       : "host_order: big-endian\n"));
    if (little) {
        assert_non_null(strstr(out, "htonl: 3523477504\n"));
        assert_non_null(strstr(out, "htons: 53764\n"));
        assert_non_null(strstr(out, "htons_hex: 0xd204\n"));
    }
    /* 70000: 32-bit results, a note, and no 16-bit garbage */
    assert_non_null(strstr(out, "value: 70000\n"));
    assert_non_null(strstr(out, "htons: -\n"));
    assert_non_null(strstr(out, "note: 70000 does not fit in 16 bits"));
}

/* Issue 12 #16: a value too wide for 16 bits has every 16-bit key, each
 * null, like the ones that fit (no key dropped). */
static void
test_wide_value_keeps_16bit_keys(void **state)
{
    static const char *const keys[] = {"memory16",  "htons",
                                       "htons_hex", "ntohs",
                                       "ntohs_hex", "network16"};
    char *argv[] = {"netkit", "byteorder", "--json", "70000", NULL};
    int rc;
    char *out = nk_test_capture(argv, 4, &rc, NULL);
    (void)state;
    assert_int_equal(rc, NK_EX_OK);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char want[64];
        snprintf(want, sizeof want, "\"%s\": null", keys[i]);
        if (strstr(out, want) == NULL)
            fail_msg("missing %s in %s", want, out);
    }
}

/* Issue 12 #16: "-1" is a (malformed) value, not an unknown option; the
 * options around it still work, in any order. */
static void
test_negative_is_operand(void **state)
{
    char *neg[] = {"netkit", "byteorder", "-1", NULL};
    char *mixed[] = {"netkit", "byteorder", "-5", "--bits", "16", "7", NULL};
    char *dash[] = {"netkit", "byteorder", "--", "-1", NULL};
    int rc;
    char *out;
    (void)state;
    out = nk_test_capture(neg, 3, &rc, NULL);
    assert_int_equal(rc, NK_EX_DATAERR);
    assert_non_null(strstr(out, "input: -1\nerror: '-1' is not a number\n"));
    out = nk_test_capture(mixed, 6, &rc, NULL);
    assert_int_equal(rc, NK_EX_PARTIAL);
    assert_non_null(strstr(out, "input: -5\nerror:"));
    assert_non_null(strstr(out, "input: 7\nvalue: 7\nvalue_hex: 0x0007\n"));
    assert_ptr_equal(strstr(out, "htonl"), NULL); /* --bits 16 applied */
    out = nk_test_capture(dash, 4, &rc, NULL);
    assert_int_equal(rc, NK_EX_DATAERR);
    assert_non_null(strstr(out, "input: -1\n"));
}

static void
test_command_errors(void **state)
{
    char *bad[] = {"netkit", "byteorder", "12x", NULL};
    char *mixed[] = {"netkit", "byteorder", "1", "nope", NULL};
    char *wide[] = {"netkit", "byteorder", "4294967296", NULL};
    char *wide64[] = {"netkit", "byteorder",  "--bits",
                      "64",     "4294967296", NULL};
    char *bits[] = {"netkit", "byteorder", "--bits", "8", "1", NULL};
    int rc;
    char *out;
    (void)state;
    out = nk_test_capture(bad, 3, &rc, NULL);
    assert_int_equal(rc, NK_EX_DATAERR);
    assert_non_null(strstr(out, "error: '12x' is not a number\n"));
    nk_test_capture(mixed, 4, &rc, NULL);
    assert_int_equal(rc, NK_EX_PARTIAL);
    out = nk_test_capture(wide, 3, &rc, NULL);
    assert_int_equal(rc, NK_EX_DATAERR);
    assert_non_null(strstr(out, "does not fit in 32 bits (try --bits 64)"));
    out = nk_test_capture(wide64, 5, &rc, NULL);
    assert_int_equal(rc, NK_EX_OK);
    if (little)
        assert_non_null(strstr(out, "htobe64_hex: 0x0000000001000000\n"));
    nk_test_capture(bits, 5, &rc, NULL);
    assert_int_equal(rc, NK_EX_USAGE);
}

static void
test_command_lesson(void **state)
{
    char *argv[] = {"netkit", "byteorder", "--lesson", NULL};
    int rc;
    char *out = nk_test_capture(argv, 3, &rc, NULL);
    (void)state;
    assert_int_equal(rc, NK_EX_OK);
    if (little)
        assert_string_equal(out, "Original: 1234 => Long host byte order: "
                                 "3523477504, Network byte order: "
                                 "3523477504\n"
                                 "Original: 1234 => Short host byte order: "
                                 "53764, Network byte order: 53764\n");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_order),
        cmocka_unit_test(test_recipe_case),
        cmocka_unit_test(test_round_trip_ranges),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_command_text),
        cmocka_unit_test(test_command_errors),
        cmocka_unit_test(test_command_lesson),
        cmocka_unit_test(test_wide_value_keeps_16bit_keys),
        cmocka_unit_test(test_negative_is_operand),
    };
    little = nk_host_little_endian();
    return cmocka_run_group_tests(tests, NULL, NULL);
}

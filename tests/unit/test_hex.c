/* lib/hex.c: the hex and base64 digit readers, over every byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "netkit/hex.h"

static void
test_hex_digit_every_byte(void **state)
{
    static const char lower[] = "0123456789abcdef",
                      upper[] = "0123456789ABCDEF";

    (void)state;
    for (int c = 0; c < 256; c++) {
        const char *l = c ? memchr(lower, c, 16) : NULL;
        const char *u = c ? memchr(upper, c, 16) : NULL;
        int want = l ? (int)(l - lower) : u ? (int)(u - upper) : -1;
        if (nk_hex_digit(c) != want)
            fail_msg("byte 0x%02x: got %d want %d", c, nk_hex_digit(c), want);
    }
    assert_int_equal(nk_hex_digit(EOF), -1);
}

static void
test_base64_digit_every_byte(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        int want = -1;
        if (c >= 'A' && c <= 'Z')
            want = c - 'A';
        else if (c >= 'a' && c <= 'z')
            want = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            want = c - '0' + 52;
        else if (c == '+')
            want = 62;
        else if (c == '/')
            want = 63;
        if (nk_base64_digit(c) != want)
            fail_msg("byte 0x%02x: got %d want %d", c, nk_base64_digit(c),
                     want);
    }
    assert_int_equal(nk_base64_digit('='), -1);
    assert_int_equal(nk_base64_digit(EOF), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_digit_every_byte),
        cmocka_unit_test(test_base64_digit_every_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

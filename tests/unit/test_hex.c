/* lib/hex.c: the hex digit reader, over every byte. */
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_digit_every_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

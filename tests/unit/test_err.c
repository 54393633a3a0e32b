/* Error values: message shape, exit-code mapping, the exit table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netdb.h>
#include <string.h>

#include "netkit/err.h"
#include "netkit/exitcodes.h"

static void
test_sys_message(void **state)
{
    struct nk_err err;
    (void)state;
    errno = 0;
    assert_int_equal(
        nk_err_sys(&err, ECONNREFUSED, "connect %s:%d", "127.0.0.1", 7), -1);
    assert_string_equal(err.msg, "connect 127.0.0.1:7: connection refused");
    assert_int_equal(err.sys_errno, ECONNREFUSED);
    assert_int_equal(err.exit_code, NK_EX_UNAVAILABLE);
    assert_int_equal(errno, ECONNREFUSED); /* errno kept for the caller */
}

static void
test_gai_message(void **state)
{
    struct nk_err err;
    (void)state;
    nk_err_gai(&err, EAI_NONAME, "resolve %s", "nosuch.invalid");
    assert_int_equal(err.gai, EAI_NONAME);
    assert_int_equal(err.exit_code, NK_EX_NOHOST);
    assert_int_equal(strncmp(err.msg, "resolve nosuch.invalid: ", 24), 0);
    /* lower-case cause, no final period */
    assert_true(err.msg[24] >= 'a' && err.msg[24] <= 'z');
    assert_true(err.msg[strlen(err.msg) - 1] != '.');
    nk_err_gai(&err, EAI_AGAIN, "resolve x");
    assert_int_equal(err.exit_code, NK_EX_TEMPFAIL);
    errno = EACCES;
    nk_err_gai(&err, EAI_SYSTEM, "resolve x");
    assert_int_equal(err.sys_errno, EACCES);
    assert_int_equal(err.exit_code, NK_EX_NOPERM);
    assert_string_equal(err.msg, "resolve x: permission denied");
}

static void
test_long_message_truncated_safely(void **state)
{
    struct nk_err err;
    char big[600];
    (void)state;
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    nk_err_sys(&err, EIO, "step %s", big);
    assert_true(strlen(err.msg) < sizeof err.msg);
    nk_err_set(&err, NK_EX_DATAERR, "%s", big);
    assert_int_equal(strlen(err.msg), sizeof err.msg - 1);
}

static void
test_errno_map(void **state)
{
    static const struct {
        int e, code;
    } map[] = {
        {ECONNREFUSED, NK_EX_UNAVAILABLE},
        {ETIMEDOUT, NK_EX_TEMPFAIL},
        {EAGAIN, NK_EX_TEMPFAIL},
        {EACCES, NK_EX_NOPERM},
        {EPERM, NK_EX_NOPERM},
        {EINVAL, NK_EX_DATAERR},
        {EPIPE, NK_EX_IOERR},
        {ECONNRESET, NK_EX_IOERR},
        {ENOSPC, NK_EX_IOERR},
        {ENOMEM, NK_EX_SOFTWARE},
        {EHOSTUNREACH, NK_EX_UNAVAILABLE},
        {EADDRINUSE, NK_EX_UNAVAILABLE},
    };
    (void)state;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        assert_int_equal(nk_exit_from_errno(map[i].e), map[i].code);
}

static void
test_exit_table(void **state)
{
    static const int want[] = {0, 1, 64, 65, 68, 69, 70, 74, 75, 76, 77};
    int n;
    const struct nk_exit_info *t = nk_exit_table(&n);
    (void)state;
    assert_int_equal(n, (int)(sizeof want / sizeof want[0]));
    for (int i = 0; i < n; i++) {
        assert_int_equal(t[i].code, want[i]);
        assert_non_null(t[i].name);
        assert_true(strlen(t[i].meaning) > 3);
    }
}

static void
test_exit_acc(void **state)
{
    static const struct {
        int codes[4];
        int n;
        int want;
    } cases[] = {
        {{0}, 0, NK_EX_OK},
        {{0, 0, 0}, 3, NK_EX_OK},
        {{NK_EX_NOHOST}, 1, NK_EX_NOHOST},
        {{NK_EX_DATAERR, NK_EX_DATAERR}, 2, NK_EX_DATAERR},
        {{NK_EX_DATAERR, NK_EX_NOHOST}, 2, NK_EX_PARTIAL}, /* differ */
        {{0, NK_EX_NOHOST}, 2, NK_EX_PARTIAL},
        {{NK_EX_NOHOST, 0, NK_EX_NOHOST}, 3, NK_EX_PARTIAL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nk_exit_acc acc = {0, 0, 0, 0};
        for (int k = 0; k < cases[i].n; k++)
            nk_exit_note(&acc, cases[i].codes[k]);
        if (nk_exit_result(&acc) != cases[i].want)
            fail_msg("case %zu: got %d want %d", i, nk_exit_result(&acc),
                     cases[i].want);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sys_message),
        cmocka_unit_test(test_gai_message),
        cmocka_unit_test(test_long_message_truncated_safely),
        cmocka_unit_test(test_errno_map),
        cmocka_unit_test(test_exit_table),
        cmocka_unit_test(test_exit_acc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The stop flag: SIGINT and SIGTERM recorded, waits interrupted, reset,
 * and default dispositions restored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netkit/signals.h"

static void
test_flag_records_signal(void **state)
{
    struct nk_err err;
    (void)state;
    assert_int_equal(nk_stop_install(&err), 0);
    nk_stop_reset();
    assert_int_equal(nk_stop_requested(), 0);
    raise(SIGTERM); /* would kill us without the handler */
    assert_int_equal(nk_stop_requested(), SIGTERM);
    nk_stop_reset();
    raise(SIGINT);
    assert_int_equal(nk_stop_requested(), SIGINT);
    nk_stop_reset();
}

/* No SA_RESTART: a blocking wait ends with EINTR when the signal comes. */
static void
test_wait_interrupted(void **state)
{
    struct nk_err err;
    int p[2], rc;
    struct pollfd pfd;
    (void)state;
    assert_int_equal(nk_stop_install(&err), 0);
    nk_stop_reset();
    assert_int_equal(pipe(p), 0);
    pfd.fd = p[0];
    pfd.events = POLLIN;
    pid_t kid = fork();
    assert_true(kid >= 0);
    if (kid == 0) {
        usleep(50000);
        kill(getppid(), SIGTERM);
        _exit(0);
    }
    rc = poll(&pfd, 1, 5000);
    assert_int_equal(rc, -1);
    assert_int_equal(errno, EINTR);
    assert_int_equal(nk_stop_requested(), SIGTERM);
    waitpid(kid, NULL, 0);
    close(p[0]);
    close(p[1]);
    nk_stop_reset();
}

static void
test_uninstall_restores_default(void **state)
{
    int status;
    (void)state;
    pid_t kid = fork();
    assert_true(kid >= 0);
    if (kid == 0) {
        struct nk_err err;
        nk_stop_install(&err);
        nk_stop_uninstall();
        raise(SIGTERM);
        _exit(0); /* reached only if SIGTERM was still caught */
    }
    assert_int_equal(waitpid(kid, &status, 0), kid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGTERM);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flag_records_signal),
        cmocka_unit_test(test_wait_interrupted),
        cmocka_unit_test(test_uninstall_restores_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

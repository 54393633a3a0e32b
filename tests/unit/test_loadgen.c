/* The load generators' shared loop (lib/loadgen.c): the phases of a run
 * on made-up times (send, grace cut short or run out, a stop without
 * grace), the wait toward each deadline, the live line's text, and the
 * whole loop driven by a fake bench that counts what it was asked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>

#include "netkit/clock.h"
#include "netkit/loadgen.h"
#include "netkit/signals.h"

static int settled_now;

static int
settled(void *arg)
{
    (void)arg;
    return settled_now;
}

static void
test_phases(void **state)
{
    struct nk_loadgen lg;
    (void)state;
    nk_stop_reset();
    settled_now = 1; /* settled counts only once sending has stopped */
    nk_loadgen_init(&lg, "t", "done", 1000, 500, 0);
    nk_loadgen_start(&lg, 1000000);
    assert_int_equal(nk_loadgen_step(&lg, 1999999, settled, NULL),
                     NK_LOADGEN_SEND);
    settled_now = 0;
    assert_int_equal(nk_loadgen_step(&lg, 2000100, settled, NULL),
                     NK_LOADGEN_GRACE);
    assert_true(lg.sent_for == 1000100 && lg.grace_end == 2500100);
    assert_false(lg.stopped);
    assert_int_equal(nk_loadgen_step(&lg, 2500099, settled, NULL),
                     NK_LOADGEN_GRACE);
    /* the grace period runs out ... */
    assert_int_equal(nk_loadgen_step(&lg, 2500100, settled, NULL),
                     NK_LOADGEN_DONE);
    /* ... or ends as soon as nothing is outstanding */
    nk_loadgen_start(&lg, 0);
    assert_int_equal(nk_loadgen_step(&lg, 1000000, settled, NULL),
                     NK_LOADGEN_GRACE);
    settled_now = 1;
    assert_int_equal(nk_loadgen_step(&lg, 1000001, settled, NULL),
                     NK_LOADGEN_DONE);
    assert_true(lg.sent_for == 1000000);
}

/* SIGINT mid-run: sending stops at once and no grace follows. */
static void
test_stop(void **state)
{
    struct nk_loadgen lg;
    (void)state;
    settled_now = 0;
    nk_loadgen_init(&lg, "t", "done", 10000, 5000, 0);
    nk_loadgen_start(&lg, 0);
    assert_int_equal(nk_stop_install(NULL), 0);
    raise(SIGINT);
    assert_int_equal(nk_loadgen_step(&lg, 300000, settled, NULL),
                     NK_LOADGEN_DONE);
    nk_stop_uninstall();
    nk_stop_reset();
    assert_true(lg.stopped && lg.sent_for == 300000);
    /* nothing left to run: the same, without a signal */
    nk_loadgen_start(&lg, 0);
    nk_loadgen_halt(&lg, 200000);
    assert_true(lg.phase == NK_LOADGEN_DONE && lg.sent_for == 200000);
}

static void
test_wait(void **state)
{
    struct nk_loadgen lg;
    (void)state;
    nk_stop_reset();
    settled_now = 0;
    nk_loadgen_init(&lg, "t", "done", 1000, 500, 0);
    nk_loadgen_start(&lg, 0);
    assert_int_equal(nk_loadgen_wait_ms(&lg, 0, 100000), 100);
    assert_int_equal(nk_loadgen_wait_ms(&lg, 999000, 100000), 1);
    assert_int_equal(nk_loadgen_wait_ms(&lg, 999999, 100000), 1);
    assert_int_equal(nk_loadgen_wait_ms(&lg, 1000000, 100000), 0);
    (void)nk_loadgen_step(&lg, 1000000, settled, NULL);
    /* in the grace period, toward its end */
    assert_int_equal(nk_loadgen_wait_ms(&lg, 1000000, 10000000), 500);
    assert_int_equal(nk_loadgen_wait_ms(&lg, 1600000, 10000000), 0);
}

static void
test_format(void **state)
{
    char b[128];
    (void)state;
    assert_string_equal(nk_loadgen_format(b, sizeof b, "netkit x bench", 2.4,
                                          5, 1200, 1198, "received"),
                        "netkit x bench: 2/5 s, 1200 sent, 1198 received, "
                        "499/s");
    assert_string_equal(
        nk_loadgen_format(b, sizeof b, "n", 0, 1, 0, 0, "replies"),
        "n: 0/1 s, 0 sent, 0 replies, 0/s");
}

/* A fake bench: answers everything at once, counts its calls. */
struct fake {
    int tends, tends_sending, waits;
    int halt_after; /* wait returns 1 on this call (0: never) */
};

static void
fake_tend(void *arg, int64_t now, int sending)
{
    struct fake *f = arg;
    (void)now;
    f->tends++;
    f->tends_sending += sending;
}

static int
fake_settled(void *arg)
{
    (void)arg;
    return 1;
}

static int64_t
fake_max_wait(void *arg)
{
    (void)arg;
    return 20000;
}

static int
fake_wait(void *arg, int timeout_ms, struct nk_err *err)
{
    struct fake *f = arg;
    (void)err;
    assert_true(timeout_ms >= 0 && timeout_ms <= 20);
    f->waits++;
    return f->halt_after != 0 && f->waits == f->halt_after;
}

static const struct nk_loadgen_ops fake_ops = {fake_tend, fake_settled,
                                               fake_max_wait, fake_wait};

static void
test_run(void **state)
{
    struct nk_loadgen lg;
    struct fake f = {0, 0, 0, 0};
    struct nk_err err;
    int64_t t0 = nk_now_us(), took;
    (void)state;
    nk_stop_reset();
    nk_loadgen_init(&lg, "t", "done", 100, 5000, 0);
    took = nk_loadgen_run(&lg, t0, &fake_ops, &f, &f, &err);
    /* 100 ms of sending; then settled at once: no 5 s grace */
    assert_true(took >= 100000 && took < 1000000);
    assert_true(nk_now_us() - t0 < 2000000);
    assert_true(f.waits >= 5 && f.tends_sending >= 5);
    /* a bench with nothing left to run ends the loop */
    memset(&f, 0, sizeof f);
    f.halt_after = 2;
    nk_loadgen_init(&lg, "t", "done", 10000, 5000, 0);
    t0 = nk_now_us();
    took = nk_loadgen_run(&lg, t0, &fake_ops, &f, &f, &err);
    assert_int_equal(f.waits, 2);
    assert_true(lg.stopped && took < 1000000);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phases), cmocka_unit_test(test_stop),
        cmocka_unit_test(test_wait),   cmocka_unit_test(test_format),
        cmocka_unit_test(test_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

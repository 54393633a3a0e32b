/* Statistics: known answers, nearest-rank percentiles, merge, the bounded
 * reservoir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "netkit/stats.h"

static void
add_all(struct nk_stats *s, const double *v, size_t n)
{
    struct nk_err err;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(nk_stats_add(s, v[i], &err), 0);
}

static void
test_empty(void **state)
{
    struct nk_stats s;
    (void)state;
    nk_stats_init(&s, 0);
    assert_true(nk_stats_count(&s) == 0);
    assert_true(nk_stats_mean(&s) == 0 && nk_stats_stddev(&s) == 0);
    assert_true(nk_stats_percentile(&s, 50) == 0);
    nk_stats_free(&s);
}

static void
test_known_answers(void **state)
{
    static const double v[] = {2, 4, 4, 4, 5, 5, 7, 9};
    struct nk_stats s;
    (void)state;
    nk_stats_init(&s, 0);
    add_all(&s, v, 8);
    assert_true(nk_stats_count(&s) == 8);
    assert_true(nk_stats_min(&s) == 2 && nk_stats_max(&s) == 9);
    assert_true(fabs(nk_stats_mean(&s) - 5.0) < 1e-9);
    assert_true(fabs(nk_stats_stddev(&s) - 2.0) < 1e-9);
    nk_stats_free(&s);
}

static void
test_percentiles_nearest_rank(void **state)
{
    struct nk_stats s;
    struct nk_err err;
    (void)state;
    nk_stats_init(&s, 0);
    /* 1000 down to 1: order of arrival must not matter */
    for (int i = 1000; i >= 1; i--)
        assert_int_equal(nk_stats_add(&s, i, &err), 0);
    assert_true(nk_stats_percentile(&s, 50) == 500);
    assert_true(nk_stats_percentile(&s, 99) == 990);
    assert_true(nk_stats_percentile(&s, 99.9) == 999);
    assert_true(nk_stats_percentile(&s, 100) == 1000);
    assert_true(nk_stats_percentile(&s, 0) == 1);
    /* a sample added after a query is seen by the next query */
    assert_int_equal(nk_stats_add(&s, 5000, &err), 0);
    assert_true(nk_stats_percentile(&s, 100) == 5000);
    nk_stats_free(&s);
}

static void
test_merge(void **state)
{
    static const double a[] = {1, 2, 3}, b[] = {10, 20};
    struct nk_stats x, y;
    struct nk_err err;
    (void)state;
    nk_stats_init(&x, 0);
    nk_stats_init(&y, 0);
    add_all(&x, a, 3);
    add_all(&y, b, 2);
    assert_int_equal(nk_stats_merge(&x, &y, &err), 0);
    assert_true(nk_stats_count(&x) == 5);
    assert_true(nk_stats_min(&x) == 1 && nk_stats_max(&x) == 20);
    assert_true(fabs(nk_stats_mean(&x) - 7.2) < 1e-9);
    assert_true(nk_stats_percentile(&x, 100) == 20);
    nk_stats_free(&x);
    nk_stats_free(&y);
}

static void
test_bounded_reservoir(void **state)
{
    struct nk_stats s;
    struct nk_err err;
    (void)state;
    nk_stats_init(&s, 1000);
    for (int i = 0; i < 100000; i++)
        assert_int_equal(nk_stats_add(&s, i % 100, &err), 0);
    assert_true(s.n == 1000 && s.cap == 1000); /* memory stays bounded */
    assert_true(nk_stats_count(&s) == 100000);
    assert_true(fabs(nk_stats_mean(&s) - 49.5) < 1e-9); /* exact: sums */
    /* the reservoir is a fair sample: its median is near the true one */
    assert_true(fabs(nk_stats_percentile(&s, 50) - 49.5) <= 8);
    nk_stats_free(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_percentiles_nearest_rank),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_bounded_reservoir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

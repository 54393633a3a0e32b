/* Statistics over samples: running sums for min/mean/max/stddev over every
 * sample, and a bounded reservoir for percentiles. */
#include "netkit/stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void
nk_stats_init(struct nk_stats *s, size_t max_samples)
{
    memset(s, 0, sizeof *s);
    s->max = max_samples;
}

void
nk_stats_free(struct nk_stats *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

static int
reserve(struct nk_stats *s, size_t want, struct nk_err *err)
{
    size_t cap = s->cap ? s->cap : 256;
    double *v;

    if (want <= s->cap)
        return 0;
    while (cap < want)
        cap *= 2;
    if (s->max && cap > s->max)
        cap = s->max;
    v = realloc(s->v, cap * sizeof *v);
    if (v == NULL)
        return nk_err_sys(err, ENOMEM, "statistics: %zu samples", cap);
    s->v = v;
    s->cap = cap;
    return 0;
}

/* Keep the sample in the reservoir: always while there is room; once
 * full, replace a random slot with probability max/seen (Vitter's
 * algorithm R), so the kept samples stay a uniform sample of all. */
static void
keep(struct nk_stats *s, double x)
{
    uint64_t j;

    if (!s->max || s->n < s->max) {
        s->v[s->n++] = x;
        return;
    }
    j = ((uint64_t)rand() << 31 ^ (uint64_t)rand()) % s->seen;
    if (j < s->max)
        s->v[j] = x;
}

int
nk_stats_add(struct nk_stats *s, double x, struct nk_err *err)
{
    if ((!s->max || s->n < s->max) && reserve(s, s->n + 1, err) < 0)
        return -1;
    if (s->seen == 0 || x < s->min)
        s->min = x;
    if (s->seen == 0 || x > s->max_v)
        s->max_v = x;
    s->seen++;
    s->sum += x;
    s->sumsq += x * x;
    keep(s, x);
    s->sorted = 0;
    return 0;
}

int
nk_stats_merge(struct nk_stats *a, const struct nk_stats *b,
               struct nk_err *err)
{
    uint64_t seen = a->seen + b->seen;
    double sum = a->sum + b->sum, sumsq = a->sumsq + b->sumsq;
    double mn = a->min, mx = a->max_v;

    if (b->seen == 0)
        return 0;
    if (a->seen == 0 || b->min < mn)
        mn = b->min;
    if (a->seen == 0 || b->max_v > mx)
        mx = b->max_v;
    for (size_t i = 0; i < b->n; i++)
        if (nk_stats_add(a, b->v[i], err) < 0)
            return -1;
    /* The adds counted b's kept samples only; the totals are b's all. */
    a->seen = seen;
    a->sum = sum;
    a->sumsq = sumsq;
    a->min = mn;
    a->max_v = mx;
    return 0;
}

uint64_t
nk_stats_count(const struct nk_stats *s)
{
    return s->seen;
}

double
nk_stats_min(const struct nk_stats *s)
{
    return s->seen ? s->min : 0;
}

double
nk_stats_max(const struct nk_stats *s)
{
    return s->seen ? s->max_v : 0;
}

double
nk_stats_mean(const struct nk_stats *s)
{
    return s->seen ? s->sum / (double)s->seen : 0;
}

double
nk_stats_stddev(const struct nk_stats *s)
{
    double m, var;

    if (s->seen == 0)
        return 0;
    m = nk_stats_mean(s);
    var = s->sumsq / (double)s->seen - m * m;
    return var > 0 ? sqrt(var) : 0; /* rounding can make it -0.0000001 */
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

double
nk_stats_percentile(struct nk_stats *s, double p)
{
    size_t rank;

    if (s->n == 0)
        return 0;
    if (!s->sorted) {
        qsort(s->v, s->n, sizeof *s->v, cmp_double);
        s->sorted = 1;
    }
    if (p <= 0)
        return s->v[0];
    /* nearest rank: ceil(p/100 * n), 1-based. The epsilon keeps binary
     * rounding (99.9/100 * 1000 = 999.0000000000001) from adding a rank. */
    rank = (size_t)ceil(p / 100.0 * (double)s->n - 1e-9);
    if (rank < 1)
        rank = 1;
    if (rank > s->n)
        rank = s->n;
    return s->v[rank - 1];
}

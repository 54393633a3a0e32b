/* Sample statistics for clients and benchmarks: round-trip times and
 * latencies in microseconds. Pure; no I/O. */
#ifndef NETKIT_STATS_H
#define NETKIT_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "netkit/err.h"

struct nk_stats {
    double *v; /* samples, in the order added (sorted by a query) */
    size_t n, cap;
    size_t max;    /* bound on samples kept (0: no bound) */
    uint64_t seen; /* samples offered, including any beyond max */
    double sum, sumsq, min, max_v; /* over every sample offered */
    int sorted;
};

/* Start empty. max_samples bounds memory (a long benchmark keeps a
 * reservoir of that many for percentiles; min/avg/max/stddev still cover
 * every sample). 0 means no bound. */
void nk_stats_init(struct nk_stats *s, size_t max_samples);
void nk_stats_free(struct nk_stats *s);

/* Add one sample. 0, or -1 with *err on allocation failure. */
int nk_stats_add(struct nk_stats *s, double x, struct nk_err *err);

/* Merge b's samples into a (per-thread collectors). 0 or -1. */
int nk_stats_merge(struct nk_stats *a, const struct nk_stats *b,
                   struct nk_err *err);

/* Count offered, and min/mean/max/population standard deviation (0 when
 * empty). */
uint64_t nk_stats_count(const struct nk_stats *s);
double nk_stats_min(const struct nk_stats *s);
double nk_stats_mean(const struct nk_stats *s);
double nk_stats_max(const struct nk_stats *s);
double nk_stats_stddev(const struct nk_stats *s);

/* The p-th percentile (0-100) of the kept samples by the nearest-rank
 * method (the smallest sample with at least p% of samples at or below
 * it); 0 when empty. Sorts the samples on first use. */
double nk_stats_percentile(struct nk_stats *s, double p);

#endif

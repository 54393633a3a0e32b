/* A progress bar for long transfers: bytes, percent, rate and ETA, drawn
 * on stderr only when stderr is a terminal, at most ten times a second,
 * and erased when the transfer ends. */
#ifndef NETKIT_PROGRESS_H
#define NETKIT_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct nk_progress {
    FILE *fp;        /* where to draw; NULL: drawing is off */
    uint64_t total;  /* 0: unknown */
    uint64_t start;  /* bytes already there when it started (a resume) */
    int64_t t0_ms;   /* when it started */
    int64_t last_ms; /* last draw, for the throttle */
    int drawn;       /* something is on the line that finish must erase */
    int width;       /* the terminal's columns */
};

/* Format one status line for done of total bytes (total 0: unknown) after
 * elapsed_ms, moved counting bytes moved in that time (the rate's base),
 * into buf (at most width columns, NUL-terminated):
 * "[=====>    ]  42%  12.3 MiB/29.0 MiB  5.1 MiB/s  ETA 0:03".
 * Pure: the tests call it without a terminal. Returns buf. */
char *nk_progress_format(char *buf, size_t size, int width, uint64_t done,
                         uint64_t total, uint64_t moved, int64_t elapsed_ms);

/* Human size with a binary unit: "0 B", "1023 B", "12.3 MiB". Returns buf. */
char *nk_progress_bytes(char *buf, size_t size, double bytes);

/* Start: drawing happens only when fd 2 is a terminal (and enable is
 * non-zero). total 0: unknown; start: bytes already done (a resume). */
void nk_progress_begin(struct nk_progress *p, int enable, uint64_t total,
                       uint64_t start);

/* Report done bytes; redraws at most every 100 ms. */
void nk_progress_update(struct nk_progress *p, uint64_t done);

/* 1 when a redraw is due: drawing is on and the last one is at least
 * 100 ms old (callers that format their own line check this first). */
int nk_progress_due(const struct nk_progress *p);

/* Draw a caller's own status line in the bar's place (a load generator's
 * counters), cut to the terminal's width; the same throttle (nothing
 * drawn unless due) and the same erase. */
void nk_progress_show(struct nk_progress *p, const char *line);

/* Erase the bar (nothing else is left on the terminal). */
void nk_progress_end(struct nk_progress *p);

#endif

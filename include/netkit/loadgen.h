/* The loop every load generator shares (echo-tcp, echo-udp and sntp
 * bench): a send phase of --duration, then a grace period in which the
 * replies still in flight may come back (cut short once nothing is
 * outstanding), an early stop on SIGINT/SIGTERM (no grace: the user wants
 * the figures now), and a live progress line on stderr when it is a
 * terminal (lib/progress). Each bench supplies its protocol work as
 * callbacks; the phases and the clock are here. */
#ifndef NETKIT_LOADGEN_H
#define NETKIT_LOADGEN_H

#include <stddef.h>
#include <stdint.h>

#include "netkit/err.h"
#include "netkit/progress.h"

enum nk_loadgen_phase {
    NK_LOADGEN_SEND,  /* sending */
    NK_LOADGEN_GRACE, /* not sending; waiting for replies in flight */
    NK_LOADGEN_DONE
};

/* What a bench does in the loop. arg is the bench's own state. */
struct nk_loadgen_ops {
    /* Once per round before waiting: expire overdue requests, send what
     * is due (sending 0: the send phase is over, send nothing). */
    void (*tend)(void *arg, int64_t now_us, int sending);
    /* 1 when nothing is outstanding (the grace period may end early). */
    int (*settled)(void *arg);
    /* The longest wait in microseconds this round (short while a
     * schedule runs or the send buffer is full). */
    int64_t (*max_wait_us)(void *arg);
    /* Wait up to timeout_ms for events and handle them. 0 to go on, 1
     * when there is nothing left to run (every connection gone: the run
     * ends without grace), -1 with *err on a failure that ends the run. */
    int (*wait)(void *arg, int timeout_ms, struct nk_err *err);
    /* The live line's counters: requests sent and answered. NULL: none. */
    void (*count)(void *arg, uint64_t *sent, uint64_t *done);
};

struct nk_loadgen {
    const char *name;      /* the live line's prefix: "netkit sntp bench" */
    const char *done_name; /* what the answered count is: "replies" */
    int duration_ms, grace_ms;
    enum nk_loadgen_phase phase;
    int stopped;       /* ended early: a signal or nothing left to run */
    int64_t start_us;  /* the send phase began */
    int64_t end_us;    /* it ends (planned) */
    int64_t grace_end; /* the grace period ends (set when sending stops) */
    int64_t sent_for;  /* the send phase lasted (set when it stops) */
    struct nk_progress live;
};

/* Set up a run: the send phase will last duration_ms from the first
 * nk_loadgen_start, the grace period up to grace_ms. name and done_name
 * are kept (not copied). show: draw the live line (on a terminal only). */
void nk_loadgen_init(struct nk_loadgen *lg, const char *name,
                     const char *done_name, int duration_ms, int grace_ms,
                     int show);

/* Start the send phase at now_us. */
void nk_loadgen_start(struct nk_loadgen *lg, int64_t now_us);

/* Advance the phase at now_us: sending stops at the end of --duration or
 * on a stop request (then with no grace); the grace period ends at its
 * deadline or as soon as settled(arg) says nothing is outstanding
 * (settled may be NULL: only the deadline). Returns the phase. */
enum nk_loadgen_phase nk_loadgen_step(struct nk_loadgen *lg, int64_t now_us,
                                      int (*settled)(void *), void *arg);

/* End the send phase now (nothing left to run): no grace period. */
void nk_loadgen_halt(struct nk_loadgen *lg, int64_t now_us);

/* Milliseconds to wait from now_us: up to the current phase's deadline,
 * at most max_us, rounded up (0 when it has passed). */
int nk_loadgen_wait_ms(const struct nk_loadgen *lg, int64_t now_us,
                       int64_t max_us);

/* The whole loop of one thread: start at start_us (nk_now_us(), or a
 * start shared by several threads), then step / tend / wait until done,
 * redrawing the live line. Returns the send phase's length in
 * microseconds, or -1 with *err when ops->wait failed. */
int64_t nk_loadgen_run(struct nk_loadgen *lg, int64_t start_us,
                       const struct nk_loadgen_ops *ops, void *arg,
                       struct nk_err *err);

/* Redraw the live line at now_us with sent and done requests, if it is
 * due (lib/progress's throttle); for a bench whose counters live in other
 * threads. */
void nk_loadgen_show(struct nk_loadgen *lg, int64_t now_us, uint64_t sent,
                     uint64_t done);

/* 1 when a redraw of the live line is due (drawing on and the throttle
 * passed): count only then. */
int nk_loadgen_show_due(const struct nk_loadgen *lg);

/* Erase the live line. */
void nk_loadgen_end(struct nk_loadgen *lg);

/* The live line, pure (tests call it): "netkit echo-udp bench: 2/5 s,
 * 1200 sent, 1198 received, 599/s". Returns buf. */
char *nk_loadgen_format(char *buf, size_t size, const char *name, double secs,
                        double total_secs, uint64_t sent, uint64_t done,
                        const char *done_name);

#endif

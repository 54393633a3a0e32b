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
#include "netkit/opt.h"
#include "netkit/progress.h"
/* --duration S of sending, into type's int field of milliseconds. */
#define NK_LOADGEN_OPT_DURATION(type, field)                                  \
    NK_OPT('d', "duration", NK_OPT_SECONDS, type, field, 1, 86400000, "S",    \
           "seconds of sending (default 5)")

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
    /* Wait up to timeout_ms for events and handle them; called with
     * nk_loadgen_run's wait_arg (an event loop: nk_udpgen_wait). 0 to go
     * on, 1 when there is nothing left to run (every connection gone: the
     * run ends without grace), -1 with *err on a failure that ends it. */
    int (*wait)(void *wait_arg, int timeout_ms, struct nk_err *err);
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
    const uint64_t *sent, *done; /* the live line's counters, or NULL */
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

/* The loop of one thread: start at start_us (nk_now_us(), or a start
 * shared by several threads), then step / tend / wait until done,
 * redrawing the live line from lg->sent and lg->done when both are set.
 * arg goes to ops' callbacks, wait_arg to ops->wait. The stop handlers
 * are the caller's (nk_stop_install). Returns the send phase's length in
 * microseconds, or -1 with *err when ops->wait failed. */
int64_t nk_loadgen_loop(struct nk_loadgen *lg, int64_t start_us,
                        const struct nk_loadgen_ops *ops, void *arg,
                        void *wait_arg, struct nk_err *err);

/* A single-threaded bench's whole run: nk_loadgen_loop between
 * nk_stop_install and nk_stop_uninstall (SIGINT/SIGTERM stop it). The
 * same return; -1 also when the handlers could not be installed. */
int64_t nk_loadgen_run(struct nk_loadgen *lg, int64_t start_us,
                       const struct nk_loadgen_ops *ops, void *arg,
                       void *wait_arg, struct nk_err *err);

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

/* What went wrong on a bench's sockets, counted rather than ending the
 * run (a load generator reports failures as figures). */
struct nk_loadgen_tally {
    uint64_t errors;        /* failed sends and receives, refusals aside */
    uint64_t refused;       /* ECONNREFUSED: the port said ICMP unreachable */
    uint64_t send_blocked;  /* sends that found the buffer full */
    struct nk_err last_err; /* the last failure (a full buffer aside) */
};

/* Count a failed send. Returns 1 when it only found the send buffer full
 * (EAGAIN, ENOBUFS: try again later), else 0. */
int nk_loadgen_send_failed(struct nk_loadgen_tally *t,
                           const struct nk_err *err);

/* Count a failed receive; EAGAIN (nothing queued) is no failure. */
void nk_loadgen_recv_failed(struct nk_loadgen_tally *t,
                            const struct nk_err *err);

/* How a request/reply bench ended, for nk_loadgen_verdict. */
struct nk_loadgen_result {
    const char *server;
    uint64_t sent, answered, bad;
    const char *sent_what; /* "datagrams", "requests" */
    const char *bad_what;  /* "corrupted replies" */
    const char *bad_last;  /* NULL, or what was wrong with the last one */
};

/* The exit status, with a diagnostic on stderr as "netkit CMD: ...":
 * loss is a figure (0); bad replies 76; nothing but refusals 69; no
 * reply at all 75. */
int nk_loadgen_verdict(const char *cmd, const struct nk_loadgen_result *r,
                       const struct nk_loadgen_tally *t);

/* The live line, pure (tests call it): "netkit echo-udp bench: 2/5 s,
 * 1200 sent, 1198 received, 599/s". Returns buf. */
char *nk_loadgen_format(char *buf, size_t size, const char *name, double secs,
                        double total_secs, uint64_t sent, uint64_t done,
                        const char *done_name);

#endif

/* One accept policy for every TCP server (src/net/accept.c).
 *
 * Out of file descriptors (EMFILE/ENFILE) a pending connection keeps the
 * listener readable: a server that only logs and returns spins at 100%
 * CPU and floods its log. The acceptor holds one spare descriptor; out of
 * descriptors it gives the spare up, accepts the queued client on it,
 * writes the server's "busy" reply, closes it, and takes the spare back.
 * When even that fails it asks the server to stop polling the listener
 * for NK_ACCEPT_BACKOFF_MS. Its messages are rate-limited: at most one a
 * second, with the count of those left out. */
#ifndef NETKIT_ACCEPT_H
#define NETKIT_ACCEPT_H

#include <stddef.h>
#include <stdint.h>

#include "netkit/err.h"
#include "netkit/net.h"

#define NK_ACCEPT_BACKOFF_MS 100
#define NK_ACCEPT_LOG_MS 1000

/* At most one event per interval_ms passes; the others are counted. */
struct nk_ratelimit {
    int interval_ms;
    int64_t next_ms;
    unsigned long suppressed;
};

/* 1 when an event may be reported now (*suppressed gets how many were
 * held back since the last one, and the count restarts), else 0. */
int nk_ratelimit_pass(struct nk_ratelimit *rl, int64_t now_ms,
                      unsigned long *suppressed);

struct nk_acceptor {
    int lfd;           /* the listener (not owned) */
    int spare;         /* held back for EMFILE/ENFILE; -1 when lost */
    const char *busy;  /* what a shed client is sent ("" for nothing) */
    int64_t resume_ms; /* paused until then; 0 when accepting */
    struct nk_ratelimit log;
    unsigned long shed; /* clients shed so far */
};

/* What nk_acceptor_next returns instead of a client's fd. */
enum {
    NK_ACC_NONE = -1,  /* nothing pending */
    NK_ACC_SKIP = -2,  /* one connection failed on its own; go on */
    NK_ACC_SHED = -3,  /* out of descriptors: one client got busy, closed */
    NK_ACC_PAUSE = -4, /* stop polling the listener until resume_ms */
};

/* Set up for the listener lfd (non-blocking) with the reply a shed client
 * gets. Opens the spare descriptor. 0, or -1 with err. */
int nk_acceptor_init(struct nk_acceptor *a, int lfd, const char *busy,
                     struct nk_err *err);
/* Release the spare (the listener stays open). */
void nk_acceptor_free(struct nk_acceptor *a);

/* Accept one client: its non-blocking, close-on-exec fd (>= 0) with
 * *peer, or an NK_ACC_* value. For SHED and PAUSE err->msg says what
 * happened, or is "" when the rate limit holds the message back; log it
 * when it is not empty. After PAUSE, stop polling lfd until
 * nk_acceptor_resume says so. */
int nk_acceptor_next(struct nk_acceptor *a, struct nk_addr *peer,
                     struct nk_err *err);

/* Milliseconds until a pause ends (0: not paused), for a loop's wait. */
int nk_acceptor_wait_ms(const struct nk_acceptor *a, int64_t now_ms);
/* 1 when a pause has just ended: poll the listener again. */
int nk_acceptor_resume(struct nk_acceptor *a, int64_t now_ms);

/* Answer a client we will not serve and close it without a reset: send
 * reply (non-blocking: a short reply fits in an empty socket buffer),
 * half-close, read and discard what the client already sent (bounded),
 * close. A close with unread bytes would send RST, and the client could
 * lose the reply. */
void nk_answer_close(int fd, const char *reply);

#endif

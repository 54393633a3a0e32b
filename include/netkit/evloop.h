/* The event loop every netkit server shares: epoll on Linux, poll(2)
 * elsewhere (or on request, so both are tested here). Level-triggered,
 * single-threaded; one loop per thread or process. */
#ifndef NETKIT_EVLOOP_H
#define NETKIT_EVLOOP_H

#include "netkit/err.h"

enum {
    NK_EV_READ = 1 << 0,  /* readable, or a listener with a connection */
    NK_EV_WRITE = 1 << 1, /* writable */
    NK_EV_ERROR = 1 << 2, /* error or hang-up: always reported, never asked */
};

enum nk_loop_backend { NK_LOOP_DEFAULT, NK_LOOP_POLL, NK_LOOP_EPOLL };

struct nk_loop;

/* Called with the events that are ready on fd. The callback may add,
 * change or remove any fd, including its own, and close it after removal:
 * events still pending for a removed fd in the same round are dropped. */
typedef void (*nk_ev_fn)(struct nk_loop *loop, int fd, unsigned events,
                         void *arg);

/* A new loop; NULL with *err on failure. NK_LOOP_DEFAULT picks epoll where
 * it exists; NK_LOOP_EPOLL fails (exit 70) where it does not. */
struct nk_loop *nk_loop_new(enum nk_loop_backend backend, struct nk_err *err);
/* Free the loop; the fds are the caller's to close. NULL is allowed. */
void nk_loop_free(struct nk_loop *loop);
/* "epoll" or "poll". */
const char *nk_loop_backend_name(const struct nk_loop *loop);

/* Watch fd (>= 0, not yet watched) for events (NK_EV_READ|NK_EV_WRITE, or
 * 0 to keep it registered but quiet). 0 or -1. */
int nk_loop_add(struct nk_loop *loop, int fd, unsigned events, nk_ev_fn fn,
                void *arg, struct nk_err *err);
/* Change the events of a watched fd (a server stops reading a client whose
 * output is backed up, and asks for WRITE until it drains). 0 or -1. */
int nk_loop_mod(struct nk_loop *loop, int fd, unsigned events,
                struct nk_err *err);
/* Stop watching fd; call before closing it. 0, or -1 if it was not
 * watched. */
int nk_loop_del(struct nk_loop *loop, int fd);
/* Number of fds watched. */
int nk_loop_count(const struct nk_loop *loop);

/* Wait up to timeout_ms (< 0: forever) and dispatch what is ready. Returns
 * the number of callbacks made, 0 on timeout or when a signal arrived (so
 * the caller can look at its stop flag), -1 on error. */
int nk_loop_run_once(struct nk_loop *loop, int timeout_ms, struct nk_err *err);

#endif

/* One event loop for every server: handlers in an fd-indexed table, the
 * readiness from epoll (Linux) or poll. Level-triggered on purpose: a
 * handler that reads only part of what is ready is called again, so
 * fairness between clients costs nothing extra. */
#include "netkit/evloop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netkit/exitcodes.h"
#include "netkit/trace.h"

#ifdef __linux__
#include <sys/epoll.h>
#define NK_HAVE_EPOLL 1
#endif

#define BATCH 256 /* events taken per wait */

struct handler {
    nk_ev_fn fn;
    void *arg;
    unsigned events;
    int active;
};

struct nk_loop {
    int use_epoll;
    int epfd;
    struct handler *h;  /* indexed by fd */
    int cap;            /* entries in h */
    int count;          /* fds watched */
    struct pollfd *pfd; /* poll backend: rebuilt when dirty */
    int npfd;
    int dirty;
};

static int
grow(struct nk_loop *l, int fd, struct nk_err *err)
{
    int cap = l->cap ? l->cap : 64;
    struct handler *h;

    while (cap <= fd)
        cap *= 2;
    if (cap == l->cap)
        return 0;
    h = realloc(l->h, (size_t)cap * sizeof *h);
    if (h == NULL)
        return nk_err_sys(err, ENOMEM, "event loop: grow to %d fds", cap);
    memset(h + l->cap, 0, (size_t)(cap - l->cap) * sizeof *h);
    l->h = h;
    l->cap = cap;
    return 0;
}

struct nk_loop *
nk_loop_new(enum nk_loop_backend backend, struct nk_err *err)
{
    struct nk_loop *l = calloc(1, sizeof *l);

    if (l == NULL) {
        nk_err_sys(err, ENOMEM, "event loop");
        return NULL;
    }
    l->epfd = -1;
#ifdef NK_HAVE_EPOLL
    if (backend != NK_LOOP_POLL) {
        l->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (l->epfd < 0) {
            nk_err_sys(err, errno, "epoll_create1");
            free(l);
            return NULL;
        }
        l->use_epoll = 1;
    }
#else
    if (backend == NK_LOOP_EPOLL) {
        nk_err_set(err, NK_EX_SOFTWARE, "event loop: no epoll here");
        free(l);
        return NULL;
    }
#endif
    return l;
}

void
nk_loop_free(struct nk_loop *l)
{
    if (l == NULL)
        return;
    if (l->epfd >= 0)
        close(l->epfd);
    free(l->h);
    free(l->pfd);
    free(l);
}

const char *
nk_loop_backend_name(const struct nk_loop *l)
{
    return l->use_epoll ? "epoll" : "poll";
}

int
nk_loop_count(const struct nk_loop *l)
{
    return l->count;
}

static int
watched(const struct nk_loop *l, int fd)
{
    return fd >= 0 && fd < l->cap && l->h[fd].active;
}

#ifdef NK_HAVE_EPOLL
static int
epoll_apply(struct nk_loop *l, int op, int fd, unsigned events,
            struct nk_err *err)
{
    struct epoll_event ev;

    memset(&ev, 0, sizeof ev);
    ev.events = (events & NK_EV_READ ? EPOLLIN : 0) |
                (events & NK_EV_WRITE ? EPOLLOUT : 0);
    ev.data.fd = fd;
    if (epoll_ctl(l->epfd, op, fd, &ev) < 0)
        return nk_err_sys(err, errno, "epoll_ctl fd %d", fd);
    return 0;
}
#endif

int
nk_loop_add(struct nk_loop *l, int fd, unsigned events, nk_ev_fn fn, void *arg,
            struct nk_err *err)
{
    if (fd < 0 || watched(l, fd))
        return nk_err_sys(err, fd < 0 ? EBADF : EEXIST,
                          "event loop: add fd %d", fd);
    if (grow(l, fd, err) < 0)
        return -1;
#ifdef NK_HAVE_EPOLL
    if (l->use_epoll && epoll_apply(l, EPOLL_CTL_ADD, fd, events, err) < 0)
        return -1;
#endif
    l->h[fd] = (struct handler){fn, arg, events, 1};
    l->count++;
    l->dirty = 1;
    return 0;
}

int
nk_loop_mod(struct nk_loop *l, int fd, unsigned events, struct nk_err *err)
{
    if (!watched(l, fd))
        return nk_err_sys(err, ENOENT, "event loop: change fd %d", fd);
    if (l->h[fd].events == events)
        return 0; /* a syscall saved on the hot path */
#ifdef NK_HAVE_EPOLL
    if (l->use_epoll && epoll_apply(l, EPOLL_CTL_MOD, fd, events, err) < 0)
        return -1;
#endif
    l->h[fd].events = events;
    l->dirty = 1;
    return 0;
}

int
nk_loop_del(struct nk_loop *l, int fd)
{
    if (!watched(l, fd))
        return -1;
#ifdef NK_HAVE_EPOLL
    /* The fd is still open here (callers delete before closing), so the
     * kernel can drop it from the interest list. */
    if (l->use_epoll)
        (void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
#endif
    memset(&l->h[fd], 0, sizeof l->h[fd]);
    l->count--;
    l->dirty = 1;
    return 0;
}

/* Call the handler of fd unless it was removed earlier in this round. */
static int
dispatch(struct nk_loop *l, int fd, unsigned events)
{
    struct handler h;

    if (!watched(l, fd) || events == 0)
        return 0;
    h = l->h[fd];
    h.fn(l, fd, events, h.arg);
    return 1;
}

#ifdef NK_HAVE_EPOLL
static int
run_epoll(struct nk_loop *l, int timeout_ms, struct nk_err *err)
{
    struct epoll_event evs[BATCH];
    int n = epoll_wait(l->epfd, evs, BATCH, timeout_ms), calls = 0;

    if (nk_tracing())
        nk_trace_wait("epoll_wait", l->count, timeout_ms, n, errno);

    if (n < 0)
        return errno == EINTR ? 0 : nk_err_sys(err, errno, "epoll_wait");
    for (int i = 0; i < n; i++) {
        unsigned e = 0;
        if (evs[i].events & (EPOLLIN | EPOLLRDHUP))
            e |= NK_EV_READ;
        if (evs[i].events & EPOLLOUT)
            e |= NK_EV_WRITE;
        if (evs[i].events & (EPOLLERR | EPOLLHUP))
            e |= NK_EV_ERROR;
        calls += dispatch(l, evs[i].data.fd, e);
    }
    return calls;
}
#endif

/* The poll backend's array mirrors the table; rebuilt only after a
 * change, so a steady server pays nothing per round for it. */
static int
rebuild_pollfds(struct nk_loop *l, struct nk_err *err)
{
    struct pollfd *p;
    int n = 0;

    p = realloc(l->pfd, (size_t)(l->count ? l->count : 1) * sizeof *p);
    if (p == NULL)
        return nk_err_sys(err, ENOMEM, "event loop: poll array");
    l->pfd = p;
    for (int fd = 0; fd < l->cap; fd++) {
        if (!l->h[fd].active)
            continue;
        p[n].fd = fd;
        p[n].events = (short)((l->h[fd].events & NK_EV_READ ? POLLIN : 0) |
                              (l->h[fd].events & NK_EV_WRITE ? POLLOUT : 0));
        p[n].revents = 0;
        n++;
    }
    l->npfd = n;
    l->dirty = 0;
    return 0;
}

static int
run_poll(struct nk_loop *l, int timeout_ms, struct nk_err *err)
{
    int n, calls = 0, total;

    if (l->dirty && rebuild_pollfds(l, err) < 0)
        return -1;
    n = poll(l->pfd, (nfds_t)l->npfd, timeout_ms);
    if (nk_tracing())
        nk_trace_wait("poll", l->npfd, timeout_ms, n, errno);
    if (n < 0)
        return errno == EINTR ? 0 : nk_err_sys(err, errno, "poll");
    /* Handlers may change the table (and so l->pfd) while we walk it:
     * walk a snapshot of the count and re-check each fd. */
    total = l->npfd;
    for (int i = 0; i < total && n > 0; i++) {
        short r = l->pfd[i].revents;
        unsigned e = 0;
        if (r == 0)
            continue;
        n--;
        if (r & POLLIN)
            e |= NK_EV_READ;
        if (r & POLLOUT)
            e |= NK_EV_WRITE;
        if (r & (POLLERR | POLLHUP | POLLNVAL))
            e |= NK_EV_ERROR;
        calls += dispatch(l, l->pfd[i].fd, e);
    }
    return calls;
}

int
nk_loop_run_once(struct nk_loop *l, int timeout_ms, struct nk_err *err)
{
#ifdef NK_HAVE_EPOLL
    if (l->use_epoll)
        return run_epoll(l, timeout_ms, err);
#endif
    return run_poll(l, timeout_ms, err);
}

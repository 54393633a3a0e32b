/* netkit echo-tcp serve: the per-connection engine and the six designs
 * that drive it (see serve.c for the overview). struct conn
 * is private to this file: the one place a client is read, echoed,
 * timed out and accounted for. The designs are the one-client-at-a-time
 * front (iterative, fork, thread) and the event-loop workers (select,
 * poll, epoll); serve.c starts and stops them. */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "echo_tcp_int.h"
#include "netkit/evloop.h"
#include "netkit/net.h"
#include "netkit/parse.h"

#define ACCEPT_BATCH 64    /* accepts per wake, so clients get turns */
#define REAP_TICK_MS 1000  /* fork: how late a finished child is reaped */
#define STOP_GRACE_MS 3000 /* fork: children's time to finish on stop */
#define THREAD_STACK (256 * 1024)

enum why { W_OPEN, W_PEER, W_IDLE, W_STOP, W_ERROR };

struct conn {
    int fd;
    enum why why;
    int err_no;       /* W_ERROR: the errno */
    const char *step; /* W_ERROR: "receive", "send" */
    int rd_eof;       /* the peer shut its sending side */
    char *pend;       /* echo the kernel has not taken yet: [off, len) */
    size_t off, len;
    uint64_t in, out;
    int64_t start_ms, last_ms;
    struct srv *s;
    struct srv_worker *w;     /* event-loop designs: the owner */
    struct conn *prev, *next; /* the owner's list, least recently active
                               * first */
    unsigned round;           /* select: last round it was handled */
    char peer[NK_ADDRSTRLEN];
};

/* --- the per-connection engine ------------------------------------------ */

static int
ets_conn_fail(struct conn *c, const char *step, int e)
{
    c->why = W_ERROR;
    c->step = step;
    c->err_no = e;
    return -1;
}

/* send() until len bytes are gone or the kernel's buffer is full. Returns
 * the bytes sent, or -1 with errno (never EAGAIN). */
static ssize_t
ets_send_some(int fd, const char *p, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = nk_send_nb(fd, p + done, len - done);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n == NK_IO_AGAIN)
            break;
        if (n == 0)
            errno = EPIPE;
        return -1;
    }
    return (ssize_t)done;
}

/* Send what is pending; the buffer is freed once it drains, so an idle
 * client holds no buffer at all. */
static void
conn_flush(struct conn *c, int64_t now)
{
    ssize_t n = ets_send_some(c->fd, c->pend + c->off, c->len - c->off);

    if (n < 0) {
        ets_conn_fail(c, "send", errno);
        return;
    }
    if (n > 0)
        c->last_ms = now;
    c->off += (size_t)n;
    c->out += (uint64_t)n;
    if (c->off == c->len) {
        free(c->pend);
        c->pend = NULL;
        c->off = c->len = 0;
    }
}

/* One read into the worker's buffer, echoed at once; only what the kernel
 * would not take is copied into a buffer of the connection's own. */
static void
ets_conn_read(struct conn *c, char *buf, int64_t now)
{
    ssize_t n = nk_recv_nb(c->fd, buf, BUF_SIZE), sent;

    if (n == 0) {
        c->rd_eof = 1; /* FIN: a half-close until our echo is done */
        return;
    }
    if (n == NK_IO_AGAIN)
        return;
    if (n < 0) {
        ets_conn_fail(c, "receive", errno);
        return;
    }
    c->in += (uint64_t)n;
    c->last_ms = now;
    sent = ets_send_some(c->fd, buf, (size_t)n);
    if (sent < 0) {
        ets_conn_fail(c, "send", errno);
        return;
    }
    c->out += (uint64_t)sent;
    if (sent == n)
        return;
    c->pend = malloc((size_t)(n - sent));
    if (c->pend == NULL) {
        ets_conn_fail(c, "buffer", ENOMEM);
        return;
    }
    memcpy(c->pend, buf + sent, (size_t)(n - sent));
    c->off = 0;
    c->len = (size_t)(n - sent);
}

/* What the connection waits for: to send while an echo is pending (and
 * then it is not read from), else to read until the peer's FIN. */
static unsigned
conn_wants(const struct conn *c)
{
    if (c->off < c->len)
        return NK_EV_WRITE;
    return c->rd_eof ? 0 : NK_EV_READ;
}

/* 1 when the connection is over: failed, stopped, or the peer has closed
 * its side and has every byte back (RFC 862: echo until the peer closes;
 * after a half-close the rest is still echoed, then we close too). */
static int
conn_over(struct conn *c)
{
    if (c->why == W_OPEN && c->rd_eof && c->off == c->len)
        c->why = W_PEER;
    return c->why != W_OPEN;
}

/* Handle the ready events; returns conn_over(). An error or hang-up is
 * seen by the send or receive it makes fail. */
static int
conn_event(struct conn *c, unsigned ev, char *buf, int64_t now)
{
    if (c->off < c->len) {
        if (ev & (NK_EV_WRITE | NK_EV_ERROR))
            conn_flush(c, now);
    } else if (!c->rd_eof && (ev & (NK_EV_READ | NK_EV_ERROR))) {
        ets_conn_read(c, buf, now);
    }
    return conn_over(c);
}

/* A connection accepted and admitted: logged, Nagle off (an echo is a
 * reply; delaying it behind an unacknowledged one stalls pipelines). */
static struct conn *
conn_open(struct srv *s, int fd, const char *peer)
{
    struct conn *c = calloc(1, sizeof *c);

    if (c == NULL) {
        ets_say(s, "%s dropped: out of memory", peer);
        nk_close(fd);
        atomic_fetch_sub(&s->t->live, 1);
        atomic_fetch_add(&s->t->rejected, 1);
        return NULL;
    }
    c->fd = fd;
    c->s = s;
    c->start_ms = c->last_ms = nk_now_ms();
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    (void)nk_sockopt_set_int(fd, NK_SOCKOPT(IPPROTO_TCP, TCP_NODELAY), 1,
                             NULL);
    ets_note(s, "%s connected", peer);
    return c;
}

static const char *
why_text(const struct conn *c, char *buf, size_t size)
{
    char e[128];

    switch (c->why) {
    case W_IDLE:
        return "idle timeout";
    case W_STOP:
        return "server stopping";
    case W_ERROR:
        snprintf(buf, size, "%s: %s", c->step,
                 nk_strerror(c->err_no, e, sizeof e));
        return buf;
    default:
        return "peer closed";
    }
}

/* The end of a connection: its log line, the totals, the fd and memory. */
static void
conn_finish(struct srv *s, struct conn *c)
{
    struct srv_totals *t = s->t;
    char why[192];

    ets_note(s,
             "%s closed (%s): %" PRIu64 " bytes in, %" PRIu64
             " bytes out, %.3f s",
             c->peer, why_text(c, why, sizeof why), c->in, c->out,
             (double)(nk_now_ms() - c->start_ms) / 1000.0);
    atomic_fetch_add(&t->conns, 1);
    atomic_fetch_add(&t->bytes_in, c->in);
    atomic_fetch_add(&t->bytes_out, c->out);
    if (c->why == W_IDLE)
        atomic_fetch_add(&t->idle, 1);
    else if (c->why == W_STOP)
        atomic_fetch_add(&t->at_stop, 1);
    else if (c->why == W_ERROR)
        atomic_fetch_add(&t->errors, 1);
    atomic_fetch_sub(&t->live, 1);
    nk_close(c->fd);
    free(c->pend);
    free(c);
}

/* --- one client at a time: iterative, fork, thread ----------------------- */

static short
poll_mask(unsigned ev)
{
    return (short)((ev & NK_EV_READ ? POLLIN : 0) |
                   (ev & NK_EV_WRITE ? POLLOUT : 0));
}

static unsigned
poll_events(short r)
{
    return (r & POLLIN ? NK_EV_READ : 0u) | (r & POLLOUT ? NK_EV_WRITE : 0u) |
           (r & (POLLERR | POLLHUP | POLLNVAL) ? NK_EV_ERROR : 0u);
}

static int
idle_left(const struct srv *s, int64_t last_ms, int64_t now)
{
    int64_t left;

    if (s->o.idle_ms <= 0)
        return -1;
    left = last_ms + s->o.idle_ms - now;
    return left > 0 ? (int)left : 0;
}

/* Serve one client to its end, waiting in poll() on it and on the stop
 * pipe: the body of the iterative, fork and thread designs. Returns 1 if
 * it ended because the server is stopping. */
static int
serve_one(struct srv *s, struct conn *c, char *buf)
{
    while (!conn_over(c)) {
        struct pollfd p[2] = {{c->fd, poll_mask(conn_wants(c)), 0},
                              {s->stop_rd, POLLIN, 0}};
        struct nk_err err;
        int n = nk_poll(p, 2, idle_left(s, c->last_ms, nk_now_ms()), &err);

        if (n < 0)
            ets_conn_fail(c, "poll", err.sys_errno);
        else if (p[1].revents != 0)
            c->why = W_STOP;
        else if (n == 0)
            c->why = W_IDLE;
        else
            (void)conn_event(c, poll_events(p[0].revents), buf, nk_now_ms());
    }
    return c->why == W_STOP;
}

/* fork: collect finished children without waiting. */
static void
kids_reap(struct srv_front *f)
{
    pid_t pid;

    while (f->nkids > 0 && (pid = waitpid(-1, NULL, WNOHANG)) > 0) {
        for (size_t i = 0; i < f->nkids; i++) {
            if (f->kids[i] == pid) {
                f->kids[i] = f->kids[--f->nkids];
                break;
            }
        }
    }
}

/* fork: the stop pipe has woken every child; give them STOP_GRACE_MS to
 * close their client and report, then SIGKILL what is left. */
static void
kids_stop(struct srv_front *f)
{
    int64_t deadline = nk_now_ms() + STOP_GRACE_MS;
    struct timespec tick = {0, 10 * 1000 * 1000};

    while (f->nkids > 0 && nk_now_ms() < deadline) {
        kids_reap(f);
        if (f->nkids > 0)
            nanosleep(&tick, NULL);
    }
    if (f->nkids > 0)
        ets_say(f->s, "%zu children still running after %d ms: killed",
                f->nkids, STOP_GRACE_MS);
    for (size_t i = 0; i < f->nkids; i++) {
        kill(f->kids[i], SIGKILL);
        (void)waitpid(f->kids[i], NULL, 0);
    }
    f->nkids = 0;
}

/* fork: the child serves its one client and ends with _exit (nothing of
 * the parent's, no atexit, no stdio flush of the parent's buffers). */
static void
child_main(struct srv_front *f, struct conn *c)
{
    static char errbuf[1024];
    struct srv *s = f->s;

    /* Line-buffered: one write per log line, so lines from many children
     * never interleave mid-line. */
    setvbuf(stderr, errbuf, _IOLBF, sizeof errbuf);
    for (int i = 0; i < s->nlfd; i++)
        nk_close(s->lfd[i]);
    nk_close(s->stop_wr); /* the parent's death then reads as a stop */
    nk_close(f->acc.spare);
    (void)serve_one(s, c, f->buf);
    conn_finish(s, c);
    fflush(stderr);
    _exit(0);
}

static void
spawn_child(struct srv_front *f, struct conn *c)
{
    pid_t pid;

    if (f->nkids == f->capkids) {
        size_t cap = f->capkids ? f->capkids * 2 : 64;
        pid_t *k = realloc(f->kids, cap * sizeof *k);
        if (k == NULL) {
            ets_conn_fail(c, "fork", ENOMEM);
            conn_finish(f->s, c);
            return;
        }
        f->kids = k;
        f->capkids = cap;
    }
    pid = fork();
    if (pid == 0)
        child_main(f, c);
    if (pid < 0) {
        ets_conn_fail(c, "fork", errno);
        conn_finish(f->s, c);
        return;
    }
    f->kids[f->nkids++] = pid;
    /* The child owns the client now: the parent only lets go of its copy
     * (no log line, no totals: the child reports them). */
    nk_close(c->fd);
    free(c);
}

/* thread: the body of a connection's thread. */
static void *
conn_thread(void *arg)
{
    struct conn *c = arg;
    struct srv *s = c->s;
    char *buf = malloc(BUF_SIZE);

    if (buf == NULL)
        ets_conn_fail(c, "buffer", ENOMEM);
    else
        (void)serve_one(s, c, buf);
    conn_finish(s, c);
    free(buf);
    pthread_mutex_lock(&s->mu);
    if (--s->nthreads == 0)
        pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* thread: detached threads with small stacks (the buffer is on the heap),
 * counted so that the stop can wait for the last one. */
static void
spawn_thread(struct srv_front *f, struct conn *c)
{
    struct srv *s = f->s;
    pthread_attr_t attr;
    pthread_t th;
    int rc;

    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, THREAD_STACK);
    pthread_mutex_lock(&s->mu);
    s->nthreads++;
    pthread_mutex_unlock(&s->mu);
    rc = pthread_create(&th, &attr, conn_thread, c);
    pthread_attr_destroy(&attr);
    if (rc == 0)
        return;
    pthread_mutex_lock(&s->mu);
    s->nthreads--;
    pthread_mutex_unlock(&s->mu);
    ets_conn_fail(c, "thread", rc);
    conn_finish(s, c);
}

static void
threads_wait(struct srv *s)
{
    pthread_mutex_lock(&s->mu);
    while (s->nthreads > 0)
        pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

static void
front_client(struct srv_front *f, int fd, const char *peer)
{
    struct conn *c;

    if (!ets_admit(f->s, fd, peer) || (c = conn_open(f->s, fd, peer)) == NULL)
        return;
    if (f->model == M_ITERATIVE) {
        f->stopping = serve_one(f->s, c, f->buf);
        conn_finish(f->s, c);
    } else if (f->model == M_THREAD) {
        spawn_thread(f, c);
    } else {
        spawn_child(f, c);
    }
}

static void
front_accept(struct srv_front *f)
{
    for (int i = 0; i < ACCEPT_BATCH && !f->stopping; i++) {
        char peer[NK_ADDRSTRLEN];
        int fd = ets_accept_next(f->s, &f->acc, peer, sizeof peer);

        if (fd == ACC_NONE)
            return;
        if (fd == ACC_PAUSE)
            return;
        if (fd >= 0)
            front_client(f, fd, peer);
    }
}

/* Wait for a client or the stop; returns 1 on stop. */
static int
front_wait(struct srv_front *f)
{
    int64_t now = nk_now_ms();
    struct pollfd p[2] = {{ets_paused(&f->acc) ? -1 : f->acc.lfd, POLLIN, 0},
                          {f->s->stop_rd, POLLIN, 0}};
    int timeout = f->nkids > 0 ? REAP_TICK_MS : -1;
    struct nk_err err;

    if (ets_paused(&f->acc))
        timeout = nk_acceptor_wait_ms(&f->acc, now);
    if (nk_poll(p, 2, timeout, &err) < 0) {
        ets_srv_fatal(f->s, &err);
        return 1;
    }
    if (p[1].revents != 0)
        return 1;
    kids_reap(f);
    (void)nk_acceptor_resume(&f->acc, nk_now_ms());
    return 0;
}

void *
ets_front_main(void *arg)
{
    struct srv_front *f = arg;

    while (!f->stopping && front_wait(f) == 0)
        if (!ets_paused(&f->acc))
            front_accept(f);
    if (f->model == M_FORK)
        kids_stop(f);
    if (f->model == M_THREAD)
        threads_wait(f->s);
    return NULL;
}

/* --- event loops: select, poll, epoll --------------------------------- */

static void
ets_list_add(struct srv_worker *w, struct conn *c)
{
    c->next = NULL;
    c->prev = w->tail;
    if (w->tail)
        w->tail->next = c;
    else
        w->head = c;
    w->tail = c;
}

static void
list_del(struct srv_worker *w, struct conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        w->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        w->tail = c->prev;
}

/* Activity moves a client to the tail, so the head is always the one idle
 * longest: the next idle timeout is head->last_ms + idle, whatever the
 * number of clients. */
static void
list_touch(struct srv_worker *w, struct conn *c)
{
    if (w->tail == c)
        return;
    list_del(w, c);
    ets_list_add(w, c);
}

static void
worker_drop(struct srv_worker *w, struct conn *c)
{
    if (w->loop)
        (void)nk_loop_del(w->loop, c->fd);
    list_del(w, c);
    conn_finish(w->s, c);
}

/* After events on c: drop it if over, else keep the list and the loop's
 * interest in step with what it now waits for. */
static void
worker_step(struct srv_worker *w, struct conn *c, unsigned ev)
{
    struct srv *s = w->s;
    uint64_t moved = c->in + c->out;
    struct nk_err err;

    if (conn_event(c, ev, w->buf, s->o.idle_ms ? nk_now_ms() : 0)) {
        worker_drop(w, c);
        return;
    }
    if (s->o.idle_ms && c->in + c->out != moved)
        list_touch(w, c);
    if (w->loop && nk_loop_mod(w->loop, c->fd, conn_wants(c), &err) < 0) {
        ets_conn_fail(c, "event loop", err.sys_errno);
        worker_drop(w, c);
    }
}

static void
ets_on_conn(struct nk_loop *loop, int fd, unsigned ev, void *arg)
{
    struct conn *c = arg;

    (void)loop;
    (void)fd;
    worker_step(c->w, c, ev);
}

static void
worker_admit(struct srv_worker *w, int fd, const char *peer)
{
    struct srv *s = w->s;
    struct nk_err err;
    struct conn *c;

    if (!w->loop && fd >= FD_SETSIZE) {
        /* FD_SET on such an fd writes past the fd_set: refuse instead. */
        ets_note(s, "%s dropped: descriptor %d is beyond FD_SETSIZE (%d)",
                 peer, fd, FD_SETSIZE);
        ets_warn(s, &w->acc,
                 "select cannot watch descriptors beyond FD_SETSIZE (%d): new "
                 "clients are closed at once until some leave",
                 FD_SETSIZE);
        nk_close(fd);
        atomic_fetch_add(&s->t->rejected, 1);
        return;
    }
    if (!ets_admit(s, fd, peer) || (c = conn_open(s, fd, peer)) == NULL)
        return;
    c->w = w;
    c->round = w->round;
    if (w->loop &&
        nk_loop_add(w->loop, fd, NK_EV_READ, ets_on_conn, c, &err) < 0) {
        ets_conn_fail(c, "event loop", err.sys_errno);
        conn_finish(s, c);
        return;
    }
    ets_list_add(w, c);
}

static void
worker_listen(struct srv_worker *w, int on)
{
    struct nk_err err;

    if (w->loop &&
        nk_loop_mod(w->loop, w->acc.lfd, on ? NK_EV_READ : 0, &err) < 0)
        ets_srv_fatal(w->s, &err);
}

static void
worker_accept(struct srv_worker *w)
{
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        char peer[NK_ADDRSTRLEN];
        int fd = ets_accept_next(w->s, &w->acc, peer, sizeof peer);

        if (fd == ACC_NONE)
            return;
        if (fd == ACC_PAUSE) {
            worker_listen(w, 0);
            return;
        }
        if (fd >= 0)
            worker_admit(w, fd, peer);
    }
}

void
ets_on_listen(struct nk_loop *loop, int fd, unsigned ev, void *arg)
{
    (void)loop;
    (void)fd;
    (void)ev;
    worker_accept(arg);
}

void
ets_on_stop(struct nk_loop *loop, int fd, unsigned ev, void *arg)
{
    struct srv_worker *w = arg;

    (void)loop;
    (void)fd;
    (void)ev;
    w->stopping = 1;
}

/* How long the loop may sleep: until the oldest client's idle deadline or
 * the end of an accept pause; -1 when neither is pending. */
static int
worker_timeout(const struct srv_worker *w, int64_t now)
{
    int t = -1;

    if (ets_paused(&w->acc))
        t = nk_acceptor_wait_ms(&w->acc, now);
    if (w->s->o.idle_ms && w->head != NULL) {
        int left = idle_left(w->s, w->head->last_ms, now);
        if (t < 0 || left < t)
            t = left;
    }
    return t;
}

/* Close the clients idle too long (only those: the list is in order of
 * last activity) and end an accept pause that is over. */
static void
worker_timers(struct srv_worker *w, int64_t now)
{
    if (nk_acceptor_resume(&w->acc, now))
        worker_listen(w, 1);
    while (w->s->o.idle_ms && w->head != NULL &&
           idle_left(w->s, w->head->last_ms, now) == 0) {
        w->head->why = W_IDLE;
        worker_drop(w, w->head);
    }
}

static void
loop_run(struct srv_worker *w)
{
    struct nk_err err;

    while (!w->stopping) {
        if (nk_loop_run_once(w->loop, worker_timeout(w, nk_now_ms()), &err) <
            0) {
            ets_srv_fatal(w->s, &err);
            return;
        }
        worker_timers(w, nk_now_ms());
    }
}

/* select: the interest sets are rebuilt from the client list each round
 * (select overwrites them), which is its O(clients) cost per wake. */
static int
select_sets(struct srv_worker *w, fd_set *rd, fd_set *wr)
{
    int maxfd = w->s->stop_rd;

    FD_ZERO(rd);
    FD_ZERO(wr);
    FD_SET(w->s->stop_rd, rd);
    if (!ets_paused(&w->acc)) {
        FD_SET(w->acc.lfd, rd);
        maxfd = w->acc.lfd > maxfd ? w->acc.lfd : maxfd;
    }
    for (struct conn *c = w->head; c != NULL; c = c->next) {
        unsigned want = conn_wants(c);
        if (want & NK_EV_READ)
            FD_SET(c->fd, rd);
        if (want & NK_EV_WRITE)
            FD_SET(c->fd, wr);
        maxfd = c->fd > maxfd ? c->fd : maxfd;
    }
    return maxfd;
}

/* Handle each ready client once: a client handled this round moves to the
 * tail, so `round` keeps the walk from meeting it again. */
static void
select_dispatch(struct srv_worker *w, fd_set *rd, fd_set *wr)
{
    struct conn *next;

    if (FD_ISSET(w->s->stop_rd, rd)) {
        w->stopping = 1;
        return;
    }
    w->round++;
    for (struct conn *c = w->head; c != NULL; c = next) {
        unsigned ev = (FD_ISSET(c->fd, rd) ? NK_EV_READ : 0u) |
                      (FD_ISSET(c->fd, wr) ? NK_EV_WRITE : 0u);
        next = c->next;
        if (c->round == w->round || ev == 0)
            continue;
        c->round = w->round;
        worker_step(w, c, ev);
    }
    if (!ets_paused(&w->acc) && FD_ISSET(w->acc.lfd, rd))
        worker_accept(w);
}

static void
select_run(struct srv_worker *w)
{
    while (!w->stopping) {
        fd_set rd, wr;
        struct timeval tv, *tvp = NULL;
        int maxfd = select_sets(w, &rd, &wr), n;
        int t = worker_timeout(w, nk_now_ms());

        if (t >= 0) {
            tv.tv_sec = t / 1000;
            tv.tv_usec = (t % 1000) * 1000;
            tvp = &tv;
        }
        n = select(maxfd + 1, &rd, &wr, NULL, tvp);
        if (n < 0 && errno != EINTR) {
            struct nk_err err;
            nk_err_sys(&err, errno, "select");
            ets_srv_fatal(w->s, &err);
            return;
        }
        if (n > 0)
            select_dispatch(w, &rd, &wr);
        worker_timers(w, nk_now_ms());
    }
}

void *
ets_worker_main(void *arg)
{
    struct srv_worker *w = arg;

    if (w->loop)
        loop_run(w);
    else
        select_run(w);
    while (w->head != NULL) {
        w->head->why = W_STOP;
        worker_drop(w, w->head);
    }
    return NULL;
}

/* netkit echo-tcp serve: an RFC 862 echo server in the six classic designs.
 *
 * Every design shares one per-connection engine (struct conn): read what
 * is there, send it straight back, keep only what the kernel would not
 * take (at most one read, BUF_SIZE), and stop reading that client until it
 * drains. A peer that never reads therefore costs at most BUF_SIZE here and
 * is throttled by TCP flow control, never by our memory. The designs
 * differ only in who waits for readiness:
 *   iterative   poll() on one client at a time (the recipe's shape)
 *   fork        the same loop in a child process per connection
 *   thread      the same loop in a thread per connection
 *   select      a select() loop per worker over all its clients
 *   poll/epoll  an nk_loop per worker (include/netkit/evloop.h)
 *
 * Stopping: SIGINT/SIGTERM are blocked in every thread; the main thread
 * alone takes them, in sigsuspend(), and then writes one byte to a stop
 * pipe that every wait of every design also watches. The pipe is never
 * read, so that one byte wakes every loop, forked children included, and
 * no wait can miss a stop between checking a flag and sleeping. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "echo.h"
#include "netkit/evloop.h"
#include "netkit/exitcodes.h"
#include "netkit/net.h"
#include "netkit/out.h"
#include "netkit/parse.h"
#include "netkit/signals.h"

#define BUF_SIZE (64 * 1024) /* one read; the most a client keeps pending */
#define ACCEPT_BATCH 64      /* accepts per wake, so clients get turns */
#define BACKOFF_MS 100       /* accepts paused after an accept failure */
#define REAP_TICK_MS 1000    /* fork: how late a finished child is reaped */
#define STOP_GRACE_MS 3000   /* fork: children's time to finish on stop */
#define MAX_WORKERS 64
#define BACKLOG 4096 /* the kernel caps it at somaxconn */
#define THREAD_STACK (256 * 1024)

const char echo_tcp_serve_usage[] =
    "usage: netkit echo-tcp serve --port P [--bind ADDR] [--model MODEL]\n"
    "                             [--workers N] [--max-conns N]\n"
    "                             [--idle-timeout S] [--quiet] [--json]\n"
    "\n"
    "An RFC 862 echo server: every byte a client sends comes back, until\n"
    "the client closes. Each MODEL is a classic server design running the\n"
    "same per-connection code, so the designs can be compared:\n"
    "  iterative  one client at a time (the recipe's server); others wait\n"
    "  fork       a child process per connection\n"
    "  thread     a thread per connection\n"
    "  select     an event loop over select(2); FD_SETSIZE fds at most\n"
    "  poll       an event loop over poll(2)\n"
    "  epoll      an event loop over epoll(7) (Linux)\n"
    "Without --model: epoll (poll where there is none), one event loop per\n"
    "CPU. Each connection is logged on stderr (peer, bytes, duration).\n"
    "SIGINT/SIGTERM stop accepting, close the clients, print the totals on\n"
    "stdout and exit 0.\n"
    "\n"
    "options:\n"
    "  -p, --port P          port to listen on (0: an ephemeral port)\n"
    "  -b, --bind ADDR       address to listen on (default: every address,\n"
    "                        IPv6 and IPv4 on one dual-stack socket)\n"
    "  -m, --model MODEL     iterative, fork, thread, select, poll, epoll\n"
    "  -w, --workers N       event loops (threads) for select, poll and\n"
    "                        epoll; default: one per CPU without --model,\n"
    "                        else 1\n"
    "  -c, --max-conns N     at most N clients at once: more are accepted\n"
    "                        and closed at once, with a log line (0: no\n"
    "                        limit, the default)\n"
    "  -i, --idle-timeout S  close a client that moved no byte either way\n"
    "                        for S seconds (0: never, the default)\n"
    "  -q, --quiet           no per-connection log lines\n"
    "  -j, --json            the totals as one JSON document\n"
    "  -h, --help            this text\n"
    "\n"
    "examples:\n"
    "  netkit echo-tcp serve --port 9999\n"
    "  netkit echo-tcp serve --port 9999 --model fork --idle-timeout 30\n"
    "  netkit echo-tcp serve --port 0 --bind ::1 --model select --quiet\n";

enum model { M_ITERATIVE, M_FORK, M_THREAD, M_SELECT, M_POLL, M_EPOLL };

static const char *const model_names[] = {"iterative", "fork", "thread",
                                          "select",    "poll", "epoll"};

struct opts {
    char port[8];
    const char *bind; /* NULL: dual-stack wildcard */
    enum model model;
    int workers;
    uint64_t max_conns; /* 0: no limit */
    int idle_ms;        /* 0: never */
    int quiet;
};

/* Counters of every worker, thread and forked child. They live in a shared
 * anonymous mapping so that children can add theirs; lock-free atomics
 * work across processes there. */
struct totals {
    atomic_ullong conns, rejected, bytes_in, bytes_out, idle, errors, at_stop;
    atomic_llong live; /* clients open now, for --max-conns */
};

struct srv {
    struct opts o;
    const char *name; /* "echo-tcp", for log lines */
    int lfd[MAX_WORKERS];
    int nlfd;
    int stop_rd, stop_wr;
    struct totals *t;
    pthread_t main_th;
    atomic_int fatal;
    struct nk_err fatal_err;
    pthread_mutex_t mu; /* thread model: connection threads still running */
    pthread_cond_t cv;
    int nthreads;
};

enum why { W_OPEN, W_PEER, W_IDLE, W_STOP, W_ERROR };

struct worker;

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
    struct worker *w;         /* event-loop designs: the owner */
    struct conn *prev, *next; /* the owner's list, least recently active
                               * first */
    unsigned round;           /* select: last round it was handled */
    char peer[NK_ADDRSTRLEN];
};

/* --- logging ----------------------------------------------------------- */

static void vsay(const struct srv *s, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* One whole line per call: threads share stderr, so the line is formatted
 * first and written under the stream's lock. */
static void
vsay(const struct srv *s, const char *fmt, va_list ap)
{
    char msg[512];

    vsnprintf(msg, sizeof msg, fmt, ap);
    flockfile(stderr);
    nk_diag(s->name, "%s", msg);
    funlockfile(stderr);
}

static void say(const struct srv *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note(const struct srv *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Always printed: start, stop, failures of the server itself. */
static void
say(const struct srv *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsay(s, fmt, ap);
    va_end(ap);
}

/* The per-connection log; --quiet drops it. */
static void
note(const struct srv *s, const char *fmt, ...)
{
    va_list ap;

    if (s->o.quiet)
        return;
    va_start(ap, fmt);
    vsay(s, fmt, ap);
    va_end(ap);
}

/* A dual-stack socket sees IPv4 clients as ::ffff:a.b.c.d; log them the
 * way they connected, as a.b.c.d. */
static void
peer_text(const struct nk_addr *a, char *buf, size_t size)
{
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
    struct sockaddr_in s4;

    if (a->ss.ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
        nk_addr_format((const struct sockaddr *)&a->ss, a->len, buf, size);
        return;
    }
    memset(&s4, 0, sizeof s4);
    s4.sin_family = AF_INET;
    s4.sin_port = s6->sin6_port;
    memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
    nk_addr_format((const struct sockaddr *)&s4, sizeof s4, buf, size);
}

/* --- the per-connection engine ------------------------------------------ */

static int
conn_fail(struct conn *c, const char *step, int e)
{
    c->why = W_ERROR;
    c->step = step;
    c->err_no = e;
    return -1;
}

/* send() until len bytes are gone or the kernel's buffer is full. Returns
 * the bytes sent, or -1 with errno (never EAGAIN). */
static ssize_t
send_some(int fd, const char *p, size_t len)
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
    ssize_t n = send_some(c->fd, c->pend + c->off, c->len - c->off);

    if (n < 0) {
        conn_fail(c, "send", errno);
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
conn_read(struct conn *c, char *buf, int64_t now)
{
    ssize_t n = nk_recv_nb(c->fd, buf, BUF_SIZE), sent;

    if (n == 0) {
        c->rd_eof = 1; /* FIN: a half-close until our echo is done */
        return;
    }
    if (n == NK_IO_AGAIN)
        return;
    if (n < 0) {
        conn_fail(c, "receive", errno);
        return;
    }
    c->in += (uint64_t)n;
    c->last_ms = now;
    sent = send_some(c->fd, buf, (size_t)n);
    if (sent < 0) {
        conn_fail(c, "send", errno);
        return;
    }
    c->out += (uint64_t)sent;
    if (sent == n)
        return;
    c->pend = malloc((size_t)(n - sent));
    if (c->pend == NULL) {
        conn_fail(c, "buffer", ENOMEM);
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
        conn_read(c, buf, now);
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
        say(s, "%s dropped: out of memory", peer);
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
    note(s, "%s connected", peer);
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
    struct totals *t = s->t;
    char why[192];

    note(s,
         "%s closed (%s): %" PRIu64 " bytes in, %" PRIu64 " bytes out, %.3f s",
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

/* --- accepting ------------------------------------------------------------
 */

enum { ACC_NONE = -1, ACC_SHED = -2, ACC_PAUSE = -3 };

/* One listener and its reserved descriptor for EMFILE. */
struct acceptor {
    int lfd;
    int spare;  /* an open /dev/null, given up to accept-and-close */
    int paused; /* accepts paused until resume_ms */
    int64_t resume_ms;
    int64_t warned_ms; /* last warn() line */
};

static void warn(const struct srv *s, struct acceptor *a, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A condition of the server's, not of one client (out of descriptors):
 * shown even with --quiet, at most once a second while it lasts. */
static void
warn(const struct srv *s, struct acceptor *a, const char *fmt, ...)
{
    int64_t now = nk_now_ms();
    va_list ap;

    if (a->warned_ms != 0 && now - a->warned_ms < 1000)
        return;
    a->warned_ms = now;
    va_start(ap, fmt);
    vsay(s, fmt, ap);
    va_end(ap);
}

static int
spare_open(void)
{
    return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Out of descriptors (EMFILE/ENFILE): a pending connection would make the
 * listener readable forever, a busy loop. The classic trick: give up the
 * spare descriptor, accept the client on it and close it at once, take
 * the spare back. The others keep being served. */
static int
shed_one(struct srv *s, struct acceptor *a)
{
    struct nk_addr addr;
    struct nk_err err;
    char peer[NK_ADDRSTRLEN];
    int fd;

    nk_close(a->spare);
    fd = nk_accept(a->lfd, &addr, 0, &err);
    if (fd >= 0) {
        peer_text(&addr, peer, sizeof peer);
        nk_close(fd);
    }
    a->spare = spare_open(); /* after the close: that is the free slot */
    if (fd < 0)
        return err.sys_errno == EAGAIN ? ACC_NONE : ACC_PAUSE;
    atomic_fetch_add(&s->t->rejected, 1);
    note(s,
         "%s dropped: out of file descriptors (accepted on the spare "
         "descriptor and closed)",
         peer);
    warn(s, a,
         "out of file descriptors: new clients are closed at once "
         "until some leave");
    return ACC_SHED;
}

/* Errors that belong to one new connection, not to the listener (Linux
 * accept(2) passes them on): skip that client, keep accepting. */
static int
client_error(int e)
{
    return e == ENETDOWN || e == EPROTO || e == ENOPROTOOPT ||
           e == EHOSTDOWN || e == EHOSTUNREACH || e == EOPNOTSUPP ||
           e == ENETUNREACH || e == ECONNRESET;
}

/* Accept one client as a non-blocking fd (>= 0) and its address text, or
 * say why not: ACC_NONE nothing pending, ACC_SHED one client dropped,
 * ACC_PAUSE stop accepting for BACKOFF_MS (out of descriptors with no
 * spare left, out of memory). */
static int
accept_next(struct srv *s, struct acceptor *a, char *peer, size_t size)
{
    struct nk_addr addr;
    struct nk_err err;
    int fd = nk_accept(a->lfd, &addr, 1, &err);

    if (fd >= 0) {
        peer_text(&addr, peer, size);
        return fd;
    }
    if (err.sys_errno == EAGAIN)
        return ACC_NONE;
    if (client_error(err.sys_errno))
        return ACC_SHED;
    if ((err.sys_errno == EMFILE || err.sys_errno == ENFILE) && a->spare >= 0)
        return shed_one(s, a);
    warn(s, a, "%s: accepts paused for %d ms", err.msg, BACKOFF_MS);
    return ACC_PAUSE;
}

static void
acceptor_pause(struct acceptor *a)
{
    a->paused = 1;
    a->resume_ms = nk_now_ms() + BACKOFF_MS;
}

/* 1 when a pause is over (the spare is taken back if it was lost). */
static int
acceptor_resume(struct acceptor *a, int64_t now)
{
    if (!a->paused || now < a->resume_ms)
        return 0;
    a->paused = 0;
    if (a->spare < 0)
        a->spare = spare_open();
    return 1;
}

/* Count the client in, or refuse it when --max-conns are open. */
static int
admit(struct srv *s, int fd, const char *peer)
{
    long long live = atomic_fetch_add(&s->t->live, 1);

    if (s->o.max_conns == 0 || live < (long long)s->o.max_conns)
        return 1;
    atomic_fetch_sub(&s->t->live, 1);
    atomic_fetch_add(&s->t->rejected, 1);
    note(s, "%s refused: --max-conns %" PRIu64 " reached", peer,
         s->o.max_conns);
    nk_close(fd);
    return 0;
}

/* A worker hit an error it cannot serve past: record it and wake the main
 * thread, which stops everything. */
static void
srv_fatal(struct srv *s, const struct nk_err *err)
{
    if (atomic_exchange(&s->fatal, 1) != 0)
        return;
    s->fatal_err = *err;
    pthread_kill(s->main_th, SIGTERM);
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
            conn_fail(c, "poll", err.sys_errno);
        else if (p[1].revents != 0)
            c->why = W_STOP;
        else if (n == 0)
            c->why = W_IDLE;
        else
            (void)conn_event(c, poll_events(p[0].revents), buf, nk_now_ms());
    }
    return c->why == W_STOP;
}

/* The acceptor of the iterative, fork and thread designs. */
struct front {
    struct srv *s;
    enum model model;
    struct acceptor acc;
    char *buf;
    int stopping;
    pid_t *kids; /* fork: children still running */
    size_t nkids, capkids;
    pthread_t th;
};

/* fork: collect finished children without waiting. */
static void
kids_reap(struct front *f)
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
kids_stop(struct front *f)
{
    int64_t deadline = nk_now_ms() + STOP_GRACE_MS;
    struct timespec tick = {0, 10 * 1000 * 1000};

    while (f->nkids > 0 && nk_now_ms() < deadline) {
        kids_reap(f);
        if (f->nkids > 0)
            nanosleep(&tick, NULL);
    }
    if (f->nkids > 0)
        say(f->s, "%zu children still running after %d ms: killed", f->nkids,
            STOP_GRACE_MS);
    for (size_t i = 0; i < f->nkids; i++) {
        kill(f->kids[i], SIGKILL);
        (void)waitpid(f->kids[i], NULL, 0);
    }
    f->nkids = 0;
}

/* fork: the child serves its one client and ends with _exit (nothing of
 * the parent's, no atexit, no stdio flush of the parent's buffers). */
static void
child_main(struct front *f, struct conn *c)
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
spawn_child(struct front *f, struct conn *c)
{
    pid_t pid;

    if (f->nkids == f->capkids) {
        size_t cap = f->capkids ? f->capkids * 2 : 64;
        pid_t *k = realloc(f->kids, cap * sizeof *k);
        if (k == NULL) {
            conn_fail(c, "fork", ENOMEM);
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
        conn_fail(c, "fork", errno);
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
        conn_fail(c, "buffer", ENOMEM);
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
spawn_thread(struct front *f, struct conn *c)
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
    conn_fail(c, "thread", rc);
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
front_client(struct front *f, int fd, const char *peer)
{
    struct conn *c;

    if (!admit(f->s, fd, peer) || (c = conn_open(f->s, fd, peer)) == NULL)
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
front_accept(struct front *f)
{
    for (int i = 0; i < ACCEPT_BATCH && !f->stopping; i++) {
        char peer[NK_ADDRSTRLEN];
        int fd = accept_next(f->s, &f->acc, peer, sizeof peer);

        if (fd == ACC_NONE)
            return;
        if (fd == ACC_PAUSE) {
            acceptor_pause(&f->acc);
            return;
        }
        if (fd >= 0)
            front_client(f, fd, peer);
    }
}

/* Wait for a client or the stop; returns 1 on stop. */
static int
front_wait(struct front *f)
{
    int64_t now = nk_now_ms();
    struct pollfd p[2] = {{f->acc.paused ? -1 : f->acc.lfd, POLLIN, 0},
                          {f->s->stop_rd, POLLIN, 0}};
    int timeout = f->nkids > 0 ? REAP_TICK_MS : -1;
    struct nk_err err;

    if (f->acc.paused)
        timeout = (int)(f->acc.resume_ms > now ? f->acc.resume_ms - now : 0);
    if (nk_poll(p, 2, timeout, &err) < 0) {
        srv_fatal(f->s, &err);
        return 1;
    }
    if (p[1].revents != 0)
        return 1;
    kids_reap(f);
    (void)acceptor_resume(&f->acc, nk_now_ms());
    return 0;
}

static void *
front_main(void *arg)
{
    struct front *f = arg;

    while (!f->stopping && front_wait(f) == 0)
        if (!f->acc.paused)
            front_accept(f);
    if (f->model == M_FORK)
        kids_stop(f);
    if (f->model == M_THREAD)
        threads_wait(f->s);
    return NULL;
}

/* --- event loops: select, poll, epoll --------------------------------- */

struct worker {
    struct srv *s;
    struct acceptor acc;
    struct nk_loop *loop; /* poll/epoll; NULL: the select design */
    char *buf;            /* one read, shared by this worker's clients */
    struct conn *head, *tail;
    unsigned round; /* select: dispatch round */
    int stopping;
    pthread_t th;
};

static void
list_add(struct worker *w, struct conn *c)
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
list_del(struct worker *w, struct conn *c)
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
list_touch(struct worker *w, struct conn *c)
{
    if (w->tail == c)
        return;
    list_del(w, c);
    list_add(w, c);
}

static void
worker_drop(struct worker *w, struct conn *c)
{
    if (w->loop)
        (void)nk_loop_del(w->loop, c->fd);
    list_del(w, c);
    conn_finish(w->s, c);
}

/* After events on c: drop it if over, else keep the list and the loop's
 * interest in step with what it now waits for. */
static void
worker_step(struct worker *w, struct conn *c, unsigned ev)
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
        conn_fail(c, "event loop", err.sys_errno);
        worker_drop(w, c);
    }
}

static void
on_conn(struct nk_loop *loop, int fd, unsigned ev, void *arg)
{
    struct conn *c = arg;

    (void)loop;
    (void)fd;
    worker_step(c->w, c, ev);
}

static void
worker_admit(struct worker *w, int fd, const char *peer)
{
    struct srv *s = w->s;
    struct nk_err err;
    struct conn *c;

    if (!w->loop && fd >= FD_SETSIZE) {
        /* FD_SET on such an fd writes past the fd_set: refuse instead. */
        note(s, "%s dropped: descriptor %d is beyond FD_SETSIZE (%d)", peer,
             fd, FD_SETSIZE);
        warn(s, &w->acc,
             "select cannot watch descriptors beyond FD_SETSIZE (%d): new "
             "clients are closed at once until some leave",
             FD_SETSIZE);
        nk_close(fd);
        atomic_fetch_add(&s->t->rejected, 1);
        return;
    }
    if (!admit(s, fd, peer) || (c = conn_open(s, fd, peer)) == NULL)
        return;
    c->w = w;
    c->round = w->round;
    if (w->loop &&
        nk_loop_add(w->loop, fd, NK_EV_READ, on_conn, c, &err) < 0) {
        conn_fail(c, "event loop", err.sys_errno);
        conn_finish(s, c);
        return;
    }
    list_add(w, c);
}

static void
worker_listen(struct worker *w, int on)
{
    struct nk_err err;

    if (w->loop &&
        nk_loop_mod(w->loop, w->acc.lfd, on ? NK_EV_READ : 0, &err) < 0)
        srv_fatal(w->s, &err);
}

static void
worker_accept(struct worker *w)
{
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        char peer[NK_ADDRSTRLEN];
        int fd = accept_next(w->s, &w->acc, peer, sizeof peer);

        if (fd == ACC_NONE)
            return;
        if (fd == ACC_PAUSE) {
            acceptor_pause(&w->acc);
            worker_listen(w, 0);
            return;
        }
        if (fd >= 0)
            worker_admit(w, fd, peer);
    }
}

static void
on_listen(struct nk_loop *loop, int fd, unsigned ev, void *arg)
{
    (void)loop;
    (void)fd;
    (void)ev;
    worker_accept(arg);
}

static void
on_stop(struct nk_loop *loop, int fd, unsigned ev, void *arg)
{
    struct worker *w = arg;

    (void)loop;
    (void)fd;
    (void)ev;
    w->stopping = 1;
}

/* How long the loop may sleep: until the oldest client's idle deadline or
 * the end of an accept pause; -1 when neither is pending. */
static int
worker_timeout(const struct worker *w, int64_t now)
{
    int t = -1;

    if (w->acc.paused)
        t = (int)(w->acc.resume_ms > now ? w->acc.resume_ms - now : 0);
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
worker_timers(struct worker *w, int64_t now)
{
    if (acceptor_resume(&w->acc, now))
        worker_listen(w, 1);
    while (w->s->o.idle_ms && w->head != NULL &&
           idle_left(w->s, w->head->last_ms, now) == 0) {
        w->head->why = W_IDLE;
        worker_drop(w, w->head);
    }
}

static void
loop_run(struct worker *w)
{
    struct nk_err err;

    while (!w->stopping) {
        if (nk_loop_run_once(w->loop, worker_timeout(w, nk_now_ms()), &err) <
            0) {
            srv_fatal(w->s, &err);
            return;
        }
        worker_timers(w, nk_now_ms());
    }
}

/* select: the interest sets are rebuilt from the client list each round
 * (select overwrites them), which is its O(clients) cost per wake. */
static int
select_sets(struct worker *w, fd_set *rd, fd_set *wr)
{
    int maxfd = w->s->stop_rd;

    FD_ZERO(rd);
    FD_ZERO(wr);
    FD_SET(w->s->stop_rd, rd);
    if (!w->acc.paused) {
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
select_dispatch(struct worker *w, fd_set *rd, fd_set *wr)
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
    if (!w->acc.paused && FD_ISSET(w->acc.lfd, rd))
        worker_accept(w);
}

static void
select_run(struct worker *w)
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
            srv_fatal(w->s, &err);
            return;
        }
        if (n > 0)
            select_dispatch(w, &rd, &wr);
        worker_timers(w, nk_now_ms());
    }
}

static void *
worker_main(void *arg)
{
    struct worker *w = arg;

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

/* --- setting up, waiting, stopping ----------------------------------------
 */

/* One listener, or with several workers on Linux one per worker sharing
 * the port through SO_REUSEPORT (the kernel spreads new connections; no
 * thundering herd on one accept queue). Where SO_REUSEPORT fails the
 * workers share the first listener. */
static int
open_listeners(struct srv *s, int n, struct nk_err *err)
{
    struct nk_listen_opts lo = {.host = s->o.bind,
                                .port = s->o.port,
                                .family = AF_UNSPEC,
                                .socktype = SOCK_STREAM,
                                .backlog = BACKLOG,
                                .reuseaddr = 1};
    struct nk_addr a;
    char port[8];

#ifdef __linux__
    lo.reuseport = n > 1;
#endif
    if (lo.reuseport && nk_port_free(&lo, err) < 0)
        return -1;
    s->lfd[0] = nk_listen_ex(&lo, err);
    if (s->lfd[0] < 0 && lo.reuseport) {
        lo.reuseport = 0;
        s->lfd[0] = nk_listen_ex(&lo, err);
    }
    if (s->lfd[0] < 0)
        return -1;
    s->nlfd = 1;
    if (!lo.reuseport || nk_local_addr(s->lfd[0], &a, NULL) < 0)
        return 0;
    /* With --port 0 the first bind chose the port; the others join it. */
    snprintf(port, sizeof port, "%d", nk_addr_port((struct sockaddr *)&a.ss));
    lo.port = port;
    while (s->nlfd < n) {
        int fd = nk_listen_ex(&lo, NULL);
        if (fd < 0)
            break;
        s->lfd[s->nlfd++] = fd;
    }
    return 0;
}

struct run {
    struct front front;
    struct worker *workers;
    int nworkers;
};

static int
worker_init(struct srv *s, struct worker *w, int i, struct nk_err *err)
{
    w->s = s;
    w->acc.lfd = s->lfd[i % s->nlfd];
    w->acc.spare = spare_open();
    w->buf = malloc(BUF_SIZE);
    if (w->buf == NULL)
        return nk_err_sys(err, ENOMEM, "buffer");
    if (s->o.model == M_SELECT) {
        if (s->stop_rd >= FD_SETSIZE || w->acc.lfd >= FD_SETSIZE)
            return nk_err_set(err, NK_EX_SOFTWARE,
                              "select: descriptor beyond FD_SETSIZE");
        return 0;
    }
    w->loop =
        nk_loop_new(s->o.model == M_EPOLL ? NK_LOOP_EPOLL : NK_LOOP_POLL, err);
    if (w->loop == NULL)
        return -1;
    if (nk_loop_add(w->loop, w->acc.lfd, NK_EV_READ, on_listen, w, err) < 0 ||
        nk_loop_add(w->loop, s->stop_rd, NK_EV_READ, on_stop, w, err) < 0)
        return -1;
    return 0;
}

static void
worker_free(struct worker *w)
{
    nk_loop_free(w->loop);
    free(w->buf);
    nk_close(w->acc.spare);
}

/* Start the design's threads: N workers, or one acceptor. */
static int
run_start(struct srv *s, struct run *r, struct nk_err *err)
{
    int rc;

    if (s->o.model <= M_THREAD) {
        struct front *f = &r->front;
        f->s = s;
        f->model = s->o.model;
        f->acc.lfd = s->lfd[0];
        f->acc.spare = spare_open();
        f->buf = malloc(BUF_SIZE);
        if (f->buf == NULL)
            return nk_err_sys(err, ENOMEM, "buffer");
        rc = pthread_create(&f->th, NULL, front_main, f);
        return rc == 0 ? 0 : nk_err_sys(err, rc, "thread");
    }
    r->workers = calloc((size_t)s->o.workers, sizeof *r->workers);
    if (r->workers == NULL)
        return nk_err_sys(err, ENOMEM, "workers");
    for (int i = 0; i < s->o.workers; i++)
        r->workers[i].acc.spare = -1; /* worker_free may see it unset */
    for (int i = 0; i < s->o.workers; i++)
        if (worker_init(s, &r->workers[i], i, err) < 0)
            return -1;
    for (; r->nworkers < s->o.workers; r->nworkers++) {
        struct worker *w = &r->workers[r->nworkers];
        rc = pthread_create(&w->th, NULL, worker_main, w);
        if (rc != 0)
            return nk_err_sys(err, rc, "thread");
    }
    return 0;
}

/* Wake every wait (the stop pipe), join the threads, free. */
static void
run_stop(struct srv *s, struct run *r, int started)
{
    char b = 's';

    while (write(s->stop_wr, &b, 1) < 0 && errno == EINTR)
        ;
    if (s->o.model <= M_THREAD) {
        if (started)
            pthread_join(r->front.th, NULL);
        free(r->front.buf);
        free(r->front.kids);
        nk_close(r->front.acc.spare);
        return;
    }
    for (int i = 0; i < r->nworkers; i++)
        pthread_join(r->workers[i].th, NULL);
    if (r->workers != NULL)
        for (int i = 0; i < s->o.workers; i++)
            worker_free(&r->workers[i]);
    free(r->workers);
}

/* Block SIGINT/SIGTERM here before any thread exists (threads inherit the
 * mask); only the main thread takes them, in wait_stop(). */
static int
signals_block(sigset_t *old, struct nk_err *err)
{
    sigset_t set;
    int rc;

    nk_stop_reset();
    if (nk_stop_install(err) < 0)
        return -1;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    rc = pthread_sigmask(SIG_BLOCK, &set, old);
    return rc == 0 ? 0 : nk_err_sys(err, rc, "pthread_sigmask");
}

static void
wait_stop(struct srv *s, const sigset_t *old)
{
    sigset_t open = *old;

    sigdelset(&open, SIGINT);
    sigdelset(&open, SIGTERM);
    while (!nk_stop_requested() && !atomic_load(&s->fatal))
        sigsuspend(&open);
}

static void
report(const struct srv *s, const struct nk_ctx *ctx, const char *addr,
       int64_t up_ms)
{
    struct totals *t = s->t;
    struct nk_out o;

    nk_out_init(&o, stdout, ctx->json ? NK_OUT_JSON : NK_OUT_TEXT, ctx->color);
    nk_out_str(&o, "address", addr);
    nk_out_str(&o, "model", model_names[s->o.model]);
    nk_out_int(&o, "workers", s->o.workers);
    nk_out_uint(&o, "connections", atomic_load(&t->conns));
    nk_out_uint(&o, "rejected", atomic_load(&t->rejected));
    nk_out_uint(&o, "bytes_in", atomic_load(&t->bytes_in));
    nk_out_uint(&o, "bytes_out", atomic_load(&t->bytes_out));
    nk_out_uint(&o, "idle_timeouts", atomic_load(&t->idle));
    nk_out_uint(&o, "errors", atomic_load(&t->errors));
    nk_out_uint(&o, "closed_at_stop", atomic_load(&t->at_stop));
    nk_out_double(&o, "uptime_s", (double)up_ms / 1000.0, 3);
    nk_out_finish(&o);
}

static void
announce(const struct srv *s, char *addr, size_t size)
{
    struct nk_addr a;

    if (nk_local_addr(s->lfd[0], &a, NULL) < 0)
        snprintf(addr, size, "?");
    else
        nk_addr_format((struct sockaddr *)&a.ss, a.len, addr, size);
    if (s->o.model >= M_SELECT)
        say(s, "model %s, %d worker%s%s", model_names[s->o.model],
            s->o.workers, s->o.workers == 1 ? "" : "s",
            s->nlfd > 1 ? ", one SO_REUSEPORT listener each" : "");
    else
        say(s, "model %s", model_names[s->o.model]);
    /* Last on the line: the test harness reads the address from here. */
    say(s, "listening on %s", addr);
}

/* The shared pieces: totals mapping, stop pipe, listeners. */
static int
srv_open(struct srv *s, struct nk_err *err)
{
    int p[2];

    s->t = mmap(NULL, sizeof *s->t, PROT_READ | PROT_WRITE,
                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s->t == MAP_FAILED) {
        s->t = NULL;
        return nk_err_sys(err, errno, "mmap");
    }
    if (pipe(p) < 0)
        return nk_err_sys(err, errno, "pipe");
    s->stop_rd = p[0];
    s->stop_wr = p[1];
    (void)fcntl(p[0], F_SETFD, FD_CLOEXEC);
    (void)fcntl(p[1], F_SETFD, FD_CLOEXEC);
    if (open_listeners(s, s->o.model >= M_SELECT ? s->o.workers : 1, err) < 0)
        return -1;
    for (int i = 0; i < s->nlfd; i++)
        if (nk_set_nonblock(s->lfd[i], 1, err) < 0)
            return -1;
    return 0;
}

static void
srv_close(struct srv *s)
{
    for (int i = 0; i < s->nlfd; i++)
        nk_close(s->lfd[i]);
    nk_close(s->stop_rd);
    nk_close(s->stop_wr);
    if (s->t != NULL)
        munmap(s->t, sizeof *s->t);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
}

static int
serve(struct nk_ctx *ctx, const struct opts *o)
{
    struct srv s;
    struct run r;
    struct nk_err err;
    sigset_t old;
    char addr[NK_ADDRSTRLEN];
    int64_t start = nk_now_ms();
    int rc = NK_EX_OK, started = 0;

    memset(&s, 0, sizeof s);
    memset(&r, 0, sizeof r);
    s.o = *o;
    s.name = ctx->cmd ? ctx->cmd->name : "echo-tcp";
    s.main_th = pthread_self();
    s.stop_rd = s.stop_wr = -1;
    r.front.acc.spare = -1;
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    nk_net_init();
    if (srv_open(&s, &err) < 0 || signals_block(&old, &err) < 0) {
        nk_diag(s.name, "%s", err.msg);
        srv_close(&s);
        return err.exit_code ? err.exit_code : NK_EX_SOFTWARE;
    }
    if (run_start(&s, &r, &err) < 0) {
        nk_diag(s.name, "%s", err.msg);
        rc = err.exit_code ? err.exit_code : NK_EX_SOFTWARE;
    } else {
        started = 1;
        announce(&s, addr, sizeof addr);
        wait_stop(&s, &old);
        if (atomic_load(&s.fatal)) {
            say(&s, "%s", s.fatal_err.msg);
            rc =
                s.fatal_err.exit_code ? s.fatal_err.exit_code : NK_EX_SOFTWARE;
        } else {
            say(&s, "stopping on %s",
                nk_stop_requested() == SIGINT ? "SIGINT" : "SIGTERM");
        }
    }
    run_stop(&s, &r, started);
    if (started)
        report(&s, ctx, addr, nk_now_ms() - start);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    srv_close(&s);
    return rc;
}

/* --- options ------------------------------------------------------------ */

static int
parse_model(const char *name, enum model *m)
{
    for (size_t i = 0; i < sizeof model_names / sizeof model_names[0]; i++) {
        if (strcmp(name, model_names[i]) == 0) {
            *m = (enum model)i;
            return 0;
        }
    }
    return -1;
}

static int
online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (int)n;
}

/* Numbers in options: a bad one is a usage error naming the option. */
/* The choices that depend on one another, once every option is read. */
static int
check_opts(const struct nk_ctx *ctx, struct opts *o, int model_given,
           int port_given)
{
    if (!port_given)
        return nk_usage_error(ctx, "--port is required (0 picks one)");
    if (o->workers > 0 && model_given && o->model < M_SELECT)
        return nk_usage_error(ctx,
                              "--workers is for the select, poll and "
                              "epoll models, not %s",
                              model_names[o->model]);
    if (!model_given) {
#ifdef __linux__
        o->model = M_EPOLL;
#else
        o->model = M_POLL;
#endif
    }
#ifndef __linux__
    if (o->model == M_EPOLL)
        return nk_usage_error(ctx, "--model epoll needs Linux; try poll");
#endif
    if (o->workers == 0)
        o->workers = model_given ? 1 : online_cpus();
    return 0;
}

static int
parse_opt(const struct nk_ctx *ctx, int c, struct opts *o, int *flags)
{
    struct nk_err err;
    uint16_t port;
    uint64_t v;

    switch (c) {
    case 'p':
        if (nk_opt_port(ctx, "--port", optarg, 1, &port) != 0)
            return NK_EX_USAGE;
        snprintf(o->port, sizeof o->port, "%u", (unsigned)port);
        *flags |= 1;
        return 0;
    case 'b':
        o->bind = optarg;
        return 0;
    case 'm':
        if (parse_model(optarg, &o->model) < 0)
            return nk_usage_error(ctx,
                                  "--model: unknown model '%s' (one of "
                                  "iterative, fork, thread, select, "
                                  "poll, epoll)",
                                  optarg);
        *flags |= 2;
        return 0;
    case 'w':
        if (nk_opt_u64(ctx, "--workers", optarg, 0, MAX_WORKERS, &v) != 0)
            return NK_EX_USAGE;
        if (v == 0)
            return nk_usage_error(ctx, "--workers: at least 1");
        o->workers = (int)v;
        return 0;
    case 'c':
        return nk_opt_u64(ctx, "--max-conns", optarg, 0, 10000000,
                          &o->max_conns);
    case 'i':
        if (nk_parse_seconds(optarg, &o->idle_ms, &err) < 0)
            return nk_usage_error(ctx, "--idle-timeout: %s", err.msg);
        return 0;
    case 'q':
        o->quiet = 1;
        return 0;
    default:
        return -1;
    }
}

int
echo_tcp_serve(int argc, char **argv, struct nk_ctx *ctx)
{
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'},
        {"bind", required_argument, NULL, 'b'},
        {"model", required_argument, NULL, 'm'},
        {"workers", required_argument, NULL, 'w'},
        {"max-conns", required_argument, NULL, 'c'},
        {"idle-timeout", required_argument, NULL, 'i'},
        {"quiet", no_argument, NULL, 'q'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct opts o;
    int c, flags = 0, rc;

    memset(&o, 0, sizeof o);
    while ((c = getopt_long(argc, argv, ":p:b:m:w:c:i:qjh", longopts, NULL)) !=
           -1) {
        if (c == 'h')
            return nk_print_usage(echo_tcp_serve_usage);
        if (c == 'j') {
            ctx->json = 1;
            continue;
        }
        rc = parse_opt(ctx, c, &o, &flags);
        if (rc < 0)
            return nk_bad_option(ctx, argv, c);
        if (rc != 0)
            return rc;
    }
    if (optind < argc)
        return nk_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
    rc = check_opts(ctx, &o, flags & 2, flags & 1);
    if (rc != 0)
        return rc;
    return serve(ctx, &o);
}

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
 * no wait can miss a stop between checking a flag and sleeping.
 *
 * This file: the options, the log lines, the listeners and accepting, and
 * the run (start the design's threads, wait for the signal, stop, print
 * the totals). The engine and the designs are in models.c; what
 * the two share is in echo_tcp_int.h. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <unistd.h>

#include "echo_tcp_int.h"
#include "netkit/activate.h"
#include "netkit/evloop.h"
#include "netkit/exitcodes.h"
#include "netkit/fail.h"
#include "netkit/net.h"
#include "netkit/out.h"
#include "netkit/parse.h"
#include "netkit/server.h"
#include "netkit/signals.h"

#define BACKLOG 4096 /* the kernel caps it at somaxconn */

static const char *const model_names[] = {"iterative", "fork", "thread",
                                          "select",    "poll", "epoll"};

/* --- logging ----------------------------------------------------------- */

/* One whole line per call, safe from any thread: nk_server_vlog. */
#define vsay(s, fmt, ap) nk_server_vlog((s)->name, fmt, ap)

/* Always printed: start, stop, failures of the server itself. */
void
ets_say(const struct srv *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsay(s, fmt, ap);
    va_end(ap);
}

/* The per-connection log; --quiet drops it. */
void
ets_note(const struct srv *s, const char *fmt, ...)
{
    va_list ap;

    if (s->o.quiet)
        return;
    va_start(ap, fmt);
    vsay(s, fmt, ap);
    va_end(ap);
}

/* A dual-stack socket sees IPv4 clients as ::ffff:a.b.c.d; log them the
 * way they connected, as a.b.c.d. A unix: client shows its credentials. */
static void
peer_text(const struct nk_addr *a, char *buf, size_t size)
{
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
    struct sockaddr_in s4;

    if (a->ss.ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
        nk_peer_format(a, buf, size);
        return;
    }
    memset(&s4, 0, sizeof s4);
    s4.sin_family = AF_INET;
    s4.sin_port = s6->sin6_port;
    memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
    nk_addr_format((const struct sockaddr *)&s4, sizeof s4, buf, size);
}

/* --- accepting ------------------------------------------------------------
 */

/* A condition of the server's, not of one client (out of descriptors):
 * shown even with --quiet, at most once a second while it lasts (the
 * acceptor's rate limit). */
void
ets_warn(const struct srv *s, struct nk_acceptor *a, const char *fmt, ...)
{
    unsigned long more;
    va_list ap;

    if (!nk_ratelimit_pass(&a->log, nk_now_ms(), &more))
        return;
    va_start(ap, fmt);
    vsay(s, fmt, ap);
    va_end(ap);
}

/* Accept one client as a non-blocking fd (>= 0) and its address text, or
 * say why not: ACC_NONE nothing pending, ACC_SHED one client dropped (out
 * of descriptors, the acceptor closed it on its spare) or failed,
 * ACC_PAUSE accepts paused for NK_ACCEPT_BACKOFF_MS. The policy is the
 * shared acceptor's (netkit/accept.h); what it reports is logged even
 * with --quiet, rate-limited. */
int
ets_accept_next(struct srv *s, struct nk_acceptor *a, char *peer, size_t size)
{
    struct nk_addr addr;
    struct nk_err err;
    int fd = nk_acceptor_next(a, &addr, &err);

    if (fd >= 0) {
        peer_text(&addr, peer, size);
        return fd;
    }
    nk_server_accept_note(s->name, &err);
    if (fd == NK_ACC_NONE)
        return ACC_NONE;
    if (fd == NK_ACC_PAUSE)
        return ACC_PAUSE;
    if (fd == NK_ACC_SHED) {
        atomic_fetch_add(&s->t->rejected, 1);
        peer_text(&addr, peer, size);
        ets_note(s, "%s dropped: out of file descriptors", peer);
    }
    return ACC_SHED;
}

/* Count the client in, or refuse it when --max-conns are open. */
int
ets_admit(struct srv *s, int fd, const char *peer)
{
    long long live = atomic_fetch_add(&s->t->live, 1);

    if (s->o.max_conns == 0 || live < (long long)s->o.max_conns)
        return 1;
    atomic_fetch_sub(&s->t->live, 1);
    atomic_fetch_add(&s->t->rejected, 1);
    ets_note(s, "%s refused: --max-conns %" PRIu64 " reached", peer,
             s->o.max_conns);
    nk_close(fd);
    return 0;
}

/* A worker hit an error it cannot serve past: record it and wake the main
 * thread, which stops everything. */
void
ets_srv_fatal(struct srv *s, const struct nk_err *err)
{
    if (atomic_exchange(&s->fatal, 1) != 0)
        return;
    s->fatal_err = *err;
    pthread_kill(s->main_th, SIGTERM);
}

/* --- setting up, waiting, stopping ----------------------------------------
 */

/* One listener, or with several workers on Linux one per worker sharing
 * the port through SO_REUSEPORT (the kernel spreads new connections; no
 * thundering herd on one accept queue). Where SO_REUSEPORT fails the
 * workers share the first listener, as they share a socket systemd
 * passed (activate.h). */
static int
open_listeners(struct srv *s, int n, struct nk_err *err)
{
    struct nk_listen_opts lo = {.host = s->o.bind,
                                .port = s->o.port,
                                .family = AF_UNSPEC,
                                .socktype = SOCK_STREAM,
                                .backlog = BACKLOG,
                                .reuseaddr = 1,
                                .mode = s->o.mode};
    struct nk_addr a;
    char port[8];
    int passed = nk_activation_passed(err);

    if (passed < 0)
        return -1;
#ifdef __linux__
    /* A socket file has one listener; the workers share it. */
    lo.reuseport = n > 1 && !nk_host_is_unix(s->o.bind) && passed == 0;
#endif
    if (lo.reuseport && nk_port_free(&lo, err) < 0)
        return -1;
    s->lfd[0] = nk_listen_activated(&lo, s->o.fdname, NULL, err);
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
    struct srv_front front;
    struct srv_worker *workers;
    int nworkers;
};

static int
worker_init(struct srv *s, struct srv_worker *w, int i, struct nk_err *err)
{
    w->s = s;
    if (nk_acceptor_init(&w->acc, s->lfd[i % s->nlfd], "", err) < 0)
        return -1;
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
    if (nk_loop_add(w->loop, w->acc.lfd, NK_EV_READ, ets_on_listen, w, err) <
            0 ||
        nk_loop_add(w->loop, s->stop_rd, NK_EV_READ, ets_on_stop, w, err) < 0)
        return -1;
    return 0;
}

static void
worker_free(struct srv_worker *w)
{
    nk_loop_free(w->loop);
    free(w->buf);
    nk_acceptor_free(&w->acc);
}

/* Start the design's threads: N workers, or one acceptor. */
static int
run_start(struct srv *s, struct run *r, struct nk_err *err)
{
    int rc;

    if (s->o.model <= M_THREAD) {
        struct srv_front *f = &r->front;
        f->s = s;
        f->model = s->o.model;
        if (nk_acceptor_init(&f->acc, s->lfd[0], "", err) < 0)
            return -1;
        f->buf = malloc(BUF_SIZE);
        if (f->buf == NULL)
            return nk_err_sys(err, ENOMEM, "buffer");
        rc = pthread_create(&f->th, NULL, ets_front_main, f);
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
        struct srv_worker *w = &r->workers[r->nworkers];
        rc = pthread_create(&w->th, NULL, ets_worker_main, w);
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
        nk_acceptor_free(&r->front.acc);
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

    if (nk_server_stop_install(err) < 0)
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
ets_report(const struct srv *s, const struct nk_ctx *ctx, const char *addr,
           int64_t up_ms)
{
    struct srv_totals *t = s->t;
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
    if (s->o.model >= M_SELECT)
        ets_say(s, "model %s, %d worker%s%s", model_names[s->o.model],
                s->o.workers, s->o.workers == 1 ? "" : "s",
                s->nlfd > 1 ? ", one SO_REUSEPORT listener each" : "");
    else
        ets_say(s, "model %s", model_names[s->o.model]);
    nk_server_announce_fd(s->name, s->lfd[0], addr, size);
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

/* --inetd: the connection is stdin and stdout (inetd nowait, systemd
 * Accept=yes); echo it until the client closes, or --idle-timeout. A pipe
 * on stdin works too. stdout is the connection, so nothing else goes
 * there; stderr too under inetd, so it is pointed away from it. */
static int
serve_inetd(const struct nk_ctx *ctx, const struct srv_opts *o)
{
    const char *name = ctx->cmd ? ctx->cmd->name : "echo-tcp";
    struct nk_err err;
    char *buf;
    ssize_t n;

    if (nk_inetd_quiet_stderr() < 0)
        return NK_EX_SOFTWARE;
    nk_net_init();
    if (nk_inetd_check(SOCK_STREAM, 1, &err) < 0)
        return nk_fail(name, NULL, &err);
    buf = malloc(BUF_SIZE);
    if (buf == NULL)
        return NK_EX_SOFTWARE;
    for (;;) {
        n = nk_recv_some(0, buf, BUF_SIZE, o->idle_ms ? o->idle_ms : -1, &err);
        if (n > 0 && nk_send_all(1, buf, (size_t)n,
                                 o->idle_ms ? o->idle_ms : -1, &err) < 0)
            n = -1;
        if (n <= 0)
            break;
    }
    free(buf);
    if (n < 0 && err.sys_errno == ETIMEDOUT) {
        nk_server_log(name, "idle for %d ms: closed", o->idle_ms);
        return NK_EX_OK;
    }
    if (n < 0)
        return nk_fail(name, NULL, &err);
    return NK_EX_OK;
}

static int
ets_serve(struct nk_ctx *ctx, const struct srv_opts *o)
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
        srv_close(&s);
        return nk_fail(s.name, NULL, &err);
    }
    if (run_start(&s, &r, &err) < 0) {
        rc = nk_fail(s.name, NULL, &err);
    } else {
        started = 1;
        announce(&s, addr, sizeof addr);
        wait_stop(&s, &old);
        if (atomic_load(&s.fatal)) {
            rc = nk_fail(s.name, NULL, &s.fatal_err);
        } else {
            ets_say(&s, "stopping on %s", nk_server_stop_name());
        }
    }
    run_stop(&s, &r, started);
    if (started) {
        ets_report(&s, ctx, addr, nk_now_ms() - start);
        nk_server_stopped(s.name, NULL);
    }
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
ets_check_opts(const struct nk_ctx *ctx, struct srv_opts *o, int model_given,
               int port_given)
{
    struct nk_err err;

    /* A socket systemd passed needs no port (a broken LISTEN_FDS is
     * reported when the listener is taken). */
    if (!port_given && !nk_host_is_unix(o->bind) &&
        nk_activation_passed(&err) == 0)
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
parse_opt(const struct nk_ctx *ctx, int c, struct srv_opts *o, int *flags)
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
    case 'o':
        o->mode = optarg;
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

/* What the option table fills: the options and which of --port (1) and
 * --model (2) were given. */
struct ets_parse {
    struct srv_opts o;
    int flags;
    int inetd;
};

static int
ets_take(const struct nk_ctx *ctx, const struct nk_optdef *def,
         const char *arg, void *values)
{
    struct ets_parse *p = values;

    (void)arg; /* parse_opt reads optarg, which is arg */
    return parse_opt(ctx, (int)def->min, &p->o, &p->flags);
}

static const struct nk_optdef echo_tcp_serve_spec_defs[] = {
    {'p', "port", NK_OPT_CALL, 0, 'p', 0, "P",
     "port to listen on (0: an ephemeral port)", NULL, ets_take},
    {'b', "bind", NK_OPT_CALL, 0, 'b', 0, "ADDR",
     "address to listen on (default: every address,\n"
     "IPv6 and IPv4 on one dual-stack socket);\n"
     "unix:PATH or unix:@NAME for a Unix socket",
     NULL, ets_take},
    {0, "mode", NK_OPT_CALL, 0, 'o', 0, "MODE", NK_OPT_MODE_HELP, NULL,
     ets_take},
    {'m', "model", NK_OPT_CALL, 0, 'm', 0, "MODEL",
     "iterative, fork, thread, select, poll, epoll", NULL, ets_take},
    {'w', "workers", NK_OPT_CALL, 0, 'w', 0, "N",
     "event loops (threads) for select, poll and\n"
     "epoll; default: one per CPU without --model,\n"
     "else 1",
     NULL, ets_take},
    {'M', "max-conns", NK_OPT_CALL, 0, 'c', 0, "N",
     "at most N clients at once: more are accepted\n"
     "and closed at once, with a log line (0: no\n"
     "limit, the default)",
     NULL, ets_take},
    {'I', "idle-timeout", NK_OPT_CALL, 0, 'i', 0, "S",
     "close a client that moved no byte either way\n"
     "for S seconds (0: never, the default)",
     NULL, ets_take},
    {'q', "quiet", NK_OPT_CALL, 0, 'q', 0, NULL, "no per-connection log lines",
     NULL, ets_take},
    NK_OPT_INETD(struct ets_parse, inetd,
                 "inetd mode: echo the connection on stdin to\n"
                 "stdout until the client closes (inetd nowait,\n"
                 "systemd Accept=yes); nothing else is printed"),
    NK_OPT_FDNAME(struct ets_parse, o.fdname),
    NK_OPT_JSON_DEF("the totals as one JSON document"),
    NK_OPT_HELP_DEF,
    NK_OPT_END,
};

const struct nk_optspec echo_tcp_serve_spec = {
    "usage: netkit echo-tcp serve --port P [--bind ADDR] [--model MODEL]\n"
    "       netkit echo-tcp serve --bind unix:PATH [--mode MODE] [...]\n"
    "                             [--workers N] [--max-conns N]\n"
    "                             [--idle-timeout S] [--quiet] [--json]\n"
    "       netkit echo-tcp serve --inetd [--idle-timeout S]\n"
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
    "stdout and exit 0. Under systemd socket activation (LISTEN_PID is this\n"
    "process) the listening socket passed is served, shared by the workers;\n"
    "no --port, and --port, --bind, -4, -6 are ignored.\n"
    "\n",
    echo_tcp_serve_spec_defs,
    "examples:\n"
    "  netkit echo-tcp serve --port 9999\n"
    "  netkit echo-tcp serve --port 9999 --model fork --idle-timeout 30\n"
    "  netkit echo-tcp serve --port 0 --bind ::1 --model select --quiet\n"
    "  netkit echo-tcp serve --bind unix:/tmp/echo.sock --mode 0660\n"
    "  systemd-socket-activate -l 127.0.0.1:9999 netkit echo-tcp serve\n",
    0, NULL};

int
echo_tcp_serve(int argc, char **argv, struct nk_ctx *ctx)
{
    struct ets_parse p;
    int rc;

    memset(&p, 0, sizeof p);
    rc = nk_opt_parse(ctx, &echo_tcp_serve_spec, argc, argv, &p);
    if (rc != NK_OPT_GO)
        return rc;
    if (optind < argc)
        return nk_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
    if (p.inetd)
        return serve_inetd(ctx, &p.o);
    rc = ets_check_opts(ctx, &p.o, p.flags & 2, p.flags & 1);
    if (rc != 0)
        return rc;
    return ets_serve(ctx, &p.o);
}

/* netkit fileshare serve: share a directory, read-only unless uploads are
 * allowed, to many clients at once.
 *
 * Connections: the main thread accepts (src/net/accept.c: out of file
 * descriptors, queued clients get 503 on a spare descriptor, and accepts
 * pause instead of spinning) and reads each request line on its event
 * loop, within --header-timeout of the accept. A connection without a
 * complete line holds no thread; when --max-clients are taken, the
 * oldest such idle connection is closed (408) to admit the new one.
 *
 * One thread per request (at most --max-clients): a transfer is a long
 * sendfile(2) loop, which a thread expresses plainly, and each thread
 * costs a small stack and no buffer while it sends, so the server's memory
 * stays flat however large the file. Every client socket is non-blocking
 * and every wait is a slice of at most WAIT_SLICE_MS (in
 * serve_req.c, the request side), so a stop request
 * and the idle timeout are both seen within that slice.
 *
 * Stopping: SIGINT/SIGTERM are blocked in the client threads; the main
 * thread sees the request in its event loop, stops accepting, raises the
 * stop flag that every client slice checks, and waits for the clients
 * (at most STOP_GRACE_MS). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileshare_int.h"
#include "netkit/activate.h"
#include "netkit/accept.h"
#include "netkit/evloop.h"
#include "netkit/exitcodes.h"
#include "netkit/fail.h"
#include "netkit/fileshare.h"
#include "netkit/http_server.h"
#include "netkit/net.h"
#include "netkit/out.h"
#include "netkit/parse.h"
#include "netkit/server.h"
#include "netkit/signals.h"

#define STOP_GRACE_MS 3000
#define HEADER_TIMEOUT_MS 10000 /* default --header-timeout */
#define THREAD_STACK (256 * 1024)
/* At --max-clients, a new connection is refused in its own protocol: it
 * may take this long to send its request line, and this many may wait
 * (beyond, the line protocol's 503 goes out at once). */
#define REFUSE_WAIT_MS 1000
#define REFUSE_MAX 64

/* --- logging --------------------------------------------------------- */

void
fss_log(const struct srv *s, const char *fmt, ...)
{
    char msg[1900];
    va_list ap;

    if (s->o.quiet)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    nk_diag("fileshare", "%s", msg);
}

/* --- one request (its own thread) ------------------------------------- */

static void *
client_thread(void *arg)
{
    struct client *c = arg;
    struct srv *s = c->s;

    fss_serve(c);
    nk_answer_close(c->fd, NULL); /* what the client sent early: no RST */
    free(c);
    atomic_fetch_sub(&s->active, 1);
    return NULL;
}

/* Start a thread for the request with SIGINT/SIGTERM blocked, so only
 * the main thread's loop sees them. */
static int
spawn(struct client *c)
{
    pthread_attr_t attr;
    pthread_t th;
    sigset_t block, old;
    int rc;

    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, THREAD_STACK);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    rc = pthread_create(&th, &attr, client_thread, c);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    return rc;
}

/* --- connections before their request (the main thread) ----------------- */

/* The two lists a connection waits on before its request: the idle one
 * (counted against --max-clients) or, past it, the refused one. */
static void
idle_unlink(struct srv *s, struct client *c)
{
    struct client **head = c->refused ? &s->ref_head : &s->idle_head;
    struct client **tail = c->refused ? &s->ref_tail : &s->idle_tail;

    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        *head = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    else
        *tail = c->prev;
    c->prev = c->next = NULL;
    (*(c->refused ? &s->nref : &s->nidle))--;
}

static void
idle_append(struct srv *s, struct client *c)
{
    struct client **head = c->refused ? &s->ref_head : &s->idle_head;
    struct client **tail = c->refused ? &s->ref_tail : &s->idle_tail;

    c->prev = *tail;
    c->next = NULL;
    if (*tail != NULL)
        (*tail)->next = c;
    else
        *head = c;
    *tail = c;
    (*(c->refused ? &s->nref : &s->nidle))++;
}

/* Answer a connection that is not served, and close it. What it sent
 * decides the protocol: HTTP when it reads as HTTP, and when it sent
 * nothing at all (curl, urllib and browsers read an HTTP 408 or 503,
 * and curl --retry retries them; see docs/fileshare.md), else the line
 * protocol's status line. */
static void
answer_drop(struct client *c, int code, const char *why)
{
    char reply[2 * NK_FS_REASON_MAX + 256];

    if ((c->have > 0 && !nk_hs_looks_http(c->buf, c->have)) ||
        nk_hs_build_drop(reply, sizeof reply, code, why) < 0)
        snprintf(reply, sizeof reply, "%d %s\n\n", code, why);
    nk_answer_close(c->fd, reply);
}

/* Close a connection that never sent its request (or was refused), with
 * a status line it can read, and log it. */
static void
idle_drop(struct srv *s, struct client *c, int code, const char *why)
{
    nk_loop_del(s->loop, c->fd);
    idle_unlink(s, c);
    answer_drop(c, code, why);
    fss_log(s, "%s %s: %d %s", c->peer, c->refused ? "refused" : "dropped",
            code, why);
    free(c);
}

/* The request line is complete: hand the connection to a thread. */
static void
start_request(struct srv *s, struct client *c)
{
    nk_loop_del(s->loop, c->fd);
    idle_unlink(s, c);
    atomic_fetch_add(&s->active, 1);
    if (spawn(c) == 0)
        return;
    atomic_fetch_sub(&s->active, 1);
    answer_drop(c, 503, "server busy: cannot start a thread");
    fss_log(s, "%s refused: 503 cannot start a thread", c->peer);
    free(c);
}

static void
on_client(struct nk_loop *loop, int fd, unsigned events, void *arg)
{
    struct client *c = arg;
    ssize_t n = nk_recv_nb(fd, c->buf + c->have, sizeof c->buf - c->have);
    char *nl;

    (void)loop;
    (void)events;
    if (n == NK_IO_AGAIN)
        return;
    if (n <= 0) {
        idle_drop(c->s, c, NK_FS_BAD_REQUEST,
                  "connection closed before a complete request line");
        return;
    }
    nl = memchr(c->buf + c->have, '\n', (size_t)n);
    c->have += (size_t)n;
    if (nl != NULL && c->refused) {
        idle_drop(c->s, c, 503, "too many clients");
    } else if (nl != NULL) {
        c->line_len = (size_t)(nl - c->buf);
        start_request(c->s, c);
    } else if (c->have == sizeof c->buf) {
        idle_drop(c->s, c, NK_FS_TOO_LONG, nk_fs_status_text(NK_FS_TOO_LONG));
    }
}

/* --max-clients counts requests being served and connections still
 * sending theirs. When all are taken, the oldest connection without a
 * request makes room (it has had the longest to send one); when every
 * one is busy with a request, the new client gets 503, in its protocol
 * once its request line is in (REFUSE_WAIT_MS). 1 admitted, 2 to be
 * refused, 0 refused. */
static int
make_room(struct srv *s, int fd, const char *peer)
{
    if ((uint64_t)atomic_load(&s->active) + s->nidle < s->o.max_clients)
        return 1;
    if (s->idle_head != NULL) {
        idle_drop(s, s->idle_head, NK_FS_TIMEOUT,
                  "request timeout (idle connection closed for a new client)");
        return 1;
    }
    if (fsh_evict_idle(s)) /* an HTTP keep-alive connection makes room */
        return 1;
    if (s->nref < REFUSE_MAX)
        return 2;
    nk_answer_close(fd, "503 too many clients\n\n");
    fss_log(s, "%s refused: 503 too many clients", peer);
    return 0;
}

static void
admit(struct srv *s, int fd, const struct nk_addr *peer)
{
    struct client *c = calloc(1, sizeof *c);
    struct nk_err err;

    if (c == NULL) {
        nk_answer_close(fd, "503 server busy: out of memory\n\n");
        return;
    }
    c->s = s;
    c->fd = fd;
    c->accepted_ms = nk_now_ms();
    nk_peer_format(peer, c->peer, sizeof c->peer);
    c->refused = make_room(s, fd, c->peer);
    if (c->refused == 0) {
        free(c);
        return;
    }
    c->refused = c->refused == 2;
    if (nk_loop_add(s->loop, fd, NK_EV_READ, on_client, c, &err) < 0) {
        nk_answer_close(fd, "503 server busy\n\n");
        fss_log(s, "%s refused: 503 %s", c->peer, err.msg);
        free(c);
        return;
    }
    idle_append(s, c);
}

static void
on_listener(struct nk_loop *loop, int lfd, unsigned events, void *arg)
{
    struct srv *s = arg;

    (void)events;
    for (int i = 0; i < 64; i++) {
        struct nk_addr peer;
        struct nk_err err;
        int fd = nk_acceptor_next(&s->acc, &peer, &err);
        if (fd >= 0) {
            admit(s, fd, &peer);
            continue;
        }
        /* rate-limited; not a request: not --quiet */
        nk_server_accept_note("fileshare", &err);
        if (fd == NK_ACC_PAUSE)
            (void)nk_loop_mod(loop, lfd, 0, NULL);
        if (fd == NK_ACC_NONE || fd == NK_ACC_PAUSE)
            return;
    }
}

/* Timers, once a round: connections past --header-timeout (the list is
 * oldest first) and the end of an accept pause. The wait until the next
 * one is due. */
static int
tick(struct srv *s)
{
    int64_t now = nk_now_ms();
    int64_t refuse_ms = s->o.header_timeout_ms < REFUSE_WAIT_MS
                            ? s->o.header_timeout_ms
                            : REFUSE_WAIT_MS;
    int wait = 1000, aw;

    while (s->idle_head != NULL &&
           now - s->idle_head->accepted_ms >= s->o.header_timeout_ms)
        idle_drop(s, s->idle_head, NK_FS_TIMEOUT,
                  nk_fs_status_text(NK_FS_TIMEOUT));
    if (s->idle_head != NULL &&
        s->idle_head->accepted_ms + s->o.header_timeout_ms - now < wait)
        wait = (int)(s->idle_head->accepted_ms + s->o.header_timeout_ms - now);
    while (s->ref_head != NULL && now - s->ref_head->accepted_ms >= refuse_ms)
        idle_drop(s, s->ref_head, 503, "too many clients");
    if (s->ref_head != NULL &&
        s->ref_head->accepted_ms + refuse_ms - now < wait)
        wait = (int)(s->ref_head->accepted_ms + refuse_ms - now);
    if (nk_acceptor_resume(&s->acc, now))
        (void)nk_loop_mod(s->loop, s->lfd, NK_EV_READ, NULL);
    aw = nk_acceptor_wait_ms(&s->acc, now);
    if (aw > 0 && aw < wait)
        wait = aw;
    return wait < 1 ? 1 : wait;
}

/* --- options and the main loop ----------------------------------------- */

/* What the option table fills. */
struct srv_parse {
    struct srv_opts o;
    const char *mode;   /* a unix:PATH socket file's permissions */
    const char *fdname; /* of the sockets systemd passed, this one */
    int inetd;          /* the one connection is stdin/stdout */
};

static const struct nk_optdef serve_optdefs[] = {
    NK_OPT('r', "root", NK_OPT_STRING, struct srv_parse, o.root, 0, 0, "DIR",
           "the directory to share (required)"),
    NK_OPT('p', "port", NK_OPT_PORTSTR, struct srv_parse, o.port, 0, 0, "P",
           "port to listen on (0: an ephemeral port)"),
    NK_OPT('b', "bind", NK_OPT_STRING, struct srv_parse, o.bind, 0, 0, "ADDR",
           "address to listen on (default: every address);\n"
           "unix:PATH or unix:@NAME for a Unix socket"),
    NK_OPT_MODE(struct srv_parse, mode),
    NK_OPT('M', "max-clients", NK_OPT_U64, struct srv_parse, o.max_clients, 1,
           100000, "N",
           "clients served at once (default 64); when\n"
           "full, the oldest connection that has not sent\n"
           "its request is closed (408) for a new one, or\n"
           "the new one gets status 503"),
    NK_OPT('t', "timeout", NK_OPT_SECONDS, struct srv_parse, o.timeout_ms, 100,
           86400000, "S", "drop a client idle this long (default 10)"),
    NK_OPT('T', "header-timeout", NK_OPT_SECONDS, struct srv_parse,
           o.header_timeout_ms, 100, 86400000, "S",
           "close a connection whose request line has not\n"
           "arrived S after connecting (default: 10, or\n"
           "--timeout if shorter)"),
    NK_OPT('R', "read-only", NK_OPT_FLAG, struct srv_parse, o.read_only, 0, 0,
           NULL, "refuse every upload (the default)"),
    NK_OPT('U', "allow-upload", NK_OPT_FLAG, struct srv_parse, o.allow_upload,
           0, 0, NULL, "accept PUT: new files, stored atomically"),
    NK_OPT('q', "quiet", NK_OPT_FLAG, struct srv_parse, o.quiet, 0, 0, NULL,
           "no per-request log lines"),
    NK_OPT_INETD(struct srv_parse, inetd,
                 "inetd mode: serve the connection on stdin and\n"
                 "stdout (inetd nowait, systemd Accept=yes), in\n"
                 "either protocol, then exit"),
    NK_OPT_FDNAME(struct srv_parse, fdname),
    NK_OPT_JSON_DEF("when stopped, one JSON document: root, address,\n"
                    "max_clients and the exit status"),
    NK_OPT_HELP_DEF,
    NK_OPT_END,
};

const struct nk_optspec fileshare_serve_spec = {
    "usage: netkit fileshare serve --root DIR --port P [--bind ADDR]\n"
    "       netkit fileshare serve --root DIR --bind unix:PATH [--mode MODE]\n"
    "                              [--max-clients N] [--timeout S]\n"
    "                              [--header-timeout S]\n"
    "                              [--read-only | --allow-upload] [--quiet]\n"
    "       netkit fileshare serve --root DIR --inetd [...]\n"
    "\n"
    "Share the files under DIR: clients fetch them (GET), list directories\n"
    "(LIST) and, with --allow-upload, store new files (PUT). Paths are\n"
    "resolved beneath DIR: '..', absolute paths, symbolic links that lead\n"
    "out of DIR, devices, FIFOs and sockets, and names with control bytes\n"
    "are refused, each with its own status. Files are sent with sendfile(2).\n"
    "Each request is logged on stderr; SIGINT/SIGTERM stop the server.\n"
    "Under systemd socket activation (LISTEN_PID is this process) the\n"
    "listening socket passed is served: no --port, and --port and --bind\n"
    "are ignored.\n"
    "\n",
    serve_optdefs,
    "examples:\n"
    "  netkit fileshare serve --root ~/pub --port 9000\n"
    "  netkit fileshare serve --root /srv/in --port 9000 --allow-upload\n"
    "  netkit fileshare serve --root ~/pub --bind unix:/run/fs.sock\n",
    0, NULL};

static int
fss_parse_opts(int argc, char **argv, struct nk_ctx *ctx, struct srv_parse *p)
{
    struct srv_opts *o = &p->o;
    struct nk_err err;
    int rc;

    memset(p, 0, sizeof *p);
    p->o.max_clients = 64;
    p->o.timeout_ms = 10000;
    rc = nk_opt_parse(ctx, &fileshare_serve_spec, argc, argv, p);
    if (rc != NK_OPT_GO)
        return rc == NK_EX_OK ? -1 : rc; /* -1: --help was shown */
    if (optind < argc)
        return nk_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
    if (o->root == NULL)
        return nk_usage_error(ctx, "--root DIR is required");
    if (o->port == NULL && !nk_host_is_unix(o->bind) && !p->inetd &&
        nk_activation_passed(&err) == 0)
        return nk_usage_error(ctx, "--port is required");
    if (o->read_only && o->allow_upload)
        return nk_usage_error(ctx, "--read-only and --allow-upload conflict");
    if (o->header_timeout_ms == 0)
        o->header_timeout_ms = o->timeout_ms < HEADER_TIMEOUT_MS
                                   ? o->timeout_ms
                                   : HEADER_TIMEOUT_MS;
    return 0;
}

/* Close every connection still waiting for its request. */
static void
idle_close_all(struct srv *s)
{
    while (s->idle_head != NULL || s->ref_head != NULL) {
        struct client *c = s->idle_head ? s->idle_head : s->ref_head;
        nk_loop_del(s->loop, c->fd);
        idle_unlink(s, c);
        nk_close(c->fd);
        free(c);
    }
}

static int
fss_run(struct srv *s)
{
    struct nk_err err;
    int64_t until;

    if (nk_acceptor_init(&s->acc, s->lfd, "503 too many clients\n\n", &err) <
        0) {
        nk_diag("fileshare", "%s", err.msg);
        return err.exit_code;
    }
    s->loop = nk_loop_new(NK_LOOP_DEFAULT, &err);
    if (s->loop == NULL ||
        nk_loop_add(s->loop, s->lfd, NK_EV_READ, on_listener, s, &err) < 0) {
        nk_loop_free(s->loop);
        nk_acceptor_free(&s->acc);
        return nk_fail("fileshare", NULL, &err);
    }
    while (!nk_stop_requested()) {
        if (nk_loop_run_once(s->loop, tick(s), &err) < 0 && errno != EINTR) {
            nk_diag("fileshare", "%s", err.msg);
            break;
        }
    }
    idle_close_all(s);
    nk_loop_free(s->loop);
    nk_acceptor_free(&s->acc);
    atomic_store(&s->stop, 1);
    until = nk_now_ms() + STOP_GRACE_MS;
    while (atomic_load(&s->active) > 0 && nk_now_ms() < until)
        nk_sleep_ms(20);
    return NK_EX_OK;
}

/* --json: what ran, once stopped (the log lines stay on stderr). */
static int
print_summary(const struct srv *s, const char *addr, int status)
{
    struct nk_out o;

    nk_out_init(&o, stdout, NK_OUT_JSON, 0);
    nk_out_str(&o, "root", s->o.root);
    nk_out_str(&o, "address", addr);
    nk_out_int(&o, "max_clients", (int64_t)s->o.max_clients);
    nk_out_int(&o, "status", status);
    return nk_out_finish(&o);
}

/* The listener: the socket systemd passed, or our own. */
static int
fs_listen(struct srv *s, const struct srv_parse *p, struct nk_addr *a,
          struct nk_err *err)
{
    struct nk_listen_opts lo = {.host = p->o.bind,
                                .port = p->o.port,
                                .family = AF_UNSPEC,
                                .socktype = SOCK_STREAM,
                                .backlog = 128,
                                .reuseaddr = 1,
                                .mode = p->mode};

    s->lfd = nk_listen_activated(&lo, p->fdname, NULL, err);
    if (s->lfd < 0 || nk_set_nonblock(s->lfd, 1, err) < 0 ||
        nk_local_addr(s->lfd, a, err) < 0) {
        nk_close(s->lfd);
        s->lfd = -1;
        return -1;
    }
    return 0;
}

/* --inetd: the one connection is stdin (and stdout, the same socket):
 * admitted as if accepted, then served by the same code, in either
 * protocol, HTTP keep-alive included. Over when it is. */
static int
run_inetd(struct srv *s)
{
    struct nk_addr peer;
    struct nk_err err;

    memset(&peer, 0, sizeof peer);
    s->acc.spare = -1;
    (void)nk_peer_addr(0, &peer, NULL); /* "?" in the log if unknown */
    s->loop = nk_loop_new(NK_LOOP_DEFAULT, &err);
    if (s->loop == NULL || nk_set_nonblock(0, 1, &err) < 0) {
        nk_loop_free(s->loop);
        return nk_fail("fileshare", NULL, &err);
    }
    admit(s, 0, &peer);
    /* Nothing wakes the loop when the request's thread ends: look often. */
    while (!nk_stop_requested() &&
           (s->nidle + s->nref > 0 || atomic_load(&s->active) > 0)) {
        int wait = tick(s);
        if (nk_loop_run_once(s->loop, wait < 50 ? wait : 50, &err) < 0 &&
            errno != EINTR)
            break;
    }
    idle_close_all(s);
    nk_loop_free(s->loop);
    atomic_store(&s->stop, 1);
    for (int64_t until = nk_now_ms() + STOP_GRACE_MS;
         atomic_load(&s->active) > 0 && nk_now_ms() < until;)
        nk_sleep_ms(20);
    return NK_EX_OK;
}

int
fileshare_serve(int argc, char **argv, struct nk_ctx *ctx)
{
    struct srv *s;
    struct srv_parse p;
    struct nk_err err;
    struct nk_addr a;
    char addr[NK_ADDRSTRLEN];
    int rc;

    rc = fss_parse_opts(argc, argv, ctx, &p);
    if (rc != 0)
        return rc < 0 ? NK_EX_OK : rc;
    /* inetd makes stderr the connection too: keep diagnostics off it */
    if (p.inetd && nk_inetd_quiet_stderr() < 0)
        return NK_EX_SOFTWARE;
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return NK_EX_SOFTWARE;
    s->o = p.o;
    s->lfd = -1;
    s->root_fd = open(s->o.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->root_fd < 0) {
        nk_err_sys(&err, errno, "root %s", s->o.root);
        nk_diag("fileshare", "%s", err.msg);
        free(s);
        return err.exit_code;
    }
    nk_net_init();
    if ((p.inetd ? nk_inetd_check(SOCK_STREAM, 0, &err)
                 : fs_listen(s, &p, &a, &err)) < 0 ||
        nk_server_stop_install(&err) < 0) {
        nk_diag("fileshare", "%s", err.msg);
        nk_close(s->lfd);
        close(s->root_fd);
        free(s);
        return err.exit_code;
    }
    pthread_mutex_init(&s->mu, NULL);
    if (p.inetd) { /* stdout is the connection: nothing else goes there */
        rc = run_inetd(s);
    } else {
        nk_server_announce("fileshare", &a, addr, sizeof addr);
        rc = fss_run(s);
        nk_close(s->lfd);
        nk_server_stopped("fileshare", NULL);
        if (ctx->json && print_summary(s, addr, rc) < 0)
            rc = NK_EX_SOFTWARE;
    }
    nk_stop_uninstall();
    nk_stop_reset();
    /* A client thread still running after the grace period keeps s. */
    if (atomic_load(&s->active) == 0) {
        close(s->root_fd);
        pthread_mutex_destroy(&s->mu);
        free(s);
    }
    return rc;
}

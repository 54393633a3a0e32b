/* netkit echo-udp serve: the UDP echo service of RFC 862 section 2 ("when
 * a datagram is received, the data from it is sent back in an answering
 * datagram"). Datagrams come in and go out in batches (recvmmsg/sendmmsg
 * on Linux), every call is non-blocking, and a reply that would block is
 * dropped and counted: UDP promises nothing, and waiting for one peer's
 * reply to fit would stall every other peer. --workers N opens N sockets
 * on the same port with SO_REUSEPORT, one thread each; the kernel hashes
 * each peer to one of them, so a peer's replies always leave from the
 * socket it wrote to. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "echo_udp_int.h"
#include "netkit/activate.h"
#include "netkit/evloop.h"
#include "netkit/exitcodes.h"
#include "netkit/fail.h"
#include "netkit/net.h"
#include "netkit/out.h"
#include "netkit/parse.h"
#include "netkit/server.h"
#include "netkit/signals.h"
#include "netkit/udp.h"

#define BATCH 32          /* datagrams per recvmmsg/sendmmsg */
#define ROUNDS 8          /* batches per wake-up before yielding */
#define SOCKBUF (4 << 20) /* asked of SO_RCVBUF/SO_SNDBUF */
#define PEER_SLOTS 4096   /* distinct peers remembered per worker */
#define WAIT_MS 200       /* how often a worker looks at the stop flag */
/* --inetd: inetd's "wait" mode hands us its socket and listens again only
 * once we exit, so we exit after this long without a datagram. */
#define INETD_IDLE_MS 10000
#define MAX_WORKERS 64

struct serve_cfg {
    const char *bind;
    const char *mode; /* a unix:PATH socket file's permissions */
    const char *port;
    int family;
    int workers;
    int batch_flags;
    int quiet;
    int log_ms;
    int inetd;          /* the socket is stdin (inetd wait, Accept=no) */
    const char *fdname; /* of the sockets systemd passed, this one */
};

/* A peer as a compact key: family, port and address bytes. */
struct peer_key {
    uint8_t used;
    uint8_t family;
    uint16_t port;
    uint32_t scope;
    uint8_t addr[16];
};

struct worker {
    int fd;
    int index;
    const struct serve_cfg *cfg;
    const char *cmd;
    struct worker *all; /* worker 0 reads everyone's counters */
    pthread_t thread;
    int started;
    atomic_uint_fast64_t datagrams, bytes, dropped, errors, peers;
    int peers_full;
    struct peer_key *tab;
    uint8_t *bufs;
    struct nk_udp_msg msgs[BATCH];
    int64_t last_err_ms;
    uint64_t quiet_errs; /* errors not logged (rate limit) */
    int failed;
    struct nk_err fail;
};

static atomic_int abort_all; /* a worker failed: everyone stops */

static void
add(atomic_uint_fast64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t
get(atomic_uint_fast64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* Log lines from several threads: flockfile makes nk_diag's several stdio
 * calls one unit, so lines never interleave. */
static void log_line(const struct worker *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
log_line(const struct worker *w, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (w->cfg->quiet)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    flockfile(stderr);
    nk_diag(w->cmd, "%s", msg);
    funlockfile(stderr);
}

static void
peer_key_of(const struct nk_addr *a, struct peer_key *k)
{
    memset(k, 0, sizeof *k);
    k->used = 1;
    k->family = (uint8_t)a->ss.ss_family;
    if (a->ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const void *)&a->ss;
        memcpy(k->addr, &s6->sin6_addr, 16);
        k->port = s6->sin6_port;
        k->scope = s6->sin6_scope_id;
    } else if (a->ss.ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const void *)&a->ss;
        memcpy(k->addr, &s4->sin_addr, 4);
        k->port = s4->sin_port;
    } else if (a->ss.ss_family == AF_UNIX) {
        /* The name's first bytes, and a hash of all of it: an autobound
         * client ("@" and five hex digits) fits whole. */
        const uint8_t *p = (const uint8_t *)&a->ss;
        uint32_t h = 2166136261u;
        size_t off = sizeof(sa_family_t);
        size_t n = a->len > off ? a->len - off : 0;
        memcpy(k->addr, p + off, n < 16 ? n : 16);
        for (size_t i = 0; i < n; i++)
            h = (h ^ p[off + i]) * 16777619u;
        k->scope = h;
    }
}

/* FNV-1a over the key's bytes. */
static uint32_t
peer_hash(const struct peer_key *k)
{
    const uint8_t *p = (const uint8_t *)k;
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < sizeof *k; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

/* 1 when the peer is new (and now remembered), 0 when seen before or the
 * table is full. Open addressing, linear probing; never shrinks. */
static int
peer_first_seen(struct worker *w, const struct nk_addr *a)
{
    struct peer_key k;
    uint32_t h;

    peer_key_of(a, &k);
    h = peer_hash(&k);
    for (uint32_t i = 0; i < PEER_SLOTS; i++) {
        struct peer_key *s = &w->tab[(h + i) % PEER_SLOTS];
        if (!s->used) {
            if (get(&w->peers) >= PEER_SLOTS * 3 / 4)
                break; /* keep probes short: stop remembering */
            *s = k;
            add(&w->peers, 1);
            return 1;
        }
        if (memcmp(s, &k, sizeof k) == 0)
            return 0;
    }
    if (!w->peers_full) {
        w->peers_full = 1;
        log_line(w, "%d peers seen: new peers are no longer logged",
                 PEER_SLOTS * 3 / 4);
    }
    return 0;
}

/* Errors are counted always and logged at most once a second. */
static void
eus_note_error(struct worker *w, const char *what, const struct nk_err *err)
{
    int64_t now = nk_now_ms();

    add(&w->errors, 1);
    if (now - w->last_err_ms < 1000) {
        w->quiet_errs++;
        return;
    }
    w->last_err_ms = now;
    if (w->quiet_errs > 0)
        log_line(w, "%s: %s (and %" PRIu64 " more errors)", what, err->msg,
                 w->quiet_errs);
    else
        log_line(w, "%s: %s", what, err->msg);
    w->quiet_errs = 0;
}

/* Account for a received batch, log new peers, and drop what cannot be
 * echoed whole (a truncated datagram; impossible with 64 KiB buffers, but
 * a partial echo would be a wrong answer). Returns the count to echo. */
static int
eus_take_batch(struct worker *w, int n)
{
    int keep = 0;
    uint64_t bytes = 0;

    for (int i = 0; i < n; i++) {
        struct nk_udp_msg *m = &w->msgs[i];
        bytes += m->len;
        if (peer_first_seen(w, &m->addr) && !w->cfg->quiet) {
            char a[NK_ADDRSTRLEN];
            nk_addr_format((struct sockaddr *)&m->addr.ss, m->addr.len, a,
                           sizeof a);
            log_line(w, "peer %s: first datagram, %zu bytes", a, m->len);
        }
        if (m->truncated) {
            add(&w->dropped, 1);
            continue;
        }
        if (keep != i) { /* swap, so each slot keeps its own buffer */
            struct nk_udp_msg t = w->msgs[keep];
            w->msgs[keep] = *m;
            *m = t;
        }
        keep++;
    }
    add(&w->datagrams, (uint64_t)n);
    add(&w->bytes, bytes);
    return keep;
}

/* Send the batch back to the senders. A full send buffer (EAGAIN) drops
 * the rest of the batch: the socket is shared by every peer, so waiting
 * would stall them all. Any other error drops that one datagram. */
static void
echo_back(struct worker *w, int n)
{
    struct nk_err err;
    int i = 0;

    while (i < n) {
        int r = nk_udp_send_batch(w->fd, w->msgs + i, n - i,
                                  w->cfg->batch_flags, &err);
        if (r > 0) {
            i += r;
            continue;
        }
        if (err.sys_errno == EAGAIN) {
            add(&w->dropped, (uint64_t)(n - i));
            return;
        }
        add(&w->dropped, 1);
        eus_note_error(w, "echo", &err);
        i++;
    }
}

static void
eus_on_readable(struct nk_loop *loop, int fd, unsigned events, void *arg)
{
    struct worker *w = arg;
    struct nk_err err;

    (void)loop;
    (void)events;
    /* Level-triggered: a few batches, then back to the loop (which calls
     * again if more is queued), so the stop flag is seen under load. */
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < BATCH; i++)
            w->msgs[i].cap = NK_UDP_BUFSIZE;
        int n =
            nk_udp_recv_batch(fd, w->msgs, BATCH, w->cfg->batch_flags, &err);
        if (n < 0) {
            if (err.sys_errno != EAGAIN)
                eus_note_error(w, "receive", &err);
            return;
        }
        int keep = eus_take_batch(w, n);
        if (keep > 0)
            echo_back(w, keep);
        if (n < BATCH)
            return;
    }
}

struct totals {
    uint64_t datagrams, bytes, dropped, errors, peers;
};

static void
sum_totals(struct worker *all, int n, struct totals *t)
{
    memset(t, 0, sizeof *t);
    for (int i = 0; i < n; i++) {
        t->datagrams += get(&all[i].datagrams);
        t->bytes += get(&all[i].bytes);
        t->dropped += get(&all[i].dropped);
        t->errors += get(&all[i].errors);
        t->peers += get(&all[i].peers);
    }
}

/* Worker 0 logs a summary each interval in which something arrived. */
static void
maybe_summary(struct worker *w, int64_t *next_ms, struct totals *last)
{
    struct totals t;
    int64_t now = nk_now_ms();
    double secs = w->cfg->log_ms / 1000.0;

    if (w->cfg->log_ms <= 0 || now < *next_ms)
        return;
    *next_ms = now + w->cfg->log_ms;
    sum_totals(w->all, w->cfg->workers, &t);
    if (t.datagrams == last->datagrams && t.errors == last->errors)
        return;
    log_line(w,
             "last %g s: %" PRIu64 " datagrams (%.0f/s), %" PRIu64
             " bytes, %" PRIu64 " dropped; %" PRIu64 " peers in all",
             secs, t.datagrams - last->datagrams,
             (double)(t.datagrams - last->datagrams) / secs,
             t.bytes - last->bytes, t.dropped - last->dropped, t.peers);
    *last = t;
}

static int
wait_ms(const struct worker *w, int64_t next_ms)
{
    int64_t left;

    if (w->index != 0 || w->cfg->log_ms <= 0)
        return WAIT_MS;
    left = next_ms - nk_now_ms();
    return left < 0 ? 0 : left > WAIT_MS ? WAIT_MS : (int)left;
}

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    struct nk_loop *loop = nk_loop_new(NK_LOOP_DEFAULT, &w->fail);
    struct totals last;
    int64_t next_ms = nk_now_ms() + w->cfg->log_ms;
    int64_t idle_since = nk_now_ms();
    uint64_t seen = 0;

    memset(&last, 0, sizeof last);
    if (loop == NULL ||
        nk_loop_add(loop, w->fd, NK_EV_READ, eus_on_readable, w, &w->fail) < 0)
        goto fail;
    while (!nk_stop_requested() && !atomic_load(&abort_all)) {
        if (nk_loop_run_once(loop, wait_ms(w, next_ms), &w->fail) < 0)
            goto fail;
        if (w->index == 0)
            maybe_summary(w, &next_ms, &last);
        if (w->cfg->inetd && get(&w->datagrams) != seen) {
            seen = get(&w->datagrams);
            idle_since = nk_now_ms();
        } else if (w->cfg->inetd && nk_now_ms() - idle_since >= INETD_IDLE_MS)
            break; /* inetd takes its socket back */
    }
    nk_loop_free(loop);
    return NULL;
fail:
    w->failed = 1;
    atomic_store(&abort_all, 1);
    nk_loop_free(loop);
    return NULL;
}

/* Bound to a wildcard, the socket takes datagrams for every local
 * address, but a plain sendto picks the reply's source by routing: a
 * request to 127.0.0.2 would be answered from 127.0.0.1, and a client
 * that checks the source (every connected UDP socket does) never sees
 * it. So each datagram's destination is read (IP_PKTINFO) and used as the
 * reply's source, as RFC 1122 4.1.3.5 asks of UDP servers. */
static int
want_pktinfo(int fd, struct nk_err *err)
{
    struct nk_addr a;

    if (nk_local_addr(fd, &a, err) < 0)
        return -1;
    if (!nk_addr_wildcard(&a)) /* a passed socket may be bound to one */
        return 0;
    return nk_udp_pktinfo(fd, a.ss.ss_family, err);
}

/* One socket; with several workers every one sets SO_REUSEPORT and binds
 * the port the first one got (port 0 picks it once). */
static int
eus_open_socket(const struct serve_cfg *cfg, const char *port,
                struct nk_err *err)
{
    struct nk_listen_opts o;
    int fd, rcv = 0, snd = 0;

    memset(&o, 0, sizeof o);
    o.host = cfg->bind;
    o.port = port;
    o.family = cfg->family;
    o.socktype = SOCK_DGRAM;
    o.mode = cfg->mode;
    /* No SO_REUSEADDR: for UDP on Linux it lets a second server bind the
     * same port, silently, and only one of them gets the datagrams. */
    o.reuseport = cfg->workers > 1;
    /* The first socket of a group checks no one holds the port: any
     * socket of ours with SO_REUSEPORT could join someone's group. */
    if (port == cfg->port && o.reuseport && nk_port_free(&o, err) < 0)
        return -1;
    if (cfg->inetd) /* the socket inetd bound, on stdin */
        fd = nk_inetd_check(SOCK_DGRAM, 0, err) < 0 ? -1 : 0;
    else
        fd = nk_listen_activated(&o, cfg->fdname, NULL, err);
    if (fd < 0)
        return -1;
    /* The default 208 KiB receive buffer holds three 64 KiB datagrams;
     * bursts from many peers need room, or the kernel drops them before
     * we ever see them (counted only in /proc/net/snmp). */
    if (nk_udp_set_buffers(fd, SOCKBUF, &rcv, &snd, err) < 0 ||
        nk_set_nonblock(fd, 1, err) < 0 || want_pktinfo(fd, err) < 0) {
        nk_close(fd);
        return -1;
    }
    return fd;
}

static int
open_all(struct worker *ws, const struct serve_cfg *cfg, struct nk_addr *at,
         struct nk_err *err)
{
    char port[16];

    ws[0].fd = eus_open_socket(cfg, cfg->port, err);
    if (ws[0].fd < 0 || nk_local_addr(ws[0].fd, at, err) < 0)
        return -1;
    snprintf(port, sizeof port, "%d",
             nk_addr_port((struct sockaddr *)&at->ss));
    for (int i = 1; i < cfg->workers; i++) {
        ws[i].fd = eus_open_socket(cfg, port, err);
        if (ws[i].fd < 0)
            return -1;
    }
    return 0;
}

static int
init_workers(struct worker *ws, const struct serve_cfg *cfg, const char *cmd,
             struct nk_err *err)
{
    for (int i = 0; i < cfg->workers; i++) {
        struct worker *w = &ws[i];
        w->fd = -1;
        w->index = i;
        w->cfg = cfg;
        w->cmd = cmd;
        w->all = ws;
        w->last_err_ms = -1000000;
        w->tab = calloc(PEER_SLOTS, sizeof *w->tab);
        w->bufs = malloc((size_t)BATCH * NK_UDP_BUFSIZE);
        if (w->tab == NULL || w->bufs == NULL)
            return nk_err_sys(err, ENOMEM, "worker buffers");
        for (int j = 0; j < BATCH; j++) {
            w->msgs[j].buf = w->bufs + (size_t)j * NK_UDP_BUFSIZE;
            w->msgs[j].cap = NK_UDP_BUFSIZE;
        }
    }
    return 0;
}

static void
free_workers(struct worker *ws, int n)
{
    for (int i = 0; i < n; i++) {
        nk_close(ws[i].fd);
        free(ws[i].tab);
        free(ws[i].bufs);
    }
    free(ws);
}

/* Threads 1..N-1 with SIGINT/SIGTERM blocked, so the signal lands in the
 * main thread (worker 0) and ends its wait at once; the others see the
 * flag within WAIT_MS. */
static int
start_threads(struct worker *ws, int n, struct nk_err *err)
{
    sigset_t block, old;
    int rc = 0;

    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    for (int i = 1; i < n && rc == 0; i++) {
        rc = pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]);
        if (rc == 0)
            ws[i].started = 1;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return nk_err_sys(err, rc, "start worker thread");
    return 0;
}

static int
join_threads(struct worker *ws, int n, struct nk_err *err)
{
    int failed = 0;

    for (int i = 1; i < n; i++)
        if (ws[i].started)
            pthread_join(ws[i].thread, NULL);
    for (int i = 0; i < n; i++) {
        if (ws[i].failed && !failed) {
            *err = ws[i].fail;
            failed = 1;
        }
    }
    return failed ? -1 : 0;
}

static void
print_totals(const struct nk_ctx *ctx, const struct serve_cfg *cfg,
             const char *where, const struct totals *t)
{
    struct nk_out o;

    if (!cfg->quiet)
        nk_server_stopped(ctx->cmd->name,
                          "%" PRIu64 " datagrams, %" PRIu64 " bytes, %" PRIu64
                          " dropped, %" PRIu64 " peers",
                          t->datagrams, t->bytes, t->dropped, t->peers);
    else
        nk_unix_cleanup(); /* what nk_server_stopped does first */
    if (cfg->inetd)
        return; /* stdout is the socket */
    nk_out_init(&o, stdout, ctx->json ? NK_OUT_JSON : NK_OUT_TEXT, ctx->color);
    nk_out_str(&o, "address", where);
    nk_out_int(&o, "workers", cfg->workers);
    nk_out_str(&o, "batch", cfg->batch_flags ? "none" : "mmsg");
    nk_out_uint(&o, "datagrams", t->datagrams);
    nk_out_uint(&o, "bytes", t->bytes);
    nk_out_uint(&o, "echoed", t->datagrams - t->dropped);
    nk_out_uint(&o, "dropped", t->dropped);
    nk_out_uint(&o, "errors", t->errors);
    nk_out_uint(&o, "peers", t->peers);
    nk_out_finish(&o);
}

static int
eus_serve(const struct nk_ctx *ctx, const struct serve_cfg *cfg)
{
    const char *cmd = ctx->cmd->name;
    struct worker *ws = calloc((size_t)cfg->workers, sizeof *ws);
    struct nk_addr at;
    struct nk_err err;
    struct totals t;
    char where[NK_ADDRSTRLEN];
    int rc = NK_EX_OK;

    if (ws == NULL) {
        nk_diag(cmd, "out of memory");
        return NK_EX_SOFTWARE;
    }
    /* inetd makes stderr the socket too: diagnostics must not reach it */
    if (cfg->inetd && nk_inetd_quiet_stderr() < 0) {
        free(ws);
        return NK_EX_SOFTWARE;
    }
    nk_net_init();
    atomic_store(&abort_all, 0);
    if (init_workers(ws, cfg, cmd, &err) < 0 ||
        open_all(ws, cfg, &at, &err) < 0 || nk_server_stop_install(&err) < 0) {
        free_workers(ws, cfg->workers);
        return nk_fail(cmd, NULL, &err);
    }
    nk_server_announce(cmd, &at, where, sizeof where);
    if (start_threads(ws, cfg->workers, &err) < 0) {
        nk_diag(cmd, "%s", err.msg);
        atomic_store(&abort_all, 1);
        rc = NK_EX_SOFTWARE;
    } else {
        worker_main(&ws[0]);
    }
    atomic_store(&abort_all, 1); /* worker 0 stopped: so do the others */
    if (join_threads(ws, cfg->workers, &err) < 0 && rc == NK_EX_OK) {
        rc = nk_fail(cmd, NULL, &err);
    }
    sum_totals(ws, cfg->workers, &t);
    print_totals(ctx, cfg, where, &t);
    /* The stop handlers stay until the process ends: a second SIGTERM
     * during shutdown (timeout(1) and process-group signals send one) must
     * not turn a clean exit into a death by signal. */
    free_workers(ws, cfg->workers);
    return rc;
}

static const struct nk_optdef serve_optdefs[] = {
    NK_OPT('p', "port", NK_OPT_PORTSTR, struct serve_cfg, port, 0, 0, "P",
           "port to listen on (0: any free port)"),
    NK_OPT('b', "bind", NK_OPT_STRING, struct serve_cfg, bind, 0, 0, "ADDR",
           "address to bind (default: every address);\n"
           "unix:PATH or unix:@NAME for a Unix socket"),
    NK_OPT_MODE(struct serve_cfg, mode),
    NK_OPT_IPV46(struct serve_cfg, family),
    NK_OPT('w', "workers", NK_OPT_INT, struct serve_cfg, workers, 1,
           MAX_WORKERS, "N",
           "N sockets with SO_REUSEPORT, one thread each\n"
           "(default 1; 1-64)"),
    NK_OPT(0, "no-batch", NK_OPT_SET, struct serve_cfg, batch_flags,
           NK_UDP_NO_MMSG, 0, NULL,
           "one recvmsg/sendmsg per datagram (to compare)"),
    NK_OPT('q', "quiet", NK_OPT_FLAG, struct serve_cfg, quiet, 0, 0, NULL,
           "no log lines (the listening line stays)"),
    NK_OPT(0, "log-interval", NK_OPT_SECONDS, struct serve_cfg, log_ms, 0,
           INT_MAX, "S", "seconds between summaries (default 10; 0: off)"),
    NK_OPT_INETD(struct serve_cfg, inetd,
                 "inetd mode (wait): echo the datagrams that come\n"
                 "to the socket on stdin; exit after 10 s without\n"
                 "one"),
    NK_OPT_FDNAME(struct serve_cfg, fdname),
    NK_OPT_JSON_DEF("totals as one JSON document"),
    NK_OPT_HELP_DEF,
    NK_OPT_END,
};

const struct nk_optspec echo_udp_serve_spec = {
    "usage: netkit echo-udp serve --port P [--bind ADDR] [-4|-6]\n"
    "       netkit echo-udp serve --bind unix:PATH [--mode MODE] [...]\n"
    "                             [--workers N] [--no-batch] [--quiet]\n"
    "                             [--log-interval S] [--json]\n"
    "       netkit echo-udp serve --inetd [--quiet]\n"
    "\n"
    "Echo each datagram back to its sender (RFC 862), any size up to 65507\n"
    "bytes (65527 over IPv6). Datagrams are received and sent in batches\n"
    "(recvmmsg/sendmmsg on Linux); no call ever blocks, and a reply that\n"
    "would block is dropped and counted. Without --bind the socket is\n"
    "dual-stack ([::], IPv4 peers as ::ffff:a.b.c.d). Logs each new peer\n"
    "and a summary every --log-interval seconds on stderr; SIGINT/SIGTERM\n"
    "print the totals and exit 0. Under systemd socket activation\n"
    "(LISTEN_PID is this process) the datagram socket passed is served:\n"
    "no --port, and --port, --bind, -4, -6 are ignored.\n"
    "\n",
    serve_optdefs,
    "examples:\n"
    "  netkit echo-udp serve --port 9999\n"
    "  netkit echo-udp serve --port 9999 --bind 127.0.0.1 --workers 2\n"
    "  netkit echo-udp serve --bind unix:@echo\n",
    0, NULL};

int
echo_udp_serve(int argc, char **argv, struct nk_ctx *ctx)
{
    struct serve_cfg cfg = {NULL, NULL, NULL,  AF_UNSPEC, 1,
                            0,    0,    10000, 0,         NULL};
    struct nk_err err;
    int rc = nk_opt_parse(ctx, &echo_udp_serve_spec, argc, argv, &cfg);

    if (rc != NK_OPT_GO)
        return rc;
    if (optind < argc)
        return nk_usage_error(ctx, "serve takes no arguments ('%s')",
                              argv[optind]);
    if (nk_host_is_unix(cfg.bind) && cfg.workers > 1)
        return nk_usage_error(ctx, "--workers: a unix: socket is one "
                                   "socket; leave --workers out");
    /* A passed socket (or stdin's) is one socket and needs no port. */
    if ((cfg.inetd || nk_activation_passed(&err) != 0) && cfg.workers > 1)
        return nk_usage_error(ctx, "--workers: a socket passed by systemd "
                                   "or inetd is one socket; leave "
                                   "--workers out");
    if (cfg.port == NULL && !nk_host_is_unix(cfg.bind) && !cfg.inetd &&
        nk_activation_passed(&err) == 0)
        return nk_usage_error(ctx, "--port is required (0 picks one)");
    return eus_serve(ctx, &cfg);
}

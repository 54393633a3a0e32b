/* netkit echo-tcp bench: a load generator for TCP echo servers. N
 * connections, each keeping K requests of --size bytes in flight, driven by
 * the shared event loop (one per thread) on non-blocking sockets, for
 * --duration seconds. It reports requests/s, MB/s, latency percentiles and
 * every byte that came back wrong.
 *
 * Verification costs no buffering: connection c's byte stream is a fixed
 * pseudo-random pattern read from offset base(c), so the byte expected at
 * stream offset o is pattern[(base + o) % PAT_LEN]. The pattern length is
 * prime, so an echo that drops, repeats, reorders or swaps bytes between
 * connections shows up as a difference. Requests are back to back in the
 * stream: request i is stream bytes [i*size, (i+1)*size), and since TCP
 * keeps order its echo is complete when that many bytes have come back. */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_tcp_int.h"
#include "netkit/clock.h"
#include "netkit/err.h"
#include "netkit/evloop.h"
#include "netkit/exitcodes.h"
#include "netkit/fail.h"
#include "netkit/loadgen.h"
#include "netkit/net.h"
#include "netkit/out.h"
#include "netkit/peer.h"
#include "netkit/parse.h"
#include "netkit/signals.h"
#include "netkit/stats.h"

#define PAT_LEN 65521u        /* prime */
#define IO_CHUNK (256 * 1024) /* largest single send or receive */
#define MAX_CONNS 100000
#define MAX_SIZE (16 * 1024 * 1024)
#define MAX_PIPELINE 1024
#define MAX_THREADS 64
#define MAX_DURATION_MS (3600 * 1000)
#define RESERVOIR 200000 /* latency samples kept for the percentiles */
#define TICK_MS 100      /* longest wait: the deadline and Ctrl-C are seen */
/* The connect phase is bounded too: past this (plus one --timeout) the
 * connections not yet opened count as errors. */
#define CONNECT_PHASE_MS 30000
/* After the deadline, how long the requests in flight may take to come
 * back before the connections are closed anyway. */
#define DRAIN_MS 1000

struct bench_opts {
    struct nk_peer to;
    uint64_t conns, size, pipeline, threads;
    int duration_ms, timeout_ms;
};

struct worker;

struct bconn {
    int fd;
    struct worker *w;
    uint64_t base;         /* pattern offset of stream byte 0 */
    uint64_t sent, target; /* stream bytes sent, and queued to send */
    uint64_t recvd;        /* stream bytes back and checked */
    uint64_t queued, done; /* requests */
    int64_t *t0;           /* queue time of requests in flight (ring) */
    int bad;               /* the request being received differs */
    int writing;           /* NK_EV_WRITE asked for */
};

struct worker {
    pthread_t tid;
    const struct bench_opts *opt;
    const unsigned char *pat;
    struct nk_loop *loop;
    struct bconn *c;
    size_t nc, alive;
    unsigned char *rbuf;
    int64_t start_us, deadline_us, end_us;
    uint64_t requests, mismatches, errors, bytes_sent, bytes_recv;
    uint64_t queued;                    /* requests put in the stream */
    uint64_t inflight;                  /* requests queued and not yet back */
    uint64_t sent_at_end, recv_at_end;  /* bytes at the deadline */
    int ended;                          /* the *_at_end figures are taken */
    atomic_uint_fast64_t progress;      /* requests, for the progress line */
    atomic_uint_fast64_t progress_sent; /* requests queued, for it too */
    atomic_int finished;
    struct nk_stats lat;
    char first_err[NK_ERR_MSG];
};

/* The pattern, followed by its first IO_CHUNK bytes again, so any run of
 * up to IO_CHUNK bytes from any offset is contiguous in memory. */
static unsigned char *
make_pattern(void)
{
    unsigned char *p = malloc(PAT_LEN + IO_CHUNK);
    uint64_t x = 0x9e3779b97f4a7c15u;

    if (p == NULL)
        return NULL;
    for (size_t i = 0; i < PAT_LEN; i++) {
        x ^= x << 13; /* xorshift64 */
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (unsigned char)(x >> 24);
    }
    for (size_t i = 0; i < IO_CHUNK; i++)
        p[PAT_LEN + i] = p[i % PAT_LEN];
    return p;
}

static const unsigned char *
pat_at(const struct bconn *c, uint64_t off)
{
    return c->w->pat + (c->base + off) % PAT_LEN;
}

static void
note_error(struct worker *w, const char *fmt, int errnum)
{
    struct nk_err err;

    w->errors++;
    if (w->first_err[0] != '\0')
        return;
    if (errnum)
        nk_err_sys(&err, errnum, "%s", fmt);
    else
        nk_err_set(&err, NK_EX_IOERR, "%s", fmt);
    snprintf(w->first_err, sizeof w->first_err, "%s", err.msg);
}

static void
conn_close(struct bconn *c)
{
    if (c->fd < 0)
        return;
    nk_loop_del(c->w->loop, c->fd);
    nk_close(c->fd);
    c->fd = -1;
    c->w->alive--;
    c->w->inflight -= c->queued - c->done;
}

static void
conn_fail(struct bconn *c, const char *what, int errnum)
{
    note_error(c->w, what, errnum);
    conn_close(c);
}

/* Put one more request in the stream: its bytes go out with the next send,
 * its clock starts now. */
static void
queue_request(struct bconn *c, int64_t now)
{
    c->t0[c->queued % c->w->opt->pipeline] = now;
    c->queued++;
    c->target += c->w->opt->size;
    c->w->queued++;
    c->w->inflight++;
}

/* Send what is queued until done or the socket is full; ask the loop for
 * WRITE only while something is left. 0, or -1 when the connection died. */
static int
conn_write(struct bconn *c)
{
    struct nk_err err;
    unsigned want;

    while (c->sent < c->target) {
        uint64_t left = c->target - c->sent;
        size_t len = left < IO_CHUNK ? (size_t)left : IO_CHUNK;
        ssize_t n = nk_send_nb(c->fd, pat_at(c, c->sent), len);
        if (n == NK_IO_AGAIN)
            break;
        if (n < 0) {
            conn_fail(c, "send", errno);
            return -1;
        }
        c->sent += (uint64_t)n;
        c->w->bytes_sent += (uint64_t)n;
    }
    want = c->sent < c->target;
    if ((int)want != c->writing) {
        c->writing = (int)want;
        if (nk_loop_mod(c->w->loop, c->fd,
                        NK_EV_READ | (want ? NK_EV_WRITE : 0), &err) < 0) {
            conn_fail(c, "event loop", err.sys_errno);
            return -1;
        }
    }
    return 0;
}

/* The last byte of request `done` came back: its latency, its verdict,
 * and (before the deadline) the next request in its place. */
static void
complete(struct bconn *c, int64_t now)
{
    struct worker *w = c->w;
    int64_t t0 = c->t0[c->done % w->opt->pipeline];

    w->mismatches += c->bad != 0;
    c->bad = 0;
    c->done++;
    w->inflight--;
    if (now >= w->deadline_us)
        return; /* drained after the end: checked, not counted */
    (void)nk_stats_add(&w->lat, (double)(now - t0), NULL);
    w->requests++;
    queue_request(c, now);
}

/* Check n received bytes against the pattern, request by request. */
static void
check_bytes(struct bconn *c, const unsigned char *p, size_t n, int64_t now)
{
    uint64_t size = c->w->opt->size;

    while (n > 0) {
        uint64_t end = (c->done + 1) * size;
        size_t len = end - c->recvd < n ? (size_t)(end - c->recvd) : n;
        if (memcmp(pat_at(c, c->recvd), p, len) != 0)
            c->bad = 1;
        c->recvd += len;
        c->w->bytes_recv += len;
        p += len;
        n -= len;
        if (c->recvd == end)
            complete(c, now);
    }
}

static int
conn_read(struct bconn *c)
{
    ssize_t n = nk_recv_nb(c->fd, c->w->rbuf, IO_CHUNK);

    if (n == NK_IO_AGAIN)
        return 0;
    if (n < 0) {
        conn_fail(c, "receive", errno);
        return -1;
    }
    if (n == 0) {
        conn_fail(c, "receive: the server closed the connection", 0);
        return -1;
    }
    if (c->recvd + (uint64_t)n > c->sent) {
        /* More came back than went out: no request can account for it. */
        c->w->mismatches++;
        conn_fail(c, "receive: the server sent more than it was sent", 0);
        return -1;
    }
    check_bytes(c, c->w->rbuf, (size_t)n, nk_now_us());
    return 0;
}

static void
on_conn(struct nk_loop *loop, int fd, unsigned events, void *arg)
{
    struct bconn *c = arg;

    (void)loop;
    (void)fd;
    if ((events & (NK_EV_READ | NK_EV_ERROR)) && conn_read(c) < 0)
        return;
    if (c->sent < c->target)
        (void)conn_write(c);
}

/* ---- workers ---- */

static void
worker_start_conns(struct worker *w, int64_t start)
{
    struct nk_err err;

    for (size_t i = 0; i < w->nc; i++) {
        struct bconn *c = &w->c[i];
        if (c->fd < 0)
            continue;
        if (nk_loop_add(w->loop, c->fd, NK_EV_READ, on_conn, c, &err) < 0) {
            note_error(w, "event loop", err.sys_errno);
            nk_close(c->fd);
            c->fd = -1;
            w->alive--;
            continue;
        }
        for (uint64_t k = 0; k < w->opt->pipeline; k++)
            queue_request(c, start);
        (void)conn_write(c);
    }
}

/* The figures of the send phase, taken when it ends (what drains after
 * is checked, not counted). */
static void
mark_end(struct worker *w, int64_t now)
{
    if (w->ended)
        return;
    w->ended = 1;
    w->end_us = now;
    w->sent_at_end = w->bytes_sent;
    w->recv_at_end = w->bytes_recv;
}

/* Requests go out as answers come in (complete()); once sending stops,
 * the run drains what is in flight. */
static void
tcp_bench_tend(void *arg, int64_t now, int sending)
{
    if (!sending)
        mark_end(arg, now);
}

/* Drained: nothing in flight, or no connection left to drain. */
static int
tcp_bench_settled(void *arg)
{
    const struct worker *w = arg;

    return w->alive == 0 || w->inflight == 0;
}

static int64_t
tcp_bench_max_wait(void *arg)
{
    (void)arg;
    return (int64_t)TICK_MS * 1000;
}

/* Every connection gone or the loop failing ends the run at once. */
static int
bench_wait(void *arg, int timeout_ms, struct nk_err *err)
{
    struct worker *w = arg;

    if (w->alive == 0)
        return 1;
    if (nk_loop_run_once(w->loop, timeout_ms, err) < 0) {
        note_error(w, "event loop", err->sys_errno);
        return 1;
    }
    atomic_store_explicit(&w->progress, w->requests, memory_order_relaxed);
    atomic_store_explicit(&w->progress_sent, w->queued, memory_order_relaxed);
    return 0;
}

static const struct nk_loadgen_ops bench_ops = {
    tcp_bench_tend, tcp_bench_settled, tcp_bench_max_wait, bench_wait};

/* After the deadline the requests in flight may come back (for DRAIN_MS)
 * before closing, so the server sees a clean end of stream rather than a
 * reset for unread data. The main thread draws the live line. */
static void *
worker_run(void *arg)
{
    struct worker *w = arg;
    struct nk_loadgen lg;
    struct nk_err err;
    int64_t sent_for;

    nk_loadgen_init(&lg, NULL, NULL, w->opt->duration_ms, DRAIN_MS, 0);
    worker_start_conns(w, nk_now_us());
    sent_for = nk_loadgen_loop(&lg, w->start_us, &bench_ops, w, w, &err);
    mark_end(w, w->start_us + (sent_for > 0 ? sent_for : 0));
    atomic_store(&w->finished, 1);
    return NULL;
}

/* ---- connecting ---- */

/* One address: a connected, non-blocking socket without Nagle's delay
 * (small requests must leave at once), or -1 with *err. */
static int
try_addr(const struct addrinfo *p, int timeout_ms, struct nk_err *err)
{
    int fd = nk_socket(p->ai_family, p->ai_socktype, err);

    if (fd < 0)
        return -1;
    if (nk_connect_addr(fd, p->ai_addr, p->ai_addrlen, timeout_ms, err) < 0 ||
        nk_set_nonblock(fd, 1, err) < 0) {
        nk_close(fd);
        return -1;
    }
    (void)nk_sockopt_set_int(fd, NK_SOCKOPT(IPPROTO_TCP, TCP_NODELAY), 1,
                             NULL);
    return fd;
}

/* Try the address that worked last time first, then every other one in
 * resolver order (localhost may list ::1 first while the server has only
 * 127.0.0.1): the cost of a refused address is paid once, not per
 * connection. */
static int
tcp_bench_open_conn(struct addrinfo *ai, struct addrinfo **good,
                    int timeout_ms, struct nk_err *err)
{
    int fd;

    if (*good != NULL && (fd = try_addr(*good, timeout_ms, err)) >= 0)
        return fd;
    for (struct addrinfo *p = ai; p != NULL; p = p->ai_next) {
        if (p == *good)
            continue;
        if ((fd = try_addr(p, timeout_ms, err)) >= 0) {
            *good = p;
            return fd;
        }
    }
    return -1;
}

/* Raise the soft descriptor limit toward the hard one when many
 * connections are asked for (the default soft limit is often 1024). */
static void
raise_nofile(uint64_t want)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want
                      ? (rlim_t)want
                      : rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
}

struct run {
    struct worker *w;
    size_t nw;
    struct bconn *conns;
    size_t nconns;
    int64_t *times;
    unsigned char *pat;
    uint64_t connected;
    struct nk_err conn_err; /* the first connect failure */
    uint64_t conn_failed;
    struct nk_addr peer;
    int have_peer;
};

static int
connect_all(struct run *r, const struct bench_opts *opt, struct nk_err *err)
{
    struct addrinfo *ai, *good = NULL;
    int64_t give_up =
        nk_now_us() + ((int64_t)CONNECT_PHASE_MS + opt->timeout_ms) * 1000;

    if (nk_resolve(opt->to.host, opt->to.port, opt->to.family, SOCK_STREAM, 0,
                   &ai, err) < 0)
        return -1;
    raise_nofile(opt->conns + 64);
    for (uint64_t i = 0; i < opt->conns; i++) {
        struct bconn *c = &r->conns[i];
        struct nk_err e;
        if (nk_now_us() > give_up) {
            nk_err_set(&e, NK_EX_TEMPFAIL,
                       "connect: gave up after %d s with %llu connections "
                       "not tried",
                       CONNECT_PHASE_MS / 1000 + opt->timeout_ms / 1000,
                       (unsigned long long)(opt->conns - i));
            if (r->conn_failed == 0)
                r->conn_err = e;
            r->conn_failed += opt->conns - i;
            break;
        }
        c->fd = tcp_bench_open_conn(ai, &good, opt->timeout_ms, &e);
        if (c->fd < 0) {
            if (r->conn_failed++ == 0)
                r->conn_err = e;
            continue;
        }
        if (!r->have_peer) {
            nk_addr_set(&r->peer, good->ai_addr, good->ai_addrlen);
            r->have_peer = 1;
        }
        r->connected++;
    }
    nk_resolve_free(ai);
    return 0;
}

static int
setup(struct run *r, const struct bench_opts *opt, struct nk_err *err)
{
    r->nw = (size_t)opt->threads;
    r->w = calloc(r->nw, sizeof *r->w);
    r->conns = calloc((size_t)opt->conns, sizeof *r->conns);
    r->times = calloc((size_t)(opt->conns * opt->pipeline), sizeof(int64_t));
    r->pat = make_pattern();
    if (!r->w || !r->conns || !r->times || !r->pat)
        return nk_err_sys(err, ENOMEM, "allocate %llu connections",
                          (unsigned long long)opt->conns);
    r->nconns = (size_t)opt->conns;
    for (uint64_t i = 0; i < opt->conns; i++) {
        r->conns[i].fd = -1;
        r->conns[i].t0 = r->times + i * opt->pipeline;
        r->conns[i].base = (i * 4099u) % PAT_LEN;
    }
    for (size_t i = 0; i < r->nw; i++) {
        struct worker *w = &r->w[i];
        w->opt = opt;
        w->pat = r->pat;
        atomic_init(&w->progress, 0);
        atomic_init(&w->progress_sent, 0);
        atomic_init(&w->finished, 0);
        nk_stats_init(&w->lat, RESERVOIR / r->nw + 1);
        w->rbuf = malloc(IO_CHUNK);
        w->loop = nk_loop_new(NK_LOOP_DEFAULT, err);
        if (w->rbuf == NULL || w->loop == NULL)
            return w->loop ? nk_err_sys(err, ENOMEM, "allocate buffers") : -1;
    }
    return 0;
}

/* Give each worker a contiguous share of the connections. */
static void
share_conns(struct run *r, const struct bench_opts *opt)
{
    size_t per = (size_t)opt->conns / r->nw,
           extra = (size_t)opt->conns % r->nw;
    size_t at = 0;

    for (size_t i = 0; i < r->nw; i++) {
        struct worker *w = &r->w[i];
        w->c = r->conns + at;
        w->nc = per + (i < extra);
        at += w->nc;
        for (size_t j = 0; j < w->nc; j++) {
            w->c[j].w = w;
            w->alive += w->c[j].fd >= 0;
        }
    }
}

static void
teardown(struct run *r)
{
    for (size_t i = 0; i < r->nconns; i++)
        nk_close(r->conns[i].fd); /* the loops are freed next: no del */
    for (size_t i = 0; r->w && i < r->nw; i++) {
        struct worker *w = &r->w[i];
        nk_loop_free(w->loop);
        nk_stats_free(&w->lat);
        free(w->rbuf);
    }
    free(r->w);
    free(r->conns);
    free(r->times);
    free(r->pat);
}

/* ---- running and reporting ---- */

/* The live line's counters, from every worker. */
static void
progress_counts(const struct run *r, uint64_t *sent, uint64_t *done)
{
    *sent = *done = 0;
    for (size_t i = 0; i < r->nw; i++) {
        *sent +=
            atomic_load_explicit(&r->w[i].progress_sent, memory_order_relaxed);
        *done += atomic_load_explicit(&r->w[i].progress, memory_order_relaxed);
    }
}

static int
all_finished(const struct run *r)
{
    for (size_t i = 0; i < r->nw; i++)
        if (!atomic_load(&r->w[i].finished))
            return 0;
    return 1;
}

static int
run_workers(struct run *r, const struct bench_opts *opt, struct nk_err *err)
{
    struct nk_loadgen lg;
    int64_t start = nk_now_us();
    size_t started = 0;

    nk_loadgen_init(&lg, "netkit echo-tcp bench", "echoed", opt->duration_ms,
                    DRAIN_MS, 1);
    nk_loadgen_start(&lg, start);
    for (size_t i = 0; i < r->nw; i++) {
        r->w[i].start_us = start;
        r->w[i].deadline_us = start + (int64_t)opt->duration_ms * 1000;
    }
    for (; started < r->nw; started++)
        if (pthread_create(&r->w[started].tid, NULL, worker_run,
                           &r->w[started]) != 0)
            break;
    while (started == r->nw && !all_finished(r)) {
        uint64_t sent, done;
        (void)nk_sleep_ms(TICK_MS);
        if (nk_loadgen_show_due(&lg)) {
            progress_counts(r, &sent, &done);
            nk_loadgen_show(&lg, nk_now_us(), sent, done);
        }
    }
    for (size_t i = 0; i < started; i++)
        pthread_join(r->w[i].tid, NULL);
    nk_loadgen_end(&lg);
    if (started < r->nw)
        return nk_err_sys(err, EAGAIN, "start thread %zu", started + 1);
    return 0;
}

struct totals {
    uint64_t requests, mismatches, errors, bytes_sent, bytes_recv;
    double secs;
    struct nk_stats lat;
    const char *first_err;
};

static void
sum_up(struct run *r, struct totals *t)
{
    int64_t end = 0;

    memset(t, 0, sizeof *t);
    nk_stats_init(&t->lat, RESERVOIR);
    t->errors = r->conn_failed;
    if (r->conn_failed)
        t->first_err = r->conn_err.msg;
    for (size_t i = 0; i < r->nw; i++) {
        struct worker *w = &r->w[i];
        t->requests += w->requests;
        t->mismatches += w->mismatches;
        t->errors += w->errors;
        t->bytes_sent += w->sent_at_end;
        t->bytes_recv += w->recv_at_end;
        (void)nk_stats_merge(&t->lat, &w->lat, NULL);
        if (w->end_us > end)
            end = w->end_us;
        if (t->first_err == NULL && w->first_err[0])
            t->first_err = w->first_err;
    }
    t->secs = r->nw && end > r->w[0].start_us
                  ? (double)(end - r->w[0].start_us) / 1e6
                  : 0;
}

static void
emit_config(struct nk_out *o, const struct run *r,
            const struct bench_opts *opt)
{
    char where[NK_ADDRSTRLEN];

    if (r->have_peer)
        nk_out_str(o, "server",
                   nk_addr_format((struct sockaddr *)&r->peer.ss, r->peer.len,
                                  where, sizeof where));
    else
        nk_out_null(o, "server");
    nk_out_uint(o, "conns", opt->conns);
    nk_out_uint(o, "connected", r->connected);
    nk_out_uint(o, "threads", opt->threads);
    nk_out_uint(o, "size", opt->size);
    nk_out_uint(o, "pipeline", opt->pipeline);
}

/* Latency in microseconds; null (text "-") when nothing completed. */
static void
emit_latency(struct nk_out *o, struct nk_stats *lat)
{
    static const struct {
        const char *key;
        double p; /* percentile, or -1 min, -2 avg, -3 stddev, -4 max */
    } rows[] = {
        {"latency_min_us", -1},    {"latency_avg_us", -2},
        {"latency_stddev_us", -3}, {"latency_p50_us", 50},
        {"latency_p99_us", 99},    {"latency_p999_us", 99.9},
        {"latency_max_us", -4},
    };

    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        double p = rows[i].p, v;
        if (nk_stats_count(lat) == 0) {
            nk_out_null(o, rows[i].key);
            continue;
        }
        v = p == -1   ? nk_stats_min(lat)
            : p == -2 ? nk_stats_mean(lat)
            : p == -3 ? nk_stats_stddev(lat)
            : p == -4 ? nk_stats_max(lat)
                      : nk_stats_percentile(lat, p);
        nk_out_double(o, rows[i].key, v, 1);
    }
}

static void
emit_results(struct nk_out *o, struct totals *t)
{
    double s = t->secs > 0 ? t->secs : 1;

    nk_out_double(o, "duration_s", t->secs, 3);
    nk_out_uint(o, "requests", t->requests);
    nk_out_double(o, "requests_per_s", (double)t->requests / s, 1);
    nk_out_uint(o, "bytes_sent", t->bytes_sent);
    nk_out_uint(o, "bytes_received", t->bytes_recv);
    nk_out_double(o, "mbytes_per_s", (double)t->bytes_recv / s / 1e6, 2);
    emit_latency(o, &t->lat);
    nk_out_uint(o, "errors", t->errors);
    nk_out_uint(o, "mismatches", t->mismatches);
    if (t->first_err)
        nk_out_str(o, "first_error", t->first_err);
}

/* Mismatches first (the server is wrong), then every connection failed
 * (nothing connected: the connect error's own status, else an I/O error),
 * then some failed, then no answer at all. */
static int
exit_status(const struct run *r, const struct totals *t, uint64_t conns)
{
    if (t->mismatches)
        return NK_EX_PROTOCOL;
    if (r->connected == 0)
        return nk_err_exit(&r->conn_err, NK_EX_IOERR);
    if (t->errors >= conns)
        return NK_EX_IOERR;
    if (t->errors)
        return NK_EX_PARTIAL;
    return t->requests ? NK_EX_OK : NK_EX_TEMPFAIL;
}

static int
run_bench(const struct nk_ctx *ctx, const struct bench_opts *opt)
{
    struct run r;
    struct totals t;
    struct nk_out o;
    struct nk_err err;
    int rc;

    memset(&r, 0, sizeof r);
    nk_out_init(&o, stdout, ctx->json ? NK_OUT_JSON : NK_OUT_TEXT, 0);
    if (setup(&r, opt, &err) < 0 || connect_all(&r, opt, &err) < 0) {
        teardown(&r);
        rc = nk_fail(ctx->cmd->name, NULL, &err);
        nk_out_str(&o, "error", err.msg);
        nk_out_finish(&o);
        return rc;
    }
    if (r.conn_failed)
        nk_diag(ctx->cmd->name, "%llu of %llu connections failed: %s",
                (unsigned long long)r.conn_failed,
                (unsigned long long)opt->conns, r.conn_err.msg);
    share_conns(&r, opt);
    nk_stop_reset();
    (void)nk_stop_install(NULL); /* Ctrl-C: stop early, still report */
    rc = r.connected ? run_workers(&r, opt, &err) : 0;
    nk_stop_uninstall();
    nk_stop_reset();
    if (rc < 0)
        nk_diag(ctx->cmd->name, "%s", err.msg);
    sum_up(&r, &t);
    emit_config(&o, &r, opt);
    emit_results(&o, &t);
    nk_out_finish(&o);
    rc = rc < 0 ? NK_EX_SOFTWARE : exit_status(&r, &t, opt->conns);
    nk_stats_free(&t.lat);
    teardown(&r);
    return rc;
}

/* ---- options ---- */

static const struct nk_optdef bench_optdefs[] = {
    NK_PEER_OPTS(struct bench_opts, to),
    NK_OPT('P', "conns", NK_OPT_U64, struct bench_opts, conns, 1, MAX_CONNS,
           "N", "connections (default: 10)"),
    NK_OPT('s', "size", NK_OPT_U64, struct bench_opts, size, 1, MAX_SIZE,
           "BYTES", "bytes per request (default: 64)"),
    NK_OPT('d', "duration", NK_OPT_SECONDS, struct bench_opts, duration_ms, 1,
           MAX_DURATION_MS, "S", "seconds to run (default: 5, at most 3600)"),
    NK_OPT('k', "pipeline", NK_OPT_U64, struct bench_opts, pipeline, 1,
           MAX_PIPELINE, "K",
           "requests in flight per connection (default: 1)"),
    NK_OPT('T', "threads", NK_OPT_U64, struct bench_opts, threads, 1,
           MAX_THREADS, "N", "event loops, one thread each (default: 1)"),
    NK_OPT('t', "timeout", NK_OPT_SECONDS, struct bench_opts, timeout_ms, 1,
           86400 * 1000, "S", "connect timeout per connection (default: 5)"),
    NK_OPT_JSON_DEF("one JSON document"),
    NK_OPT_HELP_DEF,
    NK_OPT_END,
};

const struct nk_optspec echo_tcp_bench_spec = {
    "usage: netkit echo-tcp bench --port P [--host H] [OPTIONS]\n"
    "\n"
    "Load an echo server: --conns connections each send a request of --size\n"
    "bytes (a pattern checked byte for byte on the way back), with\n"
    "--pipeline requests in flight per connection, for --duration seconds.\n"
    "Reports requests/s, MB/s (echoed bytes, 10^6 per MB), latency\n"
    "percentiles in microseconds, errors and mismatches. A progress line\n"
    "is shown on standard error when it is a terminal.\n"
    "\n",
    bench_optdefs,
    "exit status: 0 when every connection worked and every echo matched;\n"
    "76 on a mismatch; 1 when some connections failed, 74 when all failed\n"
    "after connecting; when none connected, the connect error's status\n"
    "(69 refused, 68 unknown host, 75 timeout).\n"
    "\n"
    "examples:\n"
    "  netkit echo-tcp bench --port 9999 --conns 100 --duration 5\n"
    "  netkit echo-tcp bench --port 9999 --conns 1 --size 65536 --pipeline "
    "8\n"
    "  netkit echo-tcp bench --port 9999 --conns 100 --threads 2 --json\n",
    0, NULL};

int
echo_tcp_bench(int argc, char **argv, struct nk_ctx *ctx)
{
    struct bench_opts opt = {
        {"localhost", NULL, AF_UNSPEC}, 10, 64, 1, 1, 5000, 5000};
    int rc = nk_opt_parse(ctx, &echo_tcp_bench_spec, argc, argv, &opt);

    if (rc != NK_OPT_GO)
        return rc;
    if (opt.to.port == NULL && !nk_host_is_unix(opt.to.host))
        return nk_usage_error(ctx, "bench: --port is required");
    if (optind < argc)
        return nk_usage_error(ctx, "bench: unexpected argument '%s'",
                              argv[optind]);
    if (opt.threads > opt.conns)
        opt.threads = opt.conns; /* a loop with no connection is idle */
    return run_bench(ctx, &opt);
}

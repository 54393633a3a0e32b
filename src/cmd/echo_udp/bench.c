/* netkit echo-udp bench: a load generator for a UDP echo service. N
 * clients, each its own connected socket, send numbered probes (the
 * format in netkit/probe.h) and match the replies: datagrams per second,
 * loss counted per sequence number (sent vs answered, with a grace period
 * for replies still in flight when sending stops), duplicates, corrupted
 * replies, and latency percentiles. Closed loop by default (each client
 * keeps --window probes in flight, so the rate is what the server
 * sustains); --rate makes it open loop (probes on a schedule, replies or
 * not), which is how loss under a given load is measured. One thread, one
 * event loop, so the generator's own cost stays small and steady. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echo_udp_int.h"
#include "netkit/clock.h"
#include "netkit/evloop.h"
#include "netkit/exitcodes.h"
#include "netkit/fail.h"
#include "netkit/loadgen.h"
#include "netkit/net.h"
#include "netkit/out.h"
#include "netkit/peer.h"
#include "netkit/probe.h"
#include "netkit/parse.h"
#include "netkit/signals.h"
#include "netkit/stats.h"
#include "netkit/udp.h"
#include "netkit/udpgen.h"

#define BATCH 32
#define RING 16384 /* sequence numbers remembered per client */
#define MAX_CLIENTS 1000
#define MAX_WINDOW 1024
#define MAX_RATE 10000000
#define MAX_SAMPLES 1000000 /* latency reservoir */
#define TICK_US 1000        /* longest wait when a schedule is running */

struct bench_cfg {
    struct nk_peer to;
    long clients;
    long size;
    int duration_ms;
    long window;
    long rate;
    int timeout_ms;
    int grace_ms;
};

/* The options fill struct bench_cfg directly; a --window of 0 (which
 * the range refuses) means it was not given. */
static const struct nk_optdef bench_optdefs[] = {
    NK_PEER_OPTS(struct bench_cfg, to),
    NK_OPT('P', "clients", NK_OPT_LONG, struct bench_cfg, clients, 1,
           MAX_CLIENTS, "N", "client sockets (default 8; 1-1000)"),
    NK_OPT('s', "size", NK_OPT_LONG, struct bench_cfg, size, NK_PROBE_HDR,
           NK_UDP_MAX_V4, "B", "datagram size (default 64; 16-65507)"),
    NK_LOADGEN_OPT_DURATION(struct bench_cfg, duration_ms),
    NK_OPT('w', "window", NK_OPT_LONG, struct bench_cfg, window, 1, MAX_WINDOW,
           "W", "datagrams in flight per client (default 1; 1-1024)"),
    NK_OPT('r', "rate", NK_OPT_LONG, struct bench_cfg, rate, 1, MAX_RATE, "R",
           "datagrams per second over all clients (open loop)"),
    NK_OPT('t', "timeout", NK_OPT_SECONDS, struct bench_cfg, timeout_ms, 1,
           86400000, "S",
           "a datagram unanswered this long frees its window\n"
           "slot; a reply after that counts as late (default\n"
           "0.2)"),
    NK_OPT(0, "grace", NK_OPT_SECONDS, struct bench_cfg, grace_ms, 0, 86400000,
           "S", "wait for replies after sending stops (default 1)"),
    NK_OPT_JSON_DEF("one JSON document"),
    NK_OPT_HELP_DEF,
    NK_OPT_END,
};

const struct nk_optspec echo_udp_bench_spec = {
    "usage: netkit echo-udp bench --port P [--host H] [-4|-6] [--clients N]\n"
    "                             [--size B] [--duration S] [--window W]\n"
    "                             [--rate R] [--timeout S] [--grace S]\n"
    "                             [--json]\n"
    "\n"
    "Load a UDP echo service with N clients (one connected socket each)\n"
    "sending numbered B-byte datagrams for S seconds, and report datagrams\n"
    "per second, loss (per sequence number: sent vs answered, waiting\n"
    "--grace after the end for replies in flight), duplicates, corrupted\n"
    "replies and latency percentiles in microseconds. By default each\n"
    "client keeps --window datagrams in flight (closed loop: the rate is\n"
    "what the server sustains); --rate R sends R datagrams/s in all on a\n"
    "schedule instead (open loop). A progress line is shown on a terminal.\n"
    "\n",
    bench_optdefs,
    "exit: 0 measured (loss is a figure, not a failure), 69 refused, 75 no\n"
    "reply at all, 76 corrupted replies.\n"
    "\n"
    "examples:\n"
    "  netkit echo-udp bench --port 9999 --clients 8 --duration 5\n"
    "  netkit echo-udp bench --host 127.0.0.1 --port 9999 --rate 2000 "
    "--duration 2 --json\n",
    0, NULL};

struct bclient {
    int fd;
    uint64_t nonce;
    struct nk_seqwin win;
    double next_send_us; /* open loop: when the next datagram is due */
    int blocked;         /* the last send hit a full buffer */
    struct bench *b;
};

struct bench {
    const struct bench_cfg *cfg;
    struct bclient *cl;
    int n;
    struct nk_loop *loop;
    struct nk_stats lat;
    uint8_t *sbufs;
    uint8_t *rbufs;
    struct nk_udp_msg sm[BATCH], rm[BATCH];
    int sending;
    double period_us; /* open loop, per client */
    uint64_t mismatches;
    uint64_t sent, received; /* over all clients: the live line */
    struct nk_loadgen_tally tally;
    char server[NK_ADDRSTRLEN];
    struct nk_loadgen lg;
};

/* --- sending */

/* Send up to want probes in one sendmmsg. Returns how many went out; a
 * full socket buffer ends the burst (the client retries next round). */
static int
udp_bench_send_some(struct bench *b, struct bclient *c, int want, int64_t now)
{
    size_t size = (size_t)b->cfg->size;
    int r;

    if (want > BATCH)
        want = BATCH;
    for (int i = 0; i < want; i++) {
        nk_probe_fill(b->sm[i].buf, size, c->win.next + (uint32_t)i, c->nonce);
        b->sm[i].len = size;
    }
    r = nk_udpgen_send(c->fd, b->sm, want, &b->tally, &c->blocked);
    /* Only what left counts as sent: the window's sequence numbers stay
     * exactly those on the wire. */
    for (int i = 0; i < r; i++)
        (void)nk_seqwin_send(&c->win, now);
    b->sent += (uint64_t)r;
    return r;
}

/* Closed loop: top the window up. Open loop: send what the schedule says
 * is due, without catching up more than 100 ms of backlog in a burst. */
static void
udp_bench_fill(struct bench *b, struct bclient *c, int64_t now)
{
    if (!b->sending)
        return;
    if (b->cfg->rate == 0) {
        while (c->win.inflight < (uint32_t)b->cfg->window) {
            int want = (int)((uint32_t)b->cfg->window - c->win.inflight);
            if (udp_bench_send_some(b, c, want, now) < want)
                return;
        }
        return;
    }
    if (c->next_send_us < (double)now - 100000.0)
        c->next_send_us = (double)now - 100000.0;
    while (c->next_send_us <= (double)now && c->win.inflight < RING / 2) {
        if (udp_bench_send_some(b, c, 1, now) < 1)
            return;
        c->next_send_us += b->period_us;
    }
}

/* --- receiving */

static void
udp_bench_take_reply(struct bench *b, struct bclient *c,
                     const struct nk_udp_msg *m, int64_t now)
{
    uint32_t seq;
    int64_t rtt = 0;

    if (nk_probe_parse(m->buf, m->len, c->nonce, &seq) < 0) {
        b->mismatches++;
        return;
    }
    switch (nk_seqwin_reply(&c->win, seq, now, &rtt)) {
    case NK_SEQ_NEW:
    case NK_SEQ_LATE:
        b->received++;
        (void)nk_stats_add(&b->lat, (double)rtt, NULL);
        if (!nk_probe_check(m->buf, m->len, (size_t)b->cfg->size, seq,
                            c->nonce))
            b->mismatches++;
        break;
    default: /* duplicates and strays are counted by the window */
        break;
    }
}

static void
udp_bench_take_batch(void *arg, const struct nk_udp_msg *m, int n, int64_t now)
{
    struct bclient *c = arg;

    for (int i = 0; i < n; i++)
        udp_bench_take_reply(c->b, c, &m[i], now);
}

/* Up to four batches, then the other clients get their turn. */
static void
udp_bench_on_readable(struct nk_loop *loop, int fd, unsigned events, void *arg)
{
    struct bclient *c = arg;

    (void)loop;
    (void)events;
    nk_udpgen_drain(fd, c->b->rm, BATCH, 4, &c->b->tally, udp_bench_take_batch,
                    c);
    udp_bench_fill(c->b, c, nk_now_us());
}

/* --- setup */

static int
open_clients(struct bench *b, const struct addrinfo *ai, struct nk_err *err)
{
    nk_addr_format(ai->ai_addr, ai->ai_addrlen, b->server, sizeof b->server);
    for (int i = 0; i < b->n; i++) {
        struct bclient *c = &b->cl[i];
        c->b = b;
        c->nonce = nk_probe_nonce();
        if (nk_seqwin_init(&c->win, RING, err) < 0)
            return -1;
        c->fd = nk_udpgen_open(b->loop, ai, udp_bench_on_readable, c, err);
        if (c->fd < 0)
            return -1;
    }
    return 0;
}

static int
udp_bench_init(struct bench *b, const struct bench_cfg *cfg,
               struct nk_err *err)
{
    struct addrinfo *ai;
    int rc;

    memset(b, 0, sizeof *b);
    b->cfg = cfg;
    b->n = (int)cfg->clients;
    nk_stats_init(&b->lat, MAX_SAMPLES);
    nk_loadgen_init(&b->lg, "netkit echo-udp bench", "received",
                    cfg->duration_ms, cfg->grace_ms, 1);
    b->lg.sent = &b->sent;
    b->lg.done = &b->received;
    b->cl = calloc((size_t)b->n, sizeof *b->cl);
    b->sbufs = malloc((size_t)BATCH * (size_t)cfg->size);
    b->rbufs = malloc((size_t)BATCH * ((size_t)cfg->size + 1));
    if (b->cl == NULL || b->sbufs == NULL || b->rbufs == NULL)
        return nk_err_sys(err, ENOMEM, "bench buffers");
    for (int i = 0; i < b->n; i++)
        b->cl[i].fd = -1;
    for (int i = 0; i < BATCH; i++) {
        b->sm[i].buf = b->sbufs + (size_t)i * (size_t)cfg->size;
        b->rm[i].buf = b->rbufs + (size_t)i * ((size_t)cfg->size + 1);
        b->rm[i].cap = (size_t)cfg->size + 1; /* longer: a mismatch */
    }
    if (cfg->rate > 0)
        b->period_us = 1e6 * (double)b->n / (double)cfg->rate;
    b->loop = nk_loop_new(NK_LOOP_DEFAULT, err);
    if (b->loop == NULL)
        return -1;
    if (nk_resolve(cfg->to.host, cfg->to.port, cfg->to.family, SOCK_DGRAM, 0,
                   &ai, err) < 0)
        return -1;
    rc = open_clients(b, ai, err);
    nk_resolve_free(ai);
    return rc;
}

static void
udp_bench_free(struct bench *b)
{
    for (int i = 0; b->cl != NULL && i < b->n; i++) {
        if (b->cl[i].fd >= 0 && b->loop != NULL)
            nk_loop_del(b->loop, b->cl[i].fd);
        nk_close(b->cl[i].fd);
        nk_seqwin_free(&b->cl[i].win);
    }
    nk_loop_free(b->loop);
    nk_stats_free(&b->lat);
    free(b->cl);
    free(b->sbufs);
    free(b->rbufs);
}

/* --- the run */

struct sums {
    uint64_t sent, received, late, dup, stale, bogus;
};

static void
sum(const struct bench *b, struct sums *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < b->n; i++) {
        const struct nk_seqwin *w = &b->cl[i].win;
        s->sent += w->sent;
        s->received += w->received;
        s->late += w->late;
        s->dup += w->dup;
        s->stale += w->stale;
        s->bogus += w->bogus;
    }
}

/* Per round: expire overdue probes (closed loop: their slots go back to
 * the window) and send what is due. */
static void
udp_bench_tend(void *arg, int64_t now, int sending)
{
    struct bench *b = arg;
    int64_t timeout = (int64_t)b->cfg->timeout_ms * 1000;

    b->sending = sending;
    for (int i = 0; i < b->n; i++) {
        struct bclient *c = &b->cl[i];
        nk_seqwin_expire(&c->win, now, timeout);
        udp_bench_fill(b, c, now);
    }
}

static int
udp_bench_settled(void *arg)
{
    struct sums s;

    sum(arg, &s);
    return s.received >= s.sent;
}

/* A schedule or a blocked sender: short waits; else expiry to watch. */
static int64_t
udp_bench_max_wait(void *arg)
{
    const struct bench *b = arg;
    int blocked = 0;

    for (int i = 0; i < b->n && !blocked; i++)
        blocked = b->cl[i].blocked;
    if (b->cfg->rate > 0 || blocked)
        return TICK_US;
    return (int64_t)b->cfg->timeout_ms * 1000 / 4 + 1000;
}

static const struct nk_loadgen_ops bench_ops = {
    udp_bench_tend, udp_bench_settled, udp_bench_max_wait, nk_udpgen_wait};

/* Returns the send phase's length in microseconds, or -1. */
static int64_t
udp_bench_loop(struct bench *b, struct nk_err *err)
{
    int64_t start = nk_now_us();

    /* Open loop: the clients' schedules spread over one period. */
    for (int i = 0; i < b->n; i++)
        b->cl[i].next_send_us = (double)start + b->period_us * i / b->n;
    return nk_loadgen_run(&b->lg, start, &bench_ops, b, b->loop, err);
}

static void
udp_bench_report(const struct nk_ctx *ctx, struct bench *b, int64_t sent_for,
                 const struct sums *s)
{
    struct nk_out o;
    double secs = (double)sent_for / 1e6;
    uint64_t lost = s->sent > s->received ? s->sent - s->received : 0;

    nk_out_init(&o, stdout, ctx->json ? NK_OUT_JSON : NK_OUT_TEXT, ctx->color);
    nk_out_str(&o, "server", b->server);
    nk_out_int(&o, "clients", b->n);
    nk_out_int(&o, "size", b->cfg->size);
    nk_out_int(&o, "window", b->cfg->rate ? 0 : b->cfg->window);
    nk_out_int(&o, "rate", b->cfg->rate);
    nk_out_double(&o, "duration_s", secs, 3);
    nk_out_uint(&o, "sent", s->sent);
    nk_out_uint(&o, "received", s->received);
    nk_out_uint(&o, "lost", lost);
    nk_out_double(&o, "loss_percent", nk_probe_loss_pct(s->sent, s->received),
                  3);
    nk_out_uint(&o, "late", s->late);
    nk_out_uint(&o, "duplicates", s->dup);
    nk_out_uint(&o, "mismatches", b->mismatches + s->bogus + s->stale);
    nk_out_uint(&o, "send_blocked", b->tally.send_blocked);
    nk_out_uint(&o, "errors", b->tally.errors + b->tally.refused);
    nk_out_double(&o, "datagrams_per_s",
                  secs > 0 ? (double)s->received / secs : 0.0, 0);
    nk_out_double(&o, "mbytes_per_s",
                  secs > 0
                      ? (double)s->received * (double)b->cfg->size / secs / 1e6
                      : 0.0,
                  3);
    nk_out_double(&o, "latency_min_us", nk_stats_min(&b->lat), 1);
    nk_out_double(&o, "latency_avg_us", nk_stats_mean(&b->lat), 1);
    nk_out_double(&o, "latency_p50_us", nk_stats_percentile(&b->lat, 50), 1);
    nk_out_double(&o, "latency_p90_us", nk_stats_percentile(&b->lat, 90), 1);
    nk_out_double(&o, "latency_p99_us", nk_stats_percentile(&b->lat, 99), 1);
    nk_out_double(&o, "latency_p999_us", nk_stats_percentile(&b->lat, 99.9),
                  1);
    nk_out_double(&o, "latency_max_us", nk_stats_max(&b->lat), 1);
    nk_out_double(&o, "latency_stddev_us", nk_stats_stddev(&b->lat), 1);
    if (b->tally.errors + b->tally.refused > 0)
        nk_out_str(&o, "error", b->tally.last_err.msg);
    nk_out_finish(&o);
}

/* Loss is a figure; no reply at all, refusals and corruption are not. */
static int
udp_bench_verdict(const struct nk_ctx *ctx, struct bench *b,
                  const struct sums *s)
{
    struct nk_loadgen_result r = {b->server,   s->sent,
                                  s->received, b->mismatches + s->bogus,
                                  "datagrams", "corrupted replies",
                                  NULL};

    return nk_loadgen_verdict(ctx->cmd->name, &r, &b->tally);
}

static int
udp_bench_run(const struct nk_ctx *ctx, const struct bench_cfg *cfg)
{
    struct bench b;
    struct nk_err err;
    struct sums s;
    int64_t sent_for = -1;
    int rc;

    nk_net_init();
    if (udp_bench_init(&b, cfg, &err) == 0)
        sent_for = udp_bench_loop(&b, &err);
    if (sent_for < 0) {
        udp_bench_free(&b);
        return nk_fail(ctx->cmd->name, NULL, &err);
    }
    sum(&b, &s);
    udp_bench_report(ctx, &b, sent_for, &s);
    rc = udp_bench_verdict(ctx, &b, &s);
    udp_bench_free(&b);
    return rc;
}

/* The rules the table cannot say. NK_OPT_GO, or a usage error's status. */
static int
udp_bench_check_cfg(struct nk_ctx *ctx, struct bench_cfg *cfg, int argc,
                    char **argv)
{
    if (optind < argc)
        return nk_usage_error(ctx, "bench takes no arguments ('%s')",
                              argv[optind]);
    if (cfg->to.port == NULL && !nk_host_is_unix(cfg->to.host))
        return nk_usage_error(ctx, "--port is required");
    if (cfg->rate > 0 && cfg->window != 0)
        return nk_usage_error(ctx, "--rate sets the pace; --window is for "
                                   "the closed loop");
    if (cfg->window == 0)
        cfg->window = 1;
    return NK_OPT_GO;
}

int
echo_udp_bench(int argc, char **argv, struct nk_ctx *ctx)
{
    /* window 0: not given (it does not go with --rate); 1 by default */
    struct bench_cfg cfg = {
        {"localhost", NULL, AF_UNSPEC}, 8, 64, 5000, 0, 0, 200, 1000};
    int rc = nk_opt_parse(ctx, &echo_udp_bench_spec, argc, argv, &cfg);

    if (rc == NK_OPT_GO)
        rc = udp_bench_check_cfg(ctx, &cfg, argc, argv);
    return rc == NK_OPT_GO ? udp_bench_run(ctx, &cfg) : rc;
}

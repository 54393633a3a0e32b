/* netkit sntp bench: a load generator for an SNTP/NTP server. One
 * connected UDP socket keeps K client requests (mode 3, RFC 4330 section
 * 5) in flight; each carries its own random transmit timestamp (a
 * bijective mix of a per-run random seed and a counter, so no two
 * requests of a run share one), and every reply is checked with
 * nk_sntp_validate against the request it answers (origin, mode,
 * version, transmit, synchronisation). Replies per second, invalid
 * replies, lost requests and latency percentiles. Requests go out and
 * replies come in with sendmmsg/recvmmsg in batches, so the generator's
 * own cost per packet stays well below the server's (the model is
 * echo_udp/bench.c: one thread, one event loop). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sntp_int.h"
#include "netkit/clock.h"
#include "netkit/evloop.h"
#include "netkit/exitcodes.h"
#include "netkit/fail.h"
#include "netkit/loadgen.h"
#include "netkit/net.h"
#include "netkit/out.h"
#include "netkit/peer.h"
#include "netkit/probe.h"
#include "netkit/signals.h"
#include "netkit/sntp.h"
#include "netkit/stats.h"
#include "netkit/udp.h"
#include "netkit/udpgen.h"

#define BATCH 32
#define MAX_INFLIGHT 256
#define EXPIRED_RING 4096   /* given-up cookies remembered (late replies) */
#define MAX_SAMPLES 1000000 /* latency reservoir */
#define TICK_MS 1           /* wait while the send buffer is full */
#define RBUF 512            /* room per reply; longer ones are kept short */

struct bench_cfg {
    struct nk_peer to;
    long inflight;
    int duration_ms;
    int timeout_ms;
};

struct slot {
    uint64_t cookie; /* 0: free */
    int64_t sent_us;
};

struct bench {
    const struct bench_cfg *cfg;
    int fd;
    struct nk_loop *loop;
    struct nk_stats lat;
    struct slot slots[MAX_INFLIGHT];
    int freelist[MAX_INFLIGHT];
    int nfree;
    uint64_t expired[EXPIRED_RING];
    unsigned expired_at;
    uint64_t seed, counter;
    struct nk_udp_msg sm[BATCH], rm[BATCH];
    uint8_t sbuf[BATCH][NK_SNTP_LEN];
    uint8_t rbuf[BATCH][RBUF];
    int sending, blocked;
    uint64_t sent, replies, invalid, unmatched, lost, late;
    struct nk_loadgen_tally tally;
    enum nk_sntp_verdict last_bad;
    char server[NK_ADDRSTRLEN];
    struct nk_loadgen lg;
};

/* splitmix64's finaliser: a bijection on 64-bit values, so distinct
 * counters give distinct cookies, and they look random to the server. */
static uint64_t
mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t
next_cookie(struct bench *b)
{
    uint64_t v;

    do
        v = mix64(b->seed + b->counter++);
    while (v == 0); /* 0 marks a free slot (and a zero transmit is bogus) */
    return v;
}

/* --- sending */

/* Fill the free slots with requests, up to a batch per sendmmsg, until
 * the window is full or the socket's buffer is. */
static void
sntp_bench_fill(struct bench *b, int64_t now)
{
    while (b->sending && b->nfree > 0) {
        int want = b->nfree < BATCH ? b->nfree : BATCH;
        int r;

        for (int i = 0; i < want; i++) {
            struct slot *s = &b->slots[b->freelist[b->nfree - 1 - i]];
            s->cookie = next_cookie(b);
            nk_sntp_build_request(s->cookie, b->sbuf[i]);
            b->sm[i].len = NK_SNTP_LEN;
        }
        r = nk_udpgen_send(b->fd, b->sm, want, &b->tally, &b->blocked);
        /* What did not leave goes back to free (its cookie is dropped:
         * counters are never reused). */
        for (int i = 0; i < want; i++) {
            struct slot *s = &b->slots[b->freelist[b->nfree - 1 - i]];
            if (i < r)
                s->sent_us = now;
            else
                s->cookie = 0;
        }
        b->nfree -= r;
        b->sent += (uint64_t)r;
        if (r < want)
            return;
    }
}

/* --- receiving */

static int
find_slot(const struct bench *b, uint64_t cookie)
{
    for (int i = 0; i < (int)b->cfg->inflight; i++)
        if (b->slots[i].cookie == cookie)
            return i;
    return -1;
}

/* A reply to a request already given up on: late (not lost after all). */
static int
take_late(struct bench *b, uint64_t cookie)
{
    for (unsigned i = 0; i < EXPIRED_RING; i++) {
        if (b->expired[i] == cookie) {
            b->expired[i] = 0;
            b->late++;
            b->lost--;
            return 1;
        }
    }
    return 0;
}

static void
sntp_bench_take_reply(struct bench *b, const struct nk_udp_msg *m, int64_t now)
{
    struct nk_sntp_pkt p;
    enum nk_sntp_verdict v;
    int i;

    /* The origin says which request this answers (the checks proper are
     * nk_sntp_validate's, against that request's cookie). */
    if (m->len < NK_SNTP_LEN || nk_sntp_decode(m->buf, m->len, &p) < 0 ||
        p.orig_ts == 0 || (i = find_slot(b, p.orig_ts)) < 0) {
        if (m->len >= NK_SNTP_LEN && p.orig_ts != 0 && take_late(b, p.orig_ts))
            return;
        b->unmatched++;
        b->last_bad =
            m->len < NK_SNTP_LEN ? NK_SNTP_SHORT : NK_SNTP_BAD_ORIGIN;
        return;
    }
    v = nk_sntp_validate(m->buf, m->len, b->slots[i].cookie, &p);
    if (v == NK_SNTP_OK) {
        b->replies++;
        (void)nk_stats_add(&b->lat, (double)(now - b->slots[i].sent_us), NULL);
    } else {
        b->invalid++;
        b->last_bad = v;
    }
    b->slots[i].cookie = 0;
    b->freelist[b->nfree++] = i;
}

/* Each reply frees a slot: refill after every batch, so the server
 * never waits on us. */
static void
sntp_bench_take_batch(void *arg, const struct nk_udp_msg *m, int n,
                      int64_t now)
{
    struct bench *b = arg;

    for (int i = 0; i < n; i++)
        sntp_bench_take_reply(b, &m[i], now);
    sntp_bench_fill(b, now);
}

static void
sntp_bench_on_readable(struct nk_loop *loop, int fd, unsigned events,
                       void *arg)
{
    struct bench *b = arg;

    (void)loop;
    (void)events;
    nk_udpgen_drain(fd, b->rm, BATCH, 4, &b->tally, sntp_bench_take_batch, b);
}

/* Requests out longer than the timeout are lost; their slots go back. */
static void
expire(struct bench *b, int64_t now)
{
    int64_t limit = (int64_t)b->cfg->timeout_ms * 1000;

    for (int i = 0; i < (int)b->cfg->inflight; i++) {
        struct slot *s = &b->slots[i];
        if (s->cookie == 0 || now - s->sent_us < limit)
            continue;
        b->expired[b->expired_at++ % EXPIRED_RING] = s->cookie;
        s->cookie = 0;
        b->freelist[b->nfree++] = i;
        b->lost++;
    }
}

/* --- setup */

static int
sntp_bench_init(struct bench *b, const struct bench_cfg *cfg,
                struct nk_err *err)
{
    struct addrinfo *ai;

    memset(b, 0, sizeof *b);
    b->cfg = cfg;
    b->fd = -1;
    b->seed = nk_probe_nonce();
    nk_stats_init(&b->lat, MAX_SAMPLES);
    /* After sending stops, the requests still out get up to --timeout. */
    nk_loadgen_init(&b->lg, "netkit sntp bench", "replies", cfg->duration_ms,
                    cfg->timeout_ms, 1);
    b->lg.sent = &b->sent;
    b->lg.done = &b->replies;
    for (int i = 0; i < BATCH; i++) {
        b->sm[i].buf = b->sbuf[i];
        b->rm[i].buf = b->rbuf[i];
        b->rm[i].cap = RBUF;
    }
    for (int i = 0; i < (int)cfg->inflight; i++)
        b->freelist[b->nfree++] = (int)cfg->inflight - 1 - i;
    b->loop = nk_loop_new(NK_LOOP_DEFAULT, err);
    if (b->loop == NULL ||
        nk_resolve(cfg->to.host, cfg->to.port, cfg->to.family, SOCK_DGRAM, 0,
                   &ai, err) < 0)
        return -1;
    nk_addr_format(ai->ai_addr, ai->ai_addrlen, b->server, sizeof b->server);
    /* Connected: the kernel drops datagrams from any other source, which
     * is nk_sntp_check_source's check done once for all replies. */
    b->fd = nk_udpgen_open(b->loop, ai, sntp_bench_on_readable, b, err);
    nk_resolve_free(ai);
    return b->fd < 0 ? -1 : 0;
}

static void
sntp_bench_free(struct bench *b)
{
    if (b->fd >= 0 && b->loop != NULL)
        nk_loop_del(b->loop, b->fd);
    nk_close(b->fd);
    nk_loop_free(b->loop);
    nk_stats_free(&b->lat);
}

/* --- the run */

static int
outstanding(const struct bench *b)
{
    return (int)b->cfg->inflight - b->nfree;
}

static int
sntp_bench_settled(void *arg)
{
    return outstanding(arg) == 0;
}

static int64_t
sntp_bench_max_wait(void *arg)
{
    const struct bench *b = arg;

    if (b->blocked)
        return TICK_MS * 1000;
    return (int64_t)b->cfg->timeout_ms * 1000 / 4 + 1000;
}

/* Per round: requests out too long are lost, their slots refilled. */
static void
sntp_bench_tend(void *arg, int64_t now, int sending)
{
    struct bench *b = arg;

    b->sending = sending;
    expire(b, now);
    sntp_bench_fill(b, now);
}

static const struct nk_loadgen_ops bench_ops = {
    sntp_bench_tend, sntp_bench_settled, sntp_bench_max_wait, nk_udpgen_wait};

static void
sntp_bench_report(const struct nk_ctx *ctx, struct bench *b, int64_t sent_for)
{
    struct nk_out o;
    double secs = (double)sent_for / 1e6;

    nk_out_init(&o, stdout, ctx->json ? NK_OUT_JSON : NK_OUT_TEXT, ctx->color);
    nk_out_str(&o, "server", b->server);
    nk_out_int(&o, "inflight", b->cfg->inflight);
    nk_out_double(&o, "duration_s", secs, 3);
    nk_out_uint(&o, "sent", b->sent);
    nk_out_uint(&o, "replies", b->replies);
    nk_out_double(&o, "replies_per_s",
                  secs > 0 ? (double)b->replies / secs : 0.0, 0);
    nk_out_uint(&o, "invalid", b->invalid + b->unmatched);
    nk_out_uint(&o, "lost", b->lost);
    nk_out_double(&o, "loss_percent",
                  nk_probe_loss_pct(b->sent, b->sent - b->lost), 3);
    nk_out_uint(&o, "late", b->late);
    nk_out_uint(&o, "send_blocked", b->tally.send_blocked);
    nk_out_uint(&o, "errors", b->tally.errors + b->tally.refused);
    nk_out_double(&o, "latency_min_us", nk_stats_min(&b->lat), 1);
    nk_out_double(&o, "latency_avg_us", nk_stats_mean(&b->lat), 1);
    nk_out_double(&o, "latency_p50_us", nk_stats_percentile(&b->lat, 50), 1);
    nk_out_double(&o, "latency_p99_us", nk_stats_percentile(&b->lat, 99), 1);
    nk_out_double(&o, "latency_max_us", nk_stats_max(&b->lat), 1);
    if (b->invalid + b->unmatched > 0)
        nk_out_str(&o, "invalid_reason", nk_sntp_verdict_str(b->last_bad));
    if (b->tally.errors + b->tally.refused > 0)
        nk_out_str(&o, "error", b->tally.last_err.msg);
    nk_out_finish(&o);
}

/* Loss is a figure; no reply at all, refusals and invalid replies are
 * not (a figure over replies a client would reject means nothing). */
static int
sntp_bench_verdict(const struct nk_ctx *ctx, struct bench *b)
{
    struct nk_loadgen_result r = {b->server,
                                  b->sent,
                                  b->replies,
                                  b->invalid + b->unmatched,
                                  "requests",
                                  "invalid replies",
                                  nk_sntp_verdict_str(b->last_bad)};

    return nk_loadgen_verdict(ctx->cmd->name, &r, &b->tally);
}

/* The bench is large (a latency reservoir, slots): on the heap. */
static int
sntp_bench_run(const struct nk_ctx *ctx, const struct bench_cfg *cfg)
{
    struct bench *b = calloc(1, sizeof *b);
    struct nk_err err;
    int64_t sent_for = -1;
    int rc;

    if (b == NULL) {
        nk_diag(ctx->cmd->name, "out of memory");
        return NK_EX_SOFTWARE;
    }
    nk_net_init();
    if (sntp_bench_init(b, cfg, &err) == 0)
        sent_for =
            nk_loadgen_run(&b->lg, nk_now_us(), &bench_ops, b, b->loop, &err);
    if (sent_for < 0) {
        rc = nk_fail(ctx->cmd->name, NULL, &err);
    } else {
        b->lost += (uint64_t)outstanding(b); /* still out at the end */
        sntp_bench_report(ctx, b, sent_for);
        rc = sntp_bench_verdict(ctx, b);
    }
    sntp_bench_free(b);
    free(b);
    return rc;
}

/* --- options */

static const struct nk_optdef bench_optdefs[] = {
    NK_PEER_OPTS(struct bench_cfg, to),
    NK_OPT('k', "inflight", NK_OPT_LONG, struct bench_cfg, inflight, 1,
           MAX_INFLIGHT, "K", "requests in flight (default 1; 1-256)"),
    NK_LOADGEN_OPT_DURATION(struct bench_cfg, duration_ms),
    NK_OPT('t', "timeout", NK_OPT_SECONDS, struct bench_cfg, timeout_ms, 1,
           86400000, "S",
           "a request unanswered this long is lost and frees\n"
           "its slot; a reply after that counts as late\n"
           "(default 0.2)"),
    NK_OPT_JSON_DEF("one JSON document"),
    NK_OPT_HELP_DEF,
    NK_OPT_END,
};

const struct nk_optspec sntp_bench_spec = {
    "usage: netkit sntp bench --port P [--host H] [-4|-6] [--inflight K]\n"
    "                         [--duration S] [--timeout S] [--json]\n"
    "\n"
    "Load an SNTP/NTP server with client requests (mode 3, version 4, a\n"
    "unique random transmit timestamp each) from one socket, keeping K\n"
    "requests in flight for S seconds, and check every reply as the client\n"
    "does (origin = our transmit timestamp, mode 4, version, nonzero\n"
    "transmit, not unsynchronised). Reports replies per second, invalid\n"
    "replies, lost requests (unanswered after --timeout, or when the run\n"
    "ends) and latency percentiles in microseconds. A progress line is\n"
    "shown on a terminal. Rate limiting on the server (KoD RATE, dropped\n"
    "requests) shows as invalid or lost.\n"
    "\n",
    bench_optdefs,
    "exit: 0 measured, 69 refused, 75 no reply at all, 76 invalid replies.\n"
    "\n"
    "examples:\n"
    "  netkit sntp bench --host 127.0.0.1 --port 12300 --inflight 32\n"
    "  netkit sntp bench --host 127.0.0.1 --port 12300 --duration 2 "
    "--json\n",
    0, NULL};

int
sntp_bench(int argc, char **argv, struct nk_ctx *ctx)
{
    struct bench_cfg cfg = {{"localhost", NULL, AF_UNSPEC}, 1, 5000, 200};
    int rc = nk_opt_parse(ctx, &sntp_bench_spec, argc, argv, &cfg);

    if (rc != NK_OPT_GO)
        return rc;
    if (optind < argc)
        return nk_usage_error(ctx, "bench takes no arguments ('%s')",
                              argv[optind]);
    if (cfg.to.port == NULL)
        return nk_usage_error(ctx, "--port is required");
    return sntp_bench_run(ctx, &cfg);
}

/* netkit echo-udp client: one datagram to an echo service, and its reply
 * checked; or, with --count, an application-level ping.
 *
 * The socket is connect()ed (UDP connect only records the peer). Two
 * things follow: the kernel delivers only datagrams whose source is that
 * address and port, so a reply from anyone else is never seen (the check
 * the recipe's recvfrom would have to do by hand), and an ICMP port
 * unreachable comes back as ECONNREFUSED on the next call, so "nothing
 * listens there" is told apart from "no answer" (RFC 1122 4.1.3.3 asks
 * UDP to pass such ICMP errors up). */
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
#include "netkit/exitcodes.h"
#include "netkit/fail.h"
#include "netkit/net.h"
#include "netkit/out.h"
#include "netkit/peer.h"
#include "netkit/probe.h"
#include "netkit/parse.h"
#include "netkit/signals.h"
#include "netkit/stats.h"
#include "netkit/udp.h"

#define MAX_COUNT 1000000
#define MAX_RETRIES 100
#define PING_RING 4096

struct client_cfg {
    struct nk_peer to;
    int timeout_ms;
    int retries;
    int retries_set;
    long count;
    int interval_ms;
    int interval_set;
    long size;
    const char *message;
};

/* A connected datagram socket and the name of its peer. */
struct conn {
    int fd;
    char name[NK_ADDRSTRLEN];
};

/* A connected socket to ai for datagrams of len bytes. An IPv4 datagram
 * holds 20 bytes less than an IPv6 one: too big for this address is bad
 * input (65) that names the IPv4 limit, not a "message too long" send. */
static int
udp_client_open_conn(const struct addrinfo *ai, size_t len, struct conn *c,
                     struct nk_err *err)
{
    nk_addr_format(ai->ai_addr, ai->ai_addrlen, c->name, sizeof c->name);
    if (ai->ai_family == AF_INET && len > NK_UDP_MAX_V4)
        return nk_err_set(err, NK_EX_DATAERR,
                          "echo %s: %zu bytes do not fit in one IPv4 "
                          "datagram (max %d; %d over IPv6)",
                          c->name, len, NK_UDP_MAX_V4, NK_UDP_MAX_V6);
    c->fd = nk_socket(ai->ai_family, SOCK_DGRAM, err);
    if (c->fd < 0)
        return -1;
    /* A UDP connect sends nothing: it cannot time out, so the bound is
     * only a formality. Room for a 64 KiB datagram either way. */
    if (nk_connect_addr(c->fd, ai->ai_addr, ai->ai_addrlen, 1000, err) < 0 ||
        nk_udp_set_buffers(c->fd, 1 << 20, NULL, NULL, err) < 0 ||
        nk_set_nonblock(c->fd, 1, err) < 0) {
        nk_close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

/* Wait until deadline_us for one datagram. 1 with *len, 0 on timeout, -1
 * on error (ECONNREFUSED: the port is closed). */
static int
wait_datagram(int fd, int64_t deadline_us, uint8_t *buf, size_t cap,
              size_t *len, struct nk_err *err)
{
    for (;;) {
        int64_t left = deadline_us - nk_now_us();
        int ready = 1, trunc = 0;
        ssize_t n;

        if (left > 0)
            ready = nk_wait_fd(fd, POLLIN, (int)((left + 999) / 1000), err);
        if (ready < 0)
            return -1;
        n = nk_udp_recv(fd, buf, cap, NULL, &trunc, err);
        if (n >= 0) {
            *len = (size_t)n;
            return 1;
        }
        if (err->sys_errno != EAGAIN)
            return -1;
        if (left <= 0 || nk_now_us() >= deadline_us)
            return 0;
    }
}

/* EMSGSIZE is the input's fault, not the network's. */
static int
send_failed(struct nk_err *err)
{
    if (err->sys_errno == EMSGSIZE)
        err->exit_code = NK_EX_DATAERR;
    return -1;
}

/* --- the payload */

struct payload {
    uint8_t *buf;
    size_t len;
};

static int
read_stdin(struct payload *p, struct nk_err *err)
{
    size_t cap = NK_UDP_MAX_V6 + 1;

    p->buf = malloc(cap);
    p->len = 0;
    if (p->buf == NULL)
        return nk_err_sys(err, ENOMEM, "read standard input");
    while (p->len < cap) {
        ssize_t r = read(STDIN_FILENO, p->buf + p->len, cap - p->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return nk_err_sys(err, errno, "read standard input");
        if (r == 0)
            return 0;
        p->len += (size_t)r;
    }
    return nk_err_set(err, NK_EX_DATAERR,
                      "standard input is more than %d bytes: too big for "
                      "one datagram",
                      NK_UDP_MAX_V6);
}

static int
make_payload(const struct client_cfg *cfg, uint64_t nonce, struct payload *p,
             struct nk_err *err)
{
    if (cfg->message == NULL && cfg->size == 0)
        return read_stdin(p, err);
    p->len = cfg->message ? strlen(cfg->message) : (size_t)cfg->size;
    if (p->len > NK_UDP_MAX_V6)
        return nk_err_set(err, NK_EX_DATAERR,
                          "message of %zu bytes does not fit in one "
                          "datagram (max %d, %d over IPv6)",
                          p->len, NK_UDP_MAX_V4, NK_UDP_MAX_V6);
    p->buf = malloc(p->len ? p->len : 1);
    if (p->buf == NULL)
        return nk_err_sys(err, ENOMEM, "payload");
    if (cfg->message)
        memcpy(p->buf, cfg->message, p->len);
    else
        nk_probe_fill(p->buf, p->len, 0, nonce);
    return 0;
}

/* Printable text, so the text output can show it: UTF-8 without control
 * bytes; one final newline (from `echo`) is left out of the display. */
static size_t
printable_len(const uint8_t *s, size_t n)
{
    if (n > 0 && s[n - 1] == '\n')
        n--;
    for (size_t i = 0; i < n;) {
        size_t k = nk_utf8_seq(s + i, n - i);
        if (k == 0 || (k == 1 && (s[i] < 0x20 || s[i] == 0x7f)))
            return (size_t)-1;
        i += k;
    }
    return n;
}

static size_t
first_difference(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t i = 0;

    while (i < alen && i < blen && a[i] == b[i])
        i++;
    return i;
}

/* --- one message */

struct single {
    int rc;
    int attempts;
    int64_t rtt_us;
    int replied;
    size_t reply_len;
    const char *server;
    struct nk_err err;
};

/* Send and wait, up to 1 + retries times, on one address. Returns 0 with
 * the reply in rbuf, or -1 with s->err (ECONNREFUSED lets the caller try
 * the next address). */
static int
exchange(const struct client_cfg *cfg, struct conn *c, const struct payload *p,
         uint8_t *rbuf, struct single *s)
{
    for (int a = 0; a <= cfg->retries; a++) {
        int64_t t0 = nk_now_us();
        int got;

        s->attempts++;
        if (nk_udp_send(c->fd, p->buf, p->len, NULL, &s->err) < 0)
            return send_failed(&s->err);
        got = wait_datagram(c->fd, t0 + (int64_t)cfg->timeout_ms * 1000, rbuf,
                            NK_UDP_BUFSIZE, &s->reply_len, &s->err);
        if (got < 0)
            return -1;
        if (got == 1) {
            /* A late reply to an earlier attempt carries the same bytes:
             * just as good, though its rtt is then an underestimate. */
            s->rtt_us = nk_now_us() - t0;
            s->replied = 1;
            return 0;
        }
    }
    return nk_err_set(&s->err, NK_EX_TEMPFAIL,
                      "echo %s: no reply after %d attempts (%.3g s each)",
                      c->name, s->attempts, cfg->timeout_ms / 1000.0);
}

static void
single_report(const struct nk_ctx *ctx, const struct single *s,
              const struct payload *p, const uint8_t *rbuf)
{
    struct nk_out o;
    int match = s->replied && s->reply_len == p->len &&
                memcmp(rbuf, p->buf, p->len) == 0;

    nk_out_init(&o, stdout, ctx->json ? NK_OUT_JSON : NK_OUT_TEXT, ctx->color);
    nk_out_str(&o, "server", s->server);
    nk_out_uint(&o, "bytes", p->len);
    nk_out_int(&o, "attempts", s->attempts);
    if (s->replied) {
        size_t pl = printable_len(rbuf, s->reply_len);
        nk_out_double(&o, "rtt_ms", (double)s->rtt_us / 1000.0, 3);
        nk_out_uint(&o, "reply_bytes", s->reply_len);
        nk_out_bool(&o, "match", match);
        if (!match)
            nk_out_uint(&o, "first_difference",
                        first_difference(rbuf, s->reply_len, p->buf, p->len));
        if (ctx->json)
            nk_out_strn(&o, "reply", (const char *)rbuf, s->reply_len);
        else if (pl != (size_t)-1)
            nk_out_strn(&o, "reply", (const char *)rbuf, pl);
    }
    if (s->rc != 0)
        nk_out_str(&o, "error", s->err.msg);
    nk_out_finish(&o);
}

static int
run_single(const struct nk_ctx *ctx, const struct client_cfg *cfg,
           struct addrinfo *ai)
{
    struct payload p = {NULL, 0};
    struct single s;
    struct conn c = {-1, "-"};
    uint8_t *rbuf = malloc(NK_UDP_BUFSIZE);

    memset(&s, 0, sizeof s);
    s.server = c.name;
    s.rc = NK_EX_SOFTWARE;
    if (rbuf == NULL) {
        nk_err_sys(&s.err, ENOMEM, "receive buffer");
        goto out;
    }
    if (make_payload(cfg, nk_probe_nonce(), &p, &s.err) < 0) {
        s.rc = s.err.exit_code;
        goto out;
    }
    /* Try the next address only when this one refused: a definite "not
     * here". A silent one is a timeout, not a reason to send elsewhere. */
    for (struct addrinfo *a = ai; a != NULL; a = a->ai_next) {
        nk_close(c.fd);
        s.attempts = 0;
        if (udp_client_open_conn(a, p.len, &c, &s.err) < 0)
            continue;
        if (exchange(cfg, &c, &p, rbuf, &s) == 0 ||
            s.err.sys_errno != ECONNREFUSED)
            break;
        nk_err_sys(&s.err, ECONNREFUSED, "echo %s", c.name);
    }
    if (s.replied && s.reply_len == p.len && memcmp(rbuf, p.buf, p.len) == 0) {
        s.rc = NK_EX_OK;
    } else if (s.replied) {
        nk_err_set(&s.err, NK_EX_PROTOCOL,
                   "echo %s: the reply differs from what was sent", c.name);
        s.rc = NK_EX_PROTOCOL;
    } else {
        s.rc = nk_err_exit(&s.err, NK_EX_SOFTWARE);
    }
out:
    if (s.rc != NK_EX_OK)
        nk_diag(ctx->cmd->name, "%s", s.err.msg);
    single_report(ctx, &s, &p, rbuf);
    nk_close(c.fd);
    free(p.buf);
    free(rbuf);
    return s.rc;
}

/* --- ping */

enum probe_status { P_OK, P_LOST, P_MISMATCH, P_REFUSED, P_ERROR };

static const char *const status_names[] = {"ok", "lost", "mismatch", "refused",
                                           "error"};

struct ping {
    const struct client_cfg *cfg;
    struct nk_out *o;
    struct conn c;
    uint64_t nonce;
    struct nk_seqwin win;
    struct nk_stats rtt;
    uint8_t *sbuf, *rbuf;
    size_t len;
    size_t reply_len; /* the current probe's reply, when it came */
    uint64_t ok, lost, mismatches, refused, errors;
    struct nk_exit_acc status; /* per probe: the run's exit status */
    struct nk_err err;
};

static void
build_probe(struct ping *pg, uint32_t seq)
{
    const char *m = pg->cfg->message;

    if (m == NULL) {
        nk_probe_fill(pg->sbuf, pg->len, seq, pg->nonce);
        return;
    }
    nk_probe_fill(pg->sbuf, NK_PROBE_HDR, seq, pg->nonce);
    memcpy(pg->sbuf + NK_PROBE_HDR, m, pg->len - NK_PROBE_HDR);
}

/* A reply that is not the current probe's: late, duplicate or foreign. */
static void
other_reply(struct ping *pg, size_t len)
{
    uint32_t seq;
    int64_t rtt = 0;

    if (nk_probe_parse(pg->rbuf, len, pg->nonce, &seq) < 0) {
        nk_out_line(pg->o, "foreign datagram from %s: %zu bytes", pg->c.name,
                    len);
        pg->mismatches++;
        return;
    }
    switch (nk_seqwin_reply(&pg->win, seq, nk_now_us(), &rtt)) {
    case NK_SEQ_LATE:
        nk_out_line(pg->o, "late reply from %s: seq=%" PRIu32 " time=%.3f ms",
                    pg->c.name, seq, (double)rtt / 1000.0);
        break;
    case NK_SEQ_DUP:
        nk_out_line(pg->o, "duplicate reply from %s: seq=%" PRIu32, pg->c.name,
                    seq);
        break;
    default:
        nk_out_line(pg->o, "unexpected reply from %s: seq=%" PRIu32,
                    pg->c.name, seq);
        break;
    }
}

/* Wait for probe seq's reply; returns its status and sets *rtt_us. */
static enum probe_status
await_probe(struct ping *pg, uint32_t seq, int64_t t0, int64_t *rtt_us)
{
    int64_t deadline = t0 + (int64_t)pg->cfg->timeout_ms * 1000;
    uint32_t got;
    size_t len;

    for (;;) {
        int r = wait_datagram(pg->c.fd, deadline, pg->rbuf, NK_UDP_BUFSIZE,
                              &len, &pg->err);
        if (r == 0)
            return P_LOST;
        if (r < 0)
            return pg->err.sys_errno == ECONNREFUSED ? P_REFUSED : P_ERROR;
        if (nk_probe_parse(pg->rbuf, len, pg->nonce, &got) == 0 &&
            got != seq) {
            other_reply(pg, len);
            continue;
        }
        /* Ours and current (or unreadable): it must be byte-exact. */
        (void)nk_seqwin_reply(&pg->win, seq, nk_now_us(), rtt_us);
        pg->reply_len = len;
        if (len == pg->len && memcmp(pg->rbuf, pg->sbuf, len) == 0)
            return P_OK;
        return P_MISMATCH;
    }
}

static void
emit_probe(struct ping *pg, uint32_t seq, enum probe_status st, int64_t rtt)
{
    struct nk_out *o = pg->o;
    const char *to = pg->c.name;

    if (st == P_OK)
        nk_out_line(o, "%zu bytes from %s: seq=%" PRIu32 " time=%.3f ms",
                    pg->len, to, seq, (double)rtt / 1000.0);
    else if (st == P_LOST)
        nk_out_line(o, "no reply from %s: seq=%" PRIu32 " (%.3g s)", to, seq,
                    pg->cfg->timeout_ms / 1000.0);
    else if (st == P_MISMATCH)
        nk_out_line(o,
                    "mismatch from %s: seq=%" PRIu32 " (%zu bytes, %zu sent)",
                    to, seq, pg->reply_len, pg->len);
    else
        nk_out_line(o, "%s: seq=%" PRIu32 ": %s", to, seq, pg->err.msg);
    if (o->mode != NK_OUT_JSON)
        return;
    nk_out_obj(o, NULL);
    nk_out_uint(o, "seq", seq);
    nk_out_str(o, "status", status_names[st]);
    if (st == P_OK)
        nk_out_double(o, "rtt_ms", (double)rtt / 1000.0, 3);
    else
        nk_out_null(o, "rtt_ms");
    nk_out_close(o);
}

static void
count_probe(struct ping *pg, enum probe_status st, int64_t rtt)
{
    static const int codes[] = {NK_EX_OK, NK_EX_TEMPFAIL, NK_EX_PROTOCOL,
                                NK_EX_UNAVAILABLE, NK_EX_IOERR};
    uint64_t *counter[] = {&pg->ok, &pg->lost, &pg->mismatches, &pg->refused,
                           &pg->errors};

    (*counter[st])++;
    nk_exit_note(&pg->status, st == P_ERROR && pg->err.exit_code
                                  ? pg->err.exit_code
                                  : codes[st]);
    if (st == P_OK)
        (void)nk_stats_add(&pg->rtt, (double)rtt, NULL);
    if (st != P_OK)
        nk_seqwin_expire(&pg->win, nk_now_us(), 0);
}

/* Between probes, keep reading: late replies are reported as they come. */
static void
idle_until(struct ping *pg, int64_t until_us)
{
    size_t len;

    while (!nk_stop_requested() && nk_now_us() < until_us) {
        struct nk_err e;
        if (wait_datagram(pg->c.fd, until_us, pg->rbuf, NK_UDP_BUFSIZE, &len,
                          &e) != 1)
            return;
        other_reply(pg, len);
    }
}

static void
udp_client_ping_summary(struct ping *pg, uint64_t sent)
{
    struct nk_out *o = pg->o;
    double ms = 1000.0;

    nk_out_str(o, "server", pg->c.name);
    nk_out_uint(o, "size", pg->len);
    nk_out_uint(o, "sent", sent);
    nk_out_uint(o, "received", pg->ok);
    nk_out_uint(o, "lost", pg->lost);
    nk_out_double(o, "loss_percent", nk_probe_loss_pct(sent, sent - pg->lost),
                  1);
    nk_out_uint(o, "late", pg->win.late);
    nk_out_uint(o, "duplicates", pg->win.dup);
    nk_out_uint(o, "mismatches", pg->mismatches);
    nk_out_uint(o, "refused", pg->refused);
    /* No reply, no round trip: "-" (null), never a made-up 0.000. */
    if (nk_stats_count(&pg->rtt) == 0)
        ms = NAN;
    nk_out_double(o, "rtt_min_ms", nk_stats_min(&pg->rtt) / ms, 3);
    nk_out_double(o, "rtt_avg_ms", nk_stats_mean(&pg->rtt) / ms, 3);
    nk_out_double(o, "rtt_max_ms", nk_stats_max(&pg->rtt) / ms, 3);
    nk_out_double(o, "rtt_stddev_ms", nk_stats_stddev(&pg->rtt) / ms, 3);
}

static uint64_t
udp_client_ping_loop(struct ping *pg)
{
    int64_t start = nk_now_us();
    uint64_t sent = 0;

    for (long i = 0; i < pg->cfg->count && !nk_stop_requested(); i++) {
        int64_t tick = start + (int64_t)i * pg->cfg->interval_ms * 1000;
        int64_t rtt = 0, t0;
        enum probe_status st;
        uint32_t seq;

        idle_until(pg, tick);
        if (nk_stop_requested())
            break;
        t0 = nk_now_us();
        seq = nk_seqwin_send(&pg->win, t0);
        build_probe(pg, seq);
        sent++;
        if (nk_udp_send(pg->c.fd, pg->sbuf, pg->len, NULL, &pg->err) < 0)
            st = pg->err.sys_errno == ECONNREFUSED ? P_REFUSED : P_ERROR;
        else
            st = await_probe(pg, seq, t0, &rtt);
        emit_probe(pg, seq, st, rtt);
        count_probe(pg, st, rtt);
    }
    return sent;
}

/* Pick the address: the first that does not refuse a first probe would
 * cost a probe; instead ping the first address that opens, as ping(8)
 * does. */
static int
ping_open(struct ping *pg, struct addrinfo *ai)
{
    for (struct addrinfo *a = ai; a != NULL; a = a->ai_next)
        if (udp_client_open_conn(a, pg->len, &pg->c, &pg->err) == 0)
            return 0;
    return -1;
}

static int
udp_client_run_ping(const struct nk_ctx *ctx, const struct client_cfg *cfg,
                    struct addrinfo *ai)
{
    struct nk_out o;
    struct ping pg;
    uint64_t sent = 0;
    int rc;

    memset(&pg, 0, sizeof pg);
    pg.cfg = cfg;
    pg.o = &o;
    pg.c.fd = -1;
    snprintf(pg.c.name, sizeof pg.c.name, "-");
    pg.nonce = nk_probe_nonce();
    pg.len = cfg->message ? NK_PROBE_HDR + strlen(cfg->message)
                          : (size_t)(cfg->size ? cfg->size : 64);
    nk_stats_init(&pg.rtt, 0);
    nk_out_init(&o, stdout, ctx->json ? NK_OUT_JSON : NK_OUT_TEXT, ctx->color);
    pg.sbuf = malloc(NK_UDP_BUFSIZE);
    pg.rbuf = malloc(NK_UDP_BUFSIZE);
    if (pg.len > NK_UDP_MAX_V6) {
        nk_err_set(&pg.err, NK_EX_DATAERR,
                   "a probe of %zu bytes does not fit in one datagram",
                   pg.len);
        rc = NK_EX_DATAERR;
    } else if (pg.sbuf == NULL || pg.rbuf == NULL ||
               nk_seqwin_init(&pg.win, PING_RING, &pg.err) < 0 ||
               nk_stop_install(&pg.err) < 0) {
        rc = NK_EX_SOFTWARE;
    } else if (ping_open(&pg, ai) < 0) {
        rc = nk_err_exit(&pg.err, NK_EX_SOFTWARE);
    } else {
        nk_out_arr(&o, "probes");
        sent = udp_client_ping_loop(&pg);
        nk_out_close(&o);
        rc = nk_exit_result(&pg.status);
    }
    if (sent == 0 && rc != NK_EX_OK)
        nk_diag(ctx->cmd->name, "%s", pg.err.msg);
    udp_client_ping_summary(&pg, sent);
    if (sent == 0 && rc != NK_EX_OK)
        nk_out_str(&o, "error", pg.err.msg);
    nk_out_finish(&o);
    nk_stop_uninstall();
    nk_close(pg.c.fd);
    nk_seqwin_free(&pg.win);
    nk_stats_free(&pg.rtt);
    free(pg.sbuf);
    free(pg.rbuf);
    return rc;
}

/* --- options */

static int
udp_client_check_cfg(const struct nk_ctx *ctx, struct client_cfg *cfg)
{
    if (cfg->to.port == NULL && !nk_host_is_unix(cfg->to.host))
        return nk_usage_error(ctx, "--port is required");
    if (cfg->message != NULL && cfg->size != 0)
        return nk_usage_error(ctx, "give MESSAGE or --size, not both");
    if (cfg->timeout_ms <= 0)
        return nk_usage_error(ctx, "--timeout must be more than 0");
    if (cfg->count == 0 && cfg->interval_set)
        return nk_usage_error(ctx, "--interval goes with --count");
    if (cfg->count > 0 && cfg->retries_set)
        return nk_usage_error(ctx, "--retries is for one message; a ping "
                                   "counts each lost probe instead");
    if (cfg->count > 0 && cfg->size != 0 && cfg->size < NK_PROBE_HDR)
        return nk_usage_error(ctx,
                              "--size must be at least %d with --count "
                              "(room for the sequence number and nonce)",
                              NK_PROBE_HDR);
    return 0;
}

/* --retries and --interval: their values, and that they were given. */
static int
set_option(const struct nk_ctx *ctx, const struct nk_optdef *def,
           const char *arg, void *values)
{
    struct client_cfg *cfg = values;
    long v = 0;

    if (def->letter == 'i') {
        cfg->interval_set = 1;
        return nk_opt_seconds(ctx, "--interval", arg, 0, 86400000,
                              &cfg->interval_ms);
    }
    cfg->retries_set = 1;
    if (nk_opt_long(ctx, "--retries", arg, 0, MAX_RETRIES, &v) != 0)
        return NK_EX_USAGE;
    cfg->retries = (int)v;
    return 0;
}

static const struct nk_optdef client_optdefs[] = {
    NK_PEER_OPTS(struct client_cfg, to),
    NK_OPT('t', "timeout", NK_OPT_SECONDS, struct client_cfg, timeout_ms, 0,
           86400000, "S", "seconds to wait for each reply (default 1)"),
    {'r', "retries", NK_OPT_CALL, 0, 0, 0, "N",
     "sends after the first before giving up (default 3)", NULL, set_option},
    NK_OPT('s', "size", NK_OPT_LONG, struct client_cfg, size, 1, NK_UDP_MAX_V6,
           "B",
           "generated payload of B bytes (1-65527; with\n"
           "--count default 64, at least 16)"),
    NK_OPT('c', "count", NK_OPT_LONG, struct client_cfg, count, 1, MAX_COUNT,
           "N", "ping: N probes"),
    {'i', "interval", NK_OPT_CALL, 0, 0, 0, "S",
     "seconds between probes (default 1)", NULL, set_option},
    NK_OPT_JSON_DEF("one JSON document"),
    NK_OPT_HELP_DEF,
    NK_OPT_END,
};

const struct nk_optspec echo_udp_client_spec = {
    "usage: netkit echo-udp client --port P [--host H] [-4|-6]\n"
    "                              [--timeout S] [--retries N] [--size B]\n"
    "                              [--json] [MESSAGE]\n"
    "       netkit echo-udp client --port P --count N [--interval S]\n"
    "                              [--size B] [--timeout S] [MESSAGE]\n"
    "\n"
    "Send MESSAGE (or --size B generated bytes, or standard input) in one\n"
    "datagram to an echo service and wait for the reply, sending again\n"
    "after each --timeout up to --retries times. Only a reply from the\n"
    "address and port written to is accepted (the socket is connected),\n"
    "and it must equal what was sent. Every address the host resolves to\n"
    "is tried in turn while they refuse (ICMP port unreachable).\n"
    "\n"
    "With --count N it pings: N probes --interval apart, each carrying a\n"
    "sequence number and a per-run nonce so a late reply is never taken for\n"
    "the current one; one line per probe, then loss and min/avg/max/stddev\n"
    "of the round-trip times.\n"
    "\n",
    client_optdefs,
    "exit: 0 echoed, 65 too big for a datagram, 69 refused, 75 no reply\n"
    "after the retries, 76 the reply differed; with --count, 1 when some\n"
    "probes failed and each failure's code when all did.\n"
    "\n"
    "examples:\n"
    "  netkit echo-udp client --port 9999 'hello'\n"
    "  netkit echo-udp client --port 9999 --size 65507 --timeout 0.5\n"
    "  netkit echo-udp client --host ::1 --port 9999 --count 5 "
    "--interval 0.2\n",
    0, NULL};

/* Options, then MESSAGE; 0, or the status to return. */
static int
parse_opts(int argc, char **argv, struct nk_ctx *ctx, struct client_cfg *cfg)
{
    int rc = nk_opt_parse(ctx, &echo_udp_client_spec, argc, argv, cfg);

    if (rc != NK_OPT_GO)
        return rc == NK_EX_OK ? -1 : rc; /* -1: --help was shown */
    if (argc - optind > 1)
        return nk_usage_error(ctx, "one MESSAGE at most (quote it)");
    if (optind < argc)
        cfg->message = argv[optind];
    return udp_client_check_cfg(ctx, cfg);
}

int
echo_udp_client(int argc, char **argv, struct nk_ctx *ctx)
{
    struct client_cfg cfg = {
        {"localhost", NULL, AF_UNSPEC}, 1000, 3, 0, 0, 1000, 0, 0, NULL};
    struct addrinfo *ai;
    struct nk_err err;
    int rc = parse_opts(argc, argv, ctx, &cfg);

    if (rc != 0)
        return rc < 0 ? NK_EX_OK : rc;
    nk_net_init();
    if (nk_resolve(cfg.to.host, cfg.to.port, cfg.to.family, SOCK_DGRAM, 0, &ai,
                   &err) < 0) {
        nk_diag(ctx->cmd->name, "%s", err.msg);
        return err.exit_code;
    }
    rc = cfg.count > 0 ? udp_client_run_ping(ctx, &cfg, ai)
                       : run_single(ctx, &cfg, ai);
    nk_resolve_free(ai);
    return rc;
}

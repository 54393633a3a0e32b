/* netkit sntp: an SNTP client (RFC 4330) that checks what it is told, and
 * the dispatch to `netkit sntp serve`.
 *
 * The recipes send 0x1b and 47 zero bytes to port 123 and take word 10 of
 * the reply minus 2208988800. That trusts any datagram from anyone, and
 * breaks on 2036-02-07 when the NTP seconds wrap. Here each request
 * carries a random transmit timestamp (the local clock never goes out in
 * clear) and a reply counts only if it echoes it as its origin; the four
 * timestamps give offset and delay (RFC 5905 section 8), and every
 * timestamp is read in the NTP era nearest the local clock.
 *
 * The socket is connect()ed, as OpenNTPD and chrony do for client
 * sockets: the kernel then delivers only datagrams from the address and
 * port asked (the source check is still made on what arrives), and an
 * ICMP port unreachable comes back as ECONNREFUSED, so a closed port is
 * told apart from silence. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sntp_int.h"
#include "netkit/clock.h"
#include "netkit/exitcodes.h"
#include "netkit/fail.h"
#include "netkit/net.h"
#include "netkit/out.h"
#include "netkit/parse.h"
#include "netkit/probe.h"
#include "netkit/signals.h"
#include "netkit/sntp.h"
#include "netkit/udp.h"

#define DEFAULT_SERVER "pool.ntp.org"
#define MAX_COUNT 1000
#define MAX_RETRIES 10

struct sntp_cfg {
    const char *port;
    int family;
    int timeout_ms;
    int retries;
    long count;
    int interval_ms;
    int raw;
};

/* One answered request. T1 and T4 are our clock, T2 and T3 the server's. */
struct sample {
    uint64_t t1, t2, t3, t4;
    double offset, delay;
    struct nk_sntp_pkt pkt;
};

/* One server's outcome. */
struct result {
    const char *server;
    char address[NK_ADDRSTRLEN];
    int rc;
    struct nk_err err;
    struct sample best;
    double *offsets, *delays;
    long nsamples;
    long sent;
    long bogus;
    enum nk_sntp_verdict last_bogus;
    char kod[5];
};

/* One datagram, and T4: the kernel's arrival stamp when the socket gives
 * one, so time this process spent not running (a loaded machine, a
 * stopped process) is not counted as network delay; else the clock right
 * after the receive. Returns the length or -1 as nk_udp_recv. */
static ssize_t
receive_reply(int fd, uint8_t *buf, size_t cap, struct nk_addr *from,
              uint64_t *t4, struct nk_err *err)
{
    struct nk_udp_msg m;

    if (nk_udp_recv_msg(fd, buf, cap, &m, err) < 0)
        return -1;
    *from = m.addr;
    *t4 = sntp_arrival(&m, sntp_now_ntp());
    return (ssize_t)m.len;
}

static int64_t
now_unix(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

/* A random 64-bit cookie for the transmit field, never 0 (a zero transmit
 * is what the recipe sends, and what servers may treat as "no origin"). */
static uint64_t
new_cookie(void)
{
    uint64_t v = nk_probe_nonce();

    return v != 0 ? v : 1;
}

/* --- the exchange */

struct sent_req {
    uint64_t cookie, t1;
};

/* Wait for replies to any of sent[0..n) until deadline_us. 1 with *s (or
 * a KoD in r->kod), 0 at the deadline, -1 on a socket error. Bogus
 * datagrams are counted in r and the wait goes on. */
static int
await_reply(int fd, const struct addrinfo *ai, const struct sent_req *sent,
            int n, int64_t deadline_us, struct result *r, struct sample *s,
            struct nk_err *err)
{
    uint8_t buf[1024];

    for (;;) {
        int64_t left = deadline_us - nk_now_us();
        struct nk_addr from;
        struct nk_sntp_pkt p;
        enum nk_sntp_verdict v;
        uint64_t t4;
        ssize_t len;
        int k;

        if (left <= 0)
            return 0;
        int ready = nk_wait_fd(fd, POLLIN, (int)((left + 999) / 1000), err);
        if (ready < 0)
            return -1;
        if (ready == 0)
            continue;
        len = receive_reply(fd, buf, sizeof buf, &from, &t4, err);
        if (len < 0) {
            if (err->sys_errno == EAGAIN || err->sys_errno == EINTR)
                continue;
            return -1;
        }
        if (!nk_sntp_check_source(ai->ai_addr, ai->ai_addrlen,
                                  (struct sockaddr *)&from.ss, from.len))
            continue; /* the connected socket makes this impossible */
        /* Which of our requests does it answer? A late reply to an earlier
         * try is as good as one to the last. */
        k = n - 1;
        if (len >= NK_SNTP_LEN && nk_sntp_decode(buf, (size_t)len, &p) == 0)
            for (int i = 0; i < n; i++)
                if (p.orig_ts == sent[i].cookie)
                    k = i;
        v = nk_sntp_validate(buf, (size_t)len, sent[k].cookie, &p);
        if (v == NK_SNTP_KOD) {
            nk_sntp_kod_code(&p, r->kod);
            s->pkt = p;
            return 1;
        }
        if (v != NK_SNTP_OK && v != NK_SNTP_UNSYNC) {
            r->bogus++;
            r->last_bogus = v;
            continue;
        }
        s->pkt = p;
        s->t1 = sent[k].t1;
        s->t2 = p.recv_ts;
        s->t3 = p.xmit_ts;
        s->t4 = t4;
        nk_sntp_offset_delay(s->t1, s->t2, s->t3, s->t4, &s->offset,
                             &s->delay);
        return 1;
    }
}

/* Name the address in a socket error: "127.0.0.1:123: receive: ...". */
static int
with_address(struct nk_err *err, const char *address)
{
    char msg[NK_ERR_MSG];
    size_t n = strlen(address);

    /* address, ": ", then as much of the old text as fits */
    if (n + 2 >= sizeof msg)
        return -1;
    memcpy(msg, address, n);
    memcpy(msg + n, ": ", 2);
    size_t m = strlen(err->msg), room = sizeof msg - n - 3;
    if (m > room)
        m = room;
    memcpy(msg + n + 2, err->msg, m);
    msg[n + 2 + m] = '\0';
    memcpy(err->msg, msg, sizeof msg);
    return -1;
}

/* One sample: up to 1 + retries requests. 0 with *s or a KoD in r->kod;
 * -1 with *err (ECONNREFUSED, no answer, only bogus replies). */
static int
one_sample(int fd, const struct addrinfo *ai, const struct sntp_cfg *cfg,
           struct result *r, struct sample *s, struct nk_err *err)
{
    struct sent_req sent[MAX_RETRIES + 1];
    long bogus0 = r->bogus;
    uint8_t req[NK_SNTP_LEN];

    for (int a = 0; a <= cfg->retries; a++) {
        int got;
        sent[a].cookie = new_cookie();
        nk_sntp_build_request(sent[a].cookie, req);
        sent[a].t1 = sntp_now_ntp(); /* T1 as late before sending as we can */
        if (nk_udp_send(fd, req, sizeof req, NULL, err) < 0)
            return with_address(err, r->address);
        r->sent++;
        got = await_reply(fd, ai, sent, a + 1,
                          nk_now_us() + (int64_t)cfg->timeout_ms * 1000, r, s,
                          err);
        if (got != 0)
            return got > 0 ? 0 : with_address(err, r->address);
        if (nk_stop_requested())
            break;
    }
    if (r->bogus > bogus0)
        return nk_err_set(
            err, NK_EX_PROTOCOL, "%s: only bogus replies (%ld, the last: %s)",
            r->address, r->bogus - bogus0, nk_sntp_verdict_str(r->last_bogus));
    return nk_err_set(err, NK_EX_TEMPFAIL, "%s: no answer after %d %s",
                      r->address, cfg->retries + 1,
                      cfg->retries == 0 ? "try" : "tries");
}

static int
client_open_socket(const struct addrinfo *ai, struct nk_err *err)
{
    int fd = nk_socket(ai->ai_family, SOCK_DGRAM, err);

    if (fd < 0)
        return -1;
    /* A UDP connect sends nothing; the timeout is a formality. */
    if (nk_connect_addr(fd, ai->ai_addr, ai->ai_addrlen, 1000, err) < 0 ||
        nk_set_nonblock(fd, 1, err) < 0) {
        nk_close(fd);
        return -1;
    }
    /* Kernel arrival stamps for T4 (see receive_reply). */
    (void)nk_udp_timestamps(fd, NULL);
    return fd;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double
median(double *v, long n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* --count samples from one address. 0 when at least one sample came
 * back; -1 with *err otherwise. A KoD stops the run (RFC 5905 7.4: the
 * client backs off) and sets r->kod. */
static int
sample_address(const struct addrinfo *ai, const struct sntp_cfg *cfg,
               struct result *r, struct nk_err *err)
{
    int fd = client_open_socket(ai, err);
    struct nk_err last;

    if (fd < 0)
        return -1;
    nk_err_clear(&last);
    for (long i = 0; i < cfg->count && !nk_stop_requested(); i++) {
        struct sample s;
        if (i > 0 && cfg->interval_ms > 0)
            nk_sleep_ms(cfg->interval_ms);
        if (one_sample(fd, ai, cfg, r, &s, &last) < 0) {
            if (last.sys_errno == ECONNREFUSED)
                break;
            continue;
        }
        if (r->kod[0] != '\0') {
            r->best.pkt = s.pkt;
            break;
        }
        r->offsets[r->nsamples] = s.offset;
        r->delays[r->nsamples] = s.delay;
        if (r->nsamples == 0 || s.delay < r->best.delay)
            r->best = s;
        r->nsamples++;
    }
    nk_close(fd);
    if (r->nsamples > 0 || r->kod[0] != '\0')
        return 0;
    *err = last;
    return -1;
}

/* Try the server's addresses in turn until one answers (or sends a KoD). */
static void
query_server(const struct nk_ctx *ctx, const struct sntp_cfg *cfg,
             struct result *r)
{
    struct addrinfo *res = NULL;

    if (nk_resolve(r->server, cfg->port, cfg->family, SOCK_DGRAM, 0, &res,
                   &r->err) < 0) {
        r->rc = r->err.exit_code;
        return;
    }
    r->rc = NK_EX_TEMPFAIL;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        nk_addr_format(ai->ai_addr, ai->ai_addrlen, r->address,
                       sizeof r->address);
        if (sample_address(ai, cfg, r, &r->err) == 0) {
            r->rc = NK_EX_OK;
            break;
        }
        r->rc = r->err.exit_code;
        if (ai->ai_next != NULL)
            nk_diag(ctx->cmd->name, "%s", r->err.msg);
    }
    nk_resolve_free(res);
    if (r->kod[0] != '\0') {
        r->rc = NK_EX_PROTOCOL;
        nk_err_set(&r->err, NK_EX_PROTOCOL, "%s: kiss-o'-death %s (%s): %s",
                   r->address, r->kod, nk_sntp_kod_meaning(r->kod),
                   nk_sntp_kod_fatal(r->kod) ? "not asking again"
                                             : "backing off");
    } else if (r->rc == NK_EX_OK && nk_sntp_is_unsync(&r->best.pkt)) {
        r->rc = NK_EX_UNAVAILABLE;
        nk_err_set(&r->err, NK_EX_UNAVAILABLE,
                   "%s: server clock not synchronised (leap %u, stratum %u)",
                   r->address, r->best.pkt.leap, r->best.pkt.stratum);
    }
}

/* --- output */

static void
emit_ctime(struct nk_out *o, const char *key, time_t t)
{
    struct tm tm;
    char buf[64];

    if (localtime_r(&t, &tm) == NULL ||
        strftime(buf, sizeof buf, "%a %b %e %H:%M:%S %Y", &tm) == 0) {
        nk_out_null(o, key);
        return;
    }
    nk_out_str(o, key, buf);
}

/* ISO 8601 UTC with microseconds: 2026-11-21T16:10:57.123456Z. */
static void
emit_iso(struct nk_out *o, const char *key, const struct timespec *ts)
{
    struct tm tm;
    char buf[64];

    if (gmtime_r(&ts->tv_sec, &tm) == NULL ||
        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        nk_out_null(o, key);
        return;
    }
    nk_out_strf(o, key, "%s.%06ldZ", buf, ts->tv_nsec / 1000);
}

static void
emit_header_fields(struct nk_out *o, const struct nk_sntp_pkt *p)
{
    char refid[16];
    struct timespec ref;

    nk_out_int(o, "stratum", p->stratum);
    nk_out_str(o, "refid", nk_sntp_refid_str(p, refid, sizeof refid));
    nk_out_int(o, "leap", p->leap);
    nk_out_str(o, "leap_status", nk_sntp_leap_str(p->leap));
    nk_out_bool(o, "synchronised", !nk_sntp_is_unsync(p));
    nk_out_int(o, "version", p->version);
    nk_out_int(o, "poll", p->poll);
    nk_out_int(o, "precision", p->precision);
    nk_out_double(o, "precision_s", nk_ntp_log2_secs(p->precision), 9);
    nk_out_double(o, "root_delay", nk_ntp_short_to_double(p->root_delay), 6);
    nk_out_double(o, "root_dispersion",
                  nk_ntp_short_to_double(p->root_dispersion), 6);
    if (p->ref_ts == 0) {
        nk_out_null(o, "reference_time");
        return;
    }
    nk_ntp_to_timespec(p->ref_ts, now_unix(), &ref);
    emit_iso(o, "reference_time", &ref);
}

static void
emit_spread(struct nk_out *o, const char *name, double *v, long n)
{
    char key[32];
    double med = median(v, n); /* sorts v: min and max are its ends */

    snprintf(key, sizeof key, "%s_min", name);
    nk_out_double(o, key, v[0], 6);
    snprintf(key, sizeof key, "%s_median", name);
    nk_out_double(o, key, med, 6);
    snprintf(key, sizeof key, "%s_max", name);
    nk_out_double(o, key, v[n - 1], 6);
}

static void
emit_sample(struct nk_out *o, const struct sntp_cfg *cfg, struct result *r)
{
    const struct sample *s = &r->best;
    struct timespec t3;

    nk_ntp_to_timespec(s->t3, now_unix(), &t3);
    emit_ctime(o, "time", t3.tv_sec);
    emit_iso(o, "time_utc", &t3);
    nk_out_double(o, "time_unix", (double)t3.tv_sec + (double)t3.tv_nsec / 1e9,
                  6);
    nk_out_double(o, "offset", s->offset, 6);
    nk_out_double(o, "delay", s->delay, 6);
    emit_header_fields(o, &s->pkt);
    nk_out_int(o, "samples", r->nsamples);
    if (cfg->count > 1) {
        emit_spread(o, "offset", r->offsets, r->nsamples);
        emit_spread(o, "delay", r->delays, r->nsamples);
    }
}

static void
emit_result(struct nk_out *o, const struct sntp_cfg *cfg, struct result *r)
{
    nk_out_obj(o, NULL);
    nk_out_str(o, "server", r->server);
    if (r->address[0] != '\0')
        nk_out_str(o, "address", r->address);
    else
        nk_out_null(o, "address");
    if (r->kod[0] != '\0') {
        nk_out_str(o, "kod", r->kod);
        nk_out_str(o, "kod_meaning", nk_sntp_kod_meaning(r->kod));
    }
    if (r->nsamples > 0)
        emit_sample(o, cfg, r);
    if (r->address[0] != '\0') {
        nk_out_int(o, "sent", r->sent);
        nk_out_int(o, "bogus", r->bogus);
    }
    if (r->rc != NK_EX_OK)
        nk_out_str(o, "error", r->err.msg);
    nk_out_close(o);
}

static int
run_client(const struct nk_ctx *ctx, const struct sntp_cfg *cfg, int n,
           char **servers)
{
    struct nk_exit_acc acc = {0, 0, 0, 0};
    struct nk_out o;
    struct result r;

    nk_out_init(&o, stdout, ctx->json ? NK_OUT_JSON : NK_OUT_TEXT, ctx->color);
    nk_out_arr(&o, "servers");
    for (int i = 0; i < n; i++) {
        memset(&r, 0, sizeof r);
        r.server = servers[i];
        r.offsets = calloc((size_t)cfg->count, sizeof *r.offsets);
        r.delays = calloc((size_t)cfg->count, sizeof *r.delays);
        if (r.offsets == NULL || r.delays == NULL) {
            nk_err_sys(&r.err, ENOMEM, "samples");
            r.rc = NK_EX_SOFTWARE;
        } else {
            query_server(ctx, cfg, &r);
        }
        if (r.rc != NK_EX_OK)
            nk_diag(ctx->cmd->name, "%s", r.err.msg);
        emit_result(&o, cfg, &r);
        nk_exit_note(&acc, r.rc);
        free(r.offsets);
        free(r.delays);
    }
    if (nk_out_finish(&o) < 0)
        return NK_EX_SOFTWARE;
    return nk_exit_result(&acc);
}

/* --- --raw: the recipe, byte for byte */

/* Python's repr of the recvfrom address: ('1.2.3.4', 123) for IPv4,
 * ('::1', 123, 0, 0) for IPv6 (flowinfo, scope id). */
static void
python_addr(const struct nk_addr *a, char *buf, size_t size)
{
    char host[NK_ADDRSTRLEN];
    const struct sockaddr *sa = (const struct sockaddr *)&a->ss;

    nk_addr_host(sa, a->len, host, sizeof host);
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const void *)sa;
        snprintf(buf, size, "('%s', %d, %u, %u)", host, nk_addr_port(sa),
                 (unsigned)ntohl(s6->sin6_flowinfo),
                 (unsigned)s6->sin6_scope_id);
    } else {
        snprintf(buf, size, "('%s', %d)", host, nk_addr_port(sa));
    }
}

static int
raw_one(const struct nk_ctx *ctx, struct nk_out *o, const struct sntp_cfg *cfg,
        const char *server, struct nk_err *err)
{
    struct addrinfo *res = NULL;
    uint8_t req[NK_SNTP_LEN] = {0x1b}, buf[1024];
    struct nk_addr from;
    char who[NK_ADDRSTRLEN + 32], when[64];
    ssize_t len;
    int fd, ready;

    (void)ctx;
    if (nk_resolve(server, cfg->port, cfg->family, SOCK_DGRAM, 0, &res, err) <
        0)
        return -1;
    fd = client_open_socket(res, err);
    nk_resolve_free(res);
    if (fd < 0)
        return -1;
    len = nk_udp_send(fd, req, sizeof req, NULL, err);
    ready = len < 0 ? -1 : nk_wait_fd(fd, POLLIN, cfg->timeout_ms, err);
    len = ready > 0 ? nk_udp_recv(fd, buf, sizeof buf, &from, NULL, err) : -1;
    nk_close(fd);
    if (ready == 0)
        return nk_err_set(err, NK_EX_TEMPFAIL, "%s: no answer within %g s",
                          server, cfg->timeout_ms / 1000.0);
    if (len < 0)
        return -1;
    /* struct.unpack('!12I', data) needs exactly 48 bytes. */
    if (len != NK_SNTP_LEN)
        return nk_err_set(err, NK_EX_PROTOCOL,
                          "%s: reply of %zd bytes, the recipe unpacks "
                          "exactly 48",
                          server, len);
    /* Word 10 minus TIME1970, as the recipe does: wrong from 2036-02-07,
     * when word 10 wraps and the difference goes negative. */
    time_t t = (time_t)((int64_t)(((uint32_t)buf[40] << 24) |
                                  ((uint32_t)buf[41] << 16) |
                                  ((uint32_t)buf[42] << 8) | buf[43]) -
                        (int64_t)NK_NTP_UNIX_DELTA);
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL ||
        strftime(when, sizeof when, "%a %b %e %H:%M:%S %Y", &tm) == 0)
        snprintf(when, sizeof when, "?");
    python_addr(&from, who, sizeof who);
    nk_out_line(o, "Response received from: %s", who);
    nk_out_line(o, "\tTime=%s", when);
    return 0;
}

static int
run_raw(const struct nk_ctx *ctx, const struct sntp_cfg *cfg, int n,
        char **servers)
{
    struct nk_exit_acc acc = {0, 0, 0, 0};
    struct nk_out o;
    struct nk_err err;

    nk_out_init(&o, stdout, NK_OUT_TEXT, 0);
    for (int i = 0; i < n; i++) {
        int rc = NK_EX_OK;
        if (raw_one(ctx, &o, cfg, servers[i], &err) < 0) {
            rc = nk_fail(ctx->cmd->name, NULL, &err);
        }
        nk_exit_note(&acc, rc);
    }
    if (nk_out_finish(&o) < 0)
        return NK_EX_SOFTWARE;
    return nk_exit_result(&acc);
}

/* --- options */

static const struct nk_optdef sntp_optdefs[] = {
    NK_OPT('p', "port", NK_OPT_PORTSTR, struct sntp_cfg, port, 1, 0, "P",
           "server port (default 123)"),
    NK_OPT('c', "count", NK_OPT_LONG, struct sntp_cfg, count, 1, MAX_COUNT,
           "N",
           "N samples per server (1-1000): the best (lowest\n"
           "delay) is shown, with min/median/max"),
    NK_OPT('i', "interval", NK_OPT_SECONDS, struct sntp_cfg, interval_ms, 0,
           3600000, "S", "seconds between samples (default 1)"),
    NK_OPT('t', "timeout", NK_OPT_SECONDS, struct sntp_cfg, timeout_ms, 1,
           600000, "S", "seconds to wait for each reply (default 2)"),
    NK_OPT('r', "retries", NK_OPT_INT, struct sntp_cfg, retries, 0,
           MAX_RETRIES, "N",
           "requests after the first before giving up\n"
           "(default 2; 0-10)"),
    NK_OPT_IPV46(struct sntp_cfg, family),
    NK_OPT(0, "raw", NK_OPT_FLAG, struct sntp_cfg, raw, 0, 0, NULL,
           "the recipe exactly: send 0x1b and 47 zero bytes,\n"
           "print word 10 minus 2208988800 as ctime (no\n"
           "checks, wrong after 2036)"),
    NK_OPT_JSON_DEF("one JSON document"),
    NK_OPT_HELP_DEF,
    NK_OPT_END,
};

const struct nk_optspec cmd_sntp_spec = {
    "usage: netkit sntp [SERVER...] [--port P] [--count N] [--interval S]\n"
    "                   [--timeout S] [--retries N] [-4|-6] [--json]\n"
    "       netkit sntp --raw [SERVER...] [--port P] [--timeout S]\n"
    "       netkit sntp serve [OPTIONS]    (see 'netkit sntp serve --help')\n"
    "       netkit sntp bench [OPTIONS]    (see 'netkit sntp bench --help')\n"
    "\n"
    "Ask each SERVER (default pool.ntp.org) for the time with SNTP (RFC\n"
    "4330) and print the address that answered, the server's time (local\n"
    "ctime and ISO 8601 UTC), the clock offset and round-trip delay from\n"
    "the four timestamps (RFC 5905), stratum, reference id, leap indicator,\n"
    "version, poll, precision, root delay and root dispersion.\n"
    "\n"
    "A reply counts only if it comes from the address asked, is at least\n"
    "48 bytes, is mode 4 (server), version 1-4, echoes the request's\n"
    "random transmit timestamp as its origin and has a nonzero transmit\n"
    "time; other datagrams are ignored and counted. A Kiss-o'-Death\n"
    "(stratum 0) prints its code (RATE, DENY, RSTR...) and ends queries to\n"
    "that server. Leap 3 or stratum 16 is reported as unsynchronised.\n"
    "\n"
    "'serve' as the first argument runs the server; to query a host really\n"
    "named serve, write 'serve.' or put an option first.\n"
    "\n",
    sntp_optdefs,
    "exit: 0 answered, 68 unknown host, 69 refused or server not\n"
    "synchronised, 75 no answer after the retries, 76 only bogus replies or\n"
    "a Kiss-o'-Death; 1 when some servers failed.\n"
    "\n"
    "examples:\n"
    "  netkit sntp\n"
    "  netkit sntp --port 12300 127.0.0.1\n"
    "  netkit sntp --count 4 --interval 0.2 --json ::1 --port 12300\n"
    "  netkit sntp --raw 127.0.0.1 --port 12300\n",
    0, NULL};

static int
parse_args(int argc, char **argv, struct nk_ctx *ctx, struct sntp_cfg *cfg)
{
    int rc = nk_opt_parse(ctx, &cmd_sntp_spec, argc, argv, cfg);

    if (rc != NK_OPT_GO)
        return rc == NK_EX_OK ? -1 : rc; /* -1: --help was shown */
    if (cfg->raw && (ctx->json || cfg->count != 1))
        return nk_usage_error(ctx, "--raw prints the recipe's lines only; it "
                                   "takes no --json or --count");
    return 0;
}

/* The client: the command's default, run when argv[1] names no
 * subcommand (only an exact "serve" or "bench" does; any other first word
 * is a server name, and a host named bench is written "bench."). */
static int
sntp_query(int argc, char **argv, struct nk_ctx *ctx)
{
    static char *dflt[] = {DEFAULT_SERVER};
    struct sntp_cfg cfg = {NK_SNTP_PORT, AF_UNSPEC, 2000, 2, 1, 1000, 0};
    int rc = parse_args(argc, argv, ctx, &cfg);
    char **servers = argv + optind; /* after the parse: it sets optind */
    int n = argc - optind;

    if (rc != 0)
        return rc < 0 ? NK_EX_OK : rc;
    if (n == 0) {
        n = 1;
        servers = dflt;
    }
    nk_net_init();
    if (cfg.raw)
        return run_raw(ctx, &cfg, n, servers);
    return run_client(ctx, &cfg, n, servers);
}

const struct nk_subcmd cmd_sntp_subs[] = {
    NK_SUBCMD(sntp, serve),
    NK_SUBCMD(sntp, bench),
    NK_SUBCMD_DEFAULT(sntp_query, cmd_sntp_spec),
};

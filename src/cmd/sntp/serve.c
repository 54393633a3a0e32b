/* netkit sntp serve: an SNTP server (RFC 4330 section 5, RFC 5905 section
 * 9) that real NTP clients accept, and that can never be turned against
 * anyone: only mode 3 requests of 48 bytes or more are answered, always
 * with exactly 48 bytes (never more than came in), and a per-address rate
 * limit answers excess with one Kiss-o'-Death RATE per second and drops
 * the rest, from fixed-size tables.
 *
 * Speed comes from doing little per packet: requests are read and replies
 * sent in batches (recvmmsg/sendmmsg), the clock is read once per batch
 * for the receive timestamp (right after the batch arrives) and once more
 * for the transmit timestamp (right before the batch leaves), and the
 * kernel's synchronisation state is asked at most once a second. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__linux__)
#include <sys/timex.h>
#endif

#include "sntp_int.h"
#include "netkit/activate.h"
#include "netkit/evloop.h"
#include "netkit/exitcodes.h"
#include "netkit/fail.h"
#include "netkit/net.h"
#include "netkit/out.h"
#include "netkit/parse.h"
#include "netkit/server.h"
#include "netkit/signals.h"
#include "netkit/sntp.h"
#include "netkit/udp.h"

#define BATCH 32 /* datagrams per recvmmsg/sendmmsg */
#define ROUNDS 8 /* batches per wake-up before yielding */
#define INBUF                                                                 \
    1024                  /* room per request (extension fields are kept      \
                           * short; a truncated request is still answered) */
#define SOCKBUF (1 << 20) /* asked of SO_RCVBUF/SO_SNDBUF */
#define RATE_SLOTS 8192   /* addresses remembered by --rate-limit */
#define WAIT_MS 1000
/* --inetd: inetd's "wait" mode hands us its socket and listens again only
 * once we exit, so we exit after this long without a request. */
#define INETD_IDLE_MS 10000

struct serve_cfg {
    const char *bind;
    const char *port;
    int family;
    int stratum;
    uint32_t refid;
    uint32_t rate_limit;
    int assume_synced;
    int inetd;          /* the socket is stdin (inetd wait, Accept=no) */
    const char *fdname; /* of the sockets systemd passed, this one */
};

struct counts {
    uint64_t answered, kod, short_, mode, version, send_dropped, recv_errors;
    uint64_t
        rate_dropped; /* over the limit, the interval's KoD already sent */
};

struct server {
    int fd;
    const struct serve_cfg *cfg;
    const char *cmd;
    struct nk_sntp_server_cfg pkt;
    int64_t next_sync_ms;
    int kernel_leap;
    struct nk_sntp_rate rate;
    struct nk_sntp_rate_slot *slots;
    /* The KoDs themselves, limited to one per source and interval: a
     * spoofed source must not get one packet back per packet sent. */
    struct nk_sntp_rate kod_rate;
    struct nk_sntp_rate_slot *kod_slots;
    struct counts n;
    struct nk_udp_msg in[BATCH], out[BATCH];
    uint8_t inbuf[BATCH][INBUF];
    uint8_t outbuf[BATCH][NK_SNTP_LEN];
    uint8_t is_kod[BATCH];
    int64_t last_ms; /* the last wake-up with a datagram (--inetd) */
};

/* The kernel's view of the clock (ntp_adjtime with no changes, allowed
 * without privilege): leap 3 when it says unsynchronised (TIME_ERROR or
 * STA_UNSYNC), 1/2 while a leap second is armed, else 0. Where there is
 * no such call we cannot tell, and say 0. */
static int
kernel_leap(void)
{
#if defined(__linux__)
    struct timex tx;
    int st;

    memset(&tx, 0, sizeof tx);
    st = ntp_adjtime(&tx);
    if (st < 0)
        return NK_SNTP_LEAP_NONE;
    if (st == TIME_ERROR || (tx.status & STA_UNSYNC))
        return NK_SNTP_LEAP_UNSYNC;
    if (tx.status & STA_INS)
        return NK_SNTP_LEAP_ADD;
    if (tx.status & STA_DEL)
        return NK_SNTP_LEAP_DEL;
#endif
    return NK_SNTP_LEAP_NONE;
}

/* Precision (RFC 5905 7.3): the clock's resolution or the time it takes
 * to read it, whichever is larger, as a power of two. */
static int8_t
measure_precision(void)
{
    struct timespec res, a, b;
    long step = 0, ns = 1;

    if (clock_getres(CLOCK_REALTIME, &res) == 0 && res.tv_sec == 0)
        ns = res.tv_nsec;
    clock_gettime(CLOCK_REALTIME, &a);
    for (int i = 0; i < 1000; i++) {
        clock_gettime(CLOCK_REALTIME, &b);
        long d = (long)(b.tv_sec - a.tv_sec) * 1000000000L +
                 (b.tv_nsec - a.tv_nsec);
        if (d > 0 && (step == 0 || d < step))
            step = d;
        a = b;
    }
    return nk_sntp_precision_from_ns(step > ns ? step : ns);
}

/* Leap and reference time, refreshed at most once a second. The
 * reference time says when the clock was last set; a local clock has no
 * such moment, so (like ntpd's local driver) it is the latest 64-second
 * boundary: recent, and never after the receive time. */
static void
refresh_state(struct server *s, uint64_t now)
{
    int64_t ms = nk_now_ms();

    if (ms >= s->next_sync_ms) {
        s->next_sync_ms = ms + 1000;
        s->kernel_leap = kernel_leap();
    }
    s->pkt.leap = (uint8_t)(s->cfg->assume_synced &&
                                    s->kernel_leap == NK_SNTP_LEAP_UNSYNC
                                ? NK_SNTP_LEAP_NONE
                                : s->kernel_leap);
    s->pkt.ref_ts = (now >> 32 & ~(uint64_t)63) << 32;
}

/* The rate table's key: the client's address without its port (one host
 * must not escape the limit by changing ports). IPv4 arriving on a
 * dual-stack socket as ::ffff:a.b.c.d keeps that form; it is the same
 * for every packet from the host. */
static void
rate_key(const struct nk_addr *a, uint8_t key[NK_SNTP_RATE_KEY])
{
    memset(key, 0, NK_SNTP_RATE_KEY);
    key[0] = (uint8_t)a->ss.ss_family;
    if (a->ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const void *)&a->ss;
        memcpy(key + 4, &s6->sin6_addr, 16);
    } else if (a->ss.ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const void *)&a->ss;
        memcpy(key + 4, &s4->sin_addr, 4);
    }
}

/* Turn a received batch into replies in s->out. Returns the count. */
static int
build_replies(struct server *s, int n, uint64_t recv_ts)
{
    int64_t ms = s->cfg->rate_limit ? nk_now_ms() : 0;
    int k = 0;

    for (int i = 0; i < n; i++) {
        struct nk_udp_msg *m = &s->in[i];
        struct nk_sntp_pkt req;
        uint8_t key[NK_SNTP_RATE_KEY];

        switch (nk_sntp_filter_request(m->buf, m->len, &req)) {
        case NK_SNTP_DROP_SHORT:
            s->n.short_++;
            continue;
        case NK_SNTP_DROP_MODE:
            s->n.mode++;
            continue;
        case NK_SNTP_DROP_VERSION:
            s->n.version++;
            continue;
        case NK_SNTP_ANSWER:
            break;
        }
        s->is_kod[k] = 0;
        if (s->cfg->rate_limit) {
            rate_key(&m->addr, key);
            s->is_kod[k] = !nk_sntp_rate_allow(&s->rate, key, ms);
        }
        if (s->is_kod[k] && !nk_sntp_rate_allow(&s->kod_rate, key, ms)) {
            s->n.rate_dropped++;
            continue;
        }
        if (s->is_kod[k])
            nk_sntp_build_kod(&req, "RATE", s->outbuf[k]);
        else
            nk_sntp_build_reply(&req, &s->pkt, sntp_arrival(m, recv_ts), 0,
                                s->outbuf[k]);
        s->out[k].addr = m->addr;
        s->out[k].local = m->local; /* answer from the address asked */
        s->out[k].len = NK_SNTP_LEN;
        k++;
    }
    return k;
}

/* Stamp the transmit time (the last thing before the send) and send. A
 * full send buffer drops the rest of the batch: waiting for one client
 * would stall them all. */
static void
send_replies(struct server *s, int k)
{
    uint64_t xmit = sntp_now_ntp();
    struct nk_err err;
    int i = 0;

    for (int j = 0; j < k; j++)
        if (!s->is_kod[j])
            nk_sntp_set_xmit(s->outbuf[j], xmit);
    while (i < k) {
        int r = nk_udp_send_batch(s->fd, s->out + i, k - i, 0, &err);
        if (r <= 0) {
            if (err.sys_errno == EAGAIN) {
                s->n.send_dropped += (uint64_t)(k - i);
                return;
            }
            s->n.send_dropped++; /* that one destination failed */
            r = 1;
        } else {
            for (int j = i; j < i + r; j++) {
                if (s->is_kod[j])
                    s->n.kod++;
                else
                    s->n.answered++;
            }
        }
        i += r;
    }
}

static void
sns_on_readable(struct nk_loop *loop, int fd, unsigned events, void *arg)
{
    struct server *s = arg;
    struct nk_err err;

    (void)loop;
    (void)events;
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < BATCH; i++)
            s->in[i].cap = INBUF;
        int n = nk_udp_recv_batch(fd, s->in, BATCH, 0, &err);
        /* T2 where the kernel gave no arrival stamp (see sntp_arrival). */
        uint64_t recv_ts = sntp_now_ntp();
        if (n > 0)
            s->last_ms = nk_now_ms();
        if (n < 0) {
            /* A datagram socket's errors are per datagram (an ICMP error
             * for an earlier reply, ENOBUFS): count them and go on. */
            if (err.sys_errno != EAGAIN)
                s->n.recv_errors++;
            return;
        }
        refresh_state(s, recv_ts);
        int k = build_replies(s, n, recv_ts);
        if (k > 0)
            send_replies(s, k);
        if (n < BATCH)
            return;
    }
}

/* The socket: stdin under --inetd, the one systemd passed, or our own. */
static int
serve_socket(const struct serve_cfg *cfg, struct nk_err *err)
{
    struct nk_listen_opts o;

    if (cfg->inetd)
        return nk_inetd_check(SOCK_DGRAM, 0, err) < 0 ? -1 : 0;
    memset(&o, 0, sizeof o);
    o.host = cfg->bind;
    o.port = cfg->port;
    o.family = cfg->family;
    o.socktype = SOCK_DGRAM;
    /* No SO_REUSEADDR: for UDP on Linux it lets a second server bind the
     * same port, silently, and only one of them gets the datagrams. */
    return nk_listen_activated(&o, cfg->fdname, NULL, err);
}

static int
sns_open_socket(const struct serve_cfg *cfg, struct nk_addr *at,
                struct nk_err *err)
{
    int fd = serve_socket(cfg, err);

    if (fd < 0)
        return -1;
    /* On a wildcard socket the reply must leave from the address the
     * request was sent to (RFC 1122 4.1.3.5), or a client's connected
     * socket never sees it: read each destination (IP_PKTINFO). A passed
     * socket's own address says whether it is one. */
    if (nk_udp_set_buffers(fd, SOCKBUF, NULL, NULL, err) < 0 ||
        nk_set_nonblock(fd, 1, err) < 0 || nk_local_addr(fd, at, err) < 0 ||
        (nk_addr_wildcard(at) &&
         nk_udp_pktinfo(fd, at->ss.ss_family, err) < 0)) {
        nk_close(fd);
        return -1;
    }
    /* Kernel arrival stamps for T2; without them T2 is read after the
     * receive, which is still correct, only later. */
    (void)nk_udp_timestamps(fd, NULL);
    return fd;
}

static int
sns_setup(struct server *s, const struct serve_cfg *cfg, struct nk_addr *at,
          struct nk_err *err)
{
    for (int i = 0; i < BATCH; i++) {
        s->in[i].buf = s->inbuf[i];
        s->in[i].cap = INBUF;
        s->out[i].buf = s->outbuf[i];
    }
    s->pkt.stratum = (uint8_t)cfg->stratum;
    s->pkt.refid = cfg->refid;
    s->pkt.precision = measure_precision();
    s->pkt.root_delay = 0;
    /* Our error bound: the clock's precision, at least one 2^-16 s unit
     * (a local clock adds no network path). */
    s->pkt.root_dispersion =
        nk_ntp_short_from_double(nk_ntp_log2_secs(s->pkt.precision));
    if (s->pkt.root_dispersion == 0)
        s->pkt.root_dispersion = 1;
    s->next_sync_ms = 0;
    refresh_state(s, sntp_now_ntp());
    if (cfg->rate_limit) {
        s->slots = calloc(RATE_SLOTS, sizeof *s->slots);
        if (s->slots == NULL)
            return nk_err_sys(err, ENOMEM, "rate table");
        nk_sntp_rate_init(&s->rate, s->slots, RATE_SLOTS, cfg->rate_limit);
        s->kod_slots = calloc(RATE_SLOTS, sizeof *s->kod_slots);
        if (s->kod_slots == NULL)
            return nk_err_sys(err, ENOMEM, "rate table");
        nk_sntp_rate_init(&s->kod_rate, s->kod_slots, RATE_SLOTS, 1);
    }
    s->fd = sns_open_socket(cfg, at, err);
    return s->fd < 0 ? -1 : 0;
}

static void
print_counts(const struct nk_ctx *ctx, const struct server *s,
             const char *where)
{
    const struct counts *n = &s->n;
    uint64_t dropped =
        n->short_ + n->mode + n->version + n->send_dropped + n->rate_dropped;
    struct nk_out o;

    nk_server_stopped(ctx->cmd->name,
                      "%" PRIu64 " answered, %" PRIu64
                      " rate-limited (KoD RATE), %" PRIu64 " dropped",
                      n->answered, n->kod, dropped);
    if (s->cfg->inetd)
        return; /* stdout is the socket */
    nk_out_init(&o, stdout, ctx->json ? NK_OUT_JSON : NK_OUT_TEXT, ctx->color);
    nk_out_str(&o, "address", where);
    nk_out_uint(&o, "answered", n->answered);
    nk_out_uint(&o, "kod_rate", n->kod);
    nk_out_uint(&o, "dropped", dropped);
    nk_out_uint(&o, "dropped_short", n->short_);
    nk_out_uint(&o, "dropped_mode", n->mode);
    nk_out_uint(&o, "dropped_version", n->version);
    nk_out_uint(&o, "dropped_send", n->send_dropped);
    nk_out_uint(&o, "dropped_rate", n->rate_dropped);
    nk_out_uint(&o, "receive_errors", n->recv_errors);
    nk_out_uint(&o, "rate_evicted", s->rate.evicted);
    nk_out_finish(&o);
}

/* Until stopped, or under --inetd until INETD_IDLE_MS pass without a
 * request (inetd then takes the socket back). */
static int
serve_loop(const struct nk_ctx *ctx, struct server *s, struct nk_loop *loop)
{
    struct nk_err err;

    s->last_ms = nk_now_ms();
    while (!nk_stop_requested()) {
        if (nk_loop_run_once(loop, WAIT_MS, &err) < 0)
            return nk_fail(ctx->cmd->name, NULL, &err);
        if (s->cfg->inetd && nk_now_ms() - s->last_ms >= INETD_IDLE_MS)
            break;
    }
    return NK_EX_OK;
}

static int
sns_serve(const struct nk_ctx *ctx, const struct serve_cfg *cfg)
{
    struct server *s = calloc(1, sizeof *s);
    struct nk_loop *loop = NULL;
    struct nk_addr at;
    struct nk_err err;
    char where[NK_ADDRSTRLEN];
    int rc = NK_EX_OK;

    if (s == NULL) {
        nk_diag(ctx->cmd->name, "out of memory");
        return NK_EX_SOFTWARE;
    }
    s->fd = -1;
    s->cfg = cfg;
    s->cmd = ctx->cmd->name;
    /* inetd makes stderr the socket too: diagnostics must not reach it */
    if (cfg->inetd && nk_inetd_quiet_stderr() < 0) {
        free(s);
        return NK_EX_SOFTWARE;
    }
    nk_net_init();
    if (sns_setup(s, cfg, &at, &err) < 0 || nk_server_stop_install(&err) < 0 ||
        (loop = nk_loop_new(NK_LOOP_DEFAULT, &err)) == NULL ||
        nk_loop_add(loop, s->fd, NK_EV_READ, sns_on_readable, s, &err) < 0) {
        rc = nk_fail(ctx->cmd->name, NULL, &err);
        goto out;
    }
    nk_server_announce(ctx->cmd->name, &at, where, sizeof where);
    if (s->pkt.leap == NK_SNTP_LEAP_UNSYNC)
        nk_diag(ctx->cmd->name, "the kernel says the clock is not "
                                "synchronised: answering with leap 3 "
                                "(--assume-synced to override)");
    rc = serve_loop(ctx, s, loop);
    print_counts(ctx, s, where);
out:
    nk_loop_free(loop);
    nk_close(s->fd);
    free(s->slots);
    free(s->kod_slots);
    free(s);
    return rc;
}

static int
parse_refid(const struct nk_ctx *ctx, const char *s, uint32_t *out)
{
    struct in_addr a;

    if (strchr(s, '.') != NULL && inet_pton(AF_INET, s, &a) == 1) {
        *out = ntohl(a.s_addr);
        return 0;
    }
    if (nk_sntp_refid_from_text(s, out) == 0)
        return 0;
    return nk_usage_error(ctx,
                          "--refid takes 1-4 printable ASCII characters or "
                          "an IPv4 address, not '%s'",
                          s);
}

/* --refid and --rate-limit, whose values need more than a range. */
static int
sns_option(const struct nk_ctx *ctx, const struct nk_optdef *def,
           const char *arg, void *values)
{
    struct serve_cfg *cfg = values;
    long v;

    if (def->name[0] == 'r' && def->name[1] == 'e')
        return parse_refid(ctx, arg, &cfg->refid);
    if (nk_opt_long(ctx, "--rate-limit", arg, 0, 1000000, &v) != 0)
        return NK_EX_USAGE;
    cfg->rate_limit = (uint32_t)v;
    return 0;
}

static const struct nk_optdef serve_optdefs[] = {
    NK_OPT('p', "port", NK_OPT_PORTSTR, struct serve_cfg, port, 0, 0, "P",
           "port (default 123; 0: any free port)"),
    NK_OPT('b', "bind", NK_OPT_STRING, struct serve_cfg, bind, 0, 0, "ADDR",
           "address to bind (default: every address)"),
    NK_OPT_IPV46(struct serve_cfg, family),
    NK_OPT('s', "stratum", NK_OPT_INT, struct serve_cfg, stratum, 1, 15, "N",
           "stratum to announce, 1-15 (default 10, a local\n"
           "clock; 0 would read as Kiss-o'-Death)"),
    {0, "refid", NK_OPT_CALL, 0, 0, 0, "ID",
     "reference id: up to 4 ASCII characters, or an\n"
     "IPv4 address (default LOCL)",
     NULL, sns_option},
    {0, "rate-limit", NK_OPT_CALL, 0, 0, 0, "N",
     "at most N requests per second per client\n"
     "address; the first excess one each second gets\n"
     "a Kiss-o'-Death RATE, the rest are dropped\n"
     "(default 0: no limit)",
     NULL, sns_option},
    NK_OPT(0, "assume-synced", NK_OPT_FLAG, struct serve_cfg, assume_synced, 0,
           0, NULL,
           "announce leap 0 even when the kernel says the\n"
           "clock is unsynchronised (as chrony's 'local'\n"
           "directive does), for isolated networks and tests"),
    NK_OPT_INETD(struct serve_cfg, inetd,
                 "inetd mode (wait): answer the datagrams that\n"
                 "come to the socket on stdin; exit after 10 s\n"
                 "without one"),
    NK_OPT_FDNAME(struct serve_cfg, fdname),
    NK_OPT_JSON_DEF("the counts as one JSON document"),
    NK_OPT_HELP_DEF,
    NK_OPT_END,
};

const struct nk_optspec sntp_serve_spec = {
    "usage: netkit sntp serve [--port P] [--bind ADDR] [-4|-6]\n"
    "                         [--stratum N] [--refid ID] [--rate-limit N]\n"
    "                         [--assume-synced] [--inetd] [--fdname NAME]\n"
    "                         [--json]\n"
    "\n"
    "Serve this machine's clock with SNTP. Each client request (mode 3,\n"
    "version 1-4, at least 48 bytes) gets a 48-byte mode 4 reply: version\n"
    "and poll copied, origin = the request's transmit timestamp, receive\n"
    "time read as the batch arrives, transmit time read last. Everything\n"
    "else (short packets, control mode 6, private mode 7, broadcasts,\n"
    "server replies) is dropped silently. Leap 3 (unsynchronised) is sent\n"
    "while the kernel says the clock is not synchronised. Without --bind\n"
    "the socket is dual-stack. SIGINT/SIGTERM print the counts of answered\n"
    "and dropped packets and exit 0.\n"
    "\n"
    "Under systemd socket activation (LISTEN_PID and LISTEN_FDS for this\n"
    "process) the datagram socket passed is served instead: no --port, so\n"
    "port 123 needs no root; --port, --bind, -4 and -6 are then ignored.\n"
    "\n",
    serve_optdefs,
    "examples:\n"
    "  netkit sntp serve --port 12300\n"
    "  netkit sntp serve --port 12300 --bind 127.0.0.1 --rate-limit 4\n"
    "  systemd-socket-activate -d -l 127.0.0.1:12300 netkit sntp serve\n",
    0, NULL};

int
sntp_serve(int argc, char **argv, struct nk_ctx *ctx)
{
    struct serve_cfg cfg = {
        NULL, NK_SNTP_PORT, AF_UNSPEC, 10, 0x4c4f434cu, 0, 0, 0, NULL};
    int rc = nk_opt_parse(ctx, &sntp_serve_spec, argc, argv, &cfg);

    if (rc != NK_OPT_GO)
        return rc;
    if (optind < argc)
        return nk_usage_error(ctx, "serve takes no arguments ('%s')",
                              argv[optind]);
    return sns_serve(ctx, &cfg);
}

/* netkit ping: ICMP echo (without root where the system allows ICMP
 * datagram sockets, raw otherwise), or a TCP connect ping; the lines and
 * summary iputils users read, one JSON document or JSON Lines, and the
 * lesson's Windows-style output. This file: options, the host, output and
 * the exit status; the loops are in ping_icmp.c and ping_tcp.c. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ping.h"
#include "netkit/exitcodes.h"
#include "netkit/icmp_proto.h"
#include "netkit/signals.h"

const char cmd_ping_usage[] =
    "usage: netkit ping HOST [--count N] [--interval S] [--timeout S]\n"
    "                   [--deadline S] [--size B] [--ttl N] [-4|-6]\n"
    "                   [--socket KIND] [--json|--json-lines] [--quiet]\n"
    "                   [--lesson]\n"
    "       netkit ping HOST --tcp PORT [--count N] [--interval S]\n"
    "                   [--timeout S] [--deadline S] [-4|-6] [--json]\n"
    "\n"
    "Send ICMP echo requests to HOST (resolved once, before the first\n"
    "probe) and print one line per reply: bytes, address, icmp_seq, ttl\n"
    "and the round trip in ms; lines too for timeouts, duplicates, late\n"
    "replies (after --timeout: reported, not counted as received) and ICMP\n"
    "errors with the address that sent them. At the end (count reached,\n"
    "--deadline, Ctrl-C) the summary: transmitted, received, loss and\n"
    "rtt min/avg/max/mdev.\n"
    "\n"
    "No root needed where net.ipv4.ping_group_range includes your group\n"
    "(ICMP datagram socket); as root a raw socket. With --tcp PORT it\n"
    "times TCP connects instead (SYN to SYN-ACK), for hosts that drop\n"
    "ICMP; a reset is 'port closed, host up', not a loss.\n"
    "\n"
    "options:\n"
    "  -c, --count N       stop after N probes (default: until Ctrl-C)\n"
    "  -i, --interval S    seconds between probes (default 1, at least\n"
    "                      0.002)\n"
    "  -t, --timeout S     seconds to wait for each reply (default 2)\n"
    "  -w, --deadline S    stop after S seconds, whatever the count\n"
    "  -s, --size B        ICMP data bytes (default 56; 16-65507)\n"
    "      --ttl N         IP time to live / IPv6 hop limit (1-255)\n"
    "  -4, -6              IPv4 or IPv6 only\n"
    "      --socket KIND   auto, dgram or raw (default auto: raw as root,\n"
    "                      else dgram, else raw)\n"
    "      --tcp PORT      TCP connect ping to PORT\n"
    "  -j, --json          one JSON document at the end\n"
    "      --json-lines    one JSON object per line as events come\n"
    "  -q, --quiet         only the first line and the summary\n"
    "      --lesson        the course's Windows-style output (default 4\n"
    "                      probes of 32 bytes)\n"
    "  -h, --help          this text\n"
    "\n"
    "exit: 0 every probe answered, 1 some lost, 75 none answered, 68\n"
    "unknown host, 77 no ICMP socket allowed, 64 usage. (iputils ping\n"
    "exits 0 when any reply came.)\n"
    "\n"
    "examples:\n"
    "  netkit ping --count 3 127.0.0.1\n"
    "  netkit ping -6 --count 5 --interval 0.2 ::1\n"
    "  netkit ping --tcp 443 --count 3 example.com\n"
    "  netkit ping --lesson 8.8.8.8\n";

#define MAX_COUNT 1000000
#define MAX_SIZE 65507
#define RING 65536

enum { OPT_TTL = 256, OPT_JSONL, OPT_TCP, OPT_SOCKET, OPT_LESSON };

int64_t
ping_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
ping_ms_until(int64_t t_us, int64_t now_us, int cap)
{
    int64_t ms;

    if (t_us <= now_us)
        return 0;
    ms = (t_us - now_us + 999) / 1000;
    return ms < cap ? (int)ms : cap;
}

/* --- output */

static const char *const kind_names[] = {"reply",   "duplicate", "late",
                                         "timeout", "error",     "corrupted",
                                         "open",    "closed"};

static double
ms(int64_t us)
{
    return (double)us / 1000.0;
}

/* "Reply from 127.0.0.1: bytes=32 time<1ms TTL=64": Windows rounds to
 * whole milliseconds and writes time<1ms below one. */
static void
lesson_line(struct ping_run *r, const struct ping_event *ev)
{
    char t[32];
    int64_t whole = (ev->rtt_us + 500) / 1000;

    if (ev->kind == PK_TIMEOUT) {
        nk_out_line(&r->o, "Request timed out.");
        return;
    }
    if (ev->kind == PK_ERROR) {
        nk_out_line(&r->o, "Reply from %s: %s.", ev->from ? ev->from : "?",
                    ev->what);
        return;
    }
    if (ev->kind != PK_REPLY)
        return; /* Windows shows neither duplicates nor late replies */
    if (ev->rtt_us < 1000)
        snprintf(t, sizeof t, "time<1ms");
    else
        snprintf(t, sizeof t, "time=%" PRId64 "ms", whole);
    nk_out_line(&r->o, "Reply from %s: bytes=%zu %s TTL=%d", ev->from,
                (size_t)r->cfg->size, t, ev->ttl);
}

static void
text_line(struct ping_run *r, const struct ping_event *ev)
{
    char ttl[16] = "";
    const char *from = ev->from ? ev->from : r->addr;
    double t = ms(ev->rtt_us);

    if (ev->ttl >= 0)
        snprintf(ttl, sizeof ttl, " ttl=%d", ev->ttl);
    switch (ev->kind) {
    case PK_REPLY:
    case PK_DUP:
    case PK_LATE:
        nk_out_line(&r->o,
                    "%zu bytes from %s: icmp_seq=%" PRIu32 "%s "
                    "time=%.3f ms%s",
                    ev->bytes, from, ev->seq, ttl, t,
                    ev->kind == PK_DUP    ? " (DUP!)"
                    : ev->kind == PK_LATE ? " (late: after the timeout)"
                                          : "");
        break;
    case PK_CORRUPT:
        nk_out_line(&r->o,
                    "%zu bytes from %s: icmp_seq=%" PRIu32 " (corrupted data)",
                    ev->bytes, from, ev->seq);
        break;
    case PK_TIMEOUT:
        nk_out_line(&r->o, "no reply for %s=%" PRIu32 " within %.3f s",
                    r->cfg->tcp_port ? "seq" : "icmp_seq", ev->seq,
                    r->cfg->timeout_ms / 1000.0);
        break;
    case PK_ERROR:
        nk_out_line(&r->o, "From %s %s=%" PRIu32 " %s", from,
                    r->cfg->tcp_port ? "seq" : "icmp_seq", ev->seq, ev->what);
        break;
    case PK_OPEN:
        nk_out_line(&r->o,
                    "connected to %s port %u: seq=%" PRIu32
                    " time=%.3f ms (port open)",
                    from, r->cfg->tcp_port, ev->seq, t);
        break;
    case PK_CLOSED:
        nk_out_line(&r->o,
                    "reset from %s port %u: seq=%" PRIu32
                    " time=%.3f ms (port closed, host up)",
                    from, r->cfg->tcp_port, ev->seq, t);
        break;
    }
}

static void
event_members(struct nk_out *o, const struct ping_event *ev)
{
    nk_out_str(o, "type", kind_names[ev->kind]);
    nk_out_uint(o, "seq", ev->seq);
    if (ev->from != NULL)
        nk_out_str(o, "from", ev->from);
    if (ev->bytes > 0)
        nk_out_uint(o, "bytes", ev->bytes);
    if (ev->ttl >= 0)
        nk_out_int(o, "ttl", ev->ttl);
    if (ev->rtt_us >= 0)
        nk_out_double(o, "rtt_ms", ms(ev->rtt_us), 3);
    if (ev->what != NULL)
        nk_out_str(o, "error", ev->what);
}

static void
count_event(struct ping_run *r, const struct ping_event *ev)
{
    switch (ev->kind) {
    case PK_REPLY:
    case PK_OPEN:
    case PK_CLOSED:
        r->received++;
        if (ev->kind == PK_OPEN)
            r->open++;
        if (ev->kind == PK_CLOSED)
            r->closed++;
        (void)nk_stats_add(&r->rtt, ms(ev->rtt_us), NULL);
        break;
    case PK_DUP:
        r->dup++;
        break;
    case PK_LATE:
        r->late++;
        break;
    case PK_ERROR:
        r->errors++;
        break;
    case PK_CORRUPT:
        r->corrupt++;
        break;
    case PK_TIMEOUT:
        break;
    }
}

void
ping_event(struct ping_run *r, const struct ping_event *ev)
{
    count_event(r, ev);
    if (r->cfg->jsonl) {
        struct nk_out o;
        nk_out_init(&o, stdout, NK_OUT_JSONL, 0);
        event_members(&o, ev);
        nk_out_finish(&o);
    } else if (r->o.mode == NK_OUT_JSON) {
        nk_out_obj(&r->o, NULL);
        event_members(&r->o, ev);
        nk_out_close(&r->o);
    } else if (r->cfg->quiet) {
        return;
    } else if (r->cfg->lesson) {
        lesson_line(r, ev);
    } else {
        text_line(r, ev);
    }
    fflush(stdout);
}

static double
loss_pct(const struct ping_run *r)
{
    if (r->sent == 0)
        return 0.0;
    return (double)(r->sent - r->received) * 100.0 / (double)r->sent;
}

static void
summary_members(struct ping_run *r, struct nk_out *o)
{
    nk_out_uint(o, "transmitted", r->sent);
    nk_out_uint(o, "received", r->received);
    nk_out_uint(o, "duplicates", r->dup);
    nk_out_uint(o, "late", r->late);
    nk_out_uint(o, "errors", r->errors);
    nk_out_uint(o, "corrupted", r->corrupt);
    if (r->cfg->tcp_port) {
        nk_out_uint(o, "open", r->open);
        nk_out_uint(o, "closed", r->closed);
    }
    nk_out_double(o, "loss_pct", loss_pct(r), 3);
    nk_out_double(o, "elapsed_ms", ms(r->end_us - r->start_us), 3);
    if (r->received == 0) {
        nk_out_null(o, "rtt_ms");
        return;
    }
    nk_out_obj(o, "rtt_ms");
    nk_out_double(o, "min", nk_stats_min(&r->rtt), 3);
    nk_out_double(o, "avg", nk_stats_mean(&r->rtt), 3);
    nk_out_double(o, "max", nk_stats_max(&r->rtt), 3);
    nk_out_double(o, "mdev", nk_stats_stddev(&r->rtt), 3);
    nk_out_close(o);
}

static void
lesson_summary(struct ping_run *r)
{
    uint64_t lost = r->sent - r->received;

    nk_out_line(&r->o, "%s", "");
    nk_out_line(&r->o, "Ping statistics for %s:", r->addr);
    nk_out_line(&r->o,
                "    Packets: Sent = %" PRIu64 ", Received = %" PRIu64
                ", Lost = %" PRIu64 " (%d%% loss),",
                r->sent, r->received, lost,
                r->sent ? (int)(lost * 100 / r->sent) : 0);
    if (r->received == 0)
        return;
    nk_out_line(&r->o, "Approximate round trip times in milli-seconds:");
    nk_out_line(&r->o,
                "    Minimum = %.0fms, Maximum = %.0fms, "
                "Average = %.0fms",
                nk_stats_min(&r->rtt), nk_stats_max(&r->rtt),
                nk_stats_mean(&r->rtt));
}

static void
text_summary(struct ping_run *r)
{
    char extra[160] = "";
    size_t n = 0;

    if (r->cfg->lesson) {
        lesson_summary(r);
        return;
    }
#define EXTRA(v, what)                                                        \
    if ((v) > 0 && n < sizeof extra)                                          \
        n += (size_t)snprintf(extra + n, sizeof extra - n,                    \
                              ", +%" PRIu64 " " what, (uint64_t)(v));
    EXTRA(r->dup, "duplicates")
    EXTRA(r->late, "late")
    EXTRA(r->corrupt, "corrupted")
    EXTRA(r->errors, "errors")
#undef EXTRA
    nk_out_line(&r->o, "%s", "");
    nk_out_line(&r->o, "--- %s ping statistics ---", r->cfg->host);
    nk_out_line(&r->o,
                "%" PRIu64 " packets transmitted, %" PRIu64
                " received%s, %g%% packet loss, time %" PRId64 "ms",
                r->sent, r->received, extra, loss_pct(r),
                (r->end_us - r->start_us) / 1000);
    if (r->cfg->tcp_port)
        nk_out_line(&r->o, "port %u: %" PRIu64 " open, %" PRIu64 " closed",
                    r->cfg->tcp_port, r->open, r->closed);
    if (r->received > 0)
        nk_out_line(&r->o, "rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms",
                    nk_stats_min(&r->rtt), nk_stats_mean(&r->rtt),
                    nk_stats_max(&r->rtt), nk_stats_stddev(&r->rtt));
}

static void
summary(struct ping_run *r)
{
    if (r->cfg->jsonl) {
        struct nk_out o;
        nk_out_init(&o, stdout, NK_OUT_JSONL, 0);
        nk_out_str(&o, "type", "summary");
        nk_out_str(&o, "host", r->cfg->host);
        nk_out_str(&o, "address", r->addr);
        summary_members(r, &o);
        nk_out_finish(&o);
    } else if (r->o.mode == NK_OUT_JSON) {
        nk_out_close(&r->o); /* the replies */
        summary_members(r, &r->o);
    } else {
        text_summary(r);
    }
}

void
ping_header(struct ping_run *r)
{
    const struct ping_cfg *c = r->cfg;
    int ip = r->to.ss.ss_family == AF_INET6 ? 40 : 20;

    if (r->o.mode == NK_OUT_JSON) {
        nk_out_str(&r->o, "host", c->host);
        nk_out_str(&r->o, "address", r->addr);
        nk_out_str(&r->o, "mode", r->mode);
        if (c->tcp_port)
            nk_out_uint(&r->o, "port", c->tcp_port);
        else
            nk_out_uint(&r->o, "data_bytes", (uint64_t)c->size);
        nk_out_arr(&r->o, "replies");
        return;
    }
    if (c->jsonl)
        return;
    if (c->lesson && strcmp(c->host, r->addr) == 0)
        nk_out_line(&r->o, "Pinging %s with %ld bytes of data:", r->addr,
                    c->size);
    else if (c->lesson)
        nk_out_line(&r->o, "Pinging %s [%s] with %ld bytes of data:", c->host,
                    r->addr, c->size);
    else if (c->tcp_port)
        nk_out_line(&r->o, "TCP PING %s (%s) port %u.", c->host, r->addr,
                    c->tcp_port);
    else
        nk_out_line(&r->o, "PING %s (%s) %ld(%ld) bytes of data.", c->host,
                    r->addr, c->size, c->size + NK_ICMP_HDR + ip);
    fflush(stdout);
}

/* The exit status: every probe answered, some, none. */
static int
outcome(const struct ping_run *r)
{
    if (r->sent > 0 && r->received >= r->sent)
        return NK_EX_OK;
    return r->received == 0 ? NK_EX_TEMPFAIL : NK_EX_PARTIAL;
}

/* What would allow an ICMP socket, when none was: the group range that
 * would take this group in, and the other ways. */
static void
explain_noperm(const struct nk_ctx *ctx)
{
    unsigned long lo = 1, hi = 0, g = (unsigned long)getegid();

    if (nk_icmp_group_range(&lo, &hi) < 0) {
        nk_diag(ctx->cmd->name,
                "an ICMP datagram socket needs a kernel with "
                "net.ipv4.ping_group_range; a raw socket needs "
                "root or CAP_NET_RAW");
        return;
    }
    nk_diag(ctx->cmd->name,
            "an ICMP datagram socket needs one of your groups (gid %lu) "
            "within net.ipv4.ping_group_range, which is \"%lu %lu\"; a raw "
            "socket needs root or CAP_NET_RAW",
            g, lo, hi);
    if (lo > hi) /* empty: "1 0", nobody */
        lo = hi = g;
    nk_diag(ctx->cmd->name,
            "allow it with: sysctl -w net.ipv4.ping_group_range=\"%lu %lu\" "
            "(or use --tcp PORT, which needs no privilege)",
            g < lo ? g : lo, g > hi ? g : hi);
}

/* --- options */

static int
parse_socket(const struct nk_ctx *ctx, const char *s, struct ping_cfg *cfg)
{
    if (strcmp(s, "auto") == 0)
        cfg->sockmode = NK_ICMP_AUTO;
    else if (strcmp(s, "dgram") == 0)
        cfg->sockmode = NK_ICMP_DGRAM;
    else if (strcmp(s, "raw") == 0)
        cfg->sockmode = NK_ICMP_RAW;
    else
        return nk_usage_error(ctx,
                              "--socket takes auto, dgram or raw, not "
                              "'%s'",
                              s);
    return 0;
}

/* Combinations, once every option is read. */
static int
check_cfg(const struct nk_ctx *ctx, struct ping_cfg *cfg, int size_set,
          int count_set, int icmp_only)
{
    if (ctx->json && cfg->jsonl)
        return nk_usage_error(ctx, "--json or --json-lines, not both");
    if (cfg->lesson && (ctx->json || cfg->jsonl || cfg->tcp_port))
        return nk_usage_error(ctx, "--lesson is text output of ICMP echo "
                                   "only");
    if (cfg->tcp_port && icmp_only)
        return nk_usage_error(ctx, "--size, --ttl and --socket are for ICMP, "
                                   "not --tcp");
    if ((int64_t)cfg->timeout_ms / cfg->interval_ms >= RING / 2)
        return nk_usage_error(ctx,
                              "--timeout over --interval would keep more "
                              "than %d probes out",
                              RING / 2);
    if (cfg->lesson && !size_set)
        cfg->size = 32;
    if (cfg->lesson && !count_set)
        cfg->count = 4;
    return 0;
}

/* Options into cfg: 0, or the exit status to return (-1: --help). */
static int
parse_opts(int argc, char **argv, struct nk_ctx *ctx, struct ping_cfg *cfg)
{
    static const struct option longopts[] = {
        {"count", required_argument, NULL, 'c'},
        {"interval", required_argument, NULL, 'i'},
        {"timeout", required_argument, NULL, 't'},
        {"deadline", required_argument, NULL, 'w'},
        {"size", required_argument, NULL, 's'},
        {"ttl", required_argument, NULL, OPT_TTL},
        {"socket", required_argument, NULL, OPT_SOCKET},
        {"tcp", required_argument, NULL, OPT_TCP},
        {"json", no_argument, NULL, 'j'},
        {"json-lines", no_argument, NULL, OPT_JSONL},
        {"quiet", no_argument, NULL, 'q'},
        {"lesson", no_argument, NULL, OPT_LESSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, size_set = 0, count_set = 0, icmp_only = 0;
    long v = 0;

    while ((c = getopt_long(argc, argv, ":c:i:t:w:s:46jqh", longopts, NULL)) !=
           -1) {
        int bad = 0;
        switch (c) {
        case 'c':
            bad =
                nk_opt_long(ctx, "--count", optarg, 1, MAX_COUNT, &cfg->count);
            count_set = 1;
            break;
        case 'i':
            bad = nk_opt_seconds(ctx, "--interval", optarg, 2, 86400000,
                                 &cfg->interval_ms);
            break;
        case 't':
            bad = nk_opt_seconds(ctx, "--timeout", optarg, 1, 86400000,
                                 &cfg->timeout_ms);
            break;
        case 'w':
            bad = nk_opt_seconds(ctx, "--deadline", optarg, 1, 86400000,
                                 &cfg->deadline_ms);
            break;
        case 's':
            bad = nk_opt_long(ctx, "--size", optarg, NK_PING_STAMP, MAX_SIZE,
                              &cfg->size);
            size_set = icmp_only = 1;
            break;
        case OPT_TTL:
            bad = nk_opt_long(ctx, "--ttl", optarg, 1, 255, &v);
            cfg->ttl = (int)v;
            icmp_only = 1;
            break;
        case OPT_SOCKET:
            bad = parse_socket(ctx, optarg, cfg);
            icmp_only = 1;
            break;
        case OPT_TCP:
            bad = nk_opt_port(ctx, "--tcp", optarg, 0, &cfg->tcp_port);
            break;
        case '4':
            cfg->family = AF_INET;
            break;
        case '6':
            cfg->family = AF_INET6;
            break;
        case 'j':
            ctx->json = 1;
            break;
        case OPT_JSONL:
            cfg->jsonl = 1;
            break;
        case 'q':
            cfg->quiet = 1;
            break;
        case OPT_LESSON:
            cfg->lesson = 1;
            break;
        case 'h':
            nk_print_usage(cmd_ping_usage);
            return -1;
        default:
            return nk_bad_option(ctx, argv, c);
        }
        if (bad)
            return NK_EX_USAGE;
    }
    if (argc - optind != 1)
        return nk_usage_error(ctx, "give one HOST");
    cfg->host = argv[optind];
    return check_cfg(ctx, cfg, size_set, count_set, icmp_only);
}

/* Resolve once, before the first probe: the first address of the family
 * asked for. */
static int
resolve(struct ping_run *r)
{
    struct addrinfo *ai;
    const struct ping_cfg *c = r->cfg;
    char port[8];

    snprintf(port, sizeof port, "%u", c->tcp_port);
    if (nk_resolve(c->host, c->tcp_port ? port : NULL, c->family,
                   c->tcp_port ? SOCK_STREAM : SOCK_DGRAM, 0, &ai,
                   &r->err) < 0)
        return -1;
    nk_addr_set(&r->to, ai->ai_addr, ai->ai_addrlen);
    nk_addr_host(ai->ai_addr, ai->ai_addrlen, r->addr, sizeof r->addr);
    nk_resolve_free(ai);
    return 0;
}

static int
run(struct ping_run *r)
{
    int rc;

    nk_stats_init(&r->rtt, 0);
    if (nk_stop_install(&r->err) < 0)
        return NK_EX_SOFTWARE;
    rc = r->cfg->tcp_port ? ping_tcp_run(r) : ping_icmp_run(r);
    nk_stop_uninstall();
    if (rc < 0) {
        nk_diag(r->ctx->cmd->name, "%s", r->err.msg);
        if (r->err.exit_code == NK_EX_NOPERM)
            explain_noperm(r->ctx);
        rc = r->err.exit_code ? r->err.exit_code : NK_EX_SOFTWARE;
        if (r->o.mode == NK_OUT_JSON)
            nk_out_str(&r->o, "error", r->err.msg);
        nk_out_finish(&r->o);
        nk_stats_free(&r->rtt);
        return rc;
    }
    summary(r);
    nk_out_finish(&r->o);
    nk_stats_free(&r->rtt);
    return outcome(r);
}

int
cmd_ping(int argc, char **argv, struct nk_ctx *ctx)
{
    struct ping_cfg cfg = {.family = AF_UNSPEC,
                           .interval_ms = 1000,
                           .timeout_ms = 2000,
                           .size = 56,
                           .sockmode = NK_ICMP_AUTO};
    struct ping_run r;
    int rc = parse_opts(argc, argv, ctx, &cfg);

    if (rc != 0)
        return rc < 0 ? NK_EX_OK : rc;
    memset(&r, 0, sizeof r);
    r.cfg = &cfg;
    r.ctx = ctx;
    nk_net_init();
    if (resolve(&r) < 0) {
        nk_diag(ctx->cmd->name, "%s", r.err.msg);
        return r.err.exit_code;
    }
    nk_out_init(&r.o, stdout, ctx->json ? NK_OUT_JSON : NK_OUT_TEXT,
                ctx->color);
    r.mode = cfg.tcp_port ? "tcp" : "icmp";
    return run(&r);
}

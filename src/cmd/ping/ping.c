/* netkit ping: ICMP echo (without root where the system allows ICMP
 * datagram sockets, raw otherwise), or a TCP connect ping; the lines and
 * summary iputils users read, one JSON document or JSON Lines, and the
 * lesson's Windows-style output. This file: options, the host, output and
 * the exit status; the loops are in icmp.c and tcp.c. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ping_int.h"
#include "netkit/exitcodes.h"
#include "netkit/fail.h"
#include "netkit/icmp_proto.h"
#include "netkit/signals.h"

#define MAX_COUNT 1000000
#define MAX_SIZE 65507
#define RING 65536

int
ping_ms_until(int64_t t_us, int64_t now_us, int cap)
{
    int64_t ms;

    if (t_us <= now_us)
        return 0;
    ms = (t_us - now_us + 999) / 1000;
    return ms < cap ? (int)ms : cap;
}

void
ping_sequence(struct ping_run *r, ping_probe_fn probe, void *arg)
{
    const struct ping_cfg *c = r->cfg;
    int64_t now = nk_now_us(), next = now, stop_at = 0;

    r->start_us = now;
    if (c->deadline_ms > 0)
        stop_at = now + (int64_t)c->deadline_ms * 1000;
    ping_header(r);
    for (uint32_t seq = 1; !nk_stop_requested(); seq++) {
        probe(arg, seq, stop_at);
        if (c->count != 0 && seq >= (uint64_t)c->count)
            break;
        next += (int64_t)c->interval_ms * 1000;
        /* Sleep until the next probe; a signal or the deadline ends it. */
        while (!nk_stop_requested() && (now = nk_now_us()) < next &&
               (stop_at == 0 || now < stop_at))
            (void)nk_sleep_ms(ping_ms_until(
                stop_at > 0 && stop_at < next ? stop_at : next, now, 1000));
        if (stop_at > 0 && nk_now_us() >= stop_at)
            break;
        if (next < nk_now_us())
            next = nk_now_us();
    }
    r->end_us = nk_now_us();
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
ping_check_cfg(const struct nk_ctx *ctx, struct ping_cfg *cfg, int size_set,
               int count_set, int icmp_only)
{
    if (ctx->json && cfg->jsonl)
        return nk_usage_error(ctx, "--json or --json-lines, not both");
    if (cfg->lesson && (ctx->json || cfg->jsonl || cfg->port))
        return nk_usage_error(ctx, "--lesson is text output of ICMP echo "
                                   "only");
    if (cfg->port && icmp_only)
        return nk_usage_error(ctx, "--size, --ttl and --socket are for ICMP, "
                                   "not --tcp or --udp");
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

static int
socket_option(const struct nk_ctx *ctx, const struct nk_optdef *def,
              const char *arg, void *values)
{
    (void)def;
    return parse_socket(ctx, arg, values);
}

/* A duration: S seconds, at least lo milliseconds, at most a day. */
#define PING_SECONDS(s, l, field, lo, help)                                   \
    NK_OPT(s, l, NK_OPT_SECONDS, struct ping_cfg, field, lo, 86400000, "S",   \
           help)

static const struct nk_optdef ping_optdefs[] = {
    NK_OPT('c', "count", NK_OPT_LONG, struct ping_cfg, count, 1, MAX_COUNT,
           "N", "stop after N probes (default: until Ctrl-C)"),
    PING_SECONDS('i', "interval", interval_ms, 2,
                 "seconds between probes (default 1, at least\n"
                 "0.002)"),
    PING_SECONDS('t', "timeout", timeout_ms, 1,
                 "seconds to wait for each reply (default 2)"),
    PING_SECONDS('w', "deadline", deadline_ms, 1,
                 "stop after S seconds, whatever the count"),
    NK_OPT('s', "size", NK_OPT_LONG, struct ping_cfg, size, NK_PING_STAMP,
           MAX_SIZE, "B", "ICMP data bytes (default 56; 16-65507)"),
    NK_OPT(0, "ttl", NK_OPT_INT, struct ping_cfg, ttl, 1, 255, "N",
           "IP time to live / IPv6 hop limit (1-255)"),
    NK_OPT_IPV46(struct ping_cfg, family),
    {0, "socket", NK_OPT_CALL, 0, 0, 0, "KIND",
     "auto, dgram or raw (default auto: raw as root,\n"
     "else dgram, else raw)",
     NULL, socket_option},
    NK_OPT(0, "tcp", NK_OPT_PORT, struct ping_cfg, port, 1, 0, "PORT",
           "TCP connect ping to PORT"),
    NK_OPT(0, "udp", NK_OPT_PORT, struct ping_cfg, port, 1, 0, "PORT",
           "UDP ping to PORT"),
    NK_OPT_JSON_DEF("one JSON document at the end"),
    NK_OPT(0, "json-lines", NK_OPT_FLAG, struct ping_cfg, jsonl, 0, 0, NULL,
           "one JSON object per line as events come"),
    NK_OPT('q', "quiet", NK_OPT_FLAG, struct ping_cfg, quiet, 0, 0, NULL,
           "only the first line and the summary"),
    NK_OPT(0, "lesson", NK_OPT_FLAG, struct ping_cfg, lesson, 0, 0, NULL,
           "the course's Windows-style output (default 4\n"
           "probes of 32 bytes)"),
    NK_OPT_HELP_DEF,
    NK_OPT_END,
};

const struct nk_optspec cmd_ping_spec = {
    "usage: netkit ping HOST [--count N] [--interval S] [--timeout S]\n"
    "                   [--deadline S] [--size B] [--ttl N] [-4|-6]\n"
    "                   [--socket KIND] [--json|--json-lines] [--quiet]\n"
    "                   [--lesson]\n"
    "       netkit ping HOST --tcp PORT|--udp PORT [--count N]\n"
    "                   [--interval S] [--timeout S] [--deadline S] [-4|-6]\n"
    "                   [--json|--json-lines] [--quiet]\n"
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
    "ICMP; a reset is 'port closed, host up', not a loss. --udp PORT sends\n"
    "a datagram: any datagram back is 'open', ICMP port unreachable is\n"
    "'port closed, host up', silence a loss (open and silent, or filtered).\n"
    "\n",
    ping_optdefs,
    "exit: 0 every probe answered, 1 some lost, 75 none answered, 68\n"
    "unknown host, 77 no ICMP socket allowed, 64 usage. (iputils ping\n"
    "exits 0 when any reply came.)\n"
    "\n"
    "examples:\n"
    "  netkit ping --count 3 127.0.0.1\n"
    "  netkit ping -6 --count 5 --interval 0.2 ::1\n"
    "  netkit ping --tcp 443 --count 3 example.com\n"
    "  netkit ping --udp 53 --count 3 127.0.0.1\n"
    "  netkit ping --lesson 8.8.8.8\n",
    0, NULL};

/* Whether the option called name was given (a bit of nk_opt_parse_given's
 * mask). */
static int
given_opt(unsigned long long given, const char *name)
{
    return given >> (nk_opt_find(ping_optdefs, name, 0) - ping_optdefs) & 1;
}

/* Options into cfg: 0, or the exit status to return (-1: --help). */
static int
ping_parse_opts(int argc, char **argv, struct nk_ctx *ctx,
                struct ping_cfg *cfg)
{
    unsigned long long g;
    int rc = nk_opt_parse_given(ctx, &cmd_ping_spec, argc, argv, cfg, &g);

    if (rc != NK_OPT_GO)
        return rc == NK_EX_OK ? -1 : rc;
    cfg->udp = given_opt(g, "udp");
    if (given_opt(g, "tcp") && cfg->udp)
        return nk_usage_error(ctx, "--tcp or --udp, not both");
    if (argc - optind != 1)
        return nk_usage_error(ctx, "give one HOST");
    cfg->host = argv[optind];
    return ping_check_cfg(
        ctx, cfg, given_opt(g, "size"), given_opt(g, "count"),
        given_opt(g, "size") || given_opt(g, "ttl") || given_opt(g, "socket"));
}

/* Resolve once, before the first probe: the first address of the family
 * asked for. */
static int
ping_resolve(struct ping_run *r)
{
    struct addrinfo *ai;
    const struct ping_cfg *c = r->cfg;
    char port[8];

    snprintf(port, sizeof port, "%u", c->port);
    if (nk_resolve(c->host, c->port ? port : NULL, c->family,
                   c->port && !c->udp ? SOCK_STREAM : SOCK_DGRAM, 0, &ai,
                   &r->err) < 0)
        return -1;
    nk_addr_set(&r->to, ai->ai_addr, ai->ai_addrlen);
    nk_addr_host(ai->ai_addr, ai->ai_addrlen, r->addr, sizeof r->addr);
    nk_resolve_free(ai);
    return 0;
}

static int
ping_start(struct ping_run *r)
{
    int rc;

    nk_stats_init(&r->rtt, 0);
    if (nk_stop_install(&r->err) < 0)
        return NK_EX_SOFTWARE;
    if (r->cfg->port == 0)
        rc = ping_icmp_run(r);
    else
        rc = r->cfg->udp ? ping_udp_run(r) : ping_tcp_run(r);
    nk_stop_uninstall();
    if (rc < 0) {
        nk_diag(r->ctx->cmd->name, "%s", r->err.msg);
        if (r->err.exit_code == NK_EX_NOPERM)
            explain_noperm(r->ctx);
        rc = nk_err_exit(&r->err, NK_EX_SOFTWARE);
        if (r->o.mode == NK_OUT_JSON)
            nk_out_str(&r->o, "error", r->err.msg);
        nk_out_finish(&r->o);
        nk_stats_free(&r->rtt);
        return rc;
    }
    ping_print_summary(r);
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
    int rc = ping_parse_opts(argc, argv, ctx, &cfg);

    if (rc != 0)
        return rc < 0 ? NK_EX_OK : rc;
    memset(&r, 0, sizeof r);
    r.cfg = &cfg;
    r.ctx = ctx;
    nk_net_init();
    if (ping_resolve(&r) < 0) {
        nk_diag(ctx->cmd->name, "%s", r.err.msg);
        return r.err.exit_code;
    }
    nk_out_init(&r.o, stdout, ctx->json ? NK_OUT_JSON : NK_OUT_TEXT,
                ctx->color);
    r.mode = cfg.port ? (cfg.udp ? "udp" : "tcp") : "icmp";
    return ping_start(&r);
}

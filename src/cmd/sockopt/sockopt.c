/* netkit sockopt: the socket-options lessons as a tool. A fresh socket's
 * settings (blocking, timeout, buffer sizes, SO_REUSEADDR, TCP_NODELAY...)
 * before and after a change; the address-reuse lesson run for real
 * (TIME_WAIT, EADDRINUSE, SO_REUSEADDR); and the trivial blocking server
 * whose accept() times out.
 *
 * This file: usage, option parsing, dispatch and the `show` mode (the
 * option table, printing a socket's settings, applying changes); the
 * `reuse` and `listen` lessons are in lessons.c. */
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "netkit/err.h"
#include "netkit/exitcodes.h"
#include "netkit/net.h"
#include "netkit/out.h"
#include "netkit/parse.h"

#include "sockopt_int.h"


static const char *const mode_names[] = {"show", "reuse", "listen"};

enum so_kind { K_BLOCKING, K_TIMEOUT, K_INT, K_BOOL };
enum so_only { FOR_ALL, FOR_TCP, FOR_V6 };

struct so_item {
    const char *key;
    enum so_kind kind;
    int level, opt;
    const char *name;
    enum so_only only;
};

static const struct so_item items[N_ITEMS] = {
    {"blocking", K_BLOCKING, 0, 0, "O_NONBLOCK", FOR_ALL},
    /* --timeout sets SO_SNDTIMEO too; SO_RCVTIMEO is what recv and accept
     * obey, so it is the one shown. */
    {"timeout", K_TIMEOUT, NK_SOCKOPT(SOL_SOCKET, SO_RCVTIMEO), FOR_ALL},
    {"so_sndbuf", K_INT, NK_SOCKOPT(SOL_SOCKET, SO_SNDBUF), FOR_ALL},
    {"so_rcvbuf", K_INT, NK_SOCKOPT(SOL_SOCKET, SO_RCVBUF), FOR_ALL},
    {"so_reuseaddr", K_BOOL, NK_SOCKOPT(SOL_SOCKET, SO_REUSEADDR), FOR_ALL},
    {"so_keepalive", K_BOOL, NK_SOCKOPT(SOL_SOCKET, SO_KEEPALIVE), FOR_ALL},
    {"so_broadcast", K_BOOL, NK_SOCKOPT(SOL_SOCKET, SO_BROADCAST), FOR_ALL},
    {"tcp_nodelay", K_BOOL, NK_SOCKOPT(IPPROTO_TCP, TCP_NODELAY), FOR_TCP},
    {"tcp_maxseg", K_INT, NK_SOCKOPT(IPPROTO_TCP, TCP_MAXSEG), FOR_TCP},
    {"ipv6_v6only", K_BOOL, NK_SOCKOPT(IPPROTO_IPV6, IPV6_V6ONLY), FOR_V6},
};

/* Options given, for checking that each belongs to the chosen mode. */
enum {
    G_UDP = 1 << 0,
    G_CHANGE = 1 << 1, /* --sndbuf --rcvbuf --nonblocking --reuseaddr ... */
    G_TIMEOUT = 1 << 2,
    G_PORT = 1 << 3,
    G_LREUSE = 1 << 4,
    G_BIND = 1 << 5,
    G_COUNT = 1 << 6
};
static const unsigned mode_allows[] = {
    [MODE_SHOW] = G_UDP | G_CHANGE | G_TIMEOUT,
    [MODE_REUSE] = G_PORT | G_LREUSE,
    [MODE_LISTEN] = G_PORT | G_BIND | G_TIMEOUT | G_COUNT,
};

static int
applies(const struct so_item *it, const struct so_opts *opt)
{
    return it->only == FOR_ALL || (it->only == FOR_TCP && !opt->udp) ||
           (it->only == FOR_V6 && opt->family == AF_INET6);
}

static int
read_item(int fd, const struct so_item *it, int *val, struct nk_err *err)
{
    int nb;

    switch (it->kind) {
    case K_BLOCKING:
        if ((nb = nk_get_nonblock(fd, err)) < 0)
            return -1;
        *val = !nb;
        return 0;
    case K_TIMEOUT:
        return nk_sockopt_get_timeout(fd, it->opt, it->name, val, err);
    default:
        return nk_sockopt_get_int(fd, it->level, it->opt, it->name, val, err);
    }
}

static int
write_item(int fd, const struct so_item *it, int val, struct nk_err *err)
{
    switch (it->kind) {
    case K_BLOCKING:
        return nk_set_nonblock(fd, !val, err);
    case K_TIMEOUT:
        if (nk_sockopt_set_timeout(fd, SO_RCVTIMEO, "SO_RCVTIMEO", val, err) <
            0)
            return -1;
        return nk_sockopt_set_timeout(fd, SO_SNDTIMEO, "SO_SNDTIMEO", val,
                                      err);
    default:
        return nk_sockopt_set_int(fd, it->level, it->opt, it->name, val, err);
    }
}

/* No timeout reads "none" in text and null in JSON, as Python's
 * gettimeout() returns None; otherwise seconds with millisecond digits. */
void
sockopt_emit_timeout(struct nk_out *o, const char *key, int ms)
{
    if (ms == 0 && o->mode == NK_OUT_JSON)
        nk_out_null(o, key);
    else if (ms == 0)
        nk_out_str(o, key, "none");
    else
        nk_out_double(o, key, ms / 1000.0, 3);
}

static void
emit_item(struct nk_out *o, const struct so_item *it, const char *suffix,
          int val)
{
    char key[64];

    snprintf(key, sizeof key, "%s%s", it->key, suffix);
    if (it->kind == K_TIMEOUT)
        sockopt_emit_timeout(o, key, val);
    else if (it->kind == K_INT)
        nk_out_int(o, key, val);
    else
        nk_out_bool(o, key, val != 0);
}

/* A Linux sysctl as a number, -1 where there is none. */
static long long
read_sysctl(const char *path)
{
    FILE *fp = fopen(path, "r");
    long long v = -1;

    if (fp == NULL)
        return -1;
    if (fscanf(fp, "%lld", &v) != 1)
        v = -1;
    fclose(fp);
    return v;
}

/* What the kernel did to a buffer size, worked out from the real values:
 * Linux caps the request at net.core.[wr]mem_max, doubles it for its own
 * bookkeeping and raises it to a minimum (socket(7)). */
static void
buf_note(struct nk_out *o, const char *name, int req, int got)
{
    int snd = strcmp(name, "SO_SNDBUF") == 0;
    const char *sysctl = snd ? "net.core.wmem_max" : "net.core.rmem_max";
    long long r = req, g = got, max;

    if (g == r)
        return;
    if (g == 2 * r) {
        nk_out_strf(o, NULL,
                    "%s: asked for %d, got %d: the kernel doubled it, keeping "
                    "the extra half for its own bookkeeping (socket(7))",
                    name, req, got);
        return;
    }
    if (g > 2 * r) {
        nk_out_strf(o, NULL,
                    "%s: asked for %d, got %d: raised to the kernel's minimum",
                    name, req, got);
        return;
    }
    max = read_sysctl(snd ? "/proc/sys/net/core/wmem_max"
                          : "/proc/sys/net/core/rmem_max");
    if (max > 0 && max < r && g == 2 * max)
        nk_out_strf(o, NULL,
                    "%s: asked for %d, got %d: the kernel capped the request "
                    "at %s (%lld) and doubled that (socket(7))",
                    name, req, got, sysctl, max);
    else
        nk_out_strf(o, NULL,
                    "%s: asked for %d, got %d: the kernel adjusted it", name,
                    req, got);
}

static void
emit_notes(struct nk_out *o, const struct so_opts *opt, const int *after)
{
    nk_out_arr(o, "note");
    for (int i = I_SNDBUF; i <= I_RCVBUF; i++)
        if (opt->set[i])
            buf_note(o, items[i].name, opt->req[i], after[i]);
    if (opt->set[I_TIMEOUT] && after[I_TIMEOUT] != opt->req[I_TIMEOUT])
        nk_out_strf(o, NULL,
                    "timeout: asked for %d ms, got %d ms: the kernel keeps "
                    "socket timeouts in timer ticks",
                    opt->req[I_TIMEOUT], after[I_TIMEOUT]);
    nk_out_close(o);
}

/* Read every applicable item into vals. */
static int
read_all(int fd, const struct so_opts *opt, int *vals, struct nk_err *err)
{
    for (int i = 0; i < N_ITEMS; i++)
        if (applies(&items[i], opt) && read_item(fd, &items[i], &vals[i], err))
            return -1;
    return 0;
}

static int
apply_all(int fd, const struct so_opts *opt, struct nk_err *err)
{
    for (int i = 0; i < N_ITEMS; i++)
        if (opt->set[i] && write_item(fd, &items[i], opt->req[i], err) < 0)
            return -1;
    return 0;
}

static int
run_show(struct nk_out *o, const struct nk_ctx *ctx, const struct so_opts *opt)
{
    int before[N_ITEMS] = {0}, after[N_ITEMS] = {0};
    struct nk_err err;
    int fd = nk_socket(opt->family, opt->udp ? SOCK_DGRAM : SOCK_STREAM, &err);

    nk_out_strf(o, "socket", "%s %s", opt->udp ? "udp" : "tcp",
                opt->family == AF_INET6 ? "ipv6" : "ipv4");
    if (fd < 0 || read_all(fd, opt, before, &err) < 0 ||
        apply_all(fd, opt, &err) < 0 || read_all(fd, opt, after, &err) < 0) {
        nk_close(fd);
        nk_diag(ctx->cmd->name, "%s", err.msg);
        nk_out_str(o, "error", err.msg);
        return err.exit_code;
    }
    nk_close(fd);
    for (int i = 0; i < N_ITEMS; i++) {
        if (!applies(&items[i], opt))
            continue;
        if (opt->set[i]) {
            emit_item(o, &items[i], "_before", before[i]);
            emit_item(o, &items[i], "_requested", opt->req[i]);
        }
        emit_item(o, &items[i], "", after[i]);
    }
    emit_notes(o, opt, after);
    return NK_EX_OK;
}

/* ---- options ---- */

static int
parse_onoff(const struct nk_ctx *ctx, const char *opt, const char *s, int *v)
{
    if (strcmp(s, "on") == 0 || strcmp(s, "off") == 0) {
        *v = s[1] == 'n';
        return 0;
    }
    return nk_usage_error(ctx, "%s takes on or off, not '%s'", opt, s);
}

/* Option values that do not parse are usage errors (64), as in the other
 * commands' options; the parser's message names the value. */
static int
parse_num(const struct nk_ctx *ctx, const char *opt, const char *s, int *v)
{
    struct nk_err err;
    uint64_t u;

    if (nk_parse_u64(s, INT_MAX, &u, &err) < 0)
        return nk_usage_error(ctx, "%s: %s", opt, err.msg);
    *v = (int)u;
    return 0;
}

static int
parse_timeout(const struct nk_ctx *ctx, const char *s, int *ms)
{
    struct nk_err err;

    /* 0 means none; the shared parser refuses a value that would round
     * to 0 ms and so silently be none. */
    if (nk_parse_seconds(s, ms, &err) < 0)
        return nk_usage_error(ctx, "--timeout: %s", err.msg);
    return 0;
}

static int
parse_port(const struct nk_ctx *ctx, const char *s, char *out, size_t size)
{
    struct nk_err err;
    uint16_t p;

    if (nk_parse_port(s, &p, &err) < 0)
        return nk_usage_error(ctx, "--port: %s", err.msg);
    snprintf(out, size, "%u", (unsigned)p);
    return 0;
}

/* Remember that an option of group g (a G_ bit) was given, and how. */
static void
mark(struct so_opts *opt, unsigned g, const char *name)
{
    int b = 0;

    while ((1u << b) != g)
        b++;
    opt->given |= g;
    opt->spelled[b] = name;
}

static int
change(struct so_opts *opt, const char *name, int item, int val)
{
    opt->set[item] = 1;
    opt->req[item] = val;
    mark(opt, G_CHANGE, name);
    return 0;
}

/* One option; 0 or the usage error's exit code. */
static int
take_option(const struct nk_ctx *ctx, struct so_opts *opt, int c,
            const char *arg)
{
    const char *name;
    int v = 0;

    switch (c) {
    case '4':
    case '6':
        opt->family = c == '6' ? AF_INET6 : AF_INET;
        return 0;
    case 'u':
        opt->udp = 1;
        mark(opt, G_UDP, "--udp");
        return 0;
    case 'S':
    case 'R':
        name = c == 'S' ? "--sndbuf" : "--rcvbuf";
        if (parse_num(ctx, name, arg, &v))
            return NK_EX_USAGE;
        return change(opt, name, c == 'S' ? I_SNDBUF : I_RCVBUF, v);
    case 't':
        mark(opt, G_TIMEOUT, "--timeout");
        return parse_timeout(ctx, arg, &opt->timeout_ms);
    case 'n':
        return change(opt, "--nonblocking", I_BLOCKING, 0);
    case 'A':
    case 'D':
        name = c == 'A' ? "--reuseaddr" : "--nodelay";
        if (parse_onoff(ctx, name, arg, &v))
            return NK_EX_USAGE;
        return change(opt, name, c == 'A' ? I_REUSEADDR : I_NODELAY, v);
    case 'p':
        mark(opt, G_PORT, "--port");
        return parse_port(ctx, arg, opt->port, sizeof opt->port);
    case 'L':
        mark(opt, G_LREUSE, "--listener-reuseaddr");
        return parse_onoff(ctx, "--listener-reuseaddr", arg, &opt->lreuse);
    case 'b':
        mark(opt, G_BIND, "--bind");
        opt->bind = arg;
        return 0;
    case 'c':
        mark(opt, G_COUNT, "--count");
        return parse_num(ctx, "--count", arg, &opt->count);
    }
    return NK_EX_SOFTWARE;
}

/* Options that make no sense together, or in the chosen mode. */
static int
check_options(const struct nk_ctx *ctx, struct so_opts *opt)
{
    unsigned extra = opt->given & ~mode_allows[opt->mode];

    for (int b = 0; extra != 0; b++, extra >>= 1)
        if (extra & 1)
            return nk_usage_error(ctx, "%s is not an option of 'sockopt %s'",
                                  opt->spelled[b], mode_names[opt->mode]);
    if (opt->udp && opt->set[I_NODELAY])
        return nk_usage_error(ctx, "--nodelay is a TCP option; drop --udp");
    if (opt->mode == MODE_SHOW && opt->timeout_ms >= 0)
        change(opt, "--timeout", I_TIMEOUT, opt->timeout_ms);
    if (opt->mode == MODE_LISTEN && opt->timeout_ms == 0)
        return nk_usage_error(ctx, "--timeout: listen needs more than 0 s");
    if (opt->mode == MODE_LISTEN && opt->timeout_ms < 0)
        opt->timeout_ms = 500; /* the recipe's settimeout(0.5) */
    return 0;
}

/* An optional first word picks the mode. Returns how many words it took. */
static int
pick_mode(const struct nk_ctx *ctx, int argc, char **argv, enum so_mode *mode)
{
    *mode = MODE_SHOW;
    if (argc < 2 || argv[1][0] == '-')
        return 0;
    for (int m = 0; m < 3; m++) {
        if (strcmp(argv[1], mode_names[m]) == 0) {
            *mode = (enum so_mode)m;
            return 1;
        }
    }
    nk_usage_error(ctx, "unknown mode '%s' (show, reuse or listen)", argv[1]);
    return -1;
}

/* Each option goes to take_option by its old letter (min). */
static int
so_take(const struct nk_ctx *ctx, const struct nk_optdef *def,
        const char *arg, void *values)
{
    return take_option(ctx, values, (int)def->min, arg);
}

#define SO_OPT(l, name, code, a, h)                                        \
    {(l), (name), NK_OPT_CALL, 0, (code), 0, (a), (h), NULL, so_take}

static const struct nk_optdef so_optdefs[] = {
    SO_OPT('4', NULL, '4', NULL, "IPv4 (default)"),
    SO_OPT('6', NULL, '6', NULL, "IPv6"),
    SO_OPT('u', "udp", 'u', NULL, "a UDP socket instead of TCP (show only)"),
    SO_OPT(0, "sndbuf", 'S', "N", "set SO_SNDBUF to N bytes (N <= 2147483647)"),
    SO_OPT(0, "rcvbuf", 'R', "N", "set SO_RCVBUF to N bytes"),
    SO_OPT('t', "timeout", 't', "S",
           "show: SO_RCVTIMEO and SO_SNDTIMEO in seconds\n"
           "(0: none); listen: how long each accept\n"
           "waits (default 0.5)"),
    SO_OPT('N', "nonblocking", 'n', NULL,
           "switch the socket to non-blocking mode"),
    SO_OPT(0, "reuseaddr", 'A', "on|off", "set SO_REUSEADDR"),
    SO_OPT(0, "nodelay", 'D', "on|off", "set TCP_NODELAY (TCP only)"),
    SO_OPT('p', "port", 'p', "P", "reuse, listen: port (default 0, ephemeral)"),
    SO_OPT(0, "listener-reuseaddr", 'L', "on|off",
           "reuse: SO_REUSEADDR on the first listener\n"
           "(default on; Linux needs it for step 4)"),
    SO_OPT('b', "bind", 'b', "HOST",
           "listen: address to bind (default 127.0.0.1,\n"
           "::1 with -6)"),
    SO_OPT('c', "count", 'c', "N",
           "listen: stop after N events (default 0:\n"
           "until Ctrl-C)"),
    NK_OPT_JSON_DEF("one JSON document"),
    NK_OPT_HELP_DEF,
    NK_OPT_END,
};

const struct nk_optspec cmd_sockopt_spec = {
    "usage: netkit sockopt [show] [-4|-6] [--udp] [--sndbuf N] [--rcvbuf N]\n"
    "                      [--timeout S] [--nonblocking] [--reuseaddr "
    "on|off]\n"
    "                      [--nodelay on|off] [--json]\n"
    "       netkit sockopt reuse [-4|-6] [--port P] [--listener-reuseaddr "
    "on|off]\n"
    "                      [--json]\n"
    "       netkit sockopt listen [-4|-6] [--bind HOST] [--port P] "
    "[--timeout S]\n"
    "                      [--count N] [--json]\n"
    "\n"
    "show (the default): create a fresh socket and print its settings:\n"
    "blocking or not, timeout, SO_SNDBUF, SO_RCVBUF, SO_REUSEADDR,\n"
    "SO_KEEPALIVE, SO_BROADCAST, TCP_NODELAY, TCP_MAXSEG (TCP), IPV6_V6ONLY\n"
    "(-6). Each change option prints the value before, the value asked for\n"
    "and the value the kernel kept (Linux doubles SO_SNDBUF/SO_RCVBUF).\n"
    "\n"
    "reuse: a listener on 127.0.0.1 (::1 with -6) accepts a connection and\n"
    "closes first, so its port sits in TIME_WAIT; binding the port again\n"
    "fails with EADDRINUSE without SO_REUSEADDR and succeeds with it.\n"
    "\n"
    "listen: a blocking server on 127.0.0.1 port 0 (an ephemeral port) whose\n"
    "accept waits at most --timeout: each timeout prints \"no connection,\n"
    "waiting\", each client is greeted and closed. Stops after --count\n"
    "events or on Ctrl-C/SIGTERM. Text records stream; --json is one\n"
    "document, written as events happen and closed at the end.\n"
    "\n",
    so_optdefs,
    "examples:\n"
    "  netkit sockopt\n"
    "  netkit sockopt --sndbuf 4096 --rcvbuf 4096 --nodelay on\n"
    "  netkit sockopt --timeout 100\n"
    "  netkit sockopt --udp -6 --json\n"
    "  netkit sockopt reuse\n"
    "  netkit sockopt listen --timeout 0.5 --count 3\n",
    0, NULL};

int
cmd_sockopt(int argc, char **argv, struct nk_ctx *ctx)
{
    struct so_opts opt = {.family = AF_INET, .timeout_ms = -1, .lreuse = 1};
    int shift = pick_mode(ctx, argc, argv, &opt.mode), rc;
    struct nk_out o;

    if (shift < 0)
        return NK_EX_USAGE;
    argc -= shift;
    argv += shift;
    strcpy(opt.port, "0");
    if ((rc = nk_opt_parse(ctx, &cmd_sockopt_spec, argc, argv, &opt)) !=
        NK_OPT_GO)
        return rc;
    if (optind < argc)
        return nk_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
    if ((rc = check_options(ctx, &opt)) != 0)
        return rc;
    nk_out_init(&o, stdout, ctx->json ? NK_OUT_JSON : NK_OUT_TEXT, ctx->color);
    if (opt.mode == MODE_REUSE)
        rc = sockopt_run_reuse(&o, ctx, &opt);
    else if (opt.mode == MODE_LISTEN)
        rc = sockopt_run_listen(&o, ctx, &opt);
    else
        rc = run_show(&o, ctx, &opt);
    if (nk_out_finish(&o) < 0)
        return NK_EX_SOFTWARE;
    return rc;
}

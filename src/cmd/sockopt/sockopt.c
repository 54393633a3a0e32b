/* netkit sockopt: the socket-options lessons as a tool. A fresh socket's
 * settings (blocking, timeout, buffer sizes, SO_REUSEADDR, TCP_NODELAY...)
 * before and after a change; the address-reuse lesson run for real
 * (TIME_WAIT, EADDRINUSE, SO_REUSEADDR); and the trivial blocking server
 * whose accept() times out.
 *
 * This file: usage, option parsing and the modes as subcommand rows
 * (show is also the default); it calls show.c and lessons.c, which share
 * only emit.c: the calls go one way. */
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

/* Options given, for checking that each belongs to the chosen mode. */
enum {
    G_UDP = 1 << 0,
    G_CHANGE = 1 << 1, /* --sndbuf --rcvbuf --nonblocking --reuseaddr ... */
    G_TIMEOUT = 1 << 2,
    G_PORT = 1 << 3,
    G_LREUSE = 1 << 4,
    G_BIND = 1 << 5,
    G_COUNT = 1 << 6,
    G_UNIX = 1 << 7
};
static const unsigned mode_allows[] = {
    [MODE_SHOW] = G_UDP | G_CHANGE | G_TIMEOUT | G_UNIX,
    [MODE_REUSE] = G_PORT | G_LREUSE,
    [MODE_LISTEN] = G_PORT | G_BIND | G_TIMEOUT | G_COUNT,
};

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

/* The options that change a setting of the shown socket. */
static const struct {
    int code;
    const char *name;
    int item;
    int (*parse)(const struct nk_ctx *, const char *, const char *, int *);
} changes[] = {
    {'S', "--sndbuf", I_SNDBUF, parse_num},
    {'R', "--rcvbuf", I_RCVBUF, parse_num},
    {'A', "--reuseaddr", I_REUSEADDR, parse_onoff},
    {'D', "--nodelay", I_NODELAY, parse_onoff},
};

static int
take_change(const struct nk_ctx *ctx, struct so_opts *opt, int c,
            const char *arg)
{
    int v = 0;

    for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++)
        if (changes[i].code == c) {
            if (changes[i].parse(ctx, changes[i].name, arg, &v))
                return NK_EX_USAGE;
            return change(opt, changes[i].name, changes[i].item, v);
        }
    return NK_EX_SOFTWARE;
}

/* One option; 0 or the usage error's exit code. */
static int
take_option(const struct nk_ctx *ctx, struct so_opts *opt, int c,
            const char *arg)
{
    switch (c) {
    case '4':
    case '6':
        opt->family = c == '6' ? AF_INET6 : AF_INET;
        return 0;
    case 'u':
        opt->udp = 1;
        mark(opt, G_UDP, "--udp");
        return 0;
    case 'U':
        opt->local = 1;
        mark(opt, G_UNIX, "--unix");
        return 0;
    case 'S':
    case 'R':
    case 'A':
    case 'D':
        return take_change(ctx, opt, c, arg);
    case 't':
        mark(opt, G_TIMEOUT, "--timeout");
        return parse_timeout(ctx, arg, &opt->timeout_ms);
    case 'n':
        return change(opt, "--nonblocking", I_BLOCKING, 0);
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
    if ((opt->udp || opt->local) && opt->set[I_NODELAY])
        return nk_usage_error(ctx, "--nodelay is a TCP option; drop %s",
                              opt->udp ? "--udp" : "--unix");
    if (opt->local && opt->family == AF_INET6)
        return nk_usage_error(ctx, "-6: a Unix socket (--unix) has no IP "
                                   "version");
    if (opt->local)
        opt->family = AF_UNIX;
    if (opt->mode == MODE_SHOW && opt->timeout_ms >= 0)
        change(opt, "--timeout", I_TIMEOUT, opt->timeout_ms);
    if (opt->mode == MODE_LISTEN && opt->timeout_ms == 0)
        return nk_usage_error(ctx, "--timeout: listen needs more than 0 s");
    if (opt->mode == MODE_LISTEN && opt->timeout_ms < 0)
        opt->timeout_ms = 500; /* the recipe's settimeout(0.5) */
    return 0;
}

/* Each option goes to take_option by its old letter (min). */
static int
so_take(const struct nk_ctx *ctx, const struct nk_optdef *def, const char *arg,
        void *values)
{
    return take_option(ctx, values, (int)def->min, arg);
}

/* The options, one macro each, so every mode's table has every option:
 * those of the mode shown with their help, the others' hidden (help
 * NULL), so that giving one says which mode it belongs to. */
#define SO_OPT(l, name, code, a, h)                                           \
    {                                                                         \
        (l), (name), NK_OPT_CALL, 0, (code), 0, (a), (h), NULL, so_take       \
    }
#define O_4(h) SO_OPT('4', NULL, '4', NULL, h)
#define O_6(h) SO_OPT('6', NULL, '6', NULL, h)
#define O_UDP(h) SO_OPT('u', "udp", 'u', NULL, h)
#define O_UNIX(h) SO_OPT(0, "unix", 'U', NULL, h)
#define O_SNDBUF(h) SO_OPT(0, "sndbuf", 'S', "N", h)
#define O_RCVBUF(h) SO_OPT(0, "rcvbuf", 'R', "N", h)
#define O_TIMEOUT(h) SO_OPT('t', "timeout", 't', "S", h)
#define O_NONBLOCK(h) SO_OPT('N', "nonblocking", 'n', NULL, h)
#define O_REUSEADDR(h) SO_OPT(0, "reuseaddr", 'A', "on|off", h)
#define O_NODELAY(h) SO_OPT(0, "nodelay", 'D', "on|off", h)
#define O_PORT(h) SO_OPT('p', "port", 'p', "P", h)
#define O_LREUSE(h) SO_OPT(0, "listener-reuseaddr", 'L', "on|off", h)
#define O_BIND(h) SO_OPT('b', "bind", 'b', "HOST", h)
#define O_COUNT(h) SO_OPT('c', "count", 'c', "N", h)
#define H_46 O_4("IPv4 (default)"), O_6("IPv6")
#define H_END NK_OPT_JSON_DEF("one JSON document"), NK_OPT_HELP_DEF, NK_OPT_END
#define H_SNDBUF "set SO_SNDBUF to N bytes (N <= 2147483647)"
#define H_CHANGES                                                             \
    O_SNDBUF(H_SNDBUF), O_RCVBUF("set SO_RCVBUF to N bytes"),                 \
        O_NONBLOCK("switch the socket to non-blocking mode"),                 \
        O_REUSEADDR("set SO_REUSEADDR"),                                      \
        O_NODELAY("set TCP_NODELAY (TCP only)")
#define H_PORT "port (default 0, ephemeral)"
#define H_LREUSE                                                              \
    "SO_REUSEADDR on the first listener\n(default on; Linux needs it for "    \
    "step 4)"
#define H_BIND "address to bind (default 127.0.0.1,\n::1 with -6)"
#define H_COUNT "stop after N events (default 0:\nuntil Ctrl-C)"
#define HIDE_CHANGES                                                          \
    O_SNDBUF(NULL), O_RCVBUF(NULL), O_NONBLOCK(NULL), O_REUSEADDR(NULL),      \
        O_NODELAY(NULL)

/* No mode named: show, with every mode's options in the usage. */
static const struct nk_optdef so_optdefs[] = {
    H_46,
    O_UDP("a UDP socket instead of TCP (show only)"),
    O_UNIX("show: an AF_UNIX pair instead (stream; datagram\n"
           "with --udp): SO_PASSCRED and SO_PEERCRED too"),
    O_SNDBUF(H_SNDBUF),
    O_RCVBUF("set SO_RCVBUF to N bytes"),
    O_TIMEOUT("show: SO_RCVTIMEO and SO_SNDTIMEO in seconds\n"
              "(0: none); listen: how long each accept\n"
              "waits (default 0.5)"),
    O_NONBLOCK("switch the socket to non-blocking mode"),
    O_REUSEADDR("set SO_REUSEADDR"),
    O_NODELAY("set TCP_NODELAY (TCP only)"),
    O_PORT("reuse, listen: " H_PORT),
    O_LREUSE("reuse: " H_LREUSE),
    O_BIND("listen: " H_BIND),
    O_COUNT("listen: " H_COUNT),
    H_END,
};

static const struct nk_optdef so_show_opts[] = {
    H_46,
    O_UDP("a UDP socket instead of TCP"),
    O_UNIX("one end of a connected AF_UNIX pair instead\n"
           "(stream; datagram with --udp): also SO_PASSCRED\n"
           "and SO_PEERCRED (pid, uid, gid of the other end)"),
    H_CHANGES,
    O_TIMEOUT("SO_RCVTIMEO and SO_SNDTIMEO in seconds (0: none)"),
    O_PORT(NULL),
    O_LREUSE(NULL),
    O_BIND(NULL),
    O_COUNT(NULL),
    H_END,
};

static const struct nk_optdef so_reuse_opts[] = {
    H_46,          O_PORT(H_PORT),  O_LREUSE(H_LREUSE), O_UDP(NULL),
    O_UNIX(NULL),  O_TIMEOUT(NULL), HIDE_CHANGES,       O_BIND(NULL),
    O_COUNT(NULL), H_END,
};

static const struct nk_optdef so_listen_opts[] = {
    H_46,
    O_BIND(H_BIND),
    O_PORT(H_PORT),
    O_TIMEOUT("how long each accept waits (default 0.5)"),
    O_COUNT(H_COUNT),
    O_UDP(NULL),
    O_UNIX(NULL),
    HIDE_CHANGES,
    O_LREUSE(NULL),
    H_END,
};

#define SHOW_SYNOPSIS                                                         \
    " [-4|-6|--unix] [--udp] [--sndbuf N] [--rcvbuf N]\n"                     \
    "                      [--timeout S] [--nonblocking] [--reuseaddr "       \
    "on|off]\n"                                                               \
    "                      [--nodelay on|off] [--json]\n"
#define REUSE_SYNOPSIS                                                        \
    " [-4|-6] [--port P] [--listener-reuseaddr on|off]\n"                     \
    "                      [--json]\n"
#define LISTEN_SYNOPSIS                                                       \
    " [-4|-6] [--bind HOST] [--port P] [--timeout S]\n"                       \
    "                      [--count N] [--json]\n"
#define SHOW_TEXT                                                             \
    "create a fresh socket and print its settings:\n"                         \
    "blocking or not, timeout, SO_SNDBUF, SO_RCVBUF, SO_REUSEADDR,\n"         \
    "SO_KEEPALIVE, SO_BROADCAST, TCP_NODELAY, TCP_MAXSEG (TCP), "             \
    "IPV6_V6ONLY\n"                                                           \
    "(-6). Each change option prints the value before, the value asked for\n" \
    "and the value the kernel kept (Linux doubles SO_SNDBUF/SO_RCVBUF).\n"
#define REUSE_TEXT                                                            \
    "a listener on 127.0.0.1 (::1 with -6) accepts a connection and\n"        \
    "closes first, so its port sits in TIME_WAIT; binding the port again\n"   \
    "fails with EADDRINUSE without SO_REUSEADDR and succeeds with it.\n"
#define LISTEN_TEXT                                                           \
    "a blocking server on 127.0.0.1 port 0 (an ephemeral port) whose\n"       \
    "accept waits at most --timeout: each timeout prints \"no connection,\n"  \
    "waiting\", each client is greeted and closed. Stops after --count\n"     \
    "events or on Ctrl-C/SIGTERM. Text records stream; --json is one\n"       \
    "document, written as events happen and closed at the end.\n"

const struct nk_optspec cmd_sockopt_spec = {
    "usage: netkit sockopt [show]" SHOW_SYNOPSIS
    "       netkit sockopt reuse" REUSE_SYNOPSIS
    "       netkit sockopt listen" LISTEN_SYNOPSIS "\n"
    "show (the default): " SHOW_TEXT "\n"
    "reuse: " REUSE_TEXT "\n"
    "listen: " LISTEN_TEXT "\n",
    so_optdefs,
    "examples:\n"
    "  netkit sockopt\n"
    "  netkit sockopt --sndbuf 4096 --rcvbuf 4096 --nodelay on\n"
    "  netkit sockopt --timeout 100\n"
    "  netkit sockopt --udp -6 --json\n"
    "  netkit sockopt reuse\n"
    "  netkit sockopt listen --timeout 0.5 --count 3\n",
    0, NULL};

static const struct nk_optspec sockopt_show_spec = {
    "usage: netkit sockopt show" SHOW_SYNOPSIS "\n"
    "Print a fresh socket's settings, changed as asked (the default).\n"
    "\n"
    "show: " SHOW_TEXT "\n",
    so_show_opts,
    "examples:\n"
    "  netkit sockopt show\n"
    "  netkit sockopt show --sndbuf 4096 --rcvbuf 4096 --nodelay on\n"
    "  netkit sockopt show --udp -6 --json\n",
    0, NULL};

static const struct nk_optspec sockopt_reuse_spec = {
    "usage: netkit sockopt reuse" REUSE_SYNOPSIS "\n"
    "The address-reuse lesson, run for real.\n"
    "\n"
    "reuse: " REUSE_TEXT "\n",
    so_reuse_opts,
    "examples:\n"
    "  netkit sockopt reuse\n"
    "  netkit sockopt reuse -6 --listener-reuseaddr off --json\n",
    0, NULL};

static const struct nk_optspec sockopt_listen_spec = {
    "usage: netkit sockopt listen" LISTEN_SYNOPSIS "\n"
    "A blocking server whose accept times out, the timeout lesson.\n"
    "\n"
    "listen: " LISTEN_TEXT "\n",
    so_listen_opts,
    "examples:\n"
    "  netkit sockopt listen --timeout 0.5 --count 3\n",
    0, NULL};

/* Parse against spec and run the mode. */
static int
so_run(int argc, char **argv, struct nk_ctx *ctx, enum so_mode mode,
       const struct nk_optspec *spec)
{
    struct so_opts opt = {
        .mode = mode, .family = AF_INET, .timeout_ms = -1, .lreuse = 1};
    struct nk_out o;
    int rc;

    strcpy(opt.port, "0");
    if ((rc = nk_opt_parse(ctx, spec, argc, argv, &opt)) != NK_OPT_GO)
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
        rc = sockopt_run_show(&o, ctx, &opt);
    if (nk_out_finish(&o) < 0)
        return NK_EX_SOFTWARE;
    return rc;
}

static int
sockopt_show(int argc, char **argv, struct nk_ctx *ctx)
{
    return so_run(argc, argv, ctx, MODE_SHOW, &sockopt_show_spec);
}

static int
sockopt_reuse(int argc, char **argv, struct nk_ctx *ctx)
{
    return so_run(argc, argv, ctx, MODE_REUSE, &sockopt_reuse_spec);
}

static int
sockopt_listen(int argc, char **argv, struct nk_ctx *ctx)
{
    return so_run(argc, argv, ctx, MODE_LISTEN, &sockopt_listen_spec);
}

/* No mode named: show, unless the first word is a mode misspelt. */
static int
sockopt_default(int argc, char **argv, struct nk_ctx *ctx)
{
    if (argc >= 2 && argv[1][0] != '-')
        return nk_usage_error(ctx, "unknown mode '%s' (show, reuse or listen)",
                              argv[1]);
    return so_run(argc, argv, ctx, MODE_SHOW, &cmd_sockopt_spec);
}

const struct nk_subcmd cmd_sockopt_subs[] = {
    NK_SUBCMD(sockopt, show),
    NK_SUBCMD(sockopt, reuse),
    NK_SUBCMD(sockopt, listen),
    NK_SUBCMD_DEFAULT(sockopt_default, cmd_sockopt_spec),
};

/* nk_main: global flags, dispatch through the command table, and the exit
 * status policy (a failed write to stdout is an error, as in git.c). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "netkit/exitcodes.h"
#include "netkit/net.h"
#include "netkit/out.h"
#include "netkit/trace.h"

#ifndef NETKIT_VERSION
#define NETKIT_VERSION "0.0.0"
#endif

void
nk_getopt_reset(void)
{
    optind = 0; /* glibc and the BSDs: 0 re-initialises getopt fully */
    opterr = 0; /* commands report bad options themselves */
}

int
nk_usage_error(const struct nk_ctx *ctx, const char *fmt, ...)
{
    char name[64] = "";
    char msg[512];
    va_list ap;

    /* "echo-tcp serve" for a subcommand, so the hint names its own help */
    if (ctx && ctx->cmd)
        snprintf(name, sizeof name, "%s%s%s", ctx->cmd->name,
                 ctx->sub ? " " : "", ctx->sub ? ctx->sub : "");
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    nk_diag(name[0] ? name : NULL, "%s", msg);
    if (name[0])
        fprintf(stderr, "Try 'netkit %s --help' for more information.\n",
                name);
    else
        fprintf(stderr, "Try 'netkit --help' for more information.\n");
    return NK_EX_USAGE;
}

int
nk_bad_option(const struct nk_ctx *ctx, char **argv, int c)
{
    /* getopt_long leaves the offending word just before optind; optopt is
     * the letter for short options and 0 for long ones. With a leading ':'
     * in the option string, ':' means the option's value is missing. */
    const char *word = optind > 0 ? argv[optind - 1] : "?";
    int is_long = strncmp(word, "--", 2) == 0;

    if (c == ':' && is_long)
        return nk_usage_error(ctx, "option %s needs a value", word);
    if (c == ':')
        return nk_usage_error(ctx, "option -%c needs a value", optopt);
    if (is_long || optopt == 0)
        return nk_usage_error(ctx, "unknown option: %s", word);
    return nk_usage_error(ctx, "unknown option: -%c", optopt);
}

int
nk_cmd_help(const struct nk_cmd *cmd)
{
    nk_cmd_usage_write(stdout, cmd);
    return NK_EX_OK;
}

int
nk_print_usage(const char *usage)
{
    fputs(usage, stdout);
    return NK_EX_OK;
}

const struct nk_subcmd *
nk_subcmd_end(const struct nk_subcmd *subs)
{
    while (subs->name != NULL)
        subs++;
    return subs;
}

static int
run_sub(const struct nk_subcmd *s, int argc, char **argv, struct nk_ctx *ctx)
{
    nk_getopt_reset();
    ctx->sub = s->name;
    return s->fn(argc, argv, ctx);
}

int
nk_run_subcommand(int argc, char **argv, struct nk_ctx *ctx,
                  const struct nk_subcmd *subs)
{
    const struct nk_subcmd *end = nk_subcmd_end(subs);
    const char *best = NULL;
    int best_d = 0;

    if (argc >= 2 &&
        (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
        return nk_cmd_help(ctx->cmd);
    for (const struct nk_subcmd *s = subs; argc >= 2 && s < end; s++) {
        int d = nk_edit_distance(argv[1], s->name);
        if (d == 0)
            return run_sub(s, argc - 1, argv + 1, ctx);
        if (best == NULL || d < best_d) {
            best = s->name;
            best_d = d;
        }
    }
    if (end->fn != NULL) /* the default: argv[1] is an option or operand */
        return run_sub(end, argc, argv, ctx);
    if (argc < 2) {
        nk_cmd_usage_write(stderr, ctx->cmd);
        return NK_EX_USAGE;
    }
    return nk_usage_error(ctx, "unknown subcommand '%s' (did you mean '%s'?)",
                          argv[1], best);
}

/* What `netkit help --spec` says of the options global_options() takes. */
const struct nk_optdef nk_global_opts[] = {
    {'V', "version", NK_OPT_FLAG, 0, 0, 0, NULL, "the version, then stop",
     NULL, NULL},
    {'h', "help", NK_OPT_HELP, 0, 0, 0, NULL, "the command list", NULL, NULL},
    {0, "json", NK_OPT_JSON, 0, 0, 0, NULL, "JSON output, for any command",
     NULL, NULL},
    {0, "trace", NK_OPT_FLAG, 0, 0, 0, NULL,
     "each socket call on stderr (--trace=json|all)", NULL, NULL},
    {0, "hexdump", NK_OPT_FLAG, 0, 0, 0, NULL,
     "the bytes sent and received (--hexdump=all)", NULL, NULL},
    NK_OPT_END,
};

static void
list_commands(FILE *fp)
{
    size_t n;
    const struct nk_cmd *t = nk_cmd_table(&n);

    fprintf(fp, "usage: netkit [-V|--version] [-h|--help] [--json] "
                "[--trace[=json|all]] [--hexdump[=all]] COMMAND [ARGS]\n\n"
                "commands:\n");
    for (size_t i = 0; i < n; i++)
        fprintf(fp, "  %-12s %s\n", t[i].name, t[i].summary);
    fprintf(fp, "\n'netkit help COMMAND' or 'netkit COMMAND --help' shows a "
                "command's options.\n'netkit help exit-codes' lists what "
                "each exit status means.\n");
}

int
nk_list_commands(void)
{
    list_commands(stdout);
    return NK_EX_OK;
}

static int
unknown_command(const char *name)
{
    const char *best = nk_cmd_suggest(name);

    nk_diag(NULL, "'%s' is not a netkit command", name);
    if (best)
        fprintf(stderr, "Did you mean 'netkit %s'?\n", best);
    fprintf(stderr, "See 'netkit help' for the list of commands.\n");
    return NK_EX_USAGE;
}

/* stdout must reach its destination: a full disk or a closed pipe is an
 * I/O error, not a success. A command that already failed with an I/O
 * error has said why; it is not told twice. */
static int
check_stdout(int rc)
{
    int failed = fflush(stdout) != 0 || ferror(stdout);
    char buf[128];

    if (!failed || rc == NK_EX_IOERR)
        return rc;
    nk_diag(NULL, "write to standard output: %s",
            nk_strerror(errno ? errno : EIO, buf, sizeof buf));
    return rc == NK_EX_OK ? NK_EX_IOERR : rc;
}

/* Keep argv[k] as the next argument. Written only once something has
 * been taken out: until then it is already in place, and the arguments
 * may be read-only (the unit tests run commands from static tables). */
static void
keep(char **argv, int *n, int k)
{
    if (*n != k)
        argv[*n] = argv[k];
    (*n)++;
}

/* --trace and --hexdump may also follow the command name, as --json may:
 * they are taken out of the command's arguments (up to a "--") before it
 * parses them. Returns the new argc, or -1 after a bad value. */
static int
trailing_trace_flags(int argc, char **argv)
{
    int n = 1;

    for (int k = 1; k < argc; k++) {
        int t = strcmp(argv[k], "--") == 0 ? 0 : nk_trace_flag(argv[k]);
        if (t < 0) {
            nk_usage_error(NULL,
                           "bad value: %s (--trace[=json|all], "
                           "--hexdump[=all])",
                           argv[k]);
            return -1;
        }
        if (t == 0 && strcmp(argv[k], "--") == 0) {
            while (k < argc)
                keep(argv, &n, k++);
            break;
        }
        if (t == 0)
            keep(argv, &n, k);
    }
    if (n < argc)
        argv[n] = NULL;
    return n;
}

/* Leading global options. Returns -1 to go on with the command at
 * argv[*first], or an exit status to return at once (--help, --version,
 * a bad option). */
static int
global_options(int argc, char **argv, struct nk_ctx *ctx, int *first)
{
    int i, t;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            list_commands(stdout);
            return NK_EX_OK;
        } else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            printf("netkit %s\n", NETKIT_VERSION);
            return NK_EX_OK;
        } else if (strcmp(a, "--json") == 0) {
            ctx->json = 1;
        } else if ((t = nk_trace_flag(a)) != 0) {
            if (t < 0)
                return nk_usage_error(NULL,
                                      "bad value: %s (--trace[=json|all]"
                                      ", --hexdump[=all])",
                                      a);
        } else {
            return nk_usage_error(NULL, "unknown option: %s", a);
        }
    }
    *first = i;
    return -1;
}

int
nk_main(int argc, char **argv)
{
    struct nk_ctx ctx = {NULL, 0, 0, NULL};
    const struct nk_cmd *cmd;
    int i = argc, rc;

    nk_net_init();
    nk_trace_flag_reset();
    ctx.color = nk_color_wanted(STDOUT_FILENO);
    rc = global_options(argc, argv, &ctx, &i);
    if (rc >= 0)
        return check_stdout(rc);
    if (i >= argc) {
        list_commands(stderr);
        return NK_EX_USAGE;
    }
    cmd = nk_cmd_find(argv[i]);
    if (cmd == NULL)
        return unknown_command(argv[i]);
    ctx.cmd = cmd;
    nk_getopt_reset();
    argc = trailing_trace_flags(argc - i, argv + i);
    if (argc < 0) {
        nk_trace_flag_reset();
        return NK_EX_USAGE;
    }
    nk_trace_apply();
    rc = cmd->fn(argc, argv + i, &ctx);
    nk_trace_set(NK_TRACE_OFF, 0, NK_HEXDUMP_OFF);
    return check_stdout(rc);
}

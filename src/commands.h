/* The command table and what every command module shares.
 *
 * Adding a command (the checklist, as git's builtin.h keeps one):
 *  1. src/cmd/<name>.c defines cmd_<name>() and cmd_<name>_spec: its
 *     option table and usage text around it (include/netkit/opt.h), with
 *     at least one example.
 *  2. Declare both below and add one row to the table in src/commands.c,
 *     keeping it sorted by name (a unit test checks sorted and unique).
 *  3. List the source in CMakeLists.txt (NK_LIB_SOURCES).
 *  4. Parse options with nk_opt_parse() and the table (it handles --help,
 *     --json and the range checks); the options several commands share
 *     keep their one letter (tests/unit/test_opt.c); report other usage
 *     errors with nk_usage_error() (exit 64).
 *  5. Print results only through include/netkit/out.h; talk to the network
 *     only through include/netkit/net.h; return an exit code from
 *     include/netkit/exitcodes.h, never call exit().
 *  6. tests/unit/test_<name>.c for the parsing and formatting,
 *     tests/cli/test_<name>.sh for the binary; docs/<name>.md.
 */
#ifndef NETKIT_COMMANDS_H
#define NETKIT_COMMANDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "netkit/opt.h"

struct nk_cmd;

/* What nk_main hands a command: global choices made before it ran. */
struct nk_ctx {
    const struct nk_cmd *cmd;
    int json;        /* --json given before the command name */
    int color;       /* stdout is a terminal and NO_COLOR is unset */
    const char *sub; /* the subcommand being run (echo-tcp serve), or NULL */
};

/* argv[0] is the command name; the return value is the exit status. */
typedef int (*nk_cmd_fn)(int argc, char **argv, struct nk_ctx *ctx);

struct nk_cmd {
    const char *name;
    nk_cmd_fn fn;
    const char *summary; /* one line, lowercase, no final period */
    const char *usage;   /* full help: synopsis, options, examples */
    /* A command with an option table (include/netkit/opt.h) has its usage
     * rendered from it instead; usage is then NULL. */
    const struct nk_optspec *spec;
    /* A command with subcommands (echo-tcp serve): its table, ending in a
     * NULL name, so tests can walk every subcommand's options. */
    const struct nk_subcmd *subs;
};
/* A command's usage text, from spec or usage. */
void nk_cmd_usage_write(FILE *fp, const struct nk_cmd *cmd);

/* The table, sorted by name; *n receives its length. */
const struct nk_cmd *nk_cmd_table(size_t *n);
/* Exact lookup; NULL when there is no such command. */
const struct nk_cmd *nk_cmd_find(const char *name);
/* The closest command name to a typo (ties: the first in the table). */
const char *nk_cmd_suggest(const char *name);
/* Optimal-string-alignment distance, ignoring case (a transposition
 * costs one). */
int nk_edit_distance(const char *a, const char *b);

/* Entry point of the whole tool; main() only calls this. */
int nk_main(int argc, char **argv);

/* Shared by commands: print "netkit CMD: message" and a pointer to --help
 * on stderr; returns NK_EX_USAGE. */
int nk_usage_error(const struct nk_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Report a getopt_long '?' or ':' result c (option strings start with ':'
 * so a missing value is told apart); returns NK_EX_USAGE. */
int nk_bad_option(const struct nk_ctx *ctx, char **argv, int c);
/* The command list on stdout (`netkit help`); returns 0. */
int nk_list_commands(void);
/* Print a command's usage on stdout; returns 0. */
int nk_cmd_help(const struct nk_cmd *cmd);
/* Print a usage text on stdout (a subcommand's own --help); returns 0. */
int nk_print_usage(const char *usage);
/* Subcommands, the one grammar of every command that has them: argv[1]
 * names a row of the command's table, which ends in a row with a NULL
 * name. That end row may carry a handler and spec of its own: the
 * command's default, run with the whole argv when argv[1] names no row
 * (none given, an option, or an operand such as sntp's SERVER); with a
 * NULL handler argv[1] must name a row. --help/-h as argv[1] prints the
 * command's usage; an unknown name is a usage error naming the closest. */
struct nk_subcmd {
    const char *name;
    nk_cmd_fn fn;
    const struct nk_optspec *spec; /* its options and usage */
};
/* The row of subcommand SUB of command prefix P: {"SUB", P_SUB,
 * &P_SUB_spec}; and the end rows, without and with a default. */
#define NK_SUBCMD(p, sub)                                                     \
    {                                                                         \
#sub, p##_##sub, &p##_##sub##_spec                                    \
    }
#define NK_SUBCMD_END                                                         \
    {                                                                         \
        NULL, NULL, NULL                                                      \
    }
#define NK_SUBCMD_DEFAULT(fn, spec)                                           \
    {                                                                         \
        NULL, (fn), &(spec)                                                   \
    }
int nk_run_subcommand(int argc, char **argv, struct nk_ctx *ctx,
                      const struct nk_subcmd *subs);
/* The middle of the usage of a command that is only its subcommands: the
 * pointer to their help and its one option. */
#define NK_SUBCMDS_USAGE(cmd)                                                 \
    "'netkit " cmd " SUBCOMMAND --help' shows each one's options.\n"          \
    "\n"                                                                      \
    "options:\n"                                                              \
    "  -h, --help   this text\n"                                              \
    "\n"
/* The end row of subs (its default, if any). */
const struct nk_subcmd *nk_subcmd_end(const struct nk_subcmd *subs);
/* A subcommand's one-line summary: the text after its synopsis up to the
 * first period, colon, semicolon or parenthesis, into buf. */
void nk_subcmd_summary(const struct nk_subcmd *s, char *buf, size_t n);
/* `netkit help --spec`: every command's and subcommand's option table,
 * synopsis and summary as tab-separated records (src/cmd/spec.c). */
int nk_spec_dump(FILE *fp);
/* Option values (src/opts.c): 0, or a usage error that names the option
 * and what it takes, and NK_EX_USAGE. */
int nk_opt_u64(const struct nk_ctx *ctx, const char *name, const char *s,
               uint64_t min, uint64_t max, uint64_t *out);
int nk_opt_long(const struct nk_ctx *ctx, const char *name, const char *s,
                long min, long max, long *out);
/* Seconds ("2", "0.25") within min_ms..max_ms, into milliseconds. */
int nk_opt_seconds(const struct nk_ctx *ctx, const char *name, const char *s,
                   int min_ms, int max_ms, int *ms);
/* A port number; 0 only with allow_zero (a server's "pick one"). out may
 * be NULL when the caller keeps the text. */
int nk_opt_port(const struct nk_ctx *ctx, const char *name, const char *s,
                int allow_zero, uint16_t *out);
/* getopt_long for commands whose operands are numbers: a word such as
 * "-1" or "-0x10" is an operand (a malformed value, 65), never an unknown
 * option (64). Use it for every call of a parse that nk_getopt_reset()
 * started. With an optstring starting "-", operands come back in order as
 * 1 with optarg; otherwise they are gathered, and after -1 they are
 * argv[optind..argc) in command-line order, as with getopt_long. */
struct option;
int nk_getopt_operands(int argc, char **argv, const char *optstring,
                       const struct option *longopts);
/* Reset getopt_long for a fresh parse (commands may run more than once
 * in one process, as in the unit tests). */
void nk_getopt_reset(void);

/* The handler of a command that is only its subcommands (echo-tcp,
 * echo-udp, chat, fileshare): nk_run_subcommand over ctx->cmd->subs. */
int nk_cmd_dispatch(int argc, char **argv, struct nk_ctx *ctx);
/* The subcommand tables of the commands that have them. */
extern const struct nk_subcmd cmd_echo_tcp_subs[];
extern const struct nk_subcmd cmd_echo_udp_subs[];
extern const struct nk_subcmd cmd_sntp_subs[];
extern const struct nk_subcmd cmd_chat_subs[];
extern const struct nk_subcmd cmd_fileshare_subs[];

/* The commands: cmd_X and its option spec cmd_X_spec. */
#define NK_DECLARE_CMD(id)                                                    \
    int cmd_##id(int argc, char **argv, struct nk_ctx *ctx);                  \
    extern const struct nk_optspec cmd_##id##_spec
NK_DECLARE_CMD(byteorder);
NK_DECLARE_CMD(help);
NK_DECLARE_CMD(hostinfo);
NK_DECLARE_CMD(httpget);
NK_DECLARE_CMD(ipconv);
NK_DECLARE_CMD(ping);
NK_DECLARE_CMD(service);
/* Commands that are their subcommands (and a default for sntp, sockopt). */
extern const char cmd_chat_usage[];
extern const char cmd_fileshare_usage[];
extern const char cmd_echo_tcp_usage[];
extern const char cmd_echo_udp_usage[];
extern const struct nk_optspec cmd_sntp_spec;
extern const struct nk_optspec cmd_sockopt_spec;
extern const struct nk_subcmd cmd_sockopt_subs[];
/* The global options (nk_main.c parses them by hand; this table is what
 * `netkit help --spec` shows of them). */
extern const struct nk_optdef nk_global_opts[];

#endif

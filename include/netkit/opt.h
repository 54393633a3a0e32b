/* Declarative options: one table per command (or subcommand) says every
 * option's short letter, long name, kind, where its value is stored, its
 * range, its argument name and its help line. One function parses argv
 * against the table (range checks, --help, --json included) and one
 * renders the "options:" section of the usage from it, so the parser,
 * the help text, the shell completion and the man pages' option lists
 * cannot drift apart.
 *
 *   struct hi_opts { int v4, v6, reverse; };
 *   static const struct nk_optdef hi_opts[] = {
 *       NK_OPT('4', "ipv4", NK_OPT_FLAG, struct hi_opts, v4, 0, 0, NULL,
 *              "IPv4 addresses only"),
 *       ...
 *       NK_OPT_JSON_DEF("one JSON document"),
 *       NK_OPT_HELP_DEF,
 *       NK_OPT_END,
 *   };
 *   int rc = nk_opt_parse(ctx, &spec, argc, argv, &opt);
 *   if (rc != NK_OPT_GO)
 *       return rc;             (0 after --help, 64 after a usage error)
 *   operands: argv[optind..argc)
 */
#ifndef NETKIT_OPT_H
#define NETKIT_OPT_H

#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h> /* AF_INET, AF_INET6 for NK_OPT_IPV46 */

struct nk_ctx;

enum nk_opt_kind {
    NK_OPT_FLAG,    /* int, set to 1 */
    NK_OPT_SET,     /* int, set to min (-4 stores AF_INET in one field) */
    NK_OPT_COUNT,   /* int, one more each time given (-v -v) */
    NK_OPT_STRING,  /* const char *, the argument as given */
    NK_OPT_INT,     /* int within min..max */
    NK_OPT_U64,     /* uint64_t within min..max */
    NK_OPT_LONG,    /* long within min..max */
    NK_OPT_SECONDS, /* int milliseconds; "2", "0.25"; min..max in ms */
    NK_OPT_PORT,    /* uint16_t; min 0 also allows port 0 (pick one) */
    NK_OPT_PORTSTR, /* const char *, checked as NK_OPT_PORT, kept as text */
    NK_OPT_CHOICE,  /* int, the index of the argument in choices[] */
    NK_OPT_CALL,    /* call(ctx, def, arg, values): anything else */
    NK_OPT_JSON,    /* ctx->json = 1 */
    NK_OPT_HELP,    /* print the usage, stop with 0 */
};

struct nk_optdef;
typedef int (*nk_opt_fn)(const struct nk_ctx *ctx, const struct nk_optdef *def,
                         const char *arg, void *values);

struct nk_optdef {
    char letter;      /* short option, 0 for a long-only one */
    const char *name; /* long option without "--"; NULL: letter only
                       * (no letter and no name ends a table) */
    enum nk_opt_kind kind;
    size_t off;         /* offset of the value in the values struct */
    long long min, max; /* range (INT, U64, SECONDS in ms, PORT min) */
    const char *arg;    /* argument name in the help ("N"); NULL: none */
    const char *help;   /* help text, lines split by '\n'; NULL: hidden
                         * (an old spelling kept for scripts) */
    const char *const *choices; /* CHOICE: NULL-terminated names */
    nk_opt_fn call;             /* CALL */
};

#define NK_OPT(l, n, k, type, field, lo, hi, a, h)                            \
    {                                                                         \
        (l), (n), (k), offsetof(type, field), (lo), (hi), (a), (h), NULL,     \
            NULL                                                              \
    }
/* An option handled by a function (NK_OPT_CALL); a NULL a: no value. */
#define NK_OPT_FN(l, n, a, h, fn)                                             \
    {                                                                         \
        (l), (n), NK_OPT_CALL, 0, 0, 0, (a), (h), NULL, (fn)                  \
    }
#define NK_OPT_JSON_DEF(h)                                                    \
    {                                                                         \
        'j', "json", NK_OPT_JSON, 0, 0, 0, NULL, (h), NULL, NULL              \
    }
#define NK_OPT_HELP_DEF                                                       \
    {                                                                         \
        'h', "help", NK_OPT_HELP, 0, 0, 0, NULL, "this text", NULL, NULL      \
    }
#define NK_OPT_END                                                            \
    {                                                                         \
        0, NULL, NK_OPT_FLAG, 0, 0, 0, NULL, NULL, NULL, NULL                 \
    }
/* A client's -p, --port (required, kept as text) and -H, --host. */
#define NK_OPT_PEER(type, port, host)                                         \
    NK_OPT('p', "port", NK_OPT_PORTSTR, type, port, 1, 0, "P",                \
           "the server's port (required)"),                                   \
        NK_OPT('H', "host", NK_OPT_STRING, type, host, 0, 0, "H",             \
               "the server's name or address (default: localhost)")
/* -4 and -6: AF_INET or AF_INET6 into an int field. */
#define NK_OPT_IPV46(type, field)                                             \
    NK_OPT('4', NULL, NK_OPT_SET, type, field, AF_INET, 0, NULL,              \
           "IPv4 only"),                                                      \
        NK_OPT('6', NULL, NK_OPT_SET, type, field, AF_INET6, 0, NULL,         \
               "IPv6 only")

/* A command's (or subcommand's) whole usage: the synopsis and description
 * (ending in a blank line), the option table, and what follows the
 * options section ("examples:\n..."). */
struct nk_optspec {
    const char *head;
    const struct nk_optdef *opts;
    const char *tail;
    /* Operands are numbers: "-1", "-0x10" is an operand (a malformed
     * value, exit 65), never an unknown option (nk_getopt_operands). */
    int number_operands;
    /* Not NULL: each operand, in order among the options, goes to
     * operand(ctx, NULL, word, values) (operands after "--" stay in
     * argv[optind..argc)); implies number_operands. */
    nk_opt_fn operand;
};

/* nk_opt_parse's "carry on": the options were taken. */
#define NK_OPT_GO (-1)

/* Parse argv[1..] against spec->opts into values. Returns NK_OPT_GO with
 * the operands in argv[optind..argc) (options and operands may mix, as
 * with getopt_long), or the exit status to return now: 0 after --help
 * printed the usage, NK_EX_USAGE after a usage error naming the option.
 * Resets getopt itself, so a command may run more than once. */
int nk_opt_parse(struct nk_ctx *ctx, const struct nk_optspec *spec, int argc,
                 char **argv, void *values);
/* The same, and *given gets bit i set for each spec->opts[i] given (for
 * rules such as "--lesson takes only --port"). */
int nk_opt_parse_given(struct nk_ctx *ctx, const struct nk_optspec *spec,
                       int argc, char **argv, void *values,
                       unsigned long long *given);
/* The "--name" (or "-x") a message should call def. */
void nk_opt_name(const struct nk_optdef *def, char *buf, size_t n);

/* The "options:" section alone, and the whole usage text. */
void nk_opt_render(FILE *fp, const struct nk_optdef *opts);
void nk_opt_usage(FILE *fp, const struct nk_optspec *spec);

/* The def for a long name or a letter in a table; NULL when none. */
const struct nk_optdef *nk_opt_find(const struct nk_optdef *opts,
                                    const char *name, char letter);

#endif

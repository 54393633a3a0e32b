/* Declarative options (include/netkit/opt.h): one table parsed by one
 * function (every kind, range checks, --help, --json, errors) and
 * rendered as the usage's options section; and, over every command's
 * tables, the rules the tables make checkable: each usage renders, no
 * letter or name twice in a table, and the options several commands
 * share have one short letter that means nothing else anywhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "netkit/exitcodes.h"
#include "netkit/opt.h"

struct vals {
    int flag, family, count, n, ms, choice, called;
    long l;
    const char *s, *portstr;
    uint64_t big;
    uint16_t port;
};

static const char *const colors[] = {"red", "green", NULL};

static int
call_me(const struct nk_ctx *ctx, const struct nk_optdef *def, const char *arg,
        void *values)
{
    (void)ctx;
    (void)def;
    ((struct vals *)values)->called += (int)strlen(arg);
    return strcmp(arg, "bad") == 0 ? NK_EX_USAGE : 0;
}

static int
call_flag(const struct nk_ctx *ctx, const struct nk_optdef *def,
          const char *arg, void *values)
{
    (void)ctx;
    (void)def;
    assert_null(arg);
    ((struct vals *)values)->called += 100;
    return 0;
}

static const struct nk_optdef defs[] = {
    NK_OPT('f', "flag", NK_OPT_FLAG, struct vals, flag, 0, 0, NULL, "a flag"),
    NK_OPT('4', NULL, NK_OPT_SET, struct vals, family, 2, 0, NULL,
           "IPv4 only"),
    NK_OPT('v', "verbose", NK_OPT_COUNT, struct vals, count, 0, 0, NULL,
           "more detail"),
    NK_OPT('s', "string", NK_OPT_STRING, struct vals, s, 0, 0, "TEXT",
           "some text,\nover two lines"),
    NK_OPT('n', "number", NK_OPT_INT, struct vals, n, 1, 10, "N", "1 to 10"),
    NK_OPT('L', "long", NK_OPT_LONG, struct vals, l, 2, 99, "N", "2 to 99"),
    NK_OPT(0, "big", NK_OPT_U64, struct vals, big, 0, 1000000, "N",
           "up to a million"),
    NK_OPT('t', "timeout", NK_OPT_SECONDS, struct vals, ms, 0, 5000, "S",
           "seconds"),
    NK_OPT('p', "port", NK_OPT_PORT, struct vals, port, 1, 65535, "PORT",
           "a port"),
    NK_OPT(0, "service", NK_OPT_PORTSTR, struct vals, portstr, 0, 0, "PORT",
           "a port kept as text; 0 allowed"),
    {'c', "color", NK_OPT_CHOICE, offsetof(struct vals, choice), 0, 0, "COLOR",
     "red or green", colors, NULL},
    {0, "call", NK_OPT_CALL, 0, 0, 0, "X", "calls", NULL, call_me},
    {0, "call-flag", NK_OPT_CALL, 0, 0, 0, NULL, "calls, no value", NULL,
     call_flag},
    NK_OPT(0, "old-flag", NK_OPT_FLAG, struct vals, flag, 0, 0, NULL, NULL),
    NK_OPT_JSON_DEF("JSON"),
    NK_OPT_HELP_DEF,
    NK_OPT_END,
};

static const struct nk_optspec spec = {"usage: netkit t [options] ARG\n\n",
                                       defs, "examples:\n  netkit t -f x\n", 0,
                                       NULL};

static struct nk_ctx ctx0;

static int
parse(int argc, char **argv, struct vals *v)
{
    memset(v, 0, sizeof *v);
    v->n = -1;
    memset(&ctx0, 0, sizeof ctx0);
    ctx0.cmd = nk_cmd_find("help");
    return nk_opt_parse(&ctx0, &spec, argc, argv, v);
}

static void
test_every_kind(void **state)
{
    char *argv[] = {"t",           "-f",     "op1",  "-4",      "-vv",
                    "--string=hi", "-n",     "10",   "--big",   "999999",
                    "-t0.25",      "--port", "8080", "--color", "green",
                    "--call",      "abc",    "op2",  "--json",  "--call-flag",
                    "--service",   "0",      "-L99", NULL};
    struct vals v;
    (void)state;
    assert_int_equal(parse(23, argv, &v), NK_OPT_GO);
    assert_int_equal(v.flag, 1);
    assert_int_equal(v.family, 2);
    assert_int_equal(v.count, 2);
    assert_string_equal(v.s, "hi");
    assert_int_equal(v.n, 10);
    assert_true(v.big == 999999);
    assert_int_equal(v.ms, 250);
    assert_int_equal(v.port, 8080);
    assert_int_equal(v.choice, 1);
    assert_int_equal(v.called, 103);
    assert_int_equal(ctx0.json, 1);
    /* operands, in order, after the options */
    assert_int_equal(23 - optind, 2);
    assert_int_equal(v.l, 99);
    assert_string_equal(v.portstr, "0");
    assert_string_equal(argv[optind], "op1");
    assert_string_equal(argv[optind + 1], "op2");
}

/* Operands in order among the options, "-1" an operand, not an option. */
static char seen[64];

static int
operand(const struct nk_ctx *ctx, const struct nk_optdef *def, const char *arg,
        void *values)
{
    (void)ctx;
    (void)values;
    assert_null(def);
    strncat(seen, arg, sizeof seen - strlen(seen) - 2);
    strcat(seen, " ");
    return 0;
}

static void
test_operands_in_order(void **state)
{
    static const struct nk_optspec ordered = {"usage: netkit t\n\n", defs, "",
                                              1, operand};
    char *argv[] = {"t",      "a", "-n", "3",  "-1",
                    "--flag", "b", "--", "-c", NULL};
    struct vals v;
    (void)state;
    memset(&v, 0, sizeof v);
    ctx0.cmd = nk_cmd_find("help");
    seen[0] = '\0';
    assert_int_equal(nk_opt_parse(&ctx0, &ordered, 9, argv, &v), NK_OPT_GO);
    assert_string_equal(seen, "a -1 b ");
    assert_int_equal(v.n, 3);
    assert_int_equal(v.flag, 1);
    assert_int_equal(9 - optind, 1);
    assert_string_equal(argv[optind], "-c");
}

/* Which options were given, by their index in the table. */
static void
test_given(void **state)
{
    char *argv[] = {"t", "-f", "--port", "80", "-f", NULL};
    unsigned long long given = 0;
    struct vals v;
    (void)state;
    memset(&v, 0, sizeof v);
    ctx0.cmd = nk_cmd_find("help");
    assert_int_equal(nk_opt_parse_given(&ctx0, &spec, 5, argv, &v, &given),
                     NK_OPT_GO);
    assert_true(given == ((1ULL << 0) | (1ULL << 8)));
    assert_string_equal(defs[8].name, "port");
}

/* Each bad word is a usage error (64); an out-of-range value leaves the
 * field as it was. */
static void
test_errors(void **state)
{
    static const char *const bad[][3] = {
        {"-n", "0", NULL},         {"-n", "11", NULL},
        {"-n", "x", NULL},         {"--big", "1000001", NULL},
        {"-t", "6", NULL},         {"-t", "soon", NULL},
        {"-p", "0", NULL},         {"-p", "65536", NULL},
        {"--service", "x", NULL},  {"--service", "65536", NULL},
        {"-L", "1", NULL},         {"--long", "100", NULL},
        {"--color", "blue", NULL}, {"--call", "bad", NULL},
        {"-z", NULL, NULL},        {"--nosuch", NULL, NULL},
        {"-n", NULL, NULL},        {"--string", NULL, NULL},
        {"--flag=1", NULL, NULL},  {"-6", NULL, NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[] = {"t", (char *)bad[i][0], (char *)bad[i][1], NULL};
        int argc = bad[i][1] ? 3 : 2;
        struct vals v;
        if (parse(argc, argv, &v) != NK_EX_USAGE)
            fail_msg("'%s %s' was taken", bad[i][0],
                     bad[i][1] ? bad[i][1] : "");
        assert_int_equal(v.n, -1);
        assert_int_equal(v.port, 0);
        assert_null(v.portstr);
        assert_int_equal(v.l, 0);
    }
}

/* A hidden entry (an old spelling) still works but is not shown. */
static void
test_hidden_alias(void **state)
{
    char *argv[] = {"t", "--old-flag", NULL};
    struct vals v;
    char out[4096] = "";
    FILE *fp = fmemopen(out, sizeof out - 1, "w");
    (void)state;
    assert_int_equal(parse(2, argv, &v), NK_OPT_GO);
    assert_int_equal(v.flag, 1);
    assert_non_null(fp);
    nk_opt_render(fp, defs);
    fclose(fp);
    assert_null(strstr(out, "old-flag"));
}

/* The options section: one line per option, the help column aligned,
 * continuation lines under it. */
static void
test_render(void **state)
{
    static const struct nk_optdef small[] = {
        NK_OPT('o', "output", NK_OPT_STRING, struct vals, s, 0, 0, "FILE",
               "write to FILE\nnot stdout"),
        NK_OPT(0, "host", NK_OPT_STRING, struct vals, s, 0, 0, "HOST",
               "the host"),
        NK_OPT('4', NULL, NK_OPT_SET, struct vals, family, 2, 0, NULL, "IPv4"),
        NK_OPT(0, "a-very-long-option-name", NK_OPT_STRING, struct vals, s, 0,
               0, "on|off", "wide"),
        NK_OPT_HELP_DEF,
        NK_OPT_END,
    };
    char out[1024] = "";
    FILE *fp = fmemopen(out, sizeof out - 1, "w");
    (void)state;
    assert_non_null(fp);
    nk_opt_render(fp, small);
    fclose(fp);
    assert_string_equal(out, "options:\n"
                             "  -o, --output FILE  write to FILE\n"
                             "                     not stdout\n"
                             "      --host HOST    the host\n"
                             "  -4                 IPv4\n"
                             "      --a-very-long-option-name on|off\n"
                             "                     wide\n"
                             "  -h, --help         this text\n");
}

/* --help prints head, options, tail and stops with 0 before later words
 * are looked at. */
static void
test_help(void **state)
{
    char *argv[] = {"t", "--help", "--nosuch", NULL};
    char out[4096] = "";
    struct vals v;
    FILE *fp = fmemopen(out, sizeof out - 1, "w");
    FILE *saved = stdout;
    int rc;
    (void)state;
    assert_non_null(fp);
    stdout = fp;
    rc = parse(3, argv, &v);
    stdout = saved;
    fclose(fp);
    assert_int_equal(rc, NK_EX_OK);
    assert_non_null(
        strstr(out, "usage: netkit t [options] ARG\n\noptions:\n"));
    assert_non_null(strstr(out, "  -h, --help "));
    assert_non_null(strstr(out, "\n\nexamples:\n  netkit t -f x\n"));
}

/* Every table a command has. Commands still on their own getopt loop
 * have no table yet (see docs/architecture.md, "Options"). */
static char sub_names[64][48];

static void
tables(const struct nk_optdef **out, const char **names, size_t *n)
{
    size_t nc;
    const struct nk_cmd *t = nk_cmd_table(&nc);

    *n = 0;
    for (size_t i = 0; i < nc; i++) {
        if (t[i].spec != NULL) {
            names[*n] = t[i].name;
            out[(*n)++] = t[i].spec->opts;
        }
        for (const struct nk_subcmd *s = t[i].subs; s && s->name; s++)
            if (s->spec != NULL && *n < 64) {
                snprintf(sub_names[*n], sizeof sub_names[*n], "%s %s",
                         t[i].name, s->name);
                names[*n] = sub_names[*n];
                out[(*n)++] = s->spec->opts;
            }
    }
}

/* In each table: no letter and no long name twice, every shown option
 * has help, every value option an argument name. */
static void
test_tables_consistent(void **state)
{
    const struct nk_optdef *t[64];
    const char *names[64];
    size_t n;
    (void)state;
    tables(t, names, &n);
    assert_true(n >= 1);
    for (size_t i = 0; i < n; i++)
        for (const struct nk_optdef *d = t[i]; d->letter || d->name; d++) {
            for (const struct nk_optdef *e = d + 1; e->letter || e->name;
                 e++) {
                if (d->letter && d->letter == e->letter)
                    fail_msg("%s: -%c twice", names[i], d->letter);
                if (d->name && e->name && strcmp(d->name, e->name) == 0)
                    fail_msg("%s: --%s twice", names[i], d->name);
            }
            if (d->help != NULL && d->help[0] == '\0')
                fail_msg("%s: --%s has an empty help", names[i], d->name);
            if ((d->kind == NK_OPT_STRING || d->kind == NK_OPT_INT ||
                 d->kind == NK_OPT_PORT || d->kind == NK_OPT_SECONDS ||
                 d->kind == NK_OPT_PORTSTR || d->kind == NK_OPT_U64 ||
                 d->kind == NK_OPT_LONG) &&
                d->arg == NULL)
                fail_msg("%s: --%s takes a value but names none", names[i],
                         d->name);
        }
}

/* The options several commands share: one letter each, everywhere, and
 * that letter means nothing else in any command. Letters from nc, ncat,
 * curl and ping. A '\0' letter: the option has no short form anywhere. */
static const struct {
    const char *name;
    char letter;
} shared[] = {
    {"port", 'p'},     {"bind", 'b'},    {"host", 'H'},    {"count", 'c'},
    {"interval", 'i'}, {"timeout", 't'}, {"json", 'j'},    {"quiet", 'q'},
    {"output", 'o'},   {"name", 'n'},    {"verbose", 'v'}, {"help", 'h'},
};

static void
test_shared_letters(void **state)
{
    const struct nk_optdef *t[64];
    const char *names[64];
    size_t n;
    (void)state;
    tables(t, names, &n);
    for (size_t i = 0; i < n; i++)
        for (const struct nk_optdef *d = t[i]; d->letter || d->name; d++)
            for (size_t k = 0; k < sizeof shared / sizeof shared[0]; k++) {
                int same_name =
                    d->name && strcmp(d->name, shared[k].name) == 0;
                if (same_name && d->letter != shared[k].letter &&
                    d->help != NULL)
                    fail_msg("%s: --%s is -%c, not -%c", names[i], d->name,
                             d->letter ? d->letter : '-', shared[k].letter);
                if (!same_name && d->letter == shared[k].letter)
                    fail_msg("%s: -%c is --%s here but --%s everywhere",
                             names[i], d->letter, d->name ? d->name : "?",
                             shared[k].name);
            }
}

/* Every command and subcommand with a table takes --json. */
static void
test_every_table_has_json(void **state)
{
    const struct nk_optdef *t[64];
    const char *names[64];
    size_t n;
    (void)state;
    tables(t, names, &n);
    for (size_t i = 0; i < n; i++) {
        const struct nk_optdef *d = nk_opt_find(t[i], "json", 0);
        if (d == NULL || d->kind != NK_OPT_JSON || d->letter != 'j')
            fail_msg("%s: no -j, --json", names[i]);
    }
}

/* Every usage of every subcommand, the default rows included: a spec;
 * a usage that starts with its synopsis, renders its options (each shown
 * option of the table appears in it) and has an example of its own; a
 * summary of one short line. */
static void
check_usage(const char *synopsis, const char *example,
            const struct nk_optspec *sp)
{
    char usage[16384] = "", opt[64];
    FILE *fp = fmemopen(usage, sizeof usage - 1, "w");

    assert_non_null(sp);
    assert_non_null(fp);
    nk_opt_usage(fp, sp);
    fclose(fp);
    if (strncmp(usage, synopsis, strlen(synopsis)) != 0)
        fail_msg("'%s' usage starts '%.40s'", synopsis, usage);
    if (strstr(usage, "\noptions:\n") == NULL ||
        strstr(usage, "  -h, --help ") == NULL ||
        strstr(usage, example) == NULL)
        fail_msg("'%s': no options section, --help or '%s'", synopsis,
                 example);
    for (const struct nk_optdef *d = sp->opts; d->letter || d->name; d++) {
        if (d->help == NULL)
            continue;
        nk_opt_name(d, opt, sizeof opt);
        if (strstr(usage, opt) == NULL)
            fail_msg("'%s': %s not in its usage", synopsis, opt);
    }
}

static void
test_every_subcommand_usage(void **state)
{
    size_t nc, nsubs = 0;
    const struct nk_cmd *t = nk_cmd_table(&nc);
    (void)state;
    for (size_t i = 0; i < nc; i++) {
        const struct nk_subcmd *s = t[i].subs, *end;
        char synopsis[96], example[96], summary[256];
        if (s == NULL)
            continue;
        for (; s->name != NULL; s++, nsubs++) {
            snprintf(synopsis, sizeof synopsis, "usage: netkit %s %s",
                     t[i].name, s->name);
            snprintf(example, sizeof example, "examples:\n  netkit %s %s",
                     t[i].name, s->name);
            check_usage(synopsis, example, s->spec);
            assert_ptr_not_equal(s->fn, NULL);
            nk_subcmd_summary(s, summary, sizeof summary);
            if (summary[0] == '\0' || strlen(summary) > 72)
                fail_msg("%s %s: summary '%s'", t[i].name, s->name, summary);
        }
        /* a default row is the command's own usage */
        end = nk_subcmd_end(t[i].subs);
        assert_ptr_equal(end, s);
        if (end->fn != NULL) {
            snprintf(synopsis, sizeof synopsis, "usage: netkit %s", t[i].name);
            snprintf(example, sizeof example, "examples:\n  netkit %s\n",
                     t[i].name);
            check_usage(synopsis, example, end->spec);
            assert_ptr_equal(end->spec, t[i].spec);
        }
    }
    assert_true(nsubs >= 17); /* 3 + 3 + 2 + 4 (chat, echo, fileshare), 2 +
                                 3 (sntp, sockopt) */
}

/* The subcommand grammar: a row by its exact name (argv shifted), the
 * default row with the whole argv for anything else, an unknown name a
 * usage error only without a default. */
static int sub_calls[3];
static int sub_argc[3];

static int
sub_a(int argc, char **argv, struct nk_ctx *ctx)
{
    (void)argv;
    (void)ctx;
    sub_calls[0]++;
    sub_argc[0] = argc;
    return 0;
}

static int
sub_b(int argc, char **argv, struct nk_ctx *ctx)
{
    (void)argv;
    (void)ctx;
    sub_calls[1]++;
    sub_argc[1] = argc;
    return 0;
}

static int
sub_default(int argc, char **argv, struct nk_ctx *ctx)
{
    (void)argv;
    assert_null(ctx->sub);
    sub_calls[2]++;
    sub_argc[2] = argc;
    return 7;
}

static void
test_subcommand_grammar(void **state)
{
    static const struct nk_subcmd with_default[] = {
        {"alpha", sub_a, &spec},
        {"beta", sub_b, &spec},
        NK_SUBCMD_DEFAULT(sub_default, spec),
    };
    static const struct nk_subcmd without[] = {
        {"alpha", sub_a, &spec},
        NK_SUBCMD_END,
    };
    char *a1[] = {"c", "alpha", "x", NULL};
    char *a2[] = {"c", "alph", "x", NULL};
    char *a3[] = {"c", "-x", NULL};
    char *a4[] = {"c", NULL};
    struct nk_ctx ctx = {0};
    FILE *saved = stderr;
    char err[16384] = "";
    (void)state;
    ctx.cmd = nk_cmd_find("sntp");
    memset(sub_calls, 0, sizeof sub_calls);
    assert_int_equal(nk_run_subcommand(3, a1, &ctx, with_default), 0);
    assert_int_equal(sub_calls[0], 1);
    assert_int_equal(sub_argc[0], 2);
    assert_string_equal(ctx.sub, "alpha");
    ctx.sub = NULL;
    assert_int_equal(nk_run_subcommand(3, a2, &ctx, with_default), 7);
    assert_int_equal(nk_run_subcommand(2, a3, &ctx, with_default), 7);
    assert_int_equal(nk_run_subcommand(1, a4, &ctx, with_default), 7);
    assert_int_equal(sub_calls[2], 3);
    assert_int_equal(sub_argc[2], 1);
    assert_int_equal(sub_calls[1], 0);
    stderr = fmemopen(err, sizeof err - 1, "w"); /* the usage errors' text */
    assert_non_null(stderr);
    assert_int_equal(nk_run_subcommand(3, a2, &ctx, without), NK_EX_USAGE);
    assert_int_equal(nk_run_subcommand(1, a4, &ctx, without), NK_EX_USAGE);
    fclose(stderr);
    stderr = saved;
    assert_non_null(strstr(err, "unknown subcommand 'alph' (did you mean "
                                "'alpha'?)"));
    assert_int_equal(sub_calls[0], 1);
    assert_int_equal(sub_calls[2], 3);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_operands_in_order),
        cmocka_unit_test(test_given),
        cmocka_unit_test(test_hidden_alias),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_tables_consistent),
        cmocka_unit_test(test_shared_letters),
        cmocka_unit_test(test_every_table_has_json),
        cmocka_unit_test(test_every_subcommand_usage),
        cmocka_unit_test(test_subcommand_grammar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

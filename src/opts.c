/* Option values shared by every command: a value that does not parse or
 * is out of range is a usage error (64) that names the option and says
 * what it takes. One place, so every command words it the same way. */
#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "netkit/exitcodes.h"
#include "netkit/opt.h"
#include "netkit/parse.h"

int
nk_opt_u64(const struct nk_ctx *ctx, const char *name, const char *s,
           uint64_t min, uint64_t max, uint64_t *out)
{
    struct nk_err err;
    uint64_t v;

    if (nk_parse_u64(s, max, &v, &err) < 0 || v < min)
        return nk_usage_error(ctx,
                              "%s takes %" PRIu64 " to %" PRIu64 ", not '%s'",
                              name, min, max, s);
    *out = v;
    return 0;
}

int
nk_opt_long(const struct nk_ctx *ctx, const char *name, const char *s,
            long min, long max, long *out)
{
    uint64_t v = 0; /* -O2 cannot see that rc == 0 means it was set */
    int rc = nk_opt_u64(ctx, name, s, (uint64_t)(min < 0 ? 0 : min),
                        (uint64_t)max, &v);

    if (rc == 0)
        *out = (long)v;
    return rc;
}

int
nk_opt_seconds(const struct nk_ctx *ctx, const char *name, const char *s,
               int min_ms, int max_ms, int *ms)
{
    struct nk_err err;
    int v;

    if (nk_parse_seconds(s, &v, &err) < 0)
        return nk_usage_error(ctx, "%s: %s", name, err.msg);
    if (v < min_ms || v > max_ms)
        return nk_usage_error(ctx, "%s takes %g to %g seconds, not '%s'", name,
                              min_ms / 1000.0, max_ms / 1000.0, s);
    *ms = v;
    return 0;
}

int
nk_opt_port(const struct nk_ctx *ctx, const char *name, const char *s,
            int allow_zero, uint16_t *out)
{
    struct nk_err err;
    uint16_t p;

    if (nk_parse_port(s, &p, &err) < 0 || (p == 0 && !allow_zero))
        return nk_usage_error(ctx,
                              "%s takes a port number (%d-65535), not "
                              "'%s'",
                              name, allow_zero ? 0 : 1, s);
    if (out != NULL)
        *out = p;
    return 0;
}

/* "-1", "-0x10", "-.5": a number with a sign, which is an operand (a
 * malformed value, exit 65), never an option. */
static int
negative_number(const char *s)
{
    return s[0] == '-' && (isdigit((unsigned char)s[1]) ||
                           (s[1] == '.' && isdigit((unsigned char)s[2])));
}

/* Move argv[mid..to) in front of argv[from..mid), keeping both orders. */
static void
rotate(char **argv, int from, int mid, int to)
{
    for (; mid < to; from++, mid++) {
        char *w = argv[mid];
        memmove(argv + from + 1, argv + from,
                (size_t)(mid - from) * sizeof *argv);
        argv[from] = w;
    }
}

/* Operands gathered so far in a compacting parse: they sit just before
 * optind, in order. */
static int operand_count;

/* The one place netkit calls getopt_long. */
static int
getopt_step(int argc, char **argv, const char *shorts,
            const struct option *longs)
{
    return getopt_long(argc, argv, shorts, longs, NULL);
}

int
nk_getopt_operands(int argc, char **argv, const char *optstring,
                   const struct option *longopts)
{
    int in_order = optstring[0] == '-';
    char spec[256];

    /* RETURN_IN_ORDER ("-"): getopt never scans ahead, so each word is
     * seen here before getopt could read "-1" as option '1'. */
    snprintf(spec, sizeof spec, "%s%s", in_order ? "" : "-", optstring);
    if (optind == 0) {
        /* A fresh parse: let getopt initialise itself on an empty list
         * (it sets optind to 1 and forgets any half-read cluster), so a
         * first word that is a negative number can be taken here. */
        char *none[] = {argv[0], NULL};
        operand_count = 0;
        getopt_step(1, none, spec, longopts);
    }
    for (;;) {
        int before = optind, c;

        if (optind < argc && negative_number(argv[optind])) {
            optarg = argv[optind++];
            if (in_order)
                return 1;
            operand_count++;
            continue;
        }
        c = getopt_step(argc, argv, spec, longopts);
        if (c == 1 && in_order)
            return 1;
        if (c == 1) {
            operand_count++;
            continue;
        }
        if (c == '?' || c == ':')
            return c; /* argv[optind - 1] still names the bad word */
        /* The words this option used go before the operands. */
        rotate(argv, before - operand_count, before, optind);
        if (c == -1)
            optind -= operand_count;
        return c;
    }
}

/* ------------------------------------------------ declarative options */

#define END(d) ((d)->letter == 0 && (d)->name == NULL)

static int
takes_arg(const struct nk_optdef *d)
{
    switch (d->kind) {
    case NK_OPT_FLAG:
    case NK_OPT_SET:
    case NK_OPT_COUNT:
    case NK_OPT_JSON:
    case NK_OPT_HELP:
        return 0;
    case NK_OPT_CALL:
        return d->arg != NULL; /* a CALL without an argument is a flag */
    default:
        return 1;
    }
}

/* "--name", or "-x" for a letter-only option: what messages call it. */
void
nk_opt_name(const struct nk_optdef *d, char *buf, size_t n)
{
    if (d->name != NULL)
        snprintf(buf, n, "--%s", d->name);
    else
        snprintf(buf, n, "-%c", d->letter);
}

const struct nk_optdef *
nk_opt_find(const struct nk_optdef *opts, const char *name, char letter)
{
    for (const struct nk_optdef *d = opts; !END(d); d++) {
        if (name != NULL && d->name != NULL && strcmp(d->name, name) == 0)
            return d;
        if (name == NULL && letter != 0 && d->letter == letter)
            return d;
    }
    return NULL;
}

static int
take_choice(const struct nk_ctx *ctx, const struct nk_optdef *d,
            const char *name, const char *arg, int *out)
{
    char list[256] = "";

    for (int i = 0; d->choices[i] != NULL; i++) {
        if (strcmp(d->choices[i], arg) == 0) {
            *out = i;
            return 0;
        }
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                 i ? ", " : "", d->choices[i]);
    }
    return nk_usage_error(ctx, "%s takes one of %s, not '%s'", name, list,
                          arg);
}

/* Store one option's value; NK_OPT_GO, or the status to stop with. */
static int
take(struct nk_ctx *ctx, const struct nk_optspec *spec,
     const struct nk_optdef *d, const char *arg, void *values)
{
    /* values is NULL for a table of options that store nothing (--help,
     * --json): no arithmetic on it then */
    char *p = values != NULL ? (char *)values + d->off : NULL;
    char name[64];
    long v;
    int rc = 0;

    nk_opt_name(d, name, sizeof name);
    switch (d->kind) {
    case NK_OPT_FLAG:
        *(int *)p = 1;
        break;
    case NK_OPT_SET:
        *(int *)p = (int)d->min;
        break;
    case NK_OPT_COUNT:
        ++*(int *)p;
        break;
    case NK_OPT_STRING:
        *(const char **)p = arg;
        break;
    case NK_OPT_INT:
    case NK_OPT_LONG:
        rc = nk_opt_long(ctx, name, arg, (long)d->min, (long)d->max, &v);
        if (rc == 0 && d->kind == NK_OPT_INT)
            *(int *)p = (int)v;
        else if (rc == 0)
            *(long *)(void *)p = v;
        break;
    case NK_OPT_U64:
        rc = nk_opt_u64(ctx, name, arg, (uint64_t)d->min, (uint64_t)d->max,
                        (uint64_t *)(void *)p);
        break;
    case NK_OPT_SECONDS:
        rc = nk_opt_seconds(ctx, name, arg, (int)d->min, (int)d->max,
                            (int *)(void *)p);
        break;
    case NK_OPT_PORT:
        rc = nk_opt_port(ctx, name, arg, d->min == 0, (uint16_t *)(void *)p);
        break;
    case NK_OPT_PORTSTR:
        rc = nk_opt_port(ctx, name, arg, d->min == 0, NULL);
        if (rc == 0)
            *(const char **)p = arg;
        break;
    case NK_OPT_CHOICE:
        rc = take_choice(ctx, d, name, arg, (int *)(void *)p);
        break;
    case NK_OPT_CALL:
        rc = d->call(ctx, d, arg, values);
        break;
    case NK_OPT_JSON:
        ctx->json = 1;
        break;
    case NK_OPT_HELP:
        nk_opt_usage(stdout, spec);
        return NK_EX_OK;
    }
    return rc != 0 ? NK_EX_USAGE : NK_OPT_GO;
}

enum { MAX_OPTS = 64, LONG_BASE = 256 };

int
nk_opt_parse(struct nk_ctx *ctx, const struct nk_optspec *spec, int argc,
             char **argv, void *values)
{
    unsigned long long given;

    return nk_opt_parse_given(ctx, spec, argc, argv, values, &given);
}

int
nk_opt_parse_given(struct nk_ctx *ctx, const struct nk_optspec *spec, int argc,
                   char **argv, void *values, unsigned long long *given)
{
    struct option longs[MAX_OPTS + 1];
    char shorts[3 * MAX_OPTS + 3] = "-:";
    size_t n = 0, k = 2, i = 0;
    int c;

    for (const struct nk_optdef *d = spec->opts; !END(d); d++, i++) {
        if (i == MAX_OPTS)
            return nk_usage_error(ctx, "internal: too many options");
        if (d->name != NULL) /* the value says which def, by index */
            longs[n++] = (struct option){
                d->name, takes_arg(d) ? required_argument : no_argument, NULL,
                LONG_BASE + (int)i};
        if (d->letter != 0) {
            shorts[k++] = d->letter;
            if (takes_arg(d))
                shorts[k++] = ':';
        }
    }
    longs[n] = (struct option){NULL, 0, NULL, 0};
    shorts[k] = '\0';
    *given = 0;
    nk_getopt_reset();
    /* The one option loop every command goes through;
     * "-" (operands in order, as 1) only when the spec takes them so. */
    while ((c = spec->operand != NULL || spec->number_operands
                    ? nk_getopt_operands(
                          argc, argv, shorts + (spec->operand == NULL), longs)
                    : getopt_step(argc, argv, shorts + 1, longs)) != -1) {
        const struct nk_optdef *d;
        int rc;

        if (c == 1) { /* an operand, in order */
            if (spec->operand(ctx, NULL, optarg, values) != 0)
                return NK_EX_USAGE;
            continue;
        }
        if (c >= LONG_BASE)
            d = &spec->opts[c - LONG_BASE];
        else if (c == '?' || c == ':')
            d = NULL;
        else
            d = nk_opt_find(spec->opts, NULL, (char)c);
        if (d == NULL)
            return nk_bad_option(ctx, argv, c);
        *given |= 1ULL << (d - spec->opts);
        rc = take(ctx, spec, d, optarg, values);
        if (rc != NK_OPT_GO)
            return rc;
    }
    return NK_OPT_GO;
}

/* "-o, --output FILE", "    --host HOST", "-4": an option's left column. */
static int
left_col(const struct nk_optdef *d, char *buf, size_t n)
{
    return snprintf(buf, n, "%c%c%s%s%s%s%s", d->letter ? '-' : ' ',
                    d->letter ? d->letter : ' ',
                    d->letter && d->name ? ", "
                    : d->name            ? "  "
                                         : "",
                    d->name ? "--" : "", d->name ? d->name : "",
                    d->arg ? " " : "", d->arg ? d->arg : "");
}

/* A left column wider than this puts its help on the next line. */
enum { COL_MAX = 26 };

void
nk_opt_render(FILE *fp, const struct nk_optdef *opts)
{
    char buf[96];
    int width = 0;

    for (const struct nk_optdef *d = opts; !END(d); d++) {
        int w = left_col(d, buf, sizeof buf);
        if (d->help != NULL && w > width && w <= COL_MAX)
            width = w;
    }
    fputs("options:\n", fp);
    for (const struct nk_optdef *d = opts; !END(d); d++) {
        const char *h = d->help;
        if (h == NULL)
            continue; /* an old spelling, kept working but not shown */
        if (left_col(d, buf, sizeof buf) > width)
            fprintf(fp, "  %s\n  %-*s  ", buf, width, "");
        else
            fprintf(fp, "  %-*s  ", width, buf);
        for (;;) {
            const char *nl = strchr(h, '\n');
            if (nl == NULL) {
                fprintf(fp, "%s\n", h);
                break;
            }
            fprintf(fp, "%.*s\n  %-*s  ", (int)(nl - h), h, width, "");
            h = nl + 1;
        }
    }
}

void
nk_opt_usage(FILE *fp, const struct nk_optspec *spec)
{
    fputs(spec->head, fp);
    nk_opt_render(fp, spec->opts);
    if (spec->tail != NULL && spec->tail[0] != '\0')
        fprintf(fp, "\n%s", spec->tail);
}

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
    uint64_t v;
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

int
nk_getopt_operands(int argc, char **argv, const char *optstring,
                   const struct option *longopts)
{
    int in_order = optstring[0] == '-';
    char spec[128];

    /* RETURN_IN_ORDER ("-"): getopt never scans ahead, so each word is
     * seen here before getopt could read "-1" as option '1'. */
    snprintf(spec, sizeof spec, "%s%s", in_order ? "" : "-", optstring);
    if (optind == 0) {
        /* A fresh parse: let getopt initialise itself on an empty list
         * (it sets optind to 1 and forgets any half-read cluster), so a
         * first word that is a negative number can be taken here. */
        char *none[] = {argv[0], NULL};
        operand_count = 0;
        getopt_long(1, none, spec, longopts, NULL);
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
        c = getopt_long(argc, argv, spec, longopts, NULL);
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

/* Option values shared by every command: a value that does not parse or
 * is out of range is a usage error (64) that names the option and says
 * what it takes. One place, so every command words it the same way. */
#include <inttypes.h>

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

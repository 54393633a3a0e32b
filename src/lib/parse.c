/* Strict parsing of numbers given on the command line. strtoull alone would
 * accept "-1", " 12" and "12abc"; we refuse all three. */
#include "netkit/parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netkit/exitcodes.h"

static int
digit_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return 99;
}

int
nk_parse_u64(const char *s, uint64_t max, uint64_t *out, struct nk_err *err)
{
    const char *p = s;
    unsigned base = 10;
    uint64_t v = 0;
    int too_big = 0;

    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (*p == '\0')
        return nk_err_set(err, NK_EX_DATAERR, "'%s' is not a number", s);
    for (; *p != '\0'; p++) {
        unsigned d = (unsigned)digit_value((unsigned char)*p);
        if (d >= base)
            return nk_err_set(err, NK_EX_DATAERR, "'%s' is not a number", s);
        if (v > (UINT64_MAX - d) / base)
            too_big = 1;
        else
            v = v * base + d;
    }
    if (too_big || v > max)
        return nk_err_set(err, NK_EX_DATAERR, "'%s' is too large (max %llu)",
                          s, (unsigned long long)max);
    *out = v;
    return 0;
}

int
nk_parse_port(const char *s, uint16_t *out, struct nk_err *err)
{
    uint64_t v;

    if (nk_parse_u64(s, 65535, &v, err) < 0) {
        nk_err_set(err, NK_EX_DATAERR, "'%s' is not a port number (0-65535)",
                   s);
        return -1;
    }
    *out = (uint16_t)v;
    return 0;
}

int
nk_parse_seconds(const char *s, int *ms_out, struct nk_err *err)
{
    uint64_t whole = 0, frac = 0, scale = 1000;
    const char *p = s;
    int tiny = 0; /* a nonzero digit below the millisecond */

    if (!isdigit((unsigned char)*p) && *p != '.')
        goto bad;
    for (; isdigit((unsigned char)*p); p++) {
        whole = whole * 10 + (uint64_t)(*p - '0');
        if (whole > 86400)
            return nk_err_set(err, NK_EX_DATAERR,
                              "'%s' seconds is too long (max 86400)", s);
    }
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            goto bad;
        /* Milliseconds are the resolution; later digits are ignored but
         * must still be digits. */
        for (; isdigit((unsigned char)*p); p++) {
            scale /= 10;
            frac += (uint64_t)(*p - '0') * scale;
            tiny |= scale == 0 && *p != '0';
        }
    }
    if (*p != '\0')
        goto bad;
    if (whole == 86400 && frac > 0)
        return nk_err_set(err, NK_EX_DATAERR,
                          "'%s' seconds is too long (max 86400)", s);
    /* Under 1 ms would round to 0, which every caller reads as "no
     * limit": refused rather than waiting forever. */
    if (whole == 0 && frac == 0 && tiny)
        return nk_err_set(err, NK_EX_DATAERR,
                          "'%s' seconds is below the 1 ms resolution (0 "
                          "means no limit)",
                          s);
    *ms_out = (int)(whole * 1000 + frac);
    return 0;
bad:
    return nk_err_set(err, NK_EX_DATAERR, "'%s' is not a number of seconds",
                      s);
}

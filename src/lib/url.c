/* URL splitting (RFC 3986 section 3), strict and bounded: every part is
 * copied into a fixed buffer and an over-long part is an error, never a
 * silent cut. */
#include "netkit/url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netkit/exitcodes.h"

static int
scheme_len(const char *s)
{
    int n = 0;

    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
    if (!isalpha((unsigned char)s[0]))
        return 0;
    while (isalnum((unsigned char)s[n]) || s[n] == '+' || s[n] == '-' ||
           s[n] == '.')
        n++;
    return n;
}

int
nk_url_like(const char *s)
{
    int n = scheme_len(s);

    return n > 0 && strncmp(s + n, "://", 3) == 0;
}

static int
bad(struct nk_err *err, const char *url, const char *why)
{
    /* Quote at most 100 bytes of the URL so the reason always fits in the
     * message, however long the URL. */
    int n = (int)strnlen(url, 101);

    return nk_err_set(err, NK_EX_DATAERR, "'%.*s%s' is not a valid URL: %s",
                      n > 100 ? 100 : n, url, n > 100 ? "..." : "", why);
}

/* Copy [p, p+n) into dst[cap]; -1 when it does not fit. */
static int
take(char *dst, size_t cap, const char *p, size_t n)
{
    if (n >= cap)
        return -1;
    memcpy(dst, p, n);
    dst[n] = '\0';
    return 0;
}

static int
has_bad_byte(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

/* port = *DIGIT (RFC 3986 3.2.3): leading zeros are allowed, so "08080"
 * is port 8080; u->port gets the digits without them. A value above
 * 65535 is quoted as given (zeros included) in the message. */
static int
take_port(const char *url, const char *p, size_t n, struct nk_url *u,
          struct nk_err *err)
{
    const char *given = p;
    size_t gn = n;
    char why[64];

    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)p[i]))
            return bad(err, url, "port is not a number");
    while (n > 1 && p[0] == '0') {
        p++;
        n--;
    }
    if (n > 5 || (take(u->port, sizeof u->port, p, n) == 0 &&
                  strtol(u->port, NULL, 10) > 65535)) {
        snprintf(why, sizeof why, "port %.*s%s is out of range (0-65535)",
                 gn > 20 ? 20 : (int)gn, given, gn > 20 ? "..." : "");
        u->port[0] = '\0';
        return bad(err, url, why);
    }
    return 0;
}

/* host[:port] or [v6][:port] from the authority (after any userinfo). */
static int
split_hostport(const char *url, const char *a, size_t n, struct nk_url *u,
               struct nk_err *err)
{
    const char *colon = NULL, *end = a + n, *h = a;
    size_t hn;

    if (n > 0 && a[0] == '[') {
        const char *close = memchr(a, ']', n);
        if (close == NULL)
            return bad(err, url, "missing ']' after an IPv6 address");
        h = a + 1;
        hn = (size_t)(close - h);
        u->host_is_ipv6 = 1;
        if (close + 1 < end && close[1] != ':')
            return bad(err, url, "junk after ']'");
        colon = close + 1 < end ? close + 1 : NULL;
    } else {
        colon = memchr(a, ':', n);
        hn = colon ? (size_t)(colon - a) : n;
    }
    if (hn == 0)
        return bad(err, url, "no host");
    if (take(u->host, sizeof u->host, h, hn) < 0)
        return bad(err, url, "host name too long");
    if (colon == NULL)
        return 0;
    colon++;
    if (colon == end)
        return 0; /* "host:" means the default port (RFC 3986 3.2.3) */
    return take_port(url, colon, (size_t)(end - colon), u, err);
}

int
nk_url_parse(const char *s, struct nk_url *u, struct nk_err *err)
{
    int sn = scheme_len(s);
    const char *auth, *path, *at, *frag;
    size_t an;

    memset(u, 0, sizeof *u);
    if (has_bad_byte(s))
        return bad(err, s, "control byte or space");
    if (sn == 0 || strncmp(s + sn, "://", 3) != 0)
        return bad(err, s, "expected scheme://host");
    if (take(u->scheme, sizeof u->scheme, s, (size_t)sn) < 0)
        return bad(err, s, "scheme too long");
    for (char *p = u->scheme; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    auth = s + sn + 3;
    an = strcspn(auth, "/?#");
    path = auth + an;
    at = memchr(auth, '@', an);
    if (at != NULL) {
        if (take(u->userinfo, sizeof u->userinfo, auth, (size_t)(at - auth)) <
            0)
            return bad(err, s, "user information too long");
        an -= (size_t)(at + 1 - auth);
        auth = at + 1;
    }
    if (split_hostport(s, auth, an, u, err) < 0)
        return -1;
    frag = strchr(path, '#');
    an = frag ? (size_t)(frag - path) : strlen(path);
    if (an == 0 || path[0] != '/') {
        /* "http://h" and "http://h?q" both mean path "/" (+ query) */
        u->path[0] = '/';
        if (take(u->path + 1, sizeof u->path - 1, path, an) < 0)
            return bad(err, s, "path too long");
        return 0;
    }
    if (take(u->path, sizeof u->path, path, an) < 0)
        return bad(err, s, "path too long");
    return 0;
}

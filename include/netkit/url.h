/* URL splitting for the commands that take one (service, httpget): just
 * what RFC 3986 section 3 needs to find scheme, host, port and path. */
#ifndef NETKIT_URL_H
#define NETKIT_URL_H

#include "netkit/err.h"

struct nk_url {
    char scheme[32];    /* lower-cased; never empty after a parse */
    char userinfo[128]; /* before '@', "" if none (kept, never printed) */
    char host[256];     /* reg-name or address, IPv6 without brackets */
    char port[8];       /* digits as given, "" when absent */
    char path[4096];    /* path + query, "/" when absent; no fragment */
    int host_is_ipv6;   /* host came as "[...]" */
};

/* Split "scheme://[userinfo@]host[:port][/path][?query][#fragment]".
 * The scheme is required (letters, digits, + - .), the host must not be
 * empty, the port must be 0-65535, and no part may hold a control byte or
 * a space. Returns 0, or -1 with exit code 65 and a message that quotes
 * the URL and says what is wrong. */
int nk_url_parse(const char *s, struct nk_url *u, struct nk_err *err);

/* True when s looks like a URL (has "://" after a valid scheme). */
int nk_url_like(const char *s);

#endif

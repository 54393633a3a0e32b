/* Name resolution through getaddrinfo only: IPv4 and IPv6 alike. */
#include <string.h>

#include "netkit/net.h"

int
nk_resolve(const char *host, const char *port, int family, int socktype,
           int flags, struct addrinfo **out, struct nk_err *err)
{
    struct addrinfo hints, *ai;
    int rc, n = 0;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = family;
    hints.ai_socktype = socktype;
    /* AI_ADDRCONFIG is left out on purpose: it hides ::1 on hosts whose
     * only IPv6 address is loopback, which is exactly the test setup. */
    if (flags & NK_RESOLVE_PASSIVE)
        hints.ai_flags |= AI_PASSIVE;
    if (flags & NK_RESOLVE_NUMERIC)
        hints.ai_flags |= AI_NUMERICHOST;
    if (flags & NK_RESOLVE_CANON)
        hints.ai_flags |= AI_CANONNAME;
    rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0)
        return nk_err_gai(err, rc, "resolve %s%s%s", host ? host : "*",
                          port ? " port " : "", port ? port : "");
    for (struct addrinfo *p = ai; p != NULL; p = p->ai_next)
        n++;
    *out = ai;
    return n;
}

void
nk_resolve_free(struct addrinfo *ai)
{
    if (ai != NULL)
        freeaddrinfo(ai);
}

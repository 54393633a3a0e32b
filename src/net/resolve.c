/* Name resolution through getaddrinfo only: IPv4 and IPv6 alike. */
#include <string.h>
#include <strings.h>

#include "netkit/exitcodes.h"
#include "netkit/net.h"
#include "netkit/trace.h"
#include "unix_int.h"

/* True for an all-digit port above 65535. glibc's getaddrinfo reads such a
 * port with strtoul and keeps only the low 16 bits, so "99999" would quietly
 * become port 34463. Names are left for getaddrinfo to judge. */
static int
numeric_port_too_big(const char *port)
{
    unsigned long v = 0;

    for (const char *p = port; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        v = v * 10 + (unsigned long)(*p - '0');
        if (v > 65535)
            return 1;
    }
    return 0;
}

/* True for a name under the special-use domain "invalid." (RFC 6761 6.4:
 * such names never exist and resolvers should say so at once). glibc would
 * send the query to the configured DNS server; with no network it reports
 * EAI_AGAIN (exit 75, "try again") rather than an unknown host. */
static int
in_invalid_domain(const char *host)
{
    static const char tld[] = ".invalid";
    size_t n = strlen(host), k = sizeof tld - 1;

    if (n > 0 && host[n - 1] == '.')
        n--; /* the root label: "a.invalid." */
    if (n > k && strncasecmp(host + n - k, tld, k) == 0)
        return 1;
    return n == k - 1 && strncasecmp(host, tld + 1, k - 1) == 0 &&
           host[n] == '.'; /* "invalid." itself */
}

int
nk_resolve(const char *host, const char *port, int family, int socktype,
           int flags, struct addrinfo **out, struct nk_err *err)
{
    struct addrinfo hints, *ai;
    struct nk_err why;
    int rc, n = 0;

    /* One AF_UNIX address, whatever the family filter and the port. */
    if (nk_host_is_unix(host))
        return nk_unix_addrinfo(host, socktype, out, err);
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
    if (port != NULL && numeric_port_too_big(port)) {
        /* Reported as getaddrinfo reports a bad service (exit 65). */
        nk_err_set(err, NK_EX_DATAERR,
                   "resolve %s port %s: port number out of range (max 65535)",
                   host ? host : "*", port);
        if (err != NULL)
            err->gai = EAI_SERVICE;
        return -1;
    }
    if (host != NULL && in_invalid_domain(host))
        rc = EAI_NONAME; /* answered here: no query leaves the machine */
    else {
        rc = getaddrinfo(host, port, &hints, &ai);
        if (nk_tracing())
            nk_trace_resolve(host, port, family, socktype, hints.ai_flags, rc,
                             rc == 0 ? ai : NULL);
    }
    if (rc != 0 && nk_resolve_wrong_family(host, family, &why) < 0) {
        nk_err_set(err, why.exit_code, "resolve %s%s%s: %s", host,
                   port ? " port " : "", port ? port : "", why.msg);
        if (err != NULL)
            err->gai = why.gai;
        return -1;
    }
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
    /* getaddrinfo never answers AF_UNIX: such a list is ours. */
    if (ai != NULL && ai->ai_family == AF_UNIX)
        nk_unix_addrinfo_free(ai);
    else if (ai != NULL)
        freeaddrinfo(ai);
}

/* Host facts: what gethostbyname_ex, gethostbyaddr, gethostname and
 * `hostname -f` / `ip addr` answer, done with getaddrinfo and getnameinfo
 * so IPv6 is included. */
#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netkit/exitcodes.h"
#include "netkit/host.h"
#include "netkit/net.h"
#include "netkit/trace.h"

static int
no_memory(struct nk_err *err, const char *step)
{
    return nk_err_sys(err, ENOMEM, "%s", step);
}

/* Equal addresses: same family, same bytes, and for IPv6 the same scope
 * (fe80::1%eth0 and fe80::1%eth1 are different addresses). Ports are
 * ignored: the lookups here ask for none. */
static int
addr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a->sa_family != b->sa_family)
        return 0;
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->sa_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
        return memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) ==
                   0 &&
               x->sin6_scope_id == y->sin6_scope_id;
    }
    return 0;
}

int
nk_host_add_addr(struct nk_host *h, const struct sockaddr *sa, socklen_t len,
                 struct nk_err *err)
{
    struct nk_addr *grown;

    for (size_t i = 0; i < h->n_addrs; i++)
        if (addr_equal((const struct sockaddr *)&h->addrs[i].ss, sa))
            return 0;
    grown = realloc(h->addrs, (h->n_addrs + 1) * sizeof *grown);
    if (grown == NULL)
        return no_memory(err, "resolve: address list");
    h->addrs = grown;
    nk_addr_set(&h->addrs[h->n_addrs++], sa, len);
    return 1;
}

int
nk_host_add_alias(struct nk_host *h, const char *name, struct nk_err *err)
{
    char **grown, *copy;

    if (name == NULL || name[0] == '\0' || strcmp(name, h->canonical) == 0)
        return 0;
    for (size_t i = 0; i < h->n_aliases; i++)
        if (strcmp(h->aliases[i], name) == 0)
            return 0;
    copy = strdup(name);
    grown = realloc(h->aliases, (h->n_aliases + 1) * sizeof *grown);
    if (copy == NULL || grown == NULL) {
        free(copy);
        if (grown != NULL)
            h->aliases = grown;
        return no_memory(err, "resolve: alias list");
    }
    h->aliases = grown;
    h->aliases[h->n_aliases++] = copy;
    return 1;
}

void
nk_host_free(struct nk_host *h)
{
    for (size_t i = 0; i < h->n_aliases; i++)
        free(h->aliases[i]);
    free(h->aliases);
    free(h->addrs);
    memset(h, 0, sizeof *h);
}

static int
has_family(const struct nk_host *h, int family)
{
    for (size_t i = 0; i < h->n_addrs; i++)
        if (h->addrs[i].ss.ss_family == family)
            return 1;
    return 0;
}

#ifdef __GLIBC__
/* Aliases for one family through glibc's reentrant gethostbyname2_r, the
 * only resolver call that returns them (getaddrinfo gives the canonical
 * name alone). Addresses still come from getaddrinfo; only h_name and
 * h_aliases are read. ERANGE means "bigger buffer", up to 64 KiB. A failure
 * here costs the aliases, never the host. */
static int
aliases_for(struct nk_host *h, const char *name, int family,
            struct nk_err *err)
{
    struct hostent he, *res = NULL;
    size_t size = 4096;
    char *buf = NULL;
    int rc = ERANGE, herr = 0;

    while (rc == ERANGE && size <= 65536) {
        char *grown = realloc(buf, size);
        if (grown == NULL) {
            free(buf);
            return no_memory(err, "resolve: alias buffer");
        }
        buf = grown;
        rc = gethostbyname2_r(name, family, &he, buf, size, &res, &herr);
        size *= 2;
    }
    if (rc == 0 && res != NULL) {
        if (nk_host_add_alias(h, res->h_name, err) < 0)
            goto fail;
        for (char **a = res->h_aliases; a != NULL && *a != NULL; a++)
            if (nk_host_add_alias(h, *a, err) < 0)
                goto fail;
    }
    free(buf);
    return 0;
fail:
    free(buf);
    return -1;
}
#endif

/* Aliases are asked only for the families getaddrinfo already answered: a
 * name found in /etc/hosts for IPv4 alone must not send an IPv6 query to
 * DNS just to look for more names. */
static int
collect_aliases(struct nk_host *h, const char *name, struct nk_err *err)
{
#ifdef __GLIBC__
    static const int families[] = {AF_INET, AF_INET6};

    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if (has_family(h, families[i]) &&
            aliases_for(h, name, families[i], err) < 0)
            return -1;
#else
    (void)h;
    (void)name;
    (void)err;
#endif
    return 0;
}

static const char *
family_word(int family)
{
    return family == AF_INET ? "IPv4" : family == AF_INET6 ? "IPv6" : "?";
}

int
nk_resolve_wrong_family(const char *host, int family, struct nk_err *err)
{
    struct addrinfo *ai;
    int is;

    if (host == NULL || (family != AF_INET && family != AF_INET6) ||
        nk_resolve(host, NULL, AF_UNSPEC, SOCK_STREAM, NK_RESOLVE_NUMERIC, &ai,
                   NULL) < 0)
        return 0;
    is = ai->ai_family;
    nk_resolve_free(ai);
    if (is == family)
        return 0;
    nk_err_set(err, NK_EX_DATAERR, "'%s' is an %s address, but %s asks for %s",
               host, family_word(is), family == AF_INET ? "-4" : "-6",
               family_word(family));
#ifdef EAI_ADDRFAMILY
    if (err != NULL)
        err->gai = EAI_ADDRFAMILY; /* what getaddrinfo said */
#else
    if (err != NULL)
        err->gai = EAI_FAMILY;
#endif
    return -1;
}

/* A numeric address: no query, and a clear error when it is of the family
 * the caller excluded. Returns 1 numeric, 0 not numeric, -1 error. */
static int
numeric_lookup(const char *name, int family, struct nk_host *h,
               struct nk_err *err)
{
    struct addrinfo *ai;
    char text[NK_ADDRSTRLEN];
    int rc;

    if (nk_resolve_wrong_family(name, family, err) < 0)
        return -1;
    if (nk_resolve(name, NULL, family, SOCK_STREAM, NK_RESOLVE_NUMERIC, &ai,
                   NULL) < 0)
        return 0;
    h->numeric = 1;
    nk_addr_host(ai->ai_addr, ai->ai_addrlen, text, sizeof text);
    snprintf(h->canonical, sizeof h->canonical, "%s", text);
    rc = nk_host_add_addr(h, ai->ai_addr, ai->ai_addrlen, err);
    nk_resolve_free(ai);
    return rc < 0 ? -1 : 1;
}

int
nk_host_lookup(const char *name, int family, struct nk_host *out,
               struct nk_err *err)
{
    struct addrinfo *ai = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    rc = numeric_lookup(name, family, out, err);
    if (rc != 0)
        return rc < 0 ? -1 : (int)out->n_addrs;
    /* SOCK_STREAM: one entry per address instead of one per socket type;
     * duplicates can still come from repeated /etc/hosts lines. */
    if (nk_resolve(name, NULL, family, SOCK_STREAM, NK_RESOLVE_CANON, &ai,
                   err) < 0)
        return -1;
    if (ai->ai_canonname != NULL)
        snprintf(out->canonical, sizeof out->canonical, "%s",
                 ai->ai_canonname);
    for (struct addrinfo *p = ai; p != NULL; p = p->ai_next)
        if (nk_host_add_addr(out, p->ai_addr, p->ai_addrlen, err) < 0)
            goto fail;
    nk_resolve_free(ai);
    ai = NULL;
    if (collect_aliases(out, name, err) < 0)
        goto fail;
    return (int)out->n_addrs;
fail:
    nk_resolve_free(ai);
    nk_host_free(out);
    return -1;
}

int
nk_host_reverse(const struct sockaddr *sa, socklen_t len, char *buf,
                size_t size, struct nk_err *err)
{
    char text[NK_ADDRSTRLEN];
    int rc;

    /* NI_NAMEREQD: without it getnameinfo hands back the numeric form,
     * which would look like a PTR answer. */
    rc = getnameinfo(sa, len, buf, (socklen_t)size, NULL, 0, NI_NAMEREQD);
    if (nk_tracing())
        nk_trace_getnameinfo(sa, len, buf, rc);
    if (rc == 0)
        return 0;
    if (size > 0)
        buf[0] = '\0';
    nk_addr_host(sa, len, text, sizeof text);
    return nk_err_gai(err, rc, "reverse %s", text);
}

int
nk_host_name(char *buf, size_t size, struct nk_err *err)
{
    if (size == 0)
        return nk_err_set(err, NK_EX_SOFTWARE, "gethostname: no buffer");
    /* POSIX leaves a truncated name without its NUL: add one. */
    if (gethostname(buf, size) < 0)
        return nk_err_sys(err, errno, "gethostname");
    buf[size - 1] = '\0';
    return 0;
}

int
nk_host_fqdn(const char *name, char *buf, size_t size, struct nk_err *err)
{
    struct addrinfo *ai;

    if (nk_resolve(name, NULL, AF_UNSPEC, SOCK_STREAM, NK_RESOLVE_CANON, &ai,
                   err) < 0)
        return -1;
    snprintf(buf, size, "%s",
             ai->ai_canonname != NULL ? ai->ai_canonname : name);
    nk_resolve_free(ai);
    return 0;
}

int
nk_prefix_len(const struct sockaddr *mask)
{
    const unsigned char *p;
    size_t n;
    int bits = 0, seen_zero = 0;

    if (mask->sa_family == AF_INET) {
        p = (const unsigned char *)&(
                (const struct sockaddr_in *)(const void *)mask)
                ->sin_addr;
        n = 4;
    } else if (mask->sa_family == AF_INET6) {
        p = ((const struct sockaddr_in6 *)(const void *)mask)
                ->sin6_addr.s6_addr;
        n = 16;
    } else {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        for (int b = 7; b >= 0; b--) {
            if ((p[i] >> b) & 1) {
                if (seen_zero)
                    return -1; /* 255.0.255.0: not a prefix */
                bits++;
            } else {
                seen_zero = 1;
            }
        }
    }
    return bits;
}

size_t
nk_iface_flag_names(unsigned flags, const char **names, size_t max)
{
    static const struct {
        unsigned flag;
        const char *name;
    } table[] = {
        {IFF_UP, "up"},
        {IFF_BROADCAST, "broadcast"},
        {IFF_LOOPBACK, "loopback"},
        {IFF_POINTOPOINT, "pointopoint"},
        {IFF_RUNNING, "running"},
        {IFF_NOARP, "noarp"},
        {IFF_PROMISC, "promisc"},
        {IFF_ALLMULTI, "allmulti"},
        {IFF_MULTICAST, "multicast"},
    };
    size_t n = 0;

    for (size_t i = 0; i < sizeof table / sizeof table[0] && n < max; i++)
        if (flags & table[i].flag)
            names[n++] = table[i].name;
    return n;
}

static socklen_t
sockaddr_len(int family)
{
    return family == AF_INET    ? (socklen_t)sizeof(struct sockaddr_in)
           : family == AF_INET6 ? (socklen_t)sizeof(struct sockaddr_in6)
                                : 0;
}

/* The interface called name, appended when first seen. */
static struct nk_iface *
iface_slot(struct nk_iface **list, size_t *n, const struct ifaddrs *ifa,
           struct nk_err *err)
{
    struct nk_iface *grown, *it;

    for (size_t i = 0; i < *n; i++)
        if (strcmp((*list)[i].name, ifa->ifa_name) == 0)
            return &(*list)[i];
    grown = realloc(*list, (*n + 1) * sizeof *grown);
    if (grown == NULL) {
        no_memory(err, "getifaddrs: interface list");
        return NULL;
    }
    *list = grown;
    it = &grown[(*n)++];
    memset(it, 0, sizeof *it);
    snprintf(it->name, sizeof it->name, "%s", ifa->ifa_name);
    it->flags = ifa->ifa_flags;
    return it;
}

/* The netmask keeps the address's family: some systems leave sa_family
 * zero in ifa_netmask. */
static int
iface_add_addr(struct nk_iface *it, const struct ifaddrs *ifa,
               struct nk_err *err)
{
    int family = ifa->ifa_addr->sa_family;
    socklen_t len = sockaddr_len(family);
    struct nk_iface_addr *grown, *a;

    grown = realloc(it->addrs, (it->n_addrs + 1) * sizeof *grown);
    if (grown == NULL)
        return no_memory(err, "getifaddrs: address list");
    it->addrs = grown;
    a = &grown[it->n_addrs++];
    memset(a, 0, sizeof *a);
    nk_addr_set(&a->addr, ifa->ifa_addr, len);
    a->prefix_len = -1;
    if (ifa->ifa_netmask != NULL) {
        nk_addr_set(&a->netmask, ifa->ifa_netmask, len);
        a->netmask.ss.ss_family = (sa_family_t)family;
        a->prefix_len = nk_prefix_len((struct sockaddr *)&a->netmask.ss);
    }
    return 0;
}

int
nk_iface_list(struct nk_iface **out, struct nk_err *err)
{
    struct ifaddrs *all, *ifa;
    struct nk_iface *list = NULL, *it;
    size_t n = 0;

    *out = NULL;
    if (getifaddrs(&all) < 0)
        return nk_err_sys(err, errno, "getifaddrs");
    for (ifa = all; ifa != NULL; ifa = ifa->ifa_next) {
        if (ifa->ifa_name == NULL)
            continue;
        it = iface_slot(&list, &n, ifa, err);
        if (it == NULL)
            goto fail;
        /* AF_PACKET (link layer) and address-less entries only name the
         * interface; the IP addresses are the ones reported. */
        if (ifa->ifa_addr == NULL ||
            sockaddr_len(ifa->ifa_addr->sa_family) == 0)
            continue;
        if (iface_add_addr(it, ifa, err) < 0)
            goto fail;
    }
    freeifaddrs(all);
    *out = list;
    return (int)n;
fail:
    freeifaddrs(all);
    nk_iface_free(list, n);
    return -1;
}

void
nk_iface_free(struct nk_iface *list, size_t n)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(list[i].addrs);
    free(list);
}

/* Address <-> text, with the "[v6]:port" form so a port never looks like
 * part of an IPv6 address; AF_UNIX as "unix:PATH" (src/net/unix.c). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "netkit/net.h"

void
nk_addr_set(struct nk_addr *a, const struct sockaddr *sa, socklen_t len)
{
    memset(a, 0, sizeof *a);
    if (len > (socklen_t)sizeof a->ss)
        len = (socklen_t)sizeof a->ss;
    memcpy(&a->ss, sa, len);
    a->len = len;
    /* cred stays unknown: a sockaddr carries no credentials */
}

int
nk_addr_port(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
    if (sa->sa_family == AF_INET6)
        return ntohs(
            ((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
    return 0;
}

const char *
nk_addr_host(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
    /* NI_NUMERICHOST: never a DNS query just to print an address. */
    if (size == 0)
        return buf;
    if (sa->sa_family == AF_UNIX)
        return nk_unix_format(sa, len, buf, size);
    if (getnameinfo(sa, len, buf, (socklen_t)size, NULL, 0, NI_NUMERICHOST) !=
        0)
        snprintf(buf, size, "?");
    return buf;
}

const char *
nk_addr_format(const struct sockaddr *sa, socklen_t len, char *buf,
               size_t size)
{
    char host[NK_ADDRSTRLEN];

    if (sa->sa_family == AF_UNIX)
        return nk_unix_format(sa, len, buf, size);
    nk_addr_host(sa, len, host, sizeof host);
    if (sa->sa_family == AF_INET6)
        snprintf(buf, size, "[%s]:%d", host, nk_addr_port(sa));
    else if (sa->sa_family == AF_INET)
        snprintf(buf, size, "%s:%d", host, nk_addr_port(sa));
    else
        snprintf(buf, size, "?");
    return buf;
}

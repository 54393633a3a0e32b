/* Host facts from the resolver and the kernel: forward lookups with the
 * canonical name and aliases, reverse (PTR) lookups, this machine's name
 * and FQDN, and its network interfaces. Part of the socket-helper layer
 * (src/net/host.c); nothing here prints. Every fallible call returns -1 and
 * fills *err (resolver errors keep err->gai: exit 68 unknown host, 75
 * try-again). */
#ifndef NETKIT_HOST_H
#define NETKIT_HOST_H

#include <net/if.h>
#include <stddef.h>
#include <sys/socket.h>

#include "netkit/err.h"
#include "netkit/net.h"

/* NI_MAXHOST: the longest name getnameinfo may return, with its NUL. */
#define NK_HOST_NAMELEN 1025

/* One host as the resolver answered it. */
struct nk_host {
    char canonical[NK_HOST_NAMELEN]; /* "" when the resolver gave none */
    int numeric;                     /* the query was a numeric address */
    char **aliases;                  /* other names, de-duplicated */
    size_t n_aliases;
    struct nk_addr *addrs; /* de-duplicated, in resolver order */
    size_t n_addrs;
};

/* Look name up with getaddrinfo (family AF_UNSPEC, AF_INET or AF_INET6):
 * canonical name and every address, duplicates dropped, resolver order
 * kept. A numeric address is accepted as is (no query). Aliases come from
 * gethostbyname2_r, asked only for the families getaddrinfo answered, and
 * never for numeric input. Returns n_addrs (>= 1); free with
 * nk_host_free. A numeric address of the other family: -1, exit 65. */
int nk_host_lookup(const char *name, int family, struct nk_host *out,
                   struct nk_err *err);
/* Release what nk_host_lookup allocated; the struct may be reused. */
void nk_host_free(struct nk_host *h);

/* Append sa to h->addrs unless an equal address (family, bytes, IPv6
 * scope) is there already. Returns 1 added, 0 duplicate, -1 no memory. */
int nk_host_add_addr(struct nk_host *h, const struct sockaddr *sa,
                     socklen_t len, struct nk_err *err);
/* Append a copy of name to h->aliases unless it is already there or is
 * the canonical name. Returns 1 added, 0 skipped, -1 no memory. */
int nk_host_add_alias(struct nk_host *h, const char *name, struct nk_err *err);

/* Reverse lookup (getnameinfo with NI_NAMEREQD): the PTR name of sa, or
 * the /etc/hosts name, into buf. Returns 0, or -1 when no name exists
 * (exit 68) or the resolver failed (75 try-again). */
int nk_host_reverse(const struct sockaddr *sa, socklen_t len, char *buf,
                    size_t size, struct nk_err *err);

/* This machine's host name (gethostname), always NUL-terminated.
 * Returns 0 or -1. */
int nk_host_name(char *buf, size_t size, struct nk_err *err);

/* The fully qualified name of name: getaddrinfo's AI_CANONNAME answer, as
 * `hostname -f` does. Returns 0, or -1 when the name does not resolve. */
int nk_host_fqdn(const char *name, char *buf, size_t size, struct nk_err *err);

/* One address of an interface. */
struct nk_iface_addr {
    struct nk_addr addr;
    struct nk_addr netmask; /* len 0 when the kernel gave none */
    int prefix_len;         /* -1: no netmask, or not contiguous */
};

/* One interface with its flags (IFF_* of <net/if.h>) and IP addresses. */
struct nk_iface {
    char name[IF_NAMESIZE];
    unsigned flags;
    struct nk_iface_addr *addrs; /* IPv4 and IPv6 only, kernel order */
    size_t n_addrs;
};

/* Every interface (getifaddrs), in the kernel's order, each once with all
 * its IPv4/IPv6 addresses; link-layer (AF_PACKET) entries only name an
 * interface. Returns the count (*out may be NULL when 0); free with
 * nk_iface_free. */
int nk_iface_list(struct nk_iface **out, struct nk_err *err);
void nk_iface_free(struct nk_iface *list, size_t n);

/* Prefix length of a netmask (AF_INET or AF_INET6): the count of leading
 * one bits, or -1 when the mask has a one after a zero, or another family. */
int nk_prefix_len(const struct sockaddr *mask);

/* Names of the IFF_* flags set in flags ("up", "broadcast", "loopback",
 * ...), in a fixed order, at most max of them. Returns the count. */
size_t nk_iface_flag_names(unsigned flags, const char **names, size_t max);

#endif

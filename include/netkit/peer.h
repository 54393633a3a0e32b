/* The server a client or load generator talks to, as its options give
 * it: one struct and one pair of option rows instead of the same three
 * fields at the head of every command's settings. */
#ifndef NETKIT_PEER_H
#define NETKIT_PEER_H

#include "netkit/opt.h"

struct nk_peer {
    const char *host; /* a name or an address ("localhost" by default) */
    const char *port; /* as given; NULL until --port */
    int family;       /* AF_UNSPEC, or AF_INET / AF_INET6 for -4 / -6 */
};

/* The option rows that fill the nk_peer `field` of type: --port, --host,
 * -4 and -6. */
#define NK_PEER_OPTS(type, field)                                             \
    NK_OPT_PEER(type, field.port, field.host), NK_OPT_IPV46(type, field.family)

#endif

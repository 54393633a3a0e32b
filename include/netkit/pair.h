/* A connected pair of AF_UNIX sockets (socketpair(2)), for showing what
 * a Unix socket's options are without a file or a name. */
#ifndef NETKIT_PAIR_H
#define NETKIT_PAIR_H

#include "netkit/err.h"

/* Two connected AF_UNIX sockets of socktype (SOCK_STREAM or SOCK_DGRAM),
 * close-on-exec, into fds[0] and fds[1]. 0, or -1 with err set. */
int nk_socketpair(int socktype, int fds[2], struct nk_err *err);

#endif

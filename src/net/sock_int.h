/* What the files of src/net/ share beyond the public layer (net.h). */
#ifndef NETKIT_NET_SOCK_INT_H
#define NETKIT_NET_SOCK_INT_H

#include <sys/socket.h>

#include "netkit/err.h"

/* A non-blocking socket of sa's family and socktype, and one connect
 * attempt to sa (traced). Returns the fd with *e the connect's errno (0:
 * connected at once; EINPROGRESS for TCP under way; ECONNREFUSED, EAGAIN
 * ... for AF_UNIX), or -1 with err when no socket could be made. */
int nk_connect_start(const struct sockaddr *sa, socklen_t len, int socktype,
                     int *e, struct nk_err *err);

#endif

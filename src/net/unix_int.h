/* What the rest of src/net/ calls in unix.c; not part of the public
 * layer (include/netkit/net.h has the AF_UNIX functions commands use). */
#ifndef NETKIT_NET_UNIX_INT_H
#define NETKIT_NET_UNIX_INT_H

#include <netdb.h>
#include <sys/socket.h>

#include "netkit/err.h"

/* nk_resolve's one address for a "unix:" host (socktype kept; 0 means
 * SOCK_STREAM). Returns 1 with *out, or -1. Free with
 * nk_unix_addrinfo_free, never freeaddrinfo. */
int nk_unix_addrinfo(const char *host, int socktype, struct addrinfo **out,
                     struct nk_err *err);
void nk_unix_addrinfo_free(struct addrinfo *ai);

/* Before binding sa: nothing there, or a stale socket file (no one
 * answers a connect; removed) -> 0; a live one -> -1, exit 69 "in use by
 * another server"; a file that is not a socket -> -1, exit 69, left in
 * place. Abstract names: 0 (bind reports them). */
int nk_unix_claim(int socktype, const struct sockaddr *sa, socklen_t len,
                  struct nk_err *err);

/* Before anything: mode (octal text, NULL: none) is valid and sa has a
 * socket file to apply it to. 0, or -1 with exit 65. */
int nk_unix_mode_check(const struct sockaddr *sa, socklen_t len,
                       const char *mode, struct nk_err *err);

/* A listener that failed after binding sa: remove the file it made. */
void nk_unix_unbind(const struct sockaddr *sa, socklen_t len);

/* After binding sa, before listen: register the socket file for
 * nk_unix_cleanup and apply mode (octal text, NULL: none). 0 or -1. */
int nk_unix_bound(const struct sockaddr *sa, socklen_t len, const char *mode,
                  struct nk_err *err);

/* Fill err with "bind WHERE: in use by another server" (exit 69,
 * EADDRINUSE). Returns -1. */
int nk_unix_in_use(struct nk_err *err, const char *where);

/* Bind an unbound AF_UNIX datagram socket to a fresh abstract name, so
 * the server's replies have somewhere to go. 0 or -1. */
int nk_unix_autobind(int fd, struct nk_err *err);

#endif

/* What every server says, said one way (src/lib/server.c).
 *
 * A server's lines on stderr, all through nk_diag ("netkit CMD: ..."):
 *   netkit CMD: listening on ADDR        once bound (nk_server_announce);
 *                                        the harness reads ADDR after
 *                                        "listening on ", so it is last
 *   netkit CMD: <event>                  per event (nk_server_log)
 *   netkit CMD: stopped by SIGTERM[: S]  once stopped (nk_server_stopped)
 * The accept policy itself is net/'s (accept.h) and never prints: what
 * it reports comes back in an nk_err, and nk_server_accept_note logs it. */
#ifndef NETKIT_SERVER_H
#define NETKIT_SERVER_H

#include <stdarg.h>
#include <stddef.h>

#include "netkit/err.h"
#include "netkit/net.h"

/* Install the stop flag (signals.h) after forgetting an earlier request:
 * every server's one way to be stopped. 0, or -1 with err. */
int nk_server_stop_install(struct nk_err *err);

/* The signal that asked for the stop, "SIGINT" or "SIGTERM", or NULL. */
const char *nk_server_stop_name(void);

/* Format a's address into buf (nk_addr_format form) and print
 * "netkit CMD: listening on ADDR". Returns buf. */
const char *nk_server_announce(const char *cmd, const struct nk_addr *a,
                               char *buf, size_t size);
/* The same for the address the socket fd is bound to ("?" if unknown). */
const char *nk_server_announce_fd(const char *cmd, int fd, char *buf,
                                  size_t size);

/* One per-event line, formatted whole first: safe from any thread. */
void nk_server_log(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void nk_server_vlog(const char *cmd, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Log what an nk_acceptor call reported, when it reported something
 * (the rate limit leaves err->msg empty otherwise). */
void nk_server_accept_note(const char *cmd, const struct nk_err *err);

/* The last line: "stopped by SIGTERM" (or "stopped" when no signal asked),
 * followed by ": " and the summary when fmt is not NULL. First removes
 * the socket files of this process's unix: listeners (nk_unix_cleanup). */
void nk_server_stopped(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif

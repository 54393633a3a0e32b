/* The one voice of every server (include/netkit/server.h): the line the
 * test harness parses, the per-event log, the stop line. Here and not in
 * net/, which never prints. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>

#include "netkit/out.h"
#include "netkit/server.h"
#include "netkit/signals.h"

int
nk_server_stop_install(struct nk_err *err)
{
    nk_stop_reset();
    return nk_stop_install(err);
}

const char *
nk_server_stop_name(void)
{
    switch (nk_stop_requested()) {
    case SIGINT:
        return "SIGINT";
    case SIGTERM:
        return "SIGTERM";
    default:
        return NULL;
    }
}

/* The one place the line is printed. Last on the line: the harness
 * (tests/cli/lib.sh) takes what follows "listening on " as the address. */
static const char *
announce(const char *cmd, const char *addr)
{
    nk_diag(cmd, "listening on %s", addr);
    return addr;
}

const char *
nk_server_announce(const char *cmd, const struct nk_addr *a, char *buf,
                   size_t size)
{
    nk_addr_format((const struct sockaddr *)&a->ss, a->len, buf, size);
    return announce(cmd, buf);
}

const char *
nk_server_announce_fd(const char *cmd, int fd, char *buf, size_t size)
{
    struct nk_addr a;

    if (nk_local_addr(fd, &a, NULL) < 0) {
        snprintf(buf, size, "?");
        return announce(cmd, buf);
    }
    return nk_server_announce(cmd, &a, buf, size);
}

void
nk_server_vlog(const char *cmd, const char *fmt, va_list ap)
{
    char msg[1024];

    vsnprintf(msg, sizeof msg, fmt, ap);
    /* nk_diag writes the line in one write; the lock keeps stdio's own
     * state straight when threads log at once. */
    flockfile(stderr);
    nk_diag(cmd, "%s", msg);
    funlockfile(stderr);
}

void
nk_server_log(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    nk_server_vlog(cmd, fmt, ap);
    va_end(ap);
}

void
nk_server_accept_note(const char *cmd, const struct nk_err *err)
{
    if (err->msg[0] != '\0')
        nk_server_log(cmd, "%s", err->msg);
}

void
nk_server_stopped(const char *cmd, const char *fmt, ...)
{
    const char *sig = nk_server_stop_name();
    char summary[1024] = "";
    va_list ap;

    if (fmt != NULL) {
        va_start(ap, fmt);
        vsnprintf(summary, sizeof summary, fmt, ap);
        va_end(ap);
    }
    /* The one stop path of every server: socket files go with it. */
    nk_unix_cleanup();
    nk_server_log(cmd, "stopped%s%s%s%s", sig ? " by " : "", sig ? sig : "",
                  fmt ? ": " : "", summary);
}

/* Sockets: create, listen, connect, accept, options. The only file that
 * calls socket/bind/listen/connect/accept/setsockopt. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "netkit/clock.h"
#include "netkit/exitcodes.h"
#include "netkit/net.h"
#include "netkit/trace.h"
#include "sock_int.h"
#include "unix_int.h"

void
nk_net_init(void)
{
    /* A write to a socket whose peer has gone raises SIGPIPE, whose default
     * action ends the process. Sends use MSG_NOSIGNAL too; ignoring the
     * signal also covers stdout on a closed pipe, reported as EPIPE. */
    signal(SIGPIPE, SIG_IGN);
}

void
nk_close(int fd)
{
    /* On Linux the fd is released even when close() reports EINTR, so a
     * retry could close an fd another thread just opened. */
    if (fd >= 0) {
        int rc = close(fd);
        if (nk_tracing())
            nk_trace_close(fd, rc, errno);
    }
}

int
nk_socket(int family, int socktype, struct nk_err *err)
{
    int fd = socket(family, socktype | SOCK_CLOEXEC, 0);

    if (nk_tracing())
        nk_trace_socket(family, socktype | SOCK_CLOEXEC, 0, fd, errno);
    if (fd < 0)
        return nk_err_sys(err, errno, "socket");
#ifdef SO_NOSIGPIPE
    {
        int one = 1;
        int rc = setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
        if (nk_tracing())
            nk_trace_sockopt("setsockopt", fd, SOL_SOCKET, SO_NOSIGPIPE,
                             "SO_NOSIGPIPE", 1, 0, rc, errno);
    }
#endif
    return fd;
}

int
nk_sockopt_get_int(int fd, int level, int opt, const char *name, int *val,
                   struct nk_err *err)
{
    socklen_t len = sizeof *val;
    int rc = getsockopt(fd, level, opt, val, &len);

    if (nk_tracing())
        nk_trace_sockopt("getsockopt", fd, level, opt, name, *val, 0, rc,
                         errno);
    if (rc < 0)
        return nk_err_sys(err, errno, "getsockopt %s", name);
    return 0;
}

/* setsockopt with the trace line (shown: the value as the trace prints
 * it; ms: it is a timeout in milliseconds) and the error text. */
static int
set_traced(int fd, int level, int opt, const char *name, const void *v,
           socklen_t len, int shown, int ms, struct nk_err *err)
{
    int rc = setsockopt(fd, level, opt, v, len);

    if (nk_tracing())
        nk_trace_sockopt("setsockopt", fd, level, opt, name, shown, ms, rc,
                         errno);
    if (rc < 0)
        return nk_err_sys(err, errno, "setsockopt %s", name);
    return 0;
}

int
nk_sockopt_set_int(int fd, int level, int opt, const char *name, int val,
                   struct nk_err *err)
{
    return set_traced(fd, level, opt, name, &val, sizeof val, val, 0, err);
}

int
nk_get_nonblock(int fd, struct nk_err *err)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0)
        return nk_err_sys(err, errno, "fcntl F_GETFL");
    return (fl & O_NONBLOCK) != 0;
}

int
nk_set_nonblock(int fd, int on, struct nk_err *err)
{
    int fl = fcntl(fd, F_GETFL), rc;

    if (fl < 0)
        return nk_err_sys(err, errno, "fcntl F_GETFL");
    fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
    rc = fcntl(fd, F_SETFL, fl);
    if (nk_tracing())
        nk_trace_fcntl(fd, fl, rc, errno);
    if (rc < 0)
        return nk_err_sys(err, errno, "fcntl F_SETFL");
    return 0;
}

/* getsockname or getpeername (peer) into *out. */
static int
sock_name(int fd, int peer, struct nk_addr *out, struct nk_err *err)
{
    const char *call = peer ? "getpeername" : "getsockname";
    int rc;

    memset(out, 0, sizeof *out);
    out->len = sizeof out->ss;
    rc = (peer ? getpeername : getsockname)(fd, (struct sockaddr *)&out->ss,
                                            &out->len);
    if (nk_tracing())
        nk_trace_addr(call, fd, (struct sockaddr *)&out->ss, out->len, rc,
                      errno);
    if (rc < 0)
        return nk_err_sys(err, errno, "%s", call);
    return 0;
}

int
nk_local_addr(int fd, struct nk_addr *out, struct nk_err *err)
{
    return sock_name(fd, 0, out, err);
}

int
nk_peer_addr(int fd, struct nk_addr *out, struct nk_err *err)
{
    return sock_name(fd, 1, out, err);
}

int
nk_sockopt_get_timeout(int fd, int opt, const char *name, int *ms,
                       struct nk_err *err)
{
    struct timeval tv;
    socklen_t len = sizeof tv;
    int rc = getsockopt(fd, SOL_SOCKET, opt, &tv, &len);

    if (nk_tracing())
        nk_trace_sockopt("getsockopt", fd, SOL_SOCKET, opt, name,
                         rc < 0 ? 0 : tv.tv_sec * 1000 + tv.tv_usec / 1000, 1,
                         rc, errno);
    if (rc < 0)
        return nk_err_sys(err, errno, "getsockopt %s", name);
    *ms = (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000);
    return 0;
}

int
nk_sockopt_set_timeout(int fd, int opt, const char *name, int ms,
                       struct nk_err *err)
{
    struct timeval tv;

    if (ms < 0)
        return nk_err_sys(err, EINVAL, "setsockopt %s", name);
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    return set_traced(fd, SOL_SOCKET, opt, name, &tv, sizeof tv, ms, 1, err);
}

static int
do_listen(int fd, int backlog)
{
    int rc = listen(fd, backlog);

    if (nk_tracing())
        nk_trace_listen(fd, backlog, rc, errno);
    return rc;
}

/* listen(2) for a stream socket unless bind_only; closes fd on failure. */
static int
listen_finish(int fd, int socktype, const struct nk_listen_opts *o,
              const char *where, struct nk_err *err)
{
    if (o->bind_only || socktype != SOCK_STREAM ||
        do_listen(fd, o->backlog) == 0)
        return fd;
    nk_err_sys(err, errno, "listen %s", where);
    nk_close(fd);
    errno = err ? err->sys_errno : errno;
    return -1;
}

/* An AF_UNIX listener: a live socket at the path refuses, a stale one
 * is replaced, the file gets its mode before listen() and is removed
 * by nk_unix_cleanup. SO_REUSEADDR and SO_REUSEPORT mean nothing here. */
static int
listen_unix(const struct addrinfo *ai, const struct nk_listen_opts *o,
            const char *where, struct nk_err *err)
{
    int fd, rc;

    if (nk_unix_mode_check(ai->ai_addr, ai->ai_addrlen, o->mode, err) < 0)
        return -1;
    fd = nk_socket(AF_UNIX, ai->ai_socktype, err);
    if (fd < 0)
        return -1;
    if (nk_unix_claim(ai->ai_socktype, ai->ai_addr, ai->ai_addrlen, err) < 0)
        goto fail;
    rc = bind(fd, ai->ai_addr, ai->ai_addrlen);
    if (nk_tracing())
        nk_trace_addr("bind", fd, ai->ai_addr, ai->ai_addrlen, rc, errno);
    if (rc < 0) {
        if (errno == EADDRINUSE)
            nk_unix_in_use(err, where);
        else
            nk_err_sys(err, errno, "bind %s", where);
        goto fail;
    }
    if (nk_unix_bound(ai->ai_addr, ai->ai_addrlen, o->mode, err) < 0) {
        nk_close(fd);
        fd = -1;
    } else {
        fd = listen_finish(fd, ai->ai_socktype, o, where, err);
    }
    if (fd < 0) /* the file is ours: we just made it */
        nk_unix_unbind(ai->ai_addr, ai->ai_addrlen);
    return fd;
fail:
    nk_close(fd);
    errno = err ? err->sys_errno : errno;
    return -1;
}

/* Socket, options, bind and (for TCP) listen on one address. */
static int
listen_one(const struct addrinfo *ai, int v6only,
           const struct nk_listen_opts *o, struct nk_err *err)
{
    char where[NK_ADDRSTRLEN];
    int fd, rc;

    nk_addr_format(ai->ai_addr, ai->ai_addrlen, where, sizeof where);
    if (ai->ai_family == AF_UNIX)
        return listen_unix(ai, o, where, err);
    if (o->mode != NULL)
        return nk_err_set(err, NK_EX_USAGE,
                          "--mode %s: only for a unix:PATH address, not %s",
                          o->mode, where);
    fd = nk_socket(ai->ai_family, ai->ai_socktype, err);
    if (fd < 0)
        return nk_err_sys(err, errno, "socket for %s", where);
    if (o->reuseaddr &&
        nk_sockopt_set_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_REUSEADDR), 1, err) <
            0)
        goto fail;
#ifdef SO_REUSEPORT
    if (o->reuseport &&
        nk_sockopt_set_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_REUSEPORT), 1, err) <
            0)
        goto fail;
#else
    if (o->reuseport) {
        nk_err_sys(err, ENOPROTOOPT, "setsockopt SO_REUSEPORT");
        goto fail;
    }
#endif
    /* IPV6_V6ONLY off makes [::] take IPv4 clients as ::ffff:a.b.c.d; some
     * systems refuse to turn it off, which only costs IPv4 there. */
    if (ai->ai_family == AF_INET6 && v6only >= 0)
        (void)nk_sockopt_set_int(fd, NK_SOCKOPT(IPPROTO_IPV6, IPV6_V6ONLY),
                                 v6only, NULL);
    rc = bind(fd, ai->ai_addr, ai->ai_addrlen);
    if (nk_tracing())
        nk_trace_addr("bind", fd, ai->ai_addr, ai->ai_addrlen, rc, errno);
    if (rc < 0) {
        nk_err_sys(err, errno, "bind %s", where);
        goto fail;
    }
    return listen_finish(fd, ai->ai_socktype, o, where, err);
fail:
    nk_close(fd);
    errno = err ? err->sys_errno : errno;
    return -1;
}

int
nk_listen(const char *host, const char *port, int family, int socktype,
          int backlog, struct nk_err *err)
{
    struct nk_listen_opts o = {.host = host,
                               .port = port,
                               .family = family,
                               .socktype = socktype,
                               .backlog = backlog,
                               .reuseaddr = 1};

    return nk_listen_ex(&o, err);
}

int
nk_listen_ex(const struct nk_listen_opts *o, struct nk_err *err)
{
    struct addrinfo *ai;
    int fd = -1, wildcard = o->host == NULL;
    /* Dual-stack only for the unfiltered wildcard; -6 means IPv6 only. */
    int v6only = o->family == AF_INET6 ? 1 : (wildcard ? 0 : -1);

    if (nk_resolve(o->host, o->port, o->family, o->socktype,
                   NK_RESOLVE_PASSIVE, &ai, err) < 0)
        return -1;
    /* For the wildcard try [::] first: one dual-stack socket serves both
     * families, whatever order the resolver returned them in. */
    for (int pass = wildcard ? 0 : 1; pass < 2 && fd < 0; pass++) {
        for (struct addrinfo *p = ai; p != NULL && fd < 0; p = p->ai_next) {
            if (pass == 0 && p->ai_family != AF_INET6)
                continue;
            if (pass == 1 && wildcard && p->ai_family == AF_INET6)
                continue;
            fd = listen_one(p, v6only, o, err);
        }
    }
    nk_resolve_free(ai);
    return fd;
}

int
nk_port_free(const struct nk_listen_opts *o, struct nk_err *err)
{
    struct nk_listen_opts probe = *o;
    int fd;

    if (o->port == NULL || strcmp(o->port, "0") == 0)
        return 0; /* the kernel picks a port no group holds */
    if (nk_host_is_unix(o->host))
        return 0; /* no port groups: nk_listen_ex checks the path */
    probe.reuseport = 0;
    probe.bind_only = 1; /* never listening: no client can land on it */
    fd = nk_listen_ex(&probe, err);
    if (fd < 0)
        return -1;
    nk_close(fd);
    return 0;
}

/* Wait for a non-blocking connect to finish; 0, or -1 with errno set. */
static int
finish_connect(int fd, int timeout_ms, struct nk_err *err)
{
    int soerr = 0, rc = nk_wait_fd(fd, POLLOUT, timeout_ms, err);

    if (rc < 0)
        return -1;
    if (rc == 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    if (nk_sockopt_get_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_ERROR), &soerr, err) <
        0)
        return -1;
    errno = soerr;
    return soerr == 0 ? 0 : -1;
}

static int
connect_traced(int fd, const struct sockaddr *sa, socklen_t len)
{
    int rc = connect(fd, sa, len);

    if (nk_tracing())
        nk_trace_addr("connect", fd, sa, len, rc, errno);
    return rc;
}

/* A non-blocking AF_UNIX connect never says EINPROGRESS: with the
 * server's backlog full it fails with EAGAIN, where TCP would queue the
 * SYN and retry. Retry likewise, every few ms, within timeout_ms. */
static int
connect_unix(int fd, const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
    int64_t end = timeout_ms < 0 ? -1 : nk_now_ms() + timeout_ms;
    int rc;

    while ((rc = connect_traced(fd, sa, len)) < 0 && errno == EAGAIN) {
        if (end >= 0 && nk_now_ms() >= end) {
            errno = ETIMEDOUT;
            break;
        }
        if (nk_sleep_ms(2) != 0) {
            errno = EINTR; /* a stop request: give up at once */
            break;
        }
    }
    return rc;
}

int
nk_connect_start(const struct sockaddr *sa, socklen_t len, int socktype,
                 int *e, struct nk_err *err)
{
    int fd = nk_socket(sa->sa_family, socktype, err);

    if (fd < 0)
        return -1;
    if (nk_set_nonblock(fd, 1, err) < 0) {
        nk_close(fd);
        return -1;
    }
    *e = connect_traced(fd, sa, len) == 0 ? 0 : errno;
    return fd;
}

static int
is_dgram(int fd)
{
    int type = 0;

    return nk_sockopt_get_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_TYPE), &type,
                              NULL) == 0 &&
           type == SOCK_DGRAM;
}

int
nk_connect_addr(int fd, const struct sockaddr *sa, socklen_t len,
                int timeout_ms, struct nk_err *err)
{
    char where[NK_ADDRSTRLEN];
    int was_nb = nk_get_nonblock(fd, err), rc;

    if (was_nb < 0 || nk_set_nonblock(fd, 1, err) < 0)
        return -1;
    /* A datagram client needs an address of its own for the replies. */
    if (sa->sa_family == AF_UNIX && is_dgram(fd) &&
        nk_unix_autobind(fd, err) < 0)
        return -1;
    rc = sa->sa_family == AF_UNIX ? connect_unix(fd, sa, len, timeout_ms)
                                  : connect_traced(fd, sa, len);
    if (rc < 0 && sa->sa_family != AF_UNIX &&
        (errno == EINPROGRESS || errno == EINTR))
        rc = finish_connect(fd, timeout_ms, err);
    if (rc < 0) {
        int saved = errno;
        nk_addr_format(sa, len, where, sizeof where);
        return nk_err_sys(err, saved, "connect %s", where);
    }
    return nk_set_nonblock(fd, was_nb, err);
}

int
nk_connect(const char *host, const char *port, int family, int socktype,
           int timeout_ms, struct nk_addr *peer, struct nk_err *err)
{
    struct addrinfo *ai;
    int fd = -1;

    if (nk_resolve(host, port, family, socktype, 0, &ai, err) < 0)
        return -1;
    /* Every address in turn, as netcat's remote_connect does: localhost
     * may be ::1 first while the server listens on IPv4 only. The error of
     * the last attempt is the one reported. */
    for (struct addrinfo *p = ai; p != NULL && fd < 0; p = p->ai_next) {
        fd = nk_socket(p->ai_family, p->ai_socktype, err);
        if (fd < 0)
            continue;
        if (nk_connect_addr(fd, p->ai_addr, p->ai_addrlen, timeout_ms, err) <
            0) {
            nk_close(fd);
            fd = -1;
        } else if (peer != NULL) {
            nk_addr_set(peer, p->ai_addr, p->ai_addrlen);
        }
    }
    nk_resolve_free(ai);
    if (fd < 0 && err != NULL)
        errno = err->sys_errno;
    return fd;
}

int
nk_accept(int lfd, struct nk_addr *peer, int nonblock, struct nk_err *err)
{
    struct nk_addr tmp;
    struct nk_addr *a = peer ? peer : &tmp;
    int fd;

    for (;;) {
        memset(a, 0, sizeof *a);
        a->len = sizeof a->ss;
#ifdef __linux__
        /* accept4 sets the flags atomically: no window where the fd could
         * leak into a forked child without CLOEXEC. */
        fd = accept4(lfd, (struct sockaddr *)&a->ss, &a->len,
                     SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0));
        if (nk_tracing())
            nk_trace_accept("accept4", lfd,
                            SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0),
                            (struct sockaddr *)&a->ss, a->len, fd, errno);
#else
        fd = accept(lfd, (struct sockaddr *)&a->ss, &a->len);
        if (nk_tracing())
            nk_trace_accept("accept", lfd, 0, (struct sockaddr *)&a->ss,
                            a->len, fd, errno);
        if (fd >= 0) {
            (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
            if (nk_set_nonblock(fd, nonblock, err) < 0) {
                nk_close(fd);
                return -1;
            }
        }
#endif
        if (fd >= 0) {
            /* Where a TCP peer has an address, a Unix one has who it is. */
            if (a->ss.ss_family == AF_UNIX)
                (void)nk_unix_peercred(fd, &a->cred, NULL);
            return fd;
        }
        /* A client that gave up before we accepted is not our failure. */
        if (errno != EINTR && errno != ECONNABORTED)
            break;
    }
    if (errno == EWOULDBLOCK)
        errno = EAGAIN;
    return nk_err_sys(err, errno, "accept");
}

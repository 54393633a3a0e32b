/* ICMP sockets for ping, and the TCP ping's non-blocking connect.
 *
 * Linux offers two kinds of ICMP socket (icmp(7), socket(7)):
 * - SOCK_DGRAM with IPPROTO_ICMP/IPPROTO_ICMPV6 ("ping sockets", Linux
 *   3.0/3.11): allowed to the groups in net.ipv4.ping_group_range (per
 *   network namespace; "1 0", nobody, by default on many systems). The
 *   kernel owns the echo identifier (the socket's "port", read back with
 *   getsockname), fills in the checksum, delivers only echo replies
 *   carrying that identifier, without the IP header, and reports ICMP
 *   errors about our requests through the error queue (IP_RECVERR).
 * - SOCK_RAW: root or CAP_NET_RAW. Every ICMP message the host receives
 *   is copied to every raw ICMP socket (other processes' replies, our own
 *   requests on loopback), IPv4 ones with their IP header: the caller
 *   filters by identifier.
 * Either way the TTL/hop limit arrives as a control message. */
#include "netkit/icmp.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/errqueue.h>

#include "netkit/exitcodes.h"
#include "netkit/trace.h"
#include "sock_int.h"

static int
open_kind(int family, int raw, struct nk_err *err)
{
    int proto = family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
    int fd = socket(
        family, (raw ? SOCK_RAW : SOCK_DGRAM) | SOCK_CLOEXEC | SOCK_NONBLOCK,
        proto);

    if (nk_tracing())
        nk_trace_socket(family,
                        (raw ? SOCK_RAW : SOCK_DGRAM) | SOCK_CLOEXEC |
                            SOCK_NONBLOCK,
                        proto, fd, errno);
    if (fd < 0)
        return nk_err_sys(err, errno, "%s %s socket", raw ? "raw" : "datagram",
                          family == AF_INET6 ? "icmpv6" : "icmp");
    return fd;
}

/* The identifier of a datagram socket: bind to port 0 makes the kernel
 * pick a free one (ping_get_port), which getsockname reports as the
 * port. Read before the first send so replies can be matched from the
 * start. */
static int
dgram_ident(int fd, int family, uint16_t *id, struct nk_err *err)
{
    struct sockaddr_storage ss;
    struct nk_addr a;
    socklen_t len = family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                       : sizeof(struct sockaddr_in);
    int rc;

    memset(&ss, 0, sizeof ss);
    ss.ss_family = (sa_family_t)family;
    rc = bind(fd, (struct sockaddr *)&ss, len);
    if (nk_tracing())
        nk_trace_addr("bind", fd, (struct sockaddr *)&ss, len, rc, errno);
    if (rc < 0)
        return nk_err_sys(err, errno, "bind icmp datagram socket");
    if (nk_local_addr(fd, &a, err) < 0)
        return -1;
    *id = (uint16_t)nk_addr_port((struct sockaddr *)&a.ss);
    return 0;
}

static int
set_options(struct nk_icmp_sock *s, int ttl, struct nk_err *err)
{
    int fd = s->fd;

    if (s->family == AF_INET6) {
        if (nk_sockopt_set_int(fd, NK_SOCKOPT(IPPROTO_IPV6, IPV6_RECVHOPLIMIT),
                               1, err) < 0 ||
            (!s->raw &&
             nk_sockopt_set_int(fd, NK_SOCKOPT(IPPROTO_IPV6, IPV6_RECVERR), 1,
                                err) < 0) ||
            (ttl > 0 && nk_sockopt_set_int(
                            fd, NK_SOCKOPT(IPPROTO_IPV6, IPV6_UNICAST_HOPS),
                            ttl, err) < 0))
            return -1;
        return 0;
    }
    if (nk_sockopt_set_int(fd, NK_SOCKOPT(IPPROTO_IP, IP_RECVTTL), 1, err) <
            0 ||
        (!s->raw && nk_sockopt_set_int(fd, NK_SOCKOPT(IPPROTO_IP, IP_RECVERR),
                                       1, err) < 0) ||
        (ttl > 0 &&
         nk_sockopt_set_int(fd, NK_SOCKOPT(IPPROTO_IP, IP_TTL), ttl, err) < 0))
        return -1;
    return 0;
}

/* One kind: socket, identifier, options. */
static int
open_one(int family, int raw, int ttl, struct nk_icmp_sock *s,
         struct nk_err *err)
{
    s->family = family;
    s->raw = raw;
    s->fd = open_kind(family, raw, err);
    if (s->fd < 0)
        return -1;
    if (raw)
        s->id = (uint16_t)getpid();
    else if (dgram_ident(s->fd, family, &s->id, err) < 0)
        goto fail;
    if (set_options(s, ttl, err) < 0)
        goto fail;
    return 0;
fail:
    nk_close(s->fd);
    s->fd = -1;
    return -1;
}

static int
refused(int e)
{
    return e == EACCES || e == EPERM || e == EPROTONOSUPPORT ||
           e == ESOCKTNOSUPPORT;
}

int
nk_icmp_open(int family, enum nk_icmp_mode mode, int ttl,
             struct nk_icmp_sock *s, struct nk_err *err)
{
    struct nk_err first;
    int raw_first =
        mode == NK_ICMP_RAW || (mode == NK_ICMP_AUTO && geteuid() == 0);

    memset(s, 0, sizeof *s);
    s->fd = -1;
    if (open_one(family, raw_first, ttl, s, &first) == 0)
        return 0;
    if (mode != NK_ICMP_AUTO || !refused(first.sys_errno)) {
        if (err != NULL)
            *err = first;
        if (refused(first.sys_errno) && err != NULL)
            err->exit_code = NK_EX_NOPERM;
        return -1;
    }
    if (open_one(family, !raw_first, ttl, s, err) == 0)
        return 0;
    if (!refused(err->sys_errno))
        return -1;
    /* Both refused: say both, the datagram socket's reason first. */
    {
        struct nk_err both;
        const struct nk_err *dg = raw_first ? err : &first;
        const struct nk_err *rw = raw_first ? &first : err;
        nk_err_set(&both, NK_EX_NOPERM, "%s; %s", dg->msg, rw->msg);
        both.sys_errno = dg->sys_errno;
        *err = both;
    }
    return -1;
}

void
nk_icmp_close(struct nk_icmp_sock *s)
{
    nk_close(s->fd);
    s->fd = -1;
}

ssize_t
nk_icmp_send(const struct nk_icmp_sock *s, const void *buf, size_t len,
             const struct sockaddr *to, socklen_t tolen, struct nk_err *err)
{
    for (;;) {
        ssize_t n =
            sendto(s->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, to, tolen);
        if (nk_tracing())
            nk_trace_io("sendto", NULL, s->fd, len, n, errno, buf, 1, to,
                        tolen);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        {
            char where[NK_ADDRSTRLEN];
            int e = errno == EWOULDBLOCK ? EAGAIN : errno;
            nk_addr_host(to, tolen, where, sizeof where);
            return nk_err_sys(err, e, "send echo request to %s", where);
        }
    }
}

union ctl {
    struct cmsghdr align;
    unsigned char b[512];
};

/* The control messages: TTL or hop limit, and an error queue entry. */
static void
read_control(struct msghdr *h, struct nk_icmp_rx *rx)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL;
         c = CMSG_NXTHDR(h, c)) {
        int v;
        if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
            (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
            memcpy(&v, CMSG_DATA(c), sizeof v);
            rx->ttl = v;
        } else if ((c->cmsg_level == IPPROTO_IP &&
                    c->cmsg_type == IP_RECVERR) ||
                   (c->cmsg_level == IPPROTO_IPV6 &&
                    c->cmsg_type == IPV6_RECVERR)) {
            struct sock_extended_err ee;
            const struct sockaddr *off;
            memcpy(&ee, CMSG_DATA(c), sizeof ee);
            rx->is_error = 1;
            rx->type = ee.ee_type;
            rx->code = ee.ee_code;
            if (ee.ee_origin != SO_EE_ORIGIN_ICMP &&
                ee.ee_origin != SO_EE_ORIGIN_ICMP6) {
                rx->local_errno = (int)ee.ee_errno;
                continue;
            }
            /* The offender follows the structure in the same message. */
            off = (const struct sockaddr *)(CMSG_DATA(c) + sizeof ee);
            nk_addr_set(&rx->from, off,
                        off->sa_family == AF_INET6
                            ? sizeof(struct sockaddr_in6)
                            : sizeof(struct sockaddr_in));
        }
    }
}

static int
recv_one(const struct nk_icmp_sock *s, void *buf, size_t cap, int flags,
         struct nk_icmp_rx *rx, struct nk_err *err)
{
    struct iovec iov = {buf, cap};
    union ctl ctl;
    struct msghdr h;
    ssize_t n;

    memset(&h, 0, sizeof h);
    memset(rx, 0, sizeof *rx);
    rx->ttl = -1;
    h.msg_name = &rx->from.ss;
    h.msg_namelen = sizeof rx->from.ss;
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
    h.msg_control = ctl.b;
    h.msg_controllen = sizeof ctl.b;
    do {
        n = recvmsg(s->fd, &h, flags | MSG_DONTWAIT);
        if (nk_tracing())
            nk_trace_io(flags ? "recvmsg(MSG_ERRQUEUE)" : "recvmsg", NULL,
                        s->fd, iov.iov_len, n, errno, iov.iov_base, 0,
                        h.msg_name, h.msg_namelen);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        return nk_err_sys(err, errno, "receive icmp");
    }
    rx->from.len = h.msg_namelen;
    rx->len = (size_t)n;
    rx->truncated = (h.msg_flags & MSG_TRUNC) != 0;
    read_control(&h, rx);
    return 1;
}

int
nk_icmp_recv(const struct nk_icmp_sock *s, void *buf, size_t cap,
             struct nk_icmp_rx *rx, struct nk_err *err)
{
    if (!s->raw) {
        int r = recv_one(s, buf, cap, MSG_ERRQUEUE, rx, err);
        if (r != 0)
            return r;
    }
    return recv_one(s, buf, cap, 0, rx, err);
}

int
nk_icmp_wait(int fd, short events, int timeout_ms, struct nk_err *err)
{
    struct pollfd p = {.fd = fd, .events = events, .revents = 0};
    int rc = poll(&p, 1, timeout_ms);

    if (nk_tracing())
        nk_trace_wait("poll", 1, timeout_ms, rc, errno);
    /* No retry on EINTR: a Ctrl-C must end the wait at once. */
    if (rc < 0 && errno == EINTR)
        return 0;
    if (rc < 0)
        return nk_err_sys(err, errno, "poll");
    return rc > 0;
}

int
nk_icmp_group_range(unsigned long *lo, unsigned long *hi)
{
    FILE *f = fopen("/proc/sys/net/ipv4/ping_group_range", "re");
    int ok;

    if (f == NULL)
        return -1;
    ok = fscanf(f, "%lu %lu", lo, hi) == 2;
    fclose(f);
    return ok ? 0 : -1;
}

int
nk_tcp_probe_start(const struct sockaddr *sa, socklen_t len, int *state,
                   struct nk_err *err)
{
    char where[NK_ADDRSTRLEN];
    int e, fd = nk_connect_start(sa, len, SOCK_STREAM, &e, err);

    if (fd < 0)
        return -1;
    if (e == 0 || e == EINPROGRESS || e == EINTR) {
        *state = e == 0; /* 1: connected at once */
        return fd;
    }
    nk_close(fd);
    nk_addr_format(sa, len, where, sizeof where);
    return nk_err_sys(err, e, "connect %s", where);
}

int
nk_tcp_probe_finish(int fd, const struct sockaddr *sa, socklen_t len,
                    struct nk_err *err)
{
    char where[NK_ADDRSTRLEN];
    int soerr = 0;

    if (nk_sockopt_get_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_ERROR), &soerr, err) <
        0)
        return -1;
    if (soerr == 0)
        return 0;
    nk_addr_format(sa, len, where, sizeof where);
    return nk_err_sys(err, soerr, "connect %s", where);
}

/* UDP datagrams: batched receive and send. recvmmsg/sendmmsg (Linux
 * 2.6.33/3.0) move up to n datagrams per system call, which is most of what
 * a UDP echo server spends its time on; elsewhere the same calls loop over
 * recvmsg/sendmsg. The echo probe format is in proto/probe.c. */
#include "netkit/udp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "netkit/exitcodes.h"
#include "netkit/trace.h"

#if defined(__linux__) && defined(MSG_WAITFORONE)
#define NK_HAVE_MMSG 1
#endif

#define NK_UDP_BATCH_MAX 64 /* bound on one recvmmsg/sendmmsg */

/* Room for one pktinfo control message of either family and a kernel
 * receive timestamp. */
union ctlbuf {
    struct cmsghdr align;
    unsigned char b[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
                    CMSG_SPACE(sizeof(struct in_pktinfo)) +
                    CMSG_SPACE(sizeof(struct timespec))];
};

/* Every call is non-blocking on its own (MSG_DONTWAIT), whatever the
 * socket's O_NONBLOCK says: a server must never wait on one peer. */
#define RECV_FLAGS (MSG_DONTWAIT)
#define SEND_FLAGS (MSG_DONTWAIT | MSG_NOSIGNAL)

/* Every function below serves both directions: out is 1 to send, 0 to
 * receive. A send never writes to its messages. */
static int
io_error(struct nk_err *err, int e, int out)
{
    if (e == EWOULDBLOCK)
        e = EAGAIN;
    return nk_err_sys(err, e, out ? "send" : "receive");
}

static void
prepare_recv(struct msghdr *h, struct iovec *iov, union ctlbuf *ctl,
             struct nk_udp_msg *m)
{
    memset(h, 0, sizeof *h);
    iov->iov_base = m->buf;
    iov->iov_len = m->cap;
    h->msg_iov = iov;
    h->msg_iovlen = 1;
    memset(&m->addr, 0, sizeof m->addr);
    h->msg_name = &m->addr.ss;
    h->msg_namelen = sizeof m->addr.ss;
    h->msg_control = ctl->b;
    h->msg_controllen = sizeof ctl->b;
}

/* The control messages of a datagram: its destination address from
 * IP_PKTINFO/IPV6_PKTINFO (RFC 3542 section 6 for IPv6), and its arrival
 * time from SO_TIMESTAMPNS. */
static void
read_control(struct msghdr *h, struct nk_udp_msg *m)
{
    memset(&m->local, 0, sizeof m->local);
    memset(&m->stamp, 0, sizeof m->stamp);
    m->ifindex = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL;
         c = CMSG_NXTHDR(h, c)) {
#ifdef SCM_TIMESTAMPNS
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            memcpy(&m->stamp, CMSG_DATA(c), sizeof m->stamp);
            continue;
        }
#endif
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo pi;
            struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&m->local.ss;
            memcpy(&pi, CMSG_DATA(c), sizeof pi);
            s6->sin6_family = AF_INET6;
            s6->sin6_addr = pi.ipi6_addr;
            m->local.len = sizeof *s6;
            m->ifindex = (int)pi.ipi6_ifindex;
        } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;
            struct sockaddr_in *s4 = (struct sockaddr_in *)&m->local.ss;
            memcpy(&pi, CMSG_DATA(c), sizeof pi);
            s4->sin_family = AF_INET;
            s4->sin_addr = pi.ipi_addr; /* the header's destination */
            m->local.len = sizeof *s4;
            m->ifindex = pi.ipi_ifindex;
        }
    }
}

static void
finish_recv(struct msghdr *h, struct nk_udp_msg *m, size_t got)
{
    m->addr.len = h->msg_namelen;
    /* With MSG_TRUNC in msg_flags the datagram was cut to the buffer and
     * the rest is gone: UDP never returns it later. */
    m->truncated = (h->msg_flags & MSG_TRUNC) != 0;
    m->len = got < m->cap ? got : m->cap;
    read_control(h, m);
}

/* The source address for a reply: IPV6_PKTINFO (which Linux also takes
 * for a v4-mapped source on a dual-stack socket) or IP_PKTINFO. The
 * interface is left to routing except for link-local addresses, which
 * mean nothing without one. */
/* h's one control message: level, type and len bytes of data. */
static void
put_cmsg(struct msghdr *h, int level, int type, const void *data, size_t len)
{
    struct cmsghdr *c;

    h->msg_controllen = CMSG_SPACE(len);
    c = CMSG_FIRSTHDR(h);
    c->cmsg_level = level;
    c->cmsg_type = type;
    c->cmsg_len = CMSG_LEN(len);
    memcpy(CMSG_DATA(c), data, len);
}

static void
write_pktinfo(struct msghdr *h, union ctlbuf *ctl, const struct nk_udp_msg *m)
{
    if (m->local.len == 0)
        return;
    memset(ctl, 0, sizeof *ctl);
    h->msg_control = ctl->b;
    if (m->local.ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const void *)&m->local.ss;
        struct in6_pktinfo pi;
        memset(&pi, 0, sizeof pi);
        pi.ipi6_addr = s6->sin6_addr;
        if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr))
            pi.ipi6_ifindex = (unsigned)m->ifindex;
        put_cmsg(h, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof pi);
    } else {
        const struct sockaddr_in *s4 = (const void *)&m->local.ss;
        struct in_pktinfo pi;
        memset(&pi, 0, sizeof pi);
        pi.ipi_spec_dst = s4->sin_addr;
        put_cmsg(h, IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi);
    }
}

static void
prepare_send(struct msghdr *h, struct iovec *iov, union ctlbuf *ctl,
             const struct nk_udp_msg *m)
{
    memset(h, 0, sizeof *h);
    iov->iov_base = m->buf;
    iov->iov_len = m->len;
    h->msg_iov = iov;
    h->msg_iovlen = 1;
    if (m->addr.len > 0) {
        h->msg_name = (void *)&m->addr.ss;
        h->msg_namelen = m->addr.len;
    }
    write_pktinfo(h, ctl, m);
}

static void
prepare(struct msghdr *h, struct iovec *iov, union ctlbuf *ctl,
        struct nk_udp_msg *m, int out)
{
    if (out)
        prepare_send(h, iov, ctl, m);
    else
        prepare_recv(h, iov, ctl, m);
}

/* The portable path: one recvmsg or sendmsg per datagram until n, or
 * until the next would block (the count so far, or the error if none). */
static int
msg_loop(int fd, struct nk_udp_msg *m, int n, int out, struct nk_err *err)
{
    int i = 0;

    while (i < n) {
        struct msghdr h;
        struct iovec iov;
        union ctlbuf ctl;
        ssize_t r;

        prepare(&h, &iov, &ctl, &m[i], out);
        r = out ? sendmsg(fd, &h, SEND_FLAGS) : recvmsg(fd, &h, RECV_FLAGS);
        if (nk_tracing())
            nk_trace_io(out ? "sendmsg" : "recvmsg", NULL, fd, iov.iov_len, r,
                        errno, iov.iov_base, out, h.msg_name, h.msg_namelen);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return i > 0 ? i : io_error(err, errno, out);
        if (!out)
            finish_recv(&h, &m[i], (size_t)r);
        i++;
    }
    return i;
}

#ifdef NK_HAVE_MMSG
/* One line per batch, then each datagram's bytes for --hexdump. */
static void
trace_mmsg(const char *call, int fd, struct mmsghdr *h, int n, int r, int e,
           int out)
{
    nk_trace_batch(call, fd, n, r, e);
    for (int i = 0; i < r; i++) {
        struct msghdr *m = &h[i].msg_hdr;
        size_t len = out ? m->msg_iov[0].iov_len : h[i].msg_len;
        nk_trace_batch_bytes(fd, m->msg_iov[0].iov_base, len, out, m->msg_name,
                             m->msg_namelen);
    }
    errno = e;
}

static int
mmsg(int fd, struct nk_udp_msg *m, int n, int out, struct nk_err *err)
{
    struct mmsghdr h[NK_UDP_BATCH_MAX];
    struct iovec iov[NK_UDP_BATCH_MAX];
    union ctlbuf ctl[NK_UDP_BATCH_MAX];
    int r;

    for (int i = 0; i < n; i++) {
        prepare(&h[i].msg_hdr, &iov[i], &ctl[i], &m[i], out);
        h[i].msg_len = 0;
    }
    /* sendmmsg reports an error only when the first message fails; after
     * that it returns the count sent and the caller retries from there,
     * which surfaces the error on the next call. */
    do {
        r = out ? sendmmsg(fd, h, (unsigned)n, SEND_FLAGS)
                : recvmmsg(fd, h, (unsigned)n, RECV_FLAGS, NULL);
        if (nk_tracing())
            trace_mmsg(out ? "sendmmsg" : "recvmmsg", fd, h, n, r, errno, out);
    } while (r < 0 && errno == EINTR);
    if (r < 0)
        return io_error(err, errno, out);
    for (int i = 0; !out && i < r; i++)
        finish_recv(&h[i].msg_hdr, &m[i], h[i].msg_len);
    return r;
}
#endif

static int
batch(int fd, struct nk_udp_msg *m, int n, int flags, int out,
      struct nk_err *err)
{
    if (n < 1)
        return nk_err_sys(err, EINVAL, out ? "send" : "receive");
    if (n > NK_UDP_BATCH_MAX)
        n = NK_UDP_BATCH_MAX;
#ifdef NK_HAVE_MMSG
    if (!(flags & NK_UDP_NO_MMSG))
        return mmsg(fd, m, n, out, err);
#endif
    (void)flags;
    return msg_loop(fd, m, n, out, err);
}

int
nk_udp_recv_batch(int fd, struct nk_udp_msg *m, int n, int flags,
                  struct nk_err *err)
{
    return batch(fd, m, n, flags, 0, err);
}

int
nk_udp_send_batch(int fd, const struct nk_udp_msg *m, int n, int flags,
                  struct nk_err *err)
{
    return batch(fd, (struct nk_udp_msg *)m, n, flags, 1, err);
}

ssize_t
nk_udp_send(int fd, const void *buf, size_t len, const struct nk_addr *to,
            struct nk_err *err)
{
    struct nk_udp_msg m;

    memset(&m, 0, sizeof m);
    m.buf = (void *)buf;
    m.len = len;
    if (to != NULL)
        m.addr = *to;
    if (msg_loop(fd, &m, 1, 1, err) < 0)
        return -1;
    return (ssize_t)len;
}

ssize_t
nk_udp_recv_msg(int fd, void *buf, size_t cap, struct nk_udp_msg *m,
                struct nk_err *err)
{
    memset(m, 0, sizeof *m);
    m->buf = buf;
    m->cap = cap;
    if (msg_loop(fd, m, 1, 0, err) < 0)
        return -1;
    return (ssize_t)m->len;
}

ssize_t
nk_udp_recv(int fd, void *buf, size_t cap, struct nk_addr *from,
            int *truncated, struct nk_err *err)
{
    struct nk_udp_msg m;

    if (nk_udp_recv_msg(fd, buf, cap, &m, err) < 0)
        return -1;
    if (from != NULL)
        *from = m.addr;
    if (truncated != NULL)
        *truncated = m.truncated;
    return (ssize_t)m.len;
}

int
nk_udp_pktinfo(int fd, int family, struct nk_err *err)
{
    if (family == AF_INET6)
        return nk_sockopt_set_int(
            fd, NK_SOCKOPT(IPPROTO_IPV6, IPV6_RECVPKTINFO), 1, err);
    return nk_sockopt_set_int(fd, NK_SOCKOPT(IPPROTO_IP, IP_PKTINFO), 1, err);
}

int
nk_udp_timestamps(int fd, struct nk_err *err)
{
#ifdef SO_TIMESTAMPNS
    return nk_sockopt_set_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_TIMESTAMPNS), 1,
                              err);
#else
    (void)fd;
    return nk_err_sys(err, ENOPROTOOPT, "setsockopt SO_TIMESTAMPNS");
#endif
}

int
nk_udp_set_buffers(int fd, int bytes, int *rcv, int *snd, struct nk_err *err)
{
    /* Linux caps a request at rmem_max/wmem_max without failing and then
     * doubles it for bookkeeping; read back what was granted. */
    if (nk_sockopt_set_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_RCVBUF), bytes, err) <
            0 ||
        nk_sockopt_set_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_SNDBUF), bytes, err) <
            0)
        return -1;
    if (rcv != NULL &&
        nk_sockopt_get_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_RCVBUF), rcv, err) <
            0)
        return -1;
    if (snd != NULL &&
        nk_sockopt_get_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_SNDBUF), snd, err) <
            0)
        return -1;
    return 0;
}

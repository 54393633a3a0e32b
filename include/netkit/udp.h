/* UDP datagrams: single and batched receive/send (recvmmsg/sendmmsg on
 * Linux, a recvmsg/sendmsg loop elsewhere). Sockets come from net.h;
 * these functions only move datagrams. The echo probe format and the
 * sequence bookkeeping are in probe.h. */
#ifndef NETKIT_UDP_H
#define NETKIT_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>

#include "netkit/err.h"
#include "netkit/net.h"

/* Largest UDP payloads: 65535 minus the IPv4 (20) and UDP (8) headers;
 * IPv6's payload length excludes its own header, so 8 only. */
#define NK_UDP_MAX_V4 65507
#define NK_UDP_MAX_V6 65527
/* A receive buffer that holds any datagram of either family. */
#define NK_UDP_BUFSIZE 65536

/* One datagram in a batch. */
struct nk_udp_msg {
    void *buf;
    size_t cap;            /* receive: room in buf */
    size_t len;            /* receive: bytes kept; send: bytes to send */
    struct nk_addr addr;   /* receive: sender; send: destination (len 0 on
                            * a connected socket) */
    struct nk_addr local;  /* receive: the address it was sent to, with
                            * nk_udp_pktinfo on (else len 0); send: the
                            * source address to use (len 0: the kernel's
                            * choice) */
    int ifindex;           /* receive: the interface it came in on */
    int truncated;         /* receive: the datagram was larger than cap */
    struct timespec stamp; /* receive: when the kernel took it in
                            * (CLOCK_REALTIME), with nk_udp_timestamps on;
                            * else zero */
};

/* Batch flags. */
enum {
    NK_UDP_NO_MMSG = 1 << 0 /* one syscall per datagram even where
                             * recvmmsg/sendmmsg exist (comparison, tests) */
};

/* Receive up to n datagrams without blocking. Returns the count (>= 1);
 * -1 with err->sys_errno EAGAIN when nothing is queued, or another error
 * (ECONNREFUSED on a connected socket whose peer sent ICMP unreachable).
 * EINTR is retried. */
int nk_udp_recv_batch(int fd, struct nk_udp_msg *m, int n, int flags,
                      struct nk_err *err);

/* Send m[0..n) in order without blocking. Returns how many were sent from
 * the front (>= 1); -1 when m[0] itself failed (err->sys_errno EAGAIN when
 * the send buffer is full). The caller decides to drop or retry m[ret]. */
int nk_udp_send_batch(int fd, const struct nk_udp_msg *m, int n, int flags,
                      struct nk_err *err);

/* One datagram. to NULL: the connected peer. Returns len or -1 (EMSGSIZE
 * for an oversized payload, EAGAIN on a full non-blocking socket). */
ssize_t nk_udp_send(int fd, const void *buf, size_t len,
                    const struct nk_addr *to, struct nk_err *err);

/* One datagram into buf, described in full by *m (sender, destination,
 * arrival stamp, truncation): m is cleared first and its buf and cap set.
 * Returns the bytes kept, or -1 (EAGAIN when nothing is queued). */
ssize_t nk_udp_recv_msg(int fd, void *buf, size_t cap, struct nk_udp_msg *m,
                        struct nk_err *err);

/* One datagram into buf; from (may be NULL) receives the sender and
 * *truncated (may be NULL) is set when the datagram did not fit. Returns
 * the bytes kept, or -1 (EAGAIN when nothing is queued). */
ssize_t nk_udp_recv(int fd, void *buf, size_t cap, struct nk_addr *from,
                    int *truncated, struct nk_err *err);

/* Report each datagram's destination address (IP_PKTINFO for AF_INET,
 * IPV6_RECVPKTINFO for AF_INET6, which covers IPv4 on a dual-stack socket
 * as ::ffff:a.b.c.d), so a server bound to a wildcard can answer from the
 * address it was asked on. 0 or -1. */
int nk_udp_pktinfo(int fd, int family, struct nk_err *err);

/* Stamp each datagram received on fd with the kernel's arrival time
 * (SO_TIMESTAMPNS), in nk_udp_msg.stamp: a server's receive timestamp
 * then excludes the time the datagram waited in the socket's queue.
 * 0, or -1 where the system has no such option (stamps stay zero).
 * Linux turns arrival stamping on system-wide by deferred work when the
 * first socket asks; a datagram that came in before that carries its
 * receive time instead (never worse than reading the clock after it). */
int nk_udp_timestamps(int fd, struct nk_err *err);

/* Ask for bytes of receive and send buffer (the kernel may cap it at
 * net.core.rmem_max/wmem_max); *rcv and *snd (may be NULL) get what the
 * kernel granted. 0 or -1. */
int nk_udp_set_buffers(int fd, int bytes, int *rcv, int *snd,
                       struct nk_err *err);

#endif

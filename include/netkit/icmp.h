/* ICMP sockets for ping, in the socket-helper layer: open an ICMP
 * datagram socket (no root needed where net.ipv4.ping_group_range allows
 * the group) or a raw one, send echo requests, receive replies with their
 * TTL or hop limit and ICMP errors with the address that sent them; and
 * the non-blocking TCP connect of a TCP ping. Packets themselves are
 * built and parsed by icmp_proto.h. */
#ifndef NETKIT_ICMP_H
#define NETKIT_ICMP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "netkit/err.h"
#include "netkit/net.h"

enum nk_icmp_mode {
    NK_ICMP_AUTO,  /* raw as root (euid 0), else datagram, else raw */
    NK_ICMP_DGRAM, /* SOCK_DGRAM + IPPROTO_ICMP/ICMPV6 only */
    NK_ICMP_RAW    /* SOCK_RAW only */
};

struct nk_icmp_sock {
    int fd;
    int family;  /* AF_INET or AF_INET6 */
    int raw;     /* 1: raw socket (IPv4 replies carry the IP header) */
    uint16_t id; /* the echo identifier: the kernel's choice on a
                  * datagram socket (read back with getsockname), the
                  * process id on a raw one */
};

/* Open an ICMP socket of family for mode, non-blocking, with the TTL or
 * hop limit of what it sends set to ttl (0: the system default) and the
 * received TTL/hop limit reported (IP_RECVTTL, IPV6_RECVHOPLIMIT).
 * A datagram socket also gets IP_RECVERR/IPV6_RECVERR: ICMP errors about
 * its requests come back through its error queue. 0, or -1: when no kind
 * is allowed, exit code 77 and a message naming both refusals. */
int nk_icmp_open(int family, enum nk_icmp_mode mode, int ttl,
                 struct nk_icmp_sock *s, struct nk_err *err);
void nk_icmp_close(struct nk_icmp_sock *s);

/* Send one message to `to`. Returns len or -1 (EAGAIN when the send
 * buffer is full, EHOSTUNREACH for a local "no route"). */
ssize_t nk_icmp_send(const struct nk_icmp_sock *s, const void *buf, size_t len,
                     const struct sockaddr *to, socklen_t tolen,
                     struct nk_err *err);

/* What nk_icmp_recv got. */
struct nk_icmp_rx {
    size_t len;          /* bytes in the buffer */
    int truncated;       /* more than the buffer held */
    struct nk_addr from; /* the sender; for an error, the address that
                          * sent the ICMP error (its offender) */
    int ttl;             /* TTL / hop limit of the packet, -1 unknown */
    int is_error;        /* from the error queue of a datagram socket: the
                          * buffer holds our original message, from its
                          * ICMP header on; type and code are the error's */
    int local_errno;     /* is_error with a local cause (no ICMP): errno */
    uint8_t type, code;
};

/* Receive one message without blocking: the error queue first (datagram
 * sockets), then the normal queue. 1 with rx filled, 0 when nothing is
 * queued, -1 on error. */
int nk_icmp_recv(const struct nk_icmp_sock *s, void *buf, size_t cap,
                 struct nk_icmp_rx *rx, struct nk_err *err);

/* Wait up to timeout_ms for fd to become readable (or to have an error
 * queued). 1 ready, 0 on timeout or when a signal came (the caller checks
 * its stop flag), -1 on error. */
int nk_icmp_wait(int fd, short events, int timeout_ms, struct nk_err *err);

/* net.ipv4.ping_group_range (it governs ICMPv6 datagram sockets too):
 * 0 with *lo and *hi, -1 when it cannot be read. */
int nk_icmp_group_range(unsigned long *lo, unsigned long *hi);

/* A TCP ping's probe: start a non-blocking connect to sa. Returns the fd
 * with *state 1 (connected at once, as on loopback) or 0 (in progress:
 * wait for POLLOUT, then nk_tcp_probe_finish); -1 when it failed at once
 * (err->sys_errno ECONNREFUSED: the host answered with a reset). */
int nk_tcp_probe_start(const struct sockaddr *sa, socklen_t len, int *state,
                       struct nk_err *err);
/* The outcome of a connect in progress that poll reported: 0 connected,
 * -1 with err->sys_errno (ECONNREFUSED, EHOSTUNREACH, ...). */
int nk_tcp_probe_finish(int fd, const struct sockaddr *sa, socklen_t len,
                        struct nk_err *err);

#endif

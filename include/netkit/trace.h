/* --trace and --hexdump: the socket-helper layer (src/net/) narrates each
 * socket-API call it makes, one line on stderr as the call returns, and
 * the bytes it moves in the layout of `hexdump -C`. Set once by nk_main
 * before a command runs; off by default, and then every hook costs one
 * load and one predictable branch (nk_tracing()).
 *
 * Every hook takes the call's result as the call returned it (`rc`) and
 * the errno it left (`e`, read only when rc < 0), and keeps errno. */
#ifndef NETKIT_TRACE_H
#define NETKIT_TRACE_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

struct addrinfo;

enum nk_trace_level { NK_TRACE_OFF = 0, NK_TRACE_CALLS = 1, NK_TRACE_ALL = 2 };
enum nk_hexdump_level {
    NK_HEXDUMP_OFF = 0,
    NK_HEXDUMP_BOUNDED = 1,
    NK_HEXDUMP_ALL = 2
};

/* Bytes dumped per connection and direction before --hexdump stops (the
 * bound is said once when reached). */
#define NK_HEXDUMP_BOUND 4096

/* Nonzero when either --trace or --hexdump is on: the hooks' one test. */
extern int nk_trace_on_;

static inline int
nk_tracing(void)
{
    return __builtin_expect(nk_trace_on_ != 0, 0);
}

/* level: enum nk_trace_level; json: --trace=json; hexdump: enum
 * nk_hexdump_level. Resets the clock, the per-fd offsets and counters. */
void nk_trace_set(int level, int json, int hexdump);

/* Parse a global flag: "--trace", "--trace=json", "--trace=all",
 * "--trace=json,all", "--hexdump", "--hexdump=all". 1 when it was one of
 * ours and applied to the pending settings, 0 when not ours, -1 when ours
 * with a bad value. nk_trace_apply() then sets them. */
int nk_trace_flag(const char *arg);
void nk_trace_apply(void);
void nk_trace_flag_reset(void); /* forget pending flags */

/* The hooks. */
void nk_trace_socket(int family, int type, int protocol, int rc, int e);
void nk_trace_sockopt(const char *call, int fd, int level, int opt,
                      const char *name, long val, int is_ms, int rc, int e);
void nk_trace_addr(const char *call, int fd, const struct sockaddr *sa,
                   socklen_t len, int rc, int e);
void nk_trace_listen(int fd, int backlog, int rc, int e);
void nk_trace_accept(const char *call, int lfd, int flags,
                     const struct sockaddr *peer, socklen_t len, int rc,
                     int e);
/* send/recv/read/write/sendto/recvfrom/sendmsg/recvmsg/sendfile: `lesson`
 * is the Python method of the lessons (NULL: the call's own name); buf
 * and the count moved feed --hexdump; out: 1 sent, 0 received. */
void nk_trace_io(const char *call, const char *lesson, int fd, size_t len,
                 ssize_t rc, int e, const void *buf, int out,
                 const struct sockaddr *peer, socklen_t plen);
/* recvmmsg/sendmmsg: one line per batch; each datagram's bytes follow. */
void nk_trace_batch(const char *call, int fd, int n, int rc, int e);
void nk_trace_batch_bytes(int fd, const void *buf, size_t len, int out,
                          const struct sockaddr *peer, socklen_t plen);
/* fcntl(F_SETFL) of the blocking switch: flags as set. */
void nk_trace_fcntl(int fd, int flags, int rc, int e);
void nk_trace_close(int fd, int rc, int e);
void nk_trace_shutdown(int fd, int how, int rc, int e);
/* getaddrinfo: what was asked and every address answered (rc: the
 * EAI_ code, 0 on success). */
void nk_trace_resolve(const char *host, const char *port, int family,
                      int socktype, int flags, int rc,
                      const struct addrinfo *ai);
void nk_trace_getnameinfo(const struct sockaddr *sa, socklen_t len,
                          const char *name, int rc);
/* poll/epoll_wait: with --trace=all one line each, else counted and said
 * once a second ("N wakeups"). */
void nk_trace_wait(const char *call, int nfds, int timeout_ms, int rc, int e);

/* Formatting, public for the unit tests. */
const char *nk_trace_errno_name(int e); /* "ECONNREFUSED"; NULL unknown */
const char *nk_trace_family_name(int family);
const char *nk_trace_gai_name(int rc); /* "EAI_NONAME"; "EAI_?" unknown */
/* "SOCK_STREAM|SOCK_CLOEXEC" into buf. */
const char *nk_trace_type_name(int type, char *buf, size_t size);
const char *nk_trace_level_name(int level);
/* "127.0.0.1:9", "[::1]:9", "AF_UNIX", "?" */
const char *nk_trace_sockaddr(const struct sockaddr *sa, socklen_t len,
                              char *buf, size_t size);
/* One `hexdump -C` line of up to 16 bytes at offset off into buf (no
 * newline); returns its length. */
size_t nk_trace_hexline(const unsigned char *p, size_t n, unsigned long off,
                        char *buf, size_t size);

#endif

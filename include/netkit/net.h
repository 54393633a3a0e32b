/* The socket-helper layer: the only code in netkit that calls getaddrinfo,
 * socket, bind, listen, connect, accept and setsockopt. Every function
 * returns an fd or a count >= 0, or -1 with *err filled (errno kept). */
#ifndef NETKIT_NET_H
#define NETKIT_NET_H

#include <netdb.h>
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "netkit/err.h"

/* "[ffff:...:ffff%scope]:65535" fits with room to spare, and so does
 * "unix:" with the longest socket path (107 bytes). */
#define NK_ADDRSTRLEN 128

/* The credentials of an AF_UNIX peer (SO_PEERCRED), filled by nk_accept. */
struct nk_cred {
    int known; /* 1 when pid, uid and gid below are the peer's */
    int pid;
    unsigned uid;
    unsigned gid;
};

struct nk_addr {
    struct sockaddr_storage ss;
    socklen_t len;
    struct nk_cred cred; /* AF_UNIX peers of nk_accept; else known 0 */
};

/* Resolver flags for nk_resolve. */
enum {
    NK_RESOLVE_PASSIVE = 1 << 0, /* addresses to bind to (AI_PASSIVE) */
    NK_RESOLVE_NUMERIC = 1 << 1, /* host must be a numeric address */
    NK_RESOLVE_CANON = 1 << 2    /* ask for the canonical name */
};

/* Process-wide setup: SIGPIPE is ignored so a closed peer can never kill the
 * process (sends also use MSG_NOSIGNAL). Idempotent. */
void nk_net_init(void);

/* Resolve host and port (names or numbers; host NULL = wildcard/loopback).
 * family: AF_UNSPEC, AF_INET or AF_INET6; socktype: SOCK_STREAM/SOCK_DGRAM.
 * Returns the number of addresses (>= 1) and *out, to be released with
 * nk_resolve_free; -1 on failure (err->gai set; exit code 68 unknown host,
 * 75 resolver try-again, 65 bad port or family). Names under ".invalid"
 * fail at once without a query (RFC 6761). A "unix:" host gives one
 * AF_UNIX address (family and port ignored; see nk_unix_parse). */
int nk_resolve(const char *host, const char *port, int family, int socktype,
               int flags, struct addrinfo **out, struct nk_err *err);
void nk_resolve_free(struct addrinfo *ai);
/* A numeric host of the other family than the one asked for (-4 with
 * ::1, -6 with 127.0.0.1) is malformed input, not an unknown host: -1,
 * exit 65, "'::1' is an IPv6 address, but -4 asks for IPv4". 0 for a
 * name, for the right family, or for a family other than the two. nk_resolve
 * checks it when getaddrinfo fails, so every command reports it the same way.
 */
int nk_resolve_wrong_family(const char *host, int family, struct nk_err *err);

/* A socket with FD_CLOEXEC (and SO_NOSIGPIPE where it exists).
 * Returns the fd or -1. */
int nk_socket(int family, int socktype, struct nk_err *err);

/* close() that never reports EINTR as a failure. NULL-safe on fd < 0. */
void nk_close(int fd);

/* Open a listening TCP socket (socktype SOCK_STREAM, backlog used) or a bound
 * UDP socket (SOCK_DGRAM). host NULL and family AF_UNSPEC: dual-stack [::]
 * with IPV6_V6ONLY off, falling back to 0.0.0.0 where IPv6 is missing.
 * SO_REUSEADDR is set; every resolved address is tried in turn.
 * Port "0" picks an ephemeral port (see nk_local_addr). Returns the fd. */
int nk_listen(const char *host, const char *port, int family, int socktype,
              int backlog, struct nk_err *err);

/* nk_listen with every choice spelled out. reuseaddr 0 leaves SO_REUSEADDR
 * off (the address-reuse lesson needs that); nk_listen uses 1. */
struct nk_listen_opts {
    const char *host; /* NULL: wildcard (dual-stack with AF_UNSPEC) */
    const char *port;
    int family;
    int socktype;
    int backlog;
    int reuseaddr;
    int reuseport;    /* SO_REUSEPORT: several listeners share one port, the
                       * kernel spreads connections (one per worker) */
    int bind_only;    /* bind but do not listen (a probe; see nk_port_free) */
    const char *mode; /* unix:PATH only: octal permissions of the socket
                       * file ("0660"); NULL leaves the umask's */
};
int nk_listen_ex(const struct nk_listen_opts *o, struct nk_err *err);

/* 0 when o's address and port can be bound by a socket WITHOUT
 * SO_REUSEPORT, else -1 ("bind ADDR: address already in use"). SO_REUSEPORT
 * lets any socket of the same user join a port's group, so a server about
 * to open a group asks this first: a second server then fails instead of
 * silently taking half the first one's clients. Port "0" is always free. */
int nk_port_free(const struct nk_listen_opts *o, struct nk_err *err);

/* Connect to host:port trying every resolved address in turn, each attempt
 * bounded by timeout_ms (< 0: no limit). Returns a blocking fd; *peer (may be
 * NULL) receives the address that answered. On failure the error names the
 * last address tried: "connect 127.0.0.1:7: connection refused". */
int nk_connect(const char *host, const char *port, int family, int socktype,
               int timeout_ms, struct nk_addr *peer, struct nk_err *err);

/* Connect an existing socket to one address within timeout_ms. 0 or -1. */
int nk_connect_addr(int fd, const struct sockaddr *sa, socklen_t len,
                    int timeout_ms, struct nk_err *err);

/* Accept one connection, retrying on EINTR and ECONNABORTED. The new fd has
 * CLOEXEC, and O_NONBLOCK when nonblock is set. *peer may be NULL. On a
 * non-blocking listener with nothing pending: -1 with err->sys_errno EAGAIN.
 * EMFILE/ENFILE come back as errors for the caller to survive. */
int nk_accept(int lfd, struct nk_addr *peer, int nonblock, struct nk_err *err);

/* One transfer step, so tests can inject EINTR, EAGAIN and short counts. */
typedef ssize_t (*nk_io_fn)(int fd, void *buf, size_t len);

/* Repeat fn until len bytes moved, fn returns 0 (end of file), or an error.
 * EINTR is retried; EAGAIN waits with poll for `events` (POLLIN/POLLOUT)
 * within the overall timeout_ms (< 0: none; timeout gives ETIMEDOUT).
 * Returns bytes moved (short only at end of file) or -1. `what` names the
 * step in error text ("send", "receive"). */
ssize_t nk_io_full(nk_io_fn fn, int fd, void *buf, size_t len, short events,
                   int timeout_ms, const char *what, struct nk_err *err);

/* Send all of buf (send with MSG_NOSIGNAL; write() on non-sockets).
 * Returns len or -1 (EPIPE when the peer has gone). */
ssize_t nk_send_all(int fd, const void *buf, size_t len, int timeout_ms,
                    struct nk_err *err);

/* Receive exactly len bytes unless the peer closes first. Returns the count
 * (< len only at end of stream) or -1. */
ssize_t nk_recv_exact(int fd, void *buf, size_t len, int timeout_ms,
                      struct nk_err *err);

/* Wait up to timeout_ms (< 0: forever) for data and read what is there, at
 * most len bytes: a streaming reader's step. Returns the count, 0 at end of
 * stream, or -1 (ETIMEDOUT when nothing came in time; EINTR and EAGAIN are
 * retried within the deadline). */
ssize_t nk_recv_some(int fd, void *buf, size_t len, int timeout_ms,
                     struct nk_err *err);

/* Non-blocking steps for event-loop code, cheap enough for a hot path:
 * they never format an error. The count moved (receive: 0 at end of
 * stream), NK_IO_AGAIN when the socket is not ready, or -1 with errno set.
 * EINTR is retried; sends use MSG_NOSIGNAL. */
#define NK_IO_AGAIN (-2)
ssize_t nk_send_nb(int fd, const void *buf, size_t len);
ssize_t nk_recv_nb(int fd, void *buf, size_t len);

/* sendfile(2) from file_fd at *off to a socket, at most len bytes (zero
 * copy): the count sent (0 at the file's end; *off advances), NK_IO_AGAIN
 * when a non-blocking socket is full (a blocking one waits), or -1 with
 * errno. EINTR is retried. */
ssize_t nk_sendfile(int sock, int file_fd, off_t *off, size_t len);

/* shutdown(SHUT_WR): we send no more; the peer reads end of stream (the
 * half-close RFC 862 clients use to say "done"). 0 or -1. */
int nk_shutdown_write(int fd, struct nk_err *err);

/* Sleep ms milliseconds; a signal ends the sleep early (so a stop request
 * is seen at once). Returns 1 when interrupted, 0 otherwise. */
int nk_sleep_ms(int ms);

/* poll() that keeps its deadline across EINTR. Returns the number of ready
 * fds, 0 on timeout, -1 on error. timeout_ms < 0 waits forever. */
int nk_poll(struct pollfd *fds, nfds_t nfds, int timeout_ms,
            struct nk_err *err);

/* Wait until fd is ready for events. 1 ready, 0 timeout, -1 error. */
int nk_wait_fd(int fd, short events, int timeout_ms, struct nk_err *err);

/* Switch O_NONBLOCK on or off. 0 or -1. */
int nk_set_nonblock(int fd, int on, struct nk_err *err);
/* 1 if O_NONBLOCK is set, 0 if not, -1 on error. */
int nk_get_nonblock(int fd, struct nk_err *err);

/* Integer socket options; `name` is the option's name for error text.
 * Use NK_SOCKOPT(SOL_SOCKET, SO_RCVBUF) for the three leading arguments. */
#define NK_SOCKOPT(level, opt) (level), (opt), #opt
int nk_sockopt_get_int(int fd, int level, int opt, const char *name, int *val,
                       struct nk_err *err);
int nk_sockopt_set_int(int fd, int level, int opt, const char *name, int val,
                       struct nk_err *err);

/* SO_RCVTIMEO / SO_SNDTIMEO (opt) in milliseconds; 0 means no timeout
 * (blocking calls wait forever). Linux rounds to its timer tick, so a get
 * after a set may differ by a few ms. */
int nk_sockopt_get_timeout(int fd, int opt, const char *name, int *ms,
                           struct nk_err *err);
int nk_sockopt_set_timeout(int fd, int opt, const char *name, int ms,
                           struct nk_err *err);

/* Local (getsockname) and remote (getpeername) address of a socket. */
int nk_local_addr(int fd, struct nk_addr *out, struct nk_err *err);
int nk_peer_addr(int fd, struct nk_addr *out, struct nk_err *err);

/* Copy a sockaddr into an nk_addr (len clamped to the storage). */
void nk_addr_set(struct nk_addr *a, const struct sockaddr *sa, socklen_t len);

/* "127.0.0.1:80", "[::1]:80", "unix:PATH", "unix:@NAME"; "?" for an
 * unknown family. Returns buf. */
const char *nk_addr_format(const struct sockaddr *sa, socklen_t len, char *buf,
                           size_t size);
/* Host part only: "127.0.0.1", "::1" (AF_UNIX: as nk_addr_format).
 * Returns buf. */
const char *nk_addr_host(const struct sockaddr *sa, socklen_t len, char *buf,
                         size_t size);
/* Port in host order, 0 for an unknown family. */
int nk_addr_port(const struct sockaddr *sa);

/* ---- AF_UNIX (src/net/unix.c) -------------------------------------------
 * Wherever a host or --bind address is taken, "unix:PATH" names a socket
 * file and "unix:@NAME" a name in Linux's abstract namespace (no file).
 * nk_resolve turns such a host into one AF_UNIX address (the port is
 * ignored), so nk_listen_ex, nk_connect and the UDP helpers need nothing
 * else; nk_addr_format prints the same two forms back. */
#define NK_UNIX_PREFIX "unix:"

/* 1 when host is "unix:..." (NULL-safe), else 0. */
int nk_host_is_unix(const char *host);

/* Parse "unix:PATH" or "unix:@NAME" into *a (AF_UNIX, the exact length:
 * an abstract name has no terminating NUL). 0, or -1 with exit 65 for an
 * empty or too long path, or a host without the prefix. */
int nk_unix_parse(const char *host, struct nk_addr *a, struct nk_err *err);

/* "unix:PATH", "unix:@NAME", or "unix:" for an unnamed socket (a
 * client's end that never bound). Returns buf. */
const char *nk_unix_format(const struct sockaddr *sa, socklen_t len, char *buf,
                           size_t size);

/* A peer as a server logs it: nk_addr_format's text, and for an AF_UNIX
 * peer whose credentials are known "pid=P,uid=U,gid=G" (after the
 * address and a comma when the peer's socket is named). Returns buf. */
const char *nk_peer_format(const struct nk_addr *a, char *buf, size_t size);

/* Read SO_PEERCRED of a connected AF_UNIX socket into *c. 0, or -1 (c->known
 * stays 0). */
int nk_unix_peercred(int fd, struct nk_cred *c, struct nk_err *err);

/* Octal permission text ("0660", "660") -> mode bits (at most 07777).
 * 0, or -1 with exit 65. */
int nk_unix_mode_parse(const char *text, unsigned *mode, struct nk_err *err);

/* Remove every socket file this process's listeners created (each only
 * while it is still the same file, and only in the process that bound
 * it: a forked worker's exit leaves it). The server layer calls it once
 * stopped (nk_server_stopped); safe to call more than once. */
void nk_unix_cleanup(void);

#endif

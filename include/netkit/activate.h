/* Where a server's socket comes from when it does not open it itself:
 * systemd's socket activation (sd_listen_fds(3), written here from the
 * documented protocol, no libsystemd) and inetd's stdin (src/net/activate.c).
 *
 * Activation: systemd (or systemd-socket-activate) opens the sockets,
 * passes them as fds 3, 4, ... and says so in the environment:
 *   LISTEN_PID=<pid the variables are meant for>
 *   LISTEN_FDS=<how many fds, from 3>
 *   LISTEN_FDNAMES=<name:name:...>   (optional; FileDescriptorName=)
 * Variables meant for another process (a wrapper that did not exec us)
 * are ignored and left alone. Servers call nk_listen_activated where they
 * would call nk_listen_ex: one plug point for every server. */
#ifndef NETKIT_ACTIVATE_H
#define NETKIT_ACTIVATE_H

#include "netkit/err.h"
#include "netkit/net.h"
#include "netkit/opt.h"

#define NK_ACT_FD0 3        /* SD_LISTEN_FDS_START */
#define NK_ACT_MAX 16       /* sockets taken; more is a configuration error */
#define NK_ACT_NAME_MAX 255 /* systemd's FDNAME_MAX */

/* Pure: what LISTEN_PID and LISTEN_FDS (either may be NULL) say to the
 * process self. 1 with *n (1..NK_ACT_MAX) when they are meant for self;
 * 0 when not (no LISTEN_PID, another pid, LISTEN_FDS missing or 0);
 * -1 with err (exit 65) when they are meant for self but malformed. */
int nk_activation_parse(const char *listen_pid, const char *listen_fds,
                        long self, int *n, struct nk_err *err);

/* Pure: split LISTEN_FDNAMES (NULL: every name "unknown", as systemd) into
 * n names. 0, or -1 with err (exit 65) when the count differs from n or a
 * name is empty, longer than NK_ACT_NAME_MAX or has a control byte. */
int nk_activation_names(const char *fdnames, int n,
                        char names[][NK_ACT_NAME_MAX + 1], struct nk_err *err);

/* One passed socket as the kernel describes it. */
struct nk_act_sock {
    int type;      /* SO_TYPE: SOCK_STREAM, SOCK_DGRAM, ... */
    int family;    /* SO_DOMAIN */
    int listening; /* SO_ACCEPTCONN */
    int taken;     /* already handed to a server */
    const char *name;
};

/* Pure: the index of the one socket a server of socktype may take among
 * n: not taken, of the right type, an INET, INET6 or UNIX family,
 * listening when a stream, and named fdname when fdname is not NULL. -1
 * with err when none fits (exit 69, naming what was passed) or several do
 * and no fdname chose (exit 64). */
int nk_activation_choose(const struct nk_act_sock *s, int n, int socktype,
                         const char *fdname, struct nk_err *err);

/* The plug point: the socket systemd passed for a server of o->socktype
 * (chosen by fdname when not NULL), else, when nothing was passed,
 * nk_listen_ex(o). The first call takes the passed fds (each must be a
 * socket), sets FD_CLOEXEC on them and unsets the three variables.
 * *activated (may be NULL) says which it was. The fd, or -1 with err;
 * fdname given with nothing passed is a usage error (64). */
int nk_listen_activated(const struct nk_listen_opts *o, const char *fdname,
                        int *activated, struct nk_err *err);

/* How many passed sockets no server has taken yet (0: not activated),
 * taking them first as nk_listen_activated does; -1 with err when the
 * variables or an fd are wrong. A server that would open one listener per
 * worker (SO_REUSEPORT) asks this first: a passed socket is shared. */
int nk_activation_passed(struct nk_err *err);

/* 1 when a is a wildcard address (0.0.0.0, [::]): a passed socket's
 * address says what --bind would have (a server bound to a wildcard must
 * answer datagrams from the address asked, IP_PKTINFO). */
int nk_addr_wildcard(const struct nk_addr *a);

/* inetd and systemd's Accept=yes: the connection (stream) or the bound
 * socket (datagram, inetd's "wait") is stdin and stdout. 0 when fd 0 is a
 * socket of socktype; for a stream, a pipe or file is accepted too when
 * allow_pipe is set (a test or a shell pipeline); else -1 with err (64). */
int nk_inetd_check(int socktype, int allow_pipe, struct nk_err *err);

/* inetd also makes stderr the connection: then diagnostics would reach the
 * client. When fd 2 is the same open socket as fd 0, point it at
 * /dev/null instead. 1 when it did, 0 when stderr is something else
 * (systemd's journal, a terminal), -1 when it could not (stderr closed). */
int nk_inetd_quiet_stderr(void);

/* The option rows every server shares. */
#define NK_OPT_INETD(type, field, help)                                       \
    NK_OPT(0, "inetd", NK_OPT_FLAG, type, field, 0, 0, NULL, help)
#define NK_OPT_FDNAME(type, field)                                            \
    NK_OPT(0, "fdname", NK_OPT_STRING, type, field, 0, 0, "NAME",             \
           "of the sockets systemd passed, take the one\n"                    \
           "named NAME (FileDescriptorName=)")
#define NK_OPT_MODE_HELP                                                      \
    "permissions of a unix:PATH socket file (octal,\n"                        \
    "such as 0660)"
#define NK_OPT_MODE(type, field)                                              \
    NK_OPT(0, "mode", NK_OPT_STRING, type, field, 0, 0, "MODE",               \
           NK_OPT_MODE_HELP)

#endif

/* Sockets a server is given rather than opens: systemd's socket activation
 * (sd_listen_fds(3), from the documented protocol) and inetd's stdin.
 *
 * The protocol, as sd_listen_fds() implements it: the variables are for
 * this process only when LISTEN_PID is our pid (a wrapper that forked
 * rather than exec'd must not make its child take fds it never got);
 * LISTEN_FDS counts fds from 3; LISTEN_FDNAMES, when set, names each one,
 * colon-separated. The fds are set close-on-exec and the variables
 * removed, so nothing we start inherits either. */
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netkit/activate.h"
#include "netkit/exitcodes.h"

/* A decimal number in 1..max with nothing around it, else -1. */
static long
act_number(const char *s, long max)
{
    long v = 0;

    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (*s - '0');
        if (v > max)
            return -1;
    }
    return *s == '\0' ? v : -1;
}

int
nk_activation_parse(const char *listen_pid, const char *listen_fds, long self,
                    int *n, struct nk_err *err)
{
    long pid, fds;

    *n = 0;
    if (listen_pid == NULL)
        return 0;
    pid = act_number(listen_pid, 0x7fffffffL);
    if (pid < 0)
        return nk_err_set(err, NK_EX_DATAERR,
                          "LISTEN_PID '%.32s' is not a process id",
                          listen_pid);
    if (pid != self || listen_fds == NULL)
        return 0;
    fds = act_number(listen_fds, 0x7fffffffL);
    if (fds < 0)
        return nk_err_set(err, NK_EX_DATAERR,
                          "LISTEN_FDS '%.32s' is not a count of sockets",
                          listen_fds);
    if (fds == 0) /* "0", "00": nothing passed */
        return 0;
    if (fds > NK_ACT_MAX)
        return nk_err_set(err, NK_EX_DATAERR,
                          "LISTEN_FDS %ld: at most %d sockets are taken", fds,
                          NK_ACT_MAX);
    *n = (int)fds;
    return 1;
}

int
nk_activation_names(const char *fdnames, int n,
                    char names[][NK_ACT_NAME_MAX + 1], struct nk_err *err)
{
    const char *p = fdnames;
    int i;

    for (i = 0; i < n; i++) {
        size_t len = 0;

        if (fdnames == NULL) {
            strcpy(names[i], "unknown");
            continue;
        }
        if (i > 0 && *p++ != ':')
            break;
        for (; p[len] != '\0' && p[len] != ':'; len++)
            if ((unsigned char)p[len] < 0x20 || p[len] == 0x7f)
                return nk_err_set(err, NK_EX_DATAERR,
                                  "LISTEN_FDNAMES: name %d has a control "
                                  "byte",
                                  i + 1);
        if (len == 0 || len > NK_ACT_NAME_MAX)
            return nk_err_set(err, NK_EX_DATAERR,
                              "LISTEN_FDNAMES: name %d is %s", i + 1,
                              len ? "longer than 255 bytes" : "empty");
        memcpy(names[i], p, len);
        names[i][len] = '\0';
        p += len;
    }
    if (fdnames != NULL && (i < n || *p != '\0'))
        return nk_err_set(err, NK_EX_DATAERR,
                          "LISTEN_FDNAMES names %s sockets than LISTEN_FDS "
                          "(%d)",
                          i < n ? "fewer" : "more", n);
    return 0;
}

static const char *
act_type_name(int type)
{
    switch (type) {
    case SOCK_STREAM:
        return "stream";
    case SOCK_DGRAM:
        return "datagram";
    case SOCK_SEQPACKET:
        return "seqpacket";
    default:
        return "other";
    }
}

/* Whether s suits a server of socktype, fdname aside. */
static int
act_fits(const struct nk_act_sock *s, int socktype)
{
    if (s->taken || s->type != socktype)
        return 0;
    if (s->family != AF_INET && s->family != AF_INET6 && s->family != AF_UNIX)
        return 0;
    /* A stream socket that is not listening is a connection (Accept=yes
     * passes those): accepting on it would fail at the first client. */
    return socktype != SOCK_STREAM || s->listening;
}

/* " fd 3 datagram, fd 4 stream (not listening)" into buf. */
static void
act_list(const struct nk_act_sock *s, int n, char *buf, size_t size)
{
    size_t len = 0;

    buf[0] = '\0';
    for (int i = 0; i < n && len + 40 < size; i++) {
        int w = snprintf(buf + len, size - len, "%s fd %d %s%s", i ? "," : "",
                         NK_ACT_FD0 + i, act_type_name(s[i].type),
                         s[i].type == SOCK_STREAM && !s[i].listening
                             ? " (not listening)"
                             : "");
        if (w < 0)
            break;
        len += (size_t)w;
    }
    if (len >= size)
        buf[size - 1] = '\0';
}

int
nk_activation_choose(const struct nk_act_sock *s, int n, int socktype,
                     const char *fdname, struct nk_err *err)
{
    int found = -1, count = 0, named = 0;
    char passed[160];

    for (int i = 0; i < n; i++) {
        if (fdname != NULL && strcmp(s[i].name, fdname) != 0)
            continue;
        named++;
        if (!act_fits(&s[i], socktype))
            continue;
        if (found < 0)
            found = i;
        count++;
    }
    if (count == 1)
        return found;
    if (count > 1)
        return nk_err_set(err, NK_EX_USAGE,
                          "systemd passed %d %s sockets: choose one with "
                          "--fdname",
                          count, act_type_name(socktype));
    if (fdname != NULL && named == 0)
        return nk_err_set(err, NK_EX_UNAVAILABLE,
                          "systemd passed no socket named '%.64s'", fdname);
    act_list(s, n, passed, sizeof passed);
    return nk_err_set(err, NK_EX_UNAVAILABLE,
                      "systemd passed no listening %s socket%s (passed:%s)",
                      act_type_name(socktype),
                      fdname != NULL ? " of that name" : "", passed);
}

/* What was passed, taken once per process. */
static struct {
    int n;
    struct nk_act_sock sock[NK_ACT_MAX];
    char name[NK_ACT_MAX][NK_ACT_NAME_MAX + 1];
} act;

static int
act_describe(int fd, struct nk_act_sock *s, struct nk_err *err)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        return nk_err_sys(err, errno, "passed fd %d", fd);
    if (!S_ISSOCK(st.st_mode))
        return nk_err_set(err, NK_EX_DATAERR, "passed fd %d is not a socket",
                          fd);
    if (nk_sockopt_get_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_TYPE), &s->type,
                           err) < 0 ||
        nk_sockopt_get_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_DOMAIN), &s->family,
                           err) < 0 ||
        nk_sockopt_get_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_ACCEPTCONN),
                           &s->listening, err) < 0)
        return -1;
    return 0;
}

/* Read the variables, check every fd, set FD_CLOEXEC, unset the
 * variables. 0 (act.n sockets, maybe none) or -1. */
static int
act_take(struct nk_err *err)
{
    int n;
    int rc = nk_activation_parse(getenv("LISTEN_PID"), getenv("LISTEN_FDS"),
                                 (long)getpid(), &n, err);

    if (rc <= 0)
        return rc;
    if (nk_activation_names(getenv("LISTEN_FDNAMES"), n, act.name, err) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        int fd = NK_ACT_FD0 + i;
        int fl = fcntl(fd, F_GETFD);

        if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
            return nk_err_sys(err, errno, "passed fd %d", fd);
        if (act_describe(fd, &act.sock[i], err) < 0)
            return -1;
        act.sock[i].taken = 0;
        act.sock[i].name = act.name[i];
    }
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    act.n = n;
    return 0;
}

int
nk_activation_passed(struct nk_err *err)
{
    int left = 0;

    if (getenv("LISTEN_PID") != NULL && act_take(err) < 0)
        return -1;
    for (int i = 0; i < act.n; i++)
        left += !act.sock[i].taken;
    return left;
}

int
nk_listen_activated(const struct nk_listen_opts *o, const char *fdname,
                    int *activated, struct nk_err *err)
{
    int i;

    if (activated != NULL)
        *activated = 0;
    if (nk_activation_passed(err) < 0)
        return -1;
    if (act.n == 0) {
        if (fdname != NULL)
            return nk_err_set(err, NK_EX_USAGE,
                              "--fdname %.64s: no sockets were passed "
                              "(LISTEN_FDS)",
                              fdname);
        return nk_listen_ex(o, err);
    }
    i = nk_activation_choose(act.sock, act.n, o->socktype, fdname, err);
    if (i < 0)
        return -1;
    act.sock[i].taken = 1;
    if (activated != NULL)
        *activated = 1;
    return NK_ACT_FD0 + i;
}

int
nk_addr_wildcard(const struct nk_addr *a)
{
    if (a->ss.ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const void *)&a->ss;
        return s4->sin_addr.s_addr == htonl(INADDR_ANY);
    }
    if (a->ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const void *)&a->ss;
        return IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr);
    }
    return 0;
}

int
nk_inetd_check(int socktype, int allow_pipe, struct nk_err *err)
{
    struct stat st;
    int type;

    if (fstat(0, &st) < 0)
        return nk_err_set(err, NK_EX_USAGE, "--inetd: stdin is closed");
    if (!S_ISSOCK(st.st_mode)) {
        if (allow_pipe && socktype == SOCK_STREAM)
            return 0;
        return nk_err_set(err, NK_EX_USAGE,
                          "--inetd: stdin is not a socket (run it from "
                          "inetd or systemd)");
    }
    if (nk_sockopt_get_int(0, NK_SOCKOPT(SOL_SOCKET, SO_TYPE), &type, err) < 0)
        return -1;
    if (type != socktype)
        return nk_err_set(err, NK_EX_USAGE,
                          "--inetd: stdin is a %s socket, this server "
                          "wants a %s one",
                          act_type_name(type), act_type_name(socktype));
    return 0;
}

int
nk_inetd_quiet_stderr(void)
{
    struct stat in, er;
    int fd;

    if (fstat(2, &er) < 0)
        return -1;
    if (fstat(0, &in) < 0 || !S_ISSOCK(er.st_mode) || in.st_dev != er.st_dev ||
        in.st_ino != er.st_ino)
        return 0;
    fd = open("/dev/null", O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, &er) < 0 || !S_ISCHR(er.st_mode) || dup2(fd, 2) < 0) {
        close(fd);
        return -1;
    }
    if (fd != 2)
        close(fd);
    return 1;
}

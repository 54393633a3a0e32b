/* AF_UNIX addresses (include/netkit/net.h): "unix:PATH" and "unix:@NAME"
 * in and out, the checks before a listener takes a path (live, stale, not
 * a socket), the socket file's mode and its removal, peer credentials,
 * and a datagram client's own address. The rest of the helper layer
 * treats an AF_UNIX address like any other: nk_resolve hands one out. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "netkit/exitcodes.h"
#include "netkit/net.h"
#include "netkit/trace.h"
#include "sock_int.h"
#include "unix_int.h"

#define SUN_OFF offsetof(struct sockaddr_un, sun_path)
#define SUN_MAX sizeof(((struct sockaddr_un *)0)->sun_path)
#define MAX_OWNED 16

int
nk_host_is_unix(const char *host)
{
    return host != NULL &&
           strncmp(host, NK_UNIX_PREFIX, sizeof NK_UNIX_PREFIX - 1) == 0;
}

int
nk_unix_parse(const char *host, struct nk_addr *a, struct nk_err *err)
{
    struct sockaddr_un *sun = (struct sockaddr_un *)(void *)&a->ss;
    const char *name;
    size_t n;
    int abstract;

    if (!nk_host_is_unix(host))
        return nk_err_set(err, NK_EX_DATAERR, "'%s' is not a unix: address",
                          host ? host : "");
    name = host + sizeof NK_UNIX_PREFIX - 1;
    abstract = name[0] == '@';
    n = strlen(name);
    if (n == (size_t)abstract)
        return nk_err_set(err, NK_EX_DATAERR,
                          "%s: no socket path after 'unix:%s'", host,
                          abstract ? "@" : "");
    /* A path needs its NUL inside sun_path; an abstract name is counted
     * by length, its '@' standing for the leading NUL byte. */
    if (n + (size_t)!abstract > SUN_MAX)
        return nk_err_set(err, NK_EX_DATAERR,
                          "%s: socket path longer than %zu bytes", host,
                          SUN_MAX - (size_t)!abstract);
    memset(a, 0, sizeof *a);
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, name, n);
    if (abstract)
        sun->sun_path[0] = '\0';
    a->len = (socklen_t)(SUN_OFF + n + (size_t)!abstract);
    return 0;
}

const char *
nk_unix_format(const struct sockaddr *sa, socklen_t len, char *buf,
               size_t size)
{
    const struct sockaddr_un *sun = (const struct sockaddr_un *)(void *)sa;
    size_t n = len > SUN_OFF ? (size_t)len - SUN_OFF : 0, i;
    int off;

    if (n > SUN_MAX)
        n = SUN_MAX;
    if (n > 0 && sun->sun_path[0] != '\0')
        n = strnlen(sun->sun_path, n);
    off = snprintf(buf, size, "%s", NK_UNIX_PREFIX);
    /* Abstract: '@' for the leading NUL, and for any NUL inside the name
     * (as ss(8) shows them); the name is bytes, not a string. */
    for (i = 0; i < n && off >= 0 && (size_t)off + 1 < size; i++)
        buf[off++] = sun->sun_path[i] == '\0' ? '@' : sun->sun_path[i];
    if (off >= 0 && (size_t)off < size)
        buf[off] = '\0';
    return buf;
}

const char *
nk_peer_format(const struct nk_addr *a, char *buf, size_t size)
{
    const struct sockaddr *sa = (const struct sockaddr *)&a->ss;
    char addr[NK_ADDRSTRLEN + 128];

    nk_addr_format(sa, a->len, addr, sizeof addr);
    if (sa->sa_family != AF_UNIX || !a->cred.known) {
        snprintf(buf, size, "%s", addr);
        return buf;
    }
    /* An unnamed client (the usual case) has only its credentials. */
    snprintf(buf, size, "%s%spid=%d,uid=%u,gid=%u",
             strcmp(addr, NK_UNIX_PREFIX) == 0 ? "" : addr,
             strcmp(addr, NK_UNIX_PREFIX) == 0 ? "" : ",", a->cred.pid,
             a->cred.uid, a->cred.gid);
    return buf;
}

int
nk_unix_peercred(int fd, struct nk_cred *c, struct nk_err *err)
{
    struct ucred uc;
    socklen_t len = sizeof uc;
    int rc;

    memset(c, 0, sizeof *c);
    rc = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len);
    if (nk_tracing())
        nk_trace_sockopt("getsockopt", fd, SOL_SOCKET, SO_PEERCRED,
                         "SO_PEERCRED", rc == 0 ? (int)uc.pid : 0, 0, rc,
                         errno);
    if (rc < 0)
        return nk_err_sys(err, errno, "getsockopt SO_PEERCRED");
    c->known = 1;
    c->pid = (int)uc.pid;
    c->uid = (unsigned)uc.uid;
    c->gid = (unsigned)uc.gid;
    return 0;
}

int
nk_unix_mode_parse(const char *text, unsigned *mode, struct nk_err *err)
{
    unsigned v = 0;

    if (text == NULL || *text == '\0')
        return nk_err_set(err, NK_EX_DATAERR, "mode '': not an octal mode");
    for (const char *p = text; *p != '\0'; p++) {
        if (*p < '0' || *p > '7' || (v = v * 8 + (unsigned)(*p - '0')) > 07777)
            return nk_err_set(err, NK_EX_DATAERR,
                              "mode '%s': not an octal mode (such as 0660)",
                              text);
    }
    *mode = v;
    return 0;
}

/* ---- nk_resolve's answer for a unix: host ---------------------------- */

struct unix_ai {
    struct addrinfo ai;
    struct nk_addr a;
};

int
nk_unix_addrinfo(const char *host, int socktype, struct addrinfo **out,
                 struct nk_err *err)
{
    struct unix_ai *u = calloc(1, sizeof *u);

    if (u == NULL)
        return nk_err_sys(err, ENOMEM, "resolve %s", host);
    if (nk_unix_parse(host, &u->a, err) < 0) {
        free(u);
        return -1;
    }
    u->ai.ai_family = AF_UNIX;
    u->ai.ai_socktype = socktype != 0 ? socktype : SOCK_STREAM;
    u->ai.ai_addr = (struct sockaddr *)&u->a.ss;
    u->ai.ai_addrlen = u->a.len;
    *out = &u->ai;
    return 1;
}

void
nk_unix_addrinfo_free(struct addrinfo *ai)
{
    free(ai); /* the first member of struct unix_ai */
}

/* ---- listeners: before bind, after bind, at the end ------------------ */

static const char *
sun_path_of(const struct sockaddr *sa, socklen_t len)
{
    const struct sockaddr_un *sun = (const struct sockaddr_un *)(void *)sa;

    if (sa->sa_family != AF_UNIX || len <= SUN_OFF || sun->sun_path[0] == 0)
        return NULL; /* abstract or unnamed: no file */
    return sun->sun_path;
}

/* Does anyone answer at sa? 1 yes (or of another socket type: still
 * someone's), 0 no one (ECONNREFUSED: a file left by a server that did
 * not clean up), -1 could not tell (err). */
static int
someone_answers(int socktype, const struct sockaddr *sa, socklen_t len,
                const char *where, struct nk_err *err)
{
    /* Non-blocking: a live server whose backlog is full says EAGAIN
     * instead of making us wait. */
    int e, fd = nk_connect_start(sa, len, socktype, &e, err);

    if (fd < 0)
        return -1;
    nk_close(fd);
    if (e == 0 || e == EAGAIN || e == EINPROGRESS || e == EPROTOTYPE)
        return 1;
    if (e == ECONNREFUSED)
        return 0;
    return nk_err_sys(err, e, "probe %s", where);
}

int
nk_unix_in_use(struct nk_err *err, const char *where)
{
    nk_err_set(err, NK_EX_UNAVAILABLE, "bind %s: in use by another server",
               where);
    if (err != NULL)
        err->sys_errno = EADDRINUSE;
    errno = EADDRINUSE;
    return -1;
}

int
nk_unix_claim(int socktype, const struct sockaddr *sa, socklen_t len,
              struct nk_err *err)
{
    const char *path = sun_path_of(sa, len);
    char where[NK_ADDRSTRLEN + 128];
    struct stat st;
    int live;

    if (path == NULL)
        return 0; /* abstract: bind itself says EADDRINUSE */
    nk_unix_format(sa, len, where, sizeof where);
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : nk_err_sys(err, errno, "stat %s", where);
    if (!S_ISSOCK(st.st_mode))
        return nk_err_set(err, NK_EX_UNAVAILABLE,
                          "bind %s: the file exists and is not a socket "
                          "(left in place)",
                          where);
    live = someone_answers(socktype, sa, len, where, err);
    if (live != 0)
        return live < 0 ? -1 : nk_unix_in_use(err, where);
    if (unlink(path) < 0 && errno != ENOENT)
        return nk_err_sys(err, errno, "remove stale %s", where);
    return 0;
}

static struct owned {
    char path[SUN_MAX + 1];
    dev_t dev;
    ino_t ino;
    pid_t pid;
} owned[MAX_OWNED];
static int nowned;

int
nk_unix_mode_check(const struct sockaddr *sa, socklen_t len, const char *mode,
                   struct nk_err *err)
{
    char where[NK_ADDRSTRLEN + 128];
    unsigned bits;

    if (mode == NULL)
        return 0;
    if (nk_unix_mode_parse(mode, &bits, err) < 0)
        return -1;
    if (sun_path_of(sa, len) != NULL)
        return 0;
    nk_unix_format(sa, len, where, sizeof where);
    return nk_err_set(err, NK_EX_DATAERR, "--mode %s: %s has no socket file",
                      mode, where);
}

void
nk_unix_unbind(const struct sockaddr *sa, socklen_t len)
{
    const char *path = sun_path_of(sa, len);

    if (path != NULL)
        (void)unlink(path);
}

/* Remember the file at path (as it is now) for nk_unix_cleanup. */
static void
own(const char *path)
{
    struct stat st;

    if (nowned == MAX_OWNED || lstat(path, &st) < 0)
        return;
    snprintf(owned[nowned].path, sizeof owned[nowned].path, "%s", path);
    owned[nowned].dev = st.st_dev;
    owned[nowned].ino = st.st_ino;
    owned[nowned].pid = getpid();
    nowned++;
}

int
nk_unix_bound(const struct sockaddr *sa, socklen_t len, const char *mode,
              struct nk_err *err)
{
    const char *path = sun_path_of(sa, len);
    unsigned bits;
    int e;

    if (path != NULL)
        own(path); /* first: a failure below still removes the file */
    if (path == NULL || mode == NULL)
        return 0;
    /* Before listen(): no client can connect while the umask's
     * permissions are still on the file. */
    if (nk_unix_mode_parse(mode, &bits, err) < 0)
        return -1;
    if (chmod(path, (mode_t)bits) == 0)
        return 0;
    e = errno;
    return nk_err_sys(err, e, "chmod %s %s", mode, path);
}

void
nk_unix_cleanup(void)
{
    struct stat st;
    int keep = 0;

    for (int i = 0; i < nowned; i++) {
        struct owned *o = &owned[i];
        if (o->pid != getpid()) {
            owned[keep++] = *o;
            continue;
        }
        /* Only our own file: another server may have taken the path. */
        if (lstat(o->path, &st) == 0 && st.st_dev == o->dev &&
            st.st_ino == o->ino)
            (void)unlink(o->path);
    }
    nowned = keep;
}

int
nk_unix_autobind(int fd, struct nk_err *err)
{
    struct nk_addr a;
    sa_family_t fam = AF_UNIX;
    int rc;

    if (nk_local_addr(fd, &a, err) < 0)
        return -1;
    if (a.len > SUN_OFF)
        return 0; /* bound already */
    /* Linux's autobind: an address of just the family gets a fresh
     * abstract name ("@" and five hex digits), no file to remove. */
    rc = bind(fd, (const struct sockaddr *)(const void *)&fam, sizeof fam);
    if (nk_tracing())
        nk_trace_addr("bind", fd, (const struct sockaddr *)(const void *)&fam,
                      sizeof fam, rc, errno);
    if (rc < 0)
        return nk_err_sys(err, errno, "bind (autobind) for replies");
    return 0;
}

/* --trace and --hexdump (include/netkit/trace.h). The socket-helper layer
 * calls these hooks right after each socket-API call returns; this file
 * decodes the arguments (names for families, types, levels, options and
 * errnos; addresses as 127.0.0.1:9 or [::1]:9) and writes each line to
 * stderr with one write(2), so lines from threads never interleave.
 * Nothing here makes a socket call of its own (no getpeername to name a
 * peer, no getsockopt to learn a type): the trace must show exactly the
 * calls netkit makes, as strace would. What it needs later (a socket's
 * peer, whether it is a datagram socket, how far the dump has got) it
 * remembers per fd from the calls it has seen. */
#include "netkit/trace.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

#include "netkit/clock.h"
#include "netkit/err.h"

int nk_trace_on_;

static int g_level, g_json, g_hex;
static int p_level, p_json, p_hex; /* pending, from the flags */
static int64_t g_start_us;

/* Per-fd memory, for fds below FDMAX (beyond it: no peer, offsets 0). */
enum { FDMAX = 4096, PEERLEN = 56 };
static char g_peer[FDMAX][PEERLEN];
static unsigned char g_dgram[FDMAX];
static unsigned long g_off[FDMAX][2]; /* [0] received, [1] sent */
static unsigned char g_said[FDMAX][2];

static void after_fork_child(void);

static void
forget_fd(int fd)
{
    if (fd < 0 || fd >= FDMAX)
        return;
    g_peer[fd][0] = '\0';
    g_dgram[fd] = 0;
    g_off[fd][0] = g_off[fd][1] = 0;
    g_said[fd][0] = g_said[fd][1] = 0;
}

void
nk_trace_set(int level, int json, int hexdump)
{
    g_level = level;
    g_json = json;
    g_hex = hexdump;
    g_start_us = nk_now_us();
    for (int fd = 0; fd < FDMAX; fd++)
        forget_fd(fd);
    nk_trace_on_ = level != NK_TRACE_OFF || hexdump != NK_HEXDUMP_OFF;
    if (nk_trace_on_) {
        static int registered;
        if (!registered)
            registered = pthread_atfork(NULL, NULL, after_fork_child) == 0;
    }
}

int
nk_trace_flag(const char *a)
{
    if (strcmp(a, "--trace") == 0) {
        p_level = p_level ? p_level : NK_TRACE_CALLS;
        return 1;
    }
    if (strncmp(a, "--trace=", 8) == 0) {
        char v[32];
        char *save = NULL, *w;
        if (strlen(a + 8) >= sizeof v || a[8] == '\0')
            return -1;
        strcpy(v, a + 8);
        p_level = p_level ? p_level : NK_TRACE_CALLS;
        for (w = strtok_r(v, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
            if (strcmp(w, "json") == 0)
                p_json = 1;
            else if (strcmp(w, "all") == 0)
                p_level = NK_TRACE_ALL;
            else if (strcmp(w, "text") != 0)
                return -1;
        }
        return 1;
    }
    if (strcmp(a, "--hexdump") == 0) {
        p_hex = p_hex ? p_hex : NK_HEXDUMP_BOUNDED;
        return 1;
    }
    if (strcmp(a, "--hexdump=all") == 0) {
        p_hex = NK_HEXDUMP_ALL;
        return 1;
    }
    if (strncmp(a, "--hexdump=", 10) == 0)
        return -1;
    return 0;
}

void
nk_trace_flag_reset(void)
{
    p_level = p_json = p_hex = 0;
}

void
nk_trace_apply(void)
{
    nk_trace_set(p_level, p_json, p_hex);
    p_level = p_json = p_hex = 0;
}

/* --- names */

#define N(x)                                                                  \
    {                                                                         \
        x, #x                                                                 \
    }
struct name {
    int v;
    const char *s;
};

static const struct name errnos[] = {
    N(EPERM),           N(ENOENT),       N(EINTR),        N(EIO),
    N(EBADF),           N(EAGAIN),       N(ENOMEM),       N(EACCES),
    N(EFAULT),          N(EINVAL),       N(ENFILE),       N(EMFILE),
    N(ENOSPC),          N(EPIPE),        N(ENOTSOCK),     N(EDESTADDRREQ),
    N(EMSGSIZE),        N(EPROTOTYPE),   N(ENOPROTOOPT),  N(EPROTONOSUPPORT),
    N(EOPNOTSUPP),      N(EAFNOSUPPORT), N(EADDRINUSE),   N(EADDRNOTAVAIL),
    N(ENETDOWN),        N(ENETUNREACH),  N(ECONNABORTED), N(ECONNRESET),
    N(ENOBUFS),         N(EISCONN),      N(ENOTCONN),     N(ETIMEDOUT),
    N(ECONNREFUSED),    N(EHOSTDOWN),    N(EHOSTUNREACH), N(EALREADY),
    N(EINPROGRESS),     N(EPROTO),       N(ENOTDIR),      N(EISDIR),
#ifdef ESHUTDOWN
    N(ESHUTDOWN),
#endif
#ifdef ESOCKTNOSUPPORT
    N(ESOCKTNOSUPPORT),
#endif
#ifdef ENONET
    N(ENONET),
#endif
};

static const struct name families[] = {
    N(AF_UNSPEC),  N(AF_INET), N(AF_INET6), N(AF_UNIX),
#ifdef AF_NETLINK
    N(AF_NETLINK),
#endif
};

static const struct name levels[] = {
    N(SOL_SOCKET),  N(IPPROTO_IP),   N(IPPROTO_IPV6),   N(IPPROTO_TCP),
    N(IPPROTO_UDP), N(IPPROTO_ICMP), N(IPPROTO_ICMPV6),
};

static const struct name socktypes[] = {
    N(SOCK_STREAM),
    N(SOCK_DGRAM),
    N(SOCK_RAW),
    N(SOCK_SEQPACKET),
};

static const struct name gai_errors[] = {
    N(EAI_AGAIN),      N(EAI_BADFLAGS), N(EAI_FAIL),
    N(EAI_FAMILY),     N(EAI_MEMORY),   N(EAI_NONAME),
    N(EAI_SERVICE),    N(EAI_SOCKTYPE), N(EAI_SYSTEM),
#ifdef EAI_NODATA
    N(EAI_NODATA),
#endif
#ifdef EAI_ADDRFAMILY
    N(EAI_ADDRFAMILY),
#endif
};

static const char *
lookup(const struct name *t, size_t n, int v)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].v == v)
            return t[i].s;
    return NULL;
}
#define LOOKUP(t, v) lookup(t, sizeof t / sizeof t[0], v)

const char *
nk_trace_errno_name(int e)
{
    /* EWOULDBLOCK is EAGAIN on Linux; the table has the one name. */
    return LOOKUP(errnos, e);
}

const char *
nk_trace_gai_name(int rc)
{
    const char *s = LOOKUP(gai_errors, rc);
    return s ? s : "EAI_?";
}

const char *
nk_trace_family_name(int family)
{
    const char *s = LOOKUP(families, family);
    return s ? s : "AF_?";
}

const char *
nk_trace_level_name(int level)
{
    const char *s = LOOKUP(levels, level);
    return s ? s : "?";
}

const char *
nk_trace_type_name(int type, char *buf, size_t size)
{
    int base = type & 0xf;
    const char *s = LOOKUP(socktypes, base);

    snprintf(buf, size, "%s%s%s", s ? s : "SOCK_?",
             type & SOCK_CLOEXEC ? "|SOCK_CLOEXEC" : "",
             type & SOCK_NONBLOCK ? "|SOCK_NONBLOCK" : "");
    return buf;
}

/* An AF_UNIX address as the helper layer prints it (net/unix.c, which
 * lib/ may not call): "unix:PATH", "unix:@NAME" for the abstract
 * namespace, "unix:" for an unnamed socket; bytes outside printable ASCII
 * as \xNN, since the name is the kernel's bytes, not text. */
static void
unix_name(const struct sockaddr_un *s, socklen_t len, char *buf, size_t size)
{
    size_t off = offsetof(struct sockaddr_un, sun_path);
    size_t n = len > off ? (size_t)len - off : 0, k, i = 0;
    int w = snprintf(buf, size, "unix:");

    k = w > 0 ? (size_t)w : 0;
    if (n > sizeof s->sun_path)
        n = sizeof s->sun_path;
    if (n > 0 && s->sun_path[0] == '\0') {
        if (k + 1 < size)
            buf[k++] = '@';
        i = 1;
    } else {
        n = strnlen(s->sun_path, n);
    }
    for (; i < n && k + 5 < size; i++) {
        unsigned char c = (unsigned char)s->sun_path[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            buf[k++] = (char)c;
        else
            k += (size_t)snprintf(buf + k, size - k, "\\x%02x", c);
    }
    if (k < size)
        buf[k] = '\0';
}

const char *
nk_trace_sockaddr(const struct sockaddr *sa, socklen_t len, char *buf,
                  size_t size)
{
    char h[INET6_ADDRSTRLEN];

    if (sa == NULL || len < sizeof(sa_family_t)) {
        snprintf(buf, size, "?");
    } else if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *s = (const void *)sa;
        inet_ntop(AF_INET, &s->sin_addr, h, sizeof h);
        snprintf(buf, size, "%s:%u", h, ntohs(s->sin_port));
    } else if (sa->sa_family == AF_INET6 &&
               len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *s = (const void *)sa;
        inet_ntop(AF_INET6, &s->sin6_addr, h, sizeof h);
        snprintf(buf, size, "[%s]:%u", h, ntohs(s->sin6_port));
    } else if (sa->sa_family == AF_UNIX) {
        unix_name((const struct sockaddr_un *)(const void *)sa, len, buf,
                  size);
    } else {
        snprintf(buf, size, "%s", nk_trace_family_name(sa->sa_family));
    }
    return buf;
}

size_t
nk_trace_hexline(const unsigned char *p, size_t n, unsigned long off,
                 char *buf, size_t size)
{
    size_t k;
    int w = snprintf(buf, size, "%08lx ", off);

    k = w > 0 ? (size_t)w : 0;
    for (size_t i = 0; i < 16 && k + 4 < size; i++) {
        if (i == 8)
            buf[k++] = ' ';
        if (i < n)
            k += (size_t)snprintf(buf + k, size - k, " %02x", p[i]);
        else
            k += (size_t)snprintf(buf + k, size - k, "   ");
    }
    if (k + n + 5 >= size)
        return k;
    buf[k++] = ' ';
    buf[k++] = ' ';
    buf[k++] = '|';
    for (size_t i = 0; i < n && i < 16; i++)
        buf[k++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
    buf[k++] = '|';
    buf[k] = '\0';
    return k;
}

/* --- the line being built */

struct ev {
    char t[1024]; /* the arguments, text */
    size_t tl;
    char j[1536]; /* the arguments, JSON members */
    size_t jl;
    char tail[256]; /* after the result: " peer 127.0.0.1:5" */
    size_t taill;
    char jx[256]; /* extra JSON members after "errno" */
    size_t jxl;
};

static void __attribute__((format(printf, 4, 0)))
app(char *b, size_t cap, size_t *l, const char *fmt, va_list ap)
{
    int n;

    if (*l >= cap - 1)
        return;
    n = vsnprintf(b + *l, cap - *l, fmt, ap);
    if (n > 0)
        *l = *l + (size_t)n < cap - 1 ? *l + (size_t)n : cap - 1;
}

static void __attribute__((format(printf, 2, 3)))
targ(struct ev *e, const char *fmt, ...)
{
    va_list ap;

    if (e->tl > 0) {
        e->t[e->tl++] = ',';
        e->t[e->tl++] = ' ';
        e->t[e->tl] = '\0';
    }
    va_start(ap, fmt);
    app(e->t, sizeof e->t, &e->tl, fmt, ap);
    va_end(ap);
}

static void __attribute__((format(printf, 2, 3)))
ttail(struct ev *e, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    app(e->tail, sizeof e->tail, &e->taill, fmt, ap);
    va_end(ap);
}

/* JSON: our values are names, numbers, addresses and hex; only the host
 * and port asked of the resolver come from the user, and those are
 * escaped here. */
static void
jesc(char *b, size_t cap, size_t *l, const char *s)
{
    for (; *s && *l + 8 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            b[(*l)++] = '\\';
            b[(*l)++] = (char)c;
        } else if (c < 0x20 || c >= 0x7f) {
            *l += (size_t)snprintf(b + *l, cap - *l, "\\u%04x", c);
        } else {
            b[(*l)++] = (char)c;
        }
    }
    b[*l] = '\0';
}

static void
jstr_to(char *b, size_t cap, size_t *l, const char *key, const char *val)
{
    if (*l + strlen(key) + 8 >= cap)
        return;
    *l +=
        (size_t)snprintf(b + *l, cap - *l, "%s\"%s\":\"", *l ? "," : "", key);
    jesc(b, cap, l, val);
    if (*l + 2 < cap) {
        b[(*l)++] = '"';
        b[*l] = '\0';
    }
}

static void
jstr(struct ev *e, const char *key, const char *val)
{
    jstr_to(e->j, sizeof e->j, &e->jl, key, val);
}

static void
jnum(struct ev *e, const char *key, long v)
{
    if (e->jl + 40 < sizeof e->j)
        e->jl += (size_t)snprintf(e->j + e->jl, sizeof e->j - e->jl,
                                  "%s\"%s\":%ld", e->jl ? "," : "", key, v);
}

static void
jxstr(struct ev *e, const char *key, const char *val)
{
    jstr_to(e->jx, sizeof e->jx, &e->jxl, key, val);
}

/* --- output */

static void
write_all(const char *b, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        b += w;
        n -= (size_t)w;
    }
}

static int thread_counter;
static _Thread_local int t_thread;
static _Thread_local long t_tid;
static _Thread_local long t_pid;
static long
    g_child_pid; /* nonzero in a forked child (echo-tcp --model fork) */

/* A forked child is a new process: its threads get new numbers and its
 * lines say its pid, so they are not read as the parent's. */
static void
after_fork_child(void)
{
    t_thread = 0;
    thread_counter = 0;
    g_child_pid = (long)getpid();
}

static int
thread_no(long *tid)
{
    if (t_thread == 0) {
        t_thread = __atomic_add_fetch(&thread_counter, 1, __ATOMIC_RELAXED);
#ifdef __linux__
        t_tid = (long)syscall(SYS_gettid);
#else
        t_tid = (long)getpid();
#endif
        t_pid = (long)getpid();
    }
    *tid = t_tid;
    return t_thread;
}

/* The Python method of the lessons where the call's name differs. */
static const char *
lesson_of(const char *call)
{
    static const struct {
        const char *call, *lesson;
    } map[] = {
        {"accept4", "accept()"},
        {"recvmmsg", "recvfrom()"},
        {"sendmmsg", "sendto()"},
        {"recvmsg", "recvfrom()"},
        {"sendmsg", "sendto()"},
        {"read", "recv()"},
        {"write", "send()"},
        {"epoll_wait", "selectors.select()"},
        {"poll", "select.poll()"},
        {"fcntl", "setblocking()"},
        {"getaddrinfo", "getaddrinfo()"},
    };

    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].call, call) == 0)
            return map[i].lesson;
    return NULL;
}

static void
emit(struct ev *e, const char *call, const char *lesson, long rc, int err,
     const char *jdata)
{
    char line[1024 + 2 * NK_HEXDUMP_BOUND + 4096], ebuf[128];
    size_t l = 0;
    long tid;
    int th = thread_no(&tid);
    /* err 0 with a negative result: a resolver's EAI_ code, said in the
     * tail by its hook; there is no errno to name. */
    int sys = rc < 0 && err != 0;
    const char *en = sys ? nk_trace_errno_name(err) : NULL;
    char enum_[16];
    int64_t t = nk_now_us() - g_start_us;

    if (lesson == NULL)
        lesson = lesson_of(call);
    if (lesson != NULL && lesson[0] == '\0')
        lesson = NULL;
    if (sys && en == NULL) {
        snprintf(enum_, sizeof enum_, "E%d", err);
        en = enum_;
    }
    if (g_json) {
        l = (size_t)snprintf(line, sizeof line,
                             "{\"t_us\":%lld,\"thread\":%d,\"tid\":%ld,"
                             "\"pid\":%ld,\"call\":\"%s\",",
                             (long long)t, th, tid, t_pid, call);
        if (lesson)
            l += (size_t)snprintf(line + l, sizeof line - l,
                                  "\"lesson\":\"%s\",", lesson);
        l += (size_t)snprintf(line + l, sizeof line - l,
                              "\"args\":{%s},\"result\":%ld,", e->j, rc);
        if (sys)
            l += (size_t)snprintf(line + l, sizeof line - l,
                                  "\"errno\":\"%s\",\"error\":\"%s\"", en,
                                  nk_strerror(err, ebuf, sizeof ebuf));
        else
            l += (size_t)snprintf(line + l, sizeof line - l, "\"errno\":null");
        if (l < sizeof line)
            l += (size_t)snprintf(line + l, sizeof line - l, "%s%s%s%s%s}\n",
                                  e->jxl ? "," : "", e->jx,
                                  jdata ? ",\"data\":\"" : "",
                                  jdata ? jdata : "", jdata ? "\"" : "");
    } else {
        char who[48];
        if (g_child_pid)
            snprintf(who, sizeof who, "%d pid %ld", th, g_child_pid);
        else
            snprintf(who, sizeof who, "%d", th);
        l = (size_t)snprintf(line, sizeof line, "[%s] %s(%s) = %ld%s", who,
                             call, e->t, rc, e->tail);
        if (sys && l < sizeof line)
            l += (size_t)snprintf(line + l, sizeof line - l, " %s (%s)", en,
                                  nk_strerror(err, ebuf, sizeof ebuf));
        if (lesson && l < sizeof line)
            l += (size_t)snprintf(line + l, sizeof line - l, "  # %s", lesson);
        if (l < sizeof line)
            l += (size_t)snprintf(line + l, sizeof line - l, "\n");
    }
    if (l >= sizeof line) {
        l = sizeof line - 1;
        line[l - 1] = '\n';
    }
    write_all(line, l);
}

#define EV_INIT(e)                                                            \
    ((e).tl = (e).jl = (e).taill = (e).jxl = 0,                               \
     (e).t[0] = (e).j[0] = (e).tail[0] = (e).jx[0] = '\0')

/* An event begun: 0 when calls are not traced. */
static int
ev_begin(struct ev *e)
{
    if (g_level == NK_TRACE_OFF)
        return 0;
    EV_INIT(*e);
    return 1;
}

/* An argument in both forms: "v" in the text, "key":v in the JSON. */
static void
arg_num(struct ev *e, const char *key, long v)
{
    targ(e, "%ld", v);
    jnum(e, key, v);
}

static void
arg_str(struct ev *e, const char *key, const char *v)
{
    targ(e, "%s", v);
    jstr(e, key, v);
}

/* An event begun with the call's fd as its first argument. */
static int
ev_begin_fd(struct ev *e, int fd)
{
    if (!ev_begin(e))
        return 0;
    arg_num(e, "fd", fd);
    return 1;
}

/* What the call answered, after its result: "SEPv" in the text, an
 * extra JSON member. */
static void
answer(struct ev *e, const char *sep, const char *key, const char *v)
{
    ttail(e, "%s%s", sep, v);
    jxstr(e, key, v);
}

/* A resolver's failure, after its result. */
static void
answer_gai(struct ev *e, int rc)
{
    ttail(e, " %s (%s)", nk_trace_gai_name(rc), gai_strerror(rc));
    jxstr(e, "gai", nk_trace_gai_name(rc));
    jxstr(e, "gai_error", gai_strerror(rc));
}

/* --- hexdump */

static const char *
peer_of(int fd)
{
    return fd >= 0 && fd < FDMAX && g_peer[fd][0] ? g_peer[fd] : NULL;
}

static void
remember_peer(int fd, const struct sockaddr *sa, socklen_t len)
{
    if (fd >= 0 && fd < FDMAX && sa != NULL)
        nk_trace_sockaddr(sa, len, g_peer[fd], PEERLEN);
}

/* How many of n bytes may be dumped on fd in direction out, and from
 * which offset; says the bound once when it cuts. */
static size_t
dump_quota(int fd, int out, size_t n, unsigned long *off, int *cut)
{
    unsigned long o = 0;
    size_t k = n;

    *cut = 0;
    if (fd >= 0 && fd < FDMAX) {
        o = g_off[fd][out];
        if (g_hex != NK_HEXDUMP_ALL) {
            unsigned long left =
                o >= NK_HEXDUMP_BOUND ? 0 : NK_HEXDUMP_BOUND - o;
            if (k > left) {
                k = left;
                *cut = !g_said[fd][out];
                g_said[fd][out] = 1;
            }
        }
        g_off[fd][out] = o + n;
        if (g_dgram[fd]) {
            o = 0; /* each datagram is its own message */
            g_off[fd][out] = 0;
            if (g_hex != NK_HEXDUMP_ALL && n > NK_HEXDUMP_BOUND) {
                k = NK_HEXDUMP_BOUND;
                *cut = 1;
            }
        }
    }
    *off = o;
    return k;
}

static void
dump(int fd, const unsigned char *p, size_t n, int out, const char *peer)
{
    char buf[8192], line[96];
    unsigned long off;
    int cut;
    size_t k = dump_quota(fd, out, n, &off, &cut), l;

    if (peer == NULL)
        peer = peer_of(fd);
    l = (size_t)snprintf(buf, sizeof buf, "%s fd %d %s %s, %zu bytes\n",
                         out ? ">" : "<", fd, out ? "to" : "from",
                         peer ? peer : "peer", n);
    for (size_t i = 0; i < k; i += 16) {
        size_t m = nk_trace_hexline(p + i, k - i < 16 ? k - i : 16, off + i,
                                    line, sizeof line);
        if (l + m + 2 > sizeof buf) {
            write_all(buf, l);
            l = 0;
        }
        memcpy(buf + l, line, m);
        l += m;
        buf[l++] = '\n';
    }
    if (cut && l + 120 < sizeof buf)
        l += (size_t)snprintf(buf + l, sizeof buf - l,
                              "(hexdump: %d bytes a connection and direction "
                              "shown; --hexdump=all shows every byte)\n",
                              NK_HEXDUMP_BOUND);
    write_all(buf, l);
}

/* The bytes as hex for the JSON event, bounded as the dump. */
static const char *
hexdata(int fd, const unsigned char *p, size_t n, int out, char *buf,
        size_t size)
{
    unsigned long off;
    int cut;
    size_t k = dump_quota(fd, out, n, &off, &cut);

    if (k * 2 + 1 > size)
        k = (size - 1) / 2;
    for (size_t i = 0; i < k; i++)
        snprintf(buf + 2 * i, 3, "%02x", p[i]);
    buf[2 * k] = '\0';
    return buf;
}

/* --- hooks */

void
nk_trace_socket(int family, int type, int protocol, int rc, int e)
{
    struct ev ev;
    char tb[64];

    if (rc >= 0)
        forget_fd(rc);
    if (rc >= 0 && rc < FDMAX)
        g_dgram[rc] = (type & 0xf) != SOCK_STREAM;
    if (ev_begin(&ev)) {
        arg_str(&ev, "family", nk_trace_family_name(family));
        arg_str(&ev, "type", nk_trace_type_name(type, tb, sizeof tb));
        if (protocol != 0)
            arg_num(&ev, "protocol", protocol);
        emit(&ev, "socket", NULL, rc, e, NULL);
    }
    errno = e;
}

void
nk_trace_sockopt(const char *call, int fd, int level, int opt,
                 const char *name, long val, int is_ms, int rc, int e)
{
    struct ev ev;
    char v[64];

    (void)opt;
    if (!ev_begin_fd(&ev, fd))
        goto out;
    if (is_ms)
        snprintf(v, sizeof v, "%ld.%03lds", val / 1000, val % 1000);
    else if (strcmp(name, "SO_ERROR") == 0 && val != 0 &&
             nk_trace_errno_name((int)val))
        snprintf(v, sizeof v, "%s", nk_trace_errno_name((int)val));
    else
        snprintf(v, sizeof v, "%ld", val);
    arg_str(&ev, "level", nk_trace_level_name(level));
    arg_str(&ev, "option", name);
    if (call[0] == 's') /* setsockopt: the value is an argument */
        arg_str(&ev, "value", v);
    else if (rc == 0) /* getsockopt: the value is the answer */
        answer(&ev, " -> ", "value", v);
    emit(&ev, call, NULL, rc, e, NULL);
out:
    errno = e;
}

void
nk_trace_addr(const char *call, int fd, const struct sockaddr *sa,
              socklen_t len, int rc, int e)
{
    struct ev ev;
    char a[PEERLEN];
    int is_get = strncmp(call, "get", 3) == 0; /* getsockname/getpeername */

    if (strcmp(call, "connect") == 0 && (rc == 0 || e == EINPROGRESS))
        remember_peer(fd, sa, len);
    if (ev_begin_fd(&ev, fd)) {
        nk_trace_sockaddr(sa, len, a, sizeof a);
        if (!is_get)
            arg_str(&ev, "addr", a);
        else if (rc == 0)
            answer(&ev, " -> ", "addr", a);
        emit(&ev, call, NULL, rc, e, NULL);
    }
    errno = e;
}

void
nk_trace_listen(int fd, int backlog, int rc, int e)
{
    struct ev ev;

    if (ev_begin_fd(&ev, fd)) {
        arg_num(&ev, "backlog", backlog);
        emit(&ev, "listen", NULL, rc, e, NULL);
    }
    errno = e;
}

void
nk_trace_accept(const char *call, int lfd, int flags,
                const struct sockaddr *peer, socklen_t len, int rc, int e)
{
    struct ev ev;
    char a[PEERLEN], fb[64];

    if (rc >= 0) {
        forget_fd(rc);
        remember_peer(rc, peer, len);
    }
    if (!ev_begin_fd(&ev, lfd))
        goto out;
    if (flags) {
        snprintf(fb, sizeof fb, "%s%s%s",
                 flags & SOCK_CLOEXEC ? "SOCK_CLOEXEC" : "",
                 (flags & SOCK_CLOEXEC) && (flags & SOCK_NONBLOCK) ? "|" : "",
                 flags & SOCK_NONBLOCK ? "SOCK_NONBLOCK" : "");
        arg_str(&ev, "flags", fb);
    }
    if (rc >= 0)
        answer(&ev, " peer ", "peer",
               nk_trace_sockaddr(peer, len, a, sizeof a));
    emit(&ev, call, NULL, rc, e, NULL);
out:
    errno = e;
}

void
nk_trace_io(const char *call, const char *lesson, int fd, size_t len,
            ssize_t rc, int e, const void *buf, int out,
            const struct sockaddr *peer, socklen_t plen)
{
    struct ev ev;
    char a[PEERLEN], *hex = NULL;
    static _Thread_local char hb[2 * NK_HEXDUMP_BOUND + 1];
    int inbound_from = !out && peer != NULL;

    a[0] = '\0';
    if (peer != NULL && plen > 0)
        nk_trace_sockaddr(peer, plen, a, sizeof a);
    if (ev_begin_fd(&ev, fd)) {
        arg_num(&ev, "len", (long)len);
        if (a[0] && !inbound_from)
            arg_str(&ev, "addr", a);
        if (a[0] && inbound_from && rc >= 0)
            answer(&ev, " from ", "from", a);
        if (g_json && g_hex && rc > 0 && buf != NULL)
            hex = (char *)hexdata(fd, buf, (size_t)rc, out, hb, sizeof hb);
        emit(&ev, call, lesson, rc, e, hex);
    }
    if (g_hex && !g_json && rc > 0 && buf != NULL)
        dump(fd, buf, (size_t)rc, out, a[0] ? a : NULL);
    errno = e;
}

void
nk_trace_batch(const char *call, int fd, int n, int rc, int e)
{
    struct ev ev;

    if (ev_begin_fd(&ev, fd)) {
        targ(&ev, "%d messages", n);
        jnum(&ev, "vlen", n);
        emit(&ev, call, NULL, rc, e, NULL);
    }
    errno = e;
}

void
nk_trace_batch_bytes(int fd, const void *buf, size_t len, int out,
                     const struct sockaddr *peer, socklen_t plen)
{
    char a[PEERLEN];
    int e = errno;

    a[0] = '\0';
    if (peer != NULL && plen > 0)
        nk_trace_sockaddr(peer, plen, a, sizeof a);
    if (g_hex && !g_json) {
        dump(fd, buf, len, out, a[0] ? a : NULL);
    } else if (g_hex && g_level != NK_TRACE_OFF) {
        /* JSON: one "message" event per datagram of the batch above it */
        static _Thread_local char hb[2 * NK_HEXDUMP_BOUND + 1];
        struct ev ev;
        EV_INIT(ev);
        jnum(&ev, "fd", fd);
        jstr(&ev, "dir", out ? "out" : "in");
        if (a[0])
            jstr(&ev, out ? "to" : "from", a);
        emit(&ev, "message", "", (long)len, 0,
             hexdata(fd, buf, len, out, hb, sizeof hb));
    }
    errno = e;
}

void
nk_trace_fcntl(int fd, int flags, int rc, int e)
{
    struct ev ev;
    int nb = (flags & O_NONBLOCK) != 0;

    if (ev_begin_fd(&ev, fd)) {
        arg_str(&ev, "cmd", "F_SETFL");
        targ(&ev, "%s", nb ? "O_RDWR|O_NONBLOCK" : "O_RDWR");
        jnum(&ev, "nonblock", nb);
        emit(&ev, "fcntl", nb ? "setblocking(False)" : "setblocking(True)", rc,
             e, NULL);
    }
    errno = e;
}

void
nk_trace_close(int fd, int rc, int e)
{
    struct ev ev;

    forget_fd(fd);
    if (ev_begin_fd(&ev, fd))
        emit(&ev, "close", NULL, rc, e, NULL);
    errno = e;
}

void
nk_trace_shutdown(int fd, int how, int rc, int e)
{
    struct ev ev;
    const char *h = how == SHUT_WR   ? "SHUT_WR"
                    : how == SHUT_RD ? "SHUT_RD"
                                     : "SHUT_RDWR";

    if (ev_begin_fd(&ev, fd)) {
        arg_str(&ev, "how", h);
        emit(&ev, "shutdown", NULL, rc, e, NULL);
    }
    errno = e;
}

void
nk_trace_resolve(const char *host, const char *port, int family, int socktype,
                 int flags, int rc, const struct addrinfo *ai)
{
    struct ev ev;
    char a[PEERLEN], tb[64];
    size_t n = 0;
    int e = errno;

    if (!ev_begin(&ev))
        goto out;
    targ(&ev, "%s", host ? host : "NULL");
    targ(&ev, "%s", port ? port : "NULL");
    jstr(&ev, "host", host ? host : "");
    jstr(&ev, "port", port ? port : "");
    arg_str(&ev, "family", nk_trace_family_name(family));
    targ(&ev, "%s",
         socktype ? nk_trace_type_name(socktype, tb, sizeof tb) : "0");
    if (flags & AI_PASSIVE)
        targ(&ev, "AI_PASSIVE");
    if (flags & AI_NUMERICHOST)
        targ(&ev, "AI_NUMERICHOST");
    if (flags & AI_CANONNAME)
        targ(&ev, "AI_CANONNAME");
    if (rc != 0) {
        answer_gai(&ev, rc);
    } else {
        char list[200];
        size_t ll = 0;
        list[0] = '\0';
        for (const struct addrinfo *p = ai; p != NULL; p = p->ai_next) {
            nk_trace_sockaddr(p->ai_addr, p->ai_addrlen, a, sizeof a);
            ttail(&ev, "%s%s", n++ ? " " : " -> ", a);
            if (ll + strlen(a) + 4 < sizeof list)
                ll += (size_t)snprintf(list + ll, sizeof list - ll, "%s%s",
                                       ll ? " " : "", a);
        }
        jxstr(&ev, "answers", list);
    }
    emit(&ev, "getaddrinfo", "getaddrinfo()", rc, 0, NULL);
out:
    errno = e;
}

void
nk_trace_getnameinfo(const struct sockaddr *sa, socklen_t len,
                     const char *name, int rc)
{
    struct ev ev;
    char a[PEERLEN];
    int e = errno;

    if (ev_begin(&ev)) {
        arg_str(&ev, "addr", nk_trace_sockaddr(sa, len, a, sizeof a));
        if (rc == 0)
            answer(&ev, " -> ", "name", name);
        else
            answer_gai(&ev, rc);
        emit(&ev, "getnameinfo", "gethostbyaddr()", rc, 0, NULL);
    }
    errno = e;
}

static long g_wakeups;
static int64_t g_wake_last;

void
nk_trace_wait(const char *call, int nfds, int timeout_ms, int rc, int e)
{
    struct ev ev;
    int64_t t;
    long n;

    if (!ev_begin(&ev))
        goto out;
    if (g_level == NK_TRACE_ALL) {
        targ(&ev, "%d fds", nfds);
        targ(&ev, "%d ms", timeout_ms);
        jnum(&ev, "nfds", nfds);
        jnum(&ev, "timeout_ms", timeout_ms);
        emit(&ev, call, NULL, rc, e, NULL);
        goto out;
    }
    /* Summarised: a server under load wakes thousands of times a second. */
    n = __atomic_add_fetch(&g_wakeups, 1, __ATOMIC_RELAXED);
    t = nk_now_us();
    if (g_wake_last == 0)
        g_wake_last = t;
    if (t - __atomic_load_n(&g_wake_last, __ATOMIC_RELAXED) < 1000000)
        goto out;
    __atomic_store_n(&g_wake_last, t, __ATOMIC_RELAXED);
    __atomic_store_n(&g_wakeups, 0, __ATOMIC_RELAXED);
    targ(&ev, "%ld wakeups in the last second", n);
    jnum(&ev, "wakeups", n);
    emit(&ev, call, NULL, n, 0, NULL);
out:
    errno = e;
}

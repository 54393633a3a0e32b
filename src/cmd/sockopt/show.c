/* netkit sockopt show: a fresh socket's settings (blocking, timeout,
 * buffer sizes, SO_REUSEADDR, TCP_NODELAY...), each read back from the
 * socket, before and after the changes asked for, with a note on what
 * the kernel did to each request. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>

#include "netkit/err.h"
#include "netkit/exitcodes.h"
#include "netkit/net.h"
#include "netkit/out.h"
#include "netkit/pair.h"

#include "sockopt_int.h"

enum so_kind { K_BLOCKING, K_TIMEOUT, K_INT, K_BOOL };
enum so_only { FOR_ALL, FOR_TCP, FOR_V6, FOR_UNIX };

struct so_item {
    const char *key;
    enum so_kind kind;
    int level, opt;
    const char *name;
    enum so_only only;
};

static const struct so_item items[N_ITEMS] = {
    {"blocking", K_BLOCKING, 0, 0, "O_NONBLOCK", FOR_ALL},
    /* --timeout sets SO_SNDTIMEO too; SO_RCVTIMEO is what recv and accept
     * obey, so it is the one shown. */
    {"timeout", K_TIMEOUT, NK_SOCKOPT(SOL_SOCKET, SO_RCVTIMEO), FOR_ALL},
    {"so_sndbuf", K_INT, NK_SOCKOPT(SOL_SOCKET, SO_SNDBUF), FOR_ALL},
    {"so_rcvbuf", K_INT, NK_SOCKOPT(SOL_SOCKET, SO_RCVBUF), FOR_ALL},
    {"so_reuseaddr", K_BOOL, NK_SOCKOPT(SOL_SOCKET, SO_REUSEADDR), FOR_ALL},
    {"so_keepalive", K_BOOL, NK_SOCKOPT(SOL_SOCKET, SO_KEEPALIVE), FOR_ALL},
    {"so_broadcast", K_BOOL, NK_SOCKOPT(SOL_SOCKET, SO_BROADCAST), FOR_ALL},
    {"tcp_nodelay", K_BOOL, NK_SOCKOPT(IPPROTO_TCP, TCP_NODELAY), FOR_TCP},
    {"tcp_maxseg", K_INT, NK_SOCKOPT(IPPROTO_TCP, TCP_MAXSEG), FOR_TCP},
    {"ipv6_v6only", K_BOOL, NK_SOCKOPT(IPPROTO_IPV6, IPV6_V6ONLY), FOR_V6},
    {"so_passcred", K_BOOL, NK_SOCKOPT(SOL_SOCKET, SO_PASSCRED), FOR_UNIX},
};

static int
applies(const struct so_item *it, const struct so_opts *opt)
{
    int is_unix = opt->family == AF_UNIX;

    return it->only == FOR_ALL ||
           (it->only == FOR_TCP && !opt->udp && !is_unix) ||
           (it->only == FOR_V6 && opt->family == AF_INET6) ||
           (it->only == FOR_UNIX && is_unix);
}

static int
read_item(int fd, const struct so_item *it, int *val, struct nk_err *err)
{
    int nb;

    switch (it->kind) {
    case K_BLOCKING:
        if ((nb = nk_get_nonblock(fd, err)) < 0)
            return -1;
        *val = !nb;
        return 0;
    case K_TIMEOUT:
        return nk_sockopt_get_timeout(fd, it->opt, it->name, val, err);
    default:
        return nk_sockopt_get_int(fd, it->level, it->opt, it->name, val, err);
    }
}

static int
write_item(int fd, const struct so_item *it, int val, struct nk_err *err)
{
    switch (it->kind) {
    case K_BLOCKING:
        return nk_set_nonblock(fd, !val, err);
    case K_TIMEOUT:
        if (nk_sockopt_set_timeout(fd, SO_RCVTIMEO, "SO_RCVTIMEO", val, err) <
            0)
            return -1;
        return nk_sockopt_set_timeout(fd, SO_SNDTIMEO, "SO_SNDTIMEO", val,
                                      err);
    default:
        return nk_sockopt_set_int(fd, it->level, it->opt, it->name, val, err);
    }
}

static void
emit_item(struct nk_out *o, const struct so_item *it, const char *suffix,
          int val)
{
    char key[64];

    snprintf(key, sizeof key, "%s%s", it->key, suffix);
    if (it->kind == K_TIMEOUT)
        sockopt_emit_timeout(o, key, val);
    else if (it->kind == K_INT)
        nk_out_int(o, key, val);
    else
        nk_out_bool(o, key, val != 0);
}

/* A Linux sysctl as a number, -1 where there is none. */
static long long
read_sysctl(const char *path)
{
    FILE *fp = fopen(path, "r");
    long long v = -1;

    if (fp == NULL)
        return -1;
    if (fscanf(fp, "%lld", &v) != 1)
        v = -1;
    fclose(fp);
    return v;
}

/* What the kernel did to a buffer size, worked out from the real values:
 * Linux caps the request at net.core.[wr]mem_max, doubles it for its own
 * bookkeeping and raises it to a minimum (socket(7)). */
static void
buf_note(struct nk_out *o, const char *name, int req, int got)
{
    int snd = strcmp(name, "SO_SNDBUF") == 0;
    const char *sysctl = snd ? "net.core.wmem_max" : "net.core.rmem_max";
    long long r = req, g = got, max;

    if (g == r)
        return;
    if (g == 2 * r) {
        nk_out_strf(o, NULL,
                    "%s: asked for %d, got %d: the kernel doubled it, keeping "
                    "the extra half for its own bookkeeping (socket(7))",
                    name, req, got);
        return;
    }
    if (g > 2 * r) {
        nk_out_strf(o, NULL,
                    "%s: asked for %d, got %d: raised to the kernel's minimum",
                    name, req, got);
        return;
    }
    max = read_sysctl(snd ? "/proc/sys/net/core/wmem_max"
                          : "/proc/sys/net/core/rmem_max");
    if (max > 0 && max < r && g == 2 * max)
        nk_out_strf(o, NULL,
                    "%s: asked for %d, got %d: the kernel capped the request "
                    "at %s (%lld) and doubled that (socket(7))",
                    name, req, got, sysctl, max);
    else
        nk_out_strf(o, NULL,
                    "%s: asked for %d, got %d: the kernel adjusted it", name,
                    req, got);
}

static void
emit_notes(struct nk_out *o, const struct so_opts *opt, const int *after)
{
    nk_out_arr(o, "note");
    for (int i = I_SNDBUF; i <= I_RCVBUF; i++)
        if (opt->set[i])
            buf_note(o, items[i].name, opt->req[i], after[i]);
    if (opt->set[I_TIMEOUT] && after[I_TIMEOUT] != opt->req[I_TIMEOUT])
        nk_out_strf(o, NULL,
                    "timeout: asked for %d ms, got %d ms: the kernel keeps "
                    "socket timeouts in timer ticks",
                    opt->req[I_TIMEOUT], after[I_TIMEOUT]);
    nk_out_close(o);
}

/* Read every applicable item into vals. */
static int
read_all(int fd, const struct so_opts *opt, int *vals, struct nk_err *err)
{
    for (int i = 0; i < N_ITEMS; i++)
        if (applies(&items[i], opt) && read_item(fd, &items[i], &vals[i], err))
            return -1;
    return 0;
}

static int
apply_all(int fd, const struct so_opts *opt, struct nk_err *err)
{
    for (int i = 0; i < N_ITEMS; i++)
        if (opt->set[i] && write_item(fd, &items[i], opt->req[i], err) < 0)
            return -1;
    return 0;
}

/* The socket to show: a fresh one, or with --unix one end of a connected
 * pair (*peer the other end), whose peer's credentials are then known. */
static int
show_open_socket(const struct so_opts *opt, int *peer, struct nk_err *err)
{
    int type = opt->udp ? SOCK_DGRAM : SOCK_STREAM, fds[2];

    *peer = -1;
    if (opt->family != AF_UNIX)
        return nk_socket(opt->family, type, err);
    if (nk_socketpair(type, fds, err) < 0)
        return -1;
    *peer = fds[1];
    return fds[0];
}

static void
emit_socket(struct nk_out *o, const struct so_opts *opt)
{
    if (opt->family == AF_UNIX)
        nk_out_strf(o, "socket", "unix %s", opt->udp ? "dgram" : "stream");
    else
        nk_out_strf(o, "socket", "%s %s", opt->udp ? "udp" : "tcp",
                    opt->family == AF_INET6 ? "ipv6" : "ipv4");
}

/* Read everything shown: the items before and after the changes, and for
 * a Unix pair SO_PEERCRED (who holds the other end: this process). */
static int
read_socket(int fd, const struct so_opts *opt, int *before, int *after,
            struct nk_cred *cred, struct nk_err *err)
{
    if (read_all(fd, opt, before, err) < 0 || apply_all(fd, opt, err) < 0 ||
        read_all(fd, opt, after, err) < 0)
        return -1;
    if (opt->family == AF_UNIX)
        return nk_unix_peercred(fd, cred, err);
    return 0;
}

int
sockopt_run_show(struct nk_out *o, const struct nk_ctx *ctx,
                 const struct so_opts *opt)
{
    int before[N_ITEMS] = {0}, after[N_ITEMS] = {0};
    struct nk_cred cred = {0, 0, 0, 0};
    struct nk_err err;
    int peer, fd = show_open_socket(opt, &peer, &err);
    int rc = fd < 0 ? -1 : read_socket(fd, opt, before, after, &cred, &err);

    nk_close(fd);
    nk_close(peer);
    emit_socket(o, opt);
    if (rc < 0) {
        nk_diag(ctx->cmd->name, "%s", err.msg);
        nk_out_str(o, "error", err.msg);
        return err.exit_code;
    }
    for (int i = 0; i < N_ITEMS; i++) {
        if (!applies(&items[i], opt))
            continue;
        if (opt->set[i]) {
            emit_item(o, &items[i], "_before", before[i]);
            emit_item(o, &items[i], "_requested", opt->req[i]);
        }
        emit_item(o, &items[i], "", after[i]);
    }
    if (cred.known) {
        nk_out_int(o, "so_peercred_pid", cred.pid);
        nk_out_int(o, "so_peercred_uid", (long long)cred.uid);
        nk_out_int(o, "so_peercred_gid", (long long)cred.gid);
    }
    emit_notes(o, opt, after);
    return NK_EX_OK;
}

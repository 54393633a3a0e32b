/* netkit echo-tcp client: the recipe's echo client made exact. It sends a
 * message (or stdin, streamed, of any size), prints what comes back and
 * checks the echo byte for byte (RFC 862: the server returns every byte it
 * receives). With --count it becomes an application-level ping: one probe
 * per interval, its round-trip time, then min/avg/max/stddev like ping(8).
 *
 * Sending and receiving run together in one poll loop, as OpenBSD
 * netcat's readwrite() does: a client that first sends everything and only
 * then reads would deadlock on a large stream once both sides' socket
 * buffers fill (the server blocks writing the echo nobody reads, and stops
 * reading what we send). */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_tcp_int.h"
#include "netkit/clock.h"
#include "netkit/err.h"
#include "netkit/exitcodes.h"
#include "netkit/fail.h"
#include "netkit/net.h"
#include "netkit/out.h"
#include "netkit/peer.h"
#include "netkit/parse.h"
#include "netkit/signals.h"
#include "netkit/stats.h"

#define DEFAULT_TIMEOUT_MS 5000
/* Bytes read from stdin but not yet echoed back: reading stops at this
 * bound until the echo catches up, so memory stays flat for any size. */
#define WINDOW (1024 * 1024)
#define CHUNK (64 * 1024)
/* In --json mode the echo is kept (for the "echo" field) up to this. */
#define JSON_ECHO_MAX (64 * 1024)
#define MAX_PROBE_SIZE (16 * 1024 * 1024)
#define MAX_COUNT 1000000
/* How long to wait for the server's end of stream after the whole echo
 * came back (see finish()). */
#define LINGER_MS 250

struct cl_opts {
    struct nk_peer to;
    int timeout_ms;
    int newline;
    uint64_t count; /* 0: send a message or stdin */
    int interval_ms;
    uint64_t size;
    int quiet;
};

/* One exchange: bytes [head, tail) of buf are what was sent or is still to
 * send and not yet seen back; [head, sent) are on their way, [sent, tail)
 * wait for the socket. */
struct xfer {
    int fd;
    int in_fd;      /* stdin to stream, or -1 (everything is in buf) */
    int in_eof;     /* no more input */
    int half_close; /* shutdown(SHUT_WR) once everything is sent */
    int shut;
    int raw_out; /* echoed bytes go to stdout as they arrive */
    unsigned char *buf;
    size_t cap, head, sent, tail;
    unsigned char *rbuf;
    uint64_t nsent, nrecv;
    /* the verdict */
    int mismatch;        /* a byte differed */
    uint64_t mis_at;     /* offset of the first difference */
    int mis_want;        /* what was sent there */
    int mis_got;         /* what came back */
    int short_echo;      /* the peer closed before echoing everything */
    int long_echo;       /* more came back than was sent */
    int stalled_ms;      /* after a mismatch, nothing more came back */
    int64_t done_us;     /* when the last byte of the echo came back */
    unsigned char *keep; /* the echo kept for --json, or NULL */
    size_t keep_len;
};

static int
xfer_init(struct xfer *x, int fd, size_t cap)
{
    memset(x, 0, sizeof *x);
    x->fd = fd;
    x->in_fd = -1;
    x->in_eof = 1;
    x->cap = cap;
    x->buf = malloc(cap);
    x->rbuf = malloc(CHUNK);
    return x->buf && x->rbuf ? 0 : -1;
}

static void
xfer_free(struct xfer *x)
{
    free(x->buf);
    free(x->rbuf);
    free(x->keep);
    x->buf = x->rbuf = x->keep = NULL;
}

static int
verdict_ok(const struct xfer *x)
{
    return !x->mismatch && !x->short_echo && !x->long_echo;
}

/* Read a chunk of stdin into the window, first moving what is still
 * unverified to the front when the tail has no room. */
static int
read_input(struct xfer *x, struct nk_err *err)
{
    ssize_t n;

    if (x->tail + CHUNK > x->cap) {
        memmove(x->buf, x->buf + x->head, x->tail - x->head);
        x->sent -= x->head;
        x->tail -= x->head;
        x->head = 0;
    }
    n = read(x->in_fd, x->buf + x->tail, CHUNK);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n < 0)
        return nk_err_sys(err, errno, "read standard input");
    if (n == 0)
        x->in_eof = 1;
    x->tail += (size_t)n;
    return 0;
}

static int
tcp_client_send_some(struct xfer *x, struct nk_err *err)
{
    ssize_t n = nk_send_nb(x->fd, x->buf + x->sent, x->tail - x->sent);

    if (n == NK_IO_AGAIN)
        return 0;
    if (n < 0)
        return nk_err_sys(err, errno, "send");
    x->sent += (size_t)n;
    x->nsent += (uint64_t)n;
    return 0;
}

/* Compare what came back with what was sent; record the first difference
 * and anything beyond what was sent. */
static void
check_echo(struct xfer *x, const unsigned char *p, size_t n)
{
    size_t want = x->sent - x->head;
    size_t cmp = n < want ? n : want;

    if (!x->mismatch && memcmp(x->buf + x->head, p, cmp) != 0) {
        size_t i = 0;
        while (x->buf[x->head + i] == p[i])
            i++;
        x->mismatch = 1;
        x->mis_at = x->nrecv + i;
        x->mis_want = x->buf[x->head + i];
        x->mis_got = p[i];
    }
    if (n > want)
        x->long_echo = 1;
    x->head += cmp;
    x->nrecv += n;
}

static void
keep_echo(struct xfer *x, const unsigned char *p, size_t n)
{
    size_t room = JSON_ECHO_MAX - x->keep_len;

    if (x->keep == NULL)
        return;
    if (n > room)
        n = room;
    memcpy(x->keep + x->keep_len, p, n);
    x->keep_len += n;
}

/* One receive. Returns 1 when the stream has ended (peer closed, or more
 * came back than was sent), 0 to go on, -1 on error. */
static int
tcp_client_recv_some(struct xfer *x, struct nk_err *err)
{
    ssize_t n = nk_recv_nb(x->fd, x->rbuf, CHUNK);

    if (n == NK_IO_AGAIN)
        return 0;
    if (n < 0)
        return nk_err_sys(err, errno, "receive");
    if (n == 0) {
        x->short_echo = x->head < x->tail || !x->in_eof;
        return 1;
    }
    check_echo(x, x->rbuf, (size_t)n);
    keep_echo(x, x->rbuf, (size_t)n);
    if (x->raw_out &&
        (nk_out_raw(x->rbuf, (size_t)n) < 0 || fflush(stdout) != 0))
        return nk_err_sys(err, errno ? errno : EIO, "write standard output");
    return x->long_echo ? 1 : 0;
}

/* Everything sent came back. After our half-close an RFC 862 server
 * closes too; wait a little for that end of stream, so bytes beyond what
 * was sent are caught, but not for long: socat, for one, lingers 0.5 s,
 * and a server may keep the connection open. */
static int
finish(struct xfer *x, int timeout_ms, struct nk_err *err)
{
    int grace = timeout_ms < LINGER_MS ? timeout_ms : LINGER_MS;

    x->done_us = nk_now_us();
    if (x->half_close && nk_wait_fd(x->fd, POLLIN, grace, err) > 0)
        return tcp_client_recv_some(x, err) < 0 ? -1 : 0;
    return 0;
}

static int
wait_failed(int timeout_ms, struct nk_err *err)
{
    nk_err_set(err, NK_EX_TEMPFAIL,
               "wait for the echo: nothing came back within %d.%03d s",
               timeout_ms / 1000, timeout_ms % 1000);
    err->sys_errno = ETIMEDOUT;
    return -1;
}

/* The wait ran out after a byte had already differed: the verdict is
 * known (a mismatch, 76, at its offset), the stall is only how it ended. */
static int
stalled(struct xfer *x, int timeout_ms)
{
    x->stalled_ms = timeout_ms;
    x->done_us = nk_now_us();
    return 0;
}

static void
set_pollfds(struct xfer *x, struct pollfd *p, nfds_t *np)
{
    int room =
        x->in_fd >= 0 && !x->in_eof && x->tail - x->head + CHUNK <= x->cap;

    p[0].fd = x->fd;
    p[0].events = POLLIN | (x->sent < x->tail ? POLLOUT : 0);
    p[0].revents = 0;
    p[1].fd = x->in_fd;
    p[1].events = POLLIN;
    p[1].revents = 0;
    *np = room ? 2 : 1;
}

/* Run the exchange until everything came back, the peer closed, or an
 * error. The timeout counts only while an echo is awaited: a slow typist
 * on stdin is not a slow server. 0 (see the verdict fields) or -1. */
static int
xfer_run(struct xfer *x, int timeout_ms, struct nk_err *err)
{
    struct pollfd p[2];
    nfds_t np;

    for (;;) {
        int rc;
        if (x->sent == x->tail && x->in_eof && x->half_close && !x->shut) {
            (void)nk_shutdown_write(x->fd, NULL); /* RFC 862: "done" */
            x->shut = 1;
        }
        if (x->head == x->tail && x->in_eof)
            return finish(x, timeout_ms, err);
        set_pollfds(x, p, &np);
        /* plain poll, not nk_poll: a Ctrl-C (EINTR) must end this wait,
         * which nk_poll would resume until its deadline */
        rc = poll(p, np, x->head < x->tail ? timeout_ms : -1);
        if (rc < 0 && errno == EINTR && nk_stop_requested())
            return nk_err_sys(err, EINTR, "wait for the echo");
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            return nk_err_sys(err, errno, "poll");
        if (rc == 0 && x->mismatch)
            return stalled(x, timeout_ms);
        if (rc == 0)
            return wait_failed(timeout_ms, err);
        if (np == 2 && p[1].revents && read_input(x, err) < 0)
            return -1;
        if ((p[0].revents & POLLOUT) && tcp_client_send_some(x, err) < 0)
            return -1;
        if (p[0].revents & (POLLIN | POLLERR | POLLHUP)) {
            rc = tcp_client_recv_some(x, err);
            if (rc != 0)
                return rc < 0 ? -1 : 0;
        }
    }
}

/* ---- connecting ---- */

static int
connect_peer(const struct cl_opts *opt, struct nk_addr *peer, char *where,
             struct nk_err *err)
{
    int fd = nk_connect(opt->to.host, opt->to.port, opt->to.family,
                        SOCK_STREAM, opt->timeout_ms, peer, err);

    if (fd < 0)
        return -1;
    /* Small probes must leave at once, not wait for Nagle's timer. */
    (void)nk_sockopt_set_int(fd, NK_SOCKOPT(IPPROTO_TCP, TCP_NODELAY), 1,
                             NULL);
    nk_addr_format((struct sockaddr *)&peer->ss, peer->len, where,
                   NK_ADDRSTRLEN);
    return fd;
}

/* Report a failure on stderr, and as an "error" record when stdout carries
 * facts (not the raw echo). Returns the exit status. */
static int
fail(const struct nk_ctx *ctx, struct nk_out *o, int record,
     const struct nk_err *err)
{
    int rc = nk_fail_or(ctx->cmd->name, NULL, err, NK_EX_IOERR);

    if (record)
        nk_out_str(o, "error", err->msg);
    nk_out_finish(o);
    return rc;
}

/* ---- message or stream mode ---- */

/* " 'a'" for a printable ASCII byte, "" otherwise. */
static const char *
show_char(int c, char buf[8])
{
    if (c < 0x20 || c > 0x7e)
        return "";
    snprintf(buf, 8, " '%c'", c);
    return buf;
}

static void
say_verdict(const struct nk_ctx *ctx, const struct xfer *x, const char *where,
            double ms)
{
    char a[8], b[8], stall[80] = "";

    if (x->stalled_ms > 0)
        snprintf(stall, sizeof stall,
                 ", then nothing more came back within %d.%03d s",
                 x->stalled_ms / 1000, x->stalled_ms % 1000);
    if (x->long_echo)
        nk_diag(ctx->cmd->name,
                "echo mismatch: more came back than was sent (%llu bytes "
                "received, %llu sent)",
                (unsigned long long)x->nrecv, (unsigned long long)x->nsent);
    else if (x->mismatch)
        nk_diag(ctx->cmd->name,
                "echo mismatch at byte %llu: sent 0x%02x%s, received "
                "0x%02x%s%s",
                (unsigned long long)x->mis_at, x->mis_want,
                show_char(x->mis_want, a), x->mis_got,
                show_char(x->mis_got, b), stall);
    else if (x->short_echo)
        nk_diag(ctx->cmd->name,
                "echo mismatch: the peer closed after %llu of %llu bytes",
                (unsigned long long)x->nrecv, (unsigned long long)x->nsent);
    else
        nk_diag(ctx->cmd->name, "echo verified: %llu bytes from %s in %.3f ms",
                (unsigned long long)x->nrecv, where, ms);
}

static void
emit_json(struct nk_out *o, const struct xfer *x, double ms)
{
    nk_out_uint(o, "bytes_sent", x->nsent);
    nk_out_uint(o, "bytes_received", x->nrecv);
    nk_out_bool(o, "match", verdict_ok(x));
    if (x->mismatch)
        nk_out_uint(o, "first_difference", x->mis_at);
    nk_out_double(o, "rtt_ms", ms, 3);
    nk_out_strn(o, "echo", (const char *)x->keep, x->keep_len);
    nk_out_bool(o, "echo_truncated", x->nrecv > x->keep_len);
}

static int
load_message(struct xfer *x, const char *msg, int newline)
{
    size_t len = strlen(msg);

    if (len + 1 > x->cap)
        return -1;
    memcpy(x->buf, msg, len);
    if (newline)
        x->buf[len++] = '\n';
    x->tail = len;
    return 0;
}

static int
run_message(const struct nk_ctx *ctx, const struct cl_opts *opt,
            const char *msg)
{
    struct nk_out o;
    struct nk_addr peer;
    struct nk_err err;
    struct xfer x;
    char where[NK_ADDRSTRLEN];
    size_t cap = WINDOW + CHUNK;
    int fd, rc = 0;
    int64_t t0;
    double ms;

    nk_out_init(&o, stdout, ctx->json ? NK_OUT_JSON : NK_OUT_TEXT, 0);
    if (msg != NULL && strlen(msg) + 1 > cap)
        cap = strlen(msg) + 1;
    fd = connect_peer(opt, &peer, where, &err);
    if (fd < 0)
        return fail(ctx, &o, ctx->json, &err);
    if (xfer_init(&x, fd, cap) < 0 ||
        (ctx->json && (x.keep = malloc(JSON_ECHO_MAX)) == NULL)) {
        xfer_free(&x);
        nk_close(fd);
        nk_err_sys(&err, ENOMEM, "allocate buffers");
        return fail(ctx, &o, ctx->json, &err);
    }
    x.half_close = 1;
    x.raw_out = !ctx->json;
    if (msg != NULL)
        load_message(&x, msg, opt->newline);
    else {
        x.in_fd = STDIN_FILENO;
        x.in_eof = 0;
    }
    if (ctx->json)
        nk_out_str(&o, "server", where);
    t0 = nk_now_us();
    if (xfer_run(&x, opt->timeout_ms, &err) < 0) {
        if (!ctx->json)
            fflush(stdout);
        rc = fail(ctx, &o, ctx->json, &err);
        goto out;
    }
    ms = (double)((x.done_us ? x.done_us : nk_now_us()) - t0) / 1000.0;
    if (!opt->quiet)
        say_verdict(ctx, &x, where, ms);
    if (ctx->json)
        emit_json(&o, &x, ms);
    nk_out_finish(&o);
    rc = verdict_ok(&x) ? NK_EX_OK : NK_EX_PROTOCOL;
out:
    xfer_free(&x);
    nk_close(fd);
    return rc;
}

/* ---- ping mode ---- */

/* A probe's bytes: its sequence number in the first bytes (so a probe
 * echoed out of turn is seen), then a pattern that varies by position. */
static void
fill_probe(unsigned char *p, size_t n, uint64_t seq)
{
    uint32_t s = (uint32_t)seq * 2654435761u + 1;

    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        p[i] = i < 8 ? (unsigned char)(seq >> (56 - 8 * i)) : (s >> 16);
    }
}

struct ping {
    struct nk_stats rtt; /* milliseconds */
    uint64_t sent, received, mismatches;
};

static void
probe_line(const struct nk_ctx *ctx, struct nk_out *o, const char *where,
           uint64_t seq, const struct xfer *x, double ms)
{
    if (ctx->json) {
        nk_out_obj(o, NULL);
        nk_out_uint(o, "seq", seq);
        nk_out_uint(o, "bytes", x->nrecv);
        nk_out_double(o, "rtt_ms", ms, 3);
        nk_out_bool(o, "match", verdict_ok(x));
        nk_out_close(o);
        return;
    }
    nk_out_line(o, "%llu bytes from %s: seq=%llu time=%.3f ms%s",
                (unsigned long long)x->nrecv, where, (unsigned long long)seq,
                ms, verdict_ok(x) ? "" : " (echo differs)");
    fflush(stdout);
}

/* One probe on the open connection. 0 or -1 (timeout, closed, error). */
static int
one_probe(struct xfer *x, const struct cl_opts *opt, uint64_t seq, double *ms,
          struct nk_err *err)
{
    int64_t t0;

    x->head = x->sent = 0;
    x->tail = (size_t)opt->size;
    x->nsent = x->nrecv = 0;
    x->mismatch = x->short_echo = x->long_echo = x->stalled_ms = 0;
    x->done_us = 0;
    fill_probe(x->buf, x->tail, seq);
    t0 = nk_now_us();
    if (xfer_run(x, opt->timeout_ms, err) < 0)
        return -1;
    *ms = (double)((x->done_us ? x->done_us : nk_now_us()) - t0) / 1000.0;
    if (x->stalled_ms > 0)
        /* The stream is out of step: later probes could not be told
         * apart from this one's late bytes. */
        return nk_err_set(err, NK_EX_PROTOCOL,
                          "probe %llu: echo mismatch at byte %llu, then "
                          "nothing more came back within %d.%03d s",
                          (unsigned long long)seq,
                          (unsigned long long)x->mis_at, x->stalled_ms / 1000,
                          x->stalled_ms % 1000);
    if (x->short_echo)
        return nk_err_set(err, NK_EX_IOERR,
                          "receive: the peer closed the connection after "
                          "%llu of %llu bytes",
                          (unsigned long long)x->nrecv,
                          (unsigned long long)x->nsent);
    return 0;
}

/* Sleep until the next probe is due; a stop request ends it early. */
static void
pause_until(int64_t due_us)
{
    for (;;) {
        int64_t left = due_us - nk_now_us();
        if (left <= 0 || nk_stop_requested())
            return;
        (void)nk_sleep_ms((int)((left + 999) / 1000));
    }
}

static void
tcp_client_ping_summary(struct nk_out *o, struct ping *pg)
{
    nk_out_uint(o, "sent", pg->sent);
    nk_out_uint(o, "received", pg->received);
    nk_out_uint(o, "mismatches", pg->mismatches);
    nk_out_double(o, "rtt_min_ms", nk_stats_min(&pg->rtt), 3);
    nk_out_double(o, "rtt_avg_ms", nk_stats_mean(&pg->rtt), 3);
    nk_out_double(o, "rtt_max_ms", nk_stats_max(&pg->rtt), 3);
    nk_out_double(o, "rtt_stddev_ms", nk_stats_stddev(&pg->rtt), 3);
}

static int
tcp_client_ping_loop(const struct nk_ctx *ctx, const struct cl_opts *opt,
                     struct nk_out *o, struct xfer *x, const char *where,
                     struct ping *pg, struct nk_err *err)
{
    int64_t next = nk_now_us();

    for (uint64_t seq = 1; seq <= opt->count && !nk_stop_requested(); seq++) {
        double ms = 0;
        pause_until(next);
        if (nk_stop_requested())
            break;
        next = nk_now_us() + (int64_t)opt->interval_ms * 1000;
        pg->sent++;
        if (one_probe(x, opt, seq, &ms, err) < 0)
            return nk_stop_requested() ? 0 : -1; /* Ctrl-C: a summary */
        pg->received++;
        pg->mismatches += !verdict_ok(x);
        (void)nk_stats_add(&pg->rtt, ms, NULL);
        probe_line(ctx, o, where, seq, x, ms);
    }
    return 0;
}

static int
tcp_client_run_ping(const struct nk_ctx *ctx, const struct cl_opts *opt)
{
    struct nk_out o;
    struct nk_addr peer;
    struct nk_err err;
    struct xfer x;
    struct ping pg = {{0}, 0, 0, 0};
    char where[NK_ADDRSTRLEN];
    int fd, rc, failed;

    nk_out_init(&o, stdout, ctx->json ? NK_OUT_JSON : NK_OUT_TEXT, 0);
    fd = connect_peer(opt, &peer, where, &err);
    if (fd < 0)
        return fail(ctx, &o, 1, &err);
    if (xfer_init(&x, fd, (size_t)opt->size) < 0) {
        xfer_free(&x);
        nk_close(fd);
        nk_err_sys(&err, ENOMEM, "allocate buffers");
        return fail(ctx, &o, 1, &err);
    }
    nk_stats_init(&pg.rtt, 0);
    nk_stop_reset();
    (void)nk_stop_install(NULL); /* Ctrl-C: stop and print the summary */
    nk_out_str(&o, "server", where);
    nk_out_uint(&o, "size", opt->size);
    if (ctx->json)
        nk_out_arr(&o, "probes");
    failed = tcp_client_ping_loop(ctx, opt, &o, &x, where, &pg, &err) < 0;
    if (ctx->json)
        nk_out_close(&o);
    if (failed)
        nk_diag(ctx->cmd->name, "%s", err.msg);
    tcp_client_ping_summary(&o, &pg);
    if (failed)
        nk_out_str(&o, "error", err.msg);
    nk_out_finish(&o);
    rc = failed ? err.exit_code : pg.mismatches ? NK_EX_PROTOCOL : NK_EX_OK;
    nk_stop_uninstall();
    nk_stop_reset();
    nk_stats_free(&pg.rtt);
    xfer_free(&x);
    nk_close(fd);
    return rc;
}

/* ---- options ---- */

/* What the option table fills: the options, and whether --interval or
 * --size (which only mean something with --count) was given. */
struct cl_parse {
    struct cl_opts o;
    int ping_only;
};

static int
ping_option(const struct nk_ctx *ctx, const struct nk_optdef *def,
            const char *arg, void *values)
{
    struct cl_parse *p = values;

    p->ping_only = 1;
    if (def->name[0] == 'i')
        return nk_opt_seconds(ctx, "--interval", arg, 0, 86400000,
                              &p->o.interval_ms);
    return nk_opt_u64(ctx, "--size", arg, 1, MAX_PROBE_SIZE, &p->o.size);
}

static const struct nk_optdef cl_optdefs[] = {
    NK_PEER_OPTS(struct cl_parse, o.to),
    NK_OPT('t', "timeout", NK_OPT_SECONDS, struct cl_parse, o.timeout_ms, 0,
           86400000, "S",
           "connect timeout, and how long to wait for the\n"
           "echo without progress (default: 5)"),
    NK_OPT('N', "no-newline", NK_OPT_SET, struct cl_parse, o.newline, 0, 0,
           NULL, "send MESSAGE without the newline"),
    NK_OPT('c', "count", NK_OPT_U64, struct cl_parse, o.count, 1, MAX_COUNT,
           "N", "ping: send N probes and time each"),
    {'i', "interval", NK_OPT_CALL, 0, 0, 0, "S",
     "ping: seconds between probes (default: 1)", NULL, ping_option},
    {'s', "size", NK_OPT_CALL, 0, 0, 0, "B",
     "ping: bytes per probe (default: 64)", NULL, ping_option},
    NK_OPT('q', "quiet", NK_OPT_FLAG, struct cl_parse, o.quiet, 0, 0, NULL,
           "no verdict line on standard error"),
    NK_OPT_JSON_DEF("one JSON document (the echo as a string field)"),
    NK_OPT_HELP_DEF,
    NK_OPT_END,
};

const struct nk_optspec echo_tcp_client_spec = {
    "usage: netkit echo-tcp client --port P [--host H] [OPTIONS] [MESSAGE]\n"
    "\n"
    "Connect to a TCP echo server (RFC 862), send MESSAGE followed by a\n"
    "newline (or, without MESSAGE, standard input, streamed, of any size),\n"
    "print what comes back on standard output and check that it equals what\n"
    "was sent. The verdict goes to standard error; the exit status is 0 only\n"
    "when the echo matches. Every address HOST resolves to is tried.\n"
    "\n"
    "With --count it pings instead: N probes of --size bytes, one line per\n"
    "probe with its round-trip time, then min/avg/max/stddev.\n"
    "\n",
    cl_optdefs,
    "examples:\n"
    "  netkit echo-tcp client --port 9999 'Test message. This will be "
    "echoed'\n"
    "  head -c 10M /dev/urandom | netkit echo-tcp client --port 9999 "
    ">/dev/null\n"
    "  netkit echo-tcp client --port 9999 --count 5 --interval 0.2\n",
    0, NULL};

int
echo_tcp_client(int argc, char **argv, struct nk_ctx *ctx)
{
    struct cl_parse p = {{{"localhost", NULL, AF_UNSPEC},
                          DEFAULT_TIMEOUT_MS,
                          1,
                          0,
                          1000,
                          64,
                          0},
                         0};
    struct cl_opts *o = &p.o;
    int rc = nk_opt_parse(ctx, &echo_tcp_client_spec, argc, argv, &p);

    if (rc != NK_OPT_GO)
        return rc;
    if (o->timeout_ms <= 0)
        return nk_usage_error(ctx, "--timeout must be more than 0");
    if (o->to.port == NULL && !nk_host_is_unix(o->to.host))
        return nk_usage_error(ctx, "client: --port is required");
    if (argc - optind > 1)
        return nk_usage_error(ctx, "client: one MESSAGE at most (quote it)");
    if (o->count > 0 && argc - optind == 1)
        return nk_usage_error(ctx, "client: --count sends probes of --size "
                                   "bytes; it takes no MESSAGE");
    if (o->count == 0 && p.ping_only)
        return nk_usage_error(ctx, "client: --interval and --size need "
                                   "--count");
    if (o->count > 0)
        return tcp_client_run_ping(ctx, o);
    return run_message(ctx, o, optind < argc ? argv[optind] : NULL);
}

/* netkit sockopt, the lessons: `reuse` (address reuse step by step:
 * TIME_WAIT, EADDRINUSE, SO_REUSEADDR) and `listen` (the blocking server
 * whose accept times out, greeting each client and closing gracefully,
 * one event per timeout or connection). Dispatched from sockopt.c. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "netkit/err.h"
#include "netkit/exitcodes.h"
#include "netkit/net.h"
#include "netkit/out.h"
#include "netkit/parse.h"
#include "netkit/server.h"
#include "sockopt_int.h"

/* ---- reuse: the address-reuse lesson, run for real ---- */

struct reuse_step {
    int n;
    const char *action;
    const char *expect; /* "success" or "EADDRINUSE" */
    int ok;             /* the call succeeded */
    int want_ok;
    const struct nk_err *err;
};

static int
emit_step(struct nk_out *o, const struct reuse_step *s)
{
    int as_taught =
        s->ok == s->want_ok && (s->ok || s->err->sys_errno == EADDRINUSE);

    nk_out_obj(o, NULL);
    nk_out_int(o, "step", s->n);
    nk_out_str(o, "action", s->action);
    nk_out_str(o, "expect", s->expect);
    nk_out_str(o, "result", s->ok ? "success" : "error");
    nk_out_str(o, "error", s->ok ? NULL : s->err->msg);
    nk_out_bool(o, "as_taught", as_taught);
    nk_out_close(o);
    return as_taught;
}

/* Step 2: one connection, and the server closes first. The side that
 * closes first ends in TIME_WAIT (RFC 9293 section 3.6), here the
 * listener's port; the client waits for the server's FIN (end of file)
 * before closing so the order is certain. */
static int
time_wait_dance(int lfd, const char *host, const char *port, int family,
                struct nk_addr *peer, struct nk_err *err)
{
    char c;
    int afd,
        cfd = nk_connect(host, port, family, SOCK_STREAM, 2000, NULL, err);

    if (cfd < 0)
        return -1;
    afd = nk_accept(lfd, peer, 0, err);
    if (afd < 0) {
        nk_close(cfd);
        return -1;
    }
    nk_close(afd);
    if (nk_recv_exact(cfd, &c, 1, 2000, err) < 0) {
        nk_close(cfd);
        return -1;
    }
    nk_close(cfd);
    return 0;
}

/* Steps 3 and 4: bind the same port again, with or without SO_REUSEADDR. */
static int
rebind(struct nk_out *o, struct nk_listen_opts *lo, int n, int reuse,
       const char *where)
{
    struct nk_err err;
    char action[128];
    struct reuse_step s = {n, action, reuse ? "success" : "EADDRINUSE",
                           0, reuse,  &err};
    int fd;

    snprintf(action, sizeof action, "bind %s again %s SO_REUSEADDR", where,
             reuse ? "with" : "without");
    lo->reuseaddr = reuse;
    fd = nk_listen_ex(lo, &err);
    s.ok = fd >= 0;
    nk_close(fd);
    return emit_step(o, &s);
}

static void
reuse_summary(struct nk_out *o, const char *where, const struct nk_addr *peer,
              int taught3, int taught4, int lreuse)
{
    char client[NK_ADDRSTRLEN];

    nk_addr_format((const struct sockaddr *)&peer->ss, peer->len, client,
                   sizeof client);
    nk_out_line(o, "%s", "");
    /* The TIME_WAIT pair, for `ss -tan state time-wait` to confirm. */
    nk_out_str(o, "address", where);
    nk_out_str(o, "client", client);
    nk_out_bool(o, "as_taught", taught3 && taught4);
    nk_out_arr(o, "note");
    if (!taught3)
        nk_out_str(o, NULL,
                   "step 3: the port was not held by TIME_WAIT here; this "
                   "kernel let a plain bind through");
    if (!taught4 && !lreuse)
        nk_out_str(o, NULL,
                   "step 4: Linux allows the bind only if the socket in "
                   "TIME_WAIT had SO_REUSEADDR too (accepted sockets inherit "
                   "their listener's), and --listener-reuseaddr off left it "
                   "off");
    else if (!taught4)
        nk_out_str(o, NULL,
                   "step 4: this kernel refused the bind even with "
                   "SO_REUSEADDR on both sockets");
    nk_out_close(o);
}

int
sockopt_run_reuse(struct nk_out *o, const struct nk_ctx *ctx,
                  const struct so_opts *opt)
{
    const char *host = opt->family == AF_INET6 ? "::1" : "127.0.0.1";
    struct nk_listen_opts lo = {.host = host,
                                .port = opt->port,
                                .family = opt->family,
                                .socktype = SOCK_STREAM,
                                .backlog = 1,
                                .reuseaddr = opt->lreuse};
    struct nk_err err;
    struct nk_addr a, peer;
    char where[NK_ADDRSTRLEN], port[8], act[256];
    struct reuse_step s = {1, act, "success", 0, 1, &err};
    int lfd, t3, t4;

    snprintf(act, sizeof act, "listen on %s port %s with SO_REUSEADDR %s",
             host, opt->port, opt->lreuse ? "on" : "off");
    lfd = nk_listen_ex(&lo, &err);
    if (lfd >= 0 && nk_local_addr(lfd, &a, &err) < 0) {
        nk_close(lfd);
        lfd = -1;
    }
    nk_out_arr(o, "steps");
    if (lfd < 0)
        goto failed;
    s.ok = 1;
    emit_step(o, &s);
    nk_addr_format((struct sockaddr *)&a.ss, a.len, where, sizeof where);
    snprintf(port, sizeof port, "%d", nk_addr_port((struct sockaddr *)&a.ss));
    s.n = 2;
    snprintf(act, sizeof act,
             "connect a client to %s, accept, close the server side first "
             "(TIME_WAIT), then the client and the listener",
             where);
    if (time_wait_dance(lfd, host, port, opt->family, &peer, &err) < 0) {
        nk_close(lfd);
        goto failed;
    }
    nk_close(lfd);
    emit_step(o, &s);
    lo.port = port;
    t3 = rebind(o, &lo, 3, 0, where);
    t4 = rebind(o, &lo, 4, 1, where);
    nk_out_close(o);
    reuse_summary(o, where, &peer, t3, t4, opt->lreuse);
    return t3 && t4 ? NK_EX_OK : NK_EX_PARTIAL;
failed:
    /* The lesson could not be set up: that is an error, not a finding. */
    s.ok = 0;
    emit_step(o, &s);
    nk_diag(ctx->cmd->name, "step %d: %s", s.n, err.msg);
    return err.exit_code;
}

/* ---- listen: the trivial blocking server with a timeout ---- */

static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
    stop_signal = sig;
}

/* No SA_RESTART: a signal interrupts the wait rather than resuming it. */
static void
catch_signals(struct sigaction *old_int, struct sigaction *old_term)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    sigaction(SIGINT, &sa, old_int);
    sigaction(SIGTERM, &sa, old_term);
}

/* Wait for a connection until deadline, in slices of at most 100 ms so a
 * signal is seen promptly (nk_wait_fd retries EINTR within its own
 * deadline). 1 ready, 0 timed out or stopped, -1 error. */
static int
wait_until(int lfd, int64_t deadline, struct nk_err *err)
{
    for (;;) {
        int64_t left = deadline - nk_now_ms();
        int rc;

        if (stop_signal || left <= 0)
            return 0;
        rc = nk_wait_fd(lfd, POLLIN, left < 100 ? (int)left : 100, err);
        if (rc != 0)
            return rc;
    }
}

struct tally {
    int events, timeouts, connections;
};

/* Close gracefully: closing a socket with unread bytes (a client that
 * spoke first, e.g. an HTTP request) sends RST instead of FIN, and the RST
 * can destroy the greeting before the client reads it. So: FIN first,
 * then read and discard what the client sent until its own close, at most
 * 64 KiB or half a second, then close. */
static void
close_gracefully(int cfd)
{
    char buf[4096];
    int64_t deadline = nk_now_ms() + 500;
    size_t drained = 0;

    if (nk_shutdown_write(cfd, NULL) == 0) {
        while (drained < 65536) {
            int64_t left = deadline - nk_now_ms();
            ssize_t n =
                left > 0 ? nk_recv_some(cfd, buf, sizeof buf, (int)left, NULL)
                         : -1;
            if (n <= 0)
                break;
            drained += (size_t)n;
        }
    }
    nk_close(cfd);
}

/* Greet the client and close, as the lesson's server does (without its
 * ten-second sleep). A client that already left is no failure. */
static void
emit_connection(struct nk_out *o, int cfd, const struct nk_addr *peer,
                struct tally *t)
{
    static const char greeting[] = "thank you for connecting\n";
    char addr[NK_ADDRSTRLEN];
    int sent =
        nk_send_all(cfd, greeting, sizeof greeting - 1, 1000, NULL) >= 0;

    close_gracefully(cfd);
    nk_addr_format((const struct sockaddr *)&peer->ss, peer->len, addr,
                   sizeof addr);
    t->connections++;
    nk_out_obj(o, NULL);
    nk_out_int(o, "n", ++t->events);
    nk_out_str(o, "event", "connection");
    nk_out_str(o, "peer", addr);
    nk_out_strf(o, "message", "connection established with %s", addr);
    nk_out_bool(o, "greeting_sent", sent);
    nk_out_close(o);
}

static void
emit_timeout_event(struct nk_out *o, struct tally *t)
{
    t->timeouts++;
    nk_out_obj(o, NULL);
    nk_out_int(o, "n", ++t->events);
    nk_out_str(o, "event", "timeout");
    nk_out_str(o, "message", "no connection, waiting");
    nk_out_close(o);
}

static int
listen_serve(struct nk_out *o, int lfd, const struct so_opts *opt,
             struct tally *t, struct nk_err *err)
{
    while (!stop_signal && (opt->count == 0 || t->events < opt->count)) {
        struct nk_addr peer;
        int rc = wait_until(lfd, nk_now_ms() + opt->timeout_ms, err), cfd;

        if (rc < 0)
            return -1;
        if (stop_signal)
            break;
        if (rc == 0) {
            emit_timeout_event(o, t);
        } else {
            /* The listener is non-blocking (as Python's settimeout makes
             * it): a client gone between poll and accept is EAGAIN, not a
             * hang. */
            cfd = nk_accept(lfd, &peer, 0, err);
            if (cfd < 0 && err->sys_errno != EAGAIN)
                return -1;
            if (cfd >= 0)
                emit_connection(o, cfd, &peer, t);
        }
        fflush(o->fp);
    }
    return 0;
}

int
sockopt_run_listen(struct nk_out *o, const struct nk_ctx *ctx,
                   const struct so_opts *opt)
{
    const char *host = opt->bind                 ? opt->bind
                       : opt->family == AF_INET6 ? "::1"
                                                 : "127.0.0.1";
    /* backlog 1 and SO_REUSEADDR, as the recipe's server */
    struct nk_listen_opts lo = {.host = host,
                                .port = opt->port,
                                .family = opt->family,
                                .socktype = SOCK_STREAM,
                                .backlog = 1,
                                .reuseaddr = 1};
    struct sigaction old_int, old_term;
    struct tally t = {0, 0, 0};
    struct nk_err err;
    struct nk_addr a;
    char where[NK_ADDRSTRLEN];
    int lfd, rc;

    catch_signals(&old_int, &old_term);
    lfd = nk_listen_ex(&lo, &err);
    if (lfd >= 0 && (nk_local_addr(lfd, &a, &err) < 0 ||
                     nk_set_nonblock(lfd, 1, &err) < 0)) {
        nk_close(lfd);
        lfd = -1;
    }
    if (lfd < 0) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        nk_diag(ctx->cmd->name, "%s", err.msg);
        nk_out_str(o, "error", err.msg);
        return err.exit_code;
    }
    nk_addr_format((struct sockaddr *)&a.ss, a.len, where, sizeof where);
    nk_out_str(o, "address", where);
    sockopt_emit_timeout(o, "timeout", opt->timeout_ms);
    nk_out_int(o, "count", opt->count);
    nk_out_arr(o, "events");
    fflush(o->fp);
    nk_server_announce(ctx->cmd->name, &a, where, sizeof where);
    rc = listen_serve(o, lfd, opt, &t, &err);
    nk_close(lfd);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    nk_out_close(o);
    nk_out_line(o, "%s", "");
    nk_out_int(o, "events_total", t.events);
    nk_out_int(o, "timeouts", t.timeouts);
    nk_out_int(o, "connections", t.connections);
    nk_out_str(o, "stopped_by",
               rc < 0                   ? "error"
               : stop_signal == SIGINT  ? "sigint"
               : stop_signal == SIGTERM ? "sigterm"
                                        : "count");
    if (rc < 0) {
        nk_diag(ctx->cmd->name, "%s", err.msg);
        nk_out_str(o, "error", err.msg);
        return err.exit_code;
    }
    return NK_EX_OK;
}

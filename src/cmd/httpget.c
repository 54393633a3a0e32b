/* netkit httpget: the "handling socket errors gracefully" recipe as a tool.
 * One HTTP/1.0 GET, and every failure reported by the step that failed
 * (resolve, connect, send, receive, the reply itself, the output file)
 * with its precise cause and its own exit code. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "commands.h"
#include "netkit/dest.h"
#include "netkit/err.h"
#include "netkit/exitcodes.h"
#include "netkit/http.h"
#include "netkit/http_server.h"
#include "netkit/net.h"
#include "netkit/out.h"
#include "netkit/parse.h"
#include "netkit/url.h"

#define DEFAULT_TIMEOUT_MS 10000
#define CHUNK 65536
/* --json embeds the body in the document; past this size it is counted
 * but left out (with a note), so memory stays bounded. */
#define JSON_BODY_MAX (8 * 1024 * 1024)

struct hg_opts {
    const char *url, *host, *port, *path, *output;
    const char *unix_path, *unix_name; /* curl's --(abstract-)unix-socket */
    int include, lesson, family;
    int timeout_ms; /* < 0: no limit */
};

static const struct nk_optdef hg_optdefs[] = {
    NK_OPT('o', "output", NK_OPT_STRING, struct hg_opts, output, 0, 0, "FILE",
           "write the body to FILE ('-': standard output);\n"
           "the facts (status, sizes) then go to stdout"),
    NK_OPT(0, "include", NK_OPT_FLAG, struct hg_opts, include, 0, 0, NULL,
           "the response head, as received, before the body\n"
           "(with -o: header lines among the facts)"),
    NK_OPT('t', "timeout", NK_OPT_SECONDS, struct hg_opts, timeout_ms, 0,
           INT_MAX, "S",
           "limit for the connect and for each wait for data,\n"
           "in seconds (default 10; 0: no limit)"),
    NK_OPT_IPV46(struct hg_opts, family),
    NK_OPT('H', "host", NK_OPT_STRING, struct hg_opts, host, 0, 0, "HOST",
           "host name or address (instead of URL)"),
    NK_OPT('p', "port", NK_OPT_STRING, struct hg_opts, port, 0, 0, "PORT",
           "port with --host (default 80)"),
    NK_OPT(0, "path", NK_OPT_STRING, struct hg_opts, path, 0, 0, "PATH",
           "path with --host (default /)"),
    NK_OPT(0, "unix-socket", NK_OPT_STRING, struct hg_opts, unix_path, 0, 0,
           "PATH",
           "connect to the Unix socket PATH instead (curl's\n"
           "option; the URL's host is still the Host header)"),
    NK_OPT(0, "abstract-unix-socket", NK_OPT_STRING, struct hg_opts, unix_name,
           0, 0, "NAME", "the same for NAME in Linux's abstract namespace"),
    NK_OPT('l', "lesson", NK_OPT_FLAG, struct hg_opts, lesson, 0, 0, NULL,
           "the recipe's way: the raw reply on stdout, each\n"
           "step narrated and each failure labelled as the\n"
           "recipe does, on stderr"),
    NK_OPT_JSON_DEF("one JSON document: url, address, status, reason,\n"
                    "headers, body_bytes, and the body itself unless\n"
                    "-o is given (body_encoding text or base64)"),
    NK_OPT_HELP_DEF,
    NK_OPT_END,
};

const struct nk_optspec cmd_httpget_spec = {
    "usage: netkit httpget [options] URL\n"
    "       netkit httpget [options] --host HOST [--port PORT] [--path PATH]\n"
    "       netkit httpget [options] --unix-socket PATH URL\n"
    "\n"
    "Fetch one resource with an HTTP/1.0 GET. The body goes to standard\n"
    "output, or to FILE with -o: written to a new hidden temporary beside\n"
    "it (.FILE.XXXXXX.part), renamed to FILE when complete, removed on any\n"
    "failure or signal; a device or FIFO (/dev/null, /dev/stdout) is\n"
    "written in place. Each failure names the step that failed and\n"
    "exits with its own code: 68 the name does not resolve, 69 connection\n"
    "refused or an HTTP error status (4xx, 5xx: no body is written), 74 send\n"
    "or receive failed (a connection closed early, a short body), 75\n"
    "timeout, 76 a reply that is not HTTP. Only http:// is supported:\n"
    "https needs TLS, out of scope for a libc-only tool (exit 65).\n"
    "--host unix:PATH (or unix:@NAME) connects there, Host: localhost.\n"
    "\n",
    hg_optdefs,
    "examples:\n"
    "  netkit httpget http://127.0.0.1:8000/index.html\n"
    "  netkit httpget -i http://[::1]:8000/\n"
    "  netkit httpget -o page.html --timeout 2 http://localhost:8000/\n"
    "  netkit httpget --host 127.0.0.1 --port 8000 --path /index.html --json\n"
    "  netkit httpget --unix-socket /var/run/docker.sock http://d/version\n"
    "  netkit httpget --lesson http://nosuch.invalid/\n",
    0, NULL};

/* Where to fetch from, whichever way it was given. */
struct hg_target {
    char host[256];
    int host_is_ipv6;
    int port;
    char port_s[8];
    char path[4096];
    char display[4400]; /* the URL shown: never the user information */
    char via[NK_ADDRSTRLEN + 8]; /* a unix: address to connect to, or "" */
};

struct hg_fetch {
    const struct hg_opts *opt;
    const char *cmd;
    struct hg_target t;
    struct nk_http_head *head;
    const char *step; /* what failed; NULL while all is well */
    struct nk_err err;
    char addr[NK_ADDRSTRLEN]; /* "" until connected */
    int fd;
    int64_t body_bytes; /* -1 until the body is read */
    char *body;         /* --json without -o: the body, for the document */
    size_t body_len, body_cap;
    int body_dropped;     /* larger than JSON_BODY_MAX */
    const char *output;   /* -o FILE, NULL for standard output */
    struct nk_dest *dest; /* -o FILE: the temporary, or FILE in place */
    char note[400];
};

/* ---- errors ---- */

static int step_err(struct hg_fetch *f, const char *step, int code, int errnum,
                    const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Record the failed step with "message[: strerror(errnum)]". code 0 means
 * derive it from errnum. Returns -1. */
static int
step_err(struct hg_fetch *f, const char *step, int code, int errnum,
         const char *fmt, ...)
{
    char msg[NK_ERR_MSG];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (errnum != 0)
        nk_err_sys(&f->err, errnum, "%s", msg);
    else
        nk_err_set(&f->err, code, "%s", msg);
    if (code != 0)
        f->err.exit_code = code;
    f->step = step;
    return -1;
}

/* The output file's errors: permission is 77, anything else (a missing
 * directory, a full disk) an I/O error. */
static int
file_code(int errnum)
{
    return errnum == EACCES || errnum == EPERM || errnum == EROFS
               ? NK_EX_NOPERM
               : NK_EX_IOERR;
}

/* "0.5", "10": a timeout as the user wrote it, more or less. */
static const char *
seconds(int ms, char *buf, size_t size)
{
    if (ms % 1000 == 0)
        snprintf(buf, size, "%d", ms / 1000);
    else
        snprintf(buf, size, "%d.%03d", ms / 1000, ms % 1000);
    for (size_t n = strlen(buf); strchr(buf, '.') && buf[n - 1] == '0'; n--)
        buf[n - 1] = '\0';
    return buf;
}

/* A server's text (reason phrase, Location) made safe for a message by
 * netkit's one escaper (nk_text_escape): UTF-8 kept, control bytes and
 * bytes that are not UTF-8 as \xNN. */
static const char *
safe(const char *s, char *buf, size_t size)
{
    nk_text_escape(s, strlen(s), buf, size);
    return buf;
}

/* ---- the target ---- */

static void
make_display(struct hg_target *t)
{
    char port[8] = "";

    if (t->port != 80)
        snprintf(port, sizeof port, ":%d", t->port);
    snprintf(t->display, sizeof t->display, "http://%s%s%s%s%s",
             t->host_is_ipv6 ? "[" : "", t->host, t->host_is_ipv6 ? "]" : "",
             port, t->path);
}

static int
set_port(struct hg_target *t, const char *s, struct nk_err *err)
{
    uint16_t p = 80;

    if (s != NULL && s[0] != '\0' && nk_parse_port(s, &p, err) < 0)
        return -1;
    if (p == 0)
        return nk_err_set(err, NK_EX_DATAERR, "port 0 cannot be connected to");
    t->port = p;
    snprintf(t->port_s, sizeof t->port_s, "%u", p);
    return 0;
}

static int
target_from_url(const char *cmd, const char *url, struct hg_target *t,
                struct nk_err *err)
{
    struct nk_url u;

    if (nk_url_parse(url, &u, err) < 0)
        return -1;
    if (strcmp(u.scheme, "https") == 0)
        return nk_err_set(err, NK_EX_DATAERR,
                          "'%s' uses https: TLS is out of scope for netkit "
                          "(libc only); use an http:// URL",
                          url);
    if (strcmp(u.scheme, "http") != 0)
        return nk_err_set(err, NK_EX_DATAERR,
                          "'%s' uses %s: only http:// is supported", url,
                          u.scheme);
    if (u.userinfo[0] != '\0')
        nk_diag(cmd, "note: the user information in the URL is not sent");
    snprintf(t->host, sizeof t->host, "%s", u.host);
    snprintf(t->path, sizeof t->path, "%s", u.path);
    t->host_is_ipv6 = u.host_is_ipv6;
    return set_port(t, u.port, err);
}

static int
target_from_opts(const struct hg_opts *opt, struct hg_target *t,
                 struct nk_err *err)
{
    const char *h = opt->host;
    size_t n = strlen(h);

    /* A Unix socket has no name to send: Host is localhost, as curl's
     * --unix-socket with http://localhost/ sends. */
    if (nk_host_is_unix(h)) {
        snprintf(t->via, sizeof t->via, "%s", h);
        h = "localhost";
        n = strlen(h);
    }
    /* "[::1]" as in a URL is accepted too. */
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof t->host)
        return nk_err_set(err, NK_EX_DATAERR, "host '%s' is %s", opt->host,
                          n == 0 ? "empty" : "too long");
    memcpy(t->host, h, n);
    t->host[n] = '\0';
    t->host_is_ipv6 = strchr(t->host, ':') != NULL;
    if (opt->path != NULL && strlen(opt->path) >= sizeof t->path)
        return nk_err_set(err, NK_EX_DATAERR, "path is too long");
    snprintf(t->path, sizeof t->path, "%s", opt->path ? opt->path : "/");
    /* A fragment names a part of the resource for the client; it is never
     * sent (RFC 9110 7.1), as curl and the URL parser drop it too. */
    t->path[strcspn(t->path, "#")] = '\0';
    if (t->path[0] != '/')
        return nk_err_set(err, NK_EX_DATAERR, "path '%s' must start with '/'",
                          t->path);
    return set_port(t, opt->port, err);
}

/* ---- the network steps ---- */

/* Which of the recipe's steps an nk_connect failure belongs to. */
static const char *
connect_step(const struct nk_err *err)
{
    if (err->gai != 0)
        return "resolve";
    if (strncmp(err->msg, "socket", 6) == 0)
        return "socket";
    return "connect";
}

static int
do_connect(struct hg_fetch *f)
{
    struct nk_addr peer;

    f->fd = nk_connect(f->t.via[0] ? f->t.via : f->t.host, f->t.port_s,
                       f->opt->family, SOCK_STREAM, f->opt->timeout_ms, &peer,
                       &f->err);
    if (f->fd < 0) {
        f->step = connect_step(&f->err);
        return -1;
    }
    nk_addr_format((struct sockaddr *)&peer.ss, peer.len, f->addr,
                   sizeof f->addr);
    return 0;
}

static int
send_request(struct hg_fetch *f, const char *req, size_t len)
{
    struct nk_err e;

    if (nk_send_all(f->fd, req, len, f->opt->timeout_ms, &e) >= 0)
        return 0;
    return step_err(f, "send", 0, e.sys_errno, "send request to %s", f->addr);
}

/* Wait (within the timeout) for data and read what is there: the count,
 * 0 at end of stream, or -1 with the receive step failed. */
static ssize_t
httpget_recv_some(struct hg_fetch *f, void *buf, size_t cap, const char *what)
{
    struct nk_err e;
    char s[32];
    ssize_t n = NK_IO_AGAIN;

    /* nk_recv_some would wait through a signal; nk_dest_wait ends at
     * once when SIGINT, SIGTERM or SIGHUP asks to stop, and the flag is
     * checked before each read, even while data keeps coming. */
    nk_err_clear(&e);
    while (n == NK_IO_AGAIN) {
        if (nk_dest_signal()) {
            nk_dest_interrupted(&e, nk_dest_signal());
            break;
        }
        n = nk_recv_nb(f->fd, buf, cap);
        if (n == NK_IO_AGAIN &&
            nk_dest_wait(f->fd, POLLIN, f->opt->timeout_ms, &e) < 0)
            break;
    }
    if (n >= 0)
        return n;
    if (n == -1)
        return step_err(f, "receive", 0, errno, "receive %s from %s", what,
                        f->addr);
    if (e.exit_code > 128)
        return step_err(f, "signal", e.exit_code, 0, "receive %s from %s: %s",
                        what, f->addr, e.msg);
    if (e.sys_errno != ETIMEDOUT)
        return step_err(f, "receive", e.exit_code, 0, "receive %s from %s: %s",
                        what, f->addr, e.msg);
    step_err(f, "receive", NK_EX_TEMPFAIL, 0,
             "receive %s from %s: no data within %s s", what, f->addr,
             seconds(f->opt->timeout_ms, s, sizeof s));
    f->err.sys_errno = ETIMEDOUT;
    return -1;
}

/* Read until the head is complete; the bytes after it (the start of the
 * body) are moved to the front of buf and counted in *left. */
static int
recv_head(struct hg_fetch *f, char *buf, size_t *left)
{
    struct nk_err e;

    nk_http_head_init(f->head);
    for (;;) {
        size_t used;
        ssize_t n = httpget_recv_some(f, buf, CHUNK, "response head");
        int rc;
        if (n < 0)
            return -1;
        if (n == 0) {
            nk_http_head_eof(f->head, &e);
            return step_err(f, "receive", e.exit_code, 0,
                            "receive response head from %s: %s", f->addr,
                            e.msg);
        }
        rc = nk_http_head_feed(f->head, buf, (size_t)n, &used, &e);
        if (rc < 0)
            return step_err(f, "receive", e.exit_code, 0,
                            "receive response head from %s: %s", f->addr,
                            e.msg);
        if (rc == 1) {
            *left = (size_t)n - used;
            memmove(buf, buf + used, *left);
            return 0;
        }
    }
}

/* The status decides what happens to the body: 2xx and 3xx deliver it,
 * 4xx and 5xx are failures (exit 69) whose body is not written, as curl
 * -f does; anything else cannot answer an HTTP/1.0 GET. */
static int
check_status(struct hg_fetch *f)
{
    const struct nk_http_head *h = f->head;
    const char *te = nk_http_head_get(h, "transfer-encoding");
    const char *loc = nk_http_head_get(h, "location");
    char a[128], b[300];

    /* RFC 9110 15: 1xx must not be sent to an HTTP/1.0 client, and codes
     * above 599 are not HTTP. */
    if (h->status < 200 || h->status > 599)
        return step_err(f, "status", NK_EX_PROTOCOL, 0,
                        "bogus reply from %s: status %d is not a final "
                        "HTTP status",
                        f->addr, h->status);
    /* RFC 9112 6.1: chunked must not be sent to HTTP/1.0 either. */
    if (te != NULL && strcasecmp(te, "identity") != 0)
        return step_err(f, "status", NK_EX_PROTOCOL, 0,
                        "bogus reply from %s: transfer-encoding '%s' in a "
                        "reply to HTTP/1.0",
                        f->addr, safe(te, a, sizeof a));
    if (h->status >= 400)
        return step_err(f, "status", NK_EX_UNAVAILABLE, 0,
                        "get %s: server answered %d %s", f->t.display,
                        h->status, safe(h->reason, a, sizeof a));
    /* 304 is no redirect (and has no body); another 3xx without a
     * Location names nowhere to go. */
    if (h->status == 304)
        snprintf(f->note, sizeof f->note, "304 not modified: no body");
    else if (h->status >= 300 && loc != NULL)
        snprintf(f->note, sizeof f->note, "redirect (%d) to '%s' not followed",
                 h->status, safe(loc, b, sizeof b));
    else if (h->status >= 300)
        snprintf(f->note, sizeof f->note,
                 "%d reply without a Location: nothing to follow", h->status);
    return 0;
}

/* ---- the body ---- */

/* -o FILE, checked and opened before any traffic: a unique temporary
 * beside FILE, or FILE itself when it is a device or FIFO (nk_dest). */
static int
open_output(struct hg_fetch *f)
{
    struct nk_err e;

    if (f->output == NULL)
        return 0;
    f->dest = malloc(sizeof *f->dest);
    if (f->dest == NULL)
        return step_err(f, "output", NK_EX_SOFTWARE, 0, "out of memory");
    if (nk_dest_open(f->dest, f->output, 0, &e) == 0)
        return 0;
    free(f->dest);
    f->dest = NULL;
    return step_err(f, "output", e.exit_code, 0, "%s%s",
                    e.exit_code == NK_EX_USAGE ? "-o: " : "", e.msg);
}

static int
keep_for_json(struct hg_fetch *f, const char *p, size_t n)
{
    if (f->body_dropped || f->body_len + n > JSON_BODY_MAX) {
        size_t k = strlen(f->note);
        if (!f->body_dropped) /* after any redirect note */
            snprintf(f->note + k, sizeof f->note - k,
                     "%sbody over 8 MiB: counted, not embedded (use -o)",
                     k ? "; " : "");
        f->body_dropped = 1;
        free(f->body);
        f->body = NULL;
        f->body_len = f->body_cap = 0;
        return 0;
    }
    if (f->body_len + n > f->body_cap) {
        size_t cap = f->body_cap ? f->body_cap : 65536;
        char *nb;
        while (cap < f->body_len + n)
            cap *= 2;
        nb = realloc(f->body, cap);
        if (nb == NULL)
            return step_err(f, "output", NK_EX_SOFTWARE, 0, "out of memory");
        f->body = nb;
        f->body_cap = cap;
    }
    memcpy(f->body + f->body_len, p, n);
    f->body_len += n;
    return 0;
}

/* Body bytes go to the file, into the JSON document, or straight to
 * stdout: binary-safe, never through a text layer. */
static int
sink(struct hg_fetch *f, const char *p, size_t n, int json)
{
    if (n == 0)
        return 0;
    f->body_bytes += (int64_t)n;
    if (f->dest != NULL) {
        while (n > 0) {
            ssize_t w = write(f->dest->fd, p, n);
            if (w < 0 && errno == EINTR && nk_dest_signal())
                return step_err(f, "signal", 128 + nk_dest_signal(), 0,
                                "write %s: interrupted", f->output);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return step_err(f, "output", file_code(errno), errno,
                                "write %s", f->output);
            p += w;
            n -= (size_t)w;
        }
        return 0;
    }
    if (json)
        return keep_for_json(f, p, n);
    if (nk_out_raw(p, n) < 0)
        return step_err(f, "output", NK_EX_IOERR, errno ? errno : EIO,
                        "write body to standard output");
    return 0;
}

/* With Content-Length, exactly that many bytes (more are ignored, fewer
 * is an error); without, everything until the server closes (RFC 1945
 * 7.2.2). 204 and 304 have no body whatever the headers say. */
static int
recv_body(struct hg_fetch *f, char *buf, size_t left, int json)
{
    int64_t cl = f->head->content_length;
    int status = f->head->status;

    f->body_bytes = 0;
    if (status == 204 || status == 304)
        return 0;
    if (cl >= 0 && (int64_t)left > cl)
        left = (size_t)cl;
    if (sink(f, buf, left, json) < 0)
        return -1;
    while (cl < 0 || f->body_bytes < cl) {
        size_t want = CHUNK;
        ssize_t n;
        if (cl >= 0 && cl - f->body_bytes < (int64_t)want)
            want = (size_t)(cl - f->body_bytes);
        n = httpget_recv_some(f, buf, want, "body");
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        if (sink(f, buf, (size_t)n, json) < 0)
            return -1;
    }
    if (cl >= 0 && f->body_bytes < cl)
        return step_err(f, "receive", NK_EX_IOERR, 0,
                        "receive body from %s: connection closed after "
                        "%" PRId64 " of %" PRId64 " bytes",
                        f->addr, f->body_bytes, cl);
    return 0;
}

/* Complete: the temporary becomes FILE (a device or FIFO was written in
 * place). Failed or stopped by a signal: the temporary is removed, so no
 * complete-looking file is ever left from a broken transfer. */
static void
close_output(struct hg_fetch *f)
{
    struct nk_err e;

    if (f->dest == NULL)
        return;
    if (f->step == NULL && nk_dest_signal())
        step_err(f, "signal", 128 + nk_dest_signal(), 0, "-o %s: interrupted",
                 f->output);
    if (f->step == NULL && nk_dest_commit(f->dest, 1, &e) < 0)
        step_err(f, "output", e.exit_code, 0, "%s", e.msg);
    nk_dest_discard(f->dest); /* after a commit: nothing left to remove */
    free(f->dest);
    f->dest = NULL;
}

static int
fetch(struct hg_fetch *f, int json)
{
    char req[NK_HTTP_REQUEST_MAX], *buf;
    struct nk_err e;
    size_t left = 0;
    int n = nk_http_build_get(req, sizeof req, f->t.host, f->t.host_is_ipv6,
                              f->t.port, f->t.path, &e);

    if (n < 0)
        return step_err(f, "request", e.exit_code, 0, "%s", e.msg);
    buf = malloc(CHUNK);
    if (buf == NULL)
        return step_err(f, "request", NK_EX_SOFTWARE, 0, "out of memory");
    /* The destination first: a bad -o costs no traffic. */
    if (open_output(f) == 0 && do_connect(f) == 0 &&
        send_request(f, req, (size_t)n) == 0 &&
        recv_head(f, buf, &left) == 0) {
        /* -i without -o: the head exactly as received, even for an error
         * status, since it tells why. */
        if (f->opt->include && !json && f->output == NULL &&
            nk_out_raw(f->head->raw, f->head->raw_len) < 0)
            step_err(f, "output", NK_EX_IOERR, errno ? errno : EIO,
                     "write head to standard output");
        if (f->step == NULL && check_status(f) == 0)
            recv_body(f, buf, left, json);
    }
    close_output(f);
    free(buf);
    nk_close(f->fd);
    f->fd = -1;
    return f->step == NULL ? 0 : -1;
}

/* ---- output ---- */

/* Basic credentials' base64 (nk_hs_base64, the one encoder): a new
 * string, or NULL when out of memory. */
static char *
base64(const unsigned char *s, size_t n)
{
    size_t size = (n + 2) / 3 * 4 + 1;
    char *out = malloc(size);

    if (out != NULL && nk_hs_base64(s, n, out, size) < 0) {
        free(out);
        out = NULL;
    }
    return out;
}

static int
valid_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;

    for (size_t i = 0; i < n;) {
        size_t k = nk_utf8_seq(p + i, n - i);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

/* The body inside the JSON document: as text when it is valid UTF-8, as
 * base64 otherwise, so binary bodies survive exactly. */
static void
emit_body(struct nk_out *o, struct hg_fetch *f)
{
    char *b64;

    if (f->output != NULL || f->body_bytes < 0 || f->body_dropped) {
        nk_out_null(o, "body_encoding");
        nk_out_null(o, "body");
        return;
    }
    if (valid_utf8(f->body, f->body_len)) {
        nk_out_str(o, "body_encoding", "text");
        nk_out_strn(o, "body", f->body ? f->body : "", f->body_len);
        return;
    }
    b64 = base64((const unsigned char *)f->body, f->body_len);
    nk_out_str(o, "body_encoding", "base64");
    nk_out_str(o, "body", b64);
    free(b64);
}

static void
emit_headers(struct nk_out *o, const struct hg_fetch *f, int json)
{
    const struct nk_http_head *h = f->head;
    int n = h != NULL && h->done ? h->nheaders : 0;

    if (json)
        nk_out_arr(o, "headers");
    for (int i = 0; i < n; i++) {
        if (!json) {
            if (f->opt->include)
                nk_out_strf(o, "header", "%s: %s", h->headers[i].name,
                            h->headers[i].value);
            continue;
        }
        nk_out_obj(o, NULL);
        nk_out_str(o, "name", h->headers[i].name);
        nk_out_str(o, "value", h->headers[i].value);
        nk_out_close(o);
    }
    if (json)
        nk_out_close(o);
}

/* The facts: the JSON document, or text lines when -o left stdout free. */
static void
emit(struct nk_out *o, struct hg_fetch *f, int json)
{
    const struct nk_http_head *h = f->head && f->head->done ? f->head : NULL;

    nk_out_str(o, "url", f->t.display[0] ? f->t.display : f->opt->url);
    if (f->addr[0] != '\0')
        nk_out_str(o, "address", f->addr);
    else
        nk_out_null(o, "address");
    if (h != NULL) {
        nk_out_int(o, "status", h->status);
        nk_out_str(o, "reason", h->reason);
        nk_out_strf(o, "version", "HTTP/1.%d", h->version_minor);
    } else {
        nk_out_null(o, "status");
        nk_out_null(o, "reason");
        nk_out_null(o, "version");
    }
    emit_headers(o, f, json);
    if (h != NULL && h->content_length >= 0)
        nk_out_int(o, "content_length", h->content_length);
    else
        nk_out_null(o, "content_length");
    if (f->body_bytes >= 0)
        nk_out_int(o, "body_bytes", f->body_bytes);
    else
        nk_out_null(o, "body_bytes");
    /* output: where the body was to go (null: standard output or the
     * document); saved: whether FILE now holds the complete body. */
    if (f->output != NULL) {
        nk_out_str(o, "output", f->output);
        nk_out_bool(o, "saved", f->step == NULL);
    } else {
        nk_out_null(o, "output");
        nk_out_null(o, "saved");
    }
    if (json)
        emit_body(o, f);
    if (f->note[0] != '\0')
        nk_out_str(o, "note", f->note);
    if (f->step != NULL) {
        nk_out_str(o, "step", f->step);
        nk_out_str(o, "error", f->err.msg);
    }
}

/* ---- the lesson ---- */

/* The recipe catches each exception type apart and says which step it
 * was; these are its labels. */
static const char *
lesson_label(const char *step)
{
    static const char *const labels[][2] = {
        {"socket", "error creating socket"},
        {"resolve", "address-related error connecting to server"},
        {"connect", "connection error"},
        {"send", "error sending data"},
        {"receive", "error receiving data"},
        {"output", "error writing data"},
    };

    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (strcmp(step, labels[i][0]) == 0)
            return labels[i][1];
    return "error";
}

/* The recipe's steps: connect, send the GET, then write whatever arrives
 * until the server closes, without reading the reply. */
static int
lesson_steps(struct hg_fetch *f, const char *req, size_t len, char *buf)
{
    int64_t total = 0;
    int reads = 0;

    nk_diag(f->cmd, "creating a socket and connecting to %s port %d",
            f->t.host, f->t.port);
    if (do_connect(f) < 0)
        return -1;
    nk_diag(f->cmd, "connected to %s; sending GET %s HTTP/1.0", f->addr,
            f->t.path);
    if (send_request(f, req, len) < 0)
        return -1;
    for (;;) {
        ssize_t n = httpget_recv_some(f, buf, CHUNK, "reply");
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        reads++;
        total += n;
        if (nk_out_raw(buf, (size_t)n) < 0)
            return step_err(f, "output", NK_EX_IOERR, errno ? errno : EIO,
                            "write reply to standard output");
    }
    nk_diag(f->cmd,
            "received %" PRId64 " bytes in %d reads; the server closed the "
            "connection",
            total, reads);
    return 0;
}

static int
lesson(struct hg_fetch *f)
{
    char req[NK_HTTP_REQUEST_MAX], *buf;
    struct nk_err e;
    int n = nk_http_build_get(req, sizeof req, f->t.host, f->t.host_is_ipv6,
                              f->t.port, f->t.path, &e);

    if (n < 0) {
        nk_diag(f->cmd, "%s", e.msg);
        return e.exit_code;
    }
    buf = malloc(CHUNK);
    if (buf == NULL || lesson_steps(f, req, (size_t)n, buf) < 0) {
        if (buf == NULL)
            step_err(f, "request", NK_EX_SOFTWARE, 0, "out of memory");
        nk_diag(f->cmd, "%s: %s", lesson_label(f->step), f->err.msg);
    }
    free(buf);
    nk_close(f->fd);
    return f->step ? f->err.exit_code : NK_EX_OK;
}

/* ---- the command ---- */

static int
httpget_run(const struct nk_ctx *ctx, const struct hg_opts *opt)
{
    struct hg_fetch f;
    struct nk_out o;
    int json = ctx->json, rc;

    memset(&f, 0, sizeof f);
    f.opt = opt;
    f.cmd = ctx->cmd->name;
    f.fd = -1;
    f.body_bytes = -1;
    f.output =
        opt->output && strcmp(opt->output, "-") != 0 ? opt->output : NULL;
    rc = opt->url ? target_from_url(f.cmd, opt->url, &f.t, &f.err)
                  : target_from_opts(opt, &f.t, &f.err);
    if (opt->unix_path != NULL || opt->unix_name != NULL)
        snprintf(f.t.via, sizeof f.t.via, "%s%s%s", NK_UNIX_PREFIX,
                 opt->unix_name ? "@" : "",
                 opt->unix_name ? opt->unix_name : opt->unix_path);
    if (rc < 0)
        f.step = "url";
    else
        make_display(&f.t);
    if (f.step == NULL && opt->lesson)
        return lesson(&f);
    f.head = f.step ? NULL : malloc(sizeof *f.head);
    if (f.head != NULL)
        nk_http_head_init(f.head);
    else if (f.step == NULL)
        step_err(&f, "request", NK_EX_SOFTWARE, 0, "out of memory");
    if (f.step == NULL && nk_dest_signals_install(&f.err) < 0)
        f.step = "request";
    if (f.step == NULL) {
        fetch(&f, json);
        nk_dest_signals_restore();
    }
    if (f.step != NULL)
        nk_diag(f.cmd, "%s", f.err.msg);
    else if (f.note[0] != '\0')
        nk_diag(f.cmd, "note: %s", f.note);
    rc = f.step ? f.err.exit_code : NK_EX_OK;
    if (json || f.output != NULL) {
        nk_out_init(&o, stdout, json ? NK_OUT_JSON : NK_OUT_TEXT, ctx->color);
        emit(&o, &f, json);
        if (nk_out_finish(&o) < 0 && rc == NK_EX_OK)
            rc = NK_EX_SOFTWARE;
    }
    free(f.body);
    free(f.head);
    return rc;
}

static int
httpget_check_opts(const struct nk_ctx *ctx, const struct hg_opts *opt,
                   int nargs)
{
    if (nargs > 1)
        return nk_usage_error(ctx, "one URL at a time (%d given)", nargs);
    if (nargs == 1 && opt->host != NULL)
        return nk_usage_error(ctx, "give a URL or --host, not both");
    if (nargs == 0 && opt->host == NULL)
        return nk_usage_error(ctx, "no URL given (or --host HOST)");
    if (opt->host == NULL && (opt->port != NULL || opt->path != NULL))
        return nk_usage_error(ctx, "--port and --path go with --host");
    if (opt->unix_path != NULL && opt->unix_name != NULL)
        return nk_usage_error(ctx, "--unix-socket or --abstract-unix-socket, "
                                   "not both");
    if (opt->lesson && (ctx->json || opt->output || opt->include))
        return nk_usage_error(ctx, "--lesson writes the raw reply to "
                                   "standard output; it takes no --json, "
                                   "-o or --include");
    return 0;
}

int
cmd_httpget(int argc, char **argv, struct nk_ctx *ctx)
{
    struct hg_opts opt;
    int rc;

    memset(&opt, 0, sizeof opt);
    opt.family = AF_UNSPEC;
    opt.timeout_ms = DEFAULT_TIMEOUT_MS;
    rc = nk_opt_parse(ctx, &cmd_httpget_spec, argc, argv, &opt);
    if (rc != NK_OPT_GO)
        return rc;
    if (opt.timeout_ms == 0)
        opt.timeout_ms = -1; /* 0: no limit, as SO_RCVTIMEO reads it */
    if (httpget_check_opts(ctx, &opt, argc - optind) != 0)
        return NK_EX_USAGE;
    opt.url = optind < argc ? argv[optind] : NULL;
    return httpget_run(ctx, &opt);
}

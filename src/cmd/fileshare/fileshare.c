/* netkit fileshare: the file-sharing exercise (the client names a path,
 * the server sends the file or says it does not exist) as a tool to trust
 * with real files. This file dispatches the subcommands and holds the
 * clients: get, list, put. The server is serve.c; the protocol
 * is src/proto/fileshare.c and docs/fileshare.md.
 *
 * get never leaves a file that looks complete unless it is: bytes go to
 * DEST.part beside DEST, hashed as they arrive; only when every byte came
 * and the SHA-256 matches the server's is DEST.part fsync'ed and renamed
 * to DEST (rename(2) is atomic within a directory). A broken transfer
 * keeps DEST.part for --continue, which hashes what is there and asks the
 * server for the rest from that offset. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileshare_int.h"
#include "netkit/dest.h"
#include "netkit/exitcodes.h"
#include "netkit/fail.h"
#include "netkit/fileshare.h"
#include "netkit/hashring.h"
#include "netkit/http.h"
#include "netkit/http_server.h"
#include "netkit/net.h"
#include "netkit/out.h"
#include "netkit/parse.h"
#include "netkit/progress.h"
#include "netkit/sha256.h"
#include "netkit/url.h"

#define DEFAULT_PORT "9000"
#define IO_BUF (256 * 1024)

const char cmd_fileshare_usage[] =
    "usage: netkit fileshare serve|get|list|put [OPTIONS]\n"
    "\n"
    "Share a directory and fetch files from it, checked end to end with\n"
    "SHA-256 (the file-sharing exercise: the client names a path, the\n"
    "server sends the file or says it does not exist).\n"
    "  serve  share a directory (paths resolved beneath it only)\n"
    "  get    fetch a file: written to a temporary, renamed to DEST only\n"
    "         when complete and its checksum matches; --continue resumes\n"
    "  list   names, sizes and types in a directory of the share\n"
    "  put    upload a file (the server needs --allow-upload)\n"
    "\n"
    "'netkit fileshare SUBCOMMAND --help' shows each one's options.\n"
    "\n"
    "options:\n"
    "  -h, --help   this text\n"
    "\n"
    "examples:\n"
    "  netkit fileshare serve --root ~/pub --port 9000\n"
    "  netkit fileshare get localhost docs/report.pdf --port 9000\n"
    "  netkit fileshare list localhost --port 9000 --json\n";

const struct nk_subcmd cmd_fileshare_subs[] = {
    {"get", fileshare_get, &fileshare_get_spec},
    {"list", fileshare_list, &fileshare_list_spec},
    {"put", fileshare_put, &fileshare_put_spec},
    {"serve", fileshare_serve, &fileshare_serve_spec},
    {NULL, NULL, NULL},
};

/* --- shared client pieces ---------------------------------------------- */

struct copts {
    const char *host, *path, *extra; /* extra: get's nothing, put's REMOTE */
    const char *port;
    const char *dest;
    int force, resume, json;
    int timeout_ms;
};

#define FS_PORT_OPT                                                           \
    NK_OPT('p', "port", NK_OPT_PORTSTR, struct copts, port, 1, 0, "P",        \
           "server port (default " DEFAULT_PORT ")")
#define FS_TIMEOUT_OPT                                                        \
    NK_OPT('t', "timeout", NK_OPT_SECONDS, struct copts, timeout_ms, 100,     \
           86400000, "S", "give up when nothing moves for S seconds (10)")

static const struct nk_optdef get_optdefs[] = {
    FS_PORT_OPT,
    NK_OPT('o', "output", NK_OPT_STRING, struct copts, dest, 0, 0, "DEST",
           "file or directory to save to"),
    NK_OPT('f', "force", NK_OPT_FLAG, struct copts, force, 0, 0, NULL,
           "replace an existing DEST"),
    NK_OPT('C', "continue", NK_OPT_FLAG, struct copts, resume, 0, 0, NULL,
           "resume a broken or killed transfer (DEST.part)"),
    FS_TIMEOUT_OPT,
    NK_OPT_JSON_DEF("one JSON document"),
    NK_OPT_HELP_DEF,
    NK_OPT_END,
};

/* list and put take the same options. */
static const struct nk_optdef list_put_optdefs[] = {
    FS_PORT_OPT,     FS_TIMEOUT_OPT, NK_OPT_JSON_DEF("one JSON document"),
    NK_OPT_HELP_DEF, NK_OPT_END,
};

const struct nk_optspec fileshare_get_spec = {
    "usage: netkit fileshare get HOST PATH [--port P] [-o DEST] [--force]\n"
    "                            [--continue] [--timeout S] [--json]\n"
    "\n"
    "Fetch PATH from a fileshare server into DEST (a file, or a directory\n"
    "to put PATH's base name in; default: the current directory). The bytes\n"
    "go to a new hidden temporary beside DEST (.DEST.XXXXXX.part) and are\n"
    "hashed as they arrive; DEST appears only when the whole file came and\n"
    "its SHA-256 matches the server's. A transfer cut short (or stopped by\n"
    "a signal) is kept as DEST.part, never replacing one. A device or FIFO\n"
    "DEST (/dev/null) is written in place. A progress bar is drawn on\n"
    "stderr when it is a terminal.\n"
    "HOST may instead be a URL, http://HOST[:PORT]/PATH, for any HTTP\n"
    "server: --continue resumes with Range, redirects are followed (5 at\n"
    "most), and the file is verified when the server sends Repr-Digest\n"
    "(netkit's does); otherwise it says it could not verify.\n"
    "\n",
    get_optdefs,
    "examples:\n"
    "  netkit fileshare get localhost notes.txt --port 9000\n"
    "  netkit fileshare get ::1 iso/big.iso -o /tmp/ --port 9000 --continue\n"
    "  netkit fileshare get http://127.0.0.1:8000/notes.txt --continue\n",
    0, NULL};

const struct nk_optspec fileshare_list_spec = {
    "usage: netkit fileshare list HOST [DIR] [--port P] [--timeout S]\n"
    "                             [--json]\n"
    "\n"
    "List a directory of a fileshare server (default: its root): each\n"
    "entry's name, type (file, dir, link, other) and size.\n"
    "HOST may instead be a URL, http://HOST[:PORT]/DIR/, for any HTTP\n"
    "server's directory index: names and types (dir or file), no sizes.\n"
    "\n",
    list_put_optdefs,
    "examples:\n"
    "  netkit fileshare list localhost --port 9000\n"
    "  netkit fileshare list localhost docs --port 9000 --json\n",
    0, NULL};

const struct nk_optspec fileshare_put_spec = {
    "usage: netkit fileshare put HOST FILE [REMOTE] [--port P] [--timeout S]\n"
    "                            [--json]\n"
    "\n"
    "Upload FILE to a server started with --allow-upload, as REMOTE\n"
    "(default: FILE's base name; a REMOTE ending in '/' is a directory).\n"
    "The server stores it under a temporary name, checks its size and\n"
    "SHA-256, and renames it into place; an existing file is not replaced.\n"
    "\n",
    list_put_optdefs,
    "examples:\n"
    "  netkit fileshare put localhost report.pdf --port 9000\n"
    "  netkit fileshare put localhost report.pdf inbox/ --port 9000\n",
    0, NULL};

/* A connection and what was read past the response head. */
struct conn {
    int fd;
    char buf[NK_FS_HEAD_MAX];
    size_t have;
    struct nk_err err;
};

static int
parse_common(int argc, char **argv, struct nk_ctx *ctx, struct copts *o,
             const struct nk_optspec *spec)
{
    int rc;

    o->port = DEFAULT_PORT;
    o->timeout_ms = 10000;
    rc = nk_opt_parse(ctx, spec, argc, argv, o);
    if (rc != NK_OPT_GO)
        return rc == NK_EX_OK ? -1 : rc; /* -1: --help was shown */
    o->json = ctx->json;
    if (optind < argc)
        o->host = argv[optind++];
    if (optind < argc)
        o->path = argv[optind++];
    if (optind < argc)
        o->extra = argv[optind++];
    if (optind < argc)
        return nk_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
    if (o->host == NULL)
        return nk_usage_error(ctx, "HOST is required");
    return 0;
}

/* Connect and send the request line. 0 or -1 with c->err. */
static int
client_conn_open(struct conn *c, const struct copts *o, const char *line,
                 size_t len)
{
    c->have = 0;
    nk_err_clear(&c->err);
    c->fd = nk_connect(o->host, o->port, AF_UNSPEC, SOCK_STREAM, o->timeout_ms,
                       NULL, &c->err);
    if (c->fd < 0)
        return -1;
    if (nk_send_all(c->fd, line, len, o->timeout_ms, &c->err) < 0) {
        nk_close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

/* Read what the socket has (waiting within the timeout): the count, 0 at
 * end of stream, -1 with c->err. Try the socket first: during a transfer
 * data is nearly always waiting. The wait ends at once on a signal that
 * nk_dest_signals_install caught (get), with exit 128 + the signal. */
static ssize_t
sock_recv(struct conn *c, const struct copts *o, char *buf, size_t len)
{
    for (;;) {
        ssize_t n;
        if (nk_dest_signal()) /* checked even while data keeps coming */
            return nk_dest_interrupted(&c->err, nk_dest_signal());
        n = nk_recv_nb(c->fd, buf, len);
        if (n >= 0)
            return n;
        if (n == -1)
            return nk_err_sys(&c->err, errno, "receive");
        if (nk_dest_wait(c->fd, POLLIN, o->timeout_ms, &c->err) < 0)
            return c->err.sys_errno == ETIMEDOUT
                       ? nk_err_sys(&c->err, ETIMEDOUT, "receive")
                       : -1;
    }
}

/* Read the response head (up to the blank line, nk_fs_parse_head); bytes
 * after it stay in c->buf. 0, or -1 with c->err (exit 76 for a malformed
 * head). */
static int
client_read_head(struct conn *c, const struct copts *o, struct nk_fs_head *h)
{
    const char *why;
    size_t head;

    memset(h, 0, sizeof *h);
    while ((head = nk_fs_head_end(c->buf, c->have)) == 0) {
        ssize_t n;
        if (c->have == sizeof c->buf)
            return nk_err_set(&c->err, NK_EX_PROTOCOL,
                              "response: head too long");
        n = sock_recv(c, o, c->buf + c->have, sizeof c->buf - c->have);
        if (n < 0)
            return -1;
        if (n == 0)
            return nk_err_set(&c->err, NK_EX_PROTOCOL,
                              "response: connection closed before a "
                              "complete status");
        c->have += (size_t)n;
    }
    if (nk_fs_parse_head(c->buf, head, h, &why) < 0)
        return nk_err_set(&c->err, NK_EX_PROTOCOL, "response: %s", why);
    c->have -= head;
    memmove(c->buf, c->buf + head, c->have);
    return 0;
}

/* Exit status for a refusal from the server. */
static int
status_exit(int code)
{
    switch (code) {
    case NK_FS_NOT_FOUND:
    case NK_FS_INTERNAL:
        return NK_EX_UNAVAILABLE;
    case NK_FS_FORBIDDEN:
        return NK_EX_NOPERM;
    case NK_FS_BAD_REQUEST:
    case NK_FS_TOO_LONG:
    case NK_FS_CONFLICT:
    case NK_FS_RANGE:
        return NK_EX_DATAERR;
    case NK_FS_TIMEOUT:
    case NK_FS_BUSY:
        return NK_EX_TEMPFAIL;
    case NK_FS_NO_SPACE:
        return NK_EX_IOERR;
    default:
        return NK_EX_PROTOCOL;
    }
}

/* A refusal as an error: "PATH does not exist on HOST" for 404. */
static int
refused(struct nk_err *err, const struct copts *o, const char *path,
        const struct nk_fs_head *h)
{
    if (h->code == NK_FS_NOT_FOUND && strcmp(h->text, "not found") == 0)
        return nk_err_set(err, NK_EX_UNAVAILABLE, "%s does not exist on %s",
                          path, o->host);
    if (h->code == NK_FS_NOT_FOUND)
        return nk_err_set(err, NK_EX_UNAVAILABLE,
                          "%s does not exist on %s (%s)", path, o->host,
                          h->text);
    return nk_err_set(err, status_exit(h->code), "%s refused %s: %d %s",
                      o->host, path, h->code, h->text);
}

/* Next bytes of the body: what came with the head first, then the
 * socket. Returns the count, 0 at end of stream, -1 with c->err. */
static ssize_t
body_read(struct conn *c, const struct copts *o, char *buf, size_t len)
{
    if (c->have > 0) {
        size_t k = c->have < len ? c->have : len;
        memcpy(buf, c->buf, k);
        memmove(c->buf, c->buf + k, c->have - k);
        c->have -= k;
        return (ssize_t)k;
    }
    return sock_recv(c, o, buf, len);
}

static const char *
base_name(const char *path, char *buf, size_t size)
{
    size_t e = strlen(path), s;

    while (e > 0 && path[e - 1] == '/')
        e--;
    s = e;
    while (s > 0 && path[s - 1] != '/')
        s--;
    if (e - s >= size)
        e = s + size - 1;
    memcpy(buf, path + s, e - s);
    buf[e - s] = '\0';
    return buf;
}

static int
file_err(struct nk_err *err, int e, const char *step, const char *file)
{
    nk_err_sys(err, e, "%s %s", step, file);
    if (e == EACCES || e == EPERM || e == EROFS)
        err->exit_code = NK_EX_NOPERM;
    else
        err->exit_code = NK_EX_IOERR;
    return -1;
}

/* --- get ---------------------------------------------------------------- */

struct get_job {
    struct copts *o;
    char dest[4096];
    struct nk_dest d;
    uint64_t start, received, size;
    uint8_t sha[NK_SHA256_LEN];
    int64_t ms;
    struct nk_err err;
    /* get http://...: the URL (after redirects), and whether the server
     * sent a Repr-Digest to verify against */
    int http, have_digest;
    struct nk_url url;
    char upath[NK_FS_PATH_MAX + 1]; /* its path, decoded: names DEST */
    char who[48]; /* "fileshare get": the prefix of its notes */
};

/* DEST from -o (a directory gets PATH's base name), checked and opened
 * before any traffic: nk_dest_open (or nk_dest_resume with --continue)
 * refuses what must not be written and creates the unique temporary. */
static int
get_dest(struct get_job *j)
{
    char base[NK_FS_NAME_MAX + 1];
    struct stat st;
    const char *d = j->o->dest;
    int flags = j->o->force ? 0 : NK_DEST_NOCLOBBER;

    base_name(j->o->path, base, sizeof base);
    if (d != NULL && d[0] == '\0')
        return nk_err_set(&j->err, NK_EX_USAGE, "-o: '' is not a file name");
    if (d == NULL || (stat(d, &st) == 0 && S_ISDIR(st.st_mode))) {
        if (base[0] == '\0' || strcmp(base, ".") == 0 ||
            strcmp(base, "..") == 0)
            return nk_err_set(&j->err, NK_EX_USAGE,
                              "%s names no file: give -o DEST", j->o->path);
        snprintf(j->dest, sizeof j->dest, "%s%s%s", d ? d : "",
                 d && d[0] && d[strlen(d) - 1] != '/' ? "/" : "", base);
    } else {
        snprintf(j->dest, sizeof j->dest, "%s", d);
    }
    if (j->o->resume)
        return nk_dest_resume(&j->d, j->dest, flags, &j->start, &j->err);
    return nk_dest_open(&j->d, j->dest, flags, &j->err);
}

/* --continue: hash the first `have` bytes of the adopted partial file. */
static int
hash_part(struct get_job *j, struct nk_sha256 *h, uint64_t have)
{
    char *buf = malloc(IO_BUF);
    uint64_t off = 0;

    if (buf == NULL)
        return nk_err_set(&j->err, NK_EX_SOFTWARE, "out of memory");
    while (off < have) {
        size_t want = have - off < IO_BUF ? (size_t)(have - off) : IO_BUF;
        ssize_t n = pread(j->d.fd, buf, want, (off_t)off);
        if (n <= 0) {
            free(buf);
            return file_err(&j->err, n < 0 ? errno : EIO, "read", j->d.tmp);
        }
        nk_sha256_update(h, buf, (size_t)n);
        off += (uint64_t)n;
    }
    free(buf);
    return 0;
}

/* Write everything; a caught signal ends a write that blocks (a FIFO
 * nobody reads): -1 with errno EINTR. */
static int
write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR && !nk_dest_signal())
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Fill a slot (one recv returns what the socket buffer holds, often a
 * few hundred KiB): fewer, larger writes and hand-overs. Returns the count
 * (short only at an error or end of stream, reported next call), 0 at
 * end of stream, -1 with c->err. */
static ssize_t
fill_slot(struct conn *c, const struct copts *o, char *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t n = body_read(c, o, buf + got, len - got);
        if (n <= 0)
            return got > 0 ? (ssize_t)got : n;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* Receive the body into the destination from j->start on. -1 with
 * j->err; *keep says whether the data is worth keeping for --continue
 * (the network failed) or not (the disk failed). */
static int
get_body(struct get_job *j, struct conn *c, const struct nk_fs_head *h,
         struct nk_sha256 *hs, int *keep)
{
    struct nk_progress pr;
    struct nk_hashring hz;
    int fd = j->d.fd, rc = 0;

    if (!j->d.in_place && (ftruncate(fd, (off_t)j->start) < 0 ||
                           lseek(fd, (off_t)j->start, SEEK_SET) < 0))
        return file_err(&j->err, errno, "seek", j->d.tmp);
    if (nk_hashring_start(&hz, hs) < 0)
        return nk_err_set(&j->err, NK_EX_SOFTWARE, "out of memory");
    nk_progress_begin(&pr, !j->o->json, h->size, j->start);
    while (rc == 0 && j->received < h->length) {
        uint64_t left = h->length - j->received;
        char *buf = nk_hashring_slot(&hz);
        ssize_t n = fill_slot(
            c, j->o, buf,
            left < NK_HASHRING_SLOT_BUF ? (size_t)left : NK_HASHRING_SLOT_BUF);
        if (n == 0 && h->until_close)
            break; /* HTTP without a length: the end of the body */
        if (n <= 0) {
            /* The cause stays in c->err: nk_err_set clears its target
             * before formatting, so j->err.msg cannot be an argument. */
            if (n == 0)
                nk_err_set(&c->err, NK_EX_IOERR,
                           "receive: the server closed the connection");
            nk_err_set(&j->err, c->err.exit_code,
                       "%s after %" PRIu64 " of %" PRIu64 " bytes", c->err.msg,
                       j->start + j->received, h->size);
            *keep = 1;
            rc = -1;
        } else if (write_all(fd, buf, (size_t)n) < 0) {
            *keep = errno == EINTR && nk_dest_signal();
            if (*keep)
                nk_dest_interrupted(&j->err, nk_dest_signal());
            else
                file_err(&j->err, errno, "write", j->dest);
            rc = -1;
        } else {
            nk_hashring_push(&hz, (size_t)n);
            j->received += (uint64_t)n;
            nk_progress_update(&pr, j->start + j->received);
        }
    }
    nk_progress_end(&pr);
    nk_hashring_finish(&hz);
    if (rc == 0 && !j->d.in_place && fsync(fd) < 0)
        return file_err(&j->err, errno, "write", j->dest);
    return rc;
}

/* One attempt from j->start. Returns 0, -1 (error in j->err), or 1 when
 * the server says the partial file is longer than its file (restart). */
static int
get_once(struct get_job *j, struct nk_sha256 *hs, int *keep)
{
    char line[NK_FS_LINE_MAX + 1];
    struct conn *c = malloc(sizeof *c);
    struct nk_fs_head h;
    int n, rc = -1;

    if (c == NULL)
        return nk_err_set(&j->err, NK_EX_SOFTWARE, "out of memory");
    n = nk_fs_build_get(line, sizeof line, j->o->path, j->start);
    if (n < 0) {
        free(c);
        return nk_err_set(&j->err, NK_EX_DATAERR, "path too long");
    }
    if (client_conn_open(c, j->o, line, (size_t)n) < 0 ||
        client_read_head(c, j->o, &h) < 0) {
        j->err = c->err;
        *keep = 1;
    } else if (h.code == NK_FS_RANGE && j->start > 0) {
        rc = 1;
    } else if (h.code != NK_FS_OK) {
        refused(&j->err, j->o, j->o->path, &h);
    } else if (!h.have_sha || !h.have_length || h.offset != j->start ||
               h.offset + h.length != h.size) {
        nk_err_set(&j->err, NK_EX_PROTOCOL, "response: inconsistent head");
    } else {
        j->size = h.size;
        memcpy(j->sha, h.sha, NK_SHA256_LEN);
        rc = get_body(j, c, &h, hs, keep);
    }
    if (c->fd >= 0)
        nk_close(c->fd);
    free(c);
    return rc;
}

/* --- get over HTTP (get http://HOST[:PORT]/PATH) ------------------------ */

#define REDIRECTS_MAX 5

/* The operand is a URL: the host, port and path come from it (--port is
 * not used), and PATH's base name names DEST. 0, or an exit status. */
static int
http_target(struct nk_ctx *ctx, struct copts *o, struct get_job *j)
{
    const char *q;
    size_t len;
    int n;

    if (nk_url_parse(o->host, &j->url, &j->err) < 0)
        return nk_fail(ctx->cmd->name, ctx->sub, &j->err);
    if (strcmp(j->url.scheme, "http") != 0)
        return nk_usage_error(ctx, "%s: only http:// URLs are supported",
                              o->host);
    if (o->path != NULL)
        return nk_usage_error(ctx,
                              "unexpected argument '%s' (the URL names "
                              "the path)",
                              o->path);
    q = strchr(j->url.path, '?');
    len = q ? (size_t)(q - j->url.path) : strlen(j->url.path);
    n = nk_fs_decode(j->url.path, len, j->upath, sizeof j->upath);
    if (n < 0 || memchr(j->upath, '\0', (size_t)n) != NULL)
        snprintf(j->upath, sizeof j->upath, "%.*s", (int)len, j->url.path);
    j->http = 1;
    o->host = j->url.host;
    o->port = j->url.port[0] ? j->url.port : "80";
    o->path = j->upath;
    return 0;
}

/* Send the GET for j->url (with Range from j->start) and read the
 * response head into hh; what followed it stays in c->buf. 0 or -1 with
 * c->err. */
static int
http_open(struct get_job *j, struct conn *c, struct nk_http_head *hh)
{
    char req[NK_HTTP_REQUEST_MAX + 128];
    struct copts o = *j->o;
    const struct nk_url *u = &j->url;
    int n;

    c->fd = -1;
    o.host = u->host;
    o.port = u->port[0] ? u->port : "80";
    n = nk_http_build_get(req, NK_HTTP_REQUEST_MAX, u->host, u->host_is_ipv6,
                          atoi(o.port), u->path, &c->err);
    if (n < 2)
        return -1;
    n -= 2; /* the blank line comes after ours */
    if (j->start > 0)
        n += snprintf(req + n, sizeof req - (size_t)n,
                      "Range: bytes=%" PRIu64 "-\r\n", j->start);
    n += snprintf(req + n, sizeof req - (size_t)n,
                  "Want-Repr-Digest: sha-256=10\r\n\r\n");
    if (client_conn_open(c, &o, req, (size_t)n) < 0)
        return -1;
    nk_http_head_init(hh);
    for (;;) {
        size_t used = 0;
        ssize_t r = sock_recv(c, &o, c->buf, sizeof c->buf);
        int rc;
        if (r < 0)
            return -1;
        if (r == 0)
            return nk_http_head_eof(hh, &c->err);
        rc = nk_http_head_feed(hh, c->buf, (size_t)r, &used, &c->err);
        if (rc < 0)
            return -1;
        if (rc == 1) {
            c->have = (size_t)r - used;
            memmove(c->buf, c->buf + used, c->have);
            return 0;
        }
    }
}

/* Follow a Location: absolute http://, scheme-relative, absolute path or
 * relative to the current path. 0 or -1 with j->err. */
static int
http_redirect(struct get_job *j, const char *loc)
{
    struct nk_url nu = j->url;
    char buf[sizeof nu.path + 8];
    const char *q;
    size_t dir;

    if (strncmp(loc, "//", 2) == 0) {
        snprintf(buf, sizeof buf, "http:%s", loc);
        loc = buf;
    }
    if (nk_url_like(loc)) {
        if (nk_url_parse(loc, &nu, &j->err) < 0)
            return -1;
        if (strcmp(nu.scheme, "http") != 0)
            return nk_err_set(&j->err, NK_EX_PROTOCOL,
                              "redirected to %s: only http:// is supported",
                              loc);
    } else if (loc[0] == '/') {
        if (strlen(loc) >= sizeof nu.path)
            return nk_err_set(&j->err, NK_EX_PROTOCOL, "redirect too long");
        memcpy(nu.path, loc, strlen(loc) + 1);
    } else {
        q = strchr(j->url.path, '?');
        dir = q ? (size_t)(q - j->url.path) : strlen(j->url.path);
        while (dir > 0 && j->url.path[dir - 1] != '/')
            dir--;
        if (dir + strlen(loc) >= sizeof nu.path)
            return nk_err_set(&j->err, NK_EX_PROTOCOL, "redirect too long");
        memcpy(nu.path + dir, loc, strlen(loc) + 1); /* nu.path[0..dir) is
                                                      * j->url.path's */
    }
    j->url = nu;
    return 0;
}

static int
is_redirect(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 ||
           status == 308;
}

static int
http_refused(struct get_job *j, const struct nk_http_head *hh)
{
    if (hh->status == 404 || hh->status == 410)
        return nk_err_set(&j->err, NK_EX_UNAVAILABLE,
                          "%s does not exist on %s (%d %s)", j->url.path,
                          j->url.host, hh->status, hh->reason);
    return nk_err_set(
        &j->err, hh->status == 401 ? NK_EX_NOPERM : status_exit(hh->status),
        "%s refused %s: %d %s", j->url.host, j->url.path, hh->status,
        hh->reason);
}

/* A 206 must be the range asked for, to the end of the file: anything
 * else spliced onto the partial data would corrupt it. */
static int
http_partial(struct get_job *j, const struct nk_http_head *hh,
             struct nk_fs_head *h)
{
    const char *cr = nk_http_head_get(hh, "Content-Range");
    uint64_t a, b, size;

    if (j->start == 0 || cr == NULL ||
        nk_hs_parse_content_range(cr, &a, &b, &size) != 0)
        return nk_err_set(&j->err, NK_EX_PROTOCOL,
                          "response: 206 without a usable Content-Range "
                          "(asked for bytes=%" PRIu64 "-)",
                          j->start);
    if (a != j->start || b != size - 1 ||
        (hh->content_length >= 0 && (uint64_t)hh->content_length != b - a + 1))
        return nk_err_set(&j->err, NK_EX_PROTOCOL,
                          "response: the server sent %s for bytes=%" PRIu64
                          "-; refusing to splice it onto the partial data",
                          cr, j->start);
    h->size = size;
    h->length = b - a + 1;
    return 0;
}

/* What the answer means: 0 receive the body (h set), 1 start over (the
 * partial data is longer than the file), 2 nothing to receive (the
 * partial data is the whole file), -1 error in j->err. */
static int
http_answer(struct get_job *j, const struct nk_http_head *hh,
            struct nk_fs_head *h, struct nk_sha256 *hs)
{
    const char *cr = nk_http_head_get(hh, "Content-Range");
    const char *dg = nk_http_head_get(hh, "Repr-Digest");
    const char *ce = nk_http_head_get(hh, "Content-Encoding");
    uint64_t a, b, size;
    int k;

    memset(h, 0, sizeof *h);
    if (hh->status == 416 && j->start > 0 && cr != NULL &&
        nk_hs_parse_content_range(cr, &a, &b, &size) == 1 &&
        size <= j->start) {
        j->size = size;
        return size < j->start ? 1 : 2;
    }
    if (hh->status != 200 && hh->status != 206)
        return http_refused(j, hh);
    if (nk_http_head_get(hh, "Transfer-Encoding") != NULL ||
        (ce != NULL && strcasecmp(ce, "identity") != 0))
        return nk_err_set(&j->err, NK_EX_PROTOCOL,
                          "response: an encoded body (Transfer-Encoding or "
                          "Content-Encoding) is not supported");
    k = dg != NULL ? nk_hs_parse_repr_digest(dg, j->sha) : 0;
    if (k < 0)
        return nk_err_set(&j->err, NK_EX_PROTOCOL,
                          "response: bad Repr-Digest '%s'", dg);
    j->have_digest = k == 1;
    if (hh->status == 206) {
        if (http_partial(j, hh, h) < 0)
            return -1;
    } else {
        if (j->start > 0) { /* the server ignored Range: start over */
            nk_diag(j->who,
                    "%s ignored the range (200, the whole "
                    "file): starting over",
                    j->url.host);
            j->start = 0;
            nk_sha256_init(hs);
        }
        h->until_close = hh->content_length < 0;
        h->length = h->until_close ? UINT64_MAX : (uint64_t)hh->content_length;
        h->size = h->until_close ? 0 : h->length;
    }
    j->size = h->size;
    return 0;
}

/* Send the request and read the answer's head, following redirects (at
 * most REDIRECTS_MAX). 0, or -1 with j->err (*keep set when the network
 * failed). */
static int
http_follow(struct get_job *j, struct conn *c, struct nk_http_head *hh,
            int *keep)
{
    for (int hops = 0;; hops++) {
        const char *loc;
        if (http_open(j, c, hh) < 0) {
            j->err = c->err;
            *keep = 1;
            return -1;
        }
        loc = nk_http_head_get(hh, "Location");
        if (!is_redirect(hh->status) || loc == NULL)
            return 0;
        nk_close(c->fd);
        c->fd = -1;
        if (hops == REDIRECTS_MAX)
            return nk_err_set(&j->err, NK_EX_PROTOCOL,
                              "more than %d redirects", REDIRECTS_MAX);
        if (http_redirect(j, loc) < 0)
            return -1;
    }
}

/* One attempt from j->start, redirects followed (at most REDIRECTS_MAX).
 * Returns 0, -1 (j->err), or 1 (start over). */
static int
http_once(struct get_job *j, struct nk_sha256 *hs, int *keep)
{
    struct conn *c = malloc(sizeof *c);
    struct nk_http_head *hh = malloc(sizeof *hh);
    struct nk_fs_head h;
    int rc = -1;

    if (c == NULL || hh == NULL) {
        free(c);
        free(hh);
        return nk_err_set(&j->err, NK_EX_SOFTWARE, "out of memory");
    }
    if (http_follow(j, c, hh, keep) < 0)
        goto out;
    rc = http_answer(j, hh, &h, hs);
    /* A wrong range or a server in trouble: the partial data is still
     * good for a later --continue. */
    if (rc < 0)
        *keep = hh->status == 206 || hh->status == 408 || hh->status >= 500;
    if (rc == 0) {
        rc = get_body(j, c, &h, hs, keep);
        if (rc == 0 && h.until_close)
            j->size = j->start + j->received;
    } else if (rc == 2) {
        rc = 0;
    }
out:
    if (c->fd >= 0)
        nk_close(c->fd);
    free(hh);
    free(c);
    return rc;
}

/* Fetch into j->d, over the line protocol or HTTP, and check the digest:
 * the line protocol's server always sends one; an HTTP server may send
 * Repr-Digest, and when it did not, that is said plainly. The caller
 * commits or cleans up. */
static int
get_fetch(struct get_job *j, int *keep)
{
    int (*once)(struct get_job *, struct nk_sha256 *, int *) =
        j->http ? http_once : get_once;
    struct nk_sha256 hs;
    uint8_t got[NK_SHA256_LEN];
    int rc = -1;

    for (int attempt = 0; attempt < 2; attempt++) {
        nk_sha256_init(&hs);
        j->received = 0;
        if (attempt > 0)
            j->start = 0;
        else if (j->start > 0 && hash_part(j, &hs, j->start) < 0)
            return -1;
        rc = once(j, &hs, keep);
        if (rc <= 0)
            break;
        nk_diag(j->who, "the partial data is longer than the "
                        "remote file: starting over");
    }
    if (rc != 0)
        return -1;
    *keep = 0;
    nk_sha256_final(&hs, got);
    if (j->http && !j->have_digest) {
        memcpy(j->sha, got, NK_SHA256_LEN);
        nk_diag(j->who,
                "not verified: %s sent no Repr-Digest (sha-256); the "
                "SHA-256 shown is of the bytes received",
                j->url.host);
        return 0;
    }
    if (memcmp(got, j->sha, NK_SHA256_LEN) != 0) {
        char a[NK_SHA256_HEXLEN + 1], b[NK_SHA256_HEXLEN + 1];
        return nk_err_set(&j->err, NK_EX_PROTOCOL,
                          "checksum mismatch: got %s, %s said %s; "
                          "nothing saved",
                          nk_sha256_hex(got, a),
                          j->http ? "the server's Repr-Digest" : "server",
                          nk_sha256_hex(j->sha, b));
    }
    return 0;
}

/* The whole get: DEST checked and opened before any traffic, the bytes
 * fetched, then DEST in place (rename; replacing only with --force), or
 * on failure the temporary kept as DEST.part (the network failed, or a
 * signal stopped it: --continue resumes) or removed (a disk error, a
 * checksum mismatch). */
static int
get_run(void *job)
{
    struct get_job *j = job;

    int64_t t0 = nk_now_ms();
    int keep = 0, rc;

    if (nk_dest_signals_install(&j->err) < 0)
        return -1;
    rc = get_dest(j);
    if (rc == 0)
        rc = get_fetch(j, &keep);
    if (rc == 0 && nk_dest_signal())
        rc = nk_dest_interrupted(&j->err, nk_dest_signal());
    if (rc == 0)
        rc = nk_dest_commit(&j->d, j->o->force, &j->err);
    if (rc < 0 && keep && j->d.fd >= 0) {
        char msg[NK_ERR_MSG];
        nk_dest_keep(&j->d);
        snprintf(msg, sizeof msg, "%s", j->err.msg);
        if (j->d.kept[0] != '\0')
            nk_err_set(&j->err, j->err.exit_code,
                       "%s; partial data kept in %s (resume with --continue)",
                       msg, j->d.kept);
    }
    if (rc < 0)
        nk_dest_discard(&j->d);
    nk_dest_signals_restore();
    j->ms = nk_now_ms() - t0;
    return rc;
}

/* get and put share their entry: the options, the operands' checks, the
 * transfer, then its failure or its result. */
struct client_cmd {
    const struct nk_optspec *spec;
    size_t size, err_off; /* the job's size, where its nk_err is */
    /* Check the operands and set up the job: 0, or the exit status. */
    int (*check)(struct nk_ctx *ctx, struct copts *o, void *job);
    int (*run)(void *job);                         /* 0, or -1 with err */
    void (*report)(struct nk_out *out, void *job); /* after "host" */
};

static int
client_main(const struct client_cmd *cc, int argc, char **argv,
            struct nk_ctx *ctx)
{
    struct copts o = {0};
    struct nk_out out;
    struct nk_err *err;
    void *job;
    int rc = parse_common(argc, argv, ctx, &o, cc->spec);

    if (rc != 0)
        return rc < 0 ? NK_EX_OK : rc;
    job = calloc(1, cc->size);
    if (job == NULL)
        return NK_EX_SOFTWARE;
    err = (struct nk_err *)(void *)((char *)job + cc->err_off);
    rc = cc->check(ctx, &o, job);
    if (rc == 0 && (nk_net_init(), cc->run(job) < 0)) {
        rc = err->exit_code == NK_EX_USAGE
                 ? nk_usage_error(ctx, "%s", err->msg)
                 : nk_fail(ctx->cmd->name, ctx->sub, err);
    } else if (rc == 0) {
        nk_out_init(&out, stdout, o.json ? NK_OUT_JSON : NK_OUT_TEXT,
                    ctx->color);
        nk_out_str(&out, "host", o.host);
        cc->report(&out, job);
        rc = nk_out_finish(&out) < 0 ? NK_EX_SOFTWARE : NK_EX_OK;
    }
    free(job);
    return rc;
}

/* What get and put report after "host": the local and remote names and
 * the size; then (report_digest) the SHA-256 and whether it was checked. */
static void
report_names(struct nk_out *out, const char *k1, const char *v1,
             const char *k2, const char *v2, uint64_t size)
{
    nk_out_str(out, k1, v1);
    nk_out_str(out, k2, v2);
    nk_out_uint(out, "size", size);
}

static void
report_digest(struct nk_out *out, const uint8_t *sha, int verified)
{
    char hex[NK_SHA256_HEXLEN + 1];

    nk_out_str(out, "sha256", nk_sha256_hex(sha, hex));
    nk_out_bool(out, "verified", verified);
}

static int
get_check(struct nk_ctx *ctx, struct copts *o, void *job)
{
    struct get_job *j = job;
    int rc;

    if (nk_url_like(o->host) && (rc = http_target(ctx, o, j)) != 0)
        return rc;
    if (o->path == NULL)
        return nk_usage_error(ctx, "PATH is required");
    if (o->extra != NULL)
        return nk_usage_error(ctx, "unexpected argument '%s'", o->extra);
    j->o = o;
    j->d.fd = -1;
    snprintf(j->who, sizeof j->who, "%s %s", ctx->cmd->name,
             ctx->sub != NULL ? ctx->sub : "get");
    return 0;
}

static void
get_report(struct nk_out *out, void *job)
{
    struct get_job *j = job;

    report_names(out, "path", j->o->path, "dest", j->dest, j->size);
    nk_out_uint(out, "resumed_from", j->start);
    nk_out_uint(out, "received", j->received);
    report_digest(out, j->sha, !j->http || j->have_digest);
    nk_out_double(out, "seconds", (double)j->ms / 1000.0, 3);
    nk_out_double(out, "mib_per_s",
                  j->ms > 0 ? (double)j->received / 1048576.0 /
                                  ((double)j->ms / 1000.0)
                            : 0.0,
                  1);
}

/* --- list --------------------------------------------------------------- */

/* Read the LIST body and print one record per entry. */
static int
list_body(struct conn *c, const struct copts *o, const struct nk_fs_head *h,
          struct nk_out *out)
{
    char line[3 * NK_FS_NAME_MAX + 64];
    size_t ll = 0;
    uint64_t left = h->length, count = 0;

    nk_out_arr(out, "entries");
    while (left > 0) {
        char ch, type[8], name[NK_FS_NAME_MAX + 1];
        uint64_t bytes;
        ssize_t n = body_read(c, o, &ch, 1);
        if (n <= 0)
            return n < 0 ? -1
                         : nk_err_set(&c->err, NK_EX_IOERR,
                                      "receive: the listing was cut short");
        left--;
        if (ch != '\n') {
            if (ll + 1 >= sizeof line)
                return nk_err_set(&c->err, NK_EX_PROTOCOL,
                                  "response: listing line too long");
            line[ll++] = ch;
            continue;
        }
        if (nk_fs_parse_entry(line, ll, type, &bytes, name) < 0)
            return nk_err_set(&c->err, NK_EX_PROTOCOL,
                              "response: bad listing line");
        ll = 0;
        nk_out_obj(out, NULL);
        nk_out_str(out, "name", name);
        nk_out_str(out, "type", type);
        nk_out_uint(out, "size", bytes);
        nk_out_close(out);
        count++;
    }
    nk_out_close(out);
    nk_out_uint(out, "count", count);
    return 0;
}

/* --- list over HTTP (list http://HOST[:PORT]/DIR/) ----------------------- */

#define LIST_HTTP_MAX (8u << 20) /* an index page read at most */

/* The index page at j->url into *body (NUL-terminated). 0 or -1. */
static int
http_index(struct get_job *j, char **body, size_t *len, int *truncated)
{
    struct conn *c = malloc(sizeof *c);
    struct nk_http_head *hh = malloc(sizeof *hh);
    size_t cap = LIST_HTTP_MAX;
    int keep = 0, rc = -1;

    *body = NULL;
    *len = 0;
    if (c == NULL || hh == NULL) {
        nk_err_set(&j->err, NK_EX_SOFTWARE, "out of memory");
        goto out;
    }
    if (http_follow(j, c, hh, &keep) < 0)
        goto out;
    if (hh->status != 200) {
        http_refused(j, hh);
        goto out;
    }
    if (hh->content_length >= 0 && (uint64_t)hh->content_length < cap)
        cap = (size_t)hh->content_length;
    *body = malloc(cap + 1);
    if (*body == NULL) {
        nk_err_set(&j->err, NK_EX_SOFTWARE, "out of memory");
        goto out;
    }
    while (*len < cap) {
        ssize_t n = body_read(c, j->o, *body + *len, cap - *len);
        if (n < 0) {
            j->err = c->err;
            goto out;
        }
        if (n == 0)
            break;
        *len += (size_t)n;
    }
    if (hh->content_length >= 0 && *len < (uint64_t)hh->content_length &&
        *len < cap) {
        nk_err_set(&j->err, NK_EX_IOERR, "receive: the index was cut short");
        goto out;
    }
    *truncated = *len == LIST_HTTP_MAX;
    (*body)[*len] = '\0';
    rc = 0;
out:
    if (c != NULL && c->fd >= 0)
        nk_close(c->fd);
    free(c);
    free(hh);
    return rc;
}

/* list http://...: the entries an HTML directory index links to, from
 * any server (netkit's, nginx's autoindex, python's http.server): names
 * and whether each is a directory; an index page has no reliable sizes. */
static int
list_http(struct nk_ctx *ctx, struct copts *o)
{
    struct get_job *j = calloc(1, sizeof *j);
    struct nk_out out;
    char *body = NULL, name[NK_FS_NAME_MAX + 1];
    size_t len = 0, pos = 0;
    uint64_t count = 0;
    int rc, dir, truncated = 0;

    if (j == NULL)
        return NK_EX_SOFTWARE;
    j->o = o;
    rc = http_target(ctx, o, j);
    if (rc == 0) {
        nk_net_init();
        if (http_index(j, &body, &len, &truncated) < 0)
            rc = nk_fail(ctx->cmd->name, ctx->sub, &j->err);
    }
    if (rc == 0) {
        nk_out_init(&out, stdout, o->json ? NK_OUT_JSON : NK_OUT_TEXT,
                    ctx->color);
        nk_out_str(&out, "host", j->url.host);
        nk_out_str(&out, "dir", j->url.path);
        nk_out_arr(&out, "entries");
        while (nk_hs_next_link(body, len, &pos, name, &dir)) {
            nk_out_obj(&out, NULL);
            nk_out_str(&out, "name", name);
            nk_out_str(&out, "type", dir ? "dir" : "file");
            nk_out_close(&out);
            count++;
        }
        nk_out_close(&out);
        nk_out_uint(&out, "count", count);
        nk_out_bool(&out, "truncated", truncated);
        rc = nk_out_finish(&out) < 0 ? NK_EX_SOFTWARE : NK_EX_OK;
    }
    free(body);
    free(j);
    return rc;
}

int
fileshare_list(int argc, char **argv, struct nk_ctx *ctx)
{
    struct copts o = {0};
    struct conn *c;
    struct nk_fs_head h;
    struct nk_out out;
    char line[NK_FS_LINE_MAX + 1];
    const char *dir;
    int n, rc = parse_common(argc, argv, ctx, &o, &fileshare_list_spec);

    if (rc != 0)
        return rc < 0 ? NK_EX_OK : rc;
    if (o.extra != NULL)
        return nk_usage_error(ctx, "unexpected argument '%s'", o.extra);
    if (nk_url_like(o.host))
        return list_http(ctx, &o);
    dir = o.path ? o.path : ".";
    n = nk_fs_build_list(line, sizeof line, dir);
    if (n < 0)
        return nk_usage_error(ctx, "DIR is too long");
    c = malloc(sizeof *c);
    if (c == NULL)
        return NK_EX_SOFTWARE;
    nk_net_init();
    rc = NK_EX_OK;
    if (client_conn_open(c, &o, line, (size_t)n) < 0 ||
        client_read_head(c, &o, &h) < 0) {
        rc = c->err.exit_code;
    } else if (h.code != NK_FS_OK) {
        refused(&c->err, &o, dir, &h);
        rc = c->err.exit_code;
    } else {
        nk_out_init(&out, stdout, o.json ? NK_OUT_JSON : NK_OUT_TEXT,
                    ctx->color);
        nk_out_str(&out, "host", o.host);
        nk_out_str(&out, "dir", dir);
        if (list_body(c, &o, &h, &out) < 0)
            rc = c->err.exit_code;
        nk_out_bool(&out, "truncated", h.truncated);
        if (nk_out_finish(&out) < 0 && rc == NK_EX_OK)
            rc = NK_EX_SOFTWARE;
    }
    if (rc != NK_EX_OK)
        (void)nk_fail(ctx->cmd->name, ctx->sub, &c->err);
    if (c->fd >= 0)
        nk_close(c->fd);
    free(c);
    return rc;
}

/* --- put ---------------------------------------------------------------- */

struct put_job {
    struct copts *o;
    char remote[NK_FS_PATH_MAX + 1];
    uint64_t size;
    uint8_t sha[NK_SHA256_LEN];
    struct nk_err err;
};

static int
put_hash(struct put_job *p, int fd)
{
    struct nk_sha256 h;
    char *buf = malloc(IO_BUF);
    ssize_t n;

    if (buf == NULL)
        return nk_err_set(&p->err, NK_EX_SOFTWARE, "out of memory");
    nk_sha256_init(&h);
    p->size = 0;
    while ((n = read(fd, buf, IO_BUF)) > 0) {
        nk_sha256_update(&h, buf, (size_t)n);
        p->size += (uint64_t)n;
    }
    free(buf);
    if (n < 0)
        return file_err(&p->err, errno, "read", p->o->path);
    nk_sha256_final(&h, p->sha);
    return lseek(fd, 0, SEEK_SET) < 0
               ? file_err(&p->err, errno, "seek", p->o->path)
               : 0;
}

/* Send n bytes, watching for a reply while sending: a server that
 * refuses mid-upload (507, its disk full) answers and closes with the
 * rest unread, and its kernel then resets the connection; the answer,
 * not the reset, is what to report. 0 when sent, 1 when the server has
 * answered (stop sending, read it), -1 with c->err. */
static int
send_watching(struct conn *c, const struct copts *o, const char *buf, size_t n)
{
    while (n > 0) {
        struct pollfd pf = {.fd = c->fd, .events = POLLIN | POLLOUT};
        ssize_t k;
        int r = nk_poll(&pf, 1, o->timeout_ms, &c->err);
        if (r < 0)
            return -1;
        if (r == 0)
            return nk_err_sys(&c->err, ETIMEDOUT, "send");
        if (pf.revents & (POLLIN | POLLHUP | POLLERR))
            return 1;
        k = nk_send_nb(c->fd, buf, n);
        if (k == -1)
            return nk_err_sys(&c->err, errno, "send");
        if (k > 0) {
            buf += k;
            n -= (size_t)k;
        }
    }
    return 0;
}

/* The upload: 0 all sent, 1 the server answered early, -1 p->err. */
static int
put_send(struct put_job *p, struct conn *c, int fd)
{
    struct nk_progress pr;
    char *buf = malloc(IO_BUF);
    uint64_t sent = 0;
    int rc = 0;

    if (buf == NULL)
        return nk_err_set(&p->err, NK_EX_SOFTWARE, "out of memory");
    nk_progress_begin(&pr, !p->o->json, p->size, 0);
    while (rc == 0 && sent < p->size) {
        ssize_t n = read(fd, buf, IO_BUF);
        if (n <= 0) {
            rc = n < 0 ? file_err(&p->err, errno, "read", p->o->path)
                       : nk_err_set(&p->err, NK_EX_IOERR,
                                    "read %s: the file shrank", p->o->path);
            break;
        }
        if ((uint64_t)n > p->size - sent)
            n = (ssize_t)(p->size - sent);
        rc = send_watching(c, p->o, buf, (size_t)n);
        if (rc < 0)
            p->err = c->err;
        sent += (uint64_t)n;
        nk_progress_update(&pr, sent);
    }
    nk_progress_end(&pr);
    free(buf);
    return rc;
}

/* After the upload (or the server's early answer): the final head. A
 * send that failed (reset, broken pipe) may still have a reply waiting
 * in the socket: it says why, so it wins over the send error. */
static int
put_reply(struct put_job *p, struct conn *c, int sent, struct nk_fs_head *h)
{
    struct nk_err send_err = p->err;

    if (sent < 0 && send_err.sys_errno != ECONNRESET &&
        send_err.sys_errno != EPIPE)
        return -1;
    if (client_read_head(c, p->o, h) == 0) {
        if (h->code == NK_FS_CREATED && sent == 0)
            return 0;
        if (h->code == NK_FS_CREATED)
            return nk_err_set(&p->err, NK_EX_PROTOCOL,
                              "response: stored before the upload ended");
        return refused(&p->err, p->o, p->remote, h);
    }
    p->err = sent < 0 ? send_err : c->err;
    return -1;
}

static int
put_run(void *job)
{
    struct put_job *p = job;

    char line[NK_FS_LINE_MAX + 1], base[NK_FS_NAME_MAX + 1];
    struct conn *c;
    struct nk_fs_head h;
    int fd, n, rc = -1;
    const char *r = p->o->extra;

    base_name(p->o->path, base, sizeof base);
    if (r == NULL || r[0] == '\0')
        snprintf(p->remote, sizeof p->remote, "%s", base);
    else if (r[strlen(r) - 1] == '/')
        snprintf(p->remote, sizeof p->remote, "%s%s", r, base);
    else
        snprintf(p->remote, sizeof p->remote, "%s", r);
    fd = open(p->o->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return file_err(&p->err, errno, "open", p->o->path);
    if (put_hash(p, fd) < 0) {
        close(fd);
        return -1;
    }
    n = nk_fs_build_put(line, sizeof line, p->remote, p->size, p->sha);
    c = malloc(sizeof *c);
    if (n < 0 || c == NULL) {
        close(fd);
        free(c);
        return nk_err_set(&p->err, NK_EX_DATAERR, "REMOTE is too long");
    }
    if (client_conn_open(c, p->o, line, (size_t)n) < 0 ||
        client_read_head(c, p->o, &h) < 0)
        p->err = c->err;
    else if (h.code != NK_FS_CONTINUE)
        refused(&p->err, p->o, p->remote, &h);
    else
        rc = put_reply(p, c, put_send(p, c, fd), &h);
    close(fd);
    if (c->fd >= 0)
        nk_close(c->fd);
    free(c);
    return rc;
}

static int
put_check(struct nk_ctx *ctx, struct copts *o, void *job)
{
    if (o->path == NULL)
        return nk_usage_error(ctx, "FILE is required");
    ((struct put_job *)job)->o = o;
    return 0;
}

static void
put_report(struct nk_out *out, void *job)
{
    struct put_job *p = job;

    report_names(out, "file", p->o->path, "remote", p->remote, p->size);
    report_digest(out, p->sha, 1);
}

/* get and put: their entries in one table, so the two cannot drift. */
static const struct client_cmd client_cmds[] = {
    {&fileshare_get_spec, sizeof(struct get_job),
     offsetof(struct get_job, err), get_check, get_run, get_report},
    {&fileshare_put_spec, sizeof(struct put_job),
     offsetof(struct put_job, err), put_check, put_run, put_report},
};

int
fileshare_get(int argc, char **argv, struct nk_ctx *ctx)
{
    return client_main(&client_cmds[0], argc, argv, ctx);
}

int
fileshare_put(int argc, char **argv, struct nk_ctx *ctx)
{
    return client_main(&client_cmds[1], argc, argv, ctx);
}

/* The fileshare command's private interface: each subcommand is an entry
 * point dispatched from fileshare.c; argv[0] is the subcommand name and
 * the return value is the exit status. */
#ifndef NETKIT_CMD_FILESHARE_INT_H
#define NETKIT_CMD_FILESHARE_INT_H

#include "commands.h"

int fileshare_serve(int argc, char **argv, struct nk_ctx *ctx);
int fileshare_get(int argc, char **argv, struct nk_ctx *ctx);
int fileshare_list(int argc, char **argv, struct nk_ctx *ctx);
int fileshare_put(int argc, char **argv, struct nk_ctx *ctx);
extern const struct nk_optspec fileshare_serve_spec, fileshare_get_spec,
    fileshare_list_spec, fileshare_put_spec;

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "netkit/accept.h"
#include "netkit/evloop.h"
#include "netkit/fileshare.h"
#include "netkit/net.h"
#include "netkit/sha256.h"

#define CACHE_SLOTS 64

struct srv_opts {
    const char *root;
    const char *port;
    const char *bind;
    uint64_t max_clients;
    int timeout_ms;
    int header_timeout_ms;
    int read_only;
    int allow_upload;
    int quiet;
};

struct cache_slot {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
    uint8_t sha[NK_SHA256_LEN];
    int used;
};

struct client;

struct srv {
    struct srv_opts o;
    int root_fd;
    atomic_int stop;
    atomic_int active;        /* requests being served (threads) */
    atomic_size_t list_bytes; /* held by listings (serve_req.c) */
    atomic_int ka_idle;       /* HTTP threads waiting between requests */
    atomic_int ka_evict;      /* ... asked to close, to make room */
    pthread_mutex_t mu;       /* the digest cache */
    struct cache_slot cache[CACHE_SLOTS];
    unsigned cache_next;
    /* The main thread's: */
    struct nk_loop *loop;
    int lfd;
    struct nk_acceptor acc;
    struct client *idle_head, *idle_tail; /* no request yet, oldest first */
    uint64_t nidle;
    struct client *ref_head, *ref_tail; /* past --max-clients: refused */
    uint64_t nref;
};

struct client {
    struct srv *s;
    int fd;
    char peer[NK_ADDRSTRLEN];
    char buf[NK_FS_LINE_MAX]; /* the request line, then what followed it */
    size_t have;
    size_t line_len; /* the request line's, without its '\n' */
    int64_t accepted_ms;
    int refused; /* on the refused list: answered 503 once its line is in */
    struct client *prev, *next; /* the idle list */
};

/* --- shared by the line protocol and HTTP (serve_req.c) ---- */

/* A lookup beneath the root: the directories entered (fds[0] is the
 * root, never closed) and the file opened at the end. */
struct walk {
    int fds[NK_FS_DEPTH_MAX + 2];
    int n;
    int file_fd;
    int sys_errno;
};

/* Resolve path beneath the root with the path rules: 0, or the refusal's
 * line-protocol status (403, 404, 400, 503...) with *reason set. Call
 * fss_walk_done(w) either way. */
int fss_resolve(struct srv *s, const char *path, size_t len, struct walk *w,
                int want_last, char *last, enum nk_fs_kind *kind,
                const char **reason);
void fss_walk_keep_file(struct walk *w);
void fss_walk_done(struct walk *w);

/* Wait for events on the client in slices (stop flag seen): 1 ready,
 * 0 deadline or stop, -1 error. */
int fss_wait_slice(struct client *c, short events, int64_t deadline);
/* Send all of p within --timeout (restarting as bytes move). 0 or -1. */
int fss_send_buf(struct client *c, const char *p, size_t len);
/* sendfile [off, end) of fd, counting *sent. 0 or -1. */
int fss_send_body(struct client *c, int fd, off_t off, off_t end,
                  uint64_t *sent);
/* The file's SHA-256 through the server's cache. 0 or -1. */
int fss_file_digest(struct srv *s, int fd, const struct stat *st,
                    uint8_t *sha);
/* Out of descriptors or memory: the server is busy, not broken. */
int fss_busy_errno(int e);

/* A directory's entries, sorted by name, as LIST lines
 * ("type size encoded-name"), charged to the server's listing budget. */
#define LIST_BLOCK (64u * 1024)
struct lblock {
    struct lblock *next;
    size_t used;
    char data[LIST_BLOCK];
};
struct listing {
    struct srv *s;
    struct lblock *blocks;
    char **lines;
    size_t n, cap, bytes, charged;
    int truncated;
};
enum { LIST_NOMEM = -1, LIST_OVER_BUDGET = -2 };
/* 0, LIST_NOMEM/LIST_OVER_BUDGET, or an errno (> 0). */
int fss_read_dir(int dir_fd, struct listing *l);
void fss_list_free(struct listing *l);
/* The status (and reason) for fss_read_dir's failure rc. */
int fss_list_status(int rc, const char **reason);

/* Store size bytes (pre[0..*npre) first, then the socket) as dir/name
 * if their SHA-256 is want: through a reserved temporary, renamed into
 * place without replacing anything. go(c) is called once the temporary
 * exists (it may ask the client for the bytes; -1: the client is gone,
 * and so is the temporary). 0 stored (sha is the digest), -1 client
 * gone, or a line-protocol status with *why (may be NULL). */
int fss_put_store(struct client *c, int dir, const char *name, uint64_t size,
                  const uint8_t *want, char *pre, size_t *npre,
                  int (*go)(struct client *), uint64_t *got, uint8_t *sha,
                  const char **why);
/* After a failed store: read and discard the rest of the upload where the
 * line protocol does (a full disk, a write error), so the client sees the
 * answer rather than a reset. */
void fss_put_drain(struct client *c, int status, uint64_t size, uint64_t *got);

/* The HTTP side (serve_http.c): serve the connection whose request
 * line (in c->buf) ends in HTTP/1.x, keep-alive requests included. */
void fsh_serve(struct client *c);

/* The main thread, at --max-clients with no connection waiting for its
 * first request line: ask one HTTP connection idle between requests to
 * close (within one wait slice). 1 if one was asked, 0 if none is idle. */
int fsh_evict_idle(struct srv *s);

/* A log line on stderr unless --quiet. */
void fss_log(const struct srv *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Serve the request whose line is in c->buf (c->line_len bytes, then
 * '\n' and whatever followed), and log it. The caller closes c->fd. */
void fss_serve(struct client *c);

#endif

/* netkit fileshare serve: share a directory, read-only unless uploads are
 * allowed, to many clients at once.
 *
 * One thread per client (at most --max-clients): a transfer is a long
 * sendfile(2) loop, which a thread expresses plainly, and each thread
 * costs a small stack and no buffer while it sends, so the server's memory
 * stays flat however large the file. Every client socket is non-blocking
 * and every wait is a slice of at most WAIT_SLICE_MS, so a stop request
 * and the idle timeout are both seen within that slice.
 *
 * Paths: every lookup goes through nk_fs_resolve (src/proto/fileshare.c)
 * with the step below: fstatat(AT_SYMLINK_NOFOLLOW) on the current
 * directory's fd, then openat(O_NOFOLLOW) of directories and regular
 * files only. A link's target is walked by the same loop, so a link
 * anywhere on the way that leads above the root is refused, and nothing
 * is ever opened by a path string from the root. openat2(RESOLVE_BENEATH)
 * would do the containment in one call, but it reports every refusal as
 * EXDEV/ELOOP, and the protocol tells the client which rule refused it;
 * the walk is the same on every kernel. A FIFO is never opened (it would
 * block); a regular file is opened O_NONBLOCK and checked again with
 * fstat, so swapping it for a FIFO between the two calls gains nothing.
 *
 * Stopping: SIGINT/SIGTERM are blocked in the client threads; the main
 * thread sees the request in its event loop, stops accepting, raises the
 * stop flag that every client slice checks, and waits for the clients
 * (at most STOP_GRACE_MS). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileshare.h"
#include "netkit/evloop.h"
#include "netkit/exitcodes.h"
#include "netkit/fileshare.h"
#include "netkit/net.h"
#include "netkit/out.h"
#include "netkit/parse.h"
#include "netkit/sha256.h"
#include "netkit/signals.h"

#define WAIT_SLICE_MS 200
#define STOP_GRACE_MS 3000
#define HASH_BUF (256 * 1024)
#define PUT_BUF (256 * 1024)
#define SEND_CHUNK (4u << 20) /* one sendfile call at most */
#define LIST_MAX_BYTES (8u << 20)
#define CACHE_SLOTS 64
#define THREAD_STACK (256 * 1024)

const char fileshare_serve_usage[] =
    "usage: netkit fileshare serve --root DIR --port P [--bind ADDR]\n"
    "                              [--max-clients N] [--timeout S]\n"
    "                              [--read-only | --allow-upload] [--quiet]\n"
    "\n"
    "Share the files under DIR: clients fetch them (GET), list directories\n"
    "(LIST) and, with --allow-upload, store new files (PUT). Paths are\n"
    "resolved beneath DIR: '..', absolute paths, symbolic links that lead\n"
    "out of DIR, devices, FIFOs and sockets, and names with control bytes\n"
    "are refused, each with its own status. Files are sent with sendfile(2).\n"
    "Each request is logged on stderr; SIGINT/SIGTERM stop the server.\n"
    "\n"
    "options:\n"
    "  -r, --root DIR         the directory to share (required)\n"
    "  -p, --port P           port to listen on (0: an ephemeral port)\n"
    "  -b, --bind ADDR        address to listen on (default: every address)\n"
    "  -c, --max-clients N    clients served at once (default 64); more get\n"
    "                         status 503\n"
    "  -t, --timeout S        drop a client idle this long (default 10)\n"
    "  -R, --read-only        refuse every upload (the default)\n"
    "  -U, --allow-upload     accept PUT: new files, stored atomically\n"
    "  -q, --quiet            no per-request log lines\n"
    "  -h, --help             this text\n"
    "\n"
    "examples:\n"
    "  netkit fileshare serve --root ~/pub --port 9000\n"
    "  netkit fileshare serve --root /srv/in --port 9000 --allow-upload\n";

struct srv_opts {
    const char *root;
    char port[8];
    const char *bind;
    uint64_t max_clients;
    int timeout_ms;
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

struct srv {
    struct srv_opts o;
    int root_fd;
    atomic_int stop;
    atomic_int active;
    atomic_ulong put_seq;
    pthread_mutex_t mu; /* the digest cache */
    struct cache_slot cache[CACHE_SLOTS];
    unsigned cache_next;
};

struct client {
    struct srv *s;
    int fd;
    char peer[NK_ADDRSTRLEN];
    char buf[NK_FS_LINE_MAX]; /* the request line, then what followed it */
    size_t have;
};

/* --- logging --------------------------------------------------------- */

static void logf_(const struct srv *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
logf_(const struct srv *s, const char *fmt, ...)
{
    char msg[600];
    va_list ap;

    if (s->o.quiet)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    nk_diag("fileshare", "%s", msg);
}

/* --- waiting and sending in slices ------------------------------------ */

/* Wait for events in slices until ready, the idle deadline, or a stop.
 * 1 ready, 0 timeout or stop, -1 error. */
static int
wait_slice(struct client *c, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - nk_now_ms();
        int r;
        if (atomic_load(&c->s->stop) || left <= 0)
            return 0;
        r = nk_wait_fd(c->fd, events,
                       left < WAIT_SLICE_MS ? (int)left : WAIT_SLICE_MS, NULL);
        if (r != 0)
            return r;
    }
}

/* Send all of buf within the idle timeout (which restarts whenever bytes
 * move). 0 or -1. */
static int
send_buf(struct client *c, const char *p, size_t len)
{
    int64_t deadline = nk_now_ms() + c->s->o.timeout_ms;

    while (len > 0) {
        ssize_t n = nk_send_nb(c->fd, p, len);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            deadline = nk_now_ms() + c->s->o.timeout_ms;
            continue;
        }
        if (n != NK_IO_AGAIN || wait_slice(c, POLLOUT, deadline) <= 0)
            return -1;
    }
    return 0;
}

/* A status line and its headers ("key: value\n" each, already formatted),
 * then the blank line. */
static int
send_head(struct client *c, int code, const char *reason, const char *hdrs)
{
    char head[NK_FS_HEAD_MAX];
    int n =
        snprintf(head, sizeof head, "%d %s\n%s\n", code,
                 reason ? reason : nk_fs_status_text(code), hdrs ? hdrs : "");

    if (n < 0 || (size_t)n >= sizeof head)
        return -1;
    return send_buf(c, head, (size_t)n);
}

/* --- the request line -------------------------------------------------- */

/* Read up to the first '\n' within the timeout. Returns the line length
 * (without '\n'), or -status: 408 time out, 414 too long, 400 closed. */
static int
read_line(struct client *c)
{
    int64_t deadline = nk_now_ms() + c->s->o.timeout_ms;

    for (;;) {
        char *nl = memchr(c->buf, '\n', c->have);
        ssize_t n;
        if (nl != NULL)
            return (int)(nl - c->buf);
        if (c->have == sizeof c->buf)
            return -NK_FS_TOO_LONG;
        n = nk_recv_nb(c->fd, c->buf + c->have, sizeof c->buf - c->have);
        if (n > 0) {
            c->have += (size_t)n;
            continue;
        }
        if (n == 0 || n == -1)
            return -NK_FS_BAD_REQUEST;
        if (wait_slice(c, POLLIN, deadline) <= 0)
            return -NK_FS_TIMEOUT;
    }
}

/* --- resolving beneath the root ---------------------------------------- */

struct walk {
    int fds[NK_FS_DEPTH_MAX + 2]; /* fds[0] is the root, never closed */
    int n;
    int file_fd;
    int sys_errno;
};

static enum nk_fs_kind
walk_step(void *ctx, const char *name, char *target)
{
    struct walk *w = ctx;
    int dir = w->fds[w->n - 1], fd;
    struct stat st;
    ssize_t n;

    if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        w->sys_errno = errno;
        return errno == ENOENT || errno == ENOTDIR ? NK_FSK_MISSING
                                                   : NK_FSK_ERROR;
    }
    if (S_ISLNK(st.st_mode)) {
        n = readlinkat(dir, name, target, NK_FS_PATH_MAX);
        if (n < 0) {
            w->sys_errno = errno;
            return NK_FSK_ERROR;
        }
        target[n] = '\0';
        return NK_FSK_LINK;
    }
    if (S_ISDIR(st.st_mode)) {
        if (w->n == (int)(sizeof w->fds / sizeof w->fds[0])) {
            w->sys_errno = ENAMETOOLONG;
            return NK_FSK_ERROR;
        }
        fd =
            openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            w->sys_errno = errno;
            return errno == ENOENT ? NK_FSK_MISSING : NK_FSK_ERROR;
        }
        w->fds[w->n++] = fd;
        return NK_FSK_DIR;
    }
    if (!S_ISREG(st.st_mode))
        return NK_FSK_SPECIAL;
    fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        w->sys_errno = errno;
        return errno == ENOENT ? NK_FSK_MISSING : NK_FSK_ERROR;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return NK_FSK_SPECIAL;
    }
    if (w->file_fd >= 0)
        close(w->file_fd);
    w->file_fd = fd;
    return NK_FSK_FILE;
}

static void
walk_up(void *ctx)
{
    struct walk *w = ctx;

    if (w->n > 1)
        close(w->fds[--w->n]);
}

static void
walk_init(struct walk *w, int root_fd)
{
    w->fds[0] = root_fd;
    w->n = 1;
    w->file_fd = -1;
    w->sys_errno = 0;
}

static void
walk_done(struct walk *w)
{
    while (w->n > 1)
        close(w->fds[--w->n]);
    if (w->file_fd >= 0)
        close(w->file_fd);
    w->file_fd = -1;
}

static const struct nk_fs_ops walk_ops = {walk_step, walk_up};

/* Resolve and answer a refusal; 0 when resolved. */
static int
resolve(struct client *c, const struct nk_fs_request *r, struct walk *w,
        int want_last, char *last, enum nk_fs_kind *kind)
{
    enum nk_fs_path_err e;

    walk_init(w, c->s->root_fd);
    e = nk_fs_resolve(r->path, r->path_len, &walk_ops, w, want_last, last,
                      kind, NULL);
    if (e == NK_FSP_OK)
        return 0;
    if (e == NK_FSP_IO && (w->sys_errno == EACCES || w->sys_errno == EPERM)) {
        send_head(c, NK_FS_FORBIDDEN, "permission denied on the server", NULL);
        return -NK_FS_FORBIDDEN;
    }
    send_head(c, nk_fs_path_status(e), nk_fs_path_reason(e), NULL);
    return -nk_fs_path_status(e);
}

/* --- GET ---------------------------------------------------------------- */

static int
cache_get(struct srv *s, const struct stat *st, uint8_t *sha)
{
    int hit = 0;

    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < CACHE_SLOTS && !hit; i++) {
        struct cache_slot *e = &s->cache[i];
        if (e->used && e->dev == st->st_dev && e->ino == st->st_ino &&
            e->size == st->st_size && e->mtime.tv_sec == st->st_mtim.tv_sec &&
            e->mtime.tv_nsec == st->st_mtim.tv_nsec &&
            e->ctime.tv_sec == st->st_ctim.tv_sec &&
            e->ctime.tv_nsec == st->st_ctim.tv_nsec) {
            memcpy(sha, e->sha, NK_SHA256_LEN);
            hit = 1;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return hit;
}

static void
cache_put(struct srv *s, const struct stat *st, const uint8_t *sha)
{
    struct cache_slot *e;

    pthread_mutex_lock(&s->mu);
    e = &s->cache[s->cache_next++ % CACHE_SLOTS];
    e->dev = st->st_dev;
    e->ino = st->st_ino;
    e->size = st->st_size;
    e->mtime = st->st_mtim;
    e->ctime = st->st_ctim;
    memcpy(e->sha, sha, NK_SHA256_LEN);
    e->used = 1;
    pthread_mutex_unlock(&s->mu);
}

/* The digest goes in the head, before the bytes, so the file is read once
 * to hash it; the result is kept per (device, inode, size, mtime, ctime),
 * so later fetches of an unchanged file are zero-copy only. */
static int
file_digest(struct srv *s, int fd, const struct stat *st, uint8_t *sha)
{
    struct nk_sha256 h;
    char *buf;
    off_t off = 0;

    if (cache_get(s, st, sha))
        return 0;
    buf = malloc(HASH_BUF);
    if (buf == NULL)
        return -1;
    nk_sha256_init(&h);
    for (;;) {
        ssize_t n = pread(fd, buf, HASH_BUF, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || atomic_load(&s->stop)) {
            free(buf);
            return -1;
        }
        if (n == 0)
            break;
        nk_sha256_update(&h, buf, (size_t)n);
        off += n;
    }
    free(buf);
    nk_sha256_final(&h, sha);
    if (off != st->st_size)
        return -1; /* changed under us: let the client retry */
    cache_put(s, st, sha);
    return 0;
}

static int
send_body(struct client *c, int fd, off_t off, off_t end, uint64_t *sent)
{
    int64_t deadline = nk_now_ms() + c->s->o.timeout_ms;

    while (off < end) {
        size_t want = (uint64_t)(end - off) > SEND_CHUNK ? SEND_CHUNK
                                                         : (size_t)(end - off);
        ssize_t n = nk_sendfile(c->fd, fd, &off, want);
        if (n > 0) {
            *sent += (uint64_t)n;
            deadline = nk_now_ms() + c->s->o.timeout_ms;
            if (atomic_load(&c->s->stop))
                return -1;
            continue;
        }
        if (n == 0)
            return -1; /* the file shrank: the client sees a short body */
        if (n != NK_IO_AGAIN || wait_slice(c, POLLOUT, deadline) <= 0)
            return -1;
    }
    return 0;
}

static int
do_get(struct client *c, const struct nk_fs_request *r)
{
    struct walk w;
    enum nk_fs_kind kind;
    struct stat st;
    uint8_t sha[NK_SHA256_LEN];
    char hex[NK_SHA256_HEXLEN + 1], hdrs[512];
    uint64_t sent = 0;
    int rc;

    rc = resolve(c, r, &w, 0, NULL, &kind);
    if (rc < 0) {
        walk_done(&w);
        return -rc;
    }
    if (kind != NK_FSK_FILE) {
        walk_done(&w);
        send_head(c, NK_FS_CONFLICT, "is a directory (use list)", NULL);
        return NK_FS_CONFLICT;
    }
    if (fstat(w.file_fd, &st) < 0 || file_digest(c->s, w.file_fd, &st, sha)) {
        walk_done(&w);
        send_head(c, NK_FS_INTERNAL, "read failed on the server", NULL);
        return NK_FS_INTERNAL;
    }
    if (r->offset > (uint64_t)st.st_size) {
        walk_done(&w);
        send_head(c, NK_FS_RANGE, NULL, NULL);
        return NK_FS_RANGE;
    }
    snprintf(hdrs, sizeof hdrs,
             "type: file\nsize: %jd\noffset: %" PRIu64 "\nlength: %" PRIu64
             "\nsha256: %s\n",
             (intmax_t)st.st_size, r->offset, (uint64_t)st.st_size - r->offset,
             nk_sha256_hex(sha, hex));
    rc = send_head(c, NK_FS_OK, NULL, hdrs);
    if (rc == 0)
        rc = send_body(c, w.file_fd, (off_t)r->offset, st.st_size, &sent);
    walk_done(&w);
    logf_(c->s, "%s GET %s: %s, %" PRIu64 " bytes sent", c->peer, r->path,
          rc == 0 ? "200 ok" : "aborted", sent);
    return rc == 0 ? NK_FS_OK : NK_FS_INTERNAL;
}

/* --- LIST --------------------------------------------------------------- */

struct listing {
    char **lines;
    size_t n, cap, bytes;
    int truncated;
};

/* Sort by the name, the third field. */
static int
cmp_entry(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;

    x = strchr(strchr(x, ' ') + 1, ' ') + 1;
    y = strchr(strchr(y, ' ') + 1, ' ') + 1;
    return strcmp(x, y);
}

static int
list_add(struct listing *l, const char *line, size_t n)
{
    if (l->bytes + n > LIST_MAX_BYTES) {
        l->truncated = 1;
        return 0;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **p = realloc(l->lines, cap * sizeof *p);
        if (p == NULL)
            return -1;
        l->lines = p;
        l->cap = cap;
    }
    if ((l->lines[l->n] = strdup(line)) == NULL)
        return -1;
    l->n++;
    l->bytes += n;
    return 0;
}

static void
list_free(struct listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->lines[i]);
    free(l->lines);
}

static int
read_dir(int dir_fd, struct listing *l)
{
    /* A new open file description: a dup() would share the directory
     * offset with every other request that reads the same directory. */
    int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    struct dirent *de;

    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        const char *type = "other";
        char line[3 * NK_FS_NAME_MAX + 64];
        int n;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISREG(st.st_mode))
            type = "file";
        else if (S_ISDIR(st.st_mode))
            type = "dir";
        else if (S_ISLNK(st.st_mode))
            type = "link";
        n = nk_fs_build_entry(line, sizeof line, type,
                              S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0,
                              de->d_name);
        if (n < 0)
            continue;
        if (list_add(l, line, (size_t)n) < 0) {
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    if (l->n > 1)
        qsort(l->lines, l->n, sizeof *l->lines, cmp_entry);
    return 0;
}

static int
do_list(struct client *c, const struct nk_fs_request *r)
{
    struct walk w;
    enum nk_fs_kind kind;
    struct listing l = {0};
    char hdrs[256];
    int rc;

    rc = resolve(c, r, &w, 0, NULL, &kind);
    if (rc < 0) {
        walk_done(&w);
        return -rc;
    }
    if (kind != NK_FSK_DIR) {
        walk_done(&w);
        send_head(c, NK_FS_CONFLICT, "not a directory (use get)", NULL);
        return NK_FS_CONFLICT;
    }
    if (read_dir(w.fds[w.n - 1], &l) < 0) {
        walk_done(&w);
        list_free(&l);
        send_head(c, NK_FS_INTERNAL, "directory read failed on the server",
                  NULL);
        return NK_FS_INTERNAL;
    }
    walk_done(&w);
    snprintf(hdrs, sizeof hdrs,
             "type: dir\nentries: %zu\nlength: %zu\ntruncated: %s\n", l.n,
             l.bytes, l.truncated ? "yes" : "no");
    rc = send_head(c, NK_FS_OK, NULL, hdrs);
    for (size_t i = 0; i < l.n && rc == 0; i++)
        rc = send_buf(c, l.lines[i], strlen(l.lines[i]));
    logf_(c->s, "%s LIST %s: %s, %zu entries", c->peer, r->path,
          rc == 0 ? "200 ok" : "aborted", l.n);
    list_free(&l);
    return rc == 0 ? NK_FS_OK : NK_FS_INTERNAL;
}

/* --- PUT ---------------------------------------------------------------- */

/* Receive exactly r->size bytes into fd, hashing them: 0, or a status. */
static int
put_receive(struct client *c, const struct nk_fs_request *r, int fd,
            uint8_t *sha)
{
    struct nk_sha256 h;
    char *buf = malloc(PUT_BUF);
    uint64_t got = 0;
    int64_t deadline = nk_now_ms() + c->s->o.timeout_ms;
    int status = 0;

    if (buf == NULL)
        return NK_FS_INTERNAL;
    nk_sha256_init(&h);
    while (got < r->size && status == 0) {
        size_t want =
            r->size - got < PUT_BUF ? (size_t)(r->size - got) : PUT_BUF;
        ssize_t n;
        if (c->have > 0) { /* bytes that came with the request line */
            n = (ssize_t)(c->have < want ? c->have : want);
            memcpy(buf, c->buf, (size_t)n);
            memmove(c->buf, c->buf + n, c->have - (size_t)n);
            c->have -= (size_t)n;
        } else {
            n = nk_recv_nb(c->fd, buf, want);
        }
        if (n == NK_IO_AGAIN) {
            if (wait_slice(c, POLLIN, deadline) <= 0)
                status = NK_FS_TIMEOUT;
            continue;
        }
        if (n <= 0) {
            status = NK_FS_BAD_REQUEST;
            break;
        }
        deadline = nk_now_ms() + c->s->o.timeout_ms;
        nk_sha256_update(&h, buf, (size_t)n);
        for (ssize_t off = 0; off < n && status == 0;) {
            ssize_t w = write(fd, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                status = errno == ENOSPC || errno == EDQUOT ? NK_FS_NO_SPACE
                                                            : NK_FS_INTERNAL;
            else
                off += w;
        }
        got += (uint64_t)n;
    }
    free(buf);
    nk_sha256_final(&h, sha);
    if (status == 0 && fsync(fd) < 0)
        status = errno == ENOSPC ? NK_FS_NO_SPACE : NK_FS_INTERNAL;
    return status;
}

/* rename(2) that never replaces: renameat2(RENAME_NOREPLACE) where the
 * file system has it, else link + unlink (link fails on an existing
 * name). */
static int
rename_noreplace(int dir, const char *from, const char *to)
{
    if (renameat2(dir, from, dir, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    if (linkat(dir, from, dir, to, 0) < 0)
        return -1;
    unlinkat(dir, from, 0);
    return 0;
}

static int
put_store(struct client *c, const struct nk_fs_request *r, int dir,
          const char *name)
{
    char tmp[NK_FS_NAME_MAX + 1], hex[NK_SHA256_HEXLEN + 1], hdrs[160];
    uint8_t sha[NK_SHA256_LEN];
    int fd, status;

    snprintf(tmp, sizeof tmp, ".nkput-%ld-%lu.part", (long)getpid(),
             (unsigned long)atomic_fetch_add(&c->s->put_seq, 1));
    fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                0644);
    if (fd < 0) {
        send_head(c,
                  errno == EACCES || errno == EROFS ? NK_FS_FORBIDDEN
                                                    : NK_FS_INTERNAL,
                  "cannot create the file on the server", NULL);
        return NK_FS_INTERNAL;
    }
    if (send_head(c, NK_FS_CONTINUE, NULL, NULL) < 0) {
        close(fd);
        unlinkat(dir, tmp, 0);
        return NK_FS_INTERNAL;
    }
    status = put_receive(c, r, fd, sha);
    if (close(fd) < 0 && status == 0)
        status = NK_FS_INTERNAL;
    if (status == 0 && memcmp(sha, r->sha, NK_SHA256_LEN) != 0)
        status = NK_FS_MISMATCH;
    if (status == 0 && rename_noreplace(dir, tmp, name) < 0)
        status = errno == EEXIST ? NK_FS_CONFLICT : NK_FS_INTERNAL;
    if (status != 0) {
        unlinkat(dir, tmp, 0);
        send_head(c, status,
                  status == NK_FS_CONFLICT ? "already exists" : NULL, NULL);
        return status;
    }
    snprintf(hdrs, sizeof hdrs, "size: %" PRIu64 "\nsha256: %s\n", r->size,
             nk_sha256_hex(sha, hex));
    send_head(c, NK_FS_CREATED, NULL, hdrs);
    return NK_FS_CREATED;
}

static int
do_put(struct client *c, const struct nk_fs_request *r)
{
    struct walk w;
    enum nk_fs_kind kind;
    char name[NK_FS_NAME_MAX + 1];
    struct stat st;
    int rc;

    if (!c->s->o.allow_upload) {
        send_head(c, NK_FS_FORBIDDEN,
                  "uploads are not allowed (server without --allow-upload)",
                  NULL);
        return NK_FS_FORBIDDEN;
    }
    rc = resolve(c, r, &w, 1, name, &kind);
    if (rc == 0 && kind != NK_FSK_DIR) {
        send_head(c, NK_FS_NOT_FOUND, "not a directory", NULL);
        rc = -NK_FS_NOT_FOUND;
    }
    if (rc == 0 &&
        fstatat(w.fds[w.n - 1], name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        send_head(c, NK_FS_CONFLICT, "already exists", NULL);
        rc = -NK_FS_CONFLICT;
    }
    if (rc == 0)
        rc = put_store(c, r, w.fds[w.n - 1], name);
    else
        rc = -rc;
    walk_done(&w);
    logf_(c->s, "%s PUT %s: %d, %" PRIu64 " bytes", c->peer, r->path, rc,
          r->size);
    return rc;
}

/* --- one client --------------------------------------------------------- */

static void
serve_client(struct client *c)
{
    struct nk_fs_request *r = malloc(sizeof *r);
    char reason[NK_FS_REASON_MAX + 1];
    int len, code;

    if (r == NULL)
        return;
    len = read_line(c);
    if (len < 0) {
        send_head(c, -len, NULL, NULL);
        logf_(c->s, "%s dropped: %d %s", c->peer, -len,
              nk_fs_status_text(-len));
        free(r);
        return;
    }
    code = nk_fs_parse_request(c->buf, (size_t)len, r, reason);
    memmove(c->buf, c->buf + len + 1, c->have - (size_t)len - 1);
    c->have -= (size_t)len + 1;
    if (code != 0) {
        send_head(c, code, reason, NULL);
        logf_(c->s, "%s refused: %d %s", c->peer, code, reason);
    } else if (r->verb == NK_FS_GET) {
        do_get(c, r);
    } else if (r->verb == NK_FS_LIST) {
        do_list(c, r);
    } else {
        do_put(c, r);
    }
    free(r);
}

static void *
client_thread(void *arg)
{
    struct client *c = arg;
    struct srv *s = c->s;

    serve_client(c);
    nk_close(c->fd);
    free(c);
    atomic_fetch_sub(&s->active, 1);
    return NULL;
}

/* Start a thread for the connection with SIGINT/SIGTERM blocked, so only
 * the main thread's loop sees them. */
static int
spawn(struct client *c)
{
    pthread_attr_t attr;
    pthread_t th;
    sigset_t block, old;
    int rc;

    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, THREAD_STACK);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    rc = pthread_create(&th, &attr, client_thread, c);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    return rc;
}

static void
on_listener(struct nk_loop *loop, int lfd, unsigned events, void *arg)
{
    struct srv *s = arg;

    (void)loop;
    (void)events;
    for (int i = 0; i < 64; i++) {
        struct nk_addr peer;
        struct nk_err err;
        struct client *c;
        int fd = nk_accept(lfd, &peer, 1, &err);
        if (fd < 0) {
            if (err.sys_errno != EAGAIN && err.sys_errno != EWOULDBLOCK)
                logf_(s, "%s", err.msg);
            return;
        }
        c = calloc(1, sizeof *c);
        if (c == NULL) {
            nk_close(fd);
            continue;
        }
        c->s = s;
        c->fd = fd;
        nk_addr_format((struct sockaddr *)&peer.ss, peer.len, c->peer,
                       sizeof c->peer);
        if ((uint64_t)atomic_fetch_add(&s->active, 1) >= s->o.max_clients) {
            static const char busy[] = "503 too many clients\n\n";
            (void)nk_send_nb(fd, busy, sizeof busy - 1);
            logf_(s, "%s refused: 503 too many clients", c->peer);
        } else if (spawn(c) == 0) {
            continue;
        }
        atomic_fetch_sub(&s->active, 1);
        nk_close(fd);
        free(c);
    }
}

/* --- options and the main loop ----------------------------------------- */

static int
parse_opts(int argc, char **argv, struct nk_ctx *ctx, struct srv_opts *o)
{
    static const struct option longs[] = {
        {"root", required_argument, NULL, 'r'},
        {"port", required_argument, NULL, 'p'},
        {"bind", required_argument, NULL, 'b'},
        {"max-clients", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 't'},
        {"read-only", no_argument, NULL, 'R'},
        {"allow-upload", no_argument, NULL, 'U'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, have_port = 0;

    o->max_clients = 64;
    o->timeout_ms = 10000;
    while ((c = getopt_long(argc, argv, ":r:p:b:c:t:RUqh", longs, NULL)) !=
           -1) {
        switch (c) {
        case 'r':
            o->root = optarg;
            break;
        case 'p':
            if (nk_opt_port(ctx, "--port", optarg, 1, NULL))
                return NK_EX_USAGE;
            snprintf(o->port, sizeof o->port, "%s", optarg);
            have_port = 1;
            break;
        case 'b':
            o->bind = optarg;
            break;
        case 'c':
            if (nk_opt_u64(ctx, "--max-clients", optarg, 1, 100000,
                           &o->max_clients))
                return NK_EX_USAGE;
            break;
        case 't':
            if (nk_opt_seconds(ctx, "--timeout", optarg, 100, 86400000,
                               &o->timeout_ms))
                return NK_EX_USAGE;
            break;
        case 'R':
            o->read_only = 1;
            break;
        case 'U':
            o->allow_upload = 1;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'h':
            nk_print_usage(fileshare_serve_usage);
            return -1;
        default:
            return nk_bad_option(ctx, argv, c);
        }
    }
    if (optind < argc)
        return nk_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
    if (o->root == NULL)
        return nk_usage_error(ctx, "--root DIR is required");
    if (!have_port)
        return nk_usage_error(ctx, "--port is required");
    if (o->read_only && o->allow_upload)
        return nk_usage_error(ctx, "--read-only and --allow-upload conflict");
    return 0;
}

static int
run(struct srv *s, int lfd)
{
    struct nk_err err;
    struct nk_loop *loop = nk_loop_new(NK_LOOP_DEFAULT, &err);
    int64_t until;

    if (loop == NULL ||
        nk_loop_add(loop, lfd, NK_EV_READ, on_listener, s, &err) < 0) {
        nk_diag("fileshare", "%s", err.msg);
        nk_loop_free(loop);
        return err.exit_code ? err.exit_code : NK_EX_SOFTWARE;
    }
    while (!nk_stop_requested()) {
        if (nk_loop_run_once(loop, 1000, &err) < 0 && errno != EINTR) {
            nk_diag("fileshare", "%s", err.msg);
            break;
        }
    }
    nk_loop_free(loop);
    atomic_store(&s->stop, 1);
    until = nk_now_ms() + STOP_GRACE_MS;
    while (atomic_load(&s->active) > 0 && nk_now_ms() < until)
        nk_sleep_ms(20);
    return NK_EX_OK;
}

int
fileshare_serve(int argc, char **argv, struct nk_ctx *ctx)
{
    struct srv *s;
    struct nk_err err;
    struct nk_addr a;
    char addr[NK_ADDRSTRLEN];
    int lfd, rc;

    s = calloc(1, sizeof *s);
    if (s == NULL)
        return NK_EX_SOFTWARE;
    rc = parse_opts(argc, argv, ctx, &s->o);
    if (rc != 0) {
        free(s);
        return rc < 0 ? NK_EX_OK : rc;
    }
    s->root_fd = open(s->o.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->root_fd < 0) {
        nk_err_sys(&err, errno, "root %s", s->o.root);
        nk_diag("fileshare", "%s", err.msg);
        free(s);
        return err.exit_code;
    }
    nk_net_init();
    lfd = nk_listen(s->o.bind, s->o.port, AF_UNSPEC, SOCK_STREAM, 128, &err);
    if (lfd < 0 || nk_set_nonblock(lfd, 1, &err) < 0 ||
        nk_local_addr(lfd, &a, &err) < 0 || nk_stop_install(&err) < 0) {
        nk_diag("fileshare", "%s", err.msg);
        nk_close(lfd);
        close(s->root_fd);
        free(s);
        return err.exit_code;
    }
    pthread_mutex_init(&s->mu, NULL);
    nk_diag(
        "fileshare", "listening on %s",
        nk_addr_format((struct sockaddr *)&a.ss, a.len, addr, sizeof addr));
    rc = run(s, lfd);
    nk_close(lfd);
    nk_stop_uninstall();
    nk_stop_reset();
    /* A client thread still running after the grace period keeps s. */
    if (atomic_load(&s->active) == 0) {
        close(s->root_fd);
        pthread_mutex_destroy(&s->mu);
        free(s);
    }
    nk_diag("fileshare", "stopped");
    return rc;
}

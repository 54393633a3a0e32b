/* netkit fileshare serve, the request side: one request per thread, its
 * line already read by the main thread (serve.c).
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
 * fstat, so swapping it for a FIFO between the two calls gains nothing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileshare_int.h"
#include "netkit/fileshare.h"
#include "netkit/http_server.h"
#include "netkit/net.h"
#include "netkit/parse.h"
#include "netkit/sha256.h"

#define WAIT_SLICE_MS 200
#define HASH_BUF (256 * 1024)
#define PUT_BUF (256 * 1024)
#define SEND_CHUNK (4u << 20)     /* one sendfile call at most */
#define LIST_MAX_BYTES (8u << 20) /* one listing's lines */
#define LIST_BUDGET (16u << 20)   /* every listing held at once */
#define DRAIN_MAX (64ull << 20)   /* a refused upload read and discarded */
#define DRAIN_MS 10000            /* ... for at most this long */
#define TMP_TRIES 8

/* What a request came to, for its one log line. */
struct outcome {
    int code;
    char reason[NK_FS_REASON_MAX + 1];
    char detail[128]; /* ", 21 bytes sent" */
};

/* --- waiting and sending in slices ------------------------------------ */

/* Wait for events in slices until ready, the idle deadline, or a stop.
 * 1 ready, 0 timeout or stop, -1 error. */
int
fss_wait_slice(struct client *c, short events, int64_t deadline)
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
int
fss_send_buf(struct client *c, const char *p, size_t len)
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
        if (n != NK_IO_AGAIN || fss_wait_slice(c, POLLOUT, deadline) <= 0)
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
    return fss_send_buf(c, head, (size_t)n);
}

/* Answer with a status (no headers) and note it for the log line. */
static int
answer(struct client *c, struct outcome *o, int code, const char *reason)
{
    o->code = code;
    snprintf(o->reason, sizeof o->reason, "%s",
             reason ? reason : nk_fs_status_text(code));
    (void)send_head(c, code, o->reason, NULL);
    return code;
}

/* Out of descriptors (or threads) is the server being busy, not broken. */
int
fss_busy_errno(int e)
{
    return e == EMFILE || e == ENFILE || e == ENOMEM || e == EAGAIN;
}

/* --- resolving beneath the root ---------------------------------------- */

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

/* The file is open: the directories above it are no longer needed, and
 * a transfer must not hold one descriptor per level until it ends. */
void
fss_walk_keep_file(struct walk *w)
{
    while (w->n > 1)
        close(w->fds[--w->n]);
}

/* Keep only the innermost directory (PUT's parent). */
static void
walk_keep_last(struct walk *w)
{
    if (w->n <= 2)
        return;
    for (int i = 1; i < w->n - 1; i++)
        close(w->fds[i]);
    w->fds[1] = w->fds[w->n - 1];
    w->n = 2;
}

void
fss_walk_done(struct walk *w)
{
    while (w->n > 1)
        close(w->fds[--w->n]);
    if (w->file_fd >= 0)
        close(w->file_fd);
    w->file_fd = -1;
}

static const struct nk_fs_ops walk_ops = {walk_step, walk_up};

int
fss_resolve(struct srv *s, const char *path, size_t len, struct walk *w,
            int want_last, char *last, enum nk_fs_kind *kind,
            const char **reason)
{
    enum nk_fs_path_err e;

    walk_init(w, s->root_fd);
    e = nk_fs_resolve(path, len, &walk_ops, w, want_last, last, kind, NULL);
    *reason = NULL;
    if (e == NK_FSP_OK)
        return 0;
    if (e == NK_FSP_IO && (w->sys_errno == EACCES || w->sys_errno == EPERM)) {
        *reason = "permission denied on the server";
        return NK_FS_FORBIDDEN;
    }
    if (e == NK_FSP_IO && fss_busy_errno(w->sys_errno)) {
        *reason = "server busy: out of file descriptors";
        return NK_FS_BUSY;
    }
    *reason = nk_fs_path_reason(e);
    return nk_fs_path_status(e);
}

/* Resolve, or answer the refusal: 0 when resolved, else the status. */
static int
resolve(struct client *c, const struct nk_fs_request *r, struct walk *w,
        int want_last, char *last, enum nk_fs_kind *kind, struct outcome *o)
{
    const char *why;
    int code = fss_resolve(c->s, r->path, r->path_len, w, want_last, last,
                           kind, &why);

    return code == 0 ? 0 : answer(c, o, code, why);
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
int
fss_file_digest(struct srv *s, int fd, const struct stat *st, uint8_t *sha)
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

int
fss_send_body(struct client *c, int fd, off_t off, off_t end, uint64_t *sent)
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
        if (n != NK_IO_AGAIN || fss_wait_slice(c, POLLOUT, deadline) <= 0)
            return -1;
    }
    return 0;
}

/* Resolve r's path and check it names a want: 0 (the caller finishes w),
 * or -1 with the refusal answered and w finished. */
static int
resolve_as(struct client *c, const struct nk_fs_request *r, struct walk *w,
           enum nk_fs_kind want, const char *other, struct outcome *o)
{
    enum nk_fs_kind kind;

    if (resolve(c, r, w, 0, NULL, &kind, o) != 0) {
        fss_walk_done(w);
        return -1;
    }
    if (kind != want) {
        fss_walk_done(w);
        answer(c, o, NK_FS_CONFLICT, other);
        return -1;
    }
    return 0;
}

static void
do_get(struct client *c, const struct nk_fs_request *r, struct outcome *o)
{
    struct walk w;
    struct stat st;
    uint8_t sha[NK_SHA256_LEN];
    char hex[NK_SHA256_HEXLEN + 1], hdrs[512];
    uint64_t sent = 0, len;

    if (resolve_as(c, r, &w, NK_FSK_FILE, "is a directory (use list)", o) < 0)
        return;
    fss_walk_keep_file(&w);
    if (fstat(w.file_fd, &st) < 0 ||
        fss_file_digest(c->s, w.file_fd, &st, sha)) {
        fss_walk_done(&w);
        answer(c, o, NK_FS_INTERNAL, "read failed on the server");
        return;
    }
    if (r->offset > (uint64_t)st.st_size) {
        fss_walk_done(&w);
        answer(c, o, NK_FS_RANGE, NULL);
        return;
    }
    len = (uint64_t)st.st_size - r->offset;
    snprintf(hdrs, sizeof hdrs,
             "type: file\nsize: %jd\noffset: %" PRIu64 "\nlength: %" PRIu64
             "\nsha256: %s\n",
             (intmax_t)st.st_size, r->offset, len, nk_sha256_hex(sha, hex));
    o->code = NK_FS_OK;
    snprintf(o->reason, sizeof o->reason, "%s", nk_fs_status_text(NK_FS_OK));
    if (send_head(c, NK_FS_OK, NULL, hdrs) == 0 &&
        fss_send_body(c, w.file_fd, (off_t)r->offset, st.st_size, &sent) == 0)
        snprintf(o->detail, sizeof o->detail, ", %" PRIu64 " bytes sent",
                 sent);
    else
        snprintf(o->detail, sizeof o->detail,
                 ", aborted after %" PRIu64 " of %" PRIu64 " bytes", sent,
                 len);
    fss_walk_done(&w);
}

/* --- LIST --------------------------------------------------------------- */

/* A listing is sorted, and its length goes in the head, so it is built
 * before it is sent; its lines are packed in LIST_BLOCK blocks, and every
 * byte it holds (blocks and the pointer array) is charged to the server's
 * LIST_BUDGET. A client that does not read keeps its listing until
 * --timeout, so however many slow readers there are, listings take at
 * most LIST_BUDGET: a LIST that would go beyond gets 503 and may retry. */

static int
list_charge(struct listing *l, size_t n)
{
    size_t before = atomic_fetch_add(&l->s->list_bytes, n);

    if (before + n > LIST_BUDGET) {
        atomic_fetch_sub(&l->s->list_bytes, n);
        return LIST_OVER_BUDGET;
    }
    l->charged += n;
    return 0;
}

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
list_grow(struct listing *l)
{
    size_t cap = l->cap ? l->cap * 2 : 256;
    char **p;
    int rc = list_charge(l, (cap - l->cap) * sizeof *p);

    if (rc < 0)
        return rc;
    p = realloc(l->lines, cap * sizeof *p);
    if (p == NULL)
        return LIST_NOMEM;
    l->lines = p;
    l->cap = cap;
    return 0;
}

/* Store one line (n bytes and a NUL). 0, or LIST_NOMEM/LIST_OVER_BUDGET. */
static int
fss_list_add(struct listing *l, const char *line, size_t n)
{
    struct lblock *b = l->blocks;
    int rc;

    if (l->bytes + n > LIST_MAX_BYTES) {
        l->truncated = 1;
        return 0;
    }
    if (l->n == l->cap && (rc = list_grow(l)) < 0)
        return rc;
    if (b == NULL || b->used + n + 1 > sizeof b->data) {
        if ((rc = list_charge(l, sizeof *b)) < 0)
            return rc;
        if ((b = malloc(sizeof *b)) == NULL)
            return LIST_NOMEM;
        b->used = 0;
        b->next = l->blocks;
        l->blocks = b;
    }
    l->lines[l->n++] = memcpy(b->data + b->used, line, n + 1);
    b->used += n + 1;
    l->bytes += n;
    return 0;
}

void
fss_list_free(struct listing *l)
{
    while (l->blocks != NULL) {
        struct lblock *b = l->blocks;
        l->blocks = b->next;
        free(b);
    }
    free(l->lines);
    atomic_fetch_sub(&l->s->list_bytes, l->charged);
    l->charged = 0;
}

static const char *
entry_type(const struct stat *st)
{
    if (S_ISREG(st->st_mode))
        return "file";
    if (S_ISDIR(st->st_mode))
        return "dir";
    return S_ISLNK(st->st_mode) ? "link" : "other";
}

/* 0, LIST_NOMEM/LIST_OVER_BUDGET, or the open error's errno (> 0).
 * Uploads in progress (reserved names) are not listed. */
int
fss_read_dir(int dir_fd, struct listing *l)
{
    /* A new open file description: a dup() would share the directory
     * offset with every other request that reads the same directory. */
    int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    struct dirent *de;

    if (d == NULL) {
        rc = errno ? errno : EIO;
        if (fd >= 0)
            close(fd);
        return rc;
    }
    while (rc == 0 && (de = readdir(d)) != NULL) {
        struct stat st;
        char line[3 * NK_FS_NAME_MAX + 64];
        int n;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
            nk_fs_name_reserved(de->d_name))
            continue;
        if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        n = nk_fs_build_entry(line, sizeof line, entry_type(&st),
                              S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0,
                              de->d_name);
        if (n >= 0)
            rc = fss_list_add(l, line, (size_t)n);
    }
    closedir(d);
    if (rc == 0 && l->n > 1)
        qsort(l->lines, l->n, sizeof *l->lines, cmp_entry);
    return rc;
}

int
fss_list_status(int rc, const char **reason)
{
    if (rc == LIST_OVER_BUDGET) {
        *reason = "server busy: too many large listings at once, try again";
        return NK_FS_BUSY;
    }
    if (rc > 0 && fss_busy_errno(rc)) {
        *reason = "server busy: out of file descriptors";
        return NK_FS_BUSY;
    }
    *reason = "directory read failed on the server";
    return NK_FS_INTERNAL;
}

static void
list_refused(struct client *c, struct outcome *o, int rc)
{
    const char *why;
    int code = fss_list_status(rc, &why);

    answer(c, o, code, why);
}

static void
do_list(struct client *c, const struct nk_fs_request *r, struct outcome *o)
{
    struct walk w;
    struct listing l = {.s = c->s};
    char hdrs[256];
    int rc;

    if (resolve_as(c, r, &w, NK_FSK_DIR, "not a directory (use get)", o) < 0)
        return;
    rc = fss_read_dir(w.fds[w.n - 1], &l);
    fss_walk_done(&w);
    if (rc != 0) {
        fss_list_free(&l);
        list_refused(c, o, rc);
        return;
    }
    snprintf(hdrs, sizeof hdrs,
             "type: dir\nentries: %zu\nlength: %zu\ntruncated: %s\n", l.n,
             l.bytes, l.truncated ? "yes" : "no");
    rc = send_head(c, NK_FS_OK, NULL, hdrs);
    for (size_t i = 0; i < l.n && rc == 0; i++)
        rc = fss_send_buf(c, l.lines[i], strlen(l.lines[i]));
    o->code = NK_FS_OK;
    snprintf(o->reason, sizeof o->reason, "%s", nk_fs_status_text(NK_FS_OK));
    snprintf(o->detail, sizeof o->detail, ", %zu entries%s", l.n,
             rc == 0 ? "" : ", aborted");
    fss_list_free(&l);
}

/* --- PUT ---------------------------------------------------------------- */

/* Receive size bytes into fd (pre[0..*npre) first: what came with the
 * request), hashing them: 0, or a status. *got counts the bytes that
 * arrived; on a write error (507, 500) the rest is left unread for
 * drain(). */
static int
put_receive(struct client *c, uint64_t size, char *pre, size_t *npre, int fd,
            uint8_t *sha, uint64_t *got)
{
    struct nk_sha256 h;
    char *buf = malloc(PUT_BUF);
    int64_t deadline = nk_now_ms() + c->s->o.timeout_ms;
    int status = 0;

    if (buf == NULL)
        return NK_FS_INTERNAL;
    nk_sha256_init(&h);
    while (*got < size && status == 0) {
        size_t want = size - *got < PUT_BUF ? (size_t)(size - *got) : PUT_BUF;
        ssize_t n;
        if (*npre > 0) { /* bytes that came with the request */
            n = (ssize_t)(*npre < want ? *npre : want);
            memcpy(buf, pre, (size_t)n);
            memmove(pre, pre + n, *npre - (size_t)n);
            *npre -= (size_t)n;
        } else {
            n = nk_recv_nb(c->fd, buf, want);
        }
        if (n == NK_IO_AGAIN) {
            if (fss_wait_slice(c, POLLIN, deadline) <= 0)
                status = NK_FS_TIMEOUT;
            continue;
        }
        if (n <= 0) {
            status = NK_FS_BAD_REQUEST;
            break;
        }
        deadline = nk_now_ms() + c->s->o.timeout_ms;
        *got += (uint64_t)n;
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
    }
    free(buf);
    nk_sha256_final(&h, sha);
    if (status == 0 && fsync(fd) < 0)
        status = errno == ENOSPC ? NK_FS_NO_SPACE : NK_FS_INTERNAL;
    return status;
}

/* The reply to a failed upload is already sent: half-close, then read
 * and discard what the client still sends, up to the declared size
 * (bounded in bytes and time), so our close sends FIN, not the RST that
 * would destroy the reply before the client reads it. */
static void
drain(struct client *c, uint64_t size, uint64_t *got)
{
    char *buf = malloc(PUT_BUF);
    int64_t end = nk_now_ms() + DRAIN_MS;
    uint64_t limit = *got + DRAIN_MAX;

    (void)nk_shutdown_write(c->fd, NULL);
    if (size < limit)
        limit = size;
    while (buf != NULL && *got < limit && nk_now_ms() < end) {
        size_t want =
            limit - *got < PUT_BUF ? (size_t)(limit - *got) : PUT_BUF;
        ssize_t n = nk_recv_nb(c->fd, buf, want);
        if (n == NK_IO_AGAIN) {
            if (fss_wait_slice(c, POLLIN, end) <= 0)
                break;
            continue;
        }
        if (n <= 0)
            break;
        *got += (uint64_t)n;
    }
    free(buf);
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

/* The upload's temporary file: a random name under the reserved prefix,
 * which the path rules refuse and LIST hides, so no client can see,
 * fetch or squat it; O_EXCL | O_NOFOLLOW, so nothing that exists is ever
 * opened. An fd, or -1 with errno. */
static int
tmp_create(int dir, char *name, size_t size)
{
    static atomic_ulong seq;

    for (int i = 0; i < TMP_TRIES; i++) {
        unsigned long long v;
        int fd;
        if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v)
            v = ((unsigned long long)nk_now_ms() << 20) ^
                (unsigned long long)getpid() * 2654435761u ^
                atomic_fetch_add(&seq, 1) * 0x9e3779b97f4a7c15ull;
        snprintf(name, size, "%s%016llx.part", NK_FS_RESERVED_PREFIX, v);
        fd =
            openat(dir, name,
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

static int
create_status(int e)
{
    if (e == EACCES || e == EPERM || e == EROFS)
        return NK_FS_FORBIDDEN;
    if (e == ENOSPC || e == EDQUOT)
        return NK_FS_NO_SPACE;
    return fss_busy_errno(e) ? NK_FS_BUSY : NK_FS_INTERNAL;
}

int
fss_put_store(struct client *c, int dir, const char *name, uint64_t size,
              const uint8_t *want, char *pre, size_t *npre,
              int (*go)(struct client *), uint64_t *got, uint8_t *sha,
              const char **why)
{
    char tmp[NK_FS_NAME_MAX + 1];
    int fd = tmp_create(dir, tmp, sizeof tmp), status;

    *why = NULL;
    if (fd < 0) {
        status = create_status(errno);
        *why = status == NK_FS_BUSY ? "server busy: out of file descriptors"
                                    : "cannot create the file on the server";
        return status;
    }
    if (go(c) < 0) {
        close(fd);
        unlinkat(dir, tmp, 0);
        return -1;
    }
    status = put_receive(c, size, pre, npre, fd, sha, got);
    if (close(fd) < 0 && status == 0)
        status = NK_FS_INTERNAL;
    if (status == 0 && memcmp(sha, want, NK_SHA256_LEN) != 0)
        status = NK_FS_MISMATCH;
    if (status == 0 && rename_noreplace(dir, tmp, name) < 0)
        status = errno == EEXIST ? NK_FS_CONFLICT : NK_FS_INTERNAL;
    if (status != 0)
        unlinkat(dir, tmp, 0);
    if (status == NK_FS_CONFLICT)
        *why = "already exists";
    return status;
}

void
fss_put_drain(struct client *c, int status, uint64_t size, uint64_t *got)
{
    if ((status == NK_FS_NO_SPACE || status == NK_FS_INTERNAL) && *got < size)
        drain(c, size, got);
}

static int
line_continue(struct client *c)
{
    return send_head(c, NK_FS_CONTINUE, NULL, NULL);
}

static void
put_store(struct client *c, const struct nk_fs_request *r, int dir,
          const char *name, struct outcome *o, uint64_t *got)
{
    char hex[NK_SHA256_HEXLEN + 1], hdrs[160];
    uint8_t sha[NK_SHA256_LEN];
    const char *why;
    int status = fss_put_store(c, dir, name, r->size, r->sha, c->buf, &c->have,
                               line_continue, got, sha, &why);

    if (status < 0) {
        o->code = NK_FS_BAD_REQUEST;
        snprintf(o->reason, sizeof o->reason, "client gone before the data");
        return;
    }
    if (status != 0) {
        answer(c, o, status, why);
        fss_put_drain(c, status, r->size, got);
        return;
    }
    snprintf(hdrs, sizeof hdrs, "size: %" PRIu64 "\nsha256: %s\n", r->size,
             nk_sha256_hex(sha, hex));
    o->code = NK_FS_CREATED;
    snprintf(o->reason, sizeof o->reason, "%s",
             nk_fs_status_text(NK_FS_CREATED));
    send_head(c, NK_FS_CREATED, NULL, hdrs);
}

static void
do_put(struct client *c, const struct nk_fs_request *r, struct outcome *o)
{
    struct walk w;
    enum nk_fs_kind kind;
    char name[NK_FS_NAME_MAX + 1];
    struct stat st;
    uint64_t got = 0;

    if (!c->s->o.allow_upload) {
        answer(c, o, NK_FS_FORBIDDEN,
               "uploads are not allowed (server without --allow-upload)");
        return;
    }
    if (resolve(c, r, &w, 1, name, &kind, o) == 0) {
        walk_keep_last(&w);
        if (kind != NK_FSK_DIR)
            answer(c, o, NK_FS_NOT_FOUND, "not a directory");
        else if (fstatat(w.fds[w.n - 1], name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            answer(c, o, NK_FS_CONFLICT, "already exists");
        else
            put_store(c, r, w.fds[w.n - 1], name, o, &got);
    }
    fss_walk_done(&w);
    snprintf(o->detail, sizeof o->detail,
             ", %" PRIu64 " of %" PRIu64 " bytes received", got, r->size);
}

/* --- one request (its own thread) ------------------------------------- */

static const char *
verb_name(enum nk_fs_verb v)
{
    return v == NK_FS_GET ? "GET" : v == NK_FS_LIST ? "LIST" : "PUT";
}

/* One line per request, whatever became of it: the client's address, the
 * verb, the path as it travels (percent-encoded: one token, no control
 * byte), the status, and what moved. */
static void
fss_log_request(const struct client *c, const struct nk_fs_request *r,
                const struct outcome *o)
{
    char path[3 * NK_FS_PATH_MAX + 1];

    if (nk_fs_encode(r->path, r->path_len, path, sizeof path) < 0)
        snprintf(path, sizeof path, "?");
    fss_log(c->s, "%s %s %s: %d %s%s", c->peer, verb_name(r->verb), path,
            o->code, o->reason, o->detail);
}

void
fss_serve(struct client *c)
{
    struct nk_fs_request *r = malloc(sizeof *r);
    struct outcome o = {.code = NK_FS_INTERNAL};
    char reason[NK_FS_REASON_MAX + 1];
    size_t len = c->line_len;
    int code;

    if (nk_hs_is_http(c->buf, len)) { /* the HTTP side: serve_http.c */
        free(r);
        fsh_serve(c);
        return;
    }
    if (r == NULL) {
        send_head(c, NK_FS_BUSY, "server busy: out of memory", NULL);
        return;
    }
    code = nk_fs_parse_request(c->buf, len, r, reason);
    memmove(c->buf, c->buf + len + 1, c->have - len - 1);
    c->have -= len + 1;
    if (code != 0) {
        send_head(c, code, reason, NULL);
        fss_log(c->s, "%s refused: %d %s", c->peer, code, reason);
        free(r);
        return;
    }
    if (r->verb == NK_FS_GET)
        do_get(c, r, &o);
    else if (r->verb == NK_FS_LIST)
        do_list(c, r, &o);
    else
        do_put(c, r, &o);
    fss_log_request(c, r, &o);
    free(r);
}

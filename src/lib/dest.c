/* Download destinations: a unique temporary created exclusively beside
 * DEST, in-place writes for devices and FIFOs, resume by adoption, and
 * the signals that end a transfer. See include/netkit/dest.h. */
#include "netkit/dest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "netkit/exitcodes.h"

/* A temporary's name carries at most this much of DEST's base name, so
 * ".BASE.XXXXXX.part" stays within NAME_MAX (255). */
#define BASE_MAX 200

static int
file_err(struct nk_err *err, int e, const char *step, const char *file)
{
    nk_err_sys(err, e, "%s %s", step, file);
    err->exit_code =
        e == EACCES || e == EPERM || e == EROFS ? NK_EX_NOPERM : NK_EX_IOERR;
    return -1;
}

/* dir gets DEST's directory ("." when none), base its last component. */
static int
split(const char *path, char *dir, size_t dcap, char *base, size_t bcap)
{
    const char *slash = strrchr(path, '/');
    size_t dn = slash ? (size_t)(slash - path) : 1;
    const char *b = slash ? slash + 1 : path;

    if (slash == path)
        dn = 1; /* "/x": the root */
    if (dn >= dcap || strlen(b) >= bcap)
        return -1;
    memcpy(dir, slash ? path : ".", dn);
    dir[dn] = '\0';
    snprintf(base, bcap, "%s", b);
    if (strlen(base) > BASE_MAX)
        base[BASE_MAX] = '\0';
    return 0;
}

static mode_t
file_mode(void)
{
    mode_t m = umask(0);

    umask(m);
    return 0666 & ~m;
}

/* True when st is the file this process's standard output is. */
static int
is_stdout(const struct stat *st)
{
    struct stat o;

    return fstat(STDOUT_FILENO, &o) == 0 && o.st_dev == st->st_dev &&
           o.st_ino == st->st_ino;
}

/* Create ".BASE.XXXXXX.part" in DEST's directory: O_EXCL (a planted link
 * or file of that name is never opened), mode 0600 until complete, and
 * locked, so a --continue run cannot adopt a live transfer's file. */
static int
make_temp(struct nk_dest *d, struct nk_err *err)
{
    char dir[NK_DEST_PATH_MAX], base[NK_DEST_PATH_MAX];

    if (split(d->path, dir, sizeof dir, base, sizeof base) < 0)
        return nk_err_set(err, NK_EX_USAGE, "%s: file name too long", d->path);
    for (int tries = 0; tries < 100; tries++) {
        int n =
            snprintf(d->tmp, sizeof d->tmp, "%s/.%s.XXXXXX.part", dir, base);
        if (n < 0 || (size_t)n >= sizeof d->tmp)
            return nk_err_set(err, NK_EX_USAGE, "%s: file name too long",
                              d->path);
        d->fd = mkostemps(d->tmp, 5, O_CLOEXEC);
        if (d->fd < 0) {
            int e = errno;
            d->tmp[0] = '\0';
            return file_err(err, e, "create a temporary file for", d->path);
        }
        if (flock(d->fd, LOCK_EX | LOCK_NB) == 0)
            return 0;
        /* A --continue run adopted it in the instant between create and
         * lock: it is that run's now; take another name. */
        close(d->fd);
        d->fd = -1;
    }
    d->tmp[0] = '\0';
    return nk_err_set(err, NK_EX_IOERR, "create a temporary file for %s",
                      d->path);
}

/* A device or FIFO (or our own stdout): written where it is. */
static int
open_in_place(struct nk_dest *d, const struct stat *st, int link,
              struct nk_err *err)
{
    struct stat now;

    d->in_place = 1;
    if (S_ISREG(st->st_mode)) { /* /dev/stdout redirected to a file */
        d->fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        return d->fd < 0 ? file_err(err, errno, "open", d->path) : 0;
    }
    /* No O_TRUNC, no O_CREAT; O_NOFOLLOW unless DEST itself is the link
     * that was checked. Blocks on a FIFO until a reader opens it. */
    d->fd = open(d->path,
                 O_WRONLY | O_CLOEXEC | O_NOCTTY | (link ? 0 : O_NOFOLLOW));
    if (d->fd < 0)
        return errno == EINTR && nk_dest_signal()
                   ? nk_dest_interrupted(err, nk_dest_signal())
                   : file_err(err, errno, "open", d->path);
    if (fstat(d->fd, &now) < 0 || now.st_ino != st->st_ino ||
        now.st_dev != st->st_dev) {
        close(d->fd);
        d->fd = -1;
        return nk_err_set(err, NK_EX_DATAERR,
                          "%s changed while it was being opened", d->path);
    }
    return 0;
}

/* lstat DEST and decide: 1 in place (done), 0 a temporary is needed,
 * -1 refused. */
static int
classify(struct nk_dest *d, int flags, struct nk_err *err)
{
    struct stat st, t;

    if (lstat(d->path, &st) < 0)
        return errno == ENOENT ? 0 : file_err(err, errno, "stat", d->path);
    if (S_ISDIR(st.st_mode))
        return nk_err_set(err, NK_EX_USAGE,
                          "%s is a directory: name a file to write", d->path);
    if (S_ISLNK(st.st_mode)) {
        if (stat(d->path, &t) < 0)
            return nk_err_set(err, NK_EX_DATAERR,
                              "%s is a symbolic link to nothing: refusing to "
                              "write through it",
                              d->path);
        if (S_ISCHR(t.st_mode) || S_ISFIFO(t.st_mode) ||
            (S_ISREG(t.st_mode) && is_stdout(&t)))
            return open_in_place(d, &t, 1, err) < 0 ? -1 : 1;
        return nk_err_set(err, NK_EX_DATAERR,
                          "%s is a symbolic link: refusing to write through "
                          "it or replace it (name its target instead)",
                          d->path);
    }
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
        return open_in_place(d, &st, 0, err) < 0 ? -1 : 1;
    if (!S_ISREG(st.st_mode))
        return nk_err_set(err, NK_EX_DATAERR,
                          "%s is a %s: refusing to write to it", d->path,
                          S_ISBLK(st.st_mode) ? "block device" : "socket");
    if (flags & NK_DEST_NOCLOBBER)
        return nk_err_set(err, NK_EX_DATAERR,
                          "%s exists (use --force to replace it)", d->path);
    return 0;
}

static int
start(struct nk_dest *d, const char *path, struct nk_err *err)
{
    memset(d, 0, sizeof *d);
    d->fd = -1;
    if (path == NULL || path[0] == '\0')
        return nk_err_set(err, NK_EX_USAGE, "'' is not a file name");
    if (strlen(path) >= sizeof d->path)
        return nk_err_set(err, NK_EX_USAGE, "file name too long");
    snprintf(d->path, sizeof d->path, "%s", path);
    d->mode = file_mode();
    return 0;
}

int
nk_dest_open(struct nk_dest *d, const char *path, int flags,
             struct nk_err *err)
{
    int rc;

    if (start(d, path, err) < 0)
        return -1;
    rc = classify(d, flags, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    return make_temp(d, err);
}

/* --- resume -------------------------------------------------------------- */

/* Is name (in dir) a temporary of base: ".BASE.XXXXXX.part"? */
static int
is_temp_of(const char *name, const char *base)
{
    size_t bl = strlen(base), nl = strlen(name);

    if (nl != bl + 13 || name[0] != '.' || strncmp(name + 1, base, bl) != 0 ||
        name[bl + 1] != '.' || strcmp(name + bl + 8, ".part") != 0)
        return 0;
    for (size_t i = bl + 2; i < bl + 8; i++)
        if (!(name[i] >= 'a' && name[i] <= 'z') &&
            !(name[i] >= 'A' && name[i] <= 'Z') &&
            !(name[i] >= '0' && name[i] <= '9'))
            return 0;
    return 1;
}

/* Open and lock a candidate: a regular file of ours with one link that
 * no live transfer holds. fd, or -1. */
static int
try_candidate(int dfd, const char *name, struct stat *st)
{
    int fd = openat(dfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

    if (fd < 0)
        return -1;
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) ||
        st->st_uid != geteuid() || st->st_nlink != 1 ||
        flock(fd, LOCK_EX | LOCK_NB) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The largest candidate in dir: its name in best, an open locked fd. */
static int
find_partial(const char *dir, const char *base, const char *part_name,
             char *best, size_t cap)
{
    DIR *dp = opendir(dir);
    struct dirent *de;
    off_t size = -1;
    int bfd = -1, n = 0;

    if (dp == NULL)
        return -1;
    while ((de = readdir(dp)) != NULL && n++ < 100000) {
        struct stat st;
        int fd;
        if (strcmp(de->d_name, part_name) != 0 &&
            !is_temp_of(de->d_name, base))
            continue;
        fd = try_candidate(dirfd(dp), de->d_name, &st);
        if (fd < 0)
            continue;
        if (st.st_size > size && strlen(de->d_name) < cap) {
            if (bfd >= 0)
                close(bfd);
            bfd = fd;
            size = st.st_size;
            snprintf(best, cap, "%s", de->d_name);
        } else {
            close(fd);
        }
    }
    closedir(dp);
    return bfd;
}

/* Give the adopted file a fresh temporary name of ours. */
static int
adopt(struct nk_dest *d, int fd, const char *dir, const char *base,
      const char *name, struct nk_err *err)
{
    char from[NK_DEST_PATH_MAX + 300];
    struct stat a, b;
    int k, t;

    snprintf(from, sizeof from, "%s/%s", dir, name);
    /* The name must still be the file locked (not replaced meanwhile). */
    if (fstat(fd, &a) < 0 || lstat(from, &b) < 0 || a.st_ino != b.st_ino ||
        a.st_dev != b.st_dev)
        return -1;
    k = snprintf(d->tmp, sizeof d->tmp, "%s/.%s.XXXXXX.part", dir, base);
    if (k < 0 || (size_t)k >= sizeof d->tmp)
        return nk_err_set(err, NK_EX_USAGE, "%s: file name too long", d->path);
    /* mkostemps only picks a free unique name: the new empty file is then
     * replaced by the adopted one, atomically, or removed. */
    t = mkostemps(d->tmp, 5, O_CLOEXEC);
    if (t < 0)
        return file_err(err, errno, "create a temporary file for", d->path);
    close(t);
    if (rename(from, d->tmp) == 0) {
        d->fd = fd;
        return 0;
    }
    t = errno;
    unlink(d->tmp);
    d->tmp[0] = '\0';
    return file_err(err, t, "rename", from);
}

int
nk_dest_resume(struct nk_dest *d, const char *path, int flags, uint64_t *have,
               struct nk_err *err)
{
    char dir[NK_DEST_PATH_MAX], base[NK_DEST_PATH_MAX], part[300], name[300];
    struct stat st;
    int rc, fd;

    *have = 0;
    nk_err_clear(err);
    if (start(d, path, err) < 0)
        return -1;
    rc = classify(d, flags, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (split(d->path, dir, sizeof dir, base, sizeof base) < 0)
        return nk_err_set(err, NK_EX_USAGE, "%s: file name too long", d->path);
    snprintf(part, sizeof part, "%s.part",
             strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
    fd = find_partial(dir, base, part, name, sizeof name);
    if (fd < 0)
        return make_temp(d, err);
    if (adopt(d, fd, dir, base, name, err) < 0 || fstat(fd, &st) < 0 ||
        lseek(fd, 0, SEEK_END) < 0) {
        close(fd);
        d->fd = -1;
        if (err->msg[0] != '\0')
            return -1;
        return make_temp(d, err);
    }
    *have = (uint64_t)st.st_size;
    return 0;
}

/* --- the end of a transfer ------------------------------------------------
 */

int
nk_dest_commit(struct nk_dest *d, int replace, struct nk_err *err)
{
    struct stat st;
    int fd = d->fd;

    d->fd = -1;
    if (d->in_place)
        return close(fd) < 0 ? file_err(err, errno, "write", d->path) : 0;
    if (fchmod(fd, d->mode) < 0 || close(fd) < 0)
        return file_err(err, errno, "write", d->tmp);
    /* DEST was checked at the start; it may have changed since. */
    if (lstat(d->path, &st) == 0 && !S_ISREG(st.st_mode))
        return nk_err_set(err, NK_EX_DATAERR,
                          "%s is no longer a regular file; the data is in %s",
                          d->path, d->tmp);
    if (replace) {
        if (rename(d->tmp, d->path) < 0)
            return file_err(err, errno, "rename to", d->path);
    } else if (renameat2(AT_FDCWD, d->tmp, AT_FDCWD, d->path,
                         RENAME_NOREPLACE) < 0) {
        /* Without renameat2 (old kernel, some file systems): link fails
         * on an existing name just as well. */
        if ((errno != EINVAL && errno != ENOSYS) || link(d->tmp, d->path) < 0)
            return errno == EEXIST
                       ? nk_err_set(err, NK_EX_DATAERR,
                                    "%s appeared meanwhile (use --force); "
                                    "the file is in %s",
                                    d->path, d->tmp)
                       : file_err(err, errno, "rename to", d->path);
        unlink(d->tmp);
    }
    d->tmp[0] = '\0';
    return 0;
}

void
nk_dest_discard(struct nk_dest *d)
{
    if (d->fd >= 0)
        close(d->fd);
    d->fd = -1;
    if (d->tmp[0] != '\0')
        unlink(d->tmp);
    d->tmp[0] = '\0';
}

void
nk_dest_keep(struct nk_dest *d)
{
    char part[sizeof d->path + 8];
    struct stat st;

    d->kept[0] = '\0';
    if (d->fd >= 0 && !d->in_place && fstat(d->fd, &st) == 0 &&
        st.st_size == 0) {
        nk_dest_discard(d); /* nothing worth resuming */
        return;
    }
    if (d->fd >= 0)
        close(d->fd);
    d->fd = -1;
    if (d->tmp[0] == '\0')
        return;
    snprintf(part, sizeof part, "%s.part", d->path);
    if (renameat2(AT_FDCWD, d->tmp, AT_FDCWD, part, RENAME_NOREPLACE) == 0)
        snprintf(d->kept, sizeof d->kept, "%s", part);
    else
        snprintf(d->kept, sizeof d->kept, "%s", d->tmp);
    d->tmp[0] = '\0';
}

/* --- signals --------------------------------------------------------------
 */

static const int caught[] = {SIGINT, SIGTERM, SIGHUP};
#define NCAUGHT (sizeof caught / sizeof caught[0])
static struct sigaction saved[NCAUGHT];
static volatile sig_atomic_t got_signal;
static int wake[2] = {-1, -1}; /* the self-pipe the handler writes */
static int installed;

static void
on_signal(int sig)
{
    int e = errno;

    got_signal = sig;
    if (wake[1] >= 0)
        (void)!write(wake[1], "", 1);
    errno = e;
}

int
nk_dest_signals_install(struct nk_err *err)
{
    struct sigaction sa;

    if (installed)
        nk_dest_signals_restore();
    got_signal = 0;
    if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) < 0)
        return nk_err_sys(err, errno, "pipe");
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocking call ends with EINTR */
    for (size_t i = 0; i < NCAUGHT; i++)
        sigaction(caught[i], &sa, &saved[i]);
    installed = 1;
    return 0;
}

void
nk_dest_signals_restore(void)
{
    if (!installed)
        return;
    for (size_t i = 0; i < NCAUGHT; i++)
        sigaction(caught[i], &saved[i], NULL);
    close(wake[0]);
    close(wake[1]);
    wake[0] = wake[1] = -1;
    installed = 0;
}

int
nk_dest_signal(void)
{
    return got_signal;
}

int
nk_dest_interrupted(struct nk_err *err, int sig)
{
    const char *name = sig == SIGINT    ? "SIGINT"
                       : sig == SIGTERM ? "SIGTERM"
                       : sig == SIGHUP  ? "SIGHUP"
                                        : "a signal";

    nk_err_set(err, 128 + sig, "interrupted by %s", name);
    return -1;
}

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
nk_dest_wait(int fd, short events, int timeout_ms, struct nk_err *err)
{
    int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;

    for (;;) {
        struct pollfd p[2] = {{.fd = fd, .events = events},
                              {.fd = wake[0], .events = POLLIN}};
        int left = deadline < 0 ? -1 : (int)(deadline - now_ms());
        int n;
        if (got_signal)
            return nk_dest_interrupted(err, got_signal);
        if (deadline >= 0 && left <= 0)
            return nk_err_sys(err, ETIMEDOUT, "wait");
        n = poll(p, wake[0] >= 0 ? 2 : 1, left);
        if (n > 0 && p[0].revents != 0)
            return got_signal ? nk_dest_interrupted(err, got_signal) : 0;
        if (n < 0 && errno != EINTR)
            return nk_err_sys(err, errno, "poll");
    }
}

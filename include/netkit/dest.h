/* Where a download's bytes go (httpget -o, fileshare get), safely.
 *
 * A regular (or not yet existing) DEST is never written in place: the
 * bytes go to a temporary ".DEST.XXXXXX.part" beside it, created with
 * O_CREAT|O_EXCL (so never through a planted link, never shared with
 * another run), locked with flock while in use, and renamed onto DEST
 * only when complete. A character device or a FIFO (/dev/null, a named
 * pipe, /dev/stdout) is written in place, never replaced. Anything else
 * (a directory, a block device, a socket, a link to a regular file) is
 * refused before any traffic.
 *
 * SIGINT, SIGTERM and SIGHUP during a transfer set a flag and wake
 * nk_dest_wait, so the command removes its temporary and returns
 * 128 + the signal; no file is unlinked from a signal handler. */
#ifndef NETKIT_DEST_H
#define NETKIT_DEST_H

#include <stdint.h>
#include <sys/types.h>

#include "netkit/err.h"

#define NK_DEST_PATH_MAX 4096

struct nk_dest {
    char path[NK_DEST_PATH_MAX];      /* DEST as given */
    char tmp[NK_DEST_PATH_MAX + 16];  /* the temporary; "" when in place */
    char kept[NK_DEST_PATH_MAX + 16]; /* nk_dest_keep: where the data is */
    int fd;                           /* open for writing, -1 when closed */
    int in_place; /* a device or FIFO (or our stdout): no temporary */
    mode_t mode;  /* the finished file's mode: 0666 & ~umask */
};

/* nk_dest_open flags */
#define NK_DEST_NOCLOBBER 1 /* an existing regular DEST is an error (65) */

/* Open DEST for writing, as described above. Errors: "" or a directory
 * exit 64; a link to a regular file, a dangling link, a block device, a
 * socket, or (NOCLOBBER) an existing file exit 65; the file system's
 * errors 77 (permission) or 74. 0, or -1 with err. */
int nk_dest_open(struct nk_dest *d, const char *path, int flags,
                 struct nk_err *err);

/* --continue: adopt the partial data of an earlier run of DEST, either
 * DEST.part (kept by a failed run) or a ".DEST.XXXXXX.part" left by a
 * run that was killed, whichever is largest among those that are regular
 * files of this user with one link and that no running transfer holds
 * locked. It is first renamed to a fresh temporary name, so two runs
 * never share it. *have gets its length (0 and a fresh temporary when
 * there is none). A device or FIFO DEST is opened as nk_dest_open does. */
int nk_dest_resume(struct nk_dest *d, const char *path, int flags,
                   uint64_t *have, struct nk_err *err);

/* Complete: the temporary gets its final mode and becomes DEST (replace:
 * rename(2) over an existing DEST; otherwise only if DEST still does not
 * exist). In place: just closed. 0, or -1 with err (the temporary is
 * kept; nk_dest_discard removes it). */
int nk_dest_commit(struct nk_dest *d, int replace, struct nk_err *err);

/* Failed: close, and remove the temporary. */
void nk_dest_discard(struct nk_dest *d);

/* Failed, resumable: close, and move the temporary to DEST.part if no
 * such file exists (never replacing one); d->kept names where the data
 * now is ("" when in place or nothing was written). */
void nk_dest_keep(struct nk_dest *d);

/* Catch SIGINT, SIGTERM and SIGHUP for the length of a transfer: each
 * records the signal and wakes nk_dest_wait. 0 or -1 with err. */
int nk_dest_signals_install(struct nk_err *err);

/* Put back the dispositions nk_dest_signals_install found. */
void nk_dest_signals_restore(void);

/* The signal that arrived since the install, or 0. */
int nk_dest_signal(void);

/* Wait until fd is ready for events, within timeout_ms (< 0: no limit).
 * 0 when ready; -1 with err: ETIMEDOUT (exit 75), or "interrupted by
 * SIGTERM" with exit 128 + the signal when one of the caught signals
 * arrived (before or during the wait). */
int nk_dest_wait(int fd, short events, int timeout_ms, struct nk_err *err);

/* The error for a caught signal: "interrupted by SIGINT", exit 128+sig.
 * Returns -1. */
int nk_dest_interrupted(struct nk_err *err, int sig);

#endif

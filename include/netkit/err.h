/* Errors as values: every fallible library call fills a struct nk_err and
 * returns -1. Nothing in the library prints or exits. */
#ifndef NETKIT_ERR_H
#define NETKIT_ERR_H

#include <stdarg.h>

#define NK_ERR_MSG 256

struct nk_err {
    int sys_errno;        /* errno of the failing call, or 0 */
    int gai;              /* getaddrinfo/getnameinfo code, or 0 */
    int exit_code;        /* suggested exit status (exitcodes.h) */
    char msg[NK_ERR_MSG]; /* "step: cause", lowercase, no final period */
};

/* Clear an error value. NULL is allowed. */
void nk_err_clear(struct nk_err *err);

/* Set msg from a format; exit_code as given, errno fields cleared.
 * Always returns -1 so callers can write `return nk_err_set(...)`. */
int nk_err_set(struct nk_err *err, int exit_code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* msg = "<formatted step>: <strerror(errnum)>", exit code derived from
 * errnum (nk_exit_from_errno). errno is restored to errnum. Returns -1. */
int nk_err_sys(struct nk_err *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* msg = "<formatted step>: <gai_strerror(gai)>"; for EAI_SYSTEM the errno
 * text is used. Exit code from nk_exit_from_gai. Returns -1. */
int nk_err_gai(struct nk_err *err, int gai, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Lower-case strerror text ("connection refused"), stable per errnum. */
const char *nk_strerror(int errnum, char *buf, unsigned long len);

/* Map an errno to an exit status: ECONNREFUSED, EADDRINUSE -> 69, ETIMEDOUT ->
 * 75, EACCES/EPERM -> 77, EINVAL -> 65, anything else -> 74. */
int nk_exit_from_errno(int errnum);

/* Map a getaddrinfo code: EAI_NONAME/EAI_NODATA -> 68, EAI_AGAIN -> 75,
 * EAI_SERVICE/EAI_FAMILY/EAI_BADFLAGS -> 65, EAI_MEMORY -> 70,
 * EAI_SYSTEM -> from errno, others -> 68. */
int nk_exit_from_gai(int gai, int sys_errno);

#endif

/* Error values: formatting and the errno/resolver -> exit status policy. */
#include "netkit/err.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "netkit/exitcodes.h"

void
nk_err_clear(struct nk_err *err)
{
    if (err == NULL)
        return;
    err->sys_errno = 0;
    err->gai = 0;
    err->exit_code = 0;
    err->msg[0] = '\0';
}

static void vset(struct nk_err *err, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Clear err and format its message. */
static void
vset(struct nk_err *err, const char *fmt, va_list ap)
{
    nk_err_clear(err);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

/* Append ": cause" without overflowing; a cut message stays terminated. */
static void
append_cause(struct nk_err *err, const char *cause)
{
    size_t used = strlen(err->msg);

    snprintf(err->msg + used, sizeof err->msg - used, ": %s", cause);
}

int
nk_err_set(struct nk_err *err, int exit_code, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return -1;
    va_start(ap, fmt);
    vset(err, fmt, ap);
    va_end(ap);
    err->exit_code = exit_code;
    return -1;
}

/* Copy text lower-casing its first letter ("Connection refused" ->
 * "connection refused") unless it starts an acronym ("EOF"). */
static void
lower_first(char *buf, size_t len, const char *text)
{
    snprintf(buf, len, "%s", text);
    if (isupper((unsigned char)buf[0]) && !isupper((unsigned char)buf[1]))
        buf[0] = (char)tolower((unsigned char)buf[0]);
}

const char *
nk_strerror(int errnum, char *buf, unsigned long len)
{
    /* strerror() is not thread-safe: copy its text at once. */
    lower_first(buf, len, strerror(errnum));
    return buf;
}

int
nk_err_sys(struct nk_err *err, int errnum, const char *fmt, ...)
{
    char cause[128];
    va_list ap;

    if (err != NULL) {
        va_start(ap, fmt);
        vset(err, fmt, ap);
        va_end(ap);
        append_cause(err, nk_strerror(errnum, cause, sizeof cause));
        err->sys_errno = errnum;
        err->exit_code = nk_exit_from_errno(errnum);
    }
    errno = errnum;
    return -1;
}

int
nk_err_gai(struct nk_err *err, int gai, const char *fmt, ...)
{
    char cause[128];
    int saved = errno;
    va_list ap;

    /* The cause first: saved is the errno of the resolver's failure. */
    if (gai == EAI_SYSTEM)
        nk_strerror(saved, cause, sizeof cause);
    else
        lower_first(cause, sizeof cause, gai_strerror(gai));
    if (err == NULL)
        return -1;
    va_start(ap, fmt);
    vset(err, fmt, ap);
    va_end(ap);
    append_cause(err, cause);
    err->gai = gai;
    err->sys_errno = gai == EAI_SYSTEM ? saved : 0;
    err->exit_code = nk_exit_from_gai(gai, saved);
    return -1;
}

int
nk_exit_from_errno(int errnum)
{
    switch (errnum) {
    case ECONNREFUSED:
    case ENETUNREACH:
    case EHOSTUNREACH:
    case EADDRNOTAVAIL:
    case EADDRINUSE: /* the port is taken: unavailable, not an I/O fault */
    case ENOENT:
        return NK_EX_UNAVAILABLE;
    case ETIMEDOUT:
    case EAGAIN:
        return NK_EX_TEMPFAIL;
    case EACCES:
    case EPERM:
        return NK_EX_NOPERM;
    case EINVAL:
    case EAFNOSUPPORT:
        return NK_EX_DATAERR;
    case ENOMEM:
        return NK_EX_SOFTWARE;
    default:
        return NK_EX_IOERR;
    }
}

int
nk_exit_from_gai(int gai, int sys_errno)
{
    switch (gai) {
    case EAI_AGAIN:
        return NK_EX_TEMPFAIL;
    case EAI_SERVICE:
    case EAI_FAMILY:
    case EAI_BADFLAGS:
    case EAI_SOCKTYPE:
        return NK_EX_DATAERR;
    case EAI_MEMORY:
        return NK_EX_SOFTWARE;
    case EAI_SYSTEM:
        return nk_exit_from_errno(sys_errno);
    default: /* EAI_NONAME, EAI_NODATA, EAI_FAIL, EAI_ADDRFAMILY */
        return NK_EX_NOHOST;
    }
}

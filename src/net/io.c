/* Full transfers and deadline-keeping poll. One loop, parameterised by the
 * syscall (as OpenBSD's atomicio), so tests can inject EINTR, EAGAIN and
 * short counts without a network. */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/sendfile.h>
#endif

#include "netkit/net.h"
#include "netkit/parse.h"
#include "netkit/trace.h"

static int
remaining_ms(int64_t deadline)
{
    int64_t left;

    if (deadline < 0)
        return -1;
    left = deadline - nk_now_ms();
    return left > 0 ? (int)left : 0;
}

int
nk_poll(struct pollfd *fds, nfds_t nfds, int timeout_ms, struct nk_err *err)
{
    int64_t deadline = timeout_ms < 0 ? -1 : nk_now_ms() + timeout_ms;

    for (;;) {
        int ms = remaining_ms(deadline), rc = poll(fds, nfds, ms);
        if (nk_tracing())
            nk_trace_wait("poll", (int)nfds, ms, rc, errno);
        if (rc >= 0)
            return rc;
        /* A signal must not restart the full timeout: wait only what is
         * left of the original deadline. */
        if (errno != EINTR)
            return nk_err_sys(err, errno, "poll");
    }
}

int
nk_wait_fd(int fd, short events, int timeout_ms, struct nk_err *err)
{
    struct pollfd p = {.fd = fd, .events = events, .revents = 0};

    return nk_poll(&p, 1, timeout_ms, err);
}

ssize_t
nk_io_full(nk_io_fn fn, int fd, void *buf, size_t len, short events,
           int timeout_ms, const char *what, struct nk_err *err)
{
    int64_t deadline = timeout_ms < 0 ? -1 : nk_now_ms() + timeout_ms;
    char *p = buf;
    size_t done = 0;

    while (done < len) {
        ssize_t n = fn(fd, p + done, len - done);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n == 0)
            break; /* end of file: the caller sees the short count */
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return nk_err_sys(err, errno, "%s", what);
        /* poll may keep saying "ready" while the step keeps failing with
         * EAGAIN (another process sharing the fd took the data first):
         * without this check such a loop would outlive its deadline. */
        if (deadline >= 0 && nk_now_ms() >= deadline)
            return nk_err_sys(err, ETIMEDOUT, "%s", what);
        n = nk_wait_fd(fd, events, remaining_ms(deadline), err);
        if (n < 0)
            return -1;
        if (n == 0)
            return nk_err_sys(err, ETIMEDOUT, "%s", what);
    }
    return (ssize_t)done;
}

static ssize_t
send_step(int fd, void *buf, size_t len)
{
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

    if (nk_tracing())
        nk_trace_io("send", "sendall()", fd, len, n, errno, buf, 1, NULL, 0);
    if (n < 0 && errno == ENOTSOCK) {
        n = write(fd, buf, len); /* a pipe or file given as the stream */
        if (nk_tracing())
            nk_trace_io("write", NULL, fd, len, n, errno, buf, 1, NULL, 0);
    }
    return n;
}

static ssize_t
recv_step(int fd, void *buf, size_t len)
{
    ssize_t n = read(fd, buf, len);

    if (nk_tracing())
        nk_trace_io("read", NULL, fd, len, n, errno, buf, 0, NULL, 0);
    return n;
}

ssize_t
nk_recv_some(int fd, void *buf, size_t len, int timeout_ms, struct nk_err *err)
{
    int64_t deadline = timeout_ms < 0 ? -1 : nk_now_ms() + timeout_ms;

    for (;;) {
        int rc = nk_wait_fd(fd, POLLIN, remaining_ms(deadline), err);
        ssize_t n;
        if (rc < 0)
            return -1;
        if (rc == 0)
            return nk_err_sys(err, ETIMEDOUT, "receive");
        n = read(fd, buf, len);
        if (nk_tracing())
            nk_trace_io("read", NULL, fd, len, n, errno, buf, 0, NULL, 0);
        if (n >= 0)
            return n;
        /* EAGAIN after a "ready": another reader took it; wait again. */
        if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
            return nk_err_sys(err, errno, "receive");
    }
}

/* What a non-blocking step's result n means: the count, NK_IO_AGAIN,
 * -1 (errno set), or NB_RETRY after EINTR. */
#define NB_RETRY (-3)
static ssize_t
nb_result(ssize_t n)
{
    if (n >= 0)
        return n;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return NK_IO_AGAIN;
    return errno == EINTR ? NB_RETRY : -1;
}

/* One non-blocking send (out) or recv: the count, NK_IO_AGAIN, or -1. */
static ssize_t
nb_step(int fd, void *buf, size_t len, int out)
{
    ssize_t n;

    do {
        n = out ? send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT)
                : recv(fd, buf, len, MSG_DONTWAIT);
        if (nk_tracing())
            nk_trace_io(out ? "send" : "recv", NULL, fd, len, n, errno, buf,
                        out, NULL, 0);
    } while ((n = nb_result(n)) == NB_RETRY);
    return n;
}

ssize_t
nk_send_nb(int fd, const void *buf, size_t len)
{
    return nb_step(fd, (void *)buf, len, 1); /* send only reads buf */
}

ssize_t
nk_recv_nb(int fd, void *buf, size_t len)
{
    return nb_step(fd, buf, len, 0);
}

ssize_t
nk_sendfile(int sock, int file_fd, off_t *off, size_t len)
{
    for (;;) {
#ifdef __linux__
        ssize_t n = sendfile(sock, file_fd, off, len);
        if (nk_tracing())
            nk_trace_io("sendfile", NULL, sock, len, n, errno, NULL, 1, NULL,
                        0);
#else
        /* No portable zero-copy call: read and send one chunk. */
        char buf[65536];
        ssize_t n =
            pread(file_fd, buf, len < sizeof buf ? len : sizeof buf, *off);
        if (n > 0) {
            size_t want = (size_t)n;
            n = send(sock, buf, want, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (nk_tracing())
                nk_trace_io("send", "sendfile()", sock, want, n, errno, buf, 1,
                            NULL, 0);
            if (n > 0)
                *off += n;
        }
#endif
        n = nb_result(n);
        if (n != NB_RETRY)
            return n;
    }
}

int
nk_shutdown_write(int fd, struct nk_err *err)
{
    int rc = shutdown(fd, SHUT_WR);

    if (nk_tracing())
        nk_trace_shutdown(fd, SHUT_WR, rc, errno);
    if (rc < 0)
        return nk_err_sys(err, errno, "shutdown");
    return 0;
}

int
nk_sleep_ms(int ms)
{
    /* poll with no fds: a sleep that a signal interrupts (EINTR) */
    return poll(NULL, 0, ms < 0 ? 0 : ms) < 0 && errno == EINTR;
}

ssize_t
nk_send_all(int fd, const void *buf, size_t len, int timeout_ms,
            struct nk_err *err)
{
    /* The cast drops const only to share the loop; send_step never
     * writes through the pointer. */
    return nk_io_full(send_step, fd, (void *)(uintptr_t)buf, len, POLLOUT,
                      timeout_ms, "send", err);
}

ssize_t
nk_recv_exact(int fd, void *buf, size_t len, int timeout_ms,
              struct nk_err *err)
{
    return nk_io_full(recv_step, fd, buf, len, POLLIN, timeout_ms, "receive",
                      err);
}

/* The accept policy every server shares (include/netkit/accept.h). The
 * spare-descriptor trick is libev's and nginx's answer to EMFILE: without
 * it a server out of descriptors either spins on a readable listener or
 * leaves the queued clients hanging with no answer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netkit/accept.h"
#include "netkit/parse.h"

#define DRAIN_MAX (64 * 1024)

int
nk_ratelimit_pass(struct nk_ratelimit *rl, int64_t now_ms,
                  unsigned long *suppressed)
{
    if (now_ms < rl->next_ms) {
        rl->suppressed++;
        return 0;
    }
    rl->next_ms = now_ms + rl->interval_ms;
    *suppressed = rl->suppressed;
    rl->suppressed = 0;
    return 1;
}

static int
spare_open(void)
{
    return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int
nk_acceptor_init(struct nk_acceptor *a, int lfd, const char *busy,
                 struct nk_err *err)
{
    memset(a, 0, sizeof *a);
    a->lfd = lfd;
    a->busy = busy ? busy : "";
    a->log.interval_ms = NK_ACCEPT_LOG_MS;
    a->spare = spare_open();
    if (a->spare < 0)
        return nk_err_sys(err, errno, "open /dev/null (spare descriptor)");
    return 0;
}

void
nk_acceptor_free(struct nk_acceptor *a)
{
    nk_close(a->spare);
    a->spare = -1;
}

void
nk_answer_close(int fd, const char *reply)
{
    char sink[4096];
    size_t drained = 0;

    if (reply != NULL && reply[0] != '\0')
        (void)nk_send_nb(fd, reply, strlen(reply));
    (void)nk_shutdown_write(fd, NULL);
    while (drained < DRAIN_MAX) {
        ssize_t n = nk_recv_nb(fd, sink, sizeof sink);
        if (n <= 0)
            break;
        drained += (size_t)n;
    }
    nk_close(fd);
}

/* Fill err with msg unless the rate limit holds it back (then ""). */
static void
note(struct nk_acceptor *a, struct nk_err *err, const char *msg)
{
    unsigned long more;

    err->msg[0] = '\0';
    if (!nk_ratelimit_pass(&a->log, nk_now_ms(), &more))
        return;
    if (more > 0)
        snprintf(err->msg, sizeof err->msg,
                 "%s (%lu more since the last message)", msg, more);
    else
        snprintf(err->msg, sizeof err->msg, "%s", msg);
}

static int
pause_accepts(struct nk_acceptor *a, struct nk_err *err, const char *why)
{
    char msg[NK_ERR_MSG + 48]; /* why is at most an error message */

    a->resume_ms = nk_now_ms() + NK_ACCEPT_BACKOFF_MS;
    snprintf(msg, sizeof msg, "%s: accepts paused for %d ms", why,
             NK_ACCEPT_BACKOFF_MS);
    note(a, err, msg);
    return NK_ACC_PAUSE;
}

/* Out of descriptors: free the spare's slot, accept the oldest queued
 * client into it, answer it, close it, take the spare back. */
static int
shed_one(struct nk_acceptor *a, struct nk_addr *peer, struct nk_err *err)
{
    struct nk_err e2;
    char addr[NK_ADDRSTRLEN + 48], msg[sizeof addr + 160];
    int fd;

    nk_close(a->spare);
    fd = nk_accept(a->lfd, peer, 1, &e2);
    if (fd >= 0)
        nk_answer_close(fd, a->busy);
    a->spare = spare_open(); /* after the close: that is the free slot */
    if (fd < 0) {
        if (e2.sys_errno == EAGAIN || e2.sys_errno == EWOULDBLOCK)
            return NK_ACC_NONE;
        return pause_accepts(a, err, "out of file descriptors");
    }
    a->shed++;
    nk_peer_format(peer, addr, sizeof addr);
    snprintf(msg, sizeof msg,
             "out of file descriptors: new clients are closed at once "
             "until some leave (%s turned away, %lu so far)",
             addr, a->shed);
    note(a, err, msg);
    return NK_ACC_SHED;
}

/* Errors that belong to one new connection, not to the listener (Linux
 * accept(2) passes them on): skip that client, keep accepting. */
static int
client_error(int e)
{
    return e == ENETDOWN || e == EPROTO || e == ENOPROTOOPT ||
           e == EHOSTDOWN || e == EHOSTUNREACH || e == EOPNOTSUPP ||
           e == ENETUNREACH || e == ECONNRESET || e == ECONNABORTED;
}

int
nk_acceptor_next(struct nk_acceptor *a, struct nk_addr *peer,
                 struct nk_err *err)
{
    struct nk_err e2;
    int fd = nk_accept(a->lfd, peer, 1, &e2);

    err->msg[0] = '\0';
    if (fd >= 0)
        return fd;
    if (e2.sys_errno == EAGAIN || e2.sys_errno == EWOULDBLOCK)
        return NK_ACC_NONE;
    if (client_error(e2.sys_errno))
        return NK_ACC_SKIP;
    if ((e2.sys_errno == EMFILE || e2.sys_errno == ENFILE) && a->spare >= 0)
        return shed_one(a, peer, err);
    return pause_accepts(a, err, e2.msg);
}

int
nk_acceptor_wait_ms(const struct nk_acceptor *a, int64_t now_ms)
{
    if (a->resume_ms == 0)
        return 0;
    return a->resume_ms > now_ms ? (int)(a->resume_ms - now_ms) : 0;
}

int
nk_acceptor_resume(struct nk_acceptor *a, int64_t now_ms)
{
    if (a->resume_ms == 0 || now_ms < a->resume_ms)
        return 0;
    a->resume_ms = 0;
    if (a->spare < 0)
        a->spare = spare_open();
    return 1;
}

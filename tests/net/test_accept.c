/* The shared acceptor (src/net/accept.c) out of file descriptors, on
 * loopback: a queued client is answered busy and closed on the spare
 * descriptor, the message is rate-limited, nothing spins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netkit/accept.h"
#include "netkit/net.h"

#define MAX_FILL 4096

static int fill[MAX_FILL];
static int nfill;

/* Take every free descriptor (the soft limit lowered to keep it short). */
static void
exhaust(struct rlimit *old)
{
    struct rlimit lim;

    assert_int_equal(getrlimit(RLIMIT_NOFILE, old), 0);
    lim = *old;
    lim.rlim_cur = 256;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
    for (nfill = 0; nfill < MAX_FILL; nfill++) {
        fill[nfill] = dup(0);
        if (fill[nfill] < 0)
            break;
    }
    assert_int_equal(errno, EMFILE);
}

static void
unexhaust(const struct rlimit *old)
{
    for (int i = 0; i < nfill; i++)
        close(fill[i]);
    nfill = 0;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, old), 0);
}

static int
client(const char *port)
{
    struct nk_err err;
    int fd = nk_connect("127.0.0.1", port, AF_INET, SOCK_STREAM, 2000, NULL,
                        &err);
    assert_true(fd >= 0);
    return fd;
}

/* What the server sent before closing, up to EOF. */
static void
read_all(int fd, char *buf, size_t size)
{
    struct nk_err err;
    ssize_t n = nk_recv_exact(fd, buf, size - 1, 2000, &err);

    buf[n > 0 ? n : 0] = '\0';
}

static void
test_shed_when_out_of_fds(void **state)
{
    struct nk_acceptor a;
    struct nk_addr la, peer;
    struct nk_err err;
    struct rlimit old;
    char port[16], got[64];
    int lfd, c1, c2, rc;
    (void)state;

    lfd = nk_listen("127.0.0.1", "0", AF_INET, SOCK_STREAM, 16, &err);
    assert_true(lfd >= 0);
    assert_int_equal(nk_set_nonblock(lfd, 1, &err), 0);
    assert_int_equal(nk_local_addr(lfd, &la, &err), 0);
    snprintf(port, sizeof port, "%d", nk_addr_port((struct sockaddr *)&la.ss));
    assert_int_equal(nk_acceptor_init(&a, lfd, "busy\n", &err), 0);
    c1 = client(port);
    c2 = client(port);

    exhaust(&old);
    rc = nk_acceptor_next(&a, &peer, &err);
    assert_int_equal(rc, NK_ACC_SHED);
    assert_non_null(strstr(err.msg, "out of file descriptors"));
    assert_non_null(strstr(err.msg, "1 so far"));
    /* The second within the second: shed too, its message held back. */
    rc = nk_acceptor_next(&a, &peer, &err);
    assert_int_equal(rc, NK_ACC_SHED);
    assert_string_equal(err.msg, "");
    /* Nothing left queued: no spinning on a readable listener. */
    assert_int_equal(nk_acceptor_next(&a, &peer, &err), NK_ACC_NONE);
    assert_true(a.spare >= 0); /* taken back each time */
    unexhaust(&old);

    read_all(c1, got, sizeof got);
    assert_string_equal(got, "busy\n");
    read_all(c2, got, sizeof got);
    assert_string_equal(got, "busy\n");
    assert_int_equal(a.shed, 2);
    close(c1);
    close(c2);
    nk_acceptor_free(&a);
    close(lfd);
}

static void
test_ratelimit(void **state)
{
    struct nk_ratelimit rl = {.interval_ms = 1000};
    unsigned long more = 99;
    (void)state;

    assert_int_equal(nk_ratelimit_pass(&rl, 5000, &more), 1);
    assert_int_equal(more, 0);
    assert_int_equal(nk_ratelimit_pass(&rl, 5500, &more), 0);
    assert_int_equal(nk_ratelimit_pass(&rl, 5999, &more), 0);
    assert_int_equal(nk_ratelimit_pass(&rl, 6000, &more), 1);
    assert_int_equal(more, 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shed_when_out_of_fds),
        cmocka_unit_test(test_ratelimit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

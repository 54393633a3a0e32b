/* The event loop, both backends: readiness, changes, removal during a
 * round, many fds, timeouts, signals, and a real accept + echo round on
 * loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "netkit/evloop.h"
#include "netkit/net.h"
#include "netkit/parse.h"

#define NPAIRS 200

struct fixture {
    enum nk_loop_backend backend;
    struct nk_loop *loop;
    int fds[2 * NPAIRS];
    int nfds;
};

static struct fixture fx_poll = {NK_LOOP_POLL, NULL, {0}, 0};
static struct fixture fx_epoll = {NK_LOOP_EPOLL, NULL, {0}, 0};

static int
setup(void **state)
{
    struct fixture *f = *state;
    struct nk_err err;

    f->loop = nk_loop_new(f->backend, &err);
    if (f->loop == NULL)
        return -1;
    f->nfds = 0;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    for (int i = 0; i < f->nfds; i++)
        close(f->fds[i]);
    f->nfds = 0;
    nk_loop_free(f->loop);
    f->loop = NULL;
    return 0;
}

static void
pair(struct fixture *f, int sv[2])
{
    assert_int_equal(
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
        0);
    f->fds[f->nfds++] = sv[0];
    f->fds[f->nfds++] = sv[1];
}

struct seen {
    int calls;
    unsigned last;
    int fd;
};

static void
record(struct nk_loop *l, int fd, unsigned ev, void *arg)
{
    struct seen *s = arg;
    (void)l;
    s->calls++;
    s->last = ev;
    s->fd = fd;
}

static void
test_backend_name(void **state)
{
    struct fixture *f = *state;
    assert_string_equal(nk_loop_backend_name(f->loop),
                        f->backend == NK_LOOP_POLL ? "poll" : "epoll");
}

static void
test_read_write_readiness(void **state)
{
    struct fixture *f = *state;
    struct nk_err err;
    struct seen s = {0, 0, -1};
    int sv[2];

    pair(f, sv);
    assert_int_equal(nk_loop_add(f->loop, sv[0], NK_EV_READ, record, &s, &err),
                     0);
    /* nothing to read yet: a timeout, no call */
    assert_int_equal(nk_loop_run_once(f->loop, 20, &err), 0);
    assert_int_equal(s.calls, 0);
    assert_int_equal(write(sv[1], "x", 1), 1);
    assert_int_equal(nk_loop_run_once(f->loop, 1000, &err), 1);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.fd, sv[0]);
    assert_true(s.last & NK_EV_READ);
    /* level-triggered: still readable, called again */
    assert_int_equal(nk_loop_run_once(f->loop, 1000, &err), 1);
    /* ask for WRITE only: a socketpair is writable at once */
    assert_int_equal(nk_loop_mod(f->loop, sv[0], NK_EV_WRITE, &err), 0);
    assert_int_equal(nk_loop_run_once(f->loop, 1000, &err), 1);
    assert_true(s.last & NK_EV_WRITE);
    assert_false(s.last & NK_EV_READ);
    /* quiet: registered, nothing asked */
    assert_int_equal(nk_loop_mod(f->loop, sv[0], 0, &err), 0);
    assert_int_equal(nk_loop_run_once(f->loop, 20, &err), 0);
    assert_int_equal(nk_loop_count(f->loop), 1);
}

static void
test_add_twice_and_unknown(void **state)
{
    struct fixture *f = *state;
    struct nk_err err;
    struct seen s = {0, 0, -1};
    int sv[2];

    pair(f, sv);
    assert_int_equal(nk_loop_add(f->loop, sv[0], NK_EV_READ, record, &s, &err),
                     0);
    assert_int_equal(nk_loop_add(f->loop, sv[0], NK_EV_READ, record, &s, &err),
                     -1);
    assert_int_equal(err.sys_errno, EEXIST);
    assert_int_equal(nk_loop_add(f->loop, -1, NK_EV_READ, record, &s, &err),
                     -1);
    assert_int_equal(nk_loop_mod(f->loop, sv[1], NK_EV_READ, &err), -1);
    assert_int_equal(nk_loop_del(f->loop, sv[1]), -1);
    assert_int_equal(nk_loop_del(f->loop, sv[0]), 0);
    assert_int_equal(nk_loop_del(f->loop, sv[0]), -1);
    assert_int_equal(nk_loop_count(f->loop), 0);
}

/* A handler that removes and closes the other ready fd: its pending event
 * in the same round must not be delivered. */
struct killer {
    int victim;
    int calls;
    struct fixture *f;
};

static void
kill_other(struct nk_loop *l, int fd, unsigned ev, void *arg)
{
    struct killer *k = arg;
    (void)fd;
    (void)ev;
    k->calls++;
    if (k->victim >= 0) {
        assert_int_equal(nk_loop_del(l, k->victim), 0);
        k->victim = -1;
    }
}

static void
test_remove_during_round(void **state)
{
    struct fixture *f = *state;
    struct nk_err err;
    int a[2], b[2];
    struct killer ka = {-1, 0, f}, kb = {-1, 0, f};

    pair(f, a);
    pair(f, b);
    ka.victim = b[0];
    kb.victim = a[0];
    assert_int_equal(
        nk_loop_add(f->loop, a[0], NK_EV_READ, kill_other, &ka, &err), 0);
    assert_int_equal(
        nk_loop_add(f->loop, b[0], NK_EV_READ, kill_other, &kb, &err), 0);
    assert_int_equal(write(a[1], "x", 1), 1);
    assert_int_equal(write(b[1], "y", 1), 1);
    /* both are ready; whichever runs first removes the other */
    assert_int_equal(nk_loop_run_once(f->loop, 1000, &err), 1);
    assert_int_equal(ka.calls + kb.calls, 1);
    assert_int_equal(nk_loop_count(f->loop), 1);
}

static int many_calls;

static void
drain(struct nk_loop *l, int fd, unsigned ev, void *arg)
{
    char c;
    (void)l;
    (void)ev;
    (void)arg;
    if (read(fd, &c, 1) == 1)
        many_calls++;
}

static void
test_many_fds(void **state)
{
    struct fixture *f = *state;
    struct nk_err err;
    int64_t deadline;

    many_calls = 0;
    for (int i = 0; i < NPAIRS; i++) {
        int sv[2];
        pair(f, sv);
        assert_int_equal(
            nk_loop_add(f->loop, sv[0], NK_EV_READ, drain, NULL, &err), 0);
        assert_int_equal(write(sv[1], "z", 1), 1);
    }
    deadline = nk_now_ms() + 5000;
    while (many_calls < NPAIRS && nk_now_ms() < deadline)
        assert_true(nk_loop_run_once(f->loop, 100, &err) >= 0);
    assert_int_equal(many_calls, NPAIRS);
    /* all drained: the next round times out */
    assert_int_equal(nk_loop_run_once(f->loop, 10, &err), 0);
}

static void
test_peer_close_reported(void **state)
{
    struct fixture *f = *state;
    struct nk_err err;
    struct seen s = {0, 0, -1};
    int sv[2];

    pair(f, sv);
    assert_int_equal(nk_loop_add(f->loop, sv[0], NK_EV_READ, record, &s, &err),
                     0);
    shutdown(sv[1], SHUT_RDWR);
    assert_int_equal(nk_loop_run_once(f->loop, 1000, &err), 1);
    /* end of stream shows as readable (a read returns 0) */
    assert_true(s.last & (NK_EV_READ | NK_EV_ERROR));
}

static void
on_alarm(int sig)
{
    (void)sig;
}

/* A signal ends the wait early with 0, so a server can check its flag. */
static void
test_signal_wakes(void **state)
{
    struct fixture *f = *state;
    struct nk_err err;
    struct seen s = {0, 0, -1};
    struct sigaction sa, old;
    struct itimerval it = {{0, 0}, {0, 50000}}, off = {{0, 0}, {0, 0}};
    int sv[2];
    int64_t t0;

    pair(f, sv);
    assert_int_equal(nk_loop_add(f->loop, sv[0], NK_EV_READ, record, &s, &err),
                     0);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART */
    sigaction(SIGALRM, &sa, &old);
    setitimer(ITIMER_REAL, &it, NULL);
    t0 = nk_now_ms();
    assert_int_equal(nk_loop_run_once(f->loop, 5000, &err), 0);
    setitimer(ITIMER_REAL, &off, NULL);
    sigaction(SIGALRM, &old, NULL);
    assert_true(nk_now_ms() - t0 < 3000);
    assert_int_equal(s.calls, 0);
}

/* A real server round: a loopback listener, accept in the callback, echo
 * one message back. */
struct srv {
    int lfd;
    int cfd;
    struct fixture *f;
};

static void
on_client(struct nk_loop *l, int fd, unsigned ev, void *arg)
{
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf);
    (void)ev;
    (void)arg;
    if (n > 0)
        assert_int_equal(write(fd, buf, (size_t)n), n);
    else
        nk_loop_del(l, fd);
}

static void
on_listener(struct nk_loop *l, int fd, unsigned ev, void *arg)
{
    struct srv *s = arg;
    struct nk_err err;
    (void)ev;
    s->cfd = nk_accept(fd, NULL, 1, &err);
    assert_true(s->cfd >= 0);
    s->f->fds[s->f->nfds++] = s->cfd;
    assert_int_equal(nk_loop_add(l, s->cfd, NK_EV_READ, on_client, s, &err),
                     0);
}

static void
test_accept_and_echo(void **state)
{
    struct fixture *f = *state;
    struct nk_err err;
    struct nk_addr la;
    struct srv s = {-1, -1, f};
    char port[8], buf[16];
    int c;
    int64_t deadline = nk_now_ms() + 5000;

    s.lfd = nk_listen("127.0.0.1", "0", AF_INET, SOCK_STREAM, 8, &err);
    assert_true(s.lfd >= 0);
    f->fds[f->nfds++] = s.lfd;
    assert_int_equal(nk_set_nonblock(s.lfd, 1, &err), 0);
    assert_int_equal(nk_local_addr(s.lfd, &la, &err), 0);
    snprintf(port, sizeof port, "%d", nk_addr_port((struct sockaddr *)&la.ss));
    assert_int_equal(
        nk_loop_add(f->loop, s.lfd, NK_EV_READ, on_listener, &s, &err), 0);
    c = nk_connect("127.0.0.1", port, AF_INET, SOCK_STREAM, 2000, NULL, &err);
    assert_true(c >= 0);
    f->fds[f->nfds++] = c;
    assert_int_equal(nk_send_all(c, "hello", 5, 1000, &err), 5);
    memset(buf, 0, sizeof buf);
    while (nk_now_ms() < deadline) {
        assert_true(nk_loop_run_once(f->loop, 50, &err) >= 0);
        if (nk_wait_fd(c, POLLIN, 0, &err) == 1)
            break;
    }
    assert_int_equal(nk_recv_exact(c, buf, 5, 1000, &err), 5);
    assert_string_equal(buf, "hello");
}

#define BOTH(t)                                                               \
    cmocka_unit_test_prestate_setup_teardown(t, setup, teardown, &fx_poll),   \
        cmocka_unit_test_prestate_setup_teardown(t, setup, teardown,          \
                                                 &fx_epoll)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_backend_name),
        BOTH(test_read_write_readiness),
        BOTH(test_add_twice_and_unknown),
        BOTH(test_remove_during_round),
        BOTH(test_many_fds),
        BOTH(test_peer_close_reported),
        BOTH(test_signal_wakes),
        BOTH(test_accept_and_echo),
    };
    nk_net_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}

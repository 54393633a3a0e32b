/* echo-udp (the probe format and sequence window are in test_probe.c):
 * the batched datagram helpers on loopback, with and without
 * recvmmsg/sendmmsg; and the client and bench run in-process
 * (stdout captured) against an echo thread built on those helpers, so the
 * sanitizers see the whole stack. Option errors go through nk_main. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "commands.h"
#include "netkit/exitcodes.h"
#include "netkit/net.h"
#include "netkit/probe.h"
#include "netkit/udp.h"

/* ---- batched datagrams on loopback ----------------------------------- */

static int
udp_socket(const char *host, struct nk_addr *at)
{
    struct nk_err err;
    int fd = nk_listen(host, "0", AF_UNSPEC, SOCK_DGRAM, 0, &err);

    assert_true(fd >= 0);
    if (at != NULL)
        assert_int_equal(nk_local_addr(fd, at, &err), 0);
    return fd;
}

static void
batch_round_trip(int flags)
{
    struct nk_addr srv_at, a_at, b_at;
    int srv = udp_socket("127.0.0.1", &srv_at);
    int a = udp_socket("127.0.0.1", &a_at), b = udp_socket("127.0.0.1", &b_at);
    static uint8_t bufs[8][NK_UDP_BUFSIZE];
    struct nk_udp_msg m[8];
    struct nk_err err;
    char got[64];
    int n;

    memset(m, 0, sizeof m);
    for (int i = 0; i < 8; i++) {
        m[i].buf = bufs[i];
        m[i].cap = NK_UDP_BUFSIZE;
    }
    /* nothing queued: EAGAIN, never a wait */
    assert_int_equal(nk_udp_recv_batch(srv, m, 8, flags, &err), -1);
    assert_int_equal(err.sys_errno, EAGAIN);
    assert_int_equal(nk_udp_send(a, "one", 3, &srv_at, &err), 3);
    assert_int_equal(nk_udp_send(b, "two", 3, &srv_at, &err), 3);
    assert_int_equal(nk_udp_send(a, "three", 5, &srv_at, &err), 5);
    assert_int_equal(nk_wait_fd(srv, POLLIN, 1000, &err), 1);
    n = nk_udp_recv_batch(srv, m, 8, flags, &err);
    assert_int_equal(n, 3);
    assert_memory_equal(m[2].buf, "three", 5);
    assert_int_equal(m[1].len, 3);
    assert_int_equal(nk_addr_port((struct sockaddr *)&m[1].addr.ss),
                     nk_addr_port((struct sockaddr *)&b_at.ss));
    /* echo all three back in one batch: each to its own sender */
    assert_int_equal(nk_udp_send_batch(srv, m, n, flags, &err), 3);
    assert_int_equal(nk_wait_fd(a, POLLIN, 1000, &err), 1);
    assert_int_equal(nk_udp_recv(a, got, sizeof got, NULL, NULL, &err), 3);
    assert_memory_equal(got, "one", 3);
    assert_int_equal(nk_wait_fd(a, POLLIN, 1000, &err), 1);
    assert_int_equal(nk_udp_recv(a, got, sizeof got, NULL, NULL, &err), 5);
    assert_int_equal(nk_wait_fd(b, POLLIN, 1000, &err), 1);
    assert_int_equal(nk_udp_recv(b, got, sizeof got, NULL, NULL, &err), 3);
    assert_memory_equal(got, "two", 3);
    /* a datagram larger than the buffer is cut and says so */
    int trunc = 0;
    assert_int_equal(nk_udp_send(a, "0123456789", 10, &srv_at, &err), 10);
    assert_int_equal(nk_wait_fd(srv, POLLIN, 1000, &err), 1);
    assert_int_equal(nk_udp_recv(srv, got, 4, NULL, &trunc, &err), 4);
    assert_int_equal(trunc, 1);
    nk_close(srv);
    nk_close(a);
    nk_close(b);
}

static void
test_batch_mmsg(void **state)
{
    (void)state;
    batch_round_trip(0);
}

static void
test_batch_portable(void **state)
{
    (void)state;
    batch_round_trip(NK_UDP_NO_MMSG);
}

/* IP_PKTINFO both ways: a datagram says which local address it was sent
 * to, and a reply can name its source. The sender here is an unbound
 * client socket that writes from 127.0.0.2 (all of 127/8 is local), so no
 * wildcard server is needed to see both halves work. */
static void
pktinfo_round_trip(int flags)
{
    struct nk_addr srv_at, from;
    struct nk_err err;
    struct sockaddr_in *src;
    int srv = udp_socket("127.0.0.1", &srv_at);
    int c = nk_socket(AF_INET, SOCK_DGRAM, &err);
    uint8_t buf[64];
    struct nk_udp_msg m;
    char host[NK_ADDRSTRLEN];

    assert_true(c >= 0);
    assert_int_equal(nk_udp_pktinfo(srv, AF_INET, &err), 0);
    memset(&m, 0, sizeof m);
    m.buf = "ping";
    m.len = 4;
    m.addr = srv_at;
    src = (struct sockaddr_in *)&m.local.ss;
    src->sin_family = AF_INET;
    src->sin_addr.s_addr = htonl(0x7f000002);
    m.local.len = sizeof *src;
    assert_int_equal(nk_udp_send_batch(c, &m, 1, flags, &err), 1);
    assert_int_equal(nk_wait_fd(srv, POLLIN, 1000, &err), 1);
    memset(&m, 0, sizeof m);
    m.buf = buf;
    m.cap = sizeof buf;
    assert_int_equal(nk_udp_recv_batch(srv, &m, 1, flags, &err), 1);
    nk_addr_host((struct sockaddr *)&m.addr.ss, m.addr.len, host, sizeof host);
    assert_string_equal(host, "127.0.0.2");
    nk_addr_host((struct sockaddr *)&m.local.ss, m.local.len, host,
                 sizeof host);
    assert_string_equal(host, "127.0.0.1");
    /* the reply names its source (the address asked) */
    assert_int_equal(nk_udp_send_batch(srv, &m, 1, flags, &err), 1);
    assert_int_equal(nk_wait_fd(c, POLLIN, 1000, &err), 1);
    assert_int_equal(nk_udp_recv(c, buf, sizeof buf, &from, NULL, &err), 4);
    assert_int_equal(nk_addr_port((struct sockaddr *)&from.ss),
                     nk_addr_port((struct sockaddr *)&srv_at.ss));
    nk_close(srv);
    nk_close(c);
}

static void
test_pktinfo(void **state)
{
    struct nk_err err;
    struct nk_addr at;
    struct nk_udp_msg m;
    char host[NK_ADDRSTRLEN];
    uint8_t buf[8];
    int s6, c6;
    (void)state;
    pktinfo_round_trip(0);
    pktinfo_round_trip(NK_UDP_NO_MMSG);
    /* IPv6: IPV6_RECVPKTINFO reports ::1 (skipped without IPv6) */
    s6 = nk_listen("::1", "0", AF_INET6, SOCK_DGRAM, 0, &err);
    if (s6 < 0)
        NK_SKIP("no IPv6 loopback here");
    c6 = udp_socket("::1", NULL);
    assert_int_equal(nk_local_addr(s6, &at, &err), 0);
    assert_int_equal(nk_udp_pktinfo(s6, AF_INET6, &err), 0);
    assert_int_equal(nk_udp_send(c6, "x", 1, &at, &err), 1);
    assert_int_equal(nk_wait_fd(s6, POLLIN, 1000, &err), 1);
    memset(&m, 0, sizeof m);
    m.buf = buf;
    m.cap = sizeof buf;
    assert_int_equal(nk_udp_recv_batch(s6, &m, 1, 0, &err), 1);
    nk_addr_host((struct sockaddr *)&m.local.ss, m.local.len, host,
                 sizeof host);
    assert_string_equal(host, "::1");
    assert_int_equal(nk_udp_send_batch(s6, &m, 1, 0, &err), 1);
    assert_int_equal(nk_wait_fd(c6, POLLIN, 1000, &err), 1);
    nk_close(s6);
    nk_close(c6);
}

/* SO_TIMESTAMPNS: each datagram carries the time the kernel took it in,
 * which stays the arrival time however long it then waits in the queue;
 * without the option the stamp is zero. Both receive paths.
 *
 * The kernel turns arrival stamping on system-wide by deferred work once
 * the first socket asks, and stamps a datagram that came in before that
 * with its receive time: so the first tries may see the 150 ms wait, and
 * the test fails only if no try within 10 sees the arrival time. */
static int
stamp_is_arrival(int srv, int c, const struct nk_addr *srv_at, int flags)
{
    struct nk_err err;
    struct timespec before, after;
    uint8_t buf[8];
    struct nk_udp_msg m[2];
    double t, lo, hi;

    memset(m, 0, sizeof m);
    for (int i = 0; i < 2; i++) {
        m[i].buf = buf;
        m[i].cap = sizeof buf;
    }
    clock_gettime(CLOCK_REALTIME, &before);
    assert_int_equal(nk_udp_send(c, "b", 1, srv_at, &err), 1);
    clock_gettime(CLOCK_REALTIME, &after);
    nk_sleep_ms(150); /* it waits in the queue; the stamp must not move */
    assert_int_equal(nk_wait_fd(srv, POLLIN, 1000, &err), 1);
    assert_int_equal(nk_udp_recv_batch(srv, m, 2, flags, &err), 1);
    assert_false(m[0].stamp.tv_sec == 0 && m[0].stamp.tv_nsec == 0);
    t = (double)m[0].stamp.tv_sec + (double)m[0].stamp.tv_nsec / 1e9;
    lo = (double)before.tv_sec + (double)before.tv_nsec / 1e9;
    hi = (double)after.tv_sec + (double)after.tv_nsec / 1e9;
    return t >= lo - 0.001 && t <= hi + 0.001;
}

static void
timestamp_round_trip(int flags)
{
    struct nk_addr srv_at;
    struct nk_err err;
    int srv = udp_socket("127.0.0.1", &srv_at),
        c = udp_socket("127.0.0.1", NULL), ok = 0;
    uint8_t buf[8];
    struct nk_udp_msg m[2];

    memset(m, 0, sizeof m);
    for (int i = 0; i < 2; i++) {
        m[i].buf = buf;
        m[i].cap = sizeof buf;
    }
    assert_int_equal(nk_udp_send(c, "a", 1, &srv_at, &err), 1);
    assert_int_equal(nk_wait_fd(srv, POLLIN, 1000, &err), 1);
    assert_int_equal(nk_udp_recv_batch(srv, m, 2, flags, &err), 1);
    assert_true(m[0].stamp.tv_sec == 0 && m[0].stamp.tv_nsec == 0);

    assert_int_equal(nk_udp_timestamps(srv, &err), 0);
    for (int i = 0; i < 10 && !ok; i++)
        ok = stamp_is_arrival(srv, c, &srv_at, flags);
    if (!ok)
        fail_msg("10 datagrams, none stamped with its arrival time");
    nk_close(srv);
    nk_close(c);
}

static void
test_timestamps(void **state)
{
    (void)state;
    timestamp_round_trip(0);
    timestamp_round_trip(NK_UDP_NO_MMSG);
}

/* The largest datagram each family carries, and one byte more refused. */
static void
test_largest_datagram(void **state)
{
    struct nk_addr at;
    struct nk_err err;
    int srv = udp_socket("127.0.0.1", &at), c = udp_socket("127.0.0.1", NULL);
    static uint8_t big[NK_UDP_MAX_V4 + 1], got[NK_UDP_BUFSIZE];
    (void)state;
    assert_int_equal(nk_udp_set_buffers(srv, 1 << 20, NULL, NULL, &err), 0);
    nk_probe_fill(big, NK_UDP_MAX_V4, 1, 2);
    assert_int_equal(nk_udp_send(c, big, NK_UDP_MAX_V4, &at, &err),
                     NK_UDP_MAX_V4);
    assert_int_equal(nk_wait_fd(srv, POLLIN, 1000, &err), 1);
    assert_int_equal(nk_udp_recv(srv, got, sizeof got, NULL, NULL, &err),
                     NK_UDP_MAX_V4);
    assert_true(nk_probe_check(got, NK_UDP_MAX_V4, NK_UDP_MAX_V4, 1, 2));
    assert_int_equal(nk_udp_send(c, big, NK_UDP_MAX_V4 + 1, &at, &err), -1);
    assert_int_equal(err.sys_errno, EMSGSIZE);
    nk_close(srv);
    nk_close(c);
}

/* ---- the commands in-process ----------------------------------------- */

/* An echo thread on the helpers: what `serve` does, minus the command. */
struct echo_thread {
    int fd;
    char port[16];
    atomic_int stop;
    atomic_int alter; /* flip a byte in each reply */
    pthread_t th;
};

static void *
echo_main(void *arg)
{
    struct echo_thread *e = arg;
    static uint8_t bufs[4][NK_UDP_BUFSIZE];
    struct nk_udp_msg m[4];
    struct nk_err err;

    memset(m, 0, sizeof m);
    for (int i = 0; i < 4; i++)
        m[i].buf = bufs[i];
    while (!atomic_load(&e->stop)) {
        if (nk_wait_fd(e->fd, POLLIN, 50, &err) != 1)
            continue;
        for (int i = 0; i < 4; i++)
            m[i].cap = NK_UDP_BUFSIZE;
        int n = nk_udp_recv_batch(e->fd, m, 4, 0, &err);
        if (n <= 0)
            continue;
        if (atomic_load(&e->alter))
            bufs[0][0] ^= 1;
        (void)nk_udp_send_batch(e->fd, m, n, 0, &err);
    }
    return NULL;
}

static void
echo_start(struct echo_thread *e)
{
    struct nk_addr at;

    memset(e, 0, sizeof *e);
    e->fd = udp_socket("127.0.0.1", &at);
    snprintf(e->port, sizeof e->port, "%d",
             nk_addr_port((struct sockaddr *)&at.ss));
    assert_int_equal(pthread_create(&e->th, NULL, echo_main, e), 0);
}

static void
echo_stop(struct echo_thread *e)
{
    atomic_store(&e->stop, 1);
    pthread_join(e->th, NULL);
    nk_close(e->fd);
}

/* Run nk_main (argv NULL-terminated) with its output captured. */
static char *
run_captured(char **argv, int *rc)
{
    int argc = 0;

    while (argv[argc] != NULL)
        argc++;
    return nk_test_capture(argv, argc, rc, NULL);
}

static void
test_client_in_process(void **state)
{
    struct echo_thread e;
    int rc;
    char *out;
    (void)state;
    echo_start(&e);
    char *one[] = {"netkit", "echo-udp", "client", "-H", "127.0.0.1",
                   "-p",     e.port,     "hello",  NULL};
    out = run_captured(one, &rc);
    assert_int_equal(rc, NK_EX_OK);
    assert_non_null(strstr(out, "match: yes\n"));
    assert_non_null(strstr(out, "reply: hello\n"));
    char *ping[] = {"netkit", "echo-udp", "client",  "--host", "127.0.0.1",
                    "--port", e.port,     "--count", "3",      "--interval",
                    "0.01",   "--size",   "100",     NULL};
    out = run_captured(ping, &rc);
    assert_int_equal(rc, NK_EX_OK);
    assert_non_null(strstr(out, "100 bytes from 127.0.0.1:"));
    assert_non_null(
        strstr(out, "\nreceived: 3\nlost: 0\nloss_percent: 0.0\n"));
    /* a reply with one byte flipped: 76, and the document says where */
    atomic_store(&e.alter, 1);
    char *alt[] = {"netkit", "echo-udp", "client", "-H",    "127.0.0.1",
                   "-p",     e.port,     "--json", "hello", NULL};
    out = run_captured(alt, &rc);
    assert_int_equal(rc, NK_EX_PROTOCOL);
    assert_non_null(strstr(out, "\"match\": false"));
    assert_non_null(strstr(out, "\"first_difference\": 0"));
    out = run_captured(ping, &rc);
    assert_int_equal(rc, NK_EX_PROTOCOL); /* every probe mismatched */
    assert_non_null(strstr(out, "mismatches: 3\n"));
    echo_stop(&e);
}

static void
test_bench_in_process(void **state)
{
    struct echo_thread e;
    int rc;
    char *out;
    (void)state;
    echo_start(&e);
    char *argv[] = {"netkit",    "echo-udp", "bench", "-H",
                    "127.0.0.1", "-p",       e.port,  "--clients",
                    "3",         "--window", "4",     "--duration",
                    "0.3",       "--size",   "200",   NULL};
    out = run_captured(argv, &rc);
    assert_int_equal(rc, NK_EX_OK);
    assert_non_null(strstr(out, "clients: 3\nsize: 200\nwindow: 4\n"));
    assert_non_null(strstr(out, "\nlost: 0\n"));
    assert_non_null(strstr(out, "\nmismatches: 0\n"));
    assert_null(strstr(out, "\nreceived: 0\n"));
    atomic_store(&e.alter, 1);
    out = run_captured(argv, &rc);
    assert_int_equal(rc, NK_EX_PROTOCOL);
    assert_null(strstr(out, "\nmismatches: 0\n"));
    echo_stop(&e);
}

static void
test_usage_errors(void **state)
{
    static char *cases[][12] = {
        {"netkit", "echo-udp", "client", "hello", NULL},
        {"netkit", "echo-udp", "client", "-p", "7", "--size", "10", "hi",
         NULL},
        {"netkit", "echo-udp", "client", "-p", "7", "--count", "2",
         "--retries", "1", NULL},
        {"netkit", "echo-udp", "client", "-p", "7", "--interval", "1", NULL},
        {"netkit", "echo-udp", "client", "-p", "7", "--count", "2", "--size",
         "8", NULL},
        {"netkit", "echo-udp", "client", "-p", "7", "--size", "70000", NULL},
        {"netkit", "echo-udp", "client", "-p", "0", "x", NULL},
        {"netkit", "echo-udp", "client", "-p", "7", "--timeout", "0", NULL},
        {"netkit", "echo-udp", "client", "-p", "7", "a", "b", NULL},
        {"netkit", "echo-udp", "client", "-p", "7", "--count", NULL},
        {"netkit", "echo-udp", "bench", "-p", "7", "--rate", "10", "--window",
         "2", NULL},
        {"netkit", "echo-udp", "bench", "-p", "7", "--size", "8", NULL},
        {"netkit", "echo-udp", "bench", "--duration", "1", NULL},
        {"netkit", "echo-udp", "bench", "-p", "7", "--clients", "0", NULL},
        {"netkit", "echo-udp", "serve", NULL},
        {"netkit", "echo-udp", "serve", "-p", "0", "--workers", "0", NULL},
        {"netkit", "echo-udp", "serve", "-p", "0", "--workers", "65", NULL},
        {"netkit", "echo-udp", "serve", "-p", "0", "extra", NULL},
        {"netkit", "echo-udp", "serve", "-p", "x", NULL},
        {"netkit", "echo-udp", "serve", "-p", "0", "--bogus", NULL},
        {"netkit", "echo-udp", "serf", NULL},
    };
    int rc;
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_captured(cases[i], &rc);
        if (rc != NK_EX_USAGE)
            fail_msg("case %zu (%s %s): exit %d, want 64", i, cases[i][2],
                     cases[i][3] ? cases[i][3] : "", rc);
    }
}

static void
test_help(void **state)
{
    static const char *subs[] = {"serve", "client", "bench"};
    int rc;
    char want[64];
    (void)state;
    for (size_t i = 0; i < 3; i++) {
        char *argv[] = {"netkit", "echo-udp", (char *)subs[i], "--help", NULL};
        char *out = run_captured(argv, &rc);
        assert_int_equal(rc, NK_EX_OK);
        snprintf(want, sizeof want, "usage: netkit echo-udp %s ", subs[i]);
        assert_int_equal(strncmp(out, want, strlen(want)), 0);
        assert_non_null(strstr(out, "examples:\n  netkit echo-udp "));
        assert_non_null(strstr(out, "--help"));
    }
}

static void
test_unknown_host(void **state)
{
    char *argv[] = {"netkit", "echo-udp", "client", "--host", "nosuch.invalid",
                    "--port", "7",        "x",      NULL};
    int rc;
    (void)state;
    run_captured(argv, &rc);
    assert_int_equal(rc, NK_EX_NOHOST);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_mmsg),
        cmocka_unit_test(test_batch_portable),
        cmocka_unit_test(test_pktinfo),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_largest_datagram),
        cmocka_unit_test(test_client_in_process),
        cmocka_unit_test(test_bench_in_process),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_unknown_host),
    };
    nk_net_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}

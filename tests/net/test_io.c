/* Tests of the transfer loop and its users: nk_io_full driven by a scripted
 * fake syscall (EINTR, EAGAIN, short counts, end of file, hard errors), then
 * nk_send_all / nk_recv_exact over real sockets with a forked peer, SIGPIPE,
 * nk_poll's deadline across signals, and the O_NONBLOCK switch.
 *
 * Forked peers call prctl(PR_SET_PDEATHSIG) and arm their own alarm(); the
 * per-test teardown kills and reaps any peer still alive, closes every
 * tracked fd, disarms the interval timer and restores SIGALRM and SIGPIPE,
 * so a failed assertion leaves nothing behind for the next test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netkit/err.h"
#include "netkit/net.h"
#include "netkit/parse.h"

/* ---- fixtures ---------------------------------------------------------- */

#define MAX_TRACKED 32
#define MAX_KIDS 4

static int tracked[MAX_TRACKED];
static int ntracked;
static pid_t kids[MAX_KIDS];

static int
track(int fd)
{
    if (fd >= 0) {
        assert_true(ntracked < MAX_TRACKED);
        tracked[ntracked++] = fd;
    }
    return fd;
}

/* Close a tracked fd early and drop it from the list. */
static void
close_early(int fd)
{
    for (int i = 0; i < ntracked; i++) {
        if (tracked[i] == fd) {
            tracked[i] = tracked[--ntracked];
            break;
        }
    }
    nk_close(fd);
}

static void
sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000,
                          .tv_nsec = (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static void
forget_kid(pid_t pid)
{
    for (int i = 0; i < MAX_KIDS; i++)
        if (kids[i] == pid)
            kids[i] = 0;
}

static int
cleanup(void **state)
{
    struct itimerval off;

    (void)state;
    for (int i = 0; i < MAX_KIDS; i++) {
        if (kids[i] > 0) {
            int status;
            kill(kids[i], SIGKILL);
            while (waitpid(kids[i], &status, 0) < 0 && errno == EINTR)
                ;
            kids[i] = 0;
        }
    }
    for (int i = 0; i < ntracked; i++)
        nk_close(tracked[i]);
    ntracked = 0;
    /* Timer first, then the handler: a SIGALRM at SIG_DFL would kill. */
    memset(&off, 0, sizeof off);
    setitimer(ITIMER_REAL, &off, NULL);
    signal(SIGALRM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    return 0;
}

typedef int (*child_fn)(int fd);

/* Fork a peer that runs fn(fd) and exits with its result. parent_end is
 * closed in the child so the parent sees end of file when the child goes. */
static pid_t
spawn(child_fn fn, int fd, int parent_end)
{
    pid_t parent = getpid(), pid;
    int slot = -1;

    for (int i = 0; i < MAX_KIDS && slot < 0; i++)
        if (kids[i] == 0)
            slot = i;
    assert_true(slot >= 0);
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Die with the test, and never outlive a hung test run. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(99);
        signal(SIGALRM, SIG_DFL);
        alarm(30);
        if (parent_end >= 0)
            close(parent_end);
        _exit(fn(fd));
    }
    kids[slot] = pid;
    return pid;
}

/* Wait at most timeout_ms for pid; returns its wait status. */
static int
reap(pid_t pid, int timeout_ms)
{
    int64_t end = nk_now_ms() + timeout_ms;
    int status = 0;

    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            forget_kid(pid);
            return status;
        }
        assert_true(r == 0 || errno == EINTR);
        if (nk_now_ms() >= end) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            forget_kid(pid);
            fail_msg("peer %d still running after %d ms", (int)pid,
                     timeout_ms);
        }
        sleep_ms(5);
    }
}

static void
assert_child_ok(pid_t pid, int timeout_ms)
{
    int status = reap(pid, timeout_ms);

    if (WIFSIGNALED(status))
        fail_msg("peer killed by signal %d", WTERMSIG(status));
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void
make_pair(int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    track(sv[0]);
    track(sv[1]);
}

/* A connected loopback TCP pair; sv[0] is the client end. */
static void
make_tcp_pair(int sv[2])
{
    struct nk_err err;
    char port[16];
    struct nk_addr la;
    int lfd = nk_listen("127.0.0.1", "0", AF_INET, SOCK_STREAM, 4, &err);

    if (lfd < 0)
        fail_msg("%s", err.msg);
    track(lfd);
    assert_int_equal(nk_local_addr(lfd, &la, &err), 0);
    snprintf(port, sizeof port, "%d", nk_addr_port((struct sockaddr *)&la.ss));
    sv[0] = track(
        nk_connect("127.0.0.1", port, AF_INET, SOCK_STREAM, 2000, NULL, &err));
    if (sv[0] < 0)
        fail_msg("%s", err.msg);
    sv[1] = track(nk_accept(lfd, NULL, 0, &err));
    if (sv[1] < 0)
        fail_msg("%s", err.msg);
}

static void
set_bufs(int fd, int size)
{
    struct nk_err err;

    assert_int_equal(
        nk_sockopt_set_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_SNDBUF), size, &err),
        0);
    assert_int_equal(
        nk_sockopt_set_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_RCVBUF), size, &err),
        0);
}

static void
set_sndbuf(int fd, int size)
{
    struct nk_err err;

    assert_int_equal(
        nk_sockopt_set_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_SNDBUF), size, &err),
        0);
}

/* Fill fd's send buffer so POLLOUT stays off (the peer never reads). */
static void
fill_send_buffer(int fd)
{
    static char junk[4096];
    struct nk_err err;
    int full = 0;

    set_bufs(fd, 4096);
    assert_int_equal(nk_set_nonblock(fd, 1, &err), 0);
    for (int i = 0; i < 10000 && !full; i++) {
        ssize_t n = send(fd, junk, sizeof junk, MSG_NOSIGNAL);
        if (n < 0) {
            assert_int_equal(errno, EAGAIN);
            full = 1;
        }
    }
    assert_true(full);
}

static unsigned char
pattern(size_t i, unsigned seed)
{
    return (unsigned char)((i * 131u + (i >> 12) + seed) & 0xffu);
}

static void
fill_pattern(unsigned char *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = pattern(i, seed);
}

/* Offset of the first byte that differs from the pattern, or len. */
static size_t
check_pattern(const unsigned char *buf, size_t len, size_t off, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        if (buf[i] != pattern(off + i, seed))
            return i;
    return len;
}

/* ---- nk_io_full with a scripted syscall -------------------------------- */

struct step {
    ssize_t ret;      /* > 0: bytes moved, 0: end of file, -1: fails */
    int err;          /* errno when ret is -1 */
    const char *data; /* the bytes a read step delivers */
};

enum fdkind { FD_NONE, FD_READY, FD_NEVER };

#define MAX_STEPS 6

struct io_case {
    const char *name;
    struct step steps[MAX_STEPS];
    int nsteps;
    int repeat_last; /* the last step repeats forever */
    int is_send;
    size_t len;
    enum fdkind fd;
    int timeout_ms;
    ssize_t want;
    const char *want_bytes;
    int want_calls; /* -1: do not check */
    int want_errno, want_exit;
    const char *want_msg;
    int min_ms, max_ms;
};

static const struct step *script;
static int script_len, script_pos, script_repeat, fake_calls;
static size_t asked[16];
static char moved[64];
static size_t moved_len;
static int64_t fake_give_up;

static void
script_load(const struct io_case *c)
{
    script = c->steps;
    script_len = c->nsteps;
    script_repeat = c->repeat_last;
    script_pos = 0;
    fake_calls = 0;
    moved_len = 0;
    memset(moved, 0, sizeof moved);
    memset(asked, 0, sizeof asked);
    /* Bound a runaway loop even if nk_io_full never stops by itself. */
    fake_give_up = nk_now_ms() + 3000;
}

static ssize_t
fake_step(void *buf, size_t len, int is_send)
{
    const struct step *s;

    if (fake_calls < 16)
        asked[fake_calls] = len;
    fake_calls++;
    if (script_pos >= script_len && !(script_repeat && script_len > 0)) {
        errno = EPROTO; /* called past the end of the script */
        return -1;
    }
    if (nk_now_ms() > fake_give_up) {
        errno = EDEADLK; /* spun for seconds: never let the test hang */
        return -1;
    }
    s = &script[script_pos < script_len ? script_pos : script_len - 1];
    if (script_pos < script_len)
        script_pos++;
    if (s->ret < 0) {
        errno = s->err;
        return -1;
    }
    if (s->ret > 0) {
        size_t n = (size_t)s->ret < len ? (size_t)s->ret : len;
        assert_true(moved_len + n <= sizeof moved);
        if (is_send) {
            memcpy(moved + moved_len, buf, n);
        } else {
            memcpy(buf, s->data, n);
            memcpy(moved + moved_len, s->data, n);
        }
        moved_len += n;
        return (ssize_t)n;
    }
    return 0;
}

static ssize_t
fake_read(int fd, void *buf, size_t len)
{
    (void)fd;
    return fake_step(buf, len, 0);
}

static ssize_t
fake_write(int fd, void *buf, size_t len)
{
    (void)fd;
    return fake_step(buf, len, 1);
}

#define EINTR_STEP                                                            \
    {                                                                         \
        -1, EINTR, NULL                                                       \
    }
#define EAGAIN_STEP                                                           \
    {                                                                         \
        -1, EAGAIN, NULL                                                      \
    }

static const struct io_case io_cases[] = {
    {.name = "eintr and short reads",
     .steps = {EINTR_STEP, {3, 0, "abc"}, EINTR_STEP, {2, 0, "de"}},
     .nsteps = 4,
     .len = 5,
     .timeout_ms = 1000,
     .want = 5,
     .want_bytes = "abcde",
     .want_calls = 4,
     .max_ms = 500},
    {.name = "one byte at a time",
     .steps = {{1, 0, "w"}, {1, 0, "x"}, {1, 0, "y"}, {1, 0, "z"}},
     .nsteps = 4,
     .len = 4,
     .timeout_ms = -1,
     .want = 4,
     .want_bytes = "wxyz",
     .want_calls = 4,
     .max_ms = 500},
    {.name = "end of file midway",
     .steps = {{2, 0, "ab"}, {0, 0, NULL}},
     .nsteps = 2,
     .len = 5,
     .timeout_ms = 1000,
     .want = 2,
     .want_bytes = "ab",
     .want_calls = 2,
     .max_ms = 500},
    {.name = "end of file at once",
     .steps = {{0, 0, NULL}},
     .nsteps = 1,
     .len = 4,
     .timeout_ms = 1000,
     .want = 0,
     .want_bytes = "",
     .want_calls = 1,
     .max_ms = 500},
    {.name = "nothing to move",
     .nsteps = 0,
     .len = 0,
     .timeout_ms = 1000,
     .want = 0,
     .want_bytes = "",
     .want_calls = 0,
     .max_ms = 500},
    {.name = "reset after one byte",
     .steps = {{1, 0, "a"}, {-1, ECONNRESET, NULL}},
     .nsteps = 2,
     .len = 4,
     .timeout_ms = 1000,
     .want = -1,
     .want_bytes = "a",
     .want_calls = 2,
     .want_errno = ECONNRESET,
     .want_exit = 74,
     .want_msg = "receive: connection reset by peer",
     .max_ms = 500},
    {.name = "send to a closed peer",
     .steps = {{2, 0, NULL}, EINTR_STEP, {-1, EPIPE, NULL}},
     .nsteps = 3,
     .is_send = 1,
     .len = 6,
     .timeout_ms = 1000,
     .want = -1,
     .want_bytes = "AB",
     .want_calls = 3,
     .want_errno = EPIPE,
     .want_exit = 74,
     .want_msg = "send: broken pipe",
     .max_ms = 500},
    {.name = "eagain then data, fd ready",
     .steps = {EAGAIN_STEP, {4, 0, "wxyz"}},
     .nsteps = 2,
     .len = 4,
     .fd = FD_READY,
     .timeout_ms = 1000,
     .want = 4,
     .want_bytes = "wxyz",
     .want_calls = 2,
     .max_ms = 500},
    {.name = "eagain then data, no deadline",
     .steps = {{1, 0, "q"}, EAGAIN_STEP, EAGAIN_STEP, {2, 0, "rs"}},
     .nsteps = 4,
     .len = 3,
     .fd = FD_READY,
     .timeout_ms = -1,
     .want = 3,
     .want_bytes = "qrs",
     .want_calls = 4,
     .max_ms = 500},
    {.name = "send: eagain then the rest, fd writable",
     .steps = {{2, 0, NULL}, EAGAIN_STEP, {4, 0, NULL}},
     .nsteps = 3,
     .is_send = 1,
     .len = 6,
     .fd = FD_READY,
     .timeout_ms = 1000,
     .want = 6,
     .want_bytes = "ABCDEF",
     .want_calls = 3,
     .max_ms = 500},
    {.name = "eagain, fd never ready",
     .steps = {{1, 0, "a"}, EAGAIN_STEP},
     .nsteps = 2,
     .len = 4,
     .fd = FD_NEVER,
     .timeout_ms = 100,
     .want = -1,
     .want_bytes = "a",
     .want_calls = 2,
     .want_errno = ETIMEDOUT,
     .want_exit = 75,
     .want_msg = "receive: connection timed out",
     .min_ms = 90,
     .max_ms = 1000},
    {.name = "send: eagain, fd never writable",
     .steps = {EAGAIN_STEP},
     .nsteps = 1,
     .is_send = 1,
     .len = 4,
     .fd = FD_NEVER,
     .timeout_ms = 100,
     .want = -1,
     .want_bytes = "",
     .want_calls = 1,
     .want_errno = ETIMEDOUT,
     .want_exit = 75,
     .want_msg = "send: connection timed out",
     .min_ms = 90,
     .max_ms = 1000},
    {.name = "eagain, zero timeout",
     .steps = {EAGAIN_STEP},
     .nsteps = 1,
     .len = 4,
     .fd = FD_NEVER,
     .timeout_ms = 0,
     .want = -1,
     .want_bytes = "",
     .want_calls = 1,
     .want_errno = ETIMEDOUT,
     .want_exit = 75,
     .want_msg = "receive: connection timed out",
     .max_ms = 500},
    /* poll says ready but the step keeps saying EAGAIN (another process
     * drained the socket first): the overall deadline must still end it. */
    {.name = "eagain forever while the fd looks ready",
     .steps = {EAGAIN_STEP},
     .nsteps = 1,
     .repeat_last = 1,
     .len = 4,
     .fd = FD_READY,
     .timeout_ms = 100,
     .want = -1,
     .want_bytes = "",
     .want_calls = -1,
     .want_errno = ETIMEDOUT,
     .want_exit = 75,
     .want_msg = "receive: connection timed out",
     .min_ms = 90,
     .max_ms = 1000},
};

/* An fd for the EAGAIN path: FD_READY is readable (and writable) at once,
 * FD_NEVER never becomes ready for the direction asked. */
static int
io_case_fd(const struct io_case *c)
{
    int sv[2];

    if (c->fd == FD_NONE)
        return -1;
    make_pair(sv);
    if (c->fd == FD_READY) {
        assert_int_equal(write(sv[1], "!", 1), 1);
        return sv[0];
    }
    if (c->is_send)
        fill_send_buffer(sv[0]);
    return sv[0];
}

static void
test_io_full_script(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof io_cases / sizeof io_cases[0]; i++) {
        const struct io_case *c = &io_cases[i];
        char buf[32], src[32] = "ABCDEFGHIJKLMNOP";
        struct nk_err err;
        int fd = io_case_fd(c);
        int64_t t0, took;
        ssize_t n;

        print_message("case %zu: %s\n", i, c->name);
        memset(buf, 0, sizeof buf);
        nk_err_clear(&err);
        script_load(c);
        errno = 0;
        t0 = nk_now_ms();
        if (c->is_send)
            n = nk_io_full(fake_write, fd, src, c->len, POLLOUT, c->timeout_ms,
                           "send", &err);
        else
            n = nk_io_full(fake_read, fd, buf, c->len, POLLIN, c->timeout_ms,
                           "receive", &err);
        took = nk_now_ms() - t0;
        if (n != c->want)
            fail_msg("case %zu: returned %zd (%s), want %zd", i, n, err.msg,
                     c->want);
        if (c->want_calls >= 0)
            assert_int_equal(fake_calls, c->want_calls);
        /* The bytes the fake moved, in order. */
        assert_int_equal(moved_len, strlen(c->want_bytes));
        assert_memory_equal(moved, c->want_bytes, moved_len);
        if (!c->is_send && c->want >= 0)
            assert_memory_equal(buf, c->want_bytes, (size_t)c->want);
        if (c->want < 0) {
            assert_int_equal(errno, c->want_errno);
            assert_int_equal(err.sys_errno, c->want_errno);
            assert_int_equal(err.exit_code, c->want_exit);
            assert_string_equal(err.msg, c->want_msg);
        }
        assert_true(took >= c->min_ms);
        assert_true(took < c->max_ms);
    }
}

/* After a short count the loop asks only for what is still missing, at the
 * right offset. */
static void
test_io_full_asks_for_the_rest(void **state)
{
    static const struct io_case c = {
        .steps = {{3, 0, "abc"}, EINTR_STEP, {2, 0, "de"}, {4, 0, "fghi"}},
        .nsteps = 4,
    };
    char buf[9];
    struct nk_err err;

    (void)state;
    script_load(&c);
    assert_int_equal(
        nk_io_full(fake_read, -1, buf, 9, POLLIN, 1000, "receive", &err), 9);
    assert_memory_equal(buf, "abcdefghi", 9);
    assert_int_equal(fake_calls, 4);
    assert_int_equal(asked[0], 9);
    assert_int_equal(asked[1], 6);
    assert_int_equal(asked[2], 6);
    assert_int_equal(asked[3], 4);
}

/* ---- real sockets with a forked peer ----------------------------------- */

#define BIG (4u << 20)
#define CHUNK 65521u /* a prime: reads never line up with the sender's */

/* Peer: receive BIG bytes of pattern 1 in odd chunks, report the check in
 * one status byte, then send BIG bytes of pattern 2 back. */
static int
child_check_then_send(int fd)
{
    unsigned char *buf = malloc(BIG);
    struct nk_err err;
    unsigned char status = 0;
    size_t got = 0;

    if (buf == NULL)
        return 10;
    while (got < BIG && status == 0) {
        size_t want = BIG - got < CHUNK ? BIG - got : CHUNK;
        ssize_t n = nk_recv_exact(fd, buf, want, 20000, &err);
        if (n != (ssize_t)want)
            status = 1;
        else if (check_pattern(buf, want, got, 1) != want)
            status = 2;
        got += want;
    }
    if (nk_send_all(fd, &status, 1, 20000, &err) != 1)
        status = 3;
    if (status == 0) {
        fill_pattern(buf, BIG, 2);
        if (nk_send_all(fd, buf, BIG, 20000, &err) != (ssize_t)BIG)
            status = 4;
    }
    free(buf);
    return status;
}

static void
test_send_all_recv_exact_big(void **state)
{
    static const int use_tcp[] = {0, 1};

    (void)state;
    for (size_t i = 0; i < sizeof use_tcp / sizeof use_tcp[0]; i++) {
        unsigned char *buf = test_malloc(BIG), status = 0xff, extra;
        struct nk_err err;
        size_t bad;
        pid_t pid;
        int sv[2];

        int64_t t0 = nk_now_ms();

        if (use_tcp[i])
            make_tcp_pair(sv);
        else
            make_pair(sv);
        /* Small send buffers and non-blocking ends on both sides: the
         * 4 MiB moves in many partial sends with EAGAIN in between. TCP
         * keeps its receive buffers: shrinking them under an open window
         * makes the kernel drop segments and crawl on retransmits. */
        set_sndbuf(sv[0], use_tcp[i] ? 65536 : 4096);
        set_sndbuf(sv[1], use_tcp[i] ? 65536 : 4096);
        assert_int_equal(nk_set_nonblock(sv[0], 1, &err), 0);
        assert_int_equal(nk_set_nonblock(sv[1], 1, &err), 0);
        pid = spawn(child_check_then_send, sv[1], sv[0]);
        close_early(sv[1]);

        fill_pattern(buf, BIG, 1);
        if (nk_send_all(sv[0], buf, BIG, 20000, &err) != (ssize_t)BIG)
            fail_msg("send: %s", err.msg);
        assert_int_equal(nk_recv_exact(sv[0], &status, 1, 20000, &err), 1);
        assert_int_equal(status, 0);

        memset(buf, 0, BIG);
        if (nk_recv_exact(sv[0], buf, BIG, 20000, &err) != (ssize_t)BIG)
            fail_msg("receive: %s", err.msg);
        bad = check_pattern(buf, BIG, 0, 2);
        if (bad != BIG)
            fail_msg("byte %zu differs", bad);
        test_free(buf);
        /* Then end of stream: a short (zero) count, not an error. */
        assert_int_equal(nk_recv_exact(sv[0], &extra, 1, 20000, &err), 0);
        assert_child_ok(pid, 20000);
        print_message("%s: 2 x 4 MiB in %lld ms\n",
                      use_tcp[i] ? "tcp loopback" : "socketpair",
                      (long long)(nk_now_ms() - t0));
    }
}

static int n_calls, n_eagain, n_short;

static void
count_step(ssize_t n, size_t len)
{
    int saved = errno;

    n_calls++;
    if (n < 0 && (saved == EAGAIN || saved == EWOULDBLOCK))
        n_eagain++;
    else if (n > 0 && (size_t)n < len)
        n_short++;
    errno = saved;
}

static ssize_t
counting_send(int fd, void *buf, size_t len)
{
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

    count_step(n, len);
    return n;
}

static ssize_t
counting_read(int fd, void *buf, size_t len)
{
    ssize_t n = read(fd, buf, len);

    count_step(n, len);
    return n;
}

#define MID (1u << 20)

/* Peer: start reading late (the sender hits a full buffer), take MID bytes,
 * then answer in three 1000-byte pieces with pauses between them. */
static int
child_slow_reader_then_dribble(int fd)
{
    unsigned char *buf = malloc(MID);
    unsigned char piece[1000];
    struct nk_err err;
    int rc = 0;

    if (buf == NULL)
        return 10;
    sleep_ms(50);
    if (nk_recv_exact(fd, buf, MID, 20000, &err) != (ssize_t)MID)
        rc = 1;
    else if (check_pattern(buf, MID, 0, 3) != MID)
        rc = 2;
    for (size_t k = 0; k < 3 && rc == 0; k++) {
        for (size_t j = 0; j < sizeof piece; j++)
            piece[j] = pattern(k * sizeof piece + j, 4);
        sleep_ms(30);
        if (nk_send_all(fd, piece, sizeof piece, 20000, &err) != 1000)
            rc = 3;
    }
    free(buf);
    return rc;
}

/* nk_io_full on real sockets really meets partial transfers and EAGAIN,
 * in both directions, and still moves every byte. */
static void
test_io_full_real_partial_and_eagain(void **state)
{
    unsigned char *buf = test_malloc(MID);
    unsigned char back[3000];
    struct nk_err err;
    pid_t pid;
    int sv[2];

    (void)state;
    make_pair(sv);
    set_bufs(sv[0], 4096);
    set_bufs(sv[1], 4096);
    assert_int_equal(nk_set_nonblock(sv[0], 1, &err), 0);
    pid = spawn(child_slow_reader_then_dribble, sv[1], sv[0]);

    fill_pattern(buf, MID, 3);
    n_calls = n_eagain = n_short = 0;
    assert_int_equal(nk_io_full(counting_send, sv[0], buf, MID, POLLOUT, 20000,
                                "send", &err),
                     (ssize_t)MID);
    print_message("send: %d calls, %d short, %d eagain\n", n_calls, n_short,
                  n_eagain);
    assert_true(n_short > 0);
    assert_true(n_eagain > 0);
    test_free(buf);

    n_calls = n_eagain = n_short = 0;
    assert_int_equal(nk_io_full(counting_read, sv[0], back, sizeof back,
                                POLLIN, 20000, "receive", &err),
                     (ssize_t)sizeof back);
    print_message("receive: %d calls, %d short, %d eagain\n", n_calls, n_short,
                  n_eagain);
    assert_true(n_short > 0);
    assert_true(n_eagain > 0);
    assert_int_equal(check_pattern(back, sizeof back, 0, 4), sizeof back);
    assert_child_ok(pid, 20000);
}

/* nk_recv_exact gives a short count, not an error, at end of stream. */
static void
test_recv_exact_short_at_eof(void **state)
{
    static const int kinds[] = {0, 1, 2}; /* socketpair, pipe, tcp */

    (void)state;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        struct nk_err err;
        char buf[100];
        int sv[2], rd, wr;

        if (kinds[i] == 1) {
            assert_int_equal(pipe(sv), 0);
            rd = track(sv[0]);
            wr = track(sv[1]);
        } else {
            if (kinds[i] == 0)
                make_pair(sv);
            else
                make_tcp_pair(sv);
            rd = sv[0];
            wr = sv[1];
        }
        /* nk_send_all falls back to write() on a pipe. */
        assert_int_equal(nk_send_all(wr, "hello", 5, 1000, &err), 5);
        if (kinds[i] == 1)
            close_early(wr);
        else
            assert_int_equal(shutdown(wr, SHUT_WR), 0);
        memset(buf, 0, sizeof buf);
        assert_int_equal(nk_recv_exact(rd, buf, sizeof buf, 2000, &err), 5);
        assert_memory_equal(buf, "hello", 5);
        assert_int_equal(nk_recv_exact(rd, buf, sizeof buf, 2000, &err), 0);
    }
}

/* nk_recv_some: what is there now (not the full length), 0 at end of
 * stream, ETIMEDOUT when nothing comes. */
static void
test_recv_some(void **state)
{
    struct nk_err err;
    char buf[100];
    int sv[2];
    int64_t t0;

    (void)state;
    make_pair(sv);
    assert_int_equal(nk_send_all(sv[1], "abc", 3, 1000, &err), 3);
    /* 3 bytes available of 100 asked: returns at once with 3 */
    assert_int_equal(nk_recv_some(sv[0], buf, sizeof buf, 2000, &err), 3);
    assert_memory_equal(buf, "abc", 3);
    t0 = nk_now_ms();
    assert_int_equal(nk_recv_some(sv[0], buf, sizeof buf, 100, &err), -1);
    assert_int_equal(err.sys_errno, ETIMEDOUT);
    assert_int_equal(err.exit_code, 75);
    assert_string_equal(err.msg, "receive: connection timed out");
    assert_true(nk_now_ms() - t0 >= 90 && nk_now_ms() - t0 < 1500);
    assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
    assert_int_equal(nk_recv_some(sv[0], buf, sizeof buf, 2000, &err), 0);
    assert_int_equal(nk_recv_some(-1, buf, sizeof buf, 100, &err), -1);
}

/* The non-blocking steps: counts, NK_IO_AGAIN instead of an error when not
 * ready, 0 at end of stream after a half-close, -1 with errno otherwise. */
static void
test_nonblocking_steps(void **state)
{
    static char big[1 << 20];
    char buf[16];
    int sv[2];
    ssize_t n, total = 0;

    (void)state;
    make_pair(sv);
    assert_int_equal(nk_recv_nb(sv[0], buf, sizeof buf), NK_IO_AGAIN);
    assert_int_equal(nk_send_nb(sv[1], "ping", 4), 4);
    assert_int_equal(nk_recv_nb(sv[0], buf, sizeof buf), 4);
    /* fill the socket until the kernel says "not now" */
    while ((n = nk_send_nb(sv[1], big, sizeof big)) > 0 && total < (64 << 20))
        total += n;
    assert_int_equal(n, NK_IO_AGAIN);
    assert_true(total > 0);
    assert_int_equal(nk_shutdown_write(sv[0], NULL), 0);
    /* sv[1] drains what sv[0] never sent: nothing, then end of stream */
    assert_int_equal(nk_recv_nb(sv[1], buf, sizeof buf), 0);
    assert_int_equal(nk_recv_nb(-1, buf, sizeof buf), -1);
    assert_int_equal(errno, EBADF);
}

/* nk_sendfile: the file's bytes arrive in order, *off advances, 0 at the
 * end of the file, NK_IO_AGAIN when the socket is full. */
static void
test_sendfile(void **state)
{
    static unsigned char data[300000], back[sizeof data];
    FILE *tmp = tmpfile();
    off_t off = 0;
    size_t got = 0;
    int sv[2], full = 0;

    (void)state;
    assert_non_null(tmp);
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 7 + 3);
    assert_int_equal(fwrite(data, 1, sizeof data, tmp), sizeof data);
    fflush(tmp);
    make_pair(sv);
    assert_int_equal(nk_set_nonblock(sv[1], 1, NULL), 0);
    while (off < (off_t)sizeof data) {
        ssize_t n = nk_sendfile(sv[1], fileno(tmp), &off, sizeof data);
        if (n == NK_IO_AGAIN) {
            full = 1;
            n = nk_recv_nb(sv[0], back + got, sizeof back - got);
            assert_true(n > 0);
            got += (size_t)n;
            continue;
        }
        assert_true(n > 0);
    }
    assert_int_equal(nk_sendfile(sv[1], fileno(tmp), &off, 100), 0);
    assert_int_equal(nk_shutdown_write(sv[1], NULL), 0);
    for (;;) {
        ssize_t n =
            nk_recv_some(sv[0], back + got, sizeof back - got, 2000, NULL);
        assert_true(n >= 0);
        if (n == 0)
            break;
        got += (size_t)n;
    }
    assert_int_equal(got, sizeof data);
    assert_memory_equal(back, data, sizeof data);
    assert_true(full); /* 300 kB does not fit a socketpair's buffer */
    fclose(tmp);
}

static void
test_sleep_ms(void **state)
{
    int64_t t0 = nk_now_ms();

    (void)state;
    assert_int_equal(nk_sleep_ms(50), 0);
    assert_true(nk_now_ms() - t0 >= 45);
}

/* ---- SIGPIPE ----------------------------------------------------------- */

/* With SIGPIPE at its default action (nk_net_init not called), a send to a
 * peer that has gone must come back as EPIPE, not end the process. */
static void
test_send_to_closed_peer_survives_sigpipe(void **state)
{
    static const int use_tcp[] = {0, 1};
    static char big[256 * 1024];
    struct sigaction now;
    sigset_t pipe_set;

    (void)state;
    signal(SIGPIPE, SIG_DFL);
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    assert_int_equal(sigprocmask(SIG_UNBLOCK, &pipe_set, NULL), 0);

    for (size_t i = 0; i < sizeof use_tcp / sizeof use_tcp[0]; i++) {
        struct nk_err err;
        ssize_t n = 0;
        int sv[2];

        if (use_tcp[i])
            make_tcp_pair(sv);
        else
            make_pair(sv);
        close_early(sv[1]);
        /* TCP may take the first send into its buffer before the peer's
         * reset arrives; a few tries, a few ms apart, are plenty. */
        for (int k = 0; k < 50; k++) {
            n = nk_send_all(sv[0], big, sizeof big, 2000, &err);
            if (n < 0)
                break;
            sleep_ms(10);
        }
        assert_int_equal(n, -1);
        print_message("%s: %s\n", use_tcp[i] ? "tcp" : "socketpair", err.msg);
        assert_true(err.sys_errno == EPIPE || err.sys_errno == ECONNRESET);
        assert_int_equal(err.exit_code, 74);
        if (err.sys_errno == EPIPE)
            assert_string_equal(err.msg, "send: broken pipe");
        else
            assert_string_equal(err.msg, "send: connection reset by peer");
    }
    /* Still the default action: the test proved what it claims. */
    assert_int_equal(sigaction(SIGPIPE, NULL, &now), 0);
    assert_ptr_equal(now.sa_handler, SIG_DFL);
}

static int
child_pipe_epipe(int unused)
{
    struct nk_err err;
    int p[2];

    (void)unused;
    nk_net_init();
    if (pipe(p) < 0)
        return 10;
    close(p[0]);
    if (nk_send_all(p[1], "x", 1, 1000, &err) != -1)
        return 1;
    if (err.sys_errno != EPIPE || strcmp(err.msg, "send: broken pipe") != 0)
        return 2;
    return 0;
}

/* A pipe gets write(), which MSG_NOSIGNAL does not cover: nk_net_init is
 * what keeps the process alive there. Run in a peer, whose signal
 * dispositions are its own. */
static void
test_send_to_closed_pipe_after_net_init(void **state)
{
    (void)state;
    assert_child_ok(spawn(child_pipe_epipe, -1, -1), 10000);
}

/* ---- nk_poll and nk_wait_fd -------------------------------------------- */

static volatile sig_atomic_t alarms;

#define MAX_ALARMS 75 /* 1.5 s of signals, then the timer stops itself */

static void
on_alarm(int sig)
{
    /* Bounded: a poll that restarted its full timeout on every EINTR
     * would otherwise never return. Stopping after MAX_ALARMS lets it end
     * ~1.8 s in, which the < 1500 ms check then reports. (setitimer is a
     * plain system call on Linux, fine in a handler.) */
    static const struct itimerval off; /* all zero: disarm */

    if (++alarms >= MAX_ALARMS)
        setitimer(ITIMER_REAL, &off, NULL);
    (void)sig;
}

/* A SIGALRM every 20 ms interrupts poll over and over; the 300 ms deadline
 * must hold: not cut short by the first signal, not restarted by each. */
static void
test_poll_keeps_deadline_across_eintr(void **state)
{
    static const int use_wait_fd[] = {0, 1};

    (void)state;
    for (size_t i = 0; i < sizeof use_wait_fd / sizeof use_wait_fd[0]; i++) {
        struct itimerval tv, off;
        struct sigaction sa;
        struct nk_err err;
        int sv[2], rc;
        int64_t t0, took;

        make_pair(sv);
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_alarm;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0; /* no SA_RESTART: poll sees EINTR */
        assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
        memset(&tv, 0, sizeof tv);
        tv.it_value.tv_usec = 20000;
        tv.it_interval.tv_usec = 20000;
        alarms = 0;
        assert_int_equal(setitimer(ITIMER_REAL, &tv, NULL), 0);

        t0 = nk_now_ms();
        if (use_wait_fd[i]) {
            rc = nk_wait_fd(sv[0], POLLIN, 300, &err);
        } else {
            struct pollfd p = {.fd = sv[0], .events = POLLIN, .revents = 0};
            rc = nk_poll(&p, 1, 300, &err);
        }
        took = nk_now_ms() - t0;

        memset(&off, 0, sizeof off);
        setitimer(ITIMER_REAL, &off, NULL);
        signal(SIGALRM, SIG_DFL);
        print_message("%s: rc %d after %lld ms, %d signals\n",
                      use_wait_fd[i] ? "nk_wait_fd" : "nk_poll", rc,
                      (long long)took, (int)alarms);
        assert_int_equal(rc, 0);
        assert_true(took >= 280);
        assert_true(took < 1500);
        assert_true(alarms >= 3); /* poll really was interrupted */
    }
}

static void
test_wait_fd(void **state)
{
    static const struct {
        const char *name;
        int readable; /* put a byte in first */
        short events;
        int timeout_ms, want, min_ms, max_ms;
    } cases[] = {
        {"readable", 1, POLLIN, 1000, 1, 0, 500},
        {"writable", 0, POLLOUT, 1000, 1, 0, 500},
        {"readable, no wait", 1, POLLIN, 0, 1, 0, 500},
        {"idle, no wait", 0, POLLIN, 0, 0, 0, 500},
        {"idle, 100 ms", 0, POLLIN, 100, 0, 90, 1000},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nk_err err;
        int sv[2], rc;
        int64_t t0, took;

        make_pair(sv);
        if (cases[i].readable)
            assert_int_equal(write(sv[1], "!", 1), 1);
        t0 = nk_now_ms();
        rc = nk_wait_fd(sv[0], cases[i].events, cases[i].timeout_ms, &err);
        took = nk_now_ms() - t0;
        print_message("%s: %d in %lld ms\n", cases[i].name, rc,
                      (long long)took);
        assert_int_equal(rc, cases[i].want);
        assert_true(took >= cases[i].min_ms);
        assert_true(took < cases[i].max_ms);
    }
}

/* nk_poll over several fds reports which are ready. */
static void
test_poll_several(void **state)
{
    struct pollfd p[3];
    struct nk_err err;
    int a[2], b[2], c[2];

    (void)state;
    make_pair(a);
    make_pair(b);
    make_pair(c);
    assert_int_equal(write(b[1], "!", 1), 1);
    assert_int_equal(write(c[1], "!", 1), 1);
    p[0] = (struct pollfd){.fd = a[0], .events = POLLIN, .revents = 0};
    p[1] = (struct pollfd){.fd = b[0], .events = POLLIN, .revents = 0};
    p[2] = (struct pollfd){.fd = c[0], .events = POLLIN, .revents = 0};
    assert_int_equal(nk_poll(p, 3, 1000, &err), 2);
    assert_int_equal(p[0].revents, 0);
    assert_true(p[1].revents & POLLIN);
    assert_true(p[2].revents & POLLIN);
}

/* ---- O_NONBLOCK -------------------------------------------------------- */

static void
test_nonblock_round_trip(void **state)
{
    static const int kinds[] = {0, 1}; /* socket, pipe */

    (void)state;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        static const int steps[] = {1, 1, 0, 0, 1, 0};
        struct nk_err err;
        int fds[2], fd, other;

        if (kinds[i] == 0) {
            make_pair(fds);
        } else {
            assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
            track(fds[0]);
            track(fds[1]);
        }
        fd = fds[0];
        other = fcntl(fd, F_GETFL) & ~O_NONBLOCK;
        assert_int_equal(nk_get_nonblock(fd, &err), 0);
        for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
            int fl;

            assert_int_equal(nk_set_nonblock(fd, steps[k], &err), 0);
            assert_int_equal(nk_get_nonblock(fd, &err), steps[k]);
            fl = fcntl(fd, F_GETFL);
            assert_int_equal((fl & O_NONBLOCK) != 0, steps[k]);
            assert_int_equal(fl & ~O_NONBLOCK, other); /* others kept */
        }
        /* The other end of the pair is a separate description. */
        assert_int_equal(nk_get_nonblock(fds[1], &err), 0);
        /* And it is real: a read on an empty non-blocking fd fails. */
        assert_int_equal(nk_set_nonblock(fd, 1, &err), 0);
        {
            char c;
            assert_int_equal(read(fd, &c, 1), -1);
            assert_int_equal(errno, EAGAIN);
        }
    }
}

static void
test_nonblock_bad_fd(void **state)
{
    struct nk_err err;

    (void)state;
    assert_int_equal(nk_get_nonblock(-1, &err), -1);
    assert_int_equal(err.sys_errno, EBADF);
    assert_int_equal(err.exit_code, 74);
    assert_string_equal(err.msg, "fcntl F_GETFL: bad file descriptor");
    assert_int_equal(nk_set_nonblock(-1, 1, &err), -1);
    assert_int_equal(err.sys_errno, EBADF);
    assert_string_equal(err.msg, "fcntl F_GETFL: bad file descriptor");
}

#define T(f) cmocka_unit_test_teardown(f, cleanup)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_io_full_script),
        T(test_io_full_asks_for_the_rest),
        T(test_send_all_recv_exact_big),
        T(test_io_full_real_partial_and_eagain),
        T(test_recv_exact_short_at_eof),
        T(test_recv_some),
        T(test_nonblocking_steps),
        T(test_sendfile),
        T(test_sleep_ms),
        T(test_send_to_closed_peer_survives_sigpipe),
        T(test_send_to_closed_pipe_after_net_init),
        T(test_poll_keeps_deadline_across_eintr),
        T(test_wait_fd),
        T(test_poll_several),
        T(test_nonblock_round_trip),
        T(test_nonblock_bad_fd),
    };

    return cmocka_run_group_tests(tests, NULL, cleanup);
}

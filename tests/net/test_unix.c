/* AF_UNIX in the helper layer: "unix:PATH" and "unix:@NAME" parsed and
 * printed, listeners that refuse a live socket file and replace a stale
 * one, never touch a file that is not a socket, set the file's mode and
 * remove it at the end; peer credentials from nk_accept; a datagram
 * client that gets replies. Socket files live in a fresh directory under
 * /tmp; abstract names carry the test's pid. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "netkit/clock.h"
#include "netkit/err.h"
#include "netkit/exitcodes.h"
#include "netkit/net.h"

static char dir[64];

static const char *
at(const char *name)
{
    static char buf[160];

    snprintf(buf, sizeof buf, "unix:%s/%s", dir, name);
    return buf;
}

static int
setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/nk-test-unix.XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int
teardown(void **state)
{
    char cmd[128];

    (void)state;
    nk_unix_cleanup();
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- parse and format ------------------------------------------------- */

static void
test_parse_format_roundtrip(void **state)
{
    static const char *const ok[] = {"unix:/tmp/a.sock", "unix:rel/x",
                                     "unix:@name", "unix:@a b", "unix:/"};
    struct nk_addr a;
    struct nk_err err;
    char buf[NK_ADDRSTRLEN];

    (void)state;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(nk_unix_parse(ok[i], &a, &err), 0);
        assert_int_equal(a.ss.ss_family, AF_UNIX);
        assert_string_equal(
            nk_addr_format((struct sockaddr *)&a.ss, a.len, buf, sizeof buf),
            ok[i]);
        assert_string_equal(
            nk_addr_host((struct sockaddr *)&a.ss, a.len, buf, sizeof buf),
            ok[i]);
    }
}

static void
test_parse_abstract_is_exact_length(void **state)
{
    struct nk_addr a;
    const struct sockaddr_un *sun = (const struct sockaddr_un *)&a.ss;

    (void)state;
    assert_int_equal(nk_unix_parse("unix:@abc", &a, NULL), 0);
    /* leading NUL, then the name, no terminator: "@abc" and "@abc\0" are
     * different abstract names */
    assert_int_equal(a.len, offsetof(struct sockaddr_un, sun_path) + 4);
    assert_memory_equal(sun->sun_path, "\0abc", 4);
    assert_int_equal(nk_unix_parse("unix:/x", &a, NULL), 0);
    assert_int_equal(a.len, offsetof(struct sockaddr_un, sun_path) + 3);
}

static void
test_parse_refuses(void **state)
{
    char longp[200];
    struct nk_addr a;
    struct nk_err err;

    (void)state;
    memset(longp, 'x', sizeof longp);
    memcpy(longp, "unix:/", 6);
    longp[5 + 108] = '\0'; /* a 108-byte path: no room for its NUL */
    const char *bad[] = {"unix:", "unix:@", "127.0.0.1", "", longp};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(nk_unix_parse(bad[i], &a, &err), -1);
        assert_int_equal(err.exit_code, NK_EX_DATAERR);
    }
    longp[5 + 107] = '\0'; /* 107 bytes and the NUL: the most that fits */
    assert_int_equal(nk_unix_parse(longp, &a, &err), 0);
    assert_true(nk_host_is_unix("unix:x"));
    assert_false(nk_host_is_unix("unixx"));
    assert_false(nk_host_is_unix(NULL));
}

static void
test_format_unnamed_and_mode_parse(void **state)
{
    sa_family_t fam = AF_UNIX;
    char buf[NK_ADDRSTRLEN];
    unsigned m = 1;

    (void)state;
    assert_string_equal(
        nk_addr_format((struct sockaddr *)&fam, sizeof fam, buf, sizeof buf),
        "unix:");
    assert_int_equal(nk_unix_mode_parse("0660", &m, NULL), 0);
    assert_int_equal(m, 0660);
    assert_int_equal(nk_unix_mode_parse("600", &m, NULL), 0);
    assert_int_equal(m, 0600);
    assert_int_equal(nk_unix_mode_parse("0980", &m, NULL), -1);
    assert_int_equal(nk_unix_mode_parse("", &m, NULL), -1);
    assert_int_equal(nk_unix_mode_parse("177777", &m, NULL), -1);
}

static void
test_resolve_gives_one_unix_address(void **state)
{
    struct addrinfo *ai = NULL;

    (void)state;
    assert_int_equal(
        nk_resolve("unix:@r", "80", AF_INET, SOCK_DGRAM, 0, &ai, NULL), 1);
    assert_int_equal(ai->ai_family, AF_UNIX);
    assert_int_equal(ai->ai_socktype, SOCK_DGRAM);
    assert_null(ai->ai_next);
    nk_resolve_free(ai);
}

/* ---- listeners -------------------------------------------------------- */

static int
listen_at(const char *host, const char *mode, struct nk_err *err)
{
    struct nk_listen_opts o = {.host = host,
                               .port = "0",
                               .socktype = SOCK_STREAM,
                               .backlog = 8,
                               .mode = mode};
    return nk_listen_ex(&o, err);
}

static void
test_listen_connect_and_peer_credentials(void **state)
{
    struct nk_addr peer, local;
    struct nk_err err;
    char buf[256], want[256];
    int lfd, cfd, afd;

    (void)state;
    lfd = listen_at(at("s"), NULL, &err);
    assert_true(lfd >= 0);
    assert_int_equal(nk_local_addr(lfd, &local, NULL), 0);
    assert_string_equal(nk_addr_format((struct sockaddr *)&local.ss, local.len,
                                       buf, sizeof buf),
                        at("s"));
    cfd = nk_connect(at("s"), NULL, AF_UNSPEC, SOCK_STREAM, 1000, NULL, &err);
    assert_true(cfd >= 0);
    afd = nk_accept(lfd, &peer, 0, &err);
    assert_true(afd >= 0);
    assert_true(peer.cred.known);
    assert_int_equal(peer.cred.pid, getpid());
    assert_int_equal(peer.cred.uid, getuid());
    snprintf(want, sizeof want, "pid=%d,uid=%u,gid=%u", (int)getpid(),
             (unsigned)getuid(), (unsigned)getgid());
    assert_string_equal(nk_peer_format(&peer, buf, sizeof buf), want);
    assert_int_equal(nk_send_all(cfd, "hi", 2, 1000, NULL), 2);
    assert_int_equal(nk_recv_exact(afd, buf, 2, 1000, NULL), 2);
    nk_close(afd);
    nk_close(cfd);
    nk_close(lfd);
}

static void
test_live_socket_refused(void **state)
{
    struct nk_err err;
    int lfd, again;

    (void)state;
    lfd = listen_at(at("live"), NULL, &err);
    assert_true(lfd >= 0);
    again = listen_at(at("live"), NULL, &err);
    assert_int_equal(again, -1);
    assert_int_equal(err.exit_code, NK_EX_UNAVAILABLE);
    assert_non_null(strstr(err.msg, "in use by another server"));
    nk_close(lfd);
    /* the abstract namespace: the kernel says it is taken */
    lfd = listen_at("unix:@nk-test-live", NULL, &err);
    assert_true(lfd >= 0);
    assert_int_equal(listen_at("unix:@nk-test-live", NULL, &err), -1);
    assert_int_equal(err.exit_code, NK_EX_UNAVAILABLE);
    assert_non_null(strstr(err.msg, "in use by another server"));
    nk_close(lfd);
}

static void
test_stale_socket_replaced(void **state)
{
    struct nk_err err;
    struct stat st;
    int lfd, cfd;

    (void)state;
    lfd = listen_at(at("stale"), NULL, &err);
    assert_true(lfd >= 0);
    nk_close(lfd); /* the file stays: nobody answers any more */
    assert_int_equal(stat(at("stale") + 5, &st), 0);
    lfd = listen_at(at("stale"), NULL, &err);
    assert_true(lfd >= 0);
    cfd = nk_connect(at("stale"), NULL, 0, SOCK_STREAM, 1000, NULL, &err);
    assert_true(cfd >= 0);
    nk_close(cfd);
    nk_close(lfd);
}

static void
test_non_socket_file_left_alone(void **state)
{
    struct nk_err err;
    struct stat st;
    int fd;

    (void)state;
    fd = open(at("file") + 5, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "keep", 4), 4);
    close(fd);
    assert_int_equal(listen_at(at("file"), NULL, &err), -1);
    assert_int_equal(err.exit_code, NK_EX_UNAVAILABLE);
    assert_non_null(strstr(err.msg, "not a socket"));
    assert_int_equal(stat(at("file") + 5, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_size, 4);
}

static void
test_mode_applied_and_cleanup_removes(void **state)
{
    struct nk_err err;
    struct stat st;
    int lfd;

    (void)state;
    lfd = listen_at(at("m"), "0600", &err);
    assert_true(lfd >= 0);
    assert_int_equal(stat(at("m") + 5, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    nk_unix_cleanup();
    assert_int_equal(stat(at("m") + 5, &st), -1);
    assert_int_equal(errno, ENOENT);
    nk_close(lfd);
    /* a mode on something without a file is refused */
    assert_int_equal(listen_at("unix:@nk-test-m", "0600", &err), -1);
    assert_int_equal(listen_at("127.0.0.1", "0600", &err), -1);
    assert_int_equal(err.exit_code, NK_EX_USAGE);
    assert_int_equal(listen_at(at("bad"), "0999", &err), -1);
    assert_int_equal(err.exit_code, NK_EX_DATAERR);
}

static void
test_cleanup_spares_a_replaced_file(void **state)
{
    struct nk_err err;
    struct stat st;
    int lfd, fd;

    (void)state;
    lfd = listen_at(at("r"), NULL, &err);
    assert_true(lfd >= 0);
    /* someone else's file now stands at the path */
    assert_int_equal(unlink(at("r") + 5), 0);
    fd = open(at("r") + 5, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    close(fd);
    nk_unix_cleanup();
    assert_int_equal(stat(at("r") + 5, &st), 0);
    nk_close(lfd);
}

static void
test_datagram_client_gets_replies(void **state)
{
    struct nk_listen_opts o = {.host = at("d"), .socktype = SOCK_DGRAM};
    struct nk_addr from, a;
    struct addrinfo *ai;
    struct nk_err err;
    char buf[16], name[NK_ADDRSTRLEN];
    int sfd, cfd;

    (void)state;
    sfd = nk_listen_ex(&o, &err);
    assert_true(sfd >= 0);
    assert_int_equal(nk_resolve(at("d"), NULL, 0, SOCK_DGRAM, 0, &ai, &err),
                     1);
    cfd = nk_socket(ai->ai_family, ai->ai_socktype, &err);
    assert_true(cfd >= 0);
    assert_int_equal(
        nk_connect_addr(cfd, ai->ai_addr, ai->ai_addrlen, 1000, &err), 0);
    nk_resolve_free(ai);
    assert_int_equal(send(cfd, "ping", 4, 0), 4);
    from.len = sizeof from.ss;
    assert_int_equal(recvfrom(sfd, buf, sizeof buf, 0,
                              (struct sockaddr *)&from.ss, &from.len),
                     4);
    /* the client autobound an abstract name: "unix:@" and 5 hex digits */
    nk_addr_format((struct sockaddr *)&from.ss, from.len, name, sizeof name);
    assert_int_equal(strncmp(name, "unix:@", 6), 0);
    assert_int_equal(strlen(name), 11);
    assert_int_equal(nk_local_addr(cfd, &a, NULL), 0);
    assert_int_equal(
        sendto(sfd, "pong", 4, 0, (struct sockaddr *)&from.ss, from.len), 4);
    assert_int_equal(nk_recv_some(cfd, buf, sizeof buf, 1000, NULL), 4);
    assert_memory_equal(buf, "pong", 4);
    nk_close(cfd);
    nk_close(sfd);
}

static void
test_bad_mode_leaves_no_file(void **state)
{
    struct nk_err err;
    struct stat st;

    (void)state;
    assert_int_equal(listen_at(at("bm"), "0999", &err), -1);
    assert_int_equal(err.exit_code, NK_EX_DATAERR);
    assert_int_equal(stat(at("bm") + 5, &st), -1);
    assert_int_equal(errno, ENOENT);
}

static void
test_connect_nobody_is_unavailable(void **state)
{
    struct nk_err err;

    (void)state;
    assert_int_equal(
        nk_connect(at("none"), NULL, 0, SOCK_STREAM, 1000, NULL, &err), -1);
    assert_int_equal(err.exit_code, NK_EX_UNAVAILABLE);
    assert_non_null(strstr(err.msg, "no such file or directory"));
}

/* A full backlog: AF_UNIX says EAGAIN where TCP would queue the SYN;
 * the connect waits (here: until its timeout) instead of failing. */
static void
test_connect_waits_on_full_backlog(void **state)
{
    struct nk_listen_opts o = {
        .host = at("full"), .socktype = SOCK_STREAM, .backlog = 0};
    struct nk_err err;
    int lfd, fds[8], n = 0, fd = 0;
    int64_t t0;

    (void)state;
    lfd = nk_listen_ex(&o, &err);
    assert_true(lfd >= 0);
    /* fill the queue: the kernel takes backlog + 1 */
    while (n < 8) {
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct nk_addr a;
        assert_int_equal(nk_unix_parse(at("full"), &a, NULL), 0);
        if (connect(s, (struct sockaddr *)&a.ss, a.len) < 0) {
            assert_int_equal(errno, EAGAIN);
            close(s);
            break;
        }
        fds[n++] = s;
    }
    assert_true(n < 8);
    t0 = nk_now_ms();
    fd = nk_connect(at("full"), NULL, 0, SOCK_STREAM, 150, NULL, &err);
    assert_int_equal(fd, -1);
    assert_int_equal(err.sys_errno, ETIMEDOUT);
    assert_true(nk_now_ms() - t0 >= 140);
    /* room again: one accept, and the connect goes through */
    nk_close(nk_accept(lfd, NULL, 0, NULL));
    fd = nk_connect(at("full"), NULL, 0, SOCK_STREAM, 1000, NULL, &err);
    assert_true(fd >= 0);
    nk_close(fd);
    while (n > 0)
        close(fds[--n]);
    nk_close(lfd);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_format_roundtrip),
        cmocka_unit_test(test_parse_abstract_is_exact_length),
        cmocka_unit_test(test_parse_refuses),
        cmocka_unit_test(test_format_unnamed_and_mode_parse),
        cmocka_unit_test(test_resolve_gives_one_unix_address),
        cmocka_unit_test(test_listen_connect_and_peer_credentials),
        cmocka_unit_test(test_live_socket_refused),
        cmocka_unit_test(test_stale_socket_replaced),
        cmocka_unit_test(test_non_socket_file_left_alone),
        cmocka_unit_test(test_mode_applied_and_cleanup_removes),
        cmocka_unit_test(test_cleanup_spares_a_replaced_file),
        cmocka_unit_test(test_datagram_client_gets_replies),
        cmocka_unit_test(test_bad_mode_leaves_no_file),
        cmocka_unit_test(test_connect_nobody_is_unavailable),
        cmocka_unit_test(test_connect_waits_on_full_backlog),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

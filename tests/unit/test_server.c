/* The server skeleton's voice (src/lib/server.c) and the one failure path
 * (src/lib/fail.c): the exact lines, stderr captured in a file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netkit/exitcodes.h"
#include "netkit/fail.h"
#include "netkit/server.h"
#include "netkit/signals.h"

static char captured[4096];
static int saved = -1;
static FILE *sink;

static void
cap_start(void)
{
    fflush(stderr);
    sink = tmpfile();
    assert_non_null(sink);
    saved = dup(2);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fileno(sink), 2), 2);
}

static const char *
cap_end(void)
{
    size_t n;

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(sink);
    n = fread(captured, 1, sizeof captured - 1, sink);
    captured[n] = '\0';
    fclose(sink);
    return captured;
}

static void
addr4(struct nk_addr *a, const char *ip, unsigned port)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;

    memset(a, 0, sizeof *a);
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
    a->len = sizeof *sin;
}

static void
test_announce(void **state)
{
    struct nk_addr a;
    char buf[NK_ADDRSTRLEN];
    (void)state;

    addr4(&a, "127.0.0.1", 7);
    cap_start();
    assert_string_equal(nk_server_announce("echo-tcp", &a, buf, sizeof buf),
                        "127.0.0.1:7");
    assert_string_equal(cap_end(), "netkit echo-tcp: listening on 127.0.0.1:7\n");
    cap_start();
    nk_server_announce_fd("chat", -1, buf, sizeof buf);
    assert_string_equal(cap_end(), "netkit chat: listening on ?\n");
}

static void
test_stopped(void **state)
{
    struct nk_err err;
    (void)state;

    nk_stop_reset();
    cap_start();
    nk_server_stopped("sntp", "%d answered", 3);
    nk_server_stopped("chat", NULL);
    assert_string_equal(cap_end(),
                        "netkit sntp: stopped: 3 answered\nnetkit chat: stopped\n");
    assert_int_equal(nk_server_stop_install(&err), 0);
    assert_null(nk_server_stop_name());
    raise(SIGTERM);
    assert_string_equal(nk_server_stop_name(), "SIGTERM");
    cap_start();
    nk_server_stopped("echo-udp", "%s", "0 datagrams");
    nk_server_stopped("fileshare", NULL);
    assert_string_equal(cap_end(), "netkit echo-udp: stopped by SIGTERM: 0 "
                                   "datagrams\nnetkit fileshare: stopped by "
                                   "SIGTERM\n");
    raise(SIGINT);
    assert_string_equal(nk_server_stop_name(), "SIGINT");
    nk_stop_reset();
    nk_stop_uninstall();
}

static void
test_accept_note(void **state)
{
    struct nk_err err;
    (void)state;

    cap_start();
    err.msg[0] = '\0'; /* the rate limit held it back */
    nk_server_accept_note("chat", &err);
    snprintf(err.msg, sizeof err.msg, "out of file descriptors");
    nk_server_accept_note("chat", &err);
    assert_string_equal(cap_end(), "netkit chat: out of file descriptors\n");
}

static void
test_fail(void **state)
{
    struct nk_err err;
    (void)state;

    cap_start();
    nk_err_set(&err, NK_EX_UNAVAILABLE, "connect 127.0.0.1:9: refused");
    assert_int_equal(nk_fail("fileshare", "get", &err), NK_EX_UNAVAILABLE);
    nk_err_set(&err, 0, "no code");
    assert_int_equal(nk_fail("sntp", NULL, &err), NK_EX_SOFTWARE);
    assert_int_equal(nk_fail_or("chat", NULL, &err, NK_EX_IOERR), NK_EX_IOERR);
    assert_string_equal(cap_end(),
                        "netkit fileshare get: connect 127.0.0.1:9: refused\n"
                        "netkit sntp: no code\n"
                        "netkit chat: no code\n");
    assert_int_equal(nk_err_exit(&err, 7), 7);
    err.exit_code = NK_EX_IOERR;
    assert_int_equal(nk_err_exit(&err, 7), NK_EX_IOERR);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_announce),
        cmocka_unit_test(test_stopped),
        cmocka_unit_test(test_accept_note),
        cmocka_unit_test(test_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

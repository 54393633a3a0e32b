/* --trace and --hexdump: the names, the address and hexdump formats, the
 * flags, and what a hook writes (stderr redirected to a file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netkit/net.h"
#include "netkit/trace.h"

static void
test_names(void **state)
{
    char b[64];

    (void)state;
    assert_string_equal(nk_trace_errno_name(ECONNREFUSED), "ECONNREFUSED");
    assert_string_equal(nk_trace_errno_name(EADDRINUSE), "EADDRINUSE");
    assert_string_equal(nk_trace_errno_name(EAGAIN), "EAGAIN");
    assert_null(nk_trace_errno_name(99999));
    assert_string_equal(nk_trace_family_name(AF_INET6), "AF_INET6");
    assert_string_equal(nk_trace_level_name(IPPROTO_TCP), "IPPROTO_TCP");
    assert_string_equal(
        nk_trace_type_name(SOCK_STREAM | SOCK_CLOEXEC, b, sizeof b),
        "SOCK_STREAM|SOCK_CLOEXEC");
    assert_string_equal(
        nk_trace_type_name(SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, b,
                           sizeof b),
        "SOCK_DGRAM|SOCK_CLOEXEC|SOCK_NONBLOCK");
}

static void
test_sockaddr(void **state)
{
    struct sockaddr_in a4 = {0};
    struct sockaddr_in6 a6 = {0};
    char b[64];

    (void)state;
    a4.sin_family = AF_INET;
    a4.sin_port = htons(9);
    inet_pton(AF_INET, "127.0.0.1", &a4.sin_addr);
    assert_string_equal(
        nk_trace_sockaddr((struct sockaddr *)&a4, sizeof a4, b, sizeof b),
        "127.0.0.1:9");
    a6.sin6_family = AF_INET6;
    a6.sin6_port = htons(9999);
    inet_pton(AF_INET6, "::1", &a6.sin6_addr);
    assert_string_equal(
        nk_trace_sockaddr((struct sockaddr *)&a6, sizeof a6, b, sizeof b),
        "[::1]:9999");
    /* a short length is not read past */
    assert_string_equal(
        nk_trace_sockaddr((struct sockaddr *)&a6, 8, b, sizeof b), "AF_INET6");
}

static void
test_hexline(void **state)
{
    char b[96];
    const unsigned char full[16] = "0123456789abcde\x7f";
    const unsigned char part[3] = {'h', 'i', '\n'};

    (void)state;
    nk_trace_hexline(full, 16, 0x30, b, sizeof b);
    assert_string_equal(b, "00000030  30 31 32 33 34 35 36 37  38 39 61 62 "
                           "63 64 65 7f  |0123456789abcde.|");
    nk_trace_hexline(part, 3, 0, b, sizeof b);
    assert_string_equal(b, "00000000  68 69 0a                          "
                           "                |hi.|");
}

static void
test_flags(void **state)
{
    (void)state;
    assert_int_equal(nk_trace_flag("--trace"), 1);
    assert_int_equal(nk_trace_flag("--trace=json,all"), 1);
    assert_int_equal(nk_trace_flag("--trace=xml"), -1);
    assert_int_equal(nk_trace_flag("--trace="), -1);
    assert_int_equal(nk_trace_flag("--hexdump=all"), 1);
    assert_int_equal(nk_trace_flag("--hexdump=some"), -1);
    assert_int_equal(nk_trace_flag("--json"), 0);
    assert_int_equal(nk_trace_flag("--tracer"), 0);
    nk_trace_flag_reset();
}

/* Run fn with stderr going to a file; the file's text into out. */
static void
capture_stderr(void (*fn)(void), char *out, size_t size)
{
    FILE *tmp = tmpfile();
    int saved = dup(STDERR_FILENO);
    size_t n;

    assert_non_null(tmp);
    fflush(stderr);
    dup2(fileno(tmp), STDERR_FILENO);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(tmp);
    n = fread(out, 1, size - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
}

static void
socket_and_close(void)
{
    int fd = nk_socket(AF_INET, SOCK_DGRAM, NULL);
    nk_close(fd);
}

static void
test_hook_lines(void **state)
{
    char out[2048];

    (void)state;
    nk_trace_set(NK_TRACE_OFF, 0, NK_HEXDUMP_OFF);
    capture_stderr(socket_and_close, out, sizeof out);
    assert_string_equal(out, ""); /* off: nothing */
    nk_trace_set(NK_TRACE_CALLS, 0, NK_HEXDUMP_OFF);
    capture_stderr(socket_and_close, out, sizeof out);
    nk_trace_set(NK_TRACE_OFF, 0, NK_HEXDUMP_OFF);
    assert_non_null(
        strstr(out, "socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC) = "));
    assert_non_null(strstr(out, "close("));
    assert_non_null(strstr(out, ") = 0\n"));
}

static int g_pair[2];

static void
stream_twice(void)
{
    char buf[40];

    memset(buf, 'x', sizeof buf);
    (void)nk_send_nb(g_pair[0], buf, 20);
    (void)nk_send_nb(g_pair[0], buf, 20);
}

static void
test_hexdump_offsets_run_on(void **state)
{
    char out[4096];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, g_pair), 0);
    nk_trace_set(NK_TRACE_OFF, 0, NK_HEXDUMP_BOUNDED);
    capture_stderr(stream_twice, out, sizeof out);
    nk_trace_set(NK_TRACE_OFF, 0, NK_HEXDUMP_OFF);
    close(g_pair[0]);
    close(g_pair[1]);
    /* the second send continues at offset 20 (0x14) of the stream */
    assert_non_null(strstr(out, "\n00000010  78 78 78 78  "));
    assert_non_null(strstr(out, "\n00000014  78 78"));
    assert_null(strstr(out, "socket(")); /* --hexdump alone: no calls */
}

static void
errno_kept(void)
{
    errno = EPIPE;
    nk_trace_close(-1, -1, EBADF);
    assert_int_equal(errno, EBADF);
}

static void
test_errno_line(void **state)
{
    char out[512];

    (void)state;
    nk_trace_set(NK_TRACE_CALLS, 0, NK_HEXDUMP_OFF);
    capture_stderr(errno_kept, out, sizeof out);
    nk_trace_set(NK_TRACE_OFF, 0, NK_HEXDUMP_OFF);
    assert_non_null(strstr(out, "close(-1) = -1 EBADF ("));
}

static void
resolve_refused(void)
{
    struct addrinfo *ai = NULL;

    /* a name where only a numeric address is allowed: EAI_NONAME */
    if (nk_resolve("localhost", NULL, AF_UNSPEC, SOCK_STREAM,
                   NK_RESOLVE_NUMERIC, &ai, NULL) >= 0)
        nk_resolve_free(ai);
}

static void
test_resolver_error_line(void **state)
{
    char out[512];

    (void)state;
    nk_trace_set(NK_TRACE_CALLS, 0, NK_HEXDUMP_OFF);
    capture_stderr(resolve_refused, out, sizeof out);
    nk_trace_set(NK_TRACE_OFF, 0, NK_HEXDUMP_OFF);
    assert_non_null(strstr(out, "getaddrinfo(localhost, NULL, AF_UNSPEC, "));
    assert_non_null(strstr(out, " EAI_NONAME ("));
    assert_null(strstr(out, "E0")); /* no errno where there is none */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_sockaddr),
        cmocka_unit_test(test_hexline),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_hook_lines),
        cmocka_unit_test(test_hexdump_offsets_run_on),
        cmocka_unit_test(test_errno_line),
        cmocka_unit_test(test_resolver_error_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* nk_fs_rawget: the raw client of tests/bench/fileshare_bench.sh, the
 * same C code for both servers so the comparison measures the servers:
 * it sends a fileshare GET (or, with --http, an HTTP/1.0 GET for nginx),
 * reads the head, then receives the body into one reused 1 MiB buffer
 * and discards it, as curl -o /dev/null does. It prints the body's MiB/s
 * (from the first byte of the request to the last byte received) and
 * exits 1 unless exactly the announced length arrived, so a cut transfer
 * never counts as a fast one. A benchmark helper, not a test.
 *
 * usage: nk_fs_rawget [--http] PORT PATH
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "netkit/err.h"
#include "netkit/net.h"

enum { BUF = 1 << 20 };

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The value of header KEY (case-insensitive) in the head, or -1. */
static long long
head_value(const char *head, const char *key)
{
    size_t k = strlen(key);

    for (const char *p = head; p != NULL; p = strchr(p, '\n')) {
        p += *p == '\n'; /* past the newline that ended the last line */
        if (strncasecmp(p, key, k) == 0 && p[k] == ':')
            return strtoll(p + k + 1, NULL, 10);
    }
    return -1;
}

int
main(int argc, char **argv)
{
    int http = argc > 1 && strcmp(argv[1], "--http") == 0;
    char req[512], *buf = malloc(BUF), *end;
    struct nk_err err;
    size_t have = 0;
    long long want;
    uint64_t got;
    double t0;
    int fd;

    if (argc != 3 + http || buf == NULL) {
        fprintf(stderr, "usage: nk_fs_rawget [--http] PORT PATH\n");
        return 2;
    }
    t0 = now_s();
    fd = nk_connect("127.0.0.1", argv[1 + http], 0, SOCK_STREAM, 5000, NULL,
                    &err);
    if (fd < 0) {
        fprintf(stderr, "nk_fs_rawget: %s\n", err.msg);
        return 1;
    }
    snprintf(req, sizeof req, http ? "GET /%s HTTP/1.0\r\n\r\n" : "GET %s\n",
             argv[2 + http]);
    if (nk_send_all(fd, req, strlen(req), 5000, &err) < 0)
        return 1;
    /* The head: up to its blank line, within the first 64 KiB. */
    for (;;) {
        ssize_t n = nk_recv_some(fd, buf + have, 65536 - have - 1, 5000, &err);
        if (n <= 0) {
            fprintf(stderr, "nk_fs_rawget: no complete head\n");
            return 1;
        }
        have += (size_t)n;
        buf[have] = '\0';
        end = strstr(buf, http ? "\r\n\r\n" : "\n\n");
        if (end != NULL || have >= 65535)
            break;
    }
    if (end == NULL)
        return 1;
    *end = '\0';
    want = head_value(buf, http ? "content-length" : "length");
    got = have - (size_t)(end + (http ? 4 : 2) - buf);
    /* The body: plain blocking receives, as a simple client does. */
    for (;;) {
        ssize_t n = recv(fd, buf, BUF, 0);
        if (n <= 0)
            break;
        got += (uint64_t)n;
    }
    if (want < 0 || got != (uint64_t)want) {
        fprintf(stderr, "nk_fs_rawget: %llu of %lld bytes\n",
                (unsigned long long)got, want);
        return 1;
    }
    printf("%.0f\n", (double)got / 1048576.0 / (now_s() - t0));
    return 0;
}

/* HTTP/1.0 client protocol code, no sockets: the GET request's bytes and an
 * incremental parser for the response head (status line and header
 * fields, RFC 9112 sections 4 and 5; RFC 1945 for HTTP/1.0). */
#ifndef NETKIT_HTTP_H
#define NETKIT_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "netkit/err.h"

/* Bounds on what a reply's head may use: a larger head, or more header
 * fields, is refused as a bogus reply (exit 76). */
#define NK_HTTP_HEAD_MAX 65536
#define NK_HTTP_HEADERS_MAX 100

/* Room for the longest request nk_http_build_get can produce from an
 * nk_url (4096-byte path, 256-byte host). */
#define NK_HTTP_REQUEST_MAX 8192

struct nk_http_header {
    const char *name;  /* as received, NUL-terminated */
    const char *value; /* surrounding whitespace trimmed; an obs-fold
                          continuation is joined with one space */
};

/* One response head. Large (about 130 KiB) and self-referencing: allocate it
 * once, never copy it. Fields are valid once nk_http_head_feed returned 1. */
struct nk_http_head {
    int version_minor;  /* the x of "HTTP/1.x" */
    int status;         /* 100-999 */
    const char *reason; /* reason phrase, possibly "" */
    struct nk_http_header headers[NK_HTTP_HEADERS_MAX];
    int nheaders;
    int64_t content_length; /* -1 when the reply has none */
    size_t raw_len;         /* bytes of the head, blank line included */
    int done;               /* the blank line ending the head was seen */
    /* parser state */
    size_t line_start;          /* offset in raw of the line being received */
    size_t text_len;            /* bytes used in text */
    char raw[NK_HTTP_HEAD_MAX]; /* the head exactly as received */
    char text[NK_HTTP_HEAD_MAX + 8]; /* NUL-terminated reason, names, values */
};

/* Build "GET path HTTP/1.0" with Host (IPv6 in brackets, the port only when
 * it is not 80), User-Agent netkit/VERSION, Accept and Connection: close.
 * host_is_ipv6 may be 0 for a host containing ':' (it is detected). port is
 * 1-65535. Returns the length written to buf (no NUL counted), or -1 with
 * exit code 65 for a path not starting with '/', a byte that cannot appear
 * in a request line or Host field, or a request longer than size. */
int nk_http_build_get(char *buf, size_t size, const char *host,
                      int host_is_ipv6, int port, const char *path,
                      struct nk_err *err);

/* Reset h for a new response. */
void nk_http_head_init(struct nk_http_head *h);

/* Give the parser the next len bytes of the reply. Returns 1 once the head
 * is complete: *used bytes of data belonged to it and the rest is the
 * start of the body; 0 when all of data was consumed and more is needed;
 * -1 with exit code 76 and "bogus reply: ..." for a malformed or oversized
 * head. Garbage is refused as soon as its first bytes cannot start
 * "HTTP/". After 1, further calls return 1 with *used = 0. */
int nk_http_head_feed(struct nk_http_head *h, const void *data, size_t len,
                      size_t *used, struct nk_err *err);

/* The peer closed the connection before the head was complete: fill err
 * (exit 74, what was received so far) and return -1. */
int nk_http_head_eof(const struct nk_http_head *h, struct nk_err *err);

/* Value of the first header field named `name` (case-insensitive), or
 * NULL. */
const char *nk_http_head_get(const struct nk_http_head *h, const char *name);

/* Content-Length, strictly (RFC 9110 8.6): 1*DIGIT, or a comma-separated
 * list of identical such values; no sign, no inner spaces, at most
 * 2^62-1. Returns 0 with *out set, or -1 (exit 76) naming the value. */
int nk_http_parse_content_length(const char *value, int64_t *out,
                                 struct nk_err *err);

#endif

/* The server side of HTTP/1.1 for netkit fileshare serve (docs/fileshare.md,
 * "HTTP"): request heads in, response heads and directory indexes out.
 * Pure code, no sockets, no clocks (times are passed in): the rules are
 * tested and fuzzed without a network. Paths are decoded with the line
 * protocol's nk_fs_decode and then meet the same path rules. */
#ifndef NETKIT_HTTP_SERVER_H
#define NETKIT_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "netkit/fileshare.h"

#define NK_HS_HEAD_MAX 8192   /* a request head, blank line included */
#define NK_HS_TARGET_MAX 4000 /* a request target (414 beyond) */
#define NK_HS_FIELD_MAX 256   /* a kept header value (Range, If-Range) */
#define NK_HS_DATE_LEN 29     /* "Sun, 06 Nov 1994 08:49:37 GMT" */
#define NK_HS_INM_MAX 1024    /* If-None-Match, every line joined (431) */

enum nk_hs_method {
    NK_HS_GET,
    NK_HS_HEAD,
    NK_HS_PUT,
    NK_HS_KNOWN, /* a method HTTP defines that the server refuses: 405 */
    NK_HS_OTHER, /* anything else: 501 */
};

struct nk_hs_request {
    enum nk_hs_method method;
    char method_name[16];
    int minor;                         /* HTTP/1.<minor>: 0 or 1 */
    char target[NK_HS_TARGET_MAX + 1]; /* as received, query stripped */
    char path[NK_FS_PATH_MAX + 1];     /* decoded, leading '/' removed; the
                                        * root is "." */
    size_t path_len;
    int dir_slash;  /* the target ends with '/' */
    int keep_alive; /* the connection may stay open */
    int want_json;  /* Accept names application/json */
    int no_digest;  /* Want-Repr-Digest: sha-256=0 */
    int has_body;   /* Content-Length > 0 or chunked */
    uint64_t content_length;
    int has_length;                     /* Content-Length was given */
    int expect_continue;                /* Expect: 100-continue */
    char digest[NK_HS_FIELD_MAX + 1];   /* PUT: Content-Digest, else
                                         * Repr-Digest; "" when absent */
    char range[NK_HS_FIELD_MAX + 1];    /* "" when absent */
    char if_range[NK_HS_FIELD_MAX + 1]; /* "" when absent */
    /* Conditional GET (RFC 9110 13.1.2, 13.1.3): If-None-Match's lines
     * joined with ", "; If-Modified-Since when it is one valid date. */
    int has_inm;
    char if_none_match[NK_HS_INM_MAX + 1];
    int has_ims; /* 1 valid, 0 absent, -1 ignored (bad or repeated) */
    time_t ims;
};

/* 1 if a request line (without '\n'; a trailing '\r' allowed) ends in
 * " HTTP/1.0" or " HTTP/1.1": the HTTP side answers it. */
int nk_hs_is_http(const char *line, size_t len);

/* 1 if the start of an unfinished request line reads as HTTP's (a
 * method, a space, then '/'): a connection dropped before its line ended
 * is answered in HTTP then. */
int nk_hs_looks_http(const char *buf, size_t len);

/* A complete "Connection: close" answer with a one-line text body, for a
 * connection dropped before its request (503 adds Retry-After: 1): its
 * length, or -1 if it does not fit. */
int nk_hs_build_drop(char *buf, size_t size, int code, const char *why);

/* Where the head in buf[0..len) ends (after its blank line, "\r\n\r\n"
 * or "\n\n"), 0 while incomplete. */
size_t nk_hs_head_end(const char *buf, size_t len);

/* Parse a whole head (request line, header lines, the blank line).
 * Returns 0, or the status to answer (400, 414, 431, 501, 505) with
 * reason (room for NK_FS_REASON_MAX + 1) filled. The path is decoded but
 * not checked: the path rules (nk_fs_resolve) decide. */
int nk_hs_parse_head(const char *buf, size_t len, struct nk_hs_request *r,
                     char *reason);

/* A Range header against a file of size bytes. */
enum nk_hs_range {
    NK_HR_NONE,  /* no usable range (absent, other unit, malformed): 200 */
    NK_HR_ONE,   /* one satisfiable range: 206, [*first, *last] */
    NK_HR_UNSAT, /* no satisfiable range: 416 */
    NK_HR_MANY,  /* several ranges: answered 200 with the whole file */
};
enum nk_hs_range nk_hs_range_resolve(const char *spec, uint64_t size,
                                     uint64_t *first, uint64_t *last);

/* 1 if the If-None-Match value v is "*" or lists an entity-tag that
 * weakly matches etag (RFC 9110 8.8.3.2: a W/ prefix on either side is
 * ignored, the quoted strings compare byte for byte), else 0. Elements
 * after a malformed one are not read. */
int nk_hs_etag_match(const char *v, const char *etag);

/* Conditional GET (RFC 9110 13.2.2 steps 3 and 4): 1 if a GET or HEAD
 * of the representation with etag, last modified at mtime, is answered
 * 304 Not Modified. If-None-Match decides alone when present;
 * If-Modified-Since counts only without it (304 when mtime is not later
 * than its date). 0 for other methods and unconditional requests. */
int nk_hs_not_modified(const struct nk_hs_request *r, const char *etag,
                       time_t mtime);

/* The text of a status ("Not Found"), "Unknown" if none. */
const char *nk_hs_reason(int code);

/* The HTTP status for a line-protocol status (nk_fs_status). */
int nk_hs_from_fs(int fs_code);

/* Standard base64 with padding; returns the length written (NUL added)
 * or -1 if it does not fit. */
int nk_hs_base64(const uint8_t *in, size_t n, char *out, size_t size);

/* --- the client's side of the same headers (fileshare get http://) --- */

/* Content-Range "bytes FIRST-LAST/SIZE" (0, with first, last and size
 * set) or "bytes *" then "/SIZE" (1, size set); -1 if malformed or
 * inconsistent (LAST < FIRST, LAST >= SIZE). */
int nk_hs_parse_content_range(const char *v, uint64_t *first, uint64_t *last,
                              uint64_t *size);

/* The sha-256 member of a Repr-Digest field ("sha-256=:BASE64:", among
 * others, RFC 9530): 1 with sha filled, 0 when there is none, -1 when it
 * is there but malformed (not base64 of 32 bytes). */
int nk_hs_parse_repr_digest(const char *v, uint8_t sha[32]);

/* The next entry link of an HTML directory index (netkit's, nginx's
 * autoindex, python's http.server) in html[*pos..len): an href naming one
 * entry relative to the page ("name" or "name/", "./" allowed first; no
 * scheme, query, fragment, absolute path, "." or ".."). 1 with name
 * (decoded, room for NK_FS_NAME_MAX + 1) and *dir set, 0 at the end;
 * *pos moves past what was read. */
int nk_hs_next_link(const char *html, size_t len, size_t *pos, char *name,
                    int *dir);

/* The Content-Type for a file name (by its extension), never NULL. */
const char *nk_hs_content_type(const char *name);

/* IMF-fixdate (RFC 9110 5.6.7) of t into out (NK_HS_DATE_LEN + 1). */
void nk_hs_date_format(time_t t, char *out);
/* Parse an IMF-fixdate: 0 with *t set, or -1. */
int nk_hs_date_parse(const char *s, size_t len, time_t *t);

/* A response head grows in one of these; overflow is sticky. */
struct nk_hs_buf {
    char *p;
    size_t cap, len;
    int overflow;
};
void nk_hs_buf_init(struct nk_hs_buf *b, char *p, size_t cap);
void nk_hs_addf(struct nk_hs_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Directory index pieces, built into buf (size bytes; NULL/0 to measure
 * only). Each returns the length it needs (not counting the NUL); the
 * text is written only when it fits. dir is the decoded directory path
 * ("." for the root), name a decoded entry name, type "file", "dir",
 * "link" or "other". */
size_t nk_hs_index_head(char *buf, size_t size, int json, const char *dir);
size_t nk_hs_index_entry(char *buf, size_t size, int json, int first,
                         const char *type, uint64_t bytes, const char *name);
size_t nk_hs_index_foot(char *buf, size_t size, int json);

#endif

/* The fileshare protocol (docs/fileshare.md): one request line, a status
 * line with a numeric code, "key: value" headers, a blank line, then the
 * bytes. Pure code: parsing and building lines, percent-encoding paths,
 * and resolving a path beneath a root through caller-supplied lookups, so
 * the rules that keep a client inside the share are tested and fuzzed
 * without a file system. */
#ifndef NETKIT_FILESHARE_H
#define NETKIT_FILESHARE_H

#include <stddef.h>
#include <stdint.h>

#include "netkit/sha256.h"

#define NK_FS_LINE_MAX 4096  /* a request line, '\n' included */
#define NK_FS_HEAD_MAX 8192  /* a whole response head */
#define NK_FS_PATH_MAX 1024  /* a decoded path */
#define NK_FS_NAME_MAX 255   /* one component */
#define NK_FS_DEPTH_MAX 64   /* directories deep */
#define NK_FS_LINKS_MAX 40   /* symbolic links followed in one lookup */
#define NK_FS_REASON_MAX 200 /* a status line's text */

/* Names that start with this are the server's uploads in progress: the
 * path rules refuse them (403) and LIST does not show them. */
#define NK_FS_RESERVED_PREFIX ".nkput-"

/* Status codes, numbered after HTTP's where one fits. */
enum nk_fs_status {
    NK_FS_CONTINUE = 100,    /* PUT: send the bytes now */
    NK_FS_OK = 200,          /* GET, LIST */
    NK_FS_CREATED = 201,     /* PUT stored */
    NK_FS_BAD_REQUEST = 400, /* malformed line, bad encoding, control byte */
    NK_FS_FORBIDDEN = 403,   /* outside the root, special file, read-only */
    NK_FS_NOT_FOUND = 404,
    NK_FS_TIMEOUT = 408,  /* the request did not arrive in time */
    NK_FS_CONFLICT = 409, /* PUT: exists; GET: a directory */
    NK_FS_TOO_LONG = 414, /* request line over NK_FS_LINE_MAX */
    NK_FS_RANGE = 416,    /* offset beyond the end of the file */
    NK_FS_MISMATCH = 422, /* PUT: size or checksum differs */
    NK_FS_INTERNAL = 500, /* the server failed (I/O) */
    NK_FS_UNKNOWN_VERB = 501,
    NK_FS_BUSY = 503,     /* --max-clients reached */
    NK_FS_NO_SPACE = 507, /* PUT: the server's disk is full */
};

/* The default text for a status ("not found"); "error" if unknown. */
const char *nk_fs_status_text(int code);

enum nk_fs_verb { NK_FS_GET, NK_FS_LIST, NK_FS_PUT };

struct nk_fs_request {
    enum nk_fs_verb verb;
    char path[NK_FS_PATH_MAX + 1]; /* decoded; may hold bytes the path
                                    * rules refuse (checked later) */
    size_t path_len;
    uint64_t offset;            /* GET: first byte wanted */
    uint64_t size;              /* PUT: bytes that follow */
    uint8_t sha[NK_SHA256_LEN]; /* PUT: their digest */
};

/* Parse a request line (without its '\n'; one trailing '\r' is allowed):
 *   GET <path> [<offset>] | LIST [<path>] | PUT <path> <size> <sha256>
 * Tokens separated by single spaces; numbers decimal, at most 2^63-1.
 * Returns 0, or a status code (400, 414, 501) with reason filled (at least
 * NK_FS_REASON_MAX + 1 bytes). */
int nk_fs_parse_request(const char *line, size_t len, struct nk_fs_request *r,
                        char *reason);

/* Percent-encode path bytes: everything but A-Z a-z 0-9 - . _ ~ / becomes
 * %XX. Returns the length written (NUL-terminated), or -1 if it does not
 * fit in size. */
int nk_fs_encode(const char *s, size_t len, char *out, size_t size);

/* Decode %XX escapes from s[0..len) into out (room for size bytes, NUL
 * added). Raw bytes outside 0x21..0x7e and bad escapes are refused.
 * Returns the decoded length (it may contain NUL bytes) or -1. */
int nk_fs_decode(const char *s, size_t len, char *out, size_t size);

/* Build a request line (with '\n') into buf. Returns its length, or -1 if
 * it would exceed NK_FS_LINE_MAX or size. offset is sent when non-zero. */
int nk_fs_build_get(char *buf, size_t size, const char *path, uint64_t offset);
int nk_fs_build_list(char *buf, size_t size, const char *path);
int nk_fs_build_put(char *buf, size_t size, const char *path, uint64_t len,
                    const uint8_t sha[NK_SHA256_LEN]);

/* The length of a response head in buf[0..len), its blank line included
 * ("\n\n" or "\r\n\r\n", as another implementation may send): where the
 * body starts. 0 while the head is incomplete. */
size_t nk_fs_head_end(const char *buf, size_t len);

/* A status line "<code> <text>" (no '\n'; a trailing '\r' is dropped): 0
 * with *code and text (room for NK_FS_REASON_MAX + 1) filled, or -1 if
 * malformed. */
int nk_fs_parse_status(const char *line, size_t len, int *code, char *text);

/* A header line "key: value" (no '\n'; a trailing '\r' is dropped): 0
 * with key copied (room for 32) and *val pointing into line, or -1. Keys
 * are lowercase a-z, 0-9, '_'. */
int nk_fs_parse_header(const char *line, size_t len, char key[32],
                       const char **val, size_t *val_len);

/* A decimal number for a header value: 0 or -1 (not digits, > 2^63-1). */
int nk_fs_parse_u64(const char *s, size_t len, uint64_t *out);

/* What a client knows of a response. nk_fs_parse_head fills it from a
 * line-protocol head; the HTTP client fills the same fields from HTTP's
 * (until_close only there: the body ends at end of stream). */
struct nk_fs_head {
    int code;
    char text[NK_FS_REASON_MAX + 1];
    uint64_t size, offset, length, entries;
    int have_length, have_sha, truncated;
    int until_close;
    uint8_t sha[NK_SHA256_LEN];
};

/* Parse a whole response head buf[0..len), len as nk_fs_head_end gave it
 * (status line, header lines, the blank line). 0 with h filled (unknown
 * keys skipped), or -1 with *why ("bad status line", "bad size", ...) and
 * h partly filled. */
int nk_fs_parse_head(const char *buf, size_t len, struct nk_fs_head *h,
                     const char **why);

/* LIST body lines: "<type> <size> <encoded name>". Types: file, dir,
 * link, other. Build returns the length written (with '\n') or -1. */
int nk_fs_build_entry(char *buf, size_t size, const char *type, uint64_t bytes,
                      const char *name);
/* Parse one (no '\n'): 0 with type (room for 8), *bytes and name (room
 * for NK_FS_NAME_MAX + 1, decoded) filled, or -1. */
int nk_fs_parse_entry(const char *line, size_t len, char type[8],
                      uint64_t *bytes, char *name);

/* --- path rules -------------------------------------------------------- */

/* Why a path was refused; each maps to a status and a reason text. */
enum nk_fs_path_err {
    NK_FSP_OK = 0,
    NK_FSP_EMPTY,    /* no bytes at all */
    NK_FSP_ABSOLUTE, /* starts with '/' */
    NK_FSP_DOTDOT,   /* a ".." component */
    NK_FSP_CONTROL,  /* NUL or another control byte (0x00-0x1f, 0x7f) */
    NK_FSP_TOO_LONG, /* path or component too long */
    NK_FSP_TOO_DEEP, /* more than NK_FS_DEPTH_MAX directories */
    NK_FSP_LINK_OUT, /* a symbolic link leads out of the root */
    NK_FSP_LOOP,     /* more than NK_FS_LINKS_MAX links */
    NK_FSP_SPECIAL,  /* a device, FIFO or socket */
    NK_FSP_NOT_FOUND,
    NK_FSP_NOT_DIR,  /* a file used as a directory */
    NK_FSP_IO,       /* the lookup failed (errno in the ops' context) */
    NK_FSP_RESERVED, /* a name with NK_FS_RESERVED_PREFIX */
};

/* The status code and reason text for a refusal. */
int nk_fs_path_status(enum nk_fs_path_err e);
const char *nk_fs_path_reason(enum nk_fs_path_err e);

/* 1 if a name (one component) is reserved for the server's own use. */
int nk_fs_name_reserved(const char *name);

/* The syntax rules a client's path must meet before any lookup: not empty,
 * not absolute, no ".." component, no control byte, no reserved name,
 * bounded length. Empty components and "." are allowed (and skipped). */
enum nk_fs_path_err nk_fs_path_check(const char *path, size_t len);

/* What one lookup step found. */
enum nk_fs_kind {
    NK_FSK_DIR,     /* a directory: the ops entered it */
    NK_FSK_FILE,    /* a regular file: the ops hold it open */
    NK_FSK_LINK,    /* a symbolic link: target filled */
    NK_FSK_SPECIAL, /* device, FIFO, socket */
    NK_FSK_MISSING,
    NK_FSK_ERROR,
};

/* The file system as the resolver sees it. step looks up name in the
 * current directory without following links: for a directory it makes
 * that the current one (a stack), for a link it copies the target into
 * target (room for NK_FS_PATH_MAX + 1). up leaves the current directory;
 * the resolver never calls it at the root. */
struct nk_fs_ops {
    enum nk_fs_kind (*step)(void *ctx, const char *name, char *target);
    void (*up)(void *ctx);
};

/* Resolve path (already through nk_fs_path_check) beneath the root the
 * ops start in, following links only while they stay beneath it.
 * want_last 0: the whole path; 1: stop before the last component and copy
 * it into last (room for NK_FS_NAME_MAX + 1): PUT's parent and name.
 * A component followed by '/' must be a directory, as in POSIX path
 * resolution: "file/" is NK_FSP_NOT_DIR (ENOTDIR), links included.
 * Returns NK_FSP_OK with *kind the final kind (DIR or FILE), or why not.
 * *depth (may be NULL) gets the directories entered below the root. */
enum nk_fs_path_err nk_fs_resolve(const char *path, size_t len,
                                  const struct nk_fs_ops *ops, void *ctx,
                                  int want_last, char *last,
                                  enum nk_fs_kind *kind, int *depth);

#endif

/* The services database: the /etc/services format read by our own parser
 * (so a test can point it at any file, which the NSS-backed
 * getservbyport/getservbyname cannot do), a compact built-in table of
 * well-known ports used when the file is missing or lacks an entry, and
 * the URL scheme -> service mapping. Every answer names its source. */
#ifndef NETKIT_SERVICES_H
#define NETKIT_SERVICES_H

#include <stddef.h>
#include <stdint.h>

#include "netkit/err.h"

/* The default file, as in glibc. */
#define NK_SERVICES_PATH "/etc/services"
/* Longest line the parser takes (longer lines are malformed, skipped). */
#define NK_SERVICES_LINE_MAX 1024
/* Most aliases on one line. */
#define NK_SERVICES_MAX_ALIASES 32
/* Longest name, alias or item the lookups accept. */
#define NK_SERVICES_NAME_MAX 255

/* One entry: "name port/proto alias...". The strings belong to whoever
 * filled it (the line buffer, the database or the built-in table). */
struct nk_servent {
    const char *name;
    const char *proto; /* as written: "tcp", "udp", "sctp", "ddp" ... */
    uint16_t port;
    size_t n_aliases;
    const char *const *aliases;
};

/* How the file part of a database came out. */
enum nk_services_status {
    NK_SERVICES_READ,       /* the file was read */
    NK_SERVICES_MISSING,    /* no such file: built-in table only */
    NK_SERVICES_DISABLED,   /* path "none" or NULL: built-in table only */
    NK_SERVICES_UNREADABLE, /* open or read failed: built-in table only */
};

struct nk_services_ent; /* a parsed file line (private) */

struct nk_services {
    char path[4096];   /* the file asked for, "" when disabled */
    char source[4200]; /* "file PATH", the source named in answers */
    int status;        /* enum nk_services_status */
    struct nk_services_ent *ents;
    size_t n, cap;
    size_t skipped;             /* malformed lines ignored */
    long first_bad_line;        /* line number of the first, 0 if none */
    char first_bad[NK_ERR_MSG]; /* why it was malformed */
};

/* Parse one line of the services format in place (tokens are cut with
 * NULs): "name port/proto [alias...] [# comment]". aliases[cap] receives
 * alias pointers. Returns 1 and fills *e, 0 for a blank or comment-only
 * line, -1 for a malformed one (err set, exit code 65). */
int nk_services_parse_line(char *line, struct nk_servent *e,
                           const char **aliases, size_t cap,
                           struct nk_err *err);

/* Load the file at path into db (NULL or "none": the built-in table only).
 * A missing file is not an error (status MISSING). Malformed lines are
 * skipped and counted. Returns 0, or -1 when the file exists but cannot
 * be read (status UNREADABLE, err set); db is usable either way and must
 * be released with nk_services_close. */
int nk_services_open(struct nk_services *db, const char *path,
                     struct nk_err *err);
/* Free what nk_services_open allocated. */
void nk_services_close(struct nk_services *db);

/* The status as a word: "read", "missing", "disabled", "unreadable". */
const char *nk_services_status_name(int status);

/* The first entry for port/proto: the file first, then the built-in
 * table. proto compares ignoring ASCII case. Returns 1 with *e and
 * *source ("file PATH" or "built-in", owned by db or static), 0 when
 * neither knows it. */
int nk_services_by_port(const struct nk_services *db, uint16_t port,
                        const char *proto, struct nk_servent *e,
                        const char **source);

/* The first entry whose name or an alias equals name (ASCII case
 * ignored) for proto: the file first, then the built-in table.
 * Returns 1 with *e and *source, 0 when not found. */
int nk_services_by_name(const struct nk_services *db, const char *name,
                        const char *proto, struct nk_servent *e,
                        const char **source);

/* The service a URL scheme means: the scheme itself when the database
 * knows it, else the usual name for it ("ws" -> "http", "sftp" -> "ssh").
 * Returns 1 with *e and *source, 0 when the scheme is unknown. */
int nk_services_by_scheme(const struct nk_services *db, const char *scheme,
                          const char *proto, struct nk_servent *e,
                          const char **source);

/* The service name usually meant by a URL scheme that is not itself a
 * service name ("wss" -> "https"), or NULL. */
const char *nk_services_scheme_alias(const char *scheme);

/* The built-in table (well-known ports, as Debian's netbase lists them);
 * *n receives its length. */
const struct nk_servent *nk_services_builtin(size_t *n);

/* True when s is acceptable as a service name to look up: 1 to
 * NK_SERVICES_NAME_MAX printable ASCII bytes, no space, '#' or ':'. */
int nk_services_name_ok(const char *s);

#endif

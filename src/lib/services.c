/* The services database. We read /etc/services ourselves instead of
 * calling getservbyport/getservbyname: those go through NSS, which cannot
 * be pointed at a test file, and they say nothing about where an answer
 * came from. The format is the one services(5) describes:
 *
 *     name  port/protocol  [alias ...]  [# comment]
 *
 * fields separated by blanks, '#' starting a comment anywhere. */
#include "netkit/services.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "netkit/exitcodes.h"

struct nk_services_ent {
    struct nk_servent e;
    void *block; /* one allocation: alias pointers, then the strings */
};

/* Aliases as a compound literal with its count, for the table below. */
#define AL(...)                                                               \
    sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *),        \
        (const char *const[])                                                 \
    {                                                                         \
        __VA_ARGS__                                                           \
    }

/* A row without aliases; a service on both tcp and udp, as netbase
 * lists it: two rows. */
#define TCP(name, port)                                                       \
    {                                                                         \
        name, "tcp", port, 0, NULL                                            \
    }
#define UDP(name, port)                                                       \
    {                                                                         \
        name, "udp", port, 0, NULL                                            \
    }
#define BOTH(name, port, ...)                                                 \
    {name, "tcp", port, __VA_ARGS__},                                         \
    {                                                                         \
        name, "udp", port, __VA_ARGS__                                        \
    }

/* Well-known ports exactly as Debian's netbase lists them (name, protocol
 * and aliases), so falling back to this table never contradicts the file
 * a Debian system would have had: no "80/udp", because netbase has none. */
static const struct nk_servent builtin[] = {
    BOTH("echo", 7, 0, NULL),
    BOTH("discard", 9, AL("sink", "null")),
    BOTH("daytime", 13, 0, NULL),
    {"qotd", "tcp", 17, AL("quote")},
    BOTH("chargen", 19, AL("ttytst", "source")),
    TCP("ftp-data", 20),
    TCP("ftp", 21),
    TCP("ssh", 22),
    TCP("telnet", 23),
    {"smtp", "tcp", 25, AL("mail")},
    BOTH("time", 37, AL("timserver")),
    {"whois", "tcp", 43, AL("nicname")},
    BOTH("domain", 53, 0, NULL),
    UDP("bootps", 67),
    UDP("bootpc", 68),
    UDP("tftp", 69),
    TCP("gopher", 70),
    TCP("finger", 79),
    {"http", "tcp", 80, AL("www")},
    BOTH("kerberos", 88, AL("kerberos5", "krb5", "kerberos-sec")),
    {"pop3", "tcp", 110, AL("pop-3")},
    BOTH("sunrpc", 111, AL("portmapper")),
    {"auth", "tcp", 113, AL("authentication", "tap", "ident")},
    {"nntp", "tcp", 119, AL("readnews", "untp")},
    UDP("ntp", 123),
    UDP("netbios-ns", 137),
    UDP("netbios-dgm", 138),
    TCP("netbios-ssn", 139),
    {"imap2", "tcp", 143, AL("imap")},
    BOTH("snmp", 161, 0, NULL),
    BOTH("snmp-trap", 162, AL("snmptrap")),
    TCP("bgp", 179),
    BOTH("ldap", 389, 0, NULL),
    BOTH("https", 443, 0, NULL),
    TCP("microsoft-ds", 445),
    {"submissions", "tcp", 465, AL("ssmtp", "smtps", "urd")},
    UDP("syslog", 514),
    {"printer", "tcp", 515, AL("spooler")},
    TCP("submission", 587),
    TCP("ipp", 631),
    BOTH("ldaps", 636, 0, NULL),
    BOTH("domain-s", 853, 0, NULL),
    TCP("rsync", 873),
    TCP("ftps", 990),
    TCP("imaps", 993),
    TCP("pop3s", 995),
    TCP("socks", 1080),
    BOTH("openvpn", 1194, 0, NULL),
    BOTH("nfs", 2049, 0, NULL),
    TCP("mysql", 3306),
    TCP("ms-wbt-server", 3389),
    BOTH("sip", 5060, 0, NULL),
    UDP("mdns", 5353),
    {"postgresql", "tcp", 5432, AL("postgres")},
    {"x11", "tcp", 6000, AL("x11-0")},
    TCP("redis", 6379),
    TCP("ircd", 6667),
    {"http-alt", "tcp", 8080, AL("webcache")},
    TCP("git", 9418),
};

/* URL schemes whose usual service has another name in the registry. */
static const struct {
    const char *scheme, *service;
} scheme_aliases[] = {
    {"irc", "ircd"}, {"news", "nntp"}, {"pop", "pop3"},
    {"scp", "ssh"},  {"sftp", "ssh"},  {"snews", "nntps"},
    {"ws", "http"},  {"wss", "https"}, {"xmpp", "xmpp-client"},
};

const struct nk_servent *
nk_services_builtin(size_t *n)
{
    *n = sizeof builtin / sizeof builtin[0];
    return builtin;
}

const char *
nk_services_scheme_alias(const char *scheme)
{
    for (size_t i = 0; i < sizeof scheme_aliases / sizeof scheme_aliases[0];
         i++)
        if (strcasecmp(scheme, scheme_aliases[i].scheme) == 0)
            return scheme_aliases[i].service;
    return NULL;
}

const char *
nk_services_status_name(int status)
{
    switch (status) {
    case NK_SERVICES_READ:
        return "read";
    case NK_SERVICES_MISSING:
        return "missing";
    case NK_SERVICES_DISABLED:
        return "disabled";
    default:
        return "unreadable";
    }
}

int
nk_services_name_ok(const char *s)
{
    size_t n = 0;

    for (; s[n] != '\0'; n++) {
        unsigned char c = (unsigned char)s[n];
        if (c <= 0x20 || c >= 0x7f || c == '#' || c == ':')
            return 0;
    }
    return n > 0 && n <= NK_SERVICES_NAME_MAX;
}

/* ---- parsing ---- */

static int
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
           c == '\f';
}

/* The next blank-separated token of *p, NUL-terminated in place. */
static char *
next_token(char **p)
{
    char *s = *p, *t;

    while (is_blank(*s))
        s++;
    if (*s == '\0')
        return NULL;
    t = s;
    while (*s != '\0' && !is_blank(*s))
        s++;
    if (*s != '\0')
        *s++ = '\0';
    *p = s;
    return t;
}

/* Only printable ASCII and blanks outside comments: names end up on a
 * terminal and in JSON, and a stray byte means a corrupt file. */
static int
has_bad_byte(const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && !is_blank(*s)) || c >= 0x7f)
            return 1;
    }
    return 0;
}

/* "80/tcp": 1-5 decimal digits, at most 65535, a non-empty protocol. */
static int
parse_port_proto(char *tok, struct nk_servent *e, struct nk_err *err)
{
    char *slash = strchr(tok, '/');
    unsigned long v = 0;
    size_t nd;

    nd = slash ? (size_t)(slash - tok) : 0;
    if (slash == NULL || nd == 0 || nd > 5 || slash[1] == '\0' ||
        strchr(slash + 1, '/') != NULL)
        return nk_err_set(err, NK_EX_DATAERR, "'%.64s' is not port/protocol",
                          tok);
    for (size_t i = 0; i < nd; i++) {
        if (tok[i] < '0' || tok[i] > '9')
            return nk_err_set(err, NK_EX_DATAERR,
                              "'%.64s' is not port/protocol", tok);
        v = v * 10 + (unsigned long)(tok[i] - '0');
    }
    if (v > 65535)
        return nk_err_set(err, NK_EX_DATAERR,
                          "port %lu out of range (0-65535)", v);
    e->port = (uint16_t)v;
    e->proto = slash + 1;
    return 0;
}

int
nk_services_parse_line(char *line, struct nk_servent *e, const char **aliases,
                       size_t cap, struct nk_err *err)
{
    char *hash = strchr(line, '#'), *p = line, *tok;

    memset(e, 0, sizeof *e);
    if (hash != NULL)
        *hash = '\0';
    if (has_bad_byte(line))
        return nk_err_set(err, NK_EX_DATAERR,
                          "control or non-ASCII byte outside a comment");
    e->name = next_token(&p);
    if (e->name == NULL)
        return 0;
    tok = next_token(&p);
    if (tok == NULL)
        return nk_err_set(err, NK_EX_DATAERR, "no port/protocol after '%.64s'",
                          e->name);
    if (parse_port_proto(tok, e, err) < 0)
        return -1;
    while ((tok = next_token(&p)) != NULL) {
        if (e->n_aliases == cap)
            return nk_err_set(err, NK_EX_DATAERR, "more than %zu aliases",
                              cap);
        aliases[e->n_aliases++] = tok;
    }
    e->aliases = e->n_aliases > 0 ? aliases : NULL;
    return 1;
}

/* ---- loading ---- */

/* Copy an entry into one allocation owned by the database. */
static int
add_entry(struct nk_services *db, const struct nk_servent *e)
{
    size_t len = strlen(e->name) + strlen(e->proto) + 2, off;
    struct nk_services_ent *ent;
    const char **al;
    char *s;

    for (size_t i = 0; i < e->n_aliases; i++)
        len += strlen(e->aliases[i]) + 1;
    if (db->n == db->cap) {
        size_t ncap = db->cap ? db->cap * 2 : 256;
        void *p = realloc(db->ents, ncap * sizeof *db->ents);
        if (p == NULL)
            return -1;
        db->ents = p;
        db->cap = ncap;
    }
    off = e->n_aliases * sizeof(char *);
    ent = &db->ents[db->n];
    ent->block = malloc(off + len);
    if (ent->block == NULL)
        return -1;
    al = ent->block;
    s = (char *)ent->block + off;
    ent->e = *e;
    ent->e.name = strcpy(s, e->name);
    s += strlen(s) + 1;
    ent->e.proto = strcpy(s, e->proto);
    s += strlen(s) + 1;
    for (size_t i = 0; i < e->n_aliases; i++) {
        al[i] = strcpy(s, e->aliases[i]);
        s += strlen(s) + 1;
    }
    ent->e.aliases = e->n_aliases ? al : NULL;
    db->n++;
    return 0;
}

static void
note_bad(struct nk_services *db, long lineno, const char *why)
{
    if (db->skipped++ == 0) {
        db->first_bad_line = lineno;
        snprintf(db->first_bad, sizeof db->first_bad, "%s", why);
    }
}

/* One line into buf (without its '\n'). Returns its length, or -1 at end
 * of file. A line longer than cap-1 bytes is consumed whole and flagged,
 * as is a NUL byte (which fgets would silently cut the line at). */
static long
read_line(FILE *fp, char *buf, size_t cap, int *bad)
{
    size_t n = 0;
    int c, any = 0;

    *bad = 0;
    while ((c = getc(fp)) != EOF) {
        any = 1;
        if (c == '\n')
            break;
        if (c == '\0')
            *bad = 2;
        else if (n + 1 < cap)
            buf[n++] = (char)c;
        else if (*bad == 0)
            *bad = 1;
    }
    buf[n] = '\0';
    return any ? (long)n : -1;
}

static void
drop_entries(struct nk_services *db)
{
    for (size_t i = 0; i < db->n; i++)
        free(db->ents[i].block);
    free(db->ents);
    db->ents = NULL;
    db->n = db->cap = 0;
}

/* Parse every line of fp; returns 0, or -1 when memory ran out. */
static int
load_lines(struct nk_services *db, FILE *fp)
{
    char buf[NK_SERVICES_LINE_MAX + 1];
    const char *aliases[NK_SERVICES_MAX_ALIASES];
    struct nk_servent e;
    struct nk_err perr;
    long lineno = 0;
    int bad, rc;

    while (read_line(fp, buf, sizeof buf, &bad) >= 0) {
        lineno++;
        if (bad) {
            note_bad(db, lineno,
                     bad == 1 ? "line too long" : "NUL byte in line");
            continue;
        }
        rc = nk_services_parse_line(buf, &e, aliases, NK_SERVICES_MAX_ALIASES,
                                    &perr);
        if (rc < 0)
            note_bad(db, lineno, perr.msg);
        else if (rc > 0 && add_entry(db, &e) < 0)
            return -1;
    }
    return 0;
}

int
nk_services_open(struct nk_services *db, const char *path, struct nk_err *err)
{
    FILE *fp;
    int rc;

    memset(db, 0, sizeof *db);
    nk_err_clear(err);
    if (path == NULL || strcmp(path, "none") == 0) {
        db->status = NK_SERVICES_DISABLED;
        return 0;
    }
    snprintf(db->path, sizeof db->path, "%s", path);
    snprintf(db->source, sizeof db->source, "file %s", db->path);
    fp = fopen(path, "re");
    if (fp == NULL) {
        int e = errno;
        /* Missing is an expected state (containers, minimal images): the
         * built-in table answers. Anything else is worth a warning. */
        if (e == ENOENT || e == ENOTDIR) {
            db->status = NK_SERVICES_MISSING;
            return 0;
        }
        db->status = NK_SERVICES_UNREADABLE;
        return nk_err_sys(err, e, "open %s", path);
    }
    errno = 0;
    rc = load_lines(db, fp);
    if (rc < 0 || ferror(fp)) {
        int e = rc < 0 ? ENOMEM : errno ? errno : EIO;
        fclose(fp);
        drop_entries(db);
        db->status = NK_SERVICES_UNREADABLE;
        return nk_err_sys(err, e, "read %s", path);
    }
    fclose(fp);
    db->status = NK_SERVICES_READ;
    return 0;
}

void
nk_services_close(struct nk_services *db)
{
    drop_entries(db);
}

/* ---- lookups ---- */

struct key {
    const char *name; /* NULL: match on port */
    uint16_t port;
    const char *proto;
};

static int
matches(const struct nk_servent *e, const struct key *k)
{
    if (strcasecmp(e->proto, k->proto) != 0)
        return 0;
    if (k->name == NULL)
        return e->port == k->port;
    if (strcasecmp(e->name, k->name) == 0)
        return 1;
    for (size_t i = 0; i < e->n_aliases; i++)
        if (strcasecmp(e->aliases[i], k->name) == 0)
            return 1;
    return 0;
}

/* The file's first match, as getservent order would give, else the
 * built-in table's. */
static int
search(const struct nk_services *db, const struct key *k, struct nk_servent *e,
       const char **source)
{
    for (size_t i = 0; i < db->n; i++) {
        if (matches(&db->ents[i].e, k)) {
            *e = db->ents[i].e;
            *source = db->source;
            return 1;
        }
    }
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++) {
        if (matches(&builtin[i], k)) {
            *e = builtin[i];
            *source = "built-in";
            return 1;
        }
    }
    return 0;
}

int
nk_services_by_port(const struct nk_services *db, uint16_t port,
                    const char *proto, struct nk_servent *e,
                    const char **source)
{
    struct key k = {NULL, port, proto};

    return search(db, &k, e, source);
}

int
nk_services_by_name(const struct nk_services *db, const char *name,
                    const char *proto, struct nk_servent *e,
                    const char **source)
{
    struct key k = {name, 0, proto};

    return search(db, &k, e, source);
}

int
nk_services_by_scheme(const struct nk_services *db, const char *scheme,
                      const char *proto, struct nk_servent *e,
                      const char **source)
{
    const char *alias;

    /* RFC 3986 3.1: schemes compare ignoring case, and so do our names. */
    if (nk_services_by_name(db, scheme, proto, e, source))
        return 1;
    alias = nk_services_scheme_alias(scheme);
    return alias != NULL && nk_services_by_name(db, alias, proto, e, source);
}

/* netkit service: the getservbyport/getservbyname lesson as a tool. A port
 * gives its service name and aliases, a name gives its port, a URL gives
 * its scheme's port; each answer says whether the services file or the
 * built-in table gave it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "netkit/err.h"
#include "netkit/exitcodes.h"
#include "netkit/out.h"
#include "netkit/parse.h"
#include "netkit/services.h"
#include "netkit/url.h"

struct sv_opts {
    const char *proto; /* NULL: tcp and udp */
    const char *file;
    int file_given;
    int lesson;
};

static int parse_proto(const struct nk_ctx *ctx, const struct nk_optdef *def,
                       const char *s, void *values);
static int parse_file(const struct nk_ctx *ctx, const struct nk_optdef *def,
                      const char *s, void *values);

static const struct nk_optdef sv_optdefs[] = {
    NK_OPT_FN('P', "proto", "PROTO",
              "tcp or udp only (default: both; a URL\n"
              "tries tcp, then udp)",
              parse_proto),
    NK_OPT_FN('f', "services-file", "FILE",
              "read FILE instead of " NK_SERVICES_PATH "\n"
              "(\"none\": the built-in table only)",
              parse_file),
    NK_OPT('l', "lesson", NK_OPT_FLAG, struct sv_opts, lesson, 0, 0, NULL,
           "print the classic recipes' lines (ports\n"
           "80 and 25, then seven URLs, when no ITEM\n"
           "is given)"),
    NK_OPT_JSON_DEF("one JSON document"),
    NK_OPT_HELP_DEF,
    NK_OPT_END,
};

const struct nk_optspec cmd_service_spec = {
    "usage: netkit service [-P tcp|udp] [-f FILE|none] [--lesson] [--json]\n"
    "                      ITEM...\n"
    "\n"
    "Look up each ITEM in the services database:\n"
    "  a port (0-65535)       its service name and aliases, tcp and udp\n"
    "  a service name         its port (name or alias, case ignored)\n"
    "  a URL (scheme://host)  its scheme's port, or the port the URL gives\n"
    "The file (default " NK_SERVICES_PATH ") is read first; a built-in\n"
    "table of well-known ports answers when the file is missing or lacks\n"
    "the entry. Every answer names its source: \"file PATH\" or "
    "\"built-in\".\n"
    "\n",
    sv_optdefs,
    "exit: 0 all found, 1 some item unknown (or only unknown items),\n"
    "      65 every item malformed (port 70000, bad URL), 64 usage\n"
    "\n"
    "examples:\n"
    "  netkit service 80 25\n"
    "  netkit service --proto udp 53\n"
    "  netkit service https://www.python.org/ gopher://gopher.example/\n"
    "  netkit service --services-file none smtp\n"
    "  netkit service --lesson\n",
    1, NULL};

enum sv_kind { SV_PORT, SV_NAME, SV_URL };

static const char *const kind_names[] = {"port", "name", "url"};

/* One classified item. */
struct sv_item {
    const char *text;
    int kind;
    uint16_t port;
    struct nk_url url;
};

struct sv_run {
    struct nk_out o;
    const struct nk_ctx *ctx;
    const struct sv_opts *opt;
    struct nk_services db;
    const char *protos[2];
    int n_protos;
};

/* Port: decimal digits only ("0x50" is not a port, it is a name that will
 * not be found). A sign in front of digits is a malformed port, not a
 * name. Anything with ':' that is not scheme://host is a broken URL. */
static int
classify(const char *s, struct sv_item *it, struct nk_err *err)
{
    size_t nd = strspn(s, "0123456789");

    memset(it, 0, sizeof *it);
    it->text = s;
    if (nk_url_like(s)) {
        it->kind = SV_URL;
        return nk_url_parse(s, &it->url, err);
    }
    if (nd > 0 && s[nd] == '\0') {
        it->kind = SV_PORT;
        return nk_parse_port(s, &it->port, err);
    }
    if ((s[0] == '-' || s[0] == '+') && s[1] >= '0' && s[1] <= '9')
        return nk_err_set(err, NK_EX_DATAERR,
                          "'%s' is not a port number (0-65535)", s);
    if (strchr(s, ':') != NULL) {
        /* nk_url_parse says what is wrong ("expected scheme://host") */
        if (nk_url_parse(s, &it->url, err) < 0)
            return -1;
        return nk_err_set(err, NK_EX_DATAERR, "'%s' is not a URL", s);
    }
    if (!nk_services_name_ok(s))
        return nk_err_set(err, NK_EX_DATAERR,
                          "'%s' is not a port, a service name or a URL", s);
    it->kind = SV_NAME;
    return 0;
}

/* Where a failed lookup looked, for the error line. */
static const char *
looked_in(const struct nk_services *db, char *buf, size_t len)
{
    if (db->status == NK_SERVICES_READ)
        snprintf(buf, len, "%s or the built-in table", db->path);
    else
        snprintf(buf, len, "the built-in table");
    return buf;
}

static const char *
proto_words(const struct sv_run *r)
{
    return r->n_protos == 2 ? "tcp or udp" : r->protos[0];
}

static void
emit_names(struct nk_out *o, const struct nk_servent *e)
{
    if (e == NULL) {
        nk_out_null(o, "name");
        nk_out_arr(o, "aliases");
        nk_out_close(o);
        return;
    }
    nk_out_str(o, "name", e->name);
    nk_out_arr(o, "aliases");
    for (size_t i = 0; i < e->n_aliases; i++)
        nk_out_str(o, NULL, e->aliases[i]);
    nk_out_close(o);
}

/* A port or name answer: item, kind, proto, port, name, aliases, source. */
static void
emit_entry(struct sv_run *r, const struct sv_item *it,
           const struct nk_servent *e, const char *source)
{
    nk_out_obj(&r->o, NULL);
    nk_out_str(&r->o, "item", it->text);
    nk_out_str(&r->o, "kind", kind_names[it->kind]);
    nk_out_str(&r->o, "proto", e->proto);
    nk_out_uint(&r->o, "port", e->port);
    emit_names(&r->o, e);
    nk_out_str(&r->o, "source", source);
    nk_out_close(&r->o);
}

static int
emit_error(struct sv_run *r, const char *item, const struct nk_err *err)
{
    nk_diag(r->ctx->cmd->name, "%s", err->msg);
    if (!r->opt->lesson) {
        nk_out_obj(&r->o, NULL);
        nk_out_str(&r->o, "item", item);
        nk_out_str(&r->o, "error", err->msg);
        nk_out_close(&r->o);
    }
    return err->exit_code;
}

/* Unknown items exit 1 (the rule), even alone: the input was
 * fine, the database just has no such entry. */
static int
not_found(struct sv_run *r, const struct sv_item *it, const char *what)
{
    struct nk_err err;
    char where[4200];

    nk_err_set(&err, NK_EX_PARTIAL, "'%s': %s in %s", it->text, what,
               looked_in(&r->db, where, sizeof where));
    return emit_error(r, it->text, &err);
}

/* A port number or a service name, in each protocol asked. */
static int
do_lookup(struct sv_run *r, const struct sv_item *it)
{
    int by_port = it->kind == SV_PORT;
    struct nk_servent e;
    const char *src;
    char what[64];
    int found = 0;

    for (int i = 0; i < r->n_protos; i++) {
        if (!(by_port ? nk_services_by_port(&r->db, it->port, r->protos[i], &e,
                                            &src)
                      : nk_services_by_name(&r->db, it->text, r->protos[i], &e,
                                            &src)))
            continue;
        found++;
        /* the recipe asks for one protocol: the first that answers */
        if (r->opt->lesson && by_port)
            nk_out_line(&r->o, "Port: %u => service name: %s", it->port,
                        e.name);
        else if (r->opt->lesson)
            nk_out_line(&r->o, "%s %u", it->text, e.port);
        if (r->opt->lesson)
            return 0;
        emit_entry(r, it, &e, src);
    }
    if (found)
        return 0;
    snprintf(what, sizeof what, "no %s service %s", proto_words(r),
             by_port ? "on that port" : "of that name");
    return not_found(r, it, what);
}

/* A URL names one service: tcp first (what URL schemes mostly mean),
 * then udp (tftp://), unless --proto chose. */
static int
scheme_lookup(struct sv_run *r, const char *scheme, struct nk_servent *e,
              const char **src)
{
    for (int i = 0; i < r->n_protos; i++)
        if (nk_services_by_scheme(&r->db, scheme, r->protos[i], e, src))
            return 1;
    return 0;
}

static void
emit_url(struct sv_run *r, const struct sv_item *it,
         const struct nk_servent *e, const char *src)
{
    int explicit_port = it->url.port[0] != '\0';

    nk_out_obj(&r->o, NULL);
    nk_out_str(&r->o, "item", it->text);
    nk_out_str(&r->o, "kind", "url");
    nk_out_str(&r->o, "scheme", it->url.scheme);
    if (e != NULL)
        nk_out_str(&r->o, "proto", e->proto);
    else if (r->opt->proto != NULL)
        nk_out_str(&r->o, "proto", r->opt->proto);
    else
        nk_out_null(&r->o, "proto");
    /* nk_url_parse checked the digits and the 0-65535 range */
    nk_out_uint(&r->o, "port",
                explicit_port ? (uint64_t)strtoul(it->url.port, NULL, 10)
                              : e->port);
    nk_out_bool(&r->o, "explicit_port", explicit_port);
    emit_names(&r->o, e);
    nk_out_str(&r->o, "source", explicit_port ? "url" : src);
    nk_out_close(&r->o);
}

static int
do_url(struct sv_run *r, const struct sv_item *it)
{
    struct nk_servent e;
    const char *src = NULL;
    char what[128];
    int found = scheme_lookup(r, it->url.scheme, &e, &src);

    if (r->opt->lesson && found) {
        /* the recipe asks only for the scheme's port */
        nk_out_line(&r->o, "%s %u", it->url.scheme, e.port);
        return 0;
    }
    if (!r->opt->lesson && (found || it->url.port[0] != '\0')) {
        emit_url(r, it, found ? &e : NULL, src);
        return 0;
    }
    snprintf(what, sizeof what,
             "unknown URL scheme '%.40s': no %s service of that name",
             it->url.scheme, proto_words(r));
    return not_found(r, it, what);
}

/* Returns 0 or this item's exit code. */
static int
service_item(struct sv_run *r, const char *s)
{
    struct sv_item it;
    struct nk_err err;

    if (classify(s, &it, &err) < 0)
        return emit_error(r, s, &err);
    switch (it.kind) {
    case SV_PORT:
    case SV_NAME:
        return do_lookup(r, &it);
    default:
        return do_url(r, &it);
    }
}

/* Warnings about the file; they never change the exit status. */
static void
file_warnings(const struct sv_run *r, int rc, const struct nk_err *err)
{
    const char *cmd = r->ctx->cmd->name;
    const struct nk_services *db = &r->db;

    if (rc < 0)
        nk_diag(cmd, "%s; using the built-in table", err->msg);
    else if (db->status == NK_SERVICES_MISSING && r->opt->file_given)
        nk_diag(cmd, "%s: no such file; using the built-in table", db->path);
    if (db->skipped > 0)
        nk_diag(cmd, "%s: skipped %zu malformed line%s (first: line %ld: %s)",
                db->path, db->skipped, db->skipped == 1 ? "" : "s",
                db->first_bad_line, db->first_bad);
}

static void
emit_header(struct sv_run *r)
{
    if (r->db.status == NK_SERVICES_DISABLED)
        nk_out_null(&r->o, "services_file");
    else
        nk_out_str(&r->o, "services_file", r->db.path);
    nk_out_str(&r->o, "services_file_status",
               nk_services_status_name(r->db.status));
    nk_out_arr(&r->o, "items");
}

/* The recipes' inputs: ports 80 and 25 over tcp, then the URL list. */
static char *lesson_items[] = {
    "80",
    "25",
    "http://www.python.org",
    "https://www.python.org",
    "ftp://prep.ai.mit.edu",
    "gopher://gopher.micro.umn.edu",
    "smtp://mail.example.com",
    "imap://mail.example.com",
    "pop3://pop.example.com",
};

static int
service_run(const struct nk_ctx *ctx, int n, char **items,
            const struct sv_opts *opt)
{
    struct sv_run r;
    struct nk_err err;
    struct nk_exit_acc acc = {0, 0, 0, 0};
    int rc;

    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    r.opt = opt;
    r.n_protos = opt->proto ? 1 : 2;
    r.protos[0] = opt->proto ? opt->proto : "tcp";
    r.protos[1] = "udp";
    if (opt->lesson && n == 0) {
        n = (int)(sizeof lesson_items / sizeof lesson_items[0]);
        items = lesson_items;
    }
    rc = nk_services_open(&r.db, opt->file, &err);
    file_warnings(&r, rc, &err);
    nk_out_init(&r.o, stdout, ctx->json ? NK_OUT_JSON : NK_OUT_TEXT,
                ctx->color);
    if (!opt->lesson)
        emit_header(&r);
    for (int i = 0; i < n; i++)
        nk_exit_note(&acc, service_item(&r, items[i]));
    nk_services_close(&r.db);
    if (nk_out_finish(&r.o) < 0)
        return NK_EX_SOFTWARE;
    return nk_exit_result(&acc);
}

static int
parse_proto(const struct nk_ctx *ctx, const struct nk_optdef *def,
            const char *s, void *values)
{
    const char **proto = &((struct sv_opts *)values)->proto;

    (void)def;
    if (strcasecmp(s, "tcp") == 0 || strcasecmp(s, "udp") == 0) {
        *proto = strcasecmp(s, "tcp") == 0 ? "tcp" : "udp";
        return 0;
    }
    return nk_usage_error(ctx, "--proto takes tcp or udp, not '%s'", s);
}

static int
parse_file(const struct nk_ctx *ctx, const struct nk_optdef *def,
           const char *s, void *values)
{
    struct sv_opts *opt = values;

    (void)def;
    if (s[0] == '\0')
        return nk_usage_error(ctx, "--services-file needs a path (or none)");
    opt->file = s;
    opt->file_given = 1;
    return 0;
}

int
cmd_service(int argc, char **argv, struct nk_ctx *ctx)
{
    struct sv_opts opt = {NULL, NK_SERVICES_PATH, 0, 0};
    int rc = nk_opt_parse(ctx, &cmd_service_spec, argc, argv, &opt);

    if (rc != NK_OPT_GO)
        return rc;
    if (opt.lesson && ctx->json)
        return nk_usage_error(ctx, "--lesson prints the recipes' text only; "
                                   "it takes no --json");
    if (!opt.lesson && optind == argc)
        return nk_usage_error(ctx, "give a port, a service name or a URL");
    return service_run(ctx, argc - optind, argv + optind, &opt);
}

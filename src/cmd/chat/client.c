/* netkit chat connect: the full-duplex client (stdin and the socket on
 * one poll-based nk_loop); its terminal line editor is editor.c. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat_int.h"
#include "netkit/evloop.h"
#include "netkit/exitcodes.h"
#include "netkit/fail.h"
#include "netkit/net.h"
#include "netkit/out.h"
#include "netkit/parse.h"
#include "netkit/signals.h"

#define CONNECT_MS 10000
#define SEND_MS 10000
#define RX_MAX (NK_CHAT_SAFE_MAX + 256) /* a line from the server */

/* --- the client --------------------------------------------------------- */

enum cstate { C_TALK, C_WAIT, C_LEAVE, C_DONE };

struct chat_client {
    int fd;
    int json;
    int wait_ms; /* after piped input ends; < 0: no limit */
    enum cstate st;
    int64_t deadline; /* C_WAIT and C_LEAVE */
    int rc;
    /* How the room's end was announced: "* the room is closing", "* NICK
     * closed the room" (0), "* disconnected: WHY" (dropped, 74), "* the
     * room is full" (69). A nick cannot start with '*', so no participant
     * can fake these. */
    enum { END_NONE, END_CLOSED, END_DROPPED, END_FULL } end;
    char why[96];
    struct chat_term term;
    struct nk_loop *loop;
    struct nk_chat_asm in;
    char inbuf[RX_MAX];
    char buf[READ_CHUNK];
};

/* The same for a line that may carry anything: escaped first. */
static void
term_print_safe(struct chat_term *t, const char *s, size_t n)
{
    static char safe[NK_CHAT_SAFE_MAX + 1];
    size_t k = nk_chat_sanitize(s, n, safe, sizeof safe);

    chat_term_print(t, safe, k);
}

static void
client_send_line(struct chat_client *k, const char *s, size_t n)
{
    char line[NK_CHAT_LINE_MAX + 1];
    struct nk_err err;

    if (n > NK_CHAT_LINE_MAX)
        n = NK_CHAT_LINE_MAX;
    memcpy(line, s, n);
    line[n] = '\n';
    if (nk_send_all(k->fd, line, n + 1, SEND_MS, &err) < 0) {
        k->rc = nk_fail_or(NAME, NULL, &err, NK_EX_IOERR);
        k->st = C_DONE;
    }
}

/* Stop reading stdin; the server answers /quit with a bye and closes. */
static void
client_leave(struct chat_client *k, int send_quit)
{
    if (k->st == C_TALK || k->st == C_WAIT)
        (void)nk_loop_del(k->loop, STDIN_FILENO);
    if (send_quit && k->st != C_DONE) {
        /* The server may have closed already (the operator's bye): a
         * failed goodbye is no error. */
        struct nk_err err;
        if (nk_send_all(k->fd, "/quit\n", 6, SEND_MS, &err) < 0)
            k->st = C_DONE;
    }
    if (k->st != C_DONE) {
        k->st = C_LEAVE;
        k->deadline = nk_now_ms() + CLOSE_GRACE_MS;
    }
}

static void
typed_line(void *arg, const char *s, size_t n, int cut)
{
    struct chat_client *k = arg;
    struct nk_chat_cmd cmd;

    if (k->st != C_TALK)
        return;
    if (cut)
        nk_diag(NAME, "a line was cut to %d bytes", NK_CHAT_LINE_MAX);
    client_send_line(k, s, n);
    nk_chat_parse(s, n, &cmd);
    if (cmd.kind == NK_CHAT_BYE || cmd.kind == NK_CHAT_QUIT)
        client_leave(k, 0);
}

static void
on_stdin(struct nk_loop *loop, int fd, unsigned ev, void *arg)
{
    struct chat_client *k = arg;

    (void)loop;
    (void)ev;
    if (chat_term_read(&k->term, fd, k->buf, sizeof k->buf, typed_line, k) ==
        CHAT_KEY_NONE)
        return;
    /* End of input. A person (Ctrl-D) leaves now; a script's pipe waits
     * for the answer first, unless --wait 0. */
    if (k->st != C_TALK)
        return;
    if (k->term.on || k->wait_ms == 0) {
        client_leave(k, 1);
        return;
    }
    (void)nk_loop_del(k->loop, STDIN_FILENO);
    k->st = C_WAIT;
    k->deadline = k->wait_ms < 0 ? 0 : nk_now_ms() + k->wait_ms;
}

/* Note the room's last words, if s is one of them. */
static void
server_end_notice(struct chat_client *k, const char *s, size_t n)
{
    static const char closing[] = "* the room is closing";
    static const char closed[] = " closed the room";
    static const char dropped[] = "* disconnected: ";
    static const char full[] = "* the room is full";

    if (n < 2 || s[0] != '*' || s[1] != ' ')
        return;
    if ((n >= sizeof closing - 1 &&
         memcmp(s, closing, sizeof closing - 1) == 0) ||
        (n >= sizeof closed - 1 &&
         memcmp(s + n - (sizeof closed - 1), closed, sizeof closed - 1) == 0))
        k->end = END_CLOSED;
    else if (n == sizeof full - 1 && memcmp(s, full, n) == 0)
        k->end = END_FULL;
    else if (n >= sizeof dropped - 1 &&
             memcmp(s, dropped, sizeof dropped - 1) == 0) {
        k->end = END_DROPPED;
        nk_chat_sanitize(
            s + sizeof dropped - 1,
            n - (sizeof dropped - 1) > 40 ? 40 : n - (sizeof dropped - 1),
            k->why, sizeof k->why);
    }
}

/* The server ended the stream: a room that said it was closing is a
 * normal end; being dropped, turned away, or cut off without a word is
 * not. */
static void
server_eof(struct chat_client *k)
{
    if (k->st == C_LEAVE || k->end == END_CLOSED)
        return;
    if (k->end == END_FULL) {
        nk_diag(NAME, "the room is full");
        k->rc = NK_EX_UNAVAILABLE;
    } else if (k->end == END_DROPPED) {
        nk_diag(NAME, "dropped by the room: %s", k->why);
        k->rc = NK_EX_IOERR;
    } else {
        nk_diag(NAME, "the server closed the connection");
        k->rc = NK_EX_IOERR;
    }
}

static void
server_line(struct chat_client *k, const char *s, size_t n)
{
    static const char renamed[] = "* you are now known as ";
    const char *colon;

    server_end_notice(k, s, n);

    if (n > sizeof renamed - 1 &&
        memcmp(s, renamed, sizeof renamed - 1) == 0 &&
        n - (sizeof renamed - 1) <= NK_CHAT_NICK_MAX) {
        char nick[NK_CHAT_NICK_MAX + 1];
        size_t m = n - (sizeof renamed - 1);
        memcpy(nick, s + sizeof renamed - 1, m);
        nick[m] = '\0';
        if (nk_chat_nick_check(nick, m, NULL) == 0)
            chat_term_set_prompt(&k->term, nick);
    }
    if (k->json) {
        struct nk_out o;
        nk_out_init(&o, stdout, NK_OUT_JSONL, 0);
        nk_out_strn(&o, "line", s, n);
        nk_out_finish(&o);
        chat_out_flush();
    } else {
        term_print_safe(&k->term, s, n);
    }
    /* Waiting after piped input: someone's bye word ends the wait, as in
     * the lesson, where either side's bye ends the talk. */
    colon = memchr(s, ':', n);
    if (k->st == C_WAIT && s[0] != '*' && colon != NULL &&
        nk_chat_is_bye(colon + 1, n - (size_t)(colon + 1 - s)))
        client_leave(k, 1);
}

static void
on_server(struct nk_loop *loop, int fd, unsigned ev, void *arg)
{
    struct chat_client *k = arg;
    struct nk_chat_line ln;
    ssize_t n;
    size_t off = 0;
    int got;
    char e[128];

    (void)loop;
    (void)ev;
    n = nk_recv_nb(fd, k->buf, sizeof k->buf);
    if (n == NK_IO_AGAIN)
        return;
    if (n <= 0) {
        if (n == 0 && nk_chat_asm_finish(&k->in, &ln))
            server_line(k, ln.text, ln.len);
        /* A reset right after the room's last words is their end too:
         * a server that closes with our input unread resets. */
        if (n < 0 && k->st != C_LEAVE && k->end == END_NONE) {
            nk_diag(NAME, "receive: %s", nk_strerror(errno, e, sizeof e));
            k->rc = NK_EX_IOERR;
        } else {
            server_eof(k);
        }
        k->st = C_DONE;
        return;
    }
    while (off < (size_t)n) {
        off +=
            nk_chat_asm_feed(&k->in, k->buf + off, (size_t)n - off, &ln, &got);
        if (got)
            server_line(k, ln.text, ln.len);
    }
}

/* Default nick: $USER when it is a valid nick. */
static const char *
default_nick(void)
{
    const char *u = getenv("USER");

    if (u == NULL)
        u = getenv("LOGNAME");
    if (u == NULL || nk_chat_nick_check(u, strlen(u), NULL) < 0)
        return NULL;
    return u;
}

static int
client_run(struct chat_client *k)
{
    struct nk_err err;

    while (k->st != C_DONE) {
        int64_t now;
        if (nk_loop_run_once(k->loop, TICK_MS, &err) < 0) {
            nk_diag(NAME, "%s", err.msg);
            return NK_EX_SOFTWARE;
        }
        if (nk_stop_requested() && k->st != C_LEAVE && k->st != C_DONE)
            client_leave(k, 1);
        now = nk_now_ms();
        if ((k->st == C_LEAVE || (k->st == C_WAIT && k->deadline != 0)) &&
            now >= k->deadline) {
            if (k->st == C_WAIT)
                client_leave(k, 1);
            else
                k->st = C_DONE;
        }
    }
    return k->rc;
}

static int
chat_connect_run(struct nk_ctx *ctx, const char *host, const char *port,
                 const char *nick, int wait_ms)
{
    static struct chat_client cl;
    struct chat_client *k = &cl;
    struct nk_err err;
    int rc;

    memset(k, 0, sizeof *k);
    k->json = ctx->json;
    k->wait_ms = wait_ms;
    nk_chat_asm_init(&k->in, k->inbuf, sizeof k->inbuf);
    nk_net_init();
    nk_stop_reset();
    k->fd =
        nk_connect(host, port, AF_UNSPEC, SOCK_STREAM, CONNECT_MS, NULL, &err);
    if (k->fd < 0)
        return nk_fail_or(NAME, NULL, &err, NK_EX_UNAVAILABLE);
    k->loop = nk_loop_new(NK_LOOP_POLL, &err);
    if (k->loop == NULL || nk_set_nonblock(k->fd, 1, &err) < 0 ||
        nk_stop_install(&err) < 0 ||
        nk_loop_add(k->loop, k->fd, NK_EV_READ, on_server, k, &err) < 0 ||
        nk_loop_add(k->loop, STDIN_FILENO, NK_EV_READ, on_stdin, k, &err) <
            0) {
        nk_loop_free(k->loop);
        nk_close(k->fd);
        return nk_fail(NAME, NULL, &err);
    }
    chat_term_open(&k->term, nick ? nick : "", k->json);
    if (nick != NULL) {
        char line[NK_CHAT_NICK_MAX + 8];
        int n = snprintf(line, sizeof line, "/nick %s", nick);
        client_send_line(k, line, (size_t)n);
    }
    rc = client_run(k);
    chat_term_close(&k->term);
    nk_loop_free(k->loop);
    nk_close(k->fd);
    nk_stop_uninstall();
    return rc;
}

/* What the option table fills. */
struct connect_parse {
    const char *port, *nick;
    int wait_ms; /* -1: until the server closes */
    int lesson;
};

static int
set_nick(const struct nk_ctx *ctx, const struct nk_optdef *def,
         const char *arg, void *values)
{
    const char *why;

    (void)def;
    if (nk_chat_nick_check(arg, strlen(arg), &why) < 0)
        return nk_usage_error(ctx, "--name: %s", why);
    ((struct connect_parse *)values)->nick = arg;
    return 0;
}

const struct nk_optdef chat_connect_optdefs[] = {
    NK_OPT('p', "port", NK_OPT_PORTSTR, struct connect_parse, port, 1, 0, "P",
           "the room's port"),
    {'n', "name", NK_OPT_CALL, 0, 0, 0, "NICK",
     "your nickname (default: $USER if it is valid,\n"
     "else the server names you guestN)",
     NULL, set_nick},
    NK_OPT('w', "wait", NK_OPT_SECONDS, struct connect_parse, wait_ms, 0,
           86400000, "S",
           "after the end of piped input, wait at most S\n"
           "seconds (default: until the server closes or\n"
           "someone says a bye word; 0: leave at once)"),
    NK_OPT_JSON_DEF("each received line as a JSON object"),
    CHAT_OPT_LESSON(struct connect_parse),
    NK_OPT_HELP_DEF,
    NK_OPT_END,
};

int
chat_connect(int argc, char **argv, struct nk_ctx *ctx)
{
    struct connect_parse p = {NULL, NULL, -1, 0};
    unsigned long long given;
    int rc =
        nk_opt_parse_given(ctx, &chat_connect_spec, argc, argv, &p, &given);

    if (rc != NK_OPT_GO)
        return rc;
    if (p.lesson)
        return chat_lesson(ctx, 0, chat_connect_optdefs, given, p.port, NULL,
                           argc, argv);
    if (optind >= argc)
        return nk_usage_error(ctx, "a HOST is required");
    if (optind + 1 < argc)
        return nk_usage_error(ctx, "unexpected argument '%s'",
                              argv[optind + 1]);
    if (p.port == NULL && !nk_host_is_unix(argv[optind]))
        return nk_usage_error(ctx, "--port is required");
    if (p.nick == NULL)
        p.nick = default_nick();
    return chat_connect_run(ctx, argv[optind], p.port, p.nick, p.wait_ms);
}

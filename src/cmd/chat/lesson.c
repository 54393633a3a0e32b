/* netkit chat serve|connect --lesson: the lesson's one-to-one chat,
 * spoken exactly, so netkit can be the peer of the course's own programs.
 *
 * The conversation: the server accepts one client and sends the greeting
 * "Hey You are connected....Welcome"; the client answers "Thankyou".
 * Then they take turns, the server first: one message sent, one message
 * received. A message is what one send carries: no line ending, no nick,
 * no framing of netkit's own; what one read returns is one message (as
 * the lesson's recv(1024) has it). A bye word (nk_chat_is_bye: the
 * lesson's list, case and surrounding spaces ignored) said by either side
 * ends the talk on both; so does either side closing, or the end of this
 * side's input. A message that arrives out of turn is shown at once.
 *
 * On screen, one line per message, named by who said it ("Server --->
 * hello", "Client ---> hi"), the greeting exchange as "Server : ..." and
 * "Client : ..."; received text is escaped for the terminal. On a
 * terminal the prompt "Server ---> " (or "Client ---> ") is shown when it
 * is your turn; from a pipe, the lines sent are printed instead, so the
 * transcript reads as the conversation. An empty line is not sent (the
 * peer would wait for it for ever). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chat_int.h"
#include "netkit/exitcodes.h"
#include "netkit/fail.h"
#include "netkit/net.h"
#include "netkit/out.h"
#include "netkit/server.h"
#include "netkit/signals.h"

#define LESSON_GREETING "Hey You are connected....Welcome"
#define LESSON_THANKS "Thankyou"
#define LESSON_MSG_MAX 4096
#define LESSON_CONNECT_MS 10000

enum { L_GO, L_END, L_FAIL };

struct lesson {
    int fd;
    const char *me, *peer; /* "Server"/"Client" */
    int tty;               /* stdin is a terminal: prompt for each turn */
    int prompted;          /* the prompt is on screen, the line not typed */
    struct nk_chat_asm as; /* typed lines */
    char asbuf[NK_CHAT_LINE_MAX];
    char in[1024]; /* stdin read ahead, [in_off, in_len) not yet taken */
    size_t in_off, in_len;
    int in_eof;
    char msg[LESSON_MSG_MAX];
    char safe[4 * LESSON_MSG_MAX + 1];
};

static void
prompt(struct lesson *l)
{
    nk_out_raw(l->me, strlen(l->me));
    nk_out_raw(" ---> ", 6);
    chat_out_flush();
    l->prompted = 1;
}

/* Out of turn: what arrives goes below the prompt (shown again after). */
static void
below_prompt(struct lesson *l)
{
    if (l->prompted)
        nk_out_raw("\n", 1);
    l->prompted = 0;
}

static void
say(const char *who, const char *sep, const char *s, size_t n)
{
    nk_out_raw(who, strlen(who));
    nk_out_raw(sep, strlen(sep));
    nk_out_raw(s, n);
    nk_out_raw("\n", 1);
    chat_out_flush();
}

/* One received message on screen, escaped; one trailing line end (a
 * line-based peer's) is not shown. */
static void
show(struct lesson *l, const char *sep, size_t n)
{
    size_t k;

    if (n > 0 && l->msg[n - 1] == '\n')
        n--;
    if (n > 0 && l->msg[n - 1] == '\r')
        n--;
    k = nk_chat_sanitize(l->msg, n, l->safe, sizeof l->safe);
    below_prompt(l);
    say(l->peer, sep, l->safe, k);
}

static void
ended_by(const char *who)
{
    say(who, " doesn't want to talk to you anymore", "", 0);
}

/* Wait for the socket (and, when stdin too, for stdin): the ready fd, or
 * -1 when a stop was requested or poll failed. */
static int
wait_ready(struct lesson *l, int stdin_too)
{
    struct nk_err err;

    for (;;) {
        struct pollfd p[2] = {{.fd = l->fd, .events = POLLIN},
                              {.fd = STDIN_FILENO, .events = POLLIN}};
        int n;
        if (nk_stop_requested()) {
            nk_diag(NAME, "%s: closing the connection",
                    nk_stop_requested() == SIGINT ? "SIGINT" : "SIGTERM");
            return -1;
        }
        n = nk_poll(p, stdin_too ? 2 : 1, TICK_MS, &err);
        if (n < 0) {
            nk_diag(NAME, "%s", err.msg);
            return -1;
        }
        if (p[0].revents != 0)
            return l->fd;
        if (stdin_too && p[1].revents != 0)
            return STDIN_FILENO;
    }
}

/* Read one message (one read, as it arrives) and show it. L_GO, or
 * L_END when the peer closed or said a bye word. */
static int
take_message(struct lesson *l, const char *sep, int greeting)
{
    ssize_t n = nk_recv_nb(l->fd, l->msg, sizeof l->msg);

    if (n == NK_IO_AGAIN)
        return L_GO;
    if (n <= 0) {
        if (n < 0)
            nk_diag(NAME, "receive: %s", strerror(errno));
        below_prompt(l);
        say(l->peer, " closed the connection", "", 0);
        return L_END;
    }
    show(l, sep, (size_t)n);
    if (!greeting && nk_chat_is_bye(l->msg, (size_t)n)) {
        ended_by(l->peer);
        return L_END;
    }
    return L_GO;
}

/* The peer's turn: wait for its message. */
static int
their_turn(struct lesson *l, const char *sep, int greeting)
{
    if (wait_ready(l, 0) < 0)
        return L_END;
    return take_message(l, sep, greeting);
}

static int
send_text(struct lesson *l, const char *s, size_t n)
{
    struct nk_err err;

    if (nk_send_all(l->fd, s, n, -1, &err) < 0) {
        nk_diag(NAME, "%s", err.msg);
        return L_FAIL;
    }
    return L_GO;
}

/* The next typed line from what stdin gave: 1 with *line, 0 when more
 * is needed (or at the end of input: 1 for a last unterminated line). */
static int
next_line(struct lesson *l, struct nk_chat_line *line)
{
    int got = 0;

    while (l->in_off < l->in_len) {
        l->in_off += nk_chat_asm_feed(&l->as, l->in + l->in_off,
                                      l->in_len - l->in_off, line, &got);
        if (got)
            return 1;
    }
    return l->in_eof ? nk_chat_asm_finish(&l->as, line) : 0;
}

/* Our turn: a typed, non-empty line, sent as one message. L_GO, L_END
 * (a bye word sent, the peer gone, the end of input) or L_FAIL. */
static int
my_turn(struct lesson *l)
{
    struct nk_chat_line ln;

    if (l->tty) /* the prompt; the terminal echoes what is typed */
        prompt(l);
    for (;;) {
        int fd;
        ssize_t n;
        if (next_line(l, &ln)) {
            if (ln.cut)
                nk_diag(NAME, "your line was cut to %d bytes",
                        NK_CHAT_LINE_MAX);
            if (ln.len == 0)
                continue; /* the peer would wait for it for ever */
            break;
        }
        if (l->in_eof) {
            nk_diag(NAME, "end of input: closing the connection");
            return L_END;
        }
        fd = wait_ready(l, 1);
        if (fd < 0)
            return L_END;
        if (fd == l->fd) { /* out of turn, or the peer closed */
            if (take_message(l, " ---> ", 0) != L_GO)
                return L_END;
            if (l->tty && !l->prompted)
                prompt(l);
            continue;
        }
        n = read(STDIN_FILENO, l->in, sizeof l->in);
        l->in_off = 0;
        l->in_len = n > 0 ? (size_t)n : 0;
        l->in_eof = n <= 0;
    }
    l->prompted = 0;
    if (!l->tty) {
        size_t k = nk_chat_sanitize(ln.text, ln.len, l->safe, sizeof l->safe);
        say(l->me, " ---> ", l->safe, k);
    }
    if (send_text(l, ln.text, ln.len) != L_GO)
        return L_FAIL;
    if (nk_chat_is_bye(ln.text, ln.len)) {
        ended_by(l->me);
        return L_END;
    }
    return L_GO;
}

/* The turns, after the greeting: the server speaks first. */
static int
talk(struct lesson *l, int server_first)
{
    int st = L_GO;

    if (!server_first)
        st = their_turn(l, " ---> ", 0);
    while (st == L_GO) {
        st = my_turn(l);
        if (st == L_GO)
            st = their_turn(l, " ---> ", 0);
    }
    return st;
}

static void
lesson_init(struct lesson *l, int fd, int server)
{
    memset(l, 0, sizeof *l);
    l->fd = fd;
    l->me = server ? "Server" : "Client";
    l->peer = server ? "Client" : "Server";
    l->tty = isatty(STDIN_FILENO);
    nk_chat_asm_init(&l->as, l->asbuf, sizeof l->asbuf);
}

static int
lesson_end(struct lesson *l, int st)
{
    nk_close(l->fd);
    nk_stop_uninstall();
    return st == L_FAIL ? NK_EX_IOERR : NK_EX_OK;
}

/* Accept the one client: its fd, or -1. */
static int
accept_one(int lfd)
{
    struct nk_err err;
    struct nk_addr peer;
    char addr[NK_ADDRSTRLEN];
    int fd;

    for (;;) {
        int r;
        if (nk_stop_requested())
            return -1;
        r = nk_wait_fd(lfd, POLLIN, TICK_MS, &err);
        if (r < 0)
            break;
        if (r == 0)
            continue;
        fd = nk_accept(lfd, &peer, 0, &err);
        if (fd < 0)
            break;
        nk_addr_format((struct sockaddr *)&peer.ss, peer.len, addr,
                       sizeof addr);
        nk_diag(NAME, "client is at %s", addr);
        return fd;
    }
    nk_diag(NAME, "%s", err.msg);
    return -1;
}

static int
lesson_serve(const char *bind, const char *port)
{
    struct nk_listen_opts lo = {.host = bind,
                                .port = port,
                                .family = AF_UNSPEC,
                                .socktype = SOCK_STREAM,
                                .backlog = 1,
                                .reuseaddr = 1};
    static struct lesson les;
    struct nk_err err;
    char addr[NK_ADDRSTRLEN] = "?";
    int lfd, fd, st;

    nk_net_init();
    nk_stop_reset();
    if (nk_stop_install(&err) < 0 || (lfd = nk_listen_ex(&lo, &err)) < 0) {
        nk_stop_uninstall();
        return nk_fail(NAME, NULL, &err);
    }
    nk_server_announce_fd(NAME, lfd, addr, sizeof addr);
    fd = accept_one(lfd);
    nk_close(lfd); /* one client: the next one is refused */
    if (fd < 0) {
        nk_stop_uninstall();
        return nk_stop_requested() ? NK_EX_OK : NK_EX_IOERR;
    }
    lesson_init(&les, fd, 1);
    st = send_text(&les, LESSON_GREETING, strlen(LESSON_GREETING));
    if (st == L_GO)
        st = their_turn(&les, " : ", 1);
    if (st == L_GO)
        st = talk(&les, 1);
    return lesson_end(&les, st);
}

static int
lesson_connect(const char *host, const char *port)
{
    static struct lesson les;
    struct nk_err err;
    struct nk_addr peer;
    char addr[NK_ADDRSTRLEN];
    int fd, st;

    nk_net_init();
    nk_stop_reset();
    if (nk_stop_install(&err) < 0 ||
        (fd = nk_connect(host, port, AF_UNSPEC, SOCK_STREAM, LESSON_CONNECT_MS,
                         &peer, &err)) < 0) {
        nk_stop_uninstall();
        return nk_fail_or(NAME, NULL, &err, NK_EX_UNAVAILABLE);
    }
    nk_addr_format((struct sockaddr *)&peer.ss, peer.len, addr, sizeof addr);
    nk_diag(NAME, "connected to %s", addr);
    lesson_init(&les, fd, 0);
    st = their_turn(&les, " : ", 1);
    if (st == L_GO)
        st = send_text(&les, LESSON_THANKS, strlen(LESSON_THANKS));
    if (st == L_GO)
        st = talk(&les, 0);
    return lesson_end(&les, st);
}

/* netkit chat serve|connect --lesson [HOST] --port P [--bind ADDR]. */
int
chat_lesson(const struct nk_ctx *ctx, int server, const struct nk_optdef *defs,
            unsigned long long given, const char *port, const char *bind,
            int argc, char **argv)
{
    for (int i = 0; defs[i].letter || defs[i].name; i++) {
        const char *n = defs[i].name ? defs[i].name : "";
        char name[64];

        if (!(given >> i & 1) || strcmp(n, "port") == 0 ||
            strcmp(n, "lesson") == 0 || (server && strcmp(n, "bind") == 0))
            continue;
        nk_opt_name(&defs[i], name, sizeof name);
        return nk_usage_error(
            ctx, "%s: not an option of --lesson (it takes %s)", name,
            server ? "--port and --bind" : "HOST and --port");
    }
    if (port == NULL)
        return nk_usage_error(ctx, "--port is required");
    if (server) {
        if (optind < argc)
            return nk_usage_error(ctx, "unexpected argument '%s'",
                                  argv[optind]);
        return lesson_serve(bind, port);
    }
    if (optind >= argc)
        return nk_usage_error(ctx, "a HOST is required");
    if (optind + 1 < argc)
        return nk_usage_error(ctx, "unexpected argument '%s'",
                              argv[optind + 1]);
    return lesson_connect(argv[optind], port);
}

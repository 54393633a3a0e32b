/* netkit chat serve: the room. One nk_loop holds the listener, every
 * client (each with its bounded output queue) and the operator's console;
 * lines become "NICK: text" to the others, joins, leaves and renames
 * "* ..." notices. Options and the usage text: chat.c. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat_int.h"
#include "netkit/activate.h"
#include "netkit/evloop.h"
#include "netkit/exitcodes.h"
#include "netkit/fail.h"
#include "netkit/net.h"
#include "netkit/out.h"
#include "netkit/parse.h"
#include "netkit/server.h"
#include "netkit/signals.h"

/* Transcript of the room on stdout: the wire line in text mode, or one
 * JSON object (event, nick, and one more field) with --json. */
static void
transcript(struct room *r, const char *event, const char *nick,
           const char *key, const char *val, const char *line, size_t n)
{
    struct nk_out o;

    if (!r->json) {
        chat_term_print(&r->term, line, n);
        return;
    }
    nk_out_init(&o, stdout, NK_OUT_JSONL, 0);
    nk_out_str(&o, "event", event);
    if (nick != NULL)
        nk_out_str(&o, "nick", nick);
    if (key != NULL)
        nk_out_str(&o, key, val);
    nk_out_finish(&o);
}

void
chat_client_kill(struct client *c, const char *why)
{
    if (c->dead)
        return;
    c->dead = 1;
    snprintf(c->why, sizeof c->why, "%s", why);
}

/* A line to every client but `skip` (the speaker) and the leaving ones. */
static void
room_send(struct room *r, const struct client *skip, const char *s, size_t n)
{
    for (struct client *c = r->head; c != NULL; c = c->next)
        if (c != skip && !c->closing)
            chat_client_queue(r, c, s, n);
}

/* A line of at most cap - 1 bytes formatted into line (a longer one is
 * cut): its length, or -1 on a formatting error. */
static int room_vfmt(char *line, size_t cap, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static int
room_vfmt(char *line, size_t cap, const char *fmt, va_list ap)
{
    int n = vsnprintf(line, cap, fmt, ap);

    if (n >= 0 && (size_t)n >= cap)
        n = (int)cap - 1;
    return n;
}

/* A notice: to the clients, and into the transcript. */
static void room_notice(struct room *r, const struct client *skip,
                        const char *event, const char *nick, const char *key,
                        const char *val, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static void
room_notice(struct room *r, const struct client *skip, const char *event,
            const char *nick, const char *key, const char *val,
            const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = room_vfmt(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n >= 0) {
        room_send(r, skip, line, (size_t)n);
        transcript(r, event, nick, key, val, line, (size_t)n);
    }
}

/* A reply to one client only ("* ..."). */
static void tell(struct room *r, struct client *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
tell(struct room *r, struct client *c, const char *fmt, ...)
{
    va_list ap;
    char line[1024];
    int n;

    va_start(ap, fmt);
    n = room_vfmt(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (c == NULL)
        chat_term_print(&r->term, line, (size_t)n);
    else
        chat_client_queue(r, c, line, (size_t)n);
}

static void
tell_lines(struct room *r, struct client *c, const char *text)
{
    const char *p = text;

    while (*p != '\0') {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        tell(r, c, "* %.*s", (int)n, p);
        p += n + (e != NULL);
    }
}

static int
nick_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        int x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x += 'a' - 'A';
        if (y >= 'A' && y <= 'Z')
            y += 'a' - 'A';
        if (x != y)
            return 0;
    }
    return *a == *b;
}

/* Is the nick taken (ASCII case ignored) by anyone but `self`? */
static int
nick_taken(const struct room *r, const struct client *self, const char *nick)
{
    if (nick_eq(r->nick, nick) && self != NULL)
        return 1;
    for (const struct client *c = r->head; c != NULL; c = c->next)
        if (c != self && !c->dead && c->nick[0] && nick_eq(c->nick, nick))
            return 1;
    return 0;
}

/* A free nick from `want`: itself, or with the first free number 2..999
 * appended (a clash at join time gets a suffix; a /nick later is
 * refused instead, so nobody is renamed behind their back). */
static int
nick_pick(const struct room *r, const struct client *self, const char *want,
          char *out, size_t size)
{
    size_t base = strlen(want);

    snprintf(out, size, "%s", want);
    for (int i = 2; nick_taken(r, self, out) && i < 1000; i++) {
        char num[8];
        int k = snprintf(num, sizeof num, "%d", i);
        size_t keep = base + (size_t)k > NK_CHAT_NICK_MAX
                          ? NK_CHAT_NICK_MAX - (size_t)k
                          : base;
        /* Never cut inside a UTF-8 sequence. */
        while (keep > 0 && ((unsigned char)want[keep] & 0xc0) == 0x80)
            keep--;
        snprintf(out, size, "%.*s%s", (int)keep, want, num);
    }
    return nick_taken(r, self, out) ? -1 : 0;
}

/* Announce a client in the room under `want` (or guestN). */
static void
client_join(struct room *r, struct client *c, const char *want)
{
    char guest[16];

    if (want == NULL) {
        snprintf(guest, sizeof guest, "guest%u", ++r->guest_seq);
        want = guest;
    }
    if (nick_pick(r, c, want, c->nick, sizeof c->nick) < 0)
        snprintf(c->nick, sizeof c->nick, "guest%u", ++r->guest_seq);
    c->joined = 1;
    tell(r, c, "* you are now known as %s", c->nick);
    room_notice(r, c, "join", c->nick, NULL, NULL, "* %s joined", c->nick);
    nk_diag(NAME, "%s joined as %s", c->peer, c->nick);
}

/* A client says goodbye: its leave is announced now, its last output is
 * flushed, then it is closed (room_reap). */
static void
client_bye(struct room *r, struct client *c)
{
    tell(r, c, "* bye, %s", c->joined ? c->nick : "guest");
    if (c->joined)
        room_notice(r, c, "leave", c->nick, "reason", "bye", "* %s left",
                    c->nick);
    c->joined = 0;
    c->closing = 1;
    c->closing_ms = nk_now_ms();
    chat_client_flush(r, c);
    chat_client_level(r, c);
}

/* /who: the names on lines of at most WHO_LINE bytes, WHO_LINES lines
 * at most; whoever does not fit is counted ("* and N more"), so the
 * reply is bounded (16 KiB) however big the room, and nobody is left out
 * silently. Clients that never spoke are counted as listening. */
#define WHO_LINE 960
#define WHO_LINES 16

struct who_acc {
    char line[WHO_LINE + 64];
    size_t n, lines, more;
};

static void
who_add(struct room *r, struct client *to, struct who_acc *w, const char *s)
{
    size_t k = strlen(s);

    if (w->n > 0 && w->n + 2 + k > WHO_LINE) {
        if (w->lines + 1 >= WHO_LINES) {
            w->more++;
            return;
        }
        tell(r, to, "%s", w->line);
        w->lines++;
        w->n = (size_t)snprintf(w->line, sizeof w->line, "*   %s", s);
        return;
    }
    w->n += (size_t)snprintf(w->line + w->n, sizeof w->line - w->n, "%s%s",
                             w->n == 0 ? "* in the room: " : ", ", s);
}

static void
who_list(struct room *r, struct client *to)
{
    static struct who_acc w;
    char op[NK_CHAT_NICK_MAX + 16];
    char tail[64] = "";
    size_t quiet = 0;

    w.n = w.lines = w.more = 0;
    snprintf(op, sizeof op, "%s%s", r->nick, r->console ? "" : " (away)");
    who_add(r, to, &w, op);
    for (struct client *c = r->head; c != NULL; c = c->next) {
        if (c->dead || c->closing)
            continue;
        if (c->joined)
            who_add(r, to, &w, c->nick);
        else
            quiet++;
    }
    if (quiet > 0)
        snprintf(tail, sizeof tail, " (and %zu listening)", quiet);
    if (w.more > 0) {
        tell(r, to, "%s", w.line);
        tell(r, to, "* and %zu more%s", w.more, tail);
    } else {
        tell(r, to, "%s%s", w.line, tail);
    }
}

/* /nick for a client (c) or the operator (c NULL). */
static void
do_nick(struct room *r, struct client *c, const char *s, size_t n)
{
    char want[NK_CHAT_NICK_MAX + 1], old[NK_CHAT_NICK_MAX + 1];
    const char *why;
    char *cur = c ? c->nick : r->nick;

    if (nk_chat_nick_check(s, n, &why) < 0) {
        tell(r, c, "* %s; the nick is unchanged", why);
        return;
    }
    memcpy(want, s, n);
    want[n] = '\0';
    if (c != NULL && !c->joined) {
        client_join(r, c, want);
        return;
    }
    if (nick_taken(r, c, want)) {
        tell(r, c, "* %s is taken; the nick is unchanged", want);
        return;
    }
    snprintf(old, sizeof old, "%s", cur);
    memcpy(cur, want, n + 1);
    if (c != NULL)
        tell(r, c, "* you are now known as %s", cur);
    else
        chat_term_set_prompt(&r->term, cur);
    room_notice(r, c, "nick", cur, "old", old, "* %s is now known as %s", old,
                cur);
}

static void room_close(struct room *r, const char *why);

/* A message from a participant: "NICK: text" to everyone else. */
static void
say_text(struct room *r, struct client *c, const char *s, size_t n, int cut)
{
    const char *nick = c ? c->nick : r->nick;
    size_t k = nk_chat_sanitize(s, n, r->safe, sizeof r->safe);
    int w = snprintf(r->wire, sizeof r->wire, "%s: %s", nick, r->safe);

    if (w < 0)
        return;
    if ((size_t)w >= sizeof r->wire)
        w = (int)sizeof r->wire - 1;
    room_send(r, c, r->wire, (size_t)w);
    if (c != NULL || !r->term.on || r->json)
        transcript(r, "message", nick, "text", r->safe, r->wire, (size_t)w);
    (void)k;
    if (cut)
        tell(r, c, "* your line was cut to %d bytes", NK_CHAT_LINE_MAX);
}

/* One line from a client (c) or from the operator (c NULL). */
void
chat_on_line(struct room *r, struct client *c, const char *s, size_t n,
             int cut)
{
    struct nk_chat_cmd cmd;

    if (r->closed)
        return;
    nk_chat_parse(s, n, &cmd);
    switch (cmd.kind) {
    case NK_CHAT_EMPTY:
        return;
    case NK_CHAT_TEXT:
    case NK_CHAT_BYE:
        if (c != NULL && !c->joined)
            client_join(r, c, NULL);
        say_text(r, c, cmd.arg, cmd.arglen, cut);
        if (cmd.kind == NK_CHAT_TEXT)
            return;
        /* a bye word is said, then it quits */
        __attribute__((fallthrough));
    case NK_CHAT_QUIT:
        if (c == NULL)
            room_close(r, "closed the room");
        else
            client_bye(r, c);
        return;
    case NK_CHAT_NICK:
        do_nick(r, c, cmd.arg, cmd.arglen);
        return;
    case NK_CHAT_WHO:
        who_list(r, c);
        return;
    case NK_CHAT_HELP:
        tell_lines(r, c, nk_chat_help_text);
        return;
    case NK_CHAT_UNKNOWN: {
        size_t k = nk_chat_sanitize(cmd.arg, cmd.arglen > 64 ? 64 : cmd.arglen,
                                    r->safe, sizeof r->safe);
        tell(r, c, "* unknown command %.*s; /help lists them", (int)k,
             r->safe);
        return;
    }
    }
}

/* A client too slow for the room (its queue stayed above HIGH_WATER for
 * --drop-after, or passed OUT_MAX): what was queued for it is dropped, it
 * is told why on a line of its own, and it leaves the room now; it has
 * CLOSE_GRACE_MS to take that last line (if it ever reads again) before
 * it is closed. */
static void
slow_out(struct room *r, struct client *c)
{
    static const char msg[] = "* disconnected: too slow, output backed up";

    nk_diag(NAME, "%s %s: too slow, output backed up; disconnecting", c->peer,
            c->nick);
    c->dead = 0;
    c->why[0] = '\0';
    c->off = c->len = 0;
    if (c->mid) /* the kernel took half a line: end it first */
        chat_client_queue(r, c, "", 0);
    chat_client_queue(r, c, msg, sizeof msg - 1);
    c->closing = 1;
    chat_client_level(r, c);
    c->closing_ms = nk_now_ms();
    if (c->joined)
        room_notice(r, c, "leave", c->nick, "reason", "too slow",
                    "* %s left (too slow: output backed up, disconnected)",
                    c->nick);
    c->joined = 0;
}

/* The end of a round: flush, then remove dead clients; each leave is
 * announced, which may in turn find another client too slow, so repeat
 * until none is left dead. A dead client is never on the dirty list:
 * client_queue skips the dead, and the list is empty when one is freed. */
static void
room_reap(struct room *r)
{
    for (;;) {
        struct client **pp = &r->head, *c;
        chat_room_flush(r);
        while (*pp != NULL && !(*pp)->dead)
            pp = &(*pp)->next;
        if (*pp == NULL)
            return;
        c = *pp;
        if (strncmp(c->why, "too slow", 8) == 0 && !c->closing) {
            slow_out(r, c);
            continue;
        }
        *pp = c->next;
        chat_client_level(r, c); /* dead: holds nobody now */
        nk_loop_del(r->loop, c->fd);
        nk_close(c->fd);
        r->nclients--;
        nk_diag(NAME, "%s%s%s disconnected%s%s", c->peer,
                c->nick[0] ? " " : "", c->nick, c->why[0] ? ": " : "", c->why);
        if (c->joined)
            room_notice(r, NULL, "leave", c->nick, "reason",
                        c->why[0] ? c->why : "left",
                        c->why[0] ? "* %s left (%s)" : "* %s left%s", c->nick,
                        c->why);
        free(c->out);
        free(c->pend);
        free(c);
    }
}

/* A new connection: queued output, Nagle off (chat lines are small and
 * should go at once), a fixed send buffer so OUT_MAX is the real bound. */
static void
client_open(struct room *r, int fd, const struct nk_addr *peer)
{
    struct client *c;
    struct client_ev *ce;

    c = calloc(1, sizeof *c + sizeof *ce);
    if (c == NULL) {
        nk_close(fd);
        return;
    }
    ce = (struct client_ev *)(c + 1);
    ce->r = r;
    ce->c = c;
    c->fd = fd;
    nk_chat_asm_init(&c->in, c->inbuf, sizeof c->inbuf);
    /* A second's worth of burst, and at least one whole line. */
    nk_chat_bucket_init(&c->bucket, (long long)r->o.rate,
                        r->o.rate > NK_CHAT_LINE_MAX ? (long long)r->o.rate
                                                     : NK_CHAT_LINE_MAX + 1,
                        nk_now_ms());
    nk_peer_format(peer, c->peer, sizeof c->peer);
    (void)nk_sockopt_set_int(fd, NK_SOCKOPT(IPPROTO_TCP, TCP_NODELAY), 1,
                             NULL);
    (void)nk_sockopt_set_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_SNDBUF), SNDBUF,
                             NULL);
    if (nk_loop_add(r->loop, fd, NK_EV_READ, chat_on_client, ce, NULL) < 0) {
        nk_close(fd);
        free(c);
        return;
    }
    c->ev = NK_EV_READ;
    c->next = r->head;
    r->head = c;
    r->nclients++;
    nk_diag(NAME, "%s connected", c->peer);
    tell(r, c,
         "* welcome to %s's room; '/nick NAME' to pick a nick, /help for "
         "commands",
         r->nick);
}

/* What a newcomer the room cannot take is told: when --max-clients are
 * in, and out of descriptors (the acceptor's spare, accept.h). */
static const char room_full[] = "* the room is full\n";

static void
on_listen(struct nk_loop *loop, int fd, unsigned ev, void *arg)
{
    struct room *r = arg;
    struct nk_addr peer;
    struct nk_err err;

    (void)ev;
    for (int i = 0; i < ACCEPT_BATCH && !r->closed; i++) {
        int cfd = nk_acceptor_next(&r->acc, &peer, &err);
        nk_server_accept_note(NAME, &err); /* rate-limited */
        if (cfd == NK_ACC_PAUSE)           /* or the listener spins the loop */
            (void)nk_loop_mod(loop, fd, 0, NULL);
        if (cfd == NK_ACC_NONE || cfd == NK_ACC_PAUSE)
            return;
        if (cfd < 0) /* one client shed or failed: go on */
            continue;
        if (r->o.max_clients > 0 && r->nclients >= r->o.max_clients) {
            /* Its /nick is read first (nk_answer_close): a close with
             * unread input is a reset, which could beat the notice. */
            nk_answer_close(cfd, room_full);
            nk_diag(NAME, "a client turned away: the room is full");
            continue;
        }
        client_open(r, cfd, &peer);
    }
}

static void
operator_line(void *arg, const char *s, size_t n, int cut)
{
    chat_on_line(arg, NULL, s, n, cut);
}

static void
console_off(struct room *r)
{
    if (!r->console)
        return;
    nk_loop_del(r->loop, STDIN_FILENO);
    r->console = 0;
    r->console_paused = 0;
}

static void
on_console(struct nk_loop *loop, int fd, unsigned ev, void *arg)
{
    struct room *r = arg;
    int k;

    (void)loop;
    (void)ev;
    if (r->nhigh > 0) { /* the operator waits for the readers too */
        r->console_paused = 1;
        (void)nk_loop_mod(r->loop, fd, 0, NULL);
        return;
    }
    /* Small reads: a console read's lines all go out (no stash), so its
     * size bounds how far one read can push a queue past HIGH_WATER. */
    k = chat_term_read(&r->term, fd, r->buf, CONSOLE_CHUNK, operator_line, r);
    if (k == CHAT_KEY_END) {
        if (!r->closed) {
            console_off(r);
            nk_diag(NAME, "end of console input; the room goes on "
                          "(SIGINT or SIGTERM closes it)");
        }
        return;
    }
    if (k == CHAT_KEY_EOF)
        room_close(r, "closed the room");
}

/* Close the room: the last notice to everyone, no more input from
 * anyone; the caller flushes for a moment and exits. */
static void
room_close(struct room *r, const char *why)
{
    if (r->closed)
        return;
    if (strcmp(why, "closed the room") == 0)
        room_notice(r, NULL, "close", r->nick, NULL, NULL,
                    "* %s closed the room", r->nick);
    else
        room_notice(r, NULL, "close", NULL, "reason", why,
                    "* the room is closing (%s)", why);
    r->closed = 1;
    console_off(r);
    nk_loop_del(r->loop, r->lfd);
    for (struct client *c = r->head; c != NULL; c = c->next) {
        c->joined = 0; /* no leave notices now: the room is gone */
        if (!c->closing) {
            c->closing = 1;
            c->closing_ms = nk_now_ms();
            chat_client_flush(r, c);
        }
    }
}

/* A client that never ends its lines (the lesson's chat client sends
 * each message bare): a partial line is due once PARTIAL_MS passed with
 * no more bytes, unless bytes it sent are still unread (paused) or the
 * room is held. */
static int
partial_pending(const struct client *c)
{
    return !c->in.pending && (c->in.len > 0 || c->in.cut);
}

static int
partial_due(const struct room *r, const struct client *c, int64_t now)
{
    return partial_pending(c) && !c->dead && !c->closing && !c->paused &&
           c->pend_off == c->pend_len && r->nhigh == 0 &&
           now - c->rx_ms >= PARTIAL_MS;
}

static void
partial_deliver(struct room *r, struct client *c)
{
    struct nk_chat_line ln;

    if (nk_chat_asm_finish(&c->in, &ln))
        chat_on_line(r, c, ln.text, ln.len, ln.cut);
}

/* The loop's wait, shortened to the next partial line's due time. */
static int
partial_wait_ms(const struct room *r, int ms)
{
    int64_t now = nk_now_ms();

    for (const struct client *c = r->head; c != NULL; c = c->next) {
        if (partial_pending(c) && !c->dead) {
            int64_t d = c->rx_ms + PARTIAL_MS - now;
            if (d < ms)
                ms = d < 1 ? 1 : (int)d;
        }
    }
    return ms;
}

/* Timers, once a round: accepts paused after EMFILE, leaving clients
 * that do not take their last lines, readers that hold the room too
 * long, paused senders whose turn has come. */
static void
room_tick(struct room *r, int64_t now)
{
    if (nk_acceptor_resume(&r->acc, now) && !r->closed)
        (void)nk_loop_mod(r->loop, r->lfd, NK_EV_READ, NULL);
    for (struct client *c = r->head; c != NULL; c = c->next) {
        if (c->closing &&
            (c->off == c->len || now - c->closing_ms > CLOSE_GRACE_MS))
            chat_client_kill(c, "");
        else if (c->high && now - c->high_ms >= r->o.drop_after_ms)
            chat_client_kill(c, "too slow: output backed up, disconnected");
        else if (partial_due(r, c, now))
            partial_deliver(r, c);
    }
    room_reap(r);
    chat_room_resume(r, now);
    room_reap(r); /* what the resumed senders said goes out now */
}

/* epoll refuses regular files and /dev/null (EPERM); poll(2) takes
 * them, so a console read from a file gets the poll backend. */
static int
room_loop(struct room *r, struct nk_err *err)
{
    r->loop = nk_loop_new(NK_LOOP_DEFAULT, err);
    if (r->loop == NULL)
        return -1;
    if (r->console && nk_loop_add(r->loop, STDIN_FILENO, NK_EV_READ,
                                  on_console, r, NULL) < 0) {
        nk_loop_free(r->loop);
        r->loop = nk_loop_new(NK_LOOP_POLL, err);
        if (r->loop == NULL || nk_loop_add(r->loop, STDIN_FILENO, NK_EV_READ,
                                           on_console, r, err) < 0)
            return -1;
    }
    return nk_loop_add(r->loop, r->lfd, NK_EV_READ, on_listen, r, err);
}

static void
room_free(struct room *r)
{
    while (r->head != NULL) {
        struct client *c = r->head;
        r->head = c->next;
        nk_loop_del(r->loop, c->fd);
        nk_close(c->fd);
        free(c->out);
        free(c->pend);
        free(c);
    }
    nk_loop_free(r->loop);
    nk_close(r->lfd);
    nk_acceptor_free(&r->acc);
}

static int
room_pending(const struct room *r)
{
    for (const struct client *c = r->head; c != NULL; c = c->next)
        if (c->off < c->len)
            return 1;
    return 0;
}

static int
room_run(struct room *r)
{
    struct nk_err err;
    int64_t until = 0;

    while (!r->closed || (room_pending(r) && nk_now_ms() < until)) {
        int ms = TICK_MS;
        if (r->wake_ms != 0) {
            int64_t d = r->wake_ms - nk_now_ms();
            ms = d < 1 ? 1 : d < TICK_MS ? (int)d : TICK_MS;
        }
        ms = partial_wait_ms(r, ms);
        if (nk_loop_run_once(r->loop, ms, &err) < 0) {
            return nk_fail(NAME, NULL, &err);
        }
        if (nk_stop_requested() && !r->closed) {
            room_close(r, nk_server_stop_name());
        }
        if (r->closed && until == 0)
            until = nk_now_ms() + STOP_FLUSH_MS;
        room_tick(r, nk_now_ms());
        chat_out_flush(); /* the round's transcript (term.hold) */
    }
    return NK_EX_OK;
}

static int
room_serve(struct nk_ctx *ctx, struct serve_opts *o, const char *mode,
           const char *fdname)
{
    struct nk_listen_opts lo = {.host = o->bind,
                                .port = o->port,
                                .family = AF_UNSPEC,
                                .socktype = SOCK_STREAM,
                                .backlog = 128,
                                .reuseaddr = 1,
                                .mode = mode};
    static struct room room;
    struct room *r = &room;
    struct nk_err err;
    char addr[NK_ADDRSTRLEN];
    int rc;

    memset(r, 0, sizeof *r);
    r->o = *o;
    r->json = ctx->json;
    r->lfd = -1;
    r->acc.spare = -1;
    r->console = !o->no_console;
    snprintf(r->nick, sizeof r->nick, "%s", o->name);
    nk_net_init();
    if (nk_server_stop_install(&err) < 0 ||
        (r->lfd = nk_listen_activated(&lo, fdname, NULL, &err)) < 0 ||
        nk_set_nonblock(r->lfd, 1, &err) < 0 ||
        nk_acceptor_init(&r->acc, r->lfd, room_full, &err) < 0 ||
        room_loop(r, &err) < 0) {
        room_free(r);
        return nk_fail(NAME, NULL, &err);
    }
    nk_server_announce_fd(NAME, r->lfd, addr, sizeof addr);
    if (r->console)
        chat_term_open(&r->term, r->nick, r->json);
    else /* no line editing: not reading */
        chat_term_open(&r->term, r->nick, 1);
    r->term.hold = 1;
    rc = room_run(r);
    chat_term_close(&r->term);
    nk_server_stopped(NAME, NULL);
    room_free(r);
    nk_stop_uninstall();
    return rc;
}

/* What the option table fills. */
struct serve_parse {
    struct serve_opts o;
    const char *mode;   /* a unix:PATH socket file's permissions */
    const char *fdname; /* of the sockets systemd passed, this one */
    int have_port, lesson, inetd;
};

/* --port (kept as the number's text) and --name (a valid nickname). */
static int
room_option(const struct nk_ctx *ctx, const struct nk_optdef *def,
            const char *arg, void *values)
{
    struct serve_parse *p = values;
    uint16_t port;
    const char *why;

    if (def->letter == 'n') {
        if (nk_chat_nick_check(arg, strlen(arg), &why) < 0)
            return nk_usage_error(ctx, "--name: %s", why);
        p->o.name = arg;
        return 0;
    }
    if (nk_opt_port(ctx, "--port", arg, 1, &port) != 0)
        return NK_EX_USAGE;
    snprintf(p->o.port, sizeof p->o.port, "%u", (unsigned)port);
    p->have_port = 1;
    return 0;
}

const struct nk_optdef chat_serve_optdefs[] = {
    {'p', "port", NK_OPT_CALL, 0, 0, 0, "P",
     "port to listen on (0: an ephemeral port)", NULL, room_option},
    NK_OPT('b', "bind", NK_OPT_STRING, struct serve_parse, o.bind, 0, 0,
           "ADDR",
           "address to listen on (default: every address);\n"
           "unix:PATH or unix:@NAME for a Unix socket"),
    NK_OPT_MODE(struct serve_parse, mode),
    {'n', "name", NK_OPT_CALL, 0, 0, 0, "NICK",
     "the operator's nickname (default: server)", NULL, room_option},
    NK_OPT('M', "max-clients", NK_OPT_U64, struct serve_parse, o.max_clients,
           0, 100000, "N",
           "clients at once; more are told the room is\n"
           "full (default 1000)"),
    NK_OPT(0, "rate", NK_OPT_U64, struct serve_parse, o.rate, 0, 1000000000,
           "B",
           "bytes per second each client may send; past\n"
           "it the room reads it more slowly, never drops\n"
           "a line (default 1048576, 1 s of burst; 0: no\n"
           "limit)"),
    NK_OPT(0, "drop-after", NK_OPT_SECONDS, struct serve_parse,
           o.drop_after_ms, 100, 3600000, "S",
           "drop a client whose output stays backed up\n"
           "(over 64 KiB) for S seconds; meanwhile the\n"
           "room reads nobody (default 10)"),
    NK_OPT(0, "no-console", NK_OPT_FLAG, struct serve_parse, o.no_console, 0,
           0, NULL, "do not read stdin (a daemon)"),
    NK_OPT_JSON_DEF("the transcript as JSON Lines"),
    CHAT_OPT_LESSON(struct serve_parse),
    NK_OPT_FDNAME(struct serve_parse, fdname),
    NK_OPT_INETD(struct serve_parse, inetd,
                 "refused: a room needs its members in one\n"
                 "process, inetd starts one per connection (use\n"
                 "socket activation, Accept=no, instead)"),
    NK_OPT_HELP_DEF,
    NK_OPT_END,
};

int
chat_serve(int argc, char **argv, struct nk_ctx *ctx)
{
    struct serve_parse p;
    unsigned long long given;
    struct nk_err err;
    int rc;

    memset(&p, 0, sizeof p);
    p.o.name = "server";
    p.o.max_clients = 1000;
    p.o.rate = RATE_DEFAULT;
    p.o.drop_after_ms = DROP_AFTER_MS;
    rc = nk_opt_parse_given(ctx, &chat_serve_spec, argc, argv, &p, &given);
    if (rc != NK_OPT_GO)
        return rc;
    if (p.lesson)
        return chat_lesson(ctx, 1, chat_serve_optdefs, given,
                           p.have_port ? p.o.port : NULL, p.o.bind, argc,
                           argv);
    if (optind < argc)
        return nk_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
    /* One process per connection (inetd nowait, Accept=yes) would make a
     * room of one: nobody to chat with. The lesson's one-to-one needs the
     * operator's terminal, which inetd does not give either. */
    if (p.inetd)
        return nk_usage_error(ctx, "--inetd: a room needs every member in "
                                   "one process, and inetd starts one per "
                                   "connection; let systemd pass the "
                                   "listening socket instead (Accept=no)");
    if (!p.have_port && !nk_host_is_unix(p.o.bind) &&
        nk_activation_passed(&err) == 0)
        return nk_usage_error(ctx, "--port is required (0 picks one)");
    return room_serve(ctx, &p.o, p.mode, p.fdname);
}

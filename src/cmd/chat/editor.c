/* The chat terminal line editor, shared by chat connect (client.c) and
 * the room's operator console (room.c): one input line owned by us,
 * redrawn under each incoming line; from a pipe or file, lines are
 * assembled instead. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "chat_int.h"
#include "netkit/out.h"

void
chat_out_flush(void)
{
    fflush(stdout);
}

static void
term_redraw(const struct chat_term *t)
{
    nk_out_raw("\r\033[K", 4);
    nk_out_raw(t->prompt, strlen(t->prompt));
    nk_out_raw(t->line, t->len);
}

/* Non-canonical mode without echo: we read each key and draw the line
 * ourselves. ISIG stays on, so Ctrl-C is SIGINT, which ends the loop and
 * leads back here to chat_term_close on the way out. */
void
chat_term_open(struct chat_term *t, const char *nick, int json)
{
    struct termios raw;

    memset(t, 0, sizeof *t);
    t->json = json;
    nk_chat_asm_init(&t->as, t->asbuf, sizeof t->asbuf);
    snprintf(t->prompt, sizeof t->prompt, "%.*s> ",
             (int)strnlen(nick, NK_CHAT_NICK_MAX), nick);
    if (json || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return;
    if (tcgetattr(STDIN_FILENO, &t->saved) < 0)
        return;
    raw = t->saved;
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0)
        return;
    t->saved_ok = 1;
    t->on = 1;
    term_redraw(t);
    chat_out_flush();
}

void
chat_term_close(struct chat_term *t)
{
    if (t->on) {
        nk_out_raw("\r\033[K", 4);
        chat_out_flush();
    }
    if (t->saved_ok)
        (void)tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
    t->saved_ok = 0;
    t->on = 0;
}

void
chat_term_set_prompt(struct chat_term *t, const char *nick)
{
    snprintf(t->prompt, sizeof t->prompt, "%.*s> ",
             (int)strnlen(nick, NK_CHAT_NICK_MAX), nick);
    if (t->on) {
        term_redraw(t);
        chat_out_flush();
    }
}

/* Print one finished line (already safe for a terminal) above the line
 * being typed, which is then drawn again as it was. */
void
chat_term_print(struct chat_term *t, const char *s, size_t n)
{
    if (t->on)
        nk_out_raw("\r\033[K", 4);
    nk_out_raw(s, n);
    nk_out_raw("\n", 1);
    if (t->on)
        term_redraw(t);
    if (!t->hold)
        chat_out_flush();
}

/* Delete the last UTF-8 character of the line being typed. */
static void
term_rubout(struct chat_term *t)
{
    while (t->len > 0 && ((unsigned char)t->line[t->len - 1] & 0xc0) == 0x80)
        t->len--;
    if (t->len > 0)
        t->len--;
}

/* One key on a terminal. CHAT_KEY_LINE when Enter finished a line (its text in
 * t->line[0..len), to be taken and cleared by the caller). Escape
 * sequences (arrows, function keys) are swallowed: they must not end up
 * in a message. */
static int
term_key(struct chat_term *t, unsigned char c)
{
    if (t->esc == 1) {
        t->esc = (c == '[' || c == 'O') ? 2 : 0;
        return CHAT_KEY_NONE;
    }
    if (t->esc == 2) {
        if (c >= 0x40 && c <= 0x7e)
            t->esc = 0;
        return CHAT_KEY_NONE;
    }
    switch (c) {
    case '\r':
    case '\n':
        nk_out_raw("\n", 1);
        return CHAT_KEY_LINE;
    case 0x04: /* Ctrl-D: end of input on an empty line */
        return t->len == 0 ? CHAT_KEY_EOF : CHAT_KEY_NONE;
    case 0x1b:
        t->esc = 1;
        return CHAT_KEY_NONE;
    case 0x7f:
    case 0x08:
        term_rubout(t);
        break;
    case 0x15: /* Ctrl-U */
        t->len = 0;
        break;
    case 0x17: /* Ctrl-W: the word before the cursor */
        while (t->len > 0 && t->line[t->len - 1] == ' ')
            t->len--;
        while (t->len > 0 && t->line[t->len - 1] != ' ')
            t->len--;
        break;
    case 0x0c: /* Ctrl-L */
        break;
    default:
        if ((c < 0x20 && c != '\t') || t->len >= sizeof t->line)
            return CHAT_KEY_NONE;
        t->line[t->len++] = (char)c;
        nk_out_raw(&c, 1);
        return CHAT_KEY_NONE;
    }
    term_redraw(t);
    return CHAT_KEY_NONE;
}

/* Bytes read from stdin: each finished line goes to fn. On a terminal
 * the keys edit the line; otherwise lines are assembled (bounded). */
int
chat_term_input(struct chat_term *t, const char *p, size_t n, chat_line_fn fn,
                void *arg)
{
    struct nk_chat_line ln;
    int got;

    if (!t->on) {
        while (n > 0) {
            size_t k = nk_chat_asm_feed(&t->as, p, n, &ln, &got);
            p += k;
            n -= k;
            if (got)
                fn(arg, ln.text, ln.len, ln.cut);
        }
        return CHAT_KEY_NONE;
    }
    for (size_t i = 0; i < n; i++) {
        int k = term_key(t, (unsigned char)p[i]);
        if (k == CHAT_KEY_EOF) {
            chat_out_flush();
            return CHAT_KEY_EOF;
        }
        if (k == CHAT_KEY_LINE) {
            char copy[NK_CHAT_LINE_MAX];
            size_t len = t->len;
            memcpy(copy, t->line, len);
            t->len = 0;
            term_redraw(t);
            fn(arg, copy, len, 0);
        }
    }
    chat_out_flush();
    return CHAT_KEY_NONE;
}

/* The last unterminated line of a pipe at its end. */
void
chat_term_input_end(struct chat_term *t, chat_line_fn fn, void *arg)
{
    struct nk_chat_line ln;

    if (!t->on && nk_chat_asm_finish(&t->as, &ln))
        fn(arg, ln.text, ln.len, ln.cut);
}

/* One read of fd (stdin, non-blocking or ready) fed to the editor. An
 * interrupted or empty-handed read is no end: the loop calls again. */
int
chat_term_read(struct chat_term *t, int fd, char *buf, size_t cap,
               chat_line_fn fn, void *arg)
{
    ssize_t n = read(fd, buf, cap);

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return CHAT_KEY_NONE;
    if (n > 0)
        return chat_term_input(t, buf, (size_t)n, fn, arg);
    chat_term_input_end(t, fn, arg);
    return CHAT_KEY_END;
}

/* The chat command's private interface. chat.c holds the usage texts and
 * the dispatch; chat_room.c and chat_flow.c the server (chat serve, with
 * chat_room.h between them); chat_client.c the client (chat connect) and
 * the terminal line editor both use. */
#ifndef NETKIT_CMD_CHAT_INT_H
#define NETKIT_CMD_CHAT_INT_H

#include <stddef.h>
#include <termios.h>

#include "commands.h"
#include "netkit/chat.h"

#define READ_CHUNK 16384    /* one read per client per round: fairness */
#define CLOSE_GRACE_MS 3000 /* a leaving client's time to take its bye */
#define TICK_MS 500
#define NAME "chat"

/* The subcommands: argv[0] is the subcommand name, the return value is
 * the exit status. */
int chat_serve(int argc, char **argv, struct nk_ctx *ctx);
int chat_connect(int argc, char **argv, struct nk_ctx *ctx);
/* Their usage (chat.c) around their option tables (chat_room.c,
 * chat_client.c). */
extern const struct nk_optspec chat_serve_spec, chat_connect_spec;
extern const struct nk_optdef chat_serve_optdefs[], chat_connect_optdefs[];

/* --lesson (chat_lesson.c): the lesson's one-to-one chat (server: serve,
 * else connect), after the subcommand's own parse: defs and given say
 * which options were given (only --port, and --bind for serve, go with
 * --lesson); the operands are argv[optind..argc). */
int chat_lesson(const struct nk_ctx *ctx, int server,
                const struct nk_optdef *defs, unsigned long long given,
                const char *port, const char *bind, int argc, char **argv);

/* The terminal: one input line owned by us, redrawn under output (on a
 * terminal), or lines assembled from a pipe or file. */
struct chat_term {
    int on; /* stdin and stdout are terminals: we edit the line */
    int saved_ok;
    struct termios saved;
    char prompt[NK_CHAT_NICK_MAX + 4];
    char line[NK_CHAT_LINE_MAX];
    size_t len;
    int esc; /* 1 after ESC, 2 inside a CSI or SS3 sequence */
    int json;
    int hold; /* the room flushes stdout once a round, not once a line */
    struct nk_chat_asm as; /* not a terminal: lines from a pipe or file */
    char asbuf[NK_CHAT_LINE_MAX];
};

enum { CHAT_KEY_NONE, CHAT_KEY_LINE, CHAT_KEY_EOF };

/* Called with each finished input line; cut: it was longer than
 * NK_CHAT_LINE_MAX and was cut. */
typedef void (*chat_line_fn)(void *arg, const char *s, size_t n, int cut);

/* fflush(stdout). */
void chat_out_flush(void);

/* Set t up with the prompt "NICK> "; when stdin and stdout are terminals
 * (and not json), switch to non-canonical mode and draw the line. */
void chat_term_open(struct chat_term *t, const char *nick, int json);

/* Clear the line being typed and restore the terminal's saved mode. */
void chat_term_close(struct chat_term *t);

/* A new prompt "NICK> ", redrawn at once on a terminal. */
void chat_term_set_prompt(struct chat_term *t, const char *nick);

/* Print one finished line (already safe for a terminal) above the line
 * being typed; flushed unless t->hold. */
void chat_term_print(struct chat_term *t, const char *s, size_t n);

/* Feed bytes read from stdin; each finished line goes to fn. Returns
 * CHAT_KEY_EOF on Ctrl-D on an empty terminal line, else CHAT_KEY_NONE. */
int chat_term_input(struct chat_term *t, const char *p, size_t n,
                    chat_line_fn fn, void *arg);

/* At the end of piped input: its last unterminated line, if any, to fn. */
void chat_term_input_end(struct chat_term *t, chat_line_fn fn, void *arg);

#endif

/* The chat command's private interface. chat.c holds the usage texts and
 * the dispatch; room.c and flow.c the server (chat serve, with
 * chat_int.h between them); client.c the client (chat connect);
 * editor.c the terminal line editor both use. */
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
/* Their usage (chat.c) around their option tables (room.c,
 * client.c). */
extern const struct nk_optspec chat_serve_spec, chat_connect_spec;
extern const struct nk_optdef chat_serve_optdefs[], chat_connect_optdefs[];

/* --lesson (lesson.c): the lesson's one-to-one chat (server: serve,
 * else connect), after the subcommand's own parse: defs and given say
 * which options were given (only --port, and --bind for serve, go with
 * --lesson); the operands are argv[optind..argc). */
int chat_lesson(const struct nk_ctx *ctx, int server,
                const struct nk_optdef *defs, unsigned long long given,
                const char *port, const char *bind, int argc, char **argv);
/* The --lesson row of both subcommands' option tables (type: the parse
 * struct, with an int field lesson). */
#define CHAT_OPT_LESSON(type)                                                 \
    NK_OPT(0, "lesson", NK_OPT_FLAG, type, lesson, 0, 0, NULL,                \
           "the lesson's one-to-one chat (see above)")

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

/* CHAT_KEY_EOF: Ctrl-D on an empty terminal line; CHAT_KEY_END: the
 * input itself ended (end of file or a read error). */
enum { CHAT_KEY_NONE, CHAT_KEY_LINE, CHAT_KEY_EOF, CHAT_KEY_END };

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

/* Read fd once (at most cap bytes into buf) and feed it to t. Returns
 * CHAT_KEY_NONE while input goes on (also after EINTR or EAGAIN),
 * CHAT_KEY_EOF on Ctrl-D, CHAT_KEY_END when the input ended (the last
 * unterminated line of a pipe has then gone to fn). */
int chat_term_read(struct chat_term *t, int fd, char *buf, size_t cap,
                   chat_line_fn fn, void *arg);

#include <stddef.h>
#include <stdint.h>

#include "netkit/accept.h"
#include "netkit/evloop.h"
#include "netkit/net.h"

#define OUT_MAX (256 * 1024) /* output queued for one client, at most */
/* Back-pressure: while any client's queue is above HIGH_WATER the room
 * reads no sender (nobody's line is taken, nobody's is dropped); reading
 * resumes when every queue is at or below LOW_WATER. A client whose queue
 * stays above HIGH_WATER for --drop-after seconds is dropped. */
#define HIGH_WATER (64 * 1024)
#define LOW_WATER (16 * 1024)
#define DROP_AFTER_MS 10000    /* --drop-after's default */
#define RATE_DEFAULT (1 << 20) /* --rate's default, bytes per second */
#define CONSOLE_CHUNK 1024     /* one console read: bounds its fan-out */
#define SNDBUF                                                                \
    (64 * 1024)              /* kernel send buffer per client (fixed, so      \
                              * OUT_MAX is what bounds a stuck client) */
#define FLUSH_AT (64 * 1024) /* queued past this: sent at once */
#define ACCEPT_BATCH 64
#define STOP_FLUSH_MS 2000 /* the room's last words at shutdown */
/* A line left unterminated this long after its last byte is delivered
 * as it is: the lesson's chat client sends messages without a newline. */
#define PARTIAL_MS 300
#define WIRE_MAX (NK_CHAT_SAFE_MAX + NK_CHAT_NICK_MAX + 128)

/* --- the room ----------------------------------------------------------- */

struct client {
    int fd;
    int joined;   /* announced: has spoken or chosen a nick */
    int closing;  /* told goodbye: flush what is queued, then close */
    int dead;     /* to be removed by room_reap */
    char why[96]; /* dead: the reason for the leave notice ("" = none) */
    int64_t closing_ms;
    char nick[NK_CHAT_NICK_MAX + 1];
    char peer[NK_ADDRSTRLEN];
    struct nk_chat_asm in;
    char inbuf[NK_CHAT_LINE_MAX];
    char *out; /* queued output [off, len), at most OUT_MAX */
    size_t off, len, cap;
    unsigned ev; /* the events asked of the loop: changed only on change */
    int mid;     /* the last byte sent was not a newline: mid-line */
    int high;    /* queue above HIGH_WATER: holds every sender */
    int64_t high_ms;
    int64_t rx_ms; /* when bytes last came from it (PARTIAL_MS) */
    int paused;    /* not read: the room is held, or its budget is spent */
    struct nk_chat_bucket bucket; /* --rate */
    char *pend; /* read but not yet taken when it was paused */
    size_t pend_off, pend_len;
    struct client *next;
    int dirty; /* on the room's list of clients to flush */
    struct client *next_dirty;
};

struct serve_opts {
    char port[8];
    const char *bind;
    const char *name;
    uint64_t max_clients;
    uint64_t rate; /* bytes per second per client, 0: no limit */
    int drop_after_ms;
    int no_console;
};

struct room {
    struct serve_opts o;
    int json;
    struct nk_loop *loop;
    int lfd;
    struct nk_acceptor acc; /* out of descriptors: "the room is full" on
                             * the spare, then a pause (accept.h) */
    int console;            /* stdin is read */
    int closed;             /* the room is closing: no more input */
    struct client *head;
    struct client *dirty; /* queued output not yet tried this round */
    uint64_t nclients;
    unsigned nhigh;     /* clients above HIGH_WATER: no sender is read */
    int console_paused; /* the console is not read while the room is held */
    int any_paused;     /* some client may be paused: room_resume looks */
    uint64_t resume_rr; /* where the next resume starts: each gets a turn */
    int64_t wake_ms;    /* the next paused client's budget is back */
    unsigned guest_seq;
    char nick[NK_CHAT_NICK_MAX + 1]; /* the operator's */
    struct chat_term term;
    char wire[WIRE_MAX];
    char safe[NK_CHAT_SAFE_MAX + 1];
    char buf[READ_CHUNK];
};

/* The argument of a client's loop callback. */
struct client_ev {
    struct room *r;
    struct client *c;
};

/* room.c */

/* Mark c to be removed at the end of the round; why ("" for none) is
 * the reason in its leave notice; "too slow..." drops it with a notice. */
void chat_client_kill(struct client *c, const char *why);
/* One line from client c (NULL: the operator); cut: it was too long. */
void chat_on_line(struct room *r, struct client *c, const char *s, size_t n,
                  int cut);

/* flow.c */

/* Keep c's high-water state and the room's count of held readers. */
void chat_client_level(struct room *r, struct client *c);
/* Send what is queued for c, as far as the kernel takes it. */
void chat_client_flush(struct room *r, struct client *c);
/* Queue one line (newline added) for c; past OUT_MAX, c is dropped. */
void chat_client_queue(struct room *r, struct client *c, const char *s,
                       size_t n);
/* Send what this round queued. */
void chat_room_flush(struct room *r);
/* The loop callback of a client's socket (arg: its struct client_ev). */
void chat_on_client(struct nk_loop *loop, int fd, unsigned ev, void *arg);
/* Give paused senders their turn back when the room allows. */
void chat_room_resume(struct room *r, int64_t now);

#endif

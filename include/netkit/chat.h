/* The chat line protocol, pure code (no sockets, no terminal): line
 * assembly from a byte stream, bye words, nicknames, making text safe for
 * another person's terminal, and the /commands. Used by netkit chat's
 * room server and its client alike. */
#ifndef NETKIT_CHAT_H
#define NETKIT_CHAT_H

#include <stddef.h>

/* Longest line a participant may send; longer ones are cut. */
#define NK_CHAT_LINE_MAX 4096
/* Longest nickname in bytes (UTF-8 allowed). */
#define NK_CHAT_NICK_MAX 32
/* Room for a sanitized line: each input byte becomes at most 4 bytes. */
#define NK_CHAT_SAFE_MAX (4 * NK_CHAT_LINE_MAX)

/* A line assembler over a caller-owned buffer of cap bytes: memory never
 * grows, whatever the stream. */
struct nk_chat_asm {
    char *buf;
    size_t cap;  /* the longest line kept; longer lines are cut */
    size_t len;  /* bytes of the current line kept so far */
    int cut;     /* the current line went past cap: the rest is dropped */
    int pending; /* a line is complete and was handed out */
};

/* One complete line, without its CR LF or LF; valid until the next call. */
struct nk_chat_line {
    const char *text;
    size_t len;
    int cut; /* the sender's line was longer than the bound */
};

/* Start assembling into buf[0..cap) (cap >= 1). */
void nk_chat_asm_init(struct nk_chat_asm *a, char *buf, size_t cap);

/* Take bytes from p[0..n) up to and including the first line end (LF;
 * a CR just before it is dropped). Returns the bytes taken; *got is 1
 * when *line holds a complete line, else 0 (every byte was taken and
 * kept, or dropped past the bound). Call again with the rest. */
size_t nk_chat_asm_feed(struct nk_chat_asm *a, const char *p, size_t n,
                        struct nk_chat_line *line, int *got);

/* At end of stream: the unterminated last line, if any (1), else 0. */
int nk_chat_asm_finish(struct nk_chat_asm *a, struct nk_chat_line *line);

/* 1 when s[0..n) is a bye word of the lesson ("bye", "byebye", "bubye",
 * "bye bye", "tata", "see you"), ASCII case and surrounding white space
 * ignored; else 0. */
int nk_chat_is_bye(const char *s, size_t n);

/* Check a nickname: 1 to NK_CHAT_NICK_MAX bytes of valid UTF-8 with no
 * control byte (C0, DEL, C1), no space and no ':' (it would read as the
 * "NICK: text" separator), nothing invisible or that reorders text
 * (Unicode's Default_Ignorable_Code_Point, which holds Bidi_Control, and
 * every other White_Space character), and not starting with '*' or an
 * asterisk lookalike (it would read as a "* ..." notice). 0 when valid,
 * else -1 and *why (static text, may be NULL) says what is wrong. */
int nk_chat_nick_check(const char *s, size_t n, const char **why);

/* Copy s[0..n) into out (cap >= 4 * n + 1 is always enough) so it is
 * safe on a terminal: valid UTF-8 and tab pass untouched, C0 controls
 * and DEL become "\xNN", C1 controls (U+0080..U+009F) "\u00NN", bytes
 * that are not valid UTF-8 "\xNN". Stops early rather than overflow.
 * Returns the length written; out is NUL-terminated. */
size_t nk_chat_sanitize(const char *s, size_t n, char *out, size_t cap);

/* A sender's byte budget (token bucket): `rate` bytes per second, at
 * most `burst` saved up. Pure arithmetic on a caller's millisecond clock;
 * the room stops reading a sender whose budget is spent (TCP back-pressure)
 * and never drops its lines. Tokens are kept in thousandths of a byte so
 * that low rates refill exactly however often the clock is read. */
struct nk_chat_bucket {
    long long rate;   /* bytes per second; 0: no limit */
    long long burst;  /* bytes */
    long long milli;  /* tokens, in 1/1000 byte; below 0 after overspending */
    long long now_ms; /* the clock at the last refill */
};

/* A full bucket at time now_ms. */
void nk_chat_bucket_init(struct nk_chat_bucket *b, long long rate,
                         long long burst, long long now_ms);
/* Add what time brought since the last call (capped at burst). */
void nk_chat_bucket_refill(struct nk_chat_bucket *b, long long now_ms);
/* Spend n bytes (the budget may go below zero). */
void nk_chat_bucket_spend(struct nk_chat_bucket *b, size_t n);
/* Whole bytes in the bucket now (after nk_chat_bucket_refill); with no
 * limit, always burst. */
long long nk_chat_bucket_bytes(const struct nk_chat_bucket *b);
/* Milliseconds until the bucket holds at least `want` bytes (0: it does;
 * want is capped at burst). */
long long nk_chat_bucket_wait_ms(const struct nk_chat_bucket *b,
                                 long long want);

/* What a line asks for. */
enum nk_chat_kind {
    NK_CHAT_EMPTY,   /* nothing but white space: ignored */
    NK_CHAT_TEXT,    /* a message ("//x" is the message "/x") */
    NK_CHAT_BYE,     /* a bye word: delivered, then the speaker leaves */
    NK_CHAT_NICK,    /* /nick NAME (arg: NAME, trimmed) */
    NK_CHAT_WHO,     /* /who */
    NK_CHAT_HELP,    /* /help */
    NK_CHAT_QUIT,    /* /quit: leave without a message */
    NK_CHAT_UNKNOWN, /* another /word (arg: the whole word) */
};

struct nk_chat_cmd {
    enum nk_chat_kind kind;
    const char *arg; /* TEXT and BYE: the message; NICK: the name */
    size_t arglen;
};

/* Classify one line. arg points into s. */
void nk_chat_parse(const char *s, size_t n, struct nk_chat_cmd *cmd);

/* The /help text, lines separated by '\n', no final newline. */
extern const char nk_chat_help_text[];

#endif

/* The output layer: the only code that writes to stdout. A command describes
 * its result once as keys and values; the layer renders it as plain text
 * (one "key: value" fact per line) or as one JSON document. */
#ifndef NETKIT_OUT_H
#define NETKIT_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* NK_OUT_JSONL: each document on one line (JSON Lines), for streams such
 * as a server's event log: one nk_out_init .. nk_out_finish per event. */
enum nk_out_mode { NK_OUT_TEXT, NK_OUT_JSON, NK_OUT_JSONL };

#define NK_OUT_DEPTH 16

struct nk_out_frame {
    char kind;       /* 'o' object, 'a' array */
    int count;       /* members written so far */
    const char *key; /* key this container was opened under */
};

struct nk_out {
    FILE *fp;
    int mode;
    int color; /* colour keys in text mode */
    int depth;
    int overflow; /* nesting deeper than NK_OUT_DEPTH: a program error */
    long lines;   /* text lines written so far */
    struct nk_out_frame st[NK_OUT_DEPTH];
};

/* Start a document on fp. In JSON mode the root object is opened. */
void nk_out_init(struct nk_out *o, FILE *fp, int mode, int color);
/* Close every open container; in JSON mode end the document with "\n".
 * Returns 0, or -1 when nesting was misused. */
int nk_out_finish(struct nk_out *o);

/* Open an object or array as member `key` (NULL inside arrays). Text mode
 * prints nothing for containers; each object of a top-level array (a
 * record) is preceded by a blank line (unless nothing came before) so
 * `awk -v RS=` reads one record each; objects nested deeper are not. */
void nk_out_obj(struct nk_out *o, const char *key);
void nk_out_arr(struct nk_out *o, const char *key);
void nk_out_close(struct nk_out *o);

/* Scalars. In text mode a scalar without a key (an array element) is printed
 * under the array's key: "address: ::1". */
void nk_out_str(struct nk_out *o, const char *key, const char *val);
void nk_out_strn(struct nk_out *o, const char *key, const char *val,
                 size_t len);
void nk_out_int(struct nk_out *o, const char *key, int64_t val);
void nk_out_uint(struct nk_out *o, const char *key, uint64_t val);
void nk_out_bool(struct nk_out *o, const char *key, int val);
void nk_out_null(struct nk_out *o, const char *key);
/* A double with `prec` decimals; NaN/inf become null in JSON. */
void nk_out_double(struct nk_out *o, const char *key, double val, int prec);
/* printf-formatted string value. */
void nk_out_strf(struct nk_out *o, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A free-form line, printed in text mode only (the lesson lines). */
void nk_out_line(struct nk_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Raw bytes to stdout, binary-safe and unrendered: a fetched body, a file
 * sent to stdout. Returns 0, or -1 with errno set (a full disk, a closed
 * pipe). */
int nk_out_raw(const void *buf, size_t len);

/* Write s[0..len) as a JSON string with quotes: ", \ and control bytes
 * escaped, DEL as \u007f, invalid UTF-8 bytes as \ufffd. */
void nk_json_write_str(FILE *fp, const char *s, size_t len);

/* The one escaper for bytes bound for a terminal: text output values,
 * diagnostics and log lines (nk_diag), input quoted in error messages.
 * \n \r \t as such, other C0 controls and DEL as \xNN, C1 controls
 * encoded in UTF-8 (U+0080-U+009F) as \u00NN, and each byte that is not
 * part of valid UTF-8 (raw 0x80-0x9f among them) as \xNN; valid UTF-8 and
 * printable ASCII, backslash included, pass as they are, so escaping
 * escaped text changes nothing. Writes into out (cap bytes, NUL added when
 * cap > 0), never cutting an escape or a character; returns the length
 * written. */
size_t nk_text_escape(const char *s, size_t len, char *out, size_t cap);

/* The same escaper in a mode: NK_ESC_TEXT is nk_text_escape; NK_ESC_LINE
 * (a chat line) keeps a tab as it is and writes every other C0 control,
 * \n and \r included, as \xNN. */
enum { NK_ESC_TEXT, NK_ESC_LINE };
size_t nk_text_escape_as(const char *s, size_t len, char *out, size_t cap,
                         int mode);

/* Length (1-4) of the valid UTF-8 sequence at s, 0 if invalid (overlong,
 * surrogate, > U+10FFFF, truncated). n is the bytes available. */
size_t nk_utf8_seq(const unsigned char *s, size_t n);

/* Colour decision: fd is a terminal and NO_COLOR is not set. */
int nk_color_wanted(int fd);

/* Diagnostics on stderr: "netkit CMD: message". cmd may be NULL. */
void nk_diag(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif

/* Text and JSON rendering of a command's result. Commands describe the
 * result once; this file decides how it looks. */
#include "netkit/out.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEY_COLOR "\033[1m"
#define RESET_COLOR "\033[0m"

void
nk_json_write_str(FILE *fp, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    fputc('"', fp);
    while (i < len) {
        unsigned char c = p[i];
        size_t n;

        if (c == '"' || c == '\\') {
            fputc('\\', fp);
            fputc(c, fp);
            i++;
            continue;
        }
        if (c < 0x20 || c == 0x7f) {
            static const char short_esc[] = "btn\0fr"; /* 0x08-0x0d */
            if (c >= 0x08 && c <= 0x0d && short_esc[c - 0x08] != '\0')
                fprintf(fp, "\\%c", short_esc[c - 0x08]);
            else
                fprintf(fp, "\\u%04x", c);
            i++;
            continue;
        }
        n = nk_utf8_seq(p + i, len - i);
        if (n == 0) {
            /* Invalid byte: U+FFFD keeps the document valid UTF-8. */
            fputs("\\ufffd", fp);
            i++;
            continue;
        }
        fwrite(p + i, 1, n, fp);
        i += n;
    }
    fputc('"', fp);
}

/* One step of nk_text_escape_as: the text for the character at p (n
 * bytes left) into piece (at most 6 bytes, no NUL); *used gets how many
 * input bytes it stands for. Returns the piece's length. */
static size_t
escape_step(const unsigned char *p, size_t n, char piece[8], size_t *used,
            int mode)
{
    size_t k = nk_utf8_seq(p, n);

    *used = k == 0 ? 1 : k;
    if (k == 1 && mode == NK_ESC_LINE && p[0] == '\t') {
        piece[0] = '\t';
        return 1;
    }
    if (k == 1 && (p[0] < 0x20 || p[0] == 0x7f)) {
        static const char short_esc[] = "tn\0\0r"; /* 0x09-0x0d */
        if (mode == NK_ESC_TEXT && p[0] >= 0x09 && p[0] <= 0x0d &&
            short_esc[p[0] - 0x09] != '\0')
            return (size_t)snprintf(piece, 8, "\\%c", short_esc[p[0] - 0x09]);
        return (size_t)snprintf(piece, 8, "\\x%02x", p[0]);
    }
    if (k == 2 && p[0] == 0xc2 && p[1] <= 0x9f)
        return (size_t)snprintf(piece, 8, "\\u%04x", p[1]);
    if (k == 0)
        return (size_t)snprintf(piece, 8, "\\x%02x", p[0]);
    memcpy(piece, p, k);
    return k;
}

size_t
nk_text_escape_as(const char *s, size_t len, char *out, size_t cap, int mode)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, o = 0;

    if (cap == 0)
        return 0;
    while (i < len) {
        char piece[8];
        size_t used, k = escape_step(p + i, len - i, piece, &used, mode);
        if (o + k >= cap)
            break;
        memcpy(out + o, piece, k);
        o += k;
        i += used;
    }
    out[o] = '\0';
    return o;
}

size_t
nk_text_escape(const char *s, size_t len, char *out, size_t cap)
{
    return nk_text_escape_as(s, len, out, cap, NK_ESC_TEXT);
}

/* Text mode: one fact per line, so a value may never break a line or
 * drive the terminal: nk_text_escape's rules. */
static void
text_write_value(FILE *fp, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;

    for (size_t i = 0; i < len;) {
        char piece[8];
        size_t used,
            k = escape_step(p + i, len - i, piece, &used, NK_ESC_TEXT);
        fwrite(piece, 1, k, fp);
        i += used;
    }
}

void
nk_out_init(struct nk_out *o, FILE *fp, int mode, int color)
{
    memset(o, 0, sizeof *o);
    o->fp = fp;
    o->mode = mode;
    o->color = mode == NK_OUT_TEXT && color;
    o->st[0].kind = 'o';
    if (mode != NK_OUT_TEXT)
        fputc('{', fp);
}

static struct nk_out_frame *
top(struct nk_out *o)
{
    return &o->st[o->depth];
}

/* JSON: comma, newline and indentation before a member; then its key. */
static void
json_member(struct nk_out *o, const char *key)
{
    struct nk_out_frame *f = top(o);

    if (f->count++ > 0)
        fputc(',', o->fp);
    if (o->mode == NK_OUT_JSON)
        fprintf(o->fp, "\n%*s", 2 * (o->depth + 1), "");
    if (f->kind == 'o') {
        nk_json_write_str(o->fp, key ? key : "", key ? strlen(key) : 0);
        fputs(": ", o->fp);
    }
}

/* Text: the label of a scalar is its key, or its nearest container's key. */
static const char *
text_label(struct nk_out *o, const char *key)
{
    int d;

    if (key != NULL)
        return key;
    for (d = o->depth; d >= 0; d--)
        if (o->st[d].key != NULL)
            return o->st[d].key;
    return "value";
}

static void
text_begin(struct nk_out *o, const char *key)
{
    top(o)->count++;
    o->lines++;
    if (o->color)
        fprintf(o->fp, KEY_COLOR "%s:" RESET_COLOR " ", text_label(o, key));
    else
        fprintf(o->fp, "%s: ", text_label(o, key));
}

static void
open_container(struct nk_out *o, const char *key, char kind)
{
    if (o->depth + 1 >= NK_OUT_DEPTH) {
        o->overflow = 1;
        return;
    }
    if (o->mode != NK_OUT_TEXT) {
        json_member(o, key);
        fputc(kind == 'o' ? '{' : '[', o->fp);
    } else if (kind == 'o' && top(o)->kind == 'a') {
        /* Records are the objects of a top-level array: a blank line
         * before each. Objects nested deeper stay inside their record. */
        if (o->depth == 1 && o->lines > 0)
            fputc('\n', o->fp);
        top(o)->count++;
    }
    o->depth++;
    top(o)->kind = kind;
    top(o)->count = 0;
    top(o)->key = key;
}

void
nk_out_obj(struct nk_out *o, const char *key)
{
    open_container(o, key, 'o');
}

void
nk_out_arr(struct nk_out *o, const char *key)
{
    open_container(o, key, 'a');
}

void
nk_out_close(struct nk_out *o)
{
    struct nk_out_frame *f = top(o);

    if (o->depth == 0) {
        o->overflow = 1;
        return;
    }
    if (o->mode != NK_OUT_TEXT) {
        if (f->count > 0 && o->mode == NK_OUT_JSON)
            fprintf(o->fp, "\n%*s", 2 * o->depth, "");
        fputc(f->kind == 'o' ? '}' : ']', o->fp);
    }
    o->depth--;
}

int
nk_out_finish(struct nk_out *o)
{
    int bad = o->overflow;

    while (o->depth > 0)
        nk_out_close(o);
    if (o->mode != NK_OUT_TEXT)
        fputs(top(o)->count > 0 && o->mode == NK_OUT_JSON ? "\n}\n" : "}\n",
              o->fp);
    return bad ? -1 : 0;
}

/* Scalars share one path: `json` is the JSON token, `text` its text form. */
static void
scalar(struct nk_out *o, const char *key, const char *json, const char *text)
{
    if (o->mode != NK_OUT_TEXT) {
        json_member(o, key);
        fputs(json, o->fp);
    } else {
        text_begin(o, key);
        fprintf(o->fp, "%s\n", text);
    }
}

void
nk_out_strn(struct nk_out *o, const char *key, const char *val, size_t len)
{
    if (val == NULL) {
        nk_out_null(o, key);
        return;
    }
    if (o->mode != NK_OUT_TEXT) {
        json_member(o, key);
        nk_json_write_str(o->fp, val, len);
    } else {
        text_begin(o, key);
        text_write_value(o->fp, val, len);
        fputc('\n', o->fp);
    }
}

void
nk_out_str(struct nk_out *o, const char *key, const char *val)
{
    nk_out_strn(o, key, val, val ? strlen(val) : 0);
}

void
nk_out_strf(struct nk_out *o, const char *key, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    nk_out_str(o, key, buf);
}

void
nk_out_int(struct nk_out *o, const char *key, int64_t val)
{
    char buf[32];

    snprintf(buf, sizeof buf, "%lld", (long long)val);
    scalar(o, key, buf, buf);
}

void
nk_out_uint(struct nk_out *o, const char *key, uint64_t val)
{
    char buf[32];

    snprintf(buf, sizeof buf, "%llu", (unsigned long long)val);
    scalar(o, key, buf, buf);
}

void
nk_out_bool(struct nk_out *o, const char *key, int val)
{
    scalar(o, key, val ? "true" : "false", val ? "yes" : "no");
}

void
nk_out_null(struct nk_out *o, const char *key)
{
    scalar(o, key, "null", "-");
}

void
nk_out_double(struct nk_out *o, const char *key, double val, int prec)
{
    char buf[64];

    if (!isfinite(val)) {
        nk_out_null(o, key);
        return;
    }
    snprintf(buf, sizeof buf, "%.*f", prec, val);
    scalar(o, key, buf, buf);
}

void
nk_out_line(struct nk_out *o, const char *fmt, ...)
{
    char small[1024], *line = small;
    va_list ap;
    int n;

    if (o->mode != NK_OUT_TEXT)
        return;
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof small && (line = malloc((size_t)n + 1)) != NULL) {
        va_start(ap, fmt);
        vsnprintf(line, (size_t)n + 1, fmt, ap);
        va_end(ap);
    } else if (line == NULL) {
        line = small; /* out of memory: the line cut */
        n = (int)strlen(small);
    }
    /* The line may quote user input ("Remote host: X"): escaped like a
     * value, but a tab stays one (the recipes' own layout). */
    for (size_t i = 0; i < (size_t)n;) {
        char piece[8];
        size_t used, k;
        if (line[i] == '\t') {
            fputc('\t', o->fp);
            i++;
            continue;
        }
        k = escape_step((const unsigned char *)line + i, (size_t)n - i, piece,
                        &used, NK_ESC_TEXT);
        fwrite(piece, 1, k, o->fp);
        i += used;
    }
    fputc('\n', o->fp);
    o->lines++;
    if (line != small)
        free(line);
}

int
nk_out_raw(const void *buf, size_t len)
{
    if (len > 0 && fwrite(buf, 1, len, stdout) != len)
        return -1;
    return 0;
}

int
nk_color_wanted(int fd)
{
    /* The rule is stricter than no-color.org: set at all = off. */
    return isatty(fd) && getenv("NO_COLOR") == NULL;
}

void
nk_diag(const char *cmd, const char *fmt, ...)
{
    char msg[2048], line[2048];
    int n;
    va_list ap;

    /* The message often quotes foreign bytes (an argument, a peer's
     * reply, a request path): escaped, so it stays one line and cannot
     * drive the terminal. */
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    n = snprintf(line, sizeof line, "netkit%s%s: ", cmd ? " " : "",
                 cmd ? cmd : "");
    if (n < 0 || (size_t)n >= sizeof line)
        n = 0;
    /* Room for the newline is kept: the escaper stops one byte short. */
    n += (int)nk_text_escape(msg, strlen(msg), line + n,
                             sizeof line - 1 - (size_t)n);
    line[n++] = '\n';
    /* One write per line: stderr is unbuffered, and servers log from
     * several threads and processes whose lines must not interleave. */
    fwrite(line, 1, (size_t)n, stderr);
}

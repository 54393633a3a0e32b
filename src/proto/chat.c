/* The chat line protocol: pure functions over bytes, shared by the room
 * server and the client. See include/netkit/chat.h and docs/chat.md. */
#include "netkit/chat.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "netkit/out.h"

const char nk_chat_help_text[] =
    "commands:\n"
    "  /nick NAME  change your nickname (no spaces, no ':', 32 bytes)\n"
    "  /who        who is in the room\n"
    "  /help       this text\n"
    "  /quit       leave (so do bye, byebye, bubye, bye bye, tata, see you)\n"
    "  //text      send a line that starts with '/'";

void
nk_chat_asm_init(struct nk_chat_asm *a, char *buf, size_t cap)
{
    memset(a, 0, sizeof *a);
    a->buf = buf;
    a->cap = cap;
}

/* Keep one byte of the current line, or note that the line is cut: past
 * the bound bytes are only counted out, so memory stays cap. */
static void
keep(struct nk_chat_asm *a, char c)
{
    if (a->len < a->cap)
        a->buf[a->len++] = c;
    else
        a->cut = 1;
}

/* The line assembled so far, handed out (a CR before its end dropped);
 * the next feed starts a new one. */
static void
take_line(struct nk_chat_asm *a, struct nk_chat_line *line)
{
    if (a->len > 0 && a->buf[a->len - 1] == '\r')
        a->len--;
    a->pending = 1;
    line->text = a->buf;
    line->len = a->len;
    line->cut = a->cut;
}

size_t
nk_chat_asm_feed(struct nk_chat_asm *a, const char *p, size_t n,
                 struct nk_chat_line *line, int *got)
{
    size_t i;

    *got = 0;
    if (a->pending) {
        a->pending = 0;
        a->len = 0;
        a->cut = 0;
    }
    for (i = 0; i < n; i++) {
        char c = p[i];
        if (c == '\n') {
            /* LF ends a line; a CR LF pair is one line end, so a CR kept
             * just before the LF is dropped (it is never counted as
             * cutting the line: a line of exactly cap bytes plus CR LF is
             * whole). */
            take_line(a, line);
            *got = 1;
            return i + 1;
        }
        if (a->len == a->cap && c == '\r' && !a->cut) {
            /* A CR at the bound may still be half of CR LF: look at the
             * next byte before calling the line cut. */
            if (i + 1 < n && p[i + 1] == '\n')
                continue;
            if (i + 1 == n) {
                /* Undecided at the end of this chunk: drop the CR and
                 * let a following LF end the line whole; anything else
                 * will find the line full and cut it. */
                continue;
            }
        }
        keep(a, c);
    }
    return n;
}

int
nk_chat_asm_finish(struct nk_chat_asm *a, struct nk_chat_line *line)
{
    if (a->pending || (a->len == 0 && !a->cut))
        return 0;
    take_line(a, line);
    return 1;
}

static int
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
           c == '\f';
}

/* Trim white space on both sides of s[0..*n); returns the new start. */
static const char *
trim(const char *s, size_t *n)
{
    while (*n > 0 && is_space(s[0])) {
        s++;
        (*n)--;
    }
    while (*n > 0 && is_space(s[*n - 1]))
        (*n)--;
    return s;
}

static int
lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* ASCII case-insensitive equality of s[0..n) and the C string w. */
static int
same_word(const char *s, size_t n, const char *w)
{
    size_t i;

    for (i = 0; i < n && w[i] != '\0'; i++)
        if (lower((unsigned char)s[i]) != w[i])
            return 0;
    return i == n && w[i] == '\0';
}

int
nk_chat_is_bye(const char *s, size_t n)
{
    /* The lesson's list, word for word (seed 003's `l`). */
    static const char *const words[] = {"bye",     "byebye", "bubye",
                                        "bye bye", "tata",   "see you"};

    s = trim(s, &n);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (same_word(s, n, words[i]))
            return 1;
    return 0;
}

struct cp_range {
    uint32_t lo, hi;
};

/* Characters a nick may not hold because they cannot be seen, or move
 * the text around them: Unicode's Default_Ignorable_Code_Point
 * (DerivedCoreProperties.txt, 15.1), which contains every Bidi_Control
 * (U+061C, U+200E..U+200F, U+202A..U+202E, U+2066..U+2069), and the
 * White_Space characters beyond ASCII (U+0085 is a C1 control, refused
 * already). Sorted, for the binary search in in_ranges. */
static const struct cp_range hidden[] = {
    {0x00A0, 0x00A0},   /* no-break space */
    {0x00AD, 0x00AD},   /* soft hyphen */
    {0x034F, 0x034F},   /* combining grapheme joiner */
    {0x061C, 0x061C},   /* arabic letter mark (bidi) */
    {0x115F, 0x1160},   /* hangul fillers */
    {0x1680, 0x1680},   /* ogham space mark */
    {0x17B4, 0x17B5},   /* khmer inherent vowels */
    {0x180B, 0x180F},   /* mongolian selectors, vowel separator */
    {0x2000, 0x200F},   /* spaces; ZWSP, ZWNJ, ZWJ, LRM, RLM */
    {0x2028, 0x202F},   /* line/paragraph separators; LRE..RLO; NNBSP */
    {0x205F, 0x206F},   /* math space; word joiner...; LRI..PDI... */
    {0x3000, 0x3000},   /* ideographic space */
    {0x3164, 0x3164},   /* hangul filler */
    {0xFE00, 0xFE0F},   /* variation selectors */
    {0xFEFF, 0xFEFF},   /* zero width no-break space (BOM) */
    {0xFFA0, 0xFFA0},   /* halfwidth hangul filler */
    {0xFFF0, 0xFFF8},   /* reserved, default ignorable */
    {0x1BCA0, 0x1BCA3}, /* shorthand format controls */
    {0x1D173, 0x1D17A}, /* musical format controls */
    {0xE0000, 0xE0FFF}, /* tags, variation selectors 17..256 */
};

/* What a nick may not start with: notices start with "* ", so a nick
 * that starts with an asterisk, or something drawn like one, could pass
 * a message off as the room's own words. */
static const struct cp_range asterisks[] = {
    {0x002A, 0x002A}, {0x066D, 0x066D}, /* '*', arabic five pointed star */
    {0x2042, 0x2042}, {0x204E, 0x204E}, /* asterism, low asterisk */
    {0x2051, 0x2051}, {0x2217, 0x2217}, /* two asterisks, asterisk op */
    {0x229B, 0x229B}, {0x22C6, 0x22C6}, /* circled asterisk, star op */
    {0x2722, 0x2743}, {0xFE61, 0xFE61}, /* dingbat asterisks, small */
    {0xFF0A, 0xFF0A},                   /* fullwidth asterisk */
};

static int
in_ranges(const struct cp_range *t, size_t n, uint32_t cp)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < t[mid].lo)
            hi = mid;
        else if (cp > t[mid].hi)
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

/* The code point of a valid UTF-8 sequence of k bytes. */
static uint32_t
utf8_cp(const unsigned char *u, size_t k)
{
    static const unsigned char lead_mask[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
    uint32_t cp = u[0] & lead_mask[k];

    for (size_t i = 1; i < k; i++)
        cp = (cp << 6) | (u[i] & 0x3f);
    return cp;
}

int
nk_chat_nick_check(const char *s, size_t n, const char **why)
{
    const char *dummy;
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    uint32_t cp;

    if (why == NULL)
        why = &dummy;
    if (n == 0)
        return *why = "empty nickname", -1;
    if (n > NK_CHAT_NICK_MAX)
        return *why = "nickname longer than 32 bytes", -1;
    while (i < n) {
        size_t k = nk_utf8_seq(u + i, n - i);
        if (k == 0)
            return *why = "nickname is not valid utf-8", -1;
        if (k == 1 && (u[i] < 0x20 || u[i] == 0x7f))
            return *why = "control byte in nickname", -1;
        if (k == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0)
            return *why = "control character in nickname", -1;
        if (u[i] == ' ')
            return *why = "space in nickname", -1;
        if (u[i] == ':')
            return *why = "':' in nickname", -1;
        cp = utf8_cp(u + i, k);
        if (in_ranges(hidden, sizeof hidden / sizeof hidden[0], cp))
            return *why = "invisible, space or direction-control character "
                          "in nickname",
                   -1;
        if (i == 0 &&
            in_ranges(asterisks, sizeof asterisks / sizeof asterisks[0], cp))
            return *why = "nickname starts with '*' (it would read as a "
                          "notice)",
                   -1;
        i += k;
    }
    return 0;
}

size_t
nk_chat_sanitize(const char *s, size_t n, char *out, size_t cap)
{
    /* C1 controls encoded as UTF-8 (U+0080..U+009F) are escaped too:
     * CSI is U+009B, which some terminals obey. */
    return nk_text_escape_as(s, n, out, cap, NK_ESC_LINE);
}

void
nk_chat_parse(const char *s, size_t n, struct nk_chat_cmd *cmd)
{
    static const struct {
        const char *word;
        enum nk_chat_kind kind;
    } cmds[] = {{"/nick", NK_CHAT_NICK},
                {"/who", NK_CHAT_WHO},
                {"/help", NK_CHAT_HELP},
                {"/quit", NK_CHAT_QUIT}};
    const char *t;
    size_t tn = n, w = 0;

    memset(cmd, 0, sizeof *cmd);
    t = trim(s, &tn);
    if (tn == 0) {
        cmd->kind = NK_CHAT_EMPTY;
        return;
    }
    if (t[0] != '/' || (tn > 1 && t[1] == '/')) {
        /* A message keeps its own spacing; "//x" sends "/x". */
        cmd->kind = nk_chat_is_bye(s, n) ? NK_CHAT_BYE : NK_CHAT_TEXT;
        cmd->arg = t[0] == '/' ? t + 1 : s;
        cmd->arglen = t[0] == '/' ? tn - 1 : n;
        return;
    }
    while (w < tn && !is_space(t[w]))
        w++;
    cmd->kind = NK_CHAT_UNKNOWN;
    cmd->arg = t;
    cmd->arglen = w;
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (!same_word(t, w, cmds[i].word))
            continue;
        cmd->kind = cmds[i].kind;
        cmd->arglen = tn - w;
        cmd->arg = trim(t + w, &cmd->arglen);
        return;
    }
}

void
nk_chat_bucket_init(struct nk_chat_bucket *b, long long rate, long long burst,
                    long long now_ms)
{
    b->rate = rate;
    b->burst = burst;
    b->milli = burst * 1000;
    b->now_ms = now_ms;
}

void
nk_chat_bucket_refill(struct nk_chat_bucket *b, long long now_ms)
{
    long long dt = now_ms - b->now_ms;

    if (dt <= 0)
        return;
    b->now_ms = now_ms;
    if (b->rate == 0)
        return;
    /* rate B/s over dt ms is rate * dt thousandths of a byte; a long
     * pause fills the bucket whatever the rate (no overflow). */
    if (dt >= (b->burst * 1000 - b->milli) / b->rate + 1)
        b->milli = b->burst * 1000;
    else
        b->milli += dt * b->rate;
}

void
nk_chat_bucket_spend(struct nk_chat_bucket *b, size_t n)
{
    if (b->rate != 0)
        b->milli -= (long long)n * 1000;
}

long long
nk_chat_bucket_bytes(const struct nk_chat_bucket *b)
{
    if (b->rate == 0)
        return b->burst;
    return b->milli >= 0 ? b->milli / 1000 : -((-b->milli + 999) / 1000);
}

long long
nk_chat_bucket_wait_ms(const struct nk_chat_bucket *b, long long want)
{
    long long need;

    if (b->rate == 0)
        return 0;
    if (want > b->burst)
        want = b->burst;
    need = want * 1000 - b->milli;
    return need <= 0 ? 0 : (need + b->rate - 1) / b->rate;
}

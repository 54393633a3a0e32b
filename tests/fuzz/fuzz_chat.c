/* libFuzzer: the chat line assembler and sanitizer on arbitrary bytes.
 * Every line handed out fits its buffer; a sanitized line, plus the
 * newline the server adds, holds no C0/C1 control but tab and that
 * newline, is valid UTF-8, and never exceeds NK_CHAT_SAFE_MAX. The
 * nick check, bye test and command parser never crash, and an accepted
 * nick sanitizes to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netkit/chat.h"
#include "netkit/out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_safe(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    if (n > NK_CHAT_SAFE_MAX + 1 || s[n - 1] != '\n')
        abort();
    while (i < n) {
        size_t k = nk_utf8_seq(u + i, n - i);
        if (k == 0)
            abort();
        if (k == 1 &&
            ((u[i] < 0x20 && u[i] != '\t' && !(u[i] == '\n' && i == n - 1)) ||
             u[i] == 0x7f))
            abort();
        if (k == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0)
            abort();
        i += k;
    }
}

/* An accepted nick never reads as a notice and holds no zero-width or
 * bidi control: U+200B..U+200F (E2 80 8B..8F), U+202A..U+202E (E2 80
 * AA..AE), U+2066..U+2069 (E2 81 A6..A9), U+FEFF (EF BB BF). */
static void
nick_is_visible(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;

    if (n > 0 && u[0] == '*')
        abort();
    for (size_t i = 0; i + 2 < n; i++) {
        if (u[i] == 0xe2 && u[i + 1] == 0x80 &&
            ((u[i + 2] >= 0x8b && u[i + 2] <= 0x8f) ||
             (u[i + 2] >= 0xaa && u[i + 2] <= 0xae)))
            abort();
        if (u[i] == 0xe2 && u[i + 1] == 0x81 && u[i + 2] >= 0xa6 &&
            u[i + 2] <= 0xa9)
            abort();
        if (u[i] == 0xef && u[i + 1] == 0xbb && u[i + 2] == 0xbf)
            abort();
    }
}

static void
one_line(const struct nk_chat_line *ln, size_t cap)
{
    static char safe[NK_CHAT_SAFE_MAX + 2];
    struct nk_chat_cmd cmd;
    size_t k;

    if (ln->len > cap)
        abort();
    k = nk_chat_sanitize(ln->text, ln->len, safe, NK_CHAT_SAFE_MAX + 1);
    if (k > NK_CHAT_SAFE_MAX || safe[k] != '\0')
        abort();
    if (k < ln->len)
        abort(); /* the room suffices (4 per byte): nothing is dropped */
    safe[k] = '\n';
    check_safe(safe, k + 1);
    (void)nk_chat_is_bye(ln->text, ln->len);
    nk_chat_parse(ln->text, ln->len, &cmd);
    if (cmd.arglen > ln->len)
        abort();
    if (cmd.arglen > 0 &&
        (cmd.arg < ln->text || cmd.arg + cmd.arglen > ln->text + ln->len))
        abort();
    if (nk_chat_nick_check(ln->text, ln->len, NULL) == 0) {
        char nick[4 * NK_CHAT_NICK_MAX + 1];
        size_t m = nk_chat_sanitize(ln->text, ln->len, nick, sizeof nick);
        if (m != ln->len || memcmp(nick, ln->text, m) != 0)
            abort();
        nick_is_visible(ln->text, ln->len);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char buf[NK_CHAT_LINE_MAX];
    struct nk_chat_asm a;
    struct nk_chat_line ln;
    size_t off = 0, cap;
    int got;

    /* The first byte picks a small bound sometimes, to reach the cut
     * paths with short inputs; the real bound otherwise. */
    if (size == 0)
        return 0;
    cap = data[0] < 128 ? (size_t)data[0] % 16 + 1 : sizeof buf;
    data++;
    size--;
    nk_chat_asm_init(&a, buf, cap);
    while (off < size) {
        /* Chunks of varying size, as reads would deliver them. */
        size_t step = (size_t)(data[off] % 7) + 1;
        size_t m = size - off < step ? size - off : step;
        size_t k =
            nk_chat_asm_feed(&a, (const char *)data + off, m, &ln, &got);
        if (k == 0 || k > m)
            abort();
        off += k;
        if (got)
            one_line(&ln, cap);
    }
    if (nk_chat_asm_finish(&a, &ln))
        one_line(&ln, cap);
    return 0;
}

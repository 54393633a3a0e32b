/* UTF-8 validation per RFC 3629: the one place that decides what is text. */
#include <stddef.h>

#include "netkit/out.h"

static int
is_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

size_t
nk_utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c;

    if (n == 0)
        return 0;
    c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return n >= 2 && is_cont(s[1]) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        /* E0 needs A0.. (no overlongs); ED needs ..9F (no surrogates). */
        unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
        unsigned char hi = c == 0xED ? 0x9F : 0xBF;
        if (n < 3 || s[1] < lo || s[1] > hi || !is_cont(s[2]))
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        /* F0 needs 90.. (no overlongs); F4 needs ..8F (max U+10FFFF). */
        unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
        unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
        if (n < 4 || s[1] < lo || s[1] > hi || !is_cont(s[2]) ||
            !is_cont(s[3]))
            return 0;
        return 4;
    }
    return 0; /* 80-C1 and F5-FF never start a sequence */
}

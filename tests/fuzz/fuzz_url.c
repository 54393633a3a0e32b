/* libFuzzer: URL splitting never crashes, and an accepted URL's parts are
 * sane: non-empty host and scheme, a path starting with '/', a port of at
 * most five digits, and no control byte or space anywhere. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netkit/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_part(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f)
            abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[8192];
    struct nk_url u;
    struct nk_err err;

    if (size >= sizeof s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (nk_url_parse(s, &u, &err) != 0)
        return 0;
    if (u.scheme[0] == '\0' || u.host[0] == '\0' || u.path[0] != '/')
        abort();
    if (strlen(u.port) > 5 || (u.port[0] && atoi(u.port) > 65535))
        abort();
    if (!nk_url_like(s))
        abort();
    check_part(u.host);
    check_part(u.path);
    check_part(u.port);
    return 0;
}

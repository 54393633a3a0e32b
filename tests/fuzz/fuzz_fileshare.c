/* Fuzz the fileshare request parser, the reply head's end and status
 * line, and the path resolver. Invariants: the parsers never read past
 * their input and accept only well-formed lines; a resolved path never
 * leaves the root (the resolver never asks to go up from the root, and
 * never ends above it), over a small invented tree whose links are
 * themselves taken from the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netkit/fileshare.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

/* Tree: root (0) holds dirs "a" (1) and "b" (2) and links "l1".."l3",
 * "a" holds link "up" and file "f". Link targets come from the input. */
struct fz {
    int stack[NK_FS_DEPTH_MAX + 4];
    int n;
    int bad_up;
    char targets[4][64];
};

static enum nk_fs_kind
fz_step(void *ctx, const char *name, char *target)
{
    struct fz *f = ctx;
    int cur = f->stack[f->n - 1];

    if (f->n >= NK_FS_DEPTH_MAX + 3)
        return NK_FSK_ERROR;
    if (cur == 0 && (strcmp(name, "a") == 0 || strcmp(name, "b") == 0)) {
        f->stack[f->n++] = name[0] == 'a' ? 1 : 2;
        return NK_FSK_DIR;
    }
    if (cur == 0 && name[0] == 'l' && name[1] >= '1' && name[1] <= '3' &&
        name[2] == '\0') {
        strcpy(target, f->targets[name[1] - '1']);
        return NK_FSK_LINK;
    }
    if (cur == 1 && strcmp(name, "up") == 0) {
        strcpy(target, f->targets[3]);
        return NK_FSK_LINK;
    }
    if (cur == 1 && strcmp(name, "f") == 0)
        return NK_FSK_FILE;
    if (cur == 2 && strcmp(name, "self") == 0) {
        f->stack[f->n++] = 2; /* a directory that contains itself */
        return NK_FSK_DIR;
    }
    return NK_FSK_MISSING;
}

static void
fz_up(void *ctx)
{
    struct fz *f = ctx;

    if (f->n <= 1)
        f->bad_up = 1;
    else
        f->n--;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    static const struct nk_fs_ops ops = {fz_step, fz_up};
    struct nk_fs_request r;
    char reason[NK_FS_REASON_MAX + 1], last[NK_FS_NAME_MAX + 1];
    struct fz f;
    enum nk_fs_kind kind;
    int depth, code;
    size_t off = 0, head;

    /* The parser on the raw bytes. */
    code = nk_fs_parse_request((const char *)d, n, &r, reason);
    if (code == 0 && (r.path_len > NK_FS_PATH_MAX || r.path[r.path_len]))
        abort();
    if (code != 0 && code != 400 && code != 414 && code != 501)
        abort();

    /* A reply head, LF or CRLF: where it ends, and its status line. */
    head = nk_fs_head_end((const char *)d, n);
    if (head > n || (head > 0 && d[head - 1] != '\n'))
        abort();
    if (nk_fs_parse_status((const char *)d, n, &code, reason) == 0 &&
        (code < 100 || code > 999 || strlen(reason) > NK_FS_REASON_MAX))
        abort();

    /* The first four NUL-separated pieces are link targets; the rest is
     * a path to resolve. */
    memset(&f, 0, sizeof f);
    f.n = 1;
    for (int i = 0; i < 4; i++) {
        size_t k = 0;
        while (off < n && d[off] != 0 && k < sizeof f.targets[i] - 1)
            f.targets[i][k++] = (char)d[off++];
        f.targets[i][k] = '\0';
        while (off < n && d[off] != 0)
            off++;
        if (off < n)
            off++;
    }
    for (int want_last = 0; want_last < 2; want_last++) {
        enum nk_fs_path_err e;
        f.n = 1;
        f.bad_up = 0;
        e = nk_fs_resolve((const char *)d + off, n - off, &ops, &f, want_last,
                          last, &kind, &depth);
        if (f.bad_up || depth < 0 || depth != f.n - 1)
            abort(); /* left the root, or lost track of where it is */
        if (e == NK_FSP_OK &&
            nk_fs_path_check((const char *)d + off, n - off) != NK_FSP_OK)
            abort();
        if (e == NK_FSP_OK && want_last &&
            (last[0] == '\0' || strcmp(last, "..") == 0 ||
             strchr(last, '/') != NULL))
            abort();
    }
    return 0;
}

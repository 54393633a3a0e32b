/* The hashing ring (lib/hashring.c): whatever the sizes pushed, and
 * however many times the ring wraps, the digest is the one-shot digest of
 * the same bytes, in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netkit/hashring.h"
#include "netkit/sha256.h"

/* A stream of pseudo-random bytes, by position (any chunking, same bytes). */
static uint8_t
byte_at(uint64_t i)
{
    uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull;
    return (uint8_t)(x >> 56 ^ x >> 17);
}

static void
ring_hash(const size_t *sizes, size_t n, uint8_t out[NK_SHA256_LEN],
          uint8_t want[NK_SHA256_LEN])
{
    struct nk_sha256 hs, one;
    struct nk_hashring r;
    uint64_t pos = 0;

    nk_sha256_init(&hs);
    nk_sha256_init(&one);
    assert_int_equal(nk_hashring_start(&r, &hs), 0);
    for (size_t i = 0; i < n; i++) {
        char *b = nk_hashring_slot(&r);
        assert_non_null(b);
        for (size_t k = 0; k < sizes[i]; k++)
            b[k] = (char)byte_at(pos + k);
        nk_sha256_update(&one, b, sizes[i]);
        nk_hashring_push(&r, sizes[i]);
        pos += sizes[i];
    }
    nk_hashring_finish(&r);
    nk_sha256_final(&hs, out);
    nk_sha256_final(&one, want);
}

static void
test_ring_matches_one_shot(void **state)
{
    static const size_t sizes[] = {
        1, NK_HASHRING_SLOT_BUF,     63,    64, 65,
        0, NK_HASHRING_SLOT_BUF - 1, 4096,  1,  NK_HASHRING_SLOT_BUF,
        7, NK_HASHRING_SLOT_BUF,     100000};
    uint8_t got[NK_SHA256_LEN], want[NK_SHA256_LEN];

    (void)state;
    ring_hash(sizes, sizeof sizes / sizeof sizes[0], got, want);
    assert_memory_equal(got, want, NK_SHA256_LEN);
}

/* Many more pushes than slots: the ring wraps and the producer waits. */
static void
test_ring_wraps(void **state)
{
    size_t sizes[40];
    uint8_t got[NK_SHA256_LEN], want[NK_SHA256_LEN];

    (void)state;
    for (size_t i = 0; i < 40; i++)
        sizes[i] = (i * 7919) % NK_HASHRING_SLOT_BUF + 1;
    ring_hash(sizes, 40, got, want);
    assert_memory_equal(got, want, NK_SHA256_LEN);
}

/* A burst: every slot handed over faster than it is hashed, then finish
 * at once: whatever is still queued is hashed before finish returns. */
static void
test_ring_finish_flushes(void **state)
{
    struct nk_sha256 hs, one;
    struct nk_hashring r;
    uint8_t got[NK_SHA256_LEN], want[NK_SHA256_LEN];

    (void)state;
    nk_sha256_init(&hs);
    nk_sha256_init(&one);
    assert_int_equal(nk_hashring_start(&r, &hs), 0);
    for (int i = 0; i < 3 * NK_HASHRING_SLOTS; i++) {
        char *b = nk_hashring_slot(&r);
        memset(b, 'a' + i, NK_HASHRING_SLOT_BUF);
        nk_sha256_update(&one, b, NK_HASHRING_SLOT_BUF);
        nk_hashring_push(&r, NK_HASHRING_SLOT_BUF);
    }
    nk_hashring_finish(&r);
    nk_sha256_final(&hs, got);
    nk_sha256_final(&one, want);
    assert_memory_equal(got, want, NK_SHA256_LEN);
}

/* Nothing pushed: the empty message's digest. */
static void
test_ring_empty(void **state)
{
    uint8_t got[NK_SHA256_LEN], want[NK_SHA256_LEN];
    char hex[NK_SHA256_HEXLEN + 1];

    (void)state;
    ring_hash(NULL, 0, got, want);
    assert_string_equal(
        nk_sha256_hex(got, hex),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_matches_one_shot),
        cmocka_unit_test(test_ring_wraps),
        cmocka_unit_test(test_ring_finish_flushes),
        cmocka_unit_test(test_ring_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

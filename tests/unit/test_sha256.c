/* SHA-256 against the FIPS 180-4 / NIST example vectors, in one call and
 * fed in pieces, with the portable code and the hardware path alike; and
 * a message past 2^32 bits, streamed, against sha256sum(1). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "netkit/sha256.h"

struct vec {
    const char *msg;
    size_t repeat; /* msg repeated this many times */
    const char *hex;
};

static const struct vec vectors[] = {
    {"", 1,
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", 1,
     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmno"
     "pjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
     1, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    {"a", 1000000,
     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
};

static void
check_vectors(void)
{
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const struct vec *v = &vectors[i];
        size_t n = strlen(v->msg);
        struct nk_sha256 s;
        uint8_t d[NK_SHA256_LEN];
        char hex[NK_SHA256_HEXLEN + 1];

        nk_sha256_init(&s);
        for (size_t r = 0; r < v->repeat; r++)
            nk_sha256_update(&s, v->msg, n);
        nk_sha256_final(&s, d);
        assert_string_equal(nk_sha256_hex(d, hex), v->hex);
        if (v->repeat == 1) {
            nk_sha256(v->msg, n, d);
            assert_string_equal(nk_sha256_hex(d, hex), v->hex);
        }
    }
}

static void
test_vectors_default(void **state)
{
    (void)state;
    nk_sha256_force_portable(0);
    check_vectors();
}

static void
test_vectors_portable(void **state)
{
    (void)state;
    assert_int_equal(nk_sha256_force_portable(1), 0);
    check_vectors();
    nk_sha256_force_portable(0);
}

/* The one-million-'a' vector in uneven pieces that cross block edges. */
static void
test_million_a_in_pieces(void **state)
{
    static const size_t steps[] = {1, 63, 64, 65, 127, 1000, 4099};
    char *a = malloc(1000000);
    struct nk_sha256 s;
    uint8_t d[NK_SHA256_LEN];
    char hex[NK_SHA256_HEXLEN + 1];
    size_t off = 0, k = 0;

    (void)state;
    assert_non_null(a);
    memset(a, 'a', 1000000);
    nk_sha256_init(&s);
    while (off < 1000000) {
        size_t n = steps[k++ % 7];
        if (n > 1000000 - off)
            n = 1000000 - off;
        nk_sha256_update(&s, a + off, n);
        off += n;
    }
    nk_sha256_final(&s, d);
    assert_string_equal(
        nk_sha256_hex(d, hex),
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

/* Every split point of messages of every length 0..300 gives the one-call
 * digest, and the portable and hardware paths agree on each. */
static void
test_splits_and_paths_agree(void **state)
{
    uint8_t msg[300], one[NK_SHA256_LEN], two[NK_SHA256_LEN],
        port[NK_SHA256_LEN];

    (void)state;
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 131 + 7);
    for (size_t len = 0; len <= sizeof msg; len++) {
        nk_sha256_force_portable(1);
        nk_sha256(msg, len, port);
        nk_sha256_force_portable(0);
        nk_sha256(msg, len, one);
        assert_memory_equal(one, port, NK_SHA256_LEN);
        for (size_t cut = 0; cut <= len; cut += (len > 100 ? 7 : 1)) {
            struct nk_sha256 s;
            nk_sha256_init(&s);
            nk_sha256_update(&s, msg, cut);
            nk_sha256_update(&s, msg + cut, len - cut);
            nk_sha256_final(&s, two);
            assert_memory_equal(one, two, NK_SHA256_LEN);
        }
    }
}

static void
test_parse_hex(void **state)
{
    static const char *const bad[] = {
        "",
        "abc",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8550",
        "g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85 ",
    };
    uint8_t d[NK_SHA256_LEN], e[NK_SHA256_LEN];
    char hex[NK_SHA256_HEXLEN + 1];

    (void)state;
    nk_sha256("", 0, e);
    assert_int_equal(
        nk_sha256_parse_hex(
            "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            d),
        0);
    assert_memory_equal(d, e, NK_SHA256_LEN);
    assert_int_equal(nk_sha256_parse_hex(nk_sha256_hex(e, hex), d), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(nk_sha256_parse_hex(bad[i], d), -1);
}

/* The long message: 64-bit little-endian words from a xorshift generator
 * (non-repeating, so any misplaced block changes the digest). */
static void
fill_pattern(uint8_t *p, size_t len, uint64_t *x)
{
    for (size_t i = 0; i + 8 <= len; i += 8) {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        for (int b = 0; b < 8; b++)
            p[i + (size_t)b] = (uint8_t)(*x >> (8 * b));
    }
}

/* 513 MiB + 37 bytes: the length in bits is past 2^32 (a length field
 * cut to 32 bits would read 2^23 + 296), and the last block is partial.
 * The same bytes go to nk_sha256_update, in chunks of uneven sizes that
 * leave the block buffer part-full between calls, and through a pipe to
 * sha256sum(1); nothing is kept in memory beyond one chunk. */
#define LONG_LEN ((uint64_t)513 * 1048576 + 37)
#define CHUNK_MAX (1u << 20)

static void
test_past_2_32_bits_streamed(void **state)
{
    static const size_t steps[] = {CHUNK_MAX, 1, CHUNK_MAX - 3, 63, 65,
                                   CHUNK_MAX - 1, 4099, 127};
    char path[] = "/tmp/nk_sha256_ref.XXXXXX", cmd[128], want[80] = "";
    uint8_t *buf = malloc(CHUNK_MAX + 8), d[NK_SHA256_LEN];
    char hex[NK_SHA256_HEXLEN + 1];
    struct nk_sha256 s;
    uint64_t off = 0, x = 0x9e3779b97f4a7c15ULL;
    size_t k = 0;
    int fd = mkstemp(path), status;
    FILE *ref, *res;

    (void)state;
    assert_non_null(buf);
    assert_true(fd >= 0);
    close(fd);
    signal(SIGPIPE, SIG_IGN); /* a missing sha256sum fails fwrite, below */
    snprintf(cmd, sizeof cmd, "exec sha256sum > %s", path);
    ref = popen(cmd, "w");
    assert_non_null(ref);
    nk_sha256_force_portable(0);
    nk_sha256_init(&s);
    while (off < LONG_LEN) {
        size_t n = steps[k++ % (sizeof steps / sizeof steps[0])];
        if (n > LONG_LEN - off)
            n = (size_t)(LONG_LEN - off);
        fill_pattern(buf, n + 8, &x); /* n rounded up to whole words */
        nk_sha256_update(&s, buf, n);
        assert_int_equal(fwrite(buf, 1, n, ref), n);
        off += n;
    }
    nk_sha256_final(&s, d);
    status = pclose(ref);
    res = fopen(path, "r");
    assert_non_null(res);
    assert_non_null(fgets(want, sizeof want, res));
    fclose(res);
    unlink(path);
    free(buf);
    assert_int_equal(status, 0);
    assert_true(strlen(want) > NK_SHA256_HEXLEN);
    want[NK_SHA256_HEXLEN] = '\0'; /* "HEX  -" */
    assert_string_equal(nk_sha256_hex(d, hex), want);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_default),
        cmocka_unit_test(test_vectors_portable),
        cmocka_unit_test(test_million_a_in_pieces),
        cmocka_unit_test(test_splits_and_paths_agree),
        cmocka_unit_test(test_parse_hex),
        cmocka_unit_test(test_past_2_32_bits_streamed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

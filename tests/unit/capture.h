/* Run a netkit command in-process with stdout and stderr captured, so unit
 * tests (and the sanitizers) see the whole stack. Shared by every test
 * that runs a command; linked from the nk_testutil library. */
#ifndef NETKIT_TEST_CAPTURE_H
#define NETKIT_TEST_CAPTURE_H

#include <stddef.h>

/* nk_main(argc, argv) with both streams captured. Returns the stdout text
 * (NUL-terminated; *len, if not NULL, gets its byte count, which may
 * include NULs), valid until the next call; *rc gets the exit status. */
char *nk_test_capture(char **argv, int argc, int *rc, size_t *len);

/* The same with stdin read from the file in_path (NULL: /dev/null, which
 * is also what nk_test_capture gives, so no test can block on a tty). */
char *nk_test_capture_stdin(char **argv, int argc, const char *in_path,
                            int *rc, size_t *len);

/* The stderr text of the last nk_test_capture (NUL-terminated). */
const char *nk_test_captured_err(void);

/* Skips, visible to ctest: tests/cmocka.sh turns a run with skips into
 * exit 77 (ctest: "Skipped"), and under CI into a failure unless every
 * skip was NK_SKIP_KERNEL. Use inside a cmocka test function.
 * NK_SKIP: something CI provides is missing (a tool, root, IPv6, a file
 * from scripts/deps.sh's packages). NK_SKIP_KERNEL: the check cannot
 * apply on this kernel or machine whatever CI installs. */
#define NK_SKIP(why)                                                       \
    do {                                                                   \
        print_message("# SKIP %s\n", (why));                               \
        skip();                                                            \
    } while (0)
#define NK_SKIP_KERNEL(why)                                                \
    do {                                                                   \
        print_message("# SKIP (kernel) %s\n", (why));                      \
        skip();                                                            \
    } while (0)

#endif

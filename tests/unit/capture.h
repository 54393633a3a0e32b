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

#endif

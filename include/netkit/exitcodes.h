/* netkit exit codes: the one table every command and the docs follow.
 * The numbers come from BSD sysexits(3) so shell scripts can tell a usage
 * error from a dead host from a timeout. */
#ifndef NETKIT_EXITCODES_H
#define NETKIT_EXITCODES_H

/* X(enum name, number, short name, meaning) */
#define NK_EXIT_TABLE(X)                                                      \
    X(NK_EX_OK, 0, "ok", "success")                                           \
    X(NK_EX_PARTIAL, 1, "partial",                                            \
      "some items failed (one of several hosts, addresses, ports)")           \
    X(NK_EX_USAGE, 64, "usage", "usage error: bad option or arguments")       \
    X(NK_EX_DATAERR, 65, "dataerr",                                           \
      "bad input data (not an address, not a number)")                        \
    X(NK_EX_NOHOST, 68, "nohost", "unknown host")                             \
    X(NK_EX_UNAVAILABLE, 69, "unavailable",                                   \
      "unavailable: connection refused, not found on the server")             \
    X(NK_EX_SOFTWARE, 70, "software", "internal error")                       \
    X(NK_EX_IOERR, 74, "ioerr", "I/O error (send, receive, disk, stdout)")    \
    X(NK_EX_TEMPFAIL, 75, "tempfail",                                         \
      "temporary failure: timeout, resolver try-again")                       \
    X(NK_EX_PROTOCOL, 76, "protocol",                                         \
      "protocol error: bogus reply, Kiss-o'-Death")                           \
    X(NK_EX_NOPERM, 77, "noperm", "permission denied")

enum nk_exit {
#define NK_EXIT_ENUM(id, num, name, meaning) id = num,
    NK_EXIT_TABLE(NK_EXIT_ENUM)
#undef NK_EXIT_ENUM
};

struct nk_exit_info {
    int code;
    const char *name;
    const char *meaning;
};

/* The table as data, in ascending order; *count receives its length. */
const struct nk_exit_info *nk_exit_table(int *count);

/* Per-item results of a command over several items (hosts, addresses):
 * note each item's status (0 = it worked), then ask for the exit status:
 * 0 when every item worked, the items' code when every item failed with
 * the same code, NK_EX_PARTIAL otherwise (some worked, or failures
 * differ). Start from a zeroed struct. */
struct nk_exit_acc {
    int total;
    int failed;
    int code;  /* the failures' code while they all agree */
    int mixed; /* failures with different codes */
};
void nk_exit_note(struct nk_exit_acc *acc, int code);
int nk_exit_result(const struct nk_exit_acc *acc);

#endif

/* SHA-256 beside a receive loop: the loop fills a slot of a small ring,
 * writes it out, and hands it over; a thread hashes the slots in order
 * and frees them. Receiving and writing cost about as much as SHA-256, so
 * on two cores the hash no longer adds to the transfer's time. Bounded:
 * nk_hashring_slot waits while all NK_HASHRING_SLOTS slots are still
 * being hashed. When no thread can be started, each push is hashed
 * inline, so the result is the same either way. One user thread only. */
#ifndef NETKIT_HASHRING_H
#define NETKIT_HASHRING_H

#include <pthread.h>
#include <stddef.h>

#include "netkit/sha256.h"

#define NK_HASHRING_SLOTS 4
#define NK_HASHRING_SLOT_BUF (1024 * 1024) /* bytes in one slot */

struct nk_hashring {
    struct nk_sha256 *hs;
    char *buf[NK_HASHRING_SLOTS];
    size_t len[NK_HASHRING_SLOTS];
    unsigned head, tail; /* slots handed over / hashed, mod 2^32 */
    int done, threaded;
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

/* Set up the ring feeding hs (initialised by the caller, which finalises
 * it after nk_hashring_finish). The thread starts with SIGINT, SIGTERM
 * and SIGHUP blocked, so those reach the caller's thread. 0, or -1 when
 * out of memory (nothing to finish then). */
int nk_hashring_start(struct nk_hashring *r, struct nk_sha256 *hs);

/* The next free slot's buffer (NK_HASHRING_SLOT_BUF bytes), waiting
 * while the ring is full. */
char *nk_hashring_slot(struct nk_hashring *r);

/* Hand the slot from nk_hashring_slot, holding len bytes, to the hash. */
void nk_hashring_push(struct nk_hashring *r, size_t len);

/* Hash everything handed over, stop the thread, free the ring. */
void nk_hashring_finish(struct nk_hashring *r);

#endif

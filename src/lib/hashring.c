/* The hashing ring (include/netkit/hashring.h): one producer, the receive
 * loop, and one consumer thread; head and tail only grow, so "full" is
 * head - tail == NK_HASHRING_SLOTS and "empty" head == tail, with no
 * wrap-around case. */
#include "netkit/hashring.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static void *
ring_run(void *arg)
{
    struct nk_hashring *r = arg;

    pthread_mutex_lock(&r->mu);
    for (;;) {
        unsigned slot;
        while (r->tail == r->head && !r->done)
            pthread_cond_wait(&r->cv, &r->mu);
        if (r->tail == r->head)
            break;
        slot = r->tail % NK_HASHRING_SLOTS;
        pthread_mutex_unlock(&r->mu);
        nk_sha256_update(r->hs, r->buf[slot], r->len[slot]);
        pthread_mutex_lock(&r->mu);
        r->tail++;
        pthread_cond_broadcast(&r->cv);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* The thread inherits the mask: with SIGINT, SIGTERM and SIGHUP blocked
 * there, they reach the caller's thread, whose write blocked on a FIFO
 * nobody reads then ends with EINTR. */
static int
ring_spawn(struct nk_hashring *r)
{
    sigset_t stop, old;
    int rc;

    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, &old);
    rc = pthread_create(&r->tid, NULL, ring_run, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

int
nk_hashring_start(struct nk_hashring *r, struct nk_sha256 *hs)
{
    memset(r, 0, sizeof *r);
    r->hs = hs;
    for (int i = 0; i < NK_HASHRING_SLOTS; i++) {
        r->buf[i] = malloc(NK_HASHRING_SLOT_BUF);
        if (r->buf[i] == NULL) {
            for (int k = 0; k < i; k++)
                free(r->buf[k]);
            return -1;
        }
    }
    if (pthread_mutex_init(&r->mu, NULL) == 0) {
        if (pthread_cond_init(&r->cv, NULL) == 0) {
            if (ring_spawn(r) == 0) {
                r->threaded = 1;
                return 0;
            }
            pthread_cond_destroy(&r->cv);
        }
        pthread_mutex_destroy(&r->mu);
    }
    return 0; /* no thread: nk_hashring_push hashes inline */
}

char *
nk_hashring_slot(struct nk_hashring *r)
{
    char *b;

    if (!r->threaded)
        return r->buf[0];
    pthread_mutex_lock(&r->mu);
    while (r->head - r->tail == NK_HASHRING_SLOTS)
        pthread_cond_wait(&r->cv, &r->mu);
    b = r->buf[r->head % NK_HASHRING_SLOTS];
    pthread_mutex_unlock(&r->mu);
    return b;
}

void
nk_hashring_push(struct nk_hashring *r, size_t len)
{
    if (!r->threaded) {
        nk_sha256_update(r->hs, r->buf[0], len);
        return;
    }
    pthread_mutex_lock(&r->mu);
    r->len[r->head % NK_HASHRING_SLOTS] = len;
    r->head++;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

void
nk_hashring_finish(struct nk_hashring *r)
{
    if (r->threaded) {
        pthread_mutex_lock(&r->mu);
        r->done = 1;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->tid, NULL);
        pthread_cond_destroy(&r->cv);
        pthread_mutex_destroy(&r->mu);
    }
    for (int i = 0; i < NK_HASHRING_SLOTS; i++)
        free(r->buf[i]);
}

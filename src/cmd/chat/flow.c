/* netkit chat serve: each client's output queue and the flow control
 * between clients. While any queue is above HIGH_WATER no sender is read
 * (back-pressure: lines wait in TCP, none is dropped) until every queue
 * is down to LOW_WATER; each sender is held to --rate bytes per second
 * (a token bucket, nk_chat_bucket); paused senders get their turns back
 * in round-robin order. Which reader is dropped, and how: room.c
 * (room_tick, slow_out). docs/chat.md has the numbers. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat_int.h"
#include "netkit/net.h"
#include "netkit/parse.h"

/* Keep c's high-water state and the room's count of them: above
 * HIGH_WATER it holds every sender, at LOW_WATER it lets go. A client
 * leaving or gone holds nobody. */
void
chat_client_level(struct room *r, struct client *c)
{
    size_t q = c->len - c->off;

    if (!c->high && q > HIGH_WATER && !c->closing && !c->dead) {
        c->high = 1;
        c->high_ms = nk_now_ms();
        r->nhigh++;
    } else if (c->high && (q <= LOW_WATER || c->closing || c->dead)) {
        c->high = 0;
        r->nhigh--;
    }
}

/* Ask the loop for what c needs: reading unless it is leaving or paused,
 * writing while output is queued. One epoll_ctl per flush would double
 * the syscalls of delivery: only a change is passed on. */
static void
client_events(struct room *r, struct client *c)
{
    unsigned want = (c->closing || c->paused ? 0 : NK_EV_READ) |
                    (c->len > c->off ? NK_EV_WRITE : 0);

    if (want != c->ev && nk_loop_mod(r->loop, c->fd, want, NULL) == 0)
        c->ev = want;
}

/* Send what is queued, as far as the kernel takes it. */
void
chat_client_flush(struct room *r, struct client *c)
{
    while (c->off < c->len) {
        ssize_t n = nk_send_nb(c->fd, c->out + c->off, c->len - c->off);
        if (n == NK_IO_AGAIN)
            break;
        if (n <= 0) {
            chat_client_kill(c, "connection lost");
            return;
        }
        c->off += (size_t)n;
        c->mid = c->out[c->off - 1] != '\n';
    }
    if (c->off == c->len) {
        c->off = c->len = 0;
        if (c->closing) {
            chat_client_kill(c, ""); /* said goodbye and has it all */
            return;
        }
    }
    chat_client_level(r, c);
    client_events(r, c);
}

/* Queue one line (newline added) for a client. Back-pressure keeps a
 * queue near HIGH_WATER; OUT_MAX is the memory bound behind it (notices
 * are not held back): past it the client is dropped at once. */
void
chat_client_queue(struct room *r, struct client *c, const char *s, size_t n)
{
    size_t need;

    if (c->dead)
        return;
    if (c->len - c->off + n + 1 > OUT_MAX) {
        chat_client_kill(c, "too slow: output backed up, disconnected");
        return;
    }
    need = c->len + n + 1;
    if (need > c->cap && c->off > 0) {
        memmove(c->out, c->out + c->off, c->len - c->off);
        c->len -= c->off;
        c->off = 0;
        need = c->len + n + 1;
    }
    if (need > c->cap) {
        size_t cap = c->cap ? c->cap : 4096;
        char *p;
        while (cap < need)
            cap *= 2;
        p = realloc(c->out, cap);
        if (p == NULL) {
            chat_client_kill(c, "out of memory");
            return;
        }
        c->out = p;
        c->cap = cap;
    }
    memcpy(c->out + c->len, s, n);
    c->out[c->len + n] = '\n';
    c->len += n + 1;
    chat_client_level(r, c);
    if (c->len - c->off >= FLUSH_AT) {
        /* A busy round must not push a reading client past OUT_MAX. */
        chat_client_flush(r, c);
        return;
    }
    if (!c->dirty) {
        /* Sent at the end of the loop round (room_tick), so the lines of
         * every read in the round go out in one send per client, not one
         * per line. */
        c->dirty = 1;
        c->next_dirty = r->dirty;
        r->dirty = c;
    }
}

/* Send what this round queued. */
void
chat_room_flush(struct room *r)
{
    while (r->dirty != NULL) {
        struct client *c = r->dirty;
        r->dirty = c->next_dirty;
        c->dirty = 0;
        if (!c->dead)
            chat_client_flush(r, c);
    }
}

/* May c's input be taken now? Not while any queue is above HIGH_WATER
 * (back-pressure: the room waits for its readers), nor while c's budget
 * (--rate) is spent. */
static int
client_may_take(struct room *r, struct client *c)
{
    if (r->nhigh > 0)
        return 0;
    return r->o.rate == 0 || nk_chat_bucket_bytes(&c->bucket) > 0;
}

/* Stop reading c: its socket's buffers fill and TCP slows the sender
 * down; nothing it sent is lost. */
static void
client_pause(struct room *r, struct client *c)
{
    c->paused = 1;
    r->any_paused = 1;
    client_events(r, c);
}

/* Take the lines of p[0..n) while the room lets c speak; returns the
 * bytes taken (fewer than n when c must wait: the caller keeps the
 * rest). Every byte counts against c's budget, lines or not. */
static size_t
client_take(struct room *r, struct client *c, const char *p, size_t n)
{
    struct nk_chat_line ln;
    size_t off = 0;
    int got;

    while (off < n && !c->closing && !c->dead && !r->closed) {
        size_t k;
        if (!client_may_take(r, c))
            return off;
        k = nk_chat_asm_feed(&c->in, p + off, n - off, &ln, &got);
        off += k;
        nk_chat_bucket_spend(&c->bucket, k);
        if (got)
            chat_on_line(r, c, ln.text, ln.len, ln.cut);
    }
    return n; /* taken, or dropped: c is leaving */
}

/* Keep p[0..n), read but not taken, until c may speak again. */
static void
client_stash(struct room *r, struct client *c, const char *p, size_t n)
{
    if (c->pend == NULL && (c->pend = malloc(READ_CHUNK)) == NULL) {
        chat_client_kill(c, "out of memory");
        return;
    }
    memcpy(c->pend, p, n);
    c->pend_off = 0;
    c->pend_len = n;
    client_pause(r, c);
}

/* Take what c had kept; 1 when all of it is gone. */
static int
client_take_pend(struct room *r, struct client *c)
{
    if (c->pend_len > 0)
        c->pend_off += client_take(r, c, c->pend + c->pend_off,
                                   c->pend_len - c->pend_off);
    if (c->pend_off < c->pend_len)
        return 0;
    c->pend_off = c->pend_len = 0;
    return 1;
}

/* Read from c and take its lines. */
static void
client_read(struct room *r, struct client *c)
{
    struct nk_chat_line ln;
    ssize_t n;
    size_t k;

    n = nk_recv_nb(c->fd, r->buf, sizeof r->buf);
    if (n == NK_IO_AGAIN)
        return;
    if (n <= 0) {
        /* End of stream: a last line without its newline still counts
         * (printf 'hi' | nc); a reset ends it as a lost connection. */
        if (n == 0 && nk_chat_asm_finish(&c->in, &ln))
            chat_on_line(r, c, ln.text, ln.len, ln.cut);
        chat_client_kill(c, n == 0 ? "" : "connection lost");
        return;
    }
    c->rx_ms = nk_now_ms(); /* a partial line's pause starts here */
    k = client_take(r, c, r->buf, (size_t)n);
    if (k < (size_t)n)
        client_stash(r, c, r->buf + k, (size_t)n - k);
}

void
chat_on_client(struct nk_loop *loop, int fd, unsigned ev, void *arg)
{
    struct client_ev *ce = arg;
    struct room *r = ce->r;
    struct client *c = ce->c;

    (void)loop;
    (void)fd;
    if (c->len > c->off && (ev & (NK_EV_WRITE | NK_EV_ERROR)))
        chat_client_flush(r, c);
    /* The dead are removed and the queues flushed once per loop round
     * (room_tick), after every ready client was read: one send per
     * client per round however many lines the round brought. */
    if (c->closing) {
        if (c->len == c->off || c->dead)
            chat_client_kill(c, "");
        return;
    }
    if (c->dead || !(ev & (NK_EV_READ | NK_EV_ERROR)))
        return;
    if (r->o.rate != 0) /* once a read, not once a line */
        nk_chat_bucket_refill(&c->bucket, nk_now_ms());
    if (c->paused || !client_may_take(r, c)) {
        /* Not its turn. An error or hang-up is reported even to a quiet
         * fd, every round: a reset client with lines still kept is
         * dropped rather than spin the loop. */
        if ((ev & NK_EV_ERROR) && c->pend_len > 0)
            chat_client_kill(c, "connection lost");
        else if (ev & NK_EV_ERROR)
            client_read(r, c);
        else
            client_pause(r, c);
        return;
    }
    client_read(r, c);
}

/* Give c its turn back if the room and its budget allow: what it had
 * kept is taken first. 0 when c still waits. */
static int
client_resume(struct room *r, struct client *c, int64_t now)
{
    if (r->o.rate != 0) {
        /* Wait for a read's worth (or the whole burst, if smaller): a
         * limited sender is woken once per READ_CHUNK, not per line. */
        long long ms;
        nk_chat_bucket_refill(&c->bucket, now);
        ms = nk_chat_bucket_wait_ms(&c->bucket, READ_CHUNK);
        if (ms > 0) {
            if (r->wake_ms == 0 || now + ms < r->wake_ms)
                r->wake_ms = now + ms;
            return 0;
        }
    }
    c->paused = 0;
    if (!client_take_pend(r, c))
        return 0; /* paused again by client_take's caller below */
    client_events(r, c);
    return 1;
}

/* Paused clients get their turn back once no queue is above HIGH_WATER,
 * starting after the last one served (round robin), so one sender's kept
 * lines cannot take every turn. */
void
chat_room_resume(struct room *r, int64_t now)
{
    struct client *c = r->head;
    uint64_t skip, i;

    r->wake_ms = 0;
    if (r->nhigh > 0 || r->closed)
        return;
    if (r->console_paused) {
        r->console_paused = 0;
        (void)nk_loop_mod(r->loop, STDIN_FILENO, NK_EV_READ, NULL);
    }
    if (!r->any_paused || r->nclients == 0)
        return; /* the common round: nobody to look at */
    r->any_paused = 0;
    skip = r->resume_rr % r->nclients;
    for (i = 0; i < skip && c != NULL; i++)
        c = c->next;
    for (i = 0; i < r->nclients && r->nhigh == 0; i++) {
        if (c == NULL)
            c = r->head;
        if (c->paused && !c->closing && !c->dead) {
            r->resume_rr = skip + i + 1;
            if (!client_resume(r, c, now)) {
                if (c->pend_off < c->pend_len)
                    client_pause(r, c);
                r->any_paused = 1;
            }
        }
        c = c->next;
    }
    if (i < r->nclients) /* held again before everyone was seen */
        r->any_paused = 1;
}

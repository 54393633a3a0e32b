/* netkit ping's output: each event as an iputils line, a Windows line
 * (--lesson), a JSON object in the document's "replies" (--json) or a
 * JSON Lines object (--json-lines), counted as it is reported; the first
 * line and the summary in the same four forms. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ping_int.h"
#include "netkit/icmp_proto.h"

static const char *const kind_names[] = {"reply",   "duplicate", "late",
                                         "timeout", "error",     "corrupted",
                                         "open",    "closed"};

static double
ms(int64_t us)
{
    return (double)us / 1000.0;
}

/* "Reply from 127.0.0.1: bytes=32 time<1ms TTL=64": Windows rounds to
 * whole milliseconds and writes time<1ms below one. */
static void
ping_lesson_line(struct ping_run *r, const struct ping_event *ev)
{
    char t[32];
    int64_t whole = (ev->rtt_us + 500) / 1000;

    if (ev->kind == PK_TIMEOUT) {
        nk_out_line(&r->o, "Request timed out.");
        return;
    }
    if (ev->kind == PK_ERROR) {
        nk_out_line(&r->o, "Reply from %s: %s.", ev->from ? ev->from : "?",
                    ev->what);
        return;
    }
    if (ev->kind != PK_REPLY)
        return; /* Windows shows neither duplicates nor late replies */
    if (ev->rtt_us < 1000)
        snprintf(t, sizeof t, "time<1ms");
    else
        snprintf(t, sizeof t, "time=%" PRId64 "ms", whole);
    nk_out_line(&r->o, "Reply from %s: bytes=%zu %s TTL=%d", ev->from,
                (size_t)r->cfg->size, t, ev->ttl);
}

static void
text_line(struct ping_run *r, const struct ping_event *ev)
{
    char ttl[16] = "";
    const char *from = ev->from ? ev->from : r->addr;
    double t = ms(ev->rtt_us);

    if (ev->ttl >= 0)
        snprintf(ttl, sizeof ttl, " ttl=%d", ev->ttl);
    switch (ev->kind) {
    case PK_REPLY:
    case PK_DUP:
    case PK_LATE:
        nk_out_line(&r->o,
                    "%zu bytes from %s: icmp_seq=%" PRIu32 "%s "
                    "time=%.3f ms%s",
                    ev->bytes, from, ev->seq, ttl, t,
                    ev->kind == PK_DUP    ? " (DUP!)"
                    : ev->kind == PK_LATE ? " (late: after the timeout)"
                                          : "");
        break;
    case PK_CORRUPT:
        nk_out_line(&r->o,
                    "%zu bytes from %s: icmp_seq=%" PRIu32 " (corrupted data)",
                    ev->bytes, from, ev->seq);
        break;
    case PK_TIMEOUT:
        nk_out_line(&r->o, "no reply for %s=%" PRIu32 " within %.3f s",
                    r->cfg->port ? "seq" : "icmp_seq", ev->seq,
                    r->cfg->timeout_ms / 1000.0);
        break;
    case PK_ERROR:
        nk_out_line(&r->o, "From %s %s=%" PRIu32 " %s", from,
                    r->cfg->port ? "seq" : "icmp_seq", ev->seq, ev->what);
        break;
    case PK_OPEN:
        nk_out_line(&r->o,
                    "%s %s port %u: seq=%" PRIu32 " time=%.3f ms (port open)",
                    r->cfg->udp ? "reply from" : "connected to", from,
                    r->cfg->port, ev->seq, t);
        break;
    case PK_CLOSED:
        nk_out_line(&r->o,
                    "%s %s port %u: seq=%" PRIu32
                    " time=%.3f ms (port closed, host up)",
                    r->cfg->udp ? "port unreachable from" : "reset from", from,
                    r->cfg->port, ev->seq, t);
        break;
    }
}

static void
event_members(struct nk_out *o, const struct ping_event *ev)
{
    nk_out_str(o, "type", kind_names[ev->kind]);
    nk_out_uint(o, "seq", ev->seq);
    if (ev->from != NULL)
        nk_out_str(o, "from", ev->from);
    if (ev->bytes > 0)
        nk_out_uint(o, "bytes", ev->bytes);
    if (ev->ttl >= 0)
        nk_out_int(o, "ttl", ev->ttl);
    if (ev->rtt_us >= 0)
        nk_out_double(o, "rtt_ms", ms(ev->rtt_us), 3);
    if (ev->what != NULL)
        nk_out_str(o, "error", ev->what);
}

static void
count_event(struct ping_run *r, const struct ping_event *ev)
{
    /* The count of each kind (a timeout is counted as sent, unanswered). */
    uint64_t *const count[] = {
        [PK_REPLY] = NULL,       [PK_DUP] = &r->dup,
        [PK_LATE] = &r->late,    [PK_TIMEOUT] = NULL,
        [PK_ERROR] = &r->errors, [PK_CORRUPT] = &r->corrupt,
        [PK_OPEN] = &r->open,    [PK_CLOSED] = &r->closed,
    };

    if (ev->kind == PK_REPLY || ev->kind == PK_OPEN || ev->kind == PK_CLOSED) {
        r->received++;
        (void)nk_stats_add(&r->rtt, ms(ev->rtt_us), NULL);
    }
    if (count[ev->kind] != NULL)
        (*count[ev->kind])++;
}

void
ping_event(struct ping_run *r, const struct ping_event *ev)
{
    count_event(r, ev);
    if (r->cfg->jsonl) {
        struct nk_out o;
        nk_out_init(&o, stdout, NK_OUT_JSONL, 0);
        event_members(&o, ev);
        nk_out_finish(&o);
    } else if (r->o.mode == NK_OUT_JSON) {
        nk_out_obj(&r->o, NULL);
        event_members(&r->o, ev);
        nk_out_close(&r->o);
    } else if (r->cfg->quiet) {
        return;
    } else if (r->cfg->lesson) {
        ping_lesson_line(r, ev);
    } else {
        text_line(r, ev);
    }
    fflush(stdout);
}

static double
loss_pct(const struct ping_run *r)
{
    if (r->sent == 0)
        return 0.0;
    return (double)(r->sent - r->received) * 100.0 / (double)r->sent;
}

static void
summary_members(struct ping_run *r, struct nk_out *o)
{
    nk_out_uint(o, "transmitted", r->sent);
    nk_out_uint(o, "received", r->received);
    nk_out_uint(o, "duplicates", r->dup);
    nk_out_uint(o, "late", r->late);
    nk_out_uint(o, "errors", r->errors);
    nk_out_uint(o, "corrupted", r->corrupt);
    if (r->cfg->port) {
        nk_out_uint(o, "open", r->open);
        nk_out_uint(o, "closed", r->closed);
    }
    nk_out_double(o, "loss_pct", loss_pct(r), 3);
    nk_out_double(o, "elapsed_ms", ms(r->end_us - r->start_us), 3);
    if (r->received == 0) {
        nk_out_null(o, "rtt_ms");
        return;
    }
    nk_out_obj(o, "rtt_ms");
    nk_out_double(o, "min", nk_stats_min(&r->rtt), 3);
    nk_out_double(o, "avg", nk_stats_mean(&r->rtt), 3);
    nk_out_double(o, "max", nk_stats_max(&r->rtt), 3);
    nk_out_double(o, "mdev", nk_stats_stddev(&r->rtt), 3);
    nk_out_close(o);
}

static void
lesson_summary(struct ping_run *r)
{
    uint64_t lost = r->sent - r->received;

    nk_out_line(&r->o, "%s", "");
    nk_out_line(&r->o, "Ping statistics for %s:", r->addr);
    nk_out_line(&r->o,
                "    Packets: Sent = %" PRIu64 ", Received = %" PRIu64
                ", Lost = %" PRIu64 " (%d%% loss),",
                r->sent, r->received, lost,
                r->sent ? (int)(lost * 100 / r->sent) : 0);
    if (r->received == 0)
        return;
    nk_out_line(&r->o, "Approximate round trip times in milli-seconds:");
    nk_out_line(&r->o,
                "    Minimum = %.0fms, Maximum = %.0fms, "
                "Average = %.0fms",
                nk_stats_min(&r->rtt), nk_stats_max(&r->rtt),
                nk_stats_mean(&r->rtt));
}

static void
text_summary(struct ping_run *r)
{
    char extra[160] = "";
    size_t n = 0;

    if (r->cfg->lesson) {
        lesson_summary(r);
        return;
    }
#define EXTRA(v, what)                                                        \
    if ((v) > 0 && n < sizeof extra)                                          \
        n += (size_t)snprintf(extra + n, sizeof extra - n,                    \
                              ", +%" PRIu64 " " what, (uint64_t)(v));
    EXTRA(r->dup, "duplicates")
    EXTRA(r->late, "late")
    EXTRA(r->corrupt, "corrupted")
    EXTRA(r->errors, "errors")
#undef EXTRA
    nk_out_line(&r->o, "%s", "");
    nk_out_line(&r->o, "--- %s ping statistics ---", r->cfg->host);
    nk_out_line(&r->o,
                "%" PRIu64 " packets transmitted, %" PRIu64
                " received%s, %g%% packet loss, time %" PRId64 "ms",
                r->sent, r->received, extra, loss_pct(r),
                (r->end_us - r->start_us) / 1000);
    if (r->cfg->port)
        nk_out_line(&r->o, "port %u: %" PRIu64 " open, %" PRIu64 " closed",
                    r->cfg->port, r->open, r->closed);
    if (r->received > 0)
        nk_out_line(&r->o, "rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms",
                    nk_stats_min(&r->rtt), nk_stats_mean(&r->rtt),
                    nk_stats_max(&r->rtt), nk_stats_stddev(&r->rtt));
}

void
ping_print_summary(struct ping_run *r)
{
    if (r->cfg->jsonl) {
        struct nk_out o;
        nk_out_init(&o, stdout, NK_OUT_JSONL, 0);
        nk_out_str(&o, "type", "summary");
        nk_out_str(&o, "host", r->cfg->host);
        nk_out_str(&o, "address", r->addr);
        summary_members(r, &o);
        nk_out_finish(&o);
    } else if (r->o.mode == NK_OUT_JSON) {
        nk_out_close(&r->o); /* the replies */
        summary_members(r, &r->o);
    } else {
        text_summary(r);
    }
}

void
ping_header(struct ping_run *r)
{
    const struct ping_cfg *c = r->cfg;
    int ip = r->to.ss.ss_family == AF_INET6 ? 40 : 20;

    if (r->o.mode == NK_OUT_JSON) {
        nk_out_str(&r->o, "host", c->host);
        nk_out_str(&r->o, "address", r->addr);
        nk_out_str(&r->o, "mode", r->mode);
        if (c->port)
            nk_out_uint(&r->o, "port", c->port);
        else
            nk_out_uint(&r->o, "data_bytes", (uint64_t)c->size);
        nk_out_arr(&r->o, "replies");
        return;
    }
    if (c->jsonl)
        return;
    if (c->lesson && strcmp(c->host, r->addr) == 0)
        nk_out_line(&r->o, "Pinging %s with %ld bytes of data:", r->addr,
                    c->size);
    else if (c->lesson)
        nk_out_line(&r->o, "Pinging %s [%s] with %ld bytes of data:", c->host,
                    r->addr, c->size);
    else if (c->port)
        nk_out_line(&r->o, "%s PING %s (%s) port %u.", c->udp ? "UDP" : "TCP",
                    c->host, r->addr, c->port);
    else
        nk_out_line(&r->o, "PING %s (%s) %ld(%ld) bytes of data.", c->host,
                    r->addr, c->size, c->size + NK_ICMP_HDR + ip);
    fflush(stdout);
}

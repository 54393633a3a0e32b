/* The load generators' shared loop (loadgen.h): the phases of a run and
 * its live line. The benches keep their protocol work; what is here is
 * what they used to repeat, each with its own clock. */
#include "netkit/loadgen.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "netkit/clock.h"
#include "netkit/exitcodes.h"
#include "netkit/out.h"
#include "netkit/signals.h"

void
nk_loadgen_init(struct nk_loadgen *lg, const char *name, const char *done_name,
                int duration_ms, int grace_ms, int show)
{
    memset(lg, 0, sizeof *lg);
    lg->name = name;
    lg->done_name = done_name;
    lg->duration_ms = duration_ms;
    lg->grace_ms = grace_ms;
    nk_progress_begin(&lg->live, show, 0, 0);
}

void
nk_loadgen_start(struct nk_loadgen *lg, int64_t now_us)
{
    lg->phase = NK_LOADGEN_SEND;
    lg->start_us = now_us;
    lg->end_us = now_us + (int64_t)lg->duration_ms * 1000;
}

/* Sending stops at now_us; the grace period follows unless stopped. */
static void
stop_sending(struct nk_loadgen *lg, int64_t now_us, int stopped)
{
    lg->phase = NK_LOADGEN_GRACE;
    lg->stopped = stopped;
    lg->sent_for = now_us - lg->start_us;
    lg->grace_end = now_us + (stopped ? 0 : (int64_t)lg->grace_ms * 1000);
}

void
nk_loadgen_halt(struct nk_loadgen *lg, int64_t now_us)
{
    if (lg->phase == NK_LOADGEN_SEND)
        stop_sending(lg, now_us, 1);
    lg->phase = NK_LOADGEN_DONE;
}

enum nk_loadgen_phase
nk_loadgen_step(struct nk_loadgen *lg, int64_t now_us, int (*settled)(void *),
                void *arg)
{
    if (lg->phase == NK_LOADGEN_SEND && nk_stop_requested())
        stop_sending(lg, now_us, 1);
    else if (lg->phase == NK_LOADGEN_SEND && now_us >= lg->end_us)
        stop_sending(lg, now_us, 0);
    /* The grace period's deadline first: settled() may cost a sum. */
    if (lg->phase == NK_LOADGEN_GRACE &&
        (now_us >= lg->grace_end || (settled != NULL && settled(arg))))
        lg->phase = NK_LOADGEN_DONE;
    return lg->phase;
}

int
nk_loadgen_wait_ms(const struct nk_loadgen *lg, int64_t now_us, int64_t max_us)
{
    int64_t until = lg->phase == NK_LOADGEN_SEND ? lg->end_us : lg->grace_end;
    int64_t left = until - now_us;

    if (left > max_us)
        left = max_us;
    return left <= 0 ? 0 : (int)((left + 999) / 1000);
}

char *
nk_loadgen_format(char *buf, size_t size, const char *name, double secs,
                  double total_secs, uint64_t sent, uint64_t done,
                  const char *done_name)
{
    snprintf(buf, size,
             "%s: %.0f/%.0f s, %" PRIu64 " sent, %" PRIu64 " %s, %.0f/s", name,
             secs, total_secs, sent, done, done_name,
             secs > 0 ? (double)done / secs : 0.0);
    return buf;
}

int
nk_loadgen_show_due(const struct nk_loadgen *lg)
{
    return nk_progress_due(&lg->live);
}

void
nk_loadgen_show(struct nk_loadgen *lg, int64_t now_us, uint64_t sent,
                uint64_t done)
{
    char line[256];

    if (!nk_loadgen_show_due(lg))
        return;
    nk_loadgen_format(line, sizeof line, lg->name,
                      (double)(now_us - lg->start_us) / 1e6,
                      lg->duration_ms / 1000.0, sent, done, lg->done_name);
    nk_progress_show(&lg->live, line);
}

void
nk_loadgen_end(struct nk_loadgen *lg)
{
    nk_progress_end(&lg->live);
}

int64_t
nk_loadgen_loop(struct nk_loadgen *lg, int64_t start_us,
                const struct nk_loadgen_ops *ops, void *arg, void *wait_arg,
                struct nk_err *err)
{
    int64_t now = start_us;

    nk_loadgen_start(lg, now);
    ops->tend(arg, now, 1);
    while (nk_loadgen_step(lg, now, ops->settled, arg) != NK_LOADGEN_DONE) {
        int r;

        ops->tend(arg, now, lg->phase == NK_LOADGEN_SEND);
        r = ops->wait(wait_arg,
                      nk_loadgen_wait_ms(lg, now, ops->max_wait_us(arg)), err);
        if (r < 0) {
            nk_loadgen_end(lg);
            return -1;
        }
        now = nk_now_us();
        if (r > 0)
            nk_loadgen_halt(lg, now);
        if (lg->sent != NULL && lg->done != NULL)
            nk_loadgen_show(lg, now, *lg->sent, *lg->done);
    }
    nk_loadgen_end(lg);
    return lg->sent_for;
}

int64_t
nk_loadgen_run(struct nk_loadgen *lg, int64_t start_us,
               const struct nk_loadgen_ops *ops, void *arg, void *wait_arg,
               struct nk_err *err)
{
    int64_t sent_for;

    if (nk_stop_install(err) < 0)
        return -1;
    sent_for = nk_loadgen_loop(lg, start_us, ops, arg, wait_arg, err);
    nk_stop_uninstall();
    return sent_for;
}

/* A failure that is more than a full or empty buffer. */
static void
count_failure(struct nk_loadgen_tally *t, const struct nk_err *err)
{
    if (err->sys_errno == ECONNREFUSED)
        t->refused++;
    else
        t->errors++;
    t->last_err = *err;
}

int
nk_loadgen_send_failed(struct nk_loadgen_tally *t, const struct nk_err *err)
{
    if (err->sys_errno == EAGAIN || err->sys_errno == ENOBUFS) {
        t->send_blocked++;
        return 1;
    }
    count_failure(t, err);
    return 0;
}

void
nk_loadgen_recv_failed(struct nk_loadgen_tally *t, const struct nk_err *err)
{
    if (err->sys_errno != EAGAIN)
        count_failure(t, err);
}

int
nk_loadgen_verdict(const char *cmd, const struct nk_loadgen_result *r,
                   const struct nk_loadgen_tally *t)
{
    if (r->answered == 0 && r->bad == 0 && t->refused > 0) {
        nk_diag(cmd, "%s", t->last_err.msg);
        return NK_EX_UNAVAILABLE;
    }
    if (r->bad > 0) {
        nk_diag(cmd, "bench %s: %" PRIu64 " %s%s%s%s", r->server, r->bad,
                r->bad_what, r->bad_last ? " (the last: " : "",
                r->bad_last ? r->bad_last : "", r->bad_last ? ")" : "");
        return NK_EX_PROTOCOL;
    }
    if (r->answered == 0) {
        nk_diag(cmd, "bench %s: no reply to %" PRIu64 " %s", r->server,
                r->sent, r->sent_what);
        return NK_EX_TEMPFAIL;
    }
    return NK_EX_OK;
}

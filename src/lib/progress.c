/* The progress bar: a carriage return and an erase-line (ECMA-48 EL,
 * "\033[K") per redraw, on stderr, so it never mixes with stdout data
 * and vanishes when stderr is a file or a pipe. */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "netkit/clock.h"
#include "netkit/progress.h"

#define REDRAW_MS 100 /* 10 Hz: smooth enough, cheap enough */

char *
nk_progress_bytes(char *buf, size_t size, double bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;

    while (bytes >= 1024 && u < 4) {
        bytes /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, size, "%.0f B", bytes);
    else
        snprintf(buf, size, "%.1f %s", bytes, units[u]);
    return buf;
}

static void
fmt_eta(char *buf, size_t size, double secs)
{
    unsigned long s = (unsigned long)(secs + 0.5);

    if (secs < 0 || secs > 99 * 3600.0)
        snprintf(buf, size, "--:--");
    else if (s >= 3600)
        snprintf(buf, size, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, size, "%lu:%02lu", s / 60, s % 60);
}

char *
nk_progress_format(char *buf, size_t size, int width, uint64_t done,
                   uint64_t total, uint64_t moved, int64_t elapsed_ms)
{
    char d[32], t[32], r[32], eta[32], tail[160];
    double rate = elapsed_ms > 0 ? (double)moved * 1000.0 / elapsed_ms : 0;
    int pct, bar;

    if (size == 0)
        return buf;
    nk_progress_bytes(d, sizeof d, (double)done);
    nk_progress_bytes(r, sizeof r, rate);
    if (total == 0) {
        snprintf(buf, size, "%s  %s/s", d, r);
        if (width > 0 && strlen(buf) > (size_t)width)
            buf[width] = '\0';
        return buf;
    }
    if (done > total)
        done = total;
    pct = (int)(done * 100 / total);
    nk_progress_bytes(t, sizeof t, (double)total);
    if (rate > 0)
        fmt_eta(eta, sizeof eta, (double)(total - done) / rate);
    else
        snprintf(eta, sizeof eta, "--:--");
    snprintf(tail, sizeof tail, " %3d%%  %s/%s  %s/s  ETA %s", pct, d, t, r,
             eta);
    /* The bar takes what the numbers leave, between 10 and 40 columns. */
    bar = width - (int)strlen(tail) - 2;
    if (bar > 40)
        bar = 40;
    if (bar < 10) {
        snprintf(buf, size, "%s", tail + 1);
    } else {
        char b[48];
        int fill = (int)(done * (uint64_t)bar / total);
        for (int i = 0; i < bar; i++)
            b[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
        b[bar] = '\0';
        snprintf(buf, size, "[%s]%s", b, tail);
    }
    if (width > 0 && strlen(buf) > (size_t)width)
        buf[width] = '\0';
    return buf;
}

void
nk_progress_begin(struct nk_progress *p, int enable, uint64_t total,
                  uint64_t start)
{
    struct winsize ws;

    memset(p, 0, sizeof *p);
    p->total = total;
    p->start = start;
    p->t0_ms = nk_now_ms();
    p->last_ms = p->t0_ms;
    p->width = 80;
    if (!enable || !isatty(STDERR_FILENO))
        return;
    p->fp = stderr;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        p->width = ws.ws_col - 1; /* the last column would wrap */
}

int
nk_progress_due(const struct nk_progress *p)
{
    return p->fp != NULL && nk_now_ms() - p->last_ms >= REDRAW_MS;
}

/* Put line on the terminal in place of what is there, at most width
 * columns (a wrapped line could not be erased with one EL). */
static void
draw(struct nk_progress *p, const char *line, int64_t now)
{
    p->last_ms = now;
    fprintf(p->fp, "\r%.*s\033[K", p->width, line);
    fflush(p->fp);
    p->drawn = 1;
}

void
nk_progress_update(struct nk_progress *p, uint64_t done)
{
    char line[256];
    int64_t now;

    if (!nk_progress_due(p))
        return;
    now = nk_now_ms();
    nk_progress_format(line, sizeof line, p->width, done, p->total,
                       done > p->start ? done - p->start : 0, now - p->t0_ms);
    draw(p, line, now);
}

void
nk_progress_show(struct nk_progress *p, const char *line)
{
    if (nk_progress_due(p))
        draw(p, line, nk_now_ms());
}

void
nk_progress_end(struct nk_progress *p)
{
    if (p->fp != NULL && p->drawn) {
        fputs("\r\033[K", p->fp);
        fflush(p->fp);
    }
    p->drawn = 0;
}

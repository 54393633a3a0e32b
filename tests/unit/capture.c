/* In-process command runs with captured output (see capture.h). */
#include "capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "commands.h"

static char *out_text, *err_text;

/* Read all of fp into a fresh NUL-terminated buffer. */
static char *
slurp(FILE *fp, size_t *len)
{
    long size;
    char *buf;

    fflush(fp);
    fseek(fp, 0, SEEK_END);
    size = ftell(fp);
    rewind(fp);
    buf = malloc((size_t)(size > 0 ? size : 0) + 1);
    if (buf == NULL)
        abort();
    *len = fread(buf, 1, (size_t)(size > 0 ? size : 0), fp);
    buf[*len] = '\0';
    return buf;
}

/* Point fd at fp's file for the duration of a run; returns the saved fd. */
static int
redirect(int fd, FILE *fp)
{
    int saved = dup(fd);

    if (saved < 0 || dup2(fileno(fp), fd) < 0)
        abort();
    return saved;
}

static void
restore(int fd, int saved)
{
    dup2(saved, fd);
    close(saved);
}

char *
nk_test_capture_stdin(char **argv, int argc, const char *in_path, int *rc,
                      size_t *len)
{
    FILE *out = tmpfile(), *err = tmpfile();
    FILE *in = fopen(in_path ? in_path : "/dev/null", "r");
    int so, se, si;
    size_t n, m;

    if (out == NULL || err == NULL || in == NULL)
        abort();
    fflush(stdout);
    fflush(stderr);
    so = redirect(STDOUT_FILENO, out);
    se = redirect(STDERR_FILENO, err);
    si = redirect(STDIN_FILENO, in);
    clearerr(stdin);
    *rc = nk_main(argc, argv);
    fflush(stdout);
    fflush(stderr);
    restore(STDOUT_FILENO, so);
    restore(STDERR_FILENO, se);
    restore(STDIN_FILENO, si);
    clearerr(stdin);
    free(out_text);
    free(err_text);
    out_text = slurp(out, &n);
    err_text = slurp(err, &m);
    fclose(out);
    fclose(err);
    fclose(in);
    if (len != NULL)
        *len = n;
    return out_text;
}

char *
nk_test_capture(char **argv, int argc, int *rc, size_t *len)
{
    return nk_test_capture_stdin(argv, argc, NULL, rc, len);
}

const char *
nk_test_captured_err(void)
{
    return err_text ? err_text : "";
}

/* slow-echo - a line echo server whose every answer takes work.
 *
 *   slow-echo [-w WORKERS] [-d MS] [HOST] PORT
 *
 * Each line a client sends comes back after MS milliseconds (default 200)
 * of pretend work: a sleep, standing for a slow computation or a call to a
 * disk or a database that blocks.
 *
 * With -w 0 the work is done in the event loop's own thread, inside
 * on_data, and while it runs the loop serves nobody: ten clients that send a
 * line at the same moment get their answers one after the other, the last
 * after ten times MS.  With WORKERS threads (default 4) the loop only hands
 * each line to a pool of worker threads (lib/workers.h) and goes back to
 * serving; a worker does the work and posts the answer back to the loop
 * with ev_post(), the one call of the loop that another thread may make.
 *
 * A connection has at most one line at work, so its answers come back in
 * the order of its lines; lines that arrive meanwhile wait in its input
 * buffer (and a client that sends too many is no longer read: back-pressure).
 */
#include "evloop.h"
#include "net.h"
#include "serve.h"
#include "workers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: slow-echo [-w WORKERS] [-d MS] [HOST] PORT\n"
    "Echoes each line after MS milliseconds of work (default 200), done by\n"
    "WORKERS threads (default 4; 0 does it in the event loop, stalling it).\n";

#define MAX_LINE 4096

static long work_ms = 200;

/* The work itself: a stand-in for anything slow that blocks. */
static void do_work(void)
{
    struct timespec pause = {work_ms / 1000, (work_ms % 1000) * 1000000L};
    while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
        continue;
}

/* ---- the connections ------------------------------------------------------------- */

static struct workers *pool;

/* A line on its way to a worker and back.  It names its connection by id,
 * not by pointer: the client may be gone by the time the answer is ready. */
struct job {
    struct work work; /* first: the pool hands back a pointer to it */
    struct ev_loop *loop;
    uint64_t conn_id;
    size_t len;
    char line[];
};

/* Per connection: is a line of it at work? */
struct line_state {
    bool at_work;
};

static void take_lines(struct ev_conn *c);

/* On a worker thread. */
static void run_job(struct work *w)
{
    (void)w;
    do_work();
}

/* On the loop's thread: a worker has finished a line. */
static void answer(struct work *w)
{
    struct job *job = (struct job *)w;
    struct ev_conn *c = job->work.dropped ? NULL : ev_find(job->loop, job->conn_id);
    if (c != NULL) { /* NULL: the client left while its line was at work */
        ev_write(c, job->line, job->len);
        ((struct line_state *)ev_data(c))->at_work = false;
        take_lines(c); /* its next line may be waiting already */
    }
    free(job);
}

static void start_line(struct ev_conn *c, const char *line, size_t len)
{
    if (workers_count(pool) == 0) { /* -w 0: work right here, and stall the loop */
        do_work();
        ev_write(c, line, len);
        return;
    }
    struct job *job = malloc(sizeof *job + len);
    if (job == NULL) {
        ev_close(c);
        return;
    }
    job->work = (struct work){.run = run_job, .done = answer};
    job->loop = ev_loop_of(c);
    job->conn_id = ev_id(c);
    job->len = len;
    memcpy(job->line, line, len);
    if (workers_submit(pool, &job->work) < 0) { /* shutting down */
        free(job);
        ev_close(c);
        return;
    }
    ((struct line_state *)ev_data(c))->at_work = true;
}

/* Starts on the complete lines of the input, one at a time.  Once the
 * client has finished sending (a half-close) and its last line has been
 * answered, the connection closes, after the answers have been sent. */
static void take_lines(struct ev_conn *c)
{
    struct line_state *state = ev_data(c);
    size_t n;
    bool too_long;
    while (!state->at_work && (n = ev_line(c, MAX_LINE, &too_long)) > 0) {
        if (too_long) {
            ev_write(c, "line too long\n", 14);
            ev_close(c);
            return;
        }
        size_t len;
        start_line(c, ev_input(c, &len), n);
        ev_consume(c, n);
    }
    if (!state->at_work && ev_input_ended(c))
        ev_close(c);
}

static void on_open(struct ev_conn *c)
{
    struct line_state *state = calloc(1, sizeof *state);
    if (state == NULL)
        ev_close(c);
    ev_set_data(c, state);
}

static void on_data(struct ev_conn *c)
{
    if (ev_data(c) != NULL)
        take_lines(c);
}

/* The client has finished sending: the lines at work, or waiting, are
 * still answered. */
static void on_eof(struct ev_conn *c)
{
    if (ev_data(c) != NULL)
        take_lines(c);
    else
        ev_close(c);
}

static void on_close(struct ev_conn *c)
{
    free(ev_data(c));
}

static const struct ev_handlers slow_echo = {
    .on_open = on_open, .on_data = on_data, .on_eof = on_eof, .on_close = on_close};

/* ---- main ---------------------------------------------------------------------- */

static long parse_number(const char *text, long max)
{
    long value = net_parse_number(text, 0, max);
    if (value < 0) {
        fputs(usage_text, stderr);
        exit(2);
    }
    return value;
}

int main(int argc, char **argv)
{
    long workers = 4;
    const char *host, *port;
    char err[EV_ERR_LEN];

    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
    int opt;
    opterr = 0;
    while ((opt = getopt(argc, argv, "+w:d:")) != -1) {
        if (opt == 'w')
            workers = parse_number(optarg, 256);
        else if (opt == 'd')
            work_ms = parse_number(optarg, 60000);
        else {
            fputs(usage_text, stderr);
            return 2;
        }
    }
    serve_parse_args(argc - optind + 1, argv + optind - 1, usage_text, &host, &port);

    /* The loop before the threads: they inherit its blocked signals, so a
     * SIGTERM always reaches the loop, never a worker. */
    struct ev_loop *loop = ev_loop_new(err);
    if (loop == NULL) {
        fprintf(stderr, "slow-echo: %s\n", err);
        return 1;
    }
    pool = workers_start(loop, workers, 0, err);
    if (pool == NULL) {
        fprintf(stderr, "slow-echo: %s\n", err);
        return 1;
    }
    int listener = serve_listen("slow-echo", host, port);
    if (ev_listen(loop, listener, &slow_echo, NULL) < 0) {
        fprintf(stderr, "slow-echo: watching the listener: %s\n", strerror(errno));
        return 1;
    }
    int status = 0;
    if (ev_run(loop) < 0) {
        fprintf(stderr, "slow-echo: epoll_wait: %s\n", strerror(errno));
        status = 1;
    }
    workers_stop(pool); /* first, so no worker posts to a loop that is gone */
    ev_loop_free(loop);
    workers_free(pool); /* last: the answers ev_loop_free() ran may use it */
    return status;
}

/* slow-upper - turns each line to upper case, slowly, on a bounded pool.
 *
 *   slow-upper [-w WORKERS] [-q QUEUE] [-d MS] [HOST] PORT
 *
 * Each line a client sends comes back in upper case after MS milliseconds
 * (default 200) of work, done by a pool of WORKERS threads (default 4) so
 * that the event loop never waits.  At most QUEUE lines (default 16) may
 * wait for a free worker; a line that finds the queue full is answered
 * "busy\n" at once: a server that queues without limit only turns overload
 * into ever longer waits and ever more memory.  The line "ping" is answered
 * "pong" by the loop itself, at once, however busy the workers are.
 *
 * A connection has at most one line at work, so its answers come back in
 * the order of its lines.
 *
 * Exercise 3 of chapter 03: fill in the parts marked TODO.
 */
#include "evloop.h"
#include "net.h"
#include "serve.h"
#include "workers.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: slow-upper [-w WORKERS] [-q QUEUE] [-d MS] [HOST] PORT\n"
    "Answers each line in upper case after MS milliseconds of work (default\n"
    "200) on WORKERS threads (default 4); at most QUEUE lines (default 16)\n"
    "wait for a worker, the others are answered \"busy\".\n";

#define MAX_LINE 4096

static long work_ms = 200;
static long queue_limit = 16;
static struct workers *pool;

/* The work itself: slow on purpose, standing for anything that blocks. */
static void do_work(char *line, size_t len)
{
    struct timespec pause = {work_ms / 1000, (work_ms % 1000) * 1000000L};
    while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
        continue;
    for (size_t i = 0; i < len; i++)
        line[i] = (char)toupper((unsigned char)line[i]);
}

/* ---- the connections ------------------------------------------------------------- */

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

/* TODO (exercise 3): the part of the work that runs on a worker thread:
 * do_work() on the job's line.  Its signature is that of struct work's
 * run (see workers.h). */

static void start_line(struct ev_conn *c, const char *line, size_t len)
{
    if (len == 5 && memcmp(line, "ping\n", 5) == 0) {
        ev_write(c, "pong\n", 5); /* no work: the loop answers at once */
        return;
    }
    struct job *job = malloc(sizeof *job + len);
    if (job == NULL) {
        ev_close(c);
        return;
    }
    job->loop = ev_loop_of(c);
    job->conn_id = ev_id(c);
    job->len = len;
    memcpy(job->line, line, len);
    /* TODO (exercise 3): this does the work right here, on the loop's own
     * thread, and every other client waits meanwhile.  Hand the job to the
     * pool instead (job->work's run and done, workers_submit()), mark the
     * connection at_work (its next line waits until answer() has run), and
     * answer "busy\n" at once if the pool's queue is full. */
    (void)answer;
    do_work(job->line, job->len);
    ev_write(c, job->line, job->len);
    free(job);
}

/* Starts on the complete lines of the input, one at a time.  Once the
 * client has finished sending and its last line has been answered, the
 * connection closes. */
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

static void on_close(struct ev_conn *c)
{
    free(ev_data(c));
}

static const struct ev_handlers slow_upper = {
    .on_open = on_open, .on_data = on_data, .on_eof = on_data, .on_close = on_close};

/* ---- main ---------------------------------------------------------------------- */

static long parse_number(const char *text, long max)
{
    long value = net_parse_number(text, 1, max);
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
    while ((opt = getopt(argc, argv, "+w:q:d:")) != -1) {
        if (opt == 'w')
            workers = parse_number(optarg, 256);
        else if (opt == 'q')
            queue_limit = parse_number(optarg, 1000000);
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
        fprintf(stderr, "slow-upper: %s\n", err);
        return 1;
    }
    pool = workers_start(loop, workers, queue_limit, err);
    if (pool == NULL) {
        fprintf(stderr, "slow-upper: %s\n", err);
        return 1;
    }
    int listener = serve_listen("slow-upper", host, port);
    if (ev_listen(loop, listener, &slow_upper, NULL) < 0) {
        fprintf(stderr, "slow-upper: watching the listener: %s\n", strerror(errno));
        return 1;
    }
    int status = 0;
    if (ev_run(loop) < 0) {
        fprintf(stderr, "slow-upper: epoll_wait: %s\n", strerror(errno));
        status = 1;
    }
    workers_stop(pool); /* first, so no worker posts to a loop that is gone */
    ev_loop_free(loop);
    workers_free(pool); /* last: the answers ev_loop_free() ran may use it */
    return status;
}

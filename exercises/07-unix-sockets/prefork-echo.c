/* prefork-echo - a pre-forked echo server: the parent accepts, workers echo.
 *
 *   prefork-echo [-w WORKERS] PATH
 *
 * Exercise 3 of chapter 07: fill in the parts marked TODO.  As given, the
 * parent starts no workers and echoes every connection itself, one at a
 * time.  The parent listens on the Unix socket PATH and
 * starts WORKERS worker processes (default 4) before any client comes, each
 * with one end of a socketpair.  For every connection it accepts, the parent
 * passes the connected socket to the next worker in turn over that worker's
 * socketpair (SCM_RIGHTS) and closes its own copy.  A worker serves one
 * connection at a time with chapter 01's blocking echo, and logs
 *
 *   worker N pid P serving a connection
 *
 * when it starts on one.  (Passing accepted sockets lets one process own
 * the listening socket and decide who serves what, which a set of workers
 * all calling accept() cannot.)  On SIGINT or SIGTERM the parent stops the
 * workers, waits for them, removes PATH and exits 0.
 */
#include "net.h"
#include "serve.h"
#include "uds.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: prefork-echo [-w WORKERS] PATH\n"
    "Echo server on the Unix socket PATH: the parent accepts each connection\n"
    "and passes it to one of WORKERS pre-forked workers (default 4).\n";

#define MAX_WORKERS 64

struct worker {
    pid_t pid;
    int channel; /* the parent's end of the worker's socketpair */
};

/* Echoes one connection until the client closes it. */
static void echo_connection(int fd)
{
    char buf[65536];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || net_send_all(fd, buf, (size_t)n) < 0)
            return;
    }
}

/* A worker's whole life: take a connection from the parent, serve it, take
 * the next; end when the parent closes the channel. */
static void worker_main(int index, int channel)
{
    for (;;) {
        /* TODO (exercise 3): receive one byte and a descriptor from the
         * channel with uds_recv_fd(); at the end of the channel (0) or on
         * an error, _exit(); without a descriptor, go round again.  Then
         * log the line below, flush stdout, echo the connection with
         * echo_connection() and close it. */
        (void)channel;
        printf("worker %d pid %d serving a connection\n", index, (int)getpid());
        fflush(stdout);
        _exit(1);
    }
}

/* Starts count workers; *started says how many are running, also when
 * one could not be started (-1, errno set). */
static int start_workers(struct worker *workers, int count, int listener, int stop,
                         int *started)
{
    *started = 0;
    /* TODO (exercise 3): for each worker i, make a socketpair(), flush
     * stdout and fork().  The child sets SIGINT and SIGTERM back to SIG_DFL,
     * closes what it does not need (listener, stop, the parent's end, the
     * channels of the workers before it) and runs worker_main(i, its end).
     * The parent closes the child's end and records
     * workers[i] = (struct worker){pid, its end}, and *started = i + 1. */
    (void)workers;
    (void)count;
    (void)listener;
    (void)stop;
    if (0)
        worker_main(0, -1); /* keeps the compiler quiet until it is used */
    return 0;
}

static void stop_workers(struct worker *workers, int count)
{
    for (int i = 0; i < count; i++) {
        close(workers[i].channel);
        kill(workers[i].pid, SIGTERM); /* a worker busy with a client */
    }
    for (int i = 0; i < count; i++)
        while (waitpid(workers[i].pid, NULL, 0) < 0 && errno == EINTR)
            continue;
}

int main(int argc, char **argv)
{
    struct worker workers[MAX_WORKERS];
    long count = 4;

    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    int opt;
    opterr = 0;
    while ((opt = getopt(argc, argv, "+w:")) != -1) {
        if (opt != 'w' || (count = net_parse_number(optarg, 1, MAX_WORKERS)) < 0) {
            fputs(usage_text, stderr);
            return 2;
        }
    }
    if (argc - optind != 1) {
        fputs(usage_text, stderr);
        return 2;
    }
    const char *path = argv[optind];
    int stop = serve_stop_pipe("prefork-echo");
    int listener = net_unix_listen_or_exit("prefork-echo", path, SOCK_STREAM);
    int status = 0, started;
    if (start_workers(workers, (int)count, listener, stop, &started) < 0) {
        fprintf(stderr, "prefork-echo: starting the workers: %s\n", strerror(errno));
        status = 1;
    }
    int next = 0, stopped = status != 0;
    while (!stopped) {
        int client = uds_accept_until_stopped(listener, stop, &stopped);
        if (client < 0) {
            if (!stopped)
                fprintf(stderr, "prefork-echo: accept: %s\n", strerror(errno));
            continue;
        }
        /* TODO (exercise 3): pass the connection to workers[next] with
         * uds_send_fd() (one byte of data, say "c"), instead of serving it
         * here; close the parent's copy; and move next on to the next
         * worker, round the circle. */
        (void)next;
        echo_connection(client);
        close(client);
    }
    stop_workers(workers, started);
    if (net_unix_close_listener("prefork-echo", listener, path) != 0)
        status = 1;
    return status;
}

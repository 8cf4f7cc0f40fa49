/* prefork-echo - a pre-forked echo server: the parent accepts, workers echo.
 *
 *   prefork-echo [-w WORKERS] PATH
 *
 * Exercise 3 of chapter 07.  The parent listens on the Unix socket PATH and
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
        char byte;
        int fd;
        ssize_t n = uds_recv_fd(channel, &byte, 1, &fd);
        if (n <= 0)
            _exit(n == 0 ? 0 : 1);
        if (fd < 0)
            continue; /* a message without a connection: nothing to do */
        printf("worker %d pid %d serving a connection\n", index, (int)getpid());
        fflush(stdout);
        echo_connection(fd);
        close(fd);
    }
}

/* Starts count workers; *started says how many are running, also when
 * one could not be started (-1, errno set). */
static int start_workers(struct worker *workers, int count, int listener, int stop,
                         int *started)
{
    *started = 0;
    for (int i = 0; i < count; i++) {
        int ends[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) < 0)
            return -1;
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0)
            return -1;
        if (pid == 0) {
            /* The worker needs none of the parent's descriptors, and dies
             * of SIGINT and SIGTERM as a plain program does. */
            signal(SIGINT, SIG_DFL);
            signal(SIGTERM, SIG_DFL);
            close(listener);
            close(stop);
            close(ends[0]);
            for (int j = 0; j < i; j++)
                close(workers[j].channel);
            worker_main(i, ends[1]);
        }
        close(ends[1]);
        workers[i] = (struct worker){pid, ends[0]};
        *started = i + 1;
    }
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
        /* The worker gets its own descriptor for the connection; the
         * parent's copy is closed, so the connection ends when the worker
         * is done with it. */
        if (uds_send_fd(workers[next].channel, "c", 1, client) < 0)
            fprintf(stderr, "prefork-echo: passing a connection to worker %d: %s\n", next,
                    strerror(errno));
        close(client);
        next = (next + 1) % (int)count;
    }
    stop_workers(workers, started);
    if (net_unix_close_listener("prefork-echo", listener, path) != 0)
        status = 1;
    return status;
}

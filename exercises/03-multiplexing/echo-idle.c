/* echo-idle - the echo server that hangs up on idle clients.
 *
 *   echo-idle [-t MS] [HOST] PORT
 *
 * echo-epoll, plus one rule: a client that sends nothing for MS milliseconds
 * (default 5000) is told "idle timeout\n" and disconnected.  Every server
 * open to the network needs such a rule, or clients that connect and go
 * quiet pin its descriptors and memory for ever.
 *
 * Exercise 2 of chapter 03: fill in the parts marked TODO.
 */
#include "evloop.h"
#include "serve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: echo-idle [-t MS] [HOST] PORT\n"
    "Echoes every byte back; disconnects a client idle for MS milliseconds\n"
    "(default 5000).  HOST defaults to 127.0.0.1; PORT 0 lets the kernel choose.\n";

static long idle_ms = 5000;

/* TODO (exercise 2): start the connection's timer (ev_set_timer) when it
 * opens, start it again whenever data arrives, and when it fires say
 * "idle timeout\n" and close the connection after that line has gone. */
static void on_open(struct ev_conn *c)
{
    (void)c;
}

static void echo_back(struct ev_conn *c)
{
    size_t len;
    const char *data = ev_input(c, &len);
    ev_write(c, data, len);
    ev_consume(c, len);
}

static void on_idle(struct ev_conn *c)
{
    (void)c;
}

static const struct ev_handlers idle_echo = {
    .on_open = on_open, .on_data = echo_back, .on_timer = on_idle};

int main(int argc, char **argv)
{
    const char *host, *port;
    char err[EV_ERR_LEN];

    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
    int opt;
    opterr = 0;
    while ((opt = getopt(argc, argv, "+t:")) != -1) {
        char *end;
        idle_ms = opt == 't' ? strtol(optarg, &end, 10) : -1;
        if (opt != 't' || *end != '\0' || end == optarg || idle_ms < 1) {
            fputs(usage_text, stderr);
            return 2;
        }
    }
    serve_parse_args(argc - optind + 1, argv + optind - 1, usage_text, &host, &port);

    struct ev_loop *loop = ev_loop_new(err);
    if (loop == NULL) {
        fprintf(stderr, "echo-idle: %s\n", err);
        return 1;
    }
    int listener = serve_listen("echo-idle", host, port);
    if (ev_listen(loop, listener, &idle_echo, NULL) < 0) {
        fprintf(stderr, "echo-idle: watching the listener: %s\n", strerror(errno));
        return 1;
    }
    int status = 0;
    if (ev_run(loop) < 0) {
        fprintf(stderr, "echo-idle: epoll_wait: %s\n", strerror(errno));
        status = 1;
    }
    ev_loop_free(loop);
    return status;
}

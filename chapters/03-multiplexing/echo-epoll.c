/* echo-epoll - the echo server on the chapter's event loop (epoll).
 *
 *   echo-epoll [HOST] PORT
 *
 * echo-poll hands the kernel its whole array of descriptors on every call.
 * epoll (Linux-specific) keeps that list inside the kernel instead: a
 * descriptor is registered once with epoll_ctl(), and epoll_wait() returns
 * only the ones that are ready, so a wake-up costs in proportion to the
 * clients that have work, not to the clients there are.
 *
 * The loop itself lives in evloop.c, the library that the later chapters'
 * servers link: it accepts, reads into each connection's input buffer,
 * sends from its output buffer, stops reading from a client whose echo
 * piles up, and turns SIGINT and SIGTERM into a clean return from ev_run().
 * What is left for the echo server is one callback.
 */
#include "evloop.h"
#include "serve.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "usage: echo-epoll [HOST] PORT\n"
    "Echoes every byte back to each TCP client, all in one thread, with epoll.\n"
    "HOST defaults to 127.0.0.1; PORT 0 lets the kernel choose.\n";

/* Whatever has arrived goes back out, all of it. */
static void echo_back(struct ev_conn *c)
{
    size_t len;
    const char *data = ev_input(c, &len);
    ev_write(c, data, len);
    ev_consume(c, len);
}

static const struct ev_handlers echo = {.on_data = echo_back};

int main(int argc, char **argv)
{
    const char *host, *port;
    char err[EV_ERR_LEN];

    serve_parse_args(argc, argv, usage_text, &host, &port);
    /* The loop first: from here on SIGINT and SIGTERM wait for it. */
    struct ev_loop *loop = ev_loop_new(err);
    if (loop == NULL) {
        fprintf(stderr, "echo-epoll: %s\n", err);
        return 1;
    }
    int listener = serve_listen("echo-epoll", host, port);
    if (ev_listen(loop, listener, &echo, NULL) < 0) {
        fprintf(stderr, "echo-epoll: watching the listener: %s\n", strerror(errno));
        return 1;
    }
    int status = 0;
    if (ev_run(loop) < 0) {
        fprintf(stderr, "echo-epoll: epoll_wait: %s\n", strerror(errno));
        status = 1;
    }
    ev_loop_free(loop);
    return status;
}

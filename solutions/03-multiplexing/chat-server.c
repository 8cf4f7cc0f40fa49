/* chat-server - a chat room on the event loop of chapter 03.
 *
 *   chat-server [HOST] PORT
 *
 * Every complete line a client sends (up to and including its newline) goes
 * to every other client, unchanged.  A piece of a line waits in the sender's
 * input buffer until its newline arrives.  A client that does not read what
 * the room sends it is disconnected once more than SLOW_LIMIT bytes wait for
 * it: the room must not hold an unbounded backlog for one member.
 *
 * Exercise 1 of chapter 03 (solved).
 */
#include "evloop.h"
#include "serve.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "usage: chat-server [HOST] PORT\n"
    "A chat room: each line a client sends goes to every other client.\n"
    "HOST defaults to 127.0.0.1; PORT 0 lets the kernel choose.\n";

/* The backlog a member may have before the room lets it go. */
#define SLOW_LIMIT (1024 * 1024)
/* A "line" with no newline in this many bytes is cut into pieces. */
#define MAX_LINE 4096

static void send_to_others(struct ev_conn *from, const char *line, size_t len)
{
    for (struct ev_conn *c = ev_first(ev_loop_of(from)); c != NULL; c = ev_next(c)) {
        if (c == from)
            continue;
        ev_write(c, line, len);
        if (ev_output_pending(c) > SLOW_LIMIT)
            ev_close_now(c); /* it does not read: let it go */
    }
}

static void on_data(struct ev_conn *c)
{
    size_t line_len;
    bool too_long; /* a piece of MAX_LINE bytes: passed on as it is */
    while ((line_len = ev_line(c, MAX_LINE, &too_long)) > 0) {
        size_t len;
        send_to_others(c, ev_input(c, &len), line_len);
        ev_consume(c, line_len);
    }
    /* The rest of the line, if any, has not come yet: it stays in the
     * input, and comes back with what follows it. */
}

static const struct ev_handlers chat = {.on_data = on_data};

int main(int argc, char **argv)
{
    const char *host, *port;
    char err[EV_ERR_LEN];

    serve_parse_args(argc, argv, usage_text, &host, &port);
    struct ev_loop *loop = ev_loop_new(err);
    if (loop == NULL) {
        fprintf(stderr, "chat-server: %s\n", err);
        return 1;
    }
    int listener = serve_listen("chat-server", host, port);
    if (ev_listen(loop, listener, &chat, NULL) < 0) {
        fprintf(stderr, "chat-server: watching the listener: %s\n", strerror(errno));
        return 1;
    }
    int status = 0;
    if (ev_run(loop) < 0) {
        fprintf(stderr, "chat-server: epoll_wait: %s\n", strerror(errno));
        status = 1;
    }
    ev_loop_free(loop);
    return status;
}

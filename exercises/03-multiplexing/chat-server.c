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
 * Exercise 1 of chapter 03: fill in the parts marked TODO.
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

/* TODO (exercise 1): send the line to every client but the sender, and let
 * go at once (ev_close_now) of a client that has more than SLOW_LIMIT bytes
 * waiting for it (ev_output_pending).  ev_first() and ev_next() walk every
 * connection of the loop. */
static void send_to_others(struct ev_conn *from, const char *line, size_t len)
{
    ev_write(from, line, len); /* wrong: this only echoes to the sender */
}

static void on_data(struct ev_conn *c)
{
    /* TODO (exercise 1): find each complete line in the input (up to and
     * including its '\n'; a piece longer than MAX_LINE without one counts as
     * a line), send it with send_to_others() and consume it.  What is left
     * of an unfinished line stays in the input until the rest arrives.
     * ev_line() in evloop.h finds a line; finding it yourself with memchr()
     * first is the point of the exercise, then compare.
     * This starter passes on whatever has arrived, line or not. */
    size_t len;
    const char *data = ev_input(c, &len);
    send_to_others(c, data, len);
    ev_consume(c, len);
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

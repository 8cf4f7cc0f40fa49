/* echo-poll - the echo server, every client in one thread, with poll().
 *
 *   echo-poll [HOST] PORT
 *
 * echo-select cannot serve a descriptor numbered FD_SETSIZE or above.
 * poll() takes an array of struct pollfd instead of a fixed bitmap, one
 * entry per descriptor of any number, each saying what to wait for (events)
 * and, on return, what happened (revents).  The limit is gone; the rest of
 * the server is echo-select's: nonblocking sockets, a buffer per client,
 * write interest only while an echo is pending.
 *
 * Its flaw: every call still copies the whole array into the kernel, which
 * checks every entry, and the server walks the whole array to find the few
 * that are ready.  With ten thousand mostly idle clients, each wake-up for one
 * message costs ten thousand checks.
 */
#include "net.h"
#include "serve.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: echo-poll [HOST] PORT\n"
    "Echoes every byte back to each TCP client, all in one thread, with poll().\n"
    "HOST defaults to 127.0.0.1; PORT 0 lets the kernel choose.\n";

#define BUFFER_SIZE (16 * 1024)

struct client {
    char buf[BUFFER_SIZE];
    size_t len;  /* bytes in buf */
    size_t sent; /* of which already sent back */
};

/* Entry i of watched is the descriptor of clients[i].  Entries 0 and 1 are
 * the stop pipe and the listener; clients follow. */
#define STOP_SLOT 0
#define LISTEN_SLOT 1

static struct pollfd *watched;
static struct client **clients;
static size_t count, capacity;

static bool add_client(int fd)
{
    if (count == capacity) {
        size_t cap = capacity > 0 ? capacity * 2 : 64;
        struct pollfd *w = realloc(watched, cap * sizeof *w);
        if (w == NULL)
            return false;
        watched = w;
        struct client **c = realloc(clients, cap * sizeof *c);
        if (c == NULL)
            return false;
        clients = c;
        capacity = cap;
    }
    clients[count] = calloc(1, sizeof *clients[count]);
    if (clients[count] == NULL)
        return false;
    watched[count] = (struct pollfd){.fd = fd, .events = POLLIN};
    count++;
    return true;
}

/* Moves the last entry into slot i: order does not matter to poll(). */
static void drop_client(size_t i)
{
    close(watched[i].fd);
    free(clients[i]);
    count--;
    watched[i] = watched[count];
    clients[i] = clients[count];
}

static void accept_clients(int listener)
{
    for (;;) {
        int fd = net_accept(listener, 1);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EMFILE)
                return;
            continue;
        }
        if (!add_client(fd))
            close(fd); /* out of memory: turn this one away */
    }
}

/* Sends what is pending.  False if the client is gone. */
static bool send_pending(int fd, struct client *c)
{
    while (c->sent < c->len) {
        ssize_t n = send(fd, c->buf + c->sent, c->len - c->sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK;
        c->sent += (size_t)n;
    }
    c->len = c->sent = 0;
    return true;
}

/* Reads what has arrived and echoes it.  False if the client is gone. */
static bool receive(int fd, struct client *c)
{
    ssize_t n = recv(fd, c->buf, sizeof c->buf, 0);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK;
    if (n == 0)
        return false;
    c->len = (size_t)n;
    c->sent = 0;
    return send_pending(fd, c);
}

/* Handles what poll() reported for client i.  False if it is gone. */
static bool serve_client(size_t i)
{
    struct client *c = clients[i];
    short happened = watched[i].revents;
    bool alive = true;

    if (happened & POLLOUT)
        alive = send_pending(watched[i].fd, c);
    else if (happened & (POLLIN | POLLHUP | POLLERR))
        alive = receive(watched[i].fd, c);
    else if (happened & POLLNVAL)
        alive = false;
    /* Unlike an fd_set, a pollfd keeps its request between calls: change
     * it only when what the client needs changes. */
    watched[i].events = c->sent < c->len ? POLLOUT : POLLIN;
    return alive;
}

int main(int argc, char **argv)
{
    const char *host, *port;

    serve_parse_args(argc, argv, usage_text, &host, &port);
    int stop = serve_stop_pipe("echo-poll");
    int listener = serve_listen("echo-poll", host, port);
    if (net_set_nonblocking(listener) < 0) {
        fprintf(stderr, "echo-poll: making the listener nonblocking: %s\n",
                strerror(errno));
        return 1;
    }
    /* The two fixed entries have no client; they are never dropped. */
    if (!add_client(stop) || !add_client(listener)) {
        fprintf(stderr, "echo-poll: %s\n", strerror(ENOMEM));
        return 1;
    }

    for (;;) {
        if (poll(watched, count, -1) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "echo-poll: poll: %s\n", strerror(errno));
            return 1;
        }
        if (watched[STOP_SLOT].revents != 0)
            break;
        /* Clients first, from the end, so that dropping one (which moves the
         * last entry into its slot) never skips an entry not yet seen; then
         * the listener, whose new clients are polled from the next round. */
        for (size_t i = count; i-- > LISTEN_SLOT + 1;)
            if (watched[i].revents != 0 && !serve_client(i))
                drop_client(i);
        if (watched[LISTEN_SLOT].revents != 0)
            accept_clients(listener);
    }

    while (count > LISTEN_SLOT + 1)
        drop_client(count - 1);
    close(listener);
    free(watched);
    for (size_t i = 0; i < count; i++)
        free(clients[i]);
    free(clients);
    return 0;
}

/* echo-select - the echo server, every client in one thread, with select().
 *
 *   echo-select [HOST] PORT
 *
 * echo-threads spends a thread on every client, though most of them are
 * waiting most of the time.  select() lets one thread wait on all of them at
 * once: it returns when any descriptor in a set is readable (or writable),
 * and says which.  The sockets are nonblocking, so no call can ever wait on
 * one client while another has work.
 *
 * Each client gets a buffer of its own.  What arrives is echoed at once; if
 * the client does not take all of it (send() accepts only what fits in the
 * socket's buffer), the rest waits in the buffer and the server watches that
 * client for writability instead of readability.  Not reading from a client
 * that is not reading keeps the memory per client bounded: one buffer.
 *
 * Its flaw: an fd_set is a bitmap of FD_SETSIZE bits (1024 on Linux), and a
 * descriptor numbered FD_SETSIZE or more cannot be put in one at all; doing
 * so writes past the end of the set.  This server turns away such clients.
 * And each call hands the kernel the whole bitmap again, and the server scans
 * every descriptor up to the highest to find the few that are ready.
 */
#include "net.h"
#include "serve.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: echo-select [HOST] PORT\n"
    "Echoes every byte back to each TCP client, all in one thread, with select().\n"
    "HOST defaults to 127.0.0.1; PORT 0 lets the kernel choose.\n";

#define BUFFER_SIZE (16 * 1024)

/* One client: bytes received and not yet all sent back. */
struct client {
    char buf[BUFFER_SIZE];
    size_t len;  /* bytes in buf */
    size_t sent; /* of which already sent back */
};

/* Indexed by descriptor, which select() limits to below FD_SETSIZE anyway. */
static struct client *clients[FD_SETSIZE];

static void drop_client(int fd)
{
    free(clients[fd]);
    clients[fd] = NULL;
    close(fd);
}

static void accept_clients(int listener)
{
    for (;;) {
        int fd = net_accept(listener, 1);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EMFILE)
                return;
            continue; /* that connection failed; try the next */
        }
        /* FD_SET() on this descriptor would write past the end of every
         * fd_set: the one limit of select() that no care can lift. */
        if (fd >= FD_SETSIZE) {
            close(fd);
            continue;
        }
        clients[fd] = calloc(1, sizeof *clients[fd]);
        if (clients[fd] == NULL)
            close(fd);
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
        return false; /* the client has finished */
    c->len = (size_t)n;
    c->sent = 0;
    return send_pending(fd, c);
}

/* Fills the sets from scratch: select() overwrites them with its answer. */
static int build_sets(int listener, int stop, fd_set *readable, fd_set *writable)
{
    FD_ZERO(readable);
    FD_ZERO(writable);
    FD_SET(listener, readable);
    FD_SET(stop, readable);
    int max_fd = listener > stop ? listener : stop;
    for (int fd = 0; fd < FD_SETSIZE; fd++) {
        if (clients[fd] == NULL)
            continue;
        if (clients[fd]->sent < clients[fd]->len)
            FD_SET(fd, writable); /* output pending: stop reading */
        else
            FD_SET(fd, readable);
        if (fd > max_fd)
            max_fd = fd;
    }
    return max_fd;
}

int main(int argc, char **argv)
{
    const char *host, *port;

    serve_parse_args(argc, argv, usage_text, &host, &port);
    int stop = serve_stop_pipe("echo-select");
    int listener = serve_listen("echo-select", host, port);
    if (net_set_nonblocking(listener) < 0) {
        fprintf(stderr, "echo-select: making the listener nonblocking: %s\n",
                strerror(errno));
        return 1;
    }

    for (;;) {
        fd_set readable, writable;
        int max_fd = build_sets(listener, stop, &readable, &writable);
        if (select(max_fd + 1, &readable, &writable, NULL, NULL) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "echo-select: select: %s\n", strerror(errno));
            return 1;
        }
        if (FD_ISSET(stop, &readable))
            break;
        if (FD_ISSET(listener, &readable))
            accept_clients(listener);
        for (int fd = 0; fd <= max_fd; fd++) {
            struct client *c = clients[fd];
            if (c == NULL)
                continue;
            bool alive = true;
            if (FD_ISSET(fd, &writable))
                alive = send_pending(fd, c);
            else if (FD_ISSET(fd, &readable))
                alive = receive(fd, c);
            if (!alive)
                drop_client(fd);
        }
    }

    /* SIGINT or SIGTERM: close everything and leave. */
    for (int fd = 0; fd < FD_SETSIZE; fd++)
        if (clients[fd] != NULL)
            drop_client(fd);
    close(listener);
    return 0;
}

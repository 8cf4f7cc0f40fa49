/* uds-echo-server - the echo service over a stream Unix domain socket.
 *
 *   uds-echo-server PATH
 *
 * The same event loop as chapter 03's echo-epoll, the same callback; only
 * the listening socket differs.  The loop neither knows nor cares which
 * family a socket belongs to: accept(), recv() and send() work alike.
 *
 * PATH is a file name (the socket appears in the filesystem, and stays there
 * until it is removed: this server removes it when it exits) or "@name", a
 * Linux abstract name that lives only as long as the socket.  A socket file
 * left behind by a server that crashed is replaced; one where a server still
 * answers is not.
 */
#include "evloop.h"
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: uds-echo-server PATH\n"
    "Echoes every byte back to each client of a stream Unix socket at PATH,\n"
    "all in one thread.  PATH \"@name\" is a Linux abstract name.\n";

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
    char err[EV_ERR_LEN];

    const char *path = net_unix_server_args(argc, argv, usage_text);
    /* The loop first: from here on SIGINT and SIGTERM wait for it, so the
     * path is always removed below. */
    struct ev_loop *loop = ev_loop_new(err);
    if (loop == NULL) {
        fprintf(stderr, "uds-echo-server: %s\n", err);
        return 1;
    }
    int listener = net_unix_listen_or_exit("uds-echo-server", path, SOCK_STREAM);
    int status = 0;
    if (ev_listen(loop, listener, &echo, NULL) < 0) {
        fprintf(stderr, "uds-echo-server: watching the listener: %s\n", strerror(errno));
        status = 1;
    } else if (ev_run(loop) < 0) {
        fprintf(stderr, "uds-echo-server: epoll_wait: %s\n", strerror(errno));
        status = 1;
    }
    ev_loop_free(loop);
    if (net_unix_unlink(path) < 0) {
        fprintf(stderr, "uds-echo-server: removing %s: %s\n", path, strerror(errno));
        status = 1;
    }
    return status;
}

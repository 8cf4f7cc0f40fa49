/* echo-server - a blocking TCP echo server: one client at a time.
 *
 *   echo-server [HOST] PORT
 *
 * Accepts a connection, sends back every byte the client sends until the
 * client closes its side, then closes the connection and accepts the next
 * one.  While one client is being served, others wait in the kernel's queue of
 * completed connections (the listen backlog): chapter 03 fixes that.
 */
#include "echo.h"
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: echo-server [HOST] PORT\n"
    "Echoes every byte back to one TCP client at a time.\n"
    "HOST defaults to 127.0.0.1; PORT 0 lets the kernel choose.\n";

static void serve_one_client(int client)
{
    char peer[NET_ADDR_LEN];
    unsigned long long echoed;

    if (net_peer_address(client, peer, sizeof peer) < 0)
        snprintf(peer, sizeof peer, "a client that already left");
    printf("connection from %s\n", peer);
    /* ECONNRESET here means the client reset the connection mid-stream;
     * it is that client's problem, not the server's. */
    if (echo_stream(client, &echoed) < 0)
        fprintf(stderr, "echo-server: %s: %s\n", peer, strerror(errno));
    printf("closed %s after echoing %llu bytes\n", peer, echoed);
    if (close(client) < 0)
        fprintf(stderr, "echo-server: closing %s: %s\n", peer, strerror(errno));
}

int main(int argc, char **argv)
{
    const char *host, *port;

    net_parse_server_args(argc, argv, usage_text, &host, &port);

    net_exit_on_stop_signals();
    /* Log lines go out one by one even when stdout is a pipe. */
    setvbuf(stdout, NULL, _IOLBF, 0);

    int listener = net_listen_or_exit("echo-server", host, port, SOCK_STREAM);
    for (;;) {
        int client = accept(listener, NULL, NULL);
        if (client < 0) {
            /* A connection that was reset while queued (ECONNABORTED), a
             * signal, or a shortage of descriptors: none of them is a
             * reason to stop serving the next client. */
            if (errno != EINTR)
                fprintf(stderr, "echo-server: accepting: %s\n", strerror(errno));
            continue;
        }
        serve_one_client(client);
    }
}

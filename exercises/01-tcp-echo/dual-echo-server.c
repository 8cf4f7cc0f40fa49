/* dual-echo-server - one listening socket for IPv6 and IPv4 clients alike.
 *
 *   dual-echo-server PORT
 *
 * Listens on the IPv6 wildcard address [::] with IPV6_V6ONLY turned off, so
 * that IPv4 clients arrive on the same socket with IPv4-mapped addresses
 * (::ffff:127.0.0.1).  Logs each client as "connection from ADDR:PORT",
 * writing IPv4 clients in their plain IPv4 form, and echoes like
 * echo-server, one client at a time.
 */
#include "echo.h"
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *to, int status)
{
    fprintf(to, "usage: dual-echo-server PORT\n"
                "Echoes to IPv6 and IPv4 clients from one socket on [::].\n");
    exit(status);
}

/* Exercise 3, step 1: make the listening socket yourself, without
 * net_listen(): socket(AF_INET6, SOCK_STREAM, 0); IPV6_V6ONLY set to 0 with
 * setsockopt(IPPROTO_IPV6, ...), because its default is a system setting;
 * SO_REUSEADDR; bind() to in6addr_any and the port (in network byte order:
 * htons); listen().  Reject a port that is not a number from 0 to 65535.
 * Return the socket, or -1 with "what failed: reason" in err (NET_ERR_LEN
 * bytes), closing the socket if one was made. */
static int listen_dual_stack(const char *port_text, char *err)
{
    /* TODO(exercise 3) */
    (void)port_text;
    snprintf(err, NET_ERR_LEN, "listen_dual_stack: not written yet");
    return -1;
}

/* Exercise 3, step 2: write the client's address into out, as
 * net_format_address() does, except that an IPv4-mapped address
 * (::ffff:a.b.c.d, see IN6_IS_ADDR_V4MAPPED) is written as the IPv4 client
 * knows itself: a.b.c.d:port.  Hint: build a struct sockaddr_in from the
 * last 4 bytes of the address and the same port.  Return out. */
static char *format_client(const struct sockaddr_in6 *client, char *out, size_t outlen)
{
    /* TODO(exercise 3) */
    (void)client;
    snprintf(out, outlen, "(unknown)");
    return out;
}

static void serve_one_client(int client, const struct sockaddr_in6 *addr)
{
    char peer[NET_ADDR_LEN];
    unsigned long long echoed;

    printf("connection from %s\n", format_client(addr, peer, sizeof peer));
    if (echo_stream(client, &echoed) < 0)
        fprintf(stderr, "dual-echo-server: %s: %s\n", peer, strerror(errno));
    close(client);
}

int main(int argc, char **argv)
{
    char err[NET_ERR_LEN];

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, 0);
    if (argc != 2 || argv[1][0] == '-')
        usage(stderr, 2);

    net_exit_on_stop_signals();
    setvbuf(stdout, NULL, _IOLBF, 0);
    int listener = listen_dual_stack(argv[1], err);
    if (listener < 0) {
        fprintf(stderr, "dual-echo-server: %s\n", err);
        return 1;
    }
    if (net_announce_listening(listener) < 0) {
        fprintf(stderr, "dual-echo-server: announcing the address: %s\n",
                strerror(errno));
        return 1;
    }
    for (;;) {
        struct sockaddr_in6 addr;
        socklen_t len = sizeof addr;
        int client = accept(listener, (struct sockaddr *)&addr, &len);
        if (client < 0) {
            if (errno != EINTR)
                fprintf(stderr, "dual-echo-server: accepting: %s\n", strerror(errno));
            continue;
        }
        serve_one_client(client, &addr);
    }
}

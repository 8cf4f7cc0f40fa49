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

/* Exercise 3, step 1: socket(AF_INET6), SO_REUSEADDR, IPV6_V6ONLY off,
 * bind() to in6addr_any and PORT, listen().  Returns the socket, or -1 with
 * a message in err. */
static int listen_dual_stack(const char *port_text, char *err)
{
    struct sockaddr_in6 addr = {0};
    int one = 1, zero = 0;
    char *end;

    long port = strtol(port_text, &end, 10);
    if (*port_text == '\0' || *end != '\0' || port < 0 || port > 65535) {
        snprintf(err, NET_ERR_LEN, "port %s: not a number from 0 to 65535", port_text);
        return -1;
    }
    addr.sin6_family = AF_INET6;
    addr.sin6_addr = in6addr_any;
    addr.sin6_port = htons((unsigned short)port);

    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    const char *failed = NULL;
    if (fd < 0)
        failed = "creating an IPv6 socket";
    /* The default of IPV6_V6ONLY is a system setting (net.ipv6.bindv6only
     * on Linux, on by default elsewhere), so a program that wants both
     * families says so. */
    else if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) < 0)
        failed = "turning IPV6_V6ONLY off";
    else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
        failed = "setting SO_REUSEADDR";
    else if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
        failed = "binding [::]";
    else if (listen(fd, SOMAXCONN) < 0)
        failed = "listening";
    if (failed == NULL)
        return fd;
    snprintf(err, NET_ERR_LEN, "%s: %s", failed, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

/* Exercise 3, step 2: an IPv4 client shows up as ::ffff:a.b.c.d; write it
 * as a.b.c.d:port, as the IPv4 client itself would. */
static char *format_client(const struct sockaddr_in6 *client, char *out, size_t outlen)
{
    if (!IN6_IS_ADDR_V4MAPPED(&client->sin6_addr))
        return net_format_address((const struct sockaddr *)client, out, outlen);

    struct sockaddr_in v4 = {0};
    v4.sin_family = AF_INET;
    v4.sin_port = client->sin6_port;
    /* The IPv4 address is the last 4 of the 16 bytes. */
    memcpy(&v4.sin_addr, &client->sin6_addr.s6_addr[12], 4);
    return net_format_address((const struct sockaddr *)&v4, out, outlen);
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

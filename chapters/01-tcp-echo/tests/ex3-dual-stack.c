/* Graded tests of exercise 3: dual-echo-server, IPv4 and IPv6 clients on one
 * socket, each logged in its own address family's notation. */
#include "testkit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 5000

static struct tk_proc *start_server(void)
{
    if (!tk_have_ipv6_loopback())
        tk_skip("this machine has no IPv6 loopback");
    return tk_start_server(tk_program("dual-echo-server"), "0", NULL);
}

static void assert_echoes(int fd, const char *text)
{
    char got[64];
    size_t len = strlen(text);
    tk_send(fd, text, len, WAIT_MS);
    TK_ASSERT_BYTES_EQ(got, tk_recv(fd, got, len, WAIT_MS), text, len, "the echo");
}

static int local_port(int fd)
{
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    TK_ASSERT(getsockname(fd, (struct sockaddr *)&addr, &len) == 0, "getsockname");
    return ntohs(addr.ss_family == AF_INET ? ((struct sockaddr_in *)&addr)->sin_port
                                           : ((struct sockaddr_in6 *)&addr)->sin6_port);
}

/* Connects from HOST, echoes, and checks the server's log line for us. */
static void client_is_served_and_logged(struct tk_proc *server, const char *host,
                                        const char *shown_as)
{
    int fd = tk_connect(host, server->port);
    assert_echoes(fd, "both families");
    char expected[96];
    snprintf(expected, sizeof expected, "connection from %s:%d", shown_as, local_port(fd));
    const char *line = tk_read_line(server, WAIT_MS);
    TK_ASSERT(line != NULL, "the server's log ended early");
    TK_ASSERT_STR_EQ(line, expected, "the server's log line");
    close(fd);
}

static void listening_line(void)
{
    struct tk_proc *server = start_server();
    char expected[32];
    snprintf(expected, sizeof expected, "[::]:%d", server->port);
    TK_ASSERT_STR_EQ(server->address, expected, "the listening address");
}

static void ipv6_client(void)
{
    client_is_served_and_logged(start_server(), "::1", "[::1]");
}

static void ipv4_client(void)
{
    client_is_served_and_logged(start_server(), "127.0.0.1", "127.0.0.1");
}

static void both_in_turn(void)
{
    struct tk_proc *server = start_server();
    for (int i = 0; i < 3; i++) {
        client_is_served_and_logged(server, "127.0.0.1", "127.0.0.1");
        client_is_served_and_logged(server, "::1", "[::1]");
    }
}

/* In a network namespace of the test's own, the system default is turned
 * to "IPv6 sockets are IPv6 only", as it is on BSD and Windows: only a
 * server that turns IPV6_V6ONLY off itself still hears IPv4 clients. */
static void v6only_default_on(void)
{
    tk_enter_private_network();
    tk_write_sysctl("net/ipv6/bindv6only", "1");
    client_is_served_and_logged(start_server(), "127.0.0.1", "127.0.0.1");
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"listening-line", listening_line},
        {"ipv6-client", ipv6_client},
        {"ipv4-client", ipv4_client},
        {"both-in-turn", both_in_turn},
        {"v6only-default-on", v6only_default_on},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}

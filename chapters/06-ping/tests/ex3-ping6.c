/* ex3-ping6.c - graded tests of exercise 3: icmp-ping6, ping over ICMPv6,
 * between network namespaces joined by IPv6 links. */
#include "ping-helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *ping6(void)
{
    return tk_program("icmp-ping6");
}

/* A new IPv6 link carries nothing for about a second (neighbour discovery
 * retries once its first try is lost), which would show as a slow first
 * reply: the test pings from ns until ADDRESS answers, before it starts. */
static void wait_reachable(const char *ns, const char *address)
{
    tk_netns_enter(ns);
    int sock = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
    TK_ASSERT(sock >= 0, "raw ICMPv6 socket: %s", strerror(errno));
    struct sockaddr_in6 to = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, address, &to.sin6_addr);
    uint8_t echo[8] = {128, 0, 0, 0, 0x06, 0x06, 0, 1}, reply[1500];
    for (long long deadline = tk_now_ms() + 5000; tk_now_ms() < deadline;) {
        TK_ASSERT(sendto(sock, echo, sizeof echo, 0, (struct sockaddr *)&to, sizeof to) == 8,
                  "sendto %s: %s", address, strerror(errno));
        struct pollfd pfd = {sock, POLLIN, 0};
        while (poll(&pfd, 1, 100) == 1) {
            if (recv(sock, reply, sizeof reply, 0) >= 8 && reply[0] == 129) {
                close(sock);
                return;
            }
        }
    }
    TK_FAIL("%s does not answer pings after 5 seconds", address);
}

/* client fd06::1 and peer fd06::2 on one link. */
static struct pair make_pair6(void)
{
    struct pair net = {tk_netns_new(), tk_netns_new()};
    tk_netns_link(net.client, "fd06::1/64", net.peer, "fd06::2/64");
    wait_reachable(net.client, "fd06::2");
    return net;
}

static void replies(void)
{
    struct pair net = make_pair6();
    struct tk_proc *p = run_in(net.client, ping6(), "-c", "3", "-i", "0.2", "fd06::2", NULL);
    assert_exit(p, 0);
    struct lines out = output_of(p);
    assert_line(&out, 0, "PING fd06::2(fd06::2) 56 data bytes");
    for (int seq = 1; seq <= 3; seq++)
        assert_reply(&out, seq, "fd06::2", seq, 64, "");
    check_counts(&out, "fd06::2", (struct counts){3, 3, 0, 0, 0});
    check_rtt_line(&out, "fd06::2");
}

static void sizes(void)
{
    struct pair net = make_pair6();
    struct tk_proc *p = run_in(net.client, ping6(), "-c", "1", "-s", "100", "fd06::2", NULL);
    assert_exit(p, 0);
    struct lines out = output_of(p);
    assert_line(&out, 0, "PING fd06::2(fd06::2) 100 data bytes");
    TK_ASSERT(strncmp(out.line[1], "108 bytes from fd06::2: icmp_seq=1 ttl=64 time=", 47) == 0,
              "got '%s'", out.line[1]);
    p = run_in(net.client, ping6(), "-c", "1", "-s", "8", "fd06::2", NULL);
    assert_exit(p, 0);
    out = output_of(p);
    assert_line(&out, 1, "16 bytes from fd06::2: icmp_seq=1 ttl=64");
}

/* One IPv6 router between: the reply arrives with hop limit 63. */
static void hop_limit(void)
{
    const char *client = tk_netns_new(), *router = tk_netns_new(), *far = tk_netns_new();
    tk_netns_link(client, "fd06:1::1/64", router, "fd06:1::2/64");
    tk_netns_link(router, "fd06:2::1/64", far, "fd06:2::2/64");
    tk_netns_sysctl(router, "net/ipv6/conf/all/forwarding", "1");
    tk_netns_route(client, "fd06:2::/64", "fd06:1::2");
    tk_netns_route(far, "fd06:1::/64", "fd06:2::1");
    wait_reachable(client, "fd06:2::2");
    struct tk_proc *p = run_in(client, ping6(), "-c", "2", "-i", "0.2", "fd06:2::2", NULL);
    assert_exit(p, 0);
    struct lines out = output_of(p);
    assert_reply(&out, 1, "fd06:2::2", 1, 63, "");
    assert_reply(&out, 2, "fd06:2::2", 2, 63, "");
}

/* Answered while the peer answers; then it stops: 100% loss, status 1. */
static void no_answer(void)
{
    struct pair net = make_pair6();
    struct tk_proc *p = run_in(net.client, ping6(), "-c", "1", "fd06::2", NULL);
    assert_exit(p, 0);
    struct lines out = output_of(p);
    assert_reply(&out, 1, "fd06::2", 1, 64, "");

    tk_netns_sysctl(net.peer, "net/ipv6/icmp/echo_ignore_all", "1");
    p = run_in(net.client, ping6(), "-c", "2", "-i", "0.2", "-W", "1", "fd06::2", NULL);
    assert_exit(p, 1);
    out = output_of(p);
    TK_ASSERT_INT_EQ(out.count, 5, "lines of output (PING, empty, three of summary)");
    check_counts(&out, "fd06::2", (struct counts){2, 0, 0, 0, 0});
}

/* Without CAP_NET_RAW, where ping_group_range allows ICMP datagram sockets
 * (the range covers ICMPv6 too). */
static void datagram_socket(void)
{
    const char *setpriv = tk_find_tool("setpriv");
    if (setpriv == NULL)
        tk_skip("setpriv (package util-linux) is not installed");
    char path[512];
    snprintf(path, sizeof path, "%s", setpriv);
    struct pair net = make_pair6();
    tk_netns_sysctl(net.client, "net/ipv4/ping_group_range", "0 2147483647");
    struct tk_proc *p = run_in(net.client, path, "--bounding-set=-net_raw",
                               "--inh-caps=-net_raw", ping6(), "-c", "2", "-i", "0.2",
                               "fd06::2", NULL);
    assert_exit(p, 0);
    struct lines out = output_of(p);
    assert_reply(&out, 1, "fd06::2", 1, 64, "");
    assert_reply(&out, 2, "fd06::2", 2, 64, "");
    check_counts(&out, "fd06::2", (struct counts){2, 2, 0, 0, 0});
}

/* Two at once on raw sockets: each counts only its own replies. */
static void other_pings(void)
{
    struct pair net = make_pair6();
    const char *argv[] = {ping6(), "-c", "5", "-i", "0.1", "fd06::2", NULL};
    struct tk_proc *a = tk_netns_startv(net.client, argv);
    struct tk_proc *b = tk_netns_startv(net.client, argv);
    tk_wait(a, PING_WAIT_MS);
    tk_wait(b, PING_WAIT_MS);
    struct tk_proc *both[] = {a, b};
    for (int i = 0; i < 2; i++) {
        assert_exit(both[i], 0);
        struct lines out = output_of(both[i]);
        for (int seq = 1; seq <= 5; seq++)
            assert_reply(&out, seq, "fd06::2", seq, 64, "");
        check_counts(&out, "fd06::2", (struct counts){5, 5, 0, 0, 0});
    }
}

/* Where iputils ping is installed: ping -6, line for line, times masked. */
static void beside_iputils(void)
{
    const char *found = tk_find_tool("ping");
    if (found == NULL)
        tk_skip("iputils ping is not installed (apt-get install iputils-ping)");
    char path[512];
    snprintf(path, sizeof path, "%s", found);
    struct pair net = make_pair6();
    struct tk_proc *ours = run_in(net.client, ping6(), "-c", "3", "-i", "0.2", "fd06::2", NULL);
    struct tk_proc *theirs = run_in(net.client, path, "-6", "-c", "3", "-i", "0.2", "fd06::2",
                                    NULL);
    assert_same_output(ours, theirs);
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"replies", replies},
        {"sizes", sizes},
        {"hop-limit", hop_limit},
        {"no-answer", no_answer},
        {"datagram-socket", datagram_socket},
        {"other-pings", other_pings},
        {"beside-iputils", beside_iputils},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}

/* test-ping.c - icmp-ping, judged from the outside, in network namespaces.
 *
 * Every case builds its own small network of namespaces (a peer on a veth
 * link, a router between two hosts, a scripted responder that misbehaves on
 * purpose), runs icmp-ping inside it, and reads what it prints.  Without
 * the privilege to make namespaces, each case is skipped.
 */
#include "ping-helpers.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* ---- reading the output --------------------------------------------------- */

static const char *ping(void)
{
    return tk_program("icmp-ping");
}

/* ---- the command line ----------------------------------------------------- */

static void help(void)
{
    tk_assert_help(ping());
}

static void bad_usage(void)
{
    const char *wrong[][4] = {
        {NULL}, {"-c", "0", "10.6.0.2", NULL}, {"-c", "x", "10.6.0.2", NULL},
        {"-i", "0.001", "10.6.0.2", NULL}, {"-i", "-1", "10.6.0.2", NULL},
        {"-W", "0", "10.6.0.2", NULL}, {"-t", "0", "10.6.0.2", NULL},
        {"-t", "256", "10.6.0.2", NULL}, {"-s", "65508", "10.6.0.2", NULL},
        {"-x", "10.6.0.2", NULL}, {"10.6.0.2", "extra", NULL}, {"-c", NULL},
    };
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        const char *argv[6] = {ping()};
        for (int j = 0; j < 4 && wrong[i][j] != NULL; j++)
            argv[j + 1] = wrong[i][j];
        struct tk_proc *p = tk_startv(argv);
        tk_wait(p, 5000);
        tk_assert_usage_error(p);
    }
}

static void unknown_host(void)
{
    struct pair net = make_pair();
    struct tk_proc *p = run_in(net.client, ping(), "-c", "1", "no-such-host.invalid", NULL);
    assert_exit(p, 2);
    tk_assert_one_error_line(p, "icmp-ping", "no-such-host.invalid", NULL);
    TK_ASSERT(p->out_len == 0, "nothing belongs on stdout, got '%s'", p->out_text);
}

/* ---- replies from the peer's kernel --------------------------------------- */

static void replies(void)
{
    struct pair net = make_pair();
    struct tk_proc *p = run_in(net.client, ping(), "-c", "3", "-i", "0.2", "10.6.0.2", NULL);
    assert_exit(p, 0);
    struct lines out = output_of(p);
    assert_line(&out, 0, "PING 10.6.0.2 (10.6.0.2) 56(84) bytes of data.");
    for (int seq = 1; seq <= 3; seq++)
        assert_reply(&out, seq, "10.6.0.2", seq, 64, "");
    TK_ASSERT_INT_EQ(summary_at(&out, "10.6.0.2"), 5, "line of the summary");
    check_counts(&out, "10.6.0.2", (struct counts){3, 3, 0, 0, 0});
    check_rtt_line(&out, "10.6.0.2");
    TK_ASSERT_INT_EQ(out.count, 8, "lines of output");
}

static void count_and_interval(void)
{
    struct pair net = make_pair();
    long long start = tk_now_ms();
    struct tk_proc *p = run_in(net.client, ping(), "-c", "5", "-i", "0.3", "10.6.0.2", NULL);
    long long took = tk_now_ms() - start;
    assert_exit(p, 0);
    struct lines out = output_of(p);
    for (int seq = 1; seq <= 5; seq++)
        assert_reply(&out, seq, "10.6.0.2", seq, 64, "");
    /* "time" runs from the first request to the last: 4 intervals. */
    long ms = check_counts(&out, "10.6.0.2", (struct counts){5, 5, 0, 0, 0});
    TK_ASSERT(ms >= 1190 && ms <= 1600, "summary time %ld ms, expected about 1200", ms);
    TK_ASSERT(took >= 1150 && took < 5000, "5 requests 0.3 s apart took %lld ms", took);
    check_rtt_line(&out, "10.6.0.2");
}

static void quiet(void)
{
    struct pair net = make_pair();
    struct tk_proc *p = run_in(net.client, ping(), "-q", "-c", "2", "-i", "0.2", "10.6.0.2", NULL);
    assert_exit(p, 0);
    struct lines out = output_of(p);
    TK_ASSERT_INT_EQ(out.count, 5, "lines of quiet output (PING, empty, three of summary)");
    assert_line(&out, 0, "PING 10.6.0.2 (10.6.0.2) 56(84) bytes of data.");
    check_counts(&out, "10.6.0.2", (struct counts){2, 2, 0, 0, 0});
    TK_ASSERT(strncmp(out.line[4], "rtt min/avg/max/mdev = ", 23) == 0, "no rtt line: '%s'",
              out.line[4]);
}

static void size(void)
{
    struct pair net = make_pair();
    struct tk_proc *p = run_in(net.client, ping(), "-c", "1", "-s", "100", "10.6.0.2", NULL);
    assert_exit(p, 0);
    struct lines out = output_of(p);
    assert_line(&out, 0, "PING 10.6.0.2 (10.6.0.2) 100(128) bytes of data.");
    TK_ASSERT(strncmp(out.line[1], "108 bytes from 10.6.0.2: icmp_seq=1 ttl=64 time=", 48) == 0,
              "got '%s'", out.line[1]);

    /* Larger than the link's MTU: sent in fragments, reassembled. */
    p = run_in(net.client, ping(), "-c", "1", "-s", "4000", "10.6.0.2", NULL);
    assert_exit(p, 0);
    out = output_of(p);
    TK_ASSERT(strncmp(out.line[1], "4008 bytes from 10.6.0.2: icmp_seq=1 ", 37) == 0,
              "got '%s'", out.line[1]);
}

/* Below 16 bytes of data there is no room for the send time: no times. */
static void small_size(void)
{
    struct pair net = make_pair();
    struct tk_proc *p = run_in(net.client, ping(), "-c", "2", "-i", "0.2", "-s", "0",
                               "10.6.0.2", NULL);
    assert_exit(p, 0);
    struct lines out = output_of(p);
    assert_line(&out, 0, "PING 10.6.0.2 (10.6.0.2) 0(28) bytes of data.");
    assert_line(&out, 1, "8 bytes from 10.6.0.2: icmp_seq=1 ttl=64");
    assert_line(&out, 2, "8 bytes from 10.6.0.2: icmp_seq=2 ttl=64");
    check_counts(&out, "10.6.0.2", (struct counts){2, 2, 0, 0, 0});
    assert_line(&out, out.count - 1, "");
}

/* ---- a router between ----------------------------------------------------- */

static void ttl_exceeded(void)
{
    struct routed net = make_routed();
    struct tk_proc *p = run_in(net.client, ping(), "-c", "2", "-i", "0.2", "-t", "1",
                               "10.6.2.2", NULL);
    assert_exit(p, 1);
    struct lines out = output_of(p);
    assert_line(&out, 1, "From 10.6.1.1 icmp_seq=1 Time to live exceeded");
    assert_line(&out, 2, "From 10.6.1.1 icmp_seq=2 Time to live exceeded");
    check_counts(&out, "10.6.2.2", (struct counts){2, 0, 0, 0, 2});
}

static void ttl_enough(void)
{
    struct routed net = make_routed();
    struct tk_proc *p = run_in(net.client, ping(), "-c", "1", "-t", "2", "10.6.2.2", NULL);
    assert_exit(p, 0);
    struct lines out = output_of(p);
    /* The far host answers with TTL 64, and the router takes one off. */
    assert_reply(&out, 1, "10.6.2.2", 1, 63, "");
}

/* ---- nobody answers -------------------------------------------------------- */

static void no_answer_waits(void)
{
    struct pair net = make_pair();
    tk_netns_sysctl(net.peer, "net/ipv4/icmp_echo_ignore_all", "1");
    long long start = tk_now_ms();
    struct tk_proc *p = run_in(net.client, ping(), "-c", "2", "-i", "0.2", "-W", "1",
                               "10.6.0.2", NULL);
    long long took = tk_now_ms() - start;
    assert_exit(p, 1);
    struct lines out = output_of(p);
    TK_ASSERT_INT_EQ(out.count, 5, "lines of output (PING, empty, three of summary)");
    check_counts(&out, "10.6.0.2", (struct counts){2, 0, 0, 0, 0});
    assert_line(&out, 4, "");
    /* -W 1: one second after the last request, not the default ten. */
    TK_ASSERT(took >= 1100 && took < 4000, "gave up after %lld ms, expected about 1200", took);
}

static void interrupted(void)
{
    struct pair net = make_pair();
    const char *argv[] = {ping(), "-i", "0.2", "10.6.0.2", NULL};
    struct tk_proc *p = tk_netns_startv(net.client, argv);
    TK_ASSERT(tk_read_line(p, 5000) != NULL, "no PING line");
    for (int seq = 1; seq <= 2; seq++)
        TK_ASSERT(tk_read_line(p, 5000) != NULL, "no reply %d", seq);
    int status = tk_stop(p, SIGINT, 5000);
    TK_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "SIGINT: expected exit status 0, got wait status %d", status);
    struct lines out = output_of(p);
    int at = summary_at(&out, "10.6.0.2");
    long transmitted, received;
    TK_ASSERT(sscanf(out.line[at + 1], "%ld packets transmitted, %ld received", &transmitted,
                     &received) == 2 && received >= 2 && transmitted >= received,
              "summary after SIGINT: '%s'", out.line[at + 1]);
}

/* Two pings at once, on one machine, to one peer: each sees its own replies
 * and nobody else's, because each carries its own identifier. */
static void other_pings(void)
{
    struct pair net = make_pair();
    const char *argv[] = {ping(), "-c", "6", "-i", "0.1", "10.6.0.2", NULL};
    struct tk_proc *a = tk_netns_startv(net.client, argv);
    struct tk_proc *b = tk_netns_startv(net.client, argv);
    tk_wait(a, PING_WAIT_MS);
    tk_wait(b, PING_WAIT_MS);
    struct tk_proc *both[] = {a, b};
    for (int i = 0; i < 2; i++) {
        assert_exit(both[i], 0);
        struct lines out = output_of(both[i]);
        for (int seq = 1; seq <= 6; seq++)
            assert_reply(&out, seq, "10.6.0.2", seq, 64, "");
        check_counts(&out, "10.6.0.2", (struct counts){6, 6, 0, 0, 0});
    }
}

/* ---- the scripted responder ----------------------------------------------- */

/* Runs icmp-ping -c COUNT -i 0.2 -W 1 against a responder following the
 * given actions, on a raw socket (ping_group_range stays closed). */
static struct lines against_responder(const char *count, const char *const actions[])
{
    struct pair net = make_pair();
    const char *argv[24] = {tk_program("icmp-responder")};
    int n = 1;
    for (; actions[n - 1] != NULL; n++)
        argv[n] = actions[n - 1];
    argv[n] = NULL;
    tk_netns_sysctl(net.peer, "net/ipv4/icmp_echo_ignore_all", "1");
    struct tk_proc *responder = tk_netns_startv(net.peer, argv);
    TK_ASSERT(tk_read_line(responder, 5000) != NULL, "the responder did not start");
    struct tk_proc *p = run_in(net.client, ping(), "-c", count, "-i", "0.2", "-W", "1",
                               "10.6.0.2", NULL);
    struct lines out = output_of(p);
    return out;
}

static void responder_drop(void)
{
    const char *actions[] = {"reply", "drop", "reply", NULL};
    struct lines out = against_responder("3", actions);
    assert_reply(&out, 1, "10.6.0.2", 1, 64, "");
    assert_reply(&out, 2, "10.6.0.2", 3, 64, "");
    check_counts(&out, "10.6.0.2", (struct counts){3, 2, 0, 0, 0});
    check_rtt_line(&out, "10.6.0.2");
}

static void responder_duplicate(void)
{
    const char *actions[] = {"dup", "reply", NULL};
    struct lines out = against_responder("2", actions);
    assert_reply(&out, 1, "10.6.0.2", 1, 64, "");
    assert_reply(&out, 2, "10.6.0.2", 1, 64, " (DUP!)");
    assert_reply(&out, 3, "10.6.0.2", 2, 64, "");
    check_counts(&out, "10.6.0.2", (struct counts){2, 2, 1, 0, 0});
    check_rtt_line(&out, "10.6.0.2"); /* a duplicate's time counts, as in iputils */
}

/* A reply 700 ms late, while requests go on every 200 ms: it is printed
 * after the replies to 2 and 3, and counted with its true time. */
static void responder_delay(void)
{
    const char *actions[] = {"delay:700", "reply", "reply", "reply", "reply", NULL};
    struct lines out = against_responder("5", actions);
    assert_reply(&out, 1, "10.6.0.2", 2, 64, "");
    assert_reply(&out, 2, "10.6.0.2", 3, 64, "");
    int late = -1;
    for (int i = 3; i <= 5; i++)
        if (strncmp(out.line[i], "64 bytes from 10.6.0.2: icmp_seq=1 ", 35) == 0)
            late = i;
    TK_ASSERT(late > 0, "no reply to icmp_seq=1 after the replies to 2 and 3");
    bool exact = true;
    TK_ASSERT(rtt_of(out.line[late], &exact) >= 700000, "a reply 700 ms late: '%s'",
              out.line[late]);
    check_counts(&out, "10.6.0.2", (struct counts){5, 5, 0, 0, 0});
    const char *rtt = out.line[summary_at(&out, "10.6.0.2") + 2];
    /* Four or five requests were out when the late reply came. */
    int pipe = 0;
    const char *at = strstr(rtt, " ms, pipe ");
    TK_ASSERT(at != NULL && sscanf(at, " ms, pipe %d", &pipe) == 1 && pipe >= 4,
              "expected ', pipe 4' or more at the end of '%s'", rtt);
}

static void responder_truncated(void)
{
    const char *actions[] = {"trunc:20", "trunc:0", "reply", NULL};
    struct lines out = against_responder("3", actions);
    assert_line(&out, 1, "28 bytes from 10.6.0.2: icmp_seq=1 ttl=64 (truncated)");
    assert_line(&out, 2, "8 bytes from 10.6.0.2: icmp_seq=2 ttl=64 (truncated)");
    assert_reply(&out, 3, "10.6.0.2", 3, 64, "");
    check_counts(&out, "10.6.0.2", (struct counts){3, 3, 0, 0, 0});
}

static void responder_bad_checksum(void)
{
    const char *actions[] = {"badsum", "reply", NULL};
    struct lines out = against_responder("2", actions);
    assert_reply(&out, 1, "10.6.0.2", 1, 64, " (BAD CHECKSUM!)");
    assert_reply(&out, 2, "10.6.0.2", 2, 64, "");
    check_counts(&out, "10.6.0.2", (struct counts){2, 1, 0, 1, 0});
    check_rtt_line(&out, "10.6.0.2");
}

static void responder_foreign_id(void)
{
    const char *actions[] = {"foreign", "reply", NULL};
    struct lines out = against_responder("2", actions);
    assert_reply(&out, 1, "10.6.0.2", 2, 64, "");
    check_counts(&out, "10.6.0.2", (struct counts){2, 1, 0, 0, 0});
}

static void responder_ip_options(void)
{
    const char *actions[] = {"options", "ttl:42", NULL};
    struct lines out = against_responder("2", actions);
    assert_reply(&out, 1, "10.6.0.2", 1, 64, "");
    assert_reply(&out, 2, "10.6.0.2", 2, 42, "");
    check_counts(&out, "10.6.0.2", (struct counts){2, 2, 0, 0, 0});
}

static void responder_errors(void)
{
    const char *actions[] = {"unreach:1", "timex", "unreach:3", "unreach:13", "reply", NULL};
    struct lines out = against_responder("5", actions);
    assert_line(&out, 1, "From 10.6.0.2 icmp_seq=1 Destination Host Unreachable");
    assert_line(&out, 2, "From 10.6.0.2 icmp_seq=2 Time to live exceeded");
    assert_line(&out, 3, "From 10.6.0.2 icmp_seq=3 Destination Port Unreachable");
    assert_line(&out, 4, "From 10.6.0.2 icmp_seq=4 Packet filtered");
    assert_reply(&out, 5, "10.6.0.2", 5, 64, "");
    check_counts(&out, "10.6.0.2", (struct counts){5, 1, 0, 0, 4});
}

/* ---- the two kinds of socket ---------------------------------------------- */

/* Runs icmp-ping inside ns without CAP_NET_RAW (setpriv takes it out of the
 * bounding set before the exec, so not even root gets it back). */
static struct tk_proc *run_without_raw(const char *ns, const char *const args[])
{
    const char *setpriv = tk_find_tool("setpriv");
    if (setpriv == NULL)
        tk_skip("setpriv (package util-linux) is not installed");
    char setpriv_path[512];
    snprintf(setpriv_path, sizeof setpriv_path, "%s", setpriv);
    const char *argv[24] = {setpriv_path, "--bounding-set=-net_raw", "--inh-caps=-net_raw",
                            ping()};
    int n = 4;
    for (int i = 0; args[i] != NULL; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return tk_netns_runv(ns, PING_WAIT_MS, argv);
}

static void datagram_socket(void)
{
    struct pair net = make_pair();
    tk_netns_sysctl(net.client, "net/ipv4/ping_group_range", "0 2147483647");
    const char *args[] = {"-c", "2", "-i", "0.2", "10.6.0.2", NULL};
    struct tk_proc *p = run_without_raw(net.client, args);
    assert_exit(p, 0);
    struct lines out = output_of(p);
    assert_reply(&out, 1, "10.6.0.2", 1, 64, "");
    assert_reply(&out, 2, "10.6.0.2", 2, 64, "");
    check_counts(&out, "10.6.0.2", (struct counts){2, 2, 0, 0, 0});
    check_rtt_line(&out, "10.6.0.2");
}

/* On a datagram socket the kernel checks the checksum and the identifier
 * first: a corrupt reply and a foreign one never arrive, so they count as
 * lost; ICMP errors come through the error queue. */
static void datagram_responder(void)
{
    struct pair net = make_pair();
    tk_netns_sysctl(net.client, "net/ipv4/ping_group_range", "0 2147483647");
    struct tk_proc *responder = start_responder(net.peer, "dup", "badsum", "foreign",
                                                "trunc:20", "options", "timex", NULL);
    (void)responder;
    const char *args[] = {"-c", "6", "-i", "0.2", "-W", "1", "10.6.0.2", NULL};
    struct tk_proc *p = run_without_raw(net.client, args);
    struct lines out = output_of(p);
    assert_reply(&out, 1, "10.6.0.2", 1, 64, "");
    assert_reply(&out, 2, "10.6.0.2", 1, 64, " (DUP!)");
    assert_line(&out, 3, "28 bytes from 10.6.0.2: icmp_seq=4 ttl=64 (truncated)");
    assert_reply(&out, 4, "10.6.0.2", 5, 64, "");
    assert_line(&out, 5, "From 10.6.0.2 icmp_seq=6 Time to live exceeded");
    check_counts(&out, "10.6.0.2", (struct counts){6, 3, 1, 0, 1});
    assert_exit(p, 0);
}

static void no_privilege(void)
{
    struct pair net = make_pair();
    tk_netns_sysctl(net.client, "net/ipv4/ping_group_range", "1 0");
    const char *args[] = {"-c", "1", "10.6.0.2", NULL};
    struct tk_proc *p = run_without_raw(net.client, args);
    assert_exit(p, 2);
    tk_assert_one_error_line(p, "icmp-ping", "ICMP socket", "ping_group_range",
                             "cap_net_raw", NULL);
    TK_ASSERT(p->out_len == 0, "nothing belongs on stdout, got '%s'", p->out_text);
}

/* ---- beside iputils ping -------------------------------------------------- */

static const char *iputils_ping(void)
{
    static char path[512];
    const char *found = tk_find_tool("ping");
    if (found == NULL)
        tk_skip("iputils ping is not installed (apt-get install iputils-ping)");
    snprintf(path, sizeof path, "%s", found);
    return path;
}

static void compare_on(const char *ns, const char *responder_ns, const char *const actions[],
                       const char *const args[])
{
    const char *programs[] = {ping(), iputils_ping()};
    struct tk_proc *result[2];
    for (int k = 0; k < 2; k++) {
        struct tk_proc *responder = NULL;
        if (responder_ns != NULL) {
            const char *argv[24] = {tk_program("icmp-responder")};
            int n = 1;
            for (; actions[n - 1] != NULL; n++)
                argv[n] = actions[n - 1];
            argv[n] = NULL;
            tk_netns_sysctl(responder_ns, "net/ipv4/icmp_echo_ignore_all", "1");
            responder = tk_netns_startv(responder_ns, argv);
            TK_ASSERT(tk_read_line(responder, 5000) != NULL, "the responder did not start");
        }
        const char *argv[24] = {programs[k]};
        int n = 1;
        for (int i = 0; args[i] != NULL; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        result[k] = tk_netns_runv(ns, PING_WAIT_MS, argv);
        if (responder != NULL)
            tk_stop(responder, SIGTERM, 5000);
    }
    assert_same_output(result[0], result[1]);
}

static void iputils_replies(void)
{
    iputils_ping();
    struct pair net = make_pair();
    const char *args[] = {"-c", "3", "-i", "0.2", "10.6.0.2", NULL};
    compare_on(net.client, NULL, NULL, args);
    const char *quiet_args[] = {"-q", "-c", "2", "-i", "0.2", "-s", "1000", "10.6.0.2", NULL};
    compare_on(net.client, NULL, NULL, quiet_args);
    const char *tiny_args[] = {"-c", "2", "-i", "0.2", "-s", "8", "10.6.0.2", NULL};
    compare_on(net.client, NULL, NULL, tiny_args);
}

static void iputils_no_answer(void)
{
    iputils_ping();
    struct pair net = make_pair();
    tk_netns_sysctl(net.peer, "net/ipv4/icmp_echo_ignore_all", "1");
    const char *args[] = {"-c", "2", "-i", "0.2", "-W", "1", "10.6.0.2", NULL};
    compare_on(net.client, NULL, NULL, args);
}

static void iputils_ttl_exceeded(void)
{
    iputils_ping();
    struct routed net = make_routed();
    const char *args[] = {"-c", "2", "-i", "0.2", "-t", "1", "10.6.2.2", NULL};
    compare_on(net.client, NULL, NULL, args);
    const char *through[] = {"-c", "2", "-i", "0.2", "-t", "2", "10.6.2.2", NULL};
    compare_on(net.client, NULL, NULL, through);
}

static void iputils_responder(void)
{
    iputils_ping();
    struct pair net = make_pair();
    /* Not "badsum" nor "options": the iputils of Debian 12 prints a reply
     * with a wrong checksum like any other, and prints a reply's IP options
     * ("NOP") on lines of their own; icmp-ping does neither (see the lesson).
     * The late reply to 2 (at 0.7 s) falls among silent requests (3 and 4
     * dropped, 5 answered with another identifier), so that both programs
     * print it at the same place even on a busy machine. */
    const char *actions[] = {"reply", "delay:500", "drop", "drop", "foreign", "dup",
                             "trunc:20", "ttl:42", "unreach:1", "timex", "reply", NULL};
    const char *args[] = {"-c", "11", "-i", "0.2", "-W", "1", "10.6.0.2", NULL};
    compare_on(net.client, net.peer, actions, args);
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"help", help},
        {"bad-usage", bad_usage},
        {"unknown-host", unknown_host},
        {"replies", replies},
        {"count-and-interval", count_and_interval},
        {"quiet", quiet},
        {"size", size},
        {"small-size", small_size},
        {"ttl-exceeded", ttl_exceeded},
        {"ttl-enough", ttl_enough},
        {"no-answer-waits", no_answer_waits},
        {"interrupted", interrupted},
        {"other-pings", other_pings},
        {"responder-drop", responder_drop},
        {"responder-duplicate", responder_duplicate},
        {"responder-delay", responder_delay},
        {"responder-truncated", responder_truncated},
        {"responder-bad-checksum", responder_bad_checksum},
        {"responder-foreign-id", responder_foreign_id},
        {"responder-ip-options", responder_ip_options},
        {"responder-errors", responder_errors},
        {"datagram-socket", datagram_socket},
        {"datagram-responder", datagram_responder},
        {"no-privilege", no_privilege},
        {"iputils-replies", iputils_replies},
        {"iputils-no-answer", iputils_no_answer},
        {"iputils-ttl-exceeded", iputils_ttl_exceeded},
        {"iputils-responder", iputils_responder},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}

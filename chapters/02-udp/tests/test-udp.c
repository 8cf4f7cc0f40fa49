/* Tests of udp-echo-server, udp-echo-client and udp-demo: every promise of
 * the interface, tried from outside with the test's own UDP sockets. */
#include "testkit.h"
#include "tk-udp.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS 5000
#define MAX_UDP_IPV4 65507

static struct tk_proc *start_server(const char *host)
{
    return tk_start_server(tk_program("udp-echo-server"), host, "0", NULL);
}

static const char *text_or_empty(const char *s)
{
    return s != NULL ? s : "";
}

/* Sends one datagram of len bytes and checks that exactly it comes back. */
static void assert_echoes(int fd, const void *data, size_t len)
{
    char *reply = tk_alloc(MAX_UDP_IPV4 + 100);
    ssize_t got = udp_recv(fd, reply, 0, 0, NULL); /* nothing stale waiting */
    TK_ASSERT(got < 0, "a datagram of %zd bytes came before anything was sent", got);
    udp_send(fd, NULL, 0, data, len);
    got = udp_recv(fd, reply, MAX_UDP_IPV4 + 100, WAIT_MS, NULL);
    TK_ASSERT(got >= 0, "no echo of a %zu-byte datagram within %d ms", len, WAIT_MS);
    TK_ASSERT_BYTES_EQ(reply, (size_t)got, data, len, "the echoed datagram");
    free(reply);
}

static void assert_exited_with(int status, int code, const char *what)
{
    TK_ASSERT(WIFEXITED(status), "%s: expected exit status %d, was killed by signal %d",
              what, code, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    TK_ASSERT_INT_EQ(WEXITSTATUS(status), code, what);
}

/* ---- the listening line ---------------------------------------------------- */

static void listening_line_ipv4(void)
{
    struct tk_proc *server = start_server("127.0.0.1");
    char expected[64];
    snprintf(expected, sizeof expected, "127.0.0.1:%d", server->port);
    TK_ASSERT_STR_EQ(server->address, expected, "the listening address");
    int fd = udp_connected("127.0.0.1", server->port);
    assert_echoes(fd, "x", 1);
    close(fd);
}

static void listening_line_ipv6(void)
{
    if (!tk_have_ipv6_loopback())
        tk_skip("this machine has no IPv6 loopback");
    struct tk_proc *server = start_server("::1");
    char expected[64];
    snprintf(expected, sizeof expected, "[::1]:%d", server->port);
    TK_ASSERT_STR_EQ(server->address, expected, "the listening address");
}

static void default_host_is_ipv4_loopback(void)
{
    struct tk_proc *server = tk_start_server(tk_program("udp-echo-server"), "0", NULL);
    char expected[64];
    snprintf(expected, sizeof expected, "127.0.0.1:%d", server->port);
    TK_ASSERT_STR_EQ(server->address, expected, "the listening address");
}

/* ---- command lines ------------------------------------------------------------ */

static void server_help(void)
{
    tk_assert_help(tk_program("udp-echo-server"));
}

static void server_bad_usage(void)
{
    const char *server = tk_program("udp-echo-server");
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, server, NULL));
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, server, "127.0.0.1", "0", "extra", NULL));
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, server, "-x", NULL));
}

static void client_help(void)
{
    tk_assert_help(tk_program("udp-echo-client"));
}

static void client_bad_usage(void)
{
    const char *client = tk_program("udp-echo-client");
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, client, NULL));
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, client, "127.0.0.1", "7", NULL));
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, client, "-t", "0", "127.0.0.1", "7", "m", NULL));
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, client, "-t", "abc", "127.0.0.1", "7", "m", NULL));
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, client, "-r", "-1", "127.0.0.1", "7", "m", NULL));
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, client, "-x", "127.0.0.1", "7", "m", NULL));
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, client, "-t", "100", NULL));
}

static void demo_help(void)
{
    tk_assert_help(tk_program("udp-demo"));
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, tk_program("udp-demo"), NULL));
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, tk_program("udp-demo"), "juggle", NULL));
}

/* ---- signals and errors ---------------------------------------------------- */

static void stops_on(int signo)
{
    struct tk_proc *server = start_server("127.0.0.1");
    int fd = udp_connected("127.0.0.1", server->port);
    assert_echoes(fd, "before", 6);
    assert_exited_with(tk_stop(server, signo, WAIT_MS), 0, "exit status after the signal");
    /* The socket went with the process: nothing answers any more. */
    udp_send(fd, NULL, 0, "after", 5);
    char buf[8];
    TK_ASSERT(udp_recv(fd, buf, sizeof buf, 300, NULL) < 0,
              "something still echoed after the server exited");
    close(fd);
}

static void exits_0_on_sigint(void)
{
    stops_on(SIGINT);
}

static void exits_0_on_sigterm(void)
{
    stops_on(SIGTERM);
}

static void port_taken_is_one_error_line(void)
{
    int holder = udp_bound("127.0.0.1");
    char port[16];
    port_text(udp_port(holder), port);
    struct tk_proc *p = tk_run(NULL, 0, WAIT_MS, tk_program("udp-echo-server"),
                               "127.0.0.1", port, NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status when the port is taken");
    tk_assert_one_error_line(p, "udp-echo-server", "Address already in use", port, NULL);
    TK_ASSERT(p->out_len == 0, "stdout should be empty, got \"%s\"", p->out_text);
    close(holder);
}

/* ---- echoing ------------------------------------------------------------------ */

/* The sizes the interface names: empty, one byte, the most that fits an
 * Ethernet frame unfragmented, a typical large one, and the IPv4 maximum. */
static void echoes_every_size(const char *host)
{
    static const size_t sizes[] = {0, 1, 1472, 8192, MAX_UDP_IPV4};
    struct tk_proc *server = start_server(host);
    int fd = udp_connected(host, server->port);
    char *data = tk_alloc(MAX_UDP_IPV4);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        tk_fill_pattern(data, sizes[i], (unsigned)i + 1);
        assert_echoes(fd, data, sizes[i]);
    }
    free(data);
    close(fd);
}

static void sizes_ipv4(void)
{
    echoes_every_size("127.0.0.1");
}

static void sizes_ipv6(void)
{
    if (!tk_have_ipv6_loopback())
        tk_skip("this machine has no IPv6 loopback");
    echoes_every_size("::1");
}

static void echoes_every_byte_value(void)
{
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    struct tk_proc *server = start_server("127.0.0.1");
    int fd = udp_connected("127.0.0.1", server->port);
    assert_echoes(fd, all, sizeof all);
    close(fd);
}

/* 100 datagrams of 1, 2, ... 100 bytes, sent back to back before any echo
 * is read, come back as 100 datagrams of exactly those sizes and contents. */
static void burst_keeps_boundaries(void)
{
    struct tk_proc *server = start_server("127.0.0.1");
    int fd = udp_connected("127.0.0.1", server->port);
    char data[100], reply[200];
    for (int i = 0; i < 100; i++) {
        tk_fill_pattern(data, (size_t)i + 1, (unsigned)i);
        udp_send(fd, NULL, 0, data, (size_t)i + 1);
    }
    for (int i = 0; i < 100; i++) {
        ssize_t got = udp_recv(fd, reply, sizeof reply, WAIT_MS, NULL);
        TK_ASSERT(got >= 0, "echo %d of 100 never came", i + 1);
        tk_fill_pattern(data, (size_t)i + 1, (unsigned)i);
        TK_ASSERT_BYTES_EQ(reply, (size_t)got, data, (size_t)i + 1, "an echo of the burst");
    }
    close(fd);
}

/* Two clients at once: each gets its own datagrams back, and no other's. */
static void clients_interleaved(void)
{
    struct tk_proc *server = start_server("127.0.0.1");
    int a = udp_connected("127.0.0.1", server->port);
    int b = udp_connected("127.0.0.1", server->port);
    char reply[16];
    for (int i = 0; i < 20; i++) {
        udp_send(a, NULL, 0, "from a", 6);
        udp_send(b, NULL, 0, "from b", 6);
    }
    for (int i = 0; i < 20; i++) {
        ssize_t got = udp_recv(a, reply, sizeof reply, WAIT_MS, NULL);
        TK_ASSERT_BYTES_EQ(reply, got < 0 ? 0 : (size_t)got, "from a", 6, "a's echo");
        got = udp_recv(b, reply, sizeof reply, WAIT_MS, NULL);
        TK_ASSERT_BYTES_EQ(reply, got < 0 ? 0 : (size_t)got, "from b", 6, "b's echo");
    }
    close(a);
    close(b);
}

/* One log line per datagram, naming its size and its sender. */
static void logs_each_datagram(void)
{
    struct tk_proc *server = start_server("127.0.0.1");
    int fd = udp_connected("127.0.0.1", server->port);
    assert_echoes(fd, "12345", 5);
    assert_echoes(fd, "", 0);
    char expected[64];
    /* TK_ASSERT_STR_EQ looks at its argument twice: read the line first. */
    const char *line = text_or_empty(tk_read_line(server, WAIT_MS));
    snprintf(expected, sizeof expected, "5 bytes from 127.0.0.1:%d", udp_port(fd));
    TK_ASSERT_STR_EQ(line, expected, "the first log line");
    line = text_or_empty(tk_read_line(server, WAIT_MS));
    snprintf(expected, sizeof expected, "0 bytes from 127.0.0.1:%d", udp_port(fd));
    TK_ASSERT_STR_EQ(line, expected, "the second log line");
    close(fd);
}

/* Lines of the server's log (its stdout, collected when it stopped) that
 * contain what. */
static int count_lines(const struct tk_proc *p, const char *what)
{
    int count = 0;
    const char *text = text_or_empty(p->out_text);
    for (const char *at = text; (at = strstr(at, what)) != NULL; at += strlen(what))
        count++;
    return count;
}

/* A datagram forged to come from the server's own address must not be
 * answered: the answer would come back to the server, which would answer
 * it again, for ever, logging a line each time. */
static void own_address_refused(void)
{
    struct tk_proc *server = start_server("127.0.0.1");
    udp_send_forged(server->port, server->port, "loop", 4);
    tk_sleep_ms(500);
    long cpu = tk_cpu_ms(server->pid);
    int fd = udp_connected("127.0.0.1", server->port);
    assert_echoes(fd, "others still", 12);
    close(fd);
    tk_stop(server, SIGTERM, WAIT_MS);
    int lines = count_lines(server, "bytes from");
    TK_ASSERT(lines <= 2, "the server logged %d datagrams after one forged from itself: "
              "it answers its own address", lines);
    TK_ASSERT(count_lines(server, "own address: not answered") == 1,
              "the refusal was not logged once: %s", text_or_empty(server->out_text));
    TK_ASSERT(cpu < 200, "the server used %ld ms of CPU in half a second", cpu);
}

/* Two echo servers made to answer each other (a datagram to one, forged to
 * come from the other) must not bounce it for ever: each answers a sender
 * only so often, the loop ends, and the log stays short. */
static void no_ping_pong(void)
{
    struct tk_proc *a = start_server("127.0.0.1");
    struct tk_proc *b = start_server("127.0.0.1");
    udp_send_forged(b->port, a->port, "ping", 4);
    tk_sleep_ms(1000);
    long a_before = tk_cpu_ms(a->pid), b_before = tk_cpu_ms(b->pid);
    tk_sleep_ms(1000);
    long a_used = tk_cpu_ms(a->pid) - a_before, b_used = tk_cpu_ms(b->pid) - b_before;
    TK_ASSERT(a_used + b_used < 100, "a second after the forged datagram, the two servers "
              "still used %ld + %ld ms of CPU in one second: they bounce it for ever",
              a_used, b_used);
    tk_stop(a, SIGTERM, WAIT_MS);
    tk_stop(b, SIGTERM, WAIT_MS);
    int lines = count_lines(a, "bytes from");
    TK_ASSERT(lines <= 400, "the server logged %d lines in two seconds: its log is not "
              "rate-limited", lines);
}

/* A client that vanishes before its echo comes back costs the server one
 * ICMP error at most; the next client is served as usual. */
static void client_gone_before_echo(void)
{
    struct tk_proc *server = start_server("127.0.0.1");
    for (int i = 0; i < 20; i++) {
        int gone = udp_connected("127.0.0.1", server->port);
        udp_send(gone, NULL, 0, "bye", 3);
        close(gone);
    }
    int fd = udp_connected("127.0.0.1", server->port);
    assert_echoes(fd, "still there?", 12);
    TK_ASSERT(tk_still_running(server, 0), "the server died after clients left");
    close(fd);
}

/* ---- udp-echo-client ------------------------------------------------------ */

static void client_prints_echo(void)
{
    struct tk_proc *server = start_server("127.0.0.1");
    char port[16];
    struct tk_proc *c = tk_run(NULL, 0, WAIT_MS, tk_program("udp-echo-client"), "127.0.0.1",
                               port_text(server->port, port), "hello,", "datagram",
                               "world", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "udp-echo-client's exit status");
    TK_ASSERT_STR_EQ(text_or_empty(c->out_text), "hello, datagram world\n", "the output");
    TK_ASSERT(c->err_len == 0, "udp-echo-client wrote on stderr: %s", c->err_text);
}

static void client_ipv6(void)
{
    if (!tk_have_ipv6_loopback())
        tk_skip("this machine has no IPv6 loopback");
    struct tk_proc *server = start_server("::1");
    char port[16];
    struct tk_proc *c = tk_run(NULL, 0, WAIT_MS, tk_program("udp-echo-client"), "::1",
                               port_text(server->port, port), "six", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "udp-echo-client's exit status");
    TK_ASSERT_STR_EQ(text_or_empty(c->out_text), "six\n", "the output");
}

/* An empty message is a datagram of 0 bytes, and its echo an empty line. */
static void client_empty_message(void)
{
    struct tk_proc *server = start_server("127.0.0.1");
    char port[16];
    struct tk_proc *c = tk_run(NULL, 0, WAIT_MS, tk_program("udp-echo-client"), "127.0.0.1",
                               port_text(server->port, port), "", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "udp-echo-client's exit status");
    TK_ASSERT_STR_EQ(text_or_empty(c->out_text), "\n", "the output");
    const char *line = text_or_empty(tk_read_line(server, WAIT_MS));
    TK_ASSERT(strncmp(line, "0 bytes from ", 13) == 0,
              "the server should log a 0-byte datagram, logged \"%s\"", line);
}

/* The largest datagram IPv4 carries, given as one word. */
static void client_largest_message(void)
{
    char *word = tk_alloc(MAX_UDP_IPV4 + 1);
    memset(word, 'z', MAX_UDP_IPV4);
    word[MAX_UDP_IPV4] = '\0';
    struct tk_proc *server = start_server("127.0.0.1");
    char port[16];
    struct tk_proc *c = tk_run(NULL, 0, WAIT_MS, tk_program("udp-echo-client"), "127.0.0.1",
                               port_text(server->port, port), word, NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "udp-echo-client's exit status");
    TK_ASSERT_INT_EQ(c->out_len, MAX_UDP_IPV4 + 1, "length of the output");
    TK_ASSERT_BYTES_EQ(c->out_text, MAX_UDP_IPV4, word, MAX_UDP_IPV4, "the output");
    free(word);
}

/* The gaps between a client's tries are measured with the kernel's arrival
 * stamps (udp_arrival_ms): a datagram read late must still show when it
 * came, the first one included, or a busy machine makes a client look too
 * quick. */
static void arrival_stamps(void)
{
    int receiver = udp_bound("127.0.0.1");
    int sender = udp_bound("127.0.0.1");
    long long before_send = udp_wall_clock_ms();
    udp_send(sender, "127.0.0.1", udp_port(receiver), "x", 1);
    tk_sleep_ms(300); /* a test that reads late */
    long long before_read = udp_wall_clock_ms();
    char buf[4];
    TK_ASSERT_INT_EQ(udp_recv(receiver, buf, sizeof buf, 5000, NULL), 1, "the datagram");
    long long stamp = udp_arrival_ms(receiver);
    TK_ASSERT(stamp >= before_send - 1 && stamp <= before_read - 299,
              "stamped %lld ms after the send and %lld ms before the read, which came "
              "300 ms after the send", stamp - before_send, before_read - stamp);
    close(receiver);
    close(sender);
}

/* Runs the client against a socket of the test's own that never answers,
 * and checks it tried exactly tries times, one try every try_ms, then gave
 * up with one error line after tries * try_ms: not sooner, and not much
 * later either.  The slack above each bound is generous, for a loaded
 * machine, but smaller than one more try or a doubled timeout. */
static void assert_gives_up(const char *timeout_ms, const char *retries, int tries,
                            long long try_ms)
{
    long long expected_ms = tries * try_ms;
    /* How late a loaded machine may wake the client: on two cores shared by
     * sixteen tests at once, a process may wait a second for its turn. */
    long long slack_ms = try_ms * 3 / 4 > 1000 ? try_ms * 3 / 4 : 1000;
    int silent = udp_bound("127.0.0.1");
    char port[16];
    port_text(udp_port(silent), port);
    const char *client = tk_program("udp-echo-client");
    long long start = tk_now_ms();
    struct tk_proc *c;
    if (timeout_ms == NULL)
        c = tk_start(client, "127.0.0.1", port, "anyone?", NULL);
    else
        c = tk_start(client, "-t", timeout_ms, "-r", retries, "127.0.0.1", port,
                     "anyone?", NULL);

    /* Every try is the same datagram, sent again. */
    char buf[16];
    int seen = 0;
    ssize_t got;
    long long last = 0, first_sent = 0;
    while ((got = udp_recv(silent, buf, sizeof buf, (int)expected_ms + 3000, NULL)) >= 0) {
        long long now = udp_arrival_ms(silent);
        TK_ASSERT_BYTES_EQ(buf, (size_t)got, "anyone?", 7, "the client's datagram");
        if (seen > 0) {
            TK_ASSERT(now - last >= try_ms - 20, "try %d came %lld ms after the one before, "
                      "sooner than the %lld ms timeout", seen + 1, now - last, try_ms);
            TK_ASSERT(now - last <= try_ms + slack_ms, "try %d came %lld ms after "
                      "the one before; the timeout is %lld ms", seen + 1, now - last, try_ms);
        }
        if (seen == 0) { /* when it arrived, on the test's own clock */
            first_sent = tk_now_ms() - (udp_wall_clock_ms() - now);
        }
        last = now;
        seen++;
        if (seen == tries)
            break;
    }
    tk_wait(c, (int)expected_ms + 5000);
    /* Measured from its first datagram: the time to start the program,
     * which a busy machine stretches, is no part of its timeouts. */
    long long elapsed = tk_now_ms() - (first_sent > 0 ? first_sent : start);
    TK_ASSERT_INT_EQ(seen, tries, "datagrams the client sent (1 + retries)");
    TK_ASSERT(udp_recv(silent, buf, sizeof buf, 0, NULL) < 0,
              "the client sent more than 1 + retries datagrams");
    TK_ASSERT_INT_EQ(tk_exit_code(c), 1, "exit status when nobody answers");
    tk_assert_one_error_line(c, "udp-echo-client", "no reply", NULL);
    TK_ASSERT(c->out_len == 0, "stdout should be empty, got \"%s\"", c->out_text);
    /* The lower bound is exact (each try waits its full time); the upper
     * bound leaves a loaded machine its slack on every try. */
    TK_ASSERT(elapsed >= expected_ms - 20,
              "gave up after %lld ms, before the %lld ms its options allow", elapsed,
              expected_ms);
    TK_ASSERT(elapsed <= expected_ms + tries * slack_ms,
              "gave up after %lld ms, far later than the %lld ms its options say", elapsed,
              expected_ms);
    close(silent);
}

static void client_gives_up(void)
{
    assert_gives_up("600", "2", 3, 600);
}

static void client_no_retries(void)
{
    assert_gives_up("2000", "0", 1, 2000);
}

static void client_default_timeout(void)
{
    /* 1000 ms per try and 3 retries: four tries, four seconds. */
    assert_gives_up(NULL, NULL, 4, 1000);
}

/* The test plays a server that ignores the first two tries and answers the
 * third: the client must retry, print the echo and succeed. */
static void client_retry_succeeds(void)
{
    int server = udp_bound("127.0.0.1");
    char port[16], buf[32];
    long long start = tk_now_ms();
    struct tk_proc *c = tk_start(tk_program("udp-echo-client"), "-t", "200", "-r", "5",
                                 "127.0.0.1", port_text(udp_port(server), port),
                                 "third", "time", NULL);
    for (int i = 0; i < 3; i++) {
        ssize_t got = udp_recv(server, buf, sizeof buf, WAIT_MS, NULL);
        TK_ASSERT(got >= 0, "try %d of the client never came", i + 1);
        TK_ASSERT_BYTES_EQ(buf, (size_t)got, "third time", 10, "the client's datagram");
    }
    udp_reply(server, "third time", 10);
    tk_wait(c, WAIT_MS);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "exit status after a retry");
    TK_ASSERT_STR_EQ(text_or_empty(c->out_text), "third time\n", "the output");
    TK_ASSERT(tk_now_ms() - start >= 400, "the third try came before two timeouts");
    close(server);
}

/* A datagram from anybody but the server is not the echo: a stranger that
 * sends to the client's port first must not be printed. */
static void client_ignores_strangers(void)
{
    int server = udp_bound("127.0.0.1");
    int stranger = udp_bound("127.0.0.1");
    char port[16], buf[32];
    struct tk_proc *c = tk_start(tk_program("udp-echo-client"), "-t", "3000", "-r", "0",
                                 "127.0.0.1", port_text(udp_port(server), port), "real",
                                 NULL);
    int client_port;
    ssize_t got = udp_recv(server, buf, sizeof buf, WAIT_MS, &client_port);
    TK_ASSERT(got == 4, "the client's datagram never came");
    udp_send(stranger, "127.0.0.1", client_port, "forged", 6);
    tk_sleep_ms(100);
    udp_reply(server, "real", 4);
    tk_wait(c, WAIT_MS);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "exit status");
    TK_ASSERT_STR_EQ(text_or_empty(c->out_text), "real\n", "the output");
    close(server);
    close(stranger);
}

/* Nobody at all on the port: the ICMP "port unreachable" reaches the
 * connected client as ECONNREFUSED, and it says so at once. */
static void client_refused(void)
{
    int gone = udp_bound("127.0.0.1");
    char port[16];
    port_text(udp_port(gone), port);
    close(gone);
    long long start = tk_now_ms();
    struct tk_proc *c = tk_run(NULL, 0, WAIT_MS, tk_program("udp-echo-client"), "-t", "2000",
                               "127.0.0.1", port, "anyone?", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 1, "exit status when refused");
    tk_assert_one_error_line(c, "udp-echo-client", "Connection refused", NULL);
    TK_ASSERT(tk_now_ms() - start < 2000, "the client waited for a timeout it did not need");
}

static void client_unknown_host(void)
{
    struct tk_proc *c = tk_run(NULL, 0, WAIT_MS, tk_program("udp-echo-client"),
                               "no-such-host.invalid", "7", "x", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 1, "exit status for a name that does not resolve");
    tk_assert_one_error_line(c, "udp-echo-client", "no-such-host.invalid", NULL);
}

/* ---- the demonstrations ---------------------------------------------------- */

static struct tk_proc *run_demo(const char *which)
{
    struct tk_proc *p = tk_run(NULL, 0, WAIT_MS, tk_program("udp-demo"), which, NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "udp-demo's exit status");
    TK_ASSERT(p->out_text != NULL, "udp-demo printed nothing");
    return p;
}

static void demo_boundaries(void)
{
    struct tk_proc *p = run_demo("boundaries");
    TK_ASSERT(strstr(p->out_text, "received 3 bytes: one\n"
                                  "received 7 bytes: two two\n"
                                  "received 17 bytes: three three three\n") != NULL,
              "three receives, one per send, expected; got:\n%s", p->out_text);
}

static void demo_truncate(void)
{
    struct tk_proc *p = run_demo("truncate");
    TK_ASSERT(strstr(p->out_text, "10 bytes, MSG_TRUNC set") != NULL,
              "MSG_TRUNC expected; got:\n%s", p->out_text);
    TK_ASSERT(strstr(p->out_text, "it is 100 bytes long") != NULL,
              "the real length expected; got:\n%s", p->out_text);
}

static void demo_refused(void)
{
    struct tk_proc *p = run_demo("refused");
    TK_ASSERT(strstr(p->out_text, "unconnected socket: no answer") != NULL,
              "the unconnected socket should hear nothing; got:\n%s", p->out_text);
    TK_ASSERT(strstr(p->out_text, "connected   socket: recv: Connection refused") != NULL,
              "the connected socket should hear ECONNREFUSED; got:\n%s", p->out_text);
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"arrival-stamps", arrival_stamps},
        {"listening-line-ipv4", listening_line_ipv4},
        {"listening-line-ipv6", listening_line_ipv6},
        {"default-host", default_host_is_ipv4_loopback},
        {"server-help", server_help},
        {"server-bad-usage", server_bad_usage},
        {"client-help", client_help},
        {"client-bad-usage", client_bad_usage},
        {"demo-usage", demo_help},
        {"sigint-exits-0", exits_0_on_sigint},
        {"sigterm-exits-0", exits_0_on_sigterm},
        {"port-taken", port_taken_is_one_error_line},
        {"sizes-ipv4", sizes_ipv4},
        {"sizes-ipv6", sizes_ipv6},
        {"every-byte-value", echoes_every_byte_value},
        {"burst-boundaries", burst_keeps_boundaries},
        {"clients-interleaved", clients_interleaved},
        {"server-log", logs_each_datagram},
        {"client-gone-before-echo", client_gone_before_echo},
        {"server-own-address-refused", own_address_refused},
        {"server-no-ping-pong", no_ping_pong},
        {"client-prints-echo", client_prints_echo},
        {"client-ipv6", client_ipv6},
        {"client-empty-message", client_empty_message},
        {"client-largest-message", client_largest_message},
        {"client-gives-up", client_gives_up},
        {"client-no-retries", client_no_retries},
        {"client-default-timeout", client_default_timeout},
        {"client-retry-succeeds", client_retry_succeeds},
        {"client-ignores-strangers", client_ignores_strangers},
        {"client-refused", client_refused},
        {"client-unknown-host", client_unknown_host},
        {"demo-boundaries", demo_boundaries},
        {"demo-truncate", demo_truncate},
        {"demo-refused", demo_refused},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}

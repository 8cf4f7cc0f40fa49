/* Tests of echo-server and echo-client: every promise of the interface. */
#include "testkit.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS 5000

static struct tk_proc *start_echo_server(const char *host)
{
    return tk_start_server(tk_program("echo-server"), host, "0", NULL);
}

static void assert_exited_with(int status, int code, const char *what)
{
    TK_ASSERT(WIFEXITED(status), "%s: expected exit status %d, was killed by signal %d",
              what, code, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    TK_ASSERT_INT_EQ(WEXITSTATUS(status), code, what);
}

/* Sends a message and checks that exactly the same bytes come back. */
static void assert_echoes(int fd, const void *data, size_t len)
{
    char *reply = tk_alloc(len);
    size_t got = tk_exchange(fd, data, len, reply, 20000);
    TK_ASSERT_BYTES_EQ(reply, got, data, len, "the echo");
    free(reply);
}

/* ---- the listening line ---------------------------------------------------- */

static void listening_line_ipv4(void)
{
    struct tk_proc *server = start_echo_server("127.0.0.1");
    char expected[64];
    snprintf(expected, sizeof expected, "127.0.0.1:%d", server->port);
    TK_ASSERT_STR_EQ(server->address, expected, "the listening address");
    int fd = tk_connect("127.0.0.1", server->port);
    assert_echoes(fd, "x", 1);
    close(fd);
}

static void listening_line_ipv6(void)
{
    if (!tk_have_ipv6_loopback())
        tk_skip("this machine has no IPv6 loopback");
    struct tk_proc *server = start_echo_server("::1");
    char expected[64];
    snprintf(expected, sizeof expected, "[::1]:%d", server->port);
    TK_ASSERT_STR_EQ(server->address, expected, "the listening address");
    int fd = tk_connect("::1", server->port);
    assert_echoes(fd, "over IPv6", 9);
    close(fd);
}

static void default_host_is_ipv4_loopback(void)
{
    struct tk_proc *server = tk_start_server(tk_program("echo-server"), "0", NULL);
    char expected[64];
    snprintf(expected, sizeof expected, "127.0.0.1:%d", server->port);
    TK_ASSERT_STR_EQ(server->address, expected, "the listening address");
}

static void port_zero_gives_distinct_ports(void)
{
    struct tk_proc *a = start_echo_server("127.0.0.1");
    struct tk_proc *b = start_echo_server("127.0.0.1");
    TK_ASSERT(a->port != b->port, "two servers on port 0 both got port %d", a->port);
}

/* ---- command line ------------------------------------------------------------ */

static void server_help(void)
{
    tk_assert_help(tk_program("echo-server"));
}

static void server_bad_usage(void)
{
    const char *server = tk_program("echo-server");
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, server, NULL));
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, server, "127.0.0.1", "0", "extra", NULL));
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, server, "-x", NULL));
}

static void client_help(void)
{
    tk_assert_help(tk_program("echo-client"));
}

static void client_bad_usage(void)
{
    const char *client = tk_program("echo-client");
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, client, NULL));
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, client, "127.0.0.1", "7", NULL));
    const char *bad_timeouts[] = {"0", "ten", "-5", "99999999999", ""};
    for (size_t i = 0; i < sizeof bad_timeouts / sizeof bad_timeouts[0]; i++)
        tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, client, "-t", bad_timeouts[i],
                                     "127.0.0.1", "7", "hi", NULL));
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, client, "-t", "100", "127.0.0.1", "7",
                                 NULL));
}

/* ---- signals and errors ---------------------------------------------------- */

static void stops_on(int signo)
{
    struct tk_proc *server = start_echo_server("127.0.0.1");
    assert_exited_with(tk_stop(server, signo, WAIT_MS), 0, "exit status after the signal");
}

static void exits_0_on_sigint(void)
{
    stops_on(SIGINT);
}

static void exits_0_on_sigterm(void)
{
    stops_on(SIGTERM);
}

static void exits_0_on_sigterm_while_serving(void)
{
    struct tk_proc *server = start_echo_server("127.0.0.1");
    int fd = tk_connect("127.0.0.1", server->port);
    assert_echoes(fd, "busy", 4);
    assert_exited_with(tk_stop(server, SIGTERM, WAIT_MS), 0, "exit status after SIGTERM");
    TK_ASSERT(tk_recv_eof(fd, WAIT_MS), "the connection should end with a FIN");
    close(fd);
}

static void port_taken_is_one_error_line(void)
{
    int port;
    int holder = tk_listen("127.0.0.1", &port);
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);

    struct tk_proc *p = tk_run(NULL, 0, WAIT_MS, tk_program("echo-server"),
                               "127.0.0.1", port_text, NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status when the port is taken");
    tk_assert_one_error_line(p, "echo-server", "Address already in use", port_text, NULL);
    TK_ASSERT(p->out_len == 0, "stdout should be empty, got \"%s\"", p->out_text);
    close(holder);
}

/* glibc's getaddrinfo() would take "99999" as port 34463, "" as port 0 and
 * " 80" as port 80: each is refused with one error line instead. */
static void not_a_port(void)
{
    static const char *const bad[] = {"99999", "", " 80", "80x", "-1", "1234567"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct tk_proc *p = tk_run(NULL, 0, WAIT_MS, tk_program("echo-server"),
                                   "127.0.0.1", bad[i], NULL);
        TK_ASSERT(tk_exit_code(p) == 1, "port \"%s\": expected exit status 1, got %d",
                  bad[i], tk_exit_code(p));
        tk_assert_one_error_line(p, "echo-server", "not a port number", NULL);
        TK_ASSERT(p->out_len == 0, "port \"%s\": stdout should be empty, got \"%s\"",
                  bad[i], p->out_text);
    }
}

/* ---- echoing ------------------------------------------------------------------ */

static void echoes_one_byte(void)
{
    struct tk_proc *server = start_echo_server("127.0.0.1");
    int fd = tk_connect("127.0.0.1", server->port);
    assert_echoes(fd, "A", 1);
    close(fd);
}

static void echoes_every_byte_value(void)
{
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    struct tk_proc *server = start_echo_server("127.0.0.1");
    int fd = tk_connect("127.0.0.1", server->port);
    assert_echoes(fd, all, sizeof all);
    close(fd);
}

static void echoes_10_mib_concurrently(void)
{
    size_t len = 10u << 20;
    char *data = tk_alloc(len);
    tk_fill_pattern(data, len, 1);
    struct tk_proc *server = start_echo_server("127.0.0.1");
    int fd = tk_connect("127.0.0.1", server->port);
    assert_echoes(fd, data, len);
    close(fd);
    free(data);
}

static void second_client_waits_its_turn(void)
{
    struct tk_proc *server = start_echo_server("127.0.0.1");
    int first = tk_connect("127.0.0.1", server->port);
    assert_echoes(first, "first", 5);

    /* The kernel completes the second handshake from the backlog, but the
     * server is busy with the first client and does not read. */
    int second = tk_connect("127.0.0.1", server->port);
    tk_send(second, "second", 6, WAIT_MS);
    TK_ASSERT(!tk_readable(second, 300),
              "the second client was answered while the first was still connected");

    close(first);
    char reply[6];
    TK_ASSERT_BYTES_EQ(reply, tk_recv(second, reply, 6, WAIT_MS), "second", 6,
                       "the second client's echo once the first has gone");
    close(second);
}

static void many_clients_one_after_another(void)
{
    struct tk_proc *server = start_echo_server("127.0.0.1");
    for (int i = 0; i < 50; i++) {
        char message[32];
        int len = snprintf(message, sizeof message, "client number %d", i);
        int fd = tk_connect("127.0.0.1", server->port);
        assert_echoes(fd, message, (size_t)len);
        close(fd);
    }
}

static void client_reset_mid_stream(void)
{
    struct tk_proc *server = start_echo_server("127.0.0.1");

    /* Sends a lot, never reads, then resets: the server is blocked sending
     * the echo back and must see ECONNRESET or EPIPE, not die of SIGPIPE. */
    size_t len = 4u << 20;
    char *data = tk_alloc(len);
    tk_fill_pattern(data, len, 2);
    int rude = tk_connect("127.0.0.1", server->port);
    int small = 4096;
    setsockopt(rude, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    tk_send(rude, data, 256 * 1024, WAIT_MS);
    tk_reset(rude);

    int fd = tk_connect("127.0.0.1", server->port);
    assert_echoes(fd, data, len);
    close(fd);
    TK_ASSERT(tk_still_running(server, 0), "the server died after a client reset");
    free(data);
}

/* Sends, half-closes and closes at once, without reading the echo.  The
 * server is then in CLOSE_WAIT, and its echo reaches a socket that no longer
 * exists: the kernel answers with a RST, and the server's next send() fails
 * with EPIPE, which kills a program that has not dealt with SIGPIPE. */
static void client_closes_without_reading(void)
{
    struct tk_proc *server = start_echo_server("127.0.0.1");
    size_t len = 50000;
    char *data = tk_alloc(len);
    tk_fill_pattern(data, len, 3);
    for (int i = 0; i < 5; i++) {
        int gone = tk_connect("127.0.0.1", server->port);
        tk_send(gone, data, len, WAIT_MS);
        shutdown(gone, SHUT_WR);
        close(gone);
    }
    int fd = tk_connect("127.0.0.1", server->port);
    assert_echoes(fd, "still there?", 12);
    close(fd);
    TK_ASSERT(tk_still_running(server, 0), "the server died after a client left");
    free(data);
}

static void client_half_close(void)
{
    struct tk_proc *server = start_echo_server("127.0.0.1");
    int fd = tk_connect("127.0.0.1", server->port);
    tk_send(fd, "half", 4, WAIT_MS);
    /* SHUT_WR sends our FIN; the echo can still come back to us. */
    TK_ASSERT(shutdown(fd, SHUT_WR) == 0, "shutdown failed");
    char reply[4];
    TK_ASSERT_BYTES_EQ(reply, tk_recv(fd, reply, 4, WAIT_MS), "half", 4,
                       "the echo after our half-close");
    TK_ASSERT(tk_recv_eof(fd, WAIT_MS), "the server should close after our FIN");
    close(fd);

    int next = tk_connect("127.0.0.1", server->port);
    assert_echoes(next, "next", 4);
    close(next);
}

/* ---- echo-client ------------------------------------------------------------- */

static void client_prints_the_echo(void)
{
    struct tk_proc *server = start_echo_server("127.0.0.1");
    char port[16];
    snprintf(port, sizeof port, "%d", server->port);
    struct tk_proc *c = tk_run(NULL, 0, WAIT_MS, tk_program("echo-client"),
                               "127.0.0.1", port, "hello,", "sockets", "world", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "echo-client's exit status");
    TK_ASSERT_STR_EQ(c->out_text != NULL ? c->out_text : "", "hello, sockets world\n",
                     "echo-client's output");
    TK_ASSERT(c->err_len == 0, "echo-client wrote on stderr: %s", c->err_text);
}

static void client_over_ipv6(void)
{
    if (!tk_have_ipv6_loopback())
        tk_skip("this machine has no IPv6 loopback");
    struct tk_proc *server = start_echo_server("::1");
    char port[16];
    snprintf(port, sizeof port, "%d", server->port);
    struct tk_proc *c = tk_run(NULL, 0, WAIT_MS, tk_program("echo-client"),
                               "::1", port, "six", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "echo-client's exit status");
    TK_ASSERT_STR_EQ(c->out_text != NULL ? c->out_text : "", "six\n", "echo-client's output");
}

static void client_refused(void)
{
    /* A port held by a socket that does not listen: connections are refused. */
    int port;
    int holder = tk_refusing_port("127.0.0.1", &port);
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    struct tk_proc *c = tk_run(NULL, 0, WAIT_MS, tk_program("echo-client"),
                               "127.0.0.1", port_text, "anyone?", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 1, "echo-client's exit status when refused");
    tk_assert_one_error_line(c, "echo-client", "Connection refused", NULL);
    TK_ASSERT(c->out_len == 0, "stdout should be empty, got \"%s\"", c->out_text);
    close(holder);
}

/* Runs echo-client against a peer that never answers; checks that it gives
 * up with one error line naming the wait, no sooner than timeout_ms and not
 * much later.  timeout (text) is NULL to use the default. */
static void assert_client_gives_up(int port, const char *timeout, long timeout_ms,
                                   const char *what_failed)
{
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    long long start = tk_now_ms();
    struct tk_proc *c;
    if (timeout == NULL)
        c = tk_run(NULL, 0, (int)timeout_ms + 10000, tk_program("echo-client"), "127.0.0.1",
                   port_text, "anyone?", NULL);
    else
        c = tk_run(NULL, 0, (int)timeout_ms + 10000, tk_program("echo-client"), "-t", timeout,
                   "127.0.0.1", port_text, "anyone?", NULL);
    long long took = tk_now_ms() - start;
    TK_ASSERT_INT_EQ(tk_exit_code(c), 1, "echo-client's exit status when nobody answers");
    tk_assert_one_error_line(c, "echo-client", what_failed, NULL);
    TK_ASSERT(c->out_len == 0, "stdout should be empty, got \"%s\"", c->out_text);
    TK_ASSERT(took >= timeout_ms - 20, "gave up after %lld ms, before its %ld ms", took,
              timeout_ms);
    TK_ASSERT(took < timeout_ms + 4000, "gave up after %lld ms; its timeout is %ld ms", took,
              timeout_ms);
}

/* A server that accepts (the kernel does it: the test never calls accept)
 * and never echoes. */
static void client_echo_times_out(void)
{
    int port;
    int listener = tk_listen("127.0.0.1", &port);
    assert_client_gives_up(port, "300", 300, "receiving: no progress within 300 ms");
    close(listener);
}

static void client_default_timeout(void)
{
    int port;
    int listener = tk_listen("127.0.0.1", &port);
    assert_client_gives_up(port, NULL, 5000, "receiving: no progress within 5000 ms");
    close(listener);
}

/* A host that does not answer the SYN: connect() has a deadline too. */
static void client_connect_times_out(void)
{
    int port;
    int listener = tk_unanswering_port("127.0.0.1", &port);
    assert_client_gives_up(port, "300", 300, "Connection timed out");
    close(listener);
}

/* The peer accepts, takes the message and closes without answering. */
static void client_reports_short_echo(void)
{
    int port;
    int listener = tk_listen("127.0.0.1", &port);
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    struct tk_proc *c = tk_start(tk_program("echo-client"), "127.0.0.1", port_text,
                                 "lost", "words", NULL);
    int fd = tk_accept(listener, WAIT_MS);
    char got[10];
    TK_ASSERT_INT_EQ(tk_recv(fd, got, 10, WAIT_MS), 10, "bytes the client sent");
    tk_send(fd, "lost", 4, WAIT_MS);
    close(fd);
    tk_wait(c, WAIT_MS);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 1, "echo-client's exit status on a short echo");
    tk_assert_one_error_line(c, "echo-client", "4 of 10", NULL);
    close(listener);
}

/* The peer echoes one byte at a time: the client must keep reading. */
static void client_reads_a_dribbled_echo(void)
{
    int port;
    int listener = tk_listen("127.0.0.1", &port);
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    struct tk_proc *c = tk_start(tk_program("echo-client"), "127.0.0.1", port_text,
                                 "slowly", "now", NULL);
    int fd = tk_accept(listener, WAIT_MS);
    char got[10];
    TK_ASSERT_INT_EQ(tk_recv(fd, got, 10, WAIT_MS), 10, "bytes the client sent");
    for (int i = 0; i < 10; i++) {
        tk_send(fd, got + i, 1, WAIT_MS);
        tk_sleep_ms(20);
    }
    tk_wait(c, WAIT_MS);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "echo-client's exit status");
    TK_ASSERT_STR_EQ(c->out_text != NULL ? c->out_text : "", "slowly now\n",
                     "echo-client's output");
    close(fd);
    close(listener);
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"listening-line-ipv4", listening_line_ipv4},
        {"listening-line-ipv6", listening_line_ipv6},
        {"default-host", default_host_is_ipv4_loopback},
        {"port-zero", port_zero_gives_distinct_ports},
        {"server-help", server_help},
        {"server-bad-usage", server_bad_usage},
        {"client-help", client_help},
        {"client-bad-usage", client_bad_usage},
        {"sigint-exits-0", exits_0_on_sigint},
        {"sigterm-exits-0", exits_0_on_sigterm},
        {"sigterm-while-serving", exits_0_on_sigterm_while_serving},
        {"port-taken", port_taken_is_one_error_line},
        {"not-a-port", not_a_port},
        {"echo-one-byte", echoes_one_byte},
        {"echo-every-byte-value", echoes_every_byte_value},
        {"echo-10-mib", echoes_10_mib_concurrently},
        {"second-client-waits", second_client_waits_its_turn},
        {"clients-in-turn", many_clients_one_after_another},
        {"client-reset", client_reset_mid_stream},
        {"client-closes-without-reading", client_closes_without_reading},
        {"client-half-close", client_half_close},
        {"client-prints-echo", client_prints_the_echo},
        {"client-ipv6", client_over_ipv6},
        {"client-refused", client_refused},
        {"client-echo-times-out", client_echo_times_out},
        {"client-default-timeout", client_default_timeout},
        {"client-connect-times-out", client_connect_times_out},
        {"client-short-echo", client_reports_short_echo},
        {"client-dribbled-echo", client_reads_a_dribbled_echo},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}

/* Graded tests of exercise 1: stream-client, standard input to a server and
 * back, with a half-close in between. */
#include "testkit.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 5000

static char port_text[16];

static struct tk_proc *run_client(const void *input, size_t len, int port)
{
    snprintf(port_text, sizeof port_text, "%d", port);
    return tk_run(input, len, WAIT_MS, tk_program("stream-client"), "127.0.0.1",
                  port_text, NULL);
}

static void assert_success(struct tk_proc *c)
{
    TK_ASSERT(tk_exit_code(c) == 0, "stream-client exited with status %d; stderr: %s",
              tk_exit_code(c), c->err_len ? c->err_text : "(empty)");
}

/* Through the chapter's echo-server, the output is the input. */
static void assert_round_trip(const void *input, size_t len)
{
    struct tk_proc *server = tk_start_server(tk_program("echo-server"), "127.0.0.1",
                                             "0", NULL);
    struct tk_proc *c = run_client(input, len, server->port);
    assert_success(c);
    TK_ASSERT_BYTES_EQ(c->out_text, c->out_len, input, len, "stream-client's output");
}

static void copies_text(void)
{
    static const char text[] = "hello\nhalf-closed\nworld\n";
    assert_round_trip(text, sizeof text - 1);
}

static void copies_binary(void)
{
    size_t len = 64 * 1024;
    char *data = tk_alloc(len);
    tk_fill_pattern(data, len, 11);
    assert_round_trip(data, len);
    free(data);
}

/* A peer of the test's own that answers only once it has seen the client's
 * FIN: without shutdown(SHUT_WR) the client would wait forever. */
static void answer_after_eof(int listener, size_t expect_len, bool dribble)
{
    int fd = tk_accept(listener, WAIT_MS);
    char *got = tk_alloc(expect_len + 1);
    size_t n = tk_recv(fd, got, expect_len + 1, WAIT_MS);
    TK_ASSERT_INT_EQ(n, expect_len, "bytes received before the client's FIN");
    TK_ASSERT(tk_recv_eof(fd, WAIT_MS), "expected a FIN (shutdown), got a reset");
    char reply[64];
    int len = snprintf(reply, sizeof reply, "got %zu bytes\n", n);
    if (!dribble)
        tk_send(fd, reply, (size_t)len, WAIT_MS);
    for (int i = 0; dribble && i < len; i++) {
        tk_send(fd, reply + i, 1, WAIT_MS);
        tk_sleep_ms(10);
    }
    close(fd);
    free(got);
}

static void check_half_close(const char *input, size_t len, bool dribble)
{
    int port;
    int listener = tk_listen("127.0.0.1", &port);
    snprintf(port_text, sizeof port_text, "%d", port);
    struct tk_proc *c = tk_start(tk_program("stream-client"), "127.0.0.1", port_text,
                                 NULL);
    tk_write_stdin(c, input, len);
    tk_close_stdin(c);
    answer_after_eof(listener, len, dribble);
    tk_wait(c, WAIT_MS);
    assert_success(c);
    char expected[64];
    snprintf(expected, sizeof expected, "got %zu bytes\n", len);
    TK_ASSERT_STR_EQ(c->out_text != NULL ? c->out_text : "", expected,
                     "stream-client's output");
    close(listener);
}

static void half_closes(void)
{
    check_half_close("twelve bytes", 12, false);
}

static void empty_input(void)
{
    check_half_close("", 0, false);
}

static void dribbled_reply(void)
{
    check_half_close("slowly", 6, true);
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"copies-text", copies_text},
        {"copies-binary", copies_binary},
        {"half-closes", half_closes},
        {"empty-input", empty_input},
        {"dribbled-reply", dribbled_reply},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}

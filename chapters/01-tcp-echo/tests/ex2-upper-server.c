/* Graded tests of exercise 2: the line reader behind upper-server, fed
 * lines whole, in pieces, one byte at a time and many at once. */
#include "testkit.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 5000
#define LINE_MAX_LEN 1024

static struct tk_proc *server;

static int connect_to_server(void)
{
    if (server == NULL)
        server = tk_start_server(tk_program("upper-server"), "127.0.0.1", "0", NULL);
    int fd = tk_connect("127.0.0.1", server->port);
    /* Send small pieces at once rather than letting TCP gather them. */
    int one = 1;
    TK_ASSERT(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0,
              "TCP_NODELAY");
    return fd;
}

static void expect_reply(int fd, const char *expected, size_t len)
{
    char *got = tk_alloc(len);
    size_t n = tk_recv(fd, got, len, WAIT_MS);
    TK_ASSERT_BYTES_EQ(got, n, expected, len, "upper-server's reply");
    free(got);
}

static void one_line(void)
{
    int fd = connect_to_server();
    tk_send(fd, "hello, lines\n", 13, WAIT_MS);
    expect_reply(fd, "HELLO, LINES\n", 13);
    close(fd);
}

static void one_byte_at_a_time(void)
{
    static const char text[] = "abc\nxyz\n";
    int fd = connect_to_server();
    for (size_t i = 0; i < sizeof text - 1; i++) {
        tk_send(fd, text + i, 1, WAIT_MS);
        tk_sleep_ms(5);
    }
    expect_reply(fd, "ABC\nXYZ\n", 8);
    close(fd);
}

static void many_lines_in_one_send(void)
{
    char text[200 * 16], expected[200 * 16];
    size_t len = 0, expected_len = 0;
    for (int i = 0; i < 200; i++) {
        len += (size_t)snprintf(text + len, sizeof text - len, "line %d\n", i);
        expected_len += (size_t)snprintf(expected + expected_len,
                                         sizeof expected - expected_len, "LINE %d\n", i);
    }
    int fd = connect_to_server();
    tk_send(fd, text, len, WAIT_MS);
    expect_reply(fd, expected, expected_len);
    close(fd);
}

/* Lines cut into pieces of 1 to 7 bytes, never on a line boundary by design. */
static void lines_split_anywhere(void)
{
    char text[4000], expected[4000];
    size_t len = 0;
    for (int i = 0; len < 3000; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%.*s\n", i % 97,
                                "the quick brown fox jumps over the lazy dog, "
                                "again and again and again, all day long, "
                                "until the evening");
    for (size_t i = 0; i < len; i++)
        expected[i] = (text[i] >= 'a' && text[i] <= 'z') ? (char)(text[i] - 32) : text[i];
    int fd = connect_to_server();
    for (size_t at = 0, step = 1; at < len; at += step, step = step % 7 + 1) {
        size_t n = at + step <= len ? step : len - at;
        tk_send(fd, text + at, n, WAIT_MS);
        if (at % 50 == 0)
            tk_sleep_ms(1);
    }
    expect_reply(fd, expected, len);
    close(fd);
}

static void empty_lines(void)
{
    int fd = connect_to_server();
    tk_send(fd, "\n\n\n", 3, WAIT_MS);
    expect_reply(fd, "\n\n\n", 3);
    close(fd);
}

static void longest_line(void)
{
    char line[LINE_MAX_LEN + 1], expected[LINE_MAX_LEN + 1];
    memset(line, 'q', LINE_MAX_LEN);
    memset(expected, 'Q', LINE_MAX_LEN);
    line[LINE_MAX_LEN] = expected[LINE_MAX_LEN] = '\n';
    int fd = connect_to_server();
    tk_send(fd, line, sizeof line, WAIT_MS);
    expect_reply(fd, expected, sizeof expected);
    close(fd);
}

static void too_long_line(void)
{
    static const char error[] = "error: line too long\n";
    char line[LINE_MAX_LEN + 1];
    memset(line, 'z', sizeof line);
    int fd = connect_to_server();
    tk_send(fd, line, sizeof line, WAIT_MS);
    expect_reply(fd, error, sizeof error - 1);
    TK_ASSERT(tk_recv_eof(fd, WAIT_MS), "the server should close after the error");
    close(fd);

    /* ...and goes on serving the next client. */
    fd = connect_to_server();
    tk_send(fd, "next\n", 5, WAIT_MS);
    expect_reply(fd, "NEXT\n", 5);
    close(fd);
}

static void last_line_without_newline(void)
{
    int fd = connect_to_server();
    tk_send(fd, "first\ntail", 10, WAIT_MS);
    TK_ASSERT(shutdown(fd, SHUT_WR) == 0, "shutdown");
    expect_reply(fd, "FIRST\nTAIL\n", 11);
    TK_ASSERT(tk_recv_eof(fd, WAIT_MS), "the server should close after the last line");
    close(fd);
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"one-line", one_line},
        {"one-byte-at-a-time", one_byte_at_a_time},
        {"many-lines-in-one-send", many_lines_in_one_send},
        {"lines-split-anywhere", lines_split_anywhere},
        {"empty-lines", empty_lines},
        {"longest-line", longest_line},
        {"too-long-line", too_long_line},
        {"last-line-without-newline", last_line_without_newline},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}

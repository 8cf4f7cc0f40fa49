/* test-ws-client - ws-client judged from outside: the test plays the
 * server byte by byte, so it can send what no well-behaved server would.
 * The families follow the Autobahn test suite's, seen from the client.
 */
#include "testkit.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int listener, port;
static struct tk_proc *client;

/* Starts ws-client (with --echo, unless lines) against the test's own
 * listener and answers its handshake. */
static int connect_client(bool lines, const char *max_message)
{
    listener = tk_listen("127.0.0.1", &port);
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/path?query=1", port);
    const char *path = tk_program("ws-client");
    if (max_message)
        client = tk_start(path, "--echo", "--max-message", max_message, url, NULL);
    else if (lines)
        client = tk_start(path, url, NULL);
    else
        client = tk_start(path, "--echo", url, NULL);
    return wire_accept(listener, false);
}

/* The client fails the connection with code: its close frame, then its
 * exit status 1. */
static void client_fails_with(int fd, int code)
{
    struct wire_frame f;
    TK_ASSERT(wire_recv(fd, &f, WIRE_TIMEOUT), "no close frame from the client");
    TK_ASSERT(f.opcode == 8 && f.masked, "expected a masked close frame, got opcode %u", f.opcode);
    TK_ASSERT(f.len >= 2 && (f.data[0] << 8 | f.data[1]) == code, "expected close code %d", code);
    free(f.data);
    TK_ASSERT_INT_EQ(tk_exit_code((tk_wait(client, WIRE_TIMEOUT), client)), 1, "exit status");
    close(fd);
}

/* The server ends the session cleanly; the client answers and exits 0. */
static void clean_close(int fd)
{
    uint8_t body[8];
    wire_server_send(fd, 8, body, wire_close_body(body, 1000, ""));
    struct wire_frame f;
    TK_ASSERT(wire_recv(fd, &f, WIRE_TIMEOUT), "no close frame in answer");
    TK_ASSERT(f.opcode == 8 && f.len >= 2 && (f.data[0] << 8 | f.data[1]) == 1000,
              "the client did not echo 1000");
    free(f.data);
    close(fd);
    TK_ASSERT_INT_EQ(tk_exit_code((tk_wait(client, WIRE_TIMEOUT), client)), 0, "exit status");
}

/* ---- the program's habits -------------------------------------------------------------- */

static void usage(void)
{
    tk_assert_help(tk_program("ws-client"));
    tk_assert_usage_error(tk_run(NULL, 0, 5000, tk_program("ws-client"), NULL));
    tk_assert_usage_error(tk_run(NULL, 0, 5000, tk_program("ws-client"), "--bogus", "ws://x/", NULL));
    tk_assert_usage_error(tk_run(NULL, 0, 5000, tk_program("ws-client"), "ws://a/", "ws://b/", NULL));
}

static void errors(void)
{
    int refusing;
    int fd = tk_refusing_port("127.0.0.1", &refusing);
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/", refusing);
    struct tk_proc *p = tk_run(NULL, 0, 5000, tk_program("ws-client"), url, NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status when refused");
    tk_assert_one_error_line(p, "ws-client", "refused", NULL);
    close(fd);
    p = tk_run(NULL, 0, 5000, tk_program("ws-client"), "wss://example.com/", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status for wss://");
    tk_assert_one_error_line(p, "ws-client", "ws://", NULL);
}

/* ---- the opening handshake -------------------------------------------------------------- */

static void request(void)
{
    listener = tk_listen("127.0.0.1", &port);
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/path?query=1", port);
    client = tk_start(tk_program("ws-client"), "--echo", url, NULL);
    int fd = tk_accept(listener, WIRE_TIMEOUT);
    char head[2048];
    size_t len = 0;
    while (len < 4 || memcmp(head + len - 4, "\r\n\r\n", 4) != 0) {
        TK_ASSERT(len < sizeof head - 1 && tk_recv(fd, head + len, 1, WIRE_TIMEOUT) == 1,
                  "request head");
        len++;
    }
    head[len] = '\0';
    TK_ASSERT(strncmp(head, "GET /path?query=1 HTTP/1.1\r\n", 28) == 0, "request line: %s", head);
    char host[64];
    snprintf(host, sizeof host, "\r\nHost: 127.0.0.1:%d\r\n", port);
    TK_ASSERT(strstr(head, host), "Host header in: %s", head);
    TK_ASSERT(strstr(head, "\r\nUpgrade: websocket\r\n"), "Upgrade header");
    TK_ASSERT(strstr(head, "\r\nConnection: Upgrade\r\n"), "Connection header");
    TK_ASSERT(strstr(head, "\r\nSec-WebSocket-Version: 13\r\n"), "version");
    const char *key = strstr(head, "\r\nSec-WebSocket-Key: ");
    TK_ASSERT(key && strchr(key + 21, '\r') - (key + 21) == 24, "a 24-character key: %s", head);
    close(fd);
}

static void wrong_accept(void)
{
    listener = tk_listen("127.0.0.1", &port);
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/", port);
    client = tk_start(tk_program("ws-client"), "--echo", url, NULL);
    int fd = wire_accept(listener, true);
    /* A text frame right behind the wrong answer.  The client may already
     * have read the answer and reset the connection, so this send may fail;
     * either way, the frame must never come back. */
    static const char frame[] = "\x81\x12must not be echoed";
    (void)!send(fd, frame, sizeof frame - 1, MSG_NOSIGNAL);
    tk_wait(client, WIRE_TIMEOUT);
    TK_ASSERT_INT_EQ(tk_exit_code(client), 1, "exit status");
    tk_assert_one_error_line(client, "ws-client", "Sec-WebSocket-Accept", NULL);
    /* nothing more from the client: an end of stream or a reset, no frame */
    tk_recv_eof(fd, WIRE_TIMEOUT);
    close(fd);
}

/* ---- framing, masking, pings -------------------------------------------------------------- */

static void echo_sizes(void)
{
    int fd = connect_client(false, NULL);
    static const size_t sizes[] = {0, 1, 125, 126, 65535, 65536, 1 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *data = tk_alloc(sizes[i] + 1);
        tk_fill_pattern(data, sizes[i], (unsigned)i);
        wire_server_send(fd, 2, data, sizes[i]);
        struct wire_frame f;
        TK_ASSERT(wire_recv(fd, &f, WIRE_TIMEOUT), "no echo");
        TK_ASSERT(f.masked, "a client frame must be masked (§5.3)");
        TK_ASSERT(f.opcode == 2 && f.fin, "binary echo");
        TK_ASSERT_BYTES_EQ(f.data, (size_t)f.len, data, sizes[i], "echoed bytes");
        free(f.data);
        free(data);
    }
    clean_close(fd);
}

static void split_at_every_byte(void)
{
    int fd = connect_client(false, NULL);
    const char *text = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 split";
    wire_send(fd, true, 0, 1, text, strlen(text), false, 1);
    wire_expect_message(fd, 1, text, strlen(text));
    wire_send(fd, false, 0, 1, "ab", 2, false, 1);
    wire_send(fd, true, 0, 9, "between", 7, false, 1);
    wire_expect_message(fd, 10, "between", 7);
    wire_send(fd, true, 0, 0, "cd", 2, false, 1);
    wire_expect_message(fd, 1, "abcd", 4);
    clean_close(fd);
}

static void pings(void)
{
    int fd = connect_client(false, NULL);
    char payload[125];
    tk_fill_pattern(payload, sizeof payload, 2);
    wire_server_send(fd, 9, payload, sizeof payload);
    wire_expect_message(fd, 10, payload, sizeof payload);
    wire_server_send(fd, 10, "unsolicited", 11);
    wire_server_send(fd, 1, "next", 4);
    wire_expect_message(fd, 1, "next", 4);
    clean_close(fd);
}

/* ---- what the client must refuse ---------------------------------------------------------- */

static void reserved_bits(void)
{
    int fd = connect_client(false, NULL);
    wire_send(fd, true, 2, 1, "x", 1, false, 0);
    client_fails_with(fd, 1002);
}

static void reserved_opcode(void)
{
    int fd = connect_client(false, NULL);
    wire_send(fd, true, 0, 0xb, "", 0, false, 0);
    client_fails_with(fd, 1002);
}

static void masked_from_server(void)
{
    int fd = connect_client(false, NULL);
    wire_send(fd, true, 0, 1, "masked", 6, true, 0); /* §5.1: servers never mask */
    client_fails_with(fd, 1002);
}

static void fragment_errors(void)
{
    int fd = connect_client(false, NULL);
    wire_send(fd, true, 0, 0, "lost", 4, false, 0);
    client_fails_with(fd, 1002);
}

static void utf8_invalid(void)
{
    int fd = connect_client(false, NULL);
    wire_send(fd, false, 0, 1, "ok \xed", 4, false, 0);
    wire_send(fd, false, 0, 0, "\xa0\x80", 2, false, 0); /* a surrogate, across fragments */
    client_fails_with(fd, 1007);
}

static void limit(void)
{
    int fd = connect_client(false, "100");
    char data[101];
    memset(data, 'q', sizeof data);
    wire_server_send(fd, 1, data, 100);
    wire_expect_message(fd, 1, data, 100);
    wire_server_send(fd, 1, data, 101);
    client_fails_with(fd, 1009);
}

static void bad_close_code(void)
{
    int fd = connect_client(false, NULL);
    uint8_t body[8];
    wire_server_send(fd, 8, body, wire_close_body(body, 1005, ""));
    client_fails_with(fd, 1002);
}

/* ---- closing ---------------------------------------------------------------------------------- */

static void server_closes(void)
{
    int fd = connect_client(false, NULL);
    clean_close(fd);
}

/* A close with a code other than 1000, 1001 or none: a clean handshake,
 * but not a success. */
static void server_closes_with_error(void)
{
    int fd = connect_client(false, NULL);
    uint8_t body[16];
    wire_server_send(fd, 8, body, wire_close_body(body, 1011, "oops"));
    wire_expect_close(fd, 1011, false);
    close(fd);
    TK_ASSERT_INT_EQ(tk_exit_code((tk_wait(client, WIRE_TIMEOUT), client)), 1, "exit status");
    tk_assert_one_error_line(client, "ws-client", "1011", "oops", NULL);
}

static void connection_lost(void)
{
    int fd = connect_client(false, NULL);
    tk_reset(fd);
    TK_ASSERT_INT_EQ(tk_exit_code((tk_wait(client, WIRE_TIMEOUT), client)), 1, "exit status");
    tk_assert_one_error_line(client, "ws-client", "connection lost", NULL);
}

/* Lines mode: stdin lines out as text, messages in printed as lines; at
 * the end of stdin, a close with 1000. */
static void lines(void)
{
    int fd = connect_client(true, NULL);
    tk_write_stdin(client, "first line\nsecond\n", 18);
    wire_expect_message(fd, 1, "first line", 10);
    wire_expect_message(fd, 1, "second", 6);
    wire_server_send(fd, 1, "from the server", 15);
    TK_ASSERT_STR_EQ(tk_read_line(client, WIRE_TIMEOUT), "from the server", "printed line");
    tk_close_stdin(client);
    wire_expect_close(fd, 1000, false);
    uint8_t body[8];
    wire_server_send(fd, 8, body, wire_close_body(body, 1000, ""));
    close(fd);
    TK_ASSERT_INT_EQ(tk_exit_code((tk_wait(client, WIRE_TIMEOUT), client)), 0, "exit status");
}

/* A server that never answers the client's close: the client gives up
 * after its close timeout. */
static void close_timeout(void)
{
    int fd = connect_client(true, NULL);
    tk_close_stdin(client);
    wire_expect_close(fd, 1000, false);
    TK_ASSERT(tk_still_running(client, 1000), "gave up too early");
    TK_ASSERT_INT_EQ(tk_exit_code((tk_wait(client, 10000), client)), 1, "exit status");
    close(fd);
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"client.usage", usage},
        {"client.errors", errors},
        {"client.request", request},
        {"client.wrong-accept", wrong_accept},
        {"client.echo-sizes-masked", echo_sizes},
        {"client.split-at-every-byte", split_at_every_byte},
        {"client.pings", pings},
        {"client.reserved-bits", reserved_bits},
        {"client.reserved-opcode", reserved_opcode},
        {"client.masked-from-server", masked_from_server},
        {"client.fragment-errors", fragment_errors},
        {"client.utf8-invalid", utf8_invalid},
        {"client.limit", limit},
        {"client.bad-close-code", bad_close_code},
        {"client.server-closes", server_closes},
        {"client.server-closes-with-error", server_closes_with_error},
        {"client.connection-lost", connection_lost},
        {"client.lines", lines},
        {"client.close-timeout", close_timeout},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}

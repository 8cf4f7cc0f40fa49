/* test-ws-server - ws-server judged from outside, byte by byte.
 *
 * The cases follow the families of the Autobahn test suite: framing,
 * pings and pongs, reserved bits, opcodes, fragmentation, UTF-8 handling,
 * limits and the closing handshake; then the opening handshake's errors,
 * the chat room, the demo page, and a server that keeps serving everybody
 * while one peer misbehaves or stops reading.
 */
#include "testkit.h"
#include "wire.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static struct tk_proc *server;

static int start(void)
{
    server = tk_start_server(tk_program("ws-server"), "0", NULL);
    return server->port;
}

static int start_limited(const char *max_message)
{
    server = tk_start_server(tk_program("ws-server"), "--max-message", max_message, "0", NULL);
    return server->port;
}

/* The server still echoes for a newcomer. */
static void still_serving(int port)
{
    int fd = wire_open(port, "/");
    wire_client_send(fd, 1, "still here", 10);
    wire_expect_message(fd, 1, "still here", 10);
    close(fd);
}

/* Sends one hostile frame and expects the server to fail the connection
 * with code, then to serve the next client as before. */
static void refused_with(int port, int code, bool fin, unsigned rsv, unsigned opcode,
                         const void *data, size_t len, bool mask)
{
    int fd = wire_open(port, "/");
    wire_send(fd, fin, rsv, opcode, data, len, mask, 0);
    wire_expect_close(fd, code, true);
    close(fd);
}

/* ---- the program's habits ----------------------------------------------------------- */

static void usage(void)
{
    tk_assert_help(tk_program("ws-server"));
    tk_assert_usage_error(tk_run(NULL, 0, 5000, tk_program("ws-server"), NULL));
    tk_assert_usage_error(tk_run(NULL, 0, 5000, tk_program("ws-server"), "--max-message",
                                 "lots", "0", NULL));
    tk_assert_usage_error(tk_run(NULL, 0, 5000, tk_program("ws-server"), "--bogus", "0", NULL));
}

static void signals(void)
{
    start();
    int fd = wire_open(server->port, "/");
    TK_ASSERT_INT_EQ(tk_stop(server, SIGTERM, 5000), 0, "exit status after SIGTERM");
    close(fd);
    start();
    TK_ASSERT_INT_EQ(tk_stop(server, SIGINT, 5000), 0, "exit status after SIGINT");
}

/* ---- framing ------------------------------------------------------------------------------ */

static void echo_sizes(void)
{
    int port = start();
    int fd = wire_open(port, "/echo");
    static const size_t sizes[] = {0, 1, 125, 126, 127, 65535, 65536, 1 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *data = tk_alloc(sizes[i] + 1);
        tk_fill_pattern(data, sizes[i], (unsigned)i);
        wire_client_send(fd, 2, data, sizes[i]);
        wire_expect_message(fd, 2, data, sizes[i]);
        memset(data, 'a' + (int)i, sizes[i]);
        wire_client_send(fd, 1, data, sizes[i]);
        wire_expect_message(fd, 1, data, sizes[i]);
        free(data);
    }
    uint8_t body[32];
    wire_client_send(fd, 8, body, wire_close_body(body, 1000, "bye"));
    wire_expect_close(fd, 1000, true);
    close(fd);
}

/* The server's frames use the shortest length form and are never masked
 * (§5.1, §5.2). */
static void server_frames(void)
{
    int port = start();
    int fd = wire_open(port, "/");
    static const size_t sizes[] = {125, 126, 65535, 65536};
    static const uint8_t second_byte[] = {125, 126, 126, 127};
    for (size_t i = 0; i < 4; i++) {
        char *data = tk_alloc(sizes[i]);
        memset(data, 'x', sizes[i]);
        wire_client_send(fd, 2, data, sizes[i]);
        uint8_t h[2];
        TK_ASSERT_INT_EQ(tk_recv(fd, h, 2, WIRE_TIMEOUT), 2, "header bytes");
        TK_ASSERT_INT_EQ(h[0], 0x82, "FIN and binary opcode");
        TK_ASSERT_INT_EQ(h[1], second_byte[i], "unmasked, shortest length form");
        size_t rest = sizes[i] + (h[1] == 126 ? 2 : h[1] == 127 ? 8 : 0);
        char *skip = tk_alloc(rest);
        TK_ASSERT_INT_EQ(tk_recv(fd, skip, rest, WIRE_TIMEOUT), rest, "rest of frame");
        free(skip);
        free(data);
    }
    close(fd);
}

/* Every frame sent one byte at a time, the handshake too. */
static void split_at_every_byte(void)
{
    int port = start();
    static const char request[] =
        "GET /split HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    int fd = tk_connect("127.0.0.1", port);
    for (size_t i = 0; i < sizeof request - 1; i++) {
        tk_send(fd, request + i, 1, WIRE_TIMEOUT);
        tk_sleep_ms(1);
    }
    char answer[129];
    size_t got = tk_recv(fd, answer, 129, WIRE_TIMEOUT);
    TK_ASSERT(got == 129 && strncmp(answer, "HTTP/1.1 101 ", 13) == 0, "no 101 answer");
    const char *text = "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!";
    wire_send(fd, true, 0, 1, text, strlen(text), true, 1);
    wire_expect_message(fd, 1, text, strlen(text));
    char big[300];
    tk_fill_pattern(big, sizeof big, 5);
    wire_send(fd, false, 0, 2, big, 150, true, 1);
    wire_send(fd, true, 0, 9, "ping", 4, true, 1);
    wire_expect_message(fd, 10, "ping", 4);
    wire_send(fd, true, 0, 0, big + 150, 150, true, 1);
    wire_expect_message(fd, 2, big, sizeof big);
    close(fd);
}

/* A frame and the next glued together, and frames right behind the
 * upgrade request in the same send. */
static void glued(void)
{
    int port = start();
    char request[512];
    int n = snprintf(request, sizeof request,
                     "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    /* two masked text frames "ab" and "cd", key 0 (masking with zeros is allowed) */
    static const uint8_t frames[] = {0x81, 0x82, 0, 0, 0, 0, 'a', 'b',
                                     0x81, 0x82, 0, 0, 0, 0, 'c', 'd'};
    memcpy(request + n, frames, sizeof frames);
    int fd = tk_connect("127.0.0.1", port);
    tk_send(fd, request, (size_t)n + sizeof frames, WIRE_TIMEOUT);
    char answer[129];
    TK_ASSERT_INT_EQ(tk_recv(fd, answer, 129, WIRE_TIMEOUT), 129, "101 answer");
    wire_expect_message(fd, 1, "ab", 2);
    wire_expect_message(fd, 1, "cd", 2);
    close(fd);
}

/* ---- pings and pongs (§5.5.2, §5.5.3) --------------------------------------------------- */

static void pings(void)
{
    int port = start();
    int fd = wire_open(port, "/");
    wire_client_send(fd, 9, "", 0);
    wire_expect_message(fd, 10, "", 0);
    char payload[125];
    tk_fill_pattern(payload, sizeof payload, 9);
    wire_client_send(fd, 9, payload, sizeof payload);
    wire_expect_message(fd, 10, payload, sizeof payload);
    wire_client_send(fd, 10, "unsolicited", 11); /* no answer */
    wire_client_send(fd, 1, "after", 5);
    wire_expect_message(fd, 1, "after", 5);
    for (int i = 0; i < 10; i++) /* ten pings, ten pongs, in order */
        wire_client_send(fd, 9, payload + i, 1);
    for (int i = 0; i < 10; i++)
        wire_expect_message(fd, 10, payload + i, 1);
    close(fd);
}

static void ping_too_long(void)
{
    int port = start();
    char payload[126] = {0};
    refused_with(port, 1002, true, 0, 9, payload, sizeof payload, true);
    still_serving(port);
}

/* ---- reserved bits and opcodes (§5.2) ----------------------------------------------------- */

static void reserved_bits(void)
{
    int port = start();
    for (unsigned rsv = 1; rsv <= 7; rsv++)
        refused_with(port, 1002, true, rsv, 1, "hi", 2, true);
    refused_with(port, 1002, true, 4, 9, "", 0, true); /* on a ping too */
    still_serving(port);
}

static void reserved_opcodes(void)
{
    int port = start();
    static const unsigned opcodes[] = {3, 4, 5, 6, 7, 11, 12, 13, 14, 15};
    for (size_t i = 0; i < sizeof opcodes / sizeof opcodes[0]; i++)
        refused_with(port, 1002, true, 0, opcodes[i], "", 0, true);
    still_serving(port);
}

static void unmasked_frame(void)
{
    int port = start();
    refused_with(port, 1002, true, 0, 1, "plain", 5, false); /* §5.1 */
    still_serving(port);
}

static void non_minimal_length(void)
{
    int port = start();
    int fd = wire_open(port, "/");
    /* 5 bytes announced in the 16-bit form (§5.2: minimal encoding) */
    static const uint8_t frame[] = {0x81, 0xfe, 0x00, 0x05, 0, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'};
    tk_send(fd, frame, sizeof frame, WIRE_TIMEOUT);
    wire_expect_close(fd, 1002, true);
    close(fd);
    still_serving(port);
}

/* ---- fragmentation (§5.4) ------------------------------------------------------------------ */

static void fragments(void)
{
    int port = start();
    int fd = wire_open(port, "/");
    wire_send(fd, false, 0, 1, "frag", 4, true, 0);
    wire_send(fd, false, 0, 0, "men", 3, true, 0);
    wire_send(fd, false, 0, 0, "", 0, true, 0);
    wire_send(fd, true, 0, 0, "ted", 3, true, 0);
    wire_expect_message(fd, 1, "fragmented", 10);
    /* Control frames between fragments are answered at once. */
    wire_send(fd, false, 0, 2, "ab", 2, true, 0);
    wire_send(fd, true, 0, 9, "p1", 2, true, 0);
    wire_expect_message(fd, 10, "p1", 2);
    wire_send(fd, false, 0, 0, "cd", 2, true, 0);
    wire_send(fd, true, 0, 10, "pong", 4, true, 0);
    wire_send(fd, true, 0, 9, "p2", 2, true, 0);
    wire_expect_message(fd, 10, "p2", 2);
    wire_send(fd, true, 0, 0, "ef", 2, true, 0);
    wire_expect_message(fd, 2, "abcdef", 6);
    /* A message of 1000 one-byte fragments. */
    char expected[1000];
    for (int i = 0; i < 1000; i++) {
        expected[i] = (char)('a' + i % 26);
        wire_send(fd, i == 999, 0, i == 0 ? 1 : 0, expected + i, 1, true, 0);
    }
    wire_expect_message(fd, 1, expected, sizeof expected);
    close(fd);
}

static void fragment_errors(void)
{
    int port = start();
    /* a continuation with no message begun */
    refused_with(port, 1002, true, 0, 0, "x", 1, true);
    /* a new message inside a fragmented one */
    int fd = wire_open(port, "/");
    wire_send(fd, false, 0, 1, "a", 1, true, 0);
    wire_send(fd, true, 0, 1, "b", 1, true, 0);
    wire_expect_close(fd, 1002, true);
    close(fd);
    /* a fragmented ping (§5.5: control frames are never fragmented) */
    refused_with(port, 1002, false, 0, 9, "x", 1, true);
    refused_with(port, 1002, false, 0, 8, "", 0, true);
    still_serving(port);
}

/* ---- UTF-8 (§8.1) ------------------------------------------------------------------------------ */

static void utf8_valid(void)
{
    int port = start();
    int fd = wire_open(port, "/");
    static const char *const texts[] = {
        "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",
        "\xef\xbf\xbf", "\xed\x9f\xbf", "\x00",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        size_t len = i == 5 ? 1 : strlen(texts[i]);
        wire_client_send(fd, 1, texts[i], len);
        wire_expect_message(fd, 1, texts[i], len);
    }
    /* A character split across fragments is fine. */
    wire_send(fd, false, 0, 1, "\xf0\x9f", 2, true, 0);
    wire_send(fd, true, 0, 0, "\x98\x80", 2, true, 0);
    wire_expect_message(fd, 1, "\xf0\x9f\x98\x80", 4);
    close(fd);
}

static void utf8_invalid(void)
{
    int port = start();
    static const char *const bad[] = {
        "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "\x80",
        ("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80" "edited"),
        "\xf0\x9f\x98", /* a message that ends inside a character */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        refused_with(port, 1007, true, 0, 1, bad[i], strlen(bad[i]), true);
    /* Binary messages are not text: anything goes. */
    int fd = wire_open(port, "/");
    wire_client_send(fd, 2, "\xff\xfe", 2);
    wire_expect_message(fd, 2, "\xff\xfe", 2);
    close(fd);
    still_serving(port);
}

/* Fail fast: the server refuses a text message at its first bad byte, in
 * the first fragment, without waiting for the rest. */
static void utf8_fail_fast(void)
{
    int port = start();
    int fd = wire_open(port, "/");
    wire_send(fd, false, 0, 1, "good \xed\xa0\x80", 8, true, 0);
    wire_expect_close(fd, 1007, true);
    close(fd);
    /* The same across a fragment boundary: ED, then A0 in the next one. */
    fd = wire_open(port, "/");
    wire_send(fd, false, 0, 1, "ok \xed", 4, true, 0);
    wire_send(fd, false, 0, 0, "\xa0\x80", 2, true, 0);
    wire_expect_close(fd, 1007, true);
    close(fd);
    still_serving(port);
}

/* ---- limits ------------------------------------------------------------------------------------ */

static void limit_message(void)
{
    int port = start_limited("1000");
    int fd = wire_open(port, "/");
    char data[1001];
    memset(data, 'a', sizeof data);
    wire_client_send(fd, 1, data, 1000); /* at the limit */
    wire_expect_message(fd, 1, data, 1000);
    wire_client_send(fd, 2, data, 1001);
    wire_expect_close(fd, 1009, true);
    close(fd);
    /* Fragments that add up to more than the limit. */
    fd = wire_open(port, "/");
    wire_send(fd, false, 0, 2, data, 600, true, 0);
    wire_send(fd, true, 0, 0, data, 600, true, 0);
    wire_expect_close(fd, 1009, true);
    close(fd);
    still_serving(port);
}

/* A 16 MiB message, the default limit, is reassembled and echoed. */
static void limit_default_16mib(void)
{
    int port = start();
    int fd = wire_open(port, "/");
    size_t len = 16u * 1024 * 1024;
    char *data = tk_alloc(len);
    tk_fill_pattern(data, len, 16);
    /* sent while the echo is read, in two fragments */
    wire_send(fd, false, 0, 2, data, len / 2, true, 0);
    wire_send(fd, true, 0, 0, data + len / 2, len / 2, true, 0);
    struct wire_frame f;
    TK_ASSERT(wire_recv(fd, &f, 20000), "no echo of 16 MiB");
    TK_ASSERT_BYTES_EQ(f.data, (size_t)f.len, data, len, "16 MiB echo");
    free(f.data);
    /* One byte more is refused, as soon as its header is read. */
    static const uint8_t header[] = {0x82, 0xff, 0, 0, 0, 0, 0x01, 0, 0, 0x01, 1, 2, 3, 4};
    tk_send(fd, header, sizeof header, WIRE_TIMEOUT);
    wire_expect_close(fd, 1009, true);
    free(data);
    close(fd);
}

/* ---- the closing handshake (§7) ------------------------------------------------------------------ */

static void close_codes(void)
{
    int port = start();
    static const int valid[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011,
                                3000, 3999, 4000, 4999};
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        int fd = wire_open(port, "/");
        uint8_t body[32];
        wire_client_send(fd, 8, body, wire_close_body(body, valid[i], "reason"));
        wire_expect_close(fd, valid[i], true); /* echoed (§5.5.1) */
        close(fd);
    }
    static const int invalid[] = {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        uint8_t body[32];
        refused_with(port, 1002, true, 0, 8, body, wire_close_body(body, invalid[i], ""), true);
    }
    still_serving(port);
}

static void close_bodies(void)
{
    int port = start();
    /* no body: answered with no body */
    int fd = wire_open(port, "/");
    wire_client_send(fd, 8, "", 0);
    wire_expect_close(fd, 0, true);
    close(fd);
    /* a 1-byte body is malformed */
    refused_with(port, 1002, true, 0, 8, "\x03", 1, true);
    /* a reason that is not UTF-8 */
    refused_with(port, 1007, true, 0, 8, "\x03\xe8\xff", 3, true);
    /* the longest reason a close frame holds: 123 bytes */
    fd = wire_open(port, "/");
    char reason[124];
    memset(reason, 'r', 123);
    reason[123] = '\0';
    uint8_t body[126];
    wire_client_send(fd, 8, body, wire_close_body(body, 1000, reason));
    wire_expect_close(fd, 1000, true);
    close(fd);
    still_serving(port);
}

/* Nothing after the close frame is answered; a message sent after it is
 * not echoed. */
static void close_then_data(void)
{
    int port = start();
    int fd = wire_open(port, "/");
    uint8_t body[8];
    size_t len = wire_close_body(body, 1000, "");
    wire_client_send(fd, 1, "before", 6);
    wire_client_send(fd, 8, body, len);
    wire_client_send(fd, 1, "after", 5);
    wire_expect_message(fd, 1, "before", 6);
    wire_expect_close(fd, 1000, false);
    /* Then the end of the connection, and nothing before it.  The server
     * may not have read "after" when it closed, and a close with unread
     * bytes is a reset: either ending is right, a frame is not. */
    tk_recv_eof(fd, WIRE_TIMEOUT);
    close(fd);
}

/* A peer that vanishes mid-frame, or resets, costs nobody else anything. */
static void vanishing_peers(void)
{
    int port = start();
    for (int i = 0; i < 20; i++) {
        int fd = wire_open(port, "/");
        static const uint8_t half[] = {0x82, 0xfe, 0x10, 0x00, 1, 2, 3, 4, 'x'};
        tk_send(fd, half, sizeof half, WIRE_TIMEOUT);
        if (i % 2)
            tk_reset(fd);
        else
            close(fd);
    }
    still_serving(port);
    TK_ASSERT(tk_still_running(server, 0), "the server died");
}

/* ---- the opening handshake (§4) ---------------------------------------------------------------- */

static void handshake_errors(void)
{
    int port = start();
    static const struct {
        const char *request;
        const char *status;
    } cases[] = {
        {"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
         "HTTP/1.1 426 "},
        {"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Version: 13\r\n\r\n",
         "HTTP/1.1 400 "},
        {"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: close\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
         "HTTP/1.1 400 "},
        {"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: AAAA\r\nSec-WebSocket-Version: 13\r\n\r\n",
         "HTTP/1.1 400 "},
        {"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 2\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\nab",
         "HTTP/1.1 400 "},
        {"GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", "HTTP/1.1 400 "},  /* no Host */
        {"GARBAGE\r\n\r\n", "HTTP/1.1 400 "},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int fd;
        const char *answer = wire_request(port, cases[i].request, &fd);
        TK_ASSERT(strncmp(answer, cases[i].status, strlen(cases[i].status)) == 0,
                  "case %zu: expected %s, got %.40s", i, cases[i].status, answer);
        if (strstr(cases[i].status, "426"))
            TK_ASSERT(strstr(answer, "\r\nSec-WebSocket-Version: 13\r\n"),
                      "426 without Sec-WebSocket-Version: %s", answer);
        close(fd);
    }
    still_serving(port);
}

/* ---- the chat room and the page ------------------------------------------------------------------- */

static void chat(void)
{
    int port = start();
    int a = wire_open(port, "/chat");
    int b = wire_open(port, "/chat?room=ignored");
    int echo = wire_open(port, "/other");
    tk_sleep_ms(100);
    wire_client_send(a, 1, "hello from a", 12);
    wire_expect_message(a, 1, "hello from a", 12);
    wire_expect_message(b, 1, "hello from a", 12);
    wire_client_send(b, 1, "hi a", 4);
    wire_expect_message(a, 1, "hi a", 4);
    wire_expect_message(b, 1, "hi a", 4);
    /* the echo session is not in the room */
    TK_ASSERT(!tk_readable(echo, 200), "the echo session got a chat message");
    /* b leaves; a goes on alone */
    close(b);
    tk_sleep_ms(100);
    wire_client_send(a, 1, "alone", 5);
    wire_expect_message(a, 1, "alone", 5);
    /* binary is not for the chat */
    wire_client_send(a, 2, "bin", 3);
    wire_expect_close(a, 1003, false);
    close(a);
    close(echo);
}

/* A member that never reads is dropped, and the room goes on. */
static void chat_slow_reader(void)
{
    int port = start();
    int slow = wire_open(port, "/chat");
    int setsize = 4096;
    setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &setsize, sizeof setsize);
    int a = wire_open(port, "/chat");
    char *line = tk_alloc(16384);
    memset(line, 'x', 16384);
    for (int i = 0; i < 400; i++) { /* 6.4 MiB through the room */
        wire_client_send(a, 1, line, 16384);
        wire_expect_message(a, 1, line, 16384);
    }
    free(line);
    still_serving(port);
    close(slow);
    close(a);
}

static void page(void)
{
    int port = start();
    int fd;
    const char *answer = wire_request(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", &fd);
    TK_ASSERT(strncmp(answer, "HTTP/1.1 200 ", 13) == 0, "GET /: %.40s", answer);
    TK_ASSERT(strstr(answer, "Content-Type: text/html"), "not HTML: %s", answer);
    close(fd);
    answer = wire_request(port, "GET /no-such-file HTTP/1.1\r\nHost: x\r\n\r\n", &fd);
    TK_ASSERT(strncmp(answer, "HTTP/1.1 404 ", 13) == 0, "missing file: %.40s", answer);
    close(fd);
    answer = wire_request(port, "DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", &fd);
    TK_ASSERT(strncmp(answer, "HTTP/1.1 405 ", 13) == 0, "DELETE: %.40s", answer);
    close(fd);
}

/* Nothing outside the root, however the path is spelt. */
static void page_traversal(void)
{
    const char *dir = tk_tmpdir();
    char root[512], secret[512], link[512], page_path[512];
    snprintf(root, sizeof root, "%s/root", dir);
    snprintf(secret, sizeof secret, "%s/secret.txt", dir);
    snprintf(link, sizeof link, "%s/root/link.txt", dir);
    snprintf(page_path, sizeof page_path, "%s/root/hello.txt", dir);
    TK_ASSERT(mkdir(root, 0700) == 0, "mkdir");
    FILE *f = fopen(secret, "w");
    fputs("secret\n", f);
    fclose(f);
    f = fopen(page_path, "w");
    fputs("hello\n", f);
    fclose(f);
    TK_ASSERT(symlink(secret, link) == 0, "symlink");
    server = tk_start_server(tk_program("ws-server"), "--root", root, "0", NULL);
    int fd;
    const char *answer = wire_request(server->port, "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", &fd);
    TK_ASSERT(strncmp(answer, "HTTP/1.1 200 ", 13) == 0, "hello.txt: %.40s", answer);
    char body[7];
    TK_ASSERT_INT_EQ(tk_recv(fd, body, 6, WIRE_TIMEOUT), 6, "body");
    TK_ASSERT_BYTES_EQ(body, 6, "hello\n", 6, "file body");
    close(fd);
    static const char *const attempts[] = {"/../secret.txt", "/%2e%2e/secret.txt",
                                           "/link.txt", "/./../secret.txt", "//../secret.txt"};
    for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
        char request[256];
        snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", attempts[i]);
        answer = wire_request(server->port, request, &fd);
        TK_ASSERT(strncmp(answer, "HTTP/1.1 40", 11) == 0, "%s: %.40s", attempts[i], answer);
        close(fd);
    }
}

/* A client that sends and never reads: the server stops reading from it
 * rather than holding its echoes, so its memory stays bounded. */
static long server_rss_kib(void)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)server->pid);
    FILE *f = fopen(path, "r");
    TK_ASSERT(f != NULL, "cannot read %s", path);
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

static void never_reading_peer(void)
{
    int port = start();
    int fd = wire_open(port, "/");
    int size = 8192;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    char *data = tk_alloc(65536);
    memset(data, 'z', 65536);
    long before = server_rss_kib();
    /* Send until the server stops taking (its reads paused), at most 256 MiB. */
    size_t sent = 0;
    for (int i = 0; i < 4096; i++) {
        uint8_t header[] = {0x82, 0xfe, 0x00, 0x00, 0, 0, 0, 0};
        header[2] = 0xff;
        header[3] = 0xf0; /* 65520 bytes, key zero */
        struct timeval tv = {0, 300000};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (send(fd, header, sizeof header, MSG_NOSIGNAL) != (ssize_t)sizeof header)
            break;
        ssize_t n = send(fd, data, 65520, MSG_NOSIGNAL);
        if (n != 65520)
            break;
        sent += 65528;
    }
    long after = server_rss_kib();
    TK_ASSERT(sent < 128u * 1024 * 1024, "the server took %zu bytes without pausing", sent);
    TK_ASSERT(after - before < 32 * 1024, "the server grew by %ld KiB (sent %zu bytes)",
              after - before, sent);
    still_serving(port);
    free(data);
    close(fd);
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"server.usage", usage},
        {"server.signals", signals},
        {"server.echo-sizes", echo_sizes},
        {"server.frames-unmasked-minimal", server_frames},
        {"server.split-at-every-byte", split_at_every_byte},
        {"server.glued-frames", glued},
        {"server.pings", pings},
        {"server.ping-too-long", ping_too_long},
        {"server.reserved-bits", reserved_bits},
        {"server.reserved-opcodes", reserved_opcodes},
        {"server.unmasked-frame", unmasked_frame},
        {"server.non-minimal-length", non_minimal_length},
        {"server.fragments", fragments},
        {"server.fragment-errors", fragment_errors},
        {"server.utf8-valid", utf8_valid},
        {"server.utf8-invalid", utf8_invalid},
        {"server.utf8-fail-fast", utf8_fail_fast},
        {"server.limit-message", limit_message},
        {"server.limit-default-16mib", limit_default_16mib},
        {"server.close-codes", close_codes},
        {"server.close-bodies", close_bodies},
        {"server.close-then-data", close_then_data},
        {"server.vanishing-peers", vanishing_peers},
        {"server.handshake-errors", handshake_errors},
        {"server.chat", chat},
        {"server.chat-slow-reader", chat_slow_reader},
        {"server.page", page},
        {"server.page-traversal", page_traversal},
        {"server.never-reading-peer", never_reading_peer},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}

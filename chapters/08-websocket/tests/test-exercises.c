/* test-exercises - the graded tests of chapter 08's exercises, black-box:
 * frame-header and utf8-check are run and their output read; ws-keepalive
 * is talked to over a socket, byte by byte.
 */
#include "testkit.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- exercise 1: frame-header --------------------------------------------------------- */

/* Runs frame-header with up to five arguments (NULL after the last). */
static void header_is(const char *expected, const char *a, const char *b, const char *c,
                      const char *d, const char *e)
{
    struct tk_proc *p = tk_run(NULL, 0, 5000, tk_program("frame-header"), a, b, c, d, e, NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "exit status");
    char want[128];
    snprintf(want, sizeof want, "%s\n", expected);
    TK_ASSERT_BYTES_EQ(p->out_text, p->out_len, want, strlen(want), "header bytes");
}

static void header_short(void)
{
    /* RFC 6455 §5.7: "Hello" unmasked, and a ping */
    header_is("81 05", "1", "5", NULL, NULL, NULL);
    header_is("89 05", "9", "5", NULL, NULL, NULL);
    header_is("82 00", "2", "0", NULL, NULL, NULL);
    header_is("81 7d", "1", "125", NULL, NULL, NULL);
}

static void header_16bit(void)
{
    header_is("82 7e 00 7e", "2", "126", NULL, NULL, NULL);
    header_is("82 7e 01 00", "2", "256", NULL, NULL, NULL); /* §5.7 */
    header_is("82 7e ff ff", "2", "65535", NULL, NULL, NULL);
}

static void header_64bit(void)
{
    header_is("82 7f 00 00 00 00 00 01 00 00", "2", "65536", NULL, NULL, NULL); /* §5.7 */
    header_is("82 7f 00 00 00 01 00 00 00 00", "2", "4294967296", NULL, NULL, NULL);
    header_is("82 7f 7f ff ff ff ff ff ff ff", "2", "9223372036854775807", NULL, NULL, NULL);
}

static void header_mask_and_fin(void)
{
    header_is("81 85 37 fa 21 3d", "--mask", "37fa213d", "1", "5", NULL); /* §5.7 */
    header_is("01 03", "--more", "1", "3", NULL, NULL);                    /* §5.7: "Hel" */
    header_is("00 fe 01 00 01 02 03 04", "--more", "--mask", "01020304", "0", "256");
}

/* ---- exercise 2: utf8-check ------------------------------------------------------------ */

static void utf8_is(const char *bytes, size_t len, const char *expected)
{
    static const char *const pieces[] = {"1", "2", "3", "7", "4096"};
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        struct tk_proc *p = tk_run(bytes, len, 5000, tk_program("utf8-check"), pieces[i], NULL);
        char want[64];
        snprintf(want, sizeof want, "%s\n", expected);
        TK_ASSERT_BYTES_EQ(p->out_text, p->out_len, want, strlen(want), pieces[i]);
        TK_ASSERT_INT_EQ(tk_exit_code(p), strcmp(expected, "valid") == 0 ? 0 : 1, "exit status");
    }
}

#define UTF8_IS(literal, expected) utf8_is(literal, sizeof literal - 1, expected)

static void utf8_basics(void)
{
    UTF8_IS("plain ASCII", "valid");
    UTF8_IS("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", "valid");
    UTF8_IS("\xf0\x9f\x98\x80 and \xf4\x8f\xbf\xbf", "valid");
    UTF8_IS("stray \x80 byte", "invalid at byte 6");
    UTF8_IS("\xff", "invalid at byte 0");
    UTF8_IS("cut \xe2\x82", "incomplete");
}

static void utf8_overlong(void)
{
    UTF8_IS("\xc0\xaf", "invalid at byte 0");
    UTF8_IS("\xc1\xbf", "invalid at byte 0");
    UTF8_IS("ab\xe0\x80\xaf", "invalid at byte 3");
    UTF8_IS("\xf0\x8f\xbf\xbf", "invalid at byte 1");
    UTF8_IS("\xe0\xa0\x80", "valid"); /* U+0800, the first 3-byte one */
}

static void utf8_surrogates_and_range(void)
{
    UTF8_IS("\xed\xa0\x80", "invalid at byte 1");
    UTF8_IS("x\xed\xbf\xbf", "invalid at byte 2");
    UTF8_IS("\xed\x9f\xbf", "valid");
    UTF8_IS("\xf4\x90\x80\x80", "invalid at byte 1");
    UTF8_IS("\xf5\x80\x80\x80", "invalid at byte 0");
}

static void utf8_fail_fast(void)
{
    /* a continuation missing: the next byte is the bad one, whatever follows */
    UTF8_IS("\xc3(abc", "invalid at byte 1");
    UTF8_IS("\xe2\x82(", "invalid at byte 2");
    UTF8_IS("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80" "edited", "invalid at byte 12");
}

/* ---- exercise 3: ws-keepalive ------------------------------------------------------------ */

static struct tk_proc *keepalive(const char *interval, const char *timeout)
{
    return tk_start_server(tk_program("ws-keepalive"), "--interval", interval, "--timeout",
                           timeout, "0", NULL);
}

/* Receives the next frame, answering nothing; fails unless it is a ping. */
static struct wire_frame next_ping(int fd, int timeout_ms)
{
    struct wire_frame f;
    TK_ASSERT(wire_recv(fd, &f, timeout_ms), "the connection ended instead of a ping");
    TK_ASSERT(f.opcode == 9, "expected a ping, got opcode %u", f.opcode);
    return f;
}

static void keepalive_pings(void)
{
    struct tk_proc *server = keepalive("200", "1000");
    int fd = wire_open(server->port, "/");
    long long start = tk_now_ms();
    for (int i = 0; i < 3; i++) {
        struct wire_frame f = next_ping(fd, 2000);
        wire_client_send(fd, 10, f.data, (size_t)f.len);
        free(f.data);
    }
    long long elapsed = tk_now_ms() - start;
    TK_ASSERT(elapsed >= 500 && elapsed < 1500, "3 pings at 200 ms took %lld ms", elapsed);
    /* the echo still works between pings */
    wire_client_send(fd, 1, "echo", 4);
    struct wire_frame f;
    do {
        TK_ASSERT(wire_recv(fd, &f, 2000), "no echo");
        if (f.opcode == 9)
            wire_client_send(fd, 10, f.data, (size_t)f.len);
        free(f.data);
    } while (f.opcode == 9);
    TK_ASSERT(f.opcode == 1, "expected the echo, got opcode %u", f.opcode);
    close(fd);
}

static void keepalive_answered_stays(void)
{
    struct tk_proc *server = keepalive("100", "300");
    int fd = wire_open(server->port, "/");
    long long start = tk_now_ms();
    while (tk_now_ms() - start < 1500) { /* five timeouts long */
        struct wire_frame f = next_ping(fd, 1000);
        wire_client_send(fd, 10, f.data, (size_t)f.len);
        free(f.data);
    }
    close(fd);
}

static void keepalive_silent_dropped(void)
{
    struct tk_proc *server = keepalive("100", "300");
    int fd = wire_open(server->port, "/");
    int bystander = wire_open(server->port, "/");
    struct wire_frame f = next_ping(fd, 1000);
    free(f.data);
    long long pinged = tk_now_ms();
    /* No pong: the server must drop us, not before the timeout, while the
     * bystander, who answers every ping, stays. */
    for (;;) {
        TK_ASSERT(tk_now_ms() - pinged < 3000, "still connected 3 s after an unanswered ping");
        if (tk_readable(bystander, 0)) {
            f = next_ping(bystander, 1000);
            wire_client_send(bystander, 10, f.data, (size_t)f.len);
            free(f.data);
        }
        if (tk_readable(fd, 10)) {
            char c;
            TK_ASSERT(recv(fd, &c, 1, 0) <= 0, "a frame after the unanswered ping");
            break;
        }
    }
    long long waited = tk_now_ms() - pinged;
    TK_ASSERT(waited >= 250, "dropped after only %lld ms", waited);
    wire_client_send(bystander, 1, "alive", 5);
    do {
        TK_ASSERT(wire_recv(bystander, &f, 2000), "the bystander was dropped");
        if (f.opcode == 9)
            wire_client_send(bystander, 10, f.data, (size_t)f.len);
        free(f.data);
    } while (f.opcode == 9);
    close(fd);
    close(bystander);
}

static void keepalive_wrong_pong(void)
{
    struct tk_proc *server = keepalive("100", "300");
    int fd = wire_open(server->port, "/");
    struct wire_frame f = next_ping(fd, 1000);
    free(f.data);
    /* a pong, but not for that ping (§5.5.3: unsolicited pongs carry no
     * promise): it must not keep us alive */
    wire_client_send(fd, 10, "not it", 6);
    char c;
    size_t got;
    do {
        TK_ASSERT(tk_readable(fd, 3000), "a wrong pong kept the connection alive");
        got = recv(fd, &c, 1, 0) > 0;
    } while (got);
    close(fd);
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"ex1.header-short", header_short},
        {"ex1.header-16bit", header_16bit},
        {"ex1.header-64bit", header_64bit},
        {"ex1.header-mask-and-fin", header_mask_and_fin},
        {"ex2.utf8-basics", utf8_basics},
        {"ex2.utf8-overlong", utf8_overlong},
        {"ex2.utf8-surrogates-and-range", utf8_surrogates_and_range},
        {"ex2.utf8-fail-fast", utf8_fail_fast},
        {"ex3.keepalive-pings", keepalive_pings},
        {"ex3.keepalive-answered-stays", keepalive_answered_stays},
        {"ex3.keepalive-silent-dropped", keepalive_silent_dropped},
        {"ex3.keepalive-wrong-pong", keepalive_wrong_pong},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}

/* Graded tests of chapter 03's exercises: chat-server (1), echo-idle (2),
 * slow-upper (3).  Each judges the program from outside, over sockets. */
#include "helpers.h"
#include "testkit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 10000

/* Receives exactly the text expected, or fails. */
static void expect_text(int fd, const char *expected, int timeout_ms, const char *what)
{
    size_t len = strlen(expected);
    char *got = tk_alloc(len + 1);
    bool ended;
    size_t n = recv_until_end(fd, got, len, timeout_ms, &ended);
    TK_ASSERT(n == len || ended, "%s: timed out after %d ms with %zu of the %zu bytes "
              "expected", what, timeout_ms, n, len);
    TK_ASSERT_BYTES_EQ(got, n, expected, len, what);
    free(got);
}

static void expect_nothing(int fd, int ms, const char *what)
{
    if (!tk_readable(fd, ms))
        return;
    char buf[64];
    ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
    buf[n > 0 ? n : 0] = '\0';
    TK_FAIL("%s: expected nothing yet, got %zd bytes \"%s\"", what, n, buf);
}

/* Waits for the server to close: EOF or reset, after any bytes. */
static void expect_end(int fd, int timeout_ms, const char *what)
{
    char buf[4096];
    long long deadline = tk_now_ms() + timeout_ms;
    for (;;) {
        bool ended;
        long long left = deadline - tk_now_ms();
        TK_ASSERT(left > 0, "%s: the connection did not end", what);
        recv_until_end(fd, buf, sizeof buf, (int)left, &ended);
        if (ended)
            return;
    }
}

/* ---- exercise 1: chat-server ---------------------------------------------------- */

static struct tk_proc *start_chat(void)
{
    return tk_start_server(tk_program("chat-server"), "127.0.0.1", "0", NULL);
}

/* Joins the room: count connections, one after the other.  Each newcomer
 * says "joined", and everyone already there must hear it before the next
 * one comes: then the server has taken every member, which no pause can
 * promise on a busy machine (a line sent too early would miss someone). */
static void join(int port, int *fds, int count)
{
    for (int i = 0; i < count; i++) {
        fds[i] = tk_connect("127.0.0.1", port);
        if (i == 0)
            continue;
        tk_send(fds[i], "joined\n", 7, WAIT_MS);
        for (int j = 0; j < i; j++)
            expect_text(fds[j], "joined\n", WAIT_MS, "what a member got as another joined");
    }
}

static void broadcast(void)
{
    struct tk_proc *server = start_chat();
    int fd[3];
    join(server->port, fd, 3);
    tk_send(fd[0], "hello, room\n", 12, WAIT_MS);
    expect_text(fd[1], "hello, room\n", WAIT_MS, "what the second member got");
    expect_text(fd[2], "hello, room\n", WAIT_MS, "what the third member got");
    expect_nothing(fd[0], 300, "the sender must not get its own line back");
    tk_send(fd[2], "and back\n", 9, WAIT_MS);
    expect_text(fd[0], "and back\n", WAIT_MS, "what the first member got");
    expect_text(fd[1], "and back\n", WAIT_MS, "what the second member got");
    for (int i = 0; i < 3; i++)
        close(fd[i]);
}

/* Pieces of lines, down to single bytes, and two lines in one send. */
static void partial_lines(void)
{
    struct tk_proc *server = start_chat();
    int fd[2];
    join(server->port, fd, 2);
    tk_send(fd[0], "hel", 3, WAIT_MS);
    expect_nothing(fd[1], 300, "half a line must wait for its newline");
    const char *rest = "lo\nworld\nsecond ";
    for (const char *p = rest; *p != '\0'; p++) {
        tk_send(fd[0], p, 1, WAIT_MS);
        tk_sleep_ms(2);
    }
    expect_text(fd[1], "hello\nworld\n", WAIT_MS, "the lines sent byte by byte");
    expect_nothing(fd[1], 300, "\"second \" has no newline yet");
    tk_send(fd[0], "half\nthird\n", 11, WAIT_MS);
    expect_text(fd[1], "second half\nthird\n", WAIT_MS, "the rest");

    /* An overlong line goes on in pieces of MAX_LINE (4096) bytes; the rest
     * waits for its newline like any other piece of a line. */
    static char long_line[9001], expected[8193];
    memset(long_line, 'y', 9000);
    tk_send(fd[0], long_line, 9000, WAIT_MS);
    memset(expected, 'y', 8192);
    expect_text(fd[1], expected, WAIT_MS, "two pieces of 4096 of an overlong line");
    expect_nothing(fd[1], 300, "the last 808 bytes have no newline yet");
    long_line[808] = '\n';
    long_line[809] = '\0';
    tk_send(fd[0], "\n", 1, WAIT_MS);
    expect_text(fd[1], long_line, WAIT_MS, "the end of the overlong line");
    close(fd[0]);
    close(fd[1]);
}

/* Members who leave, politely or not, are forgotten; the room goes on. */
static void leaving(void)
{
    struct tk_proc *server = start_chat();
    int fd[4];
    join(server->port, fd, 4);
    close(fd[1]);
    tk_reset(fd[2]);
    tk_sleep_ms(100);
    tk_send(fd[0], "who is left?\n", 13, WAIT_MS);
    expect_text(fd[3], "who is left?\n", WAIT_MS, "what the last member got");
    tk_send(fd[3], "me\n", 3, WAIT_MS);
    expect_text(fd[0], "me\n", WAIT_MS, "the answer");
    TK_ASSERT(tk_still_running(server, 0), "the server died");
    close(fd[0]);
    close(fd[3]);
}

/* A member that never reads is let go once its backlog passes 1 MiB; the
 * others get every line. */
static void slow_reader_dropped(void)
{
    struct tk_proc *server = start_chat();
    int fd[3];
    join(server->port, fd, 3);

    char line[1024];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    char got[1024];
    /* 8 MiB of lines; the reader takes each as it comes. */
    for (int i = 0; i < 8192; i++) {
        tk_send(fd[0], line, sizeof line, WAIT_MS);
        TK_ASSERT_BYTES_EQ(got, tk_recv(fd[1], got, sizeof got, WAIT_MS), line, sizeof line,
                           "a line at the member who reads");
    }
    expect_end(fd[2], WAIT_MS, "the member that never reads should be disconnected");
    tk_send(fd[0], "still on\n", 9, WAIT_MS);
    expect_text(fd[1], "still on\n", WAIT_MS, "a line after the slow member left");
    close(fd[0]);
    close(fd[1]);
    close(fd[2]);
}

/* ---- exercise 2: echo-idle ------------------------------------------------------ */

static struct tk_proc *start_idle(const char *ms)
{
    if (ms == NULL)
        return tk_start_server(tk_program("echo-idle"), "127.0.0.1", "0", NULL);
    return tk_start_server(tk_program("echo-idle"), "-t", ms, "127.0.0.1", "0", NULL);
}

/* Expects "idle timeout\n" and the end, no sooner than after min_ms. */
static void expect_idle_close(int fd, long long since, int min_ms, int max_ms)
{
    expect_text(fd, "idle timeout\n", max_ms, "the idle client's last words");
    long long after = tk_now_ms() - since;
    TK_ASSERT(after >= min_ms, "closed after %lld ms of silence, expected at least %d",
              after, min_ms);
    expect_end(fd, WAIT_MS, "after \"idle timeout\"");
}

static void idle_closed(void)
{
    struct tk_proc *server = start_idle("300");
    long long start = tk_now_ms();
    int fd = tk_connect("127.0.0.1", server->port);
    expect_idle_close(fd, start, 250, 5000);
    close(fd);
}

static void activity_resets_timer(void)
{
    struct tk_proc *server = start_idle("400");
    int fd = tk_connect("127.0.0.1", server->port);
    long long quiet = 0;
    for (int i = 0; i < 10; i++) { /* 1.5 s of talk, each pause 150 ms */
        char msg[16];
        int len = snprintf(msg, sizeof msg, "tick %d", i);
        if (i > 0)
            tk_sleep_ms(150);
        quiet = tk_now_ms();
        echo_check(fd, msg, (size_t)len, WAIT_MS);
    }
    expect_idle_close(fd, quiet, 300, 5000);
    close(fd);
}

static void only_idle_closed(void)
{
    struct tk_proc *server = start_idle("500");
    int idle = tk_connect("127.0.0.1", server->port);
    long long start = tk_now_ms();
    int busy = tk_connect("127.0.0.1", server->port);
    while (tk_now_ms() - start < 1200) {
        echo_check(busy, "busy", 4, WAIT_MS);
        tk_sleep_ms(100);
    }
    expect_idle_close(idle, start, 450, 2000);
    echo_check(busy, "still busy", 10, WAIT_MS);
    close(idle);
    close(busy);
}

static void default_timeout(void)
{
    struct tk_proc *server = start_idle(NULL);
    long long start = tk_now_ms();
    int fd = tk_connect("127.0.0.1", server->port);
    expect_idle_close(fd, start, 4500, 9000);
    close(fd);
}

/* ---- exercise 3: slow-upper ----------------------------------------------------- */

static struct tk_proc *start_upper(const char *workers, const char *queue, const char *ms)
{
    return tk_start_server(tk_program("slow-upper"), "-w", workers, "-q", queue, "-d", ms,
                           "127.0.0.1", "0", NULL);
}

/* 8 clients, 2 lines each, sent at once: 4 workers answer them in about
 * a quarter of the time one thread would take, each client's in order. */
static void parallel(void)
{
    struct tk_proc *server = start_upper("4", "16", "400");
    int fd[8];
    for (int i = 0; i < 8; i++)
        fd[i] = tk_connect("127.0.0.1", server->port);
    long long start = tk_now_ms();
    for (int i = 0; i < 8; i++) {
        char lines[64];
        int len = snprintf(lines, sizeof lines, "first of %d\nsecond of %d\n", i, i);
        tk_send(fd[i], lines, (size_t)len, WAIT_MS);
    }
    for (int i = 0; i < 8; i++) {
        char expected[64];
        snprintf(expected, sizeof expected, "FIRST OF %d\nSECOND OF %d\n", i, i);
        expect_text(fd[i], expected, WAIT_MS, "the answers, in order");
    }
    long long took = tk_now_ms() - start;
    /* One thread: 16 x 400 ms = 6.4 s.  Four workers: about 1.6 s. */
    TK_ASSERT(took < 3500, "16 lines of 400 ms took %lld ms with 4 workers: "
              "the work is not done in parallel", took);
    for (int i = 0; i < 8; i++)
        close(fd[i]);
}

/* While the workers are busy, the loop still answers "ping" at once. */
static void loop_not_stalled(void)
{
    struct tk_proc *server = start_upper("2", "16", "1500");
    int slow = tk_connect("127.0.0.1", server->port);
    int quick = tk_connect("127.0.0.1", server->port);
    tk_send(slow, "slow one\n", 9, WAIT_MS);
    tk_sleep_ms(100);
    long long start = tk_now_ms();
    tk_send(quick, "ping\n", 5, WAIT_MS);
    expect_text(quick, "pong\n", WAIT_MS, "the answer to ping");
    long long took = tk_now_ms() - start;
    TK_ASSERT(took < 700, "ping took %lld ms while a worker was busy: the event loop "
              "is stalled by the work", took);
    expect_text(slow, "SLOW ONE\n", WAIT_MS, "the slow answer");
    close(slow);
    close(quick);
}

/* One worker, a queue of one: the third line at once gets "busy". */
static void busy_when_full(void)
{
    struct tk_proc *server = start_upper("1", "1", "1500");
    int fd[3];
    for (int i = 0; i < 3; i++)
        fd[i] = tk_connect("127.0.0.1", server->port);
    tk_send(fd[0], "at work\n", 8, WAIT_MS);
    tk_sleep_ms(200); /* a worker has taken it */
    tk_send(fd[1], "waiting\n", 8, WAIT_MS);
    tk_sleep_ms(100);
    long long start = tk_now_ms();
    tk_send(fd[2], "too many\n", 9, WAIT_MS);
    expect_text(fd[2], "busy\n", WAIT_MS, "the answer when the queue is full");
    long long took = tk_now_ms() - start;
    TK_ASSERT(took < 700, "\"busy\" took %lld ms: it should come at once", took);
    expect_text(fd[0], "AT WORK\n", WAIT_MS, "the first answer");
    expect_text(fd[1], "WAITING\n", WAIT_MS, "the queued answer");
    /* Once the queue has room again, lines are taken. */
    tk_send(fd[2], "now\n", 4, WAIT_MS);
    expect_text(fd[2], "NOW\n", WAIT_MS, "a line once there is room");
    for (int i = 0; i < 3; i++)
        close(fd[i]);
}

/* Clients that vanish while their lines are at work: their answers are
 * dropped, the others come as fast as ever, nothing leaks. */
static void vanished_clients(void)
{
    struct tk_proc *server = start_upper("8", "16", "500");
    int warm = tk_connect("127.0.0.1", server->port);
    expect_text((tk_send(warm, "warm\n", 5, WAIT_MS), warm), "WARM\n", WAIT_MS, "warm-up");
    int base_fds = proc_fd_count(server->pid);

    int gone[4], stay[4];
    for (int i = 0; i < 4; i++) {
        gone[i] = tk_connect("127.0.0.1", server->port);
        stay[i] = tk_connect("127.0.0.1", server->port);
    }
    long long start = tk_now_ms();
    for (int i = 0; i < 4; i++) {
        tk_send(gone[i], "never read\n", 11, WAIT_MS);
        tk_send(stay[i], "read me\n", 8, WAIT_MS);
    }
    tk_sleep_ms(50);
    for (int i = 0; i < 4; i++)
        tk_reset(gone[i]);
    for (int i = 0; i < 4; i++)
        expect_text(stay[i], "READ ME\n", WAIT_MS, "a remaining client's answer");
    long long took = tk_now_ms() - start;
    TK_ASSERT(took < 1800, "8 lines of 500 ms on 8 workers took %lld ms", took);
    for (int i = 0; i < 4; i++)
        close(stay[i]);
    long long deadline = tk_now_ms() + WAIT_MS;
    int now;
    while ((now = proc_fd_count(server->pid)) > base_fds && tk_now_ms() < deadline)
        tk_sleep_ms(20);
    TK_ASSERT(now <= base_fds, "the server has %d descriptors open, %d before", now, base_fds);
    TK_ASSERT(tk_still_running(server, 0), "the server died");
    close(warm);
}

static const struct tk_case cases[] = {
    {"ex1.broadcast", broadcast},
    {"ex1.partial-lines", partial_lines},
    {"ex1.leaving", leaving},
    {"ex1.slow-reader-dropped", slow_reader_dropped},
    {"ex2.idle-closed", idle_closed},
    {"ex2.activity-resets-timer", activity_resets_timer},
    {"ex2.only-idle-closed", only_idle_closed},
    {"ex2.default-timeout", default_timeout},
    {"ex3.parallel", parallel},
    {"ex3.loop-not-stalled", loop_not_stalled},
    {"ex3.busy-when-full", busy_when_full},
    {"ex3.vanished-clients", vanished_clients},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return tk_main(argc, argv, cases);
}

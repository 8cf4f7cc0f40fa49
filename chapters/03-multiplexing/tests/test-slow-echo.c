/* Tests of slow-echo: slow work stalls a single-threaded loop; a worker
 * pool keeps it serving. */
#include "helpers.h"
#include "testkit.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS 10000

static struct tk_proc *start_slow_echo(const char *workers, const char *ms)
{
    return tk_start_server(tk_program("slow-echo"), "-w", workers, "-d", ms, "127.0.0.1", "0",
                           NULL);
}

/* Six clients send a line each at the same moment; returns how long the
 * last answer took, having checked every answer. */
static long long six_at_once(const char *workers, const char *ms)
{
    struct tk_proc *server = start_slow_echo(workers, ms);
    int fd[6];
    for (int i = 0; i < 6; i++)
        fd[i] = tk_connect("127.0.0.1", server->port);
    long long start = tk_now_ms();
    for (int i = 0; i < 6; i++) {
        char line[32];
        int len = snprintf(line, sizeof line, "line %d\n", i);
        tk_send(fd[i], line, (size_t)len, WAIT_MS);
    }
    for (int i = 0; i < 6; i++) {
        char line[32], reply[32];
        int len = snprintf(line, sizeof line, "line %d\n", i);
        TK_ASSERT_BYTES_EQ(reply, tk_recv(fd[i], reply, (size_t)len, WAIT_MS), line,
                           (size_t)len, "the echoed line");
        close(fd[i]);
    }
    return tk_now_ms() - start;
}

/* -w 0: the work runs in the loop, so the answers come one after another. */
static void stalls_without_workers(void)
{
    long long took = six_at_once("0", "300");
    TK_ASSERT(took >= 6 * 300 - 50, "six lines of 300 ms each took only %lld ms on "
              "the loop's own thread", took);
}

static void workers_in_parallel(void)
{
    long long took = six_at_once("6", "300");
    TK_ASSERT(took < 6 * 300 - 300, "six lines of 300 ms on six workers took %lld ms", took);
}

/* One client's lines, many at once, come back in order. */
static void keeps_order(void)
{
    struct tk_proc *server = start_slow_echo("4", "20");
    int fd = tk_connect("127.0.0.1", server->port);
    char lines[20 * 16];
    size_t len = 0;
    for (int i = 0; i < 20; i++)
        len += (size_t)snprintf(lines + len, sizeof lines - len, "number %d\n", i);
    echo_check(fd, lines, len, WAIT_MS);
    close(fd);
}

static void sigterm_with_work_pending(void)
{
    struct tk_proc *server = start_slow_echo("2", "500");
    int fd = tk_connect("127.0.0.1", server->port);
    tk_send(fd, "a\nb\nc\n", 6, WAIT_MS);
    tk_sleep_ms(100);
    int status = tk_stop(server, SIGTERM, WAIT_MS);
    TK_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "expected exit status 0 after SIGTERM, got wait status 0x%x", status);
    close(fd);
}

/* A client that sends its lines and half-closes (chapter 01's shutdown)
 * still gets every answer, then the end of the stream. */
static void check_half_close(const char *workers, const char *ms, const char *lines)
{
    struct tk_proc *server = start_slow_echo(workers, ms);
    int fd = tk_connect("127.0.0.1", server->port);
    size_t len = strlen(lines);
    tk_send(fd, lines, len, WAIT_MS);
    TK_ASSERT(shutdown(fd, SHUT_WR) == 0, "shutdown: %s", strerror(errno));
    char reply[64];
    size_t got = tk_recv(fd, reply, sizeof reply, WAIT_MS);
    TK_ASSERT_BYTES_EQ(reply, got, lines, len, "the answers to lines sent before a half-close");
    TK_ASSERT(tk_recv_eof(fd, WAIT_MS), "a reset instead of the end of the stream");
    close(fd);
}

static void half_close_answered(void)
{
    check_half_close("2", "50", "one\ntwo\nthree\n");
}

/* -w 0 does the work on the loop's thread: the same rule holds. */
static void half_close_answered_without_workers(void)
{
    check_half_close("0", "10", "a\nb\n");
}

static const struct tk_case cases[] = {
    {"slow-echo.half-close-answered", half_close_answered},
    {"slow-echo.half-close-answered-without-workers", half_close_answered_without_workers},
    {"slow-echo.stalls-without-workers", stalls_without_workers},
    {"slow-echo.workers-in-parallel", workers_in_parallel},
    {"slow-echo.keeps-order", keeps_order},
    {"slow-echo.sigterm", sigterm_with_work_pending},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return tk_main(argc, argv, cases);
}

/* Tests of echo-bench: its result line, and that it notices a bad echo. */
#include "testkit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAIT_MS 20000

/* The value of KEY= in the result line, or fails the test. */
static long long value_of(const char *line, const char *key)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "%s=", key);
    for (const char *at = line; (at = strstr(at, pattern)) != NULL; at++)
        if (at == line || at[-1] == ' ')
            return atoll(at + strlen(pattern));
    TK_FAIL("no %s= in the result line \"%s\"", key, line);
}

static struct tk_proc *run_bench(int port, const char *conns, const char *messages,
                                 const char *size)
{
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    return tk_run(NULL, 0, WAIT_MS, tk_program("echo-bench"), "-c", conns, "-n", messages,
                  "-s", size, "127.0.0.1", port_text, NULL);
}

static void counts_everything(void)
{
    struct tk_proc *server = tk_start_server(tk_program("echo-epoll"), "0", NULL);
    struct tk_proc *p = run_bench(server->port, "5", "50", "3000");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "exit status against a good server");
    TK_ASSERT(p->out_text != NULL && strchr(p->out_text, '\n') == p->out_text + p->out_len - 1,
              "expected exactly one line on stdout, got \"%s\"", p->out_text ? p->out_text : "");
    const char *line = p->out_text;
    TK_ASSERT_INT_EQ(value_of(line, "conns"), 5, "conns=");
    TK_ASSERT_INT_EQ(value_of(line, "messages"), 250, "messages=");
    TK_ASSERT_INT_EQ(value_of(line, "bytes"), 250 * 3000, "bytes=");
    TK_ASSERT_INT_EQ(value_of(line, "errors"), 0, "errors=");
    TK_ASSERT(strstr(line, "seconds=") != NULL, "no seconds= in \"%s\"", line);
    TK_ASSERT(value_of(line, "msgs_per_sec") > 0, "msgs_per_sec= should be positive");
    long long p50 = value_of(line, "p50_us"), p99 = value_of(line, "p99_us");
    TK_ASSERT(p50 > 0 && p99 >= p50, "percentiles p50_us=%lld p99_us=%lld", p50, p99);
}

/* Many connections opened at once with nonblocking connect(). */
static void many_connections(void)
{
    struct tk_proc *server = tk_start_server(tk_program("echo-epoll"), "0", NULL);
    struct tk_proc *p = run_bench(server->port, "300", "10", "100");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "exit status with 300 connections");
    TK_ASSERT_INT_EQ(value_of(p->out_text, "messages"), 3000, "messages=");
}

static void detects(const char *mode, const char *what)
{
    struct tk_proc *server = tk_start_server(tk_program("corrupt-echo"), mode, "0", NULL);
    struct tk_proc *p = run_bench(server->port, "1", "3", "4000");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status against a bad server");
    TK_ASSERT(p->out_text != NULL && value_of(p->out_text, "errors") == 1,
              "expected errors=1, got \"%s\"", p->out_text ? p->out_text : "");
    TK_ASSERT(p->err_text != NULL && strstr(p->err_text, what) != NULL,
              "expected \"%s\" on stderr, got \"%s\"", what, p->err_text ? p->err_text : "");
}

static void detects_corrupt_byte(void)
{
    detects("flip", "byte 1000 of message 0");
}

static void detects_early_close(void)
{
    detects("close", "closed the connection");
}

static void refused(void)
{
    int port;
    close(tk_listen("127.0.0.1", &port)); /* a port where nobody listens now */
    struct tk_proc *p = run_bench(port, "3", "10", "10");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status when the connection is refused");
    TK_ASSERT(p->err_text != NULL && strstr(p->err_text, "Connection refused") != NULL,
              "expected \"Connection refused\" on stderr, got \"%s\"",
              p->err_text ? p->err_text : "");
    TK_ASSERT_INT_EQ(value_of(p->out_text, "errors"), 3, "errors=");
}

static void help(void)
{
    tk_assert_help(tk_program("echo-bench"));
}

static void bad_usage(void)
{
    const char *bench = tk_program("echo-bench");
    const char *wrong[][6] = {
        {bench, NULL},
        {bench, "127.0.0.1", NULL},
        {bench, "-c", "0", "127.0.0.1", "7", NULL},
        {bench, "-n", "ten", "127.0.0.1", "7", NULL},
        {bench, "-x", "127.0.0.1", "7", NULL},
    };
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        struct tk_proc *p = tk_startv(wrong[i]);
        tk_wait(p, WAIT_MS);
        tk_assert_usage_error(p);
    }
}

static const struct tk_case cases[] = {
    {"bench.counts", counts_everything},
    {"bench.many-connections", many_connections},
    {"bench.detects-corrupt-byte", detects_corrupt_byte},
    {"bench.detects-early-close", detects_early_close},
    {"bench.refused", refused},
    {"bench.help", help},
    {"bench.bad-usage", bad_usage},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return tk_main(argc, argv, cases);
}

/* Tests of the five servers of chapter 03, each under the same stress.
 *
 * A case is named SERVER.WHAT (fork.crowd, epoll.hog...): the part before
 * the dot picks the program echo-SERVER, so every server faces the same
 * code.  Run as test-servers CASE echo-fork=PATH ... */
#include "helpers.h"
#include "testkit.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS 10000

static char server_program[32]; /* "echo-epoll", from the case name */

static const char *server_path(void)
{
    return tk_program(server_program);
}

static struct tk_proc *start_server(void)
{
    return tk_start_server(server_path(), "127.0.0.1", "0", NULL);
}

static bool is_event_loop(void)
{
    return strcmp(server_program, "echo-select") == 0 ||
           strcmp(server_program, "echo-poll") == 0 ||
           strcmp(server_program, "echo-epoll") == 0;
}

static void assert_exited_with(int status, int code, const char *what)
{
    TK_ASSERT(WIFEXITED(status), "%s: expected exit status %d, was killed by signal %d",
              what, code, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    TK_ASSERT_INT_EQ(WEXITSTATUS(status), code, what);
}

/* Waits until the count of the server's descriptors comes down to want. */
static void wait_for_fd_count(pid_t pid, int want, const char *what)
{
    long long deadline = tk_now_ms() + WAIT_MS;
    int now;
    while ((now = proc_fd_count(pid)) > want && tk_now_ms() < deadline)
        tk_sleep_ms(20);
    TK_ASSERT(now <= want, "%s: the server still has %d descriptors open, expected %d",
              what, now, want);
}

/* Waits until the server has at most max children; returns how many it
 * has, and in *zombies how many of those are zombies. */
static int wait_for_children(pid_t pid, int max, int *zombies)
{
    long long deadline = tk_now_ms() + WAIT_MS;
    int children;
    while ((children = proc_children(pid, zombies)) > max && tk_now_ms() < deadline)
        tk_sleep_ms(20);
    return children;
}

/* Starts the server with a limit of 48 descriptors and opens 80
 * connections to it (into fds), so that it runs out; the first is served. */
static struct tk_proc *start_out_of_descriptors(int fds[80])
{
    /* The server inherits this low limit; the test then takes its own back. */
    set_fd_limit(48);
    struct tk_proc *server = start_server();
    set_fd_limit(1024);
    for (int i = 0; i < 80; i++)
        fds[i] = tk_connect("127.0.0.1", server->port);
    echo_check(fds[0], "first", 5, WAIT_MS);
    return server;
}

/* ---- the interface ---------------------------------------------------------------- */

static void listening_line(void)
{
    struct tk_proc *server = start_server();
    char expected[64];
    snprintf(expected, sizeof expected, "127.0.0.1:%d", server->port);
    TK_ASSERT_STR_EQ(server->address, expected, "the listening address");

    struct tk_proc *by_default = tk_start_server(server_path(), "0", NULL);
    snprintf(expected, sizeof expected, "127.0.0.1:%d", by_default->port);
    TK_ASSERT_STR_EQ(by_default->address, expected, "the default listening address");

    if (tk_have_ipv6_loopback()) {
        struct tk_proc *v6 = tk_start_server(server_path(), "::1", "0", NULL);
        snprintf(expected, sizeof expected, "[::1]:%d", v6->port);
        TK_ASSERT_STR_EQ(v6->address, expected, "the IPv6 listening address");
        int fd = tk_connect("::1", v6->port);
        echo_check(fd, "over IPv6", 9, WAIT_MS);
        close(fd);
    }
}

static void help(void)
{
    tk_assert_help(server_path());
}

static void bad_usage(void)
{
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, server_path(), NULL));
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, server_path(), "127.0.0.1", "0", "x", NULL));
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, server_path(), "-x", NULL));

    /* And a port that cannot be had: one error line, exit 1. */
    int port;
    int holder = tk_listen("127.0.0.1", &port);
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    struct tk_proc *p = tk_run(NULL, 0, WAIT_MS, server_path(), "127.0.0.1", port_text, NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status when the port is taken");
    tk_assert_one_error_line(p, server_program, "Address already in use", NULL);
    close(holder);
}

/* The signal arrives while clients are connected, one of them mid-echo. */
static void stops_on(int signo)
{
    struct tk_proc *server = start_server();
    int port = server->port;
    int idle = tk_connect("127.0.0.1", port);
    int busy = tk_connect("127.0.0.1", port);
    echo_check(busy, "busy", 4, WAIT_MS);
    assert_exited_with(tk_stop(server, signo, WAIT_MS), 0, "exit status after the signal");
    /* The listening socket goes with the server.  echo-fork's children get
     * a copy at fork() and close it first thing, but a child that the
     * scheduler has not run yet still holds it: the port must be refused
     * once they have, within a bound. */
    long long deadline = tk_now_ms() + 3000;
    int fd;
    while ((fd = tk_try_connect("127.0.0.1", port)) >= 0 && tk_now_ms() < deadline) {
        close(fd);
        tk_sleep_ms(20);
    }
    TK_ASSERT(fd < 0, "port %d still accepts connections 3 s after the server exited", port);
    close(idle);
    close(busy);
}

static void sigint_exits_0(void)
{
    stops_on(SIGINT);
}

static void sigterm_exits_0(void)
{
    stops_on(SIGTERM);
}

/* ---- many clients ------------------------------------------------------------------ */

/* 200 clients at once, each echoing 100 messages of up to 2000 bytes. */
static void crowd(void)
{
    struct tk_proc *server = start_server();
    crowd_echo(server->port, 200, 100, 2000, 60000);
    TK_ASSERT(tk_still_running(server, 0), "the server died");
}

/* 1000 connections open at the same time, all echoing. */
static void thousand(void)
{
    set_fd_limit(2200); /* for this test and, inherited, for the server */
    struct tk_proc *server = start_server();
    crowd_echo(server->port, 1000, 5, 300, 90000);
    TK_ASSERT(tk_still_running(server, 0), "the server died");
}

/* A client that connects and sends nothing holds up nobody. */
static void silent_client(void)
{
    struct tk_proc *server = start_server();
    int silent = tk_connect("127.0.0.1", server->port);
    int half = tk_connect("127.0.0.1", server->port);
    /* ... nor one that has started a message and stopped. */
    tk_send(half, "half a mess", 11, WAIT_MS);
    crowd_echo(server->port, 20, 20, 1000, 30000);
    /* Both are still connected and served when they speak. */
    echo_check(silent, "at last", 7, WAIT_MS);
    char rest[11];
    TK_ASSERT_BYTES_EQ(rest, tk_recv(half, rest, sizeof rest, WAIT_MS), "half a mess", 11,
                       "the echo of the half message");
    close(silent);
    close(half);
}

/* A client that sends 8 MiB and never reads: the server cannot send the echo
 * back, must stop reading from it, and go on serving everybody else.  The
 * event-loop servers must not hold that client's bytes in memory either. */
static void hog(void)
{
    struct tk_proc *server = start_server();
    int warm = tk_connect("127.0.0.1", server->port);
    char warm_data[64 * 1024];
    tk_fill_pattern(warm_data, sizeof warm_data, 7);
    echo_check(warm, warm_data, sizeof warm_data, WAIT_MS); /* buffers now exist */
    long base_kib = proc_rss_kib(server->pid);

    int hog_fd = tk_connect("127.0.0.1", server->port);
    int small = 4096; /* a small receive window, so the echo backs up early */
    setsockopt(hog_fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);

    size_t total = 8u << 20, sent = 0;
    char chunk[64 * 1024];
    tk_fill_pattern(chunk, sizeof chunk, 8);
    long peak_kib = base_kib;
    long long last_progress = tk_now_ms();
    /* Push until all is sent or the server has stopped taking it for 1 s,
     * watching the server's memory all along. */
    while (sent < total && tk_now_ms() - last_progress < 1000) {
        ssize_t n = send(hog_fd, chunk, sizeof chunk < total - sent ? sizeof chunk : total - sent,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            sent += (size_t)n;
            last_progress = tk_now_ms();
        } else {
            TK_ASSERT(n < 0 && (errno == EAGAIN || errno == EINTR), "hog send: %s",
                      strerror(errno));
            tk_sleep_ms(5);
        }
        long rss = proc_rss_kib(server->pid);
        if (rss > peak_kib)
            peak_kib = rss;
    }

    /* Everybody else is served while the hog sits there. */
    crowd_echo(server->port, 10, 20, 4000, 30000);
    echo_check(warm, "still here", 10, WAIT_MS);
    long rss = proc_rss_kib(server->pid);
    if (rss > peak_kib)
        peak_kib = rss;
    printf("the hog pushed %zu bytes; the server's memory grew by %ld KiB at most\n", sent,
           peak_kib - base_kib);
    if (is_event_loop())
        TK_ASSERT(peak_kib - base_kib < 2 * 1024,
                  "the server's memory grew by %ld KiB while a client pushed %zu bytes "
                  "without reading: it should stop reading from that client",
                  peak_kib - base_kib, sent);
    close(hog_fd);
    close(warm);
    TK_ASSERT(tk_still_running(server, 0), "the server died");
}

/* Clients that reset mid-stream, with echoes pending: the server keeps
 * serving and closes their descriptors (for echo-fork: their processes go). */
static void resets(void)
{
    struct tk_proc *server = start_server();
    bool forking = strcmp(server_program, "echo-fork") == 0;
    int warm = tk_connect("127.0.0.1", server->port);
    echo_check(warm, "warm", 4, WAIT_MS);
    int base_fds = proc_fd_count(server->pid);

    char data[128 * 1024];
    tk_fill_pattern(data, sizeof data, 9);
    int fds[50];
    for (int i = 0; i < 50; i++) {
        fds[i] = tk_connect("127.0.0.1", server->port);
        int small = 4096;
        setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        if (i % 5 != 0) /* most send a lot first; some nothing at all */
            send(fds[i], data, sizeof data, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    tk_sleep_ms(200);
    for (int i = 0; i < 50; i++)
        tk_reset(fds[i]);

    echo_check(warm, "still serving", 13, WAIT_MS);
    crowd_echo(server->port, 10, 10, 1000, 30000);
    if (forking) {
        int zombies;
        int children = wait_for_children(server->pid, 1, &zombies); /* warm's child */
        TK_ASSERT(children <= 1, "%d child processes (%d zombies) remain after the resets",
                  children, zombies);
    } else {
        wait_for_fd_count(server->pid, base_fds, "after 50 resets");
    }
    close(warm);
    TK_ASSERT(tk_still_running(server, 0), "the server died");
}

/* echo-fork: every child is reaped when its client has gone. */
static void no_zombies(void)
{
    struct tk_proc *server = start_server();
    crowd_echo(server->port, 30, 5, 500, 30000);
    int zombies;
    int children = wait_for_children(server->pid, 0, &zombies);
    TK_ASSERT(children == 0, "%d children left after every client has gone, %d of them "
              "zombies (state Z): the server does not wait() for them", children, zombies);
}

/* ---- limits ----------------------------------------------------------------------- */

/* Runs out of descriptors: the server must neither spin nor stop serving. */
static void emfile(void)
{
    int fds[80];
    struct tk_proc *server = start_out_of_descriptors(fds);
    tk_sleep_ms(300);

    long before = proc_cpu_ms(server->pid);
    tk_sleep_ms(1000);
    long used = proc_cpu_ms(server->pid) - before;
    TK_ASSERT(used < 200, "with its descriptors used up, the server burned %ld ms of CPU "
              "in one second: it spins on accept()", used);

    /* Those it holds are served; once some go, newcomers are served again. */
    echo_check(fds[1], "second", 6, WAIT_MS);
    for (int i = 0; i < 80; i++)
        close(fds[i]);
    long long deadline = tk_now_ms() + WAIT_MS;
    for (;;) {
        int fd = tk_connect("127.0.0.1", server->port);
        char reply[5];
        bool ended;
        tk_send(fd, "again", 5, WAIT_MS);
        size_t got = recv_until_end(fd, reply, 5, WAIT_MS, &ended);
        close(fd);
        if (got == 5) {
            TK_ASSERT_BYTES_EQ(reply, got, "again", 5, "a newcomer's echo");
            break;
        }
        TK_ASSERT(tk_now_ms() < deadline, "nobody is served after the clients have gone");
        tk_sleep_ms(50);
    }
}

/* Once the clients that used up its descriptors have gone, the very first
 * newcomer is served.  A blocking server whose shedding called accept()
 * with its reserve descriptor given up waited there for the next client
 * and closed it at once, though there was room again. */
static void emfile_then_served(void)
{
    int fds[80];
    struct tk_proc *server = start_out_of_descriptors(fds);
    /* Let the server shed what it cannot hold, until its queue is empty. */
    tk_sleep_ms(500);
    for (int i = 0; i < 80; i++)
        close(fds[i]);
    wait_for_fd_count(server->pid, 12, "after every client has gone");

    int fd = tk_connect("127.0.0.1", server->port);
    char reply[5];
    bool ended;
    tk_send(fd, "again", 5, WAIT_MS);
    size_t got = recv_until_end(fd, reply, 5, WAIT_MS, &ended);
    TK_ASSERT(got == 5, "the first client after the others had gone got %zu bytes%s", got,
              ended ? " and the end of the stream: it was shed" : "");
    TK_ASSERT_BYTES_EQ(reply, got, "again", 5, "its echo");
    close(fd);
}

/* echo-select: a descriptor at or above FD_SETSIZE cannot go in an fd_set;
 * such clients are turned away, the others served, and nothing corrupted. */
static void beyond_fd_setsize(void)
{
    enum { CLIENTS = FD_SETSIZE + 100 };
    set_fd_limit(2 * CLIENTS + 100);
    struct tk_proc *server = start_server();
    static int fds[CLIENTS];
    int served = 0, refused = 0;

    for (int i = 0; i < CLIENTS; i++)
        fds[i] = tk_connect("127.0.0.1", server->port);
    for (int i = 0; i < CLIENTS; i++) {
        char msg[32], reply[32];
        bool ended;
        int len = snprintf(msg, sizeof msg, "client %d", i);
        send(fds[i], msg, (size_t)len, MSG_NOSIGNAL);
        size_t got = recv_until_end(fds[i], reply, (size_t)len, WAIT_MS, &ended);
        TK_ASSERT(got == (size_t)len || ended, "client %d: neither an echo nor the end "
                  "came within %d ms", i, WAIT_MS);
        if (ended) {
            TK_ASSERT(got == 0, "client %d got %zu bytes and then the end", i, got);
            refused++;
        } else {
            TK_ASSERT_BYTES_EQ(reply, got, msg, (size_t)len, "the echo");
            served++;
        }
    }
    TK_ASSERT(served >= FD_SETSIZE - 16, "only %d of %d clients were served", served, CLIENTS);
    TK_ASSERT(refused >= CLIENTS - FD_SETSIZE, "only %d clients were turned away; "
              "a descriptor >= FD_SETSIZE (%d) cannot be used with select()",
              refused, FD_SETSIZE);
    /* Those served still are; those gone make room for new ones. */
    echo_check(fds[0], "again", 5, WAIT_MS);
    for (int i = 0; i < CLIENTS; i++)
        close(fds[i]);
    tk_sleep_ms(200);
    crowd_echo(server->port, 20, 5, 500, 30000);
    TK_ASSERT(tk_still_running(server, 0), "the server died");
    TK_ASSERT(server->err_len == 0, "the server wrote on stderr: %s", server->err_text);
}

/* Every server faces the same cases, and a few of its own. */
static const struct tk_case cases[] = {
    {"fork.listening-line", listening_line},
    {"fork.help", help},
    {"fork.bad-usage", bad_usage},
    {"fork.sigint", sigint_exits_0},
    {"fork.sigterm", sigterm_exits_0},
    {"fork.crowd", crowd},
    {"fork.silent-client", silent_client},
    {"fork.hog", hog},
    {"fork.resets", resets},
    {"fork.emfile", emfile},
    {"fork.emfile-then-served", emfile_then_served},
    {"threads.listening-line", listening_line},
    {"threads.help", help},
    {"threads.bad-usage", bad_usage},
    {"threads.sigint", sigint_exits_0},
    {"threads.sigterm", sigterm_exits_0},
    {"threads.crowd", crowd},
    {"threads.silent-client", silent_client},
    {"threads.hog", hog},
    {"threads.resets", resets},
    {"threads.emfile", emfile},
    {"threads.emfile-then-served", emfile_then_served},
    {"select.listening-line", listening_line},
    {"select.help", help},
    {"select.bad-usage", bad_usage},
    {"select.sigint", sigint_exits_0},
    {"select.sigterm", sigterm_exits_0},
    {"select.crowd", crowd},
    {"select.silent-client", silent_client},
    {"select.hog", hog},
    {"select.resets", resets},
    {"select.emfile", emfile},
    {"select.emfile-then-served", emfile_then_served},
    {"poll.listening-line", listening_line},
    {"poll.help", help},
    {"poll.bad-usage", bad_usage},
    {"poll.sigint", sigint_exits_0},
    {"poll.sigterm", sigterm_exits_0},
    {"poll.crowd", crowd},
    {"poll.silent-client", silent_client},
    {"poll.hog", hog},
    {"poll.resets", resets},
    {"poll.emfile", emfile},
    {"poll.emfile-then-served", emfile_then_served},
    {"epoll.listening-line", listening_line},
    {"epoll.help", help},
    {"epoll.bad-usage", bad_usage},
    {"epoll.sigint", sigint_exits_0},
    {"epoll.sigterm", sigterm_exits_0},
    {"epoll.crowd", crowd},
    {"epoll.silent-client", silent_client},
    {"epoll.hog", hog},
    {"epoll.resets", resets},
    {"epoll.emfile", emfile},
    {"epoll.emfile-then-served", emfile_then_served},
    {"fork.no-zombies", no_zombies},
    {"threads.thousand", thousand},
    {"poll.thousand", thousand},
    {"epoll.thousand", thousand},
    {"select.beyond-fd-setsize", beyond_fd_setsize},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    if (argc >= 2) {
        const char *dot = strchr(argv[1], '.');
        if (dot != NULL)
            snprintf(server_program, sizeof server_program, "echo-%.*s",
                     (int)(dot - argv[1]), argv[1]);
    }
    return tk_main(argc, argv, cases);
}

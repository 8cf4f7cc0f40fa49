/* test-net.c - white-box tests of chapter 01's net library (lib/net.h).
 *
 * The cases call the library directly, in the test's own process (and in
 * a child process for the calls that exit).
 */
#define _GNU_SOURCE
#include "net.h"
#include "testkit.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS 5000

static const char *port_string(int port)
{
    static char text[16];
    snprintf(text, sizeof text, "%d", port);
    return text;
}

/* ---- net_connect_timeout ------------------------------------------------------------ */

static void connect_timeout_connects(void)
{
    int port;
    int listener = tk_listen("127.0.0.1", &port);
    char err[NET_ERR_LEN];
    int fd = net_connect_timeout("127.0.0.1", port_string(port), SOCK_STREAM, WAIT_MS, err);
    TK_ASSERT(fd >= 0, "net_connect_timeout: %s", err);
    int flags = fcntl(fd, F_GETFL);
    TK_ASSERT(flags >= 0 && !(flags & O_NONBLOCK), "the socket is left nonblocking");
    int served = tk_accept(listener, WAIT_MS);
    tk_send(fd, "hi", 2, WAIT_MS);
    char got[2];
    TK_ASSERT_BYTES_EQ(got, tk_recv(served, got, 2, WAIT_MS), "hi", 2, "bytes through it");
    close(fd);
    close(served);
    close(listener);
}

static void connect_timeout_refused(void)
{
    int port;
    int holder = tk_refusing_port("127.0.0.1", &port);
    char err[NET_ERR_LEN];
    int fd = net_connect_timeout("127.0.0.1", port_string(port), SOCK_STREAM, WAIT_MS, err);
    TK_ASSERT(fd < 0, "connected to a port nobody listens on");
    TK_ASSERT_INT_EQ(errno, ECONNREFUSED, "errno");
    TK_ASSERT(strstr(err, "connecting to 127.0.0.1:") == err &&
                  strstr(err, ": Connection refused") != NULL,
              "the error text: %s", err);
    close(holder);
}

static void connect_timeout_bad_port(void)
{
    char err[NET_ERR_LEN];
    TK_ASSERT(net_connect_timeout("127.0.0.1", "99999", SOCK_STREAM, WAIT_MS, err) < 0,
              "connected to port 99999");
    TK_ASSERT(strstr(err, "not a port number") != NULL, "the error text: %s", err);
}

static void connect_timeout_times_out(void)
{
    int port;
    int l = tk_unanswering_port("127.0.0.1", &port);
    char err[NET_ERR_LEN];
    long long start = tk_now_ms();
    int fd = net_connect_timeout("127.0.0.1", port_string(port), SOCK_STREAM, 200, err);
    long long took = tk_now_ms() - start;
    TK_ASSERT(fd < 0, "connected to a listener whose queue is full");
    TK_ASSERT_INT_EQ(errno, ETIMEDOUT, "errno");
    TK_ASSERT(strstr(err, "timed out") != NULL, "the error text: %s", err);
    TK_ASSERT(took >= 190 && took < 2000, "a deadline of 200 ms took %lld ms", took);
    close(l);
}

/* ---- net_accept and net_set_nonblocking --------------------------------------------- */

static void set_nonblocking(void)
{
    int sv[2];
    TK_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
    TK_ASSERT_INT_EQ(net_set_nonblocking(sv[0]), 0, "net_set_nonblocking");
    char byte;
    TK_ASSERT(recv(sv[0], &byte, 1, 0) < 0 && errno == EAGAIN,
              "a recv() with nothing to read did not fail with EAGAIN");
    TK_ASSERT(net_set_nonblocking(-1) < 0 && errno == EBADF, "a bad descriptor");
    close(sv[0]);
    close(sv[1]);
}

static void accept_sets_options(void)
{
    int port;
    int listener = tk_listen("127.0.0.1", &port);
    int client = tk_connect("127.0.0.1", port);
    int fd = net_accept(listener, 1);
    TK_ASSERT(fd >= 0, "net_accept: %s", strerror(errno));
    TK_ASSERT(fcntl(fd, F_GETFL) & O_NONBLOCK, "not nonblocking as asked");
    TK_ASSERT_INT_EQ(net_set_nonblocking(listener), 0, "net_set_nonblocking");
    TK_ASSERT(net_accept(listener, 0) < 0 && errno == EAGAIN,
              "an empty nonblocking queue did not give EAGAIN");
    close(fd);
    close(client);
    close(listener);
}

static void lower_fd_limit(int keep)
{
    struct rlimit lim;
    TK_ASSERT(getrlimit(RLIMIT_NOFILE, &lim) == 0, "getrlimit");
    lim.rlim_cur = (rlim_t)keep;
    TK_ASSERT(setrlimit(RLIMIT_NOFILE, &lim) == 0, "setrlimit: %s", strerror(errno));
}

/* Uses up every descriptor below the limit; returns how many it took. */
static int fill_descriptors(int taken[], int max)
{
    int n = 0;
    while (n < max && (taken[n] = open("/dev/null", O_RDONLY)) >= 0)
        n++;
    return n;
}

/* Out of descriptors with a client waiting: it is shed (its connection
 * ends), EMFILE is reported, and once there is room the next is served. */
static void accept_sheds_when_out_of_descriptors(void)
{
    int port;
    int listener = tk_listen("127.0.0.1", &port);
    TK_ASSERT_INT_EQ(net_set_nonblocking(listener), 0, "net_set_nonblocking");
    /* One accept() first, so that the reserve descriptor is open. */
    TK_ASSERT(net_accept(listener, 1) < 0 && errno == EAGAIN, "nothing was waiting yet?");
    int waiting = tk_connect("127.0.0.1", port);
    lower_fd_limit(64);
    int taken[64];
    int n = fill_descriptors(taken, 64);
    TK_ASSERT(net_accept(listener, 1) < 0 && errno == EMFILE, "net_accept did not say EMFILE");
    TK_ASSERT(tk_readable(waiting, WAIT_MS), "the waiting client heard nothing");
    char byte;
    ssize_t got = recv(waiting, &byte, 1, MSG_DONTWAIT);
    TK_ASSERT(got == 0 || (got < 0 && errno == ECONNRESET),
              "the waiting client was not let go (recv gave %zd)", got);
    /* Nobody waiting now: EMFILE again, and nothing shed, nothing blocks. */
    TK_ASSERT(net_accept(listener, 1) < 0, "accepted with no descriptor free");
    for (int i = 0; i < n; i++)
        close(taken[i]);
    int next = tk_connect("127.0.0.1", port);
    tk_sleep_ms(20);
    int fd = net_accept(listener, 1);
    TK_ASSERT(fd >= 0, "with room again, net_accept failed: %s", strerror(errno));
    close(fd);
    close(next);
    close(waiting);
    close(listener);
}

/* ---- the command line and signals --------------------------------------------------- */

/* Runs net_parse_server_args on args in a child, whose stdout and stderr
 * go to files; returns its exit status, or 100 if it did not exit and
 * printed "HOST PORT" instead. */
static int parse_in_child(const char *const args[], char *host_port, size_t cap)
{
    int out[2];
    TK_ASSERT(pipe(out) == 0, "pipe");
    pid_t pid = fork();
    TK_ASSERT(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(out[1], 2);
        int argc = 0;
        while (args[argc] != NULL)
            argc++;
        const char *host, *port;
        net_parse_server_args(argc, (char **)args, "usage: x [HOST] PORT\n", &host, &port);
        printf("%s %s", host, port);
        fflush(stdout);
        _exit(100);
    }
    close(out[1]);
    size_t len = 0;
    ssize_t n;
    while (len + 1 < cap && (n = read(out[0], host_port + len, cap - 1 - len)) > 0)
        len += (size_t)n;
    host_port[len] = '\0';
    close(out[0]);
    int status;
    TK_ASSERT(waitpid(pid, &status, 0) == pid && WIFEXITED(status), "the child");
    return WEXITSTATUS(status);
}

static void parse_server_args(void)
{
    char text[128];
    const char *port_only[] = {"x", "7", NULL};
    TK_ASSERT_INT_EQ(parse_in_child(port_only, text, sizeof text), 100, "x 7");
    TK_ASSERT_STR_EQ(text, "127.0.0.1 7", "the default host");
    const char *both[] = {"x", "::1", "0", NULL};
    TK_ASSERT_INT_EQ(parse_in_child(both, text, sizeof text), 100, "x ::1 0");
    TK_ASSERT_STR_EQ(text, "::1 0", "host and port");
    const char *help[] = {"x", "--help", NULL};
    TK_ASSERT_INT_EQ(parse_in_child(help, text, sizeof text), 0, "x --help");
    TK_ASSERT_STR_EQ(text, "usage: x [HOST] PORT\n", "the usage");
    const char *wrong[][5] = {{"x", NULL}, {"x", "a", "b", "c", NULL}, {"x", "-p", "7", NULL}};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        TK_ASSERT_INT_EQ(parse_in_child(wrong[i], text, sizeof text), 2, "a wrong command line");
        TK_ASSERT_STR_EQ(text, "usage: x [HOST] PORT\n", "the usage");
    }
}

static void ignore_sigpipe(void)
{
    net_ignore_sigpipe();
    int sv[2];
    TK_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
    close(sv[1]);
    /* write(), unlike net_send_all(), has no MSG_NOSIGNAL. */
    TK_ASSERT(write(sv[0], "x", 1) < 0 && errno == EPIPE, "write to a closed peer");
    close(sv[0]);
}

static void now_ms(void)
{
    long long a = net_now_ms();
    tk_sleep_ms(50);
    long long b = net_now_ms();
    TK_ASSERT(b - a >= 45 && b - a < 2000, "50 ms measured as %lld", b - a);
}

static const struct tk_case cases[] = {
    {"net.connect-timeout", connect_timeout_connects},
    {"net.connect-timeout-refused", connect_timeout_refused},
    {"net.connect-timeout-bad-port", connect_timeout_bad_port},
    {"net.connect-timeout-times-out", connect_timeout_times_out},
    {"net.set-nonblocking", set_nonblocking},
    {"net.accept", accept_sets_options},
    {"net.accept-out-of-descriptors", accept_sheds_when_out_of_descriptors},
    {"net.parse-server-args", parse_server_args},
    {"net.ignore-sigpipe", ignore_sigpipe},
    {"net.now-ms", now_ms},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return tk_main(argc, argv, cases);
}

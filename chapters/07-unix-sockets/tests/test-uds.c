/* Tests of chapter 07's programs: the Unix socket echo pair with both kinds
 * of name, stale and live socket files, the length limit of sun_path,
 * permissions, descriptor passing, peer credentials, datagrams and
 * socketpair.  Every path lies in the test's own temporary directory and
 * every abstract name carries the test's process id. */
#define _GNU_SOURCE
#include "testkit.h"
#include "tk-unix.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS 5000

static const char *program(const char *name)
{
    return tk_program(name);
}

/* Runs uds-echo-client and checks that it printed the echo. */
static void check_echo(const char *name, const char *word)
{
    struct tk_proc *c = tk_run(NULL, 0, WAIT_MS, program("uds-echo-client"), name, word,
                               "and", "more", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "uds-echo-client's exit status");
    char expected[256];
    snprintf(expected, sizeof expected, "%s and more\n", word);
    TK_ASSERT_STR_EQ(c->out_text != NULL ? c->out_text : "", expected, "the echo printed");
}

/* Every byte value, a megabyte of them, comes back in order. */
static void check_raw_echo(const char *name)
{
    size_t len = 1 << 20;
    char *data = tk_alloc(len), *reply = tk_alloc(len);
    tk_fill_pattern(data, len, 7);
    int fd = tk_unix_connect(name, SOCK_STREAM);
    size_t got = tk_exchange(fd, data, len, reply, WAIT_MS);
    TK_ASSERT_BYTES_EQ(reply, got, data, len, "1 MiB echoed");
    close(fd);
    free(data);
    free(reply);
}

/* A socket file with nobody behind it: what a crashed server leaves. */
static void make_stale_socket(const char *path)
{
    struct sockaddr_un addr;
    socklen_t len = tk_unix_address(path, &addr);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    TK_ASSERT(fd >= 0 && bind(fd, (struct sockaddr *)&addr, len) == 0,
              "binding %s: %s", path, strerror(errno));
    close(fd); /* the file stays; nobody listens on it any more */
    TK_ASSERT(tk_is_socket_file(path), "%s should be a socket file", path);
}

/* A path of exactly len bytes inside the test's directory. */
static const char *path_of_length(size_t len)
{
    static char path[256];
    const char *dir = tk_tmpdir();
    size_t dir_len = strlen(dir) + 1;
    TK_ASSERT(dir_len + 1 < len && len < sizeof path, "temporary directory %s too long",
              dir);
    snprintf(path, sizeof path, "%s/", dir);
    memset(path + dir_len, 'x', len - dir_len);
    path[len] = '\0';
    return path;
}

static void expect_error(struct tk_proc *p, const char *program_name, const char *fragment)
{
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status");
    tk_assert_one_error_line(p, program_name, fragment, NULL);
}

/* ---- the echo pair ---------------------------------------------------------------- */

static void echo_path(void)
{
    const char *path = tk_unix_path("echo.sock");
    tk_start_unix_server(path, program("uds-echo-server"), path, NULL);
    TK_ASSERT(tk_is_socket_file(path), "the server should make a socket file at %s", path);
    check_echo(path, "over-a-path");
    check_raw_echo(path);
}

static void echo_abstract(void)
{
    const char *name = tk_unix_abstract_name("echo");
    tk_start_unix_server(name, program("uds-echo-server"), name, NULL);
    check_echo(name, "over-an-abstract-name");
    check_raw_echo(name);
    /* An abstract name makes no file: not "@..." in the current directory. */
    TK_ASSERT(access(name, F_OK) != 0, "an abstract name must not create a file %s", name);
}

static void help_and_usage(void)
{
    static const char *const all[] = {"uds-echo-server", "uds-echo-client", "fd-broker",
                                      "fd-fetch", "peercred-server", "peercred-client",
                                      "uds-logd", "uds-logger", "pair-demo", NULL};
    for (int i = 0; all[i] != NULL; i++) {
        tk_assert_help(program(all[i]));
        tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, program(all[i]), NULL));
    }
    const char *wrong[][6] = {
        {"uds-echo-server", "a", "b", NULL},
        {"uds-echo-server", "-x", NULL},
        {"uds-echo-client", "path", NULL},
        {"uds-echo-client", "-t", "0", "path", NULL},
        {"fd-broker", "path", NULL},
        {"fd-fetch", "path", NULL},
        {"peercred-server", "a", "b", NULL},
        {"uds-logd", "-v", NULL},
        {"uds-logger", "path", NULL},
        {"pair-demo", "word", "", NULL},
    };
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        const char *argv[6] = {program(wrong[i][0])};
        for (int j = 1; j < 6 && wrong[i][j - 1] != NULL; j++)
            argv[j] = wrong[i][j];
        struct tk_proc *p = tk_startv(argv);
        tk_wait(p, WAIT_MS);
        tk_assert_usage_error(p);
    }
}

/* 107 bytes and the terminating NUL fill sun_path exactly: that works. */
static void path_107_bytes(void)
{
    const char *path = path_of_length(107);
    tk_start_unix_server(path, program("uds-echo-server"), path, NULL);
    check_echo(path, "longest-path");
}

/* 108 bytes do not fit: refused with one line, and nothing created under a
 * shortened name. */
static void path_108_bytes(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s", path_of_length(108));
    struct tk_proc *p = tk_run(NULL, 0, WAIT_MS, program("uds-echo-server"), path, NULL);
    expect_error(p, "uds-echo-server", "too long");
    TK_ASSERT(strstr(p->err_text, path) != NULL, "the error should name the path: %s",
              p->err_text);
    TK_ASSERT(p->out_len == 0, "nothing on stdout, got \"%s\"", p->out_text);
    path[107] = '\0'; /* what a silent truncation would have created */
    TK_ASSERT(access(path, F_OK) != 0, "a file %s was created", path);
    expect_error(tk_run(NULL, 0, WAIT_MS, program("uds-echo-client"), path_of_length(108),
                        "hi", NULL),
                 "uds-echo-client", "too long");
}

static void abstract_limits(void)
{
    char name[120];
    name[0] = '@';
    snprintf(name + 1, sizeof name - 1, "tk-%d-", (int)getpid());
    memset(name + strlen(name), 'a', 108 - strlen(name));
    name[108] = '\0'; /* "@" and 107 bytes: the most an abstract name holds */
    tk_start_unix_server(name, program("uds-echo-server"), name, NULL);
    check_echo(name, "longest-abstract-name");
    name[108] = 'a';
    name[109] = '\0';
    expect_error(tk_run(NULL, 0, WAIT_MS, program("uds-echo-server"), name, NULL),
                 "uds-echo-server", "too long");
}

static void stale_path_replaced(void)
{
    const char *path = tk_unix_path("stale.sock");
    make_stale_socket(path);
    TK_ASSERT(tk_unix_try_connect(path, SOCK_STREAM) < 0 && errno == ECONNREFUSED,
              "connecting to a stale socket should be refused");
    tk_start_unix_server(path, program("uds-echo-server"), path, NULL);
    check_echo(path, "after-a-crash");
}

/* A second server on the same name fails and the first goes on serving. */
static void live_name_kept(const char *name)
{
    struct tk_proc *first = tk_start_unix_server(name, program("uds-echo-server"), name, NULL);
    struct tk_proc *second = tk_run(NULL, 0, WAIT_MS, program("uds-echo-server"), name, NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(second), 1, "the second server's exit status");
    char expected[256];
    snprintf(expected, sizeof expected, "uds-echo-server: %s: Address already in use\n", name);
    TK_ASSERT_STR_EQ(second->err_text != NULL ? second->err_text : "", expected,
                     "the second server's error line");
    TK_ASSERT(tk_still_running(first, 100), "the first server should still run");
    check_echo(name, "first-server-still-here");
}

static void live_path_kept(void)
{
    const char *path = tk_unix_path("live.sock");
    live_name_kept(path);
    TK_ASSERT(tk_is_socket_file(path), "the live server's socket file is gone");
}

static void live_abstract_kept(void)
{
    live_name_kept(tk_unix_abstract_name("live"));
}

/* A server with a full accept queue is busy, not dead: still not taken. */
static void busy_path_kept(void)
{
    const char *path = tk_unix_path("busy.sock");
    struct sockaddr_un addr;
    socklen_t len = tk_unix_address(path, &addr);
    int busy = socket(AF_UNIX, SOCK_STREAM, 0);
    TK_ASSERT(busy >= 0 && bind(busy, (struct sockaddr *)&addr, len) == 0 &&
                  listen(busy, 0) == 0,
              "listening on %s: %s", path, strerror(errno));
    /* Fill the queue (the test never accepts). */
    for (int i = 0; i < 4; i++) {
        int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (connect(c, (struct sockaddr *)&addr, len) < 0)
            break;
    }
    struct tk_proc *p = tk_run(NULL, 0, WAIT_MS, program("uds-echo-server"), path, NULL);
    expect_error(p, "uds-echo-server", "Address already in use");
    TK_ASSERT(tk_is_socket_file(path), "the busy server's socket file is gone");
    close(busy);
}

static void not_a_socket_kept(void)
{
    const char *path = tk_unix_path("notes.txt");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    TK_ASSERT(fd >= 0 && write(fd, "keep me\n", 8) == 8, "creating %s", path);
    close(fd);
    struct tk_proc *p = tk_run(NULL, 0, WAIT_MS, program("uds-echo-server"), path, NULL);
    expect_error(p, "uds-echo-server", "not a socket");
    struct stat st;
    TK_ASSERT(stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 8,
              "the regular file %s must be left alone", path);
}

static void removes_path_on(int signo)
{
    const char *path = tk_unix_path("bye.sock");
    struct tk_proc *p = tk_start_unix_server(path, program("uds-echo-server"), path, NULL);
    int idle = tk_unix_connect(path, SOCK_STREAM); /* a client still connected */
    int status = tk_stop(p, signo, WAIT_MS);
    TK_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "exit status 0 expected after signal %d", signo);
    TK_ASSERT(access(path, F_OK) != 0, "%s should be removed", path);
    TK_ASSERT(tk_recv_eof(idle, WAIT_MS), "the connected client should see the end");
    close(idle);
}

static void sigterm_removes_path(void)
{
    removes_path_on(SIGTERM);
}

static void sigint_removes_path(void)
{
    removes_path_on(SIGINT);
}

/* The directory decides who may create a socket in it: bind() makes a file.
 * The socket file's own permissions decide who may connect: connect()
 * needs write permission on it. */
static void permission_denied(void)
{
    tk_nobody_uid(); /* skips unless root */
    const char *dir = tk_tmpdir();
    TK_ASSERT(chmod(dir, 0755) == 0, "chmod %s: %s", dir, strerror(errno));
    const char *path = tk_unix_path("root-only.sock");
    struct tk_proc *p = tk_start_as_nobody(program("uds-echo-server"), path, NULL);
    tk_wait(p, WAIT_MS);
    expect_error(p, "uds-echo-server", "Permission denied");
    TK_ASSERT(access(path, F_OK) != 0, "nothing should be created at %s", path);

    /* Root's server; its socket file is rwxr-xr-x (umask 022): nobody may
     * not write to it, so may not connect. */
    umask(022);
    tk_start_unix_server(path, program("uds-echo-server"), path, NULL);
    struct tk_proc *c = tk_start_as_nobody(program("uds-echo-client"), path, "hi", NULL);
    tk_wait(c, WAIT_MS);
    expect_error(c, "uds-echo-client", "Permission denied");
    TK_ASSERT(chmod(path, 0777) == 0, "chmod %s: %s", path, strerror(errno));
    c = tk_start_as_nobody(program("uds-echo-client"), path, "now", "allowed", NULL);
    tk_wait(c, WAIT_MS);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "the client's exit status once allowed");
    TK_ASSERT_STR_EQ(c->out_text != NULL ? c->out_text : "", "now allowed\n", "the echo");
}

static void client_errors(void)
{
    const char *missing = tk_unix_path("nobody-here.sock");
    expect_error(tk_run(NULL, 0, WAIT_MS, program("uds-echo-client"), missing, "hi", NULL),
                 "uds-echo-client", "No such file or directory");
    const char *stale = tk_unix_path("stale.sock");
    make_stale_socket(stale);
    expect_error(tk_run(NULL, 0, WAIT_MS, program("uds-echo-client"), stale, "hi", NULL),
                 "uds-echo-client", "Connection refused");
    expect_error(tk_run(NULL, 0, WAIT_MS, program("uds-echo-client"),
                        tk_unix_abstract_name("absent"), "hi", NULL),
                 "uds-echo-client", "Connection refused");
}

/* A listening socket of the test's own that never accepts; with backlog 0
 * and its queue filled, connect() has to wait. */
static int never_accepting(const char *path, bool fill_queue)
{
    struct sockaddr_un addr;
    socklen_t len = tk_unix_address(path, &addr);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    TK_ASSERT(fd >= 0 && bind(fd, (struct sockaddr *)&addr, len) == 0 &&
                  listen(fd, fill_queue ? 0 : 4) == 0,
              "listening on %s: %s", path, strerror(errno));
    for (int i = 0; fill_queue && i < 8; i++) {
        int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (connect(c, (struct sockaddr *)&addr, len) < 0)
            break; /* EAGAIN: the queue is full */
    }
    return fd;
}

/* Every wait of the client is bounded by -t: the echo that never comes,
 * and the connection to a server whose queue is full. */
static void client_timeouts(void)
{
    const char *silent = tk_unix_path("silent.sock");
    never_accepting(silent, false);
    long long start = tk_now_ms();
    expect_error(tk_run(NULL, 0, WAIT_MS, program("uds-echo-client"), "-t", "300", silent,
                        "anybody?", NULL),
                 "uds-echo-client", "receiving: no progress within 300 ms");
    const char *full = tk_unix_path("full.sock");
    never_accepting(full, true);
    expect_error(tk_run(NULL, 0, WAIT_MS, program("uds-echo-client"), "-t", "300", full,
                        "anybody?", NULL),
                 "uds-echo-client", "connecting to");
    long long took = tk_now_ms() - start;
    TK_ASSERT(took >= 550 && took < 4000, "two 300 ms timeouts took %lld ms", took);
}

/* A client killed in the middle of a large message disturbs nobody. */
static void client_killed_mid_message(void)
{
    const char *path = tk_unix_path("kill.sock");
    struct tk_proc *server = tk_start_unix_server(path, program("uds-echo-server"), path, NULL);
    pid_t child = fork();
    TK_ASSERT(child >= 0, "fork: %s", strerror(errno));
    if (child == 0) {
        /* Sends and never reads, until killed. */
        int fd = tk_unix_connect(path, SOCK_STREAM);
        static char chunk[65536];
        for (;;)
            if (send(fd, chunk, sizeof chunk, MSG_NOSIGNAL) < 0 && errno != EINTR)
                _exit(0);
    }
    tk_sleep_ms(200);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    check_echo(path, "still-serving");
    TK_ASSERT(tk_still_running(server, 100), "the server died with its client");
}

/* Two hundred clients at once, each with its own message in flight. */
static void many_clients(void)
{
    enum { CLIENTS = 200, LEN = 1000 };
    const char *path = tk_unix_path("crowd.sock");
    tk_start_unix_server(path, program("uds-echo-server"), path, NULL);
    static int fds[CLIENTS];
    static char sent[CLIENTS][LEN], got[LEN];
    for (int i = 0; i < CLIENTS; i++) {
        fds[i] = tk_unix_connect(path, SOCK_STREAM);
        tk_fill_pattern(sent[i], LEN, (unsigned)i);
        tk_send(fds[i], sent[i], LEN, WAIT_MS);
    }
    for (int i = 0; i < CLIENTS; i++) {
        size_t n = tk_recv(fds[i], got, LEN, WAIT_MS);
        TK_ASSERT_BYTES_EQ(got, n, sent[i], LEN, "a client's echo");
        close(fds[i]);
    }
}

static void bench_over_unix(void)
{
    const char *name = tk_unix_abstract_name("bench");
    tk_start_unix_server(name, program("uds-echo-server"), name, NULL);
    struct tk_proc *p = tk_run(NULL, 0, 20000, program("echo-bench"), "-c", "50", "-n", "100",
                               "-s", "200", "-u", name, NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "echo-bench's exit status");
    TK_ASSERT(p->out_text != NULL && strstr(p->out_text, "conns=50 messages=5000 ") &&
                  strstr(p->out_text, " errors=0\n"),
              "echo-bench's result line: %s", p->out_text ? p->out_text : "");
}

/* ---- descriptor passing ---------------------------------------------------------- */

/* DIR/secret/secret.txt, readable by root only; returns the directory. */
static const char *make_secret(const char *content)
{
    static char dir[512];
    snprintf(dir, sizeof dir, "%s/secret", tk_tmpdir());
    TK_ASSERT(mkdir(dir, 0700) == 0, "mkdir %s: %s", dir, strerror(errno));
    char file[600];
    snprintf(file, sizeof file, "%s/secret.txt", dir);
    int fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0600);
    TK_ASSERT(fd >= 0, "creating %s: %s", file, strerror(errno));
    TK_ASSERT(write(fd, content, strlen(content)) == (ssize_t)strlen(content), "writing");
    close(fd);
    return dir;
}

static void descriptor_passed(void)
{
    tk_nobody_uid();
    const char *content = "the launch codes are 0000\n";
    const char *dir = make_secret(content);
    TK_ASSERT(chmod(tk_tmpdir(), 0755) == 0, "chmod: %s", strerror(errno));
    char file[600];
    snprintf(file, sizeof file, "%s/secret.txt", dir);

    /* nobody cannot open the file... */
    struct tk_proc *cat = tk_start_as_nobody("/bin/cat", file, NULL);
    tk_wait(cat, WAIT_MS);
    TK_ASSERT(tk_exit_code(cat) != 0 && cat->out_len == 0,
              "nobody should not be able to read %s", file);

    /* ...but reads it through the descriptor the broker passes. */
    const char *path = tk_unix_path("broker.sock");
    struct tk_proc *broker = tk_start_unix_server(path, program("fd-broker"), path, dir, NULL);
    TK_ASSERT(chmod(path, 0777) == 0, "chmod %s: %s", path, strerror(errno));
    struct tk_proc *fetch = tk_start_as_nobody(program("fd-fetch"), path, "secret.txt", NULL);
    tk_wait(fetch, WAIT_MS);
    TK_ASSERT_INT_EQ(tk_exit_code(fetch), 0, "fd-fetch's exit status");
    TK_ASSERT_STR_EQ(fetch->out_text != NULL ? fetch->out_text : "", content,
                     "what fd-fetch printed");

    char expected[128];
    snprintf(expected, sizeof expected, "sent secret.txt to pid %d uid %u", (int)fetch->pid,
             (unsigned)tk_nobody_uid());
    TK_ASSERT_STR_EQ(tk_read_line(broker, WAIT_MS), expected, "the broker's log line");
}

static void broker_refusals(void)
{
    const char *dir = make_secret("x\n");
    const char *path = tk_unix_path("broker.sock");
    tk_start_unix_server(path, program("fd-broker"), path, dir, NULL);
    static const char *const bad[][2] = {
        {"../secret/secret.txt", "not a file name of this directory"},
        {"..", "not a file name of this directory"},
        {"missing.txt", "No such file or directory"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct tk_proc *p = tk_run(NULL, 0, WAIT_MS, program("fd-fetch"), path, bad[i][0], NULL);
        expect_error(p, "fd-fetch", bad[i][1]);
        TK_ASSERT(strstr(p->err_text, bad[i][0]) != NULL, "the error names %s", bad[i][0]);
    }
    struct tk_proc *ok = tk_run(NULL, 0, WAIT_MS, program("fd-fetch"), path, "secret.txt", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(ok), 0, "fetching the real file");
    TK_ASSERT_STR_EQ(ok->out_text != NULL ? ok->out_text : "", "x\n", "the file");
}

/* Sends a raw request and checks the broker's reply line. */
static void expect_broker_reply(const char *path, const char *request, size_t len,
                                bool half_close, const char *reply)
{
    int fd = tk_unix_connect(path, SOCK_STREAM);
    tk_send(fd, request, len, WAIT_MS);
    if (half_close)
        shutdown(fd, SHUT_WR);
    /* Up to the newline only: a broker that closes with part of the request
     * unread makes the kernel report ECONNRESET after the reply. */
    char got[128];
    size_t n = 0;
    while (n < sizeof got && tk_recv(fd, got + n, 1, WAIT_MS) == 1 && got[n++] != '\n')
        continue;
    TK_ASSERT_BYTES_EQ(got, n, reply, strlen(reply), "the broker's reply");
    close(fd);
}

/* Requests no fd-fetch would send: too long, unfinished, empty. */
static void broker_hostile_requests(void)
{
    const char *dir = make_secret("w\n");
    const char *path = tk_unix_path("broker.sock");
    tk_start_unix_server(path, program("fd-broker"), path, dir, NULL);
    char long_name[400];
    memset(long_name, 'n', sizeof long_name);
    expect_broker_reply(path, long_name, sizeof long_name, false, "ERR line too long\n");
    expect_broker_reply(path, "secret.txt", 10, true, "ERR no newline before the end\n");
    expect_broker_reply(path, "\n", 1, false, "ERR not a file name of this directory\n");
    expect_broker_reply(path, ".\n", 2, false, "ERR not a file name of this directory\n");
    struct tk_proc *ok = tk_run(NULL, 0, WAIT_MS, program("fd-fetch"), path, "secret.txt", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(ok), 0, "a good request after the bad ones");
}

/* A client that connects and says nothing is dropped after two seconds. */
static void broker_drops_silent_client(void)
{
    const char *dir = make_secret("y\n");
    const char *path = tk_unix_path("broker.sock");
    struct tk_proc *broker = tk_start_unix_server(path, program("fd-broker"), path, dir, NULL);
    int silent = tk_unix_connect(path, SOCK_STREAM);
    tk_send(silent, "secr", 4, WAIT_MS); /* half a name, then nothing */
    struct tk_proc *ok = tk_run(NULL, 0, WAIT_MS, program("fd-fetch"), path, "secret.txt", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(ok), 0, "the next client is served once the silent one is dropped");
    const char *line = tk_read_line(broker, WAIT_MS);
    TK_ASSERT(strstr(line, "refused secr to") == line && strstr(line, "request timed out"),
              "the broker's log line for the silent client: %s", line);
    close(silent);
}

/* A broker that never answers: fd-fetch gives up after five seconds. */
static void fetch_gives_up(void)
{
    const char *path = tk_unix_path("mute.sock");
    never_accepting(path, false);
    struct tk_proc *p = tk_run(NULL, 0, 9000, program("fd-fetch"), path, "f", NULL);
    expect_error(p, "fd-fetch", "no reply within 5000 ms");
}

/* Plays the broker: accepts fd-fetch's connection, reads its request and
 * answers "OK\n" with fd_count descriptors attached. */
static struct tk_proc *fake_broker_reply(int fd_count)
{
    const char *path = tk_unix_path("fake.sock");
    struct sockaddr_un addr;
    socklen_t len = tk_unix_address(path, &addr);
    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    TK_ASSERT(listener >= 0 && bind(listener, (struct sockaddr *)&addr, len) == 0 &&
                  listen(listener, 4) == 0,
              "listening on %s: %s", path, strerror(errno));
    struct tk_proc *fetch = tk_start(program("fd-fetch"), path, "f", NULL);
    int conn = tk_accept(listener, WAIT_MS);
    char request[2];
    TK_ASSERT(tk_recv(conn, request, 2, WAIT_MS) == 2 && memcmp(request, "f\n", 2) == 0,
              "fd-fetch should send \"f\\n\"");

    int fds[3] = {open("/dev/null", O_RDONLY), open("/dev/null", O_RDONLY),
                  open("/dev/null", O_RDONLY)};
    union {
        char bytes[CMSG_SPACE(sizeof fds)];
        struct cmsghdr align;
    } control;
    struct iovec iov = {.iov_base = "OK\n", .iov_len = 3};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    memset(&control, 0, sizeof control);
    if (fd_count > 0) {
        msg.msg_control = control.bytes;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)fd_count);
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)fd_count);
        memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * (size_t)fd_count);
    }
    TK_ASSERT(sendmsg(conn, &msg, 0) == 3, "sendmsg: %s", strerror(errno));
    tk_wait(fetch, WAIT_MS);
    close(conn);
    close(listener);
    return fetch;
}

/* Three descriptors where one fits: recvmsg() reports MSG_CTRUNC. */
static void truncated_ancillary_data(void)
{
    struct tk_proc *fetch = fake_broker_reply(3);
    expect_error(fetch, "fd-fetch", "MSG_CTRUNC");
    TK_ASSERT(fetch->out_len == 0, "nothing should be printed, got \"%s\"", fetch->out_text);
}

/* Two fit in the padding of CMSG_SPACE(sizeof(int)): no MSG_CTRUNC, but
 * still not what the protocol allows. */
static void two_descriptors(void)
{
    struct tk_proc *fetch = fake_broker_reply(2);
    expect_error(fetch, "fd-fetch", "more than one came");
}

static void reply_without_descriptor(void)
{
    struct tk_proc *fetch = fake_broker_reply(0);
    expect_error(fetch, "fd-fetch", "no descriptor came with the reply");
}

static void broker_sigterm(void)
{
    const char *dir = make_secret("z\n");
    const char *path = tk_unix_path("broker.sock");
    struct tk_proc *broker = tk_start_unix_server(path, program("fd-broker"), path, dir, NULL);
    int status = tk_stop(broker, SIGTERM, WAIT_MS);
    TK_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status 0 after SIGTERM");
    TK_ASSERT(access(path, F_OK) != 0, "%s should be removed", path);
}

/* ---- peer credentials ---------------------------------------------------------- */

static void credentials_of_root(void)
{
    tk_nobody_uid(); /* this case knows the answer only when run as root */
    const char *path = tk_unix_path("cred.sock");
    struct tk_proc *server = tk_start_unix_server(path, program("peercred-server"), path, NULL);
    struct tk_proc *c = tk_start(program("peercred-client"), path, NULL);
    tk_wait(c, WAIT_MS);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "peercred-client's exit status");
    char expected[256];
    snprintf(expected, sizeof expected,
             "pid=%d uid=0 gid=0 user=root access=full\nserver: pid=%d uid=0 gid=0\n",
             (int)c->pid, (int)server->pid);
    TK_ASSERT_STR_EQ(c->out_text != NULL ? c->out_text : "", expected, "the client's output");
}

/* The same server, asked by another user, answers differently, and knows
 * that user's real ids: they come from the kernel, not from the client. */
static void credentials_of_another_user(void)
{
    uid_t nobody = tk_nobody_uid();
    TK_ASSERT(chmod(tk_tmpdir(), 0755) == 0, "chmod: %s", strerror(errno));
    const char *path = tk_unix_path("cred.sock");
    struct tk_proc *server = tk_start_unix_server(path, program("peercred-server"), path, NULL);
    TK_ASSERT(chmod(path, 0777) == 0, "chmod %s: %s", path, strerror(errno));
    struct tk_proc *c = tk_start_as_nobody(program("peercred-client"), path, NULL);
    tk_wait(c, WAIT_MS);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "peercred-client's exit status");
    char expected[128];
    snprintf(expected, sizeof expected, "pid=%d uid=%u ", (int)c->pid, (unsigned)nobody);
    TK_ASSERT(c->out_text != NULL && strncmp(c->out_text, expected, strlen(expected)) == 0,
              "expected a line starting \"%s\", got \"%s\"", expected,
              c->out_text ? c->out_text : "");
    TK_ASSERT(strstr(c->out_text, " user=nobody access=read-only\n") != NULL,
              "nobody should get read-only access: %s", c->out_text);
    const char *logged = tk_read_line(server, WAIT_MS);
    TK_ASSERT(strncmp(logged, expected, strlen(expected)) == 0, "the server's log line: %s",
              logged);
}

/* The test's own connection: the server sees the test's pid. */
static void credentials_of_test(void)
{
    const char *name = tk_unix_abstract_name("cred");
    tk_start_unix_server(name, program("peercred-server"), name, NULL);
    int fd = tk_unix_connect(name, SOCK_STREAM);
    char line[256] = "";
    size_t n = tk_recv(fd, line, sizeof line - 1, WAIT_MS);
    line[n] = '\0';
    char expected[128];
    snprintf(expected, sizeof expected, "pid=%d uid=%u gid=%u ", (int)getpid(),
             (unsigned)getuid(), (unsigned)getgid());
    TK_ASSERT(strncmp(line, expected, strlen(expected)) == 0, "expected \"%s...\", got \"%s\"",
              expected, line);
    TK_ASSERT(strstr(line, " access=full\n") != NULL, "the server's own user: %s", line);
    close(fd);
}

/* ---- datagrams ------------------------------------------------------------------- */

static void send_datagram(int sock, const char *name, const void *data, size_t len)
{
    struct sockaddr_un addr;
    socklen_t alen = tk_unix_address(name, &addr);
    TK_ASSERT(sendto(sock, data, len, 0, (struct sockaddr *)&addr, alen) == (ssize_t)len,
              "sendto %s: %s", name, strerror(errno));
}

static void logd_lines(const char *name)
{
    struct tk_proc *logd = tk_start_unix_server(name, program("uds-logd"), name, NULL);
    struct tk_proc *logger = tk_run(NULL, 0, WAIT_MS, program("uds-logger"), name, "hello",
                                    "from", "uds-logger", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(logger), 0, "uds-logger's exit status");
    TK_ASSERT_STR_EQ(tk_read_line(logd, WAIT_MS), "hello from uds-logger", "the logged line");

    /* Boundaries kept, order kept, none lost; one trailing newline dropped. */
    int sock = socket(AF_UNIX, SOCK_DGRAM, 0);
    TK_ASSERT(sock >= 0, "socket: %s", strerror(errno));
    for (int i = 0; i < 100; i++) {
        char msg[32];
        int n = snprintf(msg, sizeof msg, "message %d%s", i, i % 2 ? "\n" : "");
        send_datagram(sock, name, msg, (size_t)n);
    }
    for (int i = 0; i < 100; i++) {
        char expected[32];
        snprintf(expected, sizeof expected, "message %d", i);
        TK_ASSERT_STR_EQ(tk_read_line(logd, WAIT_MS), expected, "a logged line");
    }
    send_datagram(sock, name, "", 0);
    TK_ASSERT_STR_EQ(tk_read_line(logd, WAIT_MS), "", "an empty datagram's line");
    close(sock);
}

static void logd_path(void)
{
    logd_lines(tk_unix_path("log.sock"));
}

static void logd_abstract(void)
{
    logd_lines(tk_unix_abstract_name("log"));
}

static void logd_cuts_long_messages(void)
{
    const char *path = tk_unix_path("log.sock");
    struct tk_proc *logd = tk_start_unix_server(path, program("uds-logd"), path, NULL);
    char big[3000];
    memset(big, 'b', sizeof big);
    int sock = socket(AF_UNIX, SOCK_DGRAM, 0);
    send_datagram(sock, path, big, sizeof big);
    send_datagram(sock, path, "after", 5);
    const char *line = tk_read_line(logd, WAIT_MS);
    TK_ASSERT_INT_EQ(strlen(line), 2048, "the length of a cut message");
    TK_ASSERT_STR_EQ(tk_read_line(logd, WAIT_MS), "after", "the next message, whole");
    close(sock);
    int status = tk_stop(logd, SIGTERM, WAIT_MS);
    TK_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status 0 after SIGTERM");
    TK_ASSERT(strstr(logd->err_text ? logd->err_text : "", "3000 bytes cut to 2048"),
              "the cut should be reported on stderr");
    TK_ASSERT(access(path, F_OK) != 0, "%s should be removed", path);
}

static void logger_errors(void)
{
    expect_error(tk_run(NULL, 0, WAIT_MS, program("uds-logger"), tk_unix_path("none"), "x", NULL),
                 "uds-logger", "No such file or directory");
    const char *stale = tk_unix_path("stale.sock");
    make_stale_socket(stale);
    expect_error(tk_run(NULL, 0, WAIT_MS, program("uds-logger"), stale, "x", NULL),
                 "uds-logger", "Connection refused");
}

/* ---- socketpair ------------------------------------------------------------------ */

static void pair_words(void)
{
    struct tk_proc *p = tk_run(NULL, 0, WAIT_MS, program("pair-demo"), "hello", "there",
                               "World", "x", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "pair-demo's exit status");
    TK_ASSERT_STR_EQ(p->out_text != NULL ? p->out_text : "",
                     "hello -> HELLO\nthere -> THERE\nWorld -> WORLD\nx -> X\n",
                     "one answer per word: the boundaries kept");
}

static const struct tk_case cases[] = {
    {"echo.path", echo_path},
    {"echo.abstract", echo_abstract},
    {"help-and-usage", help_and_usage},
    {"echo.path-107-bytes", path_107_bytes},
    {"echo.path-108-bytes-refused", path_108_bytes},
    {"echo.abstract-limits", abstract_limits},
    {"echo.stale-path-replaced", stale_path_replaced},
    {"echo.live-path-kept", live_path_kept},
    {"echo.live-abstract-kept", live_abstract_kept},
    {"echo.busy-path-kept", busy_path_kept},
    {"echo.not-a-socket-kept", not_a_socket_kept},
    {"echo.sigterm-removes-path", sigterm_removes_path},
    {"echo.sigint-removes-path", sigint_removes_path},
    {"echo.permission-denied", permission_denied},
    {"echo.client-errors", client_errors},
    {"echo.client-timeouts", client_timeouts},
    {"echo.client-killed-mid-message", client_killed_mid_message},
    {"echo.many-clients", many_clients},
    {"echo.bench-over-unix", bench_over_unix},
    {"fd.passed-to-another-user", descriptor_passed},
    {"fd.refusals", broker_refusals},
    {"fd.hostile-requests", broker_hostile_requests},
    {"fd.fetch-gives-up", fetch_gives_up},
    {"fd.silent-client-dropped", broker_drops_silent_client},
    {"fd.truncated-ancillary-data", truncated_ancillary_data},
    {"fd.two-descriptors", two_descriptors},
    {"fd.reply-without-descriptor", reply_without_descriptor},
    {"fd.sigterm-removes-path", broker_sigterm},
    {"cred.root", credentials_of_root},
    {"cred.another-user", credentials_of_another_user},
    {"cred.test-process", credentials_of_test},
    {"dgram.path", logd_path},
    {"dgram.abstract", logd_abstract},
    {"dgram.long-message-cut", logd_cuts_long_messages},
    {"dgram.logger-errors", logger_errors},
    {"pair.words", pair_words},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return tk_main(argc, argv, cases);
}

/* Graded tests of chapter 07's exercises: cred-logd (1), fd-guard (2) and
 * prefork-echo (3).  Each case checks something the starter code does not
 * do, so that every one fails until the exercise is solved. */
#define _GNU_SOURCE
#include "testkit.h"
#include "tk-unix.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
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

static void send_datagram(int sock, const char *name, const char *text)
{
    struct sockaddr_un addr;
    socklen_t alen = tk_unix_address(name, &addr);
    ssize_t len = (ssize_t)strlen(text);
    TK_ASSERT(sendto(sock, text, (size_t)len, 0, (struct sockaddr *)&addr, alen) == len,
              "sendto %s: %s", name, strerror(errno));
}

static void expect_line(struct tk_proc *p, const char *expected, const char *what)
{
    const char *line = tk_read_line(p, WAIT_MS);
    TK_ASSERT(line != NULL, "%s: the program ended", what);
    TK_ASSERT_STR_EQ(line, expected, what);
}

/* ---- exercise 1: cred-logd ------------------------------------------------------ */

static struct tk_proc *start_logd(const char *name)
{
    return tk_start_unix_server(name, tk_program("cred-logd"), name, NULL);
}

static void logd_own_credentials(void)
{
    const char *path = tk_unix_path("log.sock");
    struct tk_proc *logd = start_logd(path);
    int sock = socket(AF_UNIX, SOCK_DGRAM, 0);
    send_datagram(sock, path, "hello\n");
    char expected[128];
    snprintf(expected, sizeof expected, "pid=%d uid=%u: hello", (int)getpid(),
             (unsigned)getuid());
    expect_line(logd, expected, "the line of the test's own datagram");
    close(sock);
}

/* Datagrams from three child processes, each named by its own pid. */
static void logd_several_senders(void)
{
    const char *name = tk_unix_abstract_name("log");
    struct tk_proc *logd = start_logd(name);
    for (int i = 0; i < 3; i++) {
        pid_t child = fork();
        TK_ASSERT(child >= 0, "fork: %s", strerror(errno));
        if (child == 0) {
            char text[64];
            snprintf(text, sizeof text, "from child %d", i);
            int sock = socket(AF_UNIX, SOCK_DGRAM, 0);
            struct sockaddr_un addr;
            socklen_t alen = tk_unix_address(name, &addr);
            _exit(sendto(sock, text, strlen(text), 0, (struct sockaddr *)&addr, alen) < 0);
        }
        int status;
        waitpid(child, &status, 0);
        TK_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d could not send", i);
        char expected[128];
        snprintf(expected, sizeof expected, "pid=%d uid=%u: from child %d", (int)child,
                 (unsigned)getuid(), i);
        expect_line(logd, expected, "a child's line");
    }
}

/* The uid is the sender's real one: a sender running as nobody. */
static void logd_other_user(void)
{
    uid_t nobody = tk_nobody_uid();
    TK_ASSERT(chmod(tk_tmpdir(), 0755) == 0, "chmod: %s", strerror(errno));
    const char *path = tk_unix_path("log.sock");
    struct tk_proc *logd = start_logd(path);
    TK_ASSERT(chmod(path, 0777) == 0, "chmod %s: %s", path, strerror(errno));
    /* The test forks, and the child becomes nobody and sends. */
    const struct passwd *pw = getpwnam("nobody");
    TK_ASSERT(pw != NULL, "no user nobody");
    gid_t nobody_group = pw->pw_gid;
    pid_t child = fork();
    TK_ASSERT(child >= 0, "fork: %s", strerror(errno));
    if (child == 0) {
        if (setgroups(0, NULL) < 0 || setgid(nobody_group) < 0 || setuid(nobody) < 0)
            _exit(3);
        int sock = socket(AF_UNIX, SOCK_DGRAM, 0);
        struct sockaddr_un addr;
        socklen_t alen = tk_unix_address(path, &addr);
        _exit(sendto(sock, "as nobody", 9, 0, (struct sockaddr *)&addr, alen) < 0);
    }
    int status;
    waitpid(child, &status, 0);
    TK_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child could not send");
    char expected[128];
    snprintf(expected, sizeof expected, "pid=%d uid=%u: as nobody", (int)child,
             (unsigned)nobody);
    expect_line(logd, expected, "nobody's line");
}

/* ---- exercise 2: fd-guard ------------------------------------------------------- */

/* A directory with secret.txt (mode 0600) in the test's directory. */
static const char *make_files(void)
{
    static char dir[512];
    snprintf(dir, sizeof dir, "%s/files", tk_tmpdir());
    TK_ASSERT(mkdir(dir, 0700) == 0, "mkdir %s: %s", dir, strerror(errno));
    char file[600];
    snprintf(file, sizeof file, "%s/secret.txt", dir);
    int fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0600);
    TK_ASSERT(fd >= 0 && write(fd, "for one user only\n", 18) == 18, "writing %s", file);
    close(fd);
    return dir;
}

static struct tk_proc *start_guard(const char *path, uid_t allowed)
{
    char uid[32];
    snprintf(uid, sizeof uid, "%u", (unsigned)allowed);
    return tk_start_unix_server(path, tk_program("fd-guard"), path, make_files(), uid, NULL);
}

static struct tk_proc *fetch(const char *path)
{
    return tk_run(NULL, 0, WAIT_MS, tk_program("fd-fetch"), path, "secret.txt", NULL);
}

static void guard_owner_served(void)
{
    const char *path = tk_unix_path("guard.sock");
    struct tk_proc *guard = start_guard(path, getuid());
    struct tk_proc *p = fetch(path);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "fd-fetch's exit status for the allowed user");
    TK_ASSERT_STR_EQ(p->out_text ? p->out_text : "", "for one user only\n", "the file");
    char expected[64];
    snprintf(expected, sizeof expected, "sent secret.txt to uid %u", (unsigned)getuid());
    expect_line(guard, expected, "the log line");
}

static void guard_others_refused(void)
{
    const char *path = tk_unix_path("guard.sock");
    uid_t other = getuid() + 4242;
    struct tk_proc *guard = start_guard(path, other);
    struct tk_proc *p = fetch(path);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "fd-fetch's exit status for another user");
    TK_ASSERT_STR_EQ(p->err_text ? p->err_text : "",
                     "fd-fetch: secret.txt: permission denied\n", "fd-fetch's error");
    char expected[80];
    snprintf(expected, sizeof expected, "refused secret.txt to uid %u: permission denied",
             (unsigned)getuid());
    expect_line(guard, expected, "the log line");
}

/* Run as nobody, the allowed user, the client reads a file it could not
 * open; the same server refuses root. */
static void guard_other_user_served(void)
{
    uid_t nobody = tk_nobody_uid();
    TK_ASSERT(chmod(tk_tmpdir(), 0755) == 0, "chmod: %s", strerror(errno));
    const char *path = tk_unix_path("guard.sock");
    struct tk_proc *guard = start_guard(path, nobody);
    TK_ASSERT(chmod(path, 0777) == 0, "chmod %s: %s", path, strerror(errno));
    struct tk_proc *p = tk_start_as_nobody(tk_program("fd-fetch"), path, "secret.txt", NULL);
    tk_wait(p, WAIT_MS);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "fd-fetch's exit status as nobody");
    TK_ASSERT_STR_EQ(p->out_text ? p->out_text : "", "for one user only\n", "the file");
    char expected[64];
    snprintf(expected, sizeof expected, "sent secret.txt to uid %u", (unsigned)nobody);
    expect_line(guard, expected, "the log line");
    p = fetch(path);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "root is not the allowed user here");
}

/* ---- exercise 3: prefork-echo --------------------------------------------------- */

/* Reads "worker N pid P serving a connection" and returns P, after checking
 * that P is a child of the server. */
static pid_t worker_line(struct tk_proc *server)
{
    const char *line = tk_read_line(server, WAIT_MS);
    TK_ASSERT(line != NULL, "the server ended");
    int index, pid;
    TK_ASSERT(sscanf(line, "worker %d pid %d serving a connection", &index, &pid) == 2,
              "expected \"worker N pid P serving a connection\", got \"%s\"", line);
    char stat_path[64], stat[512] = "";
    snprintf(stat_path, sizeof stat_path, "/proc/%d/stat", pid);
    FILE *f = fopen(stat_path, "r");
    TK_ASSERT(f != NULL, "no process %d", pid);
    size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = '\0';
    const char *after = strrchr(stat, ')');
    int ppid = 0;
    TK_ASSERT(after != NULL && sscanf(after, ") %*c %d", &ppid) == 1, "reading %s", stat_path);
    TK_ASSERT(pid != server->pid && ppid == server->pid,
              "pid %d should be a worker process started by the server (pid %d), its parent is %d",
              pid, (int)server->pid, ppid);
    return pid;
}

static void echo_on(int fd, const char *text)
{
    char reply[256];
    size_t len = strlen(text);
    tk_send(fd, text, len, WAIT_MS);
    size_t got = tk_recv(fd, reply, len, WAIT_MS);
    TK_ASSERT_BYTES_EQ(reply, got, text, len, "the echo");
}

static void prefork_workers_serve(void)
{
    const char *path = tk_unix_path("prefork.sock");
    struct tk_proc *server =
        tk_start_unix_server(path, tk_program("prefork-echo"), "-w", "3", path, NULL);
    pid_t pids[3];
    int fds[3];
    for (int i = 0; i < 3; i++) {
        fds[i] = tk_unix_connect(path, SOCK_STREAM);
        echo_on(fds[i], "hello worker");
        pids[i] = worker_line(server);
    }
    TK_ASSERT(pids[0] != pids[1] && pids[1] != pids[2] && pids[0] != pids[2],
              "three connections at once should go to three workers (%d %d %d)",
              (int)pids[0], (int)pids[1], (int)pids[2]);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
}

/* A client that never sends holds one worker, not the server. */
static void prefork_silent_client(void)
{
    const char *path = tk_unix_path("prefork.sock");
    struct tk_proc *server =
        tk_start_unix_server(path, tk_program("prefork-echo"), "-w", "2", path, NULL);
    int silent = tk_unix_connect(path, SOCK_STREAM);
    worker_line(server);
    int busy = tk_unix_connect(path, SOCK_STREAM);
    echo_on(busy, "served while another client sleeps");
    worker_line(server);
    size_t len = 1 << 20;
    char *data = tk_alloc(len), *reply = tk_alloc(len);
    tk_fill_pattern(data, len, 3);
    TK_ASSERT_INT_EQ(tk_exchange(busy, data, len, reply, WAIT_MS), len, "bytes echoed");
    TK_ASSERT_BYTES_EQ(reply, len, data, len, "1 MiB echoed by a worker");
    free(data);
    free(reply);
    close(busy);
    close(silent);
}

static void prefork_sigterm(void)
{
    const char *path = tk_unix_path("prefork.sock");
    struct tk_proc *server =
        tk_start_unix_server(path, tk_program("prefork-echo"), "-w", "2", path, NULL);
    int fd = tk_unix_connect(path, SOCK_STREAM);
    echo_on(fd, "x");
    pid_t worker = worker_line(server);
    int status = tk_stop(server, SIGTERM, WAIT_MS);
    TK_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status 0 after SIGTERM");
    TK_ASSERT(access(path, F_OK) != 0, "%s should be removed", path);
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/%d", (int)worker);
    TK_ASSERT(access(proc, F_OK) != 0, "worker %d is still there after the server exited",
              (int)worker);
    TK_ASSERT(tk_recv_eof(fd, WAIT_MS), "the client's connection should end");
    close(fd);
}

static const struct tk_case cases[] = {
    {"ex1.own-credentials", logd_own_credentials},
    {"ex1.several-senders", logd_several_senders},
    {"ex1.other-user", logd_other_user},
    {"ex2.owner-served", guard_owner_served},
    {"ex2.others-refused", guard_others_refused},
    {"ex2.other-user-served", guard_other_user_served},
    {"ex3.workers-serve", prefork_workers_serve},
    {"ex3.silent-client", prefork_silent_client},
    {"ex3.sigterm", prefork_sigterm},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return tk_main(argc, argv, cases);
}

/* testkit.c - see testkit.h.  Linux-specific: prctl(PR_SET_PDEATHSIG). */
#define _GNU_SOURCE
#define TESTKIT_INTERNAL
#include "testkit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netdb.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the test's call site -------------------------------------------------- */

static const char *site_file;
static int site_line;

void tk_at(const char *file, int line)
{
    site_file = file;
    site_line = line;
}

/* A failure inside the kit is reported at the line of the test that called. */
#define KIT_FAIL(...)                                                          \
    tk_fail_at(site_file != NULL ? site_file : __FILE__,                       \
               site_file != NULL ? site_line : __LINE__, __VA_ARGS__)

/* ---- state that clean-up needs ------------------------------------------ */

#define TK_MAX_PROCS 256
#define TK_MAX_PROGRAMS 32

static struct tk_proc *procs[TK_MAX_PROCS];
static int proc_count;
static char tmpdir_path[512];
static const char *case_name = "?";

static struct {
    const char *name;
    const char *path;
} programs[TK_MAX_PROGRAMS];
static int program_count;

/* Kills every process group the test started.  Async-signal-safe, because
 * the watchdog calls it from its signal handler. */
static void kill_everything(void)
{
    for (int i = 0; i < proc_count; i++) {
        if (procs[i]->pid > 0) {
            kill(-procs[i]->pid, SIGKILL); /* the group: children too */
            kill(procs[i]->pid, SIGKILL);
        }
    }
    for (int i = 0; i < proc_count; i++) {
        if (procs[i]->running && waitpid(procs[i]->pid, &procs[i]->status, 0) > 0)
            procs[i]->running = false;
    }
}

static int remove_entry(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static void clean_up(void)
{
    kill_everything();
    if (tmpdir_path[0] != '\0') {
        nftw(tmpdir_path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        tmpdir_path[0] = '\0';
    }
}

static void watchdog_fired(int signo)
{
    static const char msg[] = "FAIL watchdog: the test case ran past its time limit\n";
    (void)signo;
    if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
        /* nothing more can be done from a signal handler */
    }
    kill_everything();
    _exit(1);
}

/* ---- cases and checks ---------------------------------------------------- */

const char *tk_program(const char *name)
{
    for (int i = 0; i < program_count; i++)
        if (strcmp(programs[i].name, name) == 0)
            return programs[i].path;
    KIT_FAIL("no path given for program '%s' (pass %s=PATH)", name, name);
}

int tk_main(int argc, char **argv, const struct tk_case *cases)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CASE [NAME=PATH...]\ncases:", argv[0]);
        for (const struct tk_case *c = cases; c->name != NULL; c++)
            fprintf(stderr, " %s", c->name);
        fputc('\n', stderr);
        return 2;
    }
    for (int i = 2; i < argc && program_count < TK_MAX_PROGRAMS; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq == NULL) {
            fprintf(stderr, "%s: expected NAME=PATH, got '%s'\n", argv[0], argv[i]);
            return 2;
        }
        *eq = '\0';
        programs[program_count].name = argv[i];
        programs[program_count].path = eq + 1;
        program_count++;
    }

    /* A peer that vanishes must show up as EPIPE, not kill the test. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, watchdog_fired);
    const char *limit = getenv("TK_TIMEOUT");
    alarm(limit != NULL ? (unsigned)atoi(limit) : 30);
    atexit(clean_up);

    for (const struct tk_case *c = cases; c->name != NULL; c++) {
        if (strcmp(c->name, argv[1]) == 0) {
            case_name = c->name;
            c->run();
            printf("PASS %s\n", case_name);
            return 0;
        }
    }
    fprintf(stderr, "%s: no case named '%s'\n", argv[0], argv[1]);
    return 2;
}

void tk_fail_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    const char *base = strrchr(file, '/');

    fflush(stdout);
    fprintf(stderr, "FAIL %s:%d: ", base != NULL ? base + 1 : file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

void tk_skip(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "SKIP %s: ", case_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(77);
}

/* Prints a byte as a reader would want to see it in a failure message. */
static void describe_byte(char *out, size_t outlen, int c)
{
    if (c >= 0x20 && c < 0x7f)
        snprintf(out, outlen, "'%c'", c);
    else
        snprintf(out, outlen, "0x%02x", c);
}

void tk_assert_bytes_eq(const char *file, int line, const void *actual,
                        size_t actual_len, const void *expected,
                        size_t expected_len, const char *what)
{
    const unsigned char *a = actual, *e = expected;
    size_t common = actual_len < expected_len ? actual_len : expected_len;

    for (size_t i = 0; i < common; i++) {
        if (a[i] != e[i]) {
            char got[8], want[8];
            describe_byte(got, sizeof got, a[i]);
            describe_byte(want, sizeof want, e[i]);
            tk_fail_at(file, line, "%s: byte %zu is %s, expected %s", what, i,
                       got, want);
        }
    }
    if (actual_len != expected_len) {
        if (expected_len < 200 && actual_len < 200)
            tk_fail_at(file, line, "%s: got %zu bytes \"%.*s\", expected %zu \"%.*s\"",
                       what, actual_len, (int)actual_len, (const char *)actual,
                       expected_len, (int)expected_len, (const char *)expected);
        tk_fail_at(file, line, "%s: got %zu bytes, expected %zu", what,
                   actual_len, expected_len);
    }
}

/* ---- time and memory ----------------------------------------------------- */

long long tk_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tk_sleep_ms(int ms)
{
    struct timespec pause = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
        continue;
}

static int ms_left(long long deadline)
{
    long long left = deadline - tk_now_ms();
    return left > 0 ? (int)left : 0;
}

void *tk_alloc(size_t len)
{
    void *p = malloc(len > 0 ? len : 1);
    if (p == NULL)
        KIT_FAIL("out of memory allocating %zu bytes", len);
    return p;
}

static void append(char **text, size_t *len, const char *data, size_t n)
{
    char *grown = realloc(*text, *len + n + 1);
    if (grown == NULL)
        KIT_FAIL("out of memory collecting output");
    memcpy(grown + *len, data, n);
    *len += n;
    grown[*len] = '\0';
    *text = grown;
}

void tk_fill_pattern(void *buf, size_t len, unsigned seed)
{
    /* xorshift32: a fixed sequence with every byte value in it. */
    uint32_t x = seed * 2654435761u + 1;
    unsigned char *out = buf;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = (unsigned char)(x >> 24);
    }
}

/* ---- processes ------------------------------------------------------------ */

static void set_cloexec(int fd)
{
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
        KIT_FAIL("fcntl: %s", strerror(errno));
}

static void make_pipe(int fds[2])
{
    if (pipe(fds) < 0)
        KIT_FAIL("pipe: %s", strerror(errno));
    set_cloexec(fds[0]);
    set_cloexec(fds[1]);
}

/* In the child, between fork() and exec(). */
static void become_program(const char *const argv[], int in[2], int out[2],
                           int err[2], pid_t parent)
{
    /* A group of its own, so clean-up can kill its children too; and death
     * when the test dies, even if the test is killed with SIGKILL. */
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);

    /* The test ignores SIGPIPE; the program must start with the default,
     * or a server that forgets to handle it would pass by accident. */
    signal(SIGPIPE, SIG_DFL);
    signal(SIGALRM, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    if (dup2(in[0], STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0 ||
        dup2(err[1], STDERR_FILENO) < 0)
        _exit(127);
    execv(argv[0], (char *const *)argv);
    dprintf(STDERR_FILENO, "testkit: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

struct tk_proc *tk_startv(const char *const argv[])
{
    int in[2], out[2], err[2];

    if (proc_count == TK_MAX_PROCS)
        KIT_FAIL("the test started more than %d processes", TK_MAX_PROCS);
    if (access(argv[0], X_OK) != 0)
        KIT_FAIL("%s was not built (did it compile?): %s", argv[0], strerror(errno));
    make_pipe(in);
    make_pipe(out);
    make_pipe(err);
    fflush(NULL);

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        KIT_FAIL("fork: %s", strerror(errno));
    if (pid == 0)
        become_program(argv, in, out, err, parent);

    struct tk_proc *p = calloc(1, sizeof *p);
    if (p == NULL) {
        kill(pid, SIGKILL);
        KIT_FAIL("out of memory");
    }
    setpgid(pid, pid); /* also here, so it holds before either side runs on */
    p->pid = pid;
    p->running = true;
    p->in = in[1];
    p->out = out[0];
    p->err = err[0];
    close(in[0]);
    close(out[1]);
    close(err[1]);
    procs[proc_count++] = p;
    return p;
}

#define TK_MAX_ARGS 64

static struct tk_proc *start_va(const char *path, va_list ap)
{
    const char *argv[TK_MAX_ARGS + 1];
    int argc = 0;

    argv[argc++] = path;
    const char *arg;
    while ((arg = va_arg(ap, const char *)) != NULL) {
        if (argc == TK_MAX_ARGS)
            KIT_FAIL("more than %d arguments for %s", TK_MAX_ARGS, path);
        argv[argc++] = arg;
    }
    argv[argc] = NULL;
    return tk_startv(argv);
}

struct tk_proc *tk_start(const char *path, ...)
{
    va_list ap;
    va_start(ap, path);
    struct tk_proc *p = start_va(path, ap);
    va_end(ap);
    return p;
}

/* Reads what is ready on one of the process's output pipes; -1 at EOF. */
static int collect(int *fd, char **text, size_t *len)
{
    char buf[65536];
    ssize_t n = read(*fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
        return 0;
    if (n <= 0) {
        close(*fd);
        *fd = -1;
        return -1;
    }
    append(text, len, buf, (size_t)n);
    return 0;
}

static bool reap(struct tk_proc *p, int flags)
{
    if (!p->running)
        return true;
    pid_t r = waitpid(p->pid, &p->status, flags);
    if (r == p->pid) {
        p->running = false;
        return true;
    }
    if (r < 0 && errno != EINTR)
        KIT_FAIL("waitpid: %s", strerror(errno));
    return false;
}

/* Moves data between the test and the process until it has exited and its
 * output is drained, or the deadline passes.  Feeds *input to stdin first. */
static bool pump_until_exit(struct tk_proc *p, const char **input, size_t *left,
                            long long deadline)
{
    for (;;) {
        struct pollfd fds[3] = {{p->out, POLLIN, 0}, {p->err, POLLIN, 0},
                                {p->in, POLLOUT, 0}};
        if (*left == 0 && p->in >= 0) {
            close(p->in);
            p->in = -1;
            fds[2].fd = -1;
        }
        bool exited = reap(p, WNOHANG);
        /* Once it has exited, only drain what is already in the pipes: a
         * child it left behind may hold them open. */
        int wait_ms = exited ? 0 : (ms_left(deadline) < 20 ? ms_left(deadline) : 20);
        int n = poll(fds, 3, wait_ms);
        if (n < 0 && errno != EINTR)
            KIT_FAIL("poll: %s", strerror(errno));
        if (n <= 0 || (p->out < 0 && p->err < 0)) {
            if (exited)
                return true;
            if (ms_left(deadline) == 0)
                return false;
            continue;
        }
        if (fds[0].revents)
            collect(&p->out, &p->out_text, &p->out_len);
        if (fds[1].revents)
            collect(&p->err, &p->err_text, &p->err_len);
        if (fds[2].revents & POLLOUT) {
            ssize_t w = write(p->in, *input, *left);
            if (w > 0) {
                *input += w;
                *left -= (size_t)w;
            } else if (w < 0 && errno != EINTR && errno != EAGAIN) {
                *left = 0; /* it stopped reading its input: fine */
            }
        } else if (fds[2].revents) {
            *left = 0;
        }
    }
}

static void stopped_or_fail(struct tk_proc *p, bool exited, int timeout_ms,
                            const char *what)
{
    if (exited)
        return;
    kill(-p->pid, SIGKILL);
    kill(p->pid, SIGKILL);
    reap(p, 0);
    KIT_FAIL("%s (pid %d) did not exit within %d ms%s%s", what, (int)p->pid,
            timeout_ms, p->err_len ? "; its stderr: " : "",
            p->err_len ? p->err_text : "");
}

int tk_wait(struct tk_proc *p, int timeout_ms)
{
    const char *none = "";
    size_t zero = 0;
    bool exited = pump_until_exit(p, &none, &zero, tk_now_ms() + timeout_ms);
    stopped_or_fail(p, exited, timeout_ms, "the program");
    return p->status;
}

int tk_stop(struct tk_proc *p, int signo, int timeout_ms)
{
    if (p->running && kill(p->pid, signo) < 0)
        KIT_FAIL("kill: %s", strerror(errno));
    const char *none = "";
    size_t zero = 0;
    bool exited = pump_until_exit(p, &none, &zero, tk_now_ms() + timeout_ms);
    stopped_or_fail(p, exited, timeout_ms, "after the signal, the program");
    return p->status;
}

bool tk_still_running(struct tk_proc *p, int timeout_ms)
{
    long long deadline = tk_now_ms() + timeout_ms;
    do {
        if (reap(p, WNOHANG))
            return false;
        tk_sleep_ms(10);
    } while (ms_left(deadline) > 0);
    return !reap(p, WNOHANG);
}

void tk_write_stdin(struct tk_proc *p, const void *buf, size_t len)
{
    const char *next = buf;
    if (p->in < 0)
        KIT_FAIL("writing to a program whose stdin is closed");
    while (len > 0) {
        ssize_t n = write(p->in, next, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            KIT_FAIL("writing to the program's stdin: %s", strerror(errno));
        next += n;
        len -= (size_t)n;
    }
}

void tk_close_stdin(struct tk_proc *p)
{
    if (p->in >= 0) {
        close(p->in);
        p->in = -1;
    }
}

struct tk_proc *tk_run(const void *input, size_t input_len, int timeout_ms,
                       const char *path, ...)
{
    va_list ap;
    va_start(ap, path);
    struct tk_proc *p = start_va(path, ap);
    va_end(ap);

    const char *next = input != NULL ? input : "";
    size_t left = input != NULL ? input_len : 0;
    bool exited = pump_until_exit(p, &next, &left, tk_now_ms() + timeout_ms);
    stopped_or_fail(p, exited, timeout_ms, path);
    return p;
}

int tk_exit_code(const struct tk_proc *p)
{
    if (p->running)
        KIT_FAIL("asked for the exit code of a program still running");
    if (WIFSIGNALED(p->status))
        KIT_FAIL("the program was killed by signal %d (%s)%s%s",
                WTERMSIG(p->status), strsignal(WTERMSIG(p->status)),
                p->err_len ? "; its stderr: " : "", p->err_len ? p->err_text : "");
    return WEXITSTATUS(p->status);
}

const char *tk_read_line(struct tk_proc *p, int timeout_ms)
{
    static char line[4096];
    long long deadline = tk_now_ms() + timeout_ms;

    for (;;) {
        char *start = p->out_text != NULL ? p->out_text + p->out_used : NULL;
        char *nl = start != NULL ? memchr(start, '\n', p->out_len - p->out_used) : NULL;
        if (nl != NULL) {
            size_t n = (size_t)(nl - start);
            if (n >= sizeof line)
                KIT_FAIL("a line of output longer than %zu bytes", sizeof line);
            memcpy(line, start, n);
            line[n] = '\0';
            p->out_used += n + 1;
            return line;
        }
        if (p->out < 0)
            return NULL;
        struct pollfd fds[2] = {{p->out, POLLIN, 0}, {p->err, POLLIN, 0}};
        int n = poll(fds, 2, ms_left(deadline));
        if (n < 0 && errno != EINTR)
            KIT_FAIL("poll: %s", strerror(errno));
        if (n == 0)
            KIT_FAIL("no line of output within %d ms%s%s", timeout_ms,
                    p->err_len ? "; its stderr: " : "", p->err_len ? p->err_text : "");
        if (fds[1].revents && collect(&p->err, &p->err_text, &p->err_len) < 0)
            p->err = -1;
        if (fds[0].revents)
            collect(&p->out, &p->out_text, &p->out_len);
    }
}

/* Checks "listening on ADDR:PORT" and returns PORT, or 0 if malformed. */
static int parse_listening_line(const char *line, char *address, size_t addrlen)
{
    static const char prefix[] = "listening on ";
    if (strncmp(line, prefix, sizeof prefix - 1) != 0)
        return 0;
    const char *addr = line + sizeof prefix - 1;
    const char *colon = strrchr(addr, ':');
    if (colon == NULL || colon == addr || colon[1] == '\0' || strlen(colon + 1) > 5)
        return 0;
    for (const char *d = colon + 1; *d != '\0'; d++)
        if (*d < '0' || *d > '9')
            return 0;
    int port = atoi(colon + 1);
    if (port < 1 || port > 65535)
        return 0;
    snprintf(address, addrlen, "%s", addr);
    return port;
}

struct tk_proc *tk_start_server(const char *path, ...)
{
    va_list ap;
    va_start(ap, path);
    struct tk_proc *p = start_va(path, ap);
    va_end(ap);

    const char *name = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
    const char *line = tk_read_line(p, 5000);
    if (line == NULL) {
        tk_wait(p, 2000);
        KIT_FAIL("%s printed no \"listening on\" line; its stderr: %s", name,
                p->err_len ? p->err_text : "(empty)");
    }
    p->port = parse_listening_line(line, p->address, sizeof p->address);
    if (p->port == 0)
        KIT_FAIL("first line of stdout is \"%s\", expected \"listening on ADDR:PORT\"",
                line);
    return p;
}

void tk_assert_one_error_line(const struct tk_proc *p, const char *program, ...)
{
    const char *text = p->err_text != NULL ? p->err_text : "";
    size_t plen = strlen(program);
    const char *nl = strchr(text, '\n');

    if (nl == NULL || nl[1] != '\0')
        KIT_FAIL("expected exactly one line on stderr, got \"%s\"", text);
    if (strncmp(text, program, plen) != 0 || strncmp(text + plen, ": ", 2) != 0)
        KIT_FAIL("expected the error line to start with \"%s: \", got \"%s\"",
                program, text);
    va_list ap;
    va_start(ap, program);
    const char *fragment;
    while ((fragment = va_arg(ap, const char *)) != NULL)
        if (strstr(text, fragment) == NULL)
            KIT_FAIL("expected \"%s\" in the error line, got \"%s\"", fragment, text);
    va_end(ap);
}

void tk_assert_help(const char *path)
{
    struct tk_proc *p = tk_run(NULL, 0, 5000, path, "--help", NULL);
    if (tk_exit_code(p) != 0)
        KIT_FAIL("--help: expected exit status 0, got %d", tk_exit_code(p));
    if (p->out_text == NULL || strncmp(p->out_text, "usage: ", 7) != 0)
        KIT_FAIL("--help should print a usage text on stdout, got \"%s\"",
                 p->out_text != NULL ? p->out_text : "");
    if (p->err_len != 0)
        KIT_FAIL("--help printed on stderr: %s", p->err_text);
}

void tk_assert_usage_error(const struct tk_proc *p)
{
    if (tk_exit_code(p) != 2)
        KIT_FAIL("a wrong command line: expected exit status 2, got %d", tk_exit_code(p));
    if (p->err_text == NULL || strstr(p->err_text, "usage: ") == NULL)
        KIT_FAIL("a wrong command line should print the usage on stderr, got \"%s\"",
                 p->err_text != NULL ? p->err_text : "");
    if (p->out_len != 0)
        KIT_FAIL("a wrong command line printed on stdout: %s", p->out_text);
}

/* ---- sockets -------------------------------------------------------------- */

static int resolve_numeric(const char *host, int port, struct addrinfo **out)
{
    struct addrinfo hints = {0};
    char service[16];

    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, out);
    if (rc != 0)
        KIT_FAIL("address %s port %d: %s", host, port, gai_strerror(rc));
    return 0;
}

int tk_try_connect(const char *host, int port)
{
    struct addrinfo *ai;
    resolve_numeric(host, port, &ai);
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0)
        KIT_FAIL("socket: %s", strerror(errno));
    int rc;
    do
        rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    while (rc < 0 && errno == EINTR);
    int saved = errno;
    freeaddrinfo(ai);
    if (rc < 0) {
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int tk_connect(const char *host, int port)
{
    int fd = tk_try_connect(host, port);
    if (fd < 0)
        KIT_FAIL("connecting to %s port %d: %s", host, port, strerror(errno));
    return fd;
}

/* socket() and bind() to port 0 of host; *port gets the kernel's choice. */
static int bind_any_port(const char *host, int *port)
{
    struct addrinfo *ai;
    struct sockaddr_storage bound;
    socklen_t len = sizeof bound;

    resolve_numeric(host, 0, &ai);
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &len) < 0)
        KIT_FAIL("binding a port on %s: %s", host, strerror(errno));
    freeaddrinfo(ai);
    *port = ntohs(bound.ss_family == AF_INET
                      ? ((struct sockaddr_in *)&bound)->sin_port
                      : ((struct sockaddr_in6 *)&bound)->sin6_port);
    return fd;
}

int tk_refusing_port(const char *host, int *port)
{
    return bind_any_port(host, port);
}

int tk_listen(const char *host, int *port)
{
    int fd = bind_any_port(host, port);
    if (listen(fd, 64) < 0)
        KIT_FAIL("listening on %s: %s", host, strerror(errno));
    return fd;
}

int tk_unanswering_port(const char *host, int *port)
{
    int fd = bind_any_port(host, port);
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    if (listen(fd, 0) < 0 || getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
        KIT_FAIL("listening on %s: %s", host, strerror(errno));
    /* Connect until one connection stays in progress: the queue is then
     * full, and the kernel drops further SYNs instead of answering. */
    for (int i = 0; i < 16; i++) {
        int c = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c < 0)
            KIT_FAIL("socket: %s", strerror(errno));
        if (connect(c, (struct sockaddr *)&addr, len) == 0 || errno != EINPROGRESS)
            continue; /* queued at once; kept open to hold its place */
        struct pollfd p = {.fd = c, .events = POLLOUT};
        if (poll(&p, 1, 200) == 0)
            return fd;
    }
    tk_skip("could not fill a listener's queue on %s", host);
}

long tk_cpu_ms(pid_t pid)
{
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        KIT_FAIL("%s: %s", path, strerror(errno));
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    /* The command name, in parentheses, may hold spaces: skip past it.
     * Then come state, ppid, ..., utime and stime (fields 14 and 15). */
    const char *after = strrchr(text, ')');
    unsigned long utime, stime;
    if (after == NULL || sscanf(after + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                                &utime, &stime) != 2)
        KIT_FAIL("cannot read the CPU times in %s", path);
    return (long)((utime + stime) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}

bool tk_have_ipv6_loopback(void)
{
    struct sockaddr_in6 addr = {0};
    addr.sin6_family = AF_INET6;
    addr.sin6_addr = in6addr_loopback;
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    bool ok = bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
    close(fd);
    return ok;
}

void tk_enter_private_network(void)
{
    if (unshare(CLONE_NEWNET) < 0) {
        if (errno == EPERM || errno == EINVAL || errno == ENOSYS)
            tk_skip("cannot make a network namespace here (%s)", strerror(errno));
        KIT_FAIL("unshare(CLONE_NEWNET): %s", strerror(errno));
    }
    /* A new namespace has a loopback interface that is down; bringing it
     * up gives it 127.0.0.1 and ::1. */
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        KIT_FAIL("reading the flags of lo: %s", strerror(errno));
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
        KIT_FAIL("bringing lo up: %s", strerror(errno));
    close(fd);
}

void tk_write_sysctl(const char *name, const char *value)
{
    char path[256];
    snprintf(path, sizeof path, "/proc/sys/%s", name);
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(value, f) < 0 || fclose(f) != 0)
        KIT_FAIL("writing %s to %s: %s", value, path, strerror(errno));
}

static void wait_for(int fd, short events, long long deadline, const char *what)
{
    for (;;) {
        struct pollfd pfd = {fd, events, 0};
        int n = poll(&pfd, 1, ms_left(deadline));
        if (n > 0)
            return;
        if (n == 0)
            KIT_FAIL("timed out %s", what);
        if (errno != EINTR)
            KIT_FAIL("poll: %s", strerror(errno));
    }
}

int tk_accept(int listener, int timeout_ms)
{
    wait_for(listener, POLLIN, tk_now_ms() + timeout_ms,
             "waiting for the program to connect");
    int fd = accept(listener, NULL, NULL);
    if (fd < 0)
        KIT_FAIL("accept: %s", strerror(errno));
    return fd;
}

void tk_send(int fd, const void *buf, size_t len, int timeout_ms)
{
    long long deadline = tk_now_ms() + timeout_ms;
    const char *next = buf;

    while (len > 0) {
        wait_for(fd, POLLOUT, deadline, "sending: the peer is not reading");
        ssize_t n = send(fd, next, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            KIT_FAIL("send: %s", strerror(errno));
        next += n;
        len -= (size_t)n;
    }
}

size_t tk_recv(int fd, void *buf, size_t len, int timeout_ms)
{
    long long deadline = tk_now_ms() + timeout_ms;
    size_t got = 0;

    while (got < len) {
        wait_for(fd, POLLIN, deadline, "receiving: nothing came from the peer");
        ssize_t n = recv(fd, (char *)buf + got, len - got, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            KIT_FAIL("recv after %zu of %zu bytes: %s", got, len, strerror(errno));
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return got;
}

bool tk_recv_eof(int fd, int timeout_ms)
{
    char c;
    wait_for(fd, POLLIN, tk_now_ms() + timeout_ms,
             "waiting for the peer to close the connection");
    ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
    if (n == 0)
        return true;
    if (n < 0 && errno == ECONNRESET)
        return false;
    if (n < 0)
        KIT_FAIL("recv: %s", strerror(errno));
    KIT_FAIL("expected the end of the stream, got more data (0x%02x)",
            (unsigned char)c);
}

bool tk_readable(int fd, int timeout_ms)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    int n;
    do
        n = poll(&pfd, 1, timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        KIT_FAIL("poll: %s", strerror(errno));
    return n > 0;
}

size_t tk_exchange(int fd, const void *data, size_t len, void *reply,
                   int timeout_ms)
{
    long long deadline = tk_now_ms() + timeout_ms;
    size_t sent = 0, got = 0;

    while (got < len) {
        struct pollfd pfd = {fd, POLLIN | (sent < len ? POLLOUT : 0), 0};
        int n = poll(&pfd, 1, ms_left(deadline));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            KIT_FAIL("poll: %s", strerror(errno));
        if (n == 0)
            KIT_FAIL("timed out after sending %zu and receiving %zu of %zu bytes",
                    sent, got, len);
        if (pfd.revents & POLLOUT) {
            ssize_t w = send(fd, (const char *)data + sent, len - sent,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w < 0 && errno != EAGAIN && errno != EINTR)
                KIT_FAIL("send after %zu bytes: %s", sent, strerror(errno));
            if (w > 0)
                sent += (size_t)w;
        }
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t r = recv(fd, (char *)reply + got, len - got, MSG_DONTWAIT);
            if (r == 0)
                break;
            if (r < 0 && errno != EAGAIN && errno != EINTR)
                KIT_FAIL("recv after %zu bytes: %s", got, strerror(errno));
            if (r > 0)
                got += (size_t)r;
        }
    }
    return got;
}

void tk_reset(int fd)
{
    struct linger now = {1, 0};
    if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &now, sizeof now) < 0)
        KIT_FAIL("SO_LINGER: %s", strerror(errno));
    close(fd);
}

/* ---- temporary directory --------------------------------------------------- */

const char *tk_tmpdir(void)
{
    if (tmpdir_path[0] != '\0')
        return tmpdir_path;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir_path, sizeof tmpdir_path, "%s/tk-%s-XXXXXX",
             base != NULL && base[0] != '\0' ? base : "/tmp", case_name);
    if (mkdtemp(tmpdir_path) == NULL) {
        tmpdir_path[0] = '\0';
        KIT_FAIL("mkdtemp: %s", strerror(errno));
    }
    return tmpdir_path;
}

/* helpers.c - see helpers.h.  Linux-specific (/proc). */
#define HELPERS_INTERNAL
#include "helpers.h"

#include "testkit.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *site_file = __FILE__;
static int site_line;

void helpers_at(const char *file, int line)
{
    site_file = file;
    site_line = line;
}

/* Failures are reported at the test's line that called the helper. */
#undef TK_FAIL
#define TK_FAIL(...) tk_fail_at(site_file, site_line, __VA_ARGS__)
#undef TK_ASSERT
#define TK_ASSERT(cond, ...)                                                   \
    do {                                                                       \
        if (!(cond))                                                           \
            tk_fail_at(site_file, site_line, __VA_ARGS__);                     \
    } while (0)
#undef TK_ASSERT_BYTES_EQ
#define TK_ASSERT_BYTES_EQ(actual, actual_len, expected, expected_len, what)   \
    tk_assert_bytes_eq(site_file, site_line, (actual), (actual_len),           \
                       (expected), (expected_len), (what))

/* A call into the kit, reported at the test's line too. */
#define AT_CALLER(call) (tk_at(site_file, site_line), call)

/* ---- a crowd of clients ------------------------------------------------------- */

struct client {
    int fd;
    int msg;            /* message in flight */
    size_t len;         /* its length */
    size_t sent, got;
    unsigned char *out; /* its bytes */
    unsigned char *in;  /* what came back */
};

static size_t message_len(int conn, int msg, size_t max_size)
{
    return 1 + ((size_t)conn * 7919 + (size_t)msg * 104729) % max_size;
}

static void next_message(struct client *c, int conn, size_t max_size)
{
    c->len = message_len(conn, c->msg, max_size);
    c->sent = c->got = 0;
    tk_fill_pattern(c->out, c->len, (unsigned)(conn * 1000 + c->msg));
}

void crowd_echo(int port, int conns, int messages, size_t max_size, int timeout_ms)
{
    struct client *cl = tk_alloc((size_t)conns * sizeof *cl);
    struct pollfd *pfd = tk_alloc((size_t)conns * sizeof *pfd);
    long long deadline = tk_now_ms() + timeout_ms;

    for (int i = 0; i < conns; i++) {
        cl[i].fd = AT_CALLER((tk_connect)("127.0.0.1", port));
        cl[i].msg = 0;
        cl[i].out = tk_alloc(max_size);
        cl[i].in = tk_alloc(max_size);
        next_message(&cl[i], i, max_size);
    }
    int done = 0;
    while (done < conns) {
        for (int i = 0; i < conns; i++) {
            bool active = cl[i].msg < messages;
            pfd[i].fd = active ? cl[i].fd : -1;
            pfd[i].events = (short)(POLLIN | (cl[i].sent < cl[i].len ? POLLOUT : 0));
            pfd[i].revents = 0;
        }
        long long left = deadline - tk_now_ms();
        if (left <= 0)
            TK_FAIL("timed out: %d of %d clients had all %d echoes", done, conns, messages);
        int n = poll(pfd, (nfds_t)conns, (int)left);
        if (n < 0 && errno != EINTR)
            TK_FAIL("poll: %s", strerror(errno));
        for (int i = 0; i < conns && n > 0; i++) {
            struct client *c = &cl[i];
            if (pfd[i].revents & POLLOUT) {
                ssize_t w = send(c->fd, c->out + c->sent, c->len - c->sent,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
                if (w < 0 && errno != EAGAIN && errno != EINTR)
                    TK_FAIL("client %d, message %d: send: %s", i, c->msg, strerror(errno));
                if (w > 0)
                    c->sent += (size_t)w;
            }
            if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t r = recv(c->fd, c->in + c->got, c->len - c->got, MSG_DONTWAIT);
                if (r == 0)
                    TK_FAIL("client %d, message %d: the server closed the connection "
                            "after %zu of %zu bytes", i, c->msg, c->got, c->len);
                if (r < 0 && errno != EAGAIN && errno != EINTR)
                    TK_FAIL("client %d, message %d: recv: %s", i, c->msg, strerror(errno));
                if (r > 0)
                    c->got += (size_t)r;
                if (c->got == c->len) {
                    TK_ASSERT_BYTES_EQ(c->in, c->got, c->out, c->len, "a crowd client's echo");
                    if (++c->msg == messages)
                        done++;
                    else
                        next_message(c, i, max_size);
                }
            }
        }
    }
    for (int i = 0; i < conns; i++) {
        close(cl[i].fd);
        free(cl[i].out);
        free(cl[i].in);
    }
    free(cl);
    free(pfd);
}

void echo_check(int fd, const void *data, size_t len, int timeout_ms)
{
    char *reply = tk_alloc(len);
    size_t got = AT_CALLER((tk_exchange)(fd, data, len, reply, timeout_ms));
    TK_ASSERT_BYTES_EQ(reply, got, data, len, "the echo");
    free(reply);
}

size_t recv_until_end(int fd, void *buf, size_t len, int timeout_ms, bool *ended)
{
    long long deadline = tk_now_ms() + timeout_ms;
    size_t got = 0;

    *ended = false;
    while (got < len) {
        long long left = deadline - tk_now_ms();
        if (left <= 0)
            break; /* the caller sees got < len with *ended false */
        struct pollfd p = {fd, POLLIN, 0};
        int n = poll(&p, 1, (int)left);
        if (n < 0 && errno != EINTR)
            TK_FAIL("poll: %s", strerror(errno));
        if (n <= 0)
            continue;
        ssize_t r = recv(fd, (char *)buf + got, len - got, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && (errno == ECONNRESET || errno == EPIPE))) {
            *ended = true;
            break;
        }
        if (r < 0 && errno != EAGAIN && errno != EINTR)
            TK_FAIL("recv: %s", strerror(errno));
        if (r > 0)
            got += (size_t)r;
    }
    return got;
}

/* ---- /proc ------------------------------------------------------------------------ */

long proc_rss_kib(pid_t pid)
{
    char path[64], line[256];
    long kib = -1;

    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        TK_FAIL("%s: %s", path, strerror(errno));
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    fclose(f);
    TK_ASSERT(kib >= 0, "no VmRSS line in %s", path);
    return kib;
}

int proc_fd_count(pid_t pid)
{
    char path[64];
    int count = 0;

    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *dir = opendir(path);
    if (dir == NULL)
        TK_FAIL("%s: %s", path, strerror(errno));
    struct dirent *e;
    while ((e = readdir(dir)) != NULL)
        if (e->d_name[0] != '.')
            count++;
    closedir(dir);
    return count;
}

/* The fields of /proc/PID/stat after "(command)", which may hold spaces:
 * state is field 3, ppid 4, utime 14, stime 15. */
static bool read_stat(pid_t pid, char *state, int *ppid, long *utime, long *stime)
{
    char path[64], text[1024];

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char *after = strrchr(text, ')');
    if (after == NULL)
        return false;
    return sscanf(after + 2, "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", state,
                  ppid, utime, stime) == 4;
}

long proc_cpu_ms(pid_t pid)
{
    return tk_cpu_ms(pid);
}

int proc_children(pid_t pid, int *zombies)
{
    DIR *dir = opendir("/proc");
    int children = 0;

    if (dir == NULL)
        TK_FAIL("/proc: %s", strerror(errno));
    *zombies = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        char state;
        int ppid;
        long utime, stime;
        int other = atoi(e->d_name);
        if (other <= 0 || !read_stat(other, &state, &ppid, &utime, &stime) || ppid != pid)
            continue;
        children++;
        if (state == 'Z')
            (*zombies)++;
    }
    closedir(dir);
    return children;
}

void set_fd_limit(long want)
{
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) < 0)
        TK_FAIL("getrlimit: %s", strerror(errno));
    if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < (rlim_t)want)
        tk_skip("needs %ld descriptors; the hard limit here is %llu", want,
                (unsigned long long)lim.rlim_max);
    lim.rlim_cur = (rlim_t)want;
    if (setrlimit(RLIMIT_NOFILE, &lim) < 0)
        TK_FAIL("setrlimit(%ld): %s", want, strerror(errno));
}

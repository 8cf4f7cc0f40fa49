/* net-unix.c - Unix domain sockets for the net library (see net.h).
 *
 * Written for chapter 07.  Abstract names ("@name") are Linux-specific;
 * everything else is POSIX.
 */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* Fills err with "what: reason". */
static void unix_error(char *err, const char *reason, const char *what_fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void unix_error(char *err, const char *reason, const char *what_fmt, ...)
{
    va_list ap;

    va_start(ap, what_fmt);
    int n = vsnprintf(err, NET_ERR_LEN, what_fmt, ap);
    va_end(ap);
    if (n >= 0 && n < NET_ERR_LEN)
        snprintf(err + n, NET_ERR_LEN - (size_t)n, ": %s", reason);
}

static int is_abstract(const char *name)
{
    return name[0] == '@';
}

int net_unix_address(const char *name, struct sockaddr_un *addr, socklen_t *len,
                     char *err)
{
    size_t name_len = strlen(name);
    size_t room = sizeof addr->sun_path; /* 108 bytes on Linux */

    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    if (name_len == 0 || (is_abstract(name) && name_len == 1)) {
        unix_error(err, "an empty name", "\"%s\"", name);
        return -1;
    }
    if (is_abstract(name)) {
        /* An abstract name is sun_path[0] == '\0' followed by the name's
         * bytes; its length is given by the address length, not by a
         * terminating NUL, so all 107 bytes after the first are usable. */
        if (name_len - 1 > room - 1) {
            unix_error(err, "name too long", "%s (%zu bytes; an abstract name holds %zu)",
                       name, name_len - 1, room - 1);
            return -1;
        }
        memcpy(addr->sun_path + 1, name + 1, name_len - 1);
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + name_len);
        return 0;
    }
    /* A path needs its terminating NUL inside sun_path: at most 107 bytes.
     * Copying fewer bytes would name another file, so refuse instead. */
    if (name_len >= room) {
        unix_error(err, "path too long", "%s (%zu bytes; sun_path holds %zu)", name,
                   name_len, room - 1);
        return -1;
    }
    memcpy(addr->sun_path, name, name_len + 1);
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + name_len + 1);
    return 0;
}

/* ---- listening ------------------------------------------------------------------- */

static int bind_and_listen(int fd, const struct sockaddr_un *addr, socklen_t len,
                           int socktype)
{
    if (bind(fd, (const struct sockaddr *)addr, len) < 0)
        return -1;
    if (socktype != SOCK_DGRAM && listen(fd, SOMAXCONN) < 0)
        return -1;
    return 0;
}

/* Is a server still behind this socket file?  A connect() tells: a file
 * whose socket has gone is refused (ECONNREFUSED).  The probe does not
 * block, so a live server with a full accept queue (EAGAIN) counts as live,
 * as does anything else unexpected: when in doubt, never take a name. */
static int nobody_listens(const struct sockaddr_un *addr, socklen_t len, int socktype)
{
    int probe = socket(AF_UNIX, socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (probe < 0)
        return 0;
    int rc = connect(probe, (const struct sockaddr *)addr, len);
    int refused = rc < 0 && errno == ECONNREFUSED;
    close(probe);
    return refused;
}

/* bind() failed with EADDRINUSE on a path: a stale socket file is removed
 * and the bind tried once more.  Returns 0 if the name is now ours. */
static int replace_stale_socket(int fd, const char *name, const struct sockaddr_un *addr,
                                socklen_t len, int socktype, char *err)
{
    struct stat st;

    if (lstat(name, &st) == 0 && !S_ISSOCK(st.st_mode)) {
        unix_error(err, "exists and is not a socket", "%s", name);
        return -1;
    }
    if (!nobody_listens(addr, len, socktype)) {
        unix_error(err, strerror(EADDRINUSE), "%s", name);
        return -1;
    }
    if (unlink(name) < 0 && errno != ENOENT) {
        unix_error(err, strerror(errno), "removing the stale socket %s", name);
        return -1;
    }
    if (bind_and_listen(fd, addr, len, socktype) < 0) {
        unix_error(err, strerror(errno), "%s", name);
        return -1;
    }
    return 0;
}

int net_unix_listen(const char *name, int socktype, char *err)
{
    struct sockaddr_un addr;
    socklen_t len;

    if (net_unix_address(name, &addr, &len, err) < 0)
        return -1;
    int fd = socket(AF_UNIX, socktype | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        unix_error(err, strerror(errno), "creating a socket for %s", name);
        return -1;
    }
    if (bind_and_listen(fd, &addr, len, socktype) == 0)
        return fd;
    /* An abstract name vanishes with its socket, so one in use is live;
     * a path may be a file left behind by a server that died. */
    int ok = -1;
    if (errno == EADDRINUSE && !is_abstract(name))
        ok = replace_stale_socket(fd, name, &addr, len, socktype, err);
    else
        unix_error(err, strerror(errno), "%s", name);
    if (ok == 0)
        return fd;
    close(fd);
    return -1;
}

int net_unix_connect_timeout(const char *name, int socktype, long timeout_ms, char *err)
{
    struct sockaddr_un addr;
    socklen_t len;

    if (net_unix_address(name, &addr, &len, err) < 0)
        return -1;
    int fd = socket(AF_UNIX, socktype | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        unix_error(err, strerror(errno), "creating a socket for %s", name);
        return -1;
    }
    /* A Unix connect() waits, like a send(), while the server's accept
     * queue is full; SO_SNDTIMEO bounds that wait too. */
    struct timeval limit = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    if (timeout_ms > 0 &&
        (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit) < 0 ||
         setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) < 0)) {
        unix_error(err, strerror(errno), "setting the timeouts for %s", name);
        close(fd);
        return -1;
    }
    /* As in net_connect(), an interrupted connect() is reported, not
     * retried. */
    if (connect(fd, (const struct sockaddr *)&addr, len) < 0) {
        char waited[48];
        snprintf(waited, sizeof waited, "no progress within %ld ms", timeout_ms);
        unix_error(err, errno == EAGAIN && timeout_ms > 0 ? waited : strerror(errno),
                   "connecting to %s", name);
        close(fd);
        return -1;
    }
    return fd;
}

int net_unix_connect(const char *name, int socktype, char *err)
{
    return net_unix_connect_timeout(name, socktype, 0, err);
}

char *net_unix_format_address(const struct sockaddr_un *addr, socklen_t len,
                              char *out, size_t outlen)
{
    size_t offset = offsetof(struct sockaddr_un, sun_path);

    if (len <= offset) {
        snprintf(out, outlen, "(unnamed)");
    } else if (addr->sun_path[0] == '\0') {
        /* Abstract: the bytes after the NUL, as many as len says.  ss(8)
         * and /proc/net/unix print them with a leading '@' too. */
        size_t n = len - offset - 1;
        snprintf(out, outlen, "@%.*s", (int)n, addr->sun_path + 1);
    } else {
        size_t max = len - offset;
        snprintf(out, outlen, "%.*s", (int)strnlen(addr->sun_path, max), addr->sun_path);
    }
    return out;
}

int net_unix_listen_or_exit(const char *program, const char *name, int socktype)
{
    char err[NET_ERR_LEN];
    char where[NET_UNIX_NAME_LEN];
    struct sockaddr_un addr;
    socklen_t len = sizeof addr;

    int fd = net_unix_listen(name, socktype, err);
    if (fd < 0) {
        fprintf(stderr, "%s: %s\n", program, err);
        exit(1);
    }
    /* The name the kernel holds, read back as chapter 01 reads the port. */
    if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
        fprintf(stderr, "%s: getsockname: %s\n", program, strerror(errno));
        exit(1);
    }
    printf("listening on %s\n", net_unix_format_address(&addr, len, where, sizeof where));
    if (fflush(stdout) != 0) {
        fprintf(stderr, "%s: announcing the address: %s\n", program, strerror(errno));
        exit(1);
    }
    return fd;
}

int net_unix_unlink(const char *name)
{
    if (is_abstract(name))
        return 0;
    if (unlink(name) < 0 && errno != ENOENT)
        return -1;
    return 0;
}

const char *net_unix_server_args(int argc, char **argv, const char *usage_text)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(usage_text, stdout);
        exit(0);
    }
    if (argc != 2 || argv[1][0] == '-') {
        fputs(usage_text, stderr);
        exit(2);
    }
    return argv[1];
}

int net_unix_close_listener(const char *program, int fd, const char *name)
{
    close(fd);
    if (net_unix_unlink(name) < 0) {
        fprintf(stderr, "%s: removing %s: %s\n", program, name, strerror(errno));
        return 1;
    }
    return 0;
}

/* uds.c - descriptor passing and peer credentials (see uds.h).
 * _GNU_SOURCE: struct ucred and MSG_CMSG_CLOEXEC are Linux-specific. */
#define _GNU_SOURCE
#include "uds.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The control buffer for one descriptor.  A union with struct cmsghdr
 * gives it the alignment that the CMSG_* macros assume. */
union one_fd_control {
    char bytes[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
};

ssize_t uds_send_fd(int sock, const void *data, size_t len, int fd)
{
    union one_fd_control control;
    struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
    struct msghdr msg = {0};

    /* On a stream socket, sendmsg() with no data sends nothing at all, the
     * descriptor neither, and returns 0 as if it had worked. */
    if (len == 0) {
        errno = EINVAL;
        return -1;
    }
    memset(&control, 0, sizeof control);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.bytes;
    msg.msg_controllen = sizeof control.bytes;

    /* One header: level SOL_SOCKET, type SCM_RIGHTS, then the descriptor.
     * CMSG_LEN counts the header and the data; CMSG_SPACE adds the
     * padding up to the next header, and is what the buffer needs. */
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);

    ssize_t n;
    do
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n;
}

/* Closes every descriptor that a received message carried. */
static void close_received(struct msghdr *msg)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            close(fd);
        }
    }
}

ssize_t uds_recv_fd(int sock, void *buf, size_t len, int *fd)
{
    union one_fd_control control;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr msg = {0};

    *fd = -1;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.bytes;
    msg.msg_controllen = sizeof control.bytes;

    ssize_t n;
    /* MSG_CMSG_CLOEXEC: the new descriptor is close-on-exec from the
     * start, with no gap in which another thread could fork and exec. */
    do
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    /* MSG_CTRUNC: more ancillary data came than the buffer holds.  The
     * kernel has closed the descriptors that did not fit; close those that
     * did too, since the message is not what was expected. */
    if (msg.msg_flags & MSG_CTRUNC) {
        close_received(&msg);
        errno = EMSGSIZE;
        return -1;
    }
    /* CMSG_SPACE rounds up to the alignment of a header (8 bytes here), so
     * the buffer for one int has room for two: a second descriptor arrives
     * without MSG_CTRUNC and must be caught by its length. */
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    if (cmsg == NULL || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
        return n; /* no descriptor */
    if (cmsg->cmsg_len != CMSG_LEN(sizeof(int))) {
        close_received(&msg);
        errno = EBADMSG;
        return -1;
    }
    memcpy(fd, CMSG_DATA(cmsg), sizeof *fd);
    return n;
}

int uds_peer_credentials(int sock, pid_t *pid, uid_t *uid, gid_t *gid)
{
    struct ucred cred;
    socklen_t len = sizeof cred;

    if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return -1;
    /* A socket whose peer the kernel never recorded (not connected, or a
     * datagram socket that called connect()) still answers, with uid and
     * gid -1: no user has that id, so it means "nobody known". */
    if (cred.uid == (uid_t)-1) {
        errno = ENOTCONN;
        return -1;
    }
    *pid = cred.pid;
    *uid = cred.uid;
    *gid = cred.gid;
    return 0;
}

int uds_wait_readable(int fd, int stop_fd)
{
    for (;;) {
        struct pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        /* POLLNVAL: one of them is not an open descriptor, which is
         * neither data nor a stop. */
        if ((fds[0].revents | fds[1].revents) & POLLNVAL) {
            errno = EBADF;
            return -1;
        }
        if (fds[1].revents)
            return 0;
        if (fds[0].revents)
            return 1;
    }
}

int uds_accept_until_stopped(int listener, int stop_fd, int *stopped)
{
    *stopped = 0;
    for (;;) {
        int ready = uds_wait_readable(listener, stop_fd);
        if (ready <= 0) {
            *stopped = ready == 0;
            return -1;
        }
        int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0 || (errno != EINTR && errno != ECONNABORTED))
            return fd;
    }
}

int uds_recv_line(int sock, char *buf, size_t size, const char **why)
{
    size_t got = 0;
    for (;;) {
        char c;
        ssize_t n = recv(sock, &c, 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0) {
            *why = "no newline before the end";
            return -1;
        }
        if (n < 0) {
            *why = errno == EAGAIN || errno == EWOULDBLOCK ? "request timed out"
                                                           : strerror(errno);
            return -1;
        }
        if (c == '\n')
            break;
        if (got == size - 1) {
            *why = "line too long";
            return -1;
        }
        buf[got++] = c;
    }
    buf[got] = '\0';
    return 0;
}

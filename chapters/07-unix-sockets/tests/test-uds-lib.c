/* test-uds-lib - white-box tests of the uds library (uds.h).
 *
 * The chapter's programs are tested from outside (test-uds.c); this driver
 * calls the library directly, on socket pairs made inside the test process,
 * so that each case can corner one function: descriptors that arrive and
 * work, descriptors that must not stay behind when a message is refused
 * (counted in /proc/self/fd), the ends of streams, the cuts of datagrams,
 * credentials, and every error the header documents.  Linux-specific, as
 * the library is: SO_PEERCRED, MSG_CMSG_CLOEXEC, /proc/self/fd.
 */
#define _GNU_SOURCE
#include "testkit.h"
#include "tk-unix.h"
#include "uds.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 5000

/* ---- helpers ---------------------------------------------------------------- */

static void make_pair(int type, int sv[2])
{
    TK_ASSERT(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) == 0,
              "socketpair: %s", strerror(errno));
}

static void make_pipe(int p[2])
{
    TK_ASSERT(pipe2(p, O_CLOEXEC) == 0, "pipe2: %s", strerror(errno));
}

/* How many descriptors this process has open, as /proc/self/fd lists them
 * (less the one opendir() holds while reading it). */
static int open_descriptors(void)
{
    DIR *dir = opendir("/proc/self/fd");
    TK_ASSERT(dir != NULL, "opendir /proc/self/fd: %s", strerror(errno));
    int count = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL)
        if (e->d_name[0] != '.')
            count++;
    closedir(dir);
    return count - 1;
}

/* Sends data with n descriptors in one SCM_RIGHTS message, which the
 * library itself never does: what a hostile or mistaken sender may do. */
static void send_descriptors(int sock, const char *data, const int *fds, size_t n)
{
    union {
        char bytes[CMSG_SPACE(8 * sizeof(int))];
        struct cmsghdr align;
    } control;
    TK_ASSERT(n >= 1 && n <= 8, "send_descriptors takes 1 to 8 descriptors");
    memset(&control, 0, sizeof control);
    struct iovec iov = {.iov_base = (void *)data, .iov_len = strlen(data)};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes,
                         .msg_controllen = CMSG_SPACE(n * sizeof(int))};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(n * sizeof(int));
    memcpy(CMSG_DATA(c), fds, n * sizeof(int));
    TK_ASSERT(sendmsg(sock, &msg, 0) == (ssize_t)strlen(data), "sendmsg with %zu descriptors: %s",
              n, strerror(errno));
}

/* Checks that nobody, in this process or in flight, still holds the write
 * end of the pipe whose read end is given: reading it gives end of file. */
static void assert_pipe_writers_gone(int read_end, const char *what)
{
    TK_ASSERT(tk_readable(read_end, WAIT_MS), "%s: the pipe never saw end of file", what);
    char c;
    ssize_t n = read(read_end, &c, 1);
    TK_ASSERT(n == 0, "%s: the pipe's write end is still open somewhere (read gave %zd)", what, n);
}

/* Writes text through fd and checks that it comes out of read_end (a pipe
 * or a socket: read(), not recv()). */
static void assert_carries(int fd, int read_end, const char *text, const char *what)
{
    size_t len = strlen(text);
    TK_ASSERT(write(fd, text, len) == (ssize_t)len, "%s: write: %s", what, strerror(errno));
    char buf[64] = "";
    size_t got = 0;
    while (got < len && tk_readable(read_end, WAIT_MS)) {
        ssize_t n = read(read_end, buf + got, sizeof buf - got);
        TK_ASSERT(n > 0, "%s: read gave %zd (%s)", what, n, n < 0 ? strerror(errno) : "end");
        got += (size_t)n;
    }
    TK_ASSERT_BYTES_EQ(buf, got, text, len, what);
}

static bool is_cloexec(int fd)
{
    int flags = fcntl(fd, F_GETFD);
    TK_ASSERT(flags >= 0, "fcntl F_GETFD: %s", strerror(errno));
    return (flags & FD_CLOEXEC) != 0;
}

/* A descriptor number that is certainly closed. */
static int closed_descriptor(void)
{
    int fd = dup(0);
    TK_ASSERT(fd >= 0, "dup: %s", strerror(errno));
    close(fd);
    return fd;
}

/* ---- a timer that interrupts blocking calls --------------------------------- */

/* SIGUSR1 every 10 ms, from a handler installed without SA_RESTART, so that
 * a blocking call returns EINTR; the fifth signal writes `interrupt_text` to
 * `interrupt_fd`, which is what the blocked call is waiting for.  (The test
 * kit's watchdog owns SIGALRM, so the timer uses SIGUSR1.) */
static volatile sig_atomic_t interruptions;
static int interrupt_fd = -1;
static const char *interrupt_text;
static timer_t interrupt_timer;

static void on_interrupt(int signo)
{
    (void)signo;
    int saved = errno;
    if (++interruptions == 5 && interrupt_fd >= 0)
        if (write(interrupt_fd, interrupt_text, strlen(interrupt_text)) < 0)
            interruptions = -100; /* seen as a failure below */
    errno = saved;
}

static void start_interrupting(int fd, const char *text)
{
    interruptions = 0;
    interrupt_fd = fd;
    interrupt_text = text;
    struct sigaction sa = {.sa_handler = on_interrupt}; /* no SA_RESTART */
    sigemptyset(&sa.sa_mask);
    TK_ASSERT(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction: %s", strerror(errno));
    struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
    TK_ASSERT(timer_create(CLOCK_MONOTONIC, &ev, &interrupt_timer) == 0, "timer_create: %s",
              strerror(errno));
    struct itimerspec every = {.it_interval = {0, 10000000}, .it_value = {0, 10000000}};
    TK_ASSERT(timer_settime(interrupt_timer, 0, &every, NULL) == 0, "timer_settime: %s",
              strerror(errno));
}

static void stop_interrupting(void)
{
    timer_delete(interrupt_timer);
    signal(SIGUSR1, SIG_IGN);
    TK_ASSERT(interruptions >= 5, "the call returned after %d interruptions, before the data came",
              (int)interruptions);
}

/* ---- descriptors ------------------------------------------------------------ */

/* One descriptor, on each kind of socket: it arrives as a new number of the
 * receiver's, close-on-exec, for the same open pipe; the sender's stays open. */
static void one_descriptor(void)
{
    const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
    const char *names[] = {"stream", "datagram", "seqpacket"};
    for (size_t t = 0; t < 3; t++) {
        int sv[2], p[2];
        make_pair(types[t], sv);
        make_pipe(p);
        TK_ASSERT_INT_EQ(uds_send_fd(sv[0], "OK\n", 3, p[1]), 3, names[t]);
        char buf[16];
        int fd = -2;
        TK_ASSERT_INT_EQ(uds_recv_fd(sv[1], buf, sizeof buf, &fd), 3, names[t]);
        TK_ASSERT_BYTES_EQ(buf, 3, "OK\n", 3, names[t]);
        TK_ASSERT(fd >= 0 && fd != p[1] && fd != p[0], "%s: received descriptor %d (sent %d)",
                  names[t], fd, p[1]);
        TK_ASSERT(is_cloexec(fd), "%s: the received descriptor is not close-on-exec", names[t]);
        assert_carries(fd, p[0], "through the received one", names[t]);
        TK_ASSERT(fcntl(p[1], F_GETFD) >= 0, "%s: the sender's descriptor was closed", names[t]);
        assert_carries(p[1], p[0], "and the sender's own", names[t]);
        close(fd);
        close(p[1]);
        assert_pipe_writers_gone(p[0], names[t]);
        close(p[0]);
        close(sv[0]);
        close(sv[1]);
    }
}

/* Several descriptors, one per message, of different kinds of file, sent
 * before any is received: on a stream each read stops at the end of the
 * message whose descriptor it returns, so none is lost or given twice. */
static void several_descriptors(void)
{
    int sv[2], p[2], pair[2];
    make_pair(SOCK_STREAM, sv);
    make_pipe(p);
    make_pair(SOCK_STREAM, pair);
    char path[512];
    snprintf(path, sizeof path, "%s/shared.txt", tk_tmpdir());
    int file = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    TK_ASSERT(file >= 0, "open %s: %s", path, strerror(errno));
    int before = open_descriptors();

    TK_ASSERT_INT_EQ(uds_send_fd(sv[0], "pipe", 4, p[1]), 4, "pipe sent");
    TK_ASSERT_INT_EQ(uds_send_fd(sv[0], "sock", 4, pair[0]), 4, "socket sent");
    TK_ASSERT_INT_EQ(uds_send_fd(sv[0], "file", 4, file), 4, "file sent");
    TK_ASSERT_INT_EQ(open_descriptors(), before, "descriptors in flight are not in the table");

    const char *labels[] = {"pipe", "sock", "file"};
    int got[3];
    for (int i = 0; i < 3; i++) {
        char buf[64];
        TK_ASSERT_INT_EQ(uds_recv_fd(sv[1], buf, sizeof buf, &got[i]), 4, labels[i]);
        TK_ASSERT_BYTES_EQ(buf, 4, labels[i], 4, "the bytes that came with it");
        TK_ASSERT(got[i] >= 0, "%s: no descriptor", labels[i]);
    }
    TK_ASSERT_INT_EQ(open_descriptors(), before + 3, "three new descriptors");

    assert_carries(got[0], p[0], "into the pipe", "received pipe");
    assert_carries(got[1], pair[1], "into the socket", "received socket");
    /* A file: the open file description, offset included, is shared. */
    TK_ASSERT(write(got[2], "written by the receiver", 23) == 23, "write: %s", strerror(errno));
    TK_ASSERT_INT_EQ(lseek(file, 0, SEEK_CUR), 23, "the sender's offset moved with the write");
    char text[64] = "";
    TK_ASSERT_INT_EQ(pread(file, text, sizeof text, 0), 23, "pread by the sender");
    TK_ASSERT_BYTES_EQ(text, 23, "written by the receiver", 23, "what the sender reads");

    for (int i = 0; i < 3; i++)
        close(got[i]);
    close(p[1]);
    assert_pipe_writers_gone(p[0], "received pipe closed");
    close(p[0]);
    close(pair[0]);
    close(pair[1]);
    close(file);
    close(sv[0]);
    close(sv[1]);
}

/* Messages without a descriptor: *fd is -1, whatever it held before, also
 * right after a message that had one. */
static void data_without_descriptor(void)
{
    int sv[2], p[2];
    make_pair(SOCK_STREAM, sv);
    make_pipe(p);
    char buf[16];
    int fd = 42;
    tk_send(sv[0], "plain", 5, WAIT_MS);
    TK_ASSERT_INT_EQ(uds_recv_fd(sv[1], buf, sizeof buf, &fd), 5, "plain bytes");
    TK_ASSERT_BYTES_EQ(buf, 5, "plain", 5, "plain bytes");
    TK_ASSERT_INT_EQ(fd, -1, "no descriptor");

    TK_ASSERT_INT_EQ(uds_send_fd(sv[0], "x", 1, p[1]), 1, "with a descriptor");
    TK_ASSERT_INT_EQ(uds_recv_fd(sv[1], buf, sizeof buf, &fd), 1, "with a descriptor");
    TK_ASSERT(fd >= 0, "the descriptor came");
    close(fd);
    tk_send(sv[0], "more", 4, WAIT_MS);
    TK_ASSERT_INT_EQ(uds_recv_fd(sv[1], buf, sizeof buf, &fd), 4, "plain again");
    TK_ASSERT_INT_EQ(fd, -1, "no descriptor the second time");

    int dg[2];
    make_pair(SOCK_DGRAM, dg);
    TK_ASSERT_INT_EQ(send(dg[0], "datagram", 8, 0), 8, "a datagram");
    fd = 42;
    TK_ASSERT_INT_EQ(uds_recv_fd(dg[1], buf, sizeof buf, &fd), 8, "a datagram");
    TK_ASSERT_INT_EQ(fd, -1, "no descriptor in the datagram");
    close(dg[0]);
    close(dg[1]);
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
}

/* Sends, on a fresh stream pair, one message with `count` pipe write ends,
 * closes the sender's copies, and checks that uds_recv_fd refuses it with
 * `expected_errno` and leaves no descriptor behind: the count of open
 * descriptors is back where it was, and every pipe sees end of file. */
static void check_refused(size_t count, int expected_errno, const char *what)
{
    int sv[2], pipes[8][2], ends[8];
    make_pair(SOCK_STREAM, sv);
    for (size_t i = 0; i < count; i++) {
        make_pipe(pipes[i]);
        ends[i] = pipes[i][1];
    }
    int before = open_descriptors();
    send_descriptors(sv[0], "many", ends, count);
    for (size_t i = 0; i < count; i++)
        close(ends[i]);

    char buf[16];
    int fd = 42;
    errno = 0;
    TK_ASSERT_INT_EQ(uds_recv_fd(sv[1], buf, sizeof buf, &fd), -1, what);
    TK_ASSERT(errno == expected_errno, "%s: errno %s, expected %s", what, strerror(errno),
              strerror(expected_errno));
    TK_ASSERT_INT_EQ(fd, -1, "*fd after a refused message");
    TK_ASSERT_INT_EQ(open_descriptors(), before - (int)count,
                     "open descriptors: those that arrived must have been closed");
    for (size_t i = 0; i < count; i++) {
        assert_pipe_writers_gone(pipes[i][0], what);
        close(pipes[i][0]);
    }
    close(sv[0]);
    close(sv[1]);
}

/* Three descriptors do not fit the buffer for one: MSG_CTRUNC, reported as
 * EMSGSIZE; the two that fitted are closed by the library, the third by the
 * kernel. */
static void control_truncated(void)
{
    check_refused(3, EMSGSIZE, "three descriptors (MSG_CTRUNC)");
    check_refused(8, EMSGSIZE, "eight descriptors (MSG_CTRUNC)");
}

/* Two descriptors fit in the padding of the buffer for one: no MSG_CTRUNC,
 * but refused all the same, EBADMSG, and both closed. */
static void two_descriptors_fit(void)
{
    check_refused(2, EBADMSG, "two descriptors");
}

/* No descriptor number left in this process: the kernel cannot install the
 * descriptor, closes it and sets MSG_CTRUNC; the library says EMSGSIZE. */
static void no_descriptor_number_left(void)
{
    int sv[2], p[2];
    make_pair(SOCK_STREAM, sv);
    make_pipe(p);
    TK_ASSERT_INT_EQ(uds_send_fd(sv[0], "x", 1, p[1]), 1, "sent");
    close(p[1]);
    int before = open_descriptors();

    struct rlimit saved, low;
    TK_ASSERT(getrlimit(RLIMIT_NOFILE, &saved) == 0, "getrlimit: %s", strerror(errno));
    low = saved;
    low.rlim_cur = 64;
    TK_ASSERT(setrlimit(RLIMIT_NOFILE, &low) == 0, "setrlimit: %s", strerror(errno));
    int fillers[64], filled = 0, fd;
    while (filled < 64 && (fd = fcntl(p[0], F_DUPFD_CLOEXEC, 0)) >= 0)
        fillers[filled++] = fd;
    int dup_errno = errno;

    char buf[4];
    fd = 42;
    errno = 0;
    ssize_t n = uds_recv_fd(sv[1], buf, sizeof buf, &fd);
    int recv_errno = errno;
    while (filled > 0)
        close(fillers[--filled]);
    TK_ASSERT(setrlimit(RLIMIT_NOFILE, &saved) == 0, "setrlimit back: %s", strerror(errno));

    TK_ASSERT(dup_errno == EMFILE, "filling the table stopped with %s", strerror(dup_errno));
    TK_ASSERT(n == -1 && recv_errno == EMSGSIZE, "uds_recv_fd gave %zd (%s), expected -1 EMSGSIZE",
              n, strerror(recv_errno));
    TK_ASSERT_INT_EQ(fd, -1, "*fd");
    TK_ASSERT_INT_EQ(open_descriptors(), before, "open descriptors");
    assert_pipe_writers_gone(p[0], "the descriptor that found no number");
    close(p[0]);
    close(sv[0]);
    close(sv[1]);
}

/* A peer that closed: end of stream (0), with no descriptor; sending to it
 * fails with EPIPE and, thanks to MSG_NOSIGNAL, raises no SIGPIPE (which
 * this test sets back to its default, deadly action for the occasion). */
static void peer_closed(void)
{
    int sv[2], p[2];
    make_pair(SOCK_STREAM, sv);
    make_pipe(p);
    TK_ASSERT_INT_EQ(uds_send_fd(sv[0], "last", 4, p[1]), 4, "a last message");
    close(sv[0]);
    char buf[16];
    int fd = 42;
    TK_ASSERT_INT_EQ(uds_recv_fd(sv[1], buf, sizeof buf, &fd), 4, "the last message");
    TK_ASSERT(fd >= 0, "its descriptor");
    close(fd);
    fd = 42;
    TK_ASSERT_INT_EQ(uds_recv_fd(sv[1], buf, sizeof buf, &fd), 0, "then end of stream");
    TK_ASSERT_INT_EQ(fd, -1, "no descriptor at the end");
    TK_ASSERT_INT_EQ(uds_recv_fd(sv[1], buf, sizeof buf, &fd), 0, "and again");

    signal(SIGPIPE, SIG_DFL);
    errno = 0;
    ssize_t n = uds_send_fd(sv[1], "x", 1, p[1]);
    int send_errno = errno;
    signal(SIGPIPE, SIG_IGN);
    TK_ASSERT(n == -1 && send_errno == EPIPE, "sending to a closed peer: %zd (%s)", n,
              strerror(send_errno));
    close(sv[1]);
    close(p[1]);
    assert_pipe_writers_gone(p[0], "after the failed send");
    close(p[0]);
}

/* What the header says of lengths.  On a stream, bytes that do not fit come
 * in later reads, and the descriptor with the first; a read that begins
 * with plain bytes takes the descriptor of the message that follows them;
 * two messages with descriptors never come in one read.  On datagram and
 * seqpacket sockets a message is cut to the buffer and the rest is lost,
 * but its descriptor still arrives. */
static void split_and_cut(void)
{
    int sv[2], p[2];
    make_pair(SOCK_STREAM, sv);
    make_pipe(p);
    char buf[64];
    int fd;

    TK_ASSERT_INT_EQ(uds_send_fd(sv[0], "0123456789", 10, p[1]), 10, "ten bytes sent");
    TK_ASSERT_INT_EQ(uds_recv_fd(sv[1], buf, 4, &fd), 4, "the first four");
    TK_ASSERT_BYTES_EQ(buf, 4, "0123", 4, "the first four");
    TK_ASSERT(fd >= 0, "the descriptor with the first bytes");
    close(fd);
    TK_ASSERT_INT_EQ(uds_recv_fd(sv[1], buf, sizeof buf, &fd), 6, "the other six");
    TK_ASSERT_BYTES_EQ(buf, 6, "456789", 6, "the other six");
    TK_ASSERT_INT_EQ(fd, -1, "no descriptor with the rest");

    tk_send(sv[0], "ab", 2, WAIT_MS);
    TK_ASSERT_INT_EQ(uds_send_fd(sv[0], "cd", 2, p[1]), 2, "then two with a descriptor");
    TK_ASSERT_INT_EQ(uds_recv_fd(sv[1], buf, sizeof buf, &fd), 4, "one read");
    TK_ASSERT_BYTES_EQ(buf, 4, "abcd", 4, "plain bytes, then the message");
    TK_ASSERT(fd >= 0, "the descriptor of the second message");
    close(fd);

    TK_ASSERT_INT_EQ(uds_send_fd(sv[0], "one", 3, p[1]), 3, "first message");
    TK_ASSERT_INT_EQ(uds_send_fd(sv[0], "two", 3, p[1]), 3, "second message");
    TK_ASSERT_INT_EQ(uds_recv_fd(sv[1], buf, sizeof buf, &fd), 3, "one message per read");
    TK_ASSERT_BYTES_EQ(buf, 3, "one", 3, "the first");
    TK_ASSERT(fd >= 0, "its descriptor");
    close(fd);
    TK_ASSERT_INT_EQ(uds_recv_fd(sv[1], buf, sizeof buf, &fd), 3, "then the other");
    TK_ASSERT_BYTES_EQ(buf, 3, "two", 3, "the second");
    TK_ASSERT(fd >= 0, "its descriptor");
    close(fd);
    close(sv[0]);
    close(sv[1]);

    const int types[] = {SOCK_DGRAM, SOCK_SEQPACKET};
    for (size_t t = 0; t < 2; t++) {
        make_pair(types[t], sv);
        TK_ASSERT_INT_EQ(uds_send_fd(sv[0], "0123456789", 10, p[1]), 10, "a message");
        TK_ASSERT_INT_EQ(uds_send_fd(sv[0], "next", 4, p[1]), 4, "the next one");
        TK_ASSERT_INT_EQ(uds_recv_fd(sv[1], buf, 4, &fd), 4, "cut to four bytes");
        TK_ASSERT_BYTES_EQ(buf, 4, "0123", 4, "what was kept");
        TK_ASSERT(fd >= 0, "the descriptor of the cut message");
        close(fd);
        TK_ASSERT_INT_EQ(uds_recv_fd(sv[1], buf, sizeof buf, &fd), 4, "the next message whole");
        TK_ASSERT_BYTES_EQ(buf, 4, "next", 4, "the rest of the first was dropped");
        TK_ASSERT(fd >= 0, "the next descriptor");
        close(fd);
        close(sv[0]);
        close(sv[1]);
    }
    close(p[1]);
    assert_pipe_writers_gone(p[0], "every received copy closed");
    close(p[0]);
}

/* The errors of uds_send_fd and uds_recv_fd: a bad descriptor to pass, a
 * socket that is not one, no data to carry the descriptor, nothing to read
 * on a nonblocking socket or within SO_RCVTIMEO. */
static void send_and_receive_errors(void)
{
    int sv[2], p[2];
    make_pair(SOCK_STREAM, sv);
    make_pipe(p);
    char buf[8];
    int fd;

    errno = 0;
    TK_ASSERT_INT_EQ(uds_send_fd(sv[0], "x", 1, closed_descriptor()), -1, "a closed descriptor");
    TK_ASSERT_INT_EQ(errno, EBADF, "errno for a closed descriptor");
    errno = 0;
    TK_ASSERT_INT_EQ(uds_send_fd(p[1], "x", 1, p[0]), -1, "sending on a pipe");
    TK_ASSERT_INT_EQ(errno, ENOTSOCK, "errno for a pipe");
    /* On a stream, sendmsg() with no bytes sends nothing, descriptor
     * included, and says 0: the library refuses rather than lose it. */
    errno = 0;
    TK_ASSERT_INT_EQ(uds_send_fd(sv[0], "", 0, p[0]), -1, "no data to carry the descriptor");
    TK_ASSERT_INT_EQ(errno, EINVAL, "errno for no data");
    TK_ASSERT(!tk_readable(sv[1], 50), "nothing was sent");

    errno = 0;
    TK_ASSERT_INT_EQ(uds_recv_fd(p[0], buf, sizeof buf, &fd), -1, "receiving from a pipe");
    TK_ASSERT_INT_EQ(errno, ENOTSOCK, "errno for a pipe");
    TK_ASSERT_INT_EQ(fd, -1, "*fd on error");
    int flags = fcntl(sv[1], F_GETFL);
    TK_ASSERT(flags >= 0 && fcntl(sv[1], F_SETFL, flags | O_NONBLOCK) == 0, "O_NONBLOCK");
    errno = 0;
    TK_ASSERT_INT_EQ(uds_recv_fd(sv[1], buf, sizeof buf, &fd), -1, "nothing to read, nonblocking");
    TK_ASSERT(errno == EAGAIN || errno == EWOULDBLOCK, "errno %s", strerror(errno));
    TK_ASSERT(fcntl(sv[1], F_SETFL, flags) == 0, "blocking again");
    struct timeval limit = {.tv_sec = 0, .tv_usec = 100000};
    TK_ASSERT(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) == 0,
              "SO_RCVTIMEO: %s", strerror(errno));
    long long start = tk_now_ms();
    errno = 0;
    TK_ASSERT_INT_EQ(uds_recv_fd(sv[1], buf, sizeof buf, &fd), -1, "nothing within SO_RCVTIMEO");
    TK_ASSERT(errno == EAGAIN || errno == EWOULDBLOCK, "errno %s", strerror(errno));
    TK_ASSERT(tk_now_ms() - start < WAIT_MS, "the wait was bounded by SO_RCVTIMEO");
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
}

/* ---- credentials ------------------------------------------------------------ */

static void assert_credentials_are_mine(int sock, const char *what)
{
    pid_t pid = 0;
    uid_t uid = 12345;
    gid_t gid = 12345;
    TK_ASSERT(uds_peer_credentials(sock, &pid, &uid, &gid) == 0, "%s: %s", what, strerror(errno));
    TK_ASSERT_INT_EQ(pid, getpid(), what);
    TK_ASSERT_INT_EQ(uid, getuid(), what);
    TK_ASSERT_INT_EQ(gid, getgid(), what);
}

/* Both ends of a socket pair report the process that made it; a client
 * that connects from a child process is reported with the child's pid. */
static void credentials_stream(void)
{
    int sv[2];
    make_pair(SOCK_STREAM, sv);
    assert_credentials_are_mine(sv[0], "stream pair, first end");
    assert_credentials_are_mine(sv[1], "stream pair, second end");
    close(sv[0]);
    close(sv[1]);

    const char *path = tk_unix_path("cred.sock");
    struct sockaddr_un addr;
    socklen_t len = tk_unix_address(path, &addr);
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    TK_ASSERT(listener >= 0 && bind(listener, (struct sockaddr *)&addr, len) == 0 &&
                  listen(listener, 4) == 0, "listening on %s: %s", path, strerror(errno));
    pid_t child = fork();
    TK_ASSERT(child >= 0, "fork: %s", strerror(errno));
    if (child == 0) {
        /* Connects, then waits (5 s at most) for the parent to close. */
        alarm(5);
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        char byte;
        if (c < 0 || connect(c, (struct sockaddr *)&addr, len) < 0)
            _exit(1);
        _exit(read(c, &byte, 1) == 0 ? 0 : 1);
    }
    int conn = tk_accept(listener, WAIT_MS);
    pid_t pid;
    uid_t uid;
    gid_t gid;
    TK_ASSERT(uds_peer_credentials(conn, &pid, &uid, &gid) == 0, "accepted: %s", strerror(errno));
    TK_ASSERT_INT_EQ(pid, child, "the pid of the child that connected");
    TK_ASSERT_INT_EQ(uid, getuid(), "its uid");
    TK_ASSERT_INT_EQ(gid, getgid(), "its gid");
    close(conn);
    int status;
    TK_ASSERT(waitpid(child, &status, 0) == child, "waitpid: %s", strerror(errno));
    TK_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child's connection failed");
    close(listener);
}

/* Datagram and seqpacket pairs carry credentials too (socketpair() records
 * them for every type); a datagram socket merely connect()ed to another has
 * none, and the library says so instead of handing back the kernel's
 * placeholder (pid 0, uid and gid -1). */
static void credentials_datagram(void)
{
    int sv[2];
    make_pair(SOCK_DGRAM, sv);
    assert_credentials_are_mine(sv[0], "datagram pair, first end");
    assert_credentials_are_mine(sv[1], "datagram pair, second end");
    close(sv[0]);
    close(sv[1]);
    make_pair(SOCK_SEQPACKET, sv);
    assert_credentials_are_mine(sv[0], "seqpacket pair, first end");
    assert_credentials_are_mine(sv[1], "seqpacket pair, second end");
    close(sv[0]);
    close(sv[1]);

    const char *path = tk_unix_path("dgram.sock");
    struct sockaddr_un addr;
    socklen_t len = tk_unix_address(path, &addr);
    int server = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int client = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    TK_ASSERT(server >= 0 && client >= 0 && bind(server, (struct sockaddr *)&addr, len) == 0 &&
                  connect(client, (struct sockaddr *)&addr, len) == 0,
              "datagram sockets on %s: %s", path, strerror(errno));
    pid_t pid = 7;
    uid_t uid = 7;
    gid_t gid = 7;
    errno = 0;
    TK_ASSERT_INT_EQ(uds_peer_credentials(client, &pid, &uid, &gid), -1,
                     "a connect()ed datagram socket");
    TK_ASSERT_INT_EQ(errno, ENOTCONN, "errno for no credentials");
    close(client);
    close(server);
}

/* The errors: not a socket, not a descriptor, not connected. */
static void credentials_errors(void)
{
    pid_t pid;
    uid_t uid;
    gid_t gid;
    int p[2];
    make_pipe(p);
    errno = 0;
    TK_ASSERT_INT_EQ(uds_peer_credentials(p[0], &pid, &uid, &gid), -1, "a pipe");
    TK_ASSERT_INT_EQ(errno, ENOTSOCK, "errno for a pipe");
    close(p[0]);
    close(p[1]);
    errno = 0;
    TK_ASSERT_INT_EQ(uds_peer_credentials(closed_descriptor(), &pid, &uid, &gid), -1,
                     "a closed descriptor");
    TK_ASSERT_INT_EQ(errno, EBADF, "errno for a closed descriptor");
    int lone = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    TK_ASSERT(lone >= 0, "socket: %s", strerror(errno));
    errno = 0;
    TK_ASSERT_INT_EQ(uds_peer_credentials(lone, &pid, &uid, &gid), -1, "an unconnected socket");
    TK_ASSERT_INT_EQ(errno, ENOTCONN, "errno for an unconnected socket");
    close(lone);
}

/* ---- request lines ---------------------------------------------------------- */

/* Sends text on a fresh stream pair, closes the sending end if `then_close`,
 * and reads one line into a buffer of `size` bytes.  Returns what
 * uds_recv_line returned; the line or the reason goes into out. */
static int read_line(const char *text, bool then_close, size_t size, char *out, size_t out_size,
                     int *leftover_sock)
{
    int sv[2];
    make_pair(SOCK_STREAM, sv);
    tk_send(sv[0], text, strlen(text), WAIT_MS);
    if (then_close)
        close(sv[0]);
    char *buf = tk_alloc(size);
    const char *why = NULL;
    int rc = uds_recv_line(sv[1], buf, size, &why);
    if (rc == 0) {
        TK_ASSERT(strlen(buf) < size, "the line overran its buffer");
        snprintf(out, out_size, "%s", buf);
    } else {
        TK_ASSERT(why != NULL, "no reason given");
        snprintf(out, out_size, "%s", why);
    }
    free(buf);
    if (!then_close)
        close(sv[0]);
    if (leftover_sock != NULL)
        *leftover_sock = sv[1];
    else
        close(sv[1]);
    return rc;
}

static void recv_line(void)
{
    char out[128];
    int rest;
    TK_ASSERT_INT_EQ(read_line("codes.txt\nafter", false, 64, out, sizeof out, &rest), 0, "a line");
    TK_ASSERT_STR_EQ(out, "codes.txt", "the line, without its newline");
    char after[16] = "";
    size_t got = tk_recv(rest, after, 5, WAIT_MS);
    TK_ASSERT_BYTES_EQ(after, got, "after", 5, "what follows the newline stays in the socket");
    close(rest);

    TK_ASSERT_INT_EQ(read_line("\n", false, 64, out, sizeof out, NULL), 0, "an empty line");
    TK_ASSERT_STR_EQ(out, "", "an empty line");
    TK_ASSERT_INT_EQ(read_line("1234567\n", false, 8, out, sizeof out, NULL), 0, "size - 1 bytes");
    TK_ASSERT_STR_EQ(out, "1234567", "the longest line that fits");
    TK_ASSERT_INT_EQ(read_line("12345678\n", false, 8, out, sizeof out, NULL), -1, "size bytes");
    TK_ASSERT_STR_EQ(out, "line too long", "one byte too many");
    TK_ASSERT_INT_EQ(read_line("\n", false, 1, out, sizeof out, NULL), 0, "size 1, empty line");
    TK_ASSERT_INT_EQ(read_line("x\n", false, 1, out, sizeof out, NULL), -1, "size 1, one byte");
    TK_ASSERT_STR_EQ(out, "line too long", "size 1 holds only the empty line");
    TK_ASSERT_INT_EQ(read_line("no newline", true, 64, out, sizeof out, NULL), -1, "cut short");
    TK_ASSERT_STR_EQ(out, "no newline before the end", "end of stream mid-line");
    TK_ASSERT_INT_EQ(read_line("", true, 64, out, sizeof out, NULL), -1, "nothing at all");
    TK_ASSERT_STR_EQ(out, "no newline before the end", "end of stream at once");

    /* SO_RCVTIMEO runs out. */
    int sv[2];
    make_pair(SOCK_STREAM, sv);
    struct timeval limit = {.tv_sec = 0, .tv_usec = 100000};
    TK_ASSERT(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) == 0,
              "SO_RCVTIMEO: %s", strerror(errno));
    tk_send(sv[0], "slow", 4, WAIT_MS);
    char buf[64];
    const char *why = NULL;
    TK_ASSERT_INT_EQ(uds_recv_line(sv[1], buf, sizeof buf, &why), -1, "a silent peer");
    TK_ASSERT_STR_EQ(why != NULL ? why : "(none)", "request timed out", "the reason");
    close(sv[0]);
    close(sv[1]);

    /* Any other error: strerror(errno). */
    int p[2];
    make_pipe(p);
    why = NULL;
    TK_ASSERT_INT_EQ(uds_recv_line(p[0], buf, sizeof buf, &why), -1, "a pipe");
    TK_ASSERT_STR_EQ(why != NULL ? why : "(none)", strerror(ENOTSOCK), "the reason for a pipe");
    close(p[0]);
    close(p[1]);
}

/* ---- waiting and accepting -------------------------------------------------- */

static void wait_readable(void)
{
    int sv[2], stop[2];
    make_pair(SOCK_STREAM, sv);
    make_pipe(stop);

    tk_send(sv[0], "x", 1, WAIT_MS);
    TK_ASSERT_INT_EQ(uds_wait_readable(sv[1], stop[0]), 1, "data waiting");
    char c;
    TK_ASSERT_INT_EQ(read(sv[1], &c, 1), 1, "the byte");

    close(sv[0]);
    TK_ASSERT_INT_EQ(uds_wait_readable(sv[1], stop[0]), 1, "end of stream counts as readable");

    TK_ASSERT_INT_EQ(write(stop[1], "s", 1), 1, "the stop signal");
    TK_ASSERT_INT_EQ(uds_wait_readable(sv[1], stop[0]), 0, "a stop wins over readable data");
    close(sv[1]);

    /* poll() failing: more descriptors (2) than RLIMIT_NOFILE (1). */
    make_pair(SOCK_STREAM, sv);
    struct rlimit saved, one;
    TK_ASSERT(getrlimit(RLIMIT_NOFILE, &saved) == 0, "getrlimit: %s", strerror(errno));
    one = saved;
    one.rlim_cur = 1;
    TK_ASSERT(setrlimit(RLIMIT_NOFILE, &one) == 0, "setrlimit: %s", strerror(errno));
    errno = 0;
    int rc = uds_wait_readable(sv[1], stop[0]);
    int poll_errno = errno;
    TK_ASSERT(setrlimit(RLIMIT_NOFILE, &saved) == 0, "setrlimit back: %s", strerror(errno));
    TK_ASSERT(rc == -1 && poll_errno == EINVAL, "poll() failing: %d (%s)", rc, strerror(poll_errno));

    /* A closed descriptor is neither readable nor a stop (poll's POLLNVAL). */
    errno = 0;
    TK_ASSERT_INT_EQ(uds_wait_readable(sv[1], closed_descriptor()), -1, "a closed stop descriptor");
    TK_ASSERT_INT_EQ(errno, EBADF, "errno for a closed stop descriptor");
    errno = 0;
    TK_ASSERT_INT_EQ(uds_wait_readable(closed_descriptor(), stop[0]), -1, "a closed descriptor");
    TK_ASSERT_INT_EQ(errno, EBADF, "errno for a closed descriptor");
    close(sv[0]);
    close(sv[1]);
    close(stop[0]);
    close(stop[1]);
}

static void accept_until_stopped(void)
{
    const char *path = tk_unix_path("accept.sock");
    struct sockaddr_un addr;
    socklen_t len = tk_unix_address(path, &addr);
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    TK_ASSERT(listener >= 0 && bind(listener, (struct sockaddr *)&addr, len) == 0 &&
                  listen(listener, 4) == 0, "listening on %s: %s", path, strerror(errno));
    int stop[2];
    make_pipe(stop);

    /* A client waiting in the queue (a Unix connect completes at once). */
    int client = tk_unix_connect(path, SOCK_STREAM);
    int stopped = 7;
    int conn = uds_accept_until_stopped(listener, stop[0], &stopped);
    TK_ASSERT(conn >= 0, "accept: %s", strerror(errno));
    TK_ASSERT_INT_EQ(stopped, 0, "*stopped after a connection");
    assert_credentials_are_mine(conn, "the accepted connection");
    tk_send(client, "hello", 5, WAIT_MS);
    char buf[8];
    TK_ASSERT_BYTES_EQ(buf, tk_recv(conn, buf, 5, WAIT_MS), "hello", 5, "through the connection");
    close(conn);
    close(client);

    /* The stop signal. */
    TK_ASSERT_INT_EQ(write(stop[1], "s", 1), 1, "the stop signal");
    TK_ASSERT_INT_EQ(uds_accept_until_stopped(listener, stop[0], &stopped), -1, "stopped");
    TK_ASSERT_INT_EQ(stopped, 1, "*stopped after the stop signal");
    close(stop[0]);
    close(stop[1]);
    make_pipe(stop);

    /* accept() failing: a socket that does not listen (poll reports it
     * hung up, so the wait ends at once, and accept says EINVAL). */
    int idle = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    TK_ASSERT(idle >= 0, "socket: %s", strerror(errno));
    stopped = 7;
    errno = 0;
    TK_ASSERT_INT_EQ(uds_accept_until_stopped(idle, stop[0], &stopped), -1, "not listening");
    TK_ASSERT_INT_EQ(stopped, 0, "*stopped after an error");
    TK_ASSERT_INT_EQ(errno, EINVAL, "errno for a socket that does not listen");
    close(idle);
    close(stop[0]);
    close(stop[1]);
    close(listener);
}

/* Signals that interrupt a blocked call (EINTR) are retried, not reported:
 * each call below blocks until the fifth interruption brings its data. */
static void interrupted_calls(void)
{
    int sv[2], stop[2];
    make_pair(SOCK_STREAM, sv);
    make_pipe(stop);

    start_interrupting(sv[0], "x");
    char buf[16];
    int fd = 42;
    ssize_t n = uds_recv_fd(sv[1], buf, sizeof buf, &fd);
    stop_interrupting();
    TK_ASSERT_INT_EQ(n, 1, "uds_recv_fd through the interruptions");
    TK_ASSERT_INT_EQ(fd, -1, "no descriptor");

    start_interrupting(sv[0], "line\n");
    const char *why = "(none)";
    int rc = uds_recv_line(sv[1], buf, sizeof buf, &why);
    stop_interrupting();
    TK_ASSERT(rc == 0, "uds_recv_line through the interruptions: %s", why);
    TK_ASSERT_STR_EQ(buf, "line", "the line");

    start_interrupting(stop[1], "s");
    rc = uds_wait_readable(sv[1], stop[0]);
    stop_interrupting();
    TK_ASSERT_INT_EQ(rc, 0, "uds_wait_readable through the interruptions");

    close(sv[0]);
    close(sv[1]);
    close(stop[0]);
    close(stop[1]);
}

static const struct tk_case cases[] = {
    {"lib.one-descriptor", one_descriptor},
    {"lib.several-descriptors", several_descriptors},
    {"lib.data-without-descriptor", data_without_descriptor},
    {"lib.control-truncated", control_truncated},
    {"lib.two-descriptors-fit", two_descriptors_fit},
    {"lib.no-descriptor-number-left", no_descriptor_number_left},
    {"lib.peer-closed", peer_closed},
    {"lib.split-and-cut", split_and_cut},
    {"lib.send-receive-errors", send_and_receive_errors},
    {"lib.credentials-stream", credentials_stream},
    {"lib.credentials-datagram", credentials_datagram},
    {"lib.credentials-errors", credentials_errors},
    {"lib.recv-line", recv_line},
    {"lib.wait-readable", wait_readable},
    {"lib.accept-until-stopped", accept_until_stopped},
    {"lib.interrupted-calls", interrupted_calls},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return tk_main(argc, argv, cases);
}

/* serve.c - see serve.h. */
#include "serve.h"

#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void serve_parse_args(int argc, char **argv, const char *usage_text,
                      const char **host, const char **port)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(usage_text, stdout);
        exit(0);
    }
    if (argc < 2 || argc > 3 || argv[1][0] == '-') {
        fputs(usage_text, stderr);
        exit(2);
    }
    *host = argc == 3 ? argv[1] : "127.0.0.1";
    *port = argv[argc - 1];
}

/* The descriptor kept in reserve for serve_accept(), -1 while none is open. */
static int spare_fd = -1;

static void open_spare(void)
{
    if (spare_fd < 0)
        spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int serve_listen(const char *program, const char *host, const char *port)
{
    int listener = net_listen_or_exit(program, host, port, SOCK_STREAM);
    open_spare();
    return listener;
}

int serve_set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static int accept_once(int listener)
{
    int fd;
    do
        fd = accept(listener, NULL, NULL);
    while (fd < 0 && errno == EINTR);
    return fd;
}

/* Out of descriptors: the connection at the head of the queue stays there,
 * and the listener stays readable, so a loop that only retried would spin
 * at full speed doing nothing.  Take it and let it go instead. */
static void shed_one_connection(int listener)
{
    if (spare_fd < 0) {
        /* No reserve to give up: wait a little rather than spin. */
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
        open_spare();
        return;
    }
    close(spare_fd);
    spare_fd = -1;
    int fd = accept_once(listener);
    if (fd >= 0)
        close(fd);
    open_spare();
}

int serve_accept(int listener, int nonblocking)
{
    open_spare();
    int fd = accept_once(listener);
    if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE) {
            shed_one_connection(listener);
            errno = EMFILE;
        }
        return -1;
    }
    /* Every server here sends each reply as soon as it has it, whole.
     * Nagle's algorithm would hold back a small last piece until the
     * previous one is acknowledged, and the receiver delays that
     * acknowledgement: 40 ms lost on every large message. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (nonblocking && serve_set_nonblocking(fd) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* ---- the self-pipe ---------------------------------------------------------- */

static int stop_pipe[2] = {-1, -1};

/* Runs in the middle of whatever the program was doing: only
 * async-signal-safe calls here, and errno must be left as it was. */
static void note_stop_signal(int signo)
{
    int saved = errno;
    unsigned char byte = (unsigned char)signo;
    /* If the pipe is full, a stop is already pending: losing this byte
     * loses nothing. */
    ssize_t n = write(stop_pipe[1], &byte, 1);
    (void)n;
    errno = saved;
}

int serve_stop_pipe(const char *program)
{
    if (pipe(stop_pipe) < 0 || serve_set_nonblocking(stop_pipe[0]) < 0 ||
        serve_set_nonblocking(stop_pipe[1]) < 0 ||
        fcntl(stop_pipe[0], F_SETFD, FD_CLOEXEC) < 0 ||
        fcntl(stop_pipe[1], F_SETFD, FD_CLOEXEC) < 0) {
        fprintf(stderr, "%s: creating the signal pipe: %s\n", program, strerror(errno));
        exit(1);
    }

    struct sigaction ignore = {0};
    struct sigaction note = {0};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, NULL);
    note.sa_handler = note_stop_signal;
    sigemptyset(&note.sa_mask);
    note.sa_flags = SA_RESTART;
    sigaction(SIGINT, &note, NULL);
    sigaction(SIGTERM, &note, NULL);
    return stop_pipe[0];
}

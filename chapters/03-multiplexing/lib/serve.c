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
    net_parse_server_args(argc, argv, usage_text, host, port);
}

int serve_listen(const char *program, const char *host, const char *port)
{
    return net_listen_or_exit(program, host, port, SOCK_STREAM);
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
    if (pipe(stop_pipe) < 0 || net_set_nonblocking(stop_pipe[0]) < 0 ||
        net_set_nonblocking(stop_pipe[1]) < 0 ||
        fcntl(stop_pipe[0], F_SETFD, FD_CLOEXEC) < 0 ||
        fcntl(stop_pipe[1], F_SETFD, FD_CLOEXEC) < 0) {
        fprintf(stderr, "%s: creating the signal pipe: %s\n", program, strerror(errno));
        exit(1);
    }

    struct sigaction note = {0};
    net_ignore_sigpipe();
    note.sa_handler = note_stop_signal;
    sigemptyset(&note.sa_mask);
    note.sa_flags = SA_RESTART;
    sigaction(SIGINT, &note, NULL);
    sigaction(SIGTERM, &note, NULL);
    return stop_pipe[0];
}

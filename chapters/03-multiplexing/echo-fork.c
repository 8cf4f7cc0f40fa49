/* echo-fork - the echo server, one process per client.
 *
 *   echo-fork [HOST] PORT
 *
 * Chapter 01's server serves one client at a time: while it is inside
 * echo_stream() for one, the others wait.  This one fork()s after each
 * accept(): the child serves that client with the same echo_stream() and
 * exits, while the parent goes straight back to accept().
 *
 * Its flaw: a whole process per client.  Each costs a fork(), its own
 * memory and a slot in the process table, and processes share nothing, so
 * a feature such as a chat room, where one client's words go to the others,
 * cannot be written this way without more machinery.
 */
#include "echo.h"
#include "net.h"
#include "serve.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: echo-fork [HOST] PORT\n"
    "Echoes every byte back to each TCP client, one process per client.\n"
    "HOST defaults to 127.0.0.1; PORT 0 lets the kernel choose.\n";

/* A child that has exited stays a zombie (state Z in ps) until its parent
 * collects its exit status with wait().  SIGCHLD says that one or more have
 * exited: signals do not queue, so collect every one there is. */
static void reap_children(int signo)
{
    int saved = errno;
    (void)signo;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        continue;
    errno = saved;
}

static void reap_children_on_sigchld(void)
{
    struct sigaction reap = {0};
    reap.sa_handler = reap_children;
    sigemptyset(&reap.sa_mask);
    /* SA_RESTART: an accept() interrupted by SIGCHLD carries on by itself. */
    reap.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &reap, NULL);
}

static void serve_in_child(int listener, int client)
{
    unsigned long long echoed;

    close(listener); /* the child has no use for it */
    /* A reset mid-stream (ECONNRESET, EPIPE) ends only this child. */
    int status = echo_stream(client, &echoed);
    close(client);
    _exit(status == 0 ? 0 : 1);
}

int main(int argc, char **argv)
{
    const char *host, *port;

    serve_parse_args(argc, argv, usage_text, &host, &port);
    net_exit_on_stop_signals();
    reap_children_on_sigchld();
    int listener = serve_listen("echo-fork", host, port);

    for (;;) {
        int client = net_accept(listener, 0);
        if (client < 0)
            continue; /* that connection failed; serve the next */
        pid_t pid = fork();
        if (pid == 0)
            serve_in_child(listener, client);
        if (pid < 0) {
            /* Out of processes (EAGAIN): this client is turned away, and
             * a short pause keeps a flood from spinning the parent. */
            fprintf(stderr, "echo-fork: fork: %s\n", strerror(errno));
            struct timespec pause = {0, 100 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
        /* The child has its own copy of the descriptor; the parent's must
         * go, or the connection would never close. */
        close(client);
    }
}

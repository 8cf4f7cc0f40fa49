/* echo-threads - the echo server, one thread per client.
 *
 *   echo-threads [HOST] PORT
 *
 * echo-fork pays for a whole process per client.  A thread is cheaper: it
 * shares the process's memory and descriptors, so starting one copies
 * nothing, and clients could share state (behind a lock).  Each thread runs
 * chapter 01's echo_stream() on its client, exactly as the child of
 * echo-fork did.
 *
 * Its flaw: still one stack and one kernel thread per client, even for a
 * client that sends nothing for hours.  Ten thousand clients are ten
 * thousand threads, each holding its stack, and the scheduler switches
 * between them to do very little work each.
 */
#include "echo.h"
#include "net.h"
#include "serve.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: echo-threads [HOST] PORT\n"
    "Echoes every byte back to each TCP client, one thread per client.\n"
    "HOST defaults to 127.0.0.1; PORT 0 lets the kernel choose.\n";

/* echo_stream() needs a 16 KiB buffer and little more; the default stack
 * (8 MiB of address space) would be wasted on it a thousand times over. */
#define THREAD_STACK (256 * 1024)

static void *serve_client(void *arg)
{
    int client = (int)(intptr_t)arg;
    unsigned long long echoed;

    /* A reset mid-stream (ECONNRESET, EPIPE) ends only this thread. */
    echo_stream(client, &echoed);
    close(client);
    return NULL;
}

/* Detached: nobody joins the thread, and its resources go when it ends. */
static int start_client_thread(int client)
{
    pthread_attr_t attr;
    pthread_t thread;

    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, THREAD_STACK);
    int rc = pthread_create(&thread, &attr, serve_client, (void *)(intptr_t)client);
    pthread_attr_destroy(&attr);
    return rc;
}

int main(int argc, char **argv)
{
    const char *host, *port;

    serve_parse_args(argc, argv, usage_text, &host, &port);
    net_exit_on_stop_signals();
    int listener = serve_listen("echo-threads", host, port);

    for (;;) {
        int client = net_accept(listener, 0);
        if (client < 0)
            continue; /* that connection failed, or was shed: see serve.h */
        int rc = start_client_thread(client);
        if (rc != 0) {
            /* Out of threads or memory (EAGAIN): turn this client away. */
            fprintf(stderr, "echo-threads: pthread_create: %s\n", strerror(rc));
            close(client);
            struct timespec pause = {0, 100 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
    }
}

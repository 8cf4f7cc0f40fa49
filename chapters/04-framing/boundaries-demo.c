/* boundaries-demo - shows that TCP keeps no message boundaries.
 *
 *   boundaries-demo glue     two send() calls arrive as one recv()
 *   boundaries-demo split    one large send() arrives as many recv() calls
 *
 * Both ends are in this one process, connected over loopback: a listening
 * socket on a port the kernel picks, a client connected to it, and the
 * accepted connection.  What one side sends as "messages", the other side
 * receives as bytes, cut wherever the kernel happened to cut them.
 */
#include "net.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SPLIT_SIZE (1024 * 1024)
/* The receiver's buffer is kept small, so that even on loopback, where a
 * segment can be 64 KiB, the large send cannot arrive in one piece. */
#define SPLIT_RCVBUF (64 * 1024)

static void usage(FILE *to, int status)
{
    fprintf(to, "usage: boundaries-demo glue|split\n"
                "  glue   two send() calls of 5 bytes, then one recv()\n"
                "  split  one send() of 1 MiB, then recv() until it is all in\n");
    exit(status);
}

static void die(const char *what)
{
    fprintf(stderr, "boundaries-demo: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* A connected pair over loopback: *sender is the client, *receiver the
 * server's end.  rcvbuf > 0 sets the receiving side's buffer size. */
static void connect_pair(int *sender, int *receiver, int rcvbuf)
{
    char err[NET_ERR_LEN], where[NET_ADDR_LEN];

    int listener = net_listen("127.0.0.1", "0", SOCK_STREAM, err);
    if (listener < 0) {
        fprintf(stderr, "boundaries-demo: %s\n", err);
        exit(1);
    }
    /* Set on the listener, the size is inherited by accepted sockets. */
    if (rcvbuf > 0 &&
        setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0)
        die("setting SO_RCVBUF");
    if (net_local_address(listener, where, sizeof where) < 0)
        die("getsockname");
    const char *port = strrchr(where, ':') + 1;
    *sender = net_connect("127.0.0.1", port, SOCK_STREAM, err);
    if (*sender < 0) {
        fprintf(stderr, "boundaries-demo: %s\n", err);
        exit(1);
    }
    do
        *receiver = accept(listener, NULL, NULL);
    while (*receiver < 0 && errno == EINTR);
    if (*receiver < 0)
        die("accept");
    close(listener);
}

static void pause_ms(long ms)
{
    struct timespec t = {ms / 1000, ms % 1000 * 1000000L};
    while (nanosleep(&t, &t) < 0 && errno == EINTR)
        continue;
}

/* Two messages, two send() calls; the receiver is busy for a moment, and
 * when it calls recv() both are waiting, glued together. */
static void glue(void)
{
    int sender, receiver;
    char buf[64];

    connect_pair(&sender, &receiver, 0);
    if (net_send_all(sender, "hello", 5) < 0 || net_send_all(sender, "world", 5) < 0)
        die("send");
    printf("sent \"hello\" and \"world\" with two send() calls of 5 bytes\n");
    pause_ms(100);
    ssize_t n;
    do
        n = recv(receiver, buf, sizeof buf, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        die("recv");
    printf("one recv() returned %zd bytes: \"%.*s\"\n", n, (int)n, buf);
    close(sender);
    close(receiver);
}

struct big_send {
    int fd;
    const char *data;
    ssize_t result;
    int error;
};

/* A blocking send() of 1 MiB returns only once the receiver has made room,
 * so it runs in a thread of its own while the main thread receives. */
static void *send_big(void *arg)
{
    struct big_send *s = arg;
    s->result = net_send_all(s->fd, s->data, SPLIT_SIZE);
    s->error = errno;
    return NULL;
}

static void split(void)
{
    int sender, receiver;
    char *data = calloc(1, SPLIT_SIZE), *buf = malloc(SPLIT_SIZE);
    if (data == NULL || buf == NULL)
        die("allocating 1 MiB");

    connect_pair(&sender, &receiver, SPLIT_RCVBUF);
    struct big_send s = {sender, data, 0, 0};
    pthread_t thread;
    int rc = pthread_create(&thread, NULL, send_big, &s);
    if (rc != 0) {
        errno = rc;
        die("pthread_create");
    }
    printf("sending %d bytes with one send() call\n", SPLIT_SIZE);

    size_t total = 0, calls = 0;
    printf("recv() returned:");
    while (total < SPLIT_SIZE) {
        ssize_t n = recv(receiver, buf, SPLIT_SIZE - total, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die("recv");
        total += (size_t)n;
        if (++calls <= 8)
            printf(" %zd", n);
    }
    printf("%s bytes\n", calls > 8 ? " ..." : "");
    printf("%zu recv() calls for one send() of %zu bytes\n", calls, total);
    pthread_join(thread, NULL);
    if (s.result < 0) {
        errno = s.error;
        die("send");
    }
    close(sender);
    close(receiver);
    free(data);
    free(buf);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, 0);
    if (argc != 2)
        usage(stderr, 2);
    if (strcmp(argv[1], "glue") == 0)
        glue();
    else if (strcmp(argv[1], "split") == 0)
        split();
    else
        usage(stderr, 2);
    return 0;
}

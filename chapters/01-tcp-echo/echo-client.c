/* echo-client - sends one message to an echo server and prints the echo.
 *
 *   echo-client HOST PORT MESSAGE...
 *
 * The words of MESSAGE are joined by single spaces and sent; the client then
 * reads back exactly as many bytes as it sent, prints them and a newline.
 */
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *to, int status)
{
    fprintf(to, "usage: echo-client HOST PORT MESSAGE...\n"
                "Sends MESSAGE to a TCP echo server and prints what comes back.\n");
    exit(status);
}

/* Joins the words with single spaces, as a shell user expects. */
static char *join_words(int count, char **words, size_t *len)
{
    size_t total = 0;
    for (int i = 0; i < count; i++)
        total += strlen(words[i]) + 1;

    char *message = malloc(total);
    if (message == NULL)
        return NULL;
    char *end = message;
    for (int i = 0; i < count; i++) {
        if (i > 0)
            *end++ = ' ';
        size_t n = strlen(words[i]);
        memcpy(end, words[i], n);
        end += n;
    }
    *len = (size_t)(end - message);
    return message;
}

/* Sends the message and reads its echo into reply (len bytes). */
static int exchange(int server, const char *message, char *reply, size_t len)
{
    if (net_send_all(server, message, len) < 0) {
        fprintf(stderr, "echo-client: sending: %s\n", strerror(errno));
        return -1;
    }
    ssize_t got = net_recv_exact(server, reply, len);
    if (got < 0) {
        fprintf(stderr, "echo-client: receiving: %s\n", strerror(errno));
        return -1;
    }
    if ((size_t)got < len) {
        fprintf(stderr, "echo-client: receiving: server closed the connection "
                        "after %zd of %zu bytes\n", got, len);
        return -1;
    }
    return 0;
}

/* Connects, exchanges the message, and prints the echo and a newline. */
static int echo_once(const char *host, const char *port, const char *message,
                     char *reply, size_t len)
{
    char err[NET_ERR_LEN];

    int server = net_connect(host, port, SOCK_STREAM, err);
    if (server < 0) {
        fprintf(stderr, "echo-client: %s\n", err);
        return -1;
    }
    int rc = exchange(server, message, reply, len);
    close(server); /* nothing is left to send, so close() cannot lose data */
    if (rc < 0)
        return -1;
    reply[len] = '\n';
    if (fwrite(reply, 1, len + 1, stdout) != len + 1 || fflush(stdout) != 0) {
        fprintf(stderr, "echo-client: writing the reply: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    size_t len = 0;

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, 0);
    if (argc < 4)
        usage(stderr, 2);

    char *message = join_words(argc - 3, argv + 3, &len);
    char *reply = message == NULL ? NULL : malloc(len + 1);
    int status = 1;
    if (reply == NULL)
        fprintf(stderr, "echo-client: allocating the message: %s\n",
                strerror(ENOMEM));
    else if (echo_once(argv[1], argv[2], message, reply, len) == 0)
        status = 0;
    free(message);
    free(reply);
    return status;
}

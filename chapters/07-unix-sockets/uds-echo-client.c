/* uds-echo-client - sends one message to a Unix socket echo server.
 *
 *   uds-echo-client [-t MS] PATH MESSAGE...
 *
 * Chapter 01's echo-client with a path (or "@name") instead of a host and a
 * port: the words are joined by single spaces and sent, and exactly as many
 * bytes are read back and printed with a newline.  No wait lasts longer
 * than MS milliseconds (default 5000): not the connection (which waits while
 * the server's accept queue is full), not a send, not the echo.
 */
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 5000

static void usage(FILE *to, int status)
{
    fprintf(to, "usage: uds-echo-client [-t MS] PATH MESSAGE...\n"
                "Sends MESSAGE to a Unix socket echo server at PATH (\"@name\": an\n"
                "abstract name) and prints what comes back.\n"
                "  -t MS  give up on any wait (connecting, sending, the echo) after\n"
                "         MS milliseconds (default %d)\n",
            DEFAULT_TIMEOUT_MS);
    exit(status);
}

/* The reason a call on the socket failed: a timeout says so in words. */
static const char *failure(long timeout_ms)
{
    static char text[64];
    if (errno != EAGAIN && errno != EWOULDBLOCK)
        return strerror(errno);
    snprintf(text, sizeof text, "no progress within %ld ms", timeout_ms);
    return text;
}

/* The words go out one by one with a space between them: the server
 * sees one stream of bytes either way. */
static int send_words(int server, int count, char **words)
{
    for (int i = 0; i < count; i++) {
        if ((i > 0 && net_send_all(server, " ", 1) < 0) ||
            net_send_all(server, words[i], strlen(words[i])) < 0)
            return -1;
    }
    return 0;
}

static size_t joined_length(int count, char **words)
{
    size_t total = (size_t)count - 1;
    for (int i = 0; i < count; i++)
        total += strlen(words[i]);
    return total;
}

/* Sends the words, reads their echo into reply (len bytes), prints it. */
static int echo_once(int server, int count, char **words, char *reply, size_t len,
                     long timeout_ms)
{
    if (send_words(server, count, words) < 0) {
        fprintf(stderr, "uds-echo-client: sending: %s\n", failure(timeout_ms));
        return -1;
    }
    ssize_t got = net_recv_exact(server, reply, len);
    if (got < 0) {
        fprintf(stderr, "uds-echo-client: receiving: %s\n", failure(timeout_ms));
        return -1;
    }
    if ((size_t)got < len) {
        fprintf(stderr, "uds-echo-client: receiving: server closed the connection "
                        "after %zd of %zu bytes\n", got, len);
        return -1;
    }
    reply[len] = '\n';
    if (fwrite(reply, 1, len + 1, stdout) != len + 1 || fflush(stdout) != 0) {
        fprintf(stderr, "uds-echo-client: writing the reply: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    char err[NET_ERR_LEN];

    long timeout_ms = DEFAULT_TIMEOUT_MS;

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, 0);
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "-t") == 0) {
        timeout_ms = net_parse_number(argv[2], 1, 3600000);
        if (timeout_ms < 0)
            usage(stderr, 2);
        first = 3;
    }
    if (argc - first < 2 || argv[first][0] == '-')
        usage(stderr, 2);

    net_ignore_sigpipe();
    const char *path = argv[first];
    int count = argc - first - 1;
    char **words = argv + first + 1;
    size_t len = joined_length(count, words);
    char *reply = malloc(len + 1);
    if (reply == NULL) {
        fprintf(stderr, "uds-echo-client: allocating the reply: %s\n", strerror(ENOMEM));
        return 1;
    }
    int status = 1;
    int server = net_unix_connect_timeout(path, SOCK_STREAM, timeout_ms, err);
    if (server < 0) {
        fprintf(stderr, "uds-echo-client: %s\n", err);
    } else {
        if (echo_once(server, count, words, reply, len, timeout_ms) == 0)
            status = 0;
        close(server);
    }
    free(reply);
    return status;
}

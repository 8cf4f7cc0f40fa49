/* echo-client - sends one message to an echo server and prints the echo.
 *
 *   echo-client [-t MS] HOST PORT MESSAGE...
 *
 * The words of MESSAGE are joined by single spaces and sent; the client then
 * reads back exactly as many bytes as it sent, prints them and a newline.
 * No wait lasts longer than MS milliseconds (default 5000): not the
 * connection, not a send, not the echo.
 */
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 5000

static void usage(FILE *to, int status)
{
    fprintf(to, "usage: echo-client [-t MS] HOST PORT MESSAGE...\n"
                "Sends MESSAGE to a TCP echo server and prints what comes back.\n"
                "  -t MS  give up on any wait (connecting, sending, the echo) after\n"
                "         MS milliseconds (default %d)\n",
            DEFAULT_TIMEOUT_MS);
    exit(status);
}

/* Bounds every later send() and recv() on fd: one that would wait longer
 * than ms fails with EAGAIN instead (SO_SNDTIMEO, SO_RCVTIMEO). */
static int set_timeouts(int fd, long ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0)
        return -1;
    return 0;
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
static int exchange(int server, const char *message, char *reply, size_t len,
                    long timeout_ms)
{
    if (net_send_all(server, message, len) < 0) {
        fprintf(stderr, "echo-client: sending: %s\n", failure(timeout_ms));
        return -1;
    }
    ssize_t got = net_recv_exact(server, reply, len);
    if (got < 0) {
        fprintf(stderr, "echo-client: receiving: %s\n", failure(timeout_ms));
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
                     char *reply, size_t len, long timeout_ms)
{
    char err[NET_ERR_LEN];

    int server = net_connect_timeout(host, port, SOCK_STREAM, timeout_ms, err);
    if (server < 0) {
        fprintf(stderr, "echo-client: %s\n", err);
        return -1;
    }
    if (set_timeouts(server, timeout_ms) < 0) {
        fprintf(stderr, "echo-client: setting the timeouts: %s\n", strerror(errno));
        close(server);
        return -1;
    }
    int rc = exchange(server, message, reply, len, timeout_ms);
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
    if (argc - first < 3 || argv[first][0] == '-')
        usage(stderr, 2);

    net_ignore_sigpipe();
    char *message = join_words(argc - first - 2, argv + first + 2, &len);
    char *reply = message == NULL ? NULL : malloc(len + 1);
    int status = 1;
    if (reply == NULL)
        fprintf(stderr, "echo-client: allocating the message: %s\n",
                strerror(ENOMEM));
    else if (echo_once(argv[first], argv[first + 1], message, reply, len, timeout_ms) == 0)
        status = 0;
    free(message);
    free(reply);
    return status;
}

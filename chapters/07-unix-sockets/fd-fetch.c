/* fd-fetch - asks fd-broker for an open file and prints its contents.
 *
 *   fd-fetch PATH NAME
 *
 * Connects to the broker's Unix socket PATH, sends "NAME\n", and receives
 * the reply with recvmsg(): "OK\n" with a descriptor attached, or
 * "ERR reason\n".  Then reads the file through the received descriptor and
 * copies it to stdout.  It never opens NAME itself.
 *
 * Exit status: 0 when the file was copied; 1 on any error (the broker's
 * refusal included), with one line "fd-fetch: what failed: reason".
 */
#include "net.h"
#include "uds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: fd-fetch PATH NAME\n"
    "Asks the fd-broker at the Unix socket PATH to open NAME, receives the\n"
    "open descriptor and copies the file to stdout.\n";

#define REPLY_MAX 300
/* No wait on the broker lasts longer: connecting, sending, the reply. */
#define TIMEOUT_MS 5000

/* Receives the reply line, and the descriptor that came with its first
 * bytes, into reply (REPLY_MAX bytes, NUL-terminated, without the
 * newline).  Returns 0, or -1 after printing the error. */
static int receive_reply(int broker, char *reply, int *file)
{
    size_t got = 0;

    *file = -1;
    /* The descriptor rides on the first byte of the reply; the rest of the
     * line may come in later reads (a stream keeps no boundaries). */
    ssize_t n = uds_recv_fd(broker, reply, REPLY_MAX - 1, file);
    while (n > 0) {
        got += (size_t)n;
        if (memchr(reply, '\n', got) != NULL || got == REPLY_MAX - 1)
            break;
        do
            n = recv(broker, reply + got, REPLY_MAX - 1 - got, 0);
        while (n < 0 && errno == EINTR);
    }
    if (n < 0) {
        if (errno == EMSGSIZE)
            fprintf(stderr, "fd-fetch: receiving the descriptor: ancillary data "
                            "truncated (MSG_CTRUNC)\n");
        else if (errno == EBADMSG)
            fprintf(stderr, "fd-fetch: receiving the descriptor: more than one came\n");
        else
            fprintf(stderr, "fd-fetch: receiving the reply: %s\n",
                    errno == EAGAIN ? "no reply within 5000 ms" : strerror(errno));
        return -1;
    }
    char *nl = memchr(reply, '\n', got);
    if (nl == NULL) {
        fprintf(stderr, "fd-fetch: receiving the reply: %s\n",
                n == 0 ? "the broker closed the connection" : "no newline");
        return -1;
    }
    *nl = '\0';
    return 0;
}

/* Copies everything the descriptor reads to stdout. */
static int copy_out(int file)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(file, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "fd-fetch: reading the received file: %s\n", strerror(errno));
            return -1;
        }
        if (n == 0)
            return 0;
        if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
            fprintf(stderr, "fd-fetch: writing: %s\n", strerror(errno));
            return -1;
        }
    }
}

static int fetch(int broker, const char *name)
{
    char reply[REPLY_MAX];
    int file;

    if (net_send_all(broker, name, strlen(name)) < 0 || net_send_all(broker, "\n", 1) < 0) {
        fprintf(stderr, "fd-fetch: sending the request: %s\n", strerror(errno));
        return -1;
    }
    if (receive_reply(broker, reply, &file) < 0) {
        if (file >= 0)
            close(file);
        return -1;
    }
    if (strcmp(reply, "OK") != 0 || file < 0) {
        if (file >= 0)
            close(file);
        fprintf(stderr, "fd-fetch: %s: %s\n", name,
                strncmp(reply, "ERR ", 4) == 0 ? reply + 4
                : file < 0                     ? "no descriptor came with the reply"
                                               : "unexpected reply");
        return -1;
    }
    int rc = copy_out(file);
    close(file);
    if (rc == 0 && fflush(stdout) != 0) {
        fprintf(stderr, "fd-fetch: writing: %s\n", strerror(errno));
        rc = -1;
    }
    return rc;
}

int main(int argc, char **argv)
{
    char err[NET_ERR_LEN];

    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (argc != 3) {
        fputs(usage_text, stderr);
        return 2;
    }
    int broker = net_unix_connect_timeout(argv[1], SOCK_STREAM, TIMEOUT_MS, err);
    if (broker < 0) {
        fprintf(stderr, "fd-fetch: %s\n", err);
        return 1;
    }
    int rc = fetch(broker, argv[2]);
    close(broker);
    return rc == 0 ? 0 : 1;
}

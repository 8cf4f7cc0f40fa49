/* peercred-client - shows what peercred-server says, and who the server is.
 *
 *   peercred-client PATH
 *
 * Connects to the Unix socket PATH, prints the line the server sends, then
 * a second line with the server's own credentials, which SO_PEERCRED
 * reports on this end of the connection as well (Linux-specific):
 *
 *   pid=P uid=U gid=G user=NAME access=full
 *   server: pid=P uid=U gid=G
 */
#include "net.h"
#include "uds.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: peercred-client PATH\n"
    "Prints the line a peercred-server at the Unix socket PATH sends, and the\n"
    "server's own process, user and group ids.\n";

/* Copies what the server sends, up to its close, to stdout. */
static int copy_reply(int server)
{
    char buf[512];
    for (;;) {
        ssize_t n = recv(server, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "peercred-client: receiving: %s\n",
                    errno == EAGAIN ? "no reply within 5000 ms" : strerror(errno));
            return -1;
        }
        if (n == 0)
            return 0;
        fwrite(buf, 1, (size_t)n, stdout);
    }
}

int main(int argc, char **argv)
{
    char err[NET_ERR_LEN];
    pid_t pid;
    uid_t uid;
    gid_t gid;

    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (argc != 2) {
        fputs(usage_text, stderr);
        return 2;
    }
    /* No wait on the server lasts longer than 5 seconds. */
    int server = net_unix_connect_timeout(argv[1], SOCK_STREAM, 5000, err);
    if (server < 0) {
        fprintf(stderr, "peercred-client: %s\n", err);
        return 1;
    }
    /* The server's credentials were recorded when it called listen(). */
    int rc = uds_peer_credentials(server, &pid, &uid, &gid);
    if (rc < 0)
        fprintf(stderr, "peercred-client: SO_PEERCRED: %s\n", strerror(errno));
    else
        rc = copy_reply(server);
    close(server);
    if (rc < 0)
        return 1;
    printf("server: pid=%d uid=%u gid=%u\n", (int)pid, (unsigned)uid, (unsigned)gid);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "peercred-client: writing: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}

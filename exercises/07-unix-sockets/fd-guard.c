/* fd-guard - opens files for one user only, and hands over the descriptor.
 *
 *   fd-guard PATH DIR UID
 *
 * Exercise 2 of chapter 07: fill in the parts marked TODO.  The protocol of the chapter's fd-broker (and
 * its client, fd-fetch): a client sends a file name and a newline, and gets
 * "OK\n" with an open descriptor of DIR/NAME attached, or "ERR reason\n".
 * But only a client whose user id is UID gets a file; anybody else gets
 * "ERR permission denied".  The user id comes from SO_PEERCRED, so a client
 * cannot claim to be somebody else.  One log line per request:
 *
 *   sent NAME to uid U
 *   refused NAME to uid U: reason
 */
#include "net.h"
#include "serve.h"
#include "uds.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: fd-guard PATH DIR UID\n"
    "Like fd-broker, but hands out descriptors of files in DIR only to clients\n"
    "of the Unix socket PATH whose user id is UID.\n";

static void serve_client(int client, int dir, uid_t allowed)
{
    char name[256] = "";
    const char *why = NULL;
    pid_t pid;
    uid_t uid;
    gid_t gid;

    if (uds_peer_credentials(client, &pid, &uid, &gid) < 0) {
        fprintf(stderr, "fd-guard: SO_PEERCRED: %s\n", strerror(errno));
        return;
    }
    struct timeval limit = {2, 0};
    if (setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) < 0)
        why = strerror(errno);
    else if (uds_recv_line(client, name, sizeof name, &why) == 0 &&
             (name[0] == '\0' || strchr(name, '/') != NULL || strcmp(name, "..") == 0))
        why = "not a file name of this directory";
    /* TODO (exercise 2): the policy.  A client whose uid is not the allowed
     * one gets "permission denied", before the file is even opened. */
    (void)allowed;
    int file = -1;
    if (why == NULL && (file = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        why = strerror(errno);
    if (file >= 0) {
        /* TODO (exercise 2): send "OK\n" with the descriptor attached
         * (uds_send_fd in uds.h); if that fails, why = strerror(errno).
         * Until then the client is told this: */
        why = "not implemented";
        net_send_all(client, "ERR not implemented\n", 20);
        close(file);
    } else {
        char line[300];
        int n = snprintf(line, sizeof line, "ERR %s\n", why);
        net_send_all(client, line, (size_t)n);
    }
    if (why == NULL)
        printf("sent %s to uid %u\n", name, (unsigned)uid);
    else
        printf("refused %s to uid %u: %s\n", name, (unsigned)uid, why);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    long allowed = argc == 4 ? net_parse_number(argv[3], 0, 4294967294L) : -1;
    if (argc != 4 || argv[1][0] == '-' || allowed < 0) {
        fputs(usage_text, stderr);
        return 2;
    }
    const char *path = argv[1];
    int dir = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
        fprintf(stderr, "fd-guard: %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    int stop = serve_stop_pipe("fd-guard");
    int listener = net_unix_listen_or_exit("fd-guard", path, SOCK_STREAM);
    int stopped = 0;
    while (!stopped) {
        int client = uds_accept_until_stopped(listener, stop, &stopped);
        if (client >= 0) {
            serve_client(client, dir, (uid_t)allowed);
            close(client);
        } else if (!stopped) {
            fprintf(stderr, "fd-guard: accept: %s\n", strerror(errno));
        }
    }
    return net_unix_close_listener("fd-guard", listener, path);
}

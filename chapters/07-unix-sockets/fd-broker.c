/* fd-broker - opens files for its clients and hands them the descriptors.
 *
 *   fd-broker PATH DIR
 *
 * A client connects to the Unix socket PATH and sends a file name and a
 * newline.  The broker opens that file of DIR for reading, with its own
 * rights, and sends back "OK\n" with the open descriptor attached
 * (SCM_RIGHTS), or "ERR reason\n" without one.  The client then reads the
 * file through a descriptor it could never have got with open() itself:
 * permissions are checked when a file is opened, never again when the open
 * file is read.
 *
 * The broker serves one client at a time; a client that does not finish
 * its request within two seconds is dropped.  It logs one line per request:
 *
 *   sent NAME to pid P uid U
 *   refused NAME to pid P uid U: reason
 */
#define _GNU_SOURCE /* O_NOFOLLOW is POSIX; struct ucred in uds.c is not */
#include "net.h"
#include "serve.h"
#include "uds.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: fd-broker PATH DIR\n"
    "Listens on the Unix socket PATH; each client sends a file name and a\n"
    "newline, and gets \"OK\" with an open descriptor of DIR/NAME attached,\n"
    "or \"ERR reason\".\n";

#define NAME_MAX_LEN 255
#define REQUEST_TIMEOUT_S 2

/* A bare name of a file in DIR: no "/", so no way out of DIR, and not "."
 * or "..". */
static int acceptable_name(const char *name)
{
    return name[0] != '\0' && strchr(name, '/') == NULL && strcmp(name, ".") != 0 &&
           strcmp(name, "..") != 0;
}

static void reply_error(int client, const char *why)
{
    char line[300];
    int n = snprintf(line, sizeof line, "ERR %s\n", why);
    net_send_all(client, line, (size_t)n); /* the client may be gone: fine */
}

static void serve_client(int client, int dir)
{
    char name[NAME_MAX_LEN + 1] = "";
    const char *why = NULL;
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;

    if (uds_peer_credentials(client, &pid, &uid, &gid) < 0) {
        perror("fd-broker: SO_PEERCRED");
        return;
    }
    /* A client that sends half a name and stops must not hold the broker. */
    struct timeval limit = {REQUEST_TIMEOUT_S, 0};
    if (setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) < 0)
        why = strerror(errno);
    else if (uds_recv_line(client, name, sizeof name, &why) == 0 && !acceptable_name(name))
        why = "not a file name of this directory";
    int file = -1;
    if (why == NULL) {
        file = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (file < 0)
            why = strerror(errno);
    }
    if (why == NULL && uds_send_fd(client, "OK\n", 3, file) < 0)
        why = strerror(errno);
    else if (file < 0)
        reply_error(client, why);
    if (file >= 0)
        close(file); /* the client has its own descriptor now */
    if (why == NULL)
        printf("sent %s to pid %d uid %u\n", name, (int)pid, (unsigned)uid);
    else
        printf("refused %s to pid %d uid %u: %s\n", name, (int)pid, (unsigned)uid, why);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (argc != 3 || argv[1][0] == '-') {
        fputs(usage_text, stderr);
        return 2;
    }
    const char *path = argv[1];
    int dir = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
        fprintf(stderr, "fd-broker: %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    int stop = serve_stop_pipe("fd-broker");
    int listener = net_unix_listen_or_exit("fd-broker", path, SOCK_STREAM);
    int status = 0, stopped = 0;
    while (!stopped) {
        int client = uds_accept_until_stopped(listener, stop, &stopped);
        if (client >= 0) {
            serve_client(client, dir);
            close(client);
        } else if (!stopped) {
            /* One connection failed (or descriptors ran out): say so, pause
             * so that a lasting failure does not spin, and go on. */
            fprintf(stderr, "fd-broker: accept: %s\n", strerror(errno));
            struct timespec pause = {0, 100 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
    }
    if (net_unix_close_listener("fd-broker", listener, path) != 0)
        status = 1;
    return status;
}

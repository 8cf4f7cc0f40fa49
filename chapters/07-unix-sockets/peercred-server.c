/* peercred-server - answers each client according to who it is.
 *
 *   peercred-server PATH
 *
 * For every connection to the Unix socket PATH, asks the kernel who the
 * client is (SO_PEERCRED, Linux-specific: the process id, user id and group
 * id the client had when it connected), sends one line and closes:
 *
 *   pid=P uid=U gid=G user=NAME access=full        (root, or the server's user)
 *   pid=P uid=U gid=G user=NAME access=read-only   (anybody else)
 *
 * The client cannot lie about these numbers: the kernel records them, as
 * it does the owner of a file.  This is how a local daemon (Docker's,
 * systemd's, PostgreSQL's "peer" authentication) knows its callers without
 * passwords.  One line is logged per client, the same line as sent.
 */
#include "net.h"
#include "serve.h"
#include "uds.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: peercred-server PATH\n"
    "Tells each client of the Unix socket PATH who the kernel says it is, and\n"
    "what it may do: access=full for root and the server's own user,\n"
    "access=read-only for anybody else.\n";

static void answer(int client)
{
    pid_t pid;
    uid_t uid;
    gid_t gid;
    char line[256];

    if (uds_peer_credentials(client, &pid, &uid, &gid) < 0) {
        fprintf(stderr, "peercred-server: SO_PEERCRED: %s\n", strerror(errno));
        return;
    }
    const struct passwd *pw = getpwuid(uid); /* NULL: a uid with no name */
    int full = uid == 0 || uid == geteuid();
    int n = snprintf(line, sizeof line, "pid=%d uid=%u gid=%u user=%s access=%s\n",
                     (int)pid, (unsigned)uid, (unsigned)gid, pw != NULL ? pw->pw_name : "?",
                     full ? "full" : "read-only");
    if (net_send_all(client, line, (size_t)n) < 0)
        fprintf(stderr, "peercred-server: sending to pid %d: %s\n", (int)pid, strerror(errno));
    fputs(line, stdout);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *path = net_unix_server_args(argc, argv, usage_text);
    int stop = serve_stop_pipe("peercred-server");
    int listener = net_unix_listen_or_exit("peercred-server", path, SOCK_STREAM);
    int stopped = 0;
    while (!stopped) {
        int client = uds_accept_until_stopped(listener, stop, &stopped);
        if (client >= 0) {
            answer(client);
            close(client);
        } else if (!stopped) {
            fprintf(stderr, "peercred-server: accept: %s\n", strerror(errno));
        }
    }
    return net_unix_close_listener("peercred-server", listener, path);
}

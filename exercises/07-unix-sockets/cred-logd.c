/* cred-logd - a datagram log sink that says who sent each line.
 *
 *   cred-logd PATH
 *
 * Exercise 1 of chapter 07: fill in the parts marked TODO.  Like the chapter's uds-logd, but every line
 * starts with the sender's process and user id, as the kernel vouches for
 * them:
 *
 *   pid=1234 uid=1000: the message
 *
 * With the SO_PASSCRED option set on the receiving socket (Linux-specific),
 * every datagram arrives with a control message of type SCM_CREDENTIALS
 * holding a struct ucred.  The sender cannot forge it: an unprivileged
 * process may only state its own ids, and if it states none, the kernel
 * fills in the real ones.  This is how journald and syslog daemons know which
 * process wrote to /dev/log.
 */
#define _GNU_SOURCE /* struct ucred, SO_PASSCRED, SCM_CREDENTIALS */
#include "net.h"
#include "serve.h"
#include "uds.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: cred-logd PATH\n"
    "Receives datagrams on the Unix socket PATH and prints each as a line\n"
    "\"pid=P uid=U: MESSAGE\" with the sender's credentials.\n";

#define MESSAGE_MAX 2048

/* Asks the kernel to attach the sender's credentials to every datagram. */
static int pass_credentials(int sock)
{
    /* TODO (exercise 1): turn on the socket option SO_PASSCRED (level
     * SOL_SOCKET, an int 1) and return what setsockopt() returns. */
    (void)sock;
    return 0;
}

/* Finds the SCM_CREDENTIALS control message; 0 if there was one. */
static int sender_of(struct msghdr *msg, struct ucred *cred)
{
    /* TODO (exercise 1): walk the control messages with CMSG_FIRSTHDR and
     * CMSG_NXTHDR; the one of level SOL_SOCKET and type SCM_CREDENTIALS,
     * of length CMSG_LEN(sizeof *cred), holds a struct ucred at
     * CMSG_DATA(): copy it into *cred (memcpy: the data may not be aligned
     * for a struct) and return 0. */
    (void)msg;
    (void)cred;
    return -1;
}

static void print_one(int sock)
{
    static char buf[MESSAGE_MAX];
    union {
        char bytes[CMSG_SPACE(sizeof(struct ucred))];
        struct cmsghdr align;
    } control;
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = control.bytes, .msg_controllen = sizeof control.bytes};

    ssize_t n = recvmsg(sock, &msg, MSG_DONTWAIT);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            fprintf(stderr, "cred-logd: recvmsg: %s\n", strerror(errno));
        return;
    }
    size_t len = (size_t)n;
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    struct ucred cred;
    if (sender_of(&msg, &cred) == 0)
        printf("pid=%d uid=%u: ", (int)cred.pid, (unsigned)cred.uid);
    else
        printf("pid=? uid=?: ");
    fwrite(buf, 1, len, stdout);
    putchar('\n');
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *path = net_unix_server_args(argc, argv, usage_text);
    int stop = serve_stop_pipe("cred-logd");
    char err[NET_ERR_LEN];
    int sock = net_unix_listen(path, SOCK_DGRAM, err);
    if (sock < 0) {
        fprintf(stderr, "cred-logd: %s\n", err);
        return 1;
    }
    /* Before the "listening" line: a datagram sent in between would come
     * without credentials. */
    if (pass_credentials(sock) < 0) {
        fprintf(stderr, "cred-logd: SO_PASSCRED: %s\n", strerror(errno));
        net_unix_unlink(path);
        return 1;
    }
    printf("listening on %s\n", path);
    fflush(stdout);
    int ready;
    while ((ready = uds_wait_readable(sock, stop)) > 0)
        print_one(sock);
    if (ready < 0)
        fprintf(stderr, "cred-logd: poll: %s\n", strerror(errno));
    int status = net_unix_close_listener("cred-logd", sock, path);
    return ready < 0 ? 1 : status;
}

/* corrupt-echo - a broken echo server for testing echo-bench.
 *
 *   corrupt-echo flip|close PORT
 *
 * Serves one client at a time on 127.0.0.1.  "flip" echoes every byte but
 * the 1000th of each connection, which comes back with its bits inverted;
 * "close" echoes the first 1000 bytes and then closes the connection.  A
 * client that checks what it gets must notice either.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BAD_OFFSET 1000

static int listen_loopback(const char *port)
{
    struct sockaddr_in addr = {0};
    socklen_t len = sizeof addr;
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((unsigned short)atoi(port));
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 64) < 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
        perror("corrupt-echo");
        exit(1);
    }
    printf("listening on 127.0.0.1:%u\n", (unsigned)ntohs(addr.sin_port));
    fflush(stdout);
    return fd;
}

static void serve(int client, int flip)
{
    char buf[4096];
    size_t offset = 0;
    ssize_t n;

    while ((n = recv(client, buf, sizeof buf, 0)) > 0) {
        size_t len = (size_t)n;
        if (offset <= BAD_OFFSET && BAD_OFFSET < offset + len) {
            if (!flip) { /* send what comes before the cut, then hang up */
                send(client, buf, BAD_OFFSET - offset, MSG_NOSIGNAL);
                return;
            }
            buf[BAD_OFFSET - offset] ^= (char)0xff;
        }
        if (send(client, buf, len, MSG_NOSIGNAL) != n)
            return;
        offset += len;
    }
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "flip") != 0 && strcmp(argv[1], "close") != 0)) {
        fprintf(stderr, "usage: corrupt-echo flip|close PORT\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int listener = listen_loopback(argv[2]);
    for (;;) {
        int client = accept(listener, NULL, NULL);
        if (client < 0)
            continue;
        serve(client, strcmp(argv[1], "flip") == 0);
        close(client);
    }
}

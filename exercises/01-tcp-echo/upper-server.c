/* upper-server - answers every line a client sends with the same line in
 * upper case.  One client at a time, like echo-server.
 *
 *   upper-server [HOST] PORT
 *
 * The work of this exercise is in lines.c: this program is complete and
 * only needs line_reader_next() to work.
 */
#include "lines.h"
#include "net.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: upper-server [HOST] PORT\n"
    "Answers each line with the line in upper case.\n";

/* Sends one line back in upper case, with its newline. */
static int answer(int client, const char *line, size_t len)
{
    char reply[LINE_MAX_LEN + 1];

    /* A line reader that broke its promise must not overrun reply. */
    if (len > LINE_MAX_LEN) {
        errno = EMSGSIZE;
        return -1;
    }
    for (size_t i = 0; i < len; i++)
        reply[i] = (char)toupper((unsigned char)line[i]);
    reply[len] = '\n';
    return net_send_all(client, reply, len + 1) < 0 ? -1 : 0;
}

static void serve_one_client(int client)
{
    static const char too_long[] = "error: line too long\n";
    struct line_reader reader;
    char *line;

    line_reader_init(&reader, client);
    for (;;) {
        ssize_t len = line_reader_next(&reader, &line);
        if (len == LINE_EOF)
            break;
        if (len == LINE_TOO_LONG) {
            /* Nothing sensible can follow half a line: say so and hang up.
             * (Had the client sent still more, close() would find unread
             * bytes and answer with a RST, which can destroy this message
             * in flight; HTTP servers read on for a while before closing,
             * for that reason.) */
            if (net_send_all(client, too_long, sizeof too_long - 1) < 0)
                fprintf(stderr, "upper-server: sending: %s\n", strerror(errno));
            break;
        }
        if (len < 0 || answer(client, line, (size_t)len) < 0) {
            fprintf(stderr, "upper-server: %s\n", strerror(errno));
            break;
        }
    }
    close(client);
}

int main(int argc, char **argv)
{
    const char *host, *port;

    net_parse_server_args(argc, argv, usage_text, &host, &port);
    net_exit_on_stop_signals();
    int listener = net_listen_or_exit("upper-server", host, port, SOCK_STREAM);
    for (;;) {
        int client = accept(listener, NULL, NULL);
        if (client < 0) {
            if (errno != EINTR)
                fprintf(stderr, "upper-server: accepting: %s\n", strerror(errno));
            continue;
        }
        serve_one_client(client);
    }
}

/* lines.c - a line reader for stream sockets (see lines.h). */
#include "lines.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

void line_reader_init(struct line_reader *reader, int fd)
{
    reader->fd = fd;
    reader->start = 0;
    reader->end = 0;
    reader->peer_closed = false;
}

/* Hands out the bytes start..start+len as a line, skipping `skip` more (the
 * newline, when there is one). */
static ssize_t hand_out(struct line_reader *reader, size_t len, size_t skip,
                        char **line)
{
    *line = reader->buf + reader->start;
    reader->start += len + skip;
    return (ssize_t)len;
}

ssize_t line_reader_next(struct line_reader *reader, char **line)
{
    for (;;) {
        size_t held = reader->end - reader->start;

        /* A complete line may already be here from an earlier recv(). */
        char *newline = memchr(reader->buf + reader->start, '\n', held);
        if (newline != NULL)
            return hand_out(reader, (size_t)(newline - (reader->buf + reader->start)),
                            1, line);
        if (reader->peer_closed)
            return held > 0 ? hand_out(reader, held, 0, line) : LINE_EOF;

        /* Move the partial line to the front, to make room behind it. */
        memmove(reader->buf, reader->buf + reader->start, held);
        reader->start = 0;
        reader->end = held;
        if (reader->end == sizeof reader->buf)
            return LINE_TOO_LONG;

        ssize_t n = recv(reader->fd, reader->buf + reader->end,
                         sizeof reader->buf - reader->end, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            reader->peer_closed = true;
        reader->end += (size_t)n;
    }
}

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

/* TODO(exercise 2): hand out the next line, following the contract in
 * lines.h.  The reader's buffer holds the bytes from buf[start] to
 * buf[end - 1] that have arrived but not been handed out yet.  In a loop:
 *
 *   1. If those bytes contain a '\n', hand out the line before it and move
 *      start past the newline.
 *   2. If the peer has closed, hand out what is left as a last line, or
 *      return LINE_EOF if nothing is left.
 *   3. Otherwise move the held bytes to the front of buf (memmove), and if
 *      buf is then full, return LINE_TOO_LONG.
 *   4. recv() more bytes behind them: 0 means the peer closed (remember it),
 *      -1 with EINTR means try again, any other -1 is an error.
 *
 * Test it by hand: run upper-server, then type lines into "nc 127.0.0.1 PORT".
 */
ssize_t line_reader_next(struct line_reader *reader, char **line)
{
    (void)reader;
    (void)line;
    errno = ENOSYS;
    return -1;
}

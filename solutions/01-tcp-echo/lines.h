/* lines.h - reading newline-terminated lines from a stream socket.
 *
 * TCP delivers a byte stream, not lines: one recv() may return half a line,
 * or three lines and the start of a fourth.  A line reader keeps the bytes
 * that have arrived but not yet been handed out, and hands them out one
 * line at a time.
 */
#ifndef LINES_H
#define LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The longest line accepted, not counting its newline. */
#define LINE_MAX_LEN 1024

/* What line_reader_next() returns besides a line length. */
#define LINE_EOF (-2)      /* the peer closed and every line was handed out */
#define LINE_TOO_LONG (-3) /* LINE_MAX_LEN bytes came without a newline */

struct line_reader {
    int fd;
    char buf[LINE_MAX_LEN + 1]; /* a longest line and its newline */
    size_t start;               /* first byte not yet handed out */
    size_t end;                 /* one past the last byte received */
    bool peer_closed;           /* recv() has returned 0 */
};

void line_reader_init(struct line_reader *reader, int fd);

/* Returns the length of the next line, without its newline, and points
 * *line at its first byte inside the reader's buffer (valid until the next
 * call; not NUL-terminated).  A last line that the peer ended by closing the
 * connection instead of with a newline is returned like any other.  Returns
 * LINE_EOF, LINE_TOO_LONG, or -1 with errno set if recv() failed. */
ssize_t line_reader_next(struct line_reader *reader, char **line);

#endif

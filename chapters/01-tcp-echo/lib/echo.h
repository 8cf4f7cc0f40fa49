/* echo.h - the echo service itself, shared by every blocking echo server of
 * the course (chapter 01's, and chapter 03's fork and thread versions). */
#ifndef ECHO_H
#define ECHO_H

/* Sends back every byte that arrives on the connected socket fd until the
 * peer closes its sending side.  Returns 0 at that clean end, or -1 with
 * errno set if the connection failed (ECONNRESET, EPIPE, ...).  Either way
 * *echoed counts the bytes of every chunk that was sent back whole; a chunk
 * cut short by a failure is not counted. */
int echo_stream(int fd, unsigned long long *echoed);

#endif

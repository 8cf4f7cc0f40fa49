/* uds.h - what only Unix domain sockets can do: carry open descriptors from
 * one process to another (SCM_RIGHTS), and tell who is at the other end
 * (SO_PEERCRED).  Written in chapter 07; Linux-specific where it says so.
 *
 * Ancillary ("control") data travels beside the bytes of a message, in a
 * separate buffer handed to sendmsg() and recvmsg().  On a stream socket it
 * is attached to a byte of the stream, so a message that carries a
 * descriptor always carries at least one byte of data too.
 */
#ifndef UDS_H
#define UDS_H

#include <stddef.h>
#include <sys/types.h>

/* Sends len bytes (at least 1) of data with the open descriptor fd
 * attached.  The receiver gets a new descriptor of its own for the same open
 * file; fd stays open here too.  Returns the number of bytes sent (on a
 * stream socket possibly fewer than len; the descriptor went with the
 * first), or -1 with errno set: EINVAL if len is 0, EBADF if fd is not
 * open, EPIPE if the peer has closed (without SIGPIPE). */
ssize_t uds_send_fd(int sock, const void *data, size_t len, int fd);

/* Receives up to len bytes into buf and at most one descriptor into *fd
 * (-1 if the message carried none).  The descriptor arrives with
 * close-on-exec set.  On a stream socket the bytes of a message that do not
 * fit come with the next calls, without the descriptor, and one call never
 * returns the bytes of two messages that carried descriptors; on a datagram
 * or seqpacket socket they are lost.  Returns the number of bytes (0 when
 * the peer has closed), or -1 with errno set.  Two errors are special, and whatever
 * descriptors did arrive with them have been closed:
 *   EMSGSIZE  the ancillary data did not fit in the buffer (MSG_CTRUNC):
 *             the sender attached several descriptors, or this process had
 *             no descriptor number left for one;
 *   EBADMSG   more than one descriptor came, though they fitted. */
ssize_t uds_recv_fd(int sock, void *buf, size_t len, int *fd);

/* Who is at the other end of a connected Unix socket: the process id, user
 * id and group id that the peer had when it called connect() (or
 * socketpair()), as the kernel recorded them; the peer cannot forge them.
 * SO_PEERCRED, Linux-specific.  Returns 0, or -1 with errno set: ENOTCONN
 * if the kernel recorded no peer (a socket not connected, or a datagram
 * socket connected with connect(): only socketpair() gives datagram
 * sockets credentials). */
int uds_peer_credentials(int sock, pid_t *pid, uid_t *uid, gid_t *gid);

/* Reads one request line of at most size - 1 bytes and its "\n", a byte
 * at a time (so nothing after the newline is taken from the socket), into
 * buf, NUL-terminated, without the newline.  Returns 0, or -1 with a reason
 * fit for a reply in *why: "no newline before the end", "line too long",
 * "request timed out" (SO_RCVTIMEO ran out), or strerror(errno). */
int uds_recv_line(int sock, char *buf, size_t size, const char **why);

/* For the single-threaded servers of the chapter: waits until fd or stop_fd
 * (the read end of chapter 03's serve_stop_pipe()) turns readable.  Returns
 * 1 when fd is readable, 0 when a stop signal came, -1 with errno set if
 * poll() failed (EINTR is retried) or, EBADF, if either is not an open
 * descriptor. */
int uds_wait_readable(int fd, int stop_fd);

/* For the blocking servers of the chapter, which serve one client at a time:
 * waits with uds_wait_readable() and accepts.  Returns the new connection;
 * -1 with *stopped set when a stop signal came; -1 with errno set if
 * accept() failed (EINTR is retried). */
int uds_accept_until_stopped(int listener, int stop_fd, int *stopped);

#endif

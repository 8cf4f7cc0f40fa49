/* net.h - the course's small socket helper layer, written in chapter 01.
 *
 * Later chapters link this library instead of repeating the same twenty lines
 * of getaddrinfo() and error handling in every program.
 *
 * Conventions:
 *   - Functions that set up a socket (net_listen, net_connect) return a file
 *     descriptor, or -1 with a one-line description "what failed: reason" in
 *     err, a buffer of NET_ERR_LEN bytes.  A program prints it as
 *     "PROGRAM: what failed: reason", the error format every program of the
 *     course uses.
 *   - Functions that move bytes (net_send_all, net_recv_exact) return a byte
 *     count, or -1 with errno set, like the system calls they wrap.
 *   - EINTR is retried everywhere but in connect(), which cannot simply be
 *     called again (see net.c): a signal that arrives mid-call is not an
 *     error.
 */
#ifndef NET_H
#define NET_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#define NET_ERR_LEN 256

/* Room for the longest "[IPv6]:port" string plus the terminating NUL. */
#define NET_ADDR_LEN (INET6_ADDRSTRLEN + sizeof "[]:65535")

/* Resolves HOST and PORT with getaddrinfo() and returns a socket bound to the
 * first address that works.  SOCK_STREAM sockets get SO_REUSEADDR and are
 * put in the listening state; SOCK_DGRAM sockets are only bound. */
int net_listen(const char *host, const char *port, int socktype, char *err);

/* Resolves HOST and PORT and returns a socket connected to the first address
 * that accepts the connection (for SOCK_DGRAM: the first one that can be
 * set as the default destination). */
int net_connect(const char *host, const char *port, int socktype, char *err);

/* net_connect() with a deadline: gives up after timeout_ms milliseconds in
 * all (every address of the name included) with "...: Connection timed
 * out" in err and errno ETIMEDOUT.  A blocking connect() may otherwise wait
 * for minutes for a host that does not answer.  The socket returned is in
 * blocking mode, as net_connect()'s.  timeout_ms <= 0 means no deadline. */
int net_connect_timeout(const char *host, const char *port, int socktype, long timeout_ms,
                        char *err);

/* The connect of net_connect_timeout() for one address that the caller
 * resolved itself (a program that runs getaddrinfo() in a thread of its
 * own, to bound it too): deadline is a time of net_now_ms().  Returns a
 * blocking socket, or -1 with errno set (ETIMEDOUT when the deadline
 * passed) and "connecting to ADDR: reason" in err. */
struct addrinfo;
int net_connect_address(const struct addrinfo *ai, long long deadline, char *err);

/* Writes ADDR as "192.0.2.1:80" or "[2001:db8::1]:80" into out (at least
 * NET_ADDR_LEN bytes).  Returns out. */
char *net_format_address(const struct sockaddr *addr, char *out, size_t outlen);

/* The address this socket is bound to, and the peer it is connected to,
 * formatted as net_format_address() does.  Return -1 with errno on failure. */
int net_local_address(int fd, char *out, size_t outlen);
int net_peer_address(int fd, char *out, size_t outlen);

/* Prints "listening on ADDR:PORT" for this bound socket, with the port the
 * kernel really chose, and flushes stdout at once so that whoever started the
 * server can read the line without waiting. */
int net_announce_listening(int fd);

/* What every server does first: net_listen(), then net_announce_listening().
 * A server that cannot start has nothing else to do, so on failure this
 * prints "PROGRAM: what failed: reason" on stderr and exits with status 1. */
int net_listen_or_exit(const char *program, const char *host, const char *port,
                       int socktype);

/* Puts fd in nonblocking mode: a call that would wait fails with EAGAIN
 * instead.  Returns 0, or -1 with errno set. */
int net_set_nonblocking(int fd);

/* accept() for a server that must survive running out of descriptors.
 *
 * Returns the new connection, nonblocking if nonblocking is true and with
 * TCP_NODELAY set (replies go out at once, see net.c), or -1 with errno
 * set.  The errors a caller sees:
 *   EAGAIN        nothing is waiting (only on a nonblocking listener);
 *   EMFILE        the process had no descriptor left.  The first connection
 *                 waiting in the queue has been accepted and closed at once
 *                 (its client sees the connection end), so that the queue
 *                 drains instead of staying readable forever;
 *   anything else a failure of that one connection (ECONNABORTED...):
 *                 go on serving.
 * The trick: one descriptor (of /dev/null) is kept open in reserve; when
 * accept() fails with EMFILE it is closed, which makes room for one accept(),
 * and opened again afterwards.  That accept() never waits, even on a
 * blocking listener: if the client that was waiting has gone, nothing is
 * shed, and the next client is served normally. */
int net_accept(int listener, int nonblocking);

/* Sends all LEN bytes, looping over partial sends.  Returns LEN, or -1 with
 * errno set (EPIPE rather than a SIGPIPE when the peer has gone). */
ssize_t net_send_all(int fd, const void *buf, size_t len);

/* Receives exactly LEN bytes, looping over short receives.  Returns LEN, or
 * fewer if the peer closed the connection first, or -1 with errno set. */
ssize_t net_recv_exact(int fd, void *buf, size_t len);

/* Milliseconds on the monotonic clock (which no one can set back), for
 * deadlines. */
long long net_now_ms(void);

/* Reads TEXT, an option's value on a command line, as a whole decimal
 * number from min to max (min >= 0).  Returns it, or -1 if TEXT is anything
 * else: empty, signed, with trailing characters, or out of range. */
long net_parse_number(const char *text, long min, long max);

/* The command line every server of the course shares, [HOST] PORT: reads
 * it into *host (127.0.0.1 when only PORT is given) and *port.  Prints
 * usage_text and exits: on stdout with status 0 for --help, on stderr with
 * status 2 for a wrong command line.  usage_text starts with "usage: ". */
void net_parse_server_args(int argc, char **argv, const char *usage_text,
                           const char **host, const char **port);

/* Ignores SIGPIPE, so that writing to a connection the peer has closed
 * fails with EPIPE instead of killing the program.  Every program that
 * writes to sockets calls it (or a set-up that does) first. */
void net_ignore_sigpipe(void);

/* Signal set-up for the blocking servers of chapters 01 and 02: SIGPIPE is
 * ignored, and SIGINT or SIGTERM end the process at once with status 0. */
void net_exit_on_stop_signals(void);

/* ---- host names without a port (chapter 06) ---- */

/* Resolves HOST alone (ICMP has no ports) to its first address of FAMILY
 * (AF_INET, AF_INET6 or AF_UNSPEC), stored in out with its length in outlen.
 * Returns 0, or -1 with "HOST: reason" in err. */
int net_resolve_host(const char *host, int family, struct sockaddr_storage *out,
                     socklen_t *outlen, char *err);

/* ---- Unix domain sockets (net-unix.c; written in chapter 07) ---------------
 *
 * A NAME is a filesystem path, or "@name" for a Linux abstract socket (its
 * sun_path starts with a NUL byte; no file is made).  A name that does not
 * fit in sun_path (a path of 108 bytes or more) is refused, never
 * truncated.  Errors come in err as for net_listen(), beginning with the
 * NAME: "NAME: Address already in use". */

struct sockaddr_un;

/* Fills *addr and *len for NAME.  Returns 0, or -1 with err set. */
int net_unix_address(const char *name, struct sockaddr_un *addr, socklen_t *len,
                     char *err);

/* A socket of socktype (SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET) bound to
 * NAME, and listening unless it is SOCK_DGRAM.  A socket file left behind by
 * a server that is gone (connecting to it is refused) is removed and the
 * name taken; a name where a server still answers is not.  A file that is
 * not a socket is never removed. */
int net_unix_listen(const char *name, int socktype, char *err);

/* A socket of socktype connected to NAME. */
int net_unix_connect(const char *name, int socktype, char *err);

/* net_unix_connect() with every wait bounded: connect() to a server whose
 * accept queue is full, and every later send() and recv() on the socket,
 * give up after timeout_ms milliseconds with errno EAGAIN (SO_SNDTIMEO and
 * SO_RCVTIMEO, set before connect()).  A connection that timed out reads
 * "connecting to NAME: no progress within N ms". */
int net_unix_connect_timeout(const char *name, int socktype, long timeout_ms, char *err);

/* Writes the name of a Unix socket address of len bytes into out: the
 * path, "@name" for an abstract one, "(unnamed)" for one never bound. */
char *net_unix_format_address(const struct sockaddr_un *addr, socklen_t len,
                              char *out, size_t outlen);

/* Room for the longest name net_unix_format_address() writes. */
#define NET_UNIX_NAME_LEN 112

/* net_unix_listen(), then "listening on NAME" on stdout, flushed; on
 * failure "PROGRAM: NAME: reason" on stderr and exit status 1. */
int net_unix_listen_or_exit(const char *program, const char *name, int socktype);

/* The command line of a Unix socket server, "PROGRAM NAME": returns NAME.
 * Prints usage_text and exits, on stdout with status 0 for --help, on
 * stderr with status 2 for anything else (no NAME, more arguments, an
 * option). */
const char *net_unix_server_args(int argc, char **argv, const char *usage_text);

/* What a Unix socket server does last: closes fd and removes the socket
 * file NAME (net_unix_unlink()).  Returns the exit status: 0, or 1 after
 * printing "PROGRAM: removing NAME: reason". */
int net_unix_close_listener(const char *program, int fd, const char *name);

/* Removes the socket file of a server that is ending (a socket file
 * outlives its socket: the next bind() to the path would fail).  Nothing to
 * do for an abstract name, which goes away with its socket.  Returns 0 (also
 * if the file is already gone), or -1 with errno set. */
int net_unix_unlink(const char *name);

#endif

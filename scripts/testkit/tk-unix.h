/* tk-unix.h - the test kit's helpers for Unix domain sockets (chapter 07).
 *
 * Servers of Unix sockets announce "listening on PATH" instead of
 * "listening on ADDR:PORT"; a path lives in the test's own temporary
 * directory (tk_unix_path), an abstract name carries the test's process id
 * (tk_unix_abstract_name), so that tests running at once never meet.
 */
#ifndef TESTKIT_UNIX_H
#define TESTKIT_UNIX_H

#include "testkit.h"

#include <sys/socket.h>
#include <sys/types.h>

/* "TMPDIR/NAME" in the test's fresh directory (tk_tmpdir()), in a buffer
 * the kit owns (one of a few, reused in turn). */
const char *tk_unix_path(const char *name);

/* "@tk-PID-NAME": an abstract name no other test uses. */
const char *tk_unix_abstract_name(const char *name);

/* Starts a server and waits for its first line of stdout, which must be
 * exactly "listening on NAME" for the NAME given (the last argument of the
 * server's command line, as a rule).  The argument list ends with NULL. */
struct tk_proc *tk_start_unix_server(const char *name, const char *path, ...)
    __attribute__((sentinel));

/* Connects a socket of type (SOCK_STREAM, SOCK_SEQPACKET) to NAME (a path
 * or "@abstract"); fails the test if it cannot. */
int tk_unix_connect(const char *name, int type);

/* The same, but returns -1 with errno set instead of failing. */
int tk_unix_try_connect(const char *name, int type);

/* Fills a sockaddr_un for NAME into addr (at least sizeof(struct
 * sockaddr_un) bytes) and returns its length. */
socklen_t tk_unix_address(const char *name, void *addr);

/* True if NAME exists in the filesystem as a socket. */
bool tk_is_socket_file(const char *path);

/* Runs PATH with the given arguments as user "nobody", through
 * setpriv(1): skips the test (status 77) unless it runs as root and
 * setpriv is there.  Otherwise like tk_start(). */
struct tk_proc *tk_start_as_nobody(const char *path, ...) __attribute__((sentinel));

/* nobody's user id, or skips the test. */
uid_t tk_nobody_uid(void);

#ifndef TESTKIT_INTERNAL
#define tk_unix_path(...) TK_SITE(tk_unix_path(__VA_ARGS__))
#define tk_unix_abstract_name(...) TK_SITE(tk_unix_abstract_name(__VA_ARGS__))
#define tk_start_unix_server(...) TK_SITE(tk_start_unix_server(__VA_ARGS__))
#define tk_unix_connect(...) TK_SITE(tk_unix_connect(__VA_ARGS__))
#define tk_unix_try_connect(...) TK_SITE(tk_unix_try_connect(__VA_ARGS__))
#define tk_unix_address(...) TK_SITE(tk_unix_address(__VA_ARGS__))
#define tk_start_as_nobody(...) TK_SITE(tk_start_as_nobody(__VA_ARGS__))
#define tk_nobody_uid(...) TK_SITE(tk_nobody_uid(__VA_ARGS__))
#endif

#endif

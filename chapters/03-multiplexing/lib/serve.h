/* serve.h - the few lines every server of chapter 03 would otherwise repeat.
 *
 * Chapter 01's net library opens and announces the listening socket; this
 * layer adds what serving many clients at once needs on top of it:
 *
 *   - the command line every server of the chapter shares, [HOST] PORT;
 *   - a self-pipe, so that a single-threaded loop sees SIGINT and SIGTERM as
 *     one more readable descriptor instead of being killed in the middle of
 *     its work.
 */
#ifndef SERVE_H
#define SERVE_H

/* Reads "[HOST] PORT" from the command line: chapter 01's
 * net_parse_server_args(), under the name the servers of chapters 03 to 05
 * know it by. */
void serve_parse_args(int argc, char **argv, const char *usage_text,
                      const char **host, const char **port);

/* Opens the listening socket and prints the "listening on ADDR:PORT" line
 * with chapter 01's net_listen_or_exit(), which exits with an error line if
 * it cannot.  Accept with net_accept(), which survives running out of
 * descriptors. */
int serve_listen(const char *program, const char *host, const char *port);

/* A self-pipe for SIGINT and SIGTERM: installs handlers that write one byte
 * to a pipe and returns the pipe's read end, which becomes readable when a
 * stop signal has arrived.  Also ignores SIGPIPE.  Exits with an error line
 * if the pipe cannot be made. */
int serve_stop_pipe(const char *program);

#endif

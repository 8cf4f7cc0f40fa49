/* evloop.h - the course's event loop: many connections, one thread.
 *
 * Linux-specific: readiness comes from epoll(7), stop signals from
 * signalfd(2), wake-ups from other threads through an eventfd(2).
 *
 * A server hands the loop its listening socket and a table of callbacks.
 * The loop accepts connections, reads what arrives on each into the
 * connection's input buffer and calls on_data; the handler looks at the
 * input, consumes what it understood and queues output.  The loop sends the
 * output when the socket can take it, asking epoll for write readiness only
 * while output is pending.  Nothing in a handler may block: a handler that
 * sleeps stalls every connection of the loop (see ev_post for the way out).
 *
 * Memory per connection is bounded.  While a connection has more than its
 * output limit queued (its client does not read), the loop stops reading
 * from it, so the client's own sends stall in the kernel instead of piling
 * up here; reading resumes once the output has drained.  Likewise the loop
 * stops reading while the unconsumed input reaches the input limit.
 *
 * Besides connections the loop serves timers (of the loop itself, and any
 * number per connection, cancelled when it closes) and watchers, which call
 * a function when a descriptor that is not a stream connection (a datagram
 * or raw socket) becomes readable.  A program can also open connections of
 * its own with ev_connect().
 *
 * End of input is not end of output.  When the peer half-closes, on_eof
 * tells the handler; queued output is still sent and on_drain still runs.
 * Without on_eof the loop closes the connection once its output is done.
 *
 * Bounded work per turn.  One callback must not build an unbounded amount
 * of output: a client that pipelines a thousand requests in one send would
 * otherwise make on_data produce a thousand replies at once.  The rule: a
 * handler that answers requests checks ev_output_full() before each one,
 * and while it is true returns, leaving the remaining requests in the
 * input.  Once the output has drained to the limit again, the loop calls
 * on_data again for the input left, even if no new byte has arrived: in
 * the next round, after the other connections' events, so that one client
 * gets one output's worth of answers per round and never the whole loop.
 *
 * Large messages.  Reading pauses while the unconsumed input is at the
 * input limit (EV_INPUT_LIMIT by default).  A decoder that waits for a
 * whole message bigger than that would wait forever, so it must do one of
 * two things: consume a message in pieces (parse the header, consume it,
 * then consume the payload as it arrives and hand each piece on: the input
 * is a stream, and ev_consume() of part of it is always allowed), or raise
 * the limit with ev_set_limits() to the largest message it accepts whole.
 * A handler that leaves the input full and consumes nothing would stall the
 * connection for ever: the loop closes it instead, with reason EV_FAILED
 * and errno EMSGSIZE, so the mistake shows.
 *
 * The typical server:
 *
 *     static void echo_back(struct ev_conn *c)
 *     {
 *         size_t len;
 *         const char *data = ev_input(c, &len);
 *         ev_write(c, data, len);
 *         ev_consume(c, len);
 *     }
 *
 *     static const struct ev_handlers echo = {.on_data = echo_back};
 *
 *     struct ev_loop *loop = ev_loop_new(err);
 *     ev_listen(loop, listener, &echo, NULL);
 *     ev_run(loop);          // until SIGINT, SIGTERM or ev_stop()
 *     ev_loop_free(loop);    // closes every connection
 */
#ifndef EVLOOP_H
#define EVLOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EV_ERR_LEN 256

struct ev_loop;
struct ev_conn;

/* What a program does with its connections.  Only on_data is required.
 * Every callback runs on the loop's thread. */
struct ev_handlers {
    /* A new connection, before any data: accepted by a listener, added with
     * ev_add(), or connected by ev_connect().  Set up per-connection state
     * here with ev_set_data(), start a timer, queue a greeting. */
    void (*on_open)(struct ev_conn *c);
    /* New bytes have been added to the input buffer.  The handler takes
     * what it can use with ev_input() and ev_consume(); what it leaves stays
     * in the buffer and is seen again, with more after it, next time.
     * See "bounded work" and "large messages" below. */
    void (*on_data)(struct ev_conn *c);
    /* The peer has finished sending (it half-closed, or closed): no more
     * input will come.  Output still flows: what is queued is sent, and
     * on_drain still runs.  The connection stays open until the handler
     * closes it.  If this is NULL, the loop closes the connection once its
     * output has drained and on_drain has queued nothing more. */
    void (*on_eof)(struct ev_conn *c);
    /* All queued output has been sent (useful to produce more of a long
     * reply piece by piece, without holding it all in memory). */
    void (*on_drain)(struct ev_conn *c);
    /* The connection's idle timer (ev_set_timer) expired.  If this is
     * NULL, the loop closes the connection with reason EV_TIMED_OUT. */
    void (*on_timer)(struct ev_conn *c);
    /* The connection is going away; ev_close_reason() says why.  Free
     * per-connection state here.  The connection must not be used after
     * this returns.  A connection of ev_connect() that never opened gets
     * on_close without on_open. */
    void (*on_close)(struct ev_conn *c);
};

/* ---- the loop ---------------------------------------------------------------- */

/* A new loop, or NULL with "what failed: reason" in err (EV_ERR_LEN bytes).
 * Blocks SIGINT and SIGTERM so they arrive as events, and ignores SIGPIPE:
 * create the loop before starting any thread, so every thread inherits the
 * blocked signals. */
struct ev_loop *ev_loop_new(char *err);

/* Runs until SIGINT or SIGTERM arrives or a handler calls ev_stop().
 * Returns 0, or -1 with errno set if epoll itself failed. */
int ev_run(struct ev_loop *loop);

/* Makes ev_run() return after the callbacks of this round. */
void ev_stop(struct ev_loop *loop);

/* Runs the calls still posted (they may carry memory to free), closes
 * every connection (calling on_close) and the listeners, and frees the
 * loop.  Stop the threads that post before calling it. */
void ev_loop_free(struct ev_loop *loop);

/* Accepts connections on the listening socket fd (made nonblocking here)
 * and serves each with the handlers.  server is any pointer the handlers
 * want to reach through ev_server(); the handlers table must outlive the
 * loop.  Running out of descriptors does not spin the loop: see
 * net_accept() in net.h.
 * Returns 0, or -1 with errno set. */
int ev_listen(struct ev_loop *loop, int fd, const struct ev_handlers *h,
              void *server);

/* Adds an already connected socket fd (a client's, or one end of a
 * socketpair) as a connection served with the handlers.  on_open is called
 * before this returns.  Returns the connection, or NULL with errno set (fd
 * is then closed). */
struct ev_conn *ev_add(struct ev_loop *loop, int fd, const struct ev_handlers *h,
                       void *server);

/* Runs fn(arg) on the loop's thread, soon.  The only call of this header
 * that is safe from another thread: a worker thread hands its result back
 * this way.  Returns 0, or -1 with errno set (out of memory). */
int ev_post(struct ev_loop *loop, void (*fn)(void *arg), void *arg);

/* Opens a connection to HOST PORT without blocking the loop: connect() on
 * a nonblocking socket answers EINPROGRESS, and the loop waits for the
 * socket to become writable.  Each address of the name is tried in turn.
 * on_open runs once connected; if every address fails, or timeout_ms (if
 * > 0) passes first, on_close runs instead, without on_open, and
 * ev_close_reason() says why (EV_FAILED with errno ECONNREFUSED...,
 * EV_TIMED_OUT).  The name is resolved with getaddrinfo(), which blocks:
 * give a numeric address when the loop must never wait.  Returns the
 * connection (so the caller can ev_set_data() it at once), or NULL with
 * errno set if not even the attempt could start (out of memory, no
 * descriptor).  A name that does not resolve is reported through on_close,
 * with EV_FAILED and errno EHOSTUNREACH, like any other failure. */
struct ev_conn *ev_connect(struct ev_loop *loop, const char *host, const char *port,
                           const struct ev_handlers *h, void *server, long timeout_ms);

/* Watchers: fn(loop, fd, arg) is called on the loop's thread whenever fd
 * is readable (level-triggered: until it has read what is waiting).  For
 * descriptors that are not stream connections: a datagram or raw socket,
 * a Unix socket that receives descriptors with recvmsg().  The loop makes
 * fd nonblocking but does not own it: ev_unwatch() (allowed inside fn)
 * stops watching and the caller closes fd.  Both return 0, or -1 with errno
 * set (ENOENT: fd was not watched). */
typedef void ev_watch_fn(struct ev_loop *loop, int fd, void *arg);
int ev_watch(struct ev_loop *loop, int fd, ev_watch_fn *fn, void *arg);
int ev_unwatch(struct ev_loop *loop, int fd);

/* Timers of the loop itself (the model is Redis' ae.c): fn(loop, arg) runs
 * once, ms milliseconds from now, and returns the delay in milliseconds
 * until it should run again, or EV_TIMER_DONE (0) to stop.  Returns the
 * timer's id (never 0), or 0 with errno set (out of memory).
 * ev_timer_cancel() stops a timer that has not run for the last time yet,
 * and is allowed inside any callback, fn itself included; it returns 0, or
 * -1 if there is no such timer (any more). */
#define EV_TIMER_DONE 0
typedef long ev_timer_fn(struct ev_loop *loop, void *arg);
uint64_t ev_timer_add(struct ev_loop *loop, long ms, ev_timer_fn *fn, void *arg);
int ev_timer_cancel(struct ev_loop *loop, uint64_t id);

/* ---- a connection -------------------------------------------------------------- */

/* The bytes received and not yet consumed: *len of them at the pointer
 * returned, valid until the handler returns. */
const char *ev_input(struct ev_conn *c, size_t *len);

/* Drops the first n bytes of the input (n at most its length). */
void ev_consume(struct ev_conn *c, size_t n);

/* For line protocols: the length of the first line of the input, its
 * '\n' included, or 0 while it has not arrived whole.  If max bytes have
 * come without a '\n', returns max and sets *too_long (a server answers
 * an error, or passes the line on in pieces); else clears it.  The line is
 * at ev_input(); ev_consume() it when done:
 *     size_t n;
 *     bool too_long;
 *     while ((n = ev_line(c, MAX_LINE, &too_long)) > 0) {
 *         size_t len;
 *         const char *line = ev_input(c, &len);
 *         ... use line[0 .. n) ...
 *         ev_consume(c, n);
 *     } */
size_t ev_line(struct ev_conn *c, size_t max, bool *too_long);

/* Queues len bytes to be sent.  They are copied; the loop sends them when
 * the socket can take them.  A large write (16 KiB or more) is offered to
 * the socket at once, behind what is queued, and only what the socket does
 * not take is copied: a 4 MiB reply is not copied just to be sent.  Either
 * way the caller's bytes may be reused when this returns.  Returns 0, or -1
 * if out of memory (the connection is then closed). */
int ev_write(struct ev_conn *c, const void *data, size_t len);

/* The number of bytes queued and not yet sent. */
size_t ev_output_pending(const struct ev_conn *c);

/* Closes the connection once the output queued so far has been sent;
 * nothing more is read from it, and later writes are discarded.  on_close
 * is called when it is gone, with reason EV_CLOSED_HERE (unless the peer
 * went first). */
void ev_close(struct ev_conn *c);

/* Closes the connection at once with a reset (RST), dropping whatever
 * output is queued, here and in the kernel: for a peer that does not read,
 * or breaks the protocol. */
void ev_close_now(struct ev_conn *c);

/* Starts (or restarts) the connection's idle timer, to fire once in ms
 * milliseconds; 0 stops it.  It calls on_timer (see the handlers). */
void ev_set_timer(struct ev_conn *c, long ms);

/* More timers for one connection, as many as it needs at once (a handshake
 * deadline, keep-alive pings and a close timeout): fn(c, arg) runs once,
 * ms milliseconds from now, and returns the delay until it runs again, or
 * EV_TIMER_DONE.  They are cancelled when the connection closes (before
 * on_close).  The same id rules as ev_timer_add(). */
typedef long ev_conn_timer_fn(struct ev_conn *c, void *arg);
uint64_t ev_conn_timer_add(struct ev_conn *c, long ms, ev_conn_timer_fn *fn, void *arg);
int ev_conn_timer_cancel(struct ev_conn *c, uint64_t id);

/* Swaps the connection's handlers mid-stream: an HTTP connection that
 * becomes a WebSocket after the upgrade.  The new table's on_open is not
 * called.  Input still pending after the call (bytes the client sent
 * right behind its upgrade request) is given to the new on_data: at once
 * if the swap happens inside on_data, else by the end of the loop's round. */
void ev_set_handlers(struct ev_conn *c, const struct ev_handlers *h);
const struct ev_handlers *ev_handlers_of(const struct ev_conn *c);

/* True once the peer has finished sending (on_eof has been called or is
 * about to be): no more input will arrive. */
bool ev_input_ended(const struct ev_conn *c);

/* True while the output queued exceeds the connection's output limit: a
 * handler stops taking requests (see "bounded work" at the top). */
bool ev_output_full(const struct ev_conn *c);

/* Why a connection closed, for on_close (EV_OPEN before that). */
enum ev_reason {
    EV_OPEN,         /* not closed (yet) */
    EV_CLOSED_HERE,  /* this side closed it: ev_close(), ev_close_now() */
    EV_PEER_CLOSED,  /* the peer finished sending, and the loop closed */
    EV_PEER_RESET,   /* the peer reset it (ECONNRESET, EPIPE) */
    EV_TIMED_OUT,    /* the idle timer without on_timer, or ev_connect()'s deadline */
    EV_FAILED,       /* anything else; ev_close_errno() says what */
};
enum ev_reason ev_close_reason(const struct ev_conn *c);
/* The errno that goes with EV_PEER_RESET or EV_FAILED, else 0. */
int ev_close_errno(const struct ev_conn *c);
/* The reason as text for a log line: "closed here", "closed by peer",
 * "reset by peer", "timed out", "failed: Connection refused". */
const char *ev_close_reason_text(const struct ev_conn *c);

/* Per-connection limits: the unconsumed input at which reading pauses,
 * and the queued output above which reading pauses.  Defaults:
 * EV_INPUT_LIMIT and EV_OUTPUT_LIMIT. */
#define EV_INPUT_LIMIT (64 * 1024)
#define EV_OUTPUT_LIMIT (256 * 1024)
void ev_set_limits(struct ev_conn *c, size_t input_limit, size_t output_limit);

/* The handler's own per-connection state, and the server pointer given to
 * ev_listen() or ev_add(). */
void ev_set_data(struct ev_conn *c, void *data);
void *ev_data(const struct ev_conn *c);
void *ev_server(const struct ev_conn *c);
struct ev_loop *ev_loop_of(const struct ev_conn *c);

/* The peer's address as "ADDR:PORT", for log lines. */
const char *ev_peer(struct ev_conn *c);

/* A number that names this connection and no other, ever: a worker thread
 * keeps it instead of a pointer, and the loop turns it back into the
 * connection with ev_find(), which returns NULL once the connection has
 * gone. */
uint64_t ev_id(const struct ev_conn *c);
struct ev_conn *ev_find(struct ev_loop *loop, uint64_t id);

/* Every open connection, in no particular order, for a broadcast:
 *     for (struct ev_conn *c = ev_first(loop); c; c = ev_next(c))
 * Closing a connection during the walk is allowed (it goes later). */
struct ev_conn *ev_first(struct ev_loop *loop);
struct ev_conn *ev_next(const struct ev_conn *c);

#endif

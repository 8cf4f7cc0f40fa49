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

/* What a server does with its connections.  Only on_data is required.
 * Every callback runs on the loop's thread. */
struct ev_handlers {
    /* A new connection, before any data: set up per-connection state here
     * with ev_set_data(), start a timer, queue a greeting. */
    void (*on_open)(struct ev_conn *c);
    /* New bytes have been added to the input buffer.  The handler takes
     * what it can use with ev_input() and ev_consume(); what it leaves stays
     * in the buffer and is seen again, with more after it, next time. */
    void (*on_data)(struct ev_conn *c);
    /* All queued output has been sent (useful to produce more of a long
     * reply piece by piece, without holding it all in memory). */
    void (*on_drain)(struct ev_conn *c);
    /* The connection's timer (ev_set_timer) expired.  If this is NULL, the
     * loop closes the connection: an idle timeout. */
    void (*on_timer)(struct ev_conn *c);
    /* The connection is going away (the peer closed or reset it, or the
     * server closed it); free per-connection state here.  The connection
     * must not be used after this returns. */
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
 * loop.  Running out of descriptors does not spin the loop: see serve.h.
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

/* ---- a connection -------------------------------------------------------------- */

/* The bytes received and not yet consumed: *len of them at the pointer
 * returned, valid until the handler returns. */
const char *ev_input(struct ev_conn *c, size_t *len);

/* Drops the first n bytes of the input (n at most its length). */
void ev_consume(struct ev_conn *c, size_t n);

/* Queues len bytes to be sent.  They are copied; the loop sends them when
 * the socket can take them.  Returns 0, or -1 if out of memory (the
 * connection is then closed). */
int ev_write(struct ev_conn *c, const void *data, size_t len);

/* The number of bytes queued and not yet sent. */
size_t ev_output_pending(const struct ev_conn *c);

/* Closes the connection once the output queued so far has been sent;
 * nothing more is read from it, and later writes are discarded.  on_close
 * is called when it is gone. */
void ev_close(struct ev_conn *c);

/* Closes the connection at once with a reset (RST), dropping whatever
 * output is queued, here and in the kernel: for a peer that does not read,
 * or breaks the protocol. */
void ev_close_now(struct ev_conn *c);

/* Starts (or restarts) the connection's one timer, to fire once in ms
 * milliseconds; 0 stops it. */
void ev_set_timer(struct ev_conn *c, long ms);

/* Per-connection limits: the unconsumed input at which reading pauses,
 * and the queued output above which reading pauses.  Defaults:
 * EV_INPUT_LIMIT and EV_OUTPUT_LIMIT. */
#define EV_INPUT_LIMIT (64 * 1024)
#define EV_OUTPUT_LIMIT (256 * 1024)
void ev_set_limits(struct ev_conn *c, size_t input_limit, size_t output_limit);

/* Serves the connection with other handlers from now on: a protocol that
 * changes mid-stream (HTTP upgraded to WebSocket) hands the connection to
 * its next handler.  on_open of the new table is not called. */
void ev_set_handlers(struct ev_conn *c, const struct ev_handlers *h);

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

/* workers.h - a pool of threads for the work an event loop must not do.
 *
 * A handler that would block (a slow computation, a disk read, a database
 * call) hands the work to the pool and returns at once; a worker thread
 * runs it, then the pool posts it back to the loop with ev_post(), and its
 * done function runs on the loop's thread, the only thread that may touch
 * a connection.  The queue of work waiting for a worker may be bounded: a
 * server that queues without limit only turns overload into ever longer
 * waits and ever more memory.
 *
 *     struct upper { struct work work; uint64_t conn; char line[80]; };
 *
 *     static void run(struct work *w)   // on a worker: the slow part
 *     static void done(struct work *w)  // on the loop: ev_find(), ev_write(), free
 *
 *     u->work = (struct work){.run = run, .done = done};
 *     if (workers_submit(pool, &u->work) < 0)   // EAGAIN: the queue is full
 *
 * Work names its connection by ev_id(), never by pointer: the client may be
 * gone by the time the work is done (ev_find() then returns NULL).
 */
#ifndef WORKERS_H
#define WORKERS_H

#include <stdbool.h>

struct ev_loop;

/* One piece of work; embed it in the program's own structure. */
struct work {
    void (*run)(struct work *w);  /* on a worker thread */
    void (*done)(struct work *w); /* then on the loop's thread: use the
                                   * result and free the work */
    /* Set when done is called for work that never ran: the pool was
     * stopping, or could not post it back (out of memory).  done may then
     * run on any thread, and must only free the work. */
    bool dropped;
    struct work *next; /* the pool's */
};

/* Starts threads workers that post finished work back to loop.  At most
 * queue_limit pieces of work wait for a worker (0: no limit).  Returns the
 * pool, or NULL with "what failed: reason" in err (EV_ERR_LEN bytes).
 * Create the loop first: the threads inherit its blocked signals. */
struct workers *workers_start(struct ev_loop *loop, long threads, long queue_limit,
                              char *err);

/* The number of worker threads (0: the program does its work itself). */
long workers_count(const struct workers *pool);

/* Queues w for a worker.  Returns 0, or -1 with errno EAGAIN (the queue
 * is full: answer "busy", or keep the request for later) or ECANCELED (the
 * pool is stopping); w is then still the caller's. */
int workers_submit(struct workers *pool, struct work *w);

/* Shutting down, in this order:
 *     workers_stop(pool);    // no thread posts to the loop any more
 *     ev_loop_free(loop);    // runs what the workers posted last
 *     workers_free(pool);    // done functions run by ev_loop_free may still
 *                            // have called workers_submit()
 * workers_stop() stops the threads (each finishes the work in hand, which
 * is posted back as usual) and calls done with dropped set for the work
 * still queued; from then on workers_submit() fails with ECANCELED.
 * workers_free() frees the pool. */
void workers_stop(struct workers *pool);
void workers_free(struct workers *pool);

#endif

/* evloop.c - the course's event loop (see evloop.h).  Linux-specific. */
#define _GNU_SOURCE
#include "evloop.h"

#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* How many readiness events one epoll_wait() hands back, how many
 * connections one readable listener yields per round, and how much one
 * recv() may bring in. */
#define MAX_EVENTS 256
#define ACCEPTS_PER_ROUND 64
#define READ_CHUNK (64 * 1024)

/* A write at least this big is offered to the kernel at once (after what
 * is queued) instead of being copied into the output buffer first: copying
 * a 4 MiB message costs as much as sending it.  Smaller writes wait for the
 * end of the round, so the pieces of one reply leave together. */
#define DIRECT_WRITE (16 * 1024)

/* ---- byte buffers ----------------------------------------------------------------
 *
 * Bytes live in data[start..end).  A buffer is allocated on first use, so
 * a connection that never needed one costs none: ten thousand idle
 * connections are ten thousand small structs.  One that empties keeps its
 * memory if it is small (a malloc() and free() per message would cost more
 * than the message) and gives it back if it grew large. */

#define BUFFER_MIN 512
#define BUFFER_KEEP (64 * 1024)

struct buffer {
    char *data;
    size_t start, end, cap;
};

static size_t buffer_len(const struct buffer *b)
{
    return b->end - b->start;
}

static void buffer_free(struct buffer *b)
{
    free(b->data);
    *b = (struct buffer){0};
}

/* Makes room for len more bytes after end; false if out of memory. */
static bool buffer_reserve(struct buffer *b, size_t len)
{
    if (b->cap - b->end >= len)
        return true;
    size_t used = buffer_len(b);
    if (b->start > 0) { /* slide the bytes to the front first */
        memmove(b->data, b->data + b->start, used);
        b->start = 0;
        b->end = used;
        if (b->cap - b->end >= len)
            return true;
    }
    size_t cap = b->cap > 0 ? b->cap * 2 : BUFFER_MIN;
    while (cap < used + len)
        cap *= 2;
    char *grown = realloc(b->data, cap);
    if (grown == NULL)
        return false;
    b->data = grown;
    b->cap = cap;
    return true;
}

static bool buffer_append(struct buffer *b, const void *data, size_t len)
{
    if (!buffer_reserve(b, len))
        return false;
    memcpy(b->data + b->end, data, len);
    b->end += len;
    return true;
}

static void buffer_drop(struct buffer *b, size_t n)
{
    b->start += n;
    if (b->start < b->end)
        return;
    if (b->cap > BUFFER_KEEP)
        buffer_free(b);
    else
        b->start = b->end = 0;
}

/* ---- the loop's structures ---------------------------------------------------------- */

/* What an epoll event points at: a connection, a listener, a watcher, or
 * one of the loop's own descriptors. */
enum source_kind { SOURCE_CONN, SOURCE_LISTENER, SOURCE_WATCH, SOURCE_SIGNAL, SOURCE_WAKEUP };

struct source {
    enum source_kind kind;
    int fd;
};

/* A timer: the loop's own (conn NULL), one of a connection's, or a
 * connection's idle timer (embedded in it, never freed on its own).  All
 * live in one heap, soonest first. */
struct timer {
    long long deadline;  /* in loop milliseconds */
    size_t heap_slot;    /* its place in the heap, or NO_SLOT */
    uint64_t id;
    struct ev_conn *conn;
    ev_timer_fn *loop_fn;
    ev_conn_timer_fn *conn_fn;
    void *arg;
    bool running;        /* its function is being called */
    bool cancelled;      /* cancelled while running: free it afterwards */
    struct timer *prev, *next; /* the owner's list, for cancelling by id */
};

#define NO_SLOT ((size_t)-1)

struct ev_conn {
    struct source src; /* first, so an event's pointer is both */
    struct ev_loop *loop;
    uint64_t id;
    const struct ev_handlers *h;
    void *server, *data;

    struct buffer in, out;
    /* While on_data runs on freshly read bytes, they are still in the
     * loop's read buffer: view points at them (see read_from). */
    const char *view;
    size_t view_len;
    size_t input_limit, output_limit;

    uint32_t events;    /* what epoll is watching for now */
    bool connecting;    /* ev_connect(): not connected yet */
    bool input_ended;   /* the peer has finished sending */
    bool closing;       /* ev_close(): close once the output is sent */
    bool dead;          /* gone; freed at the end of the round */
    bool abort;         /* ev_close_now(): reset, do not deliver the rest */
    bool dirty;         /* on the list of connections to flush */
    bool in_on_data;    /* on_data is running */
    bool held;          /* on_data left input because the output was full */
    bool kick;          /* new handlers: give them the pending input */
    bool resuming;      /* held, output drained: on_data again next round */
    bool sent_direct;   /* ev_write() sent some output itself (see flush) */
    size_t sent_this_round; /* how much of it, since the last flush */
    struct ev_conn *next_dirty, *next_dead, *next_resume;
    struct ev_conn *prev, *next; /* every connection of the loop */

    struct timer idle;      /* ev_set_timer() */
    struct timer *timers;   /* ev_conn_timer_add() */

    enum ev_reason reason;
    int reason_errno;

    /* ev_connect(): the addresses left to try, and the deadline timer. */
    struct addrinfo *addrs, *next_addr;
    uint64_t connect_timer;
    int connect_errno;

    char *peer;         /* formatted on first use */
};

struct listener {
    struct source src;
    const struct ev_handlers *h;
    void *server;
    struct listener *next;
};

struct watcher {
    struct source src;
    ev_watch_fn *fn;
    void *arg;
    bool dead;
    struct watcher *next;
};

struct posted {
    void (*fn)(void *arg);
    void *arg;
    struct posted *next;
};

struct ev_loop {
    int epfd;
    struct source signals, wakeup;
    bool stopping;

    struct ev_conn *conns;          /* every live connection */
    struct ev_conn **by_fd;         /* for ev_find() */
    size_t by_fd_len;
    uint32_t serial;                /* makes ids unique */
    struct ev_conn *dirty, *dead;   /* to flush, to free, this round */
    struct ev_conn *resume;         /* held connections to resume next round */
    struct listener *listeners;
    struct watcher *watchers, *dead_watchers;

    struct timer **heap;            /* every timer, soonest first */
    size_t heap_len, heap_cap;
    struct timer *timers;           /* the loop's own, for cancelling */
    uint64_t timer_serial;

    pthread_mutex_t post_lock;      /* guards posted, the one shared list */
    struct posted *posted, **posted_tail;

    struct epoll_event events[MAX_EVENTS];
    char read_buf[READ_CHUNK];
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_error(char *err, const char *what)
{
    snprintf(err, EV_ERR_LEN, "%s: %s", what, strerror(errno));
}

static int watch(struct ev_loop *loop, struct source *src, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = src};
    return epoll_ctl(loop->epfd, EPOLL_CTL_ADD, src->fd, &ev);
}

/* ---- timers: a binary min-heap on deadline ------------------------------------------- */

static void heap_place(struct ev_loop *loop, size_t slot, struct timer *t)
{
    loop->heap[slot] = t;
    t->heap_slot = slot;
}

static void heap_up(struct ev_loop *loop, size_t slot)
{
    struct timer *t = loop->heap[slot];
    while (slot > 0) {
        size_t parent = (slot - 1) / 2;
        if (loop->heap[parent]->deadline <= t->deadline)
            break;
        heap_place(loop, slot, loop->heap[parent]);
        slot = parent;
    }
    heap_place(loop, slot, t);
}

static void heap_down(struct ev_loop *loop, size_t slot)
{
    struct timer *t = loop->heap[slot];
    for (;;) {
        size_t child = 2 * slot + 1;
        if (child >= loop->heap_len)
            break;
        if (child + 1 < loop->heap_len &&
            loop->heap[child + 1]->deadline < loop->heap[child]->deadline)
            child++;
        if (t->deadline <= loop->heap[child]->deadline)
            break;
        heap_place(loop, slot, loop->heap[child]);
        slot = child;
    }
    heap_place(loop, slot, t);
}

static void heap_remove(struct ev_loop *loop, struct timer *t)
{
    size_t slot = t->heap_slot;
    if (slot == NO_SLOT)
        return;
    t->heap_slot = NO_SLOT;
    struct timer *last = loop->heap[--loop->heap_len];
    if (last == t)
        return;
    heap_place(loop, slot, last);
    heap_up(loop, slot);
    heap_down(loop, last->heap_slot);
}

static bool heap_insert(struct ev_loop *loop, struct timer *t, long ms)
{
    if (loop->heap_len == loop->heap_cap) {
        size_t cap = loop->heap_cap > 0 ? loop->heap_cap * 2 : 64;
        struct timer **grown = realloc(loop->heap, cap * sizeof *grown);
        if (grown == NULL)
            return false;
        loop->heap = grown;
        loop->heap_cap = cap;
    }
    t->deadline = now_ms() + ms;
    heap_place(loop, loop->heap_len++, t);
    heap_up(loop, t->heap_slot);
    return true;
}

static struct timer **timer_list(struct ev_loop *loop, struct timer *t)
{
    return t->conn != NULL ? &t->conn->timers : &loop->timers;
}

/* A new timer on the list of its owner (a connection, or the loop). */
static uint64_t add_timer(struct ev_loop *loop, struct ev_conn *conn, long ms,
                          ev_timer_fn *loop_fn, ev_conn_timer_fn *conn_fn, void *arg)
{
    struct timer *t = calloc(1, sizeof *t);
    if (t == NULL)
        return 0;
    t->heap_slot = NO_SLOT;
    t->id = ++loop->timer_serial;
    t->conn = conn;
    t->loop_fn = loop_fn;
    t->conn_fn = conn_fn;
    t->arg = arg;
    if (!heap_insert(loop, t, ms > 0 ? ms : 0)) {
        free(t);
        errno = ENOMEM;
        return 0;
    }
    struct timer **list = timer_list(loop, t);
    t->next = *list;
    if (*list != NULL)
        (*list)->prev = t;
    *list = t;
    return t->id;
}

/* Takes the timer off the heap and its owner's list, and frees it unless
 * its function is running (run_timers frees it then). */
static void cancel_timer(struct ev_loop *loop, struct timer *t)
{
    heap_remove(loop, t);
    struct timer **list = timer_list(loop, t);
    if (t->prev != NULL)
        t->prev->next = t->next;
    else
        *list = t->next;
    if (t->next != NULL)
        t->next->prev = t->prev;
    t->prev = t->next = NULL;
    if (t->running)
        t->cancelled = true;
    else
        free(t);
}

static int cancel_by_id(struct ev_loop *loop, struct timer *list, uint64_t id)
{
    for (struct timer *t = list; t != NULL; t = t->next) {
        if (t->id == id) {
            cancel_timer(loop, t);
            return 0;
        }
    }
    return -1;
}

/* ---- a connection's life ---------------------------------------------------------- */

/* Records why the connection closes: the first reason wins. */
static void set_reason(struct ev_conn *c, enum ev_reason reason, int err)
{
    if (c->reason != EV_OPEN)
        return;
    c->reason = reason;
    c->reason_errno = reason == EV_PEER_RESET || reason == EV_FAILED ? err : 0;
}

/* Marks the connection gone.  It stays in memory until the end of the
 * round, because events of this same round may still point at it. */
static void kill_conn(struct ev_conn *c, enum ev_reason reason, int err)
{
    if (c->dead)
        return;
    set_reason(c, reason, err);
    c->dead = true;
    heap_remove(c->loop, &c->idle);
    while (c->timers != NULL)
        cancel_timer(c->loop, c->timers);
    /* No more events for it; failure is harmless, close() follows. */
    if (c->src.fd >= 0)
        epoll_ctl(c->loop->epfd, EPOLL_CTL_DEL, c->src.fd, NULL);
    c->next_dead = c->loop->dead;
    c->loop->dead = c;
}

/* The peer reset the connection, or something else failed. */
static void fail_conn(struct ev_conn *c, int err)
{
    bool reset = err == ECONNRESET || err == EPIPE;
    kill_conn(c, reset ? EV_PEER_RESET : EV_FAILED, err);
}

static void mark_dirty(struct ev_conn *c)
{
    if (c->dirty || c->dead)
        return;
    c->dirty = true;
    c->next_dirty = c->loop->dirty;
    c->loop->dirty = c;
}

static size_t input_len(const struct ev_conn *c)
{
    return c->view != NULL ? c->view_len : buffer_len(&c->in);
}

/* Asks epoll for what the connection can use now, and only if that has
 * changed: an epoll_ctl() per message would cost as much as the message.
 * Reading pauses while the input is full or the output piles up, and
 * stops for good at the end of the input; write readiness is asked for
 * only while output is waiting (or a connect() is in progress). */
static void update_interest(struct ev_conn *c)
{
    uint32_t want = 0;
    if (c->connecting)
        want = EPOLLOUT;
    else if (!c->closing && !c->input_ended && input_len(c) < c->input_limit &&
             buffer_len(&c->out) <= c->output_limit)
        want |= EPOLLIN;
    if (buffer_len(&c->out) > 0)
        want |= EPOLLOUT;
    if (want == c->events)
        return;
    struct epoll_event ev = {.events = want, .data.ptr = &c->src};
    if (epoll_ctl(c->loop->epfd, EPOLL_CTL_MOD, c->src.fd, &ev) < 0) {
        fail_conn(c, errno);
        return;
    }
    c->events = want;
}

static bool remember_fd(struct ev_loop *loop, struct ev_conn *c)
{
    size_t fd = (size_t)c->src.fd;
    if (fd >= loop->by_fd_len) {
        size_t len = loop->by_fd_len > 0 ? loop->by_fd_len : 256;
        while (len <= fd)
            len *= 2;
        struct ev_conn **grown = realloc(loop->by_fd, len * sizeof *grown);
        if (grown == NULL)
            return false;
        memset(grown + loop->by_fd_len, 0, (len - loop->by_fd_len) * sizeof *grown);
        loop->by_fd = grown;
        loop->by_fd_len = len;
    }
    loop->by_fd[fd] = c;
    c->id = (uint64_t)++loop->serial << 32 | (uint32_t)fd;
    return true;
}

/* A connection structure, on the loop's list, without a descriptor yet. */
static struct ev_conn *alloc_conn(struct ev_loop *loop, const struct ev_handlers *h,
                                  void *server)
{
    struct ev_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    c->src.kind = SOURCE_CONN;
    c->src.fd = -1;
    c->loop = loop;
    c->id = (uint64_t)++loop->serial << 32 | UINT32_MAX;
    c->h = h;
    c->server = server;
    c->input_limit = EV_INPUT_LIMIT;
    c->output_limit = EV_OUTPUT_LIMIT;
    c->idle.heap_slot = NO_SLOT;
    c->idle.conn = c;
    c->next = loop->conns;
    if (loop->conns != NULL)
        loop->conns->prev = c;
    loop->conns = c;
    return c;
}

/* Takes a connection that never got going off the loop's list. */
static void discard_conn(struct ev_conn *c)
{
    struct ev_loop *loop = c->loop;
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        loop->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    if (c->src.fd >= 0 && (size_t)c->src.fd < loop->by_fd_len)
        loop->by_fd[c->src.fd] = NULL;
    free(c);
}

static struct ev_conn *new_conn(struct ev_loop *loop, int fd,
                                const struct ev_handlers *h, void *server)
{
    struct ev_conn *c = alloc_conn(loop, h, server);
    if (c == NULL) {
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    c->src.fd = fd;
    if (!remember_fd(loop, c)) {
        discard_conn(c);
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    c->events = EPOLLIN;
    if (watch(loop, &c->src, c->events) < 0) {
        int saved = errno;
        discard_conn(c);
        close(fd);
        errno = saved;
        return NULL;
    }
    if (h->on_open != NULL)
        h->on_open(c);
    mark_dirty(c); /* on_open may have queued output */
    return c;
}

static void free_conn(struct ev_conn *c)
{
    struct ev_loop *loop = c->loop;
    if (c->h->on_close != NULL)
        c->h->on_close(c);
    /* on_close may have started timers: it must not, but be safe. */
    heap_remove(loop, &c->idle);
    for (struct ev_conn **p = &loop->resume; *p != NULL; p = &(*p)->next_resume) {
        if (*p == c) {
            *p = c->next_resume;
            break;
        }
    }
    while (c->timers != NULL)
        cancel_timer(loop, c->timers);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        loop->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    if (c->src.fd >= 0) {
        loop->by_fd[c->src.fd] = NULL;
        if (c->abort) {
            /* A linger time of zero makes close() send a RST and throw away
             * what the kernel still holds for the peer. */
            struct linger now = {1, 0};
            setsockopt(c->src.fd, SOL_SOCKET, SO_LINGER, &now, sizeof now);
        }
        close(c->src.fd);
    }
    if (c->addrs != NULL)
        freeaddrinfo(c->addrs);
    buffer_free(&c->in);
    buffer_free(&c->out);
    free(c->peer);
    free(c);
}

/* ---- reading and writing ------------------------------------------------------------ */

/* Calls on_data, and again for new handlers that a swap put in place with
 * input still pending.  Afterwards notes whether the handler left input
 * because its output was full (it is called again once that drains), and
 * catches the handler that can never make progress: input at the limit,
 * nothing consumed, nothing to wait for. */
static void deliver(struct ev_conn *c)
{
    for (;;) {
        const struct ev_handlers *h = c->h;
        size_t before = input_len(c);
        c->in_on_data = true;
        h->on_data(c);
        c->in_on_data = false;
        if (c->dead)
            return;
        size_t after = input_len(c);
        if (c->h != h && after > 0)
            continue;
        c->held = after > 0 && ev_output_full(c);
        if (!c->held && !c->closing && after >= c->input_limit && after == before)
            kill_conn(c, EV_FAILED, EMSGSIZE);
        return;
    }
}

/* The end of the input, or of the output, may end the connection: when
 * the peer has finished sending and no on_eof handler keeps it open, it
 * closes once everything has been sent and on_drain added nothing. */
static bool done_with(const struct ev_conn *c)
{
    return c->input_ended && c->h->on_eof == NULL && buffer_len(&c->out) == 0 &&
           !c->held;
}

/* Sends what is queued, as much as the socket takes. */
static void flush(struct ev_conn *c)
{
    if (c->connecting) {
        update_interest(c);
        return;
    }
    bool had_output = buffer_len(&c->out) > 0 || c->sent_direct;
    c->sent_direct = false;
    c->sent_this_round = 0;
    while (buffer_len(&c->out) > 0) {
        ssize_t n = send(c->src.fd, c->out.data + c->out.start, buffer_len(&c->out),
                         MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0) { /* EPIPE, ECONNRESET: nobody is left to read it */
            fail_conn(c, errno);
            return;
        }
        buffer_drop(&c->out, (size_t)n);
    }
    /* Input left waiting for handlers just swapped in: theirs at once. */
    if (c->kick && !c->closing) {
        c->kick = c->held = false;
        if (input_len(c) > 0)
            deliver(c);
        if (c->dead)
            return;
    }
    /* A handler that stopped because its output was full, and now is not,
     * goes on next round, after the other connections' events: a client
     * that pipelines a flood of requests gets one output's worth of
     * answers per round, never the whole loop. */
    if (c->held && !c->closing && !ev_output_full(c) && !c->resuming) {
        c->resuming = true;
        c->next_resume = c->loop->resume;
        c->loop->resume = c;
    }
    if (buffer_len(&c->out) == 0) {
        if (c->closing) {
            kill_conn(c, EV_CLOSED_HERE, 0);
            return;
        }
        if (had_output && c->h->on_drain != NULL)
            c->h->on_drain(c);
        /* Output that on_drain sent itself (ev_write() of a large piece)
         * brings the connection back here for the next on_drain. */
        if (!c->dead && !c->sent_direct && done_with(c)) {
            kill_conn(c, EV_PEER_CLOSED, 0);
            return;
        }
    }
    if (!c->dead)
        update_interest(c);
}

/* The peer has sent its FIN: tell the handler, or let the connection end
 * once its output is done (see done_with). */
static void end_input(struct ev_conn *c)
{
    c->input_ended = true;
    mark_dirty(c);
    if (c->h->on_eof != NULL)
        c->h->on_eof(c);
}

/* One recv() per readiness event: a connection that always has more to
 * send cannot starve the others, because epoll (level-triggered) reports
 * it again next round.  Bytes go into the loop's one read buffer when the
 * connection has no leftover input, so on_data usually reads them where
 * they landed; only what it leaves unconsumed is copied into the
 * connection's own buffer. */
static void read_from(struct ev_conn *c)
{
    struct ev_loop *loop = c->loop;
    bool fresh = buffer_len(&c->in) == 0;
    size_t held = buffer_len(&c->in);
    size_t room = held < c->input_limit ? c->input_limit - held : 0;
    if (room > READ_CHUNK)
        room = READ_CHUNK;
    if (room == 0) { /* the input is full: stop asking to read */
        mark_dirty(c);
        return;
    }
    if (!fresh && !buffer_reserve(&c->in, room)) {
        kill_conn(c, EV_FAILED, ENOMEM);
        return;
    }
    char *into = fresh ? loop->read_buf : c->in.data + c->in.end;

    ssize_t n;
    do
        n = recv(c->src.fd, into, room, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            fail_conn(c, errno); /* ECONNRESET and friends: the peer is gone */
        return;
    }
    if (n == 0) {
        end_input(c);
        return;
    }

    if (fresh) {
        c->view = into;
        c->view_len = (size_t)n;
    } else {
        c->in.end += (size_t)n;
    }
    deliver(c);
    /* What the handler queued is sent at the end of the round, with the
     * replies of every other connection that was ready: the clients then
     * get their answers in one burst, and each wakes up fewer times. */
    if (c->view != NULL) {
        if (c->view_len > 0 && !c->dead && !buffer_append(&c->in, c->view, c->view_len))
            kill_conn(c, EV_FAILED, ENOMEM);
        c->view = NULL;
        c->view_len = 0;
    }
    mark_dirty(c);
}

static int socket_error(int fd)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return errno;
    return err;
}

/* ---- connecting (ev_connect) ----------------------------------------------------------- */

/* Starts connect() to the next address of the list.  The descriptor keeps
 * its number from one attempt to the next (dup3() puts the new socket in
 * its place), so the connection's id stays valid.  Returns false when no
 * address is left; c->connect_errno then says why the last one failed. */
static bool connect_next(struct ev_conn *c)
{
    struct ev_loop *loop = c->loop;
    while (c->next_addr != NULL) {
        struct addrinfo *ai = c->next_addr;
        c->next_addr = ai->ai_next;
        int s = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                       ai->ai_protocol);
        if (s < 0) {
            c->connect_errno = errno;
            continue;
        }
        if (c->src.fd >= 0) {
            epoll_ctl(loop->epfd, EPOLL_CTL_DEL, c->src.fd, NULL);
            if (dup3(s, c->src.fd, O_CLOEXEC) < 0) {
                c->connect_errno = errno;
                close(s);
                continue;
            }
            close(s);
        } else {
            c->src.fd = s;
            if (!remember_fd(loop, c)) {
                c->connect_errno = ENOMEM;
                return false;
            }
        }
        /* A nonblocking connect() answers at once only on loopback, or
         * with EINPROGRESS; EINTR also leaves it going on in the
         * background.  Either way the socket becomes writable when it is
         * settled, and SO_ERROR then tells how. */
        if (connect(c->src.fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS &&
            errno != EINTR) {
            c->connect_errno = errno;
            continue;
        }
        c->events = EPOLLOUT;
        if (watch(loop, &c->src, c->events) < 0) {
            c->connect_errno = errno;
            continue;
        }
        return true;
    }
    return false;
}

static void connected(struct ev_conn *c)
{
    c->connecting = false;
    freeaddrinfo(c->addrs);
    c->addrs = c->next_addr = NULL;
    if (c->connect_timer != 0)
        ev_conn_timer_cancel(c, c->connect_timer);
    c->connect_timer = 0;
    int one = 1;
    setsockopt(c->src.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (c->h->on_open != NULL)
        c->h->on_open(c);
    mark_dirty(c);
}

static void on_connect_event(struct ev_conn *c)
{
    int err = socket_error(c->src.fd);
    if (err == 0) {
        connected(c);
        return;
    }
    c->connect_errno = err;
    if (!connect_next(c))
        kill_conn(c, EV_FAILED, c->connect_errno);
}

static long connect_timed_out(struct ev_conn *c, void *arg)
{
    (void)arg;
    c->connect_timer = 0;
    kill_conn(c, EV_TIMED_OUT, 0);
    return EV_TIMER_DONE;
}

/* ---- events ------------------------------------------------------------------------- */

static void on_conn_event(struct ev_conn *c, uint32_t events)
{
    if (c->dead)
        return;
    if (c->connecting) {
        on_connect_event(c);
        return;
    }
    if ((events & EPOLLIN) && !c->closing && !c->input_ended) {
        read_from(c);
    } else if (events & (EPOLLERR | EPOLLHUP)) {
        /* Reset, or both directions closed, while we were not reading:
         * nothing queued can be delivered any more. */
        int err = socket_error(c->src.fd);
        if (err == 0)
            kill_conn(c, EV_PEER_CLOSED, 0);
        else
            fail_conn(c, err);
        return;
    }
    if (events & EPOLLOUT)
        mark_dirty(c);
}

/* ---- listeners, watchers, signals, posted calls ------------------------------------ */

static void accept_clients(struct ev_loop *loop, struct listener *l)
{
    for (int i = 0; i < ACCEPTS_PER_ROUND; i++) {
        int fd = net_accept(l->src.fd, 1);
        if (fd < 0) {
            /* EAGAIN: the queue is empty.  EMFILE: net_accept() has shed
             * a connection; stop for this round.  Other errors concern only
             * the connection that failed. */
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EMFILE)
                return;
            continue;
        }
        new_conn(loop, fd, l->h, l->server);
    }
}

static void run_posted(struct ev_loop *loop)
{
    uint64_t count;
    if (read(loop->wakeup.fd, &count, sizeof count) < 0 && errno != EAGAIN)
        return;
    pthread_mutex_lock(&loop->post_lock);
    struct posted *p = loop->posted;
    loop->posted = NULL;
    loop->posted_tail = &loop->posted;
    pthread_mutex_unlock(&loop->post_lock);
    while (p != NULL) {
        struct posted *next = p->next;
        p->fn(p->arg);
        free(p);
        p = next;
    }
}

static void note_signal(struct ev_loop *loop)
{
    struct signalfd_siginfo info;
    if (read(loop->signals.fd, &info, sizeof info) == (ssize_t)sizeof info)
        loop->stopping = true;
}

static void dispatch(struct ev_loop *loop, const struct epoll_event *ev)
{
    struct source *src = ev->data.ptr;
    switch (src->kind) {
    case SOURCE_CONN:
        on_conn_event((struct ev_conn *)src, ev->events);
        break;
    case SOURCE_LISTENER:
        accept_clients(loop, (struct listener *)src);
        break;
    case SOURCE_WATCH: {
        struct watcher *w = (struct watcher *)src;
        if (!w->dead)
            w->fn(loop, w->src.fd, w->arg);
        break;
    }
    case SOURCE_SIGNAL:
        note_signal(loop);
        break;
    case SOURCE_WAKEUP:
        run_posted(loop);
        break;
    }
}

/* The idle timer of a connection: on_timer, or close it. */
static void idle_expired(struct ev_conn *c)
{
    if (c->h->on_timer != NULL)
        c->h->on_timer(c);
    else
        kill_conn(c, EV_TIMED_OUT, 0);
    mark_dirty(c);
}

static void run_timers(struct ev_loop *loop)
{
    long long now = now_ms();
    while (loop->heap_len > 0 && loop->heap[0]->deadline <= now) {
        struct timer *t = loop->heap[0];
        heap_remove(loop, t);
        if (t->conn != NULL && t == &t->conn->idle) {
            idle_expired(t->conn);
            continue;
        }
        t->running = true;
        long again = t->conn != NULL ? t->conn_fn(t->conn, t->arg) : t->loop_fn(loop, t->arg);
        t->running = false;
        if (t->conn != NULL)
            mark_dirty(t->conn);
        if (t->cancelled)
            free(t); /* cancelled by its own function: already unlisted */
        else if (again > 0)
            heap_insert(loop, t, again); /* room: it was just removed */
        else
            cancel_timer(loop, t);
    }
}

static void free_watchers(struct watcher **list)
{
    while (*list != NULL) {
        struct watcher *w = *list;
        *list = w->next;
        free(w);
    }
}

/* The end of every round: send what the callbacks queued, then free what
 * died.  Freeing calls on_close, which may queue more (a chat room telling
 * the others that someone left), so repeat until both lists are empty. */
/* The held connections whose output drained last round take their next
 * requests now (see flush). */
static void resume_held(struct ev_loop *loop)
{
    struct ev_conn *list = loop->resume;
    loop->resume = NULL;
    while (list != NULL) {
        struct ev_conn *c = list;
        list = c->next_resume;
        c->resuming = false;
        if (c->dead || c->closing || !c->held)
            continue;
        c->held = false;
        if (input_len(c) > 0)
            deliver(c);
        if (!c->dead)
            mark_dirty(c);
    }
}

static void finish_round(struct ev_loop *loop)
{
    while (loop->dirty != NULL || loop->dead != NULL) {
        while (loop->dirty != NULL) {
            struct ev_conn *c = loop->dirty;
            loop->dirty = c->next_dirty;
            c->dirty = false;
            if (!c->dead)
                flush(c);
        }
        while (loop->dead != NULL) {
            struct ev_conn *c = loop->dead;
            loop->dead = c->next_dead;
            free_conn(c);
        }
    }
    free_watchers(&loop->dead_watchers);
}

static int next_timeout(const struct ev_loop *loop)
{
    /* Work queued outside a round (ev_add, ev_connect before ev_run) is
     * done at once. */
    if (loop->dirty != NULL || loop->dead != NULL || loop->resume != NULL)
        return 0;
    if (loop->heap_len == 0)
        return -1;
    long long wait = loop->heap[0]->deadline - now_ms();
    if (wait < 0)
        return 0;
    return wait > 60000 ? 60000 : (int)wait;
}

/* ---- the public calls ---------------------------------------------------------------- */

struct ev_loop *ev_loop_new(char *err)
{
    struct ev_loop *loop = calloc(1, sizeof *loop);
    if (loop == NULL) {
        set_error(err, "allocating the event loop");
        return NULL;
    }
    loop->epfd = loop->signals.fd = loop->wakeup.fd = -1;
    loop->posted_tail = &loop->posted;
    pthread_mutex_init(&loop->post_lock, NULL);

    /* SIGINT and SIGTERM are blocked, so that they are not delivered the
     * usual way but wait to be read from the signalfd as an event. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    net_ignore_sigpipe();

    loop->signals.kind = SOURCE_SIGNAL;
    loop->wakeup.kind = SOURCE_WAKEUP;
    if ((loop->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        set_error(err, "creating the epoll instance");
    } else if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0 ||
               (loop->signals.fd = signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
        set_error(err, "creating the signalfd");
    } else if ((loop->wakeup.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
        set_error(err, "creating the eventfd");
    } else if (watch(loop, &loop->signals, EPOLLIN) < 0 ||
               watch(loop, &loop->wakeup, EPOLLIN) < 0) {
        set_error(err, "adding to the epoll instance");
    } else {
        return loop;
    }
    ev_loop_free(loop);
    return NULL;
}

int ev_run(struct ev_loop *loop)
{
    loop->stopping = false;
    while (!loop->stopping) {
        int n = epoll_wait(loop->epfd, loop->events, MAX_EVENTS, next_timeout(loop));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        for (int i = 0; i < n; i++)
            dispatch(loop, &loop->events[i]);
        resume_held(loop);
        run_timers(loop);
        finish_round(loop);
    }
    return 0;
}

void ev_stop(struct ev_loop *loop)
{
    loop->stopping = true;
}

void ev_loop_free(struct ev_loop *loop)
{
    if (loop == NULL)
        return;
    /* Calls posted and not yet run carry memory that only they free. */
    if (loop->wakeup.fd >= 0)
        run_posted(loop);
    for (struct ev_conn *c = loop->conns; c != NULL; c = c->next)
        kill_conn(c, EV_CLOSED_HERE, 0);
    loop->dirty = NULL; /* closing now: nothing more is sent */
    loop->resume = NULL;
    while (loop->dead != NULL) {
        struct ev_conn *c = loop->dead;
        loop->dead = c->next_dead;
        free_conn(c);
    }
    while (loop->timers != NULL)
        cancel_timer(loop, loop->timers);
    free_watchers(&loop->watchers);
    free_watchers(&loop->dead_watchers);
    while (loop->listeners != NULL) {
        struct listener *l = loop->listeners;
        loop->listeners = l->next;
        close(l->src.fd);
        free(l);
    }
    if (loop->epfd >= 0)
        close(loop->epfd);
    if (loop->signals.fd >= 0)
        close(loop->signals.fd);
    if (loop->wakeup.fd >= 0)
        close(loop->wakeup.fd);
    pthread_mutex_destroy(&loop->post_lock);
    free(loop->by_fd);
    free(loop->heap);
    free(loop);
}

int ev_listen(struct ev_loop *loop, int fd, const struct ev_handlers *h, void *server)
{
    struct listener *l = calloc(1, sizeof *l);
    if (l == NULL)
        return -1;
    l->src.kind = SOURCE_LISTENER;
    l->src.fd = fd;
    l->h = h;
    l->server = server;
    if (net_set_nonblocking(fd) < 0 || watch(loop, &l->src, EPOLLIN) < 0) {
        free(l);
        return -1;
    }
    l->next = loop->listeners;
    loop->listeners = l;
    return 0;
}

struct ev_conn *ev_add(struct ev_loop *loop, int fd, const struct ev_handlers *h,
                       void *server)
{
    if (net_set_nonblocking(fd) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return NULL;
    }
    return new_conn(loop, fd, h, server);
}

int ev_post(struct ev_loop *loop, void (*fn)(void *arg), void *arg)
{
    struct posted *p = malloc(sizeof *p);
    if (p == NULL)
        return -1;
    p->fn = fn;
    p->arg = arg;
    p->next = NULL;
    pthread_mutex_lock(&loop->post_lock);
    *loop->posted_tail = p;
    loop->posted_tail = &p->next;
    pthread_mutex_unlock(&loop->post_lock);
    uint64_t one = 1;
    /* Fails only if the counter is about to overflow, when the loop has
     * a wake-up pending anyway. */
    ssize_t n = write(loop->wakeup.fd, &one, sizeof one);
    (void)n;
    return 0;
}

const char *ev_input(struct ev_conn *c, size_t *len)
{
    if (c->view != NULL) {
        *len = c->view_len;
        return c->view;
    }
    *len = buffer_len(&c->in);
    return c->in.data != NULL ? c->in.data + c->in.start : "";
}

void ev_consume(struct ev_conn *c, size_t n)
{
    if (n > input_len(c))
        n = input_len(c);
    if (c->view != NULL) {
        c->view += n;
        c->view_len -= n;
    } else if (n > 0) {
        buffer_drop(&c->in, n);
    }
    mark_dirty(c); /* reading may resume if the input was full */
}

size_t ev_line(struct ev_conn *c, size_t max, bool *too_long)
{
    size_t len;
    const char *data = ev_input(c, &len);
    size_t look = len < max ? len : max;
    const char *newline = memchr(data, '\n', look);
    *too_long = false;
    if (newline != NULL)
        return (size_t)(newline - data) + 1;
    if (max > 0 && len >= max) {
        *too_long = true;
        return max;
    }
    return 0;
}

/* A large write: sends the queued output and then data with one
 * sendmsg(), as much as the socket takes now, and returns how much of data
 * went.  Errors are left for flush() to meet again on its next send. */
static size_t write_direct(struct ev_conn *c, const void *data, size_t len)
{
    size_t queued = buffer_len(&c->out);
    struct iovec iov[2] = {
        {.iov_base = queued > 0 ? c->out.data + c->out.start : NULL, .iov_len = queued},
        {.iov_base = (void *)data, .iov_len = len},
    };
    int first = queued > 0 ? 0 : 1;
    struct msghdr msg = {.msg_iov = iov + first, .msg_iovlen = (size_t)(2 - first)};
    ssize_t n;
    do
        n = sendmsg(c->src.fd, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return 0;
    c->sent_direct = true;
    c->sent_this_round += (size_t)n;
    if ((size_t)n <= queued) {
        buffer_drop(&c->out, (size_t)n);
        return 0;
    }
    buffer_drop(&c->out, queued);
    return (size_t)n - queued;
}

int ev_write(struct ev_conn *c, const void *data, size_t len)
{
    if (c->dead || c->closing || len == 0)
        return 0;
    if (len >= DIRECT_WRITE && !c->connecting) {
        size_t sent = write_direct(c, data, len);
        data = (const char *)data + sent;
        len -= sent;
        mark_dirty(c);
        if (len == 0)
            return 0;
    }
    if (!buffer_append(&c->out, data, len)) {
        kill_conn(c, EV_FAILED, ENOMEM);
        return -1;
    }
    mark_dirty(c);
    return 0;
}

size_t ev_output_pending(const struct ev_conn *c)
{
    return buffer_len(&c->out);
}

void ev_close(struct ev_conn *c)
{
    c->closing = true;
    mark_dirty(c);
}

void ev_close_now(struct ev_conn *c)
{
    c->abort = true;
    kill_conn(c, EV_CLOSED_HERE, 0);
}

void ev_set_timer(struct ev_conn *c, long ms)
{
    if (c->dead)
        return;
    heap_remove(c->loop, &c->idle);
    if (ms <= 0)
        return;
    if (!heap_insert(c->loop, &c->idle, ms))
        kill_conn(c, EV_FAILED, ENOMEM);
}

uint64_t ev_conn_timer_add(struct ev_conn *c, long ms, ev_conn_timer_fn *fn, void *arg)
{
    if (c->dead) {
        errno = ENOTCONN;
        return 0;
    }
    return add_timer(c->loop, c, ms, NULL, fn, arg);
}

int ev_conn_timer_cancel(struct ev_conn *c, uint64_t id)
{
    return cancel_by_id(c->loop, c->timers, id);
}

uint64_t ev_timer_add(struct ev_loop *loop, long ms, ev_timer_fn *fn, void *arg)
{
    return add_timer(loop, NULL, ms, fn, NULL, arg);
}

int ev_timer_cancel(struct ev_loop *loop, uint64_t id)
{
    return cancel_by_id(loop, loop->timers, id);
}

struct ev_conn *ev_connect(struct ev_loop *loop, const char *host, const char *port,
                           const struct ev_handlers *h, void *server, long timeout_ms)
{
    struct ev_conn *c = alloc_conn(loop, h, server);
    if (c == NULL)
        return NULL;
    c->connecting = true;
    struct addrinfo hints = {0};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, port, &hints, &c->addrs);
    if (rc != 0) {
        /* Reported like any failure to connect, through on_close. */
        c->addrs = NULL;
        kill_conn(c, EV_FAILED, rc == EAI_SYSTEM ? errno : EHOSTUNREACH);
        return c;
    }
    c->next_addr = c->addrs;
    if (!connect_next(c)) {
        if (c->src.fd < 0 && c->connect_errno != ENOMEM && c->connect_errno != 0) {
            /* Not even a socket: the caller hears it at once. */
            int saved = c->connect_errno;
            freeaddrinfo(c->addrs);
            discard_conn(c);
            errno = saved;
            return NULL;
        }
        kill_conn(c, EV_FAILED, c->connect_errno);
        return c;
    }
    if (timeout_ms > 0) {
        c->connect_timer = ev_conn_timer_add(c, timeout_ms, connect_timed_out, NULL);
        if (c->connect_timer == 0)
            kill_conn(c, EV_FAILED, ENOMEM);
    }
    return c;
}

int ev_watch(struct ev_loop *loop, int fd, ev_watch_fn *fn, void *arg)
{
    struct watcher *w = calloc(1, sizeof *w);
    if (w == NULL)
        return -1;
    w->src.kind = SOURCE_WATCH;
    w->src.fd = fd;
    w->fn = fn;
    w->arg = arg;
    if (net_set_nonblocking(fd) < 0 || watch(loop, &w->src, EPOLLIN) < 0) {
        int saved = errno;
        free(w);
        errno = saved;
        return -1;
    }
    w->next = loop->watchers;
    loop->watchers = w;
    return 0;
}

int ev_unwatch(struct ev_loop *loop, int fd)
{
    for (struct watcher **p = &loop->watchers; *p != NULL; p = &(*p)->next) {
        struct watcher *w = *p;
        if (w->src.fd != fd)
            continue;
        *p = w->next;
        epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
        /* Freed at the end of the round: an event of this round may
         * still point at it. */
        w->dead = true;
        w->next = loop->dead_watchers;
        loop->dead_watchers = w;
        return 0;
    }
    errno = ENOENT;
    return -1;
}

void ev_set_handlers(struct ev_conn *c, const struct ev_handlers *h)
{
    c->h = h;
    if (!c->in_on_data && input_len(c) > 0) {
        c->kick = true;
        mark_dirty(c);
    }
}

const struct ev_handlers *ev_handlers_of(const struct ev_conn *c)
{
    return c->h;
}

bool ev_input_ended(const struct ev_conn *c)
{
    return c->input_ended;
}

/* Output that large writes sent at once this round counts too: a handler
 * whose client reads fast would otherwise never see its output full, and
 * answer a whole flood of pipelined requests in one callback. */
bool ev_output_full(const struct ev_conn *c)
{
    return buffer_len(&c->out) + c->sent_this_round > c->output_limit;
}

enum ev_reason ev_close_reason(const struct ev_conn *c)
{
    return c->reason;
}

int ev_close_errno(const struct ev_conn *c)
{
    return c->reason_errno;
}

const char *ev_close_reason_text(const struct ev_conn *c)
{
    switch (c->reason) {
    case EV_OPEN:
        return "open";
    case EV_CLOSED_HERE:
        return "closed here";
    case EV_PEER_CLOSED:
        return "closed by peer";
    case EV_PEER_RESET:
        return "reset by peer";
    case EV_TIMED_OUT:
        return "timed out";
    case EV_FAILED:
        break;
    }
    /* The loop is single-threaded: one buffer per thread is enough. */
    static _Thread_local char text[128];
    snprintf(text, sizeof text, "failed: %s", strerror(c->reason_errno));
    return text;
}

void ev_set_limits(struct ev_conn *c, size_t input_limit, size_t output_limit)
{
    c->input_limit = input_limit > 0 ? input_limit : 1;
    c->output_limit = output_limit;
    mark_dirty(c);
}

void ev_set_data(struct ev_conn *c, void *data)
{
    c->data = data;
}

void *ev_data(const struct ev_conn *c)
{
    return c->data;
}

void *ev_server(const struct ev_conn *c)
{
    return c->server;
}

struct ev_loop *ev_loop_of(const struct ev_conn *c)
{
    return c->loop;
}

const char *ev_peer(struct ev_conn *c)
{
    if (c->peer == NULL) {
        char where[NET_ADDR_LEN];
        if (net_peer_address(c->src.fd, where, sizeof where) < 0)
            snprintf(where, sizeof where, "(peer gone)");
        c->peer = strdup(where);
    }
    return c->peer != NULL ? c->peer : "?";
}

uint64_t ev_id(const struct ev_conn *c)
{
    return c->id;
}

struct ev_conn *ev_find(struct ev_loop *loop, uint64_t id)
{
    size_t fd = (uint32_t)id;
    if (fd >= loop->by_fd_len)
        return NULL;
    struct ev_conn *c = loop->by_fd[fd];
    return c != NULL && c->id == id && !c->dead ? c : NULL;
}

static struct ev_conn *skip_dead(struct ev_conn *c)
{
    while (c != NULL && c->dead)
        c = c->next;
    return c;
}

struct ev_conn *ev_first(struct ev_loop *loop)
{
    return skip_dead(loop->conns);
}

struct ev_conn *ev_next(const struct ev_conn *c)
{
    return skip_dead(c->next);
}

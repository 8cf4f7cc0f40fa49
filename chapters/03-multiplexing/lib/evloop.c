/* evloop.c - the course's event loop (see evloop.h).  Linux-specific. */
#define _GNU_SOURCE
#include "evloop.h"

#include "net.h"
#include "serve.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* How many readiness events one epoll_wait() hands back, how many
 * connections one readable listener yields per round, and how much one
 * recv() may bring in. */
#define MAX_EVENTS 256
#define ACCEPTS_PER_ROUND 64
#define READ_CHUNK (64 * 1024)

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

/* What an epoll event points at: a connection, a listener, or one of the
 * loop's own descriptors. */
enum source_kind { SOURCE_CONN, SOURCE_LISTENER, SOURCE_SIGNAL, SOURCE_WAKEUP };

struct source {
    enum source_kind kind;
    int fd;
};

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

    uint32_t events;  /* what epoll is watching for now */
    bool closing;     /* ev_close(): close once the output is sent */
    bool dead;        /* gone; freed at the end of the round */
    bool abort;       /* ev_close_now(): reset, do not deliver the rest */
    bool dirty;       /* on the list of connections to flush */
    struct ev_conn *next_dirty, *next_dead;
    struct ev_conn *prev, *next; /* every connection of the loop */

    long long deadline; /* of the timer, in loop milliseconds */
    size_t heap_slot;   /* its place in the timer heap, or NO_SLOT */
    char *peer;         /* formatted on first use */
};

#define NO_SLOT ((size_t)-1)

struct listener {
    struct source src;
    const struct ev_handlers *h;
    void *server;
    struct listener *next;
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
    struct listener *listeners;

    struct ev_conn **heap;          /* timers, soonest first */
    size_t heap_len, heap_cap;

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

static void heap_place(struct ev_loop *loop, size_t slot, struct ev_conn *c)
{
    loop->heap[slot] = c;
    c->heap_slot = slot;
}

static void heap_up(struct ev_loop *loop, size_t slot)
{
    struct ev_conn *c = loop->heap[slot];
    while (slot > 0) {
        size_t parent = (slot - 1) / 2;
        if (loop->heap[parent]->deadline <= c->deadline)
            break;
        heap_place(loop, slot, loop->heap[parent]);
        slot = parent;
    }
    heap_place(loop, slot, c);
}

static void heap_down(struct ev_loop *loop, size_t slot)
{
    struct ev_conn *c = loop->heap[slot];
    for (;;) {
        size_t child = 2 * slot + 1;
        if (child >= loop->heap_len)
            break;
        if (child + 1 < loop->heap_len &&
            loop->heap[child + 1]->deadline < loop->heap[child]->deadline)
            child++;
        if (c->deadline <= loop->heap[child]->deadline)
            break;
        heap_place(loop, slot, loop->heap[child]);
        slot = child;
    }
    heap_place(loop, slot, c);
}

static void heap_remove(struct ev_loop *loop, struct ev_conn *c)
{
    size_t slot = c->heap_slot;
    if (slot == NO_SLOT)
        return;
    c->heap_slot = NO_SLOT;
    struct ev_conn *last = loop->heap[--loop->heap_len];
    if (last == c)
        return;
    heap_place(loop, slot, last);
    heap_up(loop, slot);
    heap_down(loop, last->heap_slot);
}

static bool heap_insert(struct ev_loop *loop, struct ev_conn *c)
{
    if (loop->heap_len == loop->heap_cap) {
        size_t cap = loop->heap_cap > 0 ? loop->heap_cap * 2 : 64;
        struct ev_conn **grown = realloc(loop->heap, cap * sizeof *grown);
        if (grown == NULL)
            return false;
        loop->heap = grown;
        loop->heap_cap = cap;
    }
    heap_place(loop, loop->heap_len++, c);
    heap_up(loop, c->heap_slot);
    return true;
}

/* ---- a connection's life ---------------------------------------------------------- */

/* Marks the connection gone.  It stays in memory until the end of the
 * round, because events of this same round may still point at it. */
static void kill_conn(struct ev_conn *c)
{
    if (c->dead)
        return;
    c->dead = true;
    heap_remove(c->loop, c);
    /* No more events for it; failure is harmless, close() follows. */
    epoll_ctl(c->loop->epfd, EPOLL_CTL_DEL, c->src.fd, NULL);
    c->next_dead = c->loop->dead;
    c->loop->dead = c;
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
 * Reading pauses while the input is full or the output piles up;
 * write readiness is asked for only while output is waiting. */
static void update_interest(struct ev_conn *c)
{
    uint32_t want = 0;
    if (!c->closing && input_len(c) < c->input_limit &&
        buffer_len(&c->out) <= c->output_limit)
        want |= EPOLLIN;
    if (buffer_len(&c->out) > 0)
        want |= EPOLLOUT;
    if (want == c->events)
        return;
    struct epoll_event ev = {.events = want, .data.ptr = &c->src};
    if (epoll_ctl(c->loop->epfd, EPOLL_CTL_MOD, c->src.fd, &ev) < 0) {
        kill_conn(c);
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
    return true;
}

static struct ev_conn *new_conn(struct ev_loop *loop, int fd,
                                const struct ev_handlers *h, void *server)
{
    struct ev_conn *c = calloc(1, sizeof *c);
    if (c != NULL)
        c->src.fd = fd;
    if (c == NULL || !remember_fd(loop, c)) {
        free(c);
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    c->src.kind = SOURCE_CONN;
    c->loop = loop;
    c->id = (uint64_t)++loop->serial << 32 | (uint32_t)fd;
    c->h = h;
    c->server = server;
    c->input_limit = EV_INPUT_LIMIT;
    c->output_limit = EV_OUTPUT_LIMIT;
    c->heap_slot = NO_SLOT;
    c->events = EPOLLIN;
    if (watch(loop, &c->src, c->events) < 0) {
        int saved = errno;
        loop->by_fd[fd] = NULL;
        free(c);
        close(fd);
        errno = saved;
        return NULL;
    }
    c->next = loop->conns;
    if (loop->conns != NULL)
        loop->conns->prev = c;
    loop->conns = c;
    if (h->on_open != NULL)
        h->on_open(c);
    return c;
}

static void free_conn(struct ev_conn *c)
{
    struct ev_loop *loop = c->loop;
    if (c->h->on_close != NULL)
        c->h->on_close(c);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        loop->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    loop->by_fd[c->src.fd] = NULL;
    if (c->abort) {
        /* A linger time of zero makes close() send a RST and throw away
         * what the kernel still holds for the peer. */
        struct linger now = {1, 0};
        setsockopt(c->src.fd, SOL_SOCKET, SO_LINGER, &now, sizeof now);
    }
    close(c->src.fd);
    buffer_free(&c->in);
    buffer_free(&c->out);
    free(c->peer);
    free(c);
}

/* ---- reading and writing ------------------------------------------------------------ */

/* Sends what is queued, as much as the socket takes. */
static void flush(struct ev_conn *c)
{
    bool had_output = buffer_len(&c->out) > 0;
    while (buffer_len(&c->out) > 0) {
        ssize_t n = send(c->src.fd, c->out.data + c->out.start, buffer_len(&c->out),
                         MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0) { /* EPIPE, ECONNRESET: nobody is left to read it */
            kill_conn(c);
            return;
        }
        buffer_drop(&c->out, (size_t)n);
    }
    if (buffer_len(&c->out) == 0) {
        if (c->closing) {
            kill_conn(c);
            return;
        }
        if (had_output && c->h->on_drain != NULL)
            c->h->on_drain(c);
    }
    if (!c->dead)
        update_interest(c);
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
        kill_conn(c);
        return;
    }
    char *into = fresh ? loop->read_buf : c->in.data + c->in.end;

    ssize_t n;
    do
        n = recv(c->src.fd, into, room, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            kill_conn(c); /* ECONNRESET and friends: the peer is gone */
        return;
    }
    if (n == 0) { /* the peer has finished sending: answer, then close */
        ev_close(c);
        return;
    }

    if (fresh) {
        c->view = into;
        c->view_len = (size_t)n;
    } else {
        c->in.end += (size_t)n;
    }
    c->h->on_data(c);
    /* What the handler queued is sent at the end of the round, with the
     * replies of every other connection that was ready: the clients then
     * get their answers in one burst, and each wakes up fewer times. */
    if (c->view != NULL) {
        if (c->view_len > 0 && !c->dead && !buffer_append(&c->in, c->view, c->view_len))
            kill_conn(c);
        c->view = NULL;
        c->view_len = 0;
    }
    mark_dirty(c);
}

static void on_conn_event(struct ev_conn *c, uint32_t events)
{
    if (c->dead)
        return;
    if ((events & EPOLLIN) && !c->closing) {
        read_from(c);
    } else if (events & (EPOLLERR | EPOLLHUP)) {
        /* Reset, or both directions closed, while we were not reading:
         * nothing queued can be delivered any more. */
        kill_conn(c);
        return;
    }
    if (events & EPOLLOUT)
        mark_dirty(c);
}

/* ---- listeners, signals, posted calls ----------------------------------------------- */

static void accept_clients(struct ev_loop *loop, struct listener *l)
{
    for (int i = 0; i < ACCEPTS_PER_ROUND; i++) {
        int fd = serve_accept(l->src.fd, 1);
        if (fd < 0) {
            /* EAGAIN: the queue is empty.  EMFILE: serve_accept() has shed
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
    case SOURCE_SIGNAL:
        note_signal(loop);
        break;
    case SOURCE_WAKEUP:
        run_posted(loop);
        break;
    }
}

static void run_timers(struct ev_loop *loop)
{
    long long now = now_ms();
    while (loop->heap_len > 0 && loop->heap[0]->deadline <= now) {
        struct ev_conn *c = loop->heap[0];
        heap_remove(loop, c);
        if (c->h->on_timer != NULL)
            c->h->on_timer(c);
        else
            kill_conn(c); /* no handler: an idle timeout */
        mark_dirty(c);
    }
}

/* The end of every round: send what the callbacks queued, then free what
 * died.  Freeing calls on_close, which may queue more (a chat room telling
 * the others that someone left), so repeat until both lists are empty. */
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
}

static int next_timeout(const struct ev_loop *loop)
{
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
    struct sigaction ignore = {0};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, NULL);

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
        kill_conn(c);
    loop->dirty = NULL; /* closing now: nothing more is sent */
    while (loop->dead != NULL) {
        struct ev_conn *c = loop->dead;
        loop->dead = c->next_dead;
        free_conn(c);
    }
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
    if (serve_set_nonblocking(fd) < 0 || watch(loop, &l->src, EPOLLIN) < 0) {
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
    if (serve_set_nonblocking(fd) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return NULL;
    }
    struct ev_conn *c = new_conn(loop, fd, h, server);
    if (c != NULL)
        mark_dirty(c); /* on_open may have queued output */
    return c;
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

int ev_write(struct ev_conn *c, const void *data, size_t len)
{
    if (c->dead || c->closing || len == 0)
        return 0;
    if (!buffer_append(&c->out, data, len)) {
        kill_conn(c);
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
    kill_conn(c);
}

void ev_set_handlers(struct ev_conn *c, const struct ev_handlers *h)
{
    c->h = h;
}

void ev_set_timer(struct ev_conn *c, long ms)
{
    if (c->dead)
        return;
    heap_remove(c->loop, c);
    if (ms <= 0)
        return;
    c->deadline = now_ms() + ms;
    if (!heap_insert(c->loop, c))
        kill_conn(c);
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

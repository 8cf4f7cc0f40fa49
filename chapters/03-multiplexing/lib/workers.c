/* workers.c - a pool of threads for an event loop (see workers.h). */
#include "workers.h"

#include "evloop.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct workers {
    struct ev_loop *loop;
    pthread_mutex_t lock;  /* guards everything below */
    pthread_cond_t ready;  /* work was queued, or the pool is stopping */
    struct work *head, **tail;
    long queued, queue_limit;
    bool stopping;
    pthread_t *threads;
    long count;
};

/* On the loop's thread, through ev_post(). */
static void finish(void *arg)
{
    struct work *w = arg;
    w->done(w);
}

/* Takes the next piece of work, waiting while there is none; NULL once
 * the pool is stopping (what is still queued is left to workers_stop). */
static struct work *next_work(struct workers *pool)
{
    pthread_mutex_lock(&pool->lock);
    while (pool->head == NULL && !pool->stopping)
        pthread_cond_wait(&pool->ready, &pool->lock);
    struct work *w = NULL;
    if (!pool->stopping) {
        w = pool->head;
        pool->head = w->next;
        if (pool->head == NULL)
            pool->tail = &pool->head;
        pool->queued--;
    }
    pthread_mutex_unlock(&pool->lock);
    return w;
}

static void *worker(void *arg)
{
    struct workers *pool = arg;
    struct work *w;
    while ((w = next_work(pool)) != NULL) {
        w->run(w);
        /* Back to the loop's thread: only it may touch the connection. */
        if (ev_post(pool->loop, finish, w) < 0) {
            w->dropped = true;
            w->done(w);
        }
    }
    return NULL;
}

struct workers *workers_start(struct ev_loop *loop, long threads, long queue_limit,
                              char *err)
{
    struct workers *pool = calloc(1, sizeof *pool);
    if (pool != NULL && threads > 0)
        pool->threads = calloc((size_t)threads, sizeof *pool->threads);
    if (pool == NULL || (threads > 0 && pool->threads == NULL)) {
        snprintf(err, EV_ERR_LEN, "starting the workers: %s", strerror(ENOMEM));
        free(pool);
        return NULL;
    }
    pool->loop = loop;
    pool->tail = &pool->head;
    pool->queue_limit = queue_limit;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->ready, NULL);
    for (; pool->count < threads; pool->count++) {
        int rc = pthread_create(&pool->threads[pool->count], NULL, worker, pool);
        if (rc != 0) {
            snprintf(err, EV_ERR_LEN, "starting the workers: %s", strerror(rc));
            workers_free(pool);
            return NULL;
        }
    }
    return pool;
}

long workers_count(const struct workers *pool)
{
    return pool->count;
}

int workers_submit(struct workers *pool, struct work *w)
{
    int err = 0;
    w->next = NULL;
    w->dropped = false;
    pthread_mutex_lock(&pool->lock);
    if (pool->stopping)
        err = ECANCELED;
    else if (pool->queue_limit > 0 && pool->queued >= pool->queue_limit)
        err = EAGAIN;
    if (err == 0) {
        *pool->tail = w;
        pool->tail = &w->next;
        pool->queued++;
        pthread_cond_signal(&pool->ready);
    }
    pthread_mutex_unlock(&pool->lock);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return 0;
}

void workers_stop(struct workers *pool)
{
    if (pool == NULL)
        return;
    pthread_mutex_lock(&pool->lock);
    bool joined = pool->stopping;
    pool->stopping = true;
    pthread_cond_broadcast(&pool->ready);
    pthread_mutex_unlock(&pool->lock);
    if (!joined) {
        for (long i = 0; i < pool->count; i++)
            pthread_join(pool->threads[i], NULL);
    }
    /* No thread is left: the queue is this thread's alone. */
    while (pool->head != NULL) {
        struct work *w = pool->head;
        pool->head = w->next;
        w->dropped = true;
        w->done(w);
    }
    pool->tail = &pool->head;
    pool->queued = 0;
}

void workers_free(struct workers *pool)
{
    if (pool == NULL)
        return;
    workers_stop(pool);
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->ready);
    free(pool->threads);
    free(pool);
}

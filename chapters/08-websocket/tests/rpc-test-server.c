/* rpc-test-server.c - a WebSocket server inside a test (see rpc-test-server.h). */
#include "rpc-test-server.h"

#include <stdlib.h>

struct ev_loop *rts_loop;

/* The HTTP side is the ws library's (ws_upgrade_handlers): each request
 * goes to ws_accept() with the handlers of the service started last. */
static struct ws_service service;

void rts_loop_new(void)
{
    char err[EV_ERR_LEN];
    rts_loop = ev_loop_new(err);
    TK_ASSERT(rts_loop != NULL, "ev_loop_new: %s", err);
}

int rts_start(const struct ws_handlers *h)
{
    int port;
    rts_loop_new();
    service.handlers = h;
    int fd = tk_listen("127.0.0.1", &port);
    TK_ASSERT(ev_listen(rts_loop, fd, &ws_upgrade_handlers, &service) == 0, "ev_listen failed");
    return port;
}

/* ---- running the loop, with every wait bounded ------------------------------------ */

static long time_up(struct ev_loop *loop, void *arg)
{
    *(bool *)arg = true;
    ev_stop(loop);
    return EV_TIMER_DONE;
}

/* Stops the loop every 10 ms, so that the condition is checked. */
static long tick(struct ev_loop *loop, void *arg)
{
    (void)arg;
    ev_stop(loop);
    return 10;
}

static bool run(bool (*done)(void), int timeout_ms)
{
    bool expired = false;
    uint64_t deadline = ev_timer_add(rts_loop, timeout_ms, time_up, &expired);
    uint64_t ticker = ev_timer_add(rts_loop, 10, tick, NULL);
    while (!(done && done()) && !expired)
        TK_ASSERT(ev_run(rts_loop) == 0, "ev_run failed");
    ev_timer_cancel(rts_loop, deadline);
    ev_timer_cancel(rts_loop, ticker);
    return !done || done();
}

void rts_run_until(bool (*done)(void), int timeout_ms, const char *what)
{
    TK_ASSERT(run(done, timeout_ms), "%s: not within %d ms", what, timeout_ms);
}

void rts_run_for(int ms) { run(NULL, ms); }

static struct tk_proc *program;
static bool program_exited(void) { return !tk_still_running(program, 0); }

void rts_run_program(struct tk_proc *p, int timeout_ms, const char *what)
{
    program = p;
    rts_run_until(program_exited, timeout_ms, what);
    tk_wait(p, 2000);
}

/* ---- the client's requests ---------------------------------------------------------- */

void rts_read_request(const char *data, size_t len, struct rpc_request *req)
{
    int code;
    long long id;
    char err[JSON_ERR_LEN];
    TK_ASSERT(rpc_parse_request(data, len, req, &code, &id, err) == 0,
              "the client sent a malformed request (%s): %.*s", err, (int)len, data);
}

const char *rts_param_id(const struct rpc_request *req)
{
    const char *id;
    size_t len;
    TK_ASSERT(json_as_string(json_member(req->params, "id"), &id, &len),
              "%s: params without a string \"id\"", req->method);
    return id;
}

/* ---- replies sent later ------------------------------------------------------------- */

/* Every delayed reply is kept here, so that those a closed connection never
 * sent are freed at the end. */
struct delayed {
    struct ws *ws;
    char *text;
    size_t len;
};
static struct delayed *delayed;
static size_t delayed_count, delayed_cap;

void (*rts_on_sent)(struct ws *ws);

static long send_delayed(struct ev_conn *c, void *arg)
{
    (void)c;
    struct delayed *d = &delayed[(size_t)arg];
    ws_send(d->ws, WS_TEXT, d->text, d->len);
    if (rts_on_sent)
        rts_on_sent(d->ws);
    return EV_TIMER_DONE;
}

void rts_send_later(struct ws *ws, char *text, size_t len, long delay_ms)
{
    if (delay_ms <= 0) {
        ws_send(ws, WS_TEXT, text, len);
        free(text);
        if (rts_on_sent)
            rts_on_sent(ws);
        return;
    }
    if (delayed_count == delayed_cap) {
        delayed_cap = delayed_cap ? 2 * delayed_cap : 256;
        delayed = realloc(delayed, delayed_cap * sizeof *delayed);
        TK_ASSERT(delayed != NULL, "out of memory");
    }
    delayed[delayed_count] = (struct delayed){ws, text, len};
    TK_ASSERT(ev_conn_timer_add(ws_conn(ws), delay_ms, send_delayed,
                                (void *)delayed_count) != 0,
              "ev_conn_timer_add failed");
    delayed_count++;
}

void rts_finish(void)
{
    ev_loop_free(rts_loop); /* closes the connections: on_close runs */
    rts_loop = NULL;
    for (size_t i = 0; i < delayed_count; i++)
        free(delayed[i].text);
    free(delayed);
    delayed = NULL;
    delayed_count = delayed_cap = 0;
    rts_on_sent = NULL;
}

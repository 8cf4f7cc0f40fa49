/* rpc-test-server.h - a WebSocket server inside a test, on the test's own
 * event loop, for the tests of the request/reply layer and its exercises.
 *
 * The test gives the WebSocket handlers of its server (which may answer
 * late, twice, never, or drop the connection: whatever the case needs),
 * starts it, and runs the loop while a condition holds or while a program
 * under test runs; every wait is bounded.
 */
#ifndef RPC_TEST_SERVER_H
#define RPC_TEST_SERVER_H

#include "evloop.h"
#include "rpc.h"
#include "testkit.h"
#include "ws.h"

#include <stdbool.h>
#include <stddef.h>

/* The loop of the case (made by rts_start, or by rts_loop_new alone). */
extern struct ev_loop *rts_loop;

/* A new loop for the case. */
void rts_loop_new(void);

/* Makes the loop, listens on 127.0.0.1 and serves every upgrade request
 * with the handlers; returns the port. */
int rts_start(const struct ws_handlers *h);

/* Runs the loop until done() is true, failing the case ("WHAT: not within
 * N ms") after timeout_ms. */
void rts_run_until(bool (*done)(void), int timeout_ms, const char *what);

/* Runs the loop for ms milliseconds. */
void rts_run_for(int ms);

/* Runs the loop until the program p exits (it is then reaped, its output
 * collected), failing the case after timeout_ms. */
void rts_run_program(struct tk_proc *p, int timeout_ms, const char *what);

/* Sends text (malloc'd, taken over) on ws after delay_ms (at once if 0),
 * unless the connection has closed by then.  rts_on_sent, if set, is called
 * after each one is sent. */
void rts_send_later(struct ws *ws, char *text, size_t len, long delay_ms);
extern void (*rts_on_sent)(struct ws *ws);

/* The request in the text message data, which the client under test must
 * have written right: the case fails if it did not.  Free it with
 * rpc_request_free(). */
void rts_read_request(const char *data, size_t len, struct rpc_request *req);

/* The string param "id" of req (the case fails if it has none). */
const char *rts_param_id(const struct rpc_request *req);

/* Frees the loop and whatever replies were never sent. */
void rts_finish(void);

#endif

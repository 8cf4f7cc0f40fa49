/* inspect-service.h - the document inspector of ws-server, at /inspect.
 *
 * A few fictional documents made of widget containers, each holding one
 * widget whose properties name its data source, served with the requests
 * of rpc.h:
 *
 *     GetDocument          {"id": DOC}  ->  {"type": T, "widgetContainerIds": [...]}
 *     GetWidgetContainer   {"id": C}    ->  {"widgetId": W}
 *     GetWidgetProperties  {"id": W}    ->  {"id": W, "type": ..., "dataSource": {...}}
 *
 * Each reply is sent after a delay of its own (a timer of the event loop,
 * never a sleep), so replies come back in another order than the requests
 * went out, as they would from a service that fetched each answer from
 * somewhere slower than memory.
 */
#ifndef INSPECT_SERVICE_H
#define INSPECT_SERVICE_H

#include "ws.h"

/* The WebSocket handlers of an /inspect session: ws-server passes them to
 * ws_accept() for that path. */
extern const struct ws_handlers inspect_handlers;

/* Replies are delayed by a pseudo-random time from min_ms to max_ms (the
 * defaults: INSPECT_MIN_DELAY_MS, INSPECT_MAX_DELAY_MS). */
#define INSPECT_MIN_DELAY_MS 5
#define INSPECT_MAX_DELAY_MS 60
void inspect_set_delays(long min_ms, long max_ms);

/* A connection may have this many replies waiting for their delay.  A
 * client that sends more requests before reading the answers is not
 * keeping a pipeline full, it is flooding the server: its connection is
 * closed with code 1008 (policy violation).  This bounds the memory and the
 * time one client can take from the others. */
#define INSPECT_MAX_WAITING 4096

#endif

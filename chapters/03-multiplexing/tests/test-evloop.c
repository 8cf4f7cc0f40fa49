/* test-evloop.c - white-box tests of the event loop (lib/evloop.h).
 *
 * Each case runs a loop in the test's own process.  The peer of a
 * connection is usually the other end of a socketpair, read by a watcher
 * in the same loop, so a case needs no second thread: it queues what the
 * peer sends, runs the loop until a condition holds (or a deadline passes,
 * which fails the case), and checks what happened.
 */
#define _GNU_SOURCE
#include "evloop.h"
#include "testkit.h"
#include "workers.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 5000

static struct ev_loop *loop;

static void new_loop(void)
{
    char err[EV_ERR_LEN];
    loop = ev_loop_new(err);
    TK_ASSERT(loop != NULL, "ev_loop_new: %s", err);
}

/* ---- running until something happened ---------------------------------------- */

static bool (*until)(void);
static bool gave_up;

static long check_until(struct ev_loop *l, void *arg)
{
    (void)arg;
    if (until())
        ev_stop(l);
    return 2;
}

static long give_up(struct ev_loop *l, void *arg)
{
    (void)arg;
    gave_up = true;
    ev_stop(l);
    return EV_TIMER_DONE;
}

static void run_until(bool (*cond)(void), const char *what)
{
    until = cond;
    gave_up = false;
    uint64_t check = ev_timer_add(loop, 1, check_until, NULL);
    uint64_t guard = ev_timer_add(loop, WAIT_MS, give_up, NULL);
    TK_ASSERT(check != 0 && guard != 0, "ev_timer_add failed");
    TK_ASSERT_INT_EQ(ev_run(loop), 0, "ev_run");
    ev_timer_cancel(loop, check);
    ev_timer_cancel(loop, guard);
    TK_ASSERT(cond(), "timed out waiting for %s", what);
}

/* ---- what the connection under test saw ---------------------------------------- */

struct record {
    int opened, closed, eofs;
    enum ev_reason reason;
    int err;
    char text[128];
    bool ended_at_eof;
};
static struct record rec;

static void record_close(struct ev_conn *c)
{
    rec.closed++;
    rec.reason = ev_close_reason(c);
    rec.err = ev_close_errno(c);
    snprintf(rec.text, sizeof rec.text, "%s", ev_close_reason_text(c));
}

static bool conn_closed(void)
{
    return rec.closed > 0;
}

/* ---- the peer: the other end of a socketpair, read by a watcher ------------------ */

struct peer {
    int fd;
    char *data;
    size_t len, cap;
    bool eof;
};
static struct peer peer;

static void peer_readable(struct ev_loop *l, int fd, void *arg)
{
    (void)arg;
    char buf[64 * 1024];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
        if (peer.len + (size_t)n > peer.cap) {
            peer.cap = (peer.len + (size_t)n) * 2;
            peer.data = realloc(peer.data, peer.cap);
            TK_ASSERT(peer.data != NULL, "out of memory");
        }
        memcpy(peer.data + peer.len, buf, (size_t)n);
        peer.len += (size_t)n;
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        peer.eof = true;
        TK_ASSERT_INT_EQ(ev_unwatch(l, fd), 0, "ev_unwatch inside the watcher");
    }
}

static bool peer_got_eof(void)
{
    return peer.eof;
}

/* A connection served with h, whose peer is read by a watcher.  The peer
 * has already sent what (if not NULL), and half-closed if half_close. */
static struct ev_conn *pair_with(const struct ev_handlers *h, const char *what,
                                 size_t len, bool half_close)
{
    int sv[2];
    TK_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair: %s", strerror(errno));
    memset(&peer, 0, sizeof peer);
    memset(&rec, 0, sizeof rec);
    peer.fd = sv[1];
    if (what != NULL)
        tk_send(peer.fd, what, len, WAIT_MS);
    if (half_close)
        TK_ASSERT(shutdown(peer.fd, SHUT_WR) == 0, "shutdown: %s", strerror(errno));
    TK_ASSERT_INT_EQ(ev_watch(loop, peer.fd, peer_readable, NULL), 0, "ev_watch");
    struct ev_conn *c = ev_add(loop, sv[0], h, NULL);
    TK_ASSERT(c != NULL, "ev_add: %s", strerror(errno));
    return c;
}

static void finish(void)
{
    ev_unwatch(loop, peer.fd);
    close(peer.fd);
    free(peer.data);
    ev_loop_free(loop);
}

/* ---- timers --------------------------------------------------------------------- */

static int fired[4];

static long count_once(struct ev_loop *l, void *arg)
{
    (void)l;
    fired[(intptr_t)arg]++;
    return EV_TIMER_DONE;
}

static long count_three_times(struct ev_loop *l, void *arg)
{
    (void)l;
    return ++fired[(intptr_t)arg] < 3 ? 5 : EV_TIMER_DONE;
}

static uint64_t self_id;

static long cancel_self(struct ev_loop *l, void *arg)
{
    fired[(intptr_t)arg]++;
    TK_ASSERT_INT_EQ(ev_timer_cancel(l, self_id), 0, "a timer cancelling itself");
    return 5; /* ignored: it has been cancelled */
}

static bool timers_done(void)
{
    return fired[0] == 1 && fired[1] == 3 && fired[3] == 1;
}

static void timers(void)
{
    new_loop();
    TK_ASSERT(ev_timer_add(loop, 10, count_once, (void *)0) != 0, "ev_timer_add");
    TK_ASSERT(ev_timer_add(loop, 1, count_three_times, (void *)1) != 0, "ev_timer_add");
    uint64_t never = ev_timer_add(loop, 20, count_once, (void *)2);
    self_id = ev_timer_add(loop, 1, cancel_self, (void *)3);
    TK_ASSERT_INT_EQ(ev_timer_cancel(loop, never), 0, "cancelling a pending timer");
    TK_ASSERT_INT_EQ(ev_timer_cancel(loop, never), -1, "cancelling it twice");
    run_until(timers_done, "the timers");
    tk_sleep_ms(40);
    /* Run a little longer: nothing may fire again. */
    run_until(timers_done, "nothing more");
    TK_ASSERT_INT_EQ(fired[2], 0, "a cancelled timer's runs");
    TK_ASSERT_INT_EQ(fired[3], 1, "runs of a timer that cancelled itself");
    TK_ASSERT_INT_EQ(ev_timer_cancel(loop, self_id), -1, "cancelling a finished timer");
    ev_loop_free(loop);
}

static int conn_fired[3];

static long conn_tick(struct ev_conn *c, void *arg)
{
    (void)c;
    conn_fired[(intptr_t)arg]++;
    return 5;
}

/* Closes the connection once both of its other timers have run three times. */
static long close_when_both_ran(struct ev_conn *c, void *arg)
{
    (void)arg;
    if (conn_fired[0] < 3 || conn_fired[1] < 3)
        return 2;
    ev_close_now(c);
    return EV_TIMER_DONE;
}

static const struct ev_handlers quiet = {.on_data = NULL, .on_close = record_close};

static void ignore_data(struct ev_conn *c)
{
    (void)c;
}

static void conn_timers(void)
{
    new_loop();
    struct ev_handlers h = quiet;
    h.on_data = ignore_data;
    struct ev_conn *c = pair_with(&h, NULL, 0, false);
    uint64_t a = ev_conn_timer_add(c, 1, conn_tick, (void *)0);
    uint64_t b = ev_conn_timer_add(c, 2, conn_tick, (void *)1);
    TK_ASSERT(a != 0 && b != 0 && a != b, "ev_conn_timer_add ids %llu %llu",
              (unsigned long long)a, (unsigned long long)b);
    TK_ASSERT(ev_conn_timer_add(c, 2, close_when_both_ran, NULL) != 0, "ev_conn_timer_add");
    uint64_t cancelled = ev_conn_timer_add(c, 1, conn_tick, (void *)2);
    TK_ASSERT_INT_EQ(ev_conn_timer_cancel(c, cancelled), 0, "ev_conn_timer_cancel");
    TK_ASSERT_INT_EQ(ev_conn_timer_cancel(c, cancelled), -1, "cancelling it twice");
    run_until(conn_closed, "two timers of one connection running three times each");
    TK_ASSERT_INT_EQ(rec.reason, EV_CLOSED_HERE, "the reason");
    int before[2] = {conn_fired[0], conn_fired[1]};
    tk_sleep_ms(20);
    run_until(peer_got_eof, "the peer's end of stream");
    TK_ASSERT(conn_fired[0] == before[0] && conn_fired[1] == before[1],
              "a connection's timers ran after it closed");
    TK_ASSERT_INT_EQ(conn_fired[2], 0, "runs of a cancelled connection timer");
    finish();
}

/* ---- handlers swapped mid-stream ------------------------------------------------- */

static void upper_echo(struct ev_conn *c)
{
    size_t len;
    const char *in = ev_input(c, &len);
    for (size_t i = 0; i < len; i++) {
        char up = (char)(in[i] >= 'a' && in[i] <= 'z' ? in[i] - 32 : in[i]);
        ev_write(c, &up, 1);
    }
    ev_consume(c, len);
}

static const struct ev_handlers upper = {.on_data = upper_echo, .on_close = record_close};

/* Takes one line "UPGRADE\n", answers, and hands the rest to upper. */
static void upgrade_on_request(struct ev_conn *c)
{
    size_t len;
    const char *in = ev_input(c, &len);
    const char *nl = memchr(in, '\n', len);
    if (nl == NULL)
        return;
    ev_consume(c, (size_t)(nl - in) + 1);
    ev_write(c, "A\n", 2);
    ev_set_handlers(c, &upper);
    TK_ASSERT(ev_handlers_of(c) == &upper, "ev_handlers_of after the swap");
}

static const struct ev_handlers upgrading = {.on_data = upgrade_on_request,
                                             .on_close = record_close};

static void swap_in_on_data(void)
{
    new_loop();
    pair_with(&upgrading, "UPGRADE\nhello", 13, true);
    run_until(peer_got_eof, "the end of the reply");
    TK_ASSERT_BYTES_EQ(peer.data, peer.len, "A\nHELLO", 7,
                       "what followed the upgrade in the same send");
    TK_ASSERT_INT_EQ(rec.reason, EV_PEER_CLOSED, "the reason");
    finish();
}

static struct ev_conn *swapped;

static long swap_later(struct ev_loop *l, void *arg)
{
    (void)l;
    (void)arg;
    ev_set_handlers(swapped, &upper);
    return EV_TIMER_DONE;
}

static bool got_five(void)
{
    return peer.len >= 5;
}

static void swap_outside_on_data(void)
{
    new_loop();
    struct ev_handlers h = quiet;
    h.on_data = ignore_data;
    swapped = pair_with(&h, "later", 5, false);
    ev_timer_add(loop, 30, swap_later, NULL);
    run_until(got_five, "the new handler's answer to input already pending");
    TK_ASSERT_BYTES_EQ(peer.data, peer.len, "LATER", 5, "the reply");
    finish();
}

/* ---- end of input is not end of output ------------------------------------------- */

static void ok_per_line(struct ev_conn *c)
{
    size_t n;
    bool too_long;
    while ((n = ev_line(c, 100, &too_long)) > 0) {
        ev_write(c, "ok\n", 3);
        ev_consume(c, n);
    }
}

static const struct ev_handlers lines = {.on_data = ok_per_line, .on_close = record_close};

static void half_close_answers(void)
{
    new_loop();
    pair_with(&lines, "one\ntwo\nthree\n", 14, true);
    run_until(peer_got_eof, "the end of the answers");
    TK_ASSERT_BYTES_EQ(peer.data, peer.len, "ok\nok\nok\n", 9, "answers after a half-close");
    TK_ASSERT_INT_EQ(rec.reason, EV_PEER_CLOSED, "the reason");
    TK_ASSERT_STR_EQ(rec.text, "closed by peer", "the reason as text");
    finish();
}

#define LONG_REPLY (3 * 1024 * 1024)
#define PIECE (64 * 1024)
static size_t produced;

static void produce_piece(struct ev_conn *c)
{
    static char piece[PIECE];
    if (produced >= LONG_REPLY)
        return;
    memset(piece, 'a' + (int)(produced / PIECE % 26), sizeof piece);
    ev_write(c, piece, sizeof piece);
    produced += sizeof piece;
}

static void start_long_reply(struct ev_conn *c)
{
    size_t len;
    ev_input(c, &len);
    ev_consume(c, len);
    produced = 0;
    produce_piece(c);
}

static const struct ev_handlers long_reply = {
    .on_data = start_long_reply, .on_drain = produce_piece, .on_close = record_close};

static void half_close_long_reply(void)
{
    new_loop();
    pair_with(&long_reply, "GET", 3, true);
    run_until(peer_got_eof, "the end of the long reply");
    TK_ASSERT_INT_EQ(peer.len, LONG_REPLY, "bytes of a reply produced by on_drain after a half-close");
    for (size_t i = 0; i < peer.len; i += PIECE)
        TK_ASSERT(peer.data[i] == 'a' + (int)(i / PIECE % 26), "piece at %zu", i);
    TK_ASSERT_INT_EQ(rec.reason, EV_PEER_CLOSED, "the reason");
    finish();
}

/* A large write goes to the socket at once, but behind what is queued:
 * the bytes still arrive in the order they were written. */
#define LARGE_WRITE (1024 * 1024 + 7)
static char *large;

static void small_large_small(struct ev_conn *c)
{
    size_t len;
    ev_input(c, &len);
    ev_consume(c, len);
    ev_write(c, "head", 4);
    ev_write(c, large, LARGE_WRITE);
    ev_write(c, "tail", 4);
    ev_close(c);
}

static const struct ev_handlers writes_in_order = {.on_data = small_large_small,
                                                   .on_close = record_close};

static void large_write_in_order(void)
{
    large = malloc(LARGE_WRITE);
    TK_ASSERT(large != NULL, "out of memory");
    for (size_t i = 0; i < LARGE_WRITE; i++)
        large[i] = (char)(i * 31 + i / 4096);
    new_loop();
    pair_with(&writes_in_order, "go", 2, false);
    run_until(peer_got_eof, "the end of the writes");
    TK_ASSERT_INT_EQ(peer.len, LARGE_WRITE + 8, "bytes received");
    TK_ASSERT(memcmp(peer.data, "head", 4) == 0, "the small write queued first comes first");
    TK_ASSERT(memcmp(peer.data + 4, large, LARGE_WRITE) == 0, "the large write, intact");
    TK_ASSERT(memcmp(peer.data + 4 + LARGE_WRITE, "tail", 4) == 0, "the small write after it");
    TK_ASSERT_INT_EQ(rec.reason, EV_CLOSED_HERE, "the reason");
    free(large);
    finish();
}

static long answer_late(struct ev_conn *c, void *arg)
{
    (void)arg;
    ev_write(c, "late\n", 5);
    ev_close(c);
    return EV_TIMER_DONE;
}

static void eof_then_later(struct ev_conn *c)
{
    rec.eofs++;
    rec.ended_at_eof = ev_input_ended(c);
    ev_conn_timer_add(c, 30, answer_late, NULL);
}

static const struct ev_handlers keeps_open = {
    .on_data = ignore_data, .on_eof = eof_then_later, .on_close = record_close};

static void on_eof_keeps_open(void)
{
    new_loop();
    pair_with(&keeps_open, "x", 1, true);
    run_until(peer_got_eof, "the late answer");
    TK_ASSERT_INT_EQ(rec.eofs, 1, "calls of on_eof");
    TK_ASSERT(rec.ended_at_eof, "ev_input_ended() in on_eof");
    TK_ASSERT_BYTES_EQ(peer.data, peer.len, "late\n", 5, "the answer sent after on_eof");
    TK_ASSERT_INT_EQ(rec.reason, EV_CLOSED_HERE, "the reason");
    finish();
}

/* ---- bounded work per turn ------------------------------------------------------- */

#define BIG_ANSWER (100 * 1024)
#define REQUESTS 100
static size_t worst_pending;

/* One byte is one request, answered with BIG_ANSWER bytes; stops while the
 * output is full, as the rule in evloop.h says. */
static void answer_while_room(struct ev_conn *c)
{
    static char answer[BIG_ANSWER];
    size_t len;
    ev_input(c, &len);
    while (len > 0 && !ev_output_full(c)) {
        ev_write(c, answer, sizeof answer);
        ev_consume(c, 1);
        ev_input(c, &len);
    }
    if (ev_output_pending(c) > worst_pending)
        worst_pending = ev_output_pending(c);
}

static const struct ev_handlers pipelined = {.on_data = answer_while_room,
                                             .on_close = record_close};

static bool got_all_answers(void)
{
    return peer.len >= (size_t)REQUESTS * BIG_ANSWER;
}

static void output_bound(void)
{
    new_loop();
    char requests[REQUESTS];
    memset(requests, 'x', sizeof requests);
    pair_with(&pipelined, requests, sizeof requests, false);
    run_until(got_all_answers, "every answer of a pipelined burst");
    TK_ASSERT_INT_EQ(peer.len, (size_t)REQUESTS * BIG_ANSWER, "bytes answered");
    TK_ASSERT(worst_pending <= EV_OUTPUT_LIMIT + BIG_ANSWER,
              "one callback queued %zu bytes (limit %d)", worst_pending, EV_OUTPUT_LIMIT);
    finish();
}

/* ---- large input ---------------------------------------------------------------- */

static void consume_nothing(struct ev_conn *c)
{
    (void)c;
}

static const struct ev_handlers hoarder = {.on_data = consume_nothing,
                                           .on_close = record_close};

static void input_stall_reported(void)
{
    new_loop();
    size_t len = 2 * EV_INPUT_LIMIT;
    char *big = tk_alloc(len);
    memset(big, 'z', len);
    /* The buffer of a socketpair holds it all at once. */
    pair_with(&hoarder, NULL, 0, false);
    ssize_t n = send(peer.fd, big, len, MSG_DONTWAIT);
    TK_ASSERT(n > (ssize_t)EV_INPUT_LIMIT, "the socketpair took only %zd bytes", n);
    run_until(conn_closed, "the loop to give up on a handler that never consumes");
    TK_ASSERT_INT_EQ(rec.reason, EV_FAILED, "the reason");
    TK_ASSERT_INT_EQ(rec.err, EMSGSIZE, "the errno");
    TK_ASSERT(strstr(rec.text, "failed: ") == rec.text, "the text: %s", rec.text);
    free(big);
    finish();
}

/* A decoder of "LENGTH\n" + payload that takes the payload in pieces. */
static size_t payload_left, payload_seen;
static bool header_read;

static void decode_in_pieces(struct ev_conn *c)
{
    size_t len;
    const char *in = ev_input(c, &len);
    if (!header_read) {
        const char *nl = memchr(in, '\n', len);
        if (nl == NULL)
            return;
        payload_left = strtoul(in, NULL, 10);
        header_read = true;
        ev_consume(c, (size_t)(nl - in) + 1);
        in = ev_input(c, &len);
    }
    size_t take = len < payload_left ? len : payload_left;
    payload_seen += take;
    payload_left -= take;
    ev_consume(c, take);
    if (payload_left == 0)
        ev_write(c, "done\n", 5);
}

static const struct ev_handlers pieces = {.on_data = decode_in_pieces,
                                          .on_close = record_close};

static bool got_done(void)
{
    return peer.len >= 5;
}

static void large_message(void)
{
    new_loop();
    header_read = false;
    payload_seen = 0;
    pair_with(&pieces, "1000000\n", 8, false);
    static char payload[1000000];
    memset(payload, 'p', sizeof payload);
    size_t sent = 0;
    long long deadline = tk_now_ms() + WAIT_MS;
    while (sent < sizeof payload) {
        ssize_t n = send(peer.fd, payload + sent, sizeof payload - sent, MSG_DONTWAIT);
        if (n > 0)
            sent += (size_t)n;
        TK_ASSERT(tk_now_ms() < deadline, "the loop stopped taking the payload at %zu", sent);
        /* One short turn of the loop takes some of it. */
        until = got_done;
        uint64_t stop = ev_timer_add(loop, 5, give_up, NULL);
        ev_run(loop);
        ev_timer_cancel(loop, stop);
    }
    run_until(got_done, "the decoder's answer");
    TK_ASSERT_INT_EQ(payload_seen, sizeof payload, "payload bytes decoded");
    TK_ASSERT_BYTES_EQ(peer.data, peer.len, "done\n", 5, "the answer");
    finish();
}

/* ---- ev_connect ------------------------------------------------------------------ */

static void echo_all(struct ev_conn *c)
{
    size_t len;
    const char *in = ev_input(c, &len);
    ev_write(c, in, len);
    ev_consume(c, len);
}

static const struct ev_handlers echo_server = {.on_data = echo_all};

static void client_open(struct ev_conn *c)
{
    rec.opened++;
    ev_write(c, "ping", 4);
}

static void client_data(struct ev_conn *c)
{
    size_t len;
    const char *in = ev_input(c, &len);
    if (len < 4)
        return;
    TK_ASSERT_BYTES_EQ(in, len, "ping", 4, "the echo");
    ev_consume(c, len);
    ev_close(c);
}

static const struct ev_handlers client = {
    .on_open = client_open, .on_data = client_data, .on_close = record_close};

static void connect_ok(void)
{
    new_loop();
    memset(&rec, 0, sizeof rec);
    int port;
    int listener = tk_listen("127.0.0.1", &port);
    TK_ASSERT_INT_EQ(ev_listen(loop, listener, &echo_server, NULL), 0, "ev_listen");
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    struct ev_conn *c = ev_connect(loop, "127.0.0.1", port_text, &client, NULL, WAIT_MS);
    TK_ASSERT(c != NULL, "ev_connect: %s", strerror(errno));
    TK_ASSERT(ev_find(loop, ev_id(c)) == c, "ev_find of a connection being made");
    run_until(conn_closed, "the echo and close");
    TK_ASSERT_INT_EQ(rec.opened, 1, "calls of on_open");
    TK_ASSERT_INT_EQ(rec.reason, EV_CLOSED_HERE, "the reason");
    ev_loop_free(loop);
}

static void connect_refused(void)
{
    new_loop();
    memset(&rec, 0, sizeof rec);
    int port;
    int holder = tk_refusing_port("127.0.0.1", &port);
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    TK_ASSERT(ev_connect(loop, "127.0.0.1", port_text, &client, NULL, WAIT_MS) != NULL,
              "ev_connect: %s", strerror(errno));
    run_until(conn_closed, "the failure");
    TK_ASSERT_INT_EQ(rec.opened, 0, "calls of on_open");
    TK_ASSERT_INT_EQ(rec.reason, EV_FAILED, "the reason");
    TK_ASSERT_INT_EQ(rec.err, ECONNREFUSED, "the errno");
    TK_ASSERT_STR_EQ(rec.text, "failed: Connection refused", "the reason as text");
    close(holder);
    ev_loop_free(loop);
}

static void connect_unresolvable(void)
{
    new_loop();
    memset(&rec, 0, sizeof rec);
    TK_ASSERT(ev_connect(loop, "127.0.0.1", "no-such-service-here", &client, NULL, WAIT_MS) !=
                  NULL,
              "ev_connect: %s", strerror(errno));
    run_until(conn_closed, "the failure");
    TK_ASSERT_INT_EQ(rec.opened, 0, "calls of on_open");
    TK_ASSERT_INT_EQ(rec.reason, EV_FAILED, "the reason");
    ev_loop_free(loop);
}

static void connect_timeout(void)
{
    new_loop();
    memset(&rec, 0, sizeof rec);
    int port;
    int l = tk_unanswering_port("127.0.0.1", &port);
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    long long start = tk_now_ms();
    TK_ASSERT(ev_connect(loop, "127.0.0.1", port_text, &client, NULL, 150) != NULL,
              "ev_connect: %s", strerror(errno));
    run_until(conn_closed, "the deadline");
    long long took = tk_now_ms() - start;
    TK_ASSERT_INT_EQ(rec.opened, 0, "calls of on_open");
    TK_ASSERT_INT_EQ(rec.reason, EV_TIMED_OUT, "the reason");
    TK_ASSERT(took >= 140 && took < 2000, "a 150 ms deadline took %lld ms", took);
    close(l);
    ev_loop_free(loop);
}

/* ---- watchers ------------------------------------------------------------------- */

static int datagrams;

static void take_datagram(struct ev_loop *l, int fd, void *arg)
{
    (void)arg;
    char buf[64];
    if (recv(fd, buf, sizeof buf, 0) > 0 && ++datagrams == 3)
        TK_ASSERT_INT_EQ(ev_unwatch(l, fd), 0, "ev_unwatch inside the watcher");
}

static bool three_datagrams(void)
{
    return datagrams >= 3;
}

static void watch_datagrams(void)
{
    new_loop();
    int sv[2];
    TK_ASSERT(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "socketpair: %s", strerror(errno));
    for (int i = 0; i < 4; i++)
        TK_ASSERT(send(sv[1], "d", 1, 0) == 1, "send: %s", strerror(errno));
    TK_ASSERT_INT_EQ(ev_watch(loop, sv[0], take_datagram, NULL), 0, "ev_watch");
    run_until(three_datagrams, "three datagrams");
    tk_sleep_ms(20);
    run_until(three_datagrams, "nothing more");
    TK_ASSERT_INT_EQ(datagrams, 3, "datagrams taken (the watcher stopped after three)");
    TK_ASSERT_INT_EQ(ev_unwatch(loop, sv[0]), -1, "ev_unwatch of a descriptor not watched");
    TK_ASSERT_INT_EQ(errno, ENOENT, "its errno");
    close(sv[0]);
    close(sv[1]);
    ev_loop_free(loop);
}

/* ---- lines ---------------------------------------------------------------------- */

/* Echoes each line as "[line]" and each too-long piece as "<piece>". */
static void bracket_lines(struct ev_conn *c)
{
    size_t n;
    bool too_long;
    while ((n = ev_line(c, 8, &too_long)) > 0) {
        size_t len;
        const char *in = ev_input(c, &len);
        ev_write(c, too_long ? "<" : "[", 1);
        ev_write(c, in, too_long ? n : n - 1);
        ev_write(c, too_long ? ">" : "]", 1);
        ev_consume(c, n);
    }
}

static const struct ev_handlers bracketed = {.on_data = bracket_lines,
                                             .on_close = record_close};

static const char lines_in[] = "one\n\ntwo\nabcdefghijklmnopq\nlast\n";
static const char lines_out[] = "[one][][two]<abcdefgh><ijklmnop>[q][last]";

static bool got_all_lines(void)
{
    return peer.len >= sizeof lines_out - 1;
}

/* The lines sent whole, then a byte at a time with a turn of the loop
 * after each: the same lines come out. */
static void lines_split(void)
{
    new_loop();
    pair_with(&bracketed, lines_in, sizeof lines_in - 1, false);
    run_until(got_all_lines, "the lines sent at once");
    TK_ASSERT_BYTES_EQ(peer.data, peer.len, lines_out, sizeof lines_out - 1, "lines at once");
    finish();

    new_loop();
    pair_with(&bracketed, NULL, 0, false);
    for (size_t i = 0; i < sizeof lines_in - 1; i++) {
        tk_send(peer.fd, lines_in + i, 1, WAIT_MS);
        until = got_all_lines;
        uint64_t stop = ev_timer_add(loop, 2, give_up, NULL);
        ev_run(loop);
        ev_timer_cancel(loop, stop);
    }
    run_until(got_all_lines, "the lines sent a byte at a time");
    TK_ASSERT_BYTES_EQ(peer.data, peer.len, lines_out, sizeof lines_out - 1,
                       "lines a byte at a time");
    finish();
}

/* ---- the worker pool (workers.h) --------------------------------------------------- */

struct test_work {
    struct work work;
    int gate;             /* run() waits for a byte on it, if >= 0 */
    atomic_bool running;
    bool done_on_loop;    /* done ran on the loop's thread */
    bool done, dropped;
};

static pthread_t loop_thread;

static void gated_run(struct work *w)
{
    struct test_work *t = (struct test_work *)w;
    atomic_store(&t->running, true);
    char byte;
    if (t->gate >= 0)
        TK_ASSERT(read(t->gate, &byte, 1) == 1, "reading the gate: %s", strerror(errno));
}

static void note_done(struct work *w)
{
    struct test_work *t = (struct test_work *)w;
    t->done = true;
    t->dropped = w->dropped;
    t->done_on_loop = pthread_equal(pthread_self(), loop_thread);
}

static struct test_work jobs[4];

static bool first_two_done(void)
{
    return jobs[0].done && jobs[1].done;
}

static void wait_running(struct test_work *t)
{
    long long deadline = tk_now_ms() + WAIT_MS;
    while (!atomic_load(&t->running)) {
        TK_ASSERT(tk_now_ms() < deadline, "the worker never started the job");
        tk_sleep_ms(1);
    }
}

/* One worker, a queue of one: with a job in hand and one waiting, a third
 * is refused with EAGAIN; the two others are done on the loop's thread. */
static void workers_bounded(void)
{
    new_loop();
    loop_thread = pthread_self();
    char err[EV_ERR_LEN];
    struct workers *pool = workers_start(loop, 1, 1, err);
    TK_ASSERT(pool != NULL, "workers_start: %s", err);
    TK_ASSERT_INT_EQ(workers_count(pool), 1, "workers_count");
    int gate[2];
    TK_ASSERT(pipe(gate) == 0, "pipe: %s", strerror(errno));
    for (int i = 0; i < 3; i++) {
        jobs[i] = (struct test_work){.work = {.run = gated_run, .done = note_done},
                                     .gate = i == 0 ? gate[0] : -1};
    }
    TK_ASSERT_INT_EQ(workers_submit(pool, &jobs[0].work), 0, "the first job");
    wait_running(&jobs[0]);
    TK_ASSERT_INT_EQ(workers_submit(pool, &jobs[1].work), 0, "the second job");
    TK_ASSERT_INT_EQ(workers_submit(pool, &jobs[2].work), -1, "a third job, queue full");
    TK_ASSERT_INT_EQ(errno, EAGAIN, "its errno");
    TK_ASSERT(write(gate[1], "g", 1) == 1, "opening the gate");
    run_until(first_two_done, "both jobs");
    TK_ASSERT(jobs[0].done_on_loop && jobs[1].done_on_loop, "done ran on another thread");
    TK_ASSERT(!jobs[0].dropped && !jobs[1].dropped, "a job that ran was marked dropped");
    workers_stop(pool);
    close(gate[0]);
    close(gate[1]);
    ev_loop_free(loop);
    workers_free(pool);
}

static int late_gate = -1;

static void *open_gate_later(void *arg)
{
    (void)arg;
    tk_sleep_ms(200);
    ssize_t n = write(late_gate, "g", 1);
    (void)n;
    return NULL;
}

/* Stopping the pool: the job in hand is finished and posted back (and run
 * by ev_loop_free), the job still queued gets done with dropped set. */
static void workers_stop_drops_queued(void)
{
    new_loop();
    loop_thread = pthread_self();
    char err[EV_ERR_LEN];
    struct workers *pool = workers_start(loop, 1, 0, err);
    TK_ASSERT(pool != NULL, "workers_start: %s", err);
    int gate[2];
    TK_ASSERT(pipe(gate) == 0, "pipe: %s", strerror(errno));
    jobs[0] = (struct test_work){.work = {.run = gated_run, .done = note_done}, .gate = gate[0]};
    jobs[1] = (struct test_work){.work = {.run = gated_run, .done = note_done}, .gate = -1};
    TK_ASSERT_INT_EQ(workers_submit(pool, &jobs[0].work), 0, "the first job");
    wait_running(&jobs[0]);
    TK_ASSERT_INT_EQ(workers_submit(pool, &jobs[1].work), 0, "the second job");
    late_gate = gate[1];
    pthread_t opener;
    TK_ASSERT(pthread_create(&opener, NULL, open_gate_later, NULL) == 0, "pthread_create");
    workers_stop(pool);
    pthread_join(opener, NULL);
    TK_ASSERT(jobs[1].done && jobs[1].dropped, "the queued job was not dropped");
    TK_ASSERT(!atomic_load(&jobs[1].running), "the queued job ran after the stop");
    TK_ASSERT(!jobs[0].done, "the job in hand was done before the loop ran it");
    ev_loop_free(loop);
    TK_ASSERT(jobs[0].done && !jobs[0].dropped, "ev_loop_free did not finish the job in hand");
    TK_ASSERT(workers_submit(pool, &jobs[2].work) < 0 && errno == ECANCELED,
              "a job submitted after workers_stop was not refused");
    workers_free(pool);
    close(gate[0]);
    close(gate[1]);
}

/* ---- close reasons -------------------------------------------------------------- */

static const struct ev_handlers idle = {.on_data = ignore_data, .on_close = record_close};

static void reason_idle_timeout(void)
{
    new_loop();
    struct ev_conn *c = pair_with(&idle, NULL, 0, false);
    ev_set_timer(c, 20);
    run_until(conn_closed, "the idle timeout");
    TK_ASSERT_INT_EQ(rec.reason, EV_TIMED_OUT, "the reason");
    TK_ASSERT_STR_EQ(rec.text, "timed out", "the text");
    finish();
}

static void reason_peer_closed(void)
{
    new_loop();
    pair_with(&idle, "bye", 3, true);
    run_until(conn_closed, "the close");
    TK_ASSERT_INT_EQ(rec.reason, EV_PEER_CLOSED, "the reason");
    finish();
}

static void reason_reset(void)
{
    new_loop();
    memset(&rec, 0, sizeof rec);
    int port;
    int listener = tk_listen("127.0.0.1", &port);
    TK_ASSERT_INT_EQ(ev_listen(loop, listener, &idle, NULL), 0, "ev_listen");
    int fd = tk_connect("127.0.0.1", port);
    tk_send(fd, "x", 1, WAIT_MS);
    tk_reset(fd);
    run_until(conn_closed, "the reset");
    TK_ASSERT_INT_EQ(rec.reason, EV_PEER_RESET, "the reason");
    TK_ASSERT_INT_EQ(rec.err, ECONNRESET, "the errno");
    TK_ASSERT_STR_EQ(rec.text, "reset by peer", "the text");
    ev_loop_free(loop);
}

static const struct tk_case cases[] = {
    {"evloop.timers", timers},
    {"evloop.conn-timers", conn_timers},
    {"evloop.swap-in-on-data", swap_in_on_data},
    {"evloop.swap-outside-on-data", swap_outside_on_data},
    {"evloop.half-close-answers", half_close_answers},
    {"evloop.half-close-long-reply", half_close_long_reply},
    {"evloop.large-write-in-order", large_write_in_order},
    {"evloop.on-eof-keeps-open", on_eof_keeps_open},
    {"evloop.output-bound", output_bound},
    {"evloop.input-stall-reported", input_stall_reported},
    {"evloop.large-message", large_message},
    {"evloop.connect", connect_ok},
    {"evloop.connect-refused", connect_refused},
    {"evloop.connect-unresolvable", connect_unresolvable},
    {"evloop.connect-timeout", connect_timeout},
    {"evloop.watch-datagrams", watch_datagrams},
    {"evloop.reason-idle-timeout", reason_idle_timeout},
    {"evloop.reason-peer-closed", reason_peer_closed},
    {"evloop.reason-reset", reason_reset},
    {"evloop.lines", lines_split},
    {"workers.bounded", workers_bounded},
    {"workers.stop-drops-queued", workers_stop_drops_queued},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return tk_main(argc, argv, cases);
}

/* reverse-server - app-server's protocol with one more action: "reverse".
 *
 *   reverse-server [HOST] PORT
 *
 * A request {"action": "reverse", "value": "TEXT"} is answered with
 * {"result": "TXET"}: the characters of TEXT in reverse order.  Characters,
 * not bytes: "né" is the three bytes 6E C3 A9, and reversed byte by byte it
 * would be A9 C3 6E, which is not UTF-8 at all; reversed by character it is
 * "én", C3 A9 6E.  Any other request gets {"error": "..."}.
 *
 * Exercise 1 of chapter 04 (see README.md).
 */
#include "evloop.h"
#include "frame.h"
#include "serve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: reverse-server [HOST] PORT\n"
    "Answers {\"action\": \"reverse\", \"value\": TEXT} with TEXT reversed.\n";

/* Sends {"KEY": TEXT} as text/json. */
static void answer(struct ev_conn *c, const char *key, const char *text, size_t len)
{
    struct json_writer content;
    char err[FRAME_ERR_LEN];
    size_t content_len, message_len = 0;

    json_writer_begin(&content);
    json_write_string(&content, key, text, len);
    char *json = json_writer_end(&content, &content_len, err);
    char *message = json == NULL ? NULL
                                 : frame_encode("text/json", "utf-8", json, content_len,
                                                &message_len, err);
    free(json);
    if (message == NULL) {
        printf("%s: answering: %s\n", ev_peer(c), err);
        ev_close_now(c);
        return;
    }
    ev_write(c, message, message_len);
    free(message);
}

/* TODO (exercise 1, task 1): write the characters of text (len bytes of
 * valid UTF-8) into out in reverse order.  A character is 1 to 4 bytes; its
 * first byte says how many (RFC 3629, section 3).  This version copies the
 * text as it is. */
static void reverse_utf8(const char *text, size_t len, char *out)
{
    memcpy(out, text, len);
}

static void __attribute__((unused)) answer_reverse(struct ev_conn *c, const struct json_value *value)
{
    if (value == NULL || value->type != JSON_STRING) {
        static const char why[] = "\"reverse\" needs a string \"value\"";
        answer(c, "error", why, sizeof why - 1);
        return;
    }
    char *reversed = malloc(value->length + 1);
    if (reversed == NULL) {
        ev_close_now(c);
        return;
    }
    reverse_utf8(value->string, value->length, reversed);
    answer(c, "result", reversed, value->length);
    free(reversed);
}

static void answer_request(struct ev_conn *c, const struct frame_message *m)
{
    struct json_object request;
    char err[JSON_ERR_LEN];

    if (strcmp(m->content_type, "text/json") != 0 ||
        json_parse_object(m->content, m->content_length, &request, err) < 0) {
        static const char why[] = "a request is a JSON object";
        answer(c, "error", why, sizeof why - 1);
        return;
    }
    /* TODO (exercise 1, task 2): answer the "reverse" action with
     * answer_reverse(c, json_get(&request, "value")).  Compare the action
     * with json_equals(), which compares the length too. */
    static const char why[] = "unknown action";
    answer(c, "error", why, sizeof why - 1);
    json_object_free(&request);
}

/* ---- connections: as in app-server -------------------------------------------- */

static void opened(struct ev_conn *c)
{
    struct frame_decoder *d = malloc(sizeof *d);
    if (d == NULL) {
        ev_close_now(c);
        return;
    }
    frame_decoder_init(d, NULL);
    ev_set_data(c, d);
}

static void received(struct ev_conn *c)
{
    struct frame_decoder *d = ev_data(c);
    size_t len, pos = 0;
    const char *input = ev_input(c, &len);

    while (d != NULL && pos < len) {
        size_t used;
        enum frame_result r = frame_decode(d, input + pos, len - pos, &used);
        pos += used;
        if (r == FRAME_NEED_MORE)
            break;
        if (r == FRAME_BAD_INPUT) {
            printf("%s: malformed message: %s\n", ev_peer(c), d->error);
            ev_close_now(c);
            break;
        }
        answer_request(c, &d->message);
    }
    ev_consume(c, len);
}

static void closed(struct ev_conn *c)
{
    struct frame_decoder *d = ev_data(c);
    if (d != NULL) {
        frame_decoder_free(d);
        free(d);
    }
}

static const struct ev_handlers handlers = {
    .on_open = opened, .on_data = received, .on_close = closed};

int main(int argc, char **argv)
{
    const char *host, *port;
    char err[EV_ERR_LEN];

    serve_parse_args(argc, argv, usage_text, &host, &port);
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct ev_loop *loop = ev_loop_new(err);
    if (loop == NULL) {
        fprintf(stderr, "reverse-server: %s\n", err);
        return 1;
    }
    int listener = serve_listen("reverse-server", host, port);
    if (ev_listen(loop, listener, &handlers, NULL) < 0) {
        fprintf(stderr, "reverse-server: watching the listener: %s\n", strerror(errno));
        return 1;
    }
    int status = ev_run(loop) < 0 ? 1 : 0;
    ev_loop_free(loop);
    return status;
}

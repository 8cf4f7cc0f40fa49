/* test-json-lib.c - white-box tests of the json library (lib/json.h) and of
 * the header checks of the frame library (lib/frame.h): they link what they
 * test and call it directly. */
#include "frame.h"
#include "json.h"
#include "testkit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct json_value parse(const char *text)
{
    struct json_value v;
    char err[JSON_ERR_LEN];
    TK_ASSERT(json_parse(text, strlen(text), &v, err) == 0, "json_parse(%s): %s", text, err);
    return v;
}

static void parse_fails(const char *text, const char *expected)
{
    struct json_value v;
    char err[JSON_ERR_LEN] = "";
    TK_ASSERT(json_parse(text, strlen(text), &v, err) < 0, "json_parse accepted %s", text);
    TK_ASSERT(strstr(err, expected) != NULL, "%s: expected \"%s\", got \"%s\"", text, expected,
              err);
    TK_ASSERT(v.type == JSON_NULL, "a failed parse leaves a null value");
}

/* Any value at the top, and every accessor on the tree it gives. */
static void lookup(void)
{
    struct json_value v = parse(" {\"id\": 7, \"method\": \"GetDocument\", \"params\": "
                                "{\"ids\": [\"1\", 2, 2.5, true, null, [], {}]}, \"x\": false} ");
    long long id;
    TK_ASSERT(json_as_int(json_member(&v, "id"), &id) && id == 7, "id");
    TK_ASSERT(json_equals(json_member(&v, "method"), "GetDocument", 11), "method");
    TK_ASSERT(!json_equals(json_member(&v, "method"), "GetDocumen", 10), "a prefix is not equal");
    TK_ASSERT_INT_EQ(json_length(&v), 4, "members of the object");

    const struct json_value *ids = json_member(json_member(&v, "params"), "ids");
    TK_ASSERT(ids != NULL && ids->type == JSON_ARRAY, "params.ids is an array");
    TK_ASSERT_INT_EQ(json_length(ids), 7, "items");
    const char *text;
    size_t len;
    TK_ASSERT(json_as_string(json_item(ids, 0), &text, &len) && len == 1 && text[0] == '1',
              "item 0");
    long long two;
    double d;
    TK_ASSERT(json_as_int(json_item(ids, 1), &two) && two == 2, "item 1");
    TK_ASSERT(json_as_number(json_item(ids, 1), &d) && d == 2.0, "an integer as a number");
    TK_ASSERT(!json_as_int(json_item(ids, 2), &two), "2.5 is not an integer");
    TK_ASSERT(json_as_number(json_item(ids, 2), &d) && d == 2.5, "item 2");
    bool b = false;
    TK_ASSERT(json_as_bool(json_item(ids, 3), &b) && b, "item 3");
    TK_ASSERT(json_is_null(json_item(ids, 4)), "item 4");
    TK_ASSERT(json_item(ids, 5)->type == JSON_ARRAY && json_length(json_item(ids, 5)) == 0,
              "item 5");
    TK_ASSERT(json_item(ids, 6)->type == JSON_OBJECT && json_length(json_item(ids, 6)) == 0,
              "item 6");
    TK_ASSERT(json_item(ids, 7) == NULL, "past the end");
    TK_ASSERT(json_as_bool(json_member(&v, "x"), &b) && !b, "x");

    /* Missing, NULL and wrong types: calm answers, so lookups chain. */
    TK_ASSERT(json_member(&v, "nothing") == NULL, "no such key");
    TK_ASSERT(json_member(NULL, "id") == NULL, "json_member(NULL)");
    TK_ASSERT(json_member(ids, "id") == NULL, "json_member of an array");
    TK_ASSERT(json_item(&v, 0) == NULL, "json_item of an object");
    TK_ASSERT(json_item(NULL, 0) == NULL, "json_item(NULL)");
    TK_ASSERT_INT_EQ(json_length(NULL), 0, "json_length(NULL)");
    TK_ASSERT(!json_as_int(NULL, &id) && !json_as_string(NULL, &text, &len) &&
                  !json_as_bool(NULL, &b) && !json_as_number(NULL, &d) &&
                  !json_is_null(NULL) && !json_equals(NULL, "", 0),
              "typed reads of NULL");
    TK_ASSERT(!json_as_string(json_member(&v, "id"), &text, &len), "an integer is no string");
    json_value_free(&v);
    TK_ASSERT(v.type == JSON_NULL, "json_value_free leaves null");
    json_value_free(&v); /* twice is harmless */

    /* Scalars at the top level. */
    v = parse("\"a\\u0000b\"");
    TK_ASSERT(json_equals(&v, "a\0b", 3), "a string with a NUL");
    TK_ASSERT(!json_equals(&v, "a", 1), "the NUL is part of the string");
    json_value_free(&v);
    v = parse("-12");
    TK_ASSERT(v.type == JSON_INT && v.integer == -12, "-12");
    v = parse(" null ");
    TK_ASSERT(json_is_null(&v), "null");
    parse_fails("", "expected a value");
    parse_fails("[1] [2]", "expected nothing after the value");
}

/* Every failure frees what was built so far: run under AddressSanitizer,
 * a leak here fails the sanitize build. */
static void failures_free(void)
{
    parse_fails("{\"a\": [1, {\"b\": \"x\", \"c\": [\"y\", ", "found the end of the text");
    parse_fails("[\"a\", \"b\", {\"k\": \"v\", \"k\": \"w\"}]", "duplicate key");
    parse_fails("{\"a\": \"x\", \"b\": \"\\ud800\"}", "high surrogate");
    parse_fails("[{\"a\": [{\"b\": 1e999}]}]", "number too large");
}

/* Depth: 32 levels are read, 33 are not, and a deep text fails fast. */
static void depth(void)
{
    char text[256];
    memset(text, '[', 32);
    memset(text + 32, ']', 32);
    text[64] = '\0';
    struct json_value v = parse(text);
    json_value_free(&v);
    memset(text, '[', 33);
    memset(text + 33, ']', 33);
    text[66] = '\0';
    parse_fails(text, "at byte 32: nested deeper than 32 levels");

    /* A megabyte of '[' is refused at byte 32, not by running out of stack. */
    size_t n = 1 << 20;
    char *deep = tk_alloc(n);
    memset(deep, '[', n);
    char err[JSON_ERR_LEN];
    TK_ASSERT(json_parse(deep, n, &v, err) < 0 && strstr(err, "at byte 32:") != NULL,
              "a megabyte of '[': %s", err);
    free(deep);
}

/* {"k0": 0, "k1": 0, ...}: count keys, then the duplicate or not. */
static char *many_keys(size_t count, bool repeat_first, size_t *len)
{
    char *text = tk_alloc(count * 16 + 32);
    size_t at = 0;
    text[at++] = '{';
    for (size_t i = 0; i < count; i++)
        at += (size_t)sprintf(text + at, "%s\"k%zu\": 0", i > 0 ? ", " : "", i);
    if (repeat_first)
        at += (size_t)sprintf(text + at, ", \"k0\": 1");
    text[at++] = '}';
    *len = at;
    return text;
}

/* 95,000 keys in a megabyte: comparing each key with all before it took
 * 18.7 s of CPU time; sorting them takes milliseconds (a few hundred under
 * the sanitizers).  The bound is on the CPU time this process spends, which
 * a loaded machine hardly changes, and is far below the quadratic time.
 * (app-client reads its answers with the same parser.) */
static void linear_keys(void)
{
    size_t len;
    char *text = many_keys(95000, false, &len);
    struct json_object obj;
    char err[JSON_ERR_LEN];
    long start = tk_cpu_ms(getpid());
    TK_ASSERT(json_parse_object(text, len, &obj, err) == 0, "95000 keys: %s", err);
    long took = tk_cpu_ms(getpid()) - start;
    TK_ASSERT_INT_EQ(obj.count, 95000, "members");
    TK_ASSERT(json_get(&obj, "k94999") != NULL, "the last key");
    json_object_free(&obj);
    TK_ASSERT(took < 4000, "95000 keys took %ld ms of CPU time to read", took);
    free(text);

    text = many_keys(95000, true, &len);
    start = tk_cpu_ms(getpid());
    TK_ASSERT(json_parse_object(text, len, &obj, err) < 0, "a duplicate among 95001 keys");
    took = tk_cpu_ms(getpid()) - start;
    TK_ASSERT(strstr(err, "duplicate key") != NULL, "%s", err);
    TK_ASSERT(took < 4000, "95001 keys took %ld ms of CPU time to read", took);
    free(text);
}

static char *write_end(struct json_writer *w)
{
    size_t len;
    char err[JSON_ERR_LEN];
    char *text = json_writer_end(w, &len, err);
    TK_ASSERT(text != NULL, "json_writer_end: %s", err);
    TK_ASSERT_INT_EQ(len, strlen(text), "the length returned");
    return text;
}

static void write_fails(struct json_writer *w, const char *expected)
{
    size_t len;
    char err[JSON_ERR_LEN];
    TK_ASSERT(json_writer_end(w, &len, err) == NULL, "the writer should fail: %s", expected);
    TK_ASSERT(strstr(err, expected) != NULL, "expected \"%s\", got \"%s\"", expected, err);
}

/* The writer: nesting, escapes, numbers, and a value read written back. */
static void writer(void)
{
    struct json_writer w;
    json_writer_begin(&w);
    json_write_int(&w, "id", 7);
    json_write_object_begin(&w, "result");
    json_write_string(&w, "type", "bi\"Dash\\board\n", 14);
    json_write_array_begin(&w, "ids");
    json_write_string(&w, NULL, "a\0b", 3);
    json_write_number(&w, NULL, 0.1);
    json_write_number(&w, NULL, -2.5e-300);
    json_write_bool(&w, NULL, true);
    json_write_null(&w, NULL);
    json_write_array_begin(&w, NULL);
    json_write_array_end(&w);
    json_write_object_begin(&w, NULL);
    json_write_object_end(&w);
    json_write_array_end(&w);
    json_write_object_end(&w);
    char *text = write_end(&w);
    TK_ASSERT_STR_EQ(text,
                     "{\"id\": 7, \"result\": {\"type\": \"bi\\\"Dash\\\\board\\n\", "
                     "\"ids\": [\"a\\u0000b\", 0.1, -2.5e-300, true, null, [], {}]}}",
                     "nested writing");

    /* What the reader reads, json_write_value writes back the same. */
    struct json_value v = parse(text);
    json_writer_begin(&w);
    for (size_t i = 0; i < v.object.count; i++)
        json_write_value(&w, v.object.members[i].key, &v.object.members[i].value);
    char *again = write_end(&w);
    TK_ASSERT_STR_EQ(again, text, "read and written back");
    json_value_free(&v);
    free(again);
    free(text);
}

static void writer_mistakes(void)
{
    struct json_writer w;
    json_writer_begin(&w);
    json_write_array_begin(&w, "a");
    json_write_int(&w, "k", 1);
    write_fails(&w, "a key inside an array: \"k\"");

    json_writer_begin(&w);
    json_write_int(&w, NULL, 1);
    write_fails(&w, "a member of an object without a key");

    json_writer_begin(&w);
    json_write_array_begin(&w, "a");
    write_fails(&w, "left open");

    json_writer_begin(&w);
    json_write_object_end(&w);
    write_fails(&w, "an object closed that is not open");

    json_writer_begin(&w);
    json_write_object_begin(&w, "o");
    json_write_array_end(&w);
    write_fails(&w, "an array closed that is not open");

    json_writer_begin(&w);
    json_write_number(&w, "n", NAN);
    write_fails(&w, "no JSON form for NaN");

    json_writer_begin(&w);
    json_write_string(&w, "s", "\xff", 1);
    write_fails(&w, "not valid UTF-8");

    json_writer_begin(&w);
    for (int i = 0; i < JSON_MAX_DEPTH; i++)
        json_write_array_begin(&w, i == 0 ? "a" : NULL);
    write_fails(&w, "nested deeper");
}

/* The frame decoder's header checks on nested values and NUL bytes. */
static void frame_header(void)
{
    static const char header[] =
        "{\"byteorder\": \"big\", \"content-type\": \"t\", \"content-encoding\": \"e\", "
        "\"content-length\": 2, \"x-extra\": [1, {\"a\": null}]}";
    char message[256];
    size_t n = sizeof header - 1;
    message[0] = (char)(n >> 8);
    message[1] = (char)(n & 0xff);
    memcpy(message + 2, header, n);
    memcpy(message + 2 + n, "ok", 2);

    struct frame_decoder d;
    frame_decoder_init(&d, NULL);
    size_t used;
    TK_ASSERT(frame_decode(&d, message, n + 4, &used) == FRAME_GOT_MESSAGE, "%s", d.error);
    const struct json_value *extra = json_get(&d.message.header, "x-extra");
    TK_ASSERT(json_length(extra) == 2 && json_is_null(json_member(json_item(extra, 1), "a")),
              "the extra key's value is read whole");
    frame_decoder_free(&d);
}

/* frame_decoder_memory(): what a message being read holds, back to 0 once
 * the decoder is freed. */
static void frame_memory(void)
{
    static const char header[] =
        "{\"byteorder\": \"big\", \"content-type\": \"t\", \"content-encoding\": \"e\", "
        "\"content-length\": 100000}";
    char message[512];
    size_t n = sizeof header - 1;
    message[0] = (char)(n >> 8);
    message[1] = (char)(n & 0xff);
    memcpy(message + 2, header, n);
    struct frame_decoder d;
    frame_decoder_init(&d, NULL);
    TK_ASSERT_INT_EQ(frame_decoder_memory(&d), 0, "a new decoder");
    size_t used;
    TK_ASSERT(frame_decode(&d, message, 2 + 10, &used) == FRAME_NEED_MORE, "part of a header");
    TK_ASSERT_INT_EQ(frame_decoder_memory(&d), n + 1, "the header being read");
    TK_ASSERT(frame_decode(&d, message + 12, n - 10, &used) == FRAME_NEED_MORE, "%s", d.error);
    size_t before = frame_decoder_memory(&d);
    char *content = tk_alloc(60000);
    memset(content, 'x', 60000);
    TK_ASSERT(frame_decode(&d, content, 60000, &used) == FRAME_NEED_MORE, "%s", d.error);
    TK_ASSERT(frame_decoder_memory(&d) >= before + 60000 - 4096 &&
                  frame_decoder_memory(&d) <= n + 1 + 100001,
              "60000 bytes of content: %zu", frame_decoder_memory(&d));
    free(content);
    frame_decoder_free(&d);
    TK_ASSERT_INT_EQ(frame_decoder_memory(&d), 0, "freed");
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"json.lib.lookup", lookup},
        {"json.lib.failures-free", failures_free},
        {"json.lib.depth", depth},
        {"json.lib.linear-keys", linear_keys},
        {"json.lib.writer", writer},
        {"json.lib.writer-mistakes", writer_mistakes},
        {"frame.lib.nested-header", frame_header},
        {"frame.lib.memory", frame_memory},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}

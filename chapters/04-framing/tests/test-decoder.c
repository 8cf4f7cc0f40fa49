/* Tests of the decoder and the JSON reader, through frame-dump: a stream goes
 * in on stdin, in pieces of every size, and what the decoder made of it
 * comes out. */
#include "testkit.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct tk_proc *dump(const void *input, size_t len, const char *a, const char *b)
{
    return tk_run(input, len, WAIT_MS, tk_program("frame-dump"), a, b, NULL);
}

/* Two messages and an empty one, with every byte value in the content. */
static struct wire_msg three_messages(void)
{
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    struct wire_msg parts[3] = {
        wire_request("search", "\\u03c0 \\ud83d\\ude00"),
        wire_message("binary/x", "binary", all, sizeof all),
        wire_message("binary/empty", "binary", "", 0),
    };
    return wire_concat(parts, 3);
}

static const char *output_of(struct tk_proc *p, const char *what)
{
    TK_ASSERT(tk_exit_code(p) == 0, "%s: frame-dump failed: %s", what,
              p->err_text ? p->err_text : "");
    return p->out_text != NULL ? p->out_text : "";
}

static void one_message(void)
{
    struct wire_msg m = wire_request("search", "caf\\u00e9");
    struct tk_proc *p = dump(m.data, m.len, NULL, NULL);
    TK_ASSERT_STR_EQ(output_of(p, "one message"),
                     "message 1: {\"byteorder\": \"big\", \"content-type\": \"text/json\", "
                     "\"content-encoding\": \"utf-8\", \"content-length\": 42}\n"
                     "content (42 bytes): {\"action\": \"search\", \"value\": "
                     "\"caf\\x5cu00e9\"}\n",
                     "frame-dump's output");
    wire_free(&m);
}

/* A request and a short binary message: short enough for a process per cut
 * (the test kit allows 256). */
static struct wire_msg two_messages(void)
{
    struct wire_msg parts[2] = {
        wire_request("search", "\\u03c0"),
        wire_raw("{\"byteorder\":\"big\",\"content-type\":\"b\",\"content-encoding\":"
                 "\"b\",\"content-length\":4}", "\x00\x01\xfe\xff", 4),
    };
    return wire_concat(parts, 2);
}

/* The same stream cut in two at every byte gives the same messages. */
static void every_split(void)
{
    struct wire_msg m = two_messages();
    char *whole = strdup(output_of(dump(m.data, m.len, NULL, NULL), "whole"));
    TK_ASSERT(strstr(whole, "message 2: ") != NULL &&
                  strstr(whole, "content (4 bytes): \\x00\\x01\\xfe\\xff\n") != NULL,
              "two messages expected: %s", whole);
    TK_ASSERT(m.len < 250, "the stream is too long for one process per cut");
    for (size_t cut = 1; cut < m.len; cut++) {
        char arg[32];
        snprintf(arg, sizeof arg, "%zu", cut);
        const char *out = output_of(dump(m.data, m.len, "-s", arg), arg);
        TK_ASSERT(strcmp(out, whole) == 0, "cut after byte %zu: got\n%s\nexpected\n%s", cut,
                  out, whole);
    }
    free(whole);
    wire_free(&m);
}

static void chunk_sizes(void)
{
    struct wire_msg m = three_messages();
    char *whole = strdup(output_of(dump(m.data, m.len, NULL, NULL), "whole"));
    static const char *const sizes[] = {"1", "2", "3", "7", "64", "1000"};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        const char *out = output_of(dump(m.data, m.len, "-c", sizes[i]), sizes[i]);
        TK_ASSERT(strcmp(out, whole) == 0, "pieces of %s bytes: got\n%s", sizes[i], out);
    }
    free(whole);
    wire_free(&m);
}

/* Header fields: escapes decoded, surrogate pairs joined, written back. */
static void header_strings(void)
{
    const char *header = "{\"byteorder\":\"little\",\"content-type\":\"a\\/b\",\"content-"
                         "encoding\":\"\\u00e9\\ud83d\\ude00\\t\\\"\",\"content-length\":0,"
                         "\"x\":\"\\u0000\"}";
    struct wire_msg m = wire_raw(header, "", 0);
    const char *out = output_of(dump(m.data, m.len, NULL, NULL), "escapes");
    TK_ASSERT_STR_EQ(out,
                     "message 1: {\"byteorder\": \"little\", \"content-type\": \"a/b\", "
                     "\"content-encoding\": \"\xc3\xa9\xf0\x9f\x98\x80\\t\\\"\", "
                     "\"content-length\": 0, \"x\": \"\\u0000\"}\ncontent (0 bytes): \n",
                     "the header as the decoder read it");
    wire_free(&m);
}

struct bad {
    struct wire_msg input;
    const char *error;
};

static void check_bad(struct bad *cases, size_t count, const char *a, const char *b)
{
    for (size_t i = 0; i < count; i++) {
        struct tk_proc *p = dump(cases[i].input.data, cases[i].input.len, a, b);
        TK_ASSERT_INT_EQ(tk_exit_code(p), 1, cases[i].error);
        TK_ASSERT(p->err_text != NULL && strstr(p->err_text, cases[i].error) != NULL,
                  "expected \"%s\", got \"%s\"", cases[i].error, p->err_text ? p->err_text : "");
        /* One byte at a time, the same error. */
        p = dump(cases[i].input.data, cases[i].input.len, "-c", "1");
        TK_ASSERT(p->err_text != NULL && strstr(p->err_text, cases[i].error) != NULL,
                  "byte by byte: expected \"%s\", got \"%s\"", cases[i].error,
                  p->err_text ? p->err_text : "");
        wire_free(&cases[i].input);
    }
}

#define KEYS "\"byteorder\": \"big\", \"content-type\": \"t\", \"content-encoding\": \"e\""

static struct wire_msg with_prefix(unsigned hi, unsigned lo)
{
    struct wire_msg m = wire_raw("", "", 0);
    m.data[0] = (char)hi;
    m.data[1] = (char)lo;
    return m;
}

static void decoder_errors(void)
{
    struct bad cases[] = {
        {with_prefix(0, 0), "header length 0"},
        {with_prefix(0x40, 0x01), "header length 16385 is over the limit of 16384 bytes"},
        {wire_raw("hello", "", 0), "the header is not a JSON object: at byte 0"},
        {wire_raw("[1]", "", 0), "expected an object, found an array"},
        {wire_raw("{" KEYS ", \"content-length\": {}}", "", 0),
         "\"content-length\" must be an integer, not an object"},
        {wire_raw("{" KEYS ", \"content-length\": [0]}", "", 0),
         "\"content-length\" must be an integer, not an array"},
        {wire_raw("{" KEYS "}", "", 0), "the header has no \"content-length\""},
        {wire_raw("{\"byteorder\": \"big\", \"content-type\": \"text/json\\u0000x\", "
                  "\"content-encoding\": \"e\", \"content-length\": 0}", "", 0),
         "\"content-type\" must not contain a NUL byte"},
        {wire_raw("{\"content-length\": 0}", "", 0), "the header has no \"byteorder\""},
        {wire_raw("{" KEYS ", \"content-length\": -7}", "", 0),
         "\"content-length\" is negative (-7)"},
        {wire_raw("{" KEYS ", \"content-length\": \"7\"}", "", 0),
         "\"content-length\" must be an integer, not a string"},
        {wire_raw("{" KEYS ", \"content-length\": 7.5}", "", 0), "fraction or an exponent"},
        {wire_raw("{" KEYS ", \"content-length\": 1048577}", "", 0),
         "\"content-length\" 1048577 is over the limit of 1048576 bytes"},
        {wire_raw("{" KEYS ", \"content-length\": 99999999999999999999}", "", 0),
         "must be an integer, not a number with a fraction or an exponent, or out of range"},
        {wire_raw("{\"byteorder\": \"BIG\", \"content-type\": \"t\", \"content-encoding\": "
                  "\"e\", \"content-length\": 0}", "", 0),
         "\"byteorder\" must be \"little\" or \"big\""},
        {wire_raw("{" KEYS ", \"content-encoding\": \"e\", \"content-length\": 0}", "", 0),
         "duplicate key"},
        {wire_raw("{" KEYS ", \"content-length\": 0} {}", "", 0), "nothing after the value"},
    };
    check_bad(cases, sizeof cases / sizeof cases[0], NULL, NULL);
}

/* A stream that stops in the middle: each part of a message. */
static void ends_mid_message(void)
{
    struct wire_msg m = wire_message("t", "e", "0123456789", 10);
    size_t header_len = m.len - 12;
    struct bad cases[] = {
        {wire_raw("", "", 0), "after 1 of the 2 bytes of the header length"},
        {wire_raw("", "", 0), "after 3 of the"},
        {wire_raw("", "", 0), "after 0 of the 10 bytes of the content"},
        {wire_raw("", "", 0), "after 9 of the 10 bytes of the content"},
    };
    size_t lengths[] = {1, 5, 2 + header_len, m.len - 1};
    for (size_t i = 0; i < 4; i++) {
        free(cases[i].input.data);
        cases[i].input.data = tk_alloc(lengths[i]);
        memcpy(cases[i].input.data, m.data, lengths[i]);
        cases[i].input.len = lengths[i];
    }
    wire_free(&m);
    check_bad(cases, 4, NULL, NULL);
}

/* A good message, then a bad one: the good one is delivered first. */
static void good_then_bad(void)
{
    struct wire_msg parts[2] = {wire_message("t", "e", "ok", 2), with_prefix(0, 0)};
    struct wire_msg m = wire_concat(parts, 2);
    struct tk_proc *p = dump(m.data, m.len, "-c", "1");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status");
    TK_ASSERT(p->out_text != NULL && strstr(p->out_text, "content (2 bytes): ok\n") != NULL,
              "the good message should come out first: %s", p->out_text ? p->out_text : "");
    TK_ASSERT(p->err_text != NULL && strstr(p->err_text, "header length 0") != NULL,
              "then the error: %s", p->err_text ? p->err_text : "");
    wire_free(&m);
}

static void limits(void)
{
    struct wire_msg m = wire_message("t", "e", "12345", 5);
    struct tk_proc *p =
        tk_run(m.data, m.len, WAIT_MS, tk_program("frame-dump"), "--max-content", "5", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "content at the limit");
    p = tk_run(m.data, m.len, WAIT_MS, tk_program("frame-dump"), "--max-content", "4", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "content over the limit");
    TK_ASSERT(strstr(p->err_text, "5 is over the limit of 4 bytes") != NULL, "%s", p->err_text);
    char len[32];
    snprintf(len, sizeof len, "%zu", m.len - 7);
    p = tk_run(m.data, m.len, WAIT_MS, tk_program("frame-dump"), "--max-header", len, NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "header at the limit");
    snprintf(len, sizeof len, "%zu", m.len - 8);
    p = tk_run(m.data, m.len, WAIT_MS, tk_program("frame-dump"), "--max-header", len, NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "header over the limit");
    wire_free(&m);
}

/* ---- the JSON reader on its own -------------------------------------------------- */

static void json_round_trip(const char *input, const char *expected)
{
    struct tk_proc *p = dump(input, strlen(input), "--json", NULL);
    TK_ASSERT(tk_exit_code(p) == 0, "rejected %s: %s", input, p->err_text ? p->err_text : "");
    char want[512];
    snprintf(want, sizeof want, "%s\n", expected);
    TK_ASSERT_STR_EQ(p->out_text ? p->out_text : "", want, input);
}

static void json_accepts(void)
{
    json_round_trip("{}", "{}");
    json_round_trip(" \t\r\n{ \"a\" : 1 } \n", "{\"a\": 1}");
    json_round_trip("{\"min\": -9223372036854775808, \"max\": 9223372036854775807, \"z\": -0}",
                    "{\"min\": -9223372036854775808, \"max\": 9223372036854775807, \"z\": 0}");
    json_round_trip("{\"t\": true, \"f\": false, \"n\": null, \"\": \"\"}",
                    "{\"t\": true, \"f\": false, \"n\": null, \"\": \"\"}");
    json_round_trip("{\"s\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u001f\"}",
                    "{\"s\": \"\\\"\\\\/\\b\\f\\n\\r\\t\\u001f\"}");
    /* U+00E9, U+20AC, U+1F600 (a surrogate pair), U+10FFFF, in either case. */
    json_round_trip("{\"u\": \"\\u00E9\\u20ac\\uD83D\\uDE00\\udbff\\udfff\"}",
                    "{\"u\": \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"}");
    json_round_trip("{\"raw\": \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
                    "{\"raw\": \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}");
    json_round_trip("{\"k\\u00e9y\": 0}", "{\"k\xc3\xa9y\": 0}");
    /* Nested objects and arrays, empty ones too. */
    json_round_trip("{\"x\":[1,{\"a\":null}],\"o\":{\"p\":{\"q\":[[],{}]}},\"e\":[ ]}",
                    "{\"x\": [1, {\"a\": null}], \"o\": {\"p\": {\"q\": [[], {}]}}, \"e\": []}");
    /* The same key in two different objects is no duplicate. */
    json_round_trip("{\"a\": {\"a\": 1}, \"b\": [{\"a\": 2}, {\"a\": 3}]}",
                    "{\"a\": {\"a\": 1}, \"b\": [{\"a\": 2}, {\"a\": 3}]}");
    /* Numbers that are not long long integers: doubles, written back in the
     * fewest digits that read as the same double. */
    json_round_trip("{\"f\": 1.5, \"e\": 1e5, \"E\": 2.5E-3, \"n\": -0.1, \"t\": 1e-400, "
                    "\"big\": 9223372036854775808, \"low\": -9223372036854775809}",
                    "{\"f\": 1.5, \"e\": 100000, \"E\": 0.0025, \"n\": -0.1, \"t\": 0, "
                    "\"big\": 9.223372036854776e+18, \"low\": -9.223372036854776e+18}");
    /* JSON_MAX_DEPTH (32) levels: the object and 31 arrays. */
    char deep[128], deep_out[128];
    snprintf(deep, sizeof deep, "{\"d\": %.31s0%.31s}",
             "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
    snprintf(deep_out, sizeof deep_out, "%s", deep);
    json_round_trip(deep, deep_out);
}

static void json_rejects(void)
{
    static const struct {
        const char *input, *error;
    } cases[] = {
        {"", "at byte 0: expected '{', found the end of the text"},
        {"[]", "expected an object, found an array"},
        {"\"text\"", "expected '{'"},
        {"{\"a\": 012}", "leading zeros"},
        {"{\"a\": -012}", "leading zeros"},
        {"{\"a\": -}", "expected a digit"},
        {"{\"a\": 1.}", "expected a digit after the decimal point"},
        {"{\"a\": .5}", "expected a value"},
        {"{\"a\": 1e}", "expected a digit in the exponent"},
        {"{\"a\": 1e+}", "expected a digit in the exponent"},
        {"{\"a\": +1}", "expected a value (an object, an array, a string, a number"},
        {"{\"a\": 1e400}", "at byte 6: number too large for a double"},
        {"{\"a\": -1e400}", "number too large"},
        {"{\"a\": 1, \"a\": 2}", "at byte 9: duplicate key"},
        {"{\"b\": 1, \"a\": 2, \"a\": 3, \"b\": 4}", "at byte 17: duplicate key"},
        {"{\"o\": {\"k\": 1, \"k\": 2}}", "at byte 15: duplicate key"},
        {"{\"a\\u0000\": 1, \"a\\u0000\": 2}", "at byte 15: duplicate key"},
        {"{\"a\": 1} x", "expected nothing after the value, found 'x'"},
        {"{\"a\": 1}}", "expected nothing after the value"},
        {"{\"a\": 1,}", "expected a key"},
        {"{\"a\" 1}", "expected ':' after the key"},
        {"{\"a\": 1 \"b\": 2}", "expected ',' or '}'"},
        {"{a: 1}", "expected a key (a string)"},
        {"{\"a\": [1,]}", "expected a value"},
        {"{\"a\": [1 2]}", "expected ',' or ']'"},
        {"{\"a\": [1", "expected ',' or ']', found the end of the text"},
        {"{\"a\": {\"b\": 1}", "expected ',' or '}', found the end of the text"},
        {"{\"a\": [}", "expected a value"},
        {"{\"a\": tru}", "expected a value"},
        {"{\"a\": nul}", "expected a value"},
        {"{\"a\": 'x'}", "expected a value"},
        {"{\"a\": \"x}", "string not terminated"},
        {"{\"a\": \"x\\", "string not terminated"},
        {"{\"a\": \"\\x\"}", "invalid escape: a backslash followed by 'x'"},
        {"{\"a\": \"\\u12g4\"}", "4 hex digits"},
        {"{\"a\": \"\\ud800\"}", "high surrogate \\uD800 not followed by a low one"},
        {"{\"a\": \"\\ud800\\u0041\"}", "not a low surrogate"},
        {"{\"a\": \"\\udc00\"}", "lone low surrogate \\uDC00"},
        {"{\"a\": \"\\ude00\\ud83d\"}", "lone low surrogate"},
        {"{\"a\": \"tab\there\"}", "control character 0x09"},
        {"{\"a\": \"\x7f ok\", \"b\": \"\x01\"}", "control character 0x01"},
        {"{\"a\": \"\xc0\xaf\"}", "invalid UTF-8"},        /* overlong '/' */
        {"{\"a\": \"\xe0\x80\xaf\"}", "invalid UTF-8"},    /* overlong, 3 bytes */
        {"{\"a\": \"\xed\xa0\x80\"}", "invalid UTF-8"},    /* a surrogate in UTF-8 */
        {"{\"a\": \"\xf4\x90\x80\x80\"}", "invalid UTF-8"},/* above U+10FFFF */
        {"{\"a\": \"\xe2\x82\"}", "invalid UTF-8"},        /* cut short */
        {"{\"a\": \"\x80\"}", "invalid UTF-8"},            /* a lone continuation */
        {"{\"a\": \"\xff\"}", "invalid UTF-8"},
        {"{\"\xc3\": 1}", "invalid UTF-8"},
        {"\xef\xbb\xbf{}", "expected '{', found byte 0xef"}, /* a byte order mark */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *in = cases[i].input;
        struct tk_proc *p = dump(in, strlen(in), "--json", NULL);
        TK_ASSERT(tk_exit_code(p) == 1, "accepted %s", in);
        TK_ASSERT(p->err_text != NULL && strstr(p->err_text, cases[i].error) != NULL,
                  "for %s expected \"%s\", got \"%s\"", in, cases[i].error,
                  p->err_text ? p->err_text : "");
    }
    /* 33 levels: one too many, wherever they are. */
    static const char deep_arrays[] = "{\"d\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}";
    struct tk_proc *deep = dump(deep_arrays, sizeof deep_arrays - 1, "--json", NULL);
    TK_ASSERT(tk_exit_code(deep) == 1 && deep->err_text != NULL &&
                  strstr(deep->err_text, "at byte 37: nested deeper than 32 levels") != NULL,
              "33 levels: %s", deep->err_text ? deep->err_text : "accepted");
    /* A NUL byte in the text is not white space and not a character. */
    struct tk_proc *p = dump("{\"a\": 1}\0", 9, "--json", NULL);
    TK_ASSERT(tk_exit_code(p) == 1, "accepted a trailing NUL");
    p = dump("{\"a\": \"\0\"}", 10, "--json", NULL);
    TK_ASSERT(tk_exit_code(p) == 1 && strstr(p->err_text, "control character 0x00") != NULL,
              "a raw NUL in a string: %s", p->err_text ? p->err_text : "");
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"decoder.one-message", one_message},
        {"decoder.every-split", every_split},
        {"decoder.chunk-sizes", chunk_sizes},
        {"decoder.header-strings", header_strings},
        {"decoder.errors", decoder_errors},
        {"decoder.ends-mid-message", ends_mid_message},
        {"decoder.good-then-bad", good_then_bad},
        {"decoder.limits", limits},
        {"json.accepts", json_accepts},
        {"json.rejects", json_rejects},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}

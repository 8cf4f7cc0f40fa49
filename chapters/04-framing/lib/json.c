/* json.c - a reader and a writer for flat JSON objects (see json.h).
 *
 * The grammar is RFC 8259's, cut down to what a message header holds:
 *
 *     object = ws "{" ws [ member *( ws "," ws member ) ] ws "}" ws
 *     member = string ws ":" ws value
 *     value  = string / integer / "true" / "false" / "null"
 *     ws     = *( %x20 / %x09 / %x0A / %x0D )
 *
 * Each rule is one function below, reading from a cursor over the text.
 */
#include "json.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- UTF-8 (RFC 3629, section 4) ------------------------------------------------ */

/* The length of the valid UTF-8 sequence at s (left bytes available), or 0.
 * The table of RFC 3629 spelled out: which lead bytes exist, and for a few
 * of them a narrower range for the second byte, which is what rules out
 * overlong forms (E0, F0), UTF-16 surrogates (ED) and code points above
 * U+10FFFF (F4). */
static size_t utf8_sequence_length(const unsigned char *s, size_t left)
{
    unsigned lead = s[0];
    unsigned low = 0x80, high = 0xBF; /* allowed range of the second byte */
    size_t n;

    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF)
        n = 2;
    else if (lead == 0xE0)
        n = 3, low = 0xA0;
    else if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF)
        n = 3;
    else if (lead == 0xED)
        n = 3, high = 0x9F;
    else if (lead == 0xF0)
        n = 4, low = 0x90;
    else if (lead >= 0xF1 && lead <= 0xF3)
        n = 4;
    else if (lead == 0xF4)
        n = 4, high = 0x8F;
    else
        return 0; /* 80..C1 and F5..FF never start a character */
    if (left < n || s[1] < low || s[1] > high)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

bool json_valid_utf8(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        size_t n = utf8_sequence_length(s + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

/* Writes code point cp as UTF-8 at out; returns the bytes written. */
static size_t utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- the reader ------------------------------------------------------------------ */

struct cursor {
    const char *text;
    size_t len, pos;
    char *err;
};

static bool at_end(const struct cursor *c)
{
    return c->pos >= c->len;
}

static int peek(const struct cursor *c)
{
    return at_end(c) ? -1 : (unsigned char)c->text[c->pos];
}

/* "'x'" for a printable character, "byte 0x07" for others, so that an error
 * message never carries raw binary into a log line. */
static const char *describe(const struct cursor *c, char *buf, size_t buflen)
{
    int ch = peek(c);
    if (ch < 0)
        snprintf(buf, buflen, "the end of the text");
    else if (ch >= 0x20 && ch < 0x7F)
        snprintf(buf, buflen, "'%c'", ch);
    else
        snprintf(buf, buflen, "byte 0x%02x", (unsigned)ch);
    return buf;
}

/* Records "at byte N: what" and returns -1, so that every error is one line:
 *     return fail(c, "arrays are not supported");  */
static int fail(struct cursor *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct cursor *c, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(c->err, JSON_ERR_LEN, "at byte %zu: ", c->pos);
    va_start(ap, fmt);
    if (n > 0 && n < JSON_ERR_LEN)
        vsnprintf(c->err + n, JSON_ERR_LEN - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static int fail_unexpected(struct cursor *c, const char *wanted)
{
    char what[32];
    return fail(c, "expected %s, found %s", wanted, describe(c, what, sizeof what));
}

static void skip_white_space(struct cursor *c)
{
    for (int ch = peek(c); ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
         ch = peek(c))
        c->pos++;
}

static int expect(struct cursor *c, char ch, const char *wanted)
{
    if (peek(c) != (unsigned char)ch)
        return fail_unexpected(c, wanted);
    c->pos++;
    return 0;
}

/* Four hex digits of a \u escape. */
static int read_hex4(struct cursor *c, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int ch = peek(c);
        int digit = ch >= '0' && ch <= '9'   ? ch - '0'
                    : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                    : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                             : -1;
        if (digit < 0)
            return fail_unexpected(c, "4 hex digits after \\u");
        v = v * 16 + (uint32_t)digit;
        c->pos++;
    }
    *out = v;
    return 0;
}

/* \uXXXX, after the "\u".  Characters beyond U+FFFF are written as a UTF-16
 * surrogate pair, \uD83D\uDE00 for U+1F600: both halves must be there, in
 * that order (RFC 8259, section 7). */
static int read_unicode_escape(struct cursor *c, uint32_t *cp)
{
    size_t start = c->pos - 2;
    if (read_hex4(c, cp) < 0)
        return -1;
    if (*cp >= 0xDC00 && *cp <= 0xDFFF) {
        c->pos = start;
        return fail(c, "lone low surrogate \\u%04X", (unsigned)*cp);
    }
    if (*cp < 0xD800 || *cp > 0xDBFF)
        return 0;
    uint32_t low;
    if (c->pos + 1 >= c->len || c->text[c->pos] != '\\' || c->text[c->pos + 1] != 'u') {
        c->pos = start;
        return fail(c, "high surrogate \\u%04X not followed by a low one", (unsigned)*cp);
    }
    c->pos += 2;
    if (read_hex4(c, &low) < 0)
        return -1;
    if (low < 0xDC00 || low > 0xDFFF) {
        c->pos = start;
        return fail(c, "high surrogate \\u%04X followed by \\u%04X, not a low surrogate",
                    (unsigned)*cp, (unsigned)low);
    }
    *cp = 0x10000 + ((*cp - 0xD800) << 10) + (low - 0xDC00);
    return 0;
}

/* One escape sequence, after its backslash; appends its UTF-8 to out. */
static int read_escape(struct cursor *c, char *out, size_t *used)
{
    static const char from[] = "\"\\/bfnrt";
    static const char to[] = "\"\\/\b\f\n\r\t";
    int ch = peek(c);
    const char *simple = ch > 0 ? strchr(from, ch) : NULL;

    if (simple != NULL) {
        out[(*used)++] = to[simple - from];
        c->pos++;
        return 0;
    }
    if (ch != 'u') {
        char what[32];
        describe(c, what, sizeof what);
        c->pos--; /* the error is reported at the backslash */
        return fail(c, "invalid escape: a backslash followed by %s", what);
    }
    c->pos++;
    uint32_t cp;
    if (read_unicode_escape(c, &cp) < 0)
        return -1;
    *used += utf8_encode(cp, out + *used);
    return 0;
}

/* A string, from its opening quote.  The decoded text is never longer than
 * what it was written as (an escape of 6 bytes gives at most 3, a pair of 12
 * gives 4), so the closing quote is found first and that much allocated. */
static int read_string(struct cursor *c, char **out, size_t *out_len)
{
    size_t end = c->pos + 1;
    while (end < c->len && c->text[end] != '"')
        end += c->text[end] == '\\' ? 2 : 1;
    if (end >= c->len)
        return fail(c, "string not terminated");

    char *s = malloc(end - c->pos);
    if (s == NULL)
        return fail(c, "out of memory");
    size_t used = 0;
    c->pos++;
    while (c->pos < end) {
        const unsigned char *at = (const unsigned char *)c->text + c->pos;
        int rc = 0;
        if (*at == '\\') {
            c->pos++;
            rc = read_escape(c, s, &used);
        } else if (*at < 0x20) {
            rc = fail(c, "control character 0x%02x in a string (it must be escaped)",
                      (unsigned)*at);
        } else {
            size_t n = utf8_sequence_length(at, end - c->pos);
            if (n == 0) {
                rc = fail(c, "invalid UTF-8 in a string");
            } else {
                memcpy(s + used, at, n);
                used += n;
                c->pos += n;
            }
        }
        if (rc < 0) {
            free(s);
            return -1;
        }
    }
    c->pos++; /* the closing quote */
    s[used] = '\0';
    *out = s;
    *out_len = used;
    return 0;
}

/* An integer: -?(0|[1-9][0-9]*), within the range of long long. */
static int read_integer(struct cursor *c, long long *out)
{
    size_t start = c->pos;
    bool negative = peek(c) == '-';
    if (negative)
        c->pos++;
    int ch = peek(c);
    if (ch < '0' || ch > '9')
        return fail_unexpected(c, "a digit");
    if (ch == '0' && c->pos + 1 < c->len && c->text[c->pos + 1] >= '0' &&
        c->text[c->pos + 1] <= '9')
        return fail(c, "leading zeros are not allowed");

    /* The magnitude may reach LLONG_MAX + 1 for a negative number. */
    unsigned long long limit = negative ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
    unsigned long long v = 0;
    while ((ch = peek(c)) >= '0' && ch <= '9') {
        unsigned digit = (unsigned)(ch - '0');
        if (v > (limit - digit) / 10) {
            c->pos = start;
            return fail(c, "integer out of range (%lld to %lld)", LLONG_MIN, LLONG_MAX);
        }
        v = v * 10 + digit;
        c->pos++;
    }
    if (ch == '.' || ch == 'e' || ch == 'E')
        return fail(c, "numbers with a fraction or an exponent are not supported");
    if (negative)
        *out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
    else
        *out = (long long)v;
    return 0;
}

static bool read_literal(struct cursor *c, const char *word)
{
    size_t n = strlen(word);
    if (c->len - c->pos < n || memcmp(c->text + c->pos, word, n) != 0)
        return false;
    c->pos += n;
    return true;
}

static int read_value(struct cursor *c, struct json_value *v)
{
    int ch = peek(c);
    *v = (struct json_value){0};
    if (ch == '"') {
        v->type = JSON_STRING;
        return read_string(c, &v->string, &v->length);
    }
    if (ch == '-' || (ch >= '0' && ch <= '9')) {
        v->type = JSON_INT;
        return read_integer(c, &v->integer);
    }
    if (read_literal(c, "true")) {
        v->type = JSON_BOOL;
        v->boolean = true;
        return 0;
    }
    if (read_literal(c, "false")) {
        v->type = JSON_BOOL;
        return 0;
    }
    if (read_literal(c, "null"))
        return 0; /* v->type is JSON_NULL */
    if (ch == '{')
        return fail(c, "nested objects are not supported");
    if (ch == '[')
        return fail(c, "arrays are not supported");
    return fail_unexpected(c, "a string, an integer, true, false or null");
}

static void free_value(struct json_value *v)
{
    if (v->type == JSON_STRING)
        free(v->string);
}

static const struct json_member *find(const struct json_object *obj, const char *key,
                                      size_t key_len)
{
    for (size_t i = 0; i < obj->count; i++)
        if (obj->members[i].key_length == key_len &&
            memcmp(obj->members[i].key, key, key_len) == 0)
            return &obj->members[i];
    return NULL;
}

/* member = string ws ":" ws value, appended to obj. */
static int read_member(struct cursor *c, struct json_object *obj, size_t *cap)
{
    struct json_member m = {0};
    size_t key_at = c->pos;

    if (peek(c) != '"')
        return fail_unexpected(c, "a key (a string)");
    if (read_string(c, &m.key, &m.key_length) < 0)
        return -1;
    if (find(obj, m.key, m.key_length) != NULL) {
        free(m.key);
        c->pos = key_at;
        return fail(c, "duplicate key");
    }
    skip_white_space(c);
    if (expect(c, ':', "':' after the key") < 0) {
        free(m.key);
        return -1;
    }
    skip_white_space(c);
    if (read_value(c, &m.value) < 0) {
        free(m.key);
        return -1;
    }
    if (obj->count == *cap) {
        size_t grown_cap = *cap > 0 ? *cap * 2 : 8;
        struct json_member *grown = realloc(obj->members, grown_cap * sizeof *grown);
        if (grown == NULL) {
            free(m.key);
            free_value(&m.value);
            return fail(c, "out of memory");
        }
        obj->members = grown;
        *cap = grown_cap;
    }
    obj->members[obj->count++] = m;
    return 0;
}

/* object = ws "{" ws [ member *( ws "," ws member ) ] ws "}" ws */
static int read_object(struct cursor *c, struct json_object *obj)
{
    size_t cap = 0;

    skip_white_space(c);
    if (peek(c) == '[')
        return fail(c, "expected an object, found an array");
    if (expect(c, '{', "'{'") < 0)
        return -1;
    skip_white_space(c);
    if (peek(c) == '}') {
        c->pos++;
    } else {
        for (;;) {
            if (read_member(c, obj, &cap) < 0)
                return -1;
            skip_white_space(c);
            if (peek(c) == '}') {
                c->pos++;
                break;
            }
            if (expect(c, ',', "',' or '}'") < 0)
                return -1;
            skip_white_space(c);
        }
    }
    skip_white_space(c);
    if (!at_end(c))
        return fail_unexpected(c, "nothing after the object");
    return 0;
}

int json_parse_object(const char *text, size_t len, struct json_object *out, char *err)
{
    struct cursor c = {text, len, 0, err};
    *out = (struct json_object){0};
    if (read_object(&c, out) < 0) {
        json_object_free(out);
        return -1;
    }
    return 0;
}

void json_object_free(struct json_object *obj)
{
    for (size_t i = 0; i < obj->count; i++) {
        free(obj->members[i].key);
        free_value(&obj->members[i].value);
    }
    free(obj->members);
    *obj = (struct json_object){0};
}

const struct json_value *json_get(const struct json_object *obj, const char *key)
{
    const struct json_member *m = find(obj, key, strlen(key));
    return m != NULL ? &m->value : NULL;
}

/* ---- the writer ------------------------------------------------------------------ */

static void writer_fail(struct json_writer *w, const char *what, const char *key)
{
    if (w->error[0] == '\0')
        snprintf(w->error, sizeof w->error, "%s \"%s\"", what, key);
}

static void append(struct json_writer *w, const char *data, size_t len)
{
    if (w->error[0] != '\0')
        return;
    if (w->cap - w->len < len + 1) {
        size_t cap = w->cap > 0 ? w->cap : 64;
        while (cap - w->len < len + 1)
            cap *= 2;
        char *grown = realloc(w->text, cap);
        if (grown == NULL) {
            writer_fail(w, "out of memory writing", "JSON");
            return;
        }
        w->text = grown;
        w->cap = cap;
    }
    memcpy(w->text + w->len, data, len);
    w->len += len;
    w->text[w->len] = '\0';
}

/* One character that cannot appear as itself inside a JSON string. */
static void append_escape(struct json_writer *w, unsigned char ch)
{
    char esc[8];
    switch (ch) {
    case '"': append(w, "\\\"", 2); return;
    case '\\': append(w, "\\\\", 2); return;
    case '\b': append(w, "\\b", 2); return;
    case '\f': append(w, "\\f", 2); return;
    case '\n': append(w, "\\n", 2); return;
    case '\r': append(w, "\\r", 2); return;
    case '\t': append(w, "\\t", 2); return;
    default:
        snprintf(esc, sizeof esc, "\\u%04x", (unsigned)ch);
        append(w, esc, 6);
    }
}

/* A string in quotes, with '"', '\' and the control characters escaped;
 * everything else, non-ASCII included, goes out as the UTF-8 it is. */
static void append_quoted(struct json_writer *w, const char *s, size_t len)
{
    append(w, "\"", 1);
    size_t plain = 0; /* start of the run of bytes that need no escape */
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        append(w, s + plain, i - plain);
        append_escape(w, ch);
        plain = i + 1;
    }
    append(w, s + plain, len - plain);
    append(w, "\"", 1);
}

/* "key": , after a comma unless it is the first member. */
static void begin_member(struct json_writer *w, const char *key)
{
    size_t key_len = strlen(key);
    if (!json_valid_utf8(key, key_len)) {
        writer_fail(w, "a key is not valid UTF-8:", "");
        return;
    }
    if (w->members++ > 0)
        append(w, ", ", 2);
    append_quoted(w, key, key_len);
    append(w, ": ", 2);
}

void json_writer_begin(struct json_writer *w)
{
    *w = (struct json_writer){0};
    append(w, "{", 1);
}

void json_write_string(struct json_writer *w, const char *key, const char *value,
                       size_t value_len)
{
    if (!json_valid_utf8(value, value_len)) {
        writer_fail(w, "not valid UTF-8: the value of", key);
        return;
    }
    begin_member(w, key);
    append_quoted(w, value, value_len);
}

void json_write_int(struct json_writer *w, const char *key, long long value)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%lld", value);
    begin_member(w, key);
    append(w, digits, (size_t)n);
}

void json_write_bool(struct json_writer *w, const char *key, bool value)
{
    begin_member(w, key);
    append(w, value ? "true" : "false", value ? 4 : 5);
}

void json_write_null(struct json_writer *w, const char *key)
{
    begin_member(w, key);
    append(w, "null", 4);
}

void json_write_value(struct json_writer *w, const char *key,
                      const struct json_value *value)
{
    switch (value->type) {
    case JSON_STRING:
        json_write_string(w, key, value->string, value->length);
        break;
    case JSON_INT:
        json_write_int(w, key, value->integer);
        break;
    case JSON_BOOL:
        json_write_bool(w, key, value->boolean);
        break;
    case JSON_NULL:
        json_write_null(w, key);
        break;
    }
}

char *json_writer_end(struct json_writer *w, size_t *len, char *err)
{
    append(w, "}", 1);
    if (w->error[0] != '\0') {
        snprintf(err, JSON_ERR_LEN, "%s", w->error);
        free(w->text);
        *w = (struct json_writer){0};
        return NULL;
    }
    char *text = w->text;
    *len = w->len;
    *w = (struct json_writer){0};
    return text;
}

/* json.c - a reader and a writer for JSON (see json.h).
 *
 * The grammar is RFC 8259's (section 2 to 7):
 *
 *     text   = ws value ws
 *     value  = object / array / string / number / "true" / "false" / "null"
 *     object = "{" ws [ member *( ws "," ws member ) ] ws "}"
 *     member = string ws ":" ws value
 *     array  = "[" ws [ value *( ws "," ws value ) ] ws "]"
 *     number = [ "-" ] int [ frac ] [ exp ]
 *     ws     = *( %x20 / %x09 / %x0A / %x0D )
 *
 * Each rule is one function below, reading from a cursor over the text.
 * value calls object and array, which call value again: the depth of that
 * recursion is counted, and bounded by JSON_MAX_DEPTH.
 */
#include "json.h"

#include <limits.h>
#include <math.h>
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
    size_t depth; /* objects and arrays open around the cursor */
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
 *     return fail(c, "duplicate key");  */
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

/* ---- numbers (RFC 8259, section 6) -------------------------------------------- */

static bool is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

/* The digits of an integer already checked by the grammar, as a long long;
 * false if they do not fit. */
static bool integer_fits(const char *digits, size_t n, bool negative, long long *out)
{
    /* The magnitude may reach LLONG_MAX + 1 for a negative number. */
    unsigned long long limit = negative ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
    unsigned long long v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned digit = (unsigned)(digits[i] - '0');
        if (v > (limit - digit) / 10)
            return false;
        v = v * 10 + digit;
    }
    if (negative)
        *out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
    else
        *out = (long long)v;
    return true;
}

/* number = [ "-" ] ( "0" / [1-9] *DIGIT ) [ "." 1*DIGIT ] [ ("e"/"E") ["-"/"+"] 1*DIGIT ]
 * The grammar is checked here, byte by byte; the conversion of a number that
 * is not a plain integer is left to strtod(), on a copy of just its bytes
 * (strtod needs a NUL at the end, and reads the C locale's decimal point,
 * which is '.' in every program of the course: none calls setlocale). */
static int read_number(struct cursor *c, struct json_value *v)
{
    size_t start = c->pos;
    bool negative = peek(c) == '-';
    if (negative)
        c->pos++;
    size_t digits_at = c->pos;
    if (!is_digit(peek(c)))
        return fail_unexpected(c, "a digit");
    if (peek(c) == '0' && c->pos + 1 < c->len && is_digit(c->text[c->pos + 1]))
        return fail(c, "leading zeros are not allowed");
    while (is_digit(peek(c)))
        c->pos++;
    size_t digits_end = c->pos;
    bool plain = true;
    if (peek(c) == '.') {
        plain = false;
        c->pos++;
        if (!is_digit(peek(c)))
            return fail_unexpected(c, "a digit after the decimal point");
        while (is_digit(peek(c)))
            c->pos++;
    }
    if (peek(c) == 'e' || peek(c) == 'E') {
        plain = false;
        c->pos++;
        if (peek(c) == '+' || peek(c) == '-')
            c->pos++;
        if (!is_digit(peek(c)))
            return fail_unexpected(c, "a digit in the exponent");
        while (is_digit(peek(c)))
            c->pos++;
    }
    if (plain && integer_fits(c->text + digits_at, digits_end - digits_at, negative,
                              &v->integer)) {
        v->type = JSON_INT;
        return 0;
    }

    size_t n = c->pos - start;
    char *copy = malloc(n + 1);
    if (copy == NULL)
        return fail(c, "out of memory");
    memcpy(copy, c->text + start, n);
    copy[n] = '\0';
    double d = strtod(copy, NULL);
    free(copy);
    if (isinf(d)) {
        c->pos = start;
        return fail(c, "number too large for a double");
    }
    v->type = JSON_NUMBER;
    v->number = d; /* a number too small for a double (1e-400) reads as 0 */
    return 0;
}

/* ---- values, arrays, objects ------------------------------------------------- */

static bool read_literal(struct cursor *c, const char *word)
{
    size_t n = strlen(word);
    if (c->len - c->pos < n || memcmp(c->text + c->pos, word, n) != 0)
        return false;
    c->pos += n;
    return true;
}

static int read_value(struct cursor *c, struct json_value *v);

/* Entering an object or an array: one level deeper. */
static int enter(struct cursor *c)
{
    if (c->depth == JSON_MAX_DEPTH)
        return fail(c, "nested deeper than %d levels", JSON_MAX_DEPTH);
    c->depth++;
    c->pos++; /* the '{' or '[' */
    return 0;
}

/* Grows an array of elements of size each (doubling, so that n appends cost
 * time in proportion to n).  Returns false when out of memory. */
static bool grow(void **items, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return true;
    size_t grown_cap = *cap > 0 ? *cap * 2 : 4;
    if (grown_cap > SIZE_MAX / size)
        return false;
    void *grown = realloc(*items, grown_cap * size);
    if (grown == NULL)
        return false;
    *items = grown;
    *cap = grown_cap;
    return true;
}

/* array = "[" ws [ value *( ws "," ws value ) ] ws "]" */
static int read_array(struct cursor *c, struct json_array *a)
{
    size_t cap = 0;
    if (enter(c) < 0)
        return -1;
    skip_white_space(c);
    if (peek(c) == ']') {
        c->pos++;
        c->depth--;
        return 0;
    }
    for (;;) {
        if (!grow((void **)&a->items, &cap, a->count, sizeof *a->items))
            return fail(c, "out of memory");
        /* Counted before it is read, so that on failure whatever part of
         * it was read is freed with the rest. */
        if (read_value(c, &a->items[a->count++]) < 0)
            return -1;
        skip_white_space(c);
        if (peek(c) == ']')
            break;
        if (expect(c, ',', "',' or ']'") < 0)
            return -1;
        skip_white_space(c);
    }
    c->pos++;
    c->depth--;
    return 0;
}

/* Where each key of an object was, for the duplicate check. */
struct key_ref {
    const char *key;
    size_t length;
    size_t at; /* byte position of its opening quote */
};

static int compare_keys(const void *a, const void *b)
{
    const struct key_ref *x = a, *y = b;
    if (x->length != y->length)
        return x->length < y->length ? -1 : 1;
    int order = memcmp(x->key, y->key, x->length);
    if (order != 0)
        return order;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* Duplicate keys, found by sorting the keys (n log n) rather than by
 * comparing each with all those before it (n * n: 95,000 keys would take
 * seconds).  The error names the first key, in the text, that repeats an
 * earlier one. */
static int check_unique_keys(struct cursor *c, struct key_ref *refs, size_t count)
{
    if (count < 2)
        return 0;
    qsort(refs, count, sizeof *refs, compare_keys);
    size_t first_repeat = SIZE_MAX;
    for (size_t i = 1; i < count; i++) {
        const struct key_ref *prev = &refs[i - 1], *this = &refs[i];
        if (prev->length == this->length && memcmp(prev->key, this->key, this->length) == 0 &&
            this->at < first_repeat)
            first_repeat = this->at;
    }
    if (first_repeat == SIZE_MAX)
        return 0;
    c->pos = first_repeat;
    return fail(c, "duplicate key");
}

/* member = string ws ":" ws value, stored in *m. */
static int read_member(struct cursor *c, struct json_member *m)
{
    *m = (struct json_member){0};
    if (peek(c) != '"')
        return fail_unexpected(c, "a key (a string)");
    if (read_string(c, &m->key, &m->key_length) < 0)
        return -1;
    skip_white_space(c);
    if (expect(c, ':', "':' after the key") < 0)
        return -1;
    skip_white_space(c);
    return read_value(c, &m->value);
}

/* object = "{" ws [ member *( ws "," ws member ) ] ws "}"
 * A member is counted in o->count as soon as it is started, so that on
 * failure whatever part of it was read is freed with the rest. */
static int read_members(struct cursor *c, struct json_object *o, struct key_ref **refs)
{
    size_t cap = 0, refs_cap = 0;
    for (;;) {
        if (!grow((void **)&o->members, &cap, o->count, sizeof *o->members) ||
            !grow((void **)refs, &refs_cap, o->count, sizeof **refs))
            return fail(c, "out of memory");
        size_t at = c->pos;
        struct json_member *m = &o->members[o->count++];
        if (read_member(c, m) < 0)
            return -1;
        (*refs)[o->count - 1] = (struct key_ref){m->key, m->key_length, at};
        skip_white_space(c);
        if (peek(c) == '}')
            return 0;
        if (expect(c, ',', "',' or '}'") < 0)
            return -1;
        skip_white_space(c);
    }
}

static int read_object(struct cursor *c, struct json_object *o)
{
    struct key_ref *refs = NULL;
    if (enter(c) < 0)
        return -1;
    skip_white_space(c);
    if (peek(c) != '}') {
        int rc = read_members(c, o, &refs);
        if (rc == 0)
            rc = check_unique_keys(c, refs, o->count);
        free(refs);
        if (rc < 0)
            return -1;
    }
    c->pos++; /* the '}' */
    c->depth--;
    return 0;
}

static int read_value(struct cursor *c, struct json_value *v)
{
    int ch = peek(c);
    *v = (struct json_value){0};
    if (ch == '{') {
        v->type = JSON_OBJECT;
        return read_object(c, &v->object);
    }
    if (ch == '[') {
        v->type = JSON_ARRAY;
        return read_array(c, &v->array);
    }
    if (ch == '"') {
        v->type = JSON_STRING;
        return read_string(c, &v->string, &v->length);
    }
    if (ch == '-' || is_digit(ch))
        return read_number(c, v);
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
    return fail_unexpected(c, "a value (an object, an array, a string, a number, "
                              "true, false or null)");
}

/* text = ws value ws, and nothing after it. */
static int read_text(struct cursor *c, struct json_value *v)
{
    skip_white_space(c);
    if (read_value(c, v) < 0)
        return -1;
    skip_white_space(c);
    if (!at_end(c))
        return fail_unexpected(c, "nothing after the value");
    return 0;
}

int json_parse(const char *text, size_t len, struct json_value *out, char *err)
{
    struct cursor c = {text, len, 0, 0, err};
    if (read_text(&c, out) < 0) {
        json_value_free(out);
        return -1;
    }
    return 0;
}

int json_parse_object(const char *text, size_t len, struct json_object *out, char *err)
{
    struct cursor c = {text, len, 0, 0, err};
    *out = (struct json_object){0};
    skip_white_space(&c);
    if (peek(&c) == '[')
        return fail(&c, "expected an object, found an array");
    if (peek(&c) != '{')
        return fail_unexpected(&c, "'{'");
    struct json_value v;
    if (json_parse(text, len, &v, err) < 0)
        return -1;
    *out = v.object;
    return 0;
}

void json_value_free(struct json_value *v)
{
    if (v == NULL)
        return;
    switch (v->type) {
    case JSON_STRING:
        free(v->string);
        break;
    case JSON_ARRAY:
        for (size_t i = 0; i < v->array.count; i++)
            json_value_free(&v->array.items[i]);
        free(v->array.items);
        break;
    case JSON_OBJECT:
        json_object_free(&v->object);
        break;
    default:
        break;
    }
    *v = (struct json_value){0};
}

void json_object_free(struct json_object *obj)
{
    for (size_t i = 0; i < obj->count; i++) {
        free(obj->members[i].key);
        json_value_free(&obj->members[i].value);
    }
    free(obj->members);
    *obj = (struct json_object){0};
}

/* ---- looking things up -------------------------------------------------------- */

const struct json_value *json_get(const struct json_object *obj, const char *key)
{
    size_t key_len = strlen(key);
    for (size_t i = 0; i < obj->count; i++)
        if (obj->members[i].key_length == key_len &&
            memcmp(obj->members[i].key, key, key_len) == 0)
            return &obj->members[i].value;
    return NULL;
}

const struct json_value *json_member(const struct json_value *v, const char *key)
{
    if (v == NULL || v->type != JSON_OBJECT)
        return NULL;
    return json_get(&v->object, key);
}

size_t json_length(const struct json_value *v)
{
    if (v == NULL)
        return 0;
    if (v->type == JSON_ARRAY)
        return v->array.count;
    if (v->type == JSON_OBJECT)
        return v->object.count;
    return 0;
}

const struct json_value *json_item(const struct json_value *v, size_t i)
{
    if (v == NULL || v->type != JSON_ARRAY || i >= v->array.count)
        return NULL;
    return &v->array.items[i];
}

bool json_as_int(const struct json_value *v, long long *out)
{
    if (v == NULL || v->type != JSON_INT)
        return false;
    *out = v->integer;
    return true;
}

bool json_as_number(const struct json_value *v, double *out)
{
    if (v != NULL && v->type == JSON_INT) {
        *out = (double)v->integer;
        return true;
    }
    if (v == NULL || v->type != JSON_NUMBER)
        return false;
    *out = v->number;
    return true;
}

bool json_as_bool(const struct json_value *v, bool *out)
{
    if (v == NULL || v->type != JSON_BOOL)
        return false;
    *out = v->boolean;
    return true;
}

bool json_as_string(const struct json_value *v, const char **text, size_t *len)
{
    if (v == NULL || v->type != JSON_STRING)
        return false;
    *text = v->string;
    *len = v->length;
    return true;
}

bool json_is_null(const struct json_value *v)
{
    return v != NULL && v->type == JSON_NULL;
}

bool json_equals(const struct json_value *v, const char *text, size_t len)
{
    return v != NULL && v->type == JSON_STRING && v->length == len &&
           memcmp(v->string, text, len) == 0;
}

/* ---- the writer ------------------------------------------------------------------ */

/* Remembers the first failure; what follows is ignored. */
static void writer_fail(struct json_writer *w, const char *what, const char *key)
{
    if (w->error[0] == '\0')
        snprintf(w->error, sizeof w->error, "%s%s%s%s", what, key ? " \"" : "",
                 key ? key : "", key ? "\"" : "");
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
            writer_fail(w, "out of memory writing JSON", NULL);
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

/* Before each value: the comma after the one before it, and the key if the
 * value is an object's member.  Returns false if the value must not be
 * written (a failure, now or earlier). */
static bool begin_value(struct json_writer *w, const char *key)
{
    if (w->error[0] != '\0')
        return false;
    if (w->depth == 0) {
        writer_fail(w, "a value after the outer object was closed", NULL);
        return false;
    }
    size_t level = w->depth - 1;
    if (w->in_array[level] && key != NULL) {
        writer_fail(w, "a key inside an array:", key);
        return false;
    }
    if (!w->in_array[level] && key == NULL) {
        writer_fail(w, "a member of an object without a key", NULL);
        return false;
    }
    if (key != NULL && !json_valid_utf8(key, strlen(key))) {
        writer_fail(w, "a key is not valid UTF-8", NULL);
        return false;
    }
    if (w->written[level]++ > 0)
        append(w, ", ", 2);
    if (key != NULL) {
        append_quoted(w, key, strlen(key));
        append(w, ": ", 2);
    }
    return w->error[0] == '\0';
}

/* Opens a container: "{" or "[". */
static void open_container(struct json_writer *w, bool array)
{
    if (w->depth == JSON_MAX_DEPTH) {
        writer_fail(w, "nested deeper than JSON_MAX_DEPTH levels", NULL);
        return;
    }
    w->in_array[w->depth] = array;
    w->written[w->depth] = 0;
    w->depth++;
    append(w, array ? "[" : "{", 1);
}

static void close_container(struct json_writer *w, bool array)
{
    if (w->error[0] != '\0')
        return;
    if (w->depth <= 1 || w->in_array[w->depth - 1] != array) {
        writer_fail(w, array ? "an array closed that is not open"
                             : "an object closed that is not open", NULL);
        return;
    }
    w->depth--;
    append(w, array ? "]" : "}", 1);
}

void json_writer_begin(struct json_writer *w)
{
    *w = (struct json_writer){0};
    open_container(w, false);
}

void json_write_string(struct json_writer *w, const char *key, const char *value,
                       size_t value_len)
{
    if (!json_valid_utf8(value, value_len)) {
        writer_fail(w, "not valid UTF-8: the value of", key ? key : "an array item");
        return;
    }
    if (begin_value(w, key))
        append_quoted(w, value, value_len);
}

void json_write_int(struct json_writer *w, const char *key, long long value)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%lld", value);
    if (begin_value(w, key))
        append(w, digits, (size_t)n);
}

void json_write_number(struct json_writer *w, const char *key, double value)
{
    if (!isfinite(value)) {
        writer_fail(w, "no JSON form for NaN or infinity: the value of",
                    key ? key : "an array item");
        return;
    }
    /* The shortest of %.15g, %.16g, %.17g that reads back as the same
     * double: 0.1 stays "0.1" instead of "0.10000000000000001". */
    char digits[40];
    int n = 0;
    for (int precision = 15; precision <= 17; precision++) {
        n = snprintf(digits, sizeof digits, "%.*g", precision, value);
        if (strtod(digits, NULL) == value)
            break;
    }
    if (begin_value(w, key))
        append(w, digits, (size_t)n);
}

void json_write_bool(struct json_writer *w, const char *key, bool value)
{
    if (begin_value(w, key))
        append(w, value ? "true" : "false", value ? 4 : 5);
}

void json_write_null(struct json_writer *w, const char *key)
{
    if (begin_value(w, key))
        append(w, "null", 4);
}

void json_write_object_begin(struct json_writer *w, const char *key)
{
    if (begin_value(w, key))
        open_container(w, false);
}

void json_write_object_end(struct json_writer *w)
{
    close_container(w, false);
}

void json_write_array_begin(struct json_writer *w, const char *key)
{
    if (begin_value(w, key))
        open_container(w, true);
}

void json_write_array_end(struct json_writer *w)
{
    close_container(w, true);
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
    case JSON_NUMBER:
        json_write_number(w, key, value->number);
        break;
    case JSON_BOOL:
        json_write_bool(w, key, value->boolean);
        break;
    case JSON_NULL:
        json_write_null(w, key);
        break;
    case JSON_ARRAY:
        json_write_array_begin(w, key);
        for (size_t i = 0; i < value->array.count && w->error[0] == '\0'; i++)
            json_write_value(w, NULL, &value->array.items[i]);
        json_write_array_end(w);
        break;
    case JSON_OBJECT:
        json_write_object_begin(w, key);
        for (size_t i = 0; i < value->object.count && w->error[0] == '\0'; i++)
            json_write_value(w, value->object.members[i].key,
                             &value->object.members[i].value);
        json_write_object_end(w);
        break;
    }
}

char *json_writer_end(struct json_writer *w, size_t *len, char *err)
{
    if (w->error[0] == '\0' && w->depth != 1)
        writer_fail(w, "an object or array left open", NULL);
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

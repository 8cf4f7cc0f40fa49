/* fuzz-json - fuzz target for the JSON reader and writer (json.h).
 *
 * Any input: the reader must accept it or reject it with a message that
 * says where, never crash, leak or read out of bounds.  What it accepts
 * must hold only valid UTF-8 strings, and must survive a round trip:
 * written back by the writer and read again, it is the same tree. */
#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool same(const struct json_value *a, const struct json_value *b);

static bool same_number(const struct json_value *a, const struct json_value *b)
{
    /* A double with no fraction is written without one ("100000" for 1e5)
     * and reads back as an integer: the value is what must not change. */
    double x, y;
    if (a->type == JSON_INT && b->type == JSON_INT)
        return a->integer == b->integer;
    return json_as_number(a, &x) && json_as_number(b, &y) && x == y;
}

static bool same(const struct json_value *a, const struct json_value *b)
{
    bool numbers = (a->type == JSON_INT || a->type == JSON_NUMBER) &&
                   (b->type == JSON_INT || b->type == JSON_NUMBER);
    if (numbers)
        return same_number(a, b);
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case JSON_NULL:
        return true;
    case JSON_BOOL:
        return a->boolean == b->boolean;
    case JSON_STRING:
        return a->length == b->length && memcmp(a->string, b->string, a->length) == 0;
    case JSON_ARRAY:
        if (a->array.count != b->array.count)
            return false;
        for (size_t i = 0; i < a->array.count; i++)
            if (!same(&a->array.items[i], &b->array.items[i]))
                return false;
        return true;
    case JSON_OBJECT:
        if (a->object.count != b->object.count)
            return false;
        for (size_t i = 0; i < a->object.count; i++) {
            const struct json_member *x = &a->object.members[i], *y = &b->object.members[i];
            if (x->key_length != y->key_length || memcmp(x->key, y->key, x->key_length) != 0 ||
                !same(&x->value, &y->value))
                return false;
        }
        return true;
    default:
        return false;
    }
}

/* Checks the strings of a tree; false if a key holds a NUL (the writer
 * takes keys as C strings, so such a tree cannot be written back). */
static bool check_strings(const struct json_value *v)
{
    bool writable = true;
    if (v->type == JSON_STRING && !json_valid_utf8(v->string, v->length))
        abort();
    for (size_t i = 0; i < json_length(v) && v->type == JSON_ARRAY; i++)
        writable &= check_strings(&v->array.items[i]);
    for (size_t i = 0; i < json_length(v) && v->type == JSON_OBJECT; i++) {
        const struct json_member *m = &v->object.members[i];
        if (!json_valid_utf8(m->key, m->key_length))
            abort();
        writable &= strlen(m->key) == m->key_length;
        writable &= check_strings(&m->value);
    }
    return writable;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct json_value v, again;
    char err[JSON_ERR_LEN];

    if (json_parse((const char *)data, size, &v, err) < 0) {
        if (strncmp(err, "at byte ", 8) != 0)
            abort(); /* every error says where */
        return 0;
    }
    if (check_strings(&v)) {
        /* Written as the member "v" of an object: one level deeper, so a
         * tree at the depth limit cannot be written back. */
        struct json_writer w;
        json_writer_begin(&w);
        json_write_value(&w, "v", &v);
        size_t len;
        char *text = json_writer_end(&w, &len, err);
        if (text != NULL) {
            if (json_parse(text, len, &again, err) < 0 || !same(&v, json_member(&again, "v")))
                abort();
            json_value_free(&again);
            free(text);
        } else if (strstr(err, "nested deeper") == NULL) {
            abort();
        }
    }
    json_value_free(&v);
    return 0;
}

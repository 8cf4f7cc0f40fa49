/* fuzz-json - libFuzzer target for the JSON reader and writer (json.h).
 *
 * Any input: the reader must accept it or reject it with a message, never
 * crash, leak or read out of bounds.  What it accepts must hold only valid
 * UTF-8 strings, and must survive a round trip: written back by the writer
 * and read again, it gives the same members. */
#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_same(const struct json_object *a, const struct json_object *b)
{
    if (a->count != b->count)
        abort();
    for (size_t i = 0; i < a->count; i++) {
        const struct json_member *x = &a->members[i], *y = &b->members[i];
        if (x->key_length != y->key_length || memcmp(x->key, y->key, x->key_length) != 0 ||
            x->value.type != y->value.type)
            abort();
        if (x->value.type == JSON_STRING &&
            (x->value.length != y->value.length ||
             memcmp(x->value.string, y->value.string, x->value.length) != 0))
            abort();
        if (x->value.type == JSON_INT && x->value.integer != y->value.integer)
            abort();
        if (x->value.type == JSON_BOOL && x->value.boolean != y->value.boolean)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct json_object obj, again;
    char err[JSON_ERR_LEN];

    if (json_parse_object((const char *)data, size, &obj, err) < 0) {
        if (strncmp(err, "at byte ", 8) != 0)
            abort(); /* every error says where */
        return 0;
    }
    struct json_writer w;
    json_writer_begin(&w);
    for (size_t i = 0; i < obj.count; i++) {
        const struct json_member *m = &obj.members[i];
        if (!json_valid_utf8(m->key, m->key_length) ||
            (m->value.type == JSON_STRING &&
             !json_valid_utf8(m->value.string, m->value.length)))
            abort();
        json_write_value(&w, m->key, &m->value);
    }
    size_t len;
    char *text = json_writer_end(&w, &len, err);
    /* Keys with a NUL byte cannot be passed to the writer as C strings. */
    bool nul_in_key = false;
    for (size_t i = 0; i < obj.count; i++)
        nul_in_key |= strlen(obj.members[i].key) != obj.members[i].key_length;
    if (text == NULL)
        abort();
    if (!nul_in_key) {
        if (json_parse_object(text, len, &again, err) < 0)
            abort();
        check_same(&obj, &again);
        json_object_free(&again);
    }
    free(text);
    json_object_free(&obj);
    return 0;
}

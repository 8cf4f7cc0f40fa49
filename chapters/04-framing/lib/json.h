/* json.h - the JSON that the protocol of chapter 04 needs, and no more.
 *
 * A message header is one flat JSON object (RFC 8259) whose values are
 * strings, integers, booleans or null.  This reader accepts exactly that and
 * rejects everything else with a message that says what and where:
 *
 *   - nested objects and arrays, numbers with a fraction or an exponent,
 *     integers with leading zeros or outside the range of long long;
 *   - duplicate keys (RFC 8259 leaves their meaning open: a header whose
 *     "content-length" appears twice has no single meaning, so it is refused);
 *   - strings that are not valid UTF-8 (RFC 3629), that hold a raw control
 *     character, or whose \uXXXX escapes name a lone surrogate;
 *   - anything after the closing brace but white space.
 *
 * Escapes, \uXXXX included (surrogate pairs too), are decoded into UTF-8, so
 * a string value holds the text it means.  A string may contain a NUL byte
 * (written \u0000): every string carries its length, and is NUL-terminated
 * as well for convenience.
 *
 * The writer builds such an object key by key, escaping what must be
 * escaped; it refuses text that is not valid UTF-8.
 */
#ifndef JSON_H
#define JSON_H

#include <stdbool.h>
#include <stddef.h>

#define JSON_ERR_LEN 160

enum json_type { JSON_NULL, JSON_BOOL, JSON_INT, JSON_STRING };

struct json_value {
    enum json_type type;
    bool boolean;      /* JSON_BOOL */
    long long integer; /* JSON_INT */
    char *string;      /* JSON_STRING: UTF-8, NUL-terminated */
    size_t length;     /* JSON_STRING: bytes in string, without the NUL */
};

struct json_member {
    char *key; /* UTF-8, NUL-terminated */
    size_t key_length;
    struct json_value value;
};

/* One flat object: its members in the order they came. */
struct json_object {
    struct json_member *members;
    size_t count;
};

/* Parses the len bytes of text as one flat JSON object.  Returns 0 and fills
 * *out (free it with json_object_free), or -1 with a message in err
 * (JSON_ERR_LEN bytes) such as "at byte 12: arrays are not supported". */
int json_parse_object(const char *text, size_t len, struct json_object *out,
                      char *err);

void json_object_free(struct json_object *obj);

/* The value of the member named key, or NULL if there is none. */
const struct json_value *json_get(const struct json_object *obj, const char *key);

/* ---- writing ---------------------------------------------------------------- */

/* An object being written.  Start with json_writer_begin(); a failure (out
 * of memory, text that is not UTF-8) is remembered and reported once, by
 * json_writer_end(). */
struct json_writer {
    char *text;
    size_t len, cap;
    size_t members;
    char error[JSON_ERR_LEN]; /* empty while all is well */
};

void json_writer_begin(struct json_writer *w);
void json_write_string(struct json_writer *w, const char *key, const char *value,
                       size_t value_len);
void json_write_int(struct json_writer *w, const char *key, long long value);
void json_write_bool(struct json_writer *w, const char *key, bool value);
void json_write_null(struct json_writer *w, const char *key);
/* Writes a value that was read: any of the four types. */
void json_write_value(struct json_writer *w, const char *key,
                      const struct json_value *value);

/* Closes the object.  Returns its text (malloc'd, NUL-terminated, *len
 * bytes), or NULL with the first failure copied into err. */
char *json_writer_end(struct json_writer *w, size_t *len, char *err);

/* True if the len bytes are valid UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
bool json_valid_utf8(const char *text, size_t len);

#endif

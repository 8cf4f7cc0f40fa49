/* json.h - a JSON reader and writer (RFC 8259) for the course's protocols.
 *
 * Chapter 04's message headers are flat objects; chapter 08's requests and
 * replies nest objects and arrays.  Both use this one library.
 *
 * READING.  json_parse() turns text into a tree of json_value: objects,
 * arrays, strings, numbers, booleans and null, nested up to JSON_MAX_DEPTH
 * levels.  It rejects, with a message that says what and where ("at byte
 * 12: duplicate key"):
 *
 *   - anything that is not RFC 8259 JSON: a trailing comma, a single quote,
 *     a leading zero, "+1", anything after the value but white space;
 *   - nesting deeper than JSON_MAX_DEPTH (each level costs stack and
 *     memory, and no message of the course needs more than a few);
 *   - duplicate keys in one object (RFC 8259 leaves their meaning open: a
 *     header whose "content-length" appears twice has no single meaning);
 *   - strings that are not valid UTF-8 (RFC 3629), that hold a raw control
 *     character, or whose \uXXXX escapes name a lone surrogate;
 *   - numbers too large for a double (1e400).
 *
 * Every check costs time in proportion to the input (duplicate keys are
 * found by sorting each object's keys: n log n), so a peer cannot make the
 * reader slow by sending many keys.
 *
 * Escapes, \uXXXX included (surrogate pairs too), are decoded into UTF-8, so
 * a string holds the text it means.  A string may contain a NUL byte
 * (written \u0000): every string carries its length, and is NUL-terminated
 * as well for convenience.  Compare strings with their length
 * (json_equals), never with strcmp alone: "search\u0000zzz" is not "search".
 *
 * A number without a fraction or an exponent that fits a long long is a
 * JSON_INT; any other number is a JSON_NUMBER (a double).
 *
 * Reading a tree:
 *
 *     struct json_value msg;
 *     if (json_parse(text, len, &msg, err) < 0) ...   // err says why
 *     long long id;
 *     const struct json_value *params = json_member(&msg, "params");
 *     if (!json_as_int(json_member(&msg, "id"), &id)) ...
 *     for (size_t i = 0; i < json_length(list); i++)
 *         use(json_item(list, i));
 *     json_value_free(&msg);
 *
 * Every accessor takes NULL and a value of the wrong type calmly (NULL, 0
 * or false back), so lookups chain without a check at each step.
 *
 * WRITING.  A json_writer builds one object in a growing buffer: members
 * are added in order, objects and arrays opened and closed inside it,
 * strings escaped as RFC 8259 section 7 asks.  Inside an object every value
 * has a key; inside an array the key is NULL.
 *
 *     json_writer_begin(&w);                  // {
 *     json_write_int(&w, "id", 7);            //   "id": 7,
 *     json_write_object_begin(&w, "result");  //   "result": {
 *     json_write_array_begin(&w, "ids");      //     "ids": [
 *     json_write_string(&w, NULL, "a", 1);    //       "a"
 *     json_write_array_end(&w);               //     ]
 *     json_write_object_end(&w);              //   }
 *     text = json_writer_end(&w, &len, err);  // }   (malloc'd, or NULL)
 *
 * A failure (out of memory, text that is not UTF-8, a key missing or out of
 * place, nesting too deep) is remembered and reported once, by
 * json_writer_end().
 */
#ifndef JSON_H
#define JSON_H

#include <stdbool.h>
#include <stddef.h>

#define JSON_ERR_LEN 160

/* The deepest nesting read or written: the outermost object or array is
 * level 1. */
#define JSON_MAX_DEPTH 32

enum json_type {
    JSON_NULL,
    JSON_BOOL,
    JSON_INT,    /* an integer that fits a long long */
    JSON_NUMBER, /* any other number: a fraction, an exponent, or too big */
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
};

struct json_value;
struct json_member;

/* An object: its members in the order they came (keys are unique). */
struct json_object {
    struct json_member *members;
    size_t count;
};

/* An array: its items in order. */
struct json_array {
    struct json_value *items;
    size_t count;
};

/* One value.  The field that holds it depends on type (a union: reading
 * another field is meaningless). */
struct json_value {
    enum json_type type;
    union {
        bool boolean;      /* JSON_BOOL */
        long long integer; /* JSON_INT */
        double number;     /* JSON_NUMBER */
        struct {           /* JSON_STRING: UTF-8, NUL-terminated, and */
            char *string;  /* length bytes long without the NUL (it may */
            size_t length; /* hold a NUL of its own) */
        };
        struct json_array array;   /* JSON_ARRAY */
        struct json_object object; /* JSON_OBJECT */
    };
};

struct json_member {
    char *key; /* UTF-8, NUL-terminated, key_length bytes without the NUL */
    size_t key_length;
    struct json_value value;
};

/* ---- reading ------------------------------------------------------------------ */

/* Parses the len bytes of text as one JSON value of any type.  Returns 0
 * and fills *out (free it with json_value_free), or -1 with a one-line
 * message in err (JSON_ERR_LEN bytes) such as "at byte 12: duplicate key". */
int json_parse(const char *text, size_t len, struct json_value *out, char *err);

/* The same, for text that must be an object (a message header): "[]" is
 * refused with "expected an object, found an array". */
int json_parse_object(const char *text, size_t len, struct json_object *out,
                      char *err);

/* Frees everything a value holds (its items and members, deeply) and sets
 * it to null.  Safe on a value that is already null. */
void json_value_free(struct json_value *v);
void json_object_free(struct json_object *obj);

/* The value of the member named key (a C string), or NULL if there is none
 * (or, for json_member, if v is NULL or not an object). */
const struct json_value *json_get(const struct json_object *obj, const char *key);
const struct json_value *json_member(const struct json_value *v, const char *key);

/* The number of items of an array, or of members of an object; 0 for any
 * other value and for NULL. */
size_t json_length(const struct json_value *v);

/* Item i of an array, or NULL if v is not an array or i is out of range. */
const struct json_value *json_item(const struct json_value *v, size_t i);

/* Typed reads: true and *out filled if v is there and of that type.
 * json_as_number takes a JSON_INT too (converted to double). */
bool json_as_int(const struct json_value *v, long long *out);
bool json_as_number(const struct json_value *v, double *out);
bool json_as_bool(const struct json_value *v, bool *out);
/* *text (NUL-terminated) and *len: the string and its length in bytes. */
bool json_as_string(const struct json_value *v, const char **text, size_t *len);
bool json_is_null(const struct json_value *v);

/* True if v is a string of exactly these len bytes: the comparison of an
 * action name or a method, where a NUL inside the string must not pass. */
bool json_equals(const struct json_value *v, const char *text, size_t len);

/* ---- writing ---------------------------------------------------------------- */

/* An object being written.  Start with json_writer_begin(); the fields are
 * the writer's own. */
struct json_writer {
    char *text;
    size_t len, cap;
    size_t depth;                      /* containers open, the outer object too */
    size_t written[JSON_MAX_DEPTH];    /* values written in each of them */
    bool in_array[JSON_MAX_DEPTH];     /* is that container an array? */
    char error[JSON_ERR_LEN];          /* empty while all is well */
};

/* Starts the outer object ("{"). */
void json_writer_begin(struct json_writer *w);

/* One value each.  key is the member's name inside an object, NULL inside
 * an array. */
void json_write_string(struct json_writer *w, const char *key, const char *value,
                       size_t value_len);
void json_write_int(struct json_writer *w, const char *key, long long value);
/* A finite double, in the fewest digits that read back as the same value;
 * NaN and infinities have no JSON form and are a failure. */
void json_write_number(struct json_writer *w, const char *key, double value);
void json_write_bool(struct json_writer *w, const char *key, bool value);
void json_write_null(struct json_writer *w, const char *key);
/* A value that was read, of any type, nested ones written whole. */
void json_write_value(struct json_writer *w, const char *key,
                      const struct json_value *value);

/* Opens a nested object or array as the next value; the calls after it
 * write inside it until the matching _end. */
void json_write_object_begin(struct json_writer *w, const char *key);
void json_write_object_end(struct json_writer *w);
void json_write_array_begin(struct json_writer *w, const char *key);
void json_write_array_end(struct json_writer *w);

/* Closes the outer object.  Returns its text (malloc'd, NUL-terminated,
 * *len bytes), or NULL with the first failure copied into err (JSON_ERR_LEN
 * bytes); the writer's memory is freed either way. */
char *json_writer_end(struct json_writer *w, size_t *len, char *err);

/* True if the len bytes are valid UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
bool json_valid_utf8(const char *text, size_t len);

#endif

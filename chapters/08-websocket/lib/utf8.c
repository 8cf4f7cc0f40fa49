/* utf8.c - UTF-8 validation one byte at a time, by the table of well-formed
 * byte sequences (Unicode Standard, Table 3-7).
 *
 *     code points          1st byte  2nd byte  3rd byte  4th byte
 *     U+0000..U+007F       00..7F
 *     U+0080..U+07FF       C2..DF    80..BF
 *     U+0800..U+0FFF       E0        A0..BF    80..BF
 *     U+1000..U+CFFF       E1..EC    80..BF    80..BF
 *     U+D000..U+D7FF       ED        80..9F    80..BF
 *     U+E000..U+FFFF       EE..EF    80..BF    80..BF
 *     U+10000..U+3FFFF     F0        90..BF    80..BF    80..BF
 *     U+40000..U+FFFFF     F1..F3    80..BF    80..BF    80..BF
 *     U+100000..U+10FFFF   F4        80..8F    80..BF    80..BF
 *
 * Only the second byte's range depends on the first; that narrower range is
 * what refuses overlong forms (E0 80..9F, F0 80..8F), surrogates (ED A0..BF)
 * and code points above U+10FFFF (F4 90..BF). */
#include "utf8.h"

#include <stdbool.h>

/* A failed validator: it expects a continuation in an empty range. */
#define FAILED_LOWER 0xff
#define FAILED_UPPER 0x00

void utf8_init(struct utf8_validator *v)
{
    v->needed = 0;
    v->lower = 0x80;
    v->upper = 0xbf;
}

/* Starts a sequence at its first byte; false if b cannot begin one. */
static bool begin_sequence(struct utf8_validator *v, uint8_t b)
{
    v->lower = 0x80;
    v->upper = 0xbf;
    if (b <= 0x7f) {
        v->needed = 0;
    } else if (b >= 0xc2 && b <= 0xdf) {
        v->needed = 1;
    } else if (b >= 0xe0 && b <= 0xef) {
        v->needed = 2;
        if (b == 0xe0)
            v->lower = 0xa0;    /* shorter forms are overlong */
        else if (b == 0xed)
            v->upper = 0x9f;    /* ED A0..BF would be a surrogate */
    } else if (b >= 0xf0 && b <= 0xf4) {
        v->needed = 3;
        if (b == 0xf0)
            v->lower = 0x90;    /* overlong */
        else if (b == 0xf4)
            v->upper = 0x8f;    /* above U+10FFFF */
    } else {
        return false;           /* 80..BF alone, C0, C1, F5..FF */
    }
    return true;
}

static bool failed(const struct utf8_validator *v)
{
    return v->lower == FAILED_LOWER && v->upper == FAILED_UPPER;
}

enum utf8_result utf8_feed(struct utf8_validator *v, const uint8_t *data, size_t len,
                           size_t *bad)
{
    if (failed(v)) {
        if (bad)
            *bad = 0;
        return UTF8_INVALID;
    }
    for (size_t i = 0; i < len; i++) {
        uint8_t b = data[i];
        bool ok;
        if (v->needed == 0) {
            ok = begin_sequence(v, b);
        } else {
            ok = b >= v->lower && b <= v->upper;
            v->needed--;
            v->lower = 0x80;    /* later continuation bytes: any of 80..BF */
            v->upper = 0xbf;
        }
        if (!ok) {
            v->lower = FAILED_LOWER;
            v->upper = FAILED_UPPER;
            v->needed = 1;
            if (bad)
                *bad = i;
            return UTF8_INVALID;
        }
    }
    return v->needed == 0 ? UTF8_COMPLETE : UTF8_PARTIAL;
}

enum utf8_result utf8_check(const uint8_t *data, size_t len)
{
    struct utf8_validator v;
    utf8_init(&v);
    return utf8_feed(&v, data, len, NULL);
}

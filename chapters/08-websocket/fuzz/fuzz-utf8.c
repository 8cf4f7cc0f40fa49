/* fuzz-utf8 - libFuzzer target: the UTF-8 validator on any bytes.
 *
 * Three opinions must agree: the validator fed in pieces, the validator fed
 * the whole text, and a plain decoder written here the other way round
 * (decode each sequence to its code point, then judge the code point).
 * When the text is invalid, both runs of the validator must name the same
 * first bad byte.
 */
#include "utf8.h"

#include <stdbool.h>
#include <stdlib.h>

/* True if a sequence of n bytes whose first k payload bits so far give cp
 * can still become a valid code point: not overlong, not a surrogate, not
 * above U+10FFFF.  (The bits not yet read range over all values.) */
static bool can_be_valid(uint32_t cp, size_t n, size_t bytes_read)
{
    static const uint32_t shortest[] = {0, 0, 0x80, 0x800, 0x10000};
    unsigned missing = 6 * (unsigned)(n - bytes_read);
    uint32_t low = cp << missing, high = low | ((1u << missing) - 1);
    return high >= shortest[n] && low <= 0x10ffff && !(low >= 0xd800 && high <= 0xdfff);
}

/* The reference: decodes sequences and judges code points, failing as
 * soon as a prefix cannot be valid.  Returns the offset of the first byte
 * that makes the text invalid, len if it is valid and complete, or len + 1
 * if it is valid but ends mid-character. */
static size_t reference(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t b = s[i];
        size_t n;
        uint32_t cp;
        if (b < 0x80) {
            i++;
            continue;
        } else if ((b & 0xe0) == 0xc0) {
            n = 2;
            cp = b & 0x1f;
        } else if ((b & 0xf0) == 0xe0) {
            n = 3;
            cp = b & 0x0f;
        } else if ((b & 0xf8) == 0xf0) {
            n = 4;
            cp = b & 0x07;
        } else {
            return i;
        }
        if (!can_be_valid(cp, n, 1))
            return i;
        for (size_t k = 1; k < n; k++) {
            if (i + k >= len)
                return len + 1;
            if ((s[i + k] & 0xc0) != 0x80)
                return i + k;
            cp = cp << 6 | (s[i + k] & 0x3f);
            if (!can_be_valid(cp, n, k + 1))
                return i + k;
        }
        i += n;
    }
    return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t split = data[0] % size;
    const uint8_t *text = data + 1;
    size_t len = size - 1;
    if (split > len)
        split = len;

    struct utf8_validator v;
    size_t bad = 0;
    utf8_init(&v);
    enum utf8_result r = utf8_feed(&v, text, split, &bad);
    size_t bad_at = bad;
    if (r != UTF8_INVALID) {
        r = utf8_feed(&v, text + split, len - split, &bad);
        bad_at = split + bad;
    }
    size_t whole_bad = 0;
    utf8_init(&v);
    enum utf8_result whole = utf8_feed(&v, text, len, &whole_bad);

    size_t expected = reference(text, len);
    enum utf8_result want = expected == len ? UTF8_COMPLETE
                            : expected == len + 1 ? UTF8_PARTIAL : UTF8_INVALID;
    if (r != want || whole != want)
        abort();
    if (want == UTF8_INVALID && (bad_at != expected || whole_bad != expected))
        abort();
    return 0;
}

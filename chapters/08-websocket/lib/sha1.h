/* sha1.h - the SHA-1 hash (FIPS 180-4 §6.1), which the WebSocket opening
 * handshake uses to prove that a server read the client's key (RFC 6455
 * §4.2.2).  SHA-1 is broken for signatures; here it only shows that the
 * server understood the protocol, which it still does well. */
#ifndef SHA1_H
#define SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_DIGEST_LEN 20

struct sha1 {
    uint32_t h[5];        /* the running hash value H0..H4 */
    uint8_t block[64];    /* the 512-bit block being filled */
    size_t block_len;
    uint64_t total_len;   /* message length in bytes so far */
};

void sha1_init(struct sha1 *s);
void sha1_update(struct sha1 *s, const void *data, size_t len);
void sha1_final(struct sha1 *s, uint8_t digest[SHA1_DIGEST_LEN]);

/* The three calls at once. */
void sha1(const void *data, size_t len, uint8_t digest[SHA1_DIGEST_LEN]);

#endif

/* rft.h - the wire format of the reliable file transfer (exercise 3).
 *
 * Every packet is one UDP datagram that starts with a 5-byte header:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     type      |        sequence number (big-endian) ...       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  ... (cont.)  |  payload (DATA only, 0 to 1024 bytes) ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *   'D' DATA  sender -> receiver   bytes seq*1024 .. seq*1024+len-1 of the file;
 *                                  every DATA but the last carries exactly 1024
 *   'F' FIN   sender -> receiver   the file has `seq` DATA packets in all
 *   'A' ACK   receiver -> sender   DATA number `seq` arrived; or, with `seq`
 *                                  equal to the FIN's count, the FIN did and
 *                                  the whole file is written
 */
#ifndef RFT_H
#define RFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RFT_HEADER 5
#define RFT_PAYLOAD 1024
#define RFT_MAX_PACKET (RFT_HEADER + RFT_PAYLOAD)
/* The receiver refuses files larger than this (65536 packets, 64 MiB), so
 * that a hostile sequence number cannot make it allocate without bound. */
#define RFT_MAX_PACKETS 65536u

enum rft_type { RFT_DATA = 'D', RFT_FIN = 'F', RFT_ACK = 'A' };

struct rft_packet {
    enum rft_type type;
    uint32_t seq;
    const unsigned char *payload; /* points into the datagram; DATA only */
    size_t len;
};

/* Writes a packet into buf (at least RFT_HEADER + len bytes); returns its size. */
size_t rft_encode(unsigned char *buf, enum rft_type type, uint32_t seq,
                  const void *payload, size_t len);

/* Parses a received datagram; false if it is not a well-formed packet. */
bool rft_decode(const unsigned char *buf, size_t size, struct rft_packet *out);

/* Milliseconds on the monotonic clock. */
long long rft_now_ms(void);

/* Sends one datagram on a connected socket, or to `to` if it is not NULL.
 * Returns 0, or -1 with errno set.  A datagram the kernel had no room for
 * (ENOBUFS, EAGAIN) counts as sent: it is simply lost, as on any network. */
struct sockaddr;
int rft_send(int sock, const void *buf, size_t len, const struct sockaddr *to,
             unsigned to_len);

/* Reads a whole file into memory; NULL with errno set on failure. */
unsigned char *rft_read_file(const char *path, size_t *len);

/* Writes len bytes to path, replacing it; -1 with errno set on failure. */
int rft_write_file(const char *path, const void *data, size_t len);

#endif

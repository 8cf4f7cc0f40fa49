/* icmp.h - ICMP echo messages for IPv4: the Internet checksum, building an
 * echo request, and reading whatever comes back (RFC 792, RFC 1071).
 *
 * Everything here works on bytes in a buffer and makes no system call, so
 * the same functions serve a raw socket (which hands over the IP header too)
 * and an ICMP datagram socket (which hands over the ICMP message alone).
 */
#ifndef ICMP_H
#define ICMP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    ICMP_TYPE_ECHO_REPLY = 0,
    ICMP_TYPE_UNREACHABLE = 3,
    ICMP_TYPE_ECHO_REQUEST = 8,
    ICMP_TYPE_TIME_EXCEEDED = 11,
};

#define ICMP_HEADER_LEN 8    /* type, code, checksum, identifier, sequence */
#define ICMP_STAMP_LEN 16    /* the send time at the start of the data */
#define IPV4_MIN_HEADER_LEN 20
#define ICMP_MAX_DATA 65507  /* 65535 - 20 (IPv4 header) - 8 (ICMP header) */

/* The Internet checksum of RFC 1071: the ones' complement of the ones'
 * complement sum of the data taken as 16-bit big-endian words (an odd last
 * byte is padded with a zero).  Returned in host byte order.  Over a message
 * whose checksum field is filled in correctly, the result is 0. */
uint16_t icmp_checksum(const void *data, size_t len);

/* Writes an echo request with DATALEN bytes of data into buf (room for
 * ICMP_HEADER_LEN + datalen bytes): the data is the bytes 0, 1, 2, ... with
 * the send time SENT_NS (nanoseconds on the monotonic clock) over its first
 * 16 bytes when they fit, and the checksum is filled in.  Returns the
 * message's length. */
size_t icmp_build_echo(uint8_t *buf, uint16_t id, uint16_t seq, size_t datalen,
                       int64_t sent_ns);

/* What a received ICMP message says, as far as a ping cares. */
struct icmp_message {
    uint8_t type, code;
    bool checksum_ok;
    int ttl;               /* from the IP header; -1 if there was none */
    size_t len;            /* the ICMP message's length, header included */
    uint16_t id, seq;      /* an echo's own, or for an error the echo it is about */
    bool has_stamp;        /* an echo reply whose data holds a send time */
    int64_t sent_ns;       /* that time */
    struct in_addr original_dst; /* for an error: where the echo was going */
    uint32_t next_hop_mtu; /* for "fragmentation needed" */
};

/* Reads one message as a socket delivered it: with its IPv4 header in front
 * (a raw socket; with_ip_header true) or without (a datagram socket).  Fills
 * in msg and returns 0 for an echo reply, or an unreachable or time-exceeded
 * error that quotes an echo request; returns -1 for anything else, including
 * a message too short to hold what its headers promise. */
int icmp_parse(const uint8_t *packet, size_t len, bool with_ip_header,
               struct icmp_message *msg);

/* Reads the fields every echo message has, whatever its type: type, code,
 * identifier, sequence and, when the data holds one, the send time.  The
 * checksum is not looked at.  ICMPv6 echo messages (RFC 4443, section 4)
 * have the same layout, so this serves them too.  Returns -1 if len is
 * shorter than the 8-byte header. */
int icmp_read_echo(const uint8_t *message, size_t len, struct icmp_message *msg);

/* The words iputils ping prints for an error, e.g. "Destination Host
 * Unreachable" or "Time to live exceeded", written into out (64 bytes). */
const char *icmp_error_text(uint8_t type, uint8_t code, uint32_t mtu, char *out,
                            size_t outlen);

#endif

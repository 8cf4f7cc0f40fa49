/* pingstats.h - a ping's bookkeeping: which replies came, their round-trip
 * times, and the summary, all printed as iputils ping prints them.
 *
 * Kept apart from the sockets so that the ICMPv6 ping of the exercises and
 * the chapter's IPv4 ping count and print in exactly the same way.
 */
#ifndef PINGSTATS_H
#define PINGSTATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct ping_stats {
    long transmitted;     /* requests sent, numbered 1, 2, ... (mod 65536) */
    long received;        /* distinct good replies */
    long duplicates;      /* replies to a sequence number already answered */
    long corrupted;       /* replies whose checksum was wrong */
    long errors;          /* ICMP errors about our requests */
    long timed;           /* replies that carried a send time */
    long long rtt_sum;    /* microseconds, over the timed replies */
    long long rtt_sum_sq; /* the sum of their squares */
    long rtt_min, rtt_max;
    int pipe;             /* most requests outstanding when a reply came */
    uint8_t answered[65536 / 8]; /* one bit per sequence number */
};

void ping_stats_init(struct ping_stats *stats);

/* Records a reply to sequence number SEQ, with its round-trip time in
 * microseconds if it had one (rtt_us < 0: none).  Returns true if it is a
 * duplicate: an answer to a request that was answered already. */
bool ping_stats_reply(struct ping_stats *stats, uint16_t seq, bool checksum_ok,
                      long rtt_us);

/* Records an ICMP error about the request with sequence number SEQ. */
void ping_stats_error(struct ping_stats *stats, uint16_t seq);

/* True if SEQ is a sequence number sent so far (the last 32768 of them). */
bool ping_stats_was_sent(const struct ping_stats *stats, uint16_t seq);

/* Writes a round-trip time the way a reply line shows it: "0.118",
 * "1.27", "12.3", "123" (milliseconds, three significant digits or more). */
void ping_format_rtt(long rtt_us, char *out, size_t outlen);

/* Prints the two summary lines (after "--- HOST ping statistics ---"):
 * counts, loss and time (elapsed_us, first to last request); then the rtt
 * line if any reply carried a time; an empty line instead when none. */
void ping_stats_print(FILE *out, const struct ping_stats *stats, long long elapsed_us);

/* ---- the clock and the command line, shared by the chapter's programs ---- */

/* Microseconds and nanoseconds on the monotonic clock, which never jumps when
 * someone sets the time of day: the only right clock for round trips. */
long long ping_now_us(void);
int64_t ping_now_ns(void);

/* Reads SECONDS as a decimal number ("1", "0.2") from min to max and returns
 * it in microseconds, or -1 if it is anything else. */
long long ping_parse_seconds(const char *text, double min, double max);

/* iputils' exit status: 0 if any reply came, 1 if none. */
int ping_stats_exit_status(const struct ping_stats *stats);

#endif

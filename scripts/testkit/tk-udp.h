/* tk-udp.h - the test kit's UDP sockets (testkit.h speaks TCP), for the tests
 * of chapter 02 and of any later chapter that talks UDP.
 *
 * Every function fails the test (through the kit) on an unexpected error, and
 * every wait has a deadline.
 */
#ifndef TK_UDP_H
#define TK_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A UDP socket bound to HOST on a port the kernel picks, with a receive
 * buffer large enough that a test's bursts are never dropped by the kernel. */
int udp_bound(const char *host);

/* A UDP socket connected to HOST PORT (numeric host). */
int udp_connected(const char *host, int port);

/* The port a socket is bound to. */
int udp_port(int fd);

/* Sends one datagram to HOST PORT, or on a connected socket (host NULL). */
void udp_send(int fd, const char *host, int port, const void *buf, size_t len);

/* Waits up to timeout_ms for one datagram; returns its length (copying at
 * most cap bytes), -1 if none came, or -2 if an ICMP error came back as
 * ECONNREFUSED (connected sockets only).  If from is not NULL, the sender's
 * port is stored there.  Fails the test on any other receive error. */
ssize_t udp_recv(int fd, void *buf, size_t cap, int timeout_ms, int *from_port);

/* When the last datagram received on fd reached the socket, in milliseconds
 * of the kernel's wall clock (Linux: SIOCGSTAMP).  Unlike the moment the test
 * got round to reading it, this does not shift when the machine is busy, so
 * gaps between datagrams can be measured closely.  For a socket made by
 * udp_bound() (or udp_connected()), which turns the stamps on before any
 * datagram arrives. */
long long udp_arrival_ms(int fd);

/* The kernel's wall clock now, in milliseconds: the clock of udp_arrival_ms(). */
long long udp_wall_clock_ms(void);

/* Sends back to the sender of the last datagram udp_recv() took on fd. */
void udp_reply(int fd, const void *buf, size_t len);

/* Sends one IPv4 datagram on loopback whose source port is from_port, to
 * port to_port, through a raw socket: the way to forge a sender (another
 * server, or the receiver itself).  Skips the test without CAP_NET_RAW. */
void udp_send_forged(int from_port, int to_port, const void *buf, size_t len);

/* A port number as text, in a buffer of the caller's. */
const char *port_text(int port, char out[16]);

#endif

/* tk-netns.h - network namespaces for tests that need more than loopback:
 * several "hosts" joined by veth pairs, routers between them, sysctls set in
 * one host only, and programs started inside a given host.  Linux-specific.
 *
 * Each namespace is made with "ip netns add" under a name no other test
 * uses, and deleted when the test ends, however it ends: passing, failing,
 * or stopped by the watchdog.  Without the privilege to make one (root, or
 * CAP_SYS_ADMIN and CAP_NET_ADMIN), or without the ip program, the test is
 * skipped (exit status 77), never passed.
 */
#ifndef TESTKIT_NETNS_H
#define TESTKIT_NETNS_H

#include "testkit.h"

/* Makes a new namespace with its loopback up; returns its name (kept by the
 * kit until the test ends). */
const char *tk_netns_new(void);

/* Runs "ip ARG..." (a NULL-terminated list) and fails the test unless it
 * exits 0. */
void tk_ip(const char *arg, ...) __attribute__((sentinel));

/* Joins namespaces a and b with a veth pair, gives each end an address with
 * its prefix ("10.6.0.1/24", "fd06::1/64") and brings both up.  IPv6
 * addresses skip duplicate address detection, so they work at once. */
void tk_netns_link(const char *a, const char *a_address, const char *b,
                   const char *b_address);

/* ip route add DESTINATION via GATEWAY, inside namespace ns. */
void tk_netns_route(const char *ns, const char *destination, const char *gateway);

/* Writes VALUE to /proc/sys/NAME as seen inside ns (a sysctl of that
 * namespace only), e.g. "net/ipv4/icmp_echo_ignore_all". */
void tk_netns_sysctl(const char *ns, const char *name, const char *value);

/* Moves the test itself into ns: sockets it opens from now on live there
 * (those it opened before stay where they were). */
void tk_netns_enter(const char *ns);

/* Starts a program inside ns (through "ip netns exec"), as tk_startv does. */
struct tk_proc *tk_netns_startv(const char *ns, const char *const argv[]);

/* Runs a program inside ns to completion, with no input, and returns it
 * finished with its output collected, as tk_run does. */
struct tk_proc *tk_netns_runv(const char *ns, int timeout_ms, const char *const argv[]);

/* The full path of a program found on PATH (or in /sbin, /usr/sbin), or NULL. */
const char *tk_find_tool(const char *name);

#endif

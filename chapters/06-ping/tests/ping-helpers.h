/* ping-helpers.h - what the tests of chapter 06 share: small networks of
 * namespaces, running a program in one, and reading ping's output. */
#ifndef PING_HELPERS_H
#define PING_HELPERS_H

#include "tk-netns.h"

#include <stdbool.h>
#include "testkit.h"

#define PING_WAIT_MS 20000

/* Two hosts on one link: client 10.6.0.1/24, peer 10.6.0.2/24. */
struct pair {
    const char *client, *peer;
};
struct pair make_pair(void);

/* client 10.6.1.2 -- 10.6.1.1 router 10.6.2.1 -- 10.6.2.2 far: the router
 * forwards, so "far" is two hops away from the client. */
struct routed {
    const char *client, *router, *far;
};
struct routed make_routed(void);

/* A chain: client, ROUTERS routers, far host.  Link i (1 to routers + 1)
 * is 10.6.i.0/24, with 10.6.i.1 on its left end and 10.6.i.2 on its right:
 * the client is 10.6.1.1, router i answers from 10.6.i.2 (its side facing
 * the client), and the far host is 10.6.(routers+1).2.  The last router
 * knows no default route, so an address beyond the chain is "network
 * unreachable" there.  No node rate-limits its ICMP errors. */
struct chain {
    const char *node[10]; /* [0] the client, [routers + 1] the far host */
    int routers;
};
struct chain make_chain(int routers);

/* A program's output, split into lines (without their newlines). */
struct lines {
    char *line[512];
    int count;
};
void split_lines(const char *text, struct lines *out);

/* Replaces what changes from run to run (times; the identifier never
 * shows) by "T", so that two runs, or two programs, can be compared. */
void mask_times(char *line);

/* Runs PROGRAM ARGS... (a NULL-terminated list) inside ns, to completion. */
struct tk_proc *run_in(const char *ns, const char *program, ...)
    __attribute__((sentinel));

/* Starts the scripted responder (tests/icmp-responder.c) in ns, after
 * turning off the kernel's own echo replies there; waits until it is ready. */
struct tk_proc *start_responder(const char *ns, const char *action, ...)
    __attribute__((sentinel));

/* ---- reading ping's output (icmp-ping and icmp-ping6 print alike) ---- */

struct lines output_of(const struct tk_proc *p);

/* The index of the "--- HOST ping statistics ---" line; fails without one. */
int summary_at(const struct lines *out, const char *host);

struct counts {
    long transmitted, received, duplicates, corrupted, errors;
};

/* Checks the counts line exactly (the loss as iputils computes it) and
 * returns the "time" it gives, in milliseconds. */
long check_counts(const struct lines *out, const char *host, struct counts c);

/* The time= of a reply line in microseconds, or -1; *exact is cleared when
 * the line rounded it. */
long rtt_of(const char *line, bool *exact);

/* Recomputes the rtt line (min, avg, max, mdev) from the reply lines. */
void check_rtt_line(const struct lines *out, const char *host);

/* Line i is exactly want. */
void assert_line(const struct lines *out, int i, const char *want);

/* Line i is "64 bytes from FROM: icmp_seq=SEQ ttl=TTL time=... ms" + TAIL. */
void assert_reply(const struct lines *out, int i, const char *from, int seq, int ttl,
                  const char *tail);

void assert_exit(const struct tk_proc *p, int status);

/* Two programs' output (ours, then iputils'), times masked, must be the same
 * line for line, and their exit statuses too. */
void assert_same_output(const struct tk_proc *ours, const struct tk_proc *theirs);

#endif

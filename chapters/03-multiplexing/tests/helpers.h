/* helpers.h - what chapter 03's tests need beyond the test kit: a crowd of
 * clients at once, and a look at a server process through /proc (memory,
 * descriptors, CPU time, children), all Linux-specific. */
#ifndef CH03_HELPERS_H
#define CH03_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Opens conns connections to 127.0.0.1:port, all kept open at once, then
 * on every one of them at the same time echoes messages messages (sizes
 * from 1 to max_size bytes, contents different on each connection) and
 * checks every byte.  Fails the test on any difference, early close or
 * timeout. */
void crowd_echo(int port, int conns, int messages, size_t max_size, int timeout_ms);

/* The same for one connection already open. */
void echo_check(int fd, const void *data, size_t len, int timeout_ms);

/* Receives up to len bytes until len have come, the stream ends (EOF or
 * reset) or timeout_ms pass.  Returns the count; *ended says the stream
 * ended.  Fewer than len bytes with *ended false: the time ran out.  Never
 * fails the test on a reset. */
size_t recv_until_end(int fd, void *buf, size_t len, int timeout_ms, bool *ended);

/* The resident memory (VmRSS) of a process, in KiB. */
long proc_rss_kib(pid_t pid);

/* How many descriptors a process has open. */
int proc_fd_count(pid_t pid);

/* CPU time (user + system, every thread) a process has used, in ms. */
long proc_cpu_ms(pid_t pid);

/* How many children a process has, and how many of them are zombies. */
int proc_children(pid_t pid, int *zombies);

/* Sets this process's soft limit on descriptors (children started later
 * inherit it).  Skips the test if the hard limit is lower than want. */
void set_fd_limit(long want);

/* As in the test kit, a failure inside a helper names the line of the test
 * that called it: each call first records its caller's file and line. */
void helpers_at(const char *file, int line);

#ifndef HELPERS_INTERNAL
#define HELPERS_SITE(call) (helpers_at(__FILE__, __LINE__), call)
#define crowd_echo(...) HELPERS_SITE(crowd_echo(__VA_ARGS__))
#define echo_check(...) HELPERS_SITE(echo_check(__VA_ARGS__))
#define recv_until_end(...) HELPERS_SITE(recv_until_end(__VA_ARGS__))
#define proc_rss_kib(...) HELPERS_SITE(proc_rss_kib(__VA_ARGS__))
#define proc_fd_count(...) HELPERS_SITE(proc_fd_count(__VA_ARGS__))
#define proc_cpu_ms(...) HELPERS_SITE(proc_cpu_ms(__VA_ARGS__))
#define proc_children(...) HELPERS_SITE(proc_children(__VA_ARGS__))
#define set_fd_limit(...) HELPERS_SITE(set_fd_limit(__VA_ARGS__))
#endif

#endif

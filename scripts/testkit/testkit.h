/* testkit.h - the course's own small kit for black-box tests.
 *
 * A test is a program that starts the programs under test, talks to them over
 * sockets and pipes, and checks what comes back.  One test program holds
 * several cases; CTest runs each case as its own test:
 *
 *     test-echo CASE NAME=PATH...
 *
 * where each NAME=PATH tells the case where a program under test was built
 * (tk_program("echo-server") returns the PATH given for echo-server).
 *
 * Every wait has a deadline.  A failed check prints one line
 *
 *     FAIL file.c:123: what was expected, and what happened
 *
 * on stderr and ends the test with status 1; whatever the test started is
 * killed and reaped, and its temporary directory removed, on every way out,
 * including the watchdog that fires if the whole case runs too long.
 */
#ifndef TESTKIT_H
#define TESTKIT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>

/* ---- cases and the command line ---------------------------------------- */

struct tk_case {
    const char *name;
    void (*run)(void);
};

/* Runs the case named by argv[1] from a table ending in {NULL, NULL}. */
int tk_main(int argc, char **argv, const struct tk_case *cases);

/* The path given on the command line as NAME=PATH; fails the test if none. */
const char *tk_program(const char *name);

/* ---- checks --------------------------------------------------------------- */

void tk_fail_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

/* Ends the test as skipped (exit status 77, which CTest reports as skipped). */
void tk_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define TK_FAIL(...) tk_fail_at(__FILE__, __LINE__, __VA_ARGS__)

#define TK_ASSERT(cond, ...)                                                   \
    do {                                                                       \
        if (!(cond))                                                           \
            tk_fail_at(__FILE__, __LINE__, __VA_ARGS__);                       \
    } while (0)

#define TK_ASSERT_INT_EQ(actual, expected, what)                               \
    do {                                                                       \
        long long tk_a_ = (long long)(actual), tk_e_ = (long long)(expected);  \
        if (tk_a_ != tk_e_)                                                    \
            tk_fail_at(__FILE__, __LINE__, "%s: expected %lld, got %lld",      \
                       (what), tk_e_, tk_a_);                                  \
    } while (0)

/* Compares two byte buffers and names the first offset where they differ. */
#define TK_ASSERT_BYTES_EQ(actual, actual_len, expected, expected_len, what)   \
    tk_assert_bytes_eq(__FILE__, __LINE__, (actual), (actual_len),             \
                       (expected), (expected_len), (what))

/* Checks that text (NUL-terminated) is exactly expected.  Each argument is
 * evaluated once, so tk_read_line() may be passed directly. */
#define TK_ASSERT_STR_EQ(actual, expected, what)                               \
    do {                                                                       \
        const char *tk_as_ = (actual), *tk_es_ = (expected);                   \
        tk_assert_bytes_eq(__FILE__, __LINE__, tk_as_, strlen(tk_as_), tk_es_, \
                           strlen(tk_es_), (what));                            \
    } while (0)

void tk_assert_bytes_eq(const char *file, int line, const void *actual,
                        size_t actual_len, const void *expected,
                        size_t expected_len, const char *what);

/* ---- processes ------------------------------------------------------------ */

/* A program the test started.  Its stdin, stdout and stderr are pipes. */
struct tk_proc {
    pid_t pid;
    int in;          /* write end of its stdin; -1 once closed */
    int out;         /* read end of its stdout */
    int err;         /* read end of its stderr */
    char *out_text;  /* what tk_read_line and tk_wait have collected */
    size_t out_len;
    size_t out_used; /* how much of out_text tk_read_line has handed out */
    char *err_text;
    size_t err_len;
    bool running;
    int status;      /* wait status, valid once !running */
    int port;        /* from its "listening on" line, see tk_start_server */
    char address[96]; /* the ADDR:PORT part of that line */
};

/* Starts PATH with the given arguments (a NULL-terminated list). */
struct tk_proc *tk_start(const char *path, ...) __attribute__((sentinel));
struct tk_proc *tk_startv(const char *const argv[]);

/* Starts a server and waits for the "listening on ADDR:PORT" line, which must
 * be its first line of stdout; fills in ->port and ->address. */
struct tk_proc *tk_start_server(const char *path, ...) __attribute__((sentinel));

/* Reads one line of the process's stdout (without the newline) into a buffer
 * the kit owns until the next call.  Returns NULL at end of file. */
const char *tk_read_line(struct tk_proc *p, int timeout_ms);

/* Sends a signal and waits for the process to exit; returns its wait status. */
int tk_stop(struct tk_proc *p, int signo, int timeout_ms);

/* Closes its stdin and waits for it to exit, collecting all of its output;
 * returns the wait status.  Fails the test if it outlives the timeout. */
int tk_wait(struct tk_proc *p, int timeout_ms);

/* Writes to its stdin, and closes its stdin (the program then reads EOF).
 * tk_wait and tk_stop close stdin too. */
void tk_write_stdin(struct tk_proc *p, const void *buf, size_t len);
void tk_close_stdin(struct tk_proc *p);

/* True if it is still running after waiting for up to timeout_ms. */
bool tk_still_running(struct tk_proc *p, int timeout_ms);

/* Runs a program to completion: feeds it input on stdin (NULL for none),
 * collects stdout and stderr, and returns the finished process. */
struct tk_proc *tk_run(const void *input, size_t input_len, int timeout_ms,
                       const char *path, ...) __attribute__((sentinel));

/* The exit status of a finished process; fails if it was killed by a signal. */
int tk_exit_code(const struct tk_proc *p);

/* Checks the course's error convention: stderr is exactly one line that
 * starts with "PROGRAM: " and contains every one of the given fragments
 * (a NULL-terminated list). */
void tk_assert_one_error_line(const struct tk_proc *p, const char *program, ...)
    __attribute__((sentinel));

/* The command-line habits every program of the course shares: PATH --help
 * prints a usage text beginning "usage: " on stdout, nothing on stderr, and
 * exits 0; a wrong command line (p, already finished) exits 2 with the usage
 * on stderr and nothing on stdout. */
void tk_assert_help(const char *path);
void tk_assert_usage_error(const struct tk_proc *p);

/* ---- sockets -------------------------------------------------------------- */

/* Connects a TCP socket to HOST and PORT (blocking, on loopback); fails the
 * test if the connection is refused. */
int tk_connect(const char *host, int port);

/* The same, but returns -1 with errno set instead of failing. */
int tk_try_connect(const char *host, int port);

/* A listening TCP socket of the test's own on HOST, port chosen by the
 * kernel; its port is stored in *port. */
int tk_listen(const char *host, int *port);

/* A TCP socket bound to HOST on a port the kernel picks, and not listening:
 * a connection to that port is refused, and nobody else can take the port
 * while the socket is open.  Its port is stored in *port. */
int tk_refusing_port(const char *host, int *port);

/* A listening socket on HOST whose queue the kit has filled, so that the
 * kernel drops further SYNs: a connect() to its port stays in progress until
 * the connector gives up, as with a host that does not answer.  The port is
 * stored in *port.  Skips the test where the queue cannot be filled.  The
 * connections that fill it stay open until the test ends. */
int tk_unanswering_port(const char *host, int *port);

/* True if ::1 can be bound here (some containers have no IPv6 at all). */
bool tk_have_ipv6_loopback(void);

/* Moves the test, and every program it starts from now on, into a network
 * namespace of its own with only the loopback interface, up.  Sysctls of
 * net.* changed there affect nobody else.  Needs CAP_SYS_ADMIN: without it
 * the test is skipped.  Linux-specific. */
void tk_enter_private_network(void);

/* Writes a value into a file under /proc/sys, e.g. "net/ipv6/bindv6only". */
void tk_write_sysctl(const char *name, const char *value);

/* accept() with a deadline; fails the test if nobody connects in time. */
int tk_accept(int listener, int timeout_ms);

/* Sends every byte, or fails the test if the peer does not take them within
 * the timeout. */
void tk_send(int fd, const void *buf, size_t len, int timeout_ms);

/* Receives until len bytes have come or the peer closes; fails the test if
 * neither happens within the timeout.  Returns the number received. */
size_t tk_recv(int fd, void *buf, size_t len, int timeout_ms);

/* Waits for the peer's close (recv() == 0), failing if data or nothing comes.
 * Returns true on a clean end of stream, false on a reset. */
bool tk_recv_eof(int fd, int timeout_ms);

/* True if some data (or EOF) is ready to read within timeout_ms. */
bool tk_readable(int fd, int timeout_ms);

/* Sends len bytes while receiving the same number back, at the same time, so
 * neither side's buffers fill and deadlock.  Returns bytes received (less
 * than len if the peer closed early) into reply. */
size_t tk_exchange(int fd, const void *data, size_t len, void *reply,
                   int timeout_ms);

/* Closes with SO_LINGER set to zero, so the kernel sends a RST, not a FIN. */
void tk_reset(int fd);

/* CPU time (user + system, every thread) a process has used so far, in ms
 * (Linux: /proc/PID/stat). */
long tk_cpu_ms(pid_t pid);

/* ---- odds and ends -------------------------------------------------------- */

/* A fresh private directory, removed with everything in it when the test ends. */
const char *tk_tmpdir(void);

/* Fills buf with bytes from a fixed pseudo-random sequence (same every run). */
void tk_fill_pattern(void *buf, size_t len, unsigned seed);

/* Milliseconds on the monotonic clock, and a pause of some. */
long long tk_now_ms(void);
void tk_sleep_ms(int ms);

/* malloc that fails the test instead of returning NULL. */
void *tk_alloc(size_t len);

/* ---- where a failure happened --------------------------------------------- */

/* Each call into the kit first records the test's own file and line, so that
 * a check that fails inside the kit still names the line of the test that
 * made the call.  (A macro does not expand inside its own expansion, so each
 * one below calls the function of the same name.) */
void tk_at(const char *file, int line);

#ifndef TESTKIT_INTERNAL
#define TK_SITE(call) (tk_at(__FILE__, __LINE__), call)
#define tk_program(...) TK_SITE(tk_program(__VA_ARGS__))
#define tk_start(...) TK_SITE(tk_start(__VA_ARGS__))
#define tk_startv(...) TK_SITE(tk_startv(__VA_ARGS__))
#define tk_start_server(...) TK_SITE(tk_start_server(__VA_ARGS__))
#define tk_read_line(...) TK_SITE(tk_read_line(__VA_ARGS__))
#define tk_stop(...) TK_SITE(tk_stop(__VA_ARGS__))
#define tk_wait(...) TK_SITE(tk_wait(__VA_ARGS__))
#define tk_write_stdin(...) TK_SITE(tk_write_stdin(__VA_ARGS__))
#define tk_close_stdin(...) TK_SITE(tk_close_stdin(__VA_ARGS__))
#define tk_still_running(...) TK_SITE(tk_still_running(__VA_ARGS__))
#define tk_run(...) TK_SITE(tk_run(__VA_ARGS__))
#define tk_exit_code(...) TK_SITE(tk_exit_code(__VA_ARGS__))
#define tk_assert_one_error_line(...) TK_SITE(tk_assert_one_error_line(__VA_ARGS__))
#define tk_assert_help(...) TK_SITE(tk_assert_help(__VA_ARGS__))
#define tk_assert_usage_error(...) TK_SITE(tk_assert_usage_error(__VA_ARGS__))
#define tk_connect(...) TK_SITE(tk_connect(__VA_ARGS__))
#define tk_try_connect(...) TK_SITE(tk_try_connect(__VA_ARGS__))
#define tk_listen(...) TK_SITE(tk_listen(__VA_ARGS__))
#define tk_refusing_port(...) TK_SITE(tk_refusing_port(__VA_ARGS__))
#define tk_unanswering_port(...) TK_SITE(tk_unanswering_port(__VA_ARGS__))
#define tk_accept(...) TK_SITE(tk_accept(__VA_ARGS__))
#define tk_send(...) TK_SITE(tk_send(__VA_ARGS__))
#define tk_recv(...) TK_SITE(tk_recv(__VA_ARGS__))
#define tk_recv_eof(...) TK_SITE(tk_recv_eof(__VA_ARGS__))
#define tk_readable(...) TK_SITE(tk_readable(__VA_ARGS__))
#define tk_exchange(...) TK_SITE(tk_exchange(__VA_ARGS__))
#define tk_reset(...) TK_SITE(tk_reset(__VA_ARGS__))
#define tk_tmpdir(...) TK_SITE(tk_tmpdir(__VA_ARGS__))
#define tk_cpu_ms(...) TK_SITE(tk_cpu_ms(__VA_ARGS__))
#define tk_alloc(...) TK_SITE(tk_alloc(__VA_ARGS__))
#define tk_enter_private_network(...) TK_SITE(tk_enter_private_network(__VA_ARGS__))
#define tk_write_sysctl(...) TK_SITE(tk_write_sysctl(__VA_ARGS__))
#endif

#endif

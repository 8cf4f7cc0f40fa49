/* net.c - the course's small socket helper layer (see net.h). */
#include "net.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Fills err with "what failed: reason", the course's error convention. */
static void set_error(char *err, const char *reason, const char *what_fmt, ...)
{
    va_list ap;

    va_start(ap, what_fmt);
    int n = vsnprintf(err, NET_ERR_LEN, what_fmt, ap);
    va_end(ap);
    if (n >= 0 && n < NET_ERR_LEN)
        snprintf(err + n, NET_ERR_LEN - (size_t)n, ": %s", reason);
}

/* True unless PORT is a number from 0 to 65535 or a service name such as
 * "http" (letters, digits and dashes, starting with a letter).  glibc's
 * getaddrinfo() is more lenient: it takes "" as port 0, " 80" as port 80,
 * and keeps only the low 16 bits of "99999". */
static bool not_a_port(const char *port)
{
    size_t digits = strspn(port, "0123456789");
    if (digits > 0)
        return port[digits] != '\0' || digits > 5 || strtoul(port, NULL, 10) > 65535;
    /* A service name: a letter, then letters, digits and dashes. */
    size_t name = strspn(port, "abcdefghijklmnopqrstuvwxyz"
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
    return !isalpha((unsigned char)port[0]) || port[name] != '\0';
}

/* getaddrinfo() turns a host and a port, given as text, into a list of
 * socket addresses: one per address family and address the name has.
 * Passing AF_UNSPEC is what makes every program work with IPv4 and IPv6. */
static struct addrinfo *resolve(const char *host, const char *port,
                                int socktype, int flags, char *err)
{
    struct addrinfo hints = {0};
    struct addrinfo *list = NULL;

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = socktype;
    hints.ai_flags = flags;
    if (not_a_port(port)) {
        set_error(err, "not a port number (0 to 65535) or service name", "resolving %s port %s",
                  host, port);
        return NULL;
    }
    int rc = getaddrinfo(host, port, &hints, &list);
    if (rc != 0) {
        /* EAI_SYSTEM means the real reason is in errno. */
        set_error(err, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc),
                  "resolving %s port %s", host, port);
        return NULL;
    }
    return list;
}

/* socket() + SO_REUSEADDR + bind() + listen() for one candidate address.
 * SO_REUSEADDR lets a restarted server bind its port while connections of
 * the previous run still sit in TIME_WAIT (see the lesson). */
static int listen_on(const struct addrinfo *ai, char *err)
{
    char where[NET_ADDR_LEN];
    int one = 1;

    net_format_address(ai->ai_addr, where, sizeof where);
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) {
        set_error(err, strerror(errno), "creating a socket for %s", where);
        return -1;
    }
    if (ai->ai_socktype == SOCK_STREAM &&
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) {
        set_error(err, strerror(errno), "setting SO_REUSEADDR on %s", where);
        close(fd);
        return -1;
    }
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        set_error(err, strerror(errno), "binding %s", where);
        close(fd);
        return -1;
    }
    if (ai->ai_socktype == SOCK_STREAM && listen(fd, SOMAXCONN) < 0) {
        set_error(err, strerror(errno), "listening on %s", where);
        close(fd);
        return -1;
    }
    return fd;
}

int net_listen(const char *host, const char *port, int socktype, char *err)
{
    /* AI_PASSIVE matters only when host is NULL: the list then holds the
     * wildcard addresses (0.0.0.0 and ::) instead of the loopback ones.  The
     * course's servers always name a host, so here it only says what the
     * addresses are for: bind(). */
    struct addrinfo *list = resolve(host, port, socktype, AI_PASSIVE, err);
    if (list == NULL)
        return -1;

    int fd = -1;
    for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next)
        fd = listen_on(ai, err);
    freeaddrinfo(list);
    return fd;
}

/* socket() + connect() for one candidate address.  connect() may be
 * interrupted by a signal; the connection then goes on being set up in the
 * background, so the retry cannot simply call connect() again.  None of the
 * course's clients catch signals, so EINTR is reported like any error. */
static int connect_to(const struct addrinfo *ai, char *err)
{
    char where[NET_ADDR_LEN];

    net_format_address(ai->ai_addr, where, sizeof where);
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) {
        set_error(err, strerror(errno), "creating a socket for %s", where);
        return -1;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        set_error(err, strerror(errno), "connecting to %s", where);
        close(fd);
        return -1;
    }
    return fd;
}

int net_connect(const char *host, const char *port, int socktype, char *err)
{
    struct addrinfo *list = resolve(host, port, socktype, 0, err);
    if (list == NULL)
        return -1;

    /* A name such as "localhost" may have an IPv6 and an IPv4 address; try
     * each in the order getaddrinfo() prefers until one answers. */
    int fd = -1;
    for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next)
        fd = connect_to(ai, err);
    freeaddrinfo(list);
    return fd;
}

/* Waits until fd is writable or the deadline (in net_now_ms() time) has
 * passed; true if writable. */
static bool writable_before(int fd, long long deadline)
{
    for (;;) {
        long long left = deadline - net_now_ms();
        if (left <= 0)
            return false;
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (n > 0)
            return true;
        if (n < 0 && errno != EINTR)
            return false;
    }
}

/* connect() for one candidate address, bounded by the deadline.  The
 * socket is nonblocking while it connects: connect() then returns at once
 * with EINPROGRESS, the socket turns writable when the handshake is over,
 * and SO_ERROR tells how it went.  It is put back in blocking mode after. */
int net_connect_address(const struct addrinfo *ai, long long deadline, char *err)
{
    char where[NET_ADDR_LEN];

    net_format_address(ai->ai_addr, where, sizeof where);
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        set_error(err, strerror(errno), "creating a socket for %s", where);
        return -1;
    }
    int flags = fcntl(fd, F_GETFL);
    int error = 0;
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        error = errno;
    } else if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS && errno != EINTR) {
            error = errno;
        } else if (!writable_before(fd, deadline)) {
            error = ETIMEDOUT;
        } else {
            socklen_t len = sizeof error;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
                error = errno;
        }
    }
    if (error == 0 && fcntl(fd, F_SETFL, flags) < 0)
        error = errno;
    if (error != 0) {
        set_error(err, strerror(error), "connecting to %s", where);
        close(fd);
        errno = error;
        return -1;
    }
    return fd;
}

int net_connect_timeout(const char *host, const char *port, int socktype, long timeout_ms,
                        char *err)
{
    if (timeout_ms <= 0)
        return net_connect(host, port, socktype, err);
    long long deadline = net_now_ms() + timeout_ms;
    struct addrinfo *list = resolve(host, port, socktype, 0, err);
    if (list == NULL)
        return -1;
    int fd = -1;
    int error = 0;
    for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = net_connect_address(ai, deadline, err);
        if (fd < 0)
            error = errno;
        if (fd < 0 && error == ETIMEDOUT)
            break; /* the time is up for the other addresses too */
    }
    freeaddrinfo(list);
    if (fd < 0)
        errno = error;
    return fd;
}

char *net_format_address(const struct sockaddr *addr, char *out, size_t outlen)
{
    char ip[INET6_ADDRSTRLEN];

    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *in4 = (const struct sockaddr_in *)addr;
        inet_ntop(AF_INET, &in4->sin_addr, ip, sizeof ip);
        /* Ports travel in network byte order (big-endian); ntohs() turns
         * one into the host's order before it is printed. */
        snprintf(out, outlen, "%s:%u", ip, (unsigned)ntohs(in4->sin_port));
    } else if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        snprintf(out, outlen, "[%s]:%u", ip, (unsigned)ntohs(in6->sin6_port));
    } else {
        snprintf(out, outlen, "(address family %d)", (int)addr->sa_family);
    }
    return out;
}

int net_local_address(int fd, char *out, size_t outlen)
{
    /* sockaddr_storage is big enough for an address of any family. */
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;

    if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
        return -1;
    net_format_address((struct sockaddr *)&addr, out, outlen);
    return 0;
}

int net_peer_address(int fd, char *out, size_t outlen)
{
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;

    if (getpeername(fd, (struct sockaddr *)&addr, &len) < 0)
        return -1;
    net_format_address((struct sockaddr *)&addr, out, outlen);
    return 0;
}

int net_announce_listening(int fd)
{
    char where[NET_ADDR_LEN];

    /* After bind() to port 0, only getsockname() knows the real port. */
    if (net_local_address(fd, where, sizeof where) < 0)
        return -1;
    printf("listening on %s\n", where);
    return fflush(stdout) == 0 ? 0 : -1;
}

int net_listen_or_exit(const char *program, const char *host, const char *port,
                       int socktype)
{
    char err[NET_ERR_LEN];

    int fd = net_listen(host, port, socktype, err);
    if (fd < 0) {
        fprintf(stderr, "%s: %s\n", program, err);
        exit(1);
    }
    if (net_announce_listening(fd) < 0) {
        fprintf(stderr, "%s: announcing the address: %s\n", program, strerror(errno));
        exit(1);
    }
    return fd;
}

int net_set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* The descriptor kept in reserve for net_accept(), -1 while none is open. */
static int spare_fd = -1;

static void open_spare(void)
{
    if (spare_fd < 0)
        spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static int accept_once(int listener)
{
    int fd;
    do
        fd = accept(listener, NULL, NULL);
    while (fd < 0 && errno == EINTR);
    return fd;
}

/* True if a connection is waiting on the listener, or arrives within
 * timeout_ms (-1: no limit). */
static bool connection_waiting(int listener, int timeout_ms)
{
    struct pollfd p = {.fd = listener, .events = POLLIN};
    int n;
    do
        n = poll(&p, 1, timeout_ms);
    while (n < 0 && errno == EINTR);
    return n > 0 && (p.revents & POLLIN);
}

static bool is_blocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags >= 0 && !(flags & O_NONBLOCK);
}

/* Out of descriptors: the connection at the head of the queue stays there,
 * and the listener stays readable, so a loop that only retried would spin
 * at full speed doing nothing.  Take it and let it go instead.
 *
 * Linux checks for a free descriptor before it looks at the queue, so
 * accept() fails with EMFILE even when nobody is waiting.  Then there is
 * nobody to shed: a nonblocking caller waits for readiness as usual, and
 * a blocking one is made to wait here until a client comes (as accept()
 * would have), instead of spinning.  A blocking accept() must not be
 * called with the reserve given up: it would wait for the next client and
 * shed that one, who may come when there is room again. */
static void shed_one_connection(int listener)
{
    if (spare_fd < 0) {
        /* No reserve to give up: wait a little rather than spin. */
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
        open_spare();
        return;
    }
    bool waiting = connection_waiting(listener, 0);
    if (waiting) {
        close(spare_fd);
        spare_fd = -1;
        int fd = accept_once(listener);
        if (fd >= 0)
            close(fd);
        open_spare();
    } else if (is_blocking(listener)) {
        connection_waiting(listener, -1);
    }
}

int net_accept(int listener, int nonblocking)
{
    open_spare();
    int fd = accept_once(listener);
    if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE) {
            shed_one_connection(listener);
            errno = EMFILE;
        }
        return -1;
    }
    /* Every server here sends each reply as soon as it has it, whole.
     * Nagle's algorithm would hold back a small last piece until the
     * previous one is acknowledged, and the receiver delays that
     * acknowledgement: 40 ms lost on every large message. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (nonblocking && net_set_nonblocking(fd) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

ssize_t net_send_all(int fd, const void *buf, size_t len)
{
    const char *next = buf;
    size_t left = len;

    while (left > 0) {
        /* send() may take fewer bytes than asked when the socket's send
         * buffer is nearly full; the rest must be sent again.  MSG_NOSIGNAL
         * turns the SIGPIPE of a vanished peer into an EPIPE error. */
        ssize_t n = send(fd, next, left, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        next += n;
        left -= (size_t)n;
    }
    return (ssize_t)len;
}

ssize_t net_recv_exact(int fd, void *buf, size_t len)
{
    char *next = buf;
    size_t got = 0;

    while (got < len) {
        /* recv() returns whatever has arrived, which may be less than
         * asked: TCP is a byte stream and keeps no message boundaries. */
        ssize_t n = recv(fd, next + got, len - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            break; /* the peer closed its side: no more bytes will come */
        got += (size_t)n;
    }
    return (ssize_t)got;
}

long long net_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long net_parse_number(const char *text, long min, long max)
{
    char *end;

    if (text[0] < '0' || text[0] > '9')
        return -1; /* strtol() would also take " 7", "+7" and "-7" */
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < min || value > max)
        return -1;
    return value;
}

void net_parse_server_args(int argc, char **argv, const char *usage_text,
                           const char **host, const char **port)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(usage_text, stdout);
        exit(0);
    }
    if (argc < 2 || argc > 3 || argv[1][0] == '-') {
        fputs(usage_text, stderr);
        exit(2);
    }
    *host = argc == 3 ? argv[1] : "127.0.0.1";
    *port = argv[argc - 1];
}

/* sigaction() fails only for an invalid signal number or handler, which
 * these are not, so its result is not checked here and below. */
void net_ignore_sigpipe(void)
{
    struct sigaction ignore = {0};

    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, NULL);
}

/* A blocking server spends its life inside accept() or recv(), and a flag set
 * by the handler would only be looked at after the call returns.  Ending the
 * process from the handler itself has no such gap, and it is clean: the kernel
 * closes every socket of a process that exits.  _exit() is async-signal-safe;
 * exit() is not, because it runs stdio clean-up.  Chapter 03's event loop
 * handles signals as events instead. */
static void exit_now(int signo)
{
    (void)signo;
    _exit(0);
}

void net_exit_on_stop_signals(void)
{
    struct sigaction stop = {0};

    net_ignore_sigpipe();

    stop.sa_handler = exit_now;
    sigemptyset(&stop.sa_mask);
    sigaction(SIGINT, &stop, NULL);
    sigaction(SIGTERM, &stop, NULL);
}

/* ---- host names without a port (chapter 06) ------------------------------ */

/* ICMP has no ports, so only the host is resolved.  SOCK_DGRAM in the hints
 * only keeps getaddrinfo() from listing each address once per socket type. */
int net_resolve_host(const char *host, int family, struct sockaddr_storage *out,
                     socklen_t *outlen, char *err)
{
    struct addrinfo hints = {0};
    struct addrinfo *found;

    hints.ai_family = family;
    hints.ai_socktype = SOCK_DGRAM;
    int rc = getaddrinfo(host, NULL, &hints, &found);
    if (rc != 0) {
        set_error(err, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc), "%s", host);
        return -1;
    }
    memcpy(out, found->ai_addr, found->ai_addrlen);
    *outlen = found->ai_addrlen;
    freeaddrinfo(found);
    return 0;
}

/* tk-netns.c - network namespaces for tests (see tk-netns.h). */
#define _GNU_SOURCE /* setns() */
#include "tk-netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_NAMESPACES 16
#define MAX_ARGS 64

static char names[MAX_NAMESPACES][32];
static int name_count;
static struct sigaction kit_watchdog; /* the test kit's SIGALRM handler */

/* What "ip netns delete" does: a named namespace is a bind mount of the
 * namespace on a file in /run/netns; detaching and removing it lets the
 * namespace go once no process lives in it (the kit kills them all).  Both
 * calls are async-signal-safe, so the watchdog can make them too. */
static void delete_namespaces(void)
{
    char path[64];
    for (int i = name_count - 1; i >= 0; i--) {
        memcpy(path, "/run/netns/", 11);
        memcpy(path + 11, names[i], sizeof names[i]);
        umount2(path, MNT_DETACH);
        unlink(path);
    }
    name_count = 0;
}

/* The watchdog: the kit's own handler kills the test's processes and ends
 * the test with _exit(), which skips atexit(); so delete first. */
static void watchdog_then_delete(int signo)
{
    delete_namespaces();
    if (kit_watchdog.sa_handler != SIG_DFL && kit_watchdog.sa_handler != SIG_IGN)
        kit_watchdog.sa_handler(signo);
    _exit(1);
}

const char *tk_find_tool(const char *name)
{
    static char found[512];
    const char *path = getenv("PATH");
    char dirs[1024];

    snprintf(dirs, sizeof dirs, "%s:/sbin:/usr/sbin:/bin:/usr/bin", path ? path : "");
    for (char *save, *dir = strtok_r(dirs, ":", &save); dir != NULL;
         dir = strtok_r(NULL, ":", &save)) {
        snprintf(found, sizeof found, "%s/%s", dir, name);
        if (access(found, X_OK) == 0)
            return found;
    }
    return NULL;
}

/* Runs argv to completion, its stdout discarded and its stderr on the test's
 * stderr unless silent; returns its exit status, or -1 if it could not run. */
static int run_quietly(const char *const argv[], bool silent)
{
    pid_t pid = fork();
    if (pid < 0)
        tk_fail_at(__FILE__, __LINE__, "fork: %s", strerror(errno));
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, STDOUT_FILENO);
        if (null >= 0 && silent)
            dup2(null, STDERR_FILENO);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char *ip_path(void)
{
    static char path[512];
    if (path[0] == '\0') {
        const char *found = tk_find_tool("ip");
        if (found == NULL)
            tk_skip("the ip program (package iproute2) is not installed");
        snprintf(path, sizeof path, "%s", found);
    }
    return path;
}

static void run_ip(const char *const args[], int count)
{
    const char *argv[MAX_ARGS + 2] = {ip_path()};
    char shown[1024] = "ip";
    for (int i = 0; i < count && i < MAX_ARGS; i++) {
        argv[i + 1] = args[i];
        strncat(shown, " ", sizeof shown - strlen(shown) - 1);
        strncat(shown, args[i], sizeof shown - strlen(shown) - 1);
    }
    int status = run_quietly(argv, false);
    if (status != 0)
        tk_fail_at(__FILE__, __LINE__, "'%s' failed (status %d)", shown, status);
}

void tk_ip(const char *arg, ...)
{
    const char *args[MAX_ARGS];
    int count = 0;
    va_list ap;

    va_start(ap, arg);
    for (const char *a = arg; a != NULL && count < MAX_ARGS; a = va_arg(ap, const char *))
        args[count++] = a;
    va_end(ap);
    run_ip(args, count);
}

const char *tk_netns_new(void)
{
    if (name_count == MAX_NAMESPACES)
        tk_fail_at(__FILE__, __LINE__, "more than %d namespaces", MAX_NAMESPACES);
    if (name_count == 0) {
        /* Clean-up on every way out, registered before the first one exists. */
        static bool hooked;
        if (!hooked) {
            struct sigaction ours = {0};
            sigaction(SIGALRM, NULL, &kit_watchdog);
            ours.sa_handler = watchdog_then_delete;
            sigemptyset(&ours.sa_mask);
            sigaction(SIGALRM, &ours, NULL);
            atexit(delete_namespaces);
            hooked = true;
        }
    }
    char *name = names[name_count];
    snprintf(name, sizeof names[0], "tk-%d-%d", (int)getpid(), name_count);
    const char *argv[] = {ip_path(), "netns", "add", name, NULL};
    if (run_quietly(argv, true) != 0) /* the skip says why, not ip */
        tk_skip("cannot make a network namespace (needs root or CAP_SYS_ADMIN)");
    name_count++;
    tk_ip("-n", name, "link", "set", "lo", "up", NULL);
    return name;
}

void tk_netns_link(const char *a, const char *a_address, const char *b,
                   const char *b_address)
{
    static int links;
    char a_if[16], b_if[16];

    /* Each end is made inside its namespace, so the names cannot clash
     * with another test's. */
    snprintf(a_if, sizeof a_if, "veth%da", links);
    snprintf(b_if, sizeof b_if, "veth%db", links);
    links++;
    tk_ip("link", "add", a_if, "netns", a, "type", "veth", "peer", "name", b_if,
          "netns", b, NULL);
    const char *nodad = strchr(a_address, ':') != NULL ? "nodad" : NULL;
    tk_ip("-n", a, "addr", "add", a_address, "dev", a_if, nodad, NULL);
    tk_ip("-n", b, "addr", "add", b_address, "dev", b_if, nodad, NULL);
    tk_ip("-n", a, "link", "set", a_if, "up", NULL);
    tk_ip("-n", b, "link", "set", b_if, "up", NULL);
}

void tk_netns_route(const char *ns, const char *destination, const char *gateway)
{
    tk_ip("-n", ns, "route", "add", destination, "via", gateway, NULL);
}

void tk_netns_sysctl(const char *ns, const char *name, const char *value)
{
    /* /proc/sys/net shows the namespace of whoever opens it: a child joins
     * ns and writes there, leaving the test where it is. */
    pid_t pid = fork();
    if (pid < 0)
        tk_fail_at(__FILE__, __LINE__, "fork: %s", strerror(errno));
    if (pid == 0) {
        char path[256];
        snprintf(path, sizeof path, "/run/netns/%s", ns);
        int fd = open(path, O_RDONLY);
        if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
            _exit(1);
        snprintf(path, sizeof path, "/proc/sys/%s", name);
        FILE *f = fopen(path, "w");
        _exit(f != NULL && fputs(value, f) >= 0 && fclose(f) == 0 ? 0 : 2);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            tk_fail_at(__FILE__, __LINE__, "waitpid: %s", strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        tk_fail_at(__FILE__, __LINE__, "cannot set %s to %s in %s", name, value, ns);
}

void tk_netns_enter(const char *ns)
{
    char path[256];
    snprintf(path, sizeof path, "/run/netns/%s", ns);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
        tk_fail_at(__FILE__, __LINE__, "entering %s: %s", ns, strerror(errno));
    close(fd);
}

static void with_netns_exec(const char *ns, const char *const argv[],
                            const char *out[MAX_ARGS + 5])
{
    int n = 0;
    out[n++] = ip_path();
    out[n++] = "netns";
    out[n++] = "exec";
    out[n++] = ns;
    for (int i = 0; argv[i] != NULL && n < MAX_ARGS + 4; i++)
        out[n++] = argv[i];
    out[n] = NULL;
}

struct tk_proc *tk_netns_startv(const char *ns, const char *const argv[])
{
    const char *full[MAX_ARGS + 5];
    if (access(argv[0], X_OK) != 0)
        tk_fail_at(__FILE__, __LINE__, "%s was not built (did it compile?): %s",
                   argv[0], strerror(errno));
    with_netns_exec(ns, argv, full);
    return tk_startv(full);
}

struct tk_proc *tk_netns_runv(const char *ns, int timeout_ms, const char *const argv[])
{
    struct tk_proc *p = tk_netns_startv(ns, argv);
    tk_wait(p, timeout_ms);
    return p;
}

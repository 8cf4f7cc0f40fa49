/* tk-unix.c - see tk-unix.h. */
#define _GNU_SOURCE
#define TESTKIT_INTERNAL
#include "tk-unix.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_ARGS 64

static char *next_buffer(void)
{
    static char buffers[4][sizeof(((struct sockaddr_un *)0)->sun_path) + 64];
    static int turn;
    turn = (turn + 1) % 4;
    return buffers[turn];
}

const char *tk_unix_path(const char *name)
{
    char *out = next_buffer();
    snprintf(out, sizeof(((struct sockaddr_un *)0)->sun_path) + 64, "%s/%s", tk_tmpdir(),
             name);
    return out;
}

const char *tk_unix_abstract_name(const char *name)
{
    char *out = next_buffer();
    snprintf(out, sizeof(((struct sockaddr_un *)0)->sun_path) + 64, "@tk-%d-%s",
             (int)getpid(), name);
    return out;
}

socklen_t tk_unix_address(const char *name, void *addr_out)
{
    struct sockaddr_un addr = {0};
    size_t len = strlen(name);

    addr.sun_family = AF_UNIX;
    if (len >= sizeof addr.sun_path + (name[0] == '@'))
        TK_FAIL("the name %s is too long for sun_path", name);
    memcpy(addr.sun_path, name, len);
    if (name[0] == '@')
        addr.sun_path[0] = '\0'; /* abstract: no terminating NUL counted */
    else
        len++;
    memcpy(addr_out, &addr, sizeof addr);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
}

int tk_unix_try_connect(const char *name, int type)
{
    struct sockaddr_un addr;
    socklen_t len = tk_unix_address(name, &addr);
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        TK_FAIL("socket(AF_UNIX): %s", strerror(errno));
    int rc;
    do
        rc = connect(fd, (struct sockaddr *)&addr, len);
    while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int tk_unix_connect(const char *name, int type)
{
    int fd = tk_unix_try_connect(name, type);
    if (fd < 0)
        TK_FAIL("connecting to %s: %s", name, strerror(errno));
    return fd;
}

bool tk_is_socket_file(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

struct tk_proc *tk_start_unix_server(const char *name, const char *path, ...)
{
    const char *argv[MAX_ARGS + 1];
    int argc = 0;
    va_list ap;

    argv[argc++] = path;
    va_start(ap, path);
    const char *arg;
    while ((arg = va_arg(ap, const char *)) != NULL && argc < MAX_ARGS)
        argv[argc++] = arg;
    va_end(ap);
    argv[argc] = NULL;

    struct tk_proc *p = tk_startv(argv);
    const char *line = tk_read_line(p, 5000);
    if (line == NULL) {
        tk_wait(p, 2000);
        TK_FAIL("%s printed no \"listening on\" line; its stderr: %s", path,
                p->err_len ? p->err_text : "(empty)");
    }
    char expected[256];
    snprintf(expected, sizeof expected, "listening on %s", name);
    if (strcmp(line, expected) != 0)
        TK_FAIL("first line of stdout is \"%s\", expected \"%s\"", line, expected);
    snprintf(p->address, sizeof p->address, "%s", name);
    return p;
}

static const char *setpriv_path(void)
{
    static const char *const places[] = {"/usr/bin/setpriv", "/bin/setpriv",
                                         "/usr/sbin/setpriv", NULL};
    for (int i = 0; places[i] != NULL; i++)
        if (access(places[i], X_OK) == 0)
            return places[i];
    return NULL;
}

uid_t tk_nobody_uid(void)
{
    if (geteuid() != 0)
        tk_skip("needs root, to run a program as another user");
    const struct passwd *pw = getpwnam("nobody");
    if (pw == NULL)
        tk_skip("there is no user \"nobody\" here");
    return pw->pw_uid;
}

struct tk_proc *tk_start_as_nobody(const char *path, ...)
{
    const char *argv[MAX_ARGS + 1];
    char uid[32], gid[32];
    int argc = 0;
    va_list ap;

    tk_nobody_uid();
    const char *setpriv = setpriv_path();
    if (setpriv == NULL)
        tk_skip("setpriv(1) is not installed");
    const struct passwd *pw = getpwnam("nobody");
    snprintf(uid, sizeof uid, "--reuid=%u", (unsigned)pw->pw_uid);
    snprintf(gid, sizeof gid, "--regid=%u", (unsigned)pw->pw_gid);
    argv[argc++] = setpriv;
    argv[argc++] = uid;
    argv[argc++] = gid;
    argv[argc++] = "--clear-groups";
    argv[argc++] = path;
    va_start(ap, path);
    const char *arg;
    while ((arg = va_arg(ap, const char *)) != NULL && argc < MAX_ARGS)
        argv[argc++] = arg;
    va_end(ap);
    argv[argc] = NULL;
    return tk_startv(argv);
}

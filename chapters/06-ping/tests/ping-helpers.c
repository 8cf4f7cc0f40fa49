/* ping-helpers.c - see ping-helpers.h. */
#include "ping-helpers.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct pair make_pair(void)
{
    struct pair net = {tk_netns_new(), tk_netns_new()};
    tk_netns_link(net.client, "10.6.0.1/24", net.peer, "10.6.0.2/24");
    return net;
}

struct routed make_routed(void)
{
    struct routed net = {tk_netns_new(), tk_netns_new(), tk_netns_new()};
    tk_netns_link(net.client, "10.6.1.2/24", net.router, "10.6.1.1/24");
    tk_netns_link(net.router, "10.6.2.1/24", net.far, "10.6.2.2/24");
    tk_netns_sysctl(net.router, "net/ipv4/ip_forward", "1");
    tk_netns_route(net.client, "10.6.2.0/24", "10.6.1.1");
    tk_netns_route(net.far, "10.6.1.0/24", "10.6.2.1");
    return net;
}

void split_lines(const char *text, struct lines *out)
{
    out->count = 0;
    if (text == NULL)
        return;
    while (*text != '\0' && out->count < 512) {
        const char *end = strchr(text, '\n');
        size_t len = end != NULL ? (size_t)(end - text) : strlen(text);
        char *line = tk_alloc(len + 1);
        memcpy(line, text, len);
        line[len] = '\0';
        out->line[out->count++] = line;
        text += len + (end != NULL);
    }
}

/* Replaces the number that follows each occurrence of key by "T". */
static void mask_after(char *line, const char *key)
{
    for (char *at = strstr(line, key); at != NULL; at = strstr(at + 1, key)) {
        char *number = at + strlen(key);
        char *end = number;
        while (isdigit((unsigned char)*end) || *end == '.' || *end == '/')
            end++;
        if (end == number)
            continue;
        *number = 'T';
        memmove(number + 1, end, strlen(end) + 1);
    }
}

void mask_times(char *line)
{
    mask_after(line, "time=");
    mask_after(line, "time ");
    mask_after(line, "mdev = ");
}

struct tk_proc *run_in(const char *ns, const char *program, ...)
{
    const char *argv[32] = {program};
    int n = 1;
    va_list ap;
    va_start(ap, program);
    for (const char *a; n < 31 && (a = va_arg(ap, const char *)) != NULL;)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    return tk_netns_runv(ns, PING_WAIT_MS, argv);
}

struct tk_proc *start_responder(const char *ns, const char *action, ...)
{
    const char *argv[64] = {tk_program("icmp-responder")};
    int n = 1;
    va_list ap;
    va_start(ap, action);
    for (const char *a = action; n < 63 && a != NULL; a = va_arg(ap, const char *))
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    tk_netns_sysctl(ns, "net/ipv4/icmp_echo_ignore_all", "1");
    struct tk_proc *responder = tk_netns_startv(ns, argv);
    const char *line = tk_read_line(responder, 5000);
    TK_ASSERT(line != NULL && strcmp(line, "ready") == 0,
              "the responder did not start: %s", responder->err_text ? responder->err_text : "");
    return responder;
}

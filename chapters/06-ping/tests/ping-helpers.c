/* ping-helpers.c - see ping-helpers.h. */
#include "ping-helpers.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
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

struct chain make_chain(int routers)
{
    struct chain net = {.routers = routers};
    char left[32], right[32], gateway[32], subnet[32];

    for (int i = 0; i <= routers + 1; i++) {
        net.node[i] = tk_netns_new();
        tk_netns_sysctl(net.node[i], "net/ipv4/icmp_ratelimit", "0");
    }
    for (int i = 1; i <= routers + 1; i++) {
        snprintf(left, sizeof left, "10.6.%d.1/24", i);
        snprintf(right, sizeof right, "10.6.%d.2/24", i);
        tk_netns_link(net.node[i - 1], left, net.node[i], right);
    }
    tk_ip("-n", net.node[0], "route", "add", "default", "via", "10.6.1.2", NULL);
    for (int i = 1; i <= routers + 1; i++) {
        if (i <= routers)
            tk_netns_sysctl(net.node[i], "net/ipv4/ip_forward", "1");
        if (i < routers) {
            snprintf(gateway, sizeof gateway, "10.6.%d.2", i + 1);
            tk_ip("-n", net.node[i], "route", "add", "default", "via", gateway, NULL);
        }
        /* The way back to every link behind. */
        snprintf(gateway, sizeof gateway, "10.6.%d.1", i);
        for (int j = 1; j < i; j++) {
            snprintf(subnet, sizeof subnet, "10.6.%d.0/24", j);
            tk_netns_route(net.node[i], subnet, gateway);
        }
    }
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

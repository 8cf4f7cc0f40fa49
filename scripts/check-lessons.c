/* check-lessons - keeps the lessons and the code from drifting apart.
 *
 *   check-lessons ROOT
 *   check-lessons --run BINDIR [--programs LIST] ROOT [MARKDOWN...]
 *
 * Reads README.md and every chapters/, exercises/ and solutions/ README.md
 * under ROOT (or only the MARKDOWN files named, relative to ROOT) and checks:
 *
 *   1. Every code excerpt is exactly what its source file holds.  An excerpt
 *      is a fenced code block preceded by a marker line
 *
 *          <!-- excerpt: PATH -->
 *
 *      with PATH relative to the Markdown file.  The block's lines must appear
 *      in that file as one run of consecutive lines, byte for byte.
 *
 *   2. Every relative link or image, [text](PATH) or ![alt](PATH), names a
 *      file that exists.
 *
 * With --run, the programs built in BINDIR are run as well:
 *
 *   3. Every sample session is what the programs print.  A sample is a fenced
 *      block preceded by
 *
 *          <!-- output -->
 *          <!-- output: CLAUSE; CLAUSE... -->
 *
 *      (a ";" followed by a clause's keyword separates clauses; any other
 *      ";" belongs to the clause, so a command may use it)
 *
 *      Lines of the block that start with "$ " are commands, typed from the
 *      top of the repository with BINDIR on the PATH (a line ending in "\"
 *      goes on with the next); the other lines are what they print, stdout
 *      and stderr together.  The whole block runs as one bash session in a
 *      fresh directory that links every top-level entry of ROOT (files the
 *      commands write stay there), with no standard input and a time limit
 *      of 30 s, so "$ echo $?" shows a status.  A clause is one of:
 *
 *          server COMMAND as PORT   starts COMMAND (a server on port 0)
 *                                   before the session, waits for its
 *                                   "listening on ADDR:REAL" line, and stops
 *                                   it after.  PORT is the number the sample
 *                                   shows: in the commands it is replaced by
 *                                   REAL, and REAL in the output by PORT.
 *                                   A line "$ COMMAND &" of the block stands
 *                                   for this server (COMMAND as given, or
 *                                   with its word "0" written as PORT): it
 *                                   is not run again, and its output is the
 *                                   listening line.
 *          run COMMAND              runs COMMAND first, not shown (sample
 *                                   ports replaced as in the commands).
 *          log                      the block is the last server's output
 *                                   after its listening line, once the
 *                                   commands are done (half a second later,
 *                                   then the server is stopped), instead of
 *                                   what the commands print.
 *          unordered                the lines may come in any order (for a
 *                                   log where two directions interleave
 *                                   as the machine's timing has it): the
 *                                   sorted lines are compared.
 *          mask REGEX               text matching the extended REGEX is
 *                                   masked on both sides before comparing.
 *
 *      Ports after an address ("127.0.0.1:51338", "[::1]:51338") and times
 *      ("408 ms", "1.5 s") are always masked: they change from run to run.
 *      Output that depends on the machine beyond that has no marker, and the
 *      lesson says so.
 *
 *   4. Every usage text is what the program's --help prints.  A fenced block
 *      preceded by
 *
 *          <!-- usage: PROGRAM -->
 *
 *      must be exactly the standard output of "BINDIR/PROGRAM --help", which
 *      must exit 0.  Each chapter's reference section quotes its programs'
 *      usage this way.  With --programs, LIST holds lines "CHAPTER PROGRAM"
 *      (CHAPTER a directory under ROOT/chapters): once a chapter's lesson
 *      quotes any usage, it must quote the usage of every program of its
 *      chapter.
 *
 * Prints one line per problem, "FILE:LINE: what is wrong", and exits 1 if
 * there was any.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXCERPT "<!-- excerpt: "
#define OUTPUT "<!-- output"
#define USAGE "<!-- usage: "
#define SESSION_SECONDS 30
#define MAX_SERVERS 4

struct lines {
    char **line;
    size_t count;
};

/* What --run and --programs asked for; bindir is NULL without --run. */
static const char *root;
static const char *bindir;
static struct lines programs; /* "CHAPTER PROGRAM" lines */
static int problems;
/* While a sample has its first try (see check_output), its problems are
 * only counted here, not reported. */
static bool first_try;
static int first_try_problems;

static void problem(const char *file, size_t line, const char *fmt, const char *arg)
{
    if (first_try) {
        first_try_problems++;
        return;
    }
    printf("%s:%zu: ", file, line);
    printf(fmt, arg);
    putchar('\n');
    problems++;
}

static void out_of_memory(void)
{
    perror("check-lessons");
    exit(2);
}

static void append_line(struct lines *l, const char *text, size_t len)
{
    char **grown = realloc(l->line, (l->count + 1) * sizeof *grown);
    char *copy = strndup(text, len);
    if (grown == NULL || copy == NULL)
        out_of_memory();
    l->line = grown;
    l->line[l->count++] = copy;
}

/* Splits text into lines without their newlines (a last newline ends the
 * last line rather than starting an empty one). */
static void split_lines(const char *text, struct lines *out)
{
    out->line = NULL;
    out->count = 0;
    while (*text != '\0') {
        size_t len = strcspn(text, "\n");
        append_line(out, text, len);
        text += len;
        if (*text == '\n')
            text++;
    }
}

/* Reads a whole file as lines without their newlines; false if unreadable. */
static bool read_lines(const char *path, struct lines *out)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    out->line = NULL;
    out->count = 0;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&buf, &cap, f)) >= 0) {
        if (n > 0 && buf[n - 1] == '\n')
            n--;
        append_line(out, buf, (size_t)n);
    }
    free(buf);
    fclose(f);
    return true;
}

static void free_lines(struct lines *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->line[i]);
    free(l->line);
    l->line = NULL;
    l->count = 0;
}

/* PATH relative to the directory of the Markdown file. */
static void relative_to(const char *markdown, const char *path, char *out, size_t outlen)
{
    const char *slash = strrchr(markdown, '/');
    int dirlen = slash != NULL ? (int)(slash - markdown) : 0;
    if (dirlen > 0)
        snprintf(out, outlen, "%.*s/%s", dirlen, markdown, path);
    else
        snprintf(out, outlen, "%s", path);
}

/* The text of a marker line between its prefix and " -->", or NULL (with a
 * problem reported) when the marker is not closed. */
static char *marker_argument(const char *md, const struct lines *doc, size_t at,
                             size_t prefix_len)
{
    const char *spec = doc->line[at] + prefix_len;
    const char *end = strstr(spec, " -->");
    if (end == NULL && strcmp(spec, "-->") == 0)
        end = spec;
    if (end == NULL) {
        problem(md, at + 1, "%s", "marker is not closed with \" -->\"");
        return NULL;
    }
    char *arg = strndup(spec, (size_t)(end - spec));
    if (arg == NULL)
        out_of_memory();
    return arg;
}

/* Finds the fenced block after the marker on line `at`: its first content
 * line in *first and its closing fence in *close.  False (with a problem
 * reported) if there is none. */
static bool block_after(const char *md, const struct lines *doc, size_t at,
                        size_t *first, size_t *close)
{
    size_t open = at + 1;
    if (open >= doc->count || strncmp(doc->line[open], "```", 3) != 0) {
        problem(md, at + 1, "%s", "a marker must be followed by a ``` block");
        return false;
    }
    size_t end = open + 1;
    while (end < doc->count && strncmp(doc->line[end], "```", 3) != 0)
        end++;
    if (end == doc->count) {
        problem(md, open + 1, "%s", "code block is never closed");
        return false;
    }
    *first = open + 1;
    *close = end;
    return true;
}

/* True if lines [first, first+n) of the excerpt occur in src consecutively. */
static bool occurs_in(const struct lines *src, char **excerpt, size_t n)
{
    for (size_t start = 0; start + n <= src->count; start++) {
        size_t i = 0;
        while (i < n && strcmp(src->line[start + i], excerpt[i]) == 0)
            i++;
        if (i == n)
            return true;
    }
    return false;
}

/* Checks the excerpt whose marker is on line `at`; returns the line after it. */
static size_t check_excerpt(const char *md, const struct lines *doc, size_t at)
{
    char *path = marker_argument(md, doc, at, strlen(EXCERPT));
    size_t first, close;
    if (path == NULL)
        return at + 1;
    if (!block_after(md, doc, at, &first, &close)) {
        free(path);
        return at + 1;
    }
    char full[2048];
    relative_to(md, path, full, sizeof full);

    struct lines src;
    if (!read_lines(full, &src)) {
        problem(md, at + 1, "excerpt names %s, which cannot be read", path);
    } else {
        size_t n = close - first;
        if (n == 0)
            problem(md, at + 1, "%s", "the excerpt is empty");
        else if (!occurs_in(&src, doc->line + first, n))
            problem(md, at + 1, "this excerpt is no longer what %s holds", path);
        free_lines(&src);
    }
    free(path);
    return close + 1;
}

/* ---- running programs ------------------------------------------------------ */

/* A growable string. */
struct text {
    char *s;
    size_t len, cap;
};

static void text_add(struct text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *grown = realloc(t->s, cap);
        if (grown == NULL)
            out_of_memory();
        t->s = grown;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void text_adds(struct text *t, const char *s)
{
    text_add(t, s, strlen(s));
}

/* Adds s to a bash script as one single-quoted word. */
static void text_add_quoted(struct text *t, const char *s)
{
    text_adds(t, "'");
    for (; *s != '\0'; s++) {
        if (*s == '\'')
            text_adds(t, "'\\''");
        else
            text_add(t, s, 1);
    }
    text_adds(t, "'");
}

/* Replaces every whole number `from` in s by `to` (digits next to it make
 * it part of another number, and stay as they are). */
static char *replace_number(const char *s, const char *from, const char *to)
{
    struct text t = {0};
    size_t flen = strlen(from);
    text_add(&t, "", 0);
    for (const char *p = s; *p != '\0';) {
        bool starts = strncmp(p, from, flen) == 0 &&
                      (p == s || p[-1] < '0' || p[-1] > '9') &&
                      (p[flen] < '0' || p[flen] > '9');
        if (starts) {
            text_adds(&t, to);
            p += flen;
        } else {
            text_add(&t, p, 1);
            p++;
        }
    }
    return t.s;
}

/* A fresh working directory for a session: every top-level entry of ROOT
 * linked into it, and build/ linked to the build tree that holds BINDIR. */
static char *make_workdir(void)
{
    char *dir = strdup("/tmp/check-lessons-XXXXXX");
    if (dir == NULL || mkdtemp(dir) == NULL)
        out_of_memory();
    DIR *d = opendir(root);
    struct dirent *e;
    char from[4096], to[4096];
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "build") == 0)
            continue;
        snprintf(from, sizeof from, "%s/%s", root, e->d_name);
        snprintf(to, sizeof to, "%s/%s", dir, e->d_name);
        if (symlink(from, to) < 0)
            perror("check-lessons: symlink");
    }
    if (d != NULL)
        closedir(d);
    /* BINDIR is BUILD/bin: build/bin/PROGRAM then names the programs checked. */
    snprintf(from, sizeof from, "%s/..", bindir);
    snprintf(to, sizeof to, "%s/build", dir);
    if (symlink(from, to) < 0)
        perror("check-lessons: symlink");
    return dir;
}

static void remove_workdir(char *dir)
{
    pid_t pid = fork();
    if (pid == 0) {
        execlp("rm", "rm", "-rf", dir, (char *)NULL);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
    free(dir);
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs bash -c script in dir, in a process group of its own, output to
 * `log` (stdout and stderr), no stdin.  Returns its pid. */
static pid_t start_bash(const char *dir, const char *script, const char *log)
{
    pid_t pid = fork();
    if (pid < 0) {
        perror("check-lessons: fork");
        exit(2);
    }
    if (pid == 0) {
        setpgid(0, 0);
        int in = open("/dev/null", O_RDONLY);
        int out = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0 || chdir(dir) < 0)
            _exit(126);
        dup2(in, 0);
        dup2(out, 1);
        dup2(out, 2);
        execlp("bash", "bash", "--norc", "--noprofile", "-c", script, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    return pid;
}

/* Ends a process group: SIGTERM, then SIGKILL if it lingers. */
static void stop_group(pid_t pid)
{
    kill(-pid, SIGTERM);
    for (int i = 0; i < 40; i++) {
        if (waitpid(pid, NULL, WNOHANG) != 0) {
            kill(-pid, SIGKILL); /* whatever it left behind */
            return;
        }
        pause_ms(50);
    }
    kill(-pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* Waits for a process to end, for at most `seconds`; false if it did not. */
static bool wait_for(pid_t pid, double seconds, int *status)
{
    double deadline = now() + seconds;
    while (now() < deadline) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return true;
        if (r < 0 && errno != EINTR)
            return true;
        pause_ms(20);
    }
    return false;
}

static char *read_file(const char *path)
{
    struct text t = {0};
    char buf[4096];
    text_add(&t, "", 0);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return t.s;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        text_add(&t, buf, n);
    fclose(f);
    return t.s;
}

/* The environment every command sees: BINDIR first on the PATH, and a
 * stable locale so that messages read as in the lessons. */
static void set_environment(void)
{
    static char path[8192];
    const char *old = getenv("PATH");
    snprintf(path, sizeof path, "%s:%s", bindir, old != NULL ? old : "/usr/bin:/bin");
    setenv("PATH", path, 1);
    setenv("LC_ALL", "C.UTF-8", 1);
    unsetenv("LANGUAGE");
}

/* ---- sample sessions ------------------------------------------------------- */

struct server {
    char *command;     /* as the marker gives it */
    char *listening;   /* its first line, as it printed it */
    char *sample_port; /* the number the lesson shows */
    char real_port[16];
    pid_t pid;
};

struct session {
    struct server server[MAX_SERVERS];
    int servers;
    struct text run; /* commands run before the block's, not shown */
    bool log;        /* the block is the last server's log */
    bool unordered;  /* lines may come in any order */
    regex_t mask[8];
    int masks;
};

/* Masks every match of re in line with "#". */
static char *mask_with(const regex_t *re, const char *line)
{
    struct text t = {0};
    regmatch_t m;
    text_add(&t, "", 0);
    const char *p = line;
    int flags = 0;
    while (*p != '\0' && regexec(re, p, 1, &m, flags) == 0) {
        if (m.rm_eo == 0) { /* an empty match: step over one character */
            text_add(&t, p, 1);
            p++;
        } else {
            text_add(&t, p, (size_t)m.rm_so);
            text_adds(&t, "#");
            p += m.rm_eo;
        }
        flags = REG_NOTBOL;
    }
    text_adds(&t, p);
    return t.s;
}

static char *masked(const struct session *s, const char *line)
{
    char *out = strdup(line);
    if (out == NULL)
        out_of_memory();
    for (int i = 0; i < s->masks; i++) {
        char *next = mask_with(&s->mask[i], out);
        free(out);
        out = next;
    }
    return out;
}

static bool add_mask(struct session *s, const char *regex)
{
    if (s->masks == (int)(sizeof s->mask / sizeof s->mask[0]))
        return false;
    if (regcomp(&s->mask[s->masks], regex, REG_EXTENDED) != 0)
        return false;
    s->masks++;
    return true;
}

/* Replaces every sample port of a command by its server's real port. */
static char *with_real_ports(const struct session *s, const char *command)
{
    char *out = strdup(command);
    if (out == NULL)
        out_of_memory();
    for (int i = 0; i < s->servers; i++) {
        char *next = replace_number(out, s->server[i].sample_port, s->server[i].real_port);
        free(out);
        out = next;
    }
    return out;
}

static char *with_sample_ports(const struct session *s, const char *output)
{
    char *out = strdup(output);
    if (out == NULL)
        out_of_memory();
    for (int i = 0; i < s->servers; i++) {
        char *next = replace_number(out, s->server[i].real_port, s->server[i].sample_port);
        free(out);
        out = next;
    }
    return out;
}

/* Starts a server of the session; false (with a problem) if it never said
 * where it listens. */
static bool start_server(const char *md, size_t lineno, struct session *s,
                         const char *workdir, const char *command, const char *sample_port)
{
    if (s->servers == MAX_SERVERS) {
        problem(md, lineno, "%s", "too many servers in one sample");
        return false;
    }
    struct server *srv = &s->server[s->servers];
    char log[4200];
    snprintf(log, sizeof log, "%s/.server-%d.log", workdir, s->servers);
    char *real_command = with_real_ports(s, command);
    srv->pid = start_bash(workdir, real_command, log);
    srv->sample_port = strdup(sample_port);
    s->servers++;
    free(real_command);

    double deadline = now() + 5;
    while (now() < deadline) {
        char *out = read_file(log);
        char *nl = strchr(out, '\n');
        if (nl != NULL && strncmp(out, "listening on ", 13) == 0) {
            *nl = '\0';
            const char *colon = strrchr(out, ':');
            snprintf(srv->real_port, sizeof srv->real_port, "%s", colon + 1);
            srv->command = strdup(command);
            srv->listening = out;
            return true;
        }
        bool over = nl != NULL || waitpid(srv->pid, NULL, WNOHANG) != 0;
        free(out);
        if (over)
            break;
        pause_ms(20);
    }
    problem(md, lineno, "the server \"%s\" did not print its listening line", command);
    return false;
}

/* Ends the clause that starts at `clause` (with a NUL over its ";") and
 * returns the next one, or NULL.  A ";" ends a clause only when a clause's
 * keyword follows it, so that a command may hold ";" of its own. */
static char *next_clause(char *clause)
{
    static const char *keywords[] = {"server ", "run ", "mask ", "log", "unordered"};
    for (char *semi = strchr(clause, ';'); semi != NULL; semi = strchr(semi + 1, ';')) {
        const char *after = semi + 1 + strspn(semi + 1, " ");
        for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++) {
            size_t len = strlen(keywords[k]);
            bool word_ends = k < 3 || after[len] == '\0' || after[len] == ' ' || after[len] == ';';
            if (strncmp(after, keywords[k], len) == 0 && word_ends) {
                *semi = '\0';
                return semi + 1;
            }
        }
    }
    return NULL;
}

/* Reads the clauses of an output marker into the session.  False (with a
 * problem) if one cannot be understood or its server does not start. */
static bool parse_clauses(const char *md, size_t lineno, char *clauses, struct session *s,
                          const char *workdir)
{
    for (char *clause = clauses; clause != NULL;) {
        char *next = next_clause(clause);
        clause += strspn(clause, " ");
        if (strncmp(clause, "server ", 7) == 0) {
            char *as = strstr(clause, " as ");
            if (as == NULL) {
                problem(md, lineno, "%s", "a server clause needs \"as PORT\"");
                return false;
            }
            *as = '\0';
            char *port = as + 4;
            port[strcspn(port, " ")] = '\0';
            if (!start_server(md, lineno, s, workdir, clause + 7, port))
                return false;
        } else if (strncmp(clause, "run ", 4) == 0) {
            char *real = with_real_ports(s, clause + 4);
            text_adds(&s->run, real);
            text_adds(&s->run, "\n");
            free(real);
        } else if (strcmp(clause, "log") == 0 || strcmp(clause, "log ") == 0) {
            s->log = true;
        } else if (strcmp(clause, "unordered") == 0 || strcmp(clause, "unordered ") == 0) {
            s->unordered = true;
        } else if (strncmp(clause, "mask ", 5) == 0) {
            if (!add_mask(s, clause + 5)) {
                problem(md, lineno, "cannot use the mask \"%s\"", clause + 5);
                return false;
            }
        } else if (*clause != '\0') {
            problem(md, lineno, "unknown clause \"%s\" in an output marker", clause);
            return false;
        }
        clause = next;
    }
    return true;
}

/* True if a command of a block, "SERVER &", is the marker's server: its
 * command as the marker gives it, or with its port, the word "0", written
 * as the port the sample shows ("http-serve 127.0.0.1 8080 &" for
 * "http-serve 127.0.0.1 0 as 8080"). */
static bool stands_for(const char *command, const struct server *srv)
{
    size_t len = strlen(command);
    if (len < 2 || strcmp(command + len - 2, " &") != 0)
        return false;
    len -= 2;
    if (strlen(srv->command) == len && strncmp(command, srv->command, len) == 0)
        return true;
    /* The word "0": preceded by a space, followed by a space or the end. */
    const char *zero = srv->command;
    while ((zero = strstr(zero, " 0")) != NULL && zero[2] != ' ' && zero[2] != '\0')
        zero += 2;
    if (zero == NULL)
        return false;
    char shown[4096];
    snprintf(shown, sizeof shown, "%.*s %s%s", (int)(zero - srv->command), srv->command,
             srv->sample_port, zero + 2);
    return strlen(shown) == len && strncmp(command, shown, len) == 0;
}

/* The bash script of a session: each command echoed as the lesson shows it,
 * then run with the real ports. */
static char *session_script(const struct session *s, const struct lines *doc, size_t first,
                            size_t close)
{
    struct text t = {0};
    /* Each command is shown before it runs; $? is kept across the showing,
     * so that "$ echo $?" tells the status of the command before it. */
    text_adds(&t, "exec 2>&1\n__status() { return \"$1\"; }\n");
    if (s->run.s != NULL)
        text_adds(&t, s->run.s);
    for (size_t i = first; i < close; i++) {
        if (strncmp(doc->line[i], "$ ", 2) != 0)
            continue;
        struct text shown = {0}, command = {0};
        text_adds(&shown, doc->line[i]);
        text_adds(&command, doc->line[i] + 2);
        while (i + 1 < close && command.len > 0 && command.s[command.len - 1] == '\\') {
            i++;
            text_adds(&shown, "\n");
            text_adds(&shown, doc->line[i]);
            text_adds(&command, "\n");
            text_adds(&command, doc->line[i]);
        }
        char *real = with_real_ports(s, command.s);
        text_adds(&t, "__s=$?; printf '%s\\n' ");
        text_add_quoted(&t, shown.s);
        text_adds(&t, "; __status \"$__s\"\n");
        /* "$ SERVER &" for a server of the marker: it is already running,
         * and its listening line is what the lesson shows. */
        const struct server *started = NULL;
        for (int k = 0; k < s->servers; k++)
            if (stands_for(command.s, &s->server[k]))
                started = &s->server[k];
        if (started != NULL) {
            text_adds(&t, "printf '%s\\n' ");
            text_add_quoted(&t, started->listening);
        } else {
            text_adds(&t, real);
        }
        text_adds(&t, "\n");
        free(real);
        free(shown.s);
        free(command.s);
    }
    return t.s;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of an unordered sample, masked and sorted, against the output's. */
static void compare_unordered(const char *md, size_t first, const struct session *s,
                              const struct lines *doc, size_t close, const struct lines *got)
{
    struct lines want = {0}, have = {0};
    for (size_t i = first; i < close; i++) {
        char *m = masked(s, doc->line[i]);
        append_line(&want, m, strlen(m));
        free(m);
    }
    for (size_t i = 0; i < got->count; i++) {
        char *m = masked(s, got->line[i]);
        append_line(&have, m, strlen(m));
        free(m);
    }
    qsort(want.line, want.count, sizeof *want.line, compare_strings);
    qsort(have.line, have.count, sizeof *have.line, compare_strings);
    bool same = want.count == have.count;
    for (size_t i = 0; same && i < want.count; i++)
        same = strcmp(want.line[i], have.line[i]) == 0;
    if (!same) {
        struct text t = {0};
        text_adds(&t, "the sample's lines (in any order) are no longer what the programs print;"
                      " they printed:");
        for (size_t i = 0; i < got->count; i++) {
            text_adds(&t, "\n    ");
            text_adds(&t, got->line[i]);
        }
        problem(md, first, "%s", t.s);
        free(t.s);
    }
    free_lines(&want);
    free_lines(&have);
}

/* Compares expected lines with what the session printed, masks applied. */
static void compare_session(const char *md, size_t first, const struct session *s,
                            const struct lines *doc, size_t close, const char *output)
{
    char *mapped = with_sample_ports(s, output);
    struct lines got;
    split_lines(mapped, &got);
    free(mapped);
    if (s->unordered) {
        compare_unordered(md, first, s, doc, close, &got);
        free_lines(&got);
        return;
    }
    size_t n = close - first;
    for (size_t i = 0; i < n || i < got.count; i++) {
        const char *want = i < n ? doc->line[first + i] : "(nothing more)";
        const char *have = i < got.count ? got.line[i] : "(nothing more)";
        char *mw = masked(s, want), *mh = masked(s, have);
        bool same = strcmp(mw, mh) == 0;
        free(mw);
        free(mh);
        if (!same) {
            char what[8192];
            snprintf(what, sizeof what,
                     "the sample is no longer what the programs print:\n"
                     "    the lesson: %s\n    the program: %s", want, have);
            problem(md, first + i + 1, "%s", what);
            break;
        }
    }
    free_lines(&got);
}

static void run_sample(const char *md, const struct lines *doc, size_t at, size_t first,
                       size_t close, const char *clause_text);

/* Checks the sample whose marker is on line `at`; returns the line after it.
 * A sample is run twice before it counts as wrong: what a program prints
 * may hang on the kernel's choices (the ephemeral port a client gets, which
 * of two processes a loaded machine runs first), and one unlucky run must
 * not fail the suite.  A sample that is really wrong fails both times. */
static size_t check_output(const char *md, const struct lines *doc, size_t at)
{
    size_t first, close;
    char *clauses = marker_argument(md, doc, at, strlen(OUTPUT));
    if (clauses == NULL)
        return at + 1;
    if (!block_after(md, doc, at, &first, &close)) {
        free(clauses);
        return at + 1;
    }
    if (bindir == NULL) {
        free(clauses);
        return close + 1;
    }
    char *clause_text = clauses;
    if (*clause_text == ':')
        clause_text++;
    else if (*clause_text != '\0')
        problem(md, at + 1, "%s", "an output marker is \"<!-- output -->\" or \"<!-- output: ... -->\"");

    first_try = true;
    first_try_problems = 0;
    run_sample(md, doc, at, first, close, clause_text);
    first_try = false;
    if (first_try_problems > 0)
        run_sample(md, doc, at, first, close, clause_text);
    free(clauses);
    return close + 1;
}

/* Runs the sample's session once, and reports how its output differs. */
static void run_sample(const char *md, const struct lines *doc, size_t at, size_t first,
                       size_t close, const char *clause_text)
{
    struct session s = {0};
    /* Ports after an address, and times: they change from run to run. */
    add_mask(&s, "([0-9]|\\]):[0-9]{2,5}");
    add_mask(&s, "[0-9]+(\\.[0-9]+)? ?(ms|s|us)([^A-Za-z0-9]|$)");
    char *workdir = make_workdir();
    char *clauses = strdup(clause_text); /* parse_clauses() cuts it up */
    if (clauses == NULL)
        out_of_memory();
    if (parse_clauses(md, at + 1, clauses, &s, workdir)) {
        char log[4200];
        snprintf(log, sizeof log, "%s/.session.log", workdir);
        char *script = session_script(&s, doc, first, close);
        pid_t pid = start_bash(workdir, script, log);
        int status = 0;
        if (!wait_for(pid, SESSION_SECONDS, &status)) {
            stop_group(pid);
            problem(md, at + 1, "%s", "the sample's commands did not finish within 30 s");
        } else {
            kill(-pid, SIGKILL); /* anything the session left running */
            char *output;
            if (s.log && s.servers > 0) {
                /* The server's log once it has dealt with everything. */
                struct server *last = &s.server[s.servers - 1];
                pause_ms(500);
                stop_group(last->pid);
                last->pid = 0;
                snprintf(log, sizeof log, "%s/.server-%d.log", workdir, s.servers - 1);
                char *whole = read_file(log);
                char *after_first = strchr(whole, '\n');
                output = strdup(after_first != NULL ? after_first + 1 : "");
                free(whole);
            } else {
                output = read_file(log);
            }
            compare_session(md, first, &s, doc, close, output);
            free(output);
        }
        free(script);
    }
    for (int i = 0; i < s.servers; i++) {
        if (s.server[i].pid > 0)
            stop_group(s.server[i].pid);
        free(s.server[i].sample_port);
        free(s.server[i].command);
        free(s.server[i].listening);
    }
    free(s.run.s);
    for (int i = 0; i < s.masks; i++)
        regfree(&s.mask[i]);
    remove_workdir(workdir);
    free(clauses);
}

/* Checks the usage text whose marker is on line `at`. */
static size_t check_usage(const char *md, const struct lines *doc, size_t at)
{
    size_t first, close;
    char *program = marker_argument(md, doc, at, strlen(USAGE));
    if (program == NULL)
        return at + 1;
    if (!block_after(md, doc, at, &first, &close) || bindir == NULL) {
        free(program);
        return at + 1;
    }
    char path[4096], log[4200], script[8400];
    snprintf(path, sizeof path, "%s/%s", bindir, program);
    if (access(path, X_OK) != 0) {
        problem(md, at + 1, "the usage of %s, which is not a program of the build", program);
        free(program);
        return close + 1;
    }
    char *workdir = make_workdir();
    snprintf(log, sizeof log, "%s/.usage.log", workdir);
    snprintf(script, sizeof script, "exec '%s' --help 2>/dev/null", path);
    pid_t pid = start_bash(workdir, script, log);
    int status = 0;
    if (!wait_for(pid, 10, &status)) {
        stop_group(pid);
        problem(md, at + 1, "%s --help did not finish", program);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        problem(md, at + 1, "%s --help did not exit with status 0", program);
    } else {
        struct session none = {0};
        char *output = read_file(log);
        compare_session(md, first, &none, doc, close, output);
        free(output);
    }
    remove_workdir(workdir);
    free(program);
    return close + 1;
}

/* Checks every "](target)" on one line whose target is a relative path. */
static void check_links(const char *md, const char *text, size_t lineno)
{
    for (const char *p = strstr(text, "]("); p != NULL; p = strstr(p + 2, "](")) {
        const char *target = p + 2;
        size_t len = strcspn(target, ")# ");
        if (len == 0 || strncmp(target, "http://", 7) == 0 ||
            strncmp(target, "https://", 8) == 0 || strncmp(target, "mailto:", 7) == 0)
            continue;
        char path[1024], full[2048];
        struct stat st;
        snprintf(path, sizeof path, "%.*s", (int)len, target);
        relative_to(md, path, full, sizeof full);
        if (stat(full, &st) != 0)
            problem(md, lineno, "link to %s, which does not exist", path);
    }
}

static void check_markdown(const char *md)
{
    struct lines doc;
    if (!read_lines(md, &doc)) {
        problem(md, 0, "%s", "cannot be read");
        return;
    }
    bool in_code = false;
    for (size_t i = 0; i < doc.count;) {
        if (strncmp(doc.line[i], EXCERPT, strlen(EXCERPT)) == 0) {
            i = check_excerpt(md, &doc, i);
            continue;
        }
        if (strncmp(doc.line[i], OUTPUT, strlen(OUTPUT)) == 0) {
            i = check_output(md, &doc, i);
            continue;
        }
        if (strncmp(doc.line[i], USAGE, strlen(USAGE)) == 0) {
            i = check_usage(md, &doc, i);
            continue;
        }
        if (strncmp(doc.line[i], "```", 3) == 0)
            in_code = !in_code;
        else if (!in_code)
            check_links(md, doc.line[i], i + 1);
        i++;
    }
    free_lines(&doc);
}

/* True if the lesson has a usage marker for program. */
static bool quotes_usage(const struct lines *doc, const char *program)
{
    char want[512];
    snprintf(want, sizeof want, USAGE "%.400s -->", program);
    for (size_t i = 0; i < doc->count; i++)
        if (strcmp(doc->line[i], want) == 0)
            return true;
    return false;
}

/* Once a chapter's lesson quotes a usage, it quotes every program's. */
static void check_references(const char *md)
{
    char chapter[1024];
    const char *rel = md + strlen(root) + 1;
    if (sscanf(rel, "chapters/%1000[^/]/README.md", chapter) != 1)
        return;
    struct lines doc;
    if (!read_lines(md, &doc))
        return;
    bool adopted = false;
    for (size_t i = 0; i < doc.count && !adopted; i++)
        adopted = strncmp(doc.line[i], USAGE, strlen(USAGE)) == 0;
    for (size_t i = 0; adopted && i < programs.count; i++) {
        char owner[1024], program[512];
        if (sscanf(programs.line[i], "%1000s %500s", owner, program) == 2 &&
            strcmp(owner, chapter) == 0 && !quotes_usage(&doc, program))
            problem(md, doc.count, "the reference section has no usage of %s", program);
    }
    free_lines(&doc);
}

static void check_file(const char *md, int *files)
{
    check_markdown(md);
    if (programs.count > 0)
        check_references(md);
    (*files)++;
}

static int usage_error(void)
{
    fprintf(stderr, "usage: check-lessons [--run BINDIR [--programs LIST]] ROOT [MARKDOWN...]\n");
    return 2;
}

int main(int argc, char **argv)
{
    static const char *patterns[] = {"README.md", "chapters/*/README.md",
                                     "exercises/*/README.md", "solutions/*/README.md"};
    char pattern[4096];
    int files = 0;
    int arg = 1;

    for (; arg + 1 < argc && strncmp(argv[arg], "--", 2) == 0; arg += 2) {
        if (strcmp(argv[arg], "--run") == 0) {
            /* Absolute, since sessions run in a directory of their own. */
            bindir = realpath(argv[arg + 1], NULL);
            if (bindir == NULL) {
                fprintf(stderr, "check-lessons: %s: %s\n", argv[arg + 1], strerror(errno));
                return 2;
            }
        } else if (strcmp(argv[arg], "--programs") == 0) {
            if (!read_lines(argv[arg + 1], &programs)) {
                fprintf(stderr, "check-lessons: cannot read %s\n", argv[arg + 1]);
                return 2;
            }
        } else {
            return usage_error();
        }
    }
    if (arg >= argc)
        return usage_error();
    root = argv[arg++];
    if (bindir != NULL) {
        root = realpath(root, NULL);
        if (root == NULL) {
            fprintf(stderr, "check-lessons: %s: %s\n", argv[arg - 1], strerror(errno));
            return 2;
        }
        set_environment();
    }

    if (arg < argc) {
        for (; arg < argc; arg++) {
            snprintf(pattern, sizeof pattern, "%s/%s", root, argv[arg]);
            check_file(pattern, &files);
        }
    } else {
        for (size_t p = 0; p < sizeof patterns / sizeof patterns[0]; p++) {
            glob_t found;
            snprintf(pattern, sizeof pattern, "%s/%s", root, patterns[p]);
            if (glob(pattern, 0, NULL, &found) != 0)
                continue;
            for (size_t i = 0; i < found.gl_pathc; i++)
                check_file(found.gl_pathv[i], &files);
            globfree(&found);
        }
    }
    if (files == 0) {
        fprintf(stderr, "check-lessons: no Markdown files under %s\n", root);
        return 1;
    }
    printf("check-lessons: %d files, %d problem%s\n", files, problems,
           problems == 1 ? "" : "s");
    return problems == 0 ? 0 : 1;
}

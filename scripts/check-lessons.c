/* check-lessons - keeps the lessons and the code from drifting apart.
 *
 *   check-lessons ROOT
 *
 * Reads README.md and every chapters/, exercises/ and solutions/ README.md
 * under ROOT and checks two things:
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
 * Prints one line per problem, "FILE:LINE: what is wrong", and exits 1 if
 * there was any.
 */
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MARKER "<!-- excerpt: "

struct lines {
    char **line;
    size_t count;
};

static int problems;

static void problem(const char *file, size_t line, const char *fmt, const char *arg)
{
    printf("%s:%zu: ", file, line);
    printf(fmt, arg);
    putchar('\n');
    problems++;
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
            buf[n - 1] = '\0';
        char **grown = realloc(out->line, (out->count + 1) * sizeof *grown);
        char *copy = strdup(buf);
        if (grown == NULL || copy == NULL) {
            perror("check-lessons");
            exit(2);
        }
        out->line = grown;
        out->line[out->count++] = copy;
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
    const char *spec = doc->line[at] + strlen(MARKER);
    const char *end = strstr(spec, " -->");
    if (end == NULL) {
        problem(md, at + 1, "%s", "excerpt marker is not closed with \" -->\"");
        return at + 1;
    }
    char path[1024], full[2048];
    snprintf(path, sizeof path, "%.*s", (int)(end - spec), spec);
    relative_to(md, path, full, sizeof full);

    size_t open = at + 1;
    if (open >= doc->count || strncmp(doc->line[open], "```", 3) != 0) {
        problem(md, at + 1, "%s", "an excerpt marker must be followed by a ``` block");
        return at + 1;
    }
    size_t close = open + 1;
    while (close < doc->count && strncmp(doc->line[close], "```", 3) != 0)
        close++;
    if (close == doc->count) {
        problem(md, open + 1, "%s", "code block is never closed");
        return close;
    }

    struct lines src;
    if (!read_lines(full, &src)) {
        problem(md, at + 1, "excerpt names %s, which cannot be read", path);
        return close + 1;
    }
    size_t n = close - open - 1;
    if (n == 0)
        problem(md, at + 1, "%s", "the excerpt is empty");
    else if (!occurs_in(&src, doc->line + open + 1, n))
        problem(md, at + 1, "this excerpt is no longer what %s holds", path);
    free_lines(&src);
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
        if (strncmp(doc.line[i], MARKER, strlen(MARKER)) == 0) {
            i = check_excerpt(md, &doc, i);
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

int main(int argc, char **argv)
{
    static const char *patterns[] = {"README.md", "chapters/*/README.md",
                                     "exercises/*/README.md", "solutions/*/README.md"};
    char pattern[4096];
    int files = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: check-lessons ROOT\n");
        return 2;
    }
    for (size_t p = 0; p < sizeof patterns / sizeof patterns[0]; p++) {
        glob_t found;
        snprintf(pattern, sizeof pattern, "%s/%s", argv[1], patterns[p]);
        if (glob(pattern, 0, NULL, &found) != 0)
            continue;
        for (size_t i = 0; i < found.gl_pathc; i++, files++)
            check_markdown(found.gl_pathv[i]);
        globfree(&found);
    }
    if (files == 0) {
        fprintf(stderr, "check-lessons: no Markdown files under %s\n", argv[1]);
        return 1;
    }
    printf("check-lessons: %d files, %d problem%s\n", files, problems,
           problems == 1 ? "" : "s");
    return problems == 0 ? 0 : 1;
}

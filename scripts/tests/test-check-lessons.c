/* Tests of check-lessons: it must pass a faithful lesson and catch every kind
 * of drift, or the guarantee it gives the lessons means nothing. */
#include "testkit.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static const char source[] =
    "int add(int a, int b)\n"
    "{\n"
    "    return a + b;\n"
    "}\n";

/* Writes a tiny course tree: chapters/01-x/{add.c,README.md}. */
static const char *make_tree(const char *lesson)
{
    const char *root = tk_tmpdir();
    char path[1024];
    snprintf(path, sizeof path, "%s/chapters", root);
    TK_ASSERT(mkdir(path, 0700) == 0, "mkdir %s", path);
    snprintf(path, sizeof path, "%s/chapters/01-x", root);
    TK_ASSERT(mkdir(path, 0700) == 0, "mkdir %s", path);

    const char *names[] = {"add.c", "README.md"};
    const char *texts[] = {source, lesson};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/chapters/01-x/%s", root, names[i]);
        FILE *f = fopen(path, "w");
        TK_ASSERT(f != NULL && fputs(texts[i], f) >= 0 && fclose(f) == 0,
                  "writing %s", path);
    }
    return root;
}

static struct tk_proc *check(const char *lesson)
{
    return tk_run(NULL, 0, 5000, tk_program("check-lessons"), make_tree(lesson), NULL);
}

static void faithful_excerpt_passes(void)
{
    struct tk_proc *p = check("# Lesson\n\n<!-- excerpt: add.c -->\n```c\n"
                              "{\n    return a + b;\n}\n```\n\nSee [the code](add.c).\n");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "exit status for a faithful lesson");
}

static void drifted_excerpt_fails(void)
{
    struct tk_proc *p = check("<!-- excerpt: add.c -->\n```c\n"
                              "{\n    return a - b;\n}\n```\n");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status for a drifted excerpt");
    TK_ASSERT(p->out_text != NULL && strstr(p->out_text, "README.md:1:") != NULL,
              "the problem should name the marker's line, got: %s",
              p->out_text != NULL ? p->out_text : "");
}

static void reordered_lines_fail(void)
{
    struct tk_proc *p = check("<!-- excerpt: add.c -->\n```c\n"
                              "    return a + b;\n{\n```\n");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status for lines out of order");
}

static void missing_source_fails(void)
{
    struct tk_proc *p = check("<!-- excerpt: gone.c -->\n```c\n{\n```\n");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status for a missing source");
}

static void broken_link_fails(void)
{
    struct tk_proc *p = check("![a figure](../../diagrams/none.svg)\n");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status for a broken image link");
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"faithful-excerpt", faithful_excerpt_passes},
        {"drifted-excerpt", drifted_excerpt_fails},
        {"reordered-lines", reordered_lines_fail},
        {"missing-source", missing_source_fails},
        {"broken-link", broken_link_fails},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}

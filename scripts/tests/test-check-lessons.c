/* Tests of check-lessons: it must pass a faithful lesson and catch every kind
 * of drift, or the guarantee it gives the lessons means nothing. */
#include "testkit.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char source[] =
    "int add(int a, int b)\n"
    "{\n"
    "    return a + b;\n"
    "}\n";

/* Writes a tiny course tree, a new one on each call:
 * chapters/01-x/{add.c,README.md}. */
static const char *make_tree(const char *lesson)
{
    static char root[900];
    static int trees;
    char path[1024];
    snprintf(root, sizeof root, "%s/tree-%d", tk_tmpdir(), ++trees);
    TK_ASSERT(mkdir(root, 0700) == 0, "mkdir %s", root);
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

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    TK_ASSERT(f != NULL && fputs(text, f) >= 0 && fclose(f) == 0, "writing %s", path);
    TK_ASSERT(chmod(path, mode) == 0, "chmod %s", path);
}

/* A build directory of two stand-in programs: "greet" prints its words and
 * fails on "--fail"; "fake-server" announces a port and waits. */
static const char *make_bin(const char *root)
{
    static char bin[1024];
    char path[1200];
    snprintf(bin, sizeof bin, "%s/build", root);
    TK_ASSERT(mkdir(bin, 0700) == 0, "mkdir %s", bin);
    snprintf(bin, sizeof bin, "%s/build/bin", root);
    TK_ASSERT(mkdir(bin, 0700) == 0, "mkdir %s", bin);
    snprintf(path, sizeof path, "%s/greet", bin);
    write_file(path,
               "#!/bin/sh\n"
               "case $1 in\n"
               "--help) echo 'usage: greet WORD...'; exit 0 ;;\n"
               "--fail) echo 'greet: failing as asked' >&2; exit 3 ;;\n"
               "esac\n"
               "echo \"hello, $*\"\n",
               0700);
    snprintf(path, sizeof path, "%s/fake-server", bin);
    write_file(path,
               "#!/bin/sh\n"
               "[ \"$1\" = --help ] && { echo 'usage: fake-server PORT'; exit 0; }\n"
               "echo 'listening on 127.0.0.1:5555'\n"
               "echo 'serving on port 5555'\n"
               "exec sleep 30\n",
               0700);
    return bin;
}

/* Runs check-lessons --run on a tree whose lesson is `lesson`; the programs
 * of chapter 01-x are listed as "greet" and "fake-server". */
static struct tk_proc *run_check(const char *lesson)
{
    const char *root = make_tree(lesson);
    const char *bin = make_bin(root);
    char list[1200];
    snprintf(list, sizeof list, "%s/programs.txt", root);
    write_file(list, "01-x greet\n01-x fake-server\n", 0600);
    return tk_run(NULL, 0, 40000, tk_program("check-lessons"), "--run", bin, "--programs",
                  list, root, NULL);
}

static const char *out_of(const struct tk_proc *p)
{
    return p->out_text != NULL ? p->out_text : "";
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

static void faithful_sample_passes(void)
{
    struct tk_proc *p = run_check("<!-- output -->\n```\n$ greet sockets\nhello, sockets\n"
                                  "$ greet two words\nhello, two words\n```\n");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "exit status for a faithful sample");
}

static void edited_sample_fails(void)
{
    struct tk_proc *p = run_check("text\n\n<!-- output -->\n```\n$ greet sockets\n"
                                  "hello, sockets\n$ greet again\nhello again\n```\n");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status for an edited sample");
    TK_ASSERT(strstr(out_of(p), "README.md:8:") != NULL &&
                  strstr(out_of(p), "hello, again") != NULL,
              "the problem should name line 8 and show what the program printed, got: %s",
              out_of(p));
}

static void sample_status_is_checked(void)
{
    struct tk_proc *p = run_check("<!-- output -->\n```\n$ greet --fail\n"
                                  "greet: failing as asked\n$ echo $?\n3\n```\n");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "exit status for a faithful status");
    p = run_check("<!-- output -->\n```\n$ greet --fail\n"
                  "greet: failing as asked\n$ echo $?\n0\n```\n");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status for a wrong status");
}

static void sample_with_server(void)
{
    /* The sample shows port 8080; the server says 5555.  The command is run
     * with 5555, and its output shown with 8080 again; the port of another
     * address is masked, and so is a time. */
    struct tk_proc *p = run_check("<!-- output: server fake-server 0 as 8080 -->\n```\n"
                                  "$ greet port 8080 from 127.0.0.1:40000 after 12 ms\n"
                                  "hello, port 8080 from 127.0.0.1:51515 after 7 ms\n```\n");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "exit status for a sample with a server");
    /* "$ SERVER &" in the block stands for the marker's server. */
    p = run_check("<!-- output: server fake-server 0 as 8080 -->\n```\n"
                  "$ fake-server 0 &\nlistening on 127.0.0.1:8080\n"
                  "$ greet 8080\nhello, 8080\n```\n");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "exit status for a sample that starts its server");
    p = run_check("<!-- output: server fake-server 0 as 8080 -->\n```\n"
                  "$ greet port 8080\nhello, port 8081\n```\n");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status for a wrong port");
}

static void sample_of_server_log(void)
{
    struct tk_proc *p = run_check("<!-- output: server fake-server 0 as 8080; run greet x; log -->\n"
                                  "```\nserving on port 8080\n```\n");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "exit status for a faithful server log");
    p = run_check("<!-- output: server fake-server 0 as 8080; log -->\n"
                  "```\nserving on port 8080\nand more\n```\n");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status for a server log with a line too many");
}

static void faithful_usage_passes(void)
{
    struct tk_proc *p = run_check("<!-- usage: greet -->\n```\nusage: greet WORD...\n```\n"
                                  "<!-- usage: fake-server -->\n```\nusage: fake-server PORT\n```\n");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "exit status for faithful usage texts");
}

static void drifted_usage_fails(void)
{
    struct tk_proc *p = run_check("<!-- usage: greet -->\n```\nusage: greet [-v] WORD...\n```\n"
                                  "<!-- usage: fake-server -->\n```\nusage: fake-server PORT\n```\n");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status for a drifted usage text");
}

static void missing_usage_fails(void)
{
    struct tk_proc *p = run_check("<!-- usage: greet -->\n```\nusage: greet WORD...\n```\n");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status for a program without a reference");
    TK_ASSERT(strstr(out_of(p), "no usage of fake-server") != NULL,
              "the problem should name fake-server, got: %s", out_of(p));
}

/* The first sample of a real lesson passes against the real programs, and
 * fails once one of its output lines is changed. */
static void edited_lesson_sample_fails(void)
{
    char lesson[1200];
    snprintf(lesson, sizeof lesson, "%s/chapters/01-tcp-echo/README.md", tk_program("root"));
    FILE *f = fopen(lesson, "r");
    TK_ASSERT(f != NULL, "cannot read %s", lesson);
    char line[4096], sample[16384] = "";
    bool in_sample = false;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "<!-- output", 11) == 0 && sample[0] == '\0')
            in_sample = true;
        if (in_sample)
            strncat(sample, line, sizeof sample - strlen(sample) - 1);
        if (in_sample && strncmp(line, "```", 3) == 0 && strchr(sample, '`') != strrchr(sample, '`')
            && strstr(strchr(sample, '`') + 3, "```") != NULL) {
            break;
        }
    }
    fclose(f);
    TK_ASSERT(sample[0] != '\0', "chapter 01's lesson has no output sample");

    const char *bin = tk_program("bin");
    struct tk_proc *p = tk_run(NULL, 0, 40000, tk_program("check-lessons"), "--run", bin,
                               make_tree(sample), NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "exit status for the lesson's own sample");

    /* Change the first letter of the last output line before the fence. */
    char *fence = strrchr(sample, '`') - 2;
    char *last = fence - 1;
    while (last > sample && last[-1] != '\n')
        last--;
    TK_ASSERT(*last != '$' && *last != '`', "the sample ends without output: %s", sample);
    *last = *last == 'X' ? 'Y' : 'X';
    p = tk_run(NULL, 0, 40000, tk_program("check-lessons"), "--run", bin, make_tree(sample),
               NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status for an edited sample of the lesson");
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"faithful-excerpt", faithful_excerpt_passes},
        {"drifted-excerpt", drifted_excerpt_fails},
        {"reordered-lines", reordered_lines_fail},
        {"missing-source", missing_source_fails},
        {"broken-link", broken_link_fails},
        {"faithful-sample", faithful_sample_passes},
        {"edited-sample", edited_sample_fails},
        {"sample-status", sample_status_is_checked},
        {"sample-with-server", sample_with_server},
        {"server-log", sample_of_server_log},
        {"faithful-usage", faithful_usage_passes},
        {"drifted-usage", drifted_usage_fails},
        {"missing-usage", missing_usage_fails},
        {"edited-lesson-sample", edited_lesson_sample_fails},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}

/* fuzz-replay.c - runs a fuzz target on saved inputs, once each, without
 * libFuzzer.
 *
 *   fuzz-chNN-NAME-replay PATH...
 *
 * A fuzz target is a function, LLVMFuzzerTestOneInput(data, size), that
 * must survive any input.  libFuzzer (clang only) calls it millions of
 * times with inputs it invents; this small main() calls it once for each
 * file named, or found in a directory named, so that the seed corpus and
 * every input that once found a bug are tried by the normal test suite,
 * with any compiler (and under the sanitizers of the sanitize preset).
 *
 * Each input is read into a buffer of exactly its size, so that a read
 * past its end is caught by AddressSanitizer as it would be under
 * libFuzzer.  A target reports a bug by crashing or calling abort(); this
 * program then dies with it, and the test fails.  Exits 0 after the last
 * input, 1 if a path cannot be read or no input was found.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path, off_t size)
{
    size_t len = (size_t)size;
    uint8_t *data = malloc(len > 0 ? len : 1);
    FILE *f = fopen(path, "rb");
    if (data == NULL || f == NULL || fread(data, 1, len, f) != len) {
        fprintf(stderr, "fuzz-replay: %s: %s\n", path, strerror(errno ? errno : EIO));
        if (f != NULL)
            fclose(f);
        free(data);
        return -1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 0;
}

/* A file, or every file of a directory (not its subdirectories, nor names
 * that start with a dot). */
static int replay_path(const char *path, unsigned long *count)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        fprintf(stderr, "fuzz-replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (S_ISREG(st.st_mode)) {
        ++*count;
        return replay_file(path, st.st_size);
    }
    if (!S_ISDIR(st.st_mode))
        return 0;
    DIR *dir = opendir(path);
    if (dir == NULL) {
        fprintf(stderr, "fuzz-replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    int status = 0;
    struct dirent *e;
    while (status == 0 && (e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char file[4096];
        int n = snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        if (n < 0 || (size_t)n >= sizeof file || stat(file, &st) < 0)
            continue;
        if (S_ISREG(st.st_mode)) {
            ++*count;
            status = replay_file(file, st.st_size);
        }
    }
    closedir(dir);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fputs("usage: fuzz-replay PATH...\n"
              "Runs the fuzz target once on each file named or in each directory named.\n",
              argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    unsigned long count = 0;
    for (int i = 1; i < argc; i++)
        if (replay_path(argv[i], &count) < 0)
            return 1;
    if (count == 0) {
        fprintf(stderr, "fuzz-replay: no input found\n");
        return 1;
    }
    printf("fuzz-replay: %lu input%s, no crash\n", count, count == 1 ? "" : "s");
    return 0;
}

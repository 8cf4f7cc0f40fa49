#!/usr/bin/env bash
# test-grade-class.sh - grades a small class of made-up learners with
# scripts/grade-class, in two shards merged afterwards, and checks the
# table cell by cell and that the machine is unharmed.
#
#   test-grade-class.sh COURSE_ROOT
#
# The class, built in a fresh temporary directory, chapter 01 only:
#   solved     the solutions (a git bundle)
#   starters   the untouched starters (a repository whose uncommitted
#              working tree holds the solutions: only HEAD counts)
#   cheat      starters, plus a graded test, CMake and the grader edited to
#              pass, and a starter replaced by a link to a system file
#   broken     solutions, but upper-server.c does not compile
#   hang       solutions, but stream-client never ends
# and, where the machine allows a sandbox (namespaces and cgroups):
#   forkbomb   starters, but stream-client forks without end
#   fixedport  solutions, but upper-server always listens on one fixed port
#   bigfile    starters, but stream-client fills /tmp, tries to write
#              outside its sandbox and to read the test that runs it
# Exit 0 when all is right, 1 when not, 77 when the sandboxed part could not
# run here (after the rest passed).
set -uo pipefail

course=$(cd "${1:?usage: test-grade-class.sh COURSE_ROOT}" && pwd)
command -v git >/dev/null || { echo "SKIP git is not installed"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-grade-class.XXXXXX") || exit 1
token=gc-$(basename "$tmp")
cleanup() {
    chmod -R u+w "$tmp" 2>/dev/null
    rm -rf "$tmp" /tmp/"$token"* /var/tmp/"$token"* /dev/shm/"$token"* "${HOME:-/nonexistent}/$token"* 2>/dev/null
}
trap cleanup EXIT

failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# ---- the teacher's checkout: this course, exercise 3 worth 2 points a test --------

teacher=$tmp/teacher
mkdir -p "$teacher"
(cd "$course" && tar -c --exclude=./build --exclude=./.git .) | tar -x -C "$teacher" || exit 1
ch01=$teacher/chapters/01-tcp-echo/CMakeLists.txt
sed -i 's/^\(course_test(DRIVER test-ch01-ex3 KIND graded EXERCISE 3\)$/\1 POINTS 2/' "$ch01"
grep -q 'EXERCISE 3 POINTS 2$' "$ch01" || { echo "FAIL cannot give exercise 3 points"; exit 1; }

sandboxed=1
"$teacher/scripts/grade-class" --check >"$tmp/check.txt" 2>&1 || sandboxed=0

# ---- the learners ------------------------------------------------------------------

class=$tmp/class
mkdir -p "$class"

# new_learner NAME solutions|exercises: a learner's tree, the course
# with exercises/ taken from the solutions or the starters.
new_learner() {
    local dir=$class/$1
    mkdir -p "$dir"
    cp -R "$teacher/." "$dir/"
    rm -rf "$dir/exercises"
    cp -R "$teacher/$2" "$dir/exercises"
}

# hostile NAME FILE C-CODE: FILE's main() first runs C-CODE (a function
# body of a function "hostile").
hostile() {
    local file=$class/$1/exercises/01-tcp-echo/$2
    sed -i 's/^int main(int argc, char \*\*argv)$/static int real_main(int argc, char **argv)/' "$file"
    cat >>"$file" <<EOF

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void hostile(void)
{
$3
}

int main(int argc, char **argv)
{
    hostile();
    return real_main(argc, argv);
}
EOF
}

git_commit() {
    git -C "$1" -c user.name=learner -c user.email=learner@example.org \
        commit -q -m work
}

new_learner solved solutions
git -C "$class/solved" init -q && git -C "$class/solved" add -A && git_commit "$class/solved"
git -C "$class/solved" bundle create -q "$class/solved.bundle" HEAD 2>/dev/null ||
    git -C "$class/solved" bundle create "$class/solved.bundle" HEAD >/dev/null 2>&1
rm -rf "$class/solved"

new_learner starters exercises
git -C "$class/starters" init -q && git -C "$class/starters" add -A && git_commit "$class/starters"
cp "$teacher"/solutions/01-tcp-echo/*.c "$class/starters/exercises/01-tcp-echo/"

new_learner cheat exercises
for t in "$class"/cheat/chapters/01-tcp-echo/tests/ex*.c; do
    printf 'int main(void) { return 0; }\n' >"$t"
done
sed -i 's/^course_test(DRIVER test-ch01-ex1 KIND graded/course_test(DRIVER test-ch01-ex1 KIND lesson/' \
    "$class/cheat/chapters/01-tcp-echo/CMakeLists.txt"
printf '#!/bin/sh\necho "score: 23/23"\n' >"$class/cheat/scripts/grade"
printf '#!/bin/sh\nexit 0\n' >"$class/cheat/scripts/grade-class"
printf 'add_test(NAME ch01.ex2.one-line COMMAND true)\n' >"$class/cheat/exercises/01-tcp-echo/CMakeLists.txt"
rm "$class/cheat/exercises/01-tcp-echo/lines.c"
ln -s /etc/hostname "$class/cheat/exercises/01-tcp-echo/lines.c"

new_learner broken solutions
printf 'this is not C;\n' >>"$class/broken/exercises/01-tcp-echo/upper-server.c"

new_learner hang solutions
hostile hang stream-client.c '    for (;;)
        pause();'

if [ "$sandboxed" -eq 1 ]; then
    new_learner forkbomb exercises
    hostile forkbomb stream-client.c '    for (;;)
        if (fork() == 0)
            for (;;)
                pause();'

    new_learner fixedport solutions
    sed -i 's/net_listen_or_exit("upper-server", host, argv\[argc - 1\]/net_listen_or_exit("upper-server", host, "47123"/' \
        "$class/fixedport/exercises/01-tcp-echo/upper-server.c"
    grep -q '"47123"' "$class/fixedport/exercises/01-tcp-echo/upper-server.c" ||
        { echo "FAIL cannot make the fixed-port learner"; exit 1; }

    new_learner bigfile exercises
    hostile bigfile stream-client.c "    static char block[1 << 16];
    const char *paths[] = {\"/tmp/$token-big\", \"/var/tmp/$token\", \"/dev/shm/$token\",
                           \"$teacher/$token\", \"$class/$token\", \"$token-in-cwd\"};
    signal(SIGXFSZ, SIG_IGN);
    for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
        FILE *f = fopen(paths[p], \"w\");
        if (f == NULL)
            continue;
        for (int i = 0; i < 16384; i++)
            if (fwrite(block, 1, sizeof block, f) != sizeof block)
                break;
        fclose(f);
    }
    const char *home = getenv(\"HOME\");
    char path[4096];
    snprintf(path, sizeof path, \"%s/$token\", home ? home : \"/\");
    FILE *f = fopen(path, \"w\");
    if (f != NULL)
        fclose(f);
    /* The test that started this program must not be open to it. */
    snprintf(path, sizeof path, \"/proc/%d/environ\", (int)getppid());
    int fd = open(path, O_RDONLY);
    fprintf(stderr, \"peek: %s\\n\", fd < 0 ? strerror(errno) : \"the test is open\");
    exit(1);"
fi

# ---- grading: two shards at once, as two CI runners would, then the merge ------

limits=(-c 01 -j 1 --time 400 --cpu 60 --memory 1024 --procs 64 --disk 64)
printf '%s\n' "$class/solved.bundle" "$class/starters" >"$tmp/list.txt"
learners=("$class/cheat" "$class/broken" "$class/hang")
[ "$sandboxed" -eq 1 ] &&
    learners+=("$class/forkbomb" "$class/fixedport" "$class/bigfile")

start=$SECONDS
graders=()
for shard in 1 2; do
    "$teacher/scripts/grade-class" "${limits[@]}" --shard "$shard/2" -o "$tmp/shard$shard" \
        -l "$tmp/list.txt" "${learners[@]}" >"$tmp/shard$shard.log" 2>&1 &
    graders+=($!)
done
status=0
wait %1 || status=1
wait %2 || status=1
echo "graded the class in $((SECONDS - start)) s"
if [ "$status" -ne 0 ]; then
    cat "$tmp"/shard*.log
    fail "grade-class exited with an error"
fi
"$teacher/scripts/grade-class" --merge -o "$tmp/merged" "$tmp/shard1" "$tmp/shard2" \
    >"$tmp/merged.log" 2>&1 || { cat "$tmp/merged.log"; fail "the merge failed"; }
cat "$tmp/merged.log"
csv=$tmp/merged/class.csv

# ---- the table, cell by cell ----------------------------------------------------------

# expect LEARNER EXERCISE RESULT [FIRST-FAILURE-PATTERN]: every test of that
# exercise has that result (and a first failure that matches the pattern).
expect() {
    local learner=$1 exercise=$2 result=$3 pattern=${4:-} rows row count=0
    rows=$(grep "^$learner,ch01,$exercise," "$csv")
    local want=5
    [ "$exercise" = ex2 ] && want=8
    while IFS= read -r row; do
        [ -n "$row" ] || continue
        count=$((count + 1))
        IFS=, read -r _ _ _ test got points message <<<"$row"
        message=${message#\"}
        [ "$got" = "$result" ] ||
            fail "$learner $exercise.$test: expected $result, got $got ($message)"
        local worth=1
        [ "$exercise" = ex3 ] && worth=2
        [ "$points" = "$worth" ] || fail "$learner $exercise.$test: worth $points, not $worth"
        case "$result" in
        pass) [ "$message" = '"' ] || [ -z "${message%\"}" ] ||
                  fail "$learner $exercise.$test: passed with a failure message: $message" ;;
        FAIL) [ -n "${message%\"}" ] || fail "$learner $exercise.$test: failed with no message"
              message=${message%\"}
              # shellcheck disable=SC2053
              [ -z "$pattern" ] || [[ "$message" == $pattern ]] ||
                  fail "$learner $exercise.$test: first failure '$message', expected '$pattern'" ;;
        esac
    done <<<"$rows"
    [ "$count" -eq "$want" ] || fail "$learner $exercise: $count tests in the table, expected $want"
}

# expect_total LEARNER "EARNED/MAX": the summary's total.
expect_total() {
    local line
    line=$(grep "^| $1 |" "$tmp/merged/summary.md")
    [ "$line" = "| $1 | $2 | $2 |" ] || fail "$1: summary line '$line', expected total $2"
}

for ex in ex1 ex2 ex3; do
    expect solved "$ex" pass
    expect starters "$ex" FAIL
    expect cheat "$ex" FAIL
done
expect_total solved 23/23
expect_total starters 0/23
expect_total cheat 0/23

expect broken ex1 pass
expect broken ex2 FAIL "does not compile: exercises/01-tcp-echo/upper-server.c:*: error: *"
expect broken ex3 pass
expect_total broken 15/23
[ -s "$tmp/merged/logs/broken.txt" ] && grep -q 'upper-server.c.*error' "$tmp/merged/logs/broken.txt" ||
    fail "broken: the compiler's errors are not in logs/broken.txt"

expect hang ex1 FAIL
expect hang ex2 pass
expect hang ex3 pass
expect_total hang 18/23

total=$(($(wc -l <"$csv") - 1))
if [ "$sandboxed" -eq 1 ]; then
    for ex in ex1 ex2 ex3; do
        expect forkbomb "$ex" FAIL
        expect fixedport "$ex" pass
    done
    expect bigfile ex1 FAIL
    # Where the test saw the program end, it saw it fail to read the test.
    grep -q '^bigfile,ch01,ex1,.*stderr: peek: Permission denied' "$csv" ||
        fail "bigfile: no test reports that reading the test was refused"
    grep -q 'the test is open' "$csv" && fail "bigfile: a learner's program could read its test"
    expect bigfile ex2 FAIL
    expect bigfile ex3 FAIL
    expect_total forkbomb 0/23
    expect_total fixedport 23/23
    expect_total bigfile 0/23
    [ "$total" -eq $((8 * 18)) ] || fail "class.csv has $total rows, expected $((8 * 18))"
else
    [ "$total" -eq $((5 * 18)) ] || fail "class.csv has $total rows, expected $((5 * 18))"
fi

# Each learner has a JUnit file that agrees with the table.
for learner in solved starters cheat broken hang; do
    xml=$tmp/merged/junit/$learner.xml
    [ -f "$xml" ] || { fail "no JUnit file for $learner"; continue; }
    [ "$(grep -c '<testcase ' "$xml")" -eq 18 ] || fail "$learner.xml: not 18 test cases"
    want=$(grep -c "^$learner,.*,FAIL," "$csv")
    grep -q "failures=\"$want\"" "$xml" || fail "$learner.xml: failures is not $want"
done

# ---- the machine, unharmed ----------------------------------------------------------------

left=$(pgrep -f -- "$tmp/shard[12]/" || true)
[ -z "$left" ] && left=$(pgrep -f -- "$tmp/shard[12]/" || true)
[ -z "$left" ] || fail "processes left behind: $(ps -o pid=,args= -p ${left//$'\n'/,})"
for f in /tmp/"$token"* /var/tmp/"$token"* /dev/shm/"$token"* "$teacher/$token" \
         "$class/$token" "${HOME:-/nonexistent}/$token"; do
    [ -e "$f" ] && fail "a learner wrote $f"
done
changed=$(find "$teacher" -newer "$tmp/list.txt" -not -type d)
[ -z "$changed" ] || fail "the teacher's checkout changed: $(head -n 3 <<<"$changed")"
for pid in "${graders[@]}"; do
    for group in /sys/fs/cgroup/*/grade-class."$pid" /sys/fs/cgroup/grade-class."$pid"; do
        [ -e "$group" ] && fail "a cgroup left behind: $group"
    done
done
if command -v ss >/dev/null; then
    listening=$(ss -ltnH 'sport = :47123')
    [ -z "$listening" ] || fail "something listens on port 47123 of this machine: $listening"
fi
for shard in 1 2; do
    [ -d "$tmp/shard$shard/.work" ] && fail "shard $shard left its work directory"
done

if [ "$failures" -gt 0 ]; then
    echo "$failures checks failed"
    exit 1
fi
if [ "$sandboxed" -eq 0 ]; then
    echo "SKIP the hostile learners need a sandbox this machine does not allow:"
    cat "$tmp/check.txt"
    exit 77
fi
echo "PASS the class is graded as expected, and the machine is unharmed"

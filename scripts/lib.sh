# lib.sh - shell helpers shared by the course's scripts (sourced, not run).

course_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
course_jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)

# Configures a preset's build tree if it has never been configured, then
# builds it.  Output is shown only if something fails.  Further arguments
# are modes:
#   keep-going  builds every target it can despite errors, shows just the
#               compiler's error lines, and still returns 1
#   progress    says on stderr what it is doing: a line when the tree is new
#               (the first build of a tree compiles the whole course), then
#               how far the build has come, every tenth of the way
build_preset() {
    local preset=$1 dir=$2 mode=" ${*:3} " log status
    log=$(mktemp)
    if [ ! -f "$dir/CMakeCache.txt" ]; then
        if [[ $mode == *" progress "* ]]; then
            echo "First build of $dir: configuring it, then compiling the whole course" \
                 "into it (every chapter's programs, the exercises and the tests)." \
                 "This takes a few minutes once; later runs rebuild only what changed." >&2
        fi
        if ! cmake --preset "$preset" >"$log" 2>&1; then
            cat "$log" >&2; rm -f "$log"; return 1
        fi
    fi
    local extra=()
    if [[ $mode == *" keep-going "* ]]; then
        if grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja' "$dir/CMakeCache.txt"; then
            extra=(-- -k 0)
        else
            extra=(-- -k)
        fi
    fi
    if [[ $mode == *" progress "* ]]; then
        cmake --build "$dir" -j "$course_jobs" "${extra[@]}" 2>&1 | tee "$log" |
            show_progress "building $dir" >&2
        status=${PIPESTATUS[0]}
    else
        cmake --build "$dir" -j "$course_jobs" "${extra[@]}" >"$log" 2>&1
        status=$?
    fi
    if [ "$status" -ne 0 ]; then
        if [[ $mode == *" keep-going "* ]]; then
            grep -E ': (fatal )?error:|undefined reference' "$log" | head -n 20 >&2
        else
            cat "$log" >&2
        fi
    fi
    rm -f "$log"
    return "$status"
}

# Reads the output of a build ("[ 45%] ..." from make, "[12/300] ..." from
# Ninja) or of CTest ("12/300 Test #..."), and prints "WHAT: N%" each time
# another tenth of the way is done.  Prints nothing when there is nothing to
# do.
show_progress() {
    awk -v what="$1" '
    {
        pct = -1
        if (match($0, /^\[ *[0-9]+%\]/)) {
            pct = substr($0, RSTART + 1, RLENGTH - 3) + 0
        } else if (match($0, /^ *\[?[0-9]+\/[0-9]+[] ]/)) {
            split(substr($0, RSTART, RLENGTH), n, /[^0-9]+/)
            i = (n[1] == "") ? 2 : 1
            if (n[i + 1] > 0) pct = int(100 * n[i] / n[i + 1])
        }
        if (pct >= 0 && (shown == "" || pct >= shown + 10 || (pct == 100 && shown < 100))) {
            printf "  %s: %d%%\n", what, pct
            fflush()
            shown = pct
        }
    }'
}

# Prints the whole failure message of one test from CTest's JUnit file: the
# test kit's "FAIL ..." line and every line after it in the test's output.
junit_message() {
    awk -v want="$2" '
    function unescape(s) {
        gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s); gsub(/&quot;/, "\"", s)
        gsub(/&apos;/, "\047", s); gsub(/&amp;/, "\\&", s); return s
    }
    /<testcase / {
        match($0, /name="[^"]*"/); name = substr($0, RSTART + 6, RLENGTH - 7)
        mine = (name == want); inout = 0; printing = 0
    }
    mine && /<system-out>/ { inout = 1 }
    mine && inout {
        line = unescape($0); sub(/.*<system-out>/, "", line)
        done = sub(/<\/system-out>.*/, "", line)
        if (line ~ /^FAIL /) printing = 1
        if (printing) text = text line "\n"
        if (done) inout = 0
    }
    END { sub(/\n+$/, "", text); if (text != "") print text }
    ' "$1"
}

# Turns CTest's JUnit file into one tab-separated line per test:
#   NAME <tab> pass|FAIL|skip <tab> first failure message
junit_results() {
    awk '
    function unescape(s) {
        gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s); gsub(/&quot;/, "\"", s)
        gsub(/&apos;/, "\047", s); gsub(/&amp;/, "\\&", s); return s
    }
    function finish() {
        if (name == "") return
        if (status == "run") result = "pass"
        else if (status == "notrun" || status == "disabled") result = "skip"
        else result = "FAIL"
        if (result == "FAIL" && first == "") first = (timeout ? "timed out" : "failed with no message")
        if (result != "FAIL") first = ""
        printf "%s\t%s\t%s\n", name, result, first
        name = ""
    }
    /<testcase / {
        finish()
        match($0, /name="[^"]*"/); name = substr($0, RSTART + 6, RLENGTH - 7)
        match($0, /status="[^"]*"/); status = substr($0, RSTART + 8, RLENGTH - 9)
        first = ""; timeout = 0; inout = 0
    }
    /<failure message="Timeout/ { timeout = 1 }
    /<system-out>/ { inout = 1 }
    inout && first == "" {
        line = unescape($0); sub(/.*<system-out>/, "", line)
        sub(/<\/system-out>.*/, "", line)
        if (line ~ /^(FAIL|SKIP) /) first = substr(line, 6)
    }
    /<\/system-out>/ { inout = 0 }
    END { finish() }
    ' "$1"
}

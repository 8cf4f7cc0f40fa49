# lib.sh - shell helpers shared by the course's scripts (sourced, not run).

course_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
course_jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)

# Configures a preset's build tree if it has never been configured, then
# builds it.  Output is shown only if something fails.  With a third
# argument "keep-going", builds every target it can despite errors, shows
# just the compiler's error lines, and still returns 1.
build_preset() {
    local preset=$1 dir=$2 mode=${3:-} log status
    log=$(mktemp)
    if [ ! -f "$dir/CMakeCache.txt" ]; then
        if ! cmake --preset "$preset" >"$log" 2>&1; then
            cat "$log" >&2; rm -f "$log"; return 1
        fi
    fi
    local extra=()
    if [ "$mode" = keep-going ]; then
        if grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja' "$dir/CMakeCache.txt"; then
            extra=(-- -k 0)
        else
            extra=(-- -k)
        fi
    fi
    cmake --build "$dir" -j "$course_jobs" "${extra[@]}" >"$log" 2>&1
    status=$?
    if [ "$status" -ne 0 ]; then
        if [ "$mode" = keep-going ]; then
            grep -E ': (fatal )?error:|undefined reference' "$log" | head -n 20 >&2
        else
            cat "$log" >&2
        fi
    fi
    rm -f "$log"
    return "$status"
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
        if (line ~ /^(FAIL|SKIP) /) first = substr(line, 6)
    }
    /<\/system-out>/ { inout = 0 }
    END { finish() }
    ' "$1"
}

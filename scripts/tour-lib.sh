# tour-lib.sh - what a chapter's tour.sh can use (sourced by scripts/tour).
#
#   say TEXT...              a line of narration
#   run CMD...               shows "$ CMD", runs it, fails the tour unless it exits 0
#   run_expect STATUS CMD... the same, but the command must exit with STATUS,
#                            which is shown too when it is not 0
#   run_input FILE CMD...    like run, with FILE as standard input ("$ CMD < FILE")
#   run_input_expect STATUS FILE CMD...
#   shell CMD                shows "$ CMD" and evals CMD in the tour's own shell
#                            (for exec, source and redirections); it must succeed
#   expect TEXT              the output of the last run must be exactly TEXT
#   expect_grep PATTERN      the output of the last run must match PATTERN
#   start_server CMD...      shows "$ CMD &", starts it, waits for its
#                            "listening on" line; sets PORT, SERVER_PID, SERVER_LOG
#   stop_server              SIGINT to the last server; it must exit 0
#
# Every command has a time limit, and whatever the tour started is killed
# when the chapter's subshell exits, however it exits.

set -o pipefail
export PATH="$course_root/build/bin:$PATH"
tour_tmp=$(mktemp -d)
tour_pids=()
LAST_OUTPUT=

tour_cleanup() {
    local pid
    for pid in "${tour_pids[@]}"; do
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    rm -rf "$tour_tmp"
}
trap tour_cleanup EXIT

tour_fail() {
    echo "tour: $*" >&2
    exit 1
}

tour_begin() {
    echo
    echo "=== chapter $1 ==="
}

say() {
    echo
    echo "# $*"
}

# Shows a command as a learner would type it, with build/bin on the PATH.
show_command() {
    local shown="" word background=""
    if [ "${!#}" = "&" ]; then
        background=" &"
        set -- "${@:1:$#-1}"
    fi
    for word in "$@"; do
        case "$word" in
        *[[:space:]\'\"\$\&\|\;\<\>\(\)\*\?]*|'') shown+=" '${word//\'/\'\\\'\'}'" ;;
        *) shown+=" $word" ;;
        esac
    done
    echo "\$${shown}${background}"
}

# True if this machine has an IPv6 loopback address (some containers do not).
have_ipv6_loopback() {
    grep -qs '^00000000000000000000000000000001 ' /proc/net/if_inet6
}

# Runs a command with stdin from $1 (or /dev/null), checks its status $2.
run_with_input() {
    local input=$1 want=$2 status
    shift 2
    LAST_OUTPUT=$(timeout 10 "$@" 2>&1 <"$input")
    status=$?
    [ -n "$LAST_OUTPUT" ] && printf '%s\n' "$LAST_OUTPUT"
    # A status the tour relies on is shown, as "echo $?" would show it.
    [ "$status" -ne 0 ] && echo "(exit status $status)"
    [ "$status" -eq "$want" ] ||
        tour_fail "'$1' exited with status $status, expected $want"
}

run_expect() {
    local want=$1
    shift
    show_command "$@"
    run_with_input /dev/null "$want" "$@"
}

run_input_expect() {
    local want=$1 input=$2
    shift 2
    echo "$(show_command "$@") < $input"
    run_with_input "$input" "$want" "$@"
}

run_input() {
    run_input_expect 0 "$@"
}

shell() {
    echo "\$ $1"
    eval "$1" || tour_fail "'$1' failed"
}

run() {
    run_expect 0 "$@"
}

expect() {
    [ "$LAST_OUTPUT" = "$1" ] || tour_fail "expected output '$1', got '$LAST_OUTPUT'"
}

expect_grep() {
    grep -qE -- "$1" <<<"$LAST_OUTPUT" || tour_fail "expected output matching '$1'"
}

# True while the process runs (a zombie waiting to be reaped does not count).
is_running() {
    local state
    state=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 1
    [ "$state" != Z ]
}

start_server() {
    show_command "$@" "&"
    SERVER_LOG="$tour_tmp/server-${#tour_pids[@]}.log"
    : >"$SERVER_LOG" # exists before the server does, for the loop below
    "$@" >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    tour_pids+=("$SERVER_PID")
    local line="" tries=0
    while [ $tries -lt 100 ]; do
        line=$(head -n 1 "$SERVER_LOG")
        case "$line" in "listening on "*) break ;; esac
        is_running "$SERVER_PID" || break
        sleep 0.05
        tries=$((tries + 1))
    done
    case "$line" in
    "listening on "*) echo "$line" ;;
    *) cat "$SERVER_LOG" >&2; tour_fail "server '$1' did not start listening" ;;
    esac
    PORT=${line##*:}
}

# The server's log so far, after its "listening on" line.
show_server_log() {
    echo "(server log)"
    tail -n +2 "$SERVER_LOG" | sed 's/^/  /'
}

stop_server() {
    local status tries=0
    show_command kill -INT "$SERVER_PID"
    kill -INT "$SERVER_PID" 2>/dev/null
    while is_running "$SERVER_PID" && [ $tries -lt 100 ]; do
        sleep 0.05
        tries=$((tries + 1))
    done
    is_running "$SERVER_PID" && kill -KILL "$SERVER_PID"
    wait "$SERVER_PID"
    status=$?
    [ "$status" -eq 0 ] || tour_fail "server exited with status $status after SIGINT"
}

#!/usr/bin/env bash
# Tests of the JUnit readers of scripts/lib.sh, which scripts/grade and
# scripts/check-starters rely on: one row per test with the first line of its
# failure, and the whole failure message on request, several lines included.
set -u
source "$(dirname "$0")/../lib.sh"
junit=$(mktemp)
trap 'rm -f "$junit"' EXIT
cat >"$junit" <<'XML'
<testsuite name="(empty)" tests="3">
	<testcase name="ch01.ex2.too-long-line" classname="x" time="0.01" status="fail">
		<failure message=""/>
		<system-out>noise before the failure
FAIL ex2.c:33: got 0 bytes &quot;&quot;, expected 21 &quot;error: line too long
&quot;
and &lt;more&gt; &amp; more
</system-out>
	</testcase>
	<testcase name="ch01.ex2.one-line" classname="x" time="0.01" status="fail">
		<failure message=""/>
		<system-out>FAIL ex2.c:40: one line only</system-out>
	</testcase>
	<testcase name="ch01.ex1.copies-text" classname="x" time="0.01" status="run">
		<system-out></system-out>
	</testcase>
</testsuite>
XML
failed=0
check() {
    if [ "$2" != "$3" ]; then
        printf 'FAIL %s:\n  expected: %s\n  got:      %s\n' "$1" "$3" "$2"
        failed=1
    fi
}
check "rows" "$(junit_results "$junit")" \
"ch01.ex2.too-long-line	FAIL	ex2.c:33: got 0 bytes \"\", expected 21 \"error: line too long
ch01.ex2.one-line	FAIL	ex2.c:40: one line only
ch01.ex1.copies-text	pass	"
check "whole message" "$(junit_message "$junit" ch01.ex2.too-long-line)" \
"FAIL ex2.c:33: got 0 bytes \"\", expected 21 \"error: line too long
\"
and <more> & more"
check "one-line message" "$(junit_message "$junit" ch01.ex2.one-line)" \
"FAIL ex2.c:40: one line only"
check "a passed test" "$(junit_message "$junit" ch01.ex1.copies-text)" ""
[ "$failed" -eq 0 ] && echo "junit readers: all checks passed"
exit "$failed"

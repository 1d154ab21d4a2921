#!/bin/sh
# test-summary.sh BUILDDIR - count the test points of the last `make check`
# (automake .trs files) and print "N passed, N failed, N skipped".
build=${1:-build}
find "$build" -name '*.trs' -exec cat {} + 2>/dev/null | awk '
	/^:test-result: (PASS|XFAIL)/ { pass++ }
	/^:test-result: (FAIL|XPASS|ERROR)/ { fail++ }
	/^:test-result: SKIP/ { skip++ }
	END { printf "%d passed, %d failed, %d skipped\n", pass, fail, skip }'

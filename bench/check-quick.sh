#!/bin/sh
# Run eshm-bench once in its short mode, to prove every measurement runs.
# Timings are never judged here: a slow machine passes, a crash does not.
builddir=${ESHM_TEST_BUILDDIR:-.}
echo "1..2"
# A measurement can miss its own time limits on a machine loaded by the
# rest of the suite (a sanitizer build, say): one rerun is allowed, and the
# first run's output stays in the log.  A family that cannot run twice fails.
for try in 1 2; do
	out=$("$builddir/bench/eshm-bench" --quick --eshmd "$builddir/daemon/eshmd" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed "s/^/# [run $try] /"
	[ $rc -eq 1 ] || break
done
if [ $rc -eq 0 ]; then
	echo "ok 1 - every benchmark family runs in quick mode"
else
	echo "not ok 1 - eshm-bench --quick exited with $rc"
fi
json=$("$builddir/bench/eshm-bench" --quick --json --only seqlock --eshmd "$builddir/daemon/eshmd" 2>/dev/null)
if printf '%s' "$json" | grep -q '"targets"' && printf '%s' "$json" | grep -q '"seqlock"'; then
	echo "ok 2 - --json prints the figures and the targets"
else
	echo "not ok 2 - --json output lacks figures or targets"
fi

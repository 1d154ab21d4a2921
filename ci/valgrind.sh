#!/bin/sh
# valgrind.sh SRCDIR WORKDIR - the daemon integration tests with every eshmd
# they start running under valgrind memcheck.  Passes when the tests pass
# and every eshmd that exited (SIGTERM, as tests end) reports zero errors
# and zero definitely, indirectly or possibly lost bytes.  An eshmd a test
# kills with SIGKILL on purpose leaves no summary and is counted apart.
#
# The tests find eshmd through $ESHM_TEST_BUILDDIR; this script points it
# at a mirror of the build folder whose daemon/eshmd starts valgrind.
# $VALGRIND_TESTS overrides the list (default: every test program that
# starts a private eshmd, except the fault campaigns and the two tests built
# around load and timing, test_recovery and test_stress_xproc, which a
# 20-50x slower eshmd turns into timeouts rather than findings).
set -u
. "$(dirname "$0")/lib.sh"
ci_init "$@"

ci_configure CC="${CC:-gcc}" CFLAGS="-g -O1" --enable-werror ||
	ci_build_failed "configure"
ci_make || ci_build_failed "build"

# The mirror: every entry of the build folder, daemon/eshmd replaced.
shim=$ci_work/shim
logs=$ci_work/logs
rm -rf "$shim" "$logs"
mkdir -p "$shim/daemon" "$logs"
for e in "$ci_build"/* "$ci_build"/.libs; do
	[ -e "$e" ] && [ "$(basename "$e")" != daemon ] && ln -s "$e" "$shim/"
done
for e in "$ci_build"/daemon/* "$ci_build"/daemon/.libs; do
	[ -e "$e" ] && [ "$(basename "$e")" != eshmd ] && ln -s "$e" "$shim/daemon/"
done
cat >"$shim/daemon/eshmd" <<EOS
#!/bin/sh
exec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=all \\
	--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \\
	--log-file=$logs/eshmd.%p.log "$ci_build/daemon/eshmd" "\$@"
EOS
chmod +x "$shim/daemon/eshmd"

tests=${VALGRIND_TESTS:-$(cd "$ci_src" && grep -l -E "th_daemon_start|th_group_setup" tests/test_*.c |
	grep -v -E 'test_fault_|test_recovery|test_stress_xproc' | sed 's/\.c$//' | tr '\n' ' ')}
# valgrind has no pidfd_open: eshmd under it falls back to /proc, hands out
# no pidfds, and the tests expect exactly that.
ci_check TESTS="$tests" \
	TESTS_ENVIRONMENT="ESHM_TEST_BUILDDIR='$shim'; export ESHM_TEST_BUILDDIR; \
ESHM_TEST_NO_PIDFD=1; export ESHM_TEST_NO_PIDFD;"

clean=0 killed=0
for log in "$logs"/eshmd.*.log; do
	[ -e "$log" ] || continue
	if ! grep -q 'ERROR SUMMARY:' "$log"; then
		killed=$((killed + 1))
	elif grep -q 'ERROR SUMMARY: 0 errors' "$log" &&
	     ! grep -E -q '(definitely|indirectly|possibly) lost: [1-9]' "$log"; then
		clean=$((clean + 1))
	else
		ci_bad "memcheck in $log"
		sed -n '/^==[0-9]*== [A-Z].*\(Invalid\|uninitialised\|lost in\)/,/^==[0-9]*== $/p' "$log" |
			head -60
	fi
done
if [ "$clean" -gt 0 ]; then
	ci_ok "$clean eshmd runs memcheck-clean (0 errors, 0 lost), $killed killed on purpose"
else
	ci_bad "no eshmd run under valgrind exited to report"
fi
ci_finish

#!/bin/sh
# tsan.sh SRCDIR WORKDIR - the seqlock stress tests and the client
# library's thread-safety test built with ThreadSanitizer (the library,
# libeshm-common and eshmd instrumented too), once with gcc and once with
# clang, each in its own build folder.  TSan sees only one process, so
# these tests run both sides of a channel as threads of one process.
# $TSAN_TESTS overrides the list (default: every test program whose name
# says channel, seqlock or thread_safety; the cross-process stress forks,
# which TSan does not follow).
set -u
. "$(dirname "$0")/lib.sh"
ci_init "$@"

top=$ci_work
for cc in ${TSAN_COMPILERS:-gcc clang}; do
	ci_work=$top/$cc
	ci_build=$ci_work/build
	mkdir -p "$ci_work"
	san="-fsanitize=thread"
	# gcc warns that TSan does not model atomic_thread_fence.  The
	# channel knows: under __SANITIZE_THREAD__ it annotates its copy with
	# __tsan_acquire/__tsan_release (docs/architecture.md), so that one
	# warning is not an error here; every other warning still is.
	nofence=""
	[ "$cc" = gcc ] && nofence="-Wno-tsan"
	if ! ci_configure CC="$cc" CFLAGS="-g -O1 $san $nofence" LDFLAGS="$san" --enable-werror ||
	   ! ci_make; then
		ci_bad "build with $cc -fsanitize=thread"
		continue
	fi
	tests=${TSAN_TESTS:-$(cd "$ci_src" && ls tests/test_*.c | grep -E 'channel|seqlock|thread_safety' |
		sed 's/\.c$//' | tr '\n' ' ')}
	if [ -z "$tests" ]; then
		ci_bad "no seqlock stress test found for $cc"
		continue
	fi
	# halt_on_error: the first race is a failure of the test that ran it.
	# Address randomisation off: TSan's shadow layout of this toolchain
	# does not fit every mapping the kernel may choose.
	TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
	export TSAN_OPTIONS
	ci_check TESTS="$tests" \
		LOG_COMPILER="timeout -k 10 ${CI_TEST_TIMEOUT:-300} setarch $(uname -m) -R $ci_skip_tap"
done
ci_finish

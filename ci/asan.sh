#!/bin/sh
# asan.sh SRCDIR WORKDIR - the whole test suite built with AddressSanitizer
# and UndefinedBehaviorSanitizer (gcc unless $CC says otherwise), warnings as
# errors.  Any sanitizer report aborts the process that made it, so the test
# that ran it fails.  The fault tests run their short `make check` sizes.
set -u
. "$(dirname "$0")/lib.sh"
ci_init "$@"

cc=${CC:-gcc}
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
ci_configure CC="$cc" CFLAGS="-g -O1 $san" LDFLAGS="$san" --enable-werror ||
	ci_build_failed "configure with $cc and sanitizers"
ci_make || ci_build_failed "build with $cc and sanitizers"

# A bounded quarantine keeps eshmd's resident size meaningful for the
# churn test's leak check; leaks themselves are LeakSanitizer's job.
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:quarantine_size_mb=16:detect_stack_use_after_return=0"
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS UBSAN_OPTIONS
ci_check
ci_finish

#!/bin/sh
# faults.sh SRCDIR WORKDIR - the full-size fault campaigns (their short
# versions run in `make check`):
#
#   ESHM_FAULT_KILLS=1000     writer SIGKILLed at random moments
#   ESHM_FAULT_RESTARTS=20    eshmd SIGKILLed under traffic and restarted
#   ESHM_FAULT_LOAD_S=60      stale detection under full CPU load, 100 ms
#   ESHM_FAULT_CHURN=10000    attach/detach cycles with random kills
#
# then a threshold sweep under the same load ($FAULT_SWEEP ms, default
# "50 30 20 10", $FAULT_SWEEP_S seconds each, default 20) that reports the
# false verdicts at each threshold without failing on them: its figures go
# in docs/RELIABILITY.md.  Every size can be overridden from the
# environment.  About 4 minutes on a 2-core machine.
set -u
. "$(dirname "$0")/lib.sh"
ci_init "$@"

ci_configure CC="${CC:-gcc}" CFLAGS="-g -O2" --enable-werror || ci_build_failed "configure"
ci_make || ci_build_failed "build"

ESHM_FAULT_KILLS=${ESHM_FAULT_KILLS:-1000}
ESHM_FAULT_RESTARTS=${ESHM_FAULT_RESTARTS:-20}
ESHM_FAULT_LOAD_S=${ESHM_FAULT_LOAD_S:-60}
ESHM_FAULT_CHURN=${ESHM_FAULT_CHURN:-10000}
export ESHM_FAULT_KILLS ESHM_FAULT_RESTARTS ESHM_FAULT_LOAD_S ESHM_FAULT_CHURN
ci_check TESTS="tests/test_fault_writer_kill tests/test_fault_daemon_restart \
tests/test_fault_stale_load tests/test_fault_churn"
grep -h '^# [0-9]' "$ci_build"/tests/test_fault_*.log

# The sweep runs the test binary directly: a failing threshold is a
# figure, not a failure.
for ms in ${FAULT_SWEEP:-50 30 20 10}; do
	log=$ci_work/sweep_$ms.log
	if CMOCKA_MESSAGE_OUTPUT=TAP ESHM_TEST_BUILDDIR=$ci_build ESHM_FAULT_REPORT_ONLY=1 \
	   ESHM_FAULT_THRESHOLD_MS=$ms ESHM_FAULT_LOAD_S=${FAULT_SWEEP_S:-20} \
	   "$ci_build/tests/test_fault_stale_load" >"$log" 2>&1; then
		ci_ok "sweep $(grep '^# [0-9]' "$log" | sed 's/^# //')"
	else
		cat "$log"
		ci_bad "sweep at $ms ms did not run to the end"
	fi
done
ci_finish

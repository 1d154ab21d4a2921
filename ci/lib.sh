# lib.sh - sourced by the campaign scripts in ci/: argument handling,
# an out-of-tree build per campaign, and the closing "N passed, N failed".
#
# Every campaign is called as  SCRIPT SRCDIR WORKDIR  and builds in
# WORKDIR/<campaign>/build, never in SRCDIR.

ci_name=$(basename "$0" .sh)
ci_pass=0
ci_fail=0
ci_start=$(date +%s)

ci_usage() {
	echo "usage: $0 SRCDIR WORKDIR" >&2
	exit 2
}

# ci_init SRCDIR WORKDIR: absolute paths in $ci_src, $ci_work, $ci_build;
# $ci_skip_tap, the suite's LOG_COMPILER.
ci_init() {
	[ $# -ge 2 ] || ci_usage
	ci_src=$(cd "$1" && pwd) || ci_usage
	mkdir -p "$2/$ci_name" || exit 2
	ci_work=$(cd "$2/$ci_name" && pwd)
	ci_build=$ci_work/build
	ci_skip_tap="/bin/sh $ci_src/tests/tap-skip.sh"
	ci_jobs=$(nproc 2>/dev/null || echo 2)
	case "$ci_build" in
	"$ci_src"|"$ci_src"/*)
		# A build below the source tree is still out of tree, but a
		# campaign must never write into the source folder itself.
		[ "$ci_build" != "$ci_src" ] || ci_usage ;;
	esac
}

ci_log() {
	printf '%s: [%ds] %s\n' "$ci_name" "$(($(date +%s) - ci_start))" "$*"
}

# ci_configure [configure arguments and VAR=value]: configure in $ci_build.
# The generated configure script is made only if the tree has none.
ci_configure() {
	if [ ! -x "$ci_src/configure" ]; then
		ci_log "autoreconf (no configure in the source tree)"
		(cd "$ci_src" && autoreconf -fi) >"$ci_work/autoreconf.log" 2>&1 || {
			tail -20 "$ci_work/autoreconf.log"; return 1; }
	fi
	rm -rf "$ci_build"
	mkdir -p "$ci_build"
	ci_log "configure $*"
	(cd "$ci_build" && "$ci_src/configure" -q "$@") >"$ci_work/configure.log" 2>&1 || {
		tail -30 "$ci_work/configure.log"; return 1; }
}

# ci_make [targets]: build in $ci_build; the log is kept in $ci_work.
ci_make() {
	ci_log "make $*"
	make -C "$ci_build" -j"$ci_jobs" "$@" >"$ci_work/make.log" 2>&1 || {
		grep -E 'error|warning' "$ci_work/make.log" | head -40
		tail -20 "$ci_work/make.log"
		return 1
	}
}

# ci_check [make variables]: run `make check` and add its test points from
# the .trs files to the counts.  Failing logs are printed.  A test program
# that runs longer than $CI_TEST_TIMEOUT seconds (300) is killed and fails
# instead of eating the campaign's time; a LOG_COMPILER given by the caller
# must do the same, ending with $ci_skip_tap (the suite's own LOG_COMPILER,
# which passes cmocka's skips on as TAP's).
ci_check() {
	rc=0
	ci_log "make check $*"
	find "$ci_build" -name '*.trs' -delete 2>/dev/null
	make -C "$ci_build" -j"$ci_jobs" check \
		LOG_COMPILER="timeout -k 10 ${CI_TEST_TIMEOUT:-300} $ci_skip_tap" "$@" \
		>"$ci_work/check.log" 2>&1 || rc=$?
	counts=$("$ci_src/ci/test-summary.sh" "$ci_build")
	p=$(echo "$counts" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
	f=$(echo "$counts" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	ci_pass=$((ci_pass + ${p:-0}))
	ci_fail=$((ci_fail + ${f:-0}))
	for trs in $(grep -l -E ':test-result: (FAIL|ERROR|XPASS)' $(find "$ci_build" -name '*.trs') 2>/dev/null); do
		log=${trs%.trs}.log
		echo "---- $log"
		tail -40 "$log"
	done
	if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
		# make itself failed (a build error, a crashed test binary
		# without a result line): count it, never let it pass silently.
		tail -30 "$ci_work/check.log"
		ci_fail=$((ci_fail + 1))
	fi
	ci_log "$counts"
}

ci_ok() { ci_pass=$((ci_pass + 1)); ci_log "ok: $*"; }
ci_bad() { ci_fail=$((ci_fail + 1)); ci_log "FAILED: $*"; }

# ci_finish: the closing line, and the exit status.
ci_finish() {
	ci_log "done in $(($(date +%s) - ci_start)) s"
	echo "$ci_pass passed, $ci_fail failed"
	[ "$ci_fail" -eq 0 ] && [ "$ci_pass" -gt 0 ]
}

# ci_build_failed WHAT: a build that did not finish counts as one failure.
ci_build_failed() {
	ci_bad "$1"
	ci_finish
	exit 1
}

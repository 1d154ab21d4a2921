# shellcheck shell=sh
# vm-lib.sh - sourced by the checks that run inside the test machines
# (vm-checks.sh, vm-package-checks.sh): TAP output, bounded waits and the
# progress of an eshm-pingpong client, whose file the checks name in
# $progress.  The checks end with vm_finish.
PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
failed=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); echo "not ok $n - $1"; failed=1; [ $# -gt 1 ] && echo "$2" | sed 's/^/# /'; }
check() { desc=$1; shift; if out=$("$@" 2>&1); then ok "$desc"; else fail "$desc" "$out"; fi; }
# Round trips eshm-pingpong reported so far in $progress.
# shellcheck disable=SC2154
trips() { sed -n 's/^round_trips=\([0-9]*\).*/\1/p' "$progress" 2>/dev/null || echo 0; }
# Wait up to $1 seconds for the command to succeed.
wait_for() { t=$(($1 * 10)); shift; while ! "$@" >/dev/null 2>&1; do t=$((t - 1)); [ $t -gt 0 ] || return 1; sleep 0.1; done; }
trips_above() { [ "$(trips)" -gt "$1" ]; }
# The round trips rise by at least one while $1 seconds pass.
flowing() { before=$(trips); sleep "$1"; [ "$(trips)" -gt "$before" ] || { echo "round trips stuck at $before"; return 1; }; }
main_pid() { systemctl show -P MainPID eshmd.service; }

# Stop the eshm-pingpong of pid $1, whose output is the file $2, and check
# (described as $3) that it exchanged messages throughout: a gap of seconds
# would mean the data path waited for eshmd somewhere.
pingpong_stop()
{
	kill -TERM "$1"
	wait "$1"
	pp_rc=$?
	summary=$(cat "$2")
	echo "# eshm-pingpong: $summary"
	check "$3" sh -c \
	    "[ $pp_rc -eq 0 ] && echo '$summary' | grep -q '^round_trips=[1-9][0-9]* longest_gap_ms=[0-2]\?[0-9]\{1,3\}\$'"
}

# The last lines: eshmd's journal if a check failed, then "RESULT PASS" or
# "RESULT FAIL".
vm_finish()
{
	if [ $failed -ne 0 ]; then
		echo "# --- journal of eshmd"
		journalctl -b -u eshmd.service -u eshmd.socket --no-pager 2>&1 | tail -60 | sed 's/^/# /'
		echo "RESULT FAIL"
	else
		echo "RESULT PASS"
	fi
}

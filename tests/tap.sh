# tap.sh - sourced by the shell tests: a private temporary folder and
# shared-memory prefix, cleanup of the process the test started, and TAP
# output.
#
#   tap_init TAG     sets $tmp and $prefix, removes both (and stops
#                    $daemon_pid if set) when the test exits
#   ok DESC          a passing test point
#   fail DESC [WHY]  a failing one; WHY, else $tmp/out, as TAP comments
#   check DESC CMD   runs CMD with its output in $tmp/out: ok or fail
#   skip WHY         a skipped test point

tap_n=0
daemon_pid=

tap_cleanup()
{
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	rm -f /dev/shm/"$prefix"*
	rm -rf "$tmp"
}

tap_init()
{
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/eshm-$1.XXXXXX") || exit 1
	prefix="eshmt.$1.$$."
	trap tap_cleanup EXIT
	trap 'exit 1' INT TERM
}

ok()
{
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1"
}

fail()
{
	tap_n=$((tap_n + 1))
	echo "not ok $tap_n - $1"
	if [ $# -gt 1 ]; then
		echo "$2" | sed 's/^/# /'
	elif [ -f "$tmp/out" ]; then
		sed 's/^/# /' "$tmp/out"
	fi
}

check()
{
	desc=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then ok "$desc"; else fail "$desc"; fi
}

skip()
{
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $1"
}

#!/bin/sh
# demo.sh BUILDDIR - the main job: a private eshmd on a private socket, a
# master and a slave exchanging messages; the slave is paused (SIGSTOP), the
# master sees it flagged stale, then it resumes and recovers.
set -eu
build=${1:-build}
dir=$(mktemp -d /tmp/eshm-demo.XXXXXX)
prefix="eshmdemo.$$."
export ESHM_SOCKET="$dir/eshmd.sock"
cleanup() {
	[ -n "${slave:-}" ] && kill -CONT "$slave" 2>/dev/null || true
	[ -n "${eshmd:-}" ] && kill "$eshmd" 2>/dev/null && wait "$eshmd" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

"$build/daemon/eshmd" --socket "$ESHM_SOCKET" --shm-prefix "$prefix" --config /dev/null &
eshmd=$!
i=0
while [ ! -S "$ESHM_SOCKET" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "eshmd did not start" >&2; exit 1; }
	sleep 0.05
done
echo "eshmd (pid $eshmd) listening on $ESHM_SOCKET, segments in /dev/shm/${prefix}*"

"$build/examples/eshm-demo" slave demo 6 &
slave=$!
sleep 0.2
"$build/examples/eshm-demo" master demo 5 &
master=$!
sleep 2
echo "        -- pausing the slave (kill -STOP $slave) --"
kill -STOP "$slave"
sleep 1
echo "        -- resuming the slave (kill -CONT $slave) --"
kill -CONT "$slave"
wait "$master"
wait "$slave"
echo "demo finished: master and slave detached; eshmd cleans up on exit"

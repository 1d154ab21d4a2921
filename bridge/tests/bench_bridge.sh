#!/bin/sh
# bench_bridge.sh - what eshm-bridge adds to a round trip between two hosts
# (docs/bridge.md, "What a bridge costs"): two network namespaces joined by
# a veth pair, and in the same run, over the same link and with the same
# Cyclone DDS settings,
#   1. a plain Cyclone DDS ping-pong (brg-ddsping): the floor;
#   2. a master in A and a slave in B pinging through their segments and
#      two bridges (brg-peer pingpong).
# Run by "make bench" (as root; else it says why not and exits 0).
# $BENCH_BRIDGE_COUNT round trips (default 5000) of $BENCH_BRIDGE_SIZE bytes
# (default 256).
set -u
builddir=${ESHM_TEST_BUILDDIR:?set ESHM_TEST_BUILDDIR to the build folder}
srcdir=${ESHM_TEST_SRCDIR:?set ESHM_TEST_SRCDIR to the source folder}
count=${BENCH_BRIDGE_COUNT:-5000}
size=${BENCH_BRIDGE_SIZE:-256}

. "$srcdir/tests/tap.sh"
. "$srcdir/bridge/tests/brg_lib.sh"
brg_can_run
tap_init bridge-bench
trap brg_cleanup EXIT
brg_hosts
brg_link || { echo "bench_bridge: cannot join the namespaces"; exit 1; }
brg_eshmds || { echo "bench_bridge: no eshmd"; exit 1; }
ping=$builddir/bridge/tests/brg-ddsping
peer=$builddir/bridge/tests/brg-peer

# stats LABEL FILE: the line of FILE that brg-ddsping or brg-peer printed.
stats()
{
	line=$(grep '^round trip over' "$2") || { echo "bench_bridge: $1 failed:"; cat "$2"; exit 1; }
	med=$(echo "$line" | sed -n 's/.*median \([0-9]*\) us.*/\1/p')
	p99=$(echo "$line" | sed -n 's/.*p99 \([0-9]*\) us.*/\1/p')
	max=$(echo "$line" | sed -n 's/.*max \([0-9]*\) us.*/\1/p')
	printf '%-44s %8s %8s %8s\n' "$1" "$med" "$p99" "$max"
}

in_ns B "$tmp/B/pong.out" "$ping" pong "$vB" "$addrA"
pong=$last
in_ns A "$tmp/A/ping.out" "$ping" ping "$vA" "$addrB" "$count" "$size"
wait "$last"
kill -TERM "$pong"
wait "$pong" 2>/dev/null

for side in A B; do
	brg_conf "$side" bench.lat latest lat
	brg_start "$side" lat 1
done
for log in "$bridge_A_lat_log" "$bridge_B_lat_log"; do
	wait_for "$log" 0 "reports the (master|slave)" 20000 >/dev/null ||
		{ echo "bench_bridge: the bridges did not meet"; cat "$log"; exit 1; }
done
in_ns B "$tmp/B/slave.out" "$peer" pingpong slave bench.lat "$count" "$size"
slave=$last
in_ns A "$tmp/A/master.out" "$peer" pingpong master bench.lat "$count" "$size"
wait "$last"
wait "$slave"

echo "eshm-bridge: round trips between two network namespaces over a veth pair,"
echo "$count of $size bytes each way, in us (first round trip left out)"
printf '%-44s %8s %8s %8s\n' "" median p99 max
stats "Cyclone DDS ping-pong (the floor)" "$tmp/A/ping.out"
floor=$med
stats "eshm master and slave through two bridges" "$tmp/A/master.out"
echo "the bridges add $((med - floor)) us to the median round trip (two segments and two bridges each way)"

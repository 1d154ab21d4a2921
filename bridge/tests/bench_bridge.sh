#!/bin/sh
# bench_bridge.sh - what eshm-bridge adds to a round trip between two hosts
# (docs/bridge.md, "What a bridge costs"): two network namespaces joined by
# a veth pair, and in the same run, over the same link and with the same
# Cyclone DDS settings,
#   1. a plain Cyclone DDS ping-pong (brg-ddsping): the floor;
#   2. a master in A and a slave in B pinging through their segments and
#      two bridges (brg-peer pingpong).
# The two are measured in $BENCH_BRIDGE_BLOCKS alternating blocks (default
# 5) and the ratio is the median of the per-block ratios: the host moves
# its virtual CPUs between phases, and a floor measured minutes apart
# from the row it divides says little.
# Run by "make bench" (as root; else it says why not and exits 0).
# $BENCH_BRIDGE_COUNT round trips (default 5000) of $BENCH_BRIDGE_SIZE bytes
# (default 256) each.
set -u
builddir=${ESHM_TEST_BUILDDIR:?set ESHM_TEST_BUILDDIR to the build folder}
srcdir=${ESHM_TEST_SRCDIR:?set ESHM_TEST_SRCDIR to the source folder}
count=${BENCH_BRIDGE_COUNT:-5000}
size=${BENCH_BRIDGE_SIZE:-256}
blocks=${BENCH_BRIDGE_BLOCKS:-5}
per=$((count / blocks))

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

# median FILE PREFIX: the median (us) on the line of FILE that starts
# with PREFIX "round trip over".
median()
{
	grep "^$2round trip over" "$1" | sed -n 's/.*median \([0-9]*\) us.*/\1/p'
}

in_ns B "$tmp/B/pong.out" "$ping" pong "$vB" "$addrA"
pong=$last

for side in A B; do
	brg_conf "$side" bench.lat latest lat
	brg_start "$side" lat 1
done
for log in "$bridge_A_lat_log" "$bridge_B_lat_log"; do
	wait_for "$log" 0 "reports the (master|slave)" 20000 >/dev/null ||
		{ echo "bench_bridge: the bridges did not meet"; cat "$log"; exit 1; }
done
# The master waits on one FIFO before each block and says on the other
# when it is done: nothing polls while a block runs.
go=$tmp/go
done=$tmp/done
mkfifo "$go" "$done" && exec 7<>"$go" 8<>"$done" || { echo "bench_bridge: no FIFO"; exit 1; }
in_ns B "$tmp/B/slave.out" "$peer" pingpong slave bench.lat "$((per * blocks))" "$size"
slave=$last
in_ns A "$tmp/A/master.out" "$peer" pingpong master bench.lat "$((per * blocks))" "$size" \
	"$blocks" "$go" "$done"
master=$last

echo "eshm-bridge: round trips between two network namespaces over a veth pair,"
echo "$blocks alternating blocks of $per of $size bytes each way, in us"
echo "(median of each block; its first round trip left out)"
printf '%-6s %12s %16s %8s\n' block "Cyclone DDS" "through bridges" ratio
ratios=""
k=1
while [ "$k" -le "$blocks" ]; do
	in_ns A "$tmp/A/ping.out" "$ping" ping "$vA" "$addrB" "$((per + 1))" "$size"
	wait "$last" || { echo "bench_bridge: the DDS ping-pong failed:"; cat "$tmp/A/ping.out"; exit 1; }
	floor=$(median "$tmp/A/ping.out" "")
	printf x >&7
	timeout 120 head -n 1 <&8 >/dev/null && grep -q "^block $k: round trip" "$tmp/A/master.out" ||
		{ echo "bench_bridge: block $k through the bridges failed:"; cat "$tmp/A/master.out"; exit 1; }
	bridged=$(median "$tmp/A/master.out" "block $k: ")
	ratio=$(awk -v b="$bridged" -v f="$floor" 'BEGIN { printf "%.2f", b / f }')
	printf '%-6s %12s %16s %7sx\n' "$k" "$floor" "$bridged" "$ratio"
	ratios="$ratios $ratio"
	k=$((k + 1))
done
wait "$master" || { echo "bench_bridge: the master failed:"; cat "$tmp/A/master.out"; exit 1; }
wait "$slave"
kill -TERM "$pong"
wait "$pong" 2>/dev/null
verdict=$(echo "$ratios" | tr ' ' '\n' | sed '/^$/d' | sort -n |
	awk '{ r[NR] = $1 } END { m = r[int((NR + 1) / 2)]; printf "%.2fx: %s", m, m <= 2 ? "met" : "missed" }')
echo "through two bridges / plain Cyclone DDS, median of the per-block ratios: $verdict (target <= 2x)"

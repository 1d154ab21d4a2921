#!/bin/sh
# test_bridge_netns.sh - eshm-bridge between two hosts, made of two network
# namespaces joined by a veth pair: a private eshmd and two bridges in each
# (a latest-value segment and a queue segment), a master in A and a slave
# in B that exchange checksummed messages through them; then the faults a
# bridge must report on the other side, each within its bound:
#
#   the remote program  SIGSTOP -> stale, SIGCONT -> alive, SIGKILL -> dead
#   the remote bridge   kill -9 -> stale (lease) then dead (dead_after);
#                       restarted -> alive; SIGTERM -> detached
#   the link            ip link set down -> stale then dead on both sides;
#                       up -> alive
#
# What the other side concludes is read twice: in the bridge's log (what it
# declared), and, where eshmd takes PROXY declarations, by a local program
# (eshm_check_remote_alive()) and by "eshmctl show --json".
#
# Needs root (ip netns); otherwise skipped.  Timing bounds leave room for a
# loaded two-core machine; the latencies measured are printed as comments.
set -u
builddir=${ESHM_TEST_BUILDDIR:?run by make check}
srcdir=${ESHM_TEST_SRCDIR:?run by make check}

. "$srcdir/tests/tap.sh"
. "$srcdir/bridge/tests/brg_lib.sh"
brg_can_run
command -v python3 >/dev/null 2>&1 || brg_skip "no python3 to read eshmctl's JSON"
tap_init bridge
trap brg_cleanup EXIT

peer=$builddir/bridge/tests/brg-peer
eshmctl=$builddir/ctl/eshmctl
LAT=brt.lat_1
QUE=brt-q.2
# The bounds checked (ms).  The bridges' own parts are the threshold of
# the remote program (100 ms), the lease and dead_after; the rest is
# room for a loaded machine.
BOUND_FAST=1500
BOUND_STALE=$((LEASE + 1500))
BOUND_DEAD=$((DEAD + 2000))
BOUND_BACK=15000
proxy=no

# latency DESC T0 T BOUND [MIN]: a test point that T - T0 is within MIN..BOUND.
latency()
{
	lat=$(($3 - $2))
	echo "# $1: ${lat} ms"
	if [ "$lat" -le "$4" ] && [ "$lat" -ge "${5:-0}" ]; then
		ok "$1 within ${5:-0}..$4 ms (${lat} ms)"
	else
		fail "$1 within ${5:-0}..$4 ms" "took ${lat} ms"
	fi
}

# seen DESC FILE FROM REGEX T0 BOUND [MIN]: REGEX comes in FILE within BOUND of T0.
seen()
{
	if t=$(wait_for "$2" "$3" "$4" "$(($6 + 3000))"); then
		latency "$1" "$5" "$t" "$6" "${7:-0}"
	else
		fail "$1" "not seen in $2 within $(($6 + 3000)) ms: $(tail -n 5 "$2")"
	fi
}

# remote_is SIDE STATE DESC T0 BOUND [MIN]: the bridge of SIDE on the
# latest-value segment declares the remote STATE; where eshmd takes PROXY,
# the local program sees it too.
remote_is()
{
	eval "rl=\$bridge_$1_lat_log; rf=\$mark_$1_log; hf=$tmp/$1/hold.out; hm=\$mark_$1_hold"
	# The log has no times of its own: it is polled, and a starved shell
	# polls late.  Where the program's view, timed by itself, is there to
	# check the bound, the log only has to say it, in a while.
	rb=$5
	[ "$proxy" = yes ] && rb=$(($5 + 20000))
	seen "$3: the bridge in $1 declares $2" "$rl" "$rf" "remote .* is $2\$" "$4" "$rb" "${6:-0}"
	if [ "$proxy" = yes ]; then
		seen "$3: the program in $1 sees its remote $2" "$hf" "$hm" "^[0-9]+ $2 " \
			"$4" "$5" "${6:-0}"
	else
		skip "$3: the program in $1 sees it (eshmd takes no PROXY)"
	fi
}

# mark: remember where the logs are, so the next checks read only what follows.
mark()
{
	mark_A_log=$(lines "$bridge_A_lat_log")
	mark_B_log=$(lines "$bridge_B_lat_log")
	mark_A_hold=$(lines "$tmp/A/hold.out")
	mark_B_hold=$(lines "$tmp/B/hold.out")
}

show_json()
{
	ESHM_SOCKET=$tmp/$1/eshmd.sock ip netns exec "$(eval echo \$ns$1)" \
		"$eshmctl" show "$LAT" --json
}

# --- the two hosts
brg_hosts
check "two namespaces joined by a veth pair ($addrA - $addrB)" brg_link
check "a private eshmd in each namespace" brg_eshmds

for side in A B; do
	brg_conf "$side" "$LAT" latest lat
	brg_conf "$side" "$QUE" queue que
	brg_start "$side" lat 1
	brg_start "$side" que 1
done
bridges_meet()
{
	for log in "$bridge_A_lat_log" "$bridge_B_lat_log" "$bridge_A_que_log" "$bridge_B_que_log"; do
		wait_for "$log" 0 "reports the (master|slave)" 20000 >/dev/null ||
			{ echo "$log:"; cat "$log"; return 1; }
	done
}
check "the four bridges find each other over the veth only" bridges_meet

# --- messages: 10,000 each way on the queue, held back mid-way; 1,000
# round trips on the latest-value segment
t0=$(now_ms)
in_ns A "$tmp/A/stream.out" "$peer" stream master "$QUE" 10000
stream_A=$last
# The slave stops reading for 2 s after message 3000: its queue fills,
# the bridges hold the messages back, the master waits for room; nothing
# may be lost.
in_ns B "$tmp/B/stream.out" "$peer" stream slave "$QUE" 10000 3000
stream_B=$last
brg_pingpong "$LAT" 1000
check "the queue: 10,000 checksummed messages each way, in order, none lost though the slave stopped reading for 2 s" \
	brg_finished "$stream_A" "$stream_B"
cat "$tmp/A/stream.out" "$tmp/B/stream.out" | sed 's/^/# /'
check "the latest-value segment: 1,000 checksummed round trips" brg_finished "$ping_A" "$ping_B"
cat "$tmp/A/pingpong.out" "$tmp/B/pingpong.out" | sed 's/^/# /'
echo "# the exchanges took $(($(now_ms) - t0)) ms"

# --- programs that hold the latest-value segment and watch their remote
in_ns A "$tmp/A/hold.out" "$peer" hold master "$LAT"
hold_A=$last
in_ns B "$tmp/B/hold.out" "$peer" hold slave "$LAT"
hold_B=$last
both_alive()
{
	wait_for "$bridge_A_lat_log" 0 "remote slave on hostB \\(pid $hold_B\\) is alive" 10000 &&
		wait_for "$bridge_B_lat_log" 0 "remote master on hostA \\(pid $hold_A\\) is alive" 10000
}
check "each bridge declares the other host's program alive, with its pid" both_alive
if grep -q "takes the remote's state" "$bridge_A_lat_log"; then
	proxy=yes
	proxy_json()
	{
		wait_for "$tmp/A/hold.out" 0 "^[0-9]+ alive " 5000 >/dev/null || return 1
		show_json A > "$tmp/show.json" || return 1
		python3 - "$tmp/show.json" "$hold_B" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["slave"]
b = s.get("bridged")
ok = s["state"] == "alive" and b is not None and b["remote_pid"] == int(sys.argv[2]) \
	and b["remote_host"] == "hostB"
print(json.dumps(s))
sys.exit(0 if ok else 1)
EOF
	}
	check "eshmctl show in A: the slave is alive, bridged from pid $hold_B on hostB" proxy_json
else
	proxy=no
	grep -q "does not support PROXY" "$bridge_A_lat_log" &&
		echo "# eshmd here takes no PROXY: only the bridges' declarations are checked"
	skip "eshmctl show in A shows the bridged slave (eshmd takes no PROXY)"
fi

# --- the remote program paused, resumed, killed, restarted
mark
t0=$(now_ms)
kill -STOP "$hold_B"
remote_is A stale "SIGSTOP of the slave in B" "$t0" "$BOUND_FAST"
mark
t0=$(now_ms)
kill -CONT "$hold_B"
remote_is A alive "SIGCONT of the slave in B" "$t0" "$BOUND_FAST"
mark
t0=$(now_ms)
kill -KILL "$hold_B"
wait "$hold_B" 2>/dev/null
remote_is A dead "SIGKILL of the slave in B" "$t0" "$BOUND_FAST"
mark
t0=$(now_ms)
in_ns B "$tmp/B/hold.out" "$peer" hold slave "$LAT"
hold_B=$last
remote_is A alive "a new slave in B" "$t0" "$BOUND_BACK"
if [ "$proxy" = yes ]; then
	new_pid_json()
	{
		show_json A | python3 -c "import json,sys; b=json.load(sys.stdin)['slave']['bridged']; sys.exit(0 if b and b['remote_pid']==$hold_B else 1)"
	}
	check "eshmctl show in A names the new slave's pid $hold_B" new_pid_json
fi

# --- the remote bridge killed, then restarted
mark
t0=$(now_ms)
kill -KILL "$bridge_B_lat"
wait "$bridge_B_lat" 2>/dev/null
# In B the slave sees its master, the bridge, die: eshm's own verdict.
seen "kill -9 of the bridge in B: the slave in B sees its master dead" "$tmp/B/hold.out" \
	"$mark_B_hold" "^[0-9]+ dead " "$t0" "$BOUND_FAST"
remote_is A stale "kill -9 of the bridge in B" "$t0" "$BOUND_STALE" $((LEASE - PERIOD - 150))
remote_is A dead "kill -9 of the bridge in B" "$t0" "$BOUND_DEAD" $((DEAD - PERIOD - 150))
# Restarted as systemd would: it says READY=1 and what it declares.
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    print(s.recv(4096).decode().replace("\n", " | "), flush=True)
' "$tmp/notify.sock" > "$tmp/notify.out" 2>&1 &
listener=$!
pids="$pids $listener"
while [ ! -S "$tmp/notify.sock" ]; do sleep 0.05; done
notify=$tmp/notify.sock
mark
t0=$(now_ms)
brg_start B lat 2
notify=
remote_is A alive "the bridge in B restarted" "$t0" "$BOUND_BACK"
seen "the bridge in B restarted: it declares the master in A alive" "$bridge_B_lat_log" 0 \
	"remote master on hostA \\(pid $hold_A\\) is alive" "$t0" "$BOUND_BACK"
seen "the bridge in B restarted: READY=1 to systemd" "$tmp/notify.out" 0 "READY=1" "$t0" \
	"$BOUND_BACK"
seen "the bridge in B restarted: STATUS= says the remote master is alive" "$tmp/notify.out" 0 \
	"STATUS=remote master on hostA: alive" "$t0" "$BOUND_BACK"

# --- the link cut, then restored, while the queue carries 30,000 messages
# each way: they wait, none is lost.  The cut lasts CUT_S seconds: past
# dead_after, and well short of Cyclone's participant lease (10 s), past
# which Cyclone forgets the other side and the queue loses what was in
# flight (docs/bridge.md).  A job of its own brings the link up, so that a
# starved shell polling the logs below cannot stretch the cut.
CUT_S=${CUT_S:-6.5}

# link_up_later SECONDS: sleep, mark the logs, bring the link up; the
# time, what ip(8) took and the marks go to $tmp/link_up.
link_up_later()
{
	sleep "$1"
	mark
	lu_t0=$(now_ms)
	ip -n "$nsA" link set "$vA" up
	echo "$lu_t0 $(($(now_ms) - lu_t0)) $mark_A_log $mark_B_log $mark_A_hold $mark_B_hold" \
		>"$tmp/link_up"
}

in_ns A "$tmp/A/stream2.out" "$peer" stream master "$QUE" 30000
stream_A=$last
in_ns B "$tmp/B/stream2.out" "$peer" stream slave "$QUE" 30000
stream_B=$last
sleep 0.3
# Taking a busy link down can take the kernel a while: the bounds count
# from when ip(8) returned, the least times from when it started.
mark
t0=$(now_ms)
ip -n "$nsA" link set "$vA" down
took=$(($(now_ms) - t0))
link_up_later "$CUT_S" &
upper=$!
echo "# ip link set down took $took ms"
remote_is A stale "link down" "$t0" $((BOUND_STALE + took)) $((LEASE - PERIOD - 150))
remote_is B stale "link down" "$t0" $((BOUND_STALE + took)) $((LEASE - PERIOD - 150))
remote_is A dead "link down" "$t0" $((BOUND_DEAD + took)) $((DEAD - PERIOD - 150))
remote_is B dead "link down" "$t0" $((BOUND_DEAD + took)) $((DEAD - PERIOD - 150))
down_t0=$t0
check "the link comes up again after ${CUT_S} s" brg_reap "$upper" "$BRG_STOP_MS"
read -r t0 took mark_A_log mark_B_log mark_A_hold mark_B_hold <"$tmp/link_up"
echo "# ip link set up took $took ms, $((t0 - down_t0)) ms after the cut"
remote_is A alive "link up" "$t0" $((BOUND_BACK + took))
remote_is B alive "link up" "$t0" $((BOUND_BACK + took))
check "the queue across the cut: 30,000 checksummed messages each way, in order, none lost" \
	brg_finished "$stream_A" "$stream_B"
cat "$tmp/A/stream2.out" "$tmp/B/stream2.out" | sed 's/^/# /'
echo "# the queue's streams ended $(($(now_ms) - t0)) ms after the link came back"

# --- a bridge that stops cleanly says so
mark
t0=$(now_ms)
kill -TERM "$bridge_B_lat"
check "SIGTERM: the bridge in B exits 0" brg_reap "$bridge_B_lat" "$BRG_STOP_MS"
remote_is A detached "the bridge in B stopped cleanly" "$t0" "$BOUND_FAST"

# --- teardown: every bridge stops cleanly, having lost nothing
for p in $bridge_A_lat $bridge_A_que $bridge_B_que; do
	kill -TERM "$p"
done
clean_stops()
{
	for p in "$bridge_A_lat" "$bridge_A_que" "$bridge_B_que"; do
		brg_reap "$p" "$BRG_STOP_MS" || return 1
	done
	! grep -h "stopping:" "$tmp"/A/bridge-*.log.* "$tmp"/B/bridge-*.log.* |
		grep -v " 0 refused, 0 lost at the stop"
}
check "every bridge exits 0 on SIGTERM, none refused or lost a message" clean_stops
held_back()
{
	grep -q "stopping: 40000 messages sent, 40000 received, 40000 written, 0 refused, 0 lost at the stop, [1-9][0-9]* waits for room" \
		"$bridge_A_que_log" &&
		grep -q "stopping: 40000 messages sent, 40000 received, 40000 written, .* [1-9][0-9]* waits for room" \
			"$bridge_B_que_log"
}
check "the queue's bridges waited for room rather than drop while the slave did not read" held_back
grep -h "stopping:" "$tmp"/A/bridge-*.log.* "$tmp"/B/bridge-*.log.* | sed 's/^/# /'
for f in "$tmp"/A/bridge-*.log.* "$tmp"/B/bridge-*.log.*; do
	echo "# Cyclone DDS's lines in ${f#"$tmp"/}: $(grep -c "Cyclone DDS:" "$f")"
done
grep -h "held back" "$tmp"/A/bridge-*.log.* "$tmp"/B/bridge-*.log.* | sed 's/^/# /'
brg_teardown
check "nothing left: namespaces, veth and processes gone" brg_nothing_left
echo "1..$tap_n"

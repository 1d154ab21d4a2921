# brg_lib.sh - two hosts made of network namespaces joined by a veth pair,
# each with a private eshmd, for the bridge's integration tests and its
# benchmark.  Sourced after tests/tap.sh's tap_init (which sets $tmp and
# $prefix), with $builddir set.
#
#   brg_can_run            exits with "1..0 # SKIP why" where it cannot run
#   brg_hosts              namespaces $nsA, $nsB (or a skip where they cannot be made)
#   brg_link               the veth pair joining them: $vA ($addrA) - $vB ($addrB)
#   brg_eshmds             a private eshmd in each, at $tmp/A and $tmp/B
#   brg_conf SIDE NAME MODE KEY   $tmp/SIDE/KEY.conf: a bridge standing in for
#                          the slave in A, the master in B
#   brg_start SIDE KEY N   start that bridge: $bridge_SIDE_KEY, its log in
#                          $bridge_SIDE_KEY_log (N numbers the restarts)
#   in_ns SIDE LOG CMD...  start CMD in SIDE's namespace with its eshmd: $last
#   brg_pingpong NAME COUNT   brg-peer pingpong, the master in A, the slave
#                          in B: $ping_A, $ping_B, output in SIDE/pingpong.out
#   brg_finished PID...    wait for each (at most $BRG_FINISH_MS): 0, or the
#                          last failure's status
#   brg_reap PID MS        wait for PID at most MS, then kill it and fail
#   brg_teardown           stop all that was started (SIGTERM), delete the
#                          namespaces
#   brg_nothing_left       whether namespaces, veth and processes are gone
#   brg_cleanup            kill all that was started, delete the namespaces
#   now_ms, lines, wait_for   reading logs and times (below)

brg_bin=$builddir/bridge/eshm-bridge
brg_tag=$$
nsA=eshmbrA$brg_tag
nsB=eshmbrB$brg_tag
vA=ebA$brg_tag
vB=ebB$brg_tag
addrA=10.231.7.1
addrB=10.231.7.2
LEASE=${LEASE:-1000}
PERIOD=${PERIOD:-250}
DEAD=${DEAD:-3000}
# How long a program given its work, or a bridge told to stop, may take:
# past it the test fails instead of waiting for ever.
BRG_FINISH_MS=${BRG_FINISH_MS:-120000}
BRG_STOP_MS=${BRG_STOP_MS:-20000}
pids=""

brg_skip()
{
	echo "1..0 # SKIP $1"
	exit 0
}

brg_can_run()
{
	[ "$(id -u)" -eq 0 ] || brg_skip "needs root to create network namespaces"
	command -v ip >/dev/null 2>&1 || brg_skip "no ip command (apt-get install iproute2)"
	[ -x "$brg_bin" ] || brg_skip "eshm-bridge is not built"
}

# brg_signal_all SIG...: send every process started the signals, in
# turn, and wait for them all.
brg_signal_all()
{
	for p in $pids; do
		for bs_sig in "$@"; do
			kill -"$bs_sig" "$p" 2>/dev/null
		done
	done
	for p in $pids; do
		brg_reap "$p" "$BRG_STOP_MS" >/dev/null 2>&1
	done
	pids=""
}

# brg_running PID: whether PID is a child of this shell that still runs
# (a zombie does not; a number reused by another process is not ours).
brg_running()
{
	br_stat=$(cat /proc/"$1"/stat 2>/dev/null) || return 1
	set -- ${br_stat##*) }
	[ "$1" != Z ] && [ "$2" = "$$" ]
}

brg_reap()
{
	br_limit=$(($(now_ms) + $2))
	while brg_running "$1"; do
		if [ "$(now_ms)" -ge "$br_limit" ]; then
			echo "pid $1 ($(tr '\0' ' ' < /proc/"$1"/cmdline 2>/dev/null)) still ran after $2 ms: killed"
			kill -KILL "$1" 2>/dev/null
			wait "$1" 2>/dev/null
			return 124
		fi
		sleep 0.05
	done
	wait "$1"
}

brg_cleanup()
{
	brg_signal_all CONT KILL
	ip netns del "$nsA" 2>/dev/null
	ip netns del "$nsB" 2>/dev/null
	ip link del "$vA" 2>/dev/null
	tap_cleanup
}

brg_pingpong()
{
	in_ns A "$tmp/A/pingpong.out" "$builddir/bridge/tests/brg-peer" pingpong master "$1" "$2"
	ping_A=$last
	in_ns B "$tmp/B/pingpong.out" "$builddir/bridge/tests/brg-peer" pingpong slave "$1" "$2"
	ping_B=$last
}

brg_finished()
{
	bf_rc=0
	for bf_p in "$@"; do
		brg_reap "$bf_p" "$BRG_FINISH_MS" || bf_rc=$?
	done
	return $bf_rc
}

brg_teardown()
{
	brg_signal_all TERM
	ip netns del "$nsA"
	ip netns del "$nsB"
}

brg_nothing_left()
{
	! ip netns list | grep -q -e "$nsA" -e "$nsB" && ! ip link show "$vA" >/dev/null 2>&1 &&
		! pgrep -f "$tmp/" >/dev/null
}

brg_hosts()
{
	mkdir -p "$tmp/A" "$tmp/B"
	if ! ip netns add "$nsA" 2>"$tmp/out" || ! ip netns add "$nsB" 2>>"$tmp/out"; then
		bh_why=$(head -n 1 "$tmp/out")
		trap - EXIT
		brg_cleanup
		brg_skip "cannot create network namespaces here: $bh_why"
	fi
}

brg_link()
{
	ip link add "$vA" type veth peer name "$vB" &&
		ip link set "$vA" netns "$nsA" && ip link set "$vB" netns "$nsB" &&
		ip -n "$nsA" addr add "$addrA/30" dev "$vA" &&
		ip -n "$nsB" addr add "$addrB/30" dev "$vB" &&
		ip -n "$nsA" link set lo up && ip -n "$nsB" link set lo up &&
		ip -n "$nsA" link set "$vA" up && ip -n "$nsB" link set "$vB" up
}

# CLOCK_BOOTTIME in ms, the clock of brg-peer's lines, without starting a
# process: a loaded machine must not slow the measuring down.
now_ms()
{
	read -r nm_up nm_idle < /proc/uptime
	nm_frac=${nm_up#*.}
	nm_frac=${nm_frac#0}
	echo $((${nm_up%.*} * 1000 + nm_frac * 10))
}

lines()
{
	if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi
}

# wait_for FILE FROM REGEX MS: the first line after line FROM of FILE that
# matches REGEX, within MS.  Prints its first field when that is a time
# (brg-peer hold's lines), else the time it was seen.
wait_for()
{
	wf_limit=$(($(now_ms) + $4))
	while :; do
		wf_line=$(tail -n +"$(($2 + 1))" "$1" 2>/dev/null | grep -m1 -E "$3")
		if [ -n "$wf_line" ]; then
			wf_t=${wf_line%% *}
			case $wf_t in '' | *[!0-9]*) wf_t=$(now_ms) ;; esac
			echo "$wf_t"
			return 0
		fi
		[ "$(now_ms)" -lt "$wf_limit" ] || return 1
		sleep 0.02
	done
}

# in_ns SIDE LOG COMMAND...: start COMMAND in SIDE's namespace with its
# eshmd (and $notify as NOTIFY_SOCKET), output to LOG; $last is its pid
# (ip netns exec execs it).
in_ns()
{
	in_side=$1
	in_ns_name=$nsA
	[ "$in_side" = B ] && in_ns_name=$nsB
	in_log=$2
	shift 2
	ESHM_SOCKET=$tmp/$in_side/eshmd.sock NOTIFY_SOCKET=${notify:-} \
		ip netns exec "$in_ns_name" "$@" >"$in_log" 2>&1 &
	last=$!
	pids="$pids $last"
}

brg_eshmds()
{
	for be_side in A B; do
		in_ns "$be_side" "$tmp/$be_side/eshmd.log" "$builddir/daemon/eshmd" \
			--socket "$tmp/$be_side/eshmd.sock" --shm-prefix "${prefix}$be_side." \
			--config /dev/null
		eval "eshmd_$be_side=$last"
	done
	for be_i in $(seq 100); do
		[ -S "$tmp/A/eshmd.sock" ] && [ -S "$tmp/B/eshmd.sock" ] && return 0
		sleep 0.1
	done
	cat "$tmp/A/eshmd.log" "$tmp/B/eshmd.log"
	return 1
}

brg_conf()
{
	if [ "$1" = A ]; then bc_role=slave bc_own=$vA bc_other=$addrB bc_host=hostA bc_rhost=hostB
	else bc_role=master bc_own=$vB bc_other=$addrA bc_host=hostB bc_rhost=hostA; fi
	cat > "$tmp/$1/$4.conf" <<EOF
[bridge]
segment = $2
stand_in = $bc_role
host = $bc_host
remote_host = $bc_rhost
[segment]
mode = $3
queue_depth = 64
[dds]
domain = 7
interface = $bc_own
peers = $bc_other
multicast = no
[liveness]
stale_threshold_ms = 100
lease_ms = $LEASE
state_period_ms = $PERIOD
dead_after_ms = $DEAD
EOF
}

brg_start()
{
	in_ns "$1" "$tmp/$1/bridge-$2.log.$3" "$brg_bin" --config "$tmp/$1/$2.conf" --verbose
	eval "bridge_$1_$2=$last"
	eval "bridge_$1_$2_log=$tmp/$1/bridge-$2.log.$3"
}

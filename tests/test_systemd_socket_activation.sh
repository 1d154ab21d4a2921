#!/bin/sh
# Socket activation as eshmd.socket does it, through systemd-socket-activate:
# the listening socket exists before eshmd runs, the first client's connect
# starts eshmd on the inherited socket (not one of its own), and that client
# is served.
set -u
builddir=${ESHM_TEST_BUILDDIR:?run by make check}

if ! command -v systemd-socket-activate >/dev/null 2>&1; then
	echo "1..0 # SKIP systemd-socket-activate is not installed (apt-get install systemd)"
	exit 0
fi

. "${ESHM_TEST_SRCDIR:?run by make check}/tests/tap.sh"
tap_init sa
exe() { readlink "/proc/$daemon_pid/exe" 2>/dev/null; }
echo "1..5"

# --socket names a path eshmd must not bind when it inherits one.
systemd-socket-activate --seqpacket -l "$tmp/eshmd.sock" \
    "$builddir/daemon/eshmd" --socket "$tmp/own.sock" --shm-prefix "$prefix" \
    --config /dev/null 2>"$tmp/log" &
daemon_pid=$!
i=0
while [ ! -S "$tmp/eshmd.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

case "$(exe)" in
*/systemd-socket-activate) ok "the socket listens before eshmd runs" ;;
*) fail "the socket listens before eshmd runs" "process $daemon_pid is $(exe)"; exit 1 ;;
esac

sleep 0.5
case "$(exe)" in
*/systemd-socket-activate) ok "eshmd does not start without a connection" ;;
*) fail "eshmd does not start without a connection" "process $daemon_pid is $(exe)" ;;
esac

out=$(ESHM_SOCKET="$tmp/eshmd.sock" "$builddir/tests/vm/eshm-pingpong" activated 1 2>&1)
case "$out" in
round_trips=[1-9]*) ok "the first client starts eshmd and is served ($out)" ;;
*) fail "the first client starts eshmd and is served" "$out$(cat "$tmp/log")" ;;
esac

case "$(exe)" in
*/eshmd) ok "eshmd runs on the inherited socket" ;;
*) fail "eshmd runs on the inherited socket" "process $daemon_pid is $(exe)" ;;
esac

if [ ! -e "$tmp/own.sock" ] && [ -S "$tmp/eshmd.sock" ]; then
	ok "eshmd binds no socket of its own"
else
	fail "eshmd binds no socket of its own" "$(ls -l "$tmp")"
fi

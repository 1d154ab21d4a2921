#!/bin/sh
# Runs inside the test machine (eshm-vm-test.service) and prints TAP: eshm
# under a real systemd.  The last line is "RESULT PASS" or "RESULT FAIL".
set -u
PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
name=vmtest
progress=/run/eshm-pingpong.progress
failed=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); echo "not ok $n - $1"; failed=1; [ $# -gt 1 ] && echo "$2" | sed 's/^/# /'; }
check() { desc=$1; shift; if out=$("$@" 2>&1); then ok "$desc"; else fail "$desc" "$out"; fi; }
trips() { sed -n 's/^round_trips=\([0-9]*\).*/\1/p' "$progress" 2>/dev/null || echo 0; }
# Wait up to $1 seconds for the command to succeed.
wait_for() { t=$(($1 * 10)); shift; while ! "$@" >/dev/null 2>&1; do t=$((t - 1)); [ $t -gt 0 ] || return 1; sleep 0.1; done; }
trips_above() { [ "$(trips)" -gt "$1" ]; }
# The round trips rise by at least one while $1 seconds pass.
flowing() { before=$(trips); sleep "$1"; [ "$(trips)" -gt "$before" ] || { echo "round trips stuck at $before"; return 1; }; }
main_pid() { systemctl show -P MainPID eshmd.service; }

echo "1..18"
echo "# $(uname -r), $(systemctl --version | head -1)"

check "systemd-sysusers created the eshm user at boot" id eshm
check "systemctl start eshmd.socket" systemctl start eshmd.socket
check "the socket is 0660, group eshm" sh -c \
    '[ "$(stat -c "%a %G" /run/eshm/eshmd.sock)" = "660 eshm" ]'
check "eshmd.service waits for a client" sh -c '! systemctl is-active -q eshmd.service'

eshm-pingpong "$name" 90 "$progress" > /run/eshm-pingpong.out 2>&1 &
pp=$!
check "a client's attach starts eshmd, which serves it" wait_for 60 trips_above 0
check "systemctl is-active eshmd" systemctl is-active eshmd.service
check "eshmctl list shows the segment" sh -c "eshmctl list | grep -w $name"

pid=$(main_pid)
kill -9 "$pid"
restarted() { p=$(main_pid); [ "$p" != 0 ] && [ "$p" != "$pid" ] && systemctl is-active -q eshmd.service; }
check "kill -9 of eshmd: systemd restarts it" wait_for 30 restarted
check "... while the client keeps exchanging messages" flowing 3
check "... and the restarted eshmd knows the segment" sh -c "eshmctl list | grep -w $name"

pid=$(main_pid)
check "systemctl reload eshmd re-reads the configuration in place" sh -c \
    "systemctl reload eshmd.service && [ \$(systemctl show -P MainPID eshmd.service) = $pid ] && \
     systemctl is-active -q eshmd.service && \
     journalctl -b -u eshmd.service --no-pager | grep -q 'SIGHUP: reloading'"

check "systemctl stop eshmd" systemctl stop eshmd.service
check "... leaves the client's data path intact" flowing 3
# Without the socket nothing can start eshmd again: the client is alone.
systemctl stop eshmd.socket eshmd.service
check "with eshmd and its socket stopped, messages still flow" sh -c \
    "! systemctl is-active -q eshmd.service && ls /dev/shm | grep -q '$name' && \
     { before=\$(sed -n 's/^round_trips=\([0-9]*\).*/\1/p' $progress); sleep 3; \
       [ \$(sed -n 's/^round_trips=\([0-9]*\).*/\1/p' $progress) -gt \$before ]; }"
check "systemctl start eshmd.socket again: the client re-attaches" sh -c \
    "systemctl start eshmd.socket && sleep 3 && eshmctl list | grep -w $name"
kill -TERM "$pp"
wait "$pp"
rc=$?
summary=$(cat /run/eshm-pingpong.out)
echo "# eshm-pingpong: $summary"
# A gap of seconds would mean the data path waited for eshmd somewhere.
check "the client exchanged messages throughout, no gap over 3 s" sh -c \
    "[ $rc -eq 0 ] && echo '$summary' | grep -q '^round_trips=[1-9][0-9]* longest_gap_ms=[0-2]\?[0-9]\{1,3\}\$'"

# Negative control: a Type=notify unit that never says READY=1 fails, so
# "active" above meant eshmd's own READY=1.
check "negative control: a unit that never sends READY=1 fails to start" sh -c \
    '! systemctl start eshm-never-ready.service && systemctl is-failed -q eshm-never-ready.service'

check "systemd-analyze verify eshmd.service eshmd.socket" \
    systemd-analyze verify --man=no eshmd.service eshmd.socket
echo "# $(systemd-analyze security eshmd.service 2>&1 | tail -1)"

if [ $failed -ne 0 ]; then
	echo "# --- journal of eshmd"
	journalctl -b -u eshmd.service -u eshmd.socket --no-pager 2>&1 | tail -60 | sed 's/^/# /'
	echo "RESULT FAIL"
else
	echo "RESULT PASS"
fi

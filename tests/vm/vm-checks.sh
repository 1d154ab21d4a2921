#!/bin/sh
# Runs inside the test machine of the source installation
# (eshm-vm-test.service) and prints TAP: eshm under a real systemd.  The
# last line is "RESULT PASS" or "RESULT FAIL".
set -u
. "$(dirname "$0")/vm-lib.sh"
name=vmtest
progress=/run/eshm-pingpong.progress

echo "1..25"
echo "# $(uname -r), $(systemctl --version | head -1)"

check "systemd-sysusers created the eshm user at boot" id eshm
check "systemctl start eshmd.socket" systemctl start eshmd.socket
check "the socket is 0660, group eshm" sh -c \
    '[ "$(stat -c "%a %G" /run/eshm/eshmd.sock)" = "660 eshm" ]'
check "eshmd.service waits for a client" sh -c '! systemctl is-active -q eshmd.service'

eshm-pingpong "$name" 300 "$progress" > /run/eshm-pingpong.out 2>&1 &
pp=$!
check "a client's attach starts eshmd, which serves it" wait_for 60 trips_above 0
check "systemctl is-active eshmd" systemctl is-active eshmd.service
check "eshmctl list shows the segment" sh -c "eshmctl list | grep -w $name"

# A second pair whose slave is stopped, then killed: eshmd's journal
# fields and event history tell the story.
eshm-pingpong vm-story 60 /run/eshm-story.progress > /run/eshm-story.out 2>&1 &
story=$!
wait_for 30 sh -c "[ -s /run/eshm-story.progress ]" && sleep 0.5
# eshm-pingpong's child is its slave (no pgrep on a minimal system).
slave=$(cat "/proc/$story/task/$story/children" 2>/dev/null | cut -d' ' -f1)
echo "# vm-story: master $story, slave $slave"
# Each step waits for eshmd's verdict on the last, as its history shows it.
seen() { eshmctl events vm-story | grep -q " $1 .*slave (pid $slave)"; }
kill -STOP "$slave"; wait_for 20 seen stale
kill -CONT "$slave"; wait_for 20 seen alive
kill -KILL "$slave"
in_journal() { journalctl -b --no-pager -o cat "MESSAGE_ID=$1" ESHM_SEGMENT=vm-story ESHM_ROLE=slave \
    "ESHM_PID=$slave" | grep -q "$2"; }
check "journalctl MESSAGE_ID=(stale) ESHM_SEGMENT=vm-story finds the stopped slave" \
    wait_for 20 in_journal 6a74175f243149c98ba7d45325c94b88 "is stale"
check "journalctl MESSAGE_ID=(dead) ESHM_SEGMENT=vm-story finds the killed slave" \
    wait_for 20 in_journal 396d602665cc499297fdcaf088160368 "died"
check "journalctl --update-catalog; journalctl -x explains the stale event" sh -c \
    "journalctl --update-catalog && journalctl -b -x --no-pager MESSAGE_ID=6a74175f243149c98ba7d45325c94b88 \
     ESHM_SEGMENT=vm-story | grep -q 'Subject: eshm endpoint stale in vm-story'"
check "eshmctl events vm-story: attached, stale, alive, dead in order" sh -c \
    "eshmctl events vm-story | awk '/ attached .*slave/ {a=NR} / stale .*slave/ && a {s=NR}
       / alive .*slave/ && s {l=NR} / dead .*slave/ && l {d=NR} END {exit !d}'"
kill -TERM "$story" 2>/dev/null; wait "$story" 2>/dev/null
check "eshmctl metrics counts the events" sh -c \
    "eshmctl metrics | grep -q '^eshm_events_total [1-9]'"

check "eshmctl create: a segment no endpoint holds" eshmctl create vm-unheld
pid=$(main_pid)
kill -9 "$pid"
restarted() { p=$(main_pid); [ "$p" != 0 ] && [ "$p" != "$pid" ] && systemctl is-active -q eshmd.service; }
check "kill -9 of eshmd: systemd restarts it" wait_for 30 restarted
check "... while the client keeps exchanging messages" flowing 3
check "... and the restarted eshmd knows the segment" sh -c "eshmctl list | grep -w $name"
check "... and the unheld one, kept in systemd's descriptor store" sh -c \
    "eshmctl list | grep -w vm-unheld"

pid=$(main_pid)
check "systemctl reload eshmd re-reads the configuration in place" sh -c \
    "systemctl reload eshmd.service && [ \$(systemctl show -P MainPID eshmd.service) = $pid ] && \
     systemctl is-active -q eshmd.service && \
     journalctl -b -u eshmd.service --no-pager | grep -q 'SIGHUP: reloading'"

check "systemctl stop eshmd" systemctl stop eshmd.service
check "... leaves the client's data path intact" flowing 3
systemctl start eshmd.service
wait_for 30 sh -c "eshmctl list | grep -qw $name" >/dev/null
if eshmctl list | grep -qw vm-unheld; then kept=kept; else kept="not kept"; fi
echo "# after systemctl stop and start: the held segment came back, the unheld one was $kept"
systemctl stop eshmd.service
# Without the socket nothing can start eshmd again: the client is alone.
systemctl stop eshmd.socket eshmd.service
check "with eshmd and its socket stopped, messages still flow (nothing in /dev/shm)" sh -c \
    "! systemctl is-active -q eshmd.service && ! ls /dev/shm | grep -q '$name' && \
     { before=\$(sed -n 's/^round_trips=\([0-9]*\).*/\1/p' $progress); sleep 3; \
       [ \$(sed -n 's/^round_trips=\([0-9]*\).*/\1/p' $progress) -gt \$before ]; }"
check "systemctl start eshmd.socket again: the client re-attaches" sh -c \
    "systemctl start eshmd.socket && sleep 3 && eshmctl list | grep -w $name"
pingpong_stop "$pp" /run/eshm-pingpong.out "the client exchanged messages throughout, no gap over 3 s"

# Negative control: a Type=notify unit that never says READY=1 fails, so
# "active" above meant eshmd's own READY=1.
check "negative control: a unit that never sends READY=1 fails to start" sh -c \
    '! systemctl start eshm-never-ready.service && systemctl is-failed -q eshm-never-ready.service'

check "systemd-analyze verify eshmd.service eshmd.socket" \
    systemd-analyze verify --man=no eshmd.service eshmd.socket
echo "# $(systemd-analyze security eshmd.service 2>&1 | tail -1)"

vm_finish

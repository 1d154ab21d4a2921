#!/bin/sh
# Runs inside the test machine of the packages (eshm-vm-test.service) and
# prints TAP.  On a fresh Debian 12: the .debs of the previous build
# installed with apt, eshmd started from the installed units through its
# socket, the demo's master and slave and eshmctl against that system
# daemon; the upgrade to the new build with segments attached and idle;
# then apt purge.  The last line is "RESULT PASS" or "RESULT FAIL".
set -u
. "$(dirname "$0")/vm-lib.sh"
debs=/srv/eshm-debs
progress=/run/eshm-pingpong.progress
DEBIAN_FRONTEND=noninteractive
export DEBIAN_FRONTEND

echo "1..46"
echo "# $(uname -r), $(systemctl --version | head -1)"

apt_install() { cd "$1" && apt install -y ./*.deb; }
# The installed eshmd is the one of the .debs in $1.
installed_from() { [ "$(dpkg-query -W -f='${Version}' eshmd)" = "$(dpkg-deb -f "$1"/eshmd_*.deb Version)" ]; }
show_states() { eshmctl show "$1" | grep -Eq "^state +$2 +$3\$"; }
json_field() { eshmctl status --json | sed -n "s/^  \"$1\": \\([0-9]*\\),\$/\\1/p"; }
interval_is() { [ "$(json_field check_interval_ms)" = "$1" ]; }
generations() { for g in busy idle kept; do eshmctl show $g | sed -n 's/^generation *//p'; done; }
runtime_files() { find /run /dev/shm -user eshm 2>/dev/null | grep -q .; }

check "apt install ./*.deb of the previous build" apt_install $debs/prev
check "... installs the previous version" installed_from $debs/prev
check "the installation made the system user and group eshm" sh -c \
    'id eshm && [ "$(id -u eshm)" -lt 1000 ] && getent group eshm'
check "/etc/eshm/eshmd.conf is a conffile of eshmd" sh -c \
    "dpkg-query -W -f='\${Conffiles}\\n' eshmd | grep -q '^ /etc/eshm/eshmd.conf '"
check "eshmd --check-config reads /etc/eshm/eshmd.conf" sh -c \
    '[ "$(eshmd --check-config)" = "configuration OK: /etc/eshm/eshmd.conf" ]'
check "the installation enabled and started eshmd.socket" sh -c \
    'systemctl is-enabled -q eshmd.socket && systemctl is-active -q eshmd.socket'
check "the socket is 0660, group eshm, in /run/eshm of user eshm" sh -c \
    '[ "$(stat -c "%a %G" /run/eshm/eshmd.sock)" = "660 eshm" ] && [ "$(stat -c %U /run/eshm)" = eshm ]'
check "eshmd.service waits for its socket" sh -c '! systemctl is-active -q eshmd.service'
check "systemctl start eshmd" systemctl start eshmd
check "... runs eshmd as eshm on the socket of eshmd.socket" sh -c \
    'systemctl is-active -q eshmd.service && [ "$(systemctl show -P User eshmd.service)" = eshm ] &&
     journalctl -b -u eshmd.service --no-pager | grep -q "listening on the socket passed by systemd"'

# The demo's exchange, against the system daemon.
eshm-demo slave demo 10 > /run/eshm-demo-slave.out 2>&1 &
slave=$!
eshm-demo master demo 5 > /run/eshm-demo-master.out 2>&1 &
master=$!
check "eshmctl show: the demo's master and slave are attached and alive" \
    wait_for 30 show_states demo alive alive
check "eshmctl list --json shows the demo's segment" sh -c \
    'eshmctl list --json | grep -q "\"name\": \"demo\""'
check "eshmctl status talks to the eshmd of eshmd.service" sh -c \
    "[ \"\$(systemctl show -P MainPID eshmd.service)\" = \"$(json_field pid)\" ]"
wait "$master"
rc=$?
check "the demo's master exchanged messages with its slave" sh -c \
    "[ $rc -eq 0 ] || { cat /run/eshm-demo-master.out; exit 1; }"
wait "$slave"

# Before the upgrade: a client exchanging messages, a slave attached and
# idle, a segment with no endpoint, and an administrator's edit of the
# configuration, reloaded.
eshm-pingpong busy 600 "$progress" > /run/eshm-pingpong.out 2>&1 &
pp=$!
eshm-demo slave idle 600 > /dev/null 2>&1 &
idle=$!
eshmctl create kept > /dev/null
sed -i 's/^#check_interval_ms = 10$/check_interval_ms = 20/' /etc/eshm/eshmd.conf
systemctl reload eshmd.service
check "before the upgrade: busy exchanges messages" wait_for 60 trips_above 0
check "... idle has its slave attached" wait_for 30 show_states idle detached alive
check "... kept exists with no endpoint" sh -c 'eshmctl list | grep -qw kept'
check "... the edited eshmd.conf is in force (check_interval_ms 20)" wait_for 10 interval_is 20

gens=$(generations)
same_segments() { [ "$(generations)" = "$gens" ]; }
pid=$(main_pid)
sock=$(stat -c %i /run/eshm/eshmd.sock)
since=$(systemctl show -P ActiveEnterTimestampMonotonic eshmd.socket)
check "apt install ./*.deb of the new build upgrades in place" apt_install $debs/new
check "... to the new version" installed_from $debs/new
restarted() { p=$(main_pid); [ "$p" != 0 ] && [ "$p" != "$pid" ] && systemctl is-active -q eshmd.service; }
check "the upgrade restarted eshmd" wait_for 30 restarted
check "... which runs the new binary" sh -c \
    '[ "$(readlink /proc/$(systemctl show -P MainPID eshmd.service)/exe)" = /usr/sbin/eshmd ]'
check "... and left eshmd.socket alone: the same socket, never stopped" sh -c \
    "[ \$(stat -c %i /run/eshm/eshmd.sock) = $sock ] &&
     [ \$(systemctl show -P ActiveEnterTimestampMonotonic eshmd.socket) = $since ]"
check "busy kept exchanging messages" flowing 3
check "... and its endpoints re-attached: alive" wait_for 30 show_states busy alive alive
check "idle's slave re-attached: alive" wait_for 30 show_states idle detached alive
check "kept is still there" sh -c 'eshmctl list | grep -qw kept'
check "busy, idle and kept are the same segments as before: same generations" same_segments
check "the edited eshmd.conf is kept as it was, with no .dpkg-dist beside it" sh -c \
    'grep -qx "check_interval_ms = 20" /etc/eshm/eshmd.conf &&
     ! ls /etc/eshm/eshmd.conf.* 2>/dev/null'
check "... and in force in the restarted eshmd" interval_is 20
pingpong_stop "$pp" /run/eshm-pingpong.out "busy exchanged messages throughout, no gap over 3 s"
kill "$idle"
wait "$idle" 2>/dev/null

# The bridge of the new build under its template unit: a segment carried
# over the loopback to a host that never answers.  It holds the slave's
# role, is ready once DDS is up, and declares the remote slave stale.
mkdir -p /etc/eshm/bridge
printf '[bridge]\nsegment = vm-bridge\nstand_in = slave\nremote_host = hostB\n[dds]\ninterface = lo\nmulticast = no\npeers = 127.0.0.1\n' \
    > /etc/eshm/bridge/vm.conf
bridge_status() { systemctl show -P StatusText eshm-bridge@vm.service | grep -q "remote slave on hostB: stale"; }
bridged() { eshmctl show vm-bridge | grep -Eq "^bridged for +- +pid 0 on hostB\$" && show_states vm-bridge detached stale; }
check "the installation neither enabled nor started eshm-bridge@.service" sh -c \
    '! ls /etc/systemd/system/*/eshm-bridge@* 2>/dev/null && ! systemctl is-active -q "eshm-bridge@*"'
check "systemctl start eshm-bridge@vm returns once the bridge said READY=1" \
    systemctl start eshm-bridge@vm.service
check "... its STATUS= says the remote slave on hostB is stale" wait_for 10 bridge_status
check "... eshmctl show: the bridge holds the slave, bridged for hostB, stale" wait_for 10 bridged
check "systemctl stop eshm-bridge@vm: the slave's role is let go" sh -c \
    'systemctl stop eshm-bridge@vm.service && ! systemctl is-active -q eshm-bridge@vm.service'
check "... the slave detached" wait_for 10 show_states vm-bridge detached detached
# The configuration is the operator's own file, which no purge removes.
rm -r /etc/eshm/bridge

# Purge: units, configuration and runtime files go; the system user stays.
check "before purge, eshm owns runtime files" runtime_files
check "apt purge eshmd libeshm-client0 libeshm-client-dev eshm-bridge" \
    apt purge -y eshmd libeshm-client0 libeshm-client-dev eshm-bridge
check "... stops eshmd" sh -c '! systemctl is-active -q eshmd.service'
check "... leaves no eshmd running" wait_for 10 sh -c '! grep -qx eshmd /proc/[0-9]*/comm 2>/dev/null'
check "... removes the units and their enablement" sh -c \
    '! ls /lib/systemd/system/eshmd.* /etc/systemd/system/*/eshmd.* 2>/dev/null &&
     ! systemctl cat eshmd.socket eshmd.service'
check "... removes the configuration, /etc/eshm" sh -c '[ ! -e /etc/eshm ]'
check "... removes the runtime files: none of eshm's under /run or /dev/shm" sh -c \
    '[ -z "$(find /run /dev/shm -user eshm 2>/dev/null)" ] && [ ! -e /run/eshm ]'
check "... keeps the system user and group eshm" sh -c 'id eshm && getent group eshm'
check "... leaves nothing of the packages to dpkg" sh -c \
    '! dpkg-query -W -f="\${db:Status-Abbrev}\n" eshmd libeshm-client0 libeshm-client-dev eshm-bridge 2>/dev/null | grep -q "^.[^n]"'

vm_finish

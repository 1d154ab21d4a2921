#!/bin/sh
# test_bridge_unit.sh - eshm-bridge as systemd and an operator meet it: the
# command line's answers and exit statuses, and eshm-bridge@.service as
# built (configured paths filled in, "systemd-analyze verify" without a
# word, its security exposure at most EXPOSURE_MAX).
set -u
builddir=${ESHM_TEST_BUILDDIR:?run by make check}
srcdir=${ESHM_TEST_SRCDIR:?run by make check}
# docs/bridge.md states 1.6: a network service as root without
# capabilities; the margin is for systemd's scoring, not a weaker unit.
EXPOSURE_MAX=2.0

. "$srcdir/tests/tap.sh"
tap_init bridge-unit
bridge=$builddir/bridge/eshm-bridge
unit=$builddir/systemd/eshm-bridge@.service

echo "1..8"

check "--help names --config" sh -c "'$bridge' --help | grep -q -- '--config FILE'"
check "--version says eshm-bridge and the version" \
	sh -c "'$bridge' --version | grep -q '^eshm-bridge [0-9]'"
check "the example configuration passes --check-config" \
	"$bridge" --check-config --config "$srcdir/bridge/eshm-bridge.conf.example"
exit_status()
{
	"$@" >/dev/null 2>&1
	echo $?
}
bad_exits_2()
{
	printf '[bridge]\nsegment = x\nstand_in = nobody\n' > "$tmp/bad.conf"
	[ "$(exit_status "$bridge" --config "$tmp/bad.conf")" = 2 ] &&
		[ "$(exit_status "$bridge" --bogus)" = 2 ] &&
		[ "$(exit_status "$bridge")" = 2 ] &&
		"$bridge" --config "$tmp/bad.conf" 2>&1 | grep -q "bad.conf:3: bad value 'nobody' for stand_in"
}
check "a wrong command line or file exits 2 and names the line" bad_exits_2

# The paths make filled in, as for eshmd's units.
unset MAKEFLAGS MFLAGS MAKELEVEL
cat > "$tmp/dirs.mk" <<'MK'
eshm-print-dirs:
	@echo "sbindir='$(sbindir)' sysconfdir='$(sysconfdir)'"
MK
eval "$(make -s --no-print-directory -C "$builddir" -f Makefile -f "$tmp/dirs.mk" eshm-print-dirs)"
filled()
{
	! grep -n '@[a-zA-Z_]*@' "$unit" &&
		grep -qx "ExecStart=$sbindir/eshm-bridge --config $sysconfdir/eshm/bridge/%i.conf" "$unit"
}
check "the unit runs $sbindir/eshm-bridge with $sysconfdir/eshm/bridge/%i.conf" filled
check "the unit is Type=notify and restarted on failure, not for bad settings" \
	sh -c "grep -qx Type=notify '$unit' && grep -qx Restart=on-failure '$unit' &&
	       grep -qx RestartPreventExitStatus=2 '$unit'"

if ! command -v systemd-analyze >/dev/null 2>&1; then
	skip "systemd-analyze is not installed"
	skip "systemd-analyze is not installed"
	exit 0
fi
# verify resolves ExecStart= and the units named inside --root.
root=$tmp/root
units=$root/etc/systemd/system
mkdir -p "$units" "$root/usr/lib/systemd/system" "$root$sbindir"
cp -L /lib/systemd/system/*.target /lib/systemd/system/*.slice "$root/usr/lib/systemd/system/" \
	2>/dev/null
cp /bin/true "$root$sbindir/eshm-bridge"
sed 's|@ESHMD_SOCKET@|/run/eshm/eshmd.sock|' "$srcdir/systemd/eshmd.socket.in" > "$units/eshmd.socket"
cp "$unit" "$units/eshm-bridge@sensor.service"
verify_ok()
{
	systemd-analyze verify --man=no --root="$root" "$units/eshm-bridge@sensor.service" \
		> "$tmp/verify" 2>&1
	rc=$?
	cat "$tmp/verify"
	[ $rc -eq 0 ] && [ ! -s "$tmp/verify" ]
}
check "systemd-analyze verify accepts eshm-bridge@sensor.service without a word" verify_ok
systemd-analyze security --no-pager --offline=true --root="$root" \
	"$units/eshm-bridge@sensor.service" > "$tmp/security" 2>&1
level=$(sed -n 's/.*Overall exposure level for eshm-bridge@sensor.service: \([0-9.]*\).*/\1/p' \
	"$tmp/security")
if [ -n "$level" ] && awk -v l="$level" -v m="$EXPOSURE_MAX" 'BEGIN { exit !(l <= m) }'; then
	ok "systemd-analyze security exposure $level <= $EXPOSURE_MAX"
else
	fail "systemd-analyze security exposure ${level:-?} <= $EXPOSURE_MAX" "$(cat "$tmp/security")"
fi

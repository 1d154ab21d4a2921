#!/bin/sh
# Boot test: build eshm, install it into a minimal Debian 12 made with
# mmdebstrap, boot that under qemu and run vm-checks.sh inside, under a real
# systemd.  Then the packages: build the .debs twice (a previous and a new
# version), boot a second copy of the same fresh Debian 12 with them and run
# vm-package-checks.sh inside (apt install, the system daemon, the upgrade,
# apt purge).  Not part of "make check"; CI runs it as its own step.
#
#   tests/vm/run-vm-test.sh
#
# Environment: ESHM_VM_WORKDIR (default: a new directory under /var/tmp,
# removed afterwards unless ESHM_VM_KEEP=1), ESHM_VM_ACCEL (kvm or tcg;
# default: kvm only where a real one works), ESHM_VM_TIMEOUT (seconds for
# each boot, default 600), ESHM_VM_SUITE (default bookworm).  Without a
# debian/ folder (a release tarball) only the source installation is tested.
# Exit: 0 all checks passed, 1 a check failed or the machine did not report,
# 77 this machine cannot run the test (the reason is printed).
set -eu
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
suite=${ESHM_VM_SUITE:-bookworm}
timeout_s=${ESHM_VM_TIMEOUT:-600}

say() { echo "vm-test: $*"; }
cannot() { say "SKIP: cannot run here: $*"; exit 77; }

[ "$(id -u)" -eq 0 ] || cannot "needs root (mmdebstrap, mkfs.ext4 -d with owners)"
for tool in mmdebstrap qemu-system-x86_64 mkfs.ext4 pkg-config make cc; do
	command -v "$tool" >/dev/null 2>&1 ||
	    cannot "$tool is missing (apt-get install mmdebstrap qemu-system-x86 e2fsprogs)"
done
packaged=no
if [ -f "$srcdir/debian/control" ]; then
	packaged=yes
	for tool in dpkg-buildpackage dh git; do
		command -v "$tool" >/dev/null 2>&1 ||
		    cannot "$tool is missing (apt-get install dpkg-dev debhelper git)"
	done
	missing=$(cd "$srcdir" && dpkg-checkbuilddeps -B -P nocheck 2>&1) ||
	    cannot "the packages' build dependencies: $missing (apt-get build-dep ./)"
fi
[ "$(uname -m)" = x86_64 ] || cannot "the boot test is written for x86_64"

# A real KVM boots in seconds; a paravirtual one (kvm_pvm) hangs Debian's
# kernel, so use TCG there.
if [ -z "${ESHM_VM_ACCEL:-}" ]; then
	ESHM_VM_ACCEL=tcg
	if [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ] &&
	    { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
		ESHM_VM_ACCEL=kvm
	fi
fi
case $ESHM_VM_ACCEL in
kvm) accel="-accel kvm -cpu host" ;;
tcg) accel="-accel tcg -cpu max" ;;
*) say "ESHM_VM_ACCEL must be kvm or tcg"; exit 2 ;;
esac

work=${ESHM_VM_WORKDIR:-$(mktemp -d /var/tmp/eshm-vm.XXXXXX)}
mkdir -p "$work"
cleanup() { [ "${ESHM_VM_KEEP:-0}" = 1 ] || rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
root=$work/rootfs
pkgroot=$work/rootfs-packages
start=$(date +%s)
step() { say "[$(($(date +%s) - start)) s] $*"; }

step "building eshm (--prefix=/usr --sysconfdir=/etc) in $work/build"
[ -x "$srcdir/configure" ] || (cd "$srcdir" && autoreconf -fi)
mkdir -p "$work/build"
(cd "$work/build" && "$srcdir/configure" -q --prefix=/usr --sysconfdir=/etc \
    --localstatedir=/var && make -s -j"$(nproc)") > "$work/build.log" 2>&1 || {
	tail -40 "$work/build.log"; say "FAIL: the build failed"; exit 1; }

# The packages, built from a copy of the tree (the checkout stays as it
# is): the previous build as debian/changelog has it, then the new one with
# an entry on top, so that the machine upgrades from one to the other.  The
# suite ran elsewhere (nocheck); the second build packs the same compiled
# tree again (-nc).
build_packages()
(
	pkg=$work/packages
	rm -rf "$pkg"
	mkdir -p "$pkg/eshm" "$pkg/prev" "$pkg/new"
	(cd "$srcdir" && git ls-files -co --exclude-standard | tar -cf - -T -) |
	    tar -xf - -C "$pkg/eshm" || return 1
	export DEB_BUILD_OPTIONS=nocheck DEB_BUILD_PROFILES=nocheck
	(cd "$pkg/eshm" && dpkg-buildpackage -us -uc -b) || return 1
	mv "$pkg"/*.deb "$pkg/prev/"
	log=$pkg/eshm/debian/changelog
	{
		printf '%s (%s+vmtest1) UNRELEASED; urgency=medium\n\n' \
		    "$(dpkg-parsechangelog -l "$log" -S Source)" \
		    "$(dpkg-parsechangelog -l "$log" -S Version)"
		printf '  * Rebuilt by tests/vm/run-vm-test.sh, to test the upgrade.\n\n'
		printf ' -- %s  %s\n\n' "$(dpkg-parsechangelog -l "$log" -S Maintainer)" "$(date -R)"
		cat "$log"
	} > "$log.new" && mv "$log.new" "$log"
	(cd "$pkg/eshm" && dpkg-buildpackage -us -uc -b -nc) || return 1
	mv "$pkg"/*.deb "$pkg/new/"
	rm -f "$pkg"/prev/*-dbgsym_* "$pkg"/new/*-dbgsym_*
)
if [ $packaged = yes ]; then
	step "building the packages twice, a previous and a new version, in $work/packages"
	build_packages > "$work/packages.log" 2>&1 || {
		tail -40 "$work/packages.log"; say "FAIL: the packages did not build"; exit 1; }
else
	say "no debian/ in $srcdir: the packages are not tested"
fi

step "making a $suite root with mmdebstrap"
rm -rf "$root" "$pkgroot"
# Debian's kernel has virtio and ext4 as modules: an initramfs with just
# those, set up before the kernel package builds it.  libsystemd0, libinih1,
# libjson-c5 and libddsc0debian (eshm-bridge's Cyclone DDS) are what the
# packages depend on: the machine has no network for apt to fetch them.
mmdebstrap --variant=minbase --quiet \
    --include=systemd,systemd-sysv,udev,linux-image-amd64,initramfs-tools,libsystemd0,libinih1,libjson-c5,libddsc0debian \
    --setup-hook='mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/usr/share/initramfs-tools/modules.d"' \
    --setup-hook='echo MODULES=list > "$1/etc/initramfs-tools/conf.d/eshm-vm.conf"' \
    --setup-hook='printf "virtio_pci\nvirtio_blk\next4\n" > "$1/usr/share/initramfs-tools/modules.d/eshm-vm"' \
    "$suite" "$root" > "$work/mmdebstrap.log" 2>&1 || {
	tail -40 "$work/mmdebstrap.log"; say "FAIL: mmdebstrap failed"; exit 1; }

kernel=$(ls "$root"/boot/vmlinuz-* | tail -1)
initrd=$(ls "$root"/boot/initrd.img-* | tail -1)
[ -f "$kernel" ] && [ -f "$initrd" ] || { say "FAIL: no kernel or initramfs in the root"; exit 1; }
cp "$kernel" "$work/vmlinuz"
cp "$initrd" "$work/initrd"

# What both machines share: the unit that runs /usr/local/lib/eshm-vm/checks
# at boot and powers off, and no getty (nobody logs in: nothing competes
# with the checks on the console).
mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/eshm-vm" \
    "$root/etc/systemd/system/multi-user.target.wants"
install -m 0644 "$srcdir/tests/vm/vm-lib.sh" "$root/usr/local/lib/eshm-vm/"
install -m 0644 "$srcdir/tests/vm/eshm-vm-test.service" "$root/etc/systemd/system/"
ln -sf ../eshm-vm-test.service "$root/etc/systemd/system/multi-user.target.wants/"
ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$root/etc/systemd/system/getty@tty1.service"
echo eshm-vm > "$root/etc/hostname"
# The second machine starts from the same fresh system.
[ $packaged = no ] || cp -a "$root" "$pkgroot"

step "installing eshm and the checks into the root"
make -s -C "$work/build" install DESTDIR="$root" > "$work/install.log" 2>&1 || {
	tail -40 "$work/install.log"; say "FAIL: make install failed"; exit 1; }
# The client of the checks, built against the installed library alone.
flags=$(PKG_CONFIG_PATH="$root/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root" \
    pkg-config --cflags --libs libeshm-client)
cc -std=gnu11 -O2 -Wall -o "$root/usr/local/bin/eshm-pingpong" \
    "$srcdir/tests/vm/eshm-pingpong.c" $flags
install -m 0755 "$srcdir/tests/vm/vm-checks.sh" "$root/usr/local/lib/eshm-vm/"
ln -sf vm-checks.sh "$root/usr/local/lib/eshm-vm/checks"
install -m 0644 "$srcdir/tests/vm/eshm-never-ready.service" "$root/etc/systemd/system/"
chroot "$root" ldconfig

if [ $packaged = yes ]; then
	step "putting the packages and their checks into the second root"
	mkdir -p "$pkgroot/srv/eshm-debs"
	cp -r "$work/packages/prev" "$work/packages/new" "$pkgroot/srv/eshm-debs/"
	# The clients, built against the new libeshm-client-dev alone: the
	# example it ships, and the client of the checks.  They run once apt
	# has installed the library.
	dev=$work/packages/dev
	rm -rf "$dev"
	for deb in "$work"/packages/new/libeshm-client*.deb; do dpkg-deb -x "$deb" "$dev"; done
	pcdir=$(dirname "$(find "$dev" -name libeshm-client.pc)")
	flags=$(PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$dev" \
	    pkg-config --cflags --libs libeshm-client)
	cc -std=gnu11 -O2 -Wall -o "$pkgroot/usr/local/bin/eshm-demo" \
	    "$dev/usr/share/doc/libeshm-client-dev/examples/eshm-demo.c" $flags
	cc -std=gnu11 -O2 -Wall -o "$pkgroot/usr/local/bin/eshm-pingpong" \
	    "$srcdir/tests/vm/eshm-pingpong.c" $flags
	install -m 0755 "$srcdir/tests/vm/vm-package-checks.sh" "$pkgroot/usr/local/lib/eshm-vm/"
	ln -sf vm-package-checks.sh "$pkgroot/usr/local/lib/eshm-vm/checks"
fi

# boot NAME ROOT: make ROOT's disk image, boot it and collect the TAP of its
# checks in $work/NAME.tap.  Returns 0 when every check passed.
boot()
{
	img=$work/$1.img
	tap=$work/$1.tap
	step "making the disk image of the $1 machine"
	rm -f "$img"
	mkfs.ext4 -q -F -L eshm-vm -d "$2" "$img" 2G || return 1
	step "booting the $1 machine ($ESHM_VM_ACCEL, timeout ${timeout_s} s)"
	: > "$tap"
	rc=0
	# shellcheck disable=SC2086
	timeout "$timeout_s" qemu-system-x86_64 $accel -m 1024 -smp 2 \
	    -kernel "$work/vmlinuz" -initrd "$work/initrd" \
	    -append "root=/dev/vda rw console=ttyS0 panic=-1 systemd.show_status=0" \
	    -drive file="$img",format=raw,if=virtio \
	    -serial file:"$work/$1.console" -serial file:"$tap" \
	    -no-reboot -nic none -display none -monitor none || rc=$?
	step "the $1 machine stopped (qemu exit $rc)"
	cat "$tap"
	say "$1: $(grep -c '^ok ' "$tap") passed, $(grep -c '^not ok ' "$tap") failed"
	grep -q '^RESULT PASS' "$tap" && ! grep -q '^not ok' "$tap" && return 0
	say "--- end of the console of the $1 machine"
	tail -60 "$work/$1.console"
	if [ ! -s "$tap" ]; then
		say "FAIL: the $1 machine reported nothing (timeout or boot failure, qemu exit $rc)"
	else
		say "FAIL: a check failed in the $1 machine"
	fi
	return 1
}

status=0
taps=$work/source.tap
boot source "$root" || status=1
if [ $packaged = yes ]; then
	taps="$taps $work/packages.tap"
	boot packages "$pkgroot" || status=1
fi
# shellcheck disable=SC2086
say "$(cat $taps | grep -c '^ok ') passed, $(cat $taps | grep -c '^not ok ') failed"
[ $status -eq 0 ] && step "PASS"
exit $status

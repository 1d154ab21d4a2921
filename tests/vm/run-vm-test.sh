#!/bin/sh
# Boot test: build eshm, install it into a minimal Debian 12 made with
# mmdebstrap, boot that under qemu and run vm-checks.sh inside, under a real
# systemd.  Not part of "make check"; CI runs it as its own step.
#
#   tests/vm/run-vm-test.sh
#
# Environment: ESHM_VM_WORKDIR (default: a new directory under /var/tmp,
# removed afterwards unless ESHM_VM_KEEP=1), ESHM_VM_ACCEL (kvm or tcg;
# default: kvm only where a real one works), ESHM_VM_TIMEOUT (seconds for
# the boot, default 600), ESHM_VM_SUITE (default bookworm).
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
start=$(date +%s)
step() { say "[$(($(date +%s) - start)) s] $*"; }

step "building eshm (--prefix=/usr --sysconfdir=/etc) in $work/build"
[ -x "$srcdir/configure" ] || (cd "$srcdir" && autoreconf -fi)
mkdir -p "$work/build"
(cd "$work/build" && "$srcdir/configure" -q --prefix=/usr --sysconfdir=/etc \
    --localstatedir=/var && make -s -j"$(nproc)") > "$work/build.log" 2>&1 || {
	tail -40 "$work/build.log"; say "FAIL: the build failed"; exit 1; }

step "making a $suite root with mmdebstrap"
rm -rf "$root"
# Debian's kernel has virtio and ext4 as modules: an initramfs with just
# those, set up before the kernel package builds it.
mmdebstrap --variant=minbase --quiet \
    --include=systemd,systemd-sysv,udev,linux-image-amd64,initramfs-tools,libsystemd0,libinih1,libjson-c5 \
    --setup-hook='mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/usr/share/initramfs-tools/modules.d"' \
    --setup-hook='echo MODULES=list > "$1/etc/initramfs-tools/conf.d/eshm-vm.conf"' \
    --setup-hook='printf "virtio_pci\nvirtio_blk\next4\n" > "$1/usr/share/initramfs-tools/modules.d/eshm-vm"' \
    "$suite" "$root" > "$work/mmdebstrap.log" 2>&1 || {
	tail -40 "$work/mmdebstrap.log"; say "FAIL: mmdebstrap failed"; exit 1; }

step "installing eshm and the checks into the root"
make -s -C "$work/build" install DESTDIR="$root" > "$work/install.log" 2>&1 || {
	tail -40 "$work/install.log"; say "FAIL: make install failed"; exit 1; }
# The client of the checks, built against the installed library alone.
flags=$(PKG_CONFIG_PATH="$root/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root" \
    pkg-config --cflags --libs libeshm-client)
mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/eshm-vm" "$root/etc/systemd/system"
cc -std=gnu11 -O2 -Wall -o "$root/usr/local/bin/eshm-pingpong" \
    "$srcdir/tests/vm/eshm-pingpong.c" $flags
install -m 0755 "$srcdir/tests/vm/vm-checks.sh" "$root/usr/local/lib/eshm-vm/"
install -m 0644 "$srcdir/tests/vm/eshm-vm-test.service" \
    "$srcdir/tests/vm/eshm-never-ready.service" "$root/etc/systemd/system/"
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -sf ../eshm-vm-test.service "$root/etc/systemd/system/multi-user.target.wants/"
# Nobody logs in: no getty on the console to compete with the checks.
ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$root/etc/systemd/system/getty@tty1.service"
echo eshm-vm > "$root/etc/hostname"
chroot "$root" ldconfig

kernel=$(ls "$root"/boot/vmlinuz-* | tail -1)
initrd=$(ls "$root"/boot/initrd.img-* | tail -1)
[ -f "$kernel" ] && [ -f "$initrd" ] || { say "FAIL: no kernel or initramfs in the root"; exit 1; }
cp "$kernel" "$work/vmlinuz"
cp "$initrd" "$work/initrd"

step "making the disk image"
rm -f "$work/disk.img"
mkfs.ext4 -q -F -L eshm-vm -d "$root" "$work/disk.img" 2G

step "booting ($ESHM_VM_ACCEL, timeout ${timeout_s} s)"
: > "$work/result.txt"
rc=0
# shellcheck disable=SC2086
timeout "$timeout_s" qemu-system-x86_64 $accel -m 1024 -smp 2 \
    -kernel "$work/vmlinuz" -initrd "$work/initrd" \
    -append "root=/dev/vda rw console=ttyS0 panic=-1 systemd.show_status=0" \
    -drive file="$work/disk.img",format=raw,if=virtio \
    -serial file:"$work/console.log" -serial file:"$work/result.txt" \
    -no-reboot -nic none -display none -monitor none || rc=$?
step "the machine stopped (qemu exit $rc)"

cat "$work/result.txt"
say "$(grep -c '^ok ' "$work/result.txt") passed, $(grep -c '^not ok ' "$work/result.txt") failed"
if grep -q '^RESULT PASS' "$work/result.txt" && ! grep -q '^not ok' "$work/result.txt"; then
	step "PASS"
	exit 0
fi
say "--- end of the console"
tail -60 "$work/console.log"
if [ ! -s "$work/result.txt" ]; then
	say "FAIL: the machine reported nothing (timeout or boot failure, qemu exit $rc)"
else
	say "FAIL: a check failed"
fi
exit 1

#!/bin/sh
# dev.sh demo|test [BUILDDIR] - on a fresh Debian 12 machine: install what is
# missing, build eshm out of tree, then run the demo or the whole test suite.
# The test run ends with a plain "N passed, N failed" line.
set -eu
cmd=${1:-}
src=$(cd "$(dirname "$0")/.." && pwd)
build=${2:-$src/build}

PACKAGES="build-essential autoconf automake libtool pkg-config \
libsystemd-dev libcmocka-dev libinih-dev libjson-c-dev \
systemd mandoc python3 python3-prometheus-client util-linux passwd iproute2 \
libzmq3-dev libiceoryx-binding-c-dev iceoryx \
cyclonedds-dev cyclonedds-tools openssl"

dev_install() {
	missing=""
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "installing:$missing"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
}

dev_build() {
	if [ ! -x "$src/configure" ] || [ "$src/configure.ac" -nt "$src/configure" ]; then
		(cd "$src" && autoreconf -fi)
	fi
	mkdir -p "$build"
	if [ ! -f "$build/Makefile" ]; then
		(cd "$build" && "$src/configure" -q ${CONFIGURE_FLAGS:-})
	fi
	make -C "$build" -j"$(nproc)" >/dev/null
}

case "$cmd" in
demo)
	dev_install
	dev_build
	exec "$src/examples/demo.sh" "$build"
	;;
test)
	dev_install
	dev_build
	rc=0
	make -C "$build" -j"$(nproc)" check || rc=$?
	"$src/ci/test-summary.sh" "$build"
	exit $rc
	;;
*)
	echo "usage: $0 demo|test [BUILDDIR]" >&2
	exit 2
	;;
esac

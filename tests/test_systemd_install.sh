#!/bin/sh
# "make install" into a DESTDIR installs every piece, the documents README.md
# points to included; a program outside the tree (the example of
# libeshm-client(3)) builds with pkg-config alone and exchanges messages
# through the installed eshmd, which reads the configured eshmd.conf and
# says which file --check-config read; systemd-sysusers and
# systemd-tmpfiles accept the installed entries; every man page the units
# name is installed; "systemd-analyze verify" accepts the installed units
# and their security exposure stays under EXPOSURE_MAX.
set -u
builddir=${ESHM_TEST_BUILDDIR:?run by make check}
srcdir=${ESHM_TEST_SRCDIR:?run by make check}
# The exposure docs/systemd.md states is 0.6; leave room for systemd's
# scoring to move between versions, not for weaker units.
EXPOSURE_MAX=1.0

. "$srcdir/tests/tap.sh"
tap_init install
dest=$tmp/dest

echo "1..25"

# The installation directories, as make expands them.
unset MAKEFLAGS MFLAGS MAKELEVEL
cat > "$tmp/dirs.mk" <<'MK'
eshm-print-dirs:
	@echo "libdir='$(libdir)' includedir='$(includedir)' pkgconfigdir='$(pkgconfigdir)'"
	@echo "sbindir='$(sbindir)' bindir='$(bindir)' mandir='$(mandir)' docdir='$(docdir)'"
	@echo "sysconfdir='$(sysconfdir)' unitdir='$(systemdsystemunitdir)'"
	@echo "sysusersdir='$(sysusersdir)' tmpfilesdir='$(tmpfilesdir)' catalogdir='$(catalogdir)'"
	@echo "socket='$(ESHMD_SOCKET)'"
MK
eval "$(make -s --no-print-directory -C "$builddir" -f Makefile -f "$tmp/dirs.mk" eshm-print-dirs)" || {
	echo "Bail out! cannot read the installation directories"
	exit 1
}

check "make install DESTDIR= succeeds" make -s --no-print-directory -C "$builddir" install DESTDIR="$dest"
for f in "$libdir/libeshm-client.so" "$includedir/eshm.h" \
    "$pkgconfigdir/libeshm-client.pc" "$sbindir/eshmd" "$bindir/eshmctl" \
    "$unitdir/eshmd.service" "$unitdir/eshmd.socket" "$sysusersdir/eshm.conf" \
    "$tmpfilesdir/eshm.conf" "$sysconfdir/eshm/eshmd.conf" "$mandir/man8/eshmd.8" \
    "$mandir/man5/eshmd.conf.5" "$mandir/man3/libeshm-client.3" \
    "$mandir/man3/eshm_read_timeout.3" "$catalogdir/eshmd.catalog"; do
	check "installs $f" test -e "$dest$f"
done

docs_ok()
{
	docs=$(grep -o 'docs/[A-Za-z_]*\.md' "$srcdir/README.md" | sort -u)
	[ -n "$docs" ] || { echo "README.md points to no document"; return 1; }
	for f in README.md $docs; do
		[ -f "$dest$docdir/${f#docs/}" ] || { echo "$docdir/${f#docs/} is not installed"; return 1; }
	done
}
check "installs README.md and the documents it points to under $docdir" docs_ok

# libeshm-client(3)'s example, built with nothing but pkg-config.
sed -n '/^\.Sh EXAMPLES/,/^\.Sh/p' "$srcdir/man/libeshm-client.3" |
    sed -n '/^\.Bd -literal/,/^\.Ed/p' | sed '1d;$d' |
    sed -e 's/\\e/\\/g' -e 's/\\-/-/g' -e 's/\\&//g' > "$tmp/example.c"
build_example()
{
	cflags=$(PKG_CONFIG_PATH="$dest$pkgconfigdir" PKG_CONFIG_SYSROOT_DIR="$dest" \
	    pkg-config --cflags --libs libeshm-client) || return 1
	case "$cflags" in
	*"$builddir"* | *"$srcdir"*) echo "flags point into the tree: $cflags"; return 1 ;;
	esac
	# A sanitizer build's library needs its runtime in the program too;
	# those are compiler flags of the build, not library flags.
	san=""
	for f in ${ESHM_TEST_CFLAGS:-}; do
		case $f in -fsanitize=*) san="$san $f" ;; esac
	done
	(cd "$tmp" && ${ESHM_TEST_CC:-cc} -std=gnu11 -Wall -Werror $san -o example example.c $cflags)
}
check "the example of libeshm-client(3) builds with pkg-config --cflags --libs alone" build_example

# ... and runs against the installed eshmd with the installed configuration.
"$dest$sbindir/eshmd" --socket "$tmp/eshmd.sock" --shm-prefix "$prefix" \
    --config "$dest$sysconfdir/eshm/eshmd.conf" 2>"$tmp/eshmd.log" &
daemon_pid=$!
i=0
while [ ! -S "$tmp/eshmd.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
run_example()
{
	ldd "$tmp/example" | grep -q "$dest$libdir/libeshm-client.so" || {
		echo "example does not load the installed library"; ldd "$tmp/example"; return 1; }
	out=$("$tmp/example" "install-example") || { echo "$out"; cat "$tmp/eshmd.log"; return 1; }
	[ "$out" = "master got: ping" ] || { echo "unexpected output: $out"; return 1; }
}
export LD_LIBRARY_PATH="$dest$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
ESHM_SOCKET=$tmp/eshmd.sock check "the example exchanges messages through the installed eshmd" run_example
unset LD_LIBRARY_PATH

# Without --config, eshmd reads the configured file, and --check-config says
# which file it read, or that none exists and the defaults apply.  The
# configured file itself is this machine's: only its absence is checked.
check_config_ok()
{
	conf=$sysconfdir/eshm/eshmd.conf
	"$dest$sbindir/eshmd" --help | grep -F "(default $conf;" || {
		echo "eshmd --help does not name $conf as its default"; return 1; }
	if [ ! -e "$conf" ]; then
		out=$("$dest$sbindir/eshmd" --check-config) && echo "$out" &&
		[ "$out" = "configuration OK: $conf does not exist, the built-in defaults apply" ] ||
			return 1
	fi
	out=$("$dest$sbindir/eshmd" --check-config --config "$dest$conf") && echo "$out" &&
	[ "$out" = "configuration OK: $dest$conf" ]
}
check "eshmd reads $sysconfdir/eshm/eshmd.conf and --check-config names it" check_config_ok

# The sysusers and tmpfiles entries, applied to the DESTDIR as a root.
if [ "$(id -u)" -eq 0 ]; then
	tmpfiles_ok()
	{
		mkdir -p "$dest/etc" &&
		systemd-sysusers --root="$dest" "$dest$sysusersdir/eshm.conf" &&
		grep -q '^eshm:' "$dest/etc/passwd" && grep -q '^eshm:' "$dest/etc/group" &&
		systemd-tmpfiles --root="$dest" --create "$dest$tmpfilesdir/eshm.conf" &&
		rundir=$(dirname "$socket") &&
		[ "$(stat -c %a "$dest$rundir")" = 755 ] &&
		[ "$(stat -c %u "$dest$rundir")" = "$(sed -n 's/^eshm:x:\([0-9]*\):.*/\1/p' "$dest/etc/passwd")" ]
	}
	check "systemd-sysusers creates eshm, systemd-tmpfiles its socket directory" tmpfiles_ok
else
	skip "systemd-sysusers --root needs root"
fi

# The pages of Documentation=, looked up in the DESTDIR by name and section.
# verify's own look-up runs man(1), which a minimal system does not have
# (man-db), so it is switched off below.
man_pages_ok()
{
	for unit in "$dest$unitdir/eshmd.socket" "$dest$unitdir/eshmd.service"; do
		pages=$(sed -n 's/^Documentation=//p' "$unit")
		[ -n "$pages" ] || { echo "$unit names no documentation"; return 1; }
		for page in $pages; do
			case $page in
			man:*\(*\))
				page=${page#man:}
				section=${page##*(}
				section=${section%)}
				file=$dest$mandir/man$section/${page%(*}.$section
				[ -f "$file" ] || { echo "$unit: $page is not installed ($file)"; return 1; }
				;;
			*) echo "$unit: $page is not a man: page"; return 1 ;;
			esac
		done
	done
}
check "every man page the units' Documentation= names is installed" man_pages_ok

if ! command -v systemd-analyze >/dev/null 2>&1; then
	skip "systemd-analyze is not installed"
	skip "systemd-analyze is not installed"
	exit 0
fi
# verify resolves units, ExecStart= and the targets inside --root: give the
# DESTDIR the host's targets and sh(1) (ExecReload=).
mkdir -p "$dest/usr/lib/systemd/system" "$dest/bin"
cp -L /lib/systemd/system/*.target /lib/systemd/system/*.slice "$dest/usr/lib/systemd/system/" 2>/dev/null
cp -L /bin/sh "$dest/bin/sh"
# Under --root, units are looked up in systemd's own search path only; a unit
# directory elsewhere (make distcheck installs into its prefix) is offered
# to it from /etc/systemd/system.
units=$dest$unitdir
case $unitdir in
/etc/systemd/system|/lib/systemd/system|/usr/lib/systemd/system) ;;
*)
	units=$dest/etc/systemd/system
	mkdir -p "$units"
	cp "$dest$unitdir/eshmd.socket" "$dest$unitdir/eshmd.service" "$units/"
	;;
esac
verify_ok()
{
	systemd-analyze verify --man=no --root="$dest" \
	    "$units/eshmd.socket" "$units/eshmd.service" > "$tmp/verify" 2>&1
	rc=$?
	cat "$tmp/verify"
	[ $rc -eq 0 ] && [ ! -s "$tmp/verify" ]
}
check "systemd-analyze verify accepts the installed units without a word" verify_ok

# The metrics timer and service installed as examples verify as well.
examples_verify_ok()
{
	cp "$dest$docdir/examples/eshm-metrics.service" "$dest$docdir/examples/eshm-metrics.timer" \
	    "$units/" &&
	systemd-analyze verify --man=no --root="$dest" \
	    "$units/eshm-metrics.service" "$units/eshm-metrics.timer" > "$tmp/verify-ex" 2>&1
	rc=$?
	cat "$tmp/verify-ex"
	rm -f "$units/eshm-metrics.service" "$units/eshm-metrics.timer"
	[ $rc -eq 0 ] && [ ! -s "$tmp/verify-ex" ]
}
check "the metrics timer and service of the examples verify without a word" examples_verify_ok

exposure_ok()
{
	systemd-analyze security --no-pager --offline=true --root="$dest" \
	    "$units/eshmd.service" > "$tmp/security" 2>&1
	level=$(sed -n 's/.*Overall exposure level for eshmd.service: \([0-9.]*\).*/\1/p' "$tmp/security")
	cat "$tmp/security"
	[ -n "$level" ] && awk -v l="$level" -v m="$EXPOSURE_MAX" 'BEGIN { exit !(l <= m) }'
}
if exposure_ok > "$tmp/out" 2>&1; then
	ok "systemd-analyze security exposure $level <= $EXPOSURE_MAX"
else
	fail "systemd-analyze security exposure ${level:-?} <= $EXPOSURE_MAX"
fi

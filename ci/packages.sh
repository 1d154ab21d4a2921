#!/bin/sh
# packages.sh SRCDIR WORKDIR - the Debian packages of the last commit, as
# README.md tells a user to build them: a clean clone, "apt-get build-dep
# ./", "dpkg-buildpackage -us -uc -b" (the suite runs inside, less what
# debian/rules leaves out), then lintian on the .changes, which must report
# no error (its warnings are printed).  The build must leave nothing in the
# clone that git sees.
set -u
. "$(dirname "$0")/lib.sh"
ci_init "$@"

clone=$ci_work/eshm
rm -rf "$clone" "$ci_work"/*.deb "$ci_work"/*.changes "$ci_work"/*.buildinfo
git clone --quiet "$ci_src" "$clone" || ci_build_failed "git clone $ci_src"
ci_log "building the packages of $(git -C "$clone" log -1 --format='%h %s')"

build_deps() {
	DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -qq ./ ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -qq ./; }
}
if (cd "$clone" && build_deps) >"$ci_work/build-dep.log" 2>&1; then
	ci_ok "apt-get build-dep ./ installs the build dependencies"
else
	tail -20 "$ci_work/build-dep.log"
	ci_build_failed "apt-get build-dep ./"
fi

ci_log "dpkg-buildpackage -us -uc -b"
if (cd "$clone" && dpkg-buildpackage -us -uc -b) >"$ci_work/dpkg-buildpackage.log" 2>&1; then
	ci_ok "dpkg-buildpackage -us -uc -b"
else
	grep -E '^(FAIL|ERROR):' "$clone/debian/build/test-suite.log" 2>/dev/null
	tail -40 "$ci_work/dpkg-buildpackage.log"
	ci_build_failed "dpkg-buildpackage -us -uc -b"
fi
ci_log "the suite inside the build: $("$ci_src/ci/test-summary.sh" "$clone/debian/build")"

left=$(git -C "$clone" status --porcelain)
if [ -z "$left" ]; then
	ci_ok "the build leaves nothing in the tree that git sees"
else
	echo "$left"
	ci_bad "the build left files in the tree that git sees"
fi

for p in eshmd libeshm-client0 libeshm-client-dev eshm-bridge; do
	if ls "$ci_work/${p}"_*.deb >/dev/null 2>&1; then
		ci_ok "package $p"
	else
		ci_bad "no package $p"
	fi
done

ci_log "lintian"
if lintian --fail-on error --display-info "$ci_work"/*.changes >"$ci_work/lintian.log" 2>&1; then
	ci_ok "lintian reports no error"
else
	ci_bad "lintian reports errors"
fi
sed 's/^/lintian: /' "$ci_work/lintian.log"

ci_finish

# ci/local.mk - the developer's entry point (README.md), the test summary
# and the campaigns .ci/run starts, each a script run from the source tree.
# Included by the top Makefile.am.
dist_noinst_SCRIPTS += ci/dev.sh ci/test-summary.sh
EXTRA_DIST += ci/lib.sh ci/asan.sh ci/tsan.sh ci/valgrind.sh ci/fuzz.sh ci/faults.sh \
	ci/packages.sh
